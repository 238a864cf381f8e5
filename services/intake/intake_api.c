/*
 * intake_api — the /v1 API of intake's HTTP ingest, for configured sources with a bearer
 * token (see intake_http.h for the contract, intake_http_int.h for the files around it):
 *
 *   POST /v1/reports          a JSON body read by acc_import_body_parse (the same field
 *                             table as `accordctl report import`)
 *   POST /v1/feeds/{source}   a feed in any acc_feed format
 *
 * Both complete the reports as the receiving node does (the source's trust and default
 * confidence, an id derived from the content when there is none, so that a repeated
 * request stores nothing twice), take them from the source's rate limit, hand them to
 * intake (intake_http_submit.c) and answer with each report's outcome.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acc_buf.h"
#include "acc_feed.h"
#include "acc_ids.h"
#include "acc_import.h"
#include "acc_log.h"
#include "acc_model.h"
#include "intake_http_int.h"

#define FEED_REJECTS_LISTED 100

/* --- shared by both ---------------------------------------------------------------------- */

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

/* What the receiving node adds to a report from a configured source: its trust (never
 * taken from the submitter), its default confidence, and an id when there is none. */
static int
s_complete(Accord__V1__Report *r, const acc_source_cfg_t *src)
{
    if (src && src->trust && s_set(&r->trust, src->trust) != 0)
        return -1;
    if (src && r->confidence == 0 && src->confidence > 0)
        r->confidence = (uint32_t)src->confidence;
    if (!r->id[0]) {
        char id[ACC_UUID_TEXT_LEN + 1];
        acc_feed_derive_id(r, id);
        if (s_set(&r->id, id) != 0)
            return -1;
    }
    return 0;
}

static enum MHD_Result
s_reply_oom(struct MHD_Connection *c)
{
    return intake_http_reply_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "$", "out of memory", NULL);
}

/* 429 for @n reports of source @src: @wait from intake_http_rate_take. */
static enum MHD_Result
s_reply_limited(struct MHD_Connection *c, int64_t wait, size_t n, const acc_source_cfg_t *src)
{
    char secs[24], msg[320];
    snprintf(secs, sizeof secs, "%lld", (long long)(wait > 0 ? wait : 60));
    const char *const hdrs[] = {MHD_HTTP_HEADER_RETRY_AFTER, secs, NULL};
    if (wait < 0)
        snprintf(msg, sizeof msg,
                 "%zu reports in one request exceed the limit of %lld per minute for source "
                 "'%s': send fewer per request",
                 n, (long long)src->rate_per_minute, src->name);
    else
        snprintf(msg, sizeof msg,
                 "rate limit of %lld reports per minute reached for source '%s'; nothing was "
                 "stored: retry after %s s",
                 (long long)src->rate_per_minute, src->name, secs);
    return intake_http_reply_error(c, MHD_HTTP_TOO_MANY_REQUESTS, "$", msg, hdrs);
}

/* Take @n from @src's limit and submit @reps[0..@n), calling @fn per report; @what names
 * the submission in the log. MHD_YES with
 * *@answered = 0 when everything was handed over (the caller answers); otherwise the
 * answer given (429, 503, 500) with *@answered = 1. */
static enum MHD_Result
s_limit_and_submit(intake_http_t *self, struct MHD_Connection *c, const acc_source_cfg_t *src,
                   const char *what, Accord__V1__Report **reps, size_t n, intake_http_result_fn fn,
                   void *arg, int *answered)
{
    *answered = 1;
    if (n) {
        int64_t wait = intake_http_rate_take(self, src, NULL, n);
        if (wait != 0)
            return s_reply_limited(c, wait, n, src);
    }
    char why[384];
    size_t committed = 0;
    intake_http_sendrc rc =
        intake_http_submit_all(self, reps, n, NULL, fn, arg, &committed, why, sizeof why);
    if (rc == INTAKE_HTTP_RETRY)
        return intake_http_reply_unavailable(c, why, committed);
    if (rc == INTAKE_HTTP_FAIL) {
        acc_log_error(INTAKE_HTTP_TAG, "%s failed: %s", what, why);
        return intake_http_reply_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "$", why, NULL);
    }
    *answered = 0;
    return MHD_YES;
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

/* --- POST /v1/reports -------------------------------------------------------------------- */

typedef struct {
    const acc_import_body_t *b;
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
        acc_import_body_path(rec, sizeof rec, a->b->is_array, index);
        const char *field = rr->error ? rr->error->field : "";
        const char *rest = strchr(field, ']');
        snprintf(path, sizeof path, "%s%s", rec, rest ? rest + 1 : "");
        s_add_reject(a->rejected, index, path,
                     rr->error && rr->error->message[0] ? rr->error->message : "rejected", &a->oom);
        return;
    }
    json_t *o = json_pack("{s:I, s:s, s:s, s:s}", "index", (json_int_t)index, "outcome",
                          acc_outcome_name(rr->outcome), "report_id", rr->report_id, "case_number",
                          rr->case_number);
    if (!o || json_array_append_new(a->results, o) != 0)
        a->oom = 1;
    a->accepted++;
}

/* The body could not be read at all: 400 (or 500 when out of memory). */
static enum MHD_Result
s_reply_unreadable(struct MHD_Connection *c, acc_err err, const acc_errinfo_t *ei, const int pos[2])
{
    if (err == ACC_ERR_NOMEM)
        return s_reply_oom(c);
    if (err == ACC_ERR_DECODE || err == ACC_ERR_UTF8)
        return intake_http_reply_json(c, MHD_HTTP_BAD_REQUEST,
                                      json_pack("{s:s, s:s, s:i, s:i}", "error", ei->msg, "path",
                                                "$", "line", pos[0], "column", pos[1]),
                                      NULL);
    return intake_http_reply_error(c, MHD_HTTP_BAD_REQUEST, "$", ei->msg, NULL);
}

enum MHD_Result
intake_api_reports(intake_http_t *self, struct MHD_Connection *c, intake_http_req_t *rq)
{
    enum MHD_Result ret;
    acc_import_body_t *b = NULL;
    acc_errinfo_t ei;
    acc_errinfo_clear(&ei);
    int pos[2] = {0, 0};
    acc_err err =
        acc_import_body_parse(acc_buf_str(&rq->body), rq->body.len, rq->src->name, &b, pos, &ei);
    if (err != ACC_OK)
        return s_reply_unreadable(c, err, &ei, pos);

    s_reports_acc a = {.b = b, .results = json_array(), .rejected = json_array()};
    for (size_t i = 0; i < b->n_rejects; i++)
        s_add_reject(a.rejected, b->rejects[i].index, b->rejects[i].path, b->rejects[i].error,
                     &a.oom);
    for (size_t i = 0; i < b->n_reports; i++)
        if (s_complete(b->reports[i], rq->src) != 0)
            a.oom = 1;
    if (!a.results || !a.rejected || a.oom) {
        ret = s_reply_oom(c);
        goto out;
    }
    int answered = 0;
    ret = s_limit_and_submit(self, c, rq->src, "submission", b->reports, b->n_reports,
                             s_reports_result, &a, &answered);
    if (answered)
        goto out;
    if (a.oom) {
        acc_log_error(INTAKE_HTTP_TAG, "submission failed: out of memory");
        ret = s_reply_oom(c);
        goto out;
    }
    json_t *rej = s_sorted(a.rejected);
    json_t *j = rej ? json_pack("{s:I, s:O, s:o}", "accepted", (json_int_t)a.accepted, "results",
                                a.results, "rejected", rej)
                    : NULL;
    /* Nothing stored and something wrong: the request as a whole is bad. */
    unsigned status = a.accepted == 0 && json_array_size(a.rejected) > 0 ? MHD_HTTP_BAD_REQUEST
                                                                         : MHD_HTTP_ACCEPTED;
    ret = intake_http_reply_json(c, status, j, NULL);
out:
    json_decref(a.results);
    json_decref(a.rejected);
    acc_import_body_destroy(&b);
    return ret;
}

/* --- POST /v1/feeds/{source} ------------------------------------------------------------- */

/* Where a report came from in the feed, and its place among the feed's records. */
typedef struct {
    char where[96];
    size_t ord;
} s_feed_rec;

typedef struct {
    Accord__V1__Report **reps; /* the reports read, to send to intake */
    s_feed_rec *recs;          /* one per report */
    size_t n, reps_cap, recs_cap;
    size_t counts[4];  /* new_case, attached, already_present, rejected */
    uint64_t skipped;  /* objects the reader passed over as not reports */
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

/* Read every record of @rd into @a: reports (completed for @src) and rejects. Sets a->oom
 * when out of memory. */
static void
s_feed_read(acc_feed_t *rd, const acc_source_cfg_t *src, s_feed_acc *a)
{
    size_t ord = 0;
    for (;;) {
        Accord__V1__Report *r = NULL;
        char where[96] = "";
        acc_errinfo_t ei;
        acc_errinfo_clear(&ei);
        acc_err err = acc_feed_next(rd, &r, where, sizeof where, &ei);
        if (err == ACC_ERR_NOT_FOUND)
            break;
        if (err == ACC_ERR_NOMEM) {
            a->oom = 1;
            break;
        }
        if (err != ACC_OK) {
            int named = ei.field[0] && strcmp(ei.field, where);
            char msg[600];
            snprintf(msg, sizeof msg, "%s%s%s", named ? ei.field : "", named ? ": " : "",
                     ei.msg[0] ? ei.msg : acc_strerror(err));
            s_add_feed_reject(a, a->bad_read, ord++, where, msg);
            continue;
        }
        if (ACC_ALLOC_GROW(a->reps, a->n + 1, a->reps_cap) != ACC_OK ||
            ACC_ALLOC_GROW(a->recs, a->n + 1, a->recs_cap) != ACC_OK) {
            accord__v1__report__free_unpacked(r, NULL);
            a->oom = 1;
            break;
        }
        snprintf(a->recs[a->n].where, sizeof a->recs[a->n].where, "%s", where);
        a->recs[a->n].ord = ord++;
        a->reps[a->n++] = r;
        if (s_complete(r, src) != 0) {
            a->oom = 1;
            break;
        }
    }
    const char *reason;
    for (size_t i = 0; acc_feed_skips(rd, i, &reason) > 0; i++)
        a->skipped += acc_feed_skips(rd, i, &reason);
}

/* The 202 (or 400 when nothing was accepted) answer for a feed read and submitted. */
static enum MHD_Result
s_feed_answer(struct MHD_Connection *c, acc_feed_format fmt, s_feed_acc *a)
{
    json_t *listed = NULL;
    if (json_array_extend(a->bad_read, a->bad_store) != 0 || !(listed = s_sorted(a->bad_read)))
        return s_reply_oom(c);
    while (json_array_size(listed) > FEED_REJECTS_LISTED)
        json_array_remove(listed, json_array_size(listed) - 1);
    for (size_t i = 0; i < json_array_size(listed); i++)
        json_object_del(json_array_get(listed, i), "index");
    size_t accepted = a->counts[0] + a->counts[1] + a->counts[2];
    json_t *j = json_pack(
        "{s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:O}", "format", acc_feed_format_name(fmt), "accepted",
        (json_int_t)accepted, "new_cases", (json_int_t)a->counts[0], "attached",
        (json_int_t)a->counts[1], "already_present", (json_int_t)a->counts[2], "skipped",
        (json_int_t)a->skipped, "rejected_count", (json_int_t)a->counts[3], "rejected", listed);
    json_decref(listed);
    return intake_http_reply_json(
        c, accepted == 0 && a->counts[3] > 0 ? MHD_HTTP_BAD_REQUEST : MHD_HTTP_ACCEPTED, j, NULL);
}

enum MHD_Result
intake_api_feed(intake_http_t *self, struct MHD_Connection *c, intake_http_req_t *rq)
{
    const acc_config_t *cfg = self->cfg;
    enum MHD_Result ret;
    acc_feed_t *rd = NULL;
    s_feed_acc a = {.bad_read = json_array(), .bad_store = json_array()};
    acc_errinfo_t ei;
    acc_errinfo_clear(&ei);
    acc_feed_opts_t opts = {
        .source = rq->src->name,
        .category = rq->category[0] ? rq->category : NULL,
        .confidence = rq->src->confidence > 0 ? (uint32_t)rq->src->confidence : 0,
        .tags = cfg->feed_tags,
        .n_tags = cfg->n_feed_tags,
    };
    acc_err err = acc_feed_new(rq->fmt, acc_buf_str(&rq->body), rq->body.len, &opts, &rd, &ei);
    if (err == ACC_ERR_NOMEM) {
        ret = s_reply_oom(c);
        goto out;
    }
    if (err != ACC_OK) {
        char msg[600];
        snprintf(msg, sizeof msg, "not a %s feed: %s", acc_feed_format_name(rq->fmt),
                 ei.msg[0] ? ei.msg : acc_strerror(err));
        ret = intake_http_reply_error(c, MHD_HTTP_BAD_REQUEST, ei.field[0] ? ei.field : "$", msg,
                                      NULL);
        goto out;
    }
    if (!a.bad_read || !a.bad_store) {
        ret = s_reply_oom(c);
        goto out;
    }
    s_feed_read(rd, rq->src, &a);
    if (a.oom) {
        ret = s_reply_oom(c);
        goto out;
    }
    int answered = 0;
    ret = s_limit_and_submit(self, c, rq->src, "feed submission", a.reps, a.n, s_feed_result, &a,
                             &answered);
    if (answered)
        goto out;
    if (a.oom) {
        acc_log_error(INTAKE_HTTP_TAG, "feed submission failed: out of memory");
        ret = s_reply_oom(c);
        goto out;
    }
    ret = s_feed_answer(c, rq->fmt, &a);
out:
    for (size_t i = 0; i < a.n; i++)
        accord__v1__report__free_unpacked(a.reps[i], NULL);
    free(a.reps);
    free(a.recs);
    json_decref(a.bad_read);
    json_decref(a.bad_store);
    acc_feed_destroy(&rd);
    return ret;
}
