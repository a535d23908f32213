/* `postern dev-idp` and `postern dev-idp mint` (SPEC §3). */
#include "auth/dev_idp.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/units.h"

#define MAX_CLAIMS 64
#define DEFAULT_LISTEN "127.0.0.1:9400"
#define DEFAULT_ISSUER "http://127.0.0.1:9400"
#define DEFAULT_AUDIENCE "orders-api"

static const char WARNING[] =
    "\n"
    "  ************************************************************************\n"
    "  *  WARNING: postern dev-idp is a DEVELOPMENT identity provider.        *\n"
    "  *  It is NOT for production: anyone who can read its key file can     *\n"
    "  *  mint any identity. Use it for demos and tests on loopback only.    *\n"
    "  ************************************************************************\n\n";

static int usage(void)
{
    fprintf(stderr,
            "usage: postern dev-idp [--listen HOST:PORT] [--key FILE] [--alg ES256|RS256]\n"
            "                       [--issuer URL]\n"
            "       postern dev-idp mint --sub SUB [--claim NAME=VALUE]... [--ttl 1h]\n"
            "                       [--aud AUDIENCE] [--key FILE] [--issuer URL]\n"
            "defaults: listen %s, issuer http://LISTEN, aud %s, ttl 1h,\n"
            "          key %s (shared by the server and mint)\n"
            "a claim VALUE that parses as JSON is taken as JSON (3, true, [\"a\",\"b\"]), else\n"
            "as a string; a repeated NAME makes an array.\n"
            "SIGHUP or POST /admin/rotate rotates the key; the JWKS keeps the previous one.\n",
            DEFAULT_LISTEN, DEFAULT_AUDIENCE, dev_idp_default_key_path());
    return 2;
}

/* Returns the value of option argv[*i] (advancing *i), NULL when missing. */
static const char *opt_value(int argc, char **argv, int *i)
{
    return *i + 1 < argc ? argv[++*i] : NULL;
}

static int mint_main(int argc, char **argv)
{
    const char *sub = NULL, *aud = DEFAULT_AUDIENCE, *key_path = dev_idp_default_key_path();
    const char *issuer = DEFAULT_ISSUER, *claims[MAX_CLAIMS];
    size_t n_claims = 0;
    int64_t ttl_ms = 3600 * 1000;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = opt_value(argc, argv, &i);
        if (!v)
            return usage();
        if (!strcmp(a, "--sub"))
            sub = v;
        else if (!strcmp(a, "--aud"))
            aud = v;
        else if (!strcmp(a, "--key"))
            key_path = v;
        else if (!strcmp(a, "--issuer"))
            issuer = v;
        else if (!strcmp(a, "--claim") && n_claims < MAX_CLAIMS)
            claims[n_claims++] = v;
        else if (!strcmp(a, "--ttl")) {
            if (pst_parse_duration_ms(pst_str_c(v), &ttl_ms) != PST_OK || ttl_ms < 1000) {
                fprintf(stderr, "dev-idp mint: --ttl wants a duration of at least 1s\n");
                return 2;
            }
        } else
            return usage();
    }
    if (!sub)
        return usage();
    const char *why = NULL;
    dev_idp_key *key = dev_idp_key_load_or_create(key_path, AUTH_ALG_ES256, &why);
    if (!key) {
        fprintf(stderr, "dev-idp mint: %s: %s\n", key_path, why);
        return 1;
    }
    pst_buf out = {0};
    pst_status s = dev_idp_mint(key, issuer, sub, claims, n_claims, ttl_ms / 1000, aud, &out, &why);
    if (s == PST_OK && pst_buf_cstr(&out))
        printf("%s\n", out.p);
    else
        fprintf(stderr, "dev-idp mint: %s\n", why);
    pst_buf_free(&out);
    dev_idp_key_free(key);
    return s == PST_OK ? 0 : 1;
}

/* Splits HOST:PORT (or [V6]:PORT) into host and port. */
static int parse_listen(const char *s, char *host, size_t cap, int *port)
{
    const char *colon = strrchr(s, ':');
    if (!colon || colon == s || (size_t)(colon - s) >= cap)
        return -1;
    const char *h = s;
    size_t hl = (size_t)(colon - s);
    if (h[0] == '[' && hl >= 2 && h[hl - 1] == ']')
        h++, hl -= 2;
    memcpy(host, h, hl);
    host[hl] = 0;
    char *end;
    long p = strtol(colon + 1, &end, 10);
    if (*end || end == colon + 1 || p < 0 || p > 65535)
        return -1;
    *port = (int)p;
    return 0;
}

/* Runs the server until SIGINT/SIGTERM; SIGHUP rotates. */
static int serve_until_signal(const dev_idp_opts *o)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &set, NULL); /* the server thread inherits the mask */
    const char *why = NULL;
    dev_idp *idp = dev_idp_start(o, &why);
    if (!idp) {
        fprintf(stderr, "dev-idp: %s\n", why);
        return 1;
    }
    char kid[32];
    dev_idp_current_kid(idp, kid);
    fprintf(stderr, "%s", WARNING);
    fprintf(stderr,
            "dev-idp: issuer %s\ndev-idp: jwks   %s/jwks.json\ndev-idp: key    %s (kid %s)\n",
            dev_idp_issuer(idp), dev_idp_issuer(idp), o->key_path, kid);
    for (;;) {
        int sig = 0;
        if (sigwait(&set, &sig) != 0 || sig != SIGHUP)
            break;
        if (dev_idp_rotate(idp) == PST_OK) {
            dev_idp_current_kid(idp, kid);
            fprintf(stderr, "dev-idp: rotated, new kid %s\n", kid);
        } else {
            fprintf(stderr, "dev-idp: rotation failed, key unchanged\n");
        }
    }
    dev_idp_stop(idp);
    return 0;
}

int dev_idp_main(int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], "mint"))
        return mint_main(argc - 1, argv + 1);
    char host[256];
    dev_idp_opts o = {.key_path = dev_idp_default_key_path(), .alg = AUTH_ALG_ES256};
    if (parse_listen(DEFAULT_LISTEN, host, sizeof(host), &o.port) != 0)
        return 1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = opt_value(argc, argv, &i);
        if (!v)
            return usage();
        if (!strcmp(a, "--listen")) {
            if (parse_listen(v, host, sizeof(host), &o.port) != 0)
                return usage();
        } else if (!strcmp(a, "--key"))
            o.key_path = v;
        else if (!strcmp(a, "--issuer"))
            o.issuer = v;
        else if (!strcmp(a, "--alg")) {
            o.alg = auth_alg_parse(pst_str_c(v));
            if (o.alg != AUTH_ALG_ES256 && o.alg != AUTH_ALG_RS256)
                return usage();
        } else
            return usage();
    }
    o.host = host;
    if (strcmp(host, "127.0.0.1") != 0 && strcmp(host, "::1") != 0 &&
        strcmp(host, "localhost") != 0)
        fprintf(stderr, "dev-idp: WARNING: listening on %s, which is not loopback\n", host);
    return serve_until_signal(&o);
}
