/*
 * intake_http — HTTP ingest inside intake (libmicrohttpd): the node's door for sources
 * that speak HTTP and for citizens with a browser.
 *
 *   POST /v1/reports                 one report (a JSON object) or an array of them, with
 *                                    `Authorization: Bearer TOKEN` (a configured source)
 *   POST /v1/feeds/{source}?format=F a feed body in any acc_feed format (jsonl, csv, stix,
 *                                    misp, urlhaus, phishtank, openphish); optional
 *                                    `&category=C`; the token must be {source}'s
 *   GET  /report                     the citizen form (Vietnamese; English when the
 *                                    browser asks for it or with ?lang=en); no JavaScript
 *   POST /report                     the form's submission, stored under source "citizen"
 *   GET  /healthz                    "ok"
 *
 * Every request becomes one or more Request{submit} messages (at most 1,000 reports and
 * limits.message_max_bytes each) sent over a DEALER to INTAKE_INPROC_ENDPOINT; intake
 * answers only after its LMDB commit, so a 202 means "on disk". Reports without an id
 * get one derived from their content (as accordctl does), so repeating a request after a
 * timeout stores nothing twice; citizen reports get a fresh id from intake.
 *
 * Status codes: 202 stored (the body lists per-report outcomes and rejections), 400 bad
 * body, 401 no or unknown token (with WWW-Authenticate: Bearer), 403 token of another
 * source, 404, 405 (with Allow), 413 body over http.body_max_bytes (checked against
 * Content-Length before reading, and while reading; nothing beyond the cap is buffered),
 * 429 over the source's reports per minute, or the citizen's per address (Retry-After;
 * nothing of the request is stored), 503 intake busy, full or not answering within 30 s
 * (Retry-After). Errors are JSON {"error": "...", "path": "..."} where path is a JSON path
 * into the body ("$", "$[3].url") or the name of the header, query parameter or URL part
 * at fault ("Authorization", "format", "source", "method").
 *
 * Citizen contact details (name, email, phone) travel to intake as ReporterContact, never
 * inside the Report, so they stay on this node.
 *
 * The files behind this header: intake_httpd.c (daemon and routing), intake_api.c (/v1),
 * intake_form.c (/report), intake_http_submit.c (to intake); see intake_http_int.h. The
 * body of POST /v1/reports is read by acc_import_body_parse (acc_import.h).
 */
#ifndef INTAKE_HTTP_H
#define INTAKE_HTTP_H

#include <stddef.h>

#include "acc_config.h"
#include "acc_err.h"

typedef struct intake_http intake_http_t;

/*
 * intake_http_new — start the HTTP server on cfg->http.bind ("HOST:PORT", "[V6]:PORT"),
 * bound to that address only, with a pool of 4 threads, TLS when cfg->http.tls_cert and
 * tls_key are set. Reports go to intake over INTAKE_INPROC_ENDPOINT in @zctx, which must
 * be bound (or be bound soon: inproc connects wait for the bind).
 * @cfg and @zctx are borrowed and must outlive the server.
 * Errors: ACC_ERR_CONFIG (a bind address that does not parse, TLS configured but not
 * available), ACC_ERR_IO (cannot read the TLS files), ACC_ERR_NET (cannot listen: ei
 * names the address), ACC_ERR_NOMEM.
 */
acc_err intake_http_new(const acc_config_t *cfg, void *zctx, intake_http_t **out,
                        acc_errinfo_t *ei);

/* intake_http_destroy — stop the server: requests waiting for intake are answered 503 at
 * once; waits for the worker threads. NULL-safe; nulls *@self_p. */
void intake_http_destroy(intake_http_t **self_p);

#endif
