/* auth_verify against real keys served over HTTP by two in-process dev
 * issuers (ES256 via discovery, RS256 via jwks_uri): accepted tokens, every
 * refusal with its reason, the token cache and concurrent use. */
#include <pthread.h>
#include <strings.h>

#include <openssl/hmac.h>
#include <openssl/pem.h>

#include "auth_test_util.h"
#include "common/mem.h"
#include "test.h"

static dev_idp *es, *rs;
static dev_idp_key *attacker;
static auth_ctx *ctx, *nocache;
static char es_iss[512], rs_iss[512], es_kid[32], rs_kid[32];

static auth_ctx *make_ctx(size_t cache)
{
    static const char *aud[] = {"orders-api", "billing"};
    static const char *es_algs[] = {"ES256", "RS256"}, *rs_algs[] = {"RS256", "PS256"};
    char jwks[600];
    snprintf(jwks, sizeof(jwks), "%s/jwks.json", rs_iss);
    auth_issuer_opts iss[2] = {
        {.issuer = es_iss,
         .discovery = true,
         .audiences = aud,
         .n_audiences = 2,
         .algorithms = es_algs,
         .n_algorithms = 2,
         .jwks_min_refetch_ms = 1000},
        {.issuer = rs_iss,
         .jwks_uri = jwks,
         .audiences = aud,
         .n_audiences = 1,
         .algorithms = rs_algs,
         .n_algorithms = 2,
         .leeway_ms = 30000},
    };
    auth_opts o = {.issuers = iss, .n_issuers = 2, .token_cache = cache};
    const char *why = NULL;
    auth_ctx *c = auth_ctx_create(&o, &why);
    if (!c) {
        fprintf(stderr, "auth_ctx_create: %s\n", why);
        return NULL;
    }
    if (auth_ctx_start(c) != PST_OK || !auth_wait_ready(c, 10000))
        fprintf(stderr, "auth not ready\n");
    return c;
}

static json_t *es_claims(void)
{
    return claims_for(es_iss, "alice", 300);
}

static auth_reason es_token_reason(json_t *header, json_t *claims)
{
    char *t = sign_idp(es, header, claims);
    auth_reason r = verify_tok(nocache, t, NULL, 0);
    free(t);
    return r;
}

static void test_valid(void)
{
    char sub[64] = "";
    char *t = sign_idp(es, NULL, es_claims());
    CHECK(verify_tok(nocache, t, sub, sizeof(sub)) == AUTH_OK);
    CHECK_STR(sub, "alice");
    pst_arena *a = pst_arena_create(512);
    auth_principal *p = NULL;
    auth_reason why;
    CHECK(auth_verify(nocache, t, strlen(t), a, &p, &why) == PST_OK);
    CHECK(p && !p->anonymous);
    CHECK_STR(p ? p->iss : NULL, es_iss);
    CHECK_STR(p ? p->client : NULL, "web-app");
    CHECK(p && json_integer_value(json_object_get(p->claims, "exp")) > 0);
    pst_arena_destroy(a);
    free(t);

    t = sign_idp(rs, NULL, claims_for(rs_iss, "bob", 300));
    CHECK(verify_tok(nocache, t, sub, sizeof(sub)) == AUTH_OK);
    CHECK_STR(sub, "bob");
    free(t);

    /* an aud array holding ours, and the second configured audience */
    json_t *c = es_claims();
    json_object_set_new(c, "aud", json_pack("[ss]", "other", "orders-api"));
    CHECK(es_token_reason(NULL, c) == AUTH_OK);
    c = es_claims();
    json_object_set_new(c, "aud", json_string("billing"));
    CHECK(es_token_reason(NULL, c) == AUTH_OK);

    /* leeway (30 s on the RS issuer): expired 5 s ago and nbf in 10 s pass */
    c = claims_for(rs_iss, "bob", -5);
    json_object_set_new(c, "nbf", json_integer((json_int_t)time(NULL) + 10));
    t = sign_idp(rs, NULL, c);
    CHECK(verify_tok(nocache, t, NULL, 0) == AUTH_OK);
    free(t);
}

/* Replaces part i (0 header, 1 payload, 2 signature) of tok with repl. */
static char *replace_part(const char *tok, int i, const char *repl)
{
    const char *d1 = strchr(tok, '.'), *d2 = strchr(d1 + 1, '.');
    pst_buf b = {0};
    const char *start[3] = {tok, d1 + 1, d2 + 1}, *end[3] = {d1, d2, tok + strlen(tok)};
    for (int k = 0; k < 3; k++) {
        if (k)
            pst_buf_append_char(&b, '.');
        if (k == i)
            pst_buf_append_c(&b, repl);
        else
            pst_buf_append(&b, start[k], (size_t)(end[k] - start[k]));
    }
    char *out = strdup(pst_buf_cstr(&b));
    pst_buf_free(&b);
    return out;
}

static void test_shape(void)
{
    CHECK(verify_tok(nocache, "", NULL, 0) == AUTH_MISSING);
    CHECK(verify_tok(nocache, "abc.def", NULL, 0) == AUTH_MALFORMED);
    CHECK(verify_tok(nocache, "abc", NULL, 0) == AUTH_MALFORMED);
    CHECK(verify_tok(nocache, "a.b.c.d", NULL, 0) == AUTH_MALFORMED);
    char *t = sign_idp(es, NULL, es_claims());
    char *bad = replace_part(t, 0, "eyJhbGciOiJFUzI1NiJ9*"); /* '*' is not base64url */
    CHECK(verify_tok(nocache, bad, NULL, 0) == AUTH_MALFORMED);
    free(bad);
    bad = replace_part(t, 0, "eyJhbGciOiJFUzI1NiJ9+/"); /* standard base64 characters */
    CHECK(verify_tok(nocache, bad, NULL, 0) == AUTH_MALFORMED);
    free(bad);
    pst_buf h = {0};
    pst_b64url_append(&h, "not json", 8);
    bad = replace_part(t, 0, pst_buf_cstr(&h));
    CHECK(verify_tok(nocache, bad, NULL, 0) == AUTH_MALFORMED);
    free(bad);
    pst_buf_reset(&h);
    pst_b64url_append(&h, "[1]", 3); /* JSON but not an object */
    bad = replace_part(t, 0, pst_buf_cstr(&h));
    CHECK(verify_tok(nocache, bad, NULL, 0) == AUTH_MALFORMED);
    free(bad);
    pst_buf_reset(&h);
    pst_b64url_append(&h, "{\"sub\":\"mallory\"}", 17); /* tampered claims */
    bad = replace_part(t, 1, pst_buf_cstr(&h));
    CHECK(verify_tok(nocache, bad, NULL, 0) == AUTH_BAD_ISSUER); /* no iss: refused early */
    free(bad);
    pst_buf_free(&h);
    free(t);

    /* a validly shaped token whose claims were changed after signing */
    t = sign_idp(es, NULL, es_claims());
    json_t *c = es_claims();
    json_object_set_new(c, "sub", json_string("mallory"));
    char *other = sign_idp(es, NULL, c);
    const char *p1 = strchr(other, '.') + 1;
    char payload[4096];
    snprintf(payload, sizeof(payload), "%.*s", (int)(strchr(p1, '.') - p1), p1);
    bad = replace_part(t, 1, payload);
    CHECK(verify_tok(nocache, bad, NULL, 0) == AUTH_BAD_SIGNATURE);
    free(bad);
    bad = replace_part(t, 2, "");
    CHECK(verify_tok(nocache, bad, NULL, 0) == AUTH_BAD_SIGNATURE);
    free(bad);
    free(other);
    free(t);

    /* oversized: refused before parsing, even a validly signed one */
    char *big = malloc(AUTH_MAX_TOKEN_BYTES + 2);
    memset(big, 'a', AUTH_MAX_TOKEN_BYTES + 1);
    big[AUTH_MAX_TOKEN_BYTES + 1] = 0;
    CHECK(verify_tok(nocache, big, NULL, 0) == AUTH_TOO_LARGE);
    free(big);
    c = es_claims();
    char filler[9000];
    memset(filler, 'x', sizeof(filler) - 1);
    filler[sizeof(filler) - 1] = 0;
    json_object_set_new(c, "pad", json_string(filler));
    CHECK(es_token_reason(NULL, c) == AUTH_TOO_LARGE);
}

static void test_algorithms(void)
{
    /* alg none, with the issuer's signature and without any */
    CHECK(es_token_reason(json_pack("{ss}", "alg", "none"), es_claims()) == AUTH_BAD_ALGORITHM);
    char *t = sign_idp(es, json_pack("{ss}", "alg", "none"), es_claims());
    *(strrchr(t, '.') + 1) = 0;
    CHECK(verify_tok(nocache, t, NULL, 0) == AUTH_BAD_ALGORITHM);
    free(t);
    CHECK(es_token_reason(json_pack("{ss}", "alg", "None"), es_claims()) == AUTH_BAD_ALGORITHM);

    /* HS256 keyed with the RSA issuer's public key (PEM) as the secret */
    pst_buf in = {0};
    json_t *h = json_pack("{ss ss ss}", "alg", "HS256", "typ", "JWT", "kid", rs_kid);
    char *hs = json_dumps(h, JSON_COMPACT), *cs = NULL;
    json_t *c = claims_for(rs_iss, "mallory", 300);
    cs = json_dumps(c, JSON_COMPACT);
    pst_b64url_append(&in, hs, strlen(hs));
    pst_buf_append_char(&in, '.');
    pst_b64url_append(&in, cs, strlen(cs));
    unsigned char mac[32];
    unsigned int ml = 0;
    char pem[4096];
    BIO *bio = BIO_new(BIO_s_mem());
    /* the RS issuer's public key as PEM, rebuilt from what its JWKS serves */
    auth_jwks *j = NULL;
    const char *why;
    char uri[600];
    snprintf(uri, sizeof(uri), "%s/jwks.json", rs_iss);
    auth_issuer_opts jo = {.issuer = rs_iss, .jwks_uri = uri};
    j = auth_jwks_create(&jo, &why);
    CHECK(j && auth_jwks_start(j) == PST_OK && auth_jwks_wait_ready(j, 5000));
    auth_keyset *ks = j ? auth_jwks_acquire(j) : NULL;
    CHECK(ks && ks->n == 1);
    PEM_write_bio_PUBKEY(bio, ks->keys[0].pkey);
    int pl = BIO_read(bio, pem, sizeof(pem));
    HMAC(EVP_sha256(), pem, pl, (unsigned char *)in.p, in.len, mac, &ml);
    pst_buf_append_char(&in, '.');
    pst_b64url_append(&in, mac, ml);
    CHECK(verify_tok(nocache, pst_buf_cstr(&in), NULL, 0) == AUTH_BAD_ALGORITHM);
    auth_keyset_release(ks);
    auth_jwks_destroy(j);
    BIO_free(bio);
    free(hs);
    free(cs);
    json_decref(h);
    json_decref(c);
    pst_buf_free(&in);

    /* an algorithm outside the issuer's allowlist (RS issuer allows RS256, PS256) */
    t = sign_idp(rs, json_pack("{ss}", "alg", "RS384"), claims_for(rs_iss, "bob", 300));
    CHECK(verify_tok(nocache, t, NULL, 0) == AUTH_BAD_ALGORITHM);
    free(t);
    /* an allowed algorithm that does not fit the key named by kid (EC key, RS256) */
    t = sign_idp(es, json_pack("{ss}", "alg", "RS256"), es_claims());
    CHECK(verify_tok(nocache, t, NULL, 0) == AUTH_BAD_ALGORITHM);
    free(t);
    /* crit is never understood */
    CHECK(es_token_reason(json_pack("{s[s] sb}", "crit", "exp", "exp", 1), es_claims()) ==
          AUTH_MALFORMED);
}

static void test_foreign_keys(void)
{
    /* another key under a known kid */
    char *t = sign_with(attacker, json_pack("{ss}", "kid", es_kid), es_claims());
    CHECK(verify_tok(nocache, t, NULL, 0) == AUTH_BAD_SIGNATURE);
    free(t);
    /* an unknown kid */
    t = sign_with(attacker, json_pack("{ss}", "kid", "attacker-kid"), es_claims());
    CHECK(verify_tok(nocache, t, NULL, 0) == AUTH_UNKNOWN_KID);
    free(t);
    /* jku / x5u / jwk naming the attacker's own key are never followed */
    json_t *jwks = json_array();
    dev_idp_key_jwk(attacker, jwks);
    json_t *jwk = json_incref(json_array_get(jwks, 0));
    json_decref(jwks);
    const char *kids[2] = {es_kid, attacker->kid};
    auth_reason want[2] = {AUTH_BAD_SIGNATURE, AUTH_UNKNOWN_KID};
    for (int i = 0; i < 2; i++) {
        t = sign_with(attacker,
                      json_pack("{ss ss ss sO}", "kid", kids[i], "jku",
                                "http://127.0.0.1:1/attacker.json", "x5u",
                                "http://127.0.0.1:1/attacker.pem", "jwk", jwk),
                      es_claims());
        CHECK(verify_tok(nocache, t, NULL, 0) == want[i]);
        free(t);
    }
    json_decref(jwk);
}

static void test_claims(void)
{
    json_t *c = claims_for(es_iss, "alice", -10);
    CHECK(es_token_reason(NULL, c) == AUTH_EXPIRED);
    c = es_claims();
    json_object_set_new(c, "nbf", json_integer((json_int_t)time(NULL) + 3600));
    CHECK(es_token_reason(NULL, c) == AUTH_NOT_YET_VALID);
    c = es_claims();
    json_object_set_new(c, "iat", json_integer((json_int_t)time(NULL) + 86400));
    CHECK(es_token_reason(NULL, c) == AUTH_NOT_YET_VALID);
    c = es_claims();
    json_object_set_new(c, "iss", json_string("https://evil.example.com"));
    CHECK(es_token_reason(NULL, c) == AUTH_BAD_ISSUER);
    c = es_claims();
    json_object_set_new(c, "iss", json_string(rs_iss)); /* the other issuer: its keys, not ours */
    CHECK(es_token_reason(NULL, c) == AUTH_BAD_ALGORITHM);
    c = es_claims();
    json_object_del(c, "iss");
    CHECK(es_token_reason(NULL, c) == AUTH_BAD_ISSUER);
    c = es_claims();
    json_object_set_new(c, "aud", json_string("payments"));
    CHECK(es_token_reason(NULL, c) == AUTH_BAD_AUDIENCE);
    c = es_claims();
    json_object_set_new(c, "aud", json_pack("[ss]", "payments", "search"));
    CHECK(es_token_reason(NULL, c) == AUTH_BAD_AUDIENCE);
    c = es_claims();
    json_object_del(c, "aud");
    CHECK(es_token_reason(NULL, c) == AUTH_BAD_AUDIENCE);
    c = es_claims();
    json_object_del(c, "exp");
    CHECK(es_token_reason(NULL, c) == AUTH_MALFORMED);
    c = es_claims();
    json_object_set_new(c, "exp", json_string("9999999999"));
    CHECK(es_token_reason(NULL, c) == AUTH_MALFORMED);
    c = es_claims();
    json_object_set_new(c, "nbf", json_string("0"));
    CHECK(es_token_reason(NULL, c) == AUTH_MALFORMED);
    c = es_claims();
    json_object_del(c, "sub");
    CHECK(es_token_reason(NULL, c) == AUTH_MALFORMED);
    c = es_claims();
    json_object_set_new(c, "exp", json_real(1e300)); /* absurd but numeric: accepted */
    CHECK(es_token_reason(NULL, c) == AUTH_OK);
}

static void test_cache(void)
{
    auth_stats s0, s1;
    char *t = sign_idp(es, NULL, es_claims());
    auth_get_stats(ctx, &s0);
    for (int i = 0; i < 5; i++)
        CHECK(verify_tok(ctx, t, NULL, 0) == AUTH_OK);
    auth_get_stats(ctx, &s1);
    CHECK(s1.signature_checks - s0.signature_checks == 1);
    CHECK(s1.cache_hits - s0.cache_hits == 4);
    CHECK(s1.accepted - s0.accepted == 5);
    auth_get_stats(nocache, &s0);
    for (int i = 0; i < 5; i++)
        CHECK(verify_tok(nocache, t, NULL, 0) == AUTH_OK);
    auth_get_stats(nocache, &s1);
    CHECK(s1.signature_checks - s0.signature_checks == 5);
    CHECK(s1.cache_hits == 0);
    free(t);

    /* refusals are never cached */
    t = sign_with(attacker, json_pack("{ss}", "kid", es_kid), es_claims());
    auth_get_stats(ctx, &s0);
    CHECK(verify_tok(ctx, t, NULL, 0) == AUTH_BAD_SIGNATURE);
    CHECK(verify_tok(ctx, t, NULL, 0) == AUTH_BAD_SIGNATURE);
    auth_get_stats(ctx, &s1);
    CHECK(s1.signature_checks - s0.signature_checks == 2);
    CHECK(s1.refused[AUTH_BAD_SIGNATURE] - s0.refused[AUTH_BAD_SIGNATURE] == 2);
    free(t);

    /* an entry lives until exp: a token expiring in 2 s is refused afterwards */
    time_t now = time(NULL);
    t = sign_idp(es, NULL, claims_for(es_iss, "short", 2));
    CHECK(verify_tok(ctx, t, NULL, 0) == AUTH_OK);
    auth_get_stats(ctx, &s0);
    CHECK(verify_tok(ctx, t, NULL, 0) == AUTH_OK);
    auth_get_stats(ctx, &s1);
    CHECK(s1.cache_hits - s0.cache_hits == 1);
    while (time(NULL) < now + 3)
        sleep_ms(50);
    CHECK(verify_tok(ctx, t, NULL, 0) == AUTH_EXPIRED);
    auth_get_stats(ctx, &s0);
    CHECK(s0.cache_hits == s1.cache_hits);
    free(t);
}

static char *shared_tokens[8];
static int thread_fail;

static void *hammer(void *arg)
{
    (void)arg;
    for (int i = 0; i < 400; i++)
        if (verify_tok(ctx, shared_tokens[i % 8], NULL, 0) != AUTH_OK)
            __atomic_add_fetch(&thread_fail, 1, __ATOMIC_RELAXED);
    return NULL;
}

static void test_threads(void)
{
    for (int i = 0; i < 8; i++) {
        char sub[16];
        snprintf(sub, sizeof(sub), "user%d", i);
        shared_tokens[i] =
            sign_idp(i % 2 ? rs : es, NULL, claims_for(i % 2 ? rs_iss : es_iss, sub, 300));
    }
    pthread_t th[4];
    for (int i = 0; i < 4; i++)
        pthread_create(&th[i], NULL, hammer, NULL);
    for (int i = 0; i < 4; i++)
        pthread_join(th[i], NULL);
    CHECK(thread_fail == 0);
    for (int i = 0; i < 8; i++)
        free(shared_tokens[i]);
}

static const char *one_header(void *ud, const char *name)
{
    return strcasecmp(name, "authorization") ? NULL : ud;
}

static auth_reason authenticate(const char *value, bool anon, const char **sub)
{
    static char subbuf[64];
    pst_arena *a = pst_arena_create(256);
    auth_principal *p = NULL;
    auth_reason why = AUTH_REASON_COUNT;
    *sub = NULL;
    if (auth_authenticate(nocache, AUTH_DEFAULT_SOURCES, 1, one_header, (void *)value, anon, a, &p,
                          &why) == PST_OK) {
        snprintf(subbuf, sizeof(subbuf), "%s", p->sub);
        *sub = subbuf;
    }
    pst_arena_destroy(a);
    return why;
}

static void test_authenticate(void)
{
    char *t = sign_idp(es, NULL, es_claims()), hdr[2048];
    const char *sub;
    snprintf(hdr, sizeof(hdr), "bearer   %s", t);
    CHECK(authenticate(hdr, false, &sub) == AUTH_OK);
    CHECK_STR(sub, "alice");
    CHECK(authenticate(NULL, false, &sub) == AUTH_MISSING && !sub);
    CHECK(authenticate("Basic dXNlcjpwYXNz", false, &sub) == AUTH_MISSING);
    CHECK(authenticate("Bearer ", false, &sub) == AUTH_MISSING);
    CHECK(authenticate(NULL, true, &sub) == AUTH_OK);
    CHECK_STR(sub, "anonymous");
    CHECK(authenticate("Basic dXNlcjpwYXNz", true, &sub) == AUTH_OK);
    char *c = &hdr[strlen(hdr) - 3]; /* another valid base64url character in the signature */
    *c = *c == 'A' ? 'B' : 'A';      /* a present but invalid token is refused, anonymous or not */
    CHECK(authenticate(hdr, true, &sub) == AUTH_BAD_SIGNATURE && !sub);
    CHECK(authenticate("Bearer a.b", true, &sub) == AUTH_MALFORMED);
    free(t);
}

/* Every allocation of ours failing in turn: an error or a normal answer,
 * never a crash or a leak (ASan), and nothing cached from a failed call. */
static void test_alloc_failures(void)
{
    int outcomes[3] = {0};
    for (long n = 1; n <= 12; n++) {
        char sub[16];
        snprintf(sub, sizeof(sub), "oom%ld", n);
        char *t = sign_idp(es, NULL, claims_for(es_iss, sub, 300));
        pst_arena *a = pst_arena_create(64);
        char big[2048];
        pst_arena_alloc(a, sizeof(big)); /* the principal needs a new block */
        auth_principal *p = NULL;
        auth_reason why = AUTH_REASON_COUNT;
        pst_mem_fail_at(n);
        pst_status s = auth_verify(ctx, t, strlen(t), a, &p, &why);
        pst_mem_fail_at(0);
        CHECK(s == PST_OK || s == PST_ERROR);
        outcomes[s == PST_OK ? 0 : 1]++;
        if (s == PST_OK)
            CHECK(p && !strcmp(p->sub, sub));
        pst_arena_destroy(a);
        CHECK(verify_tok(ctx, t, NULL, 0) == AUTH_OK);
        free(t);
    }
    CHECK(outcomes[0] > 0 && outcomes[1] > 0);
    const char *why;
    char doc[] = "{\"keys\":[{\"kty\":\"EC\",\"crv\":\"P-256\",\"kid\":\"a\","
                 "\"x\":\"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU\","
                 "\"y\":\"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0\"}]}";
    for (long n = 1; n <= 4; n++) {
        pst_mem_fail_at(n);
        auth_keyset *ks = auth_keyset_parse(doc, strlen(doc), &why);
        pst_mem_fail_at(0);
        CHECK(ks == NULL || ks->n == 1);
        auth_keyset_release(ks);
    }
}

static void test_bad_config(void)
{
    const char *why = NULL;
    static const char *aud[] = {"a"}, *hs[] = {"HS256"}, *none[] = {"none"};
    auth_issuer_opts o = {
        .issuer = "https://idp.example.com", .discovery = true, .audiences = aud, .n_audiences = 1};
    auth_opts ao = {.issuers = &o, .n_issuers = 1};
    o.algorithms = hs, o.n_algorithms = 1;
    CHECK(auth_ctx_create(&ao, &why) == NULL && why);
    o.algorithms = none;
    CHECK(auth_ctx_create(&ao, &why) == NULL && why);
    o.n_algorithms = 0, o.n_audiences = 0;
    CHECK(auth_ctx_create(&ao, &why) == NULL && why);
    o.n_audiences = 1, o.issuer = "http://idp.example.com"; /* http:// off loopback */
    CHECK(auth_ctx_create(&ao, &why) == NULL && why);
    o.insecure = true;
    auth_issuer_opts twice[2] = {o, o};
    auth_opts ao2 = {.issuers = twice, .n_issuers = 2};
    CHECK(auth_ctx_create(&ao2, &why) == NULL &&
          !strcmp(why, "the same issuer is configured twice"));
    auth_ctx *c = auth_ctx_create(&ao, &why);
    CHECK(c != NULL);
    CHECK(!auth_ready(c));
    CHECK_STR(auth_unready_issuer(c), "http://idp.example.com");
    auth_ctx_destroy(c);
}

int main(void)
{
    es = start_idp(AUTH_ALG_ES256);
    rs = start_idp(AUTH_ALG_RS256);
    attacker = dev_idp_key_generate(AUTH_ALG_ES256);
    if (!es || !rs || !attacker)
        return 1;
    snprintf(es_iss, sizeof(es_iss), "%s", dev_idp_issuer(es));
    snprintf(rs_iss, sizeof(rs_iss), "%s", dev_idp_issuer(rs));
    dev_idp_current_kid(es, es_kid);
    dev_idp_current_kid(rs, rs_kid);
    ctx = make_ctx(1000);
    nocache = make_ctx(0);
    CHECK(ctx && nocache && auth_ready(ctx) && auth_ready(nocache));
    if (ctx && nocache) {
        test_valid();
        test_shape();
        test_algorithms();
        test_foreign_keys();
        test_claims();
        test_cache();
        test_threads();
        test_authenticate();
        test_alloc_failures();
    }
    test_bad_config();
    auth_ctx_destroy(ctx);
    auth_ctx_destroy(nocache);
    dev_idp_key_free(attacker);
    dev_idp_stop(es);
    dev_idp_stop(rs);
    TEST_END();
}
