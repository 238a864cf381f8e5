/*
 * acc_text — text checks and normalisation: UTF-8 validation, the content key of a text
 * excerpt (SHA-256 of its NFC-normalised, whitespace-folded form), and hashing content
 * keys for indexes. Uses libunistring and libsodium.
 */
#ifndef ACC_TEXT_H
#define ACC_TEXT_H

#include <stdbool.h>
#include <stddef.h>

#include "acc_err.h"

#define ACC_TEXT_KEY_PREFIX "sha256:"

/* acc_text_utf8_valid — true when @s[0..@len) is well-formed UTF-8 (no overlongs,
 * no surrogates, nothing above U+10FFFF). NUL bytes are rejected too. */
bool acc_text_utf8_valid(const char *s, size_t len);

/*
 * acc_text_normalize — NFC form of @s with every run of Unicode white space folded to one
 * ASCII space and leading/trailing white space removed.
 * @out: malloc'd NUL-terminated, owned by the caller; @out_len its length.
 * Errors: ACC_ERR_UTF8, ACC_ERR_INVALID (nothing left after folding), ACC_ERR_NOMEM.
 */
acc_err acc_text_normalize(const char *s, size_t len, char **out, size_t *out_len);

/*
 * acc_text_content_key — "sha256:<64 lowercase hex>" of acc_text_normalize(@s).
 * @out: malloc'd, owned by the caller. Errors: as acc_text_normalize.
 */
acc_err acc_text_content_key(const char *s, size_t len, char **out);

/* acc_text_sha256 — SHA-256 of @data (for indexes keyed by content key). */
void acc_text_sha256(const void *data, size_t len, unsigned char out[32]);

#endif
