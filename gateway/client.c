/* SPDX-License-Identifier: MIT */
/* client.c - see client.h. */
#include "client.h"

#include <curl/curl.h>
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "../core/sha256.h"
#include "../core/url.h"
#include "admin_token.h"
#include "../triggers/registry.h"
#include "sigv4.h"

void fg_client_base_url(const struct fg_config *conf, const char *endpoint, char *out, size_t out_size)
{
    char where[300];
    if (endpoint) {
        size_t n = strlen(endpoint);
        snprintf(out, out_size, "%.*s", (int)(n && endpoint[n - 1] == '/' ? n - 1 : n), endpoint);
        return;
    }
    fg_url_authority(where, sizeof(where), conf->listen.host, conf->listen.port);
    snprintf(out, out_size, "%s://%s", fg_conf_tls_scheme(&conf->tls), where);
}

static size_t client_on_body(char *p, size_t size, size_t n, void *arg)
{
    struct fg_client_reply *r = arg;
    return fg_buf_append(&r->body, p, size * n) < 0 ? 0 : size * n;
}

static void client_header_value(const char *line, size_t len, size_t name_len, char *out, size_t outsz)
{
    const char *v = line + name_len;
    size_t n;
    while (v < line + len && *v == ' ')
        v++;
    n = len - (size_t)(v - line);
    while (n && (v[n - 1] == '\r' || v[n - 1] == '\n'))
        n--;
    snprintf(out, outsz, "%.*s", (int)n, v);
}

static size_t client_on_header(char *p, size_t size, size_t n, void *arg)
{
    static const struct { const char *name; size_t off, size; } wanted[] = {
        { "X-Amz-Function-Error:", offsetof(struct fg_client_reply, function_error), 64 },
        { "X-Amz-Log-Result:", offsetof(struct fg_client_reply, log_result), 8192 },
        { "x-amzn-ErrorType:", offsetof(struct fg_client_reply, error_type), 128 },
    };
    size_t len = size * n;
    for (size_t i = 0; i < sizeof(wanted) / sizeof(wanted[0]); i++) {
        size_t nl = strlen(wanted[i].name);
        if (len > nl && !strncasecmp(p, wanted[i].name, nl))
            client_header_value(p, len, nl, (char *)arg + wanted[i].off, wanted[i].size);
    }
    return len;
}

/* Appends Host, X-Amz-Date and Authorization to *hdrs: a SigV4 signature by key of the
 * request, for the service lambda (the path signed as sent, encoded again; the body's
 * SHA-256), as gateway/invoke_auth.c verifies it. Host is sent as it was signed. */
static int client_sign(const struct fg_client_key *key, const char *method, const char *url, const char *body,
                       size_t len, struct curl_slist **hdrs, struct fg_err *err)
{
    char *host = NULL, *port = NULL, *path = NULL, *query = NULL;
    char hostport[300], amz[17], body_hex[65], sig[65], line[1024];
    struct fg_sigv4_auth a;
    struct fg_sha256 sha;
    unsigned char digest[32];
    struct fg_buf canon;
    struct tm tm;
    time_t now = time(NULL);
    CURLU *u = curl_url();
    int rc = 0;

    if (!u || curl_url_set(u, CURLUPART_URL, url, 0) || curl_url_get(u, CURLUPART_HOST, &host, 0) ||
        curl_url_get(u, CURLUPART_PATH, &path, 0)) {
        rc = fg_err_set(err, -EINVAL, "cannot sign a request to %s: not a URL", url);
        goto out;
    }
    curl_url_get(u, CURLUPART_PORT, &port, 0);
    curl_url_get(u, CURLUPART_QUERY, &query, 0);
    snprintf(hostport, sizeof(hostport), "%s%s%s", host, port ? ":" : "", port ? port : "");
    gmtime_r(&now, &tm);
    strftime(amz, sizeof(amz), "%Y%m%dT%H%M%SZ", &tm);
    fg_sha256_init(&sha);
    fg_sha256_update(&sha, body ? body : "", body ? len : 0);
    fg_sha256_final(&sha, digest);
    fg_sha256_hex(digest, body_hex);

    const struct fg_http_header signed_headers[] = { { "host", hostport }, { "x-amz-date", amz } };
    struct fg_sigv4_request r = { method, path, query, signed_headers, 2, body_hex, FG_SIGV4_GENERIC };
    memset(&a, 0, sizeof(a));
    snprintf(a.access_key, sizeof(a.access_key), "%s", key->access_key);
    snprintf(a.date, sizeof(a.date), "%.8s", amz);
    snprintf(a.region, sizeof(a.region), "%s", key->region);
    snprintf(a.service, sizeof(a.service), "lambda");
    snprintf(a.signed_headers, sizeof(a.signed_headers), "host;x-amz-date");
    snprintf(a.amz_date, sizeof(a.amz_date), "%s", amz);
    fg_buf_init(&canon, 1 << 20);
    if (fg_sigv4_canonical(&r, &a, &canon) < 0) {
        fg_buf_free(&canon);
        rc = fg_err_set(err, -EINVAL, "cannot sign a request to %s: too long", url);
        goto out;
    }
    fg_sigv4_sign(key->secret_key, &a, canon.data, canon.len, sig);
    fg_buf_free(&canon);
    snprintf(line, sizeof(line), "Host: %s", hostport);
    *hdrs = curl_slist_append(*hdrs, line);
    snprintf(line, sizeof(line), "X-Amz-Date: %s", amz);
    *hdrs = curl_slist_append(*hdrs, line);
    snprintf(line, sizeof(line), "Authorization: AWS4-HMAC-SHA256 Credential=%s/%s/%s/lambda/aws4_request, "
             "SignedHeaders=host;x-amz-date, Signature=%s", a.access_key, a.date, a.region, sig);
    *hdrs = curl_slist_append(*hdrs, line);
out:
    curl_free(host);
    curl_free(port);
    curl_free(path);
    curl_free(query);
    curl_url_cleanup(u);
    return rc;
}

/* fg_client_request, through the unix socket unix_path when it is not NULL. */
static int client_perform(const char *method, const char *url, const char *unix_path, const char *const *headers,
                          const char *body, size_t len, const struct fg_client_key *key, struct fg_client_reply *r,
                          struct fg_err *err)
{
    const char *ca;
    struct curl_slist *hdrs = NULL;
    CURLcode cc;
    CURL *curl;
    int rc = 0;

    memset(r, 0, sizeof(*r));
    fg_buf_init(&r->body, FG_PAYLOAD_SYNC_MAX_BYTES + (64u << 20));
    curl_global_init(CURL_GLOBAL_DEFAULT);
    if (!(curl = curl_easy_init())) {
        curl_global_cleanup();
        return fg_err_set(err, -ENOMEM, "cannot initialise libcurl");
    }
    hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
    for (size_t i = 0; headers && headers[i]; i++)
        hdrs = curl_slist_append(hdrs, headers[i]);
    if (key && (rc = client_sign(key, method, url, body, len, &hdrs, err)) < 0) {
        curl_slist_free_all(hdrs);
        curl_easy_cleanup(curl);
        curl_global_cleanup();
        return rc;
    }
    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method);
    if (body) {
        curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    }
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, client_on_body);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, client_on_header);
    curl_easy_setopt(curl, CURLOPT_HEADERDATA, r);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    if (unix_path)
        curl_easy_setopt(curl, CURLOPT_UNIX_SOCKET_PATH, unix_path);
    if ((ca = getenv("FNGATE_CA_BUNDLE")) && *ca)     /* a listener's own CA (a self-signed tls.cert) */
        curl_easy_setopt(curl, CURLOPT_CAINFO, ca);
    if ((cc = curl_easy_perform(curl)) != CURLE_OK)
        rc = fg_err_set(err, -EIO, "cannot reach the gateway at %s: %s", url, curl_easy_strerror(cc));
    else
        curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &r->status);
    curl_slist_free_all(hdrs);
    curl_easy_cleanup(curl);
    curl_global_cleanup();
    return rc;
}

int fg_client_request(const char *method, const char *url, const char *const *headers, const char *body,
                      size_t len, const struct fg_client_key *key, struct fg_client_reply *r, struct fg_err *err)
{
    return client_perform(method, url, NULL, headers, body, len, key, r, err);
}

void fg_client_reply_close(struct fg_client_reply *r)
{
    fg_buf_free(&r->body);
}

bool fg_client_admin_option(struct fg_client_admin *a, int c, const char *arg)
{
    if (c == 'A')
        a->url = arg;
    else if (c == 'T')
        a->token = arg;
    return c == 'A' || c == 'T';
}

/* The admin API's base URL and token for a: 0, or -1 with the reason printed. */
static int client_admin_target(const struct fg_client_admin *a, char *base, size_t base_size,
                               char token[FG_ADMIN_TOKEN_MAX + 1])
{
    struct fg_config conf;
    struct fg_err err;
    const char *env = getenv("FNGATE_ADMIN_TOKEN");
    bool have_conf = false;
    int rc = 0;

    if (a->token || (env && *env)) {
        snprintf(token, FG_ADMIN_TOKEN_MAX + 1, "%s", a->token ? a->token : env);
    }
    if (!a->url || !token[0]) {
        if (fg_registry_conf_load(&conf, a->config, &err) < 0) {
            fprintf(stderr, "%s\n(or give --admin URL and --token TOKEN)\n", err.msg);
            return -1;
        }
        have_conf = true;
    }
    if (a->url) {
        size_t n = strlen(a->url);
        snprintf(base, base_size, "%.*s", (int)(n && a->url[n - 1] == '/' ? n - 1 : n), a->url);
    } else if (conf.admin.unix_path) {
        snprintf(base, base_size, "unix:%s", conf.admin.unix_path);
    } else {
        char where[300];
        const char *host = conf.admin.listen.host;
        /* A wildcard address is where the gateway listens, not where to connect. */
        if (!strcmp(host, "0.0.0.0"))
            host = "127.0.0.1";
        else if (!strcmp(host, "::"))
            host = "::1";
        fg_url_authority(where, sizeof(where), host, conf.admin.listen.port);
        snprintf(base, base_size, "%s://%s", fg_conf_tls_scheme(&conf.admin.tls), where);
    }
    if (!token[0] && fg_admin_token_load(&conf.admin, false, token, &err) < 0) {
        fprintf(stderr, "fngate: %s\n(give --token TOKEN or set FNGATE_ADMIN_TOKEN)\n", err.msg);
        rc = -1;
    }
    if (have_conf)
        fg_conf_free(&conf);
    return rc;
}

json_t *fg_client_call_json(const struct fg_client_admin *a, const char *method, const char *path, const char *body)
{
    struct fg_client_reply r;
    struct fg_err err;
    char base[400], url[1200], token[FG_ADMIN_TOKEN_MAX + 1] = "", auth[FG_ADMIN_TOKEN_MAX + 32];
    const char *headers[] = { auth, NULL }, *unix_path = NULL;
    json_t *j = NULL;

    if (client_admin_target(a, base, sizeof(base), token) < 0)
        return NULL;
    snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token);
    explicit_bzero(token, sizeof(token));
    if (!strncmp(base, "unix:", 5)) {
        unix_path = base + 5;
        snprintf(url, sizeof(url), "http://localhost%s", path);
    } else {
        snprintf(url, sizeof(url), "%s%s", base, path);
    }
    if (client_perform(method, url, unix_path, headers, body, body ? strlen(body) : 0, NULL, &r, &err) < 0) {
        fprintf(stderr, "fngate: %s%s%s (is `fngate serve -c %s` running?)\n", err.msg, unix_path ? " via " : "",
                unix_path ? base : "", a->config);
    } else if (r.status != 200) {
        /* The admin API's refusals are {"message": ...}: the message alone reads better. */
        json_t *e = json_loadb(r.body.data ? r.body.data : "", r.body.len, 0, NULL);
        const char *msg = json_string_value(json_object_get(e, "message"));
        if (msg)
            fprintf(stderr, "fngate: HTTP %ld: %s\n", r.status, msg);
        else
            fprintf(stderr, "fngate: HTTP %ld: %.*s\n", r.status, (int)r.body.len, r.body.data ? r.body.data : "");
        json_decref(e);
    } else if (!(j = json_loadb(r.body.data ? r.body.data : "", r.body.len, 0, NULL))) {
        fprintf(stderr, "fngate: the gateway's answer is not JSON\n");
    }
    explicit_bzero(auth, sizeof(auth));
    fg_client_reply_close(&r);
    return j;
}

int fg_client_query_param(struct fg_buf *out, const char *key, const char *value)
{
    char *enc = curl_easy_escape(NULL, value, 0);
    int rc;
    if (!enc)
        return -ENOMEM;
    fg_buf_append_str(out, out->data && strchr(out->data, '?') ? "&" : "?");
    fg_buf_append_str(out, key);
    fg_buf_append_str(out, "=");
    rc = fg_buf_append_str(out, enc);
    curl_free(enc);
    return rc;
}

int fg_client_time_arg(const char *s, long long now_ms, long long *out)
{
    static const struct { char unit; long long ms; } units[] = {
        { 's', 1000 }, { 'm', 60000 }, { 'h', 3600000 }, { 'd', 86400000 }, { 'w', 604800000 },
    };
    size_t digits = strspn(s, "0123456789");
    int y, mo, d, h = 0, mi = 0, sec = 0, n = 0;
    long long frac_ms = 0, offset_s = 0;
    const char *p;
    struct tm tm;

    if (digits >= 12 && !s[digits]) {
        *out = strtoll(s, NULL, 10);
        return 0;
    }
    if (digits && digits <= 9 && s[digits] && !s[digits + 1]) {
        for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
            if (s[digits] == units[i].unit) {
                *out = now_ms - strtoll(s, NULL, 10) * units[i].ms;
                return 0;
            }
        return -EINVAL;
    }
    if (sscanf(s, "%4d-%2d-%2d%n", &y, &mo, &d, &n) != 3 || n != 10)
        return -EINVAL;
    p = s + n;
    if (*p == 'T' || *p == ' ') {
        if (sscanf(p + 1, "%2d:%2d%n", &h, &mi, &n) != 2 || n != 5)
            return -EINVAL;
        p += 1 + n;
        if (*p == ':') {
            if (sscanf(p + 1, "%2d%n", &sec, &n) != 1 || n != 2)
                return -EINVAL;
            p += 1 + n;
            if (*p == '.') {
                long long scale = 100;
                for (p++; *p >= '0' && *p <= '9'; p++, scale /= 10)
                    frac_ms += (*p - '0') * scale;
            }
        }
        if (*p == 'Z') {
            p++;
        } else if (*p == '+' || *p == '-') {
            int oh, om;
            if (sscanf(p + 1, "%2d:%2d%n", &oh, &om, &n) != 2 || n != 5)
                return -EINVAL;
            offset_s = (*p == '-' ? -1 : 1) * (oh * 3600LL + om * 60LL);
            p += 1 + n;
        }
    }
    if (*p || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60)
        return -EINVAL;
    memset(&tm, 0, sizeof(tm));
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = sec;
    *out = ((long long)timegm(&tm) - offset_s) * 1000 + frac_ms;
    return 0;
}

int fg_client_read_arg(const char *arg, const char *what, struct fg_buf *out, struct fg_err *err)
{
    FILE *f;
    char chunk[65536];
    size_t n;
    int rc = 0;

    if (arg[0] != '@')
        return fg_buf_append(out, arg, strlen(arg)) < 0
                   ? fg_err_set(err, -FG_ETOOBIG, "%s larger than %zu bytes", what, out->max_bytes) : 0;
    f = strcmp(arg, "@-") ? fopen(arg + 1, "r") : stdin;
    if (!f)
        return fg_err_set(err, -errno, "%s: %s", arg + 1, strerror(errno));
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        if ((rc = fg_buf_append(out, chunk, n)) < 0) {
            rc = fg_err_set(err, rc, "%s larger than %zu bytes", what, out->max_bytes);
            break;
        }
    if (!rc && ferror(f))
        rc = fg_err_set(err, -EIO, "%s: read error", arg + 1);
    if (f != stdin)
        fclose(f);
    return rc;
}
