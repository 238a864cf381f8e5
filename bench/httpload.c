/*
 * httpload — load generator for intake's HTTP ingest, POST /v1/reports (see
 * bench/README.md, issue "feeds"; docs/protocol.md "HTTP ingest").
 *
 *   httpload --url http://127.0.0.1:PORT/v1/reports --token TOKEN [--count N] [--batch B]
 *            [--clients C] [--attach-pct P] [--seed S] [--label L]
 *
 * C client threads (4), each with one libcurl easy handle (a kept-alive connection), take
 * the next of the N/B request bodies and POST it: a JSON array of B reports (100), each
 * with its own id, so a re-send is recognised by intake. A 202 means the reports are
 * committed. A 503 (intake full or busy) is sent again, same body, after a short pause,
 * and counted. The clock runs from the first request to the last answer. After the clock
 * stops the first body is sent once more: every report in it must come back
 * already_present (the ids are recognised). Prints one flat JSON object.
 *
 * The bodies are generated from a seed: URLs https://<word>-<n>.<tld>/<word>/h-<i>, P% of
 * the reports (10) repeat the URL of an earlier report of the run in an equivalent
 * spelling (an added utm_source), so they attach to its case.
 */
#include <curl/curl.h>
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define RETRY_PAUSE_NS 20000000LL /* 20 ms before sending a 503'd body again */
#define RETRY_MAX 50
/* 2026-01-01T00:00:00Z: the seeded ids' clock starts here. */
#define SEEDED_EPOCH_MS 1767225600000LL

typedef struct {
    char *body;
    size_t len, n;
    int64_t lat_ns;
} s_req;

typedef struct {
    const char *url, *token, *label;
    size_t count, batch, clients;
    unsigned attach_pct;
    uint64_t seed;
} s_opts;

typedef struct {
    const s_opts *o;
    s_req *reqs;
    size_t nreq;
    atomic_size_t next;
    atomic_int failed;
    pthread_mutex_t mu; /* guards the tallies below */
    size_t accepted, outcome[4], retries, errors;
} s_shared;

static int64_t
s_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static uint64_t
s_rand(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ULL); /* splitmix64 */
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
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
    if (rank < 1)
        rank = 1;
    if (rank > n)
        rank = n;
    return (double)v[rank - 1] / 1e6;
}

/* --- the bodies ------------------------------------------------------------------------ */

static const char *const s_words[] = {"khuyen-mai", "qua-tang",     "vay-nhanh", "dau-tu",
                                      "viec-lam",   "trung-thuong", "hoan-tien", "sale"};
static const char *const s_tlds[] = {"vn", "com.vn", "com", "net", "online", "shop"};
static const char *const s_sentences[] = {
    "Trang này giả danh ngân hàng, yêu cầu chuyển khoản phí trước để nhận quà tặng.",
    "Tuyển cộng tác viên làm nhiệm vụ online, đặt cọc rồi bị chặn liên lạc ngay.",
    "Quảng cáo vay tiền không cần thế chấp, thu phí hồ sơ rồi không giải ngân.",
    "Mời đầu tư tiền ảo lãi suất cao mỗi ngày, không rút được tiền về tài khoản.",
    "Báo trúng thưởng xe máy, bắt nộp thuế và phí vận chuyển qua ví điện tử.",
};

typedef struct {
    char *p;
    size_t len, cap;
} s_buf;

static int s_add(s_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int
s_add(s_buf *b, const char *fmt, ...)
{
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(b->p ? b->p + b->len : NULL, b->p ? b->cap - b->len : 0, fmt, ap);
        va_end(ap);
        if (n < 0)
            return -1;
        if (b->p && b->len + (size_t)n < b->cap) {
            b->len += (size_t)n;
            return 0;
        }
        size_t cap = b->cap ? b->cap * 2 : 4096;
        while (cap < b->len + (size_t)n + 1)
            cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p)
            return -1;
        b->p = p;
        b->cap = cap;
    }
}

/* A UUIDv7-shaped id from the seed (48-bit ms, version, counter, variant, random). */
static void
s_uuid(uint64_t *st, size_t i, char out[37])
{
    uint64_t ms = (uint64_t)SEEDED_EPOCH_MS + i / 50, r = s_rand(st);
    unsigned char b[16];
    for (int k = 0; k < 6; k++)
        b[k] = (unsigned char)(ms >> (40 - 8 * k));
    b[6] = (unsigned char)(0x70 | ((i % 50) >> 8));
    b[7] = (unsigned char)(i % 50);
    b[8] = (unsigned char)(0x80 | (r & 0x3f));
    for (int k = 9; k < 16; k++)
        b[k] = (unsigned char)(r >> (8 * (k - 8)));
    snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0],
             b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13],
             b[14], b[15]);
}

static s_req *
s_build(const s_opts *o, size_t *nreq_out)
{
    size_t nreq = (o->count + o->batch - 1) / o->batch;
    s_req *reqs = calloc(nreq ? nreq : 1, sizeof *reqs);
    size_t *origin = calloc(o->count ? o->count : 1, sizeof *origin); /* case of report i */
    uint64_t st = o->seed;
    size_t ncases = 0;
    if (!reqs || !origin)
        goto fail;
    for (size_t k = 0; k < nreq; k++) {
        s_buf b = {0};
        size_t first = k * o->batch;
        size_t n = o->count - first < o->batch ? o->count - first : o->batch;
        if (s_add(&b, "[") != 0)
            goto fail_body;
        for (size_t j = 0; j < n; j++) {
            size_t i = first + j;
            char id[37];
            s_uuid(&st, i, id);
            int attach = ncases > 0 && s_rand(&st) % 100 < o->attach_pct;
            size_t c = attach ? origin[s_rand(&st) % i] : ncases++;
            origin[i] = c;
            size_t h = c % 20011;
            if (s_add(&b,
                      "%s{\"id\":\"%s\",\"url\":\"https://%s-%zu.%s/%s/h-%zu%s\","
                      "\"category\":\"scam\",\"description\":\"%s Mã tin %06zu.\","
                      "\"observed_at\":\"2026-11-20T08:%02zu:%02zu+07:00\"}",
                      j ? "," : "", id, s_words[h % 8], h, s_tlds[h % 6], s_words[(c / 8) % 8], c,
                      attach ? "?utm_source=zalo" : "", s_sentences[i % 5], i, (i / 60) % 60,
                      i % 60) != 0)
                goto fail_body;
        }
        if (s_add(&b, "]") != 0)
            goto fail_body;
        reqs[k].body = b.p;
        reqs[k].len = b.len;
        reqs[k].n = n;
        continue;
    fail_body:
        free(b.p);
        goto fail;
    }
    free(origin);
    *nreq_out = nreq;
    return reqs;
fail:
    for (size_t k = 0; reqs && k < nreq; k++)
        free(reqs[k].body);
    free(reqs);
    free(origin);
    return NULL;
}

/* --- sending ---------------------------------------------------------------------------- */

static size_t
s_write(char *data, size_t size, size_t nmemb, void *arg)
{
    s_buf *b = arg;
    size_t n = size * nmemb;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 16384;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p)
            return 0; /* curl reports a write error */
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, data, n);
    b->len += n;
    b->p[b->len] = '\0';
    return n;
}

/* POST @q once on @c; 0 with *@status and the answer in @resp, or -1 (transport error). */
static int
s_post(CURL *c, const s_req *q, s_buf *resp, long *status)
{
    resp->len = 0;
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, q->body);
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)q->len);
    CURLcode rc = curl_easy_perform(c);
    if (rc != CURLE_OK) {
        fprintf(stderr, "httpload: %s\n", curl_easy_strerror(rc));
        return -1;
    }
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
    return 0;
}

/* Count the outcomes of a 202 answer; -1 when it does not say every report was accepted. */
static int
s_tally(const char *body, size_t n, size_t *outcome)
{
    json_error_t je;
    json_t *j = json_loads(body, 0, &je);
    json_t *acc = j ? json_object_get(j, "accepted") : NULL;
    json_t *res = j ? json_object_get(j, "results") : NULL;
    int rc = -1;
    if (json_is_integer(acc) && (size_t)json_integer_value(acc) == n && json_is_array(res) &&
        json_array_size(res) == n) {
        rc = 0;
        for (size_t i = 0; i < n; i++) {
            const char *oc = json_string_value(json_object_get(json_array_get(res, i), "outcome"));
            if (!oc)
                rc = -1;
            else if (strcmp(oc, "new_case") == 0)
                outcome[0]++;
            else if (strcmp(oc, "attached") == 0)
                outcome[1]++;
            else if (strcmp(oc, "already_present") == 0)
                outcome[2]++;
            else
                outcome[3]++;
        }
    }
    json_decref(j);
    return rc;
}

static CURL *
s_handle(const s_opts *o, struct curl_slist **hdrs, s_buf *resp)
{
    char auth[256];
    snprintf(auth, sizeof auth, "Authorization: Bearer %s", o->token);
    *hdrs = curl_slist_append(NULL, auth);
    if (*hdrs)
        *hdrs = curl_slist_append(*hdrs, "Content-Type: application/json");
    CURL *c = *hdrs ? curl_easy_init() : NULL;
    if (!c)
        return NULL;
    curl_easy_setopt(c, CURLOPT_URL, o->url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, *hdrs);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, s_write);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, resp);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 60L);
    curl_easy_setopt(c, CURLOPT_TCP_NODELAY, 1L);
    return c;
}

static void *
s_client(void *arg)
{
    s_shared *sh = arg;
    const s_opts *o = sh->o;
    struct curl_slist *hdrs = NULL;
    s_buf resp = {0};
    CURL *c = s_handle(o, &hdrs, &resp);
    size_t outcome[4] = {0}, accepted = 0, retries = 0, errors = 0;
    if (!c) {
        atomic_store(&sh->failed, 1);
        goto out;
    }
    for (;;) {
        size_t k = atomic_fetch_add(&sh->next, 1);
        if (k >= sh->nreq || atomic_load(&sh->failed))
            break;
        s_req *q = &sh->reqs[k];
        int64_t t0 = s_now_ns();
        long status = 0;
        int tries = 0;
        for (;;) {
            if (s_post(c, q, &resp, &status) != 0) {
                atomic_store(&sh->failed, 1);
                goto out;
            }
            if (status != 503 || ++tries > RETRY_MAX)
                break;
            retries++;
            struct timespec ts = {0, RETRY_PAUSE_NS};
            nanosleep(&ts, NULL);
        }
        q->lat_ns = s_now_ns() - t0;
        if (status != 202 || s_tally(resp.p ? resp.p : "", q->n, outcome) != 0) {
            if (errors++ < 3)
                fprintf(stderr, "httpload: request %zu: HTTP %ld: %.300s\n", k, status,
                        resp.p ? resp.p : "");
            continue;
        }
        accepted += q->n;
    }
out:
    pthread_mutex_lock(&sh->mu);
    sh->accepted += accepted;
    sh->retries += retries;
    sh->errors += errors;
    for (int i = 0; i < 4; i++)
        sh->outcome[i] += outcome[i];
    pthread_mutex_unlock(&sh->mu);
    if (c)
        curl_easy_cleanup(c);
    curl_slist_free_all(hdrs);
    free(resp.p);
    return NULL;
}

/* After the run: the first body again must be recognised report by report. */
static int
s_resend_check(s_shared *sh)
{
    struct curl_slist *hdrs = NULL;
    s_buf resp = {0};
    CURL *c = s_handle(sh->o, &hdrs, &resp);
    long status = 0;
    size_t outcome[4] = {0};
    int ok = c && s_post(c, &sh->reqs[0], &resp, &status) == 0 && status == 202 &&
             s_tally(resp.p ? resp.p : "", sh->reqs[0].n, outcome) == 0 &&
             outcome[2] == sh->reqs[0].n;
    if (c)
        curl_easy_cleanup(c);
    curl_slist_free_all(hdrs);
    free(resp.p);
    return ok;
}

/* --- arguments ------------------------------------------------------------------------- */

static int
s_usage(void)
{
    fprintf(stderr, "usage: httpload --url URL --token TOKEN [--count N] [--batch B] "
                    "[--clients C] [--attach-pct P] [--seed S] [--label L]\n");
    return 2;
}

static int
s_num(const char *s, double lo, double hi, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end || v < lo || v > hi) {
        fprintf(stderr, "httpload: '%s' is not a number in [%g, %g]\n", s, lo, hi);
        return -1;
    }
    *out = v;
    return 0;
}

int
main(int argc, char **argv)
{
    s_opts o = {.count = 100000,
                .batch = 100,
                .clients = 4,
                .attach_pct = 10,
                .seed = 20240602,
                .label = "http"};
    for (int i = 1; i < argc; i++) {
        const char *k = argv[i], *v = i + 1 < argc ? argv[++i] : NULL;
        double d = 0;
        if (!v)
            return s_usage();
        if (strcmp(k, "--url") == 0)
            o.url = v;
        else if (strcmp(k, "--token") == 0)
            o.token = v;
        else if (strcmp(k, "--label") == 0)
            o.label = v;
        else if (s_num(v, 0, 1e12, &d) != 0)
            return 2;
        else if (strcmp(k, "--count") == 0 && d >= 1 && d <= 1e8)
            o.count = (size_t)d;
        else if (strcmp(k, "--batch") == 0 && d >= 1 && d <= 10000)
            o.batch = (size_t)d;
        else if (strcmp(k, "--clients") == 0 && d >= 1 && d <= 64)
            o.clients = (size_t)d;
        else if (strcmp(k, "--attach-pct") == 0 && d <= 90)
            o.attach_pct = (unsigned)d;
        else if (strcmp(k, "--seed") == 0)
            o.seed = (uint64_t)d;
        else
            return s_usage();
    }
    if (!o.url || !o.token)
        return s_usage();
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        fprintf(stderr, "httpload: cannot initialise libcurl\n");
        return 1;
    }
    int rc = 1;
    s_shared sh = {.o = &o};
    pthread_t *th = calloc(o.clients, sizeof *th);
    int64_t *lat = NULL;
    size_t started = 0;
    pthread_mutex_init(&sh.mu, NULL);
    if (!th || !(sh.reqs = s_build(&o, &sh.nreq)) ||
        !(lat = calloc(sh.nreq ? sh.nreq : 1, sizeof *lat))) {
        fprintf(stderr, "httpload: out of memory\n");
        goto out;
    }
    int64_t start = s_now_ns();
    for (; started < o.clients; started++)
        if (pthread_create(&th[started], NULL, s_client, &sh) != 0) {
            atomic_store(&sh.failed, 1);
            break;
        }
    for (size_t i = 0; i < started; i++)
        pthread_join(th[i], NULL);
    double secs = (double)(s_now_ns() - start) / 1e9;
    if (atomic_load(&sh.failed) || started < o.clients) {
        fprintf(stderr, "httpload: the run failed (see above)\n");
        goto out;
    }
    for (size_t k = 0; k < sh.nreq; k++)
        lat[k] = sh.reqs[k].lat_ns;
    qsort(lat, sh.nreq, sizeof *lat, s_cmp_i64);
    int resend_ok = s_resend_check(&sh);
    printf("{\"label\":\"%s\",\"reports\":%zu,\"requests\":%zu,\"batch\":%zu,\"clients\":%zu,"
           "\"elapsed_s\":%.3f,\"reports_per_s\":%.0f,\"accepted\":%zu,\"new_case\":%zu,"
           "\"attached\":%zu,\"already_present\":%zu,\"rejected\":%zu,\"retries_503\":%zu,"
           "\"req_p50_ms\":%.2f,\"req_p99_ms\":%.2f,\"req_max_ms\":%.2f,"
           "\"resend_recognised\":%s,\"errors\":%zu}\n",
           o.label, o.count, sh.nreq, o.batch, o.clients, secs,
           secs > 0 ? (double)sh.accepted / secs : 0, sh.accepted, sh.outcome[0], sh.outcome[1],
           sh.outcome[2], sh.outcome[3], sh.retries, s_pct_ms(lat, sh.nreq, 50),
           s_pct_ms(lat, sh.nreq, 99), s_pct_ms(lat, sh.nreq, 100), resend_ok ? "true" : "false",
           sh.errors);
    rc =
        sh.errors || !resend_ok || sh.accepted != o.count || sh.outcome[2] || sh.outcome[3] ? 3 : 0;
    if (rc)
        fprintf(stderr, "httpload: unexpected answers (errors %zu, resend recognised %s)\n",
                sh.errors, resend_ok ? "yes" : "no");
out:
    for (size_t k = 0; sh.reqs && k < sh.nreq; k++)
        free(sh.reqs[k].body);
    free(sh.reqs);
    free(lat);
    free(th);
    pthread_mutex_destroy(&sh.mu);
    curl_global_cleanup();
    return rc;
}
