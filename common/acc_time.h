/*
 * acc_time — the clocks and the one timestamp text of accord.
 *
 * Every time accord stores or sends is an int64 count of milliseconds since the Unix
 * epoch (UTC): stamps on reports, decisions, measures and notices come from
 * acc_time_now_ms. Durations that must not jump when the wall clock is set (timers,
 * retry back-off, rate limits, progress bars) use acc_time_mono_ms instead.
 *
 * Text enters as RFC 3339 (report files, feeds, the HTTP API: acc_time_parse_rfc3339)
 * and leaves as RFC 3339 in UTC with milliseconds (the CLI's JSON, removal-request files:
 * acc_time_format_rfc3339). No time zone database is involved: the date arithmetic is
 * proleptic Gregorian on plain integers, so the same input gives the same output on
 * every host.
 */
#ifndef ACC_TIME_H
#define ACC_TIME_H

#include <stddef.h>
#include <stdint.h>

#include "acc_err.h"

/* Bytes a buffer needs for acc_time_format_rfc3339, NUL included, for every int64. */
#define ACC_TIME_RFC3339_MAX 32

/* acc_time_now_ms — the wall clock (CLOCK_REALTIME), ms since the Unix epoch. It can step
 * backwards when the clock is set: order events with ids, not with it. */
int64_t acc_time_now_ms(void);

/* acc_time_mono_ms — a monotonic clock (CLOCK_MONOTONIC) in ms, for durations and timers
 * only: its zero is arbitrary (boot, usually) and it means nothing to another process. */
int64_t acc_time_mono_ms(void);

/*
 * acc_time_parse_rfc3339 — parse the RFC 3339 timestamp @s into ms since the epoch (UTC).
 * Accepts "YYYY-MM-DDTHH:MM:SS" ('T', 't' or a space between date and time), optional
 * fraction digits (kept to the millisecond, the rest dropped, never rounded), then 'Z',
 * 'z' or a "+HH:MM"/"-HH:MM" offset, and nothing after it. Days are checked against their
 * month (leap years included); a leap second (:60) counts as the next minute's first.
 * Errors: ACC_ERR_INVALID for NULL, a bad form or an impossible date; *@out_ms is written
 * only on success.
 */
acc_err acc_time_parse_rfc3339(const char *s, int64_t *out_ms);

/*
 * acc_time_format_rfc3339 — write @ms as "YYYY-MM-DDTHH:MM:SS.mmmZ" into @buf. Times
 * before 1970 work too (floor division), and years past 9999 get more digits; a
 * buffer of ACC_TIME_RFC3339_MAX bytes holds any int64. A shorter buffer gets a cut,
 * NUL-terminated string; @buf NULL or @buflen 0 writes nothing. What the caller shows
 * for "no time" (0 or below) is its own choice: this formats 0 as 1970-01-01.
 */
void acc_time_format_rfc3339(int64_t ms, char *buf, size_t buflen);

#endif
