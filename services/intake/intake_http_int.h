/*
 * intake_http_int — what the files of intake's HTTP ingest share; not for use outside
 * them. The request path through them:
 *
 *   intake_httpd.c        the libmicrohttpd daemon: TLS, connections, reading bodies
 *                         within the cap, routing a path to a handler, the answers'
 *                         headers, and the rate limiters
 *   intake_api.c          POST /v1/reports and POST /v1/feeds/{source} (sources with
 *                         tokens)
 *   intake_form.c         GET and POST /report (the citizen form)
 *   intake_http_submit.c  handing reports to intake over ZeroMQ, in batches, and waiting
 *                         for its commit
 *
 * Every handler runs on one of the daemon's pool threads, from the request's first call
 * to its answer, so whatever a handler opens (a ZeroMQ socket) stays on that thread.
 */
#ifndef INTAKE_HTTP_INT_H
#define INTAKE_HTTP_INT_H

#include <jansson.h>
#include <microhttpd.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "acc_buf.h"
#include "acc_config.h"
#include "acc_feed.h"
#include "acc_ratelimit.h"
#include "accord/v1/control.pb-c.h"
#include "intake_http.h"

#define INTAKE_HTTP_TAG "http"
#define INTAKE_HTTP_CITIZEN "citizen"    /* the built-in source of the citizen form */
#define INTAKE_HTTP_RETRY_AFTER_S "5"    /* Retry-After of a 503 */
#define INTAKE_HTTP_CATEGORY_MAX 64      /* ?category= and the form's category */
#define INTAKE_HTTP_IP_KEY_LEN 17        /* family (4 or 6), then the address or /64 */
#define INTAKE_HTTP_RATE_WINDOW_MS 60000 /* limits are "per minute" */

struct intake_http {
    const acc_config_t *cfg;
    void *zctx;
    struct MHD_Daemon *daemon;
    char *tls_key, *tls_cert;  /* PEM, kept for the daemon's lifetime */
    atomic_int stopping;       /* set first thing on destroy: waiting requests give up */
    acc_ratelimit_t *src_rate; /* keyed by source name */
    acc_ratelimit_t *ip_rate;  /* citizens, keyed by address (intake_http_client_key) */
};

typedef enum {
    INTAKE_HTTP_R_NONE = 0,
    INTAKE_HTTP_R_HEALTH,
    INTAKE_HTTP_R_FORM_GET,
    INTAKE_HTTP_R_REPORTS,
    INTAKE_HTTP_R_FEEDS,
    INTAKE_HTTP_R_FORM_POST,
} intake_http_route;

/* The citizen form being received (intake_form.c). */
typedef struct intake_form_req intake_form_req_t;

/* One request, from its headers to its answer (the daemon's per-request context). */
typedef struct intake_http_req {
    intake_http_route route;
    const acc_source_cfg_t *src;                 /* the token's source (API routes) */
    acc_feed_format fmt;                         /* ?format= (feeds) */
    char category[INTAKE_HTTP_CATEGORY_MAX + 1]; /* ?category= (feeds), "" if none */
    acc_buf_t body;                              /* the body (API routes) */
    intake_form_req_t *form;                     /* the form's fields (POST /report) */
    /* the daemon's own (intake_httpd.c) */
    uint64_t received;  /* body bytes received and kept */
    uint64_t discarded; /* body bytes received and thrown away */
    int too_large;      /* the body went over http.body_max_bytes */
    unsigned refused;   /* an HTTP status decided before the body, sent once it is drained */
    const char *const *refused_hdrs;
    char refused_path[32];
    char refused_msg[1200];
} intake_http_req_t;

/* --- answers (intake_httpd.c) ------------------------------------------------------------ */

/* intake_http_reply — answer @status with @body[0..@len) (copied) of type @ctype, with
 * the headers every answer carries and @hdrs (name, value, ..., NULL; may be NULL). */
enum MHD_Result intake_http_reply(struct MHD_Connection *c, unsigned status, const char *ctype,
                                  const char *body, size_t len, const char *const *hdrs);

/* intake_http_reply_json — answer with @j (reference stolen; NULL gives a 500 "out of
 * memory"), compact, ASCII-only, newline-terminated. */
enum MHD_Result intake_http_reply_json(struct MHD_Connection *c, unsigned status, json_t *j,
                                       const char *const *hdrs);

/* intake_http_reply_error — answer {"error": @msg, "path": @path}. */
enum MHD_Result intake_http_reply_error(struct MHD_Connection *c, unsigned status, const char *path,
                                        const char *msg, const char *const *hdrs);

/* intake_http_reply_unavailable — 503 with Retry-After: intake could not take the request
 * (@why); @committed reports of it were stored before. Logged. */
enum MHD_Result intake_http_reply_unavailable(struct MHD_Connection *c, const char *why,
                                              size_t committed);

/* --- rate limits (intake_httpd.c) ------------------------------------------------------- */

/* intake_http_rate_take — take @n reports from the bucket of citizen address @ip (when
 * given; see intake_http_client_key) or else from source @src's (no limit when it has
 * none). Returns 0, or the seconds to wait (-1: more than the limit allows in one
 * request). */
int64_t intake_http_rate_take(intake_http_t *self, const acc_source_cfg_t *src,
                              const unsigned char *ip, size_t n);

/* intake_http_client_key — the client's address as a rate-limit key (all zeros when
 * unknown). */
void intake_http_client_key(struct MHD_Connection *c, unsigned char key[INTAKE_HTTP_IP_KEY_LEN]);

/* --- talking to intake (intake_http_submit.c) ------------------------------------------------ */

typedef enum {
    INTAKE_HTTP_SENT = 0, /* every batch answered */
    INTAKE_HTTP_RETRY,    /* intake busy, shutting down or not answering: try later */
    INTAKE_HTTP_FAIL,     /* anything else */
} intake_http_sendrc;

/* Called with each report's result: @k indexes the array given to intake_http_submit_all. */
typedef void (*intake_http_result_fn)(void *arg, size_t k, const Accord__V1__ReportResult *rr);

/*
 * intake_http_submit_all — send @reps[0..@n) (borrowed) to intake in batches of at most
 * INTAKE_SUBMIT_MAX reports and the message size limit, waiting for each batch's answer
 * (intake answers after its commit), and call @fn for every report. @contact (may be
 * NULL) belongs to report 0 and is only allowed with @n == 1. *@committed counts reports
 * in batches that intake answered (stored or rejected there). Returns
 * INTAKE_HTTP_SENT, or RETRY / FAIL with @why; batches before the failing one are
 * committed. Must be called on the thread handling the request.
 */
intake_http_sendrc intake_http_submit_all(intake_http_t *self, Accord__V1__Report **reps, size_t n,
                                          Accord__V1__ReporterContact *contact,
                                          intake_http_result_fn fn, void *arg, size_t *committed,
                                          char *why, size_t whylen);

/* --- handlers ----------------------------------------------------------------------------- */

/* POST /v1/reports and POST /v1/feeds/{source} (intake_api.c), once the body is in. */
enum MHD_Result intake_api_reports(intake_http_t *self, struct MHD_Connection *c,
                                   intake_http_req_t *rq);
enum MHD_Result intake_api_feed(intake_http_t *self, struct MHD_Connection *c,
                                intake_http_req_t *rq);

/* GET /report (intake_form.c). */
enum MHD_Result intake_form_get(intake_http_t *self, struct MHD_Connection *c);

/* intake_form_begin — POST /report's headers are in: get ready to receive its fields.
 * Returns 0, -1 when out of memory, -2 when the body is not a form (wrong
 * Content-Type). */
int intake_form_begin(intake_http_t *self, struct MHD_Connection *c, intake_http_req_t *rq);

/* intake_form_data — a piece of POST /report's body. */
void intake_form_data(intake_http_req_t *rq, const char *data, size_t n);

/* POST /report, once the body is in (intake_form.c). */
enum MHD_Result intake_form_post(intake_http_t *self, struct MHD_Connection *c,
                                 intake_http_req_t *rq);

/* intake_form_free — NULL-safe. */
void intake_form_free(intake_form_req_t *form);

#endif
