/* Unit tests for acc_time: the two clocks, RFC 3339 parsing and formatting. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>
#include <time.h>

#include "acc_time.h"

/* The parse of @s, which must succeed. */
static int64_t
s_ms(const char *s)
{
    int64_t ms = 0;
    if (acc_time_parse_rfc3339(s, &ms) != ACC_OK)
        fail_msg("'%s' was refused", s);
    return ms;
}

static void
test_clocks(void **state)
{
    (void)state;
    /* the wall clock agrees with time(2) to the second */
    int64_t before = (int64_t)time(NULL);
    int64_t now = acc_time_now_ms();
    int64_t after = (int64_t)time(NULL);
    assert_true(now / 1000 >= before && now / 1000 <= after);
    /* the monotonic clock never goes back */
    int64_t m0 = acc_time_mono_ms();
    struct timespec pause = {0, 20 * 1000 * 1000};
    nanosleep(&pause, NULL);
    int64_t m1 = acc_time_mono_ms();
    assert_true(m1 >= m0 + 19);
}

static void
test_parse_valid(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        int64_t ms;
    } cases[] = {
        {"1970-01-01T00:00:00Z", 0},
        {"2000-01-01T00:00:00Z", INT64_C(946684800000)},
        {"2026-11-20T01:30:00Z", INT64_C(1795138200000)},
        {"2026-11-20T08:30:00+07:00", INT64_C(1795138200000)}, /* offsets east ... */
        {"2026-11-19T20:00:00-05:30", INT64_C(1795138200000)}, /* ... and west */
        {"2026-11-20T01:30:00-00:00", INT64_C(1795138200000)},
        {"2026-11-20t01:30:00z", INT64_C(1795138200000)}, /* lower case */
        {"2026-11-20 01:30:00Z", INT64_C(1795138200000)}, /* space for 'T' */
        {"1970-01-01T00:00:01.5Z", 1500},                 /* fractions: 1, 3, 9 digits */
        {"1970-01-01T00:00:01.123Z", 1123},
        {"1970-01-01T00:00:01.999999999Z", 1999}, /* cut, not rounded */
        {"2024-02-29T00:00:00Z", INT64_C(1709164800000)},
        {"2016-12-31T23:59:60Z", INT64_C(1483228800000)}, /* leap second: next minute */
        {"1969-12-31T23:59:59.900Z", -100},
        {"0000-01-01T00:00:00Z", INT64_C(-62167219200000)},
        {"9999-12-31T23:59:59.999Z", INT64_C(253402300799999)},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        if (s_ms(cases[i].text) != cases[i].ms)
            fail_msg("'%s' gave %lld, not %lld", cases[i].text, (long long)s_ms(cases[i].text),
                     (long long)cases[i].ms);
    /* leap days: 2000 is one, 1900 and 2023 are not */
    assert_int_equal(s_ms("2000-02-29T00:00:00Z") + 86400000, s_ms("2000-03-01T00:00:00Z"));
    assert_int_equal(s_ms("2023-02-28T00:00:00Z") + 86400000, s_ms("2023-03-01T00:00:00Z"));
}

static void
test_parse_invalid(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "",
        "2026-11-20",
        "2026-11-20T08:30:00" /* no offset */,
        "2026-11-20T08:30Z",
        "1900-02-29T00:00:00Z" /* not a leap year */,
        "2026-04-31T00:00:00Z",
        "2026-13-01T00:00:00Z",
        "2026-00-01T00:00:00Z",
        "2026-01-00T00:00:00Z",
        "2026-01-01T24:00:00Z",
        "2026-01-01T00:60:00Z",
        "2026-01-01T00:00:61Z",
        "2026-01-01T00:00:00.Z",
        "2026-01-01T00:00:00+7:00",
        "2026-01-01T00:00:00+07:60",
        "2026-01-01T00:00:00+24:00",
        "2026-01-01T00:00:00+0700",
        "2026-01-01T00:00:00+07",
        "2026-01-01T00:00:00Z " /* trailing */,
        "2026-01-01T00:00:00ZZ",
        "2026-01-01x00:00:00Z",
        "26-01-01T00:00:00Z",
        "+2026-01-01T00:00:00Z",
        "2026-01-01T00:00:00.12a4Z",
        "2026-01-01T00:00:00.123",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int64_t ms = 42;
        if (acc_time_parse_rfc3339(bad[i], &ms) != ACC_ERR_INVALID)
            fail_msg("'%s' was accepted", bad[i]);
        assert_int_equal(ms, 42); /* untouched on failure */
    }
    int64_t ms = 42;
    assert_int_equal(acc_time_parse_rfc3339(NULL, &ms), ACC_ERR_INVALID);
    assert_int_equal(ms, 42);
}

static void
test_format(void **state)
{
    (void)state;
    char buf[ACC_TIME_RFC3339_MAX];
    acc_time_format_rfc3339(0, buf, sizeof buf);
    assert_string_equal(buf, "1970-01-01T00:00:00.000Z");
    acc_time_format_rfc3339(-1, buf, sizeof buf);
    assert_string_equal(buf, "1969-12-31T23:59:59.999Z");
    acc_time_format_rfc3339(INT64_C(1795138200500), buf, sizeof buf);
    assert_string_equal(buf, "2026-11-20T01:30:00.500Z");
    acc_time_format_rfc3339(INT64_C(253402300800000), buf, sizeof buf);
    assert_string_equal(buf, "10000-01-01T00:00:00.000Z");

    /* what it writes, it reads back: named instants, then a sweep over 300 years */
    static const char *const ts[] = {
        "0001-01-01T00:00:00.000Z", "1600-02-29T06:00:00.001Z", "1969-07-20T20:17:40.000Z",
        "1999-12-31T23:59:59.999Z", "2000-02-29T12:34:56.789Z", "2100-03-01T00:00:00.000Z",
        "9999-12-31T23:59:59.999Z",
    };
    for (size_t i = 0; i < sizeof ts / sizeof ts[0]; i++) {
        acc_time_format_rfc3339(s_ms(ts[i]), buf, sizeof buf);
        assert_string_equal(buf, ts[i]);
    }
    for (int64_t ms = INT64_C(-5000000000000); ms < INT64_C(5000000000000);
         ms += INT64_C(86399999937)) {
        acc_time_format_rfc3339(ms, buf, sizeof buf);
        assert_int_equal(s_ms(buf), ms);
    }

    /* ACC_TIME_RFC3339_MAX holds every int64 */
    memset(buf, 'x', sizeof buf);
    acc_time_format_rfc3339(INT64_MIN, buf, sizeof buf);
    assert_true(strlen(buf) < sizeof buf && buf[strlen(buf) - 1] == 'Z');
    acc_time_format_rfc3339(INT64_MAX, buf, sizeof buf);
    assert_true(strlen(buf) < sizeof buf && buf[strlen(buf) - 1] == 'Z');

    /* a short buffer is cut and terminated; no buffer, nothing written */
    char small[8];
    acc_time_format_rfc3339(0, small, sizeof small);
    assert_string_equal(small, "1970-01");
    small[0] = '!';
    acc_time_format_rfc3339(0, small, 0);
    assert_int_equal(small[0], '!');
    acc_time_format_rfc3339(0, NULL, 32);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_clocks),
        cmocka_unit_test(test_parse_valid),
        cmocka_unit_test(test_parse_invalid),
        cmocka_unit_test(test_format),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
