/* postern: start-up and the command line (SPEC §3). */
#include <signal.h>
#include <stdio.h>
#include <time.h>
#include <string.h>

#include "auth/dev_idp.h"
#include "cli/policy_cmd.h"
#include "common/log.h"
#include "config/config.h"
#include "pipeline/authz.h"
#include "pipeline/runtime.h"

#define POSTERN_VERSION "0.1.0"

static void usage(FILE *out)
{
    fputs("usage:\n"
          "  postern serve -c config/postern.yaml   run the sidecar (the default verb)\n"
          "  postern check -c config/postern.yaml   validate config, schema and mappings\n"
          "  postern policy test -c CONFIG FILE...      run policy decision tests\n"
          "  postern policy explain -c CONFIG --claims FILE|JSON --query TEXT [--variables JSON]\n"
          "  postern policy export-nats -c CONFIG       nats-server authorization for postern's "
          "user\n"
          "  postern dev-idp [--listen 127.0.0.1:9400]   a local OIDC issuer for demos and tests\n"
          "  postern dev-idp mint --sub alice --claim groups=staff [--ttl 1h]\n"
          "  postern version\n",
          out);
}

/* Finds "-c FILE" / "--config FILE"; NULL when absent. */
static const char *config_arg(int argc, char **argv, int *bad)
{
    const char *path = NULL;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "-c") == 0 || strcmp(argv[i], "--config") == 0) {
            if (i + 1 >= argc) {
                *bad = 1;
                return NULL;
            }
            path = argv[++i];
        } else {
            *bad = 1;
        }
    }
    return path;
}

/* Loads config, schema and mappings; prints every error. */
static int load_all(const char *path, pipe_runtime *rt)
{
    pst_diags diags = PST_DIAGS_INIT;
    cfg_config *cfg = cfg_load_file(path, &diags);
    if (!cfg || pipe_runtime_load(rt, cfg, &diags) != PST_OK) {
        if (!cfg)
            memset(rt, 0, sizeof(*rt));
        pst_diags_print(&diags, stderr);
        fprintf(stderr, "%zu error%s\n", diags.count, diags.count == 1 ? "" : "s");
        pst_diags_free(&diags);
        if (cfg)
            pipe_runtime_free(rt);
        return 1;
    }
    pst_diags_free(&diags);
    return 0;
}

static int cmd_check(int argc, char **argv)
{
    int bad = 0;
    const char *path = config_arg(argc, argv, &bad);
    if (bad || !path) {
        usage(stderr);
        return 2;
    }
    pipe_runtime rt;
    if (load_all(path, &rt) != 0)
        return 1;
    printf("%s: ok (schema %s: %zu root fields mapped to NATS)\n", path, rt.cfg->schema,
           rt.n_mappings);
    pipe_runtime_free(&rt);
    return 0;
}

/* The main thread's job while the loops serve on their own threads (which
 * never see these signals): SIGTERM/SIGINT stop; SIGHUP, or a change of the
 * policy file (checked every second), reloads the policy. */
static void run_until_stopped(pipe_runtime *rt, const sigset_t *set)
{
    struct timespec tick = {1, 0};
    time_t last_check = time(NULL);
    for (;;) {
        int sig = sigtimedwait(set, NULL, &tick);
        if (sig == SIGTERM || sig == SIGINT) {
            pst_log(PST_LOG_INFO, "received %s", sig == SIGTERM ? "SIGTERM" : "SIGINT");
            return;
        }
        if (sig == SIGHUP) {
            pst_log(PST_LOG_INFO, "received SIGHUP: reloading the policy");
            pipe_policy_reload(rt);
        }
        /* at most once a second, whatever signals arrive in between */
        if (time(NULL) != last_check) {
            last_check = time(NULL);
            if (pipe_policy_file_changed(rt)) {
                pst_log(PST_LOG_INFO, "policy file changed: reloading");
                pipe_policy_reload(rt);
            }
        }
    }
}

static int cmd_serve(int argc, char **argv)
{
    int bad = 0;
    const char *path = config_arg(argc, argv, &bad);
    if (bad) {
        usage(stderr);
        return 2;
    }
    if (!path)
        path = "config/postern.yaml";
    pipe_runtime rt;
    if (load_all(path, &rt) != 0)
        return 1;
    pst_log_setup(rt.cfg->log.level, rt.cfg->log.format == CFG_LOG_JSON);

    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &set, NULL); /* inherited by every thread started below */
    signal(SIGPIPE, SIG_IGN);

    const char *error = NULL;
    if (pipe_runtime_start(&rt, &error) != PST_OK) {
        pst_log(PST_LOG_ERROR, "cannot start: %s", error ? error : "unknown error");
        pipe_runtime_free(&rt);
        return 1;
    }
    run_until_stopped(&rt, &set);
    pipe_runtime_stop(&rt);
    pipe_runtime_free(&rt);
    pst_log(PST_LOG_INFO, "stopped");
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return cmd_serve(0, argv + 1);
    const char *verb = argv[1];
    if (strcmp(verb, "serve") == 0)
        return cmd_serve(argc - 2, argv + 2);
    if (strcmp(verb, "check") == 0)
        return cmd_check(argc - 2, argv + 2);
    if (strcmp(verb, "policy") == 0)
        return cli_policy_main(argc - 1, argv + 1);
    if (strcmp(verb, "dev-idp") == 0)
        return dev_idp_main(argc - 1, argv + 1);
    if (strcmp(verb, "version") == 0 || strcmp(verb, "--version") == 0) {
        printf("postern %s\n", POSTERN_VERSION);
        return 0;
    }
    if (strcmp(verb, "help") == 0 || strcmp(verb, "--help") == 0 || strcmp(verb, "-h") == 0) {
        usage(stdout);
        return 0;
    }
    if (verb[0] == '-')
        return cmd_serve(argc - 1, argv + 1);
    fprintf(stderr, "postern: unknown command \"%s\"\n", verb);
    usage(stderr);
    return 2;
}
