/* assignment — see assignment.h. */
#include "assignment.h"

#include <sodium.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acc_codec.h"
#include "acc_ids.h"
#include "acc_log.h"
#include "acc_model.h"
#include "acc_time.h"
#include "accord/v1/assignment.pb-c.h"
#include "accord/v1/intake.pb-c.h"
#include "accord/v1/verification.pb-c.h"

#define TAG "assignment"
#define S_ACTION_MAX 48
#define S_UPDATED_BY_MAX 200
/* Room kept in a list response for everything but the measures (status, framing): this
 * much, or a quarter of the message cap when that is smaller. */
#define S_RESPONSE_SLACK 4096

static const char *const s_tables[] = {"rules", "measures", "case_measured", NULL};
static const char *const s_inputs[] = {"verification", "intake", NULL};

typedef struct {
    acc_service_t *svc;
    const acc_config_t *cfg;
    acc_table t_rules, t_measures, t_case_measured;
    acc_uuid_gen_t gen;
} s_state;

/* --- small helpers ------------------------------------------------------------------ */

void
assignment_measure_id(const char *case_number, const char *rule_id, char out[37])
{
    crypto_hash_sha256_state st;
    crypto_hash_sha256_init(&st);
    /* Each part with its NUL, so ("ab", "c") and ("a", "bc") hash differently. */
    const char *parts[] = {"accord-measure-v1", case_number, rule_id};
    for (size_t i = 0; i < sizeof parts / sizeof *parts; i++)
        crypto_hash_sha256_update(&st, (const unsigned char *)parts[i], strlen(parts[i]) + 1);
    unsigned char h[32];
    crypto_hash_sha256_final(&st, h);
    acc_uuid_t u;
    memcpy(u.b, h, 16);
    u.b[6] = (unsigned char)(0x80 | (u.b[6] & 0x0f)); /* version 8 */
    u.b[8] = (unsigned char)(0x80 | (u.b[8] & 0x3f)); /* RFC 9562 variant */
    acc_uuid_format(&u, out);
}

/* [a-z0-9-]{@min,@max} */
static int
s_valid_token(const char *s, size_t min, size_t max)
{
    size_t n = strlen(s);
    if (n < min || n > max)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
            return 0;
    return 1;
}

int
assignment_valid_action(const char *s)
{
    return s && s_valid_token(s, 1, S_ACTION_MAX);
}

/* @s cut to at most @max bytes at a character boundary, copied into @buf (@max + 1 bytes):
 * strings from peers go into events and answers, which must stay valid UTF-8. */
static const char *
s_clip(const char *s, size_t max, char *buf)
{
    size_t n = strnlen(s, max + 1);
    if (n > max) {
        n = max;
        while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
            n--;
    }
    memcpy(buf, s, n);
    buf[n] = '\0';
    return buf;
}

#define S_CLIP 48

static int
s_valid_uuid(const char *s)
{
    acc_uuid_t u;
    return strlen(s) == ACC_UUID_TEXT_LEN && acc_uuid_parse(s, ACC_UUID_TEXT_LEN, &u) == ACC_OK;
}

/* What an owner may set a measure to. */
static int
s_update_status_ok(Accord__V1__MeasureStatus s)
{
    return s == ACCORD__V1__MEASURE_STATUS__MEASURE_STATUS_ACCEPTED ||
           s == ACCORD__V1__MEASURE_STATUS__MEASURE_STATUS_DONE ||
           s == ACCORD__V1__MEASURE_STATUS__MEASURE_STATUS_FAILED;
}

static int
s_needs_result(Accord__V1__MeasureStatus s)
{
    return s == ACCORD__V1__MEASURE_STATUS__MEASURE_STATUS_DONE ||
           s == ACCORD__V1__MEASURE_STATUS__MEASURE_STATUS_FAILED;
}

/* Pack @msg into a new buffer and store it under the NUL-terminated @key. */
static acc_err
s_put_msg(acc_txn_t *txn, acc_table t, const char *key, const ProtobufCMessage *msg, int flags)
{
    size_t n = protobuf_c_message_get_packed_size(msg);
    uint8_t *b = malloc(n ? n : 1);
    if (!b)
        return ACC_ERR_NOMEM;
    protobuf_c_message_pack(msg, b);
    acc_err err = acc_store_put(txn, t, key, strlen(key), b, n, flags);
    free(b);
    return err;
}

/* The stored message under @key, decoded (owned by the caller). Our own store, but still
 * decoded with the bounded codec: a damaged value is an error, not a crash. */
static acc_err
s_get_msg(acc_txn_t *txn, acc_table t, const char *key, const ProtobufCMessageDescriptor *desc,
          ProtobufCMessage **out)
{
    const void *v;
    size_t vl;
    acc_err err = acc_store_get(txn, t, key, strlen(key), &v, &vl);
    if (err != ACC_OK)
        return err;
    err = acc_codec_unpack(desc, v, vl, ACC_STREAM_RECORD_MAX, out, NULL);
    return err == ACC_ERR_NOMEM ? err : (err != ACC_OK ? ACC_ERR_STORE : ACC_OK);
}

/* A deep copy of @msg (pack and unpack), owned by the caller; NULL when out of memory. */
static void *
s_clone(const ProtobufCMessage *msg)
{
    size_t n = protobuf_c_message_get_packed_size(msg);
    uint8_t *b = malloc(n ? n : 1);
    if (!b)
        return NULL;
    protobuf_c_message_pack(msg, b);
    ProtobufCMessage *c = protobuf_c_message_unpack(msg->descriptor, NULL, n, b);
    free(b);
    return c;
}

static acc_err
s_emit_event(s_state *st, acc_txn_t *txn, Accord__V1__AssignmentEvent *ev)
{
    return acc_service_emit(st->svc, txn, &ev->base, NULL);
}

static acc_err
s_emit_rejection(s_state *st, acc_txn_t *txn, const char *from, const char *what,
                 const char *reason, int64_t at_ms)
{
    Accord__V1__Rejection rj = ACCORD__V1__REJECTION__INIT;
    rj.from_agency = (char *)from;
    rj.what = (char *)what;
    rj.reason = (char *)reason;
    rj.at_ms = at_ms;
    Accord__V1__AssignmentEvent ev = ACCORD__V1__ASSIGNMENT_EVENT__INIT;
    ev.body_case = ACCORD__V1__ASSIGNMENT_EVENT__BODY_REJECTION;
    ev.rejection = &rj;
    acc_log_info(TAG, "refused %s from '%s': %s", what, from, reason);
    return s_emit_event(st, txn, &ev);
}

/* --- verification: decisions become measures ---------------------------------------- */

static acc_err
s_decision(s_state *st, acc_txn_t *txn, const Accord__V1__Decision *d)
{
    if (d->verdict != ACCORD__V1__VERDICT__VERDICT_VIOLATING)
        return ACC_OK;
    if (!d->case_number[0]) {
        acc_log_warn(TAG, "a violating decision without a case number: no measures");
        return ACC_OK;
    }
    const void *v;
    size_t vl;
    acc_err err =
        acc_store_get(txn, st->t_case_measured, d->case_number, strlen(d->case_number), &v, &vl);
    if (err == ACC_OK)
        return ACC_OK; /* measured by an earlier decision: a measure is created once */
    if (err != ACC_ERR_NOT_FOUND)
        return err;
    if (!d->legal_basis[0] || !d->reasons[0]) {
        acc_log_warn(TAG, "decision on case '%s' has no legal basis or reasons: no measures",
                     d->case_number);
        return ACC_OK;
    }

    uint64_t made = 0;
    acc_cursor_t *cur = NULL;
    if ((err = acc_cursor_open(txn, st->t_rules, &cur)) != ACC_OK)
        return err;
    const void *k;
    size_t kl;
    for (err = acc_cursor_seek(cur, NULL, 0, &k, &kl, &v, &vl); err == ACC_OK;
         err = acc_cursor_next(cur, &k, &kl, &v, &vl)) {
        ProtobufCMessage *m = NULL;
        if (acc_codec_unpack(&accord__v1__routing_rule__descriptor, v, vl, ACC_STREAM_RECORD_MAX,
                             &m, NULL) != ACC_OK) {
            err = ACC_ERR_STORE;
            break;
        }
        Accord__V1__RoutingRule *r = (Accord__V1__RoutingRule *)m;
        if (strcmp(r->category, d->category) != 0 || r->jurisdiction[0]) {
            accord__v1__routing_rule__free_unpacked(r, NULL);
            continue;
        }
        char id[ACC_UUID_TEXT_LEN + 1];
        assignment_measure_id(d->case_number, r->id, id);
        Accord__V1__Measure me = ACCORD__V1__MEASURE__INIT;
        me.id = id;
        me.case_number = d->case_number;
        me.lead_agency = st->cfg->agency;
        me.owner_agency = r->owner_agency;
        me.action = r->action;
        /* Rules keep deadline_s within a year; the clamp keeps a wild decided_ms defined. */
        int64_t span = r->deadline_s * 1000;
        me.deadline_ms = d->decided_ms > INT64_MAX - span ? INT64_MAX : d->decided_ms + span;
        me.status = ACCORD__V1__MEASURE_STATUS__MEASURE_STATUS_ASSIGNED;
        me.category = d->category;
        me.legal_basis = d->legal_basis;
        me.reasons = d->reasons;
        me.url = d->url;
        me.created_ms = d->decided_ms;
        err = s_put_msg(txn, st->t_measures, id, &me.base, ACC_PUT_NOOVERWRITE);
        if (err == ACC_OK) {
            Accord__V1__AssignmentEvent ev = ACCORD__V1__ASSIGNMENT_EVENT__INIT;
            ev.body_case = ACCORD__V1__ASSIGNMENT_EVENT__BODY_MEASURE;
            ev.measure = &me;
            err = s_emit_event(st, txn, &ev);
            made++;
        } else if (err == ACC_ERR_EXISTS) {
            err = ACC_OK; /* the same (case, rule) id: already there */
        }
        accord__v1__routing_rule__free_unpacked(r, NULL);
        if (err != ACC_OK)
            break;
    }
    acc_cursor_close(&cur);
    if (err != ACC_ERR_NOT_FOUND)
        return err;
    if (made == 0) {
        /* Not marked: a later decision on the case, after a rule was added, still counts. */
        acc_log_warn(TAG, "no routing rule for category '%s': case '%s' has no measures",
                     d->category, d->case_number);
        return ACC_OK;
    }
    unsigned char cnt[8];
    acc_store_u64_be(made, cnt);
    return acc_store_put(txn, st->t_case_measured, d->case_number, strlen(d->case_number), cnt,
                         sizeof cnt, 0);
}

/* --- intake: envelopes from peers --------------------------------------------------- */

/* Why a measure from @origin is not ours to store, or NULL when it is. */
static const char *
s_measure_refusal(const s_state *st, const Accord__V1__Measure *m, const char *origin, char *buf,
                  size_t len)
{
    char a[S_CLIP + 1], b[S_CLIP + 1];
    if (strcmp(m->owner_agency, st->cfg->agency) != 0)
        snprintf(buf, len, "the measure is owned by '%s', not by this agency '%s'",
                 s_clip(m->owner_agency, S_CLIP, a), st->cfg->agency);
    else if (strcmp(m->lead_agency, origin) != 0)
        snprintf(buf, len, "the measure's lead '%s' is not its sender '%s'",
                 s_clip(m->lead_agency, S_CLIP, a), s_clip(origin, S_CLIP, b));
    else if (!s_valid_uuid(m->id))
        snprintf(buf, len, "the measure id '%s' is not a uuid", s_clip(m->id, S_CLIP, a));
    else if (!m->case_number[0])
        snprintf(buf, len, "the measure has no case number");
    else if (!assignment_valid_action(m->action))
        snprintf(buf, len, "the measure's action '%s' is not [a-z0-9-]{1,48}",
                 s_clip(m->action, S_CLIP, a));
    else if (!m->legal_basis[0])
        snprintf(buf, len, "the measure has no legal basis");
    else if (!m->reasons[0])
        snprintf(buf, len, "the measure has no statement of reasons");
    else
        return NULL;
    return buf;
}

static acc_err
s_measure_in(s_state *st, acc_txn_t *txn, const char *origin, const Accord__V1__Measure *m,
             int64_t at_ms)
{
    char what[80], reason[256], idc[S_CLIP + 1];
    snprintf(what, sizeof what, "measure %s", s_clip(m->id, S_CLIP, idc));
    if (s_measure_refusal(st, m, origin, reason, sizeof reason))
        return s_emit_rejection(st, txn, origin, what, reason, at_ms);
    ProtobufCMessage *old = NULL;
    acc_err err = s_get_msg(txn, st->t_measures, m->id, &accord__v1__measure__descriptor, &old);
    if (err == ACC_OK) {
        const Accord__V1__Measure *o = (const Accord__V1__Measure *)old;
        int same_lead = strcmp(o->lead_agency, origin) == 0;
        protobuf_c_message_free_unpacked(old, NULL);
        if (same_lead)
            return ACC_OK; /* sent again: already stored, nothing changes */
        snprintf(reason, sizeof reason, "the measure id is already used by another lead");
        return s_emit_rejection(st, txn, origin, what, reason, at_ms);
    }
    if (err != ACC_ERR_NOT_FOUND)
        return err;
    if ((err = s_put_msg(txn, st->t_measures, m->id, &m->base, 0)) != ACC_OK)
        return err;
    Accord__V1__AssignmentEvent ev = ACCORD__V1__ASSIGNMENT_EVENT__INIT;
    ev.body_case = ACCORD__V1__ASSIGNMENT_EVENT__BODY_MEASURE;
    ev.measure = (Accord__V1__Measure *)m;
    return s_emit_event(st, txn, &ev);
}

/* Store @m with the update's fields and emit the MeasureUpdate event. */
static acc_err
s_apply_update(s_state *st, acc_txn_t *txn, const Accord__V1__Measure *m,
               Accord__V1__MeasureStatus status, const char *result, const char *updated_by,
               int64_t updated_ms, Accord__V1__Measure *updated)
{
    *updated = *m; /* shallow: strings stay owned by @m */
    updated->status = status;
    updated->result = (char *)result;
    updated->updated_by = (char *)updated_by;
    updated->updated_ms = updated_ms;
    acc_err err = s_put_msg(txn, st->t_measures, m->id, &updated->base, 0);
    if (err != ACC_OK)
        return err;
    Accord__V1__MeasureUpdate u = ACCORD__V1__MEASURE_UPDATE__INIT;
    u.measure_id = m->id;
    u.case_number = m->case_number;
    u.lead_agency = m->lead_agency;
    u.owner_agency = m->owner_agency;
    u.status = status;
    u.result = (char *)result;
    u.updated_by = (char *)updated_by;
    u.updated_ms = updated_ms;
    Accord__V1__AssignmentEvent ev = ACCORD__V1__ASSIGNMENT_EVENT__INIT;
    ev.body_case = ACCORD__V1__ASSIGNMENT_EVENT__BODY_MEASURE_UPDATE;
    ev.measure_update = &u;
    return s_emit_event(st, txn, &ev);
}

static acc_err
s_update_in(s_state *st, acc_txn_t *txn, const char *origin, const Accord__V1__MeasureUpdate *u,
            int64_t at_ms)
{
    char what[80], reason[256], idc[S_CLIP + 1];
    snprintf(what, sizeof what, "measure update %s", s_clip(u->measure_id, S_CLIP, idc));
    ProtobufCMessage *mm = NULL;
    acc_err err = ACC_ERR_NOT_FOUND;
    if (u->measure_id[0])
        err = s_get_msg(txn, st->t_measures, u->measure_id, &accord__v1__measure__descriptor, &mm);
    if (err == ACC_ERR_NOT_FOUND) {
        snprintf(reason, sizeof reason, "no measure '%s' on this node", idc);
        return s_emit_rejection(st, txn, origin, what, reason, at_ms);
    }
    if (err != ACC_OK)
        return err;
    const Accord__V1__Measure *m = (const Accord__V1__Measure *)mm;
    const char *refused = reason;
    if (strcmp(m->lead_agency, st->cfg->agency) != 0)
        snprintf(reason, sizeof reason, "this agency '%s' is not the lead of the measure",
                 st->cfg->agency);
    else if (strcmp(m->owner_agency, origin) != 0)
        snprintf(reason, sizeof reason, "only the owner agency '%s' updates this measure",
                 m->owner_agency);
    else if (!s_update_status_ok(u->status))
        snprintf(reason, sizeof reason, "status '%s' is not accepted, done or failed",
                 acc_measure_status_name(u->status));
    else if (s_needs_result(u->status) && !u->result[0])
        snprintf(reason, sizeof reason, "status '%s' needs a result",
                 acc_measure_status_name(u->status));
    else if (!u->updated_by[0])
        snprintf(reason, sizeof reason, "the update does not say who made it");
    else
        refused = NULL;
    if (refused)
        err = s_emit_rejection(st, txn, origin, what, refused, at_ms);
    else {
        Accord__V1__Measure updated;
        err = s_apply_update(st, txn, m, u->status, u->result, u->updated_by, u->updated_ms,
                             &updated);
    }
    protobuf_c_message_free_unpacked(mm, NULL);
    return err;
}

static acc_err
s_intake_event(s_state *st, acc_txn_t *txn, const Accord__V1__IntakeEvent *ev)
{
    if (ev->body_case != ACCORD__V1__INTAKE_EVENT__BODY_ENVELOPE)
        return ACC_OK; /* reports are verification's */
    const Accord__V1__ReceivedEnvelope *re = ev->envelope;
    const Accord__V1__Envelope *e = re ? re->envelope : NULL;
    if (!e) {
        acc_log_warn(TAG, "an intake envelope record without an envelope: skipped");
        return ACC_OK;
    }
    switch (e->body_case) {
    case ACCORD__V1__ENVELOPE__BODY_MEASURE:
        return s_measure_in(st, txn, e->origin, e->measure, re->received_ms);
    case ACCORD__V1__ENVELOPE__BODY_MEASURE_UPDATE:
        return s_update_in(st, txn, e->origin, e->measure_update, re->received_ms);
    default:
        acc_log_warn(TAG, "an envelope from '%s' with a body assignment does not take: skipped",
                     e->origin);
        return ACC_OK;
    }
}

/* --- apply -------------------------------------------------------------------------- */

typedef struct {
    s_state *st;
    const char *input;
    const acc_stream_record_t *recs;
    size_t n;
} s_apply_arg;

static acc_err
s_apply_fn(acc_txn_t *txn, void *arg)
{
    s_apply_arg *a = arg;
    s_state *st = a->st;
    int from_verification = strcmp(a->input, "verification") == 0;
    const ProtobufCMessageDescriptor *desc = from_verification
                                                 ? &accord__v1__verification_event__descriptor
                                                 : &accord__v1__intake_event__descriptor;
    for (size_t i = 0; i < a->n; i++) {
        ProtobufCMessage *m = NULL;
        acc_errinfo_t ei;
        acc_errinfo_clear(&ei);
        acc_err err = acc_codec_unpack(desc, a->recs[i].payload, a->recs[i].len,
                                       ACC_STREAM_RECORD_MAX, &m, &ei);
        if (err == ACC_ERR_NOMEM)
            return err;
        if (err != ACC_OK) {
            /* Retrying cannot make it decode; skipping keeps the stream moving. */
            acc_log_error(TAG, "%s record %llu does not decode (%s: %s): skipped", a->input,
                          (unsigned long long)a->recs[i].seq, ei.field, ei.msg);
            continue;
        }
        if (from_verification) {
            const Accord__V1__VerificationEvent *ve = (const Accord__V1__VerificationEvent *)m;
            err = ve->body_case == ACCORD__V1__VERIFICATION_EVENT__BODY_DECISION
                      ? s_decision(st, txn, ve->decision)
                      : ACC_OK;
        } else {
            err = s_intake_event(st, txn, (const Accord__V1__IntakeEvent *)m);
        }
        protobuf_c_message_free_unpacked(m, NULL);
        if (err != ACC_OK)
            return err;
    }
    return acc_service_cursor_put(st->svc, txn, a->input, a->recs[a->n - 1].seq);
}

static acc_err
s_apply(acc_service_t *svc, void *state, const char *input, const acc_stream_record_t *recs,
        size_t n)
{
    if (n == 0)
        return ACC_OK;
    s_apply_arg a = {state, input, recs, n};
    acc_err err = acc_service_write(svc, s_apply_fn, &a);
    if (err != ACC_OK)
        acc_log_warn(TAG, "cannot apply %s records %llu..%llu: %s (will retry)", input,
                     (unsigned long long)recs[0].seq, (unsigned long long)recs[n - 1].seq,
                     acc_strerror(err));
    return err;
}

/* --- control: AddRoute --------------------------------------------------------------- */

static Accord__V1__Response *
s_write_failed(uint64_t rid, acc_err err)
{
    if (err == ACC_ERR_FULL)
        return acc_service_response(rid, ACCORD__V1__CODE__CODE_RETRY, "",
                                    "the store is full; retry later");
    if (err == ACC_ERR_NOMEM)
        return NULL;
    char msg[128];
    snprintf(msg, sizeof msg, "cannot write the store: %s", acc_strerror(err));
    return acc_service_response(rid, ACCORD__V1__CODE__CODE_INTERNAL, "", msg);
}

typedef struct {
    s_state *st;
    const Accord__V1__RoutingRule *rule;
    char dup_id[ACC_UUID_TEXT_LEN + 1];
} s_route_arg;

static acc_err
s_route_fn(acc_txn_t *txn, void *arg)
{
    s_route_arg *a = arg;
    const Accord__V1__RoutingRule *r = a->rule;
    acc_cursor_t *cur = NULL;
    acc_err err = acc_cursor_open(txn, a->st->t_rules, &cur);
    if (err != ACC_OK)
        return err;
    const void *k, *v;
    size_t kl, vl;
    for (err = acc_cursor_seek(cur, NULL, 0, &k, &kl, &v, &vl); err == ACC_OK;
         err = acc_cursor_next(cur, &k, &kl, &v, &vl)) {
        ProtobufCMessage *m = NULL;
        if (acc_codec_unpack(&accord__v1__routing_rule__descriptor, v, vl, ACC_STREAM_RECORD_MAX,
                             &m, NULL) != ACC_OK) {
            err = ACC_ERR_STORE;
            break;
        }
        const Accord__V1__RoutingRule *o = (const Accord__V1__RoutingRule *)m;
        int dup = strcmp(o->category, r->category) == 0 &&
                  strcmp(o->jurisdiction, r->jurisdiction) == 0 &&
                  strcmp(o->action, r->action) == 0 &&
                  strcmp(o->owner_agency, r->owner_agency) == 0;
        if (dup)
            snprintf(a->dup_id, sizeof a->dup_id, "%s", o->id);
        protobuf_c_message_free_unpacked(m, NULL);
        if (dup) {
            err = ACC_ERR_EXISTS;
            break;
        }
    }
    acc_cursor_close(&cur);
    if (err != ACC_ERR_NOT_FOUND)
        return err;
    if ((err = s_put_msg(txn, a->st->t_rules, r->id, &r->base, ACC_PUT_NOOVERWRITE)) != ACC_OK)
        return err;
    Accord__V1__AssignmentEvent ev = ACCORD__V1__ASSIGNMENT_EVENT__INIT;
    ev.body_case = ACCORD__V1__ASSIGNMENT_EVENT__BODY_RULE;
    ev.rule = (Accord__V1__RoutingRule *)r;
    return s_emit_event(a->st, txn, &ev);
}

static Accord__V1__Response *
s_add_route(s_state *st, uint64_t rid, const Accord__V1__AddRoute *ar)
{
    const Accord__V1__RoutingRule *in = ar->rule;
    const acc_config_t *cfg = st->cfg;
    char msg[512];
    if (!in)
        return acc_service_response(rid, ACCORD__V1__CODE__CODE_INVALID, "rule",
                                    "a routing rule is required");
    if (!acc_config_category(cfg, in->category)) {
        char list[300];
        acc_config_category_list(cfg, list, sizeof list);
        char c[S_CLIP + 1];
        snprintf(msg, sizeof msg, "unknown category '%s'; configured: %s",
                 s_clip(in->category, S_CLIP, c), list);
        return acc_service_response(rid, ACCORD__V1__CODE__CODE_INVALID, "rule.category", msg);
    }
    if (!s_valid_token(in->jurisdiction, 0, S_ACTION_MAX))
        return acc_service_response(rid, ACCORD__V1__CODE__CODE_INVALID, "rule.jurisdiction",
                                    "a jurisdiction is [a-z0-9-]{0,48} (empty = any)");
    if (!assignment_valid_action(in->action))
        return acc_service_response(rid, ACCORD__V1__CODE__CODE_INVALID, "rule.action",
                                    "an action is 1 to 48 of [a-z0-9-], e.g. 'request-removal'");
    if (strcmp(in->owner_agency, cfg->agency) != 0 && !acc_config_peer(cfg, in->owner_agency)) {
        char o[S_CLIP + 1];
        snprintf(msg, sizeof msg,
                 "owner agency '%s' is neither this agency '%s' nor a configured peer",
                 s_clip(in->owner_agency, S_CLIP, o), cfg->agency);
        return acc_service_response(rid, ACCORD__V1__CODE__CODE_INVALID, "rule.owner_agency", msg);
    }
    if (in->deadline_s < ASSIGNMENT_DEADLINE_MIN_S || in->deadline_s > ASSIGNMENT_DEADLINE_MAX_S) {
        snprintf(msg, sizeof msg, "a deadline is %d to %d seconds (one minute to 365 days)",
                 ASSIGNMENT_DEADLINE_MIN_S, ASSIGNMENT_DEADLINE_MAX_S);
        return acc_service_response(rid, ACCORD__V1__CODE__CODE_INVALID, "rule.deadline_s", msg);
    }

    acc_uuid_t u;
    char id[ACC_UUID_TEXT_LEN + 1];
    acc_uuid_v7(&st->gen, &u);
    acc_uuid_format(&u, id);
    Accord__V1__RoutingRule r = *in; /* shallow: strings borrowed from the request */
    r.base.unknown_fields = NULL;
    r.base.n_unknown_fields = 0;
    r.id = id;
    s_route_arg a = {.st = st, .rule = &r};
    acc_err err = acc_service_write(st->svc, s_route_fn, &a);
    if (err == ACC_ERR_EXISTS) {
        snprintf(msg, sizeof msg, "the same rule exists: '%s'", a.dup_id);
        return acc_service_response(rid, ACCORD__V1__CODE__CODE_INVALID, "rule", msg);
    }
    if (err != ACC_OK)
        return s_write_failed(rid, err);
    acc_log_info(TAG, "rule %s: %s -> %s by '%s' within %llds", id, r.category, r.action,
                 r.owner_agency, (long long)r.deadline_s);
    Accord__V1__Response *resp = acc_service_response(rid, ACCORD__V1__CODE__CODE_OK, "", "");
    if (!resp)
        return NULL;
    resp->route = s_clone(&r.base);
    if (!resp->route) {
        accord__v1__response__free_unpacked(resp, NULL);
        return NULL;
    }
    resp->body_case = ACCORD__V1__RESPONSE__BODY_ROUTE;
    return resp;
}

/* --- control: ListMeasures ----------------------------------------------------------- */

static int
s_cmp_measure(const void *pa, const void *pb)
{
    const Accord__V1__Measure *a = *(Accord__V1__Measure *const *)pa;
    const Accord__V1__Measure *b = *(Accord__V1__Measure *const *)pb;
    if (a->created_ms != b->created_ms)
        return a->created_ms < b->created_ms ? -1 : 1;
    return strcmp(a->id, b->id);
}

static Accord__V1__Response *
s_list_measures(s_state *st, uint64_t rid, const Accord__V1__ListMeasures *lm)
{
    Accord__V1__Measure **all = NULL;
    size_t n = 0, cap = 0;
    Accord__V1__Response *resp = NULL;
    Accord__V1__MeasureList *list = NULL;
    acc_txn_t *txn = NULL;
    acc_cursor_t *cur = NULL;
    acc_err err = acc_store_read_begin(acc_service_store(st->svc), &txn);
    if (err == ACC_OK)
        err = acc_cursor_open(txn, st->t_measures, &cur);
    const void *k, *v;
    size_t kl, vl;
    if (err == ACC_OK)
        err = acc_cursor_seek(cur, NULL, 0, &k, &kl, &v, &vl);
    for (; err == ACC_OK; err = acc_cursor_next(cur, &k, &kl, &v, &vl)) {
        ProtobufCMessage *m = NULL;
        if ((err = acc_codec_unpack(&accord__v1__measure__descriptor, v, vl, ACC_STREAM_RECORD_MAX,
                                    &m, NULL)) != ACC_OK)
            break;
        Accord__V1__Measure *me = (Accord__V1__Measure *)m;
        if ((lm->mine && strcmp(me->owner_agency, st->cfg->agency) != 0) ||
            (lm->case_number[0] && strcmp(me->case_number, lm->case_number) != 0)) {
            protobuf_c_message_free_unpacked(m, NULL);
            continue;
        }
        if (n == cap) {
            size_t ncap = cap ? cap * 2 : 16;
            Accord__V1__Measure **na = realloc(all, ncap * sizeof *na);
            if (!na) {
                protobuf_c_message_free_unpacked(m, NULL);
                err = ACC_ERR_NOMEM;
                break;
            }
            all = na;
            cap = ncap;
        }
        all[n++] = me;
    }
    acc_cursor_close(&cur);
    acc_store_read_end(&txn);
    if (err != ACC_ERR_NOT_FOUND) {
        resp = err == ACC_ERR_NOMEM ? NULL
                                    : acc_service_response(rid, ACCORD__V1__CODE__CODE_INTERNAL, "",
                                                           "cannot read the measures");
        goto out;
    }
    if (n > 1)
        qsort(all, n, sizeof *all, s_cmp_measure);

    /* As many as fit in one message, oldest first. */
    size_t max = (size_t)st->cfg->limits.message_max_bytes;
    size_t budget = max - (max / 4 < S_RESPONSE_SLACK ? max / 4 : S_RESPONSE_SLACK);
    size_t used = 0, keep = 0;
    for (; keep < n; keep++) {
        size_t sz = accord__v1__measure__get_packed_size(all[keep]) + 16; /* tag, length */
        if (used + sz > budget)
            break;
        used += sz;
    }
    char msg[128] = "";
    if (keep < n)
        snprintf(msg, sizeof msg, "list shortened: %zu of %zu measures fit in one message", keep,
                 n);
    if (!(resp = acc_service_response(rid, ACCORD__V1__CODE__CODE_OK, "", msg)))
        goto out;
    if (!(list = malloc(sizeof *list))) {
        accord__v1__response__free_unpacked(resp, NULL);
        resp = NULL;
        goto out;
    }
    accord__v1__measure_list__init(list);
    resp->measures = list;
    resp->body_case = ACCORD__V1__RESPONSE__BODY_MEASURES;
    if (keep) {
        /* The response takes the first @keep measures and the array. */
        list->measures = all;
        list->n_measures = keep;
        for (size_t i = keep; i < n; i++)
            accord__v1__measure__free_unpacked(all[i], NULL);
        all = NULL;
        n = 0;
    }
out:
    for (size_t i = 0; i < n; i++)
        accord__v1__measure__free_unpacked(all[i], NULL);
    free(all);
    return resp;
}

/* --- control: UpdateMeasure ---------------------------------------------------------- */

typedef struct {
    s_state *st;
    const Accord__V1__UpdateMeasure *um;
    int64_t now_ms;
    Accord__V1__Code code; /* when the fn returns ACC_ERR_DENIED: what to answer */
    const char *field;
    char msg[256];
    Accord__V1__Measure *result; /* on success: the updated measure (a copy) */
} s_update_arg;

static acc_err
s_update_fn(acc_txn_t *txn, void *arg)
{
    s_update_arg *a = arg;
    const Accord__V1__UpdateMeasure *um = a->um;
    ProtobufCMessage *mm = NULL;
    acc_err err =
        s_get_msg(txn, a->st->t_measures, um->measure_id, &accord__v1__measure__descriptor, &mm);
    if (err == ACC_ERR_NOT_FOUND) {
        a->code = ACCORD__V1__CODE__CODE_NOT_FOUND;
        a->field = "measure_id";
        char idc[S_CLIP + 1];
        snprintf(a->msg, sizeof a->msg, "no measure '%s'", s_clip(um->measure_id, S_CLIP, idc));
        return ACC_ERR_DENIED;
    }
    if (err != ACC_OK)
        return err;
    const Accord__V1__Measure *m = (const Accord__V1__Measure *)mm;
    if (strcmp(m->owner_agency, a->st->cfg->agency) != 0) {
        a->code = ACCORD__V1__CODE__CODE_DENIED;
        a->field = "measure_id";
        snprintf(a->msg, sizeof a->msg, "only the owner agency '%s' updates this measure",
                 m->owner_agency);
        err = ACC_ERR_DENIED;
        goto out;
    }
    Accord__V1__Measure updated;
    err =
        s_apply_update(a->st, txn, m, um->status, um->result, um->updated_by, a->now_ms, &updated);
    if (err == ACC_OK) {
        /* A rerun of this fn (map grown) replaces the copy of the attempt before. */
        if (a->result)
            accord__v1__measure__free_unpacked(a->result, NULL);
        if (!(a->result = s_clone(&updated.base)))
            err = ACC_ERR_NOMEM;
    }
out:
    protobuf_c_message_free_unpacked(mm, NULL);
    return err;
}

static Accord__V1__Response *
s_update_measure(s_state *st, uint64_t rid, const Accord__V1__UpdateMeasure *um)
{
    char msg[256];
    if (!um->measure_id[0])
        return acc_service_response(rid, ACCORD__V1__CODE__CODE_INVALID, "measure_id",
                                    "a measure id is required");
    if (!s_update_status_ok(um->status)) {
        snprintf(msg, sizeof msg, "status '%s' is not one of accepted, done, failed",
                 acc_measure_status_name(um->status));
        return acc_service_response(rid, ACCORD__V1__CODE__CODE_INVALID, "status", msg);
    }
    if (s_needs_result(um->status) && !um->result[0]) {
        snprintf(msg, sizeof msg, "status '%s' needs a result: what was done or why it failed",
                 acc_measure_status_name(um->status));
        return acc_service_response(rid, ACCORD__V1__CODE__CODE_INVALID, "result", msg);
    }
    if (strlen(um->result) > (size_t)st->cfg->limits.text_max_bytes) {
        snprintf(msg, sizeof msg, "a result is at most %lld bytes",
                 (long long)st->cfg->limits.text_max_bytes);
        return acc_service_response(rid, ACCORD__V1__CODE__CODE_INVALID, "result", msg);
    }
    if (!um->updated_by[0] || strlen(um->updated_by) > S_UPDATED_BY_MAX)
        return acc_service_response(rid, ACCORD__V1__CODE__CODE_INVALID, "updated_by",
                                    "who made the update is required (at most 200 bytes)");

    s_update_arg a = {.st = st, .um = um, .now_ms = acc_time_now_ms()};
    acc_err err = acc_service_write(st->svc, s_update_fn, &a);
    if (err == ACC_ERR_DENIED) {
        if (a.result)
            accord__v1__measure__free_unpacked(a.result, NULL);
        return acc_service_response(rid, a.code, a.field, a.msg);
    }
    if (err != ACC_OK) {
        if (a.result)
            accord__v1__measure__free_unpacked(a.result, NULL);
        return s_write_failed(rid, err);
    }
    acc_log_info(TAG, "measure %s %s by '%s'", um->measure_id, acc_measure_status_name(um->status),
                 um->updated_by);
    Accord__V1__Response *resp = acc_service_response(rid, ACCORD__V1__CODE__CODE_OK, "", "");
    if (!resp) {
        accord__v1__measure__free_unpacked(a.result, NULL);
        return NULL;
    }
    resp->measure = a.result;
    resp->body_case = ACCORD__V1__RESPONSE__BODY_MEASURE;
    return resp;
}

/* --- the service ---------------------------------------------------------------------- */

static Accord__V1__Response *
s_handle(acc_service_t *svc, void *state, const Accord__V1__Request *req, const char *agency)
{
    (void)svc;
    (void)agency;
    s_state *st = state;
    uint64_t rid = req->request_id;
    switch (req->body_case) {
    case ACCORD__V1__REQUEST__BODY_ADD_ROUTE:
        return s_add_route(st, rid, req->add_route);
    case ACCORD__V1__REQUEST__BODY_LIST_MEASURES:
        return s_list_measures(st, rid, req->list_measures);
    case ACCORD__V1__REQUEST__BODY_UPDATE_MEASURE:
        return s_update_measure(st, rid, req->update_measure);
    case ACCORD__V1__REQUEST__BODY_PING: {
        Accord__V1__Response *resp = acc_service_response(rid, ACCORD__V1__CODE__CODE_OK, "", "");
        Accord__V1__Pong *p = malloc(sizeof *p);
        if (!resp || !p) {
            free(p);
            accord__v1__response__free_unpacked(resp, NULL);
            return NULL;
        }
        accord__v1__pong__init(p);
        resp->pong = p;
        resp->body_case = ACCORD__V1__RESPONSE__BODY_PONG;
        if (!(p->agency = strdup(st->cfg->agency)) || !(p->node_name = strdup(st->cfg->name))) {
            accord__v1__response__free_unpacked(resp, NULL);
            return NULL;
        }
        return resp;
    }
    default:
        return acc_service_response(rid, ACCORD__V1__CODE__CODE_INVALID, "body",
                                    "the assignment service takes add_route, list_measures, "
                                    "update_measure and ping");
    }
}

static acc_err
s_start(acc_service_t *svc, void **state, acc_errinfo_t *ei)
{
    (void)ei;
    if (sodium_init() < 0)
        return ACC_ERR_INTERNAL;
    s_state *st = calloc(1, sizeof *st);
    if (!st)
        return ACC_ERR_NOMEM;
    st->svc = svc;
    st->cfg = acc_service_config(svc);
    st->t_rules = acc_service_table(svc, "rules");
    st->t_measures = acc_service_table(svc, "measures");
    st->t_case_measured = acc_service_table(svc, "case_measured");
    *state = st;
    return ACC_OK;
}

static void
s_stop(acc_service_t *svc, void *state)
{
    (void)svc;
    free(state);
}

const acc_service_def_t assignment_service = {
    .name = "assignment",
    .tables = s_tables,
    .inputs = s_inputs,
    .start = s_start,
    .apply = s_apply,
    .handle = s_handle,
    .attach = NULL,
    .stop = s_stop,
};
