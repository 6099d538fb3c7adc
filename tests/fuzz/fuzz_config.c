/* SPDX-License-Identifier: MIT */
/* fuzz_config.c - libFuzzer target for the configuration loader (config/ and every
 * adapter's keys and checks, through triggers/registry.c): fngate.yaml is the one input an
 * operator writes by hand, and `fngate validate` must answer any text with a config or a
 * positioned error, never a crash, a hang or a leak. Built and run by `make fuzz`; seeds in
 * corpus/fuzz_config/ (the examples' files and more).
 *
 * The whole input is the file's text, loaded with fg_registry_conf_load_string() as
 * "fuzz.yaml" relative to examples/thumbnails/ (so the seeds' folders exist), then freed.
 * Invariants:
 * - an error leaves nothing to free (the config is zeroed) and says
 *   "fuzz.yaml:LINE:COL: ..." with LINE inside the text;
 * - loading is deterministic: the same text gives the same result and message twice;
 * - a loaded config is whole: function names are unique and found by fg_conf_function(),
 *   every event has its type, its adapter's struct, its function and a 1-based index,
 *   every adapter's `validate` line fits its buffer, and the front door's route table
 *   builds from it. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "triggers/http_route.h"
#include "triggers/registry.h"
#include "tests/fuzz/fuzz.h"

#define FUZZ_NAME "fuzz.yaml"

static void config_check_error(const struct fg_config *conf, const struct fg_err *err, int rc, const char *yaml)
{
    static const struct fg_config zero;
    size_t lines = 1;
    long line = 0, col = 0;
    char *end;

    if (memcmp(conf, &zero, sizeof(zero)))
        fuzz_fail("a refused config (%d) is not zeroed", rc);
    if (rc == -ENOMEM)
        return;
    if (rc != -FG_ECONFIG)
        fuzz_fail("fg_conf_load_string returned %d: %s", rc, err->msg);
    /* A serverless.yml's ${file(PATH)} reports what is wrong inside PATH at PATH's place. */
    if (strncmp(err->msg, FUZZ_NAME ":", sizeof(FUZZ_NAME)) && strstr(yaml, "file("))
        return;
    if (strncmp(err->msg, FUZZ_NAME ":", sizeof(FUZZ_NAME)))
        fuzz_fail("the error does not start with the file's name: %s", err->msg);
    line = strtol(err->msg + sizeof(FUZZ_NAME), &end, 10);
    if (*end == ':')
        col = strtol(end + 1, &end, 10);
    if (*end != ':' || line < 1 || col < 1)
        fuzz_fail("the error has no line:col: %s", err->msg);
    for (const char *c = yaml; *c; c++)          /* YAML's line breaks: \n, \r\n, \r */
        lines += *c == '\n' || (*c == '\r' && c[1] != '\n');
    if ((size_t)line > lines)
        fuzz_fail("the error's line %ld is past the text's %zu lines: %s", line, lines, err->msg);
}

static void config_check_loaded(const struct fg_config *conf)
{
    struct fg_route_table routes;
    struct fg_err err;
    char line[512];

    for (size_t i = 0; i < conf->n_functions; i++) {
        const struct fg_conf_function *fn = &conf->functions[i];
        if (!fn->name || fg_conf_function(conf, fn->name) != fn)
            fuzz_fail("function %zu is not found by its name", i);
        for (size_t j = 0; j < fn->n_events; j++) {
            const struct fg_conf_event *ev = &fn->events[j];
            const struct fg_trigger_ops *ops;
            if (!ev->type || !ev->conf || ev->fn != fn || ev->index < 1)
                fuzz_fail("function %s event %zu is not whole", fn->name, j);
            if (!(ops = fg_registry_find(ev->type)))
                fuzz_fail("function %s event %zu has no adapter", fn->name, j);
            if (!ops->summary)
                continue;
            memset(line, 'x', sizeof(line));
            ops->summary(ev, line, sizeof(line));
            if (!memchr(line, '\0', sizeof(line)))
                fuzz_fail("%s's summary of function %s event %zu is not a string", ops->name, fn->name, j);
        }
    }
    if (fg_route_table_init(&routes, conf, &err) < 0)
        fuzz_fail("the routes of a loaded config do not build: %s", err.msg);
    fg_route_table_close(&routes);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_in in = { data, size };
    char *yaml = fuzz_rest(&in, NULL);
    struct fg_config conf, again;
    struct fg_err err = { 0 }, err2 = { 0 };
    int rc, rc2;

    rc = fg_registry_conf_load_string(&conf, FUZZ_NAME, FG_SOURCE_DIR "/examples/thumbnails", yaml, &err);
    if (rc < 0)
        config_check_error(&conf, &err, rc, yaml);
    else
        config_check_loaded(&conf);
    rc2 = fg_registry_conf_load_string(&again, FUZZ_NAME, FG_SOURCE_DIR "/examples/thumbnails", yaml, &err2);
    if (rc2 != rc || (rc < 0 && strcmp(err.msg, err2.msg)))
        fuzz_fail("loaded twice: %d (%s), then %d (%s)", rc, rc < 0 ? err.msg : "", rc2, rc2 < 0 ? err2.msg : "");
    if (rc == 0 && (again.n_functions != conf.n_functions || again.s3.enabled != conf.s3.enabled))
        fuzz_fail("loaded twice: two different configs");
    fg_conf_free(&conf);
    fg_conf_free(&again);
    free(yaml);
    return 0;
}
