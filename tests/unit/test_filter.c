/* SPDX-License-Identifier: MIT */
/* test_filter.c - core/filter.h: every matcher, nesting, arrays in events, OR across
 * patterns, and the patterns refused with their reasons. */
#include <check.h>
#include <errno.h>
#include <string.h>

#include "core/filter.h"
#include "unit.h"

struct mcase {
    const char *pattern, *event;
    bool match;
};

static const struct mcase mcases[] = {
    { "{\"body\": {\"status\": [\"paid\"]}}", "{\"body\": {\"status\": \"paid\"}}", true },
    { "{\"body\": {\"status\": [\"paid\"]}}", "{\"body\": {\"status\": \"open\"}}", false },
    { "{\"body\": {\"status\": [\"paid\", \"refunded\"]}}", "{\"body\": {\"status\": \"refunded\"}}", true },
    { "{\"body\": {\"n\": [5]}}", "{\"body\": {\"n\": 5.0}}", true },
    { "{\"body\": {\"n\": [5]}}", "{\"body\": {\"n\": \"5\"}}", false },
    { "{\"body\": {\"ok\": [true]}}", "{\"body\": {\"ok\": true}}", true },
    { "{\"body\": {\"x\": [null]}}", "{\"body\": {\"x\": null}}", true },
    { "{\"key\": [{\"prefix\": \"img/\"}]}", "{\"key\": \"img/cat.jpg\"}", true },
    { "{\"key\": [{\"prefix\": \"img/\"}]}", "{\"key\": \"doc/cat.jpg\"}", false },
    { "{\"key\": [{\"suffix\": \".jpg\"}]}", "{\"key\": \"img/cat.jpg\"}", true },
    { "{\"key\": [{\"suffix\": \".jpg\"}]}", "{\"key\": 7}", false },
    { "{\"s\": [{\"anything-but\": \"spam\"}]}", "{\"s\": \"ham\"}", true },
    { "{\"s\": [{\"anything-but\": \"spam\"}]}", "{\"s\": \"spam\"}", false },
    { "{\"s\": [{\"anything-but\": [\"a\", \"b\"]}]}", "{\"s\": \"b\"}", false },
    { "{\"s\": [{\"anything-but\": [\"a\", \"b\"]}]}", "{\"s\": \"c\"}", true },
    { "{\"s\": [{\"anything-but\": {\"prefix\": \"test-\"}}]}", "{\"s\": \"test-1\"}", false },
    { "{\"s\": [{\"anything-but\": {\"prefix\": \"test-\"}}]}", "{\"s\": \"prod-1\"}", true },
    { "{\"p\": [{\"numeric\": [\">\", 1, \"<=\", 5]}]}", "{\"p\": 5}", true },
    { "{\"p\": [{\"numeric\": [\">\", 1, \"<=\", 5]}]}", "{\"p\": 1}", false },
    { "{\"p\": [{\"numeric\": [\">\", 1, \"<=\", 5]}]}", "{\"p\": 5.5}", false },
    { "{\"p\": [{\"numeric\": [\"=\", 3]}]}", "{\"p\": \"3\"}", false },
    { "{\"p\": [{\"numeric\": [\">=\", 0, \"<\", 1]}]}", "{\"p\": 0}", true },
    { "{\"tag\": [{\"exists\": true}]}", "{\"tag\": \"x\"}", true },
    { "{\"tag\": [{\"exists\": true}]}", "{\"other\": 1}", false },
    { "{\"tag\": [{\"exists\": false}]}", "{\"other\": 1}", true },
    { "{\"tag\": [{\"exists\": false}]}", "{\"tag\": 1}", false },
    /* an array in the event: any element */
    { "{\"tags\": [\"red\"]}", "{\"tags\": [\"blue\", \"red\"]}", true },
    { "{\"tags\": [\"red\"]}", "{\"tags\": [\"blue\"]}", false },
    /* every key must match (AND), at every depth */
    { "{\"a\": [1], \"b\": {\"c\": [\"x\"]}}", "{\"a\": 1, \"b\": {\"c\": \"x\"}}", true },
    { "{\"a\": [1], \"b\": {\"c\": [\"x\"]}}", "{\"a\": 1, \"b\": {\"c\": \"y\"}}", false },
    { "{\"a\": [1], \"b\": {\"c\": [\"x\"]}}", "{\"a\": 1}", false },
    { "{\"b\": {\"c\": [\"x\"]}}", "{\"b\": \"c\"}", false },
    /* literal or matcher, mixed in one list */
    { "{\"v\": [\"exact\", {\"prefix\": \"pre\"}]}", "{\"v\": \"prefix-thing\"}", true },
};

START_TEST(test_match)
{
    const struct mcase *c = &mcases[_i];
    struct fg_filter *f;
    struct fg_err err;
    json_t *ev = json_loads(c->event, 0, NULL);
    ck_assert_ptr_nonnull(ev);
    ck_assert_msg(fg_filter_compile(&c->pattern, 1, &f, &err) == 0, "%s: %s", c->pattern, err.msg);
    ck_assert_msg(fg_filter_match(f, ev) == c->match, "%s on %s: want %s", c->pattern, c->event, c->match ? "match" : "no match");
    fg_filter_free(f);
    json_decref(ev);
}
END_TEST

START_TEST(test_or_across_patterns)
{
    const char *p[] = { "{\"t\": [\"a\"]}", "{\"t\": [\"b\"]}", "{\"u\": [{\"exists\": true}]}" };
    struct fg_filter *f;
    struct fg_err err;
    json_t *a = json_loads("{\"t\": \"a\"}", 0, NULL), *b = json_loads("{\"t\": \"b\"}", 0, NULL),
           *c = json_loads("{\"t\": \"c\"}", 0, NULL), *u = json_loads("{\"u\": 0}", 0, NULL);
    ck_assert_int_eq(fg_filter_compile(p, 3, &f, &err), 0);
    ck_assert(fg_filter_match(f, a));
    ck_assert(fg_filter_match(f, b));
    ck_assert(!fg_filter_match(f, c));
    ck_assert(fg_filter_match(f, u));
    fg_filter_free(f);
    json_decref(a);
    json_decref(b);
    json_decref(c);
    json_decref(u);
}
END_TEST

struct bad {
    const char *pattern, *msg;
};

static const struct bad bads[] = {
    { "not json", "pattern 1 is not JSON" },
    { "[1]", "a pattern is a non-empty JSON object" },
    { "{}", "a pattern is a non-empty JSON object" },
    { "{\"a\": \"x\"}", "'a' must be an object or a non-empty list" },
    { "{\"a\": []}", "'a' must be an object or a non-empty list" },
    { "{\"a\": [{\"wildcard\": \"*\"}]}", "unknown matcher 'wildcard'" },
    { "{\"a\": [{\"prefix\": 1}]}", "prefix takes a string" },
    { "{\"a\": [{\"numeric\": [\">\"]}]}", "numeric takes operator/number pairs" },
    { "{\"a\": [{\"numeric\": [\"!=\", 1]}]}", "numeric operators are" },
    { "{\"a\": [{\"exists\": \"yes\"}]}", "exists takes true or false" },
    { "{\"a\": [{\"anything-but\": [[1]]}]}", "anything-but lists literals" },
    { "{\"a\": [{\"prefix\": \"x\", \"suffix\": \"y\"}]}", "one-key matchers" },
};

START_TEST(test_bad_patterns)
{
    struct fg_filter *f;
    struct fg_err err;
    ck_assert_int_eq(fg_filter_compile(&bads[_i].pattern, 1, &f, &err), -EINVAL);
    ck_assert_msg(strstr(err.msg, bads[_i].msg), "%s: want '%s', got '%s'", bads[_i].pattern, bads[_i].msg, err.msg);
    ck_assert_ptr_null(f);
    const char *six[] = { "{\"a\":[1]}", "{\"a\":[1]}", "{\"a\":[1]}", "{\"a\":[1]}", "{\"a\":[1]}", "{\"a\":[1]}" };
    ck_assert_int_eq(fg_filter_compile(six, 6, &f, &err), -EINVAL);
    ck_assert_ptr_nonnull(strstr(err.msg, "1 to 5 patterns"));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("filter");
    TCase *tc = tcase_create("filter");
    tcase_add_loop_test(tc, test_match, 0, (int)(sizeof(mcases) / sizeof(mcases[0])));
    tcase_add_test(tc, test_or_across_patterns);
    tcase_add_loop_test(tc, test_bad_patterns, 0, (int)(sizeof(bads) / sizeof(bads[0])));
    return fg_unit_run(s, tc);
}
