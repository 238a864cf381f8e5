/* Unit tests for acc_config: defaults, validation with file:line, includes, check, render. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zmq.h>

#include "acc_config.h"
#include "../support/acc_test.h"

/* ---- helpers ------------------------------------------------------------------------ */

static char *
s_write(const char *dir, const char *name, const char *text)
{
    char *path = malloc(PATH_MAX);
    assert_non_null(path);
    snprintf(path, PATH_MAX, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    assert_int_equal(fputs(text, f) >= 0, 1);
    assert_int_equal(fclose(f), 0);
    return path;
}

static char *
s_real(const char *dir)
{
    char *r = realpath(dir, NULL);
    assert_non_null(r);
    return r;
}

/* Load @text as node.cfg; expect ACC_ERR_CONFIG at line @line (0: the file only) with a
 * message containing @needle, and the out-parameter untouched. */
static void
s_expect_error(const char *text, int line, const char *needle)
{
    char *dir = acc_test_tmpdir();
    char *path = s_write(dir, "node.cfg", text);
    acc_config_t sentinel, *cfg = &sentinel;
    acc_errinfo_t ei;
    acc_err rc = acc_config_load(path, &cfg, &ei);
    char want[PATH_MAX + 16];
    if (line > 0)
        snprintf(want, sizeof want, "%s:%d", path, line);
    else
        snprintf(want, sizeof want, "%s", path);
    if (rc != ACC_ERR_CONFIG || !strstr(ei.msg, needle) || strcmp(ei.field, want) != 0)
        print_error("text:\n%s\nrc=%d field=%s msg=%s\n", text, rc, ei.field, ei.msg);
    assert_int_equal(rc, ACC_ERR_CONFIG);
    assert_ptr_equal(cfg, &sentinel);
    assert_string_equal(ei.field, want);
    assert_non_null(strstr(ei.msg, needle));
    free(path);
    acc_test_rmtree(dir);
}

#define AGENCY "agency = \"stttt-hn\";\n"

/* Load @node_text as node.cfg with @peers_text as peers.cfg beside it; expect
 * ACC_ERR_CONFIG in @file ("node.cfg" or "peers.cfg") at @line, with @needle. */
static void
s_expect_error2(const char *node_text, const char *peers_text, const char *file, int line,
                const char *needle)
{
    char *dir = acc_test_tmpdir();
    char *path = s_write(dir, "node.cfg", node_text);
    char *ppath = s_write(dir, "peers.cfg", peers_text);
    acc_config_t sentinel, *cfg = &sentinel;
    acc_errinfo_t ei;
    acc_err rc = acc_config_load(path, &cfg, &ei);
    char want[PATH_MAX + 16];
    snprintf(want, sizeof want, "%s/%s:%d", dir, file, line);
    if (rc != ACC_ERR_CONFIG || !strstr(ei.msg, needle) || strcmp(ei.field, want) != 0)
        print_error("node.cfg:\n%s\npeers.cfg:\n%s\nrc=%d field=%s msg=%s\n", node_text, peers_text,
                    rc, ei.field, ei.msg);
    assert_int_equal(rc, ACC_ERR_CONFIG);
    assert_ptr_equal(cfg, &sentinel);
    assert_string_equal(ei.field, want);
    assert_non_null(strstr(ei.msg, needle));
    free(ppath);
    free(path);
    acc_test_rmtree(dir);
}

/* A fresh CURVE public key (40 Z85 characters). */
static void
s_key(char out[41])
{
    char sec[41];
    assert_int_equal(zmq_curve_keypair(out, sec), 0);
}

/* @text with the first @old replaced by @new (malloc'd). */
static char *
s_replace(const char *text, const char *old, const char *new_text)
{
    const char *at = strstr(text, old);
    assert_non_null(at);
    size_t len = strlen(text) - strlen(old) + strlen(new_text) + 1;
    char *out = malloc(len);
    assert_non_null(out);
    snprintf(out, len, "%.*s%s%s", (int)(at - text), text, new_text, at + strlen(old));
    return out;
}

/* Uncomment the rendered example that starts at @at ("# name = ..."): every following
 * line loses its "# " up to and including the line that starts with @last. */
static void
s_uncomment(char *at, const char *last)
{
    char *line = at;
    for (;;) {
        while (*line == ' ')
            line++;
        assert_true(line[0] == '#' && line[1] == ' ');
        line[0] = ' ';
        bool end = strncmp(line + 2, last, strlen(last)) == 0;
        line = strchr(line, '\n');
        assert_non_null(line);
        line++;
        if (end)
            break;
    }
}

/* ---- defaults and a full file ------------------------------------------------------- */

static void
test_minimal_defaults(void **state)
{
    (void)state;
    char *dir = acc_test_tmpdir();
    char *path = s_write(dir, "node.cfg", AGENCY);
    char *real = s_real(dir);
    acc_config_t *cfg = NULL;
    acc_errinfo_t ei;
    assert_int_equal(acc_config_load(path, &cfg, &ei), ACC_OK);
    assert_non_null(cfg);

    char want[PATH_MAX];
    assert_string_equal(cfg->path, path);
    assert_string_equal(cfg->dir, real);
    assert_string_equal(cfg->agency, "stttt-hn");
    assert_string_equal(cfg->name, "stttt-hn");
    snprintf(want, sizeof want, "%s/data", real);
    assert_string_equal(cfg->data_dir, want);
    snprintf(want, sizeof want, "%s/keys", real);
    assert_string_equal(cfg->keys_dir, want);
    snprintf(want, sizeof want, "%s/data/intake.sock", real);
    assert_string_equal(cfg->intake.ipc_path, want);
    assert_int_equal(cfg->log_level, 2);
    assert_int_equal(cfg->utc_offset_minutes, 420);
    assert_int_equal(cfg->limits.message_max_bytes, 1048576);
    assert_int_equal(cfg->limits.url_max_bytes, 8192);
    assert_int_equal(cfg->limits.text_max_bytes, 32768);
    assert_string_equal(cfg->intake.bind, "tcp://127.0.0.1:7400");
    assert_int_equal(cfg->intake.batch_max, 1000);
    assert_int_equal(cfg->intake.commit_wait_us, 1000);
    assert_int_equal(cfg->intake.map_size_mb, 64);
    assert_int_equal(cfg->intake.map_max_mb, 1048576);
    assert_string_equal(cfg->verification.bind, "tcp://127.0.0.1:7401");
    assert_string_equal(cfg->assignment.bind, "tcp://127.0.0.1:7402");
    assert_string_equal(cfg->notification.bind, "tcp://127.0.0.1:7403");
    assert_string_equal(cfg->reporting.bind, "tcp://127.0.0.1:7404");
    assert_string_equal(cfg->intake_stream_bind, "tcp://127.0.0.1:7410");
    assert_string_equal(cfg->verification.stream_bind, "tcp://127.0.0.1:7411");
    assert_string_equal(cfg->assignment.stream_bind, "tcp://127.0.0.1:7412");
    assert_string_equal(cfg->notification.stream_bind, "tcp://127.0.0.1:7413");
    assert_string_equal(cfg->reporting.stream_bind, "tcp://127.0.0.1:7414");
    assert_int_equal(cfg->auto_verify.enabled, 0);
    assert_int_equal(cfg->auto_verify.n_sources, 0);
    assert_null(cfg->auto_verify.sources);
    assert_int_equal(cfg->auto_verify.min_confidence, 90);
    assert_null(cfg->auto_verify.legal_basis);
    assert_null(cfg->auto_verify.reasons);
    snprintf(want, sizeof want, "%s/data/spool", real);
    assert_string_equal(cfg->notify.spool_dir, want);
    assert_int_equal(cfg->notify.retry_min_ms, 200);
    assert_int_equal(cfg->notify.retry_max_ms, 30000);
    assert_int_equal(cfg->n_peers, 0);
    assert_null(cfg->peers);
    assert_int_equal(cfg->peers_inline, 0);
    assert_null(acc_config_lead(cfg));
    assert_null(acc_config_peer(cfg, "ca-hn"));
    assert_string_equal(cfg->http.bind, "127.0.0.1:7408");
    assert_null(cfg->http.tls_cert);
    assert_null(cfg->http.tls_key);
    assert_int_equal(cfg->http.body_max_bytes, 4 << 20);
    assert_int_equal(cfg->http.citizen_rate_per_minute, 10);
    assert_int_equal(cfg->n_sources, 0);
    assert_null(cfg->sources);
    assert_null(acc_config_source(cfg, "citizen"));
    assert_null(acc_config_source_by_token(cfg, "0123456789abcdef"));
    assert_int_equal(cfg->n_feed_tags, 0);
    assert_null(cfg->feed_tags);

    assert_int_equal(cfg->n_categories, 13);
    assert_string_equal(cfg->categories[0].id, "scam");
    assert_string_equal(cfg->categories[0].name_vi, "Lừa đảo, gian lận");
    assert_string_equal(cfg->categories[12].id, "other");
    const acc_category_t *c = acc_config_category(cfg, "csam");
    assert_non_null(c);
    assert_string_equal(c->name_vi, "Xâm hại tình dục trẻ em");
    assert_null(acc_config_category(cfg, "nope"));
    assert_null(acc_config_category(cfg, NULL));

    char list[1024];
    acc_config_category_list(cfg, list, sizeof list);
    assert_string_equal(list, "scam, phishing-malware, false-information, csam, terrorism, "
                              "incitement, privacy, impersonation, ip-infringement, gambling, "
                              "illegal-goods, unlicensed-news, other");
    char small[12];
    acc_config_category_list(cfg, small, sizeof small);
    assert_string_equal(small, "scam, phish");

    acc_config_destroy(&cfg);
    assert_null(cfg);
    acc_config_destroy(&cfg); /* twice is fine */
    acc_config_destroy(NULL);
    free(real);
    free(path);
    acc_test_rmtree(dir);
}

static void
test_full_file(void **state)
{
    (void)state;
    char *dir = acc_test_tmpdir();
    char *path =
        s_write(dir, "node.cfg",
                "# a full file\n"
                "agency = \"so-tttt-01\";\n"
                "name = \"Sở TT&TT \\\"Hà Nội\\\"\";\n"
                "data_dir = \"./var/./db/../store/\";\n"
                "keys_dir = \"/etc/accord//keys/\";\n"
                "log_level = \"debug\";\n"
                "utc_offset_minutes = -300;\n"
                "limits = { message_max_bytes = 2048; url_max_bytes = 0x100;\n"
                "           text_max_bytes = 1048576; };\n"
                "intake = { bind = \"\"; batch_max = 100000L; commit_wait_us = 0;\n"
                "           map_size_mb = 1; map_max_mb = 16777216; };\n"
                "verification = { bind = \"tcp://*:9001\"; };\n"
                "assignment = { bind = \"tcp://[::1]:9002\"; };\n"
                "notification = { bind = \"ipc:///run/accord/notify\"; };\n"
                "reporting = { bind = \"tcp://localhost:65535\"; };\n"
                "categories = (\n"
                "  { id = \"spam\"; vi = \"Tin rác\"; en = \"Spam\"; },\n"
                "  { id = \"x\"; vi = \"Khác\"; en = \"Other\"; }\n"
                ");\n"
                "http = { bind = \"0.0.0.0:8443\"; body_max_bytes = 1024;\n"
                "         tls_cert = \"tls/cert.pem\"; tls_key = \"/etc/k.pem\";\n"
                "         citizen_rate_per_minute = 100000; };\n"
                "sources = (\n"
                "  { name = \"vncert\"; token = \"0123456789abcdef\"; trust = \"high\";\n"
                "    confidence = 80; rate_per_minute = 0; },\n"
                "  { name = \"isp.viettel:feed-1\"; token = \"\"; },\n"
                "  { name = \"x\"; token = \"0123456789abcdeF\"; }\n"
                ");\n"
                "feed_tags = ( { tag = \"Spam\"; category = \"spam\"; },\n"
                "              { tag = \"misp-galaxy:x=\\\"y\\\"\"; category = \"x\"; } );\n");
    char *real = s_real(dir);
    acc_config_t *cfg = NULL;
    acc_errinfo_t ei;
    acc_err rc = acc_config_load(path, &cfg, &ei);
    if (rc)
        print_error("%s: %s\n", ei.field, ei.msg);
    assert_int_equal(rc, ACC_OK);
    char want[PATH_MAX];
    assert_string_equal(cfg->agency, "so-tttt-01");
    assert_string_equal(cfg->name, "Sở TT&TT \"Hà Nội\"");
    snprintf(want, sizeof want, "%s/var/store", real);
    assert_string_equal(cfg->data_dir, want);
    assert_string_equal(cfg->keys_dir, "/etc/accord/keys");
    snprintf(want, sizeof want, "%s/var/store/intake.sock", real);
    assert_string_equal(cfg->intake.ipc_path, want);
    assert_int_equal(cfg->log_level, 3);
    assert_int_equal(cfg->utc_offset_minutes, -300);
    assert_int_equal(cfg->limits.message_max_bytes, 2048);
    assert_int_equal(cfg->limits.url_max_bytes, 256);
    assert_int_equal(cfg->limits.text_max_bytes, 1048576);
    assert_string_equal(cfg->intake.bind, "");
    assert_int_equal(cfg->intake.batch_max, 100000);
    assert_int_equal(cfg->intake.commit_wait_us, 0);
    assert_int_equal(cfg->intake.map_size_mb, 1);
    assert_int_equal(cfg->intake.map_max_mb, 16777216);
    assert_string_equal(cfg->verification.bind, "tcp://*:9001");
    assert_string_equal(cfg->assignment.bind, "tcp://[::1]:9002");
    assert_string_equal(cfg->notification.bind, "ipc:///run/accord/notify");
    assert_string_equal(cfg->reporting.bind, "tcp://localhost:65535");
    assert_int_equal(cfg->n_categories, 2);
    assert_string_equal(cfg->categories[1].id, "x");
    assert_string_equal(cfg->categories[0].name_vi, "Tin rác");
    assert_string_equal(cfg->categories[0].name_en, "Spam");
    assert_null(acc_config_category(cfg, "scam"));
    char list[64];
    acc_config_category_list(cfg, list, sizeof list);
    assert_string_equal(list, "spam, x");

    assert_string_equal(cfg->http.bind, "0.0.0.0:8443");
    assert_int_equal(cfg->http.body_max_bytes, 1024);
    snprintf(want, sizeof want, "%s/tls/cert.pem", real);
    assert_string_equal(cfg->http.tls_cert, want);
    assert_string_equal(cfg->http.tls_key, "/etc/k.pem");
    assert_int_equal(cfg->http.citizen_rate_per_minute, 100000);

    assert_int_equal(cfg->n_sources, 3);
    const acc_source_cfg_t *src = acc_config_source(cfg, "vncert");
    assert_non_null(src);
    assert_string_equal(src->token, "0123456789abcdef");
    assert_string_equal(src->trust, "high");
    assert_int_equal(src->confidence, 80);
    assert_int_equal(src->rate_per_minute, 0);
    src = acc_config_source(cfg, "isp.viettel:feed-1");
    assert_non_null(src);
    assert_null(src->token); /* "" = no HTTP access */
    assert_string_equal(src->trust, "medium");
    assert_int_equal(src->confidence, 0);
    assert_int_equal(src->rate_per_minute, 6000);
    assert_null(acc_config_source(cfg, "VNCERT"));
    assert_ptr_equal(acc_config_source_by_token(cfg, "0123456789abcdef"), &cfg->sources[0]);
    assert_ptr_equal(acc_config_source_by_token(cfg, "0123456789abcdeF"), &cfg->sources[2]);
    assert_null(acc_config_source_by_token(cfg, "0123456789abcde"));
    assert_null(acc_config_source_by_token(cfg, "0123456789abcdef0"));
    assert_null(acc_config_source_by_token(cfg, ""));
    assert_null(acc_config_source_by_token(cfg, NULL));

    assert_int_equal(cfg->n_feed_tags, 2);
    assert_string_equal(cfg->feed_tags[0].tag, "Spam");
    assert_string_equal(cfg->feed_tags[0].category, "spam");
    assert_string_equal(cfg->feed_tags[1].tag, "misp-galaxy:x=\"y\"");
    acc_config_destroy(&cfg);
    free(real);
    free(path);
    acc_test_rmtree(dir);
}

/* ---- validation errors, each with file:line ----------------------------------------- */

static void
test_unknown_keys(void **state)
{
    (void)state;
    s_expect_error(AGENCY "\nagnecy = \"x\";\n", 3, "unknown key 'agnecy'");
    s_expect_error(AGENCY "intake = {\n  batch_max = 5;\n  bacth_max = 5;\n};\n", 4,
                   "unknown key 'intake.bacth_max'");
    s_expect_error(AGENCY "categories = (\n { id = \"a\"; vi = \"A\"; en = \"A\"; },\n"
                          " { id = \"b\"; vi = \"B\";\n   en = \"B\"; fr = \"B\"; }\n);\n",
                   5, "unknown key 'categories[1].fr'");
    /* Wrong-case spelling is a different key. */
    s_expect_error(AGENCY "Log_Level = \"info\";\n", 2, "unknown key 'Log_Level'");
}

static void
test_wrong_types(void **state)
{
    (void)state;
    s_expect_error(AGENCY "intake = { batch_max = \"100\"; };\n", 2,
                   "'intake.batch_max' must be an integer");
    s_expect_error(AGENCY "intake = { batch_max = 100.0; };\n", 2,
                   "'intake.batch_max' must be an integer");
    s_expect_error(AGENCY "utc_offset_minutes = true;\n", 2,
                   "'utc_offset_minutes' must be an integer");
    s_expect_error("agency = 5;\n", 1, "'agency' must be a string");
    s_expect_error(AGENCY "limits = 5;\n", 2, "'limits' must be a group");
    s_expect_error(AGENCY "intake = { bind = [\"tcp://x:1\"]; };\n", 2,
                   "'intake.bind' must be a string");
    s_expect_error(AGENCY "categories = [\"scam\"];\n", 2, "'categories' must be a list");
    s_expect_error(AGENCY "categories = ( \"scam\" );\n", 2, "'categories[0]' must be a group");
}

static void
test_integer_ranges(void **state)
{
    (void)state;
    s_expect_error(AGENCY "intake = {\n batch_max = 0;\n};\n", 3,
                   "'intake.batch_max' must be between 1 and 100000 (got 0)");
    s_expect_error(AGENCY "limits = { url_max_bytes = 65537; };\n", 2,
                   "'limits.url_max_bytes' must be between 256 and 65536");
    s_expect_error(AGENCY "utc_offset_minutes = -721;\n", 2,
                   "'utc_offset_minutes' must be between -720 and 840");
    /* libconfig 1.5 wraps this to -1294967296 */
    s_expect_error(AGENCY "\nintake = {\n batch_max = 3000000000;\n};\n", 4,
                   "'intake.batch_max' must be between 1 and 100000 (got 3000000000)");
    /* ... and this one to -420, which is in range: it must still be refused */
    s_expect_error(AGENCY "utc_offset_minutes = 4294966876;\n", 2,
                   "'utc_offset_minutes' must be between -720 and 840 (got 4294966876)");
    s_expect_error(AGENCY "utc_offset_minutes = -4294967716;\n", 2, "(got -4294967716)");
    /* hex beyond 31 bits wraps too (0x100000100 reads back as 256) */
    s_expect_error(AGENCY "limits = { url_max_bytes = 0x100000100; };\n", 2,
                   "'limits.url_max_bytes' must be between 256 and 65536 (got 0x100000100)");
    /* with the L suffix the value is right, and still out of range */
    s_expect_error(AGENCY "intake = { batch_max = 3000000000L; };\n", 2,
                   "'intake.batch_max' must be between 1 and 100000 (got 3000000000)");
    s_expect_error(AGENCY "intake = { map_max_mb = 99999999999999999999L; };\n", 2,
                   "'intake.map_max_mb' must be between");
    s_expect_error(AGENCY "intake = { map_size_mb = 128;\n map_max_mb = 64; };\n", 3,
                   "'intake.map_max_mb' (64) must not be below 'intake.map_size_mb' (128)");
    /* a wrapped literal under an unknown key is reported as the unknown key */
    s_expect_error(AGENCY "extra = { big = 3000000000; };\n", 2, "unknown key 'extra'");
}

static void
test_big_literals_elsewhere_are_harmless(void **state)
{
    (void)state;
    /* 32-bit edge values, and big numbers inside strings and comments, load fine. */
    char *dir = acc_test_tmpdir();
    char *path = s_write(dir, "node.cfg",
                         AGENCY "# 3000000000 in a comment\n"
                                "/* 4294966876\n  */ name = \"id 3000000000\"; // 99999999999\n"
                                "intake = { map_max_mb = 0xFFFFFF; batch_max = +5; };\n"
                                "limits = { url_max_bytes = 2147483647L; };\n");
    acc_config_t *cfg = NULL;
    acc_errinfo_t ei;
    assert_int_equal(acc_config_load(path, &cfg, &ei), ACC_ERR_CONFIG);
    assert_non_null(strstr(ei.field, ":6"));
    assert_non_null(strstr(ei.msg, "'limits.url_max_bytes' must be between 256 and 65536 "
                                   "(got 2147483647)"));
    free(path);
    path = s_write(dir, "node.cfg",
                   AGENCY "# 3000000000 in a comment\n"
                          "/* 4294966876\n  */ name = \"id 3000000000\"; // 99999999999\n"
                          "intake = { map_max_mb = 0xFFFFFF; batch_max = +5; };\n"
                          "utc_offset_minutes = -720;\n");
    assert_int_equal(acc_config_load(path, &cfg, &ei), ACC_OK);
    assert_string_equal(cfg->name, "id 3000000000");
    assert_int_equal(cfg->intake.map_max_mb, 0xFFFFFF);
    assert_int_equal(cfg->intake.batch_max, 5);
    assert_int_equal(cfg->utc_offset_minutes, -720);
    acc_config_destroy(&cfg);
    free(path);
    acc_test_rmtree(dir);
}

static void
test_bad_strings(void **state)
{
    (void)state;
    static const char *const agencies[] = {
        "A", "a", "-ab", "ab_c", "Ab", "ab c", "", "abcdefghijabcdefghijabcdefghijabc"};
    for (size_t i = 0; i < sizeof agencies / sizeof agencies[0]; i++) {
        char text[256];
        snprintf(text, sizeof text, "\n\nagency = \"%s\";\n", agencies[i]);
        s_expect_error(text, 3, "'agency' must match");
    }
    s_expect_error("name = \"x\";\n", 0, "missing required key 'agency'");
    static const char *const binds[] = {
        "tcp://127.0.0.1", "tcp://127.0.0.1:0", "tcp://127.0.0.1:70000",
        "udp://x:1",       "tcp://:7400",       "tcp://a b:1",
        "tcp://x:-1",      "tcp://x:1a",        "tcp://[zz]:1",
        "ipc://",          "127.0.0.1:7400",    "tcp://x:123456",
    };
    for (size_t i = 0; i < sizeof binds / sizeof binds[0]; i++) {
        char text[256];
        snprintf(text, sizeof text, AGENCY "reporting = {\n bind = \"%s\"; };\n", binds[i]);
        s_expect_error(text, 3, "'reporting.bind' must be");
    }
    s_expect_error(AGENCY "verification = { bind = \"tcp://127.0.0.1:7400\"; };\n", 2,
                   "'verification.bind' uses the same endpoint as 'intake.bind'");
    s_expect_error(AGENCY "log_level = \"verbose\";\n", 2,
                   "'log_level' must be one of error, warn, info, debug");
    s_expect_error(AGENCY "name = \"bad \\xff byte\";\n", 2, "'name' must be valid UTF-8");
    s_expect_error(AGENCY "name = \"\\xc3\\x28\";\n", 2, "'name' must be valid UTF-8");
    s_expect_error(AGENCY "name = \"tab\\there\";\n", 2, "'name' must not contain control");
    s_expect_error(AGENCY "name = \"\";\n", 2, "'name' must not be empty");
    char longname[400];
    snprintf(longname, sizeof longname, AGENCY "name = \"%0201d\";\n", 0);
    s_expect_error(longname, 2, "'name' must be at most 200 bytes");
    s_expect_error(AGENCY "data_dir = \"\";\n", 2, "'data_dir' must not be empty");
    char longdir[400];
    snprintf(longdir, sizeof longdir, AGENCY "data_dir = \"/%0120d\";\n", 0);
    s_expect_error(longdir, 2, "'data_dir' is too long");
}

static void
test_categories(void **state)
{
    (void)state;
    s_expect_error(AGENCY "categories = (\n"
                          "  { id = \"scam\"; vi = \"A\"; en = \"A\"; },\n"
                          "  { id = \"spam\"; vi = \"B\"; en = \"B\"; },\n"
                          "  { vi = \"C\"; en = \"C\";\n"
                          "    id = \"scam\"; }\n"
                          ");\n",
                   6, "duplicate id 'scam': 'categories[2].id' repeats 'categories[0].id'");
    s_expect_error(AGENCY "categories = ();\n", 2, "'categories' must not be empty");
    s_expect_error(AGENCY "categories = (\n { id = \"Scam\"; vi = \"A\"; en = \"A\"; });\n", 3,
                   "'categories[0].id' must match");
    s_expect_error(AGENCY "categories = (\n { id = \"scam\"; en = \"A\"; });\n", 3,
                   "missing required key 'categories[0].vi'");

    /* 256 entries are fine, 257 are not */
    for (int n = 256; n <= 257; n++) {
        size_t cap = 64 + (size_t)n * 64;
        char *text = malloc(cap);
        assert_non_null(text);
        size_t len = (size_t)snprintf(text, cap, AGENCY "categories = (\n");
        for (int i = 0; i < n; i++)
            len += (size_t)snprintf(text + len, cap - len,
                                    "{ id = \"c%d\"; vi = \"V\"; en = \"E\"; }%s\n", i,
                                    i + 1 < n ? "," : "");
        snprintf(text + len, cap - len, ");\n");
        if (n == 257) {
            s_expect_error(text, 2, "at most 256");
        } else {
            char *dir = acc_test_tmpdir();
            char *path = s_write(dir, "node.cfg", text);
            acc_config_t *cfg = NULL;
            assert_int_equal(acc_config_load(path, &cfg, NULL), ACC_OK);
            assert_int_equal(cfg->n_categories, 256);
            assert_string_equal(cfg->categories[255].id, "c255");
            acc_config_destroy(&cfg);
            free(path);
            acc_test_rmtree(dir);
        }
        free(text);
    }
}

static void
test_http_sources_feed_tags(void **state)
{
    (void)state;
    s_expect_error(AGENCY "http = {\n bind = \"tcp://127.0.0.1:80\"; };\n", 3,
                   "'http.bind' must be");
    s_expect_error(AGENCY "http = { bind = \"127.0.0.1:0\"; };\n", 2, "'http.bind' must be");
    s_expect_error(AGENCY "http = {\n bind = \"127.0.0.1:7400\"; };\n", 3,
                   "'http.bind' uses the same endpoint as 'intake.bind'");
    s_expect_error(AGENCY "http = { body_max_bytes = 268435457; };\n", 2,
                   "'http.body_max_bytes' must be between 1024 and 268435456");
    s_expect_error(AGENCY "http = { citizen_rate_per_minute = 0; };\n", 2,
                   "'http.citizen_rate_per_minute' must be between 1 and 100000");
    s_expect_error(AGENCY "http = {\n tls_cert = \"c.pem\"; tls_key = \"\"; };\n", 3,
                   "'http.tls_cert' needs 'http.tls_key' as well");
    s_expect_error(AGENCY "http = { tls_cert = \"c.pem\";\n tls_key = \"k.pem\"; x = 1; };\n", 3,
                   "unknown key 'http.x'");

    s_expect_error(AGENCY "sources = ( { name = \"Bad\"; } );\n", 2,
                   "'sources[0].name' must match");
    s_expect_error(AGENCY "sources = ( { name = \"a\"; token = \"short\"; } );\n", 2,
                   "'sources[0].token' must be at least 16 characters");
    s_expect_error(AGENCY "sources = ( { name = \"a\"; token = \"0123456789 abcdef\"; } );\n", 2,
                   "'sources[0].token' must be printable ASCII without spaces");
    s_expect_error(AGENCY "sources = ( { name = \"a\"; trust = \"total\"; } );\n", 2,
                   "'sources[0].trust' must be one of high, medium, low");
    s_expect_error(AGENCY "sources = ( { name = \"a\"; confidence = 101; } );\n", 2,
                   "'sources[0].confidence' must be between 0 and 100");
    s_expect_error(AGENCY "sources = ( { token = \"0123456789abcdef\"; } );\n", 2,
                   "missing required key 'sources[0].name'");
    s_expect_error(AGENCY "sources = ( { name = \"a\"; },\n { name = \"a\"; } );\n", 3,
                   "duplicate name 'a'");
    s_expect_error(AGENCY "sources = ( { name = \"a\"; token = \"0123456789abcdef\"; },\n"
                          " { name = \"b\";\n   token = \"0123456789abcdef\"; } );\n",
                   4, "duplicate token: 'sources[1].token' repeats 'sources[0].token'");

    s_expect_error(AGENCY "feed_tags = ( { tag = \"phishing\";\n category = \"nope\"; } );\n", 3,
                   "'feed_tags[0].category' names unknown category 'nope'");
    s_expect_error(AGENCY "feed_tags = ( { tag = \"x\"; category = \"scam\"; },\n"
                          "  { tag = \"X\"; category = \"other\"; } );\n",
                   3, "duplicate tag 'X'");
    s_expect_error(AGENCY "feed_tags = ( { tag = \"\"; category = \"scam\"; } );\n", 2,
                   "'feed_tags[0].tag' must not be empty");
    s_expect_error(AGENCY "feed_tags = [ \"x\" ];\n", 2, "'feed_tags' must be a list");

    /* A token never appears in a message. */
    char *dir = acc_test_tmpdir();
    char *path = s_write(dir, "node.cfg",
                         AGENCY "sources = ( { name = \"a\"; token = \"secret-secret-123\"; },\n"
                                "{ name = \"b\"; token = \"secret-secret-123\"; } );\n");
    acc_errinfo_t ei;
    acc_config_t *cfg = NULL;
    assert_int_equal(acc_config_load(path, &cfg, &ei), ACC_ERR_CONFIG);
    assert_null(strstr(ei.msg, "secret-secret"));
    free(path);
    acc_test_rmtree(dir);
}

static void
test_syntax_error(void **state)
{
    (void)state;
    s_expect_error(AGENCY "intake = {\n batch_max = ;\n};\n", 3, "syntax error");
    s_expect_error(AGENCY "agency = \"again\";\n", 2, "duplicate");
}

static void
test_missing_file(void **state)
{
    (void)state;
    char *dir = acc_test_tmpdir();
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/absent.cfg", dir);
    acc_config_t *cfg = NULL;
    acc_errinfo_t ei;
    assert_int_equal(acc_config_load(path, &cfg, &ei), ACC_ERR_IO);
    assert_null(cfg);
    assert_string_equal(ei.field, path);
    assert_non_null(strstr(ei.msg, "cannot open"));
    assert_int_equal(acc_config_load(dir, &cfg, &ei), ACC_ERR_IO);
    assert_null(cfg);
    assert_int_equal(acc_config_check(path, NULL, NULL), ACC_ERR_IO);
    acc_test_rmtree(dir);
}

/* ---- includes ------------------------------------------------------------------------ */

static void
test_include_relative_to_file(void **state)
{
    (void)state;
    char *dir = acc_test_tmpdir();
    char sub[PATH_MAX];
    snprintf(sub, sizeof sub, "%s/conf", dir);
    assert_int_equal(mkdir(sub, 0700), 0);
    char *inc = s_write(sub, "intake.cfg", "\nbatch_max = 77;\n@include \"limits.cfg\"\n");
    char *lim = s_write(sub, "limits.cfg", "commit_wait_us = 5;\n");
    char *path = s_write(sub, "node.cfg", AGENCY "intake = {\n@include \"intake.cfg\"\n};\n");
    char cwd[PATH_MAX];
    assert_non_null(getcwd(cwd, sizeof cwd));
    assert_int_equal(chdir("/"), 0);

    acc_config_t *cfg = NULL;
    acc_errinfo_t ei;
    acc_err rc = acc_config_load(path, &cfg, &ei);
    if (rc)
        print_error("%s: %s\n", ei.field, ei.msg);
    assert_int_equal(rc, ACC_OK);
    assert_int_equal(cfg->intake.batch_max, 77);
    assert_int_equal(cfg->intake.commit_wait_us, 5);
    acc_config_destroy(&cfg);

    /* An error inside an included file names that file and its line. */
    free(inc);
    inc = s_write(sub, "intake.cfg", "\nbatch_max = 77;\n\nbatch_mux = 1;\n");
    assert_int_equal(acc_config_load(path, &cfg, &ei), ACC_ERR_CONFIG);
    char *real = s_real(sub);
    char want[PATH_MAX + 16];
    snprintf(want, sizeof want, "%s/intake.cfg:4", real);
    assert_string_equal(ei.field, want);
    assert_string_equal(ei.msg, "unknown key 'intake.batch_mux'");

    /* A wrapped integer inside an include is caught too. */
    free(inc);
    inc = s_write(sub, "intake.cfg", "\n\nbatch_max = 4294967297;\n");
    assert_int_equal(acc_config_load(path, &cfg, &ei), ACC_ERR_CONFIG);
    snprintf(want, sizeof want, "%s/intake.cfg:3", real);
    assert_string_equal(ei.field, want);
    assert_non_null(strstr(ei.msg, "(got 4294967297)"));

    /* A syntax error inside an include too. */
    free(inc);
    inc = s_write(sub, "intake.cfg", "\nbatch_max = 1\n x = ;\n");
    assert_int_equal(acc_config_load(path, &cfg, &ei), ACC_ERR_CONFIG);
    snprintf(want, sizeof want, "%s/intake.cfg:3", real);
    assert_string_equal(ei.field, want);

    /* A missing include is a configuration error at the @include line. */
    assert_int_equal(unlink(inc), 0);
    assert_int_equal(acc_config_load(path, &cfg, &ei), ACC_ERR_CONFIG);
    snprintf(want, sizeof want, "%s:3", path);
    assert_string_equal(ei.field, want);

    /* Includes that libconfig 1.5 cannot read would exit or hang the process: an empty
     * name (the directory itself), a directory, a FIFO, a name with escapes. */
    static const char *const bad[] = {"", "sub", "fifo", "a\\\\b", "nul\\x00"};
    char subsub[PATH_MAX + 8], fifo[PATH_MAX + 8];
    snprintf(subsub, sizeof subsub, "%s/sub", sub);
    assert_int_equal(mkdir(subsub, 0700), 0);
    snprintf(fifo, sizeof fifo, "%s/fifo", sub);
    assert_int_equal(mkfifo(fifo, 0600), 0);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char text[256];
        snprintf(text, sizeof text, AGENCY "\n  @include \"%s\"\n", bad[i]);
        free(path);
        path = s_write(sub, "node.cfg", text);
        assert_int_equal(acc_config_load(path, &cfg, &ei), ACC_ERR_CONFIG);
        snprintf(want, sizeof want, "%s:3", path);
        assert_string_equal(ei.field, want);
    }
    /* The config file itself must be a regular file too (a FIFO must not block). */
    assert_int_equal(acc_config_load(fifo, &cfg, &ei), ACC_ERR_IO);
    assert_non_null(strstr(ei.msg, "not a regular file"));

    assert_int_equal(chdir(cwd), 0);
    free(real);
    free(inc);
    free(lim);
    free(path);
    acc_test_rmtree(dir);
}

static void
test_relative_config_path(void **state)
{
    (void)state;
    char *dir = acc_test_tmpdir();
    char *path = s_write(dir, "node.cfg", AGENCY "data_dir = \"../x/./d\";\n");
    char *real = s_real(dir);
    char cwd[PATH_MAX];
    assert_non_null(getcwd(cwd, sizeof cwd));
    assert_int_equal(chdir(dir), 0);
    acc_config_t *cfg = NULL;
    assert_int_equal(acc_config_load("node.cfg", &cfg, NULL), ACC_OK);
    assert_string_equal(cfg->path, "node.cfg");
    assert_string_equal(cfg->dir, real);
    char want[PATH_MAX];
    snprintf(want, sizeof want, "%s", real);
    *strrchr(want, '/') = '\0';
    strncat(want, "/x/d", sizeof want - strlen(want) - 1);
    assert_string_equal(cfg->data_dir, want);
    acc_config_destroy(&cfg);
    acc_errinfo_t ei;
    free(path);
    path = s_write(dir, "node.cfg", AGENCY "bogus = 1;\n");
    assert_int_equal(acc_config_load("node.cfg", &cfg, &ei), ACC_ERR_CONFIG);
    assert_string_equal(ei.field, "node.cfg:2");
    assert_int_equal(chdir(cwd), 0);
    free(real);
    free(path);
    acc_test_rmtree(dir);
}

/* ---- check ------------------------------------------------------------------------- */

typedef struct {
    int n;
    char where[8][PATH_MAX + 16];
    char msg[8][512];
} s_reports_t;

static void
s_collect(void *arg, const char *where, const char *msg)
{
    s_reports_t *r = arg;
    if (r->n < 8) {
        snprintf(r->where[r->n], sizeof r->where[0], "%s", where);
        snprintf(r->msg[r->n], sizeof r->msg[0], "%s", msg);
    }
    r->n++;
}

static void
test_check_reports_all(void **state)
{
    (void)state;
    char *dir = acc_test_tmpdir();
    char *path = s_write(dir, "node.cfg",
                         "agency = \"Bad\";\n"
                         "colour = \"blue\";\n"
                         "intake = { batch_max = 3000000000;\n"
                         "  bind = \"tcp://x\"; };\n");
    s_reports_t r;
    memset(&r, 0, sizeof r);
    assert_int_equal(acc_config_check(path, s_collect, &r), ACC_ERR_CONFIG);
    assert_int_equal(r.n, 4);
    char want[PATH_MAX + 16];
    for (int i = 0; i < 4; i++) {
        static const int lines[] = {1, 2, 3, 4};
        snprintf(want, sizeof want, "%s:%d", path, lines[i]);
        assert_string_equal(r.where[i], want);
    }
    assert_non_null(strstr(r.msg[0], "'agency' must match"));
    assert_string_equal(r.msg[1], "unknown key 'colour'");
    assert_non_null(strstr(r.msg[2], "'intake.batch_max' must be between 1 and 100000"));
    assert_non_null(strstr(r.msg[3], "'intake.bind' must be"));

    /* A syntax error is one problem. */
    free(path);
    path = s_write(dir, "node.cfg", AGENCY "x = = 1;\ny = ;\n");
    memset(&r, 0, sizeof r);
    assert_int_equal(acc_config_check(path, s_collect, &r), ACC_ERR_CONFIG);
    assert_int_equal(r.n, 1);
    snprintf(want, sizeof want, "%s:2", path);
    assert_string_equal(r.where[0], want);

    /* A good file: no report. */
    free(path);
    path = s_write(dir, "node.cfg", AGENCY);
    memset(&r, 0, sizeof r);
    assert_int_equal(acc_config_check(path, s_collect, &r), ACC_OK);
    assert_int_equal(r.n, 0);
    assert_int_equal(acc_config_check(path, NULL, NULL), ACC_OK);
    free(path);
    acc_test_rmtree(dir);
}

/* ---- render ------------------------------------------------------------------------- */

static void
test_render_round_trip(void **state)
{
    (void)state;
    static const struct {
        int port_base;
        int want;
    } cases[] = {{0, 7400}, {1024, 1024}, {65521, 65521}, {7500, 7500}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *text = NULL;
        acc_errinfo_t ei;
        const char *name = "Sở TT&TT \"Hà Nội\" \\ test";
        assert_int_equal(acc_config_render("stttt-hn", name, cases[i].port_base, &text, &ei),
                         ACC_OK);
        assert_non_null(text);
        assert_non_null(strstr(text, "# "));
        assert_non_null(strstr(text, "Lừa đảo, gian lận"));

        char *dir = acc_test_tmpdir();
        char *path = s_write(dir, "node.cfg", text);
        char *real = s_real(dir);
        acc_config_t *cfg = NULL;
        acc_err rc = acc_config_load(path, &cfg, &ei);
        if (rc)
            print_error("%s: %s\n%s\n", ei.field, ei.msg, text);
        assert_int_equal(rc, ACC_OK);
        assert_string_equal(cfg->agency, "stttt-hn");
        assert_string_equal(cfg->name, name);
        char want[PATH_MAX];
        snprintf(want, sizeof want, "%s/data", real);
        assert_string_equal(cfg->data_dir, want);
        snprintf(want, sizeof want, "%s/keys", real);
        assert_string_equal(cfg->keys_dir, want);
        const char *binds[] = {cfg->intake.bind, cfg->verification.bind, cfg->assignment.bind,
                               cfg->notification.bind, cfg->reporting.bind};
        for (int k = 0; k < 5; k++) {
            snprintf(want, sizeof want, "tcp://127.0.0.1:%d", cases[i].want + k);
            assert_string_equal(binds[k], want);
        }
        const char *streams[] = {cfg->intake_stream_bind, cfg->verification.stream_bind,
                                 cfg->assignment.stream_bind, cfg->notification.stream_bind,
                                 cfg->reporting.stream_bind};
        for (int k = 0; k < 5; k++) {
            snprintf(want, sizeof want, "tcp://127.0.0.1:%d", cases[i].want + 10 + k);
            assert_string_equal(streams[k], want);
        }
        snprintf(want, sizeof want, "127.0.0.1:%d", cases[i].want + 8);
        assert_string_equal(cfg->http.bind, want);
        assert_int_equal(cfg->auto_verify.enabled, 0);
        assert_int_equal(cfg->auto_verify.min_confidence, 90);
        snprintf(want, sizeof want, "%s/data/spool", real);
        assert_string_equal(cfg->notify.spool_dir, want);
        assert_int_equal(cfg->notify.retry_min_ms, 200);
        assert_int_equal(cfg->notify.retry_max_ms, 30000);
        assert_int_equal(cfg->n_peers, 0);
        assert_null(cfg->http.tls_cert);
        assert_int_equal(cfg->http.body_max_bytes, 4 << 20);
        assert_int_equal(cfg->http.citizen_rate_per_minute, 10);
        assert_int_equal(cfg->n_sources, 0);
        assert_int_equal(cfg->n_feed_tags, 0);
        assert_int_equal(cfg->log_level, 2);
        assert_int_equal(cfg->utc_offset_minutes, 420);
        assert_int_equal(cfg->limits.message_max_bytes, 1048576);
        assert_int_equal(cfg->limits.url_max_bytes, 8192);
        assert_int_equal(cfg->limits.text_max_bytes, 32768);
        assert_int_equal(cfg->intake.batch_max, 1000);
        assert_int_equal(cfg->intake.commit_wait_us, 1000);
        assert_int_equal(cfg->intake.map_size_mb, 64);
        assert_int_equal(cfg->intake.map_max_mb, 1048576);

        /* the written taxonomy equals the built-in one */
        snprintf(want, sizeof want, "%s/min.cfg", dir);
        char *min = s_write(dir, "min.cfg", AGENCY);
        acc_config_t *def = NULL;
        assert_int_equal(acc_config_load(min, &def, NULL), ACC_OK);
        assert_int_equal(cfg->n_categories, def->n_categories);
        for (size_t k = 0; k < def->n_categories; k++) {
            assert_string_equal(cfg->categories[k].id, def->categories[k].id);
            assert_string_equal(cfg->categories[k].name_vi, def->categories[k].name_vi);
            assert_string_equal(cfg->categories[k].name_en, def->categories[k].name_en);
        }
        acc_config_destroy(&def);
        acc_config_destroy(&cfg);
        free(min);
        free(real);
        free(path);
        free(text);
        acc_test_rmtree(dir);
    }

    /* The commented-out examples of sources and feed_tags are valid once uncommented. */
    {
        char *t = NULL;
        assert_int_equal(acc_config_render("ab", NULL, 0, &t, NULL), ACC_OK);
        char *src = strstr(t, "# sources = (");
        char *tags = strstr(t, "# feed_tags = (");
        assert_non_null(src);
        assert_non_null(tags);
        /* uncomment each example: "# " at the start of its lines, up to "# );" */
        char *marks[] = {src, tags};
        for (int m = 0; m < 2; m++) {
            char *line = marks[m];
            for (;;) {
                assert_true(line[0] == '#' && line[1] == ' ');
                line[0] = ' ';
                bool last = strncmp(line + 2, ");", 2) == 0;
                line = strchr(line, '\n');
                assert_non_null(line);
                line++;
                if (last)
                    break;
            }
        }
        char *dir = acc_test_tmpdir();
        char *path = s_write(dir, "node.cfg", t);
        acc_config_t *cfg = NULL;
        acc_errinfo_t ei;
        /* the example token is refused until it is replaced */
        assert_int_equal(acc_config_load(path, &cfg, &ei), ACC_ERR_CONFIG);
        assert_non_null(strstr(ei.msg, "'sources[0].token' is the example"));
        char *tok = strstr(t, "replace-with-a-long-random-secret");
        assert_non_null(tok);
        memcpy(tok, "0123456789", 10);
        free(path);
        path = s_write(dir, "node.cfg", t);
        acc_err rc = acc_config_load(path, &cfg, &ei);
        if (rc)
            print_error("%s: %s\n%s\n", ei.field, ei.msg, t);
        assert_int_equal(rc, ACC_OK);
        assert_int_equal(cfg->n_sources, 1);
        assert_non_null(acc_config_source(cfg, "vncert"));
        assert_int_equal(cfg->n_feed_tags, 2);
        acc_config_destroy(&cfg);
        free(path);
        acc_test_rmtree(dir);
        free(t);
    }

    /* name defaults to the agency */
    char *text = NULL;
    assert_int_equal(acc_config_render("ab", NULL, 0, &text, NULL), ACC_OK);
    assert_non_null(strstr(text, "name = \"ab\";"));
    free(text);
}

static void
test_render_rejects(void **state)
{
    (void)state;
    char *text = (char *)"untouched";
    acc_errinfo_t ei;
    assert_int_equal(acc_config_render("Bad", "x", 0, &text, &ei), ACC_ERR_INVALID);
    assert_string_equal(ei.field, "agency");
    assert_int_equal(acc_config_render(NULL, "x", 0, &text, &ei), ACC_ERR_INVALID);
    assert_int_equal(acc_config_render("ab", "x", 1023, &text, &ei), ACC_ERR_INVALID);
    assert_string_equal(ei.field, "port_base");
    assert_int_equal(acc_config_render("ab", "x", 65522, &text, &ei), ACC_ERR_INVALID);
    assert_string_equal(ei.field, "port_base");
    assert_non_null(strstr(ei.msg, "between 1024 and 65521"));
    assert_int_equal(acc_config_render("ab", "x", -1, &text, &ei), ACC_ERR_INVALID);
    assert_int_equal(acc_config_render("ab", "bad\xff", 0, &text, &ei), ACC_ERR_INVALID);
    assert_string_equal(ei.field, "name");
    assert_string_equal(text, "untouched");
}

/* ---- render: the commented examples ------------------------------------------------ */

static void
test_render_examples(void **state)
{
    (void)state;
    char *t = NULL;
    assert_int_equal(acc_config_render("stttt-hn", NULL, 0, &t, NULL), ACC_OK);
    assert_non_null(strstr(t, "stream_bind = \"tcp://127.0.0.1:7414\";"));
    assert_non_null(strstr(t, "retry_min_ms = 200;"));
    assert_non_null(strstr(t, "retry_max_ms = 30000;"));
    assert_non_null(strstr(t, "peers.cfg"));
    /* never an @include of peers.cfg: libconfig fails while the file does not exist */
    assert_null(strstr(t, "@include \"peers.cfg\""));
    char *marks[] = {strstr(t, "# auto = {"), strstr(t, "# spool_dir = "),
                     strstr(t, "# peers = (")};
    const char *ends[] = {"};", "spool_dir", ");"};
    for (int m = 0; m < 3; m++) {
        assert_non_null(marks[m]);
        s_uncomment(marks[m], ends[m]);
    }
    char *dir = acc_test_tmpdir();
    char *path = s_write(dir, "node.cfg", t);
    acc_config_t *cfg = NULL;
    acc_errinfo_t ei;
    /* the example texts of the legal basis and the reasons are refused as they are */
    assert_int_equal(acc_config_load(path, &cfg, &ei), ACC_ERR_CONFIG);
    assert_non_null(strstr(ei.msg, "'verification.auto.legal_basis' is the example"));
    char *p = strstr(t, "replace with the legal basis");
    assert_non_null(p);
    *p = 'R';
    p = strstr(t, "replace with the reasons");
    assert_non_null(p);
    *p = 'R';
    free(path);
    path = s_write(dir, "node.cfg", t);
    /* the example key is a placeholder */
    assert_int_equal(acc_config_load(path, &cfg, &ei), ACC_ERR_CONFIG);
    assert_non_null(strstr(ei.msg, "'peers[0].public_key' must be a CURVE public key"));
    char key[41];
    s_key(key);
    char *t2 = s_replace(t, "<40 characters>", key);
    free(path);
    path = s_write(dir, "node.cfg", t2);
    acc_err rc = acc_config_load(path, &cfg, &ei);
    if (rc)
        print_error("%s: %s\n%s\n", ei.field, ei.msg, t2);
    assert_int_equal(rc, ACC_OK);
    assert_int_equal(cfg->auto_verify.enabled, 1);
    assert_int_equal(cfg->auto_verify.n_sources, 1);
    assert_string_equal(cfg->auto_verify.sources[0], "vncert");
    assert_int_equal(cfg->auto_verify.min_confidence, 90);
    assert_string_equal(cfg->auto_verify.legal_basis,
                        "Replace with the legal basis (căn cứ pháp lý)");
    char *real = s_real(dir);
    char want[PATH_MAX];
    snprintf(want, sizeof want, "%s/data/spool", real);
    assert_string_equal(cfg->notify.spool_dir, want);
    assert_int_equal(cfg->n_peers, 1);
    assert_string_equal(cfg->peers[0].agency, "ca-hn");
    assert_int_equal(cfg->peers[0].role, ACC_ROLE_COORDINATING);
    assert_string_equal(cfg->peers[0].public_key, key);
    assert_string_equal(cfg->peers[0].name, "Công an Hà Nội");
    assert_int_equal(cfg->peers_inline, 1);
    acc_config_destroy(&cfg);
    free(real);
    free(t2);
    free(path);
    free(t);
    acc_test_rmtree(dir);
}

/* ---- stream endpoints ---------------------------------------------------------------- */

static void
test_stream_binds(void **state)
{
    (void)state;
    char *dir = acc_test_tmpdir();
    char *path = s_write(dir, "node.cfg",
                         AGENCY "intake = { stream_bind = \"\"; };\n"
                                "verification = { stream_bind = \"tcp://*:9411\"; };\n"
                                "assignment = { stream_bind = \"ipc:///run/accord/assign\"; };\n"
                                "notification = { bind = \"tcp://127.0.0.1:9000\";\n"
                                "  stream_bind = \"tcp://127.0.0.1:9001\"; };\n"
                                "reporting = { stream_bind = \"tcp://[::1]:9414\"; };\n");
    acc_config_t *cfg = NULL;
    acc_errinfo_t ei;
    acc_err rc = acc_config_load(path, &cfg, &ei);
    if (rc)
        print_error("%s: %s\n", ei.field, ei.msg);
    assert_int_equal(rc, ACC_OK);
    assert_string_equal(cfg->intake_stream_bind, "");
    assert_string_equal(cfg->verification.stream_bind, "tcp://*:9411");
    assert_string_equal(cfg->assignment.stream_bind, "ipc:///run/accord/assign");
    assert_string_equal(cfg->notification.bind, "tcp://127.0.0.1:9000");
    assert_string_equal(cfg->notification.stream_bind, "tcp://127.0.0.1:9001");
    assert_string_equal(cfg->reporting.stream_bind, "tcp://[::1]:9414");
    /* the other binds keep their defaults */
    assert_string_equal(cfg->intake.bind, "tcp://127.0.0.1:7400");
    assert_string_equal(cfg->verification.bind, "tcp://127.0.0.1:7401");
    acc_config_destroy(&cfg);
    free(path);
    acc_test_rmtree(dir);

    static const char *const bad[] = {"tcp://127.0.0.1", "tcp://127.0.0.1:0", "udp://x:1",
                                      "ipc://",          "127.0.0.1:7410",    "tcp://x:70000"};
    static const char *const svc[] = {"intake", "verification", "assignment", "notification",
                                      "reporting"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        for (size_t k = 0; k < 5; k++) {
            char text[256], needle[64];
            snprintf(text, sizeof text, AGENCY "%s = {\n\n stream_bind = \"%s\"; };\n", svc[k],
                     bad[i]);
            snprintf(needle, sizeof needle, "'%s.stream_bind' must be", svc[k]);
            s_expect_error(text, 4, needle);
        }
    }
    s_expect_error(AGENCY "intake = { stream_bind = 5; };\n", 2,
                   "'intake.stream_bind' must be a string");
    /* stream_connect: where the others connect (containers), a concrete host */
    s_expect_error(AGENCY "assignment = {\n stream_connect = \"tcp://*:7412\"; };\n", 3,
                   "'assignment.stream_connect' must be \"tcp://HOST:PORT\"");
    s_expect_error(AGENCY "intake = {\n stream_connect = \"ipc:///x\"; };\n", 3,
                   "'intake.stream_connect' must be");
    /* every listener distinct: stream against stream, stream against bind and http */
    s_expect_error(AGENCY "verification = {\n stream_bind = \"tcp://127.0.0.1:7410\"; };\n", 3,
                   "'verification.stream_bind' uses the same endpoint as 'intake.stream_bind'");
    s_expect_error(AGENCY "reporting = {\n stream_bind = \"tcp://127.0.0.1:7401\"; };\n", 3,
                   "'reporting.stream_bind' uses the same endpoint as 'verification.bind'");
    s_expect_error(AGENCY "\nreporting = { bind = \"tcp://127.0.0.1:7412\"; };\n", 3,
                   "'reporting.bind' uses the same endpoint as 'assignment.stream_bind'");
    s_expect_error(AGENCY "http = {\n bind = \"127.0.0.1:7414\"; };\n", 3,
                   "'http.bind' uses the same endpoint as 'reporting.stream_bind'");
    /* "" is "none", never a clash */
    dir = acc_test_tmpdir();
    path = s_write(dir, "node.cfg",
                   AGENCY "intake = { stream_bind = \"\"; };\n"
                          "reporting = { stream_bind = \"\"; bind = \"\"; };\n");
    assert_int_equal(acc_config_load(path, &cfg, NULL), ACC_OK);
    assert_string_equal(cfg->reporting.stream_bind, "");
    acc_config_destroy(&cfg);
    free(path);
    acc_test_rmtree(dir);
}

/* ---- verification.auto --------------------------------------------------------------- */

static void
test_auto_verify(void **state)
{
    (void)state;
    char *dir = acc_test_tmpdir();
    char *path = s_write(dir, "node.cfg",
                         AGENCY "sources = ( { name = \"vncert\"; } );\n"
                                "verification = { auto = {\n"
                                "  enabled = true;\n"
                                "  sources = [ \"vncert\", \"isp.viettel:feed-1\" ];\n"
                                "  min_confidence = 0;\n"
                                "  legal_basis = \"Điều 1\\nkhoản 2\\tđiểm a\";\n"
                                "  reasons = \"Nguồn tin cậy \\\"cao\\\"\"; }; };\n");
    acc_config_t *cfg = NULL;
    acc_errinfo_t ei;
    acc_err rc = acc_config_load(path, &cfg, &ei);
    if (rc)
        print_error("%s: %s\n", ei.field, ei.msg);
    assert_int_equal(rc, ACC_OK);
    assert_int_equal(cfg->auto_verify.enabled, 1);
    assert_int_equal(cfg->auto_verify.n_sources, 2);
    assert_string_equal(cfg->auto_verify.sources[0], "vncert");
    assert_string_equal(cfg->auto_verify.sources[1], "isp.viettel:feed-1");
    assert_int_equal(cfg->auto_verify.min_confidence, 0);
    assert_string_equal(cfg->auto_verify.legal_basis, "Điều 1\nkhoản 2\tđiểm a");
    assert_string_equal(cfg->auto_verify.reasons, "Nguồn tin cậy \"cao\"");
    acc_config_destroy(&cfg);

    /* disabled: nothing is required, and the settings are still read and checked */
    free(path);
    path = s_write(dir, "node.cfg",
                   AGENCY "verification = { auto = { enabled = false; sources = [];\n"
                          "  min_confidence = 100; legal_basis = \"\"; }; };\n");
    assert_int_equal(acc_config_load(path, &cfg, &ei), ACC_OK);
    assert_int_equal(cfg->auto_verify.enabled, 0);
    assert_int_equal(cfg->auto_verify.n_sources, 0);
    assert_int_equal(cfg->auto_verify.min_confidence, 100);
    assert_null(cfg->auto_verify.legal_basis);
    acc_config_destroy(&cfg);
    free(path);
    acc_test_rmtree(dir);

#define AUTO_OK "legal_basis = \"L\"; reasons = \"R\"; sources = [ \"a\" ];"
    s_expect_error(AGENCY "verification = { auto = {\n enabled = 1; }; };\n", 3,
                   "'verification.auto.enabled' must be true or false");
    s_expect_error(AGENCY "verification = { auto = {\n enabled = \"yes\"; }; };\n", 3,
                   "'verification.auto.enabled' must be true or false");
    s_expect_error(AGENCY "verification = { auto = {\n sources = \"a\"; }; };\n", 3,
                   "'verification.auto.sources' must be an array of strings");
    s_expect_error(AGENCY "verification = { auto = { sources = [\n \"a\",\n \"Bad\" ]; }; };\n", 4,
                   "'verification.auto.sources[1]' must match [a-z0-9][a-z0-9._:-]{0,63}");
    s_expect_error(AGENCY "verification = { auto = { sources = [ 1 ]; }; };\n", 2,
                   "'verification.auto.sources[0]' must be a string");
    s_expect_error(AGENCY "verification = { auto = { sources = ( \"a\",\n \"a\" ); }; };\n", 3,
                   "duplicate 'a' in 'verification.auto.sources'");
    s_expect_error(AGENCY "verification = { auto = {\n min_confidence = 101; }; };\n", 3,
                   "'verification.auto.min_confidence' must be between 0 and 100 (got 101)");
    s_expect_error(AGENCY "verification = { auto = {\n min_confidence = -1; }; };\n", 3,
                   "'verification.auto.min_confidence' must be between 0 and 100");
    s_expect_error(AGENCY "verification = { auto = {\n min_confidence = 4294967386; }; };\n", 3,
                   "'verification.auto.min_confidence' must be between 0 and 100 "
                   "(got 4294967386)");
    s_expect_error(AGENCY "verification = { auto = {\n colour = 1; }; };\n", 3,
                   "unknown key 'verification.auto.colour'");
    s_expect_error(AGENCY "verification = { auto = 5; };\n", 2,
                   "'verification.auto' must be a group");
    s_expect_error(AGENCY "verification = { auto = {\n reasons = \"bad \\xff\"; }; };\n", 3,
                   "'verification.auto.reasons' must be valid UTF-8");
    s_expect_error(AGENCY "verification = { auto = {\n reasons = \"bell \\x07\"; }; };\n", 3,
                   "'verification.auto.reasons' must not contain control characters");
    /* 2000 bytes are fine, 2001 are not */
    for (int n = 2000; n <= 2001; n++) {
        size_t cap = (size_t)n + 256;
        char *text = malloc(cap);
        assert_non_null(text);
        int w = snprintf(text, cap, AGENCY "verification = { auto = {\n legal_basis = \"");
        memset(text + w, 'x', (size_t)n);
        snprintf(text + w + n, cap - (size_t)(w + n), "\"; }; };\n");
        if (n == 2001) {
            s_expect_error(text, 3, "'verification.auto.legal_basis' must be at most 2000 bytes");
        } else {
            dir = acc_test_tmpdir();
            path = s_write(dir, "node.cfg", text);
            assert_int_equal(acc_config_load(path, &cfg, NULL), ACC_OK);
            assert_int_equal(strlen(cfg->auto_verify.legal_basis), 2000);
            acc_config_destroy(&cfg);
            free(path);
            acc_test_rmtree(dir);
        }
        free(text);
    }
    /* enabled: legal basis, reasons and sources are required; the error is at the key
     * when it is there (empty), else at 'enabled' */
    s_expect_error(AGENCY "verification = { auto = {\n enabled = true;\n"
                          " reasons = \"R\"; sources = [ \"a\" ]; }; };\n",
                   3, "'verification.auto.legal_basis' is required and must not be empty");
    s_expect_error(AGENCY "verification = { auto = { enabled = true; sources = [ \"a\" ];\n"
                          " reasons = \"R\";\n legal_basis = \"\"; }; };\n",
                   4, "'verification.auto.legal_basis' is required and must not be empty");
    s_expect_error(AGENCY "verification = { auto = {\n enabled = true;\n"
                          " legal_basis = \"L\"; sources = [ \"a\" ]; }; };\n",
                   3, "'verification.auto.reasons' is required");
    s_expect_error(AGENCY "verification = { auto = { enabled = true;\n"
                          " legal_basis = \"L\"; reasons = \"R\";\n sources = [ ]; }; };\n",
                   4, "'verification.auto.sources' must name at least one source");
    s_expect_error(AGENCY "verification = { auto = {\n enabled = true;\n"
                          " legal_basis = \"L\"; reasons = \"R\"; }; };\n",
                   3, "'verification.auto.sources' must name at least one source");
    /* a legal basis of the wrong type is reported once, as such */
    dir = acc_test_tmpdir();
    path = s_write(dir, "node.cfg",
                   AGENCY "verification = { auto = { enabled = true; reasons = \"R\";\n"
                          "  sources = [ \"a\" ]; legal_basis = 5; }; };\n");
    s_reports_t r;
    memset(&r, 0, sizeof r);
    assert_int_equal(acc_config_check(path, s_collect, &r), ACC_ERR_CONFIG);
    assert_int_equal(r.n, 1);
    assert_string_equal(r.msg[0], "'verification.auto.legal_basis' must be a string");
    free(path);
    path = s_write(dir, "node.cfg",
                   AGENCY "verification = { auto = { enabled = true; " AUTO_OK " }; };\n");
    assert_int_equal(acc_config_load(path, &cfg, NULL), ACC_OK);
    acc_config_destroy(&cfg);
    free(path);
    acc_test_rmtree(dir);
#undef AUTO_OK
}

/* ---- notification -------------------------------------------------------------------- */

static void
test_notification(void **state)
{
    (void)state;
    char *dir = acc_test_tmpdir();
    char *path = s_write(dir, "node.cfg",
                         AGENCY "data_dir = \"/var/lib/accord\";\n"
                                "notification = { spool_dir = \"out/./spool/\";\n"
                                "  retry_min_ms = 10; retry_max_ms = 86400000; };\n");
    char *real = s_real(dir);
    acc_config_t *cfg = NULL;
    acc_errinfo_t ei;
    acc_err rc = acc_config_load(path, &cfg, &ei);
    if (rc)
        print_error("%s: %s\n", ei.field, ei.msg);
    assert_int_equal(rc, ACC_OK);
    char want[PATH_MAX];
    snprintf(want, sizeof want, "%s/out/spool", real);
    assert_string_equal(cfg->notify.spool_dir, want);
    assert_int_equal(cfg->notify.retry_min_ms, 10);
    assert_int_equal(cfg->notify.retry_max_ms, 86400000);
    acc_config_destroy(&cfg);

    /* the default follows data_dir; equal retry bounds are fine */
    free(path);
    path = s_write(dir, "node.cfg",
                   AGENCY "data_dir = \"/var/lib/accord\";\n"
                          "notification = { retry_min_ms = 600000; retry_max_ms = 600000; };\n");
    assert_int_equal(acc_config_load(path, &cfg, &ei), ACC_OK);
    assert_string_equal(cfg->notify.spool_dir, "/var/lib/accord/spool");
    assert_int_equal(cfg->notify.retry_min_ms, 600000);
    assert_int_equal(cfg->notify.retry_max_ms, 600000);
    acc_config_destroy(&cfg);
    free(real);
    free(path);
    acc_test_rmtree(dir);

    s_expect_error(AGENCY "notification = {\n retry_min_ms = 9; };\n", 3,
                   "'notification.retry_min_ms' must be between 10 and 600000 (got 9)");
    s_expect_error(AGENCY "notification = {\n retry_min_ms = 600001; };\n", 3,
                   "'notification.retry_min_ms' must be between 10 and 600000");
    s_expect_error(AGENCY "notification = {\n retry_max_ms = 86400001; };\n", 3,
                   "'notification.retry_max_ms' must be between 10 and 86400000");
    s_expect_error(AGENCY "notification = { retry_min_ms = 500;\n retry_max_ms = 499; };\n", 3,
                   "'notification.retry_max_ms' (499) must not be below "
                   "'notification.retry_min_ms' (500)");
    /* against the defaults too (200 .. 30000) */
    s_expect_error(AGENCY "notification = {\n retry_min_ms = 40000; };\n", 3,
                   "'notification.retry_max_ms' (30000) must not be below");
    s_expect_error(AGENCY "notification = {\n spool_dir = \"\"; };\n", 3,
                   "'notification.spool_dir' must not be empty");
    s_expect_error(AGENCY "notification = {\n spool_dir = 1; };\n", 3,
                   "'notification.spool_dir' must be a string");
    s_expect_error(AGENCY "notification = {\n retry = 1; };\n", 3,
                   "unknown key 'notification.retry'");
}

/* ---- peers --------------------------------------------------------------------------- */

static char s_k1[41], s_k2[41], s_k3[41];

static int
s_peer_keys_setup(void **state)
{
    (void)state;
    s_key(s_k1);
    s_key(s_k2);
    s_key(s_k3);
    return 0;
}

/* "{ agency = ...; role = ...; endpoint = ...; public_key = KEY; }" */
static const char *
s_peer(char *buf, size_t size, const char *agency, const char *role, const char *key)
{
    snprintf(buf, size,
             "{ agency = \"%s\"; role = \"%s\"; endpoint = \"tcp://10.0.0.5:7400\";\n"
             "  public_key = \"%s\"; }",
             agency, role, key);
    return buf;
}

static void
test_roles(void **state)
{
    (void)state;
    assert_string_equal(acc_role_name(ACC_ROLE_LEAD), "lead");
    assert_string_equal(acc_role_name(ACC_ROLE_COORDINATING), "coordinating");
    assert_string_equal(acc_role_name(ACC_ROLE_PARENT), "parent");
    assert_string_equal(acc_role_name(ACC_ROLE_CHILD), "child");
    assert_string_equal(acc_role_name((acc_role)0), "unknown");
    assert_string_equal(acc_role_name((acc_role)5), "unknown");
    for (int r = ACC_ROLE_LEAD; r <= ACC_ROLE_CHILD; r++)
        assert_int_equal(acc_role_parse(acc_role_name((acc_role)r)), r);
    assert_int_equal(acc_role_parse("Lead"), 0);
    assert_int_equal(acc_role_parse("leader"), 0);
    assert_int_equal(acc_role_parse(""), 0);
    assert_int_equal(acc_role_parse(NULL), 0);
}

static void
test_peers_inline(void **state)
{
    (void)state;
    char text[4096];
    snprintf(
        text, sizeof text,
        AGENCY
        "peers = (\n"
        "  { agency = \"ca-hn\"; role = \"lead\"; endpoint = \"tcp://10.0.0.5:7400\";\n"
        "    public_key = \"%s\"; name = \"Công an \\\"Hà Nội\\\"\"; },\n"
        "  { agency = \"bo-tttt\"; role = \"parent\"; endpoint = \"tcp://[fd00::1]:7400\";\n"
        "    public_key = \"%s\"; },\n"
        "  { agency = \"stttt-hp\"; role = \"child\"; endpoint = \"tcp://node.hp.gov.vn:7400\";\n"
        "    public_key = \"%s\"; name = \"\"; }\n"
        ");\n",
        s_k1, s_k2, s_k3);
    char *dir = acc_test_tmpdir();
    char *path = s_write(dir, "node.cfg", text);
    acc_config_t *cfg = NULL;
    acc_errinfo_t ei;
    acc_err rc = acc_config_load(path, &cfg, &ei);
    if (rc)
        print_error("%s: %s\n", ei.field, ei.msg);
    assert_int_equal(rc, ACC_OK);
    assert_int_equal(cfg->n_peers, 3);
    assert_int_equal(cfg->peers_inline, 1);
    assert_string_equal(cfg->peers[0].agency, "ca-hn");
    assert_int_equal(cfg->peers[0].role, ACC_ROLE_LEAD);
    assert_string_equal(cfg->peers[0].endpoint, "tcp://10.0.0.5:7400");
    assert_string_equal(cfg->peers[0].public_key, s_k1);
    assert_string_equal(cfg->peers[0].name, "Công an \"Hà Nội\"");
    assert_int_equal(cfg->peers[1].role, ACC_ROLE_PARENT);
    assert_null(cfg->peers[1].name);
    assert_null(cfg->peers[2].name); /* "" = none */
    assert_int_equal(cfg->peers[2].role, ACC_ROLE_CHILD);
    assert_ptr_equal(acc_config_peer(cfg, "bo-tttt"), &cfg->peers[1]);
    assert_null(acc_config_peer(cfg, "stttt-hn"));
    assert_null(acc_config_peer(cfg, NULL));
    assert_ptr_equal(acc_config_lead(cfg), &cfg->peers[0]);
    /* peers set in node.cfg are not accordctl's to rewrite */
    assert_int_equal(acc_config_peers_write(cfg, cfg->peers, 1, &ei), ACC_ERR_INVALID);
    assert_string_equal(ei.field, "peers");
    assert_non_null(strstr(ei.msg, "node.cfg"));
    char ppath[PATH_MAX];
    snprintf(ppath, sizeof ppath, "%s/peers.cfg", dir);
    assert_int_equal(access(ppath, F_OK), -1);
    acc_config_destroy(&cfg);
    free(path);

    /* no lead: we are a lead */
    char p1[512], p2[512], p3[512];
    snprintf(text, sizeof text, AGENCY "peers = ( %s );\n",
             s_peer(p1, sizeof p1, "ca-hn", "coordinating", s_k1));
    path = s_write(dir, "node.cfg", text);
    assert_int_equal(acc_config_load(path, &cfg, &ei), ACC_OK);
    assert_null(acc_config_lead(cfg));
    acc_config_destroy(&cfg);
    free(path);
    acc_test_rmtree(dir);

    /* field by field, each with its line */
    static const struct {
        const char *field, *value, *needle;
    } bad[] = {
        {"agency", "CA", "'peers[0].agency' must match"},
        {"agency", "stttt-hn", "'peers[0].agency': 'stttt-hn' is this node's own agency"},
        {"role", "boss", "'peers[0].role' must be one of lead, coordinating, parent, child"},
        {"role", "Lead", "'peers[0].role' must be one of"},
        {"endpoint", "udp://10.0.0.5:7400", "'peers[0].endpoint' must be \"tcp://HOST:PORT\""},
        {"endpoint", "tcp://10.0.0.5", "'peers[0].endpoint' must be"},
        {"endpoint", "tcp://*:7400", "'peers[0].endpoint' must name the peer's host"},
        {"endpoint", "ipc:///tmp/x", "'peers[0].endpoint' must be"},
        {"public_key", "short", "'peers[0].public_key' must be a CURVE public key"},
        {"public_key", "\\\"0123456789012345678901234567890123456789",
         "'peers[0].public_key' must be a CURVE public key"},
        {"name", "bad \\xff", "'peers[0].name' must be valid UTF-8"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        const char *f[] = {"agency", "role", "endpoint", "public_key"};
        const char *v[] = {"ca-hn", "lead", "tcp://10.0.0.5:7400", s_k1};
        size_t len = (size_t)snprintf(text, sizeof text, AGENCY "peers = ( {\n");
        for (int k = 0; k < 4; k++)
            if (strcmp(f[k], bad[i].field) != 0)
                len += (size_t)snprintf(text + len, sizeof text - len, " %s = \"%s\";", f[k], v[k]);
        snprintf(text + len, sizeof text - len, "\n %s = \"%s\"; } );\n", bad[i].field,
                 bad[i].value);
        s_expect_error(text, 4, bad[i].needle);
    }
    char longname[512];
    snprintf(longname, sizeof longname,
             AGENCY "peers = ( { agency = \"ca-hn\"; role = \"lead\";\n"
                    " endpoint = \"tcp://h:1\"; public_key = \"%s\";\n name = \"%0201d\"; } );\n",
             s_k1, 0);
    s_expect_error(longname, 4, "'peers[0].name' must be at most 200 bytes");
    snprintf(text, sizeof text,
             AGENCY "peers = ( {\n agency = \"ca-hn\"; endpoint = \"tcp://h:1\";\n"
                    " public_key = \"%s\"; } );\n",
             s_k1);
    s_expect_error(text, 2, "missing required key 'peers[0].role'"); /* at the { */
    snprintf(text, sizeof text,
             AGENCY "peers = ( { agency = \"ca-hn\"; role = \"lead\"; endpoint = \"tcp://h:1\";\n"
                    " public_key = \"%s\";\n colour = \"red\"; } );\n",
             s_k1);
    s_expect_error(text, 4, "unknown key 'peers[0].colour'");
    s_expect_error(AGENCY "peers = { agency = \"x\"; };\n", 2, "'peers' must be a list");
    s_expect_error(AGENCY "peers = ( \"ca-hn\" );\n", 2, "'peers[0]' must be a group");

    /* across peers: duplicate agency, duplicate key, a second lead or parent, each
     * reported at the second one */
    snprintf(text, sizeof text, AGENCY "peers = (\n%s,\n%s );\n",
             s_peer(p1, sizeof p1, "ca-hn", "coordinating", s_k1),
             s_peer(p2, sizeof p2, "ca-hn", "child", s_k2));
    s_expect_error(text, 5, "'peers[1].agency': duplicate agency 'ca-hn'");
    snprintf(text, sizeof text, AGENCY "peers = (\n%s,\n%s );\n",
             s_peer(p1, sizeof p1, "ca-hn", "coordinating", s_k1),
             s_peer(p2, sizeof p2, "ca-hp", "child", s_k1));
    s_expect_error(text, 6,
                   "'peers[1].public_key': duplicate public key: 'ca-hp' has the key "
                   "of 'ca-hn'");
    snprintf(text, sizeof text, AGENCY "peers = (\n%s,\n%s,\n%s );\n",
             s_peer(p1, sizeof p1, "ca-hn", "lead", s_k1),
             s_peer(p2, sizeof p2, "bo-tttt", "parent", s_k2),
             s_peer(p3, sizeof p3, "ca-hp", "lead", s_k3));
    s_expect_error(text, 7,
                   "'peers[2].role': 'ca-hp' would be a second peer with role lead "
                   "('ca-hn' is one already)");
    snprintf(text, sizeof text, AGENCY "peers = (\n%s,\n%s,\n%s );\n",
             s_peer(p1, sizeof p1, "bo-tttt", "parent", s_k1),
             s_peer(p2, sizeof p2, "ca-hn", "lead", s_k2),
             s_peer(p3, sizeof p3, "bo-cand", "parent", s_k3));
    s_expect_error(text, 7,
                   "'peers[2].role': 'bo-cand' would be a second peer with role parent "
                   "('bo-tttt' is one already)");
    /* several coordinating and child peers are fine */
    snprintf(text, sizeof text, AGENCY "peers = (\n%s,\n%s,\n%s );\n",
             s_peer(p1, sizeof p1, "ca-hn", "coordinating", s_k1),
             s_peer(p2, sizeof p2, "ca-hp", "coordinating", s_k2),
             s_peer(p3, sizeof p3, "ca-dn", "child", s_k3));
    dir = acc_test_tmpdir();
    path = s_write(dir, "node.cfg", text);
    assert_int_equal(acc_config_load(path, &cfg, &ei), ACC_OK);
    assert_int_equal(cfg->n_peers, 3);
    acc_config_destroy(&cfg);
    free(path);
    acc_test_rmtree(dir);
}

static void
test_peers_file(void **state)
{
    (void)state;
    char p1[512], p2[512], peers[2048];
    snprintf(peers, sizeof peers, "# written by accordctl\npeers = (\n%s,\n%s );\n",
             s_peer(p1, sizeof p1, "ca-hn", "lead", s_k1),
             s_peer(p2, sizeof p2, "stttt-hp", "child", s_k2));
    char *dir = acc_test_tmpdir();
    char *path = s_write(dir, "node.cfg", AGENCY);
    char *ppath = s_write(dir, "peers.cfg", peers);
    acc_config_t *cfg = NULL;
    acc_errinfo_t ei;
    acc_err rc = acc_config_load(path, &cfg, &ei);
    if (rc)
        print_error("%s: %s\n", ei.field, ei.msg);
    assert_int_equal(rc, ACC_OK);
    assert_int_equal(cfg->n_peers, 2);
    assert_int_equal(cfg->peers_inline, 0);
    assert_string_equal(acc_config_lead(cfg)->agency, "ca-hn");
    assert_int_equal(acc_config_peer(cfg, "stttt-hp")->role, ACC_ROLE_CHILD);
    acc_config_destroy(&cfg);

    /* with a relative config path, messages name peers.cfg the same way */
    char cwd[PATH_MAX];
    assert_non_null(getcwd(cwd, sizeof cwd));
    assert_int_equal(chdir(dir), 0);
    assert_int_equal(acc_config_load("node.cfg", &cfg, &ei), ACC_OK);
    assert_int_equal(cfg->n_peers, 2);
    acc_config_destroy(&cfg);
    free(ppath);
    ppath = s_write(dir, "peers.cfg", "\npeers = ( { agency = \"X\"; } );\n");
    assert_int_equal(acc_config_load("node.cfg", &cfg, &ei), ACC_ERR_CONFIG);
    assert_string_equal(ei.field, "peers.cfg:2");
    assert_int_equal(chdir(cwd), 0);

    /* an old layout that includes peers.cfg still works: the file is read once */
    free(path);
    path = s_write(dir, "node.cfg", AGENCY "@include \"peers.cfg\"\n");
    free(ppath);
    ppath = s_write(dir, "peers.cfg", peers);
    rc = acc_config_load(path, &cfg, &ei);
    if (rc)
        print_error("%s: %s\n", ei.field, ei.msg);
    assert_int_equal(rc, ACC_OK);
    assert_int_equal(cfg->n_peers, 2);
    assert_int_equal(cfg->peers_inline, 0);
    acc_config_destroy(&cfg);

    /* peers.cfg that is not a regular file */
    free(path);
    path = s_write(dir, "node.cfg", AGENCY);
    assert_int_equal(unlink(ppath), 0);
    assert_int_equal(mkdir(ppath, 0700), 0);
    assert_int_equal(acc_config_load(path, &cfg, &ei), ACC_ERR_CONFIG);
    assert_string_equal(ei.field, ppath);
    assert_non_null(strstr(ei.msg, "not a regular file"));
    assert_int_equal(rmdir(ppath), 0);
    free(ppath);
    free(path);
    acc_test_rmtree(dir);

    /* problems inside peers.cfg name peers.cfg and its line */
    s_expect_error2(AGENCY, "\npeers = ( { agency = \"ca-hn\";\n role = \"boss\"; } );\n",
                    "peers.cfg", 3, "'peers[0].role' must be one of");
    s_expect_error2(AGENCY, "# x\n\ncolour = 1;\n", "peers.cfg", 3, "unknown key 'colour'");
    s_expect_error2(AGENCY, "peers = (\n { agency = ; } );\n", "peers.cfg", 2, "syntax error");
    s_expect_error2(AGENCY, "peers = ( {\n x = 3000000000; } );\n", "peers.cfg", 2,
                    "unknown key 'peers[0].x'");
    s_expect_error2(AGENCY, "\n@include \"missing.cfg\"\n", "peers.cfg", 2, "cannot include");
    char text[2048];
    snprintf(text, sizeof text, "peers = (\n%s,\n%s );\n",
             s_peer(p1, sizeof p1, "ca-hn", "lead", s_k1),
             s_peer(p2, sizeof p2, "ca-hp", "lead", s_k2));
    s_expect_error2(AGENCY, text, "peers.cfg", 4,
                    "'peers[1].role': 'ca-hp' would be a second peer with role lead");
    snprintf(text, sizeof text, "peers = (\n%s );\n",
             s_peer(p1, sizeof p1, "stttt-hn", "lead", s_k1));
    s_expect_error2(AGENCY, text, "peers.cfg", 2, "'stttt-hn' is this node's own agency");
    /* peers in both files: an error at node.cfg's line naming both files */
    {
        char *d = acc_test_tmpdir();
        char *np = s_write(d, "node.cfg", AGENCY "\npeers = ( );\n");
        char *pp = s_write(d, "peers.cfg", peers);
        assert_int_equal(acc_config_load(np, &cfg, &ei), ACC_ERR_CONFIG);
        char want[PATH_MAX + 16];
        snprintf(want, sizeof want, "%s:3", np);
        assert_string_equal(ei.field, want);
        snprintf(want, sizeof want, "'peers' is set in both '%s' and '%s'", np, pp);
        assert_non_null(strstr(ei.msg, want));
        /* check reports problems in both files */
        free(np);
        np = s_write(d, "node.cfg", AGENCY "colour = 1;\n");
        free(pp);
        pp = s_write(d, "peers.cfg", "peers = ( );\n\nshape = 2;\n");
        s_reports_t r;
        memset(&r, 0, sizeof r);
        assert_int_equal(acc_config_check(np, s_collect, &r), ACC_ERR_CONFIG);
        assert_int_equal(r.n, 2);
        snprintf(want, sizeof want, "%s:2", np);
        assert_string_equal(r.where[0], want);
        assert_string_equal(r.msg[0], "unknown key 'colour'");
        snprintf(want, sizeof want, "%s:3", pp);
        assert_string_equal(r.where[1], want);
        assert_string_equal(r.msg[1], "unknown key 'shape'");
        free(pp);
        free(np);
        acc_test_rmtree(d);
    }
    /* a config file named peers.cfg is read once */
    {
        char *d = acc_test_tmpdir();
        char *pp = s_write(d, "peers.cfg", AGENCY "peers = ( );\n");
        assert_int_equal(acc_config_load(pp, &cfg, &ei), ACC_OK);
        assert_int_equal(cfg->peers_inline, 1);
        acc_config_destroy(&cfg);
        free(pp);
        acc_test_rmtree(d);
    }
}

/* ---- acc_config_peers_write ------------------------------------------------------------ */

static char *
s_slurp(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    char *buf = calloc(1, 1 << 16);
    assert_non_null(buf);
    size_t n = fread(buf, 1, (1 << 16) - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

/* Entries in @dir other than . and .. */
static int
s_count_entries(const char *dir)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    int n = 0;
    for (struct dirent *e; (e = readdir(d));)
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
            n++;
    closedir(d);
    return n;
}

static void
test_peers_write(void **state)
{
    (void)state;
    char *dir = acc_test_tmpdir();
    char *path = s_write(dir, "node.cfg", AGENCY);
    char ppath[PATH_MAX];
    snprintf(ppath, sizeof ppath, "%s/peers.cfg", dir);
    acc_config_t *cfg = NULL;
    acc_errinfo_t ei;
    assert_int_equal(acc_config_load(path, &cfg, &ei), ACC_OK);

    acc_peer_cfg_t peers[3] = {
        {.agency = "ca-hn",
         .role = ACC_ROLE_LEAD,
         .endpoint = "tcp://10.0.0.5:7400",
         .public_key = s_k1,
         .name = "Công an \"Hà Nội\" \\ phòng A05"},
        {.agency = "bo-tttt",
         .role = ACC_ROLE_PARENT,
         .endpoint = "tcp://[fd00::1]:7400",
         .public_key = s_k2,
         .name = NULL},
        {.agency = "stttt-hp",
         .role = ACC_ROLE_CHILD,
         .endpoint = "tcp://hp.example:7400",
         .public_key = s_k3,
         .name = ""},
    };
    acc_err rc = acc_config_peers_write(cfg, peers, 3, &ei);
    if (rc)
        print_error("%s: %s\n", ei.field, ei.msg);
    assert_int_equal(rc, ACC_OK);
    struct stat st;
    assert_int_equal(stat(ppath, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0600);
    char *text = s_slurp(ppath);
    assert_non_null(text);
    assert_non_null(strstr(text, "accordctl peer add"));
    assert_int_equal(text[0], '#');
    free(text);
    assert_int_equal(s_count_entries(dir), 2); /* node.cfg, peers.cfg: no temporary left */

    acc_config_t *back = NULL;
    rc = acc_config_load(path, &back, &ei);
    if (rc)
        print_error("%s: %s\n", ei.field, ei.msg);
    assert_int_equal(rc, ACC_OK);
    assert_int_equal(back->n_peers, 3);
    assert_int_equal(back->peers_inline, 0);
    for (size_t i = 0; i < 3; i++) {
        assert_string_equal(back->peers[i].agency, peers[i].agency);
        assert_int_equal(back->peers[i].role, peers[i].role);
        assert_string_equal(back->peers[i].endpoint, peers[i].endpoint);
        assert_string_equal(back->peers[i].public_key, peers[i].public_key);
    }
    assert_string_equal(back->peers[0].name, "Công an \"Hà Nội\" \\ phòng A05");
    assert_null(back->peers[1].name);
    assert_null(back->peers[2].name);

    /* writing what was loaded gives the same file; the mode of the old file is kept */
    assert_int_equal(chmod(ppath, 0640), 0);
    char *before = s_slurp(ppath);
    assert_int_equal(acc_config_peers_write(back, back->peers, back->n_peers, &ei), ACC_OK);
    char *after = s_slurp(ppath);
    assert_string_equal(before, after);
    free(before);
    free(after);
    assert_int_equal(stat(ppath, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0640);
    acc_config_destroy(&back);

    /* invalid peers: the error names the key, and nothing is written */
    char *old = s_slurp(ppath);
    static const struct {
        size_t which;
        const char *field;
        const char *needle;
    } bad[] = {
        {0, "agency", "'agency' must match"},
        {0, "agency", "'stttt-hn' is this node's own agency"},
        {0, "role", "'role' must be one of lead, coordinating, parent, child"},
        {0, "endpoint", "'endpoint' must be \"tcp://HOST:PORT\""},
        {0, "public_key", "'public_key' must be a CURVE public key"},
        {0, "name", "'name' must not contain control characters"},
        {1, "role", "'bo-tttt' would be a second peer with role lead ('ca-hn' is one already)"},
        {1, "agency", "duplicate agency 'ca-hn'"},
        {1, "public_key", "duplicate public key: 'bo-tttt' has the key of 'ca-hn'"},
        {0, "endpoint", "'endpoint' is required"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        acc_peer_cfg_t p[2];
        memcpy(p, peers, sizeof p);
        switch (i) {
        case 0:
            p[0].agency = "CA";
            break;
        case 1:
            p[0].agency = "stttt-hn";
            break;
        case 2:
            p[0].role = (acc_role)7;
            break;
        case 3:
            p[0].endpoint = "tcp://*:7400x";
            break;
        case 4:
            p[0].public_key = "not-a-key";
            break;
        case 5:
            p[0].name = "line\nbreak";
            break;
        case 6:
            p[1].role = ACC_ROLE_LEAD;
            break;
        case 7:
            p[1].agency = "ca-hn";
            break;
        case 8:
            p[1].public_key = s_k1;
            break;
        case 9:
            p[0].endpoint = NULL;
            break;
        }
        acc_errinfo_clear(&ei);
        assert_int_equal(acc_config_peers_write(cfg, p, 2, &ei), ACC_ERR_INVALID);
        if (strcmp(ei.field, bad[i].field) != 0 || !strstr(ei.msg, bad[i].needle))
            print_error("case %zu: field=%s msg=%s\n", i, ei.field, ei.msg);
        assert_string_equal(ei.field, bad[i].field);
        assert_non_null(strstr(ei.msg, bad[i].needle));
        char *now = s_slurp(ppath);
        assert_string_equal(now, old);
        free(now);
    }
    assert_int_equal(s_count_entries(dir), 2);

    /* a write that fails half-way (file size limit) leaves the old file and no temporary */
    struct rlimit saved, small;
    assert_int_equal(getrlimit(RLIMIT_FSIZE, &saved), 0);
    small = saved;
    small.rlim_cur = 64;
    void (*prev)(int) = signal(SIGXFSZ, SIG_IGN);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &small), 0);
    rc = acc_config_peers_write(cfg, peers, 1, &ei);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &saved), 0);
    signal(SIGXFSZ, prev);
    assert_int_equal(rc, ACC_ERR_IO);
    assert_non_null(strstr(ei.msg, "cannot write"));
    char *now = s_slurp(ppath);
    assert_string_equal(now, old);
    free(now);
    assert_int_equal(s_count_entries(dir), 2);
    free(old);

    /* no peers: an empty list that loads */
    assert_int_equal(acc_config_peers_write(cfg, NULL, 0, &ei), ACC_OK);
    assert_int_equal(acc_config_load(path, &back, &ei), ACC_OK);
    assert_int_equal(back->n_peers, 0);
    acc_config_destroy(&back);

    /* a missing directory is an I/O error */
    acc_config_destroy(&cfg);
    assert_int_equal(acc_config_load(path, &cfg, &ei), ACC_OK);
    free(cfg->dir);
    cfg->dir = strdup("/nonexistent/accord-test-dir");
    assert_int_equal(acc_config_peers_write(cfg, peers, 1, &ei), ACC_ERR_IO);
    assert_non_null(strstr(ei.msg, "/nonexistent/accord-test-dir"));
    assert_int_equal(acc_config_peers_write(NULL, peers, 1, &ei), ACC_ERR_INVALID);
    acc_config_destroy(&cfg);
    free(path);
    acc_test_rmtree(dir);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_minimal_defaults),
        cmocka_unit_test(test_full_file),
        cmocka_unit_test(test_unknown_keys),
        cmocka_unit_test(test_wrong_types),
        cmocka_unit_test(test_integer_ranges),
        cmocka_unit_test(test_big_literals_elsewhere_are_harmless),
        cmocka_unit_test(test_bad_strings),
        cmocka_unit_test(test_categories),
        cmocka_unit_test(test_http_sources_feed_tags),
        cmocka_unit_test(test_syntax_error),
        cmocka_unit_test(test_missing_file),
        cmocka_unit_test(test_include_relative_to_file),
        cmocka_unit_test(test_relative_config_path),
        cmocka_unit_test(test_check_reports_all),
        cmocka_unit_test(test_render_round_trip),
        cmocka_unit_test(test_render_rejects),
        cmocka_unit_test(test_render_examples),
        cmocka_unit_test(test_stream_binds),
        cmocka_unit_test(test_auto_verify),
        cmocka_unit_test(test_notification),
        cmocka_unit_test(test_roles),
        cmocka_unit_test_setup(test_peers_inline, s_peer_keys_setup),
        cmocka_unit_test_setup(test_peers_file, s_peer_keys_setup),
        cmocka_unit_test_setup(test_peers_write, s_peer_keys_setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
