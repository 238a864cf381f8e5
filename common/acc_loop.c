/* acc_loop — see acc_loop.h. */
#include "acc_loop.h"

#include <errno.h>
#include <stdlib.h>
#include <zmq.h>

#include "acc_time.h"

#define MAX_ITEMS 16
#define STOP_CHECK_MS 100

typedef struct {
    acc_loop_fn fn;
    void *arg;
} s_handler;

typedef struct {
    int64_t interval, next;
    acc_loop_fn fn;
    void *arg;
} s_timer;

struct acc_loop {
    zmq_pollitem_t items[MAX_ITEMS];
    s_handler handlers[MAX_ITEMS];
    int n_items;
    s_timer timers[MAX_ITEMS];
    int n_timers;
};

int64_t
acc_loop_now_ms(void)
{
    return acc_time_mono_ms();
}

acc_err
acc_loop_new(acc_loop_t **out)
{
    acc_loop_t *self = calloc(1, sizeof *self);
    if (!self)
        return ACC_ERR_NOMEM;
    *out = self;
    return ACC_OK;
}

void
acc_loop_destroy(acc_loop_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    free(*self_p);
    *self_p = NULL;
}

acc_err
acc_loop_add_socket(acc_loop_t *self, void *sock, acc_loop_fn fn, void *arg)
{
    if (self->n_items == MAX_ITEMS)
        return ACC_ERR_TOO_LARGE;
    self->items[self->n_items] = (zmq_pollitem_t){.socket = sock, .events = ZMQ_POLLIN};
    self->handlers[self->n_items++] = (s_handler){fn, arg};
    return ACC_OK;
}

acc_err
acc_loop_add_timer(acc_loop_t *self, int64_t interval_ms, acc_loop_fn fn, void *arg)
{
    if (self->n_timers == MAX_ITEMS)
        return ACC_ERR_TOO_LARGE;
    if (interval_ms < 1)
        interval_ms = 1;
    self->timers[self->n_timers++] =
        (s_timer){interval_ms, acc_loop_now_ms() + interval_ms, fn, arg};
    return ACC_OK;
}

acc_err
acc_loop_run(acc_loop_t *self, volatile sig_atomic_t *stop)
{
    while (!*stop) {
        int64_t now = acc_loop_now_ms(), wait = STOP_CHECK_MS;
        for (int i = 0; i < self->n_timers; i++)
            if (self->timers[i].next - now < wait)
                wait = self->timers[i].next - now;
        if (wait < 0)
            wait = 0;
        int rc = zmq_poll(self->items, self->n_items, (long)wait);
        if (rc < 0) {
            if (zmq_errno() == EINTR)
                continue;
            if (zmq_errno() == ETERM)
                return ACC_OK;
            return ACC_ERR_NET;
        }
        for (int i = 0; i < self->n_items && rc > 0; i++) {
            if (!(self->items[i].revents & ZMQ_POLLIN))
                continue;
            acc_err err = self->handlers[i].fn(self, self->handlers[i].arg);
            if (err != ACC_OK)
                return err;
        }
        now = acc_loop_now_ms();
        for (int i = 0; i < self->n_timers; i++) {
            s_timer *t = &self->timers[i];
            if (now < t->next)
                continue;
            t->next = now + t->interval;
            acc_err err = t->fn(self, t->arg);
            if (err != ACC_OK)
                return err;
        }
    }
    return ACC_OK;
}
