/*
 * acc_codec — bounded protobuf decoding and encoding for everything that arrives on a
 * socket or from a file.
 *
 * protobuf-c alone trusts its input too much for a node that faces peers: it has no depth
 * limit, accepts invalid UTF-8 in strings, silently truncates strings at an embedded NUL,
 * and keeps unknown fields (which can poison a relay). So before unpacking, acc_codec
 * walks the wire bytes guided by the message descriptor and rejects, naming the field
 * path: a message over the size cap, malformed varints or lengths, unknown field numbers,
 * wrong wire types, groups, nesting deeper than ACC_CODEC_MAX_DEPTH, and strings that are
 * not valid UTF-8 or contain NUL. Only then does protobuf-c unpack it.
 */
#ifndef ACC_CODEC_H
#define ACC_CODEC_H

#include <protobuf-c/protobuf-c.h>
#include <stddef.h>
#include <stdint.h>

#include "acc_err.h"

#define ACC_CODEC_MAX_DEPTH 16

/*
 * acc_codec_unpack — validate and decode @buf[0..@len) as a @desc message.
 * @max_len: size cap; checked before anything else.
 * @out: on success the message, owned by the caller: protobuf_c_message_free_unpacked(m, NULL).
 * @ei: field = the path of the offending field ("submit.reports[2].url"), msg = what is wrong.
 * Errors: ACC_ERR_TOO_LARGE, ACC_ERR_DECODE (malformed, unknown field, too deep),
 * ACC_ERR_UTF8, ACC_ERR_NOMEM.
 */
acc_err acc_codec_unpack(const ProtobufCMessageDescriptor *desc, const void *buf, size_t len,
                         size_t max_len, ProtobufCMessage **out, acc_errinfo_t *ei);

/*
 * acc_codec_pack — encode @msg into a malloc'd buffer (*@out, owned by the caller).
 * Errors: ACC_ERR_TOO_LARGE (encoded size over @max_len), ACC_ERR_NOMEM.
 */
acc_err acc_codec_pack(const ProtobufCMessage *msg, size_t max_len, uint8_t **out, size_t *out_len);

#endif
