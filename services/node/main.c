/*
 * accord-node — a whole node in one process: each service runs as a thread from its own
 * context struct, sharing one ZeroMQ context (inproc:// between services). For now the
 * node has one service, intake; the others join as they are built (see README).
 */
#include <pthread.h>
#include <stdio.h>
#include <zmq.h>

#include "acc_log.h"
#include "acc_main.h"
#include "intake/intake_server.h"

typedef struct {
    const acc_config_t *cfg;
    void *zctx;
    acc_err err;
    acc_errinfo_t ei;
} s_thread;

static void *
s_intake(void *arg)
{
    s_thread *t = arg;
    t->err = intake_server_run(t->cfg, t->zctx, &acc_main_stop, &t->ei);
    /* One service failing stops the node: a half-running node would acknowledge
     * nothing of what it cannot do, but operators should see it stop, loudly. */
    acc_main_stop = 1;
    return NULL;
}

int
main(int argc, char **argv)
{
    acc_config_t *cfg = NULL;
    int rc = acc_main_setup(argc, argv, "accord-node",
                            "runs all services of an accord node in one process", &cfg);
    if (rc)
        return rc < 0 ? 0 : rc;
    void *zctx = zmq_ctx_new();
    s_thread intake = {.cfg = cfg, .zctx = zctx, .err = ACC_OK};
    acc_errinfo_clear(&intake.ei);
    acc_log_info("node", "agency '%s' (%s), data in %s", cfg->agency, cfg->name, cfg->data_dir);
    pthread_t th;
    if (pthread_create(&th, NULL, s_intake, &intake) != 0) {
        fprintf(stderr, "accord-node: cannot start the intake thread\n");
        return 1;
    }
    pthread_join(th, NULL);
    if (intake.err != ACC_OK)
        fprintf(stderr, "accord-node: intake: %s\n",
                intake.ei.msg[0] ? intake.ei.msg : acc_strerror(intake.err));
    zmq_ctx_term(zctx);
    acc_config_destroy(&cfg);
    return intake.err == ACC_OK ? 0 : (intake.err == ACC_ERR_CONFIG ? 2 : 1);
}
