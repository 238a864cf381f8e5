/*
 * acc_import_int — the internal seam between the native-format readers (acc_import.c:
 * JSON Lines and CSV files) and the JSON body reader of POST /v1/reports
 * (acc_import_json.c): the one table of report fields they all read, so that a field is
 * named, found and stored the same way whichever door a report comes in by. Not for use
 * outside common/.
 */
#ifndef ACC_IMPORT_INT_H
#define ACC_IMPORT_INT_H

#include <stddef.h>

#include "accord/v1/report.pb-c.h"

/* The fields of a report in the native formats, in the order error messages list them. */
typedef enum {
    ACC_IMPORT_F_ID,
    ACC_IMPORT_F_URL,
    ACC_IMPORT_F_TEXT,
    ACC_IMPORT_F_CATEGORY,
    ACC_IMPORT_F_DESCRIPTION,
    ACC_IMPORT_F_SOURCE,
    ACC_IMPORT_F_OBSERVED_AT,
    ACC_IMPORT_F_SOURCE_RECORD_ID,
    ACC_IMPORT_F_CONFIDENCE,
    ACC_IMPORT_F__COUNT
} acc_import_field;

/* Each field's name as written in JSON keys and CSV headers ("observed_at"). */
extern const char *const acc_import_field_names[ACC_IMPORT_F__COUNT];

/* acc_import_field_find — the field named @name[0..@len) (not NUL-terminated), compared
 * exactly or, with @nocase, ignoring ASCII case (CSV headers); ACC_IMPORT_F__COUNT when
 * there is none. */
acc_import_field acc_import_field_find(const char *name, size_t len, int nocase);

/* acc_import_field_slot — where the string field @f lives in @r (&r->url, ...); NULL for
 * the fields that are not strings (observed_at, confidence). */
char **acc_import_field_slot(Accord__V1__Report *r, acc_import_field f);

#endif
