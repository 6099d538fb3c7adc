/* SPDX-License-Identifier: MIT */
/* batch_response.c - the batchItemFailures answer (see batch_response.h). */
#include "batch_response.h"

#include <jansson.h>
#include <string.h>

int fg_batch_failures(const char *resp, size_t len, const char *const *ids, size_t n, bool *failed)
{
    json_t *doc, *list, *item;
    size_t i;
    int rc = 0;

    memset(failed, 0, n * sizeof(*failed));
    /* An empty answer is a function that returned nothing (None / undefined). */
    while (len && (resp[len - 1] == ' ' || resp[len - 1] == '\n' || resp[len - 1] == '\r' || resp[len - 1] == '\t'))
        len--;
    if (!len)
        return 0;
    if (!(doc = json_loadb(resp, len, JSON_DECODE_ANY, NULL)))
        return -1;
    if (json_is_null(doc)) {
        json_decref(doc);
        return 0;
    }
    if (!json_is_object(doc)) {
        json_decref(doc);
        return -1;
    }
    list = json_object_get(doc, "batchItemFailures");
    if (!list || json_is_null(list)) {
        json_decref(doc);
        return 0;
    }
    if (!json_is_array(list)) {
        json_decref(doc);
        return -1;
    }
    json_array_foreach(list, i, item) {
        json_t *id = json_object_get(item, "itemIdentifier");
        const char *s = json_string_value(id);
        size_t k;
        if (!s || !*s) {
            rc = -1;
            break;
        }
        for (k = 0; k < n && strcmp(ids[k], s); k++)
            ;
        if (k == n) {
            rc = -1;
            break;
        }
        failed[k] = true;
    }
    json_decref(doc);
    return rc;
}
