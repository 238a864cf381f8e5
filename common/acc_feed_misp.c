/*
 * acc_feed_misp — the MISP event JSON reader behind acc_feed (format "misp"): one
 * {"Event": {...}}, a list of them, or a REST search answer {"response": [{"Event": ...}]}.
 * Each attribute of type url, link, domain, hostname or domain|ip (the domain part), at
 * the event level (Event.Attribute[]) or inside an object (Event.Object[].Attribute[]),
 * becomes one report; other attribute types and deleted attributes are skipped and
 * counted.
 *
 * A report carries:
 *   source_record_id  the attribute's uuid (empty when it has none);
 *   observed_at       the attribute's first_seen (ISO 8601), else its timestamp (epoch
 *                     seconds, string or number), else the event's timestamp, else the
 *                     event's date (midnight UTC). first_seen comes first because it says
 *                     when the content was seen; timestamp is when the attribute was last
 *                     edited, a worse but still useful stand-in;
 *   category          the first of the attribute's tags, then the event's tags, that the
 *                     tag map knows (Tag[].name), else the default.
 * to_ids is not looked at: an attribute not meant for IDS export is still a report.
 *
 * The whole document is parsed by jansson at open (MISP exports are one JSON value), so
 * invalid UTF-8 and "\u0000" anywhere reject the whole document (ACC_ERR_UTF8 /
 * ACC_ERR_DECODE). The attributes are then listed once, in document order, and handed
 * out one per call. Structural problems below the event (an Attribute that is not an
 * array, an attribute that is not an object, a value that is not a string) are errors for
 * that attribute or list only: the reader moves on.
 *
 * Places are named "attribute <uuid>" or, for an attribute without uuid,
 * "event <uuid> attribute #k" / "event <uuid> object #j attribute #k" (1-based; an event
 * without uuid is "event #i").
 */
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acc_feed_int.h"
#include "acc_time.h"

/* Tags considered per attribute (attribute's and event's together); more are ignored. */
#define S_MAX_TAGS 64
/* Latest accepted epoch second: 9999-12-31T23:59:59Z. */
#define S_MAX_EPOCH INT64_C(253402300799)

typedef struct {
    json_t *attr;    /* borrowed from the document; NULL for a list that is not one */
    json_t *event;   /* the Event object */
    size_t ev;       /* event number, 1-based */
    size_t obj;      /* object number, 1-based; 0 at the event level */
    size_t k;        /* attribute number in its list, 1-based; 0 for a bad list */
    const char *bad; /* for a bad list: what is wrong (static text) */
} s_item;

typedef struct {
    json_t *root;
    const acc_feed_opts_t *opts; /* the reader's copy */
    size_t len;
    s_item *items;
    size_t n_items;
    size_t cap;
    size_t cur;
    bool done;
} s_misp;

/* --- helpers --------------------------------------------------------------------------- */

/* s_printable — @s for a message: control and non-ASCII bytes as '?', at most 40 bytes,
 * because names come from hostile input. */
static void
s_printable(const char *s, char *out, size_t outlen)
{
    size_t n = 0, max = outlen - 1;
    if (max > 40)
        max = 40;
    for (; s[n] && n < max; n++) {
        unsigned char c = (unsigned char)s[n];
        out[n] = (c >= 0x20 && c < 0x7F) ? (char)c : '?';
    }
    out[n] = '\0';
}

static acc_err
s_push(s_misp *m, const s_item *it)
{
    if (m->n_items == m->cap) {
        size_t cap = m->cap ? m->cap * 2 : 64;
        s_item *p = realloc(m->items, cap * sizeof *p);
        if (!p)
            return ACC_ERR_NOMEM;
        m->items = p;
        m->cap = cap;
    }
    m->items[m->n_items++] = *it;
    return ACC_OK;
}

/* s_event_name — the event's uuid (printable) or "#i". */
static void
s_event_name(const s_item *it, char *buf, size_t buflen)
{
    const char *uuid = json_string_value(json_object_get(it->event, "uuid"));
    if (uuid && uuid[0]) {
        s_printable(uuid, buf, buflen);
        return;
    }
    snprintf(buf, buflen, "#%zu", it->ev);
}

static void
s_where(const s_item *it, char *where, size_t where_len)
{
    const char *uuid = it->attr ? json_string_value(json_object_get(it->attr, "uuid")) : NULL;
    if (uuid && uuid[0]) {
        char u[48];
        s_printable(uuid, u, sizeof u);
        snprintf(where, where_len, "attribute %s", u);
        return;
    }
    char ev[48], obj[40] = "", attr[40] = "";
    s_event_name(it, ev, sizeof ev);
    if (it->obj)
        snprintf(obj, sizeof obj, " object #%zu", it->obj);
    if (it->k)
        snprintf(attr, sizeof attr, " attribute #%zu", it->k);
    snprintf(where, where_len, "event %s%s%s", ev, obj, attr);
}

/* --- listing the attributes at open ------------------------------------------------------ */

/* s_list — add the attributes of @list (Event.Attribute or Object[j].Attribute); a
 * present list that is not an array is one bad item. */
static acc_err
s_list(s_misp *m, json_t *event, size_t ev, size_t obj, json_t *list)
{
    s_item it = {.event = event, .ev = ev, .obj = obj};
    if (!list || json_is_null(list))
        return ACC_OK;
    if (!json_is_array(list)) {
        it.bad = "'Attribute' must be an array";
        return s_push(m, &it);
    }
    size_t i;
    json_t *a;
    json_array_foreach(list, i, a)
    {
        it.attr = a;
        it.k = i + 1;
        acc_err rc = s_push(m, &it);
        if (rc != ACC_OK)
            return rc;
    }
    return ACC_OK;
}

static acc_err
s_event(s_misp *m, json_t *event, size_t ev)
{
    acc_err rc = s_list(m, event, ev, 0, json_object_get(event, "Attribute"));
    if (rc != ACC_OK)
        return rc;
    json_t *objects = json_object_get(event, "Object");
    if (!objects || json_is_null(objects))
        return ACC_OK;
    if (!json_is_array(objects)) {
        s_item it = {.event = event, .ev = ev, .bad = "'Object' must be an array"};
        return s_push(m, &it);
    }
    size_t j;
    json_t *o;
    json_array_foreach(objects, j, o)
    {
        if (!json_is_object(o)) {
            s_item it = {
                .event = event, .ev = ev, .obj = j + 1, .bad = "object is not a json object"};
            rc = s_push(m, &it);
        } else {
            rc = s_list(m, event, ev, j + 1, json_object_get(o, "Attribute"));
        }
        if (rc != ACC_OK)
            return rc;
    }
    return ACC_OK;
}

/* s_wrapped_event — the Event object inside @v ({"Event": {...}}), or NULL. */
static json_t *
s_wrapped_event(json_t *v)
{
    json_t *e = json_is_object(v) ? json_object_get(v, "Event") : NULL;
    return json_is_object(e) ? e : NULL;
}

#define S_EXPECTED                                                                                 \
    "expected a misp event: {\"Event\": {...}}, a list of them, or {\"response\": [...]}"

/* s_events — list every event of the document. */
static acc_err
s_events(s_misp *m, acc_errinfo_t *ei)
{
    json_t *list = NULL;
    json_t *single = s_wrapped_event(m->root);
    if (single)
        return s_event(m, single, 1);
    if (json_is_array(m->root))
        list = m->root;
    else if (json_is_object(m->root) && json_is_array(json_object_get(m->root, "response")))
        list = json_object_get(m->root, "response");
    if (!list) {
        acc_errinfo_set(ei, "document", S_EXPECTED);
        return ACC_ERR_INVALID;
    }
    size_t i;
    json_t *v;
    json_array_foreach(list, i, v)
    {
        json_t *e = s_wrapped_event(v);
        if (!e) {
            char field[32];
            snprintf(field, sizeof field, "event #%zu", i + 1);
            acc_errinfo_set(ei, field, S_EXPECTED);
            return ACC_ERR_INVALID;
        }
        acc_err rc = s_event(m, e, i + 1);
        if (rc != ACC_OK)
            return rc;
    }
    return ACC_OK;
}

/* --- one attribute ----------------------------------------------------------------------- */

/* s_epoch — epoch seconds as a JSON integer or a string of digits, into ms. */
static bool
s_epoch(json_t *v, int64_t *ms)
{
    int64_t s = 0;
    if (json_is_integer(v)) {
        s = json_integer_value(v);
    } else if (json_is_string(v)) {
        const char *p = json_string_value(v);
        size_t n = json_string_length(v);
        if (n == 0 || n > 12)
            return false;
        for (size_t i = 0; i < n; i++) {
            if (p[i] < '0' || p[i] > '9')
                return false;
            s = s * 10 + (p[i] - '0');
        }
    } else {
        return false;
    }
    if (s < 0 || s > S_MAX_EPOCH)
        return false;
    *ms = s * 1000;
    return true;
}

/* s_iso8601 — RFC 3339, and also the "+hhmm" offset some MISP versions write. */
static bool
s_iso8601(json_t *v, int64_t *ms)
{
    const char *s = json_string_value(v);
    if (!s)
        return false;
    if (acc_time_parse_rfc3339(s, ms) == ACC_OK)
        return true;
    size_t n = strlen(s);
    char buf[64];
    if (n < 5 || n + 2 > sizeof buf || (s[n - 5] != '+' && s[n - 5] != '-'))
        return false;
    memcpy(buf, s, n - 2);
    buf[n - 2] = ':';
    memcpy(buf + n - 1, s + n - 2, 3); /* the minutes and the NUL */
    return acc_time_parse_rfc3339(buf, ms) == ACC_OK;
}

/* s_date — "YYYY-MM-DD" as midnight UTC. */
static bool
s_date(json_t *v, int64_t *ms)
{
    const char *s = json_string_value(v);
    if (!s || strlen(s) != 10)
        return false;
    char buf[32];
    snprintf(buf, sizeof buf, "%sT00:00:00Z", s);
    return acc_time_parse_rfc3339(buf, ms) == ACC_OK;
}

/* s_absent — a key missing or null. */
static bool
s_absent(json_t *v)
{
    return !v || json_is_null(v);
}

static acc_err
s_observed(const s_item *it, const char *where, int64_t *ms, acc_errinfo_t *ei)
{
    json_t *v = json_object_get(it->attr, "first_seen");
    if (!s_absent(v)) {
        if (s_iso8601(v, ms))
            return ACC_OK;
        acc_errinfo_set(ei, where, "'first_seen' is not an ISO 8601 time");
        return ACC_ERR_INVALID;
    }
    v = json_object_get(it->attr, "timestamp");
    if (!s_absent(v)) {
        if (s_epoch(v, ms))
            return ACC_OK;
        acc_errinfo_set(ei, where, "'timestamp' is not a time in seconds since 1970");
        return ACC_ERR_INVALID;
    }
    v = json_object_get(it->event, "timestamp");
    if (!s_absent(v)) {
        if (s_epoch(v, ms))
            return ACC_OK;
        acc_errinfo_set(ei, where, "event 'timestamp' is not a time in seconds since 1970");
        return ACC_ERR_INVALID;
    }
    v = json_object_get(it->event, "date");
    if (!s_absent(v)) {
        if (s_date(v, ms))
            return ACC_OK;
        acc_errinfo_set(ei, where, "event 'date' is not a date (YYYY-MM-DD)");
        return ACC_ERR_INVALID;
    }
    *ms = 0;
    return ACC_OK;
}

/* s_tags — names of @holder's Tag[] appended to @tags; entries that are not a tag with a
 * string name are ignored (a tag only ever refines the category). */
static void
s_tags(json_t *holder, const char **tags, size_t *n)
{
    json_t *list = json_object_get(holder, "Tag");
    size_t i;
    json_t *t;
    if (!json_is_array(list))
        return;
    json_array_foreach(list, i, t)
    {
        const char *name = json_string_value(json_object_get(t, "name"));
        if (name && *n < S_MAX_TAGS)
            tags[(*n)++] = name;
    }
}

/* s_deleted — MISP writes true, but exports through other tools carry 1 or "1". */
static bool
s_deleted(json_t *v)
{
    if (json_is_true(v))
        return true;
    if (json_is_integer(v))
        return json_integer_value(v) != 0;
    const char *s = json_string_value(v);
    return s && (strcmp(s, "1") == 0 || strcmp(s, "true") == 0);
}

/* s_domain_ok — minimal check that @d can stand as the host of "http://d/": the bytes
 * that would end the host or add userinfo, a port or a path would put the report on
 * another site ("evil.example@bank.vn"). Whether it is a valid name is intake's check. */
static bool
s_domain_ok(const char *d, size_t n)
{
    if (n == 0)
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)d[i];
        if (c <= 0x20 || c == 0x7F || strchr("/\\?#@:[]", c))
            return false;
    }
    return true;
}

typedef enum { S_T_OTHER, S_T_URL, S_T_DOMAIN, S_T_DOMAIN_IP } s_type;

static s_type
s_type_of(const char *type)
{
    if (strcmp(type, "url") == 0 || strcmp(type, "link") == 0)
        return S_T_URL;
    if (strcmp(type, "domain") == 0 || strcmp(type, "hostname") == 0)
        return S_T_DOMAIN;
    if (strcmp(type, "domain|ip") == 0)
        return S_T_DOMAIN_IP;
    return S_T_OTHER;
}

/* s_attribute — the report for item @it, or ACC_ERR_NOT_FOUND when it was skipped. */
static acc_err
s_attribute(const s_misp *m, const s_item *it, acc_feed_t *feed, Accord__V1__Report **out,
            const char *where, acc_errinfo_t *ei)
{
    if (it->bad) {
        acc_errinfo_set(ei, where, "%s", it->bad);
        return ACC_ERR_INVALID;
    }
    if (!json_is_object(it->attr)) {
        acc_errinfo_set(ei, where, "attribute is not a json object");
        return ACC_ERR_INVALID;
    }
    json_t *uuid = json_object_get(it->attr, "uuid");
    if (!s_absent(uuid) && !json_is_string(uuid)) {
        acc_errinfo_set(ei, where, "'uuid' must be a string");
        return ACC_ERR_INVALID;
    }
    if (s_deleted(json_object_get(it->attr, "deleted"))) {
        acc_err rc = acc_feed_skip(feed, "misp attribute deleted");
        return rc == ACC_OK ? ACC_ERR_NOT_FOUND : rc;
    }
    const char *type = json_string_value(json_object_get(it->attr, "type"));
    if (!type) {
        acc_errinfo_set(ei, where, "'type' must be a string");
        return ACC_ERR_INVALID;
    }
    s_type t = s_type_of(type);
    if (t == S_T_OTHER) {
        char shown[48], reason[80];
        s_printable(type, shown, sizeof shown);
        snprintf(reason, sizeof reason, "misp attribute type '%s'", shown);
        acc_err rc = acc_feed_skip(feed, reason);
        return rc == ACC_OK ? ACC_ERR_NOT_FOUND : rc;
    }
    json_t *jv = json_object_get(it->attr, "value");
    if (!json_is_string(jv)) {
        acc_errinfo_set(ei, where, "'value' must be a string");
        return ACC_ERR_INVALID;
    }
    /* jansson has checked the UTF-8 and refused NULs (no JSON_ALLOW_NUL) */
    const char *value = json_string_value(jv);
    size_t vlen = json_string_length(jv);
    if (vlen == 0) {
        acc_errinfo_set(ei, where, "'value' is empty");
        return ACC_ERR_INVALID;
    }
    char *url = NULL;
    if (t == S_T_URL) {
        url = strdup(value);
    } else {
        size_t dlen = vlen;
        if (t == S_T_DOMAIN_IP) {
            const char *bar = memchr(value, '|', vlen);
            if (!bar) {
                acc_errinfo_set(ei, where, "'value' of a domain|ip attribute has no '|'");
                return ACC_ERR_INVALID;
            }
            dlen = (size_t)(bar - value);
        }
        if (!s_domain_ok(value, dlen)) {
            char shown[48];
            s_printable(value, shown, dlen + 1 < sizeof shown ? dlen + 1 : sizeof shown);
            acc_errinfo_set(ei, where, "domain '%s' is not a host name", shown);
            return ACC_ERR_INVALID;
        }
        char *domain = strndup(value, dlen);
        if (!domain)
            return ACC_ERR_NOMEM;
        url = acc_feed_domain_url(domain);
        free(domain);
    }
    if (!url)
        return ACC_ERR_NOMEM;
    int64_t ms = 0;
    acc_err rc = s_observed(it, where, &ms, ei);
    if (rc != ACC_OK) {
        free(url);
        return rc;
    }
    const char *tags[S_MAX_TAGS];
    size_t n_tags = 0;
    s_tags(it->attr, tags, &n_tags);
    s_tags(it->event, tags, &n_tags);
    Accord__V1__Report *r =
        acc_feed_report_new(m->opts, url, json_string_value(uuid), ms, tags, n_tags);
    free(url);
    if (!r)
        return ACC_ERR_NOMEM;
    *out = r;
    return ACC_OK;
}

/* --- the parser -------------------------------------------------------------------------- */

static acc_err
s_next(void *state, acc_feed_t *feed, Accord__V1__Report **out, char *where, size_t where_len,
       acc_errinfo_t *ei)
{
    s_misp *m = state;
    while (m->cur < m->n_items) {
        const s_item *it = &m->items[m->cur++];
        s_where(it, where, where_len);
        acc_err rc = s_attribute(m, it, feed, out, where, ei);
        if (rc != ACC_ERR_NOT_FOUND)
            return rc;
    }
    m->done = true;
    where[0] = '\0';
    return ACC_ERR_NOT_FOUND;
}

static size_t
s_offset(const void *state)
{
    const s_misp *m = state;
    if (m->done || m->n_items == 0)
        return m->done ? m->len : 0;
    /* Parsed at open: progress is the share of attributes handed out. */
    return (size_t)((double)m->len * (double)m->cur / (double)m->n_items);
}

static void
s_destroy(void *state)
{
    s_misp *m = state;
    if (!m)
        return;
    json_decref(m->root);
    free(m->items);
    free(m);
}

static const acc_feed_parser_t s_ops = {s_next, s_offset, s_destroy};

acc_err
acc_feed_misp_open(const char *data, size_t len, const acc_feed_opts_t *opts, void **state,
                   const acc_feed_parser_t **ops, acc_errinfo_t *ei)
{
    acc_err rc = ACC_ERR_NOMEM;
    s_misp *m = calloc(1, sizeof *m);
    if (!m)
        goto out;
    m->opts = opts;
    m->len = len;
    /* Duplicate keys would make "which value counts" depend on the parser: refuse them.
     * JSON_DECODE_ANY: a bare string or number is JSON that is not an event, and is told
     * so. */
    if ((rc = acc_feed_json_load(data, len, JSON_DECODE_ANY, &m->root, ei)) != ACC_OK)
        goto out;
    rc = s_events(m, ei);
    if (rc != ACC_OK)
        goto out;
    *state = m;
    *ops = &s_ops;
    m = NULL;
out:
    s_destroy(m);
    return rc;
}
