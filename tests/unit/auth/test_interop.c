/* Interoperability with an independent JOSE implementation (cjose, the one
 * liboauth2 uses): tokens signed by cjose verify with postern's JOSE code
 * from cjose's public JWK, and postern's signatures and JWKs verify with
 * cjose, for every RSA and ECDSA algorithm both support. Guards against a
 * self-consistent mistake (PSS salt, ECDSA r||s, JWK coordinates). */
#include <cjose/cjose.h>
#include <openssl/ec.h>
#include <openssl/rsa.h>

#include "auth/jwks.h"
#include "test.h"

static const struct {
    auth_alg alg;
    int curve; /* -1: RSA */
} CASES[] = {
    {AUTH_ALG_RS256, -1},
    {AUTH_ALG_RS384, -1},
    {AUTH_ALG_RS512, -1},
    {AUTH_ALG_PS256, -1},
    {AUTH_ALG_PS384, -1},
    {AUTH_ALG_PS512, -1},
    {AUTH_ALG_ES256, CJOSE_JWK_EC_P_256},
    {AUTH_ALG_ES384, CJOSE_JWK_EC_P_384},
    {AUTH_ALG_ES512, CJOSE_JWK_EC_P_521},
};

static const char PAYLOAD[] = "{\"iss\":\"https://idp\",\"sub\":\"alice\",\"exp\":4102444800}";

static cjose_jwk_t *cjose_key(int curve)
{
    static const uint8_t e[] = {1, 0, 1};
    cjose_err err;
    cjose_jwk_t *k = curve < 0 ? cjose_jwk_create_RSA_random(2048, e, sizeof(e), &err)
                               : cjose_jwk_create_EC_random((cjose_jwk_ec_curve)curve, &err);
    if (k)
        cjose_jwk_set_kid(k, "k1", 2, &err);
    return k;
}

/* cjose signs; postern verifies with the key parsed from cjose's JWK. */
static bool cjose_to_postern(auth_alg alg, int curve)
{
    cjose_err err;
    cjose_jwk_t *k = cjose_key(curve);
    char *pub = k ? cjose_jwk_to_json(k, false, &err) : NULL;
    char doc[4096];
    snprintf(doc, sizeof(doc), "{\"keys\":[%s]}", pub ? pub : "");
    const char *why = NULL;
    auth_keyset *ks = auth_keyset_parse(doc, strlen(doc), &why);
    const auth_key *key = ks ? auth_keyset_find(ks, "k1", 2, alg) : NULL;
    cjose_header_t *h = cjose_header_new(&err);
    cjose_header_set(h, CJOSE_HDR_ALG, auth_alg_name(alg), &err);
    cjose_jws_t *jws =
        k ? cjose_jws_sign(k, h, (const uint8_t *)PAYLOAD, sizeof(PAYLOAD) - 1, &err) : NULL;
    const char *compact = NULL;
    bool ok = false;
    if (key && jws && cjose_jws_export(jws, &compact, &err)) {
        const char *last = strrchr(compact, '.');
        unsigned char sig[600];
        long n = pst_b64url_decode(last + 1, strlen(last + 1), sig);
        ok = n > 0 &&
             auth_jws_verify(alg, key->pkey, compact, (size_t)(last - compact), sig, (size_t)n);
        /* and a flipped bit in the signing input is refused */
        char *bad = strdup(compact);
        bad[5] ^= 1;
        ok = ok && !auth_jws_verify(alg, key->pkey, bad, (size_t)(last - compact), sig, (size_t)n);
        free(bad);
    }
    cjose_jws_release(jws);
    cjose_header_release(h);
    free(pub);
    cjose_jwk_release(k);
    auth_keyset_release(ks);
    return ok;
}

static EVP_PKEY *openssl_key(int curve)
{
    if (curve < 0)
        return EVP_RSA_gen(2048);
    return EVP_EC_gen(curve == CJOSE_JWK_EC_P_256   ? "P-256"
                      : curve == CJOSE_JWK_EC_P_384 ? "P-384"
                                                    : "P-521");
}

/* postern signs and publishes the JWK; cjose verifies. */
static bool postern_to_cjose(auth_alg alg, int curve)
{
    EVP_PKEY *pk = openssl_key(curve);
    json_t *jwk = json_object();
    bool ok = false;
    if (!pk || auth_pkey_to_jwk(pk, jwk) != PST_OK) {
        EVP_PKEY_free(pk);
        json_decref(jwk);
        return false;
    }
    char *jwk_text = json_dumps(jwk, JSON_COMPACT);
    cjose_err err;
    cjose_jwk_t *ck = cjose_jwk_import(jwk_text, strlen(jwk_text), &err);
    pst_buf tok = {0};
    char hdr[64];
    snprintf(hdr, sizeof(hdr), "{\"alg\":\"%s\"}", auth_alg_name(alg));
    pst_b64url_append(&tok, hdr, strlen(hdr));
    pst_buf_append_char(&tok, '.');
    pst_b64url_append(&tok, PAYLOAD, sizeof(PAYLOAD) - 1);
    size_t in_len = tok.len;
    char *input = malloc(in_len + 1); /* tok.p is not NUL-terminated */
    if (input) {
        memcpy(input, tok.p, in_len);
        input[in_len] = '\0';
    }
    pst_buf_append_char(&tok, '.');
    if (ck && auth_jws_sign_append(alg, pk, input, in_len, &tok) == PST_OK) {
        cjose_jws_t *jws = cjose_jws_import(tok.p, tok.len, &err);
        ok = jws && cjose_jws_verify(jws, ck, &err);
        cjose_jws_release(jws);
    }
    free(input);
    pst_buf_free(&tok);
    cjose_jwk_release(ck);
    free(jwk_text);
    json_decref(jwk);
    EVP_PKEY_free(pk);
    return ok;
}

int main(void)
{
    for (size_t i = 0; i < sizeof(CASES) / sizeof(CASES[0]); i++) {
        bool a = cjose_to_postern(CASES[i].alg, CASES[i].curve);
        bool b = postern_to_cjose(CASES[i].alg, CASES[i].curve);
        if (!a || !b)
            fprintf(stderr, "  %s: cjose->postern %d, postern->cjose %d\n",
                    auth_alg_name(CASES[i].alg), a, b);
        CHECK(a);
        CHECK(b);
    }
    TEST_END();
}
