/*
 * accordctl report submit / report import.
 *
 * Import sends batches pipelined (a bounded window of requests in flight) and counts what
 * the node answers. Records without an id get one derived from their content (a SHA-256
 * name-based UUID, RFC 9562 version 8), so running the same file again, after a crash or
 * by mistake, creates nothing new.
 */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "acc_feed.h"
#include "acc_ids.h"
#include "acc_import.h"
#include "acc_model.h"
#include "acc_time.h"
#include "ctl.h"

#define BATCH_REPORTS 500
#define BATCH_BYTES (768 * 1024)
#define WINDOW 4
#define SHOW_REJECTS 50

static int
s_submit(ctl_t *ctx, int argc, char **argv)
{
    Accord__V1__Report rep = ACCORD__V1__REPORT__INIT;
    const char *url = NULL, *text = NULL, *cat = NULL, *desc = NULL, *src = NULL, *id = NULL;
    int json = 0;
    for (int i = 2; i < argc; i++) {
        int r;
        if ((r = ctl_opt(argc, argv, &i, "--url", &url)) ||
            (r = ctl_opt(argc, argv, &i, "--text", &text)) ||
            (r = ctl_opt(argc, argv, &i, "--category", &cat)) ||
            (r = ctl_opt(argc, argv, &i, "--description", &desc)) ||
            (r = ctl_opt(argc, argv, &i, "--source", &src)) ||
            (r = ctl_opt(argc, argv, &i, "--id", &id))) {
            if (r < 0)
                return CTL_BAD_INPUT;
        } else if (strcmp(argv[i], "--json") == 0) {
            json = 1;
        } else {
            ctl_err("report submit: %s '%s'",
                    ACC_TR(ctx->lang, "unexpected argument", "đối số thừa"), argv[i]);
            return CTL_BAD_INPUT;
        }
    }
    if ((!url && !text) || !cat) {
        ctl_err("%s", ACC_TR(ctx->lang,
                             "usage: accordctl report submit --url URL --category CAT [--text T] "
                             "[--description D] [--source S] [--id UUID]",
                             "cách dùng: accordctl report submit --url URL --category LOẠI "
                             "[--text T] [--description D] [--source S] [--id UUID]"));
        return CTL_BAD_INPUT;
    }
    int rc = ctl_connect(ctx);
    if (rc)
        return rc;
    rep.url = (char *)(url ? url : "");
    rep.text = (char *)(text ? text : "");
    rep.category = (char *)cat;
    rep.description = (char *)(desc ? desc : "");
    rep.source = (char *)(src ? src : "officer");
    rep.id = (char *)(id ? id : "");
    Accord__V1__Report *reps[1] = {&rep};
    Accord__V1__SubmitReports sub = ACCORD__V1__SUBMIT_REPORTS__INIT;
    sub.n_reports = 1;
    sub.reports = reps;
    Accord__V1__Request req = ACCORD__V1__REQUEST__INIT;
    req.body_case = ACCORD__V1__REQUEST__BODY_SUBMIT;
    req.submit = &sub;
    Accord__V1__Response *resp = NULL;
    acc_errinfo_t ei;
    acc_errinfo_clear(&ei);
    acc_err err = acc_client_call(ctx->client, &req, ctx->timeout_ms, &resp, &ei);
    if (err == ACC_ERR_TOO_LARGE) {
        ctl_err("%s", ACC_TR(ctx->lang, "the report is larger than a message may be (1 MiB)",
                             "tin phản ánh vượt quá kích thước cho phép (1 MiB)"));
        return CTL_BAD_INPUT;
    }
    if (err != ACC_OK)
        return ctl_unreachable(ctx, err);
    if (!resp->status || resp->status->code != ACCORD__V1__CODE__CODE_OK ||
        resp->body_case != ACCORD__V1__RESPONSE__BODY_SUBMIT || resp->submit->n_results != 1) {
        rc = ctl_status_exit(ctx, resp->status);
        accord__v1__response__free_unpacked(resp, NULL);
        return rc;
    }
    const Accord__V1__ReportResult *res = resp->submit->results[0];
    if (res->outcome == ACCORD__V1__OUTCOME__OUTCOME_REJECTED) {
        rc = ctl_status_exit(ctx, res->error);
    } else if (json) {
        json_t *o = json_pack("{s:s, s:s, s:s}", "report_id", res->report_id, "case_number",
                              res->case_number, "outcome", acc_outcome_name(res->outcome));
        ctl_json_print(o);
        json_decref(o);
    } else {
        const char *what =
            res->outcome == ACCORD__V1__OUTCOME__OUTCOME_NEW_CASE
                ? ACC_TR(ctx->lang, "opened a new case", "đã mở hồ sơ mới")
            : res->outcome == ACCORD__V1__OUTCOME__OUTCOME_ATTACHED
                ? ACC_TR(ctx->lang, "attached to an existing case", "đã gộp vào hồ sơ có sẵn")
                : ACC_TR(ctx->lang, "already stored (same report id)",
                         "đã lưu trước đó (trùng mã tin)");
        fprintf(stderr, "%s %s: %s\n", ACC_TR(ctx->lang, "report", "tin"), res->report_id, what);
        printf("%s\n", res->case_number);
    }
    accord__v1__response__free_unpacked(resp, NULL);
    return rc;
}

/* --- import ------------------------------------------------------------------------- */

#define WHERE_LEN 96

typedef struct {
    uint64_t request_id;
    size_t n;
    char (*where)[WHERE_LEN];  /* where each report came from: "line 12", an object id */
    Accord__V1__Report **reps; /* owned until the answer arrives */
} s_batch;

typedef struct {
    ctl_t *ctx;
    s_batch inflight[WINDOW];
    int n_inflight;
    uint64_t new_cases, attached, present, rejected, records;
    size_t shown_rejects;
} s_import;

static void
s_batch_free(s_batch *b)
{
    for (size_t i = 0; i < b->n; i++)
        accord__v1__report__free_unpacked(b->reps[i], NULL);
    free(b->reps);
    free(b->where);
    memset(b, 0, sizeof *b);
}

static void
s_reject(s_import *im, const char *where, const char *field, const char *msg)
{
    im->rejected++;
    if (im->shown_rejects++ < SHOW_REJECTS)
        fprintf(stderr, "  %s: %s%s%s\n", where, field && *field ? field : "",
                field && *field ? ": " : "", msg);
}

/* Wait for one answer and account for it. Returns 0 or an exit code. */
static int
s_receive(s_import *im)
{
    Accord__V1__Response *resp = NULL;
    acc_err err = acc_client_recv(im->ctx->client, im->ctx->timeout_ms, &resp, NULL);
    if (err != ACC_OK) {
        ctl_err("%s", ACC_TR(im->ctx->lang,
                             "the node stopped answering; what it confirmed is stored. Run the "
                             "same import again when the node is back: stored records are "
                             "recognised, nothing is duplicated",
                             "nút không còn trả lời; những gì nút đã xác nhận đã được lưu. Hãy "
                             "chạy lại lệnh nhập khi nút hoạt động: bản ghi đã lưu được nhận "
                             "ra, không bị trùng"));
        return ctl_unreachable(im->ctx, err);
    }
    int slot = -1;
    for (int i = 0; i < im->n_inflight; i++)
        if (im->inflight[i].request_id == resp->request_id)
            slot = i;
    if (slot < 0) {
        accord__v1__response__free_unpacked(resp, NULL);
        return 0; /* a stale answer: ignore */
    }
    s_batch *b = &im->inflight[slot];
    int rc = 0;
    if (!resp->status || resp->status->code != ACCORD__V1__CODE__CODE_OK ||
        resp->body_case != ACCORD__V1__RESPONSE__BODY_SUBMIT) {
        rc = ctl_status_exit(im->ctx, resp->status);
        if (rc == CTL_BAD_INPUT)
            rc = CTL_FAIL; /* a whole batch refused is not one bad record */
    } else {
        const Accord__V1__SubmitResult *sr = resp->submit;
        for (size_t i = 0; i < sr->n_results; i++) {
            const Accord__V1__ReportResult *res = sr->results[i];
            const char *where = res->index < b->n ? b->where[res->index] : "?";
            switch (res->outcome) {
            case ACCORD__V1__OUTCOME__OUTCOME_NEW_CASE:
                im->new_cases++;
                break;
            case ACCORD__V1__OUTCOME__OUTCOME_ATTACHED:
                im->attached++;
                break;
            case ACCORD__V1__OUTCOME__OUTCOME_ALREADY_PRESENT:
                im->present++;
                break;
            default: {
                /* "reports[3].url" -> "url": `where` already says which record. */
                const char *f = res->error ? res->error->field : "";
                const char *dot = strchr(f, '.');
                s_reject(im, where, dot ? dot + 1 : "",
                         res->error ? res->error->message : "rejected");
                break;
            }
            }
        }
    }
    accord__v1__response__free_unpacked(resp, NULL);
    s_batch_free(b);
    im->inflight[slot] = im->inflight[--im->n_inflight];
    return rc;
}

static int
s_send_batch(s_import *im, s_batch *b)
{
    Accord__V1__SubmitReports sub = ACCORD__V1__SUBMIT_REPORTS__INIT;
    sub.n_reports = b->n;
    sub.reports = b->reps;
    Accord__V1__Request req = ACCORD__V1__REQUEST__INIT;
    req.body_case = ACCORD__V1__REQUEST__BODY_SUBMIT;
    req.submit = &sub;
    req.request_id = b->request_id = acc_client_next_id(im->ctx->client);
    acc_err err = acc_client_send(im->ctx->client, &req);
    if (err != ACC_OK)
        return ctl_unreachable(im->ctx, err);
    im->inflight[im->n_inflight++] = *b;
    memset(b, 0, sizeof *b);
    return 0;
}

static int
s_flush(s_import *im, s_batch *b)
{
    int rc;
    while (im->n_inflight == WINDOW)
        if ((rc = s_receive(im)))
            return rc;
    return s_send_batch(im, b);
}

static void
s_progress(s_import *im, size_t done, size_t total, int final)
{
    int pct = total ? (int)(done * 100 / total) : 100;
    if (pct > 100)
        pct = 100;
    char bar[26];
    for (int i = 0; i < 25; i++)
        bar[i] = i < pct / 4 ? '#' : '-';
    bar[25] = '\0';
    fprintf(stderr, "\r[%s] %3d%%  %llu %s", bar, pct, (unsigned long long)im->records,
            ACC_TR(im->ctx->lang, "records", "bản ghi"));
    if (final)
        fputc('\n', stderr);
    fflush(stderr);
}

/* Map a file into memory (an empty file maps to ""). Returns 0 or an exit code. */
static int
s_map(const char *file, const char **data, size_t *size, void **map)
{
    int fd = open(file, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
        ctl_err("'%s': %s", file, strerror(errno));
        if (fd >= 0)
            close(fd);
        return CTL_BAD_INPUT;
    }
    *size = (size_t)st.st_size;
    *data = "";
    *map = NULL;
    if (*size) {
        *map = mmap(NULL, *size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (*map == MAP_FAILED) {
            *map = NULL;
            ctl_err("'%s': %s", file, strerror(errno));
            close(fd);
            return CTL_FAIL;
        }
        *data = *map;
    }
    close(fd);
    return 0;
}

/* report import (@feed = 0: jsonl/csv, source defaults to "import") and feed import
 * (@feed = 1: every format, --format and --source required). */
static int
s_import_file(ctl_t *ctx, int argc, char **argv, int feed)
{
    const char *file = NULL, *fmt_s = NULL, *cat = NULL, *src = NULL, *conf_s = NULL;
    const char *cmd = feed ? "feed import" : "report import";
    for (int i = 2; i < argc; i++) {
        int r;
        if ((r = ctl_opt(argc, argv, &i, "--format", &fmt_s)) ||
            (r = ctl_opt(argc, argv, &i, "--category", &cat)) ||
            (r = ctl_opt(argc, argv, &i, "--source", &src)) ||
            (feed && (r = ctl_opt(argc, argv, &i, "--confidence", &conf_s)))) {
            if (r < 0)
                return CTL_BAD_INPUT;
        } else if (!file && argv[i][0] != '-') {
            file = argv[i];
        } else {
            ctl_err("%s: %s '%s'", cmd, ACC_TR(ctx->lang, "unexpected argument", "đối số thừa"),
                    argv[i]);
            return CTL_BAD_INPUT;
        }
    }
    if (!file || (feed && (!fmt_s || !src))) {
        ctl_err("%s",
                feed ? ACC_TR(ctx->lang,
                              "usage: accordctl feed import FILE --format FORMAT --source "
                              "NAME [--category CAT] [--confidence N]",
                              "cách dùng: accordctl feed import TỆP --format ĐỊNH_DẠNG "
                              "--source NGUỒN [--category LOẠI] [--confidence N]")
                     : ACC_TR(ctx->lang, "usage: accordctl report import FILE [--format jsonl|csv]",
                              "cách dùng: accordctl report import TỆP [--format jsonl|csv]"));
        return CTL_BAD_INPUT;
    }
    acc_feed_format fmt = ACC_FEED_UNKNOWN;
    if (fmt_s)
        fmt = acc_feed_format_parse(fmt_s);
    else if (acc_import_format_from_path(file) == ACC_IMPORT_JSONL)
        fmt = ACC_FEED_JSONL;
    else if (acc_import_format_from_path(file) == ACC_IMPORT_CSV)
        fmt = ACC_FEED_CSV;
    if (fmt == ACC_FEED_UNKNOWN || (!feed && fmt != ACC_FEED_JSONL && fmt != ACC_FEED_CSV)) {
        ctl_err("--format: %s", feed ? ACC_TR(ctx->lang,
                                              "unknown format; use jsonl, csv, stix, misp, "
                                              "urlhaus, phishtank or openphish",
                                              "định dạng không hợp lệ; dùng jsonl, csv, stix, "
                                              "misp, urlhaus, phishtank hoặc openphish")
                                     : ACC_TR(ctx->lang,
                                              "unknown format; use jsonl or csv (or a .jsonl/.csv "
                                              "file name); feeds: accordctl feed import",
                                              "định dạng không hợp lệ; dùng jsonl hoặc csv"));
        return CTL_BAD_INPUT;
    }
    uint32_t confidence = 0;
    if (conf_s) {
        char *end;
        long v = strtol(conf_s, &end, 10);
        if (*end || v < 0 || v > 100) {
            ctl_err("--confidence: %s",
                    ACC_TR(ctx->lang, "must be a number from 0 to 100", "phải là số từ 0 đến 100"));
            return CTL_BAD_INPUT;
        }
        confidence = (uint32_t)v;
    }
    const char *data;
    size_t size;
    void *map = NULL;
    int rc = s_map(file, &data, &size, &map);
    if (rc)
        return rc;

    acc_feed_t *rd = NULL;
    s_import im = {.ctx = ctx};
    s_batch cur = {0};
    if ((rc = ctl_connect(ctx)))
        goto out;
    acc_feed_opts_t opts = {
        .source = src ? src : "import",
        .source_is_default = !feed,
        .category = cat,
        .confidence = confidence,
    };
    opts.tags = ctl_tag_map(ctx, &opts.n_tags);
    acc_errinfo_t ei;
    acc_errinfo_clear(&ei);
    acc_err err = acc_feed_new(fmt, data, size, &opts, &rd, &ei);
    if (err != ACC_OK) {
        ctl_err("%s: %s%s%s", file, ei.field, ei.field[0] ? ": " : "", ei.msg);
        rc = CTL_BAD_INPUT;
        goto out;
    }
    int tty = isatty(2);
    int64_t last = 0; /* monotonic ms of the last progress line */
    size_t bytes = 0;
    char where[WHERE_LEN];
    for (;;) {
        Accord__V1__Report *r = NULL;
        acc_errinfo_clear(&ei);
        where[0] = '\0';
        err = acc_feed_next(rd, &r, where, sizeof where, &ei);
        if (err == ACC_ERR_NOT_FOUND)
            break;
        im.records++;
        if (err != ACC_OK) {
            /* ei.field may repeat the position ("line N: field"): keep the field only. */
            const char *f = ei.field;
            const char *colon = strncmp(f, "line ", 5) == 0 ? strchr(f, ':') : NULL;
            if (strncmp(f, "line ", 5) == 0)
                f = colon ? colon + 2 : "";
            s_reject(&im, where[0] ? where : ei.field, f, ei.msg[0] ? ei.msg : acc_strerror(err));
            continue;
        }
        if (!r->id[0]) {
            char id[ACC_UUID_TEXT_LEN + 1];
            acc_feed_derive_id(r, id);
            r->id = strdup(id);
            if (!r->id) {
                r->id = (char *)protobuf_c_empty_string;
                accord__v1__report__free_unpacked(r, NULL);
                rc = CTL_FAIL;
                goto out;
            }
        }
        size_t rsz = accord__v1__report__get_packed_size(r) + 8;
        if (cur.n && (cur.n == BATCH_REPORTS || bytes + rsz > BATCH_BYTES)) {
            if ((rc = s_flush(&im, &cur)))
                goto out;
            bytes = 0;
        }
        if (!cur.reps) {
            cur.reps = calloc(BATCH_REPORTS, sizeof *cur.reps);
            cur.where = calloc(BATCH_REPORTS, sizeof *cur.where);
            if (!cur.reps || !cur.where) {
                accord__v1__report__free_unpacked(r, NULL);
                rc = CTL_FAIL;
                goto out;
            }
        }
        snprintf(cur.where[cur.n], WHERE_LEN, "%s", where);
        cur.reps[cur.n++] = r;
        bytes += rsz;
        if (tty) {
            int64_t now = acc_time_mono_ms();
            if (now - last > 100) {
                last = now;
                s_progress(&im, acc_feed_offset(rd), size, 0);
            }
        }
    }
    if (cur.n && (rc = s_flush(&im, &cur)))
        goto out;
    while (im.n_inflight)
        if ((rc = s_receive(&im)))
            goto out;
    if (tty)
        s_progress(&im, size, size, 1);
    if (im.shown_rejects > SHOW_REJECTS)
        fprintf(stderr, "  ... %s %zu %s\n", ACC_TR(ctx->lang, "and", "và"),
                im.shown_rejects - SHOW_REJECTS, ACC_TR(ctx->lang, "more", "bản ghi khác"));
    uint64_t skipped = 0;
    const char *reason;
    for (size_t i = 0; acc_feed_skips(rd, i, &reason); i++)
        skipped += acc_feed_skips(rd, i, &reason);
    printf("%s: %llu\n", ACC_TR(ctx->lang, "records read", "số bản ghi đã đọc"),
           (unsigned long long)im.records);
    printf("%s: %llu\n", ACC_TR(ctx->lang, "new cases", "hồ sơ mới"),
           (unsigned long long)im.new_cases);
    printf("%s: %llu\n", ACC_TR(ctx->lang, "attached to existing cases", "gộp vào hồ sơ có sẵn"),
           (unsigned long long)im.attached);
    printf("%s: %llu\n", ACC_TR(ctx->lang, "already present", "đã có từ trước"),
           (unsigned long long)im.present);
    printf("%s: %llu\n", ACC_TR(ctx->lang, "skipped", "bỏ qua"), (unsigned long long)skipped);
    for (size_t i = 0; acc_feed_skips(rd, i, &reason); i++)
        printf("  %s: %llu\n", reason, (unsigned long long)acc_feed_skips(rd, i, &reason));
    printf("%s: %llu\n", ACC_TR(ctx->lang, "rejected", "bị từ chối"),
           (unsigned long long)im.rejected);
    rc = im.rejected ? CTL_BAD_INPUT : CTL_OK;
out:
    s_batch_free(&cur);
    for (int i = 0; i < im.n_inflight; i++)
        s_batch_free(&im.inflight[i]);
    acc_feed_destroy(&rd);
    if (map)
        munmap(map, size);
    return rc;
}

int
ctl_cmd_feed(ctl_t *ctx, int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "import") == 0)
        return s_import_file(ctx, argc, argv, 1);
    ctl_err("%s",
            ACC_TR(ctx->lang, "usage: accordctl feed import FILE --format FORMAT --source NAME",
                   "cách dùng: accordctl feed import TỆP --format ĐỊNH_DẠNG --source NGUỒN"));
    return CTL_BAD_INPUT;
}

int
ctl_cmd_report(ctl_t *ctx, int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "submit") == 0)
        return s_submit(ctx, argc, argv);
    if (argc >= 2 && strcmp(argv[1], "import") == 0)
        return s_import_file(ctx, argc, argv, 0);
    ctl_err("%s", ACC_TR(ctx->lang, "usage: accordctl report submit|import ...",
                         "cách dùng: accordctl report submit|import ..."));
    return CTL_BAD_INPUT;
}
