/*
 * Tests of the reporting service with real parts: reporting_service runs under
 * acc_service_run (inproc mode) in a thread on a temporary data directory; a fake producer
 * thread serves the four input streams (intake, verification, assignment, notification)
 * from a store of its own at their inproc endpoints, appending scripted events; the test
 * asks reporting over its ipc control socket with acc_client.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <jansson.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#include "acc_client.h"
#include "acc_config.h"
#include "acc_log.h"
#include "acc_loop.h"
#include "acc_service.h"
#include "acc_store.h"
#include "acc_stream.h"
#include "acc_test.h"
#include "accord/v1/assignment.pb-c.h"
#include "accord/v1/intake.pb-c.h"
#include "accord/v1/notification.pb-c.h"
#include "accord/v1/verification.pb-c.h"
#include "reporting/reporting.h"

#define N_IN 4
#define QUEUE_MAX 256
#define WAIT_MS 5000

enum { IN_INTAKE = 0, IN_VERIFICATION, IN_ASSIGNMENT, IN_NOTIFICATION };
static const char *const s_names[N_IN + 1] = {"intake", "verification", "assignment",
                                              "notification", NULL};

#define C1 "t-lead/2024/000001"
#define C2 "t-lead/2024/000002"
#define C3 "t-lead/2024/000003"

typedef struct {
    int input;
    uint8_t *buf;
    size_t len;
} s_item;

typedef struct {
    char *dir;
    acc_config_t *cfg;
    void *zctx;
    /* the fake producers, on their own thread */
    pthread_t prod;
    pthread_mutex_t mu;
    s_item q[QUEUE_MAX];
    size_t nq;
    int prod_state; /* 0 starting, 1 running, -1 failed (under mu) */
    volatile sig_atomic_t prod_stop;
    acc_store_t *pstore;
    acc_table logs[N_IN];
    uint64_t heads[N_IN];
    acc_stream_server_t *servers[N_IN];
    /* the reporting service, on its own thread */
    pthread_t svc;
    int svc_running;
    int svc_done; /* the thread has returned (under mu) */
    volatile sig_atomic_t svc_stop;
    acc_err svc_err;
    acc_errinfo_t svc_ei;
    acc_client_t *client;
} fixture;

/* --- the fake producers ---------------------------------------------------------------- */

typedef struct {
    fixture *fx;
    s_item *item;
} s_append_arg;

static acc_err
s_append_fn(acc_txn_t *txn, void *arg)
{
    s_append_arg *a = arg;
    int i = a->item->input;
    return acc_stream_append(txn, a->fx->logs[i], a->fx->heads[i], a->item->buf, a->item->len);
}

static acc_err
s_drain(acc_loop_t *loop, void *arg)
{
    (void)loop;
    fixture *fx = arg;
    s_item items[QUEUE_MAX];
    pthread_mutex_lock(&fx->mu);
    size_t n = fx->nq;
    memcpy(items, fx->q, n * sizeof *items);
    fx->nq = 0;
    pthread_mutex_unlock(&fx->mu);
    for (size_t k = 0; k < n; k++) {
        s_append_arg a = {fx, &items[k]};
        acc_err err = acc_store_write(fx->pstore, s_append_fn, &a);
        free(items[k].buf);
        if (err != ACC_OK)
            return err;
        int i = items[k].input;
        fx->heads[i]++;
        acc_stream_server_notify(fx->servers[i], fx->heads[i]);
    }
    return ACC_OK;
}

static void *
s_producer(void *arg)
{
    fixture *fx = arg;
    acc_loop_t *loop = NULL;
    acc_errinfo_t ei;
    acc_errinfo_clear(&ei);
    char path[4200];
    snprintf(path, sizeof path, "%s/producers", fx->dir);
    acc_store_opts_t opts = {.tables = (const char *const *)s_names};
    int ok =
        acc_store_open(path, &opts, &fx->pstore, &ei) == ACC_OK && acc_loop_new(&loop) == ACC_OK;
    for (int i = 0; ok && i < N_IN; i++) {
        char ep[256];
        acc_service_stream_endpoint(s_names[i], ep, sizeof ep);
        const char *eps[2] = {ep, NULL};
        ok = acc_store_table(fx->pstore, s_names[i], &fx->logs[i]) == ACC_OK &&
             acc_stream_server_new(fx->zctx, fx->pstore, fx->logs[i], s_names[i], eps, NULL, 0,
                                   &fx->servers[i], &ei) == ACC_OK &&
             acc_stream_server_attach(fx->servers[i], loop) == ACC_OK;
    }
    ok = ok && acc_loop_add_timer(loop, 2, s_drain, fx) == ACC_OK;
    pthread_mutex_lock(&fx->mu);
    fx->prod_state = ok ? 1 : -1;
    pthread_mutex_unlock(&fx->mu);
    if (ok && acc_loop_run(loop, &fx->prod_stop) != ACC_OK)
        fprintf(stderr, "test producer loop failed\n");
    for (int i = 0; i < N_IN; i++)
        acc_stream_server_destroy(&fx->servers[i]);
    acc_loop_destroy(&loop);
    acc_store_destroy(&fx->pstore);
    return NULL;
}

/* Queue @event for producer @input (the producer thread appends it within ~2 ms). */
static void
s_push(fixture *fx, int input, const ProtobufCMessage *event)
{
    size_t n = protobuf_c_message_get_packed_size(event);
    uint8_t *buf = malloc(n ? n : 1);
    assert_non_null(buf);
    protobuf_c_message_pack(event, buf);
    pthread_mutex_lock(&fx->mu);
    assert_true(fx->nq < QUEUE_MAX);
    fx->q[fx->nq++] = (s_item){input, buf, n};
    pthread_mutex_unlock(&fx->mu);
}

static void
s_push_raw(fixture *fx, int input, const char *bytes, size_t n)
{
    uint8_t *buf = malloc(n);
    assert_non_null(buf);
    memcpy(buf, bytes, n);
    pthread_mutex_lock(&fx->mu);
    fx->q[fx->nq++] = (s_item){input, buf, n};
    pthread_mutex_unlock(&fx->mu);
}

/* --- the service ----------------------------------------------------------------------- */

static void *
s_service(void *arg)
{
    fixture *fx = arg;
    acc_err err = acc_service_run(&reporting_service, fx->cfg, fx->zctx, ACC_SERVICE_INPROC,
                                  &fx->svc_stop, &fx->svc_ei);
    pthread_mutex_lock(&fx->mu);
    fx->svc_err = err;
    fx->svc_done = 1;
    pthread_mutex_unlock(&fx->mu);
    return NULL;
}

static void
s_sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static void
s_service_start(fixture *fx)
{
    fx->svc_stop = 0;
    fx->svc_err = ACC_OK;
    fx->svc_done = 0;
    acc_errinfo_clear(&fx->svc_ei);
    assert_int_equal(pthread_create(&fx->svc, NULL, s_service, fx), 0);
    fx->svc_running = 1;
    char ep[4200];
    snprintf(ep, sizeof ep, "ipc://%s/reporting.sock", fx->cfg->data_dir);
    /* Started means answering a ping: the socket file may still be the previous run's, and a
     * request sent while libzmq closes that run's listener is lost. */
    Accord__V1__Ping ping = ACCORD__V1__PING__INIT;
    Accord__V1__Request req = ACCORD__V1__REQUEST__INIT;
    req.body_case = ACCORD__V1__REQUEST__BODY_PING;
    req.ping = &ping;
    for (int t = 0; t < WAIT_MS / 100; t++) {
        acc_errinfo_t ei;
        Accord__V1__Response *resp = NULL;
        req.request_id = 0;
        if (acc_client_new(ep, 64u << 20, &fx->client, &ei) == ACC_OK &&
            acc_client_call(fx->client, &req, 100, &resp, &ei) == ACC_OK) {
            int pong = resp->body_case == ACCORD__V1__RESPONSE__BODY_PONG &&
                       strcmp(resp->pong->agency, "t-lead") == 0;
            accord__v1__response__free_unpacked(resp, NULL);
            assert_true(pong);
            return;
        }
        acc_client_destroy(&fx->client);
        pthread_mutex_lock(&fx->mu);
        int done = fx->svc_done;
        acc_err err = fx->svc_err;
        pthread_mutex_unlock(&fx->mu);
        if (done) {
            pthread_join(fx->svc, NULL);
            fx->svc_running = 0;
            /* libzmq releases the inproc endpoints of a closed socket later, on its reaper
             * thread: a restart in the same context can find them still taken for a while. */
            if (err != ACC_ERR_NET)
                fail_msg("reporting failed: %s", fx->svc_ei.msg);
            fx->svc_done = 0;
            fx->svc_err = ACC_OK;
            acc_errinfo_clear(&fx->svc_ei);
            assert_int_equal(pthread_create(&fx->svc, NULL, s_service, fx), 0);
            fx->svc_running = 1;
        }
        s_sleep_ms(10);
    }
    fail_msg("reporting did not start: %s", fx->svc_ei.msg);
}

static void
s_service_stop(fixture *fx)
{
    acc_client_destroy(&fx->client);
    if (!fx->svc_running)
        return;
    fx->svc_stop = 1;
    pthread_join(fx->svc, NULL);
    fx->svc_running = 0;
    pthread_mutex_lock(&fx->mu);
    acc_err err = fx->svc_err;
    pthread_mutex_unlock(&fx->mu);
    assert_int_equal(err, ACC_OK);
}

static int
setup(void **state)
{
    fixture *fx = calloc(1, sizeof *fx);
    assert_non_null(fx);
    fx->dir = acc_test_tmpdir();
    char path[4200];
    snprintf(path, sizeof path, "%s/node.cfg", fx->dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f, "agency = \"t-lead\";\ndata_dir = \"data\";\nlog_level = \"error\";\n");
    fclose(f);
    acc_errinfo_t ei;
    acc_errinfo_clear(&ei);
    if (acc_config_load(path, &fx->cfg, &ei) != ACC_OK)
        fail_msg("config: %s: %s", ei.field, ei.msg);
    assert_int_equal(mkdir(fx->cfg->data_dir, 0700), 0);
    fx->zctx = zmq_ctx_new();
    assert_non_null(fx->zctx);
    pthread_mutex_init(&fx->mu, NULL);
    assert_int_equal(pthread_create(&fx->prod, NULL, s_producer, fx), 0);
    for (int t = 0;; t++) {
        pthread_mutex_lock(&fx->mu);
        int st = fx->prod_state;
        pthread_mutex_unlock(&fx->mu);
        if (st == 1)
            break;
        if (st < 0 || t > WAIT_MS) {
            fx->prod_stop = 1;
            pthread_join(fx->prod, NULL);
            fail_msg("the fake producers did not start");
        }
        s_sleep_ms(1);
    }
    s_service_start(fx);
    *state = fx;
    return 0;
}

static int
teardown(void **state)
{
    fixture *fx = *state;
    acc_client_destroy(&fx->client);
    if (fx->svc_running) {
        fx->svc_stop = 1;
        pthread_join(fx->svc, NULL);
    }
    fx->prod_stop = 1;
    pthread_join(fx->prod, NULL);
    for (size_t i = 0; i < fx->nq; i++)
        free(fx->q[i].buf);
    pthread_mutex_destroy(&fx->mu);
    zmq_ctx_term(fx->zctx);
    acc_config_destroy(&fx->cfg);
    acc_test_rmtree(fx->dir);
    free(fx);
    return 0;
}

/* --- events of the story ----------------------------------------------------------------- */

static void
s_report(fixture *fx, const char *id, const char *case_number, const char *source,
         const char *category, const char *via, int64_t at_ms)
{
    Accord__V1__Report r = ACCORD__V1__REPORT__INIT;
    r.id = (char *)id;
    r.url = "https://scam.example/login";
    r.category = (char *)category;
    r.source = (char *)source;
    r.description = "the reporter wrote: call me at 0900 000 000";
    Accord__V1__StoredReport sr = ACCORD__V1__STORED_REPORT__INIT;
    sr.report = &r;
    sr.case_number = (char *)case_number;
    sr.opened_case = via == NULL;
    sr.content_key = "https://scam.example/login";
    sr.received_at_ms = at_ms;
    sr.via_agency = via ? (char *)via : "";
    Accord__V1__IntakeEvent ev = ACCORD__V1__INTAKE_EVENT__INIT;
    ev.body_case = ACCORD__V1__INTAKE_EVENT__BODY_REPORT;
    ev.report = &sr;
    s_push(fx, IN_INTAKE, &ev.base);
}

static void
s_envelope(fixture *fx)
{
    Accord__V1__Measure m = ACCORD__V1__MEASURE__INIT;
    m.id = "m-from-lead";
    m.case_number = C1;
    Accord__V1__Envelope env = ACCORD__V1__ENVELOPE__INIT;
    env.origin = "ca-hn";
    env.sequence = 1;
    env.body_case = ACCORD__V1__ENVELOPE__BODY_MEASURE;
    env.measure = &m;
    Accord__V1__ReceivedEnvelope re = ACCORD__V1__RECEIVED_ENVELOPE__INIT;
    re.envelope = &env;
    re.received_ms = 1500;
    Accord__V1__IntakeEvent ev = ACCORD__V1__INTAKE_EVENT__INIT;
    ev.body_case = ACCORD__V1__INTAKE_EVENT__BODY_ENVELOPE;
    ev.envelope = &re;
    s_push(fx, IN_INTAKE, &ev.base);
}

static void
s_decision(fixture *fx, const char *case_number, Accord__V1__Verdict verdict, const char *category,
           int64_t at_ms)
{
    Accord__V1__Decision d = ACCORD__V1__DECISION__INIT;
    d.case_number = (char *)case_number;
    d.verdict = verdict;
    d.category = (char *)category;
    d.legal_basis = "Decree 15/2020 art. 101";
    d.reasons = "a fake bank login page\ncollecting passwords";
    d.decided_by = "alice";
    d.decided_ms = at_ms;
    Accord__V1__VerificationEvent ev = ACCORD__V1__VERIFICATION_EVENT__INIT;
    ev.body_case = ACCORD__V1__VERIFICATION_EVENT__BODY_DECISION;
    ev.decision = &d;
    s_push(fx, IN_VERIFICATION, &ev.base);
}

static void
s_measure(fixture *fx, const char *id, const char *case_number, const char *owner, int64_t at_ms)
{
    Accord__V1__Measure m = ACCORD__V1__MEASURE__INIT;
    m.id = (char *)id;
    m.case_number = (char *)case_number;
    m.lead_agency = "t-lead";
    m.owner_agency = (char *)owner;
    m.action = "request-removal";
    m.deadline_ms = 86400000; /* 1970-01-02 00:00 UTC */
    m.status = ACCORD__V1__MEASURE_STATUS__MEASURE_STATUS_ASSIGNED;
    m.legal_basis = "Decree 15/2020 art. 101";
    m.reasons = "phishing page";
    m.created_ms = at_ms;
    Accord__V1__AssignmentEvent ev = ACCORD__V1__ASSIGNMENT_EVENT__INIT;
    ev.body_case = ACCORD__V1__ASSIGNMENT_EVENT__BODY_MEASURE;
    ev.measure = &m;
    s_push(fx, IN_ASSIGNMENT, &ev.base);
}

static void
s_measure_done(fixture *fx, const char *id, const char *case_number, int64_t at_ms)
{
    Accord__V1__MeasureUpdate u = ACCORD__V1__MEASURE_UPDATE__INIT;
    u.measure_id = (char *)id;
    u.case_number = (char *)case_number;
    u.lead_agency = "t-lead";
    u.owner_agency = "ca-hn";
    u.status = ACCORD__V1__MEASURE_STATUS__MEASURE_STATUS_DONE;
    u.result = "removed by platform";
    u.updated_by = "officer-b";
    u.updated_ms = at_ms;
    Accord__V1__AssignmentEvent ev = ACCORD__V1__ASSIGNMENT_EVENT__INIT;
    ev.body_case = ACCORD__V1__ASSIGNMENT_EVENT__BODY_MEASURE_UPDATE;
    ev.measure_update = &u;
    s_push(fx, IN_ASSIGNMENT, &ev.base);
}

static void
s_rule(fixture *fx)
{
    Accord__V1__RoutingRule r = ACCORD__V1__ROUTING_RULE__INIT;
    r.id = "rule-1";
    r.category = "phishing";
    r.action = "request-removal";
    r.owner_agency = "ca-hn";
    Accord__V1__AssignmentEvent ev = ACCORD__V1__ASSIGNMENT_EVENT__INIT;
    ev.body_case = ACCORD__V1__ASSIGNMENT_EVENT__BODY_RULE;
    ev.rule = &r;
    s_push(fx, IN_ASSIGNMENT, &ev.base);
}

static void
s_rejection(fixture *fx, const char *agency)
{
    Accord__V1__Rejection r = ACCORD__V1__REJECTION__INIT;
    r.from_agency = (char *)agency;
    r.what = "measure_update";
    r.reason = "not the owner";
    r.at_ms = 4000;
    Accord__V1__AssignmentEvent ev = ACCORD__V1__ASSIGNMENT_EVENT__INIT;
    ev.body_case = ACCORD__V1__ASSIGNMENT_EVENT__BODY_REJECTION;
    ev.rejection = &r;
    s_push(fx, IN_ASSIGNMENT, &ev.base);
}

static void
s_notice(fixture *fx, const char *case_number, Accord__V1__NoticeStatus status, int64_t created_ms,
         int64_t delivered_ms)
{
    Accord__V1__Notice n = ACCORD__V1__NOTICE__INIT;
    n.id = "n-1";
    n.destination = "peer:ca-hn";
    n.kind = "measure";
    n.case_number = (char *)case_number;
    n.measure_id = "m-1";
    n.status = status;
    n.created_ms = created_ms;
    n.delivered_ms = delivered_ms;
    Accord__V1__NotificationEvent ev = ACCORD__V1__NOTIFICATION_EVENT__INIT;
    ev.body_case = ACCORD__V1__NOTIFICATION_EVENT__BODY_NOTICE;
    ev.notice = &n;
    s_push(fx, IN_NOTIFICATION, &ev.base);
}

/* --- queries --------------------------------------------------------------------------- */

static Accord__V1__Response *
s_call(fixture *fx, Accord__V1__Request *req)
{
    Accord__V1__Response *resp = NULL;
    acc_errinfo_t ei;
    acc_errinfo_clear(&ei);
    req->request_id = 0;
    acc_err err = acc_client_call(fx->client, req, 2000, &resp, &ei);
    if (err != ACC_OK)
        fail_msg("call: %s: %s", acc_strerror(err), ei.msg);
    assert_non_null(resp->status);
    return resp;
}

static Accord__V1__Response *
s_timeline(fixture *fx, const char *case_number)
{
    Accord__V1__GetTimeline q = ACCORD__V1__GET_TIMELINE__INIT;
    q.case_number = (char *)case_number;
    Accord__V1__Request req = ACCORD__V1__REQUEST__INIT;
    req.body_case = ACCORD__V1__REQUEST__BODY_GET_TIMELINE;
    req.get_timeline = &q;
    return s_call(fx, &req);
}

static Accord__V1__Response *
s_stats(fixture *fx)
{
    Accord__V1__GetStats q = ACCORD__V1__GET_STATS__INIT;
    Accord__V1__Request req = ACCORD__V1__REQUEST__INIT;
    req.body_case = ACCORD__V1__REQUEST__BODY_GET_STATS;
    req.get_stats = &q;
    Accord__V1__Response *r = s_call(fx, &req);
    assert_int_equal(r->status->code, ACCORD__V1__CODE__CODE_OK);
    assert_int_equal(r->body_case, ACCORD__V1__RESPONSE__BODY_STATS);
    return r;
}

/* Wait until the timeline of @case_number has @n entries; fails after WAIT_MS or when it
 * has more. */
static void
s_wait_entries(fixture *fx, const char *case_number, size_t n)
{
    size_t have = 0;
    for (int t = 0; t < WAIT_MS / 10; t++) {
        Accord__V1__Response *r = s_timeline(fx, case_number);
        have = r->body_case == ACCORD__V1__RESPONSE__BODY_TIMELINE ? r->timeline->n_entries : 0;
        accord__v1__response__free_unpacked(r, NULL);
        assert_true(have <= n);
        if (have == n)
            return;
        s_sleep_ms(10);
    }
    fail_msg("case '%s' has %zu timeline entries, not %zu", case_number, have, n);
}

/* The count of @key in @v, or -1 when it is not there. */
static int64_t
s_count_of(Accord__V1__StatCount **v, size_t n, const char *key)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(v[i]->key, key) == 0)
            return (int64_t)v[i]->count;
    return -1;
}

/* Feed the story: three cases, a forwarded report, decisions, a measure done, a notice
 * queued then delivered, a rule, rejections, an envelope and a record that is garbage. */
static void
s_story(fixture *fx)
{
    s_rule(fx);
    s_rejection(fx, "ca-dn");
    s_rejection(fx, "so-yt");
    s_rejection(fx, "ca-dn");
    s_report(fx, "r-1", C1, "citizen", "scam", NULL, 1000);
    s_push_raw(fx, IN_INTAKE, "\xff\xff\xff", 3); /* does not decode: skipped */
    s_report(fx, "r-2", C1, "officer", "scam", "ca-hn", 2000);
    s_report(fx, "r-3", C2, "vncert", "phishing", NULL, 2000);
    s_envelope(fx);
    s_report(fx, "r-4", C3, "citizen", "gambling", NULL, 3000);
    s_decision(fx, C1, ACCORD__V1__VERDICT__VERDICT_VIOLATING, "phishing", 5000);
    s_decision(fx, C2, ACCORD__V1__VERDICT__VERDICT_NOT_VIOLATING, "phishing", 12000);
    s_measure(fx, "m-1", C1, "ca-hn", 6000);
    s_measure_done(fx, "m-1", C1, 9000);
    s_notice(fx, C1, ACCORD__V1__NOTICE_STATUS__NOTICE_STATUS_QUEUED, 6500, 0);
    s_notice(fx, C1, ACCORD__V1__NOTICE_STATUS__NOTICE_STATUS_DELIVERED, 6500, 7000);
    /* Each stream is applied in order: the last record of each visible means all are. */
    s_wait_entries(fx, C1, 7);
    s_wait_entries(fx, C2, 2);
    s_wait_entries(fx, C3, 1);
}

/* --- tests ----------------------------------------------------------------------------- */

static void
test_median(void **state)
{
    (void)state;
    int64_t odd[] = {50, 10, 30};
    int64_t even[] = {4000, 1000};
    int64_t one[] = {-5};
    assert_int_equal(reporting_median(odd, 3), 30);
    assert_int_equal(reporting_median(even, 2), 2500);
    assert_int_equal(reporting_median(one, 1), -5);
    assert_int_equal(reporting_median(NULL, 0), -1);
}

static void
test_timeline(void **state)
{
    fixture *fx = *state;
    s_story(fx);
    Accord__V1__Response *r = s_timeline(fx, C1);
    assert_int_equal(r->status->code, ACCORD__V1__CODE__CODE_OK);
    Accord__V1__Timeline *tl = r->timeline;
    assert_string_equal(tl->case_number, C1);
    assert_int_equal(tl->n_entries, 7);
    static const char *const kinds[] = {"report", "report", "verdict",       "measure",
                                        "notice", "notice", "measure-update"};
    static const char *const services[] = {"intake",     "intake",       "verification",
                                           "assignment", "notification", "notification",
                                           "assignment"};
    static const int64_t at[] = {1000, 2000, 5000, 6000, 6500, 7000, 9000};
    for (size_t i = 0; i < 7; i++) {
        assert_string_equal(tl->entries[i]->kind, kinds[i]);
        assert_string_equal(tl->entries[i]->service, services[i]);
        assert_int_equal(tl->entries[i]->at_ms, at[i]);
        assert_null(strchr(tl->entries[i]->text, '\n'));
    }
    assert_string_equal(tl->entries[0]->text, "report r-1 from citizen");
    assert_string_equal(tl->entries[1]->text, "report r-2 from officer (forwarded by ca-hn)");
    assert_string_equal(tl->entries[2]->text,
                        "verdict violating (phishing) by alice, basis: Decree 15/2020 art. 101");
    assert_string_equal(tl->entries[3]->text,
                        "measure m-1: request-removal by ca-hn, due 1970-01-02 00:00 UTC "
                        "(assigned)");
    assert_string_equal(tl->entries[4]->text, "notice measure to peer:ca-hn: queued");
    assert_string_equal(tl->entries[5]->text, "notice measure to peer:ca-hn: delivered");
    assert_string_equal(tl->entries[6]->text, "measure m-1 done by officer-b: removed by platform");

    /* The JSON carries the fields; the report's free-text description stays out. */
    json_error_t jerr;
    json_t *j = json_loads(tl->entries[1]->json, 0, &jerr);
    assert_non_null(j);
    assert_string_equal(json_string_value(json_object_get(j, "via_agency")), "ca-hn");
    assert_string_equal(json_string_value(json_object_get(j, "source")), "officer");
    assert_string_equal(json_string_value(json_object_get(j, "report_id")), "r-2");
    assert_true(json_is_false(json_object_get(j, "opened_case")));
    assert_int_equal(json_integer_value(json_object_get(j, "received_at_ms")), 2000);
    assert_null(json_object_get(j, "description"));
    assert_null(strstr(tl->entries[1]->json, "0900"));
    json_decref(j);
    j = json_loads(tl->entries[2]->json, 0, &jerr);
    assert_non_null(j);
    assert_string_equal(json_string_value(json_object_get(j, "legal_basis")),
                        "Decree 15/2020 art. 101");
    assert_string_equal(json_string_value(json_object_get(j, "reasons")),
                        "a fake bank login page\ncollecting passwords");
    assert_string_equal(json_string_value(json_object_get(j, "verdict")), "violating");
    assert_true(json_is_false(json_object_get(j, "automated")));
    json_decref(j);
    j = json_loads(tl->entries[6]->json, 0, &jerr);
    assert_non_null(j);
    assert_string_equal(json_string_value(json_object_get(j, "status")), "done");
    assert_string_equal(json_string_value(json_object_get(j, "updated_by")), "officer-b");
    json_decref(j);
    accord__v1__response__free_unpacked(r, NULL);

    /* The envelope added nothing: C1 holds only the events above (checked: 7). C3: one. */
    r = s_timeline(fx, C3);
    assert_int_equal(r->timeline->n_entries, 1);
    assert_string_equal(r->timeline->entries[0]->text, "report r-4 from citizen");
    accord__v1__response__free_unpacked(r, NULL);
}

static void
test_not_found_and_invalid(void **state)
{
    fixture *fx = *state;
    s_report(fx, "r-1", C1, "citizen", "scam", NULL, 1000);
    s_wait_entries(fx, C1, 1);
    Accord__V1__Response *r = s_timeline(fx, "t-lead/2024/999999");
    assert_int_equal(r->status->code, ACCORD__V1__CODE__CODE_NOT_FOUND);
    assert_string_equal(r->status->field, "get_timeline.case_number");
    accord__v1__response__free_unpacked(r, NULL);
    /* A prefix of a real case number is another case. */
    r = s_timeline(fx, "t-lead/2024/00000");
    assert_int_equal(r->status->code, ACCORD__V1__CODE__CODE_NOT_FOUND);
    accord__v1__response__free_unpacked(r, NULL);
    r = s_timeline(fx, "");
    assert_int_equal(r->status->code, ACCORD__V1__CODE__CODE_INVALID);
    assert_string_equal(r->status->field, "get_timeline.case_number");
    accord__v1__response__free_unpacked(r, NULL);

    /* A request reporting does not serve. */
    Accord__V1__ListNotices ln = ACCORD__V1__LIST_NOTICES__INIT;
    Accord__V1__Request req = ACCORD__V1__REQUEST__INIT;
    req.body_case = ACCORD__V1__REQUEST__BODY_LIST_NOTICES;
    req.list_notices = &ln;
    r = s_call(fx, &req);
    assert_int_equal(r->status->code, ACCORD__V1__CODE__CODE_INVALID);
    accord__v1__response__free_unpacked(r, NULL);

    /* Empty stats: medians -1. */
    r = s_stats(fx);
    assert_int_equal(r->stats->median_report_to_verdict_ms, -1);
    assert_int_equal(r->stats->median_verdict_to_done_ms, -1);
    assert_int_equal(s_count_of(r->stats->by_status, r->stats->n_by_status, "open"), 1);
    assert_int_equal(r->stats->n_rejected_by_agency, 0);
    accord__v1__response__free_unpacked(r, NULL);
}

static void
s_check_story_stats(fixture *fx)
{
    Accord__V1__Response *r = s_stats(fx);
    Accord__V1__Stats *s = r->stats;
    assert_int_equal(s->n_by_status, 2);
    assert_int_equal(s_count_of(s->by_status, s->n_by_status, "closed"), 2); /* C1, C2 */
    assert_int_equal(s_count_of(s->by_status, s->n_by_status, "open"), 1);   /* C3 */
    assert_int_equal(s->n_by_category, 2); /* the decided category wins: C1 is phishing */
    assert_int_equal(s_count_of(s->by_category, s->n_by_category, "phishing"), 2);
    assert_int_equal(s_count_of(s->by_category, s->n_by_category, "gambling"), 1);
    assert_int_equal(s->n_by_source, 3);
    assert_int_equal(s_count_of(s->by_source, s->n_by_source, "citizen"), 2);
    assert_int_equal(s_count_of(s->by_source, s->n_by_source, "officer"), 1);
    assert_int_equal(s_count_of(s->by_source, s->n_by_source, "vncert"), 1);
    assert_int_equal(s->n_by_owner, 1);
    assert_int_equal(s_count_of(s->by_owner, s->n_by_owner, "ca-hn"), 1);
    /* report -> verdict: C1 5000 - 1000, C2 12000 - 2000: median of 4000 and 10000. */
    assert_int_equal(s->median_report_to_verdict_ms, 7000);
    /* verdict -> done: C1 9000 - 5000. */
    assert_int_equal(s->median_verdict_to_done_ms, 4000);
    assert_int_equal(s->n_rejected_by_agency, 2);
    assert_int_equal(s_count_of(s->rejected_by_agency, s->n_rejected_by_agency, "ca-dn"), 2);
    assert_int_equal(s_count_of(s->rejected_by_agency, s->n_rejected_by_agency, "so-yt"), 1);
    /* sorted by key */
    assert_string_equal(s->rejected_by_agency[0]->key, "ca-dn");
    accord__v1__response__free_unpacked(r, NULL);
}

static void
test_stats(void **state)
{
    fixture *fx = *state;
    s_story(fx);
    s_check_story_stats(fx);
}

/* Set every input's cursor of the stopped service back to 0: the next start replays all. */
static acc_err
s_reset_fn(acc_txn_t *txn, void *arg)
{
    acc_table *t = arg;
    for (int i = 0; i < N_IN; i++) {
        acc_err err = acc_stream_cursor_put(txn, *t, s_names[i], 0);
        if (err != ACC_OK)
            return err;
    }
    return ACC_OK;
}

static void
s_reset_cursors(fixture *fx)
{
    static const char *const tables[] = {"cursors", NULL};
    char path[4200];
    snprintf(path, sizeof path, "%s/reporting", fx->cfg->data_dir);
    acc_store_opts_t opts = {.tables = tables};
    acc_store_t *store = NULL;
    acc_errinfo_t ei;
    assert_int_equal(acc_store_open(path, &opts, &store, &ei), ACC_OK);
    acc_table t;
    assert_int_equal(acc_store_table(store, "cursors", &t), ACC_OK);
    assert_int_equal(acc_store_write(store, s_reset_fn, &t), ACC_OK);
    acc_store_destroy(&store);
}

static void
test_restart_and_replay(void **state)
{
    fixture *fx = *state;
    s_story(fx);

    /* A plain restart resumes from the stored cursors. */
    s_service_stop(fx);
    s_service_start(fx);
    s_sleep_ms(100);
    s_wait_entries(fx, C1, 7);
    s_check_story_stats(fx);

    /* A full replay (cursors lost) finds every event already recorded. */
    s_service_stop(fx);
    s_reset_cursors(fx);
    s_service_start(fx);
    /* New events on C3 from every stream: once they show, each stream was replayed. */
    s_report(fx, "r-5", C3, "citizen", "gambling", NULL, 30000);
    s_decision(fx, C3, ACCORD__V1__VERDICT__VERDICT_INCONCLUSIVE, "gambling", 31000);
    s_measure(fx, "m-3", C3, "so-yt", 32000);
    s_notice(fx, C3, ACCORD__V1__NOTICE_STATUS__NOTICE_STATUS_QUEUED, 33000, 0);
    s_wait_entries(fx, C3, 5);
    s_wait_entries(fx, C1, 7);
    s_wait_entries(fx, C2, 2);

    Accord__V1__Response *r = s_stats(fx);
    Accord__V1__Stats *s = r->stats;
    assert_int_equal(s_count_of(s->by_status, s->n_by_status, "closed"), 2);
    assert_int_equal(s_count_of(s->by_status, s->n_by_status, "decided"), 1); /* C3 */
    assert_int_equal(s_count_of(s->by_status, s->n_by_status, "open"), -1);
    assert_int_equal(s_count_of(s->by_source, s->n_by_source, "citizen"), 3); /* not 5 */
    assert_int_equal(s_count_of(s->by_source, s->n_by_source, "officer"), 1);
    assert_int_equal(s_count_of(s->by_source, s->n_by_source, "vncert"), 1);
    assert_int_equal(s_count_of(s->by_owner, s->n_by_owner, "ca-hn"), 1);
    assert_int_equal(s_count_of(s->by_owner, s->n_by_owner, "so-yt"), 1);
    /* report -> verdict: 4000, 10000 and C3's 31000 - 3000. */
    assert_int_equal(s->median_report_to_verdict_ms, 10000);
    assert_int_equal(s->median_verdict_to_done_ms, 4000);
    assert_int_equal(s_count_of(s->rejected_by_agency, s->n_rejected_by_agency, "ca-dn"), 2);
    assert_int_equal(s_count_of(s->rejected_by_agency, s->n_rejected_by_agency, "so-yt"), 1);
    accord__v1__response__free_unpacked(r, NULL);

    r = s_timeline(fx, C3);
    Accord__V1__Timeline *tl = r->timeline;
    static const char *const kinds[] = {"report", "report", "verdict", "measure", "notice"};
    for (size_t i = 0; i < 5; i++)
        assert_string_equal(tl->entries[i]->kind, kinds[i]);
    accord__v1__response__free_unpacked(r, NULL);
}

/* A case stays decided while one of its measures is pending and closes when the last is
 * done, whose time counts; an update of a measure not seen before (another node's order)
 * still counts its owner. */
static void
test_measure_states(void **state)
{
    fixture *fx = *state;
    s_report(fx, "r-1", C1, "citizen", "scam", NULL, 1000);
    s_decision(fx, C1, ACCORD__V1__VERDICT__VERDICT_VIOLATING, "scam", 2000);
    s_measure(fx, "m-1", C1, "ca-hn", 3000);
    s_measure(fx, "m-2", C1, "so-yt", 3000);
    s_measure_done(fx, "m-1", C1, 4000);
    s_report(fx, "r-2", C2, "citizen", "scam", NULL, 1000);
    s_measure_done(fx, "m-9", C2, 5000);
    s_wait_entries(fx, C1, 5);
    s_wait_entries(fx, C2, 2);
    Accord__V1__Response *r = s_stats(fx);
    Accord__V1__Stats *s = r->stats;
    assert_int_equal(s_count_of(s->by_status, s->n_by_status, "decided"), 1);
    assert_int_equal(s->median_verdict_to_done_ms, -1);                   /* m-2 is not done */
    assert_int_equal(s_count_of(s->by_owner, s->n_by_owner, "ca-hn"), 2); /* m-1, m-9 */
    assert_int_equal(s_count_of(s->by_owner, s->n_by_owner, "so-yt"), 1);
    accord__v1__response__free_unpacked(r, NULL);
    s_measure_done(fx, "m-2", C1, 8000);
    s_wait_entries(fx, C1, 6);
    r = s_stats(fx);
    s = r->stats;
    assert_int_equal(s_count_of(s->by_status, s->n_by_status, "decided"), -1);
    assert_int_equal(s_count_of(s->by_status, s->n_by_status, "closed"), 2);
    assert_int_equal(s->median_verdict_to_done_ms, 6000); /* the last one: 8000 - 2000 */
    assert_int_equal(s->median_report_to_verdict_ms, 1000);
    accord__v1__response__free_unpacked(r, NULL);
}

int
main(void)
{
    acc_log_set_level(ACC_LOG_WARN); /* the skipped garbage record is logged, as it should */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_median),
        cmocka_unit_test_setup_teardown(test_timeline, setup, teardown),
        cmocka_unit_test_setup_teardown(test_not_found_and_invalid, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stats, setup, teardown),
        cmocka_unit_test_setup_teardown(test_restart_and_replay, setup, teardown),
        cmocka_unit_test_setup_teardown(test_measure_states, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
