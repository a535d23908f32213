#include "auth/jose.h"

#include "common/b64url.h"

#include <pthread.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/param_build.h>
#include <openssl/rsa.h>

static const struct {
    const char *name;
    auth_kty kty;
} ALGS[AUTH_ALG_COUNT] = {
    [AUTH_ALG_UNKNOWN] = {"unknown", AUTH_KTY_NONE}, [AUTH_ALG_RS256] = {"RS256", AUTH_KTY_RSA},
    [AUTH_ALG_RS384] = {"RS384", AUTH_KTY_RSA},      [AUTH_ALG_RS512] = {"RS512", AUTH_KTY_RSA},
    [AUTH_ALG_PS256] = {"PS256", AUTH_KTY_RSA},      [AUTH_ALG_PS384] = {"PS384", AUTH_KTY_RSA},
    [AUTH_ALG_PS512] = {"PS512", AUTH_KTY_RSA},      [AUTH_ALG_ES256] = {"ES256", AUTH_KTY_EC256},
    [AUTH_ALG_ES384] = {"ES384", AUTH_KTY_EC384},    [AUTH_ALG_ES512] = {"ES512", AUTH_KTY_EC521},
    [AUTH_ALG_EDDSA] = {"EdDSA", AUTH_KTY_ED25519},
};

auth_alg auth_alg_parse(pst_str name)
{
    for (int i = 1; i < AUTH_ALG_COUNT; i++)
        if (pst_str_eq_c(name, ALGS[i].name))
            return (auth_alg)i;
    return AUTH_ALG_UNKNOWN;
}

const char *auth_alg_name(auth_alg alg)
{
    return (alg > 0 && alg < AUTH_ALG_COUNT) ? ALGS[alg].name : "unknown";
}

auth_kty auth_alg_kty(auth_alg alg)
{
    return (alg > 0 && alg < AUTH_ALG_COUNT) ? ALGS[alg].kty : AUTH_KTY_NONE;
}

/* Digests fetched once: with OpenSSL 3.0 the legacy EVP_sha256() (and
 * SHA256()) re-fetch the implementation on every use, which cost several
 * times the signature check itself. */
static EVP_MD *md_sha[3];
static pthread_once_t md_once = PTHREAD_ONCE_INIT;

static void md_init(void)
{
    md_sha[0] = EVP_MD_fetch(NULL, "SHA256", NULL);
    md_sha[1] = EVP_MD_fetch(NULL, "SHA384", NULL);
    md_sha[2] = EVP_MD_fetch(NULL, "SHA512", NULL);
}

static const EVP_MD *sha(int i)
{
    pthread_once(&md_once, md_init);
    return md_sha[i];
}

const EVP_MD *auth_sha256(void)
{
    return sha(0);
}

static const EVP_MD *alg_md(auth_alg alg)
{
    switch (alg) {
    case AUTH_ALG_RS256:
    case AUTH_ALG_PS256:
    case AUTH_ALG_ES256:
        return sha(0);
    case AUTH_ALG_RS384:
    case AUTH_ALG_PS384:
    case AUTH_ALG_ES384:
        return sha(1);
    case AUTH_ALG_RS512:
    case AUTH_ALG_PS512:
    case AUTH_ALG_ES512:
        return sha(2);
    default:
        return NULL; /* EdDSA hashes internally */
    }
}

/* Bytes of one ECDSA coordinate (JOSE signatures are r||s of this size each). */
static size_t ec_coord_len(auth_kty kty)
{
    return kty == AUTH_KTY_EC256 ? 32 : kty == AUTH_KTY_EC384 ? 48 : kty == AUTH_KTY_EC521 ? 66 : 0;
}

/* ---- base64url ---- */

/* ---- JWK -> EVP_PKEY ---- */

/* Decodes the base64url string member `name` into buf (cap bytes). */
static long jwk_bytes(const json_t *jwk, const char *name, unsigned char *buf, size_t cap)
{
    const json_t *v = json_object_get(jwk, name);
    if (!json_is_string(v))
        return -1;
    size_t n = json_string_length(v);
    if (n == 0 || (n * 3) / 4 + 1 > cap)
        return -1;
    return pst_b64url_decode(json_string_value(v), n, buf);
}

static EVP_PKEY *pkey_fromdata(const char *type, OSSL_PARAM_BLD *bld)
{
    EVP_PKEY *key = NULL;
    OSSL_PARAM *params = OSSL_PARAM_BLD_to_param(bld);
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL);
    if (!params || !ctx || EVP_PKEY_fromdata_init(ctx) <= 0 ||
        EVP_PKEY_fromdata(ctx, &key, EVP_PKEY_PUBLIC_KEY, params) <= 0)
        key = NULL;
    EVP_PKEY_CTX_free(ctx);
    OSSL_PARAM_free(params);
    return key;
}

static EVP_PKEY *jwk_rsa(const json_t *jwk, const char **why)
{
    unsigned char n[1030], e[16];
    long nl = jwk_bytes(jwk, "n", n, sizeof(n)), el = jwk_bytes(jwk, "e", e, sizeof(e));
    if (nl <= 0 || el <= 0) {
        *why = "RSA key without valid n/e";
        return NULL;
    }
    BIGNUM *bn = BN_bin2bn(n, (int)nl, NULL), *be = BN_bin2bn(e, (int)el, NULL);
    OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
    EVP_PKEY *key = NULL;
    if (bn && be && bld && BN_num_bits(bn) >= 2048 && OSSL_PARAM_BLD_push_BN(bld, "n", bn) &&
        OSSL_PARAM_BLD_push_BN(bld, "e", be))
        key = pkey_fromdata("RSA", bld);
    if (!key)
        *why = (bn && BN_num_bits(bn) < 2048) ? "RSA key under 2048 bits" : "unusable RSA key";
    OSSL_PARAM_BLD_free(bld);
    BN_free(bn);
    BN_free(be);
    return key;
}

static EVP_PKEY *jwk_ec(const json_t *jwk, auth_kty *kty, const char **why)
{
    const char *crv = json_string_value(json_object_get(jwk, "crv"));
    const char *group = NULL;
    if (crv && !strcmp(crv, "P-256"))
        *kty = AUTH_KTY_EC256, group = "prime256v1";
    else if (crv && !strcmp(crv, "P-384"))
        *kty = AUTH_KTY_EC384, group = "secp384r1";
    else if (crv && !strcmp(crv, "P-521"))
        *kty = AUTH_KTY_EC521, group = "secp521r1";
    if (!group) {
        *why = "unsupported EC curve";
        return NULL;
    }
    size_t cl = ec_coord_len(*kty);
    unsigned char pub[1 + 2 * 66 + 4];
    unsigned char x[72], y[72];
    long xl = jwk_bytes(jwk, "x", x, sizeof(x)), yl = jwk_bytes(jwk, "y", y, sizeof(y));
    if (xl != (long)cl || yl != (long)cl) {
        *why = "EC key with bad x/y";
        return NULL;
    }
    pub[0] = 0x04; /* uncompressed point; OpenSSL checks it is on the curve */
    memcpy(pub + 1, x, cl);
    memcpy(pub + 1 + cl, y, cl);
    OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
    EVP_PKEY *key = NULL;
    if (bld && OSSL_PARAM_BLD_push_utf8_string(bld, "group", group, 0) &&
        OSSL_PARAM_BLD_push_octet_string(bld, "pub", pub, 1 + 2 * cl))
        key = pkey_fromdata("EC", bld);
    OSSL_PARAM_BLD_free(bld);
    if (!key)
        *why = "unusable EC key";
    return key;
}

EVP_PKEY *auth_jwk_to_pkey(const json_t *jwk, auth_kty *kty, const char **why)
{
    const char *t = json_string_value(json_object_get(jwk, "kty"));
    *kty = AUTH_KTY_NONE;
    *why = "unsupported key type";
    if (!t)
        return NULL;
    if (!strcmp(t, "RSA")) {
        EVP_PKEY *k = jwk_rsa(jwk, why);
        if (k)
            *kty = AUTH_KTY_RSA;
        return k;
    }
    if (!strcmp(t, "EC")) {
        EVP_PKEY *k = jwk_ec(jwk, kty, why);
        if (!k)
            *kty = AUTH_KTY_NONE;
        return k;
    }
    if (!strcmp(t, "OKP")) {
        const char *crv = json_string_value(json_object_get(jwk, "crv"));
        unsigned char x[40];
        if (!crv || strcmp(crv, "Ed25519") != 0 || jwk_bytes(jwk, "x", x, sizeof(x)) != 32) {
            *why = "unsupported OKP key";
            return NULL;
        }
        EVP_PKEY *k = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, x, 32);
        if (k)
            *kty = AUTH_KTY_ED25519;
        return k;
    }
    return NULL;
}

auth_kty auth_pkey_kty(EVP_PKEY *key)
{
    char group[32];
    switch (EVP_PKEY_get_base_id(key)) {
    case EVP_PKEY_RSA:
        return AUTH_KTY_RSA;
    case EVP_PKEY_ED25519:
        return AUTH_KTY_ED25519;
    case EVP_PKEY_EC:
        if (EVP_PKEY_get_group_name(key, group, sizeof(group), NULL) != 1)
            return AUTH_KTY_NONE;
        if (!strcmp(group, "prime256v1"))
            return AUTH_KTY_EC256;
        if (!strcmp(group, "secp384r1"))
            return AUTH_KTY_EC384;
        if (!strcmp(group, "secp521r1"))
            return AUTH_KTY_EC521;
        return AUTH_KTY_NONE;
    default:
        return AUTH_KTY_NONE;
    }
}

/* Sets obj[name] to the base64url of bn, left-padded to pad bytes (0: none). */
static int set_bn(json_t *obj, const char *name, const BIGNUM *bn, size_t pad)
{
    unsigned char raw[1030];
    size_t n = pad ? pad : (size_t)BN_num_bytes(bn);
    if (n > sizeof(raw) || BN_bn2binpad(bn, raw, (int)n) < 0)
        return -1;
    pst_buf b = {0};
    int rc = -1;
    if (pst_b64url_append(&b, raw, n) == PST_OK && pst_buf_cstr(&b))
        rc = json_object_set_new(obj, name, json_string(b.p));
    pst_buf_free(&b);
    return rc;
}

static const char *kty_crv(auth_kty k)
{
    return k == AUTH_KTY_EC256 ? "P-256" : k == AUTH_KTY_EC384 ? "P-384" : "P-521";
}

pst_status auth_pkey_to_jwk(EVP_PKEY *key, json_t *obj)
{
    auth_kty kty = auth_pkey_kty(key);
    BIGNUM *a = NULL, *b = NULL;
    int rc = -1;
    if (kty == AUTH_KTY_RSA) {
        if (EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_RSA_N, &a) == 1 &&
            EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_RSA_E, &b) == 1)
            rc = json_object_set_new(obj, "kty", json_string("RSA")) | set_bn(obj, "n", a, 0) |
                 set_bn(obj, "e", b, 0);
    } else if (kty == AUTH_KTY_ED25519) {
        unsigned char x[32];
        size_t xl = sizeof(x);
        pst_buf s = {0};
        if (EVP_PKEY_get_raw_public_key(key, x, &xl) == 1 &&
            pst_b64url_append(&s, x, xl) == PST_OK && pst_buf_cstr(&s))
            rc = json_object_set_new(obj, "kty", json_string("OKP")) |
                 json_object_set_new(obj, "crv", json_string("Ed25519")) |
                 json_object_set_new(obj, "x", json_string(s.p));
        pst_buf_free(&s);
    } else if (kty != AUTH_KTY_NONE) {
        if (EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_EC_PUB_X, &a) == 1 &&
            EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_EC_PUB_Y, &b) == 1)
            rc = json_object_set_new(obj, "kty", json_string("EC")) |
                 json_object_set_new(obj, "crv", json_string(kty_crv(kty))) |
                 set_bn(obj, "x", a, ec_coord_len(kty)) | set_bn(obj, "y", b, ec_coord_len(kty));
    }
    BN_free(a);
    BN_free(b);
    return rc == 0 ? PST_OK : PST_ERROR;
}

/* ---- signatures ---- */

/* JOSE r||s -> DER ECDSA-Sig-Value; returns the DER length or 0. */
static size_t ecdsa_raw_to_der(const unsigned char *sig, size_t cl, unsigned char *der, size_t cap)
{
    ECDSA_SIG *es = ECDSA_SIG_new();
    BIGNUM *r = BN_bin2bn(sig, (int)cl, NULL), *s = BN_bin2bn(sig + cl, (int)cl, NULL);
    size_t n = 0;
    if (es && r && s && ECDSA_SIG_set0(es, r, s) == 1) {
        r = s = NULL; /* owned by es now */
        int len = i2d_ECDSA_SIG(es, NULL);
        if (len > 0 && (size_t)len <= cap) {
            unsigned char *p = der;
            n = (size_t)i2d_ECDSA_SIG(es, &p);
        }
    }
    BN_free(r);
    BN_free(s);
    ECDSA_SIG_free(es);
    return n;
}

static bool set_rsa_padding(auth_alg alg, EVP_PKEY_CTX *pctx)
{
    if (alg >= AUTH_ALG_PS256 && alg <= AUTH_ALG_PS512)
        return EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) > 0 &&
               EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) > 0;
    if (alg >= AUTH_ALG_RS256 && alg <= AUTH_ALG_RS512)
        return EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) > 0;
    return true;
}

bool auth_jws_verify(auth_alg alg, EVP_PKEY *key, const void *input, size_t in_len,
                     const unsigned char *sig, size_t sig_len)
{
    auth_kty kty = auth_alg_kty(alg);
    if (kty == AUTH_KTY_NONE || auth_pkey_kty(key) != kty)
        return false;
    unsigned char der[160];
    size_t cl = ec_coord_len(kty);
    if (cl) {
        if (sig_len != 2 * cl)
            return false;
        sig_len = ecdsa_raw_to_der(sig, cl, der, sizeof(der));
        if (!sig_len)
            return false;
        sig = der;
    }
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    EVP_PKEY_CTX *pctx = NULL;
    bool ok = ctx && EVP_DigestVerifyInit(ctx, &pctx, alg_md(alg), NULL, key) == 1 &&
              set_rsa_padding(alg, pctx) && EVP_DigestVerify(ctx, sig, sig_len, input, in_len) == 1;
    EVP_MD_CTX_free(ctx);
    return ok;
}

/* DER ECDSA-Sig-Value -> JOSE r||s (2 * cl bytes). */
static bool ecdsa_der_to_raw(const unsigned char *der, size_t n, size_t cl, unsigned char *out)
{
    const unsigned char *p = der;
    ECDSA_SIG *es = d2i_ECDSA_SIG(NULL, &p, (long)n);
    bool ok = es && BN_bn2binpad(ECDSA_SIG_get0_r(es), out, (int)cl) == (int)cl &&
              BN_bn2binpad(ECDSA_SIG_get0_s(es), out + cl, (int)cl) == (int)cl;
    ECDSA_SIG_free(es);
    return ok;
}

pst_status auth_jws_sign_append(auth_alg alg, EVP_PKEY *key, const void *input, size_t in_len,
                                pst_buf *out)
{
    auth_kty kty = auth_alg_kty(alg);
    if (kty == AUTH_KTY_NONE || auth_pkey_kty(key) != kty)
        return PST_ERROR;
    unsigned char sig[1100], raw[140];
    size_t sl = sizeof(sig);
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    EVP_PKEY_CTX *pctx = NULL;
    bool ok = ctx && EVP_DigestSignInit(ctx, &pctx, alg_md(alg), NULL, key) == 1 &&
              set_rsa_padding(alg, pctx) && EVP_DigestSign(ctx, NULL, &sl, input, in_len) == 1 &&
              sl <= sizeof(sig) && EVP_DigestSign(ctx, sig, &sl, input, in_len) == 1;
    EVP_MD_CTX_free(ctx);
    if (!ok)
        return PST_ERROR;
    size_t cl = ec_coord_len(kty);
    if (cl) {
        if (!ecdsa_der_to_raw(sig, sl, cl, raw))
            return PST_ERROR;
        return pst_b64url_append(out, raw, 2 * cl);
    }
    return pst_b64url_append(out, sig, sl);
}
