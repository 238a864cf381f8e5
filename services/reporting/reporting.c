/* reporting — see reporting.h. */
#include "reporting/reporting.h"

#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acc_codec.h"
#include "acc_log.h"
#include "acc_model.h"
#include "acc_time.h"
#include "accord/v1/assignment.pb-c.h"
#include "accord/v1/intake.pb-c.h"
#include "accord/v1/notification.pb-c.h"
#include "accord/v1/reporting.pb-c.h"
#include "accord/v1/verification.pb-c.h"

#define S_TAG "reporting"
/* LMDB keys are at most 511 bytes; case numbers are "<agency>/<year>/<n>", far shorter. */
#define S_CASE_MAX 256
#define S_NAME_MAX 200 /* a counter's name (source, agency) */
#define S_KEY_MAX (S_CASE_MAX + 1 + 8 + 1 + 8)
#define S_PART_MAX 160 /* free text (basis, result) quoted in a one-line text */
#define S_TEXT_MAX 1024

enum { S_SVC_INTAKE = 1, S_SVC_VERIFICATION = 2, S_SVC_ASSIGNMENT = 3, S_SVC_NOTIFICATION = 4 };

static const char *const s_tables[] = {"timeline", "cases", "counters", "applied", NULL};
static const char *const s_inputs[] = {"intake", "verification", "assignment", "notification",
                                       NULL};

typedef struct {
    acc_table timeline, cases, counters, applied;
} s_state;

/* --- small helpers ------------------------------------------------------------------ */

static int
s_service_byte(const char *input)
{
    for (int i = 0; s_inputs[i]; i++)
        if (strcmp(s_inputs[i], input) == 0)
            return i + 1;
    return 0;
}

/* Copy @in into @out (at least S_PART_MAX + 4 bytes) as one line: control characters
 * become spaces, and text over @max bytes is cut at a character boundary and ends "...". */
static void
s_clip(char *out, const char *in, size_t max)
{
    size_t n = strlen(in ? in : "");
    int cut = n > max;
    if (cut) {
        n = max;
        while (n > 0 && ((unsigned char)in[n] & 0xC0) == 0x80)
            n--; /* in[n] would be a continuation byte: back to the start of its character */
    }
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)in[i];
        out[i] = c < 0x20 || c == 0x7f ? ' ' : (char)c;
    }
    if (cut)
        memcpy(out + n, "...", 4);
    else
        out[n] = '\0';
}

/* A deadline for the one-line timeline text, to the minute: "YYYY-MM-DD HH:MM UTC". */
static void
s_utc(int64_t ms, char *buf, size_t len)
{
    if (ms <= 0) {
        snprintf(buf, len, "no deadline");
        return;
    }
    char t[ACC_TIME_RFC3339_MAX];
    acc_time_format_rfc3339(ms, t, sizeof t);
    const char *tee = strchr(t, 'T'); /* years past 9999 have more digits */
    snprintf(buf, len, "%.*s %.5s UTC", (int)(tee - t), t, tee + 1);
}

/* Replace a string field of a message we own. The empty default is a shared constant of
 * protobuf-c (free_unpacked skips it), so it must never be freed here either. */
static acc_err
s_set_str(char **field, const char *v)
{
    char *copy = strdup(v ? v : "");
    if (!copy)
        return ACC_ERR_NOMEM;
    if (*field && *field != protobuf_c_empty_string)
        free(*field);
    *field = copy;
    return ACC_OK;
}

/* JSON helpers: each returns nonzero when out of memory (json_object_set_new consumes the
 * value, also a NULL one, and then fails). */
static int
s_jstr(json_t *o, const char *key, const char *v)
{
    return json_object_set_new(o, key, json_string(v ? v : ""));
}

static int
s_jint(json_t *o, const char *key, int64_t v)
{
    return json_object_set_new(o, key, json_integer((json_int_t)v));
}

static int
s_jbool(json_t *o, const char *key, int v)
{
    return json_object_set_new(o, key, json_boolean(v));
}

/* --- the store ---------------------------------------------------------------------- */

static size_t
s_event_key(unsigned char *key, const char *case_number, int64_t at_ms, int service, uint64_t seq)
{
    size_t n = strlen(case_number);
    memcpy(key, case_number, n);
    key[n++] = 0;
    /* A time before 1970 sorts first rather than wrapping to the end. */
    acc_store_u64_be(at_ms > 0 ? (uint64_t)at_ms : 0, key + n);
    n += 8;
    key[n++] = (unsigned char)service;
    acc_store_u64_be(seq, key + n);
    return n + 8;
}

static acc_err
s_put_msg(acc_txn_t *txn, acc_table t, const void *key, size_t klen, const ProtobufCMessage *m)
{
    size_t n = protobuf_c_message_get_packed_size(m);
    uint8_t *buf = malloc(n ? n : 1);
    if (!buf)
        return ACC_ERR_NOMEM;
    protobuf_c_message_pack(m, buf);
    acc_err err = acc_store_put(txn, t, key, klen, buf, n, 0);
    free(buf);
    return err;
}

/* Add @by to counter "<prefix><name>" (@name NULL: "<prefix>"); an empty name counts as
 * "(none)". */
static acc_err
s_count(acc_txn_t *txn, s_state *st, const char *prefix, const char *name, uint64_t by)
{
    char key[S_NAME_MAX + 32];
    if (name && !*name)
        name = "(none)";
    else if (!name)
        name = "";
    else if (strlen(name) > S_NAME_MAX)
        name = "(name too long)";
    int klen = snprintf(key, sizeof key, "%s%s", prefix, name);
    uint64_t count = 0;
    const void *v;
    size_t vl;
    acc_err err = acc_store_get(txn, st->counters, key, (size_t)klen, &v, &vl);
    if (err == ACC_OK && vl == 8)
        count = acc_store_be_u64(v);
    else if (err != ACC_OK && err != ACC_ERR_NOT_FOUND)
        return err;
    unsigned char val[8];
    acc_store_u64_be(count + by, val);
    return acc_store_put(txn, st->counters, key, (size_t)klen, val, sizeof val, 0);
}

/* The state of @case_number, or a new open one. *@out is owned by the caller
 * (accord__v1__case_state__free_unpacked). */
static acc_err
s_case_load(acc_txn_t *txn, s_state *st, const char *case_number, Accord__V1__CaseState **out)
{
    const void *v;
    size_t vl;
    acc_err err = acc_store_get(txn, st->cases, case_number, strlen(case_number), &v, &vl);
    if (err == ACC_OK) {
        Accord__V1__CaseState *cs = accord__v1__case_state__unpack(NULL, vl, v);
        if (!cs) {
            acc_log_error(S_TAG, "the state of case '%s' does not decode", case_number);
            return ACC_ERR_STORE;
        }
        *out = cs;
        return ACC_OK;
    }
    if (err != ACC_ERR_NOT_FOUND)
        return err;
    Accord__V1__CaseState *cs = malloc(sizeof *cs);
    if (!cs)
        return ACC_ERR_NOMEM;
    accord__v1__case_state__init(cs);
    cs->status = ACCORD__V1__CASE_STATUS__CASE_STATUS_OPEN;
    if (s_set_str(&cs->case_number, case_number) != ACC_OK) {
        accord__v1__case_state__free_unpacked(cs, NULL);
        return ACC_ERR_NOMEM;
    }
    *out = cs;
    return ACC_OK;
}

/* Derive status and measures_done_ms from the verdict and the measures. */
static void
s_case_settle(Accord__V1__CaseState *cs)
{
    int all_terminal = cs->n_measures > 0, all_done = cs->n_measures > 0;
    int64_t done_ms = 0;
    for (size_t i = 0; i < cs->n_measures; i++) {
        Accord__V1__MeasureStatus s = cs->measures[i]->status;
        if (s != ACCORD__V1__MEASURE_STATUS__MEASURE_STATUS_DONE)
            all_done = 0;
        if (s != ACCORD__V1__MEASURE_STATUS__MEASURE_STATUS_DONE &&
            s != ACCORD__V1__MEASURE_STATUS__MEASURE_STATUS_FAILED)
            all_terminal = 0;
        if (cs->measures[i]->done_ms > done_ms)
            done_ms = cs->measures[i]->done_ms;
    }
    cs->measures_done_ms = all_done ? done_ms : 0;
    if (all_terminal ||
        (cs->n_measures == 0 && cs->verdict == ACCORD__V1__VERDICT__VERDICT_NOT_VIOLATING))
        cs->status = ACCORD__V1__CASE_STATUS__CASE_STATUS_CLOSED;
    else if (cs->verdict != ACCORD__V1__VERDICT__VERDICT_UNSPECIFIED)
        cs->status = ACCORD__V1__CASE_STATUS__CASE_STATUS_DECIDED;
    else
        cs->status = ACCORD__V1__CASE_STATUS__CASE_STATUS_OPEN;
}

/* The measure @id of @cs, added when it is not there yet. */
static acc_err
s_case_measure(Accord__V1__CaseState *cs, const char *id, Accord__V1__CaseMeasure **out)
{
    for (size_t i = 0; i < cs->n_measures; i++)
        if (strcmp(cs->measures[i]->id, id) == 0) {
            *out = cs->measures[i];
            return ACC_OK;
        }
    Accord__V1__CaseMeasure **grown =
        realloc(cs->measures, (cs->n_measures + 1) * sizeof *cs->measures);
    if (!grown)
        return ACC_ERR_NOMEM;
    cs->measures = grown;
    Accord__V1__CaseMeasure *m = malloc(sizeof *m);
    if (!m)
        return ACC_ERR_NOMEM;
    accord__v1__case_measure__init(m);
    if (s_set_str(&m->id, id) != ACC_OK) {
        free(m);
        return ACC_ERR_NOMEM;
    }
    cs->measures[cs->n_measures++] = m;
    *out = m;
    return ACC_OK;
}

static void
s_measure_status(Accord__V1__CaseMeasure *m, Accord__V1__MeasureStatus status, int64_t at_ms)
{
    if (status == ACCORD__V1__MEASURE_STATUS__MEASURE_STATUS_UNSPECIFIED)
        return;
    if (status == ACCORD__V1__MEASURE_STATUS__MEASURE_STATUS_DONE) {
        if (m->status != status || m->done_ms == 0) /* when it first reached DONE */
            m->done_ms = at_ms > 0 ? at_ms : 1;
    } else {
        m->done_ms = 0;
    }
    m->status = status;
}

/* --- applying events ---------------------------------------------------------------- */

typedef struct {
    acc_service_t *svc;
    s_state *st;
    const char *input;
    int service;
    const acc_stream_record_t *recs;
    size_t n;
} s_batch;

/* One case event, ready to record: @update changes the case state. */
typedef struct {
    const char *case_number;
    int64_t at_ms;
    const char *kind;
    char text[S_TEXT_MAX];
    json_t *json;
    acc_err (*update)(acc_txn_t *txn, s_state *st, Accord__V1__CaseState *cs, const void *ev);
    const void *ev;
} s_entry;

/* Record @e for producer record @seq: once only (the key is already there on a replay). */
static acc_err
s_record(s_batch *b, acc_txn_t *txn, uint64_t seq, s_entry *e)
{
    acc_err err = ACC_OK;
    char *json = NULL;
    Accord__V1__CaseState *cs = NULL;
    size_t cn = strlen(e->case_number);
    if (cn == 0 || cn > S_CASE_MAX) {
        acc_log_warn(S_TAG, "skipped %s record %" PRIu64 ": %s case number", b->input, seq,
                     cn ? "an overlong" : "no");
        goto out;
    }
    unsigned char key[S_KEY_MAX];
    size_t klen = s_event_key(key, e->case_number, e->at_ms, b->service, seq);
    const void *v;
    size_t vl;
    err = acc_store_get(txn, b->st->timeline, key, klen, &v, &vl);
    if (err == ACC_OK)
        goto out; /* applied before: a replay */
    if (err != ACC_ERR_NOT_FOUND)
        goto out;
    if (!e->json || !(json = json_dumps(e->json, JSON_COMPACT | JSON_PRESERVE_ORDER))) {
        err = ACC_ERR_NOMEM;
        goto out;
    }
    Accord__V1__TimelineEntry te = ACCORD__V1__TIMELINE_ENTRY__INIT;
    te.at_ms = e->at_ms;
    te.service = (char *)b->input;
    te.kind = (char *)e->kind;
    te.text = e->text;
    te.json = json;
    if ((err = s_put_msg(txn, b->st->timeline, key, klen, &te.base)) != ACC_OK)
        goto out;
    if ((err = s_case_load(txn, b->st, e->case_number, &cs)) != ACC_OK ||
        (err = e->update(txn, b->st, cs, e->ev)) != ACC_OK)
        goto out;
    s_case_settle(cs);
    err = s_put_msg(txn, b->st->cases, e->case_number, cn, &cs->base);
out:
    if (cs)
        accord__v1__case_state__free_unpacked(cs, NULL);
    free(json);
    return err;
}

/* s_record for an entry whose JSON was just built: @failed says a member could not be set
 * (out of memory). Takes the entry's JSON either way. */
static acc_err
s_record_json(s_batch *b, acc_txn_t *txn, uint64_t seq, s_entry *e, int failed)
{
    acc_err err = failed ? ACC_ERR_NOMEM : s_record(b, txn, seq, e);
    json_decref(e->json);
    e->json = NULL;
    return err;
}

/* Mark producer record @seq applied (events without a timeline entry); *@fresh is 0 when
 * it was marked before (a replay). */
static acc_err
s_mark(s_batch *b, acc_txn_t *txn, uint64_t seq, int *fresh)
{
    unsigned char key[9];
    key[0] = (unsigned char)b->service;
    acc_store_u64_be(seq, key + 1);
    acc_err err = acc_store_put(txn, b->st->applied, key, sizeof key, "", 0, ACC_PUT_NOOVERWRITE);
    *fresh = err == ACC_OK;
    return err == ACC_ERR_EXISTS ? ACC_OK : err;
}

static acc_err
s_update_report(acc_txn_t *txn, s_state *st, Accord__V1__CaseState *cs, const void *ev)
{
    const Accord__V1__StoredReport *sr = ev;
    const Accord__V1__Report *r = sr->report;
    acc_err err = ACC_OK;
    if (cs->reports == 0 || sr->received_at_ms < cs->first_report_ms) {
        cs->first_report_ms = sr->received_at_ms;
        if ((err = s_set_str(&cs->first_source, r->source)) != ACC_OK ||
            (err = s_set_str(&cs->category, r->category)) != ACC_OK)
            return err;
    }
    if (sr->received_at_ms > cs->last_report_ms)
        cs->last_report_ms = sr->received_at_ms;
    if (!cs->url[0] && r->url[0] && (err = s_set_str(&cs->url, r->url)) != ACC_OK)
        return err;
    cs->reports++;
    return s_count(txn, st, "source:", r->source, 1);
}

static acc_err
s_on_intake(s_batch *b, acc_txn_t *txn, uint64_t seq, const Accord__V1__IntakeEvent *ev)
{
    if (ev->body_case == ACCORD__V1__INTAKE_EVENT__BODY_REJECTION && ev->rejection) {
        /* intake refused a peer's envelope: counted by the authenticated agency */
        int fresh = 0;
        acc_err err = s_mark(b, txn, seq, &fresh);
        if (err != ACC_OK || !fresh)
            return err;
        return s_count(txn, b->st, "rejected:", ev->rejection->from_agency, 1);
    }
    if (ev->body_case != ACCORD__V1__INTAKE_EVENT__BODY_REPORT)
        return ACC_OK; /* envelopes: assignment's events carry what they deliver */
    const Accord__V1__StoredReport *sr = ev->report;
    const Accord__V1__Report *r = sr->report;
    if (!r) {
        acc_log_warn(S_TAG, "skipped intake record %" PRIu64 ": a stored report without report",
                     seq);
        return ACC_OK;
    }
    s_entry e = {.case_number = sr->case_number,
                 .at_ms = sr->received_at_ms,
                 .kind = "report",
                 .update = s_update_report,
                 .ev = sr};
    char id[S_PART_MAX + 4], src[S_PART_MAX + 4], via[S_PART_MAX + 4];
    s_clip(id, r->id, S_PART_MAX);
    s_clip(src, r->source[0] ? r->source : "an unnamed source", S_PART_MAX);
    s_clip(via, sr->via_agency, S_PART_MAX);
    if (via[0])
        snprintf(e.text, sizeof e.text, "report %s from %s (forwarded by %s)", id, src, via);
    else
        snprintf(e.text, sizeof e.text, "report %s from %s", id, src);
    /* Not the description nor the text excerpt: free text a citizen typed may name people,
     * and the timeline is shown and exported widely. */
    json_t *j = e.json = json_object();
    return s_record_json(
        b, txn, seq, &e,
        !j ||
            (s_jstr(j, "report_id", r->id) | s_jstr(j, "url", r->url) |
             s_jstr(j, "source", r->source) | s_jstr(j, "source_record_id", r->source_record_id) |
             s_jstr(j, "category", r->category) | s_jint(j, "received_at_ms", sr->received_at_ms) |
             s_jbool(j, "opened_case", sr->opened_case) | s_jstr(j, "via_agency", sr->via_agency) |
             s_jstr(j, "content_key", sr->content_key) |
             s_jint(j, "observed_at_ms", r->observed_at_ms) |
             s_jint(j, "confidence", r->confidence) | s_jstr(j, "trust", r->trust)));
}

static acc_err
s_update_verdict(acc_txn_t *txn, s_state *st, Accord__V1__CaseState *cs, const void *ev)
{
    (void)txn;
    (void)st;
    const Accord__V1__Decision *d = ev;
    acc_err err;
    if (cs->verdict == ACCORD__V1__VERDICT__VERDICT_UNSPECIFIED && cs->verdict_ms == 0)
        cs->verdict_ms = d->decided_ms > 0 ? d->decided_ms : 1; /* the first decision */
    cs->verdict = d->verdict;
    if ((err = s_set_str(&cs->decided_category, d->category)) != ACC_OK)
        return err;
    if (d->url[0] && (err = s_set_str(&cs->url, d->url)) != ACC_OK)
        return err;
    return ACC_OK;
}

static acc_err
s_on_verification(s_batch *b, acc_txn_t *txn, uint64_t seq, const Accord__V1__VerificationEvent *ev)
{
    if (ev->body_case != ACCORD__V1__VERIFICATION_EVENT__BODY_DECISION)
        return ACC_OK;
    const Accord__V1__Decision *d = ev->decision;
    s_entry e = {.case_number = d->case_number,
                 .at_ms = d->decided_ms,
                 .kind = "verdict",
                 .update = s_update_verdict,
                 .ev = d};
    char cat[S_PART_MAX + 4], by[S_PART_MAX + 4], basis[S_PART_MAX + 4];
    s_clip(cat, d->category[0] ? d->category : "no category", S_PART_MAX);
    s_clip(by, d->decided_by[0] ? d->decided_by : "unknown", S_PART_MAX);
    s_clip(basis, d->legal_basis, S_PART_MAX);
    snprintf(e.text, sizeof e.text, "verdict %s (%s) by %s%s, basis: %s",
             acc_verdict_name(d->verdict), cat, by, d->automated ? " (automated)" : "", basis);
    json_t *j = e.json = json_object();
    return s_record_json(
        b, txn, seq, &e,
        !j || (s_jstr(j, "verdict", acc_verdict_name(d->verdict)) |
               s_jstr(j, "category", d->category) | s_jstr(j, "legal_basis", d->legal_basis) |
               s_jstr(j, "reasons", d->reasons) | s_jstr(j, "decided_by", d->decided_by) |
               s_jint(j, "decided_ms", d->decided_ms) | s_jbool(j, "automated", d->automated)));
}

static acc_err
s_update_measure(acc_txn_t *txn, s_state *st, Accord__V1__CaseState *cs, const void *ev)
{
    (void)txn;
    (void)st;
    const Accord__V1__Measure *m = ev;
    Accord__V1__CaseMeasure *cm = NULL;
    acc_err err = s_case_measure(cs, m->id, &cm);
    if (err != ACC_OK)
        return err;
    if ((err = s_set_str(&cm->owner_agency, m->owner_agency)) != ACC_OK ||
        (err = s_set_str(&cm->action, m->action)) != ACC_OK)
        return err;
    if (cm->created_ms == 0)
        cm->created_ms = m->created_ms;
    s_measure_status(cm, m->status, m->updated_ms > 0 ? m->updated_ms : m->created_ms);
    return ACC_OK;
}

static acc_err
s_update_measure_update(acc_txn_t *txn, s_state *st, Accord__V1__CaseState *cs, const void *ev)
{
    (void)txn;
    (void)st;
    const Accord__V1__MeasureUpdate *u = ev;
    Accord__V1__CaseMeasure *cm = NULL;
    acc_err err = s_case_measure(cs, u->measure_id, &cm);
    if (err != ACC_OK)
        return err;
    if (!cm->owner_agency[0] && (err = s_set_str(&cm->owner_agency, u->owner_agency)) != ACC_OK)
        return err;
    s_measure_status(cm, u->status, u->updated_ms);
    return ACC_OK;
}

static acc_err
s_on_measure(s_batch *b, acc_txn_t *txn, uint64_t seq, const Accord__V1__Measure *m)
{
    /* A measure may come again with a later state (received from the lead, say): place it
     * at its latest time. */
    int64_t at = m->updated_ms > m->created_ms ? m->updated_ms : m->created_ms;
    s_entry e = {.case_number = m->case_number,
                 .at_ms = at,
                 .kind = "measure",
                 .update = s_update_measure,
                 .ev = m};
    char id[S_PART_MAX + 4], action[S_PART_MAX + 4], owner[S_PART_MAX + 4], due[64];
    s_clip(id, m->id, S_PART_MAX);
    s_clip(action, m->action, S_PART_MAX);
    s_clip(owner, m->owner_agency, S_PART_MAX);
    s_utc(m->deadline_ms, due, sizeof due);
    snprintf(e.text, sizeof e.text, "measure %s: %s by %s, due %s (%s)", id, action, owner, due,
             acc_measure_status_name(m->status));
    json_t *j = e.json = json_object();
    return s_record_json(
        b, txn, seq, &e,
        !j || (s_jstr(j, "measure_id", m->id) | s_jstr(j, "action", m->action) |
               s_jstr(j, "owner_agency", m->owner_agency) |
               s_jstr(j, "lead_agency", m->lead_agency) | s_jint(j, "deadline_ms", m->deadline_ms) |
               s_jstr(j, "status", acc_measure_status_name(m->status)) |
               s_jstr(j, "category", m->category) | s_jstr(j, "legal_basis", m->legal_basis) |
               s_jstr(j, "reasons", m->reasons) | s_jstr(j, "url", m->url) |
               s_jint(j, "created_ms", m->created_ms)));
}

static acc_err
s_on_measure_update(s_batch *b, acc_txn_t *txn, uint64_t seq, const Accord__V1__MeasureUpdate *u)
{
    s_entry e = {.case_number = u->case_number,
                 .at_ms = u->updated_ms,
                 .kind = "measure-update",
                 .update = s_update_measure_update,
                 .ev = u};
    char id[S_PART_MAX + 4], by[S_PART_MAX + 4], result[S_PART_MAX + 4];
    s_clip(id, u->measure_id, S_PART_MAX);
    s_clip(by, u->updated_by[0] ? u->updated_by : u->owner_agency, S_PART_MAX);
    s_clip(result, u->result, S_PART_MAX);
    snprintf(e.text, sizeof e.text, "measure %s %s by %s%s%s", id,
             acc_measure_status_name(u->status), by, result[0] ? ": " : "", result);
    json_t *j = e.json = json_object();
    if (j &&
        (s_jstr(j, "measure_id", u->measure_id) |
         s_jstr(j, "status", acc_measure_status_name(u->status)) | s_jstr(j, "result", u->result) |
         s_jstr(j, "updated_by", u->updated_by) | s_jstr(j, "owner_agency", u->owner_agency) |
         s_jint(j, "updated_ms", u->updated_ms))) {
        json_decref(j);
        return ACC_ERR_NOMEM;
    }
    acc_err err = s_record(b, txn, seq, &e);
    json_decref(j);
    return err;
}

static acc_err
s_on_assignment(s_batch *b, acc_txn_t *txn, uint64_t seq, const Accord__V1__AssignmentEvent *ev)
{
    int fresh = 0;
    acc_err err;
    switch (ev->body_case) {
    case ACCORD__V1__ASSIGNMENT_EVENT__BODY_MEASURE:
        return s_on_measure(b, txn, seq, ev->measure);
    case ACCORD__V1__ASSIGNMENT_EVENT__BODY_MEASURE_UPDATE:
        return s_on_measure_update(b, txn, seq, ev->measure_update);
    case ACCORD__V1__ASSIGNMENT_EVENT__BODY_RULE:
        if ((err = s_mark(b, txn, seq, &fresh)) != ACC_OK || !fresh)
            return err;
        return s_count(txn, b->st, "rules", NULL, 1);
    case ACCORD__V1__ASSIGNMENT_EVENT__BODY_REJECTION:
        if ((err = s_mark(b, txn, seq, &fresh)) != ACC_OK || !fresh)
            return err;
        return s_count(txn, b->st, "rejected:", ev->rejection->from_agency, 1);
    default:
        return ACC_OK;
    }
}

static acc_err
s_update_notice(acc_txn_t *txn, s_state *st, Accord__V1__CaseState *cs, const void *ev)
{
    (void)txn;
    (void)st;
    (void)ev;
    cs->notices++;
    return ACC_OK;
}

static acc_err
s_on_notification(s_batch *b, acc_txn_t *txn, uint64_t seq, const Accord__V1__NotificationEvent *ev)
{
    if (ev->body_case != ACCORD__V1__NOTIFICATION_EVENT__BODY_NOTICE)
        return ACC_OK;
    const Accord__V1__Notice *n = ev->notice;
    if (!n->case_number[0])
        return ACC_OK; /* not about a case (a reminder to a peer, say): no timeline */
    int delivered =
        n->status == ACCORD__V1__NOTICE_STATUS__NOTICE_STATUS_DELIVERED && n->delivered_ms > 0;
    s_entry e = {.case_number = n->case_number,
                 .at_ms = delivered ? n->delivered_ms : n->created_ms,
                 .kind = "notice",
                 .update = s_update_notice,
                 .ev = n};
    char kind[S_PART_MAX + 4], dest[S_PART_MAX + 4], error[S_PART_MAX + 4];
    s_clip(kind, n->kind, S_PART_MAX);
    s_clip(dest, n->destination, S_PART_MAX);
    s_clip(error, n->error, S_PART_MAX);
    snprintf(e.text, sizeof e.text, "notice %s to %s: %s%s%s", kind, dest,
             acc_notice_status_name(n->status), error[0] ? ": " : "", error);
    json_t *j = e.json = json_object();
    return s_record_json(
        b, txn, seq, &e,
        !j || (s_jstr(j, "notice_id", n->id) | s_jstr(j, "destination", n->destination) |
               s_jstr(j, "kind", n->kind) | s_jstr(j, "status", acc_notice_status_name(n->status)) |
               s_jstr(j, "measure_id", n->measure_id) | s_jint(j, "created_ms", n->created_ms) |
               s_jint(j, "delivered_ms", n->delivered_ms) | s_jstr(j, "error", n->error)));
}

static acc_err
s_apply_one(s_batch *b, acc_txn_t *txn, const acc_stream_record_t *rec)
{
    static const ProtobufCMessageDescriptor *const descs[] = {
        NULL,
        &accord__v1__intake_event__descriptor,
        &accord__v1__verification_event__descriptor,
        &accord__v1__assignment_event__descriptor,
        &accord__v1__notification_event__descriptor,
    };
    ProtobufCMessage *m = NULL;
    acc_errinfo_t ei;
    acc_errinfo_clear(&ei);
    acc_err err =
        acc_codec_unpack(descs[b->service], rec->payload, rec->len, ACC_STREAM_RECORD_MAX, &m, &ei);
    if (err == ACC_ERR_NOMEM)
        return err;
    if (err != ACC_OK) {
        acc_log_error(S_TAG, "skipped %s record %" PRIu64 " that does not decode: %s: %s", b->input,
                      rec->seq, ei.field, ei.msg);
        return ACC_OK;
    }
    switch (b->service) {
    case S_SVC_INTAKE:
        err = s_on_intake(b, txn, rec->seq, (Accord__V1__IntakeEvent *)m);
        break;
    case S_SVC_VERIFICATION:
        err = s_on_verification(b, txn, rec->seq, (Accord__V1__VerificationEvent *)m);
        break;
    case S_SVC_ASSIGNMENT:
        err = s_on_assignment(b, txn, rec->seq, (Accord__V1__AssignmentEvent *)m);
        break;
    default:
        err = s_on_notification(b, txn, rec->seq, (Accord__V1__NotificationEvent *)m);
        break;
    }
    protobuf_c_message_free_unpacked(m, NULL);
    return err;
}

static acc_err
s_apply_txn(acc_txn_t *txn, void *arg)
{
    s_batch *b = arg;
    for (size_t i = 0; i < b->n; i++) {
        acc_err err = s_apply_one(b, txn, &b->recs[i]);
        if (err != ACC_OK)
            return err;
    }
    return acc_service_cursor_put(b->svc, txn, b->input, b->recs[b->n - 1].seq);
}

static acc_err
s_apply(acc_service_t *svc, void *state, const char *input, const acc_stream_record_t *recs,
        size_t n)
{
    s_batch b = {svc, state, input, s_service_byte(input), recs, n};
    if (!b.service || n == 0)
        return ACC_ERR_INTERNAL;
    acc_err err = acc_service_write(svc, s_apply_txn, &b);
    if (err != ACC_OK)
        acc_log_warn(S_TAG, "cannot apply %s records %" PRIu64 "..%" PRIu64 ": %s", input,
                     recs[0].seq, recs[n - 1].seq, acc_strerror(err));
    return err;
}

/* --- queries ------------------------------------------------------------------------ */

static Accord__V1__Response *
s_timeline(acc_service_t *svc, s_state *st, uint64_t rid, const Accord__V1__GetTimeline *q)
{
    const char *cn = q->case_number;
    size_t cnl = strlen(cn);
    if (cnl == 0)
        return acc_service_response(rid, ACCORD__V1__CODE__CODE_INVALID, "get_timeline.case_number",
                                    "'case_number' is required");
    if (cnl > S_CASE_MAX)
        return acc_service_response(rid, ACCORD__V1__CODE__CODE_INVALID, "get_timeline.case_number",
                                    "'case_number' is too long");
    Accord__V1__Response *r = acc_service_response(rid, ACCORD__V1__CODE__CODE_OK, NULL, NULL);
    Accord__V1__Timeline *tl = malloc(sizeof *tl);
    acc_txn_t *txn = NULL;
    acc_cursor_t *cur = NULL;
    if (!r || !tl)
        goto nomem;
    accord__v1__timeline__init(tl);
    r->body_case = ACCORD__V1__RESPONSE__BODY_TIMELINE;
    r->timeline = tl;
    if (s_set_str(&tl->case_number, cn) != ACC_OK)
        goto nomem;
    /* The answer must fit in one message: leave room for the envelope around entries. */
    size_t budget = (size_t)acc_service_config(svc)->limits.message_max_bytes - 1024, used = 0;
    uint64_t omitted = 0;
    unsigned char prefix[S_CASE_MAX + 1];
    memcpy(prefix, cn, cnl);
    prefix[cnl] = 0;
    acc_err err = acc_store_read_begin(acc_service_store(svc), &txn);
    if (err == ACC_OK)
        err = acc_cursor_open(txn, st->timeline, &cur);
    const void *k, *v;
    size_t kl, vl;
    if (err == ACC_OK)
        err = acc_cursor_seek(cur, prefix, cnl + 1, &k, &kl, &v, &vl);
    while (err == ACC_OK && kl > cnl + 1 && memcmp(k, prefix, cnl + 1) == 0) {
        if (omitted || used + vl + 8 > budget) { /* no gaps: the oldest first */
            omitted++;
        } else {
            Accord__V1__TimelineEntry *te = accord__v1__timeline_entry__unpack(NULL, vl, v);
            if (!te) {
                err = ACC_ERR_STORE;
                break;
            }
            Accord__V1__TimelineEntry **grown =
                realloc(tl->entries, (tl->n_entries + 1) * sizeof *tl->entries);
            if (!grown) {
                accord__v1__timeline_entry__free_unpacked(te, NULL);
                goto nomem;
            }
            tl->entries = grown;
            tl->entries[tl->n_entries++] = te;
            used += vl + 8;
        }
        err = acc_cursor_next(cur, &k, &kl, &v, &vl);
    }
    acc_cursor_close(&cur);
    acc_store_read_end(&txn);
    if (err != ACC_OK && err != ACC_ERR_NOT_FOUND) {
        accord__v1__response__free_unpacked(r, NULL);
        return acc_service_response(rid, ACCORD__V1__CODE__CODE_INTERNAL, "",
                                    "cannot read the timeline store");
    }
    if (tl->n_entries == 0 && omitted == 0) {
        char msg[S_CASE_MAX + 64];
        snprintf(msg, sizeof msg, "no events of case '%s'", cn);
        accord__v1__response__free_unpacked(r, NULL);
        return acc_service_response(rid, ACCORD__V1__CODE__CODE_NOT_FOUND,
                                    "get_timeline.case_number", msg);
    }
    if (omitted) {
        char msg[128];
        snprintf(msg, sizeof msg, "the %" PRIu64 " latest entries did not fit in one answer",
                 omitted);
        if (s_set_str(&r->status->message, msg) != ACC_OK)
            goto nomem;
    }
    return r;
nomem:
    acc_cursor_close(&cur);
    acc_store_read_end(&txn);
    if (r)
        accord__v1__response__free_unpacked(r, NULL);
    else
        free(tl);
    return NULL;
}

typedef struct {
    char *key;
    uint64_t count;
} s_kv;

typedef struct {
    s_kv *v;
    size_t n, cap;
} s_counts;

static acc_err
s_counts_add(s_counts *c, const char *key, size_t klen, uint64_t by)
{
    for (size_t i = 0; i < c->n; i++)
        if (strlen(c->v[i].key) == klen && memcmp(c->v[i].key, key, klen) == 0) {
            c->v[i].count += by;
            return ACC_OK;
        }
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 16;
        s_kv *grown = realloc(c->v, cap * sizeof *grown);
        if (!grown)
            return ACC_ERR_NOMEM;
        c->v = grown;
        c->cap = cap;
    }
    char *k = strndup(key, klen);
    if (!k)
        return ACC_ERR_NOMEM;
    c->v[c->n].key = k;
    c->v[c->n++].count = by;
    return ACC_OK;
}

static void
s_counts_free(s_counts *c)
{
    for (size_t i = 0; i < c->n; i++)
        free(c->v[i].key);
    free(c->v);
    c->v = NULL;
    c->n = c->cap = 0;
}

static int
s_kv_cmp(const void *a, const void *b)
{
    return strcmp(((const s_kv *)a)->key, ((const s_kv *)b)->key);
}

/* Move @c into a StatCount array sorted by key (*@out and *@n_out belong to a message). */
static acc_err
s_counts_out(s_counts *c, Accord__V1__StatCount ***out, size_t *n_out)
{
    if (c->n == 0)
        return ACC_OK;
    qsort(c->v, c->n, sizeof *c->v, s_kv_cmp);
    if (!(*out = calloc(c->n, sizeof **out)))
        return ACC_ERR_NOMEM;
    for (size_t i = 0; i < c->n; i++) {
        Accord__V1__StatCount *sc = malloc(sizeof *sc);
        if (!sc)
            return ACC_ERR_NOMEM;
        accord__v1__stat_count__init(sc);
        sc->key = c->v[i].key; /* moved */
        c->v[i].key = NULL;
        sc->count = c->v[i].count;
        (*out)[(*n_out)++] = sc;
    }
    return ACC_OK;
}

typedef struct {
    int64_t *v;
    size_t n, cap;
} s_vals;

static acc_err
s_vals_add(s_vals *a, int64_t x)
{
    if (a->n == a->cap) {
        size_t cap = a->cap ? a->cap * 2 : 64;
        int64_t *grown = realloc(a->v, cap * sizeof *grown);
        if (!grown)
            return ACC_ERR_NOMEM;
        a->v = grown;
        a->cap = cap;
    }
    a->v[a->n++] = x;
    return ACC_OK;
}

static int
s_i64_cmp(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

int64_t
reporting_median(int64_t *values, size_t n)
{
    if (n == 0)
        return -1;
    qsort(values, n, sizeof *values, s_i64_cmp);
    if (n % 2)
        return values[n / 2];
    int64_t lo = values[n / 2 - 1], hi = values[n / 2];
    return lo + (hi - lo) / 2; /* no overflow for any two int64 of the same sign */
}

/* Add one case to the counts and durations. */
static acc_err
s_stats_case(const Accord__V1__CaseState *cs, s_counts *status, s_counts *category, s_counts *owner,
             s_vals *to_verdict, s_vals *to_done)
{
    const char *st = acc_case_status_name(cs->status);
    const char *cat = cs->decided_category[0] ? cs->decided_category
                      : cs->category[0]       ? cs->category
                                              : "(none)";
    acc_err err;
    if ((err = s_counts_add(status, st, strlen(st), 1)) != ACC_OK ||
        (err = s_counts_add(category, cat, strlen(cat), 1)) != ACC_OK)
        return err;
    for (size_t i = 0; i < cs->n_measures; i++) {
        const char *o = cs->measures[i]->owner_agency[0] ? cs->measures[i]->owner_agency : "(none)";
        if ((err = s_counts_add(owner, o, strlen(o), 1)) != ACC_OK)
            return err;
    }
    if (cs->verdict_ms > 0 && cs->reports > 0 &&
        (err = s_vals_add(to_verdict, cs->verdict_ms - cs->first_report_ms)) != ACC_OK)
        return err;
    if (cs->verdict_ms > 0 && cs->measures_done_ms > 0 &&
        (err = s_vals_add(to_done, cs->measures_done_ms - cs->verdict_ms)) != ACC_OK)
        return err;
    return ACC_OK;
}

/*
 * GetStats scans the whole `cases` table and the counters on every request: simple and
 * exact, and cheap enough while a node holds thousands of cases. When that stops being
 * true, keep the counts in `counters` as events are applied (and medians per period).
 */
static Accord__V1__Response *
s_stats(acc_service_t *svc, s_state *st, uint64_t rid)
{
    s_counts status = {0}, category = {0}, owner = {0}, source = {0}, rejected = {0};
    s_vals to_verdict = {0}, to_done = {0};
    acc_txn_t *txn = NULL;
    acc_cursor_t *cur = NULL;
    Accord__V1__Response *r = NULL;
    Accord__V1__Stats *stats = NULL;
    int nomem = 0;
    const void *k, *v;
    size_t kl, vl;
    acc_err err = acc_store_read_begin(acc_service_store(svc), &txn);
    if (err == ACC_OK)
        err = acc_cursor_open(txn, st->cases, &cur);
    if (err == ACC_OK)
        err = acc_cursor_seek(cur, NULL, 0, &k, &kl, &v, &vl);
    while (err == ACC_OK) {
        Accord__V1__CaseState *cs = accord__v1__case_state__unpack(NULL, vl, v);
        if (!cs) {
            err = ACC_ERR_STORE;
            break;
        }
        err = s_stats_case(cs, &status, &category, &owner, &to_verdict, &to_done);
        accord__v1__case_state__free_unpacked(cs, NULL);
        if (err == ACC_OK)
            err = acc_cursor_next(cur, &k, &kl, &v, &vl);
    }
    acc_cursor_close(&cur);
    if (err == ACC_ERR_NOT_FOUND)
        err = acc_cursor_open(txn, st->counters, &cur);
    if (err == ACC_OK)
        err = acc_cursor_seek(cur, NULL, 0, &k, &kl, &v, &vl);
    while (err == ACC_OK) {
        if (vl == 8 && kl > 7 && memcmp(k, "source:", 7) == 0)
            err = s_counts_add(&source, (const char *)k + 7, kl - 7, acc_store_be_u64(v));
        else if (vl == 8 && kl > 9 && memcmp(k, "rejected:", 9) == 0)
            err = s_counts_add(&rejected, (const char *)k + 9, kl - 9, acc_store_be_u64(v));
        if (err == ACC_OK)
            err = acc_cursor_next(cur, &k, &kl, &v, &vl);
    }
    acc_cursor_close(&cur);
    acc_store_read_end(&txn);
    if (err == ACC_ERR_NOMEM) {
        nomem = 1;
        goto out;
    }
    if (err != ACC_ERR_NOT_FOUND) {
        r = acc_service_response(rid, ACCORD__V1__CODE__CODE_INTERNAL, "",
                                 "cannot read the cases store");
        goto out;
    }
    r = acc_service_response(rid, ACCORD__V1__CODE__CODE_OK, NULL, NULL);
    if (!r || !(stats = malloc(sizeof *stats))) {
        nomem = 1;
        goto out;
    }
    accord__v1__stats__init(stats);
    r->body_case = ACCORD__V1__RESPONSE__BODY_STATS;
    r->stats = stats;
    stats->median_report_to_verdict_ms = reporting_median(to_verdict.v, to_verdict.n);
    stats->median_verdict_to_done_ms = reporting_median(to_done.v, to_done.n);
    if (s_counts_out(&status, &stats->by_status, &stats->n_by_status) != ACC_OK ||
        s_counts_out(&category, &stats->by_category, &stats->n_by_category) != ACC_OK ||
        s_counts_out(&source, &stats->by_source, &stats->n_by_source) != ACC_OK ||
        s_counts_out(&owner, &stats->by_owner, &stats->n_by_owner) != ACC_OK ||
        s_counts_out(&rejected, &stats->rejected_by_agency, &stats->n_rejected_by_agency) != ACC_OK)
        nomem = 1;
out:
    if (nomem && r) {
        accord__v1__response__free_unpacked(r, NULL);
        r = NULL;
    }
    s_counts_free(&status);
    s_counts_free(&category);
    s_counts_free(&owner);
    s_counts_free(&source);
    s_counts_free(&rejected);
    free(to_verdict.v);
    free(to_done.v);
    return r;
}

static Accord__V1__Response *
s_pong(acc_service_t *svc, s_state *st, uint64_t rid)
{
    const acc_config_t *cfg = acc_service_config(svc);
    Accord__V1__Response *r = acc_service_response(rid, ACCORD__V1__CODE__CODE_OK, NULL, NULL);
    Accord__V1__Pong *p = malloc(sizeof *p);
    if (!r || !p) {
        free(p);
        if (r)
            accord__v1__response__free_unpacked(r, NULL);
        return NULL;
    }
    accord__v1__pong__init(p);
    r->body_case = ACCORD__V1__RESPONSE__BODY_PONG;
    r->pong = p;
    acc_txn_t *txn = NULL;
    if (acc_store_read_begin(acc_service_store(svc), &txn) == ACC_OK)
        acc_store_count(txn, st->cases, &p->cases);
    acc_store_read_end(&txn);
    if (s_set_str(&p->agency, cfg->agency) != ACC_OK ||
        s_set_str(&p->node_name, cfg->name ? cfg->name : cfg->agency) != ACC_OK) {
        accord__v1__response__free_unpacked(r, NULL);
        return NULL;
    }
    return r;
}

static Accord__V1__Response *
s_handle(acc_service_t *svc, void *state, const Accord__V1__Request *req, const char *agency)
{
    s_state *st = state;
    if (agency) /* the timeline is for this agency's operators, not for peers */
        return acc_service_response(req->request_id, ACCORD__V1__CODE__CODE_DENIED, "",
                                    "reporting answers local operators only");
    switch (req->body_case) {
    case ACCORD__V1__REQUEST__BODY_GET_TIMELINE:
        return s_timeline(svc, st, req->request_id, req->get_timeline);
    case ACCORD__V1__REQUEST__BODY_GET_STATS:
        return s_stats(svc, st, req->request_id);
    case ACCORD__V1__REQUEST__BODY_PING:
        return s_pong(svc, st, req->request_id);
    default:
        return acc_service_response(req->request_id, ACCORD__V1__CODE__CODE_INVALID, "body",
                                    "reporting answers get_timeline, get_stats and ping only");
    }
}

/* --- lifecycle ---------------------------------------------------------------------- */

static acc_err
s_start(acc_service_t *svc, void **state, acc_errinfo_t *ei)
{
    (void)ei;
    s_state *st = calloc(1, sizeof *st);
    if (!st)
        return ACC_ERR_NOMEM;
    st->timeline = acc_service_table(svc, "timeline");
    st->cases = acc_service_table(svc, "cases");
    st->counters = acc_service_table(svc, "counters");
    st->applied = acc_service_table(svc, "applied");
    *state = st;
    return ACC_OK;
}

static void
s_stop(acc_service_t *svc, void *state)
{
    (void)svc;
    free(state);
}

const acc_service_def_t reporting_service = {
    .name = "reporting",
    .tables = s_tables,
    .inputs = s_inputs,
    .start = s_start,
    .apply = s_apply,
    .handle = s_handle,
    .attach = NULL,
    .stop = s_stop,
};
