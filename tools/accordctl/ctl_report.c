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
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "acc_ids.h"
#include "acc_import.h"
#include "acc_model.h"
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
        char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
        if (s)
            printf("%s\n", s);
        free(s);
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

typedef struct {
    uint64_t request_id;
    size_t n;
    size_t *lines;          /* line of each report */
    Accord__V1__Report **reps; /* owned until the answer arrives */
} s_batch;

typedef struct {
    ctl_t *ctx;
    s_batch inflight[WINDOW];
    int n_inflight;
    uint64_t new_cases, attached, present, rejected, records;
    size_t shown_rejects;
    int fatal; /* exit code when the node failed */
} s_import;

static void
s_batch_free(s_batch *b)
{
    for (size_t i = 0; i < b->n; i++)
        accord__v1__report__free_unpacked(b->reps[i], NULL);
    free(b->reps);
    free(b->lines);
    memset(b, 0, sizeof *b);
}

static void
s_reject(s_import *im, size_t line, const char *field, const char *msg)
{
    im->rejected++;
    if (im->shown_rejects++ < SHOW_REJECTS)
        fprintf(stderr, "  %s %zu: %s%s%s\n", ACC_TR(im->ctx->lang, "line", "dòng"), line,
                field && *field ? field : "", field && *field ? ": " : "", msg);
}

/* A name-based id for a record without one: SHA-256 over its fields, shaped as a UUIDv8. */
static void
s_derive_id(const Accord__V1__Report *r, char out[ACC_UUID_TEXT_LEN + 1])
{
    crypto_hash_sha256_state st;
    crypto_hash_sha256_init(&st);
    const char *parts[] = {"accord-import-v1", r->url,    r->text,
                           r->category,        r->description, r->source,
                           r->source_record_id};
    for (size_t i = 0; i < sizeof parts / sizeof *parts; i++)
        crypto_hash_sha256_update(&st, (const unsigned char *)parts[i], strlen(parts[i]) + 1);
    crypto_hash_sha256_update(&st, (const unsigned char *)&r->observed_at_ms,
                              sizeof r->observed_at_ms);
    unsigned char h[32];
    crypto_hash_sha256_final(&st, h);
    acc_uuid_t u;
    memcpy(u.b, h, 16);
    u.b[6] = (unsigned char)(0x80 | (u.b[6] & 0x0f));
    u.b[8] = (unsigned char)(0x80 | (u.b[8] & 0x3f));
    acc_uuid_format(&u, out);
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
            size_t line = res->index < b->n ? b->lines[res->index] : 0;
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
                /* "reports[3].url" -> "url": the line number already says which record. */
                const char *f = res->error ? res->error->field : "";
                const char *dot = strchr(f, '.');
                s_reject(im, line, dot ? dot + 1 : "", res->error ? res->error->message : "rejected");
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

static void
s_progress(s_import *im, size_t done, size_t total, int final)
{
    int pct = total ? (int)(done * 100 / total) : 100;
    int bars = pct / 4;
    char bar[26];
    for (int i = 0; i < 25; i++)
        bar[i] = i < bars ? '#' : '-';
    bar[25] = '\0';
    fprintf(stderr, "\r[%s] %3d%%  %llu %s", bar, pct, (unsigned long long)im->records,
            ACC_TR(im->ctx->lang, "records", "bản ghi"));
    if (final)
        fputc('\n', stderr);
    fflush(stderr);
}

static int
s_import_file(ctl_t *ctx, int argc, char **argv)
{
    const char *file = NULL, *fmt_s = NULL, *cat = NULL, *src = NULL;
    for (int i = 2; i < argc; i++) {
        int r;
        if ((r = ctl_opt(argc, argv, &i, "--format", &fmt_s)) ||
            (r = ctl_opt(argc, argv, &i, "--category", &cat)) ||
            (r = ctl_opt(argc, argv, &i, "--source", &src))) {
            if (r < 0)
                return CTL_BAD_INPUT;
        } else if (!file && argv[i][0] != '-') {
            file = argv[i];
        } else {
            ctl_err("report import: %s '%s'",
                    ACC_TR(ctx->lang, "unexpected argument", "đối số thừa"), argv[i]);
            return CTL_BAD_INPUT;
        }
    }
    if (!file) {
        ctl_err("%s", ACC_TR(ctx->lang, "usage: accordctl report import FILE [--format jsonl|csv]",
                             "cách dùng: accordctl report import TỆP [--format jsonl|csv]"));
        return CTL_BAD_INPUT;
    }
    acc_import_format fmt =
        fmt_s ? acc_import_format_parse(fmt_s) : acc_import_format_from_path(file);
    if (fmt == ACC_IMPORT_UNKNOWN) {
        ctl_err("--format: %s", ACC_TR(ctx->lang,
                                       "unknown format; use jsonl or csv (or a .jsonl/.csv file name)",
                                       "định dạng không hợp lệ; dùng jsonl hoặc csv"));
        return CTL_BAD_INPUT;
    }
    int fd = open(file, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
        ctl_err("'%s': %s", file, strerror(errno));
        if (fd >= 0)
            close(fd);
        return CTL_BAD_INPUT;
    }
    size_t size = (size_t)st.st_size;
    const char *data = "";
    void *map = NULL;
    if (size) {
        map = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (map == MAP_FAILED) {
            ctl_err("'%s': %s", file, strerror(errno));
            close(fd);
            return CTL_FAIL;
        }
        data = map;
    }
    close(fd);

    int rc = ctl_connect(ctx);
    acc_import_t *imp = NULL;
    s_import im = {.ctx = ctx};
    s_batch cur = {0};
    Accord__V1__Report defaults = ACCORD__V1__REPORT__INIT;
    defaults.category = (char *)(cat ? cat : "");
    defaults.source = (char *)(src ? src : "import");
    if (rc)
        goto out;
    acc_errinfo_t ei;
    acc_errinfo_clear(&ei);
    acc_err err = acc_import_new(fmt, data, size, &defaults, &imp, &ei);
    if (err != ACC_OK) {
        ctl_err("%s: %s%s%s", file, ei.field, ei.field[0] ? ": " : "", ei.msg);
        rc = CTL_BAD_INPUT;
        goto out;
    }
    int tty = isatty(2);
    struct timespec last = {0, 0};
    size_t bytes = 0;
    for (;;) {
        Accord__V1__Report *r = NULL;
        size_t line = 0;
        acc_errinfo_clear(&ei);
        err = acc_import_next(imp, &r, &line, &ei);
        if (err == ACC_ERR_NOT_FOUND)
            break;
        im.records++;
        if (err != ACC_OK) {
            /* ei.field reads "line N: field" */
            const char *f = ei.field;
            if (strncmp(f, "line ", 5) == 0) {
                const char *colon = strchr(f, ':');
                f = colon ? colon + 2 : "";
            }
            s_reject(&im, line, f, ei.msg[0] ? ei.msg : acc_strerror(err));
            continue;
        }
        if (!r->id[0]) {
            char id[ACC_UUID_TEXT_LEN + 1];
            s_derive_id(r, id);
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
            while (im.n_inflight == WINDOW)
                if ((rc = s_receive(&im)))
                    goto out;
            if ((rc = s_send_batch(&im, &cur)))
                goto out;
            bytes = 0;
        }
        if (!cur.reps) {
            cur.reps = calloc(BATCH_REPORTS, sizeof *cur.reps);
            cur.lines = calloc(BATCH_REPORTS, sizeof *cur.lines);
            if (!cur.reps || !cur.lines) {
                accord__v1__report__free_unpacked(r, NULL);
                rc = CTL_FAIL;
                goto out;
            }
        }
        cur.lines[cur.n] = line;
        cur.reps[cur.n++] = r;
        bytes += rsz;
        if (tty) {
            struct timespec now;
            clock_gettime(CLOCK_MONOTONIC, &now);
            if ((now.tv_sec - last.tv_sec) * 1000 + (now.tv_nsec - last.tv_nsec) / 1000000 > 100) {
                last = now;
                s_progress(&im, acc_import_offset(imp), size, 0);
            }
        }
    }
    if (cur.n) {
        while (im.n_inflight == WINDOW)
            if ((rc = s_receive(&im)))
                goto out;
        if ((rc = s_send_batch(&im, &cur)))
            goto out;
    }
    while (im.n_inflight)
        if ((rc = s_receive(&im)))
            goto out;
    if (tty)
        s_progress(&im, size, size, 1);
    if (im.shown_rejects > SHOW_REJECTS)
        fprintf(stderr, "  ... %s %zu %s\n", ACC_TR(ctx->lang, "and", "và"),
                im.shown_rejects - SHOW_REJECTS, ACC_TR(ctx->lang, "more", "dòng khác"));
    printf("%s: %llu\n", ACC_TR(ctx->lang, "records read", "số bản ghi đã đọc"),
           (unsigned long long)im.records);
    printf("%s: %llu\n", ACC_TR(ctx->lang, "new cases", "hồ sơ mới"),
           (unsigned long long)im.new_cases);
    printf("%s: %llu\n", ACC_TR(ctx->lang, "attached to existing cases", "gộp vào hồ sơ có sẵn"),
           (unsigned long long)im.attached);
    printf("%s: %llu\n", ACC_TR(ctx->lang, "already present", "đã có từ trước"),
           (unsigned long long)im.present);
    printf("%s: %llu\n", ACC_TR(ctx->lang, "rejected", "bị từ chối"),
           (unsigned long long)im.rejected);
    rc = im.rejected ? CTL_BAD_INPUT : CTL_OK;
out:
    s_batch_free(&cur);
    for (int i = 0; i < im.n_inflight; i++)
        s_batch_free(&im.inflight[i]);
    acc_import_destroy(&imp);
    if (map)
        munmap(map, size);
    return rc;
}

int
ctl_cmd_report(ctl_t *ctx, int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "submit") == 0)
        return s_submit(ctx, argc, argv);
    if (argc >= 2 && strcmp(argv[1], "import") == 0)
        return s_import_file(ctx, argc, argv);
    ctl_err("%s", ACC_TR(ctx->lang, "usage: accordctl report submit|import ...",
                         "cách dùng: accordctl report submit|import ..."));
    return CTL_BAD_INPUT;
}
