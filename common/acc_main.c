/* acc_main — see acc_main.h. */
#include "acc_main.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "acc_curve.h"
#include "acc_log.h"
#include "acc_service.h"
#include <zmq.h>
#include <stdlib.h>

volatile sig_atomic_t acc_main_stop = 0;

static void
s_on_signal(int sig)
{
    (void)sig;
    acc_main_stop = 1;
}

static int
s_mkdir(const char *path)
{
    if (mkdir(path, 0700) == 0 || errno == EEXIST)
        return 0;
    return -1;
}

int
acc_main_setup(int argc, char **argv, const char *prog, const char *what, acc_config_t **cfg)
{
    const char *path = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-c") == 0 && i + 1 < argc) {
            path = argv[++i];
        } else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            printf("usage: %s -c CONFIG\n%s\n", prog, what);
            return -1;
        } else {
            fprintf(stderr, "%s: unknown argument '%s'\nusage: %s -c CONFIG\n", prog, argv[i],
                    prog);
            return 2;
        }
    }
    if (!path) {
        fprintf(stderr, "%s: missing '-c CONFIG'\nusage: %s -c CONFIG\n", prog, prog);
        return 2;
    }
    acc_errinfo_t ei;
    acc_errinfo_clear(&ei);
    acc_err err = acc_config_load(path, cfg, &ei);
    if (err != ACC_OK) {
        fprintf(stderr, "%s: %s: %s\n", prog, ei.field[0] ? ei.field : path,
                ei.msg[0] ? ei.msg : acc_strerror(err));
        return 2;
    }
    acc_log_set_level((acc_log_level)(*cfg)->log_level);
    umask(077);
    if (s_mkdir((*cfg)->data_dir) != 0) {
        fprintf(stderr, "%s: cannot create data directory '%s': %s\n", prog, (*cfg)->data_dir,
                strerror(errno));
        acc_config_destroy(cfg);
        return 1;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = s_on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    return 0;
}

acc_err
acc_main_zap(const acc_config_t *cfg, void *zctx, struct acc_zap **out, acc_errinfo_t *ei)
{
    char pub[ACC_CURVE_KEY_LEN + 1], sec[ACC_CURVE_KEY_LEN + 1];
    acc_err err = acc_curve_load_keys(cfg->keys_dir, pub, sec, ei);
    memset(sec, 0, sizeof sec); /* the ZAP handler needs public keys only */
    if (err != ACC_OK)
        return err;
    acc_zap_peer_t *peers = calloc(cfg->n_peers + 1, sizeof *peers);
    if (!peers)
        return ACC_ERR_NOMEM;
    snprintf(peers[0].public_key, sizeof peers[0].public_key, "%s", pub);
    snprintf(peers[0].agency, sizeof peers[0].agency, "%s", cfg->agency);
    for (size_t i = 0; i < cfg->n_peers; i++) {
        snprintf(peers[i + 1].public_key, sizeof peers[i + 1].public_key, "%s",
                 cfg->peers[i].public_key);
        snprintf(peers[i + 1].agency, sizeof peers[i + 1].agency, "%s", cfg->peers[i].agency);
    }
    err = acc_zap_new(zctx, peers, cfg->n_peers + 1, out, ei);
    free(peers);
    return err;
}

int
acc_main_service(int argc, char **argv, const struct acc_service_def *def)
{
    char prog[64], what[128];
    snprintf(prog, sizeof prog, "accord-%s", def->name);
    snprintf(what, sizeof what, "runs the %s service of an accord node alone", def->name);
    acc_config_t *cfg = NULL;
    int rc = acc_main_setup(argc, argv, prog, what, &cfg);
    if (rc)
        return rc < 0 ? 0 : rc;
    void *zctx = zmq_ctx_new();
    struct acc_zap *zap = NULL;
    acc_errinfo_t ei;
    acc_errinfo_clear(&ei);
    acc_err err = zctx ? acc_main_zap(cfg, zctx, &zap, &ei) : ACC_ERR_NET;
    if (err == ACC_OK)
        err = acc_service_run(def, cfg, zctx, ACC_SERVICE_TCP, &acc_main_stop, &ei);
    if (err != ACC_OK)
        fprintf(stderr, "%s: %s%s%s\n", prog, ei.field, ei.field[0] ? ": " : "",
                ei.msg[0] ? ei.msg : acc_strerror(err));
    acc_zap_destroy(&zap);
    if (zctx)
        zmq_ctx_term(zctx);
    acc_config_destroy(&cfg);
    return err == ACC_OK ? 0 : (err == ACC_ERR_CONFIG ? 2 : 1);
}
