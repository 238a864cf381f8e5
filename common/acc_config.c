/*
 * acc_config — loads and validates the node's libconfig file (node.cfg): the entry
 * points, problem reporting, and the walker that reads the parsed tree against the key
 * tables.
 *
 * Every service reads its settings from the acc_config_t built here, once, at start.
 * The known keys live in declarative tables, one row per key (acc_config_schema.c): the
 * walker reads the parsed tree against them, so an unknown key anywhere is an error with
 * file and line, and acc_config_render writes the same tables back out as a commented
 * file. Every problem goes through one reporting function so that acc_config_check can
 * list all of them while acc_config_load returns the first.
 *
 * A load runs: the scanner (acc_config_lex.c: @include vetting, integers libconfig 1.5
 * would wrap), libconfig's parse, the walker (value rules from acc_config_rules.c),
 * peers.cfg (acc_config_peers.c), then the rules that span keys (acc_config_rules.c).
 */
#include "acc_config.h"

#include <errno.h>
#include <fcntl.h>
#include <libconfig.h>
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "acc_config_int.h"
#include "acc_log.h"

/* ---- problems ------------------------------------------------------------------------ */

void
acc_config_fmt(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, size, fmt, ap);
    va_end(ap);
}

/* How the user sees @file (a libconfig source file name): includes are opened as
 * <include dir>/<name as written>, so show that. */
void
acc_config_display_file(const acc_config_ctx_t *ctx, const char *file, char *buf, size_t size)
{
    if (!file || strcmp(file, ctx->path) == 0)
        snprintf(buf, size, "%s", ctx->path);
    else if (file[0] == '/' || !ctx->dir || (ctx->peers_path && strcmp(file, ctx->peers_path) == 0))
        snprintf(buf, size, "%s", file);
    else
        snprintf(buf, size, "%s/%s", ctx->dir, file);
}

static void
s_where(const acc_config_ctx_t *ctx, const config_setting_t *s, char *buf, size_t size)
{
    char file[PATH_MAX];
    unsigned line = 0;
    const char *src = NULL;
    for (; s; s = config_setting_parent(s)) {
        line = config_setting_source_line(s);
        src = config_setting_source_file(s);
        if (line > 0)
            break;
    }
    acc_config_display_file(ctx, src, file, sizeof file);
    if (line > 0)
        snprintf(buf, size, "%s:%u", file, line);
    else
        snprintf(buf, size, "%s", file);
}

/* Mark wrapped literals at or under @cover as explained by a problem already reported. */
static void
s_flags_cover(acc_config_ctx_t *ctx, const char *cover)
{
    size_t n = strlen(cover);
    for (size_t i = 0; i < ctx->n_flags; i++) {
        const char *p = ctx->flags[i].path;
        if (strncmp(p, cover, n) == 0 && (p[n] == '\0' || p[n] == '.' || p[n] == '['))
            ctx->flags[i].used = true;
    }
}

void
acc_config_problem_at(acc_config_ctx_t *ctx, const char *where, const char *cover, const char *fmt,
                      ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (cover)
        s_flags_cover(ctx, cover);
    if (ctx->n_problems++ == 0 && ctx->ei) {
        /* Keep the tail of a long "FILE:LINE": the line number matters most. */
        size_t len = strlen(where), room = sizeof ctx->ei->field - 1;
        if (len > room) {
            char field[sizeof ctx->ei->field];
            snprintf(field, sizeof field, "...%s", where + len - (room - 3));
            acc_errinfo_set(ctx->ei, field, "%s", msg);
        } else {
            acc_errinfo_set(ctx->ei, where, "%s", msg);
        }
    }
    if (ctx->report)
        ctx->report(ctx->arg, where, msg);
}

void
acc_config_problem(acc_config_ctx_t *ctx, const config_setting_t *s, const char *cover,
                   const char *fmt, ...)
{
    char where[PATH_MAX + 16], msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    s_where(ctx, s, where, sizeof where);
    acc_config_problem_at(ctx, where, cover, "%s", msg);
}

/* ---- paths -------------------------------------------------------------------------- */

char *
acc_config_abs_path(const char *dir, const char *rel)
{
    size_t dlen = rel[0] == '/' ? 0 : strlen(dir);
    size_t cap = dlen + strlen(rel) + 3;
    char *joined = malloc(cap), *out = malloc(cap);
    if (!joined || !out) {
        free(joined);
        free(out);
        return NULL;
    }
    snprintf(joined, cap, "%.*s/%s", (int)dlen, dir, rel);
    size_t olen = 0;
    char *save = NULL;
    for (char *seg = strtok_r(joined, "/", &save); seg; seg = strtok_r(NULL, "/", &save)) {
        if (strcmp(seg, ".") == 0)
            continue;
        if (strcmp(seg, "..") == 0) {
            while (olen > 0 && out[olen - 1] != '/')
                olen--;
            if (olen > 0)
                olen--; /* drop the separator too */
            continue;
        }
        out[olen++] = '/';
        size_t n = strlen(seg);
        memcpy(out + olen, seg, n);
        olen += n;
    }
    if (olen == 0)
        out[olen++] = '/';
    out[olen] = '\0';
    free(joined);
    return out;
}

/* The absolute, symlink-free directory of @path (which exists: it was just opened). */
static acc_err
s_abs_dir(const char *path, char **out)
{
    char *copy = strdup(path);
    if (!copy)
        return ACC_ERR_NOMEM;
    char *dir = realpath(dirname(copy), NULL);
    int e = errno;
    free(copy);
    if (!dir)
        return e == ENOMEM ? ACC_ERR_NOMEM : ACC_ERR_IO;
    *out = dir;
    return ACC_OK;
}

/* ---- reading the tree against the tables ------------------------------------------- */

void
acc_config_store_str(acc_config_ctx_t *ctx, char **dst, const char *v)
{
    char *dup = NULL;
    if (v && !(dup = strdup(v))) {
        ctx->fatal = ACC_ERR_NOMEM;
        return;
    }
    free(*dst);
    *dst = dup;
}

static void
s_store_path(acc_config_ctx_t *ctx, char **dst, const char *v)
{
    char *abs = acc_config_abs_path(ctx->dir, v);
    if (!abs) {
        ctx->fatal = ACC_ERR_NOMEM;
        return;
    }
    free(*dst);
    *dst = abs;
}

void
acc_config_default_bind(const acc_config_key_t *k, int port_base, char *buf, size_t size)
{
    snprintf(buf, size, "%s127.0.0.1:%d", k->hostport ? "" : "tcp://", port_base + (int)k->def_int);
}

static void
s_set_defaults(acc_config_ctx_t *ctx, const acc_config_key_t *keys, size_t n, void *base)
{
    for (size_t i = 0; i < n && !ctx->fatal; i++) {
        const acc_config_key_t *k = &keys[i];
        char bind[64];
        switch (k->kind) {
        case ACC_CONFIG_INT:
            *ACC_CONFIG_FIELD(base, k, int64_t) = k->def_int;
            break;
        case ACC_CONFIG_LEVEL:
        case ACC_CONFIG_BOOL:
            *ACC_CONFIG_FIELD(base, k, int) = (int)k->def_int;
            break;
        case ACC_CONFIG_STRING:
            if (k->def_str)
                acc_config_store_str(ctx, ACC_CONFIG_FIELD(base, k, char *), k->def_str);
            break;
        case ACC_CONFIG_PATH:
            if (k->def_str)
                s_store_path(ctx, ACC_CONFIG_FIELD(base, k, char *), k->def_str);
            break;
        case ACC_CONFIG_BIND:
            acc_config_default_bind(k, ACC_CONFIG_PORT_DEFAULT, bind, sizeof bind);
            acc_config_store_str(ctx, ACC_CONFIG_FIELD(base, k, char *), bind);
            break;
        case ACC_CONFIG_GROUP:
            s_set_defaults(ctx, k->sub, k->n_sub, base);
            break;
        case ACC_CONFIG_LIST:
        case ACC_CONFIG_STRLIST:
            break; /* absent lists are empty; the taxonomy is filled in by cross_check */
        case ACC_CONFIG_ROLE:
            break; /* required */
        }
    }
}

/* Free what the tables say @base owns: strings, and the arrays of lists. */

static void
s_free_items(const acc_config_key_t *k, void *items, size_t count)
{
    for (size_t i = 0; items && i < count; i++)
        acc_config_free_keys(k->elem, k->n_elem, (char *)items + i * k->elem_size);
    free(items);
}

void
acc_config_free_keys(const acc_config_key_t *keys, size_t n, void *base)
{
    for (size_t i = 0; i < n; i++) {
        const acc_config_key_t *k = &keys[i];
        switch (k->kind) {
        case ACC_CONFIG_STRING:
        case ACC_CONFIG_PATH:
        case ACC_CONFIG_BIND:
            free(*ACC_CONFIG_FIELD(base, k, char *));
            *ACC_CONFIG_FIELD(base, k, char *) = NULL;
            break;
        case ACC_CONFIG_GROUP:
            acc_config_free_keys(k->sub, k->n_sub, base);
            break;
        case ACC_CONFIG_LIST:
            s_free_items(k, *ACC_CONFIG_FIELD(base, k, void *), *ACC_CONFIG_COUNT(base, k));
            *ACC_CONFIG_FIELD(base, k, void *) = NULL;
            *ACC_CONFIG_COUNT(base, k) = 0;
            break;
        case ACC_CONFIG_STRLIST: {
            char **items = *ACC_CONFIG_FIELD(base, k, char **);
            for (size_t j = 0; items && j < *ACC_CONFIG_COUNT(base, k); j++)
                free(items[j]);
            free(items);
            *ACC_CONFIG_FIELD(base, k, char **) = NULL;
            *ACC_CONFIG_COUNT(base, k) = 0;
            break;
        }
        case ACC_CONFIG_INT:
        case ACC_CONFIG_LEVEL:
        case ACC_CONFIG_BOOL:
        case ACC_CONFIG_ROLE:
            break;
        }
    }
}

static void
s_keypath(char *buf, size_t size, const char *prefix, const char *name)
{
    if (prefix[0])
        acc_config_fmt(buf, size, "%s.%s", prefix, name ? name : "");
    else
        acc_config_fmt(buf, size, "%s", name ? name : "");
}

static void
s_read_int(acc_config_ctx_t *ctx, const config_setting_t *s, const char *path,
           const acc_config_key_t *k, void *base)
{
    int type = config_setting_type(s);
    if (type != CONFIG_TYPE_INT && type != CONFIG_TYPE_INT64) {
        acc_config_problem(ctx, s, path, "'%s' must be an integer", path);
        return;
    }
    long long v = config_setting_get_int64(s);
    const acc_config_flag_t *f = acc_config_flag_take(ctx, path);
    size_t flen = f ? strlen(f->literal) : 0;
    if (f && (type == CONFIG_TYPE_INT || (flen > 0 && f->literal[flen - 1] == 'L'))) {
        /* libconfig stored a wrapped or saturated value: judge the literal as written. */
        bool hex = f->literal[0] == '0' && (f->literal[1] == 'x' || f->literal[1] == 'X');
        errno = 0;
        long long real = strtoll(f->literal, NULL, hex ? 16 : 10);
        if (errno == 0 && real >= k->min && real <= k->max)
            acc_config_problem(ctx, s, path, "'%s' = %s does not fit 32 bits: write %sL", path,
                               f->literal, f->literal);
        else
            acc_config_problem(ctx, s, path, "'%s' must be between %lld and %lld (got %s)", path,
                               (long long)k->min, (long long)k->max, f->literal);
        return;
    }
    if (v < k->min || v > k->max) {
        acc_config_problem(ctx, s, path, "'%s' must be between %lld and %lld (got %lld)", path,
                           (long long)k->min, (long long)k->max, v);
        return;
    }
    *ACC_CONFIG_FIELD(base, k, int64_t) = v;
}

static void
s_read_string(acc_config_ctx_t *ctx, const config_setting_t *s, const char *path,
              const acc_config_key_t *k, void *base)
{
    if (config_setting_type(s) != CONFIG_TYPE_STRING) {
        acc_config_problem(ctx, s, path, "'%s' must be a string", path);
        return;
    }
    const char *v = config_setting_get_string(s);
    const char *why = NULL;
    int level = -1;
    acc_role role = (acc_role)0;
    if (!v)
        v = "";
    if (k->empty_null && !*v) {
        acc_config_store_str(ctx, ACC_CONFIG_FIELD(base, k, char *), NULL);
        return;
    }
    switch (k->kind) {
    case ACC_CONFIG_STRING:
        why = k->check ? k->check(v) : NULL;
        break;
    case ACC_CONFIG_PATH:
        why = acc_config_rule_path(v);
        break;
    case ACC_CONFIG_BIND:
        why = k->hostport ? acc_config_rule_host_port(v) : acc_config_rule_bind(v);
        break;
    case ACC_CONFIG_LEVEL:
        level = acc_log_parse_level(v);
        if (level < 0)
            why = "must be one of error, warn, info, debug";
        break;
    case ACC_CONFIG_ROLE:
        role = acc_role_parse(v);
        if (!role)
            why = "must be one of lead, coordinating, parent, child";
        break;
    default:
        why = "has an unexpected type";
        break;
    }
    if (why) {
        acc_config_problem(ctx, s, path, "'%s' %s", path, why);
        return;
    }
    if (k->kind == ACC_CONFIG_LEVEL)
        *ACC_CONFIG_FIELD(base, k, int) = level;
    else if (k->kind == ACC_CONFIG_ROLE)
        *ACC_CONFIG_FIELD(base, k, acc_role) = role;
    else if (k->kind == ACC_CONFIG_PATH)
        s_store_path(ctx, ACC_CONFIG_FIELD(base, k, char *), v);
    else
        acc_config_store_str(ctx, ACC_CONFIG_FIELD(base, k, char *), v);
}

static void
s_read_bool(acc_config_ctx_t *ctx, const config_setting_t *s, const char *path,
            const acc_config_key_t *k, void *base)
{
    if (config_setting_type(s) != CONFIG_TYPE_BOOL) {
        acc_config_problem(ctx, s, path, "'%s' must be true or false", path);
        return;
    }
    *ACC_CONFIG_FIELD(base, k, int) = config_setting_get_bool(s) ? 1 : 0;
}

/* [ "a", "b" ] (an array; a list of strings is taken too). */
static void
s_read_strlist(acc_config_ctx_t *ctx, const config_setting_t *s, const char *path,
               const acc_config_key_t *k, void *base)
{
    int type = config_setting_type(s);
    if (type != CONFIG_TYPE_ARRAY && type != CONFIG_TYPE_LIST) {
        acc_config_problem(ctx, s, path, "'%s' must be an array of strings: [ \"a\", \"b\" ]",
                           path);
        return;
    }
    int n = config_setting_length(s);
    if (n > k->max_items) {
        acc_config_problem(ctx, s, path, "'%s' has %d entries, at most %d are allowed", path, n,
                           k->max_items);
        return;
    }
    char **items = NULL;
    if (n > 0 && !(items = calloc((size_t)n, sizeof *items))) {
        ctx->fatal = ACC_ERR_NOMEM;
        return;
    }
    char **old = *ACC_CONFIG_FIELD(base, k, char **);
    for (size_t j = 0; old && j < *ACC_CONFIG_COUNT(base, k); j++)
        free(old[j]);
    free(old);
    *ACC_CONFIG_FIELD(base, k, char **) = items;
    *ACC_CONFIG_COUNT(base, k) = (size_t)n;
    for (int i = 0; i < n && !ctx->fatal; i++) {
        const config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
        char epath[ACC_CONFIG_KEYPATH_MAX];
        acc_config_fmt(epath, sizeof epath, "%s[%d]", path, i);
        if (config_setting_type(e) != CONFIG_TYPE_STRING) {
            acc_config_problem(ctx, e, epath, "'%s' must be a string", epath);
            continue;
        }
        const char *v = config_setting_get_string(e);
        const char *why = k->check ? k->check(v ? v : "") : NULL;
        if (why) {
            acc_config_problem(ctx, e, NULL, "'%s' %s", epath, why);
            continue;
        }
        bool dup = false;
        for (int j = 0; k->unique && j < i && !dup; j++)
            dup = items[j] && strcmp(items[j], v) == 0;
        if (dup) {
            acc_config_problem(ctx, e, NULL, "duplicate '%s' in '%s'", v, path);
            continue;
        }
        acc_config_store_str(ctx, &items[i], v);
    }
}

static void s_read_list(acc_config_ctx_t *ctx, const config_setting_t *s, const char *path,
                        const acc_config_key_t *k, void *base);

static const acc_config_key_t *
s_find_key(const acc_config_key_t *keys, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (name && strcmp(keys[i].name, name) == 0)
            return &keys[i];
    return NULL;
}

/* Read the members of @group (at key path @prefix) into @base according to @keys. */
void
acc_config_read_group(acc_config_ctx_t *ctx, const config_setting_t *group, const char *prefix,
                      const acc_config_key_t *keys, size_t n, void *base)
{
    int len = config_setting_length(group);
    for (int i = 0; i < len && !ctx->fatal; i++) {
        const config_setting_t *s = config_setting_get_elem(group, (unsigned)i);
        const char *name = config_setting_name(s);
        char path[ACC_CONFIG_KEYPATH_MAX];
        s_keypath(path, sizeof path, prefix, name);
        const acc_config_key_t *k = s_find_key(keys, n, name);
        if (!k) {
            acc_config_problem(ctx, s, path, "unknown key '%s'", path);
            continue;
        }
        switch (k->kind) {
        case ACC_CONFIG_INT:
            s_read_int(ctx, s, path, k, base);
            break;
        case ACC_CONFIG_GROUP:
            if (config_setting_type(s) != CONFIG_TYPE_GROUP)
                acc_config_problem(ctx, s, path, "'%s' must be a group { ... }", path);
            else
                acc_config_read_group(ctx, s, path, k->sub, k->n_sub, base);
            break;
        case ACC_CONFIG_LIST:
            s_read_list(ctx, s, path, k, base);
            break;
        case ACC_CONFIG_BOOL:
            s_read_bool(ctx, s, path, k, base);
            break;
        case ACC_CONFIG_STRLIST:
            s_read_strlist(ctx, s, path, k, base);
            break;
        default:
            s_read_string(ctx, s, path, k, base);
            break;
        }
    }
    for (size_t i = 0; i < n; i++) {
        if (keys[i].required && !config_setting_get_member(group, keys[i].name)) {
            char path[ACC_CONFIG_KEYPATH_MAX];
            s_keypath(path, sizeof path, prefix, keys[i].name);
            acc_config_problem(ctx, group, NULL, "missing required key '%s'", path);
        }
    }
}

/* Element @i of list @k against the elements before it: `unique` members must differ. */
static void
s_check_unique(acc_config_ctx_t *ctx, const config_setting_t *e, const char *list_path,
               const acc_config_key_t *k, const char *items, size_t i)
{
    for (size_t m = 0; m < k->n_elem; m++) {
        const acc_config_key_t *ek = &k->elem[m];
        if (!ek->unique)
            continue;
        const char *mine = *ACC_CONFIG_FIELD(items + i * k->elem_size, ek, char *);
        for (size_t j = 0; mine && j < i; j++) {
            const char *other = *ACC_CONFIG_FIELD(items + j * k->elem_size, ek, char *);
            if (other && (ek->nocase ? strcasecmp(other, mine) : strcmp(other, mine)) == 0) {
                const config_setting_t *at = config_setting_get_member(e, ek->name);
                if (ek->secret)
                    acc_config_problem(ctx, at ? at : e, NULL,
                                       "duplicate %s: '%s[%zu].%s' repeats '%s[%zu].%s'", ek->name,
                                       list_path, i, ek->name, list_path, j, ek->name);
                else
                    acc_config_problem(ctx, at ? at : e, NULL,
                                       "duplicate %s '%s': '%s[%zu].%s' repeats '%s[%zu].%s'",
                                       ek->name, mine, list_path, i, ek->name, list_path, j,
                                       ek->name);
                break;
            }
        }
    }
}

static void
s_read_list(acc_config_ctx_t *ctx, const config_setting_t *s, const char *path,
            const acc_config_key_t *k, void *base)
{
    if (config_setting_type(s) != CONFIG_TYPE_LIST) {
        acc_config_problem(ctx, s, path, "'%s' must be a list of groups: ( { ... }, ... )", path);
        return;
    }
    int n = config_setting_length(s);
    if (n == 0 && k->non_empty) {
        acc_config_problem(ctx, s, path, "'%s' must not be empty", path);
        return;
    }
    if (n > k->max_items) {
        acc_config_problem(ctx, s, path, "'%s' has %d entries, at most %d are allowed", path, n,
                           k->max_items);
        return;
    }
    char *items = NULL;
    if (n > 0 && !(items = calloc((size_t)n, k->elem_size))) {
        ctx->fatal = ACC_ERR_NOMEM;
        return;
    }
    s_free_items(k, *ACC_CONFIG_FIELD(base, k, void *), *ACC_CONFIG_COUNT(base, k));
    *ACC_CONFIG_FIELD(base, k, void *) = items;
    *ACC_CONFIG_COUNT(base, k) = (size_t)n;
    for (int i = 0; i < n && !ctx->fatal; i++) {
        const config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
        char *item = items + (size_t)i * k->elem_size;
        char epath[ACC_CONFIG_KEYPATH_MAX];
        acc_config_fmt(epath, sizeof epath, "%s[%d]", path, i);
        if (config_setting_type(e) != CONFIG_TYPE_GROUP) {
            acc_config_problem(ctx, e, epath, "'%s' must be a group { ... }", epath);
            continue;
        }
        s_set_defaults(ctx, k->elem, k->n_elem, item);
        acc_config_read_group(ctx, e, epath, k->elem, k->n_elem, item);
        s_check_unique(ctx, e, path, k, items, (size_t)i);
    }
}

static void s_io_problem(acc_config_ctx_t *ctx, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
s_io_problem(acc_config_ctx_t *ctx, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    acc_config_problem_at(ctx, ctx->path, NULL, "%s", msg);
}

/* @path is a regular file (libconfig exits the process on a directory and blocks on a
 * FIFO: O_NONBLOCK keeps this open from blocking on one too); *@dir its absolute
 * directory. */
static acc_err
s_open_dir(acc_config_ctx_t *ctx, const char *path, char **dir)
{
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        s_io_problem(ctx, "cannot open '%s': %s", path, strerror(errno));
        return ACC_ERR_IO;
    }
    struct stat st;
    int regular = fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
    close(fd);
    if (!regular) {
        s_io_problem(ctx, "cannot read '%s': not a regular file", path);
        return ACC_ERR_IO;
    }
    acc_err rc = s_abs_dir(path, dir);
    if (rc == ACC_ERR_IO)
        s_io_problem(ctx, "cannot resolve the directory of '%s'", path);
    return rc;
}

/* libconfig's parse of the main file into @lc (initialised), its error reported. */
static acc_err
s_parse(acc_config_ctx_t *ctx, config_t *lc, const char *path)
{
    config_set_include_dir(lc, ctx->dir);
    if (config_read_file(lc, path))
        return ACC_OK;
    if (config_error_type(lc) == CONFIG_ERR_FILE_IO) {
        s_io_problem(ctx, "cannot read '%s'", path);
        return ACC_ERR_IO;
    }
    char file[PATH_MAX], where[PATH_MAX + 16];
    acc_config_display_file(ctx, config_error_file(lc), file, sizeof file);
    snprintf(where, sizeof where, "%s:%d", file, config_error_line(lc));
    const char *text = config_error_text(lc);
    acc_config_problem_at(ctx, where, NULL, "%s", text ? text : "syntax error");
    return ACC_ERR_CONFIG;
}

/* Every key of @lc, and the peers of @plc when @peers_file is 1, into @cfg; then the
 * rules that span keys. */
static void
s_read(acc_config_ctx_t *ctx, acc_config_t *cfg, config_t *lc, config_t *plc, int peers_file,
       const config_setting_t *inline_peers)
{
    s_set_defaults(ctx, acc_config_root_keys, acc_config_n_root_keys, cfg);
    if (!ctx->fatal)
        acc_config_read_group(ctx, config_root_setting(lc), "", acc_config_root_keys,
                              acc_config_n_root_keys, cfg);
    if (peers_file == 1 && inline_peers && !ctx->fatal) {
        acc_config_problem(
            ctx, inline_peers, NULL,
            "'peers' is set in both '%s' and '%s': keep one ('accordctl peer' writes '%s')",
            ctx->path, ctx->peers_path, ACC_CONFIG_PEERS_FILE);
    } else if (peers_file == 1 && !ctx->fatal) {
        ctx->peers_list = config_lookup(plc, "peers");
        acc_config_read_group(ctx, config_root_setting(plc), "", acc_config_peers_file_keys,
                              acc_config_n_peers_file_keys, cfg);
    } else if (inline_peers) {
        ctx->peers_list = inline_peers;
        cfg->peers_inline = !acc_config_peers_included(ctx, inline_peers);
    }
    if (!ctx->fatal)
        acc_config_cross_check(ctx, cfg);
}

/* The loader behind acc_config_load and acc_config_check. */
static acc_err
s_load(acc_config_ctx_t *ctx, acc_config_t **out)
{
    acc_config_t *cfg = NULL;
    char *dir = NULL;
    config_t lc, plc;
    bool lc_init = false, plc_init = false;
    int peers_file = 0;
    const config_setting_t *inline_peers = NULL;
    const char *path = ctx->path;

    acc_err rc = s_open_dir(ctx, path, &dir);
    if (rc)
        return rc;
    ctx->dir = dir;

    /* The scanner runs first: it vets every @include before libconfig opens it, and
     * finds the literals libconfig will wrap. */
    acc_config_lex(ctx, path);
    if (ctx->fatal || ctx->n_problems > 0) {
        rc = ctx->fatal ? ctx->fatal : ACC_ERR_CONFIG;
        goto out;
    }

    config_init(&lc);
    lc_init = true;
    ctx->lc = &lc;
    rc = s_parse(ctx, &lc, path);
    if (rc)
        goto out;

    ctx->peers_path = acc_config_peers_path(path);
    if (!ctx->peers_path) {
        rc = ACC_ERR_NOMEM;
        goto out;
    }
    inline_peers = config_lookup(&lc, "peers");
    peers_file = acc_config_peers_open(ctx, inline_peers, &plc, &plc_init);
    if (ctx->fatal) {
        rc = ctx->fatal;
        goto out;
    }

    cfg = calloc(1, sizeof *cfg);
    if (!cfg || !(cfg->path = strdup(path)) || !(cfg->dir = strdup(dir))) {
        rc = ACC_ERR_NOMEM;
        goto out;
    }
    s_read(ctx, cfg, &lc, &plc, peers_file, inline_peers);
    if (ctx->fatal)
        rc = ctx->fatal;
    else if (ctx->n_problems > 0)
        rc = ACC_ERR_CONFIG;
    else
        rc = ACC_OK;
    if (rc == ACC_OK && out) {
        *out = cfg;
        cfg = NULL;
    }
out:
    acc_config_destroy(&cfg);
    for (size_t i = 0; i < ctx->n_flags; i++)
        free(ctx->flags[i].where);
    free(ctx->flags);
    ctx->flags = NULL;
    ctx->n_flags = 0;
    if (plc_init)
        config_destroy(&plc);
    if (lc_init)
        config_destroy(&lc);
    ctx->lc = NULL;
    ctx->peers_list = NULL;
    ctx->dir = NULL;
    free(ctx->peers_path);
    ctx->peers_path = NULL;
    free(dir);
    return rc;
}

acc_err
acc_config_load(const char *path, acc_config_t **out, acc_errinfo_t *ei)
{
    acc_errinfo_clear(ei);
    acc_config_ctx_t ctx = {.path = path ? path : "", .ei = ei};
    acc_config_t *cfg = NULL;
    acc_err rc = s_load(&ctx, &cfg);
    if (rc == ACC_OK) {
        if (out)
            *out = cfg;
        else
            acc_config_destroy(&cfg);
    } else if (rc == ACC_ERR_NOMEM) {
        acc_errinfo_set(ei, ctx.path, "out of memory");
    }
    return rc;
}

acc_err
acc_config_check(const char *path, void (*report)(void *arg, const char *where, const char *msg),
                 void *arg)
{
    acc_config_ctx_t ctx = {.path = path ? path : "", .report = report, .arg = arg};
    return s_load(&ctx, NULL);
}

void
acc_config_destroy(acc_config_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    acc_config_t *c = *self_p;
    acc_config_free_keys(acc_config_root_keys, acc_config_n_root_keys, c);
    free(c->path);
    free(c->dir);
    free(c->intake.ipc_path);
    free(c);
    *self_p = NULL;
}

const acc_category_t *
acc_config_category(const acc_config_t *cfg, const char *id)
{
    if (!cfg || !id)
        return NULL;
    for (size_t i = 0; i < cfg->n_categories; i++)
        if (strcmp(cfg->categories[i].id, id) == 0)
            return &cfg->categories[i];
    return NULL;
}

void
acc_config_category_list(const acc_config_t *cfg, char *buf, size_t buflen)
{
    if (!buf || buflen == 0)
        return;
    buf[0] = '\0';
    size_t used = 0;
    for (size_t i = 0; cfg && i < cfg->n_categories && used + 1 < buflen; i++) {
        int w = snprintf(buf + used, buflen - used, "%s%s", i ? ", " : "", cfg->categories[i].id);
        if (w < 0)
            break;
        used += (size_t)w;
    }
}

const acc_source_cfg_t *
acc_config_source(const acc_config_t *cfg, const char *name)
{
    if (!cfg || !name)
        return NULL;
    for (size_t i = 0; i < cfg->n_sources; i++)
        if (strcmp(cfg->sources[i].name, name) == 0)
            return &cfg->sources[i];
    return NULL;
}

/* Equal strings, in time that depends on the lengths only, not on where they differ. */
static bool
s_token_equal(const char *known, const char *given, size_t given_len)
{
    size_t len = strlen(known);
    unsigned char diff = len != given_len;
    for (size_t i = 0; i < len; i++)
        diff |= (unsigned char)known[i] ^ (unsigned char)(i < given_len ? given[i] : 0);
    return diff == 0;
}

const acc_source_cfg_t *
acc_config_source_by_token(const acc_config_t *cfg, const char *token)
{
    if (!cfg || !token || !*token)
        return NULL;
    size_t len = strlen(token);
    const acc_source_cfg_t *found = NULL;
    /* No early exit: every configured token is compared. */
    for (size_t i = 0; i < cfg->n_sources; i++)
        if (cfg->sources[i].token && s_token_equal(cfg->sources[i].token, token, len) && !found)
            found = &cfg->sources[i];
    return found;
}

const acc_peer_cfg_t *
acc_config_peer(const acc_config_t *cfg, const char *agency)
{
    if (!cfg || !agency)
        return NULL;
    for (size_t i = 0; i < cfg->n_peers; i++)
        if (strcmp(cfg->peers[i].agency, agency) == 0)
            return &cfg->peers[i];
    return NULL;
}

const acc_peer_cfg_t *
acc_config_lead(const acc_config_t *cfg)
{
    for (size_t i = 0; cfg && i < cfg->n_peers; i++)
        if (cfg->peers[i].role == ACC_ROLE_LEAD)
            return &cfg->peers[i];
    return NULL;
}
