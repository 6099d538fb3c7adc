/* SPDX-License-Identifier: MIT */
/* id.h - request ids: random UUIDv4 strings, as Lambda's request ids are. */
#ifndef FG_ID_H
#define FG_ID_H

#define FG_ID_LEN 36

/* Fills out with a NUL-terminated lower-case UUIDv4. Any thread. */
void fg_id_uuid4(char out[FG_ID_LEN + 1]);

#endif
