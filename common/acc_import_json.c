/*
 * acc_import_json — the reader of the JSON body of POST /v1/reports (declared in
 * acc_import.h): bytes from intake's HTTP ingest in, Accord__V1__Report messages and
 * per-record rejections (with JSON paths) out, for intake to validate and store.
 *
 * It reads the fields of acc_import_int.h's table, as `accordctl report import` does for
 * JSON Lines, so that both doors accept the same keys. What differs is the channel, not
 * the fields: the body is one document (an object or an array) rather than a line per
 * record, a rejection is reported with a JSON path rather than a line number, and
 * `source` is fixed by the caller's token rather than defaulted.
 */
#include "acc_import.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acc_import_int.h"
#include "acc_time.h"

void
acc_import_body_path(char *buf, size_t len, int is_array, size_t i)
{
    if (is_array)
        snprintf(buf, len, "$[%zu]", i);
    else
        snprintf(buf, len, "$");
}

/* The path of key @key of record @rec: ".name" for plain names, else ["..."] with the key
 * escaped and cut (at a character boundary) so that a hostile key cannot flood the
 * answer. */
static void
s_key_path(char *buf, size_t len, const char *rec, const char *key, size_t keylen)
{
    int plain = keylen > 0 && keylen <= 64;
    for (size_t i = 0; plain && i < keylen; i++) {
        unsigned char ch = (unsigned char)key[i];
        plain = ch == '_' || (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                (i > 0 && ch >= '0' && ch <= '9');
    }
    if (plain) {
        snprintf(buf, len, "%s.%.*s", rec, (int)keylen, key);
        return;
    }
    char esc[160];
    size_t o = 0, i = 0;
    for (; i < keylen && o + 8 < 100; i++) {
        unsigned char ch = (unsigned char)key[i];
        if (ch == '"' || ch == '\\') {
            esc[o++] = '\\';
            esc[o++] = (char)ch;
        } else if (ch < 0x20 || ch == 0x7f) {
            o += (size_t)snprintf(esc + o, sizeof esc - o, "\\u%04x", ch);
        } else {
            esc[o++] = (char)ch;
        }
    }
    if (i < keylen) {
        /* Cut: step back to the start of a UTF-8 sequence, then mark the cut. */
        while (o > 0 && ((unsigned char)esc[o - 1] & 0xc0) == 0x80)
            o--;
        if (o > 0 && ((unsigned char)esc[o - 1] & 0xc0) == 0xc0)
            o--;
        memcpy(esc + o, "...", 3);
        o += 3;
    }
    esc[o] = '\0';
    snprintf(buf, len, "%.40s[\"%.110s\"]", rec, esc);
}

static int
s_set(char **field, const char *v)
{
    char *d = strdup(v);
    if (!d)
        return -1;
    if (*field && *field != protobuf_c_empty_string)
        free(*field);
    *field = d;
    return 0;
}

/* The message for an unknown key: every known key, from the table. */
static void
s_unknown_key(char *buf, size_t len)
{
    size_t o = (size_t)snprintf(buf, len, "unknown key; known keys: ");
    for (int f = 0; f < ACC_IMPORT_F__COUNT && o < len; f++)
        o += (size_t)snprintf(buf + o, len - o, "%s%s", f ? ", " : "", acc_import_field_names[f]);
}

/* Set field @f of @r from the non-null JSON value @v. ACC_OK, ACC_ERR_INVALID with
 * @rej->error filled, or ACC_ERR_NOMEM. */
static acc_err
s_field(Accord__V1__Report *r, acc_import_field f, json_t *v, const char *source,
        acc_import_reject_t *rej)
{
    if (f == ACC_IMPORT_F_CONFIDENCE) {
        json_int_t c = json_is_integer(v) ? json_integer_value(v) : -1;
        if (c < 0 || c > 100) {
            snprintf(rej->error, sizeof rej->error, "must be an integer from 0 to 100");
            return ACC_ERR_INVALID;
        }
        r->confidence = (uint32_t)c;
        return ACC_OK;
    }
    if (!json_is_string(v)) {
        snprintf(rej->error, sizeof rej->error, "must be a string");
        return ACC_ERR_INVALID;
    }
    const char *s = json_string_value(v);
    if (f == ACC_IMPORT_F_SOURCE) { /* set from @source by the caller */
        if (strcmp(s, source) == 0)
            return ACC_OK;
        snprintf(rej->error, sizeof rej->error,
                 "must be '%.128s' (the source of the token) or absent", source);
        return ACC_ERR_INVALID;
    }
    if (f == ACC_IMPORT_F_OBSERVED_AT) {
        if (acc_time_parse_rfc3339(s, &r->observed_at_ms) == ACC_OK)
            return ACC_OK;
        snprintf(rej->error, sizeof rej->error,
                 "must be an RFC 3339 time such as \"2026-11-20T08:30:00+07:00\"");
        return ACC_ERR_INVALID;
    }
    return s_set(acc_import_field_slot(r, f), s) != 0 ? ACC_ERR_NOMEM : ACC_OK;
}

/* Read one record. ACC_OK with *@out, ACC_ERR_INVALID with @rej filled, ACC_ERR_NOMEM. */
static acc_err
s_parse_record(json_t *obj, const char *source, int is_array, size_t i, Accord__V1__Report **out,
               acc_import_reject_t *rej)
{
    char rec[48];
    acc_import_body_path(rec, sizeof rec, is_array, i);
    rej->index = i;
    if (!json_is_object(obj)) {
        snprintf(rej->path, sizeof rej->path, "%s", rec);
        snprintf(rej->error, sizeof rej->error, "a report must be a json object");
        return ACC_ERR_INVALID;
    }
    Accord__V1__Report *r = malloc(sizeof *r);
    if (!r)
        return ACC_ERR_NOMEM;
    accord__v1__report__init(r);
    acc_err rc = ACC_OK;
    const char *key;
    size_t keylen;
    json_t *v;
    json_object_keylen_foreach(obj, key, keylen, v)
    {
        acc_import_field f = acc_import_field_find(key, keylen, 0);
        s_key_path(rej->path, sizeof rej->path, rec, key, keylen);
        if (f == ACC_IMPORT_F__COUNT) {
            s_unknown_key(rej->error, sizeof rej->error);
            rc = ACC_ERR_INVALID;
            goto out;
        }
        /* writers commonly emit null for "absent" */
        if (!json_is_null(v) && (rc = s_field(r, f, v, source, rej)) != ACC_OK)
            goto out;
    }
    if (s_set(&r->source, source) != 0) {
        rc = ACC_ERR_NOMEM;
        goto out;
    }
    *out = r;
    r = NULL;
out:
    if (r)
        accord__v1__report__free_unpacked(r, NULL);
    return rc;
}

void
acc_import_body_destroy(acc_import_body_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    acc_import_body_t *b = *self_p;
    for (size_t i = 0; i < b->n_reports; i++)
        accord__v1__report__free_unpacked(b->reports[i], NULL);
    free(b->reports);
    free(b->index);
    free(b->rejects);
    free(b);
    *self_p = NULL;
}

/* Load the document; on failure set @ei and @pos as acc_import_body_parse promises. */
static acc_err
s_load(const char *body, size_t len, json_t **out, int pos[2], acc_errinfo_t *ei)
{
    json_error_t jerr;
    /* JSON_DECODE_ANY so that a scalar is told apart from broken JSON; no JSON_ALLOW_NUL:
     * "\u0000" would cut a C string short. */
    json_t *doc = json_loadb(body, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);
    if (doc) {
        *out = doc;
        return ACC_OK;
    }
    enum json_error_code code = json_error_code(&jerr);
    if (code == json_error_out_of_memory)
        return ACC_ERR_NOMEM;
    if (pos) {
        pos[0] = jerr.line;
        pos[1] = jerr.column;
    }
    char text[sizeof jerr.text];
    size_t n = strnlen(jerr.text, sizeof jerr.text - 1);
    for (size_t i = 0; i < n; i++) /* jansson quotes the offending input: keep it clean */
        text[i] = (unsigned char)jerr.text[i] < 0x20 || (unsigned char)jerr.text[i] >= 0x7f
                      ? '?'
                      : jerr.text[i];
    text[n] = '\0';
    acc_errinfo_set(ei, "$", "invalid json at line %d, column %d: %s", jerr.line, jerr.column,
                    text);
    return code == json_error_invalid_utf8 ? ACC_ERR_UTF8 : ACC_ERR_DECODE;
}

acc_err
acc_import_body_parse(const char *body, size_t len, const char *source, acc_import_body_t **out,
                      int pos[2], acc_errinfo_t *ei)
{
    json_t *doc = NULL;
    acc_err rc = s_load(body, len, &doc, pos, ei);
    if (rc != ACC_OK)
        return rc;
    acc_import_body_t *b = NULL;
    if (!json_is_object(doc) && !json_is_array(doc)) {
        acc_errinfo_set(ei, "$",
                        "the body must be a json object (one report) or an array of "
                        "them");
        rc = ACC_ERR_INVALID;
        goto out;
    }
    rc = ACC_ERR_NOMEM;
    if (!(b = calloc(1, sizeof *b)))
        goto out;
    b->is_array = json_is_array(doc);
    b->n_records = b->is_array ? json_array_size(doc) : 1;
    size_t cap = b->n_records ? b->n_records : 1;
    b->reports = calloc(cap, sizeof *b->reports);
    b->index = calloc(cap, sizeof *b->index);
    b->rejects = calloc(cap, sizeof *b->rejects);
    if (!b->reports || !b->index || !b->rejects)
        goto out;
    for (size_t i = 0; i < b->n_records; i++) {
        json_t *obj = b->is_array ? json_array_get(doc, i) : doc;
        Accord__V1__Report *r = NULL;
        acc_err e = s_parse_record(obj, source, b->is_array, i, &r, &b->rejects[b->n_rejects]);
        if (e == ACC_ERR_NOMEM)
            goto out;
        if (e == ACC_OK) {
            b->index[b->n_reports] = i;
            b->reports[b->n_reports++] = r;
        } else {
            b->n_rejects++;
        }
    }
    *out = b;
    b = NULL;
    rc = ACC_OK;
out:
    acc_import_body_destroy(&b);
    json_decref(doc);
    return rc;
}
