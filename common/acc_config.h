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
 *
 * Federation and the other services (issue "five services and the federation"):
 *   intake = { ...; stream_bind = "tcp://127.0.0.1:7410"; };   # each service also has
 *   verification = { bind = "..."; stream_bind = "tcp://127.0.0.1:7411"; ... };  # a
 *   stream endpoint (port_base+10 .. +14) used when services run as separate processes
 *   verification = { auto = { enabled = false; sources = [ "vncert" ]; min_confidence = 90;
 *                             legal_basis = "..."; reasons = "..."; }; };
 *   notification = { spool_dir = "spool"; retry_min_ms = 200; retry_max_ms = 30000; };
 *                                         # spool_dir default: <data_dir>/spool
 *   peers = ( { agency = "ca-hn"; role = "coordinating";   # lead|coordinating|parent|child
 *               endpoint = "tcp://10.0.0.5:7400";           # the peer's intake
 *               public_key = "<40 Z85 chars>"; name = "Công an Hà Nội"; } );
 *                                         # at most one lead and one parent; no duplicate
 *                                         # agency or key; never our own agency
 *
 * peers.cfg: `peers` normally lives in "<dir of the config file>/peers.cfg", a libconfig
 * file holding only `peers = ( ... );`, written by `accordctl peer add/remove`
 * (acc_config_peers_write). acc_config_load reads it by itself when it exists (an
 * @include would fail while the file does not exist yet), with the same checks and
 * messages naming peers.cfg and its line. `peers` may instead be set in the config file
 * itself; setting it in both is an error naming both files. (An old `@include
 * "peers.cfg"` in the config file still works: that file is then not read twice.)
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
    char *bind;           /* TCP endpoint, e.g. "tcp://127.0.0.1:7401"; "" when none */
    char *stream_bind;    /* TCP endpoint of its stream (default port +10); "" when none */
    char *stream_connect; /* where others connect to that stream; NULL: stream_bind */
} acc_service_cfg_t;

typedef enum {
    ACC_ROLE_LEAD = 1,         /* the peer is our lead agency (cơ quan chủ trì) */
    ACC_ROLE_COORDINATING = 2, /* the peer coordinates with us: we are its lead */
    ACC_ROLE_PARENT = 3,       /* the peer is our parent authority (cấp trên) */
    ACC_ROLE_CHILD = 4,        /* we are the peer's parent */
} acc_role;

typedef struct acc_peer_cfg {
    char *agency;     /* the peer's agency id (acc_agency_valid) */
    acc_role role;    /* what the peer is to us */
    char *endpoint;   /* the peer's intake: "tcp://HOST:PORT" */
    char *public_key; /* its CURVE public key, 40 Z85 characters */
    char *name;       /* human-readable, may be NULL */
} acc_peer_cfg_t;

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
    char *intake_stream_bind;    /* intake's stream endpoint (default port_base+10) */
    char *intake_stream_connect; /* where others connect to it; NULL: intake_stream_bind */

    struct {
        int enabled;    /* default false */
        char **sources; /* source names whose reports may be verified automatically */
        size_t n_sources;
        int64_t min_confidence; /* 0..100, default 90 */
        char *legal_basis;      /* required when enabled */
        char *reasons;          /* required when enabled */
    } auto_verify;              /* verification.auto */

    struct {
        char *spool_dir;      /* absolute; default <data_dir>/spool */
        int64_t retry_min_ms; /* 10 .. 600000, default 200 */
        int64_t retry_max_ms; /* retry_min_ms .. 86400000, default 30000 */
    } notify;                 /* notification.* */

    acc_peer_cfg_t *peers; /* may be empty */
    size_t n_peers;
    int peers_inline; /* peers are set in the config file itself, not in peers.cfg */

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
 * @port_base: TCP ports port_base (intake) .. port_base+4, HTTP port_base+8 and the
 * stream endpoints port_base+10 .. +14 (so at most 65521); 0 for the defaults 7400...,
 * 7408 and 7410... The rendered file has examples of `sources`, `feed_tags`,
 * `verification.auto`, `notification.spool_dir` and `peers`, commented out.
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

/* acc_config_peer — the peer with agency @agency, or NULL. Borrowed. */
const acc_peer_cfg_t *acc_config_peer(const acc_config_t *cfg, const char *agency);

/* acc_config_lead — our lead agency (the peer with role lead), or NULL when we are a lead. */
const acc_peer_cfg_t *acc_config_lead(const acc_config_t *cfg);

/* acc_role_name / acc_role_parse — "lead", "coordinating", "parent", "child"; name
 * returns "unknown" for a value outside acc_role (never NULL, static); parse returns 0
 * for an unknown name (or NULL). */
const char *acc_role_name(acc_role role);
acc_role acc_role_parse(const char *name);

/*
 * acc_config_peers_write — rewrite "<dir of @cfg>/peers.cfg" with @peers (atomically:
 * temporary file in the same directory, fsync, rename, fsync of the directory), as
 * `accordctl peer add/remove` do. The node reads it at start. @peers (n may be 0) are
 * checked first as the loader would (against @cfg's own agency); the file written is read
 * back and compared before it replaces the old one, whose mode it keeps (0600 when new).
 * On any failure the old file is untouched and no temporary file is left.
 * Errors: ACC_ERR_INVALID (a peer that would not load: ei.field is the key, "agency",
 * "role", "endpoint", "public_key" or "name", and ei.msg names the peer; or "peers" when
 * @cfg sets peers in its own file, see peers_inline), ACC_ERR_IO (ei names the file),
 * ACC_ERR_NOMEM, ACC_ERR_INTERNAL (the file read back differs).
 */
acc_err acc_config_peers_write(const acc_config_t *cfg, const acc_peer_cfg_t *peers, size_t n,
                               acc_errinfo_t *ei);

#endif
