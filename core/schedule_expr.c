/* SPDX-License-Identifier: MIT */
/* schedule_expr.c - parsing and next-fire computation (see schedule_expr.h).
 *
 * DESIGN: a field becomes a bit set, so matching is a bit test and the next value is a
 * scan; the day-of-month and day-of-week rules that are not sets (L, LW, 15W, 5L, 5#3)
 * are evaluated per day. The next fire is found field by field from the year down, each
 * mismatch jumping to the start of the next candidate unit, so even an expression that
 * matches once in years costs a few hundred steps, not a minute-by-minute walk. */
#include "schedule_expr.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *const sched_months[] = { "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT",
                                            "NOV", "DEC", NULL };
static const char *const sched_days[] = { "SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT", NULL };

enum field_id { F_MIN = 0, F_HOUR, F_DOM, F_MONTH, F_DOW, F_YEAR };

struct field_spec {
    const char *name;
    int lo, hi;
    const char *const *names;
    int name_base;             /* value of names[0] */
    int bit_base;              /* value of bit 0 (years start at 1970) */
};

struct parser {
    const char *text;
    bool aws;
    int *col;
    char *msg;
    size_t msg_size;
};

static int sched_fail(struct parser *p, const char *at, const char *fmt, ...) FG_PRINTF(3, 4);

static int sched_fail(struct parser *p, const char *at, const char *fmt, ...)
{
    va_list ap;
    *p->col = at ? (int)(at - p->text) + 1 : 1;
    va_start(ap, fmt);
    vsnprintf(p->msg, p->msg_size, fmt, ap);
    va_end(ap);
    return -EINVAL;
}

/* ------------------------------------------------------------------ fields */

/* A number or a name at *s; advances *s. -1 when neither. */
static int sched_value(const char **s, const struct field_spec *f)
{
    const char *p = *s;
    if (isdigit((unsigned char)*p)) {
        long v = 0;
        while (isdigit((unsigned char)*p) && v < 100000)
            v = v * 10 + (*p++ - '0');
        *s = p;
        return (int)v;
    }
    if (f->names && isalpha((unsigned char)p[0]) && isalpha((unsigned char)p[1]) && isalpha((unsigned char)p[2])) {
        for (int i = 0; f->names[i]; i++) {
            if (!strncasecmp(p, f->names[i], 3) && !isalpha((unsigned char)p[3])) {
                *s = p + 3;
                return f->name_base + i;
            }
        }
    }
    return -1;
}

/* Sets bits a..b step st of *bits (relative to bit 0 = value 0). */
static void sched_set(uint64_t *bits, int a, int b, int st)
{
    for (int v = a; v <= b; v += st)
        bits[v / 64] |= 1ULL << (v % 64);
}

/* Parses one comma-separated field [s, e) into bits (value v → bit v), with the special
 * forms the field allows recorded in c. */
static int sched_field(struct parser *p, struct fg_cron *c, enum field_id id, const struct field_spec *f,
                       const char *s, const char *e, uint64_t *bits, bool *any)
{
    const char *item = s;

    *any = false;
    if (e - s == 1 && (*s == '*' || *s == '?')) {
        if (*s == '?' && !(p->aws && (id == F_DOM || id == F_DOW)))
            return sched_fail(p, s, "%s: '?' is only for day-of-month or day-of-week in AWS cron(...)", f->name);
        *any = true;
        sched_set(bits, f->lo - f->bit_base, f->hi - f->bit_base, 1);
        return 0;
    }
    while (item < e) {
        const char *end = memchr(item, ',', (size_t)(e - item));
        const char *q = item;
        int a, b, st = 1;
        if (!end)
            end = e;
        if (end == item)
            return sched_fail(p, item, "%s: empty list element", f->name);
        /* The day rules that are not plain values. */
        if (p->aws && id == F_DOM && end - item == 1 && *item == 'L') {
            c->dom_last = true;
            goto next;
        }
        if (p->aws && id == F_DOM && end - item == 2 && !strncmp(item, "LW", 2)) {
            c->dom_last_weekday = true;
            goto next;
        }
        if (p->aws && id == F_DOW && end - item == 1 && *item == 'L') {
            sched_set(bits, 7, 7, 1);           /* L alone: the last day of the week, Saturday (7) */
            goto next;
        }
        if (!p->aws && *q && strchr("LW#", *q))
            return sched_fail(p, q, "%s: '%c' is AWS cron syntax; Unix cron has no %c (write cron(...) with six fields)",
                              f->name, *q, *q);
        if (*q == '*') {
            a = f->lo;
            b = f->hi;
            q++;
        } else {
            if ((a = sched_value(&q, f)) < 0)
                return sched_fail(p, q, "%s: expected a number%s, '*'%s", f->name,
                                  f->names ? " or a name (" : "", f->names ? ")" : "");
            b = a;
            if (*q == '-') {
                q++;
                const char *at = q;
                if ((b = sched_value(&q, f)) < 0)
                    return sched_fail(p, at, "%s: expected the end of the range", f->name);
                if (b < a)
                    return sched_fail(p, at, "%s: range %d-%d goes backwards; write it as two ranges", f->name, a, b);
            } else if (*q == '/') {
                b = f->hi;
            }
        }
        if (a < f->lo || a > f->hi || b > f->hi)
            return sched_fail(p, item, "%s: %d is out of range (%d-%d)", f->name, a < f->lo || a > f->hi ? a : b,
                              f->lo, f->hi);
        if (*q == '/') {
            const char *at = ++q;
            st = 0;
            while (isdigit((unsigned char)*q) && st < 10000)
                st = st * 10 + (*q++ - '0');
            if (q == at || st < 1)
                return sched_fail(p, at, "%s: a step is a positive number, as in */15", f->name);
        }
        if (p->aws && id == F_DOM && *q == 'W' && q + 1 == end && a == b && st == 1) {
            c->dom_weekday |= 1u << a;
            goto next;
        }
        if (p->aws && id == F_DOW && *q == 'L' && q + 1 == end && a == b && st == 1) {
            c->dow_last |= (uint8_t)(1u << (a - 1));
            goto next;
        }
        if (p->aws && id == F_DOW && *q == '#' && a == b && st == 1) {
            const char *at = ++q;
            int n = sched_value(&q, &(struct field_spec){ "", 1, 5, NULL, 0, 0 });
            if (n < 1 || n > 5 || q != end)
                return sched_fail(p, at, "day-of-week: in %d#N, N is the week of the month, 1-5", a);
            c->dow_nth[a - 1] |= (uint8_t)(1u << n);
            goto next;
        }
        if (q != end) {
            if (!p->aws && strchr("LW#?", *q))
                return sched_fail(p, q, "%s: '%c' is AWS cron syntax; Unix cron has no %c (write cron(...) with six fields)",
                                  f->name, *q, *q);
            return sched_fail(p, q, "%s: unexpected '%c'", f->name, *q);
        }
        sched_set(bits, a - f->bit_base, b - f->bit_base, st);
next:
        item = end + 1;
    }
    return 0;
}

/* Splits [s, e) on spaces into exactly n fields. */
static int sched_split(struct parser *p, const char *s, const char *e, int n, const char *fields[][2],
                       const char *what)
{
    int k = 0;
    while (s < e) {
        while (s < e && *s == ' ')
            s++;
        if (s == e)
            break;
        if (k == n)
            return sched_fail(p, s, "%s has %d fields, not more: %s", what, n,
                              n == 6 ? "Minutes Hours Day-of-month Month Day-of-week Year"
                                     : "minute hour day-of-month month day-of-week");
        fields[k][0] = s;
        while (s < e && *s != ' ')
            s++;
        fields[k++][1] = s;
    }
    if (k != n)
        return sched_fail(p, e, "%s needs %d fields, got %d: %s", what, n, k,
                          n == 6 ? "Minutes Hours Day-of-month Month Day-of-week Year, e.g. cron(0 12 * * ? *)"
                                 : "minute hour day-of-month month day-of-week, e.g. 30 2 * * *");
    return 0;
}

static int sched_cron(struct parser *p, const char *s, const char *e, struct fg_cron *c)
{
    static const struct field_spec aws[] = {
        { "minutes", 0, 59, NULL, 0, 0 }, { "hours", 0, 23, NULL, 0, 0 }, { "day-of-month", 1, 31, NULL, 0, 0 },
        { "month", 1, 12, sched_months, 1, 0 }, { "day-of-week", 1, 7, sched_days, 1, 0 },
        { "year", FG_SCHED_YEAR_MIN, FG_SCHED_YEAR_MAX, NULL, 0, FG_SCHED_YEAR_MIN },
    };
    static const struct field_spec unix_[] = {
        { "minute", 0, 59, NULL, 0, 0 }, { "hour", 0, 23, NULL, 0, 0 }, { "day-of-month", 1, 31, NULL, 0, 0 },
        { "month", 1, 12, sched_months, 1, 0 }, { "day-of-week", 0, 7, sched_days, 0, 0 },
    };
    const struct field_spec *spec = p->aws ? aws : unix_;
    int n = p->aws ? 6 : 5, rc;
    const char *f[6][2];
    uint64_t bits[6][4];
    bool any[6] = { false };

    memset(c, 0, sizeof(*c));
    memset(bits, 0, sizeof(bits));
    if ((rc = sched_split(p, s, e, n, f, p->aws ? "cron(...)" : "a Unix cron line")) < 0)
        return rc;
    for (int i = 0; i < n; i++)
        if ((rc = sched_field(p, c, (enum field_id)i, &spec[i], f[i][0], f[i][1], bits[i], &any[i])) < 0)
            return rc;
    c->minute = bits[F_MIN][0];
    c->hour = (uint32_t)bits[F_HOUR][0];
    c->dom = (uint32_t)bits[F_DOM][0];
    c->month = (uint16_t)bits[F_MONTH][0];
    c->dom_any = any[F_DOM];
    c->dow_any = any[F_DOW];
    if (p->aws) {
        /* AWS numbers days 1 = SUN .. 7 = SAT. */
        c->dow = (uint8_t)(bits[F_DOW][0] >> 1);
        bool dom_q = f[F_DOM][1] - f[F_DOM][0] == 1 && *f[F_DOM][0] == '?';
        bool dow_q = f[F_DOW][1] - f[F_DOW][0] == 1 && *f[F_DOW][0] == '?';
        if (dom_q && dow_q)
            return sched_fail(p, f[F_DOW][0], "day-of-month and day-of-week cannot both be ?; use * in one of them");
        if (!dom_q && !dow_q)
            return sched_fail(p, f[F_DOW][0], "day-of-month and day-of-week cannot both be set in AWS cron; "
                                              "use ? in one of them, e.g. cron(0 12 ? * MON *) or cron(0 12 1 * ? *)");
        memcpy(c->year, bits[F_YEAR], sizeof(c->year));
    } else {
        uint64_t d = bits[F_DOW][0];
        c->dow = (uint8_t)((d | (d >> 7)) & 0x7f);     /* 7 is Sunday too */
        c->vixie = true;
        for (int y = 0; y <= FG_SCHED_YEAR_MAX - FG_SCHED_YEAR_MIN; y++)
            c->year[y / 64] |= 1ULL << (y % 64);
    }
    return 0;
}

static int sched_rate(struct parser *p, const char *s, const char *e, bool allow_seconds, long long *out)
{
    static const struct { const char *one, *many; long long secs; bool ext; } units[] = {
        { "second", "seconds", 1, true }, { "minute", "minutes", 60, false },
        { "hour", "hours", 3600, false }, { "day", "days", 86400, false },
    };
    const char *q = s;
    long long n = 0;

    while (q < e && *q == ' ')
        q++;
    if (q == e || !isdigit((unsigned char)*q))
        return sched_fail(p, q, "rate(...) takes a number and a unit, e.g. rate(5 minutes)");
    while (q < e && isdigit((unsigned char)*q) && n < 100000000)
        n = n * 10 + (*q++ - '0');
    if (n < 1)
        return sched_fail(p, s, "rate(...): the number must be at least 1");
    if (q == e || *q != ' ')
        return sched_fail(p, q, "rate(...): a space and a unit must follow the number, e.g. rate(%lld minutes)", n);
    while (q < e && *q == ' ')
        q++;
    const char *u = q;
    size_t ul = (size_t)(e - q);
    while (ul && u[ul - 1] == ' ')
        ul--;
    for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
        bool one = strlen(units[i].one) == ul && !strncmp(u, units[i].one, ul);
        bool many = strlen(units[i].many) == ul && !strncmp(u, units[i].many, ul);
        if (!one && !many)
            continue;
        if (units[i].ext && !allow_seconds)
            return sched_fail(p, u, "rate(N seconds) is an fngate extension for development and is not allowed here");
        if (one && n != 1)
            return sched_fail(p, u, "'%s' is for 1; write rate(%lld %s)", units[i].one, n, units[i].many);
        if (many && n == 1)
            return sched_fail(p, u, "'%s' is for more than 1; write rate(1 %s)", units[i].many, units[i].one);
        *out = n * units[i].secs;
        return 0;
    }
    return sched_fail(p, u, "rate(...): unknown unit '%.*s' (minute(s), hour(s) or day(s)%s)", (int)ul, u,
                      allow_seconds ? ", or second(s) as an fngate extension" : "");
}

/* at(yyyy-mm-ddThh:mm:ss): digits where the shape has 'd', the shape's punctuation
 * elsewhere. Not sscanf: its %2d also reads " 9", "+1" and "-1" (a time an hour before
 * the day it names). */
static int sched_at(struct parser *p, const char *s, const char *e, long long *out)
{
    static const char shape[] = "dddd-dd-ddTdd:dd:dd";
    int y, mo, d, h, mi, sec;
    char buf[64];
    if ((size_t)(e - s) >= sizeof(buf))
        return sched_fail(p, s, "at(...) takes yyyy-mm-ddThh:mm:ss");
    memcpy(buf, s, (size_t)(e - s));
    buf[e - s] = '\0';
    for (size_t i = 0; i < sizeof(shape); i++)
        if (shape[i] == 'd' ? !isdigit((unsigned char)buf[i]) : buf[i] != shape[i])
            return sched_fail(p, s, "at(...) takes yyyy-mm-ddThh:mm:ss, e.g. at(2027-01-31T09:30:00)");
    if (sscanf(buf, "%4d-%2d-%2dT%2d:%2d:%2d", &y, &mo, &d, &h, &mi, &sec) != 6)
        return sched_fail(p, s, "at(...) takes yyyy-mm-ddThh:mm:ss, e.g. at(2027-01-31T09:30:00)");
    if (y < FG_SCHED_YEAR_MIN || y > FG_SCHED_YEAR_MAX || mo < 1 || mo > 12 || d < 1 ||
        d > fg_days_in_month(y, mo) || h > 23 || mi > 59 || sec > 59)
        return sched_fail(p, s, "at(%s): not a valid date and time", buf);
    *out = fg_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec;
    return 0;
}

int fg_sched_parse(const char *text, bool allow_seconds, struct fg_sched_expr *out, int *col, char *msg,
                   size_t msg_size)
{
    static const struct { const char *name, *line; } macros[] = {
        { "@yearly", "0 0 1 1 *" }, { "@annually", "0 0 1 1 *" }, { "@monthly", "0 0 1 * *" },
        { "@weekly", "0 0 * * 0" }, { "@daily", "0 0 * * *" }, { "@midnight", "0 0 * * *" },
        { "@hourly", "0 * * * *" },
    };
    struct parser p = { text, false, col, msg, msg_size };
    size_t len = strlen(text);
    const char *e = text + len;

    memset(out, 0, sizeof(*out));
    *col = 0;
    msg[0] = '\0';
    if (!len)
        return sched_fail(&p, text, "empty schedule; write rate(5 minutes), cron(0 12 * * ? *), 30 2 * * * or at(...)");
    if (!strncmp(text, "rate(", 5) || !strncmp(text, "cron(", 5) || !strncmp(text, "at(", 3)) {
        const char *open = strchr(text, '(');
        if (e[-1] != ')')
            return sched_fail(&p, e, "missing ')' at the end");
        out->kind = text[0] == 'r' ? FG_SCHED_RATE : text[0] == 'c' ? FG_SCHED_CRON : FG_SCHED_AT;
        if (out->kind == FG_SCHED_RATE)
            return sched_rate(&p, open + 1, e - 1, allow_seconds, &out->rate_s);
        if (out->kind == FG_SCHED_AT)
            return sched_at(&p, open + 1, e - 1, &out->at_local);
        p.aws = true;
        return sched_cron(&p, open + 1, e - 1, &out->cron);
    }
    out->kind = FG_SCHED_CRON;
    if (text[0] == '@') {
        for (size_t i = 0; i < sizeof(macros) / sizeof(macros[0]); i++) {
            if (!strcmp(text, macros[i].name)) {
                struct parser mp = { macros[i].line, false, col, msg, msg_size };
                return sched_cron(&mp, macros[i].line, macros[i].line + strlen(macros[i].line), &out->cron);
            }
        }
        return sched_fail(&p, text, "unknown macro '%s' (@hourly, @daily, @weekly, @monthly, @yearly%s)", text,
                          !strcmp(text, "@reboot") ? "; @reboot has no meaning for a gateway" : "");
    }
    if (isalpha((unsigned char)text[0]) && !strchr(text, ' '))
        return sched_fail(&p, text, "unknown schedule '%s'; write rate(5 minutes), cron(0 12 * * ? *), "
                                    "a Unix cron line like 30 2 * * *, or at(yyyy-mm-ddThh:mm:ss)", text);
    return sched_cron(&p, text, e, &out->cron);
}

/* ------------------------------------------------------------------ matching */

static bool bit64(const uint64_t *b, int v)
{
    return (b[v / 64] >> (v % 64)) & 1;
}

/* The weekday (Mon-Fri) nearest day n of the month, never leaving the month. */
static int sched_nearest_weekday(int y, int m, int n)
{
    int last = fg_days_in_month(y, m);
    if (n > last)
        return -1;
    int wd = fg_weekday(fg_days_from_civil(y, m, n));
    if (wd == 6)                                 /* Saturday: Friday, or Monday when n is the 1st */
        return n == 1 ? 3 : n - 1;
    if (wd == 0)                                 /* Sunday: Monday, or Friday when n is the last */
        return n == last ? n - 2 : n + 1;
    return n;
}

static bool sched_dom_matches(const struct fg_cron *c, int y, int m, int d)
{
    int last = fg_days_in_month(y, m);
    if ((c->dom >> d) & 1)
        return true;
    if (c->dom_last && d == last)
        return true;
    if (c->dom_last_weekday) {
        int lw = last;
        int wd = fg_weekday(fg_days_from_civil(y, m, last));
        lw -= wd == 6 ? 1 : wd == 0 ? 2 : 0;
        if (d == lw)
            return true;
    }
    if (c->dom_weekday)
        for (int n = 1; n <= 31; n++)
            if (((c->dom_weekday >> n) & 1) && sched_nearest_weekday(y, m, n) == d)
                return true;
    return false;
}

static bool sched_dow_matches(const struct fg_cron *c, int y, int m, int d)
{
    int wd = fg_weekday(fg_days_from_civil(y, m, d));
    if ((c->dow >> wd) & 1)
        return true;
    if (((c->dow_last >> wd) & 1) && d + 7 > fg_days_in_month(y, m))
        return true;
    return (c->dow_nth[wd] >> ((d - 1) / 7 + 1)) & 1;
}

bool fg_cron_day_matches(const struct fg_cron *c, int y, int m, int d)
{
    if (c->vixie && !c->dom_any && !c->dow_any)
        return sched_dom_matches(c, y, m, d) || sched_dow_matches(c, y, m, d);
    if (!c->dom_any && !sched_dom_matches(c, y, m, d))
        return false;
    if (!c->dow_any && !sched_dow_matches(c, y, m, d))
        return false;
    return true;
}

/* ------------------------------------------------------------------ next fire */

static long long floor_div(long long a, long long b)
{
    return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

long long fg_cron_next_local(const struct fg_cron *c, long long local)
{
    long long t = floor_div(local, 60) * 60 + 60;
    long long days = floor_div(t, 86400);
    int y, m, d, h = (int)((t - days * 86400) / 3600), mi = (int)((t - days * 86400) % 3600 / 60);

    fg_civil_from_days(days, &y, &m, &d);
    while (y <= FG_SCHED_YEAR_MAX) {
        if (y < FG_SCHED_YEAR_MIN || !bit64(c->year, y - FG_SCHED_YEAR_MIN)) {
            y++, m = 1, d = 1, h = 0, mi = 0;
            continue;
        }
        if (!((c->month >> m) & 1)) {
            if (++m > 12)
                y++, m = 1;
            d = 1, h = 0, mi = 0;
            continue;
        }
        if (!fg_cron_day_matches(c, y, m, d)) {
            if (++d > fg_days_in_month(y, m)) {
                d = 1;
                if (++m > 12)
                    y++, m = 1;
            }
            h = 0, mi = 0;
            continue;
        }
        while (h < 24 && !((c->hour >> h) & 1))
            h++, mi = 0;
        while (h < 24 && mi < 60 && !((c->minute >> mi) & 1))
            mi++;
        if (h < 24 && mi < 60 && ((c->hour >> h) & 1))
            return fg_days_from_civil(y, m, d) * 86400 + h * 3600 + mi * 60;
        if (h < 24 && mi == 60) {
            h++, mi = 0;
            continue;
        }
        /* No hour left today. */
        if (++d > fg_days_in_month(y, m)) {
            d = 1;
            if (++m > 12)
                y++, m = 1;
        }
        h = 0, mi = 0;
    }
    return -1;
}

long long fg_sched_next(const struct fg_sched_expr *e, const struct fg_tz *z, long long after)
{
    switch (e->kind) {
    case FG_SCHED_RATE:
        return (floor_div(after, e->rate_s) + 1) * e->rate_s;
    case FG_SCHED_AT: {
        long long u = fg_tz_resolve(z, e->at_local);
        return u > after ? u : -1;
    }
    case FG_SCHED_CRON: {
        long long local = after + fg_tz_offset(z, after);
        /* Wall-clock candidates in order; the first whose instant is after `after` wins.
         * Candidates inside a repeated hour that already passed resolve to their first
         * instant, which is not after `after`, so a repeated hour fires once. */
        for (int guard = 0; guard < 100000; guard++) {
            long long cand = fg_cron_next_local(&e->cron, local);
            if (cand < 0)
                return -1;
            long long u = fg_tz_resolve(z, cand);
            if (u > after)
                return u;
            local = cand;
        }
        return -1;
    }
    }
    return -1;
}
