/*
 * notification — see notification.h for what it does and where it sits.
 *
 * Data flow of one batch of input records (apply):
 *   decode each record -> plan at most one notice per record (s_plan_*) -> write the spool
 *   files of planned spool notices that are not recorded yet (outside any transaction) ->
 *   one write transaction: for each plan whose notice id is not in `notices`, enqueue the
 *   envelope on the link (peer notices), store the Notice, its order entry and (QUEUED peer
 *   notices) its pending entry, emit it; then the input's cursor -> acc_link_committed.
 * Delivery states (a timer, s_on_tick): when the link's acked point of a peer passed what
 * was settled, the pending entries up to it become DELIVERED or PARKED notices, emitted
 * again, and leave `notice_pending` in the same transaction (so this happens once).
 */
#include "notification/notification.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <jansson.h>
#include <limits.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "acc_codec.h"
#include "acc_curve.h"
#include "acc_fs.h"
#include "acc_ids.h"
#include "acc_link.h"
#include "acc_log.h"
#include "acc_time.h"
#include "accord/v1/intake.pb-c.h"
#include "accord/v1/notification.pb-c.h"

#define S_TAG "notification"
#define S_ID_LEN ACC_UUID_TEXT_LEN
#define S_PATH_MAX 4096
#define S_PENDING_KEY_MAX (ACC_AGENCY_MAX + 1 + 8)
#define S_SETTLE_MAX 1000      /* pending notices settled per transaction */
#define S_LIST_MARGIN 1024     /* bytes of a NoticeList answer kept for framing */
#define S_LIST_COUNT_MAX 10000 /* notices per answer, whatever their size */
#define S_ERROR_MAX 300        /* bytes of a notice's error text */

static const char *const s_tables[] = {"notices", "notice_order", "notice_pending", ACC_LINK_TABLES,
                                       NULL};
static const char *const s_inputs[] = {"intake", "assignment", NULL};

typedef struct {
    acc_service_t *svc;
    const acc_config_t *cfg;
    acc_link_t *link;
    acc_table t_notices, t_order, t_pending;
    const acc_peer_cfg_t *lead; /* our lead agency, NULL when we are a lead */
    size_t n_peers;             /* link peer i is cfg->peers[i] */
    uint64_t *settled;          /* per peer: acked point up to which notices were settled */
    char spool_dir[S_PATH_MAX];
} s_state;

/* --- ids, time, json ------------------------------------------------------------------ */

void
notification_notice_id(const char *kind, const char *const *parts, size_t n, char out[37])
{
    crypto_hash_sha256_state hs;
    crypto_hash_sha256_init(&hs);
    static const char domain[] = "accord-notice-v1";
    crypto_hash_sha256_update(&hs, (const unsigned char *)domain, sizeof domain);
    crypto_hash_sha256_update(&hs, (const unsigned char *)kind, strlen(kind) + 1);
    for (size_t i = 0; i < n; i++)
        crypto_hash_sha256_update(&hs, (const unsigned char *)parts[i], strlen(parts[i]) + 1);
    unsigned char h[32];
    crypto_hash_sha256_final(&hs, h);
    acc_uuid_t u;
    memcpy(u.b, h, 16);
    u.b[6] = (unsigned char)(0x80 | (u.b[6] & 0x0f)); /* version 8 */
    u.b[8] = (unsigned char)(0x80 | (u.b[8] & 0x3f)); /* RFC 9562 variant */
    acc_uuid_format(&u, out);
}

/* RFC 3339 in UTC with milliseconds; false when @ms is unset (0 or below). */
static bool
s_rfc3339(int64_t ms, char out[ACC_TIME_RFC3339_MAX])
{
    if (ms <= 0)
        return false;
    acc_time_format_rfc3339(ms, out, ACC_TIME_RFC3339_MAX);
    return true;
}

/* Set @key of @o to the string @v (NULL: JSON null); -1 when @v is not UTF-8 or no memory. */
static int
s_jset(json_t *o, const char *key, const char *v)
{
    json_t *j = v ? json_string(v) : json_null();
    return j ? json_object_set_new(o, key, j) : -1;
}

acc_err
notification_removal_json(const acc_config_t *cfg, const char *notice_id,
                          const Accord__V1__Measure *m, char **out)
{
    char deadline[ACC_TIME_RFC3339_MAX], created[ACC_TIME_RFC3339_MAX];
    bool has_deadline = s_rfc3339(m->deadline_ms, deadline);
    bool has_created = s_rfc3339(m->created_ms, created);
    acc_err err = ACC_ERR_NOMEM;
    json_t *o = json_object(), *by = json_object();
    if (!o || !by)
        goto out;
    err = ACC_ERR_UTF8;
    if (s_jset(o, "notice_id", notice_id) || s_jset(o, "kind", NOTIFICATION_KIND_REMOVAL) ||
        s_jset(o, "case_number", m->case_number) || s_jset(o, "measure_id", m->id) ||
        s_jset(o, "url", m->url) || s_jset(o, "category", m->category) ||
        s_jset(o, "legal_basis", m->legal_basis) || s_jset(o, "reasons", m->reasons) ||
        s_jset(o, "deadline", has_deadline ? deadline : NULL) ||
        s_jset(by, "agency", cfg->agency) ||
        s_jset(by, "name", cfg->name ? cfg->name : cfg->agency))
        goto out;
    int rc = json_object_set(o, "issued_by", by);
    if (rc == 0)
        rc = s_jset(o, "created", has_created ? created : NULL);
    if (rc != 0)
        goto out;
    /* jansson keeps insertion order: the same measure gives the same bytes. */
    char *text = json_dumps(o, JSON_INDENT(2));
    if (!text) {
        err = ACC_ERR_NOMEM;
        goto out;
    }
    size_t len = strlen(text);
    char *withnl = realloc(text, len + 2);
    if (!withnl) {
        free(text);
        err = ACC_ERR_NOMEM;
        goto out;
    }
    withnl[len] = '\n';
    withnl[len + 1] = 0;
    *out = withnl;
    err = ACC_OK;
out:
    json_decref(by);
    json_decref(o);
    return err;
}

/* --- the spool directory ------------------------------------------------------------- */

acc_err
notification_spool_write(const char *dir, const char *name, const void *data, size_t len,
                         acc_errinfo_t *ei)
{
    if (!name[0] || name[0] == '.' || strchr(name, '/')) {
        acc_errinfo_set(ei, "name", "spool file name '%s' is not a plain name", name);
        return ACC_ERR_INVALID;
    }
    char tmp[S_PATH_MAX], dst[S_PATH_MAX];
    if ((size_t)snprintf(tmp, sizeof tmp, "%s/.%s.tmp", dir, name) >= sizeof tmp ||
        (size_t)snprintf(dst, sizeof dst, "%s/%s", dir, name) >= sizeof dst) {
        acc_errinfo_set(ei, "spool_dir", "spool path '%s/%s' is too long", dir, name);
        return ACC_ERR_IO;
    }
    acc_err err = acc_fs_mkdirs(dir, "spool directory", "spool_dir", ei);
    if (err != ACC_OK)
        return err;
    const char *what = tmp;
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0)
        goto fail;
    const char *p = data;
    size_t left = len;
    while (left > 0) {
        ssize_t w = write(fd, p, left);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            goto fail;
        p += w;
        left -= (size_t)w;
    }
    if (fsync(fd) != 0)
        goto fail;
    int rc = close(fd);
    fd = -1;
    if (rc != 0)
        goto fail;
    what = dst;
    if (rename(tmp, dst) != 0)
        goto fail;
    /* The rename is durable only once the directory is. */
    what = dir;
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0)
        goto fail;
    rc = fsync(dfd);
    close(dfd);
    if (rc != 0)
        goto fail;
    return ACC_OK;
fail:
    acc_errinfo_set(ei, what, "cannot write '%s': %s", what, strerror(errno));
    if (fd >= 0)
        close(fd);
    unlink(tmp);
    return ACC_ERR_IO;
}

/* --- planning: which notice a record causes ------------------------------------------ */

typedef enum { S_NONE = 0, S_PEER, S_SPOOL } s_dest;

typedef struct {
    s_dest dest;
    const char *kind;
    char id[S_ID_LEN + 1];
    const char *peer; /* S_PEER: the destination agency */
    const char *case_number, *measure_id;
    int64_t created_ms;
    char error[S_ERROR_MAX]; /* set: the notice is PARKED at once, nothing is sent */
    /* the envelope's body: copies of the decoded message without its unknown fields */
    Accord__V1__Envelope__BodyCase body_case;
    Accord__V1__Report report;
    Accord__V1__Measure measure;
    Accord__V1__MeasureUpdate update;
    /* S_SPOOL */
    bool recorded;      /* the notice exists already: the file is not written again */
    int64_t written_ms; /* when the file was renamed into place */
    char file[S_PATH_MAX + 64];
} s_plan;

static int64_t
s_or_now(int64_t ms)
{
    return ms > 0 ? ms : acc_time_now_ms();
}

/* A report this node received itself, on a node that has a lead: forward it. */
static void
s_plan_intake(const s_state *st, const Accord__V1__IntakeEvent *ev, uint64_t seq, s_plan *p)
{
    if (ev->body_case != ACCORD__V1__INTAKE_EVENT__BODY_REPORT || !st->lead)
        return;
    const Accord__V1__StoredReport *sr = ev->report;
    if (sr->via_agency[0] || !sr->report)
        return;
    if (!sr->report->id[0]) {
        acc_log_error(S_TAG,
                      "intake record %" PRIu64 " holds a report without an id: not forwarded", seq);
        return;
    }
    const char *parts[] = {sr->report->id};
    notification_notice_id("forward", parts, 1, p->id);
    p->dest = S_PEER;
    p->kind = NOTIFICATION_KIND_FORWARD;
    p->peer = st->lead->agency;
    p->case_number = sr->case_number;
    p->measure_id = "";
    p->created_ms = s_or_now(sr->received_at_ms);
    /* The Report and nothing else: its declared fields only (PITFALLS: unknown fields are
     * never relayed), and no contact details, which a Report cannot hold. */
    p->report = *sr->report;
    p->report.base.n_unknown_fields = 0;
    p->report.base.unknown_fields = NULL;
    p->body_case = ACCORD__V1__ENVELOPE__BODY_REPORT;
}

static bool
s_text_set(const char *s)
{
    for (; s && *s; s++)
        if (*s != ' ' && *s != '\t' && *s != '\n' && *s != '\r')
            return true;
    return false;
}

static void
s_plan_measure(const s_state *st, const Accord__V1__Measure *m, uint64_t seq, s_plan *p)
{
    const char *us = st->cfg->agency;
    bool lead_us = strcmp(m->lead_agency, us) == 0, owner_us = strcmp(m->owner_agency, us) == 0;
    if (!m->id[0]) {
        if (lead_us || owner_us)
            acc_log_error(S_TAG,
                          "assignment record %" PRIu64 " holds a measure without an id: "
                          "no notice",
                          seq);
        return;
    }
    const char *parts[] = {m->id};
    p->case_number = m->case_number;
    p->measure_id = m->id;
    p->created_ms = s_or_now(m->created_ms);
    if (lead_us && !owner_us) {
        notification_notice_id(NOTIFICATION_KIND_MEASURE, parts, 1, p->id);
        p->dest = S_PEER;
        p->kind = NOTIFICATION_KIND_MEASURE;
        p->peer = m->owner_agency;
        p->measure = *m;
        p->measure.base.n_unknown_fields = 0;
        p->measure.base.unknown_fields = NULL;
        p->body_case = ACCORD__V1__ENVELOPE__BODY_MEASURE;
        if (!acc_config_peer(st->cfg, m->owner_agency))
            snprintf(p->error, sizeof p->error, "owner %s is not a configured peer",
                     m->owner_agency);
        else if (!s_text_set(m->legal_basis) || !s_text_set(m->reasons))
            snprintf(p->error, sizeof p->error,
                     "measure has no legal basis or no reasons: not sent");
    } else if (owner_us && strcmp(m->action, NOTIFICATION_ACTION_REMOVAL) == 0) {
        notification_notice_id(NOTIFICATION_KIND_REMOVAL, parts, 1, p->id);
        p->dest = S_SPOOL;
        p->kind = NOTIFICATION_KIND_REMOVAL;
        p->measure = *m;
        snprintf(p->file, sizeof p->file, "%s/%s.json", st->spool_dir, p->id);
        if (!s_text_set(m->legal_basis) || !s_text_set(m->reasons))
            snprintf(p->error, sizeof p->error,
                     "measure has no legal basis or no reasons: no removal request");
    }
}

static void
s_plan_update(const s_state *st, const Accord__V1__MeasureUpdate *u, uint64_t seq, s_plan *p)
{
    const char *us = st->cfg->agency;
    if (strcmp(u->owner_agency, us) != 0 || strcmp(u->lead_agency, us) == 0)
        return;
    if (!u->measure_id[0] || !u->lead_agency[0]) {
        acc_log_error(S_TAG,
                      "assignment record %" PRIu64 " holds an update without a measure "
                      "or lead: not sent",
                      seq);
        return;
    }
    char status[24], when[24];
    snprintf(status, sizeof status, "%d", (int)u->status);
    snprintf(when, sizeof when, "%" PRId64, u->updated_ms);
    const char *parts[] = {u->measure_id, u->case_number, u->lead_agency, u->owner_agency,
                           status,        u->result,      u->updated_by,  when};
    notification_notice_id(NOTIFICATION_KIND_UPDATE, parts, sizeof parts / sizeof *parts, p->id);
    p->dest = S_PEER;
    p->kind = NOTIFICATION_KIND_UPDATE;
    p->peer = u->lead_agency;
    p->case_number = u->case_number;
    p->measure_id = u->measure_id;
    p->created_ms = s_or_now(u->updated_ms);
    p->update = *u;
    p->update.base.n_unknown_fields = 0;
    p->update.base.unknown_fields = NULL;
    p->body_case = ACCORD__V1__ENVELOPE__BODY_MEASURE_UPDATE;
    if (!acc_config_peer(st->cfg, u->lead_agency))
        snprintf(p->error, sizeof p->error, "lead %s is not a configured peer", u->lead_agency);
}

static void
s_plan_assignment(const s_state *st, const Accord__V1__AssignmentEvent *ev, uint64_t seq, s_plan *p)
{
    if (ev->body_case == ACCORD__V1__ASSIGNMENT_EVENT__BODY_MEASURE && ev->measure)
        s_plan_measure(st, ev->measure, seq, p);
    else if (ev->body_case == ACCORD__V1__ASSIGNMENT_EVENT__BODY_MEASURE_UPDATE &&
             ev->measure_update)
        s_plan_update(st, ev->measure_update, seq, p);
}

/* --- storing notices ----------------------------------------------------------------- */

static size_t
s_pending_key(const char *peer, uint64_t seq, unsigned char key[S_PENDING_KEY_MAX])
{
    size_t n = strlen(peer);
    memcpy(key, peer, n);
    key[n] = 0;
    acc_store_u64_be(seq, key + n + 1);
    return n + 9;
}

static acc_err
s_put_notice(acc_txn_t *txn, acc_table t, const Accord__V1__Notice *n)
{
    size_t len = accord__v1__notice__get_packed_size(n);
    uint8_t *buf = malloc(len ? len : 1);
    if (!buf)
        return ACC_ERR_NOMEM;
    accord__v1__notice__pack(n, buf);
    acc_err err = acc_store_put(txn, t, n->id, strlen(n->id), buf, len, 0);
    free(buf);
    return err;
}

static acc_err
s_emit_notice(s_state *st, acc_txn_t *txn, Accord__V1__Notice *n, uint64_t *seq)
{
    Accord__V1__NotificationEvent ev = ACCORD__V1__NOTIFICATION_EVENT__INIT;
    ev.body_case = ACCORD__V1__NOTIFICATION_EVENT__BODY_NOTICE;
    ev.notice = n;
    return acc_service_emit(st->svc, txn, (const ProtobufCMessage *)&ev, seq);
}

/* The notice of plan @p, unless it exists: enqueue, store, index, emit. Leaves @p as it
 * was: the transaction may run again (map growth). */
static acc_err
s_record(s_state *st, acc_txn_t *txn, const s_plan *p)
{
    const void *v;
    size_t vl;
    acc_err err = acc_store_get(txn, st->t_notices, p->id, S_ID_LEN, &v, &vl);
    if (err == ACC_OK)
        return ACC_OK; /* applied before (a replay): nothing is sent twice */
    if (err != ACC_ERR_NOT_FOUND)
        return err;
    char dest[S_PATH_MAX + 8], error[S_ERROR_MAX];
    snprintf(error, sizeof error, "%s", p->error);
    Accord__V1__Notice n = ACCORD__V1__NOTICE__INIT;
    n.id = (char *)p->id;
    n.kind = (char *)p->kind;
    n.case_number = (char *)p->case_number;
    n.measure_id = (char *)p->measure_id;
    n.created_ms = p->created_ms;
    n.destination = dest;
    if (p->dest == S_PEER) {
        snprintf(dest, sizeof dest, "peer:%s", p->peer);
        if (!error[0]) {
            /* The bodies are borrowed from the plan; the link points env.id and env.origin
             * into itself: nothing here is freed by protobuf-c. */
            Accord__V1__Envelope env = ACCORD__V1__ENVELOPE__INIT;
            env.body_case = p->body_case;
            if (p->body_case == ACCORD__V1__ENVELOPE__BODY_REPORT)
                env.report = (Accord__V1__Report *)&p->report;
            else if (p->body_case == ACCORD__V1__ENVELOPE__BODY_MEASURE)
                env.measure = (Accord__V1__Measure *)&p->measure;
            else
                env.measure_update = (Accord__V1__MeasureUpdate *)&p->update;
            err = acc_link_enqueue(st->link, txn, p->peer, &env);
            if (err == ACC_ERR_TOO_LARGE)
                snprintf(error, sizeof error, "envelope over %u bytes: not sent",
                         ACC_LINK_ENVELOPE_MAX);
            else if (err == ACC_ERR_NOT_FOUND)
                snprintf(error, sizeof error, "%s is not a configured peer", p->peer);
            else if (err != ACC_OK)
                return err;
            else
                n.link_sequence = env.sequence;
        }
    } else {
        snprintf(dest, sizeof dest, "spool:%s", st->spool_dir);
        if (!error[0]) {
            n.file = (char *)p->file;
            n.delivered_ms = p->written_ms;
        }
    }
    if (error[0]) {
        n.status = ACCORD__V1__NOTICE_STATUS__NOTICE_STATUS_PARKED;
        n.error = error;
        acc_log_warn(S_TAG, "notice %s (%s, case %s) parked: %s", p->id, p->kind, p->case_number,
                     error);
    } else if (p->dest == S_PEER) {
        n.status = ACCORD__V1__NOTICE_STATUS__NOTICE_STATUS_QUEUED;
        unsigned char key[S_PENDING_KEY_MAX];
        size_t kl = s_pending_key(p->peer, n.link_sequence, key);
        if ((err = acc_store_put(txn, st->t_pending, key, kl, p->id, S_ID_LEN, 0)) != ACC_OK)
            return err;
    } else {
        n.status = ACCORD__V1__NOTICE_STATUS__NOTICE_STATUS_DELIVERED;
    }
    uint64_t seq = 0;
    unsigned char okey[8];
    if ((err = s_emit_notice(st, txn, &n, &seq)) != ACC_OK ||
        (err = s_put_notice(txn, st->t_notices, &n)) != ACC_OK)
        return err;
    acc_store_u64_be(seq, okey);
    return acc_store_put(txn, st->t_order, okey, sizeof okey, p->id, S_ID_LEN, ACC_PUT_APPEND);
}

/* --- apply --------------------------------------------------------------------------- */

typedef struct {
    s_state *st;
    const char *input;
    s_plan *plans;
    size_t n;
    uint64_t last_seq;
} s_batch;

static acc_err
s_apply_txn(acc_txn_t *txn, void *arg)
{
    s_batch *b = arg;
    for (size_t i = 0; i < b->n; i++) {
        s_plan *p = &b->plans[i];
        if (p->dest == S_NONE)
            continue;
        acc_err err = s_record(b->st, txn, p);
        if (err != ACC_OK)
            return err;
    }
    return acc_service_cursor_put(b->st->svc, txn, b->input, b->last_seq);
}

/* Write the spool files of the batch whose notices are not recorded yet. */
static acc_err
s_spool_pass(s_state *st, s_plan *plans, size_t n)
{
    acc_txn_t *txn = NULL;
    bool any = false;
    for (size_t i = 0; i < n && !any; i++)
        any = plans[i].dest == S_SPOOL && !plans[i].error[0];
    if (!any)
        return ACC_OK;
    acc_err err = acc_store_read_begin(acc_service_store(st->svc), &txn);
    for (size_t i = 0; i < n && err == ACC_OK; i++) {
        if (plans[i].dest != S_SPOOL || plans[i].error[0])
            continue;
        const void *v;
        size_t vl;
        err = acc_store_get(txn, st->t_notices, plans[i].id, S_ID_LEN, &v, &vl);
        plans[i].recorded = err == ACC_OK;
        if (err == ACC_ERR_NOT_FOUND)
            err = ACC_OK;
    }
    acc_store_read_end(&txn);
    for (size_t i = 0; i < n && err == ACC_OK; i++) {
        s_plan *p = &plans[i];
        if (p->dest != S_SPOOL || p->error[0] || p->recorded)
            continue;
        char *json = NULL;
        char name[S_ID_LEN + 8];
        snprintf(name, sizeof name, "%s.json", p->id);
        err = notification_removal_json(st->cfg, p->id, &p->measure, &json);
        if (err == ACC_ERR_UTF8) {
            /* Cannot happen for decoded records (acc_codec checks UTF-8); park, not block. */
            snprintf(p->error, sizeof p->error, "measure text is not UTF-8: no removal request");
            err = ACC_OK;
            continue;
        }
        if (err != ACC_OK)
            break;
        acc_errinfo_t ei;
        acc_errinfo_clear(&ei);
        err = notification_spool_write(st->spool_dir, name, json, strlen(json), &ei);
        free(json);
        if (err != ACC_OK) {
            acc_log_error(S_TAG, "removal request %s for measure %s: %s; retrying", p->id,
                          p->measure_id, ei.msg);
            break;
        }
        p->written_ms = acc_time_now_ms();
        acc_log_info(S_TAG, "removal request %s for measure %s written to %s", p->id, p->measure_id,
                     p->file);
    }
    return err;
}

static acc_err
s_apply(acc_service_t *svc, void *state, const char *input, const acc_stream_record_t *recs,
        size_t n)
{
    (void)svc;
    s_state *st = state;
    if (n == 0)
        return ACC_OK;
    bool intake = strcmp(input, "intake") == 0;
    const ProtobufCMessageDescriptor *desc =
        intake ? &accord__v1__intake_event__descriptor : &accord__v1__assignment_event__descriptor;
    ProtobufCMessage **msgs = calloc(n ? n : 1, sizeof *msgs);
    s_plan *plans = calloc(n ? n : 1, sizeof *plans);
    acc_err err = ACC_ERR_NOMEM;
    if (!msgs || !plans)
        goto out;
    for (size_t i = 0; i < n; i++) {
        acc_errinfo_t ei;
        acc_errinfo_clear(&ei);
        if (acc_codec_unpack(desc, recs[i].payload, recs[i].len, ACC_STREAM_RECORD_MAX, &msgs[i],
                             &ei) != ACC_OK) {
            /* Our own node's producer wrote it; retrying cannot fix it, and stopping here
             * would stop everything behind it. Skip it, loudly. */
            acc_log_error(S_TAG, "%s record %" PRIu64 " does not decode (%s%s%s): skipped", input,
                          recs[i].seq, ei.field, ei.field[0] ? ": " : "", ei.msg);
            msgs[i] = NULL;
            continue;
        }
        if (intake)
            s_plan_intake(st, (const Accord__V1__IntakeEvent *)msgs[i], recs[i].seq, &plans[i]);
        else
            s_plan_assignment(st, (const Accord__V1__AssignmentEvent *)msgs[i], recs[i].seq,
                              &plans[i]);
    }
    if ((err = s_spool_pass(st, plans, n)) != ACC_OK)
        goto out;
    s_batch b = {.st = st, .input = input, .plans = plans, .n = n, .last_seq = recs[n - 1].seq};
    err = acc_service_write(st->svc, s_apply_txn, &b);
    if (err == ACC_OK)
        acc_link_committed(st->link);
    else
        acc_link_aborted(st->link);
out:
    if (err != ACC_OK && err != ACC_ERR_IO)
        acc_log_error(S_TAG, "cannot apply %zu %s records: %s; retrying", n, input,
                      acc_strerror(err));
    for (size_t i = 0; msgs && i < n; i++)
        if (msgs[i])
            protobuf_c_message_free_unpacked(msgs[i], NULL);
    free(msgs);
    free(plans);
    return err;
}

/* --- delivery states ----------------------------------------------------------------- */

typedef struct {
    uint64_t seq;
    char *reason;
} s_parked;

typedef struct {
    s_parked *v;
    size_t n, cap;
    uint64_t upto;
    bool nomem;
} s_parked_set;

static void
s_parked_collect(const Accord__V1__Envelope *env, const char *reason, void *arg)
{
    s_parked_set *ps = arg;
    if (ps->nomem || env->sequence > ps->upto)
        return;
    if (ps->n == ps->cap) {
        size_t cap = ps->cap ? ps->cap * 2 : 16;
        s_parked *v = realloc(ps->v, cap * sizeof *v);
        if (!v) {
            ps->nomem = true;
            return;
        }
        ps->v = v;
        ps->cap = cap;
    }
    char *r = strdup(reason);
    if (!r) {
        ps->nomem = true;
        return;
    }
    ps->v[ps->n++] = (s_parked){env->sequence, r};
}

static void
s_parked_free(s_parked_set *ps)
{
    for (size_t i = 0; i < ps->n; i++)
        free(ps->v[i].reason);
    free(ps->v);
    memset(ps, 0, sizeof *ps);
}

/* The reason @seq was parked, or NULL when it was not. */
static const char *
s_parked_reason(const s_parked_set *ps, uint64_t seq)
{
    for (size_t i = 0; i < ps->n; i++)
        if (ps->v[i].seq == seq)
            return ps->v[i].reason;
    return NULL;
}

typedef struct {
    s_state *st;
    const char *peer;
    const s_parked_set *parked;
    int64_t delivered_ms;
    uint64_t seqs[S_SETTLE_MAX];
    char ids[S_SETTLE_MAX][S_ID_LEN + 1];
    size_t n;
} s_settle;

static acc_err
s_settle_txn(acc_txn_t *txn, void *arg)
{
    s_settle *s = arg;
    s_state *st = s->st;
    for (size_t i = 0; i < s->n; i++) {
        unsigned char key[S_PENDING_KEY_MAX];
        size_t kl = s_pending_key(s->peer, s->seqs[i], key);
        acc_err err = acc_store_del(txn, st->t_pending, key, kl);
        if (err != ACC_OK && err != ACC_ERR_NOT_FOUND)
            return err;
        const void *v;
        size_t vl;
        if ((err = acc_store_get(txn, st->t_notices, s->ids[i], S_ID_LEN, &v, &vl)) != ACC_OK) {
            if (err == ACC_ERR_NOT_FOUND)
                continue;
            return err;
        }
        ProtobufCMessage *m = NULL;
        acc_errinfo_t ei;
        if (acc_codec_unpack(&accord__v1__notice__descriptor, v, vl, ACC_STREAM_RECORD_MAX, &m,
                             &ei) != ACC_OK) {
            acc_log_error(S_TAG, "stored notice %s does not decode: %s", s->ids[i], ei.msg);
            return ACC_ERR_STORE;
        }
        Accord__V1__Notice *n = (Accord__V1__Notice *)m;
        if (n->status == ACCORD__V1__NOTICE_STATUS__NOTICE_STATUS_QUEUED) {
            const char *reason = s_parked_reason(s->parked, s->seqs[i]);
            char *old_error = n->error;
            if (reason) {
                n->status = ACCORD__V1__NOTICE_STATUS__NOTICE_STATUS_PARKED;
                n->error = (char *)reason;
            } else {
                n->status = ACCORD__V1__NOTICE_STATUS__NOTICE_STATUS_DELIVERED;
                n->delivered_ms = s->delivered_ms;
            }
            err = s_emit_notice(st, txn, n, NULL);
            if (err == ACC_OK)
                err = s_put_notice(txn, st->t_notices, n);
            n->error = old_error;
        }
        protobuf_c_message_free_unpacked(m, NULL);
        if (err != ACC_OK)
            return err;
    }
    return ACC_OK;
}

/* Collect up to S_SETTLE_MAX pending notices of @peer with from < seq <= upto. */
static acc_err
s_settle_collect(s_state *st, s_settle *s, uint64_t from, uint64_t upto)
{
    acc_txn_t *txn = NULL;
    acc_cursor_t *cur = NULL;
    unsigned char key[S_PENDING_KEY_MAX];
    size_t kl = s_pending_key(s->peer, from + 1, key), plen = strlen(s->peer);
    const void *k, *v;
    size_t klen, vlen;
    acc_err err = acc_store_read_begin(acc_service_store(st->svc), &txn);
    if (err == ACC_OK)
        err = acc_cursor_open(txn, st->t_pending, &cur);
    if (err == ACC_OK)
        err = acc_cursor_seek(cur, key, kl, &k, &klen, &v, &vlen);
    while (err == ACC_OK && s->n < S_SETTLE_MAX) {
        const unsigned char *b = k;
        if (klen != plen + 9 || memcmp(b, s->peer, plen) != 0 || b[plen] != 0)
            break;
        uint64_t seq = acc_store_be_u64(b + plen + 1);
        if (seq > upto)
            break;
        if (vlen == S_ID_LEN) {
            s->seqs[s->n] = seq;
            memcpy(s->ids[s->n], v, S_ID_LEN);
            s->ids[s->n][S_ID_LEN] = 0;
            s->n++;
        }
        err = acc_cursor_next(cur, &k, &klen, &v, &vlen);
    }
    if (err == ACC_ERR_NOT_FOUND)
        err = ACC_OK;
    acc_store_read_end(&txn);
    return err;
}

/* Record the delivery states the link settled since the last tick, once. */
static acc_err
s_on_tick(acc_loop_t *loop, void *arg)
{
    (void)loop;
    s_state *st = arg;
    for (size_t i = 0; i < st->n_peers; i++) {
        acc_link_peer_status_t ls;
        if (acc_link_status(st->link, i, &ls) != ACC_OK || ls.acked <= st->settled[i])
            continue;
        s_settle *s = calloc(1, sizeof *s);
        s_parked_set ps = {.upto = ls.acked};
        if (!s)
            return ACC_OK;
        s->st = st;
        s->peer = st->cfg->peers[i].agency;
        s->parked = &ps;
        s->delivered_ms = ls.last_ok_ms > 0 ? ls.last_ok_ms : acc_time_now_ms();
        acc_err err = ACC_OK;
        if (ls.parked > 0)
            err = acc_link_parked(st->link, s->peer, st->settled[i], s_parked_collect, &ps);
        if (err == ACC_OK && ps.nomem)
            err = ACC_ERR_NOMEM;
        if (err == ACC_OK)
            err = s_settle_collect(st, s, st->settled[i], ls.acked);
        if (err == ACC_OK && s->n > 0)
            err = acc_service_write(st->svc, s_settle_txn, s);
        if (err == ACC_OK)
            st->settled[i] = s->n == S_SETTLE_MAX ? s->seqs[s->n - 1] : ls.acked;
        else
            acc_log_error(S_TAG, "cannot record delivery states for peer '%s': %s; retrying",
                          s->peer, acc_strerror(err));
        s_parked_free(&ps);
        free(s);
    }
    return ACC_OK;
}

/* --- control: ListNotices ------------------------------------------------------------ */

static Accord__V1__PeerLinkStatus *
s_peer_status(const acc_link_peer_status_t *ls)
{
    Accord__V1__PeerLinkStatus *p = malloc(sizeof *p);
    if (!p)
        return NULL;
    accord__v1__peer_link_status__init(p);
    p->agency = strdup(ls->agency);
    p->last_error = ls->last_error[0] ? strdup(ls->last_error) : (char *)protobuf_c_empty_string;
    if (!p->agency || !p->last_error) {
        if (!p->agency)
            p->agency = (char *)protobuf_c_empty_string;
        if (!p->last_error)
            p->last_error = (char *)protobuf_c_empty_string;
        accord__v1__peer_link_status__free_unpacked(p, NULL);
        return NULL;
    }
    p->enqueued = ls->enqueued;
    p->acked = ls->acked;
    p->parked = ls->parked;
    p->attempts = ls->attempts;
    p->last_ok_ms = ls->last_ok_ms;
    return p;
}

/* The state the link gives a QUEUED peer notice @n now (the timer may not have recorded it
 * yet). false when out of memory. */
static bool
s_derive(const s_state *st, const acc_link_peer_status_t *ls, const s_parked_set *parked,
         Accord__V1__Notice *n)
{
    if (n->status != ACCORD__V1__NOTICE_STATUS__NOTICE_STATUS_QUEUED ||
        strncmp(n->destination, "peer:", 5) != 0)
        return true;
    for (size_t i = 0; i < st->n_peers; i++) {
        if (strcmp(ls[i].agency, n->destination + 5) != 0 || n->link_sequence == 0 ||
            ls[i].acked < n->link_sequence)
            continue;
        const char *reason = s_parked_reason(&parked[i], n->link_sequence);
        if (reason) {
            char *e = strdup(reason);
            if (!e)
                return false;
            if (n->error != protobuf_c_empty_string)
                free(n->error);
            n->error = e;
            n->status = ACCORD__V1__NOTICE_STATUS__NOTICE_STATUS_PARKED;
        } else {
            n->status = ACCORD__V1__NOTICE_STATUS__NOTICE_STATUS_DELIVERED;
            n->delivered_ms = ls[i].last_ok_ms;
        }
        break;
    }
    return true;
}

static Accord__V1__Response *
s_list_notices(s_state *st, uint64_t request_id)
{
    Accord__V1__Response *r = acc_service_response(request_id, ACCORD__V1__CODE__CODE_OK, "", "");
    Accord__V1__NoticeList *nl = malloc(sizeof *nl);
    acc_link_peer_status_t *ls = calloc(st->n_peers ? st->n_peers : 1, sizeof *ls);
    s_parked_set *parked = calloc(st->n_peers ? st->n_peers : 1, sizeof *parked);
    acc_txn_t *txn = NULL;
    acc_cursor_t *cur = NULL;
    bool ok = false;
    if (!r || !nl || !ls || !parked)
        goto out;
    accord__v1__notice_list__init(nl);
    r->body_case = ACCORD__V1__RESPONSE__BODY_NOTICES;
    r->notices = nl;
    nl = NULL;
    Accord__V1__NoticeList *list = r->notices;

    size_t budget = (size_t)st->cfg->limits.message_max_bytes;
    budget = budget > S_LIST_MARGIN ? budget - S_LIST_MARGIN : 0;
    size_t used = 0;
    if (st->n_peers && !(list->peers = calloc(st->n_peers, sizeof *list->peers)))
        goto out;
    for (size_t i = 0; i < st->n_peers; i++) {
        if (acc_link_status(st->link, i, &ls[i]) != ACC_OK)
            continue;
        parked[i].upto = UINT64_MAX;
        /* Before our read transaction: acc_link_parked opens its own. */
        if (ls[i].parked > 0 &&
            (acc_link_parked(st->link, ls[i].agency, 0, s_parked_collect, &parked[i]) != ACC_OK ||
             parked[i].nomem))
            goto out;
        if (!(list->peers[list->n_peers] = s_peer_status(&ls[i])))
            goto out;
        used += accord__v1__peer_link_status__get_packed_size(list->peers[list->n_peers]) + 4;
        list->n_peers++;
    }

    size_t cap = 0;
    const void *k, *v;
    size_t kl, vl;
    if (acc_store_read_begin(acc_service_store(st->svc), &txn) != ACC_OK ||
        acc_cursor_open(txn, st->t_order, &cur) != ACC_OK)
        goto out;
    acc_err err = acc_cursor_last(cur, &k, &kl, &v, &vl);
    while (err == ACC_OK && list->n_notices < S_LIST_COUNT_MAX) {
        const void *nv;
        size_t nvl;
        ProtobufCMessage *m = NULL;
        acc_errinfo_t ei;
        if (vl != S_ID_LEN || acc_store_get(txn, st->t_notices, v, vl, &nv, &nvl) != ACC_OK ||
            acc_codec_unpack(&accord__v1__notice__descriptor, nv, nvl, ACC_STREAM_RECORD_MAX, &m,
                             &ei) != ACC_OK) {
            acc_log_error(S_TAG, "notice index entry without a readable notice: skipped");
            err = acc_cursor_prev(cur, &k, &kl, &v, &vl);
            continue;
        }
        Accord__V1__Notice *n = (Accord__V1__Notice *)m;
        if (!s_derive(st, ls, parked, n)) {
            accord__v1__notice__free_unpacked(n, NULL);
            goto out;
        }
        size_t sz = accord__v1__notice__get_packed_size(n) + 8;
        if (used + sz > budget) {
            accord__v1__notice__free_unpacked(n, NULL);
            break;
        }
        if (list->n_notices == cap) {
            size_t ncap = cap ? cap * 2 : 64;
            Accord__V1__Notice **a = realloc(list->notices, ncap * sizeof *a);
            if (!a) {
                accord__v1__notice__free_unpacked(n, NULL);
                goto out;
            }
            list->notices = a;
            cap = ncap;
        }
        list->notices[list->n_notices++] = n;
        used += sz;
        err = acc_cursor_prev(cur, &k, &kl, &v, &vl);
    }
    if (err != ACC_OK && err != ACC_ERR_NOT_FOUND)
        goto out;
    ok = true;
out:
    acc_store_read_end(&txn);
    for (size_t i = 0; parked && i < st->n_peers; i++)
        s_parked_free(&parked[i]);
    free(parked);
    free(ls);
    free(nl);
    if (!ok && r) {
        accord__v1__response__free_unpacked(r, NULL);
        r = acc_service_response(request_id, ACCORD__V1__CODE__CODE_RETRY, "",
                                 "cannot read the notices now; retry later");
    }
    return r;
}

static Accord__V1__Response *
s_handle(acc_service_t *svc, void *state, const Accord__V1__Request *req, const char *agency)
{
    (void)svc;
    (void)agency;
    if (req->body_case == ACCORD__V1__REQUEST__BODY_LIST_NOTICES)
        return s_list_notices(state, req->request_id);
    return acc_service_response(req->request_id, ACCORD__V1__CODE__CODE_INVALID, "body",
                                "not a notification request");
}

/* --- life cycle ---------------------------------------------------------------------- */

static bool
s_inproc(const char *endpoint)
{
    return strncmp(endpoint, "inproc://", 9) == 0;
}

static void
s_free_state(s_state *st)
{
    if (!st)
        return;
    acc_link_destroy(&st->link);
    free(st->settled);
    free(st);
}

static acc_err
s_start(acc_service_t *svc, void **state, acc_errinfo_t *ei)
{
    const acc_config_t *cfg = acc_service_config(svc);
    acc_err err = ACC_ERR_NOMEM;
    char pub[ACC_CURVE_KEY_LEN + 1] = "", sec[ACC_CURVE_KEY_LEN + 1] = "";
    acc_link_peer_t *peers = calloc(cfg->n_peers ? cfg->n_peers : 1, sizeof *peers);
    s_state *st = calloc(1, sizeof *st);
    if (!st || !peers)
        goto out;
    st->svc = svc;
    st->cfg = cfg;
    st->t_notices = acc_service_table(svc, "notices");
    st->t_order = acc_service_table(svc, "notice_order");
    st->t_pending = acc_service_table(svc, "notice_pending");
    st->lead = acc_config_lead(cfg);
    st->n_peers = cfg->n_peers;
    if (!(st->settled = calloc(cfg->n_peers ? cfg->n_peers : 1, sizeof *st->settled)))
        goto out;
    int len = cfg->notify.spool_dir
                  ? snprintf(st->spool_dir, sizeof st->spool_dir, "%s", cfg->notify.spool_dir)
                  : snprintf(st->spool_dir, sizeof st->spool_dir, "%s/spool", cfg->data_dir);
    if (len < 0 || (size_t)len >= sizeof st->spool_dir) {
        acc_errinfo_set(ei, "notification.spool_dir", "spool directory path is too long");
        err = ACC_ERR_CONFIG;
        goto out;
    }

    bool need_keys = false;
    for (size_t i = 0; i < cfg->n_peers; i++) {
        const acc_peer_cfg_t *pc = &cfg->peers[i];
        bool inproc = s_inproc(pc->endpoint);
        peers[i] = (acc_link_peer_t){pc->agency, pc->endpoint, inproc ? NULL : pc->public_key};
        need_keys = need_keys || !inproc;
    }
    if (need_keys) {
        if ((err = acc_curve_load_keys(cfg->keys_dir, pub, sec, ei)) != ACC_OK)
            goto out;
    }
    acc_link_opts_t opts = {
        .agency = cfg->agency,
        .public_key = need_keys ? pub : NULL,
        .secret_key = need_keys ? sec : NULL,
        .retry_min_ms = (uint32_t)cfg->notify.retry_min_ms,
        .retry_max_ms = (uint32_t)cfg->notify.retry_max_ms,
    };
    if ((err = acc_link_new(acc_service_zctx(svc), acc_service_store(svc), peers, cfg->n_peers,
                            &opts, &st->link, ei)) != ACC_OK)
        goto out;
    acc_log_info(S_TAG, "%zu peers%s%s; spool directory %s", cfg->n_peers,
                 st->lead ? "; reports received here go to lead " : "",
                 st->lead ? st->lead->agency : "", st->spool_dir);
    *state = st;
    st = NULL;
out:
    sodium_memzero(sec, sizeof sec);
    free(peers);
    s_free_state(st);
    return err;
}

static acc_err
s_attach(acc_service_t *svc, void *state, acc_loop_t *loop)
{
    (void)svc;
    s_state *st = state;
    acc_err err = acc_link_attach(st->link, loop);
    if (err == ACC_OK)
        err = acc_loop_add_timer(loop, NOTIFICATION_TICK_MS, s_on_tick, st);
    return err;
}

static void
s_stop(acc_service_t *svc, void *state)
{
    (void)svc;
    s_free_state(state);
}

const acc_service_def_t notification_service = {
    .name = "notification",
    .tables = s_tables,
    .inputs = s_inputs,
    .start = s_start,
    .apply = s_apply,
    .handle = s_handle,
    .attach = s_attach,
    .stop = s_stop,
};
