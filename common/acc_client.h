/*
 * acc_client — the client side of the control API (docs/protocol.md): a ZeroMQ DEALER
 * that sends Request messages to a node's intake and receives Response messages.
 * Used by accordctl and the benchmarks. Requests may be pipelined: send several, then
 * receive; responses carry the request_id they answer.
 */
#ifndef ACC_CLIENT_H
#define ACC_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "acc_err.h"
#include "accord/v1/control.pb-c.h"

typedef struct acc_client acc_client_t;

/*
 * acc_client_new — connect to @endpoint ("ipc:///path" or "tcp://host:port").
 * @max_msg: the largest response accepted (ZMQ_MAXMSGSIZE), e.g. 64 MiB.
 * Connecting is asynchronous: an unreachable node shows as ACC_ERR_TIMEOUT on receive.
 * For ipc endpoints a missing socket file is reported at once as ACC_ERR_UNAVAILABLE.
 */
acc_err acc_client_new(const char *endpoint, size_t max_msg, acc_client_t **out, acc_errinfo_t *ei);
void acc_client_destroy(acc_client_t **self_p);

/* acc_client_next_id — a fresh request id for this client (1, 2, 3, ...). */
uint64_t acc_client_next_id(acc_client_t *self);

/* acc_client_send — encode and send @req (borrowed). Errors: ACC_ERR_TOO_LARGE,
 * ACC_ERR_NET, ACC_ERR_NOMEM. */
acc_err acc_client_send(acc_client_t *self, const Accord__V1__Request *req);

/* acc_client_send_raw — send @buf as one frame, unchecked (tests of hostile input). */
acc_err acc_client_send_raw(acc_client_t *self, const void *buf, size_t len);

/*
 * acc_client_recv — wait up to @timeout_ms for one response.
 * @out: owned by the caller: accord__v1__response__free_unpacked(r, NULL).
 * Errors: ACC_ERR_TIMEOUT, ACC_ERR_DECODE (the node sent something malformed), ACC_ERR_NET.
 */
acc_err acc_client_recv(acc_client_t *self, int timeout_ms, Accord__V1__Response **out,
                        acc_errinfo_t *ei);

/* acc_client_call — send @req and wait for its response (other responses are discarded). */
acc_err acc_client_call(acc_client_t *self, Accord__V1__Request *req, int timeout_ms,
                        Accord__V1__Response **out, acc_errinfo_t *ei);

/*
 * acc_client_new_in — as acc_client_new, but the socket lives in the caller's ZeroMQ
 * context @zctx (borrowed: it must outlive the client, and acc_client_destroy does not
 * terminate it). For clients inside a process that already has a context, such as
 * intake's HTTP ingest reaching intake over "inproc://" (an inproc endpoint is only
 * reachable from the context that bound it). A client, like its socket, must be used by
 * one thread at a time.
 * Errors: ACC_ERR_UNAVAILABLE (an ipc socket file that does not exist), ACC_ERR_INVALID
 * (an endpoint ZeroMQ refuses: ei says why), ACC_ERR_NET (no socket), ACC_ERR_NOMEM.
 */
acc_err acc_client_new_in(void *zctx, const char *endpoint, size_t max_msg, acc_client_t **out,
                          acc_errinfo_t *ei);

#endif
