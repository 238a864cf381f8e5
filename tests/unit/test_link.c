/*
 * Unit tests for acc_link: a sender (acc_link over its own store) and a fake receiver in the
 * same thread on one acc_loop, over real sockets (ipc:// in a temporary directory, tcp://
 * loopback for CURVE). The fake receiver is a ROUTER that decodes each Deliver with
 * acc_codec_unpack, checks every envelope (origin, id, sequence against the content the
 * test enqueued), deduplicates with acc_link_inbound_check / _mark on its own store in one
 * write transaction per Deliver, records what it applied, and answers with statuses the
 * test chooses: DUPLICATE (pre-seeded), REJECTED for one sequence, RETRY from a sequence
 * once, no answer at all, or acks with the wrong sequences.
 *
 * A control timer of the test runs actions (enqueue batches) and stops the loop when a
 * condition holds or a hang guard passes. Waits for things that should happen are bounded
 * only against hangs (WAIT_MS); no assertion depends on how fast this machine is. The only
 * timing assertions are lower bounds set by the back-off (a slow machine makes gaps
 * longer, never shorter). Where a test claims something happens "without waiting out the
 * back-off", the back-off is made far longer than the hang guard (HUGE_BACKOFF_MS), so
 * waiting it out would fail the wait instead of depending on a stopwatch.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "acc_codec.h"
#include "acc_curve.h"
#include "acc_ids.h"
#include "acc_link.h"
#include "acc_log.h"
#include "acc_loop.h"
#include "acc_store.h"
#include "acc_test.h"
#include "accord/v1/control.pb-c.h"

#define ORIGIN "sender"
#define MAX_GOT 8192
#define MAX_DELIVERS 4096
#define WAIT_MS 120000         /* hang guard for something that should happen (not a speed limit) */
#define HUGE_BACKOFF_MS 900000 /* far beyond WAIT_MS: a back-off no wait can outlast */

static const char *const s_stables[] = {ACC_LINK_TABLES, NULL};
static const char *const s_rtables[] = {"inbound", NULL};

/* --- the fake receiver ---------------------------------------------------------------- */

typedef struct {
    void *router;
    acc_store_t *store;
    acc_table t_in;
    const char *user; /* expected CURVE User-Id; NULL: not checked (ipc) */
    /* behaviour */
    uint64_t reject_seq;
    uint64_t retry_seq; /* answer RETRY from this sequence, the first time it comes */
    bool retry_done;
    int swallow;             /* commit but do not answer this many Delivers ... */
    size_t swallow_from_got; /* ... once this many envelopes were applied */
    int bad_acks;            /* answer this many Delivers with the acks reversed */
    /* records */
    uint64_t got[MAX_GOT]; /* applied (OK) sequences, in order */
    size_t n_got;
    size_t n_deliver, n_dup, n_rej, n_retry, n_user_ok, n_bad, n_swallowed, max_batch;
    uint64_t first_seq[MAX_DELIVERS];
    int64_t at_ms[MAX_DELIVERS];
    int64_t retry_at_ms;
    /* scratch of the Deliver being applied (reset on every attempt of the transaction) */
    const Accord__V1__Deliver *cur;
    Accord__V1__DeliveryStatus st[ACC_LINK_WINDOW_MAX];
    uint64_t cur_got[ACC_LINK_WINDOW_MAX];
    size_t cur_n;
} fake_t;

static acc_err
s_fake_apply(acc_txn_t *txn, void *arg)
{
    fake_t *f = arg;
    f->cur_n = 0;
    for (size_t i = 0; i < f->cur->n_envelopes; i++) {
        const Accord__V1__Envelope *e = f->cur->envelopes[i];
        Accord__V1__DeliveryStatus s = acc_link_inbound_check(txn, f->t_in, e->origin, e->sequence);
        if (s == ACCORD__V1__DELIVERY_STATUS__DELIVERY_STATUS_OK && f->retry_seq &&
            !f->retry_done && e->sequence >= f->retry_seq)
            s = ACCORD__V1__DELIVERY_STATUS__DELIVERY_STATUS_RETRY;
        if (s == ACCORD__V1__DELIVERY_STATUS__DELIVERY_STATUS_OK) {
            acc_err err = acc_link_inbound_mark(txn, f->t_in, e->origin, e->sequence);
            if (err != ACC_OK)
                return err;
            if (e->sequence == f->reject_seq)
                s = ACCORD__V1__DELIVERY_STATUS__DELIVERY_STATUS_REJECTED;
            else
                f->cur_got[f->cur_n++] = e->sequence;
        }
        f->st[i] = s;
    }
    return ACC_OK;
}

/* The test enqueues envelope k of a peer with url ".../k" and category "ok": the sequence
 * the link gave it must be k, and nothing from an aborted transaction may arrive. */
static bool
s_envelope_ok(const Accord__V1__Envelope *e)
{
    char url[64];
    snprintf(url, sizeof url, "https://example.org/%" PRIu64, e->sequence);
    return strcmp(e->origin, ORIGIN) == 0 && e->schema_version == 1 && e->time_ms > 0 &&
           strlen(e->id) == ACC_UUID_TEXT_LEN &&
           e->body_case == ACCORD__V1__ENVELOPE__BODY_REPORT && strcmp(e->report->url, url) == 0 &&
           strcmp(e->report->category, "ok") == 0;
}

static void
s_fake_handle(fake_t *f, zmq_msg_t *rid, zmq_msg_t *body)
{
    if (f->user) {
        char who[ACC_AGENCY_MAX + 1];
        if (acc_curve_msg_agency(body, who, sizeof who) == ACC_OK && strcmp(who, f->user) == 0)
            f->n_user_ok++;
        else
            f->n_bad++;
    }
    ProtobufCMessage *m = NULL;
    acc_errinfo_t ei;
    assert_int_equal(acc_codec_unpack(&accord__v1__request__descriptor, zmq_msg_data(body),
                                      zmq_msg_size(body), ACC_LINK_MSG_MAX, &m, &ei),
                     ACC_OK);
    Accord__V1__Request *req = (Accord__V1__Request *)m;
    assert_int_equal(req->body_case, ACCORD__V1__REQUEST__BODY_DELIVER);
    const Accord__V1__Deliver *d = req->deliver;
    assert_true(d->n_envelopes >= 1 && d->n_envelopes <= ACC_LINK_WINDOW_MAX);
    assert_true(f->n_deliver < MAX_DELIVERS);
    f->first_seq[f->n_deliver] = d->envelopes[0]->sequence;
    f->at_ms[f->n_deliver] = acc_loop_now_ms();
    f->n_deliver++;
    if (d->n_envelopes > f->max_batch)
        f->max_batch = d->n_envelopes;
    for (size_t i = 0; i < d->n_envelopes; i++) {
        if (!s_envelope_ok(d->envelopes[i]) ||
            (i > 0 && d->envelopes[i]->sequence != d->envelopes[i - 1]->sequence + 1))
            f->n_bad++;
    }
    f->cur = d;
    assert_int_equal(acc_store_write(f->store, s_fake_apply, f), ACC_OK);
    assert_true(f->n_got + f->cur_n <= MAX_GOT);
    memcpy(f->got + f->n_got, f->cur_got, f->cur_n * sizeof *f->cur_got);
    f->n_got += f->cur_n;

    Accord__V1__DeliveryAck acks[ACC_LINK_WINDOW_MAX], *ackp[ACC_LINK_WINDOW_MAX];
    bool bad = false;
    if (!(f->swallow > 0 && f->n_got >= f->swallow_from_got) && f->bad_acks > 0) {
        f->bad_acks--;
        bad = true;
    }
    for (size_t i = 0; i < d->n_envelopes; i++) {
        accord__v1__delivery_ack__init(&acks[i]);
        ackp[i] = &acks[i];
        /* wrong but plausible: every sequence was sent, in the wrong order */
        acks[i].sequence = d->envelopes[bad ? d->n_envelopes - 1 - i : i]->sequence;
        acks[i].status = f->st[i];
        switch (f->st[i]) {
        case ACCORD__V1__DELIVERY_STATUS__DELIVERY_STATUS_DUPLICATE:
            f->n_dup++;
            break;
        case ACCORD__V1__DELIVERY_STATUS__DELIVERY_STATUS_REJECTED:
            f->n_rej++;
            acks[i].reason = "unknown case";
            break;
        case ACCORD__V1__DELIVERY_STATUS__DELIVERY_STATUS_RETRY:
            f->n_retry++;
            acks[i].reason = "gap";
            if (f->retry_seq && d->envelopes[i]->sequence == f->retry_seq && !f->retry_done) {
                f->retry_done = true;
                f->retry_at_ms = acc_loop_now_ms();
            }
            break;
        default:
            break;
        }
    }
    if (f->swallow > 0 && f->n_got >= f->swallow_from_got) {
        f->swallow--;
        f->n_swallowed++;
        protobuf_c_message_free_unpacked(m, NULL);
        return;
    }
    Accord__V1__DeliverResult dr = ACCORD__V1__DELIVER_RESULT__INIT;
    dr.n_acks = d->n_envelopes;
    dr.acks = ackp;
    Accord__V1__Response r = ACCORD__V1__RESPONSE__INIT;
    r.request_id = req->request_id;
    r.body_case = ACCORD__V1__RESPONSE__BODY_DELIVERED;
    r.delivered = &dr;
    uint8_t *buf = NULL;
    size_t len = 0;
    assert_int_equal(acc_codec_pack((const ProtobufCMessage *)&r, ACC_LINK_MSG_MAX, &buf, &len),
                     ACC_OK);
    assert_int_equal(zmq_send(f->router, zmq_msg_data(rid), zmq_msg_size(rid), ZMQ_SNDMORE),
                     (int)zmq_msg_size(rid));
    assert_int_equal(zmq_send(f->router, buf, len, 0), (int)len);
    free(buf);
    protobuf_c_message_free_unpacked(m, NULL);
}

static acc_err
s_fake_on_readable(acc_loop_t *loop, void *arg)
{
    (void)loop;
    fake_t *f = arg;
    for (;;) {
        zmq_msg_t rid, body;
        zmq_msg_init(&rid);
        if (zmq_msg_recv(&rid, f->router, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&rid);
            break;
        }
        assert_true(zmq_msg_more(&rid));
        zmq_msg_init(&body);
        assert_true(zmq_msg_recv(&body, f->router, 0) >= 0);
        assert_false(zmq_msg_more(&body));
        s_fake_handle(f, &rid, &body);
        zmq_msg_close(&body);
        zmq_msg_close(&rid);
    }
    return ACC_OK;
}

/* s_fake_new — a receiver with its own store under @dir/@name; bound to @endpoint unless
 * it is NULL (bind later with zmq_bind on f->router). */
static fake_t *
s_fake_new(void *zctx, const char *dir, const char *name, const char *endpoint)
{
    fake_t *f = calloc(1, sizeof *f);
    assert_non_null(f);
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    acc_store_opts_t o = {.tables = s_rtables};
    assert_int_equal(acc_store_open(path, &o, &f->store, NULL), ACC_OK);
    assert_int_equal(acc_store_table(f->store, "inbound", &f->t_in), ACC_OK);
    f->router = zmq_socket(zctx, ZMQ_ROUTER);
    assert_non_null(f->router);
    int zero = 0, one = 1;
    zmq_setsockopt(f->router, ZMQ_LINGER, &zero, sizeof zero);
    zmq_setsockopt(f->router, ZMQ_ROUTER_MANDATORY, &one, sizeof one);
    if (endpoint)
        assert_int_equal(zmq_bind(f->router, endpoint), 0);
    return f;
}

static void
s_fake_destroy(fake_t **fp)
{
    fake_t *f = *fp;
    if (!f)
        return;
    zmq_close(f->router);
    acc_store_destroy(&f->store);
    free(f);
    *fp = NULL;
}

/* The receiver applied exactly 1..n (minus @skip, 0 for none), each once, in order. */
static void
s_assert_got_seq(const fake_t *f, uint64_t first, uint64_t n, uint64_t skip)
{
    uint64_t want = first;
    size_t i = 0;
    for (; want <= n; want++) {
        if (want == skip)
            continue;
        assert_true(i < f->n_got);
        assert_int_equal(f->got[i], want);
        i++;
    }
    assert_int_equal(f->n_got, i);
}

/* --- the test context ----------------------------------------------------------------- */

typedef struct ctx ctx_t;
typedef bool (*s_cond_fn)(ctx_t *c);

struct ctx {
    char *dir;
    void *zctx;
    acc_store_t *store;
    acc_link_t *link;
    acc_loop_t *loop;
    fake_t *fake[2];
    uint64_t next_k[2]; /* the test's own count of envelopes committed per peer */
    /* control timer */
    volatile sig_atomic_t stop;
    s_cond_fn cond;
    void (*tick)(ctx_t *c);
    int64_t deadline;
    uint64_t want;
    size_t ticks_left;
    acc_link_t *xlink; /* test_curve: the stranger's link */
    acc_zap_t *zap;    /* test_curve: the receiver's ZAP handler */
};

static void
s_ctx_init(ctx_t *c)
{
    memset(c, 0, sizeof *c);
    c->dir = acc_test_tmpdir();
    c->zctx = zmq_ctx_new();
    assert_non_null(c->zctx);
}

static void
s_open_store(ctx_t *c)
{
    char path[512];
    snprintf(path, sizeof path, "%s/sender", c->dir);
    acc_store_opts_t o = {.tables = s_stables};
    assert_int_equal(acc_store_open(path, &o, &c->store, NULL), ACC_OK);
}

static void
s_endpoint(const ctx_t *c, const char *name, char *buf, size_t len)
{
    snprintf(buf, len, "ipc://%s/%s.sock", c->dir, name);
}

static acc_err
s_ctl(acc_loop_t *loop, void *arg)
{
    (void)loop;
    ctx_t *c = arg;
    if (c->tick)
        c->tick(c);
    if ((c->cond && c->cond(c)) || acc_loop_now_ms() >= c->deadline)
        c->stop = 1;
    return ACC_OK;
}

/* s_start — a loop with the fake receivers' sockets, the link and the control timer. */
static void
s_start(ctx_t *c)
{
    assert_int_equal(acc_loop_new(&c->loop), ACC_OK);
    for (int i = 0; i < 2; i++)
        if (c->fake[i])
            assert_int_equal(
                acc_loop_add_socket(c->loop, c->fake[i]->router, s_fake_on_readable, c->fake[i]),
                ACC_OK);
    assert_int_equal(acc_link_attach(c->link, c->loop), ACC_OK);
    assert_int_equal(acc_loop_add_timer(c->loop, 2, s_ctl, c), ACC_OK);
}

/* s_run — run the loop until @cond holds (true) or @ms pass (@cond's value then). */
static bool
s_run(ctx_t *c, s_cond_fn cond, int ms)
{
    c->cond = cond;
    c->deadline = acc_loop_now_ms() + ms;
    c->stop = 0;
    assert_int_equal(acc_loop_run(c->loop, &c->stop), ACC_OK);
    return cond ? cond(c) : true;
}

static void
s_ctx_fini(ctx_t *c)
{
    acc_link_destroy(&c->link);
    acc_loop_destroy(&c->loop);
    for (int i = 0; i < 2; i++)
        s_fake_destroy(&c->fake[i]);
    acc_store_destroy(&c->store);
    zmq_ctx_term(c->zctx);
    acc_test_rmtree(c->dir);
}

static acc_link_peer_status_t
s_status(const ctx_t *c, size_t i)
{
    acc_link_peer_status_t st;
    assert_int_equal(acc_link_status(c->link, i, &st), ACC_OK);
    return st;
}

static uint64_t
s_count(acc_store_t *store, const char *table)
{
    acc_table t;
    acc_txn_t *txn = NULL;
    uint64_t n = 0;
    assert_int_equal(acc_store_table(store, table, &t), ACC_OK);
    assert_int_equal(acc_store_read_begin(store, &txn), ACC_OK);
    assert_int_equal(acc_store_count(txn, t, &n), ACC_OK);
    acc_store_read_end(&txn);
    return n;
}

/* --- enqueueing ----------------------------------------------------------------------- */

typedef struct {
    ctx_t *c;
    const char *peers[2];
    size_t n_peers;
    size_t n;
    const char *category; /* "ok", or anything else for envelopes that must never arrive */
    bool fail;            /* end the transaction with an error (it aborts) */
    size_t pad;           /* bytes of description per envelope */
    int runs;             /* how many times acc_store_write ran the transaction */
} batch_t;

static acc_err
s_batch_fn(acc_txn_t *txn, void *arg)
{
    batch_t *b = arg;
    b->runs++;
    char *pad = calloc(1, b->pad + 1);
    assert_non_null(pad);
    memset(pad, 'p', b->pad);
    for (size_t j = 0; j < b->n_peers; j++) {
        for (size_t i = 0; i < b->n; i++) {
            uint64_t k = b->c->next_k[j] + 1 + i;
            char url[64];
            snprintf(url, sizeof url, "https://example.org/%" PRIu64, k);
            Accord__V1__Report rep = ACCORD__V1__REPORT__INIT;
            rep.url = url;
            rep.category = (char *)b->category;
            rep.description = pad;
            Accord__V1__Envelope env = ACCORD__V1__ENVELOPE__INIT;
            env.body_case = ACCORD__V1__ENVELOPE__BODY_REPORT;
            env.report = &rep;
            acc_err err = acc_link_enqueue(b->c->link, txn, b->peers[j], &env);
            if (err != ACC_OK) {
                free(pad);
                return err;
            }
            /* gapless: the link numbers exactly as the test counts, aborts included */
            assert_int_equal(env.sequence, k);
            assert_string_equal(env.origin, ORIGIN);
            assert_int_equal(strlen(env.id), ACC_UUID_TEXT_LEN);
        }
    }
    free(pad);
    return b->fail ? ACC_ERR_INVALID : ACC_OK;
}

static void
s_enqueue_peers(ctx_t *c, const char *p0, const char *p1, size_t n)
{
    batch_t b = {.c = c, .peers = {p0, p1}, .n_peers = p1 ? 2 : 1, .n = n, .category = "ok"};
    assert_int_equal(acc_store_write(c->store, s_batch_fn, &b), ACC_OK);
    acc_link_committed(c->link);
    c->next_k[0] += n;
    if (p1)
        c->next_k[1] += n;
}

static void
s_enqueue(ctx_t *c, size_t n)
{
    s_enqueue_peers(c, "peer", NULL, n);
}

static acc_link_opts_t
s_opts(uint32_t window, uint32_t rmin, uint32_t rmax, uint32_t timeout)
{
    return (acc_link_opts_t){.agency = ORIGIN,
                             .window = window,
                             .retry_min_ms = rmin,
                             .retry_max_ms = rmax,
                             .timeout_ms = timeout};
}

/* One peer "peer" on ipc @dir/peer.sock, with a fake receiver bound there unless @down. */
static void
s_setup_one(ctx_t *c, const acc_link_opts_t *o, bool down)
{
    char ep[512];
    s_ctx_init(c);
    s_open_store(c);
    s_endpoint(c, "peer", ep, sizeof ep);
    c->fake[0] = s_fake_new(c->zctx, c->dir, "receiver", down ? NULL : ep);
    acc_link_peer_t peer = {.agency = "peer", .endpoint = ep};
    assert_int_equal(acc_link_new(c->zctx, c->store, &peer, 1, o, &c->link, NULL), ACC_OK);
}

static bool
s_acked_want(ctx_t *c)
{
    return s_status(c, 0).acked >= c->want;
}

/* --- tests ---------------------------------------------------------------------------- */

static void
test_inbound(void **state)
{
    (void)state;
    char *dir = acc_test_tmpdir();
    acc_store_t *st = NULL;
    acc_store_opts_t o = {.tables = s_rtables};
    assert_int_equal(acc_store_open(dir, &o, &st, NULL), ACC_OK);
    acc_table t;
    assert_int_equal(acc_store_table(st, "inbound", &t), ACC_OK);
    acc_txn_t *txn = NULL;
    assert_int_equal(acc_store_read_begin(st, &txn), ACC_OK);
    assert_int_equal(acc_link_inbound_check(txn, t, "a", 1),
                     ACCORD__V1__DELIVERY_STATUS__DELIVERY_STATUS_OK);
    assert_int_equal(acc_link_inbound_check(txn, t, "a", 2),
                     ACCORD__V1__DELIVERY_STATUS__DELIVERY_STATUS_RETRY);
    assert_int_equal(acc_link_inbound_check(txn, t, "a", 0),
                     ACCORD__V1__DELIVERY_STATUS__DELIVERY_STATUS_REJECTED);
    assert_int_equal(acc_link_inbound_check(txn, t, "", 1),
                     ACCORD__V1__DELIVERY_STATUS__DELIVERY_STATUS_REJECTED);
    assert_int_equal(acc_link_inbound_check(txn, t, "an-agency-name-longer-than-32-bytes", 1),
                     ACCORD__V1__DELIVERY_STATUS__DELIVERY_STATUS_REJECTED);
    acc_store_read_end(&txn);
    acc_store_destroy(&st);
    acc_test_rmtree(dir);
}

/* The mark needs a write transaction: run the checks of test_inbound that write here. */
typedef struct {
    acc_table t;
    int step;
} inb_t;

static acc_err
s_inbound_write(acc_txn_t *txn, void *arg)
{
    inb_t *x = arg;
    acc_err err;
    if (x->step == 0) {
        if ((err = acc_link_inbound_mark(txn, x->t, "a", 1)) != ACC_OK)
            return err;
        assert_int_equal(acc_link_inbound_mark(txn, x->t, "a", 0), ACC_ERR_INVALID);
        assert_int_equal(acc_link_inbound_mark(txn, x->t, "", 5), ACC_ERR_INVALID);
        return acc_link_inbound_mark(txn, x->t, "b", 7);
    }
    assert_int_equal(acc_link_inbound_check(txn, x->t, "a", 1),
                     ACCORD__V1__DELIVERY_STATUS__DELIVERY_STATUS_DUPLICATE);
    assert_int_equal(acc_link_inbound_check(txn, x->t, "a", 2),
                     ACCORD__V1__DELIVERY_STATUS__DELIVERY_STATUS_OK);
    assert_int_equal(acc_link_inbound_check(txn, x->t, "a", 3),
                     ACCORD__V1__DELIVERY_STATUS__DELIVERY_STATUS_RETRY);
    assert_int_equal(acc_link_inbound_check(txn, x->t, "b", 7),
                     ACCORD__V1__DELIVERY_STATUS__DELIVERY_STATUS_DUPLICATE);
    assert_int_equal(acc_link_inbound_check(txn, x->t, "b", 8),
                     ACCORD__V1__DELIVERY_STATUS__DELIVERY_STATUS_OK);
    assert_int_equal(acc_link_inbound_check(txn, x->t, "c", 1),
                     ACCORD__V1__DELIVERY_STATUS__DELIVERY_STATUS_OK);
    return ACC_OK;
}

static void
test_inbound_mark(void **state)
{
    (void)state;
    char *dir = acc_test_tmpdir();
    acc_store_t *st = NULL;
    acc_store_opts_t o = {.tables = s_rtables};
    assert_int_equal(acc_store_open(dir, &o, &st, NULL), ACC_OK);
    inb_t x = {0};
    assert_int_equal(acc_store_table(st, "inbound", &x.t), ACC_OK);
    assert_int_equal(acc_store_write(st, s_inbound_write, &x), ACC_OK);
    acc_store_destroy(&st); /* the marks are durable: reopen */
    assert_int_equal(acc_store_open(dir, &o, &st, NULL), ACC_OK);
    x.step = 1;
    assert_int_equal(acc_store_write(st, s_inbound_write, &x), ACC_OK);
    acc_store_destroy(&st);
    acc_test_rmtree(dir);
}

static void
test_new_invalid(void **state)
{
    (void)state;
    ctx_t c;
    s_ctx_init(&c);
    s_open_store(&c);
    char ep[512];
    s_endpoint(&c, "peer", ep, sizeof ep);
    acc_link_opts_t o = s_opts(0, 0, 0, 0);
    acc_errinfo_t ei;
    acc_link_t *l = NULL;

    acc_link_peer_t tcp = {.agency = "peer", .endpoint = "tcp://127.0.0.1:5555"};
    assert_int_equal(acc_link_new(c.zctx, c.store, &tcp, 1, &o, &l, &ei), ACC_ERR_INVALID);
    assert_string_equal(ei.field, "peer");
    acc_link_peer_t two[2] = {{.agency = "peer", .endpoint = ep},
                              {.agency = "peer", .endpoint = ep}};
    assert_int_equal(acc_link_new(c.zctx, c.store, two, 2, &o, &l, &ei), ACC_ERR_INVALID);
    acc_link_peer_t bogus = {.agency = "peer", .endpoint = "bogus://x"};
    assert_int_equal(acc_link_new(c.zctx, c.store, &bogus, 1, &o, &l, &ei), ACC_ERR_INVALID);
    assert_string_equal(ei.field, "peer");
    char srv_pub[41], srv_sec[41];
    assert_int_equal(zmq_curve_keypair(srv_pub, srv_sec), 0);
    acc_link_peer_t keyed = {.agency = "peer", .endpoint = ep, .public_key = srv_pub};
    assert_int_equal(acc_link_new(c.zctx, c.store, &keyed, 1, &o, &l, &ei), ACC_ERR_INVALID);
    acc_link_peer_t ok = {.agency = "peer", .endpoint = ep};
    acc_link_opts_t big = s_opts(ACC_LINK_WINDOW_MAX + 1, 0, 0, 0);
    assert_int_equal(acc_link_new(c.zctx, c.store, &ok, 1, &big, &l, &ei), ACC_ERR_INVALID);
    acc_link_opts_t inv = s_opts(0, 500, 100, 0);
    assert_int_equal(acc_link_new(c.zctx, c.store, &ok, 1, &inv, &l, &ei), ACC_ERR_INVALID);
    assert_null(l);

    /* a store without the link tables */
    char path[512];
    snprintf(path, sizeof path, "%s/other", c.dir);
    acc_store_t *other = NULL;
    acc_store_opts_t so = {.tables = s_rtables};
    assert_int_equal(acc_store_open(path, &so, &other, NULL), ACC_OK);
    assert_int_equal(acc_link_new(c.zctx, other, &ok, 1, &o, &l, &ei), ACC_ERR_INVALID);
    assert_string_equal(ei.field, "link_queue");
    acc_store_destroy(&other);

    /* enqueue errors change nothing */
    assert_int_equal(acc_link_new(c.zctx, c.store, &ok, 1, &o, &c.link, &ei), ACC_OK);
    batch_t b = {.c = &c, .peers = {"nobody"}, .n_peers = 1, .n = 1, .category = "ok"};
    assert_int_equal(acc_store_write(c.store, s_batch_fn, &b), ACC_ERR_NOT_FOUND);
    acc_link_aborted(c.link);
    assert_int_equal(s_status(&c, 0).enqueued, 0);
    acc_link_peer_status_t st;
    assert_int_equal(acc_link_status(c.link, 1, &st), ACC_ERR_NOT_FOUND);
    assert_int_equal(s_count(c.store, "link_queue"), 0);
    assert_int_equal(s_count(c.store, "link_state"), 0);
    s_ctx_fini(&c);
}

typedef struct {
    acc_link_t *link;
    size_t body_len;
    bool no_body;
} big_t;

static acc_err
s_big_fn(acc_txn_t *txn, void *arg)
{
    big_t *b = arg;
    char *text = malloc(b->body_len + 1);
    assert_non_null(text);
    memset(text, 'x', b->body_len);
    text[b->body_len] = 0;
    Accord__V1__Report rep = ACCORD__V1__REPORT__INIT;
    rep.text = text;
    Accord__V1__Envelope env = ACCORD__V1__ENVELOPE__INIT;
    if (!b->no_body) {
        env.body_case = ACCORD__V1__ENVELOPE__BODY_REPORT;
        env.report = &rep;
    }
    acc_err err = acc_link_enqueue(b->link, txn, "peer", &env);
    free(text);
    return err;
}

static void
test_enqueue_refused(void **state)
{
    (void)state;
    ctx_t c;
    acc_link_opts_t o = s_opts(0, 0, 0, 0);
    s_setup_one(&c, &o, true);
    big_t b = {.link = c.link, .body_len = ACC_LINK_ENVELOPE_MAX};
    assert_int_equal(acc_store_write(c.store, s_big_fn, &b), ACC_ERR_TOO_LARGE);
    acc_link_aborted(c.link);
    b.body_len = 10;
    b.no_body = true;
    assert_int_equal(acc_store_write(c.store, s_big_fn, &b), ACC_ERR_INVALID);
    acc_link_aborted(c.link);
    assert_int_equal(s_status(&c, 0).enqueued, 0);
    assert_int_equal(s_count(c.store, "link_queue"), 0);
    s_ctx_fini(&c);
}

/* 5,000 envelopes enqueued 100 per transaction while deliveries run. */
static void
s_tick_enqueue(ctx_t *c)
{
    if (c->ticks_left > 0) {
        c->ticks_left--;
        s_enqueue(c, 100);
    }
}

static bool
s_all_5000(ctx_t *c)
{
    return c->fake[0]->n_got >= 5000 && s_status(c, 0).acked == 5000;
}

static void
test_in_order_5000(void **state)
{
    (void)state;
    ctx_t c;
    acc_link_opts_t o = s_opts(0, 50, 400, 2000);
    s_setup_one(&c, &o, false);
    s_start(&c);
    c.ticks_left = 50;
    c.tick = s_tick_enqueue;
    assert_true(s_run(&c, s_all_5000, WAIT_MS));
    fake_t *f = c.fake[0];
    s_assert_got_seq(f, 1, 5000, 0);
    assert_int_equal(f->n_bad, 0);
    assert_int_equal(f->n_dup, 0);
    assert_true(f->max_batch > 1 && f->max_batch <= 256);
    assert_true(f->n_deliver < 5000 && f->n_deliver >= 5000 / 256);
    acc_link_peer_status_t st = s_status(&c, 0);
    assert_string_equal(st.agency, "peer");
    assert_int_equal(st.enqueued, 5000);
    assert_int_equal(st.acked, 5000);
    assert_int_equal(st.parked, 0);
    assert_int_equal(st.attempts, 0);
    assert_true(st.last_ok_ms > 0);
    assert_int_equal(s_count(c.store, "link_queue"), 0);
    s_ctx_fini(&c);
}

typedef struct {
    uint64_t seqs[8];
    char reasons[8][64];
    size_t n;
} parked_t;

static void
s_parked_cb(const Accord__V1__Envelope *env, const char *reason, void *arg)
{
    parked_t *p = arg;
    assert_true(p->n < 8);
    assert_true(s_envelope_ok(env));
    p->seqs[p->n] = env->sequence;
    snprintf(p->reasons[p->n], sizeof p->reasons[p->n], "%s", reason);
    p->n++;
}

static acc_err
s_seed_fn(acc_txn_t *txn, void *arg)
{
    fake_t *f = arg;
    return acc_link_inbound_mark(txn, f->t_in, ORIGIN, 10);
}

/* The receiver already has 1..10 (DUPLICATE), refuses 20 for good (parked, never resent). */
static void
test_duplicate_and_rejected(void **state)
{
    (void)state;
    ctx_t c;
    acc_link_opts_t o = s_opts(16, 50, 400, 2000);
    s_setup_one(&c, &o, false);
    fake_t *f = c.fake[0];
    assert_int_equal(acc_store_write(f->store, s_seed_fn, f), ACC_OK);
    f->reject_seq = 20;
    s_start(&c);
    s_enqueue(&c, 40);
    c.want = 40;
    assert_true(s_run(&c, s_acked_want, WAIT_MS));
    s_assert_got_seq(f, 11, 40, 20);
    assert_int_equal(f->n_dup, 10);
    assert_int_equal(f->n_rej, 1);
    assert_int_equal(f->n_bad, 0);
    assert_true(f->max_batch <= 16);
    acc_link_peer_status_t st = s_status(&c, 0);
    assert_int_equal(st.acked, 40);
    assert_int_equal(st.parked, 1);
    assert_int_equal(st.attempts, 0);

    parked_t p = {0};
    assert_int_equal(acc_link_parked(c.link, "peer", 0, s_parked_cb, &p), ACC_OK);
    assert_int_equal(p.n, 1);
    assert_int_equal(p.seqs[0], 20);
    assert_string_equal(p.reasons[0], "unknown case");
    memset(&p, 0, sizeof p);
    assert_int_equal(acc_link_parked(c.link, "peer", 20, s_parked_cb, &p), ACC_OK);
    assert_int_equal(p.n, 0);
    assert_int_equal(acc_link_parked(c.link, "nobody", 0, s_parked_cb, &p), ACC_ERR_NOT_FOUND);
    assert_int_equal(s_count(c.store, "link_queue"), 0);
    assert_int_equal(s_count(c.store, "link_parked"), 1);

    /* nothing is ever sent again, not even the parked one */
    size_t delivers = f->n_deliver;
    s_run(&c, NULL, 300);
    assert_int_equal(f->n_deliver, delivers);
    s_ctx_fini(&c);
}

/* Deliver 1 is committed but never answered (timeout, resend: DUPLICATE); the answer to
 * Deliver 2 names the wrong sequences (a failed attempt: nothing acked, resent again). */
static void
test_timeout_and_bad_answer(void **state)
{
    (void)state;
    ctx_t c;
    acc_link_opts_t o = s_opts(0, 50, 200, 300);
    s_setup_one(&c, &o, false);
    fake_t *f = c.fake[0];
    f->swallow = 1;
    f->bad_acks = 1;
    s_start(&c);
    s_enqueue(&c, 30);
    c.want = 30;
    assert_true(s_run(&c, s_acked_want, WAIT_MS));
    s_assert_got_seq(f, 1, 30, 0);
    assert_int_equal(f->n_deliver, 3);
    assert_int_equal(f->first_seq[1], 1);
    assert_int_equal(f->first_seq[2], 1); /* the bad answer acked nothing */
    assert_true(f->at_ms[1] - f->at_ms[0] >= 300);
    assert_int_equal(f->n_dup, 60);
    assert_int_equal(f->n_bad, 0);
    acc_link_peer_status_t st = s_status(&c, 0);
    assert_int_equal(st.acked, 30);
    assert_int_equal(st.attempts, 0);
    assert_true(st.last_error[0] != 0);
    s_ctx_fini(&c);
}

/* The receiver answers RETRY from sequence 50 once (a gap): back-off, resend from 50. */
static void
test_retry_gap(void **state)
{
    (void)state;
    ctx_t c;
    acc_link_opts_t o = s_opts(32, 100, 400, 2000);
    s_setup_one(&c, &o, false);
    fake_t *f = c.fake[0];
    f->retry_seq = 50;
    s_start(&c);
    s_enqueue(&c, 200);
    c.want = 200;
    assert_true(s_run(&c, s_acked_want, WAIT_MS));
    s_assert_got_seq(f, 1, 200, 0);
    assert_int_equal(f->n_retry, 15); /* 50..64 of the Deliver 33..64 */
    assert_int_equal(f->n_dup, 0);
    size_t i = 0;
    while (i < f->n_deliver && f->first_seq[i] != 33)
        i++;
    assert_true(i + 1 < f->n_deliver);
    assert_int_equal(f->first_seq[i + 1], 50);
    assert_true(f->at_ms[i + 1] - f->retry_at_ms >= 75); /* retry_min - 25% */
    assert_int_equal(s_status(&c, 0).attempts, 0);
    s_ctx_fini(&c);
}

static bool
s_one_attempt(ctx_t *c)
{
    return s_status(c, 0).attempts >= 1;
}

/* No receiver at all for a while, then one binds: everything arrives once, in order, and
 * without waiting out the back-off: a connection coming up ends a back-off that only "not
 * connected" caused. The back-off is HUGE_BACKOFF_MS, far beyond the WAIT_MS the delivery
 * is given, so waiting it out fails the test whatever the machine's speed. */
static void
test_peer_down_then_up(void **state)
{
    (void)state;
    ctx_t c;
    acc_link_opts_t o = s_opts(0, HUGE_BACKOFF_MS, HUGE_BACKOFF_MS, 2000);
    s_setup_one(&c, &o, true);
    fake_t *f = c.fake[0];
    s_start(&c);
    for (int i = 0; i < 5; i++)
        s_enqueue(&c, 100);
    assert_true(s_run(&c, s_one_attempt, WAIT_MS));
    acc_link_peer_status_t st = s_status(&c, 0);
    assert_int_equal(st.acked, 0);
    assert_int_equal(st.enqueued, 500);
    assert_true(st.last_error[0] != 0);
    assert_int_equal(st.last_ok_ms, 0);
    assert_int_equal(f->n_deliver, 0);

    char ep[512];
    s_endpoint(&c, "peer", ep, sizeof ep);
    int64_t t0 = acc_loop_now_ms();
    assert_int_equal(zmq_bind(f->router, ep), 0);
    c.want = 500;
    assert_true(s_run(&c, s_acked_want, WAIT_MS));
    int64_t took = acc_loop_now_ms() - t0;
    print_message("peer up: 500 envelopes delivered %" PRId64 " ms after it bound\n", took);
    s_assert_got_seq(f, 1, 500, 0);
    assert_int_equal(f->n_dup, 0);
    assert_int_equal(s_status(&c, 0).attempts, 0);
    s_ctx_fini(&c);
}

static bool
s_swallowed(ctx_t *c)
{
    return c->fake[0]->n_swallowed >= 1;
}

/* The sender goes away without the acks of its last Deliver (which the receiver committed)
 * and with one more in flight; reopened, it resumes from acked+1. */
static void
test_sender_crash(void **state)
{
    (void)state;
    ctx_t c;
    acc_link_opts_t o = s_opts(0, 50, 200, 2000);
    s_setup_one(&c, &o, false);
    fake_t *f = c.fake[0];
    f->swallow = 1000;
    f->swallow_from_got = 1000;
    s_start(&c);
    for (int i = 0; i < 6; i++)
        s_enqueue(&c, 500);
    assert_true(s_run(&c, s_swallowed, WAIT_MS));
    uint64_t acked = s_status(&c, 0).acked;
    assert_true(acked > 0 && acked < f->n_got);
    assert_true(f->n_got < 3000);

    /* crash: everything in memory and in the sockets is gone */
    acc_link_destroy(&c.link);
    acc_loop_destroy(&c.loop);
    acc_store_destroy(&c.store);
    f->swallow = 0;

    s_open_store(&c);
    char ep[512];
    s_endpoint(&c, "peer", ep, sizeof ep);
    acc_link_peer_t peer = {.agency = "peer", .endpoint = ep};
    assert_int_equal(acc_link_new(c.zctx, c.store, &peer, 1, &o, &c.link, NULL), ACC_OK);
    acc_link_peer_status_t st = s_status(&c, 0);
    assert_int_equal(st.acked, acked);
    assert_int_equal(st.enqueued, 3000);
    s_start(&c);
    s_enqueue(&c, 500); /* numbering goes on from 3001 (checked in s_batch_fn) */
    c.want = 3500;
    assert_true(s_run(&c, s_acked_want, WAIT_MS));
    s_assert_got_seq(f, 1, 3500, 0);
    assert_true(f->n_dup >= 1);
    assert_int_equal(f->n_bad, 0);
    assert_int_equal(s_count(c.store, "link_queue"), 0);
    s_ctx_fini(&c);
}

static bool
s_up_done(ctx_t *c)
{
    return s_status(c, 1).acked >= 1000;
}

/* Two peers, one never there: the other's deliveries do not wait for the dead one's
 * back-off (HUGE_BACKOFF_MS, far beyond the WAIT_MS they are given). */
static void
test_two_peers_one_down(void **state)
{
    (void)state;
    ctx_t c;
    s_ctx_init(&c);
    s_open_store(&c);
    char ep_down[512], ep_up[512];
    s_endpoint(&c, "down", ep_down, sizeof ep_down);
    s_endpoint(&c, "up", ep_up, sizeof ep_up);
    c.fake[0] = s_fake_new(c.zctx, c.dir, "receiver", ep_up);
    acc_link_peer_t peers[2] = {{.agency = "down", .endpoint = ep_down},
                                {.agency = "up", .endpoint = ep_up}};
    acc_link_opts_t o = s_opts(0, HUGE_BACKOFF_MS, HUGE_BACKOFF_MS, 5000);
    assert_int_equal(acc_link_new(c.zctx, c.store, peers, 2, &o, &c.link, NULL), ACC_OK);
    s_start(&c);
    int64_t t0 = acc_loop_now_ms();
    for (int i = 0; i < 4; i++)
        s_enqueue_peers(&c, "down", "up", 250);
    assert_true(s_run(&c, s_up_done, WAIT_MS));
    int64_t took = acc_loop_now_ms() - t0;
    print_message("two peers: 1000 envelopes to the live peer in %" PRId64 " ms\n", took);
    s_assert_got_seq(c.fake[0], 1, 1000, 0);
    acc_link_peer_status_t down = s_status(&c, 0), up = s_status(&c, 1);
    assert_string_equal(down.agency, "down");
    assert_true(down.attempts >= 1);
    assert_int_equal(down.acked, 0);
    assert_int_equal(down.enqueued, 1000);
    assert_int_equal(up.attempts, 0);
    s_ctx_fini(&c);
}

/* An aborted transaction sends nothing and leaves no gap in the numbering. */
static void
test_aborted(void **state)
{
    (void)state;
    ctx_t c;
    acc_link_opts_t o = s_opts(0, 50, 200, 2000);
    s_setup_one(&c, &o, false);
    fake_t *f = c.fake[0];
    s_start(&c);
    batch_t b = {
        .c = &c, .peers = {"peer"}, .n_peers = 1, .n = 3, .category = "aborted", .fail = true};
    assert_int_equal(acc_store_write(c.store, s_batch_fn, &b), ACC_ERR_INVALID);
    acc_link_aborted(c.link);
    s_run(&c, NULL, 300);
    assert_int_equal(f->n_deliver, 0);
    assert_int_equal(s_status(&c, 0).enqueued, 0);
    assert_int_equal(s_count(c.store, "link_queue"), 0);

    s_enqueue(&c, 3); /* sequences 1, 2, 3 again (asserted in s_batch_fn) */
    c.want = 3;
    assert_true(s_run(&c, s_acked_want, WAIT_MS));
    s_assert_got_seq(f, 1, 3, 0);
    assert_int_equal(f->n_bad, 0); /* no "aborted" envelope arrived */
    s_ctx_fini(&c);
}

/* A map too small for the transaction: acc_store_write grows it and runs the transaction
 * again; the enqueues of the rerun get the same sequences (no gap, nothing twice). The
 * envelopes are large, so Delivers are cut by size rather than by the window. */
static void
test_rerun_on_map_growth(void **state)
{
    (void)state;
    ctx_t c;
    s_ctx_init(&c);
    char path[512], ep[512];
    snprintf(path, sizeof path, "%s/sender", c.dir);
    acc_store_opts_t so = {.tables = s_stables, .map_size = 256 * 1024};
    assert_int_equal(acc_store_open(path, &so, &c.store, NULL), ACC_OK);
    s_endpoint(&c, "peer", ep, sizeof ep);
    c.fake[0] = s_fake_new(c.zctx, c.dir, "receiver", ep);
    acc_link_peer_t peer = {.agency = "peer", .endpoint = ep};
    acc_link_opts_t o = s_opts(0, 50, 200, 2000);
    assert_int_equal(acc_link_new(c.zctx, c.store, &peer, 1, &o, &c.link, NULL), ACC_OK);
    s_start(&c);
    batch_t b = {.c = &c,
                 .peers = {"peer"},
                 .n_peers = 1,
                 .n = 100,
                 .category = "ok",
                 .pad = 20000}; /* 2 MB: over LMDB's 1 MiB default map as well */
    assert_int_equal(acc_store_write(c.store, s_batch_fn, &b), ACC_OK); /* seqs checked */
    acc_link_committed(c.link);
    c.next_k[0] += 100;
    assert_true(b.runs >= 2);
    assert_true(acc_store_map_size(c.store) > 256 * 1024);
    s_enqueue(&c, 1); /* and the next one is 101 */
    c.want = 101;
    assert_true(s_run(&c, s_acked_want, WAIT_MS));
    s_assert_got_seq(c.fake[0], 1, 101, 0);
    assert_int_equal(c.fake[0]->n_bad, 0);
    /* a Deliver stays under ACC_LINK_MSG_MAX: about 50 of these per message, not 256 */
    assert_true(c.fake[0]->max_batch <= ACC_LINK_MSG_MAX / 20000);
    assert_true(c.fake[0]->n_deliver >= 2);
    s_ctx_fini(&c);
}

static bool
s_stranger_tried(ctx_t *c)
{
    acc_link_peer_status_t xs;
    unsigned long admitted = 0, refused = 0;
    acc_zap_stats(c->zap, &admitted, &refused);
    return acc_link_status(c->xlink, 0, &xs) == ACC_OK && xs.attempts >= 1 && refused >= 1;
}

/* CURVE: the receiver's ZAP handler admits the sender's key as agency "sender", and every
 * Deliver carries that User-Id; a stranger's key claiming the same agency gets nothing in. */
static void
test_curve(void **state)
{
    (void)state;
    ctx_t c;
    s_ctx_init(&c);
    s_open_store(&c);
    char spub[41], ssec[41], cpub[41], csec[41], xpub[41], xsec[41];
    assert_int_equal(zmq_curve_keypair(spub, ssec), 0);
    assert_int_equal(zmq_curve_keypair(cpub, csec), 0);
    assert_int_equal(zmq_curve_keypair(xpub, xsec), 0);
    acc_zap_peer_t zp;
    memset(&zp, 0, sizeof zp);
    snprintf(zp.public_key, sizeof zp.public_key, "%s", cpub);
    snprintf(zp.agency, sizeof zp.agency, "%s", ORIGIN);
    acc_zap_t *zap = NULL;
    assert_int_equal(acc_zap_new(c.zctx, &zp, 1, &zap, NULL), ACC_OK);

    fake_t *f = s_fake_new(c.zctx, c.dir, "receiver", NULL);
    c.fake[0] = f;
    f->user = ORIGIN;
    assert_int_equal(acc_curve_server(f->router, ssec), ACC_OK);
    assert_int_equal(zmq_bind(f->router, "tcp://127.0.0.1:*"), 0);
    char ep[256];
    size_t len = sizeof ep;
    assert_int_equal(zmq_getsockopt(f->router, ZMQ_LAST_ENDPOINT, ep, &len), 0);

    acc_link_peer_t peer = {.agency = "peer", .endpoint = ep, .public_key = spub};
    acc_link_opts_t o = s_opts(0, 50, 200, 2000);
    o.public_key = cpub;
    o.secret_key = csec;
    assert_int_equal(acc_link_new(c.zctx, c.store, &peer, 1, &o, &c.link, NULL), ACC_OK);
    s_start(&c);

    /* the stranger: its own store, a key the ZAP handler does not know */
    char path[512];
    snprintf(path, sizeof path, "%s/stranger", c.dir);
    acc_store_t *xstore = NULL;
    acc_store_opts_t so = {.tables = s_stables};
    assert_int_equal(acc_store_open(path, &so, &xstore, NULL), ACC_OK);
    acc_link_opts_t xo = o;
    xo.public_key = xpub;
    xo.secret_key = xsec;
    acc_link_t *xlink = NULL;
    assert_int_equal(acc_link_new(c.zctx, xstore, &peer, 1, &xo, &xlink, NULL), ACC_OK);
    assert_int_equal(acc_link_attach(xlink, c.loop), ACC_OK);
    ctx_t xc = c; /* enqueue through the stranger with the helpers */
    xc.store = xstore;
    xc.link = xlink;
    s_enqueue(&xc, 5);
    c.xlink = xlink;
    c.zap = zap;

    s_enqueue(&c, 20);
    c.want = 20;
    assert_true(s_run(&c, s_acked_want, WAIT_MS));
    assert_true(s_run(&c, s_stranger_tried, WAIT_MS)); /* the stranger has tried */
    s_assert_got_seq(f, 1, 20, 0);
    assert_true(f->n_deliver >= 1);
    assert_int_equal(f->n_user_ok, f->n_deliver);
    assert_int_equal(f->n_bad, 0);
    acc_link_peer_status_t xs;
    assert_int_equal(acc_link_status(xlink, 0, &xs), ACC_OK);
    assert_int_equal(xs.acked, 0);
    assert_true(xs.attempts >= 1);
    unsigned long admitted = 0, refused = 0;
    acc_zap_stats(zap, &admitted, &refused);
    assert_true(admitted >= 1);
    assert_true(refused >= 1);

    acc_link_destroy(&xlink);
    acc_store_destroy(&xstore);
    acc_link_destroy(&c.link);
    s_fake_destroy(&c.fake[0]);
    acc_zap_destroy(&zap);
    s_ctx_fini(&c);
}

int
main(void)
{
    acc_log_set_level(ACC_LOG_ERROR);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_inbound),
        cmocka_unit_test(test_inbound_mark),
        cmocka_unit_test(test_new_invalid),
        cmocka_unit_test(test_enqueue_refused),
        cmocka_unit_test(test_in_order_5000),
        cmocka_unit_test(test_duplicate_and_rejected),
        cmocka_unit_test(test_timeout_and_bad_answer),
        cmocka_unit_test(test_retry_gap),
        cmocka_unit_test(test_peer_down_then_up),
        cmocka_unit_test(test_sender_crash),
        cmocka_unit_test(test_two_peers_one_down),
        cmocka_unit_test(test_aborted),
        cmocka_unit_test(test_rerun_on_map_growth),
        cmocka_unit_test(test_curve),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
