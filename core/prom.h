/* SPDX-License-Identifier: MIT */
/* prom.h - one scrape of GET /metrics being written: Prometheus text exposition (0.0.4).
 *
 * Several writers contribute to one scrape (the router's functions, each trigger adapter's
 * sources, the front door), and some families are shared between them: every adapter
 * writes fngate_source_received_total. The format wants each family's samples together
 * under one HELP and TYPE, so a writer names the family its samples belong to and this
 * module keeps one buffer per family, in the order families were first named, and joins
 * them at the end. Label values are escaped here (a route, a stream or a folder name may
 * hold a quote or a backslash); names and help texts are the caller's constants.
 *
 * Not thread-safe: a scrape is written by one thread (the loop thread, see
 * gateway/admin_http.c). Samples are only as consistent as the counters read. Allocates a
 * family per name and the samples' text. Tests: tests/unit/test_core.c. */
#ifndef FG_PROM_H
#define FG_PROM_H

#include <stddef.h>

#include "buf.h"
#include "strmap.h"

enum fg_prom_type {
    FG_PROM_COUNTER = 0,
    FG_PROM_GAUGE,
    FG_PROM_HISTOGRAM,
    FG_PROM_SUMMARY,          /* only _sum and _count (no quantiles) */
};

struct fg_prom_family;

/* Caller-embedded: fg_prom_init, families and samples, fg_prom_render, fg_prom_close. */
struct fg_prom {
    struct fg_prom_family *first, *last;
    struct fg_strmap index;   /* name → family: a writer names a family per sample */
    size_t max_bytes;         /* ceiling for each family's samples */
    int err;                  /* the first failure (-ENOMEM, -FG_ETOOBIG), sticky */
};

void fg_prom_init(struct fg_prom *p, size_t max_bytes);

/* The family name (a constant: valid until fg_prom_close), declared with type and help on
 * first use; a later call with the same name returns the same family (borrowed, valid until
 * fg_prom_close). NULL when memory ran out (p->err says so): the sample calls below take
 * NULL and do nothing, so a writer needs no check per family. */
struct fg_prom_family *fg_prom_family(struct fg_prom *p, const char *name, enum fg_prom_type type,
                                      const char *help);

/* One sample of f (a counter or a gauge) with value v and labels given as name, value
 * pairs ended by NULL: fg_prom_sample(f, 3, "function", "hello", NULL). */
void fg_prom_sample(struct fg_prom_family *f, double v, ...) __attribute__((sentinel));

/* A histogram's samples: counts[i] observations in bucket i (le bounds[i]; counts[n] the
 * ones above the last bound: n + 1 counts, not cumulative), their sum, and the labels as in
 * fg_prom_sample. Bounds are in the family's unit. */
void fg_prom_histogram(struct fg_prom_family *f, const double *bounds, size_t n, const unsigned long long *counts,
                       double sum, ...) __attribute__((sentinel));

/* A summary's samples without quantiles: _sum and _count, labels as in fg_prom_sample. */
void fg_prom_summary(struct fg_prom_family *f, unsigned long long count, double sum, ...)
    __attribute__((sentinel));

/* Appends every family that has samples to out, in first-named order. 0, or p's first
 * failure, or out's. */
int fg_prom_render(struct fg_prom *p, struct fg_buf *out);

/* Frees the families (their pointers are invalid after). */
void fg_prom_close(struct fg_prom *p);

#endif
