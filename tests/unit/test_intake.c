/*
 * Tests of the intake service: the logic (intake_handle on a real LMDB store) and the
 * server (intake_server_run on real ZeroMQ sockets in a thread, driven by acc_client).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zmq.h>

#include "acc_client.h"
#include "acc_config.h"
#include "acc_ids.h"
#include "acc_test.h"
#include "intake/intake.h"
#include "intake/intake_server.h"

typedef struct {
    char *dir;
    acc_config_t *cfg;
    intake_t *intake;
} fixture;

static acc_config_t *
s_config(const char *dir, const char *extra)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/node.cfg", dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f, "agency = \"t-agency\";\ndata_dir = \"data\";\nlog_level = \"warn\";\n%s\n",
            extra ? extra : "intake = { bind = \"\"; };\nhttp = { bind = \"\"; };");
    fclose(f);
    acc_config_t *cfg = NULL;
    acc_errinfo_t ei;
    acc_errinfo_clear(&ei);
    acc_err err = acc_config_load(path, &cfg, &ei);
    if (err != ACC_OK)
        fail_msg("config: %s: %s", ei.field, ei.msg);
    char data[4200];
    snprintf(data, sizeof data, "%s/data", dir);
    mkdir(data, 0700);
    return cfg;
}

static int
setup(void **state)
{
    fixture *fx = calloc(1, sizeof *fx);
    fx->dir = acc_test_tmpdir();
    fx->cfg = s_config(fx->dir, NULL);
    acc_errinfo_t ei;
    assert_int_equal(intake_new(fx->cfg, &fx->intake, &ei), ACC_OK);
    *state = fx;
    return 0;
}

static int
teardown(void **state)
{
    fixture *fx = *state;
    intake_destroy(&fx->intake);
    acc_config_destroy(&fx->cfg);
    acc_test_rmtree(fx->dir);
    free(fx);
    return 0;
}

/* Build a report with the given fields (NULL = absent); strings are borrowed. */
static Accord__V1__Report *
s_report(const char *id, const char *url, const char *text, const char *category)
{
    Accord__V1__Report *r = malloc(sizeof *r);
    accord__v1__report__init(r);
    if (id)
        r->id = (char *)id;
    if (url)
        r->url = (char *)url;
    if (text)
        r->text = (char *)text;
    if (category)
        r->category = (char *)category;
    r->source = "test";
    return r;
}

/* Submit @n reports in one request; returns the response (caller frees). */
static Accord__V1__Response *
s_submit(intake_t *in, Accord__V1__Report **reps, size_t n)
{
    Accord__V1__SubmitReports sub = ACCORD__V1__SUBMIT_REPORTS__INIT;
    sub.reports = reps;
    sub.n_reports = n;
    Accord__V1__Request req = ACCORD__V1__REQUEST__INIT;
    req.request_id = 7;
    req.body_case = ACCORD__V1__REQUEST__BODY_SUBMIT;
    req.submit = &sub;
    Accord__V1__Request *reqs[1] = {&req};
    Accord__V1__Response *resp = NULL;
    assert_int_equal(intake_handle(in, reqs, 1, &resp), ACC_OK);
    assert_non_null(resp);
    assert_int_equal(resp->request_id, 7);
    return resp;
}

static Accord__V1__Response *
s_submit_one(intake_t *in, const char *id, const char *url, const char *text, const char *cat)
{
    Accord__V1__Report *r = s_report(id, url, text, cat);
    Accord__V1__Response *resp = s_submit(in, &r, 1);
    free(r);
    return resp;
}

static const Accord__V1__ReportResult *
s_result(const Accord__V1__Response *resp, size_t i)
{
    assert_int_equal(resp->status->code, ACCORD__V1__CODE__CODE_OK);
    assert_int_equal(resp->body_case, ACCORD__V1__RESPONSE__BODY_SUBMIT);
    assert_true(i < resp->submit->n_results);
    return resp->submit->results[i];
}

static Accord__V1__Pong
s_counts(intake_t *in)
{
    Accord__V1__Ping ping = ACCORD__V1__PING__INIT;
    Accord__V1__Request req = ACCORD__V1__REQUEST__INIT;
    req.body_case = ACCORD__V1__REQUEST__BODY_PING;
    req.ping = &ping;
    Accord__V1__Request *reqs[1] = {&req};
    Accord__V1__Response *resp = NULL;
    assert_int_equal(intake_handle(in, reqs, 1, &resp), ACC_OK);
    assert_int_equal(resp->body_case, ACCORD__V1__RESPONSE__BODY_PONG);
    Accord__V1__Pong p = *resp->pong;
    p.agency = p.node_name = NULL;
    accord__v1__response__free_unpacked(resp, NULL);
    return p;
}

static void
test_new_case_and_attach(void **state)
{
    fixture *fx = *state;
    int year = acc_ids_year(acc_ids_now_ms(), 420);
    char expect[64];
    snprintf(expect, sizeof expect, "t-agency/%d/000001", year);

    Accord__V1__Response *r1 =
        s_submit_one(fx->intake, NULL, "HTTP://Example.COM:80/a/../b?utm_source=x#f", NULL, "scam");
    assert_int_equal(s_result(r1, 0)->outcome, ACCORD__V1__OUTCOME__OUTCOME_NEW_CASE);
    assert_string_equal(s_result(r1, 0)->case_number, expect);
    assert_int_equal(strlen(s_result(r1, 0)->report_id), 36);

    Accord__V1__Response *r2 = s_submit_one(fx->intake, NULL, "http://example.com/b", NULL, "scam");
    assert_int_equal(s_result(r2, 0)->outcome, ACCORD__V1__OUTCOME__OUTCOME_ATTACHED);
    assert_string_equal(s_result(r2, 0)->case_number, expect);

    Accord__V1__Response *r3 = s_submit_one(fx->intake, NULL, "http://example.com/c", NULL, "scam");
    assert_int_equal(s_result(r3, 0)->outcome, ACCORD__V1__OUTCOME__OUTCOME_NEW_CASE);
    snprintf(expect, sizeof expect, "t-agency/%d/000002", year);
    assert_string_equal(s_result(r3, 0)->case_number, expect);

    Accord__V1__Pong p = s_counts(fx->intake);
    assert_int_equal(p.reports, 3);
    assert_int_equal(p.cases, 2);
    accord__v1__response__free_unpacked(r1, NULL);
    accord__v1__response__free_unpacked(r2, NULL);
    accord__v1__response__free_unpacked(r3, NULL);
}

static void
test_text_key(void **state)
{
    fixture *fx = *state;
    /* NFC vs NFD ("ệ" composed / decomposed) and different white space: one case. */
    Accord__V1__Response *a = s_submit_one(fx->intake, NULL, NULL,
                                           "Vi\xe1\xbb\x87t  Nam\tl\xe1\xbb\xab"
                                           "a",
                                           "scam");
    Accord__V1__Response *b = s_submit_one(fx->intake, NULL, NULL,
                                           " Vie\xcc\xa3\xcc\x82t Nam l\xe1\xbb\xab"
                                           "a ",
                                           "scam");
    assert_int_equal(s_result(a, 0)->outcome, ACCORD__V1__OUTCOME__OUTCOME_NEW_CASE);
    assert_int_equal(s_result(b, 0)->outcome, ACCORD__V1__OUTCOME__OUTCOME_ATTACHED);
    assert_string_equal(s_result(a, 0)->case_number, s_result(b, 0)->case_number);
    accord__v1__response__free_unpacked(a, NULL);
    accord__v1__response__free_unpacked(b, NULL);
}

static void
test_same_id_stored_once(void **state)
{
    fixture *fx = *state;
    const char *id = "0193a1b0-0000-7000-8000-0000000000aa";
    Accord__V1__Response *a = s_submit_one(fx->intake, id, "http://x.vn/1", NULL, "scam");
    Accord__V1__Response *b = s_submit_one(fx->intake, id, "http://x.vn/1", NULL, "scam");
    assert_int_equal(s_result(a, 0)->outcome, ACCORD__V1__OUTCOME__OUTCOME_NEW_CASE);
    assert_int_equal(s_result(b, 0)->outcome, ACCORD__V1__OUTCOME__OUTCOME_ALREADY_PRESENT);
    assert_string_equal(s_result(a, 0)->case_number, s_result(b, 0)->case_number);
    assert_string_equal(s_result(b, 0)->report_id, id);
    /* Twice in one batch: stored once. */
    const char *id2 = "0193a1b0-0000-7000-8000-0000000000bb";
    Accord__V1__Report *reps[2] = {s_report(id2, "http://x.vn/2", NULL, "scam"),
                                   s_report(id2, "http://x.vn/2", NULL, "scam")};
    Accord__V1__Response *c = s_submit(fx->intake, reps, 2);
    assert_int_equal(s_result(c, 0)->outcome, ACCORD__V1__OUTCOME__OUTCOME_NEW_CASE);
    assert_int_equal(s_result(c, 1)->outcome, ACCORD__V1__OUTCOME__OUTCOME_ALREADY_PRESENT);
    Accord__V1__Pong p = s_counts(fx->intake);
    assert_int_equal(p.reports, 2);
    assert_int_equal(p.cases, 2);
    free(reps[0]);
    free(reps[1]);
    accord__v1__response__free_unpacked(a, NULL);
    accord__v1__response__free_unpacked(b, NULL);
    accord__v1__response__free_unpacked(c, NULL);
}

/* Every rejection names its field and stores nothing, while the good report next to it
 * in the same request is stored. */
static void
test_rejections(void **state)
{
    fixture *fx = *state;
    static char longurl[9000], longtext[40000];
    memset(longurl, 'a', sizeof longurl - 1);
    memcpy(longurl, "http://x.vn/", 12);
    memset(longtext, 'b', sizeof longtext - 1);
    struct {
        Accord__V1__Report *r;
        const char *field;
        const char *msg_part;
    } cases[] = {
        {s_report(NULL, NULL, NULL, "scam"), "reports[0]", "url or a text"},
        {s_report(NULL, "http://ok.vn/", NULL, "nope"), "reports[1].category", "phishing-malware"},
        {s_report(NULL, "http://ok.vn/", NULL, NULL), "reports[2].category", "missing"},
        {s_report("not-a-uuid", "http://ok.vn/", NULL, "scam"), "reports[3].id", "UUID"},
        {s_report(NULL, "http://", NULL, "scam"), "reports[4].url", ""},
        {s_report(NULL, longurl, NULL, "scam"), "reports[5].url", "8192"},
        {s_report(NULL, NULL, longtext, "scam"), "reports[6].text", "32768"},
        {s_report(NULL, NULL, " \t\n ", "scam"), "reports[7].text", "empty"},
    };
    size_t n = sizeof cases / sizeof *cases;
    Accord__V1__Report *reps[16];
    for (size_t i = 0; i < n; i++)
        reps[i] = cases[i].r;
    reps[n] = s_report(NULL, "http://good.vn/", NULL, "scam");
    Accord__V1__Report conf = *reps[n];
    conf.confidence = 101;
    conf.url = "http://good2.vn/";
    reps[n + 1] = &conf;
    Accord__V1__Response *resp = s_submit(fx->intake, reps, n + 2);
    for (size_t i = 0; i < n; i++) {
        const Accord__V1__ReportResult *res = s_result(resp, i);
        assert_int_equal(res->outcome, ACCORD__V1__OUTCOME__OUTCOME_REJECTED);
        assert_non_null(res->error);
        assert_string_equal(res->error->field, cases[i].field);
        if (!strstr(res->error->message, cases[i].msg_part))
            fail_msg("%s: '%s' lacks '%s'", cases[i].field, res->error->message, cases[i].msg_part);
        assert_true(strlen(res->error->message) > 0);
    }
    assert_int_equal(s_result(resp, n)->outcome, ACCORD__V1__OUTCOME__OUTCOME_NEW_CASE);
    assert_int_equal(s_result(resp, n + 1)->outcome, ACCORD__V1__OUTCOME__OUTCOME_REJECTED);
    assert_string_equal(s_result(resp, n + 1)->error->field, "reports[9].confidence");
    Accord__V1__Pong p = s_counts(fx->intake);
    assert_int_equal(p.reports, 1);
    assert_int_equal(p.cases, 1);
    for (size_t i = 0; i <= n; i++)
        free(reps[i]);
    accord__v1__response__free_unpacked(resp, NULL);
}

static void
test_restart_keeps_numbering(void **state)
{
    fixture *fx = *state;
    Accord__V1__Response *a = s_submit_one(fx->intake, NULL, "http://a.vn/x", NULL, "scam");
    Accord__V1__Response *b = s_submit_one(fx->intake, NULL, "http://b.vn/x", NULL, "scam");
    char first[64];
    snprintf(first, sizeof first, "%s", s_result(a, 0)->case_number);
    intake_destroy(&fx->intake);
    acc_errinfo_t ei;
    assert_int_equal(intake_new(fx->cfg, &fx->intake, &ei), ACC_OK);
    /* The index was rebuilt: an equivalent URL attaches to the first case. */
    Accord__V1__Response *c = s_submit_one(fx->intake, NULL, "http://A.VN/x?gclid=1", NULL, "scam");
    assert_int_equal(s_result(c, 0)->outcome, ACCORD__V1__OUTCOME__OUTCOME_ATTACHED);
    assert_string_equal(s_result(c, 0)->case_number, first);
    /* And numbering continues: the next new case is number 3. */
    Accord__V1__Response *d = s_submit_one(fx->intake, NULL, "http://c.vn/x", NULL, "scam");
    assert_non_null(strstr(s_result(d, 0)->case_number, "/000003"));
    accord__v1__response__free_unpacked(a, NULL);
    accord__v1__response__free_unpacked(b, NULL);
    accord__v1__response__free_unpacked(c, NULL);
    accord__v1__response__free_unpacked(d, NULL);
}

static Accord__V1__Response *
s_query(intake_t *in, Accord__V1__Request *req)
{
    Accord__V1__Request *reqs[1] = {req};
    Accord__V1__Response *resp = NULL;
    assert_int_equal(intake_handle(in, reqs, 1, &resp), ACC_OK);
    return resp;
}

static void
test_list_and_show(void **state)
{
    fixture *fx = *state;
    char url[64];
    for (int i = 0; i < 5; i++) {
        snprintf(url, sizeof url, "http://list%d.vn/", i);
        accord__v1__response__free_unpacked(
            s_submit_one(fx->intake, NULL, url, NULL, i % 2 ? "gambling" : "scam"), NULL);
    }
    accord__v1__response__free_unpacked(
        s_submit_one(fx->intake, NULL, "http://LIST0.vn", NULL, "scam"), NULL);

    Accord__V1__ListCases q = ACCORD__V1__LIST_CASES__INIT;
    Accord__V1__Request req = ACCORD__V1__REQUEST__INIT;
    req.body_case = ACCORD__V1__REQUEST__BODY_LIST_CASES;
    req.list_cases = &q;
    q.category = "gambling";
    Accord__V1__Response *r = s_query(fx->intake, &req);
    assert_int_equal(r->status->code, ACCORD__V1__CODE__CODE_OK);
    assert_int_equal(r->cases->n_cases, 2);
    accord__v1__response__free_unpacked(r, NULL);

    q.category = "";
    q.limit = 2;
    r = s_query(fx->intake, &req);
    assert_int_equal(r->cases->n_cases, 2);
    assert_true(r->cases->more);
    q.after_ordinal = r->cases->cases[1]->ordinal;
    accord__v1__response__free_unpacked(r, NULL);
    q.limit = 0;
    r = s_query(fx->intake, &req);
    assert_int_equal(r->cases->n_cases, 3);
    assert_false(r->cases->more);
    accord__v1__response__free_unpacked(r, NULL);

    q.after_ordinal = 0;
    q.status = "bogus";
    r = s_query(fx->intake, &req);
    assert_int_equal(r->status->code, ACCORD__V1__CODE__CODE_INVALID);
    assert_string_equal(r->status->field, "status");
    accord__v1__response__free_unpacked(r, NULL);

    Accord__V1__GetCase g = ACCORD__V1__GET_CASE__INIT;
    char number[64];
    snprintf(number, sizeof number, "t-agency/%d/000001", acc_ids_year(acc_ids_now_ms(), 420));
    g.number = number;
    Accord__V1__Request greq = ACCORD__V1__REQUEST__INIT;
    greq.body_case = ACCORD__V1__REQUEST__BODY_GET_CASE;
    greq.get_case = &g;
    r = s_query(fx->intake, &greq);
    assert_int_equal(r->status->code, ACCORD__V1__CODE__CODE_OK);
    assert_int_equal(r->case_detail->case_info->reports, 2);
    assert_int_equal(r->case_detail->n_reports, 2);
    assert_string_equal(r->case_detail->reports[1]->report->url, "http://LIST0.vn");
    assert_string_equal(r->case_detail->case_info->content_key, "http://list0.vn/");
    accord__v1__response__free_unpacked(r, NULL);

    g.number = "t-agency/1999/000001";
    r = s_query(fx->intake, &greq);
    assert_int_equal(r->status->code, ACCORD__V1__CODE__CODE_NOT_FOUND);
    accord__v1__response__free_unpacked(r, NULL);
    g.number = "../../etc";
    r = s_query(fx->intake, &greq);
    assert_int_equal(r->status->code, ACCORD__V1__CODE__CODE_INVALID);
    accord__v1__response__free_unpacked(r, NULL);
}

/* A store that cannot grow answers RETRY, stores nothing of the batch, and keeps working
 * for what was committed before. */
static void
test_store_full(void **state)
{
    (void)state;
    char *dir = acc_test_tmpdir();
    acc_config_t *cfg =
        s_config(dir, "intake = { bind = \"\"; map_size_mb = 1; map_max_mb = 1; };");
    intake_t *in = NULL;
    acc_errinfo_t ei;
    assert_int_equal(intake_new(cfg, &in, &ei), ACC_OK);
    static char desc[30000];
    memset(desc, 'd', sizeof desc - 1);
    int retry = 0;
    uint64_t stored = 0;
    char url[64];
    for (int i = 0; i < 200 && !retry; i++) {
        Accord__V1__Report *reps[4];
        for (int j = 0; j < 4; j++) {
            snprintf(url, sizeof url, "http://full%d-%d.vn/", i, j);
            reps[j] = s_report(NULL, url, NULL, "scam");
            reps[j]->url = strdup(url);
            reps[j]->description = desc;
        }
        Accord__V1__Response *r = s_submit(in, reps, 4);
        if (r->status->code == ACCORD__V1__CODE__CODE_RETRY) {
            retry = 1;
            assert_non_null(strstr(r->status->message, "full"));
        } else {
            assert_int_equal(r->status->code, ACCORD__V1__CODE__CODE_OK);
            stored += 4;
        }
        for (int j = 0; j < 4; j++) {
            free(reps[j]->url);
            free(reps[j]);
        }
        accord__v1__response__free_unpacked(r, NULL);
    }
    assert_true(retry);
    Accord__V1__Pong p = s_counts(in);
    assert_int_equal(p.reports, stored);
    /* Still answers, and a restart sees exactly what was acknowledged. */
    intake_destroy(&in);
    assert_int_equal(intake_new(cfg, &in, &ei), ACC_OK);
    p = s_counts(in);
    assert_int_equal(p.reports, stored);
    assert_int_equal(p.cases, stored);
    intake_destroy(&in);
    acc_config_destroy(&cfg);
    acc_test_rmtree(dir);
}

/* Attachments to older cases go to the append-only attach_log and move into case_reports
 * when intake is idle: case show, counts and a restart agree before and after. */
static void
test_attach_log_compaction(void **state)
{
    fixture *fx = *state;
    char url[64];
    for (int i = 0; i < 3; i++) {
        snprintf(url, sizeof url, "http://compact%d.vn/", i);
        accord__v1__response__free_unpacked(s_submit_one(fx->intake, NULL, url, NULL, "scam"),
                                            NULL);
    }
    /* 5 attachments to case 1, 2 to case 3, interleaved */
    const char *att[] = {"http://COMPACT0.vn",    "http://compact2.vn/?utm_source=a",
                         "http://compact0.vn/#x", "http://compact0.vn:80/",
                         "http://Compact2.VN",    "http://compact0.vn/?fbclid=1",
                         "http://compact0.vn./"};
    for (size_t i = 0; i < sizeof att / sizeof *att; i++) {
        Accord__V1__Response *r = s_submit_one(fx->intake, NULL, att[i], NULL, "scam");
        assert_int_equal(s_result(r, 0)->outcome, ACCORD__V1__OUTCOME__OUTCOME_ATTACHED);
        accord__v1__response__free_unpacked(r, NULL);
    }
    char number[64];
    int year = acc_ids_year(acc_ids_now_ms(), 420);
    for (int round = 0; round < 3; round++) {
        /* round 0: from attach_log; round 1: after compaction; round 2: after a restart */
        if (round == 1) {
            usleep(600 * 1000);
            intake_idle(fx->intake);
        } else if (round == 2) {
            intake_destroy(&fx->intake);
            acc_errinfo_t ei;
            assert_int_equal(intake_new(fx->cfg, &fx->intake, &ei), ACC_OK);
        }
        int want[3] = {6, 1, 3};
        for (int c = 0; c < 3; c++) {
            snprintf(number, sizeof number, "t-agency/%d/%06d", year, c + 1);
            Accord__V1__GetCase g = ACCORD__V1__GET_CASE__INIT;
            g.number = number;
            Accord__V1__Request greq = ACCORD__V1__REQUEST__INIT;
            greq.body_case = ACCORD__V1__REQUEST__BODY_GET_CASE;
            greq.get_case = &g;
            Accord__V1__Response *d = s_query(fx->intake, &greq);
            assert_int_equal(d->case_detail->case_info->reports, want[c]);
            assert_int_equal(d->case_detail->n_reports, want[c]);
            for (size_t k = 1; k < d->case_detail->n_reports; k++)
                assert_true(d->case_detail->reports[k - 1]->seq < d->case_detail->reports[k]->seq);
            accord__v1__response__free_unpacked(d, NULL);
        }
    }
}

/* Contact details are accepted, flagged on the report, and never part of the stored
 * report (the record a stream or a peer would see); a contact pointing nowhere is refused. */
static void
test_contacts(void **state)
{
    fixture *fx = *state;
    Accord__V1__Report *r = s_report(NULL, "http://contact.vn/", NULL, "scam");
    Accord__V1__ReporterContact ct = ACCORD__V1__REPORTER_CONTACT__INIT, *cts[1] = {&ct};
    ct.name = "Nguyễn Văn A";
    ct.phone = "0900000000";
    Accord__V1__SubmitReports sub = ACCORD__V1__SUBMIT_REPORTS__INIT;
    sub.reports = &r;
    sub.n_reports = 1;
    sub.contacts = cts;
    sub.n_contacts = 1;
    Accord__V1__Request req = ACCORD__V1__REQUEST__INIT;
    req.body_case = ACCORD__V1__REQUEST__BODY_SUBMIT;
    req.submit = &sub;
    Accord__V1__Response *resp = s_query(fx->intake, &req);
    assert_int_equal(s_result(resp, 0)->outcome, ACCORD__V1__OUTCOME__OUTCOME_NEW_CASE);
    Accord__V1__GetCase g = ACCORD__V1__GET_CASE__INIT;
    g.number = s_result(resp, 0)->case_number;
    Accord__V1__Request greq = ACCORD__V1__REQUEST__INIT;
    greq.body_case = ACCORD__V1__REQUEST__BODY_GET_CASE;
    greq.get_case = &g;
    Accord__V1__Response *d = s_query(fx->intake, &greq);
    assert_int_equal(d->case_detail->n_reports, 1);
    const Accord__V1__StoredReport *sr = d->case_detail->reports[0];
    assert_true(sr->has_contact);
    /* nothing of the contact in the stored report */
    uint8_t buf[4096];
    size_t n = accord__v1__stored_report__pack(sr, buf);
    assert_null(memmem(buf, n, "0900000000", 10));
    assert_null(memmem(buf, n, "Nguy", 4));
    accord__v1__response__free_unpacked(d, NULL);
    accord__v1__response__free_unpacked(resp, NULL);

    ct.index = 1; /* no such report */
    resp = s_query(fx->intake, &req);
    assert_int_equal(resp->status->code, ACCORD__V1__CODE__CODE_INVALID);
    assert_string_equal(resp->status->field, "submit.contacts[0].index");
    accord__v1__response__free_unpacked(resp, NULL);
    Accord__V1__Pong p = s_counts(fx->intake);
    assert_int_equal(p.reports, 1);
    free(r);
}

/* Trust and default confidence come from this node's config for the source, never from
 * the submitter. */
static void
test_source_trust(void **state)
{
    (void)state;
    char *dir = acc_test_tmpdir();
    acc_config_t *cfg = s_config(dir, "intake = { bind = \"\"; };\n"
                                      "sources = ( { name = \"citizen\"; trust = \"low\"; "
                                      "confidence = 30; } );");
    intake_t *in = NULL;
    acc_errinfo_t ei;
    assert_int_equal(intake_new(cfg, &in, &ei), ACC_OK);
    Accord__V1__Report *r[3] = {s_report(NULL, "http://t1.vn/", NULL, "scam"),
                                s_report(NULL, "http://t2.vn/", NULL, "scam"),
                                s_report(NULL, "http://t3.vn/", NULL, "scam")};
    r[0]->source = "citizen";
    r[0]->trust = "high"; /* a claim the node ignores */
    r[1]->source = "citizen";
    r[1]->confidence = 90;
    r[2]->source = "somebody";
    r[2]->trust = "high";
    Accord__V1__Response *resp = s_submit(in, r, 3);
    const char *want_trust[3] = {"low", "low", ""};
    uint32_t want_conf[3] = {30, 90, 0};
    for (int i = 0; i < 3; i++) {
        Accord__V1__GetCase g = ACCORD__V1__GET_CASE__INIT;
        g.number = s_result(resp, (size_t)i)->case_number;
        Accord__V1__Request greq = ACCORD__V1__REQUEST__INIT;
        greq.body_case = ACCORD__V1__REQUEST__BODY_GET_CASE;
        greq.get_case = &g;
        Accord__V1__Response *d = s_query(in, &greq);
        assert_string_equal(d->case_detail->reports[0]->report->trust, want_trust[i]);
        assert_int_equal(d->case_detail->reports[0]->report->confidence, want_conf[i]);
        accord__v1__response__free_unpacked(d, NULL);
        free(r[i]);
    }
    accord__v1__response__free_unpacked(resp, NULL);
    intake_destroy(&in);
    acc_config_destroy(&cfg);
    acc_test_rmtree(dir);
}

/* --- the server on real sockets ------------------------------------------------------ */

typedef struct {
    acc_config_t *cfg;
    void *zctx;
    volatile sig_atomic_t stop;
    acc_err err;
} s_srv;

static void *
s_srv_main(void *arg)
{
    s_srv *s = arg;
    acc_errinfo_t ei;
    s->err = intake_server_run(s->cfg, s->zctx, ACC_SERVICE_INPROC, &s->stop, &ei);
    return NULL;
}

static acc_client_t *
s_client(s_srv *s)
{
    char ep[4200];
    snprintf(ep, sizeof ep, "ipc://%s", s->cfg->intake.ipc_path);
    for (int i = 0; i < 100 && access(s->cfg->intake.ipc_path, F_OK) != 0; i++)
        usleep(20000);
    acc_client_t *c = NULL;
    assert_int_equal(acc_client_new(ep, 8 << 20, &c, NULL), ACC_OK);
    return c;
}

static Accord__V1__Response *
s_raw(acc_client_t *c, const void *buf, size_t len)
{
    assert_int_equal(acc_client_send_raw(c, buf, len), ACC_OK);
    Accord__V1__Response *r = NULL;
    assert_int_equal(acc_client_recv(c, 5000, &r, NULL), ACC_OK);
    return r;
}

static void
s_expect_invalid(acc_client_t *c, const void *buf, size_t len, Accord__V1__Code code,
                 const char *field_part, const char *msg_part)
{
    Accord__V1__Response *r = s_raw(c, buf, len);
    assert_int_equal(r->status->code, code);
    if (field_part && !strstr(r->status->field, field_part))
        fail_msg("field '%s' lacks '%s'", r->status->field, field_part);
    if (msg_part && !strstr(r->status->message, msg_part))
        fail_msg("message '%s' lacks '%s'", r->status->message, msg_part);
    accord__v1__response__free_unpacked(r, NULL);
}

/* Encode a request with one report whose url bytes are @url[0..@n). */
static size_t
s_encode_url(unsigned char *out, const char *url, size_t n)
{
    /* Report{url=2}: 0x12 len bytes; SubmitReports{reports=1}: 0x0a; Request{submit=10}: 0x52 */
    unsigned char rep[64];
    size_t rl = 0;
    rep[rl++] = 0x12;
    rep[rl++] = (unsigned char)n;
    memcpy(rep + rl, url, n);
    rl += n;
    rep[rl++] = 0x22; /* category = "scam" */
    rep[rl++] = 4;
    memcpy(rep + rl, "scam", 4);
    rl += 4;
    size_t o = 0;
    out[o++] = 0x08; /* request_id = 9 */
    out[o++] = 9;
    out[o++] = 0x52;
    out[o++] = (unsigned char)(rl + 2);
    out[o++] = 0x0a;
    out[o++] = (unsigned char)rl;
    memcpy(out + o, rep, rl);
    return o + rl;
}

static void
test_server_hostile_input(void **state)
{
    (void)state;
    char *dir = acc_test_tmpdir();
    s_srv s = {.cfg = s_config(dir, NULL), .zctx = zmq_ctx_new()};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, s_srv_main, &s), 0);
    acc_client_t *c = s_client(&s);

    /* garbage */
    s_expect_invalid(c, "\xff\xff\xff\xff\xff", 5, ACCORD__V1__CODE__CODE_INVALID, NULL, "tag");
    /* a well-formed varint for an unknown field */
    s_expect_invalid(c, "\x08\x05\xf8\x06\x01", 5, ACCORD__V1__CODE__CODE_INVALID, NULL,
                     "unknown field 111");
    /* the over-long field-0 tag that poisons protobuf-c relays (PITFALLS) */
    s_expect_invalid(c, "\x80\x00", 2, ACCORD__V1__CODE__CODE_INVALID, NULL, "field number");
    /* a length running past the end */
    s_expect_invalid(c, "\x52\x7f\x0a", 3, ACCORD__V1__CODE__CODE_INVALID, "submit",
                     "past the end");
    /* 10,000 levels of nesting (34 KB) */
    {
        size_t levels = 10000, len = 0;
        unsigned char *deep = malloc(levels * 4 + 16);
        /* built inside out: each level is field 10 (submit), length-delimited */
        size_t inner = 0;
        unsigned char *buf = malloc(levels * 8 + 16);
        for (size_t i = 0; i < levels; i++) {
            unsigned char hdr[8];
            size_t h = 0;
            hdr[h++] = 0x52;
            size_t v = inner;
            do {
                hdr[h++] = (unsigned char)((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
                v >>= 7;
            } while (v);
            memmove(buf + h, buf, inner);
            memcpy(buf, hdr, h);
            inner += h;
        }
        len = inner;
        s_expect_invalid(c, buf, len, ACCORD__V1__CODE__CODE_INVALID, "submit", NULL);
        free(buf);
        free(deep);
    }
    /* invalid UTF-8 and an embedded NUL in a string, with the field path named */
    unsigned char msg[128];
    size_t n = s_encode_url(msg, "http://a.vn/\xc3\x28", 14);
    s_expect_invalid(c, msg, n, ACCORD__V1__CODE__CODE_INVALID, "submit.reports[0].url", "utf-8");
    n = s_encode_url(msg, "http://a.vn/\0x", 14);
    s_expect_invalid(c, msg, n, ACCORD__V1__CODE__CODE_INVALID, "submit.reports[0].url", NULL);
    /* oversized (1.5 MiB: over the 1 MiB limit, under the socket's hard cap) */
    {
        size_t big = 1536 * 1024;
        unsigned char *b = calloc(1, big);
        b[0] = 0x08;
        b[1] = 3;
        s_expect_invalid(c, b, big, ACCORD__V1__CODE__CODE_TOO_LARGE, NULL, "larger than");
        free(b);
    }
    /* two frames */
    {
        void *sock = NULL;
        (void)sock;
        Accord__V1__Response *r = NULL;
        char ep[4200];
        snprintf(ep, sizeof ep, "ipc://%s", s.cfg->intake.ipc_path);
        void *ctx2 = zmq_ctx_new();
        void *d = zmq_socket(ctx2, ZMQ_DEALER);
        assert_int_equal(zmq_connect(d, ep), 0);
        zmq_send(d, "\x08\x01", 2, ZMQ_SNDMORE);
        zmq_send(d, "\x08\x01", 2, 0);
        zmq_pollitem_t it = {.socket = d, .events = ZMQ_POLLIN};
        assert_int_equal(zmq_poll(&it, 1, 5000), 1);
        char buf[512];
        int got = zmq_recv(d, buf, sizeof buf, 0);
        assert_true(got > 0);
        r = accord__v1__response__unpack(NULL, (size_t)got, (uint8_t *)buf);
        assert_non_null(r);
        assert_int_equal(r->status->code, ACCORD__V1__CODE__CODE_INVALID);
        assert_string_equal(r->status->field, "frames");
        accord__v1__response__free_unpacked(r, NULL);
        int linger = 0;
        zmq_setsockopt(d, ZMQ_LINGER, &linger, sizeof linger);
        zmq_close(d);
        zmq_ctx_term(ctx2);
    }
    /* a request with no body */
    s_expect_invalid(c, "\x08\x02", 2, ACCORD__V1__CODE__CODE_INVALID, "body", NULL);

    /* The node is still up, and nothing of the above was stored. */
    Accord__V1__Ping ping = ACCORD__V1__PING__INIT;
    Accord__V1__Request req = ACCORD__V1__REQUEST__INIT;
    req.body_case = ACCORD__V1__REQUEST__BODY_PING;
    req.ping = &ping;
    Accord__V1__Response *r = NULL;
    assert_int_equal(acc_client_call(c, &req, 5000, &r, NULL), ACC_OK);
    assert_int_equal(r->pong->reports, 0);
    assert_int_equal(r->pong->cases, 0);
    accord__v1__response__free_unpacked(r, NULL);

    /* A good submission over the socket works and is pipelined. */
    n = s_encode_url(msg, "http://good.vn/", 15);
    for (int i = 0; i < 3; i++)
        assert_int_equal(acc_client_send_raw(c, msg, n), ACC_OK);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(acc_client_recv(c, 5000, &r, NULL), ACC_OK);
        assert_int_equal(r->status->code, ACCORD__V1__CODE__CODE_OK);
        assert_int_equal(r->submit->results[0]->outcome,
                         i == 0 ? ACCORD__V1__OUTCOME__OUTCOME_NEW_CASE
                                : ACCORD__V1__OUTCOME__OUTCOME_ATTACHED);
        accord__v1__response__free_unpacked(r, NULL);
    }

    acc_client_destroy(&c);
    s.stop = 1;
    pthread_join(th, NULL);
    assert_int_equal(s.err, ACC_OK);
    zmq_ctx_term(s.zctx);
    acc_config_destroy(&s.cfg);
    acc_test_rmtree(dir);
}

/* Two intakes cannot share a data directory. */
static void
test_server_lock(void **state)
{
    (void)state;
    char *dir = acc_test_tmpdir();
    s_srv s = {.cfg = s_config(dir, NULL), .zctx = zmq_ctx_new()};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, s_srv_main, &s), 0);
    acc_client_t *c = s_client(&s);
    volatile sig_atomic_t stop2 = 0;
    acc_errinfo_t ei;
    acc_errinfo_clear(&ei);
    assert_int_equal(intake_server_run(s.cfg, s.zctx, ACC_SERVICE_INPROC, &stop2, &ei),
                     ACC_ERR_UNAVAILABLE);
    assert_non_null(strstr(ei.msg, "another intake"));
    acc_client_destroy(&c);
    s.stop = 1;
    pthread_join(th, NULL);
    zmq_ctx_term(s.zctx);
    acc_config_destroy(&s.cfg);
    acc_test_rmtree(dir);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_new_case_and_attach, setup, teardown),
        cmocka_unit_test_setup_teardown(test_text_key, setup, teardown),
        cmocka_unit_test_setup_teardown(test_same_id_stored_once, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rejections, setup, teardown),
        cmocka_unit_test_setup_teardown(test_restart_keeps_numbering, setup, teardown),
        cmocka_unit_test_setup_teardown(test_list_and_show, setup, teardown),
        cmocka_unit_test_setup_teardown(test_contacts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_attach_log_compaction, setup, teardown),
        cmocka_unit_test(test_source_trust),
        cmocka_unit_test(test_store_full),
        cmocka_unit_test(test_server_hostile_input),
        cmocka_unit_test(test_server_lock),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
