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
 *
 * The federation peers usually live in a second file, peers.cfg next to node.cfg, which
 * `accordctl peer add/remove` rewrite (acc_config_peers_write). libconfig fails on an
 * @include of a file that does not exist yet, so the loader reads peers.cfg itself when
 * it is there, through the same tables and with its own file:line in every message.
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

#include "acc_curve.h"
#include "acc_log.h"

#define S_TEXT_MAX 200       /* bytes of `name` and of a category label */
#define S_CATEGORIES_MAX 256 /* entries in `categories` */
#define S_SOURCES_MAX 256    /* entries in `sources` */
#define S_FEED_TAGS_MAX 1024 /* entries in `feed_tags` */
#define S_TOKEN_MIN 16       /* bytes of a source's bearer token */
#define S_TOKEN_MAX 256
#define S_TOKEN_EXAMPLE "replace-with-a-long-random-secret" /* in the rendered example */
#define S_SUN_PATH_MAX 107   /* sizeof(sockaddr_un.sun_path) - 1 on Linux */
#define S_BIND_MAX 256       /* bytes of an endpoint string */
#define S_DIR_MAX 4000       /* bytes of data_dir / keys_dir as written */
#define S_PORT_DEFAULT 7400  /* intake; the other services follow at +1..+4 */
#define S_PORT_MIN 1024      /* lowest port_base for acc_config_render */
#define S_HTTP_OFFSET 8      /* HTTP listens at port_base + 8 */
#define S_STREAM_OFFSET 10   /* a service's stream endpoint: its port + 10 */
#define S_PORT_LAST 14       /* highest offset from port_base: reporting's stream */
#define S_LONG_TEXT_MAX 2000 /* bytes of verification.auto.legal_basis and .reasons */
#define S_PEERS_MAX 256      /* entries in `peers` */
#define S_PEERS_FILE "peers.cfg"
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
    S_INT,     /* int64_t, range-checked */
    S_STRING,  /* char *, with an optional extra rule */
    S_PATH,    /* char *, made absolute against the file's directory */
    S_BIND,    /* char *, endpoint; default port S_PORT_DEFAULT + def_int */
    S_LEVEL,   /* int, one of s_level_names */
    S_GROUP,   /* { ... } with members in sub */
    S_LIST,    /* ( { ... }, ... ): an array of structs described by elem */
    S_BOOL,    /* int, true or false; default def_int */
    S_STRLIST, /* [ "a", "b" ]: char ** at offset, size_t count at count_offset */
    S_ROLE,    /* acc_role, one of lead|coordinating|parent|child */
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
    size_t count_offset; /* S_LIST, S_STRLIST: the size_t element count */
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
static const char *s_check_long_text(const char *v);
static const char *s_check_peer_endpoint(const char *v);
static const char *s_check_public_key(const char *v);

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

#define S_STREAM_HELP                                                                                \
    "stream endpoint (luồng sự kiện giữa các dịch vụ), used when the services run as\n" \
    "separate processes; \"\" for none"

static const char *s_check_connect(const char *v);

#define S_CONNECT_HELP                                                                             \
    "where the other services connect to this stream when it is not the stream_bind address\n"     \
    "(e.g. tcp://verification:7411 between containers); absent: stream_bind"

static const s_key_t s_intake_keys[] = {
    {.name = "bind",
     .kind = S_BIND,
     .def_int = 0,
     .offset = S_OFF(intake.bind),
     .help = "reports API endpoint (cổng nhận tin phản ánh); \"\" for none"},
    {.name = "stream_bind",
     .kind = S_BIND,
     .def_int = S_STREAM_OFFSET,
     .offset = S_OFF(intake_stream_bind),
     .help = S_STREAM_HELP},
    {.name = "stream_connect",
     .kind = S_STRING,
     .empty_null = true,
     .check = s_check_connect,
     .offset = S_OFF(intake_stream_connect),
     .help = S_CONNECT_HELP},
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

#define S_GROUP_OF(table) .kind = S_GROUP, .sub = (table), .n_sub = S_LEN(table)
#define S_LIST_OF(table, type, field, n_field, max)                                                \
    .kind = S_LIST, .elem = (table), .n_elem = S_LEN(table), .elem_size = sizeof(type),            \
    .offset = S_OFF(field), .count_offset = S_OFF(n_field), .max_items = (max)

/* Every service has a request endpoint at port_base + n and a stream endpoint 10 above. */
#define S_SERVICE_BINDS(svc, port_off, text)                                                       \
    {.name = "bind",                                                                               \
     .kind = S_BIND,                                                                               \
     .def_int = (port_off),                                                                        \
     .offset = S_OFF(svc.bind),                                                                    \
     .help = text},                                                                                \
        {.name = "stream_bind",                                                                    \
         .kind = S_BIND,                                                                           \
         .def_int = (port_off) + S_STREAM_OFFSET,                                                  \
         .offset = S_OFF(svc.stream_bind),                                                         \
         .help = S_STREAM_HELP},                                                                   \
    {                                                                                              \
        .name = "stream_connect", .kind = S_STRING, .empty_null = true, .check = s_check_connect,  \
        .offset = S_OFF(svc.stream_connect), .help = S_CONNECT_HELP                                \
    }

/* The example texts of verification.auto: refused as values, like the example token, so
 * that an example uncommented as is cannot become the stated basis of real decisions. */
#define S_LEGAL_EXAMPLE "replace with the legal basis (căn cứ pháp lý)"
#define S_REASONS_EXAMPLE "replace with the reasons (lý do)"

static const s_key_t s_auto_keys[] = {
    {.name = "enabled", .kind = S_BOOL, .def_int = 0, .offset = S_OFF(auto_verify.enabled)},
    {.name = "sources",
     .kind = S_STRLIST,
     .offset = S_OFF(auto_verify.sources),
     .count_offset = S_OFF(auto_verify.n_sources),
     .max_items = S_SOURCES_MAX,
     .check = s_check_source_name,
     .unique = true},
    {.name = "min_confidence",
     .kind = S_INT,
     .min = 0,
     .max = 100,
     .def_int = 90,
     .offset = S_OFF(auto_verify.min_confidence)},
    {.name = "legal_basis",
     .kind = S_STRING,
     .offset = S_OFF(auto_verify.legal_basis),
     .check = s_check_long_text,
     .empty_null = true},
    {.name = "reasons",
     .kind = S_STRING,
     .offset = S_OFF(auto_verify.reasons),
     .check = s_check_long_text,
     .empty_null = true},
};

static const s_key_t s_verification_keys[] = {
    S_SERVICE_BINDS(verification, 1, "verification endpoint (thẩm định); \"\" for none"),
    {.name = "auto",
     S_GROUP_OF(s_auto_keys),
     .help = "automatic verification (thẩm định tự động) of reports from the listed sources\n"
             "with at least min_confidence (0..100, default 90); legal_basis and reasons\n"
             "(UTF-8, at most 2000 bytes) are required when enabled",
     .example = "auto = {\n"
                "    enabled = true;\n"
                "    sources = [ \"vncert\" ];\n"
                "    min_confidence = 90;\n"
                "    legal_basis = \"" S_LEGAL_EXAMPLE "\";\n"
                "    reasons = \"" S_REASONS_EXAMPLE "\";\n"
                "};"},
};

static const s_key_t s_assignment_keys[] = {
    S_SERVICE_BINDS(assignment, 2, "assignment endpoint (giao nhiệm vụ xử lý); \"\" for none"),
};

static const s_key_t s_notification_keys[] = {
    S_SERVICE_BINDS(notification, 3, "notification endpoint (thông báo); \"\" for none"),
    {.name = "spool_dir",
     .kind = S_PATH,
     .offset = S_OFF(notify.spool_dir),
     .help = "outgoing notices waiting for delivery, relative to this file\n"
             "(default: the directory spool inside data_dir)",
     .example = "spool_dir = \"data/spool\";"},
    {.name = "retry_min_ms",
     .kind = S_INT,
     .min = 10,
     .max = 600000,
     .def_int = 200,
     .offset = S_OFF(notify.retry_min_ms),
     .help = "first delay before a failed delivery is retried (10 .. 600000 ms)"},
    {.name = "retry_max_ms",
     .kind = S_INT,
     .min = 10,
     .max = 86400000,
     .def_int = 30000,
     .offset = S_OFF(notify.retry_max_ms),
     .help = "longest delay between retries (retry_min_ms .. 86400000 ms)"},
};

static const s_key_t s_reporting_keys[] = {
    S_SERVICE_BINDS(reporting, 4, "reporting endpoint (báo cáo, thống kê); \"\" for none"),
};

static const s_key_t s_http_keys[] = {
    {.name = "bind",
     .kind = S_BIND,
     .hostport = true,
     .def_int = S_HTTP_OFFSET,
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

#define S_PEER_OFF(field) offsetof(acc_peer_cfg_t, field)

/* Duplicates, our own agency and a second lead or parent span entries: s_peer_conflict. */
static const s_key_t s_peer_keys[] = {
    {.name = "agency",
     .kind = S_STRING,
     .offset = S_PEER_OFF(agency),
     .check = s_check_agency,
     .required = true},
    {.name = "role", .kind = S_ROLE, .offset = S_PEER_OFF(role), .required = true},
    {.name = "endpoint",
     .kind = S_STRING,
     .offset = S_PEER_OFF(endpoint),
     .check = s_check_peer_endpoint,
     .required = true},
    {.name = "public_key",
     .kind = S_STRING,
     .offset = S_PEER_OFF(public_key),
     .check = s_check_public_key,
     .required = true},
    {.name = "name",
     .kind = S_STRING,
     .offset = S_PEER_OFF(name),
     .check = s_check_text,
     .empty_null = true},
};

#define S_PEERS_KEY                                                                                \
    .name = "peers", S_LIST_OF(s_peer_keys, acc_peer_cfg_t, peers, n_peers, S_PEERS_MAX)

/* peers.cfg holds this one key. */
static const s_key_t s_peers_file_keys[] = {{S_PEERS_KEY}};

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
             "[a-z0-9][a-z0-9._:-]{0,63} (\"citizen\" sets the citizen form's trust); token: "
             "bearer token for\n"
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
    {S_PEERS_KEY,
     .help = "federation peers (cơ quan liên kết) are kept in " S_PEERS_FILE " next to this file,\n"
             "written by `accordctl peer add/remove` and read at start when it exists.\n"
             "They may be listed here instead (then not in " S_PEERS_FILE "): agency; role\n"
             "lead|coordinating|parent|child (what the peer is to us; at most one lead and\n"
             "one parent); endpoint tcp://HOST:PORT of its intake; public_key: its\n"
             "keys/node.pub (`accordctl key show`); name optional",
     .example =
         "peers = (\n"
         "    { agency = \"ca-hn\"; role = \"coordinating\"; endpoint = \"tcp://10.0.0.5:7400\";\n"
         "      public_key = \"<40 characters>\"; name = \"Công an Hà Nội\"; }\n"
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
    char *peers_path;                   /* peers.cfg beside the file, as shown and opened */
    const config_setting_t *peers_list; /* the `peers` that was read, in either file */
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
    else if (file[0] == '/' || !ctx->dir || (ctx->peers_path && strcmp(file, ctx->peers_path) == 0))
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

/* Free text of a legal decision (legal basis, reasons): lines and tabs allowed. */
static const char *
s_check_long_text(const char *v)
{
    size_t len = strlen(v);
    if (len > S_LONG_TEXT_MAX)
        return "must be at most 2000 bytes";
    if (!s_utf8_valid((const unsigned char *)v, len))
        return "must be valid UTF-8";
    for (const unsigned char *p = (const unsigned char *)v; *p; p++)
        if ((*p < 0x20 && *p != '\n' && *p != '\t') || *p == 0x7F)
            return "must not contain control characters other than tab and newline";
    if (strcmp(v, S_LEGAL_EXAMPLE) == 0 || strcmp(v, S_REASONS_EXAMPLE) == 0)
        return "is the example from the generated file: write the real text";
    return NULL;
}

/* A peer's intake, to connect to: "tcp://HOST:PORT" with a real host (no "*"). */
static const char *
s_check_peer_endpoint(const char *v)
{
    static const char *const bad = "must be \"tcp://HOST:PORT\" (the peer's intake) with a "
                                   "port from 1 to 65535";
    if (strlen(v) > S_BIND_MAX)
        return "must be at most 256 bytes";
    if (strncmp(v, "tcp://", 6) != 0 || !s_valid_host_port(v + 6))
        return bad;
    if (strchr(v, '*'))
        return "must name the peer's host, not \"*\"";
    return NULL;
}

/* stream_connect: a concrete "tcp://HOST:PORT" to connect to */
static const char *
s_check_connect(const char *v)
{
    if (strlen(v) > S_BIND_MAX)
        return "must be at most 256 bytes";
    if (strncmp(v, "tcp://", 6) != 0 || !s_valid_host_port(v + 6) || strchr(v, '*'))
        return "must be \"tcp://HOST:PORT\" with a host to connect to and a port from 1 to "
               "65535";
    return NULL;
}

static const char *
s_check_public_key(const char *v)
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

static bool
s_role_valid(acc_role role)
{
    return (int)role >= ACC_ROLE_LEAD && (int)role <= ACC_ROLE_CHILD;
}

/*
 * Peer @i against this node (@own, may be NULL) and the peers before it: its agency is
 * not ours and not listed before, its key is not another peer's (the ZAP handler maps a
 * key to one agency), and it is not a second lead or a second parent. Returns NULL, or
 * the problem in @buf with *@key naming the key at fault. Used by the loader and by
 * acc_config_peers_write, so that what accordctl writes is what the node accepts.
 */
static const char *
s_peer_conflict(const char *own, const acc_peer_cfg_t *peers, size_t i, const char **key, char *buf,
                size_t size)
{
    const acc_peer_cfg_t *p = &peers[i];
    if (own && p->agency && strcmp(own, p->agency) == 0) {
        *key = "agency";
        s_fmt(buf, size, "'%s' is this node's own agency", p->agency);
        return buf;
    }
    for (size_t j = 0; j < i; j++) {
        const acc_peer_cfg_t *q = &peers[j];
        if (p->agency && q->agency && strcmp(p->agency, q->agency) == 0) {
            *key = "agency";
            s_fmt(buf, size, "duplicate agency '%s': it is listed twice", p->agency);
            return buf;
        }
        if (p->public_key && q->public_key && strcmp(p->public_key, q->public_key) == 0) {
            *key = "public_key";
            s_fmt(buf, size, "duplicate public key: '%s' has the key of '%s'",
                  p->agency ? p->agency : "?", q->agency ? q->agency : "?");
            return buf;
        }
        if ((p->role == ACC_ROLE_LEAD || p->role == ACC_ROLE_PARENT) && q->role == p->role) {
            *key = "role";
            s_fmt(buf, size,
                  "'%s' would be a second peer with role %s ('%s' is one already): "
                  "at most one is allowed",
                  p->agency ? p->agency : "?", acc_role_name(p->role), q->agency ? q->agency : "?");
            return buf;
        }
    }
    return NULL;
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
        case S_BOOL:
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
        case S_STRLIST:
            break; /* absent lists are empty; the taxonomy is filled in by s_finish */
        case S_ROLE:
            break; /* required */
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
        case S_STRLIST: {
            char **items = *S_FIELD(base, k, char **);
            for (size_t j = 0; items && j < *S_COUNT(base, k); j++)
                free(items[j]);
            free(items);
            *S_FIELD(base, k, char **) = NULL;
            *S_COUNT(base, k) = 0;
            break;
        }
        case S_INT:
        case S_LEVEL:
        case S_BOOL:
        case S_ROLE:
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
    acc_role role = (acc_role)0;
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
    case S_ROLE:
        role = acc_role_parse(v);
        if (!role)
            why = "must be one of lead, coordinating, parent, child";
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
    else if (k->kind == S_ROLE)
        *S_FIELD(base, k, acc_role) = role;
    else if (k->kind == S_PATH)
        s_store_path(ctx, S_FIELD(base, k, char *), v);
    else
        s_store_str(ctx, S_FIELD(base, k, char *), v);
}

static void
s_read_bool(s_ctx_t *ctx, const config_setting_t *s, const char *path, const s_key_t *k, void *base)
{
    if (config_setting_type(s) != CONFIG_TYPE_BOOL) {
        s_problem(ctx, s, path, "'%s' must be true or false", path);
        return;
    }
    *S_FIELD(base, k, int) = config_setting_get_bool(s) ? 1 : 0;
}

/* [ "a", "b" ] (an array; a list of strings is taken too). */
static void
s_read_strlist(s_ctx_t *ctx, const config_setting_t *s, const char *path, const s_key_t *k,
               void *base)
{
    int type = config_setting_type(s);
    if (type != CONFIG_TYPE_ARRAY && type != CONFIG_TYPE_LIST) {
        s_problem(ctx, s, path, "'%s' must be an array of strings: [ \"a\", \"b\" ]", path);
        return;
    }
    int n = config_setting_length(s);
    if (n > k->max_items) {
        s_problem(ctx, s, path, "'%s' has %d entries, at most %d are allowed", path, n,
                  k->max_items);
        return;
    }
    char **items = NULL;
    if (n > 0 && !(items = calloc((size_t)n, sizeof *items))) {
        ctx->fatal = ACC_ERR_NOMEM;
        return;
    }
    char **old = *S_FIELD(base, k, char **);
    for (size_t j = 0; old && j < *S_COUNT(base, k); j++)
        free(old[j]);
    free(old);
    *S_FIELD(base, k, char **) = items;
    *S_COUNT(base, k) = (size_t)n;
    for (int i = 0; i < n && !ctx->fatal; i++) {
        const config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
        char epath[S_KEYPATH_MAX];
        s_fmt(epath, sizeof epath, "%s[%d]", path, i);
        if (config_setting_type(e) != CONFIG_TYPE_STRING) {
            s_problem(ctx, e, epath, "'%s' must be a string", epath);
            continue;
        }
        const char *v = config_setting_get_string(e);
        const char *why = k->check ? k->check(v ? v : "") : NULL;
        if (why) {
            s_problem(ctx, e, NULL, "'%s' %s", epath, why);
            continue;
        }
        bool dup = false;
        for (int j = 0; k->unique && j < i && !dup; j++)
            dup = items[j] && strcmp(items[j], v) == 0;
        if (dup) {
            s_problem(ctx, e, NULL, "duplicate '%s' in '%s'", v, path);
            continue;
        }
        s_store_str(ctx, &items[i], v);
    }
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
        case S_BOOL:
            s_read_bool(ctx, s, path, k, base);
            break;
        case S_STRLIST:
            s_read_strlist(ctx, s, path, k, base);
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
    static const char *const keys[] = {"intake.bind",       "intake.stream_bind",
                                       "verification.bind", "verification.stream_bind",
                                       "assignment.bind",   "assignment.stream_bind",
                                       "notification.bind", "notification.stream_bind",
                                       "reporting.bind",    "reporting.stream_bind",
                                       "http.bind"};
    char http[S_BIND_MAX + 8] = "";
    if (cfg->http.bind && cfg->http.bind[0])
        s_fmt(http, sizeof http, "tcp://%s", cfg->http.bind);
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
    _Static_assert(S_LEN(keys) == S_LEN(binds), "one key per listener");
    for (size_t i = 1; i < S_LEN(binds); i++) {
        for (size_t j = 0; j < i; j++) {
            if (binds[i] && binds[j] && binds[i][0] && strcmp(binds[i], binds[j]) == 0) {
                s_problem(ctx, s_setting_or_root(ctx, keys[i]), NULL,
                          "'%s' uses the same endpoint as '%s' ('%s')", keys[i], keys[j], binds[i]);
                break;
            }
        }
    }

    if (cfg->auto_verify.enabled) {
        /* Automated decisions need their stated basis; an empty or absent one is the
         * problem reported here (a value of the wrong kind was reported when read). */
        static const char *const need[] = {"verification.auto.legal_basis",
                                           "verification.auto.reasons"};
        const char *have[] = {cfg->auto_verify.legal_basis, cfg->auto_verify.reasons};
        for (size_t i = 0; i < S_LEN(need); i++) {
            const config_setting_t *at = config_lookup(ctx->lc, need[i]);
            const char *v = at && config_setting_type(at) == CONFIG_TYPE_STRING
                                ? config_setting_get_string(at)
                                : NULL;
            if (!have[i] && (!at || (v && !*v)))
                s_problem(ctx, at ? at : s_setting_or_root(ctx, "verification.auto.enabled"), NULL,
                          "'%s' is required and must not be empty when "
                          "'verification.auto.enabled' is true",
                          need[i]);
        }
        const config_setting_t *src = config_lookup(ctx->lc, "verification.auto.sources");
        if (cfg->auto_verify.n_sources == 0 && (!src || config_setting_length(src) == 0))
            s_problem(ctx, src ? src : s_setting_or_root(ctx, "verification.auto.enabled"), NULL,
                      "'verification.auto.sources' must name at least one source when "
                      "'verification.auto.enabled' is true");
    }

    if (!cfg->notify.spool_dir && cfg->data_dir && !ctx->fatal) {
        cfg->notify.spool_dir = s_abs_path(cfg->data_dir, "spool");
        if (!cfg->notify.spool_dir)
            ctx->fatal = ACC_ERR_NOMEM;
    }
    if (cfg->notify.retry_max_ms < cfg->notify.retry_min_ms) {
        const config_setting_t *s = config_lookup(ctx->lc, "notification.retry_max_ms");
        s_problem(ctx, s ? s : s_setting_or_root(ctx, "notification.retry_min_ms"), NULL,
                  "'notification.retry_max_ms' (%lld) must not be below "
                  "'notification.retry_min_ms' (%lld)",
                  (long long)cfg->notify.retry_max_ms, (long long)cfg->notify.retry_min_ms);
    }

    for (size_t i = 0; i < cfg->n_peers; i++) {
        const char *key = NULL;
        char why[384];
        if (!s_peer_conflict(cfg->agency, cfg->peers, i, &key, why, sizeof why))
            continue;
        const config_setting_t *list = ctx->peers_list;
        const config_setting_t *e = list ? config_setting_get_elem(list, (unsigned)i) : NULL;
        const config_setting_t *at = e ? config_setting_get_member(e, key) : NULL;
        s_problem(ctx, at ? at : (e ? e : config_root_setting(ctx->lc)), NULL,
                  "'peers[%zu].%s': %s", i, key, why);
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

/* peers.cfg beside @path, spelled the way @path is (so messages read like the path the
 * operator gave). Returns malloc'd or NULL (out of memory). */
static char *
s_peers_path(const char *path)
{
    const char *slash = strrchr(path, '/');
    size_t dlen = slash ? (size_t)(slash - path) + 1 : 0;
    size_t len = dlen + sizeof S_PEERS_FILE;
    char *p = malloc(len);
    if (p)
        snprintf(p, len, "%.*s%s", (int)dlen, path, S_PEERS_FILE);
    return p;
}

/* Whether `peers` in the main file came from `@include "peers.cfg"` (an older layout):
 * then that file is already read and is not read a second time. */
static bool
s_peers_included(const s_ctx_t *ctx, const config_setting_t *peers)
{
    const char *src = config_setting_source_file(peers);
    if (!src || strcmp(src, ctx->path) == 0)
        return false;
    char shown[PATH_MAX], want[PATH_MAX];
    s_display_file(ctx, src, shown, sizeof shown);
    s_fmt(want, sizeof want, "%s/%s", ctx->dir, S_PEERS_FILE);
    return strcmp(shown, want) == 0 || strcmp(shown, ctx->peers_path) == 0;
}

/*
 * Parse peers.cfg into @plc when it exists. Returns 1 (parsed), 0 (absent, or nothing to
 * read: it is the main file itself, or the main file includes it) or -1 (a problem,
 * reported). libconfig cannot @include a file that may not exist, so this is how
 * peers.cfg is optional.
 */
static int
s_peers_open(s_ctx_t *ctx, const config_setting_t *inline_peers, config_t *plc, bool *plc_init)
{
    struct stat st, self;
    if (stat(ctx->peers_path, &st) != 0) {
        if (errno == ENOENT)
            return 0;
        s_problem_at(ctx, ctx->peers_path, NULL, "cannot read '%s': %s", ctx->peers_path,
                     strerror(errno));
        return -1;
    }
    if (stat(ctx->path, &self) == 0 && self.st_dev == st.st_dev && self.st_ino == st.st_ino)
        return 0;
    if (inline_peers && s_peers_included(ctx, inline_peers))
        return 0;
    if (!S_ISREG(st.st_mode)) {
        s_problem_at(ctx, ctx->peers_path, NULL, "cannot read '%s': not a regular file",
                     ctx->peers_path);
        return -1;
    }
    /* The same scanner as for the main file: includes vetted, wrapped integers found. */
    int before = ctx->n_problems;
    s_lex_t lx = {.ctx = ctx, .depth = 1};
    s_lex_file(&lx, ctx->peers_path, 0);
    if (ctx->fatal || ctx->n_problems > before)
        return -1;
    config_init(plc);
    *plc_init = true;
    config_set_include_dir(plc, ctx->dir);
    if (!config_read_file(plc, ctx->peers_path)) {
        char file[PATH_MAX], where[PATH_MAX + 16];
        const char *efile = config_error_file(plc);
        s_display_file(ctx, efile ? efile : ctx->peers_path, file, sizeof file);
        if (config_error_type(plc) == CONFIG_ERR_FILE_IO) {
            s_problem_at(ctx, ctx->peers_path, NULL, "cannot read '%s'", ctx->peers_path);
        } else {
            snprintf(where, sizeof where, "%s:%d", file, config_error_line(plc));
            const char *text = config_error_text(plc);
            s_problem_at(ctx, where, NULL, "%s", text ? text : "syntax error");
        }
        return -1;
    }
    return 1;
}

/* The loader behind acc_config_load and acc_config_check. */
static acc_err
s_load(s_ctx_t *ctx, acc_config_t **out)
{
    acc_config_t *cfg = NULL;
    char *dir = NULL;
    config_t lc, plc;
    bool lc_init = false, plc_init = false;
    int peers_file = 0;
    const config_setting_t *inline_peers = NULL;
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

    ctx->peers_path = s_peers_path(path);
    if (!ctx->peers_path) {
        rc = ACC_ERR_NOMEM;
        goto out;
    }
    inline_peers = config_lookup(&lc, "peers");
    peers_file = s_peers_open(ctx, inline_peers, &plc, &plc_init);
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
    if (peers_file == 1 && inline_peers && !ctx->fatal) {
        s_problem(ctx, inline_peers, NULL,
                  "'peers' is set in both '%s' and '%s': keep one ('accordctl peer' writes '%s')",
                  path, ctx->peers_path, S_PEERS_FILE);
    } else if (peers_file == 1 && !ctx->fatal) {
        ctx->peers_list = config_lookup(&plc, "peers");
        s_read_group(ctx, config_root_setting(&plc), "", s_peers_file_keys,
                     S_LEN(s_peers_file_keys), cfg);
    } else if (inline_peers) {
        ctx->peers_list = inline_peers;
        cfg->peers_inline = !s_peers_included(ctx, inline_peers);
    }
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
        case S_BOOL:
            s_buf_printf(b, "%s;\n", k->def_int ? "true" : "false");
            break;
        case S_STRLIST:
            s_buf_printf(b, "[ ];\n");
            break;
        case S_ROLE: /* required, in lists only: never rendered with a value */
            s_buf_printf(b, "\"%s\";\n", acc_role_name(ACC_ROLE_COORDINATING));
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
        case S_GROUP: {
            char inner[64];
            s_fmt(inner, sizeof inner, "%s    ", indent);
            s_buf_printf(b, "{\n");
            s_render_keys(b, k->sub, k->n_sub, inner, agency, name, port_base);
            s_buf_printf(b, "%s};\n", indent);
            break;
        }
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
        /* port_base + 14 (reporting's stream endpoint) must still be a port. */
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

/* ---- peers.cfg ------------------------------------------------------------------------ */

/* @peers checked field by field through s_peer_keys, then against each other: the checks
 * the loader runs, with ei.field = the key and the peer named in ei.msg. */
static acc_err
s_peers_validate(const char *own, const acc_peer_cfg_t *peers, size_t n, acc_errinfo_t *ei)
{
    if (n > S_PEERS_MAX) {
        acc_errinfo_set(ei, "peers", "%zu peers, at most %d are allowed", n, S_PEERS_MAX);
        return ACC_ERR_INVALID;
    }
    for (size_t i = 0; i < n; i++) {
        const acc_peer_cfg_t *p = &peers[i];
        char who[64];
        if (p->agency && acc_config_valid_agency(p->agency))
            s_fmt(who, sizeof who, "peer '%s'", p->agency);
        else
            s_fmt(who, sizeof who, "peer %zu", i + 1);
        for (size_t m = 0; m < S_LEN(s_peer_keys); m++) {
            const s_key_t *k = &s_peer_keys[m];
            if (k->kind == S_ROLE) {
                if (!s_role_valid(*S_FIELD(p, k, acc_role))) {
                    acc_errinfo_set(ei, k->name,
                                    "%s: '%s' must be one of lead, coordinating, parent, child",
                                    who, k->name);
                    return ACC_ERR_INVALID;
                }
                continue;
            }
            const char *v = *S_FIELD(p, k, char *);
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
        if (s_peer_conflict(own, peers, i, &key, why, sizeof why)) {
            acc_errinfo_set(ei, key, "%s", why);
            return ACC_ERR_INVALID;
        }
    }
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
                 S_PEERS_FILE, own ? own : "");
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
    s_ctx_t ctx = {.path = tmp, .dir = dir, .lc = &lc};
    acc_err rc = ACC_OK;
    if (!config_read_file(&lc, tmp)) {
        acc_errinfo_set(ei, tmp, "the file written does not parse: line %d: %s",
                        config_error_line(&lc), config_error_text(&lc));
        rc = ACC_ERR_INTERNAL;
        goto out;
    }
    s_read_group(&ctx, config_root_setting(&lc), "", s_peers_file_keys, S_LEN(s_peers_file_keys),
                 &got);
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
    s_free_keys(s_peers_file_keys, S_LEN(s_peers_file_keys), &got);
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
                        cfg->path, S_PEERS_FILE);
        return ACC_ERR_INVALID;
    }
    acc_err rc = s_peers_validate(cfg->agency, peers, n, ei);
    if (rc)
        return rc;

    s_buf_t b = {0};
    s_render_peers(&b, cfg->agency, peers, n);
    char path[PATH_MAX], tmp[PATH_MAX];
    int fd = -1, dfd = -1;
    bool made_tmp = false;
    if (b.oom) {
        rc = ACC_ERR_NOMEM;
        goto out;
    }
    if ((size_t)snprintf(path, sizeof path, "%s/%s", cfg->dir, S_PEERS_FILE) >= sizeof path ||
        (size_t)snprintf(tmp, sizeof tmp, "%s/.%s.XXXXXX", cfg->dir, S_PEERS_FILE) >= sizeof tmp) {
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
    if (fchmod(fd, mode) != 0 || s_write_all(fd, b.p, b.len) != ACC_OK || fsync(fd) != 0) {
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
    free(b.p);
    if (rc == ACC_ERR_NOMEM)
        acc_errinfo_set(ei, "", "out of memory");
    return rc;
}
