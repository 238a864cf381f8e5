/*
 * acc_main — what every accord executable does before its service runs: parse
 * "-c CONFIG", load and check the config, set the log level, create the data directory
 * (mode 0700: the ipc socket inside it is the operators' access control), set umask 077,
 * and turn SIGTERM/SIGINT into the stop flag.
 */
#ifndef ACC_MAIN_H
#define ACC_MAIN_H

#include <signal.h>

#include "acc_config.h"

/* The process's stop flag: the only mutable global (STYLE.md). Set by SIGTERM/SIGINT. */
extern volatile sig_atomic_t acc_main_stop;

/*
 * acc_main_setup — handle the command line of @prog ("accord-intake"); on success *@cfg is
 * the loaded config (acc_config_destroy). Returns 0 to go on, or an exit code to exit
 * with (0 after --help, 2 for bad arguments or config, 1 for other failures); messages
 * are printed to stderr.
 */
int acc_main_setup(int argc, char **argv, const char *prog, const char *what, acc_config_t **cfg);

/*
 * acc_main_zap — start the ZAP handler of @zctx (common/acc_curve.h) admitting the node's
 * own public key (as cfg->agency: the node's services talk to each other over TCP when they
 * run as separate processes) and every configured peer's key (as its agency). Must run
 * before any CURVE socket of @zctx binds. *@out is destroyed with acc_zap_destroy before
 * zmq_ctx_term. Errors: those of acc_curve_load_keys and acc_zap_new (ei says which file
 * or key).
 */
struct acc_zap;
acc_err acc_main_zap(const acc_config_t *cfg, void *zctx, struct acc_zap **out, acc_errinfo_t *ei);

/*
 * acc_main_service — the whole main() of accord-<service>: setup, ZAP handler, the service
 * alone in TCP mode (acc_service_run), clean shutdown. Returns the process exit code.
 */
struct acc_service_def;
int acc_main_service(int argc, char **argv, const struct acc_service_def *def);

#endif
