/* accordctl: shared helpers (config, connection, error output). */
#include <fcntl.h>
#include <stdarg.h>
#include <sys/file.h>
#include <unistd.h>
#include <string.h>

#include "acc_feed.h"
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
