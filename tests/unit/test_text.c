/*
 * Unit tests for acc_text: UTF-8 validation, NFC + white-space normalisation, content
 * keys and SHA-256 (FIPS 180-2 vectors).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acc_text.h"

/* "Việt": NFC uses U+1EC7; NFD is e + U+0323 (dot below) + U+0302 (circumflex). */
#define VIET_NFC "Vi\u1ec7t"
#define VIET_NFD "Vie\u0323\u0302t"

static void
hex(const unsigned char *d, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++)
        sprintf(out + 2 * i, "%02x", d[i]);
}

static void
test_utf8_valid(void **state)
{
    (void)state;
    assert_true(acc_text_utf8_valid("abc", 3));
    assert_true(acc_text_utf8_valid("", 0));
    assert_true(acc_text_utf8_valid(NULL, 0));
    assert_true(acc_text_utf8_valid(VIET_NFC, strlen(VIET_NFC)));
    assert_true(acc_text_utf8_valid(VIET_NFD, strlen(VIET_NFD)));
    assert_true(acc_text_utf8_valid("\xf4\x8f\xbf\xbf", 4)); /* U+10FFFF */
    assert_true(acc_text_utf8_valid("\xef\xbb\xbf", 3));     /* U+FEFF */

    static const struct {
        const char *s;
        size_t len;
    } bad[] = {
        {"\xc0\xaf", 2},         /* overlong '/' */
        {"\xe0\x80\xaf", 3},     /* overlong '/' in three bytes */
        {"\xf0\x80\x80\xaf", 4}, /* overlong '/' in four bytes */
        {"\xed\xa0\x80", 3},     /* U+D800, a surrogate */
        {"\xed\xbf\xbf", 3},     /* U+DFFF */
        {"\xf4\x90\x80\x80", 4}, /* U+110000 */
        {"\xe1\xba", 2},         /* truncated three-byte sequence */
        {"ab\xc3", 3},           /* truncated at the end */
        {"\x80", 1},             /* lone continuation byte */
        {"\xff", 1},
        {"a\0b", 3}, /* NUL */
        {"\0", 1},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (acc_text_utf8_valid(bad[i].s, bad[i].len))
            print_error("case %zu accepted\n", i);
        assert_false(acc_text_utf8_valid(bad[i].s, bad[i].len));
    }
    /* The length decides, not a terminator: the valid prefix alone passes. */
    assert_true(acc_text_utf8_valid("ab\xc3", 2));
}

static void
expect_norm(const char *in, const char *want)
{
    size_t len = strlen(in);
    char *out = NULL;
    size_t out_len = 0;
    assert_int_equal(acc_text_normalize(in, len, &out, &out_len), ACC_OK);
    assert_string_equal(out, want);
    assert_int_equal(out_len, strlen(want));
    free(out);
}

static void
test_normalize_nfc(void **state)
{
    (void)state;
    expect_norm(VIET_NFD, VIET_NFC);
    expect_norm(VIET_NFC, VIET_NFC);
    /* Composition keeps compatibility forms (NFC, not NFKC): "ﬁ" stays. */
    expect_norm("\xef\xac\x81", "\xef\xac\x81");
}

static void
test_normalize_whitespace(void **state)
{
    (void)state;
    expect_norm("  a\t\tb\n\nc  ", "a b c");
    expect_norm("a\r\n\v\fb", "a b");
    expect_norm("a\u00a0b", "a b"); /* no-break space */
    expect_norm("a\u3000b", "a b"); /* ideographic space */
    /* U+2028, then U+0085 as bytes (C has no \u below U+00A0), then 'b'. */
    expect_norm("a \u2028 \xc2\x85\x62", "a b");
    expect_norm("\u202fx\u2009", "x"); /* narrow no-break and thin space at the ends */
    /* A zero-width space is not white space: it stays. */
    expect_norm("a\u200bb", "a\u200bb");
    expect_norm("one", "one");
}

static void
test_normalize_errors(void **state)
{
    (void)state;
    char *out = (char *)"untouched";
    size_t out_len = 42;
    assert_int_equal(acc_text_normalize("", 0, &out, &out_len), ACC_ERR_INVALID);
    assert_int_equal(acc_text_normalize(" \t\n\u00a0\u3000 ", 9, &out, &out_len), ACC_ERR_INVALID);
    assert_int_equal(acc_text_normalize("a\xc0\xaf", 3, &out, &out_len), ACC_ERR_UTF8);
    assert_int_equal(acc_text_normalize("a\xed\xa0\x80", 4, &out, &out_len), ACC_ERR_UTF8);
    assert_int_equal(acc_text_normalize("a\xe1\xba", 3, &out, &out_len), ACC_ERR_UTF8);
    assert_int_equal(acc_text_normalize("a\0b", 3, &out, &out_len), ACC_ERR_UTF8);
    /* Out-parameters are written only on success. */
    assert_string_equal(out, "untouched");
    assert_int_equal(out_len, 42);
}

static void
test_sha256_vectors(void **state)
{
    (void)state;
    unsigned char d[32];
    char h[65];
    acc_text_sha256("abc", 3, d);
    hex(d, 32, h);
    assert_string_equal(h, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    acc_text_sha256("", 0, d);
    hex(d, 32, h);
    assert_string_equal(h, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    const char *b2 = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    acc_text_sha256(b2, strlen(b2), d);
    hex(d, 32, h);
    assert_string_equal(h, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

static void
test_content_key(void **state)
{
    (void)state;
    char *k1 = NULL, *k2 = NULL;
    assert_int_equal(acc_text_content_key("abc", 3, &k1), ACC_OK);
    assert_string_equal(k1,
                        "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    /* Spacing differences give the same key. */
    assert_int_equal(acc_text_content_key(" \tabc\n", 6, &k2), ACC_OK);
    assert_string_equal(k1, k2);
    free(k2);
    /* Different text, different key. */
    assert_int_equal(acc_text_content_key("abd", 3, &k2), ACC_OK);
    assert_string_not_equal(k1, k2);
    free(k1);
    free(k2);

    /* Composed and decomposed Vietnamese give one key. */
    const char *nfc = "Ti\u1ebfng " VIET_NFC;
    const char *nfd = "Tie\u0302\u0301ng\u00a0\u00a0" VIET_NFD;
    assert_int_equal(acc_text_content_key(nfc, strlen(nfc), &k1), ACC_OK);
    assert_int_equal(acc_text_content_key(nfd, strlen(nfd), &k2), ACC_OK);
    assert_string_equal(k1, k2);
    assert_int_equal(strlen(k1), strlen(ACC_TEXT_KEY_PREFIX) + 64);
    assert_memory_equal(k1, ACC_TEXT_KEY_PREFIX, strlen(ACC_TEXT_KEY_PREFIX));
    for (const char *p = k1 + strlen(ACC_TEXT_KEY_PREFIX); *p; p++)
        assert_true((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f'));
    /* The key is the hash of the normalised bytes. */
    unsigned char d[32];
    char h[65];
    acc_text_sha256("Ti\u1ebfng " VIET_NFC, strlen(nfc), d);
    hex(d, 32, h);
    assert_string_equal(k1 + strlen(ACC_TEXT_KEY_PREFIX), h);
    free(k1);
    free(k2);

    char *out = (char *)"untouched";
    assert_int_equal(acc_text_content_key("   ", 3, &out), ACC_ERR_INVALID);
    assert_int_equal(acc_text_content_key("\xff", 1, &out), ACC_ERR_UTF8);
    assert_string_equal(out, "untouched");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_utf8_valid),           cmocka_unit_test(test_normalize_nfc),
        cmocka_unit_test(test_normalize_whitespace), cmocka_unit_test(test_normalize_errors),
        cmocka_unit_test(test_sha256_vectors),       cmocka_unit_test(test_content_key),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
