/*
 * acc_feed_lists — the readers behind acc_feed for the block-list dumps: URLhaus CSV,
 * PhishTank (CSV or JSON) and OpenPhish (one URL per line). They read a borrowed buffer
 * (never past its end, no NUL needed) and hand out one report per row; a bad row is an
 * error for that row ("line N") and the reader moves on.
 *
 * urlhaus    csv.txt from urlhaus.abuse.ch: '#' banner lines (the header is one of
 *            them), then rows of 9 quoted fields id, dateadded, url, url_status,
 *            last_online, threat, tags, urlhaus_link, reporter. An uncommented header row
 *            ("id,dateadded,...") is passed over too. source_record_id = id;
 *            observed_at = dateadded ("YYYY-MM-DD HH:MM:SS", UTC); the tags ("elf,Mozi",
 *            comma-separated inside the field) and then the threat ("malware_download")
 *            go through the tag map, in that order.
 * phishtank  online-valid.csv (header phish_id,url,phish_detail_url,submission_time,
 *            verified,verification_time,online,target) or online-valid.json (an array of
 *            objects), told apart by the first non-space byte ('[' is JSON).
 *            source_record_id = phish_id; observed_at = submission_time (ISO 8601 with
 *            offset). Entries PhishTank has not verified ("verified": "no") are reports
 *            too, with the default confidence like every other: the feed publishes them
 *            and intake's verification decides. JSON entries are named "phish_id N" (or
 *            "entry #k" when the id is unusable); unknown JSON keys are ignored because
 *            the dump carries more than a report needs (details, target).
 * openphish  one URL per line; blank lines and lines starting with '#' (after spaces)
 *            ignored, CR LF
 *            and surrounding spaces and tabs removed. The report's url is the line as
 *            given; source_record_id is its canonical form (acc_url, ACC_URL_CANONICAL),
 *            because the list has no ids of its own and the canonical URL is what makes
 *            two listings of one page the same record; a canonical URL over 256 bytes
 *            (intake's limit for record ids) is replaced by "sha256:<hex>" of it. A line
 *            that does not canonicalise is an error for that line.
 *
 * The CSV formats share one RFC 4180 row splitter (quoted fields, "" for a quote,
 * newlines inside quotes, LF or CR LF line ends). Each row is capped at S_MAX_RECORD
 * bytes; field bytes are copied into a per-reader scratch buffer.
 */
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistr.h>

#include "acc_feed_int.h"
#include "acc_text.h"
#include "acc_time.h"
#include "acc_url.h"

/* One row may not exceed this many bytes. */
#define S_MAX_RECORD ((size_t)1 << 20)
/* Fields kept per row; more are counted (for the error) but not stored. */
#define S_MAX_FIELDS 16
/* Tags considered per URLhaus row; more are ignored. */
#define S_MAX_TAGS 64
/* Longest source_record_id intake accepts (Report.source_record_id in report.proto). */
#define S_RECORD_ID_MAX 256

typedef enum { S_URLHAUS, S_PHISHTANK_CSV, S_PHISHTANK_JSON, S_OPENPHISH } s_kind;

typedef struct {
    s_kind kind;
    const acc_feed_opts_t *opts; /* the reader's copy */
    const char *data;
    size_t len;
    size_t pos;  /* next unread byte */
    size_t line; /* physical line of data[pos], 1-based */
    char *scratch;
    size_t scratch_len;
    size_t scratch_cap;
    /* phishtank json */
    json_t *root;
    size_t idx;
} s_reader;

typedef struct {
    size_t line;    /* first physical line of the row */
    size_t nfields; /* fields found, may exceed S_MAX_FIELDS */
    size_t off[S_MAX_FIELDS];
    size_t flen[S_MAX_FIELDS];
    bool too_large;
    char err[96]; /* the first syntax error, "" when none */
} s_row;

/* --- text helpers ------------------------------------------------------------------------ */

static bool
s_scratch_put(s_reader *rd, char c)
{
    if (rd->scratch_len == rd->scratch_cap) {
        size_t cap = rd->scratch_cap ? rd->scratch_cap * 2 : 1024;
        char *p = realloc(rd->scratch, cap);
        if (!p)
            return false;
        rd->scratch = p;
        rd->scratch_cap = cap;
    }
    rd->scratch[rd->scratch_len++] = c;
    return true;
}

/* s_eol — length of the line end at @pos: "\n", "\r\n", or a "\r" that ends the data;
 * 0 when there is none. A "\r" elsewhere is data. */
static size_t
s_eol(const s_reader *rd, size_t pos)
{
    if (pos >= rd->len)
        return 0;
    if (rd->data[pos] == '\n')
        return 1;
    if (rd->data[pos] == '\r' && (pos + 1 == rd->len || rd->data[pos + 1] == '\n'))
        return pos + 1 == rd->len ? 1 : 2;
    return 0;
}

/* s_line_end — index of the end of the line starting at @pos (before its line end). */
static size_t
s_line_end(const s_reader *rd, size_t pos)
{
    const char *nl = memchr(rd->data + pos, '\n', rd->len - pos);
    size_t end = nl ? (size_t)(nl - rd->data) : rd->len;
    if (end > pos && rd->data[end - 1] == '\r')
        end--;
    return end;
}

/* s_next_line — move past the line at rd->pos whose content ends at @end. */
static void
s_next_line(s_reader *rd, size_t end)
{
    rd->pos = end;
    size_t eol = s_eol(rd, end);
    if (eol) {
        rd->pos += eol;
        rd->line++;
    } else if (rd->pos < rd->len) {
        /* a "\r" kept as data by s_line_end cannot happen; be safe and finish */
        rd->pos = rd->len;
    }
}

static bool
s_is_space(char c)
{
    return c == ' ' || c == '\t';
}

/* s_skip_noise — move past blank lines (spaces and tabs only) and, when @comments, lines
 * whose first byte after spaces and tabs is '#'. False at the end of the data. */
static bool
s_skip_noise(s_reader *rd, bool comments)
{
    while (rd->pos < rd->len) {
        size_t end = s_line_end(rd, rd->pos);
        size_t p = rd->pos;
        while (p < end && s_is_space(rd->data[p]))
            p++;
        bool comment = comments && p < end && rd->data[p] == '#';
        if (p < end && !comment)
            return true;
        s_next_line(rd, end);
    }
    return false;
}

/* s_printable — @s[0..@n) for a message: control and non-ASCII bytes as '?', cut. */
static void
s_printable(const char *s, size_t n, char *out, size_t outlen)
{
    size_t k = 0;
    for (size_t i = 0; i < n && k + 1 < outlen && k < 48; i++) {
        unsigned char c = (unsigned char)s[i];
        out[k++] = (c >= 0x20 && c < 0x7F) ? (char)c : '?';
    }
    out[k] = '\0';
}

/* s_text_ok — no NUL and valid UTF-8, else an error naming @name at @where. */
static acc_err
s_text_ok(const char *s, size_t n, const char *name, const char *where, acc_errinfo_t *ei)
{
    if (memchr(s, '\0', n)) {
        acc_errinfo_set(ei, where, "'%s' contains a nul byte", name);
        return ACC_ERR_INVALID;
    }
    if (u8_check((const uint8_t *)s, n)) {
        acc_errinfo_set(ei, where, "'%s' is not valid utf-8", name);
        return ACC_ERR_UTF8;
    }
    return ACC_OK;
}

/* --- the RFC 4180 row splitter ------------------------------------------------------------ */

static void
s_row_error(s_row *row, const char *what, size_t col)
{
    if (!row->err[0])
        snprintf(row->err, sizeof row->err, "%s in column %zu", what, col);
}

/* s_put — store @c for the field being read, unless it is not kept or the row is over
 * the cap (then the row is only read to its end). */
static bool
s_put(s_reader *rd, s_row *row, bool keep, size_t start, char c)
{
    if (rd->pos - start >= S_MAX_RECORD)
        row->too_large = true;
    if (!keep || row->too_large)
        return true;
    return s_scratch_put(rd, c);
}

/* s_csv_row — read one row at rd->pos into @row and move past it, whatever is wrong with
 * it: a syntax error is noted in @row and reading goes on to the row's end, so the next
 * row starts where the writer meant. Returns ACC_ERR_NOMEM only. */
static acc_err
s_csv_row(s_reader *rd, s_row *row)
{
    const char *d = rd->data;
    size_t start = rd->pos;
    memset(row, 0, sizeof *row);
    row->line = rd->line;
    rd->scratch_len = 0;
    for (;;) {
        size_t col = row->nfields + 1;
        bool keep = row->nfields < S_MAX_FIELDS;
        size_t off = rd->scratch_len;
        if (rd->pos < rd->len && d[rd->pos] == '"') {
            rd->pos++;
            for (;;) {
                if (rd->pos >= rd->len) {
                    s_row_error(row, "unterminated quoted field", col);
                    break;
                }
                char c = d[rd->pos];
                if (c == '"' && rd->pos + 1 < rd->len && d[rd->pos + 1] == '"') {
                    if (!s_put(rd, row, keep, start, '"'))
                        return ACC_ERR_NOMEM;
                    rd->pos += 2;
                    continue;
                }
                if (c == '"') {
                    rd->pos++;
                    break;
                }
                if (c == '\n')
                    rd->line++;
                if (!s_put(rd, row, keep, start, c))
                    return ACC_ERR_NOMEM;
                rd->pos++;
            }
            if (rd->pos < rd->len && d[rd->pos] != ',' && !s_eol(rd, rd->pos))
                s_row_error(row, "unexpected character after closing quote", col);
        }
        /* an unquoted field, or junk after a closing quote (already an error) */
        while (rd->pos < rd->len && d[rd->pos] != ',' && !s_eol(rd, rd->pos)) {
            if (d[rd->pos] == '"')
                s_row_error(row, "quote inside unquoted field", col);
            if (!s_put(rd, row, keep, start, d[rd->pos]))
                return ACC_ERR_NOMEM;
            rd->pos++;
        }
        if (keep) {
            if (!row->too_large && !s_scratch_put(rd, '\0'))
                return ACC_ERR_NOMEM;
            row->off[row->nfields] = row->too_large ? 0 : off;
            row->flen[row->nfields] = row->too_large ? 0 : rd->scratch_len - off - 1;
        }
        row->nfields++;
        if (rd->pos < rd->len && d[rd->pos] == ',') {
            rd->pos++;
            continue;
        }
        size_t eol = s_eol(rd, rd->pos);
        if (eol) {
            rd->pos += eol;
            rd->line++;
        }
        return ACC_OK;
    }
}

/* s_field — field @i of the current row (NUL-terminated in scratch). */
static const char *
s_field(const s_reader *rd, const s_row *row, size_t i)
{
    return row->too_large ? "" : rd->scratch + row->off[i];
}

/* s_row_check — the row's syntax, size, column count and text, as errors at @where. */
static acc_err
s_row_check(const s_reader *rd, const s_row *row, size_t ncols, const char *const *names,
            const char *where, acc_errinfo_t *ei)
{
    if (row->too_large) {
        acc_errinfo_set(ei, where, "record is over the limit of %zu bytes", S_MAX_RECORD);
        return ACC_ERR_TOO_LARGE;
    }
    if (row->err[0]) {
        acc_errinfo_set(ei, where, "%s", row->err);
        return ACC_ERR_INVALID;
    }
    if (row->nfields != ncols) {
        acc_errinfo_set(ei, where, "expected %zu columns, found %zu", ncols, row->nfields);
        return ACC_ERR_INVALID;
    }
    for (size_t i = 0; i < ncols; i++) {
        acc_err rc = s_text_ok(s_field(rd, row, i), row->flen[i], names[i], where, ei);
        if (rc != ACC_OK)
            return rc;
    }
    return ACC_OK;
}

/* s_row_is — the row's fields are @names, ignoring case and surrounding spaces. */
static bool
s_row_is(const s_reader *rd, const s_row *row, size_t ncols, const char *const *names)
{
    if (row->too_large || row->err[0] || row->nfields != ncols)
        return false;
    for (size_t i = 0; i < ncols; i++) {
        const char *f = s_field(rd, row, i);
        size_t n = row->flen[i];
        while (n > 0 && s_is_space(*f)) {
            f++;
            n--;
        }
        while (n > 0 && s_is_space(f[n - 1]))
            n--;
        if (strlen(names[i]) != n || strncasecmp(f, names[i], n) != 0)
            return false;
    }
    return true;
}

/* --- shared report helpers ------------------------------------------------------------------ */

static acc_err
s_required(const char *v, const char *name, const char *where, acc_errinfo_t *ei)
{
    if (v[0])
        return ACC_OK;
    acc_errinfo_set(ei, where, "'%s' is empty", name);
    return ACC_ERR_INVALID;
}

/* s_report — the report, or ACC_ERR_NOMEM. */
static acc_err
s_report(const s_reader *rd, const char *url, const char *id, int64_t ms, const char *const *tags,
         size_t n_tags, Accord__V1__Report **out)
{
    Accord__V1__Report *r = acc_feed_report_new(rd->opts, url, id, ms, tags, n_tags);
    if (!r)
        return ACC_ERR_NOMEM;
    *out = r;
    return ACC_OK;
}

/* --- URLhaus -------------------------------------------------------------------------------- */

enum {
    S_UH_ID,
    S_UH_DATEADDED,
    S_UH_URL,
    S_UH_STATUS,
    S_UH_LAST_ONLINE,
    S_UH_THREAT,
    S_UH_TAGS,
    S_UH_LINK,
    S_UH_REPORTER,
    S_UH__COUNT
};

static const char *const s_urlhaus_cols[S_UH__COUNT] = {"id",         "dateadded",    "url",
                                                        "url_status", "last_online",  "threat",
                                                        "tags",       "urlhaus_link", "reporter"};

/* s_urlhaus_time — "YYYY-MM-DD HH:MM:SS", UTC by URLhaus's own statement in the banner. */
static bool
s_urlhaus_time(const char *s, size_t n, int64_t *ms)
{
    char buf[24];
    if (n != 19)
        return false;
    memcpy(buf, s, 19);
    memcpy(buf + 19, "Z", 2);
    return acc_time_parse_rfc3339(buf, ms) == ACC_OK;
}

/* s_split_tags — split the (scratch, writable) @s at commas into trimmed, non-empty tags. */
static void
s_split_tags(char *s, const char **tags, size_t *n)
{
    while (*s) {
        char *comma = strchr(s, ',');
        char *next = comma ? comma + 1 : s + strlen(s);
        if (comma)
            *comma = '\0';
        while (s_is_space(*s))
            s++;
        size_t len = strlen(s);
        while (len > 0 && s_is_space(s[len - 1]))
            s[--len] = '\0';
        if (len > 0 && *n < S_MAX_TAGS)
            tags[(*n)++] = s;
        s = next;
    }
}

static acc_err
s_urlhaus_next(void *state, acc_feed_t *feed, Accord__V1__Report **out, char *where,
               size_t where_len, acc_errinfo_t *ei)
{
    (void)feed;
    s_reader *rd = state;
    for (;;) {
        if (!s_skip_noise(rd, true))
            return ACC_ERR_NOT_FOUND;
        s_row row;
        acc_err rc = s_csv_row(rd, &row);
        if (rc != ACC_OK)
            return rc;
        snprintf(where, where_len, "line %zu", row.line);
        if (s_row_is(rd, &row, S_UH__COUNT, s_urlhaus_cols))
            continue; /* an uncommented header */
        rc = s_row_check(rd, &row, S_UH__COUNT, s_urlhaus_cols, where, ei);
        if (rc != ACC_OK)
            return rc;
        const char *id = s_field(rd, &row, S_UH_ID), *url = s_field(rd, &row, S_UH_URL);
        if ((rc = s_required(id, "id", where, ei)) != ACC_OK ||
            (rc = s_required(url, "url", where, ei)) != ACC_OK)
            return rc;
        int64_t ms = 0;
        size_t dlen = row.flen[S_UH_DATEADDED];
        if (dlen > 0 && !s_urlhaus_time(s_field(rd, &row, S_UH_DATEADDED), dlen, &ms)) {
            acc_errinfo_set(ei, where, "'dateadded' is not a time (YYYY-MM-DD HH:MM:SS)");
            return ACC_ERR_INVALID;
        }
        const char *tags[S_MAX_TAGS];
        size_t n_tags = 0;
        s_split_tags(rd->scratch + row.off[S_UH_TAGS], tags, &n_tags);
        const char *threat = s_field(rd, &row, S_UH_THREAT);
        if (threat[0] && n_tags < S_MAX_TAGS)
            tags[n_tags++] = threat;
        return s_report(rd, url, id, ms, tags, n_tags, out);
    }
}

/* --- PhishTank ---------------------------------------------------------------------------- */

enum {
    S_PT_ID,
    S_PT_URL,
    S_PT_DETAIL,
    S_PT_SUBMITTED,
    S_PT_VERIFIED,
    S_PT_VERIFIED_AT,
    S_PT_ONLINE,
    S_PT_TARGET,
    S_PT__COUNT
};

static const char *const s_phishtank_cols[S_PT__COUNT] = {
    "phish_id", "url",   "phish_detail_url", "submission_time", "verified", "verification_time",
    "online",   "target"};

static acc_err
s_phishtank_header(s_reader *rd, acc_errinfo_t *ei)
{
    if (!s_skip_noise(rd, false)) {
        acc_errinfo_set(ei, "line 1", "missing phishtank csv header");
        return ACC_ERR_INVALID;
    }
    s_row row;
    acc_err rc = s_csv_row(rd, &row);
    if (rc != ACC_OK)
        return rc;
    if (!s_row_is(rd, &row, S_PT__COUNT, s_phishtank_cols)) {
        char where[32];
        snprintf(where, sizeof where, "line %zu", row.line);
        acc_errinfo_set(ei, where,
                        "expected the phishtank csv header 'phish_id,url,phish_detail_url,"
                        "submission_time,verified,verification_time,online,target'");
        return ACC_ERR_INVALID;
    }
    return ACC_OK;
}

static acc_err
s_phishtank_time(const char *s, const char *where, int64_t *ms, acc_errinfo_t *ei)
{
    *ms = 0;
    if (!s || !s[0])
        return ACC_OK;
    if (acc_time_parse_rfc3339(s, ms) == ACC_OK)
        return ACC_OK;
    acc_errinfo_set(ei, where, "'submission_time' is not an ISO 8601 time");
    return ACC_ERR_INVALID;
}

static acc_err
s_phishtank_csv_next(void *state, acc_feed_t *feed, Accord__V1__Report **out, char *where,
                     size_t where_len, acc_errinfo_t *ei)
{
    (void)feed;
    s_reader *rd = state;
    if (!s_skip_noise(rd, false))
        return ACC_ERR_NOT_FOUND;
    s_row row;
    acc_err rc = s_csv_row(rd, &row);
    if (rc != ACC_OK)
        return rc;
    snprintf(where, where_len, "line %zu", row.line);
    rc = s_row_check(rd, &row, S_PT__COUNT, s_phishtank_cols, where, ei);
    if (rc != ACC_OK)
        return rc;
    const char *id = s_field(rd, &row, S_PT_ID), *url = s_field(rd, &row, S_PT_URL);
    if ((rc = s_required(id, "phish_id", where, ei)) != ACC_OK ||
        (rc = s_required(url, "url", where, ei)) != ACC_OK)
        return rc;
    int64_t ms;
    rc = s_phishtank_time(s_field(rd, &row, S_PT_SUBMITTED), where, &ms, ei);
    if (rc != ACC_OK)
        return rc;
    return s_report(rd, url, id, ms, NULL, 0, out);
}

/* s_phishtank_id — phish_id as text: a non-negative integer or a non-empty string. */
static bool
s_phishtank_id(json_t *v, char *buf, size_t buflen, const char **id)
{
    if (json_is_integer(v) && json_integer_value(v) >= 0) {
        snprintf(buf, buflen, "%lld", (long long)json_integer_value(v));
        *id = buf;
        return true;
    }
    if (json_is_string(v) && json_string_length(v) > 0) {
        *id = json_string_value(v);
        return true;
    }
    return false;
}

static acc_err
s_phishtank_json_next(void *state, acc_feed_t *feed, Accord__V1__Report **out, char *where,
                      size_t where_len, acc_errinfo_t *ei)
{
    (void)feed;
    s_reader *rd = state;
    if (rd->idx >= json_array_size(rd->root))
        return ACC_ERR_NOT_FOUND;
    size_t k = rd->idx++;
    json_t *e = json_array_get(rd->root, k);
    snprintf(where, where_len, "entry #%zu", k + 1);
    if (!json_is_object(e)) {
        acc_errinfo_set(ei, where, "entry is not a json object");
        return ACC_ERR_INVALID;
    }
    char idbuf[32];
    const char *id = NULL;
    if (!s_phishtank_id(json_object_get(e, "phish_id"), idbuf, sizeof idbuf, &id)) {
        acc_errinfo_set(ei, where, "'phish_id' must be a number or a non-empty string");
        return ACC_ERR_INVALID;
    }
    char shown[64];
    s_printable(id, strlen(id), shown, sizeof shown);
    snprintf(where, where_len, "phish_id %s", shown);
    json_t *url = json_object_get(e, "url");
    if (!json_is_string(url) || json_string_length(url) == 0) {
        acc_errinfo_set(ei, where, "'url' must be a non-empty string");
        return ACC_ERR_INVALID;
    }
    json_t *t = json_object_get(e, "submission_time");
    if (t && !json_is_null(t) && !json_is_string(t)) {
        acc_errinfo_set(ei, where, "'submission_time' must be a string");
        return ACC_ERR_INVALID;
    }
    int64_t ms;
    acc_err rc = s_phishtank_time(json_string_value(t), where, &ms, ei);
    if (rc != ACC_OK)
        return rc;
    return s_report(rd, json_string_value(url), id, ms, NULL, 0, out);
}

/* --- OpenPhish ----------------------------------------------------------------------------- */

/* s_openphish_id — the record id for canonical URL @canon: itself, or when it is longer
 * than a record id may be (intake refuses more than S_RECORD_ID_MAX bytes, and phishing
 * URLs with long query strings are common) "sha256:" and the hex SHA-256 of it, which is
 * just as stable. */
static void
s_openphish_id(const char *canon, char id[S_RECORD_ID_MAX + 1])
{
    size_t n = strlen(canon);
    if (n <= S_RECORD_ID_MAX) {
        memcpy(id, canon, n + 1);
        return;
    }
    unsigned char h[32];
    acc_text_sha256(canon, n, h);
    static const char hex[] = "0123456789abcdef";
    memcpy(id, ACC_TEXT_KEY_PREFIX, sizeof ACC_TEXT_KEY_PREFIX - 1);
    char *p = id + sizeof ACC_TEXT_KEY_PREFIX - 1;
    for (size_t i = 0; i < sizeof h; i++) {
        *p++ = hex[h[i] >> 4];
        *p++ = hex[h[i] & 0xF];
    }
    *p = '\0';
}

static acc_err
s_openphish_next(void *state, acc_feed_t *feed, Accord__V1__Report **out, char *where,
                 size_t where_len, acc_errinfo_t *ei)
{
    (void)feed;
    s_reader *rd = state;
    if (!s_skip_noise(rd, true))
        return ACC_ERR_NOT_FOUND;
    size_t end = s_line_end(rd, rd->pos), b = rd->pos;
    snprintf(where, where_len, "line %zu", rd->line);
    s_next_line(rd, end);
    while (b < end && s_is_space(rd->data[b]))
        b++;
    while (end > b && s_is_space(rd->data[end - 1]))
        end--;
    const char *s = rd->data + b;
    size_t n = end - b;
    if (n > ACC_URL_MAX) {
        acc_errinfo_set(ei, where, "url is %zu bytes, over the limit of %d", n, ACC_URL_MAX);
        return ACC_ERR_TOO_LARGE;
    }
    acc_err rc = s_text_ok(s, n, "url", where, ei);
    if (rc != ACC_OK)
        return rc;
    acc_errinfo_t uei;
    acc_errinfo_clear(&uei);
    char *canon = NULL, *url = NULL;
    rc = acc_url_canonicalize(s, n, ACC_URL_CANONICAL, &canon, &uei);
    if (rc != ACC_OK) {
        if (rc != ACC_ERR_NOMEM)
            acc_errinfo_set(ei, where, "%s", uei.msg[0] ? uei.msg : "url is not valid");
        return rc;
    }
    char id[S_RECORD_ID_MAX + 1];
    s_openphish_id(canon, id);
    url = strndup(s, n);
    rc = url ? s_report(rd, url, id, 0, NULL, 0, out) : ACC_ERR_NOMEM;
    free(url);
    free(canon);
    return rc;
}

/* --- the readers --------------------------------------------------------------------------- */

static size_t
s_offset(const void *state)
{
    const s_reader *rd = state;
    if (rd->kind != S_PHISHTANK_JSON)
        return rd->pos;
    /* parsed at open: progress is the share of entries handed out */
    size_t n = json_array_size(rd->root);
    if (rd->idx >= n)
        return rd->len;
    return (size_t)((double)rd->len * (double)rd->idx / (double)n);
}

static void
s_destroy(void *state)
{
    s_reader *rd = state;
    if (!rd)
        return;
    json_decref(rd->root);
    free(rd->scratch);
    free(rd);
}

static const acc_feed_parser_t s_urlhaus_ops = {s_urlhaus_next, s_offset, s_destroy};
static const acc_feed_parser_t s_phishtank_csv_ops = {s_phishtank_csv_next, s_offset, s_destroy};
static const acc_feed_parser_t s_phishtank_json_ops = {s_phishtank_json_next, s_offset, s_destroy};
static const acc_feed_parser_t s_openphish_ops = {s_openphish_next, s_offset, s_destroy};

static s_reader *
s_reader_new(s_kind kind, const char *data, size_t len, const acc_feed_opts_t *opts)
{
    s_reader *rd = calloc(1, sizeof *rd);
    if (!rd)
        return NULL;
    rd->kind = kind;
    rd->opts = opts;
    rd->data = data;
    rd->len = len;
    rd->line = 1;
    /* files saved by editors on Windows often start with a UTF-8 byte order mark */
    if (len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0)
        rd->pos = 3;
    return rd;
}

acc_err
acc_feed_urlhaus_open(const char *data, size_t len, const acc_feed_opts_t *opts, void **state,
                      const acc_feed_parser_t **ops, acc_errinfo_t *ei)
{
    (void)ei;
    s_reader *rd = s_reader_new(S_URLHAUS, data, len, opts);
    if (!rd)
        return ACC_ERR_NOMEM;
    *state = rd;
    *ops = &s_urlhaus_ops;
    return ACC_OK;
}

static acc_err
s_phishtank_json_open(s_reader *rd, acc_errinfo_t *ei)
{
    acc_err rc = acc_feed_json_load(rd->data + rd->pos, rd->len - rd->pos, 0, &rd->root, ei);
    if (rc != ACC_OK)
        return rc;
    if (!json_is_array(rd->root)) {
        acc_errinfo_set(ei, "document", "expected a json array of phishtank entries");
        return ACC_ERR_INVALID;
    }
    return ACC_OK;
}

acc_err
acc_feed_phishtank_open(const char *data, size_t len, const acc_feed_opts_t *opts, void **state,
                        const acc_feed_parser_t **ops, acc_errinfo_t *ei)
{
    acc_err rc = ACC_ERR_NOMEM;
    s_reader *rd = s_reader_new(S_PHISHTANK_CSV, data, len, opts);
    if (!rd)
        goto out;
    size_t p = rd->pos;
    while (p < len && (data[p] == ' ' || data[p] == '\t' || data[p] == '\r' || data[p] == '\n'))
        p++;
    if (p < len && data[p] == '[') {
        rd->kind = S_PHISHTANK_JSON;
        rc = s_phishtank_json_open(rd, ei);
    } else {
        rc = s_phishtank_header(rd, ei);
    }
    if (rc != ACC_OK)
        goto out;
    *state = rd;
    *ops = rd->kind == S_PHISHTANK_JSON ? &s_phishtank_json_ops : &s_phishtank_csv_ops;
    rd = NULL;
out:
    s_destroy(rd);
    return rc;
}

acc_err
acc_feed_openphish_open(const char *data, size_t len, const acc_feed_opts_t *opts, void **state,
                        const acc_feed_parser_t **ops, acc_errinfo_t *ei)
{
    (void)ei;
    s_reader *rd = s_reader_new(S_OPENPHISH, data, len, opts);
    if (!rd)
        return ACC_ERR_NOMEM;
    *state = rd;
    *ops = &s_openphish_ops;
    return ACC_OK;
}
