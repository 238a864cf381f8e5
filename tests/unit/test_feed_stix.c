/*
 * Unit tests for the STIX 2.1 feed reader (acc_feed_stix.c, through the public acc_feed
 * API): a realistic bundle, whole-document checks, per-object errors and a table of
 * valid and invalid patterns run through the pattern parser.
 *
 * JSON in this file is written with '`' for '"' (see s_json) so that patterns, which use
 * single quotes, stay readable.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acc_feed.h"
#include "acc_import.h"
#include "acc_time.h"

#define MAX_RESULTS 64

typedef struct {
    acc_err rc;
    char where[128];
    Accord__V1__Report *r; /* NULL unless rc == ACC_OK */
    acc_errinfo_t ei;
} result;

typedef struct {
    size_t n;
    result res[MAX_RESULTS];
} results;

static const acc_feed_tagmap_t s_tags[] = {
    {"phishing", "phishing-malware"},
    {"malicious-activity", "phishing-malware"},
    {"fraud", "scam"},
};

static acc_feed_opts_t
s_opts(void)
{
    acc_feed_opts_t o = {
        .source = "feed:vncert",
        .category = "spam",
        .confidence = 40,
        .tags = s_tags,
        .n_tags = sizeof s_tags / sizeof s_tags[0],
    };
    return o;
}

/* s_json — @tmpl with every '`' turned into '"' (malloc'd). */
static char *
s_json(const char *tmpl)
{
    char *s = strdup(tmpl);
    assert_non_null(s);
    for (char *c = s; *c; c++)
        if (*c == '`')
            *c = '"';
    return s;
}

/* s_open — acc_feed_new over @data; returns its code, *out only on ACC_OK. */
static acc_err
s_open(const char *data, acc_feed_t **out, acc_errinfo_t *ei)
{
    acc_feed_opts_t o = s_opts();
    acc_errinfo_clear(ei);
    return acc_feed_new(ACC_FEED_STIX, data, strlen(data), &o, out, ei);
}

/* s_read_all — a reader over @data to the end; every result into @out. */
static void
s_read_all(const char *data, results *out, acc_feed_t **feed_out)
{
    memset(out, 0, sizeof *out);
    acc_feed_t *feed = NULL;
    acc_errinfo_t ei;
    acc_err rc = s_open(data, &feed, &ei);
    if (rc != ACC_OK)
        fail_msg("acc_feed_new: %s: %s: %s", acc_strerror(rc), ei.field, ei.msg);
    size_t last_off = acc_feed_offset(feed);
    for (;;) {
        assert_true(out->n < MAX_RESULTS);
        result *x = &out->res[out->n];
        acc_errinfo_clear(&x->ei);
        x->rc = acc_feed_next(feed, &x->r, x->where, sizeof x->where, &x->ei);
        assert_true(acc_feed_offset(feed) >= last_off);
        assert_true(acc_feed_offset(feed) <= strlen(data));
        last_off = acc_feed_offset(feed);
        if (x->rc == ACC_ERR_NOT_FOUND)
            break;
        out->n++;
    }
    assert_int_equal(acc_feed_offset(feed), strlen(data));
    /* the end stays the end */
    Accord__V1__Report *r = NULL;
    char where[96];
    assert_int_equal(acc_feed_next(feed, &r, where, sizeof where, &ei), ACC_ERR_NOT_FOUND);
    if (feed_out)
        *feed_out = feed;
    else
        acc_feed_destroy(&feed);
}

static void
s_free_all(results *rs)
{
    for (size_t i = 0; i < rs->n; i++)
        if (rs->res[i].r)
            accord__v1__report__free_unpacked(rs->res[i].r, NULL);
    rs->n = 0;
}

/* s_skip_count — how many objects were skipped for @reason. */
static uint64_t
s_skip_count(const acc_feed_t *feed, const char *reason)
{
    const char *r = NULL;
    uint64_t n;
    for (size_t i = 0; (n = acc_feed_skips(feed, i, &r)) > 0; i++)
        if (strcmp(r, reason) == 0)
            return n;
    return 0;
}

static uint64_t
s_skip_total(const acc_feed_t *feed)
{
    const char *r = NULL;
    uint64_t n, total = 0;
    for (size_t i = 0; (n = acc_feed_skips(feed, i, &r)) > 0; i++)
        total += n;
    return total;
}

static int64_t
s_ms(const char *rfc3339)
{
    int64_t ms = 0;
    assert_int_equal(acc_time_parse_rfc3339(rfc3339, &ms), ACC_OK);
    return ms;
}

static void
s_assert_report(const result *x, const char *where, const char *url)
{
    if (x->rc != ACC_OK)
        fail_msg("%s: expected a report for %s, got %s: %s: %s", where, url, acc_strerror(x->rc),
                 x->ei.field, x->ei.msg);
    assert_string_equal(x->where, where);
    assert_string_equal(x->r->url, url);
    assert_string_equal(x->r->source_record_id, where);
    assert_string_equal(x->r->source, "feed:vncert");
}

/* --- a realistic bundle ------------------------------------------------------------------ */

#define ID_IDENT "identity--0f1e2d3c-4b5a-4697-8a8b-9c0d1e2f3a4b"
#define ID_URL1 "indicator--6b1c3d2e-0a4f-4e5d-9c8b-7a6f5e4d3c2b"
#define ID_DOM1 "indicator--7c2d4e3f-1b5a-4f6e-8d9c-8b7a6f5e4d3c"
#define ID_OR2 "indicator--8d3e5f4a-2c6b-4a7f-9eab-9c8b7a6f5e4d"
#define ID_HASH "indicator--9e4f6a5b-3d7c-4b8a-8fbc-ad9c8b7a6f5e"
#define ID_IN "indicator--af5a7b6c-4e8d-4c9b-9acd-beadc9b8a7f6"
#define ID_NOT "indicator--b06b8c7d-5f9e-4dac-8bde-cfbed0c9b8a7"
#define ID_QUAL "indicator--c17c9d8e-6a0f-4ebd-9cef-d0cfe1dac9b8"
#define ID_BAD "indicator--d28dae9f-7b1a-4fce-8dfa-e1d0f2ebdac9"
#define ID_SIGMA "indicator--e39ebfa0-8c2b-4adf-9eab-f2e1a3fcebda"
#define ID_OBS1 "observed-data--f4afc0b1-9d3c-4bea-8fbc-a3f2b4adfceb"
#define ID_OBS2 "observed-data--05b0d1c2-ae4d-4cfb-9acd-b4a3c5beadfc"
#define ID_OBS3 "observed-data--16c1e2d3-bf5e-4dac-8bde-c5b4d6cfbead"
#define ID_SCO_URL "url--27d2f3e4-c06f-5ebd-9cef-d6c5e7dacfbe"
#define ID_SCO_DOM "domain-name--38e3a4f5-d17a-5fce-8dfa-e7d6f8ebdacf"

static const char s_bundle[] =
    "{`type`: `bundle`, `id`: `bundle--5d0092c5-5f74-4287-9642-33f4c354e56d`, `objects`: ["
    /* 0 */
    "{`type`: `identity`, `spec_version`: `2.1`, `id`: `" ID_IDENT "`,"
    " `created`: `2026-11-01T00:00:00Z`, `modified`: `2026-11-01T00:00:00Z`,"
    " `name`: `Trung tâm Giám sát an toàn không gian mạng`, `identity_class`: `organization`},"
    /* 1: one URL, labelled phishing */
    "{`type`: `indicator`, `spec_version`: `2.1`, `id`: `" ID_URL1 "`,"
    " `created_by_ref`: `" ID_IDENT "`,"
    " `created`: `2026-11-20T01:00:00Z`, `modified`: `2026-11-20T01:00:00Z`,"
    " `name`: `Trang giả mạo Vietcombank`, `indicator_types`: [`phishing`],"
    " `pattern`: `[url:value = 'http://vietcombank-xacthuc.online/dang-nhap']`,"
    " `pattern_type`: `stix`, `valid_from`: `2026-11-20T08:00:00+07:00`, `confidence`: 85},"
    /* 2: a domain, no confidence, no types, no valid_from: created is used */
    "{`type`: `indicator`, `spec_version`: `2.1`, `id`: `" ID_DOM1 "`,"
    " `created`: `2026-11-20T03:30:00Z`, `modified`: `2026-11-20T03:30:00Z`,"
    " `name`: `Giả danh EVN tặng quà tri ân`,"
    " `pattern`: `[domain-name:value = 'nhan-qua-tri-an-evn.com']`, `pattern_type`: `stix`},"
    /* 3: OR of two URLs */
    "{`type`: `indicator`, `spec_version`: `2.1`, `id`: `" ID_OR2 "`,"
    " `created`: `2026-11-21T07:00:00Z`, `modified`: `2026-11-21T07:00:00Z`,"
    " `indicator_types`: [`malicious-activity`, `fraud`],"
    " `pattern`: `[url:value = 'https://viec-lam-online-luong-cao.net/nhiem-vu' OR"
    " url:value = 'https://viec-lam-online-luong-cao.net/nap-tien']`,"
    " `pattern_type`: `stix`, `valid_from`: `2026-11-21T07:00:00Z`},"
    /* 4: AND with a file hash; labels (STIX 2.0 style) map to a category */
    "{`type`: `indicator`, `spec_version`: `2.1`, `id`: `" ID_HASH "`,"
    " `created`: `2026-11-21T09:40:00Z`, `modified`: `2026-11-21T09:40:00Z`,"
    " `labels`: [`unknown-tag`, `fraud`],"
    " `pattern`: `[url:value = 'http://dichvucong-gov.top/nop-phat-nguoi' AND"
    " file:hashes.'SHA-256' = 'aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f']`,"
    " `pattern_type`: `stix`, `valid_from`: `2026-11-21T09:40:00Z`, `confidence`: 0},"
    /* 5: IN with a set of domains */
    "{`type`: `indicator`, `spec_version`: `2.1`, `id`: `" ID_IN "`,"
    " `created`: `2026-11-22T04:11:00Z`, `modified`: `2026-11-22T04:11:00Z`,"
    " `pattern`: `[domain-name:value IN ('cskh-vietcombank.vn', 'vietcombank-hotro.top')]`,"
    " `pattern_type`: `stix`, `valid_from`: `2026-11-22T04:11:00Z`},"
    /* 6: only negated comparisons: nothing to report */
    "{`type`: `indicator`, `spec_version`: `2.1`, `id`: `" ID_NOT "`,"
    " `created`: `2026-11-22T05:00:00Z`, `modified`: `2026-11-22T05:00:00Z`,"
    " `pattern`: `[url:value NOT = 'https://www.vietcombank.com.vn/'] AND"
    " [domain-name:value != 'evn.com.vn']`, `pattern_type`: `stix`,"
    " `valid_from`: `2026-11-22T05:00:00Z`},"
    /* 7: qualifiers, FOLLOWEDBY and a NOT that must not yield */
    "{`type`: `indicator`, `spec_version`: `2.1`, `id`: `" ID_QUAL "`,"
    " `created`: `2026-11-22T05:00:00Z`, `modified`: `2026-11-22T05:00:00Z`,"
    " `pattern`: `([url:value = 'https://cadobongda-uytin.club/' AND"
    " url:value NOT = 'https://vff.org.vn/'] FOLLOWEDBY"
    " [domain-name:value = 'cado-uytin.club'] REPEATS 3 TIMES) WITHIN 600 SECONDS"
    " START t'2026-11-01T00:00:00Z' STOP t'2026-12-01T00:00:00Z'`,"
    " `pattern_type`: `stix`, `valid_from`: `2026-11-22T05:00:00Z`},"
    /* 8: does not parse */
    "{`type`: `indicator`, `spec_version`: `2.1`, `id`: `" ID_BAD "`,"
    " `created`: `2026-11-22T06:00:00Z`, `modified`: `2026-11-22T06:00:00Z`,"
    " `pattern`: `[url:value = 'http://tintuc-hot.info/' OR]`, `pattern_type`: `stix`,"
    " `valid_from`: `2026-11-22T06:00:00Z`},"
    /* 9: another pattern language */
    "{`type`: `indicator`, `spec_version`: `2.1`, `id`: `" ID_SIGMA "`,"
    " `created`: `2026-11-22T06:00:00Z`, `modified`: `2026-11-22T06:00:00Z`,"
    " `pattern`: `title: phishing dns\\ndetection: {}`, `pattern_type`: `sigma`,"
    " `valid_from`: `2026-11-22T06:00:00Z`},"
    /* 10: observed-data with embedded objects */
    "{`type`: `observed-data`, `spec_version`: `2.1`, `id`: `" ID_OBS1 "`,"
    " `created`: `2026-11-22T02:00:00Z`, `modified`: `2026-11-22T02:00:00Z`,"
    " `first_observed`: `2026-11-22T09:00:00+07:00`, `last_observed`: `2026-11-22T09:00:00+07:00`,"
    " `number_observed`: 1, `labels`: [`phishing`], `confidence`: 70,"
    " `objects`: {`0`: {`type`: `url`, `value`: `https://tintuc24h-nong.info/`},"
    "  `1`: {`type`: `ipv4-addr`, `value`: `203.0.113.7`}}},"
    /* 11: observed-data with references */
    "{`type`: `observed-data`, `spec_version`: `2.1`, `id`: `" ID_OBS2 "`,"
    " `created`: `2026-11-22T04:00:00Z`, `modified`: `2026-11-22T04:00:00Z`,"
    " `first_observed`: `2026-11-22T04:00:00Z`, `last_observed`: `2026-11-22T04:00:00Z`,"
    " `number_observed`: 2, `object_refs`: [`" ID_SCO_URL "`, `" ID_SCO_DOM "`]},"
    /* 12: a reference that is not in the bundle */
    "{`type`: `observed-data`, `spec_version`: `2.1`, `id`: `" ID_OBS3 "`,"
    " `created`: `2026-11-22T04:00:00Z`, `modified`: `2026-11-22T04:00:00Z`,"
    " `first_observed`: `2026-11-22T04:00:00Z`, `last_observed`: `2026-11-22T04:00:00Z`,"
    " `number_observed`: 1,"
    " `object_refs`: [`url--99999999-9999-5999-8999-999999999999`]},"
    /* 13, 14: the referenced SCOs (no spec_version: allowed for SCOs) */
    "{`type`: `url`, `id`: `" ID_SCO_URL "`, `value`: `http://xn--cskhvietcombank-8kb.vn/`},"
    "{`type`: `domain-name`, `id`: `" ID_SCO_DOM "`, `value`: `vietcombank-xacthuc.online`},"
    /* 15, 16, 17: not reports */
    "{`type`: `malware`, `spec_version`: `2.1`, `id`: "
    "`malware--4af4b5a6-e28b-4adf-9eab-f8e7a9fcebda`,"
    " `created`: `2026-11-01T00:00:00Z`, `modified`: `2026-11-01T00:00:00Z`,"
    " `name`: `Ứng dụng giả mạo VNeID`, `is_family`: false},"
    "{`type`: `relationship`, `spec_version`: `2.1`,"
    " `id`: `relationship--5ba5c6b7-f39c-4bea-8fbc-a9f8bafdfceb`,"
    " `created`: `2026-11-01T00:00:00Z`, `modified`: `2026-11-01T00:00:00Z`,"
    " `relationship_type`: `indicates`, `source_ref`: `" ID_URL1 "`,"
    " `target_ref`: `malware--4af4b5a6-e28b-4adf-9eab-f8e7a9fcebda`},"
    "{`type`: `file`, `id`: `file--6cb6d7c8-a4ad-5cfb-9acd-bafacbaeadfc`,"
    " `hashes`: {`SHA-256`: `aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f`}}"
    "]}";

static void
test_bundle_realistic(void **state)
{
    (void)state;
    char *doc = s_json(s_bundle);
    results rs;
    acc_feed_t *feed = NULL;
    s_read_all(doc, &rs, &feed);
    size_t k = 0;

    /* 1: indicator_types "phishing" → phishing-malware; own confidence; valid_from */
    s_assert_report(&rs.res[k], ID_URL1, "http://vietcombank-xacthuc.online/dang-nhap");
    assert_string_equal(rs.res[k].r->category, "phishing-malware");
    assert_int_equal(rs.res[k].r->confidence, 85);
    assert_true(rs.res[k].r->observed_at_ms == s_ms("2026-11-20T01:00:00Z"));
    k++;
    /* 2: a domain becomes http://DOMAIN/; defaults; created as the time */
    s_assert_report(&rs.res[k], ID_DOM1, "http://nhan-qua-tri-an-evn.com/");
    assert_string_equal(rs.res[k].r->category, "spam");
    assert_int_equal(rs.res[k].r->confidence, 40);
    assert_true(rs.res[k].r->observed_at_ms == s_ms("2026-11-20T03:30:00Z"));
    k++;
    /* 3: two URLs, one id; the first known type decides */
    s_assert_report(&rs.res[k], ID_OR2, "https://viec-lam-online-luong-cao.net/nhiem-vu");
    assert_string_equal(rs.res[k].r->category, "phishing-malware");
    k++;
    s_assert_report(&rs.res[k], ID_OR2, "https://viec-lam-online-luong-cao.net/nap-tien");
    assert_string_equal(rs.res[k].r->category, "phishing-malware");
    k++;
    /* 4: the hash comparison gives nothing; labels map; confidence 0 is kept as given */
    s_assert_report(&rs.res[k], ID_HASH, "http://dichvucong-gov.top/nop-phat-nguoi");
    assert_string_equal(rs.res[k].r->category, "scam");
    assert_int_equal(rs.res[k].r->confidence, 0);
    k++;
    /* 5: IN: one per element */
    s_assert_report(&rs.res[k++], ID_IN, "http://cskh-vietcombank.vn/");
    s_assert_report(&rs.res[k++], ID_IN, "http://vietcombank-hotro.top/");
    /* 6: nothing. 7: the positive comparisons only */
    s_assert_report(&rs.res[k++], ID_QUAL, "https://cadobongda-uytin.club/");
    s_assert_report(&rs.res[k++], ID_QUAL, "http://cado-uytin.club/");
    /* 8: the error names the indicator, the field, what and where */
    assert_int_equal(rs.res[k].rc, ACC_ERR_INVALID);
    assert_null(rs.res[k].r);
    assert_string_equal(rs.res[k].where, ID_BAD);
    assert_string_equal(rs.res[k].ei.field, ID_BAD ": pattern");
    assert_string_equal(rs.res[k].ei.msg, "expected an object path but found ']' at character 42");
    k++;
    /* 10: embedded; labels and confidence of the observed-data; first_observed */
    s_assert_report(&rs.res[k], ID_OBS1, "https://tintuc24h-nong.info/");
    assert_string_equal(rs.res[k].r->category, "phishing-malware");
    assert_int_equal(rs.res[k].r->confidence, 70);
    assert_true(rs.res[k].r->observed_at_ms == s_ms("2026-11-22T02:00:00Z"));
    k++;
    /* 11: referenced, in the order of object_refs */
    s_assert_report(&rs.res[k], ID_OBS2, "http://xn--cskhvietcombank-8kb.vn/");
    assert_true(rs.res[k].r->observed_at_ms == s_ms("2026-11-22T04:00:00Z"));
    k++;
    s_assert_report(&rs.res[k++], ID_OBS2, "http://vietcombank-xacthuc.online/");
    assert_int_equal(rs.n, k);

    assert_int_equal(s_skip_count(feed, "stix object type 'identity'"), 1);
    assert_int_equal(s_skip_count(feed, "stix indicator without url or domain"), 1);
    assert_int_equal(s_skip_count(feed, "stix pattern_type 'sigma'"), 1);
    assert_int_equal(s_skip_count(feed, "stix reference not in bundle"), 1);
    assert_int_equal(s_skip_count(feed, "stix object type 'url' (referenced data)"), 1);
    assert_int_equal(s_skip_count(feed, "stix object type 'domain-name' (referenced data)"), 1);
    assert_int_equal(s_skip_count(feed, "stix object type 'malware'"), 1);
    assert_int_equal(s_skip_count(feed, "stix object type 'relationship'"), 1);
    assert_int_equal(s_skip_count(feed, "stix object type 'file'"), 1);
    /* identity, 6, 9, 12, the two SCOs, malware, relationship, file */
    assert_int_equal(s_skip_total(feed), 9);

    s_free_all(&rs);
    acc_feed_destroy(&feed);
    assert_null(feed);
    acc_feed_destroy(&feed); /* twice is fine */
    free(doc);
}

/* The sample in deploy/ is what `make run` imports: it must read without errors and name
 * URLs that the sample reports also name. */
static void
test_sample_file(void **state)
{
    (void)state;
    const char *root = getenv("ACC_ROOT");
    char path[4096];
    snprintf(path, sizeof path, "%s/deploy/samples/feeds/stix-bundle.json", root ? root : ".");
    FILE *f = fopen(path, "rb");
    if (!f)
        fail_msg("cannot open '%s'", path);
    static char buf[1 << 16];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    assert_true(feof(f));
    fclose(f);
    buf[n] = '\0';
    results rs;
    acc_feed_t *feed = NULL;
    s_read_all(buf, &rs, &feed);
    bool vcb = false, evn = false;
    for (size_t i = 0; i < rs.n; i++) {
        if (rs.res[i].rc != ACC_OK)
            fail_msg("%s: %s: %s", rs.res[i].where, rs.res[i].ei.field, rs.res[i].ei.msg);
        vcb = vcb || strcmp(rs.res[i].r->url, "http://vietcombank-xacthuc.online/dang-nhap") == 0;
        evn = evn || strcmp(rs.res[i].r->url, "https://nhan-qua-tri-an-evn.com/") == 0;
        assert_true(rs.res[i].r->observed_at_ms > 0);
    }
    assert_true(vcb);
    assert_true(evn);
    assert_true(rs.n >= 5);
    assert_true(s_skip_total(feed) >= 3);
    s_free_all(&rs);
    acc_feed_destroy(&feed);
}

/* --- whole-document checks --------------------------------------------------------------- */

static void
s_assert_rejected(const char *tmpl, acc_err want, const char *field, const char *msg_part)
{
    char *doc = s_json(tmpl);
    acc_feed_t *feed = NULL;
    acc_errinfo_t ei;
    acc_err rc = s_open(doc, &feed, &ei);
    if (rc != want)
        fail_msg("%s: got %s (%s: %s)", tmpl, acc_strerror(rc), ei.field, ei.msg);
    assert_null(feed);
    assert_string_equal(ei.field, field);
    if (!strstr(ei.msg, msg_part))
        fail_msg("message '%s' lacks '%s'", ei.msg, msg_part);
    free(doc);
}

#define B21 "`type`: `bundle`, `id`: `bundle--5d0092c5-5f74-4287-9642-33f4c354e56d`"

static void
test_bundle_checks(void **state)
{
    (void)state;
    s_assert_rejected("{`type`: `report`, `id`: `report--5d0092c5-5f74-4287-9642-33f4c354e56d`}",
                      ACC_ERR_INVALID, "type", "not a STIX 2.1 bundle: type is not 'bundle'");
    s_assert_rejected("[{`type`: `bundle`}]", ACC_ERR_INVALID, "",
                      "not a STIX 2.1 bundle: the document is not a JSON object");
    s_assert_rejected("{`type`: `bundle`, `id`: `bundle--1`}", ACC_ERR_INVALID, "id",
                      "not a STIX 2.1 bundle: id is not");
    s_assert_rejected("{" B21 ", `objects`: {}}", ACC_ERR_INVALID, "objects",
                      "objects is not a list");
    /* STIX 2.0: spec_version on the bundle, none on the objects */
    s_assert_rejected(
        "{" B21 ", `spec_version`: `2.0`, `objects`: [{`type`: `indicator`,"
        " `id`: `indicator--6b1c3d2e-0a4f-4e5d-9c8b-7a6f5e4d3c2b`, `labels`: "
        "[`malicious-activity`],"
        " `pattern`: `[url:value = 'http://a.example/']`, `valid_from`: `2026-01-01T00:00:00Z`}]}",
        ACC_ERR_INVALID, "spec_version",
        "not a STIX 2.1 bundle: the bundle's spec_version is '2.0'");
    /* ... and the same objects in a bundle without spec_version */
    s_assert_rejected(
        "{" B21 ", `objects`: [{`type`: `indicator`,"
        " `id`: `indicator--6b1c3d2e-0a4f-4e5d-9c8b-7a6f5e4d3c2b`, `labels`: "
        "[`malicious-activity`],"
        " `pattern`: `[url:value = 'http://a.example/']`, `valid_from`: `2026-01-01T00:00:00Z`}]}",
        ACC_ERR_INVALID, "objects[0]", "'indicator' object without spec_version (STIX 2.0?)");
    s_assert_rejected("{" B21 ", `objects`: [{`type`: `identity`, `spec_version`: `2.0`}]}",
                      ACC_ERR_INVALID, "objects[0]", "object has spec_version '2.0'");
    s_assert_rejected("{" B21 ", `objects`: [{`type`: `identity`, `spec_version`: 2.1}]}",
                      ACC_ERR_INVALID, "objects[0]", "object has spec_version '?'");
    /* JSON problems: line and column */
    s_assert_rejected("{" B21 ",\n `objects`: [{`type`: `identity`, `spec_ver", ACC_ERR_DECODE,
                      "line 2, column 43", "");
    s_assert_rejected("", ACC_ERR_DECODE, "line 1, column 0", "");
    s_assert_rejected("{" B21 ", `type`: `bundle`}", ACC_ERR_DECODE, "line 1, column 79",
                      "duplicate object key");
    s_assert_rejected("{" B21 "} trailing", ACC_ERR_DECODE, "line 1, column 81", "end of file");
    s_assert_rejected("{" B21 ", `x`: `\xff\xfe`}", ACC_ERR_UTF8, "line 1, column 79",
                      "unable to decode byte 0xff");
    s_assert_rejected("{" B21 ", `x`: `\\u0000`}", ACC_ERR_DECODE, "line 1, column 86", "NUL");

    /* accepted: spec_version "2.1" on the bundle, no objects at all, custom types */
    const char *ok[] = {
        "{" B21 ", `spec_version`: `2.1`, `objects`: []}",
        "{" B21 "}",
        "{" B21 ", `objects`: [{`type`: `x-acme-note`, `id`: `x-acme-note--1`}]}",
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        char *doc = s_json(ok[i]);
        results rs;
        acc_feed_t *feed = NULL;
        s_read_all(doc, &rs, &feed);
        assert_int_equal(rs.n, 0);
        assert_int_equal(s_skip_total(feed), i == 2 ? 1 : 0);
        acc_feed_destroy(&feed);
        free(doc);
    }
}

/* --- per-object errors -------------------------------------------------------------------- */

#define IND_HEAD "`type`: `indicator`, `spec_version`: `2.1`, `pattern_type`: `stix`"
#define IND_ID "`id`: `indicator--6b1c3d2e-0a4f-4e5d-9c8b-7a6f5e4d3c2b`"
#define IND_WHERE "indicator--6b1c3d2e-0a4f-4e5d-9c8b-7a6f5e4d3c2b"
#define GOOD_PATTERN "`pattern`: `[url:value = 'http://a.example/']`"

static void
test_object_errors(void **state)
{
    (void)state;
    char *doc = s_json(
        "{" B21 ", `objects`: ["
        /* 0 */ "42,"
        /* 1 */ "{`spec_version`: `2.1`, `id`: `x`},"
        /* 2 */ "{`type`: `Indicator`, `spec_version`: `2.1`},"
        /* 3 */ "{" IND_HEAD ", `id`: `indicator--123`, " GOOD_PATTERN "},"
        /* 4 */ "{`type`: `indicator`, `spec_version`: `2.1`, " IND_ID ", " GOOD_PATTERN "},"
        /* 5 */ "{" IND_HEAD ", " IND_ID "},"
        /* 6 */ "{" IND_HEAD ", " IND_ID ", " GOOD_PATTERN ", `valid_from`: `yesterday`},"
        /* 7 */ "{" IND_HEAD ", " IND_ID ", " GOOD_PATTERN ", `confidence`: 101},"
        /* 8 */ "{" IND_HEAD ", " IND_ID ", " GOOD_PATTERN ", `confidence`: `high`},"
        /* 9 */ "{" IND_HEAD ", " IND_ID
        ", `pattern`: `[domain-name:value = 'a.example@b.example']`},"
        /* 10 */ "{" IND_HEAD ", " IND_ID ", " GOOD_PATTERN ", `revoked`: true},"
        /* 11 */ "{`type`: `observed-data`, `spec_version`: `2.1`,"
        " `id`: `observed-data--f4afc0b1-9d3c-4bea-8fbc-a3f2b4adfceb`, `object_refs`: `url--1`},"
        /* 12 */ "{`type`: `observed-data`, `spec_version`: `2.1`,"
        " `id`: `observed-data--f4afc0b1-9d3c-4bea-8fbc-a3f2b4adfceb`, `objects`: [1]},"
        /* 13 */ "{`type`: `observed-data`, `spec_version`: `2.1`,"
        " `id`: `observed-data--f4afc0b1-9d3c-4bea-8fbc-a3f2b4adfceb`,"
        " `objects`: {`0`: {`type`: `file`, `name`: `a.apk`}}},"
        /* 14: still read after all that */
        "{" IND_HEAD ", " IND_ID ", " GOOD_PATTERN "}"
        "]}");
    results rs;
    acc_feed_t *feed = NULL;
    s_read_all(doc, &rs, &feed);
    static const struct {
        acc_err rc;
        const char *where, *field, *msg;
    } want[] = {
        {ACC_ERR_INVALID, "objects[0]", "objects[0]", "a STIX object must be a JSON object"},
        {ACC_ERR_INVALID, "objects[1]", "objects[1]: type", "is missing"},
        {ACC_ERR_INVALID, "objects[2]", "objects[2]: type", "'Indicator' is not a STIX type name"},
        {ACC_ERR_INVALID, "objects[3]", "objects[3]: id", "must be 'indicator--' and a UUID"},
        {ACC_ERR_INVALID, IND_WHERE, IND_WHERE ": pattern_type", "is missing"},
        {ACC_ERR_INVALID, IND_WHERE, IND_WHERE ": pattern", "is missing"},
        {ACC_ERR_INVALID, IND_WHERE, IND_WHERE ": valid_from", "is not an RFC 3339 timestamp"},
        {ACC_ERR_INVALID, IND_WHERE, IND_WHERE ": confidence", "must be an integer from 0 to 100"},
        {ACC_ERR_INVALID, IND_WHERE, IND_WHERE ": confidence", "must be an integer from 0 to 100"},
        {ACC_ERR_INVALID, IND_WHERE, IND_WHERE ": domain-name",
         "value 'a.example@b.example' is not a host name"},
        {ACC_ERR_INVALID, "observed-data--f4afc0b1-9d3c-4bea-8fbc-a3f2b4adfceb",
         "observed-data--f4afc0b1-9d3c-4bea-8fbc-a3f2b4adfceb: object_refs",
         "must be a list of identifiers"},
        {ACC_ERR_INVALID, "observed-data--f4afc0b1-9d3c-4bea-8fbc-a3f2b4adfceb",
         "observed-data--f4afc0b1-9d3c-4bea-8fbc-a3f2b4adfceb: objects",
         "must be an object of cyber-observables"},
    };
    size_t nw = sizeof want / sizeof want[0];
    assert_int_equal(rs.n, nw + 1);
    for (size_t i = 0; i < nw; i++) {
        if (rs.res[i].rc != want[i].rc)
            fail_msg("result %zu: %s (%s: %s)", i, acc_strerror(rs.res[i].rc), rs.res[i].ei.field,
                     rs.res[i].ei.msg);
        assert_null(rs.res[i].r);
        assert_string_equal(rs.res[i].where, want[i].where);
        assert_string_equal(rs.res[i].ei.field, want[i].field);
        assert_string_equal(rs.res[i].ei.msg, want[i].msg);
    }
    s_assert_report(&rs.res[nw], IND_WHERE, "http://a.example/");
    assert_int_equal(rs.res[nw].r->observed_at_ms, 0); /* no time given */
    assert_int_equal(s_skip_count(feed, "stix indicator revoked"), 1);
    assert_int_equal(s_skip_count(feed, "stix observed-data without url or domain"), 1);
    assert_int_equal(s_skip_total(feed), 2);
    s_free_all(&rs);
    acc_feed_destroy(&feed);
    free(doc);
}

/* --- the pattern parser ------------------------------------------------------------------- */

/* s_pattern — read a one-indicator bundle with @pattern; the URLs found, joined with
 * " | " into @urls (empty when the indicator was skipped), or the error into @ei.
 * Returns the code of the first acc_feed_next. */
static acc_err
s_pattern(const char *pattern, char *urls, size_t urls_len, acc_errinfo_t *ei)
{
    json_t *doc = json_pack("{s:s, s:s, s:[{s:s, s:s, s:s, s:s, s:s}]}", "type", "bundle", "id",
                            "bundle--5d0092c5-5f74-4287-9642-33f4c354e56d", "objects", "type",
                            "indicator", "spec_version", "2.1", "id", IND_WHERE, "pattern_type",
                            "stix", "pattern", pattern);
    assert_non_null(doc);
    char *text = json_dumps(doc, 0);
    assert_non_null(text);
    json_decref(doc);
    acc_feed_t *feed = NULL;
    acc_feed_opts_t o = s_opts();
    assert_int_equal(acc_feed_new(ACC_FEED_STIX, text, strlen(text), &o, &feed, ei), ACC_OK);
    urls[0] = '\0';
    acc_err first = ACC_ERR_NOT_FOUND;
    for (size_t i = 0;; i++) {
        Accord__V1__Report *r = NULL;
        char where[96];
        acc_err rc = acc_feed_next(feed, &r, where, sizeof where, ei);
        if (i == 0)
            first = rc;
        if (rc != ACC_OK)
            break;
        assert_string_equal(where, IND_WHERE);
        if (urls[0])
            strncat(urls, " | ", urls_len - strlen(urls) - 1);
        strncat(urls, r->url, urls_len - strlen(urls) - 1);
        accord__v1__report__free_unpacked(r, NULL);
    }
    if (first == ACC_ERR_NOT_FOUND)
        assert_int_equal(s_skip_count(feed, "stix indicator without url or domain"), 1);
    acc_feed_destroy(&feed);
    free(text);
    return first;
}

static void
test_patterns_valid(void **state)
{
    (void)state;
    static const struct {
        const char *pattern;
        const char *urls; /* "" = valid but nothing to report */
    } cases[] = {
        {"[url:value = 'http://a.example/x']", "http://a.example/x"},
        {"[domain-name:value = 'a.example']", "http://a.example/"},
        {"[url:value = 'http://a.example/' OR url:value = 'http://b.example/']",
         "http://a.example/ | http://b.example/"},
        {"[url:value == 'http://a.example/']", "http://a.example/"},
        {"[url:value <> 'http://a.example/']", ""},
        {"[file:hashes.'SHA-256' = "
         "'ef537f25c895bfa782526529a9b63d97aa631564d5d789c2b765448c8635fb6c']",
         ""},
        {"[file:hashes.MD5 = '79054025255fb1a26e4bc422aef54eb4'] AND "
         "[url:value = 'http://x.example/']",
         "http://x.example/"},
        {"[ipv4-addr:value = '198.51.100.1/32' OR ipv4-addr:value = '203.0.113.33/32' OR "
         "ipv6-addr:value = '2001:0db8:dead:beef:dead:beef:dead:0001/128']",
         ""},
        {"[domain-name:value = 'a.example'] FOLLOWEDBY [domain-name:value = 'b.example']",
         "http://a.example/ | http://b.example/"},
        {"([url:value = 'http://a.example/'] AND [url:value = 'http://b.example/']) WITHIN 300 "
         "SECONDS",
         "http://a.example/ | http://b.example/"},
        {"[url:value = 'http://a.example/'] REPEATS 5 TIMES WITHIN 1800 SECONDS",
         "http://a.example/"},
        {"[url:value = 'http://a.example/'] WITHIN 2.5 SECONDS", "http://a.example/"},
        {"[url:value = 'http://a.example/'] START t'2026-01-01T00:00:00Z' STOP "
         "t'2026-12-31T23:59:59.999Z'",
         "http://a.example/"},
        {"[network-traffic:dst_ref.type = 'domain-name' AND "
         "network-traffic:dst_ref.value = 'evil.example']",
         ""},
        {"[x-custom-thing:a[*].b = 'x' AND x-custom-thing:c[-1] = 2]", ""},
        {"[windows-registry-key:key = 'HKEY_LOCAL_MACHINE\\\\System\\\\Foo' AND "
         "windows-registry-key:values[0].name = 'Run']",
         ""},
        {"[file:size > 1024 AND file:size <= 4096 AND file:size >= +10]", ""},
        {"[file:name MATCHES '^Hoa_don_[0-9]+\\\\.exe$']", ""},
        {"[url:value LIKE 'http://%.example/%']", ""},
        {"[email-message:from_ref.value MATCHES '.+@ngan-hang\\\\.example$']", ""},
        {"[ipv4-addr:value ISSUBSET '198.51.100.0/24' OR ipv4-addr:value ISSUPERSET "
         "'198.51.100.1/32']",
         ""},
        {"[EXISTS windows-registry-key:values]", ""},
        {"[file:mime_type NOT IN ('text/plain', 'image/png')]", ""},
        {"[url:value IN ('http://a.example/', 'http://b.example/', 42, true)]",
         "http://a.example/ | http://b.example/"},
        {"[domain-name:value NOT IN ('a.example')]", ""},
        {"[url:value IN ()]", ""},
        {"[artifact:payload_bin = b'dGVzdA==' OR artifact:payload_bin = b'YWJj' OR "
         "artifact:hashes.MD5 = h'deadBEEF' OR artifact:x = h'']",
         ""},
        {"[file:created > t'2024-02-29T03:04:05Z' AND process:pid = 4 AND process:is_hidden = "
         "false AND process:x = -3.5 AND process:y = .5]",
         ""},
        {"[url:value = 'http://a.example/it\\'s']", "http://a.example/it's"},
        {"[url:value = 'http://a.example/x\\\\y']", "http://a.example/x\\y"},
        {"  [ url : value = 'http://a.example/' ]  // trailing comment", "http://a.example/"},
        {"/* leading\n comment */[url:value = 'http://a.example/']\n", "http://a.example/"},
        {"[url:value\xc2\xa0=\xe3\x80\x80'http://a.example/']\t", "http://a.example/"},
        {"(([url:value = 'http://a.example/']))", "http://a.example/"},
        {"[(url:value = 'http://a.example/' OR domain-name:value = 'b.example') AND "
         "file:name = 'x']",
         "http://a.example/ | http://b.example/"},
        {"[url:'value' = 'http://q.example/' AND url:value.x = 'http://no.example/' AND "
         "url:values = 'http://no2.example/' AND urls:value = 'http://no3.example/']",
         "http://q.example/"},
        {"[url:value = 'http://a.example/'] OR [url:value = 'http://a.example/']",
         "http://a.example/"},
        {"[url:value = 'https://vietcombank-xacthuc.online/đăng-nhập']",
         "https://vietcombank-xacthuc.online/đăng-nhập"},
        {"[url:value = '']", ""},
        {"[software:name = 'x'] AND [url:value = 'http://a.example/' AND url:value NOT LIKE "
         "'%.vn/%']",
         "http://a.example/"},
    };
    char urls[512];
    acc_errinfo_t ei;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        acc_errinfo_clear(&ei);
        acc_err rc = s_pattern(cases[i].pattern, urls, sizeof urls, &ei);
        if (rc != ACC_OK && rc != ACC_ERR_NOT_FOUND)
            fail_msg("case %zu %s: %s: %s", i, cases[i].pattern, acc_strerror(rc), ei.msg);
        if (strcmp(urls, cases[i].urls) != 0)
            fail_msg("case %zu %s: got \"%s\", want \"%s\"", i, cases[i].pattern, urls,
                     cases[i].urls);
        assert_int_equal(rc, cases[i].urls[0] ? ACC_OK : ACC_ERR_NOT_FOUND);
    }
}

static void
test_patterns_invalid(void **state)
{
    (void)state;
    static const struct {
        const char *pattern;
        const char *msg;
    } cases[] = {
        {"", "expected '[' or '(' but found the end of the pattern at character 1"},
        {"url:value = 'http://a/'", "expected '[' or '(' but found 'url' at character 1"},
        {"[url:value = 'http://a/'",
         "expected ']' but found the end of the pattern at character 25"},
        {"[url:value = \"http://a/\"]", "unexpected character '\"' at character 14"},
        {"[url:value = 'http://a/]", "unterminated string at character 14"},
        {"[url:value = 'a\\nb']", "invalid escape in string (only \\' and \\\\) at character 16"},
        {"[url:value = 'a'] and [url:value = 'b']",
         "expected AND, OR, FOLLOWEDBY, a qualifier or the end of the pattern but found 'and' at "
         "character 19"},
        {"[url:value 'a']", "expected a comparison operator but found ''a'' at character 12"},
        {"[url:value = ]", "expected a literal but found ']' at character 14"},
        {"[file:size > true]", "expected an orderable literal but found 'true' at character 14"},
        {"[file:name LIKE 5]", "expected a string but found '5' at character 17"},
        {"[file:hashes.SHA-256 = 'x']",
         "property name 'SHA-256' has a hyphen and must be quoted at character 14"},
        {"[url:value = 'a'] WITHIN 0 SECONDS",
         "a number of seconds must be positive at character 26"},
        {"[url:value = 'a'] WITHIN 5 MINUTES",
         "expected SECONDS but found 'MINUTES' at character 28"},
        {"[url:value = 'a'] REPEATS 2.5 TIMES",
         "expected a repeat count but found '2.5' at character 27"},
        {"[url:value = 'a'] START '2026-01-01T00:00:00Z' STOP t'2026-01-02T00:00:00Z'",
         "expected a t'...' timestamp but found ''2026-01-01T00:00:00Z'' at character 25"},
        {"[file:created > t'2026-02-30T00:00:00Z']",
         "invalid timestamp literal 't'2026-02-30T00:00:00Z'' at character 17"},
        {"[file:created > t'2026-01-01T00:00:00+07:00']",
         "invalid timestamp literal 't'2026-01-01T00:00:00+07:00'' at character 17"},
        {"[artifact:payload_bin = h'abc']", "invalid hex literal 'h'abc'' at character 25"},
        {"[artifact:payload_bin = b'dGVzd']", "invalid binary literal 'b'dGVzd'' at character 25"},
        {"[x-a:b[1.5] = 1]", "expected a list index or '*' but found '1.5' at character 8"},
        {"[x-a:b = 007]", "integer with a leading zero at character 10"},
        {"[url:value IN ('a', 'b']", "expected ',' or ')' but found ']' at character 24"},
        {"[url:value IN 'a']", "expected '(' but found ''a'' at character 15"},
        {"([url:value = 'a']", "expected ')' but found the end of the pattern at character 19"},
        {"[url:value = 'a']]",
         "expected AND, OR, FOLLOWEDBY, a qualifier or the end of the pattern but found ']' at "
         "character 18"},
        {"[url:value = 'a'] /* open", "unterminated comment at character 19"},
        {"[url:value = 'a'] FOLLOWEDBY",
         "expected '[' or '(' but found the end of the pattern at character 29"},
        {"[]", "expected an object path but found ']' at character 2"},
        {"[NOT url:value = 'a']", "expected an object path but found 'NOT' at character 2"},
        {"[url:value = 'a' AND url:IN = 'b']",
         "expected a property name but found 'IN' at character 26"},
        {"[url:value = 'đ' AND x:y ! 1]", "unexpected '!' at character 26"},
        {"[url:value = 'a' AND x:y = -]", "unexpected '-' at character 28"},
        {"[url:value = 'a'] WITHIN -5 SECONDS",
         "a number of seconds must be positive at character 26"},
        {"[x:y = 'a'] €", "unexpected character '€' at character 13"},
    };
    char urls[512];
    acc_errinfo_t ei;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        acc_errinfo_clear(&ei);
        acc_err rc = s_pattern(cases[i].pattern, urls, sizeof urls, &ei);
        if (rc != ACC_ERR_INVALID)
            fail_msg("case %zu %s: got %s, urls \"%s\"", i, cases[i].pattern, acc_strerror(rc),
                     urls);
        assert_string_equal(urls, "");
        assert_string_equal(ei.field, IND_WHERE ": pattern");
        if (strcmp(ei.msg, cases[i].msg) != 0)
            fail_msg("case %zu %s:\n got  %s\n want %s", i, cases[i].pattern, ei.msg, cases[i].msg);
    }
}

/* Nesting is capped (the parser recurses on parentheses); size is capped at 64 KiB. */
static void
test_pattern_limits(void **state)
{
    (void)state;
    static char pat[80 * 1024];
    char urls[512];
    acc_errinfo_t ei;
    const char *inner = "[url:value = 'http://a.example/']";
    for (int depth = 63; depth <= 65; depth++) {
        /* observation parentheses, and then the same inside the brackets */
        for (int inside = 0; inside <= 1; inside++) {
            size_t n = 0;
            if (inside)
                pat[n++] = '[';
            for (int i = 0; i < depth; i++)
                pat[n++] = '(';
            const char *core = inside ? "url:value = 'http://a.example/'" : inner;
            memcpy(pat + n, core, strlen(core));
            n += strlen(core);
            for (int i = 0; i < depth; i++)
                pat[n++] = ')';
            if (inside)
                pat[n++] = ']';
            pat[n] = '\0';
            acc_err rc = s_pattern(pat, urls, sizeof urls, &ei);
            if (depth <= 64) {
                assert_int_equal(rc, ACC_OK);
                assert_string_equal(urls, "http://a.example/");
            } else {
                assert_int_equal(rc, ACC_ERR_INVALID);
                assert_non_null(strstr(ei.msg, "parentheses nested deeper than 64 at character"));
            }
        }
    }
    /* many comparisons, just under the cap: all reported, each once */
    size_t n = 0;
    pat[n++] = '[';
    size_t count = 0;
    while (n < 65536 - 64) {
        n += (size_t)sprintf(pat + n, "%surl:value = 'http://a%zu.example/'", count ? " OR " : "",
                             count);
        count++;
    }
    pat[n++] = ']';
    pat[n] = '\0';
    assert_true(n <= 65536);
    json_t *doc =
        json_pack("{s:s, s:s, s:[{s:s, s:s, s:s, s:s, s:s}]}", "type", "bundle", "id",
                  "bundle--5d0092c5-5f74-4287-9642-33f4c354e56d", "objects", "type", "indicator",
                  "spec_version", "2.1", "id", IND_WHERE, "pattern_type", "stix", "pattern", pat);
    char *text = json_dumps(doc, 0);
    json_decref(doc);
    results rs;
    memset(&rs, 0, sizeof rs);
    acc_feed_t *feed = NULL;
    acc_feed_opts_t o = s_opts();
    assert_int_equal(acc_feed_new(ACC_FEED_STIX, text, strlen(text), &o, &feed, &ei), ACC_OK);
    size_t got = 0;
    for (;;) {
        Accord__V1__Report *r = NULL;
        char where[96];
        acc_err rc = acc_feed_next(feed, &r, where, sizeof where, &ei);
        if (rc == ACC_ERR_NOT_FOUND)
            break;
        assert_int_equal(rc, ACC_OK);
        char want[64];
        snprintf(want, sizeof want, "http://a%zu.example/", got);
        assert_string_equal(r->url, want);
        got++;
        accord__v1__report__free_unpacked(r, NULL);
    }
    assert_int_equal(got, count);
    acc_feed_destroy(&feed);
    free(text);

    /* over the cap */
    memset(pat, ' ', 65537);
    memcpy(pat, inner, strlen(inner));
    pat[65537] = '\0';
    assert_int_equal(s_pattern(pat, urls, sizeof urls, &ei), ACC_ERR_TOO_LARGE);
    assert_string_equal(ei.field, IND_WHERE ": pattern");
    assert_string_equal(ei.msg, "is 65537 bytes, more than the 65536 allowed");
    /* destroying a reader with reports still pending frees them */
    char *pending = s_json("{" B21 ", `objects`: [{" IND_HEAD ", " IND_ID ", `pattern`: "
                           "`[url:value IN ('http://a.example/', 'http://b.example/')]`}]}");
    assert_int_equal(s_open(pending, &feed, &ei), ACC_OK);
    Accord__V1__Report *r = NULL;
    char where[96];
    assert_int_equal(acc_feed_next(feed, &r, where, sizeof where, &ei), ACC_OK);
    accord__v1__report__free_unpacked(r, NULL);
    acc_feed_destroy(&feed);
    free(pending);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bundle_realistic), cmocka_unit_test(test_sample_file),
        cmocka_unit_test(test_bundle_checks),    cmocka_unit_test(test_object_errors),
        cmocka_unit_test(test_patterns_valid),   cmocka_unit_test(test_patterns_invalid),
        cmocka_unit_test(test_pattern_limits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
