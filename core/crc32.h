/* SPDX-License-Identifier: MIT */
/* crc32.h - CRC-32 (ISO-HDLC, zlib's: reflected polynomial 0xEDB88320), the checksum of AWS's
 * event-stream messages (gateway/eventstream.h). A checksum against transmission errors,
 * not a security primitive. One 256-entry table, built on first use. Any thread.
 * Tests: tests/unit/test_eventstream.c (the standard check value). */
#ifndef FG_CRC32_H
#define FG_CRC32_H

#include <stddef.h>
#include <stdint.h>

/* The CRC of p[0..n) continued from crc (0 to start): fg_crc32(fg_crc32(0, a), b) is the
 * CRC of a then b. */
uint32_t fg_crc32(uint32_t crc, const void *p, size_t n);

#endif
