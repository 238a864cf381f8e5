/*
 * acc_config — the node's configuration: one libconfig file per node.
 *
 * Every integer is read as 64-bit and range-checked; unknown keys are rejected; every
 * problem is reported with file and line. Relative paths resolve against the directory
 * of the config file, not the current directory (also for @include). Keys that are
 * absent take the embedded defaults below, so a file with only `agency` is a working
 * node. The loaded struct is immutable and may be shared read-only by service threads.
 *
 * File format (all keys optional except agency):
 *
 *   agency = "stttt-hn";                 # [a-z0-9][a-z0-9-]{1,31}
 *   name = "Sở TT&TT Hà Nội";            # default: the agency id
 *   data_dir = "data";                   # default "data"
 *   keys_dir = "keys";                   # default "keys"
 *   log_level = "info";                  # error|warn|info|debug
 *   utc_offset_minutes = 420;            # -720..840; the year of a case number
 *   limits = { message_max_bytes = 1048576; url_max_bytes = 8192;
 *              text_max_bytes = 32768; };
 *   intake = { bind = "tcp://127.0.0.1:7400"; batch_max = 1000; commit_wait_us = 1000;
 *              map_size_mb = 64; map_max_mb = 1048576; };
 *   verification = { bind = "tcp://127.0.0.1:7401"; };   # likewise assignment,
 *   notification, reporting (ports +2, +3, +4)
 *   categories = ( { id = "scam"; vi = "Lừa đảo"; en = "Scam or fraud"; }, ... );
 *   http = { bind = "127.0.0.1:7408";     # HOST:PORT of HTTP ingest and the citizen form;
 *                                         # "" = no HTTP. port_base N makes it N+8
 *            body_max_bytes = 4194304;    # 1 KiB .. 256 MiB: larger bodies get 413
 *            tls_cert = ""; tls_key = ""; # PEM files (relative to this file): HTTPS when set
 *            citizen_rate_per_minute = 10; # form/API reports per client address; 1..100000
 *          };
 *   sources = ( { name = "vncert";        # [a-z0-9][a-z0-9._:-]{0,63}; "citizen" is built in
 *                 token = "...";          # bearer token for HTTP ingest (>= 16 chars); absent
 *                                         # or "" = no HTTP access for this source
 *                 trust = "high";         # high|medium|low (default medium)
 *                 confidence = 80;        # default confidence 0..100 (default 0 = none)
 *                 rate_per_minute = 6000; # HTTP reports per minute; 0 = unlimited
 *               }, ... );
 *   feed_tags = ( { tag = "phishing"; category = "phishing-malware"; }, ... );
 *                                         # feed tag -> category; category must exist
 */
#ifndef ACC_CONFIG_H
#define ACC_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "acc_err.h"
#include "acc_feed.h"

typedef struct acc_category {
    char *id;      /* [a-z0-9][a-z0-9-]{0,47} */
    char *name_vi; /* Vietnamese label */
    char *name_en; /* English label */
} acc_category_t;

typedef struct acc_source_cfg {
    char *name;              /* source name as recorded on reports */
    char *token;             /* bearer token; NULL when the source has no HTTP access */
    char *trust;             /* "high", "medium" or "low" */
    int64_t confidence;      /* default confidence 0..100 (0 = none) */
    int64_t rate_per_minute; /* HTTP reports per minute, 0 = unlimited (default 6000) */
} acc_source_cfg_t;

typedef struct acc_service_cfg {
    char *bind; /* TCP endpoint, e.g. "tcp://127.0.0.1:7401"; "" when none */
} acc_service_cfg_t;

typedef struct acc_config {
    char *path;     /* the file as given */
    char *dir;      /* absolute directory of the file */
    char *agency;   /* this agency's id */
    char *name;     /* human-readable name */
    char *data_dir; /* absolute */
    char *keys_dir; /* absolute */
    int log_level;  /* acc_log_level */
    int64_t utc_offset_minutes;

    struct {
        int64_t message_max_bytes; /* 1 KiB .. 64 MiB, default 1 MiB */
        int64_t url_max_bytes;     /* 256 .. 65536, default 8192 */
        int64_t text_max_bytes;    /* 1 KiB .. 1 MiB, default 32768 (text and description) */
    } limits;

    struct {
        char *bind;             /* TCP endpoint or "" (default "tcp://127.0.0.1:7400") */
        char *ipc_path;         /* absolute: <data_dir>/intake.sock (not configurable) */
        int64_t batch_max;      /* 1 .. 100000, default 1000: reports per commit */
        int64_t commit_wait_us; /* 0 .. 1000000, default 1000: wait to fill a batch */
        int64_t map_size_mb;    /* 1 .. 1048576, default 64: initial LMDB map */
        int64_t map_max_mb;     /* map_size_mb .. 16777216, default 1048576 */
    } intake;

    acc_service_cfg_t verification, assignment, notification, reporting;

    acc_category_t *categories; /* never empty: the default taxonomy when absent */
    size_t n_categories;

    struct {
        char *bind;                      /* "HOST:PORT" or "" (default "127.0.0.1:7408") */
        char *tls_cert, *tls_key;        /* absolute paths, or NULL (plain HTTP) */
        int64_t body_max_bytes;          /* 1 KiB .. 256 MiB, default 4 MiB */
        int64_t citizen_rate_per_minute; /* 1 .. 100000, default 10 */
    } http;

    acc_source_cfg_t *sources; /* may be empty (n_sources == 0) */
    size_t n_sources;

    acc_feed_tagmap_t *feed_tags; /* may be empty; every category exists in categories */
    size_t n_feed_tags;
} acc_config_t;

/*
 * acc_config_load — read and validate the file at @path.
 * @out: on success a new config owned by the caller (acc_config_destroy).
 * @ei: on failure, field = "FILE:LINE" (or "FILE" when no line applies) and msg names
 *      the key and the problem ("unknown key 'intake.bacth_max'", "'intake.batch_max'
 *      must be between 1 and 100000").
 * Errors: ACC_ERR_IO (cannot read), ACC_ERR_CONFIG (syntax or validation), ACC_ERR_NOMEM.
 */
acc_err acc_config_load(const char *path, acc_config_t **out, acc_errinfo_t *ei);

/*
 * acc_config_check — like acc_config_load but reports every problem, calling @report
 * once per problem with "FILE:LINE" and a message. Returns ACC_OK when there was none.
 */
acc_err acc_config_check(const char *path,
                         void (*report)(void *arg, const char *where, const char *msg), void *arg);

/* acc_config_destroy — free *@self_p (may be NULL) and set it to NULL. */
void acc_config_destroy(acc_config_t **self_p);

/* acc_config_category — the category with @id, or NULL. Borrowed from @cfg. */
const acc_category_t *acc_config_category(const acc_config_t *cfg, const char *id);

/* acc_config_category_list — "id1, id2, ..." of all categories into @buf (truncated). */
void acc_config_category_list(const acc_config_t *cfg, char *buf, size_t buflen);

/*
 * acc_config_render — text of a complete, commented node.cfg for `accordctl init`,
 * with the default taxonomy written out so the operator can edit it.
 * @port_base: TCP ports port_base (intake) .. port_base+4, and HTTP port_base+8; 0 for
 * the defaults 7400... and 7408. The rendered file has an example `sources` entry and an
 * example `feed_tags` list, commented out.
 * @out: malloc'd, owned by the caller. Errors: ACC_ERR_INVALID (bad agency id or port),
 * ACC_ERR_NOMEM.
 */
acc_err acc_config_render(const char *agency, const char *name, int port_base, char **out,
                          acc_errinfo_t *ei);

/* acc_config_source — the configured source named @name, or NULL. Borrowed. */
const acc_source_cfg_t *acc_config_source(const acc_config_t *cfg, const char *name);

/* acc_config_source_by_token — the source whose token equals @token (compared in constant
 * time), or NULL. Borrowed. */
const acc_source_cfg_t *acc_config_source_by_token(const acc_config_t *cfg, const char *token);

/* acc_config_valid_agency — true when @id is a valid agency id. */
int acc_config_valid_agency(const char *id);

#endif
