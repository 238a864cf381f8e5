/*
 * libFuzzer target for the STIX pattern parser inside acc_feed_stix.c: the input is one
 * raw pattern, wrapped here into a one-indicator bundle (the parser has no interface of
 * its own), so that mutations explore the grammar rather than JSON. Checks: the outcome
 * is reports, a skip, or an error that either says where in the pattern ("at character
 * N") or names a domain that is no host name; and padding the pattern with trailing
 * whitespace changes neither the outcome nor the URLs.
 */
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acc_feed.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define S_ID "indicator--6b1c3d2e-0a4f-4e5d-9c8b-7a6f5e4d3c2b"

/* s_run — read the bundle holding @pattern; returns the first code and hashes the URLs
 * (in order) into *@urls. */
static acc_err
s_run(const char *pattern, size_t n, uint64_t *urls, size_t *count)
{
    /* jansson refuses invalid UTF-8 here and "\u0000" when it reads the document back */
    json_t *p = memchr(pattern, '\0', n) ? NULL : json_stringn(pattern, n);
    if (!p)
        return ACC_ERR__COUNT;
    json_t *doc =
        json_pack("{s:s, s:s, s:[{s:s, s:s, s:s, s:s, s:o}]}", "type", "bundle", "id",
                  "bundle--5d0092c5-5f74-4287-9642-33f4c354e56d", "objects", "type", "indicator",
                  "spec_version", "2.1", "id", S_ID, "pattern_type", "stix", "pattern", p);
    if (!doc)
        abort();
    char *text = json_dumps(doc, 0);
    json_decref(doc);
    if (!text)
        abort();
    acc_feed_opts_t opts = {.source = "fuzz"};
    acc_feed_t *feed = NULL;
    acc_errinfo_t ei;
    if (acc_feed_new(ACC_FEED_STIX, text, strlen(text), &opts, &feed, &ei) != ACC_OK)
        abort();
    acc_err first = ACC_ERR_NOT_FOUND;
    *urls = 1469598103934665603ULL;
    *count = 0;
    for (size_t i = 0;; i++) {
        Accord__V1__Report *r = NULL;
        char where[96];
        acc_err rc = acc_feed_next(feed, &r, where, sizeof where, &ei);
        if (i == 0)
            first = rc;
        if (rc == ACC_ERR_NOT_FOUND)
            break;
        if (strcmp(where, S_ID) != 0)
            abort();
        if (rc != ACC_OK) {
            if (i != 0 || r)
                abort();
            /* a pattern error says where; the only other one is a domain that cannot be
             * a host name */
            bool pattern_err =
                strcmp(ei.field, S_ID ": pattern") == 0 && strstr(ei.msg, " at character ") != NULL;
            bool host_err = strcmp(ei.field, S_ID ": domain-name") == 0;
            if (rc == ACC_ERR_INVALID && !pattern_err && !host_err)
                abort();
            if (rc != ACC_ERR_INVALID && rc != ACC_ERR_TOO_LARGE && rc != ACC_ERR_NOMEM)
                abort();
            continue;
        }
        if (r->url[0] == '\0')
            abort();
        for (const char *c = r->url; *c; c++)
            *urls = (*urls ^ (unsigned char)*c) * 1099511628211ULL;
        *urls = (*urls ^ 0xFF) * 1099511628211ULL;
        (*count)++;
        accord__v1__report__free_unpacked(r, NULL);
    }
    acc_feed_destroy(&feed);
    free(text);
    return first;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 8192)
        return 0; /* the 64 KiB cap is a unit test; keep runs fast */
    uint64_t h1, h2;
    size_t n1, n2;
    acc_err rc1 = s_run((const char *)data, size, &h1, &n1);
    if (rc1 == ACC_ERR__COUNT)
        return 0;
    char *padded = malloc(size + 3);
    if (!padded)
        return 0;
    memcpy(padded, data, size);
    /* a newline ends a // comment; the blanks after it are whitespace in any state in which
     * the pattern could still be complete */
    memcpy(padded + size, "\n \t", 3);
    acc_err rc2 = s_run(padded, size + 3, &h2, &n2);
    free(padded);
    /* An unterminated string or literal swallows the padding and stays unterminated; a
     * pattern that parsed must parse the same with padding. */
    if (rc1 != rc2 || n1 != n2 || h1 != h2)
        abort();
    return 0;
}
