/* intake — see intake.h for the store layout and the guarantees. */
#include "intake.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acc_codec.h"
#include "acc_ids.h"
#include "acc_link.h"
#include "acc_log.h"
#include "acc_loop.h"
#include "acc_model.h"
#include "acc_store.h"
#include "acc_text.h"
#include "acc_url.h"
#include "accord/v1/case.pb-c.h"
#include "accord/v1/intake.pb-c.h"
#include "intake_index.h"

#define TAG "intake"
#define CASE_NUMBER_MAX 64
#define SOURCE_MAX 128
#define SOURCE_RECORD_ID_MAX 256
#define LIST_DEFAULT 1000
#define LIST_MAX 10000
/* Observation times before this (2000-01-01) or more than a day ahead are input errors. */
#define OBSERVED_MIN_MS 946684800000LL
#define OBSERVED_SKEW_MS 86400000LL

static const char *const s_tables[] = {"events",       "report_ids", "cases",    "case_numbers",
                                       "case_reports", "meta",       "contacts", "attach_log",
                                       "fed_in",       NULL};
/* Attach-log entries moved into case_reports per idle compaction step. */
#define COMPACT_STEP 20000
#define CONTACT_FIELD_MAX 200

/* One report of a submission, validated before the write transaction (validation and
 * canonicalisation are pure, so a retried transaction does not redo them). */
typedef struct {
    const Accord__V1__Report *rep;              /* borrowed from the request */
    const Accord__V1__ReporterContact *contact; /* borrowed; NULL when none */
    const char *via_agency; /* forwarded by this peer (authenticated), or NULL */
    size_t req, index;      /* which request, which report in it */
    acc_uuid_t id;
    char id_text[ACC_UUID_TEXT_LEN + 1];
    char *canonical_url; /* owned, NULL for text-only reports */
    char *content_key;   /* owned */
    unsigned char hash[32];
    acc_errinfo_t ei;
    Accord__V1__Code code; /* CODE_OK when valid */
    /* written by the transaction (reset on every attempt) */
    int outcome;
    char case_number[CASE_NUMBER_MAX];
} s_prep;

typedef struct {
    unsigned char hash[32];
    uint64_t ordinal;
    uint64_t n;
    int year;
} s_newcase;

/* What changes on a case when a report attaches, kept in memory (see "Case counters" in
 * the file comment of intake.h): per ordinal, the number of reports, the last report's
 * time, and the parts of its number so an attach needs no read. */
typedef struct {
    uint32_t reports;
    uint16_t year;
    uint64_t n;
    int64_t last_ms;
} s_casemem;

typedef struct {
    uint64_t ordinal;
} s_attachment;

struct intake {
    const acc_config_t *cfg;
    acc_store_t *store;
    acc_table t_events, t_report_ids, t_cases, t_case_numbers, t_case_reports, t_meta, t_contacts,
        t_attach_log, t_fed_in;
    /* deliveries of the transaction being built (set by intake_commit) */
    struct s_delivery *deliveries;
    size_t n_deliveries;
    uint64_t attach_pending; /* entries in attach_log not yet compacted */
    int64_t last_write_ms;   /* when the last submission committed (monotonic clock) */
    intake_index_t *index;   /* committed content key -> open case */
    intake_index_t *pending; /* cases opened by the transaction being built */
    acc_uuid_gen_t uuid_gen;
    /* committed counters */
    uint64_t seq, ordinal;
    int year;
    uint64_t year_n;
    /* working state of the transaction being built */
    uint64_t w_seq, w_ordinal, w_year_n;
    int w_year;
    s_prep *preps;
    size_t n_preps;
    s_newcase *newcases;
    size_t n_newcases, cap_newcases;
    s_casemem *cases; /* indexed by ordinal (entry 0 unused); committed state */
    size_t cap_cases;
    s_attachment *attachments; /* attaches of the transaction being built */
    size_t n_attachments, cap_attachments;
    int64_t now_ms;
};

/* Set a string field of a protobuf-c message: NULL/empty keeps the shared default. */
static int
s_set_str(char **field, const char *s)
{
    if (!s || !*s)
        return 0;
    char *d = strdup(s);
    if (!d)
        return -1;
    *field = d;
    return 0;
}

static acc_err
s_meta_get(acc_txn_t *txn, acc_table t, const char *key, uint64_t *out)
{
    const void *v;
    size_t vl;
    acc_err err = acc_store_get(txn, t, key, strlen(key), &v, &vl);
    if (err == ACC_ERR_NOT_FOUND) {
        *out = 0;
        return ACC_OK;
    }
    if (err != ACC_OK)
        return err;
    if (vl != 8)
        return ACC_ERR_STORE;
    *out = acc_store_be_u64(v);
    return ACC_OK;
}

static acc_err
s_meta_put(acc_txn_t *txn, acc_table t, const char *key, uint64_t v)
{
    unsigned char b[8];
    acc_store_u64_be(v, b);
    return acc_store_put(txn, t, key, strlen(key), b, 8, 0);
}

static void
s_year_key(int year, char buf[16])
{
    snprintf(buf, 16, "n/%04d", year);
}

/* --- case counters in memory ------------------------------------------------------ */

/* Make room for ordinal @ordinal in self->cases. */
static acc_err
s_casemem_reserve(intake_t *self, uint64_t ordinal)
{
    if (ordinal < self->cap_cases)
        return ACC_OK;
    size_t cap = self->cap_cases ? self->cap_cases : 1024;
    while (cap <= ordinal)
        cap *= 2;
    s_casemem *m = realloc(self->cases, cap * sizeof *m);
    if (!m)
        return ACC_ERR_NOMEM;
    memset(m + self->cap_cases, 0, (cap - self->cap_cases) * sizeof *m);
    self->cases = m;
    self->cap_cases = cap;
    return ACC_OK;
}

/* Record case @ordinal with @number ("agency/YYYY/NNNNNN"), no reports counted yet. */
static acc_err
s_casemem_add(intake_t *self, uint64_t ordinal, const char *number)
{
    acc_err err = s_casemem_reserve(self, ordinal);
    if (err != ACC_OK)
        return err;
    const char *y = strchr(number, '/');
    if (!y || strlen(y) < 7)
        return ACC_ERR_STORE;
    s_casemem *m = &self->cases[ordinal];
    m->year = (uint16_t)strtoul(y + 1, NULL, 10);
    m->n = strtoull(y + 6, NULL, 10);
    return ACC_OK;
}

/* The committed report count and last report time of a case record being answered. */
static void
s_casemem_fill(const intake_t *self, Accord__V1__Case *c)
{
    if (c->ordinal && c->ordinal < self->cap_cases) {
        c->reports = self->cases[c->ordinal].reports;
        c->last_reported_ms = self->cases[c->ordinal].last_ms;
    }
}

/* --- start-up ---------------------------------------------------------------------- */

static acc_err
s_load(intake_t *self, acc_errinfo_t *ei)
{
    acc_txn_t *txn = NULL;
    acc_cursor_t *cur = NULL;
    acc_err err = acc_store_read_begin(self->store, &txn);
    if (err != ACC_OK)
        goto out;
    if ((err = s_meta_get(txn, self->t_meta, "seq", &self->seq)) != ACC_OK ||
        (err = s_meta_get(txn, self->t_meta, "ordinal", &self->ordinal)) != ACC_OK)
        goto out;
    self->year = acc_ids_year(acc_ids_now_ms(), self->cfg->utc_offset_minutes);
    char yk[16];
    s_year_key(self->year, yk);
    if ((err = s_meta_get(txn, self->t_meta, yk, &self->year_n)) != ACC_OK)
        goto out;

    /* Size the in-memory tables once for the cases the store holds, instead of growing
     * them step by step during the scan below. */
    if ((err = intake_index_reserve(self->index, (size_t)self->ordinal)) != ACC_OK ||
        (err = s_casemem_reserve(self, self->ordinal)) != ACC_OK)
        goto out;
    /* Rebuild the content-key index from the open cases (a sequential scan). */
    if ((err = acc_cursor_open(txn, self->t_cases, &cur)) != ACC_OK)
        goto out;
    const void *k, *v;
    size_t kl, vl;
    uint64_t open = 0;
    for (err = acc_cursor_seek(cur, NULL, 0, &k, &kl, &v, &vl); err == ACC_OK;
         err = acc_cursor_next(cur, &k, &kl, &v, &vl)) {
        Accord__V1__Case *c = accord__v1__case__unpack(NULL, vl, v);
        if (!c || kl != 8) {
            if (c)
                accord__v1__case__free_unpacked(c, NULL);
            acc_errinfo_set(ei, "store", "case record %llu is corrupt",
                            (unsigned long long)(kl == 8 ? acc_store_be_u64(k) : 0));
            err = ACC_ERR_STORE;
            goto out;
        }
        uint64_t ordinal = acc_store_be_u64(k);
        if (c->status != ACCORD__V1__CASE_STATUS__CASE_STATUS_CLOSED) {
            unsigned char h[32];
            acc_text_sha256(c->content_key, strlen(c->content_key), h);
            err = intake_index_put(self->index, h, ordinal);
            open++;
        }
        if (err == ACC_OK)
            err = s_casemem_add(self, ordinal, c->number);
        accord__v1__case__free_unpacked(c, NULL);
        if (err != ACC_OK)
            goto out;
    }
    if (err != ACC_ERR_NOT_FOUND)
        goto out;
    /* Report counts and last times from case_reports (ordinal ‖ seq → received ms), a
     * sequential scan. */
    acc_cursor_close(&cur);
    if ((err = acc_cursor_open(txn, self->t_case_reports, &cur)) != ACC_OK)
        goto out;
    for (err = acc_cursor_seek(cur, NULL, 0, &k, &kl, &v, &vl); err == ACC_OK;
         err = acc_cursor_next(cur, &k, &kl, &v, &vl)) {
        uint64_t ordinal = kl == 16 ? acc_store_be_u64(k) : 0;
        if (!ordinal || ordinal >= self->cap_cases || vl != 8) {
            acc_errinfo_set(ei, "store", "case_reports entry for case %llu is corrupt",
                            (unsigned long long)ordinal);
            err = ACC_ERR_STORE;
            goto out;
        }
        s_casemem *m = &self->cases[ordinal];
        int64_t ms = (int64_t)acc_store_be_u64(v);
        m->reports++;
        if (ms > m->last_ms)
            m->last_ms = ms;
    }
    if (err != ACC_ERR_NOT_FOUND)
        goto out;
    /* ... and from the attachments not yet compacted into case_reports (seq → ordinal ‖ ms). */
    acc_cursor_close(&cur);
    if ((err = acc_cursor_open(txn, self->t_attach_log, &cur)) != ACC_OK)
        goto out;
    for (err = acc_cursor_seek(cur, NULL, 0, &k, &kl, &v, &vl); err == ACC_OK;
         err = acc_cursor_next(cur, &k, &kl, &v, &vl)) {
        uint64_t ordinal = vl == 16 ? acc_store_be_u64(v) : 0;
        if (!ordinal || ordinal >= self->cap_cases || kl != 8) {
            acc_errinfo_set(ei, "store", "attach_log entry for case %llu is corrupt",
                            (unsigned long long)ordinal);
            err = ACC_ERR_STORE;
            goto out;
        }
        s_casemem *m = &self->cases[ordinal];
        int64_t ms = (int64_t)acc_store_be_u64((const unsigned char *)v + 8);
        m->reports++;
        if (ms > m->last_ms)
            m->last_ms = ms;
        self->attach_pending++;
    }
    if (err == ACC_ERR_NOT_FOUND)
        err = ACC_OK;
    acc_log_info(TAG, "store loaded: %llu reports, %llu cases (%llu open)",
                 (unsigned long long)self->seq, (unsigned long long)self->ordinal,
                 (unsigned long long)open);
out:
    acc_cursor_close(&cur);
    acc_store_read_end(&txn);
    return err;
}

acc_err
intake_new(const acc_config_t *cfg, intake_t **out, acc_errinfo_t *ei)
{
    acc_err err = ACC_ERR_NOMEM;
    intake_t *self = calloc(1, sizeof *self);
    if (!self)
        return ACC_ERR_NOMEM;
    self->cfg = cfg;
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/intake", cfg->data_dir);
    acc_store_opts_t opts = {
        .tables = s_tables,
        .map_size = (uint64_t)cfg->intake.map_size_mb << 20,
        .map_max = (uint64_t)cfg->intake.map_max_mb << 20,
    };
    if ((err = acc_store_open(dir, &opts, &self->store, ei)) != ACC_OK)
        goto fail;
    acc_store_table(self->store, "events", &self->t_events);
    acc_store_table(self->store, "report_ids", &self->t_report_ids);
    acc_store_table(self->store, "cases", &self->t_cases);
    acc_store_table(self->store, "case_numbers", &self->t_case_numbers);
    acc_store_table(self->store, "case_reports", &self->t_case_reports);
    acc_store_table(self->store, "meta", &self->t_meta);
    acc_store_table(self->store, "contacts", &self->t_contacts);
    acc_store_table(self->store, "attach_log", &self->t_attach_log);
    acc_store_table(self->store, "fed_in", &self->t_fed_in);
    if ((err = intake_index_new(4096, &self->index)) != ACC_OK ||
        (err = intake_index_new((size_t)cfg->intake.batch_max, &self->pending)) != ACC_OK)
        goto fail;
    if ((err = s_load(self, ei)) != ACC_OK)
        goto fail;
    *out = self;
    return ACC_OK;
fail:
    intake_destroy(&self);
    return err;
}

void
intake_destroy(intake_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    intake_t *self = *self_p;
    acc_store_destroy(&self->store);
    intake_index_destroy(&self->index);
    intake_index_destroy(&self->pending);
    free(self->preps);
    free(self->newcases);
    free(self->cases);
    free(self->attachments);
    free(self);
    *self_p = NULL;
}

acc_store_t *
intake_store(intake_t *self)
{
    return self->store;
}

unsigned int
intake_events_table(const intake_t *self)
{
    return self->t_events;
}

uint64_t
intake_head(const intake_t *self)
{
    return self->seq;
}

void
intake_maintain(intake_t *self)
{
    acc_store_maintain(self->store);
}

typedef struct {
    intake_t *self;
    uint64_t moved;
} s_compaction;

/* Move the oldest attach_log entries (up to COMPACT_STEP) into case_reports. */
static acc_err
s_compact(acc_txn_t *txn, void *arg)
{
    s_compaction *c = arg;
    intake_t *self = c->self;
    acc_cursor_t *cur = NULL;
    c->moved = 0;
    acc_err err = acc_cursor_open(txn, self->t_attach_log, &cur);
    if (err != ACC_OK)
        return err;
    unsigned char keys[64][8];
    const void *k, *v;
    size_t kl, vl;
    for (;;) {
        /* Collect a few keys, then write: a cursor must not be used across puts into the
         * table it walks. */
        size_t n = 0;
        for (err = acc_cursor_seek(cur, NULL, 0, &k, &kl, &v, &vl); err == ACC_OK && n < 64;
             err = acc_cursor_next(cur, &k, &kl, &v, &vl)) {
            if (kl != 8 || vl != 16) {
                err = ACC_ERR_STORE;
                break;
            }
            unsigned char ck[16];
            memcpy(ck, v, 8);
            memcpy(ck + 8, k, 8);
            unsigned char ms[8];
            memcpy(ms, (const unsigned char *)v + 8, 8);
            memcpy(keys[n++], k, 8);
            if ((err = acc_store_put(txn, self->t_case_reports, ck, 16, ms, 8, 0)) != ACC_OK)
                break;
        }
        if (err != ACC_OK && err != ACC_ERR_NOT_FOUND)
            break;
        for (size_t i = 0; i < n; i++)
            if ((err = acc_store_del(txn, self->t_attach_log, keys[i], 8)) != ACC_OK)
                goto out;
        c->moved += n;
        if (n < 64 || c->moved >= COMPACT_STEP) {
            err = ACC_OK;
            break;
        }
    }
out:
    acc_cursor_close(&cur);
    return err;
}

void
intake_idle(intake_t *self)
{
    /* Only when nothing was committed for half a second: compaction must not take the
     * fsync budget of a busy intake. */
    if (!self->attach_pending || acc_loop_now_ms() - self->last_write_ms < 500)
        return;
    s_compaction c = {.self = self};
    acc_err err = acc_store_write(self->store, s_compact, &c);
    if (err != ACC_OK) {
        acc_log_warn(TAG, "compaction of attach_log failed: %s", acc_strerror(err));
        return;
    }
    self->attach_pending = c.moved >= self->attach_pending ? 0 : self->attach_pending - c.moved;
    if (c.moved < COMPACT_STEP)
        self->attach_pending = 0; /* the log is empty */
}

/* --- responses --------------------------------------------------------------------- */

static Accord__V1__Status *
s_status(Accord__V1__Code code, const char *field, const char *msg)
{
    Accord__V1__Status *st = malloc(sizeof *st);
    if (!st)
        return NULL;
    accord__v1__status__init(st);
    st->code = code;
    if (s_set_str(&st->field, field) || s_set_str(&st->message, msg)) {
        accord__v1__status__free_unpacked(st, NULL);
        return NULL;
    }
    return st;
}

Accord__V1__Response *
intake_error_response(uint64_t request_id, Accord__V1__Code code, const char *field,
                      const char *msg)
{
    Accord__V1__Response *r = malloc(sizeof *r);
    if (!r)
        return NULL;
    accord__v1__response__init(r);
    r->request_id = request_id;
    r->status = s_status(code, field, msg);
    if (!r->status) {
        free(r);
        return NULL;
    }
    return r;
}

static Accord__V1__Code
s_code(acc_err err)
{
    switch (err) {
    case ACC_ERR_INVALID:
    case ACC_ERR_UTF8:
    case ACC_ERR_DECODE:
        return ACCORD__V1__CODE__CODE_INVALID;
    case ACC_ERR_TOO_LARGE:
        return ACCORD__V1__CODE__CODE_TOO_LARGE;
    case ACC_ERR_NOT_FOUND:
        return ACCORD__V1__CODE__CODE_NOT_FOUND;
    case ACC_ERR_FULL:
    case ACC_ERR_UNAVAILABLE:
        return ACCORD__V1__CODE__CODE_RETRY;
    case ACC_ERR_DENIED:
        return ACCORD__V1__CODE__CODE_DENIED;
    default:
        return ACCORD__V1__CODE__CODE_INTERNAL;
    }
}

/* --- validation -------------------------------------------------------------------- */

static void s_reject(s_prep *p, acc_err err, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void
s_reject(s_prep *p, acc_err err, const char *field, const char *fmt, ...)
{
    snprintf(p->ei.field, sizeof p->ei.field, "reports[%zu]%s%s", p->index, *field ? "." : "",
             field);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->ei.msg, sizeof p->ei.msg, fmt, ap);
    va_end(ap);
    p->code = s_code(err);
}

static void
s_validate(intake_t *self, s_prep *p, int64_t now_ms)
{
    const Accord__V1__Report *r = p->rep;
    const acc_config_t *cfg = self->cfg;
    char num[32];
    p->code = ACCORD__V1__CODE__CODE_OK;

    if (r->id[0]) {
        if (acc_uuid_parse(r->id, strlen(r->id), &p->id) != ACC_OK)
            return s_reject(p, ACC_ERR_INVALID, "id", "'%s' is not a UUID", r->id);
    } else {
        acc_uuid_v7(&self->uuid_gen, &p->id);
    }
    acc_uuid_format(&p->id, p->id_text);

    size_t url_len = strlen(r->url), text_len = strlen(r->text);
    if (!url_len && !text_len)
        return s_reject(p, ACC_ERR_INVALID, "", "a report needs a url or a text%s", "");
    if ((int64_t)url_len > cfg->limits.url_max_bytes) {
        snprintf(num, sizeof num, "%lld", (long long)cfg->limits.url_max_bytes);
        return s_reject(p, ACC_ERR_TOO_LARGE, "url", "longer than %s bytes", num);
    }
    if ((int64_t)text_len > cfg->limits.text_max_bytes) {
        snprintf(num, sizeof num, "%lld", (long long)cfg->limits.text_max_bytes);
        return s_reject(p, ACC_ERR_TOO_LARGE, "text", "longer than %s bytes", num);
    }
    if ((int64_t)strlen(r->description) > cfg->limits.text_max_bytes) {
        snprintf(num, sizeof num, "%lld", (long long)cfg->limits.text_max_bytes);
        return s_reject(p, ACC_ERR_TOO_LARGE, "description", "longer than %s bytes", num);
    }
    if (!r->category[0])
        return s_reject(p, ACC_ERR_INVALID, "category", "missing category%s", "");
    if (!acc_config_category(cfg, r->category)) {
        char list[1024], msg[1400];
        acc_config_category_list(cfg, list, sizeof list);
        snprintf(msg, sizeof msg, "unknown category '%.64s'; valid: %s", r->category, list);
        return s_reject(p, ACC_ERR_INVALID, "category", "%s", msg);
    }
    if (strlen(r->source) > SOURCE_MAX)
        return s_reject(p, ACC_ERR_TOO_LARGE, "source", "longer than %s bytes", "128");
    if (strlen(r->source_record_id) > SOURCE_RECORD_ID_MAX)
        return s_reject(p, ACC_ERR_TOO_LARGE, "source_record_id", "longer than %s bytes", "256");
    if (r->confidence > 100)
        return s_reject(p, ACC_ERR_INVALID, "confidence", "must be between 0 and 100%s", "");
    if (r->observed_at_ms != 0 &&
        (r->observed_at_ms < OBSERVED_MIN_MS || r->observed_at_ms > now_ms + OBSERVED_SKEW_MS))
        return s_reject(p, ACC_ERR_INVALID, "observed_at",
                        "must be after 2000-01-01 and not in the future%s", "");

    acc_errinfo_t uei = {{0}, {0}};
    if (url_len) {
        acc_err err =
            acc_url_canonicalize(r->url, url_len, ACC_URL_CANONICAL, &p->canonical_url, &uei);
        if (err != ACC_OK)
            return s_reject(p, err, "url", "%s", uei.msg[0] ? uei.msg : acc_strerror(err));
        /* Safe Browsing keeps a host like "%20a%20b" (escaped spaces or control bytes);
         * no such host exists in DNS, so for a case it means the URL did not parse. */
        char host[1024];
        if (acc_url_host(p->canonical_url, host, sizeof host) != ACC_OK || strchr(host, '%'))
            return s_reject(p, ACC_ERR_INVALID, "url",
                            "the host name has spaces or characters a host cannot have");
        p->content_key = strdup(p->canonical_url);
    } else {
        acc_err err = acc_text_content_key(r->text, text_len, &p->content_key);
        if (err != ACC_OK)
            return s_reject(p, err, "text", "%s",
                            err == ACC_ERR_INVALID ? "text is empty after folding white space"
                                                   : acc_strerror(err));
    }
    if (!p->content_key)
        return s_reject(p, ACC_ERR_NOMEM, "", "%s", "out of memory");
    acc_text_sha256(p->content_key, strlen(p->content_key), p->hash);
}

/* --- the write transaction ----------------------------------------------------------- */

static acc_err
s_case_get(intake_t *self, acc_txn_t *txn, uint64_t ordinal, Accord__V1__Case **out)
{
    unsigned char k[8];
    acc_store_u64_be(ordinal, k);
    const void *v;
    size_t vl;
    acc_err err = acc_store_get(txn, self->t_cases, k, 8, &v, &vl);
    if (err != ACC_OK)
        return err == ACC_ERR_NOT_FOUND ? ACC_ERR_STORE : err;
    *out = accord__v1__case__unpack(NULL, vl, v);
    return *out ? ACC_OK : ACC_ERR_STORE;
}

static acc_err
s_case_put(intake_t *self, acc_txn_t *txn, uint64_t ordinal, const Accord__V1__Case *c, int flags)
{
    unsigned char k[8];
    acc_store_u64_be(ordinal, k);
    size_t n = accord__v1__case__get_packed_size(c);
    unsigned char stackbuf[2048];
    unsigned char *b = n <= sizeof stackbuf ? stackbuf : malloc(n);
    if (!b)
        return ACC_ERR_NOMEM;
    accord__v1__case__pack(c, b);
    acc_err err = acc_store_put(txn, self->t_cases, k, 8, b, n, flags);
    if (b != stackbuf)
        free(b);
    return err;
}

/* Attach @p to the open case @ordinal. The case record is written once, when the case
 * opens: what an attach changes (the count, the last time) is derived from case_reports
 * and kept in memory, so an attach costs no read and no rewrite of an old page. */
static acc_err
s_attach(intake_t *self, acc_txn_t *txn, s_prep *p, uint64_t ordinal)
{
    (void)txn;
    int year;
    uint64_t n;
    if (ordinal < self->cap_cases && self->cases[ordinal].year) {
        year = self->cases[ordinal].year;
        n = self->cases[ordinal].n;
    } else {
        /* opened by this very transaction: not yet in the committed table */
        int found = 0;
        year = 0;
        n = 0;
        for (size_t i = self->n_newcases; i-- > 0 && !found;)
            if (self->newcases[i].ordinal == ordinal) {
                year = self->newcases[i].year;
                n = self->newcases[i].n;
                found = 1;
            }
        if (!found)
            return ACC_ERR_INTERNAL;
    }
    acc_err err =
        acc_case_number_format(self->cfg->agency, year, n, p->case_number, sizeof p->case_number);
    if (err != ACC_OK)
        return err;
    if (self->n_attachments == self->cap_attachments) {
        size_t cap = self->cap_attachments ? self->cap_attachments * 2 : 256;
        s_attachment *a = realloc(self->attachments, cap * sizeof *a);
        if (!a)
            return ACC_ERR_NOMEM;
        self->attachments = a;
        self->cap_attachments = cap;
    }
    self->attachments[self->n_attachments++].ordinal = ordinal;
    p->outcome = ACCORD__V1__OUTCOME__OUTCOME_ATTACHED;
    return ACC_OK;
}

/* Open a new case for @p; returns its ordinal through @out. */
static acc_err
s_open_case(intake_t *self, acc_txn_t *txn, s_prep *p, uint64_t *out)
{
    acc_err err;
    int year = acc_ids_year(self->now_ms, self->cfg->utc_offset_minutes);
    char yk[16];
    if (year != self->w_year) {
        /* A new year: its numbering starts from what the store says (1 when fresh). */
        s_year_key(self->w_year, yk);
        if ((err = s_meta_put(txn, self->t_meta, yk, self->w_year_n)) != ACC_OK)
            return err;
        self->w_year = year;
        s_year_key(year, yk);
        if ((err = s_meta_get(txn, self->t_meta, yk, &self->w_year_n)) != ACC_OK)
            return err;
    }
    uint64_t ordinal = ++self->w_ordinal;
    uint64_t n = ++self->w_year_n;
    if ((err = acc_case_number_format(self->cfg->agency, year, n, p->case_number,
                                      sizeof p->case_number)) != ACC_OK)
        return err;
    Accord__V1__Case c;
    accord__v1__case__init(&c);
    c.number = p->case_number;
    c.status = ACCORD__V1__CASE_STATUS__CASE_STATUS_OPEN;
    c.category = (char *)p->rep->category;
    c.content_key = p->content_key;
    if (p->canonical_url)
        c.url = p->canonical_url;
    c.reports = 1;
    c.first_reported_ms = c.last_reported_ms = self->now_ms;
    c.ordinal = ordinal;
    if ((err = s_case_put(self, txn, ordinal, &c, ACC_PUT_APPEND)) != ACC_OK)
        return err;
    unsigned char ok[8];
    acc_store_u64_be(ordinal, ok);
    if ((err = acc_store_put(txn, self->t_case_numbers, p->case_number, strlen(p->case_number), ok,
                             8, ACC_PUT_NOOVERWRITE)) != ACC_OK)
        return err == ACC_ERR_EXISTS ? ACC_ERR_STORE : err;
    if ((err = intake_index_put(self->pending, p->hash, ordinal)) != ACC_OK)
        return err;
    if (self->n_newcases == self->cap_newcases) {
        size_t cap = self->cap_newcases ? self->cap_newcases * 2 : 256;
        s_newcase *nc = realloc(self->newcases, cap * sizeof *nc);
        if (!nc)
            return ACC_ERR_NOMEM;
        self->newcases = nc;
        self->cap_newcases = cap;
    }
    s_newcase *nc2 = &self->newcases[self->n_newcases++];
    memcpy(nc2->hash, p->hash, 32);
    nc2->ordinal = ordinal;
    nc2->year = year;
    nc2->n = n;
    p->outcome = ACCORD__V1__OUTCOME__OUTCOME_NEW_CASE;
    *out = ordinal;
    return ACC_OK;
}

static acc_err
s_store_report(intake_t *self, acc_txn_t *txn, s_prep *p, uint64_t ordinal)
{
    uint64_t seq = ++self->w_seq;
    Accord__V1__Report rep = *p->rep; /* shallow copy: the id may be one we assigned */
    rep.id = p->id_text;
    /* Trust is this node's judgement of the source, never the submitter's claim. */
    const acc_source_cfg_t *src = acc_config_source(self->cfg, rep.source);
    rep.trust = src ? src->trust : (char *)"";
    if (src && rep.confidence == 0)
        rep.confidence = (uint32_t)src->confidence;
    Accord__V1__StoredReport sr;
    accord__v1__stored_report__init(&sr);
    sr.seq = seq;
    sr.report = &rep;
    sr.case_number = p->case_number;
    sr.opened_case = p->outcome == ACCORD__V1__OUTCOME__OUTCOME_NEW_CASE;
    sr.content_key = p->content_key;
    sr.received_at_ms = self->now_ms;
    sr.has_contact = p->contact != NULL;
    if (p->via_agency)
        sr.via_agency = (char *)p->via_agency;
    /* The events table is intake's stream: one IntakeEvent per sequence number. */
    Accord__V1__IntakeEvent ev;
    accord__v1__intake_event__init(&ev);
    ev.body_case = ACCORD__V1__INTAKE_EVENT__BODY_REPORT;
    ev.report = &sr;

    unsigned char k[16];
    acc_store_u64_be(seq, k);
    size_t n = accord__v1__intake_event__get_packed_size(&ev);
    unsigned char stackbuf[4096];
    unsigned char *b = n <= sizeof stackbuf ? stackbuf : malloc(n);
    if (!b)
        return ACC_ERR_NOMEM;
    accord__v1__intake_event__pack(&ev, b);
    acc_err err = acc_store_put(txn, self->t_events, k, 8, b, n, ACC_PUT_APPEND);
    if (b != stackbuf)
        free(b);
    if (err != ACC_OK)
        return err;

    /* report_ids: seq ‖ case number, so a repeated id is answered without a decode. */
    unsigned char v[8 + CASE_NUMBER_MAX];
    size_t cl = strlen(p->case_number);
    memcpy(v, k, 8);
    memcpy(v + 8, p->case_number, cl);
    if ((err = acc_store_put(txn, self->t_report_ids, p->id.b, 16, v, 8 + cl,
                             ACC_PUT_NOOVERWRITE)) != ACC_OK)
        return err == ACC_ERR_EXISTS ? ACC_ERR_STORE : err;

    if (p->contact) {
        /* Node-local only: this table is never part of a stream or a federated message. */
        Accord__V1__ReporterContact c = *p->contact;
        c.index = 0;
        unsigned char cb[4 * CONTACT_FIELD_MAX + 32];
        size_t cl2 = accord__v1__reporter_contact__get_packed_size(&c);
        if (cl2 > sizeof cb)
            return ACC_ERR_INTERNAL;
        accord__v1__reporter_contact__pack(&c, cb);
        if ((err = acc_store_put(txn, self->t_contacts, k, 8, cb, cl2, ACC_PUT_APPEND)) != ACC_OK)
            return err;
    }

    if (p->outcome == ACCORD__V1__OUTCOME__OUTCOME_ATTACHED) {
        /* An attachment to an older case would be a random page write in case_reports;
         * it goes to the append-only attach_log (seq → ordinal ‖ ms) instead, and moves
         * into case_reports later, when intake is idle (intake_idle). */
        unsigned char v2[16];
        acc_store_u64_be(ordinal, v2);
        acc_store_u64_be((uint64_t)self->now_ms, v2 + 8);
        return acc_store_put(txn, self->t_attach_log, k, 8, v2, 16, ACC_PUT_APPEND);
    }
    acc_store_u64_be(ordinal, k);
    acc_store_u64_be(seq, k + 8);
    unsigned char ms[8];
    acc_store_u64_be((uint64_t)self->now_ms, ms);
    return acc_store_put(txn, self->t_case_reports, k, 16, ms, 8, 0);
}

/* Store one validated report: already present (same id), attached, or a new case. */
static acc_err
s_apply_report(intake_t *self, acc_txn_t *txn, s_prep *p)
{
    p->outcome = ACCORD__V1__OUTCOME__OUTCOME_REJECTED;
    p->case_number[0] = '\0';
    if (p->code != ACCORD__V1__CODE__CODE_OK)
        return ACC_OK;
    const void *v;
    size_t vl;
    acc_err err = acc_store_get(txn, self->t_report_ids, p->id.b, 16, &v, &vl);
    if (err == ACC_OK) {
        size_t cl = vl > 8 ? vl - 8 : 0;
        if (cl >= sizeof p->case_number)
            return ACC_ERR_STORE;
        memcpy(p->case_number, (const char *)v + 8, cl);
        p->case_number[cl] = '\0';
        p->outcome = ACCORD__V1__OUTCOME__OUTCOME_ALREADY_PRESENT;
        return ACC_OK;
    }
    if (err != ACC_ERR_NOT_FOUND)
        return err;
    uint64_t ordinal = intake_index_get(self->pending, p->hash);
    if (!ordinal)
        ordinal = intake_index_get(self->index, p->hash);
    if (ordinal)
        err = s_attach(self, txn, p, ordinal);
    else
        err = s_open_case(self, txn, p, &ordinal);
    if (err != ACC_OK)
        return err;
    return s_store_report(self, txn, p, ordinal);
}

/* --- federation: envelopes delivered by peers ----------------------------------------- */

/* One Deliver request from an authenticated peer, and its per-envelope answers. */
typedef struct s_delivery {
    const Accord__V1__Deliver *deliver; /* borrowed from the request */
    const char *agency;                 /* the CURVE-authenticated sender */
    size_t req;                         /* which request */
    Accord__V1__DeliveryStatus *status; /* per envelope, set by the transaction */
    char (*reason)[160];
} s_delivery;

static acc_err
s_append_event(intake_t *self, acc_txn_t *txn, const Accord__V1__IntakeEvent *ev)
{
    uint64_t seq = ++self->w_seq;
    unsigned char k[8];
    acc_store_u64_be(seq, k);
    size_t n = accord__v1__intake_event__get_packed_size(ev);
    unsigned char stackbuf[4096];
    unsigned char *b = n <= sizeof stackbuf ? stackbuf : malloc(n);
    if (!b)
        return ACC_ERR_NOMEM;
    accord__v1__intake_event__pack(ev, b);
    acc_err err = acc_store_put(txn, self->t_events, k, 8, b, n, ACC_PUT_APPEND);
    if (b != stackbuf)
        free(b);
    return err;
}

/* Refuse envelope @i of @d for good: the reason goes to the sender and, as an event, to the
 * node's statistics (refused peer messages by agency). */
static acc_err
s_refuse(intake_t *self, acc_txn_t *txn, s_delivery *d, size_t i, const char *reason)
{
    d->status[i] = ACCORD__V1__DELIVERY_STATUS__DELIVERY_STATUS_REJECTED;
    snprintf(d->reason[i], sizeof d->reason[i], "%s", reason);
    acc_log_warn(TAG, "refused an envelope from '%s': %s", d->agency, reason);
    Accord__V1__Rejection rj;
    accord__v1__rejection__init(&rj);
    rj.from_agency = (char *)d->agency;
    char what[96];
    snprintf(what, sizeof what, "envelope %llu",
             (unsigned long long)d->deliver->envelopes[i]->sequence);
    rj.what = what;
    rj.reason = d->reason[i];
    rj.at_ms = self->now_ms;
    Accord__V1__IntakeEvent ev;
    accord__v1__intake_event__init(&ev);
    ev.body_case = ACCORD__V1__INTAKE_EVENT__BODY_REJECTION;
    ev.rejection = &rj;
    return s_append_event(self, txn, &ev);
}

static const acc_peer_cfg_t *
s_peer(const acc_config_t *cfg, const char *agency)
{
    for (size_t i = 0; i < cfg->n_peers; i++)
        if (strcmp(cfg->peers[i].agency, agency) == 0)
            return &cfg->peers[i];
    return NULL;
}

/* Apply the envelopes of one delivery, in order, each exactly once. */
static acc_err
s_apply_delivery(intake_t *self, acc_txn_t *txn, s_delivery *d)
{
    const Accord__V1__Deliver *dv = d->deliver;
    const acc_peer_cfg_t *peer = s_peer(self->cfg, d->agency);
    int gap = 0;
    acc_err err;
    for (size_t i = 0; i < dv->n_envelopes; i++) {
        const Accord__V1__Envelope *e = dv->envelopes[i];
        d->reason[i][0] = '\0';
        char why[160];
        if (gap) {
            d->status[i] = ACCORD__V1__DELIVERY_STATUS__DELIVERY_STATUS_RETRY;
            snprintf(d->reason[i], sizeof d->reason[i], "an earlier envelope is missing");
            continue;
        }
        /* The sender's sequence is numbered per authenticated agency: check and mark it
         * under that agency, so that an envelope refused below is still consumed. */
        Accord__V1__DeliveryStatus st =
            acc_link_inbound_check(txn, self->t_fed_in, d->agency, e->sequence);
        if (st != ACCORD__V1__DELIVERY_STATUS__DELIVERY_STATUS_OK) {
            d->status[i] = st;
            if (st == ACCORD__V1__DELIVERY_STATUS__DELIVERY_STATUS_RETRY) {
                gap = 1;
                snprintf(d->reason[i], sizeof d->reason[i], "an earlier envelope is missing");
            }
            continue;
        }
        if ((err = acc_link_inbound_mark(txn, self->t_fed_in, d->agency, e->sequence)) != ACC_OK)
            return err;
        /* The origin is the authenticated agency, never what the envelope claims. */
        if (strcmp(e->origin, d->agency) != 0) {
            snprintf(why, sizeof why, "origin '%.40s' differs from the authenticated agency '%s'",
                     e->origin, d->agency);
            if ((err = s_refuse(self, txn, d, i, why)) != ACC_OK)
                return err;
            continue;
        }
        d->status[i] = ACCORD__V1__DELIVERY_STATUS__DELIVERY_STATUS_OK;
        acc_role role = peer ? peer->role : 0;
        if (!peer) {
            err = s_refuse(self, txn, d, i, "not a configured peer of this node");
        } else if (e->schema_version != 1) {
            err = s_refuse(self, txn, d, i, "unsupported schema version (this node speaks 1)");
        } else if (e->body_case == ACCORD__V1__ENVELOPE__BODY_REPORT) {
            /* Reports come to the lead from the agencies it coordinates (or its children). */
            if (role != ACC_ROLE_COORDINATING && role != ACC_ROLE_CHILD) {
                snprintf(why, sizeof why, "a %s may not send reports to this node",
                         acc_role_name(role));
                err = s_refuse(self, txn, d, i, why);
            } else {
                s_prep p;
                memset(&p, 0, sizeof p);
                p.rep = e->report;
                p.via_agency = d->agency;
                s_validate(self, &p, self->now_ms);
                if (p.code != ACCORD__V1__CODE__CODE_OK) {
                    snprintf(why, sizeof why, "report: %.40s: %.100s", p.ei.field, p.ei.msg);
                    err = s_refuse(self, txn, d, i, why);
                } else {
                    err = s_apply_report(self, txn, &p);
                }
                free(p.canonical_url);
                free(p.content_key);
            }
        } else if (e->body_case == ACCORD__V1__ENVELOPE__BODY_MEASURE ||
                   e->body_case == ACCORD__V1__ENVELOPE__BODY_MEASURE_UPDATE) {
            /* Only the lead assigns measures; updates come from the agencies we assigned
             * to (that the updater owns the measure is checked by assignment). */
            int is_measure = e->body_case == ACCORD__V1__ENVELOPE__BODY_MEASURE;
            if (is_measure ? role != ACC_ROLE_LEAD
                           : (role != ACC_ROLE_COORDINATING && role != ACC_ROLE_CHILD)) {
                snprintf(why, sizeof why, "a %s may not send %s to this node", acc_role_name(role),
                         is_measure ? "measures" : "measure updates");
                err = s_refuse(self, txn, d, i, why);
            } else {
                Accord__V1__ReceivedEnvelope re;
                accord__v1__received_envelope__init(&re);
                re.envelope = (Accord__V1__Envelope *)e;
                re.received_ms = self->now_ms;
                Accord__V1__IntakeEvent ev;
                accord__v1__intake_event__init(&ev);
                ev.body_case = ACCORD__V1__INTAKE_EVENT__BODY_ENVELOPE;
                ev.envelope = &re;
                err = s_append_event(self, txn, &ev);
            }
        } else {
            err = s_refuse(self, txn, d, i, "the envelope has no body");
        }
        if (err != ACC_OK)
            return err;
    }
    return ACC_OK;
}

static acc_err
s_apply(acc_txn_t *txn, void *arg)
{
    intake_t *self = arg;
    acc_err err;
    /* Every attempt starts from the committed state (acc_store_write may rerun us). */
    self->w_seq = self->seq;
    self->w_ordinal = self->ordinal;
    self->w_year = self->year;
    self->w_year_n = self->year_n;
    self->n_newcases = 0;
    self->n_attachments = 0;
    intake_index_clear(self->pending);

    for (size_t i = 0; i < self->n_preps; i++)
        if ((err = s_apply_report(self, txn, &self->preps[i])) != ACC_OK)
            return err;
    for (size_t i = 0; i < self->n_deliveries; i++)
        if ((err = s_apply_delivery(self, txn, &self->deliveries[i])) != ACC_OK)
            return err;
    if (self->w_seq != self->seq && (err = s_meta_put(txn, self->t_meta, "seq", self->w_seq)))
        return err;
    if (self->w_ordinal != self->ordinal) {
        char yk[16];
        s_year_key(self->w_year, yk);
        if ((err = s_meta_put(txn, self->t_meta, "ordinal", self->w_ordinal)) != ACC_OK ||
            (err = s_meta_put(txn, self->t_meta, yk, self->w_year_n)) != ACC_OK)
            return err;
    }
    /* Make the room now so that publishing the new cases after the commit cannot fail. */
    if ((err = s_casemem_reserve(self, self->w_ordinal)) != ACC_OK)
        return err;
    return intake_index_reserve(self->index, self->n_newcases);
}

/* --- submissions ------------------------------------------------------------------- */

static Accord__V1__Response *
s_submit_response(intake_t *self, const Accord__V1__Request *req, size_t reqi, acc_err werr)
{
    Accord__V1__Response *r = NULL;
    if (werr != ACC_OK) {
        char msg[256];
        snprintf(msg, sizeof msg, "%s: nothing of this request was stored; send it again later",
                 werr == ACC_ERR_FULL ? "the store is full (disk or map limit)"
                                      : acc_strerror(werr));
        return intake_error_response(req->request_id,
                                     werr == ACC_ERR_FULL ? ACCORD__V1__CODE__CODE_RETRY
                                                          : ACCORD__V1__CODE__CODE_INTERNAL,
                                     "", msg);
    }
    r = intake_error_response(req->request_id, ACCORD__V1__CODE__CODE_OK, NULL, NULL);
    if (!r)
        return NULL;
    Accord__V1__SubmitResult *sr = malloc(sizeof *sr);
    if (!sr)
        goto fail;
    accord__v1__submit_result__init(sr);
    r->body_case = ACCORD__V1__RESPONSE__BODY_SUBMIT;
    r->submit = sr;
    size_t n = req->submit->n_reports;
    sr->results = calloc(n ? n : 1, sizeof *sr->results);
    if (!sr->results)
        goto fail;
    for (size_t i = 0; i < self->n_preps; i++) {
        s_prep *p = &self->preps[i];
        if (p->req != reqi)
            continue;
        Accord__V1__ReportResult *rr = malloc(sizeof *rr);
        if (!rr)
            goto fail;
        accord__v1__report_result__init(rr);
        sr->results[sr->n_results++] = rr;
        rr->index = (uint32_t)p->index;
        rr->outcome = p->outcome;
        if (s_set_str(&rr->report_id, p->id_text[0] ? p->id_text : p->rep->id) ||
            s_set_str(&rr->case_number, p->case_number))
            goto fail;
        if (p->code != ACCORD__V1__CODE__CODE_OK) {
            rr->outcome = ACCORD__V1__OUTCOME__OUTCOME_REJECTED;
            if (!(rr->error = s_status(p->code, p->ei.field, p->ei.msg)))
                goto fail;
        }
    }
    return r;
fail:
    accord__v1__response__free_unpacked(r, NULL);
    return NULL;
}

/* The answer to a Deliver: one ack per envelope, in order; when the transaction failed,
 * RETRY for all of them (nothing was applied). */
static Accord__V1__Response *
s_deliver_response(const Accord__V1__Request *req, const s_delivery *d, acc_err werr)
{
    Accord__V1__Response *r =
        intake_error_response(req->request_id, ACCORD__V1__CODE__CODE_OK, NULL, NULL);
    Accord__V1__DeliverResult *dr = r ? malloc(sizeof *dr) : NULL;
    if (!dr)
        goto fail;
    accord__v1__deliver_result__init(dr);
    r->body_case = ACCORD__V1__RESPONSE__BODY_DELIVERED;
    r->delivered = dr;
    size_t ne = d->deliver->n_envelopes;
    dr->acks = calloc(ne ? ne : 1, sizeof *dr->acks);
    if (!dr->acks)
        goto fail;
    for (size_t i = 0; i < ne; i++) {
        Accord__V1__DeliveryAck *a = malloc(sizeof *a);
        if (!a)
            goto fail;
        accord__v1__delivery_ack__init(a);
        dr->acks[dr->n_acks++] = a;
        a->sequence = d->deliver->envelopes[i]->sequence;
        if (werr != ACC_OK) {
            a->status = ACCORD__V1__DELIVERY_STATUS__DELIVERY_STATUS_RETRY;
            if (s_set_str(&a->reason, werr == ACC_ERR_FULL ? "the receiving store is full"
                                                           : acc_strerror(werr)))
                goto fail;
        } else {
            a->status = d->status[i];
            if (s_set_str(&a->reason, d->reason[i]))
                goto fail;
        }
    }
    return r;
fail:
    accord__v1__response__free_unpacked(r, NULL);
    return NULL;
}

/* Contacts must point at a report of the request and stay small. Returns 0 when fine,
 * else -1 with @field naming the offender. */
static int
s_check_contacts(const Accord__V1__SubmitReports *sub, char *field, size_t len)
{
    for (size_t c = 0; c < sub->n_contacts; c++) {
        const Accord__V1__ReporterContact *ct = sub->contacts[c];
        const char *bad = NULL;
        if (ct->index >= sub->n_reports)
            bad = "index";
        else if (strlen(ct->name) > CONTACT_FIELD_MAX)
            bad = "name";
        else if (strlen(ct->email) > CONTACT_FIELD_MAX)
            bad = "email";
        else if (strlen(ct->phone) > CONTACT_FIELD_MAX)
            bad = "phone";
        if (bad) {
            snprintf(field, len, "submit.contacts[%zu].%s", c, bad);
            return -1;
        }
    }
    return 0;
}

struct intake_prepared {
    Accord__V1__Request *const *reqs; /* borrowed */
    Accord__V1__Response **resps;     /* borrowed; early errors filled by prepare */
    size_t n;
    s_prep *preps;
    size_t n_preps;
    int64_t now_ms;
    int any; /* at least one submission or delivery to commit */
    s_delivery *deliveries;
    size_t n_deliveries;
};

static void
s_prepared_free(intake_prepared_t **pp)
{
    if (!pp || !*pp)
        return;
    intake_prepared_t *pr = *pp;
    for (size_t i = 0; i < pr->n_preps; i++) {
        free(pr->preps[i].canonical_url);
        free(pr->preps[i].content_key);
    }
    for (size_t i = 0; i < pr->n_deliveries; i++) {
        free(pr->deliveries[i].status);
        free(pr->deliveries[i].reason);
    }
    free(pr->deliveries);
    free(pr->preps);
    free(pr);
    *pp = NULL;
}

acc_err
intake_prepare(intake_t *self, Accord__V1__Request *const *reqs, const char *const *agencies,
               size_t n, Accord__V1__Response **resps, intake_prepared_t **out)
{
    intake_prepared_t *pr = calloc(1, sizeof *pr);
    if (!pr)
        return ACC_ERR_NOMEM;
    pr->reqs = reqs;
    pr->resps = resps;
    pr->n = n;
    for (size_t i = 0; i < n; i++)
        resps[i] = NULL;
    /* Who may ask what: peers (CURVE-authenticated, @agencies[i] set) only deliver
     * envelopes; local operators and in-process clients do everything else. */
    size_t n_deliver = 0;
    for (size_t i = 0; i < n; i++) {
        const char *who = agencies ? agencies[i] : NULL;
        int deliver = reqs[i]->body_case == ACCORD__V1__REQUEST__BODY_DELIVER;
        const char *why = NULL;
        char msg[200];
        if (who && !deliver && reqs[i]->body_case != ACCORD__V1__REQUEST__BODY_PING)
            why = "a peer node may only deliver envelopes";
        else if (!who && deliver)
            why = "deliveries come from authenticated peer nodes only";
        else if (deliver && reqs[i]->deliver->n_envelopes > INTAKE_DELIVER_MAX)
            why = "more than 256 envelopes in one delivery";
        if (why) {
            if (who)
                acc_log_warn(TAG, "refused a request from '%s': %s", who, why);
            snprintf(msg, sizeof msg, "%s", why);
            resps[i] = intake_error_response(reqs[i]->request_id, ACCORD__V1__CODE__CODE_DENIED,
                                             "body", msg);
            if (!resps[i])
                goto nomem;
            continue;
        }
        if (deliver)
            n_deliver++;
    }
    if (n_deliver) {
        pr->deliveries = calloc(n_deliver, sizeof *pr->deliveries);
        if (!pr->deliveries)
            goto nomem;
        for (size_t i = 0; i < n; i++) {
            if (resps[i] || reqs[i]->body_case != ACCORD__V1__REQUEST__BODY_DELIVER)
                continue;
            s_delivery *d = &pr->deliveries[pr->n_deliveries++];
            size_t ne = reqs[i]->deliver->n_envelopes;
            d->deliver = reqs[i]->deliver;
            d->agency = agencies[i];
            d->req = i;
            d->status = calloc(ne ? ne : 1, sizeof *d->status);
            d->reason = calloc(ne ? ne : 1, sizeof *d->reason);
            if (!d->status || !d->reason)
                goto nomem;
            pr->any = 1;
        }
    }
    size_t total = 0;
    for (size_t i = 0; i < n; i++)
        if (reqs[i]->body_case == ACCORD__V1__REQUEST__BODY_SUBMIT)
            total += reqs[i]->submit->n_reports;
    pr->preps = calloc(total ? total : 1, sizeof *pr->preps);
    if (!pr->preps)
        goto nomem;
    pr->now_ms = acc_ids_now_ms();
    for (size_t i = 0; i < n; i++) {
        if (reqs[i]->body_case != ACCORD__V1__REQUEST__BODY_SUBMIT || resps[i])
            continue;
        if (reqs[i]->submit->n_reports > INTAKE_SUBMIT_MAX) {
            resps[i] =
                intake_error_response(reqs[i]->request_id, ACCORD__V1__CODE__CODE_TOO_LARGE,
                                      "submit.reports", "more than 1000 reports in one request");
            if (!resps[i])
                goto nomem;
            continue;
        }
        char field[96];
        if (s_check_contacts(reqs[i]->submit, field, sizeof field) != 0) {
            resps[i] =
                intake_error_response(reqs[i]->request_id, ACCORD__V1__CODE__CODE_INVALID, field,
                                      "contact index out of range, or a contact "
                                      "field longer than 200 bytes");
            if (!resps[i])
                goto nomem;
            continue;
        }
        pr->any = 1;
        size_t first = pr->n_preps;
        for (size_t j = 0; j < reqs[i]->submit->n_reports; j++) {
            s_prep *p = &pr->preps[pr->n_preps++];
            p->rep = reqs[i]->submit->reports[j];
            p->req = i;
            p->index = j;
            s_validate(self, p, pr->now_ms);
        }
        for (size_t c = 0; c < reqs[i]->submit->n_contacts; c++) {
            const Accord__V1__ReporterContact *ct = reqs[i]->submit->contacts[c];
            pr->preps[first + ct->index].contact = ct;
        }
    }
    *out = pr;
    return ACC_OK;
nomem:
    for (size_t i = 0; i < n; i++)
        if (resps[i]) {
            accord__v1__response__free_unpacked(resps[i], NULL);
            resps[i] = NULL;
        }
    s_prepared_free(&pr);
    return ACC_ERR_NOMEM;
}

/* Commit the prepared submissions (one write transaction) and fill their responses. */
static acc_err
s_commit_submits(intake_t *self, intake_prepared_t *pr)
{
    Accord__V1__Request *const *reqs = pr->reqs;
    Accord__V1__Response **resps = pr->resps;
    size_t n = pr->n;
    if (!pr->any)
        return ACC_OK;
    self->preps = pr->preps;
    self->n_preps = pr->n_preps;
    self->deliveries = pr->deliveries;
    self->n_deliveries = pr->n_deliveries;
    self->now_ms = pr->now_ms;
    acc_err werr = acc_store_write(self->store, s_apply, self);
    self->deliveries = NULL;
    self->n_deliveries = 0;
    if (werr == ACC_OK) {
        /* Committed: publish the working state. */
        self->seq = self->w_seq;
        self->ordinal = self->w_ordinal;
        self->year = self->w_year;
        self->year_n = self->w_year_n;
        for (size_t i = 0; i < self->n_newcases; i++) {
            const s_newcase *nc = &self->newcases[i];
            intake_index_put(self->index, nc->hash, nc->ordinal);
            s_casemem *m = &self->cases[nc->ordinal];
            m->year = (uint16_t)nc->year;
            m->n = nc->n;
            m->reports = 1;
            m->last_ms = self->now_ms;
        }
        for (size_t i = 0; i < self->n_attachments; i++) {
            s_casemem *m = &self->cases[self->attachments[i].ordinal];
            m->reports++;
            m->last_ms = self->now_ms;
        }
        self->attach_pending += self->n_attachments;
        self->last_write_ms = acc_loop_now_ms();
    } else {
        acc_log_warn(TAG, "batch of %zu reports not stored: %s", self->n_preps, acc_strerror(werr));
    }
    acc_err err = ACC_OK;
    for (size_t i = 0; i < n; i++) {
        if (reqs[i]->body_case != ACCORD__V1__REQUEST__BODY_SUBMIT || resps[i])
            continue;
        if (!(resps[i] = s_submit_response(self, reqs[i], i, werr)))
            err = ACC_ERR_NOMEM;
    }
    for (size_t k = 0; k < pr->n_deliveries; k++) {
        s_delivery *d = &pr->deliveries[k];
        if (!(resps[d->req] = s_deliver_response(reqs[d->req], d, werr)))
            err = ACC_ERR_NOMEM;
    }
    self->preps = NULL;
    self->n_preps = 0;
    return err;
}

/* --- queries ------------------------------------------------------------------------ */

static Accord__V1__Response *
s_ping(intake_t *self, const Accord__V1__Request *req)
{
    Accord__V1__Response *r =
        intake_error_response(req->request_id, ACCORD__V1__CODE__CODE_OK, NULL, NULL);
    Accord__V1__Pong *p = malloc(sizeof *p);
    if (!r || !p) {
        free(p);
        accord__v1__response__free_unpacked(r, NULL);
        return NULL;
    }
    accord__v1__pong__init(p);
    r->body_case = ACCORD__V1__RESPONSE__BODY_PONG;
    r->pong = p;
    /* Reports, not events: the log also holds received envelopes and refusals. */
    uint64_t reports = 0;
    acc_txn_t *txn = NULL;
    if (acc_store_read_begin(self->store, &txn) == ACC_OK)
        acc_store_count(txn, self->t_report_ids, &reports);
    acc_store_read_end(&txn);
    p->reports = reports;
    p->cases = self->ordinal;
    if (s_set_str(&p->agency, self->cfg->agency) || s_set_str(&p->node_name, self->cfg->name)) {
        accord__v1__response__free_unpacked(r, NULL);
        return NULL;
    }
    return r;
}

static Accord__V1__Response *
s_list(intake_t *self, const Accord__V1__Request *req)
{
    const Accord__V1__ListCases *q = req->list_cases;
    int status = 0;
    if (q->status[0] && (status = acc_case_status_parse(q->status)) < 0)
        return intake_error_response(req->request_id, ACCORD__V1__CODE__CODE_INVALID, "status",
                                     "unknown status; valid: open, verifying, decided, closed");
    if (q->category[0] && !acc_config_category(self->cfg, q->category)) {
        char list[1024], msg[1200];
        acc_config_category_list(self->cfg, list, sizeof list);
        snprintf(msg, sizeof msg, "unknown category '%.64s'; valid: %s", q->category, list);
        return intake_error_response(req->request_id, ACCORD__V1__CODE__CODE_INVALID, "category",
                                     msg);
    }
    size_t limit = q->limit ? q->limit : LIST_DEFAULT;
    if (limit > LIST_MAX)
        limit = LIST_MAX;
    /* Leave room for the envelope of the response under the message cap. */
    size_t budget = (size_t)self->cfg->limits.message_max_bytes - 4096, used = 0;

    Accord__V1__Response *r =
        intake_error_response(req->request_id, ACCORD__V1__CODE__CODE_OK, NULL, NULL);
    Accord__V1__CaseList *cl = malloc(sizeof *cl);
    acc_txn_t *txn = NULL;
    acc_cursor_t *cur = NULL;
    if (!r || !cl)
        goto nomem;
    accord__v1__case_list__init(cl);
    r->body_case = ACCORD__V1__RESPONSE__BODY_CASES;
    r->cases = cl;
    cl->cases = calloc(limit, sizeof *cl->cases);
    if (!cl->cases)
        goto nomem;
    if (acc_store_read_begin(self->store, &txn) != ACC_OK ||
        acc_cursor_open(txn, self->t_cases, &cur) != ACC_OK)
        goto internal;
    unsigned char start[8];
    acc_store_u64_be(q->after_ordinal + 1, start);
    const void *k, *v;
    size_t kl, vl;
    acc_err err;
    for (err = acc_cursor_seek(cur, start, 8, &k, &kl, &v, &vl); err == ACC_OK;
         err = acc_cursor_next(cur, &k, &kl, &v, &vl)) {
        Accord__V1__Case *c = accord__v1__case__unpack(NULL, vl, v);
        if (!c)
            goto internal;
        if ((status && (int)c->status != status) ||
            (q->category[0] && strcmp(c->category, q->category) != 0)) {
            accord__v1__case__free_unpacked(c, NULL);
            continue;
        }
        size_t sz = accord__v1__case__get_packed_size(c) + 8;
        if (cl->n_cases == limit || used + sz > budget) {
            accord__v1__case__free_unpacked(c, NULL);
            cl->more = 1;
            break;
        }
        used += sz;
        s_casemem_fill(self, c);
        cl->cases[cl->n_cases++] = c;
    }
    if (err != ACC_OK && err != ACC_ERR_NOT_FOUND)
        goto internal;
    acc_cursor_close(&cur);
    acc_store_read_end(&txn);
    return r;
internal:
    acc_cursor_close(&cur);
    acc_store_read_end(&txn);
    accord__v1__response__free_unpacked(r, NULL);
    return intake_error_response(req->request_id, ACCORD__V1__CODE__CODE_INTERNAL, "",
                                 "cannot read the case store");
nomem:
    free(cl);
    accord__v1__response__free_unpacked(r, NULL);
    return NULL;
}

static int
s_cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* The sequence numbers of case @ordinal's reports, ascending (malloc'd into *@out). */
static acc_err
s_case_seqs(intake_t *self, acc_txn_t *txn, uint64_t ordinal, uint64_t **out, size_t *n_out)
{
    uint64_t *seqs = NULL;
    size_t n = 0, cap = 0;
    acc_cursor_t *cur = NULL;
    const void *k, *v;
    size_t kl, vl;
    unsigned char start[16];
    acc_store_u64_be(ordinal, start);
    acc_store_u64_be(0, start + 8);
    acc_err err = acc_cursor_open(txn, self->t_case_reports, &cur);
    if (err != ACC_OK)
        return err;
    for (int pass = 0; pass < 2; pass++) {
        err = pass == 0 ? acc_cursor_seek(cur, start, 16, &k, &kl, &v, &vl)
                        : acc_cursor_seek(cur, NULL, 0, &k, &kl, &v, &vl);
        for (; err == ACC_OK; err = acc_cursor_next(cur, &k, &kl, &v, &vl)) {
            uint64_t seq;
            if (pass == 0) {
                if (kl != 16 || memcmp(k, start, 8) != 0)
                    break;
                seq = acc_store_be_u64((const unsigned char *)k + 8);
            } else {
                if (kl != 8 || vl != 16 || acc_store_be_u64(v) != ordinal)
                    continue;
                seq = acc_store_be_u64(k);
            }
            if (n == cap) {
                cap = cap ? cap * 2 : 64;
                uint64_t *ns = realloc(seqs, cap * sizeof *ns);
                if (!ns) {
                    err = ACC_ERR_NOMEM;
                    goto out;
                }
                seqs = ns;
            }
            seqs[n++] = seq;
        }
        if (err != ACC_OK && err != ACC_ERR_NOT_FOUND)
            goto out;
        if (pass == 0) {
            acc_cursor_close(&cur);
            if ((err = acc_cursor_open(txn, self->t_attach_log, &cur)) != ACC_OK)
                goto out;
        }
    }
    qsort(seqs, n, sizeof *seqs, s_cmp_u64);
    *out = seqs;
    *n_out = n;
    seqs = NULL;
    err = ACC_OK;
out:
    acc_cursor_close(&cur);
    free(seqs);
    return err;
}

static Accord__V1__Response *
s_get_case(intake_t *self, const Accord__V1__Request *req)
{
    const char *number = req->get_case->number;
    if (!acc_case_number_valid(number))
        return intake_error_response(req->request_id, ACCORD__V1__CODE__CODE_INVALID, "number",
                                     "not a case number (expected AGENCY/YEAR/NNNNNN)");
    Accord__V1__Response *r = NULL;
    acc_txn_t *txn = NULL;
    uint64_t *seqs = NULL;
    size_t n_seqs = 0;
    const void *v;
    size_t vl;
    if (acc_store_read_begin(self->store, &txn) != ACC_OK)
        goto internal;
    acc_err err = acc_store_get(txn, self->t_case_numbers, number, strlen(number), &v, &vl);
    if (err == ACC_ERR_NOT_FOUND) {
        acc_store_read_end(&txn);
        char msg[160];
        snprintf(msg, sizeof msg, "no case '%.100s' on this node", number);
        return intake_error_response(req->request_id, ACCORD__V1__CODE__CODE_NOT_FOUND, "number",
                                     msg);
    }
    if (err != ACC_OK || vl != 8)
        goto internal;
    uint64_t ordinal = acc_store_be_u64(v);
    r = intake_error_response(req->request_id, ACCORD__V1__CODE__CODE_OK, NULL, NULL);
    Accord__V1__CaseDetail *d = r ? malloc(sizeof *d) : NULL;
    if (!d)
        goto nomem;
    accord__v1__case_detail__init(d);
    r->body_case = ACCORD__V1__RESPONSE__BODY_CASE_DETAIL;
    r->case_detail = d;
    if (s_case_get(self, txn, ordinal, &d->case_info) != ACC_OK)
        goto internal;
    s_casemem_fill(self, d->case_info);
    size_t budget = (size_t)self->cfg->limits.message_max_bytes - 16384;
    size_t used = accord__v1__case__get_packed_size(d->case_info), cap = 0;
    /* The case's reports: its range of case_reports plus its entries still in attach_log,
     * in sequence order. */
    if (s_case_seqs(self, txn, ordinal, &seqs, &n_seqs) != ACC_OK)
        goto internal;
    for (size_t i = 0; i < n_seqs; i++) {
        if (used >= budget) {
            d->reports_omitted++;
            continue;
        }
        unsigned char sk[8];
        acc_store_u64_be(seqs[i], sk);
        const void *ev;
        size_t evl;
        if (acc_store_get(txn, self->t_events, sk, 8, &ev, &evl) != ACC_OK)
            goto internal;
        Accord__V1__IntakeEvent *ie = accord__v1__intake_event__unpack(NULL, evl, ev);
        if (!ie || ie->body_case != ACCORD__V1__INTAKE_EVENT__BODY_REPORT) {
            if (ie)
                accord__v1__intake_event__free_unpacked(ie, NULL);
            goto internal;
        }
        /* Take the report out of the event so that it outlives the event. */
        Accord__V1__StoredReport *sr = ie->report;
        ie->report = NULL;
        ie->body_case = ACCORD__V1__INTAKE_EVENT__BODY__NOT_SET;
        accord__v1__intake_event__free_unpacked(ie, NULL);
        if (d->n_reports == cap) {
            cap = cap ? cap * 2 : 16;
            Accord__V1__StoredReport **nr = realloc(d->reports, cap * sizeof *nr);
            if (!nr) {
                accord__v1__stored_report__free_unpacked(sr, NULL);
                goto nomem;
            }
            d->reports = nr;
        }
        d->reports[d->n_reports++] = sr;
        used += evl + 8;
    }
    free(seqs);
    acc_store_read_end(&txn);
    return r;
internal:
    free(seqs);
    acc_store_read_end(&txn);
    accord__v1__response__free_unpacked(r, NULL);
    return intake_error_response(req->request_id, ACCORD__V1__CODE__CODE_INTERNAL, "",
                                 "cannot read the case store");
nomem:
    free(seqs);
    acc_store_read_end(&txn);
    accord__v1__response__free_unpacked(r, NULL);
    return NULL;
}

acc_err
intake_commit(intake_t *self, intake_prepared_t **pp)
{
    intake_prepared_t *pr = *pp;
    Accord__V1__Request *const *reqs = pr->reqs;
    Accord__V1__Response **resps = pr->resps;
    size_t n = pr->n;
    acc_err err = s_commit_submits(self, pr);
    s_prepared_free(pp);
    if (err != ACC_OK)
        goto fail;
    for (size_t i = 0; i < n; i++) {
        const Accord__V1__Request *q = reqs[i];
        if (resps[i])
            continue; /* answered already (refused, or a submission or delivery) */
        switch (q->body_case) {
        case ACCORD__V1__REQUEST__BODY_SUBMIT:
            continue;
        case ACCORD__V1__REQUEST__BODY_PING:
            resps[i] = s_ping(self, q);
            break;
        case ACCORD__V1__REQUEST__BODY_LIST_CASES:
            resps[i] = s_list(self, q);
            break;
        case ACCORD__V1__REQUEST__BODY_GET_CASE:
            resps[i] = s_get_case(self, q);
            break;
        default:
            resps[i] = intake_error_response(q->request_id, ACCORD__V1__CODE__CODE_INVALID, "body",
                                             "empty or unknown request type");
            break;
        }
        if (!resps[i]) {
            err = ACC_ERR_NOMEM;
            goto fail;
        }
    }
    return ACC_OK;
fail:
    for (size_t i = 0; i < n; i++)
        if (resps[i]) {
            accord__v1__response__free_unpacked(resps[i], NULL);
            resps[i] = NULL;
        }
    return err;
}

acc_err
intake_handle(intake_t *self, Accord__V1__Request *const *reqs, size_t n,
              Accord__V1__Response **resps)
{
    intake_prepared_t *pr = NULL;
    acc_err err = intake_prepare(self, reqs, NULL, n, resps, &pr);
    if (err != ACC_OK)
        return err;
    return intake_commit(self, &pr);
}
