/* intake_server — see intake_server.h. */
#include "intake_server.h"

#include <errno.h>
#include <pthread.h>
#include <fcntl.h>
#include <sys/file.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zmq.h>

#include "acc_codec.h"
#include "acc_curve.h"
#include "acc_fault.h"
#include "acc_log.h"
#include "acc_loop.h"
#include "intake.h"
#include "intake_http.h"

#define TAG "intake"
#define MAX_REQUESTS 256 /* requests per group commit */

#define MAX_ROUNDS 64 /* batches per wake-up before timers get a turn */

/* One group commit's worth of requests. */
typedef struct {
    size_t n;
    void *socks[MAX_REQUESTS]; /* the socket each request came on (its answer goes back there) */
    char agency[MAX_REQUESTS][ACC_AGENCY_MAX + 1];
    const char *agencies[MAX_REQUESTS]; /* CURVE-authenticated peer, or NULL (local) */
    zmq_msg_t ids[MAX_REQUESTS];
    Accord__V1__Request *reqs[MAX_REQUESTS];
    Accord__V1__Response *resps[MAX_REQUESTS];
    intake_prepared_t *prep;
    acc_err err;
} s_batch;

/*
 * Two-stage pipeline: while the intake thread commits batch k (LMDB writes and the fsync),
 * a worker thread validates and canonicalises batch k+1 (intake_prepare, which touches no
 * store). Sockets and the store stay on the intake thread; the worker only sees decoded
 * requests handed over under the mutex.
 */
typedef struct {
    const acc_config_t *cfg;
    intake_t *intake;
    void *router; /* ipc + inproc: operators and in-process clients */
    void *peers;  /* TCP with CURVE: peer nodes (intake.bind), or NULL */
    int lock_fd;
    s_batch batch[2];
    int cur;          /* the batch being filled */
    s_batch *waiting; /* prepared, not committed yet */
    pthread_t worker;
    int worker_started;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    s_batch *job; /* for the worker; NULL when idle */
    int quit;
    acc_stream_server_t *stream; /* intake's events, for the node's other services */
} s_server;

/* The request_id of an undecodable request, when its first field is one (best effort),
 * so a pipelining client can still tell which request failed. */
static uint64_t
s_peek_request_id(const unsigned char *p, size_t len)
{
    if (len < 2 || p[0] != 0x08)
        return 0;
    uint64_t v = 0;
    for (size_t i = 1; i < len && i < 11; i++) {
        v |= (uint64_t)(p[i] & 0x7f) << (7 * (i - 1));
        if (!(p[i] & 0x80))
            return v;
    }
    return 0;
}

static void
s_send(void *sock, zmq_msg_t *id, Accord__V1__Response *resp)
{
    size_t n = accord__v1__response__get_packed_size(resp);
    zmq_msg_t body;
    if (zmq_msg_init_size(&body, n) != 0) {
        acc_log_error(TAG, "cannot allocate a response of %zu bytes", n);
        return;
    }
    accord__v1__response__pack(resp, zmq_msg_data(&body));
    /* ROUTER_MANDATORY: a client that went away gives EHOSTUNREACH instead of a silent
     * drop. The data is committed either way; the client's retry is deduplicated. */
    if (zmq_msg_send(id, sock, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0 ||
        zmq_msg_send(&body, sock, ZMQ_DONTWAIT) < 0) {
        acc_log_debug(TAG, "response not delivered: %s", zmq_strerror(zmq_errno()));
        zmq_msg_close(&body);
    }
}

static void
s_reply_error(void *sock, zmq_msg_t *id, uint64_t request_id, Accord__V1__Code code,
              const char *field, const char *msg)
{
    Accord__V1__Response *r = intake_error_response(request_id, code, field, msg);
    if (r) {
        s_send(sock, id, r);
        accord__v1__response__free_unpacked(r, NULL);
    }
}

/* Receive one request. Returns 1 when one was queued at @slot, 0 when it was answered
 * with an error at once, -1 when nothing was waiting. */
static int
s_recv_one(s_server *srv, void *sock, s_batch *b, size_t slot)
{
    zmq_msg_t *id = &b->ids[slot];
    zmq_msg_init(id);
    if (zmq_msg_recv(id, sock, ZMQ_DONTWAIT) < 0) {
        zmq_msg_close(id);
        return -1;
    }
    zmq_msg_t body;
    zmq_msg_init(&body);
    if (!zmq_msg_more(id) || zmq_msg_recv(&body, sock, 0) < 0) {
        zmq_msg_close(&body);
        zmq_msg_close(id);
        return 0;
    }
    int extra = 0;
    while (zmq_msg_more(&body)) {
        /* Drain the rest of a multi-frame message; it is answered with an error. */
        zmq_msg_t more;
        zmq_msg_init(&more);
        int more_left = zmq_msg_recv(&more, sock, 0) >= 0 && zmq_msg_more(&more);
        zmq_msg_close(&more);
        extra = 1;
        if (!more_left)
            break;
    }
    const unsigned char *data = zmq_msg_data(&body);
    size_t len = zmq_msg_size(&body);
    int rc = 1;
    if (extra) {
        s_reply_error(sock, id, s_peek_request_id(data, len), ACCORD__V1__CODE__CODE_INVALID,
                      "frames", "a request is exactly one frame (see docs/protocol.md)");
        rc = 0;
    } else {
        acc_errinfo_t ei;
        acc_errinfo_clear(&ei);
        ProtobufCMessage *m = NULL;
        acc_err err = acc_codec_unpack(&accord__v1__request__descriptor, data, len,
                                       (size_t)srv->cfg->limits.message_max_bytes, &m, &ei);
        if (err != ACC_OK) {
            acc_log_info(TAG, "rejected a request: %s: %s", ei.field, ei.msg);
            s_reply_error(sock, id, s_peek_request_id(data, len),
                          err == ACC_ERR_TOO_LARGE ? ACCORD__V1__CODE__CODE_TOO_LARGE
                                                   : ACCORD__V1__CODE__CODE_INVALID,
                          ei.field, ei.msg);
            rc = 0;
        } else {
            b->reqs[slot] = (Accord__V1__Request *)m;
            b->socks[slot] = sock;
            /* The sender's identity is what the ZAP handler authenticated, nothing else. */
            b->agencies[slot] =
                sock == srv->peers && acc_curve_msg_agency(&body, b->agency[slot],
                                                           sizeof b->agency[slot]) == ACC_OK
                    ? b->agency[slot]
                    : NULL;
        }
    }
    zmq_msg_close(&body);
    if (rc == 0)
        zmq_msg_close(id);
    return rc;
}

static void *
s_worker_main(void *arg)
{
    s_server *srv = arg;
    pthread_mutex_lock(&srv->mu);
    for (;;) {
        while (!srv->job && !srv->quit)
            pthread_cond_wait(&srv->cv, &srv->mu);
        if (srv->quit)
            break;
        s_batch *b = srv->job;
        pthread_mutex_unlock(&srv->mu);
        b->err = intake_prepare(srv->intake, b->reqs, b->agencies, b->n, b->resps, &b->prep);
        pthread_mutex_lock(&srv->mu);
        srv->job = NULL;
        pthread_cond_broadcast(&srv->cv);
    }
    pthread_mutex_unlock(&srv->mu);
    return NULL;
}

static void
s_prepare_start(s_server *srv, s_batch *b)
{
    pthread_mutex_lock(&srv->mu);
    srv->job = b;
    pthread_cond_broadcast(&srv->cv);
    pthread_mutex_unlock(&srv->mu);
}

static void
s_prepare_wait(s_server *srv)
{
    pthread_mutex_lock(&srv->mu);
    while (srv->job)
        pthread_cond_wait(&srv->cv, &srv->mu);
    pthread_mutex_unlock(&srv->mu);
}

/* Receive what has arrived into @b, up to the batch limits. */
static void
s_drain(s_server *srv, s_batch *b)
{
    size_t reports = 0;
    int64_t deadline = -1;
    b->n = 0;
    while (b->n < MAX_REQUESTS && reports < (size_t)srv->cfg->intake.batch_max) {
        int rc = s_recv_one(srv, srv->router, b, b->n);
        if (rc < 0 && srv->peers)
            rc = s_recv_one(srv, srv->peers, b, b->n);
        if (rc > 0) {
            if (b->reqs[b->n]->body_case == ACCORD__V1__REQUEST__BODY_SUBMIT)
                reports += b->reqs[b->n]->submit->n_reports;
            b->n++;
            continue;
        }
        if (rc == 0)
            continue;
        /* Nothing waiting. Optionally wait a little for more to share the fsync. */
        if (b->n == 0 || srv->cfg->intake.commit_wait_us == 0)
            break;
        int64_t now = acc_loop_now_ms();
        if (deadline < 0)
            deadline = now + (srv->cfg->intake.commit_wait_us + 999) / 1000;
        if (now >= deadline)
            break;
        zmq_pollitem_t it[2] = {{.socket = srv->router, .events = ZMQ_POLLIN},
                                {.socket = srv->peers, .events = ZMQ_POLLIN}};
        if (zmq_poll(it, srv->peers ? 2 : 1, (long)(deadline - now)) <= 0)
            break;
    }
}

/* Commit a prepared batch and answer every request in it. */
static void
s_finish(s_server *srv, s_batch *b)
{
    acc_err err = b->err == ACC_OK ? intake_commit(srv->intake, &b->prep) : b->err;
    if (err == ACC_OK && srv->stream)
        acc_stream_server_notify(srv->stream, intake_head(srv->intake));
    for (size_t i = 0; i < b->n; i++) {
        if (err == ACC_OK) {
            acc_fault_point("intake", b->reqs[i]->body_case == ACCORD__V1__REQUEST__BODY_DELIVER
                                          ? "deliver.committed"
                                      : b->reqs[i]->body_case == ACCORD__V1__REQUEST__BODY_SUBMIT
                                          ? "submit.committed"
                                          : "read.committed");
            s_send(b->socks[i], &b->ids[i], b->resps[i]);
            accord__v1__response__free_unpacked(b->resps[i], NULL);
        } else {
            s_reply_error(b->socks[i], &b->ids[i], b->reqs[i]->request_id,
                          ACCORD__V1__CODE__CODE_RETRY, "", "node out of memory; retry later");
        }
        accord__v1__request__free_unpacked(b->reqs[i], NULL);
        zmq_msg_close(&b->ids[i]);
    }
    b->n = 0;
    b->prep = NULL;
    b->err = ACC_OK;
}

static acc_err
s_on_readable(acc_loop_t *loop, void *arg)
{
    (void)loop;
    s_server *srv = arg;
    for (int round = 0; round < MAX_ROUNDS; round++) {
        s_batch *b = &srv->batch[srv->cur];
        s_drain(srv, b);
        if (b->n == 0)
            break;
        s_prepare_start(srv, b);
        if (srv->waiting) {
            s_finish(srv, srv->waiting); /* overlaps with the worker's prepare of b */
            srv->waiting = NULL;
        }
        s_prepare_wait(srv);
        srv->waiting = b;
        srv->cur ^= 1;
    }
    if (srv->waiting) {
        s_finish(srv, srv->waiting);
        srv->waiting = NULL;
    }
    return ACC_OK;
}

static acc_err
s_on_idle(acc_loop_t *loop, void *arg)
{
    (void)loop;
    intake_idle(((s_server *)arg)->intake);
    return ACC_OK;
}

static acc_err
s_on_maintain(acc_loop_t *loop, void *arg)
{
    (void)loop;
    intake_maintain(((s_server *)arg)->intake);
    return ACC_OK;
}

acc_err
intake_server_run(const acc_config_t *cfg, void *zctx, acc_service_mode mode,
                  volatile sig_atomic_t *stop, acc_errinfo_t *ei)
{
    acc_err err;
    acc_loop_t *loop = NULL;
    intake_http_t *http = NULL;
    s_server *srv = calloc(1, sizeof *srv);
    if (!srv)
        return ACC_ERR_NOMEM;
    srv->cfg = cfg;
    srv->lock_fd = -1;
    err = ACC_ERR_NET;
    srv->router = zmq_socket(zctx, ZMQ_ROUTER);
    if (!srv->router)
        goto out;
    /* The socket cap is twice the message limit: up to there a client gets a clear
     * "too large" answer from the codec; beyond it libzmq drops the connection before
     * allocating anything. */
    int64_t cap = cfg->limits.message_max_bytes * 2;
    int one = 1, linger = 1000, hwm = 100000;
    zmq_setsockopt(srv->router, ZMQ_MAXMSGSIZE, &cap, sizeof cap);
    zmq_setsockopt(srv->router, ZMQ_ROUTER_MANDATORY, &one, sizeof one);
    zmq_setsockopt(srv->router, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt(srv->router, ZMQ_SNDHWM, &hwm, sizeof hwm);
    zmq_setsockopt(srv->router, ZMQ_RCVHWM, &hwm, sizeof hwm);

    /* One intake per data directory: the lock is held until the process ends (a killed
     * node releases it with its file descriptors), so the socket file below can be
     * replaced safely. */
    char lockp[4200];
    snprintf(lockp, sizeof lockp, "%s/intake.lock", cfg->data_dir);
    srv->lock_fd = open(lockp, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (srv->lock_fd < 0 || flock(srv->lock_fd, LOCK_EX | LOCK_NB) != 0) {
        acc_errinfo_set(ei, lockp, "another intake is running on data directory '%s'",
                        cfg->data_dir);
        err = ACC_ERR_UNAVAILABLE;
        goto out;
    }
    if ((err = intake_new(cfg, &srv->intake, ei)) != ACC_OK)
        goto out;
    err = ACC_ERR_NET;
    char ep[4200];
    snprintf(ep, sizeof ep, "ipc://%s", cfg->intake.ipc_path);
    unlink(cfg->intake.ipc_path); /* a socket file left by a killed node */
    if (zmq_bind(srv->router, ep) != 0) {
        acc_errinfo_set(ei, ep, "cannot listen on '%s': %s", ep, zmq_strerror(zmq_errno()));
        goto out;
    }
    acc_log_info(TAG, "listening on %s", ep);
    /* In-process clients (HTTP ingest threads, other services of accord-node). */
    if (zmq_bind(srv->router, INTAKE_INPROC_ENDPOINT) != 0) {
        acc_errinfo_set(ei, INTAKE_INPROC_ENDPOINT, "cannot listen on '%s': %s",
                        INTAKE_INPROC_ENDPOINT, zmq_strerror(zmq_errno()));
        goto out;
    }
    /* The node's door for peer nodes: TCP with CURVE; the ZAP handler of the context
     * (acc_main_zap) admits only configured peers and the node's own key, and says which
     * agency each message comes from. */
    char pub[ACC_CURVE_KEY_LEN + 1], sec[ACC_CURVE_KEY_LEN + 1];
    int have_keys = 0;
    if (cfg->intake.bind[0] ||
        (mode == ACC_SERVICE_TCP && cfg->intake_stream_bind && cfg->intake_stream_bind[0])) {
        if ((err = acc_curve_load_keys(cfg->keys_dir, pub, sec, ei)) != ACC_OK)
            goto out;
        have_keys = 1;
    }
    if (cfg->intake.bind[0]) {
        err = ACC_ERR_NET;
        srv->peers = zmq_socket(zctx, ZMQ_ROUTER);
        if (!srv->peers)
            goto out;
        zmq_setsockopt(srv->peers, ZMQ_MAXMSGSIZE, &cap, sizeof cap);
        zmq_setsockopt(srv->peers, ZMQ_ROUTER_MANDATORY, &one, sizeof one);
        zmq_setsockopt(srv->peers, ZMQ_LINGER, &linger, sizeof linger);
        if ((err = acc_curve_server(srv->peers, sec)) != ACC_OK) {
            acc_errinfo_set(ei, "keys", "cannot make intake a CURVE server");
            goto out;
        }
        if (zmq_bind(srv->peers, cfg->intake.bind) != 0) {
            acc_errinfo_set(ei, "intake.bind", "cannot listen on '%s': %s", cfg->intake.bind,
                            zmq_strerror(zmq_errno()));
            err = ACC_ERR_NET;
            goto out;
        }
        acc_log_info(TAG, "peers (CURVE) on %s", cfg->intake.bind);
    }
    /* intake's stream, for the node's other services */
    {
        char sep[128];
        acc_service_stream_endpoint("intake", sep, sizeof sep);
        const char *eps[2] = {sep, NULL};
        if (mode == ACC_SERVICE_TCP && cfg->intake_stream_bind && cfg->intake_stream_bind[0])
            eps[0] = cfg->intake_stream_bind;
        int over_tcp = strncmp(eps[0], "tcp://", 6) == 0;
        if ((err = acc_stream_server_new(zctx, intake_store(srv->intake),
                                         intake_events_table(srv->intake), "intake", eps,
                                         over_tcp && have_keys ? sec : NULL,
                                         intake_head(srv->intake), &srv->stream, ei)) != ACC_OK)
            goto out;
    }
    memset(sec, 0, sizeof sec);
    /* HTTP ingest talks to this router over inproc, from its own threads. */
    if (cfg->http.bind && cfg->http.bind[0] &&
        (err = intake_http_new(cfg, zctx, &http, ei)) != ACC_OK)
        goto out;
    pthread_mutex_init(&srv->mu, NULL);
    pthread_cond_init(&srv->cv, NULL);
    if (pthread_create(&srv->worker, NULL, s_worker_main, srv) != 0) {
        acc_errinfo_set(ei, "intake", "cannot start the validation thread");
        err = ACC_ERR_INTERNAL;
        goto out;
    }
    srv->worker_started = 1;
    if ((err = acc_loop_new(&loop)) != ACC_OK ||
        (err = acc_loop_add_socket(loop, srv->router, s_on_readable, srv)) != ACC_OK ||
        (srv->peers &&
         (err = acc_loop_add_socket(loop, srv->peers, s_on_readable, srv)) != ACC_OK) ||
        (err = acc_stream_server_attach(srv->stream, loop)) != ACC_OK ||
        (err = acc_loop_add_timer(loop, 60000, s_on_maintain, srv)) != ACC_OK ||
        (err = acc_loop_add_timer(loop, 1000, s_on_idle, srv)) != ACC_OK)
        goto out;
    err = acc_loop_run(loop, stop);
    acc_log_info(TAG, "stopping");
out:
    intake_http_destroy(&http); /* before the router: its waiting requests get 503 */
    if (srv->worker_started) {
        pthread_mutex_lock(&srv->mu);
        srv->quit = 1;
        pthread_cond_broadcast(&srv->cv);
        pthread_mutex_unlock(&srv->mu);
        pthread_join(srv->worker, NULL);
        pthread_mutex_destroy(&srv->mu);
        pthread_cond_destroy(&srv->cv);
    }
    acc_stream_server_destroy(&srv->stream);
    acc_loop_destroy(&loop);
    if (srv->router)
        zmq_close(srv->router);
    if (srv->peers)
        zmq_close(srv->peers);
    intake_destroy(&srv->intake);
    if (srv->lock_fd >= 0)
        close(srv->lock_fd);
    free(srv);
    return err;
}
