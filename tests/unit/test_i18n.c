/* Tests of the small modules: acc_i18n, acc_model, acc_err, acc_log level parsing. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "acc_err.h"
#include "acc_i18n.h"
#include "acc_log.h"
#include "acc_model.h"

static void
test_lang_from_env(void **state)
{
    (void)state;
    unsetenv("LC_ALL");
    unsetenv("LC_MESSAGES");
    setenv("LANG", "vi_VN.UTF-8", 1);
    assert_int_equal(acc_i18n_from_env(), ACC_LANG_VI);
    setenv("LANG", "C.UTF-8", 1);
    assert_int_equal(acc_i18n_from_env(), ACC_LANG_EN);
    setenv("LC_ALL", "vi_VN", 1); /* LC_ALL wins over LANG */
    assert_int_equal(acc_i18n_from_env(), ACC_LANG_VI);
    unsetenv("LC_ALL");
    unsetenv("LANG");
    assert_int_equal(acc_i18n_from_env(), ACC_LANG_EN);
    assert_string_equal(ACC_TR(ACC_LANG_VI, "case", "hồ sơ"), "hồ sơ");
}

static void
test_lang_from_accept(void **state)
{
    (void)state;
    assert_int_equal(acc_i18n_from_accept(NULL), ACC_LANG_VI);
    assert_int_equal(acc_i18n_from_accept("en-US,en;q=0.9"), ACC_LANG_EN);
    assert_int_equal(acc_i18n_from_accept("vi,en;q=0.5"), ACC_LANG_VI);
}

static void
test_model_names(void **state)
{
    (void)state;
    for (int s = 1; s <= 4; s++)
        assert_int_equal(acc_case_status_parse(acc_case_status_name(s)), s);
    assert_int_equal(acc_case_status_parse("nope"), -1);
    assert_string_equal(acc_case_status_name(99), "unknown");
    assert_string_equal(acc_outcome_name(1), "new_case");
    assert_string_equal(acc_outcome_name(-3), "unknown");
}

static void
test_err_and_log(void **state)
{
    (void)state;
    for (int e = 0; e < ACC_ERR__COUNT; e++)
        assert_true(strlen(acc_strerror((acc_err)e)) > 0);
    assert_string_equal(acc_strerror((acc_err)999), "unknown error");
    acc_errinfo_t ei;
    acc_errinfo_set(&ei, "url", "bad '%s'", "x");
    assert_string_equal(ei.field, "url");
    assert_string_equal(ei.msg, "bad 'x'");
    acc_errinfo_set(NULL, "x", "y"); /* NULL is allowed */
    assert_int_equal(acc_log_parse_level("debug"), ACC_LOG_DEBUG);
    assert_int_equal(acc_log_parse_level("loud"), -1);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lang_from_env),
        cmocka_unit_test(test_lang_from_accept),
        cmocka_unit_test(test_model_names),
        cmocka_unit_test(test_err_and_log),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
