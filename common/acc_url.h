/*
 * acc_url — the canonical form of a URL, the key by which reports about the same web
 * content item attach to one case.
 *
 * Rules: the public Safe Browsing canonicalisation (trim leading/trailing spaces, remove
 * tab/CR/LF, repeated percent-unescape then minimal re-escape of bytes <= 0x20, >= 0x7f,
 * '#' and '%', lower-case host, leading/trailing dots and repeated dots in the host
 * removed, IPv4 in any numeric form (decimal, octal, hex, fewer than four parts) to dotted
 * decimal, "." and ".." path segments and repeated slashes resolved, fragment removed,
 * port removed, "http://" added when the scheme is missing), then, with
 * ACC_URL_STRIP_TRACKING, removal of known tracking query parameters (utm_*, fbclid,
 * gclid, ...). Internationalised host names are converted to punycode (IDNA 2008 via
 * libidn2, with transitional fallback).
 */
#ifndef ACC_URL_H
#define ACC_URL_H

#include <stddef.h>

#include "acc_err.h"

#define ACC_URL_MAX 8192

enum {
    ACC_URL_SAFE_BROWSING = 0,      /* exactly the Safe Browsing rules */
    ACC_URL_STRIP_TRACKING = 1 << 0 /* also drop tracking query parameters */
};

/* ACC_URL_CANONICAL — the flags accord uses for content keys. */
#define ACC_URL_CANONICAL (ACC_URL_STRIP_TRACKING)

/*
 * acc_url_canonicalize — canonical form of the URL in @in[0..@len).
 * @in need not be NUL-terminated and may contain any bytes.
 * @flags: ACC_URL_SAFE_BROWSING or ACC_URL_CANONICAL.
 * @out: on success, a malloc'd NUL-terminated string owned by the caller.
 * @ei: may be NULL; on failure names what is wrong ("url": "host is empty", ...).
 * Errors: ACC_ERR_TOO_LARGE (@len > ACC_URL_MAX), ACC_ERR_INVALID (empty, no host,
 * unsupported scheme, host that is not a valid name), ACC_ERR_NOMEM.
 */
acc_err acc_url_canonicalize(const char *in, size_t len, int flags, char **out, acc_errinfo_t *ei);

/*
 * acc_url_host — the host part of a canonical URL, copied into @buf (NUL-terminated).
 * Errors: ACC_ERR_INVALID (not a canonical URL), ACC_ERR_TOO_LARGE (@buflen too small).
 */
acc_err acc_url_host(const char *canonical, char *buf, size_t buflen);

#endif
