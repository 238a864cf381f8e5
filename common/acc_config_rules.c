/*
 * acc_config_rules — what a configuration value may be, and the rules that span keys.
 *
 * The value rules (acc_config_rule_*) are named in the key tables (acc_config_schema.c)
 * and run by the walker on each value as it is read; the same rules check what
 * acc_config_render and acc_config_peers_write are given, so that what accordctl writes is
 * what the node accepts. acc_config_cross_check runs once every key is read: endpoints
 * that collide, ranges bounded by another key, peers against each other, feed tags
 * against the taxonomy, and the values derived from other keys.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acc_config_int.h"
#include "acc_curve.h"
#include "acc_text.h"

/* ---- value rules ---------------------------------------------------------------------- */

const char *
acc_config_rule_text(const char *v)
{
    size_t len = strlen(v);
    if (len == 0)
        return "must not be empty";
    if (len > ACC_CONFIG_TEXT_MAX)
        return "must be at most 200 bytes";
    if (!acc_text_utf8_valid(v, len))
        return "must be valid UTF-8";
    for (const unsigned char *p = (const unsigned char *)v; *p; p++)
        if (*p < 0x20 || *p == 0x7F)
            return "must not contain control characters";
    return NULL;
}

const char *
acc_config_rule_agency(const char *v)
{
    return acc_agency_valid(v) ? NULL
                               : "must match [a-z0-9][a-z0-9-]{1,31} (lowercase "
                                 "letters, digits and '-', 2 to 32 characters)";
}

const char *
acc_config_rule_category_id(const char *v)
{
    return acc_ids_slug_valid(v, 1, 48) ? NULL : "must match [a-z0-9][a-z0-9-]{0,47}";
}

const char *
acc_config_rule_path(const char *v)
{
    if (!*v)
        return "must not be empty";
    if (strlen(v) > ACC_CONFIG_DIR_MAX)
        return "is too long";
    return NULL;
}

/* HOST:PORT, HOST a name, an IPv4 address, "*" or "[IPv6]", PORT 1..65535. */
static bool
s_valid_host_port(const char *host)
{
    const char *colon = strrchr(host, ':');
    if (!colon || colon == host)
        return false;
    if (host[0] == '[') {
        if (colon[-1] != ']' || colon - host < 3)
            return false;
        for (const char *p = host + 1; p < colon - 1; p++)
            if (!strchr("0123456789abcdefABCDEF:.", *p))
                return false;
    } else {
        for (const char *p = host; p < colon; p++) {
            char c = *p;
            bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '.' || c == '-' || c == '_' || c == '*';
            if (!ok)
                return false;
        }
    }
    const char *port = colon + 1;
    size_t plen = strlen(port);
    if (plen == 0 || plen > 5)
        return false;
    long n = 0;
    for (const char *p = port; *p; p++) {
        if (*p < '0' || *p > '9')
            return false;
        n = n * 10 + (*p - '0');
    }
    return n >= 1 && n <= 65535;
}

/* "" | "tcp://HOST:PORT" | "ipc://PATH" */
const char *
acc_config_rule_bind(const char *v)
{
    static const char *const bad = "must be \"\" (none), \"tcp://HOST:PORT\" with a port "
                                   "from 1 to 65535, or \"ipc://PATH\"";
    size_t len = strlen(v);
    if (len == 0)
        return NULL;
    if (len > ACC_CONFIG_BIND_MAX)
        return "must be at most 256 bytes";
    if (strncmp(v, "ipc://", 6) == 0) {
        size_t plen = len - 6;
        if (plen == 0)
            return bad;
        return plen > ACC_CONFIG_SUN_PATH_MAX ? "has an ipc path longer than 107 bytes" : NULL;
    }
    if (strncmp(v, "tcp://", 6) != 0)
        return bad;
    return s_valid_host_port(v + 6) ? NULL : bad;
}

/* "" | "HOST:PORT" (the HTTP listener) */
const char *
acc_config_rule_host_port(const char *v)
{
    if (!*v)
        return NULL;
    if (strlen(v) > ACC_CONFIG_BIND_MAX)
        return "must be at most 256 bytes";
    return s_valid_host_port(v) ? NULL
                                : "must be \"\" (none) or \"HOST:PORT\" with a port from 1 "
                                  "to 65535";
}

/* [a-z0-9][a-z0-9._:-]{0,63} */
const char *
acc_config_rule_source_name(const char *v)
{
    size_t len = strlen(v);
    bool ok = len >= 1 && len <= 64;
    for (size_t i = 0; ok && i < len; i++) {
        char c = v[i];
        ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
             (i > 0 && (c == '.' || c == '_' || c == ':' || c == '-'));
    }
    if (!ok)
        return "must match [a-z0-9][a-z0-9._:-]{0,63}";
    /* "citizen" may be listed to give the built-in citizen source a trust level and a
     * default confidence; the form and the citizen API need no token either way. */
    return NULL;
}

const char *
acc_config_rule_token(const char *v)
{
    size_t len = strlen(v);
    if (len < ACC_CONFIG_TOKEN_MIN)
        return "must be at least 16 characters";
    if (len > ACC_CONFIG_TOKEN_MAX)
        return "must be at most 256 characters";
    for (const unsigned char *p = (const unsigned char *)v; *p; p++)
        if (*p < 0x21 || *p > 0x7E)
            return "must be printable ASCII without spaces";
    /* An example uncommented as is would give every node the same published secret. */
    if (strcmp(v, ACC_CONFIG_TOKEN_EXAMPLE) == 0)
        return "is the example from the generated file: set a random secret";
    return NULL;
}

const char *
acc_config_rule_trust(const char *v)
{
    if (strcmp(v, "high") == 0 || strcmp(v, "medium") == 0 || strcmp(v, "low") == 0)
        return NULL;
    return "must be one of high, medium, low";
}

/* Free text of a legal decision (legal basis, reasons): lines and tabs allowed. */
const char *
acc_config_rule_long_text(const char *v)
{
    size_t len = strlen(v);
    if (len > ACC_CONFIG_LONG_TEXT_MAX)
        return "must be at most 2000 bytes";
    if (!acc_text_utf8_valid(v, len))
        return "must be valid UTF-8";
    for (const unsigned char *p = (const unsigned char *)v; *p; p++)
        if ((*p < 0x20 && *p != '\n' && *p != '\t') || *p == 0x7F)
            return "must not contain control characters other than tab and newline";
    if (strcmp(v, ACC_CONFIG_LEGAL_EXAMPLE) == 0 || strcmp(v, ACC_CONFIG_REASONS_EXAMPLE) == 0)
        return "is the example from the generated file: write the real text";
    return NULL;
}

/* A peer's intake, to connect to: "tcp://HOST:PORT" with a real host (no "*"). */
const char *
acc_config_rule_peer_endpoint(const char *v)
{
    static const char *const bad = "must be \"tcp://HOST:PORT\" (the peer's intake) with a "
                                   "port from 1 to 65535";
    if (strlen(v) > ACC_CONFIG_BIND_MAX)
        return "must be at most 256 bytes";
    if (strncmp(v, "tcp://", 6) != 0 || !s_valid_host_port(v + 6))
        return bad;
    if (strchr(v, '*'))
        return "must name the peer's host, not \"*\"";
    return NULL;
}

/* stream_connect: a concrete "tcp://HOST:PORT" to connect to */
const char *
acc_config_rule_connect(const char *v)
{
    if (strlen(v) > ACC_CONFIG_BIND_MAX)
        return "must be at most 256 bytes";
    if (strncmp(v, "tcp://", 6) != 0 || !s_valid_host_port(v + 6) || strchr(v, '*'))
        return "must be \"tcp://HOST:PORT\" with a host to connect to and a port from 1 to "
               "65535";
    return NULL;
}

const char *
acc_config_rule_public_key(const char *v)
{
    return acc_curve_key_valid(v) ? NULL
                                  : "must be a CURVE public key: 40 Z85 characters (the "
                                    "peer's keys/node.pub)";
}

/* ---- roles ---------------------------------------------------------------------------- */

static const char *const s_role_names[] = {NULL, "lead", "coordinating", "parent", "child"};

const char *
acc_role_name(acc_role role)
{
    if ((int)role < ACC_ROLE_LEAD || (int)role > ACC_ROLE_CHILD)
        return "unknown";
    return s_role_names[role];
}

acc_role
acc_role_parse(const char *name)
{
    for (int r = ACC_ROLE_LEAD; name && r <= ACC_ROLE_CHILD; r++)
        if (strcmp(name, s_role_names[r]) == 0)
            return (acc_role)r;
    return (acc_role)0;
}

bool
acc_config_role_valid(acc_role role)
{
    return (int)role >= ACC_ROLE_LEAD && (int)role <= ACC_ROLE_CHILD;
}

const char *
acc_config_peer_conflict(const char *own, const acc_peer_cfg_t *peers, size_t i, const char **key,
                         char *buf, size_t size)
{
    const acc_peer_cfg_t *p = &peers[i];
    if (own && p->agency && strcmp(own, p->agency) == 0) {
        *key = "agency";
        acc_config_fmt(buf, size, "'%s' is this node's own agency", p->agency);
        return buf;
    }
    for (size_t j = 0; j < i; j++) {
        const acc_peer_cfg_t *q = &peers[j];
        if (p->agency && q->agency && strcmp(p->agency, q->agency) == 0) {
            *key = "agency";
            acc_config_fmt(buf, size, "duplicate agency '%s': it is listed twice", p->agency);
            return buf;
        }
        if (p->public_key && q->public_key && strcmp(p->public_key, q->public_key) == 0) {
            *key = "public_key";
            acc_config_fmt(buf, size, "duplicate public key: '%s' has the key of '%s'",
                           p->agency ? p->agency : "?", q->agency ? q->agency : "?");
            return buf;
        }
        if ((p->role == ACC_ROLE_LEAD || p->role == ACC_ROLE_PARENT) && q->role == p->role) {
            *key = "role";
            acc_config_fmt(buf, size,
                           "'%s' would be a second peer with role %s ('%s' is one already): "
                           "at most one is allowed",
                           p->agency ? p->agency : "?", acc_role_name(p->role),
                           q->agency ? q->agency : "?");
            return buf;
        }
    }
    return NULL;
}

/* ---- rules that span keys --------------------------------------------------------------- */

static acc_err
s_default_taxonomy(acc_config_t *cfg)
{
    size_t n = acc_config_n_default_categories;
    acc_category_t *cats = calloc(n, sizeof *cats);
    if (!cats)
        return ACC_ERR_NOMEM;
    cfg->categories = cats;
    cfg->n_categories = n;
    for (size_t i = 0; i < n; i++) {
        cats[i].id = strdup(acc_config_default_categories[i].id);
        cats[i].name_vi = strdup(acc_config_default_categories[i].vi);
        cats[i].name_en = strdup(acc_config_default_categories[i].en);
        if (!cats[i].id || !cats[i].name_vi || !cats[i].name_en)
            return ACC_ERR_NOMEM; /* the caller's destroy frees what is there */
    }
    return ACC_OK;
}

static const config_setting_t *
s_setting_or_root(const acc_config_ctx_t *ctx, const char *key)
{
    const config_setting_t *s = config_lookup(ctx->lc, key);
    return s ? s : config_root_setting(ctx->lc);
}

/* name defaults to the agency; the intake maps are ordered; the intake socket under
 * data_dir fits a unix socket address. Returns false when out of memory. */
static bool
s_check_intake(acc_config_ctx_t *ctx, acc_config_t *cfg)
{
    if (!cfg->name && cfg->agency)
        acc_config_store_str(ctx, &cfg->name, cfg->agency);

    if (cfg->intake.map_max_mb < cfg->intake.map_size_mb) {
        const config_setting_t *s = config_lookup(ctx->lc, "intake.map_max_mb");
        acc_config_problem(
            ctx, s ? s : s_setting_or_root(ctx, "intake.map_size_mb"), NULL,
            "'intake.map_max_mb' (%lld) must not be below 'intake.map_size_mb' (%lld)",
            (long long)cfg->intake.map_max_mb, (long long)cfg->intake.map_size_mb);
    }

    if (cfg->data_dir && !ctx->fatal) {
        static const char sock[] = "/intake.sock";
        size_t len = strlen(cfg->data_dir) + sizeof sock;
        char *ipc = malloc(len);
        if (!ipc) {
            ctx->fatal = ACC_ERR_NOMEM;
            return false;
        }
        snprintf(ipc, len, "%s%s", cfg->data_dir, sock);
        if (len - 1 > ACC_CONFIG_SUN_PATH_MAX) {
            acc_config_problem(ctx, s_setting_or_root(ctx, "data_dir"), NULL,
                               "'data_dir' is too long: the intake socket '%s' would be %zu "
                               "bytes, at most %d fit a unix socket address",
                               ipc, len - 1, ACC_CONFIG_SUN_PATH_MAX);
            free(ipc);
        } else {
            free(cfg->intake.ipc_path);
            cfg->intake.ipc_path = ipc;
        }
    }
    return true;
}

/* Two listeners cannot share an endpoint; say so now rather than at bind time. */
static void
s_check_endpoints(acc_config_ctx_t *ctx, const acc_config_t *cfg)
{
    static const char *const keys[] = {"intake.bind",       "intake.stream_bind",
                                       "verification.bind", "verification.stream_bind",
                                       "assignment.bind",   "assignment.stream_bind",
                                       "notification.bind", "notification.stream_bind",
                                       "reporting.bind",    "reporting.stream_bind",
                                       "http.bind"};
    char http[ACC_CONFIG_BIND_MAX + 8] = "";
    if (cfg->http.bind && cfg->http.bind[0])
        acc_config_fmt(http, sizeof http, "tcp://%s", cfg->http.bind);
    const char *binds[] = {cfg->intake.bind,
                           cfg->intake_stream_bind,
                           cfg->verification.bind,
                           cfg->verification.stream_bind,
                           cfg->assignment.bind,
                           cfg->assignment.stream_bind,
                           cfg->notification.bind,
                           cfg->notification.stream_bind,
                           cfg->reporting.bind,
                           cfg->reporting.stream_bind,
                           http};
    _Static_assert(ACC_CONFIG_LEN(keys) == ACC_CONFIG_LEN(binds), "one key per listener");
    for (size_t i = 1; i < ACC_CONFIG_LEN(binds); i++) {
        for (size_t j = 0; j < i; j++) {
            if (binds[i] && binds[j] && binds[i][0] && strcmp(binds[i], binds[j]) == 0) {
                acc_config_problem(ctx, s_setting_or_root(ctx, keys[i]), NULL,
                                   "'%s' uses the same endpoint as '%s' ('%s')", keys[i], keys[j],
                                   binds[i]);
                break;
            }
        }
    }
}

/* Automated decisions need their stated basis and at least one source. */
static void
s_check_auto_verify(acc_config_ctx_t *ctx, const acc_config_t *cfg)
{
    if (!cfg->auto_verify.enabled)
        return;
    /* An empty or absent basis is the problem reported here (a value of the wrong kind
     * was reported when read). */
    static const char *const need[] = {"verification.auto.legal_basis",
                                       "verification.auto.reasons"};
    const char *have[] = {cfg->auto_verify.legal_basis, cfg->auto_verify.reasons};
    for (size_t i = 0; i < ACC_CONFIG_LEN(need); i++) {
        const config_setting_t *at = config_lookup(ctx->lc, need[i]);
        const char *v = at && config_setting_type(at) == CONFIG_TYPE_STRING
                            ? config_setting_get_string(at)
                            : NULL;
        if (!have[i] && (!at || (v && !*v)))
            acc_config_problem(ctx, at ? at : s_setting_or_root(ctx, "verification.auto.enabled"),
                               NULL,
                               "'%s' is required and must not be empty when "
                               "'verification.auto.enabled' is true",
                               need[i]);
    }
    const config_setting_t *src = config_lookup(ctx->lc, "verification.auto.sources");
    if (cfg->auto_verify.n_sources == 0 && (!src || config_setting_length(src) == 0))
        acc_config_problem(ctx, src ? src : s_setting_or_root(ctx, "verification.auto.enabled"),
                           NULL,
                           "'verification.auto.sources' must name at least one source when "
                           "'verification.auto.enabled' is true");
}

/* The spool defaults to <data_dir>/spool; the retry delays are ordered. */
static void
s_check_notify(acc_config_ctx_t *ctx, acc_config_t *cfg)
{
    if (!cfg->notify.spool_dir && cfg->data_dir && !ctx->fatal) {
        cfg->notify.spool_dir = acc_config_abs_path(cfg->data_dir, "spool");
        if (!cfg->notify.spool_dir)
            ctx->fatal = ACC_ERR_NOMEM;
    }
    if (cfg->notify.retry_max_ms < cfg->notify.retry_min_ms) {
        const config_setting_t *s = config_lookup(ctx->lc, "notification.retry_max_ms");
        acc_config_problem(ctx, s ? s : s_setting_or_root(ctx, "notification.retry_min_ms"), NULL,
                           "'notification.retry_max_ms' (%lld) must not be below "
                           "'notification.retry_min_ms' (%lld)",
                           (long long)cfg->notify.retry_max_ms,
                           (long long)cfg->notify.retry_min_ms);
    }
}

/* Each peer against this node and the peers before it, at its line in either file. */
static void
s_check_peers(acc_config_ctx_t *ctx, const acc_config_t *cfg)
{
    for (size_t i = 0; i < cfg->n_peers; i++) {
        const char *key = NULL;
        char why[384];
        if (!acc_config_peer_conflict(cfg->agency, cfg->peers, i, &key, why, sizeof why))
            continue;
        const config_setting_t *list = ctx->peers_list;
        const config_setting_t *e = list ? config_setting_get_elem(list, (unsigned)i) : NULL;
        const config_setting_t *at = e ? config_setting_get_member(e, key) : NULL;
        acc_config_problem(ctx, at ? at : (e ? e : config_root_setting(ctx->lc)), NULL,
                           "'peers[%zu].%s': %s", i, key, why);
    }
}

/* The default taxonomy when none is set; every feed tag maps to a category this node has
 * (skipped when the taxonomy itself failed to load: the error is reported there). */
static void
s_check_taxonomy(acc_config_ctx_t *ctx, acc_config_t *cfg)
{
    bool own_taxonomy = config_lookup(ctx->lc, "categories") != NULL;
    if (!cfg->categories && !own_taxonomy && !ctx->fatal) {
        acc_err rc = s_default_taxonomy(cfg);
        if (rc)
            ctx->fatal = rc;
    }
    for (size_t i = 0; cfg->categories && i < cfg->n_feed_tags && !ctx->fatal; i++) {
        const char *cat = cfg->feed_tags[i].category;
        if (cat && !acc_config_category(cfg, cat)) {
            const config_setting_t *list = config_lookup(ctx->lc, "feed_tags");
            const config_setting_t *e = list ? config_setting_get_elem(list, (unsigned)i) : NULL;
            const config_setting_t *at = e ? config_setting_get_member(e, "category") : NULL;
            acc_config_problem(ctx, at ? at : s_setting_or_root(ctx, "feed_tags"), NULL,
                               "'feed_tags[%zu].category' names unknown category '%s'", i, cat);
        }
    }
}

void
acc_config_cross_check(acc_config_ctx_t *ctx, acc_config_t *cfg)
{
    if (!s_check_intake(ctx, cfg))
        return;
    s_check_endpoints(ctx, cfg);
    s_check_auto_verify(ctx, cfg);
    s_check_notify(ctx, cfg);
    s_check_peers(ctx, cfg);
    if (!cfg->http.tls_cert != !cfg->http.tls_key) {
        const char *set = cfg->http.tls_cert ? "http.tls_cert" : "http.tls_key";
        const char *unset = cfg->http.tls_cert ? "http.tls_key" : "http.tls_cert";
        acc_config_problem(ctx, s_setting_or_root(ctx, set), NULL, "'%s' needs '%s' as well", set,
                           unset);
    }
    s_check_taxonomy(ctx, cfg);
    acc_config_flags_report(ctx);
}
