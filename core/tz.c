/* SPDX-License-Identifier: MIT */
/* tz.c - TZif (RFC 8536) reader and wall-clock conversions (see tz.h). */
#include "tz.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct tz_date {
    char kind;              /* 'M' (Mm.w.d), 'J' (Jn, no leap day), 'N' (n, 0-based with leap day) */
    int m, w, d, n;
    int time;               /* seconds after local midnight; may be negative or past 24 h */
};

struct tz_rule {
    int std_off, dst_off;   /* seconds east of UTC */
    bool has_dst;
    struct tz_date start, end;
};

struct fg_tz {
    char name[128];
    long long *trans;       /* transition instants, ascending */
    int *trans_off;         /* the offset from each transition on */
    size_t n;
    int first_off;          /* before the first transition */
    bool has_rule;          /* the footer, for instants after the last transition */
    struct tz_rule rule;
};

/* ------------------------------------------------------------------ calendar */

long long fg_days_from_civil(int y, int m, int d)
{
    /* Howard Hinnant's algorithm: exact for every year. */
    long long yy = (long long)y - (m <= 2);
    long long era = (yy >= 0 ? yy : yy - 399) / 400;
    long long yoe = yy - era * 400;
    long long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    long long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

void fg_civil_from_days(long long z, int *y, int *m, int *d)
{
    z += 719468;
    long long era = (z >= 0 ? z : z - 146096) / 146097;
    long long doe = z - era * 146097;
    long long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    long long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    long long mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = (int)(yoe + era * 400 + (*m <= 2));
}

static bool tz_leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int fg_days_in_month(int y, int m)
{
    static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    return m == 2 && tz_leap(y) ? 29 : days[m - 1];
}

int fg_weekday(long long days)
{
    /* 1970-01-01 was a Thursday. */
    long long w = (days + 4) % 7;
    return (int)(w < 0 ? w + 7 : w);
}

static long long tz_floor_div(long long a, long long b)
{
    return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

/* ------------------------------------------------------------------ the POSIX TZ footer */

/* [+-]hh[:mm[:ss]] → seconds (sign applied). NULL on a malformed value. */
static const char *tz_parse_hms(const char *p, int *out)
{
    int sign = 1, h = 0, m = 0, s = 0;
    if (*p == '+' || *p == '-')
        sign = *p++ == '-' ? -1 : 1;
    if (!isdigit((unsigned char)*p))
        return NULL;
    while (isdigit((unsigned char)*p))
        h = h * 10 + (*p++ - '0');
    if (*p == ':') {
        m = (int)strtol(p + 1, (char **)&p, 10);
        if (*p == ':')
            s = (int)strtol(p + 1, (char **)&p, 10);
    }
    if (h > 167 || m > 59 || s > 59)
        return NULL;
    *out = sign * (h * 3600 + m * 60 + s);
    return p;
}

static const char *tz_parse_name(const char *p)
{
    if (*p == '<') {
        const char *e = strchr(p, '>');
        return e ? e + 1 : NULL;
    }
    const char *s = p;
    while (isalpha((unsigned char)*p))
        p++;
    return p - s >= 3 ? p : NULL;
}

static const char *tz_parse_date(const char *p, struct tz_date *d)
{
    memset(d, 0, sizeof(*d));
    d->time = 2 * 3600;
    if (*p == 'M') {
        d->kind = 'M';
        d->m = (int)strtol(p + 1, (char **)&p, 10);
        if (*p++ != '.')
            return NULL;
        d->w = (int)strtol(p, (char **)&p, 10);
        if (*p++ != '.')
            return NULL;
        d->d = (int)strtol(p, (char **)&p, 10);
        if (d->m < 1 || d->m > 12 || d->w < 1 || d->w > 5 || d->d < 0 || d->d > 6)
            return NULL;
    } else if (*p == 'J') {
        d->kind = 'J';
        d->n = (int)strtol(p + 1, (char **)&p, 10);
        if (d->n < 1 || d->n > 365)
            return NULL;
    } else if (isdigit((unsigned char)*p)) {
        d->kind = 'N';
        d->n = (int)strtol(p, (char **)&p, 10);
        if (d->n > 365)
            return NULL;
    } else {
        return NULL;
    }
    if (*p == '/' && !(p = tz_parse_hms(p + 1, &d->time)))
        return NULL;
    return p;
}

static int tz_parse_rule(const char *p, struct tz_rule *r)
{
    int off;
    memset(r, 0, sizeof(*r));
    if (!(p = tz_parse_name(p)) || !(p = tz_parse_hms(p, &off)))
        return -EINVAL;
    r->std_off = -off;              /* POSIX offsets count west */
    if (!*p)
        return 0;
    if (!(p = tz_parse_name(p)))
        return -EINVAL;
    r->has_dst = true;
    r->dst_off = r->std_off + 3600;
    if (*p && *p != ',') {
        if (!(p = tz_parse_hms(p, &off)))
            return -EINVAL;
        r->dst_off = -off;
    }
    if (!*p) {
        /* No rule given: POSIX's default is the US rule. */
        r->start = (struct tz_date){ 'M', 3, 2, 0, 0, 7200 };
        r->end = (struct tz_date){ 'M', 11, 1, 0, 0, 7200 };
        return 0;
    }
    if (*p++ != ',' || !(p = tz_parse_date(p, &r->start)) || *p++ != ',' || !(p = tz_parse_date(p, &r->end)))
        return -EINVAL;
    return *p ? -EINVAL : 0;
}

/* Local midnight (as days) of a rule date in year y. */
static long long tz_rule_day(const struct tz_date *d, int y)
{
    long long jan1 = fg_days_from_civil(y, 1, 1);
    if (d->kind == 'J')
        return jan1 + d->n - 1 + (tz_leap(y) && d->n >= 60);
    if (d->kind == 'N')
        return jan1 + d->n;
    long long first = fg_days_from_civil(y, d->m, 1);
    int day = 1 + (d->d - fg_weekday(first) + 7) % 7 + (d->w - 1) * 7;
    while (day > fg_days_in_month(y, d->m))
        day -= 7;
    return first + day - 1;
}

static int tz_rule_offset(const struct tz_rule *r, long long utc)
{
    int y, m, d;
    if (!r->has_dst)
        return r->std_off;
    fg_civil_from_days(tz_floor_div(utc + r->std_off, 86400), &y, &m, &d);
    long long start = tz_rule_day(&r->start, y) * 86400 + r->start.time - r->std_off;
    long long end = tz_rule_day(&r->end, y) * 86400 + r->end.time - r->dst_off;
    bool dst = start < end ? (utc >= start && utc < end) : !(utc >= end && utc < start);
    return dst ? r->dst_off : r->std_off;
}

/* ------------------------------------------------------------------ TZif */

static int64_t tz_be64(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = v << 8 | p[i];
    return (int64_t)v;
}

static int32_t tz_be32(const unsigned char *p)
{
    return (int32_t)((uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]);
}

/* Parses the TZif image (v2+: the 64-bit block and the footer; v1: the 32-bit block). */
static int tz_parse(struct fg_tz *z, const unsigned char *b, size_t len)
{
    size_t off = 0, tsize = 4;
    uint32_t cnt[6];

    if (len < 44 || memcmp(b, "TZif", 4))
        return -EINVAL;
    for (int pass = 0; pass < 2; pass++) {
        if (off + 44 > len || memcmp(b + off, "TZif", 4))
            return -EINVAL;
        for (int i = 0; i < 6; i++)
            cnt[i] = (uint32_t)tz_be32(b + off + 20 + 4 * i);
        /* isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt */
        size_t body = cnt[3] * tsize + cnt[3] + cnt[4] * 6 + cnt[5] + cnt[2] * (tsize + 4) + cnt[1] + cnt[0];
        if (cnt[4] == 0 || off + 44 + body > len)
            return -EINVAL;
        if (pass == 0 && b[4] >= '2') {
            off += 44 + body;       /* skip the 32-bit block */
            tsize = 8;
            continue;
        }
        const unsigned char *p = b + off + 44;
        const unsigned char *idx = p + cnt[3] * tsize, *types = idx + cnt[3];
        z->n = cnt[3];
        z->trans = calloc(z->n + 1, sizeof(*z->trans));
        z->trans_off = calloc(z->n + 1, sizeof(*z->trans_off));
        if (!z->trans || !z->trans_off)
            return -ENOMEM;
        for (size_t i = 0; i < z->n; i++) {
            if (idx[i] >= cnt[4])
                return -EINVAL;
            z->trans[i] = tsize == 8 ? tz_be64(p + i * 8) : tz_be32(p + i * 4);
            z->trans_off[i] = tz_be32(types + idx[i] * 6);
        }
        z->first_off = tz_be32(types);
        off += 44 + body;
        if (tsize == 8 && off < len && b[off] == '\n') {
            const unsigned char *e = memchr(b + off + 1, '\n', len - off - 1);
            char footer[256];
            size_t fl = e ? (size_t)(e - (b + off + 1)) : 0;
            if (e && fl > 0 && fl < sizeof(footer)) {
                memcpy(footer, b + off + 1, fl);
                footer[fl] = '\0';
                if (tz_parse_rule(footer, &z->rule) < 0)
                    return -EINVAL;
                z->has_rule = true;
            }
        }
        return 0;
    }
    return -EINVAL;
}

static bool tz_name_ok(const char *name)
{
    size_t n = strlen(name);
    if (!n || n >= 100 || name[0] == '/' || strstr(name, ".."))
        return false;
    for (const char *c = name; *c; c++)
        if (!isalnum((unsigned char)*c) && !strchr("/_+-", *c))
            return false;
    return true;
}

int fg_tz_load(const char *name, struct fg_tz **out, struct fg_err *err)
{
    const char *dir = getenv("FNGATE_ZONEINFO");
    char path[512];
    unsigned char *buf = NULL;
    size_t len = 0;
    struct fg_tz *z;
    FILE *f;
    int rc;

    *out = NULL;
    if (!tz_name_ok(name))
        return fg_err_set(err, -EINVAL, "unknown time zone '%s' (expected an IANA name like Europe/Berlin or UTC)", name);
    snprintf(path, sizeof(path), "%s/%s", dir && *dir ? dir : "/usr/share/zoneinfo", name);
    if (!(f = fopen(path, "rb")))
        return fg_err_set(err, -ENOENT, "unknown time zone '%s' (no %s; IANA names look like Europe/Berlin)", name, path);
    if (!(buf = malloc(1 << 20))) {
        fclose(f);
        return fg_err_set(err, -ENOMEM, "out of memory");
    }
    len = fread(buf, 1, 1 << 20, f);
    fclose(f);
    if (!(z = calloc(1, sizeof(*z)))) {
        free(buf);
        return fg_err_set(err, -ENOMEM, "out of memory");
    }
    snprintf(z->name, sizeof(z->name), "%s", name);
    rc = tz_parse(z, buf, len);
    free(buf);
    if (rc < 0) {
        fg_tz_free(z);
        return fg_err_set(err, rc, "time zone '%s': %s is not a valid TZif file", name, path);
    }
    *out = z;
    return 0;
}

void fg_tz_free(struct fg_tz *z)
{
    if (!z)
        return;
    free(z->trans);
    free(z->trans_off);
    free(z);
}

const char *fg_tz_name(const struct fg_tz *z)
{
    return z->name;
}

int fg_tz_offset(const struct fg_tz *z, long long utc)
{
    size_t lo = 0, hi = z->n;
    if (z->n == 0 || utc < z->trans[0])
        return z->n == 0 && z->has_rule ? tz_rule_offset(&z->rule, utc) : z->first_off;
    if (utc >= z->trans[z->n - 1] && z->has_rule)
        return tz_rule_offset(&z->rule, utc);
    while (hi - lo > 1) {           /* the last transition at or before utc */
        size_t mid = (lo + hi) / 2;
        if (z->trans[mid] <= utc)
            lo = mid;
        else
            hi = mid;
    }
    return z->trans_off[lo];
}

long long fg_tz_resolve(const struct fg_tz *z, long long local)
{
    int a = fg_tz_offset(z, local - 86400), b = fg_tz_offset(z, local + 86400);
    long long best = 0;
    bool found = false;
    int cand[2] = { a, b };

    for (int i = 0; i < 2; i++) {
        long long u = local - cand[i];
        if (fg_tz_offset(z, u) == cand[i] && (!found || u < best)) {
            best = u;
            found = true;
        }
    }
    if (found)
        return best;
    if (a < b) {
        /* A gap: the change happens between local - b and local - a (UTC); find it. */
        long long lo = local - b, hi = local - a;
        while (hi - lo > 1) {
            long long mid = lo + (hi - lo) / 2;
            if (fg_tz_offset(z, mid) == b)
                hi = mid;
            else
                lo = mid;
        }
        return hi;
    }
    return local - a;
}

void fg_tz_format(char out[32], long long utc, int offset_s)
{
    long long local = utc + offset_s, days = tz_floor_div(local, 86400), sec = local - days * 86400;
    int y, m, d, a = offset_s < 0 ? -offset_s : offset_s;
    fg_civil_from_days(days, &y, &m, &d);
    if (offset_s == 0)
        snprintf(out, 32, "%04d-%02d-%02dT%02lld:%02lld:%02lldZ", y, m, d, sec / 3600, sec % 3600 / 60, sec % 60);
    else
        snprintf(out, 32, "%04d-%02d-%02dT%02lld:%02lld:%02lld%c%02d:%02d", y, m, d, sec / 3600, sec % 3600 / 60,
                 sec % 60, offset_s < 0 ? '-' : '+', a / 3600, a % 3600 / 60);
}
