/* accordctl: shared helpers (config, connection, error output). */
#include <fcntl.h>
#include <jansson.h>
#include <stdlib.h>
#include <stdarg.h>
#include <sys/file.h>
#include <unistd.h>
#include <string.h>

#include "acc_feed.h"
#include "acc_time.h"
#include "ctl.h"

void
ctl_err(const char *fmt, ...)
{
    va_list ap;
    fputs("accordctl: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

int
ctl_opt(int argc, char **argv, int *i, const char *name, const char **out)
{
    if (strcmp(argv[*i], name) != 0)
        return 0;
    if (*i + 1 >= argc) {
        ctl_err("'%s' needs a value", name);
        return -1;
    }
    *out = argv[++*i];
    return 1;
}

int
ctl_load_config(ctl_t *ctx)
{
    if (ctx->cfg)
        return 0;
    if (!ctx->config_path) {
        ctl_err("%s", ACC_TR(ctx->lang, "this command needs '-c CONFIG' (the node's node.cfg)",
                             "lệnh này cần '-c CẤU_HÌNH' (tệp node.cfg của nút)"));
        return CTL_BAD_INPUT;
    }
    acc_errinfo_t ei;
    acc_errinfo_clear(&ei);
    acc_err err = acc_config_load(ctx->config_path, &ctx->cfg, &ei);
    if (err != ACC_OK) {
        ctl_err("%s: %s", ei.field[0] ? ei.field : ctx->config_path,
                ei.msg[0] ? ei.msg : acc_strerror(err));
        return CTL_BAD_INPUT;
    }
    return 0;
}

int
ctl_unreachable(ctl_t *ctx, acc_err err)
{
    ctl_err("%s (%s)",
            ACC_TR(ctx->lang,
                   "the node does not answer: is it running? (make run, accord-node -c ...)",
                   "nút không trả lời: nút đã chạy chưa? (make run, accord-node -c ...)"),
            acc_strerror(err));
    return CTL_FAIL;
}

/* Whether a process holds the flock on <data_dir>/<name>.lock: every service (and intake)
 * holds it for as long as it lives, and a killed one releases it with its descriptors. */
static int
s_lock_held(const acc_config_t *cfg, const char *name)
{
    char lockp[4200];
    snprintf(lockp, sizeof lockp, "%s/%s.lock", cfg->data_dir, name);
    int fd = open(lockp, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    /* Taking it for an instant is the only portable test for flock; the window in which a
     * starting service could find it taken is microseconds. */
    int held = flock(fd, LOCK_EX | LOCK_NB) != 0;
    close(fd);
    return held;
}

int
ctl_connect(ctl_t *ctx)
{
    int rc = ctl_load_config(ctx);
    if (rc)
        return rc;
    /* If nobody holds intake's lock, nobody is there: say so at once instead of waiting
     * out the timeout on a stale socket file. */
    if (!s_lock_held(ctx->cfg, "intake"))
        return ctl_unreachable(ctx, ACC_ERR_UNAVAILABLE);
    char ep[4200];
    snprintf(ep, sizeof ep, "ipc://%s", ctx->cfg->intake.ipc_path);
    acc_errinfo_t ei;
    acc_errinfo_clear(&ei);
    /* Responses may be larger than requests (a case with many reports): allow 4x. */
    acc_err err =
        acc_client_new(ep, (size_t)ctx->cfg->limits.message_max_bytes * 4, &ctx->client, &ei);
    if (err != ACC_OK)
        return ctl_unreachable(ctx, err);
    return 0;
}

int
ctl_service_running(ctl_t *ctx, const char *service)
{
    return ctx->cfg && s_lock_held(ctx->cfg, service);
}

int
ctl_connect_service(ctl_t *ctx, const char *service, acc_client_t **out)
{
    int rc = ctl_load_config(ctx);
    if (rc)
        return rc;
    if (!s_lock_held(ctx->cfg, service)) {
        if (ctx->lang == ACC_LANG_VI)
            ctl_err("dịch vụ %s chưa chạy (hãy khởi động nút: accord-node -c ...)", service);
        else
            ctl_err("the %s service is not running (start the node: accord-node -c ...)", service);
        return CTL_FAIL;
    }
    char ep[4200];
    snprintf(ep, sizeof ep, "ipc://%s/%s.sock", ctx->cfg->data_dir, service);
    acc_errinfo_t ei;
    acc_errinfo_clear(&ei);
    /* Lists (measures, notices, a timeline) are filled by the service up to one message
     * of its own limit; allow 4x as for intake. */
    acc_client_t *c = NULL;
    acc_err err = acc_client_new(ep, (size_t)ctx->cfg->limits.message_max_bytes * 4, &c, &ei);
    if (err != ACC_OK) {
        if (ctx->lang == ACC_LANG_VI)
            ctl_err("không kết nối được dịch vụ %s (%s)", service, acc_strerror(err));
        else
            ctl_err("cannot reach the %s service (%s)", service, acc_strerror(err));
        return CTL_FAIL;
    }
    *out = c;
    return 0;
}

int
ctl_status_exit(ctl_t *ctx, const Accord__V1__Status *st)
{
    const char *field = st && st->field[0] ? st->field : NULL;
    const char *msg = st && st->message[0] ? st->message : "error";
    if (field)
        ctl_err("%s: %s", field, msg);
    else
        ctl_err("%s", msg);
    if (!st)
        return CTL_FAIL;
    switch (st->code) {
    case ACCORD__V1__CODE__CODE_INVALID:
    case ACCORD__V1__CODE__CODE_TOO_LARGE:
    case ACCORD__V1__CODE__CODE_NOT_FOUND:
        return CTL_BAD_INPUT;
    case ACCORD__V1__CODE__CODE_RETRY:
        ctl_err("%s",
                ACC_TR(ctx->lang, "the node cannot store now; nothing was stored, try again later",
                       "nút tạm thời không lưu được; chưa có gì được lưu, hãy thử lại sau"));
        return CTL_FAIL;
    default:
        return CTL_FAIL;
    }
}

const struct acc_feed_tagmap *
ctl_tag_map(ctl_t *ctx, size_t *n)
{
    *n = ctx->cfg ? ctx->cfg->n_feed_tags : 0;
    return ctx->cfg ? ctx->cfg->feed_tags : NULL;
}

/* --- output helpers shared by the commands ------------------------------------------ */

json_t *
ctl_json_time(int64_t ms)
{
    if (ms <= 0)
        return json_null();
    char b[40];
    acc_time_format_rfc3339(ms, b, sizeof b);
    return json_string(b);
}

/* A string for JSON: null when empty (proto3 cannot tell empty from absent). */
json_t *
ctl_json_str_or_null(const char *s)
{
    return s && s[0] ? json_string(s) : json_null();
}

/* A JSON string even when @s is not valid UTF-8 (jansson refuses those: the node checks
 * its text, but a NULL member would make a hole in the output). */
json_t *
ctl_json_str(const char *s)
{
    json_t *j = json_string(s ? s : "");
    return j ? j : json_string("");
}

/* "YYYY-MM-DDTHH:MM:SSZ" (no milliseconds: for people), or "-" when unset. */
void
ctl_time_text(int64_t ms, char *buf, size_t len)
{
    if (ms <= 0) {
        snprintf(buf, len, "-");
        return;
    }
    char b[40];
    acc_time_format_rfc3339(ms, b, sizeof b);
    snprintf(buf, len, "%.19sZ", b);
}

void
ctl_json_print(json_t *o)
{
    char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
    if (s)
        printf("%s\n", s);
    free(s);
}

/* Write @s to stdout with C0 controls, DEL and C1 controls (U+0080..U+009F) as spaces;
 * returns the number of characters (code points) written. */
int
ctl_out(const char *s)
{
    int chars = 0;
    for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
        if (*p < 0x20 || *p == 0x7f) {
            putchar(' ');
        } else if (*p == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f) {
            putchar(' ');
            p++;
        } else {
            putchar(*p);
            if ((*p & 0xc0) == 0x80)
                continue; /* a continuation byte: same character */
        }
        chars++;
    }
    return chars;
}

/* @s (cleaned) left-aligned in @width characters, then one space. */
void
ctl_col(const char *s, int width)
{
    for (int i = ctl_out(s); i < width; i++)
        putchar(' ');
    putchar(' ');
}

/* "  LABEL           VALUE\n" for the key-value blocks. */
void
ctl_kv(const char *label, const char *value)
{
    fputs("  ", stdout);
    ctl_col(label, 18);
    ctl_out(value);
    putchar('\n');
}

int
ctl_call(ctl_t *ctx, acc_client_t *c, const char *service, Accord__V1__Request *req, int timeout_ms,
         int body, Accord__V1__Response **out)
{
    Accord__V1__Response *resp = NULL;
    acc_errinfo_t ei;
    acc_errinfo_clear(&ei);
    acc_err err = acc_client_call(c, req, timeout_ms, &resp, &ei);
    if (err != ACC_OK) {
        if (!service)
            return ctl_unreachable(ctx, err);
        if (ctx->lang == ACC_LANG_VI)
            ctl_err("dịch vụ %s không trả lời (%s)", service, acc_strerror(err));
        else
            ctl_err("the %s service does not answer (%s)", service, acc_strerror(err));
        return CTL_FAIL;
    }
    if (!resp->status || resp->status->code != ACCORD__V1__CODE__CODE_OK) {
        int rc = ctl_status_exit(ctx, resp->status);
        accord__v1__response__free_unpacked(resp, NULL);
        return rc;
    }
    if ((int)resp->body_case != body) {
        const char *who = service ? service : "intake";
        if (ctx->lang == ACC_LANG_VI)
            ctl_err("dịch vụ %s trả lời không đúng dạng", who);
        else
            ctl_err("the %s service sent an answer of the wrong kind", who);
        accord__v1__response__free_unpacked(resp, NULL);
        return CTL_FAIL;
    }
    if (resp->status->message[0])
        ctl_err("%s", resp->status->message);
    *out = resp;
    return 0;
}
