/* SPDX-License-Identifier: MIT */
/* conf_sam.h - what conf_sam.c (the template, Globals, functions, Policies) and
 * conf_sam_events.c (a function's Events) share while a SAM template becomes an
 * fngate.yaml document. Private to config/. */
#ifndef FG_CONF_SAM_H
#define FG_CONF_SAM_H

#include "conf_doc.h"

struct fg_sam {
    struct fg_conf_parser *p;
    struct fy_node *root;        /* the template */
    struct fy_node *globals;     /* Globals.Function, or NULL */
    struct fy_node *top;         /* the fngate.yaml being made */
    struct fy_node *section;     /* Metadata.fngate, or NULL */
    struct fg_cfn cfn;           /* intrinsics against Parameters and Resources */
    struct fy_node *api_cors;    /* Globals.Api.Cors (REST routes), or NULL */
    bool http_api_cors;          /* Globals.HttpApi.CorsConfiguration went to gateway.cors */
    bool s3_used;
    struct fy_node *scratch;     /* Globals merged into a function's maps (sam_prop), freed at the end */
};

/* Events (a mapping of name: {Type, Properties}) of function fname into out's `events:`. */
int fg_sam_events(struct fg_sam *s, const char *fname, struct fy_node *events, struct fy_node *out) FG_MUST_CHECK;

#endif
