/*
 * intake — the node's front door: validates reports, canonicalises their content item,
 * deduplicates them into cases and commits before anything is acknowledged.
 *
 * This is the logic without sockets (intake_server.c puts it on ZeroMQ): requests in,
 * responses out. All submissions handed to one intake_handle call are committed in one
 * LMDB write transaction (group commit, fsync'd) before any response exists, so a
 * response that says "stored" is on disk.
 *
 * Store layout (LMDB, <data_dir>/intake/), shaped so the hot path appends:
 *   events        seq (u64 BE)            -> StoredReport      append; intake's stream
 *   report_ids    uuid (16 bytes)         -> seq ‖ case number  UUIDv7 ids append
 *   cases         ordinal (u64 BE)        -> Case              append for new cases
 *   case_numbers  "<agency>/<year>/<n>"   -> ordinal           append within a year
 *   case_reports  ordinal ‖ seq           -> received ms (u64)  append for new cases
 *   attach_log    seq                     -> ordinal ‖ ms       append: attachments to older
 *                                            cases, moved into case_reports when idle
 *   meta          "seq", "ordinal", "n/<year>" -> u64 BE counters
 * The content-key -> open case map lives in memory (intake_index.h), rebuilt at start.
 *
 * Case counters: a case record is written once, when the case opens. What an attaching
 * report changes — the number of reports, the time of the last one — is derived from
 * case_reports and kept in memory per case (about 24 bytes), rebuilt at start by a
 * sequential scan, so an attach rewrites no old page (PITFALLS: random page writes are
 * what a durable commit pays for).
 */
#ifndef INTAKE_H
#define INTAKE_H

#include <stddef.h>
#include <stdint.h>

#include "acc_config.h"
#include "acc_err.h"
#include "accord/v1/control.pb-c.h"

/* The most reports one SubmitReports request may carry. */
#define INTAKE_SUBMIT_MAX 1000
/* The most envelopes one Deliver may carry. */
#define INTAKE_DELIVER_MAX 256

typedef struct intake intake_t;

/*
 * intake_new — open the store under cfg->data_dir/intake and rebuild the index.
 * @cfg is borrowed and must outlive the intake. Errors: ACC_ERR_IO, ACC_ERR_STORE,
 * ACC_ERR_NOMEM (ei says what).
 */
acc_err intake_new(const acc_config_t *cfg, intake_t **out, acc_errinfo_t *ei);

/* intake_destroy — close the store; NULL-safe; nulls *@self_p. */
void intake_destroy(intake_t **self_p);

/*
 * intake_handle — answer @n requests (borrowed). Submissions among them are validated,
 * then committed together in one write transaction; queries are answered afterwards
 * from a read snapshot, so they see those submissions. @resps[i] receives the response
 * to @reqs[i], owned by the caller (accord__v1__response__free_unpacked(r, NULL)).
 * Bad input never fails the call: it becomes a response with an error status. A full
 * store gives CODE_RETRY responses and nothing of the batch is stored.
 * Errors: ACC_ERR_NOMEM only (no response was produced).
 */
acc_err intake_handle(intake_t *self, Accord__V1__Request *const *reqs, size_t n,
                      Accord__V1__Response **resps);

/*
 * The two halves of intake_handle, so that the server can validate the next batch (on
 * another thread) while this one commits:
 * intake_prepare — validate and canonicalise the submissions among @reqs (borrowed until
 *   intake_commit); @agencies[i] is the CURVE-authenticated agency of request i (a peer
 *   node: it may only Deliver envelopes) or NULL (a local operator or in-process client:
 *   anything but Deliver); @agencies itself may be NULL (all local). Deliveries are checked
 *   in the transaction: origin = authenticated agency, the peer's role allows the body
 *   (reports from coordinating/child peers, measures from the lead, measure updates from
 *   coordinating/child peers), (agency, sequence) not seen before (acc_link inbound);
 *   refused envelopes are acknowledged REJECTED, recorded as Rejection events and never
 *   applied; touches no store and no state that intake_commit uses, so it may run on
 *   a worker thread concurrently with intake_commit of an earlier batch (one prepare at a
 *   time). @resps[i] (n slots) are initialised; requests refused as a whole get theirs here.
 * intake_commit — on the intake thread: commit the prepared submissions in one write
 *   transaction, then answer every request; frees *@pp and nulls it. Errors as intake_handle.
 */
typedef struct intake_prepared intake_prepared_t;
acc_err intake_prepare(intake_t *self, Accord__V1__Request *const *reqs,
                       const char *const *agencies, size_t n, Accord__V1__Response **resps,
                       intake_prepared_t **out);
acc_err intake_commit(intake_t *self, intake_prepared_t **pp);

/* intake_error_response — a response with @code and message (for requests that could
 * not be decoded). NULL when out of memory. */
Accord__V1__Response *intake_error_response(uint64_t request_id, Accord__V1__Code code,
                                            const char *field, const char *msg);

/* The stream of intake (its `events` table, IntakeEvent per sequence): for the stream
 * server. intake_head is the last committed sequence. */
struct acc_store;
struct acc_store *intake_store(intake_t *self);
unsigned int intake_events_table(const intake_t *self);
uint64_t intake_head(const intake_t *self);

/* intake_maintain — periodic housekeeping (stale LMDB readers). */
void intake_maintain(intake_t *self);

/* intake_idle — call often (e.g. every second): when nothing was committed for 500 ms,
 * moves up to 20,000 attachments from attach_log into case_reports. */
void intake_idle(intake_t *self);

#endif
