/* SPDX-License-Identifier: MIT */
/* test_s3_xml.c - gateway/s3_xml.h: the part numbers a CompleteMultipartUpload body names
 * (the documents it writes are read by the AWS CLI in tests/integration/test_s3.py). */
#include <check.h>
#include <stdlib.h>

#include "gateway/s3_xml.h"
#include "unit.h"

#define CMU_HEAD "<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
#define PART(etag, n) "<Part><ETag>\"" etag "\"</ETag><PartNumber>" n "</PartNumber></Part>"

struct parts_case {
    const char *body;
    size_t n;
    int parts[4];
};

static const struct parts_case parts_cases[] = {
    { CMU_HEAD PART("a1", "1") PART("b2", "2") PART("c3", "3") "</CompleteMultipartUpload>", 3, { 1, 2, 3 } },
    { CMU_HEAD PART("a1", "10000") PART("b2", "7") "</CompleteMultipartUpload>", 2, { 10000, 7 } },
    { CMU_HEAD "</CompleteMultipartUpload>", 0, { 0 } },
    { "", 0, { 0 } },
    { "<PartNumber>x</PartNumber><PartNumber> 4</PartNumber><PartNumber>-2</PartNumber>", 3, { 0, 4, -2 } },
    /* Beyond an int: 0 (refused by the store), not atoi's wrap to part 1 and -1827012608. */
    { "<PartNumber>4294967297</PartNumber><PartNumber>0004000000000</PartNumber>", 2, { 0, 0 } },
    { "<PartNumber>2147483647</PartNumber><PartNumber>99999999999999999999999</PartNumber>", 2, { 2147483647, 0 } },
};

START_TEST(test_parts)
{
    const struct parts_case *c = &parts_cases[_i];
    int *parts = NULL;
    size_t n = 99;
    ck_assert_int_eq(fg_s3_xml_parts(c->body, &parts, &n), 0);
    ck_assert_uint_eq(n, c->n);
    ck_assert(n ? parts != NULL : parts == NULL);
    for (size_t i = 0; i < n; i++)
        ck_assert_msg(parts[i] == c->parts[i], "case %d part %zu: %d, want %d", _i, i, parts[i], c->parts[i]);
    free(parts);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("s3_xml");
    TCase *tc = tcase_create("s3_xml");
    tcase_add_loop_test(tc, test_parts, 0, (int)(sizeof(parts_cases) / sizeof(parts_cases[0])));
    return fg_unit_run(s, tc);
}
