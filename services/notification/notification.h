/*
 * notification — the node's only way out: everything this node sends to peer nodes (over
 * the federation link, common/acc_link.h) and the notices it leaves for platforms and
 * hosting providers (a spool directory that a gateway carries on by email or webhook).
 *
 * Where it sits: intake ─► ... ─► assignment ─► notification ─┬─► peer nodes (their intake)
 *                  └──────────────────────────────────────────┘ └─► spool directory
 * It consumes intake's stream (a report this node received itself goes to our lead) and
 * assignment's stream (a measure we lead and another agency owns goes to that owner; an
 * update we made on a measure our lead assigned goes back to the lead; a removal request
 * we own becomes a spool file), and appends every notice as a NotificationEvent to its own
 * log (created, and again when its delivery state changes; latest wins).
 *
 * Store (LMDB, <data_dir>/notification/, besides the runner's "log" and "cursors"):
 *   notices         notice id -> Notice            every notice, with its latest status
 *   notice_order    log seq (u64 BE) -> notice id  creation order, for ListNotices
 *   notice_pending  peer ‖ 0 ‖ link seq (u64 BE) -> notice id
 *                                                  peer notices still QUEUED
 *   link_queue, link_state, link_parked            the link's queue (ACC_LINK_TABLES)
 * A batch of input records, the notices and envelopes they cause and the input's cursor
 * are written in one transaction. Notice ids are derived from what caused them, so a
 * record applied again (a cursor that went back) finds its notice and sends nothing twice.
 *
 * Spool files are written before that transaction (temporary file, fsync, rename, fsync of
 * the directory), named after the notice id: a crash between the rename and the commit
 * rewrites the same file with the same bytes when the record comes again.
 *
 * Safeguards (DOMAIN.md): a forwarded report is the Report message as intake stored it and
 * nothing else (reporter contact details are not in a Report and are never added); a
 * measure without legal basis or reasons is not sent (its notice is PARKED saying so).
 */
#ifndef NOTIFICATION_H
#define NOTIFICATION_H

#include <stddef.h>

#include "acc_config.h"
#include "acc_err.h"
#include "acc_service.h"
#include "accord/v1/assignment.pb-c.h"

/* Notice kinds (Notice.kind). */
#define NOTIFICATION_KIND_FORWARD "report-forward"
#define NOTIFICATION_KIND_MEASURE "measure"
#define NOTIFICATION_KIND_UPDATE "measure-update"
#define NOTIFICATION_KIND_REMOVAL "removal-request"

/* The measure action that produces a spool notice when this agency owns the measure. */
#define NOTIFICATION_ACTION_REMOVAL "request-removal"

/* How often delivery states seen on the link are recorded as events. */
#define NOTIFICATION_TICK_MS 250

/*
 * notification_service — the service definition for acc_service_run: name
 * "notification", inputs "intake" and "assignment", tables above.
 *
 * start builds the link from cfg->peers with the node's key pair from cfg->keys_dir
 * (retry_min_ms / retry_max_ms from cfg->notify). A peer whose endpoint is "inproc://"
 * (tests; the config accepts only tcp://) is used without CURVE, and when every peer is
 * such a peer (or there are none) a missing key pair is not an error.
 *
 * Control requests (handle):
 *   ListNotices  NoticeList: notices most recent first, as many as fit in
 *                limits.message_max_bytes; a QUEUED peer notice shows DELIVERED when the
 *                link's acked sequence of its peer has reached its link_sequence, PARKED
 *                (error = the peer's reason) when the peer refused it; peers: the link
 *                status of every configured peer.
 *   other        CODE_INVALID "not a notification request" (field "body").
 * Delivery states are also recorded: every NOTIFICATION_TICK_MS the QUEUED notices whose
 * envelopes the link has settled are written back (DELIVERED with delivered_ms, or PARKED
 * with the reason) and emitted again, once.
 */
extern const acc_service_def_t notification_service;

/*
 * notification_notice_id — the id of the notice of @kind caused by @parts[0..@n) (the
 * report id, the measure id, or every field of a measure update): SHA-256 over
 * "accord-notice-v1", @kind and the parts (each NUL-terminated), shaped as an RFC 9562
 * version 8 UUID like acc_feed_derive_id. Deterministic: the same cause, the same id.
 */
void notification_notice_id(const char *kind, const char *const *parts, size_t n, char out[37]);

/*
 * notification_removal_json — the spool document of removal request @notice_id for
 * measure @m (borrowed) issued by this node (@cfg: agency and name): a JSON object
 * {notice_id, kind, case_number, measure_id, url, category, legal_basis, reasons,
 * deadline, issued_by {agency, name}, created} with deadline and created as RFC 3339 UTC
 * ("2024-05-01T10:00:00.000Z") from deadline_ms and created_ms (null when 0), indented,
 * ending in a newline. The same inputs give the same bytes.
 * @out: malloc'd, owned by the caller. Errors: ACC_ERR_NOMEM, ACC_ERR_UTF8 (a text that
 * is not UTF-8).
 */
acc_err notification_removal_json(const acc_config_t *cfg, const char *notice_id,
                                  const Accord__V1__Measure *m, char **out);

/*
 * notification_spool_write — write @len bytes of @data to "<@dir>/<@name>" atomically:
 * a temporary file in @dir (mode 0600), fsync, rename over @name, fsync of @dir. @dir and
 * its missing parents are created with mode 0700. A crash leaves either the old file or
 * the new one (and perhaps a stale ".<name>.tmp", overwritten next time).
 * Errors: ACC_ERR_IO (ei names the path and the OS error), ACC_ERR_INVALID (@name is
 * empty, starts with '.' or holds a '/'; @dir is empty).
 */
acc_err notification_spool_write(const char *dir, const char *name, const void *data, size_t len,
                                 acc_errinfo_t *ei);

#endif
