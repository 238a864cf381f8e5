/*
 * verification — the lead agency's appraisal of a case: the verdict (violating, not
 * violating, inconclusive) with its category, legal basis and written statement of reasons.
 *
 * Where it sits: intake ─► verification ─► assignment. It consumes intake's stream (every
 * StoredReport opens or grows a case here; envelopes and rejections are not its business),
 * takes decisions from local operators (Decide on the control socket, lead node only) and
 * from the automated policy of the config (verification.auto), and appends each decision
 * as a VerificationEvent to its own log, which assignment consumes.
 *
 * Store (LMDB, <data_dir>/verification/, besides the runner's "log" and "cursors"):
 *   cases      case number -> CaseInfo   every case on this node (from intake's reports)
 *   decisions  case number -> Decision   the latest decision on the case
 * A decision, its CaseInfo.decided flag and its event are written in one transaction; the
 * reports of a batch, the automated decisions they cause and intake's cursor likewise, so
 * a crash never applies a report twice nor loses or doubles a decision.
 *
 * Safeguards (DOMAIN.md): every decision carries a legal basis and reasons (a Decide
 * without them is rejected); every decision is an event naming who decided and when;
 * a later decision on the same case is a new event (re-decision after review), never an
 * overwrite of the record.
 */
#ifndef VERIFICATION_H
#define VERIFICATION_H

#include <stdbool.h>

#include "acc_config.h"
#include "acc_service.h"
#include "accord/v1/intake.pb-c.h"

/* Longest legal basis and reasons of a Decide, in bytes after trimming (the same bound as
 * verification.auto.legal_basis and .reasons in the config). */
#define VERIFICATION_TEXT_MAX 2000
/* Longest decided_by of a Decide, in bytes. */
#define VERIFICATION_BY_MAX 128
/* decided_by of automated decisions; a Decide may not claim the "auto:" prefix. */
#define VERIFICATION_AUTO_BY "auto:policy"

/*
 * verification_service — the service definition for acc_service_run: name
 * "verification", input "intake", tables "cases" and "decisions".
 *
 * Control requests (handle):
 *   Decide  on the lead node only (acc_config_lead(cfg) == NULL), else CODE_DENIED naming
 *           the lead. Checked in this order, each failure CODE_INVALID with Status.field
 *           (relative to the Decide): case_number (required), verdict (violating,
 *           not-violating or inconclusive), category (a configured one; the message lists
 *           them), legal_basis and reasons (required, not only white space, at most
 *           VERIFICATION_TEXT_MAX bytes after trimming), decided_by (required, at most
 *           VERIFICATION_BY_MAX bytes, not starting with "auto:"); then the case must be
 *           known here (CODE_NOT_FOUND, field case_number). On success the decision
 *           (texts trimmed of leading and trailing ASCII white space, decided_ms = now,
 *           automated = false, url and content_key from the case) is recorded and emitted
 *           and the response carries it in Response.decision. A full store answers
 *           CODE_RETRY and records nothing.
 *   Ping    Pong {agency, node_name, cases = cases known here}.
 *   other   CODE_INVALID "not a verification request".
 */
extern const acc_service_def_t verification_service;

/*
 * verification_auto_applies — whether the automated policy decides the case of @sr
 * (borrowed) now that it was reported, leaving aside whether the case is decided already:
 * the policy is enabled, this node is the lead, the report was received here (not
 * forwarded by a peer: a peer's source names are not ours to trust), its source is one of
 * verification.auto.sources, its confidence is at least min_confidence, and its category
 * is a configured one.
 */
bool verification_auto_applies(const acc_config_t *cfg, const Accord__V1__StoredReport *sr);

#endif
