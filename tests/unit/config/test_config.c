#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/mem.h"
#include "config/config.h"
#include "test.h"

static char errbuf[8192];

/* Loads yaml as "t.yaml" with base dir /etc/postern. */
static cfg_config *load(const char *yaml, pst_diags *d)
{
    return cfg_load_string(yaml, strlen(yaml), "t.yaml", "/etc/postern", d);
}

static const char *join(const pst_diags *d)
{
    size_t o = 0;
    errbuf[0] = '\0';
    for (const pst_diag *e = d->first; e && o < sizeof(errbuf); e = e->next)
        o += (size_t)snprintf(errbuf + o, sizeof(errbuf) - o, "%s%s:%u:%u: %s", o ? "\n" : "",
                              e->file ? e->file : "", e->line, e->col, e->message);
    return errbuf;
}

/* Expects the load to fail; returns every error, one per line. */
static const char *errors_of(const char *yaml)
{
    pst_diags d = PST_DIAGS_INIT;
    cfg_config *c = load(yaml, &d);
    if (c) {
        cfg_free(c);
        pst_diags_free(&d);
        return "(loaded without errors)";
    }
    join(&d);
    pst_diags_free(&d);
    return errbuf;
}

/* Expects the load to succeed. */
static cfg_config *ok(const char *yaml)
{
    pst_diags d = PST_DIAGS_INIT;
    cfg_config *c = load(yaml, &d);
    if (!c || d.count) {
        fprintf(stderr, "unexpected errors for:\n%s\n%s\n", yaml, join(&d));
        test_failed++;
    }
    pst_diags_free(&d);
    return c;
}

static void test_defaults(void)
{
    cfg_config *c = ok("schema: schema.graphql\n");
    if (!c)
        return;
    CHECK_STR(c->listen.text, "0.0.0.0:8080");
    CHECK_STR(c->listen.host, "0.0.0.0");
    CHECK(c->listen.port == 8080);
    CHECK_STR(c->admin_listen.host, "0.0.0.0");
    CHECK(c->admin_listen.port == 9090);
    CHECK(c->workers >= 1 && c->workers == (int)sysconf(_SC_NPROCESSORS_ONLN));
    CHECK(!c->tls.cert && !c->tls.key && !c->tls.client_ca);
    CHECK_STR(c->schema, "/etc/postern/schema.graphql");
    CHECK(c->policy == NULL);
    CHECK(c->nats.n_servers == 1);
    CHECK_STR(c->nats.servers[0], "nats://127.0.0.1:4222");
    CHECK_STR(c->nats.name, "postern");
    CHECK(!c->nats.credentials && !c->nats.user && !c->nats.password && !c->nats.token);
    CHECK(!c->nats.nkey_seed && !c->nats.tls.ca && !c->nats.tls.cert && !c->nats.tls.key);
    CHECK(c->nats.request_timeout_ms == 2000);
    CHECK(c->nats.retries.max == 2);
    CHECK(c->nats.retries.backoff_ms == 25);
    CHECK(c->nats.retries.max_backoff_ms == 500);
    CHECK(c->oidc.n_issuers == 0);
    CHECK(c->oidc.n_token_sources == 1);
    CHECK_STR(c->oidc.token_sources[0].header, "Authorization");
    CHECK_STR(c->oidc.token_sources[0].prefix, "Bearer ");
    CHECK(!c->oidc.allow_anonymous);
    CHECK(c->oidc.token_cache == 10000);
    CHECK(c->identity.signing_key == NULL);
    CHECK(c->identity.algorithm == CFG_ALG_ES256);
    CHECK(c->n_forward_headers == 0);
    CHECK(c->limits.max_body_bytes == 1048576);
    CHECK(c->limits.max_depth == 12);
    CHECK(c->limits.max_aliases == 30);
    CHECK(c->limits.max_root_fields == 20);
    CHECK(c->limits.max_tokens == 10000);
    CHECK(c->limits.max_subscriptions_per_connection == 100);
    CHECK(c->limits.max_connections == 10000);
    CHECK(c->limits.header_timeout_ms == 10000);
    CHECK(c->limits.idle_timeout_ms == 60000);
    CHECK(c->shutdown_grace_ms == 10000);
    CHECK(c->introspection);
    CHECK(!c->reject_unauthorized);
    CHECK(c->log.level == PST_LOG_INFO);
    CHECK(c->log.format == CFG_LOG_JSON);
    CHECK(c->instance_id && *c->instance_id);
    CHECK_STR(c->source, "t.yaml");
    cfg_free(c);

    cfg_config *d = cfg_defaults();
    CHECK(d && d->schema == NULL && d->limits.max_depth == 12 && d->workers >= 1);
    cfg_free(d);

    /* an issuer's own defaults */
    c = ok("schema: s\noidc:\n  issuers:\n    - issuer: https://idp.example.com/realms/main\n"
           "      audiences: [orders-api]\n");
    if (c) {
        const cfg_issuer *is = &c->oidc.issuers[0];
        CHECK(c->oidc.n_issuers == 1);
        CHECK_STR(is->issuer, "https://idp.example.com/realms/main");
        CHECK(is->discovery);
        CHECK(is->jwks_uri == NULL);
        CHECK(is->n_audiences == 1);
        CHECK_STR(is->audiences[0], "orders-api");
        CHECK(is->algorithms == (CFG_ALG_RS256 | CFG_ALG_ES256));
        CHECK(is->leeway_ms == 30000);
        CHECK(is->jwks_refresh_ms == 600000);
        CHECK(is->jwks_min_refetch_ms == 30000);
        CHECK(!is->insecure);
    }
    cfg_free(c);
    CHECK_STR(cfg_alg_name(CFG_ALG_EDDSA), "EdDSA");
    CHECK(cfg_alg_name(CFG_ALG_RS256 | CFG_ALG_ES256) == NULL);
}

static void test_values(void)
{
    cfg_config *c = ok("listen: \"[::1]:8443\"\n"
                       "admin_listen: localhost:0\n"
                       "workers: 3\n"
                       "schema: /srv/schema.graphql\n"
                       "policy: policy.yaml\n"
                       "tls: {cert: a.crt, key: a.key, client_ca: /ca.pem}\n"
                       "nats:\n"
                       "  servers: [\"tls://nats-1.example.com:4222\", nats://10.0.0.2]\n"
                       "  credentials: postern.creds\n"
                       "  tls: {ca: ca.pem}\n"
                       "  request_timeout: 1.5s\n"
                       "oidc:\n"
                       "  issuers:\n"
                       "    - issuer: http://localhost:9400\n"
                       "      discovery: false\n"
                       "      jwks_uri: http://127.0.0.1:9400/jwks\n"
                       "      audiences: [a, b]\n"
                       "      algorithms: [EdDSA, PS512]\n"
                       "      leeway: 0s\n"
                       "    - issuer: http://idp.internal\n"
                       "      insecure: true\n"
                       "      audiences: [c]\n"
                       "  token_sources: [{header: X-Token}, {header: Authorization, prefix: "
                       "\"Bearer \"}]\n"
                       "  allow_anonymous: true\n"
                       "  token_cache: 0\n"
                       "identity: {signing_key: keys/id.pem, algorithm: RS256}\n"
                       "forward_headers: [X-Tenant, traceparent]\n"
                       "shutdown_grace: 0s\n"
                       "introspection: false\n"
                       "reject_unauthorized: TRUE\n"
                       "log: {level: debug, format: text}\n"
                       "instance_id: orders-7f9c\n");
    if (!c)
        return;
    CHECK_STR(c->listen.host, "::1");
    CHECK(c->listen.port == 8443);
    CHECK_STR(c->listen.text, "[::1]:8443");
    CHECK_STR(c->admin_listen.host, "localhost");
    CHECK(c->admin_listen.port == 0);
    CHECK(c->workers == 3);
    CHECK_STR(c->schema, "/srv/schema.graphql");
    CHECK_STR(c->policy, "/etc/postern/policy.yaml");
    CHECK_STR(c->tls.cert, "/etc/postern/a.crt");
    CHECK_STR(c->tls.key, "/etc/postern/a.key");
    CHECK_STR(c->tls.client_ca, "/ca.pem");
    CHECK(c->nats.n_servers == 2);
    CHECK_STR(c->nats.servers[1], "nats://10.0.0.2");
    CHECK_STR(c->nats.credentials, "/etc/postern/postern.creds");
    CHECK_STR(c->nats.tls.ca, "/etc/postern/ca.pem");
    CHECK(c->nats.request_timeout_ms == 1500);
    CHECK(c->oidc.n_issuers == 2);
    CHECK(!c->oidc.issuers[0].discovery);
    CHECK_STR(c->oidc.issuers[0].jwks_uri, "http://127.0.0.1:9400/jwks");
    CHECK(c->oidc.issuers[0].n_audiences == 2);
    CHECK(c->oidc.issuers[0].algorithms == (CFG_ALG_EDDSA | CFG_ALG_PS512));
    CHECK(c->oidc.issuers[0].leeway_ms == 0);
    CHECK(c->oidc.issuers[1].insecure);
    CHECK(c->oidc.n_token_sources == 2);
    CHECK_STR(c->oidc.token_sources[0].header, "X-Token");
    CHECK_STR(c->oidc.token_sources[0].prefix, "");
    CHECK_STR(c->oidc.token_sources[1].prefix, "Bearer ");
    CHECK(c->oidc.allow_anonymous);
    CHECK(c->oidc.token_cache == 0);
    CHECK_STR(c->identity.signing_key, "/etc/postern/keys/id.pem");
    CHECK(c->identity.algorithm == CFG_ALG_RS256);
    CHECK(c->n_forward_headers == 2);
    CHECK_STR(c->forward_headers[1], "traceparent");
    CHECK(c->shutdown_grace_ms == 0);
    CHECK(!c->introspection);
    CHECK(c->reject_unauthorized);
    CHECK(c->log.level == PST_LOG_DEBUG);
    CHECK(c->log.format == CFG_LOG_TEXT);
    CHECK_STR(c->instance_id, "orders-7f9c");
    cfg_free(c);

    /* a key with no value keeps its default */
    c = ok("schema: s\nlisten:\nnats:\n  request_timeout: ~\nlimits: null\n");
    if (c) {
        CHECK(c->listen.port == 8080);
        CHECK(c->nats.request_timeout_ms == 2000);
        CHECK(c->limits.max_depth == 12);
    }
    cfg_free(c);
}

static void test_partial(void)
{
    cfg_config *c = ok("schema: s\nlimits: {max_depth: 8, max_body_bytes: \"512KiB\"}\n"
                       "nats:\n  retries: {backoff: 10ms}\n");
    if (c) {
        CHECK(c->limits.max_depth == 8);
        CHECK(c->limits.max_body_bytes == 524288);
        CHECK(c->limits.max_aliases == 30);
        CHECK(c->limits.max_tokens == 10000);
        CHECK(c->limits.idle_timeout_ms == 60000);
        CHECK(c->nats.retries.backoff_ms == 10);
        CHECK(c->nats.retries.max == 2);
        CHECK(c->nats.retries.max_backoff_ms == 500);
    }
    cfg_free(c);
    c = ok("schema: s\nnats: {retries: {max: 0}}\nlimits: {max_body_bytes: 2048}\n");
    if (c) {
        CHECK(c->nats.retries.max == 0);
        CHECK(c->nats.retries.backoff_ms == 25);
        CHECK(c->limits.max_body_bytes == 2048);
        CHECK(c->limits.max_depth == 12);
    }
    cfg_free(c);
}

static void test_key_errors(void)
{
    CHECK_STR(errors_of("listn: 127.0.0.1:8080\nschema: s\n"),
              "t.yaml:1:1: unknown key \"listn\" in the top level (did you mean \"listen\"?)");
    CHECK_STR(errors_of("schema: s\nnats:\n  servers: [nats://a:1]\n  request_timout: 1s\n"),
              "t.yaml:4:3: unknown key \"request_timout\" in nats (did you mean "
              "\"request_timeout\"?)");
    CHECK_STR(errors_of("schema: s\noidc:\n  issuers:\n    - issuer: https://a\n"
                        "      audiences: [x]\n      audience: [y]\n"),
              "t.yaml:6:7: unknown key \"audience\" in oidc.issuers[0] (did you mean "
              "\"audiences\"?)");
    CHECK_STR(errors_of("schema: s\nfrobnicate: 1\n"),
              "t.yaml:2:1: unknown key \"frobnicate\" in the top level");
    CHECK_STR(errors_of("schema: s\nlimits: {max_dept: 3}\n"),
              "t.yaml:2:10: unknown key \"max_dept\" in limits (did you mean \"max_depth\"?)");
    CHECK_STR(errors_of("schema: s\nworkers: 2\nworkers: 3\n"),
              "t.yaml:3:1: duplicate key \"workers\" in the top level (first at line 2)");
    CHECK_STR(errors_of("schema: s\n[a]: 1\n"),
              "t.yaml:2:1: keys must be plain words like \"listen\" in the top level");
}

static void test_type_errors(void)
{
    CHECK_STR(errors_of("schema: s\nworkers: [1]\n"),
              "t.yaml:2:10: workers: expected an integer from 0 to 1024 (got a list)");
    CHECK_STR(errors_of("schema: s\nworkers: \"4\"\n"),
              "t.yaml:2:10: workers: expected an integer from 0 to 1024 (got \"4\")");
    CHECK_STR(errors_of("schema: s\nworkers: four\n"),
              "t.yaml:2:10: workers: expected an integer from 0 to 1024 (got \"four\")");
    CHECK_STR(errors_of("schema: s\nintrospection: yes\n"),
              "t.yaml:2:16: introspection: expected true or false (got \"yes\")");
    CHECK_STR(errors_of("schema: s\nlimits: 5\n"),
              "t.yaml:2:9: limits: expected a mapping of keys (got \"5\")");
    CHECK_STR(errors_of("schema: {a: 1}\n"),
              "t.yaml:1:9: schema: expected a file path (got a mapping)");
    CHECK_STR(errors_of("schema: s\nnats: {servers: nats://a:4222}\n"),
              "t.yaml:2:17: nats.servers: expected a list like [a, b] (got \"nats://a:4222\")");
    CHECK_STR(errors_of("schema: s\noidc: {issuers: [https://a]}\n"),
              "t.yaml:2:18: oidc.issuers[0]: expected a mapping of keys (got \"https://a\")");
    CHECK_STR(errors_of("- schema\n"),
              "t.yaml:1:1: the top level: expected a mapping of keys (got a list)");
    CHECK_STR(errors_of("schema: s\nlog: {level: verbose}\n"),
              "t.yaml:2:14: log.level: expected one of debug, info, warn, error (got \"verbose\")");
    CHECK_STR(errors_of("schema: s\nlog: {format: yaml}\n"),
              "t.yaml:2:15: log.format: expected json or text (got \"yaml\")");
    CHECK_STR(errors_of("schema: s\ninstance_id: \"a b\"\n"),
              "t.yaml:2:14: instance_id: expected 1 to 253 letters, digits, \".\", \"_\" or "
              "\"-\" (got \"a b\")");
}

static void test_value_errors(void)
{
    CHECK_STR(errors_of("schema: s\nnats:\n  request_timeout: 2\n"),
              "t.yaml:3:20: nats.request_timeout: expected a duration like \"250ms\" or \"2s\" "
              "(got \"2\")");
    CHECK_STR(errors_of("schema: s\nshutdown_grace: soon\n"),
              "t.yaml:2:17: shutdown_grace: expected a duration like \"250ms\" or \"2s\" (got "
              "\"soon\")");
    CHECK_STR(errors_of("schema: s\nlimits:\n  max_body_bytes: 1XB\n"),
              "t.yaml:3:19: limits.max_body_bytes: expected a size in bytes like 1048576 or "
              "\"1MiB\" (got \"1XB\")");
    CHECK_STR(errors_of("schema: s\nlimits:\n  max_body_bytes: 2GiB\n"),
              "t.yaml:3:19: limits.max_body_bytes: must be from 1 to 1GiB (got \"2GiB\")");
    CHECK_STR(errors_of("schema: s\nworkers: 5000\n"),
              "t.yaml:2:10: workers: must be from 0 to 1024 (got 5000)");
    CHECK_STR(errors_of("schema: s\nlimits: {max_depth: 0}\n"),
              "t.yaml:2:21: limits.max_depth: must be from 1 to 500 (got 0)");
    CHECK_STR(errors_of("schema: s\nnats: {retries: {max: -1}}\n"),
              "t.yaml:2:23: nats.retries.max: must be from 0 to 10 (got -1)");
    CHECK_STR(errors_of("schema: s\noidc:\n  issuers:\n    - {issuer: https://a, audiences: [x], "
                        "jwks_min_refetch: 500ms}\n"),
              "t.yaml:4:61: oidc.issuers[0].jwks_min_refetch: must be from 1s to 24h (got "
              "\"500ms\")");
    CHECK_STR(errors_of("schema: s\nnats: {retries: {backoff: 1s, max_backoff: 100ms}}\n"),
              "t.yaml:2:44: nats.retries.max_backoff: must be at least backoff (1s)");
    CHECK_STR(errors_of("schema: s\nlisten: 8080\n"),
              "t.yaml:2:9: listen: expected host:port like \"0.0.0.0:8080\" or \"[::1]:8080\" "
              "(got \"8080\")");
    CHECK_STR(errors_of("schema: s\nadmin_listen: \"::1:9090\"\n"),
              "t.yaml:2:15: admin_listen: expected host:port like \"0.0.0.0:8080\" or "
              "\"[::1]:8080\" (got \"::1:9090\")");
    CHECK_STR(errors_of("schema: s\nlisten: 0.0.0.0:70000\n"),
              "t.yaml:2:9: listen: expected host:port like \"0.0.0.0:8080\" or \"[::1]:8080\" "
              "(got \"0.0.0.0:70000\")");
    CHECK_STR(errors_of("schema: s\nnats:\n  servers: [nats://ok:4222, http://nats:4222]\n"),
              "t.yaml:3:29: nats.servers[1]: expected a URL like \"nats://127.0.0.1:4222\" or "
              "\"tls://nats.example.com:4222\" (got \"http://nats:4222\")");
    CHECK_STR(errors_of("schema: s\nnats: {user: u, token: t}\n"),
              "t.yaml:2:7: nats: give only one way to log in: credentials, user/password, token "
              "or nkey_seed");
    CHECK_STR(errors_of("schema: s\nnats: {password: p}\n"),
              "t.yaml:2:18: nats.password: needs \"user\"");
    CHECK_STR(errors_of("schema: s\nnats: {nkey_seed: SUsecret}\n"),
              "t.yaml:2:19: nats.nkey_seed: expected a user nkey seed (58 characters starting "
              "with \"SU\"), e.g. \"${NATS_NKEY_SEED}\"");
    CHECK_STR(errors_of("schema: s\ntls: {cert: a.crt}\n"),
              "t.yaml:2:6: tls: give both \"cert\" and \"key\" (or neither)");
    CHECK_STR(errors_of("schema: s\nnats: {servers: []}\n"),
              "t.yaml:2:17: nats.servers: list at least one server, e.g. [nats://127.0.0.1:4222]");
    CHECK_STR(errors_of("schema: s\nforward_headers: [X-Tenant, authorization, Postern-Roles]\n"),
              "t.yaml:2:29: forward_headers[1]: \"Authorization\" is never forwarded (services "
              "get the verified identity in Postern-Identity instead)\n"
              "t.yaml:2:44: forward_headers[2]: \"Postern-Roles\": Postern-* headers are set by "
              "postern and are never forwarded");
    CHECK_STR(errors_of("schema: s\noidc: {token_sources: [{prefix: x}]}\n"),
              "t.yaml:2:24: missing required key \"header\" in oidc.token_sources[0] (e.g. "
              "header: Authorization)");
}

static void test_oidc_errors(void)
{
    CHECK_STR(errors_of("schema: s\noidc:\n  issuers:\n    - issuer: https://a\n"
                        "      audiences: [x]\n      algorithms: [RS256, none, HS256, XY1]\n"),
              "t.yaml:6:27: oidc.issuers[0].algorithms[1]: \"none\" is never accepted (tokens "
              "must be signed); use RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384, "
              "ES512 or EdDSA\n"
              "t.yaml:6:33: oidc.issuers[0].algorithms[2]: \"HS256\" is not accepted (HMAC "
              "algorithms use shared secrets); use RS256, RS384, RS512, PS256, PS384, PS512, "
              "ES256, ES384, ES512 or EdDSA\n"
              "t.yaml:6:40: oidc.issuers[0].algorithms[3]: unknown algorithm \"XY1\"; use RS256, "
              "RS384, RS512, PS256, PS384, PS512, ES256, ES384, ES512 or EdDSA");
    CHECK_STR(errors_of("schema: s\nidentity: {algorithm: HS256}\n"),
              "t.yaml:2:23: identity.algorithm: \"HS256\" is not accepted (HMAC algorithms use "
              "shared secrets); use RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384, "
              "ES512 or EdDSA");
    CHECK_STR(errors_of("schema: s\noidc:\n  issuers:\n    - issuer: http://idp.example.com\n"
                        "      audiences: [x]\n"),
              "t.yaml:4:15: oidc.issuers[0].issuer: \"http://idp.example.com\" must use https:// "
              "(http:// is accepted only for loopback hosts, or with \"insecure: true\" on this "
              "issuer)");
    CHECK_STR(errors_of("schema: s\noidc:\n  issuers:\n    - issuer: https://a\n"
                        "      jwks_uri: http://keys.example.com/jwks\n      audiences: [x]\n"),
              "t.yaml:5:17: oidc.issuers[0].jwks_uri: \"http://keys.example.com/jwks\" must use "
              "https:// (http:// is accepted only for loopback hosts, or with \"insecure: true\" "
              "on this issuer)");
    /* loopback hosts are fine over http */
    cfg_config *c = ok("schema: s\noidc:\n  issuers:\n    - {issuer: \"http://[::1]:9400\", "
                       "audiences: [x]}\n    - {issuer: http://127.1.2.3/x, audiences: [x]}\n");
    cfg_free(c);
    CHECK_STR(errors_of("schema: s\noidc:\n  issuers:\n    - issuer: idp.example.com\n"
                        "      audiences: [x]\n"),
              "t.yaml:4:15: oidc.issuers[0].issuer: expected an https:// URL like "
              "\"https://idp.example.com/realms/main\" (got \"idp.example.com\")");
    CHECK_STR(errors_of("schema: s\noidc:\n  issuers:\n    - issuer: https://a\n"
                        "      discovery: false\n      audiences: [x]\n"),
              "t.yaml:5:18: oidc.issuers[0]: set \"jwks_uri\" when \"discovery\" is false");
    CHECK_STR(errors_of("schema: s\noidc:\n  issuers:\n    - issuer: https://a\n"),
              "t.yaml:4:7: missing required key \"audiences\" in oidc.issuers[0] (`aud` must "
              "contain one of them, e.g. audiences: [orders-api])");
    CHECK_STR(errors_of("schema: s\noidc:\n  issuers:\n    - issuer: https://a\n"
                        "      audiences: []\n"),
              "t.yaml:5:18: oidc.issuers[0].audiences: list at least one audience, e.g. "
              "[orders-api]");
    CHECK_STR(errors_of("schema: s\noidc:\n  issuers:\n    - {issuer: https://a, audiences: [x]}\n"
                        "    - {issuer: https://a, audiences: [y]}\n"),
              "t.yaml:5:16: oidc.issuers[1].issuer: \"https://a\" is already listed as "
              "issuers[0]");
    CHECK_STR(errors_of("schema: s\noidc: {issuers: [{issuer: https://a, audiences: [x], "
                        "algorithms: []}]}\n"),
              "t.yaml:2:66: oidc.issuers[0].algorithms: list at least one algorithm, e.g. "
              "[RS256, ES256]");
}

static void test_schema_required(void)
{
    CHECK_STR(errors_of(""), "t.yaml:1:1: missing required key \"schema\" in the top level "
                             "(postern cannot run without a GraphQL schema; e.g. schema: "
                             "schema.graphql)");
    CHECK_STR(errors_of("# only a comment\n"),
              "t.yaml:1:1: missing required key \"schema\" in the top level (postern cannot run "
              "without a GraphQL schema; e.g. schema: schema.graphql)");
    CHECK_STR(errors_of("\nworkers: 2\nschema:\n"),
              "t.yaml:2:1: missing required key \"schema\" in the top level (postern cannot run "
              "without a GraphQL schema; e.g. schema: schema.graphql)");
    CHECK_STR(errors_of("schema: \"\"\n"), "t.yaml:1:9: schema: expected a file path (got \"\")");
}

static void test_env(void)
{
    setenv("PST_TEST_TOKEN", "s3cret", 1);
    setenv("PST_TEST_PORT", "7070", 1);
    setenv("PST_TEST_WORKERS", "5", 1);
    unsetenv("PST_TEST_UNSET");
    cfg_config *c = ok("schema: s\nlisten: 127.0.0.1:${PST_TEST_PORT}\n"
                       "workers: \"${PST_TEST_WORKERS}\"\n"
                       "nats: {token: \"${PST_TEST_TOKEN}\", name: \"a$${PST_TEST_TOKEN}b$x$\"}\n");
    if (c) {
        CHECK(c->listen.port == 7070);
        CHECK_STR(c->listen.text, "127.0.0.1:7070");
        CHECK(c->workers == 5);
        CHECK_STR(c->nats.token, "s3cret");
        CHECK_STR(c->nats.name, "a${PST_TEST_TOKEN}b$x$");
    }
    cfg_free(c);
    CHECK_STR(errors_of("schema: s\nnats:\n  password: ${PST_TEST_UNSET}\n  user: u\n"),
              "t.yaml:3:13: nats.password: environment variable \"PST_TEST_UNSET\" is not set");
    CHECK_STR(errors_of("schema: s\nnats: {name: \"${1BAD}\"}\n"),
              "t.yaml:2:14: nats.name: bad environment reference at \"${1BAD}\" (write ${NAME} "
              "with letters, digits and _, or $${ for a literal ${)");
    CHECK_STR(errors_of("schema: s\nnats: {name: \"${A-B} and more\"}\n"),
              "t.yaml:2:14: nats.name: bad environment reference at \"${A-B}\" (write ${NAME} "
              "with letters, digits and _, or $${ for a literal ${)");
    CHECK_STR(errors_of("schema: s\nnats: {name: \"x${OPEN\"}\n"),
              "t.yaml:2:14: nats.name: bad environment reference at \"${OPEN\" (write ${NAME} "
              "with letters, digits and _, or $${ for a literal ${)");
    /* an unset variable in a list item names the item */
    CHECK_STR(errors_of("schema: s\noidc: {issuers: [{issuer: https://a, audiences: "
                        "[x, \"${PST_TEST_UNSET}\"]}]}\n"),
              "t.yaml:2:53: oidc.issuers[0].audiences[1]: environment variable "
              "\"PST_TEST_UNSET\" is not set");
    setenv("POD_NAME", "orders-abc12", 1);
    c = ok("schema: s\n");
    if (c)
        CHECK_STR(c->instance_id, "orders-abc12");
    cfg_free(c);
    c = ok("schema: s\ninstance_id: ${POD_NAME}-x\n");
    if (c)
        CHECK_STR(c->instance_id, "orders-abc12-x");
    cfg_free(c);
    unsetenv("POD_NAME");
    char host[256] = "";
    gethostname(host, sizeof(host));
    c = ok("schema: s\n");
    if (c)
        CHECK_STR(c->instance_id, host);
    cfg_free(c);
    unsetenv("PST_TEST_TOKEN");
    unsetenv("PST_TEST_PORT");
    unsetenv("PST_TEST_WORKERS");
}

static void test_many_errors(void)
{
    CHECK_STR(errors_of("listn: x\n"
                        "workers: -1\n"
                        "nats:\n"
                        "  request_timeout: 2\n"
                        "  retries: {max: 99}\n"
                        "oidc:\n"
                        "  issuers:\n"
                        "    - issuer: http://idp.example.com\n"
                        "      audiences: [a]\n"
                        "      algorithms: [none]\n"),
              "t.yaml:1:1: unknown key \"listn\" in the top level (did you mean \"listen\"?)\n"
              "t.yaml:2:10: workers: must be from 0 to 1024 (got -1)\n"
              "t.yaml:4:20: nats.request_timeout: expected a duration like \"250ms\" or \"2s\" "
              "(got \"2\")\n"
              "t.yaml:5:18: nats.retries.max: must be from 0 to 10 (got 99)\n"
              "t.yaml:10:20: oidc.issuers[0].algorithms[0]: \"none\" is never accepted (tokens "
              "must be signed); use RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384, "
              "ES512 or EdDSA\n"
              "t.yaml:8:15: oidc.issuers[0].issuer: \"http://idp.example.com\" must use https:// "
              "(http:// is accepted only for loopback hosts, or with \"insecure: true\" on this "
              "issuer)\n"
              "t.yaml:1:1: missing required key \"schema\" in the top level (postern cannot run "
              "without a GraphQL schema; e.g. schema: schema.graphql)");

    /* a flood of errors is cut off after 100 */
    char big[20000];
    size_t o = 0;
    for (int i = 0; i < 300; i++)
        o += (size_t)snprintf(big + o, sizeof(big) - o, "k%d: 1\n", i);
    pst_diags d = PST_DIAGS_INIT;
    CHECK(load(big, &d) == NULL);
    CHECK(d.count == 101);
    CHECK_STR(d.last ? d.last->message : NULL, "too many errors; stopping after 100");
    pst_diags_free(&d);
}

/* Aliases that repeat a big list many times are cut off, quickly. */
static void test_alias_bomb(void)
{
    static char y[64000];
    size_t o = (size_t)snprintf(y, sizeof(y), "schema: s\nforward_headers: &h [");
    for (int i = 0; i < 2000; i++)
        o += (size_t)snprintf(y + o, sizeof(y) - o, "%sX-H%d", i ? ", " : "", i);
    o += (size_t)snprintf(y + o, sizeof(y) - o,
                          "]\noidc:\n  issuers:\n    - &i {issuer: https://a, audiences: *h}\n");
    for (int i = 0; i < 2000; i++)
        o += (size_t)snprintf(y + o, sizeof(y) - o, "    - *i\n");
    pst_diags d = PST_DIAGS_INIT;
    CHECK(load(y, &d) == NULL);
    CHECK(d.count == 1);
    CHECK(d.first && strstr(d.first->message, "the config holds more than 100000 values"));
    pst_diags_free(&d);

    o = (size_t)snprintf(y, sizeof(y), "schema: s\noidc:\n  issuers:\n");
    for (int i = 0; i < 101; i++)
        o += (size_t)snprintf(y + o, sizeof(y) - o, "    - {issuer: https://a%d, audiences: [x]}\n",
                              i);
    CHECK_STR(errors_of(y), "t.yaml:4:5: oidc.issuers: at most 100 issuers");
}

static void test_syntax_errors(void)
{
    CHECK_STR(errors_of("schema: s\nlisten: [a, b\nworkers: 1\n"),
              "t.yaml:3:8: invalid YAML: did not find expected ',' or ']' (while parsing a flow "
              "sequence that starts at line 2, column 9)");
    CHECK_STR(errors_of("schema: s\n  listen: x\n"),
              "t.yaml:2:9: invalid YAML: mapping values are not allowed in this context");
    CHECK_STR(errors_of("schema: s\n\tworkers: 1\n"),
              "t.yaml:2:1: invalid YAML: found a tab character that violates indentation (while "
              "scanning a plain scalar that starts at line 1, column 9)");
    CHECK_STR(errors_of("schema: s\nname: \"\xff\"\n"),
              "t.yaml:2:8: invalid YAML: invalid leading UTF-8 octet");
    CHECK_STR(errors_of("schema: s\n---\nschema: t\n"),
              "t.yaml:3:1: only one YAML document is allowed in the config");
    CHECK_STR(errors_of("schema: *nope\n"), "t.yaml:1:9: invalid YAML: found undefined alias");
    /* anchors and aliases themselves are fine */
    cfg_config *c = ok("schema: &s schema.graphql\npolicy: *s\n");
    if (c)
        CHECK_STR(c->policy, "/etc/postern/schema.graphql");
    cfg_free(c);
}

static void test_paths(void)
{
    pst_diags d = PST_DIAGS_INIT;
    const char *y = "schema: sub/s.graphql\npolicy: ../p.yaml\nidentity: {signing_key: /k.pem}\n";
    cfg_config *c = cfg_load_string(y, strlen(y), "x", NULL, &d);
    CHECK(c != NULL);
    if (c) {
        CHECK_STR(c->schema, "sub/s.graphql");
        CHECK_STR(c->policy, "../p.yaml");
        CHECK_STR(c->identity.signing_key, "/k.pem");
    }
    cfg_free(c);
    c = cfg_load_string(y, strlen(y), "x", "/", &d);
    if (c)
        CHECK_STR(c->schema, "/sub/s.graphql");
    cfg_free(c);
    CHECK(d.count == 0);

    /* the example config, loaded the way `postern serve` does */
    char cwd[PATH_MAX], want[PATH_MAX + 64];
    CHECK(getcwd(cwd, sizeof(cwd)) != NULL);
    c = cfg_load_file("config/postern.yaml", &d);
    if (d.count)
        pst_diags_print(&d, stderr);
    CHECK(c != NULL);
    CHECK(d.count == 0);
    if (c) {
        snprintf(want, sizeof(want), "%s/config/schema.graphql", cwd);
        CHECK_STR(c->schema, want);
        snprintf(want, sizeof(want), "%s/config/../policy/examples/policy.yaml", cwd);
        CHECK_STR(c->policy, want);
        snprintf(want, sizeof(want), "%s/config", cwd);
        CHECK_STR(c->base_dir, want);
        CHECK_STR(c->source, "config/postern.yaml");
        CHECK_STR(c->listen.text, "127.0.0.1:8080");
        CHECK_STR(c->admin_listen.text, "127.0.0.1:9090");
        CHECK_STR(c->nats.servers[0], "nats://127.0.0.1:4222");
        CHECK(c->oidc.n_issuers == 1);
        CHECK_STR(c->oidc.issuers[0].issuer, "http://127.0.0.1:9400");
        CHECK_STR(c->oidc.issuers[0].audiences[0], "orders-api");
        CHECK(c->limits.max_body_bytes == 1048576);
        CHECK(c->nats.retries.max_backoff_ms == 500);
    }
    cfg_free(c);

    /* a missing file names itself, without a position */
    c = cfg_load_file("tests/unit/config/no-such.yaml", &d);
    CHECK(c == NULL);
    CHECK_STR(join(&d), "tests/unit/config/no-such.yaml:0:0: cannot read the config: No such "
                        "file or directory");
    pst_diags_free(&d);
    c = cfg_load_file("tests/unit/config/bad.yaml", &d);
    CHECK(c == NULL);
    CHECK_STR(join(&d), "tests/unit/config/bad.yaml:3:5: unknown key \"retrys\" in nats (did you "
                        "mean \"retries\"?)");
    pst_diags_free(&d);
}

/* Fails each allocation in turn (1, 2, ... until a load needs no more):
 * loading returns NULL with an error or a complete config, never crashes or
 * leaks (ASan build). Returns how many loads failed. */
static int fail_each(const char *path, const char *yaml, size_t want_issuers)
{
    int successes = 0, failures = 0;
    for (long n = 1; n < 5000 && successes < 3; n++) {
        pst_diags d = PST_DIAGS_INIT;
        pst_mem_fail_at(n);
        cfg_config *c = path ? cfg_load_file(path, &d) : load(yaml, &d);
        pst_mem_fail_at(0);
        if (c) {
            successes++;
            CHECK(d.count == 0 && c->oidc.n_issuers == want_issuers && c->schema != NULL);
        } else {
            failures++;
            CHECK(d.count > 0);
        }
        cfg_free(c);
        pst_diags_free(&d);
    }
    CHECK(successes == 3);
    return failures;
}

static void test_alloc_failures(void)
{
    CHECK(fail_each("config/postern.yaml", NULL, 1) >= 8);

    char big[16000] = "schema: s\nforward_headers: [a, b, c, d]\noidc:\n  issuers:\n";
    size_t o = strlen(big);
    for (int i = 0; i < 40; i++)
        o += (size_t)snprintf(big + o, sizeof(big) - o,
                              "    - {issuer: https://idp%d.example.com/realms/main, audiences: "
                              "[orders-api-%d, x], jwks_uri: https://idp%d.example.com/jwks}\n",
                              i, i, i);
    CHECK(fail_each(NULL, big, 40) >= 20);

    /* configs with errors: always NULL, whichever allocation fails */
    const char *bad = "schema: s\nworkers: 9999\nlistn: 1\n";
    for (long n = 1; n < 40; n++) {
        pst_diags d = PST_DIAGS_INIT;
        pst_mem_fail_at(n);
        cfg_config *c = load(bad, &d);
        pst_mem_fail_at(0);
        CHECK(c == NULL && d.count > 0);
        pst_diags_free(&d);
        pst_mem_fail_at(n);
        c = cfg_defaults();
        pst_mem_fail_at(0);
        cfg_free(c);
    }
}

int main(void)
{
    test_defaults();
    test_values();
    test_partial();
    test_key_errors();
    test_type_errors();
    test_value_errors();
    test_oidc_errors();
    test_schema_required();
    test_env();
    test_many_errors();
    test_syntax_errors();
    test_alias_bomb();
    test_paths();
    test_alloc_failures();
    TEST_END();
}
