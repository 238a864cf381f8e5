/* accordctl url canonical, accordctl status. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "acc_url.h"
#include "ctl.h"

int
ctl_cmd_url(ctl_t *ctx, int argc, char **argv)
{
    if (argc != 3 || strcmp(argv[1], "canonical") != 0) {
        ctl_err("%s", ACC_TR(ctx->lang, "usage: accordctl url canonical URL",
                             "cách dùng: accordctl url canonical URL"));
        return CTL_BAD_INPUT;
    }
    char *out = NULL;
    acc_errinfo_t ei;
    acc_errinfo_clear(&ei);
    acc_err err = acc_url_canonicalize(argv[2], strlen(argv[2]), ACC_URL_CANONICAL, &out, &ei);
    if (err != ACC_OK) {
        ctl_err("url: %s", ei.msg[0] ? ei.msg : acc_strerror(err));
        return CTL_BAD_INPUT;
    }
    printf("%s\n", out);
    free(out);
    return CTL_OK;
}

int
ctl_cmd_status(ctl_t *ctx, int argc, char **argv)
{
    int json = argc > 1 && strcmp(argv[1], "--json") == 0;
    int rc = ctl_connect(ctx);
    if (rc)
        return rc;
    Accord__V1__Request req = ACCORD__V1__REQUEST__INIT;
    Accord__V1__Ping ping = ACCORD__V1__PING__INIT;
    req.body_case = ACCORD__V1__REQUEST__BODY_PING;
    req.ping = &ping;
    Accord__V1__Response *resp = NULL;
    if ((rc =
             ctl_call(ctx, ctx->client, NULL, &req, ctx->timeout_ms < 5000 ? ctx->timeout_ms : 5000,
                      ACCORD__V1__RESPONSE__BODY_PONG, &resp)))
        return rc;
    const Accord__V1__Pong *p = resp->pong;
    if (json) {
        json_t *o = json_pack("{s:s, s:s, s:I, s:I}", "agency", p->agency, "name", p->node_name,
                              "reports", (json_int_t)p->reports, "cases", (json_int_t)p->cases);
        ctl_json_print(o);
        json_decref(o);
    } else {
        printf("%s: %s (%s)\n", ACC_TR(ctx->lang, "node up", "nút đang chạy"), p->agency,
               p->node_name);
        printf("  %s: %llu, %s: %llu\n", ACC_TR(ctx->lang, "reports", "tin phản ánh"),
               (unsigned long long)p->reports, ACC_TR(ctx->lang, "cases", "hồ sơ"),
               (unsigned long long)p->cases);
    }
    accord__v1__response__free_unpacked(resp, NULL);
    return CTL_OK;
}
