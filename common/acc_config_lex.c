/*
 * acc_config_lex — the scanner that runs over node.cfg (and its includes, and peers.cfg)
 * before libconfig does.
 *
 * libconfig 1.5 wraps a decimal integer that does not fit 32 bits (3000000000 reads back
 * as -1294967296, 4294966876 as -420) and gives no way to notice afterwards. So before
 * the parse this scanner reads the file, finds every integer literal that libconfig will
 * wrap, and records it by key path (ctx->flags); the walker then reports reading such a
 * key as a range error instead of taking a silently wrong value. The same pass refuses
 * includes that are not regular files, which would make libconfig 1.5 exit the process.
 */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "acc_config_int.h"

#define S_FILE_MAX (16 << 20) /* a config file larger than this is a mistake */
#define S_INCLUDE_DEPTH 10    /* libconfig 1.5's MAX_INCLUDE_DEPTH */
#define S_INCLUDE_MAX 64      /* files per load: a self-including fan-out grows fast */
#define S_LEX_DEPTH 32        /* nesting the scanner tracks by name; deeper is unknown */
#define S_FLAGS_MAX 256       /* wrapped literals remembered; more is an error */

/*
 * A lexer for just enough of libconfig's syntax (comments, strings, names, numbers,
 * brackets, @include) to know the key path of each integer literal. It runs before
 * libconfig, on any bytes: on a file that parses, its key paths are right; on one that
 * does not, libconfig's syntax error is what gets reported, and the lexer must merely
 * not crash.
 */
typedef struct s_lex {
    acc_config_ctx_t *ctx;
    char path[ACC_CONFIG_KEYPATH_MAX]; /* key path of the innermost aggregate */
    size_t frame_len[S_LEX_DEPTH];     /* path length of each open aggregate */
    bool frame_list[S_LEX_DEPTH];      /* list or array (else group) */
    int frame_index[S_LEX_DEPTH];      /* element index inside a list */
    int depth;                         /* open aggregates; frame 0 is the root group */
    int lost;                          /* aggregates nested deeper than S_LEX_DEPTH */
    char name[ACC_CONFIG_KEYPATH_MAX]; /* last setting name seen in the current group */
    int n_includes;                    /* @include files opened so far */
} s_lex_t;

static void
s_lex_component(const s_lex_t *lx, char *buf, size_t size)
{
    int top = lx->depth - 1;
    if (lx->frame_list[top])
        acc_config_fmt(buf, size, "%s[%d]", lx->path, lx->frame_index[top]);
    else if (lx->path[0])
        acc_config_fmt(buf, size, "%s.%s", lx->path, lx->name);
    else
        snprintf(buf, size, "%s", lx->name);
}

static void
s_lex_push(s_lex_t *lx, bool list)
{
    if (lx->lost > 0 || lx->depth == S_LEX_DEPTH) {
        lx->lost++;
        return;
    }
    char next[ACC_CONFIG_KEYPATH_MAX];
    s_lex_component(lx, next, sizeof next);
    memcpy(lx->path, next, sizeof next);
    lx->frame_len[lx->depth] = strlen(lx->path);
    lx->frame_list[lx->depth] = list;
    lx->frame_index[lx->depth] = 0;
    lx->depth++;
    lx->name[0] = '\0';
}

static void
s_lex_pop(s_lex_t *lx)
{
    if (lx->lost > 0) {
        lx->lost--;
        return;
    }
    if (lx->depth > 1) {
        lx->depth--;
        lx->path[lx->frame_len[lx->depth - 1]] = '\0';
    }
    lx->name[0] = '\0';
}

static void
s_lex_flag(s_lex_t *lx, const char *tok, size_t toklen, const char *file, int line)
{
    acc_config_ctx_t *ctx = lx->ctx;
    if (ctx->n_flags == S_FLAGS_MAX) {
        ctx->flags_overflow = true;
        return;
    }
    if (ctx->n_flags % 16 == 0) {
        acc_config_flag_t *more = realloc(ctx->flags, (ctx->n_flags + 16) * sizeof *more);
        if (!more) {
            ctx->fatal = ACC_ERR_NOMEM;
            return;
        }
        ctx->flags = more;
    }
    acc_config_flag_t *f = &ctx->flags[ctx->n_flags];
    memset(f, 0, sizeof *f);
    if (lx->lost > 0)
        snprintf(f->path, sizeof f->path, "%s", lx->path);
    else
        s_lex_component(lx, f->path, sizeof f->path);
    snprintf(f->literal, sizeof f->literal, "%.*s", (int)toklen, tok);
    size_t wlen = strlen(file) + 16;
    f->where = malloc(wlen);
    if (!f->where) {
        ctx->fatal = ACC_ERR_NOMEM;
        return;
    }
    snprintf(f->where, wlen, "%s:%d", file, line);
    ctx->n_flags++;
}

static bool
s_is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool
s_is_xdigit(char c)
{
    return s_is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* Length of [eE][-+]?[0-9]+ at @p, or 0. */
static size_t
s_exp_len(const char *p, const char *end)
{
    if (p >= end || (*p != 'e' && *p != 'E'))
        return 0;
    const char *q = p + 1;
    if (q < end && (*q == '+' || *q == '-'))
        q++;
    const char *d = q;
    while (q < end && s_is_digit(*q))
        q++;
    return q > d ? (size_t)(q - p) : 0;
}

/* Optional "L" or "LL" after an integer. */
static size_t
s_l_len(const char *p, const char *end)
{
    if (p >= end || *p != 'L')
        return 0;
    return (p + 1 < end && p[1] == 'L') ? 2 : 1;
}

/*
 * A number token at @p, matched the way flex does (longest of libconfig's integer,
 * integer64, hex, hex64 and float patterns). Returns its length (0: not a number) and
 * sets *wraps when libconfig 1.5 cannot hold its value: a plain decimal or hex literal
 * beyond 32 bits (stored wrapped) or an L literal beyond 64 bits.
 */
static size_t
s_lex_number(const char *p, const char *end, bool *wraps)
{
    *wraps = false;
    const char *q = p;
    bool neg = false;
    if (q < end && (*q == '+' || *q == '-'))
        neg = *q++ == '-';
    const char *digits = q;
    while (q < end && s_is_digit(*q))
        q++;
    size_t ndig = (size_t)(q - digits);

    /* float: [-+]?[0-9]*\.[0-9]*(exp)?  or  [-+]?[0-9]+(\.[0-9]*)?exp */
    size_t flen = 0;
    if (q < end && *q == '.') {
        const char *r = q + 1;
        while (r < end && s_is_digit(*r))
            r++;
        flen = (size_t)(r - p) + s_exp_len(r, end);
    } else if (ndig > 0) {
        size_t e = s_exp_len(q, end);
        if (e)
            flen = (size_t)(q - p) + e;
    }

    size_t hlen = 0;
    const char *hex = NULL;
    if (!(p < end && (*p == '+' || *p == '-')) && end - p > 2 && p[0] == '0' &&
        (p[1] == 'x' || p[1] == 'X') && s_is_xdigit(p[2])) {
        hex = p + 2;
        const char *r = hex;
        while (r < end && s_is_xdigit(*r))
            r++;
        hlen = (size_t)(r - p);
    }

    size_t ilen = ndig > 0 ? (size_t)(q - p) : 0;
    size_t ilen64 = ilen ? ilen + s_l_len(q, end) : 0;
    size_t hlen64 = hlen ? hlen + s_l_len(p + hlen, end) : 0;

    size_t best = flen;
    if (ilen64 > best)
        best = ilen64;
    if (hlen64 > best)
        best = hlen64;
    if (best == 0 || best == flen)
        return best; /* a float, or not a number */

    bool is_hex = hlen64 == best;
    bool has_l = is_hex ? hlen64 > hlen : ilen64 > ilen;
    uint64_t v = 0;
    bool overflow = false;
    if (is_hex) {
        for (const char *r = hex; r < p + hlen; r++) {
            unsigned d = s_is_digit(*r) ? (unsigned)(*r - '0') : (unsigned)((*r | 0x20) - 'a' + 10);
            if (v > (UINT64_MAX >> 4))
                overflow = true;
            v = (v << 4) | d;
        }
        *wraps = overflow || v > (has_l ? (uint64_t)INT64_MAX : (uint64_t)INT32_MAX);
    } else {
        for (const char *r = digits; r < digits + ndig; r++) {
            unsigned d = (unsigned)(*r - '0');
            if (v > (UINT64_MAX - d) / 10)
                overflow = true;
            else
                v = v * 10 + d;
        }
        uint64_t lim = has_l ? (uint64_t)INT64_MAX : (uint64_t)INT32_MAX;
        *wraps = overflow || v > lim + (neg ? 1 : 0);
    }
    return best;
}

static void s_lex_file(s_lex_t *lx, const char *fspath, int depth);

/*
 * @include "NAME" at @p (just after '@'); returns the bytes consumed and counts newlines
 * into *@line. The include must name a regular file: libconfig 1.5's scanner calls
 * exit(2) when it cannot read an include ("input in flex scanner failed": a directory,
 * `@include ""`), and blocks forever on a FIFO. So this check runs before libconfig
 * sees the file, and names are kept plain (no escapes, NULs or control characters) so
 * that the file checked here is the file libconfig opens.
 */
static size_t
s_lex_include(s_lex_t *lx, const char *p, const char *end, int depth, const char *file, int *line)
{
    static const char kw[] = "include";
    const char *q = p;
    if ((size_t)(end - q) < sizeof kw - 1 || memcmp(q, kw, sizeof kw - 1) != 0)
        return 0;
    q += sizeof kw - 1;
    const char *ws = q;
    while (q < end && (*q == ' ' || *q == '\t'))
        q++;
    if (q == ws || q >= end || *q != '"')
        return 0;
    q++;
    char where[PATH_MAX + 16];
    acc_config_fmt(where, sizeof where, "%s:%d", file, *line);
    char name[PATH_MAX];
    size_t n = 0;
    bool plain = true;
    while (q < end && *q != '"') {
        unsigned char c = (unsigned char)*q++;
        if (c == '\\' && q < end) {
            plain = false;
            c = (unsigned char)*q++;
        }
        if (c == '\n')
            ++*line;
        if (c < 0x20 || c == 0x7F)
            plain = false;
        if (n + 1 < sizeof name)
            name[n++] = (char)c;
        else
            plain = false;
    }
    name[n] = '\0';
    if (q < end)
        q++;
    if (!plain || n == 0) {
        acc_config_problem_at(
            lx->ctx, where, NULL,
            "@include needs a plain file name (no escapes or control characters)");
    } else if (depth + 1 >= S_INCLUDE_DEPTH) {
        acc_config_problem_at(lx->ctx, where, NULL, "include file nesting too deep");
    } else if (++lx->n_includes > S_INCLUDE_MAX) {
        acc_config_problem_at(lx->ctx, where, NULL, "more than %d @include files", S_INCLUDE_MAX);
    } else {
        /* libconfig 1.5 always opens <include dir>/<name>. */
        char full[PATH_MAX];
        int w = snprintf(full, sizeof full, "%s/%s", lx->ctx->dir, name);
        struct stat st;
        if (w < 0 || (size_t)w >= sizeof full)
            acc_config_problem_at(lx->ctx, where, NULL, "include path '%s' is too long", name);
        else if (stat(full, &st) != 0)
            acc_config_problem_at(lx->ctx, where, NULL, "cannot include '%s': %s", full,
                                  strerror(errno));
        else if (!S_ISREG(st.st_mode))
            acc_config_problem_at(lx->ctx, where, NULL, "cannot include '%s': not a regular file",
                                  full);
        else
            s_lex_file(lx, full, depth + 1);
    }
    return (size_t)(q - p);
}

static void
s_lex_buf(s_lex_t *lx, const char *buf, size_t len, const char *file, int depth)
{
    const char *p = buf, *end = buf + len;
    int line = 1;
    bool bol = true; /* only blanks since the last newline: where @include may start */
    /* Any problem found here (an unreadable include) ends the scan: the file will not
     * be parsed, and going on could repeat the problem once per include. */
    while (p < end && !lx->ctx->fatal && lx->ctx->n_problems == 0) {
        char c = *p;
        if (c == '\n') {
            line++;
            bol = true;
            p++;
            continue;
        }
        if (c == ' ' || c == '\t') {
            p++;
            continue;
        }
        bool at_bol = bol;
        bol = false;
        if (c == '#' || (c == '/' && p + 1 < end && p[1] == '/')) {
            while (p < end && *p != '\n')
                p++;
        } else if (c == '/' && p + 1 < end && p[1] == '*') {
            p += 2;
            while (p < end && !(*p == '*' && p + 1 < end && p[1] == '/'))
                line += *p++ == '\n';
            p = p < end ? p + 2 : end;
        } else if (c == '"') {
            p++;
            while (p < end && *p != '"') {
                if (*p == '\\' && p + 1 < end)
                    p++;
                line += *p++ == '\n';
            }
            if (p < end)
                p++;
        } else if (c == '@' && at_bol) {
            size_t n = s_lex_include(lx, p + 1, end, depth, file, &line);
            p += 1 + n;
        } else if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '*') {
            const char *s = p++;
            while (p < end && ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
                               s_is_digit(*p) || *p == '-' || *p == '_' || *p == '*'))
                p++;
            size_t n = (size_t)(p - s);
            bool boolean = (n == 4 && strncasecmp(s, "true", 4) == 0) ||
                           (n == 5 && strncasecmp(s, "false", 5) == 0);
            if (!boolean)
                snprintf(lx->name, sizeof lx->name, "%.*s", (int)n, s);
        } else if (s_is_digit(c) || c == '+' || c == '-' || c == '.') {
            bool wraps;
            size_t n = s_lex_number(p, end, &wraps);
            if (n == 0)
                n = 1;
            else if (wraps)
                s_lex_flag(lx, p, n, file, line);
            p += n;
        } else {
            int top = lx->depth - 1;
            bool in_list = lx->lost == 0 && lx->frame_list[top];
            if (c == '{')
                s_lex_push(lx, false);
            else if (c == '(' || c == '[')
                s_lex_push(lx, true);
            else if (c == '}' || c == ')' || c == ']')
                s_lex_pop(lx);
            else if (c == ',' && in_list)
                lx->frame_index[top]++;
            else if ((c == ',' || c == ';') && lx->lost == 0)
                lx->name[0] = '\0';
            p++;
        }
    }
}

static void
s_lex_file(s_lex_t *lx, const char *fspath, int depth)
{
    acc_config_ctx_t *ctx = lx->ctx;
    FILE *f = fopen(fspath, "r");
    char *buf = NULL;
    size_t len = 0, cap = 0;
    if (!f) {
        acc_config_problem_at(ctx, fspath, NULL, "cannot read '%s': %s", fspath, strerror(errno));
        return;
    }
    /* Grow as we read: st_size is only a hint (and 0 for pipes). */
    struct stat st;
    size_t hint = 4096;
    if (fstat(fileno(f), &st) == 0 && st.st_size > 0 && st.st_size <= S_FILE_MAX)
        hint = (size_t)st.st_size + 1;
    for (;;) {
        if (!buf || len == cap) {
            if (cap > S_FILE_MAX) {
                acc_config_problem_at(ctx, fspath, NULL, "'%s' is larger than 16 MiB", fspath);
                goto out;
            }
            size_t ncap = buf ? cap * 2 : hint;
            if (ncap > (size_t)S_FILE_MAX + 1)
                ncap = (size_t)S_FILE_MAX + 1;
            char *nbuf = realloc(buf, ncap);
            if (!nbuf) {
                ctx->fatal = ACC_ERR_NOMEM;
                goto out;
            }
            buf = nbuf;
            cap = ncap;
        }
        size_t n = fread(buf + len, 1, cap - len, f);
        len += n;
        if (n == 0)
            break;
    }
    if (ferror(f)) {
        acc_config_problem_at(ctx, fspath, NULL, "cannot read '%s'", fspath);
        goto out;
    }
    s_lex_buf(lx, buf, len, fspath, depth);
out:
    free(buf);
    fclose(f);
}

/* Consume the wrapped-literal record for @path, if any. */
const acc_config_flag_t *
acc_config_flag_take(acc_config_ctx_t *ctx, const char *path)
{
    for (size_t i = 0; i < ctx->n_flags; i++) {
        if (!ctx->flags[i].used && strcmp(ctx->flags[i].path, path) == 0) {
            ctx->flags[i].used = true;
            return &ctx->flags[i];
        }
    }
    return NULL;
}

void
acc_config_lex(acc_config_ctx_t *ctx, const char *fspath)
{
    s_lex_t lx = {.ctx = ctx, .depth = 1};
    s_lex_file(&lx, fspath, 0);
}

void
acc_config_flags_report(acc_config_ctx_t *ctx)
{
    for (size_t i = 0; i < ctx->n_flags; i++)
        if (!ctx->flags[i].used)
            acc_config_problem_at(ctx, ctx->flags[i].where, NULL,
                                  "integer %s does not fit 32 bits: write %sL",
                                  ctx->flags[i].literal, ctx->flags[i].literal);
    if (ctx->flags_overflow)
        acc_config_problem_at(ctx, ctx->path, NULL, "too many integers that do not fit 32 bits");
}
