/* SPDX-License-Identifier: MIT */
/* sockdiag.c - the owner uid of a loopback TCP connection's client socket (see sockdiag.h). */

#include "sockdiag.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* TCP_TIME_WAIT and TCP_LISTEN in the kernel's numbering (include/net/tcp_states.h). */
#define SOCKDIAG_TCP_TIME_WAIT 6
#define SOCKDIAG_TCP_LISTEN    10

void fg_sockdiag_init(struct fg_sockdiag *d)
{
    d->fd = -1;
    d->seq = 0;
}

int fg_sockdiag_open(struct fg_sockdiag *d, struct fg_err *err)
{
    struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
    int fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);

    if (fd < 0)
        return fg_err_set(err, -errno, "socket diagnostics: socket: %s", strerror(errno));
    if (connect(fd, (struct sockaddr *)&kernel, sizeof(kernel)) < 0) {
        int e = errno;
        close(fd);
        return fg_err_set(err, -e, "socket diagnostics: connect: %s", strerror(e));
    }
    d->fd = fd;
    return 0;
}

/* Whether an answer's address is addr: an IPv4 socket's, or a dual-stack IPv6 socket's
 * connected to an IPv4 address (::ffff:a.b.c.d), as Java's HttpURLConnection makes them by
 * default. The kernel finds both for an AF_INET query (an IPv4-mapped connection is hashed
 * with the IPv4 ones) and reports each in its own family. */
static bool sockdiag_same_addr(unsigned char family, const __be32 a[4], in_addr_t addr)
{
    if (family == AF_INET)
        return a[0] == addr;
    return family == AF_INET6 && a[0] == 0 && a[1] == 0 && a[2] == htonl(0xffff) && a[3] == addr;
}

int fg_sockdiag_peer_uid(struct fg_sockdiag *d, int conn_fd, uid_t *uid)
{
    struct sockaddr_in local, peer;
    socklen_t llen = sizeof(local), plen = sizeof(peer);
    struct {
        struct nlmsghdr nlh;
        struct inet_diag_req_v2 req;
    } q;
    union {
        struct nlmsghdr nlh;
        char bytes[8192];
    } a;
    ssize_t n;

    if (d->fd < 0)
        return -EBADF;
    if (getsockname(conn_fd, (struct sockaddr *)&local, &llen) < 0 ||
        getpeername(conn_fd, (struct sockaddr *)&peer, &plen) < 0)
        return errno == ENOTCONN ? -ENOENT : -errno;
    if (local.sin_family != AF_INET || peer.sin_family != AF_INET)
        return -EAFNOSUPPORT;
    /* The client's socket: its own address is our peer's, its remote ours. */
    memset(&q, 0, sizeof(q));
    q.nlh.nlmsg_len = sizeof(q);
    q.nlh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
    q.nlh.nlmsg_flags = NLM_F_REQUEST;
    q.nlh.nlmsg_seq = ++d->seq;
    q.req.sdiag_family = AF_INET;
    q.req.sdiag_protocol = IPPROTO_TCP;
    q.req.idiag_states = ~(1u << SOCKDIAG_TCP_LISTEN);
    q.req.id.idiag_sport = peer.sin_port;
    q.req.id.idiag_dport = local.sin_port;
    q.req.id.idiag_src[0] = peer.sin_addr.s_addr;
    q.req.id.idiag_dst[0] = local.sin_addr.s_addr;
    q.req.id.idiag_cookie[0] = INET_DIAG_NOCOOKIE;
    q.req.id.idiag_cookie[1] = INET_DIAG_NOCOOKIE;
    do {
        n = send(d->fd, &q, sizeof(q), 0);
    } while (n < 0 && errno == EINTR);
    if (n < 0)
        return -errno;
    /* The kernel answers within the send; a stale answer (an earlier query's, left by an
     * error) is skipped by its sequence number. */
    for (;;) {
        const struct nlmsghdr *h;
        do {
            n = recv(d->fd, &a, sizeof(a), MSG_DONTWAIT);
        } while (n < 0 && errno == EINTR);
        if (n < 0)
            return errno == EAGAIN ? -ETIMEDOUT : -errno;
        for (h = &a.nlh; NLMSG_OK(h, (size_t)n); h = NLMSG_NEXT(h, n)) {
            if (h->nlmsg_seq != q.nlh.nlmsg_seq)
                continue;
            if (h->nlmsg_type == NLMSG_ERROR) {
                const struct nlmsgerr *e = NLMSG_DATA(h);
                if (h->nlmsg_len < NLMSG_LENGTH(sizeof(*e)))
                    return -EPROTO;
                return e->error ? e->error : -ENOENT;
            }
            if (h->nlmsg_type == SOCK_DIAG_BY_FAMILY) {
                const struct inet_diag_msg *m = NLMSG_DATA(h);
                if (h->nlmsg_len < NLMSG_LENGTH(sizeof(*m)))
                    return -EPROTO;
                /* Exactly the socket asked for, never a listener found in its place, nor
                 * a TIME_WAIT one (it has no owner: its uid reads 0). */
                if (m->idiag_state == SOCKDIAG_TCP_LISTEN || m->idiag_state == SOCKDIAG_TCP_TIME_WAIT ||
                    m->id.idiag_sport != peer.sin_port || m->id.idiag_dport != local.sin_port ||
                    !sockdiag_same_addr(m->idiag_family, m->id.idiag_src, peer.sin_addr.s_addr) ||
                    !sockdiag_same_addr(m->idiag_family, m->id.idiag_dst, local.sin_addr.s_addr))
                    return -ENOENT;
                *uid = m->idiag_uid;
                return 0;
            }
            if (h->nlmsg_type == NLMSG_DONE)
                return -ENOENT;
        }
    }
}

void fg_sockdiag_close(struct fg_sockdiag *d)
{
    if (d->fd >= 0)
        close(d->fd);
    d->fd = -1;
}
