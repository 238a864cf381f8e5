/*
 * accordctl: the operator commands of the services behind intake — verify decide
 * (verification), route add and measure list|update (assignment), notice list
 * (notification), stats and the timeline of `case show` (reporting). Each command talks to
 * its service's control socket (ctl_connect_service). Arguments are checked here before
 * anything is sent, so a mistake is named (exit 2) even when no node runs.
 *
 * Text output is for people (Vietnamese or English by locale, and every string that came
 * from a node is printed with control characters blanked: a report's text must not be able
 * to drive the operator's terminal). JSON output never changes with the locale.
 */
#include <jansson.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "acc_import.h"
#include "acc_model.h"
#include "acc_text.h"
#include "ctl.h"

/* --- output helpers ------------------------------------------------------------------ */

/* A duration for people: "350 ms", "42s", "5m 7s", "2h 13m", "3d 4h" (Vietnamese spells
 * the units); "-" when negative (no data). */
static void
s_human_ms(acc_lang lang, int64_t ms, char *buf, size_t len)
{
    int vi = lang == ACC_LANG_VI;
    if (ms < 0) {
        snprintf(buf, len, "-");
        return;
    }
    if (ms < 1000) {
        snprintf(buf, len, "%lld ms", (long long)ms);
        return;
    }
    long long s = (long long)(ms / 1000);
    if (s < 60)
        snprintf(buf, len, vi ? "%lld giây" : "%llds", s);
    else if (s < 3600)
        snprintf(buf, len, vi ? "%lld phút %lld giây" : "%lldm %llds", s / 60, s % 60);
    else if (s < 86400)
        snprintf(buf, len, vi ? "%lld giờ %lld phút" : "%lldh %lldm", s / 3600, s / 60 % 60);
    else
        snprintf(buf, len, vi ? "%lld ngày %lld giờ" : "%lldd %lldh", s / 86400, s / 3600 % 24);
}

/* --- argument helpers ---------------------------------------------------------------- */

/* "OPTION: message" on stderr; returns CTL_BAD_INPUT. */
static int
s_bad(const char *option, const char *msg)
{
    ctl_err("%s: %s", option, msg);
    return CTL_BAD_INPUT;
}

static int
s_unexpected(ctl_t *ctx, const char *cmd, const char *arg)
{
    ctl_err("%s: %s '%s'", cmd, ACC_TR(ctx->lang, "unexpected argument", "đối số thừa"), arg);
    return CTL_BAD_INPUT;
}

/* Required text (a legal basis, reasons, a result): given, valid UTF-8, and not only white
 * space in the Unicode sense (a statement of reasons cannot be a run of no-break spaces).
 * Returns 0 or an exit code with the error printed, naming @option. */
static int
s_check_text(ctl_t *ctx, const char *option, const char *s)
{
    if (!s || !s[0])
        return s_bad(option, ACC_TR(ctx->lang, "is required", "là bắt buộc"));
    char *norm = NULL;
    size_t nlen = 0;
    acc_err err = acc_text_normalize(s, strlen(s), &norm, &nlen);
    free(norm);
    if (err == ACC_ERR_INVALID)
        return s_bad(option, ACC_TR(ctx->lang, "is blank: write the text out",
                                    "chỉ có khoảng trắng: hãy ghi rõ nội dung"));
    if (err == ACC_ERR_NOMEM) {
        ctl_err("%s", acc_strerror(err));
        return CTL_FAIL;
    }
    if (err != ACC_OK)
        return s_bad(option, ACC_TR(ctx->lang, "is not valid UTF-8 text",
                                    "không phải văn bản UTF-8 hợp lệ"));
    return 0;
}

/* Who runs the command, for --by: the effective user's login name, else $USER; copied
 * into @buf. Returns 0, or -1 when neither is known. */
static int
s_user(char *buf, size_t len)
{
    struct passwd pw, *res = NULL;
    char pwbuf[4096];
    if (getpwuid_r(geteuid(), &pw, pwbuf, sizeof pwbuf, &res) == 0 && res && res->pw_name &&
        res->pw_name[0]) {
        snprintf(buf, len, "%s", res->pw_name);
        return 0;
    }
    const char *u = getenv("USER");
    if (u && u[0]) {
        snprintf(buf, len, "%s", u);
        return 0;
    }
    return -1;
}

/* --by NAME or the system user into @buf; returns 0 or an exit code (printed). */
static int
s_by(ctl_t *ctx, const char *given, char *buf, size_t len)
{
    if (given) {
        int rc = s_check_text(ctx, "--by", given);
        if (rc)
            return rc;
        snprintf(buf, len, "%s", given);
        return 0;
    }
    if (s_user(buf, len) != 0)
        return s_bad("--by", ACC_TR(ctx->lang, "cannot tell who you are: give --by NAME",
                                    "không xác định được người thực hiện: hãy dùng --by TÊN"));
    return 0;
}

int
ctl_parse_duration(const char *s, int64_t *seconds)
{
    if (!s || *s < '0' || *s > '9')
        return -1;
    int64_t v = 0;
    const char *p = s;
    for (; *p >= '0' && *p <= '9'; p++) {
        if (v > (INT64_MAX - (*p - '0')) / 10)
            return -1;
        v = v * 10 + (*p - '0');
    }
    int64_t unit;
    switch (*p) {
    case 'm':
        unit = 60;
        break;
    case 'h':
        unit = 3600;
        break;
    case 'd':
        unit = 86400;
        break;
    case 'w':
        unit = 7 * 86400;
        break;
    default:
        return -1;
    }
    if (p[1] != '\0' || v == 0 || v > INT64_MAX / unit)
        return -1;
    *seconds = v * unit;
    return 0;
}

/* --- calling a service --------------------------------------------------------------- */

/*
 * Send @req to @service and wait for a successful answer carrying body @body. Returns 0
 * with *@out set (the caller frees it), or an exit code with the error printed. A note the
 * service adds to a successful answer (a shortened list) goes to stderr.
 */
static int
s_call(ctl_t *ctx, const char *service, Accord__V1__Request *req, int body,
       Accord__V1__Response **out)
{
    acc_client_t *c = NULL;
    int rc = ctl_connect_service(ctx, service, &c);
    if (rc)
        return rc;
    rc = ctl_call(ctx, c, service, req, ctx->timeout_ms, body, out);
    acc_client_destroy(&c);
    return rc;
}

/* --- verify decide ------------------------------------------------------------------- */

static json_t *
s_decision_json(const Accord__V1__Decision *d)
{
    json_t *o = json_object();
    json_object_set_new(o, "case_number", ctl_json_str(d->case_number));
    json_object_set_new(o, "verdict", json_string(acc_verdict_name(d->verdict)));
    json_object_set_new(o, "category", ctl_json_str(d->category));
    json_object_set_new(o, "legal_basis", ctl_json_str(d->legal_basis));
    json_object_set_new(o, "reasons", ctl_json_str(d->reasons));
    json_object_set_new(o, "decided_by", ctl_json_str(d->decided_by));
    json_object_set_new(o, "decided_at", ctl_json_time(d->decided_ms));
    json_object_set_new(o, "automated", json_boolean(d->automated));
    return o;
}

static void
s_decision_text(ctl_t *ctx, const Accord__V1__Decision *d)
{
    char t[40];
    ctl_time_text(d->decided_ms, t, sizeof t);
    fputs(ACC_TR(ctx->lang, "verdict recorded on case ", "đã ghi kết quả thẩm định hồ sơ "),
          stdout);
    ctl_out(d->case_number);
    putchar('\n');
    ctl_kv(ACC_TR(ctx->lang, "verdict", "kết quả"), acc_verdict_name(d->verdict));
    ctl_kv(ACC_TR(ctx->lang, "category", "loại"), d->category);
    ctl_kv(ACC_TR(ctx->lang, "legal basis", "căn cứ pháp lý"), d->legal_basis);
    ctl_kv(ACC_TR(ctx->lang, "reasons", "lý do"), d->reasons);
    ctl_kv(ACC_TR(ctx->lang, "decided by", "người quyết định"), d->decided_by);
    ctl_kv(ACC_TR(ctx->lang, "decided at", "thời điểm"), t);
    if (d->automated)
        ctl_kv(ACC_TR(ctx->lang, "automated", "tự động"), ACC_TR(ctx->lang, "yes", "có"));
}

static int
s_decide(ctl_t *ctx, int argc, char **argv)
{
    const char *number = NULL, *verdict_s = NULL, *category = NULL, *basis = NULL, *reasons = NULL,
               *by_s = NULL;
    int json = 0;
    for (int i = 2; i < argc; i++) {
        int r;
        if ((r = ctl_opt(argc, argv, &i, "--verdict", &verdict_s)) ||
            (r = ctl_opt(argc, argv, &i, "--category", &category)) ||
            (r = ctl_opt(argc, argv, &i, "--basis", &basis)) ||
            (r = ctl_opt(argc, argv, &i, "--reasons", &reasons)) ||
            (r = ctl_opt(argc, argv, &i, "--by", &by_s))) {
            if (r < 0)
                return CTL_BAD_INPUT;
        } else if (strcmp(argv[i], "--json") == 0) {
            json = 1;
        } else if (!number && argv[i][0] != '-') {
            number = argv[i];
        } else {
            return s_unexpected(ctx, "verify decide", argv[i]);
        }
    }
    if (!number || !number[0])
        return s_bad("NUMBER", ACC_TR(ctx->lang,
                                      "the case number is required: accordctl verify decide "
                                      "NUMBER --verdict V --category C --basis B --reasons R",
                                      "cần số hồ sơ: accordctl verify decide SỐ_HỒ_SƠ --verdict V "
                                      "--category C --basis B --reasons R"));
    int verdict = acc_verdict_parse(verdict_s);
    if (verdict < 0)
        return s_bad("--verdict",
                     ACC_TR(ctx->lang, "must be violating, not-violating or inconclusive",
                            "phải là violating, not-violating hoặc inconclusive"));
    if (!category || !category[0])
        return s_bad("--category", ACC_TR(ctx->lang, "is required", "là bắt buộc"));
    int rc;
    char by[256];
    if ((rc = s_check_text(ctx, "--basis", basis)) ||
        (rc = s_check_text(ctx, "--reasons", reasons)) || (rc = s_by(ctx, by_s, by, sizeof by)))
        return rc;

    Accord__V1__Request req = ACCORD__V1__REQUEST__INIT;
    Accord__V1__Decide q = ACCORD__V1__DECIDE__INIT;
    q.case_number = (char *)number;
    q.verdict = (Accord__V1__Verdict)verdict;
    q.category = (char *)category;
    q.legal_basis = (char *)basis;
    q.reasons = (char *)reasons;
    q.decided_by = by;
    req.body_case = ACCORD__V1__REQUEST__BODY_DECIDE;
    req.decide = &q;
    Accord__V1__Response *resp = NULL;
    if ((rc = s_call(ctx, "verification", &req, ACCORD__V1__RESPONSE__BODY_DECISION, &resp)))
        return rc;
    if (json) {
        json_t *o = s_decision_json(resp->decision);
        ctl_json_print(o);
        json_decref(o);
    } else {
        s_decision_text(ctx, resp->decision);
    }
    accord__v1__response__free_unpacked(resp, NULL);
    return CTL_OK;
}

int
ctl_cmd_verify(ctl_t *ctx, int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "decide") == 0)
        return s_decide(ctx, argc, argv);
    ctl_err("%s", ACC_TR(ctx->lang, "usage: accordctl verify decide NUMBER ...",
                         "cách dùng: accordctl verify decide SỐ_HỒ_SƠ ..."));
    return CTL_BAD_INPUT;
}

/* --- route add ----------------------------------------------------------------------- */

static int
s_route_add(ctl_t *ctx, int argc, char **argv)
{
    const char *category = NULL, *action = NULL, *to = NULL, *deadline_s = NULL,
               *jurisdiction = NULL;
    int json = 0;
    for (int i = 2; i < argc; i++) {
        int r;
        if ((r = ctl_opt(argc, argv, &i, "--category", &category)) ||
            (r = ctl_opt(argc, argv, &i, "--action", &action)) ||
            (r = ctl_opt(argc, argv, &i, "--to", &to)) ||
            (r = ctl_opt(argc, argv, &i, "--deadline", &deadline_s)) ||
            (r = ctl_opt(argc, argv, &i, "--jurisdiction", &jurisdiction))) {
            if (r < 0)
                return CTL_BAD_INPUT;
        } else if (strcmp(argv[i], "--json") == 0) {
            json = 1;
        } else {
            return s_unexpected(ctx, "route add", argv[i]);
        }
    }
    const char *req_msg = ACC_TR(ctx->lang, "is required", "là bắt buộc");
    if (!category || !category[0])
        return s_bad("--category", req_msg);
    if (!action || !action[0])
        return s_bad("--action", req_msg);
    if (!to || !to[0])
        return s_bad("--to", req_msg);
    if (!deadline_s)
        return s_bad("--deadline", req_msg);
    int64_t secs = 0;
    if (ctl_parse_duration(deadline_s, &secs) != 0) {
        if (ctx->lang == ACC_LANG_VI)
            ctl_err("--deadline: '%s' không phải thời hạn dạng 30m, 24h, 3d hoặc 1w (một số "
                    "nguyên dương và một đơn vị m, h, d, w)",
                    deadline_s);
        else
            ctl_err("--deadline: '%s' is not a duration like 30m, 24h, 3d or 1w (a positive "
                    "whole number and one unit: m, h, d or w)",
                    deadline_s);
        return CTL_BAD_INPUT;
    }

    Accord__V1__Request req = ACCORD__V1__REQUEST__INIT;
    Accord__V1__AddRoute q = ACCORD__V1__ADD_ROUTE__INIT;
    Accord__V1__RoutingRule rule = ACCORD__V1__ROUTING_RULE__INIT;
    rule.category = (char *)category;
    rule.action = (char *)action;
    rule.owner_agency = (char *)to;
    rule.jurisdiction = (char *)(jurisdiction ? jurisdiction : "");
    rule.deadline_s = secs;
    q.rule = &rule;
    req.body_case = ACCORD__V1__REQUEST__BODY_ADD_ROUTE;
    req.add_route = &q;
    Accord__V1__Response *resp = NULL;
    int rc = s_call(ctx, "assignment", &req, ACCORD__V1__RESPONSE__BODY_ROUTE, &resp);
    if (rc)
        return rc;
    const Accord__V1__RoutingRule *r = resp->route;
    if (json) {
        json_t *o = json_object();
        json_object_set_new(o, "id", ctl_json_str(r->id));
        json_object_set_new(o, "category", ctl_json_str(r->category));
        json_object_set_new(o, "jurisdiction", ctl_json_str_or_null(r->jurisdiction));
        json_object_set_new(o, "action", ctl_json_str(r->action));
        json_object_set_new(o, "owner", ctl_json_str(r->owner_agency));
        json_object_set_new(o, "deadline_s", json_integer((json_int_t)r->deadline_s));
        ctl_json_print(o);
        json_decref(o);
    } else {
        /* The id alone on stdout (for scripts), what was added on stderr. */
        ctl_out(r->id);
        putchar('\n');
        ctl_err("%s: %s -> %s, %s %s, %s %s",
                ACC_TR(ctx->lang, "routing rule added", "đã thêm quy tắc phân công"), r->category,
                r->action, ACC_TR(ctx->lang, "owner", "cơ quan thực hiện"), r->owner_agency,
                ACC_TR(ctx->lang, "deadline", "thời hạn"), deadline_s);
    }
    accord__v1__response__free_unpacked(resp, NULL);
    return CTL_OK;
}

int
ctl_cmd_route(ctl_t *ctx, int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "add") == 0)
        return s_route_add(ctx, argc, argv);
    ctl_err("%s", ACC_TR(ctx->lang,
                         "usage: accordctl route add --category C --action A --to AGENCY "
                         "--deadline D [--jurisdiction J]",
                         "cách dùng: accordctl route add --category C --action A --to CƠ_QUAN "
                         "--deadline D [--jurisdiction J]"));
    return CTL_BAD_INPUT;
}

/* --- measure list / update ----------------------------------------------------------- */

static json_t *
s_measure_json(const Accord__V1__Measure *m)
{
    json_t *o = json_object();
    json_object_set_new(o, "id", ctl_json_str(m->id));
    json_object_set_new(o, "case", ctl_json_str(m->case_number));
    json_object_set_new(o, "action", ctl_json_str(m->action));
    json_object_set_new(o, "owner", ctl_json_str(m->owner_agency));
    json_object_set_new(o, "lead", ctl_json_str(m->lead_agency));
    json_object_set_new(o, "status", json_string(acc_measure_status_name(m->status)));
    json_object_set_new(o, "deadline", ctl_json_time(m->deadline_ms));
    json_object_set_new(o, "category", ctl_json_str(m->category));
    json_object_set_new(o, "url", ctl_json_str_or_null(m->url));
    json_object_set_new(o, "legal_basis", ctl_json_str(m->legal_basis));
    json_object_set_new(o, "reasons", ctl_json_str(m->reasons));
    json_object_set_new(o, "result", ctl_json_str_or_null(m->result));
    json_object_set_new(o, "created", ctl_json_time(m->created_ms));
    json_object_set_new(o, "updated", ctl_json_time(m->updated_ms));
    json_object_set_new(o, "updated_by", ctl_json_str_or_null(m->updated_by));
    return o;
}

static int
s_measure_list(ctl_t *ctx, int argc, char **argv)
{
    const char *case_number = NULL;
    int json = 0, mine = 0;
    for (int i = 2; i < argc; i++) {
        int r;
        if ((r = ctl_opt(argc, argv, &i, "--case", &case_number))) {
            if (r < 0)
                return CTL_BAD_INPUT;
        } else if (strcmp(argv[i], "--json") == 0) {
            json = 1;
        } else if (strcmp(argv[i], "--mine") == 0) {
            mine = 1;
        } else {
            return s_unexpected(ctx, "measure list", argv[i]);
        }
    }
    if (case_number && !case_number[0])
        return s_bad("--case", ACC_TR(ctx->lang, "is empty", "đang để trống"));
    Accord__V1__Request req = ACCORD__V1__REQUEST__INIT;
    Accord__V1__ListMeasures q = ACCORD__V1__LIST_MEASURES__INIT;
    q.mine = mine;
    q.case_number = (char *)(case_number ? case_number : "");
    req.body_case = ACCORD__V1__REQUEST__BODY_LIST_MEASURES;
    req.list_measures = &q;
    Accord__V1__Response *resp = NULL;
    int rc = s_call(ctx, "assignment", &req, ACCORD__V1__RESPONSE__BODY_MEASURES, &resp);
    if (rc)
        return rc;
    const Accord__V1__MeasureList *ml = resp->measures;
    if (json) {
        json_t *arr = json_array();
        for (size_t i = 0; i < ml->n_measures; i++)
            json_array_append_new(arr, s_measure_json(ml->measures[i]));
        ctl_json_print(arr);
        json_decref(arr);
    } else {
        ctl_col(ACC_TR(ctx->lang, "ID", "MÃ"), 36);
        ctl_col(ACC_TR(ctx->lang, "CASE", "HỒ SƠ"), 24);
        ctl_col(ACC_TR(ctx->lang, "ACTION", "BIỆN PHÁP"), 18);
        ctl_col(ACC_TR(ctx->lang, "OWNER", "CƠ QUAN"), 14);
        ctl_col(ACC_TR(ctx->lang, "STATUS", "TRẠNG THÁI"), 10);
        printf("%s\n", ACC_TR(ctx->lang, "DEADLINE", "THỜI HẠN"));
        for (size_t i = 0; i < ml->n_measures; i++) {
            const Accord__V1__Measure *m = ml->measures[i];
            char t[40];
            ctl_time_text(m->deadline_ms, t, sizeof t);
            ctl_col(m->id, 36);
            ctl_col(m->case_number, 24);
            ctl_col(m->action, 18);
            ctl_col(m->owner_agency, 14);
            ctl_col(acc_measure_status_name(m->status), 10);
            printf("%s\n", t);
        }
        printf("%s: %zu\n", ACC_TR(ctx->lang, "measures", "số biện pháp"), ml->n_measures);
    }
    accord__v1__response__free_unpacked(resp, NULL);
    return CTL_OK;
}

static int
s_measure_update(ctl_t *ctx, int argc, char **argv)
{
    const char *id = NULL, *status_s = NULL, *result = NULL, *by_s = NULL;
    int json = 0;
    for (int i = 2; i < argc; i++) {
        int r;
        if ((r = ctl_opt(argc, argv, &i, "--status", &status_s)) ||
            (r = ctl_opt(argc, argv, &i, "--result", &result)) ||
            (r = ctl_opt(argc, argv, &i, "--by", &by_s))) {
            if (r < 0)
                return CTL_BAD_INPUT;
        } else if (strcmp(argv[i], "--json") == 0) {
            json = 1;
        } else if (!id && argv[i][0] != '-') {
            id = argv[i];
        } else {
            return s_unexpected(ctx, "measure update", argv[i]);
        }
    }
    if (!id || !id[0])
        return s_bad("ID", ACC_TR(ctx->lang,
                                  "the measure id is required: accordctl measure update ID "
                                  "--status accepted|done|failed [--result TEXT]",
                                  "cần mã biện pháp: accordctl measure update MÃ "
                                  "--status accepted|done|failed [--result NỘI_DUNG]"));
    /* an owner reports progress; "assigned" is what the lead sets, never an update */
    int st = acc_measure_status_parse(status_s);
    if (st < 0 || st == ACCORD__V1__MEASURE_STATUS__MEASURE_STATUS_ASSIGNED)
        return s_bad("--status", ACC_TR(ctx->lang, "must be accepted, done or failed",
                                        "phải là accepted, done hoặc failed"));
    int rc;
    /* done and failed say what was done or why not (the node insists too); accepting
     * needs no result, but one that is given must be real text. */
    if ((result || st != ACCORD__V1__MEASURE_STATUS__MEASURE_STATUS_ACCEPTED) &&
        (rc = s_check_text(ctx, "--result", result)))
        return rc;
    char by[256];
    if ((rc = s_by(ctx, by_s, by, sizeof by)))
        return rc;

    Accord__V1__Request req = ACCORD__V1__REQUEST__INIT;
    Accord__V1__UpdateMeasure q = ACCORD__V1__UPDATE_MEASURE__INIT;
    q.measure_id = (char *)id;
    q.status = (Accord__V1__MeasureStatus)st;
    q.result = (char *)(result ? result : "");
    q.updated_by = by;
    req.body_case = ACCORD__V1__REQUEST__BODY_UPDATE_MEASURE;
    req.update_measure = &q;
    Accord__V1__Response *resp = NULL;
    if ((rc = s_call(ctx, "assignment", &req, ACCORD__V1__RESPONSE__BODY_MEASURE, &resp)))
        return rc;
    const Accord__V1__Measure *m = resp->measure;
    if (json) {
        json_t *o = s_measure_json(m);
        ctl_json_print(o);
        json_decref(o);
    } else {
        char t[40];
        fputs(ACC_TR(ctx->lang, "measure ", "biện pháp "), stdout);
        ctl_out(m->id);
        putchar('\n');
        ctl_kv(ACC_TR(ctx->lang, "case", "hồ sơ"), m->case_number);
        ctl_kv(ACC_TR(ctx->lang, "action", "biện pháp"), m->action);
        ctl_kv(ACC_TR(ctx->lang, "status", "trạng thái"), acc_measure_status_name(m->status));
        ctl_kv(ACC_TR(ctx->lang, "result", "kết quả"), m->result[0] ? m->result : "-");
        ctl_kv(ACC_TR(ctx->lang, "updated by", "người cập nhật"), m->updated_by);
        ctl_time_text(m->updated_ms, t, sizeof t);
        ctl_kv(ACC_TR(ctx->lang, "updated at", "thời điểm"), t);
    }
    accord__v1__response__free_unpacked(resp, NULL);
    return CTL_OK;
}

int
ctl_cmd_measure(ctl_t *ctx, int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "list") == 0)
        return s_measure_list(ctx, argc, argv);
    if (argc >= 2 && strcmp(argv[1], "update") == 0)
        return s_measure_update(ctx, argc, argv);
    ctl_err("%s", ACC_TR(ctx->lang, "usage: accordctl measure list|update ...",
                         "cách dùng: accordctl measure list|update ..."));
    return CTL_BAD_INPUT;
}

/* --- notice list --------------------------------------------------------------------- */

static json_t *
s_notice_json(const Accord__V1__Notice *n)
{
    json_t *o = json_object();
    json_object_set_new(o, "id", ctl_json_str(n->id));
    json_object_set_new(o, "destination", ctl_json_str(n->destination));
    json_object_set_new(o, "kind", ctl_json_str(n->kind));
    json_object_set_new(o, "case", ctl_json_str_or_null(n->case_number));
    json_object_set_new(o, "measure", ctl_json_str_or_null(n->measure_id));
    json_object_set_new(o, "status", json_string(acc_notice_status_name(n->status)));
    json_object_set_new(o, "created", ctl_json_time(n->created_ms));
    json_object_set_new(o, "delivered", ctl_json_time(n->delivered_ms));
    json_object_set_new(o, "error", ctl_json_str_or_null(n->error));
    json_object_set_new(o, "link_sequence", json_integer((json_int_t)n->link_sequence));
    json_object_set_new(o, "file", ctl_json_str_or_null(n->file));
    return o;
}

static json_t *
s_peer_json(const Accord__V1__PeerLinkStatus *p)
{
    json_t *o = json_object();
    json_object_set_new(o, "agency", ctl_json_str(p->agency));
    json_object_set_new(o, "enqueued", json_integer((json_int_t)p->enqueued));
    json_object_set_new(o, "acked", json_integer((json_int_t)p->acked));
    json_object_set_new(o, "parked", json_integer((json_int_t)p->parked));
    json_object_set_new(o, "attempts", json_integer((json_int_t)p->attempts));
    json_object_set_new(o, "last_ok", ctl_json_time(p->last_ok_ms));
    json_object_set_new(o, "last_error", ctl_json_str_or_null(p->last_error));
    return o;
}

static int
s_notice_list(ctl_t *ctx, int argc, char **argv)
{
    int json = 0;
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0)
            json = 1;
        else
            return s_unexpected(ctx, "notice list", argv[i]);
    }
    Accord__V1__Request req = ACCORD__V1__REQUEST__INIT;
    Accord__V1__ListNotices q = ACCORD__V1__LIST_NOTICES__INIT;
    req.body_case = ACCORD__V1__REQUEST__BODY_LIST_NOTICES;
    req.list_notices = &q;
    Accord__V1__Response *resp = NULL;
    int rc = s_call(ctx, "notification", &req, ACCORD__V1__RESPONSE__BODY_NOTICES, &resp);
    if (rc)
        return rc;
    const Accord__V1__NoticeList *nl = resp->notices;
    if (json) {
        json_t *o = json_object(), *na = json_array(), *pa = json_array();
        for (size_t i = 0; i < nl->n_notices; i++)
            json_array_append_new(na, s_notice_json(nl->notices[i]));
        for (size_t i = 0; i < nl->n_peers; i++)
            json_array_append_new(pa, s_peer_json(nl->peers[i]));
        json_object_set_new(o, "notices", na);
        json_object_set_new(o, "peers", pa);
        ctl_json_print(o);
        json_decref(o);
    } else {
        ctl_col(ACC_TR(ctx->lang, "CREATED", "TẠO LÚC"), 20);
        ctl_col(ACC_TR(ctx->lang, "STATUS", "TRẠNG THÁI"), 10);
        ctl_col(ACC_TR(ctx->lang, "KIND", "LOẠI"), 16);
        ctl_col(ACC_TR(ctx->lang, "CASE", "HỒ SƠ"), 24);
        ctl_col(ACC_TR(ctx->lang, "DESTINATION", "NƠI NHẬN"), 22);
        printf("%s\n", ACC_TR(ctx->lang, "ERROR", "LỖI"));
        for (size_t i = 0; i < nl->n_notices; i++) {
            const Accord__V1__Notice *n = nl->notices[i];
            char t[40];
            ctl_time_text(n->created_ms, t, sizeof t);
            ctl_col(t, 20);
            ctl_col(acc_notice_status_name(n->status), 10);
            ctl_col(n->kind, 16);
            ctl_col(n->case_number[0] ? n->case_number : "-", 24);
            ctl_col(n->destination, 22);
            ctl_out(n->error[0] ? n->error : "-");
            putchar('\n');
        }
        printf("%s: %zu\n\n", ACC_TR(ctx->lang, "notices", "số thông báo"), nl->n_notices);
        ctl_col(ACC_TR(ctx->lang, "PEER", "CƠ QUAN"), 14);
        ctl_col(ACC_TR(ctx->lang, "ENQUEUED", "ĐÃ XẾP"), 9);
        ctl_col(ACC_TR(ctx->lang, "ACKED", "ĐÃ NHẬN"), 9);
        ctl_col(ACC_TR(ctx->lang, "PARKED", "BỊ TỪ CHỐI"), 10);
        ctl_col(ACC_TR(ctx->lang, "ATTEMPTS", "LẦN GỬI"), 9);
        ctl_col(ACC_TR(ctx->lang, "LAST OK", "LẦN TỐT GẦN NHẤT"), 20);
        printf("%s\n", ACC_TR(ctx->lang, "LAST ERROR", "LỖI GẦN NHẤT"));
        for (size_t i = 0; i < nl->n_peers; i++) {
            const Accord__V1__PeerLinkStatus *p = nl->peers[i];
            char t[40];
            ctl_time_text(p->last_ok_ms, t, sizeof t);
            ctl_col(p->agency, 14);
            printf("%9llu %9llu %10llu %9u ", (unsigned long long)p->enqueued,
                   (unsigned long long)p->acked, (unsigned long long)p->parked, p->attempts);
            ctl_col(t, 20);
            ctl_out(p->last_error[0] ? p->last_error : "-");
            putchar('\n');
        }
        printf("%s: %zu\n", ACC_TR(ctx->lang, "peers", "số cơ quan"), nl->n_peers);
    }
    accord__v1__response__free_unpacked(resp, NULL);
    return CTL_OK;
}

int
ctl_cmd_notice(ctl_t *ctx, int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "list") == 0)
        return s_notice_list(ctx, argc, argv);
    ctl_err("%s", ACC_TR(ctx->lang, "usage: accordctl notice list [--json]",
                         "cách dùng: accordctl notice list [--json]"));
    return CTL_BAD_INPUT;
}

/* --- stats --------------------------------------------------------------------------- */

static json_t *
s_counts_json(Accord__V1__StatCount *const *c, size_t n)
{
    json_t *o = json_object();
    for (size_t i = 0; i < n; i++) {
        /* A key twice (never expected) adds up rather than hiding one of the counts. */
        json_t *prev = json_object_get(o, c[i]->key);
        json_int_t v = (json_int_t)c[i]->count + (prev ? json_integer_value(prev) : 0);
        json_object_set_new(o, c[i]->key, json_integer(v));
    }
    return o;
}

static void
s_counts_text(ctl_t *ctx, const char *title, Accord__V1__StatCount *const *c, size_t n)
{
    printf("%s:\n", title);
    if (n == 0)
        printf("  %s\n", ACC_TR(ctx->lang, "(none)", "(không có)"));
    for (size_t i = 0; i < n; i++) {
        fputs("  ", stdout);
        ctl_col(c[i]->key[0] ? c[i]->key : "-", 28);
        printf("%llu\n", (unsigned long long)c[i]->count);
    }
}

static json_t *
s_median_json(int64_t ms)
{
    return ms < 0 ? json_null() : json_integer((json_int_t)ms);
}

int
ctl_cmd_stats(ctl_t *ctx, int argc, char **argv)
{
    int json = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0)
            json = 1;
        else
            return s_unexpected(ctx, "stats", argv[i]);
    }
    Accord__V1__Request req = ACCORD__V1__REQUEST__INIT;
    Accord__V1__GetStats q = ACCORD__V1__GET_STATS__INIT;
    req.body_case = ACCORD__V1__REQUEST__BODY_GET_STATS;
    req.get_stats = &q;
    Accord__V1__Response *resp = NULL;
    int rc = s_call(ctx, "reporting", &req, ACCORD__V1__RESPONSE__BODY_STATS, &resp);
    if (rc)
        return rc;
    const Accord__V1__Stats *s = resp->stats;
    if (json) {
        json_t *o = json_object();
        json_object_set_new(o, "by_status", s_counts_json(s->by_status, s->n_by_status));
        json_object_set_new(o, "by_category", s_counts_json(s->by_category, s->n_by_category));
        json_object_set_new(o, "by_source", s_counts_json(s->by_source, s->n_by_source));
        json_object_set_new(o, "by_owner", s_counts_json(s->by_owner, s->n_by_owner));
        json_object_set_new(o, "rejected_by_agency",
                            s_counts_json(s->rejected_by_agency, s->n_rejected_by_agency));
        json_object_set_new(o, "median_report_to_verdict_ms",
                            s_median_json(s->median_report_to_verdict_ms));
        json_object_set_new(o, "median_verdict_to_done_ms",
                            s_median_json(s->median_verdict_to_done_ms));
        ctl_json_print(o);
        json_decref(o);
    } else {
        acc_lang l = ctx->lang;
        s_counts_text(ctx, ACC_TR(l, "cases by status", "hồ sơ theo trạng thái"), s->by_status,
                      s->n_by_status);
        s_counts_text(ctx, ACC_TR(l, "cases by category", "hồ sơ theo loại"), s->by_category,
                      s->n_by_category);
        s_counts_text(ctx, ACC_TR(l, "reports by source", "tin phản ánh theo nguồn"), s->by_source,
                      s->n_by_source);
        s_counts_text(ctx,
                      ACC_TR(l, "measures by owner agency", "biện pháp theo cơ quan thực hiện"),
                      s->by_owner, s->n_by_owner);
        s_counts_text(
            ctx,
            ACC_TR(l, "refused peer messages by agency", "thông điệp bị từ chối theo cơ quan gửi"),
            s->rejected_by_agency, s->n_rejected_by_agency);
        char a[64], b[64];
        s_human_ms(l, s->median_report_to_verdict_ms, a, sizeof a);
        s_human_ms(l, s->median_verdict_to_done_ms, b, sizeof b);
        printf("%s:\n", ACC_TR(l, "median times", "thời gian trung vị"));
        fputs("  ", stdout);
        ctl_col(ACC_TR(l, "report -> verdict", "tin -> kết quả thẩm định"), 28);
        printf("%s\n", a);
        fputs("  ", stdout);
        ctl_col(ACC_TR(l, "verdict -> measure done", "thẩm định -> hoàn thành"), 28);
        printf("%s\n", b);
    }
    accord__v1__response__free_unpacked(resp, NULL);
    return CTL_OK;
}

/* --- case show: the timeline --------------------------------------------------------- */

/* One line on stderr saying why `case show` has no timeline. */
static void
s_no_timeline(ctl_t *ctx, const char *why)
{
    ctl_err("%s: %s", ACC_TR(ctx->lang, "no timeline", "không có diễn biến"), why);
}

void
ctl_case_timeline(ctl_t *ctx, const char *number, json_t *json)
{
    acc_client_t *c = NULL;
    Accord__V1__Response *resp = NULL;
    json_t *arr = NULL;
    if (!ctx->cfg)
        goto out; /* case show loaded it; nothing to ask otherwise */
    if (!ctl_service_running(ctx, "reporting")) {
        s_no_timeline(ctx, ACC_TR(ctx->lang, "the reporting service is not running",
                                  "dịch vụ reporting chưa chạy"));
        goto out;
    }
    char ep[4200];
    snprintf(ep, sizeof ep, "ipc://%s/reporting.sock", ctx->cfg->data_dir);
    acc_errinfo_t ei;
    acc_errinfo_clear(&ei);
    acc_err err = acc_client_new(ep, (size_t)ctx->cfg->limits.message_max_bytes * 4, &c, &ei);
    Accord__V1__Request req = ACCORD__V1__REQUEST__INIT;
    Accord__V1__GetTimeline q = ACCORD__V1__GET_TIMELINE__INIT;
    q.case_number = (char *)number;
    req.body_case = ACCORD__V1__REQUEST__BODY_GET_TIMELINE;
    req.get_timeline = &q;
    if (err == ACC_OK)
        /* The timeline is an addition to what intake said: do not hold the operator for
         * the full timeout over it. */
        err =
            acc_client_call(c, &req, ctx->timeout_ms < 10000 ? ctx->timeout_ms : 10000, &resp, &ei);
    if (err != ACC_OK) {
        s_no_timeline(ctx, ACC_TR(ctx->lang, "the reporting service does not answer",
                                  "dịch vụ reporting không trả lời"));
        goto out;
    }
    arr = json_array();
    if (resp->status && resp->status->code == ACCORD__V1__CODE__CODE_NOT_FOUND) {
        /* Reporting has not seen the case (yet): nothing has happened to it there. */
    } else if (!resp->status || resp->status->code != ACCORD__V1__CODE__CODE_OK ||
               resp->body_case != ACCORD__V1__RESPONSE__BODY_TIMELINE) {
        s_no_timeline(ctx, resp->status && resp->status->message[0]
                               ? resp->status->message
                               : ACC_TR(ctx->lang, "the reporting service refused",
                                        "dịch vụ reporting từ chối"));
        json_decref(arr);
        arr = NULL;
        goto out;
    } else {
        const Accord__V1__Timeline *tl = resp->timeline;
        for (size_t i = 0; i < tl->n_entries; i++) {
            const Accord__V1__TimelineEntry *e = tl->entries[i];
            json_t *o = json_object();
            json_object_set_new(o, "at", ctl_json_time(e->at_ms));
            json_object_set_new(o, "service", ctl_json_str(e->service));
            json_object_set_new(o, "kind", ctl_json_str(e->kind));
            json_object_set_new(o, "text", ctl_json_str(e->text));
            /* The event as the node rendered it; null when it is not JSON. */
            json_t *ev = e->json[0] ? json_loads(e->json, JSON_DECODE_ANY, NULL) : NULL;
            json_object_set_new(o, "event", ev ? ev : json_null());
            json_array_append_new(arr, o);
        }
    }
out:
    if (json) {
        json_object_set_new(json, "timeline", arr ? arr : json_null());
    } else if (arr) {
        printf("%s:\n", ACC_TR(ctx->lang, "timeline", "diễn biến"));
        const Accord__V1__Timeline *tl =
            resp->body_case == ACCORD__V1__RESPONSE__BODY_TIMELINE ? resp->timeline : NULL;
        if (!tl || tl->n_entries == 0)
            printf("  %s\n", ACC_TR(ctx->lang, "(nothing yet)", "(chưa có)"));
        for (size_t i = 0; tl && i < tl->n_entries; i++) {
            const Accord__V1__TimelineEntry *e = tl->entries[i];
            char t[40];
            ctl_time_text(e->at_ms, t, sizeof t);
            printf("  %s  ", t);
            ctl_col(e->service, 12);
            putchar(' ');
            ctl_col(e->kind, 14);
            putchar(' ');
            ctl_out(e->text);
            putchar('\n');
        }
        json_decref(arr);
    }
    if (resp)
        accord__v1__response__free_unpacked(resp, NULL);
    acc_client_destroy(&c);
}
