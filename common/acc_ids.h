/*
 * acc_ids — identifiers: report UUIDs (text form, UUIDv7 for the ones a node or client
 * assigns, so that indexes keyed by id grow at the end), case numbers
 * "<agency>/<year>/<n>", agency ids, and the clock in milliseconds.
 */
#ifndef ACC_IDS_H
#define ACC_IDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "acc_err.h"

typedef struct acc_uuid {
    unsigned char b[16];
} acc_uuid_t;

#define ACC_UUID_TEXT_LEN 36

/* Longest agency id in bytes: [a-z0-9][a-z0-9-]{1,31}. Buffers hold ACC_AGENCY_MAX + 1. */
#define ACC_AGENCY_MAX 32

/* acc_uuid_gen_t — state of a UUIDv7 generator (monotonic within one generator). One per
 * thread or client; no shared state. Zero-initialise it. */
typedef struct acc_uuid_gen {
    int64_t last_ms;
    uint32_t counter;
} acc_uuid_gen_t;

/* acc_uuid_parse — the 8-4-4-4-12 hex form (either case) in @s[0..@len).
 * Errors: ACC_ERR_INVALID. */
acc_err acc_uuid_parse(const char *s, size_t len, acc_uuid_t *out);

/* acc_uuid_format — lower-case 8-4-4-4-12 text plus NUL into @out. */
void acc_uuid_format(const acc_uuid_t *u, char out[ACC_UUID_TEXT_LEN + 1]);

/* acc_uuid_v7 — a new UUIDv7 (RFC 9562): 48-bit ms time, a 12-bit counter that keeps ids
 * from one generator increasing within a millisecond, 62 random bits (libsodium). */
void acc_uuid_v7(acc_uuid_gen_t *gen, acc_uuid_t *out);

/* acc_ids_now_ms — wall clock, ms since the Unix epoch. */
int64_t acc_ids_now_ms(void);

/* acc_ids_year — the calendar year of @ms at UTC offset @offset_min minutes. */
int acc_ids_year(int64_t ms, int64_t offset_min);

/* acc_case_number_format — "<agency>/<year>/<n, zero-padded to 6>" into @buf.
 * Errors: ACC_ERR_TOO_LARGE when @buflen is too small. */
acc_err acc_case_number_format(const char *agency, int year, uint64_t n, char *buf, size_t buflen);

/* acc_ids_slug_valid — true when @s (may be NULL) is a lowercase id of @min_len to
 * @max_len bytes (@min_len >= 1): [a-z0-9][a-z0-9-]*, as agency and category ids are. */
bool acc_ids_slug_valid(const char *s, size_t min_len, size_t max_len);

/* acc_agency_valid — true when @id (may be NULL) is an agency id: [a-z0-9][a-z0-9-]{1,31},
 * lowercase letters, digits and '-', 2 to ACC_AGENCY_MAX bytes. The one rule for the
 * config file, the CURVE key table and the federation links. */
bool acc_agency_valid(const char *id);

/* acc_case_number_valid — non-zero when @s has the case number shape. */
int acc_case_number_valid(const char *s);

#endif
