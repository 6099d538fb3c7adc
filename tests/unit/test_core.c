/* SPDX-License-Identifier: MIT */
/* test_core.c - core/: buffers with ceilings, base64, arena, the loop's hand-off queue, URL
 * decoding and header lookup, Prometheus text (prom.h). */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/arena.h"
#include "core/base64.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/fs.h"
#include "core/hash_block.h"
#include "core/heap.h"
#include "core/http_header.h"
#include "core/md5.h"
#include "core/pricing.h"
#include "core/prom.h"
#include "core/sha1.h"
#include "core/sha256.h"
#include "core/strmap.h"
#include "core/url.h"
#include "core/id.h"
#include "core/json_write.h"
#include "core/loop.h"
#include "core/workq.h"
#include "unit.h"

START_TEST(test_buf_ceiling)
{
    struct fg_buf b;
    fg_buf_init(&b, 8);
    ck_assert_int_eq(fg_buf_append(&b, "12345", 5), 0);
    ck_assert_int_eq(fg_buf_append(&b, "6789", 4), -FG_ETOOBIG);
    ck_assert_int_eq(b.len, 5);
    ck_assert_str_eq(b.data, "12345");
    /* Sticky: after a failure every append does nothing and returns the first error, so a
     * document written without checking each append is never silently missing a piece. */
    ck_assert_int_eq(b.err, -FG_ETOOBIG);
    ck_assert_int_eq(fg_buf_append(&b, "678", 3), -FG_ETOOBIG);
    ck_assert_str_eq(b.data, "12345");
    fg_buf_reset(&b);
    ck_assert_int_eq(b.err, 0);
    ck_assert_int_eq(fg_buf_append(&b, "12345678", 8), 0);
    ck_assert_str_eq(b.data, "12345678");
    fg_buf_keep_tail(&b, 3);
    ck_assert_str_eq(b.data, "678");
    fg_buf_free(&b);
    ck_assert_ptr_null(b.data);
}
END_TEST

struct b64_case {
    const char *plain, *encoded;
};

static const struct b64_case b64_cases[] = {
    { "", "" }, { "f", "Zg==" }, { "fo", "Zm8=" }, { "foo", "Zm9v" }, { "foob", "Zm9vYg==" },
    { "fooba", "Zm9vYmE=" }, { "foobar", "Zm9vYmFy" },
};

START_TEST(test_base64_table)
{
    const struct b64_case *c = &b64_cases[_i];
    struct fg_buf e, d;
    fg_buf_init(&e, 1024);
    fg_buf_init(&d, 1024);
    ck_assert_int_eq(fg_base64_encode(&e, c->plain, strlen(c->plain)), 0);
    ck_assert_str_eq(e.data ? e.data : "", c->encoded);
    ck_assert_int_eq(fg_base64_decode(&d, c->encoded, strlen(c->encoded)), 0);
    ck_assert_str_eq(d.data ? d.data : "", c->plain);
    fg_buf_free(&e);
    fg_buf_free(&d);
}
END_TEST

START_TEST(test_base64_invalid)
{
    struct fg_buf d;
    fg_buf_init(&d, 1024);
    ck_assert_int_eq(fg_base64_decode(&d, "Zm9v!", 5), -22);
    fg_buf_reset(&d);
    ck_assert_int_eq(fg_base64_decode(&d, "Zg==Zg", 6), -22);
    fg_buf_free(&d);
}
END_TEST

START_TEST(test_arena)
{
    struct fg_arena a;
    fg_arena_init(&a);
    char *s = fg_arena_strdup(&a, "hello");
    void *big = fg_arena_alloc(&a, 100000);
    ck_assert_str_eq(s, "hello");
    ck_assert_ptr_nonnull(big);
    ck_assert_str_eq(fg_arena_strndup(&a, "abcdef", 3), "abc");
    ck_assert_ptr_null(fg_arena_strdup(&a, NULL));
    fg_arena_free(&a);
    ck_assert_ptr_null(a.head);
}
END_TEST

START_TEST(test_err)
{
    struct fg_err err;
    ck_assert_int_eq(fg_err_set(&err, -FG_ETOOBIG, "function %s", "x"), -FG_ETOOBIG);
    ck_assert_str_eq(err.msg, "function x");
    ck_assert_int_eq(err.code, -FG_ETOOBIG);
    ck_assert_str_eq(fg_strerror(-FG_ETOOBIG), "size limit exceeded");
    ck_assert_str_eq(fg_strerror(-2), "No such file or directory");
}
END_TEST

START_TEST(test_uuid)
{
    /* Shape, and no repeats across many draws from two generators. */
    static char ids[20000][FG_ID_LEN + 1];
    struct fg_idgen g1, g2;
    fg_idgen_init(&g1);
    fg_idgen_init(&g2);
    for (int i = 0; i < 20000; i++)
        fg_idgen_uuid4(i % 2 ? &g1 : &g2, ids[i]);
    for (int i = 0; i < 20000; i++) {
        ck_assert_int_eq(strlen(ids[i]), 36);
        ck_assert(ids[i][14] == '4' && strchr("89ab", ids[i][19]));
        ck_assert(ids[i][8] == '-' && ids[i][13] == '-' && ids[i][18] == '-' && ids[i][23] == '-');
    }
    qsort(ids, 20000, sizeof(ids[0]), (int (*)(const void *, const void *))strcmp);
    for (int i = 1; i < 20000; i++)
        ck_assert_str_ne(ids[i - 1], ids[i]);
}
END_TEST

/* The hand-off queue: messages posted from other threads all run, in order per poster,
 * on the loop thread; posts after close are refused. */
struct loop_msg {
    struct fg_loop_msg m;
    int value;
};

struct loop_test {
    struct fg_loop loop;
    int seen, sum, on_loop;
    struct loop_msg msgs[2][500];
};

static void loop_on_msg(struct fg_loop *loop, struct fg_loop_msg *m)
{
    struct loop_test *t = (struct loop_test *)loop;
    struct loop_msg *lm = (struct loop_msg *)m;
    t->seen++;
    t->sum += lm->value;
    t->on_loop += fg_loop_is_current(loop);
    if (t->seen == 1000)
        fg_loop_break(loop);
}

static void *loop_poster(void *arg)
{
    struct loop_test *t = *(struct loop_test **)arg;
    struct loop_msg *msgs = ((struct loop_msg **)arg)[1];
    for (int i = 0; i < 500; i++) {
        msgs[i].value = i;
        ck_assert_int_eq(fg_loop_post(&t->loop, &msgs[i].m, loop_on_msg), 0);
    }
    return NULL;
}

START_TEST(test_loop_post)
{
    static struct loop_test t;
    struct fg_err err;
    pthread_t th[2];
    void *args[2][2];
    struct loop_msg late;

    memset(&t, 0, sizeof(t));
    ck_assert_int_eq(fg_loop_init(&t.loop, &err), 0);
    for (int i = 0; i < 2; i++) {
        args[i][0] = &t;
        args[i][1] = t.msgs[i];
        pthread_create(&th[i], NULL, loop_poster, args[i]);
    }
    fg_loop_run(&t.loop);
    for (int i = 0; i < 2; i++)
        pthread_join(th[i], NULL);
    fg_loop_close_posts(&t.loop);
    ck_assert_int_eq(t.seen, 1000);
    ck_assert_int_eq(t.sum, 2 * (499 * 500 / 2));
    ck_assert_int_eq(t.on_loop, 1000);
    ck_assert_int_eq(fg_loop_post(&t.loop, &late.m, loop_on_msg), -FG_ESHUTDOWN);
    fg_loop_close(&t.loop);
}
END_TEST

/* ---- the work queue and the work thread */

struct wq_item {
    struct fg_workq_item it;
    int n;
};

START_TEST(test_workq_order_wait_close)
{
    struct fg_workq q;
    struct wq_item items[3];
    struct fg_workq_item *list;
    long long t0;
    int n = 0;

    fg_workq_init(&q, NULL, NULL);
    ck_assert(fg_workq_empty(&q));
    for (int i = 0; i < 3; i++) {
        items[i].n = i;
        fg_workq_push(&q, &items[i].it);
    }
    ck_assert(!fg_workq_empty(&q));
    for (list = fg_workq_take_all(&q, 0); list; list = list->next)
        ck_assert_int_eq(((struct wq_item *)(void *)list)->n, n++);     /* push order */
    ck_assert_int_eq(n, 3);
    t0 = fg_mono_us();
    ck_assert_ptr_null(fg_workq_take_all(&q, 50));                     /* waits, bounded */
    ck_assert(fg_mono_us() - t0 >= 40000);
    fg_workq_push(&q, &items[0].it);
    fg_workq_close(&q);
    ck_assert_ptr_eq(fg_workq_take(&q), &items[0].it);                 /* what is queued still comes */
    ck_assert_ptr_null(fg_workq_take(&q));                             /* then NULL, no wait */
    fg_workq_destroy(&q);
}
END_TEST

struct work_test {
    struct fg_loop loop;
    struct fg_work work;
    struct fg_work_job jobs[5];
    int ran, done, dropped, off_loop;
};

static void work_run(struct fg_work *w, struct fg_work_job *job)
{
    struct work_test *t = w->arg;
    (void)job;
    t->ran++;
    t->off_loop += !fg_loop_is_current(&t->loop);
}

static void work_done(struct fg_loop *loop, struct fg_loop_msg *msg)
{
    struct work_test *t = (struct work_test *)((char *)loop - offsetof(struct work_test, loop));
    (void)msg;
    if (++t->done == 5)
        fg_loop_break(loop);
}

static void work_dropped(struct fg_work *w, struct fg_work_job *job)
{
    (void)job;
    ((struct work_test *)w->arg)->dropped++;
}

START_TEST(test_work_runs_off_the_loop_and_posts_back)
{
    static const struct fg_work_ops ops = {
        .name = "test", .run = work_run, .done = work_done, .dropped = work_dropped, .drain = true,
    };
    static struct work_test t;
    struct fg_err err;

    memset(&t, 0, sizeof(t));
    ck_assert_int_eq(fg_loop_init(&t.loop, &err), 0);
    ck_assert_int_eq(fg_work_start(&t.work, &ops, &t.loop, &t, &err), 0);
    for (int i = 0; i < 5; i++)
        fg_work_post(&t.work, &t.jobs[i]);
    fg_loop_run(&t.loop);
    ck_assert_int_eq(t.done, 5);
    ck_assert_int_eq(t.off_loop, 5);
    /* With the loop closed, results cannot be posted: each job is handed to dropped(). */
    fg_loop_close_posts(&t.loop);
    for (int i = 0; i < 5; i++)
        fg_work_post(&t.work, &t.jobs[i]);
    fg_work_stop(&t.work);
    ck_assert_int_eq(t.ran, 10);
    ck_assert_int_eq(t.dropped, 5);
    fg_work_stop(&t.work);      /* idempotent */
    fg_loop_close(&t.loop);
}
END_TEST

struct utf8_case {
    const char *s;
    size_t n;
    bool valid;
};

static const struct utf8_case utf8_cases[] = {
    { "plain", 5, true }, { "\xc3\xa9", 2, true }, { "\xe2\x82\xac", 3, true },
    { "\xf0\x9f\x98\x80", 4, true }, { "\xc3", 1, false }, { "\xc0\xaf", 2, false },
    { "\xe0\x80\xaf", 3, false }, { "\xed\xa0\x80", 3, false }, { "\xf4\x90\x80\x80", 4, false },
    { "\xff", 1, false }, { "a\x00b", 3, true }, { "\xe2\x28\xa1", 3, false },
};

START_TEST(test_utf8_table)
{
    const struct utf8_case *c = &utf8_cases[_i];
    ck_assert_msg(fg_utf8_valid(c->s, c->n) == c->valid, "case %d", _i);
}
END_TEST

START_TEST(test_json_escape)
{
    struct fg_buf b;
    fg_buf_init(&b, 1024);
    ck_assert_int_eq(fg_json_write_str(&b, "a\"b\\c\n\x01\t", 8), 0);
    ck_assert_str_eq(b.data, "\"a\\\"b\\\\c\\n\\u0001\\t\"");
    fg_buf_reset(&b);
    ck_assert_int_eq(fg_json_write_key(&b, "k"), 0);
    ck_assert_int_eq(fg_json_write_escaped(&b, "x\"", 2), 0);
    ck_assert_str_eq(b.data, "\"k\":x\\\"");
    fg_buf_reset(&b);
    /* A field of a view built by hand: the lead as is, the value escaped, bad bytes replaced. */
    ck_assert_int_eq(fg_json_write_field(&b, "{\"group\":", "g\"1\\\xff"), 0);
    ck_assert_str_eq(b.data, "{\"group\":\"g\\\"1\\\\\\ufffd\"");
    fg_buf_free(&b);
}
END_TEST

START_TEST(test_hex_round_trip)
{
    const unsigned char in[] = { 0x00, 0x7f, 0xff, 0xa5 };
    unsigned char back[4];
    char hex[9];
    fg_hex(in, sizeof(in), hex);
    ck_assert_str_eq(hex, "007fffa5");
    ck_assert_int_eq(fg_unhex("007FfFa5", 4, back), 0);
    ck_assert_mem_eq(back, in, sizeof(in));
    ck_assert_int_eq(fg_unhex("0g", 1, back), -1);
    ck_assert_int_eq(fg_unhex("g0", 1, back), -1);
}
END_TEST

static const struct {
    const char *in;
    enum fg_url_mode mode;
    const char *out;
} url_cases[] = {
    { "", FG_URL_PERCENT, "" },
    { "a%20b+c", FG_URL_PERCENT, "a b+c" },
    { "a%20b+c", FG_URL_FORM, "a b c" },
    { "%41%6a%4A", FG_URL_PERCENT, "AjJ" },
    { "%", FG_URL_PERCENT, "%" },                  /* not an escape: kept */
    { "%4", FG_URL_PERCENT, "%4" },
    { "%4g%zz", FG_URL_FORM, "%4g%zz" },
    { "100%25", FG_URL_PERCENT, "100%" },
    { "%2F..%2f", FG_URL_PERCENT, "/../" },
};

START_TEST(test_url_decode_table)
{
    struct fg_buf b;
    fg_buf_init(&b, 64);
    ck_assert_int_eq(fg_url_decode(&b, url_cases[_i].in, strlen(url_cases[_i].in), url_cases[_i].mode), 0);
    ck_assert_str_eq(b.data, url_cases[_i].out);
    fg_buf_free(&b);
}
END_TEST

START_TEST(test_url_decode_nul_and_ceiling)
{
    struct fg_buf b;
    fg_buf_init(&b, 4);
    ck_assert_int_eq(fg_url_decode(&b, "a%00b", 5, FG_URL_PERCENT), 0);
    ck_assert_uint_eq(b.len, 3);                  /* a NUL byte decodes; callers refuse it */
    ck_assert_mem_eq(b.data, "a\0b", 4);
    fg_buf_reset(&b);
    ck_assert_int_eq(fg_url_decode(&b, "abcde", 5, FG_URL_PERCENT), -FG_ETOOBIG);
    fg_buf_free(&b);
}
END_TEST

START_TEST(test_http_header_get)
{
    static const struct fg_http_header h[] = { { "Host", "a" }, { "X-Amz-Date", "b" }, { "host", "c" } };
    ck_assert_str_eq(fg_http_header_get(h, 3, "host"), "a");      /* the first, any case */
    ck_assert_str_eq(fg_http_header_get(h, 3, "x-amz-date"), "b");
    ck_assert_ptr_null(fg_http_header_get(h, 3, "range"));
    ck_assert_ptr_null(fg_http_header_get(h, 0, "host"));
}
END_TEST

START_TEST(test_http_token_ok)
{
    ck_assert(fg_http_token_ok("GET"));
    ck_assert(fg_http_token_ok("M-SEARCH"));
    ck_assert(fg_http_token_ok("x!#$%&'*+.^_`|~9"));
    ck_assert(!fg_http_token_ok(""));
    ck_assert(!fg_http_token_ok("G\xdeT"));             /* not UTF-8: was put in the event as is */
    ck_assert(!fg_http_token_ok("\xc3\xa9T"));
    ck_assert(!fg_http_token_ok("G\x01T"));
    ck_assert(!fg_http_token_ok("G\"T"));
    ck_assert(!fg_http_token_ok("GET /"));
    ck_assert(!fg_http_token_ok("a:b"));
}
END_TEST

START_TEST(test_mkdirs)
{
    char dir[] = "/tmp/fg-mkdirs-XXXXXX", deep[256], file[256], cmd[300];
    struct stat st;
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(deep, sizeof(deep), "%s/a/b/c", dir);
    ck_assert_int_eq(fg_mkdirs(deep), 0);
    ck_assert(stat(deep, &st) == 0 && S_ISDIR(st.st_mode));
    ck_assert_int_eq(fg_mkdirs(deep), 0);                  /* already there */
    snprintf(file, sizeof(file), "%s/f", dir);
    fclose(fopen(file, "w"));
    snprintf(deep, sizeof(deep), "%s/f/x", dir);
    ck_assert_int_eq(fg_mkdirs(deep), -ENOTDIR);           /* a file in the way */
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    ck_assert_int_eq(system(cmd), 0);
}
END_TEST

START_TEST(test_heap_order)
{
    struct fg_heap h;
    struct fg_heap_node nodes[2000];
    unsigned seed = 7;
    long long prev = -1;
    fg_heap_init(&h);
    ck_assert_ptr_null(fg_heap_top(&h));
    for (int i = 0; i < 2000; i++) {
        nodes[i].key = rand_r(&seed) % 500;
        ck_assert_int_eq(fg_heap_push(&h, &nodes[i]), 0);
        ck_assert_uint_ne(nodes[i].idx, 0);
    }
    for (int i = 0; i < 2000; i++) {
        struct fg_heap_node *n = fg_heap_pop(&h);
        ck_assert_ptr_nonnull(n);
        ck_assert_int_ge(n->key, prev);
        ck_assert_uint_eq(n->idx, 0);
        prev = n->key;
    }
    ck_assert_ptr_null(fg_heap_pop(&h));
    fg_heap_free(&h);
}
END_TEST

START_TEST(test_md5_vectors)
{
    /* RFC 1321, appendix A.5, plus lengths around the 56- and 64-byte padding edges. */
    static const struct { const char *in, *hex; } v[] = {
        { "", "d41d8cd98f00b204e9800998ecf8427e" },
        { "a", "0cc175b9c0f1b6a831c399e269772661" },
        { "abc", "900150983cd24fb0d6963f7d28e17f72" },
        { "message digest", "f96b697d7cb7938d525a2f31aaf161d0" },
        { "abcdefghijklmnopqrstuvwxyz", "c3fcd3d76192e4007dfb496cca67e13b" },
        { "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", "d174ab98d277d9f5a5611c2c9f419d9f" },
        { "12345678901234567890123456789012345678901234567890123456789012345678901234567890",
          "57edf4a22be3c955ac49da2e2107b67a" },
    };
    for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
        struct fg_md5 c;
        unsigned char d[16];
        char hex[33];
        fg_md5_init(&c);
        /* Fed in uneven pieces: block boundaries must not matter. */
        for (size_t off = 0, n = strlen(v[i].in), step = 1; off < n; off += step, step = step * 2 + 1)
            fg_md5_update(&c, v[i].in + off, off + step > n ? n - off : step);
        fg_md5_final(&c, d);
        fg_md5_hex(d, hex);
        ck_assert_str_eq(hex, v[i].hex);
    }
}
END_TEST

START_TEST(test_sha256_vectors)
{
    static const struct { const char *in, *hex; } v[] = {
        { "", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" },
        { "abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" },
        { "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
          "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1" },
    };
    for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
        struct fg_sha256 c;
        unsigned char d[32];
        char hex[65];
        fg_sha256_init(&c);
        for (size_t off = 0, n = strlen(v[i].in), step = 1; off < n; off += step, step = step * 2 + 1)
            fg_sha256_update(&c, v[i].in + off, off + step > n ? n - off : step);
        fg_sha256_final(&c, d);
        fg_sha256_hex(d, hex);
        ck_assert_str_eq(hex, v[i].hex);
    }
    /* A million 'a's (FIPS 180-2 appendix). */
    struct fg_sha256 c;
    unsigned char d[32], chunk[1000];
    char hex[65];
    memset(chunk, 'a', sizeof(chunk));
    fg_sha256_init(&c);
    for (int i = 0; i < 1000; i++)
        fg_sha256_update(&c, chunk, sizeof(chunk));
    fg_sha256_final(&c, d);
    fg_sha256_hex(d, hex);
    ck_assert_str_eq(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}
END_TEST

/* The accelerated rounds (x86 SHA extensions, where the CPU has them) and the portable ones
 * agree at every length around the block and padding boundaries. */
START_TEST(test_sha256_both_implementations)
{
    unsigned char data[300], a[32], b[32];
    for (size_t i = 0; i < sizeof(data); i++)
        data[i] = (unsigned char)(i * 131 + 7);
    for (size_t n = 0; n <= sizeof(data); n++) {
        struct fg_sha256 c;
        fg_sha256_init(&c);
        fg_sha256_update(&c, data, n);
        fg_sha256_final(&c, a);
        fg_sha256_portable(data, n, b);
        ck_assert_msg(!memcmp(a, b, 32), "length %zu", n);
    }
    fg_sha256_portable("abc", 3, b);
    char hex[65];
    fg_sha256_hex(b, hex);
    ck_assert_str_eq(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}
END_TEST

START_TEST(test_hmac_sha256_vectors)
{
    /* RFC 4231 test cases 1, 2 and 6 (a key longer than the block). */
    unsigned char key1[20], key6[131], out[32];
    char hex[65];
    memset(key1, 0x0b, sizeof(key1));
    fg_hmac_sha256(key1, sizeof(key1), "Hi There", 8, out);
    fg_sha256_hex(out, hex);
    ck_assert_str_eq(hex, "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
    fg_hmac_sha256("Jefe", 4, "what do ya want for nothing?", 28, out);
    fg_sha256_hex(out, hex);
    ck_assert_str_eq(hex, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    memset(key6, 0xaa, sizeof(key6));
    fg_hmac_sha256(key6, sizeof(key6), "Test Using Larger Than Block-Size Key - Hash Key First", 54, out);
    fg_sha256_hex(out, hex);
    ck_assert_str_eq(hex, "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
}
END_TEST

START_TEST(test_sha1_vectors)
{
    static const struct { const char *in, *hex; } v[] = {
        { "", "da39a3ee5e6b4b0d3255bfef95601890afd80709" },
        { "abc", "a9993e364706816aba3e25717850c26c9cd0d89d" },
        { "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", "84983e441c3bd26ebaae4aa1f95129e5e54670f1" },
    };
    struct fg_sha1 c;
    unsigned char d[20], chunk[1000];
    char hex[41];
    for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
        fg_sha1_init(&c);
        for (size_t off = 0, n = strlen(v[i].in), step = 1; off < n; off += step, step = step * 2 + 1)
            fg_sha1_update(&c, v[i].in + off, off + step > n ? n - off : step);
        fg_sha1_final(&c, d);
        fg_hex(d, 20, hex);
        ck_assert_str_eq(hex, v[i].hex);
    }
    /* A million 'a's (FIPS 180-2 appendix). */
    memset(chunk, 'a', sizeof(chunk));
    fg_sha1_init(&c);
    for (int i = 0; i < 1000; i++)
        fg_sha1_update(&c, chunk, sizeof(chunk));
    fg_sha1_final(&c, d);
    fg_hex(d, 20, hex);
    ck_assert_str_eq(hex, "34aa973cd4c4daa4f61eeb2bdbad27316534016f");
}
END_TEST

START_TEST(test_hmac_sha1_vectors)
{
    /* RFC 2202 test cases 1, 2 and 6 (a key longer than the block). */
    unsigned char key1[20], key6[80], out[20];
    char hex[41];
    memset(key1, 0x0b, sizeof(key1));
    fg_hmac_sha1(key1, sizeof(key1), "Hi There", 8, out);
    fg_hex(out, 20, hex);
    ck_assert_str_eq(hex, "b617318655057264e28bc0b6fb378c8ef146be00");
    fg_hmac_sha1("Jefe", 4, "what do ya want for nothing?", 28, out);
    fg_hex(out, 20, hex);
    ck_assert_str_eq(hex, "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79");
    memset(key6, 0xaa, sizeof(key6));
    fg_hmac_sha1(key6, sizeof(key6), "Test Using Larger Than Block-Size Key - Hash Key First", 54, out);
    fg_hex(out, 20, hex);
    ck_assert_str_eq(hex, "aa4ae5e15272d00e95705637ce8a3b55ed402112");
}
END_TEST

static void strmap_count(void *arg, const char *key, void *value)
{
    (void)key;
    (void)value;
    (*(int *)arg)++;
}

START_TEST(test_strmap)
{
    struct fg_strmap m;
    char key[32];
    int n = 0;
    fg_strmap_init(&m);
    ck_assert_ptr_null(fg_strmap_get(&m, "x"));
    for (long i = 0; i < 20000; i++) {
        snprintf(key, sizeof(key), "dir/file-%ld", i);
        ck_assert_int_eq(fg_strmap_put(&m, key, (void *)(i + 1)), 0);
    }
    for (long i = 0; i < 20000; i += 2) {
        snprintf(key, sizeof(key), "dir/file-%ld", i);
        ck_assert_ptr_eq(fg_strmap_del(&m, key), (void *)(i + 1));
    }
    for (long i = 0; i < 20000; i++) {
        snprintf(key, sizeof(key), "dir/file-%ld", i);
        ck_assert_ptr_eq(fg_strmap_get(&m, key), i % 2 ? (void *)(i + 1) : NULL);
    }
    ck_assert_int_eq(fg_strmap_put(&m, "dir/file-1", (void *)7), 0);      /* replace */
    ck_assert_ptr_eq(fg_strmap_get(&m, "dir/file-1"), (void *)7);
    for (long i = 0; i < 20000; i += 2) {                                 /* reuse tombstones */
        snprintf(key, sizeof(key), "dir/file-%ld", i);
        ck_assert_int_eq(fg_strmap_put(&m, key, (void *)1), 0);
    }
    fg_strmap_each(&m, strmap_count, &n);
    ck_assert_int_eq(n, 20000);
    ck_assert_uint_eq(m.len, 20000);
    fg_strmap_free(&m);
}
END_TEST

/* The seed's example: 2M runs of 1 s at 128 MB cost $0.20 (1M requests beyond the free
 * million; 250,000 GB-s inside the free 400,000). Then duration past the free tier, at
 * AWS's rate, and billing rounded up to a whole millisecond. */
START_TEST(test_pricing_seed_example)
{
    struct fg_pricing p;
    struct fg_bill b;
    fg_pricing_defaults(&p);
    ck_assert_double_eq_tol(fg_pricing_gb_seconds(1000, 128), 0.125, 1e-12);
    ck_assert_double_eq_tol(fg_pricing_gb_seconds(0.2, 1024), 0.001, 1e-12);     /* 1 ms billed */
    ck_assert_double_eq_tol(fg_pricing_gb_seconds(1.01, 1024), 0.002, 1e-12);
    fg_pricing_bill(&p, 2000000, 2000000 * fg_pricing_gb_seconds(1000, 128), 1, &b);
    ck_assert_double_eq_tol(b.gb_seconds, 250000, 1e-6);
    ck_assert_double_eq_tol(b.billed_requests, 1000000, 1e-6);
    ck_assert_double_eq_tol(b.billed_gb_seconds, 0, 1e-9);
    ck_assert_double_eq_tol(b.request_cost, 0.20, 1e-9);
    ck_assert_double_eq_tol(b.total, 0.20, 1e-9);
    /* 1M runs of 1 s at 1 GB: 1M GB-s, 600,000 of them billed; requests all free. */
    fg_pricing_bill(&p, 1000000, 1000000 * fg_pricing_gb_seconds(1000, 1024), 1, &b);
    ck_assert_double_eq_tol(b.request_cost, 0, 1e-9);
    ck_assert_double_eq_tol(b.duration_cost, 600000 * 0.0000166667, 1e-6);
    /* Two months: two free tiers. */
    fg_pricing_bill(&p, 2000000, 0, 2, &b);
    ck_assert_double_eq_tol(b.total, 0, 1e-9);
}
END_TEST

/* Families shared by several writers come out once each, in first-named order, with their
 * samples together; label values are escaped; histograms are cumulative; a family without
 * samples is left out. */
START_TEST(test_prom_families)
{
    static const double bounds[] = { 0.5, 1 };
    const unsigned long long counts[] = { 1, 2, 3 };
    struct fg_prom p;
    struct fg_buf out;
    fg_prom_init(&p, 1 << 20);
    fg_buf_init(&out, 1 << 20);
    struct fg_prom_family *a = fg_prom_family(&p, "x_total", FG_PROM_COUNTER, "X");
    fg_prom_family(&p, "empty", FG_PROM_GAUGE, "nothing");
    fg_prom_sample(a, 1, "f", "a\\b\"c\nd", NULL);
    fg_prom_sample(fg_prom_family(&p, "y", FG_PROM_GAUGE, "Y"), 0.25, NULL);
    fg_prom_sample(fg_prom_family(&p, "x_total", FG_PROM_COUNTER, "again"), 2, "f", "b", "k", "v", NULL);
    fg_prom_histogram(fg_prom_family(&p, "h_seconds", FG_PROM_HISTOGRAM, "H"), bounds, 2, counts, 4.5, "f", "c",
                      NULL);
    fg_prom_summary(fg_prom_family(&p, "s_seconds", FG_PROM_SUMMARY, "S"), 3, 1.5, NULL);
    ck_assert_int_eq(fg_prom_render(&p, &out), 0);
    ck_assert_str_eq(out.data,
                     "# HELP x_total X\n# TYPE x_total counter\n"
                     "x_total{f=\"a\\\\b\\\"c\\nd\"} 1\n"
                     "x_total{f=\"b\",k=\"v\"} 2\n"
                     "# HELP y Y\n# TYPE y gauge\ny 0.25\n"
                     "# HELP h_seconds H\n# TYPE h_seconds histogram\n"
                     "h_seconds_bucket{f=\"c\",le=\"0.5\"} 1\n"
                     "h_seconds_bucket{f=\"c\",le=\"1\"} 3\n"
                     "h_seconds_bucket{f=\"c\",le=\"+Inf\"} 6\n"
                     "h_seconds_sum{f=\"c\"} 4.5\n"
                     "h_seconds_count{f=\"c\"} 6\n"
                     "# HELP s_seconds S\n# TYPE s_seconds summary\ns_seconds_sum 1.5\ns_seconds_count 3\n");
    fg_prom_close(&p);
    fg_buf_free(&out);
    /* A ceiling hit is reported, not a truncated text. */
    fg_prom_init(&p, 16);
    fg_buf_init(&out, 1 << 20);
    fg_prom_sample(fg_prom_family(&p, "z", FG_PROM_GAUGE, "Z"), 1, "function", "a-long-name", NULL);
    ck_assert_int_eq(fg_prom_render(&p, &out), -FG_ETOOBIG);
    fg_prom_close(&p);
    fg_buf_free(&out);
}
END_TEST

/* Recorded use: the free tier per UTC calendar month, for the account (all functions),
 * used first by what came before the window, and what is billed shared by use. */
START_TEST(test_pricing_bill_uses_monthly_free_tier)
{
    /* 2026-01-10, 2026-01-20, 2026-02-05, each at 00:00 UTC. */
    const long long jan10 = 1768003200000LL, jan20 = 1768867200000LL, feb5 = 1770249600000LL;
    struct fg_pricing p;
    struct fg_pricing_row rows[8];
    struct fg_bill total;
    size_t n;

    fg_pricing_defaults(&p);
    ck_assert_int_eq(fg_pricing_month_start(jan20 + 5000), 1767225600000LL);   /* 2026-01-01 */
    ck_assert_int_eq(fg_pricing_month_start(feb5), 1769904000000LL);           /* 2026-02-01 */
    {
        /* One month, two functions: 1.5M requests, 0.5M billed, A used 2/3 of them. */
        const struct fg_pricing_use u[] = {
            { "B", jan10, 500000, 100000 }, { "A", jan20, 1000000, 500000 },
        };
        n = fg_pricing_bill_uses(&p, u, 2, jan10, rows, &total);
        ck_assert_int_eq(n, 2);
        ck_assert_str_eq(rows[0].function, "A");
        ck_assert_double_eq_tol(total.billed_requests, 500000, 1e-6);
        ck_assert_double_eq_tol(total.request_cost, 0.10, 1e-12);
        ck_assert_double_eq_tol(total.billed_gb_seconds, 200000, 1e-6);
        ck_assert_double_eq_tol(total.duration_cost, 200000 * 0.0000166667, 1e-9);
        ck_assert_double_eq_tol(rows[0].bill.request_cost, 0.10 * 2 / 3, 1e-12);
        ck_assert_double_eq_tol(rows[1].bill.request_cost, 0.10 / 3, 1e-12);
        ck_assert_double_eq_tol(rows[0].bill.billed_gb_seconds, 200000 * 5.0 / 6, 1e-6);
        ck_assert_double_eq_tol(rows[0].bill.total + rows[1].bill.total, total.total, 1e-12);
        ck_assert_double_eq_tol(rows[0].bill.requests, 1000000, 1e-9);
    }
    {
        /* Use before the window took 900,000 free requests of January: of the window's
         * 200,000, 100,000 are billed; February's own free tier covers its 300,000. */
        const struct fg_pricing_use u[] = {
            { "A", jan10, 900000, 0 }, { "A", jan20, 200000, 0 }, { "A", feb5, 300000, 0 },
        };
        n = fg_pricing_bill_uses(&p, u, 3, jan20, rows, &total);
        ck_assert_int_eq(n, 1);
        ck_assert_double_eq_tol(total.requests, 500000, 1e-9);
        ck_assert_double_eq_tol(total.billed_requests, 100000, 1e-6);
        ck_assert_double_eq_tol(total.total, 0.02, 1e-12);
        ck_assert_double_eq_tol(rows[0].bill.total, 0.02, 1e-12);
    }
    {
        /* Nothing in the window: no rows, a zero bill. */
        const struct fg_pricing_use u[] = { { "A", jan10, 5000000, 0 } };
        n = fg_pricing_bill_uses(&p, u, 1, feb5, rows, &total);
        ck_assert_int_eq(n, 0);
        ck_assert_double_eq_tol(total.total, 0, 1e-12);
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("core");
    TCase *tc = tcase_create("core");

    tcase_add_test(tc, test_buf_ceiling);
    tcase_add_test(tc, test_mkdirs);
    tcase_add_test(tc, test_heap_order);
    tcase_add_test(tc, test_md5_vectors);
    tcase_add_test(tc, test_sha256_vectors);
    tcase_add_test(tc, test_sha256_both_implementations);
    tcase_add_test(tc, test_hmac_sha256_vectors);
    tcase_add_test(tc, test_sha1_vectors);
    tcase_add_test(tc, test_hmac_sha1_vectors);
    tcase_add_test(tc, test_strmap);
    tcase_add_loop_test(tc, test_base64_table, 0, (int)(sizeof(b64_cases) / sizeof(b64_cases[0])));
    tcase_add_test(tc, test_base64_invalid);
    tcase_add_test(tc, test_arena);
    tcase_add_test(tc, test_err);
    tcase_add_test(tc, test_uuid);
    tcase_add_test(tc, test_loop_post);
    tcase_add_test(tc, test_workq_order_wait_close);
    tcase_add_test(tc, test_work_runs_off_the_loop_and_posts_back);
    tcase_add_loop_test(tc, test_utf8_table, 0, (int)(sizeof(utf8_cases) / sizeof(utf8_cases[0])));
    tcase_add_test(tc, test_json_escape);
    tcase_add_test(tc, test_hex_round_trip);
    tcase_add_loop_test(tc, test_url_decode_table, 0, (int)(sizeof(url_cases) / sizeof(url_cases[0])));
    tcase_add_test(tc, test_url_decode_nul_and_ceiling);
    tcase_add_test(tc, test_http_header_get);
    tcase_add_test(tc, test_http_token_ok);
    tcase_add_test(tc, test_pricing_seed_example);
    tcase_add_test(tc, test_prom_families);
    tcase_add_test(tc, test_pricing_bill_uses_monthly_free_tier);
    return fg_unit_run(s, tc);
}
