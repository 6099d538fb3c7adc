/* SPDX-License-Identifier: MIT */
/* test_usage.c - router/usage.h: figures added up per hour, function and memory size;
 * flushed to a file per UTC day and read back summed, by time and function, after a
 * reopen too; a finished day rewritten with one line a key; days past the 400 kept
 * deleted. A real directory under /tmp. */
#include <check.h>
#include <dirent.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "router/usage.h"
#include "unit.h"

/* 2026-03-10T10:00:00Z and the hour after; 2026-03-11T00:00:00Z. */
#define H10 1773136800000LL
#define H11 (H10 + FG_USAGE_HOUR_MS)
#define DAY2 1773187200000LL

static void rm_dir(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char path[1024];
    while (d && (e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        unlink(path);
    }
    if (d)
        closedir(d);
    rmdir(dir);
}

static size_t file_lines(const char *path)
{
    FILE *f = fopen(path, "r");
    size_t n = 0;
    int c;
    ck_assert_ptr_nonnull(f);
    while ((c = fgetc(f)) != EOF)
        n += c == '\n';
    fclose(f);
    return n;
}

/* The answer's rows as JSON (owned). */
static json_t *usage_rows(struct fg_usage *u, long long since, long long until, const char *fn)
{
    struct fg_buf b;
    json_t *j;
    fg_buf_init(&b, 1 << 20);
    ck_assert_int_eq(fg_usage_read(u, since, until, fn, &b), 0);
    ck_assert_ptr_nonnull(j = json_loads(b.data, 0, NULL));
    fg_buf_free(&b);
    return j;
}

static long long row(json_t *j, size_t i, const char *key)
{
    return json_integer_value(json_object_get(json_array_get(json_object_get(j, "usage"), i), key));
}

START_TEST(test_usage_sums_per_hour_function_memory)
{
    char dir[] = "/tmp/fg-usage-XXXXXX";
    struct fg_usage *u;
    struct fg_err err;
    json_t *j;

    ck_assert_ptr_nonnull(mkdtemp(dir));
    ck_assert_ptr_nonnull(u = fg_usage_open(dir, &err));
    fg_usage_add(u, "A", 1, H10 + 5, 100, 128);
    fg_usage_add(u, "A", 1, H10 + 60000, 250, 128);
    fg_usage_add(u, "A", 1, H10 + 70000, 7, 256);          /* another memory size: its own row */
    fg_usage_add(u, "Bxyz", 1, H10 + 80000, 3, 128);       /* the name's first byte only */
    ck_assert_int_eq(fg_usage_flush(u), 0);
    fg_usage_add(u, "A", 1, H10 + 90000, 50, 128);         /* a second line for the same key */
    fg_usage_add(u, "A", 1, H11 + 1, 1, 128);
    fg_usage_add(u, "A", 1, DAY2 + 1, 2, 128);             /* the next day's file */
    j = usage_rows(u, 0, 0, NULL);                          /* reading flushes first */
    ck_assert_int_eq(json_array_size(json_object_get(j, "usage")), 5);
    ck_assert_int_eq(row(j, 0, "hour"), H10);
    ck_assert_int_eq(row(j, 0, "memory_mb"), 128);
    ck_assert_int_eq(row(j, 0, "requests"), 3);
    ck_assert_int_eq(row(j, 0, "billed_ms"), 400);
    ck_assert_int_eq(row(j, 1, "memory_mb"), 256);
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(json_object_get(j, "usage"), 2), "function")),
                     "B");
    ck_assert_int_eq(row(j, 3, "hour"), H11);
    ck_assert_int_eq(row(j, 4, "hour"), DAY2);
    json_decref(j);
    /* since falls to its hour; until is the last hour start taken; one function. */
    j = usage_rows(u, H10 + 1800000, H11, "A");
    ck_assert_int_eq(json_array_size(json_object_get(j, "usage")), 3);
    ck_assert_int_eq(row(j, 2, "hour"), H11);
    json_decref(j);
    j = usage_rows(u, H11, 0, "Nope");
    ck_assert_int_eq(json_array_size(json_object_get(j, "usage")), 0);
    json_decref(j);
    /* Kept: a new instance reads the same. */
    fg_usage_close(u);
    ck_assert_ptr_nonnull(u = fg_usage_open(dir, &err));
    j = usage_rows(u, 0, 0, NULL);
    ck_assert_int_eq(json_array_size(json_object_get(j, "usage")), 5);
    ck_assert_int_eq(row(j, 0, "billed_ms"), 400);
    json_decref(j);
    fg_usage_close(u);
    rm_dir(dir);
}
END_TEST

START_TEST(test_usage_maintain_compacts_and_expires)
{
    char dir[] = "/tmp/fg-usage-XXXXXX", path[256], old[256];
    struct fg_usage *u;
    struct fg_err err;
    FILE *f;
    json_t *j;

    ck_assert_ptr_nonnull(mkdtemp(dir));
    ck_assert_ptr_nonnull(u = fg_usage_open(dir, &err));
    for (int i = 0; i < 3; i++) {
        fg_usage_add(u, "A", 1, H10 + i, 10, 128);
        ck_assert_int_eq(fg_usage_flush(u), 0);
    }
    snprintf(path, sizeof(path), "%s/2026-03-10.jsonl", dir);
    ck_assert_uint_eq(file_lines(path), 3);
    /* 401 days before the day: deleted once maintained. */
    snprintf(old, sizeof(old), "%s/2025-02-01.jsonl", dir);
    ck_assert_ptr_nonnull(f = fopen(old, "w"));
    fputs("{\"hour\":1738368000000,\"function\":\"A\",\"memory_mb\":128,\"requests\":1,\"billed_ms\":1}\n", f);
    fclose(f);
    fg_usage_maintain(u, H10);                  /* the same day: nothing to do yet */
    ck_assert_uint_eq(file_lines(path), 3);
    fg_usage_maintain(u, DAY2 + 5000);
    ck_assert_uint_eq(file_lines(path), 1);
    ck_assert_int_eq(access(old, F_OK), -1);
    j = usage_rows(u, 0, 0, NULL);
    ck_assert_int_eq(json_array_size(json_object_get(j, "usage")), 1);
    ck_assert_int_eq(row(j, 0, "requests"), 3);
    ck_assert_int_eq(row(j, 0, "billed_ms"), 30);
    json_decref(j);
    fg_usage_close(u);
    rm_dir(dir);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("usage");
    TCase *tc = tcase_create("usage");
    tcase_add_test(tc, test_usage_sums_per_hour_function_memory);
    tcase_add_test(tc, test_usage_maintain_compacts_and_expires);
    return fg_unit_run(s, tc);
}
