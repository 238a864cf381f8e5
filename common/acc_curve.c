/*
 * acc_curve — CurveZMQ set-up of TCP endpoints and the ZAP handler (RFC 27) that admits
 * the public keys of known agencies. See acc_curve.h for the contract.
 *
 * Data flow: a peer connects to one of our CURVE server sockets; once the CURVE handshake
 * proves the peer holds the secret half of its public key, libzmq asks the ZAP handler
 * (a REP socket at inproc://zeromq.zap.01 in the same context) whether that key may in.
 * We answer 200 with User-Id = the key's agency, or 400; libzmq then attaches that
 * User-Id to every message of the connection, which is where services read the sender.
 *
 * The handler is one thread that owns its REP socket from creation to close (sockets never
 * cross threads). It is woken for shutdown through a pipe(2) polled beside the socket, so
 * stopping it needs no ZeroMQ socket in the caller's thread and works even after
 * zmq_ctx_shutdown. The admitted-key table is the only state shared with other threads:
 * it is swapped whole under a mutex; counters are atomics.
 */
#include "acc_curve.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "acc_ids.h"
#include "acc_log.h"

/* The option exists and works in libzmq 4.3.4, but Debian's zmq.h declares it only
 * under ZMQ_BUILD_DRAFT_API. */
#ifndef ZMQ_ZAP_ENFORCE_DOMAIN
#define ZMQ_ZAP_ENFORCE_DOMAIN 93
#endif

#define S_TAG "zap"
#define S_ZAP_ENDPOINT "inproc://zeromq.zap.01"
#define S_KEY_BIN 32
/* A CURVE request has 7 frames; other mechanisms at most 8 (PLAIN). Anything beyond this
 * is drained and answered 500 without being looked at. */
#define S_MAX_FRAMES 10
/* libzmq sends "1"; RFC 27 lets the id be any opaque string: echo it when it is short. */
#define S_MAX_REQUEST_ID 255

typedef struct s_peer {
    uint8_t key[S_KEY_BIN];
    char agency[ACC_AGENCY_MAX + 1];
} s_peer_t;

struct acc_zap {
    void *zctx;
    pthread_t thread;
    int thread_started;
    int wake[2]; /* pipe: destroy writes [1], the handler polls [0] */

    pthread_mutex_t lock; /* guards peers, n_peers and the start hand-shake below */
    pthread_cond_t cond;
    s_peer_t *peers;
    size_t n_peers;
    int start_state; /* 0 starting, 1 running, -1 failed (start_errno says why) */
    int start_errno;

    atomic_ulong admitted;
    atomic_ulong refused;
};

/* ---------------------------------------------------------------------------------- */
/* keys                                                                                */

static const char s_z85_chars[] =
    "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#";

int
acc_curve_key_valid(const char *z85)
{
    if (!z85)
        return 0;
    /* Bounded scan: z85 may point at a buffer of exactly ACC_CURVE_KEY_LEN + 1. */
    if (strnlen(z85, ACC_CURVE_KEY_LEN + 1) != ACC_CURVE_KEY_LEN)
        return 0;
    for (size_t group = 0; group < ACC_CURVE_KEY_LEN; group += 5) {
        uint64_t value = 0;
        for (size_t i = group; i < group + 5; i++) {
            const char *p = z85[i] ? strchr(s_z85_chars, z85[i]) : NULL;
            if (!p)
                return 0;
            value = value * 85 + (uint64_t)(p - s_z85_chars);
        }
        /* Five Z85 digits can spell more than 32 bits; such text is no key. */
        if (value > UINT32_MAX)
            return 0;
    }
    return 1;
}

/* s_decode_key — Z85 text to 32 bytes; 0 on success, -1 when @z85 is not a key. */
static int
s_decode_key(const char *z85, uint8_t out[S_KEY_BIN])
{
    if (!acc_curve_key_valid(z85))
        return -1;
    return zmq_z85_decode(out, z85) ? 0 : -1;
}

/* s_build_table — validate and decode @peers into a fresh table (NULL when @n is 0). */
static acc_err
s_build_table(const acc_zap_peer_t *peers, size_t n, s_peer_t **out, acc_errinfo_t *ei)
{
    if (n > 0 && !peers) {
        acc_errinfo_set(ei, "peers", "no peer list given for %zu peers", n);
        return ACC_ERR_INVALID;
    }
    s_peer_t *table = NULL;
    if (n > 0) {
        table = calloc(n, sizeof *table);
        if (!table)
            return ACC_ERR_NOMEM;
    }
    acc_err err = ACC_OK;
    for (size_t i = 0; i < n; i++) {
        const acc_zap_peer_t *p = &peers[i];
        /* The structs may come from anywhere: read only within their arrays. */
        if (memchr(p->public_key, '\0', sizeof p->public_key) == NULL ||
            s_decode_key(p->public_key, table[i].key) != 0) {
            acc_errinfo_set(
                ei, "public_key", "peer %zu: public key '%.*s' is not %d Z85 characters", i,
                (int)strnlen(p->public_key, ACC_CURVE_KEY_LEN), p->public_key, ACC_CURVE_KEY_LEN);
            err = ACC_ERR_INVALID;
            goto out;
        }
        if (memchr(p->agency, '\0', sizeof p->agency) == NULL || !acc_agency_valid(p->agency)) {
            acc_errinfo_set(ei, "agency", "peer %zu: agency '%.*s' is not a valid agency id", i,
                            (int)strnlen(p->agency, ACC_AGENCY_MAX), p->agency);
            err = ACC_ERR_INVALID;
            goto out;
        }
        /* One key, one agency: otherwise the User-Id would depend on list order. */
        for (size_t j = 0; j < i; j++) {
            if (memcmp(table[j].key, table[i].key, S_KEY_BIN) == 0) {
                acc_errinfo_set(ei, "public_key", "peer %zu: public key '%s' is listed twice", i,
                                p->public_key);
                err = ACC_ERR_INVALID;
                goto out;
            }
        }
        memcpy(table[i].agency, p->agency, strlen(p->agency) + 1);
    }
out:
    if (err != ACC_OK) {
        free(table);
        return err;
    }
    *out = table;
    return ACC_OK;
}

/* ---------------------------------------------------------------------------------- */
/* the ZAP handler thread                                                              */

typedef struct s_request {
    zmq_msg_t frames[S_MAX_FRAMES];
    size_t n;     /* frames initialised in @frames */
    int too_many; /* more frames arrived than we keep */
} s_request_t;

static size_t
s_fsize(s_request_t *req, size_t i)
{
    return zmq_msg_size(&req->frames[i]);
}

static const char *
s_fdata(s_request_t *req, size_t i)
{
    return zmq_msg_data(&req->frames[i]);
}

static int
s_fequals(s_request_t *req, size_t i, const char *text)
{
    size_t len = strlen(text);
    return s_fsize(req, i) == len && memcmp(s_fdata(req, i), text, len) == 0;
}

/* s_printable — @len bytes of @data as a log-safe string (peers choose these bytes). */
static void
s_printable(const void *data, size_t len, char *buf, size_t size)
{
    const unsigned char *p = data;
    size_t o = 0;
    for (size_t i = 0; i < len && o + 1 < size; i++)
        buf[o++] = (p[i] >= 0x20 && p[i] < 0x7f) ? (char)p[i] : '?';
    buf[o] = '\0';
}

static void
s_request_close(s_request_t *req)
{
    for (size_t i = 0; i < req->n; i++)
        zmq_msg_close(&req->frames[i]);
    req->n = 0;
}

/* s_recv_request — read every frame of one request; -1 when the socket failed (ETERM). */
static int
s_recv_request(void *rep, s_request_t *req)
{
    req->n = 0;
    req->too_many = 0;
    for (;;) {
        zmq_msg_t scratch, *m = req->n < S_MAX_FRAMES ? &req->frames[req->n] : &scratch;
        zmq_msg_init(m);
        if (zmq_msg_recv(m, rep, 0) < 0) {
            zmq_msg_close(m);
            s_request_close(req);
            return -1;
        }
        int more = zmq_msg_more(m);
        if (m == &scratch) {
            zmq_msg_close(m);
            req->too_many = 1;
        } else {
            req->n++;
        }
        if (!more)
            return 0;
    }
}

/* s_send_reply — the six reply frames of RFC 27; metadata is always empty. */
static void
s_send_reply(void *rep, s_request_t *req, const char *code, const char *text, const char *user)
{
    const void *id = "";
    size_t id_len = 0;
    if (req->n >= 2 && s_fsize(req, 1) <= S_MAX_REQUEST_ID) {
        id = s_fdata(req, 1);
        id_len = s_fsize(req, 1);
    }
    if (zmq_send(rep, "1.0", 3, ZMQ_SNDMORE) < 0 || zmq_send(rep, id, id_len, ZMQ_SNDMORE) < 0 ||
        zmq_send(rep, code, strlen(code), ZMQ_SNDMORE) < 0 ||
        zmq_send(rep, text, strlen(text), ZMQ_SNDMORE) < 0 ||
        zmq_send(rep, user, strlen(user), ZMQ_SNDMORE) < 0 || zmq_send(rep, "", 0, 0) < 0)
        acc_log_warn(S_TAG, "cannot send reply: %s", zmq_strerror(zmq_errno()));
}

/* s_lookup — copy the agency of @key into @agency; 0 when found. */
static int
s_lookup(acc_zap_t *self, const uint8_t *key, char agency[ACC_AGENCY_MAX + 1])
{
    int found = -1;
    pthread_mutex_lock(&self->lock);
    for (size_t i = 0; i < self->n_peers; i++) {
        if (memcmp(self->peers[i].key, key, S_KEY_BIN) == 0) {
            memcpy(agency, self->peers[i].agency, sizeof self->peers[i].agency);
            found = 0;
            break;
        }
    }
    pthread_mutex_unlock(&self->lock);
    return found;
}

/* s_refuse — count and answer a refusal; @why is logged, @code and @text go to libzmq. */
static void
s_refuse(acc_zap_t *self, void *rep, s_request_t *req, const char *code, const char *text,
         const char *why, const char *address)
{
    atomic_fetch_add(&self->refused, 1);
    acc_log_warn(S_TAG, "refused '%s': %s", address, why);
    s_send_reply(rep, req, code, text, "");
}

/* s_handle — answer one request. Every frame is checked before it is trusted: the
 * endpoint is reachable by any code in the process, not only by libzmq. */
static int
s_handle(acc_zap_t *self, void *rep)
{
    s_request_t req;
    if (s_recv_request(rep, &req) != 0)
        return -1;

    char address[64] = "?", why[160];
    if (req.n >= 4)
        s_printable(s_fdata(&req, 3), s_fsize(&req, 3), address, sizeof address);

    /* Frames: version, request id, domain, address, identity, mechanism, credentials. */
    if (req.too_many || req.n < 6) {
        snprintf(why, sizeof why, "malformed request of %s%zu frames", req.too_many ? "over " : "",
                 req.n);
        s_refuse(self, rep, &req, "500", "malformed request", why, address);
        goto out;
    }
    if (!s_fequals(&req, 0, "1.0")) {
        s_refuse(self, rep, &req, "500", "unsupported version", "unsupported zap version", address);
        goto out;
    }
    if (s_fsize(&req, 1) > S_MAX_REQUEST_ID) {
        s_refuse(self, rep, &req, "500", "malformed request", "request id too long", address);
        goto out;
    }
    if (!s_fequals(&req, 2, ACC_CURVE_DOMAIN)) {
        char dom[64];
        s_printable(s_fdata(&req, 2), s_fsize(&req, 2), dom, sizeof dom);
        snprintf(why, sizeof why, "domain '%s' is not '%s'", dom, ACC_CURVE_DOMAIN);
        s_refuse(self, rep, &req, "400", "unknown domain", why, address);
        goto out;
    }
    if (!s_fequals(&req, 5, "CURVE")) {
        char mech[32];
        s_printable(s_fdata(&req, 5), s_fsize(&req, 5), mech, sizeof mech);
        snprintf(why, sizeof why, "mechanism '%s' is not CURVE", mech);
        s_refuse(self, rep, &req, "400", "curve required", why, address);
        goto out;
    }
    if (req.n != 7 || s_fsize(&req, 6) != S_KEY_BIN) {
        snprintf(why, sizeof why, "malformed curve credentials (%zu frames, key of %zu bytes)",
                 req.n, req.n >= 7 ? s_fsize(&req, 6) : (size_t)0);
        s_refuse(self, rep, &req, "500", "malformed request", why, address);
        goto out;
    }

    uint8_t key[S_KEY_BIN];
    memcpy(key, s_fdata(&req, 6), S_KEY_BIN);
    char key_z85[ACC_CURVE_KEY_LEN + 1];
    zmq_z85_encode(key_z85, key, S_KEY_BIN);
    char agency[ACC_AGENCY_MAX + 1];
    if (s_lookup(self, key, agency) != 0) {
        snprintf(why, sizeof why, "key '%s' is not admitted", key_z85);
        s_refuse(self, rep, &req, "400", "unknown key", why, address);
        goto out;
    }
    atomic_fetch_add(&self->admitted, 1);
    acc_log_info(S_TAG, "admitted '%s': key '%s' of agency '%s'", address, key_z85, agency);
    s_send_reply(rep, &req, "200", "OK", agency);
out:
    s_request_close(&req);
    return 0;
}

static void
s_report_start(acc_zap_t *self, int state, int err)
{
    pthread_mutex_lock(&self->lock);
    self->start_state = state;
    self->start_errno = err;
    pthread_cond_signal(&self->cond);
    pthread_mutex_unlock(&self->lock);
}

static void *
s_run(void *arg)
{
    acc_zap_t *self = arg;
    void *rep = zmq_socket(self->zctx, ZMQ_REP);
    if (!rep) {
        s_report_start(self, -1, zmq_errno());
        return NULL;
    }
    int linger = 0;
    zmq_setsockopt(rep, ZMQ_LINGER, &linger, sizeof linger);
    if (zmq_bind(rep, S_ZAP_ENDPOINT) != 0) {
        s_report_start(self, -1, zmq_errno());
        zmq_close(rep);
        return NULL;
    }
    s_report_start(self, 1, 0);

    for (;;) {
        zmq_pollitem_t items[2] = {
            {rep, 0, ZMQ_POLLIN, 0},
            {NULL, self->wake[0], ZMQ_POLLIN, 0},
        };
        if (zmq_poll(items, 2, -1) < 0) {
            if (zmq_errno() == EINTR)
                continue;
            /* ETERM: the context is shutting down; close so zmq_ctx_term can finish. */
            break;
        }
        if (items[1].revents)
            break;
        if ((items[0].revents & ZMQ_POLLIN) && s_handle(self, rep) != 0 && zmq_errno() == ETERM)
            break;
    }
    /* Unbind first: for inproc it unregisters the endpoint at once, while zmq_close leaves
     * that to the reaper thread. From here on new handshakes find no handler and, with
     * ZMQ_ZAP_ENFORCE_DOMAIN, fail. */
    zmq_unbind(rep, S_ZAP_ENDPOINT);
    zmq_close(rep);
    return NULL;
}

/* ---------------------------------------------------------------------------------- */
/* public: ZAP handler                                                                 */

acc_err
acc_zap_new(void *zctx, const acc_zap_peer_t *peers, size_t n, acc_zap_t **out, acc_errinfo_t *ei)
{
    if (!zctx || !out) {
        acc_errinfo_set(ei, "zctx", "no zeromq context given");
        return ACC_ERR_INVALID;
    }
    s_peer_t *table = NULL;
    acc_err err = s_build_table(peers, n, &table, ei);
    if (err != ACC_OK)
        return err;

    acc_zap_t *self = calloc(1, sizeof *self);
    if (!self) {
        free(table);
        return ACC_ERR_NOMEM;
    }
    self->zctx = zctx;
    self->peers = table;
    self->n_peers = n;
    self->wake[0] = self->wake[1] = -1;
    atomic_init(&self->admitted, 0);
    atomic_init(&self->refused, 0);
    int have_lock = 0, have_cond = 0;
    if (pthread_mutex_init(&self->lock, NULL) != 0) {
        err = ACC_ERR_NOMEM;
        goto out;
    }
    have_lock = 1;
    if (pthread_cond_init(&self->cond, NULL) != 0) {
        err = ACC_ERR_NOMEM;
        goto out;
    }
    have_cond = 1;
    if (pipe2(self->wake, O_CLOEXEC) != 0) {
        acc_errinfo_set(ei, "zap", "cannot create a pipe: %s", strerror(errno));
        err = ACC_ERR_IO;
        goto out;
    }
    if (pthread_create(&self->thread, NULL, s_run, self) != 0) {
        acc_errinfo_set(ei, "zap", "cannot start the zap handler thread");
        err = ACC_ERR_NOMEM;
        goto out;
    }
    self->thread_started = 1;

    /* Wait for the bind: callers bind CURVE servers right after we return. */
    pthread_mutex_lock(&self->lock);
    while (self->start_state == 0)
        pthread_cond_wait(&self->cond, &self->lock);
    int state = self->start_state, start_errno = self->start_errno;
    pthread_mutex_unlock(&self->lock);
    if (state < 0) {
        acc_errinfo_set(ei, S_ZAP_ENDPOINT, "cannot bind '%s': %s", S_ZAP_ENDPOINT,
                        zmq_strerror(start_errno));
        err = ACC_ERR_NET;
        goto out;
    }
    *out = self;
    return ACC_OK;

out:
    if (self->thread_started)
        pthread_join(self->thread, NULL);
    if (self->wake[0] >= 0)
        close(self->wake[0]);
    if (self->wake[1] >= 0)
        close(self->wake[1]);
    if (have_cond)
        pthread_cond_destroy(&self->cond);
    if (have_lock)
        pthread_mutex_destroy(&self->lock);
    free(self->peers);
    free(self);
    return err;
}

acc_err
acc_zap_set_peers(acc_zap_t *self, const acc_zap_peer_t *peers, size_t n, acc_errinfo_t *ei)
{
    if (!self)
        return ACC_ERR_INVALID;
    s_peer_t *table = NULL;
    acc_err err = s_build_table(peers, n, &table, ei);
    if (err != ACC_OK)
        return err;
    pthread_mutex_lock(&self->lock);
    s_peer_t *old = self->peers;
    self->peers = table;
    self->n_peers = n;
    pthread_mutex_unlock(&self->lock);
    free(old);
    acc_log_info(S_TAG, "admitted keys replaced: %zu peers", n);
    return ACC_OK;
}

void
acc_zap_stats(const acc_zap_t *self, unsigned long *admitted, unsigned long *refused)
{
    /* C11 atomic_load takes a pointer to non-const; the value is only read. */
    acc_zap_t *s = (acc_zap_t *)self;
    if (admitted)
        *admitted = s ? atomic_load(&s->admitted) : 0;
    if (refused)
        *refused = s ? atomic_load(&s->refused) : 0;
}

void
acc_zap_destroy(acc_zap_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    acc_zap_t *self = *self_p;
    ssize_t w;
    do
        w = write(self->wake[1], "x", 1);
    while (w < 0 && errno == EINTR);
    pthread_join(self->thread, NULL);
    close(self->wake[0]);
    close(self->wake[1]);
    pthread_cond_destroy(&self->cond);
    pthread_mutex_destroy(&self->lock);
    free(self->peers);
    free(self);
    *self_p = NULL;
}

/* ---------------------------------------------------------------------------------- */
/* public: sockets                                                                     */

acc_err
acc_curve_server(void *sock, const char *secret_z85)
{
    if (!sock || !acc_curve_key_valid(secret_z85))
        return ACC_ERR_INVALID;
    int on = 1;
    /* The key goes in as Z85 text with its NUL: libzmq takes 41 bytes as Z85. */
    if (zmq_setsockopt(sock, ZMQ_CURVE_SERVER, &on, sizeof on) != 0 ||
        zmq_setsockopt(sock, ZMQ_CURVE_SECRETKEY, secret_z85, ACC_CURVE_KEY_LEN + 1) != 0 ||
        zmq_setsockopt(sock, ZMQ_ZAP_DOMAIN, ACC_CURVE_DOMAIN, strlen(ACC_CURVE_DOMAIN)) != 0 ||
        zmq_setsockopt(sock, ZMQ_ZAP_ENFORCE_DOMAIN, &on, sizeof on) != 0) {
        acc_log_error("curve", "cannot make a curve server socket: %s", zmq_strerror(zmq_errno()));
        return ACC_ERR_NET;
    }
    return ACC_OK;
}

acc_err
acc_curve_client(void *sock, const char *public_z85, const char *secret_z85,
                 const char *server_public_z85)
{
    if (!sock || !acc_curve_key_valid(public_z85) || !acc_curve_key_valid(secret_z85) ||
        !acc_curve_key_valid(server_public_z85))
        return ACC_ERR_INVALID;
    if (zmq_setsockopt(sock, ZMQ_CURVE_SERVERKEY, server_public_z85, ACC_CURVE_KEY_LEN + 1) != 0 ||
        zmq_setsockopt(sock, ZMQ_CURVE_PUBLICKEY, public_z85, ACC_CURVE_KEY_LEN + 1) != 0 ||
        zmq_setsockopt(sock, ZMQ_CURVE_SECRETKEY, secret_z85, ACC_CURVE_KEY_LEN + 1) != 0) {
        acc_log_error("curve", "cannot make a curve client socket: %s", zmq_strerror(zmq_errno()));
        return ACC_ERR_NET;
    }
    return ACC_OK;
}

acc_err
acc_curve_msg_agency(zmq_msg_t *msg, char *buf, size_t len)
{
    if (!msg || !buf)
        return ACC_ERR_INVALID;
    /* Only ZAP sets User-Id: routing ids and payload fields are chosen by the peer. */
    const char *user = zmq_msg_gets(msg, "User-Id");
    if (!user || !*user)
        return ACC_ERR_DENIED;
    size_t n = strlen(user);
    if (n + 1 > len)
        return ACC_ERR_TOO_LARGE;
    memcpy(buf, user, n + 1);
    return ACC_OK;
}

/* ---------------------------------------------------------------------------------- */
/* public: key files                                                                   */

/* s_read_key — read one Z85 key line from @path into @key. With @secret, the file must
 * be private to its owner. */
static acc_err
s_read_key(const char *path, int secret, char key[ACC_CURVE_KEY_LEN + 1], acc_errinfo_t *ei)
{
    char buf[128];
    acc_err err = ACC_OK;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) {
        acc_errinfo_set(ei, path, "cannot open '%s': %s", path, strerror(errno));
        return ACC_ERR_IO;
    }
    struct stat st;
    /* fstat on the open file: the mode we check is the mode of what we read. */
    if (fstat(fd, &st) != 0) {
        acc_errinfo_set(ei, path, "cannot stat '%s': %s", path, strerror(errno));
        err = ACC_ERR_IO;
        goto out;
    }
    if (!S_ISREG(st.st_mode)) {
        acc_errinfo_set(ei, path, "'%s' is not a regular file", path);
        err = ACC_ERR_INVALID;
        goto out;
    }
    if (secret && (st.st_mode & 077) != 0) {
        acc_errinfo_set(ei, path,
                        "secret key file '%s' is accessible by group or others (mode %04o): "
                        "run chmod 600 on it",
                        path, (unsigned)(st.st_mode & 07777));
        err = ACC_ERR_DENIED;
        goto out;
    }
    size_t len = 0;
    for (;;) {
        ssize_t r = read(fd, buf + len, sizeof buf - 1 - len);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            acc_errinfo_set(ei, path, "cannot read '%s': %s", path, strerror(errno));
            err = ACC_ERR_IO;
            goto out;
        }
        if (r == 0)
            break;
        len += (size_t)r;
        if (len == sizeof buf - 1) {
            acc_errinfo_set(ei, path, "'%s' is too long for a key file", path);
            err = ACC_ERR_INVALID;
            goto out;
        }
    }
    buf[len] = '\0';
    /* One line: the key and an optional line end, nothing else. */
    if (len > 0 && buf[len - 1] == '\n')
        buf[--len] = '\0';
    if (len > 0 && buf[len - 1] == '\r')
        buf[--len] = '\0';
    if (strlen(buf) != len || !acc_curve_key_valid(buf)) {
        acc_errinfo_set(ei, path, "'%s' does not hold a %d-character Z85 key", path,
                        ACC_CURVE_KEY_LEN);
        err = ACC_ERR_INVALID;
        goto out;
    }
    memcpy(key, buf, ACC_CURVE_KEY_LEN + 1);
out:
    explicit_bzero(buf, sizeof buf);
    close(fd);
    return err;
}

acc_err
acc_curve_load_keys(const char *keys_dir, char pub[ACC_CURVE_KEY_LEN + 1],
                    char sec[ACC_CURVE_KEY_LEN + 1], acc_errinfo_t *ei)
{
    if (!keys_dir || !pub || !sec)
        return ACC_ERR_INVALID;
    char pub_path[4096], sec_path[4096];
    int a = snprintf(pub_path, sizeof pub_path, "%s/node.pub", keys_dir);
    int b = snprintf(sec_path, sizeof sec_path, "%s/node.key", keys_dir);
    if (a < 0 || b < 0 || (size_t)a >= sizeof pub_path || (size_t)b >= sizeof sec_path) {
        acc_errinfo_set(ei, "keys_dir", "key directory path is too long");
        return ACC_ERR_INVALID;
    }
    char p[ACC_CURVE_KEY_LEN + 1], s[ACC_CURVE_KEY_LEN + 1], derived[ACC_CURVE_KEY_LEN + 1];
    acc_err err = s_read_key(sec_path, 1, s, ei);
    if (err != ACC_OK)
        goto out;
    err = s_read_key(pub_path, 0, p, ei);
    if (err != ACC_OK)
        goto out;
    if (zmq_curve_public(derived, s) != 0) {
        acc_errinfo_set(ei, sec_path, "cannot derive the public key from '%s': %s", sec_path,
                        zmq_strerror(zmq_errno()));
        err = ACC_ERR_INVALID;
        goto out;
    }
    if (strcmp(derived, p) != 0) {
        acc_errinfo_set(ei, pub_path,
                        "public key in '%s' does not belong to the secret key in '%s'", pub_path,
                        sec_path);
        err = ACC_ERR_INVALID;
        goto out;
    }
    memcpy(pub, p, sizeof p);
    memcpy(sec, s, sizeof s);
out:
    explicit_bzero(s, sizeof s);
    return err;
}
