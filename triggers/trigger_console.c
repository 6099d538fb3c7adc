/* SPDX-License-Identifier: MIT */
/* trigger_console.c - the adapters' console objects (see trigger_console.h). */
#include "trigger_console.h"

#include <stdio.h>

#include "../core/json_write.h"

int fg_trigger_console_object(struct fg_buf *out, const char *type, const char *const *kv)
{
    char lead[80];
    int rc = fg_json_write_field(out, "{\"type\":", type);
    for (size_t i = 0; rc == 0 && kv[i]; i += 2) {
        snprintf(lead, sizeof(lead), ",\"%s\":", kv[i]);
        rc = kv[i + 1] ? fg_json_write_field(out, lead, kv[i + 1]) : fg_buf_append_str(out, lead);
        if (rc == 0 && !kv[i + 1])
            rc = fg_buf_append_str(out, "null");
    }
    return rc < 0 ? rc : fg_buf_append_str(out, "}");
}
