/*
 * Unit tests for the notification service, run with real parts: acc_service_run in a
 * thread (ACC_SERVICE_INPROC) over a temporary data dir; fake "intake" and "assignment"
 * producers (acc_stream_server on temporary stores, at the producers' inproc stream
 * endpoints); fake peer nodes = ROUTER sockets that are CURVE servers on tcp://127.0.0.1
 * (the config accepts only tcp:// peers with public keys, so the link runs with the node's
 * real key pair and a ZAP handler admitting it), answering each Deliver with one
 * DeliveryAck per envelope, deduplicating by sequence as an intake would. Notices are read
 * through the control socket (ListNotices over ipc), the spool through the file system,
 * and the service's own log from its store once it has stopped.
 *
 * The test thread drives the producers and the fake peers with an acc_loop it runs in
 * short bursts (s_pump_until): sockets never cross threads.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <inttypes.h>
#include <jansson.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zmq.h>

#include "acc_client.h"
#include "acc_codec.h"
#include "acc_config.h"
#include "acc_curve.h"
#include "acc_ids.h"
#include "acc_link.h"
#include "acc_log.h"
#include "acc_loop.h"
#include "acc_service.h"
#include "acc_store.h"
#include "acc_stream.h"
#include "acc_test.h"
#include "accord/v1/control.pb-c.h"
#include "accord/v1/intake.pb-c.h"
#include "accord/v1/notification.pb-c.h"
#include "notification/notification.h"

#define US "so-tt"
#define LEAD "ubnd"
#define OWNER "cong-an"
#define WAIT_MS 5000
#define MAX_GOT 64

enum { P_INTAKE = 0, P_ASSIGNMENT = 1 };
enum { PEER_LEAD = 0, PEER_OWNER = 1 };

/* --- the fake peer --------------------------------------------------------------------- */

typedef struct {
    const char *agency;
    void *router; /* NULL while the peer is "offline" */
    int port;
    char pub[ACC_CURVE_KEY_LEN + 1], sec[ACC_CURVE_KEY_LEN + 1];
    uint64_t last;                      /* last sequence committed, as an intake keeps it */
    uint64_t reject_seq;                /* refuse this sequence for good (REJECTED) */
    Accord__V1__Envelope *got[MAX_GOT]; /* applied envelopes, in order */
    size_t n_got, n_deliver, n_dup, n_bad_user;
} fake_peer;

static acc_err
s_peer_on_readable(acc_loop_t *loop, void *arg)
{
    (void)loop;
    fake_peer *f = arg;
    for (;;) {
        zmq_msg_t rid, body;
        zmq_msg_init(&rid);
        if (zmq_msg_recv(&rid, f->router, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&rid);
            return ACC_OK;
        }
        assert_true(zmq_msg_more(&rid));
        zmq_msg_init(&body);
        assert_true(zmq_msg_recv(&body, f->router, 0) >= 0);
        char who[ACC_AGENCY_MAX + 1];
        if (acc_curve_msg_agency(&body, who, sizeof who) != ACC_OK || strcmp(who, US) != 0)
            f->n_bad_user++;
        ProtobufCMessage *m = NULL;
        acc_errinfo_t ei;
        assert_int_equal(acc_codec_unpack(&accord__v1__request__descriptor, zmq_msg_data(&body),
                                          zmq_msg_size(&body), ACC_LINK_MSG_MAX, &m, &ei),
                         ACC_OK);
        Accord__V1__Request *req = (Accord__V1__Request *)m;
        assert_int_equal(req->body_case, ACCORD__V1__REQUEST__BODY_DELIVER);
        f->n_deliver++;
        Accord__V1__Deliver *d = req->deliver;
        size_t total = d->n_envelopes;
        Accord__V1__DeliveryAck acks[ACC_LINK_WINDOW_MAX], *ackp[ACC_LINK_WINDOW_MAX];
        for (size_t i = 0; i < d->n_envelopes; i++) {
            Accord__V1__Envelope *e = d->envelopes[i];
            accord__v1__delivery_ack__init(&acks[i]);
            ackp[i] = &acks[i];
            acks[i].sequence = e->sequence;
            if (e->sequence <= f->last) {
                acks[i].status = ACCORD__V1__DELIVERY_STATUS__DELIVERY_STATUS_DUPLICATE;
                f->n_dup++;
            } else if (e->sequence == f->last + 1 && e->sequence == f->reject_seq) {
                /* refused for good, but marked, or the next one would look like a gap */
                acks[i].status = ACCORD__V1__DELIVERY_STATUS__DELIVERY_STATUS_REJECTED;
                acks[i].reason = "unknown case";
                f->last = e->sequence;
            } else if (e->sequence == f->last + 1 && f->n_got < MAX_GOT) {
                acks[i].status = ACCORD__V1__DELIVERY_STATUS__DELIVERY_STATUS_OK;
                f->last = e->sequence;
                f->got[f->n_got++] = e;
                d->envelopes[i] = NULL; /* kept: taken out of the request */
            } else {
                acks[i].status = ACCORD__V1__DELIVERY_STATUS__DELIVERY_STATUS_RETRY;
                acks[i].reason = "gap";
            }
        }
        /* The request is freed below: drop the envelopes kept from its array. */
        size_t kept = 0;
        for (size_t i = 0; i < d->n_envelopes; i++)
            if (d->envelopes[i])
                d->envelopes[kept++] = d->envelopes[i];
        d->n_envelopes = kept;
        Accord__V1__DeliverResult dr = ACCORD__V1__DELIVER_RESULT__INIT;
        dr.n_acks = total;
        dr.acks = ackp;
        Accord__V1__Response r = ACCORD__V1__RESPONSE__INIT;
        r.request_id = req->request_id;
        r.body_case = ACCORD__V1__RESPONSE__BODY_DELIVERED;
        r.delivered = &dr;
        uint8_t *buf = NULL;
        size_t len = 0;
        assert_int_equal(acc_codec_pack((const ProtobufCMessage *)&r, ACC_LINK_MSG_MAX, &buf, &len),
                         ACC_OK);
        zmq_msg_send(&rid, f->router, ZMQ_SNDMORE);
        zmq_send(f->router, buf, len, 0);
        free(buf);
        zmq_msg_close(&rid);
        zmq_msg_close(&body);
        protobuf_c_message_free_unpacked(m, NULL);
    }
}

/* Bind @f (as a CURVE server) on its port, or on a new one when port is 0. A port just
 * closed may stay busy for a moment: retry. */
static void
s_peer_up(void *zctx, fake_peer *f)
{
    assert_null(f->router);
    f->router = zmq_socket(zctx, ZMQ_ROUTER);
    assert_non_null(f->router);
    int linger = 0;
    zmq_setsockopt(f->router, ZMQ_LINGER, &linger, sizeof linger);
    assert_int_equal(acc_curve_server(f->router, f->sec), ACC_OK);
    char ep[64];
    if (f->port == 0) {
        assert_int_equal(zmq_bind(f->router, "tcp://127.0.0.1:*"), 0);
        size_t len = sizeof ep;
        assert_int_equal(zmq_getsockopt(f->router, ZMQ_LAST_ENDPOINT, ep, &len), 0);
        f->port = atoi(strrchr(ep, ':') + 1);
        return;
    }
    snprintf(ep, sizeof ep, "tcp://127.0.0.1:%d", f->port);
    for (int i = 0; i < 200 && zmq_bind(f->router, ep) != 0; i++)
        usleep(10000);
    size_t len = sizeof ep;
    assert_int_equal(zmq_getsockopt(f->router, ZMQ_LAST_ENDPOINT, ep, &len), 0);
    assert_true(strlen(ep) > 0);
}

static void
s_peer_down(fake_peer *f)
{
    if (f->router)
        zmq_close(f->router);
    f->router = NULL;
}

/* --- the environment ----------------------------------------------------------------- */

typedef struct {
    char *dir;
    char data_dir[512], spool_dir[512], cfg_path[512];
    acc_config_t *cfg;
    void *zctx;
    acc_zap_t *zap;
    char pub[ACC_CURVE_KEY_LEN + 1], sec[ACC_CURVE_KEY_LEN + 1];
    /* producers */
    acc_store_t *pstore[2];
    acc_table plog[2];
    acc_stream_server_t *psrv[2];
    uint64_t phead[2];
    fake_peer peers[2];
    /* the service */
    pthread_t th;
    bool running;
    volatile sig_atomic_t stop;
    acc_err run_err;
    acc_errinfo_t run_ei;
    acc_client_t *client;
} env_t;

static void
s_write_file(const char *path, const char *text, mode_t mode)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    assert_int_equal(fputs(text, f) >= 0, 1);
    assert_int_equal(fclose(f), 0);
    assert_int_equal(chmod(path, mode), 0);
}

static void *
s_service_main(void *arg)
{
    env_t *e = arg;
    e->run_err = acc_service_run(&notification_service, e->cfg, e->zctx, ACC_SERVICE_INPROC,
                                 &e->stop, &e->run_ei);
    return NULL;
}

static void
s_service_start(env_t *e)
{
    char sock[600];
    snprintf(sock, sizeof sock, "%s/notification.sock", e->data_dir);
    unlink(sock);
    e->stop = 0;
    e->run_err = ACC_OK;
    acc_errinfo_clear(&e->run_ei);
    assert_int_equal(pthread_create(&e->th, NULL, s_service_main, e), 0);
    e->running = true;
    for (int i = 0; i < 500 && access(sock, F_OK) != 0; i++)
        usleep(10000);
    if (access(sock, F_OK) != 0)
        fail_msg("the service did not start: %s", e->run_ei.msg);
    char ep[620];
    snprintf(ep, sizeof ep, "ipc://%s", sock);
    assert_int_equal(acc_client_new(ep, 64u << 20, &e->client, NULL), ACC_OK);
}

static void
s_service_stop(env_t *e)
{
    if (!e->running)
        return;
    acc_client_destroy(&e->client);
    e->stop = 1;
    pthread_join(e->th, NULL);
    e->running = false;
    if (e->run_err != ACC_OK)
        fail_msg("the service failed: %s: %s", acc_strerror(e->run_err), e->run_ei.msg);
}

/* A node US with peers LEAD (role lead, when @with_lead) and OWNER (coordinating), whose
 * fake peers are up when @peers_up (else they have a port and are down). */
static env_t *
s_env_new(bool with_lead, bool peers_up)
{
    env_t *e = calloc(1, sizeof *e);
    assert_non_null(e);
    e->dir = acc_test_tmpdir();
    e->zctx = zmq_ctx_new();
    snprintf(e->data_dir, sizeof e->data_dir, "%s/data", e->dir);
    snprintf(e->spool_dir, sizeof e->spool_dir, "%s/out/spool", e->dir);
    assert_int_equal(mkdir(e->data_dir, 0700), 0);
    char keys[600], path[700];
    snprintf(keys, sizeof keys, "%s/keys", e->dir);
    assert_int_equal(mkdir(keys, 0700), 0);
    assert_int_equal(zmq_curve_keypair(e->pub, e->sec), 0);
    snprintf(path, sizeof path, "%s/node.pub", keys);
    char line[64];
    snprintf(line, sizeof line, "%s\n", e->pub);
    s_write_file(path, line, 0644);
    snprintf(path, sizeof path, "%s/node.key", keys);
    snprintf(line, sizeof line, "%s\n", e->sec);
    s_write_file(path, line, 0600);

    acc_zap_peer_t zp;
    snprintf(zp.public_key, sizeof zp.public_key, "%s", e->pub);
    snprintf(zp.agency, sizeof zp.agency, "%s", US);
    assert_int_equal(acc_zap_new(e->zctx, &zp, 1, &e->zap, NULL), ACC_OK);

    e->peers[PEER_LEAD].agency = LEAD;
    e->peers[PEER_OWNER].agency = OWNER;
    for (int i = 0; i < 2; i++) {
        assert_int_equal(zmq_curve_keypair(e->peers[i].pub, e->peers[i].sec), 0);
        s_peer_up(e->zctx, &e->peers[i]);
        if (!peers_up)
            s_peer_down(&e->peers[i]);
    }

    char text[4096];
    int n = snprintf(text, sizeof text,
                     "agency = \"%s\";\nname = \"Sở Thông tin và Truyền thông\";\n"
                     "data_dir = \"%s\";\nkeys_dir = \"%s\";\n"
                     "notification = { spool_dir = \"%s\"; retry_min_ms = 20; "
                     "retry_max_ms = 200; };\npeers = (\n",
                     US, e->data_dir, keys, e->spool_dir);
    if (with_lead)
        n += snprintf(text + n, sizeof text - (size_t)n,
                      "  { agency = \"%s\"; role = \"lead\"; endpoint = \"tcp://127.0.0.1:%d\"; "
                      "public_key = \"%s\"; },\n",
                      LEAD, e->peers[PEER_LEAD].port, e->peers[PEER_LEAD].pub);
    snprintf(text + n, sizeof text - (size_t)n,
             "  { agency = \"%s\"; role = \"coordinating\"; endpoint = \"tcp://127.0.0.1:%d\"; "
             "public_key = \"%s\"; }\n);\n",
             OWNER, e->peers[PEER_OWNER].port, e->peers[PEER_OWNER].pub);
    snprintf(e->cfg_path, sizeof e->cfg_path, "%s/node.cfg", e->dir);
    s_write_file(e->cfg_path, text, 0600);
    acc_errinfo_t ei;
    acc_errinfo_clear(&ei);
    if (acc_config_load(e->cfg_path, &e->cfg, &ei) != ACC_OK)
        fail_msg("config: %s: %s", ei.field, ei.msg);

    static const char *const tables[] = {"log", NULL};
    const char *names[2] = {"intake", "assignment"};
    for (int i = 0; i < 2; i++) {
        snprintf(path, sizeof path, "%s/producer-%s", e->dir, names[i]);
        acc_store_opts_t o = {.tables = tables};
        assert_int_equal(acc_store_open(path, &o, &e->pstore[i], NULL), ACC_OK);
        assert_int_equal(acc_store_table(e->pstore[i], "log", &e->plog[i]), ACC_OK);
        char ep[128];
        acc_service_stream_endpoint(names[i], ep, sizeof ep);
        const char *eps[] = {ep, NULL};
        assert_int_equal(acc_stream_server_new(e->zctx, e->pstore[i], e->plog[i], names[i], eps,
                                               NULL, 0, &e->psrv[i], NULL),
                         ACC_OK);
    }
    return e;
}

static void
s_env_destroy(env_t *e)
{
    s_service_stop(e);
    for (int i = 0; i < 2; i++) {
        acc_stream_server_destroy(&e->psrv[i]);
        acc_store_destroy(&e->pstore[i]);
        s_peer_down(&e->peers[i]);
        for (size_t j = 0; j < e->peers[i].n_got; j++)
            accord__v1__envelope__free_unpacked(e->peers[i].got[j], NULL);
    }
    acc_zap_destroy(&e->zap);
    zmq_ctx_term(e->zctx);
    acc_config_destroy(&e->cfg);
    acc_test_rmtree(e->dir);
    free(e);
}

/* --- driving the producers and peers ---------------------------------------------------- */

typedef struct {
    env_t *e;
    bool (*cond)(env_t *e, const void *arg);
    const void *arg;
    int64_t deadline;
    volatile sig_atomic_t stop;
} s_pump;

static acc_err
s_pump_tick(acc_loop_t *loop, void *arg)
{
    (void)loop;
    s_pump *p = arg;
    if ((p->cond && p->cond(p->e, p->arg)) || acc_loop_now_ms() >= p->deadline)
        p->stop = 1;
    return ACC_OK;
}

/* Serve the producers and the peers that are up until @cond holds (true) or @ms pass. */
static bool
s_pump_until(env_t *e, bool (*cond)(env_t *e, const void *arg), const void *arg, int ms)
{
    s_pump p = {.e = e, .cond = cond, .arg = arg, .deadline = acc_loop_now_ms() + ms};
    acc_loop_t *loop = NULL;
    assert_int_equal(acc_loop_new(&loop), ACC_OK);
    for (int i = 0; i < 2; i++) {
        assert_int_equal(acc_stream_server_attach(e->psrv[i], loop), ACC_OK);
        if (e->peers[i].router)
            assert_int_equal(
                acc_loop_add_socket(loop, e->peers[i].router, s_peer_on_readable, &e->peers[i]),
                ACC_OK);
    }
    assert_int_equal(acc_loop_add_timer(loop, 5, s_pump_tick, &p), ACC_OK);
    assert_int_equal(acc_loop_run(loop, &p.stop), ACC_OK);
    acc_loop_destroy(&loop);
    return cond ? cond(e, arg) : true;
}

typedef struct {
    acc_table t;
    uint64_t prev;
    const uint8_t *buf;
    size_t len;
} s_append_job;

static acc_err
s_append_fn(acc_txn_t *txn, void *arg)
{
    s_append_job *j = arg;
    return acc_stream_append(txn, j->t, j->prev, j->buf, j->len);
}

/* Append @ev to producer @which's log and tell its waiting consumers. */
static void
s_append(env_t *e, int which, const ProtobufCMessage *ev)
{
    uint8_t *buf = NULL;
    size_t len = 0;
    assert_int_equal(acc_codec_pack(ev, ACC_STREAM_RECORD_MAX, &buf, &len), ACC_OK);
    s_append_job j = {e->plog[which], e->phead[which], buf, len};
    assert_int_equal(acc_store_write(e->pstore[which], s_append_fn, &j), ACC_OK);
    free(buf);
    e->phead[which]++;
    acc_stream_server_notify(e->psrv[which], e->phead[which]);
}

static void
s_report_init(Accord__V1__Report *r, const char *id, const char *url)
{
    accord__v1__report__init(r);
    r->id = (char *)id;
    r->url = (char *)url;
    r->text = "Trang giả mạo ngân hàng";
    r->category = "phishing-malware";
    r->description = "asks for card numbers";
    r->source = "citizen";
    r->observed_at_ms = 1714550400000;
    r->confidence = 70;
    r->trust = "medium";
}

static void
s_add_report(env_t *e, const char *id, const char *url, const char *via, const char *case_no)
{
    Accord__V1__Report r;
    s_report_init(&r, id, url);
    Accord__V1__StoredReport sr = ACCORD__V1__STORED_REPORT__INIT;
    sr.seq = e->phead[P_INTAKE] + 1;
    sr.report = &r;
    sr.case_number = (char *)case_no;
    sr.opened_case = true;
    sr.content_key = (char *)url;
    sr.received_at_ms = 1714550460000 + (int64_t)sr.seq;
    sr.has_contact = true; /* the contact itself stays in intake: nothing of it may travel */
    sr.via_agency = (char *)via;
    Accord__V1__IntakeEvent ev = ACCORD__V1__INTAKE_EVENT__INIT;
    ev.body_case = ACCORD__V1__INTAKE_EVENT__BODY_REPORT;
    ev.report = &sr;
    s_append(e, P_INTAKE, (const ProtobufCMessage *)&ev);
}

static void
s_measure_init(Accord__V1__Measure *m, const char *id, const char *lead, const char *owner,
               const char *action)
{
    accord__v1__measure__init(m);
    m->id = (char *)id;
    m->case_number = "ubnd/2024/000042";
    m->lead_agency = (char *)lead;
    m->owner_agency = (char *)owner;
    m->action = (char *)action;
    m->deadline_ms = 1714636800000; /* 2024-05-02T08:00:00Z */
    m->status = ACCORD__V1__MEASURE_STATUS__MEASURE_STATUS_ASSIGNED;
    m->category = "phishing-malware";
    m->legal_basis = "Nghị định 15/2020/NĐ-CP, Điều 101";
    m->reasons = "Trang mạo danh ngân hàng để lấy thông tin thẻ";
    m->url = "https://fake-bank.example/login";
    m->created_ms = 1714550400123; /* 2024-05-01T08:00:00.123Z */
}

static void
s_add_measure(env_t *e, const char *id, const char *lead, const char *owner, const char *action)
{
    Accord__V1__Measure m;
    s_measure_init(&m, id, lead, owner, action);
    Accord__V1__AssignmentEvent ev = ACCORD__V1__ASSIGNMENT_EVENT__INIT;
    ev.body_case = ACCORD__V1__ASSIGNMENT_EVENT__BODY_MEASURE;
    ev.measure = &m;
    s_append(e, P_ASSIGNMENT, (const ProtobufCMessage *)&ev);
}

static void
s_update_init(Accord__V1__MeasureUpdate *u, const char *id, const char *lead, const char *owner)
{
    accord__v1__measure_update__init(u);
    u->measure_id = (char *)id;
    u->case_number = "ubnd/2024/000042";
    u->lead_agency = (char *)lead;
    u->owner_agency = (char *)owner;
    u->status = ACCORD__V1__MEASURE_STATUS__MEASURE_STATUS_DONE;
    u->result = "removed by the platform";
    u->updated_by = "officer-1";
    u->updated_ms = 1714560000000;
}

static void
s_add_update(env_t *e, const char *id, const char *lead, const char *owner)
{
    Accord__V1__MeasureUpdate u;
    s_update_init(&u, id, lead, owner);
    Accord__V1__AssignmentEvent ev = ACCORD__V1__ASSIGNMENT_EVENT__INIT;
    ev.body_case = ACCORD__V1__ASSIGNMENT_EVENT__BODY_MEASURE_UPDATE;
    ev.measure_update = &u;
    s_append(e, P_ASSIGNMENT, (const ProtobufCMessage *)&ev);
}

/* --- reading the service ------------------------------------------------------------- */

static Accord__V1__Response *
s_call(env_t *e, Accord__V1__Request *req)
{
    Accord__V1__Response *r = NULL;
    acc_errinfo_t ei;
    acc_errinfo_clear(&ei);
    req->request_id = acc_client_next_id(e->client);
    if (acc_client_call(e->client, req, 5000, &r, &ei) != ACC_OK)
        fail_msg("control call failed: %s", ei.msg);
    return r;
}

static Accord__V1__Response *
s_list(env_t *e)
{
    Accord__V1__ListNotices ln = ACCORD__V1__LIST_NOTICES__INIT;
    Accord__V1__Request req = ACCORD__V1__REQUEST__INIT;
    req.body_case = ACCORD__V1__REQUEST__BODY_LIST_NOTICES;
    req.list_notices = &ln;
    Accord__V1__Response *r = s_call(e, &req);
    assert_non_null(r->status);
    assert_int_equal(r->status->code, ACCORD__V1__CODE__CODE_OK);
    assert_int_equal(r->body_case, ACCORD__V1__RESPONSE__BODY_NOTICES);
    return r;
}

/* The number of notices ListNotices shows (pumping a little first). */
static bool
s_has_notices(env_t *e, const void *arg)
{
    size_t want = *(const size_t *)arg;
    Accord__V1__Response *r = s_list(e);
    bool ok = r->notices->n_notices >= want;
    accord__v1__response__free_unpacked(r, NULL);
    return ok;
}

/* Pump until ListNotices shows at least @n notices. */
static void
s_wait_notices(env_t *e, size_t n)
{
    int64_t deadline = acc_loop_now_ms() + WAIT_MS;
    while (!s_has_notices(e, &n) && acc_loop_now_ms() < deadline)
        s_pump_until(e, NULL, NULL, 20);
    assert_true(s_has_notices(e, &n));
}

static bool
s_all_delivered(env_t *e, const void *arg)
{
    (void)arg;
    Accord__V1__Response *r = s_list(e);
    bool ok = r->notices->n_notices > 0;
    for (size_t i = 0; i < r->notices->n_notices; i++)
        if (r->notices->notices[i]->status != ACCORD__V1__NOTICE_STATUS__NOTICE_STATUS_DELIVERED &&
            r->notices->notices[i]->status != ACCORD__V1__NOTICE_STATUS__NOTICE_STATUS_PARKED)
            ok = false;
    accord__v1__response__free_unpacked(r, NULL);
    return ok;
}

static void
s_wait_settled(env_t *e)
{
    int64_t deadline = acc_loop_now_ms() + WAIT_MS;
    while (!s_all_delivered(e, NULL) && acc_loop_now_ms() < deadline)
        s_pump_until(e, NULL, NULL, 20);
    assert_true(s_all_delivered(e, NULL));
}

static bool
s_peer_got(env_t *e, const void *arg)
{
    const size_t *want = arg; /* {peer, count} */
    return e->peers[want[0]].n_got >= want[1];
}

static const Accord__V1__Notice *
s_find_notice(const Accord__V1__Response *r, const char *kind, const char *measure_id)
{
    for (size_t i = 0; i < r->notices->n_notices; i++) {
        const Accord__V1__Notice *n = r->notices->notices[i];
        if (strcmp(n->kind, kind) == 0 && (!measure_id || strcmp(n->measure_id, measure_id) == 0))
            return n;
    }
    return NULL;
}

typedef struct {
    size_t events, delivered_events;
} s_log_count;

/* Count the NotificationEvents in the stopped service's log. */
static s_log_count
s_count_log(env_t *e)
{
    static const char *const tables[] = {"log", NULL};
    char path[600];
    snprintf(path, sizeof path, "%s/notification", e->data_dir);
    acc_store_t *s = NULL;
    acc_store_opts_t o = {.tables = tables};
    assert_int_equal(acc_store_open(path, &o, &s, NULL), ACC_OK);
    acc_table t;
    assert_int_equal(acc_store_table(s, "log", &t), ACC_OK);
    acc_txn_t *txn = NULL;
    acc_cursor_t *cur = NULL;
    assert_int_equal(acc_store_read_begin(s, &txn), ACC_OK);
    assert_int_equal(acc_cursor_open(txn, t, &cur), ACC_OK);
    const void *k, *v;
    size_t kl, vl;
    s_log_count c = {0, 0};
    acc_err err = acc_cursor_seek(cur, NULL, 0, &k, &kl, &v, &vl);
    while (err == ACC_OK) {
        ProtobufCMessage *m = NULL;
        acc_errinfo_t ei;
        assert_int_equal(acc_codec_unpack(&accord__v1__notification_event__descriptor, v, vl,
                                          ACC_STREAM_RECORD_MAX, &m, &ei),
                         ACC_OK);
        Accord__V1__NotificationEvent *ev = (Accord__V1__NotificationEvent *)m;
        assert_int_equal(ev->body_case, ACCORD__V1__NOTIFICATION_EVENT__BODY_NOTICE);
        c.events++;
        if (ev->notice->status == ACCORD__V1__NOTICE_STATUS__NOTICE_STATUS_DELIVERED &&
            ev->notice->link_sequence > 0)
            c.delivered_events++;
        protobuf_c_message_free_unpacked(m, NULL);
        err = acc_cursor_next(cur, &k, &kl, &v, &vl);
    }
    assert_int_equal(err, ACC_ERR_NOT_FOUND);
    acc_store_read_end(&txn);
    acc_store_destroy(&s);
    return c;
}

/* --- tests: logic functions --------------------------------------------------------- */

static void
test_notice_id(void **state)
{
    (void)state;
    char a[37], b[37], c[37], d[37];
    const char *p1[] = {"0190f1a2-0000-7000-8000-000000000001"};
    const char *p2[] = {"0190f1a2-0000-7000-8000-000000000002"};
    notification_notice_id("forward", p1, 1, a);
    notification_notice_id("forward", p1, 1, b);
    notification_notice_id("forward", p2, 1, c);
    notification_notice_id("measure", p1, 1, d);
    assert_string_equal(a, b);
    assert_string_not_equal(a, c);
    assert_string_not_equal(a, d);
    assert_int_equal(strlen(a), 36);
    assert_int_equal(a[14], '8');           /* version 8 */
    assert_non_null(strchr("89ab", a[19])); /* RFC 9562 variant */
    acc_uuid_t u;
    assert_int_equal(acc_uuid_parse(a, 36, &u), ACC_OK);
    /* parts are separated: ("ab","c") is not ("a","bc") */
    const char *q1[] = {"ab", "c"}, *q2[] = {"a", "bc"};
    notification_notice_id("measure-update", q1, 2, a);
    notification_notice_id("measure-update", q2, 2, b);
    assert_string_not_equal(a, b);
}

static void
test_removal_json(void **state)
{
    (void)state;
    char *dir = acc_test_tmpdir();
    char path[600];
    snprintf(path, sizeof path, "%s/node.cfg", dir);
    s_write_file(path, "agency = \"so-tt\";\nname = \"Sở TT&TT\";\n", 0600);
    acc_config_t *cfg = NULL;
    assert_int_equal(acc_config_load(path, &cfg, NULL), ACC_OK);
    Accord__V1__Measure m;
    s_measure_init(&m, "m-1", LEAD, US, "request-removal");
    char *j1 = NULL, *j2 = NULL;
    assert_int_equal(notification_removal_json(cfg, "nid", &m, &j1), ACC_OK);
    assert_int_equal(notification_removal_json(cfg, "nid", &m, &j2), ACC_OK);
    assert_string_equal(j1, j2); /* byte for byte: a replay rewrites the same file */
    assert_int_equal(j1[strlen(j1) - 1], '\n');
    json_error_t je;
    json_t *o = json_loads(j1, 0, &je);
    assert_non_null(o);
    assert_string_equal(json_string_value(json_object_get(o, "deadline")),
                        "2024-05-02T08:00:00.000Z");
    assert_string_equal(json_string_value(json_object_get(o, "created")),
                        "2024-05-01T08:00:00.123Z");
    assert_string_equal(json_string_value(json_object_get(json_object_get(o, "issued_by"), "name")),
                        "Sở TT&TT");
    json_decref(o);
    free(j1);
    free(j2);
    /* no deadline: null, not 1970 */
    m.deadline_ms = 0;
    assert_int_equal(notification_removal_json(cfg, "nid", &m, &j1), ACC_OK);
    o = json_loads(j1, 0, &je);
    assert_true(json_is_null(json_object_get(o, "deadline")));
    json_decref(o);
    free(j1);
    /* text that is not UTF-8 is refused, not written */
    m.reasons = "\xc3\x28";
    assert_int_equal(notification_removal_json(cfg, "nid", &m, &j1), ACC_ERR_UTF8);
    acc_config_destroy(&cfg);
    acc_test_rmtree(dir);
}

static void
test_spool_write(void **state)
{
    (void)state;
    char *dir = acc_test_tmpdir();
    char spool[600], path[700];
    snprintf(spool, sizeof spool, "%s/a/b/spool", dir);
    acc_errinfo_t ei;
    assert_int_equal(notification_spool_write(spool, "../x", "x", 1, &ei), ACC_ERR_INVALID);
    assert_int_equal(notification_spool_write(spool, ".hidden", "x", 1, &ei), ACC_ERR_INVALID);
    assert_int_equal(notification_spool_write(spool, "", "x", 1, &ei), ACC_ERR_INVALID);
    assert_int_equal(notification_spool_write(spool, "n.json", "first", 5, &ei), ACC_OK);
    assert_int_equal(notification_spool_write(spool, "n.json", "second", 6, &ei), ACC_OK);
    struct stat sb;
    assert_int_equal(stat(spool, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0700);
    snprintf(path, sizeof path, "%s/n.json", spool);
    assert_int_equal(stat(path, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0600);
    FILE *f = fopen(path, "r");
    char buf[16] = "";
    assert_non_null(f);
    assert_int_equal(fread(buf, 1, sizeof buf - 1, f), 6);
    fclose(f);
    assert_string_equal(buf, "second");
    /* nothing else in the directory: no temporary file left */
    DIR *d = opendir(spool);
    int n = 0;
    for (struct dirent *de; (de = readdir(d));)
        n += de->d_name[0] != '.';
    closedir(d);
    assert_int_equal(n, 1);
    snprintf(path, sizeof path, "%s/.n.json.tmp", spool);
    assert_int_equal(access(path, F_OK), -1);
    /* a spool path under a file cannot be made */
    snprintf(path, sizeof path, "%s/n.json/sub", spool);
    assert_int_equal(notification_spool_write(path, "n.json", "x", 1, &ei), ACC_ERR_IO);
    assert_non_null(strstr(ei.msg, "n.json"));
    acc_test_rmtree(dir);
}

/* --- tests: the service ------------------------------------------------------------- */

#define RID1 "0190f1a2-0000-7000-8000-000000000001"
#define RID2 "0190f1a2-0000-7000-8000-000000000002"

static void
test_forward_report(void **state)
{
    (void)state;
    env_t *e = s_env_new(true, true);
    s_service_start(e);
    s_add_report(e, RID1, "https://fake-bank.example/login", "", "so-tt/2024/000001");
    s_add_report(e, RID2, "https://other.example/", OWNER, "so-tt/2024/000002"); /* not ours */
    /* an envelope intake handed on: not the forwarder's business */
    Accord__V1__Measure m;
    s_measure_init(&m, "m-x", LEAD, US, "block-account");
    Accord__V1__Envelope env = ACCORD__V1__ENVELOPE__INIT;
    env.origin = LEAD;
    env.sequence = 1;
    env.body_case = ACCORD__V1__ENVELOPE__BODY_MEASURE;
    env.measure = &m;
    Accord__V1__ReceivedEnvelope re = ACCORD__V1__RECEIVED_ENVELOPE__INIT;
    re.envelope = &env;
    Accord__V1__IntakeEvent ev = ACCORD__V1__INTAKE_EVENT__INIT;
    ev.body_case = ACCORD__V1__INTAKE_EVENT__BODY_ENVELOPE;
    ev.envelope = &re;
    s_append(e, P_INTAKE, (const ProtobufCMessage *)&ev);

    size_t want[2] = {PEER_LEAD, 1};
    assert_true(s_pump_until(e, s_peer_got, want, WAIT_MS));
    s_wait_settled(e);
    s_pump_until(e, NULL, NULL, 300); /* time for anything that should not come */

    fake_peer *lead = &e->peers[PEER_LEAD];
    assert_int_equal(lead->n_got, 1);
    assert_int_equal(lead->n_bad_user, 0);
    assert_int_equal(e->peers[PEER_OWNER].n_got, 0);
    const Accord__V1__Envelope *got = lead->got[0];
    assert_string_equal(got->origin, US);
    assert_int_equal(got->sequence, 1);
    assert_int_equal(got->schema_version, 1);
    assert_int_equal(got->body_case, ACCORD__V1__ENVELOPE__BODY_REPORT);
    /* the body is the report, byte for byte: nothing added, nothing lost */
    Accord__V1__Report want_r;
    s_report_init(&want_r, RID1, "https://fake-bank.example/login");
    size_t wl = accord__v1__report__get_packed_size(&want_r);
    size_t gl = accord__v1__report__get_packed_size(got->report);
    assert_int_equal(gl, wl);
    uint8_t *wb = malloc(wl), *gb = malloc(gl);
    accord__v1__report__pack(&want_r, wb);
    accord__v1__report__pack(got->report, gb);
    assert_memory_equal(wb, gb, wl);
    free(wb);
    free(gb);
    assert_int_equal(got->report->base.n_unknown_fields, 0);

    Accord__V1__Response *r = s_list(e);
    assert_int_equal(r->notices->n_notices, 1);
    const Accord__V1__Notice *n = r->notices->notices[0];
    char id[37];
    const char *parts[] = {RID1};
    notification_notice_id("forward", parts, 1, id);
    assert_string_equal(n->id, id);
    assert_string_equal(n->kind, "report-forward");
    assert_string_equal(n->destination, "peer:" LEAD);
    assert_string_equal(n->case_number, "so-tt/2024/000001");
    assert_int_equal(n->link_sequence, 1);
    assert_int_equal(n->status, ACCORD__V1__NOTICE_STATUS__NOTICE_STATUS_DELIVERED);
    assert_int_equal(n->created_ms, 1714550460001);
    assert_int_equal(r->notices->n_peers, 2);
    assert_string_equal(r->notices->peers[0]->agency, LEAD);
    assert_int_equal(r->notices->peers[0]->enqueued, 1);
    assert_int_equal(r->notices->peers[0]->acked, 1);
    assert_string_equal(r->notices->peers[1]->agency, OWNER);
    assert_int_equal(r->notices->peers[1]->enqueued, 0);
    accord__v1__response__free_unpacked(r, NULL);

    /* anything but ListNotices is refused, naming the field */
    Accord__V1__Ping ping = ACCORD__V1__PING__INIT;
    Accord__V1__Request req = ACCORD__V1__REQUEST__INIT;
    req.body_case = ACCORD__V1__REQUEST__BODY_PING;
    req.ping = &ping;
    r = s_call(e, &req);
    assert_int_equal(r->status->code, ACCORD__V1__CODE__CODE_INVALID);
    assert_string_equal(r->status->field, "body");
    accord__v1__response__free_unpacked(r, NULL);

    /* the delivery was recorded as an event, once (the timer runs every 250 ms) */
    s_pump_until(e, NULL, NULL, 2 * NOTIFICATION_TICK_MS + 100);
    s_service_stop(e);
    s_log_count c = s_count_log(e);
    assert_int_equal(c.events, 2);
    assert_int_equal(c.delivered_events, 1);
    /* and not again after a restart */
    s_service_start(e);
    s_pump_until(e, NULL, NULL, 2 * NOTIFICATION_TICK_MS + 100);
    s_service_stop(e);
    c = s_count_log(e);
    assert_int_equal(c.events, 2);
    assert_int_equal(lead->n_got, 1);
    s_env_destroy(e);
}

static void
test_lead_node_keeps_reports(void **state)
{
    (void)state;
    env_t *e = s_env_new(false, true); /* no lead peer: we are a lead */
    s_service_start(e);
    s_add_report(e, RID1, "https://fake-bank.example/login", "", "so-tt/2024/000001");
    s_add_measure(e, "m-marker", US, OWNER, "block-account"); /* ordered after the report */
    s_wait_notices(e, 1);
    size_t want[2] = {PEER_OWNER, 1};
    assert_true(s_pump_until(e, s_peer_got, want, WAIT_MS));
    Accord__V1__Response *r = s_list(e);
    assert_int_equal(r->notices->n_notices, 1);
    assert_string_equal(r->notices->notices[0]->kind, "measure");
    accord__v1__response__free_unpacked(r, NULL);
    s_env_destroy(e);
}

static void
test_measures(void **state)
{
    (void)state;
    env_t *e = s_env_new(true, true);
    e->peers[PEER_OWNER].reject_seq = 2;
    s_service_start(e);
    s_add_measure(e, "m-1", US, OWNER, "block-account");       /* we lead: to the owner */
    s_add_measure(e, "m-2", US, "xa-phuong", "block-account"); /* owner not a peer */
    s_add_measure(e, "m-3", LEAD, US, "block-account");        /* assigned to us: nothing */
    s_add_measure(e, "m-4", US, US, "block-account");          /* ours to do: nothing */
    s_add_update(e, "m-3", LEAD, US);                          /* our update: to the lead */
    s_add_update(e, "m-1", US, OWNER);                         /* the owner's: nothing */
    Accord__V1__Measure bare;
    s_measure_init(&bare, "m-5", US, OWNER, "block-account");
    bare.legal_basis = "  "; /* no legal basis: not sent */
    Accord__V1__AssignmentEvent ev = ACCORD__V1__ASSIGNMENT_EVENT__INIT;
    ev.body_case = ACCORD__V1__ASSIGNMENT_EVENT__BODY_MEASURE;
    ev.measure = &bare;
    s_append(e, P_ASSIGNMENT, (const ProtobufCMessage *)&ev);
    s_add_measure(e, "m-6", US, OWNER, "refer-police"); /* the owner refuses it */

    s_wait_notices(e, 5);
    s_wait_settled(e);
    s_pump_until(e, NULL, NULL, 300);

    fake_peer *owner = &e->peers[PEER_OWNER], *lead = &e->peers[PEER_LEAD];
    assert_int_equal(owner->n_got, 1);
    assert_int_equal(owner->got[0]->body_case, ACCORD__V1__ENVELOPE__BODY_MEASURE);
    assert_string_equal(owner->got[0]->measure->id, "m-1");
    assert_string_equal(owner->got[0]->measure->legal_basis, "Nghị định 15/2020/NĐ-CP, Điều 101");
    assert_string_equal(owner->got[0]->measure->reasons,
                        "Trang mạo danh ngân hàng để lấy thông tin thẻ");
    assert_int_equal(lead->n_got, 1);
    assert_int_equal(lead->got[0]->body_case, ACCORD__V1__ENVELOPE__BODY_MEASURE_UPDATE);
    assert_string_equal(lead->got[0]->measure_update->measure_id, "m-3");
    assert_string_equal(lead->got[0]->measure_update->result, "removed by the platform");
    assert_string_equal(lead->got[0]->origin, US);

    Accord__V1__Response *r = s_list(e);
    assert_int_equal(r->notices->n_notices, 5);
    /* most recent first */
    assert_string_equal(r->notices->notices[0]->measure_id, "m-6");
    assert_string_equal(r->notices->notices[1]->measure_id, "m-5");
    assert_string_equal(r->notices->notices[2]->kind, "measure-update");
    assert_string_equal(r->notices->notices[3]->measure_id, "m-2");
    assert_string_equal(r->notices->notices[4]->measure_id, "m-1");
    const Accord__V1__Notice *n = s_find_notice(r, "measure", "m-1");
    assert_string_equal(n->destination, "peer:" OWNER);
    assert_int_equal(n->status, ACCORD__V1__NOTICE_STATUS__NOTICE_STATUS_DELIVERED);
    assert_string_equal(n->case_number, "ubnd/2024/000042");
    n = s_find_notice(r, "measure", "m-2");
    assert_string_equal(n->destination, "peer:xa-phuong");
    assert_int_equal(n->status, ACCORD__V1__NOTICE_STATUS__NOTICE_STATUS_PARKED);
    assert_string_equal(n->error, "owner xa-phuong is not a configured peer");
    assert_int_equal(n->link_sequence, 0);
    n = s_find_notice(r, "measure", "m-5");
    assert_int_equal(n->status, ACCORD__V1__NOTICE_STATUS__NOTICE_STATUS_PARKED);
    assert_non_null(strstr(n->error, "legal basis"));
    n = s_find_notice(r, "measure", "m-6");
    assert_string_equal(n->destination, "peer:" OWNER);
    assert_int_equal(n->link_sequence, 2);
    assert_int_equal(n->status, ACCORD__V1__NOTICE_STATUS__NOTICE_STATUS_PARKED);
    assert_string_equal(n->error, "unknown case");
    assert_int_equal(r->notices->peers[1]->parked, 1);
    n = s_find_notice(r, "measure-update", "m-3");
    assert_string_equal(n->destination, "peer:" LEAD);
    assert_int_equal(n->link_sequence, 1);
    assert_int_equal(n->status, ACCORD__V1__NOTICE_STATUS__NOTICE_STATUS_DELIVERED);
    accord__v1__response__free_unpacked(r, NULL);
    s_env_destroy(e);
}

typedef struct {
    acc_table t;
    const char *input;
} s_rewind_job;

static acc_err
s_rewind_fn(acc_txn_t *txn, void *arg)
{
    s_rewind_job *j = arg;
    return acc_stream_cursor_put(txn, j->t, j->input, 0);
}

/* Set the stopped service's cursor of @input back to 0: its records come again. */
static void
s_rewind(env_t *e, const char *input)
{
    static const char *const tables[] = {"cursors", NULL};
    char path[600];
    snprintf(path, sizeof path, "%s/notification", e->data_dir);
    acc_store_t *s = NULL;
    acc_store_opts_t o = {.tables = tables};
    assert_int_equal(acc_store_open(path, &o, &s, NULL), ACC_OK);
    acc_table t;
    assert_int_equal(acc_store_table(s, "cursors", &t), ACC_OK);
    acc_txn_t *txn = NULL;
    uint64_t c = 0;
    assert_int_equal(acc_store_read_begin(s, &txn), ACC_OK);
    assert_int_equal(acc_stream_cursor_get(txn, t, input, &c), ACC_OK);
    acc_store_read_end(&txn);
    assert_true(c > 0);
    s_rewind_job j = {t, input};
    assert_int_equal(acc_store_write(s, s_rewind_fn, &j), ACC_OK);
    acc_store_destroy(&s);
}

static void
test_spool_removal(void **state)
{
    (void)state;
    env_t *e = s_env_new(true, true);
    s_service_start(e);
    s_add_measure(e, "m-rm", LEAD, US, "request-removal");
    s_wait_notices(e, 1);

    char id[37], file[700];
    const char *parts[] = {"m-rm"};
    notification_notice_id("removal-request", parts, 1, id);
    snprintf(file, sizeof file, "%s/%s.json", e->spool_dir, id);
    Accord__V1__Response *r = s_list(e);
    assert_int_equal(r->notices->n_notices, 1);
    const Accord__V1__Notice *n = r->notices->notices[0];
    char dest[600];
    snprintf(dest, sizeof dest, "spool:%s", e->spool_dir);
    assert_string_equal(n->id, id);
    assert_string_equal(n->kind, "removal-request");
    assert_string_equal(n->destination, dest);
    assert_string_equal(n->file, file);
    assert_int_equal(n->status, ACCORD__V1__NOTICE_STATUS__NOTICE_STATUS_DELIVERED);
    assert_true(n->delivered_ms > 0);
    accord__v1__response__free_unpacked(r, NULL);

    json_error_t je;
    json_t *o = json_load_file(file, 0, &je);
    if (!o)
        fail_msg("spool file: %s", je.text);
    assert_string_equal(json_string_value(json_object_get(o, "notice_id")), id);
    assert_string_equal(json_string_value(json_object_get(o, "kind")), "removal-request");
    assert_string_equal(json_string_value(json_object_get(o, "case_number")), "ubnd/2024/000042");
    assert_string_equal(json_string_value(json_object_get(o, "measure_id")), "m-rm");
    assert_string_equal(json_string_value(json_object_get(o, "url")),
                        "https://fake-bank.example/login");
    assert_string_equal(json_string_value(json_object_get(o, "category")), "phishing-malware");
    assert_string_equal(json_string_value(json_object_get(o, "legal_basis")),
                        "Nghị định 15/2020/NĐ-CP, Điều 101");
    assert_string_equal(json_string_value(json_object_get(o, "reasons")),
                        "Trang mạo danh ngân hàng để lấy thông tin thẻ");
    assert_string_equal(json_string_value(json_object_get(o, "deadline")),
                        "2024-05-02T08:00:00.000Z");
    assert_string_equal(json_string_value(json_object_get(o, "created")),
                        "2024-05-01T08:00:00.123Z");
    json_t *by = json_object_get(o, "issued_by");
    assert_string_equal(json_string_value(json_object_get(by, "agency")), US);
    assert_string_equal(json_string_value(json_object_get(by, "name")),
                        "Sở Thông tin và Truyền thông");
    assert_int_equal(json_object_size(o), 11);
    json_decref(o);
    struct stat sb1, sb2;
    assert_int_equal(stat(e->spool_dir, &sb1), 0);
    assert_int_equal(sb1.st_mode & 0777, 0700);
    assert_int_equal(stat(file, &sb1), 0);

    /* Replay: stop, set the assignment cursor back to 0, restart. The measure comes again,
     * then a new one that shows the replay is over. */
    s_service_stop(e);
    s_log_count before = s_count_log(e);
    s_rewind(e, "assignment");
    s_service_start(e);
    s_add_measure(e, "m-after", US, OWNER, "block-account");
    s_wait_notices(e, 2);
    r = s_list(e);
    assert_int_equal(r->notices->n_notices, 2);
    assert_string_equal(r->notices->notices[0]->measure_id, "m-after");
    assert_string_equal(r->notices->notices[1]->id, id);
    accord__v1__response__free_unpacked(r, NULL);
    /* the same file, not written again, and nothing else in the spool */
    assert_int_equal(stat(file, &sb2), 0);
    assert_int_equal(sb1.st_ino, sb2.st_ino);
    assert_int_equal(sb1.st_size, sb2.st_size);
    DIR *d = opendir(e->spool_dir);
    int files = 0;
    for (struct dirent *de; (de = readdir(d));)
        files += strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0;
    closedir(d);
    assert_int_equal(files, 1);
    size_t want[2] = {PEER_OWNER, 1};
    assert_true(s_pump_until(e, s_peer_got, want, WAIT_MS));
    s_service_stop(e);
    s_log_count after = s_count_log(e);
    assert_true(after.events >= before.events + 1); /* m-after's notice ... */
    assert_true(after.events <= before.events + 2); /* ... and its delivery at most */
    assert_int_equal(e->peers[PEER_OWNER].n_got, 1);
    s_env_destroy(e);
}

static bool
s_all_queued(env_t *e, const void *arg)
{
    size_t want = *(const size_t *)arg;
    Accord__V1__Response *r = s_list(e);
    bool ok = r->notices->n_notices == want;
    for (size_t i = 0; ok && i < r->notices->n_notices; i++)
        ok = r->notices->notices[i]->status == ACCORD__V1__NOTICE_STATUS__NOTICE_STATUS_QUEUED;
    accord__v1__response__free_unpacked(r, NULL);
    return ok;
}

static void
test_peer_offline(void **state)
{
    (void)state;
    env_t *e = s_env_new(true, false); /* the peers are down */
    s_service_start(e);
    enum { N = 6 };
    char ids[N][37];
    for (int i = 0; i < N; i++) {
        snprintf(ids[i], sizeof ids[i], "0190f1a2-0000-7000-8000-%012d", i + 1);
        char url[64], cn[32];
        snprintf(url, sizeof url, "https://s%d.example/", i);
        snprintf(cn, sizeof cn, "so-tt/2024/%06d", i + 1);
        s_add_report(e, ids[i], url, "", cn);
    }
    size_t n = N;
    int64_t deadline = acc_loop_now_ms() + WAIT_MS;
    while (!s_all_queued(e, &n) && acc_loop_now_ms() < deadline)
        s_pump_until(e, NULL, NULL, 20);
    assert_true(s_all_queued(e, &n));
    s_pump_until(e, NULL, NULL, 500); /* a few retries against nobody */
    Accord__V1__Response *r = s_list(e);
    for (size_t i = 0; i < N; i++) {
        const Accord__V1__Notice *no = r->notices->notices[i];
        assert_int_equal(no->status, ACCORD__V1__NOTICE_STATUS__NOTICE_STATUS_QUEUED);
        assert_string_equal(no->destination, "peer:" LEAD);
        assert_int_equal(no->link_sequence, N - i); /* most recent first */
    }
    assert_int_equal(r->notices->peers[0]->enqueued, N);
    assert_int_equal(r->notices->peers[0]->acked, 0);
    accord__v1__response__free_unpacked(r, NULL);

    /* the lead comes back: everything, once, in order */
    s_peer_up(e->zctx, &e->peers[PEER_LEAD]);
    size_t want[2] = {PEER_LEAD, N};
    assert_true(s_pump_until(e, s_peer_got, want, WAIT_MS));
    s_wait_settled(e);
    s_pump_until(e, NULL, NULL, 300);
    fake_peer *lead = &e->peers[PEER_LEAD];
    assert_int_equal(lead->n_got, N);
    assert_int_equal(lead->n_dup, 0);
    for (size_t i = 0; i < N; i++) {
        assert_int_equal(lead->got[i]->sequence, i + 1);
        assert_string_equal(lead->got[i]->report->id, ids[i]);
    }
    r = s_list(e);
    assert_int_equal(r->notices->n_notices, N);
    for (size_t i = 0; i < N; i++)
        assert_int_equal(r->notices->notices[i]->status,
                         ACCORD__V1__NOTICE_STATUS__NOTICE_STATUS_DELIVERED);
    assert_int_equal(r->notices->peers[0]->acked, N);
    accord__v1__response__free_unpacked(r, NULL);
    s_env_destroy(e);
}

int
main(void)
{
    acc_log_set_level(ACC_LOG_ERROR);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_notice_id),
        cmocka_unit_test(test_removal_json),
        cmocka_unit_test(test_spool_write),
        cmocka_unit_test(test_forward_report),
        cmocka_unit_test(test_lead_node_keeps_reports),
        cmocka_unit_test(test_measures),
        cmocka_unit_test(test_spool_removal),
        cmocka_unit_test(test_peer_offline),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
