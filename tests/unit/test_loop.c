/* Tests of acc_loop: socket handlers, timers, the stop flag, handler errors. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <zmq.h>

#include "acc_loop.h"

typedef struct {
    void *pull;
    int received, ticks;
    volatile sig_atomic_t *stop;
} s_state;

static acc_err
s_on_msg(acc_loop_t *loop, void *arg)
{
    (void)loop;
    s_state *s = arg;
    char buf[16];
    while (zmq_recv(s->pull, buf, sizeof buf, ZMQ_DONTWAIT) >= 0)
        s->received++;
    return ACC_OK;
}

static acc_err
s_on_tick(acc_loop_t *loop, void *arg)
{
    (void)loop;
    s_state *s = arg;
    if (++s->ticks == 5)
        *s->stop = 1;
    return ACC_OK;
}

static acc_err
s_fail(acc_loop_t *loop, void *arg)
{
    (void)loop;
    (void)arg;
    return ACC_ERR_INTERNAL;
}

static void
test_sockets_timers_stop(void **state)
{
    (void)state;
    void *ctx = zmq_ctx_new();
    void *pull = zmq_socket(ctx, ZMQ_PULL), *push = zmq_socket(ctx, ZMQ_PUSH);
    assert_int_equal(zmq_bind(pull, "inproc://loop-test"), 0);
    assert_int_equal(zmq_connect(push, "inproc://loop-test"), 0);
    for (int i = 0; i < 3; i++)
        zmq_send(push, "x", 1, 0);
    volatile sig_atomic_t stop = 0;
    s_state s = {.pull = pull, .stop = &stop};
    acc_loop_t *loop = NULL;
    assert_int_equal(acc_loop_new(&loop), ACC_OK);
    assert_int_equal(acc_loop_add_socket(loop, pull, s_on_msg, &s), ACC_OK);
    assert_int_equal(acc_loop_add_timer(loop, 10, s_on_tick, &s), ACC_OK);
    int64_t t0 = acc_loop_now_ms();
    assert_int_equal(acc_loop_run(loop, &stop), ACC_OK);
    int64_t dt = acc_loop_now_ms() - t0;
    assert_int_equal(s.received, 3);
    assert_int_equal(s.ticks, 5);
    assert_true(dt >= 40); /* five ticks of 10 ms cannot come sooner */
    acc_loop_destroy(&loop);
    assert_null(loop);
    acc_loop_destroy(&loop); /* twice is fine */

    /* A failing handler ends the loop with its error. */
    stop = 0;
    assert_int_equal(acc_loop_new(&loop), ACC_OK);
    assert_int_equal(acc_loop_add_timer(loop, 1, s_fail, NULL), ACC_OK);
    assert_int_equal(acc_loop_run(loop, &stop), ACC_ERR_INTERNAL);
    for (int i = 1; i < 16; i++)
        assert_int_equal(acc_loop_add_timer(loop, 1, s_fail, NULL), ACC_OK);
    assert_int_equal(acc_loop_add_timer(loop, 1, s_fail, NULL), ACC_ERR_TOO_LARGE);
    acc_loop_destroy(&loop);
    zmq_close(push);
    zmq_close(pull);
    zmq_ctx_term(ctx);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sockets_timers_stop),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
