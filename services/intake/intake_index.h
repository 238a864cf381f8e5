/*
 * intake_index — the in-memory map from content key to the open case it belongs to.
 *
 * Why in memory: the content key is a hash, so an LMDB index keyed by it turns every new
 * case into a random-page write (PITFALLS: random 4 KiB pages dominate the cost of a
 * durable commit). Cases are stored in LMDB in append order and carry their content key;
 * this index is rebuilt from them at start (a sequential scan) and otherwise costs no
 * disk writes. An entry keeps the first 128 bits of SHA-256(content key), about 24 bytes
 * per open case.
 */
#ifndef INTAKE_INDEX_H
#define INTAKE_INDEX_H

#include <stddef.h>
#include <stdint.h>

#include "acc_err.h"

typedef struct intake_index intake_index_t;

/* intake_index_new — empty index with room for @hint entries before it grows. */
acc_err intake_index_new(size_t hint, intake_index_t **out);
void intake_index_destroy(intake_index_t **self_p);

/* intake_index_get — the case ordinal for @hash (32 bytes), or 0 when absent. */
uint64_t intake_index_get(const intake_index_t *self, const unsigned char hash[32]);

/* intake_index_put — map @hash to @ordinal (> 0), replacing any earlier mapping.
 * Errors: ACC_ERR_NOMEM (the index is unchanged). */
acc_err intake_index_put(intake_index_t *self, const unsigned char hash[32], uint64_t ordinal);

/* intake_index_reserve — make room for @more further entries now, so that the next @more
 * puts cannot fail. Errors: ACC_ERR_NOMEM. */
acc_err intake_index_reserve(intake_index_t *self, size_t more);

/* intake_index_clear — remove every entry, keeping the memory. */
void intake_index_clear(intake_index_t *self);

/* intake_index_count — number of entries. */
size_t intake_index_count(const intake_index_t *self);

#endif
