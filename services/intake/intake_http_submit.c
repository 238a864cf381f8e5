/*
 * intake_http_submit — how HTTP ingest hands reports to intake: Request{submit} messages
 * over an acc_client on INTAKE_INPROC_ENDPOINT in the node's ZeroMQ context, in batches
 * that fit intake's limits, each answered only after intake's LMDB commit. See
 * intake_http_int.h.
 *
 * One client per request, opened and closed on the pool thread handling it: a ZeroMQ
 * socket must not cross threads, a request never leaves its thread, and an inproc
 * connect costs microseconds beside an LMDB commit. A client per request also means an
 * answer that comes after a timeout is never mistaken for the next request's.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <zmq.h>

#include "acc_client.h"
#include "intake.h"
#include "acc_time.h"
#include "intake_http_int.h"
#include "intake_server.h"

#define CALL_TIMEOUT_MS 30000    /* waiting for intake's answer */
#define CALL_SLICE_MS 200        /* how often a waiting thread checks for shutdown */
#define RESPONSE_MAX (64u << 20) /* the largest answer accepted from intake */
#define BATCH_HEADROOM 4096      /* envelope and contacts beside the reports */

/* Wait for the answer to request @id in slices, so that a shutdown is noticed within
 * CALL_SLICE_MS. INTAKE_HTTP_RETRY: no answer in time, or shutting down (@why). */
static intake_http_sendrc
s_wait(intake_http_t *self, acc_client_t *cl, uint64_t id, Accord__V1__Response **out, char *why,
       size_t whylen)
{
    int64_t deadline = acc_time_mono_ms() + CALL_TIMEOUT_MS;
    for (;;) {
        if (atomic_load(&self->stopping)) {
            snprintf(why, whylen, "the node is shutting down");
            return INTAKE_HTTP_RETRY;
        }
        int64_t left = deadline - acc_time_mono_ms();
        if (left <= 0) {
            snprintf(why, whylen, "intake did not answer within %d s", CALL_TIMEOUT_MS / 1000);
            return INTAKE_HTTP_RETRY;
        }
        Accord__V1__Response *resp = NULL;
        acc_errinfo_t ei;
        acc_errinfo_clear(&ei);
        acc_err err =
            acc_client_recv(cl, left < CALL_SLICE_MS ? (int)left : CALL_SLICE_MS, &resp, &ei);
        if (err == ACC_ERR_TIMEOUT || (err == ACC_ERR_NET && zmq_errno() == EINTR))
            continue;
        if (err == ACC_ERR_NET) {
            snprintf(why, whylen, "cannot wait for intake: %s", zmq_strerror(zmq_errno()));
            return INTAKE_HTTP_FAIL;
        }
        if (err != ACC_OK) {
            snprintf(why, whylen, "undecodable answer from intake: %.300s", ei.msg);
            return INTAKE_HTTP_FAIL;
        }
        if (resp->request_id != id) { /* cannot happen on a private socket */
            accord__v1__response__free_unpacked(resp, NULL);
            continue;
        }
        *out = resp;
        return INTAKE_HTTP_SENT;
    }
}

/* Send @sub and wait for its answer. INTAKE_HTTP_RETRY: intake did not answer in time or
 * is shutting down (@why says which); INTAKE_HTTP_FAIL: anything else (@why). */
static intake_http_sendrc
s_call(intake_http_t *self, acc_client_t *cl, Accord__V1__SubmitReports *sub,
       Accord__V1__Response **out, char *why, size_t whylen)
{
    Accord__V1__Request req = ACCORD__V1__REQUEST__INIT;
    req.request_id = acc_client_next_id(cl);
    req.body_case = ACCORD__V1__REQUEST__BODY_SUBMIT;
    req.submit = sub;
    /* The client accepts answers up to RESPONSE_MAX, but what is sent must fit intake's
     * message limit. */
    acc_err err =
        accord__v1__request__get_packed_size(&req) > (size_t)self->cfg->limits.message_max_bytes
            ? ACC_ERR_TOO_LARGE
            : acc_client_send(cl, &req);
    if (err == ACC_ERR_NET) {
        snprintf(why, whylen, "cannot reach intake: %s", zmq_strerror(zmq_errno()));
        return INTAKE_HTTP_RETRY;
    }
    if (err != ACC_OK) {
        snprintf(why, whylen, "cannot encode a submission: %s", acc_strerror(err));
        return INTAKE_HTTP_FAIL;
    }
    return s_wait(self, cl, req.request_id, out, why, whylen);
}

/* How many of @reps[0..@n) go in the next batch: at most INTAKE_SUBMIT_MAX and @budget
 * bytes, and at least one. */
static size_t
s_batch(Accord__V1__Report **reps, size_t n, size_t budget)
{
    size_t count = 0, bytes = 0;
    while (count < n && count < INTAKE_SUBMIT_MAX) {
        size_t sz = accord__v1__report__get_packed_size(reps[count]) + 8;
        if (count && bytes + sz > budget)
            break;
        bytes += sz;
        count++;
    }
    return count;
}

/* Hand intake's answer @resp to a batch of @count reports starting at @start to @fn.
 * INTAKE_HTTP_SENT, or RETRY / FAIL with @why. */
static intake_http_sendrc
s_results(const Accord__V1__Response *resp, size_t start, size_t count, intake_http_result_fn fn,
          void *arg, char *why, size_t whylen)
{
    Accord__V1__Code code = resp->status ? resp->status->code : ACCORD__V1__CODE__CODE_OK;
    if (code == ACCORD__V1__CODE__CODE_OK && resp->body_case == ACCORD__V1__RESPONSE__BODY_SUBMIT &&
        resp->submit->n_results == count) {
        for (size_t i = 0; i < count; i++) {
            const Accord__V1__ReportResult *rr = resp->submit->results[i];
            if (rr->index < count)
                fn(arg, start + rr->index, rr);
        }
        return INTAKE_HTTP_SENT;
    }
    if (code == ACCORD__V1__CODE__CODE_TOO_LARGE && count == 1) {
        /* One report alone over the message limit: it is that report's fault. */
        Accord__V1__Status st = ACCORD__V1__STATUS__INIT;
        Accord__V1__ReportResult rr = ACCORD__V1__REPORT_RESULT__INIT;
        st.code = code;
        st.field = (char *)"reports[0]";
        st.message = (char *)"the report is larger than the node's message limit";
        rr.outcome = ACCORD__V1__OUTCOME__OUTCOME_REJECTED;
        rr.error = &st;
        fn(arg, start, &rr);
        return INTAKE_HTTP_SENT;
    }
    if (code == ACCORD__V1__CODE__CODE_RETRY) {
        snprintf(why, whylen, "intake asks to retry later: %s",
                 resp->status->message[0] ? resp->status->message : "busy");
        return INTAKE_HTTP_RETRY;
    }
    snprintf(why, whylen, "intake refused the submission: %s%s%s",
             resp->status ? resp->status->field : "",
             resp->status && resp->status->field[0] ? ": " : "",
             resp->status ? resp->status->message : "no result");
    return INTAKE_HTTP_FAIL;
}

intake_http_sendrc
intake_http_submit_all(intake_http_t *self, Accord__V1__Report **reps, size_t n,
                       Accord__V1__ReporterContact *contact, intake_http_result_fn fn, void *arg,
                       size_t *committed, char *why, size_t whylen)
{
    *committed = 0;
    if (n == 0)
        return INTAKE_HTTP_SENT;
    acc_client_t *cl = NULL;
    acc_errinfo_t ei;
    acc_errinfo_clear(&ei);
    if (acc_client_new_in(self->zctx, INTAKE_INPROC_ENDPOINT, RESPONSE_MAX, &cl, &ei) != ACC_OK) {
        snprintf(why, whylen, "cannot open a socket to intake: %s",
                 ei.msg[0] ? ei.msg : zmq_strerror(zmq_errno()));
        return INTAKE_HTTP_RETRY;
    }
    size_t max = (size_t)self->cfg->limits.message_max_bytes;
    size_t budget = max > BATCH_HEADROOM * 2 ? max - BATCH_HEADROOM : max / 2;
    intake_http_sendrc rc = INTAKE_HTTP_SENT;
    for (size_t start = 0; start < n && rc == INTAKE_HTTP_SENT;) {
        size_t count = s_batch(reps + start, n - start, budget);
        Accord__V1__SubmitReports sub = ACCORD__V1__SUBMIT_REPORTS__INIT;
        sub.reports = reps + start;
        sub.n_reports = count;
        Accord__V1__ReporterContact *contacts[1] = {contact};
        if (contact) {
            sub.contacts = contacts;
            sub.n_contacts = 1;
        }
        Accord__V1__Response *resp = NULL;
        if ((rc = s_call(self, cl, &sub, &resp, why, whylen)) != INTAKE_HTTP_SENT)
            break;
        rc = s_results(resp, start, count, fn, arg, why, whylen);
        accord__v1__response__free_unpacked(resp, NULL);
        if (rc == INTAKE_HTTP_SENT) {
            *committed += count;
            start += count;
        }
    }
    acc_client_destroy(&cl);
    return rc;
}
