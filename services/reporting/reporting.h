/*
 * reporting — the node's read model: the full timeline of every case and the statistics
 * (ARCHITECTURE.md, "reporting"). It consumes the streams of intake, verification,
 * assignment and notification, emits nothing, and answers GetTimeline and GetStats on its
 * control socket. Everything it holds can be rebuilt by replaying those streams.
 *
 * Store layout (LMDB, <data_dir>/reporting/):
 *   timeline  case_number ‖ 0x00 ‖ at ms (u64 BE) ‖ service (1 byte) ‖ producer seq (u64 BE)
 *             -> TimelineEntry (control.proto), text and JSON made when applied
 *   cases     case_number -> CaseState (reporting.proto)
 *   counters  "source:<name>" (reports by source), "rejected:<agency>", "rules"
 *             -> u64 BE
 *   applied   service (1 byte) ‖ producer seq (u64 BE) -> "" for the events that have no
 *             timeline entry (rules, rejections)
 * Case numbers hold no NUL (acc_codec rejects it), so the 0x00 after one ends the prefix of
 * its timeline. Keys are deterministic functions of the producer's record: replaying a
 * stream (a lost cursor, a rebuilt store) finds the key already there and skips the
 * record, so nothing is counted or listed twice. Service bytes: intake 1, verification 2,
 * assignment 3, notification 4 (the pipeline order breaks ties at the same millisecond).
 *
 * What each input contributes:
 *   intake        StoredReport -> "report" entry, case state (first report, source,
 *                 category), reports counted by source; ReceivedEnvelope -> nothing
 *                 (assignment's own events carry the measures and updates it delivers)
 *   verification  Decision -> "verdict" entry, verdict and its time
 *   assignment    Measure -> "measure", MeasureUpdate -> "measure-update" (both update the
 *                 case's measures), RoutingRule -> counted, Rejection -> counted by agency
 *   notification  Notice -> "notice" entry (one per state change: queued, delivered, ...)
 * A record that does not decode is logged and skipped (the cursor moves past it): a read
 * model that stalled forever on one bad record would hide everything after it.
 *
 * Case status: closed when every measure is done or failed (at least one), or when the
 * verdict is "not violating" and there is no measure; decided after a verdict; open before.
 */
#ifndef REPORTING_H
#define REPORTING_H

#include <stddef.h>
#include <stdint.h>

#include "acc_service.h"

/* The reporting service: name "reporting", tables as above, inputs intake, verification,
 * assignment and notification. Requests: GetTimeline, GetStats, Ping. */
extern const acc_service_def_t reporting_service;

/*
 * reporting_median — the median of @values[0..@n) (sorted in place): the middle value, or
 * for an even @n the mean of the two middle values rounded toward the lower one; -1 when
 * @n is 0.
 */
int64_t reporting_median(int64_t *values, size_t n);

#endif
