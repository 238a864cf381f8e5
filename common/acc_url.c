/*
 * acc_url — see acc_url.h. The canonical URL is the key that makes reports about one web
 * content item land in one case, so the same page must give the same string however it
 * was typed, escaped or decorated with tracking parameters.
 *
 * Pipeline (the order matters, it is what makes the result idempotent):
 *   1. drop tab/CR/LF, cut the fragment at the first raw '#', trim bytes <= 0x20 at
 *      both ends (Safe Browsing's TrimSpace);
 *   2. percent-unescape the whole string until no escape remains. Escapes never
 *      overlap ('%' is not a hex digit), so the rewriting is confluent and a single
 *      left-to-right pass with a stack reaches the same fixed point as "unescape until
 *      nothing changes", in linear time;
 *   3. split scheme / authority / path / query on the decoded bytes, as the Safe
 *      Browsing reference client does (so "%2F" in a host becomes a '/');
 *   4. host: userinfo and numeric port removed, dots collapsed and trimmed, ASCII
 *      lower-cased, non-ASCII names to punycode (libidn2), IPv4 in any numeric form to
 *      dotted decimal, "[...]" IPv6 literals kept lower-cased as they are;
 *   5. path: "." and ".." resolved, runs of '/' collapsed; the query is left alone
 *      except for tracking parameters (ACC_URL_STRIP_TRACKING);
 *   6. escape bytes <= 0x20, >= 0x7f, '#' and '%' as %XX (uppercase hex).
 *
 * Choices beyond the Safe Browsing text (which covers only http/https examples):
 *   - any scheme [a-z][a-z0-9+.-]* followed by "//" is accepted; "name:123/..." without
 *     "//" is read as a scheme-less host and port; other "x:" forms (mailto:, data:) are
 *     rejected as having no host; a "://" preceded by something that is not a scheme is
 *     rejected.
 *   - userinfo is always removed (Safe Browsing discards it too; it also keeps
 *     passwords out of case keys). Only a numeric port is a port: any other ':' left
 *     in a host is an error, as are '[', ']', '\' and the '/', '?', '@' that an IDN
 *     mapping could produce.
 *   - a non-ASCII host that libidn2 rejects (invalid UTF-8 such as "\x80", spaces,
 *     disallowed code points), or whose A-label form is not plain letters, digits,
 *     '-', '_' and '.', is kept as raw bytes and percent-escaped, exactly as Safe
 *     Browsing does for "http://\x01\x80.com/". This holds in both modes.
 *   - no DNS length limits are applied to hosts (Safe Browsing applies none); the whole
 *     canonical URL must fit in ACC_URL_MAX so that canonicalising it again succeeds.
 *   - IPv4 parts other than the last must be <= 255 and the last must fit the bytes
 *     left; numbers over 32 bits ("4294967296", "0x100000000"), bad octal ("08") and
 *     empty hex ("0x") are host names, as in the Safe Browsing reference client.
 *   - with ACC_URL_STRIP_TRACKING, empty query parameters ("a=1&&b", a bare "?") are
 *     dropped as well, and parameter names match case-insensitively.
 */
#include "acc_url.h"

#include <assert.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <idn2.h>

#define S_FIELD "url"

/* --- tracking parameters ---------------------------------------------------------- */

/* Hosts where "si" is a share-tracking token rather than content (YouTube, Spotify). */
static const char *const s_si_hosts[] = {"youtube.com", "youtu.be", "open.spotify.com", NULL};

/*
 * Query parameters that identify a click, a campaign or a share, never the content:
 * dropping them makes every shared copy of a link one case. Names match ASCII
 * case-insensitively; @prefix entries match any name that starts with them; @hosts,
 * when set, limits an entry to those hosts and their subdomains (a short name like
 * "si" is content elsewhere).
 */
static const struct s_tracking {
    const char *name;
    bool prefix;
    const char *const *hosts;
} s_tracking[] = {
    {"utm_", true, NULL},       /* Google Analytics campaign tags: utm_source, ... */
    {"fbclid", false, NULL},    /* Facebook click id */
    {"gclid", false, NULL},     /* Google Ads click id */
    {"gclsrc", false, NULL},    /* Google Ads click source */
    {"dclid", false, NULL},     /* Google Display click id */
    {"gbraid", false, NULL},    /* Google Ads (iOS, app to web) */
    {"wbraid", false, NULL},    /* Google Ads (iOS, web to app) */
    {"msclkid", false, NULL},   /* Microsoft Ads click id */
    {"mc_cid", false, NULL},    /* Mailchimp campaign id */
    {"mc_eid", false, NULL},    /* Mailchimp recipient id */
    {"yclid", false, NULL},     /* Yandex click id */
    {"igshid", false, NULL},    /* Instagram share id */
    {"igsh", false, NULL},      /* Instagram share id, newer form */
    {"_ga", false, NULL},       /* Google Analytics cross-domain linker */
    {"_gl", false, NULL},       /* Google linker */
    {"ref_src", false, NULL},   /* Twitter/X referral source */
    {"twclid", false, NULL},    /* Twitter/X click id */
    {"ttclid", false, NULL},    /* TikTok click id */
    {"li_fat_id", false, NULL}, /* LinkedIn click id */
    {"mkt_tok", false, NULL},   /* Marketo email token */
    {"_hsenc", false, NULL},    /* HubSpot email tracking */
    {"_hsmi", false, NULL},     /* HubSpot email tracking */
    {"zanpid", false, NULL},    /* Zanox/Awin affiliate click id */
    {"spm", false, NULL},       /* Alibaba/Taobao tracking position */
    {"si", false, s_si_hosts},  /* YouTube/Spotify share id */
};

/* --- small byte helpers (locale-independent) --------------------------------------- */

static int
s_hexval(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static bool
s_is_alpha(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool
s_is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

static bool
s_is_scheme_char(unsigned char c)
{
    return s_is_alpha(c) || s_is_digit(c) || c == '+' || c == '-' || c == '.';
}

static unsigned char
s_lower(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') ? (unsigned char)(c - 'A' + 'a') : c;
}

static bool
s_needs_escape(unsigned char c)
{
    return c <= 0x20 || c >= 0x7f || c == '#' || c == '%';
}

static size_t
s_escaped_len(const unsigned char *s, size_t n)
{
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        m += s_needs_escape(s[i]) ? 3 : 1;
    return m;
}

static char *
s_put_escaped(char *o, const unsigned char *s, size_t n)
{
    static const char hex[] = "0123456789ABCDEF";
    for (size_t i = 0; i < n; i++) {
        if (s_needs_escape(s[i])) {
            *o++ = '%';
            *o++ = hex[s[i] >> 4];
            *o++ = hex[s[i] & 15];
        } else {
            *o++ = (char)s[i];
        }
    }
    return o;
}

static const unsigned char *
s_memrchr(const unsigned char *s, unsigned char c, size_t n)
{
    while (n > 0) {
        n--;
        if (s[n] == c)
            return s + n;
    }
    return NULL;
}

/* --- decoding ------------------------------------------------------------------------ */

/*
 * s_unescape — percent-decode @s[0..@n) in place until no "%XX" remains; returns the new
 * length. The decoded prefix is kept free of escapes like a stack: a byte pushed (read
 * or just decoded) can only complete an escape as the last of the top three, so the
 * top is re-checked after each reduction. Every reduction shrinks the stack by two,
 * hence linear time even for "%252525...".
 */
static size_t
s_unescape(unsigned char *s, size_t n)
{
    size_t w = 0;
    for (size_t r = 0; r < n; r++) {
        s[w++] = s[r];
        while (w >= 3 && s[w - 3] == '%' && s_hexval(s[w - 2]) >= 0 && s_hexval(s[w - 1]) >= 0) {
            s[w - 3] = (unsigned char)(s_hexval(s[w - 2]) * 16 + s_hexval(s[w - 1]));
            w -= 2;
        }
    }
    return w;
}

/* --- host ---------------------------------------------------------------------------- */

/* s_collapse_dots — squeeze runs of '.' to one and drop leading/trailing dots, in place. */
static size_t
s_collapse_dots(unsigned char *h, size_t n)
{
    size_t w = 0;
    for (size_t r = 0; r < n; r++) {
        if (h[r] == '.' && (w == 0 || h[w - 1] == '.'))
            continue;
        h[w++] = h[r];
    }
    if (w > 0 && h[w - 1] == '.')
        w--;
    return w;
}

/* s_ipv4_part — value of one IPv4 part in C notation (0x hex, 0 octal, decimal), or -1. */
static int64_t
s_ipv4_part(const unsigned char *p, size_t n)
{
    unsigned base = 10;
    uint64_t v = 0;
    if (n >= 2 && p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
        base = 16;
        p += 2;
        n -= 2;
    } else if (n >= 2 && p[0] == '0') {
        base = 8;
        p++;
        n--;
    }
    if (n == 0)
        return -1; /* "0x" alone: a name, not a number */
    for (size_t i = 0; i < n; i++) {
        int d = s_hexval(p[i]);
        if (d < 0 || (unsigned)d >= base)
            return -1;
        v = v * base + (unsigned)d;
        if (v > 0xffffffffu) /* stop early: no overflow on long digit strings */
            return -1;
    }
    return (int64_t)v;
}

/*
 * s_ipv4 — when @h[0..@n) is an IPv4 address in any of the forms inet_aton accepts
 * (1 to 4 parts, each decimal, octal or hex, the last filling the remaining bytes),
 * write its dotted-decimal form to @out and return true.
 */
static bool
s_ipv4(const unsigned char *h, size_t n, char out[16])
{
    int64_t parts[4];
    size_t count = 0;
    size_t start = 0;
    for (size_t i = 0; i <= n; i++) {
        if (i < n && h[i] != '.')
            continue;
        if (count == 4)
            return false;
        int64_t v = s_ipv4_part(h + start, i - start);
        if (v < 0)
            return false;
        parts[count++] = v;
        start = i + 1;
    }
    uint32_t addr = 0;
    for (size_t i = 0; i + 1 < count; i++) {
        if (parts[i] > 255)
            return false;
        addr |= (uint32_t)parts[i] << (24 - 8 * i);
    }
    int64_t last = parts[count - 1];
    size_t last_bytes = 5 - count;
    if (last_bytes < 4 && last >= ((int64_t)1 << (8 * last_bytes)))
        return false;
    addr |= (uint32_t)last;
    snprintf(out, 16, "%u.%u.%u.%u", (unsigned)(addr >> 24), (unsigned)(addr >> 16) & 255,
             (unsigned)(addr >> 8) & 255, (unsigned)addr & 255);
    return true;
}

/*
 * s_idn — punycode form of the (lower-cased, dot-collapsed) host @h[0..@n), or
 * ACC_ERR_INVALID when libidn2 refuses it or maps it to anything but letters, digits,
 * '-', '_' and '.': fullwidth '％', '／' or '：' map to ASCII that would change how the
 * URL parses the next time round. On success *@res is malloc'd.
 */
static acc_err
s_idn(const unsigned char *h, size_t n, char **res, size_t *res_len)
{
    static const int flagsets[] = {IDN2_NFC_INPUT | IDN2_NONTRANSITIONAL,
                                   IDN2_NFC_INPUT | IDN2_TRANSITIONAL};
    acc_err rc = ACC_ERR_INVALID;
    char *z = NULL;
    char *a = NULL;

    if (memchr(h, '\0', n))
        return ACC_ERR_INVALID;
    z = malloc(n + 1);
    if (!z)
        return ACC_ERR_NOMEM;
    memcpy(z, h, n);
    z[n] = '\0';

    int irc = IDN2_ENCODING_ERROR;
    for (size_t f = 0; f < sizeof flagsets / sizeof flagsets[0]; f++) {
        irc = idn2_lookup_u8((const uint8_t *)z, (uint8_t **)&a, flagsets[f]);
        if (irc == IDN2_OK || irc == IDN2_MALLOC)
            break;
    }
    if (irc == IDN2_MALLOC) {
        rc = ACC_ERR_NOMEM;
        goto out;
    }
    if (irc != IDN2_OK)
        goto out;
    size_t m = strlen(a);
    for (size_t i = 0; i < m; i++) {
        unsigned char c = s_lower((unsigned char)a[i]);
        if (!(s_is_alpha(c) || s_is_digit(c) || c == '-' || c == '_' || c == '.'))
            goto out;
        a[i] = (char)c;
    }
    *res = a;
    *res_len = m;
    a = NULL;
    rc = ACC_OK;
out:
    idn2_free(a);
    free(z);
    return rc;
}

/* s_ipv6_literal — lower-cased copy of "[...]" (hex digits, ':' and '.', at least one
 * ':'), which is kept as written: compressing it to RFC 5952 form is not attempted. */
static acc_err
s_ipv6_literal(const unsigned char *a, size_t n, unsigned char **host, size_t *host_len,
               acc_errinfo_t *ei)
{
    const unsigned char *close = memchr(a, ']', n);
    if (!close) {
        acc_errinfo_set(ei, S_FIELD, "host has '[' without a closing ']'");
        return ACC_ERR_INVALID;
    }
    size_t lit = (size_t)(close - a) + 1;
    /* Only a numeric port may follow the literal. */
    if (lit < n) {
        if (a[lit] != ':') {
            acc_errinfo_set(ei, S_FIELD, "host has characters after ']'");
            return ACC_ERR_INVALID;
        }
        for (size_t i = lit + 1; i < n; i++) {
            if (!s_is_digit(a[i])) {
                acc_errinfo_set(ei, S_FIELD, "port is not a number");
                return ACC_ERR_INVALID;
            }
        }
    }
    bool colon = false;
    for (size_t i = 1; i + 1 < lit; i++) {
        unsigned char c = a[i];
        if (c == ':')
            colon = true;
        else if (!(s_hexval(c) >= 0 || c == '.')) {
            acc_errinfo_set(ei, S_FIELD, "ipv6 host literal contains an invalid character");
            return ACC_ERR_INVALID;
        }
    }
    if (!colon) {
        acc_errinfo_set(ei, S_FIELD, "ipv6 host literal has no ':'");
        return ACC_ERR_INVALID;
    }
    unsigned char *h = malloc(lit);
    if (!h)
        return ACC_ERR_NOMEM;
    for (size_t i = 0; i < lit; i++)
        h[i] = s_lower(a[i]);
    *host = h;
    *host_len = lit;
    return ACC_OK;
}

/*
 * s_host — canonical host (raw bytes, escaped later) from the decoded authority
 * @a[0..@n). On success *@host is malloc'd.
 */
static acc_err
s_host(const unsigned char *a, size_t n, unsigned char **host, size_t *host_len, acc_errinfo_t *ei)
{
    acc_err rc = ACC_OK;
    unsigned char *h = NULL;
    char *idn = NULL;

    /* Userinfo ends at the last '@': "user@evil@host" is host "host". */
    const unsigned char *at = s_memrchr(a, '@', n);
    if (at) {
        n -= (size_t)(at + 1 - a);
        a = at + 1;
    }
    if (n > 0 && a[0] == '[')
        return s_ipv6_literal(a, n, host, host_len, ei);

    /* Only a numeric (or empty) port is a port; any other ':' is refused below. */
    const unsigned char *colon = s_memrchr(a, ':', n);
    if (colon) {
        bool numeric = true;
        for (const unsigned char *p = colon + 1; p < a + n; p++)
            numeric = numeric && s_is_digit(*p);
        if (numeric)
            n = (size_t)(colon - a);
    }

    h = malloc(n + 1);
    if (!h)
        return ACC_ERR_NOMEM;
    size_t m = 0;
    bool ascii = true;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = a[i];
        if (c == ':' || c == '[' || c == ']' || c == '\\') {
            acc_errinfo_set(ei, S_FIELD, "host contains invalid character '%c'", c);
            rc = ACC_ERR_INVALID;
            goto out;
        }
        if (c >= 0x80)
            ascii = false;
        h[m++] = s_lower(c);
    }
    m = s_collapse_dots(h, m);

    if (!ascii && m > 0) {
        size_t idn_len = 0;
        rc = s_idn(h, m, &idn, &idn_len);
        if (rc == ACC_ERR_NOMEM)
            goto out;
        if (rc == ACC_OK) {
            /* A-labels are never longer than the UTF-8 they encode plus "xn--" and '-'
             * per label; reallocate rather than reason about it. */
            unsigned char *t = realloc(h, idn_len + 1);
            if (!t) {
                rc = ACC_ERR_NOMEM;
                goto out;
            }
            h = t;
            memcpy(h, idn, idn_len);
            /* IDN maps U+3002 and friends to '.', which can leave empty labels. */
            m = s_collapse_dots(h, idn_len);
        }
        /* ACC_ERR_INVALID: keep the raw bytes; they are percent-escaped on output. */
        rc = ACC_OK;
    }
    if (m == 0) {
        acc_errinfo_set(ei, S_FIELD, "url has no host");
        rc = ACC_ERR_INVALID;
        goto out;
    }

    char ip[16];
    if (s_ipv4(h, m, ip)) {
        /* "1" becomes "0.0.0.1": the dotted form can be longer than the input. */
        size_t iplen = strlen(ip);
        unsigned char *t = realloc(h, iplen);
        if (!t) {
            rc = ACC_ERR_NOMEM;
            goto out;
        }
        h = t;
        memcpy(h, ip, iplen);
        m = iplen;
    }
    *host = h;
    *host_len = m;
    h = NULL;
out:
    idn2_free(idn);
    free(h);
    return rc;
}

/* --- path and query ------------------------------------------------------------------ */

/*
 * s_path — resolve "." and "..", collapse runs of '/', into @o (capacity @n + 2). @p is
 * empty or starts with '/'. A trailing '/' is kept, and added after "." or "..".
 */
static size_t
s_path(const unsigned char *p, size_t n, unsigned char *o)
{
    size_t w = 0;
    bool dir = true;
    o[w++] = '/';
    size_t i = 0;
    while (i < n) {
        if (p[i] == '/') {
            i++;
            continue;
        }
        size_t j = i;
        while (j < n && p[j] != '/')
            j++;
        size_t len = j - i;
        if (len == 1 && p[i] == '.') {
            dir = true;
        } else if (len == 2 && p[i] == '.' && p[i + 1] == '.') {
            if (w > 1) {
                w--; /* the '/' after the last segment */
                while (o[w - 1] != '/')
                    w--;
            }
            dir = true;
        } else {
            memcpy(o + w, p + i, len);
            w += len;
            o[w++] = '/';
            /* A segment is a directory only when a '/' follows it. */
            dir = j < n;
        }
        i = j;
    }
    if (!dir)
        w--;
    return w;
}

static bool
s_host_matches(const unsigned char *host, size_t host_len, const char *const *hosts)
{
    for (; *hosts; hosts++) {
        size_t k = strlen(*hosts);
        if (host_len < k || memcmp(host + host_len - k, *hosts, k) != 0)
            continue;
        if (host_len == k || host[host_len - k - 1] == '.')
            return true;
    }
    return false;
}

static bool
s_is_tracking(const unsigned char *name, size_t n, const unsigned char *host, size_t host_len)
{
    for (size_t t = 0; t < sizeof s_tracking / sizeof s_tracking[0]; t++) {
        const struct s_tracking *e = &s_tracking[t];
        size_t k = strlen(e->name);
        if (e->prefix ? n < k : n != k)
            continue;
        bool eq = true;
        for (size_t i = 0; i < k && eq; i++)
            eq = s_lower(name[i]) == (unsigned char)e->name[i];
        if (!eq)
            continue;
        if (e->hosts && !s_host_matches(host, host_len, e->hosts))
            continue;
        return true;
    }
    return false;
}

/* s_strip_tracking — drop tracking and empty parameters of @q in place, keeping the
 * others in order; returns the new length. */
static size_t
s_strip_tracking(unsigned char *q, size_t n, const unsigned char *host, size_t host_len)
{
    size_t w = 0;
    size_t i = 0;
    while (i <= n) {
        size_t j = i;
        while (j < n && q[j] != '&')
            j++;
        size_t len = j - i;
        const unsigned char *eq = memchr(q + i, '=', len);
        size_t name_len = eq ? (size_t)(eq - (q + i)) : len;
        if (len > 0 && !s_is_tracking(q + i, name_len, host, host_len)) {
            if (w > 0)
                q[w++] = '&';
            memmove(q + w, q + i, len);
            w += len;
        }
        i = j + 1;
    }
    return w;
}

/* --- the URL ------------------------------------------------------------------------- */

acc_err
acc_url_canonicalize(const char *in, size_t len, int flags, char **out, acc_errinfo_t *ei)
{
    acc_err rc = ACC_OK;
    unsigned char *d = NULL;
    unsigned char *host = NULL;
    unsigned char *path = NULL;
    char *res = NULL;
    size_t host_len = 0;

    assert(out);
    if (len > ACC_URL_MAX) {
        acc_errinfo_set(ei, S_FIELD, "url is %zu bytes, over the limit of %d", len, ACC_URL_MAX);
        return ACC_ERR_TOO_LARGE;
    }
    if (!in && len > 0) {
        acc_errinfo_set(ei, S_FIELD, "url is missing");
        return ACC_ERR_INVALID;
    }

    d = malloc(len + 1);
    if (!d)
        return ACC_ERR_NOMEM;

    /* 1. Tab/CR/LF go wherever they are; the fragment starts at the first raw '#'
     * (an escaped "%23" is data); then bytes <= 0x20 at either end go. */
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)in[i];
        if (c == '#')
            break;
        if (c != '\t' && c != '\r' && c != '\n')
            d[n++] = c;
    }
    size_t start = 0;
    while (start < n && d[start] <= 0x20)
        start++;
    while (n > start && d[n - 1] <= 0x20)
        n--;
    if (n == start) {
        acc_errinfo_set(ei, S_FIELD, "url is empty");
        rc = ACC_ERR_INVALID;
        goto out;
    }
    memmove(d, d + start, n - start);
    n -= start;

    /* 2. */
    n = s_unescape(d, n);

    /* 3. Scheme. */
    const char *scheme = "http";
    size_t scheme_len = 4;
    size_t pos = 0;
    size_t k = 0;
    if (n > 0 && s_is_alpha(d[0]))
        for (k = 1; k < n && s_is_scheme_char(d[k]); k++)
            ;
    if (k > 0 && k < n && d[k] == ':') {
        if (n - k >= 3 && d[k + 1] == '/' && d[k + 2] == '/') {
            for (size_t i = 0; i < k; i++)
                d[i] = s_lower(d[i]);
            scheme = (const char *)d;
            scheme_len = k;
            pos = k + 3;
        } else {
            /* "example.com:8080/x" is a host and port without a scheme. */
            size_t i = k + 1;
            while (i < n && s_is_digit(d[i]))
                i++;
            if (i == k + 1 || (i < n && d[i] != '/' && d[i] != '?')) {
                acc_errinfo_set(ei, S_FIELD, "url with scheme '%.*s' has no host",
                                (int)(k < 32 ? k : 32), (const char *)d);
                rc = ACC_ERR_INVALID;
                goto out;
            }
        }
    } else {
        /* No scheme: a "://" before the first '/' or '?' means a malformed one. */
        size_t i = 0;
        while (i < n && d[i] != ':' && d[i] != '/' && d[i] != '?')
            i++;
        if (i < n && d[i] == ':' && n - i >= 3 && d[i + 1] == '/' && d[i + 2] == '/') {
            acc_errinfo_set(ei, S_FIELD, "scheme is not of the form [a-z][a-z0-9+.-]*");
            rc = ACC_ERR_INVALID;
            goto out;
        }
        if (n >= 2 && d[0] == '/' && d[1] == '/')
            pos = 2; /* "//host/path" */
    }

    /* Authority up to the first '/' or '?', path up to the first '?', then the query. */
    size_t auth_end = pos;
    while (auth_end < n && d[auth_end] != '/' && d[auth_end] != '?')
        auth_end++;
    size_t path_end = auth_end;
    while (path_end < n && d[path_end] != '?')
        path_end++;
    bool has_query = path_end < n;
    unsigned char *query = d + path_end + (has_query ? 1 : 0);
    size_t query_len = has_query ? n - path_end - 1 : 0;

    if (auth_end == pos) {
        acc_errinfo_set(ei, S_FIELD, "url has no host");
        rc = ACC_ERR_INVALID;
        goto out;
    }
    rc = s_host(d + pos, auth_end - pos, &host, &host_len, ei);
    if (rc != ACC_OK)
        goto out;

    size_t plen = path_end - auth_end;
    path = malloc(plen + 2);
    if (!path) {
        rc = ACC_ERR_NOMEM;
        goto out;
    }
    plen = s_path(d + auth_end, plen, path);

    if (has_query && (flags & ACC_URL_STRIP_TRACKING)) {
        query_len = s_strip_tracking(query, query_len, host, host_len);
        has_query = query_len > 0;
    }

    /* 6. */
    size_t total = scheme_len + 3 + s_escaped_len(host, host_len) + s_escaped_len(path, plen) +
                   (has_query ? 1 + s_escaped_len(query, query_len) : 0);
    if (total > ACC_URL_MAX) {
        /* Keeps canonicalisation idempotent: the result is itself a valid input. */
        acc_errinfo_set(ei, S_FIELD, "canonical url is %zu bytes, over the limit of %d", total,
                        ACC_URL_MAX);
        rc = ACC_ERR_TOO_LARGE;
        goto out;
    }
    res = malloc(total + 1);
    if (!res) {
        rc = ACC_ERR_NOMEM;
        goto out;
    }
    char *o = res;
    for (size_t i = 0; i < scheme_len; i++)
        *o++ = scheme[i];
    memcpy(o, "://", 3);
    o += 3;
    o = s_put_escaped(o, host, host_len);
    o = s_put_escaped(o, path, plen);
    if (has_query) {
        *o++ = '?';
        o = s_put_escaped(o, query, query_len);
    }
    *o = '\0';
    *out = res;
    res = NULL;
out:
    free(res);
    free(path);
    free(host);
    free(d);
    return rc;
}

acc_err
acc_url_host(const char *canonical, char *buf, size_t buflen)
{
    if (!canonical || !s_is_alpha((unsigned char)canonical[0]))
        return ACC_ERR_INVALID;
    const char *p = canonical + 1;
    while (s_is_scheme_char((unsigned char)*p))
        p++;
    if (strncmp(p, "://", 3) != 0)
        return ACC_ERR_INVALID;
    const char *h = p + 3;
    const char *e = h;
    /* A canonical host is printable ASCII without '#', ending at the path's '/'. */
    while ((unsigned char)*e > 0x20 && (unsigned char)*e < 0x7f && *e != '/' && *e != '?' &&
           *e != '#')
        e++;
    if (e == h || *e != '/')
        return ACC_ERR_INVALID;
    size_t n = (size_t)(e - h);
    if (!buf || buflen < n + 1)
        return ACC_ERR_TOO_LARGE;
    memcpy(buf, h, n);
    buf[n] = '\0';
    return ACC_OK;
}
