/* JWKS fetching and key handling: JOSE round trips for every algorithm,
 * JWKS parsing, the URL policy, discovery, key rotation with rate-limited
 * re-fetches, and an issuer that goes down after start. Keys are served
 * over real HTTP by in-process dev issuers on 127.0.0.1. */
#include <openssl/ec.h>
#include <openssl/rsa.h>

#include "auth_test_util.h"
#include "test.h"

static void test_b64url(void)
{
    unsigned char out[16];
    CHECK(pst_b64url_decode("", 0, out) == 0);
    CHECK(pst_b64url_decode("Zg", 2, out) == 1 && out[0] == 'f');
    CHECK(pst_b64url_decode("Zm9v", 4, out) == 3 && !memcmp(out, "foo", 3));
    CHECK(pst_b64url_decode("Zh", 2, out) == -1);   /* non-zero trailing bits */
    CHECK(pst_b64url_decode("Z", 1, out) == -1);    /* impossible length */
    CHECK(pst_b64url_decode("Zm8=", 4, out) == -1); /* padding */
    CHECK(pst_b64url_decode("-_-_", 4, out) == 3 && out[0] == 0xfb && out[2] == 0xbf);
    pst_buf b = {0};
    CHECK(pst_b64url_append(&b, "\xfb\xff\xbf", 3) == PST_OK);
    CHECK_STR(pst_buf_cstr(&b), "-_-_");
    pst_buf_free(&b);
}

static EVP_PKEY *key_for(auth_alg alg)
{
    switch (auth_alg_kty(alg)) {
    case AUTH_KTY_RSA:
        return EVP_RSA_gen(2048);
    case AUTH_KTY_EC256:
        return EVP_EC_gen("P-256");
    case AUTH_KTY_EC384:
        return EVP_EC_gen("P-384");
    case AUTH_KTY_EC521:
        return EVP_EC_gen("P-521");
    default:
        return EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
    }
}

/* Every algorithm: sign, verify through a JWK round trip, reject tampering. */
static void test_algorithms(void)
{
    static const char input[] = "eyJhbGciOiJ4In0.eyJzdWIiOiJ4In0";
    EVP_PKEY *rsa = EVP_RSA_gen(2048);
    for (int a = AUTH_ALG_RS256; a < AUTH_ALG_COUNT; a++) {
        EVP_PKEY *priv = auth_alg_kty(a) == AUTH_KTY_RSA ? rsa : key_for(a);
        pst_buf sig = {0};
        CHECK(auth_jws_sign_append(a, priv, input, sizeof(input) - 1, &sig) == PST_OK);
        json_t *jwk = json_object();
        CHECK(auth_pkey_to_jwk(priv, jwk) == PST_OK);
        auth_kty kty;
        const char *why;
        EVP_PKEY *pub = auth_jwk_to_pkey(jwk, &kty, &why);
        CHECK(pub && kty == auth_alg_kty(a));
        unsigned char raw[600];
        long n = pst_b64url_decode(sig.p, sig.len, raw);
        CHECK(n > 0);
        bool ok = pub && auth_jws_verify(a, pub, input, sizeof(input) - 1, raw, (size_t)n);
        if (!ok)
            fprintf(stderr, "  algorithm %s failed\n", auth_alg_name(a));
        CHECK(ok);
        raw[n / 2] ^= 1;
        CHECK(!auth_jws_verify(a, pub, input, sizeof(input) - 1, raw, (size_t)n));
        raw[n / 2] ^= 1;
        CHECK(!auth_jws_verify(a, pub, input, sizeof(input) - 2, raw, (size_t)n));
        CHECK(!auth_jws_verify(a, pub, input, sizeof(input) - 1, raw, (size_t)n - 1));
        /* the same key under an algorithm of another family never verifies */
        auth_alg other = auth_alg_kty(a) == AUTH_KTY_RSA ? AUTH_ALG_ES256 : AUTH_ALG_RS256;
        CHECK(!auth_jws_verify(other, pub, input, sizeof(input) - 1, raw, (size_t)n));
        EVP_PKEY_free(pub);
        json_decref(jwk);
        pst_buf_free(&sig);
        if (priv != rsa)
            EVP_PKEY_free(priv);
    }
    /* RS256 and PS256 signatures are not interchangeable */
    pst_buf sig = {0};
    auth_jws_sign_append(AUTH_ALG_RS256, rsa, input, 5, &sig);
    unsigned char raw[600];
    long n = pst_b64url_decode(sig.p, sig.len, raw);
    CHECK(auth_jws_verify(AUTH_ALG_RS256, rsa, input, 5, raw, (size_t)n));
    CHECK(!auth_jws_verify(AUTH_ALG_PS256, rsa, input, 5, raw, (size_t)n));
    pst_buf_free(&sig);
    EVP_PKEY_free(rsa);
    CHECK(auth_alg_parse(PST_STR_LIT("none")) == AUTH_ALG_UNKNOWN);
    CHECK(auth_alg_parse(PST_STR_LIT("HS256")) == AUTH_ALG_UNKNOWN);
    CHECK(auth_alg_parse(PST_STR_LIT("es256")) == AUTH_ALG_UNKNOWN);
}

static char *jwk_text(EVP_PKEY *k, const char *kid, const char *extra_name, const char *extra)
{
    json_t *jwk = json_object();
    auth_pkey_to_jwk(k, jwk);
    if (kid)
        json_object_set_new(jwk, "kid", json_string(kid));
    if (extra_name)
        json_object_set_new(jwk, extra_name, json_string(extra));
    char *s = json_dumps(jwk, JSON_COMPACT);
    json_decref(jwk);
    return s;
}

static void test_keyset_parse(void)
{
    const char *why = NULL;
    CHECK(auth_keyset_parse("nope", 4, &why) == NULL && why);
    CHECK(auth_keyset_parse("{\"keys\":{}}", 11, &why) == NULL);
    CHECK(auth_keyset_parse("{\"keys\":[]}", 11, &why) == NULL);
    EVP_PKEY *weak = EVP_RSA_gen(1024), *ec = EVP_EC_gen("P-256"), *ec2 = EVP_EC_gen("P-256");
    char *w = jwk_text(weak, "weak", NULL, NULL), *enc = jwk_text(ec, "enc", "use", "enc");
    char *good = jwk_text(ec, "good", NULL, NULL), *mism = jwk_text(ec, "m", "alg", "RS256");
    char *second = jwk_text(ec2, NULL, NULL, NULL);
    json_t *off = json_loads(good, 0, NULL);
    json_object_set_new(off, "kid", json_string("off"));
    json_object_set_new(off, "y", json_string("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"));
    char *offc = json_dumps(off, JSON_COMPACT);
    json_decref(off);
    char doc[8192];
    snprintf(doc, sizeof(doc),
             "{\"keys\":[%s,%s,%s,{\"kty\":\"oct\",\"k\":\"c2VjcmV0\",\"kid\":\"hs\"},%s]}", w, enc,
             mism, offc);
    CHECK(auth_keyset_parse(doc, strlen(doc), &why) == NULL); /* nothing usable */
    snprintf(doc, sizeof(doc), "{\"keys\":[%s,%s,%s]}", w, good, offc);
    auth_keyset *ks = auth_keyset_parse(doc, strlen(doc), &why);
    CHECK(ks && ks->n == 1);
    CHECK(ks && auth_keyset_find(ks, "good", 4, AUTH_ALG_ES256) == &ks->keys[0]);
    CHECK(ks && auth_keyset_find(ks, "goo", 3, AUTH_ALG_ES256) == NULL);
    CHECK(ks && auth_keyset_find(ks, NULL, 0, AUTH_ALG_ES256) == &ks->keys[0]); /* the only one */
    CHECK(ks && auth_keyset_find(ks, NULL, 0, AUTH_ALG_RS256) == NULL);
    auth_keyset_release(ks);
    snprintf(doc, sizeof(doc), "{\"keys\":[%s,%s]}", good, second);
    ks = auth_keyset_parse(doc, strlen(doc), &why);
    CHECK(ks && ks->n == 2);
    CHECK(ks && auth_keyset_find(ks, NULL, 0, AUTH_ALG_ES256) == NULL); /* ambiguous */
    auth_keyset_release(ks);
    free(w), free(enc), free(good), free(mism), free(second), free(offc);
    EVP_PKEY_free(weak), EVP_PKEY_free(ec), EVP_PKEY_free(ec2);
}

static void test_urls(void)
{
    CHECK(auth_url_allowed("https://idp.example.com/jwks", false));
    CHECK(auth_url_allowed("http://127.0.0.1:9400/jwks.json", false));
    CHECK(auth_url_allowed("http://127.3.4.5/x", false));
    CHECK(auth_url_allowed("http://localhost:9400/", false));
    CHECK(auth_url_allowed("http://[::1]:9400/", false));
    CHECK(!auth_url_allowed("http://10.0.0.1/jwks", false));
    CHECK(!auth_url_allowed("http://127.0.0.1@evil.example.com/jwks", false));
    CHECK(!auth_url_allowed("http://127.0.0.1.evil.example.com/jwks", false));
    CHECK(!auth_url_allowed("ftp://127.0.0.1/jwks", false));
    CHECK(!auth_url_allowed("file:///etc/passwd", true));
    CHECK(!auth_url_allowed("not a url", false));
    CHECK(auth_url_allowed("http://10.0.0.1/jwks", true));
}

static auth_ctx *ctx_for(const char *issuer, const char *jwks_uri, const char *alg,
                         int64_t refresh_ms, size_t cache)
{
    static const char *aud[] = {"orders-api"};
    const char *algs[] = {alg};
    auth_issuer_opts o = {.issuer = issuer,
                          .discovery = jwks_uri == NULL,
                          .jwks_uri = jwks_uri,
                          .audiences = aud,
                          .n_audiences = 1,
                          .algorithms = algs,
                          .n_algorithms = 1,
                          .jwks_refresh_ms = refresh_ms,
                          .jwks_min_refetch_ms = 1000};
    auth_opts ao = {.issuers = &o, .n_issuers = 1, .token_cache = cache};
    const char *why;
    auth_ctx *c = auth_ctx_create(&ao, &why);
    if (c && auth_ctx_start(c) != PST_OK) {
        auth_ctx_destroy(c);
        return NULL;
    }
    return c;
}

static char *mint(dev_idp *idp, const char *sub)
{
    return sign_idp(idp, NULL, claims_for(dev_idp_issuer(idp), sub, 300));
}

static void test_eddsa_issuer(void)
{
    dev_idp *idp = start_idp(AUTH_ALG_EDDSA);
    CHECK(idp != NULL);
    if (!idp)
        return;
    auth_ctx *c = ctx_for(dev_idp_issuer(idp), NULL, "EdDSA", 0, 0);
    CHECK(c && auth_wait_ready(c, 5000));
    char *t = mint(idp, "eddie");
    char sub[32] = "";
    CHECK(c && verify_tok(c, t, sub, sizeof(sub)) == AUTH_OK);
    CHECK_STR(sub, "eddie");
    free(t);
    auth_ctx_destroy(c);
    dev_idp_stop(idp);
}

static void test_discovery_mismatch(void)
{
    const char *why;
    dev_idp_opts o = {.port = 0, .issuer = "https://someone-else.example.com"};
    dev_idp *idp = dev_idp_start(&o, &why);
    CHECK(idp != NULL);
    if (!idp)
        return;
    char issuer[128];
    snprintf(issuer, sizeof(issuer), "http://127.0.0.1:%d", dev_idp_port(idp));
    auth_ctx *c = ctx_for(issuer, NULL, "ES256", 0, 0);
    CHECK(c && !auth_wait_ready(c, 500));
    auth_stats st;
    auth_get_stats(c, &st);
    CHECK(st.jwks_fetch_failed >= 1 && st.jwks_fetch_ok == 0);
    auth_ctx_destroy(c);
    dev_idp_stop(idp);
}

/* Waits (bounded) until tok verifies; returns the last reason. */
static auth_reason wait_accepted(auth_ctx *c, const char *tok, int max_ms)
{
    auth_reason r = AUTH_REASON_COUNT;
    for (int waited = 0; waited <= max_ms; waited += 50) {
        if ((r = verify_tok(c, tok, NULL, 0)) == AUTH_OK)
            break;
        sleep_ms(50);
    }
    return r;
}

static void test_rotation(void)
{
    dev_idp *idp = start_idp(AUTH_ALG_ES256);
    if (!idp)
        return;
    auth_ctx *c = ctx_for(dev_idp_issuer(idp), NULL, "ES256", 0, 0);
    CHECK(c && auth_wait_ready(c, 5000));
    char *old = mint(idp, "before");
    CHECK(verify_tok(c, old, NULL, 0) == AUTH_OK);
    char kid1[32], kid2[32];
    dev_idp_current_kid(idp, kid1);
    CHECK(dev_idp_rotate(idp) == PST_OK);
    dev_idp_current_kid(idp, kid2);
    CHECK(strcmp(kid1, kid2) != 0);
    char *fresh = mint(idp, "after");
    auth_stats s0, s1;
    auth_get_stats(c, &s0);
    CHECK(verify_tok(c, fresh, NULL, 0) == AUTH_UNKNOWN_KID);
    CHECK(wait_accepted(c, fresh, 5000) == AUTH_OK); /* re-fetched within min_refetch (1 s) */
    auth_get_stats(c, &s1);
    CHECK(s1.jwks_fetch_ok - s0.jwks_fetch_ok == 1); /* many unknown-kid refusals, one fetch */
    CHECK(verify_tok(c, old, NULL, 0) == AUTH_OK);   /* the previous key is still published */

    /* a flood of unknown kids costs at most one fetch per second */
    dev_idp_key *attacker = dev_idp_key_generate(AUTH_ALG_ES256);
    auth_get_stats(c, &s0);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (int i = 0; i < 30; i++) {
        char kid[32];
        snprintf(kid, sizeof(kid), "random-%d", i);
        char *t = sign_with(attacker, json_pack("{ss}", "kid", kid),
                            claims_for(dev_idp_issuer(idp), "x", 300));
        CHECK(verify_tok(c, t, NULL, 0) == AUTH_UNKNOWN_KID);
        free(t);
        sleep_ms(50);
    }
    sleep_ms(300);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    auth_get_stats(c, &s1);
    long elapsed_s = (long)(t1.tv_sec - t0.tv_sec) + 1;
    CHECK(s1.jwks_fetch_ok - s0.jwks_fetch_ok >= 1);
    CHECK((long)(s1.jwks_fetch_ok - s0.jwks_fetch_ok) <= elapsed_s);
    dev_idp_key_free(attacker);
    free(old);
    free(fresh);
    auth_ctx_destroy(c);
    dev_idp_stop(idp);
}

static void test_issuer_down(void)
{
    dev_idp *idp = start_idp(AUTH_ALG_RS256);
    if (!idp)
        return;
    char issuer[256], uri[300];
    snprintf(issuer, sizeof(issuer), "%s", dev_idp_issuer(idp));
    snprintf(uri, sizeof(uri), "%s/jwks.json", issuer);
    auth_ctx *c = ctx_for(issuer, uri, "RS256", 200, 0); /* refresh every 200 ms */
    CHECK(c && auth_wait_ready(c, 5000));
    char *before = mint(idp, "before"), *later = mint(idp, "later");
    CHECK(verify_tok(c, before, NULL, 0) == AUTH_OK);
    dev_idp_stop(idp);
    auth_stats st = {0};
    for (int i = 0; i < 100 && st.jwks_fetch_failed < 2; i++) {
        sleep_ms(50);
        auth_get_stats(c, &st);
    }
    CHECK(st.jwks_fetch_failed >= 2);
    CHECK(auth_ready(c));
    CHECK(verify_tok(c, before, NULL, 0) == AUTH_OK); /* no cache here: real verification */
    CHECK(verify_tok(c, later, NULL, 0) == AUTH_OK);
    free(before);
    free(later);
    auth_ctx_destroy(c);

    /* an issuer that is down from the start: not ready, tokens refused */
    c = ctx_for(issuer, uri, "RS256", 0, 0);
    CHECK(c && !auth_wait_ready(c, 300));
    CHECK(c && !auth_ready(c));
    dev_idp_key *k = dev_idp_key_generate(AUTH_ALG_RS256);
    char *t = sign_with(k, NULL, claims_for(issuer, "x", 300));
    CHECK(verify_tok(c, t, NULL, 0) == AUTH_UNKNOWN_KID);
    free(t);
    dev_idp_key_free(k);
    auth_ctx_destroy(c);
}

int main(void)
{
    test_b64url();
    test_algorithms();
    test_keyset_parse();
    test_urls();
    test_eddsa_issuer();
    test_discovery_mismatch();
    test_rotation();
    test_issuer_down();
    TEST_END();
}
