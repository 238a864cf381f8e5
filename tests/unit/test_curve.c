/*
 * Unit tests for acc_curve: real CURVE sockets on tcp://127.0.0.1 (ephemeral ports) and
 * the ZAP handler. Who gets in (admitted key, unknown key, no CURVE, stolen public key
 * without its secret, revoked key), that a server with no handler running refuses
 * everyone only because ZMQ_ZAP_ENFORCE_DOMAIN is on (the same server without it admits
 * a stranger), that hostile ZAP requests get an error reply and leave the handler
 * working, and the checks on key files.
 *
 * Each test has its own ZeroMQ context, so each can run its own handler. Negative waits
 * are S_QUIET_MS; a positive path completes in milliseconds on loopback.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "acc_curve.h"
#include "acc_log.h"
#include "acc_test.h"

#ifndef ZMQ_ZAP_ENFORCE_DOMAIN
#define ZMQ_ZAP_ENFORCE_DOMAIN 93
#endif

#define S_QUIET_MS 800   /* how long "nothing arrives" is watched */
#define S_WAIT_MS 120000 /* hang guard for something that should happen (not a speed limit) */

typedef struct {
    char pub[ACC_CURVE_KEY_LEN + 1];
    char sec[ACC_CURVE_KEY_LEN + 1];
} keypair_t;

static keypair_t
s_keypair(void)
{
    keypair_t k;
    assert_int_equal(zmq_curve_keypair(k.pub, k.sec), 0);
    return k;
}

static acc_zap_peer_t
s_peer(const keypair_t *k, const char *agency)
{
    acc_zap_peer_t p;
    memset(&p, 0, sizeof p);
    memcpy(p.public_key, k->pub, sizeof p.public_key);
    snprintf(p.agency, sizeof p.agency, "%s", agency);
    return p;
}

static void
s_linger0(void *sock)
{
    int zero = 0;
    assert_int_equal(zmq_setsockopt(sock, ZMQ_LINGER, &zero, sizeof zero), 0);
}

/* s_server — a PULL CURVE server on an ephemeral loopback port; @enforce 0 switches
 * ZMQ_ZAP_ENFORCE_DOMAIN back off after acc_curve_server (to show the pitfall). */
static void *
s_server(void *ctx, const keypair_t *k, int enforce, char *endpoint, size_t len)
{
    void *s = zmq_socket(ctx, ZMQ_PULL);
    assert_non_null(s);
    s_linger0(s);
    assert_int_equal(acc_curve_server(s, k->sec), ACC_OK);
    if (!enforce) {
        int off = 0;
        assert_int_equal(zmq_setsockopt(s, ZMQ_ZAP_ENFORCE_DOMAIN, &off, sizeof off), 0);
    }
    assert_int_equal(zmq_bind(s, "tcp://127.0.0.1:*"), 0);
    assert_int_equal(zmq_getsockopt(s, ZMQ_LAST_ENDPOINT, endpoint, &len), 0);
    return s;
}

/* s_client — a PUSH socket connected to @endpoint that has queued @text. @k NULL: no
 * CURVE at all; otherwise it presents @k->pub and proves it with @k->sec. */
static void *
s_client(void *ctx, const keypair_t *k, const keypair_t *server, const char *endpoint,
         const char *text)
{
    void *s = zmq_socket(ctx, ZMQ_PUSH);
    assert_non_null(s);
    s_linger0(s);
    if (k)
        assert_int_equal(acc_curve_client(s, k->pub, k->sec, server->pub), ACC_OK);
    assert_int_equal(zmq_connect(s, endpoint), 0);
    assert_int_equal(zmq_send(s, text, strlen(text), ZMQ_DONTWAIT), (int)strlen(text));
    return s;
}

/* s_recv — wait up to @ms for a message on @sock; 1 and @msg filled when one came. */
static int
s_recv(void *sock, int ms, zmq_msg_t *msg)
{
    zmq_pollitem_t it = {sock, 0, ZMQ_POLLIN, 0};
    int rc = zmq_poll(&it, 1, ms);
    assert_true(rc >= 0);
    if (rc == 0)
        return 0;
    zmq_msg_init(msg);
    assert_true(zmq_msg_recv(msg, sock, ZMQ_DONTWAIT) >= 0);
    return 1;
}

/* s_expect — a message arrives on @sock within S_WAIT_MS with body @text and, unless
 * @agency is NULL, User-Id @agency. */
static void
s_expect(void *sock, const char *text, const char *agency)
{
    zmq_msg_t msg;
    assert_true(s_recv(sock, S_WAIT_MS, &msg));
    assert_int_equal(zmq_msg_size(&msg), strlen(text));
    assert_memory_equal(zmq_msg_data(&msg), text, strlen(text));
    if (agency) {
        char buf[ACC_AGENCY_MAX + 1];
        assert_int_equal(acc_curve_msg_agency(&msg, buf, sizeof buf), ACC_OK);
        assert_string_equal(buf, agency);
    }
    zmq_msg_close(&msg);
}

static void
s_expect_nothing(void *sock, int ms)
{
    zmq_msg_t msg;
    int got = s_recv(sock, ms, &msg);
    if (got)
        zmq_msg_close(&msg);
    assert_false(got);
}

static long
s_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* s_wait_refused — wait until the handler has refused more than @before requests. */
static void
s_wait_refused(acc_zap_t *zap, unsigned long before)
{
    long end = s_now_ms() + S_WAIT_MS;
    unsigned long refused = 0;
    for (;;) {
        acc_zap_stats(zap, NULL, &refused);
        if (refused > before || s_now_ms() > end)
            break;
        usleep(10 * 1000);
    }
    assert_true(refused > before);
}

/* --------------------------------------------------------------------------------- */

static void
test_key_valid(void **state)
{
    (void)state;
    keypair_t k = s_keypair();
    assert_true(acc_curve_key_valid(k.pub));
    assert_true(acc_curve_key_valid(k.sec));
    assert_false(acc_curve_key_valid(NULL));
    assert_false(acc_curve_key_valid(""));
    char buf[64];
    snprintf(buf, sizeof buf, "%.39s", k.pub);
    assert_false(acc_curve_key_valid(buf));
    snprintf(buf, sizeof buf, "%sA", k.pub);
    assert_false(acc_curve_key_valid(buf));
    snprintf(buf, sizeof buf, "%s", k.pub);
    buf[7] = ' ';
    assert_false(acc_curve_key_valid(buf));
    buf[7] = '"';
    assert_false(acc_curve_key_valid(buf));
    /* 85^5 - 1 overflows 32 bits: right alphabet, not a key. */
    assert_false(acc_curve_key_valid("########################################"));
    assert_true(acc_curve_key_valid("0000000000000000000000000000000000000000"));

    void *ctx = zmq_ctx_new();
    void *s = zmq_socket(ctx, ZMQ_PULL);
    assert_int_equal(acc_curve_server(s, "not a key"), ACC_ERR_INVALID);
    assert_int_equal(acc_curve_client(s, k.pub, "short", k.pub), ACC_ERR_INVALID);
    zmq_close(s);
    zmq_ctx_term(ctx);
}

static void
test_zap_new_errors(void **state)
{
    (void)state;
    void *ctx = zmq_ctx_new();
    keypair_t a = s_keypair();
    acc_zap_peer_t peers[2] = {s_peer(&a, "agency-a"), s_peer(&a, "agency-b")};
    acc_errinfo_t ei;
    acc_zap_t *zap = NULL;

    acc_zap_peer_t bad = s_peer(&a, "agency-a");
    bad.public_key[3] = ' ';
    assert_int_equal(acc_zap_new(ctx, &bad, 1, &zap, &ei), ACC_ERR_INVALID);
    assert_string_equal(ei.field, "public_key");
    assert_null(zap);
    /* The same key for two agencies would make the User-Id ambiguous. */
    assert_int_equal(acc_zap_new(ctx, peers, 2, &zap, &ei), ACC_ERR_INVALID);
    assert_null(zap);
    acc_zap_peer_t bad_agency = s_peer(&a, "Not An Agency");
    assert_int_equal(acc_zap_new(ctx, &bad_agency, 1, &zap, &ei), ACC_ERR_INVALID);
    assert_string_equal(ei.field, "agency");

    assert_int_equal(acc_zap_new(ctx, peers, 1, &zap, &ei), ACC_OK);
    assert_non_null(zap);
    /* One handler per context: the endpoint is taken. */
    acc_zap_t *second = NULL;
    assert_int_equal(acc_zap_new(ctx, peers, 1, &second, &ei), ACC_ERR_NET);
    assert_null(second);
    assert_int_equal(acc_zap_set_peers(zap, &bad, 1, &ei), ACC_ERR_INVALID);

    acc_zap_destroy(&zap);
    assert_null(zap);
    acc_zap_destroy(&zap);
    acc_zap_destroy(NULL);
    /* The endpoint is free again once the handler is gone. */
    assert_int_equal(acc_zap_new(ctx, NULL, 0, &zap, &ei), ACC_OK);
    acc_zap_destroy(&zap);
    zmq_ctx_term(ctx);
}

static void
test_admitted_and_unknown(void **state)
{
    (void)state;
    void *ctx = zmq_ctx_new();
    keypair_t srv = s_keypair(), a = s_keypair(), stranger = s_keypair();
    acc_zap_peer_t peers[] = {s_peer(&a, "agency-a")};
    acc_zap_t *zap = NULL;
    assert_int_equal(acc_zap_new(ctx, peers, 1, &zap, NULL), ACC_OK);
    char ep[256];
    void *server = s_server(ctx, &srv, 1, ep, sizeof ep);

    void *ca = s_client(ctx, &a, &srv, ep, "from a");
    s_expect(server, "from a", "agency-a");
    unsigned long admitted = 0, refused = 0;
    acc_zap_stats(zap, &admitted, &refused);
    assert_int_equal(admitted, 1);
    assert_int_equal(refused, 0);

    void *cs = s_client(ctx, &stranger, &srv, ep, "from a stranger");
    s_wait_refused(zap, 0);
    s_expect_nothing(server, S_QUIET_MS);
    acc_zap_stats(zap, &admitted, NULL);
    assert_int_equal(admitted, 1);

    zmq_close(cs);
    zmq_close(ca);
    zmq_close(server);
    acc_zap_destroy(&zap);
    zmq_ctx_term(ctx);
}

static void
test_plain_and_wrong_secret(void **state)
{
    (void)state;
    void *ctx = zmq_ctx_new();
    keypair_t srv = s_keypair(), a = s_keypair(), other = s_keypair();
    acc_zap_peer_t peers[] = {s_peer(&a, "agency-a")};
    acc_zap_t *zap = NULL;
    assert_int_equal(acc_zap_new(ctx, peers, 1, &zap, NULL), ACC_OK);
    char ep[256];
    void *server = s_server(ctx, &srv, 1, ep, sizeof ep);

    /* No CURVE at all: the NULL mechanism does not match, no handshake. */
    void *plain = s_client(ctx, NULL, &srv, ep, "plain");
    /* a's public key without a's secret: the vouch in INITIATE does not open. */
    keypair_t thief = {{0}, {0}};
    memcpy(thief.pub, a.pub, sizeof thief.pub);
    memcpy(thief.sec, other.sec, sizeof thief.sec);
    void *stolen = s_client(ctx, &thief, &srv, ep, "stolen");
    s_expect_nothing(server, S_QUIET_MS);
    unsigned long admitted = 0;
    acc_zap_stats(zap, &admitted, NULL);
    assert_int_equal(admitted, 0);

    /* The same server still admits the real owner of the key. */
    void *ca = s_client(ctx, &a, &srv, ep, "real a");
    s_expect(server, "real a", "agency-a");

    zmq_close(ca);
    zmq_close(stolen);
    zmq_close(plain);
    zmq_close(server);
    acc_zap_destroy(&zap);
    zmq_ctx_term(ctx);
}

/* PITFALLS: CURVE without a ZAP handler admits anyone unless the domain is enforced. */
static void
test_no_handler_refuses_only_when_enforced(void **state)
{
    (void)state;
    void *ctx = zmq_ctx_new();
    keypair_t srv = s_keypair(), anyone = s_keypair();
    char ep_enf[256], ep_lax[256];
    void *enforced = s_server(ctx, &srv, 1, ep_enf, sizeof ep_enf);
    void *lax = s_server(ctx, &srv, 0, ep_lax, sizeof ep_lax);

    void *c1 = s_client(ctx, &anyone, &srv, ep_lax, "let in");
    void *c2 = s_client(ctx, &anyone, &srv, ep_enf, "kept out");
    /* Without enforcement a key nobody listed gets in, and carries no identity. */
    zmq_msg_t msg;
    assert_true(s_recv(lax, S_WAIT_MS, &msg));
    char buf[ACC_AGENCY_MAX + 1];
    assert_int_equal(acc_curve_msg_agency(&msg, buf, sizeof buf), ACC_ERR_DENIED);
    zmq_msg_close(&msg);
    /* With it, the same client against the same key pair gets nothing through. */
    s_expect_nothing(enforced, S_QUIET_MS);

    zmq_close(c2);
    zmq_close(c1);
    zmq_close(lax);
    zmq_close(enforced);
    zmq_ctx_term(ctx);
}

static void
test_destroyed_handler_refuses(void **state)
{
    (void)state;
    void *ctx = zmq_ctx_new();
    keypair_t srv = s_keypair(), a = s_keypair();
    acc_zap_peer_t peers[] = {s_peer(&a, "agency-a")};
    acc_zap_t *zap = NULL;
    assert_int_equal(acc_zap_new(ctx, peers, 1, &zap, NULL), ACC_OK);
    char ep[256];
    void *server = s_server(ctx, &srv, 1, ep, sizeof ep);
    void *c1 = s_client(ctx, &a, &srv, ep, "before");
    s_expect(server, "before", "agency-a");

    acc_zap_destroy(&zap); /* returns (a hang would stop the test), however long it takes */
    void *c2 = s_client(ctx, &a, &srv, ep, "after");
    s_expect_nothing(server, S_QUIET_MS);

    zmq_close(c2);
    zmq_close(c1);
    zmq_close(server);
    zmq_ctx_term(ctx);
}

static void
test_revocation(void **state)
{
    (void)state;
    void *ctx = zmq_ctx_new();
    keypair_t srv = s_keypair(), a = s_keypair(), b = s_keypair();
    acc_zap_peer_t peers[] = {s_peer(&a, "agency-a")};
    acc_zap_t *zap = NULL;
    assert_int_equal(acc_zap_new(ctx, peers, 1, &zap, NULL), ACC_OK);
    char ep[256];
    void *server = s_server(ctx, &srv, 1, ep, sizeof ep);
    void *c1 = s_client(ctx, &a, &srv, ep, "a first");
    s_expect(server, "a first", "agency-a");

    acc_zap_peer_t now[] = {s_peer(&b, "agency-b")};
    assert_int_equal(acc_zap_set_peers(zap, now, 1, NULL), ACC_OK);
    unsigned long refused = 0;
    acc_zap_stats(zap, NULL, &refused);
    void *c2 = s_client(ctx, &a, &srv, ep, "a again");
    s_wait_refused(zap, refused);
    void *c3 = s_client(ctx, &b, &srv, ep, "b new");
    s_expect(server, "b new", "agency-b");
    s_expect_nothing(server, S_QUIET_MS / 2);

    /* PITFALLS: revocation reaches new connections only; the old session still talks. */
    assert_int_equal(zmq_send(c1, "a old session", 13, ZMQ_DONTWAIT), 13);
    s_expect(server, "a old session", "agency-a");

    zmq_close(c3);
    zmq_close(c2);
    zmq_close(c1);
    zmq_close(server);
    acc_zap_destroy(&zap);
    zmq_ctx_term(ctx);
}

/* --- hostile ZAP requests ------------------------------------------------------------ */

typedef struct {
    const char *data;
    size_t len;
} frame_t;

#define F(s)                                                                                       \
    {                                                                                              \
        (s), sizeof(s) - 1                                                                         \
    }

/* s_zap_call — send @n frames to the handler, return the reply's status code (static
 * buffer) after checking the reply's shape; @user receives the user id. */
static const char *
s_zap_call(void *req, const frame_t *f, size_t n, char *user, size_t user_len)
{
    for (size_t i = 0; i < n; i++)
        assert_int_equal(zmq_send(req, f[i].data, f[i].len, i + 1 < n ? ZMQ_SNDMORE : 0),
                         (int)f[i].len);
    static char code[8];
    char frames[6][64];
    size_t nf = 0;
    for (;;) {
        zmq_msg_t m;
        zmq_msg_init(&m);
        assert_true(zmq_msg_recv(&m, req, 0) >= 0); /* ZMQ_RCVTIMEO bounds the wait */
        if (nf < 6) {
            size_t len = zmq_msg_size(&m) < 63 ? zmq_msg_size(&m) : 63;
            memcpy(frames[nf], zmq_msg_data(&m), len);
            frames[nf][len] = '\0';
        }
        nf++;
        int more = zmq_msg_more(&m);
        zmq_msg_close(&m);
        if (!more)
            break;
    }
    assert_int_equal(nf, 6);
    assert_string_equal(frames[0], "1.0");
    /* The request id comes back when the request had one of sane length. */
    if (n >= 2 && f[1].len < 64)
        assert_memory_equal(frames[1], f[1].data, f[1].len);
    assert_int_equal(strlen(frames[2]), 3);
    snprintf(code, sizeof code, "%s", frames[2]);
    if (user)
        snprintf(user, user_len, "%s", frames[4]);
    return code;
}

static void
test_malformed_zap_requests(void **state)
{
    (void)state;
    void *ctx = zmq_ctx_new();
    keypair_t srv = s_keypair(), a = s_keypair(), stranger = s_keypair();
    acc_zap_peer_t peers[] = {s_peer(&a, "agency-a")};
    acc_zap_t *zap = NULL;
    assert_int_equal(acc_zap_new(ctx, peers, 1, &zap, NULL), ACC_OK);

    void *req = zmq_socket(ctx, ZMQ_REQ);
    s_linger0(req);
    int timeout = S_WAIT_MS;
    assert_int_equal(zmq_setsockopt(req, ZMQ_RCVTIMEO, &timeout, sizeof timeout), 0);
    assert_int_equal(zmq_connect(req, "inproc://zeromq.zap.01"), 0);

    uint8_t key_a[32], key_s[32];
    assert_non_null(zmq_z85_decode(key_a, a.pub));
    assert_non_null(zmq_z85_decode(key_s, stranger.pub));
    frame_t key_frame = {(const char *)key_a, 32};
    frame_t good[7] = {F("1.0"),   F("7"),   F(ACC_CURVE_DOMAIN), F("127.0.0.1"), F(""),
                       F("CURVE"), key_frame};
    frame_t f[24];
    unsigned long expect_refused = 0;

    f[0] = (frame_t)F("garbage");
    assert_string_equal(s_zap_call(req, f, 1, NULL, 0), "500");
    expect_refused++;

    memcpy(f, good, sizeof good);
    f[0] = (frame_t)F("2.0");
    assert_string_equal(s_zap_call(req, f, 7, NULL, 0), "500");
    expect_refused++;

    memcpy(f, good, sizeof good);
    f[6].len = 31;
    assert_string_equal(s_zap_call(req, f, 7, NULL, 0), "500");
    expect_refused++;

    memcpy(f, good, sizeof good);
    f[6].len = 0;
    assert_string_equal(s_zap_call(req, f, 7, NULL, 0), "500");
    expect_refused++;

    /* CURVE with the key missing. */
    assert_string_equal(s_zap_call(req, good, 6, NULL, 0), "500");
    expect_refused++;

    for (size_t i = 0; i < 6; i++)
        f[i] = (frame_t)F("");
    assert_string_equal(s_zap_call(req, f, 6, NULL, 0), "500");
    expect_refused++;

    memcpy(f, good, sizeof good);
    for (size_t i = 7; i < 24; i++)
        f[i] = key_frame;
    assert_string_equal(s_zap_call(req, f, 24, NULL, 0), "500");
    expect_refused++;

    memcpy(f, good, sizeof good);
    static char long_id[4000];
    memset(long_id, 'x', sizeof long_id);
    f[1] = (frame_t){long_id, sizeof long_id};
    assert_string_equal(s_zap_call(req, f, 7, NULL, 0), "500");
    expect_refused++;

    memcpy(f, good, sizeof good);
    f[2] = (frame_t)F("global");
    assert_string_equal(s_zap_call(req, f, 7, NULL, 0), "400");
    expect_refused++;

    frame_t plain[8] = {F("1.0"), F("8"),     F(ACC_CURVE_DOMAIN), F("127.0.0.1"),
                        F(""),    F("PLAIN"), F("admin"),          F("secret")};
    assert_string_equal(s_zap_call(req, plain, 8, NULL, 0), "400");
    expect_refused++;

    memcpy(f, good, sizeof good);
    f[6] = (frame_t){(const char *)key_s, 32};
    char user[64];
    assert_string_equal(s_zap_call(req, f, 7, user, sizeof user), "400");
    assert_string_equal(user, "");
    expect_refused++;

    assert_string_equal(s_zap_call(req, good, 7, user, sizeof user), "200");
    assert_string_equal(user, "agency-a");

    unsigned long admitted = 0, refused = 0;
    acc_zap_stats(zap, &admitted, &refused);
    assert_int_equal(admitted, 1);
    assert_int_equal(refused, expect_refused);

    /* After all that, real clients are still served. */
    char ep[256];
    void *server = s_server(ctx, &srv, 1, ep, sizeof ep);
    void *ca = s_client(ctx, &a, &srv, ep, "still works");
    s_expect(server, "still works", "agency-a");

    zmq_close(ca);
    zmq_close(server);
    zmq_close(req);
    acc_zap_destroy(&zap);
    zmq_ctx_term(ctx);
}

static void
test_msg_agency(void **state)
{
    (void)state;
    void *ctx = zmq_ctx_new();
    keypair_t srv = s_keypair(), a = s_keypair();
    acc_zap_peer_t peers[] = {s_peer(&a, "agency-a")};
    acc_zap_t *zap = NULL;
    assert_int_equal(acc_zap_new(ctx, peers, 1, &zap, NULL), ACC_OK);
    char ep[256];
    void *server = s_server(ctx, &srv, 1, ep, sizeof ep);
    void *ca = s_client(ctx, &a, &srv, ep, "x");
    zmq_msg_t msg;
    assert_true(s_recv(server, S_WAIT_MS, &msg));
    char buf[16];
    memset(buf, '*', sizeof buf);
    assert_int_equal(acc_curve_msg_agency(&msg, buf, 8), ACC_ERR_TOO_LARGE);
    assert_int_equal(buf[0], '*');
    assert_int_equal(acc_curve_msg_agency(&msg, buf, 9), ACC_OK);
    assert_string_equal(buf, "agency-a");
    zmq_msg_close(&msg);

    /* inproc carries no authenticated identity. */
    void *pull = zmq_socket(ctx, ZMQ_PULL), *push = zmq_socket(ctx, ZMQ_PUSH);
    s_linger0(pull);
    s_linger0(push);
    assert_int_equal(zmq_bind(pull, "inproc://curve-test"), 0);
    assert_int_equal(zmq_connect(push, "inproc://curve-test"), 0);
    assert_int_equal(zmq_send(push, "agency-a", 8, 0), 8);
    assert_true(s_recv(pull, S_WAIT_MS, &msg));
    assert_int_equal(acc_curve_msg_agency(&msg, buf, sizeof buf), ACC_ERR_DENIED);
    zmq_msg_close(&msg);

    zmq_close(push);
    zmq_close(pull);
    zmq_close(ca);
    zmq_close(server);
    acc_zap_destroy(&zap);
    zmq_ctx_term(ctx);
}

/* --- key files ----------------------------------------------------------------------- */

static void
s_write(const char *dir, const char *name, const char *text, mode_t mode)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    assert_true(fputs(text, f) >= 0);
    assert_int_equal(fclose(f), 0);
    assert_int_equal(chmod(path, mode), 0);
}

static void
s_write_keys(const char *dir, const char *pub, const char *sec, mode_t sec_mode)
{
    char line[128];
    snprintf(line, sizeof line, "%s\n", pub);
    s_write(dir, "node.pub", line, 0644);
    snprintf(line, sizeof line, "%s\n", sec);
    s_write(dir, "node.key", line, sec_mode);
}

static void
test_load_keys(void **state)
{
    (void)state;
    char *dir = acc_test_tmpdir();
    keypair_t k = s_keypair(), other = s_keypair();
    char pub[ACC_CURVE_KEY_LEN + 1], sec[ACC_CURVE_KEY_LEN + 1];
    acc_errinfo_t ei;

    memset(pub, 0, sizeof pub);
    assert_int_equal(acc_curve_load_keys(dir, pub, sec, &ei), ACC_ERR_IO);
    assert_non_null(strstr(ei.field, "node.key"));

    s_write_keys(dir, k.pub, k.sec, 0644);
    assert_int_equal(acc_curve_load_keys(dir, pub, sec, &ei), ACC_ERR_DENIED);
    assert_non_null(strstr(ei.field, "node.key"));
    assert_non_null(strstr(ei.msg, "node.key"));
    assert_int_equal(pub[0], '\0'); /* outputs untouched on failure */

    char path[4096];
    snprintf(path, sizeof path, "%s/node.key", dir);
    assert_int_equal(chmod(path, 0640), 0);
    assert_int_equal(acc_curve_load_keys(dir, pub, sec, &ei), ACC_ERR_DENIED);
    assert_int_equal(chmod(path, 0600), 0);
    assert_int_equal(acc_curve_load_keys(dir, pub, sec, &ei), ACC_OK);
    assert_string_equal(pub, k.pub);
    assert_string_equal(sec, k.sec);
    assert_int_equal(chmod(path, 0400), 0);
    assert_int_equal(acc_curve_load_keys(dir, pub, sec, &ei), ACC_OK);

    /* A public key that is someone else's. */
    s_write_keys(dir, other.pub, k.sec, 0600);
    memset(pub, 0, sizeof pub);
    assert_int_equal(acc_curve_load_keys(dir, pub, sec, &ei), ACC_ERR_INVALID);
    assert_non_null(strstr(ei.field, "node.pub"));
    assert_int_equal(pub[0], '\0');

    /* Not keys at all, and trailing content after the key. */
    s_write_keys(dir, k.pub, "not a key", 0600);
    assert_int_equal(acc_curve_load_keys(dir, pub, sec, &ei), ACC_ERR_INVALID);
    char two[128];
    snprintf(two, sizeof two, "%s\n%s", k.pub, k.pub);
    s_write_keys(dir, two, k.sec, 0600);
    assert_int_equal(acc_curve_load_keys(dir, pub, sec, &ei), ACC_ERR_INVALID);
    /* No final newline is fine. */
    s_write(dir, "node.pub", k.pub, 0644);
    assert_int_equal(acc_curve_load_keys(dir, pub, sec, &ei), ACC_OK);

    acc_test_rmtree(dir);
}

int
main(void)
{
    acc_log_set_level(ACC_LOG_ERROR);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_key_valid),
        cmocka_unit_test(test_zap_new_errors),
        cmocka_unit_test(test_admitted_and_unknown),
        cmocka_unit_test(test_plain_and_wrong_secret),
        cmocka_unit_test(test_no_handler_refuses_only_when_enforced),
        cmocka_unit_test(test_destroyed_handler_refuses),
        cmocka_unit_test(test_revocation),
        cmocka_unit_test(test_malformed_zap_requests),
        cmocka_unit_test(test_msg_agency),
        cmocka_unit_test(test_load_keys),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
