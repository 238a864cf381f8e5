/* Unit tests for acc_import: the JSON Lines and CSV report readers and RFC 3339 times. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acc_import.h"
#include "acc_time.h"

#define MAX_RESULTS 16

/* One call of acc_import_next. */
typedef struct {
    acc_err rc;
    size_t line;
    Accord__V1__Report *r; /* NULL unless rc == ACC_OK */
    acc_errinfo_t ei;
} result;

typedef struct {
    size_t n;
    result res[MAX_RESULTS];
} results;

/* s_read_all — run a reader over @data to the end; every result goes into @out. */
static void
s_read_all(acc_import_format fmt, const char *data, size_t len, const Accord__V1__Report *defaults,
           results *out)
{
    memset(out, 0, sizeof *out);
    acc_import_t *imp = NULL;
    acc_errinfo_t ei;
    acc_errinfo_clear(&ei);
    acc_err rc = acc_import_new(fmt, data, len, defaults, &imp, &ei);
    if (rc != ACC_OK)
        fail_msg("acc_import_new: %s: %s: %s", acc_strerror(rc), ei.field, ei.msg);
    size_t last_off = acc_import_offset(imp);
    for (;;) {
        assert_true(out->n < MAX_RESULTS);
        result *x = &out->res[out->n];
        x->rc = acc_import_next(imp, &x->r, &x->line, &x->ei);
        if (x->rc == ACC_ERR_NOT_FOUND)
            break;
        /* every call moves the reader on */
        assert_true(acc_import_offset(imp) > last_off);
        last_off = acc_import_offset(imp);
        out->n++;
    }
    assert_int_equal(acc_import_offset(imp), len);
    acc_import_destroy(&imp);
    assert_null(imp);
}

static void
s_free_all(results *rs)
{
    for (size_t i = 0; i < rs->n; i++)
        if (rs->res[i].r)
            accord__v1__report__free_unpacked(rs->res[i].r, NULL);
}

static void
s_read_str(acc_import_format fmt, const char *data, results *out)
{
    s_read_all(fmt, data, strlen(data), NULL, out);
}

static void
s_assert_ok(const results *rs, size_t i, size_t line)
{
    assert_true(i < rs->n);
    const result *x = &rs->res[i];
    if (x->rc != ACC_OK)
        fail_msg("record %zu: %s: %s: %s", i, acc_strerror(x->rc), x->ei.field, x->ei.msg);
    assert_non_null(x->r);
    assert_int_equal(x->line, line);
}

static void
s_assert_err(const results *rs, size_t i, acc_err rc, size_t line, const char *field_has)
{
    assert_true(i < rs->n);
    const result *x = &rs->res[i];
    assert_int_equal(x->rc, rc);
    assert_int_equal(x->line, line);
    if (field_has && !strstr(x->ei.field, field_has))
        fail_msg("record %zu: field '%s' lacks '%s' (msg '%s')", i, x->ei.field, field_has,
                 x->ei.msg);
}

static int64_t
s_ms(const char *s)
{
    int64_t ms = 0;
    assert_int_equal(acc_time_parse_rfc3339(s, &ms), ACC_OK);
    return ms;
}

/* --- JSON Lines ---------------------------------------------------------------------- */

static void
test_jsonl_all_fields(void **state)
{
    (void)state;
    const char *in =
        "{\"id\": \"0190f5c2-7a1b-7c3d-8e4f-0123456789ab\", \"url\": \"http://x.example/a\", "
        "\"text\": \"caf\\u00e9 \xe2\x82\xac\", \"category\": \"phishing\", "
        "\"description\": \"fake bank\", \"source\": \"feed-a\", "
        "\"observed_at\": \"2026-11-20T08:30:00+07:00\", \"source_record_id\": \"r-17\", "
        "\"confidence\": 85}\n"
        "{\"url\": \"http://y.example/\"}\n";
    results rs;
    s_read_str(ACC_IMPORT_JSONL, in, &rs);
    assert_int_equal(rs.n, 2);
    s_assert_ok(&rs, 0, 1);
    const Accord__V1__Report *r = rs.res[0].r;
    assert_string_equal(r->id, "0190f5c2-7a1b-7c3d-8e4f-0123456789ab");
    assert_string_equal(r->url, "http://x.example/a");
    assert_string_equal(r->text, "caf\xc3\xa9 \xe2\x82\xac");
    assert_string_equal(r->category, "phishing");
    assert_string_equal(r->description, "fake bank");
    assert_string_equal(r->source, "feed-a");
    assert_int_equal(r->observed_at_ms, s_ms("2026-11-20T01:30:00Z"));
    assert_string_equal(r->source_record_id, "r-17");
    assert_int_equal(r->confidence, 85);
    s_assert_ok(&rs, 1, 2);
    r = rs.res[1].r;
    assert_string_equal(r->url, "http://y.example/");
    assert_string_equal(r->text, "");
    assert_string_equal(r->category, "");
    assert_int_equal(r->observed_at_ms, 0);
    assert_int_equal(r->confidence, 0);
    s_free_all(&rs);
}

static void
test_jsonl_unknown_key(void **state)
{
    (void)state;
    results rs;
    s_read_str(ACC_IMPORT_JSONL,
               "{\"url\": \"http://a/\", \"colour\": \"red\"}\n{\"url\": \"http://b/\"}\n", &rs);
    assert_int_equal(rs.n, 2);
    s_assert_err(&rs, 0, ACC_ERR_INVALID, 1, "line 1: colour");
    assert_non_null(strstr(rs.res[0].ei.msg, "colour"));
    assert_null(rs.res[0].r);
    s_assert_ok(&rs, 1, 2);
    assert_string_equal(rs.res[1].r->url, "http://b/");
    s_free_all(&rs);
}

static void
test_jsonl_wrong_type(void **state)
{
    (void)state;
    results rs;
    s_read_str(ACC_IMPORT_JSONL,
               "{\"url\": 17}\n"
               "{\"url\": \"http://a/\", \"confidence\": \"high\"}\n"
               "{\"url\": \"http://a/\", \"confidence\": 101}\n"
               "{\"url\": \"http://a/\", \"observed_at\": 1700000000000}\n"
               "{\"url\": \"http://a/\", \"text\": [\"x\"]}\n"
               "[\"http://a/\"]\n"
               "{\"url\": \"http://a/\", \"text\": null, \"confidence\": 0}\n",
               &rs);
    assert_int_equal(rs.n, 7);
    s_assert_err(&rs, 0, ACC_ERR_INVALID, 1, "line 1: url");
    s_assert_err(&rs, 1, ACC_ERR_INVALID, 2, "line 2: confidence");
    s_assert_err(&rs, 2, ACC_ERR_INVALID, 3, "line 3: confidence");
    s_assert_err(&rs, 3, ACC_ERR_INVALID, 4, "line 4: observed_at");
    s_assert_err(&rs, 4, ACC_ERR_INVALID, 5, "line 5: text");
    s_assert_err(&rs, 5, ACC_ERR_INVALID, 6, "line 6");
    /* null counts as absent */
    s_assert_ok(&rs, 6, 7);
    assert_string_equal(rs.res[6].r->text, "");
    s_free_all(&rs);
}

static void
test_jsonl_malformed(void **state)
{
    (void)state;
    results rs;
    /* trailing content, duplicate key, a \u0000 escape, then a truncated last line */
    s_read_str(ACC_IMPORT_JSONL,
               "{\"url\": \"http://a/\"} x\n"
               "{\"url\": \"http://a/\", \"url\": \"http://b/\"}\n"
               "{\"url\": \"http://a/\\u0000b\"}\n"
               "{\"url\": \"http://ok/\"}\n"
               "{\"url\": \"http://x",
               &rs);
    assert_int_equal(rs.n, 5);
    s_assert_err(&rs, 0, ACC_ERR_INVALID, 1, "line 1");
    s_assert_err(&rs, 1, ACC_ERR_INVALID, 2, "line 2");
    s_assert_err(&rs, 2, ACC_ERR_INVALID, 3, "line 3");
    s_assert_ok(&rs, 3, 4);
    s_assert_err(&rs, 4, ACC_ERR_INVALID, 5, "line 5");
    assert_non_null(strstr(rs.res[4].ei.msg, "invalid json"));
    s_free_all(&rs);
}

static void
test_jsonl_utf8(void **state)
{
    (void)state;
    results rs;
    s_read_str(ACC_IMPORT_JSONL,
               "{\"url\": \"http://a/\", \"text\": \"bad \xc3\x28\"}\n"
               "{\"url\": \"http://a/\", \"text\": \"surrogate \xed\xa0\x80\"}\n"
               "{\"url\": \"http://b/\"}\n",
               &rs);
    assert_int_equal(rs.n, 3);
    s_assert_err(&rs, 0, ACC_ERR_UTF8, 1, "line 1");
    s_assert_err(&rs, 1, ACC_ERR_UTF8, 2, "line 2");
    s_assert_ok(&rs, 2, 3);
    s_free_all(&rs);
}

static void
test_jsonl_blank_crlf_bom(void **state)
{
    (void)state;
    results rs;
    s_read_str(ACC_IMPORT_JSONL,
               "\xef\xbb\xbf{\"url\": \"http://a/\"}\r\n"
               "\r\n"
               "   \t\n"
               "\n"
               "{\"url\": \"http://b/\", \"text\": \"t\"}\r\n"
               "{\"url\": \"http://c/\"}",
               &rs);
    assert_int_equal(rs.n, 3);
    s_assert_ok(&rs, 0, 1);
    assert_string_equal(rs.res[0].r->url, "http://a/");
    s_assert_ok(&rs, 1, 5);
    assert_string_equal(rs.res[1].r->text, "t");
    s_assert_ok(&rs, 2, 6);
    assert_string_equal(rs.res[2].r->url, "http://c/");
    s_free_all(&rs);
}

static void
test_jsonl_too_large(void **state)
{
    (void)state;
    size_t big = ((size_t)1 << 20) + 100;
    const char *head = "{\"url\": \"http://a/\", \"text\": \"";
    const char *tail = "\"}\n{\"url\": \"http://b/\"}\n";
    size_t hl = strlen(head), tl = strlen(tail);
    char *buf = malloc(hl + big + tl);
    assert_non_null(buf);
    memcpy(buf, head, hl);
    memset(buf + hl, 'a', big);
    memcpy(buf + hl + big, tail, tl);
    results rs;
    s_read_all(ACC_IMPORT_JSONL, buf, hl + big + tl, NULL, &rs);
    assert_int_equal(rs.n, 2);
    s_assert_err(&rs, 0, ACC_ERR_TOO_LARGE, 1, "line 1");
    s_assert_ok(&rs, 1, 2);
    assert_string_equal(rs.res[1].r->url, "http://b/");
    s_free_all(&rs);
    free(buf);
}

static void
test_defaults(void **state)
{
    (void)state;
    Accord__V1__Report def = ACCORD__V1__REPORT__INIT;
    def.category = (char *)"spam";
    def.source = (char *)"officer";
    const char *jl = "{\"url\": \"http://a/\"}\n"
                     "{\"url\": \"http://b/\", \"category\": \"phishing\", \"source\": \"x\"}\n";
    results rs;
    s_read_all(ACC_IMPORT_JSONL, jl, strlen(jl), &def, &rs);
    assert_int_equal(rs.n, 2);
    s_assert_ok(&rs, 0, 1);
    assert_string_equal(rs.res[0].r->category, "spam");
    assert_string_equal(rs.res[0].r->source, "officer");
    s_assert_ok(&rs, 1, 2);
    assert_string_equal(rs.res[1].r->category, "phishing");
    assert_string_equal(rs.res[1].r->source, "x");
    s_free_all(&rs);

    /* CSV: an empty cell is absent and takes the default too */
    const char *csv = "url,category\nhttp://a/,\nhttp://b/,malware\n";
    def.source = (char *)""; /* an empty default fills nothing */
    s_read_all(ACC_IMPORT_CSV, csv, strlen(csv), &def, &rs);
    assert_int_equal(rs.n, 2);
    s_assert_ok(&rs, 0, 2);
    assert_string_equal(rs.res[0].r->category, "spam");
    assert_string_equal(rs.res[0].r->source, "");
    s_assert_ok(&rs, 1, 3);
    assert_string_equal(rs.res[1].r->category, "malware");
    s_free_all(&rs);
}

/* --- CSV ----------------------------------------------------------------------------- */

static void
test_csv_all_fields(void **state)
{
    (void)state;
    const char *in = "observed_at,URL,text,category,description,source,id,source_record_id,"
                     "confidence\n"
                     "2024-02-29T12:00:00.250Z,http://x.example/a,caf\xc3\xa9,phishing,fake "
                     "bank,feed-a,0190f5c2-7a1b-7c3d-8e4f-0123456789ab,r-17,100\n"
                     ",,just text,,,,,,\n";
    results rs;
    s_read_str(ACC_IMPORT_CSV, in, &rs);
    assert_int_equal(rs.n, 2);
    s_assert_ok(&rs, 0, 2);
    const Accord__V1__Report *r = rs.res[0].r;
    assert_int_equal(r->observed_at_ms, s_ms("2024-02-29T12:00:00Z") + 250);
    assert_string_equal(r->url, "http://x.example/a");
    assert_string_equal(r->text, "caf\xc3\xa9");
    assert_string_equal(r->category, "phishing");
    assert_string_equal(r->description, "fake bank");
    assert_string_equal(r->source, "feed-a");
    assert_string_equal(r->id, "0190f5c2-7a1b-7c3d-8e4f-0123456789ab");
    assert_string_equal(r->source_record_id, "r-17");
    assert_int_equal(r->confidence, 100);
    s_assert_ok(&rs, 1, 3);
    r = rs.res[1].r;
    assert_string_equal(r->url, "");
    assert_string_equal(r->text, "just text");
    assert_int_equal(r->observed_at_ms, 0);
    assert_int_equal(r->confidence, 0);
    s_free_all(&rs);
}

static void
test_csv_quoting(void **state)
{
    (void)state;
    results rs;
    s_read_str(ACC_IMPORT_CSV,
               "url,text,description\n"
               "http://a/,\"one, two\",\"she said \"\"hi\"\"\"\n"
               "http://b/,\"first line\nsecond line\",\"\"\n"
               "http://c/,plain,\"x\"\n",
               &rs);
    assert_int_equal(rs.n, 3);
    s_assert_ok(&rs, 0, 2);
    assert_string_equal(rs.res[0].r->text, "one, two");
    assert_string_equal(rs.res[0].r->description, "she said \"hi\"");
    s_assert_ok(&rs, 1, 3);
    assert_string_equal(rs.res[1].r->text, "first line\nsecond line");
    assert_string_equal(rs.res[1].r->description, "");
    /* the embedded newline is a physical line: the next record is on line 5 */
    s_assert_ok(&rs, 2, 5);
    assert_string_equal(rs.res[2].r->url, "http://c/");
    assert_string_equal(rs.res[2].r->description, "x");
    s_free_all(&rs);
}

static void
test_csv_column_mismatch(void **state)
{
    (void)state;
    results rs;
    s_read_str(ACC_IMPORT_CSV,
               "url,text,source\n"
               "http://a/,t\n"
               "http://b/,t,s,extra\n"
               "http://c/,t,s\n",
               &rs);
    assert_int_equal(rs.n, 3);
    s_assert_err(&rs, 0, ACC_ERR_INVALID, 2, "line 2");
    assert_string_equal(rs.res[0].ei.msg, "expected 3 columns, found 2");
    s_assert_err(&rs, 1, ACC_ERR_INVALID, 3, "line 3");
    assert_string_equal(rs.res[1].ei.msg, "expected 3 columns, found 4");
    s_assert_ok(&rs, 2, 4);
    assert_string_equal(rs.res[2].r->url, "http://c/");
    s_free_all(&rs);
}

static void
test_csv_syntax_errors(void **state)
{
    (void)state;
    results rs;
    /* junk after a closing quote; a stray quote; a bad value; then a good row, then an
     * unterminated quote that runs to the end */
    s_read_str(ACC_IMPORT_CSV,
               "url,text,observed_at\n"
               "http://a/,\"x\"y,\n"
               "http://b/,a\"b,\n"
               "http://c/,t,2023-02-29T00:00:00Z\n"
               "http://d/,t,\n"
               "http://e/,\"never closed\nstill open\n",
               &rs);
    assert_int_equal(rs.n, 5);
    s_assert_err(&rs, 0, ACC_ERR_INVALID, 2, "line 2");
    s_assert_err(&rs, 1, ACC_ERR_INVALID, 3, "line 3");
    s_assert_err(&rs, 2, ACC_ERR_INVALID, 4, "line 4: observed_at");
    s_assert_ok(&rs, 3, 5);
    assert_string_equal(rs.res[3].r->url, "http://d/");
    s_assert_err(&rs, 4, ACC_ERR_INVALID, 6, "line 6");
    assert_non_null(strstr(rs.res[4].ei.msg, "unterminated"));
    s_free_all(&rs);
}

static void
test_csv_utf8(void **state)
{
    (void)state;
    results rs;
    s_read_str(ACC_IMPORT_CSV,
               "url,text\n"
               "http://a/,bad \xc3\x28\n"
               "http://a/,overlong \xc0\xaf\n"
               "http://a/,\"cut \xe2\x82\"\n"
               "http://a/,nul\n"
               "http://b/,\xf0\x9f\x98\x80\n",
               &rs);
    assert_int_equal(rs.n, 5);
    s_assert_err(&rs, 0, ACC_ERR_UTF8, 2, "line 2: text");
    s_assert_err(&rs, 1, ACC_ERR_UTF8, 3, "line 3: text");
    s_assert_err(&rs, 2, ACC_ERR_UTF8, 4, "line 4: text");
    s_assert_ok(&rs, 3, 5);
    s_assert_ok(&rs, 4, 6);
    assert_string_equal(rs.res[4].r->text, "\xf0\x9f\x98\x80");
    s_free_all(&rs);

    /* a raw NUL byte in a cell */
    const char nul[] = "url,text\nhttp://a/,x\0y\n";
    s_read_all(ACC_IMPORT_CSV, nul, sizeof nul - 1, NULL, &rs);
    assert_int_equal(rs.n, 1);
    s_assert_err(&rs, 0, ACC_ERR_INVALID, 2, "line 2: text");
    s_free_all(&rs);
}

static void
test_csv_bom_crlf_blank(void **state)
{
    (void)state;
    results rs;
    s_read_str(ACC_IMPORT_CSV,
               "\xef\xbb\xbfurl,text\r\n"
               "http://a/,\"two\r\nlines\"\r\n"
               "\r\n"
               "\r\n"
               "http://b/,t\r\n"
               "http://c/,last",
               &rs);
    assert_int_equal(rs.n, 3);
    s_assert_ok(&rs, 0, 2);
    assert_string_equal(rs.res[0].r->url, "http://a/");
    assert_string_equal(rs.res[0].r->text, "two\r\nlines");
    s_assert_ok(&rs, 1, 6);
    assert_string_equal(rs.res[1].r->text, "t");
    s_assert_ok(&rs, 2, 7);
    assert_string_equal(rs.res[2].r->text, "last");
    s_free_all(&rs);
}

static void
test_csv_bad_header(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "",                              /* missing */
        "\n\n",                          /* missing */
        "url,colour\nhttp://a/,red\n",   /* unknown */
        "url,text,URL\n",                /* duplicate (case-insensitive) */
        "category,source\n",             /* neither url nor text */
        "url,\"text\n",                  /* unterminated */
        "url,,text\n",                   /* empty name */
        "\xef\xbb\xbf\xef\xbb\xbfurl\n", /* a second BOM is not skipped */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        acc_import_t *imp = (acc_import_t *)0x1;
        acc_errinfo_t ei;
        acc_errinfo_clear(&ei);
        acc_err rc = acc_import_new(ACC_IMPORT_CSV, bad[i], strlen(bad[i]), NULL, &imp, &ei);
        if (rc != ACC_ERR_INVALID)
            fail_msg("header %zu: got %s", i, acc_strerror(rc));
        assert_ptr_equal(imp, (acc_import_t *)0x1); /* untouched on failure */
        assert_string_equal(ei.field, "line 1");
    }
    acc_errinfo_t ei;
    acc_import_t *imp = NULL;
    acc_errinfo_clear(&ei);
    assert_int_equal(acc_import_new(ACC_IMPORT_CSV, "url,colour\n", 11, NULL, &imp, &ei),
                     ACC_ERR_INVALID);
    assert_non_null(strstr(ei.msg, "'colour'"));
    assert_int_equal(acc_import_new(ACC_IMPORT_CSV, "url,text,url\n", 13, NULL, &imp, &ei),
                     ACC_ERR_INVALID);
    assert_non_null(strstr(ei.msg, "duplicate"));
    assert_int_equal(acc_import_new(ACC_IMPORT_UNKNOWN, "x", 1, NULL, &imp, &ei), ACC_ERR_INVALID);
    assert_null(imp);

    /* a header alone is a valid, empty file; padded header names are accepted */
    results rs;
    s_read_str(ACC_IMPORT_CSV, " Text , url\n", &rs);
    assert_int_equal(rs.n, 0);
    s_read_str(ACC_IMPORT_CSV, " Text , url\nhello,http://a/\n", &rs);
    assert_int_equal(rs.n, 1);
    s_assert_ok(&rs, 0, 2);
    assert_string_equal(rs.res[0].r->text, "hello");
    assert_string_equal(rs.res[0].r->url, "http://a/");
    s_free_all(&rs);
}

static void
test_csv_confidence(void **state)
{
    (void)state;
    results rs;
    s_read_str(ACC_IMPORT_CSV, "url,confidence\na,0\nb,100\nc,101\nd,-1\ne,1x\nf,0050\n", &rs);
    assert_int_equal(rs.n, 6);
    s_assert_ok(&rs, 0, 2);
    assert_int_equal(rs.res[0].r->confidence, 0);
    s_assert_ok(&rs, 1, 3);
    assert_int_equal(rs.res[1].r->confidence, 100);
    s_assert_err(&rs, 2, ACC_ERR_INVALID, 4, "line 4: confidence");
    s_assert_err(&rs, 3, ACC_ERR_INVALID, 5, "line 5: confidence");
    s_assert_err(&rs, 4, ACC_ERR_INVALID, 6, "line 6: confidence");
    s_assert_err(&rs, 5, ACC_ERR_INVALID, 7, "line 7: confidence");
    s_free_all(&rs);
}

static void
test_csv_too_large(void **state)
{
    (void)state;
    size_t big = ((size_t)1 << 20) + 10;
    const char *head = "url,text\nhttp://a/,\"";
    const char *tail = "\nmore\"\nhttp://b/,t\n";
    size_t hl = strlen(head), tl = strlen(tail);
    char *buf = malloc(hl + big + tl);
    assert_non_null(buf);
    memcpy(buf, head, hl);
    memset(buf + hl, 'a', big);
    memcpy(buf + hl + big, tail, tl);
    results rs;
    s_read_all(ACC_IMPORT_CSV, buf, hl + big + tl, NULL, &rs);
    assert_int_equal(rs.n, 2);
    s_assert_err(&rs, 0, ACC_ERR_TOO_LARGE, 2, "line 2");
    s_assert_ok(&rs, 1, 4);
    assert_string_equal(rs.res[1].r->url, "http://b/");
    s_free_all(&rs);
    free(buf);
}

/* --- RFC 3339 and formats -------------------------------------------------------------- */

static void
test_rfc3339_valid(void **state)
{
    (void)state;
    assert_int_equal(s_ms("1970-01-01T00:00:00Z"), 0);
    assert_int_equal(s_ms("2000-01-01T00:00:00Z"), INT64_C(946684800000));
    assert_int_equal(s_ms("2026-11-20T08:30:00+07:00"), INT64_C(1795163400000) - 7 * 3600000);
    assert_int_equal(s_ms("2026-11-20T01:30:00Z"), INT64_C(1795163400000) - 7 * 3600000);
    assert_int_equal(s_ms("2026-11-20t01:30:00z"), s_ms("2026-11-20T01:30:00Z"));
    assert_int_equal(s_ms("2026-11-20 01:30:00Z"), s_ms("2026-11-20T01:30:00Z"));
    assert_int_equal(s_ms("2026-11-19T20:00:00-05:30"), s_ms("2026-11-20T01:30:00Z"));
    assert_int_equal(s_ms("2026-11-20T01:30:00-00:00"), s_ms("2026-11-20T01:30:00Z"));
    /* fractional seconds: 1, 3 and 9 digits (extra digits are cut, not rounded) */
    assert_int_equal(s_ms("1970-01-01T00:00:01.5Z"), 1500);
    assert_int_equal(s_ms("1970-01-01T00:00:01.123Z"), 1123);
    assert_int_equal(s_ms("1970-01-01T00:00:01.999999999Z"), 1999);
    /* leap days */
    assert_int_equal(s_ms("2024-02-29T00:00:00Z"), INT64_C(1709164800000));
    assert_int_equal(s_ms("2000-02-29T00:00:00Z") + 86400000, s_ms("2000-03-01T00:00:00Z"));
    assert_int_equal(s_ms("2023-02-28T00:00:00Z") + 86400000, s_ms("2023-03-01T00:00:00Z"));
    /* before the epoch */
    assert_int_equal(s_ms("1969-12-31T23:59:59.900Z"), -100);
    assert_int_equal(s_ms("0000-01-01T00:00:00Z"), INT64_C(-62167219200000));
    /* a leap second is accepted */
    assert_int_equal(s_ms("2016-12-31T23:59:60Z"), s_ms("2017-01-01T00:00:00Z"));
    assert_int_equal(s_ms("9999-12-31T23:59:59.999Z"), INT64_C(253402300799999));
}

static void
test_rfc3339_invalid(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "",
        "2026-11-20",
        "2026-11-20T08:30:00",  /* no offset */
        "2026-11-20T08:30Z",    /* no seconds */
        "2023-02-29T00:00:00Z", /* not a leap year */
        "1900-02-29T00:00:00Z", /* century, not a leap year */
        "2026-04-31T00:00:00Z",
        "2026-13-01T00:00:00Z",
        "2026-00-01T00:00:00Z",
        "2026-01-00T00:00:00Z",
        "2026-01-01T24:00:00Z",
        "2026-01-01T00:60:00Z",
        "2026-01-01T00:00:61Z",
        "2026-01-01T00:00:00.Z", /* empty fraction */
        "2026-01-01T00:00:00+7:00",
        "2026-01-01T00:00:00+07:60",
        "2026-01-01T00:00:00+24:00",
        "2026-01-01T00:00:00+0700",
        "2026-01-01T00:00:00Z ", /* trailing */
        "2026-01-01T00:00:00ZZ",
        "2026-01-01x00:00:00Z",
        "26-01-01T00:00:00Z",
        "2026/01/01T00:00:00Z",
        "+2026-01-01T00:00:00Z",
        "2026-01-01T00:00:00.12a4Z",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int64_t ms = 42;
        if (acc_time_parse_rfc3339(bad[i], &ms) != ACC_ERR_INVALID)
            fail_msg("'%s' was accepted", bad[i]);
        assert_int_equal(ms, 42);
    }
    int64_t ms = 42;
    assert_int_equal(acc_time_parse_rfc3339(NULL, &ms), ACC_ERR_INVALID);
}

static void
test_rfc3339_format(void **state)
{
    (void)state;
    char buf[32];
    acc_time_format_rfc3339(0, buf, sizeof buf);
    assert_string_equal(buf, "1970-01-01T00:00:00.000Z");
    acc_time_format_rfc3339(s_ms("2026-11-20T08:30:00.5+07:00"), buf, sizeof buf);
    assert_string_equal(buf, "2026-11-20T01:30:00.500Z");
    acc_time_format_rfc3339(-1, buf, sizeof buf);
    assert_string_equal(buf, "1969-12-31T23:59:59.999Z");
    acc_time_format_rfc3339(s_ms("2024-02-29T23:59:59.001Z"), buf, sizeof buf);
    assert_string_equal(buf, "2024-02-29T23:59:59.001Z");

    /* round trip over a spread of instants, including leap days and pre-epoch times */
    static const char *const ts[] = {
        "1970-01-01T00:00:00.000Z", "1999-12-31T23:59:59.999Z", "2000-02-29T12:34:56.789Z",
        "2100-03-01T00:00:00.000Z", "1600-02-29T06:00:00.001Z", "0001-01-01T00:00:00.000Z",
        "9999-12-31T23:59:59.999Z", "1969-07-20T20:17:40.000Z",
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
    /* extremes do not crash and stay in the buffer */
    acc_time_format_rfc3339(INT64_MIN, buf, sizeof buf);
    assert_true(strlen(buf) < sizeof buf);
    acc_time_format_rfc3339(INT64_MAX, buf, sizeof buf);
    assert_true(strlen(buf) < sizeof buf);
    /* a short buffer is cut, still terminated */
    char small[8];
    acc_time_format_rfc3339(0, small, sizeof small);
    assert_string_equal(small, "1970-01");
}

static void
test_format_detection(void **state)
{
    (void)state;
    assert_int_equal(acc_import_format_from_path("reports.jsonl"), ACC_IMPORT_JSONL);
    assert_int_equal(acc_import_format_from_path("/a/b/x.ndjson"), ACC_IMPORT_JSONL);
    assert_int_equal(acc_import_format_from_path("x.JSON"), ACC_IMPORT_JSONL);
    assert_int_equal(acc_import_format_from_path("dir.v2/Feed.CSV"), ACC_IMPORT_CSV);
    assert_int_equal(acc_import_format_from_path("x.csv.gz"), ACC_IMPORT_UNKNOWN);
    assert_int_equal(acc_import_format_from_path("dir.csv/file"), ACC_IMPORT_UNKNOWN);
    assert_int_equal(acc_import_format_from_path(".csv"), ACC_IMPORT_UNKNOWN);
    assert_int_equal(acc_import_format_from_path("x.txt"), ACC_IMPORT_UNKNOWN);
    assert_int_equal(acc_import_format_from_path("noext"), ACC_IMPORT_UNKNOWN);
    assert_int_equal(acc_import_format_from_path(NULL), ACC_IMPORT_UNKNOWN);
    assert_int_equal(acc_import_format_parse("JSONL"), ACC_IMPORT_JSONL);
    assert_int_equal(acc_import_format_parse("csv"), ACC_IMPORT_CSV);
    assert_int_equal(acc_import_format_parse("xml"), ACC_IMPORT_UNKNOWN);
    assert_int_equal(acc_import_format_parse(NULL), ACC_IMPORT_UNKNOWN);
}

static void
test_empty_and_destroy(void **state)
{
    (void)state;
    results rs;
    s_read_all(ACC_IMPORT_JSONL, NULL, 0, NULL, &rs);
    assert_int_equal(rs.n, 0);
    s_read_str(ACC_IMPORT_JSONL, "\n\n  \n", &rs);
    assert_int_equal(rs.n, 0);
    acc_import_t *imp = NULL;
    acc_import_destroy(&imp);
    acc_import_destroy(NULL);
    assert_int_equal(acc_import_offset(NULL), 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_jsonl_all_fields),
        cmocka_unit_test(test_jsonl_unknown_key),
        cmocka_unit_test(test_jsonl_wrong_type),
        cmocka_unit_test(test_jsonl_malformed),
        cmocka_unit_test(test_jsonl_utf8),
        cmocka_unit_test(test_jsonl_blank_crlf_bom),
        cmocka_unit_test(test_jsonl_too_large),
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_csv_all_fields),
        cmocka_unit_test(test_csv_quoting),
        cmocka_unit_test(test_csv_column_mismatch),
        cmocka_unit_test(test_csv_syntax_errors),
        cmocka_unit_test(test_csv_utf8),
        cmocka_unit_test(test_csv_bom_crlf_blank),
        cmocka_unit_test(test_csv_bad_header),
        cmocka_unit_test(test_csv_confidence),
        cmocka_unit_test(test_csv_too_large),
        cmocka_unit_test(test_rfc3339_valid),
        cmocka_unit_test(test_rfc3339_invalid),
        cmocka_unit_test(test_rfc3339_format),
        cmocka_unit_test(test_format_detection),
        cmocka_unit_test(test_empty_and_destroy),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
