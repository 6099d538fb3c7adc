/* SPDX-License-Identifier: MIT */
/* eventstream.h - AWS's event-stream encoding (application/vnd.amazon.eventstream), as
 * InvokeWithResponseStream answers: PayloadChunk events carrying the function's bytes as
 * they come, then one InvokeComplete event.
 *
 * A message is a prelude (total length, headers length: u32 big-endian; the CRC-32 of
 * those 8 bytes), its headers (name length u8, name, value type 7 = string, value length
 * u16 big-endian, value), its payload, and the CRC-32 of everything before it
 * (core/crc32.h). Event messages carry :event-type, :message-type "event" and
 * :content-type: application/octet-stream for a PayloadChunk (the payload is the bytes),
 * application/json for InvokeComplete ({"ErrorCode","ErrorDetails","LogResult"}, members
 * left out when empty), as the Lambda model in the AWS SDKs reads them. Pure functions, any
 * thread. Tests: tests/unit/test_eventstream.c (decoded back by the test). */
#ifndef FG_EVENTSTREAM_H
#define FG_EVENTSTREAM_H

#include <stddef.h>

#include "../core/buf.h"

/* An event-stream message (prelude, headers and CRCs) around at most this payload; a
 * longer run of bytes goes out as several PayloadChunk events. */
#define FG_EVENTSTREAM_PAYLOAD_MAX_BYTES (1024u * 1024)
/* What a message adds around its payload, at most (prelude, this module's headers, CRC). */
#define FG_EVENTSTREAM_OVERHEAD_BYTES 256u

/* Appends PayloadChunk events carrying p[0..n) (n > 0; split every
 * FG_EVENTSTREAM_PAYLOAD_MAX_BYTES) to out. 0 or out's error (out's earlier error too). */
int fg_eventstream_payload_chunk(struct fg_buf *out, const void *p, size_t n);

/* Appends the InvokeComplete event to out; error_code, error_details and log_result (the
 * base64 log tail) may each be NULL or "" (left out). 0 or out's error. */
int fg_eventstream_invoke_complete(struct fg_buf *out, const char *error_code, const char *error_details,
                                   const char *log_result);

#endif
