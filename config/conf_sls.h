/* SPDX-License-Identifier: MIT */
/* conf_sls.h - what conf_sls.c (the file, provider and functions) and conf_sls_events.c
 * (a function's events) share while a serverless.yml becomes an fngate.yaml document.
 * Private to config/. */
#ifndef FG_CONF_SLS_H
#define FG_CONF_SLS_H

#include "conf_doc.h"

struct fg_sls {
    struct fg_conf_parser *p;
    struct fy_node *root;        /* the serverless.yml, variables resolved */
    struct fy_node *top;         /* the fngate.yaml being made */
    struct fy_node *section;     /* custom.fngate, or NULL */
    struct fg_cfn cfn;           /* its intrinsics, against resources.Resources */
    const char *payload;         /* provider.httpApi.payload ("1.0", "2.0"), or NULL */
    bool http_api_cors;          /* provider.httpApi.cors given: it must not reach `http` routes */
    bool s3_used;                /* an s3 event: the S3 endpoint is turned on */
};

/* The function fname's `events:` (serverless.yml's list) appended to out's `events:`. */
int fg_sls_events(struct fg_sls *s, const char *fname, struct fy_node *events, struct fy_node *out) FG_MUST_CHECK;

/* A CORS value as serverless.yml writes it (true, or httpApi's allowedOrigins... or http's
 * origin/origins/headers...) as fngate's cors value, into map at key `cors`. method: the
 * route's method for http's per-route form, or NULL. */
int fg_sls_cors(struct fg_sls *s, struct fy_node *map, struct fy_node *val, const char *method) FG_MUST_CHECK;

#endif
