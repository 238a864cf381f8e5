/*
 * acc_ratelimit — token buckets by key: "at most LIMIT units per window for each key",
 * refilled continuously, for a fixed number of keys remembered at once. Intake's HTTP
 * ingest uses one for its sources (the key is the source's name, the limit its reports
 * per minute) and one for citizens (the key is the client's address).
 *
 * When every slot is taken, a new key takes the slot of the key used least recently. A
 * key idle for a whole window has a full bucket again, so forgetting it changes nothing;
 * a table smaller than the number of keys active within one window lets those keys
 * start over with full buckets, which is why the table is sized for the expected load.
 *
 * The clock is passed in (monotonic milliseconds), so that tests can move time by hand
 * and so that the limiter never reads the wall clock, which may jump. Safe to call from
 * several threads: each limiter has its own lock.
 */
#ifndef ACC_RATELIMIT_H
#define ACC_RATELIMIT_H

#include <stddef.h>
#include <stdint.h>

#include "acc_err.h"

/* The longest key; longer keys are cut to this many bytes. */
#define ACC_RATELIMIT_KEY_MAX 64

/* A clock: milliseconds that never go backwards (the default is CLOCK_MONOTONIC). */
typedef int64_t (*acc_ratelimit_clock_fn)(void *arg);

typedef struct acc_ratelimit acc_ratelimit_t;

/*
 * acc_ratelimit_new — a limiter remembering up to @slots keys (>= 1), whose buckets
 * refill over @window_ms (> 0; 60000 for "per minute").
 * @clock: NULL for CLOCK_MONOTONIC; else called with @clock_arg (borrowed: must outlive
 * the limiter) under the limiter's lock.
 * Errors: ACC_ERR_INVALID (@slots or @window_ms out of range), ACC_ERR_NOMEM.
 * @out: owned by the caller (acc_ratelimit_destroy).
 */
acc_err acc_ratelimit_new(size_t slots, int64_t window_ms, acc_ratelimit_clock_fn clock,
                          void *clock_arg, acc_ratelimit_t **out);

/* acc_ratelimit_destroy — NULL-safe; nulls *@self_p. */
void acc_ratelimit_destroy(acc_ratelimit_t **self_p);

/*
 * acc_ratelimit_take — take @n units from the bucket of @key[0..@keylen) (bytes, compared
 * exactly), whose capacity is @limit per window; a key seen for the first time starts
 * with a full bucket. All or nothing: nothing is taken unless all @n are there.
 * Returns 0 when taken; else the whole seconds (>= 1) until @n units would be there; or
 * -1 when @n is more than @limit, which no wait can satisfy.
 * The limit is passed on every call (not stored) so that keys may have different limits.
 */
int64_t acc_ratelimit_take(acc_ratelimit_t *self, const void *key, size_t keylen, double limit,
                           double n);

#endif
