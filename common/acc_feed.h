/*
 * acc_feed — readers for the formats detection feeds already publish, turning each
 * record into a Report with its provenance: the source name, the record's own id in that
 * source, and the source's timestamps. Used by `accordctl feed import` (files) and by
 * intake's HTTP ingest (POST /v1/feeds/{source}).
 *
 * Formats: the native jsonl and csv (acc_import.h), and
 *   stix       STIX 2.1 bundles: `indicator` objects with pattern_type "stix" whose
 *              patterns compare url:value or domain-name:value (OR of several
 *              comparisons: one report each; the pattern grammar is parsed, not matched
 *              with regular expressions); `observed-data` with url or domain-name objects,
 *              embedded (`objects`) or referenced (`object_refs` to SCOs in the bundle).
 *              Objects carrying no URL or domain are skipped and counted, not errors.
 *   misp       MISP event JSON ({"Event": {...}}, or a list of them, or {"response": [...]})
 *              attributes of type url, link, domain, hostname, at the event level and
 *              inside objects; event and attribute tags mapped to categories.
 *   urlhaus    URLhaus CSV dumps (comment banner lines starting with '#', quoted fields,
 *              a tags field containing commas).
 *   phishtank  PhishTank dumps, CSV or JSON (detected from the first byte).
 *   openphish  plain URL lists, one per line; blank lines ignored.
 * A domain becomes the URL "http://DOMAIN/".
 */
#ifndef ACC_FEED_H
#define ACC_FEED_H

#include <stddef.h>
#include <stdint.h>

#include "acc_err.h"
#include "accord/v1/report.pb-c.h"

typedef enum {
    ACC_FEED_UNKNOWN = 0,
    ACC_FEED_JSONL,
    ACC_FEED_CSV,
    ACC_FEED_STIX,
    ACC_FEED_MISP,
    ACC_FEED_URLHAUS,
    ACC_FEED_PHISHTANK,
    ACC_FEED_OPENPHISH,
} acc_feed_format;

/* acc_feed_format_parse — "jsonl", "csv", "stix", "misp", "urlhaus", "phishtank",
 * "openphish" (case-insensitive) → format; ACC_FEED_UNKNOWN otherwise. */
acc_feed_format acc_feed_format_parse(const char *name);

/* acc_feed_format_name — the name of @fmt ("unknown" for ACC_FEED_UNKNOWN). */
const char *acc_feed_format_name(acc_feed_format fmt);

/* A MISP (or STIX label) tag and the category it maps to; tags match case-insensitively
 * and exactly (e.g. "phishing" → "phishing-malware", "misp-galaxy:...=..." → ...). */
typedef struct acc_feed_tagmap {
    const char *tag;
    const char *category;
} acc_feed_tagmap_t;

typedef struct acc_feed_opts {
    const char *source;            /* source name recorded on every report; required */
    int source_is_default;         /* jsonl/csv only: @source fills records that name no
                                      source of their own instead of replacing theirs
                                      (`report import`; `feed import` imposes it) */
    const char *category;          /* default category; NULL or "" = none */
    uint32_t confidence;           /* default confidence 0..100 (0 = none): used when the
                                      record has none of its own */
    const acc_feed_tagmap_t *tags; /* tag → category (first match wins); may be NULL */
    size_t n_tags;
} acc_feed_opts_t;

typedef struct acc_feed acc_feed_t;

/*
 * acc_feed_new — a reader over @data[0..@len) (borrowed: must outlive the reader).
 * @opts is copied. Whole-document problems are reported here: a body that is not a
 * STIX 2.1 bundle (type "bundle", spec_version of its objects "2.1"), JSON that does not
 * parse (ei->field "line L, column C"), a CSV header that is not the format's.
 * Errors: ACC_ERR_INVALID, ACC_ERR_DECODE, ACC_ERR_UTF8, ACC_ERR_NOMEM.
 */
acc_err acc_feed_new(acc_feed_format fmt, const char *data, size_t len, const acc_feed_opts_t *opts,
                     acc_feed_t **out, acc_errinfo_t *ei);

/*
 * acc_feed_next — the next report.
 * ACC_OK: *@out is a new report owned by the caller (accord__v1__report__free_unpacked(r,
 *   NULL)) with url, source, source_record_id, observed_at_ms (when the source gives a
 *   time), category (tag map, else the default; may be empty) and confidence set;
 *   @where (>= 96 bytes) says where it came from: "line 12" or "indicator--<uuid>".
 * ACC_ERR_INVALID / ACC_ERR_UTF8 / ACC_ERR_TOO_LARGE / ACC_ERR_DECODE: the record at
 *   @where is bad (e.g. a STIX pattern that does not parse, a CSV row with the wrong
 *   number of columns, non-UTF-8 bytes); @ei says why; the reader has moved past it.
 * ACC_ERR_NOT_FOUND: no more records.
 * Objects that are not reports (file hashes, relationships, identities, malware, MISP
 * attributes of other types) are skipped silently and counted: see acc_feed_skips.
 */
acc_err acc_feed_next(acc_feed_t *self, Accord__V1__Report **out, char *where, size_t where_len,
                      acc_errinfo_t *ei);

/* acc_feed_offset — bytes consumed so far (for progress bars; whole-document formats may
 * report 0 until the end). */
size_t acc_feed_offset(const acc_feed_t *self);

/*
 * acc_feed_skips — the @i-th reason for skipping ("stix object type 'malware'",
 * "misp attribute type 'sha256'") and how many objects it covered, or 0 when @i is past
 * the last reason. The string is borrowed from the reader.
 */
uint64_t acc_feed_skips(const acc_feed_t *self, size_t i, const char **reason);

/*
 * acc_feed_derive_id — a stable id for a record that came without one, so that a record
 * sent again (a file imported twice, an HTTP retry) is recognised instead of stored twice:
 * SHA-256 shaped as an RFC 9562 version 8 UUID, over (source, source_record_id, url, text)
 * when the source gives its record an id — a record re-published with a new description
 * is still the same report — else over all of the record's fields.
 */
void acc_feed_derive_id(const Accord__V1__Report *r, char out[37]);

/* acc_feed_destroy — NULL-safe; nulls *@self_p. */
void acc_feed_destroy(acc_feed_t **self_p);

#endif
