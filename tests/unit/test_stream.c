/*
 * Unit tests for acc_stream: a producer store (table "log") served by acc_stream_server and
 * a consumer store (tables "cursors" and "applied") fed by acc_stream_consumer, whose apply
 * writes each record and the cursor in one acc_store_write.
 *
 * In-process tests run producer and consumer in one thread on one acc_loop; a control
 * timer of the test stops the loop when a condition holds or a deadline passes. Raw
 * DEALER / ROUTER sockets of the test speak the wire protocol to check the server and
 * the consumer against hostile or broken peers. The crash test forks real producer and
 * consumer processes (stores are opened only in the children), kills them with SIGKILL
 * at random moments and checks the consumer's store holds records 1..N exactly once.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <inttypes.h>
#include <signal.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#include "acc_curve.h"
#include "acc_log.h"
#include "acc_loop.h"
#include "acc_store.h"
#include "acc_stream.h"
#include "acc_test.h"
#include "accord/v1/stream.pb-c.h"

#define WAIT_MS 120000 /* hang guard for what should happen (not a speed limit) */
#define EP "inproc://stream-test"
#define NAME "events"
#define MAX_CALLS 4096
#define MAX_KIDS 2
#define MAX_SOCKS 300

static const char *const s_ptables[] = {"log", NULL};
static const char *const s_ctables[] = {"cursors", "applied", NULL};

typedef struct env env_t;
typedef bool (*s_cond_fn)(env_t *env);

struct env {
    char *dir;
    void *zctx;
    acc_store_t *pstore, *cstore;
    acc_table log, cursors, applied;
    uint64_t head; /* the producer's committed head */
    acc_stream_server_t *server;
    acc_stream_consumer_t *consumer, *consumer2;
    acc_zap_t *zap;
    acc_loop_t *loop;
    volatile sig_atomic_t stop;
    s_cond_fn until;
    int64_t deadline;
    void (*tick)(env_t *env); /* called by the control timer: drives a producer */
    void *watch;              /* a raw socket the condition watches */
    void *fake;               /* the scripted server of the fake-server test */
    /* what the consumer's apply saw */
    uint64_t applied_n, dups, order_errors, payload_errors;
    int fail_next; /* apply fails this many more times with ACC_ERR_FULL */
    int n_calls;
    uint64_t call_first[MAX_CALLS];
    size_t call_n[MAX_CALLS];
    int64_t call_at[MAX_CALLS];
    bool call_failed[MAX_CALLS];
    /* raw sockets of the test, closed at teardown (also when a check failed, or
     * zmq_ctx_term would wait for them forever) */
    void *socks[MAX_SOCKS];
    int n_socks;
    /* the crash test's children, killed at teardown if a check failed */
    pid_t kids[MAX_KIDS];
    /* producer for the flow test */
    uint64_t produce_to;
};

/* --- helpers: payloads, producer, consumer apply -------------------------------------- */

/* A payload that depends on the sequence only, so any process can check it. */
static size_t
s_payload(uint64_t seq, char *buf, size_t size)
{
    int n = snprintf(buf, size, "record %020" PRIu64 " ", seq);
    size_t len = (size_t)n + (size_t)(seq % 97);
    assert_true(len <= size);
    for (size_t i = (size_t)n; i < len; i++)
        buf[i] = (char)('a' + (seq + i) % 26);
    return len;
}

typedef struct {
    env_t *env;
    size_t n;
    size_t size; /* 0: s_payload; else a payload of this many bytes */
} s_append_arg;

static acc_err
s_append_fn(acc_txn_t *txn, void *arg)
{
    s_append_arg *a = arg;
    char buf[256];
    for (size_t i = 0; i < a->n; i++) {
        uint64_t seq = a->env->head + 1 + i;
        acc_err err;
        if (a->size) {
            char *big = malloc(a->size);
            assert_non_null(big);
            memset(big, (int)('A' + seq % 26), a->size);
            err = acc_stream_append(txn, a->env->log, seq - 1, big, a->size);
            free(big);
        } else {
            size_t len = s_payload(seq, buf, sizeof buf);
            err = acc_stream_append(txn, a->env->log, seq - 1, buf, len);
        }
        if (err != ACC_OK)
            return err;
    }
    return ACC_OK;
}

/* Append @n records in one write transaction, then notify (as a producer must). */
static void
s_append_sized(env_t *env, size_t n, size_t size)
{
    s_append_arg a = {env, n, size};
    assert_int_equal(acc_store_write(env->pstore, s_append_fn, &a), ACC_OK);
    env->head += n;
    if (env->server)
        acc_stream_server_notify(env->server, env->head);
}

static void
s_append(env_t *env, size_t n)
{
    s_append_sized(env, n, 0);
}

typedef struct {
    env_t *env;
    const acc_stream_record_t *recs;
    size_t n;
    bool dup;
} s_apply_arg;

static acc_err
s_apply_fn(acc_txn_t *txn, void *arg)
{
    s_apply_arg *a = arg;
    a->dup = false;
    uint64_t cursor = 0;
    acc_err err = acc_stream_cursor_get(txn, a->env->cursors, NAME, &cursor);
    if (err != ACC_OK)
        return err;
    if (a->recs[0].seq != cursor + 1)
        a->env->order_errors++;
    for (size_t i = 0; i < a->n; i++) {
        unsigned char key[8];
        acc_store_u64_be(a->recs[i].seq, key);
        err = acc_store_put(txn, a->env->applied, key, sizeof key, a->recs[i].payload,
                            a->recs[i].len, ACC_PUT_NOOVERWRITE);
        if (err == ACC_ERR_EXISTS)
            a->dup = true;
        if (err != ACC_OK)
            return err;
    }
    return acc_stream_cursor_put(txn, a->env->cursors, NAME, a->recs[a->n - 1].seq);
}

/* The consumer's apply: every record and the cursor in one write transaction. */
static acc_err
s_apply(const acc_stream_record_t *recs, size_t n, void *arg)
{
    env_t *env = arg;
    assert_true(n >= 1 && n <= ACC_STREAM_FETCH_MAX);
    if (env->n_calls < MAX_CALLS) {
        env->call_first[env->n_calls] = recs[0].seq;
        env->call_n[env->n_calls] = n;
        env->call_at[env->n_calls] = acc_loop_now_ms();
        env->call_failed[env->n_calls] = env->fail_next > 0;
    }
    env->n_calls++;
    for (size_t i = 0; i < n; i++) {
        if (i > 0 && recs[i].seq != recs[i - 1].seq + 1)
            env->order_errors++;
        char buf[256];
        size_t len = s_payload(recs[i].seq, buf, sizeof buf);
        if (recs[i].len != len || memcmp(recs[i].payload, buf, len) != 0)
            env->payload_errors++;
    }
    if (env->fail_next > 0) {
        env->fail_next--;
        return ACC_ERR_FULL;
    }
    s_apply_arg a = {env, recs, n, false};
    acc_err err = acc_store_write(env->cstore, s_apply_fn, &a);
    if (a.dup)
        env->dups++;
    if (err == ACC_OK)
        env->applied_n += n;
    return err;
}

static uint64_t
s_stored_cursor(env_t *env)
{
    acc_txn_t *txn = NULL;
    uint64_t c = 0;
    assert_int_equal(acc_store_read_begin(env->cstore, &txn), ACC_OK);
    assert_int_equal(acc_stream_cursor_get(txn, env->cursors, NAME, &c), ACC_OK);
    acc_store_read_end(&txn);
    return c;
}

/* Every key 1..@n of "applied" is there with its payload, and nothing else. */
static void
s_check_applied(acc_store_t *store, acc_table applied, uint64_t n)
{
    acc_txn_t *txn = NULL;
    uint64_t count = 0;
    assert_int_equal(acc_store_read_begin(store, &txn), ACC_OK);
    assert_int_equal(acc_store_count(txn, applied, &count), ACC_OK);
    assert_int_equal(count, n);
    for (uint64_t seq = 1; seq <= n; seq++) {
        unsigned char key[8];
        acc_store_u64_be(seq, key);
        const void *v = NULL;
        size_t vl = 0;
        char buf[256];
        size_t len = s_payload(seq, buf, sizeof buf);
        assert_int_equal(acc_store_get(txn, applied, key, sizeof key, &v, &vl), ACC_OK);
        assert_int_equal(vl, len);
        assert_memory_equal(v, buf, len);
    }
    acc_store_read_end(&txn);
}

/* --- helpers: the loop ---------------------------------------------------------------- */

static acc_err
s_control(acc_loop_t *loop, void *arg)
{
    (void)loop;
    env_t *env = arg;
    if (env->tick)
        env->tick(env);
    if ((env->until && env->until(env)) || acc_loop_now_ms() >= env->deadline)
        env->stop = 1;
    return ACC_OK;
}

/* Run the loop until @until holds (checked every 2 ms) or @timeout_ms passed; returns
 * whether it holds. */
static bool
s_run(env_t *env, s_cond_fn until, int64_t timeout_ms)
{
    env->until = until;
    env->deadline = acc_loop_now_ms() + timeout_ms;
    env->stop = 0;
    assert_int_equal(acc_loop_run(env->loop, &env->stop), ACC_OK);
    bool ok = until ? until(env) : true;
    env->until = NULL;
    return ok;
}

/* Run the loop for @ms. */
static void
s_pump(env_t *env, int64_t ms)
{
    (void)s_run(env, NULL, ms);
}

static void
s_new_loop(env_t *env)
{
    acc_loop_destroy(&env->loop);
    assert_int_equal(acc_loop_new(&env->loop), ACC_OK);
    assert_int_equal(acc_loop_add_timer(env->loop, 2, s_control, env), ACC_OK);
}

static void
s_start_server(env_t *env)
{
    const char *eps[] = {EP, NULL};
    acc_errinfo_t ei;
    acc_err err = ACC_ERR_NET;
    /* zmq_close is asynchronous: a closed server's inproc name is free only once libzmq's
     * reaper has run, so binding it again right away may need a few tries. */
    for (int i = 0; i < 200 && err == ACC_ERR_NET; i++) {
        err = acc_stream_server_new(env->zctx, env->pstore, env->log, NAME, eps, NULL, env->head,
                                    &env->server, &ei);
        if (err == ACC_ERR_NET)
            s_pump(env, 5);
    }
    assert_int_equal(err, ACC_OK);
    assert_int_equal(acc_stream_server_attach(env->server, env->loop), ACC_OK);
}

static void
s_start_consumer(env_t *env)
{
    acc_errinfo_t ei;
    assert_int_equal(acc_stream_consumer_new(env->zctx, EP, NAME, NULL, s_stored_cursor(env),
                                             s_apply, env, &env->consumer, &ei),
                     ACC_OK);
    assert_int_equal(acc_stream_consumer_attach(env->consumer, env->loop), ACC_OK);
}

static bool
s_caught_up(env_t *env)
{
    return acc_stream_consumer_cursor(env->consumer) == env->head;
}

static bool
s_watch_readable(env_t *env)
{
    zmq_pollitem_t it = {.socket = env->watch, .events = ZMQ_POLLIN};
    return zmq_poll(&it, 1, 0) == 1;
}

/* --- helpers: raw sockets ------------------------------------------------------------- */

/* A raw socket of the test, closed at teardown. */
static void *
s_socket(env_t *env, int type)
{
    assert_true(env->n_socks < MAX_SOCKS);
    void *s = zmq_socket(env->zctx, type);
    assert_non_null(s);
    env->socks[env->n_socks++] = s;
    int zero = 0;
    assert_int_equal(zmq_setsockopt(s, ZMQ_LINGER, &zero, sizeof zero), 0);
    return s;
}

/* Close a raw socket before teardown. */
static void
s_close(env_t *env, void *s)
{
    for (int i = 0; i < env->n_socks; i++)
        if (env->socks[i] == s)
            env->socks[i] = NULL;
    zmq_close(s);
}

static void *
s_dealer(env_t *env)
{
    void *s = s_socket(env, ZMQ_DEALER);
    assert_int_equal(zmq_connect(s, EP), 0);
    return s;
}

static void
s_send_fetch(void *sock, const char *stream, uint64_t from, uint32_t max, uint32_t wait,
             uint64_t rid)
{
    Accord__V1__Fetch f = ACCORD__V1__FETCH__INIT;
    f.stream = (char *)stream;
    f.from_seq = from;
    f.max_records = max;
    f.wait_ms = wait;
    f.request_id = rid;
    uint8_t buf[512];
    size_t n = accord__v1__fetch__pack(&f, buf);
    assert_int_equal(zmq_send(sock, buf, n, 0), (int)n);
}

/* The next answer on @sock, pumping the server's loop meanwhile; NULL after @timeout_ms. */
static Accord__V1__FetchResult *
s_recv_result(env_t *env, void *sock, int64_t timeout_ms)
{
    env->watch = sock;
    if (!s_run(env, s_watch_readable, timeout_ms))
        return NULL;
    zmq_msg_t msg;
    zmq_msg_init(&msg);
    assert_true(zmq_msg_recv(&msg, sock, 0) >= 0);
    assert_false(zmq_msg_more(&msg));
    Accord__V1__FetchResult *r =
        accord__v1__fetch_result__unpack(NULL, zmq_msg_size(&msg), zmq_msg_data(&msg));
    zmq_msg_close(&msg);
    assert_non_null(r);
    return r;
}

/* An answer that must be an error for request @rid. */
static void
s_expect_error(env_t *env, void *sock, uint64_t rid)
{
    Accord__V1__FetchResult *r = s_recv_result(env, sock, WAIT_MS);
    assert_non_null(r);
    assert_int_equal(r->request_id, rid);
    assert_non_null(r->error);
    assert_true(strlen(r->error) > 0);
    assert_int_equal(r->n_records, 0);
    accord__v1__fetch_result__free_unpacked(r, NULL);
}

/* --- fixture -------------------------------------------------------------------------- */

static int
s_setup(void **state)
{
    env_t *env = calloc(1, sizeof *env);
    assert_non_null(env);
    env->dir = acc_test_tmpdir();
    char path[4096];
    acc_errinfo_t ei;
    snprintf(path, sizeof path, "%s/producer", env->dir);
    acc_store_opts_t po = {.tables = s_ptables};
    assert_int_equal(acc_store_open(path, &po, &env->pstore, &ei), ACC_OK);
    snprintf(path, sizeof path, "%s/consumer", env->dir);
    acc_store_opts_t co = {.tables = s_ctables};
    assert_int_equal(acc_store_open(path, &co, &env->cstore, &ei), ACC_OK);
    assert_int_equal(acc_store_table(env->pstore, "log", &env->log), ACC_OK);
    assert_int_equal(acc_store_table(env->cstore, "cursors", &env->cursors), ACC_OK);
    assert_int_equal(acc_store_table(env->cstore, "applied", &env->applied), ACC_OK);
    env->zctx = zmq_ctx_new();
    assert_non_null(env->zctx);
    s_new_loop(env);
    *state = env;
    return 0;
}

/* The crash test's fixture: a directory only (stores are opened in the children). */
static int
s_setup_dir(void **state)
{
    env_t *env = calloc(1, sizeof *env);
    assert_non_null(env);
    env->dir = acc_test_tmpdir();
    *state = env;
    return 0;
}

static int
s_teardown(void **state)
{
    env_t *env = *state;
    for (int i = 0; i < MAX_KIDS; i++) {
        if (env->kids[i] > 0) {
            kill(env->kids[i], SIGKILL);
            waitpid(env->kids[i], NULL, 0);
        }
    }
    acc_stream_consumer_destroy(&env->consumer);
    acc_stream_consumer_destroy(&env->consumer2);
    acc_stream_server_destroy(&env->server);
    acc_zap_destroy(&env->zap);
    acc_loop_destroy(&env->loop);
    for (int i = 0; i < env->n_socks; i++)
        if (env->socks[i])
            zmq_close(env->socks[i]);
    if (env->zctx)
        zmq_ctx_term(env->zctx);
    acc_store_destroy(&env->pstore);
    acc_store_destroy(&env->cstore);
    acc_test_rmtree(env->dir);
    free(env);
    return 0;
}

/* --- log and cursor records ----------------------------------------------------------- */

typedef struct {
    env_t *env;
    uint64_t prev;
    size_t len;
} s_one_arg;

static acc_err
s_append_one(acc_txn_t *txn, void *arg)
{
    s_one_arg *a = arg;
    static const char zeros[16];
    const void *p = zeros;
    char *big = NULL;
    if (a->len > sizeof zeros) {
        big = calloc(1, a->len);
        assert_non_null(big);
        p = big;
    }
    acc_err err = acc_stream_append(txn, a->env->log, a->prev, p, a->len);
    free(big);
    return err;
}

static acc_err
s_cursor_put_fn(acc_txn_t *txn, void *arg)
{
    env_t *env = arg;
    return acc_stream_cursor_put(txn, env->cursors, NAME, 42);
}

static void
test_records(void **state)
{
    env_t *env = *state;
    acc_txn_t *txn = NULL;
    uint64_t head = 99, cur = 99;
    assert_int_equal(acc_store_read_begin(env->pstore, &txn), ACC_OK);
    assert_int_equal(acc_stream_head(txn, env->log, &head), ACC_OK);
    assert_int_equal(head, 0);
    acc_store_read_end(&txn);

    s_append(env, 3);
    assert_int_equal(acc_store_read_begin(env->pstore, &txn), ACC_OK);
    assert_int_equal(acc_stream_head(txn, env->log, &head), ACC_OK);
    assert_int_equal(head, 3);
    acc_store_read_end(&txn);

    /* not past the head, the same sequence again, or too large: refused */
    s_one_arg a = {env, 1, 4};
    assert_int_equal(acc_store_write(env->pstore, s_append_one, &a), ACC_ERR_INVALID);
    a.prev = 2;
    assert_int_equal(acc_store_write(env->pstore, s_append_one, &a), ACC_ERR_INVALID);
    a.prev = 3;
    a.len = (size_t)ACC_STREAM_RECORD_MAX + 1;
    assert_int_equal(acc_store_write(env->pstore, s_append_one, &a), ACC_ERR_TOO_LARGE);
    a.prev = UINT64_MAX;
    a.len = 1;
    assert_int_equal(acc_store_write(env->pstore, s_append_one, &a), ACC_ERR_INVALID);
    /* the next one goes in */
    a.prev = 3;
    assert_int_equal(acc_store_write(env->pstore, s_append_one, &a), ACC_OK);

    assert_int_equal(acc_store_read_begin(env->cstore, &txn), ACC_OK);
    assert_int_equal(acc_stream_cursor_get(txn, env->cursors, NAME, &cur), ACC_OK);
    assert_int_equal(cur, 0);
    assert_int_equal(acc_stream_cursor_get(txn, env->cursors, "", &cur), ACC_ERR_INVALID);
    acc_store_read_end(&txn);
    assert_int_equal(acc_store_write(env->cstore, s_cursor_put_fn, env), ACC_OK);
    assert_int_equal(s_stored_cursor(env), 42);
}

static void
test_new_invalid(void **state)
{
    env_t *env = *state;
    acc_errinfo_t ei;
    acc_stream_server_t *srv = NULL;
    acc_stream_consumer_t *con = NULL;
    const char *eps[] = {EP, NULL};
    const char *tcp[] = {"tcp://127.0.0.1:1", NULL};
    const char *none[] = {NULL};
    const char *bad[] = {"bogus://x", NULL};

    assert_int_equal(
        acc_stream_server_new(env->zctx, env->pstore, env->log, "", eps, NULL, 0, &srv, &ei),
        ACC_ERR_INVALID);
    assert_int_equal(
        acc_stream_server_new(env->zctx, env->pstore, env->log, "a b", eps, NULL, 0, &srv, &ei),
        ACC_ERR_INVALID);
    assert_int_equal(
        acc_stream_server_new(env->zctx, env->pstore, env->log, NAME, none, NULL, 0, &srv, &ei),
        ACC_ERR_INVALID);
    /* PITFALLS: TCP without CURVE is refused, not served in the clear */
    assert_int_equal(
        acc_stream_server_new(env->zctx, env->pstore, env->log, NAME, tcp, NULL, 0, &srv, &ei),
        ACC_ERR_INVALID);
    assert_string_equal(ei.field, tcp[0]);
    assert_int_equal(
        acc_stream_server_new(env->zctx, env->pstore, env->log, NAME, bad, NULL, 0, &srv, &ei),
        ACC_ERR_NET);
    assert_string_equal(ei.field, bad[0]);
    assert_null(srv);
    /* the endpoint is taken by the first server */
    s_start_server(env);
    assert_int_equal(
        acc_stream_server_new(env->zctx, env->pstore, env->log, NAME, eps, NULL, 0, &srv, &ei),
        ACC_ERR_NET);
    assert_null(srv);

    assert_int_equal(acc_stream_consumer_new(env->zctx, EP, "", NULL, 0, s_apply, env, &con, &ei),
                     ACC_ERR_INVALID);
    assert_int_equal(acc_stream_consumer_new(env->zctx, EP, NAME, NULL, 0, NULL, env, &con, &ei),
                     ACC_ERR_INVALID);
    assert_int_equal(acc_stream_consumer_new(env->zctx, "tcp://127.0.0.1:1", NAME, NULL, 0, s_apply,
                                             env, &con, &ei),
                     ACC_ERR_INVALID);
    assert_int_equal(
        acc_stream_consumer_new(env->zctx, "bogus://x", NAME, NULL, 0, s_apply, env, &con, &ei),
        ACC_ERR_NET);
    assert_null(con);
    assert_int_equal(acc_stream_consumer_new(env->zctx, EP, NAME, NULL, 0, s_apply, env, &con, &ei),
                     ACC_OK);
    assert_int_equal(acc_stream_consumer_set_wait(con, 0, 10), ACC_ERR_INVALID);
    assert_int_equal(acc_stream_consumer_set_wait(con, ACC_STREAM_WAIT_MAX_MS + 1, 10),
                     ACC_ERR_INVALID);
    assert_int_equal(acc_stream_consumer_set_wait(con, 100, 0), ACC_ERR_INVALID);
    assert_int_equal(acc_stream_consumer_set_wait(con, 100, 10), ACC_OK);
    acc_stream_consumer_destroy(&con);
    assert_null(con);
    acc_stream_consumer_destroy(&con);
    acc_stream_server_destroy(&srv);
}

/* --- in-process flow ------------------------------------------------------------------ */

/* The producer of the flow test: batches of 0..299 records, one commit each. */
static void
s_produce_tick(env_t *env)
{
    if (env->head >= env->produce_to)
        return;
    size_t n = randombytes_uniform(300);
    if (env->head + n > env->produce_to)
        n = (size_t)(env->produce_to - env->head);
    if (n > 0)
        s_append(env, n);
}

static bool
s_flow_done(env_t *env)
{
    return env->head == env->produce_to && s_caught_up(env);
}

static void
test_flow_and_restart(void **state)
{
    env_t *env = *state;
    s_start_server(env);
    s_start_consumer(env);
    env->produce_to = 5000;
    env->tick = s_produce_tick;
    assert_true(s_run(env, s_flow_done, WAIT_MS));
    assert_int_equal(env->applied_n, 5000);
    assert_int_equal(env->dups, 0);
    assert_int_equal(env->order_errors, 0);
    assert_int_equal(env->payload_errors, 0);
    assert_int_equal(s_stored_cursor(env), 5000);
    s_check_applied(env->cstore, env->applied, 5000);

    /* Restart the consumer (new loop, new socket) from its stored cursor: it resumes at
     * cursor + 1 and applies nothing twice. Records appended while it was gone come too. */
    env->tick = NULL;
    acc_stream_consumer_destroy(&env->consumer);
    s_new_loop(env);
    assert_int_equal(acc_stream_server_attach(env->server, env->loop), ACC_OK);
    s_append(env, 700);
    int calls_before = env->n_calls;
    s_start_consumer(env);
    assert_int_equal(acc_stream_consumer_cursor(env->consumer), 5000);
    env->produce_to = 6000;
    env->tick = s_produce_tick;
    assert_true(s_run(env, s_flow_done, WAIT_MS));
    assert_true(calls_before < MAX_CALLS);
    assert_int_equal(env->call_first[calls_before], 5001);
    assert_int_equal(env->applied_n, 6000);
    assert_int_equal(env->dups, 0);
    assert_int_equal(env->order_errors, 0);
    assert_int_equal(env->payload_errors, 0);
    s_check_applied(env->cstore, env->applied, 6000);

    /* The producer restarts too (new server over the same log, head read from it). */
    env->tick = NULL;
    acc_stream_consumer_destroy(&env->consumer);
    acc_stream_server_destroy(&env->server);
    s_new_loop(env);
    s_start_server(env);
    s_start_consumer(env);
    s_append(env, 10);
    assert_true(s_run(env, s_caught_up, WAIT_MS));
    assert_int_equal(env->dups, 0);
    s_check_applied(env->cstore, env->applied, 6010);
}

static bool
s_one_applied(env_t *env)
{
    return env->applied_n >= 1;
}

static void
test_long_poll(void **state)
{
    env_t *env = *state;
    s_start_server(env);
    acc_errinfo_t ei;
    assert_int_equal(acc_stream_consumer_new(env->zctx, EP, NAME, NULL, s_stored_cursor(env),
                                             s_apply, env, &env->consumer, &ei),
                     ACC_OK);
    assert_int_equal(
        acc_stream_consumer_set_wait(env->consumer, ACC_STREAM_WAIT_MAX_MS, ACC_STREAM_WAIT_MAX_MS),
        ACC_OK);
    assert_int_equal(acc_stream_consumer_attach(env->consumer, env->loop), ACC_OK);
    /* nothing there: the consumer's fetch waits at the server */
    assert_false(s_run(env, s_one_applied, 300));
    assert_int_equal(env->n_calls, 0);
    int64_t t0 = acc_loop_now_ms();
    s_append(env, 1);
    assert_true(s_run(env, s_one_applied, WAIT_MS));
    int64_t dt = env->call_at[0] - t0;
    /* Answered by the notify, not by the end of the wait: an answer at the end of the
     * long poll comes at least ACC_STREAM_WAIT_MAX_MS after the append (the whole wait
     * started before it), so this holds for any machine speed short of a stall of the
     * whole wait; no shorter bound is assumed. */
    assert_true(dt < ACC_STREAM_WAIT_MAX_MS);
    assert_int_equal(env->call_first[0], 1);
    assert_int_equal(env->call_n[0], 1);
}

static bool
s_all_applied(env_t *env)
{
    return env->applied_n == env->head;
}

static void
test_apply_failure(void **state)
{
    env_t *env = *state;
    s_start_server(env);
    s_append(env, 50);
    env->fail_next = 1;
    s_start_consumer(env);
    assert_true(s_run(env, s_all_applied, WAIT_MS));
    /* the failed batch came again, whole, after the first back-off (50..100 ms) */
    assert_true(env->n_calls >= 2);
    assert_true(env->call_failed[0]);
    assert_false(env->call_failed[1]);
    assert_int_equal(env->call_first[0], 1);
    assert_int_equal(env->call_first[1], 1);
    assert_int_equal(env->call_n[1], 50);
    assert_true(env->call_at[1] - env->call_at[0] >= 45);

    /* Two failures in a row: the second wait is longer (100..200 ms). */
    int k = env->n_calls;
    env->fail_next = 2;
    s_append(env, 10);
    assert_true(s_run(env, s_all_applied, WAIT_MS));
    assert_int_equal(env->n_calls, k + 3);
    for (int i = k; i < k + 3; i++)
        assert_int_equal(env->call_first[i], 51);
    assert_true(env->call_at[k + 1] - env->call_at[k] >= 45);
    assert_true(env->call_at[k + 2] - env->call_at[k + 1] >= 95);
    assert_int_equal(env->dups, 0);
    assert_int_equal(env->order_errors, 0);
    assert_int_equal(env->applied_n, 60);
    s_check_applied(env->cstore, env->applied, 60);
    assert_int_equal(s_stored_cursor(env), 60);
}

/* --- the server against raw peers ----------------------------------------------------- */

static void
test_server_raw(void **state)
{
    env_t *env = *state;
    s_start_server(env);
    s_append(env, 1500);
    void *d = s_dealer(env);
    Accord__V1__FetchResult *r = NULL;

    /* garbage: an error answer (request id 0: nothing to read it from) */
    assert_int_equal(zmq_send(d, "\xff\xff\xff", 3, 0), 3);
    s_expect_error(env, d, 0);
    /* a field the schema does not have: refused, but the request id still comes back */
    {
        uint8_t buf[64];
        size_t n = 0;
        buf[n++] = 0x28; /* field 5, varint */
        buf[n++] = 77;
        buf[n++] = 0x48; /* field 9, varint: unknown */
        buf[n++] = 1;
        assert_int_equal(zmq_send(d, buf, n, 0), (int)n);
        s_expect_error(env, d, 77);
    }
    /* two frames */
    assert_int_equal(zmq_send(d, "x", 1, ZMQ_SNDMORE), 1);
    assert_int_equal(zmq_send(d, "y", 1, 0), 1);
    s_expect_error(env, d, 0);
    /* valid encoding, bad values */
    s_send_fetch(d, "other", 1, 10, 0, 3);
    s_expect_error(env, d, 3);
    s_send_fetch(d, NAME, 0, 10, 0, 4);
    s_expect_error(env, d, 4);
    s_send_fetch(d, NAME, 1, 0, 0, 5);
    s_expect_error(env, d, 5);
    /* past head + 1: the log lost records, waiting would skip them */
    s_send_fetch(d, NAME, 1502, 10, 0, 6);
    s_expect_error(env, d, 6);

    /* still serving: records from 1, capped by max_records and at 1,000 */
    s_send_fetch(d, NAME, 1, 2, 0, 7);
    r = s_recv_result(env, d, WAIT_MS);
    assert_non_null(r);
    assert_int_equal(r->request_id, 7);
    assert_int_equal(r->head, 1500);
    assert_int_equal(r->n_records, 2);
    assert_int_equal(r->records[0]->seq, 1);
    assert_int_equal(r->records[1]->seq, 2);
    char buf[256];
    size_t len = s_payload(2, buf, sizeof buf);
    assert_int_equal(r->records[1]->payload.len, len);
    assert_memory_equal(r->records[1]->payload.data, buf, len);
    accord__v1__fetch_result__free_unpacked(r, NULL);
    s_send_fetch(d, NAME, 400, 5000, 0, 8);
    r = s_recv_result(env, d, WAIT_MS);
    assert_non_null(r);
    assert_int_equal(r->n_records, 1000);
    for (size_t i = 0; i < r->n_records; i++)
        assert_int_equal(r->records[i]->seq, 400 + i);
    accord__v1__fetch_result__free_unpacked(r, NULL);
    /* the tail: fewer than asked */
    s_send_fetch(d, NAME, 1490, 1000, 0, 9);
    r = s_recv_result(env, d, WAIT_MS);
    assert_non_null(r);
    assert_int_equal(r->n_records, 11);
    accord__v1__fetch_result__free_unpacked(r, NULL);

    /* wait 0 at the head: an empty answer at once */
    s_send_fetch(d, NAME, 1501, 10, 0, 10);
    r = s_recv_result(env, d, WAIT_MS);
    assert_non_null(r);
    assert_int_equal(r->request_id, 10);
    assert_int_equal(r->n_records, 0);
    assert_int_equal(r->head, 1500);
    assert_true(r->error == NULL || r->error[0] == '\0');
    accord__v1__fetch_result__free_unpacked(r, NULL);

    /* parked until its deadline: an empty answer after about wait_ms */
    int64_t t0 = acc_loop_now_ms();
    s_send_fetch(d, NAME, 1501, 10, 200, 11);
    r = s_recv_result(env, d, WAIT_MS);
    int64_t dt = acc_loop_now_ms() - t0;
    assert_non_null(r);
    assert_int_equal(r->request_id, 11);
    assert_int_equal(r->n_records, 0);
    assert_true(dt >= 190); /* not before its deadline; how late depends on the machine */
    accord__v1__fetch_result__free_unpacked(r, NULL);

    /* parked until notify: nothing for a while, then the new records at once */
    s_send_fetch(d, NAME, 1501, 10, 20000, 12);
    assert_null(s_recv_result(env, d, 200));
    s_append(env, 3); /* notifies: the answer is queued by the call itself */
    env->watch = d;
    assert_true(s_watch_readable(env));
    r = s_recv_result(env, d, WAIT_MS);
    assert_non_null(r);
    assert_int_equal(r->request_id, 12);
    assert_int_equal(r->n_records, 3);
    assert_int_equal(r->records[0]->seq, 1501);
    assert_int_equal(r->head, 1503);
    accord__v1__fetch_result__free_unpacked(r, NULL);

    /* A newer fetch on the same connection replaces the parked one: one answer, the
     * newer request id. */
    s_send_fetch(d, NAME, 1504, 10, 20000, 13);
    s_send_fetch(d, NAME, 1504, 10, 20000, 14);
    assert_null(s_recv_result(env, d, 100));
    s_append(env, 1);
    r = s_recv_result(env, d, WAIT_MS);
    assert_non_null(r);
    assert_int_equal(r->request_id, 14);
    accord__v1__fetch_result__free_unpacked(r, NULL);
    assert_null(s_recv_result(env, d, 100));

    /* A parked peer that went away: its answer is dropped, the server goes on. */
    void *gone = s_dealer(env);
    s_send_fetch(gone, NAME, 1505, 10, 20000, 1);
    s_pump(env, 50);
    s_close(env, gone);
    s_pump(env, 50);
    s_append(env, 1);
    s_send_fetch(d, NAME, 1505, 10, 0, 15);
    r = s_recv_result(env, d, WAIT_MS);
    assert_non_null(r);
    assert_int_equal(r->n_records, 1);
    accord__v1__fetch_result__free_unpacked(r, NULL);

    /* The payload budget: about 512 KiB per answer, but always one record. */
    s_append_sized(env, 10, 100 * 1024);
    s_send_fetch(d, NAME, 1506, 1000, 0, 16);
    r = s_recv_result(env, d, WAIT_MS);
    assert_non_null(r);
    assert_int_equal(r->n_records, 5); /* 5 x 100 KiB fit in 512 KiB, 6 do not */
    assert_int_equal(r->records[4]->payload.len, 100 * 1024);
    accord__v1__fetch_result__free_unpacked(r, NULL);
    s_append_sized(env, 2, 600 * 1024);
    s_send_fetch(d, NAME, 1516, 1000, 0, 17);
    r = s_recv_result(env, d, WAIT_MS);
    assert_non_null(r);
    assert_int_equal(r->n_records, 1);
    assert_int_equal(r->records[0]->seq, 1516);
    accord__v1__fetch_result__free_unpacked(r, NULL);
}

/* At most 256 parked fetches: the oldest is answered (empty) to make room. */
#define S_PEERS 257

static void
test_park_bound(void **state)
{
    env_t *env = *state;
    s_start_server(env);
    s_append(env, 5);
    void *d[S_PEERS];
    for (int i = 0; i < S_PEERS - 1; i++) {
        d[i] = s_dealer(env);
        s_send_fetch(d[i], NAME, 6, 10, 20000, (uint64_t)i + 1);
        /* one at a time, so that the server sees them in this order */
        assert_null(s_recv_result(env, d[i], 3));
    }
    assert_null(s_recv_result(env, d[0], 50));
    d[S_PEERS - 1] = s_dealer(env);
    s_send_fetch(d[S_PEERS - 1], NAME, 6, 10, 20000, S_PEERS);
    Accord__V1__FetchResult *r = s_recv_result(env, d[0], WAIT_MS);
    assert_non_null(r);
    assert_int_equal(r->request_id, 1);
    assert_int_equal(r->n_records, 0);
    accord__v1__fetch_result__free_unpacked(r, NULL);
    /* everyone else is still waiting, and gets the record on notify */
    assert_null(s_recv_result(env, d[1], 50));
    s_append(env, 1);
    for (int i = 1; i < S_PEERS; i++) {
        r = s_recv_result(env, d[i], WAIT_MS);
        assert_non_null(r);
        assert_int_equal(r->request_id, (uint64_t)i + 1);
        assert_int_equal(r->n_records, 1);
        assert_int_equal(r->records[0]->seq, 6);
        accord__v1__fetch_result__free_unpacked(r, NULL);
    }
    assert_null(s_recv_result(env, d[0], 20));
}

/* --- the consumer against a scripted fake server -------------------------------------- */

typedef struct {
    void *router;
    env_t *env;
    int n;
    uint64_t from[16], rid[16];
    int64_t at[16];
} s_fake_t;

static void
s_fake_send(s_fake_t *fk, zmq_msg_t *id, const void *body, size_t len)
{
    assert_true(zmq_send(fk->router, zmq_msg_data(id), zmq_msg_size(id), ZMQ_SNDMORE) >= 0);
    assert_int_equal(zmq_send(fk->router, body, len, 0), (int)len);
}

/* Answer request @rid with records @first.. (@n of them, sequences from @seqs if given). */
static void
s_fake_answer(s_fake_t *fk, zmq_msg_t *id, uint64_t rid, const uint64_t *seqs, size_t n,
              const char *error)
{
    Accord__V1__StreamRecord recs[8], *ptrs[8];
    char bufs[8][256];
    assert_true(n <= 8);
    for (size_t i = 0; i < n; i++) {
        accord__v1__stream_record__init(&recs[i]);
        recs[i].seq = seqs[i];
        recs[i].payload.len = s_payload(seqs[i], bufs[i], sizeof bufs[i]);
        recs[i].payload.data = (uint8_t *)bufs[i];
        ptrs[i] = &recs[i];
    }
    Accord__V1__FetchResult r = ACCORD__V1__FETCH_RESULT__INIT;
    r.request_id = rid;
    r.records = ptrs;
    r.n_records = n;
    r.head = 100;
    r.error = (char *)(error ? error : "");
    uint8_t out[4096];
    size_t len = accord__v1__fetch_result__pack(&r, out);
    s_fake_send(fk, id, out, len);
}

static acc_err
s_fake_on_fetch(acc_loop_t *loop, void *arg)
{
    (void)loop;
    s_fake_t *fk = arg;
    zmq_msg_t id, body;
    zmq_msg_init(&id);
    zmq_msg_init(&body);
    if (zmq_msg_recv(&id, fk->router, ZMQ_DONTWAIT) < 0) {
        zmq_msg_close(&id);
        zmq_msg_close(&body);
        return ACC_OK;
    }
    assert_true(zmq_msg_recv(&body, fk->router, 0) >= 0);
    Accord__V1__Fetch *f =
        accord__v1__fetch__unpack(NULL, zmq_msg_size(&body), zmq_msg_data(&body));
    assert_non_null(f);
    assert_string_equal(f->stream, NAME);
    assert_int_equal(f->max_records, ACC_STREAM_FETCH_MAX);
    int step = fk->n;
    assert_true(step < 16);
    fk->from[step] = f->from_seq;
    fk->rid[step] = f->request_id;
    fk->at[step] = acc_loop_now_ms();
    fk->n++;
    uint64_t rid = f->request_id;
    accord__v1__fetch__free_unpacked(f, NULL);
    switch (step) {
    case 0: { /* a gap: 13, 14 where 11 is due */
        const uint64_t s[] = {13, 14};
        s_fake_answer(fk, &id, rid, s, 2, NULL);
        break;
    }
    case 1: { /* a late answer to an older request first (must be ignored), then old
                 records before the due ones (dropped, the rest applied) */
        const uint64_t stale[] = {11};
        s_fake_answer(fk, &id, rid - 1, stale, 1, NULL);
        const uint64_t s[] = {9, 10, 11, 12};
        s_fake_answer(fk, &id, rid, s, 4, NULL);
        break;
    }
    case 2: { /* not consecutive */
        const uint64_t s[] = {13, 15};
        s_fake_answer(fk, &id, rid, s, 2, NULL);
        break;
    }
    case 3: /* refused */
        s_fake_answer(fk, &id, rid, NULL, 0, "busy");
        break;
    case 4: /* garbage: dropped, so no answer comes and the fetch is sent again */
        s_fake_send(fk, &id, "\xff\xff\xff", 3);
        break;
    case 5: {
        const uint64_t s[] = {13};
        s_fake_answer(fk, &id, rid, s, 1, NULL);
        break;
    }
    default: /* park forever */
        break;
    }
    zmq_msg_close(&id);
    zmq_msg_close(&body);
    return ACC_OK;
}

static bool
s_fake_done(env_t *env)
{
    return acc_stream_consumer_cursor(env->consumer) == 13 && ((s_fake_t *)env->fake)->n >= 7;
}

static acc_err
s_cursor10_fn(acc_txn_t *txn, void *arg)
{
    env_t *env = arg;
    return acc_stream_cursor_put(txn, env->cursors, NAME, 10);
}

static void
test_consumer_fake_server(void **state)
{
    env_t *env = *state;
    s_fake_t fk = {.env = env};
    fk.router = s_socket(env, ZMQ_ROUTER);
    assert_int_equal(zmq_bind(fk.router, EP), 0);
    assert_int_equal(acc_loop_add_socket(env->loop, fk.router, s_fake_on_fetch, &fk), ACC_OK);
    assert_int_equal(acc_store_write(env->cstore, s_cursor10_fn, env), ACC_OK);
    acc_errinfo_t ei;
    assert_int_equal(acc_stream_consumer_new(env->zctx, EP, NAME, NULL, s_stored_cursor(env),
                                             s_apply, env, &env->consumer, &ei),
                     ACC_OK);
    assert_int_equal(acc_stream_consumer_set_wait(env->consumer, 100, 150), ACC_OK);
    assert_int_equal(acc_stream_consumer_attach(env->consumer, env->loop), ACC_OK);
    env->fake = &fk;
    assert_true(s_run(env, s_fake_done, WAIT_MS));

    /* from: gap refetched at 11; 11..12 applied; 13,15 refetched at 13; error and garbage
     * answers refetched at 13; 13 applied; then 14. */
    const uint64_t want[] = {11, 11, 13, 13, 13, 13, 14};
    for (int i = 0; i < 7; i++) {
        assert_int_equal(fk.from[i], want[i]);
        if (i > 0)
            assert_true(fk.rid[i] > fk.rid[i - 1]);
    }
    /* back-off after the gap, the bad sequence and the error */
    assert_true(fk.at[1] - fk.at[0] >= 45);
    assert_true(fk.at[3] - fk.at[2] >= 45);
    /* the garbage answer was dropped: the fetch was sent again after wait + grace */
    assert_true(fk.at[5] - fk.at[4] >= 240);
    assert_int_equal(env->n_calls, 2);
    assert_int_equal(env->call_first[0], 11);
    assert_int_equal(env->call_n[0], 2);
    assert_int_equal(env->call_first[1], 13);
    assert_int_equal(env->call_n[1], 1);
    assert_int_equal(env->dups, 0);
    assert_int_equal(env->order_errors, 0);
    assert_int_equal(s_stored_cursor(env), 13);
}

/* --- CURVE on TCP --------------------------------------------------------------------- */

typedef struct {
    int calls;
} s_counter_t;

static acc_err
s_apply_count(const acc_stream_record_t *recs, size_t n, void *arg)
{
    (void)recs;
    (void)n;
    ((s_counter_t *)arg)->calls++;
    return ACC_OK;
}

static void
test_curve_tcp(void **state)
{
    env_t *env = *state;
    char spub[41], ssec[41], cpub[41], csec[41], opub[41], osec[41];
    assert_int_equal(zmq_curve_keypair(spub, ssec), 0);
    assert_int_equal(zmq_curve_keypair(cpub, csec), 0);
    assert_int_equal(zmq_curve_keypair(opub, osec), 0);
    acc_zap_peer_t peer;
    memset(&peer, 0, sizeof peer);
    memcpy(peer.public_key, cpub, sizeof peer.public_key);
    snprintf(peer.agency, sizeof peer.agency, "agency-a");
    acc_errinfo_t ei;
    assert_int_equal(acc_zap_new(env->zctx, &peer, 1, &env->zap, &ei), ACC_OK);

    char ep[64];
    acc_err err = ACC_ERR_NET;
    for (int i = 0; i < 50 && err == ACC_ERR_NET; i++) {
        snprintf(ep, sizeof ep, "tcp://127.0.0.1:%u", 20000 + randombytes_uniform(40000));
        const char *eps[] = {ep, NULL};
        err = acc_stream_server_new(env->zctx, env->pstore, env->log, NAME, eps, ssec, 0,
                                    &env->server, &ei);
    }
    assert_int_equal(err, ACC_OK);
    assert_int_equal(acc_stream_server_attach(env->server, env->loop), ACC_OK);

    const char *good[3] = {cpub, csec, spub};
    assert_int_equal(
        acc_stream_consumer_new(env->zctx, ep, NAME, good, 0, s_apply, env, &env->consumer, &ei),
        ACC_OK);
    assert_int_equal(acc_stream_consumer_attach(env->consumer, env->loop), ACC_OK);
    const char *stranger[3] = {opub, osec, spub};
    s_counter_t other = {0};
    assert_int_equal(acc_stream_consumer_new(env->zctx, ep, NAME, stranger, 0, s_apply_count,
                                             &other, &env->consumer2, &ei),
                     ACC_OK);
    assert_int_equal(acc_stream_consumer_attach(env->consumer2, env->loop), ACC_OK);
    const char *badkey[3] = {"short", osec, spub};
    acc_stream_consumer_t *con3 = NULL;
    assert_int_equal(
        acc_stream_consumer_new(env->zctx, ep, NAME, badkey, 0, s_apply_count, &other, &con3, &ei),
        ACC_ERR_INVALID);

    s_append(env, 20);
    assert_true(s_run(env, s_caught_up, WAIT_MS));
    s_check_applied(env->cstore, env->applied, 20);
    /* the key the handler does not know gets nothing */
    s_pump(env, 300);
    assert_int_equal(other.calls, 0);
    assert_int_equal(acc_stream_consumer_cursor(env->consumer2), 0);
    unsigned long admitted = 0, refused = 0;
    acc_zap_stats(env->zap, &admitted, &refused);
    assert_true(admitted >= 1);
    assert_true(refused >= 1);
}

/* --- crash test: real processes killed at random moments ------------------------------ */

#define CRASH_N 20000
#define CRASH_NAME "crash"

typedef struct {
    acc_store_t *store;
    acc_table log, cursors, applied;
    uint64_t head;
    acc_stream_server_t *server;
    volatile sig_atomic_t stop;
    const acc_stream_record_t *recs;
    size_t n;
} s_crash_t;

static acc_err
s_crash_append_fn(acc_txn_t *txn, void *arg)
{
    s_crash_t *c = arg;
    char buf[256];
    for (size_t i = 0; i < c->n; i++) {
        uint64_t seq = c->head + 1 + i;
        size_t len = s_payload(seq, buf, sizeof buf);
        acc_err err = acc_stream_append(txn, c->log, seq - 1, buf, len);
        if (err != ACC_OK)
            return err;
    }
    return ACC_OK;
}

static acc_err
s_crash_produce(acc_loop_t *loop, void *arg)
{
    (void)loop;
    s_crash_t *c = arg;
    if (c->head >= CRASH_N)
        return ACC_OK;
    c->n = 1 + randombytes_uniform(100);
    if (c->head + c->n > CRASH_N)
        c->n = (size_t)(CRASH_N - c->head);
    if (acc_store_write(c->store, s_crash_append_fn, c) != ACC_OK)
        _exit(10);
    c->head += c->n;
    acc_stream_server_notify(c->server, c->head);
    return ACC_OK;
}

static void
s_crash_producer(const char *dir, const char *ep)
{
    s_crash_t c = {0};
    char path[4096];
    acc_errinfo_t ei;
    snprintf(path, sizeof path, "%s/producer", dir);
    acc_store_opts_t o = {.tables = s_ptables};
    acc_txn_t *txn = NULL;
    if (acc_store_open(path, &o, &c.store, &ei) != ACC_OK ||
        acc_store_table(c.store, "log", &c.log) != ACC_OK ||
        acc_store_read_begin(c.store, &txn) != ACC_OK ||
        acc_stream_head(txn, c.log, &c.head) != ACC_OK)
        _exit(11);
    acc_store_read_end(&txn);
    void *zctx = zmq_ctx_new();
    const char *eps[] = {ep, NULL};
    acc_loop_t *loop = NULL;
    if (!zctx ||
        acc_stream_server_new(zctx, c.store, c.log, CRASH_NAME, eps, NULL, c.head, &c.server,
                              &ei) != ACC_OK ||
        acc_loop_new(&loop) != ACC_OK || acc_stream_server_attach(c.server, loop) != ACC_OK ||
        acc_loop_add_timer(loop, 3, s_crash_produce, &c) != ACC_OK)
        _exit(12);
    acc_loop_run(loop, &c.stop); /* until killed */
    _exit(13);
}

static acc_err
s_crash_apply_fn(acc_txn_t *txn, void *arg)
{
    s_crash_t *c = arg;
    uint64_t cursor = 0;
    acc_err err = acc_stream_cursor_get(txn, c->cursors, CRASH_NAME, &cursor);
    if (err != ACC_OK)
        return err;
    if (c->recs[0].seq != cursor + 1)
        _exit(44); /* not resumed at cursor + 1 */
    for (size_t i = 0; i < c->n; i++) {
        char buf[256];
        size_t len = s_payload(c->recs[i].seq, buf, sizeof buf);
        if (c->recs[i].len != len || memcmp(c->recs[i].payload, buf, len) != 0)
            _exit(43);
        unsigned char key[8];
        acc_store_u64_be(c->recs[i].seq, key);
        err = acc_store_put(txn, c->applied, key, sizeof key, c->recs[i].payload, c->recs[i].len,
                            ACC_PUT_NOOVERWRITE);
        if (err == ACC_ERR_EXISTS)
            _exit(42); /* applied twice */
        if (err != ACC_OK)
            return err;
    }
    return acc_stream_cursor_put(txn, c->cursors, CRASH_NAME, c->recs[c->n - 1].seq);
}

static acc_err
s_crash_apply(const acc_stream_record_t *recs, size_t n, void *arg)
{
    s_crash_t *c = arg;
    c->recs = recs;
    c->n = n;
    acc_err err = acc_store_write(c->store, s_crash_apply_fn, c);
    if (err == ACC_OK && recs[n - 1].seq == CRASH_N)
        c->stop = 1;
    return err;
}

static void
s_crash_consumer(const char *dir, const char *ep)
{
    s_crash_t c = {0};
    char path[4096];
    acc_errinfo_t ei;
    snprintf(path, sizeof path, "%s/consumer", dir);
    acc_store_opts_t o = {.tables = s_ctables};
    acc_txn_t *txn = NULL;
    uint64_t cursor = 0;
    if (acc_store_open(path, &o, &c.store, &ei) != ACC_OK ||
        acc_store_table(c.store, "cursors", &c.cursors) != ACC_OK ||
        acc_store_table(c.store, "applied", &c.applied) != ACC_OK ||
        acc_store_read_begin(c.store, &txn) != ACC_OK ||
        acc_stream_cursor_get(txn, c.cursors, CRASH_NAME, &cursor) != ACC_OK)
        _exit(21);
    acc_store_read_end(&txn);
    if (cursor == CRASH_N)
        _exit(0);
    void *zctx = zmq_ctx_new();
    acc_loop_t *loop = NULL;
    acc_stream_consumer_t *con = NULL;
    /* A producer killed with our fetch parked: it is sent again after 250 ms. */
    if (!zctx ||
        acc_stream_consumer_new(zctx, ep, CRASH_NAME, NULL, cursor, s_crash_apply, &c, &con, &ei) !=
            ACC_OK ||
        acc_stream_consumer_set_wait(con, 150, 100) != ACC_OK || acc_loop_new(&loop) != ACC_OK ||
        acc_stream_consumer_attach(con, loop) != ACC_OK)
        _exit(22);
    if (acc_loop_run(loop, &c.stop) != ACC_OK)
        _exit(23);
    _exit(acc_stream_consumer_cursor(con) == CRASH_N ? 0 : 24);
}

static pid_t
s_spawn(void (*child)(const char *, const char *), const char *dir, const char *ep)
{
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        child(dir, ep);
        _exit(99);
    }
    return pid;
}

static void
s_sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static void
test_crash_processes(void **state)
{
    env_t *env = *state;
    char ep[4200];
    snprintf(ep, sizeof ep, "ipc://%s/stream.ipc", env->dir);
    enum { PROD = 0, CONS = 1 };
    void (*mains[2])(const char *, const char *) = {s_crash_producer, s_crash_consumer};
    env->kids[PROD] = s_spawn(s_crash_producer, env->dir, ep);
    env->kids[CONS] = s_spawn(s_crash_consumer, env->dir, ep);

    /* Kill the consumer, the producer, or both, at random moments. */
    const int victims[] = {CONS, PROD, CONS, PROD, CONS, -1, CONS, PROD, CONS, CONS, PROD, CONS};
    for (size_t k = 0; k < sizeof victims / sizeof victims[0]; k++) {
        s_sleep_ms(30 + (long)randombytes_uniform(170));
        for (int who = 0; who < 2; who++) {
            if (victims[k] != -1 && victims[k] != who)
                continue;
            int st = 0;
            kill(env->kids[who], SIGKILL);
            assert_int_equal(waitpid(env->kids[who], &st, 0), env->kids[who]);
            /* killed, or (a consumer that caught up) finished cleanly */
            if (WIFEXITED(st))
                assert_int_equal(WEXITSTATUS(st), 0);
            env->kids[who] = s_spawn(mains[who], env->dir, ep);
        }
    }

    /* The last consumer catches up and exits 0. */
    int st = 0;
    pid_t got = 0;
    for (int i = 0; i < WAIT_MS / 10 && got == 0; i++) { /* a hang guard, not a deadline */
        got = waitpid(env->kids[CONS], &st, WNOHANG);
        if (got == 0)
            s_sleep_ms(10);
    }
    assert_int_equal(got, env->kids[CONS]);
    env->kids[CONS] = 0;
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 0);
    kill(env->kids[PROD], SIGKILL);
    waitpid(env->kids[PROD], NULL, 0);
    env->kids[PROD] = 0;

    /* Every record exactly once, and the cursor at N (stores opened only now, in the
     * parent, with every child gone). */
    char path[4096];
    acc_errinfo_t ei;
    snprintf(path, sizeof path, "%s/consumer", env->dir);
    acc_store_opts_t co = {.tables = s_ctables};
    assert_int_equal(acc_store_open(path, &co, &env->cstore, &ei), ACC_OK);
    assert_int_equal(acc_store_table(env->cstore, "cursors", &env->cursors), ACC_OK);
    assert_int_equal(acc_store_table(env->cstore, "applied", &env->applied), ACC_OK);
    s_check_applied(env->cstore, env->applied, CRASH_N);
    acc_txn_t *txn = NULL;
    uint64_t cursor = 0, head = 0;
    assert_int_equal(acc_store_read_begin(env->cstore, &txn), ACC_OK);
    assert_int_equal(acc_stream_cursor_get(txn, env->cursors, CRASH_NAME, &cursor), ACC_OK);
    acc_store_read_end(&txn);
    assert_int_equal(cursor, CRASH_N);
    snprintf(path, sizeof path, "%s/producer", env->dir);
    acc_store_opts_t po = {.tables = s_ptables};
    assert_int_equal(acc_store_open(path, &po, &env->pstore, &ei), ACC_OK);
    assert_int_equal(acc_store_table(env->pstore, "log", &env->log), ACC_OK);
    assert_int_equal(acc_store_read_begin(env->pstore, &txn), ACC_OK);
    assert_int_equal(acc_stream_head(txn, env->log, &head), ACC_OK);
    acc_store_read_end(&txn);
    assert_int_equal(head, CRASH_N);
}

#define T(f) cmocka_unit_test_setup_teardown(f, s_setup, s_teardown)

int
main(void)
{
    /* the hostile-peer tests make the module log on purpose */
    acc_log_set_level(ACC_LOG_ERROR);
    if (sodium_init() < 0)
        return 1;
    const struct CMUnitTest tests[] = {
        T(test_records),
        T(test_new_invalid),
        T(test_flow_and_restart),
        T(test_long_poll),
        T(test_apply_failure),
        T(test_server_raw),
        T(test_park_bound),
        T(test_consumer_fake_server),
        T(test_curve_tcp),
        cmocka_unit_test_setup_teardown(test_crash_processes, s_setup_dir, s_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
