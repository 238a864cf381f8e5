/*
 * Unit tests for acc_ratelimit with an injected clock: a full bucket at first sight, the
 * refill over the window, the wait it announces, all-or-nothing takes, requests larger
 * than the limit, separate keys, a configurable window, and forgetting the least recently
 * used key when the table is full.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "acc_ratelimit.h"

/* The test's clock: milliseconds the test sets by hand. */
static int64_t
s_clock(void *arg)
{
    return *(const int64_t *)arg;
}

static int64_t
s_take(acc_ratelimit_t *rl, const char *key, double limit, double n)
{
    return acc_ratelimit_take(rl, key, strlen(key), limit, n);
}

static void
test_bucket(void **state)
{
    (void)state;
    int64_t now = 1000000;
    acc_ratelimit_t *rl = NULL;
    assert_int_equal(acc_ratelimit_new(4, 60000, s_clock, &now, &rl), ACC_OK);
    /* A new key starts full: 10 per minute can be taken at once. */
    assert_int_equal(s_take(rl, "a", 10, 4), 0);
    assert_int_equal(s_take(rl, "a", 10, 6), 0);
    /* Empty: one more needs 6 s (60 s / 10). */
    assert_int_equal(s_take(rl, "a", 10, 1), 6);
    /* All or nothing: a refused take takes nothing. */
    now += 5999;
    assert_int_equal(s_take(rl, "a", 10, 1), 1); /* 1 ms short: rounded up to 1 s */
    now += 1;
    assert_int_equal(s_take(rl, "a", 10, 1), 0);
    /* Refill stops at the limit. */
    now += 3600 * 1000;
    assert_int_equal(s_take(rl, "a", 10, 10), 0);
    assert_int_equal(s_take(rl, "a", 10, 1), 6);
    /* More than the limit can never be taken. */
    assert_int_equal(s_take(rl, "a", 10, 11), -1);
    /* Another key has its own bucket. */
    assert_int_equal(s_take(rl, "b", 10, 10), 0);
    /* A wait for several: 3 missing at 10 per minute is 18 s. */
    now += 60000;
    assert_int_equal(s_take(rl, "b", 10, 7), 0);
    assert_int_equal(s_take(rl, "b", 10, 6), 18);
    /* A clock that goes back adds nothing. */
    now -= 30000;
    assert_int_equal(s_take(rl, "b", 10, 3), 0);
    assert_int_equal(s_take(rl, "b", 10, 1), 6);
    acc_ratelimit_destroy(&rl);
    assert_null(rl);
    acc_ratelimit_destroy(&rl);
    acc_ratelimit_destroy(NULL);
}

static void
test_window(void **state)
{
    (void)state;
    int64_t now = 0;
    acc_ratelimit_t *rl = NULL;
    /* 5 per second. */
    assert_int_equal(acc_ratelimit_new(1, 1000, s_clock, &now, &rl), ACC_OK);
    assert_int_equal(s_take(rl, "k", 5, 5), 0);
    assert_int_equal(s_take(rl, "k", 5, 1), 1);
    now += 200; /* one refilled */
    assert_int_equal(s_take(rl, "k", 5, 1), 0);
    assert_int_equal(s_take(rl, "k", 5, 1), 1);
    acc_ratelimit_destroy(&rl);

    assert_int_equal(acc_ratelimit_new(0, 1000, s_clock, &now, &rl), ACC_ERR_INVALID);
    assert_int_equal(acc_ratelimit_new(1, 0, s_clock, &now, &rl), ACC_ERR_INVALID);
    assert_null(rl);
}

static void
test_least_recently_used(void **state)
{
    (void)state;
    int64_t now = 0;
    acc_ratelimit_t *rl = NULL;
    assert_int_equal(acc_ratelimit_new(2, 60000, s_clock, &now, &rl), ACC_OK);
    assert_int_equal(s_take(rl, "a", 1, 1), 0);
    now += 10;
    assert_int_equal(s_take(rl, "b", 1, 1), 0);
    now += 10;
    assert_int_equal(s_take(rl, "a", 1, 1), 60); /* a used again: now the more recent */
    now += 10;
    /* c needs a slot: b, used least recently, is forgotten (a is kept). */
    assert_int_equal(s_take(rl, "c", 1, 1), 0);
    assert_true(s_take(rl, "a", 1, 1) > 0);
    now += 10;
    assert_int_equal(s_take(rl, "b", 1, 1), 0); /* b starts over, full */
    acc_ratelimit_destroy(&rl);
}

static void
test_binary_keys_and_default_clock(void **state)
{
    (void)state;
    acc_ratelimit_t *rl = NULL;
    assert_int_equal(acc_ratelimit_new(8, 60000, NULL, NULL, &rl), ACC_OK);
    /* Keys are bytes: a NUL inside counts, and a prefix is another key. */
    static const unsigned char k1[3] = {4, 0, 1}, k2[3] = {4, 0, 2};
    assert_int_equal(acc_ratelimit_take(rl, k1, 3, 1, 1), 0);
    assert_int_equal(acc_ratelimit_take(rl, k2, 3, 1, 1), 0);
    assert_true(acc_ratelimit_take(rl, k1, 3, 1, 1) > 0);
    assert_int_equal(acc_ratelimit_take(rl, k1, 2, 1, 1), 0);
    acc_ratelimit_destroy(&rl);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bucket),
        cmocka_unit_test(test_window),
        cmocka_unit_test(test_least_recently_used),
        cmocka_unit_test(test_binary_keys_and_default_clock),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
