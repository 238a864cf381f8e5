/*
 * pg — the benchmark workload (a stream file from 'loadgen gen') stored in PostgreSQL,
 * the general-purpose alternative intake is compared with (see bench/README.md).
 *
 *   pg --conninfo STR --stream FILE [--batch B] [--conns C] [--mode rows|cte] [--count N]
 *      [--label L]
 *
 * Schema (created afresh): reports(id uuid PRIMARY KEY, content_key, the report's
 * fields) with an index on content_key (the reports of a case, like intake's
 * case_reports), and cases(content_key text PRIMARY KEY, ...) — the unique content key.
 * Each batch of B messages is one transaction (synchronous_commit = on, the server's
 * setting): its reports go in with INSERT ... ON CONFLICT DO NOTHING (a re-sent id is
 * skipped) and its content keys with INSERT ... ON CONFLICT DO NOTHING into cases (a new
 * key opens a case, a known one attaches). The content key is the canonical URL,
 * computed here with acc_url_canonicalize while the clock runs (intake does it in the
 * server). Like intake, the client learns each report's outcome: stored and opened a
 * case, stored and attached, or already present.
 *
 *   --mode rows  two prepared INSERTs per report, all sent in libpq pipeline mode up
 *                to one sync point: one implicit transaction, one round trip (default:
 *                it measured faster than cte here, 1.4x with one connection)
 *   --mode cte   one statement per transaction: a multi-row VALUES list feeding two
 *                data-modifying CTEs; RETURNING gives the outcomes
 *   --conns C    C connections (threads), each taking the next batch: C transactions in
 *                flight, as the intake client keeps a window of requests in flight
 *
 * Prints one flat JSON object of figures on stdout.
 */
#include <errno.h>
#include <libpq-fe.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "acc_url.h"
#include "accord/v1/report.pb-c.h"

#define MAGIC "ACCBS001"
#define MAX_CONNS 64
#define NCOLS 7

static const char *const s_schema =
    "DROP TABLE IF EXISTS reports, cases;"
    "CREATE TABLE reports (id uuid PRIMARY KEY, content_key text NOT NULL, url text NOT NULL,"
    " category text NOT NULL, description text NOT NULL, source text NOT NULL,"
    " observed_at_ms bigint NOT NULL, received_at timestamptz NOT NULL DEFAULT now());"
    "CREATE INDEX reports_content_key ON reports (content_key);"
    "CREATE TABLE cases (content_key text PRIMARY KEY, category text NOT NULL,"
    " first_report uuid NOT NULL, opened_at timestamptz NOT NULL DEFAULT now());";

static const char *const s_ins_report =
    "INSERT INTO reports (id, content_key, url, category, description, source, "
    "observed_at_ms) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING RETURNING 1";
static const char *const s_ins_case =
    "INSERT INTO cases (content_key, category, first_report) VALUES ($1, $2, $3) "
    "ON CONFLICT DO NOTHING RETURNING 1";

typedef struct {
    char *id, *url, *category, *description, *source;
    char observed[24];
} s_row;

typedef struct {
    const char *conninfo, *mode;
    s_row *rows;
    size_t nrows, batch, nbatch;
    char **cte_sql; /* the multi-row statement for a full and for the last batch */
    atomic_size_t next;
    int64_t *lat_ns; /* per batch */
    atomic_int failed;
} s_shared;

typedef struct {
    s_shared *sh;
    PGconn *conn;
    pthread_t th;
    size_t stored, opened, present, bad_urls, retries;
} s_worker;

static void
s_quiet(void *arg, const char *msg)
{
    (void)arg;
    (void)msg; /* "table does not exist, skipping" from the DROP */
}

static int64_t
s_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int
s_cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static double
s_pct_ms(const int64_t *v, size_t n, double p)
{
    if (!n)
        return 0;
    size_t rank = (size_t)(p / 100.0 * (double)n + 0.999999);
    rank = rank < 1 ? 1 : rank > n ? n : rank;
    return (double)v[rank - 1] / 1e6;
}

/* Read the stream file into @sh->rows (each report decoded and its strings copied). */
static int
s_load(const char *path, size_t limit, s_shared *sh)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "pg: cannot open '%s': %s\n", path, strerror(errno));
        return -1;
    }
    int rc = -1;
    char magic[8];
    uint32_t n;
    unsigned char *buf = NULL;
    size_t cap = 0;
    if (fread(magic, 8, 1, f) != 1 || memcmp(magic, MAGIC, 8) != 0 || fread(&n, 4, 1, f) != 1)
        goto bad;
    if (limit && limit < n)
        n = (uint32_t)limit;
    sh->rows = calloc(n ? n : 1, sizeof *sh->rows);
    if (!sh->rows)
        goto bad;
    for (uint32_t i = 0; i < n; i++) {
        unsigned char kind;
        uint32_t len;
        if (fread(&kind, 1, 1, f) != 1 || fread(&len, 4, 1, f) != 1 || len > (64u << 20))
            goto bad;
        if (len > cap) {
            unsigned char *nb = realloc(buf, len);
            if (!nb)
                goto bad;
            buf = nb;
            cap = len;
        }
        if (fread(buf, len, 1, f) != 1)
            goto bad;
        Accord__V1__Report *r = accord__v1__report__unpack(NULL, len, buf);
        if (!r)
            goto bad;
        s_row *w = &sh->rows[i];
        w->id = strdup(r->id);
        w->url = strdup(r->url);
        w->category = strdup(r->category);
        w->description = strdup(r->description);
        w->source = strdup(r->source);
        snprintf(w->observed, sizeof w->observed, "%lld", (long long)r->observed_at_ms);
        accord__v1__report__free_unpacked(r, NULL);
        sh->nrows = i + 1;
        if (!w->id || !w->url || !w->category || !w->description || !w->source)
            goto bad;
    }
    rc = 0;
    goto out;
bad:
    fprintf(stderr, "pg: '%s' is not a stream file written by 'loadgen gen'\n", path);
out:
    free(buf);
    fclose(f);
    return rc;
}

/* The statement for a batch of @n rows in cte mode. Reports are inserted in id order,
 * all before any case (the sort consumes r before the case subquery runs), and cases in
 * content key order: one global lock order, so concurrent batches cannot deadlock. Within
 * a batch the first report of a new content key opens its case, as in intake. */
static char *
s_cte_sql(size_t n)
{
    size_t cap = 1024 + n * 112, len = 0;
    char *s = malloc(cap);
    if (!s)
        return NULL;
    len += (size_t)snprintf(s + len, cap - len,
                            "WITH v (id, ck, url, cat, descr, src, obs, ord) AS (VALUES ");
    for (size_t i = 0; i < n; i++) {
        size_t p = i * NCOLS;
        len += (size_t)snprintf(s + len, cap - len,
                                "%s($%zu::uuid, $%zu, $%zu, $%zu, $%zu, $%zu, $%zu::bigint, %zu)",
                                i ? ", " : "", p + 1, p + 2, p + 3, p + 4, p + 5, p + 6, p + 7, i);
    }
    snprintf(s + len, cap - len,
             "), r AS (INSERT INTO reports (id, content_key, url, category, description, "
             "source, observed_at_ms) SELECT id, ck, url, cat, descr, src, obs FROM v "
             "ORDER BY id ON CONFLICT DO NOTHING RETURNING id), "
             "c AS (INSERT INTO cases (content_key, category, first_report) "
             "SELECT ck, cat, id FROM (SELECT DISTINCT ON (ck) ck, cat, id FROM v "
             "ORDER BY ck, ord) f ORDER BY ck ON CONFLICT DO NOTHING RETURNING first_report) "
             "SELECT s.id, s.id IN (SELECT first_report FROM c) "
             "FROM (SELECT id FROM r ORDER BY id) s");
    return s;
}

/* 1 when @res has status @want; otherwise 0, or -1 for a deadlock or serialization
 * failure (the transaction is to be run again: concurrent batches may insert the same
 * keys in opposite orders). */
static int
s_ok(PGconn *c, PGresult *res, ExecStatusType want, const char *what)
{
    if (res && PQresultStatus(res) == want)
        return 1;
    const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    if (state && (strcmp(state, "40P01") == 0 || strcmp(state, "40001") == 0))
        return -1;
    fprintf(stderr, "pg: %s: %s", what, res ? PQresultErrorMessage(res) : PQerrorMessage(c));
    return 0;
}

typedef struct {
    size_t stored, opened;
} s_count;

/* One batch as one multi-row statement (autocommit: one transaction). */
static int
s_batch_cte(s_shared *sh, PGconn *c, size_t first, size_t n, const char **params, char **keys,
            s_count *out)
{
    for (size_t i = 0; i < n; i++) {
        const s_row *r = &sh->rows[first + i];
        const char **p = params + i * NCOLS;
        p[0] = r->id, p[1] = keys[i], p[2] = r->url, p[3] = r->category;
        p[4] = r->description, p[5] = r->source, p[6] = r->observed;
    }
    const char *sql = sh->cte_sql[n == sh->batch ? 0 : 1];
    PGresult *res = PQexecParams(c, sql, (int)(n * NCOLS), NULL, params, NULL, NULL, 0);
    int ok = s_ok(c, res, PGRES_TUPLES_OK, "insert");
    if (ok > 0) {
        int rows = PQntuples(res);
        for (int i = 0; i < rows; i++)
            if (PQgetvalue(res, i, 1)[0] == 't')
                out->opened++;
        out->stored += (size_t)rows;
    }
    PQclear(res);
    return ok;
}

typedef struct {
    const s_row *rows;
    char **keys;
} s_sort_ctx;

static int
s_by_id(const void *a, const void *b, void *arg)
{
    const s_sort_ctx *c = arg;
    return strcmp(c->rows[*(const size_t *)a].id, c->rows[*(const size_t *)b].id);
}

static int
s_by_key(const void *a, const void *b, void *arg)
{
    const s_sort_ctx *c = arg;
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    int d = strcmp(c->keys[x], c->keys[y]);
    return d ? d : (x > y) - (x < y); /* the first report of a key opens its case */
}

/* One batch as two prepared statements per report, sent in pipeline mode; everything
 * up to the sync point is one (implicit) transaction, committed at the sync. Reports go
 * in id order, then cases in content key order (one global lock order, as in cte mode).
 * The connection blocks: sending everything before reading is safe while a batch's
 * statements and results (about 100 KB and 40 KB for 250 reports) fit in the loopback
 * socket buffers. @order: room for 2 * n indexes. */
static int
s_batch_rows(s_shared *sh, PGconn *c, size_t first, size_t n, char **keys, size_t *order,
             s_count *out)
{
    const s_row *rows = sh->rows + first;
    s_sort_ctx ctx = {rows, keys};
    size_t *by_id = order, *by_key = order + n;
    for (size_t i = 0; i < n; i++)
        by_id[i] = by_key[i] = i;
    qsort_r(by_id, n, sizeof *by_id, s_by_id, &ctx);
    qsort_r(by_key, n, sizeof *by_key, s_by_key, &ctx);
    int ok = 1;
    for (size_t i = 0; ok && i < n; i++) {
        const s_row *r = &rows[by_id[i]];
        const char *p[NCOLS] = {r->id,          keys[by_id[i]], r->url,     r->category,
                                r->description, r->source,      r->observed};
        ok = PQsendQueryPrepared(c, "ins_report", NCOLS, p, NULL, NULL, 0);
    }
    for (size_t i = 0; ok && i < n; i++) {
        const s_row *r = &rows[by_key[i]];
        const char *pc[3] = {keys[by_key[i]], r->category, r->id};
        ok = PQsendQueryPrepared(c, "ins_case", 3, pc, NULL, NULL, 0);
    }
    if (!ok || !PQpipelineSync(c)) {
        fprintf(stderr, "pg: cannot send: %s", PQerrorMessage(c));
        return 0;
    }
    /* Results: n report inserts, then n case inserts, each followed by a NULL, then the
     * sync point. A report opened a case when it was stored and its case insert took. */
    unsigned char *stored = calloc(n, 1);
    size_t stmt = 0;
    for (;;) {
        PGresult *res = PQgetResult(c);
        if (!res) {
            if (PQstatus(c) != CONNECTION_OK) {
                fprintf(stderr, "pg: connection lost: %s", PQerrorMessage(c));
                ok = 0;
                break;
            }
            continue; /* end of one statement's results */
        }
        ExecStatusType st = PQresultStatus(res);
        if (st == PGRES_PIPELINE_SYNC) {
            PQclear(res);
            break;
        }
        if (st == PGRES_TUPLES_OK && ok > 0 && stored) {
            int hit = PQntuples(res) > 0;
            if (stmt < n) {
                stored[by_id[stmt]] = (unsigned char)hit;
                out->stored += (size_t)hit;
            } else if (stmt < 2 * n && hit && stored[by_key[stmt - n]]) {
                out->opened++;
            }
        } else if (st != PGRES_PIPELINE_ABORTED && ok > 0) {
            ok = s_ok(c, res, PGRES_TUPLES_OK, "insert");
        }
        stmt++;
        PQclear(res);
    }
    if (!stored && ok > 0) {
        fprintf(stderr, "pg: out of memory\n");
        ok = 0;
    }
    free(stored);
    return ok;
}

/* Connect @w and prepare what its mode needs; 0 on failure. */
static int
s_connect(s_worker *w)
{
    PGconn *c = w->conn = PQconnectdb(w->sh->conninfo);
    if (PQstatus(c) != CONNECTION_OK) {
        fprintf(stderr, "pg: cannot connect: %s", PQerrorMessage(c));
        return 0;
    }
    if (strcmp(w->sh->mode, "rows") != 0)
        return 1;
    PGresult *r1 = PQprepare(c, "ins_report", s_ins_report, NCOLS, NULL);
    PGresult *r2 = PQprepare(c, "ins_case", s_ins_case, 3, NULL);
    int ok = s_ok(c, r1, PGRES_COMMAND_OK, "prepare") && s_ok(c, r2, PGRES_COMMAND_OK, "prepare");
    PQclear(r1);
    PQclear(r2);
    return ok && PQenterPipelineMode(c);
}

static void *
s_work(void *arg)
{
    s_worker *w = arg;
    s_shared *sh = w->sh;
    PGconn *c = w->conn;
    const char **params = calloc(sh->batch * NCOLS, sizeof *params);
    char **keys = calloc(sh->batch, sizeof *keys);
    size_t *order = calloc(2 * sh->batch, sizeof *order);
    int rows = strcmp(sh->mode, "rows") == 0;
    if (!params || !keys || !order)
        goto fail;
    for (;;) {
        size_t b = atomic_fetch_add(&sh->next, 1);
        if (b >= sh->nbatch || atomic_load(&sh->failed))
            break;
        int64_t t0 = s_now_ns();
        size_t first = b * sh->batch;
        size_t n = sh->nrows - first < sh->batch ? sh->nrows - first : sh->batch;
        for (size_t i = 0; i < n; i++) {
            const char *u = sh->rows[first + i].url;
            keys[i] = NULL;
            if (acc_url_canonicalize(u, strlen(u), ACC_URL_CANONICAL, &keys[i], NULL) != ACC_OK) {
                w->bad_urls++;
                keys[i] = strdup(u);
            }
        }
        int ok = -1;
        s_count cnt = {0, 0};
        for (int attempt = 0; ok < 0 && attempt < 100; attempt++) {
            if (attempt)
                w->retries++;
            cnt = (s_count){0, 0};
            ok = rows ? s_batch_rows(sh, c, first, n, keys, order, &cnt)
                      : s_batch_cte(sh, c, first, n, params, keys, &cnt);
        }
        for (size_t i = 0; i < n; i++)
            free(keys[i]);
        if (ok <= 0)
            goto fail;
        w->stored += cnt.stored;
        w->opened += cnt.opened;
        w->present += n - cnt.stored;
        sh->lat_ns[b] = s_now_ns() - t0;
    }
    goto out;
fail:
    atomic_store(&sh->failed, 1);
out:
    free(params);
    free(keys);
    free(order);
    return NULL;
}

int
main(int argc, char **argv)
{
    const char *stream = NULL, *label = "postgres";
    size_t conns = 1, count = 0;
    s_shared sh;
    memset(&sh, 0, sizeof sh);
    sh.batch = 250;
    sh.mode = "rows";
    for (int i = 1; i + 1 < argc; i += 2) {
        const char *k = argv[i], *v = argv[i + 1];
        if (strcmp(k, "--conninfo") == 0)
            sh.conninfo = v;
        else if (strcmp(k, "--stream") == 0)
            stream = v;
        else if (strcmp(k, "--mode") == 0 && (!strcmp(v, "cte") || !strcmp(v, "rows")))
            sh.mode = v;
        else if (strcmp(k, "--batch") == 0)
            sh.batch = strtoul(v, NULL, 10);
        else if (strcmp(k, "--conns") == 0)
            conns = strtoul(v, NULL, 10);
        else if (strcmp(k, "--count") == 0)
            count = strtoul(v, NULL, 10);
        else if (strcmp(k, "--label") == 0)
            label = v;
        else
            stream = NULL, i = argc;
    }
    if (!sh.conninfo || !stream || argc % 2 == 0 || sh.batch < 1 || sh.batch > 1000 || conns < 1 ||
        conns > MAX_CONNS) {
        fprintf(stderr, "usage: pg --conninfo STR --stream FILE [--batch 1..1000] "
                        "[--conns 1..64] [--mode rows|cte] [--count N] [--label L]\n");
        return 2;
    }
    int rc = 1;
    s_worker *ws = calloc(conns, sizeof *ws);
    PGconn *admin = NULL;
    char *sqls[2] = {NULL, NULL};
    if (!ws || s_load(stream, count, &sh) != 0)
        goto out;
    sh.nbatch = (sh.nrows + sh.batch - 1) / sh.batch;
    sh.lat_ns = calloc(sh.nbatch ? sh.nbatch : 1, sizeof *sh.lat_ns);
    sqls[0] = s_cte_sql(sh.batch);
    sqls[1] = s_cte_sql(sh.nrows % sh.batch ? sh.nrows % sh.batch : sh.batch);
    sh.cte_sql = sqls;
    if (!sh.lat_ns || !sqls[0] || !sqls[1])
        goto out;

    admin = PQconnectdb(sh.conninfo);
    if (PQstatus(admin) != CONNECTION_OK) {
        fprintf(stderr, "pg: cannot connect: %s", PQerrorMessage(admin));
        goto out;
    }
    PQsetNoticeProcessor(admin, s_quiet, NULL);
    PGresult *res = PQexec(admin, s_schema);
    int ok = s_ok(admin, res, PGRES_COMMAND_OK, "schema");
    PQclear(res);
    /* Start every run from a clean checkpoint, as intake and the baseline start from an
     * empty store, so that no checkpoint left over from an earlier run lands in this one. */
    res = PQexec(admin, "CHECKPOINT");
    ok = ok && s_ok(admin, res, PGRES_COMMAND_OK, "checkpoint");
    PQclear(res);
    res = PQexec(admin, "SHOW synchronous_commit");
    if (ok && PQresultStatus(res) == PGRES_TUPLES_OK)
        fprintf(stderr, "pg: synchronous_commit = %s, %zu connection(s), mode %s\n",
                PQgetvalue(res, 0, 0), conns, sh.mode);
    PQclear(res);
    if (!ok)
        goto out;

    /* Connections are made before the clock starts: it measures inserting only. */
    for (size_t i = 0; i < conns; i++) {
        ws[i].sh = &sh;
        if (!s_connect(&ws[i]))
            goto out;
    }
    int64_t t0 = s_now_ns();
    size_t started = 0;
    for (; started < conns; started++)
        if (pthread_create(&ws[started].th, NULL, s_work, &ws[started]) != 0)
            break;
    for (size_t i = 0; i < started; i++)
        pthread_join(ws[i].th, NULL);
    double secs = (double)(s_now_ns() - t0) / 1e9;
    if (started < conns || atomic_load(&sh.failed))
        goto out;

    size_t stored = 0, opened = 0, present = 0, bad = 0, retries = 0;
    for (size_t i = 0; i < conns; i++) {
        retries += ws[i].retries;
        stored += ws[i].stored;
        opened += ws[i].opened;
        present += ws[i].present;
        bad += ws[i].bad_urls;
    }
    qsort(sh.lat_ns, sh.nbatch, sizeof *sh.lat_ns, s_cmp_i64);
    printf("{\"label\":\"%s\",\"messages\":%zu,\"transactions\":%zu,\"batch\":%zu,"
           "\"conns\":%zu,\"mode\":\"%s\",\"elapsed_s\":%.3f,\"reports_per_s\":%.0f,"
           "\"txn_p50_ms\":%.2f,\"txn_p99_ms\":%.2f,\"new_case\":%zu,\"attached\":%zu,"
           "\"already_present\":%zu,\"bad_urls\":%zu,\"retries\":%zu}\n",
           label, sh.nrows, sh.nbatch, sh.batch, conns, sh.mode, secs,
           secs > 0 ? (double)sh.nrows / secs : 0, s_pct_ms(sh.lat_ns, sh.nbatch, 50),
           s_pct_ms(sh.lat_ns, sh.nbatch, 99), opened, stored - opened, present, bad, retries);
    rc = 0;
out:
    PQfinish(admin);
    for (size_t i = 0; ws && i < conns; i++)
        PQfinish(ws[i].conn);
    free(sqls[0]);
    free(sqls[1]);
    for (size_t i = 0; i < sh.nrows; i++) {
        free(sh.rows[i].id);
        free(sh.rows[i].url);
        free(sh.rows[i].category);
        free(sh.rows[i].description);
        free(sh.rows[i].source);
    }
    free(sh.rows);
    free(sh.lat_ns);
    free(ws);
    return rc;
}
