/*
 * acc_store — a service's LMDB environment: one per service, owned by that service's
 * thread alone.
 *
 * Durable by default (no MDB_NOSYNC, no MDB_NOMETASYNC, no MDB_WRITEMAP): a commit that
 * returns ACC_OK is on disk. Stale reader slots of killed processes are cleared at open
 * and by acc_store_maintain. Writes go through acc_store_write, which runs a callback in
 * a write transaction and, when the map is full, aborts, grows the map (doubling, up to
 * the configured maximum, with no transaction active) and runs the callback again; a
 * full disk or a map at its maximum gives ACC_ERR_FULL (retry later) and changes
 * nothing. Keys are byte strings compared with memcmp; big-endian integers keep order.
 */
#ifndef ACC_STORE_H
#define ACC_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "acc_err.h"

typedef struct acc_store acc_store_t;
typedef struct acc_txn acc_txn_t;
typedef struct acc_cursor acc_cursor_t;
typedef unsigned int acc_table; /* a named table (LMDB DBI) */

typedef struct acc_store_opts {
    const char *const *tables; /* NULL-terminated list of table names to open or create */
    uint64_t map_size;         /* initial map size in bytes (rounded to pages); 0 = 64 MiB */
    uint64_t map_max;          /* largest map it may grow to; 0 = 1 TiB */
} acc_store_opts_t;

/*
 * acc_store_open — open (creating if needed, mode 0700 dir / 0600 files) the environment
 * in directory @dir with the tables in @opts.
 * @out: owned by the caller (acc_store_destroy). Errors: ACC_ERR_IO, ACC_ERR_STORE,
 * ACC_ERR_INVALID (no tables, an empty or repeated table name, map_size > map_max),
 * ACC_ERR_FULL (a new table does not fit), ACC_ERR_NOMEM.
 */
acc_err acc_store_open(const char *dir, const acc_store_opts_t *opts, acc_store_t **out,
                       acc_errinfo_t *ei);

/* acc_store_destroy — close (no transaction may be open); NULL-safe; nulls *@self_p. */
void acc_store_destroy(acc_store_t **self_p);

/* acc_store_table — the handle of table @name given at open. ACC_ERR_NOT_FOUND if none. */
acc_err acc_store_table(acc_store_t *self, const char *name, acc_table *out);

/*
 * acc_store_write — run @fn(@txn, @arg) in a write transaction and commit it (fsync).
 * If @fn returns an error the transaction is aborted and that error returned. If the map
 * is full (from a put inside @fn or from the commit) the transaction is aborted, the map
 * grows and @fn runs again from the start: @fn must not change anything outside the
 * transaction that it cannot redo. Errors: whatever @fn returns, ACC_ERR_FULL (disk full
 * or map at maximum; nothing was written), ACC_ERR_STORE.
 * The map cannot grow while a read transaction of this store is open (its pointers into
 * the map would dangle): a write that needs to grow then gives ACC_ERR_FULL. Cursors @fn
 * leaves open are closed when the transaction ends. Not reentrant: @fn must not call
 * acc_store_write.
 */
acc_err acc_store_write(acc_store_t *self, acc_err (*fn)(acc_txn_t *txn, void *arg), void *arg);

/* acc_store_read_begin — a read-only snapshot; end it with acc_store_read_end. One per
 * thread at a time (LMDB keeps the reader slot in thread-local storage). Cursors left
 * open are closed by acc_store_read_end. Errors: ACC_ERR_NOMEM, ACC_ERR_STORE. */
acc_err acc_store_read_begin(acc_store_t *self, acc_txn_t **out);
/* acc_store_read_end — end a read transaction; NULL-safe; nulls *@txn_p. */
void acc_store_read_end(acc_txn_t **txn_p);

/*
 * acc_store_get — the value stored under @key. @val points into the map and is valid
 * until the transaction ends (copy it to keep it). Errors: ACC_ERR_NOT_FOUND, ACC_ERR_STORE.
 */
acc_err acc_store_get(acc_txn_t *txn, acc_table t, const void *key, size_t klen, const void **val,
                      size_t *vlen);

enum {
    ACC_PUT_NOOVERWRITE = 1 << 0, /* ACC_ERR_EXISTS when the key is there */
    ACC_PUT_APPEND = 1 << 1       /* key is greater than every key in the table (fast path) */
};

/* acc_store_put — store @val under @key. Errors: ACC_ERR_EXISTS, ACC_ERR_FULL (map full:
 * only inside acc_store_write, which then grows and retries), ACC_ERR_INVALID (key too
 * long, append out of order), ACC_ERR_STORE. */
acc_err acc_store_put(acc_txn_t *txn, acc_table t, const void *key, size_t klen, const void *val,
                      size_t vlen, int flags);

/* acc_store_del — remove @key. Errors: ACC_ERR_NOT_FOUND, ACC_ERR_STORE. */
acc_err acc_store_del(acc_txn_t *txn, acc_table t, const void *key, size_t klen);

/* acc_store_count — number of entries in table @t. */
acc_err acc_store_count(acc_txn_t *txn, acc_table t, uint64_t *out);

/*
 * Cursors: borrowed pointers from acc_cursor_* are valid until the next cursor call or
 * the end of the transaction. acc_cursor_seek positions at the first key >= @key
 * (or the first key when @key is NULL); acc_cursor_last at the last key.
 * All return ACC_ERR_NOT_FOUND at the end of the table.
 */
acc_err acc_cursor_open(acc_txn_t *txn, acc_table t, acc_cursor_t **out);
void acc_cursor_close(acc_cursor_t **cur_p);
acc_err acc_cursor_seek(acc_cursor_t *cur, const void *key, size_t klen, const void **k, size_t *kl,
                        const void **v, size_t *vl);
acc_err acc_cursor_next(acc_cursor_t *cur, const void **k, size_t *kl, const void **v, size_t *vl);
acc_err acc_cursor_prev(acc_cursor_t *cur, const void **k, size_t *kl, const void **v, size_t *vl);
acc_err acc_cursor_last(acc_cursor_t *cur, const void **k, size_t *kl, const void **v, size_t *vl);

/* acc_store_maintain — clear stale reader slots (call periodically). */
void acc_store_maintain(acc_store_t *self);

/* acc_store_map_size — current map size in bytes (for tests and stats). */
uint64_t acc_store_map_size(const acc_store_t *self);

/* acc_store_readers — number of reader slots in use in the environment's lock file, by
 * any process, live or dead (a thread that has read keeps its slot until it exits or the
 * store is closed). For tests and stats. Errors: ACC_ERR_STORE. */
acc_err acc_store_readers(acc_store_t *self, unsigned *out);

/* Big-endian helpers for ordered integer keys. */
void acc_store_u64_be(uint64_t v, unsigned char out[8]);
uint64_t acc_store_be_u64(const unsigned char in[8]);

#endif
