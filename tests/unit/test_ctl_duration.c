/* Tests of ctl_parse_duration: the deadline syntax of `accordctl route add --deadline`. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>

#include "ctl.h"

static void
test_units(void **state)
{
    (void)state;
    static const struct {
        const char *in;
        int64_t secs;
    } ok[] = {
        {"30m", 30 * 60},  {"1m", 60},        {"24h", 24 * 3600},
        {"3d", 3 * 86400}, {"1w", 7 * 86400}, {"52w", 52 * 7 * 86400},
        {"90m", 90 * 60},  {"001h", 3600},    {"365d", 365 * 86400},
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        int64_t s = -1;
        assert_int_equal(ctl_parse_duration(ok[i].in, &s), 0);
        assert_int_equal(s, ok[i].secs);
    }
}

static void
test_rejects(void **state)
{
    (void)state;
    static const char *const bad[] =
        {
            "",     "h",       "3",   "3x",   "0h",    "0m",  "00d",   "-1h",
            "+1h",  " 1h",     "1h ", "1 h",  "1H",    "1hh", "1h30m", "1.5h",
            "1s",   "1y",      "d3",  "1e3m", "0x10m", "１h", /* fullwidth digit */
            "3d\n", "24hours",
        };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int64_t s = 12345;
        if (ctl_parse_duration(bad[i], &s) != -1)
            fail_msg("'%s' was accepted", bad[i]);
        /* Nothing is written on failure. */
        assert_int_equal(s, 12345);
    }
    int64_t s = 7;
    assert_int_equal(ctl_parse_duration(NULL, &s), -1);
    assert_int_equal(s, 7);
}

static void
test_overflow(void **state)
{
    (void)state;
    int64_t s = 0;
    /* The largest count of weeks that fits, and one more. */
    int64_t max_w = INT64_MAX / (7 * 86400);
    char buf[64];
    snprintf(buf, sizeof buf, "%lldw", (long long)max_w);
    assert_int_equal(ctl_parse_duration(buf, &s), 0);
    assert_int_equal(s, max_w * 7 * 86400);
    snprintf(buf, sizeof buf, "%lldw", (long long)max_w + 1);
    s = 1;
    assert_int_equal(ctl_parse_duration(buf, &s), -1);
    assert_int_equal(s, 1);
    /* More digits than an int64_t holds, in any unit. */
    assert_int_equal(ctl_parse_duration("9223372036854775808m", &s), -1);
    assert_int_equal(ctl_parse_duration("99999999999999999999999999h", &s), -1);
    assert_int_equal(s, 1);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_units),
        cmocka_unit_test(test_rejects),
        cmocka_unit_test(test_overflow),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
