/* Unit tests for acc_model: every enum value the protos define has a name here, names
 * parse back to their values, and values without a name read "unspecified" / "unknown". */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "acc_model.h"
#include "accord/v1/assignment.pb-c.h"
#include "accord/v1/case.pb-c.h"
#include "accord/v1/control.pb-c.h"
#include "accord/v1/notification.pb-c.h"
#include "accord/v1/verification.pb-c.h"

typedef struct {
    const ProtobufCEnumDescriptor *desc;
    const char *(*name)(int);
    int (*parse)(const char *);
} s_enum;

static const s_enum s_enums[] = {
    {&accord__v1__case_status__descriptor, acc_case_status_name, acc_case_status_parse},
    {&accord__v1__outcome__descriptor, acc_outcome_name, acc_outcome_parse},
    {&accord__v1__verdict__descriptor, acc_verdict_name, acc_verdict_parse},
    {&accord__v1__measure_status__descriptor, acc_measure_status_name, acc_measure_status_parse},
    {&accord__v1__notice_status__descriptor, acc_notice_status_name, acc_notice_status_parse},
};

/* The proto is the list of values: a value added there without a name here fails. */
static void
test_every_value_named(void **state)
{
    (void)state;
    for (size_t e = 0; e < sizeof s_enums / sizeof s_enums[0]; e++) {
        const s_enum *en = &s_enums[e];
        int max = 0;
        for (unsigned i = 0; i < en->desc->n_values; i++) {
            int v = en->desc->values[i].value;
            const char *n = en->name(v);
            if (v > max)
                max = v;
            if (v == 0) {
                assert_string_equal(n, "unspecified");
                continue;
            }
            if (strcmp(n, "unknown") == 0 || strcmp(n, "unspecified") == 0)
                fail_msg("%s value %d has no name", en->desc->name, v);
            if (en->parse(n) != v)
                fail_msg("%s: '%s' parses to %d, not %d", en->desc->name, n, en->parse(n), v);
        }
        assert_string_equal(en->name(max + 1), "unknown");
        assert_string_equal(en->name(-1), "unknown");
        assert_int_equal(en->parse("unspecified"), -1);
        assert_int_equal(en->parse("unknown"), -1);
        assert_int_equal(en->parse(""), -1);
        assert_int_equal(en->parse(NULL), -1);
    }
}

/* The names are an interface (CLI arguments, JSON, the HTTP API): spelled out once here. */
static void
test_names(void **state)
{
    (void)state;
    assert_string_equal(acc_case_status_name(ACCORD__V1__CASE_STATUS__CASE_STATUS_OPEN), "open");
    assert_string_equal(acc_case_status_name(ACCORD__V1__CASE_STATUS__CASE_STATUS_CLOSED),
                        "closed");
    assert_string_equal(acc_outcome_name(ACCORD__V1__OUTCOME__OUTCOME_NEW_CASE), "new_case");
    assert_string_equal(acc_outcome_name(ACCORD__V1__OUTCOME__OUTCOME_ALREADY_PRESENT),
                        "already_present");
    assert_string_equal(acc_outcome_name(ACCORD__V1__OUTCOME__OUTCOME_REJECTED), "rejected");
    assert_int_equal(acc_verdict_parse("not-violating"),
                     ACCORD__V1__VERDICT__VERDICT_NOT_VIOLATING);
    assert_int_equal(acc_verdict_parse("not_violating"), -1);
    assert_int_equal(acc_verdict_parse("Violating"), -1);
    assert_int_equal(acc_measure_status_parse("failed"),
                     ACCORD__V1__MEASURE_STATUS__MEASURE_STATUS_FAILED);
    assert_string_equal(acc_notice_status_name(ACCORD__V1__NOTICE_STATUS__NOTICE_STATUS_PARKED),
                        "parked");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_value_named),
        cmocka_unit_test(test_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
