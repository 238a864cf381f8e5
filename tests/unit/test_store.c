/*
 * Unit tests for acc_store: records, cursors, map growth, full map and full disk, stale
 * reader slots, and recovery from LMDB's MDB_PANIC. Each test gets a fresh directory.
 *
 * Fault injection: this binary defines pwrite(), which takes precedence over libc's for
 * liblmdb.so. When s_fail_meta_writes is set, writes to the two meta pages (the first
 * two pages of data.mdb) fail with EIO; LMDB then marks the environment fatal. The flag
 * is test-only state.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <lmdb.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "acc_store.h"
#include "../support/acc_test.h" /* tests/support is not on the include path */

#define MiB (UINT64_C(1) << 20)
#define VLEN 4000 /* one value per overflow page: sizes in pages are easy to reason about */

static const char *const s_tables[] = {"recs", "other", NULL};

static volatile int s_fail_meta_writes;

ssize_t
pwrite(int fd, const void *buf, size_t n, off_t off)
{
    if (s_fail_meta_writes && off < 2 * sysconf(_SC_PAGESIZE)) {
        errno = EIO;
        return -1;
    }
    return (ssize_t)syscall(SYS_pwrite64, fd, buf, n, off);
}

/* --- fixture ---------------------------------------------------------------------- */

typedef struct fixture {
    char *dir;
    bool mounted;
    pid_t kids[4];
    int nkids;
} fixture_t;

static int
s_setup(void **state)
{
    fixture_t *fx = calloc(1, sizeof *fx);
    if (!fx)
        return -1;
    fx->dir = acc_test_tmpdir();
    *state = fx;
    return 0;
}

static int
s_teardown(void **state)
{
    fixture_t *fx = *state;
    s_fail_meta_writes = 0;
    for (int i = 0; i < fx->nkids; i++) {
        if (fx->kids[i] > 0) {
            kill(fx->kids[i], SIGKILL);
            waitpid(fx->kids[i], NULL, 0);
        }
    }
    if (fx->mounted && umount(fx->dir) != 0)
        umount2(fx->dir, MNT_DETACH);
    acc_test_rmtree(fx->dir);
    free(fx);
    return 0;
}

/* --- helpers ---------------------------------------------------------------------- */

static acc_store_t *
s_open(const char *dir, uint64_t size, uint64_t max)
{
    acc_store_opts_t opts = {.tables = s_tables, .map_size = size, .map_max = max};
    acc_store_t *st = NULL;
    acc_errinfo_t ei;
    acc_errinfo_clear(&ei);
    acc_err err = acc_store_open(dir, &opts, &st, &ei);
    if (err != ACC_OK)
        print_error("open '%s': %s: %s\n", dir, acc_strerror(err), ei.msg);
    assert_int_equal(err, ACC_OK);
    assert_non_null(st);
    return st;
}

static acc_table
s_table(acc_store_t *st, const char *name)
{
    acc_table t = 0;
    assert_int_equal(acc_store_table(st, name, &t), ACC_OK);
    return t;
}

static void
s_fill(unsigned char *v, size_t vlen, uint64_t i)
{
    for (size_t j = 0; j < vlen; j++)
        v[j] = (unsigned char)(i * 131 + j * 7);
}

/* Puts records with big-endian keys first .. first+n-1; counts its runs. */
typedef struct put_range {
    acc_table t;
    uint64_t first, n;
    size_t vlen;
    int flags;
    unsigned runs;
    acc_err fail_with; /* returned after the puts, to test that nothing is kept */
} put_range_t;

static acc_err
s_put_range(acc_txn_t *txn, void *arg)
{
    put_range_t *pr = arg;
    unsigned char key[8], val[VLEN];
    assert_true(pr->vlen <= sizeof val);
    pr->runs++;
    for (uint64_t i = pr->first; i < pr->first + pr->n; i++) {
        acc_store_u64_be(i, key);
        s_fill(val, pr->vlen, i);
        acc_err err = acc_store_put(txn, pr->t, key, 8, val, pr->vlen, pr->flags);
        if (err != ACC_OK)
            return err;
    }
    return pr->fail_with;
}

static acc_err
s_write_range(acc_store_t *st, uint64_t first, uint64_t n, size_t vlen, unsigned *runs)
{
    put_range_t pr = {.t = s_table(st, "recs"), .first = first, .n = n, .vlen = vlen};
    acc_err err = acc_store_write(st, s_put_range, &pr);
    if (runs)
        *runs = pr.runs;
    return err;
}

static uint64_t
s_count(acc_store_t *st, const char *table)
{
    acc_txn_t *txn = NULL;
    uint64_t n = 0;
    assert_int_equal(acc_store_read_begin(st, &txn), ACC_OK);
    assert_int_equal(acc_store_count(txn, s_table(st, table), &n), ACC_OK);
    acc_store_read_end(&txn);
    assert_null(txn);
    return n;
}

/* Every record first .. first+n-1 is there with its value. */
static void
s_check_range(acc_store_t *st, uint64_t first, uint64_t n, size_t vlen)
{
    acc_txn_t *txn = NULL;
    unsigned char key[8], want[VLEN];
    assert_int_equal(acc_store_read_begin(st, &txn), ACC_OK);
    acc_table t = s_table(st, "recs");
    for (uint64_t i = first; i < first + n; i++) {
        const void *v = NULL;
        size_t vl = 0;
        acc_store_u64_be(i, key);
        assert_int_equal(acc_store_get(txn, t, key, 8, &v, &vl), ACC_OK);
        assert_int_equal(vl, vlen);
        s_fill(want, vlen, i);
        assert_memory_equal(v, want, vlen);
    }
    acc_store_read_end(&txn);
}

static bool
s_has(acc_store_t *st, const char *key)
{
    acc_txn_t *txn = NULL;
    assert_int_equal(acc_store_read_begin(st, &txn), ACC_OK);
    acc_err err = acc_store_get(txn, s_table(st, "recs"), key, strlen(key), NULL, NULL);
    acc_store_read_end(&txn);
    assert_true(err == ACC_OK || err == ACC_ERR_NOT_FOUND);
    return err == ACC_OK;
}

typedef struct kv {
    acc_table t;
    const char *key, *val;
    int flags;
} kv_t;

static acc_err
s_put_kv(acc_txn_t *txn, void *arg)
{
    kv_t *kv = arg;
    return acc_store_put(txn, kv->t, kv->key, strlen(kv->key), kv->val, strlen(kv->val), kv->flags);
}

static acc_err
s_put(acc_store_t *st, const char *key, const char *val, int flags)
{
    kv_t kv = {.t = s_table(st, "recs"), .key = key, .val = val, .flags = flags};
    return acc_store_write(st, s_put_kv, &kv);
}

/* --- records ---------------------------------------------------------------------- */

static acc_err
s_del_kv(acc_txn_t *txn, void *arg)
{
    kv_t *kv = arg;
    return acc_store_del(txn, kv->t, kv->key, strlen(kv->key));
}

static void
test_put_get_del_count(void **state)
{
    fixture_t *fx = *state;
    acc_store_t *st = s_open(fx->dir, 0, 0);
    assert_int_equal(s_put(st, "alpha", "one", 0), ACC_OK);
    assert_int_equal(s_put(st, "beta", "two", 0), ACC_OK);
    assert_int_equal(s_put(st, "alpha", "uno", 0), ACC_OK); /* overwrite */
    assert_int_equal(s_count(st, "recs"), 2);
    assert_int_equal(s_count(st, "other"), 0);

    acc_txn_t *txn = NULL;
    const void *v = NULL;
    size_t vl = 0;
    assert_int_equal(acc_store_read_begin(st, &txn), ACC_OK);
    assert_int_equal(acc_store_get(txn, s_table(st, "recs"), "alpha", 5, &v, &vl), ACC_OK);
    assert_int_equal(vl, 3);
    assert_memory_equal(v, "uno", 3);
    /* tables are separate */
    assert_int_equal(acc_store_get(txn, s_table(st, "other"), "alpha", 5, &v, &vl),
                     ACC_ERR_NOT_FOUND);
    acc_store_read_end(&txn);

    kv_t kv = {.t = s_table(st, "recs"), .key = "alpha"};
    assert_int_equal(acc_store_write(st, s_del_kv, &kv), ACC_OK);
    assert_int_equal(acc_store_write(st, s_del_kv, &kv), ACC_ERR_NOT_FOUND);
    assert_false(s_has(st, "alpha"));
    assert_true(s_has(st, "beta"));
    assert_int_equal(s_count(st, "recs"), 1);
    acc_store_destroy(&st);
    assert_null(st);
    acc_store_destroy(&st); /* twice is fine */
}

static void
test_get_missing(void **state)
{
    fixture_t *fx = *state;
    acc_store_t *st = s_open(fx->dir, 0, 0);
    acc_txn_t *txn = NULL;
    const void *v = (const void *)&txn;
    size_t vl = 77;
    assert_int_equal(acc_store_read_begin(st, &txn), ACC_OK);
    assert_int_equal(acc_store_get(txn, s_table(st, "recs"), "nope", 4, &v, &vl),
                     ACC_ERR_NOT_FOUND);
    assert_int_equal(acc_store_get(txn, s_table(st, "recs"), "", 0, &v, &vl), ACC_ERR_NOT_FOUND);
    /* out-parameters untouched on failure */
    assert_ptr_equal(v, (const void *)&txn);
    assert_int_equal(vl, 77);
    acc_store_read_end(&txn);
    acc_table t;
    assert_int_equal(acc_store_table(st, "no-such-table", &t), ACC_ERR_NOT_FOUND);
    acc_store_destroy(&st);
}

static void
test_bad_keys(void **state)
{
    fixture_t *fx = *state;
    acc_store_t *st = s_open(fx->dir, 0, 0);
    char longkey[600];
    memset(longkey, 'k', sizeof longkey - 1);
    longkey[sizeof longkey - 1] = '\0';
    assert_int_equal(s_put(st, longkey, "v", 0), ACC_ERR_INVALID);
    assert_int_equal(s_put(st, "", "v", 0), ACC_ERR_INVALID);
    assert_int_equal(s_put(st, "k", "v", 1 << 5), ACC_ERR_INVALID); /* unknown flag */
    assert_int_equal(s_count(st, "recs"), 0);
    acc_store_destroy(&st);
}

static void
test_nooverwrite(void **state)
{
    fixture_t *fx = *state;
    acc_store_t *st = s_open(fx->dir, 0, 0);
    assert_int_equal(s_put(st, "k", "first", ACC_PUT_NOOVERWRITE), ACC_OK);
    assert_int_equal(s_put(st, "k", "second", ACC_PUT_NOOVERWRITE), ACC_ERR_EXISTS);
    acc_txn_t *txn = NULL;
    const void *v;
    size_t vl;
    assert_int_equal(acc_store_read_begin(st, &txn), ACC_OK);
    assert_int_equal(acc_store_get(txn, s_table(st, "recs"), "k", 1, &v, &vl), ACC_OK);
    assert_int_equal(vl, 5);
    assert_memory_equal(v, "first", 5);
    acc_store_read_end(&txn);
    acc_store_destroy(&st);
}

static void
test_append(void **state)
{
    fixture_t *fx = *state;
    acc_store_t *st = s_open(fx->dir, 0, 0);
    put_range_t pr = {
        .t = s_table(st, "recs"), .first = 10, .n = 100, .vlen = 16, .flags = ACC_PUT_APPEND};
    assert_int_equal(acc_store_write(st, s_put_range, &pr), ACC_OK);
    pr.first = 110;
    assert_int_equal(acc_store_write(st, s_put_range, &pr), ACC_OK);
    assert_int_equal(s_count(st, "recs"), 200);
    s_check_range(st, 10, 200, 16);

    /* below the last key, and equal to it: out of order */
    pr.first = 5;
    pr.n = 1;
    assert_int_equal(acc_store_write(st, s_put_range, &pr), ACC_ERR_INVALID);
    pr.first = 209;
    assert_int_equal(acc_store_write(st, s_put_range, &pr), ACC_ERR_INVALID);
    /* equal with NOOVERWRITE: the key exists */
    pr.flags = ACC_PUT_APPEND | ACC_PUT_NOOVERWRITE;
    assert_int_equal(acc_store_write(st, s_put_range, &pr), ACC_ERR_EXISTS);
    assert_int_equal(s_count(st, "recs"), 200);

    /* an out-of-order append in the middle of a batch keeps nothing of the batch */
    pr.flags = ACC_PUT_APPEND;
    pr.first = 300;
    pr.n = 3;
    assert_int_equal(acc_store_write(st, s_put_range, &pr), ACC_OK);
    pr.first = 250; /* 250..299 appended, then 300 collides */
    pr.n = 60;
    assert_int_equal(acc_store_write(st, s_put_range, &pr), ACC_ERR_INVALID);
    assert_int_equal(s_count(st, "recs"), 203);
    acc_store_destroy(&st);
}

static void
test_cursor(void **state)
{
    fixture_t *fx = *state;
    acc_store_t *st = s_open(fx->dir, 0, 0);
    acc_table t = s_table(st, "recs");
    /* keys 10, 20, ... 100 and one above 2^32, to show big-endian keeps numeric order */
    for (uint64_t i = 1; i <= 10; i++) {
        put_range_t pr = {.t = t, .first = i * 10, .n = 1, .vlen = 8};
        assert_int_equal(acc_store_write(st, s_put_range, &pr), ACC_OK);
    }
    put_range_t big = {.t = t, .first = UINT64_C(1) << 33, .n = 1, .vlen = 8};
    assert_int_equal(acc_store_write(st, s_put_range, &big), ACC_OK);

    acc_txn_t *txn = NULL;
    acc_cursor_t *cur = NULL;
    const void *k, *v;
    size_t kl, vl;
    unsigned char key[8];
    assert_int_equal(acc_store_read_begin(st, &txn), ACC_OK);
    assert_int_equal(acc_cursor_open(txn, t, &cur), ACC_OK);

    acc_store_u64_be(35, key);
    assert_int_equal(acc_cursor_seek(cur, key, 8, &k, &kl, &v, &vl), ACC_OK);
    assert_int_equal(kl, 8);
    assert_int_equal(acc_store_be_u64(k), 40);
    unsigned char want[8];
    s_fill(want, 8, 40);
    assert_int_equal(vl, 8);
    assert_memory_equal(v, want, 8);
    assert_int_equal(acc_cursor_next(cur, &k, &kl, &v, &vl), ACC_OK);
    assert_int_equal(acc_store_be_u64(k), 50);
    assert_int_equal(acc_cursor_prev(cur, &k, &kl, NULL, NULL), ACC_OK);
    assert_int_equal(acc_store_be_u64(k), 40);

    acc_store_u64_be(40, key); /* exact match */
    assert_int_equal(acc_cursor_seek(cur, key, 8, &k, &kl, NULL, NULL), ACC_OK);
    assert_int_equal(acc_store_be_u64(k), 40);

    assert_int_equal(acc_cursor_last(cur, &k, &kl, NULL, NULL), ACC_OK);
    assert_int_equal(acc_store_be_u64(k), UINT64_C(1) << 33);
    assert_int_equal(acc_cursor_prev(cur, &k, &kl, NULL, NULL), ACC_OK);
    assert_int_equal(acc_store_be_u64(k), 100);
    assert_int_equal(acc_cursor_next(cur, &k, &kl, NULL, NULL), ACC_OK);
    assert_int_equal(acc_cursor_next(cur, &k, &kl, NULL, NULL), ACC_ERR_NOT_FOUND);

    assert_int_equal(acc_cursor_seek(cur, NULL, 0, &k, &kl, NULL, NULL), ACC_OK);
    assert_int_equal(acc_store_be_u64(k), 10);
    assert_int_equal(acc_cursor_prev(cur, &k, &kl, NULL, NULL), ACC_ERR_NOT_FOUND);

    /* walk everything forwards */
    uint64_t n = 0, last = 0;
    for (acc_err e = acc_cursor_seek(cur, NULL, 0, &k, &kl, NULL, NULL); e == ACC_OK;
         e = acc_cursor_next(cur, &k, &kl, NULL, NULL)) {
        uint64_t x = acc_store_be_u64(k);
        assert_true(n == 0 || x > last);
        last = x;
        n++;
    }
    assert_int_equal(n, 11);

    acc_store_u64_be((UINT64_C(1) << 33) + 1, key);
    assert_int_equal(acc_cursor_seek(cur, key, 8, &k, &kl, NULL, NULL), ACC_ERR_NOT_FOUND);
    acc_cursor_close(&cur);
    assert_null(cur);
    acc_cursor_close(&cur);

    /* a cursor left open is closed by read_end (ASan would see a leak otherwise) */
    assert_int_equal(acc_cursor_open(txn, t, &cur), ACC_OK);
    acc_store_read_end(&txn);

    /* the empty table */
    assert_int_equal(acc_store_read_begin(st, &txn), ACC_OK);
    assert_int_equal(acc_cursor_open(txn, s_table(st, "other"), &cur), ACC_OK);
    assert_int_equal(acc_cursor_last(cur, &k, &kl, NULL, NULL), ACC_ERR_NOT_FOUND);
    assert_int_equal(acc_cursor_seek(cur, NULL, 0, &k, &kl, NULL, NULL), ACC_ERR_NOT_FOUND);
    acc_cursor_close(&cur);
    acc_store_read_end(&txn);
    acc_store_destroy(&st);
}

static void
test_u64_be(void **state)
{
    (void)state;
    unsigned char b[8];
    acc_store_u64_be(UINT64_C(0x0102030405060708), b);
    const unsigned char want[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    assert_memory_equal(b, want, 8);
    assert_int_equal(acc_store_be_u64(b), UINT64_C(0x0102030405060708));
    acc_store_u64_be(UINT64_MAX, b);
    assert_int_equal(acc_store_be_u64(b), UINT64_MAX);
    unsigned char lo[8], hi[8];
    acc_store_u64_be(255, lo);
    acc_store_u64_be(256, hi);
    assert_true(memcmp(lo, hi, 8) < 0);
}

static void
test_fn_error_stores_nothing(void **state)
{
    fixture_t *fx = *state;
    acc_store_t *st = s_open(fx->dir, 0, 0);
    put_range_t pr = {
        .t = s_table(st, "recs"), .first = 0, .n = 50, .vlen = 100, .fail_with = ACC_ERR_INVALID};
    assert_int_equal(acc_store_write(st, s_put_range, &pr), ACC_ERR_INVALID);
    assert_int_equal(pr.runs, 1);
    assert_int_equal(s_count(st, "recs"), 0);
    pr.fail_with = ACC_OK;
    assert_int_equal(acc_store_write(st, s_put_range, &pr), ACC_OK);
    assert_int_equal(s_count(st, "recs"), 50);
    acc_store_destroy(&st);
}

static void
test_open_creates_private_dir(void **state)
{
    fixture_t *fx = *state;
    char dir[4200], file[4300];
    snprintf(dir, sizeof dir, "%s/a/b/db", fx->dir);
    acc_store_t *st = s_open(dir, 0, 0);
    struct stat sb;
    assert_int_equal(stat(dir, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0700);
    snprintf(file, sizeof file, "%s/data.mdb", dir);
    assert_int_equal(stat(file, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0600);
    assert_int_equal(acc_store_map_size(st), 64 * MiB);
    acc_store_destroy(&st);

    /* bad options */
    acc_errinfo_t ei;
    const char *const none[] = {NULL};
    const char *const dup[] = {"a", "b", "a", NULL};
    const char *const empty[] = {"a", "", NULL};
    acc_store_opts_t opts = {.tables = none};
    assert_int_equal(acc_store_open(dir, &opts, &st, &ei), ACC_ERR_INVALID);
    opts.tables = dup;
    assert_int_equal(acc_store_open(dir, &opts, &st, &ei), ACC_ERR_INVALID);
    assert_string_equal(ei.field, "a");
    opts.tables = empty;
    assert_int_equal(acc_store_open(dir, &opts, &st, &ei), ACC_ERR_INVALID);
    acc_store_opts_t big = {.tables = s_tables, .map_size = 2 * MiB, .map_max = MiB};
    assert_int_equal(acc_store_open(dir, &big, &st, &ei), ACC_ERR_INVALID);
    assert_null(st);

    /* a file where the directory should be */
    snprintf(file, sizeof file, "%s/plain", fx->dir);
    int fd = open(file, O_CREAT | O_WRONLY, 0600);
    assert_true(fd >= 0);
    close(fd);
    acc_store_opts_t ok = {.tables = s_tables};
    assert_int_equal(acc_store_open(file, &ok, &st, &ei), ACC_ERR_IO);
    assert_null(st);
}

static void
test_durable_reopen(void **state)
{
    fixture_t *fx = *state;
    acc_store_t *st = s_open(fx->dir, 0, 0);
    assert_int_equal(s_write_range(st, 0, 300, 500, NULL), ACC_OK);
    assert_int_equal(s_put(st, "name", "value", 0), ACC_OK);
    acc_table recs = s_table(st, "recs"), other = s_table(st, "other");
    acc_store_destroy(&st);

    st = s_open(fx->dir, 0, 0);
    /* handles are stable across runs */
    assert_int_equal(s_table(st, "recs"), recs);
    assert_int_equal(s_table(st, "other"), other);
    assert_int_equal(s_count(st, "recs"), 301);
    s_check_range(st, 0, 300, 500);
    assert_true(s_has(st, "name"));
    acc_store_destroy(&st);
}

/* --- map growth ------------------------------------------------------------------- */

static void
test_map_grows(void **state)
{
    fixture_t *fx = *state;
    acc_store_t *st = s_open(fx->dir, MiB, 64 * MiB);
    assert_int_equal(acc_store_map_size(st), MiB);
    const uint64_t n = 20 * MiB / VLEN;
    unsigned runs = 0;
    assert_int_equal(s_write_range(st, 0, n, VLEN, &runs), ACC_OK);
    assert_true(runs > 1); /* it ran, filled the map, grew, ran again */
    uint64_t grown = acc_store_map_size(st);
    assert_true(grown >= 20 * MiB);
    assert_true(grown <= 64 * MiB);
    acc_store_destroy(&st);

    st = s_open(fx->dir, MiB, 64 * MiB);
    assert_true(acc_store_map_size(st) >= grown); /* the grown size is kept */
    assert_int_equal(s_count(st, "recs"), n);
    s_check_range(st, 0, n, VLEN);
    /* the next write needs no growth */
    assert_int_equal(s_write_range(st, n, 10, VLEN, &runs), ACC_OK);
    assert_int_equal(runs, 1);
    acc_store_destroy(&st);
}

static void
test_map_at_max(void **state)
{
    fixture_t *fx = *state;
    acc_store_t *st = s_open(fx->dir, MiB, MiB);
    assert_int_equal(s_put(st, "before", "x", 0), ACC_OK);
    unsigned runs = 0;
    assert_int_equal(s_write_range(st, 0, 2 * MiB / VLEN, VLEN, &runs), ACC_ERR_FULL);
    assert_int_equal(runs, 1);
    assert_int_equal(acc_store_map_size(st), MiB);
    assert_int_equal(s_count(st, "recs"), 1); /* nothing of the failed transaction */
    assert_int_equal(s_put(st, "after", "y", 0), ACC_OK);
    assert_int_equal(s_count(st, "recs"), 2);
    acc_store_destroy(&st);

    st = s_open(fx->dir, MiB, MiB);
    assert_true(s_has(st, "before"));
    assert_true(s_has(st, "after"));
    acc_store_destroy(&st);
}

static void
test_no_growth_under_reader(void **state)
{
    fixture_t *fx = *state;
    acc_store_t *st = s_open(fx->dir, MiB, 64 * MiB);
    acc_txn_t *txn = NULL;
    assert_int_equal(acc_store_read_begin(st, &txn), ACC_OK);
    assert_int_equal(s_write_range(st, 0, 2 * MiB / VLEN, VLEN, NULL), ACC_ERR_FULL);
    assert_int_equal(acc_store_map_size(st), MiB);
    acc_store_read_end(&txn);
    assert_int_equal(s_write_range(st, 0, 2 * MiB / VLEN, VLEN, NULL), ACC_OK);
    assert_true(acc_store_map_size(st) > MiB);
    acc_store_destroy(&st);
}

/* --- stale readers ---------------------------------------------------------------- */

/* A child that opens the store (its own environment: nothing crosses fork) and, if
 * @begin_read, begins a read transaction; then it waits to be killed. */
static pid_t
s_spawn(fixture_t *fx, bool begin_read)
{
    int p[2];
    assert_int_equal(pipe(p), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(p[0]);
        acc_store_opts_t opts = {.tables = s_tables};
        acc_store_t *st = NULL;
        acc_txn_t *txn = NULL;
        if (acc_store_open(fx->dir, &opts, &st, NULL) != ACC_OK)
            _exit(2);
        if (begin_read && acc_store_read_begin(st, &txn) != ACC_OK)
            _exit(3);
        char c = 'r';
        if (write(p[1], &c, 1) != 1)
            _exit(4);
        for (;;)
            pause();
    }
    close(p[1]);
    fx->kids[fx->nkids++] = pid;
    char c = 0;
    ssize_t r = read(p[0], &c, 1);
    close(p[0]);
    assert_int_equal(r, 1);
    return pid;
}

static void
s_kill9(fixture_t *fx, pid_t pid)
{
    int status = 0;
    assert_int_equal(kill(pid, SIGKILL), 0);
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    for (int i = 0; i < fx->nkids; i++)
        if (fx->kids[i] == pid)
            fx->kids[i] = 0;
}

static int
s_count_line(const char *msg, void *ctx)
{
    while (*msg == ' ')
        msg++;
    if (*msg >= '0' && *msg <= '9')
        (*(int *)ctx)++;
    return 0;
}

/* Reader slots seen by a plain LMDB environment (opened and closed here, so that the
 * process never has two environments on the same files at once). */
static int
s_raw_readers(const char *dir)
{
    MDB_env *env = NULL;
    int n = 0;
    assert_int_equal(mdb_env_create(&env), 0);
    assert_int_equal(mdb_env_set_maxdbs(env, 8), 0);
    assert_int_equal(mdb_env_open(env, dir, 0, 0600), 0);
    assert_int_equal(mdb_reader_list(env, s_count_line, &n), 0);
    mdb_env_close(env);
    return n;
}

static void
test_stale_reader_cleared_at_open(void **state)
{
    fixture_t *fx = *state;
    /* A live holder keeps the lock file in use: otherwise the first process to open it
     * resets the reader table and the stale slot would vanish without reader_check. */
    s_spawn(fx, false);
    pid_t reader = s_spawn(fx, true);
    s_kill9(fx, reader);
    assert_int_equal(s_raw_readers(fx->dir), 1); /* the dead child's slot is still held */

    acc_store_t *st = s_open(fx->dir, 0, 0);
    unsigned n = 99;
    assert_int_equal(acc_store_readers(st, &n), ACC_OK);
    assert_int_equal(n, 0);
    /* and a read of our own shows up */
    acc_txn_t *txn = NULL;
    assert_int_equal(acc_store_read_begin(st, &txn), ACC_OK);
    assert_int_equal(acc_store_readers(st, &n), ACC_OK);
    assert_int_equal(n, 1);
    acc_store_read_end(&txn);
    acc_store_destroy(&st);
}

static void
test_stale_reader_cleared_by_maintain(void **state)
{
    fixture_t *fx = *state;
    acc_store_t *st = s_open(fx->dir, 0, 0);
    pid_t reader = s_spawn(fx, true);
    unsigned n = 0;
    assert_int_equal(acc_store_readers(st, &n), ACC_OK);
    assert_int_equal(n, 1); /* live */
    s_kill9(fx, reader);
    assert_int_equal(acc_store_readers(st, &n), ACC_OK);
    assert_int_equal(n, 1); /* stale */
    acc_store_maintain(st);
    assert_int_equal(acc_store_readers(st, &n), ACC_OK);
    assert_int_equal(n, 0);
    acc_store_destroy(&st);
}

/* --- MDB_PANIC -------------------------------------------------------------------- */

/* What the store relies on, shown on plain LMDB: a failed meta-page write makes the
 * commit fail, and every later begin returns MDB_PANIC until the environment is closed
 * and opened again; the last good commit is then what is on disk. */
static void
test_lmdb_meta_failure_panics(void **state)
{
    fixture_t *fx = *state;
    MDB_env *env = NULL;
    MDB_txn *txn = NULL;
    MDB_dbi dbi;
    MDB_val k = {1, "a"}, v = {1, "1"};
    assert_int_equal(mdb_env_create(&env), 0);
    assert_int_equal(mdb_env_open(env, fx->dir, 0, 0600), 0);
    assert_int_equal(mdb_txn_begin(env, NULL, 0, &txn), 0);
    assert_int_equal(mdb_dbi_open(txn, NULL, 0, &dbi), 0);
    assert_int_equal(mdb_put(txn, dbi, &k, &v, 0), 0);
    assert_int_equal(mdb_txn_commit(txn), 0);

    assert_int_equal(mdb_txn_begin(env, NULL, 0, &txn), 0);
    k.mv_data = "b";
    assert_int_equal(mdb_put(txn, dbi, &k, &v, 0), 0);
    s_fail_meta_writes = 1;
    assert_int_equal(mdb_txn_commit(txn), EIO);
    s_fail_meta_writes = 0;
    assert_int_equal(mdb_txn_begin(env, NULL, 0, &txn), MDB_PANIC);
    assert_int_equal(mdb_txn_begin(env, NULL, MDB_RDONLY, &txn), MDB_PANIC);
    mdb_env_close(env);

    assert_int_equal(mdb_env_create(&env), 0);
    assert_int_equal(mdb_env_open(env, fx->dir, 0, 0600), 0);
    assert_int_equal(mdb_txn_begin(env, NULL, MDB_RDONLY, &txn), 0);
    assert_int_equal(mdb_dbi_open(txn, NULL, 0, &dbi), 0); /* sets the key order */
    k.mv_data = "a";
    assert_int_equal(mdb_get(txn, dbi, &k, &v), 0);
    k.mv_data = "b";
    assert_int_equal(mdb_get(txn, dbi, &k, &v), MDB_NOTFOUND);
    mdb_txn_abort(txn);
    mdb_env_close(env);
}

static void
test_panic_reopens_on_write(void **state)
{
    fixture_t *fx = *state;
    acc_store_t *st = s_open(fx->dir, 0, 0);
    acc_table recs = s_table(st, "recs");
    assert_int_equal(s_put(st, "a", "1", 0), ACC_OK);
    s_fail_meta_writes = 1;
    assert_int_equal(s_put(st, "b", "2", 0), ACC_ERR_FULL);
    s_fail_meta_writes = 0;
    assert_int_equal(s_put(st, "c", "3", 0), ACC_OK); /* MDB_PANIC, reopen, retry */
    assert_int_equal(s_table(st, "recs"), recs);
    assert_true(s_has(st, "a"));
    assert_false(s_has(st, "b"));
    assert_true(s_has(st, "c"));
    acc_store_destroy(&st);

    st = s_open(fx->dir, 0, 0);
    assert_true(s_has(st, "a"));
    assert_false(s_has(st, "b"));
    assert_true(s_has(st, "c"));
    acc_store_destroy(&st);
}

static void
test_panic_reopens_on_read(void **state)
{
    fixture_t *fx = *state;
    acc_store_t *st = s_open(fx->dir, 0, 0);
    assert_int_equal(s_put(st, "a", "1", 0), ACC_OK);
    s_fail_meta_writes = 1;
    assert_int_equal(s_put(st, "b", "2", 0), ACC_ERR_FULL);
    s_fail_meta_writes = 0;
    assert_true(s_has(st, "a")); /* the read begin hits MDB_PANIC and reopens */
    assert_false(s_has(st, "b"));
    assert_int_equal(s_put(st, "c", "3", 0), ACC_OK);
    assert_true(s_has(st, "c"));
    acc_store_destroy(&st);
}

/* --- full disk -------------------------------------------------------------------- */

static void
test_disk_full(void **state)
{
    fixture_t *fx = *state;
    if (geteuid() != 0) {
        print_message("skipping test_disk_full: needs root to mount a small tmpfs\n");
        skip();
    }
    if (mount("tmpfs", fx->dir, "tmpfs", 0, "size=4m,mode=0700") != 0) {
        print_message("skipping test_disk_full: cannot mount tmpfs on '%s': %s\n", fx->dir,
                      strerror(errno));
        skip();
    }
    fx->mounted = true;

    /* Take 1 MiB now, to give it back later. */
    char filler[4200], db[4200];
    snprintf(filler, sizeof filler, "%s/filler", fx->dir);
    snprintf(db, sizeof db, "%s/db", fx->dir);
    int fd = open(filler, O_CREAT | O_WRONLY, 0600);
    assert_true(fd >= 0);
    static const unsigned char chunk[64 * 1024];
    for (int i = 0; i < 16; i++)
        assert_int_equal(write(fd, chunk, sizeof chunk), (ssize_t)sizeof chunk);
    close(fd);

    acc_store_t *st = s_open(db, MiB, 64 * MiB);
    const uint64_t batch = 16;
    uint64_t committed = 0;
    acc_err err = ACC_OK;
    for (int i = 0; i < 1000 && err == ACC_OK; i++) {
        err = s_write_range(st, committed, batch, VLEN, NULL);
        if (err == ACC_OK)
            committed += batch;
    }
    assert_int_equal(err, ACC_ERR_FULL);
    assert_true(committed >= batch);
    /* the map was not the limit: the disk was */
    assert_true(acc_store_map_size(st) < 64 * MiB);
    assert_int_equal(s_count(st, "recs"), committed);
    s_check_range(st, 0, committed, VLEN);
    assert_int_equal(s_write_range(st, committed, batch, VLEN, NULL), ACC_ERR_FULL);

    /* space comes back: the same store writes again */
    assert_int_equal(unlink(filler), 0);
    assert_int_equal(s_write_range(st, committed, batch, VLEN, NULL), ACC_OK);
    committed += batch;

    /* fill it up again, then reopen on the full disk: everything committed is there */
    err = ACC_OK;
    for (int i = 0; i < 1000 && err == ACC_OK; i++) {
        err = s_write_range(st, committed, batch, VLEN, NULL);
        if (err == ACC_OK)
            committed += batch;
    }
    assert_int_equal(err, ACC_ERR_FULL);
    acc_store_destroy(&st);
    st = s_open(db, MiB, 64 * MiB);
    assert_int_equal(s_count(st, "recs"), committed);
    s_check_range(st, 0, committed, VLEN);
    assert_int_equal(s_write_range(st, committed, batch, VLEN, NULL), ACC_ERR_FULL);
    acc_store_destroy(&st);
}

#define T(f) cmocka_unit_test_setup_teardown(f, s_setup, s_teardown)

int
main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_put_get_del_count),
        T(test_get_missing),
        T(test_bad_keys),
        T(test_nooverwrite),
        T(test_append),
        T(test_cursor),
        T(test_u64_be),
        T(test_fn_error_stores_nothing),
        T(test_open_creates_private_dir),
        T(test_durable_reopen),
        T(test_map_grows),
        T(test_map_at_max),
        T(test_no_growth_under_reader),
        T(test_stale_reader_cleared_at_open),
        T(test_stale_reader_cleared_by_maintain),
        T(test_lmdb_meta_failure_panics),
        T(test_panic_reopens_on_write),
        T(test_panic_reopens_on_read),
        T(test_disk_full),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
