/*
 * acc_store — a service's LMDB environment (see acc_store.h for the contract).
 *
 * Everything LMDB-specific stays in this file: return codes are translated to acc_err
 * here, and the three situations LMDB leaves to its caller are handled here too:
 *   - MDB_MAP_FULL poisons the write transaction; we abort, grow the map while no
 *     transaction of this environment is active, and run the caller's callback again;
 *   - a failed meta-page write sets MDB_FATAL_ERROR, after which every mdb_txn_begin
 *     returns MDB_PANIC; we close and reopen the environment (once per call);
 *   - a killed process leaves its reader slot behind; mdb_reader_check clears it.
 * The environment uses LMDB's durable defaults: no MDB_NOSYNC, MDB_NOMETASYNC or
 * MDB_WRITEMAP (with a writable map a full disk is a SIGBUS instead of an error).
 */
#include "acc_store.h"

#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <lmdb.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#include "acc_fs.h"
#include "acc_log.h"

#define S_TAG "store"
#define S_DEFAULT_MAP_SIZE (UINT64_C(64) << 20)
#define S_DEFAULT_MAP_MAX (UINT64_C(1) << 40)
#define S_MAX_TABLES 128
#define S_SPARE_DBS 4
/* Doubling from one page to 1 TiB takes under 30 steps; the bound only stops a loop
 * that would never end if LMDB ever refused to grow without saying so. */
#define S_MAX_ATTEMPTS 64

struct acc_cursor {
    MDB_cursor *cur;
    acc_txn_t *txn;
    acc_cursor_t *prev, *next; /* the transaction's open cursors */
};

struct acc_txn {
    MDB_txn *txn;
    acc_store_t *store;
    acc_cursor_t *cursors; /* closed at the end of the transaction if the caller forgot */
    bool rdonly;
    bool map_full; /* a put or del hit MDB_MAP_FULL: the txn is dead, grow and rerun */
};

struct acc_store {
    MDB_env *env; /* NULL only after a failed reopen; the next call tries again */
    char *path;
    char **names;
    MDB_dbi *dbis;
    size_t ntables;
    bool dbis_known;   /* dbis[] filled by the first open; a reopen must match them */
    uint64_t map_size; /* current map size (what LMDB reports) */
    uint64_t map_max;
    unsigned readers_open; /* our read transactions: the map must not move under them */
    bool writing;
    acc_txn_t wtxn; /* the one write transaction: no allocation per write */
};

/* --- error translation ------------------------------------------------------------ */

static acc_err
s_err(const acc_store_t *self, int rc, const char *what)
{
    switch (rc) {
    case MDB_SUCCESS:
        return ACC_OK;
    case MDB_NOTFOUND:
        return ACC_ERR_NOT_FOUND;
    case MDB_KEYEXIST:
        return ACC_ERR_EXISTS;
    case MDB_MAP_FULL:
    case ENOSPC:
        return ACC_ERR_FULL;
    case MDB_BAD_VALSIZE:
        return ACC_ERR_INVALID;
    case ENOMEM:
        return ACC_ERR_NOMEM;
    default:
        acc_log_error(S_TAG, "cannot %s in store '%s': %s", what, self->path, mdb_strerror(rc));
        return ACC_ERR_STORE;
    }
}

/* Inside a write transaction that already hit MDB_MAP_FULL, LMDB answers every call with
 * MDB_BAD_TXN: that is the expected "full, about to grow" state, not a failure to log. */
static acc_err
s_txn_err(const acc_txn_t *txn, int rc, const char *what)
{
    if (rc == MDB_BAD_TXN && txn->map_full)
        return ACC_ERR_FULL;
    if (rc == MDB_MAP_FULL)
        return ACC_ERR_FULL;
    return s_err(txn->store, rc, what);
}

/* --- environment ------------------------------------------------------------------ */

static void
s_reader_check(const acc_store_t *self)
{
    int dead = 0;
    int rc = mdb_reader_check(self->env, &dead);
    if (rc != MDB_SUCCESS)
        acc_log_warn(S_TAG, "cannot check reader slots of store '%s': %s", self->path,
                     mdb_strerror(rc));
    else if (dead > 0)
        acc_log_warn(S_TAG, "cleared %d stale reader slot(s) of store '%s'", dead, self->path);
}

static void
s_refresh_map_size(acc_store_t *self)
{
    MDB_envinfo info;
    if (mdb_env_info(self->env, &info) == MDB_SUCCESS)
        self->map_size = (uint64_t)info.me_mapsize;
}

static acc_err s_grow(acc_store_t *self);

/* Open every table in one write transaction, creating the missing ones. */
static acc_err
s_tables_open(acc_store_t *self, acc_errinfo_t *ei)
{
    for (int attempt = 0; attempt < S_MAX_ATTEMPTS; attempt++) {
        MDB_txn *txn = NULL;
        int rc = mdb_txn_begin(self->env, NULL, 0, &txn);
        if (rc != MDB_SUCCESS) {
            acc_errinfo_set(ei, self->path, "cannot open tables of store '%s': %s", self->path,
                            mdb_strerror(rc));
            return s_err(self, rc, "begin a write transaction");
        }
        for (size_t i = 0; i < self->ntables && rc == MDB_SUCCESS; i++) {
            MDB_dbi dbi;
            rc = mdb_dbi_open(txn, self->names[i], MDB_CREATE, &dbi);
            if (rc != MDB_SUCCESS)
                break;
            /* Callers hold acc_table values across a reopen: they must stay the same. */
            if (self->dbis_known && dbi != self->dbis[i]) {
                mdb_txn_abort(txn);
                acc_errinfo_set(ei, self->names[i], "table '%s' changed handle on reopen",
                                self->names[i]);
                acc_log_error(S_TAG, "table '%s' of store '%s' changed handle on reopen",
                              self->names[i], self->path);
                return ACC_ERR_STORE;
            }
            self->dbis[i] = dbi;
        }
        if (rc == MDB_SUCCESS)
            rc = mdb_txn_commit(txn);
        else
            mdb_txn_abort(txn);
        if (rc == MDB_SUCCESS) {
            self->dbis_known = true;
            return ACC_OK;
        }
        if (rc == MDB_MAP_FULL) {
            acc_err err = s_grow(self);
            if (err != ACC_OK) {
                acc_errinfo_set(ei, self->path, "store '%s' is full", self->path);
                return err;
            }
            continue;
        }
        acc_errinfo_set(ei, self->path, "cannot open tables of store '%s': %s", self->path,
                        mdb_strerror(rc));
        return s_err(self, rc, "open tables");
    }
    return ACC_ERR_STORE;
}

/* Create and open self->env. The map is the larger of the size stored in the file (it
 * may have grown in an earlier run) and self->map_size, capped at map_max; LMDB itself
 * never maps less than the data in use. */
static acc_err
s_env_open(acc_store_t *self, acc_errinfo_t *ei)
{
    acc_err err = ACC_OK;
    MDB_env *env = NULL;
    int rc = mdb_env_create(&env);
    if (rc != MDB_SUCCESS) {
        acc_errinfo_set(ei, self->path, "cannot create store '%s': %s", self->path,
                        mdb_strerror(rc));
        return rc == ENOMEM ? ACC_ERR_NOMEM : ACC_ERR_STORE;
    }
    rc = mdb_env_set_maxdbs(env, (MDB_dbi)(self->ntables + S_SPARE_DBS));
    if (rc == MDB_SUCCESS)
        rc = mdb_env_open(env, self->path, 0, 0600);
    if (rc != MDB_SUCCESS) {
        acc_errinfo_set(ei, self->path, "cannot open store '%s': %s", self->path, mdb_strerror(rc));
        acc_log_error(S_TAG, "cannot open store '%s': %s", self->path, mdb_strerror(rc));
        mdb_env_close(env);
        /* Positive codes are errno values: the file system refused. */
        return rc == ENOMEM ? ACC_ERR_NOMEM : rc > 0 ? ACC_ERR_IO : ACC_ERR_STORE;
    }
    self->env = env;
    s_reader_check(self);

    MDB_envinfo info;
    rc = mdb_env_info(env, &info);
    if (rc == MDB_SUCCESS) {
        uint64_t cur = (uint64_t)info.me_mapsize;
        uint64_t want = cur > self->map_size ? cur : self->map_size;
        if (want > self->map_max)
            want = self->map_max;
        if (want != cur)
            rc = mdb_env_set_mapsize(env, (size_t)want);
    }
    if (rc != MDB_SUCCESS) {
        acc_errinfo_set(ei, self->path, "cannot size the map of store '%s': %s", self->path,
                        mdb_strerror(rc));
        err = s_err(self, rc, "size the map");
        goto out;
    }
    s_refresh_map_size(self);
    err = s_tables_open(self, ei);
out:
    if (err != ACC_OK) {
        mdb_env_close(self->env);
        self->env = NULL;
    }
    return err;
}

/* Close and reopen the environment: the only way out of MDB_PANIC. No transaction of
 * this store may be active. */
static acc_err
s_env_reopen(acc_store_t *self)
{
    assert(self->readers_open == 0 && !self->writing);
    if (self->env)
        mdb_env_close(self->env);
    self->env = NULL;
    acc_err err = s_env_open(self, NULL);
    if (err != ACC_OK)
        acc_log_error(S_TAG, "cannot reopen store '%s': %s", self->path, acc_strerror(err));
    else
        acc_log_info(S_TAG, "reopened store '%s'", self->path);
    return err;
}

/* Double the map (up to map_max). Only with no transaction of this environment active:
 * LMDB does not check read transactions, whose pointers into the old map would dangle. */
static acc_err
s_grow(acc_store_t *self)
{
    if (self->map_size >= self->map_max) {
        acc_log_warn(S_TAG, "store '%s' is full at its maximum map size of %" PRIu64 " bytes",
                     self->path, self->map_max);
        return ACC_ERR_FULL;
    }
    if (self->readers_open > 0) {
        acc_log_warn(S_TAG, "cannot grow store '%s' while a read transaction is open", self->path);
        return ACC_ERR_FULL;
    }
    uint64_t want = self->map_size > self->map_max / 2 ? self->map_max : self->map_size * 2;
    int rc = mdb_env_set_mapsize(self->env, (size_t)want);
    if (rc != MDB_SUCCESS) {
        acc_log_error(S_TAG, "cannot grow store '%s' to %" PRIu64 " bytes: %s", self->path, want,
                      mdb_strerror(rc));
        /* LMDB unmaps before it maps again: after a failure the environment may have no
         * map at all. Reopen it at the old size. */
        return s_env_reopen(self) == ACC_OK ? ACC_ERR_FULL : ACC_ERR_STORE;
    }
    s_refresh_map_size(self);
    acc_log_info(S_TAG, "grew the map of store '%s' to %" PRIu64 " bytes", self->path,
                 self->map_size);
    return ACC_OK;
}

/* Begin a transaction, recovering from the two states LMDB reports at begin:
 * MDB_MAP_RESIZED (another process grew the map: adopt its size) and MDB_PANIC (an
 * earlier commit failed to write a meta page: reopen, at most once per *reopened). */
static acc_err
s_begin(acc_store_t *self, unsigned flags, MDB_txn **out, bool *reopened)
{
    int rc = MDB_PANIC;
    for (int attempt = 0; attempt < 3; attempt++) {
        /* Recovery remaps or replaces the environment: not with our transactions open. */
        bool idle = self->readers_open == 0 && !self->writing;
        if (!self->env) {
            if (!idle || *reopened)
                break;
            *reopened = true;
            if (s_env_reopen(self) != ACC_OK)
                return ACC_ERR_STORE;
        }
        rc = mdb_txn_begin(self->env, NULL, flags, out);
        if (rc == MDB_SUCCESS)
            return ACC_OK;
        if (rc == MDB_MAP_RESIZED && idle) {
            rc = mdb_env_set_mapsize(self->env, 0);
            if (rc != MDB_SUCCESS)
                break;
            s_refresh_map_size(self);
            continue;
        }
        if (rc == MDB_PANIC && idle && !*reopened) {
            acc_log_warn(S_TAG, "store '%s' had a fatal error, reopening it", self->path);
            *reopened = true;
            if (s_env_reopen(self) != ACC_OK)
                return ACC_ERR_STORE;
            continue;
        }
        break;
    }
    if (!self->env) {
        acc_log_error(S_TAG, "store '%s' is closed after a failed reopen", self->path);
        return ACC_ERR_STORE;
    }
    return s_err(self, rc, "begin a transaction");
}

/* --- open / close ----------------------------------------------------------------- */

static acc_err
s_opts_check(const char *dir, const acc_store_opts_t *opts, size_t *ntables, acc_errinfo_t *ei)
{
    if (!dir || !*dir) {
        acc_errinfo_set(ei, "dir", "store directory is empty");
        return ACC_ERR_INVALID;
    }
    if (!opts || !opts->tables || !opts->tables[0]) {
        acc_errinfo_set(ei, "tables", "store '%s' has no tables", dir);
        return ACC_ERR_INVALID;
    }
    size_t n = 0;
    for (; opts->tables[n]; n++) {
        const char *name = opts->tables[n];
        size_t len = strlen(name);
        if (len == 0 || len > 255) {
            acc_errinfo_set(ei, "tables", "table name '%s' has a bad length", name);
            return ACC_ERR_INVALID;
        }
        for (size_t j = 0; j < n; j++) {
            if (strcmp(opts->tables[j], name) == 0) {
                acc_errinfo_set(ei, name, "table '%s' is named twice", name);
                return ACC_ERR_INVALID;
            }
        }
        if (n + 1 > S_MAX_TABLES) {
            acc_errinfo_set(ei, "tables", "store '%s' has more than %d tables", dir, S_MAX_TABLES);
            return ACC_ERR_INVALID;
        }
    }
    if (opts->map_size && opts->map_max && opts->map_size > opts->map_max) {
        acc_errinfo_set(ei, "map_size", "initial map size %" PRIu64 " exceeds map_max %" PRIu64,
                        opts->map_size, opts->map_max);
        return ACC_ERR_INVALID;
    }
    *ntables = n;
    return ACC_OK;
}

acc_err
acc_store_open(const char *dir, const acc_store_opts_t *opts, acc_store_t **out, acc_errinfo_t *ei)
{
    acc_store_t *self = NULL;
    size_t ntables = 0;
    acc_err err = s_opts_check(dir, opts, &ntables, ei);
    if (err != ACC_OK)
        goto out;
    err = acc_fs_mkdirs(dir, "store directory", dir, ei);
    if (err != ACC_OK)
        goto out;

    err = ACC_ERR_NOMEM;
    self = calloc(1, sizeof *self);
    if (!self)
        goto out;
    self->path = strdup(dir);
    self->names = calloc(ntables, sizeof *self->names);
    self->dbis = calloc(ntables, sizeof *self->dbis);
    if (!self->path || !self->names || !self->dbis)
        goto out;
    for (size_t i = 0; i < ntables; i++) {
        self->names[i] = strdup(opts->tables[i]);
        if (!self->names[i])
            goto out;
        self->ntables = i + 1;
    }

    /* Sizes in whole pages: LMDB maps whole pages and would round on its own anyway. */
    uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);
    uint64_t max = opts->map_max ? opts->map_max : S_DEFAULT_MAP_MAX;
    if (max > SIZE_MAX)
        max = SIZE_MAX;
    max -= max % page;
    uint64_t size = opts->map_size ? opts->map_size : S_DEFAULT_MAP_SIZE;
    size = (size + page - 1) / page * page;
    if (size < page)
        size = page;
    if (max < size)
        max = opts->map_max ? size : max; /* an explicit max below one page: one page */
    if (size > max)
        size = max; /* the default initial size under a small explicit max */
    self->map_size = size;
    self->map_max = max;

    err = s_env_open(self, ei);
out:
    if (err != ACC_OK) {
        if (err == ACC_ERR_NOMEM)
            acc_errinfo_set(ei, dir ? dir : "", "out of memory opening store");
        acc_store_destroy(&self);
        return err;
    }
    *out = self;
    return ACC_OK;
}

void
acc_store_destroy(acc_store_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    acc_store_t *self = *self_p;
    /* LMDB frees every transaction with the environment: a transaction still open here
     * would be used after free by its owner. */
    assert(self->readers_open == 0 && !self->writing);
    if (self->env)
        mdb_env_close(self->env);
    for (size_t i = 0; i < self->ntables; i++)
        free(self->names[i]);
    free(self->names);
    free(self->dbis);
    free(self->path);
    free(self);
    *self_p = NULL;
}

acc_err
acc_store_table(acc_store_t *self, const char *name, acc_table *out)
{
    assert(self && name && out);
    for (size_t i = 0; i < self->ntables; i++) {
        if (strcmp(self->names[i], name) == 0) {
            *out = self->dbis[i];
            return ACC_OK;
        }
    }
    return ACC_ERR_NOT_FOUND;
}

/* --- transactions ----------------------------------------------------------------- */

static void
s_cursors_close(acc_txn_t *txn)
{
    while (txn->cursors) {
        acc_cursor_t *cur = txn->cursors;
        acc_cursor_close(&cur);
    }
}

acc_err
acc_store_write(acc_store_t *self, acc_err (*fn)(acc_txn_t *txn, void *arg), void *arg)
{
    assert(self && fn);
    /* LMDB's writer lock is not recursive: a nested write would deadlock. */
    assert(!self->writing);
    bool reopened = false;
    acc_txn_t *t = &self->wtxn;
    for (int attempt = 0; attempt < S_MAX_ATTEMPTS; attempt++) {
        MDB_txn *txn = NULL;
        acc_err err = s_begin(self, 0, &txn, &reopened);
        if (err != ACC_OK)
            return err;
        *t = (acc_txn_t){.txn = txn, .store = self};
        self->writing = true;

        acc_err fn_err = fn(t, arg);

        s_cursors_close(t);
        int rc;
        if (t->map_full || fn_err != ACC_OK) {
            mdb_txn_abort(txn);
            rc = t->map_full ? MDB_MAP_FULL : MDB_SUCCESS;
        } else {
            rc = mdb_txn_commit(txn); /* ends the transaction, also on failure */
            if (rc == MDB_SUCCESS) {
                self->writing = false;
                t->txn = NULL;
                return ACC_OK;
            }
        }
        self->writing = false;
        t->txn = NULL;
        if (rc == MDB_MAP_FULL) {
            err = s_grow(self);
            if (err != ACC_OK)
                return err;
            continue; /* run fn again from the start in a bigger map */
        }
        if (fn_err != ACC_OK)
            return fn_err;
        if (rc == ENOSPC || rc == EIO) {
            /* Pages or the meta page could not be written: the old meta page still names
             * the last good commit, so nothing of this transaction counts. If the meta
             * write failed, LMDB has marked the environment fatal and the next begin
             * reopens it. */
            acc_log_warn(S_TAG, "cannot commit to store '%s': %s", self->path, mdb_strerror(rc));
            return ACC_ERR_FULL;
        }
        return s_err(self, rc, "commit");
    }
    acc_log_error(S_TAG, "store '%s' still full after %d attempts to grow it", self->path,
                  S_MAX_ATTEMPTS);
    return ACC_ERR_STORE;
}

acc_err
acc_store_read_begin(acc_store_t *self, acc_txn_t **out)
{
    assert(self && out);
    acc_txn_t *t = calloc(1, sizeof *t);
    if (!t)
        return ACC_ERR_NOMEM;
    bool reopened = false;
    acc_err err = s_begin(self, MDB_RDONLY, &t->txn, &reopened);
    if (err != ACC_OK) {
        free(t);
        return err;
    }
    t->store = self;
    t->rdonly = true;
    self->readers_open++;
    *out = t;
    return ACC_OK;
}

void
acc_store_read_end(acc_txn_t **txn_p)
{
    if (!txn_p || !*txn_p)
        return;
    acc_txn_t *t = *txn_p;
    assert(t->rdonly); /* the write transaction belongs to acc_store_write */
    s_cursors_close(t);
    mdb_txn_abort(t->txn);
    t->store->readers_open--;
    free(t);
    *txn_p = NULL;
}

/* --- records ---------------------------------------------------------------------- */

acc_err
acc_store_get(acc_txn_t *txn, acc_table t, const void *key, size_t klen, const void **val,
              size_t *vlen)
{
    assert(txn && (key || klen == 0));
    /* LMDB stores no empty key; asking for one is simply a miss. */
    if (klen == 0)
        return ACC_ERR_NOT_FOUND;
    MDB_val k = {.mv_size = klen, .mv_data = (void *)key};
    MDB_val v;
    int rc = mdb_get(txn->txn, t, &k, &v);
    if (rc != MDB_SUCCESS)
        return s_txn_err(txn, rc, "read a record");
    if (val)
        *val = v.mv_data;
    if (vlen)
        *vlen = v.mv_size;
    return ACC_OK;
}

acc_err
acc_store_put(acc_txn_t *txn, acc_table t, const void *key, size_t klen, const void *val,
              size_t vlen, int flags)
{
    assert(txn && (key || klen == 0) && (val || vlen == 0));
    if (flags & ~(ACC_PUT_NOOVERWRITE | ACC_PUT_APPEND))
        return ACC_ERR_INVALID;
    unsigned mflags = 0;
    if (flags & ACC_PUT_NOOVERWRITE)
        mflags |= MDB_NOOVERWRITE;
    if (flags & ACC_PUT_APPEND)
        mflags |= MDB_APPEND;
    MDB_val k = {.mv_size = klen, .mv_data = (void *)key};
    MDB_val v = {.mv_size = vlen, .mv_data = (void *)val};
    int rc = mdb_put(txn->txn, t, &k, &v, mflags);
    switch (rc) {
    case MDB_SUCCESS:
        return ACC_OK;
    case MDB_MAP_FULL:
        txn->map_full = true;
        return ACC_ERR_FULL;
    case MDB_KEYEXIST:
        if (!(flags & ACC_PUT_APPEND))
            return ACC_ERR_EXISTS;
        /* LMDB answers MDB_KEYEXIST to any append at or below the last key. Report a
         * real duplicate as such when the caller asked for NOOVERWRITE. */
        if (flags & ACC_PUT_NOOVERWRITE) {
            MDB_val old;
            if (mdb_get(txn->txn, t, &k, &old) == MDB_SUCCESS)
                return ACC_ERR_EXISTS;
        }
        acc_log_warn(S_TAG, "append out of order in store '%s'", txn->store->path);
        return ACC_ERR_INVALID;
    default:
        return s_txn_err(txn, rc, "write a record");
    }
}

acc_err
acc_store_del(acc_txn_t *txn, acc_table t, const void *key, size_t klen)
{
    assert(txn && (key || klen == 0));
    if (klen == 0)
        return ACC_ERR_NOT_FOUND;
    MDB_val k = {.mv_size = klen, .mv_data = (void *)key};
    int rc = mdb_del(txn->txn, t, &k, NULL);
    if (rc == MDB_MAP_FULL)
        txn->map_full = true;
    return s_txn_err(txn, rc, "delete a record");
}

acc_err
acc_store_count(acc_txn_t *txn, acc_table t, uint64_t *out)
{
    assert(txn && out);
    MDB_stat st;
    int rc = mdb_stat(txn->txn, t, &st);
    if (rc != MDB_SUCCESS)
        return s_txn_err(txn, rc, "count records");
    *out = (uint64_t)st.ms_entries;
    return ACC_OK;
}

/* --- cursors ---------------------------------------------------------------------- */

acc_err
acc_cursor_open(acc_txn_t *txn, acc_table t, acc_cursor_t **out)
{
    assert(txn && out);
    acc_cursor_t *cur = calloc(1, sizeof *cur);
    if (!cur)
        return ACC_ERR_NOMEM;
    int rc = mdb_cursor_open(txn->txn, t, &cur->cur);
    if (rc != MDB_SUCCESS) {
        free(cur);
        return s_txn_err(txn, rc, "open a cursor");
    }
    cur->txn = txn;
    cur->next = txn->cursors;
    if (txn->cursors)
        txn->cursors->prev = cur;
    txn->cursors = cur;
    *out = cur;
    return ACC_OK;
}

void
acc_cursor_close(acc_cursor_t **cur_p)
{
    if (!cur_p || !*cur_p)
        return;
    acc_cursor_t *cur = *cur_p;
    if (cur->prev)
        cur->prev->next = cur->next;
    else
        cur->txn->cursors = cur->next;
    if (cur->next)
        cur->next->prev = cur->prev;
    mdb_cursor_close(cur->cur);
    free(cur);
    *cur_p = NULL;
}

static acc_err
s_cursor_get(acc_cursor_t *cur, MDB_val *key, MDB_cursor_op op, const void **k, size_t *kl,
             const void **v, size_t *vl)
{
    MDB_val val = {0};
    int rc = mdb_cursor_get(cur->cur, key, &val, op);
    if (rc != MDB_SUCCESS)
        return s_txn_err(cur->txn, rc, "move a cursor");
    if (k)
        *k = key->mv_data;
    if (kl)
        *kl = key->mv_size;
    if (v)
        *v = val.mv_data;
    if (vl)
        *vl = val.mv_size;
    return ACC_OK;
}

acc_err
acc_cursor_seek(acc_cursor_t *cur, const void *key, size_t klen, const void **k, size_t *kl,
                const void **v, size_t *vl)
{
    assert(cur);
    MDB_val mk = {.mv_size = klen, .mv_data = (void *)key};
    /* The empty key sorts before every key, so it means "from the start" like NULL. */
    MDB_cursor_op op = key && klen > 0 ? MDB_SET_RANGE : MDB_FIRST;
    return s_cursor_get(cur, &mk, op, k, kl, v, vl);
}

acc_err
acc_cursor_next(acc_cursor_t *cur, const void **k, size_t *kl, const void **v, size_t *vl)
{
    assert(cur);
    MDB_val mk = {0};
    return s_cursor_get(cur, &mk, MDB_NEXT, k, kl, v, vl);
}

acc_err
acc_cursor_prev(acc_cursor_t *cur, const void **k, size_t *kl, const void **v, size_t *vl)
{
    assert(cur);
    MDB_val mk = {0};
    return s_cursor_get(cur, &mk, MDB_PREV, k, kl, v, vl);
}

acc_err
acc_cursor_last(acc_cursor_t *cur, const void **k, size_t *kl, const void **v, size_t *vl)
{
    assert(cur);
    MDB_val mk = {0};
    return s_cursor_get(cur, &mk, MDB_LAST, k, kl, v, vl);
}

/* --- maintenance and helpers ------------------------------------------------------ */

void
acc_store_maintain(acc_store_t *self)
{
    assert(self);
    if (self->env)
        s_reader_check(self);
}

uint64_t
acc_store_map_size(const acc_store_t *self)
{
    assert(self);
    return self->map_size;
}

/* mdb_reader_list prints one line per slot held (pid, thread, txnid) after a header. */
static int
s_count_reader_line(const char *msg, void *ctx)
{
    while (*msg == ' ')
        msg++;
    if (*msg >= '0' && *msg <= '9')
        (*(unsigned *)ctx)++;
    return 0;
}

acc_err
acc_store_readers(acc_store_t *self, unsigned *out)
{
    assert(self && out);
    if (!self->env)
        return ACC_ERR_STORE;
    unsigned n = 0;
    int rc = mdb_reader_list(self->env, s_count_reader_line, &n);
    if (rc != MDB_SUCCESS)
        return s_err(self, rc, "list readers");
    *out = n;
    return ACC_OK;
}

void
acc_store_u64_be(uint64_t v, unsigned char out[8])
{
    for (int i = 7; i >= 0; i--) {
        out[i] = (unsigned char)(v & 0xff);
        v >>= 8;
    }
}

uint64_t
acc_store_be_u64(const unsigned char in[8])
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = (v << 8) | in[i];
    return v;
}
