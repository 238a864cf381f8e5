/*
 * acc_service — what every service of a node (verification, assignment, notification,
 * reporting) shares: its own LMDB store, its own log served as a stream, the streams it
 * consumes with their cursors, a control socket for operators, and the loop that drives
 * them. A service is a definition (callbacks) plus a state struct: no global state, so all
 * five services run as threads of one process (accord-node) or each as its own process
 * (accord-<service>), with the same code.
 *
 * Endpoints (ARCHITECTURE.md "One node, one process or many"):
 *   control  ipc://<data_dir>/<name>.sock   operators (accordctl); the data dir is 0700
 *            inproc://accord-<name>         other threads of accord-node
 *            (no TCP control endpoint: services exchange data only through streams)
 *   stream   inproc://accord-<name>-stream  ACC_SERVICE_INPROC mode
 *            cfg-><name>.stream_bind (TCP, CURVE with the node's own key pair) in TCP mode
 * Inputs are consumed from the producers' stream endpoints of the same mode.
 *
 * Transactions: acc_service_write runs a callback in a write transaction; events emitted
 * inside it (acc_service_emit) are appended to the service's log in that same transaction
 * and published to stream consumers only after the commit. An apply callback stores the
 * cursor of its input (acc_service_cursor_put) in the transaction that applies the records,
 * so a crash at any point loses nothing and applies nothing twice.
 */
#ifndef ACC_SERVICE_H
#define ACC_SERVICE_H

#include <protobuf-c/protobuf-c.h>
#include <signal.h>
#include <stdint.h>

#include "acc_config.h"
#include "acc_err.h"
#include "acc_loop.h"
#include "acc_store.h"
#include "acc_stream.h"
#include "accord/v1/control.pb-c.h"

typedef struct acc_service acc_service_t;

typedef enum {
    ACC_SERVICE_INPROC = 0, /* threads of accord-node: inproc:// between services */
    ACC_SERVICE_TCP = 1,    /* one process per service: TCP with CURVE between them */
} acc_service_mode;

typedef struct acc_service_def {
    const char *name;          /* "verification", ...: store dir, endpoints, stream name */
    const char *const *tables; /* the service's own tables, NULL-terminated; "log" and
                                  "cursors" are added by acc_service */
    const char *const *inputs; /* producers it consumes ("intake", ...), NULL-terminated */

    /* start — on the service thread, after the store is open and before anything is
     * received. *@state is the service's own (freed by stop). */
    acc_err (*start)(acc_service_t *svc, void **state, acc_errinfo_t *ei);

    /* apply — records of producer @input: consecutive, the first is the stored cursor + 1.
     * Must apply them and acc_service_cursor_put(@input, last seq) in ONE acc_service_write.
     * Any error: nothing applied; the same records come again after a back-off. */
    acc_err (*apply)(acc_service_t *svc, void *state, const char *input,
                     const acc_stream_record_t *recs, size_t n);

    /* handle — a control request from a local operator (ipc) or another thread of the node
     * (inproc); @agency is the authenticated agency when the request came over CURVE (not
     * today: reserved), else NULL. Returns a new
     * response (the caller frees it), NULL only when out of memory. */
    Accord__V1__Response *(*handle)(acc_service_t *svc, void *state, const Accord__V1__Request *req,
                                    const char *agency);

    /* attach — optional: add the service's own sockets and timers to @loop. */
    acc_err (*attach)(acc_service_t *svc, void *state, acc_loop_t *loop);

    /* stop — optional: free *state (the store is still open). */
    void (*stop)(acc_service_t *svc, void *state);
} acc_service_def_t;

/*
 * acc_service_run — open the store (<data_dir>/<name>, locked against a second instance),
 * bind the endpoints, start consuming the inputs, and run until *@stop is non-zero.
 * @zctx: the process's ZeroMQ context; in TCP mode its ZAP handler must already run.
 * Errors: ACC_ERR_UNAVAILABLE (another instance holds the lock), ACC_ERR_NET (a bind; ei
 * names the endpoint), ACC_ERR_INVALID/DENIED (keys), store errors, whatever start returns.
 */
acc_err acc_service_run(const acc_service_def_t *def, const acc_config_t *cfg, void *zctx,
                        acc_service_mode mode, volatile sig_atomic_t *stop, acc_errinfo_t *ei);

/* Accessors, valid on the service thread while it runs. */
acc_store_t *acc_service_store(acc_service_t *svc);
const acc_config_t *acc_service_config(const acc_service_t *svc);
void *acc_service_zctx(acc_service_t *svc);
acc_service_mode acc_service_mode_of(const acc_service_t *svc);
/* acc_service_table — a table given in def->tables (asserts that it exists). */
acc_table acc_service_table(acc_service_t *svc, const char *name);
/* acc_service_head — the last committed sequence of the service's own log. */
uint64_t acc_service_head(const acc_service_t *svc);

/*
 * acc_service_write — run @fn(@txn, @arg) in a write transaction and commit it (fsync),
 * growing the map and rerunning @fn when it is full (see acc_store_write: @fn must be
 * rerunnable). Events emitted by @fn are published after the commit.
 * Errors: whatever @fn returns, ACC_ERR_FULL, ACC_ERR_STORE.
 */
acc_err acc_service_write(acc_service_t *svc, acc_err (*fn)(acc_txn_t *txn, void *arg), void *arg);

/* acc_service_emit — append @event (packed) to the service's log; only inside
 * acc_service_write's callback. Returns the event's sequence through @seq (may be NULL). */
acc_err acc_service_emit(acc_service_t *svc, acc_txn_t *txn, const ProtobufCMessage *event,
                         uint64_t *seq);

/* acc_service_cursor_put — store the cursor of @input (inside the apply's write). */
acc_err acc_service_cursor_put(acc_service_t *svc, acc_txn_t *txn, const char *input, uint64_t seq);

/* acc_service_cursor — the committed cursor of @input (0 when none). */
uint64_t acc_service_cursor(acc_service_t *svc, const char *input);

/* acc_service_response — a new response with @code and (for errors) @field and @msg;
 * NULL when out of memory. */
Accord__V1__Response *acc_service_response(uint64_t request_id, Accord__V1__Code code,
                                           const char *field, const char *msg);

/* acc_service_inproc_endpoint / _stream_endpoint — "inproc://accord-<name>[-stream]". */
void acc_service_inproc_endpoint(const char *name, char *buf, size_t len);
void acc_service_stream_endpoint(const char *name, char *buf, size_t len);

#endif
