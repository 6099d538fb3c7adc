/* SPDX-License-Identifier: MIT */
/* url_prelude.c - a streamed function URL response's HTTP prelude (see url_prelude.h). */
#include "url_prelude.h"

#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

void fg_url_prelude_init(struct fg_url_prelude *p)
{
    memset(p, 0, sizeof(*p));
    fg_buf_init(&p->json, FG_URL_PRELUDE_MAX_BYTES);
}

/* Whether headers (an object, or NULL) name a Content-Type in any case. */
static bool prelude_has_type(json_t *headers)
{
    const char *key;
    json_t *v;
    json_object_foreach(headers, key, v)
        if (!strcasecmp(key, "content-type"))
            return true;
    return false;
}

/* The prelude's JSON → head, with the defaults for what it leaves out. */
static int prelude_parse(struct fg_url_prelude *p, struct fg_err *err)
{
    json_t *o = p->json.len ? json_loadb(p->json.data, p->json.len, 0, NULL) : json_object(), *h;
    char *text = NULL;
    int rc;

    if (!o || !json_is_object(o)) {
        json_decref(o);
        return fg_err_set(err, -EINVAL, "the response stream's prelude is not a JSON object");
    }
    if (!json_object_get(o, "statusCode"))
        json_object_set_new(o, "statusCode", json_integer(200));
    json_object_del(o, "body");
    json_object_del(o, "isBase64Encoded");
    if (!(h = json_object_get(o, "headers")) || json_is_null(h))
        json_object_set_new(o, "headers", h = json_object());
    if (json_is_object(h) && !prelude_has_type(h))
        json_object_set_new(h, "content-type", json_string("application/octet-stream"));
    if (!(text = json_dumps(o, JSON_COMPACT)))
        rc = fg_err_set(err, -ENOMEM, "out of memory");
    else
        rc = fg_apigw_response(text, strlen(text), &p->head, err);
    free(text);
    json_decref(o);
    if (rc == 0)
        p->done = true;
    return rc;
}

long fg_url_prelude_feed(struct fg_url_prelude *p, const char *buf, size_t len, struct fg_err *err)
{
    size_t i = 0;

    if (p->done)
        return 0;
    while (i < len) {
        if (buf[i] == '\0') {
            i++;
            if (++p->zeros == 8) {
                int rc = prelude_parse(p, err);
                return rc < 0 ? rc : (long)i;
            }
            continue;
        }
        if (p->zeros)
            return fg_err_set(err, -EINVAL, "a NUL byte inside the response stream's prelude");
        {
            const char *nul = memchr(buf + i, '\0', len - i);
            size_t n = nul ? (size_t)(nul - (buf + i)) : len - i;
            if (fg_buf_append(&p->json, buf + i, n) < 0)
                return fg_err_set(err, -FG_ETOOBIG, "the response stream's prelude is over %u bytes",
                                  FG_URL_PRELUDE_MAX_BYTES);
            i += n;
        }
    }
    return (long)len;
}

int fg_url_prelude_finish(struct fg_url_prelude *p, struct fg_err *err)
{
    if (p->done)
        return 0;
    if (p->json.len || p->zeros)
        return fg_err_set(err, -EINVAL, "the response stream ended inside its prelude");
    return prelude_parse(p, err);
}

void fg_url_prelude_close(struct fg_url_prelude *p)
{
    fg_buf_free(&p->json);
    fg_http_response_close(&p->head);
}
