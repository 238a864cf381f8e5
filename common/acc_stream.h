/*
 * acc_stream — durable hand-over of work between services (ARCHITECTURE.md, "Streams").
 *
 * A producer appends the events it produces to its own log table (key: sequence as u64
 * big-endian, value: the event bytes) in the same LMDB write transaction as the state
 * change that caused them. A consumer pulls by sequence number with a long-poll Fetch
 * over ROUTER/DEALER (proto/accord/v1/stream.proto) and stores its cursor in the same
 * write transaction as the effects of applying the records. So a crash anywhere loses
 * nothing acknowledged and applies nothing twice, and a consumer that was down catches up
 * from its cursor. Nothing rides on PUB/SUB.
 *
 * Producer: acc_stream_server_* serves Fetch on its own ROUTER socket, driven by the
 * producer service's acc_loop; after each commit that appended records the producer calls
 * acc_stream_server_notify so waiting fetches are answered at once.
 * Consumer: acc_stream_consumer_* keeps one fetch outstanding, driven by the consumer
 * service's acc_loop, and hands each batch of new records (seq > cursor, in order, no
 * gaps) to a callback that must apply them and store the cursor in one write transaction.
 */
#ifndef ACC_STREAM_H
#define ACC_STREAM_H

#include <stddef.h>
#include <stdint.h>

#include "acc_err.h"
#include "acc_loop.h"
#include "acc_store.h"

#define ACC_STREAM_FETCH_MAX 1000
#define ACC_STREAM_WAIT_MAX_MS 30000
/* The largest record payload: a consumer must be able to receive any record the producer
 * appended, so the cap is enforced at append time (and again by the server, which answers
 * an error instead of sending a record over it). */
#define ACC_STREAM_RECORD_MAX (16u << 20)

/* --- producer side -------------------------------------------------------------------- */

/* acc_stream_append — append @payload as the record after @prev_seq in table @log within
 * the caller's write transaction; the new sequence is @prev_seq + 1 (the caller keeps the
 * head, because only it knows whether the transaction commits). Errors: as acc_store_put
 * (ACC_ERR_INVALID when @prev_seq + 1 is not past the last key), ACC_ERR_TOO_LARGE (@len
 * over ACC_STREAM_RECORD_MAX). */
acc_err acc_stream_append(acc_txn_t *txn, acc_table log, uint64_t prev_seq, const void *payload,
                          size_t len);

/* acc_stream_head — the last sequence in @log (0 when empty). Errors: ACC_ERR_STORE (also
 * when the last key is not an 8-byte sequence). */
acc_err acc_stream_head(acc_txn_t *txn, acc_table log, uint64_t *out);

typedef struct acc_stream_server acc_stream_server_t;

/*
 * acc_stream_server_new — serve stream @name from table @log of @store (both borrowed, used
 * from the producer's thread only) on a new ROUTER socket in @zctx bound to each of
 * @endpoints (NULL-terminated; "inproc://...", "tcp://..."). @curve_secret: our CURVE
 * secret key (Z85) to make TCP endpoints CURVE servers (acc_curve_server), or NULL for
 * none (inproc/ipc only). @head: the last committed sequence. Sizes are capped
 * (ZMQ_MAXMSGSIZE 64 KiB for fetches). An answer carries at most max_records records and
 * about 512 KiB of payload (always at least one record when one is there).
 * Fetches waiting for new records are parked, at most 256 (then the oldest is answered
 * empty), one per connection (a newer fetch on the same connection replaces the older).
 * Stream names are 1 to 64 characters of [A-Za-z0-9._-].
 * Errors: ACC_ERR_NET (ei names the endpoint), ACC_ERR_INVALID (a bad @name, no endpoint, a
 * "tcp://" endpoint without @curve_secret, a bad key), ACC_ERR_NOMEM.
 */
acc_err acc_stream_server_new(void *zctx, acc_store_t *store, acc_table log, const char *name,
                              const char *const *endpoints, const char *curve_secret, uint64_t head,
                              acc_stream_server_t **out, acc_errinfo_t *ei);

/* acc_stream_server_attach — register the socket and a deadline timer with @loop. */
acc_err acc_stream_server_attach(acc_stream_server_t *self, acc_loop_t *loop);

/* acc_stream_server_notify — the producer committed up to @head: answer waiting fetches.
 * Call it after the commit, outside any transaction of @store on this thread (it reads the
 * log in a read transaction of its own). */
void acc_stream_server_notify(acc_stream_server_t *self, uint64_t head);

/* acc_stream_server_destroy — close the socket; NULL-safe; nulls *@self_p. */
void acc_stream_server_destroy(acc_stream_server_t **self_p);

/* --- consumer side -------------------------------------------------------------------- */

/* acc_stream_cursor_get — the cursor (last applied sequence) stored under @name in table
 * @cursors; 0 when none. */
acc_err acc_stream_cursor_get(acc_txn_t *txn, acc_table cursors, const char *name, uint64_t *out);

/* acc_stream_cursor_put — store @seq as the cursor for @name (in the same transaction as
 * the effects of applying the records up to @seq). */
acc_err acc_stream_cursor_put(acc_txn_t *txn, acc_table cursors, const char *name, uint64_t seq);

typedef struct acc_stream_record {
    uint64_t seq;
    const void *payload; /* borrowed: valid during the callback */
    size_t len;
} acc_stream_record_t;

/*
 * The consumer's apply callback: apply @recs[0..@n) (consecutive, the first is cursor + 1)
 * and store the cursor @recs[n-1].seq in ONE write transaction, then return ACC_OK. Any
 * other return means nothing was applied: the same records come again after a back-off.
 */
typedef acc_err (*acc_stream_apply_fn)(const acc_stream_record_t *recs, size_t n, void *arg);

typedef struct acc_stream_consumer acc_stream_consumer_t;

/*
 * acc_stream_consumer_new — pull stream @name from @endpoint, starting after @cursor (read
 * it with acc_stream_cursor_get at start). @curve: when non-NULL, three Z85 keys {our
 * public, our secret, server public} to make the connection a CURVE client (required for
 * "tcp://" endpoints). @apply and @arg are borrowed; @apply must not destroy the consumer.
 * Fetches ask for up to ACC_STREAM_FETCH_MAX records and wait up to 10 s (see
 * acc_stream_consumer_set_wait). A fetch not answered within wait + grace is taken as lost
 * (producer restarted, connection reset) and sent again with a new request id; the socket is
 * kept, and any late answer to an older request id is ignored, so it cannot be applied.
 * Errors: ACC_ERR_INVALID (a bad @name, NULL @apply, "tcp://" without @curve,
 * a bad key), ACC_ERR_NET (ei names the endpoint), ACC_ERR_NOMEM, ACC_ERR_INTERNAL
 * (libsodium cannot initialise).
 */
acc_err acc_stream_consumer_new(void *zctx, const char *endpoint, const char *name,
                                const char *const curve[3], uint64_t cursor,
                                acc_stream_apply_fn apply, void *arg, acc_stream_consumer_t **out,
                                acc_errinfo_t *ei);

/* acc_stream_consumer_set_wait — long-poll time per fetch (@wait_ms, 1 ..
 * ACC_STREAM_WAIT_MAX_MS, default 10,000) and the extra time (@grace_ms, >= 1, default
 * 5,000) after which an unanswered fetch is sent again. Call before attach.
 * Errors: ACC_ERR_INVALID. */
acc_err acc_stream_consumer_set_wait(acc_stream_consumer_t *self, uint32_t wait_ms,
                                     uint32_t grace_ms);

/* acc_stream_consumer_attach — register with @loop (socket handler and a timer that resends
 * a fetch lost to a producer restart) and send the first fetch. After an apply error, an
 * error answer or records out of sequence the consumer waits 100 ms, doubling up to 5 s
 * (with random jitter), before fetching again from the same cursor; a malformed answer is
 * dropped (the fetch then counts as lost). While the producer is not connected, the fetch
 * is retried every 100 ms. Errors: as acc_loop_add_socket and acc_loop_add_timer. */
acc_err acc_stream_consumer_attach(acc_stream_consumer_t *self, acc_loop_t *loop);

/* acc_stream_consumer_cursor — the last sequence applied. */
uint64_t acc_stream_consumer_cursor(const acc_stream_consumer_t *self);

/* acc_stream_consumer_destroy — NULL-safe; nulls *@self_p. */
void acc_stream_consumer_destroy(acc_stream_consumer_t **self_p);

#endif
