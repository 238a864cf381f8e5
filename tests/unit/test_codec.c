/* Tests of acc_codec: the pre-decode walk rejects what protobuf-c would accept or crash on. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "acc_codec.h"
#include "accord/v1/control.pb-c.h"

static acc_err
s_unpack(const void *buf, size_t len, acc_errinfo_t *ei, Accord__V1__Request **out)
{
    ProtobufCMessage *m = NULL;
    acc_errinfo_clear(ei);
    acc_err err = acc_codec_unpack(&accord__v1__request__descriptor, buf, len, 1 << 20, &m, ei);
    if (err == ACC_OK)
        *out = (Accord__V1__Request *)m;
    return err;
}

static void
test_roundtrip(void **state)
{
    (void)state;
    Accord__V1__Report r = ACCORD__V1__REPORT__INIT, *rs[2] = {&r, &r};
    r.url = "http://vi\xe1\xbb\x87t.vn/";
    r.category = "scam";
    r.confidence = 80;
    r.observed_at_ms = 1767211200000LL;
    Accord__V1__SubmitReports sub = ACCORD__V1__SUBMIT_REPORTS__INIT;
    sub.reports = rs;
    sub.n_reports = 2;
    Accord__V1__Request req = ACCORD__V1__REQUEST__INIT;
    req.request_id = 123456789012ULL;
    req.body_case = ACCORD__V1__REQUEST__BODY_SUBMIT;
    req.submit = &sub;
    uint8_t *buf = NULL;
    size_t len = 0;
    assert_int_equal(acc_codec_pack(&req.base, 1 << 20, &buf, &len), ACC_OK);
    assert_int_equal(acc_codec_pack(&req.base, 4, &buf, &len), ACC_ERR_TOO_LARGE);
    acc_errinfo_t ei;
    Accord__V1__Request *out = NULL;
    assert_int_equal(s_unpack(buf, len, &ei, &out), ACC_OK);
    assert_int_equal(out->request_id, 123456789012ULL);
    assert_int_equal(out->submit->n_reports, 2);
    assert_string_equal(out->submit->reports[1]->url, r.url);
    assert_int_equal(out->submit->reports[1]->confidence, 80);
    accord__v1__request__free_unpacked(out, NULL);
    /* the size cap comes before anything else */
    ProtobufCMessage *m = NULL;
    assert_int_equal(acc_codec_unpack(&accord__v1__request__descriptor, buf, len, len - 1, &m, &ei),
                     ACC_ERR_TOO_LARGE);
    free(buf);
}

static void
test_rejects(void **state)
{
    (void)state;
    struct {
        const char *bytes;
        size_t len;
        acc_err err;
        const char *field;
        const char *msg;
    } cases[] = {
        {"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", 11, ACC_ERR_DECODE, "message", "tag"},
        {"\x80\x00", 2, ACC_ERR_DECODE, "message", "field number"},
        {"\xf8\x06\x01", 3, ACC_ERR_DECODE, "message", "unknown field 111"},
        {"\x0a\x01x", 3, ACC_ERR_DECODE, "request_id", "wire type (length-delimited)"},
        {"\x09\x01\x02\x03\x04\x05\x06\x07\x08", 9, ACC_ERR_DECODE, "request_id", "wire type"},
        {"\x08", 1, ACC_ERR_DECODE, "request_id", "varint"},
        {"\x52\x05\x0a", 3, ACC_ERR_DECODE, "submit", "past the end"},
        {"\x52\x04\x0a\x02\x12\x80", 6, ACC_ERR_DECODE, "submit.reports[0].url", "past the end"},
        {"\x52\x05\x0a\x03\x12\x01\xff", 7, ACC_ERR_UTF8, "submit.reports[0].url", "utf-8"},
        {"\x52\x05\x0a\x03\x22\x01\x00", 7, ACC_ERR_UTF8, "submit.reports[0].category", "NUL"},
        {"\x52\x02\x0b\x0c", 4, ACC_ERR_DECODE, "submit", "groups"},
        {"\x52\x08\x0a\x02\x12\x00\x0a\x02\x48\x80", 10, ACC_ERR_DECODE, "submit.reports[1]", ""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        acc_errinfo_t ei;
        Accord__V1__Request *out = NULL;
        acc_err err = s_unpack(cases[i].bytes, cases[i].len, &ei, &out);
        if (err != cases[i].err)
            fail_msg("case %zu: got %s (%s: %s)", i, acc_strerror(err), ei.field, ei.msg);
        if (!strstr(ei.field, cases[i].field) || !strstr(ei.msg, cases[i].msg))
            fail_msg("case %zu: '%s: %s'", i, ei.field, ei.msg);
    }
}

/* 10,000 levels of nesting: protobuf-c alone overflows its stack on recursive types; the
 * walk stops at the first level that does not fit the schema, without recursion deeper
 * than the schema allows. */
static void
test_deep_nesting(void **state)
{
    (void)state;
    size_t levels = 10000, len = 0;
    unsigned char *buf = malloc(levels * 4);
    for (size_t i = 0; i < levels; i++) {
        unsigned char hdr[4];
        size_t h = 0, v = len;
        hdr[h++] = 0x52;
        do {
            hdr[h++] = (unsigned char)((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
            v >>= 7;
        } while (v);
        memmove(buf + h, buf, len);
        memcpy(buf, hdr, h);
        len += h;
    }
    acc_errinfo_t ei;
    Accord__V1__Request *out = NULL;
    assert_int_equal(s_unpack(buf, len, &ei, &out), ACC_ERR_DECODE);
    assert_non_null(strstr(ei.field, "submit"));
    free(buf);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roundtrip),
        cmocka_unit_test(test_rejects),
        cmocka_unit_test(test_deep_nesting),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
