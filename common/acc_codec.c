/* acc_codec — see acc_codec.h. */
#include "acc_codec.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acc_text.h"

/* The field path is kept as a stack of (name, index) and formatted only when there is an
 * error to report: building it per field cost ~4 % of intake's time. */
typedef struct {
    const char *names[ACC_CODEC_MAX_DEPTH + 2];
    long index[ACC_CODEC_MAX_DEPTH + 2];
    int depth;
    acc_errinfo_t *ei;
} s_ctx;

static int
s_varint(const uint8_t *p, size_t len, size_t *pos, uint64_t *out)
{
    uint64_t v = 0;
    for (int i = 0; i < 10; i++) {
        if (*pos >= len)
            return -1;
        uint8_t b = p[(*pos)++];
        if (i == 9 && b > 1)
            return -1; /* more than 64 bits */
        v |= (uint64_t)(b & 0x7f) << (7 * i);
        if (!(b & 0x80)) {
            *out = v;
            return 0;
        }
    }
    return -1;
}

static int
s_is_varint_type(ProtobufCType t)
{
    switch (t) {
    case PROTOBUF_C_TYPE_INT32:
    case PROTOBUF_C_TYPE_SINT32:
    case PROTOBUF_C_TYPE_UINT32:
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_SINT64:
    case PROTOBUF_C_TYPE_UINT64:
    case PROTOBUF_C_TYPE_BOOL:
    case PROTOBUF_C_TYPE_ENUM:
        return 1;
    default:
        return 0;
    }
}

static int
s_is_fixed64_type(ProtobufCType t)
{
    return t == PROTOBUF_C_TYPE_FIXED64 || t == PROTOBUF_C_TYPE_SFIXED64 ||
           t == PROTOBUF_C_TYPE_DOUBLE;
}

static int
s_is_fixed32_type(ProtobufCType t)
{
    return t == PROTOBUF_C_TYPE_FIXED32 || t == PROTOBUF_C_TYPE_SFIXED32 ||
           t == PROTOBUF_C_TYPE_FLOAT;
}

static acc_err s_fail(s_ctx *c, acc_err err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
s_format_path(const s_ctx *c, char *buf, size_t len)
{
    size_t o = 0;
    buf[0] = '\0';
    for (int i = 0; i < c->depth && o < len; i++) {
        int w = c->index[i] >= 0 ? snprintf(buf + o, len - o, "%s%s[%ld]", i ? "." : "",
                                            c->names[i], c->index[i])
                                 : snprintf(buf + o, len - o, "%s%s", i ? "." : "", c->names[i]);
        if (w < 0)
            break;
        o += (size_t)w;
    }
    if (!c->depth)
        snprintf(buf, len, "message");
}

static acc_err
s_fail(s_ctx *c, acc_err err, const char *fmt, ...)
{
    if (c->ei) {
        s_format_path(c, c->ei->field, sizeof c->ei->field);
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(c->ei->msg, sizeof c->ei->msg, fmt, ap);
        va_end(ap);
    }
    return err;
}

/* Enter field @name (element @index of a repeated field, or -1). Returns the depth to
 * restore with s_pop. */
static int
s_push(s_ctx *c, const char *name, long index)
{
    int old = c->depth;
    if (c->depth < (int)(sizeof c->names / sizeof *c->names)) {
        c->names[c->depth] = name;
        c->index[c->depth] = index;
        c->depth++;
    }
    return old;
}

static void
s_pop(s_ctx *c, int old)
{
    c->depth = old;
}

static acc_err
s_scan(s_ctx *c, const ProtobufCMessageDescriptor *d, const uint8_t *p, size_t len, int depth)
{
    if (depth > ACC_CODEC_MAX_DEPTH)
        return s_fail(c, ACC_ERR_DECODE, "message nested deeper than %s levels", "16");
    /* Occurrence counts of repeated fields, to name "reports[3]". Our messages have few
     * fields; past 64 the index is simply not counted. */
    uint32_t seen[64] = {0};
    size_t pos = 0;
    while (pos < len) {
        uint64_t tag;
        if (s_varint(p, len, &pos, &tag) != 0)
            return s_fail(c, ACC_ERR_DECODE, "malformed field tag%s", "");
        uint64_t num = tag >> 3;
        unsigned wire = (unsigned)(tag & 7);
        if (num == 0 || num > 536870911)
            return s_fail(c, ACC_ERR_DECODE, "invalid field number%s", "");
        const ProtobufCFieldDescriptor *f =
            protobuf_c_message_descriptor_get_field(d, (unsigned)num);
        if (!f) {
            char what[96];
            snprintf(what, sizeof what, "%llu in %s", (unsigned long long)num, d->name);
            return s_fail(c, ACC_ERR_DECODE, "unknown field %s", what);
        }
        long idx = -1;
        if (f->label == PROTOBUF_C_LABEL_REPEATED) {
            size_t fi = (size_t)(f - d->fields);
            idx = fi < 64 ? (long)seen[fi]++ : 0;
        }
        int old = s_push(c, f->name, idx);
        acc_err err = ACC_OK;
        switch (wire) {
        case 0: {
            uint64_t v;
            if (!s_is_varint_type(f->type))
                err = s_fail(c, ACC_ERR_DECODE, "wrong wire type (varint)%s", "");
            else if (s_varint(p, len, &pos, &v) != 0)
                err = s_fail(c, ACC_ERR_DECODE, "malformed varint%s", "");
            break;
        }
        case 1:
            if (!s_is_fixed64_type(f->type))
                err = s_fail(c, ACC_ERR_DECODE, "wrong wire type (fixed64)%s", "");
            else if (len - pos < 8)
                err = s_fail(c, ACC_ERR_DECODE, "truncated fixed64%s", "");
            else
                pos += 8;
            break;
        case 5:
            if (!s_is_fixed32_type(f->type))
                err = s_fail(c, ACC_ERR_DECODE, "wrong wire type (fixed32)%s", "");
            else if (len - pos < 4)
                err = s_fail(c, ACC_ERR_DECODE, "truncated fixed32%s", "");
            else
                pos += 4;
            break;
        case 2: {
            uint64_t n;
            if (s_varint(p, len, &pos, &n) != 0 || n > len - pos) {
                err = s_fail(c, ACC_ERR_DECODE, "length runs past the end of the message%s", "");
                break;
            }
            const uint8_t *sub = p + pos;
            pos += (size_t)n;
            if (f->type == PROTOBUF_C_TYPE_MESSAGE) {
                err = s_scan(c, f->descriptor, sub, (size_t)n, depth + 1);
            } else if (f->type == PROTOBUF_C_TYPE_STRING) {
                if (!acc_text_utf8_valid((const char *)sub, (size_t)n))
                    err = s_fail(c, ACC_ERR_UTF8, "not valid utf-8 text (or contains NUL)%s", "");
            } else if (f->type == PROTOBUF_C_TYPE_BYTES) {
                /* opaque */
            } else if (f->label == PROTOBUF_C_LABEL_REPEATED) {
                /* packed scalars: protobuf-c checks element framing itself */
            } else {
                err = s_fail(c, ACC_ERR_DECODE, "wrong wire type (length-delimited)%s", "");
            }
            break;
        }
        default:
            err = s_fail(c, ACC_ERR_DECODE, "unsupported wire type (groups)%s", "");
            break;
        }
        if (err != ACC_OK)
            return err;
        s_pop(c, old);
    }
    return ACC_OK;
}

acc_err
acc_codec_unpack(const ProtobufCMessageDescriptor *desc, const void *buf, size_t len,
                 size_t max_len, ProtobufCMessage **out, acc_errinfo_t *ei)
{
    s_ctx c = {.depth = 0, .ei = ei};
    if (len > max_len) {
        char lim[32];
        snprintf(lim, sizeof lim, "%zu", max_len);
        return s_fail(&c, ACC_ERR_TOO_LARGE, "message larger than %s bytes", lim);
    }
    acc_err err = s_scan(&c, desc, (const uint8_t *)buf, len, 0);
    if (err != ACC_OK)
        return err;
    ProtobufCMessage *m = protobuf_c_message_unpack(desc, NULL, len, (const uint8_t *)buf);
    if (!m)
        return s_fail(&c, ACC_ERR_DECODE, "cannot decode %s", desc->name);
    *out = m;
    return ACC_OK;
}

acc_err
acc_codec_pack(const ProtobufCMessage *msg, size_t max_len, uint8_t **out, size_t *out_len)
{
    size_t n = protobuf_c_message_get_packed_size(msg);
    if (n > max_len)
        return ACC_ERR_TOO_LARGE;
    uint8_t *b = malloc(n ? n : 1);
    if (!b)
        return ACC_ERR_NOMEM;
    protobuf_c_message_pack(msg, b);
    *out = b;
    *out_len = n;
    return ACC_OK;
}
