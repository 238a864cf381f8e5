/*
 * assignment — turns a violating verdict into measures (one action, an owner agency, a
 * deadline) by the node's routing rules, and tracks the measures' updates. It runs on the
 * shared service runner (common/acc_service.h) and sits between verification and
 * notification:
 *
 *   verification ─► assignment ─► notification ─► peers (their intake) ─► assignment
 *   intake (ReceivedEnvelope: measure, measure_update) ─┘
 *
 * Inputs (applied with the input's cursor in one write transaction per batch, so a replay
 * applies nothing twice):
 *   verification  Decision VIOLATING on a case not yet measured: one Measure per routing
 *                 rule of the decision's category, with a deterministic id
 *                 (assignment_measure_id), lead = this agency, the decision's legal basis,
 *                 reasons and url, deadline = decided_ms + rule.deadline_s. Other verdicts,
 *                 decisions without basis or reasons (a measure must carry both) and
 *                 categories without a rule create nothing (the last two are logged).
 *                 Jurisdiction: in this version only rules with an empty jurisdiction
 *                 apply; a rule naming one is stored but never matches.
 *   intake        ReceivedEnvelope (already authenticated and role-checked by intake):
 *                 `measure` from our lead: stored when it is ours to carry out
 *                 (owner_agency = this agency), its lead is the sender, and it carries an
 *                 id, a case number, an action, a legal basis and reasons; else a
 *                 Rejection event and nothing else. `measure_update` from an owner: applied
 *                 when the measure is here, this agency is its lead and the sender is its
 *                 owner (only the owner updates a measure); else a Rejection event.
 *                 StoredReport records are not ours: skipped.
 *   A record that does not decode is logged and skipped (the cursor moves past it).
 *
 * Control requests (local operators):
 *   AddRoute      rule.category configured, rule.action [a-z0-9-]{1,48},
 *                 rule.owner_agency this agency or a configured peer, rule.deadline_s
 *                 60 .. 365 days, rule.jurisdiction [a-z0-9-]{0,48}; the same (category,
 *                 jurisdiction, action, owner) twice is refused. The node assigns the id
 *                 (UUIDv7). Answers Response.route.
 *   ListMeasures  the measures (mine: owned by this agency; case_number: of that case),
 *                 oldest first (created_ms, then id), as many as fit in one message; a
 *                 shortened list says so in Status.message.
 *   UpdateMeasure on the owner's node: status accepted|done|failed, a result for done and
 *                 failed, updated_by required. Answers Response.measure. Notification
 *                 carries the MeasureUpdate event to the lead when the lead is another
 *                 agency. In this version any of the three statuses may follow any other.
 *   Ping          Pong with the agency.
 *   Errors name the field (Status.field, relative to the request body: "rule.action",
 *   "status"): CODE_INVALID, CODE_NOT_FOUND (no such measure), CODE_DENIED (not the
 *   owner), CODE_RETRY (store full).
 *
 * Store (LMDB, <data_dir>/assignment/):
 *   rules          rule id (36-char UUID text)   -> RoutingRule
 *   measures       measure id (36-char UUID text) -> Measure (the latest state)
 *   case_measured  case number                    -> u64 BE: measures created for it
 *   log            seq                            -> AssignmentEvent (every change)
 */
#ifndef ASSIGNMENT_H
#define ASSIGNMENT_H

#include <stddef.h>

#include "acc_service.h"

/* The service definition for acc_service_run. */
extern const acc_service_def_t assignment_service;

/* Routing rule deadlines: one minute .. one year. */
#define ASSIGNMENT_DEADLINE_MIN_S 60
#define ASSIGNMENT_DEADLINE_MAX_S (365 * 86400)

/*
 * assignment_measure_id — the id of the measure that rule @rule_id creates for case
 * @case_number: SHA-256 of both, shaped as a UUIDv8 (RFC 9562), so a replay or a second
 * decision derives the same id. @out: 36 characters plus NUL.
 */
void assignment_measure_id(const char *case_number, const char *rule_id, char out[37]);

/* assignment_valid_action — non-zero when @s matches [a-z0-9-]{1,48}. */
int assignment_valid_action(const char *s);

#endif
