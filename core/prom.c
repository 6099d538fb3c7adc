/* SPDX-License-Identifier: MIT */
/* prom.c - Prometheus text exposition, family by family (see prom.h). */
#include "prom.h"
#include "assert.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct fg_prom_family {
    struct fg_prom_family *next;
    const char *name, *help;          /* borrowed constants */
    enum fg_prom_type type;
    struct fg_buf samples;            /* its sample lines */
};

static const char *const prom_type_names[] = { "counter", "gauge", "histogram", "summary" };

/* ------------------------------------------------------------------ API */

void fg_prom_init(struct fg_prom *p, size_t max_bytes)
{
    memset(p, 0, sizeof(*p));
    fg_strmap_init(&p->index);
    p->max_bytes = max_bytes;
}

struct fg_prom_family *fg_prom_family(struct fg_prom *p, const char *name, enum fg_prom_type type,
                                      const char *help)
{
    struct fg_prom_family *f;

    if ((f = fg_strmap_get(&p->index, name)))
        return f;
    if (!(f = calloc(1, sizeof(*f))) || fg_strmap_put(&p->index, name, f) < 0) {
        free(f);
        if (!p->err)
            p->err = -ENOMEM;
        return NULL;
    }
    f->name = name;
    f->help = help;
    f->type = type;
    fg_buf_init(&f->samples, p->max_bytes);
    if (p->last)
        p->last->next = f;
    else
        p->first = f;
    p->last = f;
    return f;
}

/* ------------------------------------------------------------------ writing samples */

/* A number as Prometheus reads it: integers without a fraction, NaN and infinities by
 * their names, everything else exactly (17 digits). */
static void prom_value(struct fg_buf *b, double v)
{
    char text[64];
    if (isnan(v))
        snprintf(text, sizeof(text), "NaN");
    else if (isinf(v))
        snprintf(text, sizeof(text), "%s", v > 0 ? "+Inf" : "-Inf");
    else if (v == floor(v) && fabs(v) < 1e15)
        snprintf(text, sizeof(text), "%.0f", v);
    else
        snprintf(text, sizeof(text), "%.17g", v);
    fg_buf_append_str(b, text);
}

/* name="value" pairs (value escaped: backslash, quote, newline), comma-separated, without
 * braces, from a NULL-ended list of name, value. */
static void prom_labels(struct fg_buf *b, va_list ap)
{
    const char *name, *value;
    while ((name = va_arg(ap, const char *))) {
        value = va_arg(ap, const char *);
        if (b->len)
            fg_buf_append(b, ",", 1);
        fg_buf_append_str(b, name);
        fg_buf_append(b, "=\"", 2);
        for (const char *c = value ? value : ""; *c; c++) {
            const char *esc = *c == '\\' ? "\\\\" : *c == '"' ? "\\\"" : *c == '\n' ? "\\n" : NULL;
            if (esc)
                fg_buf_append(b, esc, 2);
            else
                fg_buf_append(b, c, 1);
        }
        fg_buf_append(b, "\"", 1);
    }
}

/* One line: name+suffix{labels[,le="le"]} v. */
static void prom_line(struct fg_prom_family *f, const char *suffix, const struct fg_buf *labels, const char *le,
                      double v)
{
    struct fg_buf *b = &f->samples;
    fg_buf_append_str(b, f->name);
    fg_buf_append_str(b, suffix);
    if (labels->len || le) {
        fg_buf_append(b, "{", 1);
        if (labels->len)
            fg_buf_append(b, labels->data, labels->len);
        if (le) {
            fg_buf_append_str(b, labels->len ? ",le=\"" : "le=\"");
            fg_buf_append_str(b, le);
            fg_buf_append(b, "\"", 1);
        }
        fg_buf_append(b, "}", 1);
    }
    fg_buf_append(b, " ", 1);
    prom_value(b, v);
    fg_buf_append(b, "\n", 1);
}

/* What one call writes, by the family's type: a value; a histogram's buckets (counts per
 * bucket, n bounds) and sum; a summary's count and sum. */
struct prom_values {
    double v;
    const double *bounds;
    size_t n;
    const unsigned long long *counts;
    unsigned long long count;
    double sum;
};

static void prom_write(struct fg_prom_family *f, const struct prom_values *x, va_list ap)
{
    struct fg_buf labels;
    unsigned long long cum = 0;
    char le[64];

    fg_buf_init(&labels, f->samples.max_bytes);
    prom_labels(&labels, ap);
    if (labels.err && !f->samples.err)
        f->samples.err = labels.err;
    switch (f->type) {
    case FG_PROM_HISTOGRAM:
        for (size_t i = 0; i <= x->n; i++) {
            cum += x->counts[i];
            if (i < x->n)
                snprintf(le, sizeof(le), "%g", x->bounds[i]);
            prom_line(f, "_bucket", &labels, i < x->n ? le : "+Inf", (double)cum);
        }
        prom_line(f, "_sum", &labels, NULL, x->sum);
        prom_line(f, "_count", &labels, NULL, (double)cum);
        break;
    case FG_PROM_SUMMARY:
        prom_line(f, "_sum", &labels, NULL, x->sum);
        prom_line(f, "_count", &labels, NULL, (double)x->count);
        break;
    default:
        prom_line(f, "", &labels, NULL, x->v);
    }
    fg_buf_free(&labels);
}

void fg_prom_sample(struct fg_prom_family *f, double v, ...)
{
    va_list ap;
    va_start(ap, v);
    FG_ASSERT(!f || f->type == FG_PROM_COUNTER || f->type == FG_PROM_GAUGE);
    if (f)
        prom_write(f, &(struct prom_values){ .v = v }, ap);
    va_end(ap);
}

void fg_prom_histogram(struct fg_prom_family *f, const double *bounds, size_t n, const unsigned long long *counts,
                       double sum, ...)
{
    va_list ap;
    va_start(ap, sum);
    FG_ASSERT(!f || f->type == FG_PROM_HISTOGRAM);
    if (f)
        prom_write(f, &(struct prom_values){ .bounds = bounds, .n = n, .counts = counts, .sum = sum }, ap);
    va_end(ap);
}

void fg_prom_summary(struct fg_prom_family *f, unsigned long long count, double sum, ...)
{
    va_list ap;
    va_start(ap, sum);
    FG_ASSERT(!f || f->type == FG_PROM_SUMMARY);
    if (f)
        prom_write(f, &(struct prom_values){ .count = count, .sum = sum }, ap);
    va_end(ap);
}

/* ------------------------------------------------------------------ the text */

int fg_prom_render(struct fg_prom *p, struct fg_buf *out)
{
    int err = p->err;
    for (struct fg_prom_family *f = p->first; f; f = f->next) {
        if (f->samples.err && !err)
            err = f->samples.err;
        if (!f->samples.len)
            continue;
        fg_buf_append_str(out, "# HELP ");
        fg_buf_append_str(out, f->name);
        fg_buf_append(out, " ", 1);
        fg_buf_append_str(out, f->help);
        fg_buf_append_str(out, "\n# TYPE ");
        fg_buf_append_str(out, f->name);
        fg_buf_append(out, " ", 1);
        fg_buf_append_str(out, prom_type_names[f->type]);
        fg_buf_append(out, "\n", 1);
        fg_buf_append(out, f->samples.data, f->samples.len);
    }
    return err ? err : out->err;
}

void fg_prom_close(struct fg_prom *p)
{
    struct fg_prom_family *f = p->first, *next;
    for (; f; f = next) {
        next = f->next;
        fg_buf_free(&f->samples);
        free(f);
    }
    p->first = p->last = NULL;
    fg_strmap_free(&p->index);
}
