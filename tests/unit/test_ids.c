/* Tests of acc_ids: UUID text form, UUIDv7 order and layout, case numbers, years. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "acc_ids.h"

static void
test_uuid_roundtrip(void **state)
{
    (void)state;
    acc_uuid_t u;
    const char *s = "0193A1B0-0000-7000-8000-0000000000AA";
    assert_int_equal(acc_uuid_parse(s, strlen(s), &u), ACC_OK);
    char out[ACC_UUID_TEXT_LEN + 1];
    acc_uuid_format(&u, out);
    assert_string_equal(out, "0193a1b0-0000-7000-8000-0000000000aa");
    const char *bad[] = {"",
                         "0193a1b0-0000-7000-8000-0000000000a",
                         "0193a1b0-0000-7000-8000-0000000000aaa",
                         "0193a1b0x0000-7000-8000-0000000000aa",
                         "0193a1b0-0000-7000-8000-0000000000ag",
                         "{193a1b0-0000-7000-8000-00000000}"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        assert_int_equal(acc_uuid_parse(bad[i], strlen(bad[i]), &u), ACC_ERR_INVALID);
}

static void
test_uuid_v7_order(void **state)
{
    (void)state;
    acc_uuid_gen_t gen = {0, 0};
    acc_uuid_t prev, cur;
    acc_uuid_v7(&gen, &prev);
    for (int i = 0; i < 20000; i++) {
        acc_uuid_v7(&gen, &cur);
        /* version 7, RFC 4122 variant, strictly increasing from one generator */
        assert_int_equal(cur.b[6] >> 4, 7);
        assert_int_equal(cur.b[8] >> 6, 2);
        assert_true(memcmp(prev.b, cur.b, 8) < 0);
        prev = cur;
    }
    /* the time prefix is the clock */
    uint64_t ms = 0;
    for (int i = 0; i < 6; i++)
        ms = ms << 8 | cur.b[i];
    int64_t now = acc_ids_now_ms();
    assert_true((int64_t)ms <= now + 5000 && (int64_t)ms >= now - 5000);
}

static void
test_case_numbers(void **state)
{
    (void)state;
    char b[64];
    assert_int_equal(acc_case_number_format("stttt-hn", 2026, 42, b, sizeof b), ACC_OK);
    assert_string_equal(b, "stttt-hn/2026/000042");
    assert_true(acc_case_number_valid(b));
    assert_int_equal(acc_case_number_format("a", 2026, 1234567, b, sizeof b), ACC_OK);
    assert_string_equal(b, "a/2026/1234567");
    assert_int_equal(acc_case_number_format("stttt-hn", 2026, 1, b, 8), ACC_ERR_TOO_LARGE);
    assert_false(acc_case_number_valid("stttt-hn/2026/00004"));
    assert_false(acc_case_number_valid("STTTT/2026/000001"));
    assert_false(acc_case_number_valid("/2026/000001"));
    assert_false(acc_case_number_valid("x/26/000001"));
    assert_false(acc_case_number_valid("x/2026/00000a"));
    assert_false(acc_case_number_valid("../../etc/passwd"));
}

static void
test_year_offset(void **state)
{
    (void)state;
    /* 2025-12-31T20:00:00Z is already 2026 in Viet Nam (UTC+7) */
    int64_t ms = 1767211200000LL;
    assert_int_equal(acc_ids_year(ms, 0), 2025);
    assert_int_equal(acc_ids_year(ms, 420), 2026);
}

static void
test_agency_valid(void **state)
{
    (void)state;
    /* [a-z0-9][a-z0-9-]{1,31}: the config file, the CURVE key table and the links. */
    assert_true(acc_agency_valid("ab"));
    assert_true(acc_agency_valid("0-"));
    assert_true(acc_agency_valid("stttt-hn"));
    assert_true(acc_agency_valid("abcdefghijabcdefghijabcdefghijab")); /* 32 */
    assert_false(acc_agency_valid("abcdefghijabcdefghijabcdefghijabc"));
    assert_false(acc_agency_valid("a"));
    assert_false(acc_agency_valid("-a"));
    assert_false(acc_agency_valid("aB"));
    assert_false(acc_agency_valid("a.b"));
    assert_false(acc_agency_valid(""));
    assert_false(acc_agency_valid(NULL));
    /* The same alphabet at other lengths: category ids are 1 to 48 bytes. */
    assert_true(acc_ids_slug_valid("a", 1, 48));
    assert_true(acc_ids_slug_valid("phishing-malware", 1, 48));
    assert_false(acc_ids_slug_valid("", 1, 48));
    assert_false(acc_ids_slug_valid("-a", 1, 48));
    assert_false(acc_ids_slug_valid("abcdefghijabcdefghijabcdefghijabcdefghijabcdefghi", 1, 48));
    assert_true(acc_ids_slug_valid("abcdefghijabcdefghijabcdefghijabcdefghijabcdefgh", 1, 48));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_uuid_roundtrip), cmocka_unit_test(test_uuid_v7_order),
        cmocka_unit_test(test_case_numbers),   cmocka_unit_test(test_year_offset),
        cmocka_unit_test(test_agency_valid),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
