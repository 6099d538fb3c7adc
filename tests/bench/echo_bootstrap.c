/* SPDX-License-Identifier: MIT */
/* echo_bootstrap.c - the smallest useful Lambda runtime: a `provided` bootstrap in C that
 * answers every event with {"statusCode":200,"body":"hello"} over the Runtime API.
 *
 * Used by the benchmark (the gateway's own ceiling, with no interpreter in the way) and by
 * integration tests. Plain sockets and HTTP/1.1 keep-alive, each answer pipelined with the
 * next /next; no dependencies.
 *
 * With ECHO_COUNT_DIR set (the benchmarks), the worker keeps DIR/<pid> holding how many
 * events it took, or, with ECHO_COUNT set too, how many times that string occurs in them
 * (one per record of a batch, e.g. "\"messageId\""): a count of the work the function did
 * that does not come from the gateway's own counters. It is written before the answer, so
 * it is complete once the gateway has seen the last answer. */
/* memmem needs _GNU_SOURCE, which the build defines for every file */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

static char buf[8 << 20];
static size_t have;         /* bytes in buf */
static size_t used;         /* of which the last response returned took this many */

/* Reads one response; returns body length (body at *body, valid until the next call) or -1.
 * Request id into id. Bytes past the response (a pipelined one) stay for the next call. */
static long read_response(int fd, char **body, char *id, size_t idsz)
{
    long clen = -1;
    char *hend;

    memmove(buf, buf + used, have - used);
    have -= used;
    used = 0;
    for (;;) {
        buf[have] = '\0';
        if ((hend = strstr(buf, "\r\n\r\n")))
            break;
        ssize_t n = read(fd, buf + have, sizeof(buf) - 1 - have);
        if (n <= 0)
            return -1;
        have += (size_t)n;
    }
    for (char *l = strstr(buf, "\r\n") + 2; l < hend; l = strstr(l, "\r\n") + 2) {
        if (!strncasecmp(l, "Content-Length:", 15))
            clen = atol(l + 15);
        else if (id && !strncasecmp(l, "Lambda-Runtime-Aws-Request-Id:", 30)) {
            char *v = l + 30, *e = strstr(l, "\r\n");
            while (*v == ' ')
                v++;
            snprintf(id, idsz, "%.*s", (int)(e - v), v);
        }
    }
    if (clen < 0)
        clen = 0;
    while ((long)(have - (size_t)(hend + 4 - buf)) < clen) {
        ssize_t n = read(fd, buf + have, sizeof(buf) - 1 - have);
        if (n <= 0)
            return -1;
        have += (size_t)n;
    }
    *body = hend + 4;
    used = (size_t)(hend + 4 - buf) + (size_t)clen;
    return clen;
}

/* How many times pat occurs in s[0..len) (non-overlapping); 1 without a pattern. */
static long count_in(const char *s, size_t len, const char *pat)
{
    size_t plen = pat ? strlen(pat) : 0;
    long n = 0;
    if (!plen)
        return 1;
    for (const char *p = s; (p = memmem(p, len - (size_t)(p - s), pat, plen)); p += plen)
        n++;
    return n;
}

int main(void)
{
    const char *api = getenv("AWS_LAMBDA_RUNTIME_API");
    const char *count_dir = getenv("ECHO_COUNT_DIR"), *count_pat = getenv("ECHO_COUNT");
    const char *answer = "{\"statusCode\":200,\"body\":\"hello\"}";
    struct sockaddr_in sa;
    char req[512], id[128], *body;
    int fd, one = 1, count_fd = -1;
    long counted = 0;

    if (!api || !strchr(api, ':'))
        return 1;
    if (count_dir) {
        snprintf(req, sizeof(req), "%s/%ld", count_dir, (long)getpid());
        if ((count_fd = open(req, O_WRONLY | O_CREAT | O_TRUNC, 0644)) < 0)
            return 1;
    }
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_port = htons((unsigned short)atoi(strchr(api, ':') + 1));
    inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
    if ((fd = socket(AF_INET, SOCK_STREAM, 0)) < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
        return 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    /* The first /next alone; then each answer and the next /next in one write (HTTP/1.1
     * pipelining, as the bundled runtimes do): one round trip per event. */
    int n = snprintf(req, sizeof(req), "GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\nHost: %s\r\n\r\n", api);
    if (write(fd, req, (size_t)n) != n)
        return 1;
    for (;;) {
        long len;
        if ((len = read_response(fd, &body, id, sizeof(id))) < 0)
            return 1;
        if (count_fd >= 0) {
            /* the number only grows, so writing it over the old one at offset 0 leaves no tail */
            char num[32];
            int k;
            counted += count_in(body, (size_t)len, count_pat);
            k = snprintf(num, sizeof(num), "%ld\n", counted);
            if (pwrite(count_fd, num, (size_t)k, 0) != k)
                return 1;
        }
        n = snprintf(req, sizeof(req),
                     "POST /2018-06-01/runtime/invocation/%s/response HTTP/1.1\r\nHost: %s\r\n"
                     "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s"
                     "GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\nHost: %s\r\n\r\n",
                     id, api, strlen(answer), answer, api);
        if (write(fd, req, (size_t)n) != n || read_response(fd, &body, NULL, 0) < 0)
            return 1;
    }
}
