/* SPDX-License-Identifier: MIT */
/* fuzz_s3_xml.c - libFuzzer target for the S3 endpoint's XML (gateway/s3_xml.c): the one
 * body it reads, CompleteMultipartUpload's list of parts, which any client sends, and the
 * ListObjectsV2 document it writes from object keys (which clients choose) and the listing
 * parameters of the query. Built and run by `make fuzz`; seeds in corpus/fuzz_s3_xml/ (the
 * AWS CLI's CompleteMultipartUpload bodies and listings of a bucket).
 *
 * Input, cut at newlines (fuzz.h): the listing's prefix, delimiter and start-after; its
 * page size (a number, 1..1000); object keys, one a line, up to an empty line (those the
 * store could hold and UTF-8, as S3 keys are, sorted as the store lists them); the rest is
 * a CompleteMultipartUpload body. Invariants:
 * - fg_s3_xml_parts names a part for every <PartNumber>, in order: the number written
 *   there when it is one an int holds, 0 when it is none;
 * - a listing is well-formed XML (nested tags, entities only for & < > " ') whose keys are
 *   the listed keys under the prefix, in order, as many as KeyCount says and no more than
 *   the page holds;
 * - paging through with NextContinuationToken lists what one page of 1000 lists, each key
 *   and common prefix once. */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/hash_block.h"
#include "core/json_write.h"
#include "gateway/s3_store.h"
#include "gateway/s3_xml.h"
#include "tests/fuzz/fuzz.h"

#define FUZZ_MAX_KEYS 64
#define FUZZ_DELIM_MAX 7                   /* s3_api.c reads at most 7 bytes */
#define FUZZ_XML_MAX (16u << 20)

/* ------------------------------------------------------------------ parts */

/* What the text after <PartNumber> names: the decimal there (atoi's leading blanks and
 * sign allowed) when an int holds it, else 0. */
static int s3_part_written(const char *p)
{
    long long v = 0;
    bool neg = false, digits = false;
    while (*p == ' ' || (*p >= '\t' && *p <= '\r'))
        p++;
    if (*p == '+' || *p == '-')
        neg = *p++ == '-';
    for (; *p >= '0' && *p <= '9'; p++, digits = true) {
        v = v * 10 + (*p - '0');
        if (v > (long long)INT_MAX + 1)
            return 0;
    }
    v = neg ? -v : v;
    return digits && v >= INT_MIN && v <= INT_MAX ? (int)v : 0;
}

static void s3_check_parts(const char *body)
{
    int *parts = NULL;
    size_t n = 0, i = 0;
    const char *p = body;

    if (fg_s3_xml_parts(body, &parts, &n) < 0)
        return;                            /* -ENOMEM */
    if (!n != !parts)
        fuzz_fail("%zu parts in %p", n, (void *)parts);
    for (; (p = strstr(p, "<PartNumber>")); p += 12, i++) {
        int want = s3_part_written(p + 12);
        if (i >= n)
            fuzz_fail("more <PartNumber> than the %zu parts", n);
        if (parts[i] != want)
            fuzz_fail("part %zu is %d; the body says %.20s", i, parts[i], p);
    }
    if (i != n)
        fuzz_fail("%zu parts for %zu <PartNumber>", n, i);
    free(parts);
}

/* ------------------------------------------------------------------ listings */

static int s3_cmp_names(const void *a, const void *b)
{
    return strcmp(((const struct fg_s3_entry *)a)->name, ((const struct fg_s3_entry *)b)->name);
}

static void s3_etag(void *arg, const char *key, char out[48])
{
    (void)arg;
    snprintf(out, 48, "\"%zu\"", strlen(key));
}

/* Decodes the five entities into an owned string; NULL when an '&' starts none. */
static char *s3_unescape(const char *s, size_t n)
{
    static const struct { const char *ent; char c; } ents[] = {
        { "&amp;", '&' }, { "&lt;", '<' }, { "&gt;", '>' }, { "&quot;", '"' }, { "&apos;", '\'' },
    };
    char *out = malloc(n + 1), *o = out;
    FG_ASSERT(out);
    for (size_t i = 0; i < n;) {
        size_t k = 0;
        if (s[i] != '&') {
            *o++ = s[i++];
            continue;
        }
        while (k < 5 && strncmp(s + i, ents[k].ent, strlen(ents[k].ent)))
            k++;
        if (k == 5) {
            free(out);
            return NULL;
        }
        *o++ = ents[k].c;
        i += strlen(ents[k].ent);
    }
    *o = '\0';
    return out;
}

/* Well-formed: the XML declaration, then one element of nested elements without
 * attributes, whose text holds no '<' and only the five entities. */
static void s3_check_wellformed(const char *doc, size_t len)
{
    const char *names[16], *p = doc, *end = doc + len;
    size_t lens[16], depth = 0, roots = 0;

    if (strncmp(p, "<?xml ", 6) || !(p = strstr(p, "?>\n")))
        fuzz_fail("no XML declaration: %.60s", doc);
    for (p += 3; p < end;) {
        const char *gt, *lt;
        if (*p != '<') {
            lt = memchr(p, '<', (size_t)(end - p));
            lt = lt ? lt : end;
            if (!depth)
                fuzz_fail("text outside the root element");
            char *text = s3_unescape(p, (size_t)(lt - p));
            if (!text)
                fuzz_fail("an '&' that starts no entity: %.*s", (int)(lt - p), p);
            free(text);
            p = lt;
            continue;
        }
        if (!(gt = memchr(p, '>', (size_t)(end - p))))
            fuzz_fail("a tag without '>'");
        if (p[1] == '/') {
            if (!depth || (size_t)(gt - p - 2) != lens[depth - 1] || strncmp(p + 2, names[depth - 1], lens[depth - 1]))
                fuzz_fail("</%.*s> closes no open element", (int)(gt - p - 2), p + 2);
            depth--;
        } else {
            for (const char *c = p + 1; c < gt; c++)
                if (!((*c >= 'A' && *c <= 'Z') || (*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9')))
                    fuzz_fail("a tag name holds 0x%02x", (unsigned char)*c);
            if (depth == 16 || gt == p + 1)
                fuzz_fail("an empty tag name or elements nested too deep");
            roots += depth == 0;
            names[depth] = p + 1;
            lens[depth++] = (size_t)(gt - p - 1);
        }
        p = gt + 1;
    }
    if (depth || roots != 1)
        fuzz_fail("%zu elements left open, %zu roots", depth, roots);
}

/* Appends every <tag>text</tag> of doc, unescaped, to names (owned strings). */
static size_t s3_texts(const char *doc, const char *tag, char **names, size_t max)
{
    char open[32], close[32];
    const char *p = doc, *e;
    size_t n = 0;
    snprintf(open, sizeof(open), "<%s>", tag);
    snprintf(close, sizeof(close), "</%s>", tag);
    while ((p = strstr(p, open)) && (e = strstr(p, close))) {
        p += strlen(open);
        if (n == max)
            fuzz_fail("more than %zu <%s> in a page", max, tag);
        names[n++] = s3_unescape(p, (size_t)(e - p));
        p = e;
    }
    return n;
}

/* The value of <tag>, or NULL. Owned. */
static char *s3_text(const char *doc, const char *tag)
{
    char *one[1];
    return s3_texts(doc, tag, one, 1) ? one[0] : NULL;
}

struct s3_page_out {
    char *keys[FUZZ_MAX_KEYS], *prefixes[FUZZ_MAX_KEYS + 1];
    size_t n_keys, n_prefixes;
};

/* One page: checked, its keys and prefixes appended to out. Returns the decoded
 * continuation token (owned), or NULL when the page is the last. */
static char *s3_page(const struct fg_s3_listing *l, const struct fg_s3_list_params *p, struct s3_page_out *out)
{
    struct fg_buf b;
    char *keys[FUZZ_MAX_KEYS], *count, *truncated, *token = NULL, *hex;
    size_t n, np;

    fg_buf_init(&b, FUZZ_XML_MAX);
    if (fg_s3_xml_objects(&b, "fuzz-bucket", p, l, s3_etag, NULL) < 0)
        fuzz_fail("a listing of %zu keys does not fit %u bytes", l->n, FUZZ_XML_MAX);
    s3_check_wellformed(b.data, b.len);
    if (!fg_utf8_valid(b.data, b.len))
        fuzz_fail("a listing of UTF-8 keys is not UTF-8");
    n = s3_texts(b.data, "Key", keys, FUZZ_MAX_KEYS);
    np = s3_texts(b.data, "Prefix", out->prefixes + out->n_prefixes, FUZZ_MAX_KEYS + 1 - out->n_prefixes);
    /* The first <Prefix> is the request's, the others common prefixes. */
    if (!np || strcmp(out->prefixes[out->n_prefixes], p->prefix))
        fuzz_fail("the listing does not say its prefix");
    free(out->prefixes[out->n_prefixes]);
    memmove(out->prefixes + out->n_prefixes, out->prefixes + out->n_prefixes + 1, (np - 1) * sizeof(char *));
    out->n_prefixes += np - 1;
    count = s3_text(b.data, "KeyCount");
    truncated = s3_text(b.data, "IsTruncated");
    if (!count || (size_t)atoi(count) != n + np - 1 || n + np - 1 > (size_t)p->max_keys)
        fuzz_fail("KeyCount %s for %zu keys and %zu prefixes, max %d", count ? count : "(none)", n, np - 1, p->max_keys);
    for (size_t i = 0; i < n; i++) {
        bool listed = false;
        if (!keys[i] || strncmp(keys[i], p->prefix, strlen(p->prefix)))
            fuzz_fail("key '%s' is not under prefix '%s'", keys[i] ? keys[i] : "(bad)", p->prefix);
        for (size_t j = 0; j < l->n && !listed; j++)
            listed = !strcmp(l->v[j].name, keys[i]);
        if (!listed || (i && strcmp(keys[i - 1], keys[i]) >= 0))
            fuzz_fail("key '%s' is not listed, or out of order", keys[i]);
        if (out->n_keys == l->n)
            fuzz_fail("paging lists more keys than there are");
        out->keys[out->n_keys++] = keys[i];
    }
    if (truncated && !strcmp(truncated, "true")) {
        size_t hl;
        if (!(hex = s3_text(b.data, "NextContinuationToken")) || (hl = strlen(hex)) % 2 || !hl)
            fuzz_fail("a truncated page without a token");
        token = calloc(1, hl / 2 + 1);
        FG_ASSERT(token);
        if (fg_unhex(hex, hl / 2, (unsigned char *)token) < 0)
            fuzz_fail("the token %s is not hex", hex);
        free(hex);
    } else if (!truncated || strcmp(truncated, "false")) {
        fuzz_fail("IsTruncated is %s", truncated ? truncated : "(none)");
    }
    free(count);
    free(truncated);
    fg_buf_free(&b);
    return token;
}

static void s3_page_out_free(struct s3_page_out *o)
{
    for (size_t i = 0; i < o->n_keys; i++)
        free(o->keys[i]);
    for (size_t i = 0; i < o->n_prefixes; i++)
        free(o->prefixes[i]);
}

static void s3_check_listing(const struct fg_s3_listing *l, const char *prefix, const char *delim,
                             const char *start_after, int page)
{
    struct fg_s3_list_params p = { prefix, delim, "", start_after, 1000 };
    struct s3_page_out whole = { 0 }, paged = { 0 };
    char *token, *after = NULL;
    size_t pages = 0;

    if ((token = s3_page(l, &p, &whole)))
        fuzz_fail("%zu keys do not fit one page of 1000", l->n);
    p.max_keys = page;
    do {
        free(after);
        after = token;
        p.after = after ? after : "";
        token = s3_page(l, &p, &paged);
        if (token && after && strcmp(token, after) <= 0)
            fuzz_fail("the next page starts at or before this one");
        if (++pages > l->n + 1)
            fuzz_fail("paging does not end");
    } while (token);
    free(after);
    if (paged.n_keys != whole.n_keys || paged.n_prefixes != whole.n_prefixes)
        fuzz_fail("pages of %d list %zu keys and %zu prefixes, one page %zu and %zu", page, paged.n_keys,
                  paged.n_prefixes, whole.n_keys, whole.n_prefixes);
    for (size_t i = 0; i < paged.n_keys; i++)
        if (strcmp(paged.keys[i], whole.keys[i]))
            fuzz_fail("pages list '%s' where one page lists '%s'", paged.keys[i], whole.keys[i]);
    for (size_t i = 0; i < paged.n_prefixes; i++)
        if (strcmp(paged.prefixes[i], whole.prefixes[i]))
            fuzz_fail("pages list prefix '%s' where one page lists '%s'", paged.prefixes[i], whole.prefixes[i]);
    s3_page_out_free(&whole);
    s3_page_out_free(&paged);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_in in = { data, size };
    char *prefix = fuzz_line(&in, NULL), *delim = fuzz_line(&in, NULL), *start = fuzz_line(&in, NULL);
    char *page = fuzz_line(&in, NULL), *line, *body;
    struct fg_s3_listing l = { NULL, 0, 0 };
    size_t len;
    int max_keys;

    while (l.n < FUZZ_MAX_KEYS && (line = fuzz_line(&in, &len))) {
        if (!*line) {
            free(line);
            break;
        }
        if (fg_s3_store_key_ok(line, len) && fg_utf8_valid(line, len) && fg_s3_listing_add(&l, line, (long long)len, 0) < 0)
            fuzz_fail("out of memory");
        free(line);
    }
    body = fuzz_rest(&in, NULL);
    s3_check_parts(body);
    if (prefix && delim && start && page) {
        size_t kept = 0;
        if (l.n)
            qsort(l.v, l.n, sizeof(*l.v), s3_cmp_names);
        for (size_t i = 0; i < l.n; i++) {
            if (kept && !strcmp(l.v[kept - 1].name, l.v[i].name))
                free(l.v[i].name);
            else
                l.v[kept++] = l.v[i];
        }
        l.n = kept;
        max_keys = atoi(page);
        if (strlen(delim) > FUZZ_DELIM_MAX)
            delim[0] = '\0';
        if (fg_utf8_valid(prefix, strlen(prefix)) && fg_utf8_valid(delim, strlen(delim)) &&
            fg_utf8_valid(start, strlen(start)) && max_keys >= 1 && max_keys <= 1000)
            s3_check_listing(&l, prefix, delim, start, max_keys);
    }
    fg_s3_listing_free(&l);
    free(body);
    free(prefix);
    free(delim);
    free(start);
    free(page);
    return 0;
}
