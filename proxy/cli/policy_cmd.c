#include "cli/policy_cmd.h"

#include <stdio.h>
#include <string.h>

#include "cli/policy_eval.h"
#include "common/str.h"
#include "config/config.h"
#include "pipeline/runtime.h"
#include "policy/policy.h"
#include "policy/policy_tests.h"

static void usage(void)
{
    fputs("usage:\n"
          "  postern policy test -c CONFIG FILE...\n"
          "  postern policy explain -c CONFIG --claims FILE|JSON --query TEXT "
          "[--variables JSON]\n"
          "  postern policy export-nats -c CONFIG [--user NAME] [--password TEXT]\n",
          stderr);
}

typedef struct {
    const char *config, *claims, *query, *variables, *user, *password;
    const char *files[256];
    int n_files;
} args;

static int parse_args(int argc, char **argv, args *a)
{
    memset(a, 0, sizeof(*a));
    for (int i = 0; i < argc; i++) {
        const char *k = argv[i];
        const char **slot = !strcmp(k, "-c") || !strcmp(k, "--config") ? &a->config
                            : !strcmp(k, "--claims")                   ? &a->claims
                            : !strcmp(k, "--query")                    ? &a->query
                            : !strcmp(k, "--variables")                ? &a->variables
                            : !strcmp(k, "--user")                     ? &a->user
                            : !strcmp(k, "--password")                 ? &a->password
                                                                       : NULL;
        if (slot) {
            if (i + 1 >= argc)
                return -1;
            *slot = argv[++i];
        } else if (k[0] == '-' || a->n_files == 256) {
            return -1;
        } else {
            a->files[a->n_files++] = k;
        }
    }
    return a->config ? 0 : -1;
}

/* Loads config, schema, mappings and policy; prints every error. */
static int load(const char *config, pipe_runtime *rt)
{
    pst_diags diags = PST_DIAGS_INIT;
    cfg_config *cfg = cfg_load_file(config, &diags);
    int rc = 0;
    if (!cfg) {
        rc = 1;
    } else if (pipe_runtime_load(rt, cfg, &diags) != PST_OK) {
        pipe_runtime_free(rt);
        rc = 1;
    } else if (!rt->policy) {
        fprintf(stderr, "%s: no `policy` is configured\n", config);
        pipe_runtime_free(rt);
        rc = 1;
    }
    pst_diags_print(&diags, stderr);
    pst_diags_free(&diags);
    return rc;
}

static int cmd_test(const args *a)
{
    if (a->n_files == 0) {
        usage();
        return 2;
    }
    pipe_runtime rt;
    if (load(a->config, &rt) != 0)
        return 1;
    size_t passed = 0, failed = 0;
    for (int i = 0; i < a->n_files; i++) {
        pst_diags diags = PST_DIAGS_INIT;
        policy_test_file *tf = policy_tests_load_file(a->files[i], &diags);
        if (!tf) {
            pst_diags_print(&diags, stderr);
            pst_diags_free(&diags);
            failed++;
            continue;
        }
        for (size_t j = 0; j < tf->count; j++) {
            if (cli_policy_run_case(&rt, tf, &tf->cases[j]) == 0)
                passed++;
            else
                failed++;
        }
        policy_tests_free(tf);
    }
    printf("%zu passed, %zu failed\n", passed, failed);
    pipe_runtime_free(&rt);
    return failed ? 1 : 0;
}

static int cmd_explain(const args *a)
{
    if (!a->claims || !a->query || a->n_files) {
        usage();
        return 2;
    }
    pipe_runtime rt;
    if (load(a->config, &rt) != 0)
        return 1;
    int rc = cli_policy_explain(&rt, a->claims, a->query, a->variables);
    pipe_runtime_free(&rt);
    return rc;
}

static int cmd_export(const args *a)
{
    if (a->n_files) {
        usage();
        return 2;
    }
    pipe_runtime rt;
    if (load(a->config, &rt) != 0)
        return 1;
    const char *user = a->user ? a->user : rt.cfg->nats.user ? rt.cfg->nats.user : "postern";
    const char *password = a->password ? a->password : "$POSTERN_NATS_PASSWORD";
    pst_buf b = {0};
    int rc = 0;
    if (policy_export_nats(rt.policy, user, password, NULL, &b) != PST_OK) {
        fprintf(stderr, "export-nats: out of memory\n");
        rc = 1;
    } else {
        fwrite(b.p, 1, b.len, stdout);
    }
    pst_buf_free(&b);
    pipe_runtime_free(&rt);
    return rc;
}

int cli_policy_main(int argc, char **argv)
{
    args a;
    if (argc < 2 || parse_args(argc - 2, argv + 2, &a) != 0) {
        usage();
        return 2;
    }
    if (!strcmp(argv[1], "test"))
        return cmd_test(&a);
    if (!strcmp(argv[1], "explain"))
        return cmd_explain(&a);
    if (!strcmp(argv[1], "export-nats"))
        return cmd_export(&a);
    usage();
    return 2;
}
