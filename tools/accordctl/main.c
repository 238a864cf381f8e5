/*
 * accordctl — the operator's command line for an accord node. It talks to the node's
 * services over their ipc sockets in the node's data directory (the config says where):
 * intake for reports and cases, and verification, assignment, notification and reporting
 * for verdicts, routing rules, measures, notices and statistics (ctl_ops.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"

static void
s_usage(acc_lang lang, FILE *f)
{
    fputs(
        ACC_TR(
            lang,
            "usage: accordctl [-c CONFIG] COMMAND ...\n"
            "\n"
            "commands:\n"
            "  init DIR --agency ID [--name NAME] [--port-base N]   create a node\n"
            "  report submit --url URL --category CAT [--text T] [--description D]\n"
            "                [--source S] [--id UUID] [--json]      submit one report\n"
            "  report import FILE [--format jsonl|csv] [--category C] [--source S]\n"
            "                                                       import a file\n"
            "  feed import FILE --format FORMAT --source NAME [--category C]\n"
            "              [--confidence N]   formats: jsonl csv stix misp urlhaus\n"
            "                                 phishtank openphish\n"
            "  case list [--status S] [--category C] [--limit N] [--json]\n"
            "  case show NUMBER [--json]          the case and its timeline\n"
            "  verify decide NUMBER --verdict violating|not-violating|inconclusive\n"
            "                --category CAT --basis \"LEGAL BASIS\" --reasons \"TEXT\"\n"
            "                [--by NAME] [--json]                  record the verdict\n"
            "  route add --category CAT --action ACTION --to AGENCY --deadline 30m|24h|3d|1w\n"
            "            [--jurisdiction J] [--json]               add a routing rule\n"
            "  measure list [--mine] [--case NUMBER] [--json]\n"
            "  measure update ID --status accepted|done|failed [--result TEXT]\n"
            "                 [--by NAME] [--json]                 on the owner's node\n"
            "  notice list [--json]               notices and the links to peers\n"
            "  stats [--json]                     counts and median times\n"
            "  status [--json]                                      is the node up?\n"
            "  url canonical URL                                    canonical form\n"
            "  key show                           this node's public key (last line)\n"
            "  peer add --agency ID --role lead|coordinating|parent|child\n"
            "           --endpoint tcp://HOST:PORT --public-key KEY [--name NAME]\n"
            "  peer list [--json]\n"
            "  peer remove --agency ID            peers live in peers.cfg beside the\n"
            "                                     config; restart the node after a change\n"
            "  config check                       list every problem as FILE:LINE: message\n"
            "\n"
            "exit codes: 0 success, 2 bad input, 1 node unreachable or internal failure\n",
            "cách dùng: accordctl [-c CẤU_HÌNH] LỆNH ...\n"
            "\n"
            "các lệnh:\n"
            "  init THƯ_MỤC --agency MÃ [--name TÊN] [--port-base N] tạo nút mới\n"
            "  report submit --url URL --category LOẠI [--text T] [--description D]\n"
            "                [--source NGUỒN] [--id UUID] [--json]   gửi một tin phản ánh\n"
            "  report import TỆP [--format jsonl|csv] [--category C] [--source S]\n"
            "                                                       nhập từ tệp\n"
            "  feed import TỆP --format ĐỊNH_DẠNG --source NGUỒN [--category C]\n"
            "              [--confidence N]   định dạng: jsonl csv stix misp urlhaus\n"
            "                                 phishtank openphish\n"
            "  case list [--status S] [--category C] [--limit N] [--json]\n"
            "  case show SỐ_HỒ_SƠ [--json]        hồ sơ và diễn biến của nó\n"
            "  verify decide SỐ_HỒ_SƠ --verdict violating|not-violating|inconclusive\n"
            "                --category LOẠI --basis \"CĂN CỨ\" --reasons \"LÝ DO\"\n"
            "                [--by TÊN] [--json]                   ghi kết quả thẩm định\n"
            "  route add --category LOẠI --action BIỆN_PHÁP --to CƠ_QUAN\n"
            "            --deadline 30m|24h|3d|1w [--jurisdiction J] [--json]\n"
            "                                                       thêm quy tắc phân công\n"
            "  measure list [--mine] [--case SỐ_HỒ_SƠ] [--json]\n"
            "  measure update MÃ --status accepted|done|failed [--result NỘI_DUNG]\n"
            "                 [--by TÊN] [--json]                  trên nút của cơ quan thực hiện\n"
            "  notice list [--json]               thông báo và liên kết tới các cơ quan\n"
            "  stats [--json]                     số liệu và thời gian trung vị\n"
            "  status [--json]                                      nút có hoạt động?\n"
            "  url canonical URL                                    dạng chuẩn của URL\n"
            "  key show                           khóa công khai của nút (dòng cuối)\n"
            "  peer add --agency MÃ --role lead|coordinating|parent|child\n"
            "           --endpoint tcp://MÁY:CỔNG --public-key KHÓA [--name TÊN]\n"
            "  peer list [--json]\n"
            "  peer remove --agency MÃ            danh sách nằm trong peers.cfg cạnh tệp\n"
            "                                     cấu hình; khởi động lại nút sau khi đổi\n"
            "  config check                       liệt kê mọi lỗi dạng TỆP:DÒNG: thông báo\n"
            "\n"
            "mã thoát: 0 thành công, 2 dữ liệu sai, 1 không kết nối được nút hoặc lỗi "
            "nội bộ\n"),
        f);
}

int
main(int argc, char **argv)
{
    ctl_t ctx = {.lang = acc_i18n_from_env(), .timeout_ms = 30000};
    int i = 1;
    const char *t = getenv("ACCORDCTL_TIMEOUT_MS");
    if (t && atoi(t) > 0)
        ctx.timeout_ms = atoi(t);
    for (; i < argc && argv[i][0] == '-'; i++) {
        if (strcmp(argv[i], "-c") == 0 || strcmp(argv[i], "--config") == 0) {
            if (i + 1 >= argc) {
                ctl_err("%s", ACC_TR(ctx.lang, "'-c' needs a config file",
                                     "'-c' cần đường dẫn tệp cấu hình"));
                return CTL_BAD_INPUT;
            }
            ctx.config_path = argv[++i];
        } else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            s_usage(ctx.lang, stdout);
            return CTL_OK;
        } else {
            ctl_err("%s '%s'", ACC_TR(ctx.lang, "unknown option", "tùy chọn không hợp lệ"),
                    argv[i]);
            s_usage(ctx.lang, stderr);
            return CTL_BAD_INPUT;
        }
    }
    if (i >= argc) {
        s_usage(ctx.lang, stderr);
        return CTL_BAD_INPUT;
    }
    const char *cmd = argv[i];
    int sub_argc = argc - i;
    char **sub_argv = argv + i;
    int rc;
    if (strcmp(cmd, "init") == 0)
        rc = ctl_cmd_init(&ctx, sub_argc, sub_argv);
    else if (strcmp(cmd, "report") == 0)
        rc = ctl_cmd_report(&ctx, sub_argc, sub_argv);
    else if (strcmp(cmd, "feed") == 0)
        rc = ctl_cmd_feed(&ctx, sub_argc, sub_argv);
    else if (strcmp(cmd, "case") == 0)
        rc = ctl_cmd_case(&ctx, sub_argc, sub_argv);
    else if (strcmp(cmd, "url") == 0)
        rc = ctl_cmd_url(&ctx, sub_argc, sub_argv);
    else if (strcmp(cmd, "status") == 0)
        rc = ctl_cmd_status(&ctx, sub_argc, sub_argv);
    else if (strcmp(cmd, "key") == 0)
        rc = ctl_cmd_key(&ctx, sub_argc, sub_argv);
    else if (strcmp(cmd, "peer") == 0)
        rc = ctl_cmd_peer(&ctx, sub_argc, sub_argv);
    else if (strcmp(cmd, "config") == 0)
        rc = ctl_cmd_config(&ctx, sub_argc, sub_argv);
    else if (strcmp(cmd, "verify") == 0)
        rc = ctl_cmd_verify(&ctx, sub_argc, sub_argv);
    else if (strcmp(cmd, "route") == 0)
        rc = ctl_cmd_route(&ctx, sub_argc, sub_argv);
    else if (strcmp(cmd, "measure") == 0)
        rc = ctl_cmd_measure(&ctx, sub_argc, sub_argv);
    else if (strcmp(cmd, "notice") == 0)
        rc = ctl_cmd_notice(&ctx, sub_argc, sub_argv);
    else if (strcmp(cmd, "stats") == 0)
        rc = ctl_cmd_stats(&ctx, sub_argc, sub_argv);
    else {
        ctl_err("%s '%s'", ACC_TR(ctx.lang, "unknown command", "lệnh không hợp lệ"), cmd);
        s_usage(ctx.lang, stderr);
        rc = CTL_BAD_INPUT;
    }
    acc_client_destroy(&ctx.client);
    acc_config_destroy(&ctx.cfg);
    return rc;
}
