/* SPDX-License-Identifier: MIT */
/* batch_response.h - reading a function's partial batch answer (ReportBatchItemFailures).
 *
 * Queues and streams share Lambda's rule: {"batchItemFailures":[{"itemIdentifier":ID}]}
 * lists what failed; null, {} or an empty list means the whole batch succeeded; anything
 * malformed (not an object, a list that is not a list, an item without a non-empty string
 * identifier, an identifier that is not in the batch) fails the whole batch. Pure.
 * Tests: tests/unit/test_poll.c. */
#ifndef FG_BATCH_RESPONSE_H
#define FG_BATCH_RESPONSE_H

#include <stdbool.h>
#include <stddef.h>

/* ids[0..n) are the batch's item identifiers. On 0, failed[i] tells whether item i failed
 * (failed has n entries, caller-owned). -1: malformed (the whole batch failed; failed is
 * unspecified). */
int fg_batch_failures(const char *resp, size_t len, const char *const *ids, size_t n, bool *failed);

#endif
