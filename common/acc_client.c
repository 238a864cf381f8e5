/* acc_client — see acc_client.h. */
#include "acc_client.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zmq.h>

#include "acc_codec.h"

struct acc_client {
    void *ctx;
    void *sock;
    size_t max_msg;
    uint64_t next_id;
};

acc_err
acc_client_new(const char *endpoint, size_t max_msg, acc_client_t **out, acc_errinfo_t *ei)
{
    acc_err err = ACC_ERR_NET;
    acc_client_t *self = calloc(1, sizeof *self);
    if (!self)
        return ACC_ERR_NOMEM;
    self->max_msg = max_msg;
    if (strncmp(endpoint, "ipc://", 6) == 0) {
        struct stat st;
        if (stat(endpoint + 6, &st) != 0) {
            acc_errinfo_set(ei, "endpoint", "no node is listening at '%s'", endpoint + 6);
            err = ACC_ERR_UNAVAILABLE;
            goto out;
        }
    }
    self->ctx = zmq_ctx_new();
    if (!self->ctx)
        goto out;
    self->sock = zmq_socket(self->ctx, ZMQ_DEALER);
    if (!self->sock)
        goto out;
    int linger = 0;
    int64_t mx = (int64_t)max_msg;
    int hwm = 0; /* no silent drop on our side: pipelining is bounded by the caller */
    zmq_setsockopt(self->sock, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt(self->sock, ZMQ_MAXMSGSIZE, &mx, sizeof mx);
    zmq_setsockopt(self->sock, ZMQ_SNDHWM, &hwm, sizeof hwm);
    zmq_setsockopt(self->sock, ZMQ_RCVHWM, &hwm, sizeof hwm);
    if (zmq_connect(self->sock, endpoint) != 0) {
        acc_errinfo_set(ei, "endpoint", "cannot connect to '%s': %s", endpoint,
                        zmq_strerror(zmq_errno()));
        err = ACC_ERR_INVALID;
        goto out;
    }
    *out = self;
    return ACC_OK;
out:
    acc_client_destroy(&self);
    return err;
}

void
acc_client_destroy(acc_client_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    acc_client_t *self = *self_p;
    if (self->sock)
        zmq_close(self->sock);
    if (self->ctx)
        zmq_ctx_term(self->ctx);
    free(self);
    *self_p = NULL;
}

uint64_t
acc_client_next_id(acc_client_t *self)
{
    return ++self->next_id;
}

acc_err
acc_client_send_raw(acc_client_t *self, const void *buf, size_t len)
{
    if (zmq_send(self->sock, buf, len, 0) < 0)
        return ACC_ERR_NET;
    return ACC_OK;
}

acc_err
acc_client_send(acc_client_t *self, const Accord__V1__Request *req)
{
    uint8_t *buf = NULL;
    size_t len = 0;
    acc_err err = acc_codec_pack(&req->base, self->max_msg, &buf, &len);
    if (err != ACC_OK)
        return err;
    err = acc_client_send_raw(self, buf, len);
    free(buf);
    return err;
}

acc_err
acc_client_recv(acc_client_t *self, int timeout_ms, Accord__V1__Response **out, acc_errinfo_t *ei)
{
    zmq_pollitem_t it = {.socket = self->sock, .events = ZMQ_POLLIN};
    int rc = zmq_poll(&it, 1, timeout_ms);
    if (rc < 0)
        return ACC_ERR_NET;
    if (rc == 0)
        return ACC_ERR_TIMEOUT;
    zmq_msg_t msg;
    zmq_msg_init(&msg);
    if (zmq_msg_recv(&msg, self->sock, 0) < 0) {
        zmq_msg_close(&msg);
        return ACC_ERR_NET;
    }
    ProtobufCMessage *m = NULL;
    acc_err err = acc_codec_unpack(&accord__v1__response__descriptor, zmq_msg_data(&msg),
                                   zmq_msg_size(&msg), self->max_msg, &m, ei);
    /* Drain any further frames of a malformed multi-frame reply. */
    while (zmq_msg_more(&msg)) {
        zmq_msg_close(&msg);
        zmq_msg_init(&msg);
        if (zmq_msg_recv(&msg, self->sock, 0) < 0)
            break;
    }
    zmq_msg_close(&msg);
    if (err != ACC_OK)
        return err;
    *out = (Accord__V1__Response *)m;
    return ACC_OK;
}

acc_err
acc_client_call(acc_client_t *self, Accord__V1__Request *req, int timeout_ms,
                Accord__V1__Response **out, acc_errinfo_t *ei)
{
    if (req->request_id == 0)
        req->request_id = acc_client_next_id(self);
    acc_err err = acc_client_send(self, req);
    if (err != ACC_OK)
        return err;
    for (;;) {
        Accord__V1__Response *r = NULL;
        err = acc_client_recv(self, timeout_ms, &r, ei);
        if (err != ACC_OK)
            return err;
        if (r->request_id == req->request_id) {
            *out = r;
            return ACC_OK;
        }
        accord__v1__response__free_unpacked(r, NULL);
    }
}

acc_err
acc_client_new_in(void *zctx, const char *endpoint, size_t max_msg, acc_client_t **out,
                  acc_errinfo_t *ei)
{
    acc_err err = ACC_ERR_NET;
    acc_client_t *self = calloc(1, sizeof *self);
    if (!self)
        return ACC_ERR_NOMEM;
    /* self->ctx stays NULL: the context is the caller's, and acc_client_destroy only
     * terminates the one it made. */
    self->max_msg = max_msg;
    if (strncmp(endpoint, "ipc://", 6) == 0) {
        struct stat st;
        if (stat(endpoint + 6, &st) != 0) {
            acc_errinfo_set(ei, "endpoint", "no node is listening at '%s'", endpoint + 6);
            err = ACC_ERR_UNAVAILABLE;
            goto out;
        }
    }
    self->sock = zmq_socket(zctx, ZMQ_DEALER);
    if (!self->sock)
        goto out;
    int linger = 0;
    int64_t mx = (int64_t)max_msg;
    int hwm = 0; /* no silent drop on our side: pipelining is bounded by the caller */
    zmq_setsockopt(self->sock, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt(self->sock, ZMQ_MAXMSGSIZE, &mx, sizeof mx);
    zmq_setsockopt(self->sock, ZMQ_SNDHWM, &hwm, sizeof hwm);
    zmq_setsockopt(self->sock, ZMQ_RCVHWM, &hwm, sizeof hwm);
    if (zmq_connect(self->sock, endpoint) != 0) {
        acc_errinfo_set(ei, "endpoint", "cannot connect to '%s': %s", endpoint,
                        zmq_strerror(zmq_errno()));
        err = ACC_ERR_INVALID;
        goto out;
    }
    *out = self;
    return ACC_OK;
out:
    acc_client_destroy(&self);
    return err;
}
