/* SPDX-License-Identifier: MIT */
/* test_tls.c - core/tls.h: which PEM files a TLS listener takes, and the message for each
 * one it refuses; and the `tls:` keys of the configuration (config/conf_key.h FG_CONF_TLS):
 * paths relative to the file, errors at the position of the file's key. */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/config.h"
#include "core/tls.h"
#include "triggers/registry.h"
#include "tls_vectors.h"
#include "unit.h"

static char tls_dir[] = "/tmp/fg-tls-XXXXXX";

/* Writes n bytes of data to tls_dir/name; returns the path (static buffer). */
static const char *tls_file(const char *name, const void *data, size_t n)
{
    static char path[256];
    FILE *f;
    snprintf(path, sizeof(path), "%s/%s", tls_dir, name);
    ck_assert_ptr_nonnull(f = fopen(path, "wb"));
    ck_assert_uint_eq(fwrite(data, 1, n, f), n);
    fclose(f);
    return path;
}

static const char tls_der[] = { 0x30, (char)0x82, 0x01, (char)0x83, 0x30, (char)0x82, 0x01, 0x29, (char)0xa0, 0x03,
                                0x02, 0x01, 0x02, 0x02, 0x14, 0x00, 0x4e };

static const char tls_bad_base64[] = "-----BEGIN CERTIFICATE-----\nMIIB!!!not base64!!!\n-----END CERTIFICATE-----\n";

struct tls_case {
    const char *what;
    const char *data;           /* NULL: the file does not exist */
    size_t len;                 /* 0: strlen(data) */
    enum fg_tls_pem_kind kind;
    int rc;
    const char *msg;            /* a substring of the error; NULL when rc is 0 */
};

static const struct tls_case tls_cases[] = {
    { "cert", tls_cert, 0, FG_TLS_PEM_CERT, 0, NULL },
    { "chain", NULL, 0, FG_TLS_PEM_CERT, 0, NULL },    /* cert twice: filled in below */
    { "key pkcs8", tls_key, 0, FG_TLS_PEM_KEY, 0, NULL },
    { "key sec1", tls_key_sec1, 0, FG_TLS_PEM_KEY, 0, NULL },
    { "missing", NULL, 0, FG_TLS_PEM_CERT, -ENOENT, "/missing: No such file or directory" },
    { "empty", "", 0, FG_TLS_PEM_KEY, -EINVAL, "/empty: empty" },
    { "key as cert", tls_key, 0, FG_TLS_PEM_CERT, -EINVAL, "holds a private key, not a certificate (are cert and key swapped?)" },
    { "cert as key", tls_cert, 0, FG_TLS_PEM_KEY, -EINVAL, "holds a certificate, not a private key (are cert and key swapped?)" },
    { "text", "hello\n", 0, FG_TLS_PEM_CERT, -EINVAL, "not a PEM certificate (no -----BEGIN CERTIFICATE----- line)" },
    { "text key", "hello\n", 0, FG_TLS_PEM_KEY, -EINVAL, "not a PEM private key (no -----BEGIN PRIVATE KEY----- line)" },
    { "der", tls_der, sizeof(tls_der), FG_TLS_PEM_CERT, -EINVAL, "binary (DER?), not PEM text" },
    { "bad base64", tls_bad_base64, 0, FG_TLS_PEM_CERT, -EINVAL, "not a usable PEM certificate: " },
    { "encrypted", tls_key_encrypted, 0, FG_TLS_PEM_KEY, -EINVAL, "the private key is encrypted" },
};

START_TEST(test_tls_pem_read)
{
    const struct tls_case *c = &tls_cases[_i];
    char chain[4096], *pem = (char *)"unset";
    const char *path, *data = c->data;
    struct fg_err err = { 0, "" };
    int rc;

    snprintf(chain, sizeof(chain), "%s%s", tls_cert, tls_cert);
    if (!strcmp(c->what, "chain"))
        data = chain;
    if (data) {
        path = tls_file(c->what, data, c->len ? c->len : strlen(data));
    } else {
        snprintf(chain, sizeof(chain), "%s/%s", tls_dir, c->what);
        path = chain;
    }
    rc = fg_tls_pem_read(path, c->kind, &pem, &err);
    ck_assert_msg(rc == c->rc, "%s: rc %d, want %d (%s)", c->what, rc, c->rc, err.msg);
    if (c->rc) {
        ck_assert_ptr_null(pem);
        ck_assert_msg(strstr(err.msg, c->msg), "%s: '%s' not in '%s'", c->what, c->msg, err.msg);
        ck_assert_msg(!strncmp(err.msg, tls_dir, strlen(tls_dir)), "%s: names the file: %s", c->what, err.msg);
    } else {
        ck_assert_str_eq(pem, data);
    }
    fg_tls_pem_free(pem);
}
END_TEST

START_TEST(test_tls_pem_read_directory_and_size)
{
    struct fg_err err;
    char *pem, *big = malloc(FG_TLS_PEM_MAX_BYTES + 2);

    ck_assert_int_eq(fg_tls_pem_read(tls_dir, FG_TLS_PEM_CERT, &pem, &err), -EISDIR);
    ck_assert_msg(strstr(err.msg, ": Is a directory"), "%s", err.msg);
    ck_assert_ptr_nonnull(big);
    memset(big, 'A', FG_TLS_PEM_MAX_BYTES + 1);
    ck_assert_int_eq(fg_tls_pem_read(tls_file("big", big, FG_TLS_PEM_MAX_BYTES + 1), FG_TLS_PEM_CERT, &pem, &err), -EFBIG);
    ck_assert_msg(strstr(err.msg, "larger than 1 MB"), "%s", err.msg);
    free(big);
}
END_TEST

START_TEST(test_tls_pem_match)
{
    struct fg_err err = { 0, "" };
    char chain[4096];

    ck_assert_int_eq(fg_tls_pem_match(tls_cert, tls_key, &err), 0);
    ck_assert_int_eq(fg_tls_pem_match(tls_cert, tls_key_sec1, &err), 0);
    snprintf(chain, sizeof(chain), "%s%s", tls_cert, tls_cert);
    ck_assert_int_eq(fg_tls_pem_match(chain, tls_key, &err), 0);
    ck_assert_int_eq(fg_tls_pem_match(tls_cert, tls_key_other, &err), -EINVAL);
    ck_assert_msg(strstr(err.msg, "the key is not the private key of the cert file's first certificate"), "%s", err.msg);
}
END_TEST

/* The configuration's `tls:`: relative paths start at the file's directory; each error is
 * at the position of the key it is about. */
struct tls_conf_case {
    const char *yaml;
    const char *error;          /* NULL: loads */
};

static const struct tls_conf_case tls_conf_cases[] = {
    { "gateway: {tls: {cert: c.pem, key: k.pem}}\n", NULL },
    { "s3: {tls: {cert: ./c.pem, key: k.pem}}\n", NULL },
    { "gateway: {tls: {cert: c.pem}}\n", "t.yaml:1:11: tls: 'key' is required with 'cert'" },
    { "s3: {tls: {key: k.pem}}\n", "t.yaml:1:6: tls: 'cert' is required with 'key'" },
    { "gateway: {tls: {}}\n", "t.yaml:1:11: tls: give cert and key (PEM files), or leave tls out for plain HTTP" },
    { "gateway: {tls: on}\n", "t.yaml:1:11: tls: expected {cert: PATH, key: PATH} (PEM files), got a scalar" },
    { "gateway: {tls: {cert: c.pem, key: k.pem, crt: x}}\n", "t.yaml:1:42: unknown key 'crt' in tls (did you mean 'cert'?)" },
    { "gateway: {tls: {cert: nope.pem, key: k.pem}}\n", "t.yaml:1:23: tls: cert /" },
    { "gateway: {tls: {cert: c.pem, key: nope.pem}}\n", "t.yaml:1:35: tls: key /" },
    { "gateway: {tls: {cert: k.pem, key: k.pem}}\n", "t.yaml:1:23: tls: cert /" },
    { "gateway:\n  tls:\n    cert: c.pem\n    key: other.pem\n", "t.yaml:4:10: tls: key /" },
};

START_TEST(test_tls_conf)
{
    const struct tls_conf_case *c = &tls_conf_cases[_i];
    struct fg_config conf;
    struct fg_err err = { 0, "" };
    int rc;

    tls_file("c.pem", tls_cert, strlen(tls_cert));
    tls_file("k.pem", tls_key, strlen(tls_key));
    tls_file("other.pem", tls_key_other, strlen(tls_key_other));
    rc = fg_registry_conf_load_string(&conf, "t.yaml", tls_dir, c->yaml, &err);
    if (!c->error) {
        const struct fg_conf_tls *t = strncmp(c->yaml, "s3", 2) ? &conf.tls : &conf.s3.tls;
        char want[300];
        ck_assert_msg(rc == 0, "case %d should load, got: %s", _i, err.msg);
        ck_assert(fg_conf_tls_on(t));
        ck_assert_str_eq(fg_conf_tls_scheme(t), "https");
        snprintf(want, sizeof(want), "%s/c.pem", tls_dir);
        ck_assert_str_eq(t->cert, want);
        snprintf(want, sizeof(want), "%s/k.pem", tls_dir);
        ck_assert_str_eq(t->key, want);
        ck_assert(!fg_conf_tls_on(t == &conf.tls ? &conf.s3.tls : &conf.tls));
        fg_conf_free(&conf);
    } else {
        ck_assert_msg(rc == -FG_ECONFIG, "case %d should fail (rc %d)", _i, rc);
        ck_assert_msg(strstr(err.msg, c->error), "case %d: expected '%s' in '%s'", _i, c->error, err.msg);
    }
}
END_TEST

START_TEST(test_tls_conf_messages)
{
    struct fg_config conf;
    struct fg_err err = { 0, "" };
    char want[512];

    tls_file("c.pem", tls_cert, strlen(tls_cert));
    tls_file("other.pem", tls_key_other, strlen(tls_key_other));
    ck_assert_int_eq(fg_registry_conf_load_string(&conf, "t.yaml", tls_dir, "s3: {tls: {cert: c.pem, key: other.pem}}\n",
                                                  &err), -FG_ECONFIG);
    snprintf(want, sizeof(want), "t.yaml:1:30: tls: key %s/other.pem does not go with cert %s/c.pem: the key is not the "
             "private key of the cert file's first certificate", tls_dir, tls_dir);
    ck_assert_str_eq(err.msg, want);
    ck_assert_int_eq(fg_registry_conf_load_string(&conf, "t.yaml", tls_dir, "gateway: {tls: {cert: gone.pem, key: c.pem}}\n",
                                                  &err), -FG_ECONFIG);
    snprintf(want, sizeof(want), "t.yaml:1:23: tls: cert %s/gone.pem: No such file or directory", tls_dir);
    ck_assert_str_eq(err.msg, want);
    /* Plain HTTP when tls is left out. */
    ck_assert_int_eq(fg_registry_conf_load_string(&conf, "t.yaml", tls_dir, "gateway: {listen: 127.0.0.1:0}\n", &err), 0);
    ck_assert(!fg_conf_tls_on(&conf.tls) && !fg_conf_tls_on(NULL));
    ck_assert_str_eq(fg_conf_tls_scheme(&conf.tls), "http");
    fg_conf_free(&conf);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("tls");
    TCase *tc = tcase_create("tls");
    char cmd[64];
    int rc;

    if (!mkdtemp(tls_dir))
        return 1;
    tcase_add_loop_test(tc, test_tls_pem_read, 0, (int)(sizeof(tls_cases) / sizeof(tls_cases[0])));
    tcase_add_test(tc, test_tls_pem_read_directory_and_size);
    tcase_add_test(tc, test_tls_pem_match);
    tcase_add_loop_test(tc, test_tls_conf, 0, (int)(sizeof(tls_conf_cases) / sizeof(tls_conf_cases[0])));
    tcase_add_test(tc, test_tls_conf_messages);
    rc = fg_unit_run(s, tc);
    snprintf(cmd, sizeof(cmd), "rm -rf %s", tls_dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", tls_dir);
    return rc;
}
