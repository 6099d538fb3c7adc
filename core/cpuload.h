/* SPDX-License-Identifier: MIT */
/* cpuload.h - how busy the machine's cores are: the router's "is there headroom to start
 * another worker?" signal (router/pool.c).
 *
 * Reads the aggregate line of /proc/stat and keeps the busy fraction between two samples
 * at least min_us apart, so callers may ask on every decision and pay a read a few times a
 * second. Any thread, but not locked: one owner (the router's loop thread). Tests:
 * tests/unit/test_router.c (parsing). */
#ifndef FG_CPULOAD_H
#define FG_CPULOAD_H

#include <stdbool.h>

struct fg_cpuload {
    unsigned long long busy, total;   /* jiffies at the last sample */
    long long sampled_us;             /* monotonic time of the last sample; 0 none */
    double busy_frac;                 /* 0..1 over the last interval; 0 until two samples */
    int cores;                        /* online cores this process may run on (>= 1) */
};

/* Caller-embedded; counts the cores and takes the first sample. */
void fg_cpuload_init(struct fg_cpuload *c);

/* The busy fraction (0..1) of the last interval, resampled when the last sample is older
 * than min_us. Stays at its last value when /proc/stat cannot be read. */
double fg_cpuload_busy(struct fg_cpuload *c, long long now_us, long long min_us);

/* Parses /proc/stat's first line ("cpu  user nice system idle iowait irq softirq steal
 * ...") into busy and total jiffies. 0, or -EINVAL. Pure; exposed for tests. */
int fg_cpuload_parse(const char *line, unsigned long long *busy, unsigned long long *total);

#endif
