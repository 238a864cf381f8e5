/*
 * Unit tests for acc_url: every example of the public Safe Browsing canonicalisation
 * list, then accord's additions (tracking parameters, IDN, IPv4 forms, schemes,
 * hostile inputs) and acc_url_host. Every successful result is also checked to be a
 * fixed point: canonicalising it again must give it back.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "acc_url.h"

struct url_case {
    const char *in;
    const char *want;
};

/* canon — canonicalise @in[0..@len) with @flags, assert success, return the result
 * (caller frees); also asserts the result is a fixed point in both modes. */
static char *
canon_n(const char *in, size_t len, int flags)
{
    char *out = NULL;
    acc_errinfo_t ei;
    acc_errinfo_clear(&ei);
    acc_err rc = acc_url_canonicalize(in, len, flags, &out, &ei);
    if (rc != ACC_OK)
        print_error("input '%.*s': %s (%s)\n", (int)(len > 200 ? 200 : len), in, acc_strerror(rc),
                    ei.msg);
    assert_int_equal(rc, ACC_OK);
    assert_non_null(out);

    char *again = NULL;
    assert_int_equal(acc_url_canonicalize(out, strlen(out), flags, &again, NULL), ACC_OK);
    assert_string_equal(again, out);
    free(again);
    return out;
}

static void
expect_n(const char *in, size_t len, int flags, const char *want)
{
    char *out = canon_n(in, len, flags);
    assert_string_equal(out, want);
    free(out);
}

static void
expect(const char *in, int flags, const char *want)
{
    expect_n(in, strlen(in), flags, want);
}

/* expect_err — canonicalisation fails with @want_rc and names the "url" field; the
 * out-parameter is left alone. */
static void
expect_err_n(const char *in, size_t len, int flags, acc_err want_rc)
{
    char *sentinel = (char *)"untouched";
    char *out = sentinel;
    acc_errinfo_t ei;
    acc_errinfo_clear(&ei);
    acc_err rc = acc_url_canonicalize(in, len, flags, &out, &ei);
    if (rc != want_rc)
        print_error("input '%.*s': got %s, output '%s'\n", (int)(len > 200 ? 200 : len), in,
                    acc_strerror(rc), rc == ACC_OK ? out : "");
    assert_int_equal(rc, want_rc);
    assert_ptr_equal(out, sentinel);
    if (want_rc != ACC_ERR_NOMEM) {
        assert_string_equal(ei.field, "url");
        assert_true(strlen(ei.msg) > 0);
    }
}

static void
expect_err(const char *in, int flags, acc_err want_rc)
{
    expect_err_n(in, strlen(in), flags, want_rc);
}

/* --- the Safe Browsing list ---------------------------------------------------------- */

/* From the "Canonicalization" section of the Safe Browsing v4 "URLs and Hashing" page
 * (the same list appears in the Web Risk documentation), in order. */
static const struct url_case safe_browsing_cases[] = {
    {"http://host/%25%32%35", "http://host/%25"},
    {"http://host/%25%32%35%25%32%35", "http://host/%25%25"},
    {"http://host/%2525252525252525", "http://host/%25"},
    {"http://host/asdf%25%32%35asd", "http://host/asdf%25asd"},
    {"http://host/%%%25%32%35asd%%", "http://host/%25%25%25asd%25%25"},
    {"http://www.google.com/", "http://www.google.com/"},
    {"http://%31%36%38%2e%31%38%38%2e%39%39%2e%32%36/%2E%73%65%63%75%72%65/%77%77%77%2E%65%62%61"
     "%79%2E%63%6F%6D/",
     "http://168.188.99.26/.secure/www.ebay.com/"},
    {"http://195.127.0.11/uploads/%20%20%20%20/.verify/"
     ".eBaysecure=updateuserdataxplimnbqmn-xplmvalidateinfoswqpcmlx=hgplmcx/",
     "http://195.127.0.11/uploads/%20%20%20%20/.verify/"
     ".eBaysecure=updateuserdataxplimnbqmn-xplmvalidateinfoswqpcmlx=hgplmcx/"},
    {"http://host%23.com/%257Ea%2521b%2540c%2523d%2524e%25f%255E00%252611%252A22%252833%252944_55%"
     "252B",
     "http://host%23.com/~a!b@c%23d$e%25f^00&11*22(33)44_55+"},
    {"http://3279880203/blah", "http://195.127.0.11/blah"},
    {"http://www.google.com/blah/..", "http://www.google.com/"},
    {"www.google.com/", "http://www.google.com/"},
    {"www.google.com", "http://www.google.com/"},
    {"http://www.evil.com/blah#frag", "http://www.evil.com/blah"},
    {"http://www.GOOgle.com/", "http://www.google.com/"},
    {"http://www.google.com.../", "http://www.google.com/"},
    {"http://www.google.com/foo\tbar\rbaz\n2", "http://www.google.com/foobarbaz2"},
    {"http://www.google.com/q?", "http://www.google.com/q?"},
    {"http://www.google.com/q?r?", "http://www.google.com/q?r?"},
    {"http://www.google.com/q?r?s", "http://www.google.com/q?r?s"},
    {"http://evil.com/foo#bar#baz", "http://evil.com/foo"},
    {"http://evil.com/foo;", "http://evil.com/foo;"},
    {"http://evil.com/foo?bar;", "http://evil.com/foo?bar;"},
    {"http://\x01\x80.com/", "http://%01%80.com/"},
    {"http://notrailingslash.com", "http://notrailingslash.com/"},
    {"http://www.gotaport.com:1234/", "http://www.gotaport.com/"},
    {"  http://www.google.com/  ", "http://www.google.com/"},
    {"http:// leadingspace.com/", "http://%20leadingspace.com/"},
    {"http://%20leadingspace.com/", "http://%20leadingspace.com/"},
    {"%20leadingspace.com/", "http://%20leadingspace.com/"},
    {"https://www.securesite.com/", "https://www.securesite.com/"},
    {"http://host.com/ab%23cd", "http://host.com/ab%23cd"},
    {"http://host.com//twoslashes?more//slashes", "http://host.com/twoslashes?more//slashes"},
};

static void
test_safe_browsing_examples(void **state)
{
    (void)state;
    size_t n = sizeof safe_browsing_cases / sizeof safe_browsing_cases[0];
    assert_int_equal(n, 33);
    for (size_t i = 0; i < n; i++)
        expect(safe_browsing_cases[i].in, ACC_URL_SAFE_BROWSING, safe_browsing_cases[i].want);
}

/* Tracking removal changes nothing in the Safe Browsing list except the bare "?". */
static void
test_safe_browsing_examples_canonical_mode(void **state)
{
    (void)state;
    size_t n = sizeof safe_browsing_cases / sizeof safe_browsing_cases[0];
    for (size_t i = 0; i < n; i++) {
        const char *want = safe_browsing_cases[i].want;
        if (strcmp(want, "http://www.google.com/q?") == 0)
            want = "http://www.google.com/q";
        expect(safe_browsing_cases[i].in, ACC_URL_CANONICAL, want);
    }
}

/* --- tracking parameters ------------------------------------------------------------- */

static void
test_tracking_positions(void **state)
{
    (void)state;
    const int c = ACC_URL_CANONICAL;
    expect("http://a.com/p?utm_source=x&id=5", c, "http://a.com/p?id=5");
    expect("http://a.com/p?id=5&fbclid=abc&x=1", c, "http://a.com/p?id=5&x=1");
    expect("http://a.com/p?id=5&gclid=abc", c, "http://a.com/p?id=5");
    expect("http://a.com/p?utm_medium=email", c, "http://a.com/p");
    expect("http://a.com/?utm_campaign=x&msclkid=1&_ga=2&_gl=3", c, "http://a.com/");
    /* Safe Browsing mode keeps them all. */
    expect("http://a.com/p?utm_source=x&id=5", ACC_URL_SAFE_BROWSING,
           "http://a.com/p?utm_source=x&id=5");
}

static void
test_tracking_names(void **state)
{
    (void)state;
    const int c = ACC_URL_CANONICAL;
    /* Only names starting with "utm_" are the utm_* family. */
    expect("http://a.com/?utm=1&xutm_source=2&utm_source=3", c,
           "http://a.com/?utm=1&xutm_source=2");
    expect("http://a.com/?utm_=1&a=2", c, "http://a.com/?a=2");
    /* Repeated parameters all go; the rest keep their order. */
    expect("http://a.com/?utm_source=a&z=1&utm_source=b&k=v&utm_source=c&a=0", c,
           "http://a.com/?z=1&k=v&a=0");
    /* Names match case-insensitively and after unescaping. */
    expect("http://a.com/?UTM_Source=x&FBCLID=y&a=1", c, "http://a.com/?a=1");
    expect("http://a.com/?utm%5Fsource=x&a=1", c, "http://a.com/?a=1");
    /* A name without '=' is a name; '=' in a value is data. */
    expect("http://a.com/?fbclid&x", c, "http://a.com/?x");
    expect("http://a.com/?a=b=c&utm_id=1", c, "http://a.com/?a=b=c");
    /* A parameter whose value is a tracking name is not removed. */
    expect("http://a.com/?q=gclid&ref=fbclid", c, "http://a.com/?q=gclid&ref=fbclid");
    /* Every listed name. */
    expect("http://a.com/?dclid=1&gbraid=1&wbraid=1&mc_cid=1&mc_eid=1&yclid=1&igshid=1"
           "&ref_src=1&zanpid=1&spm=1&keep=1&gclsrc=1&twclid=1&ttclid=1&li_fat_id=1"
           "&mkt_tok=1&_hsenc=1&_hsmi=1&igsh=1",
           c, "http://a.com/?keep=1");
}

static void
test_tracking_empty_params(void **state)
{
    (void)state;
    const int c = ACC_URL_CANONICAL;
    expect("http://a.com/?a=1&&b=2&", c, "http://a.com/?a=1&b=2");
    expect("http://a.com/x?", c, "http://a.com/x");
    expect("http://a.com/x?&&", c, "http://a.com/x");
    expect("http://a.com/?a=1&&b=2&", ACC_URL_SAFE_BROWSING, "http://a.com/?a=1&&b=2&");
}

static void
test_tracking_si_host_limited(void **state)
{
    (void)state;
    const int c = ACC_URL_CANONICAL;
    expect("https://youtu.be/dQw4w9WgXcQ?si=abc", c, "https://youtu.be/dQw4w9WgXcQ");
    expect("https://www.youtube.com/watch?v=x&si=y", c, "https://www.youtube.com/watch?v=x");
    expect("https://youtube.com/watch?si=y&v=x", c, "https://youtube.com/watch?v=x");
    expect("https://open.spotify.com/track/1?si=z", c, "https://open.spotify.com/track/1");
    /* Elsewhere "si" is content, and a look-alike host is not a subdomain. */
    expect("https://example.com/?si=1", c, "https://example.com/?si=1");
    expect("https://notyoutube.com/?si=1", c, "https://notyoutube.com/?si=1");
    expect("https://spotify.com/?si=1", c, "https://spotify.com/?si=1");
}

/* --- IDN ----------------------------------------------------------------------------- */

static void
test_idn(void **state)
{
    (void)state;
    const int c = ACC_URL_CANONICAL;
    expect("http://b\u00fccher.de/", c, "http://xn--bcher-kva.de/");
    expect("http://B\u00dcCHER.de", c, "http://xn--bcher-kva.de/");
    /* Vietnamese "muasắm" with U+1EAF precomposed, and decomposed (a + U+0306 + U+0301). */
    expect("http://muas\u1eafm.vn/x", c, "http://xn--muasm-031b.vn/x");
    expect("http://muasa\u0306\u0301m.vn/x", c, "http://xn--muasm-031b.vn/x");
    /* Percent-encoded UTF-8 in the host is decoded first. */
    expect("http://b%C3%BCcher.de/", c, "http://xn--bcher-kva.de/");
    expect("http://b%c3%bc%63her.DE/", ACC_URL_SAFE_BROWSING, "http://xn--bcher-kva.de/");
    /* The path keeps its bytes, escaped. */
    expect("https://B\u00fccher.de/\u00dcber", c, "https://xn--bcher-kva.de/%C3%9Cber");
    /* Non-transitional IDNA 2008: sharp s stays. */
    expect("http://fa\xc3\x9f.de/", c, "http://xn--fa-hia.de/");
    /* A-labels given as ASCII stay as they are (lower-cased). */
    expect("http://XN--BCHER-KVA.de/", c, "http://xn--bcher-kva.de/");
    /* Ideographic full stop is a dot; the trailing one is then trimmed. */
    expect("http://b\u00fccher.de\u3002/", c, "http://xn--bcher-kva.de/");
    /* Fullwidth digits and dots map to an IPv4 address. */
    expect("http://\uff11\uff19\uff12\uff0e\uff11\uff16\uff18\uff0e\uff10\uff0e\uff11/", c,
           "http://192.168.0.1/");
}

static void
test_idn_fallback(void **state)
{
    (void)state;
    /* Invalid UTF-8: kept and escaped, in both modes. */
    expect("http://\xc3\x28.com/", ACC_URL_CANONICAL, "http://%C3(.com/");
    expect("http://a\x80\x42.com/", ACC_URL_CANONICAL, "http://a%80b.com/"); /* \x42: 'B' */
    /* Valid UTF-8 that IDNA refuses (a space in the label). */
    expect("http://b\u00fc cher.de/", ACC_URL_CANONICAL, "http://b%C3%BC%20cher.de/");
    /* Fullwidth '%' would map to an ASCII '%' and change the URL on the next pass:
     * the raw bytes are kept instead. Fullwidth '/' likewise. */
    expect("http://\uff0541.com/", ACC_URL_CANONICAL, "http://%EF%BC%8541.com/");
    expect("http://a\uff0fb.com/", ACC_URL_CANONICAL, "http://a%EF%BC%8Fb.com/");
}

/* --- IPv4 ---------------------------------------------------------------------------- */

static void
test_ipv4_forms(void **state)
{
    (void)state;
    static const struct url_case cases[] = {
        {"http://0300.0250.00.01/", "http://192.168.0.1/"},
        {"http://0xC0.0Xa8.0x0.0x1/", "http://192.168.0.1/"},
        {"http://0xC0a80001/", "http://192.168.0.1/"},
        {"http://030052000001/", "http://192.168.0.1/"},
        {"http://000030052000001/", "http://192.168.0.1/"},
        {"http://192.168/", "http://192.0.0.168/"},
        {"http://192.0x00A80001/", "http://192.168.0.1/"},
        {"http://1.2.65535/", "http://1.2.255.255/"},
        {"http://192/", "http://0.0.0.192/"},
        {"http://0/", "http://0.0.0.0/"},
        {"http://4294967295/", "http://255.255.255.255/"},
        {"http://1.2.3.4./", "http://1.2.3.4/"},
        /* Not IPv4: host names, as in the Safe Browsing reference client. */
        {"http://4294967296/", "http://4294967296/"},
        {"http://0x100000000/", "http://0x100000000/"},
        {"http://99999999999999999999999/", "http://99999999999999999999999/"},
        {"http://256.1.1.1/", "http://256.1.1.1/"},
        {"http://1.2.3.256/", "http://1.2.3.256/"},
        {"http://1.2.65536/", "http://1.2.65536/"},
        {"http://1.2.3.4.5/", "http://1.2.3.4.5/"},
        {"http://08.1.1.1/", "http://08.1.1.1/"},
        {"http://0x/", "http://0x/"},
        {"http://0xCG.0xA8.0x0.0x1/", "http://0xcg.0xa8.0x0.0x1/"},
        {"http://192.168.9.com/", "http://192.168.9.com/"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        expect(cases[i].in, ACC_URL_CANONICAL, cases[i].want);
}

static void
test_ipv6_literal(void **state)
{
    (void)state;
    const int c = ACC_URL_CANONICAL;
    expect("http://[::1]/", c, "http://[::1]/");
    expect("http://[2001:DB8::1]:8080/x", c, "http://[2001:db8::1]/x");
    expect("http://user@[::FFFF:1.2.3.4]", c, "http://[::ffff:1.2.3.4]/");
    expect_err("http://[::1/", c, ACC_ERR_INVALID);
    expect_err("http://[::1]x/", c, ACC_ERR_INVALID);
    expect_err("http://[::1]:8x/", c, ACC_ERR_INVALID);
    expect_err("http://[fe80::1%25eth0]/", c, ACC_ERR_INVALID);
    expect_err("http://[1234]/", c, ACC_ERR_INVALID);
    expect_err("http://a[::1]/", c, ACC_ERR_INVALID);
}

/* --- scheme, userinfo, port, path ---------------------------------------------------- */

static void
test_scheme(void **state)
{
    (void)state;
    const int c = ACC_URL_CANONICAL;
    expect("HTTPS://Example.COM", c, "https://example.com/");
    expect("ftp://x.org/a", c, "ftp://x.org/a");
    expect("git+ssh://x.org/a", c, "git+ssh://x.org/a");
    expect("example.com:8080/x", c, "http://example.com/x");
    expect("localhost:8080", c, "http://localhost/");
    expect("//x.com/p", c, "http://x.com/p");
    expect_err("mailto:a@b.com", c, ACC_ERR_INVALID);
    expect_err("javascript:alert(1)", c, ACC_ERR_INVALID);
    expect_err("http:/x.com", c, ACC_ERR_INVALID);
    expect_err("1http://x.com/", c, ACC_ERR_INVALID);
    expect_err("ht tp://x.com/", c, ACC_ERR_INVALID);
    expect_err("://x.com/", c, ACC_ERR_INVALID);
}

static void
test_userinfo_and_port(void **state)
{
    (void)state;
    const int c = ACC_URL_CANONICAL;
    expect("http://user:pass@host.com/", c, "http://host.com/");
    expect("http://a@b@c.com/x", c, "http://c.com/x");
    expect("http://host.com:/x", c, "http://host.com/x");
    expect("https://host.com:443", c, "https://host.com/");
    /* The query starts at the first '?', even right after the host. */
    expect("http://host.com?a=1", ACC_URL_SAFE_BROWSING, "http://host.com/?a=1");
    /* Anything but a numeric port leaves a ':' in the host: refused. */
    expect_err("http://a:b/", c, ACC_ERR_INVALID);
    expect_err("http://a:1:2/", c, ACC_ERR_INVALID);
    expect_err("http://a\\b.com/", c, ACC_ERR_INVALID);
    expect_err("http://a]b.com/", c, ACC_ERR_INVALID);
}

static void
test_path(void **state)
{
    (void)state;
    static const struct url_case cases[] = {
        {"http://h/a/./b", "http://h/a/b"},
        {"http://h/a/b/../c", "http://h/a/c"},
        {"http://h/a/.", "http://h/a/"},
        {"http://h/../../a", "http://h/a"},
        {"http://h/a//b///", "http://h/a/b/"},
        {"http://h/%2E%2E/x", "http://h/x"},
        {"http://h/a..b/.c/", "http://h/a..b/.c/"},
        /* Unescaping happens first, so "%3F" starts the query (Safe Browsing order). */
        {"http://h/a%3Fb", "http://h/a?b"},
        {"http://h/a?b/../c", "http://h/a?b/../c"},
        /* Escaped controls are not removed, only escaped again. */
        {"http://h/%09%0a", "http://h/%09%0A"},
        {"http://h/\xe2\x82\xac", "http://h/%E2%82%AC"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        expect(cases[i].in, ACC_URL_SAFE_BROWSING, cases[i].want);
}

/* --- hostile input ------------------------------------------------------------------- */

static void
test_sizes(void **state)
{
    (void)state;
    char *big = malloc(ACC_URL_MAX + 2);
    assert_non_null(big);
    memset(big, 'a', ACC_URL_MAX + 1);
    memcpy(big, "http://h/", 9);
    expect_err_n(big, ACC_URL_MAX + 1, ACC_URL_CANONICAL, ACC_ERR_TOO_LARGE);

    /* Exactly at the limit is accepted. */
    char *out = canon_n(big, ACC_URL_MAX, ACC_URL_CANONICAL);
    assert_int_equal(strlen(out), ACC_URL_MAX);
    free(out);

    /* Input under the limit whose escaped form is over it: refused, so that every
     * result can be fed back in. */
    memset(big, 0xff, 3000);
    memcpy(big, "http://h/x", 10);
    expect_err_n(big, 3000, ACC_URL_CANONICAL, ACC_ERR_TOO_LARGE);
    free(big);
}

static void
test_empty(void **state)
{
    (void)state;
    expect_err_n("", 0, ACC_URL_CANONICAL, ACC_ERR_INVALID);
    expect_err_n(NULL, 0, ACC_URL_CANONICAL, ACC_ERR_INVALID);
    expect_err("   \t  \r\n ", ACC_URL_CANONICAL, ACC_ERR_INVALID);
    expect_err("#frag", ACC_URL_CANONICAL, ACC_ERR_INVALID);
    expect_err("http://", ACC_URL_CANONICAL, ACC_ERR_INVALID);
    expect_err("http:///path", ACC_URL_CANONICAL, ACC_ERR_INVALID);
    expect_err("http://?q", ACC_URL_CANONICAL, ACC_ERR_INVALID);
    expect_err("http://user@/", ACC_URL_CANONICAL, ACC_ERR_INVALID);
    expect_err("http://:80/", ACC_URL_CANONICAL, ACC_ERR_INVALID);
    expect_err("http://.../", ACC_URL_CANONICAL, ACC_ERR_INVALID);
    expect_err("/just/a/path", ACC_URL_CANONICAL, ACC_ERR_INVALID);

    acc_errinfo_t ei;
    char *out = NULL;
    assert_int_equal(acc_url_canonicalize("http://", 7, ACC_URL_CANONICAL, &out, &ei),
                     ACC_ERR_INVALID);
    assert_string_equal(ei.msg, "url has no host");
}

static void
test_embedded_nul(void **state)
{
    (void)state;
    static const char path_nul[] = "http://a.com/x\0y";
    expect_n(path_nul, sizeof path_nul - 1, ACC_URL_CANONICAL, "http://a.com/x%00y");
    static const char host_nul[] = "http://a\0b.com/";
    expect_n(host_nul, sizeof host_nul - 1, ACC_URL_CANONICAL, "http://a%00b.com/");
    static const char query_nul[] = "http://a.com/?q=\0&utm_source=\0";
    expect_n(query_nul, sizeof query_nul - 1, ACC_URL_CANONICAL, "http://a.com/?q=%00");
    /* The length is what counts, not the NUL. */
    expect_n("http://a.com/xyz", 14, ACC_URL_CANONICAL, "http://a.com/x");
}

static void
test_nested_escapes(void **state)
{
    (void)state;
    /* The deepest nesting that fits the size limit: "%" then "25" 4091 times. */
    size_t len = ACC_URL_MAX;
    char *s = malloc(len);
    assert_non_null(s);
    memcpy(s, "http://h/%", 10);
    for (size_t i = 10; i + 1 < len; i += 2)
        memcpy(s + i, "25", 2);
    expect_n(s, len, ACC_URL_CANONICAL, "http://h/%25");

    /* "%25%32%35" repeated: each group takes two rounds to vanish. */
    size_t groups = (ACC_URL_MAX - 9) / 9;
    size_t n = 9;
    memcpy(s, "http://h/", 9);
    for (size_t g = 0; g < groups; g++, n += 9)
        memcpy(s + n, "%25%32%35", 9);
    char *out = canon_n(s, n, ACC_URL_CANONICAL);
    assert_int_equal(strlen(out), 9 + 3 * groups);
    for (size_t g = 0; g < groups; g++)
        assert_memory_equal(out + 9 + 3 * g, "%25", 3);
    free(out);

    /* How long the deepest nesting takes (linear, not one pass per level) is a speed
     * figure: it belongs in `make bench`, not in a test that a loaded machine can fail. */
    free(s);
}

static void
test_long_hosts(void **state)
{
    (void)state;
    /* 300 labels: no DNS limits are applied (Safe Browsing applies none). */
    char host[700];
    size_t n = 0;
    for (int i = 0; i < 300; i++) {
        host[n++] = i % 2 ? 'B' : 'a';
        host[n++] = '.';
    }
    host[--n] = '\0';
    char in[800], want[800];
    snprintf(in, sizeof in, "http://%s/x", host);
    for (size_t i = 0; i < n; i++)
        host[i] = host[i] == 'B' ? 'b' : host[i];
    snprintf(want, sizeof want, "http://%s/x", host);
    expect(in, ACC_URL_CANONICAL, want);

    /* One 8,000-byte label. */
    char *big = malloc(8100);
    assert_non_null(big);
    memcpy(big, "http://", 7);
    memset(big + 7, 'x', 8000);
    memcpy(big + 8007, "/", 2);
    expect(big, ACC_URL_CANONICAL, big);

    /* A long IDN host beyond what libidn2 accepts is kept as escaped bytes. */
    n = 7;
    for (int i = 0; i < 100; i++, n += 3)
        memcpy(big + n, "\xc3\xbc.", 3);
    memcpy(big + n, "de/", 4);
    char *out = canon_n(big, strlen(big), ACC_URL_CANONICAL);
    assert_non_null(strstr(out, "%C3%BC.%C3%BC."));
    free(out);
    free(big);
}

/* --- acc_url_host -------------------------------------------------------------------- */

static void
test_host(void **state)
{
    (void)state;
    char buf[64];
    assert_int_equal(acc_url_host("http://www.google.com/x", buf, sizeof buf), ACC_OK);
    assert_string_equal(buf, "www.google.com");
    assert_int_equal(acc_url_host("https://[::1]/", buf, sizeof buf), ACC_OK);
    assert_string_equal(buf, "[::1]");
    assert_int_equal(acc_url_host("http://%01%80.com/", buf, sizeof buf), ACC_OK);
    assert_string_equal(buf, "%01%80.com");
    assert_int_equal(acc_url_host("git+ssh://h/", buf, sizeof buf), ACC_OK);
    assert_string_equal(buf, "h");

    /* Exact fit, then one byte short. */
    assert_int_equal(acc_url_host("http://abc/", buf, 4), ACC_OK);
    assert_string_equal(buf, "abc");
    strcpy(buf, "keep");
    assert_int_equal(acc_url_host("http://abcd/", buf, 4), ACC_ERR_TOO_LARGE);
    assert_string_equal(buf, "keep");

    static const char *const bad[] = {
        "www.google.com/", "http://",  "http:///x",     "http://host",
        "1ttp://h/",       "http:/h/", "http://h?x/",   "http://h#/",
        "http://a b/",     "",         "http://h\x80/",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        strcpy(buf, "keep");
        assert_int_equal(acc_url_host(bad[i], buf, sizeof buf), ACC_ERR_INVALID);
        assert_string_equal(buf, "keep");
    }
    assert_int_equal(acc_url_host(NULL, buf, sizeof buf), ACC_ERR_INVALID);
}

static void
test_host_of_canonical(void **state)
{
    (void)state;
    char buf[64];
    const char *in = "HTTP://User@B\u00fccher.DE:80/a?utm_source=1";
    char *out = canon_n(in, strlen(in), ACC_URL_CANONICAL);
    assert_string_equal(out, "http://xn--bcher-kva.de/a");
    assert_int_equal(acc_url_host(out, buf, sizeof buf), ACC_OK);
    assert_string_equal(buf, "xn--bcher-kva.de");
    free(out);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_safe_browsing_examples),
        cmocka_unit_test(test_safe_browsing_examples_canonical_mode),
        cmocka_unit_test(test_tracking_positions),
        cmocka_unit_test(test_tracking_names),
        cmocka_unit_test(test_tracking_empty_params),
        cmocka_unit_test(test_tracking_si_host_limited),
        cmocka_unit_test(test_idn),
        cmocka_unit_test(test_idn_fallback),
        cmocka_unit_test(test_ipv4_forms),
        cmocka_unit_test(test_ipv6_literal),
        cmocka_unit_test(test_scheme),
        cmocka_unit_test(test_userinfo_and_port),
        cmocka_unit_test(test_path),
        cmocka_unit_test(test_sizes),
        cmocka_unit_test(test_empty),
        cmocka_unit_test(test_embedded_nul),
        cmocka_unit_test(test_nested_escapes),
        cmocka_unit_test(test_long_hosts),
        cmocka_unit_test(test_host),
        cmocka_unit_test(test_host_of_canonical),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
