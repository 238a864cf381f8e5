/*
 * acc_config_int — the internal seam between the files of the acc_config module. Not for
 * use outside common/acc_config*.c.
 *
 *   acc_config.c         load entry points and the walker: the parsed libconfig tree read
 *                        against the key tables, every problem reported with file:line
 *   acc_config_schema.c  the key tables, one row per key, and the default taxonomy
 *   acc_config_rules.c   value rules (agency, endpoints, tokens, text), roles, and the
 *                        rules that span keys, run once every key is read
 *   acc_config_lex.c     the scanner that finds integers libconfig 1.5 would wrap and
 *                        vets every @include before libconfig opens it
 *   acc_config_render.c  node.cfg for `accordctl init`, and the text of peers.cfg
 *   acc_config_peers.c   peers.cfg: found and read at load, rewritten atomically
 *
 * Data flow of a load: acc_config.c opens the file, acc_config_lex scans it, libconfig
 * parses it, the walker fills an acc_config_t from the schema (value rules from
 * acc_config_rules), acc_config_peers adds peers.cfg, and acc_config_cross_check runs the
 * rules that span keys.
 */
#ifndef ACC_CONFIG_INT_H
#define ACC_CONFIG_INT_H

#include <libconfig.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "acc_config.h"
#include "acc_ids.h"

#define ACC_CONFIG_TEXT_MAX 200       /* bytes of `name` and of a category label */
#define ACC_CONFIG_LONG_TEXT_MAX 2000 /* bytes of verification.auto.legal_basis, .reasons */
#define ACC_CONFIG_CATEGORIES_MAX 256 /* entries in `categories` */
#define ACC_CONFIG_SOURCES_MAX 256    /* entries in `sources` */
#define ACC_CONFIG_FEED_TAGS_MAX 1024 /* entries in `feed_tags` */
#define ACC_CONFIG_PEERS_MAX 256      /* entries in `peers` */
#define ACC_CONFIG_TOKEN_MIN 16       /* bytes of a source's bearer token */
#define ACC_CONFIG_TOKEN_MAX 256
#define ACC_CONFIG_SUN_PATH_MAX 107  /* sizeof(sockaddr_un.sun_path) - 1 on Linux */
#define ACC_CONFIG_BIND_MAX 256      /* bytes of an endpoint string */
#define ACC_CONFIG_DIR_MAX 4000      /* bytes of data_dir / keys_dir as written */
#define ACC_CONFIG_PORT_DEFAULT 7400 /* intake; the other services follow at +1..+4 */
#define ACC_CONFIG_PORT_MIN 1024     /* lowest port_base for acc_config_render */
#define ACC_CONFIG_HTTP_OFFSET 8     /* HTTP listens at port_base + 8 */
#define ACC_CONFIG_STREAM_OFFSET 10  /* a service's stream endpoint: its port + 10 */
#define ACC_CONFIG_PORT_LAST 14      /* highest offset from port_base: reporting's stream */
#define ACC_CONFIG_PEERS_FILE "peers.cfg"
#define ACC_CONFIG_KEYPATH_MAX 256 /* "categories[12].id" and the like */

/* The example values in the rendered file: refused as values, so that an example
 * uncommented as is can become neither every node's published secret nor the stated
 * basis of real decisions. */
#define ACC_CONFIG_TOKEN_EXAMPLE "replace-with-a-long-random-secret"
#define ACC_CONFIG_LEGAL_EXAMPLE "replace with the legal basis (căn cứ pháp lý)"
#define ACC_CONFIG_REASONS_EXAMPLE "replace with the reasons (lý do)"

#define ACC_CONFIG_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* ---- the key tables (acc_config_schema.c) ----------------------------------------- */

typedef enum {
    ACC_CONFIG_INT,     /* int64_t, range-checked */
    ACC_CONFIG_STRING,  /* char *, with an optional extra rule */
    ACC_CONFIG_PATH,    /* char *, made absolute against the file's directory */
    ACC_CONFIG_BIND,    /* char *, endpoint; default port ACC_CONFIG_PORT_DEFAULT + def_int */
    ACC_CONFIG_LEVEL,   /* int, an acc_log level by name */
    ACC_CONFIG_GROUP,   /* { ... } with members in sub */
    ACC_CONFIG_LIST,    /* ( { ... }, ... ): an array of structs described by elem */
    ACC_CONFIG_BOOL,    /* int, true or false; default def_int */
    ACC_CONFIG_STRLIST, /* [ "a", "b" ]: char ** at offset, size_t count at count_offset */
    ACC_CONFIG_ROLE,    /* acc_role, one of lead|coordinating|parent|child */
} acc_config_kind;

/* A value rule: NULL when @value is acceptable, else the problem ("must be ..."), static. */
typedef const char *(*acc_config_rule_fn)(const char *value);

typedef struct acc_config_key acc_config_key_t;
struct acc_config_key {
    const char *name;
    acc_config_kind kind;
    int64_t min, max;         /* INT: inclusive range */
    int64_t def_int;          /* INT, LEVEL, BOOL: default; BIND: port offset */
    const char *def_str;      /* STRING, PATH: default; NULL: none */
    size_t offset;            /* into the struct being filled (not for GROUP) */
    acc_config_rule_fn check; /* STRING, STRLIST: NULL or the rule */
    bool required;
    bool empty_null;             /* STRING, PATH: "" means none (NULL) */
    bool unique;                 /* STRING in a list element (or STRLIST): no two alike */
    bool nocase;                 /* unique ignoring ASCII case (feed tags match so) */
    bool secret;                 /* never echo the value in a message */
    bool hostport;               /* BIND: "HOST:PORT" (HTTP), not "tcp://HOST:PORT" */
    const acc_config_key_t *sub; /* GROUP members */
    size_t n_sub;
    const acc_config_key_t *elem; /* LIST: element members; the array is at offset */
    size_t n_elem, elem_size;
    size_t count_offset; /* LIST, STRLIST: the size_t element count */
    int max_items;
    bool non_empty;
    const char *example; /* commented-out example written by render instead of a value */
    const char *help;    /* comment written by acc_config_render */
};

/* The field of @k in the struct at @base, as a @type lvalue; its element count. */
#define ACC_CONFIG_FIELD(base, k, type) ((type *)((char *)(base) + (k)->offset))
#define ACC_CONFIG_COUNT(base, k) ((size_t *)((char *)(base) + (k)->count_offset))

extern const acc_config_key_t acc_config_root_keys[];       /* node.cfg, into acc_config_t */
extern const size_t acc_config_n_root_keys;                 /* its length */
extern const acc_config_key_t acc_config_peers_file_keys[]; /* peers.cfg: `peers` only */
extern const size_t acc_config_n_peers_file_keys;
extern const acc_config_key_t acc_config_peer_keys[]; /* one peer, into acc_peer_cfg_t */
extern const size_t acc_config_n_peer_keys;

/* The default taxonomy (DOMAIN.md), used by the loader and by render. */
typedef struct acc_config_category_def {
    const char *id, *vi, *en;
} acc_config_category_def_t;
extern const acc_config_category_def_t acc_config_default_categories[];
extern const size_t acc_config_n_default_categories;

/* ---- the load context (acc_config.c) ---------------------------------------------- */

/* An integer literal libconfig will wrap, found by the scanner, recorded by key path. */
typedef struct acc_config_flag {
    char path[ACC_CONFIG_KEYPATH_MAX]; /* key path of the literal, as the loader spells it */
    char literal[32];                  /* as written (truncated) */
    char *where;                       /* "FILE:LINE" */
    bool used;                         /* reported as part of another problem */
} acc_config_flag_t;

typedef struct acc_config_ctx {
    const char *path; /* the file as given */
    const char *dir;  /* its absolute directory (include dir) */
    config_t *lc;
    void (*report)(void *arg, const char *where, const char *msg);
    void *arg;
    acc_errinfo_t *ei; /* receives the first problem */
    int n_problems;
    acc_err fatal; /* ACC_ERR_NOMEM or ACC_ERR_IO: stop */
    acc_config_flag_t *flags;
    size_t n_flags;
    bool flags_overflow;
    char *peers_path;                   /* peers.cfg beside the file, as shown and opened */
    const config_setting_t *peers_list; /* the `peers` that was read, in either file */
} acc_config_ctx_t;

/* acc_config_fmt — snprintf for key paths and messages where truncation is acceptable
 * (and expected to be rare): keeps -Wformat-truncation quiet without hiding real bugs. */
void acc_config_fmt(char *buf, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* acc_config_problem_at — report a problem at @where ("FILE:LINE" or "FILE"); the first
 * one goes to ctx->ei. @cover (NULL or a key path): wrapped literals at or under it are
 * explained by this problem and not reported again. */
void acc_config_problem_at(acc_config_ctx_t *ctx, const char *where, const char *cover,
                           const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* acc_config_problem — the same, at the file and line of setting @s (or its nearest
 * ancestor that has a line). */
void acc_config_problem(acc_config_ctx_t *ctx, const config_setting_t *s, const char *cover,
                        const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* acc_config_display_file — how the user sees @file (a libconfig source file name, NULL:
 * the main file) in messages, into @buf. */
void acc_config_display_file(const acc_config_ctx_t *ctx, const char *file, char *buf, size_t size);

/* acc_config_abs_path — @rel against @dir (absolute), lexically normalised: no ".",
 * "..", "//" or trailing "/". The directories need not exist. Malloc'd, NULL when out of
 * memory. */
char *acc_config_abs_path(const char *dir, const char *rel);

/* acc_config_store_str — replace *@dst with a copy of @v (NULL: none); out of memory
 * sets ctx->fatal. */
void acc_config_store_str(acc_config_ctx_t *ctx, char **dst, const char *v);

/* acc_config_default_bind — the default endpoint of BIND key @k for @port_base. */
void acc_config_default_bind(const acc_config_key_t *k, int port_base, char *buf, size_t size);

/* acc_config_read_group — read the members of @group (at key path @prefix, "" for the
 * root) into @base according to @keys: unknown keys, types, ranges and rules are
 * reported through @ctx. */
void acc_config_read_group(acc_config_ctx_t *ctx, const config_setting_t *group, const char *prefix,
                           const acc_config_key_t *keys, size_t n, void *base);

/* acc_config_free_keys — free what @keys say the struct at @base owns (strings, lists)
 * and null those fields. */
void acc_config_free_keys(const acc_config_key_t *keys, size_t n, void *base);

/* ---- value rules and cross-key rules (acc_config_rules.c) ------------------------- */

const char *acc_config_rule_text(const char *v);        /* a label: UTF-8, <= 200 bytes */
const char *acc_config_rule_long_text(const char *v);   /* legal text: lines and tabs */
const char *acc_config_rule_agency(const char *v);      /* acc_agency_valid */
const char *acc_config_rule_category_id(const char *v); /* [a-z0-9][a-z0-9-]{0,47} */
const char *acc_config_rule_source_name(const char *v); /* [a-z0-9][a-z0-9._:-]{0,63} */
const char *acc_config_rule_token(const char *v);       /* bearer token */
const char *acc_config_rule_trust(const char *v);       /* high|medium|low */
const char *acc_config_rule_path(const char *v);        /* data_dir and the like */
const char *acc_config_rule_bind(const char *v);        /* "" | tcp://HOST:PORT | ipc:// */
const char *acc_config_rule_host_port(const char *v);   /* "" | HOST:PORT */
const char *acc_config_rule_connect(const char *v);     /* tcp://HOST:PORT, no "*" */
const char *acc_config_rule_peer_endpoint(const char *v);
const char *acc_config_rule_public_key(const char *v); /* 40 Z85 characters */

/* acc_config_role_valid — @role is one of acc_role. */
bool acc_config_role_valid(acc_role role);

/*
 * acc_config_peer_conflict — peer @i against this node (@own, may be NULL) and the peers
 * before it: its agency is not ours and not listed before, its key is not another peer's
 * (the ZAP handler maps a key to one agency), and it is not a second lead or a second
 * parent. Returns NULL, or the problem in @buf with *@key naming the key at fault. Used
 * by the loader and by acc_config_peers_write, so that what accordctl writes is what the
 * node accepts.
 */
const char *acc_config_peer_conflict(const char *own, const acc_peer_cfg_t *peers, size_t i,
                                     const char **key, char *buf, size_t size);

/* acc_config_cross_check — the rules that span keys, and the values derived from others
 * (name, intake.ipc_path, notification.spool_dir, the default taxonomy), once every key
 * of @cfg has been read; last, the wrapped literals no problem explained
 * (acc_config_flags_report). Problems go through @ctx. */
void acc_config_cross_check(acc_config_ctx_t *ctx, acc_config_t *cfg);

/* ---- the wrapped-integer scanner (acc_config_lex.c) ------------------------------- */

/* acc_config_lex — scan @fspath and its includes before libconfig does: vet every
 * @include, record in ctx->flags every integer literal libconfig will wrap. Problems
 * (an unreadable file or include) are reported through @ctx. */
void acc_config_lex(acc_config_ctx_t *ctx, const char *fspath);

/* acc_config_flag_take — consume the wrapped-literal record for key @path, or NULL. */
const acc_config_flag_t *acc_config_flag_take(acc_config_ctx_t *ctx, const char *path);

/* acc_config_flags_report — report every wrapped literal no other problem explained. */
void acc_config_flags_report(acc_config_ctx_t *ctx);

/* ---- peers.cfg (acc_config_peers.c) and its text (acc_config_render.c) ------------ */

/* acc_config_peers_path — peers.cfg beside @path, spelled the way @path is (so messages
 * read like the path the operator gave). Malloc'd, NULL when out of memory. */
char *acc_config_peers_path(const char *path);

/* acc_config_peers_included — whether `peers` in the main file came from an
 * `@include "peers.cfg"` (an older layout): that file is then not read a second time. */
bool acc_config_peers_included(const acc_config_ctx_t *ctx, const config_setting_t *peers);

/* acc_config_peers_open — parse ctx->peers_path into @plc when it exists (then
 * *@plc_init is set and the caller destroys @plc). Returns 1 (parsed), 0 (absent, or
 * nothing to read: it is the main file itself, or the main file includes it) or -1 (a
 * problem, reported). */
int acc_config_peers_open(acc_config_ctx_t *ctx, const config_setting_t *inline_peers,
                          config_t *plc, bool *plc_init);

/* acc_config_render_peers — the text of peers.cfg holding @peers[0..@n) of node @own.
 * Malloc'd, NULL when out of memory. */
char *acc_config_render_peers(const char *own, const acc_peer_cfg_t *peers, size_t n);

#endif
