/*
 * acc_config_render — writes configuration files as text: a complete, commented node.cfg
 * for `accordctl init`, generated from the key tables (acc_config_schema.c) so that the
 * file documents every key with its default; and peers.cfg for acc_config_peers_write.
 * Both are read back by the loader, so every string is quoted the way libconfig reads it.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acc_config_int.h"

/* Indexed by acc_log level, as acc_log_parse_level reads them. */
static const char *const s_level_names[] = {"error", "warn", "info", "debug"};

typedef struct s_buf {
    char *p;
    size_t len, cap;
    bool oom;
} s_buf_t;

static void s_buf_printf(s_buf_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
s_buf_printf(s_buf_t *b, const char *fmt, ...)
{
    if (b->oom)
        return;
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int w = vsnprintf(b->p ? b->p + b->len : NULL, b->p ? b->cap - b->len : 0, fmt, ap);
        va_end(ap);
        if (w < 0) {
            b->oom = true;
            return;
        }
        if (b->p && b->len + (size_t)w < b->cap) {
            b->len += (size_t)w;
            return;
        }
        size_t cap = b->cap ? b->cap : 4096;
        while (cap <= b->len + (size_t)w)
            cap *= 2;
        char *np = realloc(b->p, cap);
        if (!np) {
            b->oom = true;
            return;
        }
        b->p = np;
        b->cap = cap;
    }
}

/* A libconfig string literal: only '"' and '\' need escaping (control characters are
 * refused by validation). */
static void
s_buf_quoted(s_buf_t *b, const char *s)
{
    s_buf_printf(b, "\"");
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            s_buf_printf(b, "\\%c", *s);
        else
            s_buf_printf(b, "%c", *s);
    }
    s_buf_printf(b, "\"");
}

static void
s_buf_comment(s_buf_t *b, const char *indent, const char *text)
{
    while (text && *text) {
        const char *nl = strchr(text, '\n');
        int n = nl ? (int)(nl - text) : (int)strlen(text);
        s_buf_printf(b, "%s# %.*s\n", indent, n, text);
        text = nl ? nl + 1 : NULL;
    }
}

static void
s_render_keys(s_buf_t *b, const acc_config_key_t *keys, size_t n, const char *indent,
              const char *agency, const char *name, int port_base)
{
    for (size_t i = 0; i < n; i++) {
        const acc_config_key_t *k = &keys[i];
        char bind[64];
        if ((k->kind == ACC_CONFIG_GROUP || k->kind == ACC_CONFIG_LIST) && indent[0] == '\0')
            s_buf_printf(b, "\n");
        s_buf_comment(b, indent, k->help);
        if (k->example) {
            /* Lists with no default are shown as a commented-out example. */
            s_buf_comment(b, indent, k->example);
            continue;
        }
        s_buf_printf(b, "%s%s = ", indent, k->name);
        switch (k->kind) {
        case ACC_CONFIG_INT:
            s_buf_printf(b, "%lld%s;\n", (long long)k->def_int,
                         (k->def_int > INT32_MAX || k->def_int < INT32_MIN) ? "L" : "");
            break;
        case ACC_CONFIG_LEVEL:
            s_buf_printf(b, "\"%s\";\n", s_level_names[k->def_int]);
            break;
        case ACC_CONFIG_BOOL:
            s_buf_printf(b, "%s;\n", k->def_int ? "true" : "false");
            break;
        case ACC_CONFIG_STRLIST:
            s_buf_printf(b, "[ ];\n");
            break;
        case ACC_CONFIG_ROLE: /* required, in lists only: never rendered with a value */
            s_buf_printf(b, "\"%s\";\n", acc_role_name(ACC_ROLE_COORDINATING));
            break;
        case ACC_CONFIG_STRING:
            /* agency and name are the operator's; other strings have defaults. */
            s_buf_quoted(b, k->offset == offsetof(acc_config_t, agency) ? agency
                            : k->offset == offsetof(acc_config_t, name)
                                ? name
                                : (k->def_str ? k->def_str : ""));
            s_buf_printf(b, ";\n");
            break;
        case ACC_CONFIG_PATH:
            s_buf_quoted(b, k->def_str ? k->def_str : "");
            s_buf_printf(b, ";\n");
            break;
        case ACC_CONFIG_BIND:
            acc_config_default_bind(k, port_base, bind, sizeof bind);
            s_buf_printf(b, "\"%s\";\n", bind);
            break;
        case ACC_CONFIG_GROUP: {
            char inner[64];
            acc_config_fmt(inner, sizeof inner, "%s    ", indent);
            s_buf_printf(b, "{\n");
            s_render_keys(b, k->sub, k->n_sub, inner, agency, name, port_base);
            s_buf_printf(b, "%s};\n", indent);
            break;
        }
        case ACC_CONFIG_LIST: /* the only list with a default: the taxonomy */
            s_buf_printf(b, "(\n");
            for (size_t j = 0; j < acc_config_n_default_categories; j++) {
                s_buf_printf(b, "%s    { id = ", indent);
                s_buf_quoted(b, acc_config_default_categories[j].id);
                s_buf_printf(b, "; vi = ");
                s_buf_quoted(b, acc_config_default_categories[j].vi);
                s_buf_printf(b, "; en = ");
                s_buf_quoted(b, acc_config_default_categories[j].en);
                s_buf_printf(b, "; }%s\n", j + 1 < acc_config_n_default_categories ? "," : "");
            }
            s_buf_printf(b, "%s);\n", indent);
            break;
        }
    }
}

acc_err
acc_config_render(const char *agency, const char *name, int port_base, char **out,
                  acc_errinfo_t *ei)
{
    acc_errinfo_clear(ei);
    if (!acc_agency_valid(agency)) {
        acc_errinfo_set(ei, "agency", "'%s' %s", agency ? agency : "",
                        acc_config_rule_agency(agency ? agency : ""));
        return ACC_ERR_INVALID;
    }
    if (!name)
        name = agency;
    const char *why = acc_config_rule_text(name);
    if (why) {
        acc_errinfo_set(ei, "name", "'name' %s", why);
        return ACC_ERR_INVALID;
    }
    if (port_base == 0)
        port_base = ACC_CONFIG_PORT_DEFAULT;
    else if (port_base < ACC_CONFIG_PORT_MIN || port_base > 65535 - ACC_CONFIG_PORT_LAST) {
        /* port_base + 14 (reporting's stream endpoint) must still be a port. */
        acc_errinfo_set(ei, "port_base", "port base %d must be 0 or between %d and %d", port_base,
                        ACC_CONFIG_PORT_MIN, 65535 - ACC_CONFIG_PORT_LAST);
        return ACC_ERR_INVALID;
    }

    s_buf_t b = {0};
    s_buf_printf(&b, "# accord node configuration (cấu hình nút accord)\n"
                     "#\n"
                     "# Format: libconfig. Every key except 'agency' is optional and takes\n"
                     "# the value shown here when absent; unknown keys are errors.\n"
                     "# Relative paths, and @include, resolve against this file's directory.\n"
                     "# Integers beyond 32 bits need the L suffix (3000000000L).\n\n");
    s_render_keys(&b, acc_config_root_keys, acc_config_n_root_keys, "", agency, name, port_base);
    if (b.oom) {
        free(b.p);
        acc_errinfo_set(ei, "", "out of memory");
        return ACC_ERR_NOMEM;
    }
    *out = b.p;
    return ACC_OK;
}

static void
s_render_peers(s_buf_t *b, const char *own, const acc_peer_cfg_t *peers, size_t n)
{
    s_buf_printf(b,
                 "# %s — federation peers of node '%s' (các cơ quan liên kết)\n"
                 "#\n"
                 "# Written by `accordctl peer add` / `accordctl peer remove`; the node reads\n"
                 "# this file at start (restart it after a change). Changes made here by hand\n"
                 "# are kept, but comments and layout are not when accordctl rewrites the file.\n"
                 "# role: lead | coordinating | parent | child (what the peer is to this node)\n\n",
                 ACC_CONFIG_PEERS_FILE, own ? own : "");
    s_buf_printf(b, "peers = (%s", n ? "\n" : " ");
    for (size_t i = 0; i < n; i++) {
        const acc_peer_cfg_t *p = &peers[i];
        s_buf_printf(b, "    { agency = ");
        s_buf_quoted(b, p->agency);
        s_buf_printf(b, "; role = \"%s\";\n      endpoint = ", acc_role_name(p->role));
        s_buf_quoted(b, p->endpoint);
        s_buf_printf(b, ";\n      public_key = ");
        s_buf_quoted(b, p->public_key);
        s_buf_printf(b, ";");
        if (p->name && *p->name) {
            s_buf_printf(b, "\n      name = ");
            s_buf_quoted(b, p->name);
            s_buf_printf(b, ";");
        }
        s_buf_printf(b, " }%s\n", i + 1 < n ? "," : "");
    }
    s_buf_printf(b, ");\n");
}

char *
acc_config_render_peers(const char *own, const acc_peer_cfg_t *peers, size_t n)
{
    s_buf_t b = {0};
    s_render_peers(&b, own, peers, n);
    if (b.oom) {
        free(b.p);
        return NULL;
    }
    return b.p;
}
