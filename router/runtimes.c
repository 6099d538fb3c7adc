/* SPDX-License-Identifier: MIT */
/* runtimes.c - the runtime directory: override, installed layout, build tree (runtimes.h). */
#include "runtimes.h"

#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The bootstrap each runtime needs, relative to the directory; NULL: none (provided). */
static const char *runtimes_bootstrap(enum fg_runtime rt)
{
    switch (rt) {
    case FG_RUNTIME_PYTHON3:
        return "python/bootstrap.py";
    case FG_RUNTIME_NODEJS:
        return "node/bootstrap.js";
    case FG_RUNTIME_EXEC:
        return "exec/bootstrap.py";
    case FG_RUNTIME_RUBY:
        return "ruby/bootstrap.rb";
    case FG_RUNTIME_PROVIDED:
    case FG_RUNTIME_JAVA:
    case FG_RUNTIME_GO:
        break;
    }
    return NULL;
}

int fg_runtimes_installed(const char *sub, char *out)
{
    char exe[PATH_MAX], *dir;
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    if (n <= 0)
        return 0;
    exe[n] = '\0';
    dir = dirname(exe);
    if (strcmp(basename(dir), "bin"))
        return 0;
    snprintf(out, PATH_MAX, "%s/../share/fngate/%s", dir, sub);
    return 1;
}

int fg_runtimes_locate(const struct fg_config *conf, char *out, struct fg_err *err)
{
    const char *env = getenv("FNGATE_RUNTIME_DIR");
    const char *why = env && *env ? "FNGATE_RUNTIME_DIR" : NULL;
    char resolved[PATH_MAX];

    if (why)
        snprintf(out, PATH_MAX, "%s", env);
    else if (fg_runtimes_installed("runtimes", out))
        why = "installed beside the binary";
    else
        snprintf(out, PATH_MAX, "%s", FG_RUNTIME_DIR), why = "the build tree's";
    if (!realpath(out, resolved) || access(resolved, R_OK | X_OK) < 0)
        return fg_err_set(err, -errno, "runtime directory %s (%s): %s; set FNGATE_RUNTIME_DIR to the bundled "
                          "bootstraps' directory", out, why, strerror(errno));
    snprintf(out, PATH_MAX, "%s", resolved);
    for (size_t i = 0; conf && i < conf->n_functions; i++) {
        const char *boot = runtimes_bootstrap(conf->functions[i].runtime);
        char path[PATH_MAX + 32];
        if (!boot)
            continue;
        snprintf(path, sizeof(path), "%s/%s", out, boot);
        if (access(path, R_OK) < 0)
            return fg_err_set(err, -errno, "function %s: its runtime's bootstrap %s: %s", conf->functions[i].name,
                              path, strerror(errno));
    }
    return 0;
}
