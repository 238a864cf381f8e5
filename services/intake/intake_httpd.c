/*
 * intake_httpd — the HTTP daemon of intake's ingest (see intake_http.h for the public
 * side and intake_http_int.h for the files behind it): libmicrohttpd with a pool of
 * threads, TLS when configured, connection limits, reading each body within
 * http.body_max_bytes, routing a path to its handler (intake_api.c, intake_form.c), the
 * headers every answer carries, and the rate limiters the handlers take from.
 *
 * What can be refused from the headers alone (an unknown path, a wrong method, a missing
 * token, a bad query, a body announced over the cap) is refused before the body is read,
 * so a refused upload is never kept.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "acc_log.h"
#include "intake_http_int.h"

#define POOL_THREADS 4
#define CONN_MEMORY (64 * 1024) /* per connection: headers and the read buffer */
#define CONN_TIMEOUT_S 60       /* idle connections are closed after this */
#define CONN_LIMIT 512
#define IP_SLOTS 4096 /* citizen addresses remembered for rate limiting */
#define PEM_MAX (1 << 20)

/* --- answers ---------------------------------------------------------------------------- */

enum MHD_Result
intake_http_reply(struct MHD_Connection *c, unsigned status, const char *ctype, const char *body,
                  size_t len, const char *const *hdrs)
{
    struct MHD_Response *r =
        MHD_create_response_from_buffer(len, (void *)(uintptr_t)body, MHD_RESPMEM_MUST_COPY);
    if (!r)
        return MHD_NO;
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
    MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
    for (size_t i = 0; hdrs && hdrs[i] && hdrs[i + 1]; i += 2)
        MHD_add_response_header(r, hdrs[i], hdrs[i + 1]);
    enum MHD_Result rc = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return rc;
}

enum MHD_Result
intake_http_reply_json(struct MHD_Connection *c, unsigned status, json_t *j,
                       const char *const *hdrs)
{
    char *text = j ? json_dumps(j, JSON_COMPACT | JSON_ENSURE_ASCII) : NULL;
    json_decref(j);
    acc_buf_t b = ACC_BUF_INIT;
    if (text) {
        acc_buf_adds(&b, text);
        acc_buf_addch(&b, '\n');
        free(text);
    }
    if (!text || acc_buf_error(&b) != ACC_OK) {
        static const char oom[] = "{\"error\":\"out of memory\",\"path\":\"\"}\n";
        acc_buf_release(&b);
        return intake_http_reply(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "application/json", oom,
                                 sizeof oom - 1, NULL);
    }
    enum MHD_Result rc = intake_http_reply(c, status, "application/json", b.buf, b.len, hdrs);
    acc_buf_release(&b);
    return rc;
}

enum MHD_Result
intake_http_reply_error(struct MHD_Connection *c, unsigned status, const char *path,
                        const char *msg, const char *const *hdrs)
{
    return intake_http_reply_json(c, status, json_pack("{s:s, s:s}", "error", msg, "path", path),
                                  hdrs);
}

enum MHD_Result
intake_http_reply_unavailable(struct MHD_Connection *c, const char *why, size_t committed)
{
    static const char *const hdrs[] = {MHD_HTTP_HEADER_RETRY_AFTER, INTAKE_HTTP_RETRY_AFTER_S,
                                       NULL};
    char msg[640];
    if (committed)
        snprintf(msg, sizeof msg,
                 "%s; the first %zu reports of this request were stored: send the request "
                 "again later (stored reports are recognised by their id)",
                 why, committed);
    else
        snprintf(msg, sizeof msg, "%s; nothing of this request was stored: send it again later",
                 why);
    acc_log_warn(INTAKE_HTTP_TAG, "503: %s", msg);
    return intake_http_reply_error(c, MHD_HTTP_SERVICE_UNAVAILABLE, "$", msg, hdrs);
}

/* --- rate limits ------------------------------------------------------------------------ */

int64_t
intake_http_rate_take(intake_http_t *self, const acc_source_cfg_t *src, const unsigned char *ip,
                      size_t n)
{
    if (ip)
        return acc_ratelimit_take(self->ip_rate, ip, INTAKE_HTTP_IP_KEY_LEN,
                                  (double)self->cfg->http.citizen_rate_per_minute, (double)n);
    if (src && src->rate_per_minute > 0)
        return acc_ratelimit_take(self->src_rate, src->name, strlen(src->name),
                                  (double)src->rate_per_minute, (double)n);
    return 0;
}

/* IPv6 by /64, since one subscriber usually has a whole /64 to pick addresses from. */
void
intake_http_client_key(struct MHD_Connection *c, unsigned char key[INTAKE_HTTP_IP_KEY_LEN])
{
    memset(key, 0, INTAKE_HTTP_IP_KEY_LEN);
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    const struct sockaddr *sa = ci ? ci->client_addr : NULL;
    if (sa && sa->sa_family == AF_INET) {
        key[0] = 4;
        memcpy(key + 1, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, 4);
    } else if (sa && sa->sa_family == AF_INET6) {
        const unsigned char *a = ((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr.s6_addr;
        static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
        if (memcmp(a, mapped, 12) == 0) {
            key[0] = 4;
            memcpy(key + 1, a + 12, 4);
        } else {
            key[0] = 6;
            memcpy(key + 1, a, 8);
        }
    }
}

/* --- routing ---------------------------------------------------------------------------- */

static const char *const s_hdr_auth[] = {MHD_HTTP_HEADER_WWW_AUTHENTICATE,
                                         "Bearer realm=\"accord\"", NULL};
static const char *const s_hdr_allow_get[] = {MHD_HTTP_HEADER_ALLOW, "GET, HEAD", NULL};
static const char *const s_hdr_allow_form[] = {MHD_HTTP_HEADER_ALLOW, "GET, HEAD, POST", NULL};
static const char *const s_hdr_allow_post[] = {MHD_HTTP_HEADER_ALLOW, "POST", NULL};
static const char s_bearer_msg[] = "a valid bearer token is required";

static void
s_req_free(intake_http_req_t *rq)
{
    if (!rq)
        return;
    intake_form_free(rq->form);
    acc_buf_release(&rq->body);
    free(rq);
}

static int
s_is(const char *method, const char *m)
{
    return strcmp(method, m) == 0;
}

/* The token's source, or NULL (then the caller answers 401). */
static const acc_source_cfg_t *
s_bearer(const acc_config_t *cfg, struct MHD_Connection *c)
{
    const char *h = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
    if (!h || strncasecmp(h, "Bearer ", 7) != 0)
        return NULL;
    h += 7;
    while (*h == ' ')
        h++;
    if (!*h)
        return NULL;
    return acc_config_source_by_token(cfg, h);
}

/* Whether to read (and throw away) the body of a request refused before its body: a
 * server that closes a connection with unread data makes the kernel reset it, and the
 * client may then lose the answer. So a body of moderate size is drained first; one the
 * client holds back (Expect: 100-continue) or a huge one is refused at once. */
static int
s_drain_first(const intake_http_t *self, struct MHD_Connection *c)
{
    const char *expect = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_EXPECT);
    if (expect && strcasecmp(expect, "100-continue") == 0)
        return 0;
    const char *cl =
        MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    if (cl) {
        errno = 0;
        unsigned long long v = strtoull(cl, NULL, 10);
        return errno == 0 && v > 0 && v <= 2 * (unsigned long long)self->cfg->http.body_max_bytes;
    }
    return MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_TRANSFER_ENCODING) !=
           NULL;
}

/* Refuse the request with a JSON error, now or after draining its body. @hdrs static. */
static enum MHD_Result
s_refuse(intake_http_t *self, struct MHD_Connection *c, intake_http_req_t *rq, unsigned status,
         const char *path, const char *msg, const char *const *hdrs)
{
    if (!s_drain_first(self, c))
        return intake_http_reply_error(c, status, path, msg, hdrs);
    rq->refused = status;
    rq->refused_hdrs = hdrs;
    snprintf(rq->refused_path, sizeof rq->refused_path, "%s", path);
    snprintf(rq->refused_msg, sizeof rq->refused_msg, "%s", msg);
    return MHD_YES;
}

static enum MHD_Result
s_refuse_method(intake_http_t *self, struct MHD_Connection *c, intake_http_req_t *rq,
                const char *const *allow)
{
    return s_refuse(self, c, rq, MHD_HTTP_METHOD_NOT_ALLOWED, "method", "method not allowed",
                    allow);
}

/* POST /v1/feeds/{source}: the token must be {source}'s; ?format= and ?category=. */
static enum MHD_Result
s_begin_feed(intake_http_t *self, struct MHD_Connection *c, intake_http_req_t *rq,
             const char *source)
{
    const acc_config_t *cfg = self->cfg;
    if (strcmp(rq->src->name, source) != 0)
        return s_refuse(self, c, rq, MHD_HTTP_FORBIDDEN, "source",
                        "this token does not belong to the source in the url", NULL);
    const char *fmt = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "format");
    rq->fmt = fmt ? acc_feed_format_parse(fmt) : ACC_FEED_UNKNOWN;
    if (rq->fmt == ACC_FEED_UNKNOWN)
        return s_refuse(self, c, rq, MHD_HTTP_BAD_REQUEST, "format",
                        "'format' must be one of jsonl, csv, stix, misp, urlhaus, "
                        "phishtank, openphish",
                        NULL);
    const char *cat = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "category");
    if (cat && *cat) {
        if (!acc_config_category(cfg, cat)) {
            char list[1024], msg[1200];
            acc_config_category_list(cfg, list, sizeof list);
            snprintf(msg, sizeof msg, "unknown category; valid: %s", list);
            return s_refuse(self, c, rq, MHD_HTTP_BAD_REQUEST, "category", msg, NULL);
        }
        snprintf(rq->category, sizeof rq->category, "%s", cat);
    }
    return MHD_YES;
}

/* Route @url and @method to rq->route; MHD_YES with rq->route set when the request may
 * go on, else the refusal's result (rq->route may stay R_NONE). */
static enum MHD_Result
s_route(intake_http_t *self, struct MHD_Connection *c, const char *url, const char *method,
        intake_http_req_t *rq)
{
    int get = s_is(method, MHD_HTTP_METHOD_GET) || s_is(method, MHD_HTTP_METHOD_HEAD);
    int post = s_is(method, MHD_HTTP_METHOD_POST);
    if (strcmp(url, "/healthz") == 0) {
        if (!get)
            return s_refuse_method(self, c, rq, s_hdr_allow_get);
        rq->route = INTAKE_HTTP_R_HEALTH; /* answered once complete: keeps keep-alive */
        return MHD_YES;
    }
    if (strcmp(url, "/report") == 0) {
        if (get) {
            rq->route = INTAKE_HTTP_R_FORM_GET;
            return MHD_YES;
        }
        if (!post)
            return s_refuse_method(self, c, rq, s_hdr_allow_form);
        rq->route = INTAKE_HTTP_R_FORM_POST;
        int rc = intake_form_begin(self, c, rq);
        if (rc == -1)
            return intake_http_reply_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "$", "out of memory",
                                           NULL);
        if (rc != 0)
            return s_refuse(self, c, rq, MHD_HTTP_UNSUPPORTED_MEDIA_TYPE, "Content-Type",
                            "send the form as application/x-www-form-urlencoded or "
                            "multipart/form-data",
                            NULL);
        return MHD_YES;
    }
    int feeds = strncmp(url, "/v1/feeds/", 10) == 0 && url[10] && !strchr(url + 10, '/');
    if (!feeds && strcmp(url, "/v1/reports") != 0)
        return s_refuse(self, c, rq, MHD_HTTP_NOT_FOUND, "url", "no such resource", NULL);
    if (!post)
        return s_refuse_method(self, c, rq, s_hdr_allow_post);
    rq->route = feeds ? INTAKE_HTTP_R_FEEDS : INTAKE_HTTP_R_REPORTS;
    if (!(rq->src = s_bearer(self->cfg, c)))
        return s_refuse(self, c, rq, MHD_HTTP_UNAUTHORIZED, "Authorization", s_bearer_msg,
                        s_hdr_auth);
    return feeds ? s_begin_feed(self, c, rq, url + 10) : MHD_YES;
}

/* The first call for a request (headers read, no body yet): route it, and refuse what
 * can be refused without the body, so that a refused upload is never kept. */
static enum MHD_Result
s_begin(intake_http_t *self, struct MHD_Connection *c, const char *url, const char *method,
        intake_http_req_t *rq)
{
    const acc_config_t *cfg = self->cfg;
    enum MHD_Result r = s_route(self, c, url, method, rq);
    if (r != MHD_YES || rq->refused || rq->route == INTAKE_HTTP_R_HEALTH ||
        rq->route == INTAKE_HTTP_R_FORM_GET)
        return r;
    const char *cl =
        MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    if (cl) {
        errno = 0;
        unsigned long long v = strtoull(cl, NULL, 10);
        if (errno == ERANGE || v > (unsigned long long)cfg->http.body_max_bytes) {
            char msg[128];
            snprintf(msg, sizeof msg, "the body is larger than %lld bytes",
                     (long long)cfg->http.body_max_bytes);
            return s_refuse(self, c, rq, MHD_HTTP_CONTENT_TOO_LARGE, "Content-Length", msg, NULL);
        }
        if (rq->route != INTAKE_HTTP_R_FORM_POST && v > 0 &&
            acc_buf_grow(&rq->body, (size_t)v) != ACC_OK)
            return intake_http_reply_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "$", "out of memory",
                                           NULL);
    }
    return MHD_YES;
}

/* A piece of the body. Past the cap nothing is kept; a client that keeps sending after
 * twice the cap is disconnected. */
static enum MHD_Result
s_body(intake_http_t *self, intake_http_req_t *rq, const char *data, size_t n)
{
    uint64_t max = (uint64_t)self->cfg->http.body_max_bytes;
    if (!rq->too_large && !rq->refused && rq->received + n > max) {
        rq->too_large = 1;
        acc_buf_release(&rq->body);
    }
    if (rq->too_large || rq->refused || rq->route == INTAKE_HTTP_R_HEALTH ||
        rq->route == INTAKE_HTTP_R_FORM_GET) {
        rq->discarded += n;
        return rq->discarded > 2 * max ? MHD_NO : MHD_YES;
    }
    rq->received += n;
    if (rq->route == INTAKE_HTTP_R_FORM_POST) {
        intake_form_data(rq, data, n);
        return MHD_YES;
    }
    return acc_buf_add(&rq->body, data, n) == ACC_OK ? MHD_YES : MHD_NO;
}

static enum MHD_Result
s_finish(intake_http_t *self, struct MHD_Connection *c, intake_http_req_t *rq)
{
    if (rq->refused)
        return intake_http_reply_error(c, rq->refused, rq->refused_path, rq->refused_msg,
                                       rq->refused_hdrs);
    if (rq->too_large) {
        char msg[128];
        snprintf(msg, sizeof msg, "the body is larger than %lld bytes",
                 (long long)self->cfg->http.body_max_bytes);
        return intake_http_reply_error(c, MHD_HTTP_CONTENT_TOO_LARGE, "$", msg, NULL);
    }
    switch (rq->route) {
    case INTAKE_HTTP_R_HEALTH:
        return intake_http_reply(c, MHD_HTTP_OK, "text/plain; charset=utf-8", "ok\n", 3, NULL);
    case INTAKE_HTTP_R_FORM_GET:
        return intake_form_get(self, c);
    case INTAKE_HTTP_R_REPORTS:
        return intake_api_reports(self, c, rq);
    case INTAKE_HTTP_R_FEEDS:
        return intake_api_feed(self, c, rq);
    case INTAKE_HTTP_R_FORM_POST:
        return intake_form_post(self, c, rq);
    case INTAKE_HTTP_R_NONE:
        break;
    }
    return intake_http_reply_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "$", "request in a bad state",
                                   NULL);
}

static enum MHD_Result
s_on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
             const char *version, const char *upload_data, size_t *upload_data_size, void **con_cls)
{
    (void)version;
    intake_http_t *self = cls;
    intake_http_req_t *rq = *con_cls;
    if (!rq) {
        if (!(rq = calloc(1, sizeof *rq)))
            return MHD_NO;
        acc_buf_init(&rq->body);
        *con_cls = rq;
        return s_begin(self, c, url, method, rq);
    }
    if (*upload_data_size) {
        enum MHD_Result r = s_body(self, rq, upload_data, *upload_data_size);
        *upload_data_size = 0;
        return r;
    }
    return s_finish(self, c, rq);
}

static void
s_on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
               enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)c;
    (void)toe;
    s_req_free(*con_cls);
    *con_cls = NULL;
}

static void s_mhd_log(void *cls, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));

static void
s_mhd_log(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    char buf[512];
    vsnprintf(buf, sizeof buf, fmt, ap);
    size_t n = strlen(buf);
    while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
        buf[--n] = '\0';
    acc_log_warn(INTAKE_HTTP_TAG, "libmicrohttpd: %s", buf);
}

/* --- start and stop --------------------------------------------------------------------- */

/* "HOST:PORT" or "[V6]:PORT" into a socket address. */
static acc_err
s_parse_bind(const char *bind, struct sockaddr_storage *ss, int *v6, uint16_t *port,
             acc_errinfo_t *ei)
{
    char host[256];
    const char *colon = strrchr(bind, ':');
    if (!colon || colon == bind || !colon[1])
        goto bad;
    size_t hl = (size_t)(colon - bind);
    const char *h = bind;
    if (bind[0] == '[') {
        if (hl < 3 || bind[hl - 1] != ']')
            goto bad;
        h++;
        hl -= 2;
    }
    if (hl >= sizeof host)
        goto bad;
    memcpy(host, h, hl);
    host[hl] = '\0';
    char *end = NULL;
    unsigned long p = strtoul(colon + 1, &end, 10);
    if (*end || p == 0 || p > 65535)
        goto bad;
    struct addrinfo hints = {
        .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV};
    struct addrinfo *res = NULL;
    int rc = getaddrinfo(host, colon + 1, &hints, &res);
    if (rc != 0 || !res) {
        acc_errinfo_set(ei, "http.bind", "cannot resolve '%s': %s", host, gai_strerror(rc));
        return ACC_ERR_CONFIG;
    }
    memset(ss, 0, sizeof *ss);
    memcpy(ss, res->ai_addr, res->ai_addrlen);
    *v6 = res->ai_family == AF_INET6;
    *port = (uint16_t)p;
    freeaddrinfo(res);
    return ACC_OK;
bad:
    acc_errinfo_set(ei, "http.bind", "'%s' is not HOST:PORT (e.g. 127.0.0.1:7408 or [::1]:7408)",
                    bind);
    return ACC_ERR_CONFIG;
}

static acc_err
s_read_pem(const char *path, const char *key, char **out, acc_errinfo_t *ei)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        acc_errinfo_set(ei, key, "cannot open '%s': %s", path, strerror(errno));
        return ACC_ERR_IO;
    }
    char *buf = malloc(PEM_MAX + 1);
    if (!buf) {
        fclose(f);
        return ACC_ERR_NOMEM;
    }
    size_t n = fread(buf, 1, PEM_MAX, f);
    int bad = ferror(f) || !feof(f) || n == 0;
    fclose(f);
    if (bad) {
        free(buf);
        acc_errinfo_set(ei, key, "cannot read '%s' (empty, unreadable or over 1 MiB)", path);
        return ACC_ERR_IO;
    }
    buf[n] = '\0';
    *out = buf;
    return ACC_OK;
}

void
intake_http_destroy(intake_http_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    intake_http_t *self = *self_p;
    atomic_store(&self->stopping, 1);
    if (self->daemon)
        MHD_stop_daemon(self->daemon);
    if (self->tls_key)
        sodium_memzero(self->tls_key, strlen(self->tls_key));
    free(self->tls_key);
    free(self->tls_cert);
    acc_ratelimit_destroy(&self->src_rate);
    acc_ratelimit_destroy(&self->ip_rate);
    free(self);
    *self_p = NULL;
}

/* Read the TLS key and certificate into @self and fill @opts for the daemon. */
static acc_err
s_tls(intake_http_t *self, struct MHD_OptionItem opts[2], acc_errinfo_t *ei)
{
    const acc_config_t *cfg = self->cfg;
    if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
        acc_errinfo_set(ei, "http.tls_cert", "this libmicrohttpd was built without TLS");
        return ACC_ERR_CONFIG;
    }
    acc_err err;
    if ((err = s_read_pem(cfg->http.tls_key, "http.tls_key", &self->tls_key, ei)) != ACC_OK ||
        (err = s_read_pem(cfg->http.tls_cert, "http.tls_cert", &self->tls_cert, ei)) != ACC_OK)
        return err;
    opts[0] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_KEY, 0, self->tls_key};
    opts[1] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_CERT, 0, self->tls_cert};
    return ACC_OK;
}

/* Log where the server listens, and warn when tokens would cross a network in clear. */
static void
s_log_listening(const acc_config_t *cfg, const struct sockaddr_storage *ss, int v6, int tls)
{
    const char *scheme = tls ? "https" : "http";
    acc_log_info("intake", "http ingest on %s://%s/ (citizen form at %s://%s/report)", scheme,
                 cfg->http.bind, scheme, cfg->http.bind);
    int loopback =
        v6 ? IN6_IS_ADDR_LOOPBACK(&((const struct sockaddr_in6 *)(const void *)ss)->sin6_addr)
           : (ntohl(((const struct sockaddr_in *)(const void *)ss)->sin_addr.s_addr) >> 24) == 127;
    if (!tls && !loopback)
        acc_log_warn("intake", "http ingest on a non-loopback address without TLS: bearer "
                               "tokens and contact details cross the network in clear text");
}

acc_err
intake_http_new(const acc_config_t *cfg, void *zctx, intake_http_t **out, acc_errinfo_t *ei)
{
    acc_err err = ACC_ERR_NOMEM;
    intake_http_t *self = calloc(1, sizeof *self);
    if (!self)
        return ACC_ERR_NOMEM;
    self->cfg = cfg;
    self->zctx = zctx;
    atomic_init(&self->stopping, 0);
    if (acc_ratelimit_new(cfg->n_sources ? cfg->n_sources : 1, INTAKE_HTTP_RATE_WINDOW_MS, NULL,
                          NULL, &self->src_rate) != ACC_OK ||
        acc_ratelimit_new(IP_SLOTS, INTAKE_HTTP_RATE_WINDOW_MS, NULL, NULL, &self->ip_rate) !=
            ACC_OK)
        goto out;

    struct sockaddr_storage ss;
    int v6 = 0;
    uint16_t port = 0;
    if ((err = s_parse_bind(cfg->http.bind, &ss, &v6, &port, ei)) != ACC_OK)
        goto out;
    int tls =
        cfg->http.tls_cert && cfg->http.tls_cert[0] && cfg->http.tls_key && cfg->http.tls_key[0];
    unsigned int flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG;
    flags |= MHD_is_feature_supported(MHD_FEATURE_EPOLL) == MHD_YES ? MHD_USE_EPOLL : MHD_USE_POLL;
    if (v6)
        flags |= MHD_USE_IPv6;
    struct MHD_OptionItem tls_opts[3] = {
        {MHD_OPTION_END, 0, NULL}, {MHD_OPTION_END, 0, NULL}, {MHD_OPTION_END, 0, NULL}};
    if (tls) {
        if ((err = s_tls(self, tls_opts, ei)) != ACC_OK)
            goto out;
        flags |= MHD_USE_TLS;
    }
    self->daemon = MHD_start_daemon(
        flags, port, NULL, NULL, s_on_request, self, MHD_OPTION_EXTERNAL_LOGGER, s_mhd_log, self,
        MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss, MHD_OPTION_THREAD_POOL_SIZE,
        (unsigned int)POOL_THREADS, MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)CONN_MEMORY,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)CONN_TIMEOUT_S, MHD_OPTION_CONNECTION_LIMIT,
        (unsigned int)CONN_LIMIT, MHD_OPTION_NOTIFY_COMPLETED, s_on_completed, self,
        MHD_OPTION_ARRAY, tls_opts, MHD_OPTION_END);
    if (!self->daemon) {
        acc_errinfo_set(ei, "http.bind", "cannot listen on '%s' (see the log above)",
                        cfg->http.bind);
        err = ACC_ERR_NET;
        goto out;
    }
    s_log_listening(cfg, &ss, v6, tls);
    *out = self;
    self = NULL;
    err = ACC_OK;
out:
    intake_http_destroy(&self);
    return err;
}
