/*
 * acc_import — parsers for report files and bodies: the native formats JSON Lines and
 * CSV (fields id, url, text, category, description, source, observed_at). Used by
 * `accordctl report import` (files) and later by intake's HTTP ingest (bodies), so it
 * parses from memory. Later formats (STIX, MISP, URLhaus, PhishTank, OpenPhish) plug in
 * here as further acc_import_format values.
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

/* acc_import_rfc3339, acc_import_format_rfc3339 — the old names of
 * acc_time_parse_rfc3339 and acc_time_format_rfc3339 (see acc_time.h for the contracts),
 * kept only until their last callers (intake_http.c, tests/unit/test_import.c) move. */
acc_err acc_import_rfc3339(const char *s, int64_t *out_ms);
void acc_import_format_rfc3339(int64_t ms, char *buf, size_t buflen);

#endif
