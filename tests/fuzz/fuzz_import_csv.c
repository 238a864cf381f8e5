/*
 * libFuzzer target for the CSV report reader (acc_import): runs a reader over the input to
 * the end, freeing every record. Besides crashes and leaks it checks that every call moves
 * the reader on (no endless loop on hostile input) and that line numbers never go back.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "acc_import.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    Accord__V1__Report defaults = ACCORD__V1__REPORT__INIT;
    defaults.source = (char *)"fuzz";
    acc_import_t *imp = NULL;
    acc_errinfo_t ei;
    acc_err rc = acc_import_new(ACC_IMPORT_CSV, (const char *)data, size, &defaults, &imp, &ei);
    if (rc != ACC_OK) {
        if (rc != ACC_ERR_INVALID || imp || ei.msg[0] == '\0')
            abort();
        return 0;
    }
    size_t off = acc_import_offset(imp), last_line = 0;
    for (;;) {
        Accord__V1__Report *r = NULL;
        size_t line = 0;
        rc = acc_import_next(imp, &r, &line, &ei);
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
        if (r->source[0] == '\0')
            abort(); /* the default must have filled it */
        accord__v1__report__free_unpacked(r, NULL);
    }
    if (acc_import_offset(imp) != size)
        abort();
    acc_import_destroy(&imp);
    return 0;
}
