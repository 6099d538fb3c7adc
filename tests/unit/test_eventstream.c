/* SPDX-License-Identifier: MIT */
/* test_eventstream.c - core/crc32.h against the standard check values, and
 * gateway/eventstream.h's messages decoded back here byte by byte: lengths, both CRCs, the
 * headers the AWS SDKs read, payloads (split past the per-message maximum), and
 * InvokeComplete's JSON with empty members left out. */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/crc32.h"
#include "gateway/eventstream.h"
#include "unit.h"

START_TEST(test_crc32_vectors)
{
    static const unsigned char empty_msg[8] = { 0, 0, 0, 0x10, 0, 0, 0, 0 };
    uint32_t c;

    ck_assert_uint_eq(fg_crc32(0, "", 0), 0);
    ck_assert_uint_eq(fg_crc32(0, "a", 1), 0xE8B7BE43u);
    ck_assert_uint_eq(fg_crc32(0, "123456789", 9), 0xCBF43926u);
    ck_assert_uint_eq(fg_crc32(fg_crc32(0, "1234", 4), "56789", 5), 0xCBF43926u);
    /* AWS's event-stream test vector "empty_message": prelude CRC 05c248eb, message CRC 7d98c8ff. */
    c = fg_crc32(0, empty_msg, 8);
    ck_assert_uint_eq(c, 0x05c248ebu);
    {
        unsigned char be[4] = { (unsigned char)(c >> 24), (unsigned char)(c >> 16), (unsigned char)(c >> 8),
                                (unsigned char)c };
        ck_assert_uint_eq(fg_crc32(c, be, 4), 0x7d98c8ffu);
    }
}
END_TEST

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

struct decoded {
    char event_type[64], content_type[64], message_type[64];
    const unsigned char *payload;
    size_t payload_len;
    size_t total;
};

/* Decodes the message at p (n bytes available), checking every length and CRC. */
static void decode(const unsigned char *p, size_t n, struct decoded *d)
{
    uint32_t total, hl;
    size_t off;

    memset(d, 0, sizeof(*d));
    ck_assert(n >= 16);
    total = be32(p);
    hl = be32(p + 4);
    ck_assert(total <= n && hl + 16 <= total);
    ck_assert_uint_eq(be32(p + 8), fg_crc32(0, p, 8));
    ck_assert_uint_eq(be32(p + total - 4), fg_crc32(0, p, total - 4));
    for (off = 12; off < 12 + hl;) {
        size_t nl = p[off], vl;
        char name[256], *dst;
        memcpy(name, p + off + 1, nl);
        name[nl] = '\0';
        ck_assert_int_eq(p[off + 1 + nl], 7);
        vl = (size_t)p[off + 2 + nl] << 8 | p[off + 3 + nl];
        dst = !strcmp(name, ":event-type") ? d->event_type : !strcmp(name, ":content-type") ? d->content_type
            : !strcmp(name, ":message-type") ? d->message_type : NULL;
        ck_assert_msg(dst != NULL, "unexpected header %s", name);
        ck_assert(vl < 64);
        memcpy(dst, p + off + 4 + nl, vl);
        dst[vl] = '\0';
        off += 4 + nl + vl;
    }
    ck_assert_uint_eq(off, 12 + hl);
    d->payload = p + 12 + hl;
    d->payload_len = total - 16 - hl;
    d->total = total;
}

START_TEST(test_eventstream_round_trip)
{
    struct fg_buf out;
    struct decoded d;
    size_t big = FG_EVENTSTREAM_PAYLOAD_MAX_BYTES + 10, off;
    char *data = malloc(big);

    for (size_t i = 0; i < big; i++)
        data[i] = (char)(i * 7);
    fg_buf_init(&out, 8 << 20);
    ck_assert_int_eq(fg_eventstream_payload_chunk(&out, "hello", 5), 0);
    decode((const unsigned char *)out.data, out.len, &d);
    ck_assert_uint_eq(d.total, out.len);
    ck_assert_str_eq(d.event_type, "PayloadChunk");
    ck_assert_str_eq(d.message_type, "event");
    ck_assert_str_eq(d.content_type, "application/octet-stream");
    ck_assert(d.payload_len == 5 && !memcmp(d.payload, "hello", 5));

    /* Past the per-message maximum: two messages whose payloads add up. */
    fg_buf_reset(&out);
    ck_assert_int_eq(fg_eventstream_payload_chunk(&out, data, big), 0);
    decode((const unsigned char *)out.data, out.len, &d);
    ck_assert_uint_eq(d.payload_len, FG_EVENTSTREAM_PAYLOAD_MAX_BYTES);
    ck_assert(!memcmp(d.payload, data, d.payload_len));
    off = d.total;
    decode((const unsigned char *)out.data + off, out.len - off, &d);
    ck_assert_uint_eq(d.payload_len, 10);
    ck_assert(!memcmp(d.payload, data + FG_EVENTSTREAM_PAYLOAD_MAX_BYTES, 10));
    ck_assert_uint_eq(off + d.total, out.len);

    fg_buf_reset(&out);
    ck_assert_int_eq(fg_eventstream_invoke_complete(&out, NULL, "", NULL), 0);
    decode((const unsigned char *)out.data, out.len, &d);
    ck_assert_str_eq(d.event_type, "InvokeComplete");
    ck_assert_str_eq(d.content_type, "application/json");
    ck_assert(d.payload_len == 2 && !memcmp(d.payload, "{}", 2));

    fg_buf_reset(&out);
    ck_assert_int_eq(fg_eventstream_invoke_complete(&out, "Sandbox.Timedout", "Task \"timed\" out", "bG9n"), 0);
    decode((const unsigned char *)out.data, out.len, &d);
    {
        static const char want[] = "{\"ErrorCode\":\"Sandbox.Timedout\",\"ErrorDetails\":\"Task \\\"timed\\\" out\","
                                   "\"LogResult\":\"bG9n\"}";
        ck_assert_uint_eq(d.payload_len, sizeof(want) - 1);
        ck_assert(!memcmp(d.payload, want, d.payload_len));
    }
    fg_buf_free(&out);
    free(data);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("eventstream");
    TCase *tc = tcase_create("eventstream");

    tcase_add_test(tc, test_crc32_vectors);
    tcase_add_test(tc, test_eventstream_round_trip);
    return fg_unit_run(s, tc);
}
