/*
 * acc_text — see acc_text.h. UTF-8 checks and the NFC + white-space-folding
 * normalisation behind text content keys, so that the same excerpt typed with composed
 * or decomposed accents, or copied with different spacing, gets one key.
 */
#include "acc_text.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>
#include <unictype.h>
#include <uninorm.h>
#include <unistr.h>

bool
acc_text_utf8_valid(const char *s, size_t len)
{
    if (len == 0)
        return true;
    if (!s)
        return false;
    /* NUL is valid UTF-8 but truncates every C string that carries it later on. */
    if (memchr(s, '\0', len))
        return false;
    /* Most fields (ids, URLs, categories) are ASCII: skip the ASCII prefix eight bytes at a
     * time and let u8_check see only the rest. */
    size_t i = 0;
    for (; i + 8 <= len; i += 8) {
        uint64_t w;
        memcpy(&w, s + i, 8);
        if (w & 0x8080808080808080ULL)
            break;
    }
    while (i < len && !((unsigned char)s[i] & 0x80))
        i++;
    if (i == len)
        return true;
    /* u8_check rejects overlong forms, surrogates and code points above U+10FFFF. */
    return u8_check((const uint8_t *)s + i, len - i) == NULL;
}

static bool
s_is_space(ucs4_t c)
{
    /* uc_is_space alone misses U+0085 and the no-break spaces; the Unicode White_Space
     * property covers them (U+00A0, U+202F, U+3000, ...). */
    return uc_is_space(c) || uc_is_property_white_space(c);
}

acc_err
acc_text_normalize(const char *s, size_t len, char **out, size_t *out_len)
{
    acc_err rc = ACC_OK;
    uint8_t *nfc = NULL;
    char *res = NULL;
    size_t nfc_len = 0;

    if (!acc_text_utf8_valid(s, len))
        return ACC_ERR_UTF8;
    if (len == 0)
        return ACC_ERR_INVALID;

    nfc = u8_normalize(UNINORM_NFC, (const uint8_t *)s, len, NULL, &nfc_len);
    if (!nfc) {
        rc = ACC_ERR_NOMEM;
        goto out;
    }
    /* Folding only shrinks the text: nfc_len + 1 is enough. */
    res = malloc(nfc_len + 1);
    if (!res) {
        rc = ACC_ERR_NOMEM;
        goto out;
    }

    size_t n = 0;
    bool pending_space = false;
    for (size_t i = 0; i < nfc_len;) {
        ucs4_t c;
        int k = u8_mbtouc(&c, nfc + i, nfc_len - i);
        if (k <= 0) { /* cannot happen after u8_check, but never loop forever */
            rc = ACC_ERR_UTF8;
            goto out;
        }
        if (s_is_space(c)) {
            pending_space = true;
        } else {
            /* A run of white space becomes one space, and only between words. */
            if (pending_space && n > 0)
                res[n++] = ' ';
            pending_space = false;
            memcpy(res + n, nfc + i, (size_t)k);
            n += (size_t)k;
        }
        i += (size_t)k;
    }
    if (n == 0) {
        rc = ACC_ERR_INVALID;
        goto out;
    }
    res[n] = '\0';
    *out = res;
    *out_len = n;
    res = NULL;
out:
    free(res);
    free(nfc);
    return rc;
}

void
acc_text_sha256(const void *data, size_t len, unsigned char out[32])
{
    /* sodium_init is idempotent, thread-safe and cheap after the first call. It fails
     * only without a random source, which SHA-256 does not use: hash regardless. */
    if (sodium_init() < 0) {
        /* nothing to do: see above */
    }
    crypto_hash_sha256(out, (const unsigned char *)data, (unsigned long long)len);
}

acc_err
acc_text_content_key(const char *s, size_t len, char **out)
{
    char *norm = NULL;
    size_t norm_len = 0;
    unsigned char digest[crypto_hash_sha256_BYTES];
    const size_t plen = sizeof ACC_TEXT_KEY_PREFIX - 1;

    acc_err rc = acc_text_normalize(s, len, &norm, &norm_len);
    if (rc != ACC_OK)
        return rc;
    acc_text_sha256(norm, norm_len, digest);
    free(norm);

    char *key = malloc(plen + 2 * sizeof digest + 1);
    if (!key)
        return ACC_ERR_NOMEM;
    memcpy(key, ACC_TEXT_KEY_PREFIX, plen);
    /* sodium_bin2hex writes lowercase hex and the terminating NUL. */
    sodium_bin2hex(key + plen, 2 * sizeof digest + 1, digest, sizeof digest);
    *out = key;
    return ACC_OK;
}
