/* accord-notification — the notification service alone, in TCP mode (see notification.h):
 * it consumes the intake and assignment streams over CURVE, serves its own stream the same
 * way, and delivers to peer nodes over the federation link. */
#include <stdio.h>
#include <zmq.h>

#include "acc_curve.h"
#include "acc_main.h"
#include "acc_service.h"
#include "notification/notification.h"

int
main(int argc, char **argv)
{
    acc_config_t *cfg = NULL;
    int rc = acc_main_setup(argc, argv, "accord-notification",
                            "runs the notification service of an accord node", &cfg);
    if (rc)
        return rc < 0 ? 0 : rc;
    void *zctx = zmq_ctx_new();
    acc_zap_t *zap = NULL;
    acc_errinfo_t ei;
    acc_errinfo_clear(&ei);
    acc_err err = zctx ? acc_main_zap(cfg, zctx, &zap, &ei) : ACC_ERR_NET;
    if (err == ACC_OK)
        err =
            acc_service_run(&notification_service, cfg, zctx, ACC_SERVICE_TCP, &acc_main_stop, &ei);
    if (err != ACC_OK)
        fprintf(stderr, "accord-notification: %s\n", ei.msg[0] ? ei.msg : acc_strerror(err));
    acc_zap_destroy(&zap);
    if (zctx)
        zmq_ctx_term(zctx);
    acc_config_destroy(&cfg);
    return err == ACC_OK ? 0 : (err == ACC_ERR_CONFIG ? 2 : 1);
}
