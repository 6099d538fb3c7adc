/* SPDX-License-Identifier: MIT */
/* invocation.c - init/close of the caller-owned invocation (see invocation.h). */
#include "invocation.h"

#include <string.h>

#include "../config/config.h"
#include "../core/json_write.h"
#include "worker.h"

void fg_invocation_init(struct fg_invocation *inv)
{
    memset(inv, 0, sizeof(*inv));
    /* An error JSON or response never exceeds the sync payload limit plus the error text. */
    fg_buf_init(&inv->result, FG_PAYLOAD_SYNC_MAX_BYTES + 4096);
    fg_buf_init(&inv->log_tail, 4 * FG_LOG_TAIL_BYTES);
}

void fg_invocation_close(struct fg_invocation *inv)
{
    fg_buf_free(&inv->result);
    fg_buf_free(&inv->log_tail);
}

void fg_invocation_stream_resume(struct fg_invocation *inv)
{
    if (inv->worker && inv->streamed && inv->status == FG_INV_PENDING)
        fg_runtime_api_resume(&inv->worker->api);
}

const char *fg_invocation_function_error(const struct fg_invocation *inv)
{
    return inv->status == FG_INV_FUNCTION_ERROR || inv->status == FG_INV_TIMEOUT ? "Unhandled" : NULL;
}

int fg_invocation_error_body(struct fg_buf *out, const char *error_type, const char *msg)
{
    int rc;
    fg_buf_reset(out);
    if ((rc = fg_buf_append(out, "{", 1)) < 0 || (rc = fg_json_write_key(out, "errorMessage")) < 0 ||
        (rc = fg_json_write_str(out, msg, strlen(msg))) < 0 || (rc = fg_buf_append(out, ",", 1)) < 0 ||
        (rc = fg_json_write_key(out, "errorType")) < 0 ||
        (rc = fg_json_write_str(out, error_type, strlen(error_type))) < 0 || (rc = fg_buf_append(out, "}", 1)) < 0)
        fg_buf_reset(out);
    return rc;
}
