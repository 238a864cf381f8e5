/*
 * The shared body of the feed readers' libFuzzer targets (fuzz_feed_<format>.c): runs a
 * reader over the input to the end, freeing every report. Besides crashes and leaks it
 * checks the reader's promises: a failed open names the problem and returns no reader;
 * every call names where it was (and, for line readers, moves the offset on); a report
 * always has a url, the source and the default category; an error returns no report and
 * says what is wrong; the offset ends at the input's size; the skip list is bounded.
 */
#ifndef FUZZ_FEED_COMMON_H
#define FUZZ_FEED_COMMON_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "acc_feed.h"

static int
s_fuzz_feed(acc_feed_format fmt, int line_reader, const uint8_t *data, size_t size)
{
    static const acc_feed_tagmap_t tags[] = {
        {"phishing", "phishing-malware"}, {"Mozi", "malware"}, {"tlp:green", "scam"}};
    acc_feed_opts_t opts = {
        .source = "fuzz", .category = "fuzz-default", .confidence = 50, .tags = tags, .n_tags = 3};
    acc_feed_t *feed = NULL;
    acc_errinfo_t ei;
    memset(&ei, 0, sizeof ei);
    acc_err rc = acc_feed_new(fmt, (const char *)data, size, &opts, &feed, &ei);
    if (rc != ACC_OK) {
        if (feed || (rc != ACC_ERR_NOMEM && (ei.field[0] == '\0' || ei.msg[0] == '\0')))
            abort();
        return 0;
    }
    size_t off = acc_feed_offset(feed), calls = 0;
    for (;;) {
        Accord__V1__Report *r = NULL;
        char where[96];
        memset(&ei, 0, sizeof ei);
        rc = acc_feed_next(feed, &r, where, sizeof where, &ei);
        if (rc == ACC_ERR_NOT_FOUND)
            break;
        /* every record takes at least one byte of input: more calls mean a loop */
        if (++calls > size + 1)
            abort();
        size_t now = acc_feed_offset(feed);
        /* a line reader moves on with every call; a document reader may report 0 until
         * the end */
        if (now > size || now < off || (line_reader && now == off))
            abort();
        off = now;
        if (where[0] == '\0' || strnlen(where, sizeof where) == sizeof where)
            abort();
        if (rc != ACC_OK) {
            if (r || (rc != ACC_ERR_NOMEM && (ei.field[0] == '\0' || ei.msg[0] == '\0')))
                abort();
            continue;
        }
        if (!r || r->url[0] == '\0' || strcmp(r->source, "fuzz") != 0 || r->category[0] == '\0' ||
            r->confidence != 50)
            abort();
        accord__v1__report__free_unpacked(r, NULL);
    }
    if (acc_feed_offset(feed) != size)
        abort();
    const char *reason = NULL;
    size_t i = 0;
    for (uint64_t n; (n = acc_feed_skips(feed, i, &reason)) != 0; i++)
        if (!reason || reason[0] == '\0')
            abort();
    if (i > 33) /* 32 distinct reasons and one bucket for the rest */
        abort();
    acc_feed_destroy(&feed);
    return 0;
}

#endif
