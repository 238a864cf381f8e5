/* accord-intake — the intake service alone (see intake.h). */
#include <stdio.h>
#include <zmq.h>

#include "acc_curve.h"
#include "acc_log.h"
#include "acc_main.h"
#include "intake/intake_server.h"

int
main(int argc, char **argv)
{
    acc_config_t *cfg = NULL;
    int rc = acc_main_setup(argc, argv, "accord-intake",
                            "runs the intake service of an accord node", &cfg);
    if (rc)
        return rc < 0 ? 0 : rc;
    void *zctx = zmq_ctx_new();
    acc_errinfo_t ei;
    acc_errinfo_clear(&ei);
    struct acc_zap *zap = NULL;
    acc_err err = acc_main_zap(cfg, zctx, &zap, &ei);
    if (err == ACC_OK)
        err = intake_server_run(cfg, zctx, ACC_SERVICE_TCP, &acc_main_stop, &ei);
    if (err != ACC_OK)
        fprintf(stderr, "accord-intake: %s\n", ei.msg[0] ? ei.msg : acc_strerror(err));
    acc_zap_destroy(&zap);
    zmq_ctx_term(zctx);
    acc_config_destroy(&cfg);
    return err == ACC_OK ? 0 : (err == ACC_ERR_CONFIG ? 2 : 1);
}
