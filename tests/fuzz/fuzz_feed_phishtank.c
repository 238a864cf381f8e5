/* libFuzzer target for the phishtank feed reader (acc_feed): see fuzz_feed_common.h. */
#include "fuzz_feed_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return s_fuzz_feed(ACC_FEED_PHISHTANK, 0, data, size);
}
