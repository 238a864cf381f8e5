/*
 * accord-node — a whole node in one process: every service runs as a thread from its own
 * context struct, sharing one ZeroMQ context, and the services hand work to each other
 * through their streams over inproc://. The ZAP handler of that context admits only the
 * configured peers (and the node's own key) on the TCP endpoint where peer nodes deliver.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <zmq.h>

#include "acc_curve.h"
#include "acc_log.h"
#include "acc_main.h"
#include "acc_service.h"
#include "assignment/assignment.h"
#include "intake/intake_server.h"
#include "notification/notification.h"
#include "reporting/reporting.h"
#include "verification/verification.h"

/* The services that run as threads besides intake; a service joins the node by being
 * listed here (its definition lives in services/<name>/<name>.h). NULL-terminated. */
static const acc_service_def_t *const s_services[] = {
    &verification_service, &assignment_service, &notification_service, &reporting_service, NULL,
};
#define MAX_THREADS 8

typedef struct {
    const char *name;
    const acc_service_def_t *def; /* NULL for intake, which has its own server */
    const acc_config_t *cfg;
    void *zctx;
    acc_err err;
    acc_errinfo_t ei;
    pthread_t th;
    int started;
} s_thread;

static void *
s_run(void *arg)
{
    s_thread *t = arg;
    if (t->def)
        t->err =
            acc_service_run(t->def, t->cfg, t->zctx, ACC_SERVICE_INPROC, &acc_main_stop, &t->ei);
    else
        t->err = intake_server_run(t->cfg, t->zctx, ACC_SERVICE_INPROC, &acc_main_stop, &t->ei);
    /* One service failing stops the node: a half-running node would accept work it cannot
     * finish; operators should see it stop, loudly. */
    if (t->err != ACC_OK)
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
    struct acc_zap *zap = NULL;
    acc_errinfo_t ei;
    acc_errinfo_clear(&ei);
    acc_err err = acc_main_zap(cfg, zctx, &zap, &ei);
    if (err != ACC_OK) {
        fprintf(stderr, "accord-node: %s%s%s\n", ei.field, ei.field[0] ? ": " : "",
                ei.msg[0] ? ei.msg : acc_strerror(err));
        zmq_ctx_term(zctx);
        acc_config_destroy(&cfg);
        return err == ACC_ERR_CONFIG || err == ACC_ERR_INVALID || err == ACC_ERR_DENIED ? 2 : 1;
    }
    acc_log_info("node", "agency '%s' (%s), data in %s", cfg->agency, cfg->name, cfg->data_dir);

    s_thread threads[MAX_THREADS];
    size_t n = 0;
    memset(threads, 0, sizeof threads);
    threads[n++] = (s_thread){.name = "intake", .def = NULL};
    for (const acc_service_def_t *const *d = s_services; *d && n < MAX_THREADS; d++)
        threads[n++] = (s_thread){.name = (*d)->name, .def = *d};
    for (size_t i = 0; i < n; i++) {
        threads[i].cfg = cfg;
        threads[i].zctx = zctx;
        acc_errinfo_clear(&threads[i].ei);
        if (pthread_create(&threads[i].th, NULL, s_run, &threads[i]) != 0) {
            fprintf(stderr, "accord-node: cannot start the %s thread\n", threads[i].name);
            acc_main_stop = 1;
            break;
        }
        threads[i].started = 1;
    }
    int code = 0;
    for (size_t i = 0; i < n; i++) {
        if (!threads[i].started)
            continue;
        pthread_join(threads[i].th, NULL);
        if (threads[i].err != ACC_OK) {
            fprintf(stderr, "accord-node: %s: %s%s%s\n", threads[i].name, threads[i].ei.field,
                    threads[i].ei.field[0] ? ": " : "",
                    threads[i].ei.msg[0] ? threads[i].ei.msg : acc_strerror(threads[i].err));
            if (!code)
                code = threads[i].err == ACC_ERR_CONFIG ? 2 : 1;
        }
    }
    acc_zap_destroy(&zap);
    zmq_ctx_term(zctx);
    acc_config_destroy(&cfg);
    return code;
}
