/*
 * pipeline — the federation benchmark's client (see bench/README.md, issue "federation").
 *
 *   pipeline run --intake EP --owner EP --count N [--rate R] [--batch B] [--window W]
 *                [--per-case K] [--poll-ms P] [--tag T] [--timeout S] [--label L]
 *       submits N reports, each with a distinct URL (source "bench", category "scam"), to
 *       the lead's intake (EP: its control socket) and, on a second thread, asks the
 *       owner's assignment (EP) for its measures (ListMeasures mine) every P ms (50), until
 *       N × K measures are there. Without --rate the reports go as fast as the window
 *       allows; with it, one request of B reports every B/R seconds (open loop). Prints one
 *       flat JSON object: cases per second from the first submission to the poll that saw
 *       the last measure, and per-report latency from its request's send to the poll
 *       answer that first listed its measure (so resolution = the poll interval plus one
 *       poll's duration, both reported). Lower bounds come too (elapsed_lo_s,
 *       cases_per_s_hi, lat_lo_*): a measure first listed by poll k was committed after
 *       poll k-1 was sent.
 *   pipeline submit --intake EP --count N [--batch B] [--window W] [--tag T] [--label L]
 *       the same reports, no polling (the catch-up workload).
 *   pipeline link --notification EP --peer AGENCY [--until-enqueued N | --until-acked]
 *                 [--t0-ms MS] [--poll-ms P] [--timeout S] [--label L]
 *       polls the lead's notification (ListNotices) until the link to AGENCY has at least
 *       N envelopes enqueued, or until everything enqueued is acknowledged. --t0-ms is a
 *       CLOCK_REALTIME millisecond (e.g. when the script started the peer): the elapsed
 *       time and the rate are counted from it.
 *
 * Report ids are UUIDv7 from acc_uuid_v7: a fresh node per run, so nothing is a
 * duplicate; a re-send of a request would carry the same ids and be recognised.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "acc_client.h"
#include "acc_ids.h"
#include "accord/v1/control.pb-c.h"

#define MAX_MSG (64u << 20)
#define CALL_TIMEOUT_MS 30000
/* observed_at of every report: 2025-12-31T12:00:00Z */
#define OBSERVED_MS 1767182400000LL

static int64_t
s_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int64_t
s_wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static void
s_sleep_ns(int64_t ns)
{
    if (ns <= 0)
        return;
    struct timespec ts = {(time_t)(ns / 1000000000LL), (long)(ns % 1000000000LL)};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

static int
s_cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* Nearest-rank percentile of sorted @v[0..n), in ms. */
static double
s_pct_ms(const int64_t *v, size_t n, double p)
{
    if (!n)
        return 0;
    size_t rank = (size_t)(p / 100.0 * (double)n + 0.999999);
    if (rank < 1)
        rank = 1;
    if (rank > n)
        rank = n;
    return (double)v[rank - 1] / 1e6;
}

/* --- a string → value table (open addressing; keys copied) ---------------------------- */

typedef struct {
    char **keys;
    int64_t *vals;
    size_t cap, n;
} s_map;

static uint64_t
s_hash(const char *s)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

static int
s_map_init(s_map *m, size_t expect)
{
    m->cap = 64;
    while (m->cap < expect * 2)
        m->cap *= 2;
    m->n = 0;
    m->keys = calloc(m->cap, sizeof *m->keys);
    m->vals = calloc(m->cap, sizeof *m->vals);
    return m->keys && m->vals ? 0 : -1;
}

static void
s_map_free(s_map *m)
{
    for (size_t i = 0; m->keys && i < m->cap; i++)
        free(m->keys[i]);
    free(m->keys);
    free(m->vals);
    memset(m, 0, sizeof *m);
}

/* The slot of @key: its own, or the empty one where it would go. */
static size_t
s_map_slot(const s_map *m, const char *key)
{
    size_t i = (size_t)(s_hash(key) & (m->cap - 1));
    while (m->keys[i] && strcmp(m->keys[i], key) != 0)
        i = (i + 1) & (m->cap - 1);
    return i;
}

static int64_t *
s_map_get(const s_map *m, const char *key)
{
    size_t i = s_map_slot(m, key);
    return m->keys[i] ? &m->vals[i] : NULL;
}

/* Insert @key (if absent) with @val; 1 when it was new, 0 when present, -1 out of memory. */
static int
s_map_put(s_map *m, const char *key, int64_t val)
{
    if ((m->n + 1) * 2 > m->cap) {
        s_map bigger;
        if (s_map_init(&bigger, m->cap) != 0) {
            s_map_free(&bigger);
            return -1;
        }
        for (size_t i = 0; i < m->cap; i++)
            if (m->keys[i]) {
                size_t j = s_map_slot(&bigger, m->keys[i]);
                bigger.keys[j] = m->keys[i];
                bigger.vals[j] = m->vals[i];
                bigger.n++;
            }
        free(m->keys);
        free(m->vals);
        *m = bigger;
    }
    size_t i = s_map_slot(m, key);
    if (m->keys[i])
        return 0;
    if (!(m->keys[i] = strdup(key)))
        return -1;
    m->vals[i] = val;
    m->n++;
    return 1;
}

/* --- the reports ------------------------------------------------------------------------ */

static const char *const s_words[] = {"khuyen-mai", "qua-tang",     "vay-nhanh", "dau-tu",
                                      "viec-lam",   "trung-thuong", "hoan-tien", "sale"};
static const char *const s_tlds[] = {"vn", "com.vn", "com", "net", "online", "shop"};
static const char *const s_sentences[] = {
    "Trang này giả danh ngân hàng, yêu cầu chuyển khoản phí trước để nhận quà tặng.",
    "Tuyển cộng tác viên làm nhiệm vụ online, đặt cọc rồi bị chặn liên lạc ngay.",
    "Quảng cáo vay tiền không cần thế chấp, thu phí hồ sơ rồi không giải ngân.",
    "Mời đầu tư tiền ảo lãi suất cao mỗi ngày, không rút được tiền về tài khoản.",
};

typedef struct {
    unsigned char *buf; /* packed Request */
    size_t len;
    size_t first, n;
    int64_t sent_ns;
    int done;
} s_req;

/* Requests of @batch reports covering reports [0, @count), every URL distinct (@tag keeps
 * the URLs of different runs against the same node apart). */
static s_req *
s_build(size_t count, size_t batch, const char *tag, size_t *nreq_out)
{
    size_t nreq = (count + batch - 1) / batch;
    s_req *reqs = calloc(nreq ? nreq : 1, sizeof *reqs);
    Accord__V1__Report *reps = calloc(batch, sizeof *reps);
    Accord__V1__Report **ptrs = calloc(batch, sizeof *ptrs);
    char(*ids)[ACC_UUID_TEXT_LEN + 1] = calloc(batch, sizeof *ids);
    char(*urls)[160] = calloc(batch, sizeof *urls);
    char(*descs)[200] = calloc(batch, sizeof *descs);
    acc_uuid_gen_t gen = {0, 0};
    if (!reqs || !reps || !ptrs || !ids || !urls || !descs)
        goto fail;
    for (size_t k = 0; k < nreq; k++) {
        s_req *q = &reqs[k];
        q->first = k * batch;
        q->n = count - q->first < batch ? count - q->first : batch;
        for (size_t j = 0; j < q->n; j++) {
            size_t i = q->first + j;
            acc_uuid_t id;
            acc_uuid_v7(&gen, &id);
            acc_uuid_format(&id, ids[j]);
            snprintf(urls[j], sizeof urls[j], "https://%s-%zu.%s/%s/%s-%zu?ref=%zu", s_words[i % 8],
                     i % 20011, s_tlds[i % 6], s_words[(i / 8) % 8], tag, i, i % 997);
            snprintf(descs[j], sizeof descs[j], "%s Mã tin %06zu.", s_sentences[i % 4], i);
            accord__v1__report__init(&reps[j]);
            reps[j].id = ids[j];
            reps[j].url = urls[j];
            reps[j].category = "scam";
            reps[j].description = descs[j];
            reps[j].source = "bench";
            reps[j].observed_at_ms = OBSERVED_MS;
            ptrs[j] = &reps[j];
        }
        Accord__V1__SubmitReports sub;
        accord__v1__submit_reports__init(&sub);
        sub.reports = ptrs;
        sub.n_reports = q->n;
        Accord__V1__Request req;
        accord__v1__request__init(&req);
        req.request_id = k + 1;
        req.body_case = ACCORD__V1__REQUEST__BODY_SUBMIT;
        req.submit = &sub;
        q->len = accord__v1__request__get_packed_size(&req);
        if (!(q->buf = malloc(q->len)))
            goto fail;
        accord__v1__request__pack(&req, q->buf);
    }
    free(reps);
    free(ptrs);
    free(ids);
    free(urls);
    free(descs);
    *nreq_out = nreq;
    return reqs;
fail:
    for (size_t k = 0; reqs && k < nreq; k++)
        free(reqs[k].buf);
    free(reqs);
    free(reps);
    free(ptrs);
    free(ids);
    free(urls);
    free(descs);
    return NULL;
}

/* A client whose peer answers a Ping (the connection is made before any clock starts). */
static acc_client_t *
s_connect(const char *ep)
{
    acc_client_t *cl = NULL;
    acc_errinfo_t ei;
    acc_errinfo_clear(&ei);
    if (acc_client_new(ep, MAX_MSG, &cl, &ei) != ACC_OK) {
        fprintf(stderr, "pipeline: %s: %s\n", ep, ei.msg);
        return NULL;
    }
    Accord__V1__Request req;
    Accord__V1__Ping ping;
    accord__v1__ping__init(&ping);
    accord__v1__request__init(&req);
    req.body_case = ACCORD__V1__REQUEST__BODY_PING;
    req.ping = &ping;
    Accord__V1__Response *r = NULL;
    if (acc_client_call(cl, &req, 10000, &r, &ei) != ACC_OK) {
        fprintf(stderr, "pipeline: no answer from '%s'\n", ep);
        acc_client_destroy(&cl);
        return NULL;
    }
    accord__v1__response__free_unpacked(r, NULL);
    return cl;
}

/* --- options ------------------------------------------------------------------------------ */

typedef struct {
    const char *intake, *owner, *notification, *peer, *tag, *label;
    size_t count, batch, window, per_case, until_enqueued;
    int until_acked;
    double rate, poll_ms, timeout_s;
    int64_t t0_ms;
} s_opts;

/* --- submitting ------------------------------------------------------------------------- */

typedef struct {
    const s_opts *o;
    s_req *reqs;
    size_t nreq;
    s_map cases; /* case number -> report index (filled from the responses) */
    int64_t start_ns, last_ns, max_behind_ns;
    size_t acked, new_case, errors;
    int rc;
    atomic_int *abort_flag;
} s_submit;

static void *
s_submit_run(void *arg)
{
    s_submit *s = arg;
    const s_opts *o = s->o;
    acc_errinfo_t ei;
    acc_errinfo_clear(&ei);
    s->rc = 1;
    acc_client_t *cl = s_connect(o->intake);
    if (!cl)
        goto out;
    size_t sent = 0, inflight = 0, responses = 0;
    int64_t interval = o->rate > 0 ? (int64_t)((double)o->batch / o->rate * 1e9) : 0;
    s->start_ns = s_now_ns();
    s->last_ns = s->start_ns;
    while (responses < s->nreq) {
        if (atomic_load(s->abort_flag))
            goto out;
        int64_t now = s_now_ns();
        int64_t due = s->start_ns + (int64_t)sent * interval;
        if (sent < s->nreq && inflight < o->window && now >= due) {
            if (interval && now - due > s->max_behind_ns)
                s->max_behind_ns = now - due;
            s->reqs[sent].sent_ns = now;
            if (acc_client_send_raw(cl, s->reqs[sent].buf, s->reqs[sent].len) != ACC_OK) {
                fprintf(stderr, "pipeline: cannot send to '%s'\n", o->intake);
                goto out;
            }
            sent++;
            inflight++;
            continue;
        }
        int timeout = CALL_TIMEOUT_MS;
        if (sent < s->nreq && inflight < o->window)
            timeout = (int)((due - now + 999999) / 1000000);
        Accord__V1__Response *r = NULL;
        acc_err err = acc_client_recv(cl, timeout, &r, &ei);
        if (err == ACC_ERR_TIMEOUT && timeout != CALL_TIMEOUT_MS)
            continue;
        if (err != ACC_OK) {
            fprintf(stderr, "pipeline: intake: %s %s\n", acc_strerror(err), ei.msg);
            goto out;
        }
        s->last_ns = s_now_ns();
        responses++;
        inflight--;
        s_req *q =
            r->request_id >= 1 && r->request_id <= s->nreq ? &s->reqs[r->request_id - 1] : NULL;
        if (!q || q->done || (r->status && r->status->code != ACCORD__V1__CODE__CODE_OK) ||
            r->body_case != ACCORD__V1__RESPONSE__BODY_SUBMIT || r->submit->n_results != q->n) {
            if (s->errors++ < 3)
                fprintf(stderr, "pipeline: request %" PRIu64 " failed: %s\n", r->request_id,
                        r->status && r->status->message ? r->status->message : "bad response");
            accord__v1__response__free_unpacked(r, NULL);
            continue;
        }
        q->done = 1;
        for (size_t i = 0; i < r->submit->n_results; i++) {
            const Accord__V1__ReportResult *rr = r->submit->results[i];
            if (rr->outcome == ACCORD__V1__OUTCOME__OUTCOME_REJECTED || rr->index >= q->n) {
                if (s->errors++ < 3)
                    fprintf(stderr, "pipeline: report rejected: %s\n",
                            rr->error && rr->error->message ? rr->error->message : "?");
                continue;
            }
            s->acked++;
            if (rr->outcome == ACCORD__V1__OUTCOME__OUTCOME_NEW_CASE)
                s->new_case++;
            if (s_map_put(&s->cases, rr->case_number, (int64_t)(q->first + rr->index)) < 0) {
                accord__v1__response__free_unpacked(r, NULL);
                goto out;
            }
        }
        accord__v1__response__free_unpacked(r, NULL);
    }
    s->rc = 0;
out:
    if (s->rc)
        atomic_store(s->abort_flag, 1);
    acc_client_destroy(&cl);
    return NULL;
}

/* --- polling the owner ---------------------------------------------------------------- */

typedef struct {
    char *case_number;
    int64_t seen_ns;  /* the answer of the poll that first listed it arrived */
    int64_t after_ns; /* it was not committed before the previous poll was sent */
} s_seen;

typedef struct {
    const s_opts *o;
    size_t expect;
    s_map ids; /* measure id -> index into seen */
    s_seen *seen;
    size_t n_seen, cap_seen;
    int64_t *poll_ns; /* duration of every poll */
    size_t polls, cap_polls;
    int64_t done_ns, done_after_ns;
    int64_t prev_sent_ns; /* send time of the previous poll (or of the listing before) */
    int rc;
    atomic_int *abort_flag;
    acc_client_t *cl; /* connected, and the measures already there listed, before the run */
} s_poll;

static int
s_poll_once(s_poll *p, acc_client_t *cl, int before)
{
    Accord__V1__Request req;
    Accord__V1__ListMeasures lm;
    accord__v1__list_measures__init(&lm);
    lm.mine = 1;
    accord__v1__request__init(&req);
    req.body_case = ACCORD__V1__REQUEST__BODY_LIST_MEASURES;
    req.list_measures = &lm;
    Accord__V1__Response *r = NULL;
    acc_errinfo_t ei;
    acc_errinfo_clear(&ei);
    int64_t t0 = s_now_ns();
    acc_err err = acc_client_call(cl, &req, CALL_TIMEOUT_MS, &r, &ei);
    int64_t t1 = s_now_ns();
    if (err != ACC_OK) {
        fprintf(stderr, "pipeline: owner: %s %s\n", acc_strerror(err), ei.msg);
        return -1;
    }
    if (r->body_case != ACCORD__V1__RESPONSE__BODY_MEASURES) {
        fprintf(stderr, "pipeline: owner: %s\n",
                r->status && r->status->message ? r->status->message : "no measure list");
        accord__v1__response__free_unpacked(r, NULL);
        return -1;
    }
    if (r->status && r->status->message && r->status->message[0] && p->polls == 0)
        fprintf(stderr, "pipeline: owner: %s\n", r->status->message);
    if (p->polls == p->cap_polls) {
        size_t nc = p->cap_polls ? p->cap_polls * 2 : 1024;
        int64_t *np = realloc(p->poll_ns, nc * sizeof *np);
        if (!np)
            goto nomem;
        p->poll_ns = np;
        p->cap_polls = nc;
    }
    p->poll_ns[p->polls++] = t1 - t0;
    for (size_t i = 0; i < r->measures->n_measures; i++) {
        const Accord__V1__Measure *m = r->measures->measures[i];
        /* The measures there before the run are remembered (-1) and never counted. */
        int fresh = s_map_put(&p->ids, m->id, before ? -1 : (int64_t)p->n_seen);
        if (fresh < 0)
            goto nomem;
        if (!fresh || before)
            continue;
        if (p->n_seen == p->cap_seen) {
            size_t nc = p->cap_seen ? p->cap_seen * 2 : 4096;
            s_seen *ns = realloc(p->seen, nc * sizeof *ns);
            if (!ns)
                goto nomem;
            p->seen = ns;
            p->cap_seen = nc;
        }
        s_seen *e = &p->seen[p->n_seen++];
        e->case_number = strdup(m->case_number);
        e->seen_ns = t1;
        e->after_ns = p->prev_sent_ns;
        if (!e->case_number)
            goto nomem;
    }
    p->prev_sent_ns = t0;
    accord__v1__response__free_unpacked(r, NULL);
    return 0;
nomem:
    accord__v1__response__free_unpacked(r, NULL);
    fprintf(stderr, "pipeline: out of memory\n");
    return -1;
}

static void *
s_poll_run(void *arg)
{
    s_poll *p = arg;
    const s_opts *o = p->o;
    p->rc = 1;
    acc_client_t *cl = p->cl;
    int64_t interval = (int64_t)(o->poll_ms * 1e6);
    int64_t deadline = s_now_ns() + (int64_t)(o->timeout_s * 1e9);
    while (!atomic_load(p->abort_flag)) {
        int64_t t = s_now_ns();
        if (s_poll_once(p, cl, 0) != 0)
            break;
        if (p->n_seen >= p->expect) {
            p->done_ns = p->seen[p->n_seen - 1].seen_ns;
            p->done_after_ns = p->seen[p->n_seen - 1].after_ns;
            p->rc = 0;
            break;
        }
        if (s_now_ns() > deadline) {
            fprintf(stderr, "pipeline: %zu of %zu measures at the owner after %.0f s\n", p->n_seen,
                    p->expect, o->timeout_s);
            p->rc = 2;
            break;
        }
        s_sleep_ns(t + interval - s_now_ns());
    }
    if (p->rc == 1)
        atomic_store(p->abort_flag, 1);
    return NULL;
}

static int
s_run(const s_opts *o, int poll)
{
    int rc = 1;
    atomic_int abort_flag = 0;
    s_submit s = {.o = o, .abort_flag = &abort_flag};
    s_poll p = {.o = o, .expect = o->count * o->per_case, .abort_flag = &abort_flag};
    int64_t *lat = NULL, *lat_lo = NULL;
    size_t nlat = 0, unmatched = 0;
    if (!(s.reqs = s_build(o->count, o->batch, o->tag, &s.nreq)) ||
        s_map_init(&s.cases, o->count) != 0 || s_map_init(&p.ids, p.expect) != 0) {
        fprintf(stderr, "pipeline: out of memory\n");
        goto out;
    }
    if (poll && (!(p.cl = s_connect(o->owner)) || s_poll_once(&p, p.cl, 1) != 0))
        goto out;
    p.polls = 0;
    pthread_t ts, tp;
    if (pthread_create(&ts, NULL, s_submit_run, &s) != 0)
        goto out;
    if (poll && pthread_create(&tp, NULL, s_poll_run, &p) != 0) {
        atomic_store(&abort_flag, 1);
        pthread_join(ts, NULL);
        goto out;
    }
    pthread_join(ts, NULL);
    if (poll)
        pthread_join(tp, NULL);
    if (s.rc || (poll && p.rc == 1))
        goto out;
    double submit_s = (double)(s.last_ns - s.start_ns) / 1e9;
    if (!poll) {
        printf("{\"label\":\"%s\",\"reports\":%zu,\"acked\":%zu,\"new_case\":%zu,"
               "\"elapsed_s\":%.3f,\"reports_per_s\":%.0f,\"errors\":%zu}\n",
               o->label, o->count, s.acked, s.new_case, submit_s,
               submit_s > 0 ? (double)s.acked / submit_s : 0, s.errors);
        rc = s.errors ? 3 : 0;
        goto out;
    }
    /* Latency of every measure: first seen at the owner minus the send time of the
     * request that carried its case's report. */
    if (!(lat = calloc(p.n_seen ? p.n_seen : 1, sizeof *lat)) ||
        !(lat_lo = calloc(p.n_seen ? p.n_seen : 1, sizeof *lat_lo)))
        goto out;
    for (size_t i = 0; i < p.n_seen; i++) {
        int64_t *ri = s_map_get(&s.cases, p.seen[i].case_number);
        if (!ri) {
            unmatched++;
            continue;
        }
        const s_req *q = &s.reqs[(size_t)*ri / o->batch];
        int64_t after = p.seen[i].after_ns > q->sent_ns ? p.seen[i].after_ns : q->sent_ns;
        lat_lo[nlat] = after - q->sent_ns;
        lat[nlat++] = p.seen[i].seen_ns - q->sent_ns;
    }
    qsort(lat, nlat, sizeof *lat, s_cmp_i64);
    qsort(lat_lo, nlat, sizeof *lat_lo, s_cmp_i64);
    qsort(p.poll_ns, p.polls, sizeof *p.poll_ns, s_cmp_i64);
    int complete = p.rc == 0;
    double secs = complete ? (double)(p.done_ns - s.start_ns) / 1e9 : 0;
    /* The last measure was committed after the previous poll was sent: the fastest the
     * run can have been. */
    double secs_lo =
        complete && p.done_after_ns > s.start_ns ? (double)(p.done_after_ns - s.start_ns) / 1e9 : 0;
    printf("{\"label\":\"%s\",\"reports\":%zu,\"acked\":%zu,\"new_case\":%zu,\"rate\":%.0f,"
           "\"batch\":%zu,\"window\":%zu,\"submit_s\":%.3f,\"submitted_per_s\":%.0f,"
           "\"measures_expected\":%zu,\"measures_seen\":%zu,\"complete\":%s,"
           "\"elapsed_s\":%.3f,\"cases_per_s\":%.0f,\"elapsed_lo_s\":%.3f,"
           "\"cases_per_s_hi\":%.0f,\"lat_p50_ms\":%.1f,\"lat_p90_ms\":%.1f,"
           "\"lat_p99_ms\":%.1f,\"lat_max_ms\":%.1f,\"lat_lo_p50_ms\":%.1f,\"lat_lo_p99_ms\":%.1f,"
           "\"poll_interval_ms\":%.0f,\"polls\":%zu,"
           "\"poll_p50_ms\":%.1f,\"poll_max_ms\":%.1f,\"send_behind_max_ms\":%.2f,"
           "\"unmatched\":%zu,\"errors\":%zu}\n",
           o->label, o->count, s.acked, s.new_case, o->rate, o->batch, o->window, submit_s,
           submit_s > 0 ? (double)s.acked / submit_s : 0, p.expect, p.n_seen,
           complete ? "true" : "false", secs, secs > 0 ? (double)o->count / secs : 0, secs_lo,
           secs_lo > 0 ? (double)o->count / secs_lo : 0, s_pct_ms(lat, nlat, 50),
           s_pct_ms(lat, nlat, 90), s_pct_ms(lat, nlat, 99), s_pct_ms(lat, nlat, 100),
           s_pct_ms(lat_lo, nlat, 50), s_pct_ms(lat_lo, nlat, 99), o->poll_ms, p.polls,
           s_pct_ms(p.poll_ns, p.polls, 50), s_pct_ms(p.poll_ns, p.polls, 100),
           (double)s.max_behind_ns / 1e6, unmatched, s.errors);
    rc = s.errors || unmatched ? 3 : complete ? 0 : 4;
out:
    for (size_t k = 0; s.reqs && k < s.nreq; k++)
        free(s.reqs[k].buf);
    free(s.reqs);
    s_map_free(&s.cases);
    s_map_free(&p.ids);
    for (size_t i = 0; i < p.n_seen; i++)
        free(p.seen[i].case_number);
    free(p.seen);
    free(p.poll_ns);
    free(lat);
    free(lat_lo);
    acc_client_destroy(&p.cl);
    return rc;
}

/* --- the link ----------------------------------------------------------------------------- */

/* The link status of @peer: 0, or -1 (said why). */
static int
s_link_status(acc_client_t *cl, const char *peer, uint64_t *enq, uint64_t *acked, uint64_t *parked)
{
    Accord__V1__Request req;
    Accord__V1__ListNotices ln;
    accord__v1__list_notices__init(&ln);
    accord__v1__request__init(&req);
    req.body_case = ACCORD__V1__REQUEST__BODY_LIST_NOTICES;
    req.list_notices = &ln;
    Accord__V1__Response *r = NULL;
    acc_errinfo_t ei;
    acc_errinfo_clear(&ei);
    if (acc_client_call(cl, &req, CALL_TIMEOUT_MS, &r, &ei) != ACC_OK) {
        fprintf(stderr, "pipeline: notification does not answer: %s\n", ei.msg);
        return -1;
    }
    int rc = -1;
    if (r->body_case == ACCORD__V1__RESPONSE__BODY_NOTICES)
        for (size_t i = 0; i < r->notices->n_peers; i++) {
            const Accord__V1__PeerLinkStatus *ps = r->notices->peers[i];
            if (strcmp(ps->agency, peer) == 0) {
                *enq = ps->enqueued;
                *acked = ps->acked;
                *parked = ps->parked;
                rc = 0;
            }
        }
    if (rc)
        fprintf(stderr, "pipeline: no link to '%s' in the notification's answer\n", peer);
    accord__v1__response__free_unpacked(r, NULL);
    return rc;
}

static int
s_link(const s_opts *o)
{
    acc_client_t *cl = s_connect(o->notification);
    if (!cl)
        return 1;
    int rc = 1;
    int64_t t0 = o->t0_ms ? o->t0_ms : s_wall_ms();
    int64_t interval = (int64_t)(o->poll_ms * 1e6);
    int64_t deadline = s_now_ns() + (int64_t)(o->timeout_s * 1e9);
    uint64_t enq = 0, acked = 0, parked = 0, acked0 = 0;
    int64_t first_ack_ms = -1;
    size_t polls = 0;
    for (;;) {
        int64_t t = s_now_ns();
        if (s_link_status(cl, o->peer, &enq, &acked, &parked) != 0)
            goto out;
        int64_t now_ms = s_wall_ms();
        if (polls++ == 0)
            acked0 = acked;
        else if (first_ack_ms < 0 && acked > acked0)
            first_ack_ms = now_ms - t0;
        int reached = o->until_acked ? enq >= o->until_enqueued && acked + parked >= enq
                                     : enq >= o->until_enqueued;
        if (reached) {
            double secs = (double)(now_ms - t0) / 1e3;
            printf("{\"label\":\"%s\",\"peer\":\"%s\",\"enqueued\":%" PRIu64 ",\"acked\":%" PRIu64
                   ",\"parked\":%" PRIu64 ",\"acked_at_start\":%" PRIu64
                   ",\"elapsed_s\":%.3f,\"first_ack_s\":%.3f,\"per_s\":%.0f,"
                   "\"polls\":%zu,\"poll_interval_ms\":%.0f}\n",
                   o->label, o->peer, enq, acked, parked, acked0, secs,
                   first_ack_ms < 0 ? secs : (double)first_ack_ms / 1e3,
                   secs > 0 ? (double)(o->until_acked ? acked - acked0 : enq) / secs : 0, polls,
                   o->poll_ms);
            rc = parked ? 3 : 0;
            goto out;
        }
        if (s_now_ns() > deadline) {
            fprintf(stderr,
                    "pipeline: link to '%s' after %.0f s: enqueued %" PRIu64 ", acked %" PRIu64
                    "\n",
                    o->peer, o->timeout_s, enq, acked);
            rc = 4;
            goto out;
        }
        s_sleep_ns(t + interval - s_now_ns());
    }
out:
    acc_client_destroy(&cl);
    return rc;
}

/* --- arguments -------------------------------------------------------------------------- */

static int
s_usage(void)
{
    fprintf(stderr,
            "usage: pipeline run --intake EP --owner EP --count N [--rate R] [--batch B]\n"
            "                    [--window W] [--per-case K] [--poll-ms P] [--tag T]\n"
            "                    [--timeout S] [--label L]\n"
            "       pipeline submit --intake EP --count N [--batch B] [--window W] [--tag T]\n"
            "       pipeline link --notification EP --peer AGENCY\n"
            "                     [--until-enqueued N | --until-acked] [--t0-ms MS]\n"
            "                     [--poll-ms P] [--timeout S] [--label L]\n");
    return 2;
}

static int
s_num(const char *s, double lo, double hi, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end || v < lo || v > hi) {
        fprintf(stderr, "pipeline: '%s' is not a number in [%g, %g]\n", s, lo, hi);
        return -1;
    }
    *out = v;
    return 0;
}

int
main(int argc, char **argv)
{
    if (argc < 2)
        return s_usage();
    const char *mode = argv[1];
    s_opts o = {.batch = 250,
                .window = 8,
                .per_case = 1,
                .poll_ms = 50,
                .timeout_s = 300,
                .tag = "pl",
                .label = mode,
                .count = 1000};
    for (int i = 2; i < argc; i++) {
        const char *k = argv[i];
        if (strcmp(k, "--until-acked") == 0) {
            o.until_acked = 1;
            continue;
        }
        const char *v = i + 1 < argc ? argv[++i] : NULL;
        double d = 0;
        if (!v)
            return s_usage();
        if (strcmp(k, "--intake") == 0)
            o.intake = v;
        else if (strcmp(k, "--owner") == 0)
            o.owner = v;
        else if (strcmp(k, "--notification") == 0)
            o.notification = v;
        else if (strcmp(k, "--peer") == 0)
            o.peer = v;
        else if (strcmp(k, "--tag") == 0)
            o.tag = v;
        else if (strcmp(k, "--label") == 0)
            o.label = v;
        else if (s_num(v, 0, 1e15, &d) != 0)
            return 2;
        else if (strcmp(k, "--count") == 0 && d >= 1 && d <= 1e7)
            o.count = (size_t)d;
        else if (strcmp(k, "--batch") == 0 && d >= 1 && d <= 1000)
            o.batch = (size_t)d;
        else if (strcmp(k, "--window") == 0 && d >= 1)
            o.window = (size_t)d;
        else if (strcmp(k, "--per-case") == 0 && d >= 1 && d <= 100)
            o.per_case = (size_t)d;
        else if (strcmp(k, "--rate") == 0)
            o.rate = d;
        else if (strcmp(k, "--poll-ms") == 0 && d >= 1)
            o.poll_ms = d;
        else if (strcmp(k, "--timeout") == 0 && d >= 1)
            o.timeout_s = d;
        else if (strcmp(k, "--until-enqueued") == 0)
            o.until_enqueued = (size_t)d;
        else if (strcmp(k, "--t0-ms") == 0)
            o.t0_ms = (int64_t)d;
        else
            return s_usage();
    }
    if (strcmp(mode, "run") == 0)
        return o.intake && o.owner ? s_run(&o, 1) : s_usage();
    if (strcmp(mode, "submit") == 0)
        return o.intake ? s_run(&o, 0) : s_usage();
    if (strcmp(mode, "link") == 0)
        return o.notification && o.peer ? s_link(&o) : s_usage();
    return s_usage();
}
