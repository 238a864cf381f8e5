/* intake_http — see intake_http.h. */
#include "intake_http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <jansson.h>
#include <zmq.h>

#include "acc_codec.h"
#include "acc_feed.h"
#include "acc_i18n.h"
#include "acc_ids.h"
#include "acc_import.h"
#include "acc_log.h"
#include "acc_text.h"
#include "acc_url.h"
#include "accord/v1/control.pb-c.h"
#include "intake.h"
#include "intake_server.h"

#define TAG "http"
#define CITIZEN "citizen"
#define POOL_THREADS 4
#define CONN_MEMORY (64 * 1024) /* per connection: headers and the read buffer */
#define CONN_TIMEOUT_S 60       /* idle connections are closed after this */
#define CONN_LIMIT 512
#define CALL_TIMEOUT_MS 30000    /* waiting for intake's answer */
#define CALL_SLICE_MS 200        /* how often a waiting thread checks for shutdown */
#define RESPONSE_MAX (64u << 20) /* the largest answer accepted from intake */
#define BATCH_HEADROOM 4096      /* envelope and contacts beside the reports */
#define RETRY_AFTER_S "5"
#define IP_SLOTS 4096 /* citizen addresses remembered for rate limiting */
#define FEED_REJECTS_LISTED 100
#define CONTACT_MAX 200
#define CATEGORY_MAX 64

/* --- growable strings ----------------------------------------------------------------- */

typedef struct {
    char *p;
    size_t len, cap;
    int oom;
} s_str;

static void
s_str_add(s_str *s, const char *d, size_t n)
{
    if (s->oom)
        return;
    if (s->len + n + 1 > s->cap) {
        size_t cap = s->cap ? s->cap : 256;
        while (cap < s->len + n + 1)
            cap *= 2;
        char *p = realloc(s->p, cap);
        if (!p) {
            s->oom = 1;
            return;
        }
        s->p = p;
        s->cap = cap;
    }
    memcpy(s->p + s->len, d, n);
    s->len += n;
    s->p[s->len] = '\0';
}

static void
s_str_puts(s_str *s, const char *z)
{
    s_str_add(s, z, strlen(z));
}

static void s_str_printf(s_str *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
s_str_printf(s_str *s, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    s_str_add(s, buf, (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1);
}

/* HTML-escape @z[0..@n): everything echoed into a page goes through here. */
static void
s_str_html(s_str *s, const char *z, size_t n)
{
    size_t from = 0;
    for (size_t i = 0; i < n; i++) {
        const char *rep = NULL;
        switch (z[i]) {
        case '&':
            rep = "&amp;";
            break;
        case '<':
            rep = "&lt;";
            break;
        case '>':
            rep = "&gt;";
            break;
        case '"':
            rep = "&quot;";
            break;
        case '\'':
            rep = "&#39;";
            break;
        default:
            break;
        }
        if (rep) {
            s_str_add(s, z + from, i - from);
            s_str_puts(s, rep);
            from = i + 1;
        }
    }
    s_str_add(s, z + from, n - from);
}

static void
s_str_htmlz(s_str *s, const char *z)
{
    s_str_html(s, z, strlen(z));
}

/* --- the JSON body of POST /v1/reports ------------------------------------------------ */

typedef enum {
    K_ID,
    K_URL,
    K_TEXT,
    K_CATEGORY,
    K_DESCRIPTION,
    K_SOURCE,
    K_OBSERVED_AT,
    K_SOURCE_RECORD_ID,
    K_CONFIDENCE,
    K__COUNT
} s_key;

static const char *const s_key_names[K__COUNT] = {
    [K_ID] = "id",
    [K_URL] = "url",
    [K_TEXT] = "text",
    [K_CATEGORY] = "category",
    [K_DESCRIPTION] = "description",
    [K_SOURCE] = "source",
    [K_OBSERVED_AT] = "observed_at",
    [K_SOURCE_RECORD_ID] = "source_record_id",
    [K_CONFIDENCE] = "confidence",
};

/* The path of record @i: "$" for a lone object, "$[i]" in an array. */
static void
s_record_path(char *buf, size_t len, int is_array, size_t i)
{
    if (is_array)
        snprintf(buf, len, "$[%zu]", i);
    else
        snprintf(buf, len, "$");
}

/* The path of key @key of record @rec: ".name" for plain names, else ["..."] with the key
 * escaped and cut (at a character boundary) so that a hostile key cannot flood the
 * answer. */
static void
s_key_path(char *buf, size_t len, const char *rec, const char *key, size_t keylen)
{
    int plain = keylen > 0 && keylen <= 64;
    for (size_t i = 0; plain && i < keylen; i++) {
        unsigned char ch = (unsigned char)key[i];
        plain = ch == '_' || (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                (i > 0 && ch >= '0' && ch <= '9');
    }
    if (plain) {
        snprintf(buf, len, "%s.%.*s", rec, (int)keylen, key);
        return;
    }
    char esc[160];
    size_t o = 0, i = 0;
    for (; i < keylen && o + 8 < 100; i++) {
        unsigned char ch = (unsigned char)key[i];
        if (ch == '"' || ch == '\\') {
            esc[o++] = '\\';
            esc[o++] = (char)ch;
        } else if (ch < 0x20 || ch == 0x7f) {
            o += (size_t)snprintf(esc + o, sizeof esc - o, "\\u%04x", ch);
        } else {
            esc[o++] = (char)ch;
        }
    }
    if (i < keylen) {
        /* Cut: step back to the start of a UTF-8 sequence, then mark the cut. */
        while (o > 0 && ((unsigned char)esc[o - 1] & 0xc0) == 0x80)
            o--;
        if (o > 0 && ((unsigned char)esc[o - 1] & 0xc0) == 0xc0)
            o--;
        memcpy(esc + o, "...", 3);
        o += 3;
    }
    esc[o] = '\0';
    snprintf(buf, len, "%.40s[\"%.110s\"]", rec, esc);
}

static int
s_set(char **field, const char *v)
{
    char *d = strdup(v);
    if (!d)
        return -1;
    if (*field && *field != protobuf_c_empty_string)
        free(*field);
    *field = d;
    return 0;
}

/* Read one record. ACC_OK with *@out, ACC_ERR_INVALID with @rej filled, ACC_ERR_NOMEM. */
static acc_err
s_parse_record(json_t *obj, const char *source, int is_array, size_t i, Accord__V1__Report **out,
               intake_http_reject_t *rej)
{
    char rec[48];
    s_record_path(rec, sizeof rec, is_array, i);
    rej->index = i;
    if (!json_is_object(obj)) {
        snprintf(rej->path, sizeof rej->path, "%s", rec);
        snprintf(rej->error, sizeof rej->error, "a report must be a json object");
        return ACC_ERR_INVALID;
    }
    Accord__V1__Report *r = malloc(sizeof *r);
    if (!r)
        return ACC_ERR_NOMEM;
    accord__v1__report__init(r);
    acc_err rc = ACC_OK;
    const char *key;
    size_t keylen;
    json_t *v;
    json_object_keylen_foreach(obj, key, keylen, v)
    {
        int k = 0;
        while (k < K__COUNT &&
               !(strlen(s_key_names[k]) == keylen && memcmp(s_key_names[k], key, keylen) == 0))
            k++;
        s_key_path(rej->path, sizeof rej->path, rec, key, keylen);
        rc = ACC_ERR_INVALID;
        if (k == K__COUNT) {
            snprintf(rej->error, sizeof rej->error,
                     "unknown key; known keys: id, url, text, category, description, source, "
                     "observed_at, source_record_id, confidence");
            goto out;
        }
        if (json_is_null(v)) { /* writers commonly emit null for "absent" */
            rc = ACC_OK;
            continue;
        }
        if (k == K_CONFIDENCE) {
            if (!json_is_integer(v)) {
                snprintf(rej->error, sizeof rej->error, "must be an integer from 0 to 100");
                goto out;
            }
            json_int_t c = json_integer_value(v);
            if (c < 0 || c > 100) {
                snprintf(rej->error, sizeof rej->error, "must be an integer from 0 to 100");
                goto out;
            }
            r->confidence = (uint32_t)c;
            rc = ACC_OK;
            continue;
        }
        if (!json_is_string(v)) {
            snprintf(rej->error, sizeof rej->error, "must be a string");
            goto out;
        }
        const char *s = json_string_value(v);
        char **dst = NULL;
        switch ((s_key)k) {
        case K_ID:
            dst = &r->id;
            break;
        case K_URL:
            dst = &r->url;
            break;
        case K_TEXT:
            dst = &r->text;
            break;
        case K_CATEGORY:
            dst = &r->category;
            break;
        case K_DESCRIPTION:
            dst = &r->description;
            break;
        case K_SOURCE_RECORD_ID:
            dst = &r->source_record_id;
            break;
        case K_SOURCE:
            if (strcmp(s, source) != 0) {
                snprintf(rej->error, sizeof rej->error,
                         "must be '%.128s' (the source of the token) or absent", source);
                goto out;
            }
            break;
        case K_OBSERVED_AT:
            if (acc_import_rfc3339(s, &r->observed_at_ms) != ACC_OK) {
                snprintf(rej->error, sizeof rej->error,
                         "must be an RFC 3339 time such as \"2026-11-20T08:30:00+07:00\"");
                goto out;
            }
            break;
        case K_CONFIDENCE:
        case K__COUNT:
            break;
        }
        if (dst && s_set(dst, s) != 0) {
            rc = ACC_ERR_NOMEM;
            goto out;
        }
        rc = ACC_OK;
    }
    if (s_set(&r->source, source) != 0) {
        rc = ACC_ERR_NOMEM;
        goto out;
    }
    *out = r;
    r = NULL;
out:
    if (r)
        accord__v1__report__free_unpacked(r, NULL);
    return rc;
}

void
intake_http_body_destroy(intake_http_body_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    intake_http_body_t *b = *self_p;
    for (size_t i = 0; i < b->n_reports; i++)
        accord__v1__report__free_unpacked(b->reports[i], NULL);
    free(b->reports);
    free(b->index);
    free(b->rejects);
    free(b);
    *self_p = NULL;
}

acc_err
intake_http_parse_reports(const char *body, size_t len, const char *source,
                          intake_http_body_t **out, int pos[2], acc_errinfo_t *ei)
{
    json_error_t jerr;
    /* JSON_DECODE_ANY so that a scalar is told apart from broken JSON; no JSON_ALLOW_NUL:
     * "\u0000" would cut a C string short. */
    json_t *doc = json_loadb(body, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);
    if (!doc) {
        enum json_error_code code = json_error_code(&jerr);
        if (code == json_error_out_of_memory)
            return ACC_ERR_NOMEM;
        if (pos) {
            pos[0] = jerr.line;
            pos[1] = jerr.column;
        }
        char text[sizeof jerr.text];
        size_t n = strnlen(jerr.text, sizeof jerr.text - 1);
        for (size_t i = 0; i < n; i++) /* jansson quotes the offending input: keep it clean */
            text[i] = (unsigned char)jerr.text[i] < 0x20 || (unsigned char)jerr.text[i] >= 0x7f
                          ? '?'
                          : jerr.text[i];
        text[n] = '\0';
        acc_errinfo_set(ei, "$", "invalid json at line %d, column %d: %s", jerr.line, jerr.column,
                        text);
        return code == json_error_invalid_utf8 ? ACC_ERR_UTF8 : ACC_ERR_DECODE;
    }
    acc_err rc = ACC_OK;
    intake_http_body_t *b = NULL;
    if (!json_is_object(doc) && !json_is_array(doc)) {
        acc_errinfo_set(ei, "$",
                        "the body must be a json object (one report) or an array of "
                        "them");
        rc = ACC_ERR_INVALID;
        goto out;
    }
    rc = ACC_ERR_NOMEM;
    if (!(b = calloc(1, sizeof *b)))
        goto out;
    b->is_array = json_is_array(doc);
    b->n_records = b->is_array ? json_array_size(doc) : 1;
    size_t cap = b->n_records ? b->n_records : 1;
    b->reports = calloc(cap, sizeof *b->reports);
    b->index = calloc(cap, sizeof *b->index);
    b->rejects = calloc(cap, sizeof *b->rejects);
    if (!b->reports || !b->index || !b->rejects)
        goto out;
    for (size_t i = 0; i < b->n_records; i++) {
        json_t *obj = b->is_array ? json_array_get(doc, i) : doc;
        Accord__V1__Report *r = NULL;
        acc_err e = s_parse_record(obj, source, b->is_array, i, &r, &b->rejects[b->n_rejects]);
        if (e == ACC_ERR_NOMEM)
            goto out;
        if (e == ACC_OK) {
            b->index[b->n_reports] = i;
            b->reports[b->n_reports++] = r;
        } else {
            b->n_rejects++;
        }
    }
    *out = b;
    b = NULL;
    rc = ACC_OK;
out:
    intake_http_body_destroy(&b);
    json_decref(doc);
    return rc;
}

/* What the receiving node adds to a report from a configured source: its trust (never
 * taken from the submitter), its default confidence, and an id when there is none. */
static int
s_complete(Accord__V1__Report *r, const acc_source_cfg_t *src, int derive)
{
    if (src && src->trust && s_set(&r->trust, src->trust) != 0)
        return -1;
    if (src && r->confidence == 0 && src->confidence > 0)
        r->confidence = (uint32_t)src->confidence;
    if (derive && !r->id[0]) {
        char id[ACC_UUID_TEXT_LEN + 1];
        acc_feed_derive_id(r, id);
        if (s_set(&r->id, id) != 0)
            return -1;
    }
    return 0;
}

/* --- rate limits ------------------------------------------------------------------- */

/* A token bucket holding up to @per_min reports, refilled continuously. */
typedef struct {
    int used;
    double tokens;
    int64_t at_ms;
} s_bucket;

typedef struct {
    unsigned char key[17]; /* family (4 or 6), then the address (an IPv6 /64 prefix) */
    s_bucket b;
} s_ipslot;

static int64_t
s_mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
s_bucket_refill(s_bucket *b, double per_min, int64_t now)
{
    if (!b->used) {
        b->used = 1;
        b->tokens = per_min;
    } else if (now > b->at_ms) {
        b->tokens += (double)(now - b->at_ms) * per_min / 60000.0;
        if (b->tokens > per_min)
            b->tokens = per_min;
    }
    b->at_ms = now;
}

/* Take @n reports from @b. Returns 0 when taken, else the seconds until they would be
 * there (-1 when @n is more than the bucket ever holds). */
static int64_t
s_bucket_take(s_bucket *b, double per_min, double n, int64_t now)
{
    s_bucket_refill(b, per_min, now);
    if (n > per_min)
        return -1;
    if (b->tokens + 1e-9 >= n) {
        b->tokens -= n;
        return 0;
    }
    int64_t s = (int64_t)ceil((n - b->tokens) * 60.0 / per_min);
    return s < 1 ? 1 : s;
}

/* --- the server ---------------------------------------------------------------------- */

struct intake_http {
    const acc_config_t *cfg;
    void *zctx;
    struct MHD_Daemon *daemon;
    char *tls_key, *tls_cert; /* PEM, kept for the daemon's lifetime */
    atomic_int stopping;
    atomic_uint_fast64_t next_request_id;
    pthread_mutex_t lock;  /* the buckets below */
    s_bucket *src_buckets; /* one per cfg->sources[i] */
    s_ipslot *ips;         /* IP_SLOTS */
};

/* Take @n reports from @ip's bucket (citizens, when @ip is given) or else from source
 * @src's. Returns 0, or the seconds to wait (-1: more than the limit allows in one
 * request). */
static int64_t
s_rate_take(intake_http_t *self, const acc_source_cfg_t *src, const unsigned char *ip, size_t n)
{
    const acc_config_t *cfg = self->cfg;
    int64_t now = s_mono_ms(), wait = 0;
    pthread_mutex_lock(&self->lock);
    if (ip) {
        /* Find the address, or a slot for it: a free one, else the least recently used
         * (idle for a minute, its bucket is full again: forgetting it changes nothing). */
        s_ipslot *slot = NULL, *spare = NULL;
        for (size_t i = 0; i < IP_SLOTS; i++) {
            s_ipslot *e = &self->ips[i];
            if (!e->b.used) {
                if (!spare || spare->b.used)
                    spare = e;
                continue;
            }
            if (memcmp(e->key, ip, sizeof e->key) == 0) {
                slot = e;
                break;
            }
            if (!spare || (spare->b.used && e->b.at_ms < spare->b.at_ms))
                spare = e;
        }
        if (!slot) {
            slot = spare;
            memcpy(slot->key, ip, sizeof slot->key);
            slot->b.used = 0;
        }
        wait = s_bucket_take(&slot->b, (double)cfg->http.citizen_rate_per_minute, (double)n, now);
    } else if (src && src->rate_per_minute > 0) {
        size_t i = (size_t)(src - cfg->sources);
        wait = s_bucket_take(&self->src_buckets[i], (double)src->rate_per_minute, (double)n, now);
    }
    pthread_mutex_unlock(&self->lock);
    return wait;
}

/* --- talking to intake ---------------------------------------------------------------- */

typedef enum { S_SENT = 0, S_RETRY, S_FAIL } s_sendrc;

/* A DEALER for one HTTP request, opened and closed in the thread handling it. */
static void *
s_dealer_open(intake_http_t *self)
{
    void *sock = zmq_socket(self->zctx, ZMQ_DEALER);
    if (!sock)
        return NULL;
    int64_t cap = RESPONSE_MAX;
    int linger = 0;
    zmq_setsockopt(sock, ZMQ_MAXMSGSIZE, &cap, sizeof cap);
    zmq_setsockopt(sock, ZMQ_LINGER, &linger, sizeof linger);
    if (zmq_connect(sock, INTAKE_INPROC_ENDPOINT) != 0) {
        zmq_close(sock);
        return NULL;
    }
    return sock;
}

/* Send @sub and wait for its answer. S_RETRY: intake did not answer in time, is shutting
 * down, or said retry (@why says which); S_FAIL: anything else (@why). */
static s_sendrc
s_call(intake_http_t *self, void *sock, Accord__V1__SubmitReports *sub, Accord__V1__Response **out,
       char *why, size_t whylen)
{
    Accord__V1__Request req = ACCORD__V1__REQUEST__INIT;
    req.request_id = atomic_fetch_add(&self->next_request_id, 1);
    req.body_case = ACCORD__V1__REQUEST__BODY_SUBMIT;
    req.submit = sub;
    uint8_t *buf = NULL;
    size_t len = 0;
    acc_err err =
        acc_codec_pack(&req.base, (size_t)self->cfg->limits.message_max_bytes, &buf, &len);
    if (err != ACC_OK) {
        snprintf(why, whylen, "cannot encode a submission: %s", acc_strerror(err));
        return S_FAIL;
    }
    int sent = zmq_send(sock, buf, len, 0);
    free(buf);
    if (sent < 0) {
        snprintf(why, whylen, "cannot reach intake: %s", zmq_strerror(zmq_errno()));
        return S_RETRY;
    }
    int64_t deadline = s_mono_ms() + CALL_TIMEOUT_MS;
    for (;;) {
        if (atomic_load(&self->stopping)) {
            snprintf(why, whylen, "the node is shutting down");
            return S_RETRY;
        }
        int64_t left = deadline - s_mono_ms();
        if (left <= 0) {
            snprintf(why, whylen, "intake did not answer within %d s", CALL_TIMEOUT_MS / 1000);
            return S_RETRY;
        }
        zmq_pollitem_t it = {.socket = sock, .events = ZMQ_POLLIN};
        int rc = zmq_poll(&it, 1, left < CALL_SLICE_MS ? (long)left : CALL_SLICE_MS);
        if (rc < 0 && zmq_errno() != EINTR) {
            snprintf(why, whylen, "cannot wait for intake: %s", zmq_strerror(zmq_errno()));
            return S_FAIL;
        }
        if (rc <= 0)
            continue;
        zmq_msg_t m;
        zmq_msg_init(&m);
        if (zmq_msg_recv(&m, sock, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&m);
            continue;
        }
        ProtobufCMessage *pm = NULL;
        acc_errinfo_t ei;
        acc_errinfo_clear(&ei);
        err = acc_codec_unpack(&accord__v1__response__descriptor, zmq_msg_data(&m),
                               zmq_msg_size(&m), RESPONSE_MAX, &pm, &ei);
        zmq_msg_close(&m);
        if (err != ACC_OK) {
            snprintf(why, whylen, "undecodable answer from intake: %.300s", ei.msg);
            return S_FAIL;
        }
        Accord__V1__Response *resp = (Accord__V1__Response *)pm;
        if (resp->request_id != req.request_id) { /* cannot happen on a private socket */
            accord__v1__response__free_unpacked(resp, NULL);
            continue;
        }
        *out = resp;
        return S_SENT;
    }
}

/* Called with each report's result: @k indexes the array given to s_submit_all. */
typedef void (*s_result_fn)(void *arg, size_t k, const Accord__V1__ReportResult *rr);

/*
 * s_submit_all — send @reps[0..@n) to intake in batches of at most INTAKE_SUBMIT_MAX and
 * the message size limit, calling @fn for every report. @contact (may be NULL) belongs to
 * report 0 and is only allowed with @n == 1. *@committed counts reports in batches that
 * intake answered (stored or rejected there). Returns S_SENT, or S_RETRY / S_FAIL with
 * @why; batches before the failing one are committed.
 */
static s_sendrc
s_submit_all(intake_http_t *self, Accord__V1__Report **reps, size_t n,
             Accord__V1__ReporterContact *contact, s_result_fn fn, void *arg, size_t *committed,
             char *why, size_t whylen)
{
    *committed = 0;
    if (n == 0)
        return S_SENT;
    void *sock = s_dealer_open(self);
    if (!sock) {
        snprintf(why, whylen, "cannot open a socket to intake: %s", zmq_strerror(zmq_errno()));
        return S_RETRY;
    }
    s_sendrc rc = S_SENT;
    size_t budget = (size_t)self->cfg->limits.message_max_bytes > BATCH_HEADROOM * 2
                        ? (size_t)self->cfg->limits.message_max_bytes - BATCH_HEADROOM
                        : (size_t)self->cfg->limits.message_max_bytes / 2;
    size_t start = 0;
    while (start < n) {
        size_t count = 0, bytes = 0;
        while (start + count < n && count < INTAKE_SUBMIT_MAX) {
            size_t sz = accord__v1__report__get_packed_size(reps[start + count]) + 8;
            if (count && bytes + sz > budget)
                break;
            bytes += sz;
            count++;
        }
        Accord__V1__SubmitReports sub = ACCORD__V1__SUBMIT_REPORTS__INIT;
        sub.reports = reps + start;
        sub.n_reports = count;
        Accord__V1__ReporterContact *contacts[1] = {contact};
        if (contact) {
            sub.contacts = contacts;
            sub.n_contacts = 1;
        }
        Accord__V1__Response *resp = NULL;
        if ((rc = s_call(self, sock, &sub, &resp, why, whylen)) != S_SENT)
            break;
        Accord__V1__Code code = resp->status ? resp->status->code : ACCORD__V1__CODE__CODE_OK;
        if (code == ACCORD__V1__CODE__CODE_OK &&
            resp->body_case == ACCORD__V1__RESPONSE__BODY_SUBMIT &&
            resp->submit->n_results == count) {
            for (size_t i = 0; i < count; i++) {
                const Accord__V1__ReportResult *rr = resp->submit->results[i];
                if (rr->index < count)
                    fn(arg, start + rr->index, rr);
            }
        } else if (code == ACCORD__V1__CODE__CODE_TOO_LARGE && count == 1) {
            /* One report alone over the message limit: it is that report's fault. */
            Accord__V1__Status st = ACCORD__V1__STATUS__INIT;
            Accord__V1__ReportResult rr = ACCORD__V1__REPORT_RESULT__INIT;
            st.code = code;
            st.field = (char *)"reports[0]";
            st.message = (char *)"the report is larger than the node's message limit";
            rr.outcome = ACCORD__V1__OUTCOME__OUTCOME_REJECTED;
            rr.error = &st;
            fn(arg, start, &rr);
        } else if (code == ACCORD__V1__CODE__CODE_RETRY) {
            snprintf(why, whylen, "intake asks to retry later: %s",
                     resp->status->message[0] ? resp->status->message : "busy");
            rc = S_RETRY;
        } else {
            snprintf(why, whylen, "intake refused the submission: %s%s%s",
                     resp->status ? resp->status->field : "",
                     resp->status && resp->status->field[0] ? ": " : "",
                     resp->status ? resp->status->message : "no result");
            rc = S_FAIL;
        }
        accord__v1__response__free_unpacked(resp, NULL);
        if (rc != S_SENT)
            break;
        *committed += count;
        start += count;
    }
    zmq_close(sock);
    return rc;
}

/* --- responses --------------------------------------------------------------------- */

/* @hdrs: name, value, name, value, ..., NULL (may be NULL). */
static enum MHD_Result
s_reply(struct MHD_Connection *c, unsigned status, const char *ctype, const char *body, size_t len,
        const char *const *hdrs)
{
    struct MHD_Response *r =
        MHD_create_response_from_buffer(len, (void *)(uintptr_t)body, MHD_RESPMEM_MUST_COPY);
    if (!r)
        return MHD_NO;
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
    MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
    for (size_t i = 0; hdrs && hdrs[i] && hdrs[i + 1]; i += 2)
        MHD_add_response_header(r, hdrs[i], hdrs[i + 1]);
    enum MHD_Result rc = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return rc;
}

/* Reply with @j (reference stolen). */
static enum MHD_Result
s_reply_json(struct MHD_Connection *c, unsigned status, json_t *j, const char *const *hdrs)
{
    char *text = j ? json_dumps(j, JSON_COMPACT | JSON_ENSURE_ASCII) : NULL;
    json_decref(j);
    if (!text) {
        static const char oom[] = "{\"error\":\"out of memory\",\"path\":\"\"}\n";
        return s_reply(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "application/json", oom, sizeof oom - 1,
                       NULL);
    }
    size_t n = strlen(text);
    char *nl = realloc(text, n + 2);
    if (nl) {
        text = nl;
        text[n++] = '\n';
        text[n] = '\0';
    }
    enum MHD_Result rc = s_reply(c, status, "application/json", text, n, hdrs);
    free(text);
    return rc;
}

static enum MHD_Result
s_reply_error(struct MHD_Connection *c, unsigned status, const char *path, const char *msg,
              const char *const *hdrs)
{
    return s_reply_json(c, status, json_pack("{s:s, s:s}", "error", msg, "path", path), hdrs);
}

static enum MHD_Result
s_reply_unavailable(struct MHD_Connection *c, const char *why, size_t committed)
{
    static const char *const hdrs[] = {MHD_HTTP_HEADER_RETRY_AFTER, RETRY_AFTER_S, NULL};
    char msg[640];
    if (committed)
        snprintf(msg, sizeof msg,
                 "%s; the first %zu reports of this request were stored: send the request "
                 "again later (stored reports are recognised by their id)",
                 why, committed);
    else
        snprintf(msg, sizeof msg, "%s; nothing of this request was stored: send it again later",
                 why);
    acc_log_warn(TAG, "503: %s", msg);
    return s_reply_error(c, MHD_HTTP_SERVICE_UNAVAILABLE, "$", msg, hdrs);
}

static enum MHD_Result
s_reply_limited(struct MHD_Connection *c, int64_t wait, size_t n, const acc_source_cfg_t *src,
                int64_t per_min)
{
    char secs[24], msg[320];
    snprintf(secs, sizeof secs, "%lld", (long long)(wait > 0 ? wait : 60));
    const char *const hdrs[] = {MHD_HTTP_HEADER_RETRY_AFTER, secs, NULL};
    if (wait < 0)
        snprintf(msg, sizeof msg,
                 "%zu reports in one request exceed the limit of %lld per minute for source "
                 "'%s': send fewer per request",
                 n, (long long)per_min, src ? src->name : CITIZEN);
    else
        snprintf(msg, sizeof msg,
                 "rate limit of %lld reports per minute reached for source '%s'; nothing was "
                 "stored: retry after %s s",
                 (long long)per_min, src ? src->name : CITIZEN, secs);
    return s_reply_error(c, MHD_HTTP_TOO_MANY_REQUESTS, "$", msg, hdrs);
}

static const char *
s_outcome_name(int outcome)
{
    switch (outcome) {
    case ACCORD__V1__OUTCOME__OUTCOME_NEW_CASE:
        return "new_case";
    case ACCORD__V1__OUTCOME__OUTCOME_ATTACHED:
        return "attached";
    case ACCORD__V1__OUTCOME__OUTCOME_ALREADY_PRESENT:
        return "already_present";
    default:
        return "rejected";
    }
}

/* --- per-request state ---------------------------------------------------------------- */

typedef enum { R_NONE = 0, R_HEALTH, R_FORM_GET, R_REPORTS, R_FEEDS, R_FORM_POST } s_route;

typedef struct {
    char *p;
    size_t len, max;
    int overflow;
} s_field;

enum { F_URL, F_TEXT, F_CATEGORY, F_DESCRIPTION, F_NAME, F_EMAIL, F_PHONE, F_LANG, F__COUNT };
static const char *const s_form_names[F__COUNT] = {"url",  "text",  "category", "description",
                                                   "name", "email", "phone",    "lang"};

typedef struct {
    s_route route;
    const acc_source_cfg_t *src;
    acc_feed_format fmt;
    char category[CATEGORY_MAX + 1];
    char *body;
    size_t len, cap;
    int too_large;
    uint64_t discarded;
    struct MHD_PostProcessor *pp;
    int form_bad;     /* the post processor gave up on the body */
    unsigned refused; /* an HTTP status decided before the body, sent once it is drained */
    const char *const *refused_hdrs;
    char refused_path[32];
    char refused_msg[1200];
    s_field form[F__COUNT];
} s_req;

static void
s_req_free(s_req *rq)
{
    if (!rq)
        return;
    if (rq->pp)
        MHD_destroy_post_processor(rq->pp);
    free(rq->body);
    for (int i = 0; i < F__COUNT; i++)
        free(rq->form[i].p);
    free(rq);
}

/* --- POST /v1/reports ---------------------------------------------------------------- */

typedef struct {
    const intake_http_body_t *b;
    json_t *results, *rejected;
    size_t accepted;
    int oom;
} s_reports_acc;

/* Add a rejection at body record @index with @path and @msg. */
static void
s_add_reject(json_t *arr, size_t index, const char *path, const char *msg, int *oom)
{
    json_t *o =
        json_pack("{s:I, s:s, s:s}", "index", (json_int_t)index, "path", path, "error", msg);
    if (!o || json_array_append_new(arr, o) != 0)
        *oom = 1;
}

static void
s_reports_result(void *arg, size_t k, const Accord__V1__ReportResult *rr)
{
    s_reports_acc *a = arg;
    size_t index = a->b->index[k];
    if (rr->outcome == ACCORD__V1__OUTCOME__OUTCOME_REJECTED) {
        /* intake names the field as "reports[j].url": keep what follows the index. */
        char rec[48], path[200];
        s_record_path(rec, sizeof rec, a->b->is_array, index);
        const char *field = rr->error ? rr->error->field : "";
        const char *rest = strchr(field, ']');
        snprintf(path, sizeof path, "%s%s", rec, rest ? rest + 1 : "");
        s_add_reject(a->rejected, index, path,
                     rr->error && rr->error->message[0] ? rr->error->message : "rejected", &a->oom);
        return;
    }
    json_t *o = json_pack("{s:I, s:s, s:s, s:s}", "index", (json_int_t)index, "outcome",
                          s_outcome_name(rr->outcome), "report_id", rr->report_id, "case_number",
                          rr->case_number);
    if (!o || json_array_append_new(a->results, o) != 0)
        a->oom = 1;
    a->accepted++;
}

static int
s_by_index(const void *x, const void *y)
{
    json_int_t a = json_integer_value(json_object_get(*(json_t *const *)x, "index"));
    json_int_t b = json_integer_value(json_object_get(*(json_t *const *)y, "index"));
    return (a > b) - (a < b);
}

/* Rejections come from two places (parsing here, validation in intake): list them in
 * body order. */
static json_t *
s_sorted(json_t *arr)
{
    size_t n = json_array_size(arr);
    json_t **v = calloc(n ? n : 1, sizeof *v), *out = json_array();
    if (!v || !out) {
        free(v);
        json_decref(out);
        return NULL;
    }
    for (size_t i = 0; i < n; i++)
        v[i] = json_array_get(arr, i);
    qsort(v, n, sizeof *v, s_by_index);
    for (size_t i = 0; i < n; i++)
        json_array_append(out, v[i]);
    free(v);
    return out;
}

static enum MHD_Result
s_do_reports(intake_http_t *self, struct MHD_Connection *c, s_req *rq)
{
    enum MHD_Result ret;
    intake_http_body_t *b = NULL;
    acc_errinfo_t ei;
    acc_errinfo_clear(&ei);
    int pos[2] = {0, 0};
    acc_err err =
        intake_http_parse_reports(rq->body ? rq->body : "", rq->len, rq->src->name, &b, pos, &ei);
    if (err == ACC_ERR_NOMEM)
        return s_reply_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "$", "out of memory", NULL);
    if (err == ACC_ERR_DECODE || err == ACC_ERR_UTF8)
        return s_reply_json(c, MHD_HTTP_BAD_REQUEST,
                            json_pack("{s:s, s:s, s:i, s:i}", "error", ei.msg, "path", "$", "line",
                                      pos[0], "column", pos[1]),
                            NULL);
    if (err != ACC_OK)
        return s_reply_error(c, MHD_HTTP_BAD_REQUEST, "$", ei.msg, NULL);

    s_reports_acc a = {.b = b, .results = json_array(), .rejected = json_array()};
    for (size_t i = 0; i < b->n_rejects; i++)
        s_add_reject(a.rejected, b->rejects[i].index, b->rejects[i].path, b->rejects[i].error,
                     &a.oom);
    for (size_t i = 0; i < b->n_reports; i++)
        if (s_complete(b->reports[i], rq->src, 1) != 0)
            a.oom = 1;
    if (!a.results || !a.rejected || a.oom) {
        ret = s_reply_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "$", "out of memory", NULL);
        goto out;
    }
    if (b->n_reports) {
        int64_t wait = s_rate_take(self, rq->src, NULL, b->n_reports);
        if (wait != 0) {
            ret = s_reply_limited(c, wait, b->n_reports, rq->src, rq->src->rate_per_minute);
            goto out;
        }
    }
    char why[384];
    size_t committed = 0;
    s_sendrc rc = s_submit_all(self, b->reports, b->n_reports, NULL, s_reports_result, &a,
                               &committed, why, sizeof why);
    if (rc == S_RETRY) {
        ret = s_reply_unavailable(c, why, committed);
        goto out;
    }
    if (rc == S_FAIL || a.oom) {
        acc_log_error(TAG, "submission failed: %s", rc == S_FAIL ? why : "out of memory");
        ret = s_reply_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "$",
                            rc == S_FAIL ? why : "out of memory", NULL);
        goto out;
    }
    json_t *rej = s_sorted(a.rejected);
    json_t *j = rej ? json_pack("{s:I, s:O, s:o}", "accepted", (json_int_t)a.accepted, "results",
                                a.results, "rejected", rej)
                    : NULL;
    /* Nothing stored and something wrong: the request as a whole is bad. */
    unsigned status = a.accepted == 0 && json_array_size(a.rejected) > 0 ? MHD_HTTP_BAD_REQUEST
                                                                         : MHD_HTTP_ACCEPTED;
    ret = s_reply_json(c, status, j, NULL);
out:
    json_decref(a.results);
    json_decref(a.rejected);
    intake_http_body_destroy(&b);
    return ret;
}

/* --- POST /v1/feeds/{source} ---------------------------------------------------------- */

/* Where a report came from in the feed, and its place among the feed's records. */
typedef struct {
    char where[96];
    size_t ord;
} s_feed_rec;

typedef struct {
    s_feed_rec *recs;  /* one per report sent to intake */
    size_t counts[4];  /* new_case, attached, already_present, rejected */
    json_t *bad_read;  /* the first rejects found reading the feed */
    json_t *bad_store; /* the first rejects intake gave */
    int oom;
} s_feed_acc;

/* Keep the first FEED_REJECTS_LISTED of each kind: the first of their union (listed in
 * feed order) are then among them. "index" orders them and is dropped at the end. */
static void
s_add_feed_reject(s_feed_acc *a, json_t *arr, size_t ord, const char *where, const char *msg)
{
    a->counts[3]++;
    if (json_array_size(arr) >= FEED_REJECTS_LISTED)
        return;
    json_t *o =
        json_pack("{s:I, s:s, s:s}", "index", (json_int_t)ord, "where", where, "error", msg);
    if (!o || json_array_append_new(arr, o) != 0)
        a->oom = 1;
}

static void
s_feed_result(void *arg, size_t k, const Accord__V1__ReportResult *rr)
{
    s_feed_acc *a = arg;
    switch (rr->outcome) {
    case ACCORD__V1__OUTCOME__OUTCOME_NEW_CASE:
        a->counts[0]++;
        break;
    case ACCORD__V1__OUTCOME__OUTCOME_ATTACHED:
        a->counts[1]++;
        break;
    case ACCORD__V1__OUTCOME__OUTCOME_ALREADY_PRESENT:
        a->counts[2]++;
        break;
    default: {
        char msg[600];
        const Accord__V1__Status *st = rr->error;
        const char *field = st ? strchr(st->field, ']') : NULL;
        snprintf(msg, sizeof msg, "%s%s%s", field && field[1] == '.' ? field + 2 : "",
                 field && field[1] == '.' ? ": " : "",
                 st && st->message[0] ? st->message : "rejected");
        s_add_feed_reject(a, a->bad_store, a->recs[k].ord, a->recs[k].where, msg);
        break;
    }
    }
}

static enum MHD_Result
s_do_feed(intake_http_t *self, struct MHD_Connection *c, s_req *rq)
{
    const acc_config_t *cfg = self->cfg;
    enum MHD_Result ret;
    acc_feed_t *rd = NULL;
    Accord__V1__Report **reps = NULL;
    s_feed_acc a = {.bad_read = json_array(), .bad_store = json_array()};
    json_t *listed = NULL;
    size_t n = 0, cap = 0, ord = 0;
    uint64_t skipped = 0;
    acc_errinfo_t ei;
    acc_errinfo_clear(&ei);
    acc_feed_opts_t opts = {
        .source = rq->src->name,
        .category = rq->category[0] ? rq->category : NULL,
        .confidence = rq->src->confidence > 0 ? (uint32_t)rq->src->confidence : 0,
        .tags = cfg->feed_tags,
        .n_tags = cfg->n_feed_tags,
    };
    acc_err err = acc_feed_new(rq->fmt, rq->body ? rq->body : "", rq->len, &opts, &rd, &ei);
    if (err == ACC_ERR_NOMEM) {
        ret = s_reply_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "$", "out of memory", NULL);
        goto out;
    }
    if (err != ACC_OK) {
        char msg[600];
        snprintf(msg, sizeof msg, "not a %s feed: %s", acc_feed_format_name(rq->fmt),
                 ei.msg[0] ? ei.msg : acc_strerror(err));
        ret = s_reply_error(c, MHD_HTTP_BAD_REQUEST, ei.field[0] ? ei.field : "$", msg, NULL);
        goto out;
    }
    if (!a.bad_read || !a.bad_store) {
        ret = s_reply_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "$", "out of memory", NULL);
        goto out;
    }
    for (;;) {
        Accord__V1__Report *r = NULL;
        char where[96] = "";
        acc_errinfo_clear(&ei);
        err = acc_feed_next(rd, &r, where, sizeof where, &ei);
        if (err == ACC_ERR_NOT_FOUND)
            break;
        if (err == ACC_ERR_NOMEM) {
            a.oom = 1;
            break;
        }
        if (err != ACC_OK) {
            char msg[600];
            snprintf(msg, sizeof msg, "%s%s%s",
                     ei.field[0] && strcmp(ei.field, where) ? ei.field : "",
                     ei.field[0] && strcmp(ei.field, where) ? ": " : "",
                     ei.msg[0] ? ei.msg : acc_strerror(err));
            s_add_feed_reject(&a, a.bad_read, ord++, where, msg);
            continue;
        }
        if (n == cap) {
            size_t ncap = cap ? cap * 2 : 256;
            Accord__V1__Report **nr = realloc(reps, ncap * sizeof *nr);
            s_feed_rec *nw = nr ? realloc(a.recs, ncap * sizeof *nw) : NULL;
            if (nr)
                reps = nr;
            if (nw)
                a.recs = nw;
            if (!nr || !nw) {
                accord__v1__report__free_unpacked(r, NULL);
                a.oom = 1;
                break;
            }
            cap = ncap;
        }
        snprintf(a.recs[n].where, sizeof a.recs[n].where, "%s", where);
        a.recs[n].ord = ord++;
        reps[n++] = r;
        if (s_complete(r, rq->src, 1) != 0) {
            a.oom = 1;
            break;
        }
    }
    const char *reason;
    for (size_t i = 0; acc_feed_skips(rd, i, &reason) > 0; i++)
        skipped += acc_feed_skips(rd, i, &reason);
    if (a.oom) {
        ret = s_reply_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "$", "out of memory", NULL);
        goto out;
    }
    if (n) {
        int64_t wait = s_rate_take(self, rq->src, NULL, n);
        if (wait != 0) {
            ret = s_reply_limited(c, wait, n, rq->src, rq->src->rate_per_minute);
            goto out;
        }
    }
    char why[384];
    size_t committed = 0;
    s_sendrc rc = s_submit_all(self, reps, n, NULL, s_feed_result, &a, &committed, why, sizeof why);
    if (rc == S_RETRY) {
        ret = s_reply_unavailable(c, why, committed);
        goto out;
    }
    if (rc == S_FAIL || a.oom) {
        acc_log_error(TAG, "feed submission failed: %s", rc == S_FAIL ? why : "out of memory");
        ret = s_reply_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "$",
                            rc == S_FAIL ? why : "out of memory", NULL);
        goto out;
    }
    if (json_array_extend(a.bad_read, a.bad_store) != 0 || !(listed = s_sorted(a.bad_read))) {
        ret = s_reply_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "$", "out of memory", NULL);
        goto out;
    }
    while (json_array_size(listed) > FEED_REJECTS_LISTED)
        json_array_remove(listed, json_array_size(listed) - 1);
    for (size_t i = 0; i < json_array_size(listed); i++)
        json_object_del(json_array_get(listed, i), "index");
    size_t accepted = a.counts[0] + a.counts[1] + a.counts[2];
    json_t *j = json_pack(
        "{s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:O}", "format", acc_feed_format_name(rq->fmt),
        "accepted", (json_int_t)accepted, "new_cases", (json_int_t)a.counts[0], "attached",
        (json_int_t)a.counts[1], "already_present", (json_int_t)a.counts[2], "skipped",
        (json_int_t)skipped, "rejected_count", (json_int_t)a.counts[3], "rejected", listed);
    ret = s_reply_json(
        c, accepted == 0 && a.counts[3] > 0 ? MHD_HTTP_BAD_REQUEST : MHD_HTTP_ACCEPTED, j, NULL);
out:
    for (size_t i = 0; i < n; i++)
        accord__v1__report__free_unpacked(reps[i], NULL);
    free(reps);
    free(a.recs);
    json_decref(a.bad_read);
    json_decref(a.bad_store);
    json_decref(listed);
    acc_feed_destroy(&rd);
    return ret;
}

/* --- the citizen form ---------------------------------------------------------------- */

/* A form problem: which field and what to tell the citizen. */
typedef struct {
    int field; /* F_*, or -1 for the form as a whole */
    char msg[400];
} s_form_err;

#define FORM_ERRS 8

static const char s_css[] =
    "body{font:1.05rem/1.5 system-ui,-apple-system,\"Segoe UI\",Roboto,Arial,sans-serif;"
    "color:#1a1a1a;background:#fff;margin:0;padding:1rem}"
    "main{max-width:42rem;margin:0 auto}"
    "h1{font-size:1.6rem;line-height:1.25}"
    "a{color:#0645ad}"
    "fieldset{border:1px solid #6b6b6b;border-radius:4px;margin:0 0 1.25rem;padding:.75rem 1rem}"
    "legend{font-weight:700;padding:0 .25rem}"
    ".f{margin:0 0 1rem}"
    "label{display:block;font-weight:600;margin-bottom:.2rem}"
    ".hint{color:#4a4a4a;margin:.1rem 0 .3rem;font-size:.95rem}"
    "input,select,textarea{font:inherit;width:100%;box-sizing:border-box;padding:.45rem;"
    "border:2px solid #4a4a4a;border-radius:4px;background:#fff;color:#1a1a1a}"
    "textarea{min-height:6rem}"
    "input:focus,select:focus,textarea:focus,button:focus,a:focus{outline:3px solid #ffbf47;"
    "outline-offset:1px}"
    "[aria-invalid=true]{border-color:#b00020}"
    ".err{color:#b00020;font-weight:600;margin:.2rem 0}"
    ".box{border:3px solid #b00020;padding:.75rem 1rem;margin:0 0 1.25rem}"
    ".ok{border:3px solid #1d6b2f;padding:.75rem 1rem;margin:0 0 1.25rem}"
    "button{font:inherit;font-weight:700;color:#fff;background:#1d4f91;border:0;"
    "border-radius:4px;padding:.6rem 1.4rem;cursor:pointer}"
    "code{font-size:1.1rem;word-break:break-all}";

static void
s_page_head(s_str *s, acc_lang lang, const acc_config_t *cfg, const char *title)
{
    s_str_printf(s, "<!DOCTYPE html>\n<html lang=\"%s\">\n<head>\n<meta charset=\"utf-8\">\n",
                 lang == ACC_LANG_VI ? "vi" : "en");
    s_str_puts(s, "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
                  "<title>");
    s_str_htmlz(s, title);
    s_str_puts(s, " — ");
    s_str_htmlz(s, cfg->name);
    s_str_puts(s, "</title>\n<style>");
    s_str_puts(s, s_css);
    s_str_puts(s, "</style>\n</head>\n<body>\n<main>\n");
}

static void
s_page_tail(s_str *s)
{
    s_str_puts(s, "</main>\n</body>\n</html>\n");
}

static const char *const s_page_hdrs[] = {
    "Content-Security-Policy",
    "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; "
    "base-uri 'none'",
    "X-Frame-Options",
    "DENY",
    "Vary",
    "Accept-Language",
    NULL};

static enum MHD_Result
s_reply_page(struct MHD_Connection *c, unsigned status, s_str *s, const char *retry_after)
{
    if (s->oom || !s->p) {
        free(s->p);
        return s_reply(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "text/plain; charset=utf-8",
                       "out of memory\n", 14, NULL);
    }
    const char *hdrs[16];
    size_t h = 0;
    for (size_t i = 0; s_page_hdrs[i]; i++)
        hdrs[h++] = s_page_hdrs[i];
    if (retry_after) {
        hdrs[h++] = MHD_HTTP_HEADER_RETRY_AFTER;
        hdrs[h++] = retry_after;
    }
    hdrs[h] = NULL;
    enum MHD_Result rc = s_reply(c, status, "text/html; charset=utf-8", s->p, s->len, hdrs);
    free(s->p);
    return rc;
}

/* The value of form field @f for echoing back, "" when there is none. */
static const char *
s_fv(const s_req *rq, int f)
{
    return rq && rq->form[f].p ? rq->form[f].p : "";
}

static const char *
s_field_error(const s_form_err *errs, size_t n, int f)
{
    for (size_t i = 0; i < n; i++)
        if (errs[i].field == f)
            return errs[i].msg;
    return NULL;
}

/* One labelled input. @kind: "text", "email", "tel", "textarea". */
static void
s_form_input(s_str *s, const s_req *rq, const s_form_err *errs, size_t n_errs, int f,
             const char *kind, const char *label, const char *hint, int required,
             const char *autocomplete, size_t maxlen)
{
    const char *name = s_form_names[f];
    const char *err = s_field_error(errs, n_errs, f);
    s_str_printf(s, "<div class=\"f\">\n<label for=\"%s\">", name);
    s_str_htmlz(s, label);
    s_str_puts(s, "</label>\n");
    if (hint) {
        s_str_printf(s, "<p class=\"hint\" id=\"%s-hint\">", name);
        s_str_htmlz(s, hint);
        s_str_puts(s, "</p>\n");
    }
    if (err) {
        s_str_printf(s, "<p class=\"err\" id=\"%s-err\">", name);
        s_str_htmlz(s, err);
        s_str_puts(s, "</p>\n");
    }
    char described[128] = "";
    if (hint || err)
        snprintf(described, sizeof described, " aria-describedby=\"%s%s%s%s%s\"", hint ? name : "",
                 hint ? "-hint" : "", hint && err ? " " : "", err ? name : "", err ? "-err" : "");
    if (strcmp(kind, "textarea") == 0) {
        s_str_printf(s, "<textarea id=\"%s\" name=\"%s\" rows=\"5\" maxlength=\"%zu\"%s%s%s>", name,
                     name, maxlen, required ? " required" : "", described,
                     err ? " aria-invalid=\"true\"" : "");
        s_str_htmlz(s, s_fv(rq, f));
        s_str_puts(s, "</textarea>\n</div>\n");
        return;
    }
    s_str_printf(s, "<input id=\"%s\" name=\"%s\" type=\"%s\" maxlength=\"%zu\"%s%s%s", name, name,
                 kind, maxlen, required ? " required" : "", described,
                 err ? " aria-invalid=\"true\"" : "");
    if (autocomplete)
        s_str_printf(s, " autocomplete=\"%s\"", autocomplete);
    if (f == F_URL)
        s_str_puts(s, " inputmode=\"url\" spellcheck=\"false\"");
    s_str_puts(s, " value=\"");
    s_str_htmlz(s, s_fv(rq, f));
    s_str_puts(s, "\">\n</div>\n");
}

/* The form, empty (@rq NULL) or filled with what was sent and the problems found. */
static void
s_form_page(s_str *s, const acc_config_t *cfg, acc_lang lang, const s_req *rq,
            const s_form_err *errs, size_t n_errs)
{
    const char *title =
        ACC_TR(lang, "Report harmful online content", "Báo cáo nội dung độc hại trên mạng");
    s_page_head(s, lang, cfg, title);
    s_str_puts(s, "<h1>");
    s_str_htmlz(s, title);
    s_str_puts(s, "</h1>\n<p>");
    s_str_htmlz(s, ACC_TR(lang, "Use this form to tell ", "Dùng biểu mẫu này để báo cho "));
    s_str_htmlz(s, cfg->name);
    s_str_htmlz(s, ACC_TR(lang,
                          " about a web page, post or message that may be a scam, phishing, "
                          "false information or otherwise harmful. Fields marked (required) "
                          "must be filled in; everything else is optional.",
                          " về một trang web, bài đăng hoặc tin nhắn có thể là lừa đảo, giả "
                          "mạo, thông tin sai sự thật hoặc gây hại khác. Các ô ghi (bắt buộc) "
                          "phải điền; các ô khác không bắt buộc."));
    s_str_puts(s, "</p>\n");
    if (lang == ACC_LANG_VI)
        s_str_puts(s,
                   "<p><a href=\"/report?lang=en\" hreflang=\"en\" lang=\"en\">English</a></p>\n");
    else
        s_str_puts(
            s, "<p><a href=\"/report?lang=vi\" hreflang=\"vi\" lang=\"vi\">Tiếng Việt</a></p>\n");

    if (n_errs) {
        s_str_puts(s, "<div class=\"box\" role=\"alert\" aria-labelledby=\"err-title\">\n"
                      "<h2 id=\"err-title\">");
        s_str_htmlz(s, ACC_TR(lang, "Please correct the following", "Vui lòng sửa các mục sau"));
        s_str_puts(s, "</h2>\n<ul>\n");
        for (size_t i = 0; i < n_errs; i++) {
            if (errs[i].field >= 0)
                s_str_printf(s, "<li><a href=\"#%s\">", s_form_names[errs[i].field]);
            else
                s_str_puts(s, "<li>");
            s_str_htmlz(s, errs[i].msg);
            s_str_puts(s, errs[i].field >= 0 ? "</a></li>\n" : "</li>\n");
        }
        s_str_puts(s, "</ul>\n</div>\n");
    }

    s_str_puts(s, "<form method=\"post\" action=\"/report\" accept-charset=\"utf-8\">\n");
    s_str_printf(s, "<input type=\"hidden\" name=\"lang\" value=\"%s\">\n",
                 lang == ACC_LANG_VI ? "vi" : "en");
    s_str_puts(s, "<fieldset>\n<legend>");
    s_str_htmlz(s, ACC_TR(lang, "The content you are reporting", "Nội dung bạn muốn báo cáo"));
    s_str_puts(s, "</legend>\n");
    s_form_input(s, rq, errs, n_errs, F_URL, "text",
                 ACC_TR(lang, "Web address (URL) (required)", "Địa chỉ trang web (URL) (bắt buộc)"),
                 ACC_TR(lang, "Copy it from the address bar, for example https://example.com/page",
                        "Sao chép từ thanh địa chỉ, ví dụ https://example.com/trang"),
                 1, "off", (size_t)cfg->limits.url_max_bytes);

    /* the category select */
    const char *cerr = s_field_error(errs, n_errs, F_CATEGORY);
    s_str_puts(s, "<div class=\"f\">\n<label for=\"category\">");
    s_str_htmlz(s, ACC_TR(lang, "Kind of content (required)", "Loại nội dung (bắt buộc)"));
    s_str_puts(s, "</label>\n");
    if (cerr) {
        s_str_puts(s, "<p class=\"err\" id=\"category-err\">");
        s_str_htmlz(s, cerr);
        s_str_puts(s, "</p>\n");
    }
    s_str_printf(s, "<select id=\"category\" name=\"category\" required%s>\n",
                 cerr ? " aria-invalid=\"true\" aria-describedby=\"category-err\"" : "");
    s_str_puts(s, "<option value=\"\">");
    s_str_htmlz(s, ACC_TR(lang, "— Choose one —", "— Chọn một loại —"));
    s_str_puts(s, "</option>\n");
    const char *chosen = s_fv(rq, F_CATEGORY);
    for (size_t i = 0; i < cfg->n_categories; i++) {
        const acc_category_t *cat = &cfg->categories[i];
        s_str_puts(s, "<option value=\"");
        s_str_htmlz(s, cat->id);
        s_str_puts(s, strcmp(chosen, cat->id) == 0 ? "\" selected>" : "\">");
        s_str_htmlz(s, lang == ACC_LANG_VI ? cat->name_vi : cat->name_en);
        s_str_puts(s, "</option>\n");
    }
    s_str_puts(s, "</select>\n</div>\n");

    s_form_input(
        s, rq, errs, n_errs, F_TEXT, "textarea",
        ACC_TR(lang, "Excerpt of the content (optional)", "Trích đoạn nội dung (không bắt buộc)"),
        ACC_TR(lang, "Copy the text that worries you, if any.",
               "Sao chép đoạn văn bản khiến bạn lo ngại, nếu có."),
        0, NULL, (size_t)cfg->limits.text_max_bytes);
    s_form_input(s, rq, errs, n_errs, F_DESCRIPTION, "textarea",
                 ACC_TR(lang, "What is wrong with it? (optional)",
                        "Nội dung này có vấn đề gì? (không bắt buộc)"),
                 ACC_TR(lang,
                        "For example: it asks for bank details while pretending to be a bank.",
                        "Ví dụ: trang giả danh ngân hàng để đòi thông tin tài khoản."),
                 0, NULL, (size_t)cfg->limits.text_max_bytes);
    s_str_puts(s, "</fieldset>\n<fieldset aria-describedby=\"contact-note\">\n<legend>");
    s_str_htmlz(s,
                ACC_TR(lang, "How to reach you (optional)", "Thông tin liên hệ (không bắt buộc)"));
    s_str_puts(s, "</legend>\n<p class=\"hint\" id=\"contact-note\">");
    s_str_htmlz(s, ACC_TR(lang,
                          "Leave these empty to report anonymously. If you fill them in, they "
                          "are kept only by this agency, used only to ask you about this "
                          "report, and never shared with other agencies.",
                          "Để trống nếu bạn muốn báo cáo ẩn danh. Nếu bạn điền, thông tin này "
                          "chỉ được lưu tại cơ quan này, chỉ dùng để hỏi bạn về báo cáo này và "
                          "không bao giờ được chia sẻ với cơ quan khác."));
    s_str_puts(s, "</p>\n");
    s_form_input(s, rq, errs, n_errs, F_NAME, "text", ACC_TR(lang, "Your name", "Họ và tên"), NULL,
                 0, "name", CONTACT_MAX);
    s_form_input(s, rq, errs, n_errs, F_EMAIL, "email",
                 ACC_TR(lang, "Email", "Thư điện tử (email)"), NULL, 0, "email", CONTACT_MAX);
    s_form_input(s, rq, errs, n_errs, F_PHONE, "tel", ACC_TR(lang, "Phone", "Số điện thoại"), NULL,
                 0, "tel", 40);
    s_str_puts(s, "</fieldset>\n<button type=\"submit\">");
    s_str_htmlz(s, ACC_TR(lang, "Send the report", "Gửi báo cáo"));
    s_str_puts(s, "</button>\n</form>\n");
    s_page_tail(s);
}

/* A short page with a heading and a paragraph (receipts, limits, failures). */
static void
s_message_page(s_str *s, const acc_config_t *cfg, acc_lang lang, const char *title,
               const char *text, const char *code, const char *box)
{
    s_page_head(s, lang, cfg, title);
    s_str_printf(s, "<div class=\"%s\" role=\"status\">\n<h1>", box);
    s_str_htmlz(s, title);
    s_str_puts(s, "</h1>\n<p>");
    s_str_htmlz(s, text);
    s_str_puts(s, "</p>\n");
    if (code) {
        s_str_puts(s, "<p>");
        s_str_htmlz(s, ACC_TR(lang, "Your reference number: ", "Mã tiếp nhận của bạn: "));
        s_str_puts(s, "<code>");
        s_str_htmlz(s, code);
        s_str_puts(s, "</code></p>\n");
    }
    s_str_printf(s, "</div>\n<p><a href=\"/report?lang=%s\">", lang == ACC_LANG_VI ? "vi" : "en");
    s_str_htmlz(s, ACC_TR(lang, "Report something else", "Báo cáo nội dung khác"));
    s_str_puts(s, "</a></p>\n");
    s_page_tail(s);
}

static acc_lang
s_lang(struct MHD_Connection *c, const char *override)
{
    if (override && strcmp(override, "en") == 0)
        return ACC_LANG_EN;
    if (override && strcmp(override, "vi") == 0)
        return ACC_LANG_VI;
    return acc_i18n_from_accept(
        MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT_LANGUAGE));
}

static enum MHD_Result
s_do_form_get(intake_http_t *self, struct MHD_Connection *c)
{
    acc_lang lang = s_lang(c, MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "lang"));
    s_str s = {0};
    s_form_page(&s, self->cfg, lang, NULL, NULL, 0);
    return s_reply_page(c, MHD_HTTP_OK, &s, NULL);
}

static enum MHD_Result
s_form_iter(void *cls, enum MHD_ValueKind kind, const char *key, const char *filename,
            const char *content_type, const char *transfer_encoding, const char *data, uint64_t off,
            size_t size)
{
    (void)kind;
    (void)filename;
    (void)content_type;
    (void)transfer_encoding;
    (void)off;
    s_req *rq = cls;
    int f = 0;
    while (f < F__COUNT && strcmp(s_form_names[f], key ? key : "") != 0)
        f++;
    if (f == F__COUNT || size == 0) /* other fields (a button's name) are ignored */
        return MHD_YES;
    s_field *fd = &rq->form[f];
    if (fd->overflow || fd->len + size > fd->max) {
        fd->overflow = 1;
        return MHD_YES;
    }
    char *p = realloc(fd->p, fd->len + size + 1);
    if (!p)
        return MHD_NO;
    memcpy(p + fd->len, data, size);
    fd->p = p;
    fd->len += size;
    fd->p[fd->len] = '\0';
    return MHD_YES;
}

/* Text a citizen typed: valid UTF-8, no NUL, no control characters other than line
 * breaks and tabs (in the text areas). */
static int
s_clean_text(const s_field *fd, int multiline)
{
    if (!fd->p)
        return 1;
    if (!acc_text_utf8_valid(fd->p, fd->len) || memchr(fd->p, '\0', fd->len))
        return 0;
    for (size_t i = 0; i < fd->len; i++) {
        unsigned char ch = (unsigned char)fd->p[i];
        if ((ch < 0x20 && !(multiline && (ch == '\n' || ch == '\r' || ch == '\t'))) || ch == 0x7f)
            return 0;
    }
    return 1;
}

static int
s_email_ok(const char *e)
{
    const char *at = strchr(e, '@');
    if (!at || at == e || strchr(at + 1, '@') || !strchr(at + 1, '.') || at[1] == '.' ||
        e[strlen(e) - 1] == '.')
        return 0;
    for (const char *p = e; *p; p++)
        if ((unsigned char)*p <= ' ')
            return 0;
    return 1;
}

static int
s_phone_ok(const char *p)
{
    int digits = 0;
    for (; *p; p++) {
        if (*p >= '0' && *p <= '9')
            digits++;
        else if (!strchr(" +-().", *p))
            return 0;
    }
    return digits >= 6 && digits <= 20;
}

static void
s_add_form_err(s_form_err *errs, size_t *n, int f, const char *msg)
{
    if (*n >= FORM_ERRS)
        return;
    errs[*n].field = f;
    snprintf(errs[*n].msg, sizeof errs[*n].msg, "%.399s", msg);
    (*n)++;
}

/* Check the submitted form; fills @errs. Values that are not clean UTF-8 are dropped so
 * that they are not echoed back. */
static size_t
s_form_check(const acc_config_t *cfg, s_req *rq, acc_lang lang, s_form_err *errs)
{
    size_t n = 0;
    for (int f = 0; f < F__COUNT; f++) {
        s_field *fd = &rq->form[f];
        if (!s_clean_text(fd, f == F_TEXT || f == F_DESCRIPTION)) {
            free(fd->p);
            fd->p = NULL;
            fd->len = 0;
            if (f != F_LANG)
                s_add_form_err(errs, &n, f,
                               ACC_TR(lang,
                                      "This field contains characters that cannot be "
                                      "accepted; please type it again.",
                                      "Ô này có ký tự không hợp lệ; vui lòng nhập lại."));
        } else if (fd->overflow) {
            s_add_form_err(errs, &n, f,
                           ACC_TR(lang, "This field is too long.", "Nội dung ô này quá dài."));
        }
    }
    const char *url = s_fv(rq, F_URL);
    if (!s_field_error(errs, n, F_URL)) {
        char *canon = NULL;
        size_t l = strlen(url);
        while (l && (url[l - 1] == ' ' || url[l - 1] == '\t'))
            l--;
        if (l == 0)
            s_add_form_err(errs, &n, F_URL,
                           ACC_TR(lang, "Enter the web address (URL) of the content.",
                                  "Hãy nhập địa chỉ (URL) của nội dung."));
        else if (acc_url_canonicalize(url, l, ACC_URL_CANONICAL, &canon, NULL) != ACC_OK)
            s_add_form_err(errs, &n, F_URL,
                           ACC_TR(lang,
                                  "This web address is not valid. Copy it from the "
                                  "browser's address bar, for example "
                                  "https://example.com/page",
                                  "Địa chỉ này không hợp lệ. Hãy sao chép từ thanh địa chỉ "
                                  "của trình duyệt, ví dụ https://example.com/trang"));
        free(canon);
    }
    if (!s_field_error(errs, n, F_CATEGORY) && !acc_config_category(cfg, s_fv(rq, F_CATEGORY)))
        s_add_form_err(errs, &n, F_CATEGORY,
                       ACC_TR(lang, "Choose the kind of content.", "Hãy chọn loại nội dung."));
    if (!s_field_error(errs, n, F_EMAIL) && s_fv(rq, F_EMAIL)[0] && !s_email_ok(s_fv(rq, F_EMAIL)))
        s_add_form_err(errs, &n, F_EMAIL,
                       ACC_TR(lang,
                              "Enter an email address like name@example.com, or leave it "
                              "empty.",
                              "Hãy nhập email dạng ten@example.com, hoặc để trống."));
    if (!s_field_error(errs, n, F_PHONE) && s_fv(rq, F_PHONE)[0] && !s_phone_ok(s_fv(rq, F_PHONE)))
        s_add_form_err(errs, &n, F_PHONE,
                       ACC_TR(lang,
                              "Enter a phone number using digits (6 to 20), or leave it "
                              "empty.",
                              "Hãy nhập số điện thoại gồm 6 đến 20 chữ số, hoặc để trống."));
    return n;
}

typedef struct {
    int outcome;
    char report_id[ACC_UUID_TEXT_LEN + 1];
    char field[128];
    char msg[384];
} s_one_result;

static void
s_one(void *arg, size_t k, const Accord__V1__ReportResult *rr)
{
    (void)k;
    s_one_result *o = arg;
    o->outcome = rr->outcome;
    snprintf(o->report_id, sizeof o->report_id, "%s", rr->report_id);
    if (rr->error) {
        snprintf(o->field, sizeof o->field, "%s", rr->error->field);
        snprintf(o->msg, sizeof o->msg, "%s", rr->error->message);
    }
}

/* The client's address as a rate-limit key; IPv6 by /64, since one subscriber usually has
 * a whole /64 to pick addresses from. */
static void
s_client_key(struct MHD_Connection *c, unsigned char key[17])
{
    memset(key, 0, 17);
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    const struct sockaddr *sa = ci ? ci->client_addr : NULL;
    if (sa && sa->sa_family == AF_INET) {
        key[0] = 4;
        memcpy(key + 1, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, 4);
    } else if (sa && sa->sa_family == AF_INET6) {
        const unsigned char *a = ((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr.s6_addr;
        static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
        if (memcmp(a, mapped, 12) == 0) {
            key[0] = 4;
            memcpy(key + 1, a + 12, 4);
        } else {
            key[0] = 6;
            memcpy(key + 1, a, 8);
        }
    }
}

static enum MHD_Result
s_do_form_post(intake_http_t *self, struct MHD_Connection *c, s_req *rq)
{
    const acc_config_t *cfg = self->cfg;
    acc_lang lang = s_lang(c, s_fv(rq, F_LANG));
    s_str s = {0};
    s_form_err errs[FORM_ERRS];
    size_t n_errs = 0;
    if (rq->form_bad)
        s_add_form_err(errs, &n_errs, -1,
                       ACC_TR(lang, "The form could not be read; please send it again.",
                              "Không đọc được biểu mẫu; vui lòng gửi lại."));
    else
        n_errs = s_form_check(cfg, rq, lang, errs);
    if (n_errs) {
        s_form_page(&s, cfg, lang, rq, errs, n_errs);
        return s_reply_page(c, MHD_HTTP_BAD_REQUEST, &s, NULL);
    }

    unsigned char ip[17];
    s_client_key(c, ip);
    const acc_source_cfg_t *src = acc_config_source(cfg, CITIZEN);
    int64_t wait = s_rate_take(self, src, ip, 1);
    if (wait != 0) {
        char secs[24];
        snprintf(secs, sizeof secs, "%lld", (long long)(wait > 0 ? wait : 60));
        s_message_page(&s, cfg, lang, ACC_TR(lang, "Too many reports", "Quá nhiều báo cáo"),
                       ACC_TR(lang,
                              "Too many reports were sent from your connection in the "
                              "last minute. Your report was not saved; please wait a "
                              "minute and send it again.",
                              "Có quá nhiều báo cáo được gửi từ kết nối của bạn trong một phút "
                              "qua. Báo cáo của bạn chưa được lưu; vui lòng đợi một phút rồi "
                              "gửi lại."),
                       NULL, "box");
        return s_reply_page(c, MHD_HTTP_TOO_MANY_REQUESTS, &s, secs);
    }

    Accord__V1__Report r = ACCORD__V1__REPORT__INIT;
    r.url = (char *)s_fv(rq, F_URL);
    r.text = (char *)s_fv(rq, F_TEXT);
    r.category = (char *)s_fv(rq, F_CATEGORY);
    r.description = (char *)s_fv(rq, F_DESCRIPTION);
    r.source = (char *)CITIZEN;
    if (src && src->trust)
        r.trust = src->trust;
    if (src && src->confidence > 0)
        r.confidence = (uint32_t)src->confidence;
    /* Contact details go beside the report, never in it: they stay on this node. */
    Accord__V1__ReporterContact ct = ACCORD__V1__REPORTER_CONTACT__INIT;
    ct.index = 0;
    ct.name = (char *)s_fv(rq, F_NAME);
    ct.email = (char *)s_fv(rq, F_EMAIL);
    ct.phone = (char *)s_fv(rq, F_PHONE);
    int has_contact = ct.name[0] || ct.email[0] || ct.phone[0];
    Accord__V1__Report *reps[1] = {&r};
    s_one_result one = {.outcome = 0};
    char why[384];
    size_t committed = 0;
    s_sendrc rc = s_submit_all(self, reps, 1, has_contact ? &ct : NULL, s_one, &one, &committed,
                               why, sizeof why);
    if (rc != S_SENT) {
        acc_log_warn(TAG, "citizen report not stored: %s", why);
        s_message_page(
            &s, cfg, lang,
            ACC_TR(lang, "Your report could not be saved", "Chưa lưu được báo cáo của bạn"),
            ACC_TR(lang,
                   "The service is busy or temporarily unavailable. Nothing "
                   "was saved; please try again in a few minutes.",
                   "Hệ thống đang bận hoặc tạm thời không hoạt động. Chưa có gì "
                   "được lưu; vui lòng thử lại sau vài phút."),
            NULL, "box");
        return s_reply_page(
            c, rc == S_RETRY ? MHD_HTTP_SERVICE_UNAVAILABLE : MHD_HTTP_INTERNAL_SERVER_ERROR, &s,
            rc == S_RETRY ? RETRY_AFTER_S : NULL);
    }
    if (one.outcome == ACCORD__V1__OUTCOME__OUTCOME_REJECTED || !one.report_id[0]) {
        /* Checked above already; what intake still refuses is shown as it says it. */
        int f = -1;
        const char *dot = strchr(one.field, '.');
        for (int i = 0; dot && i < F__COUNT; i++)
            if (strcmp(dot + 1, s_form_names[i]) == 0)
                f = i;
        char msg[500];
        snprintf(msg, sizeof msg, "%s (%s)",
                 ACC_TR(lang, "The report was not accepted", "Báo cáo không được chấp nhận"),
                 one.msg[0] ? one.msg : "rejected");
        s_add_form_err(errs, &n_errs, f, msg);
        s_form_page(&s, cfg, lang, rq, errs, n_errs);
        return s_reply_page(c, MHD_HTTP_BAD_REQUEST, &s, NULL);
    }
    /* The receipt shows the report's id, not the case number (internal to the agency). */
    s_message_page(&s, cfg, lang,
                   ACC_TR(lang, "Thank you, your report was received",
                          "Cảm ơn bạn, báo cáo đã được tiếp nhận"),
                   ACC_TR(lang,
                          "It has been saved and will be reviewed. Keep the reference "
                          "number below if you want to ask about it.",
                          "Báo cáo đã được lưu và sẽ được xem xét. Hãy giữ mã tiếp nhận dưới "
                          "đây nếu bạn muốn hỏi về báo cáo này."),
                   one.report_id, "ok");
    return s_reply_page(c, MHD_HTTP_OK, &s, NULL);
}

/* --- routing ---------------------------------------------------------------------- */

static int
s_is(const char *method, const char *m)
{
    return strcmp(method, m) == 0;
}

/* The token's source, or NULL (then the caller answers 401). */
static const acc_source_cfg_t *
s_bearer(const acc_config_t *cfg, struct MHD_Connection *c)
{
    const char *h = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
    if (!h || strncasecmp(h, "Bearer ", 7) != 0)
        return NULL;
    h += 7;
    while (*h == ' ')
        h++;
    if (!*h)
        return NULL;
    return acc_config_source_by_token(cfg, h);
}

static const char *const s_hdr_auth[] = {MHD_HTTP_HEADER_WWW_AUTHENTICATE,
                                         "Bearer realm=\"accord\"", NULL};
static const char *const s_hdr_allow_get[] = {MHD_HTTP_HEADER_ALLOW, "GET, HEAD", NULL};
static const char *const s_hdr_allow_form[] = {MHD_HTTP_HEADER_ALLOW, "GET, HEAD, POST", NULL};
static const char *const s_hdr_allow_post[] = {MHD_HTTP_HEADER_ALLOW, "POST", NULL};

/* Whether to read (and throw away) the body of a request refused before its body: a
 * server that closes a connection with unread data makes the kernel reset it, and the
 * client may then lose the answer. So a body of moderate size is drained first; one the
 * client holds back (Expect: 100-continue) or a huge one is refused at once. */
static int
s_drain_first(const intake_http_t *self, struct MHD_Connection *c)
{
    const char *expect = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_EXPECT);
    if (expect && strcasecmp(expect, "100-continue") == 0)
        return 0;
    const char *cl =
        MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    if (cl) {
        errno = 0;
        unsigned long long v = strtoull(cl, NULL, 10);
        return errno == 0 && v > 0 && v <= 2 * (unsigned long long)self->cfg->http.body_max_bytes;
    }
    return MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_TRANSFER_ENCODING) !=
           NULL;
}

/* Refuse the request with a JSON error, now or after draining its body. @hdrs static. */
static enum MHD_Result
s_refuse(intake_http_t *self, struct MHD_Connection *c, s_req *rq, unsigned status,
         const char *path, const char *msg, const char *const *hdrs)
{
    if (!s_drain_first(self, c))
        return s_reply_error(c, status, path, msg, hdrs);
    rq->refused = status;
    rq->refused_hdrs = hdrs;
    snprintf(rq->refused_path, sizeof rq->refused_path, "%s", path);
    snprintf(rq->refused_msg, sizeof rq->refused_msg, "%s", msg);
    return MHD_YES;
}

/* The first call for a request (headers read, no body yet): route it, and refuse what
 * can be refused without the body, so that a refused upload is never kept. */
static enum MHD_Result
s_begin(intake_http_t *self, struct MHD_Connection *c, const char *url, const char *method,
        s_req *rq)
{
    const acc_config_t *cfg = self->cfg;
    int get = s_is(method, MHD_HTTP_METHOD_GET) || s_is(method, MHD_HTTP_METHOD_HEAD);
    int post = s_is(method, MHD_HTTP_METHOD_POST);
    static const char bearer_msg[] = "a valid bearer token is required";

    if (strcmp(url, "/healthz") == 0) {
        if (!get)
            return s_refuse(self, c, rq, MHD_HTTP_METHOD_NOT_ALLOWED, "method",
                            "method not allowed", s_hdr_allow_get);
        rq->route = R_HEALTH; /* answered once the request is complete: keeps keep-alive */
        return MHD_YES;
    }
    if (strcmp(url, "/report") == 0) {
        if (get) {
            rq->route = R_FORM_GET;
            return MHD_YES;
        }
        if (!post)
            return s_refuse(self, c, rq, MHD_HTTP_METHOD_NOT_ALLOWED, "method",
                            "method not allowed", s_hdr_allow_form);
        rq->route = R_FORM_POST;
        rq->form[F_URL].max = (size_t)cfg->limits.url_max_bytes;
        rq->form[F_TEXT].max = (size_t)cfg->limits.text_max_bytes;
        rq->form[F_DESCRIPTION].max = (size_t)cfg->limits.text_max_bytes;
        rq->form[F_CATEGORY].max = CATEGORY_MAX;
        rq->form[F_NAME].max = CONTACT_MAX;
        rq->form[F_EMAIL].max = CONTACT_MAX;
        rq->form[F_PHONE].max = CONTACT_MAX;
        rq->form[F_LANG].max = 8;
        rq->pp = MHD_create_post_processor(c, 16 * 1024, s_form_iter, rq);
        if (!rq->pp)
            return s_refuse(self, c, rq, MHD_HTTP_UNSUPPORTED_MEDIA_TYPE, "Content-Type",
                            "send the form as application/x-www-form-urlencoded or "
                            "multipart/form-data",
                            NULL);
    } else if (strcmp(url, "/v1/reports") == 0) {
        if (!post)
            return s_refuse(self, c, rq, MHD_HTTP_METHOD_NOT_ALLOWED, "method",
                            "method not allowed", s_hdr_allow_post);
        rq->route = R_REPORTS;
        if (!(rq->src = s_bearer(cfg, c)))
            return s_refuse(self, c, rq, MHD_HTTP_UNAUTHORIZED, "Authorization", bearer_msg,
                            s_hdr_auth);
    } else if (strncmp(url, "/v1/feeds/", 10) == 0 && url[10] && !strchr(url + 10, '/')) {
        if (!post)
            return s_refuse(self, c, rq, MHD_HTTP_METHOD_NOT_ALLOWED, "method",
                            "method not allowed", s_hdr_allow_post);
        rq->route = R_FEEDS;
        const char *source = url + 10;
        if (!(rq->src = s_bearer(cfg, c)))
            return s_refuse(self, c, rq, MHD_HTTP_UNAUTHORIZED, "Authorization", bearer_msg,
                            s_hdr_auth);
        if (strcmp(rq->src->name, source) != 0)
            return s_refuse(self, c, rq, MHD_HTTP_FORBIDDEN, "source",
                            "this token does not belong to the source in the url", NULL);
        const char *fmt = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "format");
        rq->fmt = fmt ? acc_feed_format_parse(fmt) : ACC_FEED_UNKNOWN;
        if (rq->fmt == ACC_FEED_UNKNOWN)
            return s_refuse(self, c, rq, MHD_HTTP_BAD_REQUEST, "format",
                            "'format' must be one of jsonl, csv, stix, misp, urlhaus, "
                            "phishtank, openphish",
                            NULL);
        const char *cat = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "category");
        if (cat && *cat) {
            if (!acc_config_category(cfg, cat)) {
                char list[1024], msg[1200];
                acc_config_category_list(cfg, list, sizeof list);
                snprintf(msg, sizeof msg, "unknown category; valid: %s", list);
                return s_refuse(self, c, rq, MHD_HTTP_BAD_REQUEST, "category", msg, NULL);
            }
            snprintf(rq->category, sizeof rq->category, "%s", cat);
        }
    } else {
        return s_refuse(self, c, rq, MHD_HTTP_NOT_FOUND, "url", "no such resource", NULL);
    }

    const char *cl =
        MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    if (cl) {
        errno = 0;
        unsigned long long v = strtoull(cl, NULL, 10);
        if (errno == ERANGE || v > (unsigned long long)cfg->http.body_max_bytes) {
            char msg[128];
            snprintf(msg, sizeof msg, "the body is larger than %lld bytes",
                     (long long)cfg->http.body_max_bytes);
            return s_refuse(self, c, rq, MHD_HTTP_CONTENT_TOO_LARGE, "Content-Length", msg, NULL);
        }
        if (rq->route != R_FORM_POST && v > 0) {
            if (!(rq->body = malloc((size_t)v + 1)))
                return s_reply_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "$", "out of memory", NULL);
            rq->cap = (size_t)v + 1;
        }
    }
    return MHD_YES;
}

/* A piece of the body. Past the cap nothing is kept; a client that keeps sending after
 * twice the cap is disconnected. */
static enum MHD_Result
s_body(intake_http_t *self, s_req *rq, const char *data, size_t n)
{
    size_t max = (size_t)self->cfg->http.body_max_bytes;
    if (!rq->too_large && !rq->refused && rq->len + n > max) {
        rq->too_large = 1;
        free(rq->body);
        rq->body = NULL;
        rq->cap = 0;
    }
    if (rq->too_large || rq->refused || rq->route == R_HEALTH || rq->route == R_FORM_GET) {
        rq->discarded += n;
        return rq->discarded > 2 * (uint64_t)max ? MHD_NO : MHD_YES;
    }
    if (rq->route == R_FORM_POST) {
        rq->len += n;
        if (!rq->form_bad && MHD_post_process(rq->pp, data, n) != MHD_YES)
            rq->form_bad = 1;
        return MHD_YES;
    }
    if (rq->len + n + 1 > rq->cap) {
        size_t cap = rq->cap ? rq->cap : 4096;
        while (cap < rq->len + n + 1)
            cap *= 2;
        if (cap > max + 1)
            cap = max + 1;
        char *p = realloc(rq->body, cap);
        if (!p)
            return MHD_NO;
        rq->body = p;
        rq->cap = cap;
    }
    memcpy(rq->body + rq->len, data, n);
    rq->len += n;
    rq->body[rq->len] = '\0';
    return MHD_YES;
}

static enum MHD_Result
s_finish(intake_http_t *self, struct MHD_Connection *c, s_req *rq)
{
    if (rq->refused)
        return s_reply_error(c, rq->refused, rq->refused_path, rq->refused_msg, rq->refused_hdrs);
    if (rq->too_large) {
        char msg[128];
        snprintf(msg, sizeof msg, "the body is larger than %lld bytes",
                 (long long)self->cfg->http.body_max_bytes);
        return s_reply_error(c, MHD_HTTP_CONTENT_TOO_LARGE, "$", msg, NULL);
    }
    switch (rq->route) {
    case R_HEALTH:
        return s_reply(c, MHD_HTTP_OK, "text/plain; charset=utf-8", "ok\n", 3, NULL);
    case R_FORM_GET:
        return s_do_form_get(self, c);
    case R_REPORTS:
        return s_do_reports(self, c, rq);
    case R_FEEDS:
        return s_do_feed(self, c, rq);
    case R_FORM_POST:
        return s_do_form_post(self, c, rq);
    case R_NONE:
        break;
    }
    return s_reply_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "$", "request in a bad state", NULL);
}

static enum MHD_Result
s_on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
             const char *version, const char *upload_data, size_t *upload_data_size, void **con_cls)
{
    (void)version;
    intake_http_t *self = cls;
    s_req *rq = *con_cls;
    if (!rq) {
        if (!(rq = calloc(1, sizeof *rq)))
            return MHD_NO;
        *con_cls = rq;
        return s_begin(self, c, url, method, rq);
    }
    if (*upload_data_size) {
        enum MHD_Result r = s_body(self, rq, upload_data, *upload_data_size);
        *upload_data_size = 0;
        return r;
    }
    return s_finish(self, c, rq);
}

static void
s_on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
               enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)c;
    (void)toe;
    s_req_free(*con_cls);
    *con_cls = NULL;
}

static void s_mhd_log(void *cls, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));

static void
s_mhd_log(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    char buf[512];
    vsnprintf(buf, sizeof buf, fmt, ap);
    size_t n = strlen(buf);
    while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
        buf[--n] = '\0';
    acc_log_warn(TAG, "libmicrohttpd: %s", buf);
}

/* --- start and stop -------------------------------------------------------------------- */

/* "HOST:PORT" or "[V6]:PORT" into a socket address. */
static acc_err
s_parse_bind(const char *bind, struct sockaddr_storage *ss, int *v6, uint16_t *port,
             acc_errinfo_t *ei)
{
    char host[256];
    const char *colon = strrchr(bind, ':');
    if (!colon || colon == bind || !colon[1])
        goto bad;
    size_t hl = (size_t)(colon - bind);
    const char *h = bind;
    if (bind[0] == '[') {
        if (hl < 3 || bind[hl - 1] != ']')
            goto bad;
        h++;
        hl -= 2;
    }
    if (hl >= sizeof host)
        goto bad;
    memcpy(host, h, hl);
    host[hl] = '\0';
    char *end = NULL;
    unsigned long p = strtoul(colon + 1, &end, 10);
    if (*end || p == 0 || p > 65535)
        goto bad;
    struct addrinfo hints = {
        .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV};
    struct addrinfo *res = NULL;
    int rc = getaddrinfo(host, colon + 1, &hints, &res);
    if (rc != 0 || !res) {
        acc_errinfo_set(ei, "http.bind", "cannot resolve '%s': %s", host, gai_strerror(rc));
        return ACC_ERR_CONFIG;
    }
    memset(ss, 0, sizeof *ss);
    memcpy(ss, res->ai_addr, res->ai_addrlen);
    *v6 = res->ai_family == AF_INET6;
    *port = (uint16_t)p;
    freeaddrinfo(res);
    return ACC_OK;
bad:
    acc_errinfo_set(ei, "http.bind", "'%s' is not HOST:PORT (e.g. 127.0.0.1:7408 or [::1]:7408)",
                    bind);
    return ACC_ERR_CONFIG;
}

static acc_err
s_read_pem(const char *path, const char *key, char **out, acc_errinfo_t *ei)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        acc_errinfo_set(ei, key, "cannot open '%s': %s", path, strerror(errno));
        return ACC_ERR_IO;
    }
    size_t cap = 1 << 20, n;
    char *buf = malloc(cap + 1);
    if (!buf) {
        fclose(f);
        return ACC_ERR_NOMEM;
    }
    n = fread(buf, 1, cap, f);
    int bad = ferror(f) || !feof(f) || n == 0;
    fclose(f);
    if (bad) {
        free(buf);
        acc_errinfo_set(ei, key, "cannot read '%s' (empty, unreadable or over 1 MiB)", path);
        return ACC_ERR_IO;
    }
    buf[n] = '\0';
    *out = buf;
    return ACC_OK;
}

void
intake_http_destroy(intake_http_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    intake_http_t *self = *self_p;
    atomic_store(&self->stopping, 1);
    if (self->daemon)
        MHD_stop_daemon(self->daemon);
    if (self->tls_key)
        sodium_memzero(self->tls_key, strlen(self->tls_key));
    free(self->tls_key);
    free(self->tls_cert);
    free(self->src_buckets);
    free(self->ips);
    pthread_mutex_destroy(&self->lock);
    free(self);
    *self_p = NULL;
}

acc_err
intake_http_new(const acc_config_t *cfg, void *zctx, intake_http_t **out, acc_errinfo_t *ei)
{
    acc_err err = ACC_ERR_NOMEM;
    intake_http_t *self = calloc(1, sizeof *self);
    if (!self)
        return ACC_ERR_NOMEM;
    self->cfg = cfg;
    self->zctx = zctx;
    atomic_init(&self->stopping, 0);
    atomic_init(&self->next_request_id, 1);
    pthread_mutex_init(&self->lock, NULL);
    self->src_buckets = calloc(cfg->n_sources ? cfg->n_sources : 1, sizeof *self->src_buckets);
    self->ips = calloc(IP_SLOTS, sizeof *self->ips);
    if (!self->src_buckets || !self->ips)
        goto out;

    struct sockaddr_storage ss;
    int v6 = 0;
    uint16_t port = 0;
    if ((err = s_parse_bind(cfg->http.bind, &ss, &v6, &port, ei)) != ACC_OK)
        goto out;
    int tls =
        cfg->http.tls_cert && cfg->http.tls_cert[0] && cfg->http.tls_key && cfg->http.tls_key[0];
    unsigned int flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG;
    flags |= MHD_is_feature_supported(MHD_FEATURE_EPOLL) == MHD_YES ? MHD_USE_EPOLL : MHD_USE_POLL;
    if (v6)
        flags |= MHD_USE_IPv6;
    struct MHD_OptionItem tls_opts[3] = {
        {MHD_OPTION_END, 0, NULL}, {MHD_OPTION_END, 0, NULL}, {MHD_OPTION_END, 0, NULL}};
    if (tls) {
        if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
            acc_errinfo_set(ei, "http.tls_cert", "this libmicrohttpd was built without TLS");
            err = ACC_ERR_CONFIG;
            goto out;
        }
        if ((err = s_read_pem(cfg->http.tls_key, "http.tls_key", &self->tls_key, ei)) != ACC_OK ||
            (err = s_read_pem(cfg->http.tls_cert, "http.tls_cert", &self->tls_cert, ei)) != ACC_OK)
            goto out;
        flags |= MHD_USE_TLS;
        tls_opts[0] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_KEY, 0, self->tls_key};
        tls_opts[1] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_CERT, 0, self->tls_cert};
    }
    self->daemon = MHD_start_daemon(
        flags, port, NULL, NULL, s_on_request, self, MHD_OPTION_EXTERNAL_LOGGER, s_mhd_log, self,
        MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss, MHD_OPTION_THREAD_POOL_SIZE,
        (unsigned int)POOL_THREADS, MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)CONN_MEMORY,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)CONN_TIMEOUT_S, MHD_OPTION_CONNECTION_LIMIT,
        (unsigned int)CONN_LIMIT, MHD_OPTION_NOTIFY_COMPLETED, s_on_completed, self,
        MHD_OPTION_ARRAY, tls_opts, MHD_OPTION_END);
    if (!self->daemon) {
        acc_errinfo_set(ei, "http.bind", "cannot listen on '%s' (see the log above)",
                        cfg->http.bind);
        err = ACC_ERR_NET;
        goto out;
    }
    const char *scheme = tls ? "https" : "http";
    acc_log_info("intake", "http ingest on %s://%s/ (citizen form at %s://%s/report)", scheme,
                 cfg->http.bind, scheme, cfg->http.bind);
    int loopback = v6 ? IN6_IS_ADDR_LOOPBACK(&((struct sockaddr_in6 *)(void *)&ss)->sin6_addr)
                      : (ntohl(((struct sockaddr_in *)(void *)&ss)->sin_addr.s_addr) >> 24) == 127;
    if (!tls && !loopback)
        acc_log_warn("intake", "http ingest on a non-loopback address without TLS: bearer "
                               "tokens and contact details cross the network in clear text");
    *out = self;
    self = NULL;
    err = ACC_OK;
out:
    intake_http_destroy(&self);
    return err;
}
