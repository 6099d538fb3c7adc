/* SPDX-License-Identifier: MIT */
/* config.h - fngate.yaml as plain data.
 *
 * fg_conf_load() parses, substitutes ${ENV_VAR}, applies defaults and checks every rule it
 * can check without starting anything; the first violation comes back as
 * "file:line:col: message". The structure is read-only afterwards and every string in it
 * lives in the config's arena until fg_conf_free(). Reference of every key: README.md
 * "Configuration". Tests: tests/unit/test_config.c. */
#ifndef FG_CONFIG_H
#define FG_CONFIG_H

#include <stddef.h>

#include "../core/arena.h"
#include "../core/err.h"

#define FG_PAYLOAD_SYNC_MAX_BYTES   (6u * 1024 * 1024)
#define FG_ENV_MAX_BYTES            4096

enum fg_runtime {
    FG_RUNTIME_PYTHON3 = 0,
    FG_RUNTIME_NODEJS,
    FG_RUNTIME_PROVIDED,
    FG_RUNTIME_EXEC,
};

enum fg_log_format {
    FG_LOG_FORMAT_TEXT = 0,
    FG_LOG_FORMAT_JSON,
};

/* Where a value came from, for errors raised after parsing (duplicate routes, runtime). */
struct fg_conf_pos {
    int line, col;     /* 1-based; 0 when not from the file */
};

struct fg_conf_env {
    const char *key, *value;
};

struct fg_conf_http {
    const char *method;      /* upper case, or "ANY" */
    const char *path;        /* "/hello/{name}", "/files/{proxy+}", or "$default" */
    struct fg_conf_pos pos;
};

struct fg_conf_function {
    const char *name;
    enum fg_runtime runtime;
    const char *handler;     /* module.function, or the command for exec; NULL for provided */
    const char *code;        /* absolute directory */
    const char *description;
    int memory_mb;           /* 128..10240 */
    int timeout_s;           /* 1..900 */
    int concurrency;         /* reserved concurrency; 0 = only the gateway's cap applies */
    int min_warm;            /* workers started ahead of traffic */
    int idle_timeout_s;      /* idle workers above min_warm are stopped after this */
    struct fg_conf_env *env;
    size_t n_env;
    struct fg_conf_http *http;
    size_t n_http;
    struct fg_conf_pos pos;
};

struct fg_config {
    struct fg_arena arena;   /* owns everything below */
    const char *path;        /* the file as given */
    const char *dir;         /* absolute directory of the file; relative paths start here */
    const char *service;
    const char *listen_host; /* "127.0.0.1" */
    int listen_port;
    int max_concurrency;     /* gateway-wide cap on running invocations */
    int http_threads;        /* libmicrohttpd thread pool size */
    const char *state_dir;   /* absolute */
    const char *region;      /* AWS_REGION given to functions, used in ARNs */
    const char *account_id;  /* 12 digits, used in ARNs */
    enum fg_log_format log_format;
    struct fg_conf_function *functions;
    size_t n_functions;
};

/* Parses path into conf (caller-embedded, zeroed by the call). On error conf holds nothing
 * to free and err->msg is "path:line:col: message". 0 or -FG_ECONFIG / -errno. */
int fg_conf_load(struct fg_config *conf, const char *path, struct fg_err *err) FG_MUST_CHECK;

/* Same, from a string; name is used in messages. dir is where relative paths start. */
int fg_conf_load_string(struct fg_config *conf, const char *name, const char *dir,
                        const char *yaml, struct fg_err *err) FG_MUST_CHECK;

void fg_conf_free(struct fg_config *conf);

/* Borrowed lookups; NULL when absent. */
const struct fg_conf_function *fg_conf_function(const struct fg_config *conf, const char *name);

/* "python3", ... Static string. */
const char *fg_conf_runtime_name(enum fg_runtime rt);

#endif
