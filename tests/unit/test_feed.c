/* Unit tests for acc_feed: the detection feed readers (MISP, URLhaus, PhishTank CSV and JSON,
 * OpenPhish, and jsonl/csv through acc_import), the skip counters, the tag map and the
 * sample feeds in deploy/samples/feeds/. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acc_feed.h"
#include "acc_feed_int.h"
#include "acc_url.h"

#define MAX_RESULTS 48

/* One call of acc_feed_next. */
typedef struct {
    acc_err rc;
    char where[96];
    Accord__V1__Report *r; /* NULL unless rc == ACC_OK */
    acc_errinfo_t ei;
} result;

typedef struct {
    size_t n;
    result res[MAX_RESULTS];
} results;

static const acc_feed_tagmap_t s_tags[] = {
    {"rsit:fraud=\"phishing\"", "phishing-malware"},
    {"rsit:fraud=\"scam\"", "scam"},
    {"SpyNote", "phishing-malware"},
    {"malware_download", "malware"},
};

static acc_feed_opts_t
s_opts(void)
{
    acc_feed_opts_t o = {.source = "feed-test",
                         .category = "default-cat",
                         .confidence = 60,
                         .tags = s_tags,
                         .n_tags = sizeof s_tags / sizeof s_tags[0]};
    return o;
}

/* s_read_all — run a reader over @data to the end; every result goes into @out. The
 * offset never goes back and ends at @len. */
static void
s_read_all(acc_feed_format fmt, const char *data, size_t len, const acc_feed_opts_t *opts,
           results *out)
{
    memset(out, 0, sizeof *out);
    acc_feed_t *feed = NULL;
    acc_errinfo_t ei;
    acc_errinfo_clear(&ei);
    acc_err rc = acc_feed_new(fmt, data, len, opts, &feed, &ei);
    if (rc != ACC_OK)
        fail_msg("acc_feed_new: %s: %s: %s", acc_strerror(rc), ei.field, ei.msg);
    size_t last = acc_feed_offset(feed);
    for (;;) {
        assert_true(out->n < MAX_RESULTS);
        result *x = &out->res[out->n];
        x->rc = acc_feed_next(feed, &x->r, x->where, sizeof x->where, &x->ei);
        if (x->rc == ACC_ERR_NOT_FOUND)
            break;
        if (x->rc != ACC_OK)
            assert_null(x->r);
        assert_true(acc_feed_offset(feed) >= last);
        last = acc_feed_offset(feed);
        out->n++;
    }
    assert_int_equal(acc_feed_offset(feed), len);
    acc_feed_destroy(&feed);
    assert_null(feed);
    acc_feed_destroy(&feed); /* twice is fine */
}

static void
s_free_all(results *rs)
{
    for (size_t i = 0; i < rs->n; i++)
        if (rs->res[i].r)
            accord__v1__report__free_unpacked(rs->res[i].r, NULL);
    rs->n = 0;
}

/* s_new_err — acc_feed_new must fail with @want; returns the details. */
static acc_errinfo_t
s_new_err(acc_feed_format fmt, const char *data, size_t len, acc_err want)
{
    acc_feed_opts_t o = s_opts();
    acc_feed_t *feed = NULL;
    acc_errinfo_t ei;
    acc_errinfo_clear(&ei);
    acc_err rc = acc_feed_new(fmt, data, len, &o, &feed, &ei);
    if (rc != want)
        fail_msg("acc_feed_new: want %s, got %s (%s: %s)", acc_strerror(want), acc_strerror(rc),
                 ei.field, ei.msg);
    assert_null(feed);
    assert_true(ei.msg[0] != '\0');
    return ei;
}

static char *
s_load(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        fail_msg("cannot open '%s' (run from the repository root)", path);
    char *buf = malloc(1 << 20);
    assert_non_null(buf);
    *len = fread(buf, 1, 1 << 20, f);
    fclose(f);
    return buf;
}

/* s_skip_count — the count for @reason, 0 when absent. */
static uint64_t
s_skip_count(const acc_feed_t *feed, const char *reason)
{
    const char *r;
    uint64_t c;
    for (size_t i = 0; (c = acc_feed_skips(feed, i, &r)) != 0; i++)
        if (strcmp(r, reason) == 0)
            return c;
    return 0;
}

static void
s_assert_ok(const result *x, const char *url, const char *id, int64_t ms, const char *category)
{
    if (x->rc != ACC_OK)
        fail_msg("%s: %s: %s: %s", x->where, acc_strerror(x->rc), x->ei.field, x->ei.msg);
    assert_string_equal(x->r->url, url);
    assert_string_equal(x->r->source_record_id, id);
    assert_int_equal(x->r->observed_at_ms, ms);
    assert_string_equal(x->r->category, category);
    assert_string_equal(x->r->source, "feed-test");
}

/* --- core ------------------------------------------------------------------------------- */

static void
test_format_names(void **state)
{
    (void)state;
    assert_int_equal(acc_feed_format_parse("misp"), ACC_FEED_MISP);
    assert_int_equal(acc_feed_format_parse("URLhaus"), ACC_FEED_URLHAUS);
    assert_int_equal(acc_feed_format_parse("PHISHTANK"), ACC_FEED_PHISHTANK);
    assert_int_equal(acc_feed_format_parse("openphish"), ACC_FEED_OPENPHISH);
    assert_int_equal(acc_feed_format_parse("stix"), ACC_FEED_STIX);
    assert_int_equal(acc_feed_format_parse("jsonl"), ACC_FEED_JSONL);
    assert_int_equal(acc_feed_format_parse("csv"), ACC_FEED_CSV);
    assert_int_equal(acc_feed_format_parse("unknown"), ACC_FEED_UNKNOWN);
    assert_int_equal(acc_feed_format_parse("mispx"), ACC_FEED_UNKNOWN);
    assert_int_equal(acc_feed_format_parse(""), ACC_FEED_UNKNOWN);
    assert_int_equal(acc_feed_format_parse(NULL), ACC_FEED_UNKNOWN);
    for (int f = ACC_FEED_JSONL; f <= ACC_FEED_OPENPHISH; f++)
        assert_int_equal(acc_feed_format_parse(acc_feed_format_name((acc_feed_format)f)), f);
    assert_string_equal(acc_feed_format_name(ACC_FEED_UNKNOWN), "unknown");
    assert_string_equal(acc_feed_format_name((acc_feed_format)99), "unknown");
}

static void
test_new_checks_opts(void **state)
{
    (void)state;
    acc_feed_t *feed = NULL;
    acc_errinfo_t ei;
    acc_feed_opts_t o = s_opts();
    o.source = "";
    assert_int_equal(acc_feed_new(ACC_FEED_OPENPHISH, "", 0, &o, &feed, &ei), ACC_ERR_INVALID);
    assert_string_equal(ei.field, "source");
    assert_int_equal(acc_feed_new(ACC_FEED_OPENPHISH, "", 0, NULL, &feed, &ei), ACC_ERR_INVALID);
    o = s_opts();
    o.confidence = 101;
    assert_int_equal(acc_feed_new(ACC_FEED_OPENPHISH, "", 0, &o, &feed, &ei), ACC_ERR_INVALID);
    o = s_opts();
    assert_int_equal(acc_feed_new(ACC_FEED_UNKNOWN, "", 0, &o, &feed, &ei), ACC_ERR_INVALID);
    assert_null(feed);
}

/* The reader copies its options: the caller's strings may go away. */
static void
test_opts_are_copied(void **state)
{
    (void)state;
    char source[16] = "openphish", category[16] = "scam", tag[16] = "Mozi", tcat[16] = "malware";
    acc_feed_tagmap_t map[1] = {{tag, tcat}};
    acc_feed_opts_t o = {.source = source, .category = category, .tags = map, .n_tags = 1};
    const char *data =
        "# id,dateadded,url,url_status,last_online,threat,tags,urlhaus_link,reporter\n"
        "\"1\",\"2026-11-20 08:15:04\",\"http://203.0.113.9/i\",\"online\",\"\","
        "\"malware_download\",\"mozi\",\"\",\"x\"\n";
    acc_feed_t *feed = NULL;
    acc_errinfo_t ei;
    assert_int_equal(acc_feed_new(ACC_FEED_URLHAUS, data, strlen(data), &o, &feed, &ei), ACC_OK);
    memset(source, 'X', sizeof source - 1);
    memset(category, 'X', sizeof category - 1);
    memset(tag, 'X', sizeof tag - 1);
    memset(tcat, 'X', sizeof tcat - 1);
    map[0].tag = NULL;
    Accord__V1__Report *r = NULL;
    char where[96];
    assert_int_equal(acc_feed_next(feed, &r, where, sizeof where, &ei), ACC_OK);
    assert_string_equal(r->source, "openphish");
    assert_string_equal(r->category, "malware"); /* "mozi" matched "Mozi", case-insensitively */
    assert_int_equal(r->confidence, 0);
    accord__v1__report__free_unpacked(r, NULL);
    assert_int_equal(acc_feed_next(feed, &r, where, sizeof where, &ei), ACC_ERR_NOT_FOUND);
    acc_feed_destroy(&feed);
}

static void
test_report_new_and_domain_url(void **state)
{
    (void)state;
    acc_feed_opts_t o = s_opts();
    const char *tags[] = {"tlp:green", "RSIT:FRAUD=\"SCAM\"", "rsit:fraud=\"phishing\""};
    Accord__V1__Report *r = acc_feed_report_new(&o, "http://a.example/", "id-1", 1234, tags, 3);
    assert_non_null(r);
    assert_string_equal(r->url, "http://a.example/");
    assert_string_equal(r->source_record_id, "id-1");
    assert_string_equal(r->source, "feed-test");
    assert_int_equal(r->observed_at_ms, 1234);
    assert_int_equal(r->confidence, 60);
    /* the first tag the map knows wins, not the first map entry */
    assert_string_equal(r->category, "scam");
    accord__v1__report__free_unpacked(r, NULL);
    /* no tag known: the default; no record id: empty */
    r = acc_feed_report_new(&o, "http://a.example/", NULL, 0, tags, 1);
    assert_non_null(r);
    assert_string_equal(r->category, "default-cat");
    assert_string_equal(r->source_record_id, "");
    accord__v1__report__free_unpacked(r, NULL);
    o.category = NULL;
    r = acc_feed_report_new(&o, "http://a.example/", "x", 0, NULL, 0);
    assert_non_null(r);
    assert_string_equal(r->category, "");
    accord__v1__report__free_unpacked(r, NULL);

    char *u = acc_feed_domain_url("nhan-qua-tri-an-evn.com");
    assert_non_null(u);
    assert_string_equal(u, "http://nhan-qua-tri-an-evn.com/");
    free(u);
}

static void
test_skip_reasons_capped_and_cleaned(void **state)
{
    (void)state;
    acc_feed_opts_t o = s_opts();
    acc_feed_t *feed = NULL;
    acc_errinfo_t ei;
    assert_int_equal(acc_feed_new(ACC_FEED_OPENPHISH, "", 0, &o, &feed, &ei), ACC_OK);
    char reason[64];
    for (int i = 0; i < 40; i++) {
        snprintf(reason, sizeof reason, "misp attribute type 't%d'", i);
        assert_int_equal(acc_feed_skip(feed, reason), ACC_OK);
    }
    assert_int_equal(acc_feed_skip(feed, "misp attribute type 't3'"), ACC_OK);
    assert_int_equal(acc_feed_skip(feed, "bad\x1b[31m"), ACC_OK);
    const char *r = NULL;
    assert_int_equal(acc_feed_skips(feed, 3, &r), 2);
    assert_string_equal(r, "misp attribute type 't3'");
    assert_int_equal(acc_feed_skips(feed, 31, &r), 1);
    assert_string_equal(r, "misp attribute type 't31'");
    /* 8 more distinct reasons and the escape sequence share one bucket */
    assert_int_equal(acc_feed_skips(feed, 32, &r), 9);
    assert_string_equal(r, "other reasons");
    assert_int_equal(acc_feed_skips(feed, 33, &r), 0);
    acc_feed_destroy(&feed);

    assert_int_equal(acc_feed_new(ACC_FEED_OPENPHISH, "", 0, &o, &feed, &ei), ACC_OK);
    assert_int_equal(acc_feed_skip(feed, "bad\x1b[31m"), ACC_OK);
    assert_int_equal(acc_feed_skips(feed, 0, &r), 1);
    assert_string_equal(r, "bad?[31m");
    acc_feed_destroy(&feed);
}

/* --- jsonl / csv through acc_import ------------------------------------------------------ */

static void
test_jsonl_passthrough(void **state)
{
    (void)state;
    const char *data =
        "{\"url\":\"http://vietcombank-xacthuc.online/dang-nhap\",\"source\":\"citizen\","
        "\"observed_at\":\"2026-11-20T08:15:00+07:00\",\"source_record_id\":\"r1\"}\n"
        "\n"
        "{\"url\":\"https://nhan-qua-tri-an-evn.com/\",\"category\":\"impersonation\","
        "\"confidence\":90}\n"
        "{\"url\":42}\n";
    acc_feed_opts_t o = s_opts();
    results rs;
    s_read_all(ACC_FEED_JSONL, data, strlen(data), &o, &rs);
    assert_int_equal(rs.n, 3);
    /* the feed's source replaces the record's own */
    s_assert_ok(&rs.res[0], "http://vietcombank-xacthuc.online/dang-nhap", "r1",
                INT64_C(1795137300000), "default-cat");
    assert_string_equal(rs.res[0].where, "line 1");
    assert_int_equal(rs.res[0].r->confidence, 60);
    s_assert_ok(&rs.res[1], "https://nhan-qua-tri-an-evn.com/", "", 0, "impersonation");
    assert_string_equal(rs.res[1].where, "line 3");
    assert_int_equal(rs.res[1].r->confidence, 90);
    assert_int_equal(rs.res[2].rc, ACC_ERR_INVALID);
    assert_string_equal(rs.res[2].where, "line 4");
    s_free_all(&rs);
}

static void
test_csv_passthrough(void **state)
{
    (void)state;
    const char *data = "url,source,category\r\n"
                       "http://dichvucong-gov.top/nop-phat-nguoi,officer,impersonation\r\n"
                       "http://a.example/,,\r\n"
                       "http://b.example/,x\r\n";
    acc_feed_opts_t o = s_opts();
    o.confidence = 0;
    results rs;
    s_read_all(ACC_FEED_CSV, data, strlen(data), &o, &rs);
    assert_int_equal(rs.n, 3);
    s_assert_ok(&rs.res[0], "http://dichvucong-gov.top/nop-phat-nguoi", "", 0, "impersonation");
    assert_string_equal(rs.res[0].where, "line 2");
    assert_int_equal(rs.res[0].r->confidence, 0);
    s_assert_ok(&rs.res[1], "http://a.example/", "", 0, "default-cat");
    assert_int_equal(rs.res[2].rc, ACC_ERR_INVALID);
    assert_string_equal(rs.res[2].where, "line 4");
    assert_string_equal(rs.res[2].ei.msg, "expected 3 columns, found 2");
    s_free_all(&rs);
    s_new_err(ACC_FEED_CSV, "link,source\n", 12, ACC_ERR_INVALID);
}

/* --- MISP -------------------------------------------------------------------------------- */

static void
test_misp_sample(void **state)
{
    (void)state;
    size_t len;
    char *data = s_load("deploy/samples/feeds/misp-event.json", &len);
    acc_feed_opts_t o = s_opts();
    acc_feed_t *feed = NULL;
    acc_errinfo_t ei;
    assert_int_equal(acc_feed_new(ACC_FEED_MISP, data, len, &o, &feed, &ei), ACC_OK);
    results rs = {0};
    for (;;) {
        result *x = &rs.res[rs.n];
        x->rc = acc_feed_next(feed, &x->r, x->where, sizeof x->where, &x->ei);
        if (x->rc == ACC_ERR_NOT_FOUND)
            break;
        rs.n++;
    }
    assert_int_equal(rs.n, 7);
    /* first_seen (+07:00) wins over timestamp; the event's phishing tag maps */
    s_assert_ok(&rs.res[0], "http://vietcombank-xacthuc.online/dang-nhap",
                "7a3e1c52-1f0b-4d6e-a2c4-0b9e5d3f1a01", INT64_C(1795137304000), "phishing-malware");
    assert_string_equal(rs.res[0].where, "attribute 7a3e1c52-1f0b-4d6e-a2c4-0b9e5d3f1a01");
    assert_int_equal(rs.res[0].r->confidence, 60);
    /* a domain becomes http://DOMAIN/; the attribute's own tag comes before the event's */
    s_assert_ok(&rs.res[1], "http://nhan-qua-tri-an-evn.com/",
                "7a3e1c52-1f0b-4d6e-a2c4-0b9e5d3f1a02", INT64_C(1795162500000), "scam");
    /* hostname, timestamp as a JSON number */
    s_assert_ok(&rs.res[2], "http://thanhtoan.dichvucong-gov.top/",
                "7a3e1c52-1f0b-4d6e-a2c4-0b9e5d3f1a03", INT64_C(1795163400000), "phishing-malware");
    /* domain|ip: the domain part */
    s_assert_ok(&rs.res[3], "http://viec-lam-online-luong-cao.net/",
                "7a3e1c52-1f0b-4d6e-a2c4-0b9e5d3f1a07", INT64_C(1795164000000), "phishing-malware");
    /* inside an object; the attribute's malware_download tag comes first */
    s_assert_ok(&rs.res[4], "http://tai-app-vneid.com/./VNeID.apk",
                "7a3e1c52-1f0b-4d6e-a2c4-0b9e5d3f1a10", INT64_C(1795164600000), "malware");
    s_assert_ok(&rs.res[5], "http://tai-app-vneid.com/", "7a3e1c52-1f0b-4d6e-a2c4-0b9e5d3f1a12",
                INT64_C(1795164600000), "phishing-malware");
    s_assert_ok(&rs.res[6], "https://momo-hoantien.site/xac-nhan?ma=VN2611",
                "7a3e1c52-1f0b-4d6e-a2c4-0b9e5d3f1a13", INT64_C(1795228200000), "phishing-malware");
    assert_int_equal(s_skip_count(feed, "misp attribute type 'sha256'"), 1);
    assert_int_equal(s_skip_count(feed, "misp attribute type 'email-src'"), 1);
    assert_int_equal(s_skip_count(feed, "misp attribute type 'ip-dst'"), 1);
    assert_int_equal(s_skip_count(feed, "misp attribute type 'text'"), 1);
    assert_int_equal(s_skip_count(feed, "misp attribute deleted"), 1);
    assert_int_equal(acc_feed_skips(feed, 5, NULL), 0);
    assert_int_equal(acc_feed_offset(feed), len);
    acc_feed_destroy(&feed);
    s_free_all(&rs);
    free(data);
}

#define EV(uuid, extra, attrs)                                                                     \
    "{\"Event\":{\"uuid\":\"" uuid "\"" extra ",\"Attribute\":[" attrs "]}}"

static void
test_misp_shapes_and_times(void **state)
{
    (void)state;
    acc_feed_opts_t o = s_opts();
    results rs;
    /* a list of events; event timestamp and date as fallbacks; no attribute uuid */
    const char *list = "[" EV("ev-1", ",\"timestamp\":\"1795161600\"",
                              "{\"type\":\"url\",\"value\":\"http://a.example/x\"},"
                              "{\"type\":\"link\",\"value\":\"http://b.example/"
                              "\",\"uuid\":\"at-2\"}") "," EV("ev-2",
                                                              ",\"date\":\"2026-11-21\",\"Tag\":[{"
                                                              "\"name\":\"RSIT:FRAUD="
                                                              "\\\"PHISHING\\\"\"}]",
                                                              "{\"type\":\"domain\",\"value\":\"c."
                                                              "example\",\"Tag\":[{\"name\":\"tlp:"
                                                              "white\"},{\"x\":1}]}") ",{\"Event\":"
                                                                                      "{\"Attribute"
                                                                                      "\":[{"
                                                                                      "\"type\":"
                                                                                      "\"url\","
                                                                                      "\"value\":"
                                                                                      "\"http://"
                                                                                      "d.example/"
                                                                                      "\","
                                                                                      "\"first_"
                                                                                      "seen\":"
                                                                                      "\"2026-11-"
                                                                                      "20T08:15:04."
                                                                                      "123456+"
                                                                                      "0700\"}],"
                                                                                      "\"Object\":["
                                                                                      "{\"Attribute"
                                                                                      "\":[{"
                                                                                      "\"type\":"
                                                                                      "\"hostname\""
                                                                                      ",\"value\":"
                                                                                      "\"e."
                                                                                      "example\"}]}"
                                                                                      "]}}]";
    s_read_all(ACC_FEED_MISP, list, strlen(list), &o, &rs);
    assert_int_equal(rs.n, 5);
    s_assert_ok(&rs.res[0], "http://a.example/x", "", INT64_C(1795161600000), "default-cat");
    assert_string_equal(rs.res[0].where, "event ev-1 attribute #1");
    s_assert_ok(&rs.res[1], "http://b.example/", "at-2", INT64_C(1795161600000), "default-cat");
    assert_string_equal(rs.res[1].where, "attribute at-2");
    s_assert_ok(&rs.res[2], "http://c.example/", "", INT64_C(1795219200000), "phishing-malware");
    s_assert_ok(&rs.res[3], "http://d.example/", "", INT64_C(1795137304123), "default-cat");
    assert_string_equal(rs.res[3].where, "event #3 attribute #1");
    s_assert_ok(&rs.res[4], "http://e.example/", "", 0, "default-cat");
    assert_string_equal(rs.res[4].where, "event #3 object #1 attribute #1");
    s_free_all(&rs);

    /* a REST search answer */
    const char *resp = "{\"response\":[" EV("ev-9", "",
                                            "{\"type\":\"url\",\"value\":\"http://f.example/\","
                                            "\"uuid\":\"u9\",\"timestamp\":1795161600}") "]}";
    s_read_all(ACC_FEED_MISP, resp, strlen(resp), &o, &rs);
    assert_int_equal(rs.n, 1);
    s_assert_ok(&rs.res[0], "http://f.example/", "u9", INT64_C(1795161600000), "default-cat");
    s_free_all(&rs);

    /* an empty list and an event with no attributes are fine, with nothing in them */
    s_read_all(ACC_FEED_MISP, "[]", 2, &o, &rs);
    assert_int_equal(rs.n, 0);
    s_read_all(ACC_FEED_MISP, "{\"Event\":{}}", 12, &o, &rs);
    assert_int_equal(rs.n, 0);
    /* a byte order mark is allowed */
    const char *bom =
        "\xEF\xBB\xBF" EV("e", "", "{\"type\":\"url\",\"value\":\"http://g.example/\"}");
    s_read_all(ACC_FEED_MISP, bom, strlen(bom), &o, &rs);
    assert_int_equal(rs.n, 1);
    assert_int_equal(rs.res[0].rc, ACC_OK);
    s_free_all(&rs);
}

static void
test_misp_document_errors(void **state)
{
    (void)state;
    /* truncated */
    const char *trunc = "{\"Event\":{\"uuid\":\"e\",\n\"Attribute\":[{\"type\":\"url\",";
    acc_errinfo_t ei = s_new_err(ACC_FEED_MISP, trunc, strlen(trunc), ACC_ERR_DECODE);
    assert_non_null(strstr(ei.field, "line 2, column"));
    /* JSON, but not an event */
    const char *not_event[] = {"{\"type\":\"bundle\",\"objects\":[]}",
                               "[1,2]",
                               "\"Event\"",
                               "{\"Event\":[]}",
                               "{\"response\":{\"Attribute\":[]}}",
                               "[{\"Event\":{}},{\"event\":{}}]"};
    for (size_t i = 0; i < sizeof not_event / sizeof not_event[0]; i++) {
        ei = s_new_err(ACC_FEED_MISP, not_event[i], strlen(not_event[i]), ACC_ERR_INVALID);
        assert_non_null(strstr(ei.msg, "expected a misp event"));
    }
    assert_string_equal(ei.field, "event #2");
    /* non-UTF-8 anywhere rejects the whole document */
    const char *bad = EV("e", "", "{\"type\":\"url\",\"value\":\"http://vi\xe1\xbb.example/\"}");
    s_new_err(ACC_FEED_MISP, bad, strlen(bad), ACC_ERR_UTF8);
    /* "\u0000" would cut a string short */
    const char *nul = EV("e", "", "{\"type\":\"url\",\"value\":\"http://a\\u0000.example/\"}");
    s_new_err(ACC_FEED_MISP, nul, strlen(nul), ACC_ERR_DECODE);
    s_new_err(ACC_FEED_MISP, "", 0, ACC_ERR_DECODE);
    const char *dup = "{\"Event\":{},\"Event\":{}}";
    s_new_err(ACC_FEED_MISP, dup, strlen(dup), ACC_ERR_DECODE);
}

static void
test_misp_attribute_errors(void **state)
{
    (void)state;
    const char *doc =
        EV("ev-x", ",\"timestamp\":\"soon\"",
           "{\"type\":\"url\",\"uuid\":\"a1\",\"value\":42},"
           "{\"type\":\"url\",\"value\":[\"http://x.example/\"]},"
           "{\"type\":\"domain\",\"uuid\":\"a3\",\"value\":\"evil.example@bank.example\"},"
           "{\"type\":\"domain|ip\",\"uuid\":\"a4\",\"value\":\"no-ip.example\"},"
           "{\"type\":\"url\",\"uuid\":\"a5\",\"value\":\"http://ok.example/"
           "\",\"timestamp\":\"17951616000000\"},"
           "{\"type\":\"url\",\"uuid\":\"a6\",\"value\":\"http://ok.example/"
           "\",\"first_seen\":\"yesterday\"},"
           "{\"type\":\"url\",\"uuid\":\"a7\",\"value\":\"http://ok.example/\"},"
           "{\"uuid\":\"a8\",\"value\":\"http://ok.example/\"},"
           "\"not an attribute\","
           "{\"type\":\"url\",\"uuid\":7,\"value\":\"http://ok.example/\"},"
           "{\"type\":\"url\",\"uuid\":\"a11\",\"value\":\"\"},"
           "{\"type\":\"url\",\"uuid\":\"a12\",\"value\":\"http://ok.example/"
           "z\",\"timestamp\":\"1795161600\"}");
    acc_feed_opts_t o = s_opts();
    results rs;
    s_read_all(ACC_FEED_MISP, doc, strlen(doc), &o, &rs);
    assert_int_equal(rs.n, 12);
    static const char *const wheres[] = {"attribute a1",
                                         "event ev-x attribute #2",
                                         "attribute a3",
                                         "attribute a4",
                                         "attribute a5",
                                         "attribute a6",
                                         "attribute a7",
                                         "attribute a8",
                                         "event ev-x attribute #9",
                                         "event ev-x attribute #10",
                                         "attribute a11",
                                         "attribute a12"};
    for (size_t i = 0; i < 11; i++) {
        assert_int_equal(rs.res[i].rc, ACC_ERR_INVALID);
        assert_string_equal(rs.res[i].where, wheres[i]);
        assert_string_equal(rs.res[i].ei.field, wheres[i]);
    }
    assert_string_equal(rs.res[0].ei.msg, "'value' must be a string");
    assert_string_equal(rs.res[1].ei.msg, "'value' must be a string");
    assert_string_equal(rs.res[2].ei.msg, "domain 'evil.example@bank.example' is not a host name");
    assert_non_null(strstr(rs.res[3].ei.msg, "no '|'"));
    assert_non_null(strstr(rs.res[4].ei.msg, "'timestamp'"));
    assert_non_null(strstr(rs.res[5].ei.msg, "'first_seen'"));
    assert_non_null(strstr(rs.res[6].ei.msg, "event 'timestamp'")); /* fallback is bad */
    assert_string_equal(rs.res[7].ei.msg, "'type' must be a string");
    assert_string_equal(rs.res[8].ei.msg, "attribute is not a json object");
    assert_string_equal(rs.res[9].ei.msg, "'uuid' must be a string");
    assert_string_equal(rs.res[10].ei.msg, "'value' is empty");
    /* good records after bad ones are still read */
    s_assert_ok(&rs.res[11], "http://ok.example/z", "a12", INT64_C(1795161600000), "default-cat");
    s_free_all(&rs);

    /* lists that are not lists */
    const char *shape = "{\"Event\":{\"uuid\":\"ev-y\",\"Attribute\":{\"type\":\"url\"},"
                        "\"Object\":[3,{\"Attribute\":\"x\"}]}}";
    s_read_all(ACC_FEED_MISP, shape, strlen(shape), &o, &rs);
    assert_int_equal(rs.n, 3);
    assert_int_equal(rs.res[0].rc, ACC_ERR_INVALID);
    assert_string_equal(rs.res[0].where, "event ev-y");
    assert_string_equal(rs.res[1].where, "event ev-y object #1");
    assert_string_equal(rs.res[1].ei.msg, "object is not a json object");
    assert_string_equal(rs.res[2].where, "event ev-y object #2");
    assert_string_equal(rs.res[2].ei.msg, "'Attribute' must be an array");
    s_free_all(&rs);
}

static void
test_misp_skips(void **state)
{
    (void)state;
    const char *doc = EV("e", "",
                         "{\"type\":\"ip-dst\",\"value\":\"203.0.113.5\"},"
                         "{\"type\":\"ip-dst\",\"value\":\"203.0.113.6\"},"
                         "{\"type\":\"url\",\"value\":\"http://x.example/\",\"deleted\":true},"
                         "{\"type\":\"url\",\"value\":\"http://y.example/\",\"deleted\":\"1\"},"
                         "{\"type\":\"url\",\"value\":\"http://z.example/\",\"deleted\":false,"
                         "\"to_ids\":false},"
                         "{\"type\":\"t\\u001b[0m\",\"value\":\"v\"},"
                         "{\"type\":\"md5\",\"value\":7}");
    acc_feed_opts_t o = s_opts();
    acc_feed_t *feed = NULL;
    acc_errinfo_t ei;
    assert_int_equal(acc_feed_new(ACC_FEED_MISP, doc, strlen(doc), &o, &feed, &ei), ACC_OK);
    Accord__V1__Report *r = NULL;
    char where[96];
    /* skipped objects are not calls: the first call returns the one report */
    assert_int_equal(acc_feed_next(feed, &r, where, sizeof where, &ei), ACC_OK);
    assert_string_equal(r->url, "http://z.example/");
    accord__v1__report__free_unpacked(r, NULL);
    assert_int_equal(acc_feed_next(feed, &r, where, sizeof where, &ei), ACC_ERR_NOT_FOUND);
    assert_int_equal(s_skip_count(feed, "misp attribute type 'ip-dst'"), 2);
    assert_int_equal(s_skip_count(feed, "misp attribute deleted"), 2);
    assert_int_equal(s_skip_count(feed, "misp attribute type 't?[0m'"), 1);
    /* the type decides before the value is looked at */
    assert_int_equal(s_skip_count(feed, "misp attribute type 'md5'"), 1);
    acc_feed_destroy(&feed);
}

/* --- URLhaus ------------------------------------------------------------------------------- */

static void
test_urlhaus_sample(void **state)
{
    (void)state;
    size_t len;
    char *data = s_load("deploy/samples/feeds/urlhaus.csv", &len);
    acc_feed_opts_t o = s_opts();
    results rs;
    s_read_all(ACC_FEED_URLHAUS, data, len, &o, &rs);
    assert_int_equal(rs.n, 8);
    /* the SpyNote tag maps before the threat does */
    s_assert_ok(&rs.res[0], "http://TAI-APP-VNEID.COM/VNeID.apk", "3390418", INT64_C(1795326069000),
                "phishing-malware");
    assert_string_equal(rs.res[0].where, "line 10");
    /* no tag known: the threat "malware_download" maps */
    s_assert_ok(&rs.res[1], "http://203.0.113.45:35689/i", "3390417", INT64_C(1795320775000),
                "malware");
    s_assert_ok(&rs.res[7], "http://cskh-evn-hoantien.com/EVNApp.apk", "3390311",
                INT64_C(1795162504000), "malware");
    assert_string_equal(rs.res[7].where, "line 17");
    for (size_t i = 0; i < rs.n; i++)
        assert_int_equal(rs.res[i].r->confidence, 60);
    s_free_all(&rs);
    free(data);
}

static void
test_urlhaus_rows(void **state)
{
    (void)state;
    const char *data =
        "id,dateadded,url,url_status,last_online,threat,tags,urlhaus_link,reporter\r\n"
        "\"1\",\"2026-11-20 08:15:04\",\"http://a.example/\",\"online\",\"\",\"\","
        "\"32-bit, elf ,mips,Mozi\",\"https://urlhaus.abuse.ch/url/1/\",\"r\"\r\n"
        "# a comment between rows\r\n"
        "\"2\",\"2026-11-20 08:15:04\",\"http://b.example/\",\"online\",\"\",\"\",\"a,b\",\"\"\r\n"
        "\r\n"
        "\"3\",\"2026-11-20 "
        "08:15:04\",\"http://vi\xe1\xbb.example/\",\"online\",\"\",\"\",\"\",\"\",\"r\"\n"
        "\"4\",\"20/11/2026\",\"http://c.example/\",\"online\",\"\",\"\",\"\",\"\",\"r\"\n"
        "\"5\",\"2026-11-20 08:15:04\",\"\",\"online\",\"\",\"\",\"\",\"\",\"r\"\n"
        "\"6\",\"2026-11-20 "
        "08:15:04\",\"http://d.example/\"x,\"online\",\"\",\"\",\"\",\"\",\"r\"\n"
        "\"7\",\"\",\"http://e.example/\",\"online\",\"\",\"\",\"ELF\",\"\",\"r\"\n";
    acc_feed_tagmap_t map[] = {{"mozi", "malware"}, {"elf", "phishing-malware"}, {"b", "scam"}};
    acc_feed_opts_t o = {.source = "feed-test", .tags = map, .n_tags = 3};
    results rs;
    s_read_all(ACC_FEED_URLHAUS, data, strlen(data), &o, &rs);
    assert_int_equal(rs.n, 7);
    /* tags split at the commas inside the field and trimmed: "elf" is the first mapped */
    s_assert_ok(&rs.res[0], "http://a.example/", "1", INT64_C(1795162504000), "phishing-malware");
    assert_string_equal(rs.res[0].where, "line 2");
    assert_int_equal(rs.res[1].rc, ACC_ERR_INVALID);
    assert_string_equal(rs.res[1].where, "line 4");
    assert_string_equal(rs.res[1].ei.field, "line 4");
    assert_string_equal(rs.res[1].ei.msg, "expected 9 columns, found 8");
    assert_int_equal(rs.res[2].rc, ACC_ERR_UTF8);
    assert_string_equal(rs.res[2].where, "line 6");
    assert_string_equal(rs.res[2].ei.msg, "'url' is not valid utf-8");
    assert_int_equal(rs.res[3].rc, ACC_ERR_INVALID);
    assert_non_null(strstr(rs.res[3].ei.msg, "'dateadded'"));
    assert_int_equal(rs.res[4].rc, ACC_ERR_INVALID);
    assert_string_equal(rs.res[4].ei.msg, "'url' is empty");
    assert_int_equal(rs.res[5].rc, ACC_ERR_INVALID);
    assert_non_null(strstr(rs.res[5].ei.msg, "after closing quote"));
    /* no dateadded: no time; tags match case-insensitively */
    s_assert_ok(&rs.res[6], "http://e.example/", "7", 0, "phishing-malware");
    assert_string_equal(rs.res[6].where, "line 10");
    s_free_all(&rs);
    /* an unterminated quote at the end of the data */
    const char *tail =
        "\"8\",\"2026-11-20 08:15:04\",\"http://f.example/\",\"o\",\"\",\"\",\"\",\"\",\"r";
    s_read_all(ACC_FEED_URLHAUS, tail, strlen(tail), &o, &rs);
    assert_int_equal(rs.n, 1);
    assert_int_equal(rs.res[0].rc, ACC_ERR_INVALID);
    assert_non_null(strstr(rs.res[0].ei.msg, "unterminated quoted field"));
    s_free_all(&rs);
    /* only banner: nothing */
    s_read_all(ACC_FEED_URLHAUS, "# a\n#b\r\n\n", 9, &o, &rs);
    assert_int_equal(rs.n, 0);
}

/* --- PhishTank ------------------------------------------------------------------------------- */

static void
test_phishtank_csv(void **state)
{
    (void)state;
    size_t len;
    char *data = s_load("deploy/samples/feeds/phishtank.csv", &len);
    acc_feed_opts_t o = s_opts();
    results rs;
    s_read_all(ACC_FEED_PHISHTANK, data, len, &o, &rs);
    assert_int_equal(rs.n, 7);
    s_assert_ok(&rs.res[0], "http://vietcombank-xacthuc.online:80/dang-nhap", "8912345",
                INT64_C(1795140611000), "default-cat");
    assert_string_equal(rs.res[0].where, "line 2");
    /* a quoted URL with commas */
    s_assert_ok(&rs.res[1], "https://shopee-tri-an.shop/nhan-thuong?sp=1,2,3", "8912351",
                INT64_C(1795153442000), "default-cat");
    /* not verified: still a report, with the default confidence */
    s_assert_ok(&rs.res[5], "https://vneid-capnhat.top/dinh-danh-muc-2", "8912433",
                INT64_C(1795247506000), "default-cat");
    assert_int_equal(rs.res[5].r->confidence, 60);
    s_free_all(&rs);
    free(data);

    const char *rows =
        "Phish_ID, URL ,phish_detail_url,submission_time,verified,verification_time,online,target\n"
        "1,http://a.example/,d,2026-11-20T08:15:04+07:00,yes,,yes,Other\n"
        "2,\"http://b.example/?q=1,2\",d,,yes,,yes\n"
        "3,http://c.example/\xff,d,,yes,,yes,Other\n"
        "4,http://d.example/,d,20/11/2026,yes,,yes,Other\n"
        ",http://e.example/,d,,yes,,yes,Other\n"
        "6,\"http://f.example/\nsecond\",d,,yes,,yes,Other\n"
        "7,http://g.example/,d,,yes,,yes,Other\n";
    s_read_all(ACC_FEED_PHISHTANK, rows, strlen(rows), &o, &rs);
    assert_int_equal(rs.n, 7);
    s_assert_ok(&rs.res[0], "http://a.example/", "1", INT64_C(1795137304000), "default-cat");
    assert_int_equal(rs.res[1].rc, ACC_ERR_INVALID);
    assert_string_equal(rs.res[1].ei.msg, "expected 8 columns, found 7");
    assert_int_equal(rs.res[2].rc, ACC_ERR_UTF8);
    assert_string_equal(rs.res[2].where, "line 4");
    assert_int_equal(rs.res[3].rc, ACC_ERR_INVALID);
    assert_non_null(strstr(rs.res[3].ei.msg, "'submission_time'"));
    assert_int_equal(rs.res[4].rc, ACC_ERR_INVALID);
    assert_string_equal(rs.res[4].ei.msg, "'phish_id' is empty");
    /* a newline inside quotes: the row starts on line 7 and the next on line 9 */
    s_assert_ok(&rs.res[5], "http://f.example/\nsecond", "6", 0, "default-cat");
    assert_string_equal(rs.res[5].where, "line 7");
    s_assert_ok(&rs.res[6], "http://g.example/", "7", 0, "default-cat");
    assert_string_equal(rs.res[6].where, "line 9");
    s_free_all(&rs);

    /* the header is checked at open */
    const char *hdr = "id,url\n1,http://a.example/\n";
    acc_errinfo_t ei = s_new_err(ACC_FEED_PHISHTANK, hdr, strlen(hdr), ACC_ERR_INVALID);
    assert_string_equal(ei.field, "line 1");
    assert_non_null(strstr(ei.msg, "phishtank csv header"));
    s_new_err(ACC_FEED_PHISHTANK, "\n\n", 2, ACC_ERR_INVALID);
}

static void
test_phishtank_json(void **state)
{
    (void)state;
    size_t len;
    char *data = s_load("deploy/samples/feeds/phishtank.json", &len);
    acc_feed_opts_t o = s_opts();
    results rs;
    s_read_all(ACC_FEED_PHISHTANK, data, len, &o, &rs);
    assert_int_equal(rs.n, 6);
    /* phish_id as a number and as a string */
    s_assert_ok(&rs.res[0], "http://vietcombank-xacthuc.online:80/dang-nhap", "8912345",
                INT64_C(1795140611000), "default-cat");
    assert_string_equal(rs.res[0].where, "phish_id 8912345");
    s_assert_ok(&rs.res[1], "https://shopee-tri-an.shop/nhan-thuong?sp=1,2,3", "8912351",
                INT64_C(1795153442000), "default-cat");
    s_assert_ok(&rs.res[3], "https://vneid-capnhat.top/dinh-danh-muc-2", "8912433",
                INT64_C(1795247506000), "default-cat");
    s_free_all(&rs);
    free(data);

    const char *entries =
        "  \n[{\"phish_id\":1,\"url\":\"http://a.example/\",\"extra\":{}},"
        "3,"
        "{\"url\":\"http://b.example/\"},"
        "{\"phish_id\":4,\"url\":5},"
        "{\"phish_id\":\"5\",\"url\":\"http://c.example/\",\"submission_time\":7},"
        "{\"phish_id\":-6,\"url\":\"http://d.example/\"},"
        "{\"phish_id\":7,\"url\":\"http://e.example/\",\"submission_time\":null}]";
    s_read_all(ACC_FEED_PHISHTANK, entries, strlen(entries), &o, &rs);
    assert_int_equal(rs.n, 7);
    s_assert_ok(&rs.res[0], "http://a.example/", "1", 0, "default-cat");
    assert_int_equal(rs.res[1].rc, ACC_ERR_INVALID);
    assert_string_equal(rs.res[1].where, "entry #2");
    assert_int_equal(rs.res[2].rc, ACC_ERR_INVALID);
    assert_string_equal(rs.res[2].where, "entry #3");
    assert_int_equal(rs.res[3].rc, ACC_ERR_INVALID);
    assert_string_equal(rs.res[3].where, "phish_id 4");
    assert_int_equal(rs.res[4].rc, ACC_ERR_INVALID);
    assert_string_equal(rs.res[4].where, "phish_id 5");
    assert_int_equal(rs.res[5].rc, ACC_ERR_INVALID);
    s_assert_ok(&rs.res[6], "http://e.example/", "7", 0, "default-cat");
    s_free_all(&rs);

    const char *trunc = "[{\"phish_id\":1,\"url\":\"http://a.example/\"";
    acc_errinfo_t ei = s_new_err(ACC_FEED_PHISHTANK, trunc, strlen(trunc), ACC_ERR_DECODE);
    assert_non_null(strstr(ei.field, "line 1, column"));
    const char *bad = "[{\"phish_id\":1,\"url\":\"http://\xc3\x28.example/\"}]";
    s_new_err(ACC_FEED_PHISHTANK, bad, strlen(bad), ACC_ERR_UTF8);
    /* '{' first is not JSON for PhishTank: read as CSV, whose header it is not */
    s_new_err(ACC_FEED_PHISHTANK, "{\"a\":1}", 7, ACC_ERR_INVALID);
}

/* --- OpenPhish -------------------------------------------------------------------------------- */

static void
test_openphish(void **state)
{
    (void)state;
    static const char data[] =
        "\xEF\xBB\xBFhttp://VIETCOMBANK-XACTHUC.ONLINE/dang-nhap?utm_source=sms\r\n"
        "\r\n"
        "   \t\r\n"
        "# comment\n"
        "  https://zalo-xacminh.net/login \t\r\n"
        "ht tp://broken\n"
        "http://vi\xe1\xbb.example/\n"
        "http://a.example/\0x\n"
        "mailto:hotro@vietcombank-xacthuc.online\n"
        "nhan-qua-tri-an-evn.com";
    size_t len = sizeof data - 1; /* it holds a NUL */
    acc_feed_opts_t o = s_opts();
    results rs;
    s_read_all(ACC_FEED_OPENPHISH, data, len, &o, &rs);
    assert_int_equal(rs.n, 7);
    /* the url as given, the canonical URL as the record id */
    s_assert_ok(&rs.res[0], "http://VIETCOMBANK-XACTHUC.ONLINE/dang-nhap?utm_source=sms",
                "http://vietcombank-xacthuc.online/dang-nhap", 0, "default-cat");
    assert_string_equal(rs.res[0].where, "line 1");
    s_assert_ok(&rs.res[1], "https://zalo-xacminh.net/login", "https://zalo-xacminh.net/login", 0,
                "default-cat");
    assert_string_equal(rs.res[1].where, "line 5");
    assert_int_equal(rs.res[2].rc, ACC_ERR_INVALID);
    assert_string_equal(rs.res[2].where, "line 6");
    assert_string_equal(rs.res[2].ei.field, "line 6");
    assert_int_equal(rs.res[3].rc, ACC_ERR_UTF8);
    assert_string_equal(rs.res[3].where, "line 7");
    assert_int_equal(rs.res[4].rc, ACC_ERR_INVALID);
    assert_string_equal(rs.res[4].ei.msg, "'url' contains a nul byte");
    assert_int_equal(rs.res[5].rc, ACC_ERR_INVALID);
    assert_string_equal(rs.res[5].where, "line 9");
    assert_non_null(strstr(rs.res[5].ei.msg, "has no host"));
    /* a bare domain is canonicalised like intake would */
    s_assert_ok(&rs.res[6], "nhan-qua-tri-an-evn.com", "http://nhan-qua-tri-an-evn.com/", 0,
                "default-cat");
    assert_string_equal(rs.res[6].where, "line 10");
    s_free_all(&rs);

    /* the last line has no line end; a URL over the limit is refused before copying */
    size_t big = ACC_URL_MAX + 100;
    char *long_line = malloc(big + 64);
    assert_non_null(long_line);
    strcpy(long_line, "http://a.example/\nhttp://b.example/");
    memset(long_line + 35, 'x', big);
    memcpy(long_line + 35 + big, "\nnhan-qua-tri-an-evn.com", 24);
    s_read_all(ACC_FEED_OPENPHISH, long_line, 35 + big + 24, &o, &rs);
    assert_int_equal(rs.n, 3);
    assert_int_equal(rs.res[1].rc, ACC_ERR_TOO_LARGE);
    s_assert_ok(&rs.res[2], "nhan-qua-tri-an-evn.com", "http://nhan-qua-tri-an-evn.com/", 0,
                "default-cat");
    assert_string_equal(rs.res[2].where, "line 3");
    s_free_all(&rs);
    free(long_line);

    /* a canonical URL too long for a record id: its SHA-256 instead, the same for two
     * forms of the URL; an indented comment is a comment */
    char two[1200];
    char path[501];
    memset(path, 'a', 500);
    path[500] = '\0';
    snprintf(two, sizeof two,
             "HTTP://Long.Example/%s?utm_source=x\n  # note\nhttp://long.example/./%s\n", path,
             path);
    s_read_all(ACC_FEED_OPENPHISH, two, strlen(two), &o, &rs);
    assert_int_equal(rs.n, 2);
    assert_int_equal(rs.res[0].rc, ACC_OK);
    assert_int_equal(rs.res[1].rc, ACC_OK);
    assert_string_equal(rs.res[1].where, "line 3");
    const char *id = rs.res[0].r->source_record_id;
    assert_int_equal(strlen(id), 7 + 64);
    assert_memory_equal(id, "sha256:", 7);
    assert_string_equal(id, rs.res[1].r->source_record_id);
    s_free_all(&rs);
}

/* --- across formats --------------------------------------------------------------------------- */

/* s_has_canonical — some report of @file (format @fmt) canonicalises to @want. */
static bool
s_has_canonical(acc_feed_format fmt, const char *file, const char *want)
{
    size_t len;
    char *data = s_load(file, &len);
    acc_feed_opts_t o = s_opts();
    results rs;
    s_read_all(fmt, data, len, &o, &rs);
    bool found = false;
    for (size_t i = 0; i < rs.n; i++) {
        assert_int_equal(rs.res[i].rc, ACC_OK); /* the samples are clean */
        char *c = NULL;
        assert_int_equal(acc_url_canonicalize(rs.res[i].r->url, strlen(rs.res[i].r->url),
                                              ACC_URL_CANONICAL, &c, NULL),
                         ACC_OK);
        if (strcmp(c, want) == 0)
            found = true;
        free(c);
    }
    s_free_all(&rs);
    free(data);
    return found;
}

static void
test_same_url_across_formats(void **state)
{
    (void)state;
    const char *misp = "deploy/samples/feeds/misp-event.json";
    const char *uh = "deploy/samples/feeds/urlhaus.csv";
    const char *ptc = "deploy/samples/feeds/phishtank.csv";
    const char *ptj = "deploy/samples/feeds/phishtank.json";
    const char *op = "deploy/samples/feeds/openphish.txt";
    /* "http://VIETCOMBANK-XACTHUC.ONLINE/dang-nhap?utm_source=sms", ":80/dang-nhap", ... */
    const char *vcb = "http://vietcombank-xacthuc.online/dang-nhap";
    assert_true(s_has_canonical(ACC_FEED_MISP, misp, vcb));
    assert_true(s_has_canonical(ACC_FEED_PHISHTANK, ptc, vcb));
    assert_true(s_has_canonical(ACC_FEED_PHISHTANK, ptj, vcb));
    assert_true(s_has_canonical(ACC_FEED_OPENPHISH, op, vcb));
    /* a MISP domain attribute, "http://NHAN-QUA-TRI-AN-EVN.COM", ".../#qua-tang" */
    const char *evn = "http://nhan-qua-tri-an-evn.com/";
    assert_true(s_has_canonical(ACC_FEED_MISP, misp, evn));
    assert_true(s_has_canonical(ACC_FEED_PHISHTANK, ptc, evn));
    assert_true(s_has_canonical(ACC_FEED_PHISHTANK, ptj, evn));
    assert_true(s_has_canonical(ACC_FEED_OPENPHISH, op, evn));
    /* "http://tai-app-vneid.com/./VNeID.apk" and "http://TAI-APP-VNEID.COM/VNeID.apk" */
    const char *apk = "http://tai-app-vneid.com/VNeID.apk";
    assert_true(s_has_canonical(ACC_FEED_MISP, misp, apk));
    assert_true(s_has_canonical(ACC_FEED_URLHAUS, uh, apk));
    /* tracking parameters: utm_campaign in PhishTank, fbclid in OpenPhish */
    const char *momo = "https://momo-hoantien.site/xac-nhan?ma=VN2611";
    assert_true(s_has_canonical(ACC_FEED_MISP, misp, momo));
    assert_true(s_has_canonical(ACC_FEED_PHISHTANK, ptj, momo));
    assert_true(s_has_canonical(ACC_FEED_OPENPHISH, op, momo));
    /* and a URL that is in none of them is not found (the check can fail) */
    assert_false(s_has_canonical(ACC_FEED_URLHAUS, uh, vcb));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_format_names),
        cmocka_unit_test(test_new_checks_opts),
        cmocka_unit_test(test_opts_are_copied),
        cmocka_unit_test(test_report_new_and_domain_url),
        cmocka_unit_test(test_skip_reasons_capped_and_cleaned),
        cmocka_unit_test(test_jsonl_passthrough),
        cmocka_unit_test(test_csv_passthrough),
        cmocka_unit_test(test_misp_sample),
        cmocka_unit_test(test_misp_shapes_and_times),
        cmocka_unit_test(test_misp_document_errors),
        cmocka_unit_test(test_misp_attribute_errors),
        cmocka_unit_test(test_misp_skips),
        cmocka_unit_test(test_urlhaus_sample),
        cmocka_unit_test(test_urlhaus_rows),
        cmocka_unit_test(test_phishtank_csv),
        cmocka_unit_test(test_phishtank_json),
        cmocka_unit_test(test_openphish),
        cmocka_unit_test(test_same_url_across_formats),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
