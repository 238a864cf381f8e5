/*
 * Unit tests for the assignment service, with real parts: the service runs on its own
 * thread (acc_service_run, ACC_SERVICE_INPROC) over a temporary data directory; fake
 * producers serve the "verification" and "intake" streams at their inproc endpoints from
 * stores of their own (a producer thread appends what the test sends it over a PAIR socket
 * and notifies, as a real producer does after its commit); the test talks to the control
 * socket with acc_client and reads the service's own log with an acc_stream_consumer.
 *
 * Two nodes are modelled: "lead-a" (a lead, peers own-b and other-c) creates measures from
 * decisions; "own-b" (lead peer lead-a) receives measures and updates them.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zmq.h>

#include "acc_client.h"
#include "acc_codec.h"
#include "acc_config.h"
#include "acc_ids.h"
#include "acc_log.h"
#include "acc_loop.h"
#include "acc_service.h"
#include "acc_store.h"
#include "acc_stream.h"
#include "acc_test.h"
#include "accord/v1/assignment.pb-c.h"
#include "accord/v1/intake.pb-c.h"
#include "accord/v1/verification.pb-c.h"
#include "assignment/assignment.h"

#define DECIDED_MS 1700000000000LL
#define WAIT_MS 5000

/* --- fake producers ------------------------------------------------------------------ */

typedef struct {
    const char *name; /* "verification" or "intake" */
    void *zctx;
    char dir[4200];
    volatile sig_atomic_t stop;
    atomic_int ready;
    acc_err err;
    pthread_t th;
    void *feed_out;   /* the test's end of the feed (PAIR, connected) */
    uint64_t env_seq; /* envelope sequence numbers the test made up */
    /* the producer thread's own */
    acc_store_t *store;
    acc_table log;
    uint64_t head;
    acc_stream_server_t *server;
} s_producer;

typedef struct {
    s_producer *p;
    const void *buf;
    size_t len;
} s_append_arg;

static acc_err
s_append_fn(acc_txn_t *txn, void *arg)
{
    s_append_arg *a = arg;
    return acc_stream_append(txn, a->p->log, a->p->head, a->buf, a->len);
}

/* One frame from the test = one record, committed and then announced. */
static acc_err
s_on_feed(acc_loop_t *loop, void *arg)
{
    (void)loop;
    void **ctx = arg;
    s_producer *p = ctx[0];
    void *feed = ctx[1];
    for (;;) {
        zmq_msg_t m;
        zmq_msg_init(&m);
        if (zmq_msg_recv(&m, feed, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&m);
            return ACC_OK;
        }
        s_append_arg a = {p, zmq_msg_data(&m), zmq_msg_size(&m)};
        acc_err err = acc_store_write(p->store, s_append_fn, &a);
        zmq_msg_close(&m);
        if (err != ACC_OK)
            return err;
        p->head++;
        acc_stream_server_notify(p->server, p->head);
    }
}

static void *
s_producer_main(void *arg)
{
    s_producer *p = arg;
    static const char *const tables[] = {"log", NULL};
    acc_store_opts_t opts = {.tables = tables, .map_size = 1u << 20};
    acc_loop_t *loop = NULL;
    void *feed = NULL;
    acc_errinfo_t ei;
    char ep[256];
    acc_service_stream_endpoint(p->name, ep, sizeof ep);
    const char *eps[] = {ep, NULL};
    if ((p->err = acc_store_open(p->dir, &opts, &p->store, &ei)) != ACC_OK ||
        (p->err = acc_store_table(p->store, "log", &p->log)) != ACC_OK ||
        (p->err = acc_stream_server_new(p->zctx, p->store, p->log, p->name, eps, NULL, 0,
                                        &p->server, &ei)) != ACC_OK)
        goto out;
    feed = zmq_socket(p->zctx, ZMQ_PAIR);
    snprintf(ep, sizeof ep, "inproc://test-feed-%s", p->name);
    if (!feed || zmq_bind(feed, ep) != 0) {
        p->err = ACC_ERR_NET;
        goto out;
    }
    void *ctx[2] = {p, feed};
    if ((p->err = acc_loop_new(&loop)) != ACC_OK ||
        (p->err = acc_loop_add_socket(loop, feed, s_on_feed, ctx)) != ACC_OK ||
        (p->err = acc_stream_server_attach(p->server, loop)) != ACC_OK)
        goto out;
    atomic_store(&p->ready, 1);
    p->err = acc_loop_run(loop, &p->stop);
out:
    atomic_store(&p->ready, 1);
    if (feed) {
        int zero = 0;
        zmq_setsockopt(feed, ZMQ_LINGER, &zero, sizeof zero);
        zmq_close(feed);
    }
    acc_loop_destroy(&loop);
    acc_stream_server_destroy(&p->server);
    acc_store_destroy(&p->store);
    return NULL;
}

static void
s_producer_start(s_producer *p, void *zctx, const char *base, const char *name)
{
    p->name = name;
    p->zctx = zctx;
    snprintf(p->dir, sizeof p->dir, "%s/prod-%s", base, name);
    assert_int_equal(pthread_create(&p->th, NULL, s_producer_main, p), 0);
    for (int i = 0; i < 500 && !atomic_load(&p->ready); i++)
        usleep(10000);
    assert_int_equal(p->err, ACC_OK);
    p->feed_out = zmq_socket(zctx, ZMQ_PAIR);
    char ep[256];
    snprintf(ep, sizeof ep, "inproc://test-feed-%s", name);
    assert_int_equal(zmq_connect(p->feed_out, ep), 0);
}

static void
s_producer_stop(s_producer *p)
{
    if (!p->feed_out)
        return;
    p->stop = 1;
    pthread_join(p->th, NULL);
    int zero = 0;
    zmq_setsockopt(p->feed_out, ZMQ_LINGER, &zero, sizeof zero);
    zmq_close(p->feed_out);
    p->feed_out = NULL;
}

static void
s_produce_raw(s_producer *p, const void *buf, size_t len)
{
    assert_true(zmq_send(p->feed_out, buf, len, 0) == (int)len);
}

static void
s_produce(s_producer *p, const ProtobufCMessage *m)
{
    size_t n = protobuf_c_message_get_packed_size(m);
    uint8_t *b = malloc(n + 1);
    assert_non_null(b);
    protobuf_c_message_pack(m, b);
    s_produce_raw(p, b, n);
    free(b);
}

static void
s_decide(s_producer *p, const char *case_number, Accord__V1__Verdict verdict, const char *category,
         int64_t decided_ms)
{
    Accord__V1__Decision d = ACCORD__V1__DECISION__INIT;
    d.case_number = (char *)case_number;
    d.verdict = verdict;
    d.category = (char *)category;
    d.legal_basis = "Decree 15/2020 art. 101";
    d.reasons = "the site imitates a bank to collect card numbers";
    d.decided_by = "officer-1";
    d.decided_ms = decided_ms;
    d.url = "https://bank-login.example/";
    d.content_key = "https://bank-login.example/";
    Accord__V1__VerificationEvent ev = ACCORD__V1__VERIFICATION_EVENT__INIT;
    ev.body_case = ACCORD__V1__VERIFICATION_EVENT__BODY_DECISION;
    ev.decision = &d;
    s_produce(p, &ev.base);
}

static void
s_envelope(s_producer *p, const char *origin, Accord__V1__Measure *m, Accord__V1__MeasureUpdate *u)
{
    Accord__V1__Envelope e = ACCORD__V1__ENVELOPE__INIT;
    e.id = "0190f0f0-0000-7000-8000-000000000001";
    e.origin = (char *)origin;
    e.sequence = ++p->env_seq;
    e.schema_version = 1;
    e.time_ms = DECIDED_MS;
    if (m) {
        e.body_case = ACCORD__V1__ENVELOPE__BODY_MEASURE;
        e.measure = m;
    } else {
        e.body_case = ACCORD__V1__ENVELOPE__BODY_MEASURE_UPDATE;
        e.measure_update = u;
    }
    Accord__V1__ReceivedEnvelope re = ACCORD__V1__RECEIVED_ENVELOPE__INIT;
    re.envelope = &e;
    re.received_ms = DECIDED_MS + 5;
    Accord__V1__IntakeEvent ev = ACCORD__V1__INTAKE_EVENT__INIT;
    ev.body_case = ACCORD__V1__INTAKE_EVENT__BODY_ENVELOPE;
    ev.envelope = &re;
    s_produce(p, &ev.base);
}

/* A measure as lead-a would send it to own-b. */
static void
s_lead_measure(Accord__V1__Measure *m, const char *id, const char *case_number)
{
    accord__v1__measure__init(m);
    m->id = (char *)id;
    m->case_number = (char *)case_number;
    m->lead_agency = "lead-a";
    m->owner_agency = "own-b";
    m->action = "block-account";
    m->deadline_ms = DECIDED_MS + 86400000;
    m->status = ACCORD__V1__MEASURE_STATUS__MEASURE_STATUS_ASSIGNED;
    m->category = "scam";
    m->legal_basis = "Decree 15/2020 art. 101";
    m->reasons = "a fake shop";
    m->url = "https://shop.example/";
    m->created_ms = DECIDED_MS;
}

/* --- the node under test ------------------------------------------------------------- */

typedef struct {
    char *dir;
    void *zctx;
    acc_config_t *cfg;
    s_producer verification, intake;
    pthread_t th;
    int running;
    volatile sig_atomic_t stop;
    acc_err err;
    acc_errinfo_t ei;
    acc_client_t *client;
} fixture;

static void *
s_svc_main(void *arg)
{
    fixture *fx = arg;
    fx->err = acc_service_run(&assignment_service, fx->cfg, fx->zctx, ACC_SERVICE_INPROC, &fx->stop,
                              &fx->ei);
    return NULL;
}

static void
s_svc_start(fixture *fx)
{
    fx->stop = 0;
    fx->err = ACC_OK;
    assert_int_equal(pthread_create(&fx->th, NULL, s_svc_main, fx), 0);
    fx->running = 1;
    char ep[4300];
    snprintf(ep, sizeof ep, "ipc://%s/assignment.sock", fx->cfg->data_dir);
    for (int i = 0; i < 250 && access(ep + 6, F_OK) != 0; i++)
        usleep(20000);
    assert_int_equal(acc_client_new(ep, 64u << 20, &fx->client, NULL), ACC_OK);
}

static void
s_svc_stop(fixture *fx)
{
    acc_client_destroy(&fx->client);
    if (!fx->running)
        return;
    fx->stop = 1;
    pthread_join(fx->th, NULL);
    fx->running = 0;
    if (fx->err != ACC_OK)
        fail_msg("service: %s: %s %s", acc_strerror(fx->err), fx->ei.field, fx->ei.msg);
}

static void
s_key(char pub[41])
{
    char sec[41];
    assert_int_equal(zmq_curve_keypair(pub, sec), 0);
}

static fixture *
s_setup(const char *agency, const char *extra)
{
    fixture *fx = calloc(1, sizeof *fx);
    assert_non_null(fx);
    fx->dir = acc_test_tmpdir();
    char path[4200], k1[41], k2[41];
    s_key(k1);
    s_key(k2);
    int lead = strcmp(agency, "lead-a") == 0;
    snprintf(path, sizeof path, "%s/node.cfg", fx->dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f,
            "agency = \"%s\";\ndata_dir = \"data\";\nlog_level = \"error\";\n%s\n"
            "peers = (\n"
            "  { agency = \"%s\"; role = \"%s\"; endpoint = \"tcp://127.0.0.1:7500\";\n"
            "    public_key = \"%s\"; },\n"
            "  { agency = \"other-c\"; role = \"coordinating\";\n"
            "    endpoint = \"tcp://127.0.0.1:7600\"; public_key = \"%s\"; } );\n",
            agency, extra ? extra : "", lead ? "own-b" : "lead-a", lead ? "coordinating" : "lead",
            k1, k2);
    fclose(f);
    acc_errinfo_t ei;
    acc_errinfo_clear(&ei);
    if (acc_config_load(path, &fx->cfg, &ei) != ACC_OK)
        fail_msg("config: %s: %s", ei.field, ei.msg);
    assert_int_equal(mkdir(fx->cfg->data_dir, 0700), 0);
    fx->zctx = zmq_ctx_new();
    s_producer_start(&fx->verification, fx->zctx, fx->dir, "verification");
    s_producer_start(&fx->intake, fx->zctx, fx->dir, "intake");
    s_svc_start(fx);
    return fx;
}

static int
setup_lead(void **state)
{
    *state = s_setup("lead-a", NULL);
    return 0;
}

static int
setup_owner(void **state)
{
    *state = s_setup("own-b", NULL);
    return 0;
}

static int
setup_small(void **state)
{
    *state = s_setup("lead-a", "limits = { message_max_bytes = 2048; };");
    return 0;
}

static int
teardown(void **state)
{
    fixture *fx = *state;
    s_svc_stop(fx);
    s_producer_stop(&fx->verification);
    s_producer_stop(&fx->intake);
    zmq_ctx_term(fx->zctx);
    acc_config_destroy(&fx->cfg);
    acc_test_rmtree(fx->dir);
    free(fx);
    return 0;
}

/* --- the service's log ------------------------------------------------------------------ */

#define MAX_EVENTS 256

typedef struct {
    Accord__V1__AssignmentEvent *ev[MAX_EVENTS];
    size_t n;
    uint64_t last_seq;
    size_t want;
    int64_t deadline, settle_until;
    volatile sig_atomic_t stop;
} s_log;

static acc_err
s_log_apply(const acc_stream_record_t *recs, size_t n, void *arg)
{
    s_log *l = arg;
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(recs[i].seq, l->last_seq + 1);
        l->last_seq = recs[i].seq;
        ProtobufCMessage *m = NULL;
        acc_errinfo_t ei;
        if (acc_codec_unpack(&accord__v1__assignment_event__descriptor, recs[i].payload,
                             recs[i].len, 1u << 20, &m, &ei) != ACC_OK)
            fail_msg("event %llu does not decode: %s: %s", (unsigned long long)recs[i].seq,
                     ei.field, ei.msg);
        assert_true(l->n < MAX_EVENTS);
        l->ev[l->n++] = (Accord__V1__AssignmentEvent *)m;
    }
    return ACC_OK;
}

static acc_err
s_log_tick(acc_loop_t *loop, void *arg)
{
    (void)loop;
    s_log *l = arg;
    int64_t now = acc_loop_now_ms();
    if (now >= l->deadline)
        l->stop = 1;
    else if (l->n >= l->want) {
        if (!l->settle_until)
            l->settle_until = now + 150; /* catch events past the ones waited for */
        else if (now >= l->settle_until)
            l->stop = 1;
    }
    return ACC_OK;
}

static void
s_log_free(s_log *l)
{
    for (size_t i = 0; i < l->n; i++)
        accord__v1__assignment_event__free_unpacked(l->ev[i], NULL);
    free(l);
}

/* The whole log, read from seq 1, once it holds at least @want events (or after 5 s). */
static s_log *
s_read_log(fixture *fx, size_t want)
{
    s_log *l = calloc(1, sizeof *l);
    assert_non_null(l);
    l->want = want;
    l->deadline = acc_loop_now_ms() + WAIT_MS;
    char ep[256];
    acc_service_stream_endpoint("assignment", ep, sizeof ep);
    acc_loop_t *loop = NULL;
    acc_stream_consumer_t *c = NULL;
    acc_errinfo_t ei;
    assert_int_equal(acc_loop_new(&loop), ACC_OK);
    assert_int_equal(
        acc_stream_consumer_new(fx->zctx, ep, "assignment", NULL, 0, s_log_apply, l, &c, &ei),
        ACC_OK);
    assert_int_equal(acc_stream_consumer_set_wait(c, 50, 500), ACC_OK);
    assert_int_equal(acc_stream_consumer_attach(c, loop), ACC_OK);
    assert_int_equal(acc_loop_add_timer(loop, 10, s_log_tick, l), ACC_OK);
    assert_int_equal(acc_loop_run(loop, &l->stop), ACC_OK);
    acc_stream_consumer_destroy(&c);
    acc_loop_destroy(&loop);
    if (l->n < want)
        fail_msg("the log has %zu events, expected at least %zu", l->n, want);
    return l;
}

static size_t
s_count(const s_log *l, Accord__V1__AssignmentEvent__BodyCase kind)
{
    size_t n = 0;
    for (size_t i = 0; i < l->n; i++)
        n += l->ev[i]->body_case == kind;
    return n;
}

/* The @i-th event of @kind (0-based), or fail. */
static const Accord__V1__AssignmentEvent *
s_nth(const s_log *l, Accord__V1__AssignmentEvent__BodyCase kind, size_t i)
{
    for (size_t k = 0; k < l->n; k++)
        if (l->ev[k]->body_case == kind && i-- == 0)
            return l->ev[k];
    fail_msg("no event %zu of kind %d", i, (int)kind);
    return NULL;
}

/* --- control requests ------------------------------------------------------------------ */

static Accord__V1__Response *
s_call(fixture *fx, Accord__V1__Request *req)
{
    req->request_id = acc_client_next_id(fx->client);
    Accord__V1__Response *r = NULL;
    acc_errinfo_t ei;
    acc_errinfo_clear(&ei);
    if (acc_client_call(fx->client, req, WAIT_MS, &r, &ei) != ACC_OK)
        fail_msg("call: %s %s", ei.field, ei.msg);
    assert_int_equal(r->request_id, req->request_id);
    return r;
}

static Accord__V1__Response *
s_add_route_j(fixture *fx, const char *category, const char *jurisdiction, const char *action,
              const char *owner, int64_t deadline_s)
{
    Accord__V1__RoutingRule rule = ACCORD__V1__ROUTING_RULE__INIT;
    rule.category = (char *)category;
    rule.jurisdiction = (char *)jurisdiction;
    rule.action = (char *)action;
    rule.owner_agency = (char *)owner;
    rule.deadline_s = deadline_s;
    Accord__V1__AddRoute ar = ACCORD__V1__ADD_ROUTE__INIT;
    ar.rule = &rule;
    Accord__V1__Request req = ACCORD__V1__REQUEST__INIT;
    req.body_case = ACCORD__V1__REQUEST__BODY_ADD_ROUTE;
    req.add_route = &ar;
    return s_call(fx, &req);
}

static Accord__V1__Response *
s_add_route(fixture *fx, const char *category, const char *action, const char *owner,
            int64_t deadline_s)
{
    return s_add_route_j(fx, category, "", action, owner, deadline_s);
}

/* Add a rule that must be accepted; its id into @id. */
static void
s_route_ok(fixture *fx, const char *category, const char *action, const char *owner,
           int64_t deadline_s, char id[37])
{
    Accord__V1__Response *r = s_add_route(fx, category, action, owner, deadline_s);
    if (r->status->code != ACCORD__V1__CODE__CODE_OK)
        fail_msg("add route: %s: %s", r->status->field, r->status->message);
    assert_int_equal(r->body_case, ACCORD__V1__RESPONSE__BODY_ROUTE);
    snprintf(id, 37, "%s", r->route->id);
    accord__v1__response__free_unpacked(r, NULL);
}

static Accord__V1__Response *
s_list(fixture *fx, int mine, const char *case_number)
{
    Accord__V1__ListMeasures lm = ACCORD__V1__LIST_MEASURES__INIT;
    lm.mine = mine;
    lm.case_number = (char *)case_number;
    Accord__V1__Request req = ACCORD__V1__REQUEST__INIT;
    req.body_case = ACCORD__V1__REQUEST__BODY_LIST_MEASURES;
    req.list_measures = &lm;
    Accord__V1__Response *r = s_call(fx, &req);
    assert_int_equal(r->status->code, ACCORD__V1__CODE__CODE_OK);
    assert_int_equal(r->body_case, ACCORD__V1__RESPONSE__BODY_MEASURES);
    return r;
}

static Accord__V1__Response *
s_update(fixture *fx, const char *id, Accord__V1__MeasureStatus status, const char *result,
         const char *by)
{
    Accord__V1__UpdateMeasure um = ACCORD__V1__UPDATE_MEASURE__INIT;
    um.measure_id = (char *)id;
    um.status = status;
    um.result = (char *)result;
    um.updated_by = (char *)by;
    Accord__V1__Request req = ACCORD__V1__REQUEST__INIT;
    req.body_case = ACCORD__V1__REQUEST__BODY_UPDATE_MEASURE;
    req.update_measure = &um;
    return s_call(fx, &req);
}

/* Check an error answer and free it. */
static void
s_expect(Accord__V1__Response *r, Accord__V1__Code code, const char *field, const char *msg_part)
{
    assert_non_null(r->status);
    if (r->status->code != code)
        fail_msg("expected code %d, got %d (%s: %s)", (int)code, (int)r->status->code,
                 r->status->field, r->status->message);
    assert_string_equal(r->status->field, field);
    if (msg_part && !strstr(r->status->message, msg_part))
        fail_msg("message '%s' lacks '%s'", r->status->message, msg_part);
    accord__v1__response__free_unpacked(r, NULL);
}

/* Poll ListMeasures until it holds @n measures (of @case_number, "" = all). */
static Accord__V1__Response *
s_wait_measures(fixture *fx, const char *case_number, size_t n)
{
    int64_t end = acc_loop_now_ms() + WAIT_MS;
    for (;;) {
        Accord__V1__Response *r = s_list(fx, 0, case_number);
        if (r->measures->n_measures == n)
            return r;
        if (acc_loop_now_ms() > end)
            fail_msg("%zu measures, expected %zu", r->measures->n_measures, n);
        accord__v1__response__free_unpacked(r, NULL);
        usleep(20000);
    }
}

/* --- tests ------------------------------------------------------------------------------ */

static void
test_measure_id(void **state)
{
    (void)state;
    char a[37], b[37], c[37], d[37];
    assignment_measure_id("lead-a/2024/000001", "0190f0f0-0000-7000-8000-00000000000a", a);
    assignment_measure_id("lead-a/2024/000001", "0190f0f0-0000-7000-8000-00000000000a", b);
    assignment_measure_id("lead-a/2024/000002", "0190f0f0-0000-7000-8000-00000000000a", c);
    assignment_measure_id("lead-a/2024/000001", "0190f0f0-0000-7000-8000-00000000000b", d);
    assert_string_equal(a, b);
    assert_string_not_equal(a, c);
    assert_string_not_equal(a, d);
    acc_uuid_t u;
    assert_int_equal(acc_uuid_parse(a, strlen(a), &u), ACC_OK);
    assert_int_equal(a[14], '8');           /* version 8 */
    assert_non_null(strchr("89ab", a[19])); /* RFC 9562 variant */
    assert_true(assignment_valid_action("request-removal"));
    assert_false(assignment_valid_action(""));
    assert_false(assignment_valid_action("Request"));
    assert_false(assignment_valid_action("a_b"));
    char long_action[50];
    memset(long_action, 'a', 49);
    long_action[49] = '\0';
    assert_false(assignment_valid_action(long_action));
    long_action[48] = '\0';
    assert_true(assignment_valid_action(long_action));
}

static void
test_add_route_validation(void **state)
{
    fixture *fx = *state;
    s_expect(s_add_route(fx, "no-such", "request-removal", "own-b", 86400),
             ACCORD__V1__CODE__CODE_INVALID, "rule.category", "no-such");
    s_expect(s_add_route(fx, "scam", "", "own-b", 86400), ACCORD__V1__CODE__CODE_INVALID,
             "rule.action", NULL);
    s_expect(s_add_route(fx, "scam", "Request Removal", "own-b", 86400),
             ACCORD__V1__CODE__CODE_INVALID, "rule.action", NULL);
    s_expect(s_add_route(fx, "scam", "request-removal", "nobody", 86400),
             ACCORD__V1__CODE__CODE_INVALID, "rule.owner_agency", "'nobody'");
    s_expect(s_add_route(fx, "scam", "request-removal", "", 86400), ACCORD__V1__CODE__CODE_INVALID,
             "rule.owner_agency", NULL);
    s_expect(s_add_route(fx, "scam", "request-removal", "own-b", 59),
             ACCORD__V1__CODE__CODE_INVALID, "rule.deadline_s", NULL);
    s_expect(s_add_route(fx, "scam", "request-removal", "own-b", 365 * 86400 + 1),
             ACCORD__V1__CODE__CODE_INVALID, "rule.deadline_s", NULL);
    s_expect(s_add_route_j(fx, "scam", "Ha Noi", "request-removal", "own-b", 86400),
             ACCORD__V1__CODE__CODE_INVALID, "rule.jurisdiction", NULL);
    Accord__V1__AddRoute ar = ACCORD__V1__ADD_ROUTE__INIT;
    Accord__V1__Request req = ACCORD__V1__REQUEST__INIT;
    req.body_case = ACCORD__V1__REQUEST__BODY_ADD_ROUTE;
    req.add_route = &ar;
    s_expect(s_call(fx, &req), ACCORD__V1__CODE__CODE_INVALID, "rule", NULL);

    /* The edges are accepted: our own agency, a peer, one minute, one year. */
    Accord__V1__Response *r = s_add_route(fx, "scam", "request-removal", "lead-a", 60);
    assert_int_equal(r->status->code, ACCORD__V1__CODE__CODE_OK);
    assert_int_equal(r->body_case, ACCORD__V1__RESPONSE__BODY_ROUTE);
    acc_uuid_t u;
    assert_int_equal(acc_uuid_parse(r->route->id, strlen(r->route->id), &u), ACC_OK);
    assert_int_equal(r->route->id[14], '7'); /* UUIDv7, assigned by the node */
    assert_string_equal(r->route->category, "scam");
    assert_string_equal(r->route->action, "request-removal");
    assert_string_equal(r->route->owner_agency, "lead-a");
    assert_int_equal(r->route->deadline_s, 60);
    char first[37];
    snprintf(first, sizeof first, "%s", r->route->id);
    accord__v1__response__free_unpacked(r, NULL);
    char id2[37];
    s_route_ok(fx, "scam", "block-account", "own-b", 365 * 86400, id2);
    assert_string_not_equal(first, id2);

    /* The same rule twice is refused, naming the one that exists. */
    s_expect(s_add_route(fx, "scam", "block-account", "own-b", 3600),
             ACCORD__V1__CODE__CODE_INVALID, "rule", id2);

    /* Each accepted rule is an event, the refused ones are not. */
    s_log *l = s_read_log(fx, 2);
    assert_int_equal(l->n, 2);
    assert_string_equal(s_nth(l, ACCORD__V1__ASSIGNMENT_EVENT__BODY_RULE, 0)->rule->id, first);
    assert_string_equal(s_nth(l, ACCORD__V1__ASSIGNMENT_EVENT__BODY_RULE, 1)->rule->id, id2);
    s_log_free(l);

    /* A request assignment does not take. */
    Accord__V1__ListNotices ln = ACCORD__V1__LIST_NOTICES__INIT;
    Accord__V1__Request other = ACCORD__V1__REQUEST__INIT;
    other.body_case = ACCORD__V1__REQUEST__BODY_LIST_NOTICES;
    other.list_notices = &ln;
    s_expect(s_call(fx, &other), ACCORD__V1__CODE__CODE_INVALID, "body", NULL);
}

static const Accord__V1__Measure *
s_find(const Accord__V1__MeasureList *ml, const char *id)
{
    for (size_t i = 0; i < ml->n_measures; i++)
        if (strcmp(ml->measures[i]->id, id) == 0)
            return ml->measures[i];
    fail_msg("measure %s not listed", id);
    return NULL;
}

static void
test_violating_decision(void **state)
{
    fixture *fx = *state;
    char r_self[37], r_peer[37], r_other[37];
    s_route_ok(fx, "scam", "request-removal", "lead-a", 86400, r_self);
    s_route_ok(fx, "scam", "refer-police", "own-b", 7 * 86400, r_peer);
    s_route_ok(fx, "phishing-malware", "block-account", "own-b", 3600, r_other);
    /* A rule with a jurisdiction never matches in this version. */
    Accord__V1__Response *rj =
        s_add_route_j(fx, "scam", "hanoi", "public-correction", "own-b", 3600);
    assert_int_equal(rj->status->code, ACCORD__V1__CODE__CODE_OK);
    accord__v1__response__free_unpacked(rj, NULL);

    const char *cn = "lead-a/2024/000001";
    s_decide(&fx->verification, cn, ACCORD__V1__VERDICT__VERDICT_VIOLATING, "scam", DECIDED_MS);
    s_log *l = s_read_log(fx, 6); /* 4 rules, 2 measures */
    assert_int_equal(l->n, 6);
    assert_int_equal(s_count(l, ACCORD__V1__ASSIGNMENT_EVENT__BODY_MEASURE), 2);
    char want_self[37], want_peer[37];
    assignment_measure_id(cn, r_self, want_self);
    assignment_measure_id(cn, r_peer, want_peer);
    for (size_t i = 0; i < 2; i++) {
        const Accord__V1__Measure *m =
            s_nth(l, ACCORD__V1__ASSIGNMENT_EVENT__BODY_MEASURE, i)->measure;
        int self = strcmp(m->owner_agency, "lead-a") == 0;
        assert_string_equal(m->id, self ? want_self : want_peer);
        assert_string_equal(m->case_number, cn);
        assert_string_equal(m->lead_agency, "lead-a");
        assert_string_equal(m->owner_agency, self ? "lead-a" : "own-b");
        assert_string_equal(m->action, self ? "request-removal" : "refer-police");
        assert_int_equal(m->deadline_ms, DECIDED_MS + (self ? 86400 : 7 * 86400) * 1000LL);
        assert_int_equal(m->status, ACCORD__V1__MEASURE_STATUS__MEASURE_STATUS_ASSIGNED);
        assert_string_equal(m->category, "scam");
        assert_string_equal(m->legal_basis, "Decree 15/2020 art. 101");
        assert_string_equal(m->reasons, "the site imitates a bank to collect card numbers");
        assert_string_equal(m->url, "https://bank-login.example/");
        assert_int_equal(m->created_ms, DECIDED_MS);
    }
    uint64_t head = l->n;
    s_log_free(l);
    Accord__V1__Response *r = s_wait_measures(fx, cn, 2);
    const Accord__V1__Measure *stored = s_find(r->measures, want_peer);
    assert_string_equal(stored->reasons, "the site imitates a bank to collect card numbers");
    accord__v1__response__free_unpacked(r, NULL);

    /* Restart on the same data directory: the cursor says the decision was applied. Then the
     * same decision again (a re-decision) creates nothing; a decision on another case, after
     * it, shows the repeat was processed. */
    s_svc_stop(fx);
    s_svc_start(fx);
    /* A scam rule added since: the measured case still gets nothing more. */
    char r_late[37];
    s_route_ok(fx, "scam", "public-correction", "own-b", 3600, r_late);
    head++;
    s_decide(&fx->verification, cn, ACCORD__V1__VERDICT__VERDICT_VIOLATING, "scam",
             DECIDED_MS + 1000);
    s_decide(&fx->verification, "lead-a/2024/000002", ACCORD__V1__VERDICT__VERDICT_VIOLATING,
             "phishing-malware", DECIDED_MS + 2000);
    l = s_read_log(fx, head + 1);
    assert_int_equal(l->n, head + 1);
    const Accord__V1__Measure *m = s_nth(l, ACCORD__V1__ASSIGNMENT_EVENT__BODY_MEASURE, 2)->measure;
    assert_int_equal(s_count(l, ACCORD__V1__ASSIGNMENT_EVENT__BODY_MEASURE), 3);
    assert_string_equal(m->case_number, "lead-a/2024/000002");
    assert_string_equal(m->action, "block-account");
    assert_int_equal(m->deadline_ms, DECIDED_MS + 2000 + 3600 * 1000LL);
    s_log_free(l);
    r = s_wait_measures(fx, cn, 2);
    accord__v1__response__free_unpacked(r, NULL);

    /* A restart with nothing new leaves the log as it was. */
    s_svc_stop(fx);
    s_svc_start(fx);
    l = s_read_log(fx, head + 1);
    assert_int_equal(l->n, head + 1);
    s_log_free(l);
}

static void
test_not_violating(void **state)
{
    fixture *fx = *state;
    char rid[37];
    s_route_ok(fx, "scam", "request-removal", "own-b", 86400, rid);
    s_decide(&fx->verification, "lead-a/2024/000001", ACCORD__V1__VERDICT__VERDICT_NOT_VIOLATING,
             "scam", DECIDED_MS);
    s_decide(&fx->verification, "lead-a/2024/000002", ACCORD__V1__VERDICT__VERDICT_INCONCLUSIVE,
             "scam", DECIDED_MS);
    /* Not a decision at all: logged and skipped, the stream moves on. */
    s_produce_raw(&fx->verification, "\xff\xff\xff", 3);
    /* No rule for the category: nothing, and the case is not marked measured. */
    s_decide(&fx->verification, "lead-a/2024/000003", ACCORD__V1__VERDICT__VERDICT_VIOLATING,
             "gambling", DECIDED_MS);
    /* The sentinel: a violating decision on case 4 after all of them. */
    s_decide(&fx->verification, "lead-a/2024/000004", ACCORD__V1__VERDICT__VERDICT_VIOLATING,
             "scam", DECIDED_MS);
    s_log *l = s_read_log(fx, 2);
    assert_int_equal(l->n, 2);
    assert_string_equal(
        s_nth(l, ACCORD__V1__ASSIGNMENT_EVENT__BODY_MEASURE, 0)->measure->case_number,
        "lead-a/2024/000004");
    s_log_free(l);

    /* Case 1 later found violating on review: now it gets its measure. Case 3 too, once
     * a rule for its category exists. */
    char rg[37];
    s_route_ok(fx, "gambling", "block-account", "own-b", 86400, rg);
    s_decide(&fx->verification, "lead-a/2024/000001", ACCORD__V1__VERDICT__VERDICT_VIOLATING,
             "scam", DECIDED_MS + 10);
    s_decide(&fx->verification, "lead-a/2024/000003", ACCORD__V1__VERDICT__VERDICT_VIOLATING,
             "gambling", DECIDED_MS + 10);
    l = s_read_log(fx, 5);
    assert_int_equal(l->n, 5);
    assert_string_equal(
        s_nth(l, ACCORD__V1__ASSIGNMENT_EVENT__BODY_MEASURE, 1)->measure->case_number,
        "lead-a/2024/000001");
    assert_string_equal(
        s_nth(l, ACCORD__V1__ASSIGNMENT_EVENT__BODY_MEASURE, 2)->measure->case_number,
        "lead-a/2024/000003");
    s_log_free(l);
    Accord__V1__Response *r = s_wait_measures(fx, "lead-a/2024/000002", 0);
    accord__v1__response__free_unpacked(r, NULL);
}

static void
test_measure_envelope(void **state)
{
    fixture *fx = *state;
    const char *id1 = "0190f0f0-0000-8000-8000-000000000001";
    Accord__V1__Measure m;

    /* Not ours to carry out: another owner. */
    s_lead_measure(&m, "0190f0f0-0000-8000-8000-000000000002", "lead-a/2024/000001");
    m.owner_agency = "other-c";
    s_envelope(&fx->intake, "lead-a", &m, NULL);
    /* Its lead is not its sender. */
    s_lead_measure(&m, "0190f0f0-0000-8000-8000-000000000003", "lead-a/2024/000001");
    s_envelope(&fx->intake, "other-c", &m, NULL);
    /* No legal basis. */
    s_lead_measure(&m, "0190f0f0-0000-8000-8000-000000000004", "lead-a/2024/000001");
    m.legal_basis = "";
    s_envelope(&fx->intake, "lead-a", &m, NULL);
    /* A report record: not assignment's, skipped. */
    Accord__V1__StoredReport sr = ACCORD__V1__STORED_REPORT__INIT;
    sr.seq = 9;
    sr.case_number = "own-b/2024/000001";
    Accord__V1__IntakeEvent ie = ACCORD__V1__INTAKE_EVENT__INIT;
    ie.body_case = ACCORD__V1__INTAKE_EVENT__BODY_REPORT;
    ie.report = &sr;
    s_produce(&fx->intake, &ie.base);
    /* The good one, twice (the lead sent it again): stored once. */
    s_lead_measure(&m, id1, "lead-a/2024/000001");
    s_envelope(&fx->intake, "lead-a", &m, NULL);
    s_envelope(&fx->intake, "lead-a", &m, NULL);

    s_log *l = s_read_log(fx, 4);
    assert_int_equal(l->n, 4);
    assert_int_equal(s_count(l, ACCORD__V1__ASSIGNMENT_EVENT__BODY_REJECTION), 3);
    const Accord__V1__Rejection *rj =
        s_nth(l, ACCORD__V1__ASSIGNMENT_EVENT__BODY_REJECTION, 0)->rejection;
    assert_string_equal(rj->from_agency, "lead-a");
    assert_string_equal(rj->what, "measure 0190f0f0-0000-8000-8000-000000000002");
    assert_non_null(strstr(rj->reason, "other-c"));
    assert_int_equal(rj->at_ms, DECIDED_MS + 5);
    rj = s_nth(l, ACCORD__V1__ASSIGNMENT_EVENT__BODY_REJECTION, 1)->rejection;
    assert_string_equal(rj->from_agency, "other-c");
    assert_non_null(strstr(rj->reason, "lead"));
    rj = s_nth(l, ACCORD__V1__ASSIGNMENT_EVENT__BODY_REJECTION, 2)->rejection;
    assert_non_null(strstr(rj->reason, "legal basis"));
    const Accord__V1__Measure *em =
        s_nth(l, ACCORD__V1__ASSIGNMENT_EVENT__BODY_MEASURE, 0)->measure;
    assert_string_equal(em->id, id1);
    assert_string_equal(em->lead_agency, "lead-a");
    assert_string_equal(em->reasons, "a fake shop");
    s_log_free(l);

    /* Only the good measure is stored, and it is ours. */
    Accord__V1__Response *r = s_wait_measures(fx, "", 1);
    assert_string_equal(r->measures->measures[0]->id, id1);
    assert_string_equal(r->measures->measures[0]->legal_basis, "Decree 15/2020 art. 101");
    accord__v1__response__free_unpacked(r, NULL);
    r = s_list(fx, 1, "");
    assert_int_equal(r->measures->n_measures, 1);
    accord__v1__response__free_unpacked(r, NULL);
}

/* The lead's side of an update: from the owner it applies, from anyone else it is refused. */
static void
test_measure_update_envelope(void **state)
{
    fixture *fx = *state;
    char rid[37], mid[37];
    const char *cn = "lead-a/2024/000001";
    s_route_ok(fx, "scam", "request-removal", "own-b", 86400, rid);
    s_decide(&fx->verification, cn, ACCORD__V1__VERDICT__VERDICT_VIOLATING, "scam", DECIDED_MS);
    assignment_measure_id(cn, rid, mid);
    Accord__V1__Response *r = s_wait_measures(fx, cn, 1);
    accord__v1__response__free_unpacked(r, NULL);

    Accord__V1__MeasureUpdate u = ACCORD__V1__MEASURE_UPDATE__INIT;
    u.measure_id = mid;
    u.case_number = (char *)cn;
    u.lead_agency = "lead-a";
    u.owner_agency = "own-b";
    u.status = ACCORD__V1__MEASURE_STATUS__MEASURE_STATUS_DONE;
    u.result = "the platform removed the page";
    u.updated_by = "officer-b";
    u.updated_ms = DECIDED_MS + 3600000;
    /* From an agency that does not own it: refused, nothing changes. */
    s_envelope(&fx->intake, "other-c", NULL, &u);
    /* For a measure that is not here: refused. */
    Accord__V1__MeasureUpdate u2 = u;
    u2.measure_id = "0190f0f0-0000-8000-8000-0000000000ff";
    s_envelope(&fx->intake, "own-b", NULL, &u2);
    s_log *l = s_read_log(fx, 4);
    assert_int_equal(l->n, 4); /* rule, measure, 2 rejections */
    const Accord__V1__Rejection *rj =
        s_nth(l, ACCORD__V1__ASSIGNMENT_EVENT__BODY_REJECTION, 0)->rejection;
    assert_string_equal(rj->from_agency, "other-c");
    assert_non_null(strstr(rj->reason, "only the owner agency 'own-b'"));
    rj = s_nth(l, ACCORD__V1__ASSIGNMENT_EVENT__BODY_REJECTION, 1)->rejection;
    assert_string_equal(rj->from_agency, "own-b");
    assert_non_null(strstr(rj->what, "0190f0f0-0000-8000-8000-0000000000ff"));
    s_log_free(l);
    r = s_list(fx, 0, cn);
    assert_int_equal(r->measures->measures[0]->status,
                     ACCORD__V1__MEASURE_STATUS__MEASURE_STATUS_ASSIGNED);
    assert_string_equal(r->measures->measures[0]->result, "");
    accord__v1__response__free_unpacked(r, NULL);

    /* From the owner: applied. */
    s_envelope(&fx->intake, "own-b", NULL, &u);
    l = s_read_log(fx, 5);
    assert_int_equal(l->n, 5);
    const Accord__V1__MeasureUpdate *eu =
        s_nth(l, ACCORD__V1__ASSIGNMENT_EVENT__BODY_MEASURE_UPDATE, 0)->measure_update;
    assert_string_equal(eu->measure_id, mid);
    assert_string_equal(eu->case_number, cn);
    assert_string_equal(eu->owner_agency, "own-b");
    assert_int_equal(eu->status, ACCORD__V1__MEASURE_STATUS__MEASURE_STATUS_DONE);
    assert_string_equal(eu->result, "the platform removed the page");
    s_log_free(l);
    r = s_list(fx, 0, cn);
    const Accord__V1__Measure *m = r->measures->measures[0];
    assert_int_equal(m->status, ACCORD__V1__MEASURE_STATUS__MEASURE_STATUS_DONE);
    assert_string_equal(m->result, "the platform removed the page");
    assert_string_equal(m->updated_by, "officer-b");
    assert_int_equal(m->updated_ms, DECIDED_MS + 3600000);
    assert_string_equal(m->legal_basis, "Decree 15/2020 art. 101"); /* kept */
    accord__v1__response__free_unpacked(r, NULL);

    /* On the lead, the operator cannot update a measure another agency owns. */
    s_expect(s_update(fx, mid, ACCORD__V1__MEASURE_STATUS__MEASURE_STATUS_ACCEPTED, "", "me"),
             ACCORD__V1__CODE__CODE_DENIED, "measure_id", "only the owner agency 'own-b'");
}

/* The owner's side: the operator accepts, then reports it done. */
static void
test_update_measure(void **state)
{
    fixture *fx = *state;
    const char *id = "0190f0f0-0000-8000-8000-000000000001";
    Accord__V1__Measure m;
    s_lead_measure(&m, id, "lead-a/2024/000001");
    s_envelope(&fx->intake, "lead-a", &m, NULL);
    Accord__V1__Response *r = s_wait_measures(fx, "", 1);
    accord__v1__response__free_unpacked(r, NULL);

    s_expect(s_update(fx, "0190f0f0-0000-8000-8000-0000000000ff",
                      ACCORD__V1__MEASURE_STATUS__MEASURE_STATUS_ACCEPTED, "", "me"),
             ACCORD__V1__CODE__CODE_NOT_FOUND, "measure_id", NULL);
    s_expect(s_update(fx, "", ACCORD__V1__MEASURE_STATUS__MEASURE_STATUS_ACCEPTED, "", "me"),
             ACCORD__V1__CODE__CODE_INVALID, "measure_id", NULL);
    s_expect(s_update(fx, id, ACCORD__V1__MEASURE_STATUS__MEASURE_STATUS_ASSIGNED, "", "me"),
             ACCORD__V1__CODE__CODE_INVALID, "status", NULL);
    s_expect(s_update(fx, id, ACCORD__V1__MEASURE_STATUS__MEASURE_STATUS_UNSPECIFIED, "", "me"),
             ACCORD__V1__CODE__CODE_INVALID, "status", NULL);
    s_expect(s_update(fx, id, ACCORD__V1__MEASURE_STATUS__MEASURE_STATUS_DONE, "", "me"),
             ACCORD__V1__CODE__CODE_INVALID, "result", NULL);
    s_expect(s_update(fx, id, ACCORD__V1__MEASURE_STATUS__MEASURE_STATUS_FAILED, "", "me"),
             ACCORD__V1__CODE__CODE_INVALID, "result", NULL);
    s_expect(s_update(fx, id, ACCORD__V1__MEASURE_STATUS__MEASURE_STATUS_ACCEPTED, "", ""),
             ACCORD__V1__CODE__CODE_INVALID, "updated_by", NULL);

    int64_t before = acc_ids_now_ms();
    r = s_update(fx, id, ACCORD__V1__MEASURE_STATUS__MEASURE_STATUS_ACCEPTED, "", "officer-b");
    assert_int_equal(r->status->code, ACCORD__V1__CODE__CODE_OK);
    assert_int_equal(r->body_case, ACCORD__V1__RESPONSE__BODY_MEASURE);
    assert_int_equal(r->measure->status, ACCORD__V1__MEASURE_STATUS__MEASURE_STATUS_ACCEPTED);
    assert_string_equal(r->measure->updated_by, "officer-b");
    assert_true(r->measure->updated_ms >= before);
    assert_string_equal(r->measure->reasons, "a fake shop");
    accord__v1__response__free_unpacked(r, NULL);
    r = s_update(fx, id, ACCORD__V1__MEASURE_STATUS__MEASURE_STATUS_DONE, "account blocked",
                 "officer-b");
    assert_int_equal(r->status->code, ACCORD__V1__CODE__CODE_OK);
    assert_int_equal(r->measure->status, ACCORD__V1__MEASURE_STATUS__MEASURE_STATUS_DONE);
    assert_string_equal(r->measure->result, "account blocked");
    accord__v1__response__free_unpacked(r, NULL);

    r = s_list(fx, 1, "");
    assert_int_equal(r->measures->n_measures, 1);
    assert_int_equal(r->measures->measures[0]->status,
                     ACCORD__V1__MEASURE_STATUS__MEASURE_STATUS_DONE);
    assert_string_equal(r->measures->measures[0]->result, "account blocked");
    accord__v1__response__free_unpacked(r, NULL);

    /* measure, 2 updates (for notification to carry to the lead); no event for refusals */
    s_log *l = s_read_log(fx, 3);
    assert_int_equal(l->n, 3);
    const Accord__V1__MeasureUpdate *u =
        s_nth(l, ACCORD__V1__ASSIGNMENT_EVENT__BODY_MEASURE_UPDATE, 1)->measure_update;
    assert_string_equal(u->measure_id, id);
    assert_string_equal(u->lead_agency, "lead-a");
    assert_string_equal(u->owner_agency, "own-b");
    assert_string_equal(u->case_number, "lead-a/2024/000001");
    assert_int_equal(u->status, ACCORD__V1__MEASURE_STATUS__MEASURE_STATUS_DONE);
    assert_string_equal(u->result, "account blocked");
    assert_string_equal(u->updated_by, "officer-b");
    s_log_free(l);

    /* An update envelope for a measure we own but do not lead: refused. */
    Accord__V1__MeasureUpdate mu = ACCORD__V1__MEASURE_UPDATE__INIT;
    mu.measure_id = (char *)id;
    mu.status = ACCORD__V1__MEASURE_STATUS__MEASURE_STATUS_FAILED;
    mu.result = "x";
    mu.updated_by = "y";
    s_envelope(&fx->intake, "lead-a", NULL, &mu);
    l = s_read_log(fx, 4);
    assert_int_equal(l->n, 4);
    assert_non_null(
        strstr(s_nth(l, ACCORD__V1__ASSIGNMENT_EVENT__BODY_REJECTION, 0)->rejection->reason,
               "not the lead"));
    s_log_free(l);
}

static void
test_list_measures(void **state)
{
    fixture *fx = *state;
    char r1[37], r2[37];
    s_route_ok(fx, "scam", "request-removal", "lead-a", 86400, r1);
    s_route_ok(fx, "scam", "refer-police", "own-b", 86400, r2);
    s_decide(&fx->verification, "lead-a/2024/000002", ACCORD__V1__VERDICT__VERDICT_VIOLATING,
             "scam", DECIDED_MS + 50);
    s_decide(&fx->verification, "lead-a/2024/000001", ACCORD__V1__VERDICT__VERDICT_VIOLATING,
             "scam", DECIDED_MS);
    Accord__V1__Response *r = s_wait_measures(fx, "", 4);
    const Accord__V1__MeasureList *ml = r->measures;
    /* Oldest first, then by id. */
    for (size_t i = 1; i < ml->n_measures; i++) {
        const Accord__V1__Measure *a = ml->measures[i - 1], *b = ml->measures[i];
        assert_true(a->created_ms < b->created_ms ||
                    (a->created_ms == b->created_ms && strcmp(a->id, b->id) < 0));
    }
    assert_string_equal(ml->measures[0]->case_number, "lead-a/2024/000001");
    assert_string_equal(ml->measures[3]->case_number, "lead-a/2024/000002");
    accord__v1__response__free_unpacked(r, NULL);

    r = s_list(fx, 1, "");
    assert_int_equal(r->measures->n_measures, 2);
    for (size_t i = 0; i < 2; i++)
        assert_string_equal(r->measures->measures[i]->owner_agency, "lead-a");
    accord__v1__response__free_unpacked(r, NULL);
    r = s_list(fx, 1, "lead-a/2024/000002");
    assert_int_equal(r->measures->n_measures, 1);
    assert_string_equal(r->measures->measures[0]->action, "request-removal");
    accord__v1__response__free_unpacked(r, NULL);
    r = s_list(fx, 0, "lead-a/2024/000009");
    assert_int_equal(r->measures->n_measures, 0);
    accord__v1__response__free_unpacked(r, NULL);
}

/* With a small message cap the list is shortened, says so, and still fits. */
static void
test_list_capped(void **state)
{
    fixture *fx = *state;
    char r1[37];
    s_route_ok(fx, "scam", "request-removal", "own-b", 86400, r1);
    for (int i = 1; i <= 12; i++) {
        char cn[64];
        snprintf(cn, sizeof cn, "lead-a/2024/%06d", i);
        s_decide(&fx->verification, cn, ACCORD__V1__VERDICT__VERDICT_VIOLATING, "scam",
                 DECIDED_MS + i);
    }
    s_log *l = s_read_log(fx, 13);
    s_log_free(l);
    Accord__V1__Response *r = s_list(fx, 0, "");
    assert_true(r->measures->n_measures >= 1);
    assert_true(r->measures->n_measures < 12);
    assert_non_null(strstr(r->status->message, "of 12 measures"));
    assert_true(accord__v1__response__get_packed_size(r) <= 2048);
    assert_string_equal(r->measures->measures[0]->case_number, "lead-a/2024/000001");
    accord__v1__response__free_unpacked(r, NULL);
}

int
main(void)
{
    acc_log_set_level(ACC_LOG_ERROR);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_measure_id),
        cmocka_unit_test_setup_teardown(test_add_route_validation, setup_lead, teardown),
        cmocka_unit_test_setup_teardown(test_violating_decision, setup_lead, teardown),
        cmocka_unit_test_setup_teardown(test_not_violating, setup_lead, teardown),
        cmocka_unit_test_setup_teardown(test_measure_envelope, setup_owner, teardown),
        cmocka_unit_test_setup_teardown(test_measure_update_envelope, setup_lead, teardown),
        cmocka_unit_test_setup_teardown(test_update_measure, setup_owner, teardown),
        cmocka_unit_test_setup_teardown(test_list_measures, setup_lead, teardown),
        cmocka_unit_test_setup_teardown(test_list_capped, setup_small, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
