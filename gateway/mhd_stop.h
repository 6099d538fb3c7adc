/* SPDX-License-Identifier: MIT */
/* mhd_stop.h - stopping a libmicrohttpd daemon in two steps: quiesce (no new connections,
 * requests under way go on), then stop.
 *
 * Both listeners (the front door and the S3 endpoint) stop this way. Quiescing hands the
 * listen socket to the caller, but MHD's threads may still be taking it out of their epoll
 * sets, so it is closed only after MHD_stop_daemon (closing it at once made MHD abort with
 * "Failed to remove listen FD from epoll set"). */
#ifndef FG_MHD_STOP_H
#define FG_MHD_STOP_H

#include <microhttpd.h>

/* Stops accepting on d (NULL allowed). *fd receives the listen socket, which the caller
 * owns until fg_mhd_stop closes it (MHD_INVALID_SOCKET when there is none). */
void fg_mhd_quiesce(struct MHD_Daemon *d, MHD_socket *fd);

/* Stops d (NULL allowed), then closes fd from fg_mhd_quiesce (MHD_INVALID_SOCKET: none). */
void fg_mhd_stop(struct MHD_Daemon *d, MHD_socket fd);

#endif
