/*
 * acc_loop — a service's event loop: zmq_poll over its sockets plus interval timers.
 * One loop per service thread; sockets never cross threads. The loop wakes at least
 * every 100 ms to look at the stop flag, so SIGTERM/SIGINT end it promptly.
 */
#ifndef ACC_LOOP_H
#define ACC_LOOP_H

#include <signal.h>
#include <stdint.h>

#include "acc_err.h"

typedef struct acc_loop acc_loop_t;

/* A handler: return ACC_OK to go on; anything else ends acc_loop_run with that error. */
typedef acc_err (*acc_loop_fn)(acc_loop_t *loop, void *arg);

acc_err acc_loop_new(acc_loop_t **out);
/* acc_loop_destroy — NULL-safe; nulls *@self_p; does not close the sockets. */
void acc_loop_destroy(acc_loop_t **self_p);

/* acc_loop_add_socket — call @fn when ZeroMQ socket @sock (borrowed) is readable.
 * At most 16 sockets. Errors: ACC_ERR_TOO_LARGE. */
acc_err acc_loop_add_socket(acc_loop_t *self, void *sock, acc_loop_fn fn, void *arg);

/* acc_loop_add_timer — call @fn every @interval_ms (>= 1). At most 16 timers. */
acc_err acc_loop_add_timer(acc_loop_t *self, int64_t interval_ms, acc_loop_fn fn, void *arg);

/* acc_loop_run — run until *@stop is non-zero (ACC_OK) or a handler fails (its error). */
acc_err acc_loop_run(acc_loop_t *self, volatile sig_atomic_t *stop);

/* acc_loop_now_ms — a monotonic clock in milliseconds: acc_time_mono_ms under the name
 * its callers (the loop, acc_link, acc_stream, intake) know. */
int64_t acc_loop_now_ms(void);

#endif
