/*
 * acc_stream — durable hand-over of work between services (see acc_stream.h for the
 * contract and ARCHITECTURE.md, "Streams", for the design).
 *
 * Data flow: producer commits records to its log table -> acc_stream_server_notify ->
 * the server (ROUTER) answers parked Fetches with FetchResult -> the consumer (DEALER)
 * checks the records are exactly cursor+1, cursor+2, ... -> the consumer's apply callback
 * stores their effects and the new cursor in one write transaction.
 *
 * Nothing here is durable by itself: the log and the cursor live in LMDB, and every socket
 * message may be lost (a producer restart, a reset, a high-water mark). The consumer keeps
 * exactly one fetch outstanding and sends it again when no answer comes in time; answers to
 * any other request id are ignored, so a late answer can never be applied twice.
 */
#include "acc_stream.h"

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
#include "acc_log.h"
#include "accord/v1/stream.pb-c.h"

#define S_TAG "stream"
#define S_NAME_MAX 64
#define S_FETCH_MAX_BYTES (64 * 1024)
/* Payload per answer: big enough to move thousands of small events per round trip, small
 * enough that one answer does not hold up the producer's loop while it is packed. */
#define S_ANSWER_BUDGET (512 * 1024)
/* The largest answer: one record at the cap, or the budget plus per-record framing
 * (at most ~25 bytes for each of ACC_STREAM_FETCH_MAX records). */
#define S_ANSWER_MAX_BYTES ((size_t)ACC_STREAM_RECORD_MAX + (1u << 20))
#define S_PARKED_MAX 256
#define S_ROUTING_ID_MAX 255
#define S_MSGS_PER_WAKE 64 /* then let the loop serve its other sockets */
#define S_SERVER_TICK_MS 20
#define S_CONSUMER_TICK_MS 10
#define S_BACKOFF_MIN_MS 100
#define S_BACKOFF_MAX_MS 5000
#define S_SEND_RETRY_MS 100 /* no connection yet: a local, cheap check */
#define S_WAIT_DEFAULT_MS 10000
#define S_GRACE_DEFAULT_MS 5000
#define S_ERROR_MAX 256

/* --- shared helpers ----------------------------------------------------------------- */

/* Stream names are short identifiers: they appear in logs and in error answers, and a
 * fixed alphabet keeps both free of anything a terminal or a UTF-8 check would mind. */
static bool
s_name_valid(const char *name)
{
    if (!name)
        return false;
    size_t n = strlen(name);
    if (n == 0 || n > S_NAME_MAX)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-'))
            return false;
    }
    return true;
}

static bool
s_is_tcp(const char *endpoint)
{
    return strncmp(endpoint, "tcp://", 6) == 0;
}

/* --- log and cursor records --------------------------------------------------------- */

acc_err
acc_stream_append(acc_txn_t *txn, acc_table log, uint64_t prev_seq, const void *payload, size_t len)
{
    assert(txn && (payload || len == 0));
    if (prev_seq == UINT64_MAX)
        return ACC_ERR_INVALID;
    if (len > ACC_STREAM_RECORD_MAX)
        return ACC_ERR_TOO_LARGE;
    unsigned char key[8];
    acc_store_u64_be(prev_seq + 1, key);
    /* APPEND both makes the sequential write cheap and refuses a sequence that is not past
     * the last key (ACC_ERR_INVALID from acc_store_put). */
    return acc_store_put(txn, log, key, sizeof key, payload, len, ACC_PUT_APPEND);
}

acc_err
acc_stream_head(acc_txn_t *txn, acc_table log, uint64_t *out)
{
    assert(txn && out);
    acc_cursor_t *cur = NULL;
    acc_err err = acc_cursor_open(txn, log, &cur);
    if (err != ACC_OK)
        return err;
    const void *k = NULL;
    size_t kl = 0;
    uint64_t head = 0;
    err = acc_cursor_last(cur, &k, &kl, NULL, NULL);
    if (err == ACC_ERR_NOT_FOUND) {
        err = ACC_OK;
    } else if (err == ACC_OK) {
        if (kl == 8) {
            head = acc_store_be_u64(k);
        } else {
            acc_log_error(S_TAG, "log has a key of %zu bytes: not a sequence", kl);
            err = ACC_ERR_STORE;
        }
    }
    acc_cursor_close(&cur);
    if (err == ACC_OK)
        *out = head;
    return err;
}

acc_err
acc_stream_cursor_get(acc_txn_t *txn, acc_table cursors, const char *name, uint64_t *out)
{
    assert(txn && name && out);
    if (!*name)
        return ACC_ERR_INVALID;
    const void *v = NULL;
    size_t vl = 0;
    acc_err err = acc_store_get(txn, cursors, name, strlen(name), &v, &vl);
    if (err == ACC_ERR_NOT_FOUND) {
        *out = 0;
        return ACC_OK;
    }
    if (err != ACC_OK)
        return err;
    if (vl != 8) {
        acc_log_error(S_TAG, "cursor of stream '%s' has %zu bytes, not 8", name, vl);
        return ACC_ERR_STORE;
    }
    *out = acc_store_be_u64(v);
    return ACC_OK;
}

acc_err
acc_stream_cursor_put(acc_txn_t *txn, acc_table cursors, const char *name, uint64_t seq)
{
    assert(txn && name);
    if (!*name)
        return ACC_ERR_INVALID;
    unsigned char val[8];
    acc_store_u64_be(seq, val);
    return acc_store_put(txn, cursors, name, strlen(name), val, sizeof val, 0);
}

/* --- producer side ------------------------------------------------------------------ */

typedef struct {
    unsigned char id[S_ROUTING_ID_MAX];
    size_t id_len;
    uint64_t request_id, from_seq;
    uint32_t max;
    int64_t deadline;
} s_parked;

struct acc_stream_server {
    void *sock;
    acc_store_t *store; /* borrowed */
    acc_table log;
    char name[S_NAME_MAX + 1];
    uint64_t head;
    s_parked *parked; /* S_PARKED_MAX, oldest first */
    size_t n_parked;
    /* One answer's records, reused: pointers into the map during a read transaction. */
    Accord__V1__StreamRecord recs[ACC_STREAM_FETCH_MAX];
    Accord__V1__StreamRecord *rec_ptrs[ACC_STREAM_FETCH_MAX];
};

static void
s_send_frames(acc_stream_server_t *self, const void *id, size_t id_len, zmq_msg_t *body)
{
    /* ROUTER_MANDATORY makes a vanished peer an error here instead of a silent drop; either
     * way the consumer will fetch again, so it is only worth a debug line. */
    if (zmq_send(self->sock, id, id_len, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0 ||
        zmq_msg_send(body, self->sock, ZMQ_DONTWAIT) < 0) {
        int e = zmq_errno();
        acc_log_debug(S_TAG, "answer on stream '%s' not sent: %s", self->name, zmq_strerror(e));
        zmq_msg_close(body);
    }
}

static void
s_send_result(acc_stream_server_t *self, const void *id, size_t id_len,
              const Accord__V1__FetchResult *r)
{
    size_t n = accord__v1__fetch_result__get_packed_size(r);
    zmq_msg_t body;
    if (zmq_msg_init_size(&body, n) != 0) {
        acc_log_error(S_TAG, "cannot allocate an answer of %zu bytes on stream '%s'", n,
                      self->name);
        return;
    }
    accord__v1__fetch_result__pack(r, zmq_msg_data(&body));
    s_send_frames(self, id, id_len, &body);
}

static void s_send_error(acc_stream_server_t *self, const void *id, size_t id_len,
                         uint64_t request_id, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static void
s_send_error(acc_stream_server_t *self, const void *id, size_t id_len, uint64_t request_id,
             const char *fmt, ...)
{
    char msg[S_ERROR_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    /* The consumer's decoder rejects invalid UTF-8 (a multi-byte character cut by the
     * truncation above would be): keep the text to printable ASCII. */
    for (char *p = msg; *p; p++)
        if ((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7e)
            *p = '?';
    Accord__V1__FetchResult r = ACCORD__V1__FETCH_RESULT__INIT;
    r.request_id = request_id;
    r.head = self->head;
    r.error = msg;
    s_send_result(self, id, id_len, &r);
}

/*
 * Collect records @from, @from + 1, ... into self->recs: at most @max, and no more payload
 * than S_ANSWER_BUDGET except that the first record always goes. The payload pointers
 * point into the map: LMDB keeps them valid until a read-only transaction ends, and the
 * answer is packed before it does. A missing first record or one over the record cap is
 * an error named in @why; a gap or an over-large record later just ends the answer there
 * (the consumer's next fetch starts at it and gets the error).
 */
static acc_err
s_read_records(acc_stream_server_t *self, acc_txn_t *txn, uint64_t from, uint32_t max,
               size_t *n_out, char *why, size_t why_len)
{
    acc_cursor_t *cur = NULL;
    acc_err err = acc_cursor_open(txn, self->log, &cur);
    if (err != ACC_OK)
        return err;
    unsigned char key[8];
    acc_store_u64_be(from, key);
    const void *k = NULL, *v = NULL;
    size_t kl = 0, vl = 0, n = 0, bytes = 0;
    err = acc_cursor_seek(cur, key, sizeof key, &k, &kl, &v, &vl);
    while (err == ACC_OK && n < max) {
        uint64_t seq = kl == 8 ? acc_store_be_u64(k) : 0;
        if (seq != from + n)
            break;
        if (vl > ACC_STREAM_RECORD_MAX)
            break;
        if (n > 0 && bytes + vl > S_ANSWER_BUDGET)
            break;
        Accord__V1__StreamRecord *r = &self->recs[n];
        accord__v1__stream_record__init(r);
        r->seq = seq;
        r->payload.data = (uint8_t *)v;
        r->payload.len = vl;
        self->rec_ptrs[n] = r;
        bytes += vl;
        n++;
        err = acc_cursor_next(cur, &k, &kl, &v, &vl);
    }
    acc_cursor_close(&cur);
    if (err != ACC_OK && err != ACC_ERR_NOT_FOUND)
        return err;
    if (n == 0) {
        /* Only called for from <= head, so a first record must be there. */
        if (err == ACC_OK && kl == 8 && acc_store_be_u64(k) == from)
            snprintf(why, why_len, "record %" PRIu64 " is over %u bytes", from,
                     (unsigned)ACC_STREAM_RECORD_MAX);
        else
            snprintf(why, why_len, "record %" PRIu64 " is missing from the log", from);
        return ACC_ERR_INVALID;
    }
    *n_out = n;
    return ACC_OK;
}

/* Answer a fetch from records @from.. within the open read transaction @txn. */
static void
s_answer(acc_stream_server_t *self, acc_txn_t *txn, const void *id, size_t id_len,
         uint64_t request_id, uint64_t from, uint32_t max)
{
    char why[160] = "";
    size_t n = 0;
    acc_err err = s_read_records(self, txn, from, max, &n, why, sizeof why);
    if (err != ACC_OK) {
        if (!why[0])
            snprintf(why, sizeof why, "cannot read the log: %s", acc_strerror(err));
        acc_log_error(S_TAG, "cannot serve stream '%s' from %" PRIu64 ": %s", self->name, from,
                      why);
        s_send_error(self, id, id_len, request_id, "%s", why);
        return;
    }
    Accord__V1__FetchResult r = ACCORD__V1__FETCH_RESULT__INIT;
    r.request_id = request_id;
    r.head = self->head;
    r.n_records = n;
    r.records = self->rec_ptrs;
    s_send_result(self, id, id_len, &r);
}

static void
s_answer_empty(acc_stream_server_t *self, const void *id, size_t id_len, uint64_t request_id)
{
    Accord__V1__FetchResult r = ACCORD__V1__FETCH_RESULT__INIT;
    r.request_id = request_id;
    r.head = self->head;
    s_send_result(self, id, id_len, &r);
}

static void
s_unpark(acc_stream_server_t *self, size_t i)
{
    memmove(&self->parked[i], &self->parked[i + 1],
            (self->n_parked - i - 1) * sizeof self->parked[0]);
    self->n_parked--;
}

/* Answer, with records, every parked fetch whose first record is there (from_seq <=
 * head), within the read transaction @txn or, when NULL, one of its own. */
static void
s_answer_due(acc_stream_server_t *self, acc_txn_t *txn)
{
    bool due = false;
    for (size_t i = 0; i < self->n_parked && !due; i++)
        due = self->parked[i].from_seq <= self->head;
    if (!due)
        return;
    acc_txn_t *own = NULL;
    if (!txn) {
        acc_err err = acc_store_read_begin(self->store, &own);
        if (err != ACC_OK) {
            /* They stay parked: the next notify or their deadline answers them. */
            acc_log_error(S_TAG, "cannot read the log of stream '%s': %s", self->name,
                          acc_strerror(err));
            return;
        }
        txn = own;
    }
    size_t j = 0;
    for (size_t i = 0; i < self->n_parked; i++) {
        s_parked *p = &self->parked[i];
        if (p->from_seq <= self->head)
            s_answer(self, txn, p->id, p->id_len, p->request_id, p->from_seq, p->max);
        else if (i != j)
            self->parked[j++] = *p;
        else
            j++;
    }
    self->n_parked = j;
    acc_store_read_end(&own);
}

static void
s_park(acc_stream_server_t *self, const void *id, size_t id_len, uint64_t request_id, uint64_t from,
       uint32_t max, uint32_t wait_ms)
{
    /* A DEALER keeps one fetch outstanding: an older one from the same connection was
     * given up by its consumer (which ignores its answer), so it is replaced, not kept. */
    for (size_t i = 0; i < self->n_parked; i++) {
        if (self->parked[i].id_len == id_len && memcmp(self->parked[i].id, id, id_len) == 0) {
            s_unpark(self, i);
            break;
        }
    }
    if (self->n_parked == S_PARKED_MAX) {
        s_parked *old = &self->parked[0];
        s_answer_empty(self, old->id, old->id_len, old->request_id);
        s_unpark(self, 0);
    }
    s_parked *p = &self->parked[self->n_parked++];
    memcpy(p->id, id, id_len);
    p->id_len = id_len;
    p->request_id = request_id;
    p->from_seq = from;
    p->max = max;
    p->deadline = acc_loop_now_ms() + wait_ms;
}

static int
s_peek_varint(const uint8_t *p, size_t len, size_t *pos, uint64_t *out)
{
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        if (*pos >= len)
            return -1;
        uint8_t b = p[(*pos)++];
        v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *out = v;
            return 0;
        }
    }
    return -1;
}

/* The request id of a Fetch that did not decode, so that its error answer still reaches
 * the consumer waiting for it: a lenient walk over the top-level fields for field 5. */
static uint64_t
s_peek_request_id(const uint8_t *p, size_t len)
{
    size_t pos = 0;
    uint64_t found = 0;
    while (pos < len) {
        uint64_t tag = 0, v = 0;
        if (s_peek_varint(p, len, &pos, &tag) != 0)
            return found;
        switch (tag & 7) {
        case 0:
            if (s_peek_varint(p, len, &pos, &v) != 0)
                return found;
            if ((tag >> 3) == 5)
                found = v;
            break;
        case 1:
            if (len - pos < 8)
                return found;
            pos += 8;
            break;
        case 2:
            if (s_peek_varint(p, len, &pos, &v) != 0 || v > len - pos)
                return found;
            pos += (size_t)v;
            break;
        case 5:
            if (len - pos < 4)
                return found;
            pos += 4;
            break;
        default:
            return found;
        }
    }
    return found;
}

static void
s_handle_fetch(acc_stream_server_t *self, const void *id, size_t id_len, const uint8_t *data,
               size_t len, bool extra_frames)
{
    if (extra_frames) {
        s_send_error(self, id, id_len, s_peek_request_id(data, len),
                     "a fetch is exactly one frame");
        return;
    }
    acc_errinfo_t ei;
    acc_errinfo_clear(&ei);
    ProtobufCMessage *m = NULL;
    acc_err err =
        acc_codec_unpack(&accord__v1__fetch__descriptor, data, len, S_FETCH_MAX_BYTES, &m, &ei);
    if (err != ACC_OK) {
        acc_log_info(S_TAG, "rejected a fetch on stream '%s': %s: %s", self->name, ei.field,
                     ei.msg);
        s_send_error(self, id, id_len, s_peek_request_id(data, len), "malformed fetch: %s: %s",
                     ei.field, ei.msg);
        return;
    }
    Accord__V1__Fetch *f = (Accord__V1__Fetch *)m;
    uint64_t rid = f->request_id;
    acc_txn_t *txn = NULL;
    if (strcmp(f->stream, self->name) != 0) {
        /* The peer's name is not echoed: only our own, known-clean text goes back. */
        s_send_error(self, id, id_len, rid, "unknown stream: this server serves '%s'", self->name);
        goto out;
    }
    if (f->from_seq == 0) {
        s_send_error(self, id, id_len, rid, "from_seq must be at least 1");
        goto out;
    }
    if (f->max_records == 0) {
        s_send_error(self, id, id_len, rid, "max_records must be at least 1");
        goto out;
    }
    uint32_t max = f->max_records > ACC_STREAM_FETCH_MAX ? ACC_STREAM_FETCH_MAX : f->max_records;
    uint32_t wait = f->wait_ms > ACC_STREAM_WAIT_MAX_MS ? ACC_STREAM_WAIT_MAX_MS : f->wait_ms;

    uint64_t head = 0;
    err = acc_store_read_begin(self->store, &txn);
    if (err == ACC_OK)
        err = acc_stream_head(txn, self->log, &head);
    if (err != ACC_OK) {
        acc_log_error(S_TAG, "cannot read the log of stream '%s': %s", self->name,
                      acc_strerror(err));
        s_send_error(self, id, id_len, rid, "cannot read the log: %s", acc_strerror(err));
        goto out;
    }
    /* The log itself is the truth: a commit not yet notified still counts. */
    if (head > self->head)
        self->head = head;
    if (f->from_seq <= head) {
        s_answer(self, txn, id, id_len, rid, f->from_seq, max);
    } else if (f->from_seq - 1 == head) {
        /* Fetches parked before a commit that was not notified yet can go now too (the
         * one that makes room for this fetch may be among them). */
        s_answer_due(self, txn);
        if (wait == 0)
            s_answer_empty(self, id, id_len, rid);
        else
            s_park(self, id, id_len, rid, f->from_seq, max, wait);
    } else {
        /* A consumer ahead of the log means the log lost records (restored from an old
         * backup, wrong data directory). Waiting would silently skip what it lost. */
        acc_log_warn(S_TAG,
                     "a consumer of stream '%s' asks from %" PRIu64 " but the head is %" PRIu64,
                     self->name, f->from_seq, head);
        s_send_error(self, id, id_len, rid,
                     "from_seq %" PRIu64 " is past the head %" PRIu64 " of stream '%s'",
                     f->from_seq, head, self->name);
    }
out:
    acc_store_read_end(&txn);
    protobuf_c_message_free_unpacked(m, NULL);
}

static acc_err
s_server_on_readable(acc_loop_t *loop, void *arg)
{
    (void)loop;
    acc_stream_server_t *self = arg;
    for (int i = 0; i < S_MSGS_PER_WAKE; i++) {
        zmq_msg_t id, body;
        zmq_msg_init(&id);
        if (zmq_msg_recv(&id, self->sock, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&id);
            break;
        }
        if (!zmq_msg_more(&id)) {
            /* a ROUTER always puts the routing id first: cannot happen */
            zmq_msg_close(&id);
            continue;
        }
        zmq_msg_init(&body);
        if (zmq_msg_recv(&body, self->sock, 0) < 0) {
            zmq_msg_close(&body);
            zmq_msg_close(&id);
            continue;
        }
        bool extra = false;
        if (zmq_msg_more(&body)) {
            extra = true;
            zmq_msg_t more;
            zmq_msg_init(&more);
            while (zmq_msg_recv(&more, self->sock, 0) >= 0 && zmq_msg_more(&more))
                ;
            zmq_msg_close(&more);
        }
        if (zmq_msg_size(&id) <= S_ROUTING_ID_MAX)
            s_handle_fetch(self, zmq_msg_data(&id), zmq_msg_size(&id), zmq_msg_data(&body),
                           zmq_msg_size(&body), extra);
        zmq_msg_close(&body);
        zmq_msg_close(&id);
    }
    return ACC_OK;
}

static acc_err
s_server_on_tick(acc_loop_t *loop, void *arg)
{
    (void)loop;
    acc_stream_server_t *self = arg;
    /* Those whose records are there get them, not an empty answer. */
    s_answer_due(self, NULL);
    int64_t now = acc_loop_now_ms();
    size_t j = 0;
    for (size_t i = 0; i < self->n_parked; i++) {
        s_parked *p = &self->parked[i];
        if (p->deadline <= now)
            s_answer_empty(self, p->id, p->id_len, p->request_id);
        else if (i != j)
            self->parked[j++] = *p;
        else
            j++;
    }
    self->n_parked = j;
    return ACC_OK;
}

acc_err
acc_stream_server_new(void *zctx, acc_store_t *store, acc_table log, const char *name,
                      const char *const *endpoints, const char *curve_secret, uint64_t head,
                      acc_stream_server_t **out, acc_errinfo_t *ei)
{
    assert(zctx && store && out);
    acc_err err = ACC_OK;
    acc_stream_server_t *self = NULL;
    if (!s_name_valid(name)) {
        acc_errinfo_set(ei, "name", "stream name '%s' is not 1 to %d of [A-Za-z0-9._-]",
                        name ? name : "", S_NAME_MAX);
        return ACC_ERR_INVALID;
    }
    if (!endpoints || !endpoints[0]) {
        acc_errinfo_set(ei, "endpoints", "stream '%s' has no endpoint to listen on", name);
        return ACC_ERR_INVALID;
    }
    for (size_t i = 0; endpoints[i]; i++) {
        if (s_is_tcp(endpoints[i]) && !curve_secret) {
            acc_errinfo_set(ei, endpoints[i], "tcp endpoint '%s' needs a curve key", endpoints[i]);
            return ACC_ERR_INVALID;
        }
    }
    self = calloc(1, sizeof *self);
    if (!self || !(self->parked = calloc(S_PARKED_MAX, sizeof *self->parked))) {
        err = ACC_ERR_NOMEM;
        goto out;
    }
    self->store = store;
    self->log = log;
    self->head = head;
    snprintf(self->name, sizeof self->name, "%s", name);
    self->sock = zmq_socket(zctx, ZMQ_ROUTER);
    if (!self->sock) {
        acc_errinfo_set(ei, endpoints[0], "cannot create a socket for stream '%s': %s", name,
                        zmq_strerror(zmq_errno()));
        err = ACC_ERR_NET;
        goto out;
    }
    int64_t cap = S_FETCH_MAX_BYTES;
    int one = 1, linger = 0;
    /* Linger 0: an answer still queued at shutdown is worthless, the consumer fetches
     * again from its cursor. */
    if (zmq_setsockopt(self->sock, ZMQ_MAXMSGSIZE, &cap, sizeof cap) != 0 ||
        zmq_setsockopt(self->sock, ZMQ_ROUTER_MANDATORY, &one, sizeof one) != 0 ||
        zmq_setsockopt(self->sock, ZMQ_LINGER, &linger, sizeof linger) != 0) {
        acc_errinfo_set(ei, endpoints[0], "cannot set socket options for stream '%s': %s", name,
                        zmq_strerror(zmq_errno()));
        err = ACC_ERR_NET;
        goto out;
    }
    if (curve_secret) {
        err = acc_curve_server(self->sock, curve_secret);
        if (err != ACC_OK) {
            acc_errinfo_set(ei, endpoints[0], "cannot make stream '%s' a curve server: %s", name,
                            acc_strerror(err));
            goto out;
        }
    }
    for (size_t i = 0; endpoints[i]; i++) {
        if (zmq_bind(self->sock, endpoints[i]) != 0) {
            acc_errinfo_set(ei, endpoints[i], "cannot listen on '%s': %s", endpoints[i],
                            zmq_strerror(zmq_errno()));
            err = ACC_ERR_NET;
            goto out;
        }
    }
    *out = self;
    self = NULL;
out:
    acc_stream_server_destroy(&self);
    return err;
}

acc_err
acc_stream_server_attach(acc_stream_server_t *self, acc_loop_t *loop)
{
    assert(self && loop);
    acc_err err = acc_loop_add_socket(loop, self->sock, s_server_on_readable, self);
    if (err == ACC_OK)
        err = acc_loop_add_timer(loop, S_SERVER_TICK_MS, s_server_on_tick, self);
    return err;
}

void
acc_stream_server_notify(acc_stream_server_t *self, uint64_t head)
{
    assert(self);
    if (head > self->head)
        self->head = head;
    s_answer_due(self, NULL);
}

void
acc_stream_server_destroy(acc_stream_server_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    acc_stream_server_t *self = *self_p;
    if (self->sock)
        zmq_close(self->sock);
    free(self->parked);
    free(self);
    *self_p = NULL;
}

/* --- consumer side ------------------------------------------------------------------ */

struct acc_stream_consumer {
    void *sock;
    char name[S_NAME_MAX + 1];
    uint64_t cursor;
    acc_stream_apply_fn apply;
    void *arg;
    uint64_t request_id; /* of the fetch outstanding, or of the last one sent */
    bool outstanding;
    int64_t sent_at;  /* when the outstanding fetch went out */
    int64_t next_at;  /* with none outstanding: when to send the next one */
    uint32_t backoff; /* the next back-off, ms */
    uint32_t wait_ms, grace_ms;
    bool attached;
    acc_stream_record_t recs[ACC_STREAM_FETCH_MAX];
};

static void
s_consumer_send(acc_stream_consumer_t *self)
{
    Accord__V1__Fetch f = ACCORD__V1__FETCH__INIT;
    f.stream = self->name;
    f.from_seq = self->cursor + 1;
    f.max_records = ACC_STREAM_FETCH_MAX;
    f.wait_ms = self->wait_ms;
    f.request_id = ++self->request_id;
    zmq_msg_t msg;
    int64_t now = acc_loop_now_ms();
    if (zmq_msg_init_size(&msg, accord__v1__fetch__get_packed_size(&f)) != 0) {
        self->outstanding = false;
        self->next_at = now + S_SEND_RETRY_MS;
        return;
    }
    accord__v1__fetch__pack(&f, zmq_msg_data(&msg));
    /* With ZMQ_IMMEDIATE there is no queue to a peer that is not connected: EAGAIN means
     * the producer is not there yet, and the timer tries again shortly. */
    if (zmq_msg_send(&msg, self->sock, ZMQ_DONTWAIT) < 0) {
        int e = zmq_errno();
        zmq_msg_close(&msg);
        if (e != EAGAIN)
            acc_log_warn(S_TAG, "cannot send a fetch on stream '%s': %s", self->name,
                         zmq_strerror(e));
        self->outstanding = false;
        self->next_at = now + S_SEND_RETRY_MS;
        return;
    }
    self->outstanding = true;
    self->sent_at = now;
}

/* Wait before fetching again after a failure: 100 ms doubling to 5 s, each wait drawn
 * between half and all of the current step, so consumers that failed together (the same
 * producer restart, the same full disk) do not come back in lockstep. */
static void
s_consumer_backoff(acc_stream_consumer_t *self)
{
    uint32_t half = self->backoff / 2;
    uint32_t delay = half + randombytes_uniform(self->backoff - half + 1);
    self->next_at = acc_loop_now_ms() + delay;
    self->backoff = self->backoff >= S_BACKOFF_MAX_MS / 2 ? S_BACKOFF_MAX_MS : self->backoff * 2;
}

static void
s_consumer_fetch_now(acc_stream_consumer_t *self)
{
    self->next_at = 0;
    s_consumer_send(self);
}

/* Take an answer to the outstanding fetch. */
static void
s_consumer_take(acc_stream_consumer_t *self, const Accord__V1__FetchResult *r)
{
    if (r->error && r->error[0]) {
        acc_log_warn(S_TAG, "stream '%s' refused a fetch from %" PRIu64 ": %s", self->name,
                     self->cursor + 1, r->error);
        s_consumer_backoff(self);
        return;
    }
    if (r->n_records > ACC_STREAM_FETCH_MAX) {
        acc_log_warn(S_TAG, "stream '%s' answered %zu records, more than asked", self->name,
                     r->n_records);
        s_consumer_backoff(self);
        return;
    }
    /* Records at or below the cursor were applied already (a repeated answer); the rest
     * must be exactly cursor+1, cursor+2, ...: anything else is refetched. */
    size_t n = 0;
    uint64_t expect = self->cursor + 1;
    for (size_t i = 0; i < r->n_records; i++) {
        const Accord__V1__StreamRecord *rec = r->records[i];
        if (n == 0 && rec->seq <= self->cursor)
            continue;
        if (rec->seq != expect) {
            acc_log_warn(S_TAG,
                         "stream '%s' sent record %" PRIu64 " where %" PRIu64
                         " was due: fetching again",
                         self->name, rec->seq, expect);
            s_consumer_backoff(self);
            return;
        }
        self->recs[n++] = (acc_stream_record_t){
            .seq = rec->seq, .payload = rec->payload.data, .len = rec->payload.len};
        expect++;
    }
    if (n == 0) {
        if (r->n_records == 0 && r->head <= self->cursor) {
            /* the long-poll ended with nothing new: ask again */
            self->backoff = S_BACKOFF_MIN_MS;
            s_consumer_fetch_now(self);
        } else {
            /* only old records, or none while the head says there are new ones: a
             * confused producer; do not spin on it */
            acc_log_warn(S_TAG,
                         "stream '%s' sent nothing new with head %" PRIu64 " past cursor %" PRIu64,
                         self->name, r->head, self->cursor);
            s_consumer_backoff(self);
        }
        return;
    }
    acc_err err = self->apply(self->recs, n, self->arg);
    if (err != ACC_OK) {
        acc_log_warn(S_TAG, "cannot apply records %" PRIu64 "..%" PRIu64 " of stream '%s': %s",
                     self->recs[0].seq, self->recs[n - 1].seq, self->name, acc_strerror(err));
        s_consumer_backoff(self);
        return;
    }
    self->cursor = self->recs[n - 1].seq;
    self->backoff = S_BACKOFF_MIN_MS;
    s_consumer_fetch_now(self);
}

static acc_err
s_consumer_on_readable(acc_loop_t *loop, void *arg)
{
    (void)loop;
    acc_stream_consumer_t *self = arg;
    for (int i = 0; i < S_MSGS_PER_WAKE; i++) {
        zmq_msg_t msg;
        zmq_msg_init(&msg);
        if (zmq_msg_recv(&msg, self->sock, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&msg);
            break;
        }
        if (zmq_msg_more(&msg)) {
            /* answers are one frame: drop the whole message */
            zmq_msg_t more;
            zmq_msg_init(&more);
            while (zmq_msg_recv(&more, self->sock, 0) >= 0 && zmq_msg_more(&more))
                ;
            zmq_msg_close(&more);
            zmq_msg_close(&msg);
            acc_log_warn(S_TAG, "dropped a multi-frame answer on stream '%s'", self->name);
            continue;
        }
        acc_errinfo_t ei;
        acc_errinfo_clear(&ei);
        ProtobufCMessage *m = NULL;
        acc_err err = acc_codec_unpack(&accord__v1__fetch_result__descriptor, zmq_msg_data(&msg),
                                       zmq_msg_size(&msg), S_ANSWER_MAX_BYTES, &m, &ei);
        zmq_msg_close(&msg);
        if (err != ACC_OK) {
            /* Whose answer it was cannot be known: the outstanding fetch stays and is sent
             * again if nothing valid comes. */
            acc_log_warn(S_TAG, "dropped a malformed answer on stream '%s': %s: %s", self->name,
                         ei.field, ei.msg);
            continue;
        }
        Accord__V1__FetchResult *r = (Accord__V1__FetchResult *)m;
        if (self->outstanding && r->request_id == self->request_id) {
            self->outstanding = false;
            s_consumer_take(self, r);
        } else {
            acc_log_debug(S_TAG, "ignored a late answer %" PRIu64 " on stream '%s'", r->request_id,
                          self->name);
        }
        protobuf_c_message_free_unpacked(m, NULL);
    }
    return ACC_OK;
}

static acc_err
s_consumer_on_tick(acc_loop_t *loop, void *arg)
{
    (void)loop;
    acc_stream_consumer_t *self = arg;
    int64_t now = acc_loop_now_ms();
    if (self->outstanding) {
        if (now - self->sent_at < (int64_t)self->wait_ms + self->grace_ms)
            return ACC_OK;
        acc_log_info(S_TAG, "no answer on stream '%s' in %" PRId64 " ms: fetching again",
                     self->name, now - self->sent_at);
        self->outstanding = false;
        s_consumer_send(self);
    } else if (now >= self->next_at) {
        s_consumer_send(self);
    }
    return ACC_OK;
}

acc_err
acc_stream_consumer_new(void *zctx, const char *endpoint, const char *name,
                        const char *const curve[3], uint64_t cursor, acc_stream_apply_fn apply,
                        void *arg, acc_stream_consumer_t **out, acc_errinfo_t *ei)
{
    assert(zctx && out);
    acc_err err = ACC_OK;
    acc_stream_consumer_t *self = NULL;
    if (!s_name_valid(name)) {
        acc_errinfo_set(ei, "name", "stream name '%s' is not 1 to %d of [A-Za-z0-9._-]",
                        name ? name : "", S_NAME_MAX);
        return ACC_ERR_INVALID;
    }
    if (!apply || !endpoint || !*endpoint) {
        acc_errinfo_set(ei, "endpoint", "stream '%s' needs an endpoint and an apply function",
                        name);
        return ACC_ERR_INVALID;
    }
    if (s_is_tcp(endpoint) && !curve) {
        acc_errinfo_set(ei, endpoint, "tcp endpoint '%s' needs curve keys", endpoint);
        return ACC_ERR_INVALID;
    }
    /* randombytes_uniform (the back-off jitter) needs it; idempotent and thread-safe. */
    if (sodium_init() < 0) {
        acc_errinfo_set(ei, "", "cannot initialise libsodium");
        return ACC_ERR_INTERNAL;
    }
    self = calloc(1, sizeof *self);
    if (!self) {
        err = ACC_ERR_NOMEM;
        goto out;
    }
    snprintf(self->name, sizeof self->name, "%s", name);
    self->cursor = cursor;
    self->apply = apply;
    self->arg = arg;
    self->backoff = S_BACKOFF_MIN_MS;
    self->wait_ms = S_WAIT_DEFAULT_MS;
    self->grace_ms = S_GRACE_DEFAULT_MS;
    self->sock = zmq_socket(zctx, ZMQ_DEALER);
    if (!self->sock) {
        acc_errinfo_set(ei, endpoint, "cannot create a socket for stream '%s': %s", name,
                        zmq_strerror(zmq_errno()));
        err = ACC_ERR_NET;
        goto out;
    }
    int64_t cap = (int64_t)S_ANSWER_MAX_BYTES;
    int one = 1, linger = 0;
    /* IMMEDIATE: a fetch is never queued for a connection that is not up (it would sit
     * there and look outstanding); LINGER 0: a fetch pending at shutdown is worthless. */
    if (zmq_setsockopt(self->sock, ZMQ_MAXMSGSIZE, &cap, sizeof cap) != 0 ||
        zmq_setsockopt(self->sock, ZMQ_IMMEDIATE, &one, sizeof one) != 0 ||
        zmq_setsockopt(self->sock, ZMQ_LINGER, &linger, sizeof linger) != 0) {
        acc_errinfo_set(ei, endpoint, "cannot set socket options for stream '%s': %s", name,
                        zmq_strerror(zmq_errno()));
        err = ACC_ERR_NET;
        goto out;
    }
    if (curve) {
        err = acc_curve_client(self->sock, curve[0], curve[1], curve[2]);
        if (err != ACC_OK) {
            acc_errinfo_set(ei, endpoint, "cannot make stream '%s' a curve client: %s", name,
                            acc_strerror(err));
            goto out;
        }
    }
    if (zmq_connect(self->sock, endpoint) != 0) {
        acc_errinfo_set(ei, endpoint, "cannot connect to '%s': %s", endpoint,
                        zmq_strerror(zmq_errno()));
        err = ACC_ERR_NET;
        goto out;
    }
    *out = self;
    self = NULL;
out:
    acc_stream_consumer_destroy(&self);
    return err;
}

acc_err
acc_stream_consumer_set_wait(acc_stream_consumer_t *self, uint32_t wait_ms, uint32_t grace_ms)
{
    assert(self);
    if (wait_ms < 1 || wait_ms > ACC_STREAM_WAIT_MAX_MS || grace_ms < 1)
        return ACC_ERR_INVALID;
    self->wait_ms = wait_ms;
    self->grace_ms = grace_ms;
    return ACC_OK;
}

acc_err
acc_stream_consumer_attach(acc_stream_consumer_t *self, acc_loop_t *loop)
{
    assert(self && loop && !self->attached);
    acc_err err = acc_loop_add_socket(loop, self->sock, s_consumer_on_readable, self);
    if (err == ACC_OK)
        err = acc_loop_add_timer(loop, S_CONSUMER_TICK_MS, s_consumer_on_tick, self);
    if (err != ACC_OK)
        return err;
    self->attached = true;
    s_consumer_fetch_now(self);
    return ACC_OK;
}

uint64_t
acc_stream_consumer_cursor(const acc_stream_consumer_t *self)
{
    assert(self);
    return self->cursor;
}

void
acc_stream_consumer_destroy(acc_stream_consumer_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    acc_stream_consumer_t *self = *self_p;
    if (self->sock)
        zmq_close(self->sock);
    free(self);
    *self_p = NULL;
}
