/* SPDX-License-Identifier: MIT */
/* function_url_api.h - the Lambda API's function URL operations on the Invoke API's
 * listener: GetFunctionUrlConfig (GET /2021-10-31/functions/NAME/url) and
 * ListFunctionUrlConfigs (GET /2021-10-31/functions/NAME/urls), as `aws lambda
 * get-function-url-config` and `list-function-url-configs` call them, behind the same
 * authentication as Invoke.
 *
 * URLs are configured in fngate.yaml, so Create, Update and Delete are refused with a
 * message that says where. FunctionUrl is one that reaches fngate (the Host form of
 * gateway/function_url.h on the front door's port); CreationTime and LastModifiedTime are
 * the configuration file's modification time. Any thread. Tests:
 * tests/integration/test_function_url.py. */
#ifndef FG_FUNCTION_URL_API_H
#define FG_FUNCTION_URL_API_H

#include "../config/config.h"
#include "../core/iam_creds.h"
#include "invoke_api.h"

#define FG_FUNCTION_URL_API_PREFIX "/2021-10-31/functions/"

/* Answers a request for raw_path (as sent, without the query) by who (a role principal is
 * held to lambda:GetFunctionUrlConfig / lambda:ListFunctionUrlConfigs). port is the front
 * door's. 0 with *a filled (close it), or -ENOENT when raw_path is not one of these
 * operations (a is untouched). */
int fg_function_url_api(const struct fg_config *conf, const char *method, const char *raw_path,
                        const struct fg_iam_principal *who, int port, struct fg_invoke_answer *a);

#endif
