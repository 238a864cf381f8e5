/*
 * libFuzzer target for acc_codec: any bytes, as a control Request and as a Response.
 * Must never crash or leak; whatever it accepts must re-encode and decode again to the
 * same bytes (no unknown fields survive the walk, so nothing is lost in a relay).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "acc_codec.h"
#include "accord/v1/control.pb-c.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
s_one(const ProtobufCMessageDescriptor *d, const uint8_t *data, size_t size)
{
    ProtobufCMessage *m = NULL;
    acc_errinfo_t ei;
    if (acc_codec_unpack(d, data, size, 1 << 20, &m, &ei) != ACC_OK)
        return;
    uint8_t *b1 = NULL, *b2 = NULL;
    size_t l1 = 0, l2 = 0;
    if (acc_codec_pack(m, 1 << 22, &b1, &l1) != ACC_OK)
        abort();
    ProtobufCMessage *m2 = NULL;
    if (acc_codec_unpack(d, b1, l1, 1 << 22, &m2, &ei) != ACC_OK)
        abort(); /* what we produce, we must accept */
    if (acc_codec_pack(m2, 1 << 22, &b2, &l2) != ACC_OK || l1 != l2 || memcmp(b1, b2, l1) != 0)
        abort();
    free(b1);
    free(b2);
    protobuf_c_message_free_unpacked(m, NULL);
    protobuf_c_message_free_unpacked(m2, NULL);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    s_one(&accord__v1__request__descriptor, data, size);
    s_one(&accord__v1__response__descriptor, data, size);
    return 0;
}
