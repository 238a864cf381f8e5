/*
 * intake_server — intake on ZeroMQ: a ROUTER bound to the node's ipc socket (operators,
 * protected by file permissions: the data directory is 0700) and, when configured, a
 * loopback TCP endpoint. Drains what has arrived, hands it to intake_handle as one
 * group commit, then answers. See docs/protocol.md for the framing.
 */
#ifndef INTAKE_SERVER_H
#define INTAKE_SERVER_H

#include <signal.h>

#include "acc_config.h"
#include "acc_err.h"
#include "acc_service.h"

/* Where in-process clients reach intake (same ZeroMQ context). */
#define INTAKE_INPROC_ENDPOINT "inproc://accord-intake"

/*
 * intake_server_run — run intake until *@stop becomes non-zero. Its stream ("intake": the
 * events table) is served on inproc://accord-intake-stream (@mode ACC_SERVICE_INPROC) or
 * on cfg->intake_stream_bind with CURVE (ACC_SERVICE_TCP).
 * @zctx: the process's ZeroMQ context (borrowed). @cfg borrowed.
 * Errors: ACC_ERR_IO/STORE (cannot open the store), ACC_ERR_NET (cannot bind: ei names
 * the endpoint), ACC_ERR_NOMEM.
 */
acc_err intake_server_run(const acc_config_t *cfg, void *zctx, acc_service_mode mode,
                          volatile sig_atomic_t *stop, acc_errinfo_t *ei);

#endif
