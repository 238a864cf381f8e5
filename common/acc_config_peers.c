/*
 * acc_config_peers — peers.cfg, the file beside node.cfg that holds the federation peers
 * (`peers = ( ... );`). The loader finds and parses it here: libconfig fails on an
 * @include of a file that does not exist yet, so the loader reads peers.cfg itself when
 * it is there, through the same tables and with its own file:line in every message.
 * `accordctl peer add/remove` rewrite it here (acc_config_peers_write): checked as the
 * loader would check it, written to a temporary file, read back, renamed into place.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "acc_config_int.h"

/* ---- reading ------------------------------------------------------------------------ */

/* peers.cfg beside @path, spelled the way @path is (so messages read like the path the
 * operator gave). Returns malloc'd or NULL (out of memory). */
char *
acc_config_peers_path(const char *path)
{
    const char *slash = strrchr(path, '/');
    size_t dlen = slash ? (size_t)(slash - path) + 1 : 0;
    size_t len = dlen + sizeof ACC_CONFIG_PEERS_FILE;
    char *p = malloc(len);
    if (p)
        snprintf(p, len, "%.*s%s", (int)dlen, path, ACC_CONFIG_PEERS_FILE);
    return p;
}

/* Whether `peers` in the main file came from `@include "peers.cfg"` (an older layout):
 * then that file is already read and is not read a second time. */
bool
acc_config_peers_included(const acc_config_ctx_t *ctx, const config_setting_t *peers)
{
    const char *src = config_setting_source_file(peers);
    if (!src || strcmp(src, ctx->path) == 0)
        return false;
    char shown[PATH_MAX], want[PATH_MAX];
    acc_config_display_file(ctx, src, shown, sizeof shown);
    acc_config_fmt(want, sizeof want, "%s/%s", ctx->dir, ACC_CONFIG_PEERS_FILE);
    return strcmp(shown, want) == 0 || strcmp(shown, ctx->peers_path) == 0;
}

/*
 * Parse peers.cfg into @plc when it exists. Returns 1 (parsed), 0 (absent, or nothing to
 * read: it is the main file itself, or the main file includes it) or -1 (a problem,
 * reported). libconfig cannot @include a file that may not exist, so this is how
 * peers.cfg is optional.
 */
int
acc_config_peers_open(acc_config_ctx_t *ctx, const config_setting_t *inline_peers, config_t *plc,
                      bool *plc_init)
{
    struct stat st, self;
    if (stat(ctx->peers_path, &st) != 0) {
        if (errno == ENOENT)
            return 0;
        acc_config_problem_at(ctx, ctx->peers_path, NULL, "cannot read '%s': %s", ctx->peers_path,
                              strerror(errno));
        return -1;
    }
    if (stat(ctx->path, &self) == 0 && self.st_dev == st.st_dev && self.st_ino == st.st_ino)
        return 0;
    if (inline_peers && acc_config_peers_included(ctx, inline_peers))
        return 0;
    if (!S_ISREG(st.st_mode)) {
        acc_config_problem_at(ctx, ctx->peers_path, NULL, "cannot read '%s': not a regular file",
                              ctx->peers_path);
        return -1;
    }
    /* The same scanner as for the main file: includes vetted, wrapped integers found. */
    int before = ctx->n_problems;
    acc_config_lex(ctx, ctx->peers_path);
    if (ctx->fatal || ctx->n_problems > before)
        return -1;
    config_init(plc);
    *plc_init = true;
    config_set_include_dir(plc, ctx->dir);
    if (!config_read_file(plc, ctx->peers_path)) {
        char file[PATH_MAX], where[PATH_MAX + 16];
        const char *efile = config_error_file(plc);
        acc_config_display_file(ctx, efile ? efile : ctx->peers_path, file, sizeof file);
        if (config_error_type(plc) == CONFIG_ERR_FILE_IO) {
            acc_config_problem_at(ctx, ctx->peers_path, NULL, "cannot read '%s'", ctx->peers_path);
        } else {
            snprintf(where, sizeof where, "%s:%d", file, config_error_line(plc));
            const char *text = config_error_text(plc);
            acc_config_problem_at(ctx, where, NULL, "%s", text ? text : "syntax error");
        }
        return -1;
    }
    return 1;
}

/* ---- writing ------------------------------------------------------------------------ */

/* @peers checked field by field through acc_config_peer_keys, then against each other: the checks
 * the loader runs, with ei.field = the key and the peer named in ei.msg. */
static acc_err
s_peers_validate(const char *own, const acc_peer_cfg_t *peers, size_t n, acc_errinfo_t *ei)
{
    if (n > ACC_CONFIG_PEERS_MAX) {
        acc_errinfo_set(ei, "peers", "%zu peers, at most %d are allowed", n, ACC_CONFIG_PEERS_MAX);
        return ACC_ERR_INVALID;
    }
    for (size_t i = 0; i < n; i++) {
        const acc_peer_cfg_t *p = &peers[i];
        char who[64];
        if (p->agency && acc_agency_valid(p->agency))
            acc_config_fmt(who, sizeof who, "peer '%s'", p->agency);
        else
            acc_config_fmt(who, sizeof who, "peer %zu", i + 1);
        for (size_t m = 0; m < acc_config_n_peer_keys; m++) {
            const acc_config_key_t *k = &acc_config_peer_keys[m];
            if (k->kind == ACC_CONFIG_ROLE) {
                if (!acc_config_role_valid(*ACC_CONFIG_FIELD(p, k, acc_role))) {
                    acc_errinfo_set(ei, k->name,
                                    "%s: '%s' must be one of lead, coordinating, parent, child",
                                    who, k->name);
                    return ACC_ERR_INVALID;
                }
                continue;
            }
            const char *v = *ACC_CONFIG_FIELD(p, k, char *);
            if (!v || (!*v && k->empty_null)) {
                if (k->required) {
                    acc_errinfo_set(ei, k->name, "%s: '%s' is required", who, k->name);
                    return ACC_ERR_INVALID;
                }
                continue;
            }
            const char *why = k->check ? k->check(v) : NULL;
            if (why) {
                acc_errinfo_set(ei, k->name, "%s: '%s' %s", who, k->name, why);
                return ACC_ERR_INVALID;
            }
        }
        const char *key = NULL;
        char why[384];
        if (acc_config_peer_conflict(own, peers, i, &key, why, sizeof why)) {
            acc_errinfo_set(ei, key, "%s", why);
            return ACC_ERR_INVALID;
        }
    }
    return ACC_OK;
}

static bool
s_str_same(const char *a, const char *b)
{
    if (a && !*a)
        a = NULL;
    if (b && !*b)
        b = NULL;
    return a == b || (a && b && strcmp(a, b) == 0);
}

/* Parse the file just written and compare it with @peers: proves the quoting. */
static acc_err
s_peers_reread(const char *tmp, const char *dir, const acc_peer_cfg_t *peers, size_t n,
               acc_errinfo_t *ei)
{
    config_t lc;
    config_init(&lc);
    config_set_include_dir(&lc, dir);
    acc_config_t got;
    memset(&got, 0, sizeof got);
    acc_config_ctx_t ctx = {.path = tmp, .dir = dir, .lc = &lc};
    acc_err rc = ACC_OK;
    if (!config_read_file(&lc, tmp)) {
        acc_errinfo_set(ei, tmp, "the file written does not parse: line %d: %s",
                        config_error_line(&lc), config_error_text(&lc));
        rc = ACC_ERR_INTERNAL;
        goto out;
    }
    acc_config_read_group(&ctx, config_root_setting(&lc), "", acc_config_peers_file_keys,
                          acc_config_n_peers_file_keys, &got);
    if (ctx.fatal) {
        rc = ctx.fatal;
        goto out;
    }
    bool same = ctx.n_problems == 0 && got.n_peers == n;
    for (size_t i = 0; same && i < n; i++) {
        const acc_peer_cfg_t *a = &got.peers[i], *b = &peers[i];
        same = a->role == b->role && s_str_same(a->agency, b->agency) &&
               s_str_same(a->endpoint, b->endpoint) && s_str_same(a->public_key, b->public_key) &&
               s_str_same(a->name, b->name);
    }
    if (!same) {
        acc_errinfo_set(ei, tmp, "the file written does not read back as the peers given");
        rc = ACC_ERR_INTERNAL;
    }
out:
    acc_config_free_keys(acc_config_peers_file_keys, acc_config_n_peers_file_keys, &got);
    config_destroy(&lc);
    return rc;
}

static acc_err
s_write_all(int fd, const char *p, size_t len)
{
    while (len > 0) {
        ssize_t w = write(fd, p, len);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return ACC_ERR_IO;
        }
        p += w;
        len -= (size_t)w;
    }
    return ACC_OK;
}

acc_err
acc_config_peers_write(const acc_config_t *cfg, const acc_peer_cfg_t *peers, size_t n,
                       acc_errinfo_t *ei)
{
    acc_errinfo_clear(ei);
    if (!cfg || !cfg->dir || (n > 0 && !peers)) {
        acc_errinfo_set(ei, "peers", "no configuration or no peer list given");
        return ACC_ERR_INVALID;
    }
    if (cfg->peers_inline) {
        acc_errinfo_set(ei, "peers",
                        "peers are set in '%s' itself: edit them there, or move them to '%s' "
                        "to manage them with accordctl",
                        cfg->path, ACC_CONFIG_PEERS_FILE);
        return ACC_ERR_INVALID;
    }
    acc_err rc = s_peers_validate(cfg->agency, peers, n, ei);
    if (rc)
        return rc;

    char *text = acc_config_render_peers(cfg->agency, peers, n);
    char path[PATH_MAX], tmp[PATH_MAX];
    int fd = -1, dfd = -1;
    bool made_tmp = false;
    if (!text) {
        rc = ACC_ERR_NOMEM;
        goto out;
    }
    if ((size_t)snprintf(path, sizeof path, "%s/%s", cfg->dir, ACC_CONFIG_PEERS_FILE) >=
            sizeof path ||
        (size_t)snprintf(tmp, sizeof tmp, "%s/.%s.XXXXXX", cfg->dir, ACC_CONFIG_PEERS_FILE) >=
            sizeof tmp) {
        acc_errinfo_set(ei, cfg->dir, "directory name too long");
        rc = ACC_ERR_IO;
        goto out;
    }
    /* Same directory as the target, so that rename replaces it atomically. */
    fd = mkostemp(tmp, O_CLOEXEC);
    if (fd < 0) {
        acc_errinfo_set(ei, cfg->dir, "cannot create a temporary file in '%s': %s", cfg->dir,
                        strerror(errno));
        rc = ACC_ERR_IO;
        goto out;
    }
    made_tmp = true;
    struct stat st;
    mode_t mode = stat(path, &st) == 0 ? (st.st_mode & 07777) : 0600;
    if (fchmod(fd, mode) != 0 || s_write_all(fd, text, strlen(text)) != ACC_OK || fsync(fd) != 0) {
        acc_errinfo_set(ei, tmp, "cannot write '%s': %s", tmp, strerror(errno));
        rc = ACC_ERR_IO;
        goto out;
    }
    int crc = close(fd);
    fd = -1;
    if (crc != 0) {
        acc_errinfo_set(ei, tmp, "cannot write '%s': %s", tmp, strerror(errno));
        rc = ACC_ERR_IO;
        goto out;
    }
    rc = s_peers_reread(tmp, cfg->dir, peers, n, ei);
    if (rc)
        goto out;
    if (rename(tmp, path) != 0) {
        acc_errinfo_set(ei, path, "cannot replace '%s': %s", path, strerror(errno));
        rc = ACC_ERR_IO;
        goto out;
    }
    made_tmp = false;
    /* The rename is durable once the directory is. */
    dfd = open(cfg->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0 || fsync(dfd) != 0) {
        acc_errinfo_set(ei, cfg->dir, "cannot sync directory '%s': %s", cfg->dir, strerror(errno));
        rc = ACC_ERR_IO;
        goto out;
    }
    rc = ACC_OK;
out:
    if (dfd >= 0)
        close(dfd);
    if (fd >= 0)
        close(fd);
    if (made_tmp)
        unlink(tmp);
    free(text);
    if (rc == ACC_ERR_NOMEM)
        acc_errinfo_set(ei, "", "out of memory");
    return rc;
}
