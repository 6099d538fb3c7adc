/* SPDX-License-Identifier: MIT */
/* sockdiag.h - who owns the other end of a loopback TCP connection, asked of the kernel.
 *
 * A worker's Runtime API listens on 127.0.0.1, where any local process can connect; the
 * port is no secret (it is in the worker's environment, readable in /proc). Accepting a
 * connection tells the address and port of the client's socket but not who holds it, so
 * the kernel's socket diagnostics (NETLINK_SOCK_DIAG, inet_diag_req_v2 with the exact
 * 4-tuple, no dump) are asked for that socket's owner uid: the uid of the process that
 * created it, which a worker running as its own uid cannot forge. Needs no privilege.
 *
 * DESIGN: one netlink socket per user of this module, kept open (a query is one sendto and
 * one recv answered synchronously by the kernel, ~10 µs); IPv4 only, as the Runtime API
 * listens on 127.0.0.1, though the client's socket may be a dual-stack IPv6 one connected to
 * an IPv4-mapped address (Java's default), which the kernel reports as AF_INET6 with
 * ::ffff:127.0.0.1. The query sees sockets of fngate's own network namespace: a client
 * in another namespace is not found (-ENOENT), which a caller refusing unknown peers treats
 * as a stranger. Any thread, one query at a time per struct. Tests:
 * tests/integration/test_runtime_api_abuse.py (a process of another uid is refused). */
#ifndef FG_SOCKDIAG_H
#define FG_SOCKDIAG_H

#include <sys/types.h>

#include "err.h"

/* Caller-embedded. */
struct fg_sockdiag {
    int fd;                          /* NETLINK_SOCK_DIAG; -1 until opened */
    unsigned seq;
};

/* No socket yet; fg_sockdiag_close is safe from here on. */
void fg_sockdiag_init(struct fg_sockdiag *d);

/* Opens the netlink socket. 0 or -errno with err filled. */
int fg_sockdiag_open(struct fg_sockdiag *d, struct fg_err *err) FG_MUST_CHECK;

/* The uid owning the client's socket of conn_fd, a TCP connection this process accepted on
 * an IPv4 address. 0 with *uid set; -ENOENT when no such socket is found (it closed
 * already, or lives in another network namespace); -EAFNOSUPPORT if conn_fd is not IPv4;
 * another -errno if the kernel could not be asked. Borrows conn_fd. */
int fg_sockdiag_peer_uid(struct fg_sockdiag *d, int conn_fd, uid_t *uid) FG_MUST_CHECK;

/* Closes the socket. Idempotent. */
void fg_sockdiag_close(struct fg_sockdiag *d);

#endif
