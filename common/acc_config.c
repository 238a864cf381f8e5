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
 * as -1294967296, 4294966876 as -420) and gives no way to notice afterwards. So before
 * the parse a small scanner reads the file (and its includes), finds every integer
 * literal that libconfig will wrap, and records it by key path; reading such a key is
 * then a range error instead of a silently wrong value. The same pass refuses includes
 * that are not regular files, which would make libconfig 1.5 exit the process.
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

#include "acc_log.h"

#define S_TEXT_MAX 200       /* bytes of `name` and of a category label */
#define S_CATEGORIES_MAX 256 /* entries in `categories` */
#define S_SOURCES_MAX 256    /* entries in `sources` */
#define S_FEED_TAGS_MAX 1024 /* entries in `feed_tags` */
#define S_TOKEN_MIN 16       /* bytes of a source's bearer token */
#define S_TOKEN_MAX 256
#define S_TOKEN_EXAMPLE "replace-with-a-long-random-secret" /* in the rendered example */
#define S_SUN_PATH_MAX 107    /* sizeof(sockaddr_un.sun_path) - 1 on Linux */
#define S_BIND_MAX 256        /* bytes of an endpoint string */
#define S_DIR_MAX 4000        /* bytes of data_dir / keys_dir as written */
#define S_PORT_DEFAULT 7400   /* intake; the other services follow at +1..+4 */
#define S_PORT_MIN 1024       /* lowest port_base for acc_config_render */
#define S_PORT_LAST 8         /* highest offset from port_base: HTTP */
#define S_KEYPATH_MAX 256     /* "categories[12].id" and the like */
#define S_FILE_MAX (16 << 20) /* a config file larger than this is a mistake */
#define S_INCLUDE_DEPTH 10    /* libconfig 1.5's MAX_INCLUDE_DEPTH */
#define S_INCLUDE_MAX 64      /* files per load: a self-including fan-out grows fast */
#define S_LEX_DEPTH 32        /* nesting the scanner tracks by name; deeper is unknown */
#define S_FLAGS_MAX 256       /* wrapped literals remembered; more is an error */

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
    S_INT,    /* int64_t, range-checked */
    S_STRING, /* char *, with an optional extra rule */
    S_PATH,   /* char *, made absolute against the file's directory */
    S_BIND,   /* char *, endpoint; default port S_PORT_DEFAULT + def_int */
    S_LEVEL,  /* int, one of s_level_names */
    S_GROUP,  /* { ... } with members in sub */
    S_LIST,   /* ( { ... }, ... ): an array of structs described by elem */
} s_kind;

typedef struct s_key s_key_t;
struct s_key {
    const char *name;
    s_kind kind;
    int64_t min, max;                        /* S_INT: inclusive range */
    int64_t def_int;                         /* S_INT, S_LEVEL: default; S_BIND: port offset */
    const char *def_str;                     /* S_STRING, S_PATH: default; NULL: none */
    size_t offset;                           /* into the struct being filled (not for S_GROUP) */
    const char *(*check)(const char *value); /* S_STRING: NULL or the problem */
    bool required;
    bool empty_null;    /* S_STRING, S_PATH: "" means none (NULL) */
    bool unique;        /* S_STRING in a list element: no two may share it */
    bool nocase;        /* unique ignoring ASCII case (feed tags match so) */
    bool secret;        /* never echo the value in a message */
    bool hostport;      /* S_BIND: "HOST:PORT" (HTTP), not "tcp://HOST:PORT" */
    const s_key_t *sub; /* S_GROUP members */
    size_t n_sub;
    const s_key_t *elem; /* S_LIST: element members; the array is at offset */
    size_t n_elem, elem_size;
    size_t count_offset; /* S_LIST: the size_t element count */
    int max_items;
    bool non_empty;
    const char *example; /* S_LIST: commented-out example written by render */
    const char *help;    /* comment written by acc_config_render */
};

static const char *s_check_agency(const char *v);
static const char *s_check_text(const char *v);
static const char *s_check_category_id(const char *v);
static const char *s_check_source_name(const char *v);
static const char *s_check_token(const char *v);
static const char *s_check_trust(const char *v);

#define S_OFF(field) offsetof(acc_config_t, field)

static const s_key_t s_limits_keys[] = {
    {.name = "message_max_bytes",
     .kind = S_INT,
     .min = 1024,
     .max = 64 << 20,
     .def_int = 1 << 20,
     .offset = S_OFF(limits.message_max_bytes),
     .help = "largest message accepted on any socket (1 KiB .. 64 MiB)"},
    {.name = "url_max_bytes",
     .kind = S_INT,
     .min = 256,
     .max = 65536,
     .def_int = 8192,
     .offset = S_OFF(limits.url_max_bytes),
     .help = "longest URL in a report (256 .. 65536)"},
    {.name = "text_max_bytes",
     .kind = S_INT,
     .min = 1024,
     .max = 1 << 20,
     .def_int = 32768,
     .offset = S_OFF(limits.text_max_bytes),
     .help = "longest text excerpt or description (1 KiB .. 1 MiB)"},
};

static const s_key_t s_intake_keys[] = {
    {.name = "bind",
     .kind = S_BIND,
     .def_int = 0,
     .offset = S_OFF(intake.bind),
     .help = "reports API endpoint (cổng nhận tin phản ánh); \"\" for none"},
    {.name = "batch_max",
     .kind = S_INT,
     .min = 1,
     .max = 100000,
     .def_int = 1000,
     .offset = S_OFF(intake.batch_max),
     .help = "reports per commit (1 .. 100000)"},
    {.name = "commit_wait_us",
     .kind = S_INT,
     .min = 0,
     .max = 1000000,
     .def_int = 1000,
     .offset = S_OFF(intake.commit_wait_us),
     .help = "microseconds to wait for a batch to fill (0 .. 1000000)"},
    {.name = "map_size_mb",
     .kind = S_INT,
     .min = 1,
     .max = 1048576,
     .def_int = 64,
     .offset = S_OFF(intake.map_size_mb),
     .help = "initial store size in MiB (1 .. 1048576)"},
    {.name = "map_max_mb",
     .kind = S_INT,
     .min = 1,
     .max = 16777216,
     .def_int = 1048576,
     .offset = S_OFF(intake.map_max_mb),
     .help = "largest store size in MiB (map_size_mb .. 16777216)"},
};

#define S_BIND_GROUP(svc, port_off, text)                                                          \
    static const s_key_t s_##svc##_keys[] = {                                                      \
        {.name = "bind",                                                                           \
         .kind = S_BIND,                                                                           \
         .def_int = (port_off),                                                                    \
         .offset = S_OFF(svc.bind),                                                                \
         .help = text},                                                                            \
    }
S_BIND_GROUP(verification, 1, "verification endpoint (thẩm định); \"\" for none");
S_BIND_GROUP(assignment, 2, "assignment endpoint (giao nhiệm vụ xử lý); \"\" for none");
S_BIND_GROUP(notification, 3, "notification endpoint (thông báo); \"\" for none");
S_BIND_GROUP(reporting, 4, "reporting endpoint (báo cáo, thống kê); \"\" for none");

static const s_key_t s_http_keys[] = {
    {.name = "bind",
     .kind = S_BIND,
     .hostport = true,
     .def_int = S_PORT_LAST,
     .offset = S_OFF(http.bind),
     .help = "HOST:PORT of HTTP ingest and the citizen form; \"\" for no HTTP"},
    {.name = "body_max_bytes",
     .kind = S_INT,
     .min = 1024,
     .max = 256 << 20,
     .def_int = 4 << 20,
     .offset = S_OFF(http.body_max_bytes),
     .help = "largest request body (1 KiB .. 256 MiB); larger bodies get 413"},
    {.name = "tls_cert",
     .kind = S_PATH,
     .empty_null = true,
     .offset = S_OFF(http.tls_cert),
     .help = "PEM certificate, relative to this file; with tls_key: HTTPS"},
    {.name = "tls_key",
     .kind = S_PATH,
     .empty_null = true,
     .offset = S_OFF(http.tls_key),
     .help = "PEM private key, relative to this file"},
    {.name = "citizen_rate_per_minute",
     .kind = S_INT,
     .min = 1,
     .max = 100000,
     .def_int = 10,
     .offset = S_OFF(http.citizen_rate_per_minute),
     .help = "citizen form/API reports per client address and minute (1 .. 100000)"},
};

#define S_CAT_OFF(field) offsetof(acc_category_t, field)

static const s_key_t s_category_keys[] = {
    {.name = "id",
     .kind = S_STRING,
     .offset = S_CAT_OFF(id),
     .check = s_check_category_id,
     .required = true,
     .unique = true},
    {.name = "vi",
     .kind = S_STRING,
     .offset = S_CAT_OFF(name_vi),
     .check = s_check_text,
     .required = true},
    {.name = "en",
     .kind = S_STRING,
     .offset = S_CAT_OFF(name_en),
     .check = s_check_text,
     .required = true},
};

#define S_SRC_OFF(field) offsetof(acc_source_cfg_t, field)

static const s_key_t s_source_keys[] = {
    {.name = "name",
     .kind = S_STRING,
     .offset = S_SRC_OFF(name),
     .check = s_check_source_name,
     .required = true,
     .unique = true},
    {.name = "token",
     .kind = S_STRING,
     .offset = S_SRC_OFF(token),
     .check = s_check_token,
     .empty_null = true,
     .unique = true,
     .secret = true},
    {.name = "trust",
     .kind = S_STRING,
     .offset = S_SRC_OFF(trust),
     .check = s_check_trust,
     .def_str = "medium"},
    {.name = "confidence",
     .kind = S_INT,
     .min = 0,
     .max = 100,
     .def_int = 0,
     .offset = S_SRC_OFF(confidence)},
    {.name = "rate_per_minute",
     .kind = S_INT,
     .min = 0,
     .max = 1000000,
     .def_int = 6000,
     .offset = S_SRC_OFF(rate_per_minute)},
};

#define S_TAG_OFF(field) offsetof(acc_feed_tagmap_t, field)

static const s_key_t s_feed_tag_keys[] = {
    {.name = "tag",
     .kind = S_STRING,
     .offset = S_TAG_OFF(tag),
     .check = s_check_text,
     .required = true,
     .unique = true,
     .nocase = true},
    {.name = "category",
     .kind = S_STRING,
     .offset = S_TAG_OFF(category),
     .check = s_check_category_id,
     .required = true},
};

#define S_GROUP_OF(table) .kind = S_GROUP, .sub = (table), .n_sub = S_LEN(table)
#define S_LIST_OF(table, type, field, n_field, max)                                                \
    .kind = S_LIST, .elem = (table), .n_elem = S_LEN(table), .elem_size = sizeof(type),            \
    .offset = S_OFF(field), .count_offset = S_OFF(n_field), .max_items = (max)

static const s_key_t s_root_keys[] = {
    {.name = "agency",
     .kind = S_STRING,
     .offset = S_OFF(agency),
     .check = s_check_agency,
     .required = true,
     .help = "this agency's id (mã cơ quan): 2-32 characters, a-z 0-9 and '-'"},
    {.name = "name",
     .kind = S_STRING,
     .offset = S_OFF(name),
     .check = s_check_text,
     .help = "human-readable name (tên cơ quan), UTF-8, at most 200 bytes"},
    {.name = "data_dir",
     .kind = S_PATH,
     .def_str = "data",
     .offset = S_OFF(data_dir),
     .help = "store directory (thư mục dữ liệu), relative to this file"},
    {.name = "keys_dir",
     .kind = S_PATH,
     .def_str = "keys",
     .offset = S_OFF(keys_dir),
     .help = "CURVE key directory (thư mục khóa), relative to this file"},
    {.name = "log_level",
     .kind = S_LEVEL,
     .def_int = ACC_LOG_INFO,
     .offset = S_OFF(log_level),
     .help = "error | warn | info | debug"},
    {.name = "utc_offset_minutes",
     .kind = S_INT,
     .min = -720,
     .max = 840,
     .def_int = 420,
     .offset = S_OFF(utc_offset_minutes),
     .help = "local time zone, decides the year of a case number (Việt Nam: 420)"},
    {.name = "limits", S_GROUP_OF(s_limits_keys), .help = "input size limits"},
    {.name = "intake",
     S_GROUP_OF(s_intake_keys),
     .help = "intake: receives reports and stores them (tiếp nhận)"},
    {.name = "verification", S_GROUP_OF(s_verification_keys), .help = NULL},
    {.name = "assignment", S_GROUP_OF(s_assignment_keys), .help = NULL},
    {.name = "notification", S_GROUP_OF(s_notification_keys), .help = NULL},
    {.name = "reporting", S_GROUP_OF(s_reporting_keys), .help = NULL},
    {.name = "http",
     S_GROUP_OF(s_http_keys),
     .help = "HTTP ingest of reports and feeds, and the citizen form (tiếp nhận qua HTTP)"},
    {.name = "categories",
     S_LIST_OF(s_category_keys, acc_category_t, categories, n_categories, S_CATEGORIES_MAX),
     .non_empty = true,
     .help = "violation categories (danh mục vi phạm): id [a-z0-9][a-z0-9-]{0,47},\n"
             "Vietnamese and English labels; at most 256 entries"},
    {.name = "sources",
     S_LIST_OF(s_source_keys, acc_source_cfg_t, sources, n_sources, S_SOURCES_MAX),
     .help = "feeds and partners that submit reports (nguồn tin): name\n"
             "[a-z0-9][a-z0-9._:-]{0,63} (\"citizen\" sets the citizen form's trust); token: bearer token for\n"
             "HTTP ingest, at least 16 characters (absent: no HTTP access); trust\n"
             "high|medium|low; confidence 0..100 (0: none); rate_per_minute 0 = unlimited",
     .example = "sources = (\n"
                "    { name = \"vncert\"; token = \"" S_TOKEN_EXAMPLE "\";\n"
                "      trust = \"high\"; confidence = 80; rate_per_minute = 6000; }\n"
                ");"},
    {.name = "feed_tags",
     S_LIST_OF(s_feed_tag_keys, acc_feed_tagmap_t, feed_tags, n_feed_tags, S_FEED_TAGS_MAX),
     .help = "feed tag -> category (MISP/STIX tags, case-insensitive); the category\n"
             "must be one of 'categories'",
     .example = "feed_tags = (\n"
                "    { tag = \"phishing\"; category = \"phishing-malware\"; },\n"
                "    { tag = \"malware\"; category = \"phishing-malware\"; }\n"
                ");"},
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

static void s_problem_at(s_ctx_t *ctx, const char *where, const char *cover, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void s_problem(s_ctx_t *ctx, const config_setting_t *s, const char *cover, const char *fmt,
                      ...) __attribute__((format(printf, 4, 5)));

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
    return s_valid_host_port(v + 6) ? NULL : bad;
}

/* "" | "HOST:PORT" (the HTTP listener) */
static const char *
s_check_host_port(const char *v)
{
    if (!*v)
        return NULL;
    if (strlen(v) > S_BIND_MAX)
        return "must be at most 256 bytes";
    return s_valid_host_port(v) ? NULL
                                : "must be \"\" (none) or \"HOST:PORT\" with a port from 1 "
                                  "to 65535";
}

/* [a-z0-9][a-z0-9._:-]{0,63} */
static const char *
s_check_source_name(const char *v)
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

static const char *
s_check_token(const char *v)
{
    size_t len = strlen(v);
    if (len < S_TOKEN_MIN)
        return "must be at least 16 characters";
    if (len > S_TOKEN_MAX)
        return "must be at most 256 characters";
    for (const unsigned char *p = (const unsigned char *)v; *p; p++)
        if (*p < 0x21 || *p > 0x7E)
            return "must be printable ASCII without spaces";
    /* An example uncommented as is would give every node the same published secret. */
    if (strcmp(v, S_TOKEN_EXAMPLE) == 0)
        return "is the example from the generated file: set a random secret";
    return NULL;
}

static const char *
s_check_trust(const char *v)
{
    if (strcmp(v, "high") == 0 || strcmp(v, "medium") == 0 || strcmp(v, "low") == 0)
        return NULL;
    return "must be one of high, medium, low";
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
 * brackets, @include) to know the key path of each integer literal. It runs before
 * libconfig, on any bytes: on a file that parses, its key paths are right; on one that
 * does not, libconfig's syntax error is what gets reported, and the lexer must merely
 * not crash.
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
    int n_includes;                /* @include files opened so far */
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

/*
 * @include "NAME" at @p (just after '@'); returns the bytes consumed and counts newlines
 * into *@line. The include must name a regular file: libconfig 1.5's scanner calls
 * exit(2) when it cannot read an include ("input in flex scanner failed": a directory,
 * `@include ""`), and blocks forever on a FIFO. So this check runs before libconfig
 * sees the file, and names are kept plain (no escapes, NULs or control characters) so
 * that the file checked here is the file libconfig opens.
 */
static size_t
s_lex_include(s_lex_t *lx, const char *p, const char *end, int depth, const char *file, int *line)
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
    char where[PATH_MAX + 16];
    s_fmt(where, sizeof where, "%s:%d", file, *line);
    char name[PATH_MAX];
    size_t n = 0;
    bool plain = true;
    while (q < end && *q != '"') {
        unsigned char c = (unsigned char)*q++;
        if (c == '\\' && q < end) {
            plain = false;
            c = (unsigned char)*q++;
        }
        if (c == '\n')
            ++*line;
        if (c < 0x20 || c == 0x7F)
            plain = false;
        if (n + 1 < sizeof name)
            name[n++] = (char)c;
        else
            plain = false;
    }
    name[n] = '\0';
    if (q < end)
        q++;
    if (!plain || n == 0) {
        s_problem_at(lx->ctx, where, NULL,
                     "@include needs a plain file name (no escapes or control characters)");
    } else if (depth + 1 >= S_INCLUDE_DEPTH) {
        s_problem_at(lx->ctx, where, NULL, "include file nesting too deep");
    } else if (++lx->n_includes > S_INCLUDE_MAX) {
        s_problem_at(lx->ctx, where, NULL, "more than %d @include files", S_INCLUDE_MAX);
    } else {
        /* libconfig 1.5 always opens <include dir>/<name>. */
        char full[PATH_MAX];
        int w = snprintf(full, sizeof full, "%s/%s", lx->ctx->dir, name);
        struct stat st;
        if (w < 0 || (size_t)w >= sizeof full)
            s_problem_at(lx->ctx, where, NULL, "include path '%s' is too long", name);
        else if (stat(full, &st) != 0)
            s_problem_at(lx->ctx, where, NULL, "cannot include '%s': %s", full, strerror(errno));
        else if (!S_ISREG(st.st_mode))
            s_problem_at(lx->ctx, where, NULL, "cannot include '%s': not a regular file", full);
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
    /* Any problem found here (an unreadable include) ends the scan: the file will not
     * be parsed, and going on could repeat the problem once per include. */
    while (p < end && !lx->ctx->fatal && lx->ctx->n_problems == 0) {
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
            size_t n = s_lex_include(lx, p + 1, end, depth, file, &line);
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
    size_t len = 0, cap = 0;
    if (!f) {
        s_problem_at(ctx, fspath, NULL, "cannot read '%s': %s", fspath, strerror(errno));
        return;
    }
    /* Grow as we read: st_size is only a hint (and 0 for pipes). */
    struct stat st;
    size_t hint = 4096;
    if (fstat(fileno(f), &st) == 0 && st.st_size > 0 && st.st_size <= S_FILE_MAX)
        hint = (size_t)st.st_size + 1;
    for (;;) {
        if (!buf || len == cap) {
            if (cap > S_FILE_MAX) {
                s_problem_at(ctx, fspath, NULL, "'%s' is larger than 16 MiB", fspath);
                goto out;
            }
            size_t ncap = buf ? cap * 2 : hint;
            if (ncap > (size_t)S_FILE_MAX + 1)
                ncap = (size_t)S_FILE_MAX + 1;
            char *nbuf = realloc(buf, ncap);
            if (!nbuf) {
                ctx->fatal = ACC_ERR_NOMEM;
                goto out;
            }
            buf = nbuf;
            cap = ncap;
        }
        size_t n = fread(buf + len, 1, cap - len, f);
        len += n;
        if (n == 0)
            break;
    }
    if (ferror(f)) {
        s_problem_at(ctx, fspath, NULL, "cannot read '%s'", fspath);
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
    char *dup = NULL;
    if (v && !(dup = strdup(v))) {
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
s_default_bind(const s_key_t *k, int port_base, char *buf, size_t size)
{
    snprintf(buf, size, "%s127.0.0.1:%d", k->hostport ? "" : "tcp://", port_base + (int)k->def_int);
}

#define S_FIELD(base, k, type) ((type *)((char *)(base) + (k)->offset))
#define S_COUNT(base, k) ((size_t *)((char *)(base) + (k)->count_offset))

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
            if (k->def_str)
                s_store_path(ctx, S_FIELD(base, k, char *), k->def_str);
            break;
        case S_BIND:
            s_default_bind(k, S_PORT_DEFAULT, bind, sizeof bind);
            s_store_str(ctx, S_FIELD(base, k, char *), bind);
            break;
        case S_GROUP:
            s_set_defaults(ctx, k->sub, k->n_sub, base);
            break;
        case S_LIST:
            break; /* absent lists are empty; the taxonomy is filled in by s_finish */
        }
    }
}

/* Free what the tables say @base owns: strings, and the arrays of lists. */
static void s_free_keys(const s_key_t *keys, size_t n, void *base);

static void
s_free_items(const s_key_t *k, void *items, size_t count)
{
    for (size_t i = 0; items && i < count; i++)
        s_free_keys(k->elem, k->n_elem, (char *)items + i * k->elem_size);
    free(items);
}

static void
s_free_keys(const s_key_t *keys, size_t n, void *base)
{
    for (size_t i = 0; i < n; i++) {
        const s_key_t *k = &keys[i];
        switch (k->kind) {
        case S_STRING:
        case S_PATH:
        case S_BIND:
            free(*S_FIELD(base, k, char *));
            *S_FIELD(base, k, char *) = NULL;
            break;
        case S_GROUP:
            s_free_keys(k->sub, k->n_sub, base);
            break;
        case S_LIST:
            s_free_items(k, *S_FIELD(base, k, void *), *S_COUNT(base, k));
            *S_FIELD(base, k, void *) = NULL;
            *S_COUNT(base, k) = 0;
            break;
        case S_INT:
        case S_LEVEL:
            break;
        }
    }
}

static void
s_keypath(char *buf, size_t size, const char *prefix, const char *name)
{
    if (prefix[0])
        s_fmt(buf, size, "%s.%s", prefix, name ? name : "");
    else
        s_fmt(buf, size, "%s", name ? name : "");
}

static void
s_read_int(s_ctx_t *ctx, const config_setting_t *s, const char *path, const s_key_t *k, void *base)
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
            s_problem(ctx, s, path, "'%s' = %s does not fit 32 bits: write %sL", path, f->literal,
                      f->literal);
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
    if (k->empty_null && !*v) {
        s_store_str(ctx, S_FIELD(base, k, char *), NULL);
        return;
    }
    switch (k->kind) {
    case S_STRING:
        why = k->check ? k->check(v) : NULL;
        break;
    case S_PATH:
        why = s_check_path(v);
        break;
    case S_BIND:
        why = k->hostport ? s_check_host_port(v) : s_check_bind(v);
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

static void s_read_list(s_ctx_t *ctx, const config_setting_t *s, const char *path, const s_key_t *k,
                        void *base);

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
s_read_group(s_ctx_t *ctx, const config_setting_t *group, const char *prefix, const s_key_t *keys,
             size_t n, void *base)
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
        case S_LIST:
            s_read_list(ctx, s, path, k, base);
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

/* Element @i of list @k against the elements before it: `unique` members must differ. */
static void
s_check_unique(s_ctx_t *ctx, const config_setting_t *e, const char *list_path, const s_key_t *k,
               const char *items, size_t i)
{
    for (size_t m = 0; m < k->n_elem; m++) {
        const s_key_t *ek = &k->elem[m];
        if (!ek->unique)
            continue;
        const char *mine = *S_FIELD(items + i * k->elem_size, ek, char *);
        for (size_t j = 0; mine && j < i; j++) {
            const char *other = *S_FIELD(items + j * k->elem_size, ek, char *);
            if (other && (ek->nocase ? strcasecmp(other, mine) : strcmp(other, mine)) == 0) {
                const config_setting_t *at = config_setting_get_member(e, ek->name);
                if (ek->secret)
                    s_problem(ctx, at ? at : e, NULL,
                              "duplicate %s: '%s[%zu].%s' repeats '%s[%zu].%s'", ek->name,
                              list_path, i, ek->name, list_path, j, ek->name);
                else
                    s_problem(ctx, at ? at : e, NULL,
                              "duplicate %s '%s': '%s[%zu].%s' repeats '%s[%zu].%s'", ek->name,
                              mine, list_path, i, ek->name, list_path, j, ek->name);
                break;
            }
        }
    }
}

static void
s_read_list(s_ctx_t *ctx, const config_setting_t *s, const char *path, const s_key_t *k, void *base)
{
    if (config_setting_type(s) != CONFIG_TYPE_LIST) {
        s_problem(ctx, s, path, "'%s' must be a list of groups: ( { ... }, ... )", path);
        return;
    }
    int n = config_setting_length(s);
    if (n == 0 && k->non_empty) {
        s_problem(ctx, s, path, "'%s' must not be empty", path);
        return;
    }
    if (n > k->max_items) {
        s_problem(ctx, s, path, "'%s' has %d entries, at most %d are allowed", path, n,
                  k->max_items);
        return;
    }
    char *items = NULL;
    if (n > 0 && !(items = calloc((size_t)n, k->elem_size))) {
        ctx->fatal = ACC_ERR_NOMEM;
        return;
    }
    s_free_items(k, *S_FIELD(base, k, void *), *S_COUNT(base, k));
    *S_FIELD(base, k, void *) = items;
    *S_COUNT(base, k) = (size_t)n;
    for (int i = 0; i < n && !ctx->fatal; i++) {
        const config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
        char *item = items + (size_t)i * k->elem_size;
        char epath[S_KEYPATH_MAX];
        s_fmt(epath, sizeof epath, "%s[%d]", path, i);
        if (config_setting_type(e) != CONFIG_TYPE_GROUP) {
            s_problem(ctx, e, epath, "'%s' must be a group { ... }", epath);
            continue;
        }
        s_set_defaults(ctx, k->elem, k->n_elem, item);
        s_read_group(ctx, e, epath, k->elem, k->n_elem, item);
        s_check_unique(ctx, e, path, k, items, (size_t)i);
    }
}

static acc_err
s_default_taxonomy(acc_config_t *cfg)
{
    size_t n = S_LEN(s_default_categories);
    acc_category_t *cats = calloc(n, sizeof *cats);
    if (!cats)
        return ACC_ERR_NOMEM;
    cfg->categories = cats;
    cfg->n_categories = n;
    for (size_t i = 0; i < n; i++) {
        cats[i].id = strdup(s_default_categories[i].id);
        cats[i].name_vi = strdup(s_default_categories[i].vi);
        cats[i].name_en = strdup(s_default_categories[i].en);
        if (!cats[i].id || !cats[i].name_vi || !cats[i].name_en)
            return ACC_ERR_NOMEM; /* the caller's destroy frees what is there */
    }
    return ACC_OK;
}

static const config_setting_t *
s_setting_or_root(const s_ctx_t *ctx, const char *key)
{
    const config_setting_t *s = config_lookup(ctx->lc, key);
    return s ? s : config_root_setting(ctx->lc);
}

/* Checks that span keys, once every key has been read. */
static void
s_finish(s_ctx_t *ctx, acc_config_t *cfg)
{
    if (!cfg->name && cfg->agency)
        s_store_str(ctx, &cfg->name, cfg->agency);

    if (cfg->intake.map_max_mb < cfg->intake.map_size_mb) {
        const config_setting_t *s = config_lookup(ctx->lc, "intake.map_max_mb");
        s_problem(ctx, s ? s : s_setting_or_root(ctx, "intake.map_size_mb"), NULL,
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
            s_problem(ctx, s_setting_or_root(ctx, "data_dir"), NULL,
                      "'data_dir' is too long: the intake socket '%s' would be %zu bytes, "
                      "at most %d fit a unix socket address",
                      ipc, len - 1, S_SUN_PATH_MAX);
            free(ipc);
        } else {
            free(cfg->intake.ipc_path);
            cfg->intake.ipc_path = ipc;
        }
    }

    /* Two listeners cannot share an endpoint; say so now rather than at bind time. */
    static const char *const svc[] = {"intake",       "verification", "assignment",
                                      "notification", "reporting",    "http"};
    char http[S_BIND_MAX + 8] = "";
    if (cfg->http.bind && cfg->http.bind[0])
        s_fmt(http, sizeof http, "tcp://%s", cfg->http.bind);
    const char *binds[] = {cfg->intake.bind,       cfg->verification.bind, cfg->assignment.bind,
                           cfg->notification.bind, cfg->reporting.bind,    http};
    for (size_t i = 1; i < S_LEN(binds); i++) {
        for (size_t j = 0; j < i; j++) {
            if (binds[i] && binds[j] && binds[i][0] && strcmp(binds[i], binds[j]) == 0) {
                char key[64];
                snprintf(key, sizeof key, "%s.bind", svc[i]);
                s_problem(ctx, s_setting_or_root(ctx, key), NULL,
                          "'%s' uses the same endpoint as '%s.bind' ('%s')", key, svc[j], binds[i]);
                break;
            }
        }
    }

    if (!cfg->http.tls_cert != !cfg->http.tls_key) {
        const char *set = cfg->http.tls_cert ? "http.tls_cert" : "http.tls_key";
        const char *unset = cfg->http.tls_cert ? "http.tls_key" : "http.tls_cert";
        s_problem(ctx, s_setting_or_root(ctx, set), NULL, "'%s' needs '%s' as well", set, unset);
    }

    bool own_taxonomy = config_lookup(ctx->lc, "categories") != NULL;
    if (!cfg->categories && !own_taxonomy && !ctx->fatal) {
        acc_err rc = s_default_taxonomy(cfg);
        if (rc)
            ctx->fatal = rc;
    }

    /* Every feed tag maps to a category this node has (skipped when the taxonomy itself
     * failed to load: the error is reported there). */
    for (size_t i = 0; cfg->categories && i < cfg->n_feed_tags && !ctx->fatal; i++) {
        const char *cat = cfg->feed_tags[i].category;
        if (cat && !acc_config_category(cfg, cat)) {
            const config_setting_t *list = config_lookup(ctx->lc, "feed_tags");
            const config_setting_t *e = list ? config_setting_get_elem(list, (unsigned)i) : NULL;
            const config_setting_t *at = e ? config_setting_get_member(e, "category") : NULL;
            s_problem(ctx, at ? at : s_setting_or_root(ctx, "feed_tags"), NULL,
                      "'feed_tags[%zu].category' names unknown category '%s'", i, cat);
        }
    }

    for (size_t i = 0; i < ctx->n_flags; i++)
        if (!ctx->flags[i].used)
            s_problem_at(ctx, ctx->flags[i].where, NULL,
                         "integer %s does not fit 32 bits: write %sL", ctx->flags[i].literal,
                         ctx->flags[i].literal);
    if (ctx->flags_overflow)
        s_problem_at(ctx, ctx->path, NULL, "too many integers that do not fit 32 bits");
}

static void s_io_problem(s_ctx_t *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

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

    /* Only regular files: libconfig exits the process on a directory and blocks on a
     * FIFO (O_NONBLOCK keeps this open from blocking on one too). */
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
    rc = s_abs_dir(path, &dir);
    if (rc) {
        if (rc == ACC_ERR_IO)
            s_io_problem(ctx, "cannot resolve the directory of '%s'", path);
        return rc;
    }
    ctx->dir = dir;

    /* The scanner runs first: it vets every @include before libconfig opens it, and
     * finds the literals libconfig will wrap. */
    s_lex_t lx = {.ctx = ctx, .depth = 1};
    s_lex_file(&lx, path, 0);
    if (ctx->fatal || ctx->n_problems > 0) {
        rc = ctx->fatal ? ctx->fatal : ACC_ERR_CONFIG;
        goto out;
    }

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
    s_free_keys(s_root_keys, S_LEN(s_root_keys), c);
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
        if ((k->kind == S_GROUP || k->kind == S_LIST) && indent[0] == '\0')
            s_buf_printf(b, "\n");
        s_buf_comment(b, indent, k->help);
        if (k->example) {
            /* Lists with no default are shown as a commented-out example. */
            s_buf_comment(b, indent, k->example);
            continue;
        }
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
            s_buf_quoted(b, k->def_str ? k->def_str : "");
            s_buf_printf(b, ";\n");
            break;
        case S_BIND:
            s_default_bind(k, port_base, bind, sizeof bind);
            s_buf_printf(b, "\"%s\";\n", bind);
            break;
        case S_GROUP:
            s_buf_printf(b, "{\n");
            s_render_keys(b, k->sub, k->n_sub, "    ", agency, name, port_base);
            s_buf_printf(b, "%s};\n", indent);
            break;
        case S_LIST: /* the only list with a default: the taxonomy */
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
    else if (port_base < S_PORT_MIN || port_base > 65535 - S_PORT_LAST) {
        acc_errinfo_set(ei, "port_base", "port base %d must be 0 or between %d and %d", port_base,
                        S_PORT_MIN, 65535 - S_PORT_LAST);
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
