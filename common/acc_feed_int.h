/*
 * acc_feed_int — the internal seam between the acc_feed core (acc_feed.c: dispatch, the
 * skip counters, jsonl/csv through acc_import) and the per-format parsers
 * (acc_feed_stix.c, acc_feed_misp.c, acc_feed_lists.c). Not for use outside common/.
 */
#ifndef ACC_FEED_INT_H
#define ACC_FEED_INT_H

#include <jansson.h>

#include "acc_feed.h"

/* What a format parser implements. @state is the parser's own. */
typedef struct acc_feed_parser {
    /* Same contract as acc_feed_next. */
    acc_err (*next)(void *state, acc_feed_t *feed, Accord__V1__Report **out, char *where,
                    size_t where_len, acc_errinfo_t *ei);
    size_t (*offset)(const void *state);
    void (*destroy)(void *state);
} acc_feed_parser_t;

/* A parser's constructor: on success *@state and *@ops are set. @opts is the reader's
 * copy and lives as long as the reader. Same errors as acc_feed_new. */
typedef acc_err (*acc_feed_open_fn)(const char *data, size_t len, const acc_feed_opts_t *opts,
                                    void **state, const acc_feed_parser_t **ops, acc_errinfo_t *ei);

acc_err acc_feed_stix_open(const char *data, size_t len, const acc_feed_opts_t *opts, void **state,
                           const acc_feed_parser_t **ops, acc_errinfo_t *ei);
acc_err acc_feed_misp_open(const char *data, size_t len, const acc_feed_opts_t *opts, void **state,
                           const acc_feed_parser_t **ops, acc_errinfo_t *ei);
acc_err acc_feed_urlhaus_open(const char *data, size_t len, const acc_feed_opts_t *opts,
                              void **state, const acc_feed_parser_t **ops, acc_errinfo_t *ei);
acc_err acc_feed_phishtank_open(const char *data, size_t len, const acc_feed_opts_t *opts,
                                void **state, const acc_feed_parser_t **ops, acc_errinfo_t *ei);
acc_err acc_feed_openphish_open(const char *data, size_t len, const acc_feed_opts_t *opts,
                                void **state, const acc_feed_parser_t **ops, acc_errinfo_t *ei);

/* acc_feed_skip — count one skipped object under @reason (copied). Called by parsers. */
acc_err acc_feed_skip(acc_feed_t *feed, const char *reason);

/* acc_feed_report_new — a new report with source, confidence and default category from
 * the options, and @url / @record_id / @observed_ms set (copies). Category: the first tag
 * in @tags[0..@n_tags) found in the tag map, else the default. NULL when out of memory. */
Accord__V1__Report *acc_feed_report_new(const acc_feed_opts_t *opts, const char *url,
                                        const char *record_id, int64_t observed_ms,
                                        const char *const *tags, size_t n_tags);

/* acc_feed_json_load — parse @data[0..@len) (a UTF-8 byte order mark first is skipped) with
 * jansson @flags (JSON_REJECT_DUPLICATES is always added; never JSON_ALLOW_NUL: values are
 * used as C strings). On success *@out is a new reference (json_decref). Errors:
 * ACC_ERR_DECODE (syntax, duplicate key, NUL; ei's field is "line L, column C", its message
 * "invalid json: ..." with control and non-ASCII bytes shown as '?'), ACC_ERR_UTF8,
 * ACC_ERR_NOMEM. */
acc_err acc_feed_json_load(const char *data, size_t len, size_t flags, json_t **out,
                           acc_errinfo_t *ei);

/* acc_feed_domain_url — "http://" DOMAIN "/" (malloc'd), NULL when out of memory. */
char *acc_feed_domain_url(const char *domain);

#endif
