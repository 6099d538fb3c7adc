/* SPDX-License-Identifier: MIT */
/* series.c - a function's ring of one-minute buckets and their merging (see series.h). */
#include "series.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* 2^(1/3) and 2^(2/3): the bin edges within a doubling. */
#define SERIES_CBRT2 1.2599210498948732
#define SERIES_CBRT4 1.5874010519681994
#define SERIES_FLOOR_MS 0.5               /* bin 1's lower edge */

static const struct fg_series_period series_periods[] = {
    { "1h", 60, 1 },
    { "3h", 180, 1 },
    { "12h", 720, 5 },
    { "24h", 1440, 10 },
};

/* ------------------------------------------------------------------ API */

struct fg_series *fg_series_new(void)
{
    return calloc(1, sizeof(struct fg_series));
}

void fg_series_free(struct fg_series *s)
{
    free(s);
}

int fg_series_bin(double duration_ms)
{
    int e, bin;
    double m;

    if (!(duration_ms >= SERIES_FLOOR_MS))      /* NaN too */
        return 0;
    /* duration / floor = m * 2^e, m in [0.5, 1): the doubling is e - 1, the third of it
     * is where 2m lies against 2^(1/3) and 2^(2/3); no logarithm, exact at the edges. */
    m = frexp(duration_ms / SERIES_FLOOR_MS, &e) * 2;
    bin = 1 + (e - 1) * 3 + (m >= SERIES_CBRT2) + (m >= SERIES_CBRT4);
    return bin < FG_SERIES_HIST ? bin : FG_SERIES_HIST - 1;
}

double fg_series_bin_middle(int bin)
{
    if (bin <= 0)
        return SERIES_FLOOR_MS / 2;
    return SERIES_FLOOR_MS * exp2((bin - 0.5) / 3.0);
}

/* xorshift64: which runs a halved minute bins (not for anything secret). */
static uint64_t series_rand(struct fg_series *s)
{
    uint64_t x = s->rng ? s->rng : 0x9E3779B97F4A7C15ULL;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return s->rng = x;
}

/* The slot of now_ms's minute, emptied first when it held another minute. */
static struct fg_series_minute *series_slot(struct fg_series *s, long long now_ms)
{
    uint32_t minute = (uint32_t)(now_ms > 0 ? now_ms / FG_SERIES_MINUTE_MS : 0);
    struct fg_series_minute *m = &s->m[minute % FG_SERIES_MINUTES];

    if (m->minute != minute) {
        memset(m, 0, sizeof(*m));
        m->minute = minute;
    }
    return m;
}

void fg_series_count(struct fg_series *s, long long now_ms, enum fg_series_counter c)
{
    struct fg_series_minute *m;
    if (!s)
        return;
    m = series_slot(s, now_ms);
    if (m->count[c] < UINT32_MAX)
        m->count[c]++;
}

void fg_series_duration(struct fg_series *s, long long now_ms, double duration_ms)
{
    struct fg_series_minute *m;
    int bin;

    if (!s)
        return;
    if (!(duration_ms > 0))
        duration_ms = 0;
    m = series_slot(s, now_ms);
    bin = fg_series_bin(duration_ms);
    /* Past a halving, a run is binned with probability 2^-shift: each bin still counts
     * about what it stands for, without bias. */
    if (!m->hist_shift || !(series_rand(s) & ((1ull << m->hist_shift) - 1))) {
        if (m->hist[bin] == UINT16_MAX && m->hist_shift < 32) {
            for (int i = 0; i < FG_SERIES_HIST; i++)
                m->hist[i] = (uint16_t)((m->hist[i] + 1u) / 2);
            m->hist_shift++;
        }
        if (m->hist[bin] < UINT16_MAX)
            m->hist[bin]++;
    }
    if (m->duration_count < UINT32_MAX)
        m->duration_count++;
    m->duration_sum_ms += duration_ms;
    fg_series_max(s, now_ms, FG_SERIES_DURATION_MAX, (long long)(duration_ms * 1000 + 0.5));
}

void fg_series_max(struct fg_series *s, long long now_ms, enum fg_series_gauge g, long long value)
{
    struct fg_series_minute *m;
    uint32_t v;

    if (!s)
        return;
    v = value <= 0 ? 0 : value >= UINT32_MAX ? UINT32_MAX : (uint32_t)value;
    m = series_slot(s, now_ms);
    if (!(m->has_max & (1u << g)) || v > m->max[g])
        m->max[g] = v;
    m->has_max |= (uint8_t)(1u << g);
}

const struct fg_series_period *fg_series_period(const char *name)
{
    for (size_t i = 0; i < sizeof(series_periods) / sizeof(series_periods[0]); i++)
        if (!strcmp(series_periods[i].name, name))
            return &series_periods[i];
    return NULL;
}

void fg_series_merge(const struct fg_series *s, long long first_minute, int n_minutes, struct fg_series_point *pt)
{
    memset(pt, 0, sizeof(*pt));
    pt->t_ms = first_minute * FG_SERIES_MINUTE_MS;
    for (int g = 0; g < FG_SERIES_GAUGES; g++)
        pt->max[g] = -1;
    for (long long minute = first_minute; minute < first_minute + n_minutes; minute++) {
        const struct fg_series_minute *m;
        if (minute <= 0)
            continue;
        m = &s->m[minute % FG_SERIES_MINUTES];
        if (m->minute != (uint32_t)minute)
            continue;                     /* never written, or another day's: zeros */
        for (int c = 0; c < FG_SERIES_COUNTERS; c++)
            pt->count[c] += m->count[c];
        pt->duration_count += m->duration_count;
        pt->duration_sum_ms += m->duration_sum_ms;
        for (int g = 0; g < FG_SERIES_GAUGES; g++)
            if ((m->has_max & (1u << g)) && (long long)m->max[g] > pt->max[g])
                pt->max[g] = m->max[g];
        for (int b = 0; b < FG_SERIES_HIST; b++)
            pt->hist[b] += (unsigned long long)m->hist[b] << m->hist_shift;
    }
}

long long fg_series_first_minute(const struct fg_series_period *p, long long now_ms)
{
    long long now_minute = now_ms / FG_SERIES_MINUTE_MS;
    long long last = now_minute - now_minute % p->step_minutes;
    return last - (long long)(p->minutes / p->step_minutes - 1) * p->step_minutes;
}

double fg_series_quantile(const struct fg_series_point *pt, double q)
{
    unsigned long long total = 0, rank, seen = 0;
    double longest = pt->max[FG_SERIES_DURATION_MAX] >= 0 ? (double)pt->max[FG_SERIES_DURATION_MAX] / 1000 : -1;
    int b;

    for (b = 0; b < FG_SERIES_HIST; b++)
        total += pt->hist[b];
    if (!total)
        return -1;
    /* The smallest bin by which at least q of the samples are counted. */
    rank = (unsigned long long)ceil(q * (double)total);
    if (rank < 1)
        rank = 1;
    for (b = 0; b < FG_SERIES_HIST - 1; b++)
        if ((seen += pt->hist[b]) >= rank)
            break;
    if (longest >= 0 && (rank >= total || fg_series_bin_middle(b) > longest))
        return longest;
    return fg_series_bin_middle(b);
}
