/*
 * accordctl internals: the context every command gets, and the commands. main.c parses
 * the global options and dispatches; each ctl_*.c holds one command family.
 *
 * Exit codes (for every command): 0 success, 2 bad input (the message names the field or
 * line), 1 node unreachable or internal failure.
 */
#ifndef CTL_H
#define CTL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "acc_client.h"
#include "acc_config.h"
#include "acc_i18n.h"

enum { CTL_OK = 0, CTL_FAIL = 1, CTL_BAD_INPUT = 2 };

typedef struct ctl {
    const char *config_path; /* -c */
    acc_lang lang;
    acc_config_t *cfg; /* loaded on demand by ctl_connect / ctl_load_config */
    acc_client_t *client;
    int timeout_ms;
} ctl_t;

/* ctl_load_config — load ctx->cfg from -c (error printed; returns an exit code or 0). */
int ctl_load_config(ctl_t *ctx);
/* ctl_connect — load the config and connect to the node's intake (returns 0 or an exit code). */
int ctl_connect(ctl_t *ctx);
/*
 * ctl_connect_service — load the config and connect to @service ("verification",
 * "assignment", "notification", "reporting") on its control socket
 * ipc://<data_dir>/<service>.sock. When the service's lock file <data_dir>/<service>.lock
 * is free nobody runs it: prints "the <service> service is not running" at once and
 * returns CTL_FAIL. Returns 0 with *@out set (owned by the caller: acc_client_destroy),
 * or an exit code (the error printed) with *@out untouched.
 */
int ctl_connect_service(ctl_t *ctx, const char *service, acc_client_t **out);
/* ctl_service_running — 1 when @service holds its lock in the config's data directory, 0
 * when not; the config must be loaded. */
int ctl_service_running(ctl_t *ctx, const char *service);
/* ctl_status_exit — print a response status as an error; returns the exit code for it. */
int ctl_status_exit(ctl_t *ctx, const Accord__V1__Status *st);
/* ctl_unreachable — print "node not reachable" and return CTL_FAIL. */
int ctl_unreachable(ctl_t *ctx, acc_err err);
/* ctl_err — printf an error message to stderr with the "accordctl: " prefix. */
void ctl_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

int ctl_cmd_init(ctl_t *ctx, int argc, char **argv);
int ctl_cmd_report(ctl_t *ctx, int argc, char **argv);
int ctl_cmd_feed(ctl_t *ctx, int argc, char **argv);
int ctl_cmd_case(ctl_t *ctx, int argc, char **argv);
int ctl_cmd_url(ctl_t *ctx, int argc, char **argv);
int ctl_cmd_status(ctl_t *ctx, int argc, char **argv);
int ctl_cmd_key(ctl_t *ctx, int argc, char **argv);    /* key show */
int ctl_cmd_peer(ctl_t *ctx, int argc, char **argv);   /* peer add|list|remove */
int ctl_cmd_config(ctl_t *ctx, int argc, char **argv); /* config check */
/* ctl_ops.c: the operator commands of the other services. */
int ctl_cmd_verify(ctl_t *ctx, int argc, char **argv);  /* verify decide (verification) */
int ctl_cmd_route(ctl_t *ctx, int argc, char **argv);   /* route add (assignment) */
int ctl_cmd_measure(ctl_t *ctx, int argc, char **argv); /* measure list|update (assignment) */
int ctl_cmd_notice(ctl_t *ctx, int argc, char **argv);  /* notice list (notification) */
int ctl_cmd_stats(ctl_t *ctx, int argc, char **argv);   /* stats (reporting) */

/*
 * ctl_case_timeline — the case's timeline from the reporting service, for `case show`:
 * with @json NULL printed as text lines ("time  service  kind  text") under a heading; else
 * set as @json's "timeline" array ({at, service, kind, text, event}), or null when the
 * reporting service cannot give it. When reporting is not running or fails, one line says
 * so on stderr; that is never an error of `case show` (the intake part stands alone).
 */
struct json_t;
void ctl_case_timeline(ctl_t *ctx, const char *number, struct json_t *json);

/*
 * ctl_parse_duration — a deadline like "30m", "24h", "3d", "1w": a positive decimal integer
 * (digits only: no sign, no spaces) and exactly one unit m (minutes), h (hours), d (days)
 * or w (weeks). Returns 0 with *@seconds set, or -1 (nothing written) for anything
 * else, including an empty string, a missing or unknown unit, 0 and values whose seconds
 * do not fit in int64_t.
 */
int ctl_parse_duration(const char *s, int64_t *seconds);

/* ctl_tag_map — the config's feed tag → category map (borrowed; *@n its length). */
const struct acc_feed_tagmap *ctl_tag_map(ctl_t *ctx, size_t *n);

/* ctl_opt — "--name VALUE" parsing helper: if argv[*i] is @name, take the next argument
 * into *@out and return 1; print an error and return -1 when the value is missing. */
int ctl_opt(int argc, char **argv, int *i, const char *name, const char **out);

/*
 * ctl_call — send @req over @c and wait for a successful answer carrying body @body.
 * Returns 0 with *@out set (the caller frees it), or an exit code with the error printed.
 * @service names the service for messages; NULL means the node's intake (an unreachable
 * node is then reported by ctl_unreachable). A note added to a successful answer (a
 * shortened list) goes to stderr.
 */
int ctl_call(ctl_t *ctx, acc_client_t *c, const char *service, Accord__V1__Request *req,
             int timeout_ms, int body, Accord__V1__Response **out);

/* Output helpers. Text from a node is printed through ctl_out, which blanks control
 * characters, so that a report cannot send escape codes to the operator's terminal. */
struct json_t;
struct json_t *ctl_json_time(int64_t ms);              /* RFC 3339 UTC, null when unset */
struct json_t *ctl_json_str_or_null(const char *s);    /* null when empty */
struct json_t *ctl_json_str(const char *s);            /* a string even if not UTF-8 */
void ctl_time_text(int64_t ms, char *buf, size_t len); /* "...Z" without ms, "-" when unset */
void ctl_json_print(struct json_t *o);                 /* compact, one line */
int ctl_out(const char *s);                            /* returns the characters written */
void ctl_col(const char *s, int width);                /* left-aligned in @width characters + " " */
void ctl_kv(const char *label, const char *value);     /* "  LABEL             VALUE" */

#endif
