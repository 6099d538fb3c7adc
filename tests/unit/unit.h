/* SPDX-License-Identifier: MIT */
/* unit.h - the one way a unit-test binary runs its suite: Check's normal output, whose
 * summary line tests/run.sh counts, and exit status 1 when anything failed. */
#ifndef FG_UNIT_H
#define FG_UNIT_H

#include <check.h>

static inline int fg_unit_run(Suite *s, TCase *tc)
{
    SRunner *sr;
    int failed;

    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}

#endif
