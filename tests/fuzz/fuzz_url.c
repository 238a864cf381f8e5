/*
 * libFuzzer target for acc_url_canonicalize. Seeds: tests/fuzz/corpus/url/.
 *
 * For both flag values, on success the result must be: at most ACC_URL_MAX bytes of
 * printable ASCII without '#' or space, starting with "scheme://"; a fixed point
 * (canonicalising it again gives it back); accepted by acc_url_host. Also stripping
 * tracking parameters from the Safe Browsing form must equal canonicalising the input
 * directly, and failures must leave the out-parameter alone.
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -Icommon tests/fuzz/fuzz_url.c \
 *       common/acc_url.c common/acc_err.c -lidn2 -o fuzz_url
 *   ./fuzz_url tests/fuzz/corpus/url
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acc_url.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "fuzz_url: check failed: %s (line %d)\n", #cond, __LINE__);            \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

static void
s_check_shape(const char *out)
{
    size_t n = strlen(out);
    CHECK(n > 0 && n <= ACC_URL_MAX);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)out[i];
        CHECK(c > 0x20 && c < 0x7f && c != '#');
    }
    CHECK(out[0] >= 'a' && out[0] <= 'z');
    size_t i = 1;
    while ((out[i] >= 'a' && out[i] <= 'z') || (out[i] >= '0' && out[i] <= '9') || out[i] == '+' ||
           out[i] == '-' || out[i] == '.')
        i++;
    CHECK(strncmp(out + i, "://", 3) == 0);

    char host[ACC_URL_MAX + 1];
    CHECK(acc_url_host(out, host, sizeof host) == ACC_OK);
    CHECK(host[0] != '\0');
}

static char *
s_canon(const char *in, size_t len, int flags)
{
    char *sentinel = (char *)"sentinel";
    char *out = sentinel;
    acc_errinfo_t ei;
    acc_err rc = acc_url_canonicalize(in, len, flags, &out, &ei);
    if (len > ACC_URL_MAX)
        CHECK(rc == ACC_ERR_TOO_LARGE);
    if (rc != ACC_OK) {
        CHECK(out == sentinel);
        CHECK(rc == ACC_ERR_INVALID || rc == ACC_ERR_TOO_LARGE);
        return NULL;
    }
    s_check_shape(out);

    char *again = NULL;
    CHECK(acc_url_canonicalize(out, strlen(out), flags, &again, NULL) == ACC_OK);
    if (strcmp(again, out) != 0) {
        fprintf(stderr, "fuzz_url: not idempotent (flags %d):\n  1: %s\n  2: %s\n", flags, out,
                again);
        abort();
    }
    free(again);
    return out;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *in = (const char *)data;
    char *sb = s_canon(in, size, ACC_URL_SAFE_BROWSING);
    char *canon = s_canon(in, size, ACC_URL_CANONICAL);

    /* Removing tracking parameters never makes a URL longer, so it cannot fail where
     * the Safe Browsing form succeeded (the converse can happen: a result only the
     * stripped form keeps under ACC_URL_MAX), and it composes with it. */
    if (sb) {
        CHECK(canon != NULL);
        char *via = NULL;
        CHECK(acc_url_canonicalize(sb, strlen(sb), ACC_URL_CANONICAL, &via, NULL) == ACC_OK);
        CHECK(strcmp(via, canon) == 0);
        free(via);
    }
    free(sb);
    free(canon);
    return 0;
}
