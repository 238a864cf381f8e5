/*
 * Unit tests for the verification service, run with real parts: acc_service_run on a
 * thread of the test (ACC_SERVICE_INPROC, a temporary data directory), a fake intake
 * (a stream server on its own thread serving a temporary store's "log" at intake's inproc
 * stream endpoint, fed IntakeEvent records by the test), the control socket through
 * acc_client, and the service's own log read back with an acc_stream_consumer (and, once
 * the service has stopped, straight from its store: log head, cursor, cases, decisions).
 *
 * The service's progress is observed through Ping: Pong.cases counts the cases it knows,
 * and since a batch is applied atomically and in order, a new case appended last tells
 * that every record before it has been applied.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#include "acc_client.h"
#include "acc_codec.h"
#include "acc_config.h"
#include "acc_log.h"
#include "acc_loop.h"
#include "acc_service.h"
#include "acc_store.h"
#include "acc_stream.h"
#include "acc_test.h"
#include "accord/v1/intake.pb-c.h"
#include "accord/v1/verification.pb-c.h"
#include "verification/verification.h"

#define BASIS "Decree 72/2013/ND-CP, art. 5"
#define REASONS "the page imitates a bank's login form"
#define AUTO_BASIS "Law on Cybersecurity 2018, art. 16"
#define AUTO_REASONS "detected by a trusted national feed with high confidence"
#define MS0 1700000000000LL /* received_at_ms of intake record N is MS0 + N */
#define MAX_EVENTS 64

typedef struct {
    char *dir;
    char data[4096];
    acc_config_t *cfg;
    void *zctx;
    /* the fake intake */
    acc_store_t *pstore;
    acc_table plog;
    uint64_t phead;
    _Atomic uint64_t notify_head;
    pthread_t pthr;
    volatile sig_atomic_t pstop;
    _Atomic int pready; /* 1 = serving, -1 = failed */
    /* the service */
    pthread_t sthr;
    bool srunning;
    volatile sig_atomic_t sstop;
    acc_err srun_err;
    acc_client_t *client;
    /* what a consumer of the service's log read */
    Accord__V1__VerificationEvent *events[MAX_EVENTS];
    size_t n_events;
    uint64_t bad_events;
} env_t;

/* --- the fake intake -------------------------------------------------------------------- */

static acc_err
s_notify_tick(acc_loop_t *loop, void *arg)
{
    (void)loop;
    void **a = arg;
    env_t *env = a[0];
    acc_stream_server_t *server = a[1];
    uint64_t *seen = a[2];
    uint64_t h = atomic_load(&env->notify_head);
    if (h != *seen) {
        *seen = h;
        acc_stream_server_notify(server, h);
    }
    return ACC_OK;
}

/* The producer thread: serves the log; appends happen on the test thread (LMDB allows
 * that), which then publishes the new head for this thread to notify. */
static void *
s_producer_main(void *arg)
{
    env_t *env = arg;
    char ep[256];
    acc_service_stream_endpoint("intake", ep, sizeof ep);
    const char *eps[] = {ep, NULL};
    acc_stream_server_t *server = NULL;
    acc_loop_t *loop = NULL;
    acc_errinfo_t ei;
    uint64_t seen = atomic_load(&env->notify_head);
    void *targ[3] = {env, NULL, &seen};
    acc_err err = ACC_ERR_NET;
    for (int i = 0; i < 200 && err == ACC_ERR_NET; i++) {
        err = acc_stream_server_new(env->zctx, env->pstore, env->plog, "intake", eps, NULL, seen,
                                    &server, &ei);
        if (err == ACC_ERR_NET)
            usleep(5000);
    }
    targ[1] = server;
    if (err != ACC_OK || acc_loop_new(&loop) != ACC_OK ||
        acc_stream_server_attach(server, loop) != ACC_OK ||
        acc_loop_add_timer(loop, 2, s_notify_tick, targ) != ACC_OK) {
        atomic_store(&env->pready, -1);
        goto out;
    }
    atomic_store(&env->pready, 1);
    acc_loop_run(loop, &env->pstop);
out:
    acc_stream_server_destroy(&server);
    acc_loop_destroy(&loop);
    return NULL;
}

static void
s_producer_start(env_t *env)
{
    env->pstop = 0;
    atomic_store(&env->pready, 0);
    assert_int_equal(pthread_create(&env->pthr, NULL, s_producer_main, env), 0);
    for (int i = 0; i < 1000 && atomic_load(&env->pready) == 0; i++)
        usleep(5000);
    assert_int_equal(atomic_load(&env->pready), 1);
}

typedef struct {
    env_t *env;
    const uint8_t *buf;
    size_t len;
} s_append_arg;

static acc_err
s_append_fn(acc_txn_t *txn, void *arg)
{
    s_append_arg *a = arg;
    return acc_stream_append(txn, a->env->plog, a->env->phead, a->buf, a->len);
}

/* Append one raw intake record and let the producer thread tell waiting fetches. */
static void
s_append_raw(env_t *env, const void *buf, size_t len)
{
    s_append_arg a = {env, buf, len};
    assert_int_equal(acc_store_write(env->pstore, s_append_fn, &a), ACC_OK);
    env->phead++;
    atomic_store(&env->notify_head, env->phead);
}

static void
s_append_event(env_t *env, const Accord__V1__IntakeEvent *ev)
{
    size_t n = accord__v1__intake_event__get_packed_size(ev);
    uint8_t *buf = malloc(n ? n : 1);
    assert_non_null(buf);
    accord__v1__intake_event__pack(ev, buf);
    s_append_raw(env, buf, n);
    free(buf);
}

/* A StoredReport on case @number about @key (a URL or "sha256:..."), as intake emits it. */
static void
s_report_via(env_t *env, const char *number, const char *key, const char *category,
             const char *source, uint32_t confidence, const char *via)
{
    Accord__V1__Report r = ACCORD__V1__REPORT__INIT;
    char id[64];
    snprintf(id, sizeof id, "00000000-0000-7000-8000-%012llu", (unsigned long long)env->phead + 1);
    r.id = id;
    if (strncmp(key, "sha256:", 7) == 0)
        r.text = (char *)"some text of the content";
    else
        r.url = (char *)key;
    r.category = (char *)category;
    r.source = (char *)source;
    r.confidence = confidence;
    Accord__V1__StoredReport sr = ACCORD__V1__STORED_REPORT__INIT;
    sr.seq = env->phead + 1;
    sr.report = &r;
    sr.case_number = (char *)number;
    sr.content_key = (char *)key;
    sr.received_at_ms = MS0 + (int64_t)sr.seq;
    sr.via_agency = (char *)via;
    Accord__V1__IntakeEvent ev = ACCORD__V1__INTAKE_EVENT__INIT;
    ev.body_case = ACCORD__V1__INTAKE_EVENT__BODY_REPORT;
    ev.report = &sr;
    s_append_event(env, &ev);
}

static void
s_report(env_t *env, const char *number, const char *key, const char *category, const char *source,
         uint32_t confidence)
{
    s_report_via(env, number, key, category, source, confidence, "");
}

/* An envelope record: not verification's business, but its cursor must pass it. */
static void
s_envelope(env_t *env)
{
    Accord__V1__ReceivedEnvelope re = ACCORD__V1__RECEIVED_ENVELOPE__INIT;
    re.received_ms = MS0;
    Accord__V1__IntakeEvent ev = ACCORD__V1__INTAKE_EVENT__INIT;
    ev.body_case = ACCORD__V1__INTAKE_EVENT__BODY_ENVELOPE;
    ev.envelope = &re;
    s_append_event(env, &ev);
}

/* --- the service ------------------------------------------------------------------------ */

static void *
s_service_main(void *arg)
{
    env_t *env = arg;
    acc_errinfo_t ei;
    acc_err err = ACC_ERR_NET;
    /* A stopped instance's inproc names are free only once libzmq's reaper has closed its
     * sockets: a restart may need a few tries to bind. */
    for (int i = 0; i < 200 && err == ACC_ERR_NET && !env->sstop; i++) {
        acc_errinfo_clear(&ei);
        err = acc_service_run(&verification_service, env->cfg, env->zctx, ACC_SERVICE_INPROC,
                              &env->sstop, &ei);
        if (err == ACC_ERR_NET)
            usleep(10000);
    }
    env->srun_err = err;
    return NULL;
}

static Accord__V1__Response *
s_call(env_t *env, Accord__V1__Request *req)
{
    req->request_id = acc_client_next_id(env->client);
    Accord__V1__Response *resp = NULL;
    acc_errinfo_t ei;
    assert_int_equal(acc_client_call(env->client, req, 5000, &resp, &ei), ACC_OK);
    assert_non_null(resp);
    assert_int_equal(resp->request_id, req->request_id);
    assert_non_null(resp->status);
    return resp;
}

/* Pong.cases, or -1 when the service does not answer within @timeout_ms. */
static int64_t
s_ping(env_t *env, int timeout_ms)
{
    Accord__V1__Ping ping = ACCORD__V1__PING__INIT;
    Accord__V1__Request req = ACCORD__V1__REQUEST__INIT;
    req.body_case = ACCORD__V1__REQUEST__BODY_PING;
    req.ping = &ping;
    req.request_id = acc_client_next_id(env->client);
    Accord__V1__Response *resp = NULL;
    acc_errinfo_t ei;
    if (acc_client_call(env->client, &req, timeout_ms, &resp, &ei) != ACC_OK)
        return -1;
    int64_t cases = -1;
    if (resp->status && resp->status->code == ACCORD__V1__CODE__CODE_OK &&
        resp->body_case == ACCORD__V1__RESPONSE__BODY_PONG)
        cases = (int64_t)resp->pong->cases;
    accord__v1__response__free_unpacked(resp, NULL);
    return cases;
}

static void
s_service_start(env_t *env)
{
    env->sstop = 0;
    env->srun_err = ACC_OK;
    assert_int_equal(pthread_create(&env->sthr, NULL, s_service_main, env), 0);
    env->srunning = true;
    char ep[4200];
    snprintf(ep, sizeof ep, "ipc://%s/verification.sock", env->data);
    bool up = false;
    for (int i = 0; i < 100 && !up; i++) {
        acc_errinfo_t ei;
        acc_client_destroy(&env->client);
        if (acc_client_new(ep, 64u << 20, &env->client, &ei) == ACC_OK)
            up = s_ping(env, 100) >= 0;
        if (!up)
            usleep(20000);
    }
    assert_true(up);
}

static void
s_service_stop(env_t *env)
{
    acc_client_destroy(&env->client);
    if (!env->srunning)
        return;
    env->sstop = 1;
    pthread_join(env->sthr, NULL);
    env->srunning = false;
    assert_int_equal(env->srun_err, ACC_OK);
}

/* Wait until the service knows @n cases (so every record before the one that opened the
 * last of them is applied). */
static void
s_wait_cases(env_t *env, int64_t n)
{
    int64_t have = -1;
    for (int i = 0; i < 250 && have != n; i++) {
        have = s_ping(env, 1000);
        if (have != n)
            usleep(20000);
    }
    assert_int_equal(have, n);
}

/* --- reading the service's log ---------------------------------------------------------- */

static void
s_events_clear(env_t *env)
{
    for (size_t i = 0; i < env->n_events; i++)
        accord__v1__verification_event__free_unpacked(env->events[i], NULL);
    env->n_events = 0;
    env->bad_events = 0;
}

static acc_err
s_events_apply(const acc_stream_record_t *recs, size_t n, void *arg)
{
    env_t *env = arg;
    for (size_t i = 0; i < n; i++) {
        ProtobufCMessage *m = NULL;
        acc_errinfo_t ei;
        if (env->n_events >= MAX_EVENTS || recs[i].seq != env->n_events + 1 ||
            acc_codec_unpack(&accord__v1__verification_event__descriptor, recs[i].payload,
                             recs[i].len, 1u << 20, &m, &ei) != ACC_OK) {
            env->bad_events++;
            continue;
        }
        env->events[env->n_events++] = (Accord__V1__VerificationEvent *)m;
    }
    return ACC_OK;
}

typedef struct {
    env_t *env;
    size_t want;
    int64_t deadline;
    volatile sig_atomic_t *stop;
} s_until_arg;

static acc_err
s_events_tick(acc_loop_t *loop, void *arg)
{
    (void)loop;
    s_until_arg *u = arg;
    if (u->env->n_events >= u->want || acc_loop_now_ms() >= u->deadline)
        *u->stop = 1;
    return ACC_OK;
}

/* Read the service's whole log from the start into env->events, until @want events came
 * or @timeout_ms passed; returns how many came. */
static size_t
s_events(env_t *env, size_t want, int timeout_ms)
{
    s_events_clear(env);
    char ep[256];
    acc_service_stream_endpoint("verification", ep, sizeof ep);
    acc_stream_consumer_t *con = NULL;
    acc_loop_t *loop = NULL;
    acc_errinfo_t ei;
    volatile sig_atomic_t stop = 0;
    s_until_arg u = {env, want, acc_loop_now_ms() + timeout_ms, &stop};
    assert_int_equal(acc_stream_consumer_new(env->zctx, ep, "verification", NULL, 0, s_events_apply,
                                             env, &con, &ei),
                     ACC_OK);
    assert_int_equal(acc_stream_consumer_set_wait(con, 50, 500), ACC_OK);
    assert_int_equal(acc_loop_new(&loop), ACC_OK);
    assert_int_equal(acc_stream_consumer_attach(con, loop), ACC_OK);
    assert_int_equal(acc_loop_add_timer(loop, 5, s_events_tick, &u), ACC_OK);
    assert_int_equal(acc_loop_run(loop, &stop), ACC_OK);
    acc_stream_consumer_destroy(&con);
    acc_loop_destroy(&loop);
    assert_int_equal(env->bad_events, 0);
    return env->n_events;
}

static const Accord__V1__Decision *
s_event_decision(env_t *env, size_t i)
{
    assert_true(i < env->n_events);
    assert_int_equal(env->events[i]->body_case, ACCORD__V1__VERIFICATION_EVENT__BODY_DECISION);
    assert_non_null(env->events[i]->decision);
    return env->events[i]->decision;
}

/* --- reading the stopped service's store ----------------------------------------------- */

typedef struct {
    uint64_t head, cursor;
} s_store_facts;

static const char *const s_vtables[] = {"cases", "decisions", "log", "cursors", NULL};

static void
s_store_open(env_t *env, acc_store_t **store)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/verification", env->data);
    acc_store_opts_t o = {.tables = s_vtables};
    acc_errinfo_t ei;
    assert_int_equal(acc_store_open(path, &o, store, &ei), ACC_OK);
}

static s_store_facts
s_store_read(env_t *env)
{
    acc_store_t *store = NULL;
    s_store_open(env, &store);
    acc_table log, cursors;
    assert_int_equal(acc_store_table(store, "log", &log), ACC_OK);
    assert_int_equal(acc_store_table(store, "cursors", &cursors), ACC_OK);
    acc_txn_t *txn = NULL;
    s_store_facts f = {0, 0};
    assert_int_equal(acc_store_read_begin(store, &txn), ACC_OK);
    assert_int_equal(acc_stream_head(txn, log, &f.head), ACC_OK);
    assert_int_equal(acc_stream_cursor_get(txn, cursors, "intake", &f.cursor), ACC_OK);
    acc_store_read_end(&txn);
    acc_store_destroy(&store);
    return f;
}

/* The stored message of @table under @key, decoded (NULL when absent). */
static ProtobufCMessage *
s_store_get(env_t *env, const char *table, const char *key, const ProtobufCMessageDescriptor *desc)
{
    acc_store_t *store = NULL;
    s_store_open(env, &store);
    acc_table t;
    assert_int_equal(acc_store_table(store, table, &t), ACC_OK);
    acc_txn_t *txn = NULL;
    assert_int_equal(acc_store_read_begin(store, &txn), ACC_OK);
    const void *v = NULL;
    size_t vl = 0;
    ProtobufCMessage *m = NULL;
    acc_err err = acc_store_get(txn, t, key, strlen(key), &v, &vl);
    if (err == ACC_OK) {
        acc_errinfo_t ei;
        assert_int_equal(acc_codec_unpack(desc, v, vl, 1u << 20, &m, &ei), ACC_OK);
    } else {
        assert_int_equal(err, ACC_ERR_NOT_FOUND);
    }
    acc_store_read_end(&txn);
    acc_store_destroy(&store);
    return m;
}

/* --- fixture ---------------------------------------------------------------------------- */

/* Write node.cfg with @extra appended and load it into env->cfg. */
static void
s_config(env_t *env, const char *extra)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/node.cfg", env->dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f,
            "agency = \"lead-a\";\n"
            "name = \"Lead A\";\n"
            "data_dir = \"data\";\n"
            "categories = (\n"
            "  { id = \"scam\"; vi = \"Lừa đảo\"; en = \"Scam or fraud\"; },\n"
            "  { id = \"phishing\"; vi = \"Lừa đảo trực tuyến\"; en = \"Phishing\"; }\n"
            ");\n"
            "%s\n",
            extra ? extra : "");
    fclose(f);
    acc_errinfo_t ei;
    acc_errinfo_clear(&ei);
    acc_err err = acc_config_load(path, &env->cfg, &ei);
    if (err != ACC_OK)
        print_error("config: %s: %s\n", ei.field, ei.msg);
    assert_int_equal(err, ACC_OK);
    snprintf(env->data, sizeof env->data, "%s", env->cfg->data_dir);
    assert_int_equal(mkdir(env->data, 0700), 0);
}

static const char *
s_auto_cfg(void)
{
    return "verification = { auto = { enabled = true; sources = [ \"vncert\" ];\n"
           "  min_confidence = 80; legal_basis = \"" AUTO_BASIS "\";\n"
           "  reasons = \"" AUTO_REASONS "\"; }; };\n";
}

static int
s_setup(void **state)
{
    env_t *env = calloc(1, sizeof *env);
    assert_non_null(env);
    env->dir = acc_test_tmpdir();
    env->zctx = zmq_ctx_new();
    assert_non_null(env->zctx);
    char path[4200];
    snprintf(path, sizeof path, "%s/intake", env->dir);
    static const char *const ptables[] = {"log", NULL};
    acc_store_opts_t o = {.tables = ptables};
    acc_errinfo_t ei;
    assert_int_equal(acc_store_open(path, &o, &env->pstore, &ei), ACC_OK);
    assert_int_equal(acc_store_table(env->pstore, "log", &env->plog), ACC_OK);
    *state = env;
    return 0;
}

static int
s_teardown(void **state)
{
    env_t *env = *state;
    acc_client_destroy(&env->client);
    if (env->srunning) {
        env->sstop = 1;
        pthread_join(env->sthr, NULL);
    }
    if (atomic_load(&env->pready) != 0) {
        env->pstop = 1;
        pthread_join(env->pthr, NULL);
    }
    s_events_clear(env);
    acc_store_destroy(&env->pstore);
    zmq_ctx_term(env->zctx);
    acc_config_destroy(&env->cfg);
    acc_test_rmtree(env->dir);
    free(env);
    return 0;
}

/* Config, producer and service up. */
static void
s_up(env_t *env, const char *extra)
{
    s_config(env, extra);
    s_producer_start(env);
    s_service_start(env);
}

/* --- Decide helpers ---------------------------------------------------------------------- */

typedef struct {
    const char *case_number, *category, *legal_basis, *reasons, *decided_by;
    Accord__V1__Verdict verdict;
} s_decide_t;

static s_decide_t
s_valid(const char *number)
{
    return (s_decide_t){number,  "phishing",       BASIS,
                        REASONS, "officer.nguyen", ACCORD__V1__VERDICT__VERDICT_VIOLATING};
}

static Accord__V1__Response *
s_decide(env_t *env, s_decide_t v)
{
    Accord__V1__Decide d = ACCORD__V1__DECIDE__INIT;
    if (v.case_number)
        d.case_number = (char *)v.case_number;
    if (v.category)
        d.category = (char *)v.category;
    if (v.legal_basis)
        d.legal_basis = (char *)v.legal_basis;
    if (v.reasons)
        d.reasons = (char *)v.reasons;
    if (v.decided_by)
        d.decided_by = (char *)v.decided_by;
    d.verdict = v.verdict;
    Accord__V1__Request req = ACCORD__V1__REQUEST__INIT;
    req.body_case = ACCORD__V1__REQUEST__BODY_DECIDE;
    req.decide = &d;
    return s_call(env, &req);
}

/* A Decide that must be refused with @code naming @field (and, if given, saying @needle). */
static void
s_decide_refused(env_t *env, s_decide_t v, Accord__V1__Code code, const char *field,
                 const char *needle)
{
    Accord__V1__Response *resp = s_decide(env, v);
    if (resp->status->code != code)
        print_error("expected code %d, got %d: %s: %s\n", (int)code, (int)resp->status->code,
                    resp->status->field, resp->status->message);
    assert_int_equal(resp->status->code, code);
    assert_string_equal(resp->status->field, field);
    assert_true(strlen(resp->status->message) > 0);
    if (needle && !strstr(resp->status->message, needle))
        print_error("message '%s' lacks '%s'\n", resp->status->message, needle);
    if (needle)
        assert_non_null(strstr(resp->status->message, needle));
    assert_int_equal(resp->body_case, ACCORD__V1__RESPONSE__BODY__NOT_SET);
    accord__v1__response__free_unpacked(resp, NULL);
}

static int64_t
s_wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* --- tests ------------------------------------------------------------------------------- */

/* Reports open cases; a Decide on a known case is recorded, answered and emitted with
 * every field; a re-decision is a second event and becomes the latest. */
static void
test_decide(void **state)
{
    env_t *env = *state;
    s_up(env, NULL);
    s_report(env, "lead-a/2024/000001", "https://example.com/login", "scam", "citizen", 0);
    s_report(env, "lead-a/2024/000001", "https://example.com/login", "scam", "officer", 0);
    s_envelope(env);
    s_report(env, "lead-a/2024/000002", "sha256:00ff", "scam", "citizen", 0);
    s_wait_cases(env, 2);
    assert_int_equal(s_events(env, 1, 200), 0); /* reports alone decide nothing */

    int64_t before = s_wall_ms();
    s_decide_t v = s_valid("lead-a/2024/000001");
    v.legal_basis = "  " BASIS "\n"; /* stored trimmed */
    Accord__V1__Response *resp = s_decide(env, v);
    int64_t after = s_wall_ms();
    assert_int_equal(resp->status->code, ACCORD__V1__CODE__CODE_OK);
    assert_int_equal(resp->body_case, ACCORD__V1__RESPONSE__BODY_DECISION);
    const Accord__V1__Decision *rd = resp->decision;
    assert_string_equal(rd->case_number, "lead-a/2024/000001");
    assert_string_equal(rd->legal_basis, BASIS);

    assert_int_equal(s_events(env, 1, 3000), 1);
    const Accord__V1__Decision *d = s_event_decision(env, 0);
    assert_string_equal(d->case_number, "lead-a/2024/000001");
    assert_int_equal(d->verdict, ACCORD__V1__VERDICT__VERDICT_VIOLATING);
    assert_string_equal(d->category, "phishing"); /* the decided one, not the report's */
    assert_string_equal(d->legal_basis, BASIS);
    assert_string_equal(d->reasons, REASONS);
    assert_string_equal(d->decided_by, "officer.nguyen");
    assert_false(d->automated);
    assert_true(d->decided_ms >= before && d->decided_ms <= after);
    assert_string_equal(d->url, "https://example.com/login");
    assert_string_equal(d->content_key, "https://example.com/login");
    /* The answer is the recorded decision. */
    assert_int_equal(rd->decided_ms, d->decided_ms);
    assert_string_equal(rd->decided_by, d->decided_by);
    assert_string_equal(rd->url, d->url);
    accord__v1__response__free_unpacked(resp, NULL);

    /* A re-decision (after review) is a new event; the latest is kept. A text-only case
     * has no URL. */
    v = s_valid("lead-a/2024/000001");
    v.verdict = ACCORD__V1__VERDICT__VERDICT_NOT_VIOLATING;
    v.category = "scam";
    v.decided_by = "reviewer.tran";
    v.reasons = "on review: a legitimate bank page";
    resp = s_decide(env, v);
    assert_int_equal(resp->status->code, ACCORD__V1__CODE__CODE_OK);
    accord__v1__response__free_unpacked(resp, NULL);
    v = s_valid("lead-a/2024/000002");
    v.verdict = ACCORD__V1__VERDICT__VERDICT_INCONCLUSIVE;
    resp = s_decide(env, v);
    assert_int_equal(resp->status->code, ACCORD__V1__CODE__CODE_OK);
    accord__v1__response__free_unpacked(resp, NULL);

    assert_int_equal(s_events(env, 3, 3000), 3);
    d = s_event_decision(env, 1);
    assert_string_equal(d->case_number, "lead-a/2024/000001");
    assert_int_equal(d->verdict, ACCORD__V1__VERDICT__VERDICT_NOT_VIOLATING);
    assert_string_equal(d->decided_by, "reviewer.tran");
    assert_string_equal(d->reasons, "on review: a legitimate bank page");
    d = s_event_decision(env, 2);
    assert_string_equal(d->case_number, "lead-a/2024/000002");
    assert_int_equal(d->verdict, ACCORD__V1__VERDICT__VERDICT_INCONCLUSIVE);
    assert_string_equal(d->url, "");
    assert_string_equal(d->content_key, "sha256:00ff");
    assert_int_equal(s_events(env, 4, 200), 3);

    s_service_stop(env);
    s_store_facts f = s_store_read(env);
    assert_int_equal(f.head, 3);
    assert_int_equal(f.cursor, 4); /* the envelope record was passed too */
    Accord__V1__Decision *latest = (Accord__V1__Decision *)s_store_get(
        env, "decisions", "lead-a/2024/000001", &accord__v1__decision__descriptor);
    assert_non_null(latest);
    assert_int_equal(latest->verdict, ACCORD__V1__VERDICT__VERDICT_NOT_VIOLATING);
    accord__v1__decision__free_unpacked(latest, NULL);
    Accord__V1__CaseInfo *ci = (Accord__V1__CaseInfo *)s_store_get(
        env, "cases", "lead-a/2024/000001", &accord__v1__case_info__descriptor);
    assert_non_null(ci);
    assert_int_equal(ci->reports, 2);
    assert_true(ci->decided);
    assert_string_equal(ci->category, "scam");
    assert_int_equal(ci->first_reported_ms, MS0 + 1);
    assert_string_equal(ci->url, "https://example.com/login");
    accord__v1__case_info__free_unpacked(ci, NULL);
}

/* Every bad Decide is refused with its code and field, and nothing is emitted. */
static void
test_decide_refused(void **state)
{
    env_t *env = *state;
    s_up(env, NULL);
    const char *num = "lead-a/2024/000001";
    s_report(env, num, "https://example.com/x", "scam", "citizen", 0);
    s_wait_cases(env, 1);

    s_decide_t v = s_valid("lead-a/2024/999999");
    s_decide_refused(env, v, ACCORD__V1__CODE__CODE_NOT_FOUND, "case_number", "lead-a/2024/999999");
    v = s_valid(NULL);
    s_decide_refused(env, v, ACCORD__V1__CODE__CODE_INVALID, "case_number", NULL);
    v = s_valid(num);
    v.legal_basis = NULL;
    s_decide_refused(env, v, ACCORD__V1__CODE__CODE_INVALID, "legal_basis", NULL);
    v = s_valid(num);
    v.legal_basis = " \n";
    s_decide_refused(env, v, ACCORD__V1__CODE__CODE_INVALID, "legal_basis", NULL);
    v = s_valid(num);
    v.reasons = NULL;
    s_decide_refused(env, v, ACCORD__V1__CODE__CODE_INVALID, "reasons", NULL);
    v = s_valid(num);
    v.reasons = " \t\r\n  ";
    s_decide_refused(env, v, ACCORD__V1__CODE__CODE_INVALID, "reasons", NULL);
    v = s_valid(num);
    v.reasons = "\xe3\x80\x80\xc2\xa0 "; /* ideographic and no-break spaces only */
    s_decide_refused(env, v, ACCORD__V1__CODE__CODE_INVALID, "reasons", "white space");
    char *longtext = malloc(VERIFICATION_TEXT_MAX + 2);
    assert_non_null(longtext);
    memset(longtext, 'a', VERIFICATION_TEXT_MAX + 1);
    longtext[VERIFICATION_TEXT_MAX + 1] = '\0';
    v = s_valid(num);
    v.reasons = longtext;
    s_decide_refused(env, v, ACCORD__V1__CODE__CODE_INVALID, "reasons", "2000");
    v = s_valid(num);
    v.category = "gambling";
    s_decide_refused(env, v, ACCORD__V1__CODE__CODE_INVALID, "category", "scam, phishing");
    v = s_valid(num);
    v.category = NULL;
    s_decide_refused(env, v, ACCORD__V1__CODE__CODE_INVALID, "category", "scam");
    v = s_valid(num);
    v.verdict = ACCORD__V1__VERDICT__VERDICT_UNSPECIFIED;
    s_decide_refused(env, v, ACCORD__V1__CODE__CODE_INVALID, "verdict", NULL);
    v = s_valid(num);
    v.verdict = (Accord__V1__Verdict)17;
    s_decide_refused(env, v, ACCORD__V1__CODE__CODE_INVALID, "verdict", NULL);
    v = s_valid(num);
    v.decided_by = NULL;
    s_decide_refused(env, v, ACCORD__V1__CODE__CODE_INVALID, "decided_by", NULL);
    v = s_valid(num);
    v.decided_by = "auto:policy"; /* operators cannot pass for the automated policy */
    s_decide_refused(env, v, ACCORD__V1__CODE__CODE_INVALID, "decided_by", "auto:");

    /* Not a verification request. */
    Accord__V1__GetStats gs = ACCORD__V1__GET_STATS__INIT;
    Accord__V1__Request req = ACCORD__V1__REQUEST__INIT;
    req.body_case = ACCORD__V1__REQUEST__BODY_GET_STATS;
    req.get_stats = &gs;
    Accord__V1__Response *resp = s_call(env, &req);
    assert_int_equal(resp->status->code, ACCORD__V1__CODE__CODE_INVALID);
    assert_string_equal(resp->status->message, "not a verification request");
    accord__v1__response__free_unpacked(resp, NULL);

    /* Ping answers with the node's identity. */
    Accord__V1__Ping ping = ACCORD__V1__PING__INIT;
    Accord__V1__Request preq = ACCORD__V1__REQUEST__INIT;
    preq.body_case = ACCORD__V1__REQUEST__BODY_PING;
    preq.ping = &ping;
    resp = s_call(env, &preq);
    assert_int_equal(resp->status->code, ACCORD__V1__CODE__CODE_OK);
    assert_int_equal(resp->body_case, ACCORD__V1__RESPONSE__BODY_PONG);
    assert_string_equal(resp->pong->agency, "lead-a");
    assert_string_equal(resp->pong->node_name, "Lead A");
    assert_int_equal(resp->pong->cases, 1);
    accord__v1__response__free_unpacked(resp, NULL);

    /* Nothing was emitted: the first event is the valid decision that follows, and a
     * text of exactly the maximum length is accepted. */
    assert_int_equal(s_events(env, 1, 200), 0);
    longtext[VERIFICATION_TEXT_MAX] = '\0';
    v = s_valid(num);
    v.reasons = longtext;
    resp = s_decide(env, v);
    assert_int_equal(resp->status->code, ACCORD__V1__CODE__CODE_OK);
    accord__v1__response__free_unpacked(resp, NULL);
    assert_int_equal(s_events(env, 2, 300), 1);
    assert_string_equal(s_event_decision(env, 0)->reasons, longtext);
    free(longtext);

    s_service_stop(env);
    assert_int_equal(s_store_read(env).head, 1);
}

/* A node with a lead peer records cases but takes no decision, neither by Decide nor by
 * the automated policy. */
static void
test_not_lead(void **state)
{
    env_t *env = *state;
    char pub[41], sec[41], extra[1024];
    assert_int_equal(zmq_curve_keypair(pub, sec), 0);
    snprintf(extra, sizeof extra,
             "%s"
             "peers = ( { agency = \"lead-x\"; role = \"lead\"; endpoint = \"tcp://127.0.0.1:1\";\n"
             "            public_key = \"%s\"; } );\n",
             s_auto_cfg(), pub);
    s_up(env, extra);
    assert_non_null(acc_config_lead(env->cfg));
    const char *num = "lead-a/2024/000001";
    s_report(env, num, "https://example.com/x", "scam", "vncert", 100);
    s_wait_cases(env, 1);

    Accord__V1__Response *resp = s_decide(env, s_valid(num));
    assert_int_equal(resp->status->code, ACCORD__V1__CODE__CODE_DENIED);
    assert_non_null(strstr(resp->status->message, "not the lead agency"));
    assert_non_null(strstr(resp->status->message, "lead-x"));
    assert_int_equal(resp->body_case, ACCORD__V1__RESPONSE__BODY__NOT_SET);
    accord__v1__response__free_unpacked(resp, NULL);
    assert_int_equal(s_events(env, 1, 300), 0);

    s_service_stop(env);
    s_store_facts f = s_store_read(env);
    assert_int_equal(f.head, 0);
    assert_int_equal(f.cursor, 1);
}

/* The automated policy: a trusted source at or above the threshold decides an undecided
 * case once; below the threshold, an untrusted source, a forwarded report or an unknown
 * category do not. A restart neither repeats an event nor re-applies a record. */
static void
test_auto_and_restart(void **state)
{
    env_t *env = *state;
    s_up(env, s_auto_cfg());
    const char *a = "lead-a/2024/000001";
    s_report(env, a, "https://bank.example/login", "phishing", "vncert", 80); /* 1: decides */
    s_report(env, a, "https://bank.example/login", "phishing", "vncert", 95); /* 2: decided */
    s_envelope(env);                                                          /* 3 */
    s_report(env, "lead-a/2024/000002", "https://b.example/", "scam", "citizen", 100); /* 4 */
    s_report(env, "lead-a/2024/000003", "https://c.example/", "scam", "vncert", 79);   /* 5 */
    s_report_via(env, "lead-a/2024/000004", "https://d.example/", "scam", "vncert", 100,
                 "coord-b");                                                           /* 6 */
    s_report(env, "lead-a/2024/000005", "https://e.example/", "other", "vncert", 100); /* 7 */
    s_wait_cases(env, 5);

    assert_int_equal(s_events(env, 2, 300), 1);
    const Accord__V1__Decision *d = s_event_decision(env, 0);
    assert_string_equal(d->case_number, a);
    assert_int_equal(d->verdict, ACCORD__V1__VERDICT__VERDICT_VIOLATING);
    assert_string_equal(d->category, "phishing");
    assert_string_equal(d->legal_basis, AUTO_BASIS);
    assert_string_equal(d->reasons, AUTO_REASONS);
    assert_string_equal(d->decided_by, "auto:policy");
    assert_true(d->automated);
    assert_int_equal(d->decided_ms, MS0 + 1); /* the report's commit time */
    assert_string_equal(d->url, "https://bank.example/login");
    assert_string_equal(d->content_key, "https://bank.example/login");

    /* An operator may still decide an automatically decided case (review). */
    Accord__V1__Response *resp = s_decide(env, s_valid("lead-a/2024/000003"));
    assert_int_equal(resp->status->code, ACCORD__V1__CODE__CODE_OK);
    accord__v1__response__free_unpacked(resp, NULL);

    s_service_stop(env);
    s_store_facts f = s_store_read(env);
    assert_int_equal(f.head, 2);
    assert_int_equal(f.cursor, 7);

    /* Restart on the same data: a damaged record is passed over, the records before are
     * not applied again (the case's report count), and no event is repeated. */
    s_service_start(env);
    s_append_raw(env, "\xff\xff\xff", 3);                                            /* 8 */
    s_report(env, a, "https://bank.example/login", "phishing", "vncert", 100);       /* 9 */
    s_report(env, "lead-a/2024/000003", "https://c.example/", "scam", "vncert", 90); /* 10 */
    s_report(env, "lead-a/2024/000006", "https://f.example/", "scam", "vncert", 90); /* 11 */
    s_wait_cases(env, 6);
    assert_int_equal(s_events(env, 4, 300), 3);
    assert_string_equal(s_event_decision(env, 0)->case_number, a);
    assert_string_equal(s_event_decision(env, 1)->case_number, "lead-a/2024/000003");
    assert_false(s_event_decision(env, 1)->automated);
    d = s_event_decision(env, 2);
    assert_string_equal(d->case_number, "lead-a/2024/000006");
    assert_true(d->automated);
    assert_int_equal(d->decided_ms, MS0 + 11);

    s_service_stop(env);
    f = s_store_read(env);
    assert_int_equal(f.head, 3);
    assert_int_equal(f.cursor, 11);
    Accord__V1__CaseInfo *ci =
        (Accord__V1__CaseInfo *)s_store_get(env, "cases", a, &accord__v1__case_info__descriptor);
    assert_non_null(ci);
    assert_int_equal(ci->reports, 3);
    assert_true(ci->decided);
    accord__v1__case_info__free_unpacked(ci, NULL);
    ci = (Accord__V1__CaseInfo *)s_store_get(env, "cases", "lead-a/2024/000002",
                                             &accord__v1__case_info__descriptor);
    assert_non_null(ci);
    assert_false(ci->decided);
    accord__v1__case_info__free_unpacked(ci, NULL);
}

/* The policy predicate alone. */
static void
test_auto_applies(void **state)
{
    env_t *env = *state;
    s_config(env, s_auto_cfg());
    Accord__V1__Report r = ACCORD__V1__REPORT__INIT;
    r.source = (char *)"vncert";
    r.category = (char *)"scam";
    r.confidence = 80;
    Accord__V1__StoredReport sr = ACCORD__V1__STORED_REPORT__INIT;
    sr.report = &r;
    assert_true(verification_auto_applies(env->cfg, &sr));
    r.confidence = 79;
    assert_false(verification_auto_applies(env->cfg, &sr));
    r.confidence = 100;
    r.source = (char *)"vncert2";
    assert_false(verification_auto_applies(env->cfg, &sr));
    r.source = (char *)"vncert";
    r.category = (char *)"nope";
    assert_false(verification_auto_applies(env->cfg, &sr));
    r.category = (char *)"scam";
    sr.via_agency = (char *)"coord-b";
    assert_false(verification_auto_applies(env->cfg, &sr));
    sr.via_agency = (char *)"";
    sr.report = NULL;
    assert_false(verification_auto_applies(env->cfg, &sr));
    sr.report = &r;
    assert_true(verification_auto_applies(env->cfg, &sr));

    /* Disabled (the default): never. */
    acc_config_destroy(&env->cfg);
    rmdir(env->data);
    s_config(env, NULL);
    assert_false(verification_auto_applies(env->cfg, &sr));
}

int
main(void)
{
    acc_log_set_level(ACC_LOG_ERROR);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_auto_applies, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_decide, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_decide_refused, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_not_lead, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_auto_and_restart, s_setup, s_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
