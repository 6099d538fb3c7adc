/* SPDX-License-Identifier: MIT */
/* url.c - percent-decoding and URL authorities (see url.h). */
#include "url.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "hash_block.h"

int fg_url_decode(struct fg_buf *out, const char *s, size_t n, enum fg_url_mode mode)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '%' && i + 2 < n && fg_unhex(s + i + 1, 1, &c) == 0)
            i += 2;
        else if (c == '+' && mode == FG_URL_FORM)
            c = ' ';
        fg_buf_append(out, &c, 1);
    }
    return fg_buf_append(out, "", 0);
}

void fg_url_authority(char *out, size_t size, const char *host, int port)
{
    bool v6 = strchr(host, ':') != NULL;
    snprintf(out, size, "%s%s%s:%d", v6 ? "[" : "", host, v6 ? "]" : "", port);
}
