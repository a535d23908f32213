/* The dev issuer: key files, `mint` through dev_idp_main, the HTTP
 * endpoints (discovery, JWKS, rotation, 404) and the server command with
 * SIGHUP rotation and SIGTERM shutdown. */
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <curl/curl.h>

#include "auth_test_util.h"
#include "test.h"

static char dir[64], key_path[128];

static void test_key_files(void)
{
    const char *why = NULL;
    char path[160];
    snprintf(path, sizeof(path), "%s/sub/key.pem", dir);
    dev_idp_key *k = dev_idp_key_load_or_create(path, AUTH_ALG_RS256, &why);
    CHECK(k && k->alg == AUTH_ALG_RS256 && strlen(k->kid) == 22);
    struct stat st, sd;
    CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600);
    snprintf(path, sizeof(path), "%s/sub", dir);
    CHECK(stat(path, &sd) == 0 && (sd.st_mode & 0777) == 0700);
    snprintf(path, sizeof(path), "%s/sub/key.pem", dir);
    dev_idp_key *again = dev_idp_key_load_or_create(path, AUTH_ALG_ES256, &why);
    CHECK(again && again->alg == AUTH_ALG_RS256 && !strcmp(again->kid, k->kid));
    dev_idp_key_free(k);
    dev_idp_key_free(again);
    snprintf(path, sizeof(path), "%s/garbage.pem", dir);
    FILE *f = fopen(path, "w");
    fputs("not a key\n", f);
    fclose(f);
    CHECK(dev_idp_key_load(path, &why) == NULL && why);
    CHECK(dev_idp_key_generate(AUTH_ALG_PS256) == NULL);
    const char *dflt = dev_idp_default_key_path();
    CHECK(strstr(dflt, "/postern-dev-idp/key.pem") != NULL);
}

/* Runs dev_idp_main with stdout captured; returns the exit code. */
static int run_cli(char **argv, char *out, size_t cap)
{
    int argc = 0;
    while (argv[argc])
        argc++;
    char path[160];
    snprintf(path, sizeof(path), "%s/stdout", dir);
    fflush(stdout);
    int saved = dup(1), fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    dup2(fd, 1);
    close(fd);
    int rc = dev_idp_main(argc, argv);
    fflush(stdout);
    dup2(saved, 1);
    close(saved);
    FILE *f = fopen(path, "r");
    size_t n = f ? fread(out, 1, cap - 1, f) : 0;
    out[n] = 0;
    while (n > 0 && out[n - 1] == '\n')
        out[--n] = 0;
    if (f)
        fclose(f);
    return rc;
}

static auth_ctx *ctx_for(const char *issuer)
{
    static const char *aud[] = {"orders-api"}, *algs[] = {"ES256", "RS256"};
    auth_issuer_opts o = {.issuer = issuer,
                          .discovery = true,
                          .audiences = aud,
                          .n_audiences = 1,
                          .algorithms = algs,
                          .n_algorithms = 2};
    auth_opts ao = {.issuers = &o, .n_issuers = 1};
    const char *why;
    auth_ctx *c = auth_ctx_create(&ao, &why);
    if (c && (auth_ctx_start(c) != PST_OK || !auth_wait_ready(c, 5000)))
        fprintf(stderr, "dev idp keys not loaded\n");
    return c;
}

static void test_mint_cli(dev_idp *idp)
{
    char tok[4096], issuer[256];
    snprintf(issuer, sizeof(issuer), "%s", dev_idp_issuer(idp));
    char *argv[] = {"dev-idp", "mint",       "--sub",    "alice",   "--claim", "groups=staff",
                    "--claim", "groups=ops", "--claim",  "level=3", "--ttl",   "10m",
                    "--key",   key_path,     "--issuer", issuer,    NULL};
    CHECK(run_cli(argv, tok, sizeof(tok)) == 0);
    auth_ctx *c = ctx_for(issuer);
    pst_arena *a = pst_arena_create(512);
    auth_principal *p = NULL;
    auth_reason why = AUTH_REASON_COUNT;
    CHECK(c && auth_verify(c, tok, strlen(tok), a, &p, &why) == PST_OK);
    CHECK(why == AUTH_OK);
    if (p) {
        CHECK_STR(p->sub, "alice");
        json_t *g = json_object_get(p->claims, "groups");
        CHECK(json_array_size(g) == 2 && !strcmp(json_string_value(json_array_get(g, 1)), "ops"));
        CHECK(json_integer_value(json_object_get(p->claims, "level")) == 3);
        json_int_t ttl = json_integer_value(json_object_get(p->claims, "exp")) -
                         json_integer_value(json_object_get(p->claims, "iat"));
        CHECK(ttl == 600);
        CHECK(json_string_length(json_object_get(p->claims, "jti")) == 32);
    }
    /* another audience is refused by a verifier expecting orders-api */
    char *argv2[] = {"dev-idp", "mint",   "--sub",    "bob",  "--aud", "payments",
                     "--key",   key_path, "--issuer", issuer, NULL};
    CHECK(run_cli(argv2, tok, sizeof(tok)) == 0);
    CHECK(c && verify_tok(c, tok, NULL, 0) == AUTH_BAD_AUDIENCE);
    char *no_sub[] = {"dev-idp", "mint", "--key", key_path, NULL};
    CHECK(run_cli(no_sub, tok, sizeof(tok)) == 2);
    char *bad_claim[] = {"dev-idp", "mint",  "--sub",  "x", "--claim",
                         "novalue", "--key", key_path, NULL};
    CHECK(run_cli(bad_claim, tok, sizeof(tok)) == 1 && tok[0] == 0);
    char *bad_ttl[] = {"dev-idp", "mint", "--sub", "x", "--ttl", "soon", NULL};
    CHECK(run_cli(bad_ttl, tok, sizeof(tok)) == 2);
    char *bad_opt[] = {"dev-idp", "--bogus", "1", NULL};
    CHECK(run_cli(bad_opt, tok, sizeof(tok)) == 2);
    pst_arena_destroy(a);
    auth_ctx_destroy(c);
}

static size_t collect(char *p, size_t s, size_t n, void *ud)
{
    pst_buf_append(ud, p, s * n);
    return s * n;
}

static long http(const char *method, const char *url, pst_buf *body)
{
    CURL *c = curl_easy_init();
    long code = 0;
    pst_buf_reset(body);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, body);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 5000L);
    if (curl_easy_perform(c) == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
    curl_easy_cleanup(c);
    pst_buf_cstr(body);
    return code;
}

static void test_http(dev_idp *idp)
{
    char url[400], kid[32];
    pst_buf body = {0};
    snprintf(url, sizeof(url), "%s/.well-known/openid-configuration", dev_idp_issuer(idp));
    CHECK(http("GET", url, &body) == 200);
    json_t *d = json_loads(body.p, 0, NULL);
    CHECK_STR(json_string_value(json_object_get(d, "issuer")), dev_idp_issuer(idp));
    json_decref(d);
    snprintf(url, sizeof(url), "%s/jwks.json", dev_idp_issuer(idp));
    CHECK(http("GET", url, &body) == 200);
    d = json_loads(body.p, 0, NULL);
    dev_idp_current_kid(idp, kid);
    json_t *k0 = json_array_get(json_object_get(d, "keys"), 0);
    CHECK(json_array_size(json_object_get(d, "keys")) == 1);
    CHECK_STR(json_string_value(json_object_get(k0, "kid")), kid);
    CHECK(!json_object_get(k0, "d")); /* never the private part */
    json_decref(d);
    snprintf(url, sizeof(url), "%s/admin/rotate", dev_idp_issuer(idp));
    CHECK(http("POST", url, &body) == 200);
    char kid2[32];
    dev_idp_current_kid(idp, kid2);
    CHECK(strcmp(kid, kid2) != 0 && strstr(body.p, kid2));
    const char *why;
    dev_idp_key *saved = dev_idp_key_load(key_path, &why); /* rotation rewrote the key file */
    CHECK(saved && !strcmp(saved->kid, kid2));
    dev_idp_key_free(saved);
    snprintf(url, sizeof(url), "%s/jwks.json", dev_idp_issuer(idp));
    CHECK(http("GET", url, &body) == 200);
    d = json_loads(body.p, 0, NULL);
    CHECK(json_array_size(json_object_get(d, "keys")) == 2);
    json_decref(d);
    snprintf(url, sizeof(url), "%s/nothing", dev_idp_issuer(idp));
    CHECK(http("GET", url, &body) == 404);
    snprintf(url, sizeof(url), "%s/admin/rotate", dev_idp_issuer(idp));
    CHECK(http("GET", url, &body) == 404);
    pst_buf_free(&body);
}

static int cli_rc = -1;
static char serve_key[160];

static void *run_server(void *arg)
{
    (void)arg;
    char *argv[] = {"dev-idp", "--listen", "127.0.0.1:0", "--key",
                    serve_key, "--alg",    "RS256",       NULL};
    cli_rc = dev_idp_main(7, argv);
    return NULL;
}

/* The kid in the key file, "" when unreadable. */
static void file_kid(char kid[32])
{
    const char *why;
    dev_idp_key *k = dev_idp_key_load(serve_key, &why);
    snprintf(kid, 32, "%s", k ? k->kid : "");
    dev_idp_key_free(k);
}

static void test_server_command(void)
{
    snprintf(serve_key, sizeof(serve_key), "%s/serve.pem", dir);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGHUP);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, NULL); /* only the command's sigwait takes them */
    pthread_t th;
    pthread_create(&th, NULL, run_server, NULL);
    char kid1[32] = "", kid2[32] = "";
    for (int i = 0; i < 100 && !kid1[0]; i++, sleep_ms(50))
        file_kid(kid1);
    CHECK(kid1[0] != 0);
    sleep_ms(100);
    kill(getpid(), SIGHUP);
    for (int i = 0; i < 100; i++, sleep_ms(50)) {
        file_kid(kid2);
        if (kid2[0] && strcmp(kid1, kid2) != 0)
            break;
    }
    CHECK(kid2[0] && strcmp(kid1, kid2) != 0);
    kill(getpid(), SIGTERM);
    pthread_join(th, NULL);
    CHECK(cli_rc == 0);
}

int main(void)
{
    snprintf(dir, sizeof(dir), "/tmp/postern-test-idp-XXXXXX");
    if (!mkdtemp(dir))
        return 1;
    snprintf(key_path, sizeof(key_path), "%s/key.pem", dir);
    test_key_files();
    const char *why;
    dev_idp_opts o = {.port = 0, .key_path = key_path};
    dev_idp *idp = dev_idp_start(&o, &why);
    CHECK(idp != NULL);
    if (idp) {
        test_mint_cli(idp);
        test_http(idp);
        dev_idp_stop(idp);
    }
    test_server_command();
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    CHECK(system(cmd) == 0);
    TEST_END();
}
