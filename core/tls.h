/* SPDX-License-Identifier: MIT */
/* tls.h - the certificate and private key a TLS listener serves: read from PEM files and
 * checked with GnuTLS (the library libmicrohttpd does TLS with) before anything listens.
 *
 * libmicrohttpd takes a certificate and key as PEM text and, when they are unusable, only
 * fails to start, saying why in a debug line. So a listener's `tls: {cert, key}` is checked
 * here when the configuration loads (config/conf_walk.c, errors at the key's position) and
 * again when the listener starts (gateway/mhd_listener.c, which then hands the text to
 * libmicrohttpd), so a file changed in between still gets a message naming it.
 *
 * DESIGN: what is checked is what libmicrohttpd's GnuTLS would refuse: the file is a
 * readable regular file, the cert file holds PEM certificates (the server's first, then any
 * intermediates), the key file an unencrypted PEM private key (PKCS#8, PKCS#1 or SEC1), and
 * the key is the first certificate's (gnutls_certificate_set_x509_key_mem, as libmicrohttpd
 * calls it). Not checked: expiry and names, which clients judge. Any thread; no state.
 * Tests: tests/unit/test_tls.c. */
#ifndef FG_TLS_H
#define FG_TLS_H

#include "err.h"

/* A PEM file is at most this large (a long chain is a few dozen KB). */
#define FG_TLS_PEM_MAX_BYTES (1u << 20)

enum fg_tls_pem_kind {
    FG_TLS_PEM_CERT = 0,     /* one or more certificates */
    FG_TLS_PEM_KEY,          /* one unencrypted private key */
};

/* Reads path and checks it holds PEM of kind. 0 with *out returned owned, NUL-terminated
 * (free with fg_tls_pem_free); or -errno (cannot be read: missing, unreadable, a directory),
 * -EFBIG (over FG_TLS_PEM_MAX_BYTES) or -EINVAL (not that PEM, an encrypted key, a cert
 * and key swapped), with *out NULL and err "PATH: why". Borrows path. */
int fg_tls_pem_read(const char *path, enum fg_tls_pem_kind kind, char **out, struct fg_err *err) FG_MUST_CHECK;

/* Whether key_pem is the private key of the first certificate of cert_pem, both as
 * fg_tls_pem_read returns them (borrowed). 0, or -EINVAL with err saying why (GnuTLS's
 * words); -ENOMEM. */
int fg_tls_pem_match(const char *cert_pem, const char *key_pem, struct fg_err *err) FG_MUST_CHECK;

/* Overwrites pem (a private key must not linger in freed memory), then frees it. NULL is
 * allowed. */
void fg_tls_pem_free(char *pem);

#endif
