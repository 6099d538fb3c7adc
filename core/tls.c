/* SPDX-License-Identifier: MIT */
/* tls.c - PEM certificates and keys for the TLS listeners (see tls.h). */
#include "tls.h"

#include <errno.h>
#include <fcntl.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ------------------------------------------------------------------ helpers */

/* The whole file, NUL-terminated, in *out (malloc). 0 or -errno / -EFBIG. */
static int tls_slurp(const char *path, char **out, size_t *len)
{
    struct stat st;
    char *buf = NULL;
    size_t n = 0;
    int fd, rc = 0;

    *out = NULL;
    *len = 0;
    if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
        return -errno;
    if (fstat(fd, &st) < 0) {
        rc = -errno;
        goto out;
    }
    if (S_ISDIR(st.st_mode)) {
        rc = -EISDIR;
        goto out;
    }
    if (st.st_size > (off_t)FG_TLS_PEM_MAX_BYTES) {
        rc = -EFBIG;
        goto out;
    }
    /* Read to the end whatever stat said (a file may grow meanwhile), up to the ceiling. */
    if (!(buf = malloc(FG_TLS_PEM_MAX_BYTES + 1))) {
        rc = -ENOMEM;
        goto out;
    }
    for (;;) {
        ssize_t r = read(fd, buf + n, FG_TLS_PEM_MAX_BYTES + 1 - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            rc = -errno;
            goto out;
        }
        if (r == 0)
            break;
        n += (size_t)r;
        if (n > FG_TLS_PEM_MAX_BYTES) {
            rc = -EFBIG;
            goto out;
        }
    }
    buf[n] = '\0';
    *out = buf;
    *len = n;
    buf = NULL;
out:
    if (buf) {
        explicit_bzero(buf, n);
        free(buf);
    }
    close(fd);
    return rc;
}

static int tls_check_certs(const char *path, const char *pem, size_t len, struct fg_err *err)
{
    gnutls_datum_t d = { (unsigned char *)pem, (unsigned)len };
    gnutls_x509_crt_t *crts = NULL;
    unsigned n = 0;
    int g = gnutls_x509_crt_list_import2(&crts, &n, &d, GNUTLS_X509_FMT_PEM, 0);

    for (unsigned i = 0; g >= 0 && i < n; i++)
        gnutls_x509_crt_deinit(crts[i]);
    gnutls_free(crts);
    if (g >= 0 && n > 0)
        return 0;
    if (!strstr(pem, "-----BEGIN CERTIFICATE-----") && strstr(pem, "PRIVATE KEY-----"))
        return fg_err_set(err, -EINVAL, "%s: holds a private key, not a certificate (are cert and key swapped?)", path);
    if (!strstr(pem, "-----BEGIN CERTIFICATE-----"))
        return fg_err_set(err, -EINVAL, "%s: not a PEM certificate (no -----BEGIN CERTIFICATE----- line)", path);
    return fg_err_set(err, -EINVAL, "%s: not a usable PEM certificate: %s", path, gnutls_strerror(g));
}

static int tls_check_key(const char *path, const char *pem, size_t len, struct fg_err *err)
{
    gnutls_datum_t d = { (unsigned char *)pem, (unsigned)len };
    gnutls_x509_privkey_t key;
    int g;

    if (strstr(pem, "ENCRYPTED"))
        return fg_err_set(err, -EINVAL, "%s: the private key is encrypted; fngate takes an unencrypted key "
                                        "(openssl pkey -in KEY -out PLAIN, then keep PLAIN readable by fngate only)", path);
    if (!strstr(pem, "PRIVATE KEY-----"))
        return fg_err_set(err, -EINVAL, "%s: %s", path, strstr(pem, "-----BEGIN CERTIFICATE-----")
                          ? "holds a certificate, not a private key (are cert and key swapped?)"
                          : "not a PEM private key (no -----BEGIN PRIVATE KEY----- line)");
    if ((g = gnutls_x509_privkey_init(&key)) < 0)
        return fg_err_set(err, -ENOMEM, "%s: %s", path, gnutls_strerror(g));
    g = gnutls_x509_privkey_import2(key, &d, GNUTLS_X509_FMT_PEM, NULL, 0);
    gnutls_x509_privkey_deinit(key);
    if (g < 0)
        return fg_err_set(err, -EINVAL, "%s: not a usable PEM private key: %s", path, gnutls_strerror(g));
    return 0;
}

/* ------------------------------------------------------------------ API */

int fg_tls_pem_read(const char *path, enum fg_tls_pem_kind kind, char **out, struct fg_err *err)
{
    char *pem;
    size_t len = 0;
    int rc;

    *out = NULL;
    if ((rc = tls_slurp(path, &pem, &len)) < 0)
        return fg_err_set(err, rc, "%s: %s", path,
                          rc == -EFBIG ? "larger than 1 MB: not a PEM file" : strerror(-rc));
    if (!len)
        rc = fg_err_set(err, -EINVAL, "%s: empty", path);
    else if (memchr(pem, '\0', len))
        rc = fg_err_set(err, -EINVAL, "%s: binary (DER?), not PEM text (openssl x509 -inform der, or "
                                      "openssl pkey -inform der, converts it)", path);
    else
        rc = kind == FG_TLS_PEM_CERT ? tls_check_certs(path, pem, len, err) : tls_check_key(path, pem, len, err);
    if (rc < 0) {
        fg_tls_pem_free(pem);
        return rc;
    }
    *out = pem;
    return 0;
}

int fg_tls_pem_match(const char *cert_pem, const char *key_pem, struct fg_err *err)
{
    gnutls_datum_t c = { (unsigned char *)cert_pem, (unsigned)strlen(cert_pem) };
    gnutls_datum_t k = { (unsigned char *)key_pem, (unsigned)strlen(key_pem) };
    gnutls_certificate_credentials_t cred;
    int g;

    if (gnutls_certificate_allocate_credentials(&cred) < 0)
        return fg_err_set(err, -ENOMEM, "out of memory");
    g = gnutls_certificate_set_x509_key_mem(cred, &c, &k, GNUTLS_X509_FMT_PEM);
    gnutls_certificate_free_credentials(cred);
    if (g == GNUTLS_E_CERTIFICATE_KEY_MISMATCH)
        return fg_err_set(err, -EINVAL, "the key is not the private key of the cert file's first certificate");
    if (g < 0)
        return fg_err_set(err, -EINVAL, "GnuTLS refuses the pair: %s", gnutls_strerror(g));
    return 0;
}

void fg_tls_pem_free(char *pem)
{
    if (!pem)
        return;
    explicit_bzero(pem, strlen(pem));
    free(pem);
}
