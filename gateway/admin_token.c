/* SPDX-License-Identifier: MIT */
/* admin_token.c - see admin_token.h. */
#include "admin_token.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../core/log.h"

/* Reads the token file: its first line, trailing blanks dropped. 0, -ENOENT, or another
 * negative code with err filled. */
static int admin_token_read(const char *path, char out[FG_ADMIN_TOKEN_MAX + 1], struct fg_err *err)
{
    char buf[FG_ADMIN_TOKEN_MAX + 2];
    struct stat st;
    ssize_t n;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);

    if (fd < 0)
        return errno == ENOENT ? -ENOENT : fg_err_set(err, -errno, "admin.token_file %s: %s", path, strerror(errno));
    if (fstat(fd, &st) == 0 && (st.st_mode & 077))
        fg_log(FG_LOG_WARN, "admin", "%s can be read by other users (mode %03o): chmod 600 %s", path,
               (unsigned)(st.st_mode & 0777), path);
    n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    if (n < 0)
        return fg_err_set(err, -EIO, "admin.token_file %s: %s", path, strerror(errno));
    buf[n] = '\0';
    buf[strcspn(buf, "\r\n")] = '\0';
    n = (ssize_t)strlen(buf);
    while (n > 0 && (buf[n - 1] == ' ' || buf[n - 1] == '\t'))
        buf[--n] = '\0';
    if (n > FG_ADMIN_TOKEN_MAX)
        return fg_err_set(err, -EINVAL, "admin.token_file %s: the token is longer than %d characters", path,
                          FG_ADMIN_TOKEN_MAX);
    if (n < FG_ADMIN_TOKEN_MIN)
        return fg_err_set(err, -EINVAL, "admin.token_file %s: the token is shorter than %d characters", path,
                          FG_ADMIN_TOKEN_MIN);
    memcpy(out, buf, (size_t)n + 1);
    return 0;
}

/* Makes the default token file: written to a temporary name, then linked into place, so a
 * reader never sees half a token and a racing gateway's token wins or ours does. */
static int admin_token_make(const char *path, struct fg_err *err)
{
    unsigned char raw[32];
    char hex[sizeof(raw) * 2 + 2], tmp[4200], dir[4096];
    char *slash;
    int fd, rc = 0;

    snprintf(dir, sizeof(dir), "%s", path);
    if ((slash = strrchr(dir, '/')) && slash != dir) {
        *slash = '\0';
        if (mkdir(dir, 0700) < 0 && errno != EEXIST)
            return fg_err_set(err, -errno, "cannot create %s for the admin token: %s", dir, strerror(errno));
    }
    if (getrandom(raw, sizeof(raw), 0) != (ssize_t)sizeof(raw))
        return fg_err_set(err, -EIO, "cannot make an admin token: getrandom failed");
    for (size_t i = 0; i < sizeof(raw); i++)
        snprintf(hex + 2 * i, 3, "%02x", raw[i]);
    strcat(hex, "\n");
    snprintf(tmp, sizeof(tmp), "%s.%ld.tmp", path, (long)getpid());
    if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) < 0)
        return fg_err_set(err, -errno, "cannot create %s: %s", tmp, strerror(errno));
    if (write(fd, hex, strlen(hex)) != (ssize_t)strlen(hex) || fsync(fd) < 0)
        rc = fg_err_set(err, -EIO, "cannot write %s: %s", tmp, strerror(errno));
    close(fd);
    if (rc == 0 && link(tmp, path) < 0 && errno != EEXIST)
        rc = fg_err_set(err, -errno, "cannot create %s: %s", path, strerror(errno));
    unlink(tmp);
    if (rc == 0)
        fg_log(FG_LOG_INFO, "admin", "made an admin token in %s (mode 0600)", path);
    return rc;
}

int fg_admin_token_load(const struct fg_conf_admin *a, bool create, char out[FG_ADMIN_TOKEN_MAX + 1],
                        struct fg_err *err)
{
    int rc;

    out[0] = '\0';
    if (a->token) {
        if (strlen(a->token) > FG_ADMIN_TOKEN_MAX)
            return fg_err_set(err, -EINVAL, "admin.token: longer than %d characters", FG_ADMIN_TOKEN_MAX);
        snprintf(out, FG_ADMIN_TOKEN_MAX + 1, "%s", a->token);
        return 0;
    }
    if (!a->token_file)
        return fg_err_set(err, -EINVAL, "no admin token: set admin.token or admin.token_file");
    rc = admin_token_read(a->token_file, out, err);
    if (rc != -ENOENT)
        return rc;
    if (!create || !a->token_file_default)
        return fg_err_set(err, -ENOENT, "admin token file %s does not exist%s", a->token_file,
                          a->token_file_default ? " (the gateway makes it on its first start)" : "");
    if ((rc = admin_token_make(a->token_file, err)) < 0)
        return rc;
    return admin_token_read(a->token_file, out, err);
}

bool fg_admin_token_equal(const char *token, const char *got, size_t n)
{
    size_t len = strlen(token);
    unsigned diff = len != n;
    for (size_t i = 0; i < len; i++)        /* no early exit: the time says nothing */
        diff |= (unsigned)(token[i] ^ (i < n ? got[i] : 0));
    return diff == 0;
}
