/*
 * ack_import — a test tool that imports a JSONL file into a node's intake the way
 * `accordctl report import` does (batches of reports pipelined over the control socket,
 * ids derived from the content for records without one) and keeps a client-side record of
 * every acknowledgement it received, for tests/integration/test_crash.sh and
 * test_disk_full.sh: they kill the node or fill its disk mid-import and then check that
 * everything acknowledged is stored, from this record rather than the node's own counts.
 *
 *   ack_import ENDPOINT FILE ACK_LOG [TIMEOUT_MS]
 *
 * ENDPOINT: intake's control endpoint (ipc://DATA_DIR/intake.sock). ACK_LOG gets one line
 * per record the node answered, written and flushed as each answer arrives:
 *
 *   ack ID OUTCOME         stored: OUTCOME is new_case, attached or already_present
 *   rejected ID MESSAGE    refused as bad input (not stored)
 *
 * and, when a batch is refused as a whole, "refused N CODE MESSAGE" (its N records are not
 * acknowledged). Exit status: 0 when every batch was answered, 1 when the node stopped
 * answering (TIMEOUT_MS, default 4000, without an answer) or refused a batch, 2 for bad
 * arguments or a local failure.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acc_client.h"
#include "acc_feed.h"
#include "acc_ids.h"
#include "accord/v1/control.pb-c.h"

#define S_BATCH 500               /* reports per request, as accordctl */
#define S_BATCH_BYTES (512 << 10) /* and at most this much of them (under the 1 MiB limit) */
#define S_WINDOW 4                /* requests in flight */

typedef struct {
    uint64_t request_id;
    size_t n, bytes;
    Accord__V1__Report *reps[S_BATCH];
} s_batch;

typedef struct {
    acc_client_t *client;
    FILE *log;
    int timeout_ms;
    s_batch *inflight[S_WINDOW];
    int n_inflight;
} s_import;

static void
s_batch_free(s_batch *b)
{
    for (size_t i = 0; b && i < b->n; i++)
        accord__v1__report__free_unpacked(b->reps[i], NULL);
    free(b);
}

static const char *
s_outcome(int o)
{
    switch (o) {
    case ACCORD__V1__OUTCOME__OUTCOME_NEW_CASE:
        return "new_case";
    case ACCORD__V1__OUTCOME__OUTCOME_ATTACHED:
        return "attached";
    case ACCORD__V1__OUTCOME__OUTCOME_ALREADY_PRESENT:
        return "already_present";
    default:
        return NULL;
    }
}

/* Wait for one answer and log it. Returns 0, or 1 when the node did not answer or refused
 * the batch. */
static int
s_receive(s_import *im)
{
    Accord__V1__Response *resp = NULL;
    if (acc_client_recv(im->client, im->timeout_ms, &resp, NULL) != ACC_OK) {
        fprintf(stderr, "ack_import: no answer within %d ms\n", im->timeout_ms);
        return 1;
    }
    int slot = -1;
    for (int i = 0; i < im->n_inflight; i++)
        if (im->inflight[i]->request_id == resp->request_id)
            slot = i;
    if (slot < 0) {
        accord__v1__response__free_unpacked(resp, NULL);
        return 0;
    }
    s_batch *b = im->inflight[slot];
    int rc = 0;
    if (!resp->status || resp->status->code != ACCORD__V1__CODE__CODE_OK ||
        resp->body_case != ACCORD__V1__RESPONSE__BODY_SUBMIT) {
        fprintf(im->log, "refused %zu %d %s\n", b->n, resp->status ? (int)resp->status->code : -1,
                resp->status && resp->status->message ? resp->status->message : "");
        fprintf(stderr, "ack_import: a batch was refused: %s\n",
                resp->status && resp->status->message ? resp->status->message : "");
        rc = 1;
    } else {
        for (size_t i = 0; i < resp->submit->n_results; i++) {
            const Accord__V1__ReportResult *r = resp->submit->results[i];
            const char *id = r->index < b->n ? b->reps[r->index]->id : "?";
            const char *o = s_outcome(r->outcome);
            if (o)
                fprintf(im->log, "ack %s %s\n", id, o);
            else
                fprintf(im->log, "rejected %s %s\n", id,
                        r->error && r->error->message ? r->error->message : "");
        }
    }
    fflush(im->log);
    accord__v1__response__free_unpacked(resp, NULL);
    s_batch_free(b);
    im->inflight[slot] = im->inflight[--im->n_inflight];
    return rc;
}

/* Send @b (ownership passes to @im), after waiting for room in the window. */
static int
s_send(s_import *im, s_batch *b)
{
    int rc;
    while (im->n_inflight == S_WINDOW)
        if ((rc = s_receive(im)))
            return rc;
    Accord__V1__SubmitReports sub = ACCORD__V1__SUBMIT_REPORTS__INIT;
    sub.n_reports = b->n;
    sub.reports = b->reps;
    Accord__V1__Request req = ACCORD__V1__REQUEST__INIT;
    req.body_case = ACCORD__V1__REQUEST__BODY_SUBMIT;
    req.submit = &sub;
    req.request_id = b->request_id = acc_client_next_id(im->client);
    if (acc_client_send(im->client, &req) != ACC_OK) {
        fprintf(stderr, "ack_import: cannot send\n");
        s_batch_free(b);
        return 1;
    }
    im->inflight[im->n_inflight++] = b;
    return 0;
}

static char *
s_slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 1 << 20, n = 0, got;
    char *buf = malloc(cap);
    while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap) {
            char *nb = realloc(buf, cap *= 2);
            if (!nb) {
                free(buf);
                buf = NULL;
            }
            buf = nb;
        }
    }
    fclose(f);
    *len = n;
    return buf;
}

int
main(int argc, char **argv)
{
    if (argc < 4 || argc > 5) {
        fprintf(stderr, "usage: ack_import ENDPOINT FILE ACK_LOG [TIMEOUT_MS]\n");
        return 2;
    }
    size_t len = 0;
    char *data = s_slurp(argv[2], &len);
    FILE *log = fopen(argv[3], "a");
    if (!data || !log) {
        fprintf(stderr, "ack_import: %s: %s\n", data ? argv[3] : argv[2], strerror(errno));
        return 2;
    }
    s_import im = {.log = log, .timeout_ms = argc == 5 ? atoi(argv[4]) : 4000};
    acc_feed_opts_t opts = {.source = "import", .source_is_default = 1};
    acc_feed_t *rd = NULL;
    s_batch *cur = NULL;
    int rc = 2;
    acc_errinfo_t ei;
    acc_errinfo_clear(&ei);
    if (acc_client_new(argv[1], (size_t)64 << 20, &im.client, &ei) != ACC_OK) {
        fprintf(stderr, "ack_import: %s: %s\n", argv[1], ei.msg);
        rc = 1;
        goto out;
    }
    if (acc_feed_new(ACC_FEED_JSONL, data, len, &opts, &rd, &ei) != ACC_OK) {
        fprintf(stderr, "ack_import: %s: %s\n", argv[2], ei.msg);
        goto out;
    }
    for (;;) {
        Accord__V1__Report *r = NULL;
        char where[96];
        acc_errinfo_clear(&ei);
        acc_err err = acc_feed_next(rd, &r, where, sizeof where, &ei);
        if (err == ACC_ERR_NOT_FOUND)
            break;
        if (err != ACC_OK) {
            fprintf(log, "unreadable %s %s\n", where, ei.msg);
            continue;
        }
        if (!r->id[0]) {
            char id[ACC_UUID_TEXT_LEN + 1];
            acc_feed_derive_id(r, id);
            r->id = strdup(id);
            if (!r->id) {
                r->id = (char *)protobuf_c_empty_string;
                accord__v1__report__free_unpacked(r, NULL);
                goto out;
            }
        }
        size_t rsz = accord__v1__report__get_packed_size(r) + 8;
        if (cur && cur->n && cur->bytes + rsz > S_BATCH_BYTES) {
            s_batch *b = cur;
            cur = NULL;
            if ((rc = s_send(&im, b))) {
                accord__v1__report__free_unpacked(r, NULL);
                goto out;
            }
            rc = 2;
        }
        if (!cur && !(cur = calloc(1, sizeof *cur))) {
            accord__v1__report__free_unpacked(r, NULL);
            goto out;
        }
        cur->reps[cur->n++] = r;
        cur->bytes += rsz;
        if (cur->n == S_BATCH) {
            s_batch *b = cur;
            cur = NULL;
            if ((rc = s_send(&im, b)))
                goto out;
            rc = 2;
        }
    }
    if (cur && cur->n) {
        s_batch *b = cur;
        cur = NULL;
        if ((rc = s_send(&im, b)))
            goto out;
    }
    rc = 0;
    while (im.n_inflight && !rc)
        rc = s_receive(&im);
out:
    for (int i = 0; i < im.n_inflight; i++)
        s_batch_free(im.inflight[i]);
    s_batch_free(cur);
    acc_feed_destroy(&rd);
    acc_client_destroy(&im.client);
    fclose(log);
    free(data);
    return rc;
}
