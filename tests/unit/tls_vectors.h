/* SPDX-License-Identifier: MIT */
/* tls_vectors.h - fixed PEM texts for the unit tests of core/tls.h and of the `tls:` keys:
 * a self-signed EC P-256 certificate (CN "fngate unit", valid until 2126) and its key in
 * PKCS#8, SEC1 and encrypted PKCS#8 (password "x"), and an unrelated key. Made once with
 * the openssl CLI; only their structure matters here, not their dates or names. */
#ifndef FG_TLS_VECTORS_H
#define FG_TLS_VECTORS_H

static const char tls_cert[] =
    "-----BEGIN CERTIFICATE-----\n"
    "MIIBgzCCASmgAwIBAgIUTjBzvslKpPu+idrcT5f/DcW8d8gwCgYIKoZIzj0EAwIw\n"
    "FjEUMBIGA1UEAwwLZm5nYXRlIHVuaXQwIBcNMjYxMjAyMDgzMzAzWhgPMjEyNjEx\n"
    "MDgwODMzMDNaMBYxFDASBgNVBAMMC2ZuZ2F0ZSB1bml0MFkwEwYHKoZIzj0CAQYI\n"
    "KoZIzj0DAQcDQgAEtWgwfhzLq+5hw8UEX54/yhT25WYtG9+iko4WySZzE89VA7gz\n"
    "VmYgXiOirYOLkotnTQmhX+noqW67/hwdnOoEeqNTMFEwHQYDVR0OBBYEFJSonCzj\n"
    "WV/w1tOJgVUGNt/oNoxRMB8GA1UdIwQYMBaAFJSonCzjWV/w1tOJgVUGNt/oNoxR\n"
    "MA8GA1UdEwEB/wQFMAMBAf8wCgYIKoZIzj0EAwIDSAAwRQIhAMq6lWTEifrHBk1S\n"
    "V4jlg8JlT6ukf3+JGNFWXd7yuaoSAiA33rxg6SVskr78g1JKWHWcFO/NrWOFuwuh\n"
    "92V9ES1Odg==\n"
    "-----END CERTIFICATE-----\n";

/* cert's key, PKCS#8 (BEGIN PRIVATE KEY) */
static const char tls_key[] =
    "-----BEGIN PRIVATE KEY-----\n"
    "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgJQtrCExUl3I09OGv\n"
    "SkyrPZIuHbDVM5WrOsMxmtVgmiGhRANCAAS1aDB+HMur7mHDxQRfnj/KFPblZi0b\n"
    "36KSjhbJJnMTz1UDuDNWZiBeI6Ktg4uSi2dNCaFf6eipbrv+HB2c6gR6\n"
    "-----END PRIVATE KEY-----\n";

/* the same key, SEC1 (BEGIN EC PRIVATE KEY) */
static const char tls_key_sec1[] =
    "-----BEGIN EC PRIVATE KEY-----\n"
    "MHcCAQEEICULawhMVJdyNPThr0pMqz2SLh2w1TOVqzrDMZrVYJohoAoGCCqGSM49\n"
    "AwEHoUQDQgAEtWgwfhzLq+5hw8UEX54/yhT25WYtG9+iko4WySZzE89VA7gzVmYg\n"
    "XiOirYOLkotnTQmhX+noqW67/hwdnOoEeg==\n"
    "-----END EC PRIVATE KEY-----\n";

/* the same key, encrypted */
static const char tls_key_encrypted[] =
    "-----BEGIN ENCRYPTED PRIVATE KEY-----\n"
    "MIHsMFcGCSqGSIb3DQEFDTBKMCkGCSqGSIb3DQEFDDAcBAh0+Fn2K/q+FQICCAAw\n"
    "DAYIKoZIhvcNAgkFADAdBglghkgBZQMEAQIEEGMKLCn+EzyxwKMLIcCdEPMEgZDp\n"
    "rI/oNBNUyNO6AbmFsnLE5o9fph20TVtw5MD+YrMu1P/Gol4KXBIjrfG1Xc4Y/j3K\n"
    "y5e823U6egiyLT6/wXV7C39agZ1fp3TXHelTKGTuhd5DYzqn1vfqzBVAIUtEDh2/\n"
    "rPXbJTWTNUqz+2wTYQntpEF0OXvnb1UOpXFmlxS+fZKGSL0yKjwcXhu4t3CK8JE=\n"
    "-----END ENCRYPTED PRIVATE KEY-----\n";

/* another key: not cert's */
static const char tls_key_other[] =
    "-----BEGIN PRIVATE KEY-----\n"
    "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgcJ7szqDlAphpPFNh\n"
    "W59bDWVmhSsB4mw8/FZME5dH6XyhRANCAASzkyTeNBFaYNp5iAoDqhkBjJPYaI2f\n"
    "wFYYUNEZQbPm3gNpVRbejwbRbsj57Mrg+HdpSnSIfWYLh8/hbHvkDdz8\n"
    "-----END PRIVATE KEY-----\n";

#endif
