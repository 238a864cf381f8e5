/*
 * acc_config_schema — every key of node.cfg and peers.cfg, one row per key: its name,
 * the field it fills, its range or rule, its default and the comment
 * acc_config_render writes above it. The walker (acc_config.c) reads the file against
 * these tables, so a key that is not here is an unknown key; render writes them back
 * out in this order. Also the default taxonomy (DOMAIN.md).
 */
#include <stddef.h>

#include "acc_config_int.h"
#include "acc_log.h"

/* ---- the default taxonomy ------------------------------------------------------------ */

const acc_config_category_def_t acc_config_default_categories[] = {
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
const size_t acc_config_n_default_categories = ACC_CONFIG_LEN(acc_config_default_categories);

/* ---- one row per key ------------------------------------------------------------------- */

// clang-format off

/* Row flags. */
#define S_REQ (1 << 0)      /* required */
#define S_EMPTY (1 << 1)    /* "" means none (NULL) */
#define S_UNIQ (1 << 2)     /* no two list elements share it */
#define S_NOCASE (1 << 3)   /* unique ignoring ASCII case */
#define S_SECRET (1 << 4)   /* never echoed in a message */
#define S_HOSTPORT (1 << 5) /* a BIND that is "HOST:PORT" (HTTP), not "tcp://HOST:PORT" */
#define S_NONEMPTY (1 << 6) /* a LIST that must not be empty */
#define S_FLAGS(fl) \
    .required = ((fl) & S_REQ) != 0, .empty_null = ((fl) & S_EMPTY) != 0, \
    .unique = ((fl) & S_UNIQ) != 0, .nocase = ((fl) & S_NOCASE) != 0, \
    .secret = ((fl) & S_SECRET) != 0, .hostport = ((fl) & S_HOSTPORT) != 0, \
    .non_empty = ((fl) & S_NONEMPTY) != 0

/* The rows. S_T is the struct the table being defined fills (set before each table). */
#define S_AT(field) .offset = offsetof(S_T, field)
#define S_INT(nm, field, lo, hi, def, hlp) \
    {.name = nm, .kind = ACC_CONFIG_INT, .min = lo, .max = hi, .def_int = def, S_AT(field), .help = hlp}
#define S_STR(nm, field, rule, fl, def, hlp) \
    {.name = nm, .kind = ACC_CONFIG_STRING, .check = rule, S_FLAGS(fl), .def_str = def, S_AT(field), .help = hlp}
#define S_PATH(nm, field, fl, def, hlp, ex) \
    {.name = nm, .kind = ACC_CONFIG_PATH, S_FLAGS(fl), .def_str = def, S_AT(field), .help = hlp, .example = ex}
#define S_BIND(nm, field, port, fl, hlp) \
    {.name = nm, .kind = ACC_CONFIG_BIND, .def_int = port, S_FLAGS(fl), S_AT(field), .help = hlp}
#define S_LEVEL(nm, field, def, hlp) \
    {.name = nm, .kind = ACC_CONFIG_LEVEL, .def_int = def, S_AT(field), .help = hlp}
#define S_BOOL(nm, field, def, hlp) \
    {.name = nm, .kind = ACC_CONFIG_BOOL, .def_int = def, S_AT(field), .help = hlp}
#define S_ROLE(nm, field, fl, hlp) \
    {.name = nm, .kind = ACC_CONFIG_ROLE, S_FLAGS(fl), S_AT(field), .help = hlp}
#define S_STRLIST(nm, field, n_field, most, rule, fl, hlp) \
    {.name = nm, .kind = ACC_CONFIG_STRLIST, S_AT(field), .count_offset = offsetof(S_T, n_field), \
     .max_items = most, .check = rule, S_FLAGS(fl), .help = hlp}
#define S_GROUP(nm, table, hlp, ex) \
    {.name = nm, .kind = ACC_CONFIG_GROUP, .sub = table, .n_sub = ACC_CONFIG_LEN(table), \
     .help = hlp, .example = ex}
#define S_LIST(nm, table, type, field, n_field, most, fl, hlp, ex) \
    {.name = nm, .kind = ACC_CONFIG_LIST, .elem = table, .n_elem = ACC_CONFIG_LEN(table), \
     .elem_size = sizeof(type), S_AT(field), .count_offset = offsetof(S_T, n_field), \
     .max_items = most, S_FLAGS(fl), .help = hlp, .example = ex}

/* Every service has a request endpoint at port_base + n and a stream endpoint 10 above. */
#define S_SERVICE_BINDS(svc, port, hlp) \
    S_BIND("bind", svc.bind, port, 0, hlp), \
    S_BIND("stream_bind", svc.stream_bind, (port) + ACC_CONFIG_STREAM_OFFSET, 0, S_HELP_STREAM), \
    S_STR("stream_connect", svc.stream_connect, acc_config_rule_connect, S_EMPTY, NULL, S_HELP_CONNECT)

/* ---- comments and examples longer than a row ------------------------------------------- */

#define S_HELP_STREAM \
    "stream endpoint (luồng sự kiện giữa các dịch vụ), used when the services run as\n" \
    "separate processes; \"\" for none"
#define S_HELP_CONNECT \
    "where the other services connect to this stream when it is not the stream_bind address\n" \
    "(e.g. tcp://verification:7411 between containers); absent: stream_bind"
#define S_HELP_AUTO \
    "automatic verification (thẩm định tự động) of reports from the listed sources\n" \
    "with at least min_confidence (0..100, default 90); legal_basis and reasons\n" \
    "(UTF-8, at most 2000 bytes) are required when enabled"
#define S_EXAMPLE_AUTO \
    "auto = {\n" \
    "    enabled = true;\n" \
    "    sources = [ \"vncert\" ];\n" \
    "    min_confidence = 90;\n" \
    "    legal_basis = \"" ACC_CONFIG_LEGAL_EXAMPLE "\";\n" \
    "    reasons = \"" ACC_CONFIG_REASONS_EXAMPLE "\";\n" \
    "};"
#define S_HELP_SPOOL \
    "outgoing notices waiting for delivery, relative to this file\n" \
    "(default: the directory spool inside data_dir)"
#define S_HELP_CATEGORIES \
    "violation categories (danh mục vi phạm): id [a-z0-9][a-z0-9-]{0,47},\n" \
    "Vietnamese and English labels; at most 256 entries"
#define S_HELP_SOURCES \
    "feeds and partners that submit reports (nguồn tin): name\n" \
    "[a-z0-9][a-z0-9._:-]{0,63} (\"citizen\" sets the citizen form's trust); token: " \
    "bearer token for\n" \
    "HTTP ingest, at least 16 characters (absent: no HTTP access); trust\n" \
    "high|medium|low; confidence 0..100 (0: none); rate_per_minute 0 = unlimited"
#define S_EXAMPLE_SOURCES \
    "sources = (\n" \
    "    { name = \"vncert\"; token = \"" ACC_CONFIG_TOKEN_EXAMPLE "\";\n" \
    "      trust = \"high\"; confidence = 80; rate_per_minute = 6000; }\n" \
    ");"
#define S_HELP_FEED_TAGS \
    "feed tag -> category (MISP/STIX tags, case-insensitive); the category\n" \
    "must be one of 'categories'"
#define S_EXAMPLE_FEED_TAGS \
    "feed_tags = (\n" \
    "    { tag = \"phishing\"; category = \"phishing-malware\"; },\n" \
    "    { tag = \"malware\"; category = \"phishing-malware\"; }\n" \
    ");"
#define S_HELP_PEERS \
    "federation peers (cơ quan liên kết) are kept in " ACC_CONFIG_PEERS_FILE " next to this file,\n" \
    "written by `accordctl peer add/remove` and read at start when it exists.\n" \
    "They may be listed here instead (then not in " ACC_CONFIG_PEERS_FILE "): agency; role\n" \
    "lead|coordinating|parent|child (what the peer is to us; at most one lead and\n" \
    "one parent); endpoint tcp://HOST:PORT of its intake; public_key: its\n" \
    "keys/node.pub (`accordctl key show`); name optional"
#define S_EXAMPLE_PEERS \
    "peers = (\n" \
    "    { agency = \"ca-hn\"; role = \"coordinating\"; endpoint = \"tcp://10.0.0.5:7400\";\n" \
    "      public_key = \"<40 characters>\"; name = \"Công an Hà Nội\"; }\n" \
    ");"

/* ---- the tables ------------------------------------------------------------------------ */

#define S_T acc_config_t
static const acc_config_key_t s_limits_keys[] = {
    S_INT("message_max_bytes", limits.message_max_bytes, 1024, 64 << 20, 1 << 20, "largest message accepted on any socket (1 KiB .. 64 MiB)"),
    S_INT("url_max_bytes",     limits.url_max_bytes,     256,  65536,    8192,    "longest URL in a report (256 .. 65536)"),
    S_INT("text_max_bytes",    limits.text_max_bytes,    1024, 1 << 20,  32768,   "longest text excerpt or description (1 KiB .. 1 MiB)"),
};

static const acc_config_key_t s_intake_keys[] = {
    S_BIND("bind",           intake.bind,           0,                        0,       "reports API endpoint (cổng nhận tin phản ánh); \"\" for none"),
    S_BIND("stream_bind",    intake_stream_bind,    ACC_CONFIG_STREAM_OFFSET, 0,       S_HELP_STREAM),
    S_STR("stream_connect",  intake_stream_connect, acc_config_rule_connect,  S_EMPTY, NULL, S_HELP_CONNECT),
    S_INT("batch_max",       intake.batch_max,      1, 100000,   1000,    "reports per commit (1 .. 100000)"),
    S_INT("commit_wait_us",  intake.commit_wait_us, 0, 1000000,  1000,    "microseconds to wait for a batch to fill (0 .. 1000000)"),
    S_INT("map_size_mb",     intake.map_size_mb,    1, 1048576,  64,      "initial store size in MiB (1 .. 1048576)"),
    S_INT("map_max_mb",      intake.map_max_mb,     1, 16777216, 1048576, "largest store size in MiB (map_size_mb .. 16777216)"),
};

static const acc_config_key_t s_auto_keys[] = {
    S_BOOL("enabled",       auto_verify.enabled, 0, NULL),
    S_STRLIST("sources",    auto_verify.sources, auto_verify.n_sources, ACC_CONFIG_SOURCES_MAX, acc_config_rule_source_name, S_UNIQ, NULL),
    S_INT("min_confidence", auto_verify.min_confidence, 0, 100, 90, NULL),
    S_STR("legal_basis",    auto_verify.legal_basis, acc_config_rule_long_text, S_EMPTY, NULL, NULL),
    S_STR("reasons",        auto_verify.reasons,     acc_config_rule_long_text, S_EMPTY, NULL, NULL),
};

static const acc_config_key_t s_verification_keys[] = {
    S_SERVICE_BINDS(verification, 1, "verification endpoint (thẩm định); \"\" for none"),
    S_GROUP("auto", s_auto_keys, S_HELP_AUTO, S_EXAMPLE_AUTO),
};

static const acc_config_key_t s_assignment_keys[] = {
    S_SERVICE_BINDS(assignment, 2, "assignment endpoint (giao nhiệm vụ xử lý); \"\" for none"),
};

static const acc_config_key_t s_notification_keys[] = {
    S_SERVICE_BINDS(notification, 3, "notification endpoint (thông báo); \"\" for none"),
    S_PATH("spool_dir",   notify.spool_dir,    0, NULL, S_HELP_SPOOL, "spool_dir = \"data/spool\";"),
    S_INT("retry_min_ms", notify.retry_min_ms, 10, 600000,   200,   "first delay before a failed delivery is retried (10 .. 600000 ms)"),
    S_INT("retry_max_ms", notify.retry_max_ms, 10, 86400000, 30000, "longest delay between retries (retry_min_ms .. 86400000 ms)"),
};

static const acc_config_key_t s_reporting_keys[] = {
    S_SERVICE_BINDS(reporting, 4, "reporting endpoint (báo cáo, thống kê); \"\" for none"),
};

static const acc_config_key_t s_http_keys[] = {
    S_BIND("bind",                   http.bind,     ACC_CONFIG_HTTP_OFFSET, S_HOSTPORT, "HOST:PORT of HTTP ingest and the citizen form; \"\" for no HTTP"),
    S_INT("body_max_bytes",          http.body_max_bytes, 1024, 256 << 20, 4 << 20, "largest request body (1 KiB .. 256 MiB); larger bodies get 413"),
    S_PATH("tls_cert",               http.tls_cert, S_EMPTY, NULL, "PEM certificate, relative to this file; with tls_key: HTTPS", NULL),
    S_PATH("tls_key",                http.tls_key,  S_EMPTY, NULL, "PEM private key, relative to this file", NULL),
    S_INT("citizen_rate_per_minute", http.citizen_rate_per_minute, 1, 100000, 10, "citizen form/API reports per client address and minute (1 .. 100000)"),
};
#undef S_T

#define S_T acc_category_t
static const acc_config_key_t s_category_keys[] = {
    S_STR("id", id,      acc_config_rule_category_id, S_REQ | S_UNIQ, NULL, NULL),
    S_STR("vi", name_vi, acc_config_rule_text,        S_REQ,          NULL, NULL),
    S_STR("en", name_en, acc_config_rule_text,        S_REQ,          NULL, NULL),
};
#undef S_T

#define S_T acc_source_cfg_t
static const acc_config_key_t s_source_keys[] = {
    S_STR("name",            name,  acc_config_rule_source_name, S_REQ | S_UNIQ,               NULL,     NULL),
    S_STR("token",           token, acc_config_rule_token,       S_EMPTY | S_UNIQ | S_SECRET,  NULL,     NULL),
    S_STR("trust",           trust, acc_config_rule_trust,       0,                            "medium", NULL),
    S_INT("confidence",      confidence,      0, 100,     0,    NULL),
    S_INT("rate_per_minute", rate_per_minute, 0, 1000000, 6000, NULL),
};
#undef S_T

#define S_T acc_feed_tagmap_t
static const acc_config_key_t s_feed_tag_keys[] = {
    S_STR("tag",      tag,      acc_config_rule_text,        S_REQ | S_UNIQ | S_NOCASE, NULL, NULL),
    S_STR("category", category, acc_config_rule_category_id, S_REQ,                     NULL, NULL),
};
#undef S_T

/* Duplicates, our own agency and a second lead or parent span entries:
 * acc_config_peer_conflict. */
#define S_T acc_peer_cfg_t
const acc_config_key_t acc_config_peer_keys[] = {
    S_STR("agency",     agency,     acc_config_rule_agency,        S_REQ,   NULL, NULL),
    S_ROLE("role",      role,       S_REQ, NULL),
    S_STR("endpoint",   endpoint,   acc_config_rule_peer_endpoint, S_REQ,   NULL, NULL),
    S_STR("public_key", public_key, acc_config_rule_public_key,    S_REQ,   NULL, NULL),
    S_STR("name",       name,       acc_config_rule_text,          S_EMPTY, NULL, NULL),
};
#undef S_T

#define S_T acc_config_t
/* peers.cfg holds this one key. */
const acc_config_key_t acc_config_peers_file_keys[] = {
    S_LIST("peers", acc_config_peer_keys, acc_peer_cfg_t, peers, n_peers, ACC_CONFIG_PEERS_MAX, 0, NULL, NULL),
};

const acc_config_key_t acc_config_root_keys[] = {
    S_STR("agency",               agency,             acc_config_rule_agency, S_REQ, NULL, "this agency's id (mã cơ quan): 2-32 characters, a-z 0-9 and '-'"),
    S_STR("name",                 name,               acc_config_rule_text,   0,     NULL, "human-readable name (tên cơ quan), UTF-8, at most 200 bytes"),
    S_PATH("data_dir",            data_dir,           0, "data", "store directory (thư mục dữ liệu), relative to this file", NULL),
    S_PATH("keys_dir",            keys_dir,           0, "keys", "CURVE key directory (thư mục khóa), relative to this file", NULL),
    S_LEVEL("log_level",          log_level,          ACC_LOG_INFO, "error | warn | info | debug"),
    S_INT("utc_offset_minutes",   utc_offset_minutes, -720, 840, 420, "local time zone, decides the year of a case number (Việt Nam: 420)"),
    S_GROUP("limits",             s_limits_keys,       "input size limits", NULL),
    S_GROUP("intake",             s_intake_keys,       "intake: receives reports and stores them (tiếp nhận)", NULL),
    S_GROUP("verification",       s_verification_keys, NULL, NULL),
    S_GROUP("assignment",         s_assignment_keys,   NULL, NULL),
    S_GROUP("notification",       s_notification_keys, NULL, NULL),
    S_GROUP("reporting",          s_reporting_keys,    NULL, NULL),
    S_GROUP("http",               s_http_keys,         "HTTP ingest of reports and feeds, and the citizen form (tiếp nhận qua HTTP)", NULL),
    S_LIST("categories", s_category_keys, acc_category_t,    categories, n_categories, ACC_CONFIG_CATEGORIES_MAX, S_NONEMPTY, S_HELP_CATEGORIES, NULL),
    S_LIST("sources",    s_source_keys,   acc_source_cfg_t,  sources,    n_sources,    ACC_CONFIG_SOURCES_MAX,    0, S_HELP_SOURCES,   S_EXAMPLE_SOURCES),
    S_LIST("feed_tags",  s_feed_tag_keys, acc_feed_tagmap_t, feed_tags,  n_feed_tags,  ACC_CONFIG_FEED_TAGS_MAX,  0, S_HELP_FEED_TAGS, S_EXAMPLE_FEED_TAGS),
    S_LIST("peers",      acc_config_peer_keys,     acc_peer_cfg_t,    peers,      n_peers,      ACC_CONFIG_PEERS_MAX,      0, S_HELP_PEERS,     S_EXAMPLE_PEERS),
};
#undef S_T
// clang-format on

const size_t acc_config_n_root_keys = ACC_CONFIG_LEN(acc_config_root_keys);
const size_t acc_config_n_peers_file_keys = ACC_CONFIG_LEN(acc_config_peers_file_keys);
const size_t acc_config_n_peer_keys = ACC_CONFIG_LEN(acc_config_peer_keys);
