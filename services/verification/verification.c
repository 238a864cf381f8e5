/*
 * verification — cases from intake's reports, decisions from operators and the automated
 * policy, each decision an event of the service's log (see verification.h).
 */
#include "verification.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acc_codec.h"
#include "acc_log.h"
#include "acc_time.h"
#include "acc_text.h"
#include "accord/v1/verification.pb-c.h"

#define S_TAG "verification"
/* Case numbers are "<agency>/<year>/<n>": far below this; longer ones are not ours. */
#define S_CASE_NUMBER_MAX 255

typedef struct {
    acc_service_t *svc;
    const acc_config_t *cfg;
    acc_table t_cases, t_decisions;
} s_state;

static const char *const s_tables[] = {"cases", "decisions", NULL};
static const char *const s_inputs[] = {"intake", NULL};

/* --- store helpers ------------------------------------------------------------------ */

/* Pack @msg and store it under the string key @key of table @t. */
static acc_err
s_put_msg(acc_txn_t *txn, acc_table t, const char *key, const ProtobufCMessage *msg)
{
    size_t n = protobuf_c_message_get_packed_size(msg);
    uint8_t *buf = malloc(n ? n : 1);
    if (!buf)
        return ACC_ERR_NOMEM;
    protobuf_c_message_pack(msg, buf);
    acc_err err = acc_store_put(txn, t, key, strlen(key), buf, n, 0);
    free(buf);
    return err;
}

/* The CaseInfo stored under @number (*@out owned by the caller), ACC_ERR_NOT_FOUND when
 * there is none. A record that does not decode is a damaged store: ACC_ERR_STORE. */
static acc_err
s_get_case(s_state *st, acc_txn_t *txn, const char *number, Accord__V1__CaseInfo **out)
{
    const void *v = NULL;
    size_t vl = 0;
    acc_err err = acc_store_get(txn, st->t_cases, number, strlen(number), &v, &vl);
    if (err != ACC_OK)
        return err;
    ProtobufCMessage *m = NULL;
    acc_errinfo_t ei;
    err =
        acc_codec_unpack(&accord__v1__case_info__descriptor, v, vl, ACC_STREAM_RECORD_MAX, &m, &ei);
    if (err == ACC_ERR_NOMEM)
        return err;
    if (err != ACC_OK) {
        acc_log_error(S_TAG, "case '%s' in the store does not decode: %s: %s", number, ei.field,
                      ei.msg);
        return ACC_ERR_STORE;
    }
    *out = (Accord__V1__CaseInfo *)m;
    return ACC_OK;
}

/* Record @d (borrowed) on case @ci (borrowed; its decided flag is set and it is stored):
 * the latest decision, the case, and the event, all in @txn. */
static acc_err
s_record(s_state *st, acc_txn_t *txn, Accord__V1__CaseInfo *ci, const Accord__V1__Decision *d)
{
    ci->decided = 1;
    acc_err err = s_put_msg(txn, st->t_cases, ci->case_number, &ci->base);
    if (err == ACC_OK)
        err = s_put_msg(txn, st->t_decisions, d->case_number, &d->base);
    if (err != ACC_OK)
        return err;
    Accord__V1__VerificationEvent ev = ACCORD__V1__VERIFICATION_EVENT__INIT;
    ev.body_case = ACCORD__V1__VERIFICATION_EVENT__BODY_DECISION;
    ev.decision = (Accord__V1__Decision *)d;
    return acc_service_emit(st->svc, txn, &ev.base, NULL);
}

/* The canonical URL of a case: its content key unless that is a text hash. */
static char *
s_case_url(const char *content_key)
{
    size_t plen = strlen(ACC_TEXT_KEY_PREFIX);
    return strncmp(content_key, ACC_TEXT_KEY_PREFIX, plen) == 0 ? (char *)"" : (char *)content_key;
}

/* --- the automated policy ----------------------------------------------------------- */

bool
verification_auto_applies(const acc_config_t *cfg, const Accord__V1__StoredReport *sr)
{
    const Accord__V1__Report *r = sr ? sr->report : NULL;
    if (!cfg->auto_verify.enabled || !r || acc_config_lead(cfg) != NULL)
        return false;
    /* A forwarded report's source is a name in the forwarding node's configuration:
     * the same word here may be a different source, so it cannot earn an automated
     * verdict on this node. */
    if (sr->via_agency && sr->via_agency[0])
        return false;
    if (!cfg->auto_verify.legal_basis || !cfg->auto_verify.legal_basis[0] ||
        !cfg->auto_verify.reasons || !cfg->auto_verify.reasons[0])
        return false;
    bool listed = false;
    for (size_t i = 0; i < cfg->auto_verify.n_sources && !listed; i++)
        listed = r->source && strcmp(cfg->auto_verify.sources[i], r->source) == 0;
    if (!listed || (int64_t)r->confidence < cfg->auto_verify.min_confidence)
        return false;
    return r->category && acc_config_category(cfg, r->category) != NULL;
}

/* --- apply: intake's records -------------------------------------------------------- */

typedef struct {
    s_state *st;
    const char *input;
    Accord__V1__IntakeEvent **evs; /* decoded records; NULL for those not ours */
    size_t n;
    uint64_t last_seq;
} s_apply_arg;

/* Open or grow the case of @sr and, when the automated policy applies to an undecided
 * case, decide it. */
static acc_err
s_apply_report(s_state *st, acc_txn_t *txn, const Accord__V1__StoredReport *sr)
{
    Accord__V1__CaseInfo *found = NULL, fresh = ACCORD__V1__CASE_INFO__INIT;
    Accord__V1__CaseInfo *ci = &fresh;
    acc_err err = s_get_case(st, txn, sr->case_number, &found);
    if (err == ACC_OK) {
        ci = found;
        ci->reports++;
    } else if (err == ACC_ERR_NOT_FOUND) {
        fresh.case_number = sr->case_number;
        fresh.category = sr->report->category;
        fresh.content_key = sr->content_key;
        fresh.url = s_case_url(sr->content_key);
        fresh.first_reported_ms = sr->received_at_ms;
        fresh.reports = 1;
    } else {
        return err;
    }
    if (!ci->decided && verification_auto_applies(st->cfg, sr)) {
        Accord__V1__Decision d = ACCORD__V1__DECISION__INIT;
        d.case_number = sr->case_number;
        d.verdict = ACCORD__V1__VERDICT__VERDICT_VIOLATING;
        d.category = sr->report->category;
        d.legal_basis = st->cfg->auto_verify.legal_basis;
        d.reasons = st->cfg->auto_verify.reasons;
        d.decided_by = (char *)VERIFICATION_AUTO_BY;
        /* The report's commit time, not the clock: re-applying the same records after a
         * crash before commit yields the identical event. */
        d.decided_ms = sr->received_at_ms;
        d.automated = 1;
        d.url = ci->url;
        d.content_key = ci->content_key;
        err = s_record(st, txn, ci, &d);
    } else {
        err = s_put_msg(txn, st->t_cases, ci->case_number, &ci->base);
    }
    if (found)
        accord__v1__case_info__free_unpacked(found, NULL);
    return err;
}

static acc_err
s_apply_fn(acc_txn_t *txn, void *arg)
{
    s_apply_arg *a = arg;
    for (size_t i = 0; i < a->n; i++) {
        const Accord__V1__IntakeEvent *ev = a->evs[i];
        if (!ev || ev->body_case != ACCORD__V1__INTAKE_EVENT__BODY_REPORT)
            continue;
        acc_err err = s_apply_report(a->st, txn, ev->report);
        if (err != ACC_OK)
            return err;
    }
    return acc_service_cursor_put(a->st->svc, txn, a->input, a->last_seq);
}

/* Decode record @rec; *@out is NULL when it is not a report we can use (logged: such a
 * record is skipped, the cursor passes it, so one bad record cannot stall the node). */
static acc_err
s_decode(const acc_stream_record_t *rec, Accord__V1__IntakeEvent **out)
{
    *out = NULL;
    ProtobufCMessage *m = NULL;
    acc_errinfo_t ei;
    acc_errinfo_clear(&ei);
    acc_err err = acc_codec_unpack(&accord__v1__intake_event__descriptor, rec->payload, rec->len,
                                   ACC_STREAM_RECORD_MAX, &m, &ei);
    if (err == ACC_ERR_NOMEM)
        return err;
    if (err != ACC_OK) {
        acc_log_error(S_TAG, "skipped intake record %llu: %s: %s", (unsigned long long)rec->seq,
                      ei.field, ei.msg);
        return ACC_OK;
    }
    Accord__V1__IntakeEvent *ev = (Accord__V1__IntakeEvent *)m;
    if (ev->body_case == ACCORD__V1__INTAKE_EVENT__BODY_REPORT) {
        const Accord__V1__StoredReport *sr = ev->report;
        size_t len = sr && sr->case_number ? strlen(sr->case_number) : 0;
        if (!sr || !sr->report || len == 0 || len > S_CASE_NUMBER_MAX || !sr->content_key) {
            acc_log_error(S_TAG,
                          "skipped intake record %llu: a report without a valid case "
                          "number",
                          (unsigned long long)rec->seq);
            accord__v1__intake_event__free_unpacked(ev, NULL);
            return ACC_OK;
        }
    }
    *out = ev;
    return ACC_OK;
}

static acc_err
s_apply(acc_service_t *svc, void *state, const char *input, const acc_stream_record_t *recs,
        size_t n)
{
    (void)svc;
    if (n == 0)
        return ACC_OK;
    s_state *st = state;
    s_apply_arg a = {st, input, calloc(n, sizeof *a.evs), n, recs[n - 1].seq};
    if (!a.evs)
        return ACC_ERR_NOMEM;
    acc_err err = ACC_OK;
    /* Decode before the transaction: the write callback may run again when the map
     * grows, and decoding need not be redone. */
    for (size_t i = 0; i < n && err == ACC_OK; i++)
        err = s_decode(&recs[i], &a.evs[i]);
    if (err == ACC_OK)
        err = acc_service_write(st->svc, s_apply_fn, &a);
    for (size_t i = 0; i < n; i++)
        if (a.evs[i])
            accord__v1__intake_event__free_unpacked(a.evs[i], NULL);
    free(a.evs);
    if (err != ACC_OK)
        acc_log_warn(S_TAG, "applying intake records %llu..%llu failed: %s; will retry",
                     (unsigned long long)recs[0].seq, (unsigned long long)recs[n - 1].seq,
                     acc_strerror(err));
    return err;
}

/* --- handle: Decide ----------------------------------------------------------------- */

static bool
s_is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

/* A copy of @s without leading and trailing ASCII white space (*@out owned by the caller),
 * after checking it is required text of at most @max bytes: ACC_ERR_INVALID with @ei
 * naming @field otherwise. White space in the Unicode sense (no-break, ideographic) also
 * counts as empty, so a statement of reasons cannot be a run of invisible characters. */
static acc_err
s_text(const char *field, const char *s, size_t max, char **out, acc_errinfo_t *ei)
{
    s = s ? s : "";
    while (s_is_space(*s))
        s++;
    size_t len = strlen(s);
    while (len > 0 && s_is_space(s[len - 1]))
        len--;
    if (len == 0) {
        acc_errinfo_set(ei, field, "'%s' is required", field);
        return ACC_ERR_INVALID;
    }
    if (len > max) {
        acc_errinfo_set(ei, field, "'%s' is %zu bytes; at most %zu are allowed", field, len, max);
        return ACC_ERR_INVALID;
    }
    char *norm = NULL;
    size_t nlen = 0;
    acc_err err = acc_text_normalize(s, len, &norm, &nlen);
    free(norm);
    if (err == ACC_ERR_NOMEM)
        return err;
    if (err == ACC_ERR_INVALID) {
        acc_errinfo_set(ei, field, "'%s' is required: it holds only white space", field);
        return ACC_ERR_INVALID;
    }
    if (err != ACC_OK) {
        acc_errinfo_set(ei, field, "'%s' is not valid UTF-8 text", field);
        return ACC_ERR_INVALID;
    }
    char *copy = strndup(s, len);
    if (!copy)
        return ACC_ERR_NOMEM;
    *out = copy;
    return ACC_OK;
}

typedef struct {
    s_state *st;
    Accord__V1__Decision *d;  /* url and content_key are set from the case */
    Accord__V1__CaseInfo *ci; /* the case as read by the last attempt */
} s_decide_arg;

static acc_err
s_decide_fn(acc_txn_t *txn, void *arg)
{
    s_decide_arg *a = arg;
    if (a->ci) /* an earlier attempt, rolled back to grow the map */
        accord__v1__case_info__free_unpacked(a->ci, NULL);
    a->ci = NULL;
    acc_err err = s_get_case(a->st, txn, a->d->case_number, &a->ci);
    if (err != ACC_OK)
        return err;
    a->d->url = a->ci->url;
    a->d->content_key = a->ci->content_key;
    return s_record(a->st, txn, a->ci, a->d);
}

/* A heap copy of @d (for a response freed with free_unpacked); NULL when out of memory. */
static Accord__V1__Decision *
s_decision_copy(const Accord__V1__Decision *d)
{
    size_t n = accord__v1__decision__get_packed_size(d);
    uint8_t *buf = malloc(n ? n : 1);
    if (!buf)
        return NULL;
    accord__v1__decision__pack(d, buf);
    Accord__V1__Decision *copy = accord__v1__decision__unpack(NULL, n, buf);
    free(buf);
    return copy;
}

static Accord__V1__Response *
s_invalid(uint64_t rid, const acc_errinfo_t *ei)
{
    return acc_service_response(rid, ACCORD__V1__CODE__CODE_INVALID, ei->field, ei->msg);
}

static Accord__V1__Response *
s_decide(s_state *st, const Accord__V1__Request *req)
{
    const acc_config_t *cfg = st->cfg;
    const Accord__V1__Decide *dq = req->decide;
    uint64_t rid = req->request_id;
    char msg[2048];
    acc_errinfo_t ei;
    acc_errinfo_clear(&ei);

    const acc_peer_cfg_t *lead = acc_config_lead(cfg);
    if (lead) {
        snprintf(msg, sizeof msg, "this node is not the lead agency; the lead is '%s'",
                 lead->agency);
        return acc_service_response(rid, ACCORD__V1__CODE__CODE_DENIED, "", msg);
    }
    if (!dq)
        return acc_service_response(rid, ACCORD__V1__CODE__CODE_INVALID, "decide",
                                    "'decide' is required");
    if (!dq->case_number || !dq->case_number[0])
        return acc_service_response(rid, ACCORD__V1__CODE__CODE_INVALID, "case_number",
                                    "'case_number' is required");
    switch (dq->verdict) {
    case ACCORD__V1__VERDICT__VERDICT_VIOLATING:
    case ACCORD__V1__VERDICT__VERDICT_NOT_VIOLATING:
    case ACCORD__V1__VERDICT__VERDICT_INCONCLUSIVE:
        break;
    default:
        return acc_service_response(rid, ACCORD__V1__CODE__CODE_INVALID, "verdict",
                                    "'verdict' is required: violating, not-violating or "
                                    "inconclusive");
    }
    if (!dq->category || !acc_config_category(cfg, dq->category)) {
        char list[1536];
        acc_config_category_list(cfg, list, sizeof list);
        if (!dq->category || !dq->category[0])
            snprintf(msg, sizeof msg, "'category' is required; the categories are: %s", list);
        else
            snprintf(msg, sizeof msg, "unknown category '%.64s'; the categories are: %s",
                     dq->category, list);
        return acc_service_response(rid, ACCORD__V1__CODE__CODE_INVALID, "category", msg);
    }

    Accord__V1__Response *resp = NULL;
    char *basis = NULL, *reasons = NULL, *by = NULL;
    Accord__V1__Decision d = ACCORD__V1__DECISION__INIT;
    Accord__V1__Decision *copy = NULL;
    s_decide_arg a = {st, &d, NULL};
    acc_err err;
    if ((err = s_text("legal_basis", dq->legal_basis, VERIFICATION_TEXT_MAX, &basis, &ei)) !=
            ACC_OK ||
        (err = s_text("reasons", dq->reasons, VERIFICATION_TEXT_MAX, &reasons, &ei)) != ACC_OK ||
        (err = s_text("decided_by", dq->decided_by, VERIFICATION_BY_MAX, &by, &ei)) != ACC_OK) {
        if (err == ACC_ERR_INVALID)
            resp = s_invalid(rid, &ei);
        goto out;
    }
    if (strncmp(by, "auto:", 5) == 0) {
        resp = acc_service_response(rid, ACCORD__V1__CODE__CODE_INVALID, "decided_by",
                                    "'decided_by' may not start with 'auto:' (reserved for "
                                    "the automated policy)");
        goto out;
    }

    d.case_number = dq->case_number;
    d.verdict = dq->verdict;
    d.category = dq->category;
    d.legal_basis = basis;
    d.reasons = reasons;
    d.decided_by = by;
    d.decided_ms = acc_time_now_ms();
    d.automated = 0;
    err = acc_service_write(st->svc, s_decide_fn, &a);
    if (err == ACC_ERR_NOT_FOUND) {
        snprintf(msg, sizeof msg, "no case '%.*s' on this node", S_CASE_NUMBER_MAX,
                 dq->case_number);
        resp = acc_service_response(rid, ACCORD__V1__CODE__CODE_NOT_FOUND, "case_number", msg);
        goto out;
    }
    if (err == ACC_ERR_FULL || err == ACC_ERR_NOMEM) {
        resp = acc_service_response(rid, ACCORD__V1__CODE__CODE_RETRY, "",
                                    "the store is full; nothing was recorded, retry later");
        goto out;
    }
    if (err != ACC_OK) {
        acc_log_error(S_TAG, "recording a decision on case '%s' failed: %s", d.case_number,
                      acc_strerror(err));
        resp = acc_service_response(rid, ACCORD__V1__CODE__CODE_INTERNAL, "",
                                    "the decision could not be recorded");
        goto out;
    }
    acc_log_info(
        S_TAG, "case '%s': %s by '%s'", d.case_number,
        protobuf_c_enum_descriptor_get_value(&accord__v1__verdict__descriptor, d.verdict)->name,
        d.decided_by);
    /* Out of memory here leaves resp NULL: the runner answers "retry", though the
     * decision is recorded (and in the log for everyone downstream). */
    if (!(copy = s_decision_copy(&d)) ||
        !(resp = acc_service_response(rid, ACCORD__V1__CODE__CODE_OK, "", "")))
        goto out;
    resp->body_case = ACCORD__V1__RESPONSE__BODY_DECISION;
    resp->decision = copy;
    copy = NULL;
out:
    if (copy)
        accord__v1__decision__free_unpacked(copy, NULL);
    if (a.ci)
        accord__v1__case_info__free_unpacked(a.ci, NULL);
    free(basis);
    free(reasons);
    free(by);
    return resp;
}

/* --- handle: the rest --------------------------------------------------------------- */

static Accord__V1__Response *
s_pong(s_state *st, const Accord__V1__Request *req)
{
    uint64_t cases = 0;
    acc_txn_t *txn = NULL;
    if (acc_store_read_begin(acc_service_store(st->svc), &txn) == ACC_OK)
        acc_store_count(txn, st->t_cases, &cases);
    acc_store_read_end(&txn);
    Accord__V1__Response *resp =
        acc_service_response(req->request_id, ACCORD__V1__CODE__CODE_OK, "", "");
    Accord__V1__Pong *pong = malloc(sizeof *pong);
    if (!resp || !pong)
        goto fail;
    accord__v1__pong__init(pong);
    resp->body_case = ACCORD__V1__RESPONSE__BODY_PONG;
    resp->pong = pong;
    pong->cases = cases;
    if (!(pong->agency = strdup(st->cfg->agency)) ||
        !(pong->node_name = strdup(st->cfg->name ? st->cfg->name : st->cfg->agency)))
        goto fail;
    return resp;
fail:
    if (resp)
        accord__v1__response__free_unpacked(resp, NULL); /* frees pong and its strings */
    else
        free(pong);
    return NULL;
}

static Accord__V1__Response *
s_handle(acc_service_t *svc, void *state, const Accord__V1__Request *req, const char *agency)
{
    (void)svc;
    (void)agency;
    s_state *st = state;
    switch (req->body_case) {
    case ACCORD__V1__REQUEST__BODY_DECIDE:
        return s_decide(st, req);
    case ACCORD__V1__REQUEST__BODY_PING:
        return s_pong(st, req);
    default:
        return acc_service_response(req->request_id, ACCORD__V1__CODE__CODE_INVALID, "",
                                    "not a verification request");
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
    st->svc = svc;
    st->cfg = acc_service_config(svc);
    st->t_cases = acc_service_table(svc, "cases");
    st->t_decisions = acc_service_table(svc, "decisions");
    if (st->cfg->auto_verify.enabled && acc_config_lead(st->cfg))
        acc_log_warn(S_TAG, "'verification.auto' is enabled but this node is not the lead "
                            "agency: no automated decisions are taken here");
    *state = st;
    return ACC_OK;
}

static void
s_stop(acc_service_t *svc, void *state)
{
    (void)svc;
    free(state);
}

const acc_service_def_t verification_service = {
    .name = "verification",
    .tables = s_tables,
    .inputs = s_inputs,
    .start = s_start,
    .apply = s_apply,
    .handle = s_handle,
    .attach = NULL,
    .stop = s_stop,
};
