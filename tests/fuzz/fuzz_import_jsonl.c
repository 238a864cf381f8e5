/*
 * libFuzzer target for the JSON Lines report reader (acc_import): runs a reader over the
 * input to the end, freeing every record. Besides crashes and leaks it checks that every
 * call moves the reader on (no endless loop on hostile input), that line numbers never go
 * back, and that an accepted observed_at survives a format/parse round trip.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "acc_import.h"
#include "acc_time.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    Accord__V1__Report defaults = ACCORD__V1__REPORT__INIT;
    defaults.category = (char *)"spam";
    defaults.source = (char *)"fuzz";
    acc_import_t *imp = NULL;
    acc_errinfo_t ei;
    if (acc_import_new(ACC_IMPORT_JSONL, (const char *)data, size, &defaults, &imp, &ei) != ACC_OK)
        abort(); /* a JSONL reader has no header to reject */
    size_t off = acc_import_offset(imp), last_line = 0;
    for (;;) {
        Accord__V1__Report *r = NULL;
        size_t line = 0;
        acc_err rc = acc_import_next(imp, &r, &line, &ei);
        if (rc == ACC_ERR_NOT_FOUND)
            break;
        if (acc_import_offset(imp) <= off || acc_import_offset(imp) > size)
            abort();
        off = acc_import_offset(imp);
        if (line <= last_line)
            abort();
        last_line = line;
        if (rc != ACC_OK) {
            if (r || ei.field[0] == '\0' || ei.msg[0] == '\0')
                abort();
            continue;
        }
        if (r->category[0] == '\0' || r->source[0] == '\0')
            abort(); /* defaults must have filled them */
        /* 0000-01-01 .. 9999-12-31: the range the formatter's output parses back from */
        if (r->observed_at_ms >= INT64_C(-62167219200000) &&
            r->observed_at_ms <= INT64_C(253402300799999)) {
            char buf[32];
            int64_t back = 0;
            acc_time_format_rfc3339(r->observed_at_ms, buf, sizeof buf);
            if (acc_time_parse_rfc3339(buf, &back) != ACC_OK || back != r->observed_at_ms)
                abort();
        }
        accord__v1__report__free_unpacked(r, NULL);
    }
    if (acc_import_offset(imp) != size)
        abort();
    acc_import_destroy(&imp);
    return 0;
}
