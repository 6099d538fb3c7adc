/* SPDX-License-Identifier: MIT */
/* mhd_stop.c - two-step libmicrohttpd shutdown (see mhd_stop.h). */
#include "mhd_stop.h"

#include <unistd.h>

void fg_mhd_quiesce(struct MHD_Daemon *d, MHD_socket *fd)
{
    if (d && *fd == MHD_INVALID_SOCKET)
        *fd = MHD_quiesce_daemon(d);
}

void fg_mhd_stop(struct MHD_Daemon *d, MHD_socket fd)
{
    if (d)
        MHD_stop_daemon(d);
    if (fd != MHD_INVALID_SOCKET)
        close(fd);
}
