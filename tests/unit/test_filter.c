/* SPDX-License-Identifier: MIT */
/* test_filter.c - core/filter.h: one table per comparison operator of Lambda's event
 * filtering and per rule of AWS's semantics (lists in the event, missing fields, null, numbers
 * written as strings, nesting), OR across patterns, and the patterns refused with where and
 * why. */
#include <check.h>
#include <errno.h>
#include <string.h>

#include "core/filter.h"
#include "unit.h"

struct mcase {
    const char *pattern, *event;
    bool match;
};

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* Every row compiles, and matches or not as it says. */
static void filter_check_table(const struct mcase *cases, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const struct mcase *c = &cases[i];
        struct fg_filter *f;
        struct fg_err err;
        json_t *ev = json_loads(c->event, JSON_DECODE_ANY, NULL);
        ck_assert_msg(ev != NULL, "bad test event %s", c->event);
        ck_assert_msg(fg_filter_compile(&c->pattern, 1, &f, &err) == 0, "%s: %s", c->pattern, err.msg);
        ck_assert_msg(fg_filter_match(f, ev) == c->match, "%s on %s: want %s", c->pattern, c->event,
                      c->match ? "match" : "no match");
        fg_filter_free(f);
        json_decref(ev);
    }
}

START_TEST(test_null)
{
    static const struct mcase t[] = {
        { "{\"UserID\": [null]}", "{\"UserID\": null}", true },
        { "{\"UserID\": [null]}", "{\"UserID\": \"\"}", false },       /* not interchangeable */
        { "{\"UserID\": [null]}", "{\"UserID\": \"null\"}", false },
        { "{\"UserID\": [null]}", "{\"UserID\": 0}", false },
        { "{\"UserID\": [null]}", "{\"UserID\": false}", false },
        { "{\"UserID\": [null]}", "{\"Other\": 1}", false },           /* missing is not null */
    };
    filter_check_table(t, N(t));
}
END_TEST

START_TEST(test_empty)
{
    static const struct mcase t[] = {
        { "{\"LastName\": [\"\"]}", "{\"LastName\": \"\"}", true },
        { "{\"LastName\": [\"\"]}", "{\"LastName\": null}", false },
        { "{\"LastName\": [\"\"]}", "{\"LastName\": \" \"}", false },
        { "{\"LastName\": [\"\"]}", "{\"LastName\": []}", false },
        { "{\"LastName\": [\"\"]}", "{}", false },
    };
    filter_check_table(t, N(t));
}
END_TEST

START_TEST(test_equals)
{
    static const struct mcase t[] = {
        { "{\"Name\": [\"Alice\"]}", "{\"Name\": \"Alice\"}", true },
        { "{\"Name\": [\"Alice\"]}", "{\"Name\": \"alice\"}", false },  /* no case folding */
        { "{\"Name\": [\"Alice\"]}", "{\"Name\": \"Alice \"}", false },
        { "{\"Name\": [\"Alice\"]}", "{\"Name\": \"Ali\"}", false },
        { "{\"n\": [5]}", "{\"n\": 5}", true },
        { "{\"n\": [5]}", "{\"n\": 5.0}", true },                       /* numbers by value */
        { "{\"n\": [3.018e2]}", "{\"n\": 301.8}", true },
        { "{\"n\": [5]}", "{\"n\": 6}", false },
        { "{\"n\": [123456789012]}", "{\"n\": 123456789012}", true },  /* beyond the numeric range */
        { "{\"ok\": [true]}", "{\"ok\": true}", true },
        { "{\"ok\": [true]}", "{\"ok\": false}", false },
        { "{\"ok\": [true]}", "{\"ok\": \"true\"}", false },
        { "{\"ok\": [false]}", "{\"ok\": false}", true },
        { "{\"s\": [\"caf\u00e9\"]}", "{\"s\": \"caf\\u00e9\"}", true },  /* UTF-8, escaped or not */
    };
    filter_check_table(t, N(t));
}
END_TEST

START_TEST(test_equals_ignore_case)
{
    static const struct mcase t[] = {
        { "{\"Name\": [{\"equals-ignore-case\": \"alice\"}]}", "{\"Name\": \"ALICE\"}", true },
        { "{\"Name\": [{\"equals-ignore-case\": \"alice\"}]}", "{\"Name\": \"aLiCe\"}", true },
        { "{\"Name\": [{\"equals-ignore-case\": \"alice\"}]}", "{\"Name\": \"alicia\"}", false },
        { "{\"Name\": [{\"equals-ignore-case\": \"alice\"}]}", "{\"Name\": \"alice2\"}", false },
        { "{\"Name\": [{\"equals-ignore-case\": \"5\"}]}", "{\"Name\": 5}", false },   /* strings only */
        { "{\"Name\": [{\"equals-ignore-case\": \"a-z@[\"}]}", "{\"Name\": \"A-Z@[\"}", true },
        { "{\"Name\": [{\"equals-ignore-case\": \"@\"}]}", "{\"Name\": \"`\"}", false }, /* letters only */
    };
    filter_check_table(t, N(t));
}
END_TEST

START_TEST(test_and)
{
    static const struct mcase t[] = {
        { "{\"Location\": [\"New York\"], \"Day\": [\"Monday\"]}", "{\"Location\": \"New York\", \"Day\": \"Monday\"}", true },
        { "{\"Location\": [\"New York\"], \"Day\": [\"Monday\"]}", "{\"Location\": \"New York\", \"Day\": \"Sunday\"}", false },
        { "{\"Location\": [\"New York\"], \"Day\": [\"Monday\"]}", "{\"Location\": \"New York\"}", false },
        { "{\"a\": [1], \"b\": {\"c\": [\"x\"]}}", "{\"a\": 1, \"b\": {\"c\": \"x\"}, \"z\": 0}", true },
        { "{\"a\": [1], \"b\": {\"c\": [\"x\"]}}", "{\"a\": 1, \"b\": {\"c\": \"y\"}}", false },
        /* the last of a repeated key is the one used, as EventBridge documents */
        { "{\"a\": [\"x\"], \"a\": [\"y\"]}", "{\"a\": \"y\"}", true },
        { "{\"a\": [\"x\"], \"a\": [\"y\"]}", "{\"a\": \"x\"}", false },
    };
    filter_check_table(t, N(t));
}
END_TEST

START_TEST(test_or)
{
    static const struct mcase t[] = {
        { "{\"PaymentType\": [\"Credit\", \"Debit\"]}", "{\"PaymentType\": \"Debit\"}", true },
        { "{\"PaymentType\": [\"Credit\", \"Debit\"]}", "{\"PaymentType\": \"Cash\"}", false },
        { "{\"v\": [\"exact\", {\"prefix\": \"pre\"}, 7]}", "{\"v\": \"prefix-thing\"}", true },
        { "{\"v\": [\"exact\", {\"prefix\": \"pre\"}, 7]}", "{\"v\": 7}", true },
        { "{\"v\": [\"exact\", {\"prefix\": \"pre\"}, 7]}", "{\"v\": \"other\"}", false },
        { "{\"v\": [\"x\", {\"exists\": false}]}", "{}", true },
    };
    filter_check_table(t, N(t));
}
END_TEST

START_TEST(test_anything_but)
{
    static const struct mcase t[] = {
        { "{\"Weather\": [{\"anything-but\": [\"Raining\"]}]}", "{\"Weather\": \"Sunny\"}", true },
        { "{\"Weather\": [{\"anything-but\": [\"Raining\"]}]}", "{\"Weather\": \"Raining\"}", false },
        { "{\"s\": [{\"anything-but\": \"spam\"}]}", "{\"s\": \"ham\"}", true },
        { "{\"s\": [{\"anything-but\": \"spam\"}]}", "{\"s\": \"spam\"}", false },
        { "{\"s\": [{\"anything-but\": [\"a\", \"b\"]}]}", "{\"s\": \"b\"}", false },
        { "{\"s\": [{\"anything-but\": [\"a\", \"b\"]}]}", "{\"s\": \"c\"}", true },
        { "{\"x\": [{\"anything-but\": 123}]}", "{\"x\": 123}", false },
        { "{\"x\": [{\"anything-but\": 123}]}", "{\"x\": 123.0}", false },
        { "{\"x\": [{\"anything-but\": 123}]}", "{\"x\": 124}", true },
        { "{\"x\": [{\"anything-but\": [100, 200, 300]}]}", "{\"x\": 200}", false },
        { "{\"x\": [{\"anything-but\": [100, 200, 300]}]}", "{\"x\": 250}", true },
        /* a value of another type is not one of the values */
        { "{\"x\": [{\"anything-but\": [100, 200]}]}", "{\"x\": \"100\"}", true },
        { "{\"s\": [{\"anything-but\": \"spam\"}]}", "{\"s\": 5}", true },
        { "{\"s\": [{\"anything-but\": \"spam\"}]}", "{\"s\": null}", true },
        /* never a missing field, nor one without a value */
        { "{\"s\": [{\"anything-but\": \"spam\"}]}", "{}", false },
        { "{\"s\": [{\"anything-but\": \"spam\"}]}", "{\"s\": {\"t\": 1}}", false },
        { "{\"s\": [{\"anything-but\": \"spam\"}]}", "{\"s\": []}", false },
        /* a list in the event: any element that is not excluded */
        { "{\"x\": [{\"anything-but\": [100, 500]}]}", "{\"x\": [100, 50]}", true },
        { "{\"x\": [{\"anything-but\": [100, 500]}]}", "{\"x\": [100, 500]}", false },
    };
    filter_check_table(t, N(t));
}
END_TEST

START_TEST(test_numeric)
{
    static const struct mcase t[] = {
        { "{\"Price\": [{\"numeric\": [\"=\", 100]}]}", "{\"Price\": 100}", true },
        { "{\"Price\": [{\"numeric\": [\"=\", 100]}]}", "{\"Price\": 100.0}", true },
        { "{\"Price\": [{\"numeric\": [\"=\", 100]}]}", "{\"Price\": 1e2}", true },
        { "{\"Price\": [{\"numeric\": [\"=\", 100]}]}", "{\"Price\": 100.5}", false },
        { "{\"Price\": [{\"numeric\": [\">\", 10, \"<=\", 20]}]}", "{\"Price\": 20}", true },
        { "{\"Price\": [{\"numeric\": [\">\", 10, \"<=\", 20]}]}", "{\"Price\": 10}", false },
        { "{\"Price\": [{\"numeric\": [\">\", 10, \"<=\", 20]}]}", "{\"Price\": 10.000001}", true },
        { "{\"Price\": [{\"numeric\": [\">\", 10, \"<=\", 20]}]}", "{\"Price\": 20.5}", false },
        { "{\"p\": [{\"numeric\": [\">=\", 0, \"<\", 1]}]}", "{\"p\": 0}", true },
        { "{\"p\": [{\"numeric\": [\">=\", 0, \"<\", 1]}]}", "{\"p\": 1}", false },
        { "{\"p\": [{\"numeric\": [\"<\", 10]}]}", "{\"p\": -1e300}", true },
        { "{\"p\": [{\"numeric\": [\"<=\", -1.5]}]}", "{\"p\": -1.5}", true },
        { "{\"p\": [{\"numeric\": [\">\", 0]}]}", "{\"p\": 6e9}", true },    /* only bounds are limited */
        { "{\"p\": [{\"numeric\": [\">\", -5e9]}]}", "{\"p\": -4999999999}", true },
        /* JSON numbers only */
        { "{\"p\": [{\"numeric\": [\">\", 0]}]}", "{\"p\": true}", false },
        { "{\"p\": [{\"numeric\": [\">\", 0]}]}", "{\"p\": null}", false },
        { "{\"p\": [{\"numeric\": [\">\", 0]}]}", "{}", false },
    };
    filter_check_table(t, N(t));
}
END_TEST

START_TEST(test_exists)
{
    static const struct mcase t[] = {
        { "{\"ProductName\": [{\"exists\": true}]}", "{\"ProductName\": \"x\"}", true },
        { "{\"ProductName\": [{\"exists\": true}]}", "{\"ProductName\": 0}", true },
        { "{\"ProductName\": [{\"exists\": true}]}", "{\"ProductName\": \"\"}", true },
        { "{\"ProductName\": [{\"exists\": true}]}", "{\"Other\": 1}", false },
        { "{\"ProductName\": [{\"exists\": false}]}", "{\"Other\": 1}", true },
        { "{\"ProductName\": [{\"exists\": false}]}", "{\"ProductName\": 1}", false },
        /* null is a value: the field exists */
        { "{\"ProductName\": [{\"exists\": true}]}", "{\"ProductName\": null}", true },
        { "{\"ProductName\": [{\"exists\": false}]}", "{\"ProductName\": null}", false },
        /* exists works on leaves: an object or an empty list is no value */
        { "{\"c\": [{\"exists\": false}]}", "{\"c\": {\"c1\": 100}}", true },
        { "{\"c\": [{\"exists\": true}]}", "{\"c\": {\"c1\": 100}}", false },
        { "{\"c\": [{\"exists\": false}]}", "{\"c\": []}", true },
        { "{\"c\": [{\"exists\": true}]}", "{\"c\": [1]}", true },
        { "{\"c\": [{\"exists\": true}]}", "{\"c\": [[], {}]}", false },
        /* under a missing (or non-object) parent the field is missing too */
        { "{\"detail\": {\"c\": [{\"exists\": false}]}}", "{}", true },
        { "{\"detail\": {\"c\": [{\"exists\": false}]}}", "{\"detail\": \"text\"}", true },
        { "{\"detail\": {\"c\": [{\"exists\": true}]}}", "{}", false },
    };
    filter_check_table(t, N(t));
}
END_TEST

START_TEST(test_prefix)
{
    static const struct mcase t[] = {
        { "{\"Region\": [{\"prefix\": \"us-\"}]}", "{\"Region\": \"us-east-1\"}", true },
        { "{\"Region\": [{\"prefix\": \"us-\"}]}", "{\"Region\": \"us-\"}", true },
        { "{\"Region\": [{\"prefix\": \"us-\"}]}", "{\"Region\": \"eu-west-1\"}", false },
        { "{\"Region\": [{\"prefix\": \"us-\"}]}", "{\"Region\": \"US-east-1\"}", false },
        { "{\"Region\": [{\"prefix\": \"us-\"}]}", "{\"Region\": \"us\"}", false },
        { "{\"n\": [{\"prefix\": \"12\"}]}", "{\"n\": 123}", false },        /* strings only */
        { "{\"s\": [{\"prefix\": \"\"}]}", "{\"s\": \"anything\"}", true },
    };
    filter_check_table(t, N(t));
}
END_TEST

START_TEST(test_suffix)
{
    static const struct mcase t[] = {
        { "{\"FileName\": [{\"suffix\": \".png\"}]}", "{\"FileName\": \"cat.png\"}", true },
        { "{\"FileName\": [{\"suffix\": \".png\"}]}", "{\"FileName\": \".png\"}", true },
        { "{\"FileName\": [{\"suffix\": \".png\"}]}", "{\"FileName\": \"cat.PNG\"}", false },
        { "{\"FileName\": [{\"suffix\": \".png\"}]}", "{\"FileName\": \"png\"}", false },
        { "{\"FileName\": [{\"suffix\": \".png\"}]}", "{\"FileName\": 7}", false },
    };
    filter_check_table(t, N(t));
}
END_TEST

/* A list in the event: any element matching is enough; nested patterns match within one
 * element (keys matched in different elements never combine). */
START_TEST(test_event_lists)
{
    static const struct mcase t[] = {
        { "{\"tags\": [\"red\"]}", "{\"tags\": [\"blue\", \"red\"]}", true },
        { "{\"tags\": [\"red\"]}", "{\"tags\": [\"blue\"]}", false },
        { "{\"tags\": [\"red\"]}", "{\"tags\": []}", false },
        { "{\"tags\": [\"red\"]}", "{\"tags\": [[\"blue\"], [\"red\"]]}", true },
        { "{\"tags\": [{\"prefix\": \"r\"}]}", "{\"tags\": [1, \"rose\"]}", true },
        { "{\"n\": [{\"numeric\": [\">\", 10]}]}", "{\"n\": [1, 2, 30]}", true },
        { "{\"n\": [{\"numeric\": [\">\", 10]}]}", "{\"n\": [1, 2, 3]}", false },
        { "{\"e\": {\"first\": [\"Anna\"]}}", "{\"e\": [{\"first\": \"John\"}, {\"first\": \"Anna\"}]}", true },
        { "{\"e\": {\"first\": [\"Anna\"], \"last\": [\"Jones\"]}}",
          "{\"e\": [{\"first\": \"Anna\", \"last\": \"Smith\"}, {\"first\": \"Peter\", \"last\": \"Jones\"}]}", false },
        { "{\"e\": {\"first\": [\"Anna\"], \"last\": [\"Smith\"]}}",
          "{\"e\": [{\"first\": \"Anna\", \"last\": \"Smith\"}, {\"first\": \"Peter\", \"last\": \"Jones\"}]}", true },
        { "{\"e\": {\"first\": [\"Anna\"]}}", "{\"e\": [[{\"first\": \"Anna\"}]]}", true },
        { "{\"e\": {\"first\": [\"Anna\"]}}", "{\"e\": []}", false },
        { "{\"r\": [\"x\"]}", "[{\"r\": \"y\"}, {\"r\": \"x\"}]", true },  /* the event itself a list */
    };
    filter_check_table(t, N(t));
}
END_TEST

/* A missing field, or one under a missing parent, matches only exists: false. */
START_TEST(test_missing_fields)
{
    static const struct mcase t[] = {
        { "{\"a\": [\"x\"]}", "{}", false },
        { "{\"a\": [null]}", "{}", false },
        { "{\"a\": [\"\"]}", "{}", false },
        { "{\"a\": [{\"prefix\": \"\"}]}", "{}", false },
        { "{\"a\": [{\"numeric\": [\">\", 0]}]}", "{}", false },
        { "{\"a\": [{\"anything-but\": \"x\"}]}", "{}", false },
        { "{\"a\": {\"b\": [\"x\"]}}", "{}", false },
        { "{\"a\": {\"b\": [\"x\"]}}", "{\"a\": \"b\"}", false },
        { "{\"a\": {\"b\": [\"x\"]}}", "{\"a\": null}", false },
        { "{\"a\": [\"x\"]}", "\"a\"", false },                             /* not an object at all */
        { "{\"a\": [{\"exists\": false}]}", "\"a\"", true },
        /* fields the pattern does not name are ignored */
        { "{\"a\": [\"x\"]}", "{\"a\": \"x\", \"b\": {\"c\": [1, 2]}}", true },
    };
    filter_check_table(t, N(t));
}
END_TEST

/* A number written as a string is a string: numbers and numeric never match it, nor do
 * strings match a number. */
START_TEST(test_numbers_as_strings)
{
    static const struct mcase t[] = {
        { "{\"n\": [5]}", "{\"n\": \"5\"}", false },
        { "{\"n\": [\"5\"]}", "{\"n\": 5}", false },
        { "{\"n\": [\"5\"]}", "{\"n\": \"5\"}", true },
        { "{\"n\": [{\"numeric\": [\"=\", 3]}]}", "{\"n\": \"3\"}", false },
        { "{\"n\": [{\"numeric\": [\">\", 0]}]}", "{\"n\": \"46\"}", false },
        { "{\"n\": [{\"numeric\": [\">\", 0]}]}", "{\"n\": [\"46\", 1]}", true },
        { "{\"n\": [{\"prefix\": \"4\"}]}", "{\"n\": 46}", false },
    };
    filter_check_table(t, N(t));
}
END_TEST

START_TEST(test_or_across_patterns)
{
    const char *p[] = { "{\"t\": [\"a\"]}", "{\"t\": [\"b\"]}", "{\"u\": [{\"exists\": true}]}" };
    const char *events[] = { "{\"t\": \"a\"}", "{\"t\": \"b\"}", "{\"t\": \"c\"}", "{\"u\": 0}" };
    const bool want[] = { true, true, false, true };
    struct fg_filter *f;
    struct fg_err err;
    ck_assert_int_eq(fg_filter_compile(p, 3, &f, &err), 0);
    for (size_t i = 0; i < N(events); i++) {
        json_t *ev = json_loads(events[i], 0, NULL);
        ck_assert_msg(fg_filter_match(f, ev) == want[i], "%s", events[i]);
        json_decref(ev);
    }
    fg_filter_free(f);
}
END_TEST

struct bad {
    const char *pattern, *msg;
};

/* Refused with the pattern's number, where in it, and why. */
static const struct bad bads[] = {
    { "not json", "pattern 1 is not JSON: line 1, column " },
    { "5", "pattern 1: a pattern is a JSON object, got a number" },
    { "{\"a\": [1}", "pattern 1 is not JSON: line 1, column 9: " },
    { "[1]", "pattern 1: a pattern is a JSON object, got a list" },
    { "{}", "pattern 1: a pattern is a JSON object with at least one field" },
    { "{\"a\": {}}", "pattern 1 at a: an empty object matches nothing" },
    /* a leaf is a list: a bare value is not a pattern */
    { "{\"a\": \"x\"}", "pattern 1 at a: a value is a non-empty list (e.g. [\"paid\"]) or a nested object, got a string" },
    { "{\"a\": {\"b\": 5}}", "pattern 1 at a.b: a value is a non-empty list (e.g. [\"paid\"]) or a nested object, got a number" },
    { "{\"a\": []}", "pattern 1 at a: a value is a non-empty list (e.g. [\"paid\"]) or a nested object, got an empty list" },
    { "{\"a\": [[1]]}", "pattern 1 at a[0]: a list entry is a string, a number, true, false, null or an operator object" },
    { "{\"a\": [{\"prefix\": \"x\", \"suffix\": \"y\"}]}", "pattern 1 at a[0]: an operator is an object with exactly one key" },
    { "{\"a\": [{}]}", "pattern 1 at a[0]: an operator is an object with exactly one key" },
    { "{\"a\": [\"ok\", {\"contains\": \"x\"}]}", "pattern 1 at a[1]: unknown operator 'contains'" },
    /* operand types */
    { "{\"a\": [{\"prefix\": 1}]}", "pattern 1 at a[0]: prefix takes a string, got a number" },
    { "{\"a\": [{\"suffix\": null}]}", "pattern 1 at a[0]: suffix takes a string, got null" },
    { "{\"a\": [{\"equals-ignore-case\": [\"x\"]}]}", "pattern 1 at a[0]: equals-ignore-case takes a string, got a list" },
    { "{\"a\": [{\"exists\": \"yes\"}]}", "pattern 1 at a[0]: exists takes true or false" },
    { "{\"a\": [{\"anything-but\": []}]}", "pattern 1 at a[0]: anything-but takes a string, a number, or a non-empty list of strings or of numbers, got an empty list" },
    { "{\"a\": [{\"anything-but\": null}]}", "pattern 1 at a[0]: anything-but takes a string, a number, or a non-empty list" },
    { "{\"a\": [{\"anything-but\": [true]}]}", "pattern 1 at a[0]: anything-but takes a string, a number, or a non-empty list" },
    { "{\"a\": [{\"anything-but\": [[1]]}]}", "pattern 1 at a[0]: anything-but takes a string, a number, or a non-empty list" },
    { "{\"a\": [{\"anything-but\": [\"x\", 1]}]}", "pattern 1 at a[0]: anything-but lists strings only or numbers only, not both" },
    /* numeric: =, one lower bound, one upper bound, lower first, within +-5e9 */
    { "{\"a\": [{\"numeric\": \">\"}]}", "pattern 1 at a[0]: numeric takes [\"=\", n]" },
    { "{\"a\": [{\"numeric\": [\">\"]}]}", "pattern 1 at a[0]: numeric takes [\"=\", n]" },
    { "{\"a\": [{\"numeric\": []}]}", "pattern 1 at a[0]: numeric takes [\"=\", n]" },
    { "{\"a\": [{\"numeric\": [\"!=\", 1]}]}", "pattern 1 at a[0]: numeric operator '!=': the operators are = < <= > >=" },
    { "{\"a\": [{\"numeric\": [1, 1]}]}", "pattern 1 at a[0]: numeric operator not a string" },
    { "{\"a\": [{\"numeric\": [\">\", \"1\"]}]}", "pattern 1 at a[0]: numeric '>' takes a number, got a string" },
    { "{\"a\": [{\"numeric\": [\"=\", 1, \"<\", 2]}]}", "pattern 1 at a[0]: numeric takes [\"=\", n]" },
    { "{\"a\": [{\"numeric\": [\">\", 1, \">\", 2]}]}", "pattern 1 at a[0]: numeric takes [\"=\", n]" },
    { "{\"a\": [{\"numeric\": [\"<\", 1, \"<\", 2]}]}", "pattern 1 at a[0]: numeric takes [\"=\", n]" },
    { "{\"a\": [{\"numeric\": [\"<\", 5, \">\", 1]}]}", "pattern 1 at a[0]: numeric takes [\"=\", n]" },
    { "{\"a\": [{\"numeric\": [\">\", 0, \"<\", 1, \"<\", 2]}]}", "pattern 1 at a[0]: numeric takes [\"=\", n]" },
    { "{\"a\": [{\"numeric\": [\">\", 5, \"<\", 1]}]}", "pattern 1 at a[0]: numeric range: the lower bound must be below the upper bound" },
    { "{\"a\": [{\"numeric\": [\">=\", 5, \"<=\", 5]}]}", "pattern 1 at a[0]: numeric range: the lower bound must be below the upper bound" },
    { "{\"a\": [{\"numeric\": [\"<\", 5000000001]}]}", "pattern 1 at a[0]: numeric 5000000001 is outside -5e9..5e9" },
    { "{\"a\": [{\"numeric\": [\">\", -6e9]}]}", "pattern 1 at a[0]: numeric -6000000000 is outside -5e9..5e9" },
    /* EventBridge has these, Lambda's filters do not */
    { "{\"a\": [{\"wildcard\": \"*.png\"}]}", "pattern 1 at a[0]: wildcard is an EventBridge operator, not in Lambda's filters" },
    { "{\"ip\": [{\"cidr\": \"10.0.0.0/24\"}]}", "pattern 1 at ip[0]: cidr is an EventBridge operator, not in Lambda's filters" },
    { "{\"$or\": [{\"a\": [1]}, {\"b\": [2]}]}", "pattern 1 at $or: $or is an EventBridge operator, not in Lambda's filters" },
    { "{\"a\": [{\"anything-but\": {\"prefix\": \"x\"}}]}", "pattern 1 at a[0]: anything-but with prefix is an EventBridge operator" },
    { "{\"a\": [{\"anything-but\": {\"suffix\": \"x\"}}]}", "pattern 1 at a[0]: anything-but with suffix is an EventBridge operator" },
    { "{\"a\": [{\"anything-but\": {\"equals-ignore-case\": \"x\"}}]}", "pattern 1 at a[0]: anything-but with equals-ignore-case is an EventBridge operator" },
    { "{\"a\": [{\"anything-but\": {\"wildcard\": \"x*\"}}]}", "pattern 1 at a[0]: anything-but with wildcard is an EventBridge operator" },
    { "{\"a\": [{\"prefix\": {\"foo\": \"x\"}}]}", "pattern 1 at a[0]: prefix takes a string, got an object" },
    { "{\"a\": [{\"anything-but\": {\"foo\": 1}}]}", "pattern 1 at a[0]: anything-but takes a string, a number, or a non-empty list" },
    { "{\"a\": [{\"prefix\": {\"equals-ignore-case\": \"x\"}}]}", "pattern 1 at a[0]: prefix with equals-ignore-case is an EventBridge operator" },
    { "{\"a\": [{\"suffix\": {\"equals-ignore-case\": \"x\"}}]}", "pattern 1 at a[0]: suffix with equals-ignore-case is an EventBridge operator" },
    /* where: the path through nested objects and list positions */
    { "{\"body\": {\"ok\": [1], \"price\": [2, {\"numeric\": [\">\"]}]}}", "pattern 1 at body.price[1]: numeric takes" },
};

START_TEST(test_bad_patterns)
{
    struct fg_filter *f;
    struct fg_err err;
    ck_assert_int_eq(fg_filter_compile(&bads[_i].pattern, 1, &f, &err), -EINVAL);
    ck_assert_msg(strstr(err.msg, bads[_i].msg) == err.msg, "%s: want '%s...', got '%s'", bads[_i].pattern,
                  bads[_i].msg, err.msg);
    ck_assert_ptr_null(f);
}
END_TEST

/* The pattern's number is the one that is wrong; more than 5 patterns are refused. */
START_TEST(test_bad_pattern_numbers)
{
    const char *three[] = { "{\"a\": [1]}", "{\"b\": [2]}", "{\"c\": [{\"exists\": 1}]}" };
    const char *six[] = { "{\"a\":[1]}", "{\"a\":[1]}", "{\"a\":[1]}", "{\"a\":[1]}", "{\"a\":[1]}", "{\"a\":[1]}" };
    struct fg_filter *f;
    struct fg_err err;
    ck_assert_int_eq(fg_filter_compile(three, 3, &f, &err), -EINVAL);
    ck_assert_str_eq(err.msg, "pattern 3 at c[0]: exists takes true or false, got a number");
    ck_assert_ptr_null(f);
    ck_assert_int_eq(fg_filter_compile(six, 6, &f, &err), -EINVAL);
    ck_assert_str_eq(err.msg, "1 to 5 patterns");
    ck_assert_int_eq(fg_filter_compile(six, 0, &f, &err), -EINVAL);
    ck_assert_ptr_null(f);
}
END_TEST

/* Deep patterns are refused at 32 levels; deep events are walked. */
START_TEST(test_depth)
{
    char deep[512] = "", ev[512] = "";
    const char *p = deep;
    struct fg_filter *f;
    struct fg_err err;
    json_t *e;
    for (int i = 0; i < 33; i++)
        strcat(deep, "{\"a\":");
    strcat(deep, "[1]");
    for (int i = 0; i < 33; i++)
        strcat(deep, "}");
    ck_assert_int_eq(fg_filter_compile(&p, 1, &f, &err), -EINVAL);
    ck_assert_ptr_nonnull(strstr(err.msg, "nested deeper than 32 levels"));
    deep[0] = '\0';
    for (int i = 0; i < 32; i++)
        strcat(deep, "{\"a\":");
    strcat(deep, "[1]");
    for (int i = 0; i < 32; i++)
        strcat(deep, "}");
    ck_assert_msg(fg_filter_compile(&p, 1, &f, &err) == 0, "%s", err.msg);
    for (int i = 0; i < 32; i++)
        strcat(ev, "{\"a\":[");
    strcat(ev, "1");
    for (int i = 0; i < 32; i++)
        strcat(ev, "]}");
    e = json_loads(ev, 0, NULL);
    ck_assert_ptr_nonnull(e);
    ck_assert(fg_filter_match(f, e));
    json_decref(e);
    fg_filter_free(f);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("filter");
    TCase *tc = tcase_create("filter");
    tcase_add_test(tc, test_null);
    tcase_add_test(tc, test_empty);
    tcase_add_test(tc, test_equals);
    tcase_add_test(tc, test_equals_ignore_case);
    tcase_add_test(tc, test_and);
    tcase_add_test(tc, test_or);
    tcase_add_test(tc, test_anything_but);
    tcase_add_test(tc, test_numeric);
    tcase_add_test(tc, test_exists);
    tcase_add_test(tc, test_prefix);
    tcase_add_test(tc, test_suffix);
    tcase_add_test(tc, test_event_lists);
    tcase_add_test(tc, test_missing_fields);
    tcase_add_test(tc, test_numbers_as_strings);
    tcase_add_test(tc, test_or_across_patterns);
    tcase_add_loop_test(tc, test_bad_patterns, 0, (int)N(bads));
    tcase_add_test(tc, test_bad_pattern_numbers);
    tcase_add_test(tc, test_depth);
    return fg_unit_run(s, tc);
}
