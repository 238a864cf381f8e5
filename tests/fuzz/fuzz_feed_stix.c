/*
 * libFuzzer target for the STIX 2.1 feed reader (acc_feed_stix.c through acc_feed): the
 * input is a whole bundle. Besides crashes, leaks and sanitizer findings it checks the
 * reader's contract: a refused document says why, every error names where and why, every
 * report has a URL, a source and the id it came from (which is also @where), progress
 * never goes back nor past the input, the reader ends (it cannot hand out more reports
 * than the input has bytes) and stays ended.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "acc_feed.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const acc_feed_tagmap_t s_tags[] = {{"phishing", "phishing-malware"}, {"fraud", "scam"}};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    acc_feed_opts_t opts = {
        .source = "fuzz", .category = "spam", .confidence = 30, .tags = s_tags, .n_tags = 2};
    acc_feed_t *feed = NULL;
    acc_errinfo_t ei;
    acc_errinfo_clear(&ei);
    acc_err rc = acc_feed_new(ACC_FEED_STIX, (const char *)data, size, &opts, &feed, &ei);
    if (rc != ACC_OK) {
        if (feed || ei.msg[0] == '\0')
            abort();
        if (rc != ACC_ERR_INVALID && rc != ACC_ERR_DECODE && rc != ACC_ERR_UTF8 &&
            rc != ACC_ERR_NOMEM)
            abort();
        return 0;
    }
    size_t off = acc_feed_offset(feed), calls = 0;
    for (;;) {
        Accord__V1__Report *r = NULL;
        char where[96];
        acc_errinfo_clear(&ei);
        rc = acc_feed_next(feed, &r, where, sizeof where, &ei);
        if (acc_feed_offset(feed) < off || acc_feed_offset(feed) > size)
            abort();
        off = acc_feed_offset(feed);
        if (rc == ACC_ERR_NOT_FOUND)
            break;
        if (++calls > size + 1)
            abort(); /* the reader does not end */
        if (strnlen(where, sizeof where) == sizeof where || where[0] == '\0')
            abort();
        if (rc != ACC_OK) {
            if (r || ei.field[0] == '\0' || ei.msg[0] == '\0')
                abort();
            continue;
        }
        if (r->url[0] == '\0' || strcmp(r->source, "fuzz") != 0 || r->confidence > 100 ||
            strcmp(r->source_record_id, where) != 0 || r->category[0] == '\0')
            abort();
        accord__v1__report__free_unpacked(r, NULL);
    }
    if (acc_feed_offset(feed) != size)
        abort();
    Accord__V1__Report *r = NULL;
    char where[96];
    if (acc_feed_next(feed, &r, where, sizeof where, &ei) != ACC_ERR_NOT_FOUND)
        abort();
    acc_feed_destroy(&feed);
    return 0;
}
