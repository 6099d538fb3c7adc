/* SPDX-License-Identifier: MIT */
/* json_write.h - append JSON text straight into a buffer, for per-request documents.
 *
 * Building an event through a jansson tree cost an allocation per value and showed up as
 * a large share of the HTTP threads' time; these helpers write the same JSON with no
 * allocation beyond the buffer's growth. The caller writes the structure ('{', ',', ':')
 * itself. Strings must be valid UTF-8 (check with fg_utf8_valid). Their errors are the
 * buffer's, so they are sticky too (buf.h). Tests: test_core.c. */
#ifndef FG_JSON_WRITE_H
#define FG_JSON_WRITE_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"

/* True when s[0..n) is well-formed UTF-8 (no overlongs, surrogates or values > U+10FFFF). */
bool fg_utf8_valid(const char *s, size_t n);

/* How many leading bytes of s[0..n) are well-formed UTF-8 (n when all are). */
size_t fg_utf8_prefix(const char *s, size_t n);

/* Appends s[0..n) as a quoted, escaped JSON string. 0 or the fg_buf_append error. */
int fg_json_write_str(struct fg_buf *b, const char *s, size_t n);

/* Appends bytes that may not be UTF-8 (a queue message, a Kafka key) as a JSON string:
 * every byte that does not start a well-formed sequence becomes U+FFFD. 0 or a fg_buf error. */
int fg_json_write_text(struct fg_buf *b, const char *s, size_t n);

/* Appends s[0..n) escaped but without quotes: for a string written in several parts. */
int fg_json_write_escaped(struct fg_buf *b, const char *s, size_t n);

/* Appends lead, trusted JSON text such as ",\"name\":", then s as a JSON string (bytes that
 * are not UTF-8 become U+FFFD): one field of a document written by hand, such as an admin
 * view over names from the configuration. 0 or a fg_buf error. */
int fg_json_write_field(struct fg_buf *b, const char *lead, const char *s);

/* Appends "key": (key is trusted: plain ASCII without quotes or backslashes). */
int fg_json_write_key(struct fg_buf *b, const char *key);

/* Appends {"message":"..."}: API Gateway's own error shape, which the admin API shares.
 * 0 or a fg_buf error. */
int fg_json_write_message(struct fg_buf *b, const char *message);

#endif
