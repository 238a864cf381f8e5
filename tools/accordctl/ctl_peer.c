/*
 * accordctl key show, peer add/list/remove, config check — the node's identity and its
 * federation peers. These work on the node's files alone (node.cfg, peers.cfg beside it,
 * keys/), not on a running node: the node reads peers.cfg at start, so a change takes
 * effect when it is restarted.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "acc_curve.h"
#include "ctl.h"

/* The option that sets a peer field, for messages: "public_key" -> "--public-key". */
static const char *
s_option_of(const char *field)
{
    static const struct {
        const char *field, *option;
    } map[] = {{"agency", "--agency"},
               {"role", "--role"},
               {"endpoint", "--endpoint"},
               {"public_key", "--public-key"},
               {"name", "--name"}};
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (strcmp(map[i].field, field) == 0)
            return map[i].option;
    return field;
}

/* ---- key show ------------------------------------------------------------------------ */

int
ctl_cmd_key(ctl_t *ctx, int argc, char **argv)
{
    if (argc != 2 || strcmp(argv[1], "show") != 0) {
        ctl_err("%s", ACC_TR(ctx->lang, "usage: accordctl -c CONFIG key show",
                             "cách dùng: accordctl -c CẤU_HÌNH key show"));
        return CTL_BAD_INPUT;
    }
    int rc = ctl_load_config(ctx);
    if (rc)
        return rc;
    char pub[ACC_CURVE_KEY_LEN + 1], sec[ACC_CURVE_KEY_LEN + 1];
    acc_errinfo_t ei;
    acc_errinfo_clear(&ei);
    /* Loading both files checks what the node would check at start: the secret key's
     * mode, and that the public key belongs to it. */
    acc_err err = acc_curve_load_keys(ctx->cfg->keys_dir, pub, sec, &ei);
    explicit_bzero(sec, sizeof sec);
    if (err != ACC_OK) {
        ctl_err("key show: %s", ei.msg[0] ? ei.msg : acc_strerror(err));
        return err == ACC_ERR_IO || err == ACC_ERR_NOMEM ? CTL_FAIL : CTL_BAD_INPUT;
    }
    printf("%s '%s' (%s/node.pub):\n",
           ACC_TR(ctx->lang, "CURVE public key of", "khóa công khai CURVE của"), ctx->cfg->agency,
           ctx->cfg->keys_dir);
    /* The key is the last line, alone, for scripts: `accordctl key show | tail -n 1`. */
    printf("%s\n", pub);
    return CTL_OK;
}

/* ---- peer add / list / remove -------------------------------------------------------- */

static void
s_peers_file(const ctl_t *ctx, char *buf, size_t size)
{
    snprintf(buf, size, "%s/peers.cfg", ctx->cfg->dir);
}

/* Write @peers (n) through acc_config_peers_write; prints the error and returns an exit
 * code, or 0. */
static int
s_write(ctl_t *ctx, const char *what, const acc_peer_cfg_t *peers, size_t n)
{
    acc_errinfo_t ei;
    acc_errinfo_clear(&ei);
    acc_err err = acc_config_peers_write(ctx->cfg, peers, n, &ei);
    if (err == ACC_ERR_INVALID) {
        ctl_err("%s: %s: %s", what, ei.field[0] ? s_option_of(ei.field) : "peers",
                ei.msg[0] ? ei.msg : acc_strerror(err));
        return CTL_BAD_INPUT;
    }
    if (err != ACC_OK) {
        ctl_err("%s: %s", what, ei.msg[0] ? ei.msg : acc_strerror(err));
        return CTL_FAIL;
    }
    return 0;
}

static void
s_restart_note(const ctl_t *ctx)
{
    fprintf(stderr, "%s\n",
            ACC_TR(ctx->lang,
                   "note: the node reads its peers at start: restart it to use the change",
                   "lưu ý: nút chỉ đọc danh sách cơ quan liên kết khi khởi động: hãy khởi động "
                   "lại nút để áp dụng thay đổi"));
}

static int
s_add(ctl_t *ctx, int argc, char **argv)
{
    const char *agency = NULL, *role = NULL, *endpoint = NULL, *key = NULL, *name = NULL;
    for (int i = 2; i < argc; i++) {
        int r;
        if ((r = ctl_opt(argc, argv, &i, "--agency", &agency)) ||
            (r = ctl_opt(argc, argv, &i, "--role", &role)) ||
            (r = ctl_opt(argc, argv, &i, "--endpoint", &endpoint)) ||
            (r = ctl_opt(argc, argv, &i, "--public-key", &key)) ||
            (r = ctl_opt(argc, argv, &i, "--name", &name))) {
            if (r < 0)
                return CTL_BAD_INPUT;
        } else {
            ctl_err("peer add: %s '%s'", ACC_TR(ctx->lang, "unexpected argument", "đối số thừa"),
                    argv[i]);
            return CTL_BAD_INPUT;
        }
    }
    const char *missing = !agency     ? "--agency"
                          : !role     ? "--role"
                          : !endpoint ? "--endpoint"
                          : !key      ? "--public-key"
                                      : NULL;
    if (missing) {
        ctl_err("peer add: %s: %s", missing, ACC_TR(ctx->lang, "is required", "là bắt buộc"));
        ctl_err("%s", ACC_TR(ctx->lang,
                             "usage: accordctl -c CONFIG peer add --agency ID --role "
                             "lead|coordinating|parent|child --endpoint tcp://HOST:PORT "
                             "--public-key KEY [--name NAME]",
                             "cách dùng: accordctl -c CẤU_HÌNH peer add --agency MÃ --role "
                             "lead|coordinating|parent|child --endpoint tcp://MÁY:CỔNG "
                             "--public-key KHÓA [--name TÊN]"));
        return CTL_BAD_INPUT;
    }
    acc_role r = acc_role_parse(role);
    if (!r) {
        ctl_err("peer add: --role: '%s' %s", role,
                ACC_TR(ctx->lang, "must be one of lead, coordinating, parent, child",
                       "phải là một trong lead, coordinating, parent, child"));
        return CTL_BAD_INPUT;
    }
    int rc = ctl_load_config(ctx);
    if (rc)
        return rc;
    if (acc_config_peer(ctx->cfg, agency)) {
        ctl_err("peer add: --agency: '%s' %s %s %s", agency,
                ACC_TR(ctx->lang, "is a peer already; to change it, run first",
                       "đã là cơ quan liên kết; để thay đổi, trước hết chạy"),
                "accordctl peer remove", agency);
        return CTL_BAD_INPUT;
    }
    size_t n = ctx->cfg->n_peers;
    acc_peer_cfg_t *all = calloc(n + 1, sizeof *all);
    if (!all) {
        ctl_err("peer add: %s", acc_strerror(ACC_ERR_NOMEM));
        return CTL_FAIL;
    }
    if (n)
        memcpy(all, ctx->cfg->peers, n * sizeof *all);
    /* Borrowed strings: argv and the loaded config outlive the write. */
    all[n] = (acc_peer_cfg_t){.agency = (char *)agency,
                              .role = r,
                              .endpoint = (char *)endpoint,
                              .public_key = (char *)key,
                              .name = (char *)name};
    rc = s_write(ctx, "peer add", all, n + 1);
    free(all);
    if (rc)
        return rc;
    char path[4200];
    s_peers_file(ctx, path, sizeof path);
    printf("%s '%s' (%s, %s) %s %s\n", ACC_TR(ctx->lang, "peer", "cơ quan liên kết"), agency,
           acc_role_name(r), endpoint, ACC_TR(ctx->lang, "added to", "đã thêm vào"), path);
    s_restart_note(ctx);
    return CTL_OK;
}

static int
s_remove(ctl_t *ctx, int argc, char **argv)
{
    const char *agency = NULL;
    for (int i = 2; i < argc; i++) {
        int r;
        const char *opt = NULL;
        if ((r = ctl_opt(argc, argv, &i, "--agency", &opt))) {
            if (r < 0)
                return CTL_BAD_INPUT;
        } else if (argv[i][0] != '-') {
            opt = argv[i];
        }
        if (!opt || agency) {
            ctl_err("peer remove: %s '%s'", ACC_TR(ctx->lang, "unexpected argument", "đối số thừa"),
                    argv[i]);
            return CTL_BAD_INPUT;
        }
        agency = opt;
    }
    if (!agency) {
        ctl_err("%s", ACC_TR(ctx->lang, "usage: accordctl -c CONFIG peer remove --agency ID",
                             "cách dùng: accordctl -c CẤU_HÌNH peer remove --agency MÃ"));
        return CTL_BAD_INPUT;
    }
    int rc = ctl_load_config(ctx);
    if (rc)
        return rc;
    const acc_peer_cfg_t *gone = acc_config_peer(ctx->cfg, agency);
    if (!gone) {
        ctl_err("peer remove: --agency: '%s' %s", agency,
                ACC_TR(ctx->lang, "is not a peer of this node",
                       "không phải cơ quan liên kết của nút này"));
        return CTL_BAD_INPUT;
    }
    size_t n = ctx->cfg->n_peers, k = (size_t)(gone - ctx->cfg->peers);
    acc_peer_cfg_t *rest = n > 1 ? calloc(n - 1, sizeof *rest) : NULL;
    if (n > 1 && !rest) {
        ctl_err("peer remove: %s", acc_strerror(ACC_ERR_NOMEM));
        return CTL_FAIL;
    }
    for (size_t i = 0, j = 0; i < n; i++)
        if (i != k)
            rest[j++] = ctx->cfg->peers[i];
    rc = s_write(ctx, "peer remove", rest, n - 1);
    free(rest);
    if (rc)
        return rc;
    char path[4200];
    s_peers_file(ctx, path, sizeof path);
    printf("%s '%s' %s %s\n", ACC_TR(ctx->lang, "peer", "cơ quan liên kết"), agency,
           ACC_TR(ctx->lang, "removed from", "đã xóa khỏi"), path);
    s_restart_note(ctx);
    return CTL_OK;
}

static int
s_list(ctl_t *ctx, int argc, char **argv)
{
    int json = 0;
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0) {
            json = 1;
        } else {
            ctl_err("peer list: %s '%s'", ACC_TR(ctx->lang, "unexpected argument", "đối số thừa"),
                    argv[i]);
            return CTL_BAD_INPUT;
        }
    }
    int rc = ctl_load_config(ctx);
    if (rc)
        return rc;
    const acc_config_t *cfg = ctx->cfg;
    if (json) {
        json_t *arr = json_array();
        for (size_t i = 0; arr && i < cfg->n_peers; i++) {
            const acc_peer_cfg_t *p = &cfg->peers[i];
            json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s?}", "agency", p->agency, "role",
                                  acc_role_name(p->role), "endpoint", p->endpoint, "public_key",
                                  p->public_key, "name", p->name);
            if (!o || json_array_append_new(arr, o) != 0) {
                json_decref(arr);
                arr = NULL;
            }
        }
        char *s = arr ? json_dumps(arr, JSON_COMPACT) : NULL;
        json_decref(arr);
        if (!s) {
            ctl_err("peer list: %s", acc_strerror(ACC_ERR_NOMEM));
            return CTL_FAIL;
        }
        printf("%s\n", s);
        free(s);
        return CTL_OK;
    }
    if (cfg->n_peers == 0) {
        printf("%s\n", ACC_TR(ctx->lang, "no peers (accordctl peer add ...)",
                              "chưa có cơ quan liên kết (accordctl peer add ...)"));
        return CTL_OK;
    }
    int wa = 6, wr = 4, we = 8;
    for (size_t i = 0; i < cfg->n_peers; i++) {
        int a = (int)strlen(cfg->peers[i].agency), e = (int)strlen(cfg->peers[i].endpoint);
        int r = (int)strlen(acc_role_name(cfg->peers[i].role));
        wa = a > wa ? a : wa;
        wr = r > wr ? r : wr;
        we = e > we ? e : we;
    }
    printf("%-*s  %-*s  %-*s  %-40s  %s\n", wa, "agency", wr, "role", we, "endpoint", "public_key",
           ACC_TR(ctx->lang, "name", "tên"));
    for (size_t i = 0; i < cfg->n_peers; i++) {
        const acc_peer_cfg_t *p = &cfg->peers[i];
        printf("%-*s  %-*s  %-*s  %-40s  %s\n", wa, p->agency, wr, acc_role_name(p->role), we,
               p->endpoint, p->public_key, p->name ? p->name : "");
    }
    return CTL_OK;
}

int
ctl_cmd_peer(ctl_t *ctx, int argc, char **argv)
{
    const char *sub = argc > 1 ? argv[1] : "";
    if (strcmp(sub, "add") == 0)
        return s_add(ctx, argc, argv);
    if (strcmp(sub, "list") == 0)
        return s_list(ctx, argc, argv);
    if (strcmp(sub, "remove") == 0)
        return s_remove(ctx, argc, argv);
    ctl_err("%s", ACC_TR(ctx->lang, "usage: accordctl -c CONFIG peer add|list|remove ...",
                         "cách dùng: accordctl -c CẤU_HÌNH peer add|list|remove ..."));
    return CTL_BAD_INPUT;
}

/* ---- config check -------------------------------------------------------------------- */

static void
s_report(void *arg, const char *where, const char *msg)
{
    int *n = arg;
    ++*n;
    printf("%s: %s\n", where, msg);
}

int
ctl_cmd_config(ctl_t *ctx, int argc, char **argv)
{
    if (argc != 2 || strcmp(argv[1], "check") != 0) {
        ctl_err("%s", ACC_TR(ctx->lang, "usage: accordctl -c CONFIG config check",
                             "cách dùng: accordctl -c CẤU_HÌNH config check"));
        return CTL_BAD_INPUT;
    }
    if (!ctx->config_path) {
        ctl_err("%s", ACC_TR(ctx->lang, "this command needs '-c CONFIG' (the node's node.cfg)",
                             "lệnh này cần '-c CẤU_HÌNH' (tệp node.cfg của nút)"));
        return CTL_BAD_INPUT;
    }
    int n = 0;
    acc_err err = acc_config_check(ctx->config_path, s_report, &n);
    if (err == ACC_OK && n == 0) {
        printf("%s\n", ACC_TR(ctx->lang, "ok", "hợp lệ"));
        return CTL_OK;
    }
    if (err == ACC_ERR_NOMEM) {
        ctl_err("config check: %s", acc_strerror(err));
        return CTL_FAIL;
    }
    ctl_err("%d %s '%s'", n, ACC_TR(ctx->lang, n == 1 ? "problem in" : "problems in", "lỗi trong"),
            ctx->config_path);
    return CTL_BAD_INPUT;
}
