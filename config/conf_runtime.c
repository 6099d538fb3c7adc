/* SPDX-License-Identifier: MIT */
/* conf_runtime.c - a function's `runtime:` as fngate and as Lambda write it.
 *
 * People arrive with Lambda's identifiers (python3.12, nodejs20.x, java21, ruby3.3,
 * provided.al2023, go1.x) in their serverless.yml and template.yaml; fngate keeps its own
 * short names (python3, nodejs, provided, exec) and reads Lambda's as a language plus the
 * version asked for. Which interpreter then runs is decided at start by
 * router/interp.c, which looks at the machine (config is plain data and spawns nothing):
 * the exact version when it is installed, else the installed one with a warning. A
 * language fngate cannot run (.NET) is refused here, with what to do instead.
 * Tests: tests/unit/test_config.c. */
#include "config.h"

#include <ctype.h>
#include <libfyaml.h>
#include <string.h>

#include "conf_walk.h"

static const char *const runtime_short[] = {
    [FG_RUNTIME_PYTHON3] = "python3", [FG_RUNTIME_NODEJS] = "nodejs", [FG_RUNTIME_PROVIDED] = "provided",
    [FG_RUNTIME_EXEC] = "exec",       [FG_RUNTIME_RUBY] = "ruby",     [FG_RUNTIME_JAVA] = "java",
    [FG_RUNTIME_GO] = "go1.x",
};

const char *fg_conf_runtime_name(enum fg_runtime rt)
{
    return (unsigned)rt < sizeof(runtime_short) / sizeof(runtime_short[0]) ? runtime_short[rt] : "?";
}

/* s is digits, then optionally "." and digits (3, 3.12, 21). */
static bool runtime_version_ok(const char *s)
{
    size_t n = strspn(s, "0123456789");
    if (!n || n > 3)
        return false;
    if (!s[n])
        return true;
    if (s[n] != '.' || !isdigit((unsigned char)s[n + 1]))
        return false;
    s += n + 1;
    n = strspn(s, "0123456789");
    return n <= 3 && !s[n];
}

/* Lambda's identifier name into fn: 0, or -1 when it is not one fngate reads. */
static int runtime_lambda_name(struct fg_conf_parser *p, const char *name, struct fg_conf_function *fn)
{
    static const struct {
        const char *prefix;
        enum fg_runtime rt;
        const char *suffix;     /* after the version, or NULL */
    } langs[] = {
        { "python", FG_RUNTIME_PYTHON3, NULL }, { "nodejs", FG_RUNTIME_NODEJS, ".x" },
        { "java", FG_RUNTIME_JAVA, ".al2" },    { "ruby", FG_RUNTIME_RUBY, NULL },
    };
    char ver[16];

    if (!strcmp(name, "provided.al2") || !strcmp(name, "provided.al2023")) {
        fn->runtime = FG_RUNTIME_PROVIDED;
        return 0;
    }
    if (!strcmp(name, "go1.x")) {
        fn->runtime = FG_RUNTIME_GO;
        return 0;
    }
    for (size_t i = 0; i < sizeof(langs) / sizeof(langs[0]); i++) {
        size_t pl = strlen(langs[i].prefix), vl;
        if (strncmp(name, langs[i].prefix, pl) || strlen(name + pl) >= sizeof(ver))
            continue;
        snprintf(ver, sizeof(ver), "%s", name + pl);
        vl = strlen(ver);
        if (langs[i].suffix) {
            size_t sl = strlen(langs[i].suffix);
            if (vl > sl && !strcmp(ver + vl - sl, langs[i].suffix))
                ver[vl - sl] = '\0';
            else if (langs[i].rt == FG_RUNTIME_NODEJS)
                continue;   /* nodejs20 without .x is not Lambda's spelling */
        }
        /* python3.N, nodejsN.x, javaN, rubyN.N: Lambda's shapes, nothing looser */
        if (!runtime_version_ok(ver) || (langs[i].rt == FG_RUNTIME_PYTHON3 && strncmp(ver, "3.", 2)) ||
            (langs[i].rt == FG_RUNTIME_PYTHON3 || langs[i].rt == FG_RUNTIME_RUBY) != (strchr(ver, '.') != NULL))
            continue;
        fn->runtime = langs[i].rt;
        fn->runtime_version = fg_arena_strdup(&p->conf->arena, ver);
        return fn->runtime_version ? 0 : -1;
    }
    return -1;
}

int fg_conf_parse_runtime(struct fg_conf_parser *p, const struct fg_conf_key *k, struct fy_node *val,
                          struct fg_conf_pos kpos, void *field)
{
    struct fg_conf_function *fn = field;
    struct fg_conf_pos vpos = fg_conf_node_pos(val, kpos);
    const char *s;
    int rc;

    fn->key_pos.runtime = kpos;
    if ((rc = fg_conf_string(p, val, kpos, k->name, &s)) < 0)
        return rc;
    fn->runtime_written = s;
    fn->runtime_version = NULL;
    for (int rt = 0; rt <= FG_RUNTIME_EXEC; rt++)
        if (!strcmp(s, runtime_short[rt])) {
            fn->runtime = (enum fg_runtime)rt;
            return 0;
        }
    if (runtime_lambda_name(p, s, fn) == 0)
        return 0;
    if (!strncmp(s, "dotnet", 6))
        return fg_conf_fail(p, vpos, "runtime %s: .NET is not available on Debian 12, so fngate cannot run C# "
                            "handlers (see README, Where fngate differs from AWS); a custom runtime "
                            "(provided.al2023) with a self-contained bootstrap works", s);
    {
        static const char *const names[] = { "python3", "nodejs", "provided", "exec", "python3.12", "nodejs20.x",
                                             "java21", "ruby3.3", "go1.x", "provided.al2023", NULL };
        char hint[256] = "";
        fg_conf_suggest(hint, sizeof(hint), s, names);
        return fg_conf_fail(p, vpos, "runtime: unknown value '%s'%s", s, hint);
    }
}
