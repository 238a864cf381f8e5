/*
 * acc_feed_stix — the STIX 2.1 reader behind acc_feed (format "stix"): a bundle in, one
 * report per URL or domain an object names. It sits between a feed file or HTTP body and
 * intake, like the other acc_feed parsers (see acc_feed_int.h for the seam).
 *
 * The whole bundle is parsed by jansson when the reader opens, so JSON syntax, UTF-8 and
 * "is this STIX 2.1" are whole-document errors. Then each object of `objects` is one
 * record:
 *   indicator      pattern_type "stix": the pattern is parsed by the recursive-descent
 *                  parser below (the STIX 2.1 patterning grammar, all of it), and every
 *                  comparison `url:value = '...'` or `domain-name:value = '...'` that is
 *                  not negated gives a report, as does every string of
 *                  `url:value IN (...)`. Other pattern types are skipped and counted.
 *   observed-data  url and domain-name objects, embedded (`objects`, deprecated in 2.1)
 *                  or referenced (`object_refs`, looked up in an id map built at open).
 *   anything else  skipped and counted by type; top-level url and domain-name objects
 *                  too: they are the data that observed-data points at, not reports.
 * A record that gives several URLs gives several reports with the same source_record_id
 * (the STIX id); the caller's dedup key includes the URL. Skips are counted per object,
 * except that an observed-data with references missing from the bundle is counted once
 * under "stix reference not in bundle" even when its other references gave reports.
 */
#include <jansson.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acc_feed_int.h"
#include "acc_time.h"

/* A pattern longer than this is an error for its object: real patterns are a few hundred
 * bytes, and the cap bounds the parser's work and the number of reports per object. */
#define S_PATTERN_MAX ((size_t)64 * 1024)
/* Parentheses nested deeper than this are an error: the parser recurses on them. */
#define S_DEPTH_MAX 64
/* Bytes of a token or a name quoted back in an error message. */
#define S_SHOW_MAX 32

/* ======================================================================================
 * The STIX pattern parser.
 *
 *   pattern      := obs_fby EOF
 *   obs_fby      := obs_or ( FOLLOWEDBY obs_or )*
 *   obs_or       := obs_and ( OR obs_and )*
 *   obs_and      := obs_qual ( AND obs_qual )*
 *   obs_qual     := obs_primary ( WITHIN num SECONDS | REPEATS int TIMES
 *                                 | START t'..' STOP t'..' )*
 *   obs_primary  := '[' cmp_or ']' | '(' obs_fby ')'
 *   cmp_or       := cmp_and ( OR cmp_and )*
 *   cmp_and      := prop_test ( AND prop_test )*
 *   prop_test    := '(' cmp_or ')' | EXISTS path
 *                 | path NOT? ( ('='|'!=') literal | ('<'|'<='|'>'|'>=') ordered_literal
 *                             | IN '(' [literal (',' literal)*] ')'
 *                             | (LIKE|MATCHES|ISSUBSET|ISSUPERSET) string )
 *   path         := type ':' name ( '.' name | '[' (int|'*') ']' )*
 * Keywords are case-sensitive, as in the specification's grammar. Whitespace (including
 * the Unicode spaces the grammar lists) and comments are skipped between tokens.
 * ====================================================================================== */

typedef enum {
    K_EOF,
    K_LBRACK,
    K_RBRACK,
    K_LPAREN,
    K_RPAREN,
    K_COLON,
    K_DOT,
    K_COMMA,
    K_STAR,
    K_EQ,
    K_NEQ,
    K_LT,
    K_LE,
    K_GT,
    K_GE,
    K_IDENT,        /* [A-Za-z_][A-Za-z0-9_]* */
    K_IDENT_HYPHEN, /* the same with hyphens: an object type, never a property name */
    K_STRING,
    K_INT,
    K_FLOAT,
    K_BOOL,
    K_TIMESTAMP,
    K_HEX,
    K_BINARY,
    K_AND,
    K_OR,
    K_NOT,
    K_FOLLOWEDBY,
    K_LIKE,
    K_MATCHES,
    K_ISSUBSET,
    K_ISSUPERSET,
    K_EXISTS,
    K_IN,
    K_START,
    K_STOP,
    K_SECONDS,
    K_WITHIN,
    K_REPEATS,
    K_TIMES,
    K_LAST, /* reserved by the grammar, used by no rule */
} s_kind;

static const struct {
    const char *word;
    s_kind kind;
} s_keywords[] = {
    {"AND", K_AND},           {"OR", K_OR},
    {"NOT", K_NOT},           {"FOLLOWEDBY", K_FOLLOWEDBY},
    {"LIKE", K_LIKE},         {"MATCHES", K_MATCHES},
    {"ISSUBSET", K_ISSUBSET}, {"ISSUPERSET", K_ISSUPERSET},
    {"EXISTS", K_EXISTS},     {"IN", K_IN},
    {"START", K_START},       {"STOP", K_STOP},
    {"SECONDS", K_SECONDS},   {"WITHIN", K_WITHIN},
    {"REPEATS", K_REPEATS},   {"TIMES", K_TIMES},
    {"LAST", K_LAST},         {"true", K_BOOL},
    {"false", K_BOOL},
};

typedef struct {
    s_kind kind;
    size_t at;  /* first byte in the pattern */
    size_t len; /* bytes */
    bool neg;   /* numbers: written with a '-' */
    bool zero;  /* numbers: every digit is 0 */
} s_tok;

typedef struct {
    bool domain; /* domain-name:value, else url:value */
    char *value; /* unescaped, owned */
} s_val;

typedef struct {
    const char *s;
    size_t n;
    size_t pos; /* next byte to lex */
    s_tok tok;  /* the current token */
    unsigned depth;
    bool failed;
    bool nomem;
    char msg[256];
    s_val *vals;
    size_t n_vals;
    size_t cap_vals;
} s_parser;

static bool
s_is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

static bool
s_is_alpha(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static bool
s_is_hex(unsigned char c)
{
    return s_is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* s_utf8_cut — the largest length <= @max at which @s (valid UTF-8, @n bytes) can be cut
 * without splitting a character. */
static size_t
s_utf8_cut(const char *s, size_t n, size_t max)
{
    if (n <= max)
        return n;
    while (max > 0 && ((unsigned char)s[max] & 0xC0) == 0x80)
        max--;
    return max;
}

/* s_quote — "'TEXT'" into @buf, TEXT cut to S_SHOW_MAX bytes (with "..."), control bytes
 * shown as '?': messages quote hostile input back to people. */
static void
s_quote(const char *s, size_t n, char *buf, size_t size)
{
    size_t cut = s_utf8_cut(s, n, S_SHOW_MAX);
    char tmp[S_SHOW_MAX + 1];
    for (size_t i = 0; i < cut; i++) {
        unsigned char b = (unsigned char)s[i];
        tmp[i] = (b < 0x20 || b == 0x7F) ? '?' : (char)b;
    }
    tmp[cut] = '\0';
    snprintf(buf, size, "'%s%s'", tmp, cut < n ? "..." : "");
}

/* s_charpos — 1-based character (code point) position of byte @at: what an editor shows. */
static size_t
s_charpos(const s_parser *p, size_t at)
{
    size_t c = 1;
    for (size_t i = 0; i < at && i < p->n; i++)
        if (((unsigned char)p->s[i] & 0xC0) != 0x80)
            c++;
    return c;
}

static bool s_fail(s_parser *p, size_t at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* s_fail — record the first error ("WHAT at character N"); always false. */
static bool
s_fail(s_parser *p, size_t at, const char *fmt, ...)
{
    if (p->failed)
        return false;
    p->failed = true;
    char what[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    snprintf(p->msg, sizeof p->msg, "%s at character %zu", what, s_charpos(p, at));
    return false;
}

static bool
s_nomem(s_parser *p)
{
    p->nomem = true;
    return s_fail(p, p->tok.at, "out of memory");
}

/* s_space — bytes of the whitespace character at @i, or 0. The grammar's WS rule: ASCII
 * blanks and the Unicode space separators (U+0085, U+00A0, U+1680, U+2000..U+200A,
 * U+2028, U+2029, U+202F, U+205F, U+3000), here in UTF-8. */
static size_t
s_space(const s_parser *p, size_t i)
{
    const unsigned char *s = (const unsigned char *)p->s;
    unsigned char c = s[i];
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f')
        return 1;
    if (c == 0xC2 && i + 1 < p->n && (s[i + 1] == 0x85 || s[i + 1] == 0xA0))
        return 2;
    if (i + 2 >= p->n)
        return 0;
    unsigned char c1 = s[i + 1], c2 = s[i + 2];
    if ((c == 0xE1 && c1 == 0x9A && c2 == 0x80) || (c == 0xE3 && c1 == 0x80 && c2 == 0x80) ||
        (c == 0xE2 && c1 == 0x81 && c2 == 0x9F) ||
        (c == 0xE2 && c1 == 0x80 &&
         ((c2 >= 0x80 && c2 <= 0x8A) || c2 == 0xA8 || c2 == 0xA9 || c2 == 0xAF)))
        return 3;
    return 0;
}

/* s_skip_space — past whitespace, block comments and line comments. */
static bool
s_skip_space(s_parser *p)
{
    for (;;) {
        if (p->pos >= p->n)
            return true;
        size_t w = s_space(p, p->pos);
        if (w > 0) {
            p->pos += w;
            continue;
        }
        if (p->s[p->pos] != '/' || p->pos + 1 >= p->n)
            return true;
        if (p->s[p->pos + 1] == '*') {
            size_t start = p->pos;
            size_t i = p->pos + 2;
            while (i + 1 < p->n && !(p->s[i] == '*' && p->s[i + 1] == '/'))
                i++;
            if (i + 1 >= p->n)
                return s_fail(p, start, "unterminated comment");
            p->pos = i + 2;
        } else if (p->s[p->pos + 1] == '/') {
            while (p->pos < p->n && p->s[p->pos] != '\n' && p->s[p->pos] != '\r')
                p->pos++;
        } else {
            return true;
        }
    }
}

/* s_lex_timestamp — @c[0..@n) is the inside of t'...': YYYY-MM-DDTHH:MM:SS[.frac]Z, a
 * real date and time (acc_time_parse_rfc3339 checks the ranges, leap years included). */
static bool
s_timestamp_ok(const char *c, size_t n)
{
    static const char shape[] = "dddd-dd-ddTdd:dd:dd";
    if (n < 20 || n > 40 || c[n - 1] != 'Z')
        return false;
    for (size_t i = 0; i < 19; i++) {
        if (shape[i] == 'd' ? !s_is_digit((unsigned char)c[i]) : c[i] != shape[i])
            return false;
    }
    size_t i = 19;
    if (c[i] == '.') {
        i++;
        size_t start = i;
        while (i < n && s_is_digit((unsigned char)c[i]))
            i++;
        if (i == start)
            return false;
    }
    if (i != n - 1)
        return false;
    char copy[48];
    memcpy(copy, c, n);
    copy[n] = '\0';
    int64_t ms;
    return acc_time_parse_rfc3339(copy, &ms) == ACC_OK;
}

/* s_base64_ok — one or more groups of four base64 characters, the last one possibly
 * padded with '=' or '=='. */
static bool
s_base64_ok(const char *c, size_t n)
{
    if (n == 0 || n % 4 != 0)
        return false;
    size_t pad = 0;
    if (c[n - 1] == '=')
        pad = (c[n - 2] == '=') ? 2 : 1;
    for (size_t i = 0; i < n - pad; i++) {
        unsigned char b = (unsigned char)c[i];
        if (!s_is_alpha(b) && !s_is_digit(b) && b != '+' && b != '/')
            return false;
        if (b == '_')
            return false; /* s_is_alpha takes '_' for identifiers */
    }
    return true;
}

/* s_lex_prefixed — t'...', h'...', b'...' starting at @i (the letter). */
static bool
s_lex_prefixed(s_parser *p, size_t i, s_tok *t)
{
    char prefix = p->s[i];
    size_t j = i + 2;
    while (j < p->n && p->s[j] != '\'')
        j++;
    if (j >= p->n)
        return s_fail(p, i, "unterminated %c'...' literal", prefix);
    const char *c = p->s + i + 2;
    size_t n = j - (i + 2);
    bool ok;
    if (prefix == 't') {
        t->kind = K_TIMESTAMP;
        ok = s_timestamp_ok(c, n);
    } else if (prefix == 'h') {
        t->kind = K_HEX;
        ok = n % 2 == 0;
        for (size_t k = 0; ok && k < n; k++)
            ok = s_is_hex((unsigned char)c[k]);
    } else {
        t->kind = K_BINARY;
        ok = s_base64_ok(c, n);
    }
    if (!ok) {
        char shown[S_SHOW_MAX + 8];
        s_quote(p->s + i, j + 1 - i, shown, sizeof shown);
        return s_fail(p, i, "invalid %s literal %s",
                      prefix == 't'   ? "timestamp"
                      : prefix == 'h' ? "hex"
                                      : "binary",
                      shown);
    }
    t->len = j + 1 - i;
    return true;
}

/* s_lex_number — [+-]? ('0' | [1-9][0-9]*) or [+-]? [0-9]* '.' [0-9]+ at @i. */
static bool
s_lex_number(s_parser *p, size_t i, s_tok *t)
{
    size_t j = i;
    if (p->s[j] == '+' || p->s[j] == '-') {
        t->neg = p->s[j] == '-';
        j++;
    }
    size_t start = j;
    bool zero = true;
    while (j < p->n && s_is_digit((unsigned char)p->s[j])) {
        zero = zero && p->s[j] == '0';
        j++;
    }
    size_t int_digits = j - start;
    if (j + 1 < p->n && p->s[j] == '.' && s_is_digit((unsigned char)p->s[j + 1])) {
        j++;
        while (j < p->n && s_is_digit((unsigned char)p->s[j])) {
            zero = zero && p->s[j] == '0';
            j++;
        }
        t->kind = K_FLOAT;
    } else {
        if (int_digits > 1 && p->s[start] == '0')
            return s_fail(p, i, "integer with a leading zero");
        t->kind = K_INT;
    }
    t->zero = zero;
    t->len = j - i;
    return true;
}

/* s_lex — the next token into p->tok. */
static bool
s_lex(s_parser *p)
{
    if (!s_skip_space(p))
        return false;
    s_tok t = {.kind = K_EOF, .at = p->pos, .len = 1};
    size_t i = p->pos;
    if (i >= p->n) {
        t.len = 0;
        p->tok = t;
        return true;
    }
    unsigned char c = (unsigned char)p->s[i];
    unsigned char c1 = i + 1 < p->n ? (unsigned char)p->s[i + 1] : 0;
    unsigned char c2 = i + 2 < p->n ? (unsigned char)p->s[i + 2] : 0;
    switch (c) {
    case '[':
        t.kind = K_LBRACK;
        break;
    case ']':
        t.kind = K_RBRACK;
        break;
    case '(':
        t.kind = K_LPAREN;
        break;
    case ')':
        t.kind = K_RPAREN;
        break;
    case ':':
        t.kind = K_COLON;
        break;
    case ',':
        t.kind = K_COMMA;
        break;
    case '*':
        t.kind = K_STAR;
        break;
    case '=':
        t.kind = K_EQ;
        t.len = c1 == '=' ? 2 : 1;
        break;
    case '!':
        if (c1 != '=')
            return s_fail(p, i, "unexpected '!'");
        t.kind = K_NEQ;
        t.len = 2;
        break;
    case '<':
        t.kind = c1 == '=' ? K_LE : c1 == '>' ? K_NEQ : K_LT;
        t.len = (c1 == '=' || c1 == '>') ? 2 : 1;
        break;
    case '>':
        t.kind = c1 == '=' ? K_GE : K_GT;
        t.len = c1 == '=' ? 2 : 1;
        break;
    case '\'': {
        size_t j = i + 1;
        while (j < p->n && p->s[j] != '\'') {
            if (p->s[j] == '\\') {
                /* only \' and \\ are escapes; anything else is an error, so a pattern
                 * written for another escaping convention is not misread */
                if (j + 1 >= p->n || (p->s[j + 1] != '\'' && p->s[j + 1] != '\\'))
                    return s_fail(p, j, "invalid escape in string (only \\' and \\\\)");
                j += 2;
            } else {
                j++;
            }
        }
        if (j >= p->n)
            return s_fail(p, i, "unterminated string");
        t.kind = K_STRING;
        t.len = j + 1 - i;
        break;
    }
    case '.':
        if (s_is_digit(c1)) {
            if (!s_lex_number(p, i, &t))
                return false;
        } else {
            t.kind = K_DOT;
        }
        break;
    case '+':
    case '-':
        if (!s_is_digit(c1) && !(c1 == '.' && s_is_digit(c2)))
            return s_fail(p, i, "unexpected '%c'", c);
        if (!s_lex_number(p, i, &t))
            return false;
        break;
    default:
        if (s_is_digit(c)) {
            if (!s_lex_number(p, i, &t))
                return false;
            break;
        }
        if (!s_is_alpha(c)) {
            char shown[S_SHOW_MAX + 8];
            size_t w = 1;
            while (i + w < p->n && w < 4 && ((unsigned char)p->s[i + w] & 0xC0) == 0x80)
                w++;
            s_quote(p->s + i, w, shown, sizeof shown);
            return s_fail(p, i, "unexpected character %s", shown);
        }
        if ((c == 't' || c == 'h' || c == 'b') && c1 == '\'') {
            if (!s_lex_prefixed(p, i, &t))
                return false;
            break;
        }
        size_t j = i + 1;
        bool hyphen = false;
        while (j < p->n && (s_is_alpha((unsigned char)p->s[j]) ||
                            s_is_digit((unsigned char)p->s[j]) || p->s[j] == '-')) {
            hyphen = hyphen || p->s[j] == '-';
            j++;
        }
        t.len = j - i;
        t.kind = hyphen ? K_IDENT_HYPHEN : K_IDENT;
        for (size_t k = 0; !hyphen && k < sizeof s_keywords / sizeof s_keywords[0]; k++) {
            if (strlen(s_keywords[k].word) == t.len &&
                memcmp(s_keywords[k].word, p->s + i, t.len) == 0) {
                t.kind = s_keywords[k].kind;
                break;
            }
        }
        break;
    }
    p->pos = i + t.len;
    p->tok = t;
    return true;
}

/* s_expected — "expected WHAT but found 'TOKEN' at character N". */
static bool
s_expected(s_parser *p, const char *what)
{
    if (p->tok.kind == K_EOF)
        return s_fail(p, p->tok.at, "expected %s but found the end of the pattern", what);
    char shown[S_SHOW_MAX + 8];
    s_quote(p->s + p->tok.at, p->tok.len, shown, sizeof shown);
    return s_fail(p, p->tok.at, "expected %s but found %s", what, shown);
}

/* s_want — the current token must be @kind (described as @what); move past it. */
static bool
s_want(s_parser *p, s_kind kind, const char *what)
{
    if (p->tok.kind != kind)
        return s_expected(p, what);
    return s_lex(p);
}

/* s_add — remember the string literal @t as a url (or domain) value. Empty values carry
 * nothing to report and are dropped. */
static bool
s_add(s_parser *p, const s_tok *t, bool domain)
{
    const char *raw = p->s + t->at + 1;
    size_t n = t->len - 2;
    if (n == 0)
        return true;
    if (p->n_vals == p->cap_vals) {
        size_t cap = p->cap_vals ? p->cap_vals * 2 : 4;
        s_val *v = realloc(p->vals, cap * sizeof *v);
        if (!v)
            return s_nomem(p);
        p->vals = v;
        p->cap_vals = cap;
    }
    char *out = malloc(n + 1);
    if (!out)
        return s_nomem(p);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (raw[i] == '\\')
            i++; /* the lexer allowed only \' and \\ */
        out[k++] = raw[i];
    }
    out[k] = '\0';
    p->vals[p->n_vals].domain = domain;
    p->vals[p->n_vals].value = out;
    p->n_vals++;
    return true;
}

static bool
s_is_literal(s_kind k)
{
    return k == K_STRING || k == K_INT || k == K_FLOAT || k == K_BOOL || k == K_TIMESTAMP ||
           k == K_HEX || k == K_BINARY;
}

static bool
s_enter(s_parser *p)
{
    if (++p->depth > S_DEPTH_MAX)
        return s_fail(p, p->tok.at, "parentheses nested deeper than %d", S_DEPTH_MAX);
    return true;
}

/* s_name — a property name: an identifier without hyphens, or a quoted string. Sets
 * *@is_value when it is exactly "value". */
static bool
s_name(s_parser *p, bool *is_value)
{
    s_tok t = p->tok;
    if (t.kind == K_IDENT_HYPHEN) {
        char shown[S_SHOW_MAX + 8];
        s_quote(p->s + t.at, t.len, shown, sizeof shown);
        return s_fail(p, t.at, "property name %s has a hyphen and must be quoted", shown);
    }
    if (t.kind != K_IDENT && t.kind != K_STRING)
        return s_expected(p, "a property name");
    const char *name = p->s + t.at;
    size_t n = t.len;
    if (t.kind == K_STRING) {
        name++;
        n -= 2;
    }
    *is_value = n == 5 && memcmp(name, "value", 5) == 0;
    return s_lex(p);
}

/* s_path — an object path; *@target says whether it is url:value or domain-name:value
 * (and *@domain which). */
static bool
s_path(s_parser *p, bool *target, bool *domain)
{
    s_tok type = p->tok;
    if (type.kind != K_IDENT && type.kind != K_IDENT_HYPHEN)
        return s_expected(p, "an object path");
    if (!s_lex(p) || !s_want(p, K_COLON, "':'"))
        return false;
    bool is_value = false, ignored;
    if (!s_name(p, &is_value))
        return false;
    size_t steps = 1;
    for (;;) {
        if (p->tok.kind == K_DOT) {
            if (!s_lex(p) || !s_name(p, &ignored))
                return false;
        } else if (p->tok.kind == K_LBRACK) {
            if (!s_lex(p))
                return false;
            if (p->tok.kind != K_INT && p->tok.kind != K_STAR)
                return s_expected(p, "a list index or '*'");
            if (!s_lex(p) || !s_want(p, K_RBRACK, "']'"))
                return false;
        } else {
            break;
        }
        steps++;
    }
    bool is_url = type.len == 3 && memcmp(p->s + type.at, "url", 3) == 0;
    bool is_domain = type.len == 11 && memcmp(p->s + type.at, "domain-name", 11) == 0;
    *target = steps == 1 && is_value && (is_url || is_domain);
    *domain = is_domain;
    return true;
}

static bool s_cmp_or(s_parser *p);

/* s_prop_test — one comparison, or a parenthesised comparison expression. */
static bool
s_prop_test(s_parser *p)
{
    if (p->tok.kind == K_LPAREN) {
        if (!s_enter(p) || !s_lex(p) || !s_cmp_or(p) || !s_want(p, K_RPAREN, "')'"))
            return false;
        p->depth--;
        return true;
    }
    bool target = false, domain = false;
    if (p->tok.kind == K_EXISTS)
        return s_lex(p) && s_path(p, &target, &domain);
    if (!s_path(p, &target, &domain))
        return false;
    bool negated = false;
    if (p->tok.kind == K_NOT) {
        negated = true;
        if (!s_lex(p))
            return false;
    }
    /* only a positive '=' or IN says "this URL is bad"; '!=' or NOT says the opposite */
    bool collect = target && !negated;
    s_kind op = p->tok.kind;
    switch (op) {
    case K_EQ:
    case K_NEQ:
        if (!s_lex(p))
            return false;
        if (!s_is_literal(p->tok.kind))
            return s_expected(p, "a literal");
        if (op == K_EQ && collect && p->tok.kind == K_STRING && !s_add(p, &p->tok, domain))
            return false;
        return s_lex(p);
    case K_LT:
    case K_LE:
    case K_GT:
    case K_GE:
        if (!s_lex(p))
            return false;
        if (!s_is_literal(p->tok.kind) || p->tok.kind == K_BOOL)
            return s_expected(p, "an orderable literal");
        return s_lex(p);
    case K_IN:
        if (!s_lex(p) || !s_want(p, K_LPAREN, "'('"))
            return false;
        if (p->tok.kind == K_RPAREN)
            return s_lex(p);
        for (;;) {
            if (!s_is_literal(p->tok.kind))
                return s_expected(p, "a literal");
            if (collect && p->tok.kind == K_STRING && !s_add(p, &p->tok, domain))
                return false;
            if (!s_lex(p))
                return false;
            if (p->tok.kind != K_COMMA)
                break;
            if (!s_lex(p))
                return false;
        }
        return s_want(p, K_RPAREN, "',' or ')'");
    case K_LIKE:
    case K_MATCHES:
    case K_ISSUBSET:
    case K_ISSUPERSET:
        return s_lex(p) && s_want(p, K_STRING, "a string");
    default:
        return s_expected(p, "a comparison operator");
    }
}

static bool
s_cmp_and(s_parser *p)
{
    if (!s_prop_test(p))
        return false;
    while (p->tok.kind == K_AND)
        if (!s_lex(p) || !s_prop_test(p))
            return false;
    return true;
}

static bool
s_cmp_or(s_parser *p)
{
    if (!s_cmp_and(p))
        return false;
    while (p->tok.kind == K_OR)
        if (!s_lex(p) || !s_cmp_and(p))
            return false;
    return true;
}

static bool s_obs_fby(s_parser *p);

static bool
s_obs_primary(s_parser *p)
{
    if (p->tok.kind == K_LBRACK)
        return s_lex(p) && s_cmp_or(p) && s_want(p, K_RBRACK, "']'");
    if (p->tok.kind == K_LPAREN) {
        if (!s_enter(p) || !s_lex(p) || !s_obs_fby(p) || !s_want(p, K_RPAREN, "')'"))
            return false;
        p->depth--;
        return true;
    }
    return s_expected(p, "'[' or '('");
}

/* s_positive — the current token is a number > 0 (of the kinds @float_ok allows). */
static bool
s_positive(s_parser *p, bool float_ok, const char *what)
{
    s_tok t = p->tok;
    if (!(t.kind == K_INT || (float_ok && t.kind == K_FLOAT)))
        return s_expected(p, what);
    if (t.neg || t.zero)
        return s_fail(p, t.at, "%s must be positive", what);
    return s_lex(p);
}

static bool
s_obs_qual(s_parser *p)
{
    if (!s_obs_primary(p))
        return false;
    for (;;) {
        switch (p->tok.kind) {
        case K_WITHIN:
            if (!s_lex(p) || !s_positive(p, true, "a number of seconds") ||
                !s_want(p, K_SECONDS, "SECONDS"))
                return false;
            break;
        case K_REPEATS:
            if (!s_lex(p) || !s_positive(p, false, "a repeat count") ||
                !s_want(p, K_TIMES, "TIMES"))
                return false;
            break;
        case K_START:
            if (!s_lex(p) || !s_want(p, K_TIMESTAMP, "a t'...' timestamp") ||
                !s_want(p, K_STOP, "STOP") || !s_want(p, K_TIMESTAMP, "a t'...' timestamp"))
                return false;
            break;
        default:
            return true;
        }
    }
}

static bool
s_obs_and(s_parser *p)
{
    if (!s_obs_qual(p))
        return false;
    while (p->tok.kind == K_AND)
        if (!s_lex(p) || !s_obs_qual(p))
            return false;
    return true;
}

static bool
s_obs_or(s_parser *p)
{
    if (!s_obs_and(p))
        return false;
    while (p->tok.kind == K_OR)
        if (!s_lex(p) || !s_obs_and(p))
            return false;
    return true;
}

static bool
s_obs_fby(s_parser *p)
{
    if (!s_obs_or(p))
        return false;
    while (p->tok.kind == K_FOLLOWEDBY)
        if (!s_lex(p) || !s_obs_or(p))
            return false;
    return true;
}

static void
s_parser_release(s_parser *p)
{
    for (size_t i = 0; i < p->n_vals; i++)
        free(p->vals[i].value);
    free(p->vals);
    p->vals = NULL;
    p->n_vals = p->cap_vals = 0;
}

/* s_pattern_parse — parse @s[0..@n); on success p->vals holds the url/domain values.
 * On failure p->msg says what and where, and p->nomem whether memory ran out. */
static bool
s_pattern_parse(s_parser *p, const char *s, size_t n)
{
    memset(p, 0, sizeof *p);
    p->s = s;
    p->n = n;
    if (s_lex(p) && s_obs_fby(p)) {
        if (p->tok.kind == K_EOF)
            return true;
        s_expected(p, "AND, OR, FOLLOWEDBY, a qualifier or the end of the pattern");
    }
    s_parser_release(p);
    return false;
}

/* ======================================================================================
 * The bundle.
 * ====================================================================================== */

typedef struct {
    const acc_feed_opts_t *opts;
    size_t len;                   /* of the document: offsets are reported against it */
    json_t *root;                 /* the bundle, owned */
    json_t *objects;              /* borrowed from root; NULL when the bundle has none */
    json_t *by_id;                /* id → object, for object_refs; owned */
    size_t n, next;               /* objects, and the index of the next one to read */
    Accord__V1__Report **pending; /* reports of the current object not yet handed out */
    size_t n_pending, i_pending;
    char where[128]; /* of the current object */
} s_stix;

/* Cyber-observable types of STIX 2.1: these may omit spec_version. */
static const char *const s_sco_types[] = {
    "artifact",
    "autonomous-system",
    "directory",
    "domain-name",
    "email-addr",
    "email-message",
    "file",
    "ipv4-addr",
    "ipv6-addr",
    "mac-addr",
    "mutex",
    "network-traffic",
    "process",
    "software",
    "url",
    "user-account",
    "windows-registry-key",
    "x509-certificate",
};

static bool
s_is_sco(const char *type)
{
    for (size_t i = 0; i < sizeof s_sco_types / sizeof s_sco_types[0]; i++)
        if (strcmp(type, s_sco_types[i]) == 0)
            return true;
    return false;
}

static const char *
s_str(json_t *obj, const char *key)
{
    return json_string_value(json_object_get(obj, key));
}

/* s_type_ok — a STIX type name: 3..250 of a-z, 0-9 and '-'. */
static bool
s_type_ok(const char *t)
{
    size_t n = strlen(t);
    if (n < 3 || n > 250)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((t[i] >= 'a' && t[i] <= 'z') || s_is_digit((unsigned char)t[i]) || t[i] == '-'))
            return false;
    return true;
}

/* s_uuid_ok — 8-4-4-4-12 hex digits. */
static bool
s_uuid_ok(const char *u)
{
    for (size_t i = 0; i < 36; i++) {
        bool dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash ? u[i] != '-' : !s_is_hex((unsigned char)u[i]))
            return false;
    }
    return u[36] == '\0';
}

/* s_id_ok — "@type--<uuid>". */
static bool
s_id_ok(const char *id, const char *type)
{
    size_t tn = strlen(type);
    return id && strncmp(id, type, tn) == 0 && id[tn] == '-' && id[tn + 1] == '-' &&
           s_uuid_ok(id + tn + 2);
}

static void s_err(acc_errinfo_t *ei, const char *where, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* s_err — @ei with field "WHERE: KEY" (or "WHERE") and the message. */
static void
s_err(acc_errinfo_t *ei, const char *where, const char *key, const char *fmt, ...)
{
    char field[sizeof ei->field];
    if (key)
        snprintf(field, sizeof field, "%s: %s", where, key);
    else
        snprintf(field, sizeof field, "%s", where);
    char msg[sizeof ei->msg];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    acc_errinfo_set(ei, field, "%s", msg);
}

/* s_shown — @s quoted for a message (see s_quote). */
static void
s_shown(const char *s, char *buf, size_t size)
{
    s_quote(s, strlen(s), buf, size);
}

static void
s_pending_free(s_stix *st)
{
    for (size_t i = st->i_pending; i < st->n_pending; i++)
        accord__v1__report__free_unpacked(st->pending[i], NULL);
    free(st->pending);
    st->pending = NULL;
    st->n_pending = st->i_pending = 0;
}

static void
s_destroy(void *state)
{
    s_stix *st = state;
    if (!st)
        return;
    s_pending_free(st);
    json_decref(st->by_id);
    json_decref(st->root);
    free(st);
}

static size_t
s_offset(const void *state)
{
    const s_stix *st = state;
    if (st->next >= st->n && st->i_pending >= st->n_pending)
        return st->len;
    /* the document was parsed at open: objects read so far stand in for bytes */
    return (st->len / st->n) * st->next + ((st->len % st->n) * st->next) / st->n;
}

/* --- per-object fields ----------------------------------------------------------------- */

/* s_time — @key (else @fallback) as ms since the epoch; 0 when neither is present. */
static acc_err
s_time(json_t *obj, const char *key, const char *fallback, const char *where, int64_t *ms,
       acc_errinfo_t *ei)
{
    json_t *v = json_object_get(obj, key);
    if (!v) {
        key = fallback;
        v = json_object_get(obj, key);
    }
    *ms = 0;
    if (!v)
        return ACC_OK;
    if (!json_is_string(v) || acc_time_parse_rfc3339(json_string_value(v), ms) != ACC_OK) {
        s_err(ei, where, key, "is not an RFC 3339 timestamp");
        return ACC_ERR_INVALID;
    }
    return ACC_OK;
}

/* s_confidence — the object's confidence into *@c, *@has false when absent. */
static acc_err
s_confidence(json_t *obj, const char *where, uint32_t *c, bool *has, acc_errinfo_t *ei)
{
    json_t *v = json_object_get(obj, "confidence");
    *has = v != NULL;
    if (!v)
        return ACC_OK;
    json_int_t i = json_is_integer(v) ? json_integer_value(v) : -1;
    if (i < 0 || i > 100) {
        s_err(ei, where, "confidence", "must be an integer from 0 to 100");
        return ACC_ERR_INVALID;
    }
    *c = (uint32_t)i;
    return ACC_OK;
}

/* s_tags — the strings of @obj's "labels" and then "indicator_types" (borrowed), in a
 * malloc'd array: the tag map decides the category from the first one it knows. */
static acc_err
s_tags(json_t *obj, const char ***tags, size_t *n)
{
    json_t *lists[2] = {json_object_get(obj, "labels"), json_object_get(obj, "indicator_types")};
    size_t total = json_array_size(lists[0]) + json_array_size(lists[1]);
    *tags = NULL;
    *n = 0;
    if (total == 0)
        return ACC_OK;
    const char **t = malloc(total * sizeof *t);
    if (!t)
        return ACC_ERR_NOMEM;
    size_t k = 0;
    for (size_t l = 0; l < 2; l++) {
        size_t i;
        json_t *v;
        json_array_foreach(lists[l], i, v)
        {
            if (json_is_string(v))
                t[k++] = json_string_value(v);
        }
    }
    *tags = t;
    *n = k;
    return ACC_OK;
}

/* s_host_ok — a domain-name value that can stand as the host of "http://DOMAIN/": no
 * characters that would make part of it a path, a port, credentials or a fragment. */
static bool
s_host_ok(const char *d)
{
    if (!d[0])
        return false;
    for (const unsigned char *c = (const unsigned char *)d; *c; c++)
        if (*c <= 0x20 || *c == 0x7F || strchr("/?#@:\\[]%", *c))
            return false;
    return true;
}

typedef struct {
    char **v;
    size_t n, cap;
} s_urls;

static void
s_urls_free(s_urls *u)
{
    for (size_t i = 0; i < u->n; i++)
        free(u->v[i]);
    free(u->v);
    u->v = NULL;
    u->n = u->cap = 0;
}

/* s_urls_add — @value (a url, or a domain that becomes http://DOMAIN/) unless already
 * there: one object naming the same URL twice gives one report. */
static acc_err
s_urls_add(s_urls *u, bool domain, const char *value, const char *where, acc_errinfo_t *ei)
{
    char *url;
    if (domain) {
        if (!s_host_ok(value)) {
            char shown[S_SHOW_MAX + 8];
            s_shown(value, shown, sizeof shown);
            s_err(ei, where, "domain-name", "value %s is not a host name", shown);
            return ACC_ERR_INVALID;
        }
        url = acc_feed_domain_url(value);
    } else {
        url = strdup(value);
    }
    if (!url)
        return ACC_ERR_NOMEM;
    for (size_t i = 0; i < u->n; i++) {
        if (strcmp(u->v[i], url) == 0) {
            free(url);
            return ACC_OK;
        }
    }
    if (u->n == u->cap) {
        size_t cap = u->cap ? u->cap * 2 : 4;
        char **v = realloc(u->v, cap * sizeof *v);
        if (!v) {
            free(url);
            return ACC_ERR_NOMEM;
        }
        u->v = v;
        u->cap = cap;
    }
    u->v[u->n++] = url;
    return ACC_OK;
}

/* s_sco — if @obj is a url or domain-name object with a value, add it. */
static acc_err
s_sco(s_urls *u, json_t *obj, const char *where, acc_errinfo_t *ei)
{
    const char *type = s_str(obj, "type");
    const char *value = s_str(obj, "value");
    if (!type || !value || !value[0])
        return ACC_OK;
    if (strcmp(type, "url") == 0)
        return s_urls_add(u, false, value, where, ei);
    if (strcmp(type, "domain-name") == 0)
        return s_urls_add(u, true, value, where, ei);
    return ACC_OK;
}

/* s_emit — turn @u into st->pending, reports of the object at st->where. */
static acc_err
s_emit(s_stix *st, json_t *obj, const s_urls *u, const char *id, int64_t ms, acc_errinfo_t *ei)
{
    uint32_t conf = 0;
    bool has_conf = false;
    const char **tags = NULL;
    size_t n_tags = 0;
    acc_err rc = s_confidence(obj, st->where, &conf, &has_conf, ei);
    if (rc != ACC_OK)
        return rc;
    if ((rc = s_tags(obj, &tags, &n_tags)) != ACC_OK)
        return rc;
    rc = ACC_ERR_NOMEM;
    st->pending = calloc(u->n, sizeof *st->pending);
    if (!st->pending)
        goto out;
    for (size_t i = 0; i < u->n; i++) {
        Accord__V1__Report *r = acc_feed_report_new(st->opts, u->v[i], id, ms, tags, n_tags);
        if (!r)
            goto out;
        if (has_conf)
            r->confidence = conf;
        st->pending[st->n_pending++] = r;
    }
    rc = ACC_OK;
out:
    if (rc != ACC_OK)
        s_pending_free(st);
    free(tags);
    return rc;
}

/* --- objects --------------------------------------------------------------------------- */

static acc_err
s_indicator(s_stix *st, acc_feed_t *feed, json_t *obj, const char *id, acc_errinfo_t *ei)
{
    const char *ptype = s_str(obj, "pattern_type");
    if (!ptype) {
        s_err(ei, st->where, "pattern_type", "is missing");
        return ACC_ERR_INVALID;
    }
    if (strcmp(ptype, "stix") != 0) {
        char reason[128];
        snprintf(reason, sizeof reason, "stix pattern_type '%s'", ptype);
        return acc_feed_skip(feed, reason);
    }
    json_t *pv = json_object_get(obj, "pattern");
    if (!json_is_string(pv)) {
        s_err(ei, st->where, "pattern", "is missing");
        return ACC_ERR_INVALID;
    }
    size_t plen = json_string_length(pv);
    if (plen > S_PATTERN_MAX) {
        s_err(ei, st->where, "pattern", "is %zu bytes, more than the %zu allowed", plen,
              S_PATTERN_MAX);
        return ACC_ERR_TOO_LARGE;
    }
    int64_t ms;
    acc_err rc = s_time(obj, "valid_from", "created", st->where, &ms, ei);
    if (rc != ACC_OK)
        return rc;
    s_parser p;
    if (!s_pattern_parse(&p, json_string_value(pv), plen)) {
        if (p.nomem)
            return ACC_ERR_NOMEM;
        s_err(ei, st->where, "pattern", "%s", p.msg);
        return ACC_ERR_INVALID;
    }
    s_urls u = {0};
    for (size_t i = 0; i < p.n_vals && rc == ACC_OK; i++)
        rc = s_urls_add(&u, p.vals[i].domain, p.vals[i].value, st->where, ei);
    s_parser_release(&p);
    if (rc == ACC_OK) {
        if (u.n == 0)
            rc = acc_feed_skip(feed, "stix indicator without url or domain");
        else
            rc = s_emit(st, obj, &u, id, ms, ei);
    }
    s_urls_free(&u);
    return rc;
}

static acc_err
s_observed(s_stix *st, acc_feed_t *feed, json_t *obj, const char *id, acc_errinfo_t *ei)
{
    int64_t ms;
    acc_err rc = s_time(obj, "first_observed", "created", st->where, &ms, ei);
    if (rc != ACC_OK)
        return rc;
    json_t *embedded = json_object_get(obj, "objects");
    json_t *refs = json_object_get(obj, "object_refs");
    if (embedded && !json_is_object(embedded)) {
        s_err(ei, st->where, "objects", "must be an object of cyber-observables");
        return ACC_ERR_INVALID;
    }
    if (refs && !json_is_array(refs)) {
        s_err(ei, st->where, "object_refs", "must be a list of identifiers");
        return ACC_ERR_INVALID;
    }
    s_urls u = {0};
    size_t dangling = 0;
    const char *key;
    json_t *v;
    json_object_foreach(embedded, key, v)
    {
        if (rc == ACC_OK)
            rc = s_sco(&u, v, st->where, ei);
    }
    size_t i;
    json_array_foreach(refs, i, v)
    {
        if (rc != ACC_OK)
            break;
        if (!json_is_string(v)) {
            s_err(ei, st->where, "object_refs", "must be a list of identifiers");
            rc = ACC_ERR_INVALID;
            break;
        }
        json_t *target = json_object_get(st->by_id, json_string_value(v));
        if (!target)
            dangling++;
        else
            rc = s_sco(&u, target, st->where, ei);
    }
    if (rc == ACC_OK && dangling > 0)
        rc = acc_feed_skip(feed, "stix reference not in bundle");
    if (rc == ACC_OK && u.n == 0 && dangling == 0)
        rc = acc_feed_skip(feed, "stix observed-data without url or domain");
    if (rc == ACC_OK && u.n > 0)
        rc = s_emit(st, obj, &u, id, ms, ei);
    s_urls_free(&u);
    return rc;
}

/* s_object — read object @idx: reports into st->pending, a skip, or an error. */
static acc_err
s_object(s_stix *st, acc_feed_t *feed, size_t idx, acc_errinfo_t *ei)
{
    json_t *obj = json_array_get(st->objects, idx);
    snprintf(st->where, sizeof st->where, "objects[%zu]", idx);
    if (!json_is_object(obj)) {
        s_err(ei, st->where, NULL, "a STIX object must be a JSON object");
        return ACC_ERR_INVALID;
    }
    const char *type = s_str(obj, "type");
    if (!type) {
        s_err(ei, st->where, "type", "is missing");
        return ACC_ERR_INVALID;
    }
    if (!s_type_ok(type)) {
        char shown[S_SHOW_MAX + 8];
        s_shown(type, shown, sizeof shown);
        s_err(ei, st->where, "type", "%s is not a STIX type name", shown);
        return ACC_ERR_INVALID;
    }
    bool indicator = strcmp(type, "indicator") == 0;
    bool observed = strcmp(type, "observed-data") == 0;
    char reason[300];
    if (!indicator && !observed) {
        bool data = strcmp(type, "url") == 0 || strcmp(type, "domain-name") == 0;
        snprintf(reason, sizeof reason, "stix object type '%s'%s", type,
                 data ? " (referenced data)" : "");
        return acc_feed_skip(feed, reason);
    }
    const char *id = s_str(obj, "id");
    if (!s_id_ok(id, type)) {
        s_err(ei, st->where, "id", "must be '%s--' and a UUID", type);
        return ACC_ERR_INVALID;
    }
    snprintf(st->where, sizeof st->where, "%s", id);
    if (json_is_true(json_object_get(obj, "revoked"))) {
        /* the producer withdrew it: reporting it would report what the source retracted */
        snprintf(reason, sizeof reason, "stix %s revoked", type);
        return acc_feed_skip(feed, reason);
    }
    return indicator ? s_indicator(st, feed, obj, id, ei) : s_observed(st, feed, obj, id, ei);
}

static acc_err
s_next(void *state, acc_feed_t *feed, Accord__V1__Report **out, char *where, size_t where_len,
       acc_errinfo_t *ei)
{
    s_stix *st = state;
    for (;;) {
        if (st->i_pending < st->n_pending) {
            *out = st->pending[st->i_pending++];
            snprintf(where, where_len, "%s", st->where);
            return ACC_OK;
        }
        s_pending_free(st);
        if (st->next >= st->n)
            return ACC_ERR_NOT_FOUND;
        acc_err rc = s_object(st, feed, st->next++, ei);
        if (rc != ACC_OK) {
            s_pending_free(st);
            snprintf(where, where_len, "%s", st->where);
            return rc;
        }
    }
}

static const acc_feed_parser_t s_ops = {
    .next = s_next,
    .offset = s_offset,
    .destroy = s_destroy,
};

/* --- open ------------------------------------------------------------------------------ */

static acc_err s_not_stix(acc_errinfo_t *ei, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static acc_err
s_not_stix(acc_errinfo_t *ei, const char *field, const char *fmt, ...)
{
    char what[300];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    acc_errinfo_set(ei, field, "not a STIX 2.1 bundle: %s", what);
    return ACC_ERR_INVALID;
}

/* s_check — the bundle is STIX 2.1, and build the id map. */
static acc_err
s_check(s_stix *st, acc_errinfo_t *ei)
{
    json_t *root = st->root;
    char shown[S_SHOW_MAX + 8];
    if (!json_is_object(root))
        return s_not_stix(ei, "", "the document is not a JSON object");
    const char *type = s_str(root, "type");
    if (!type || strcmp(type, "bundle") != 0)
        return s_not_stix(ei, "type", "type is not 'bundle'");
    const char *id = s_str(root, "id");
    if (!s_id_ok(id, "bundle"))
        return s_not_stix(ei, "id", "id is not 'bundle--' and a UUID");
    /* STIX 2.0 put spec_version on the bundle; 2.1 puts it on each object */
    json_t *sv = json_object_get(root, "spec_version");
    if (sv && !(json_is_string(sv) && strcmp(json_string_value(sv), "2.1") == 0)) {
        s_shown(json_is_string(sv) ? json_string_value(sv) : "?", shown, sizeof shown);
        return s_not_stix(ei, "spec_version", "the bundle's spec_version is %s", shown);
    }
    st->objects = json_object_get(root, "objects");
    if (st->objects && !json_is_array(st->objects))
        return s_not_stix(ei, "objects", "objects is not a list");
    st->n = json_array_size(st->objects);
    if (!(st->by_id = json_object()))
        return ACC_ERR_NOMEM;
    size_t i;
    json_t *obj;
    json_array_foreach(st->objects, i, obj)
    {
        char field[64];
        snprintf(field, sizeof field, "objects[%zu]", i);
        if (!json_is_object(obj))
            continue; /* an error for that record alone, when it is read */
        const char *otype = s_str(obj, "type");
        const char *oid = s_str(obj, "id");
        sv = json_object_get(obj, "spec_version");
        if (sv && !(json_is_string(sv) && strcmp(json_string_value(sv), "2.1") == 0)) {
            s_shown(json_is_string(sv) ? json_string_value(sv) : "?", shown, sizeof shown);
            return s_not_stix(ei, field, "object has spec_version %s", shown);
        }
        /* custom (x-) types cannot be told apart as SDO or SCO: let them through */
        if (!sv && otype && !s_is_sco(otype) && strncmp(otype, "x-", 2) != 0) {
            s_shown(otype, shown, sizeof shown);
            return s_not_stix(ei, field, "%s object without spec_version (STIX 2.0?)", shown);
        }
        /* the first object with an id wins: later versions of an SCO do not change its
         * value, and the first is what a reader of the file sees first */
        if (oid && !json_object_get(st->by_id, oid) && json_object_set(st->by_id, oid, obj) != 0)
            return ACC_ERR_NOMEM;
    }
    return ACC_OK;
}

acc_err
acc_feed_stix_open(const char *data, size_t len, const acc_feed_opts_t *opts, void **state,
                   const acc_feed_parser_t **ops, acc_errinfo_t *ei)
{
    acc_err rc = ACC_ERR_NOMEM;
    s_stix *st = calloc(1, sizeof *st);
    if (!st)
        goto out;
    st->opts = opts;
    st->len = len;
    /* Duplicate keys are rejected: two readers of the same bundle must not disagree on
     * which "pattern" or "type" counts. */
    if ((rc = acc_feed_json_load(data, len, 0, &st->root, ei)) != ACC_OK)
        goto out;
    if ((rc = s_check(st, ei)) != ACC_OK)
        goto out;
    *state = st;
    *ops = &s_ops;
    st = NULL;
out:
    s_destroy(st);
    return rc;
}
