/* libFuzzer target for the openphish feed reader (acc_feed): see fuzz_feed_common.h. */
#include "fuzz_feed_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return s_fuzz_feed(ACC_FEED_OPENPHISH, 1, data, size);
}
