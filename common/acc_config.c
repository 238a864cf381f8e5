/*
 * acc_config — loads, validates and renders the node's libconfig file (node.cfg).
 *
 * Every service reads its settings from the acc_config_t built here, once, at start.
 * The known keys live in declarative tables (name, type, range, default, offset into the
 * struct): the loader walks the parsed tree against them, so an unknown key anywhere is
 * an error with file and line, and acc_config_render writes the same tables back out as
 * a commented file. Every problem goes through one reporting function so that
 * acc_config_check can list all of them while acc_config_load returns the first.
 *
 * libconfig 1.5 wraps a decimal integer that does not fit 32 bits (3000000000 reads back
 * as -1294967296, 4294966876 as -420) and gives no way to notice afterwards. So after a
 * successful parse a small scanner re-reads the file (and its includes), finds every
 * integer literal that libconfig will have wrapped, and records it by key path; reading
 * such a key is then a range error instead of a silently wrong value.
 */
#include "acc_config.h"

#include <errno.h>
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

#include "acc_log.h"

#define S_TEXT_MAX 200         /* bytes of `name` and of a category label */
#define S_CATEGORIES_MAX 256   /* entries in `categories` */
#define S_SUN_PATH_MAX 107     /* sizeof(sockaddr_un.sun_path) - 1 on Linux */
#define S_BIND_MAX 256         /* bytes of an endpoint string */
#define S_DIR_MAX 4000         /* bytes of data_dir / keys_dir as written */
#define S_PORT_DEFAULT 7400    /* intake; the other services follow at +1..+4 */
#define S_PORT_MIN 1024        /* lowest port_base for acc_config_render */
#define S_PORT_SPAN 5          /* services with a TCP endpoint */
#define S_KEYPATH_MAX 256      /* "categories[12].id" and the like */
#define S_FILE_MAX (16 << 20)  /* a config file larger than this is a mistake */
#define S_INCLUDE_DEPTH 10     /* libconfig 1.5's MAX_INCLUDE_DEPTH */
#define S_LEX_DEPTH 32         /* nesting the scanner tracks by name; deeper is unknown */
#define S_FLAGS_MAX 256        /* wrapped literals remembered; more is an error */

#define S_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* ---- the default taxonomy (DOMAIN.md), used by the loader and by render ---------- */

static const struct {
    const char *id, *vi, *en;
} s_default_categories[] = {
    {"scam", "Lừa đảo, gian lận", "Scam or fraud"},
    {"phishing-malware", "Lừa đảo trực tuyến (phishing), mã độc", "Phishing or malware"},
    {"false-information", "Thông tin sai sự thật gây hại", "Dangerous false information"},
    {"csam", "Xâm hại tình dục trẻ em", "Child sexual abuse material"},
    {"terrorism", "Khủng bố, cực đoan bạo lực", "Terrorist or violent extremist content"},
    {"incitement", "Kích động bạo lực", "Incitement to violence"},
    {"privacy", "Xâm phạm đời tư, lộ lọt dữ liệu cá nhân",
     "Privacy violation (doxxing, leaked personal data)"},
    {"impersonation", "Mạo danh", "Impersonation"},
    {"ip-infringement", "Xâm phạm quyền sở hữu trí tuệ", "Intellectual property infringement"},
    {"gambling", "Cờ bạc trái phép", "Illegal gambling"},
    {"illegal-goods", "Hàng hóa cấm, trái phép", "Illegal goods"},
    {"unlicensed-news", "Trang tin giả danh báo chí, chưa được cấp phép",
     "Unlicensed news-like site"},
    {"other", "Khác", "Other"},
};

static const char *const s_level_names[] = {"error", "warn", "info", "debug"};

/* ---- the key tables ------------------------------------------------------------------ */

typedef enum {
    S_INT,        /* int64_t, range-checked */
    S_STRING,     /* char *, with an optional extra rule */
    S_PATH,       /* char *, made absolute against the file's directory */
    S_BIND,       /* char *, endpoint; default port S_PORT_DEFAULT + def_int */
    S_LEVEL,      /* int, one of s_level_names */
    S_GROUP,      /* { ... } with members in sub */
    S_CATEGORIES, /* ( { id; vi; en; }, ... ) */
} s_kind;

typedef struct s_key s_key_t;
struct s_key {
    const char *name;
    s_kind kind;
    int64_t min, max;             /* S_INT: inclusive range */
    int64_t def_int;              /* S_INT, S_LEVEL: default; S_BIND: port offset */
    const char *def_str;          /* S_STRING, S_PATH: default; NULL: none */
    size_t offset;                /* into the struct being filled (not for S_GROUP) */
    const char *(*check)(const char *value); /* S_STRING: NULL or the problem */
    bool required;
    const s_key_t *sub;           /* S_GROUP members */
    size_t n_sub;
    const char *help;             /* comment written by acc_config_render */
};

static const char *s_check_agency(const char *v);
static const char *s_check_text(const char *v);
static const char *s_check_category_id(const char *v);

#define S_OFF(field) offsetof(acc_config_t, field)

static const s_key_t s_limits_keys[] = {
    {.name = "message_max_bytes", .kind = S_INT, .min = 1024, .max = 64 << 20,
     .def_int = 1 << 20, .offset = S_OFF(limits.message_max_bytes),
     .help = "largest message accepted on any socket (1 KiB .. 64 MiB)"},
    {.name = "url_max_bytes", .kind = S_INT, .min = 256, .max = 65536, .def_int = 8192,
     .offset = S_OFF(limits.url_max_bytes), .help = "longest URL in a report (256 .. 65536)"},
    {.name = "text_max_bytes", .kind = S_INT, .min = 1024, .max = 1 << 20, .def_int = 32768,
     .offset = S_OFF(limits.text_max_bytes),
     .help = "longest text excerpt or description (1 KiB .. 1 MiB)"},
};

static const s_key_t s_intake_keys[] = {
    {.name = "bind", .kind = S_BIND, .def_int = 0, .offset = S_OFF(intake.bind),
     .help = "reports API endpoint (cổng nhận tin phản ánh); \"\" for none"},
    {.name = "batch_max", .kind = S_INT, .min = 1, .max = 100000, .def_int = 1000,
     .offset = S_OFF(intake.batch_max), .help = "reports per commit (1 .. 100000)"},
    {.name = "commit_wait_us", .kind = S_INT, .min = 0, .max = 1000000, .def_int = 1000,
     .offset = S_OFF(intake.commit_wait_us),
     .help = "microseconds to wait for a batch to fill (0 .. 1000000)"},
    {.name = "map_size_mb", .kind = S_INT, .min = 1, .max = 1048576, .def_int = 64,
     .offset = S_OFF(intake.map_size_mb), .help = "initial store size in MiB (1 .. 1048576)"},
    {.name = "map_max_mb", .kind = S_INT, .min = 1, .max = 16777216, .def_int = 1048576,
     .offset = S_OFF(intake.map_max_mb),
     .help = "largest store size in MiB (map_size_mb .. 16777216)"},
};

#define S_BIND_GROUP(svc, port_off, text)                                                  \
    static const s_key_t s_##svc##_keys[] = {                                              \
        {.name = "bind", .kind = S_BIND, .def_int = (port_off), .offset = S_OFF(svc.bind),  \
         .help = text},                                                                    \
    }
S_BIND_GROUP(verification, 1, "verification endpoint (thẩm định); \"\" for none");
S_BIND_GROUP(assignment, 2, "assignment endpoint (giao nhiệm vụ xử lý); \"\" for none");
S_BIND_GROUP(notification, 3, "notification endpoint (thông báo); \"\" for none");
S_BIND_GROUP(reporting, 4, "reporting endpoint (báo cáo, thống kê); \"\" for none");

#define S_GROUP_OF(table) .kind = S_GROUP, .sub = (table), .n_sub = S_LEN(table)

static const s_key_t s_root_keys[] = {
    {.name = "agency", .kind = S_STRING, .offset = S_OFF(agency), .check = s_check_agency,
     .required = true,
     .help = "this agency's id (mã cơ quan): 2-32 characters, a-z 0-9 and '-'"},
    {.name = "name", .kind = S_STRING, .offset = S_OFF(name), .check = s_check_text,
     .help = "human-readable name (tên cơ quan), UTF-8, at most 200 bytes"},
    {.name = "data_dir", .kind = S_PATH, .def_str = "data", .offset = S_OFF(data_dir),
     .help = "store directory (thư mục dữ liệu), relative to this file"},
    {.name = "keys_dir", .kind = S_PATH, .def_str = "keys", .offset = S_OFF(keys_dir),
     .help = "CURVE key directory (thư mục khóa), relative to this file"},
    {.name = "log_level", .kind = S_LEVEL, .def_int = ACC_LOG_INFO, .offset = S_OFF(log_level),
     .help = "error | warn | info | debug"},
    {.name = "utc_offset_minutes", .kind = S_INT, .min = -720, .max = 840, .def_int = 420,
     .offset = S_OFF(utc_offset_minutes),
     .help = "local time zone, decides the year of a case number (Việt Nam: 420)"},
    {.name = "limits", S_GROUP_OF(s_limits_keys), .help = "input size limits"},
    {.name = "intake", S_GROUP_OF(s_intake_keys),
     .help = "intake: receives reports and stores them (tiếp nhận)"},
    {.name = "verification", S_GROUP_OF(s_verification_keys), .help = NULL},
    {.name = "assignment", S_GROUP_OF(s_assignment_keys), .help = NULL},
    {.name = "notification", S_GROUP_OF(s_notification_keys), .help = NULL},
    {.name = "reporting", S_GROUP_OF(s_reporting_keys), .help = NULL},
    {.name = "categories", .kind = S_CATEGORIES,
     .help = "violation categories (danh mục vi phạm): id [a-z0-9][a-z0-9-]{0,47},\n"
             "Vietnamese and English labels; at most 256 entries"},
};

#define S_CAT_OFF(field) offsetof(acc_category_t, field)

static const s_key_t s_category_keys[] = {
    {.name = "id", .kind = S_STRING, .offset = S_CAT_OFF(id), .check = s_check_category_id,
     .required = true},
    {.name = "vi", .kind = S_STRING, .offset = S_CAT_OFF(name_vi), .check = s_check_text,
     .required = true},
    {.name = "en", .kind = S_STRING, .offset = S_CAT_OFF(name_en), .check = s_check_text,
     .required = true},
};

/* snprintf for key paths and messages where truncation is acceptable (and expected to
 * be rare): keeps -Wformat-truncation quiet without hiding real bugs elsewhere. */
static void s_fmt(char *buf, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
s_fmt(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, size, fmt, ap);
    va_end(ap);
}

/* ---- load context: problems, and literals libconfig wrapped ------------------------- */

typedef struct s_flag {
    char path[S_KEYPATH_MAX]; /* key path of the literal, as the loader spells it */
    char literal[32];         /* as written (truncated) */
    char *where;              /* "FILE:LINE" */
    bool used;                /* reported as part of another problem */
} s_flag_t;

typedef struct s_ctx {
    const char *path; /* the file as given */
    const char *dir;  /* its absolute directory (include dir) */
    config_t *lc;
    void (*report)(void *arg, const char *where, const char *msg);
    void *arg;
    acc_errinfo_t *ei; /* receives the first problem */
    int n_problems;
    acc_err fatal; /* ACC_ERR_NOMEM or ACC_ERR_IO: stop */
    s_flag_t *flags;
    size_t n_flags;
    bool flags_overflow;
} s_ctx_t;

static void s_problem_at(s_ctx_t *ctx, const char *where, const char *cover, const char *fmt,
                         ...) __attribute__((format(printf, 4, 5)));
static void s_problem(s_ctx_t *ctx, const config_setting_t *s, const char *cover,
                      const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* How the user sees @file (a libconfig source file name): includes are opened as
 * <include dir>/<name as written>, so show that. */
static void
s_display_file(const s_ctx_t *ctx, const char *file, char *buf, size_t size)
{
    if (!file || strcmp(file, ctx->path) == 0)
        snprintf(buf, size, "%s", ctx->path);
    else if (file[0] == '/' || !ctx->dir)
        snprintf(buf, size, "%s", file);
    else
        snprintf(buf, size, "%s/%s", ctx->dir, file);
}

static void
s_where(const s_ctx_t *ctx, const config_setting_t *s, char *buf, size_t size)
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
    s_display_file(ctx, src, file, sizeof file);
    if (line > 0)
        snprintf(buf, size, "%s:%u", file, line);
    else
        snprintf(buf, size, "%s", file);
}

/* Mark wrapped literals at or under @cover as explained by a problem already reported. */
static void
s_flags_cover(s_ctx_t *ctx, const char *cover)
{
    size_t n = strlen(cover);
    for (size_t i = 0; i < ctx->n_flags; i++) {
        const char *p = ctx->flags[i].path;
        if (strncmp(p, cover, n) == 0 && (p[n] == '\0' || p[n] == '.' || p[n] == '['))
            ctx->flags[i].used = true;
    }
}

static void
s_problem_at(s_ctx_t *ctx, const char *where, const char *cover, const char *fmt, ...)
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

static void
s_problem(s_ctx_t *ctx, const config_setting_t *s, const char *cover, const char *fmt, ...)
{
    char where[PATH_MAX + 16], msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    s_where(ctx, s, where, sizeof where);
    s_problem_at(ctx, where, cover, "%s", msg);
}

/* ---- small checks ------------------------------------------------------------------- */

/* Well-formed UTF-8: no overlong forms, no surrogates, nothing above U+10FFFF. */
static bool
s_utf8_valid(const unsigned char *s, size_t len)
{
    size_t i = 0;
    while (i < len) {
        unsigned c = s[i];
        size_t n;
        unsigned cp;
        if (c < 0x80) {
            i++;
            continue;
        } else if (c >= 0xC2 && c <= 0xDF) {
            n = 1;
            cp = c & 0x1F;
        } else if (c >= 0xE0 && c <= 0xEF) {
            n = 2;
            cp = c & 0x0F;
        } else if (c >= 0xF0 && c <= 0xF4) {
            n = 3;
            cp = c & 0x07;
        } else {
            return false;
        }
        if (len - i <= n)
            return false;
        for (size_t k = 1; k <= n; k++) {
            if ((s[i + k] & 0xC0) != 0x80)
                return false;
            cp = (cp << 6) | (s[i + k] & 0x3F);
        }
        if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) || cp > 0x10FFFF ||
            (cp >= 0xD800 && cp <= 0xDFFF))
            return false;
        i += n + 1;
    }
    return true;
}

static const char *
s_check_text(const char *v)
{
    size_t len = strlen(v);
    if (len == 0)
        return "must not be empty";
    if (len > S_TEXT_MAX)
        return "must be at most 200 bytes";
    if (!s_utf8_valid((const unsigned char *)v, len))
        return "must be valid UTF-8";
    for (const unsigned char *p = (const unsigned char *)v; *p; p++)
        if (*p < 0x20 || *p == 0x7F)
            return "must not contain control characters";
    return NULL;
}

/* [a-z0-9][a-z0-9-]{min_rest,max_rest} */
static bool
s_valid_id(const char *v, size_t min_rest, size_t max_rest)
{
    if (!v)
        return false;
    size_t len = strlen(v);
    if (len < 1 + min_rest || len > 1 + max_rest)
        return false;
    for (size_t i = 0; i < len; i++) {
        char c = v[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || (i > 0 && c == '-');
        if (!ok)
            return false;
    }
    return true;
}

int
acc_config_valid_agency(const char *id)
{
    return s_valid_id(id, 1, 31);
}

static const char *
s_check_agency(const char *v)
{
    return acc_config_valid_agency(v) ? NULL
                                      : "must match [a-z0-9][a-z0-9-]{1,31} (lowercase "
                                        "letters, digits and '-', 2 to 32 characters)";
}

static const char *
s_check_category_id(const char *v)
{
    return s_valid_id(v, 0, 47) ? NULL : "must match [a-z0-9][a-z0-9-]{0,47}";
}

static const char *
s_check_path(const char *v)
{
    if (!*v)
        return "must not be empty";
    if (strlen(v) > S_DIR_MAX)
        return "is too long";
    return NULL;
}

/* "" | "tcp://HOST:PORT" (HOST a name, an address, "*" or "[v6]") | "ipc://PATH" */
static const char *
s_check_bind(const char *v)
{
    static const char *const bad = "must be \"\" (none), \"tcp://HOST:PORT\" with a port "
                                   "from 1 to 65535, or \"ipc://PATH\"";
    size_t len = strlen(v);
    if (len == 0)
        return NULL;
    if (len > S_BIND_MAX)
        return "must be at most 256 bytes";
    if (strncmp(v, "ipc://", 6) == 0) {
        size_t plen = len - 6;
        if (plen == 0)
            return bad;
        return plen > S_SUN_PATH_MAX ? "has an ipc path longer than 107 bytes" : NULL;
    }
    if (strncmp(v, "tcp://", 6) != 0)
        return bad;
    const char *host = v + 6, *colon = strrchr(host, ':');
    if (!colon || colon == host)
        return bad;
    if (host[0] == '[') {
        if (colon[-1] != ']' || colon - host < 3)
            return bad;
        for (const char *p = host + 1; p < colon - 1; p++)
            if (!strchr("0123456789abcdefABCDEF:.", *p))
                return bad;
    } else {
        for (const char *p = host; p < colon; p++) {
            char c = *p;
            bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                      (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_' || c == '*';
            if (!ok)
                return bad;
        }
    }
    const char *port = colon + 1;
    size_t plen = strlen(port);
    if (plen == 0 || plen > 5)
        return bad;
    long n = 0;
    for (const char *p = port; *p; p++) {
        if (*p < '0' || *p > '9')
            return bad;
        n = n * 10 + (*p - '0');
    }
    return (n >= 1 && n <= 65535) ? NULL : bad;
}

/* ---- paths -------------------------------------------------------------------------- */

/* @rel against @dir (absolute), lexically normalised: no ".", "..", "//" or trailing "/".
 * The directories need not exist. Returns malloc'd or NULL (out of memory). */
static char *
s_abs_path(const char *dir, const char *rel)
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

/* ---- the wrapped-integer scanner ------------------------------------------------------ */

/*
 * A lexer for just enough of libconfig's syntax (comments, strings, names, numbers,
 * brackets, @include) to know the key path of each integer literal. It runs only on
 * files libconfig has already parsed, so it can assume the syntax is valid; on anything
 * else it must merely not crash.
 */
typedef struct s_lex {
    s_ctx_t *ctx;
    char path[S_KEYPATH_MAX];      /* key path of the innermost aggregate */
    size_t frame_len[S_LEX_DEPTH]; /* path length of each open aggregate */
    bool frame_list[S_LEX_DEPTH];  /* list or array (else group) */
    int frame_index[S_LEX_DEPTH];  /* element index inside a list */
    int depth;                     /* open aggregates; frame 0 is the root group */
    int lost;                      /* aggregates nested deeper than S_LEX_DEPTH */
    char name[S_KEYPATH_MAX];      /* last setting name seen in the current group */
} s_lex_t;

static void
s_lex_component(const s_lex_t *lx, char *buf, size_t size)
{
    int top = lx->depth - 1;
    if (lx->frame_list[top])
        s_fmt(buf, size, "%s[%d]", lx->path, lx->frame_index[top]);
    else if (lx->path[0])
        s_fmt(buf, size, "%s.%s", lx->path, lx->name);
    else
        snprintf(buf, size, "%s", lx->name);
}

static void
s_lex_push(s_lex_t *lx, bool list)
{
    if (lx->lost > 0 || lx->depth == S_LEX_DEPTH) {
        lx->lost++;
        return;
    }
    char next[S_KEYPATH_MAX];
    s_lex_component(lx, next, sizeof next);
    memcpy(lx->path, next, sizeof next);
    lx->frame_len[lx->depth] = strlen(lx->path);
    lx->frame_list[lx->depth] = list;
    lx->frame_index[lx->depth] = 0;
    lx->depth++;
    lx->name[0] = '\0';
}

static void
s_lex_pop(s_lex_t *lx)
{
    if (lx->lost > 0) {
        lx->lost--;
        return;
    }
    if (lx->depth > 1) {
        lx->depth--;
        lx->path[lx->frame_len[lx->depth - 1]] = '\0';
    }
    lx->name[0] = '\0';
}

static void
s_lex_flag(s_lex_t *lx, const char *tok, size_t toklen, const char *file, int line)
{
    s_ctx_t *ctx = lx->ctx;
    if (ctx->n_flags == S_FLAGS_MAX) {
        ctx->flags_overflow = true;
        return;
    }
    if (ctx->n_flags % 16 == 0) {
        s_flag_t *more = realloc(ctx->flags, (ctx->n_flags + 16) * sizeof *more);
        if (!more) {
            ctx->fatal = ACC_ERR_NOMEM;
            return;
        }
        ctx->flags = more;
    }
    s_flag_t *f = &ctx->flags[ctx->n_flags];
    memset(f, 0, sizeof *f);
    if (lx->lost > 0)
        snprintf(f->path, sizeof f->path, "%s", lx->path);
    else
        s_lex_component(lx, f->path, sizeof f->path);
    snprintf(f->literal, sizeof f->literal, "%.*s", (int)toklen, tok);
    size_t wlen = strlen(file) + 16;
    f->where = malloc(wlen);
    if (!f->where) {
        ctx->fatal = ACC_ERR_NOMEM;
        return;
    }
    snprintf(f->where, wlen, "%s:%d", file, line);
    ctx->n_flags++;
}

static bool
s_is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool
s_is_xdigit(char c)
{
    return s_is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* Length of [eE][-+]?[0-9]+ at @p, or 0. */
static size_t
s_exp_len(const char *p, const char *end)
{
    if (p >= end || (*p != 'e' && *p != 'E'))
        return 0;
    const char *q = p + 1;
    if (q < end && (*q == '+' || *q == '-'))
        q++;
    const char *d = q;
    while (q < end && s_is_digit(*q))
        q++;
    return q > d ? (size_t)(q - p) : 0;
}

/* Optional "L" or "LL" after an integer. */
static size_t
s_l_len(const char *p, const char *end)
{
    if (p >= end || *p != 'L')
        return 0;
    return (p + 1 < end && p[1] == 'L') ? 2 : 1;
}

/*
 * A number token at @p, matched the way flex does (longest of libconfig's integer,
 * integer64, hex, hex64 and float patterns). Returns its length (0: not a number) and
 * sets *wraps when libconfig 1.5 cannot hold its value: a plain decimal or hex literal
 * beyond 32 bits (stored wrapped) or an L literal beyond 64 bits.
 */
static size_t
s_lex_number(const char *p, const char *end, bool *wraps)
{
    *wraps = false;
    const char *q = p;
    bool neg = false;
    if (q < end && (*q == '+' || *q == '-'))
        neg = *q++ == '-';
    const char *digits = q;
    while (q < end && s_is_digit(*q))
        q++;
    size_t ndig = (size_t)(q - digits);

    /* float: [-+]?[0-9]*\.[0-9]*(exp)?  or  [-+]?[0-9]+(\.[0-9]*)?exp */
    size_t flen = 0;
    if (q < end && *q == '.') {
        const char *r = q + 1;
        while (r < end && s_is_digit(*r))
            r++;
        flen = (size_t)(r - p) + s_exp_len(r, end);
    } else if (ndig > 0) {
        size_t e = s_exp_len(q, end);
        if (e)
            flen = (size_t)(q - p) + e;
    }

    size_t hlen = 0;
    const char *hex = NULL;
    if (!(p < end && (*p == '+' || *p == '-')) && end - p > 2 && p[0] == '0' &&
        (p[1] == 'x' || p[1] == 'X') && s_is_xdigit(p[2])) {
        hex = p + 2;
        const char *r = hex;
        while (r < end && s_is_xdigit(*r))
            r++;
        hlen = (size_t)(r - p);
    }

    size_t ilen = ndig > 0 ? (size_t)(q - p) : 0;
    size_t ilen64 = ilen ? ilen + s_l_len(q, end) : 0;
    size_t hlen64 = hlen ? hlen + s_l_len(p + hlen, end) : 0;

    size_t best = flen;
    if (ilen64 > best)
        best = ilen64;
    if (hlen64 > best)
        best = hlen64;
    if (best == 0 || best == flen)
        return best; /* a float, or not a number */

    bool is_hex = hlen64 == best;
    bool has_l = is_hex ? hlen64 > hlen : ilen64 > ilen;
    uint64_t v = 0;
    bool overflow = false;
    if (is_hex) {
        for (const char *r = hex; r < p + hlen; r++) {
            unsigned d = s_is_digit(*r) ? (unsigned)(*r - '0') : (unsigned)((*r | 0x20) - 'a' + 10);
            if (v > (UINT64_MAX >> 4))
                overflow = true;
            v = (v << 4) | d;
        }
        *wraps = overflow || v > (has_l ? (uint64_t)INT64_MAX : (uint64_t)INT32_MAX);
    } else {
        for (const char *r = digits; r < digits + ndig; r++) {
            unsigned d = (unsigned)(*r - '0');
            if (v > (UINT64_MAX - d) / 10)
                overflow = true;
            else
                v = v * 10 + d;
        }
        uint64_t lim = has_l ? (uint64_t)INT64_MAX : (uint64_t)INT32_MAX;
        *wraps = overflow || v > lim + (neg ? 1 : 0);
    }
    return best;
}

static void s_lex_file(s_lex_t *lx, const char *fspath, int depth);

/* @include "NAME" at @p (just after '@'); returns the bytes consumed. */
static size_t
s_lex_include(s_lex_t *lx, const char *p, const char *end, int depth, const char *file,
              int line)
{
    static const char kw[] = "include";
    const char *q = p;
    if ((size_t)(end - q) < sizeof kw - 1 || memcmp(q, kw, sizeof kw - 1) != 0)
        return 0;
    q += sizeof kw - 1;
    const char *ws = q;
    while (q < end && (*q == ' ' || *q == '\t'))
        q++;
    if (q == ws || q >= end || *q != '"')
        return 0;
    q++;
    char name[PATH_MAX];
    size_t n = 0;
    while (q < end && *q != '"') {
        char c = *q++;
        if (c == '\\' && q < end)
            c = *q++;
        if (n + 1 < sizeof name)
            name[n++] = c;
    }
    name[n] = '\0';
    if (q < end)
        q++;
    char where[PATH_MAX + 16];
    snprintf(where, sizeof where, "%s:%d", file, line);
    if (depth + 1 >= S_INCLUDE_DEPTH) {
        s_problem_at(lx->ctx, where, NULL, "include file nesting too deep");
    } else {
        /* libconfig 1.5 always opens <include dir>/<name>. */
        char full[PATH_MAX];
        int w = snprintf(full, sizeof full, "%s/%s", lx->ctx->dir, name);
        if (w < 0 || (size_t)w >= sizeof full)
            s_problem_at(lx->ctx, where, NULL, "include path '%s' is too long", name);
        else
            s_lex_file(lx, full, depth + 1);
    }
    return (size_t)(q - p);
}

static void
s_lex_buf(s_lex_t *lx, const char *buf, size_t len, const char *file, int depth)
{
    const char *p = buf, *end = buf + len;
    int line = 1;
    bool bol = true; /* only blanks since the last newline: where @include may start */
    while (p < end && !lx->ctx->fatal) {
        char c = *p;
        if (c == '\n') {
            line++;
            bol = true;
            p++;
            continue;
        }
        if (c == ' ' || c == '\t') {
            p++;
            continue;
        }
        bool at_bol = bol;
        bol = false;
        if (c == '#' || (c == '/' && p + 1 < end && p[1] == '/')) {
            while (p < end && *p != '\n')
                p++;
        } else if (c == '/' && p + 1 < end && p[1] == '*') {
            p += 2;
            while (p < end && !(*p == '*' && p + 1 < end && p[1] == '/'))
                line += *p++ == '\n';
            p = p < end ? p + 2 : end;
        } else if (c == '"') {
            p++;
            while (p < end && *p != '"') {
                if (*p == '\\' && p + 1 < end)
                    p++;
                line += *p++ == '\n';
            }
            if (p < end)
                p++;
        } else if (c == '@' && at_bol) {
            size_t n = s_lex_include(lx, p + 1, end, depth, file, line);
            p += 1 + n;
        } else if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '*') {
            const char *s = p++;
            while (p < end && ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
                               s_is_digit(*p) || *p == '-' || *p == '_' || *p == '*'))
                p++;
            size_t n = (size_t)(p - s);
            bool boolean = (n == 4 && strncasecmp(s, "true", 4) == 0) ||
                           (n == 5 && strncasecmp(s, "false", 5) == 0);
            if (!boolean)
                snprintf(lx->name, sizeof lx->name, "%.*s", (int)n, s);
        } else if (s_is_digit(c) || c == '+' || c == '-' || c == '.') {
            bool wraps;
            size_t n = s_lex_number(p, end, &wraps);
            if (n == 0)
                n = 1;
            else if (wraps)
                s_lex_flag(lx, p, n, file, line);
            p += n;
        } else {
            int top = lx->depth - 1;
            bool in_list = lx->lost == 0 && lx->frame_list[top];
            if (c == '{')
                s_lex_push(lx, false);
            else if (c == '(' || c == '[')
                s_lex_push(lx, true);
            else if (c == '}' || c == ')' || c == ']')
                s_lex_pop(lx);
            else if (c == ',' && in_list)
                lx->frame_index[top]++;
            else if ((c == ',' || c == ';') && lx->lost == 0)
                lx->name[0] = '\0';
            p++;
        }
    }
}

static void
s_lex_file(s_lex_t *lx, const char *fspath, int depth)
{
    s_ctx_t *ctx = lx->ctx;
    FILE *f = fopen(fspath, "r");
    char *buf = NULL;
    if (!f) {
        s_problem_at(ctx, fspath, NULL, "cannot read '%s': %s", fspath, strerror(errno));
        return;
    }
    buf = malloc(S_FILE_MAX + 1);
    if (!buf) {
        ctx->fatal = ACC_ERR_NOMEM;
        goto out;
    }
    size_t len = fread(buf, 1, S_FILE_MAX + 1, f);
    if (ferror(f)) {
        s_problem_at(ctx, fspath, NULL, "cannot read '%s'", fspath);
        goto out;
    }
    if (len > S_FILE_MAX) {
        s_problem_at(ctx, fspath, NULL, "'%s' is larger than 16 MiB", fspath);
        goto out;
    }
    s_lex_buf(lx, buf, len, fspath, depth);
out:
    free(buf);
    fclose(f);
}

/* Consume the wrapped-literal record for @path, if any. */
static const s_flag_t *
s_flag_take(s_ctx_t *ctx, const char *path)
{
    for (size_t i = 0; i < ctx->n_flags; i++) {
        if (!ctx->flags[i].used && strcmp(ctx->flags[i].path, path) == 0) {
            ctx->flags[i].used = true;
            return &ctx->flags[i];
        }
    }
    return NULL;
}

/* ---- reading the tree against the tables ------------------------------------------- */

static void
s_store_str(s_ctx_t *ctx, char **dst, const char *v)
{
    char *dup = strdup(v);
    if (!dup) {
        ctx->fatal = ACC_ERR_NOMEM;
        return;
    }
    free(*dst);
    *dst = dup;
}

static void
s_store_path(s_ctx_t *ctx, char **dst, const char *v)
{
    char *abs = s_abs_path(ctx->dir, v);
    if (!abs) {
        ctx->fatal = ACC_ERR_NOMEM;
        return;
    }
    free(*dst);
    *dst = abs;
}

static void
s_default_bind(int port_base, int64_t off, char *buf, size_t size)
{
    snprintf(buf, size, "tcp://127.0.0.1:%d", port_base + (int)off);
}

#define S_FIELD(base, k, type) ((type *)((char *)(base) + (k)->offset))

static void
s_set_defaults(s_ctx_t *ctx, const s_key_t *keys, size_t n, void *base)
{
    for (size_t i = 0; i < n && !ctx->fatal; i++) {
        const s_key_t *k = &keys[i];
        char bind[64];
        switch (k->kind) {
        case S_INT:
            *S_FIELD(base, k, int64_t) = k->def_int;
            break;
        case S_LEVEL:
            *S_FIELD(base, k, int) = (int)k->def_int;
            break;
        case S_STRING:
            if (k->def_str)
                s_store_str(ctx, S_FIELD(base, k, char *), k->def_str);
            break;
        case S_PATH:
            s_store_path(ctx, S_FIELD(base, k, char *), k->def_str);
            break;
        case S_BIND:
            s_default_bind(S_PORT_DEFAULT, k->def_int, bind, sizeof bind);
            s_store_str(ctx, S_FIELD(base, k, char *), bind);
            break;
        case S_GROUP:
            s_set_defaults(ctx, k->sub, k->n_sub, base);
            break;
        case S_CATEGORIES:
            break;
        }
    }
}

static void
s_keypath(char *buf, size_t size, const char *prefix, const char *name)
{
    if (prefix[0])
        snprintf(buf, size, "%s.%s", prefix, name ? name : "");
    else
        snprintf(buf, size, "%s", name ? name : "");
}

static void
s_read_int(s_ctx_t *ctx, const config_setting_t *s, const char *path, const s_key_t *k,
           void *base)
{
    int type = config_setting_type(s);
    if (type != CONFIG_TYPE_INT && type != CONFIG_TYPE_INT64) {
        s_problem(ctx, s, path, "'%s' must be an integer", path);
        return;
    }
    long long v = config_setting_get_int64(s);
    const s_flag_t *f = s_flag_take(ctx, path);
    size_t flen = f ? strlen(f->literal) : 0;
    if (f && (type == CONFIG_TYPE_INT || (flen > 0 && f->literal[flen - 1] == 'L'))) {
        /* libconfig stored a wrapped or saturated value: judge the literal as written. */
        bool hex = f->literal[0] == '0' && (f->literal[1] == 'x' || f->literal[1] == 'X');
        errno = 0;
        long long real = strtoll(f->literal, NULL, hex ? 16 : 10);
        if (errno == 0 && real >= k->min && real <= k->max)
            s_problem(ctx, s, path, "'%s' = %s does not fit 32 bits: write %sL", path,
                      f->literal, f->literal);
        else
            s_problem(ctx, s, path, "'%s' must be between %lld and %lld (got %s)", path,
                      (long long)k->min, (long long)k->max, f->literal);
        return;
    }
    if (v < k->min || v > k->max) {
        s_problem(ctx, s, path, "'%s' must be between %lld and %lld (got %lld)", path,
                  (long long)k->min, (long long)k->max, v);
        return;
    }
    *S_FIELD(base, k, int64_t) = v;
}

static void
s_read_string(s_ctx_t *ctx, const config_setting_t *s, const char *path, const s_key_t *k,
              void *base)
{
    if (config_setting_type(s) != CONFIG_TYPE_STRING) {
        s_problem(ctx, s, path, "'%s' must be a string", path);
        return;
    }
    const char *v = config_setting_get_string(s);
    const char *why = NULL;
    int level = -1;
    if (!v)
        v = "";
    switch (k->kind) {
    case S_STRING:
        why = k->check ? k->check(v) : NULL;
        break;
    case S_PATH:
        why = s_check_path(v);
        break;
    case S_BIND:
        why = s_check_bind(v);
        break;
    case S_LEVEL:
        level = acc_log_parse_level(v);
        if (level < 0)
            why = "must be one of error, warn, info, debug";
        break;
    default:
        why = "has an unexpected type";
        break;
    }
    if (why) {
        s_problem(ctx, s, path, "'%s' %s", path, why);
        return;
    }
    if (k->kind == S_LEVEL)
        *S_FIELD(base, k, int) = level;
    else if (k->kind == S_PATH)
        s_store_path(ctx, S_FIELD(base, k, char *), v);
    else
        s_store_str(ctx, S_FIELD(base, k, char *), v);
}

static void s_read_categories(s_ctx_t *ctx, const config_setting_t *s, const char *path,
                              acc_config_t *cfg);

static const s_key_t *
s_find_key(const s_key_t *keys, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (name && strcmp(keys[i].name, name) == 0)
            return &keys[i];
    return NULL;
}

/* Read the members of @group (at key path @prefix) into @base according to @keys. */
static void
s_read_group(s_ctx_t *ctx, const config_setting_t *group, const char *prefix,
             const s_key_t *keys, size_t n, void *base)
{
    int len = config_setting_length(group);
    for (int i = 0; i < len && !ctx->fatal; i++) {
        const config_setting_t *s = config_setting_get_elem(group, (unsigned)i);
        const char *name = config_setting_name(s);
        char path[S_KEYPATH_MAX];
        s_keypath(path, sizeof path, prefix, name);
        const s_key_t *k = s_find_key(keys, n, name);
        if (!k) {
            s_problem(ctx, s, path, "unknown key '%s'", path);
            continue;
        }
        switch (k->kind) {
        case S_INT:
            s_read_int(ctx, s, path, k, base);
            break;
        case S_GROUP:
            if (config_setting_type(s) != CONFIG_TYPE_GROUP)
                s_problem(ctx, s, path, "'%s' must be a group { ... }", path);
            else
                s_read_group(ctx, s, path, k->sub, k->n_sub, base);
            break;
        case S_CATEGORIES:
            s_read_categories(ctx, s, path, base);
            break;
        default:
            s_read_string(ctx, s, path, k, base);
            break;
        }
    }
    for (size_t i = 0; i < n; i++) {
        if (keys[i].required && !config_setting_get_member(group, keys[i].name)) {
            char path[S_KEYPATH_MAX];
            s_keypath(path, sizeof path, prefix, keys[i].name);
            s_problem(ctx, group, NULL, "missing required key '%s'", path);
        }
    }
}

static void
s_free_categories(acc_category_t *cats, size_t n)
{
    for (size_t i = 0; cats && i < n; i++) {
        free(cats[i].id);
        free(cats[i].name_vi);
        free(cats[i].name_en);
    }
    free(cats);
}

static void
s_read_categories(s_ctx_t *ctx, const config_setting_t *s, const char *path,
                  acc_config_t *cfg)
{
    if (config_setting_type(s) != CONFIG_TYPE_LIST) {
        s_problem(ctx, s, path,
                  "'%s' must be a list of groups: ( { id = \"...\"; vi = \"...\"; "
                  "en = \"...\"; }, ... )",
                  path);
        return;
    }
    int n = config_setting_length(s);
    if (n == 0) {
        s_problem(ctx, s, path, "'%s' must not be empty", path);
        return;
    }
    if (n > S_CATEGORIES_MAX) {
        s_problem(ctx, s, path, "'%s' has %d entries, at most %d are allowed", path, n,
                  S_CATEGORIES_MAX);
        return;
    }
    acc_category_t *cats = calloc((size_t)n, sizeof *cats);
    if (!cats) {
        ctx->fatal = ACC_ERR_NOMEM;
        return;
    }
    s_free_categories(cfg->categories, cfg->n_categories);
    cfg->categories = cats;
    cfg->n_categories = (size_t)n;
    for (int i = 0; i < n && !ctx->fatal; i++) {
        const config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
        char epath[S_KEYPATH_MAX];
        s_fmt(epath, sizeof epath, "%s[%d]", path, i);
        if (config_setting_type(e) != CONFIG_TYPE_GROUP) {
            s_problem(ctx, e, epath, "'%s' must be a group { id = ...; vi = ...; en = ...; }",
                      epath);
            continue;
        }
        s_read_group(ctx, e, epath, s_category_keys, S_LEN(s_category_keys), &cats[i]);
        for (int j = 0; cats[i].id && j < i; j++) {
            if (cats[j].id && strcmp(cats[j].id, cats[i].id) == 0) {
                s_problem(ctx, config_setting_get_member(e, "id"), NULL,
                          "duplicate category id '%s' in '%s'", cats[i].id, path);
                break;
            }
        }
    }
}

static acc_err
s_default_taxonomy(acc_category_t **out, size_t *n_out)
{
    size_t n = S_LEN(s_default_categories);
    acc_category_t *cats = calloc(n, sizeof *cats);
    if (!cats)
        return ACC_ERR_NOMEM;
    for (size_t i = 0; i < n; i++) {
        cats[i].id = strdup(s_default_categories[i].id);
        cats[i].name_vi = strdup(s_default_categories[i].vi);
        cats[i].name_en = strdup(s_default_categories[i].en);
        if (!cats[i].id || !cats[i].name_vi || !cats[i].name_en) {
            s_free_categories(cats, n);
            return ACC_ERR_NOMEM;
        }
    }
    *out = cats;
    *n_out = n;
    return ACC_OK;
}

/* Checks that span keys, once every key has been read. */
static void
s_finish(s_ctx_t *ctx, acc_config_t *cfg)
{
    if (!cfg->name && cfg->agency)
        s_store_str(ctx, &cfg->name, cfg->agency);

    if (cfg->intake.map_max_mb < cfg->intake.map_size_mb) {
        const config_setting_t *s = config_lookup(ctx->lc, "intake.map_max_mb");
        if (!s)
            s = config_lookup(ctx->lc, "intake.map_size_mb");
        s_problem(ctx, s ? s : config_root_setting(ctx->lc), NULL,
                  "'intake.map_max_mb' (%lld) must not be below 'intake.map_size_mb' (%lld)",
                  (long long)cfg->intake.map_max_mb, (long long)cfg->intake.map_size_mb);
    }

    if (cfg->data_dir && !ctx->fatal) {
        static const char sock[] = "/intake.sock";
        size_t len = strlen(cfg->data_dir) + sizeof sock;
        char *ipc = malloc(len);
        if (!ipc) {
            ctx->fatal = ACC_ERR_NOMEM;
            return;
        }
        snprintf(ipc, len, "%s%s", cfg->data_dir, sock);
        if (len - 1 > S_SUN_PATH_MAX) {
            const config_setting_t *s = config_lookup(ctx->lc, "data_dir");
            s_problem(ctx, s ? s : config_root_setting(ctx->lc), NULL,
                      "'data_dir' is too long: the intake socket '%s' would be %zu bytes, "
                      "at most %d fit a unix socket address",
                      ipc, len - 1, S_SUN_PATH_MAX);
            free(ipc);
        } else {
            free(cfg->intake.ipc_path);
            cfg->intake.ipc_path = ipc;
        }
    }

    /* Two services cannot bind one endpoint; say so now rather than at bind time. */
    static const char *const svc[] = {"intake", "verification", "assignment", "notification",
                                      "reporting"};
    const char *binds[] = {cfg->intake.bind, cfg->verification.bind, cfg->assignment.bind,
                           cfg->notification.bind, cfg->reporting.bind};
    for (size_t i = 1; i < S_LEN(binds); i++) {
        for (size_t j = 0; j < i; j++) {
            if (binds[i] && binds[j] && binds[i][0] && strcmp(binds[i], binds[j]) == 0) {
                char key[64];
                snprintf(key, sizeof key, "%s.bind", svc[i]);
                const config_setting_t *s = config_lookup(ctx->lc, key);
                s_problem(ctx, s ? s : config_root_setting(ctx->lc), NULL,
                          "'%s' uses the same endpoint as '%s.bind' ('%s')", key, svc[j],
                          binds[i]);
                break;
            }
        }
    }

    if (!cfg->categories && !ctx->fatal) {
        acc_err rc = s_default_taxonomy(&cfg->categories, &cfg->n_categories);
        if (rc)
            ctx->fatal = rc;
    }

    for (size_t i = 0; i < ctx->n_flags; i++)
        if (!ctx->flags[i].used)
            s_problem_at(ctx, ctx->flags[i].where, NULL,
                         "integer %s does not fit 32 bits: write %sL", ctx->flags[i].literal,
                         ctx->flags[i].literal);
    if (ctx->flags_overflow)
        s_problem_at(ctx, ctx->path, NULL, "too many integers that do not fit 32 bits");
}

static void
s_io_problem(s_ctx_t *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
s_io_problem(s_ctx_t *ctx, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    s_problem_at(ctx, ctx->path, NULL, "%s", msg);
}

/* The loader behind acc_config_load and acc_config_check. */
static acc_err
s_load(s_ctx_t *ctx, acc_config_t **out)
{
    acc_config_t *cfg = NULL;
    char *dir = NULL;
    config_t lc;
    bool lc_init = false;
    acc_err rc;
    const char *path = ctx->path;

    FILE *f = fopen(path, "r");
    if (!f) {
        s_io_problem(ctx, "cannot open '%s': %s", path, strerror(errno));
        return ACC_ERR_IO;
    }
    struct stat st;
    int is_dir = fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode);
    fclose(f);
    if (is_dir) {
        s_io_problem(ctx, "cannot read '%s': it is a directory", path);
        return ACC_ERR_IO;
    }
    rc = s_abs_dir(path, &dir);
    if (rc) {
        if (rc == ACC_ERR_IO)
            s_io_problem(ctx, "cannot resolve the directory of '%s'", path);
        return rc;
    }
    ctx->dir = dir;

    config_init(&lc);
    lc_init = true;
    ctx->lc = &lc;
    config_set_include_dir(&lc, dir);
    if (!config_read_file(&lc, path)) {
        if (config_error_type(&lc) == CONFIG_ERR_FILE_IO) {
            s_io_problem(ctx, "cannot read '%s'", path);
            rc = ACC_ERR_IO;
        } else {
            char file[PATH_MAX], where[PATH_MAX + 16];
            s_display_file(ctx, config_error_file(&lc), file, sizeof file);
            snprintf(where, sizeof where, "%s:%d", file, config_error_line(&lc));
            const char *text = config_error_text(&lc);
            s_problem_at(ctx, where, NULL, "%s", text ? text : "syntax error");
            rc = ACC_ERR_CONFIG;
        }
        goto out;
    }

    s_lex_t lx = {.ctx = ctx, .depth = 1};
    s_lex_file(&lx, path, 0);
    if (ctx->fatal) {
        rc = ctx->fatal;
        goto out;
    }

    cfg = calloc(1, sizeof *cfg);
    if (!cfg) {
        rc = ACC_ERR_NOMEM;
        goto out;
    }
    cfg->path = strdup(path);
    cfg->dir = strdup(dir);
    if (!cfg->path || !cfg->dir) {
        rc = ACC_ERR_NOMEM;
        goto out;
    }
    s_set_defaults(ctx, s_root_keys, S_LEN(s_root_keys), cfg);
    if (!ctx->fatal)
        s_read_group(ctx, config_root_setting(&lc), "", s_root_keys, S_LEN(s_root_keys), cfg);
    if (!ctx->fatal)
        s_finish(ctx, cfg);
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
    if (lc_init)
        config_destroy(&lc);
    ctx->lc = NULL;
    ctx->dir = NULL;
    free(dir);
    return rc;
}

acc_err
acc_config_load(const char *path, acc_config_t **out, acc_errinfo_t *ei)
{
    acc_errinfo_clear(ei);
    s_ctx_t ctx = {.path = path ? path : "", .ei = ei};
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
    s_ctx_t ctx = {.path = path ? path : "", .report = report, .arg = arg};
    return s_load(&ctx, NULL);
}

void
acc_config_destroy(acc_config_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    acc_config_t *c = *self_p;
    free(c->path);
    free(c->dir);
    free(c->agency);
    free(c->name);
    free(c->data_dir);
    free(c->keys_dir);
    free(c->intake.bind);
    free(c->intake.ipc_path);
    free(c->verification.bind);
    free(c->assignment.bind);
    free(c->notification.bind);
    free(c->reporting.bind);
    s_free_categories(c->categories, c->n_categories);
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
        int w = snprintf(buf + used, buflen - used, "%s%s", i ? ", " : "",
                         cfg->categories[i].id);
        if (w < 0)
            break;
        used += (size_t)w;
    }
}

/* ---- rendering ---------------------------------------------------------------------- */

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
s_render_keys(s_buf_t *b, const s_key_t *keys, size_t n, const char *indent, const char *agency,
              const char *name, int port_base)
{
    for (size_t i = 0; i < n; i++) {
        const s_key_t *k = &keys[i];
        char bind[64];
        if ((k->kind == S_GROUP || k->kind == S_CATEGORIES) && indent[0] == '\0')
            s_buf_printf(b, "\n");
        s_buf_comment(b, indent, k->help);
        s_buf_printf(b, "%s%s = ", indent, k->name);
        switch (k->kind) {
        case S_INT:
            s_buf_printf(b, "%lld%s;\n", (long long)k->def_int,
                         (k->def_int > INT32_MAX || k->def_int < INT32_MIN) ? "L" : "");
            break;
        case S_LEVEL:
            s_buf_printf(b, "\"%s\";\n", s_level_names[k->def_int]);
            break;
        case S_STRING:
            /* agency and name are the operator's; other strings have defaults. */
            s_buf_quoted(b, k->offset == S_OFF(agency) ? agency
                            : k->offset == S_OFF(name) ? name
                                                       : (k->def_str ? k->def_str : ""));
            s_buf_printf(b, ";\n");
            break;
        case S_PATH:
            s_buf_quoted(b, k->def_str);
            s_buf_printf(b, ";\n");
            break;
        case S_BIND:
            s_default_bind(port_base, k->def_int, bind, sizeof bind);
            s_buf_printf(b, "\"%s\";\n", bind);
            break;
        case S_GROUP:
            s_buf_printf(b, "{\n");
            s_render_keys(b, k->sub, k->n_sub, "    ", agency, name, port_base);
            s_buf_printf(b, "%s};\n", indent);
            break;
        case S_CATEGORIES:
            s_buf_printf(b, "(\n");
            for (size_t j = 0; j < S_LEN(s_default_categories); j++) {
                s_buf_printf(b, "%s    { id = ", indent);
                s_buf_quoted(b, s_default_categories[j].id);
                s_buf_printf(b, "; vi = ");
                s_buf_quoted(b, s_default_categories[j].vi);
                s_buf_printf(b, "; en = ");
                s_buf_quoted(b, s_default_categories[j].en);
                s_buf_printf(b, "; }%s\n", j + 1 < S_LEN(s_default_categories) ? "," : "");
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
    if (!acc_config_valid_agency(agency)) {
        acc_errinfo_set(ei, "agency", "'%s' %s", agency ? agency : "",
                        s_check_agency(agency ? agency : ""));
        return ACC_ERR_INVALID;
    }
    if (!name)
        name = agency;
    const char *why = s_check_text(name);
    if (why) {
        acc_errinfo_set(ei, "name", "'name' %s", why);
        return ACC_ERR_INVALID;
    }
    if (port_base == 0)
        port_base = S_PORT_DEFAULT;
    else if (port_base < S_PORT_MIN || port_base > 65536 - S_PORT_SPAN) {
        acc_errinfo_set(ei, "port_base", "port base %d must be 0 or between %d and %d",
                        port_base, S_PORT_MIN, 65536 - S_PORT_SPAN);
        return ACC_ERR_INVALID;
    }

    s_buf_t b = {0};
    s_buf_printf(&b, "# accord node configuration (cấu hình nút accord)\n"
                     "#\n"
                     "# Format: libconfig. Every key except 'agency' is optional and takes\n"
                     "# the value shown here when absent; unknown keys are errors.\n"
                     "# Relative paths, and @include, resolve against this file's directory.\n"
                     "# Integers beyond 32 bits need the L suffix (3000000000L).\n\n");
    s_render_keys(&b, s_root_keys, S_LEN(s_root_keys), "", agency, name, port_base);
    if (b.oom) {
        free(b.p);
        acc_errinfo_set(ei, "", "out of memory");
        return ACC_ERR_NOMEM;
    }
    *out = b.p;
    return ACC_OK;
}
