/* SPDX-License-Identifier: MIT */
#include "conf_doc.h"
int fg_conf_sam_translate(struct fg_conf_parser *p, struct fy_document **doc)
{
    (void)p;
    (void)doc;
    return 0;
}
