/* SPDX-License-Identifier: MIT */
/* stamp.c - the trivial handler of schedule.sh's baseline scheduler: one process per fire
 * (cron's and systemd timers' model) that appends "NAME SECONDS.MICROSECONDS" (its start,
 * CLOCK_REALTIME) to the file named by STAMP_LOG, in one O_APPEND write. Compiled by the
 * script itself (cc), as it is not part of fngate. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    struct timespec now;
    char line[256];
    const char *log = getenv("STAMP_LOG");
    int fd, n;

    clock_gettime(CLOCK_REALTIME, &now);
    if (!log || (fd = open(log, O_WRONLY | O_APPEND | O_CREAT, 0644)) < 0)
        return 1;
    n = snprintf(line, sizeof(line), "%s %lld.%06ld\n", argc > 1 ? argv[1] : "-", (long long)now.tv_sec,
                 now.tv_nsec / 1000);
    return write(fd, line, (size_t)n) == n ? 0 : 1;
}
