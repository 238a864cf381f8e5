/*
 * loadgen — the benchmark workload and its load generator (see bench/README.md).
 *
 *   loadgen gen --out FILE [--count N] [--dup-pct P] [--attach-pct P] [--seed S]
 *               [--ids seeded|live]
 *       writes the message stream: N report messages, P% of them re-sends of an earlier
 *       report, and of the unique ones P% (attach) repeating an earlier URL in an
 *       equivalent form. Deterministic for a given seed.
 *   loadgen run --endpoint EP --stream FILE [--batch B] [--window W] [--count N]
 *               [--rate R --duration S] [--expect cases|ids|none] [--label L]
 *       replays the stream to a node's intake (or to bench/baseline: same wire protocol)
 *       as SubmitReports requests of B reports, at most W requests in flight; with
 *       --rate, one request every B/R seconds for S seconds (open loop). Prints one flat
 *       JSON object of figures on stdout.
 *
 * Stream file: "ACCBS001", u32 count, then per message: u8 kind (0 new case, 1 attach,
 * 2 duplicate), u32 length, a packed accord.v1.Report (native byte order: the file
 * lives for one benchmark run on one machine).
 */
#include <errno.h>
#include <stdarg.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zmq.h>

#include "acc_client.h"
#include "acc_ids.h"
#include "acc_url.h"
#include "accord/v1/control.pb-c.h"

#define MAGIC "ACCBS001"
#define KIND_NEW 0
#define KIND_ATTACH 1
#define KIND_DUP 2
#define MAX_MSG (64u << 20)
#define RECV_TIMEOUT_MS 60000
/* 2026-01-01T00:00:00Z: the seeded ids' clock starts here, so every run is identical. */
#define SEEDED_EPOCH_MS 1767225600000LL
/* Seeded ids advance their millisecond every this many ids (a client making ~50 k/s). */
#define IDS_PER_MS 50
/* observed_at of every report: 2025-12-31T12:00:00Z */
#define OBSERVED_MS 1767182400000LL

typedef struct {
    unsigned char kind;
    uint32_t len;
    unsigned char *data; /* borrowed from the unique report it repeats, for duplicates */
} s_msg;

typedef struct {
    s_msg *msgs;
    size_t n;
    unsigned char *blob; /* owns every message's bytes (read mode) */
} s_stream;

/* --- deterministic randomness -------------------------------------------------------- */

static uint64_t
s_rand(uint64_t *state)
{
    /* splitmix64: tiny, seedable, good enough to shuffle a workload */
    uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static size_t
s_below(uint64_t *state, size_t n)
{
    return (size_t)(s_rand(state) % n);
}

/* Shuffle @a[from..n) (Fisher-Yates). */
static void
s_shuffle(unsigned char *a, size_t from, size_t n, uint64_t *state)
{
    for (size_t i = n; i > from + 1; i--) {
        size_t j = from + s_below(state, i - from);
        unsigned char t = a[i - 1];
        a[i - 1] = a[j];
        a[j] = t;
    }
}

/* A UUIDv7 with exactly acc_uuid_v7's layout (48-bit ms, version, 12-bit counter,
 * variant, 62 random bits), but clock and random bits come from the seed so that the
 * stream is byte-identical across runs. */
static void
s_uuid_seeded(uint64_t *state, size_t i, acc_uuid_t *out)
{
    uint64_t ms = (uint64_t)SEEDED_EPOCH_MS + i / IDS_PER_MS;
    uint32_t counter = (uint32_t)(i % IDS_PER_MS);
    uint64_t r = s_rand(state);
    for (int b = 0; b < 6; b++)
        out->b[b] = (unsigned char)(ms >> (40 - 8 * b));
    out->b[6] = (unsigned char)(0x70 | ((counter >> 8) & 0x0f));
    out->b[7] = (unsigned char)(counter & 0xff);
    out->b[8] = (unsigned char)(0x80 | (r & 0x3f));
    for (int b = 9; b < 16; b++)
        out->b[b] = (unsigned char)(r >> (8 * (b - 8)));
}

/* --- the workload ---------------------------------------------------------------------- */

static const char *const s_words[] = {"khuyen-mai", "qua-tang",     "vay-nhanh", "dau-tu",
                                      "viec-lam",   "trung-thuong", "hoan-tien", "sale"};
static const char *const s_tlds[] = {"vn", "com.vn", "com", "net", "online", "shop"};
static const char *const s_sentences[] = {
    "Trang này giả danh ngân hàng, yêu cầu chuyển khoản phí trước để nhận quà tặng.",
    "Tuyển cộng tác viên làm nhiệm vụ online, đặt cọc rồi bị chặn liên lạc ngay.",
    "Quảng cáo vay tiền không cần thế chấp, thu phí hồ sơ rồi không giải ngân.",
    "Mời đầu tư tiền ảo lãi suất cao mỗi ngày, không rút được tiền về tài khoản.",
    "Báo trúng thưởng xe máy, bắt nộp thuế và phí vận chuyển qua ví điện tử.",
    "Bán hàng giá rẻ bất thường, nhận tiền cọc xong khóa trang và biến mất.",
};

typedef struct {
    char *host; /* lower case */
    char *rest; /* path and query, starting with '/' */
} s_case;

static char *s_strdupf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static char *
s_strdupf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = NULL;
    if (vasprintf(&s, fmt, ap) < 0)
        s = NULL;
    va_end(ap);
    return s;
}

/* An equivalent spelling of case @c's URL: same canonical form, different bytes. */
static char *
s_variant(const s_case *c, unsigned v)
{
    char up[256];
    size_t i;
    switch (v % 5) {
    case 0:
        return s_strdupf("https://%s%s&utm_source=zalo&utm_medium=social", c->host, c->rest);
    case 1:
        for (i = 0; c->host[i] && i + 1 < sizeof up; i++)
            up[i] = (char)(c->host[i] >= 'a' && c->host[i] <= 'z' ? c->host[i] - 32 : c->host[i]);
        up[i] = '\0';
        return s_strdupf("https://%s%s", up, c->rest);
    case 2:
        return s_strdupf("https://%s.%s#chi-tiet", c->host, c->rest);
    case 3:
        return s_strdupf("https://%s:443%s&fbclid=IwAR0benchmark", c->host, c->rest);
    default:
        return s_strdupf("HTTPS://%s%s&utm_campaign=tet", c->host, c->rest);
    }
}

/* Check that @variant canonicalises like the original of @c (the workload relies on it). */
static int
s_same_case(const s_case *c, const char *variant)
{
    char *orig = s_strdupf("https://%s%s", c->host, c->rest);
    char *a = NULL, *b = NULL;
    int same =
        orig && acc_url_canonicalize(orig, strlen(orig), ACC_URL_CANONICAL, &a, NULL) == ACC_OK &&
        acc_url_canonicalize(variant, strlen(variant), ACC_URL_CANONICAL, &b, NULL) == ACC_OK &&
        strcmp(a, b) == 0;
    free(orig);
    free(a);
    free(b);
    return same;
}

static int
s_write_u32(FILE *f, uint32_t v)
{
    return fwrite(&v, sizeof v, 1, f) == 1 ? 0 : -1;
}

typedef struct {
    const char *out;
    size_t count;
    unsigned dup_pct, attach_pct;
    uint64_t seed;
    int live_ids;
} s_gen_opts;

static int
s_gen(const s_gen_opts *o)
{
    int rc = 1;
    size_t n = o->count;
    size_t ndup = n * o->dup_pct / 100, nuniq = n - ndup;
    size_t nattach = nuniq * o->attach_pct / 100;
    uint64_t st = o->seed;
    unsigned char *is_dup = calloc(n ? n : 1, 1), *is_attach = calloc(nuniq ? nuniq : 1, 1);
    s_msg *uniq = calloc(nuniq ? nuniq : 1, sizeof *uniq);
    s_case *cases = calloc(nuniq ? nuniq : 1, sizeof *cases);
    size_t ncases = 0, nu = 0, bad_variants = 0;
    acc_uuid_gen_t live = {0, 0};
    FILE *f = NULL;
    if (!is_dup || !is_attach || !uniq || !cases || n == 0 || nuniq == 0) {
        fprintf(stderr, "loadgen: cannot generate %zu messages\n", n);
        goto out;
    }
    /* Exact proportions, shuffled; the first message and the first unique report open a
     * case, since there is nothing earlier to repeat. */
    for (size_t i = 0; i < ndup; i++)
        is_dup[n - 1 - i] = 1;
    s_shuffle(is_dup, 1, n, &st);
    for (size_t i = 0; i < nattach; i++)
        is_attach[nuniq - 1 - i] = 1;
    s_shuffle(is_attach, 1, nuniq, &st);

    if (!(f = fopen(o->out, "wb"))) {
        fprintf(stderr, "loadgen: cannot create '%s': %s\n", o->out, strerror(errno));
        goto out;
    }
    if (fwrite(MAGIC, 8, 1, f) != 1 || s_write_u32(f, (uint32_t)n))
        goto write_fail;
    for (size_t i = 0; i < n; i++) {
        s_msg m;
        if (is_dup[i]) {
            /* A re-send of an earlier report, byte for byte (uniform over the past). */
            m = uniq[s_below(&st, nu)];
            m.kind = KIND_DUP;
        } else {
            acc_uuid_t id;
            char idt[ACC_UUID_TEXT_LEN + 1], desc[256];
            char *url = NULL;
            if (o->live_ids)
                acc_uuid_v7(&live, &id);
            else
                s_uuid_seeded(&st, nu, &id);
            acc_uuid_format(&id, idt);
            unsigned char kind = is_attach[nu] ? KIND_ATTACH : KIND_NEW;
            if (kind == KIND_NEW) {
                s_case *c = &cases[ncases];
                size_t h = s_below(&st, 20000);
                c->host = s_strdupf("%s-%zu.%s", s_words[h % 8], h, s_tlds[h % 6]);
                c->rest = s_strdupf("/%s/sp-%zu?ref=%zu", s_words[s_below(&st, 8)], ncases,
                                    s_below(&st, 1000));
                if (!c->host || !c->rest)
                    goto out;
                ncases++;
                url = s_strdupf("https://%s%s", c->host, c->rest);
            } else {
                const s_case *c = &cases[s_below(&st, ncases)];
                url = s_variant(c, (unsigned)s_below(&st, 5));
                if (url && !s_same_case(c, url))
                    bad_variants++;
            }
            snprintf(desc, sizeof desc, "%s Mã tin %06zu.",
                     s_sentences[s_below(&st, sizeof s_sentences / sizeof *s_sentences)], nu);
            Accord__V1__Report r;
            accord__v1__report__init(&r);
            r.id = idt;
            r.url = url;
            r.category = "scam";
            r.description = desc;
            r.source = "citizen";
            r.observed_at_ms = OBSERVED_MS;
            m.kind = kind;
            m.len = (uint32_t)accord__v1__report__get_packed_size(&r);
            m.data = url ? malloc(m.len) : NULL;
            if (!m.data) {
                free(url);
                goto out;
            }
            accord__v1__report__pack(&r, m.data);
            free(url);
            uniq[nu++] = m;
        }
        if (fwrite(&m.kind, 1, 1, f) != 1 || s_write_u32(f, m.len) ||
            fwrite(m.data, m.len, 1, f) != 1)
            goto write_fail;
    }
    if (fclose(f) != 0) {
        f = NULL;
        goto write_fail;
    }
    f = NULL;
    if (bad_variants) {
        fprintf(stderr, "loadgen: %zu URL variants do not canonicalise like their case\n",
                bad_variants);
        goto out;
    }
    fprintf(stderr,
            "loadgen: wrote %zu messages to %s: %zu new cases, %zu attach, %zu duplicates\n", n,
            o->out, ncases, nuniq - ncases, ndup);
    rc = 0;
    goto out;
write_fail:
    fprintf(stderr, "loadgen: cannot write '%s': %s\n", o->out, strerror(errno));
out:
    if (f)
        fclose(f);
    for (size_t i = 0; i < nu; i++)
        free(uniq[i].data);
    for (size_t i = 0; i < ncases; i++) {
        free(cases[i].host);
        free(cases[i].rest);
    }
    free(cases);
    free(uniq);
    free(is_attach);
    free(is_dup);
    return rc;
}

/* --- reading the stream -------------------------------------------------------------- */

static void
s_stream_free(s_stream *s)
{
    free(s->msgs);
    free(s->blob);
    memset(s, 0, sizeof *s);
}

static int
s_stream_read(const char *path, s_stream *s)
{
    memset(s, 0, sizeof *s);
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "loadgen: cannot open '%s': %s\n", path, strerror(errno));
        return -1;
    }
    int rc = -1;
    char magic[8];
    uint32_t n;
    long size;
    if (fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 12 || fseek(f, 0, SEEK_SET) != 0 ||
        fread(magic, 8, 1, f) != 1 || memcmp(magic, MAGIC, 8) != 0 || fread(&n, 4, 1, f) != 1)
        goto bad;
    s->blob = malloc((size_t)size);
    s->msgs = calloc(n ? n : 1, sizeof *s->msgs);
    if (!s->blob || !s->msgs)
        goto bad;
    size_t used = 0;
    for (uint32_t i = 0; i < n; i++) {
        s_msg *m = &s->msgs[i];
        if (fread(&m->kind, 1, 1, f) != 1 || fread(&m->len, 4, 1, f) != 1 ||
            m->len > (size_t)size - used || fread(s->blob + used, m->len, 1, f) != 1)
            goto bad;
        m->data = s->blob + used;
        used += m->len;
    }
    s->n = n;
    rc = 0;
    goto out;
bad:
    fprintf(stderr, "loadgen: '%s' is not a stream file written by 'loadgen gen'\n", path);
    s_stream_free(s);
out:
    fclose(f);
    return rc;
}

/* --- replaying it ----------------------------------------------------------------------- */

typedef struct {
    const char *endpoint, *stream, *label, *expect;
    size_t batch, window, count;
    double rate, duration;
} s_run_opts;

typedef struct {
    unsigned char *buf; /* packed Request */
    size_t len;
    size_t first, n; /* messages [first, first + n) */
    int64_t sent_ns;
    int done;
} s_req;

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

/* Build the packed requests of @nmsg messages in batches of @batch. */
static s_req *
s_build(const s_stream *s, size_t nmsg, size_t batch, size_t *nreq_out)
{
    size_t nreq = (nmsg + batch - 1) / batch;
    s_req *reqs = calloc(nreq ? nreq : 1, sizeof *reqs);
    Accord__V1__Report **reps = calloc(batch, sizeof *reps);
    if (!reqs || !reps)
        goto fail;
    for (size_t k = 0; k < nreq; k++) {
        s_req *q = &reqs[k];
        q->first = k * batch;
        q->n = nmsg - q->first < batch ? nmsg - q->first : batch;
        for (size_t j = 0; j < q->n; j++) {
            const s_msg *m = &s->msgs[q->first + j];
            reps[j] = accord__v1__report__unpack(NULL, m->len, m->data);
            if (!reps[j]) {
                for (size_t x = 0; x < j; x++)
                    accord__v1__report__free_unpacked(reps[x], NULL);
                goto fail;
            }
        }
        Accord__V1__SubmitReports sub;
        accord__v1__submit_reports__init(&sub);
        sub.reports = reps;
        sub.n_reports = q->n;
        Accord__V1__Request req;
        accord__v1__request__init(&req);
        req.request_id = k + 1;
        req.body_case = ACCORD__V1__REQUEST__BODY_SUBMIT;
        req.submit = &sub;
        q->len = accord__v1__request__get_packed_size(&req);
        q->buf = malloc(q->len);
        if (q->buf)
            accord__v1__request__pack(&req, q->buf);
        for (size_t j = 0; j < q->n; j++)
            accord__v1__report__free_unpacked(reps[j], NULL);
        if (!q->buf)
            goto fail;
    }
    free(reps);
    *nreq_out = nreq;
    return reqs;
fail:
    for (size_t k = 0; reqs && k < nreq; k++)
        free(reqs[k].buf);
    free(reqs);
    free(reps);
    return NULL;
}

typedef struct {
    size_t acked, outcome[5], mismatches, errors, responses;
} s_tally;

/* Is @outcome what the stream says message @kind should get? */
static int
s_expected(const char *expect, unsigned char kind, int outcome)
{
    if (strcmp(expect, "none") == 0)
        return 1;
    if (kind == KIND_DUP)
        return outcome == ACCORD__V1__OUTCOME__OUTCOME_ALREADY_PRESENT;
    if (strcmp(expect, "ids") == 0) /* the baseline knows no cases: stored is stored */
        return outcome == ACCORD__V1__OUTCOME__OUTCOME_NEW_CASE ||
               outcome == ACCORD__V1__OUTCOME__OUTCOME_ATTACHED;
    return outcome == (kind == KIND_NEW ? ACCORD__V1__OUTCOME__OUTCOME_NEW_CASE
                                        : ACCORD__V1__OUTCOME__OUTCOME_ATTACHED);
}

static void
s_account(const s_run_opts *o, const s_stream *s, s_req *reqs, size_t nreq,
          const Accord__V1__Response *r, int64_t now, int64_t *lat, size_t *nlat, s_tally *t)
{
    t->responses++;
    if (r->request_id < 1 || r->request_id > nreq || reqs[r->request_id - 1].done) {
        t->errors++;
        return;
    }
    s_req *q = &reqs[r->request_id - 1];
    q->done = 1;
    lat[(*nlat)++] = now - q->sent_ns;
    if ((r->status && r->status->code != ACCORD__V1__CODE__CODE_OK) ||
        r->body_case != ACCORD__V1__RESPONSE__BODY_SUBMIT || r->submit->n_results != q->n) {
        if (t->errors++ < 3)
            fprintf(stderr, "loadgen: request %" PRIu64 " failed: %s\n", r->request_id,
                    r->status && r->status->message ? r->status->message : "bad response");
        return;
    }
    for (size_t i = 0; i < r->submit->n_results; i++) {
        const Accord__V1__ReportResult *rr = r->submit->results[i];
        int oc = rr->outcome >= 0 && rr->outcome < 5 ? (int)rr->outcome : 0;
        t->outcome[oc]++;
        if (oc != ACCORD__V1__OUTCOME__OUTCOME_REJECTED && oc != 0)
            t->acked++;
        if (rr->index >= q->n || !s_expected(o->expect, s->msgs[q->first + rr->index].kind, oc))
            t->mismatches++;
    }
}

static int
s_run(const s_run_opts *o)
{
    int rc = 1;
    s_stream s;
    s_req *reqs = NULL;
    int64_t *lat = NULL;
    size_t nreq = 0, nlat = 0;
    acc_client_t *cl = NULL;
    acc_errinfo_t ei;
    acc_errinfo_clear(&ei);
    if (s_stream_read(o->stream, &s) != 0)
        return 1;
    size_t nmsg = s.n;
    if (o->rate > 0 && o->duration > 0)
        nmsg = (size_t)(o->rate * o->duration);
    if (o->count && o->count < nmsg)
        nmsg = o->count;
    if (nmsg > s.n)
        nmsg = s.n;
    if (!(reqs = s_build(&s, nmsg, o->batch, &nreq)) ||
        !(lat = calloc(nreq ? nreq : 1, sizeof *lat))) {
        fprintf(stderr, "loadgen: out of memory\n");
        goto out;
    }
    if (acc_client_new(o->endpoint, MAX_MSG, &cl, &ei) != ACC_OK) {
        fprintf(stderr, "loadgen: %s\n", ei.msg);
        goto out;
    }
    /* Warm up: the connection is made and the server answers before the clock starts. */
    Accord__V1__Request ping;
    Accord__V1__Ping pb;
    accord__v1__ping__init(&pb);
    accord__v1__request__init(&ping);
    ping.request_id = UINT64_MAX;
    ping.body_case = ACCORD__V1__REQUEST__BODY_PING;
    ping.ping = &pb;
    Accord__V1__Response *pr = NULL;
    if (acc_client_call(cl, &ping, 10000, &pr, &ei) != ACC_OK) {
        fprintf(stderr, "loadgen: no answer from '%s'\n", o->endpoint);
        goto out;
    }
    accord__v1__response__free_unpacked(pr, NULL);

    s_tally t;
    memset(&t, 0, sizeof t);
    size_t sent = 0, inflight = 0, peak_inflight = 0;
    int64_t interval = o->rate > 0 ? (int64_t)((double)o->batch / o->rate * 1e9) : 0;
    int64_t start = s_now_ns(), last = start, max_behind = 0;
    while (t.responses < nreq) {
        int64_t now = s_now_ns();
        int64_t due = start + (int64_t)sent * interval;
        if (sent < nreq && inflight < o->window && now >= due) {
            if (interval && now - due > max_behind)
                max_behind = now - due;
            reqs[sent].sent_ns = now;
            if (acc_client_send_raw(cl, reqs[sent].buf, reqs[sent].len) != ACC_OK) {
                fprintf(stderr, "loadgen: cannot send: %s\n", zmq_strerror(zmq_errno()));
                goto out;
            }
            sent++;
            if (++inflight > peak_inflight)
                peak_inflight = inflight;
            continue;
        }
        int timeout = RECV_TIMEOUT_MS;
        if (sent < nreq && inflight < o->window)
            timeout = (int)((due - now + 999999) / 1000000); /* wake for the next send */
        Accord__V1__Response *r = NULL;
        acc_err err = acc_client_recv(cl, timeout, &r, &ei);
        if (err == ACC_ERR_TIMEOUT) {
            if (timeout == RECV_TIMEOUT_MS) {
                fprintf(stderr, "loadgen: no response for %d s (%zu of %zu answered)\n",
                        RECV_TIMEOUT_MS / 1000, t.responses, nreq);
                goto out;
            }
            continue;
        }
        if (err != ACC_OK) {
            fprintf(stderr, "loadgen: bad response: %s %s\n", acc_strerror(err), ei.msg);
            goto out;
        }
        last = s_now_ns();
        s_account(o, &s, reqs, nreq, r, last, lat, &nlat, &t);
        accord__v1__response__free_unpacked(r, NULL);
        inflight--;
    }
    double secs = (double)(last - start) / 1e9;
    qsort(lat, nlat, sizeof *lat, s_cmp_i64);
    printf("{\"label\":\"%s\",\"endpoint\":\"%s\",\"messages\":%zu,\"requests\":%zu,"
           "\"batch\":%zu,\"window\":%zu,\"rate\":%.0f,\"elapsed_s\":%.3f,"
           "\"reports_per_s\":%.0f,\"acked\":%zu,\"ack_p50_ms\":%.2f,\"ack_p90_ms\":%.2f,"
           "\"ack_p99_ms\":%.2f,\"ack_max_ms\":%.2f,\"peak_inflight\":%zu,"
           "\"send_behind_max_ms\":%.2f,\"new_case\":%zu,\"attached\":%zu,"
           "\"already_present\":%zu,\"rejected\":%zu,\"mismatches\":%zu,\"errors\":%zu}\n",
           o->label, o->endpoint, nmsg, nreq, o->batch, o->window, o->rate, secs,
           secs > 0 ? (double)t.acked / secs : 0, t.acked, s_pct_ms(lat, nlat, 50),
           s_pct_ms(lat, nlat, 90), s_pct_ms(lat, nlat, 99), s_pct_ms(lat, nlat, 100),
           peak_inflight, (double)max_behind / 1e6,
           t.outcome[ACCORD__V1__OUTCOME__OUTCOME_NEW_CASE],
           t.outcome[ACCORD__V1__OUTCOME__OUTCOME_ATTACHED],
           t.outcome[ACCORD__V1__OUTCOME__OUTCOME_ALREADY_PRESENT],
           t.outcome[ACCORD__V1__OUTCOME__OUTCOME_REJECTED], t.mismatches, t.errors);
    rc = t.errors || t.mismatches ? 3 : 0;
    if (rc)
        fprintf(stderr, "loadgen: %zu failed requests, %zu unexpected outcomes\n", t.errors,
                t.mismatches);
out:
    acc_client_destroy(&cl);
    for (size_t k = 0; reqs && k < nreq; k++)
        free(reqs[k].buf);
    free(reqs);
    free(lat);
    s_stream_free(&s);
    return rc;
}

/* --- arguments ---------------------------------------------------------------------- */

static int
s_usage(void)
{
    fprintf(stderr, "usage: loadgen gen --out FILE [--count N] [--dup-pct P] [--attach-pct P] "
                    "[--seed S] [--ids seeded|live]\n"
                    "       loadgen run --endpoint EP --stream FILE [--batch B] [--window W] "
                    "[--count N]\n"
                    "                   [--rate R --duration S] [--expect cases|ids|none] "
                    "[--label L]\n");
    return 2;
}

static int
s_num(const char *s, double lo, double hi, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end || v < lo || v > hi) {
        fprintf(stderr, "loadgen: '%s' is not a number in [%g, %g]\n", s, lo, hi);
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
    int gen = strcmp(argv[1], "gen") == 0;
    if (!gen && strcmp(argv[1], "run") != 0)
        return s_usage();
    s_gen_opts g = {.count = 200000, .dup_pct = 30, .attach_pct = 20, .seed = 20240601};
    s_run_opts r = {.batch = 250, .window = 8, .label = "run", .expect = "cases"};
    for (int i = 2; i < argc; i++) {
        const char *k = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        double d = 0;
        if (!v)
            return s_usage();
        i++;
        if (strcmp(k, "--out") == 0)
            g.out = v;
        else if (strcmp(k, "--ids") == 0 && (!strcmp(v, "seeded") || !strcmp(v, "live")))
            g.live_ids = strcmp(v, "live") == 0;
        else if (strcmp(k, "--endpoint") == 0)
            r.endpoint = v;
        else if (strcmp(k, "--stream") == 0)
            r.stream = v;
        else if (strcmp(k, "--label") == 0)
            r.label = v;
        else if (strcmp(k, "--expect") == 0 &&
                 (!strcmp(v, "cases") || !strcmp(v, "ids") || !strcmp(v, "none")))
            r.expect = v;
        else if (s_num(v, 0, 1e12, &d) != 0)
            return 2;
        else if (strcmp(k, "--count") == 0)
            g.count = r.count = (size_t)d;
        else if (strcmp(k, "--dup-pct") == 0 && d <= 90)
            g.dup_pct = (unsigned)d;
        else if (strcmp(k, "--attach-pct") == 0 && d <= 100)
            g.attach_pct = (unsigned)d;
        else if (strcmp(k, "--seed") == 0)
            g.seed = (uint64_t)d;
        else if (strcmp(k, "--batch") == 0 && d >= 1 && d <= 1000)
            r.batch = (size_t)d;
        else if (strcmp(k, "--window") == 0 && d >= 1)
            r.window = (size_t)d;
        else if (strcmp(k, "--rate") == 0)
            r.rate = d;
        else if (strcmp(k, "--duration") == 0)
            r.duration = d;
        else
            return s_usage();
    }
    if (gen)
        return g.out ? s_gen(&g) : s_usage();
    return r.endpoint && r.stream ? s_run(&r) : s_usage();
}
