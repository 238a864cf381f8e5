/*
 * acc_link — the federation link: durable, ordered, exactly-once delivery of envelopes
 * from this node to peer nodes (ARCHITECTURE.md: "Between nodes the sender owns the
 * cursor").
 *
 * Sender (used by the notification service): envelopes are enqueued per peer in the
 * sender's own LMDB store, inside the caller's write transaction (with the state change
 * that caused them), numbered 1, 2, 3 ... per (origin, peer). A sender per peer keeps a
 * window of them in flight to the peer's intake (Request.deliver over a CURVE DEALER) and
 * drops them from the queue only when the peer acknowledges them as committed (OK or
 * DUPLICATE). REJECTED envelopes are parked with the reason (shown, never retried). No
 * answer, or RETRY: exponential back-off with jitter. A crash of the sender loses nothing
 * queued; a peer offline for hours gets everything, once, in order, when it returns. A
 * stopped peer costs the others nothing (one DEALER per peer, non-blocking sends).
 *
 * Receiver (used by intake): acc_link_inbound_check / _mark keep, per origin, the last
 * sequence committed, in the receiver's store, in the same transaction as applying the
 * envelope: seq <= last → DUPLICATE, seq == last + 1 → apply, seq > last + 1 → RETRY
 * (a gap: the sender resends from its acknowledged point).
 */
#ifndef ACC_LINK_H
#define ACC_LINK_H

#include <stddef.h>
#include <stdint.h>

#include "acc_err.h"
#include "acc_loop.h"
#include "acc_store.h"
#include "accord/v1/envelope.pb-c.h"
#include "accord/v1/federation.pb-c.h"

/* The tables the sender needs in its store (add them to the store's table list). */
#define ACC_LINK_TABLES "link_queue", "link_state", "link_parked"

/* Wire limits. A Deliver request and a DeliverResult answer are at most ACC_LINK_MSG_MAX
 * bytes (the intake's default message_max_bytes); one packed envelope leaves room for the
 * framing; a Deliver carries at most ACC_LINK_WINDOW_MAX envelopes (federation.proto). */
#define ACC_LINK_MSG_MAX (1024u * 1024u)
#define ACC_LINK_ENVELOPE_MAX (ACC_LINK_MSG_MAX - 64u)
#define ACC_LINK_WINDOW_MAX 256u
#define ACC_LINK_REASON_MAX 512u /* a REJECTED reason is kept up to this many bytes */

typedef struct acc_link_peer {
    const char *agency;     /* the peer's agency id */
    const char *endpoint;   /* the peer's intake, "tcp://HOST:PORT" (or inproc:// in tests) */
    const char *public_key; /* the peer's CURVE public key (Z85); NULL for inproc tests */
} acc_link_peer_t;

typedef struct acc_link_opts {
    const char *agency;     /* our agency: the origin of every envelope */
    const char *public_key; /* our CURVE key pair (Z85); NULL for inproc tests */
    const char *secret_key;
    uint32_t window;       /* envelopes per Deliver and in flight per peer (default 256) */
    uint32_t retry_min_ms; /* first back-off (default 200) */
    uint32_t retry_max_ms; /* back-off cap (default 30000) */
    uint32_t timeout_ms;   /* no answer within this: resend (default 10000) */
} acc_link_opts_t;

typedef struct acc_link acc_link_t;

/*
 * acc_link_new — a sender for @peers (copied) using @store (borrowed; its tables must
 * include ACC_LINK_TABLES) in @zctx. Reads each peer's queue state.
 * Agencies are valid agency ids (acc_agency_valid) and distinct; a tcp:// endpoint needs
 * the peer's public key and our key pair (as acc_stream does: nothing leaves a node in
 * clear text).
 * Option values of 0 take the defaults; window is at most ACC_LINK_WINDOW_MAX.
 * Errors: ACC_ERR_INVALID (a bad key, endpoint, agency, option or a missing table; ei names
 * it), ACC_ERR_NET, ACC_ERR_STORE, NOMEM.
 */
acc_err acc_link_new(void *zctx, acc_store_t *store, const acc_link_peer_t *peers, size_t n_peers,
                     const acc_link_opts_t *opts, acc_link_t **out, acc_errinfo_t *ei);

/* acc_link_attach — register the per-peer sockets and the retry timer with @loop (once),
 * and start sending what is queued. Errors: ACC_ERR_TOO_LARGE (the loop is full). */
acc_err acc_link_attach(acc_link_t *self, acc_loop_t *loop);

/*
 * acc_link_enqueue — queue @env for @peer within the caller's write transaction @txn.
 * Fills env->id (UUIDv7), origin, sequence (next for this peer), schema_version and
 * time_ms before storing it; the body must be set. Call acc_link_committed after the
 * transaction commits (and acc_link_aborted if it does not).
 * Afterwards env->id points into @self (valid until the next enqueue) and env->origin to
 * our agency (valid while @self lives): reset both before freeing an envelope that
 * protobuf-c allocated. Safe to call again when acc_store_write reruns the transaction
 * (the sequence is read from @txn). Envelopes packed over ACC_LINK_ENVELOPE_MAX are refused.
 * Errors: ACC_ERR_NOT_FOUND (@peer is not a configured peer), ACC_ERR_INVALID (no body),
 * ACC_ERR_TOO_LARGE, store errors.
 */
acc_err acc_link_enqueue(acc_link_t *self, acc_txn_t *txn, const char *peer,
                         Accord__V1__Envelope *env);

/* acc_link_committed — the enqueues of the last transaction are durable: send them (this
 * opens a read transaction of the store: the caller must not hold one). */
void acc_link_committed(acc_link_t *self);
/* acc_link_aborted — the last transaction did not commit: forget its enqueues. */
void acc_link_aborted(acc_link_t *self);

typedef struct acc_link_peer_status {
    char agency[40];
    uint64_t enqueued;  /* last sequence queued */
    uint64_t acked;     /* last sequence the peer committed (OK or DUPLICATE) */
    uint64_t parked;    /* envelopes refused for good */
    uint32_t attempts;  /* consecutive failed attempts (0 = healthy) */
    int64_t last_ok_ms; /* when the peer last acknowledged something (0 = never) */
    char last_error[160];
} acc_link_peer_status_t;

/* acc_link_status — the state of the @i-th peer; ACC_ERR_NOT_FOUND past the last. */
acc_err acc_link_status(const acc_link_t *self, size_t i, acc_link_peer_status_t *out);

/* acc_link_parked — iterate parked envelopes of @peer from sequence @after (exclusive):
 * calls @fn(env, reason, arg) for each, in a read transaction (so @fn must not open another
 * transaction of this store); @env and @reason are valid during the call only.
 * Errors: ACC_ERR_NOT_FOUND (no such peer), ACC_ERR_STORE (a parked record does not decode). */
acc_err acc_link_parked(acc_link_t *self, const char *peer, uint64_t after,
                        void (*fn)(const Accord__V1__Envelope *env, const char *reason, void *arg),
                        void *arg);

/* acc_link_destroy — NULL-safe; nulls *@self_p. Queued envelopes stay in the store. */
void acc_link_destroy(acc_link_t **self_p);

/* --- receiver ------------------------------------------------------------------------ */

/* acc_link_inbound_check — how the receiver must treat (origin, seq), reading the last
 * committed sequence of @origin from table @t within @txn: DELIVERY_STATUS_OK (apply it),
 * _DUPLICATE, or _RETRY (gap, or the store failed: not now). _REJECTED for an empty origin,
 * one over ACC_AGENCY_MAX bytes, or sequence 0. A receiver that refuses an OK envelope for
 * good (REJECTED) still marks its sequence, or the next one would look like a gap. */
Accord__V1__DeliveryStatus acc_link_inbound_check(acc_txn_t *txn, acc_table t, const char *origin,
                                                  uint64_t seq);

/* acc_link_inbound_mark — record @seq as the last committed sequence of @origin (in the
 * transaction that applied it). Errors: ACC_ERR_INVALID (as _check rejects), store errors. */
acc_err acc_link_inbound_mark(acc_txn_t *txn, acc_table t, const char *origin, uint64_t seq);

#endif
