/* SPDX-License-Identifier: MIT */
/* series.h - a function's last 24 hours, minute by minute: what the console's Monitor tab
 * graphs (GET /_fngate/functions/NAME/metrics, series_view.h).
 *
 * The Prometheus counters of metrics.h only grow; a graph over the last hour needs the
 * history they leave to the scraper. Each function keeps a ring of FG_SERIES_MINUTES
 * one-minute buckets, recorded on the loop thread next to the counters of metrics.h (the
 * same events, the same rules), and read there when the admin API asks.
 *
 * DESIGN: a bucket is tagged with its minute (epoch ms / 60000); the ring's slot for a
 * minute is minute % FG_SERIES_MINUTES, and a slot whose tag is another minute reads as
 * zeros. So buckets advance by wall clock without a timer: an idle minute is never
 * written and reads as zeros, and a minute 24 h old is overwritten by the first record of
 * the minute that takes its slot. A wall clock stepped back writes into the slot of the
 * earlier minute (a clock stepped back by a day or more starts it afresh). Nothing is
 * persisted: a restart starts every ring empty (the log store and the usage table stay
 * the durable record).
 *
 * Durations go into a log-scale histogram, three bins per doubling from 0.5 ms to 2^20 ms
 * (17.5 min, above Lambda's 900 s timeout), plus one bin below 0.5 ms: a quantile is
 * reported as its bin's geometric middle, so it is within 2^(1/6) - 1 = 12.3% of a true
 * sample value of that bin (below 0.5 ms, within 0.25 ms). Bins are 16 bits: when one would
 * overflow, every bin of that minute is halved, the minute's shift grows, and from then on
 * a run is binned with probability 2^-shift, so each bin stands for count << shift runs
 * and a minute weighs what it counted when minutes are merged (only a minute with over
 * 65,535 runs in one bin is sampled; a halving rounds up, so a bin that held a run keeps
 * one). Count, sum and average are always exact.
 *
 * Memory: sizeof(struct fg_series_minute) is 184 bytes, so a ring is 264,968 bytes (about
 * 259 KB) per function, allocated with calloc when the function is created: the pages of
 * minutes never written are not touched, so an idle function's ring costs little resident
 * memory. Tests: tests/unit/test_series.c. */
#ifndef FG_SERIES_H
#define FG_SERIES_H

#include <stdint.h>

#define FG_SERIES_MINUTES 1440            /* 24 h of one-minute buckets */
#define FG_SERIES_HIST 64                 /* duration bins: < 0.5 ms, then 3 per doubling */
#define FG_SERIES_MINUTE_MS 60000LL

/* What a minute counts (each call adds one). */
enum fg_series_counter {
    FG_SERIES_INVOCATIONS = 0,           /* fngate_invocations_total */
    FG_SERIES_ERRORS,                    /* fngate_errors_total, every kind */
    FG_SERIES_THROTTLES,                 /* fngate_throttles_total */
    FG_SERIES_DEAD_LETTERS,              /* async events moved to the dead letters */
    FG_SERIES_COUNTERS
};

/* What a minute keeps the highest of. */
enum fg_series_gauge {
    FG_SERIES_CONCURRENT = 0,            /* invocations holding a slot (ConcurrentExecutions) */
    FG_SERIES_ASYNC_AGE,                 /* ms from acceptance to an async attempt's start */
    FG_SERIES_ITERATOR_AGE,              /* ms from a poll batch's oldest record to its invocation */
    FG_SERIES_DURATION_MAX,              /* µs of the longest run (fg_series_duration keeps it) */
    FG_SERIES_GAUGES
};

struct fg_series_minute {
    uint32_t minute;                     /* epoch minute this slot holds; 0: never written */
    uint32_t count[FG_SERIES_COUNTERS];
    uint32_t duration_count;             /* invocations a worker ran (with a duration) */
    uint32_t max[FG_SERIES_GAUGES];      /* valid where has_max has bit (1 << gauge) */
    uint8_t has_max;
    uint8_t hist_shift;                  /* each bin stands for count << hist_shift samples */
    uint16_t hist[FG_SERIES_HIST];
    double duration_sum_ms;
};

struct fg_series {
    struct fg_series_minute m[FG_SERIES_MINUTES];
    uint64_t rng;                        /* xorshift state for halved minutes' sampling */
};

/* A window of the Monitor tab: its name as the API takes it, its length and step. */
struct fg_series_period {
    const char *name;                    /* "1h", "3h", "12h", "24h" */
    int minutes;
    int step_minutes;
};

/* Minutes merged into one point of a period. */
struct fg_series_point {
    long long t_ms;                      /* the first minute's start, epoch ms */
    unsigned long long count[FG_SERIES_COUNTERS];
    unsigned long long duration_count;
    double duration_sum_ms;
    long long max[FG_SERIES_GAUGES];     /* -1: nothing recorded */
    unsigned long long hist[FG_SERIES_HIST];
};

/* Returns an owned, empty ring (fg_series_free), or NULL when out of memory. */
struct fg_series *fg_series_new(void);
void fg_series_free(struct fg_series *s);   /* NULL allowed */

/* Loop thread (the ring's owner). Record into now_ms's minute; s may be NULL (nothing
 * recorded: its function could not get a ring). fg_series_duration: a duration of a run
 * (ms, negative taken as 0). fg_series_max: value is kept when higher than the minute's
 * (negative taken as 0; above UINT32_MAX kept as UINT32_MAX). */
void fg_series_count(struct fg_series *s, long long now_ms, enum fg_series_counter c);
void fg_series_duration(struct fg_series *s, long long now_ms, double duration_ms);
void fg_series_max(struct fg_series *s, long long now_ms, enum fg_series_gauge g, long long value);

/* The period called name (static), or NULL for another. */
const struct fg_series_period *fg_series_period(const char *name);

/* The first minute (epoch minutes) of period p's points ending with the one that holds
 * now_ms's minute: each point's start is a multiple of the step (epoch based), so its
 * p->minutes / p->step_minutes points, oldest first, start at first + i * step and reach
 * back at most FG_SERIES_MINUTES minutes, now's included. */
long long fg_series_first_minute(const struct fg_series_period *p, long long now_ms);

/* Merges the minutes [first_minute, first_minute + n_minutes) into *pt (t_ms included). */
void fg_series_merge(const struct fg_series *s, long long first_minute, int n_minutes, struct fg_series_point *pt);

/* The q-quantile (0 < q <= 1) of pt's durations in ms, as its bin's middle (see above)
 * but never above the longest run, and exactly the longest when the rank is the last
 * sample (one run: its own duration); -1 when pt has none. */
double fg_series_quantile(const struct fg_series_point *pt, double q);

/* The bin of a duration (ms), and a bin's middle (ms): exposed for the tests. */
int fg_series_bin(double duration_ms);
double fg_series_bin_middle(int bin);

#endif
