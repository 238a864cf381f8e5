/*
 * acc_curve — CurveZMQ authentication for every TCP endpoint of a node, and the ZAP
 * handler that decides who gets in.
 *
 * PITFALLS: a CURVE server without a ZAP handler admits any client key; with
 * ZMQ_ZAP_ENFORCE_DOMAIN set and no handler running, libzmq refuses instead. So servers
 * here always set a ZAP domain and enforce it, and the handler (one per ZeroMQ context,
 * a thread with a REP socket at inproc://zeromq.zap.01) admits only the public keys
 * listed in the node's config, answering with User-Id = the agency of that key. The
 * identity of a message's sender is read from that User-Id (acc_curve_msg_agency), never
 * from the ROUTER routing id or a payload field.
 */
#ifndef ACC_CURVE_H
#define ACC_CURVE_H

#include <stddef.h>
#include <zmq.h>

#include "acc_err.h"
#include "acc_ids.h"

#define ACC_CURVE_KEY_LEN 40 /* Z85 text of a 32-byte key */
#define ACC_CURVE_DOMAIN "accord"

typedef struct acc_zap_peer {
    char public_key[ACC_CURVE_KEY_LEN + 1]; /* Z85 */
    char agency[ACC_AGENCY_MAX + 1];
} acc_zap_peer_t;

typedef struct acc_zap acc_zap_t;

/*
 * acc_zap_new — start the ZAP handler thread in @zctx admitting @peers (copied).
 * Must run before any CURVE server socket of @zctx binds. Requests for a domain other than
 * ACC_CURVE_DOMAIN, mechanisms other than CURVE, and unknown keys are refused (ZAP 400).
 * Every decision is logged with the key and, when known, the agency.
 * Errors: ACC_ERR_NET (cannot bind the ZAP endpoint: another handler runs in @zctx),
 * ACC_ERR_INVALID (a key that is not 40 Z85 characters; ei names it), ACC_ERR_NOMEM.
 */
acc_err acc_zap_new(void *zctx, const acc_zap_peer_t *peers, size_t n, acc_zap_t **out,
                    acc_errinfo_t *ei);

/* acc_zap_set_peers — replace the admitted keys (new connections only: sessions already
 * authenticated stay up; callers drop them if a key was revoked). Thread-safe. */
acc_err acc_zap_set_peers(acc_zap_t *self, const acc_zap_peer_t *peers, size_t n,
                          acc_errinfo_t *ei);

/* acc_zap_stats — how many requests were admitted and refused so far. */
void acc_zap_stats(const acc_zap_t *self, unsigned long *admitted, unsigned long *refused);

/* acc_zap_destroy — stop the handler thread; NULL-safe; nulls *@self_p. */
void acc_zap_destroy(acc_zap_t **self_p);

/*
 * acc_curve_server — make @sock a CURVE server with our secret key @secret_z85, ZAP domain
 * ACC_CURVE_DOMAIN and ZMQ_ZAP_ENFORCE_DOMAIN on. Call before zmq_bind.
 * Errors: ACC_ERR_INVALID (bad key), ACC_ERR_NET.
 */
acc_err acc_curve_server(void *sock, const char *secret_z85);

/*
 * acc_curve_client — make @sock a CURVE client with our key pair and the server's public
 * key. Call before zmq_connect. Errors: ACC_ERR_INVALID (bad key), ACC_ERR_NET.
 */
acc_err acc_curve_client(void *sock, const char *public_z85, const char *secret_z85,
                         const char *server_public_z85);

/*
 * acc_curve_load_keys — read "<keys_dir>/node.pub" and "<keys_dir>/node.key" (Z85, one
 * line each). The secret key file must not be readable by group or others (mode 0600 or
 * stricter): otherwise ACC_ERR_DENIED naming the file. Errors: ACC_ERR_IO, ACC_ERR_INVALID
 * (not a Z85 key, or the public key does not belong to the secret key), ACC_ERR_DENIED.
 */
acc_err acc_curve_load_keys(const char *keys_dir, char pub[ACC_CURVE_KEY_LEN + 1],
                            char sec[ACC_CURVE_KEY_LEN + 1], acc_errinfo_t *ei);

/* acc_curve_key_valid — non-zero when @z85 is a 40-character Z85 key. */
int acc_curve_key_valid(const char *z85);

/*
 * acc_curve_msg_agency — the agency the ZAP handler authenticated for the connection
 * @msg arrived on (its "User-Id" property), copied into @buf.
 * Errors: ACC_ERR_DENIED (no authenticated identity: e.g. an ipc or inproc message),
 * ACC_ERR_TOO_LARGE (@len too small).
 */
acc_err acc_curve_msg_agency(zmq_msg_t *msg, char *buf, size_t len);

#endif
