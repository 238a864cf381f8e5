/*
 * libFuzzer target for the JSON body reader of POST /v1/reports
 * (acc_import_body_parse, common/acc_import_json.c). Besides crashes and leaks it checks
 * the reader's promises: every record is either a report or a reject, in body order; every report
 * carries the given source and a confidence of at most 100; every reject has a path into the body
 * ("$" or "$[i]" first) and a message; on failure nothing is returned and the error
 * points at "$".
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acc_import.h"
#include "acc_text.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    acc_import_body_t *b = NULL;
    acc_errinfo_t ei;
    acc_errinfo_clear(&ei);
    int pos[2] = {-1, -1};
    acc_err rc = acc_import_body_parse((const char *)data, size, "fuzz", &b, pos, &ei);
    if (rc != ACC_OK) {
        if (b || strcmp(ei.field, "$") != 0 || ei.msg[0] == '\0')
            abort();
        if ((rc == ACC_ERR_DECODE || rc == ACC_ERR_UTF8) && (pos[0] < 0 || pos[1] < 0))
            abort();
        if (rc != ACC_ERR_DECODE && rc != ACC_ERR_UTF8 && rc != ACC_ERR_INVALID &&
            rc != ACC_ERR_NOMEM)
            abort();
        return 0;
    }
    if (!b || b->n_reports + b->n_rejects != b->n_records || (!b->is_array && b->n_records != 1))
        abort();
    /* Reports and rejects together cover 0..n_records-1, each once, in order. */
    size_t k = 0, j = 0;
    for (size_t i = 0; i < b->n_records; i++) {
        if (k < b->n_reports && b->index[k] == i) {
            const Accord__V1__Report *r = b->reports[k++];
            if (strcmp(r->source, "fuzz") != 0 || r->confidence > 100 || r->trust[0])
                abort();
        } else if (j < b->n_rejects && b->rejects[j].index == i) {
            const acc_import_reject_t *x = &b->rejects[j++];
            char rec[48];
            acc_import_body_path(rec, sizeof rec, b->is_array, i);
            if (strncmp(x->path, rec, strlen(rec)) != 0 || x->error[0] == '\0' ||
                memchr(x->path, '\0', sizeof x->path) == NULL ||
                !acc_text_utf8_valid(x->path, strlen(x->path)))
                abort();
        } else {
            abort();
        }
    }
    acc_import_body_destroy(&b);
    if (b)
        abort();
    return 0;
}
