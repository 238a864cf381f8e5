/*
 * acc_feed — see acc_feed.h. The core of the feed readers: format names, the reader
 * object, dispatch to the native readers (acc_import, for jsonl and csv) or to a format
 * parser (acc_feed_stix.c, acc_feed_misp.c, acc_feed_lists.c, through the seam in
 * acc_feed_int.h), the skip counters, and the report constructor the parsers share, so
 * that source, default category, tag mapping and confidence are applied in one place.
 *
 * jsonl and csv: the native readers already know every field of a report. The reader's
 * source name replaces any `source` a record carries (a feed import records where the
 * reports came from, whatever the file says) unless opts->source_is_default asks for it
 * to fill only records without one (`report import`); the default confidence fills
 * records whose confidence is 0 (absent).
 */
#include "acc_feed.h"
#include "acc_ids.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sodium.h>

#include "acc_feed_int.h"
#include "acc_import.h"

/* Distinct skip reasons kept per reader: reasons are built from names in the input (a
 * MISP attribute type), so hostile input could make one per object. Past the cap, skips
 * are counted under S_SKIP_OTHER. */
#define S_SKIP_MAX 32
#define S_SKIP_OTHER "other reasons"
/* Longest skip reason kept, in bytes (longer ones are cut). */
#define S_REASON_MAX 96

typedef struct {
    char *reason;
    uint64_t count;
} s_skip;

struct acc_feed {
    acc_feed_format fmt;
    acc_feed_opts_t opts; /* points at the copies below */
    char *source;
    char *category;
    acc_feed_tagmap_t *tags; /* tag and category strings owned */
    size_t n_tags;
    acc_import_t *imp; /* jsonl, csv */
    void *state;       /* the other formats */
    const acc_feed_parser_t *ops;
    s_skip skips[S_SKIP_MAX + 1]; /* + the S_SKIP_OTHER slot */
    size_t n_skips;
};

static const char *const s_format_names[] = {
    [ACC_FEED_UNKNOWN] = "unknown",
    [ACC_FEED_JSONL] = "jsonl",
    [ACC_FEED_CSV] = "csv",
    [ACC_FEED_STIX] = "stix",
    [ACC_FEED_MISP] = "misp",
    [ACC_FEED_URLHAUS] = "urlhaus",
    [ACC_FEED_PHISHTANK] = "phishtank",
    [ACC_FEED_OPENPHISH] = "openphish",
};
#define S_N_FORMATS (sizeof s_format_names / sizeof s_format_names[0])

acc_feed_format
acc_feed_format_parse(const char *name)
{
    if (!name)
        return ACC_FEED_UNKNOWN;
    for (size_t i = 1; i < S_N_FORMATS; i++)
        if (strcasecmp(name, s_format_names[i]) == 0)
            return (acc_feed_format)i;
    return ACC_FEED_UNKNOWN;
}

const char *
acc_feed_format_name(acc_feed_format fmt)
{
    if ((size_t)fmt >= S_N_FORMATS)
        return s_format_names[ACC_FEED_UNKNOWN];
    return s_format_names[fmt];
}

/* --- the report constructor the parsers share ------------------------------------------ */

static acc_err
s_set_string(char **slot, const char *v)
{
    if (!v || !v[0])
        return ACC_OK; /* empty: leave protobuf-c's shared empty string */
    char *c = strdup(v);
    if (!c)
        return ACC_ERR_NOMEM;
    *slot = c;
    return ACC_OK;
}

/* s_map_tags — the category of the first tag in @tags found in the map, or NULL. Tags are
 * tried in the order the source gives them (attribute before event in MISP), so the most
 * specific tag decides. */
static const char *
s_map_tags(const acc_feed_opts_t *opts, const char *const *tags, size_t n_tags)
{
    if (!opts->tags)
        return NULL;
    for (size_t i = 0; i < n_tags; i++) {
        if (!tags[i])
            continue;
        for (size_t k = 0; k < opts->n_tags; k++)
            if (opts->tags[k].tag && strcasecmp(tags[i], opts->tags[k].tag) == 0)
                return opts->tags[k].category;
    }
    return NULL;
}

Accord__V1__Report *
acc_feed_report_new(const acc_feed_opts_t *opts, const char *url, const char *record_id,
                    int64_t observed_ms, const char *const *tags, size_t n_tags)
{
    Accord__V1__Report *r = malloc(sizeof *r);
    if (!r)
        return NULL;
    accord__v1__report__init(r);
    const char *category = s_map_tags(opts, tags, n_tags);
    if (!category)
        category = opts->category;
    if (s_set_string(&r->url, url) != ACC_OK || s_set_string(&r->source, opts->source) != ACC_OK ||
        s_set_string(&r->source_record_id, record_id) != ACC_OK ||
        s_set_string(&r->category, category) != ACC_OK) {
        accord__v1__report__free_unpacked(r, NULL);
        return NULL;
    }
    r->observed_at_ms = observed_ms;
    r->confidence = opts->confidence;
    return r;
}

char *
acc_feed_domain_url(const char *domain)
{
    /* Validation is the caller's (it knows where the domain came from for the error);
     * the URL's syntax is checked by intake like any other. */
    size_t n = strlen(domain);
    char *u = malloc(n + sizeof "http:///");
    if (!u)
        return NULL;
    memcpy(u, "http://", 7);
    memcpy(u + 7, domain, n);
    memcpy(u + 7 + n, "/", 2);
    return u;
}

/* --- skips ----------------------------------------------------------------------------- */

/* s_reason_copy — @reason cut to S_REASON_MAX bytes, with control bytes as '?' so that a
 * reason built from input cannot carry terminal escapes into a summary. Non-ASCII bytes
 * are kept (reasons may be UTF-8) unless the cut would split a character. */
static char *
s_reason_copy(const char *reason)
{
    size_t n = strnlen(reason, S_REASON_MAX + 1);
    if (n > S_REASON_MAX) {
        n = S_REASON_MAX;
        while (n > 0 && ((unsigned char)reason[n] & 0xC0) == 0x80)
            n--; /* do not end inside a UTF-8 sequence */
    }
    char *c = malloc(n + 1);
    if (!c)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        unsigned char b = (unsigned char)reason[i];
        c[i] = (b < 0x20 || b == 0x7F) ? '?' : (char)b;
    }
    c[n] = '\0';
    return c;
}

acc_err
acc_feed_skip(acc_feed_t *feed, const char *reason)
{
    if (!reason)
        reason = "";
    char *copy = s_reason_copy(reason);
    if (!copy)
        return ACC_ERR_NOMEM;
    for (size_t i = 0; i < feed->n_skips; i++) {
        if (strcmp(feed->skips[i].reason, copy) == 0) {
            feed->skips[i].count++;
            free(copy);
            return ACC_OK;
        }
    }
    if (feed->n_skips > S_SKIP_MAX) {
        free(copy);
        feed->skips[S_SKIP_MAX].count++; /* the S_SKIP_OTHER slot */
        return ACC_OK;
    }
    if (feed->n_skips == S_SKIP_MAX) {
        free(copy);
        if (!(copy = strdup(S_SKIP_OTHER)))
            return ACC_ERR_NOMEM;
    }
    feed->skips[feed->n_skips].reason = copy;
    feed->skips[feed->n_skips].count = 1;
    feed->n_skips++;
    return ACC_OK;
}

uint64_t
acc_feed_skips(const acc_feed_t *self, size_t i, const char **reason)
{
    if (!self || i >= self->n_skips)
        return 0;
    if (reason)
        *reason = self->skips[i].reason;
    return self->skips[i].count;
}

/* --- the reader ------------------------------------------------------------------------ */

static acc_err
s_copy_opts(acc_feed_t *self, const acc_feed_opts_t *opts)
{
    if (!(self->source = strdup(opts->source)))
        return ACC_ERR_NOMEM;
    if (opts->category && opts->category[0] && !(self->category = strdup(opts->category)))
        return ACC_ERR_NOMEM;
    if (opts->tags && opts->n_tags > 0) {
        self->tags = calloc(opts->n_tags, sizeof *self->tags);
        if (!self->tags)
            return ACC_ERR_NOMEM;
        for (size_t i = 0; i < opts->n_tags; i++) {
            /* Entries with a NULL tag or category could never match or could not be
             * used: drop them rather than carry NULLs into the lookup. */
            if (!opts->tags[i].tag || !opts->tags[i].category)
                continue;
            acc_feed_tagmap_t *t = &self->tags[self->n_tags];
            t->tag = strdup(opts->tags[i].tag);
            t->category = strdup(opts->tags[i].category);
            self->n_tags++; /* counted before checking, so destroy frees a half pair */
            if (!t->tag || !t->category)
                return ACC_ERR_NOMEM;
        }
    }
    self->opts.source = self->source;
    self->opts.category = self->category;
    self->opts.confidence = opts->confidence;
    self->opts.source_is_default = opts->source_is_default;
    self->opts.tags = self->tags;
    self->opts.n_tags = self->n_tags;
    return ACC_OK;
}

static acc_feed_open_fn
s_opener(acc_feed_format fmt)
{
    switch (fmt) {
    case ACC_FEED_STIX:
        return acc_feed_stix_open;
    case ACC_FEED_MISP:
        return acc_feed_misp_open;
    case ACC_FEED_URLHAUS:
        return acc_feed_urlhaus_open;
    case ACC_FEED_PHISHTANK:
        return acc_feed_phishtank_open;
    case ACC_FEED_OPENPHISH:
        return acc_feed_openphish_open;
    case ACC_FEED_UNKNOWN:
    case ACC_FEED_JSONL:
    case ACC_FEED_CSV:
        break;
    }
    return NULL;
}

acc_err
acc_feed_new(acc_feed_format fmt, const char *data, size_t len, const acc_feed_opts_t *opts,
             acc_feed_t **out, acc_errinfo_t *ei)
{
    if (!opts || !opts->source || !opts->source[0]) {
        acc_errinfo_set(ei, "source", "a feed needs a source name");
        return ACC_ERR_INVALID;
    }
    if (opts->confidence > 100) {
        acc_errinfo_set(ei, "confidence", "confidence %u is over 100", opts->confidence);
        return ACC_ERR_INVALID;
    }
    acc_feed_open_fn open = s_opener(fmt);
    if (!open && fmt != ACC_FEED_JSONL && fmt != ACC_FEED_CSV) {
        acc_errinfo_set(ei, "format", "unknown feed format");
        return ACC_ERR_INVALID;
    }
    if (!data) {
        data = "";
        len = 0;
    }
    acc_err rc = ACC_ERR_NOMEM;
    acc_feed_t *self = calloc(1, sizeof *self);
    if (!self)
        goto out;
    self->fmt = fmt;
    rc = s_copy_opts(self, opts);
    if (rc != ACC_OK)
        goto out;
    if (open) {
        rc = open(data, len, &self->opts, &self->state, &self->ops, ei);
    } else {
        Accord__V1__Report defaults = ACCORD__V1__REPORT__INIT;
        defaults.source = self->source;
        if (self->category)
            defaults.category = self->category;
        rc = acc_import_new(fmt == ACC_FEED_JSONL ? ACC_IMPORT_JSONL : ACC_IMPORT_CSV, data, len,
                            &defaults, &self->imp, ei);
    }
    if (rc != ACC_OK)
        goto out;
    *out = self;
    self = NULL;
out:
    acc_feed_destroy(&self);
    return rc;
}

/* s_import_next — jsonl and csv through acc_import, with the feed's source and default
 * confidence imposed (see the file comment). */
static acc_err
s_import_next(acc_feed_t *self, Accord__V1__Report **out, char *where, size_t where_len,
              acc_errinfo_t *ei)
{
    Accord__V1__Report *r = NULL;
    size_t line = 0;
    acc_err rc = acc_import_next(self->imp, &r, &line, ei);
    if (rc == ACC_ERR_NOT_FOUND)
        return rc;
    snprintf(where, where_len, "line %zu", line);
    if (rc != ACC_OK)
        return rc;
    if (strcmp(r->source, self->source) != 0 && !(self->opts.source_is_default && r->source[0])) {
        char *s = strdup(self->source);
        if (!s) {
            rc = ACC_ERR_NOMEM;
            goto out;
        }
        if (r->source != protobuf_c_empty_string)
            free(r->source);
        r->source = s;
    }
    if (r->confidence == 0)
        r->confidence = self->opts.confidence;
    *out = r;
    r = NULL;
out:
    if (r)
        accord__v1__report__free_unpacked(r, NULL);
    return rc;
}

acc_err
acc_feed_next(acc_feed_t *self, Accord__V1__Report **out, char *where, size_t where_len,
              acc_errinfo_t *ei)
{
    char local[96];
    if (!where || where_len == 0) {
        where = local;
        where_len = sizeof local;
    }
    where[0] = '\0';
    Accord__V1__Report *r = NULL;
    acc_err rc;
    if (self->imp)
        rc = s_import_next(self, &r, where, where_len, ei);
    else
        rc = self->ops->next(self->state, self, &r, where, where_len, ei);
    if (rc == ACC_OK)
        *out = r;
    else if (r) /* a parser must not hand out a report with an error; be safe anyway */
        accord__v1__report__free_unpacked(r, NULL);
    return rc;
}

size_t
acc_feed_offset(const acc_feed_t *self)
{
    if (!self)
        return 0;
    if (self->imp)
        return acc_import_offset(self->imp);
    return self->ops->offset(self->state);
}

void
acc_feed_destroy(acc_feed_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    acc_feed_t *self = *self_p;
    acc_import_destroy(&self->imp);
    if (self->ops && self->state)
        self->ops->destroy(self->state);
    for (size_t i = 0; i < self->n_skips; i++)
        free(self->skips[i].reason);
    for (size_t i = 0; i < self->n_tags; i++) {
        free((char *)self->tags[i].tag);
        free((char *)self->tags[i].category);
    }
    free(self->tags);
    free(self->category);
    free(self->source);
    free(self);
    *self_p = NULL;
}

void
acc_feed_derive_id(const Accord__V1__Report *r, char out[37])
{
    crypto_hash_sha256_state st;
    crypto_hash_sha256_init(&st);
    const char *by_record[] = {"accord-feed-v1", r->source, r->source_record_id, r->url, r->text};
    const char *by_fields[] = {"accord-import-v1", r->url,         r->text,
                               r->category,        r->description, r->source,
                               r->source_record_id};
    const char *const *parts = r->source_record_id[0] ? by_record : by_fields;
    size_t n = r->source_record_id[0] ? sizeof by_record / sizeof *by_record
                                      : sizeof by_fields / sizeof *by_fields;
    for (size_t i = 0; i < n; i++)
        crypto_hash_sha256_update(&st, (const unsigned char *)parts[i], strlen(parts[i]) + 1);
    if (!r->source_record_id[0])
        crypto_hash_sha256_update(&st, (const unsigned char *)&r->observed_at_ms,
                                  sizeof r->observed_at_ms);
    unsigned char h[32];
    crypto_hash_sha256_final(&st, h);
    acc_uuid_t u;
    memcpy(u.b, h, 16);
    u.b[6] = (unsigned char)(0x80 | (u.b[6] & 0x0f));
    u.b[8] = (unsigned char)(0x80 | (u.b[8] & 0x3f));
    acc_uuid_format(&u, out);
}

acc_err
acc_feed_json_load(const char *data, size_t len, size_t flags, json_t **out, acc_errinfo_t *ei)
{
    size_t skip = 0;
    /* Some tools save JSON with a UTF-8 byte order mark, which jansson refuses. */
    if (data && len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0)
        skip = 3;
    json_error_t jerr;
    json_t *root = json_loadb(data ? data + skip : "", data ? len - skip : 0,
                              flags | JSON_REJECT_DUPLICATES, &jerr);
    if (!root) {
        enum json_error_code code = json_error_code(&jerr);
        if (code == json_error_out_of_memory)
            return ACC_ERR_NOMEM;
        char field[64], text[sizeof jerr.text];
        size_t n = 0;
        for (; n + 1 < sizeof text && jerr.text[n]; n++) {
            unsigned char c = (unsigned char)jerr.text[n];
            text[n] = (c >= 0x20 && c < 0x7F) ? (char)c : '?';
        }
        text[n] = '\0';
        snprintf(field, sizeof field, "line %d, column %d", jerr.line, jerr.column);
        acc_errinfo_set(ei, field, "invalid json: %s", text);
        return code == json_error_invalid_utf8 ? ACC_ERR_UTF8 : ACC_ERR_DECODE;
    }
    *out = root;
    return ACC_OK;
}
