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

/* ctl_tag_map — the config's feed tag → category map (borrowed; *@n its length). */
const struct acc_feed_tagmap *ctl_tag_map(ctl_t *ctx, size_t *n);

/* ctl_opt — "--name VALUE" parsing helper: if argv[*i] is @name, take the next argument
 * into *@out and return 1; print an error and return -1 when the value is missing. */
int ctl_opt(int argc, char **argv, int *i, const char *name, const char **out);

#endif
