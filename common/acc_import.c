/*
 * acc_import — readers for report files and bodies in the native formats (JSON Lines,
 * CSV). They sit between raw bytes (a file read by accordctl, an HTTP body at intake) and
 * Accord__V1__Report messages that intake then validates. One bad record never stops a
 * reader: it reports the record's line and moves past it.
 *
 * Both readers work on a borrowed buffer and never read past @len, so a body need not be
 * NUL-terminated. Field bytes are copied into a per-reader scratch buffer (CSV) or come
 * out of jansson (JSON), and each record is capped at ACC_IMPORT_MAX_RECORD bytes.
 */
#include "acc_import.h"
#include "acc_import_int.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "acc_text.h"
#include "acc_time.h"

/* One record (a JSON line, a CSV row) may not exceed this many bytes. */
#define ACC_IMPORT_MAX_RECORD ((size_t)1 << 20)
/* Columns kept per CSV row: there are only ACC_IMPORT_F__COUNT known names, so a header
 * with more columns than this must contain an unknown or a duplicate one among the first
 * ones. */
#define S_MAX_COLS 16

typedef acc_import_field s_field; /* the file's short name for it */

/* The one field table of the native formats: JSON Lines keys, CSV columns and the JSON
 * body of POST /v1/reports (acc_import_json.c) all name fields from it. */
const char *const acc_import_field_names[ACC_IMPORT_F__COUNT] = {
    [ACC_IMPORT_F_ID] = "id",
    [ACC_IMPORT_F_URL] = "url",
    [ACC_IMPORT_F_TEXT] = "text",
    [ACC_IMPORT_F_CATEGORY] = "category",
    [ACC_IMPORT_F_DESCRIPTION] = "description",
    [ACC_IMPORT_F_SOURCE] = "source",
    [ACC_IMPORT_F_OBSERVED_AT] = "observed_at",
    [ACC_IMPORT_F_SOURCE_RECORD_ID] = "source_record_id",
    [ACC_IMPORT_F_CONFIDENCE] = "confidence",
};

acc_import_field
acc_import_field_find(const char *name, size_t len, int nocase)
{
    int f = 0;
    while (f < ACC_IMPORT_F__COUNT &&
           !(strlen(acc_import_field_names[f]) == len &&
             (nocase ? strncasecmp(acc_import_field_names[f], name, len)
                     : memcmp(acc_import_field_names[f], name, len)) == 0))
        f++;
    return (acc_import_field)f;
}

typedef struct {
    size_t off; /* into scratch */
    size_t len;
} s_span;

struct acc_import {
    acc_import_format fmt;
    const char *data;
    size_t len;
    size_t pos;         /* next unread byte */
    size_t line;        /* physical line number of data[pos], 1-based */
    char *def_category; /* NULL when no default */
    char *def_source;
    /* CSV only */
    size_t ncols;
    s_field cols[S_MAX_COLS];
    char *scratch; /* field bytes of the current row, each NUL-terminated */
    size_t scratch_len;
    size_t scratch_cap;
};

/* --- small helpers --------------------------------------------------------------------- */

/* s_printable — copy @s[0..@len) into @out for an error message: names come from hostile
 * input, so control and non-ASCII bytes become '?' (no terminal escapes in logs) and long
 * names are cut. */
static void
s_printable(const char *s, size_t len, char *out, size_t outlen)
{
    size_t max = outlen - 1, n = 0;
    bool cut = false;
    if (len > 48) {
        len = 48;
        cut = true;
    }
    for (size_t i = 0; i < len && n < max; i++) {
        unsigned char c = (unsigned char)s[i];
        out[n++] = (c >= 0x20 && c < 0x7F) ? (char)c : '?';
    }
    if (cut)
        for (int k = 0; k < 3 && n < max; k++)
            out[n++] = '.';
    out[n] = '\0';
}

static char *
s_strndup(const char *s, size_t len)
{
    char *p = malloc(len + 1);
    if (!p)
        return NULL;
    memcpy(p, s, len);
    p[len] = '\0';
    return p;
}

static bool
s_is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* --- formats ------------------------------------------------------------------------- */

acc_import_format
acc_import_format_parse(const char *name)
{
    if (!name)
        return ACC_IMPORT_UNKNOWN;
    if (strcasecmp(name, "jsonl") == 0)
        return ACC_IMPORT_JSONL;
    if (strcasecmp(name, "csv") == 0)
        return ACC_IMPORT_CSV;
    return ACC_IMPORT_UNKNOWN;
}

acc_import_format
acc_import_format_from_path(const char *path)
{
    if (!path)
        return ACC_IMPORT_UNKNOWN;
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    const char *dot = strrchr(base, '.');
    /* ".csv" alone is a hidden file's name, not an extension */
    if (!dot || dot == base)
        return ACC_IMPORT_UNKNOWN;
    const char *ext = dot + 1;
    if (strcasecmp(ext, "jsonl") == 0 || strcasecmp(ext, "ndjson") == 0 ||
        strcasecmp(ext, "json") == 0)
        return ACC_IMPORT_JSONL;
    if (strcasecmp(ext, "csv") == 0)
        return ACC_IMPORT_CSV;
    return ACC_IMPORT_UNKNOWN;
}

/* --- building a report ---------------------------------------------------------------- */

char **
acc_import_field_slot(Accord__V1__Report *r, acc_import_field f)
{
    switch (f) {
    case ACC_IMPORT_F_ID:
        return &r->id;
    case ACC_IMPORT_F_URL:
        return &r->url;
    case ACC_IMPORT_F_TEXT:
        return &r->text;
    case ACC_IMPORT_F_CATEGORY:
        return &r->category;
    case ACC_IMPORT_F_DESCRIPTION:
        return &r->description;
    case ACC_IMPORT_F_SOURCE:
        return &r->source;
    case ACC_IMPORT_F_SOURCE_RECORD_ID:
        return &r->source_record_id;
    case ACC_IMPORT_F_OBSERVED_AT:
    case ACC_IMPORT_F_CONFIDENCE:
    case ACC_IMPORT_F__COUNT:
        break;
    }
    return NULL;
}

static void
s_field_err(acc_errinfo_t *ei, size_t line, s_field f, const char *what)
{
    char field[64];
    snprintf(field, sizeof field, "line %zu: %s", line, acc_import_field_names[f]);
    acc_errinfo_set(ei, field, "'%s' %s", acc_import_field_names[f], what);
}

/* s_set_text — set field @f of @r from the text @v[0..@len) (NUL-terminated at @len), as
 * found in a CSV cell or a JSON string. Empty text means absent. */
static acc_err
s_set_text(Accord__V1__Report *r, s_field f, const char *v, size_t len, size_t line,
           acc_errinfo_t *ei)
{
    if (len == 0)
        return ACC_OK;
    if (memchr(v, '\0', len)) {
        s_field_err(ei, line, f, "contains a nul byte");
        return ACC_ERR_INVALID;
    }
    if (!acc_text_utf8_valid(v, len)) {
        s_field_err(ei, line, f, "is not valid utf-8");
        return ACC_ERR_UTF8;
    }
    if (f == ACC_IMPORT_F_OBSERVED_AT) {
        int64_t ms;
        if (acc_time_parse_rfc3339(v, &ms) != ACC_OK) {
            s_field_err(ei, line, f, "is not an RFC 3339 timestamp");
            return ACC_ERR_INVALID;
        }
        r->observed_at_ms = ms;
        return ACC_OK;
    }
    if (f == ACC_IMPORT_F_CONFIDENCE) {
        /* at most 3 digits, so no overflow while reading */
        int c = 0;
        bool ok = len <= 3;
        for (size_t i = 0; ok && i < len; i++) {
            ok = s_is_digit(v[i]);
            c = c * 10 + (v[i] - '0');
        }
        if (!ok || c > 100) {
            s_field_err(ei, line, f, "must be an integer from 0 to 100");
            return ACC_ERR_INVALID;
        }
        r->confidence = (uint32_t)c;
        return ACC_OK;
    }
    char **slot = acc_import_field_slot(r, f);
    char *copy = s_strndup(v, len);
    if (!copy)
        return ACC_ERR_NOMEM;
    if (*slot != protobuf_c_empty_string)
        free(*slot); /* defensive: duplicate keys and columns are rejected earlier */
    *slot = copy;
    return ACC_OK;
}

/* s_apply_defaults — fill category and source the record left empty. */
static acc_err
s_apply_defaults(const acc_import_t *self, Accord__V1__Report *r)
{
    if (self->def_category && r->category[0] == '\0') {
        char *c = strdup(self->def_category);
        if (!c)
            return ACC_ERR_NOMEM;
        r->category = c;
    }
    if (self->def_source && r->source[0] == '\0') {
        char *c = strdup(self->def_source);
        if (!c)
            return ACC_ERR_NOMEM;
        r->source = c;
    }
    return ACC_OK;
}

static Accord__V1__Report *
s_report_new(void)
{
    Accord__V1__Report *r = malloc(sizeof *r);
    if (r)
        accord__v1__report__init(r);
    return r;
}

static void
s_report_free(Accord__V1__Report *r)
{
    if (r)
        accord__v1__report__free_unpacked(r, NULL);
}

/* --- JSON Lines ---------------------------------------------------------------------- */

static bool
s_is_blank(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
            return false;
    return true;
}

static acc_err
s_json_field(Accord__V1__Report *r, s_field f, json_t *v, size_t line, acc_errinfo_t *ei)
{
    /* JSON writers commonly emit null for a missing value: treat it as absent. */
    if (json_is_null(v))
        return ACC_OK;
    if (f == ACC_IMPORT_F_CONFIDENCE) {
        if (!json_is_integer(v)) {
            s_field_err(ei, line, f, "must be an integer");
            return ACC_ERR_INVALID;
        }
        json_int_t c = json_integer_value(v);
        if (c < 0 || c > 100) {
            s_field_err(ei, line, f, "must be an integer from 0 to 100");
            return ACC_ERR_INVALID;
        }
        r->confidence = (uint32_t)c;
        return ACC_OK;
    }
    if (!json_is_string(v)) {
        s_field_err(ei, line, f, "must be a string");
        return ACC_ERR_INVALID;
    }
    return s_set_text(r, f, json_string_value(v), json_string_length(v), line, ei);
}

/* s_jsonl_record — parse one non-blank line @s[0..@len) into a new report. */
static acc_err
s_jsonl_record(const acc_import_t *self, const char *s, size_t len, size_t line,
               Accord__V1__Report **out, acc_errinfo_t *ei)
{
    char where[32];
    snprintf(where, sizeof where, "line %zu", line);
    json_error_t jerr;
    /* No JSON_DISABLE_EOF_CHECK: anything after the object on its line is an error.
     * No JSON_ALLOW_NUL: "\u0000" would cut the string short in a C string. */
    json_t *obj = json_loadb(s, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!obj) {
        enum json_error_code code = json_error_code(&jerr);
        if (code == json_error_out_of_memory)
            return ACC_ERR_NOMEM;
        char text[sizeof jerr.text];
        s_printable(jerr.text, strnlen(jerr.text, sizeof jerr.text), text, sizeof text);
        acc_errinfo_set(ei, where, "invalid json at column %d: %s", jerr.column, text);
        return code == json_error_invalid_utf8 ? ACC_ERR_UTF8 : ACC_ERR_INVALID;
    }
    acc_err rc = ACC_OK;
    Accord__V1__Report *r = NULL;
    const char *key;
    size_t keylen;
    json_t *value;
    if (!json_is_object(obj)) {
        acc_errinfo_set(ei, where, "expected a json object");
        rc = ACC_ERR_INVALID;
        goto out;
    }
    r = s_report_new();
    if (!r) {
        rc = ACC_ERR_NOMEM;
        goto out;
    }
    json_object_keylen_foreach(obj, key, keylen, value)
    {
        s_field f = acc_import_field_find(key, keylen, 0);
        if (f == ACC_IMPORT_F__COUNT) {
            char name[64], field[128];
            s_printable(key, keylen, name, sizeof name);
            snprintf(field, sizeof field, "%s: %s", where, name);
            acc_errinfo_set(ei, field, "unknown key '%s'", name);
            rc = ACC_ERR_INVALID;
            goto out;
        }
        rc = s_json_field(r, f, value, line, ei);
        if (rc != ACC_OK)
            goto out;
    }
    rc = s_apply_defaults(self, r);
    if (rc != ACC_OK)
        goto out;
    *out = r;
    r = NULL;
out:
    s_report_free(r);
    json_decref(obj);
    return rc;
}

static acc_err
s_jsonl_next(acc_import_t *self, Accord__V1__Report **out, size_t *line_out, acc_errinfo_t *ei)
{
    for (;;) {
        if (self->pos >= self->len)
            return ACC_ERR_NOT_FOUND;
        const char *start = self->data + self->pos;
        size_t avail = self->len - self->pos;
        const char *nl = memchr(start, '\n', avail);
        size_t len = nl ? (size_t)(nl - start) : avail;
        size_t line = self->line;
        self->pos += nl ? len + 1 : len;
        self->line++;
        if (len > 0 && start[len - 1] == '\r')
            len--;
        if (len > ACC_IMPORT_MAX_RECORD) {
            char where[32];
            snprintf(where, sizeof where, "line %zu", line);
            acc_errinfo_set(ei, where, "record is %zu bytes, over the limit of %zu", len,
                            ACC_IMPORT_MAX_RECORD);
            *line_out = line;
            return ACC_ERR_TOO_LARGE;
        }
        if (s_is_blank(start, len))
            continue;
        *line_out = line;
        return s_jsonl_record(self, start, len, line, out, ei);
    }
}

/* --- CSV ----------------------------------------------------------------------------- */

typedef struct {
    size_t line;    /* first physical line of the row */
    size_t nfields; /* fields found (may exceed S_MAX_COLS) */
    s_span f[S_MAX_COLS];
    bool too_large;
    acc_err err; /* first syntax error, ACC_OK if none */
    char msg[96];
} s_row;

static bool
s_scratch_put(acc_import_t *self, char c)
{
    if (self->scratch_len == self->scratch_cap) {
        size_t cap = self->scratch_cap ? self->scratch_cap * 2 : 4096;
        char *p = realloc(self->scratch, cap);
        if (!p)
            return false;
        self->scratch = p;
        self->scratch_cap = cap;
    }
    self->scratch[self->scratch_len++] = c;
    return true;
}

static void
s_row_error(s_row *row, const char *what, size_t col)
{
    if (row->err != ACC_OK)
        return;
    row->err = ACC_ERR_INVALID;
    snprintf(row->msg, sizeof row->msg, "%s in column %zu", what, col);
}

/* s_eol_len — length of the line end (LF, CRLF, or CR as the very last byte) at @pos;
 * 0 when there is none. */
static size_t
s_eol_len(const acc_import_t *self, size_t pos)
{
    if (pos >= self->len)
        return 0;
    if (self->data[pos] == '\n')
        return 1;
    if (self->data[pos] == '\r') {
        if (pos + 1 == self->len)
            return 1;
        if (self->data[pos + 1] == '\n')
            return 2;
    }
    return 0;
}

/* s_csv_row — read one row (RFC 4180) at self->pos into @row, moving past it whatever is
 * wrong with it. Syntax errors are recorded in @row and reading goes on to the row's end,
 * so that the next row starts where the writer meant it to. Fields past S_MAX_COLS and
 * bytes past the record cap are counted but not stored. Returns ACC_ERR_NOMEM only. */
static acc_err
s_csv_row(acc_import_t *self, s_row *row)
{
    const char *d = self->data;
    size_t start = self->pos;
    row->line = self->line;
    row->nfields = 0;
    row->too_large = false;
    row->err = ACC_OK;
    row->msg[0] = '\0';
    self->scratch_len = 0;

    for (;;) {
        size_t col = row->nfields + 1;
        bool store = row->nfields < S_MAX_COLS;
        size_t off = self->scratch_len;
#define S_PUT(c)                                                                                   \
    do {                                                                                           \
        if (self->pos - start > ACC_IMPORT_MAX_RECORD)                                             \
            row->too_large = true;                                                                 \
        if (store && !row->too_large && !s_scratch_put(self, (c)))                                 \
            return ACC_ERR_NOMEM;                                                                  \
    } while (0)

        if (self->pos < self->len && d[self->pos] == '"') {
            self->pos++;
            for (;;) {
                if (self->pos >= self->len) {
                    s_row_error(row, "unterminated quoted field", col);
                    break;
                }
                char c = d[self->pos];
                if (c == '"') {
                    if (self->pos + 1 < self->len && d[self->pos + 1] == '"') {
                        S_PUT('"');
                        self->pos += 2;
                        continue;
                    }
                    self->pos++;
                    break;
                }
                if (c == '\n')
                    self->line++;
                S_PUT(c);
                self->pos++;
            }
            if (self->pos < self->len && d[self->pos] != ',' && !s_eol_len(self, self->pos))
                s_row_error(row, "unexpected character after closing quote", col);
        }
        /* Unquoted part: a whole unquoted field, or junk after a closing quote (already an
         * error, read on to find the row's end). */
        while (self->pos < self->len && d[self->pos] != ',' && !s_eol_len(self, self->pos)) {
            char c = d[self->pos];
            if (c == '"')
                s_row_error(row, "quote inside unquoted field", col);
            S_PUT(c);
            self->pos++;
        }
#undef S_PUT
        if (store) {
            if (!row->too_large && !s_scratch_put(self, '\0'))
                return ACC_ERR_NOMEM;
            row->f[row->nfields].off = off;
            row->f[row->nfields].len = row->too_large ? 0 : self->scratch_len - off - 1;
        }
        row->nfields++;
        if (self->pos < self->len && d[self->pos] == ',') {
            self->pos++;
            continue;
        }
        size_t eol = s_eol_len(self, self->pos);
        if (eol) {
            self->pos += eol;
            self->line++;
        }
        if (self->pos - start > ACC_IMPORT_MAX_RECORD)
            row->too_large = true;
        return ACC_OK;
    }
}

/* s_csv_skip_blank — move past empty lines; false at the end of the data. */
static bool
s_csv_skip_blank(acc_import_t *self)
{
    for (;;) {
        if (self->pos >= self->len)
            return false;
        size_t eol = s_eol_len(self, self->pos);
        if (!eol)
            return true;
        self->pos += eol;
        self->line++;
    }
}

static acc_err
s_csv_header(acc_import_t *self, acc_errinfo_t *ei)
{
    if (!s_csv_skip_blank(self)) {
        acc_errinfo_set(ei, "line 1", "missing csv header");
        return ACC_ERR_INVALID;
    }
    s_row row;
    acc_err rc = s_csv_row(self, &row);
    if (rc != ACC_OK)
        return rc;
    char where[32];
    snprintf(where, sizeof where, "line %zu", row.line);
    if (row.too_large) {
        acc_errinfo_set(ei, where, "csv header is over %zu bytes", ACC_IMPORT_MAX_RECORD);
        return ACC_ERR_INVALID;
    }
    if (row.err != ACC_OK) {
        acc_errinfo_set(ei, where, "%s", row.msg);
        return ACC_ERR_INVALID;
    }
    bool seen[ACC_IMPORT_F__COUNT] = {false};
    size_t n = row.nfields < S_MAX_COLS ? row.nfields : S_MAX_COLS;
    for (size_t i = 0; i < n; i++) {
        const char *name = self->scratch + row.f[i].off;
        size_t len = row.f[i].len;
        /* spreadsheets pad and capitalise header cells */
        while (len > 0 && (*name == ' ' || *name == '\t')) {
            name++;
            len--;
        }
        while (len > 0 && (name[len - 1] == ' ' || name[len - 1] == '\t'))
            len--;
        s_field f = acc_import_field_find(name, len, 1);
        char shown[64];
        s_printable(name, len, shown, sizeof shown);
        if (f == ACC_IMPORT_F__COUNT) {
            acc_errinfo_set(ei, where, "unknown column '%s'", shown);
            return ACC_ERR_INVALID;
        }
        if (seen[f]) {
            acc_errinfo_set(ei, where, "duplicate column '%s'", shown);
            return ACC_ERR_INVALID;
        }
        seen[f] = true;
        self->cols[i] = f;
    }
    /* n == S_MAX_COLS > ACC_IMPORT_F__COUNT cannot get here: a duplicate was found above */
    if (!seen[ACC_IMPORT_F_URL] && !seen[ACC_IMPORT_F_TEXT]) {
        acc_errinfo_set(ei, where, "csv header needs a 'url' or a 'text' column");
        return ACC_ERR_INVALID;
    }
    self->ncols = n;
    return ACC_OK;
}

static acc_err
s_csv_next(acc_import_t *self, Accord__V1__Report **out, size_t *line_out, acc_errinfo_t *ei)
{
    if (!s_csv_skip_blank(self))
        return ACC_ERR_NOT_FOUND;
    s_row row;
    acc_err rc = s_csv_row(self, &row);
    if (rc != ACC_OK)
        return rc;
    *line_out = row.line;
    char where[32];
    snprintf(where, sizeof where, "line %zu", row.line);
    if (row.too_large) {
        acc_errinfo_set(ei, where, "record is over the limit of %zu bytes", ACC_IMPORT_MAX_RECORD);
        return ACC_ERR_TOO_LARGE;
    }
    if (row.err != ACC_OK) {
        acc_errinfo_set(ei, where, "%s", row.msg);
        return row.err;
    }
    if (row.nfields != self->ncols) {
        acc_errinfo_set(ei, where, "expected %zu columns, found %zu", self->ncols, row.nfields);
        return ACC_ERR_INVALID;
    }
    Accord__V1__Report *r = s_report_new();
    if (!r)
        return ACC_ERR_NOMEM;
    for (size_t i = 0; i < self->ncols; i++) {
        rc = s_set_text(r, self->cols[i], self->scratch + row.f[i].off, row.f[i].len, row.line, ei);
        if (rc != ACC_OK)
            goto out;
    }
    rc = s_apply_defaults(self, r);
    if (rc != ACC_OK)
        goto out;
    *out = r;
    r = NULL;
out:
    s_report_free(r);
    return rc;
}

/* --- the reader ---------------------------------------------------------------------- */

acc_err
acc_import_new(acc_import_format fmt, const char *data, size_t len,
               const Accord__V1__Report *defaults, acc_import_t **out, acc_errinfo_t *ei)
{
    if (fmt != ACC_IMPORT_JSONL && fmt != ACC_IMPORT_CSV) {
        acc_errinfo_set(ei, "format", "unknown import format");
        return ACC_ERR_INVALID;
    }
    if (!data)
        len = 0;
    acc_err rc = ACC_ERR_NOMEM;
    acc_import_t *self = calloc(1, sizeof *self);
    if (!self)
        goto out;
    self->fmt = fmt;
    self->data = data ? data : "";
    self->len = len;
    self->line = 1;
    if (defaults && defaults->category && defaults->category[0]) {
        if (!(self->def_category = strdup(defaults->category)))
            goto out;
    }
    if (defaults && defaults->source && defaults->source[0]) {
        if (!(self->def_source = strdup(defaults->source)))
            goto out;
    }
    /* Spreadsheet exports often start with a UTF-8 byte order mark. */
    if (len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0)
        self->pos = 3;
    if (fmt == ACC_IMPORT_CSV) {
        rc = s_csv_header(self, ei);
        if (rc != ACC_OK)
            goto out;
    }
    *out = self;
    self = NULL;
    rc = ACC_OK;
out:
    acc_import_destroy(&self);
    return rc;
}

acc_err
acc_import_next(acc_import_t *self, Accord__V1__Report **out, size_t *line, acc_errinfo_t *ei)
{
    size_t dummy;
    if (!line)
        line = &dummy;
    if (self->fmt == ACC_IMPORT_CSV)
        return s_csv_next(self, out, line, ei);
    return s_jsonl_next(self, out, line, ei);
}

size_t
acc_import_offset(const acc_import_t *self)
{
    return self ? self->pos : 0;
}

void
acc_import_destroy(acc_import_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    acc_import_t *self = *self_p;
    free(self->def_category);
    free(self->def_source);
    free(self->scratch);
    free(self);
    *self_p = NULL;
}
