/*
 * acc_import — parsers for report files and bodies: the native formats JSON Lines and
 * CSV (fields id, url, text, category, description, source, observed_at), and the JSON
 * body of intake's POST /v1/reports. Used by `accordctl report import` (files), acc_feed
 * and intake's HTTP ingest (bodies), so it parses from memory; all of them read the same
 * table of fields (acc_import_int.h). The feed formats (STIX, MISP, URLhaus, PhishTank,
 * OpenPhish) are acc_feed's.
 *
 * A bad record does not stop the reader: acc_import_next reports it with its line number
 * and moves on, so good records are imported even when others are bad.
 */
#ifndef ACC_IMPORT_H
#define ACC_IMPORT_H

#include <stddef.h>
#include <stdint.h>

#include "acc_err.h"
#include "accord/v1/report.pb-c.h"

typedef enum {
    ACC_IMPORT_UNKNOWN = 0,
    ACC_IMPORT_JSONL,
    ACC_IMPORT_CSV,
} acc_import_format;

typedef struct acc_import acc_import_t;

/* acc_import_format_parse — "jsonl" / "csv" (case-insensitive) → format; UNKNOWN else. */
acc_import_format acc_import_format_parse(const char *name);

/* acc_import_format_from_path — by extension: .jsonl/.ndjson/.json → JSONL, .csv → CSV;
 * UNKNOWN otherwise. */
acc_import_format acc_import_format_from_path(const char *path);

/*
 * acc_import_new — a reader over @data[0..@len) (borrowed: must outlive the reader).
 * @defaults: may be NULL; its non-empty category/source fill records that lack them.
 * Errors: ACC_ERR_INVALID (unknown format; a CSV header that is missing, has an unknown
 * column or a duplicate column — ei names it; field "line 1"), ACC_ERR_NOMEM.
 */
acc_err acc_import_new(acc_import_format fmt, const char *data, size_t len,
                       const Accord__V1__Report *defaults, acc_import_t **out, acc_errinfo_t *ei);

/*
 * acc_import_next — the next record.
 * ACC_OK: *@out is a new report owned by the caller (free it with
 *   accord__v1__report__free_unpacked(r, NULL)); *@line is its first line number (1-based).
 * ACC_ERR_INVALID / ACC_ERR_UTF8 / ACC_ERR_TOO_LARGE: the record at *@line is bad; @ei says
 *   which field and why (field like "line 12: observed_at"); the reader has moved past it.
 * ACC_ERR_NOT_FOUND: no more records.
 * Blank lines are skipped. Checks done here: well-formed JSON object / CSV row with the
 * header's column count, known field names (unknown JSON keys are an error), string types,
 * UTF-8, observed_at as RFC 3339 ("2026-11-20T08:30:00+07:00", "...Z", fractional
 * seconds allowed) converted to ms since the epoch. Checks NOT done here (intake does them,
 * so that every entry point applies the same rules): category validity, url syntax, id
 * syntax, size limits beyond a 1 MiB cap per record.
 */
acc_err acc_import_next(acc_import_t *self, Accord__V1__Report **out, size_t *line,
                        acc_errinfo_t *ei);

/* acc_import_offset — bytes consumed so far (for progress bars). */
size_t acc_import_offset(const acc_import_t *self);

/* acc_import_destroy — NULL-safe; nulls *@self_p. */
void acc_import_destroy(acc_import_t **self_p);

/* --- the JSON body of POST /v1/reports (acc_import_json.c) ------------------------------ */

/* A record of a body that could not be read. */
typedef struct acc_import_reject {
    size_t index;    /* position in the body's array (0 for a single object) */
    char path[160];  /* JSON path of the offending value: "$[3].url", "$.category", "$[2]" */
    char error[384]; /* lowercase English */
} acc_import_reject_t;

typedef struct acc_import_body {
    int is_array;                 /* the body was an array (paths "$[i]...") */
    size_t n_records;             /* records in the body (1 for a single object) */
    Accord__V1__Report **reports; /* the readable records, in body order (owned) */
    size_t *index;                /* reports[k] is record index[k] of the body */
    size_t n_reports;
    acc_import_reject_t *rejects; /* the unreadable ones, in body order */
    size_t n_rejects;             /* n_reports + n_rejects == n_records */
} acc_import_body_t;

/*
 * acc_import_body_parse — read @body[0..@len) (need not be NUL-terminated): a JSON object,
 * or an array of objects, with the fields of the native formats (acc_import_int.h): id,
 * url, text, category, description, source, observed_at (RFC 3339), source_record_id
 * (strings) and confidence (an integer 0..100); null means absent.
 * Unknown keys, wrong types, a bad time, a confidence out of range, or a `source` other
 * than @source make that record a reject (with its path); other records are still read.
 * Every report gets source = @source; nothing else is defaulted (intake validates ids,
 * URLs, categories and sizes, so every entry point applies the same rules).
 * @source: required. @pos: may be NULL; on ACC_ERR_DECODE/ACC_ERR_UTF8 receives the line
 * and column (1-based) where the JSON stops parsing.
 * @out: on success, owned by the caller (acc_import_body_destroy).
 * Errors: ACC_ERR_DECODE (not JSON, duplicate keys, NUL escapes: ei->field "$", msg says
 * where and why), ACC_ERR_UTF8 (invalid UTF-8), ACC_ERR_INVALID (JSON but neither an
 * object nor an array), ACC_ERR_NOMEM.
 */
acc_err acc_import_body_parse(const char *body, size_t len, const char *source,
                              acc_import_body_t **out, int pos[2], acc_errinfo_t *ei);

/* acc_import_body_destroy — NULL-safe; nulls *@self_p. */
void acc_import_body_destroy(acc_import_body_t **self_p);

/* acc_import_body_path — the JSON path of record @i of a body into @buf: "$" for a lone
 * object, "$[i]" in an array. */
void acc_import_body_path(char *buf, size_t len, int is_array, size_t i);

#endif
