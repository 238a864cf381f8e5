/*
 * libFuzzer target for acc_config: the input is written as node.cfg in a private
 * temporary directory and loaded. It must never crash or leak, acc_config_check must
 * agree with acc_config_load, and a file that loads must render back to a file that
 * loads with the same agency and name.
 *
 * Inputs that @include a path with ".." are skipped: libconfig would happily open
 * /dev/zero or a FIFO through them and hang, which says nothing about our code.
 *
 * libconfig 1.5 leaks a pending string token when it hits a syntax error (upstream
 * hyperrealm/libconfig#142, fixed in 1.7.3): allocations made inside libconfig.so are
 * exempt from leak checking below. Leaks in our code are still reported, since their
 * stacks hold no libconfig frame.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "acc_config.h"
#include "acc_ids.h"

#define S_INPUT_MAX (64 * 1024)

int LLVMFuzzerInitialize(int *argc, char ***argv);
const char *__lsan_default_suppressions(void);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

const char *
__lsan_default_suppressions(void)
{
    return "leak:libconfig.so\n";
}

/* The harness's own scratch files, fixed for the process (set once at start). */
static char s_dir[64];
static char s_path[96];
static char s_path2[96];

static void
s_cleanup(void)
{
    unlink(s_path);
    unlink(s_path2);
    rmdir(s_dir);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    snprintf(s_dir, sizeof s_dir, "/tmp/accord-fuzz-config-XXXXXX");
    if (!mkdtemp(s_dir))
        abort();
    snprintf(s_path, sizeof s_path, "%s/node.cfg", s_dir);
    snprintf(s_path2, sizeof s_path2, "%s/rendered.cfg", s_dir);
    atexit(s_cleanup);
    return 0;
}

static void
s_write(const char *path, const void *data, size_t size)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        abort();
    if (size && fwrite(data, 1, size, f) != size)
        abort();
    if (fclose(f) != 0)
        abort();
}

static void
s_count(void *arg, const char *where, const char *msg)
{
    if (!where || !msg)
        abort();
    ++*(int *)arg;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > S_INPUT_MAX)
        return 0;
    if (memmem(data, size, "@include", 8) && memmem(data, size, "..", 2))
        return 0;
    s_write(s_path, data, size);

    acc_config_t *cfg = NULL;
    acc_errinfo_t ei;
    acc_err rc = acc_config_load(s_path, &cfg, &ei);
    if ((rc == ACC_OK) != (cfg != NULL))
        abort();
    if (rc != ACC_OK && memchr(ei.msg, '\0', sizeof ei.msg) == NULL)
        abort();

    int problems = 0;
    acc_err crc = acc_config_check(s_path, s_count, &problems);
    if (crc != rc || (rc == ACC_OK) != (problems == 0))
        abort();

    if (cfg) {
        if (!acc_agency_valid(cfg->agency) || cfg->n_categories == 0)
            abort();
        char list[64];
        acc_config_category_list(cfg, list, sizeof list);
        if (!acc_config_category(cfg, cfg->categories[0].id))
            abort();
        for (size_t i = 0; i < cfg->n_sources; i++) {
            const acc_source_cfg_t *src = &cfg->sources[i];
            if (acc_config_source(cfg, src->name) != src)
                abort();
            if (src->token && acc_config_source_by_token(cfg, src->token) != src)
                abort();
        }
        for (size_t i = 0; i < cfg->n_feed_tags; i++)
            if (!acc_config_category(cfg, cfg->feed_tags[i].category))
                abort();

        char *text = NULL;
        if (acc_config_render(cfg->agency, cfg->name, 0, &text, &ei) != ACC_OK)
            abort();
        s_write(s_path2, text, strlen(text));
        free(text);
        acc_config_t *again = NULL;
        if (acc_config_load(s_path2, &again, &ei) != ACC_OK)
            abort();
        if (strcmp(again->agency, cfg->agency) != 0 || strcmp(again->name, cfg->name) != 0)
            abort();
        acc_config_destroy(&again);
        acc_config_destroy(&cfg);
    }
    return 0;
}
