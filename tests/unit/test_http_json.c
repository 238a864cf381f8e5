/* Unit tests for the JSON body reader of POST /v1/reports (acc_import_body_parse):
 * single objects and arrays, JSON paths of rejected records, types, unknown keys, the
 * source rule, UTF-8, and documents that are not JSON at all. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "acc_import.h"

#define SRC "vncert"

static acc_import_body_t *
s_parse_ok(const char *json)
{
    acc_import_body_t *b = NULL;
    acc_errinfo_t ei;
    acc_errinfo_clear(&ei);
    int pos[2] = {0, 0};
    acc_err rc = acc_import_body_parse(json, strlen(json), SRC, &b, pos, &ei);
    if (rc != ACC_OK)
        fail_msg("parse failed: %s: %s: %s", acc_strerror(rc), ei.field, ei.msg);
    assert_non_null(b);
    assert_int_equal(b->n_reports + b->n_rejects, b->n_records);
    return b;
}

static void
test_single_object_all_fields(void **state)
{
    (void)state;
    acc_import_body_t *b = s_parse_ok(
        "{\"id\":\"0190a3c4-0000-7000-8000-000000000001\",\"url\":\"http://a.example/x\","
        "\"text\":\"t\",\"category\":\"scam\",\"description\":\"d\",\"source\":\"vncert\","
        "\"observed_at\":\"2026-01-02T03:04:05Z\",\"source_record_id\":\"r-9\","
        "\"confidence\":77}");
    assert_false(b->is_array);
    assert_int_equal(b->n_records, 1);
    assert_int_equal(b->n_reports, 1);
    assert_int_equal(b->index[0], 0);
    const Accord__V1__Report *r = b->reports[0];
    assert_string_equal(r->id, "0190a3c4-0000-7000-8000-000000000001");
    assert_string_equal(r->url, "http://a.example/x");
    assert_string_equal(r->text, "t");
    assert_string_equal(r->category, "scam");
    assert_string_equal(r->description, "d");
    assert_string_equal(r->source, SRC);
    assert_string_equal(r->source_record_id, "r-9");
    assert_int_equal(r->confidence, 77);
    assert_int_equal(r->observed_at_ms, INT64_C(1767323045000));
    assert_string_equal(r->trust, ""); /* never from the submitter */
    acc_import_body_destroy(&b);
    assert_null(b);
    acc_import_body_destroy(&b); /* twice is fine */
    acc_import_body_destroy(NULL);
}

static void
test_source_filled_and_nulls_absent(void **state)
{
    (void)state;
    acc_import_body_t *b =
        s_parse_ok("{\"url\":\"http://a.example/\",\"text\":null,\"confidence\":null,"
                   "\"source\":null,\"observed_at\":null}");
    assert_int_equal(b->n_reports, 1);
    assert_string_equal(b->reports[0]->source, SRC);
    assert_string_equal(b->reports[0]->text, "");
    assert_int_equal(b->reports[0]->confidence, 0);
    assert_int_equal(b->reports[0]->observed_at_ms, 0);
    acc_import_body_destroy(&b);
}

static void
test_single_object_rejected_path(void **state)
{
    (void)state;
    acc_import_body_t *b = s_parse_ok("{\"url\":\"http://a.example/\",\"category\":7}");
    assert_int_equal(b->n_reports, 0);
    assert_int_equal(b->n_rejects, 1);
    assert_int_equal(b->rejects[0].index, 0);
    assert_string_equal(b->rejects[0].path, "$.category");
    assert_string_equal(b->rejects[0].error, "must be a string");
    acc_import_body_destroy(&b);
}

static void
test_array_paths_and_types(void **state)
{
    (void)state;
    acc_import_body_t *b = s_parse_ok("[\n"
                                      " {\"url\":\"http://ok.example/\"},\n"       /* 0 ok */
                                      " {\"url\":5},\n"                            /* 1 */
                                      " \"not an object\",\n"                      /* 2 */
                                      " {\"colour\":\"red\"},\n"                   /* 3 */
                                      " {\"confidence\":101},\n"                   /* 4 */
                                      " {\"confidence\":\"50\"},\n"                /* 5 */
                                      " {\"confidence\":5.5},\n"                   /* 6 */
                                      " {\"observed_at\":\"yesterday\"},\n"        /* 7 */
                                      " {\"source\":\"someone-else\"},\n"          /* 8 */
                                      " {\"source\":\"vncert\",\"text\":\"x\"},\n" /* 9 ok */
                                      " {\"url\":{\"nested\":true}},\n"            /* 10 */
                                      " {\"text\":[\"a\"]},\n"                     /* 11 */
                                      " {\"confidence\":-1}\n"                     /* 12 */
                                      "]");
    assert_true(b->is_array);
    assert_int_equal(b->n_records, 13);
    assert_int_equal(b->n_reports, 2);
    assert_int_equal(b->index[0], 0);
    assert_int_equal(b->index[1], 9);
    assert_string_equal(b->reports[1]->text, "x");
    static const struct {
        size_t index;
        const char *path, *error_part;
    } want[] = {
        {1, "$[1].url", "must be a string"},   {2, "$[2]", "must be a json object"},
        {3, "$[3].colour", "unknown key"},     {4, "$[4].confidence", "0 to 100"},
        {5, "$[5].confidence", "integer"},     {6, "$[6].confidence", "integer"},
        {7, "$[7].observed_at", "RFC 3339"},   {8, "$[8].source", "'vncert'"},
        {10, "$[10].url", "must be a string"}, {11, "$[11].text", "must be a string"},
        {12, "$[12].confidence", "0 to 100"},
    };
    assert_int_equal(b->n_rejects, sizeof want / sizeof *want);
    for (size_t i = 0; i < sizeof want / sizeof *want; i++) {
        assert_int_equal(b->rejects[i].index, want[i].index);
        assert_string_equal(b->rejects[i].path, want[i].path);
        if (!strstr(b->rejects[i].error, want[i].error_part))
            fail_msg("reject %zu: '%s' does not mention '%s'", i, b->rejects[i].error,
                     want[i].error_part);
    }
    acc_import_body_destroy(&b);
}

static void
test_odd_keys_quoted_in_paths(void **state)
{
    (void)state;
    acc_import_body_t *b = s_parse_ok("[{\"a b\":1},{\"say \\\"hi\\\"\":1},{\"\":1},"
                                      "{\"9lives\":1},{\"t\\u0001\":1}]");
    assert_int_equal(b->n_rejects, 5);
    assert_string_equal(b->rejects[0].path, "$[0][\"a b\"]");
    assert_string_equal(b->rejects[1].path, "$[1][\"say \\\"hi\\\"\"]");
    assert_string_equal(b->rejects[2].path, "$[2][\"\"]");
    assert_string_equal(b->rejects[3].path, "$[3][\"9lives\"]");
    assert_string_equal(b->rejects[4].path, "$[4][\"t\\u0001\"]");
    acc_import_body_destroy(&b);

    /* A long key is cut, at a character boundary, and marked. */
    char json[1200];
    strcpy(json, "{\"");
    for (int i = 0; i < 300; i++)
        strcat(json, "\xc3\xa9"); /* é */
    strcat(json, "\":1}");
    b = s_parse_ok(json);
    assert_int_equal(b->n_rejects, 1);
    const char *p = b->rejects[0].path;
    assert_true(strlen(p) < 140);
    assert_non_null(strstr(p, "...\"]"));
    assert_memory_equal(p, "$[\"\xc3\xa9", 5);
    /* every é is whole: the byte before "..." ends a sequence */
    const char *dots = strstr(p, "...");
    assert_int_equal((unsigned char)dots[-1], 0xa9);
    acc_import_body_destroy(&b);
}

static void
test_utf8(void **state)
{
    (void)state;
    acc_import_body_t *b =
        s_parse_ok("{\"text\":\"Trúng thưởng 100 triệu đồng\",\"description\":\"\\u0110\\u1ea1i "
                   "\\ud83d\\ude00\"}");
    assert_int_equal(b->n_reports, 1);
    assert_string_equal(b->reports[0]->text, "Trúng thưởng 100 triệu đồng");
    assert_string_equal(b->reports[0]->description, "Đại \xf0\x9f\x98\x80");
    acc_import_body_destroy(&b);

    acc_errinfo_t ei;
    int pos[2] = {0, 0};
    static const char bad[] = "{\"text\":\"a\xff\xfe\"}";
    assert_int_equal(acc_import_body_parse(bad, sizeof bad - 1, SRC, &b, pos, &ei), ACC_ERR_UTF8);
    assert_null(b);
    assert_string_equal(ei.field, "$");
    /* A NUL escape would cut a C string: refused */
    static const char nul[] = "{\"text\":\"a\\u0000b\"}";
    assert_int_equal(acc_import_body_parse(nul, sizeof nul - 1, SRC, &b, pos, &ei), ACC_ERR_DECODE);
    /* A lone surrogate is not UTF-8 either */
    static const char lone[] = "{\"text\":\"\\ud800\"}";
    assert_int_not_equal(acc_import_body_parse(lone, sizeof lone - 1, SRC, &b, pos, &ei), ACC_OK);
    assert_null(b);
}

static void
test_empty_array(void **state)
{
    (void)state;
    acc_import_body_t *b = s_parse_ok("[]");
    assert_true(b->is_array);
    assert_int_equal(b->n_records, 0);
    assert_int_equal(b->n_reports, 0);
    assert_int_equal(b->n_rejects, 0);
    acc_import_body_destroy(&b);
    b = s_parse_ok(" \n[ ]\n");
    assert_int_equal(b->n_records, 0);
    acc_import_body_destroy(&b);
}

static void
test_not_json(void **state)
{
    (void)state;
    acc_import_body_t *b = NULL;
    acc_errinfo_t ei;
    int pos[2] = {0, 0};
    static const char broken[] = "{\n  \"url\": \"x\",\n}";
    assert_int_equal(acc_import_body_parse(broken, sizeof broken - 1, SRC, &b, pos, &ei),
                     ACC_ERR_DECODE);
    assert_null(b);
    assert_int_equal(pos[0], 3);
    assert_int_equal(pos[1], 1);
    assert_string_equal(ei.field, "$");
    assert_non_null(strstr(ei.msg, "line 3, column 1"));

    static const char trailing[] = "{\"url\":\"x\"} {}";
    assert_int_equal(acc_import_body_parse(trailing, sizeof trailing - 1, SRC, &b, NULL, &ei),
                     ACC_ERR_DECODE);
    static const char dup[] = "{\"url\":\"x\",\"url\":\"y\"}";
    assert_int_equal(acc_import_body_parse(dup, sizeof dup - 1, SRC, &b, NULL, &ei),
                     ACC_ERR_DECODE);
    assert_int_equal(acc_import_body_parse("", 0, SRC, &b, NULL, &ei), ACC_ERR_DECODE);

    static const char *const scalars[] = {"\"a string\"", "42", "true", "null"};
    for (size_t i = 0; i < 4; i++) {
        acc_errinfo_clear(&ei);
        assert_int_equal(acc_import_body_parse(scalars[i], strlen(scalars[i]), SRC, &b, NULL, &ei),
                         ACC_ERR_INVALID);
        assert_null(b);
        assert_string_equal(ei.field, "$");
    }
    /* Not NUL-terminated input: only @len bytes are read. */
    static const char cut[] = "[{\"url\":\"http://a.example/\"}]GARBAGE";
    b = NULL;
    assert_int_equal(acc_import_body_parse(cut, sizeof cut - 1 - 7, SRC, &b, NULL, &ei), ACC_OK);
    assert_int_equal(b->n_reports, 1);
    acc_import_body_destroy(&b);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_single_object_all_fields),
        cmocka_unit_test(test_source_filled_and_nulls_absent),
        cmocka_unit_test(test_single_object_rejected_path),
        cmocka_unit_test(test_array_paths_and_types),
        cmocka_unit_test(test_odd_keys_quoted_in_paths),
        cmocka_unit_test(test_utf8),
        cmocka_unit_test(test_empty_array),
        cmocka_unit_test(test_not_json),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
