/* accord-assignment — the assignment service alone, as its own process (see assignment.h):
 * it pulls verification's and intake's streams over TCP with CURVE and serves its own. */
#include <stdio.h>
#include <zmq.h>

#include "acc_curve.h"
#include "acc_main.h"
#include "acc_service.h"
#include "assignment/assignment.h"

int
main(int argc, char **argv)
{
    acc_config_t *cfg = NULL;
    int rc = acc_main_setup(argc, argv, "accord-assignment",
                            "runs the assignment service of an accord node", &cfg);
    if (rc)
        return rc < 0 ? 0 : rc;
    void *zctx = zmq_ctx_new();
    acc_zap_t *zap = NULL;
    acc_errinfo_t ei;
    acc_errinfo_clear(&ei);
    /* The ZAP handler must run before any CURVE socket binds. */
    acc_err err = zctx ? acc_main_zap(cfg, zctx, &zap, &ei) : ACC_ERR_NET;
    if (err == ACC_OK)
        err = acc_service_run(&assignment_service, cfg, zctx, ACC_SERVICE_TCP, &acc_main_stop, &ei);
    if (err != ACC_OK)
        fprintf(stderr, "accord-assignment: %s%s%s\n", ei.field[0] ? ei.field : "",
                ei.field[0] ? ": " : "", ei.msg[0] ? ei.msg : acc_strerror(err));
    acc_zap_destroy(&zap);
    if (zctx)
        zmq_ctx_term(zctx);
    acc_config_destroy(&cfg);
    return err == ACC_OK ? 0 : (err == ACC_ERR_CONFIG ? 2 : 1);
}
