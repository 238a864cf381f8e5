/* accordctl init — write a working node directory: node.cfg, keys/ (CurveZMQ key pair,
 * secret key mode 0600), data/. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zmq.h>

#include "ctl.h"

static int
s_write_file(const char *path, const char *text, mode_t mode)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
    if (fd < 0)
        return -1;
    size_t len = strlen(text), off = 0;
    while (off < len) {
        ssize_t w = write(fd, text + off, len - off);
        if (w < 0) {
            close(fd);
            return -1;
        }
        off += (size_t)w;
    }
    if (fsync(fd) != 0 || close(fd) != 0)
        return -1;
    return 0;
}

int
ctl_cmd_init(ctl_t *ctx, int argc, char **argv)
{
    const char *dir = NULL, *agency = NULL, *name = NULL, *port = NULL;
    for (int i = 1; i < argc; i++) {
        int r;
        if ((r = ctl_opt(argc, argv, &i, "--agency", &agency)) ||
            (r = ctl_opt(argc, argv, &i, "--name", &name)) ||
            (r = ctl_opt(argc, argv, &i, "--port-base", &port))) {
            if (r < 0)
                return CTL_BAD_INPUT;
        } else if (argv[i][0] != '-' && !dir) {
            dir = argv[i];
        } else {
            ctl_err("init: %s '%s'", ACC_TR(ctx->lang, "unexpected argument", "đối số thừa"),
                    argv[i]);
            return CTL_BAD_INPUT;
        }
    }
    if (!dir || !agency) {
        ctl_err(
            "%s",
            ACC_TR(ctx->lang, "usage: accordctl init DIR --agency ID [--name NAME] [--port-base N]",
                   "cách dùng: accordctl init THƯ_MỤC --agency MÃ [--name TÊN] [--port-base N]"));
        return CTL_BAD_INPUT;
    }
    int port_base = 0;
    if (port) {
        char *end;
        long v = strtol(port, &end, 10);
        if (*end || v < 1024 || v > 65521) {
            ctl_err("--port-base: %s", ACC_TR(ctx->lang, "must be a number from 1024 to 65521",
                                              "phải là số từ 1024 đến 65521"));
            return CTL_BAD_INPUT;
        }
        port_base = (int)v;
    }
    acc_errinfo_t ei;
    acc_errinfo_clear(&ei);
    char *text = NULL;
    acc_err err = acc_config_render(agency, name ? name : agency, port_base, &text, &ei);
    if (err != ACC_OK) {
        ctl_err("%s: %s", ei.field[0] ? ei.field : "--agency",
                ei.msg[0] ? ei.msg : acc_strerror(err));
        return CTL_BAD_INPUT;
    }
    int rc = CTL_FAIL;
    char path[4096];
    if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
        ctl_err("cannot create '%s': %s", dir, strerror(errno));
        goto out;
    }
    snprintf(path, sizeof path, "%s/node.cfg", dir);
    if (access(path, F_OK) == 0) {
        ctl_err("'%s' %s", path,
                ACC_TR(ctx->lang, "exists already: this directory holds a node",
                       "đã tồn tại: thư mục này đã có một nút"));
        rc = CTL_BAD_INPUT;
        goto out;
    }
    snprintf(path, sizeof path, "%s/keys", dir);
    if (mkdir(path, 0700) != 0 && errno != EEXIST)
        goto io;
    snprintf(path, sizeof path, "%s/data", dir);
    if (mkdir(path, 0700) != 0 && errno != EEXIST)
        goto io;
    char pub[41], sec[41];
    if (zmq_curve_keypair(pub, sec) != 0) {
        ctl_err("cannot generate a CurveZMQ key pair: %s", zmq_strerror(zmq_errno()));
        goto out;
    }
    char line[128];
    snprintf(path, sizeof path, "%s/keys/node.key", dir);
    snprintf(line, sizeof line, "%s\n", sec);
    if (s_write_file(path, line, 0600) != 0)
        goto io;
    snprintf(path, sizeof path, "%s/keys/node.pub", dir);
    snprintf(line, sizeof line, "%s\n", pub);
    if (s_write_file(path, line, 0644) != 0)
        goto io;
    snprintf(path, sizeof path, "%s/node.cfg", dir);
    if (s_write_file(path, text, 0600) != 0)
        goto io;
    /* Check what we wrote the way the node will read it. */
    acc_config_t *cfg = NULL;
    if (acc_config_load(path, &cfg, &ei) != ACC_OK) {
        ctl_err("%s: %s", ei.field, ei.msg);
        goto out;
    }
    printf("%s %s\n", ACC_TR(ctx->lang, "node created in", "đã tạo nút trong"), dir);
    printf("  %s: %s\n", ACC_TR(ctx->lang, "config", "cấu hình"), path);
    printf("  %s: accord-node -c %s\n", ACC_TR(ctx->lang, "run it", "chạy"), path);
    if (cfg->intake.bind[0])
        printf("  intake: %s, ipc://%s\n", cfg->intake.bind, cfg->intake.ipc_path);
    acc_config_destroy(&cfg);
    rc = CTL_OK;
    goto out;
io:
    ctl_err("cannot write '%s': %s", path, strerror(errno));
out:
    free(text);
    return rc;
}
