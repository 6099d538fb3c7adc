/* SPDX-License-Identifier: MIT */
/* cpuload.c - machine CPU busy fraction from /proc/stat (see cpuload.h). */
#include "cpuload.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int fg_cpuload_parse(const char *line, unsigned long long *busy, unsigned long long *total)
{
    unsigned long long v[8] = { 0 };
    int n;

    if (strncmp(line, "cpu ", 4))
        return -EINVAL;
    n = sscanf(line + 4, "%llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5],
               &v[6], &v[7]);
    if (n < 4)
        return -EINVAL;
    *total = 0;
    for (int i = 0; i < 8; i++)
        *total += v[i];
    *busy = *total - v[3] - v[4];     /* everything but idle and iowait */
    return 0;
}

static int cpuload_read(unsigned long long *busy, unsigned long long *total)
{
    char line[512];
    ssize_t n;
    int fd = open("/proc/stat", O_RDONLY | O_CLOEXEC);

    if (fd < 0)
        return -errno;
    n = read(fd, line, sizeof(line) - 1);
    close(fd);
    if (n <= 0)
        return -EIO;
    line[n] = '\0';
    return fg_cpuload_parse(line, busy, total);
}

void fg_cpuload_init(struct fg_cpuload *c)
{
    cpu_set_t set;

    memset(c, 0, sizeof(*c));
    c->cores = sched_getaffinity(0, sizeof(set), &set) == 0 ? CPU_COUNT(&set) : (int)sysconf(_SC_NPROCESSORS_ONLN);
    if (c->cores < 1)
        c->cores = 1;
    cpuload_read(&c->busy, &c->total);
}

double fg_cpuload_busy(struct fg_cpuload *c, long long now_us, long long min_us)
{
    unsigned long long busy, total;

    if (c->sampled_us && now_us - c->sampled_us < min_us)
        return c->busy_frac;
    if (cpuload_read(&busy, &total) < 0)
        return c->busy_frac;
    if (total > c->total && busy >= c->busy && c->sampled_us)
        c->busy_frac = (double)(busy - c->busy) / (double)(total - c->total);
    c->busy = busy;
    c->total = total;
    c->sampled_us = now_us;
    return c->busy_frac;
}
