/* acc_service — see acc_service.h. */
#include "acc_service.h"

#include <assert.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>
#include <zmq.h>

#include "acc_codec.h"
#include "acc_curve.h"
#include "acc_fault.h"
#include "acc_log.h"

#define MAX_TABLES 32
#define MAX_INPUTS 8
#define DRAIN_MAX 64 /* control requests handled per wake-up */
/* Short long-polls: a fetch lost with a producer that was killed is resent after wait +
 * grace, so these bound how long a consumer stalls after its producer restarts (separate
 * processes); an idle consumer costs one small fetch every 2 s. */
#define S_FETCH_WAIT_MS 2000
#define S_FETCH_GRACE_MS 1000

typedef struct {
    acc_service_t *svc;
    const char *input;
    acc_stream_consumer_t *consumer;
} s_input;

struct acc_service {
    const acc_service_def_t *def;
    const acc_config_t *cfg;
    void *zctx;
    acc_service_mode mode;
    int lock_fd;
    acc_store_t *store;
    const char *table_names[MAX_TABLES];
    acc_table tables[MAX_TABLES];
    size_t n_tables;
    acc_table t_log, t_cursors;
    uint64_t head, w_head;
    int in_write;
    acc_stream_server_t *stream;
    s_input inputs[MAX_INPUTS];
    size_t n_inputs;
    void *control;
    void *state;
    char pub[ACC_CURVE_KEY_LEN + 1], sec[ACC_CURVE_KEY_LEN + 1];
};

void
acc_service_inproc_endpoint(const char *name, char *buf, size_t len)
{
    snprintf(buf, len, "inproc://accord-%s", name);
}

void
acc_service_stream_endpoint(const char *name, char *buf, size_t len)
{
    snprintf(buf, len, "inproc://accord-%s-stream", name);
}

acc_store_t *
acc_service_store(acc_service_t *svc)
{
    return svc->store;
}

const acc_config_t *
acc_service_config(const acc_service_t *svc)
{
    return svc->cfg;
}

void *
acc_service_zctx(acc_service_t *svc)
{
    return svc->zctx;
}

acc_service_mode
acc_service_mode_of(const acc_service_t *svc)
{
    return svc->mode;
}

uint64_t
acc_service_head(const acc_service_t *svc)
{
    return svc->head;
}

acc_table
acc_service_table(acc_service_t *svc, const char *name)
{
    for (size_t i = 0; i < svc->n_tables; i++)
        if (strcmp(svc->table_names[i], name) == 0)
            return svc->tables[i];
    assert(!"acc_service_table: a table not declared in the service definition");
    return 0;
}

Accord__V1__Response *
acc_service_response(uint64_t request_id, Accord__V1__Code code, const char *field, const char *msg)
{
    Accord__V1__Response *r = malloc(sizeof *r);
    Accord__V1__Status *st = malloc(sizeof *st);
    if (!r || !st)
        goto fail;
    accord__v1__response__init(r);
    accord__v1__status__init(st);
    r->request_id = request_id;
    r->status = st;
    st->code = code;
    if (field && *field && !(st->field = strdup(field)))
        goto fail;
    if (msg && *msg && !(st->message = strdup(msg)))
        goto fail;
    return r;
fail:
    if (r && r->status) {
        accord__v1__response__free_unpacked(r, NULL);
        return NULL;
    }
    free(st);
    free(r);
    return NULL;
}

/* --- writes, events, cursors -------------------------------------------------------- */

typedef struct {
    acc_service_t *svc;
    acc_err (*fn)(acc_txn_t *txn, void *arg);
    void *arg;
} s_write;

static acc_err
s_write_attempt(acc_txn_t *txn, void *arg)
{
    s_write *w = arg;
    w->svc->w_head = w->svc->head; /* a retried attempt starts from the committed head */
    return w->fn(txn, w->arg);
}

acc_err
acc_service_write(acc_service_t *svc, acc_err (*fn)(acc_txn_t *txn, void *arg), void *arg)
{
    s_write w = {svc, fn, arg};
    svc->in_write = 1;
    acc_err err = acc_store_write(svc->store, s_write_attempt, &w);
    svc->in_write = 0;
    if (err == ACC_OK && svc->w_head != svc->head) {
        svc->head = svc->w_head;
        if (svc->stream)
            acc_stream_server_notify(svc->stream, svc->head);
    }
    return err;
}

acc_err
acc_service_emit(acc_service_t *svc, acc_txn_t *txn, const ProtobufCMessage *event, uint64_t *seq)
{
    assert(svc->in_write);
    size_t n = protobuf_c_message_get_packed_size(event);
    unsigned char stackbuf[4096];
    unsigned char *b = n <= sizeof stackbuf ? stackbuf : malloc(n);
    if (!b)
        return ACC_ERR_NOMEM;
    protobuf_c_message_pack(event, b);
    acc_err err = acc_stream_append(txn, svc->t_log, svc->w_head, b, n);
    if (b != stackbuf)
        free(b);
    if (err != ACC_OK)
        return err;
    svc->w_head++;
    if (seq)
        *seq = svc->w_head;
    return ACC_OK;
}

acc_err
acc_service_cursor_put(acc_service_t *svc, acc_txn_t *txn, const char *input, uint64_t seq)
{
    return acc_stream_cursor_put(txn, svc->t_cursors, input, seq);
}

uint64_t
acc_service_cursor(acc_service_t *svc, const char *input)
{
    acc_txn_t *txn = NULL;
    uint64_t c = 0;
    if (acc_store_read_begin(svc->store, &txn) == ACC_OK)
        acc_stream_cursor_get(txn, svc->t_cursors, input, &c);
    acc_store_read_end(&txn);
    return c;
}

/* --- control socket ------------------------------------------------------------------ */

static void
s_send(acc_service_t *svc, zmq_msg_t *id, Accord__V1__Response *resp)
{
    size_t n = accord__v1__response__get_packed_size(resp);
    zmq_msg_t body;
    if (zmq_msg_init_size(&body, n) != 0)
        return;
    accord__v1__response__pack(resp, zmq_msg_data(&body));
    if (zmq_msg_send(id, svc->control, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0 ||
        zmq_msg_send(&body, svc->control, ZMQ_DONTWAIT) < 0)
        zmq_msg_close(&body);
}

static acc_err
s_on_control(acc_loop_t *loop, void *arg)
{
    (void)loop;
    acc_service_t *svc = arg;
    for (int i = 0; i < DRAIN_MAX; i++) {
        zmq_msg_t id, body;
        zmq_msg_init(&id);
        if (zmq_msg_recv(&id, svc->control, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&id);
            break;
        }
        zmq_msg_init(&body);
        if (!zmq_msg_more(&id) || zmq_msg_recv(&body, svc->control, 0) < 0) {
            zmq_msg_close(&body);
            zmq_msg_close(&id);
            continue;
        }
        int extra = 0;
        while (zmq_msg_more(&body)) {
            zmq_msg_t more;
            zmq_msg_init(&more);
            int left = zmq_msg_recv(&more, svc->control, 0) >= 0 && zmq_msg_more(&more);
            zmq_msg_close(&more);
            extra = 1;
            if (!left)
                break;
        }
        char agency[ACC_AGENCY_MAX + 1];
        const char *who =
            acc_curve_msg_agency(&body, agency, sizeof agency) == ACC_OK ? agency : NULL;
        Accord__V1__Response *resp = NULL;
        if (extra) {
            resp = acc_service_response(0, ACCORD__V1__CODE__CODE_INVALID, "frames",
                                        "a request is exactly one frame");
        } else {
            acc_errinfo_t ei;
            acc_errinfo_clear(&ei);
            ProtobufCMessage *m = NULL;
            acc_err err = acc_codec_unpack(&accord__v1__request__descriptor, zmq_msg_data(&body),
                                           zmq_msg_size(&body),
                                           (size_t)svc->cfg->limits.message_max_bytes, &m, &ei);
            if (err != ACC_OK) {
                acc_log_info(svc->def->name, "rejected a request%s%s: %s: %s", who ? " from " : "",
                             who ? who : "", ei.field, ei.msg);
                resp =
                    acc_service_response(0,
                                         err == ACC_ERR_TOO_LARGE ? ACCORD__V1__CODE__CODE_TOO_LARGE
                                                                  : ACCORD__V1__CODE__CODE_INVALID,
                                         ei.field, ei.msg);
            } else {
                Accord__V1__Request *req = (Accord__V1__Request *)m;
                resp = svc->def->handle(svc, svc->state, req, who);
                if (!resp)
                    resp = acc_service_response(req->request_id, ACCORD__V1__CODE__CODE_RETRY, "",
                                                "out of memory; retry later");
                accord__v1__request__free_unpacked(req, NULL);
            }
        }
        if (resp) {
            s_send(svc, &id, resp);
            accord__v1__response__free_unpacked(resp, NULL);
        }
        zmq_msg_close(&body);
        zmq_msg_close(&id);
    }
    return ACC_OK;
}

static acc_err
s_on_maintain(acc_loop_t *loop, void *arg)
{
    (void)loop;
    acc_store_maintain(((acc_service_t *)arg)->store);
    return ACC_OK;
}

/* --- inputs -------------------------------------------------------------------------- */

static acc_err
s_apply(const acc_stream_record_t *recs, size_t n, void *arg)
{
    s_input *in = arg;
    acc_err err = in->svc->def->apply(in->svc, in->svc->state, in->input, recs, n);
    if (err == ACC_OK)
        acc_fault_point(in->svc->def->name, "apply.committed");
    return err;
}

/* The TCP stream endpoint of producer @name in the config ("" when none); with @connect,
 * where to connect to it (stream_connect when set). */
static const char *
s_stream_ep(const acc_config_t *cfg, const char *name, int connect)
{
    if (strcmp(name, "intake") == 0) {
        if (connect && cfg->intake_stream_connect)
            return cfg->intake_stream_connect;
        return cfg->intake_stream_bind ? cfg->intake_stream_bind : "";
    }
    const acc_service_cfg_t *s = strcmp(name, "verification") == 0   ? &cfg->verification
                                 : strcmp(name, "assignment") == 0   ? &cfg->assignment
                                 : strcmp(name, "notification") == 0 ? &cfg->notification
                                 : strcmp(name, "reporting") == 0    ? &cfg->reporting
                                                                     : NULL;
    if (s && connect && s->stream_connect)
        return s->stream_connect;
    return s && s->stream_bind ? s->stream_bind : "";
}

/* "tcp://ANY:7411" and "tcp://0.0.0.0:7411" are bind forms: connect to loopback instead. */
static void
s_connect_form(const char *bind, char *buf, size_t len)
{
    if (strncmp(bind, "tcp://*:", 8) == 0)
        snprintf(buf, len, "tcp://127.0.0.1:%s", bind + 8);
    else if (strncmp(bind, "tcp://0.0.0.0:", 14) == 0)
        snprintf(buf, len, "tcp://127.0.0.1:%s", bind + 14);
    else
        snprintf(buf, len, "%s", bind);
}

/* --- run ----------------------------------------------------------------------------- */

static acc_err
s_open(acc_service_t *svc, acc_errinfo_t *ei)
{
    const acc_service_def_t *def = svc->def;
    const acc_config_t *cfg = svc->cfg;
    char path[4200];
    snprintf(path, sizeof path, "%s/%s.lock", cfg->data_dir, def->name);
    svc->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (svc->lock_fd < 0 || flock(svc->lock_fd, LOCK_EX | LOCK_NB) != 0) {
        acc_errinfo_set(ei, path, "another %s is running on data directory '%s'", def->name,
                        cfg->data_dir);
        return ACC_ERR_UNAVAILABLE;
    }
    const char *names[MAX_TABLES + 3];
    size_t n = 0;
    for (const char *const *t = def->tables; t && *t && n < MAX_TABLES; t++)
        names[n++] = *t;
    names[n++] = "log";
    names[n++] = "cursors";
    names[n] = NULL;
    snprintf(path, sizeof path, "%s/%s", cfg->data_dir, def->name);
    acc_store_opts_t opts = {.tables = names, .map_size = 16u << 20, .map_max = 0};
    acc_err err = acc_store_open(path, &opts, &svc->store, ei);
    if (err != ACC_OK)
        return err;
    for (size_t i = 0; i + 2 < n; i++) {
        svc->table_names[i] = names[i];
        acc_store_table(svc->store, names[i], &svc->tables[i]);
    }
    svc->n_tables = n - 2;
    acc_store_table(svc->store, "log", &svc->t_log);
    acc_store_table(svc->store, "cursors", &svc->t_cursors);
    acc_txn_t *txn = NULL;
    if ((err = acc_store_read_begin(svc->store, &txn)) != ACC_OK)
        return err;
    err = acc_stream_head(txn, svc->t_log, &svc->head);
    acc_store_read_end(&txn);
    svc->w_head = svc->head;
    return err;
}

static acc_err
s_bind_control(acc_service_t *svc, acc_errinfo_t *ei)
{
    const acc_config_t *cfg = svc->cfg;
    svc->control = zmq_socket(svc->zctx, ZMQ_ROUTER);
    if (!svc->control)
        return ACC_ERR_NET;
    int64_t cap = cfg->limits.message_max_bytes * 2;
    int one = 1, linger = 1000;
    zmq_setsockopt(svc->control, ZMQ_MAXMSGSIZE, &cap, sizeof cap);
    zmq_setsockopt(svc->control, ZMQ_ROUTER_MANDATORY, &one, sizeof one);
    zmq_setsockopt(svc->control, ZMQ_LINGER, &linger, sizeof linger);
    char ep[4300];
    /* No TCP control endpoint: operators use the ipc socket, and services exchange data
     * only through streams. (CURVE is a per-socket setting, so a TCP control endpoint
     * would need a socket of its own; nothing needs one yet.) */
    snprintf(ep, sizeof ep, "ipc://%s/%s.sock", cfg->data_dir, svc->def->name);
    unlink(ep + 6); /* a socket file left by a killed process; the lock says none runs */
    if (zmq_bind(svc->control, ep) != 0)
        goto fail;
    acc_service_inproc_endpoint(svc->def->name, ep, sizeof ep);
    if (zmq_bind(svc->control, ep) != 0)
        goto fail;
    acc_log_info(svc->def->name, "control on ipc://%s/%s.sock", cfg->data_dir, svc->def->name);
    return ACC_OK;
fail:
    acc_errinfo_set(ei, ep, "cannot listen on '%s': %s", ep, zmq_strerror(zmq_errno()));
    return ACC_ERR_NET;
}

acc_err
acc_service_run(const acc_service_def_t *def, const acc_config_t *cfg, void *zctx,
                acc_service_mode mode, volatile sig_atomic_t *stop, acc_errinfo_t *ei)
{
    acc_err err;
    acc_loop_t *loop = NULL;
    acc_service_t *svc = calloc(1, sizeof *svc);
    if (!svc)
        return ACC_ERR_NOMEM;
    svc->def = def;
    svc->cfg = cfg;
    svc->zctx = zctx;
    svc->mode = mode;
    svc->lock_fd = -1;
    if ((err = s_open(svc, ei)) != ACC_OK)
        goto out;
    if (mode == ACC_SERVICE_TCP &&
        (err = acc_curve_load_keys(cfg->keys_dir, svc->pub, svc->sec, ei)) != ACC_OK)
        goto out;
    if ((err = def->start(svc, &svc->state, ei)) != ACC_OK)
        goto out;
    if ((err = s_bind_control(svc, ei)) != ACC_OK)
        goto out;

    /* Our own log, served as a stream. */
    char inproc[256], tcp[512];
    acc_service_stream_endpoint(def->name, inproc, sizeof inproc);
    const char *bind = s_stream_ep(cfg, def->name, 0);
    const char *eps[3] = {inproc, NULL, NULL};
    if (mode == ACC_SERVICE_TCP && bind[0]) {
        eps[0] = bind;
        eps[1] = NULL;
    }
    if ((err = acc_stream_server_new(zctx, svc->store, svc->t_log, def->name, eps,
                                     mode == ACC_SERVICE_TCP ? svc->sec : NULL, svc->head,
                                     &svc->stream, ei)) != ACC_OK)
        goto out;

    if ((err = acc_loop_new(&loop)) != ACC_OK ||
        (err = acc_loop_add_socket(loop, svc->control, s_on_control, svc)) != ACC_OK ||
        (err = acc_stream_server_attach(svc->stream, loop)) != ACC_OK ||
        (err = acc_loop_add_timer(loop, 60000, s_on_maintain, svc)) != ACC_OK)
        goto out;

    /* Inputs: each producer's stream, from our stored cursor. */
    for (const char *const *in = def->inputs; in && *in && svc->n_inputs < MAX_INPUTS; in++) {
        s_input *si = &svc->inputs[svc->n_inputs++];
        si->svc = svc;
        si->input = *in;
        const char *curve[3] = {svc->pub, svc->sec, svc->pub}; /* one key pair per node */
        const char *pbind = s_stream_ep(cfg, *in, 1);
        if (mode == ACC_SERVICE_TCP && pbind[0])
            s_connect_form(pbind, tcp, sizeof tcp);
        else
            acc_service_stream_endpoint(*in, tcp, sizeof tcp);
        int over_tcp = strncmp(tcp, "tcp://", 6) == 0;
        if ((err = acc_stream_consumer_new(zctx, tcp, *in, over_tcp ? curve : NULL,
                                           acc_service_cursor(svc, *in), s_apply, si, &si->consumer,
                                           ei)) != ACC_OK ||
            (err = acc_stream_consumer_set_wait(si->consumer, S_FETCH_WAIT_MS, S_FETCH_GRACE_MS)) !=
                ACC_OK ||
            (err = acc_stream_consumer_attach(si->consumer, loop)) != ACC_OK)
            goto out;
    }
    if (def->attach && (err = def->attach(svc, svc->state, loop)) != ACC_OK)
        goto out;
    acc_log_info(def->name, "running (log head %llu)", (unsigned long long)svc->head);
    err = acc_loop_run(loop, stop);
    acc_log_info(def->name, "stopping");
out:
    for (size_t i = 0; i < svc->n_inputs; i++)
        acc_stream_consumer_destroy(&svc->inputs[i].consumer);
    acc_stream_server_destroy(&svc->stream);
    acc_loop_destroy(&loop);
    if (svc->control) {
        /* Release the inproc name at once (libzmq frees it lazily after close), so that a
         * service restarted in the same context can bind it again. */
        char ep[256];
        acc_service_inproc_endpoint(def->name, ep, sizeof ep);
        zmq_unbind(svc->control, ep);
        zmq_close(svc->control);
    }
    if (svc->state && def->stop)
        def->stop(svc, svc->state);
    acc_store_destroy(&svc->store);
    if (svc->lock_fd >= 0)
        close(svc->lock_fd);
    memset(svc->sec, 0, sizeof svc->sec);
    free(svc);
    return err;
}
