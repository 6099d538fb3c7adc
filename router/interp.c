/* SPDX-License-Identifier: MIT */
/* interp.c - the machine's interpreter for a runtime name (interp.h).
 *
 * Versions are read without running anything where the file system tells: Debian names
 * its Python and Ruby binaries by version (/usr/bin/python3 -> python3.11) and a JDK's
 * `release` file says JAVA_VERSION. Only Node.js has to be asked (`node --version`), once
 * per process. Interpreters are looked for where workers look (their PATH is the system's,
 * router/worker.c), except Node.js, found on fngate's own PATH as before. */
#include "interp.h"

#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <libgen.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

#define INTERP_CACHE 32
#define INTERP_WORKER_PATH "/usr/local/bin:/usr/bin:/bin"

struct interp_entry {
    char name[32];           /* the runtime as written */
    struct fg_interp found;
    bool warned;             /* the warning was handed out once */
};

static struct interp_entry interp_cache[INTERP_CACHE];
static size_t interp_n;

/* name on path (a colon-separated list) into out (PATH_MAX); false when none is executable. */
static bool interp_which(const char *name, const char *path, char *out)
{
    char dirs[4096];
    snprintf(dirs, sizeof(dirs), "%s", path);
    for (char *save = NULL, *d = strtok_r(dirs, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
        snprintf(out, PATH_MAX, "%s/%s", d, name);
        if (access(out, X_OK) == 0)
            return true;
    }
    out[0] = '\0';
    return false;
}

/* The version in the name path resolves to after prefix ("python3.11" -> "3.11"). */
static void interp_version_from_name(const char *path, const char *prefix, char *out, size_t size)
{
    char real[PATH_MAX];
    const char *base;
    out[0] = '\0';
    if (!realpath(path, real))
        return;
    base = strrchr(real, '/') ? strrchr(real, '/') + 1 : real;
    if (!strncmp(base, prefix, strlen(prefix)) && base[strlen(prefix)])
        snprintf(out, size, "%s", base + strlen(prefix));
}

/* JAVA_VERSION of the JDK whose `release` file is path, as Lambda numbers it ("1.8.0_392"
 * is 8, "17.0.15" is 17). */
static void interp_java_release(const char *path, char *out, size_t size)
{
    char line[256];
    FILE *f = fopen(path, "r");
    out[0] = '\0';
    if (!f)
        return;
    while (fgets(line, sizeof(line), f)) {
        int major, minor;
        if (strncmp(line, "JAVA_VERSION=\"", 14) || sscanf(line + 14, "%d.%d", &major, &minor) < 1)
            continue;
        snprintf(out, size, "%d", major == 1 ? minor : major);
        break;
    }
    fclose(f);
}

/* `node --version` without the "v" ("20.20.2"); "" when it cannot be run. */
static void interp_node_version(const char *node, char *out, size_t size)
{
    char *argv[] = { (char *)node, "--version", NULL };
    posix_spawn_file_actions_t fa;
    int fds[2], status;
    pid_t pid;
    ssize_t n;
    size_t got = 0;
    char buf[64];

    out[0] = '\0';
    if (pipe2(fds, O_CLOEXEC) < 0)
        return;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
    if (posix_spawn(&pid, node, &fa, NULL, argv, environ) != 0)
        pid = -1;
    posix_spawn_file_actions_destroy(&fa);
    close(fds[1]);
    while (pid > 0 && got < sizeof(buf) - 1 && (n = read(fds[0], buf + got, sizeof(buf) - 1 - got)) > 0)
        got += (size_t)n;
    close(fds[0]);
    if (pid > 0)
        (void)waitpid(pid, &status, 0);
    buf[got] = '\0';
    buf[strcspn(buf, "\r\n")] = '\0';
    if (buf[0] == 'v')
        snprintf(out, size, "%s", buf + 1);
}

/* Does installed ("3.11", "20.20.2") satisfy want ("3.12", "20")? want's parts, in order. */
static bool interp_version_matches(const char *want, const char *installed)
{
    size_t n = strlen(want);
    return !strncmp(installed, want, n) && (installed[n] == '\0' || installed[n] == '.');
}

/* Debian names interpreters by version (python3.12, ruby3.3): PREFIXWANT on the workers'
 * PATH into out. false when want is NULL or that version is not installed. */
static bool interp_exact(const char *prefix, const char *want, struct fg_interp *out)
{
    char name[64];
    if (!want)
        return false;
    snprintf(name, sizeof(name), "%s%s", prefix, want);
    if (!interp_which(name, INTERP_WORKER_PATH, out->path))
        return false;
    snprintf(out->version, sizeof(out->version), "%s", want);
    return true;
}

static int interp_missing(struct fg_err *err, const struct fg_conf_function *fn, const char *lang, const char *pkg)
{
    return fg_err_set(err, -ENOENT, "function %s: runtime %s needs %s, which is not installed (apt install %s)",
                      fn->name, fn->runtime_written ? fn->runtime_written : fg_conf_runtime_name(fn->runtime),
                      lang, pkg);
}

static int interp_lookup(const struct fg_conf_function *fn, struct fg_interp *out, struct fg_err *err)
{
    const char *want = fn->runtime_version;
    const char *lang = NULL;

    memset(out, 0, sizeof(*out));
    switch (fn->runtime) {
    case FG_RUNTIME_PYTHON3:
    case FG_RUNTIME_EXEC:
        lang = "Python";
        if (interp_exact("python", want, out))
            return 0;
        if (access("/usr/bin/python3", X_OK) < 0)
            return interp_missing(err, fn, "Python 3", "python3");
        snprintf(out->path, sizeof(out->path), "/usr/bin/python3");
        interp_version_from_name(out->path, "python", out->version, sizeof(out->version));
        break;
    case FG_RUNTIME_NODEJS: {
        const char *path = getenv("PATH");
        lang = "Node.js";
        if (!interp_which("node", path ? path : INTERP_WORKER_PATH, out->path))
            return interp_missing(err, fn, "Node.js ('node' on PATH)", "nodejs");
        interp_node_version(out->path, out->version, sizeof(out->version));
        break;
    }
    case FG_RUNTIME_RUBY:
        lang = "Ruby";
        if (interp_exact("ruby", want, out))
            return 0;
        if (!interp_which("ruby", INTERP_WORKER_PATH, out->path))
            return interp_missing(err, fn, "Ruby", "ruby");
        interp_version_from_name(out->path, "ruby", out->version, sizeof(out->version));
        break;
    case FG_RUNTIME_JAVA: {
        glob_t g;
        char release[PATH_MAX], ver[32], real[PATH_MAX];
        lang = "Java";
        if (want && glob("/usr/lib/jvm/*/release", 0, NULL, &g) == 0) {
            for (size_t i = 0; i < g.gl_pathc; i++) {
                interp_java_release(g.gl_pathv[i], ver, sizeof(ver));
                snprintf(out->path, sizeof(out->path), "%.*s/bin/java", (int)(strlen(g.gl_pathv[i]) - 8), g.gl_pathv[i]);
                if (!strcmp(ver, want) && access(out->path, X_OK) == 0) {
                    snprintf(out->version, sizeof(out->version), "%s", ver);
                    globfree(&g);
                    return 0;
                }
            }
            globfree(&g);
        }
        if (!interp_which("java", INTERP_WORKER_PATH, out->path))
            return interp_missing(err, fn, "Java", "default-jre-headless");
        if (realpath(out->path, real)) {   /* JDK/bin/java: JDK/release */
            snprintf(release, sizeof(release), "%s/release", dirname(dirname(real)));
            interp_java_release(release, out->version, sizeof(out->version));
        }
        break;
    }
    case FG_RUNTIME_PROVIDED:
    case FG_RUNTIME_GO:
        return 0;
    }
    if (want && !interp_version_matches(want, out->version))
        snprintf(out->warning, sizeof(out->warning),
                 "runtime %s: %s %s is not installed; using %s %s (%s)", fn->runtime_written, lang, want, lang,
                 out->version[0] ? out->version : "of unknown version", out->path);
    return 0;
}

int fg_interp_find(const struct fg_conf_function *fn, struct fg_interp *out, struct fg_err *err)
{
    const char *key = fn->runtime_written ? fn->runtime_written : fg_conf_runtime_name(fn->runtime);
    int rc;

    for (size_t i = 0; i < interp_n; i++)
        if (!strcmp(interp_cache[i].name, key)) {
            *out = interp_cache[i].found;
            if (interp_cache[i].warned)
                out->warning[0] = '\0';
            interp_cache[i].warned = true;
            return 0;
        }
    if ((rc = interp_lookup(fn, out, err)) < 0)
        return rc;
    if (interp_n < INTERP_CACHE && strlen(key) < sizeof(interp_cache[0].name)) {
        struct interp_entry *e = &interp_cache[interp_n++];
        snprintf(e->name, sizeof(e->name), "%s", key);
        e->found = *out;
        e->warned = true;
    }
    return 0;
}
