/* accordctl case list / case show (the intake part; the timeline comes from reporting,
 * ctl_case_timeline in ctl_ops.c). */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "acc_model.h"
#include "acc_time.h"
#include "ctl.h"

static json_t *
s_case_json(const Accord__V1__Case *c)
{
    json_t *o = json_object();
    json_object_set_new(o, "number", json_string(c->number));
    json_object_set_new(o, "status", json_string(acc_case_status_name(c->status)));
    json_object_set_new(o, "category", json_string(c->category));
    json_object_set_new(o, "content_key", json_string(c->content_key));
    json_object_set_new(o, "url", c->url[0] ? json_string(c->url) : json_null());
    json_object_set_new(o, "reports", json_integer((json_int_t)c->reports));
    json_object_set_new(o, "first_reported", ctl_json_time(c->first_reported_ms));
    json_object_set_new(o, "last_reported", ctl_json_time(c->last_reported_ms));
    return o;
}

/* Fetch one page of cases; the caller frees *out. Returns an exit code (0 = ok). */
static int
s_page(ctl_t *ctx, const char *status, const char *category, uint32_t limit, uint64_t after,
       Accord__V1__Response **out)
{
    Accord__V1__Request req = ACCORD__V1__REQUEST__INIT;
    Accord__V1__ListCases q = ACCORD__V1__LIST_CASES__INIT;
    q.status = (char *)(status ? status : "");
    q.category = (char *)(category ? category : "");
    q.limit = limit;
    q.after_ordinal = after;
    req.body_case = ACCORD__V1__REQUEST__BODY_LIST_CASES;
    req.list_cases = &q;
    return ctl_call(ctx, ctx->client, NULL, &req, ctx->timeout_ms, ACCORD__V1__RESPONSE__BODY_CASES,
                    out);
}

static int
s_list(ctl_t *ctx, int argc, char **argv)
{
    const char *status = NULL, *category = NULL, *limit_s = NULL;
    int json = 0;
    for (int i = 2; i < argc; i++) {
        int r;
        if ((r = ctl_opt(argc, argv, &i, "--status", &status)) ||
            (r = ctl_opt(argc, argv, &i, "--category", &category)) ||
            (r = ctl_opt(argc, argv, &i, "--limit", &limit_s))) {
            if (r < 0)
                return CTL_BAD_INPUT;
        } else if (strcmp(argv[i], "--json") == 0) {
            json = 1;
        } else {
            ctl_err("case list: %s '%s'", ACC_TR(ctx->lang, "unexpected argument", "đối số thừa"),
                    argv[i]);
            return CTL_BAD_INPUT;
        }
    }
    uint64_t limit = 0; /* 0 = all */
    if (limit_s) {
        char *end;
        long long v = strtoll(limit_s, &end, 10);
        if (*end || v < 1 || v > 100000000) {
            ctl_err("--limit: %s",
                    ACC_TR(ctx->lang, "must be a positive number", "phải là số nguyên dương"));
            return CTL_BAD_INPUT;
        }
        limit = (uint64_t)v;
    }
    int rc = ctl_connect(ctx);
    if (rc)
        return rc;
    json_t *arr = json ? json_array() : NULL;
    uint64_t after = 0, shown = 0;
    int header = json;
    for (;;) {
        uint64_t want = limit ? limit - shown : 1000;
        Accord__V1__Response *resp = NULL;
        if ((rc = s_page(ctx, status, category, (uint32_t)(want > 1000 ? 1000 : want), after,
                         &resp)))
            break;
        const Accord__V1__CaseList *cl = resp->cases;
        if (!header) {
            /* The header only once the node has answered: no table above an error. */
            header = 1;
            ctl_col(ACC_TR(ctx->lang, "NUMBER", "SỐ HỒ SƠ"), 28);
            ctl_col(ACC_TR(ctx->lang, "STATUS", "TRẠNG THÁI"), 10);
            ctl_col(ACC_TR(ctx->lang, "CATEGORY", "LOẠI"), 18);
            ctl_col(ACC_TR(ctx->lang, "REPORTS", "SỐ TIN"), 8);
            ctl_col(ACC_TR(ctx->lang, "LAST REPORTED", "TIN GẦN NHẤT"), 20);
            printf("%s\n", ACC_TR(ctx->lang, "CONTENT", "NỘI DUNG"));
        }
        for (size_t i = 0; i < cl->n_cases; i++) {
            const Accord__V1__Case *c = cl->cases[i];
            after = c->ordinal;
            shown++;
            if (json) {
                json_array_append_new(arr, s_case_json(c));
            } else {
                char t[40] = "";
                acc_time_format_rfc3339(c->last_reported_ms, t, sizeof t);
                t[19] = '\0';
                printf("%-28s %-10s %-18s %7llu  %-20s %s\n", c->number,
                       acc_case_status_name(c->status), c->category, (unsigned long long)c->reports,
                       t, c->content_key);
            }
        }
        int more = cl->more && cl->n_cases > 0;
        accord__v1__response__free_unpacked(resp, NULL);
        if (!more || (limit && shown >= limit))
            break;
    }
    if (!rc && json)
        ctl_json_print(arr);
    else if (!rc)
        printf("%s: %llu\n", ACC_TR(ctx->lang, "cases", "số hồ sơ"), (unsigned long long)shown);
    json_decref(arr);
    return rc;
}

static json_t *
s_report_json(const Accord__V1__StoredReport *sr)
{
    const Accord__V1__Report *r = sr->report;
    json_t *o = json_object();
    json_object_set_new(o, "id", json_string(r ? r->id : ""));
    json_object_set_new(o, "seq", json_integer((json_int_t)sr->seq));
    json_object_set_new(o, "received_at", ctl_json_time(sr->received_at_ms));
    json_object_set_new(o, "opened_case", json_boolean(sr->opened_case));
    /* Only whether the reporter left contact details: the details stay in intake's store. */
    json_object_set_new(o, "has_contact", json_boolean(sr->has_contact));
    if (r) {
        json_object_set_new(o, "url", r->url[0] ? json_string(r->url) : json_null());
        json_object_set_new(o, "text", r->text[0] ? json_string(r->text) : json_null());
        json_object_set_new(o, "category", json_string(r->category));
        json_object_set_new(o, "description",
                            r->description[0] ? json_string(r->description) : json_null());
        json_object_set_new(o, "source", json_string(r->source));
        json_object_set_new(o, "source_record_id",
                            r->source_record_id[0] ? json_string(r->source_record_id)
                                                   : json_null());
        json_object_set_new(o, "confidence", json_integer(r->confidence));
        json_object_set_new(o, "trust", r->trust[0] ? json_string(r->trust) : json_null());
        json_object_set_new(o, "observed_at", ctl_json_time(r->observed_at_ms));
    }
    return o;
}

static int
s_show(ctl_t *ctx, int argc, char **argv)
{
    const char *number = NULL;
    int json = 0;
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0)
            json = 1;
        else if (!number && argv[i][0] != '-')
            number = argv[i];
        else {
            ctl_err("case show: %s '%s'", ACC_TR(ctx->lang, "unexpected argument", "đối số thừa"),
                    argv[i]);
            return CTL_BAD_INPUT;
        }
    }
    if (!number) {
        ctl_err("%s", ACC_TR(ctx->lang, "usage: accordctl case show NUMBER [--json]",
                             "cách dùng: accordctl case show SỐ_HỒ_SƠ [--json]"));
        return CTL_BAD_INPUT;
    }
    int rc = ctl_connect(ctx);
    if (rc)
        return rc;
    Accord__V1__Request req = ACCORD__V1__REQUEST__INIT;
    Accord__V1__GetCase q = ACCORD__V1__GET_CASE__INIT;
    q.number = (char *)number;
    req.body_case = ACCORD__V1__REQUEST__BODY_GET_CASE;
    req.get_case = &q;
    Accord__V1__Response *resp = NULL;
    if ((rc = ctl_call(ctx, ctx->client, NULL, &req, ctx->timeout_ms,
                       ACCORD__V1__RESPONSE__BODY_CASE_DETAIL, &resp)))
        return rc;
    if (!resp->case_detail->case_info) {
        ctl_err("%s",
                ACC_TR(ctx->lang, "the node answered without the case", "nút trả lời thiếu hồ sơ"));
        accord__v1__response__free_unpacked(resp, NULL);
        return CTL_FAIL;
    }
    const Accord__V1__CaseDetail *d = resp->case_detail;
    const Accord__V1__Case *c = d->case_info;
    if (json) {
        json_t *o = s_case_json(c);
        json_t *arr = json_array();
        for (size_t i = 0; i < d->n_reports; i++)
            json_array_append_new(arr, s_report_json(d->reports[i]));
        json_object_set_new(o, "reports_list", arr);
        json_object_set_new(o, "reports_omitted", json_integer((json_int_t)d->reports_omitted));
        ctl_case_timeline(ctx, c->number, o);
        ctl_json_print(o);
        json_decref(o);
    } else {
        char t1[40], t2[40];
        acc_time_format_rfc3339(c->first_reported_ms, t1, sizeof t1);
        acc_time_format_rfc3339(c->last_reported_ms, t2, sizeof t2);
        printf("%s %s\n", ACC_TR(ctx->lang, "case", "hồ sơ"), c->number);
        printf("  %-16s %s\n", ACC_TR(ctx->lang, "status", "trạng thái"),
               acc_case_status_name(c->status));
        printf("  %-16s %s\n", ACC_TR(ctx->lang, "category", "loại"), c->category);
        printf("  %-16s %s\n", ACC_TR(ctx->lang, "content key", "khóa nội dung"), c->content_key);
        printf("  %-16s %llu\n", ACC_TR(ctx->lang, "reports", "số tin"),
               (unsigned long long)c->reports);
        printf("  %-16s %s\n", ACC_TR(ctx->lang, "first reported", "tin đầu tiên"), t1);
        printf("  %-16s %s\n", ACC_TR(ctx->lang, "last reported", "tin gần nhất"), t2);
        printf("%s:\n", ACC_TR(ctx->lang, "reports", "các tin phản ánh"));
        for (size_t i = 0; i < d->n_reports; i++) {
            const Accord__V1__StoredReport *sr = d->reports[i];
            const Accord__V1__Report *r = sr->report;
            char t[40];
            acc_time_format_rfc3339(sr->received_at_ms, t, sizeof t);
            printf("  - %s  %s  %s=", t, r ? r->id : "", ACC_TR(ctx->lang, "source", "nguồn"));
            ctl_out(r && r->source[0] ? r->source : "-");
            putchar('\n');
            if (r && r->url[0]) {
                fputs("      url: ", stdout);
                ctl_out(r->url);
                putchar('\n');
            }
            if (r && r->description[0]) {
                char d200[201];
                snprintf(d200, sizeof d200, "%s", r->description);
                printf("      %s: ", ACC_TR(ctx->lang, "description", "mô tả"));
                ctl_out(d200);
                putchar('\n');
            }
        }
        if (d->reports_omitted)
            printf("  (%llu %s)\n", (unsigned long long)d->reports_omitted,
                   ACC_TR(ctx->lang, "more reports not shown", "tin khác không hiển thị"));
        ctl_case_timeline(ctx, c->number, NULL);
    }
    accord__v1__response__free_unpacked(resp, NULL);
    return CTL_OK;
}

int
ctl_cmd_case(ctl_t *ctx, int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "list") == 0)
        return s_list(ctx, argc, argv);
    if (argc >= 2 && strcmp(argv[1], "show") == 0)
        return s_show(ctx, argc, argv);
    ctl_err("%s", ACC_TR(ctx->lang, "usage: accordctl case list|show ...",
                         "cách dùng: accordctl case list|show ..."));
    return CTL_BAD_INPUT;
}
