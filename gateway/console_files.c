/* SPDX-License-Identifier: MIT */
/* console_files.c - the console's static files (see console.h): found once, served by name.
 *
 * Only a checked name is served: one path segment of [A-Za-z0-9_-] and a known extension,
 * opened with O_NOFOLLOW under the console directory, so no URI reaches outside it. Every
 * file answers with no-cache (a new fngate's files are picked up at once), a CSP of
 * default-src 'self' (the pages have no inline script or style) and X-Frame-Options: DENY. */
#include "console.h"
#include "console_int.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../core/log.h"
#include "../router/runtimes.h"

#define CONSOLE_FILE_MAX (4u << 20)     /* bytes: a console file is far smaller */

void fg_console_locate(struct fg_console *c)
{
    const char *env = getenv("FNGATE_CONSOLE_DIR");
    char dir[PATH_MAX];

    if (env && *env)
        snprintf(dir, sizeof(dir), "%s", env);
    else if (!fg_runtimes_installed("console", dir))
        snprintf(dir, sizeof(dir), "%s", FG_CONSOLE_DIR);
    if (!realpath(dir, c->dir) || access(c->dir, R_OK | X_OK) < 0) {
        fg_log(FG_LOG_WARN, "admin", "console directory %s: %s; the console is not served (set FNGATE_CONSOLE_DIR)",
               dir, strerror(errno));
        c->dir[0] = '\0';
    }
}

/* The Content-Type of a file name's extension; NULL for one the console does not serve. */
static const char *files_type(const char *name)
{
    static const struct { const char *ext, *type; } types[] = {
        { ".html", "text/html; charset=utf-8" },
        { ".js", "text/javascript; charset=utf-8" },
        { ".css", "text/css; charset=utf-8" },
        { ".svg", "image/svg+xml" },
    };
    const char *dot = strchr(name, '.');
    if (!dot || dot == name || strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-") !=
                                   (size_t)(dot - name))
        return NULL;
    for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
        if (!strcmp(dot, types[i].ext))
            return types[i].type;
    return NULL;
}

/* Queues a response with the headers every console answer has. Takes resp. */
static enum MHD_Result files_queue(struct MHD_Connection *conn, unsigned status, struct MHD_Response *resp,
                                   const char *type)
{
    enum MHD_Result rc;
    if (!resp)
        return MHD_NO;
    MHD_add_response_header(resp, "Content-Type", type);
    MHD_add_response_header(resp, "Cache-Control", "no-cache");
    MHD_add_response_header(resp, "Content-Security-Policy", "default-src 'self'; frame-ancestors 'none'");
    MHD_add_response_header(resp, "X-Frame-Options", "DENY");
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
    rc = MHD_queue_response(conn, status, resp);
    MHD_destroy_response(resp);
    return rc;
}

static enum MHD_Result files_text(struct MHD_Connection *conn, unsigned status, const char *text)
{
    return files_queue(conn, status, MHD_create_response_from_buffer(strlen(text), (void *)text,
                                                                     MHD_RESPMEM_MUST_COPY),
                       "text/plain; charset=utf-8");
}

enum MHD_Result fg_console_serve(struct fg_console *c, struct MHD_Connection *conn, const char *raw_uri)
{
    char name[128], path[PATH_MAX + 160];
    size_t n = strcspn(raw_uri, "?#");
    const char *type;
    struct stat st;
    int fd;

    if (n == 9 && !strncmp(raw_uri, "/console/", 9)) {
        snprintf(name, sizeof(name), "index.html");
    } else if (n <= 9) {                   /* "/", "/console": to the app */
        struct MHD_Response *r = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
        if (r)
            MHD_add_response_header(r, "Location", "/console/");
        return files_queue(conn, 302, r, "text/plain; charset=utf-8");
    } else if (n - 9 >= sizeof(name)) {
        return files_text(conn, 404, "no such console file\n");
    } else {
        memcpy(name, raw_uri + 9, n - 9);
        name[n - 9] = '\0';
    }
    if (!(type = files_type(name)))
        return files_text(conn, 404, "no such console file\n");
    if (!c->dir[0])
        return files_text(conn, 404, "the console's files were not found at start (see the gateway log)\n");
    snprintf(path, sizeof(path), "%s/%s", c->dir, name);
    if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0)
        return files_text(conn, 404, "no such console file\n");
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > CONSOLE_FILE_MAX) {
        close(fd);
        return files_text(conn, 404, "no such console file\n");
    }
    struct MHD_Response *r = MHD_create_response_from_fd((uint64_t)st.st_size, fd);   /* owns fd */
    if (!r)
        close(fd);
    return files_queue(conn, 200, r, type);
}
