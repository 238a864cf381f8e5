/*
 * acc_link — the federation link (see acc_link.h for the contract and ARCHITECTURE.md,
 * "Streams", last paragraph, for the design).
 *
 * Data flow (sender): the caller's write transaction -> acc_link_enqueue stores the packed
 * envelope in link_queue under (peer, seq) and bumps link_state.enqueued -> after the commit
 * acc_link_committed wakes the peer -> one Deliver of up to `window` envelopes from acked+1
 * goes out on the peer's DEALER -> the DeliverResult is checked against what was sent and
 * its acks are applied in one write transaction (queue entries deleted, REJECTED ones moved
 * to link_parked, link_state.acked advanced) -> the next Deliver.
 *
 * Nothing on a socket is trusted to arrive: the queue is on disk, the acked point only moves
 * on the peer's answer, and any failure (no connection, no answer in time, RETRY, an answer
 * that does not match) ends in a back-off and a resend from acked+1. The receiver
 * deduplicates by (origin, sequence), so resending is always safe.
 *
 * Table layouts:
 *   link_queue   peer ‖ 0x00 ‖ seq (u64 BE)  -> packed Envelope
 *   link_state   peer                        -> enqueued, acked, parked (3 × u64 BE)
 *   link_parked  peer ‖ 0x00 ‖ seq (u64 BE)  -> reason ‖ 0x00 ‖ packed Envelope
 *   (receiver)   origin                      -> last committed seq (u64 BE)
 */
#include "acc_link.h"

#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "acc_codec.h"
#include "acc_curve.h"
#include "acc_ids.h"
#include "acc_log.h"
#include "accord/v1/control.pb-c.h"

#define S_TAG "link"
#define S_WINDOW_DEFAULT 256
#define S_RETRY_MIN_DEFAULT 200
#define S_RETRY_MAX_DEFAULT 30000
#define S_TIMEOUT_DEFAULT 10000
#define S_KEY_MAX (ACC_AGENCY_MAX + 1 + 8)
#define S_STATE_LEN 24
#define S_SNDHWM 4         /* one Deliver in flight; a few stale ones at most behind it */
#define S_MSGS_PER_WAKE 64 /* then let the loop serve its other sockets */
/* Not-connected failures in a row before they are logged: the first send after start
 * usually races the connection being set up, which is not worth a warning. */
#define S_QUIET_CONNECT_FAILS 3

/* Wire tags of the Deliver request, written by hand (see s_send): (field << 3) | wire type. */
#define S_TAG_REQUEST_ID ((1u << 3) | 0u) /* Request.request_id, varint */
#define S_TAG_DELIVER ((15u << 3) | 2u)   /* Request.deliver, length-delimited */
#define S_TAG_ENVELOPES ((1u << 3) | 2u)  /* Deliver.envelopes, length-delimited */

typedef struct {
    const void *data;
    size_t len;
} s_slice;

typedef struct s_peer {
    acc_link_t *link;
    char agency[ACC_AGENCY_MAX + 1];
    size_t agency_len;
    char endpoint[256];
    void *sock;
    /* committed state, as in link_state */
    uint64_t enqueued, acked, parked;
    /* the value the caller's open transaction wrote, published by acc_link_committed */
    uint64_t w_enqueued;
    bool touched;
    /* the Deliver in flight (req_id 0: none) */
    uint64_t req_id, last_req_id;
    uint64_t fl_first;
    size_t fl_n;
    int64_t deadline_ms;
    /* health */
    uint32_t attempts;
    int64_t next_try_ms;
    bool not_connected; /* the last failure was a local "no connection" */
    bool failing;       /* a failure was logged; log the recovery */
    int64_t last_ok_ms;
    char last_error[160];
} s_peer;

struct acc_link {
    acc_store_t *store;
    acc_table t_queue, t_state, t_parked;
    char agency[ACC_AGENCY_MAX + 1];
    uint32_t window, retry_min, retry_max, timeout;
    s_peer *peers;
    size_t n_peers;
    bool attached;
    acc_uuid_gen_t uuid_gen;
    char id_text[ACC_UUID_TEXT_LEN + 1];
    uint8_t *pack_buf; /* ACC_LINK_ENVELOPE_MAX bytes, for enqueue */
    s_slice *slices;   /* window entries, for s_send */
};

/* --- small helpers ------------------------------------------------------------------ */

static size_t
s_varint_len(uint64_t v)
{
    size_t n = 1;
    while (v >= 0x80) {
        v >>= 7;
        n++;
    }
    return n;
}

static uint8_t *
s_varint_put(uint8_t *p, uint64_t v)
{
    while (v >= 0x80) {
        *p++ = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    *p++ = (uint8_t)v;
    return p;
}

static size_t
s_key(const s_peer *p, uint64_t seq, unsigned char key[S_KEY_MAX])
{
    memcpy(key, p->agency, p->agency_len);
    key[p->agency_len] = 0;
    acc_store_u64_be(seq, key + p->agency_len + 1);
    return p->agency_len + 9;
}

/* The sequence of a queue or parked key of @p, or 0 when the key belongs to another peer. */
static uint64_t
s_key_seq(const s_peer *p, const void *k, size_t kl)
{
    const unsigned char *b = k;
    if (kl != p->agency_len + 9 || memcmp(b, p->agency, p->agency_len) != 0 ||
        b[p->agency_len] != 0)
        return 0;
    return acc_store_be_u64(b + p->agency_len + 1);
}

/* An inbound origin must fit the state key. Whether it is an agency we know is decided
 * before this (the ZAP User-Id, from peers that passed acc_agency_valid at load). */
static bool
s_origin_fits(const char *a)
{
    return a && *a && strlen(a) <= ACC_AGENCY_MAX;
}

typedef struct {
    uint64_t enqueued, acked, parked;
} s_state;

static acc_err
s_state_get(acc_txn_t *txn, acc_table t, const char *agency, size_t alen, s_state *out)
{
    const void *v;
    size_t vl;
    acc_err err = acc_store_get(txn, t, agency, alen, &v, &vl);
    if (err == ACC_ERR_NOT_FOUND) {
        *out = (s_state){0, 0, 0};
        return ACC_OK;
    }
    if (err != ACC_OK)
        return err;
    const unsigned char *b = v;
    s_state st = {acc_store_be_u64(b), acc_store_be_u64(b + 8), acc_store_be_u64(b + 16)};
    if (vl != S_STATE_LEN || st.acked > st.enqueued) {
        acc_log_error(S_TAG, "link state of peer '%.*s' is damaged", (int)alen, agency);
        return ACC_ERR_STORE;
    }
    *out = st;
    return ACC_OK;
}

static acc_err
s_state_put(acc_txn_t *txn, acc_table t, const s_peer *p, const s_state *st)
{
    unsigned char b[S_STATE_LEN];
    acc_store_u64_be(st->enqueued, b);
    acc_store_u64_be(st->acked, b + 8);
    acc_store_u64_be(st->parked, b + 16);
    return acc_store_put(txn, t, p->agency, p->agency_len, b, sizeof b, 0);
}

static s_peer *
s_find(acc_link_t *self, const char *agency)
{
    if (!agency)
        return NULL;
    for (size_t i = 0; i < self->n_peers; i++)
        if (strcmp(self->peers[i].agency, agency) == 0)
            return &self->peers[i];
    return NULL;
}

/* --- health: back-off and logging --------------------------------------------------- */

/* retry_min doubling per consecutive failure up to retry_max, then ±25% from libsodium so
 * that senders that failed together (one peer restart seen by many nodes) spread out. */
static uint32_t
s_backoff_ms(const acc_link_t *self, uint32_t attempts)
{
    uint64_t d = self->retry_min;
    for (uint32_t i = 1; i < attempts && d < self->retry_max; i++)
        d *= 2;
    if (d > self->retry_max)
        d = self->retry_max;
    uint32_t quarter = (uint32_t)(d / 4);
    return (uint32_t)(d - quarter) + randombytes_uniform(2 * quarter + 1);
}

static void s_fail(s_peer *p, bool not_connected, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
s_fail(s_peer *p, bool not_connected, const char *fmt, ...)
{
    acc_link_t *self = p->link;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->last_error, sizeof p->last_error, fmt, ap);
    va_end(ap);
    p->req_id = 0;
    if (p->attempts < UINT32_MAX)
        p->attempts++;
    p->not_connected = not_connected;
    uint32_t delay = s_backoff_ms(self, p->attempts);
    p->next_try_ms = acc_loop_now_ms() + delay;
    if (!p->failing && (!not_connected || p->attempts >= S_QUIET_CONNECT_FAILS)) {
        p->failing = true;
        acc_log_warn(
            S_TAG, "delivery to peer '%s' failing: %s; retrying with back-off up to %" PRIu32 " ms",
            p->agency, p->last_error, self->retry_max);
    } else {
        acc_log_debug(
            S_TAG, "delivery to peer '%s' failed (attempt %" PRIu32 "): %s; next in %" PRIu32 " ms",
            p->agency, p->attempts, p->last_error, delay);
    }
}

static void
s_ok(s_peer *p)
{
    if (p->failing)
        acc_log_info(S_TAG, "delivery to peer '%s' working again after %" PRIu32 " failed attempts",
                     p->agency, p->attempts);
    p->failing = false;
    p->attempts = 0;
    p->not_connected = false;
    p->next_try_ms = 0;
}

/* --- sending ------------------------------------------------------------------------ */

/*
 * s_send — one Deliver from acked+1. The envelopes are already packed in the queue, so the
 * Request is framed around their bytes by hand (three tags and lengths) rather than
 * unpacking and repacking each one: after an outage the whole backlog goes through here.
 * The receiver decodes it with the generated descriptor, which the unit tests do too.
 */
static void
s_send(s_peer *p)
{
    acc_link_t *self = p->link;
    acc_txn_t *txn = NULL;
    acc_cursor_t *cur = NULL;
    zmq_msg_t msg;
    bool msg_open = false;
    unsigned char key[S_KEY_MAX];
    size_t kl = s_key(p, p->acked + 1, key);
    const void *k, *v;
    size_t klen, vlen, n = 0, body = 0;
    uint64_t req_id = p->last_req_id + 1;
    size_t head = 1 + s_varint_len(req_id) + 1 + 10; /* the largest Deliver length varint */

    acc_err err = acc_store_read_begin(self->store, &txn);
    if (err == ACC_OK)
        err = acc_cursor_open(txn, self->t_queue, &cur);
    if (err == ACC_OK)
        err = acc_cursor_seek(cur, key, kl, &k, &klen, &v, &vlen);
    while (err == ACC_OK && n < self->window) {
        uint64_t seq = s_key_seq(p, k, klen);
        if (seq != p->acked + 1 + n)
            break;
        size_t add = 1 + s_varint_len(vlen) + vlen;
        if (n > 0 && head + body + add > ACC_LINK_MSG_MAX)
            break;
        self->slices[n++] = (s_slice){v, vlen};
        body += add;
        err = acc_cursor_next(cur, &k, &klen, &v, &vlen);
    }
    if (err != ACC_OK && err != ACC_ERR_NOT_FOUND) {
        acc_log_error(S_TAG, "cannot read the queue of peer '%s': %s", p->agency,
                      acc_strerror(err));
        s_fail(p, false, "cannot read the queue: %s", acc_strerror(err));
        goto out;
    }
    if (n == 0) {
        /* link_state says there is more, the queue does not have acked+1: a damaged store. */
        acc_log_error(S_TAG, "queue of peer '%s' lacks sequence %" PRIu64, p->agency, p->acked + 1);
        s_fail(p, false, "queue lacks sequence %" PRIu64, p->acked + 1);
        goto out;
    }
    size_t total = 1 + s_varint_len(req_id) + 1 + s_varint_len(body) + body;
    if (zmq_msg_init_size(&msg, total) != 0) {
        s_fail(p, false, "out of memory");
        goto out;
    }
    msg_open = true;
    uint8_t *w = zmq_msg_data(&msg);
    *w++ = S_TAG_REQUEST_ID;
    w = s_varint_put(w, req_id);
    *w++ = S_TAG_DELIVER;
    w = s_varint_put(w, body);
    for (size_t i = 0; i < n; i++) {
        *w++ = S_TAG_ENVELOPES;
        w = s_varint_put(w, self->slices[i].len);
        memcpy(w, self->slices[i].data, self->slices[i].len);
        w += self->slices[i].len;
    }
    assert((size_t)(w - (uint8_t *)zmq_msg_data(&msg)) == total);
    acc_store_read_end(&txn);

    p->last_req_id = req_id;
    /* DONTWAIT with ZMQ_IMMEDIATE: a peer that is not connected (or not reading, at the
     * high-water mark) gives EAGAIN here at once, never a blocked loop. */
    if (zmq_msg_send(&msg, p->sock, ZMQ_DONTWAIT) < 0) {
        int e = zmq_errno();
        if (e == EAGAIN)
            s_fail(p, true, "not connected to '%s'", p->endpoint);
        else
            s_fail(p, false, "cannot send to '%s': %s", p->endpoint, zmq_strerror(e));
        goto out;
    }
    msg_open = false;
    p->req_id = req_id;
    p->fl_first = p->acked + 1;
    p->fl_n = n;
    p->deadline_ms = acc_loop_now_ms() + self->timeout;
out:
    if (msg_open)
        zmq_msg_close(&msg);
    acc_store_read_end(&txn);
}

/* s_connected — with ZMQ_IMMEDIATE a DEALER is writable only once a connection (and its
 * CURVE handshake) is complete: a cheap local probe that needs nothing from the peer. */
static bool
s_connected(const s_peer *p)
{
    int ev = 0;
    size_t len = sizeof ev;
    return zmq_getsockopt(p->sock, ZMQ_EVENTS, &ev, &len) == 0 && (ev & ZMQ_POLLOUT);
}

/* s_pump — send the next Deliver if one is due. A peer in back-off only because it was not
 * connected is tried as soon as its connection is up: the back-off spares the peer, and a
 * local "not connected" cost it nothing. */
static void
s_pump(s_peer *p, int64_t now)
{
    if (p->req_id || p->acked >= p->enqueued)
        return;
    if (now < p->next_try_ms && !(p->not_connected && s_connected(p)))
        return;
    s_send(p);
}

/* --- answers ------------------------------------------------------------------------ */

typedef struct {
    s_peer *p;
    const Accord__V1__DeliverResult *res;
    size_t n_apply;
    s_state st; /* out: the state written */
} s_ackjob;

static size_t
s_reason_len(const char *r)
{
    size_t n = strlen(r);
    if (n <= ACC_LINK_REASON_MAX)
        return n;
    n = ACC_LINK_REASON_MAX;
    while (n > 0 && ((unsigned char)r[n] & 0xC0) == 0x80) /* cut at a character boundary */
        n--;
    return n;
}

/* Runs in a write transaction and may run again (map growth): reads everything from @txn
 * and writes its results into the job only. */
static acc_err
s_apply_acks(acc_txn_t *txn, void *arg)
{
    s_ackjob *job = arg;
    s_peer *p = job->p;
    acc_link_t *self = p->link;
    s_state st;
    acc_err err = s_state_get(txn, self->t_state, p->agency, p->agency_len, &st);
    if (err != ACC_OK)
        return err;
    if (st.acked != p->acked || st.acked + job->n_apply > st.enqueued)
        return ACC_ERR_INTERNAL;
    uint8_t *buf = NULL;
    for (size_t i = 0; i < job->n_apply; i++) {
        const Accord__V1__DeliveryAck *a = job->res->acks[i];
        unsigned char key[S_KEY_MAX];
        size_t kl = s_key(p, a->sequence, key);
        if (a->status == ACCORD__V1__DELIVERY_STATUS__DELIVERY_STATUS_REJECTED) {
            const void *v;
            size_t vl;
            if ((err = acc_store_get(txn, self->t_queue, key, kl, &v, &vl)) != ACC_OK)
                break;
            size_t rl = s_reason_len(a->reason);
            free(buf);
            if (!(buf = malloc(rl + 1 + vl))) {
                err = ACC_ERR_NOMEM;
                break;
            }
            memcpy(buf, a->reason, rl);
            buf[rl] = 0;
            memcpy(buf + rl + 1, v, vl);
            if ((err = acc_store_put(txn, self->t_parked, key, kl, buf, rl + 1 + vl, 0)) != ACC_OK)
                break;
            st.parked++;
        }
        if ((err = acc_store_del(txn, self->t_queue, key, kl)) != ACC_OK)
            break;
    }
    free(buf);
    if (err != ACC_OK)
        return err;
    st.acked += job->n_apply;
    if ((err = s_state_put(txn, self->t_state, p, &st)) != ACC_OK)
        return err;
    job->st = st;
    return ACC_OK;
}

static const char *
s_code_name(Accord__V1__Code c)
{
    const ProtobufCEnumValue *v =
        protobuf_c_enum_descriptor_get_value(&accord__v1__code__descriptor, (int)c);
    return v ? v->name : "unknown code";
}

static void
s_on_answer(s_peer *p, const void *data, size_t len)
{
    acc_link_t *self = p->link;
    ProtobufCMessage *m = NULL;
    acc_errinfo_t ei;
    acc_errinfo_clear(&ei);
    acc_err err =
        acc_codec_unpack(&accord__v1__response__descriptor, data, len, ACC_LINK_MSG_MAX, &m, &ei);
    if (err != ACC_OK) {
        /* Cannot tell which request it answers: the timeout will resend if it was ours. */
        acc_log_warn(S_TAG, "undecodable answer from peer '%s': %s%s%s", p->agency, ei.msg,
                     ei.field[0] ? " at " : "", ei.field);
        return;
    }
    Accord__V1__Response *r = (Accord__V1__Response *)m;
    if (!p->req_id || r->request_id != p->req_id) {
        /* A late answer to a Deliver that already timed out: its effects come again with
         * the resend (as DUPLICATE), so applying nothing here is safe. */
        acc_log_debug(S_TAG, "ignoring a stale answer %" PRIu64 " from peer '%s'", r->request_id,
                      p->agency);
        goto out;
    }
    if (r->status && r->status->code != ACCORD__V1__CODE__CODE_OK) {
        s_fail(p, false, "peer answered %s: %s", s_code_name(r->status->code), r->status->message);
        goto out;
    }
    if (r->body_case != ACCORD__V1__RESPONSE__BODY_DELIVERED) {
        s_fail(p, false, "peer answered without a delivery result");
        goto out;
    }
    const Accord__V1__DeliverResult *res = r->delivered;
    if (res->n_acks > p->fl_n) {
        s_fail(p, false, "peer answered %zu acks for %zu envelopes", res->n_acks, p->fl_n);
        goto out;
    }
    /* Check the whole answer before applying any of it: an answer that does not match
     * what was sent is a failed attempt and moves nothing. */
    size_t n_apply = res->n_acks;
    const char *retry_reason = "";
    for (size_t i = 0; i < res->n_acks; i++) {
        const Accord__V1__DeliveryAck *a = res->acks[i];
        if (a->sequence != p->fl_first + i) {
            s_fail(p, false, "peer acked sequence %" PRIu64 " where %" PRIu64 " was sent",
                   a->sequence, p->fl_first + i);
            goto out;
        }
        switch (a->status) {
        case ACCORD__V1__DELIVERY_STATUS__DELIVERY_STATUS_OK:
        case ACCORD__V1__DELIVERY_STATUS__DELIVERY_STATUS_DUPLICATE:
        case ACCORD__V1__DELIVERY_STATUS__DELIVERY_STATUS_REJECTED:
            break;
        case ACCORD__V1__DELIVERY_STATUS__DELIVERY_STATUS_RETRY:
            if (n_apply == res->n_acks) {
                n_apply = i;
                retry_reason = a->reason;
            }
            break;
        default:
            s_fail(p, false, "peer acked sequence %" PRIu64 " with an unknown status %d",
                   a->sequence, (int)a->status);
            goto out;
        }
    }
    for (size_t i = 0; i < n_apply; i++)
        if (res->acks[i]->status == ACCORD__V1__DELIVERY_STATUS__DELIVERY_STATUS_REJECTED)
            acc_log_warn(S_TAG, "peer '%s' rejected envelope %" PRIu64 " for good: %s (parked)",
                         p->agency, res->acks[i]->sequence, res->acks[i]->reason);
    if (n_apply > 0) {
        s_ackjob job = {.p = p, .res = res, .n_apply = n_apply};
        if ((err = acc_store_write(self->store, s_apply_acks, &job)) != ACC_OK) {
            acc_log_error(S_TAG, "cannot record the acks of peer '%s': %s", p->agency,
                          acc_strerror(err));
            s_fail(p, false, "cannot record acks: %s", acc_strerror(err));
            goto out;
        }
        p->acked = job.st.acked;
        p->parked = job.st.parked;
        p->last_ok_ms = acc_ids_now_ms();
    }
    p->req_id = 0;
    if (n_apply < p->fl_n) {
        if (res->n_acks > n_apply)
            s_fail(p, false, "peer asked to retry from %" PRIu64 "%s%s", p->fl_first + n_apply,
                   *retry_reason ? ": " : "", retry_reason);
        else
            s_fail(p, false, "peer acked %zu of %zu envelopes", n_apply, p->fl_n);
        goto out;
    }
    s_ok(p);
    s_pump(p, acc_loop_now_ms());
out:
    protobuf_c_message_free_unpacked(m, NULL);
}

static acc_err
s_on_readable(acc_loop_t *loop, void *arg)
{
    (void)loop;
    s_peer *p = arg;
    for (int i = 0; i < S_MSGS_PER_WAKE; i++) {
        zmq_msg_t msg;
        zmq_msg_init(&msg);
        if (zmq_msg_recv(&msg, p->sock, ZMQ_DONTWAIT) < 0) {
            int e = zmq_errno();
            zmq_msg_close(&msg);
            if (e != EAGAIN && e != EINTR)
                acc_log_warn(S_TAG, "cannot receive from peer '%s': %s", p->agency,
                             zmq_strerror(e));
            break;
        }
        if (zmq_msg_more(&msg)) {
            /* One frame per message (docs/protocol.md): drop all parts of anything else. */
            acc_log_warn(S_TAG, "dropping a multi-frame answer from peer '%s'", p->agency);
            do {
                zmq_msg_close(&msg);
                zmq_msg_init(&msg);
            } while (zmq_msg_recv(&msg, p->sock, ZMQ_DONTWAIT) >= 0 && zmq_msg_more(&msg));
            zmq_msg_close(&msg);
            continue;
        }
        s_on_answer(p, zmq_msg_data(&msg), zmq_msg_size(&msg));
        zmq_msg_close(&msg);
    }
    return ACC_OK;
}

static acc_err
s_on_tick(acc_loop_t *loop, void *arg)
{
    (void)loop;
    acc_link_t *self = arg;
    int64_t now = acc_loop_now_ms();
    for (size_t i = 0; i < self->n_peers; i++) {
        s_peer *p = &self->peers[i];
        if (p->req_id && now >= p->deadline_ms)
            s_fail(p, false, "no answer within %" PRIu32 " ms", self->timeout);
        s_pump(p, now);
    }
    return ACC_OK;
}

/* --- life cycle --------------------------------------------------------------------- */

static acc_err
s_peer_socket(void *zctx, const acc_link_opts_t *opts, s_peer *p, const acc_link_peer_t *cfg,
              acc_errinfo_t *ei)
{
    p->sock = zmq_socket(zctx, ZMQ_DEALER);
    if (!p->sock) {
        acc_errinfo_set(ei, p->agency, "cannot create a socket for peer '%s': %s", p->agency,
                        zmq_strerror(zmq_errno()));
        return ACC_ERR_NET;
    }
    int64_t cap = ACC_LINK_MSG_MAX;
    int one = 1, linger = 0, hwm = S_SNDHWM;
    /* IMMEDIATE: nothing is queued toward a peer that is not connected (it would look in
     * flight and be lost); LINGER 0: what is unsent at shutdown is still in the queue on
     * disk; MAXMSGSIZE: a peer cannot make us allocate more than one answer's worth. */
    if (zmq_setsockopt(p->sock, ZMQ_IMMEDIATE, &one, sizeof one) != 0 ||
        zmq_setsockopt(p->sock, ZMQ_LINGER, &linger, sizeof linger) != 0 ||
        zmq_setsockopt(p->sock, ZMQ_SNDHWM, &hwm, sizeof hwm) != 0 ||
        zmq_setsockopt(p->sock, ZMQ_MAXMSGSIZE, &cap, sizeof cap) != 0) {
        acc_errinfo_set(ei, p->agency, "cannot set socket options for peer '%s': %s", p->agency,
                        zmq_strerror(zmq_errno()));
        return ACC_ERR_NET;
    }
    if (cfg->public_key) {
        acc_err err =
            acc_curve_client(p->sock, opts->public_key, opts->secret_key, cfg->public_key);
        if (err != ACC_OK) {
            acc_errinfo_set(ei, p->agency, "cannot make the link to peer '%s' a curve client: %s",
                            p->agency, acc_strerror(err));
            return err;
        }
    }
    if (zmq_connect(p->sock, cfg->endpoint) != 0) {
        int e = zmq_errno();
        acc_errinfo_set(ei, p->agency, "cannot connect to '%s' of peer '%s': %s", cfg->endpoint,
                        p->agency, zmq_strerror(e));
        return e == EINVAL || e == EPROTONOSUPPORT || e == ENOCOMPATPROTO ? ACC_ERR_INVALID
                                                                          : ACC_ERR_NET;
    }
    return ACC_OK;
}

static acc_err
s_check_opts(const acc_link_opts_t *opts, const acc_link_peer_t *peers, size_t n_peers,
             acc_errinfo_t *ei)
{
    if (!opts || !acc_agency_valid(opts->agency)) {
        acc_errinfo_set(ei, "agency", "our agency is not a valid agency id");
        return ACC_ERR_INVALID;
    }
    if (opts->window > ACC_LINK_WINDOW_MAX) {
        acc_errinfo_set(ei, "window", "window %" PRIu32 " is over %u", opts->window,
                        ACC_LINK_WINDOW_MAX);
        return ACC_ERR_INVALID;
    }
    uint32_t rmin = opts->retry_min_ms ? opts->retry_min_ms : S_RETRY_MIN_DEFAULT;
    uint32_t rmax = opts->retry_max_ms ? opts->retry_max_ms : S_RETRY_MAX_DEFAULT;
    if (rmax < rmin) {
        acc_errinfo_set(ei, "retry_max_ms",
                        "retry_max_ms %" PRIu32 " is below retry_min_ms %" PRIu32, rmax, rmin);
        return ACC_ERR_INVALID;
    }
    bool have_keys = opts->public_key || opts->secret_key;
    if (have_keys &&
        (!acc_curve_key_valid(opts->public_key) || !acc_curve_key_valid(opts->secret_key))) {
        acc_errinfo_set(ei, "public_key", "our curve key pair is not two Z85 keys");
        return ACC_ERR_INVALID;
    }
    if (n_peers > 0 && !peers) {
        acc_errinfo_set(ei, "peers", "no peer list");
        return ACC_ERR_INVALID;
    }
    for (size_t i = 0; i < n_peers; i++) {
        const acc_link_peer_t *c = &peers[i];
        if (!acc_agency_valid(c->agency)) {
            acc_errinfo_set(ei, "agency", "peer %zu: agency is not a valid agency id", i);
            return ACC_ERR_INVALID;
        }
        for (size_t j = 0; j < i; j++)
            if (strcmp(peers[j].agency, c->agency) == 0) {
                acc_errinfo_set(ei, c->agency, "peer '%s' is listed twice", c->agency);
                return ACC_ERR_INVALID;
            }
        if (!c->endpoint || !*c->endpoint || strlen(c->endpoint) >= 256) {
            acc_errinfo_set(ei, c->agency, "peer '%s' has no usable endpoint", c->agency);
            return ACC_ERR_INVALID;
        }
        if (c->public_key && !acc_curve_key_valid(c->public_key)) {
            acc_errinfo_set(ei, c->agency, "public key of peer '%s' is not a Z85 key", c->agency);
            return ACC_ERR_INVALID;
        }
        if (c->public_key && !have_keys) {
            acc_errinfo_set(ei, c->agency, "peer '%s' has a public key but we have no key pair",
                            c->agency);
            return ACC_ERR_INVALID;
        }
        if (strncmp(c->endpoint, "tcp://", 6) == 0 && !c->public_key) {
            acc_errinfo_set(ei, c->agency, "tcp endpoint '%s' of peer '%s' needs a public key",
                            c->endpoint, c->agency);
            return ACC_ERR_INVALID;
        }
    }
    return ACC_OK;
}

acc_err
acc_link_new(void *zctx, acc_store_t *store, const acc_link_peer_t *peers, size_t n_peers,
             const acc_link_opts_t *opts, acc_link_t **out, acc_errinfo_t *ei)
{
    assert(zctx && store && out);
    acc_link_t *self = NULL;
    acc_txn_t *txn = NULL;
    acc_err err = s_check_opts(opts, peers, n_peers, ei);
    if (err != ACC_OK)
        return err;
    /* The hand-written framing in s_send depends on these field numbers. */
    assert(
        protobuf_c_message_descriptor_get_field_by_name(&accord__v1__request__descriptor, "deliver")
            ->id == 15);
    if (sodium_init() < 0) { /* randombytes_uniform, acc_uuid_v7; idempotent */
        acc_errinfo_set(ei, "", "cannot initialise libsodium");
        return ACC_ERR_INTERNAL;
    }
    self = calloc(1, sizeof *self);
    if (!self) {
        err = ACC_ERR_NOMEM;
        goto out;
    }
    self->store = store;
    snprintf(self->agency, sizeof self->agency, "%s", opts->agency);
    self->window = opts->window ? opts->window : S_WINDOW_DEFAULT;
    self->retry_min = opts->retry_min_ms ? opts->retry_min_ms : S_RETRY_MIN_DEFAULT;
    self->retry_max = opts->retry_max_ms ? opts->retry_max_ms : S_RETRY_MAX_DEFAULT;
    self->timeout = opts->timeout_ms ? opts->timeout_ms : S_TIMEOUT_DEFAULT;
    const char *names[3] = {"link_queue", "link_state", "link_parked"};
    acc_table *tables[3] = {&self->t_queue, &self->t_state, &self->t_parked};
    for (int i = 0; i < 3; i++) {
        if (acc_store_table(store, names[i], tables[i]) != ACC_OK) {
            acc_errinfo_set(ei, names[i], "store has no table '%s' (add ACC_LINK_TABLES)",
                            names[i]);
            err = ACC_ERR_INVALID;
            goto out;
        }
    }
    self->peers = calloc(n_peers ? n_peers : 1, sizeof *self->peers);
    self->slices = calloc(self->window, sizeof *self->slices);
    self->pack_buf = malloc(ACC_LINK_ENVELOPE_MAX);
    if (!self->peers || !self->slices || !self->pack_buf) {
        err = ACC_ERR_NOMEM;
        goto out;
    }
    if ((err = acc_store_read_begin(store, &txn)) != ACC_OK) {
        acc_errinfo_set(ei, "", "cannot read the link state: %s", acc_strerror(err));
        goto out;
    }
    for (size_t i = 0; i < n_peers; i++) {
        s_peer *p = &self->peers[i];
        self->n_peers = i + 1; /* so that destroy closes what is open */
        p->link = self;
        snprintf(p->agency, sizeof p->agency, "%s", peers[i].agency);
        p->agency_len = strlen(p->agency);
        snprintf(p->endpoint, sizeof p->endpoint, "%s", peers[i].endpoint);
        s_state st;
        if ((err = s_state_get(txn, self->t_state, p->agency, p->agency_len, &st)) != ACC_OK) {
            acc_errinfo_set(ei, p->agency, "cannot read the link state of peer '%s': %s", p->agency,
                            acc_strerror(err));
            goto out;
        }
        p->enqueued = p->w_enqueued = st.enqueued;
        p->acked = st.acked;
        p->parked = st.parked;
        if ((err = s_peer_socket(zctx, opts, p, &peers[i], ei)) != ACC_OK)
            goto out;
    }
    acc_store_read_end(&txn);
    *out = self;
    self = NULL;
out:
    acc_store_read_end(&txn);
    acc_link_destroy(&self);
    return err;
}

acc_err
acc_link_attach(acc_link_t *self, acc_loop_t *loop)
{
    assert(self && loop && !self->attached);
    acc_err err = ACC_OK;
    for (size_t i = 0; i < self->n_peers && err == ACC_OK; i++)
        err = acc_loop_add_socket(loop, self->peers[i].sock, s_on_readable, &self->peers[i]);
    int64_t tick = self->retry_min / 4;
    tick = tick < 5 ? 5 : tick > 50 ? 50 : tick;
    if (err == ACC_OK)
        err = acc_loop_add_timer(loop, tick, s_on_tick, self);
    if (err != ACC_OK)
        return err;
    self->attached = true;
    int64_t now = acc_loop_now_ms();
    for (size_t i = 0; i < self->n_peers; i++)
        s_pump(&self->peers[i], now);
    return ACC_OK;
}

void
acc_link_destroy(acc_link_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    acc_link_t *self = *self_p;
    for (size_t i = 0; i < self->n_peers; i++)
        if (self->peers[i].sock)
            zmq_close(self->peers[i].sock);
    free(self->peers);
    free(self->slices);
    free(self->pack_buf);
    free(self);
    *self_p = NULL;
}

/* --- enqueue ------------------------------------------------------------------------ */

acc_err
acc_link_enqueue(acc_link_t *self, acc_txn_t *txn, const char *peer, Accord__V1__Envelope *env)
{
    assert(self && txn && env);
    s_peer *p = s_find(self, peer);
    if (!p)
        return ACC_ERR_NOT_FOUND;
    if (env->body_case == ACCORD__V1__ENVELOPE__BODY__NOT_SET)
        return ACC_ERR_INVALID;
    /* The sequence comes from the transaction, not from memory: when acc_store_write reruns
     * the caller's transaction, or an earlier one was aborted, it is still the next one. */
    s_state st;
    acc_err err = s_state_get(txn, self->t_state, p->agency, p->agency_len, &st);
    if (err != ACC_OK)
        return err;
    uint64_t seq = st.enqueued + 1;
    acc_uuid_t id;
    acc_uuid_v7(&self->uuid_gen, &id);
    acc_uuid_format(&id, self->id_text);
    env->id = self->id_text;
    env->origin = self->agency;
    env->sequence = seq;
    env->schema_version = 1;
    env->time_ms = acc_ids_now_ms();
    size_t len = accord__v1__envelope__get_packed_size(env);
    if (len > ACC_LINK_ENVELOPE_MAX)
        return ACC_ERR_TOO_LARGE;
    accord__v1__envelope__pack(env, self->pack_buf);
    unsigned char key[S_KEY_MAX];
    size_t kl = s_key(p, seq, key);
    err = acc_store_put(txn, self->t_queue, key, kl, self->pack_buf, len, ACC_PUT_NOOVERWRITE);
    if (err == ACC_ERR_EXISTS) {
        acc_log_error(S_TAG, "queue of peer '%s' already holds sequence %" PRIu64, p->agency, seq);
        return ACC_ERR_STORE;
    }
    if (err != ACC_OK)
        return err;
    st.enqueued = seq;
    if ((err = s_state_put(txn, self->t_state, p, &st)) != ACC_OK)
        return err;
    p->w_enqueued = seq;
    p->touched = true;
    return ACC_OK;
}

void
acc_link_committed(acc_link_t *self)
{
    assert(self);
    int64_t now = acc_loop_now_ms();
    for (size_t i = 0; i < self->n_peers; i++) {
        s_peer *p = &self->peers[i];
        if (!p->touched)
            continue;
        p->touched = false;
        p->enqueued = p->w_enqueued;
        if (self->attached)
            s_pump(p, now);
    }
}

void
acc_link_aborted(acc_link_t *self)
{
    assert(self);
    for (size_t i = 0; i < self->n_peers; i++) {
        s_peer *p = &self->peers[i];
        p->touched = false;
        p->w_enqueued = p->enqueued;
    }
}

/* --- status and parked envelopes ---------------------------------------------------- */

acc_err
acc_link_status(const acc_link_t *self, size_t i, acc_link_peer_status_t *out)
{
    assert(self && out);
    if (i >= self->n_peers)
        return ACC_ERR_NOT_FOUND;
    const s_peer *p = &self->peers[i];
    memset(out, 0, sizeof *out);
    snprintf(out->agency, sizeof out->agency, "%s", p->agency);
    out->enqueued = p->enqueued;
    out->acked = p->acked;
    out->parked = p->parked;
    out->attempts = p->attempts;
    out->last_ok_ms = p->last_ok_ms;
    snprintf(out->last_error, sizeof out->last_error, "%s", p->last_error);
    return ACC_OK;
}

acc_err
acc_link_parked(acc_link_t *self, const char *peer, uint64_t after,
                void (*fn)(const Accord__V1__Envelope *env, const char *reason, void *arg),
                void *arg)
{
    assert(self && fn);
    s_peer *p = s_find(self, peer);
    if (!p)
        return ACC_ERR_NOT_FOUND;
    if (after == UINT64_MAX)
        return ACC_OK;
    acc_txn_t *txn = NULL;
    acc_cursor_t *cur = NULL;
    unsigned char key[S_KEY_MAX];
    size_t kl = s_key(p, after + 1, key);
    const void *k, *v;
    size_t klen, vlen;
    acc_err err = acc_store_read_begin(self->store, &txn);
    if (err == ACC_OK)
        err = acc_cursor_open(txn, self->t_parked, &cur);
    if (err == ACC_OK)
        err = acc_cursor_seek(cur, key, kl, &k, &klen, &v, &vlen);
    while (err == ACC_OK && s_key_seq(p, k, klen) != 0) {
        const char *reason = v;
        const char *nul = memchr(v, 0, vlen);
        if (!nul) {
            err = ACC_ERR_STORE;
            break;
        }
        size_t rl = (size_t)(nul - reason) + 1;
        ProtobufCMessage *m = NULL;
        acc_errinfo_t ei;
        if (acc_codec_unpack(&accord__v1__envelope__descriptor, reason + rl, vlen - rl,
                             ACC_LINK_ENVELOPE_MAX, &m, &ei) != ACC_OK) {
            acc_log_error(S_TAG, "parked envelope %" PRIu64 " of peer '%s' does not decode: %s",
                          s_key_seq(p, k, klen), p->agency, ei.msg);
            err = ACC_ERR_STORE;
            break;
        }
        fn((const Accord__V1__Envelope *)m, reason, arg);
        protobuf_c_message_free_unpacked(m, NULL);
        err = acc_cursor_next(cur, &k, &klen, &v, &vlen);
    }
    if (err == ACC_ERR_NOT_FOUND)
        err = ACC_OK;
    acc_store_read_end(&txn);
    return err;
}

/* --- receiver ----------------------------------------------------------------------- */

Accord__V1__DeliveryStatus
acc_link_inbound_check(acc_txn_t *txn, acc_table t, const char *origin, uint64_t seq)
{
    assert(txn);
    if (!s_origin_fits(origin) || seq == 0)
        return ACCORD__V1__DELIVERY_STATUS__DELIVERY_STATUS_REJECTED;
    const void *v;
    size_t vl;
    uint64_t last = 0;
    acc_err err = acc_store_get(txn, t, origin, strlen(origin), &v, &vl);
    if (err == ACC_OK && vl == 8) {
        last = acc_store_be_u64(v);
    } else if (err != ACC_ERR_NOT_FOUND) {
        acc_log_error(S_TAG, "cannot read the inbound sequence of '%s': %s", origin,
                      err == ACC_OK ? "damaged record" : acc_strerror(err));
        return ACCORD__V1__DELIVERY_STATUS__DELIVERY_STATUS_RETRY;
    }
    if (seq <= last)
        return ACCORD__V1__DELIVERY_STATUS__DELIVERY_STATUS_DUPLICATE;
    if (seq == last + 1)
        return ACCORD__V1__DELIVERY_STATUS__DELIVERY_STATUS_OK;
    return ACCORD__V1__DELIVERY_STATUS__DELIVERY_STATUS_RETRY;
}

acc_err
acc_link_inbound_mark(acc_txn_t *txn, acc_table t, const char *origin, uint64_t seq)
{
    assert(txn);
    if (!s_origin_fits(origin) || seq == 0)
        return ACC_ERR_INVALID;
    unsigned char b[8];
    acc_store_u64_be(seq, b);
    return acc_store_put(txn, t, origin, strlen(origin), b, sizeof b, 0);
}
