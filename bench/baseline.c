/*
 * baseline — the least a durable intake can do, as the yardstick for intake's figures
 * (see bench/README.md): a ZeroMQ ROUTER that receives the same Request messages as a
 * node's intake, decodes them with plain protobuf-c, and stores each report in LMDB
 * keyed by its 16-byte binary id with MDB_NOOVERWRITE as the duplicate check (value:
 * the report re-packed). Group commit like intake: drain what has arrived, up to 1,000
 * reports, one write transaction with LMDB's default (durable) flags, commit, then
 * reply with one Response per request with per-report outcomes. No validation beyond
 * the id, no URL canonicalisation, no cases. LMDB is used directly, not through
 * acc_store: the baseline is meant to be the bare library.
 *
 *   baseline --endpoint EP --dir DIR     runs until SIGINT or SIGTERM
 *
 * Outcomes: OUTCOME_NEW_CASE means "stored" (there are no cases here),
 * OUTCOME_ALREADY_PRESENT a known id, OUTCOME_REJECTED an id that is not a UUID.
 */
#include <errno.h>
#include <lmdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zmq.h>

#include "acc_ids.h"
#include "accord/v1/control.pb-c.h"

#define MAX_REPORTS 1000  /* per commit, as intake's batch_max */
#define MAX_REQUESTS 1000 /* per commit */
#define MAX_MSG (2u << 20)
#define MAP_SIZE (8ULL << 30)

static volatile sig_atomic_t s_stop;

static void
s_on_signal(int sig)
{
    (void)sig;
    s_stop = 1;
}

typedef struct {
    void *router;
    MDB_env *env;
    MDB_dbi dbi;
    zmq_msg_t ids[MAX_REQUESTS];
    Accord__V1__Request *reqs[MAX_REQUESTS];
    int *outcomes; /* per report of the batch, in order */
    unsigned char *val;
    size_t val_cap;
} s_server;

static void
s_reply(s_server *srv, zmq_msg_t *id, Accord__V1__Response *resp)
{
    zmq_msg_t body;
    size_t n = accord__v1__response__get_packed_size(resp);
    if (zmq_msg_init_size(&body, n) != 0)
        return;
    accord__v1__response__pack(resp, zmq_msg_data(&body));
    if (zmq_msg_send(id, srv->router, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0 ||
        zmq_msg_send(&body, srv->router, ZMQ_DONTWAIT) < 0)
        zmq_msg_close(&body);
}

/* Receive one request into slot @i: 1 queued, 0 dropped (malformed), -1 none waiting. */
static int
s_recv(s_server *srv, size_t i)
{
    zmq_msg_t *id = &srv->ids[i], body;
    zmq_msg_init(id);
    if (zmq_msg_recv(id, srv->router, ZMQ_DONTWAIT) < 0) {
        zmq_msg_close(id);
        return -1;
    }
    zmq_msg_init(&body);
    int ok = zmq_msg_more(id) && zmq_msg_recv(&body, srv->router, 0) >= 0 && !zmq_msg_more(&body);
    srv->reqs[i] =
        ok ? accord__v1__request__unpack(NULL, zmq_msg_size(&body), zmq_msg_data(&body)) : NULL;
    zmq_msg_close(&body);
    if (!srv->reqs[i]) {
        zmq_msg_close(id);
        return 0;
    }
    return 1;
}

/* One write transaction for the reports of @reqs[0..n); outcomes into srv->outcomes. */
static int
s_store(s_server *srv, size_t n)
{
    MDB_txn *txn;
    int rc = mdb_txn_begin(srv->env, NULL, 0, &txn);
    if (rc != 0)
        return rc;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (srv->reqs[i]->body_case != ACCORD__V1__REQUEST__BODY_SUBMIT)
            continue;
        for (size_t j = 0; j < srv->reqs[i]->submit->n_reports; j++, k++) {
            const Accord__V1__Report *r = srv->reqs[i]->submit->reports[j];
            acc_uuid_t uid;
            if (acc_uuid_parse(r->id, strlen(r->id), &uid) != ACC_OK) {
                srv->outcomes[k] = ACCORD__V1__OUTCOME__OUTCOME_REJECTED;
                continue;
            }
            size_t len = accord__v1__report__get_packed_size(r);
            if (len > srv->val_cap) {
                unsigned char *nv = realloc(srv->val, len);
                if (!nv) {
                    rc = ENOMEM;
                    goto fail;
                }
                srv->val = nv;
                srv->val_cap = len;
            }
            accord__v1__report__pack(r, srv->val);
            MDB_val key = {.mv_size = 16, .mv_data = uid.b};
            MDB_val val = {.mv_size = len, .mv_data = srv->val};
            rc = mdb_put(txn, srv->dbi, &key, &val, MDB_NOOVERWRITE);
            if (rc == MDB_KEYEXIST)
                srv->outcomes[k] = ACCORD__V1__OUTCOME__OUTCOME_ALREADY_PRESENT;
            else if (rc == 0)
                srv->outcomes[k] = ACCORD__V1__OUTCOME__OUTCOME_NEW_CASE;
            else
                goto fail;
        }
    }
    return mdb_txn_commit(txn);
fail:
    mdb_txn_abort(txn);
    return rc;
}

/* Answer @q, whose reports' outcomes start at @outcomes (NULL: the store failed). */
static void
s_answer(s_server *srv, zmq_msg_t *id, const Accord__V1__Request *q, const int *outcomes)
{
    Accord__V1__Response resp;
    Accord__V1__Status st;
    Accord__V1__SubmitResult sr;
    Accord__V1__Pong pong;
    accord__v1__response__init(&resp);
    accord__v1__status__init(&st);
    resp.request_id = q->request_id;
    resp.status = &st;
    if (q->body_case != ACCORD__V1__REQUEST__BODY_SUBMIT) {
        accord__v1__pong__init(&pong);
        resp.body_case = ACCORD__V1__RESPONSE__BODY_PONG;
        resp.pong = &pong;
        s_reply(srv, id, &resp);
        return;
    }
    if (!outcomes) {
        st.code = ACCORD__V1__CODE__CODE_RETRY;
        st.message = "store failed; send again later";
        s_reply(srv, id, &resp);
        return;
    }
    size_t n = q->submit->n_reports;
    Accord__V1__ReportResult *rr = calloc(n ? n : 1, sizeof *rr);
    Accord__V1__ReportResult **rp = calloc(n ? n : 1, sizeof *rp);
    if (!rr || !rp) {
        st.code = ACCORD__V1__CODE__CODE_RETRY;
        st.message = "out of memory";
    } else {
        for (size_t j = 0; j < n; j++) {
            accord__v1__report_result__init(&rr[j]);
            rr[j].index = (uint32_t)j;
            rr[j].outcome = outcomes[j];
            rr[j].report_id = q->submit->reports[j]->id; /* borrowed */
            rp[j] = &rr[j];
        }
        accord__v1__submit_result__init(&sr);
        sr.results = rp;
        sr.n_results = n;
        resp.body_case = ACCORD__V1__RESPONSE__BODY_SUBMIT;
        resp.submit = &sr;
    }
    s_reply(srv, id, &resp);
    free(rp);
    free(rr);
}

static void
s_batch(s_server *srv)
{
    size_t n = 0, reports = 0;
    while (n < MAX_REQUESTS && reports < MAX_REPORTS) {
        int rc = s_recv(srv, n);
        if (rc < 0)
            break;
        if (rc == 0)
            continue;
        if (srv->reqs[n]->body_case == ACCORD__V1__REQUEST__BODY_SUBMIT)
            reports += srv->reqs[n]->submit->n_reports;
        n++;
    }
    if (n == 0)
        return;
    int *outcomes = realloc(srv->outcomes, (reports ? reports : 1) * sizeof *outcomes);
    int rc = ENOMEM;
    if (outcomes) {
        srv->outcomes = outcomes;
        rc = s_store(srv, n);
    }
    if (rc != 0)
        fprintf(stderr, "baseline: batch not stored: %s\n", mdb_strerror(rc));
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        s_answer(srv, &srv->ids[i], srv->reqs[i], rc == 0 ? srv->outcomes + k : NULL);
        if (srv->reqs[i]->body_case == ACCORD__V1__REQUEST__BODY_SUBMIT)
            k += srv->reqs[i]->submit->n_reports;
        accord__v1__request__free_unpacked(srv->reqs[i], NULL);
        zmq_msg_close(&srv->ids[i]);
    }
}

int
main(int argc, char **argv)
{
    const char *endpoint = NULL, *dir = NULL;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--endpoint") == 0)
            endpoint = argv[i + 1];
        else if (strcmp(argv[i], "--dir") == 0)
            dir = argv[i + 1];
    }
    if (!endpoint || !dir || argc != 5) {
        fprintf(stderr, "usage: baseline --endpoint EP --dir DIR\n");
        return 2;
    }
    int rc = 1;
    void *ctx = zmq_ctx_new();
    s_server *srv = calloc(1, sizeof *srv);
    if (!ctx || !srv)
        goto out;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = s_on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    MDB_txn *txn = NULL;
    int mrc;
    if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
        fprintf(stderr, "baseline: cannot create '%s': %s\n", dir, strerror(errno));
        goto out;
    }
    if ((mrc = mdb_env_create(&srv->env)) != 0 ||
        (mrc = mdb_env_set_mapsize(srv->env, MAP_SIZE)) != 0 ||
        (mrc = mdb_env_open(srv->env, dir, 0, 0600)) != 0 ||
        (mrc = mdb_txn_begin(srv->env, NULL, 0, &txn)) != 0 ||
        (mrc = mdb_dbi_open(txn, NULL, 0, &srv->dbi)) != 0 || (mrc = mdb_txn_commit(txn)) != 0) {
        fprintf(stderr, "baseline: cannot open store '%s': %s\n", dir, mdb_strerror(mrc));
        goto out;
    }
    srv->router = zmq_socket(ctx, ZMQ_ROUTER);
    int64_t cap = MAX_MSG;
    int hwm = 100000, linger = 0;
    zmq_setsockopt(srv->router, ZMQ_MAXMSGSIZE, &cap, sizeof cap);
    zmq_setsockopt(srv->router, ZMQ_SNDHWM, &hwm, sizeof hwm);
    zmq_setsockopt(srv->router, ZMQ_RCVHWM, &hwm, sizeof hwm);
    zmq_setsockopt(srv->router, ZMQ_LINGER, &linger, sizeof linger);
    if (zmq_bind(srv->router, endpoint) != 0) {
        fprintf(stderr, "baseline: cannot listen on '%s': %s\n", endpoint,
                zmq_strerror(zmq_errno()));
        goto out;
    }
    fprintf(stderr, "baseline: listening on %s, store in %s\n", endpoint, dir);
    while (!s_stop) {
        zmq_pollitem_t it = {.socket = srv->router, .events = ZMQ_POLLIN};
        int n = zmq_poll(&it, 1, 200);
        if (n < 0 && zmq_errno() != EINTR) {
            fprintf(stderr, "baseline: poll: %s\n", zmq_strerror(zmq_errno()));
            goto out;
        }
        if (n > 0)
            s_batch(srv);
    }
    rc = 0;
out:
    if (srv) {
        if (srv->router)
            zmq_close(srv->router);
        if (srv->env)
            mdb_env_close(srv->env);
        free(srv->outcomes);
        free(srv->val);
        free(srv);
    }
    if (ctx)
        zmq_ctx_term(ctx);
    return rc;
}
