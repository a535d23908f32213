#include "audit/jws.h"

#include "common/b64url.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include "common/mem.h"

#define EC_COORD 32
#define MAX_KEYS 16

struct audit_signer {
    EVP_PKEY *key;
    EVP_MD *md;
    uint64_t gen; /* tells the per-thread contexts of different signers apart */
    audit_jws_alg alg;
    char kid[48];
    char header[160]; /* base64url of the protected header */
    size_t header_len;
    char *jwks;
};

typedef struct {
    EVP_PKEY *key;
    audit_jws_alg alg;
    char kid[128];
} jwks_key;

struct audit_jwks {
    jwks_key keys[MAX_KEYS];
    size_t n;
    EVP_MD *md;
};

const char *audit_jws_alg_name(audit_jws_alg alg)
{
    return alg == AUDIT_JWS_RS256 ? "RS256" : "ES256";
}

static EVP_MD *sha256_md;
static pthread_once_t sha256_once = PTHREAD_ONCE_INIT;

static void sha256_fetch(void)
{
    sha256_md = EVP_MD_fetch(NULL, "SHA256", NULL);
}

pst_status audit_sha256(const void *p, size_t n, unsigned char out[32])
{
    pthread_once(&sha256_once, sha256_fetch);
    return sha256_md && EVP_Digest(p, n, out, NULL, sha256_md, NULL) == 1 ? PST_OK : PST_ERROR;
}

/* ---- signer ---- */

static bool key_fits(EVP_PKEY *key, audit_jws_alg alg)
{
    char group[32];
    if (alg == AUDIT_JWS_RS256)
        return EVP_PKEY_get_base_id(key) == EVP_PKEY_RSA && EVP_PKEY_get_bits(key) >= 2048;
    return EVP_PKEY_get_base_id(key) == EVP_PKEY_EC &&
           EVP_PKEY_get_group_name(key, group, sizeof(group), NULL) == 1 &&
           !strcmp(group, "prime256v1");
}

/* Appends "name":"<base64url of bn, left-padded to pad bytes>". */
static pst_status member_bn(pst_buf *b, const char *name, const BIGNUM *bn, size_t pad)
{
    unsigned char raw[1030];
    size_t n = pad ? pad : (size_t)BN_num_bytes(bn);
    if (n > sizeof(raw) || BN_bn2binpad(bn, raw, (int)n) < 0)
        return PST_ERROR;
    pst_buf_appendf(b, "\"%s\":\"", name);
    pst_b64url_append(b, raw, n);
    return pst_buf_append_char(b, '"');
}

/* The required public members in RFC 7638 order (lexicographic), as
 * JSON object members without braces. */
static pst_status public_members(EVP_PKEY *key, audit_jws_alg alg, pst_buf *b)
{
    BIGNUM *x = NULL, *y = NULL;
    pst_status s = PST_ERROR;
    if (alg == AUDIT_JWS_RS256) {
        if (EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_RSA_N, &x) == 1 &&
            EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_RSA_E, &y) == 1 &&
            member_bn(b, "e", y, 0) == PST_OK) {
            pst_buf_append_c(b, ",\"kty\":\"RSA\",");
            s = member_bn(b, "n", x, 0);
        }
    } else if (EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_EC_PUB_X, &x) == 1 &&
               EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_EC_PUB_Y, &y) == 1) {
        pst_buf_append_c(b, "\"crv\":\"P-256\",\"kty\":\"EC\",");
        if (member_bn(b, "x", x, EC_COORD) == PST_OK && pst_buf_append_char(b, ',') == PST_OK)
            s = member_bn(b, "y", y, EC_COORD);
    }
    BN_free(x);
    BN_free(y);
    return b->failed ? PST_ERROR : s;
}

/* kid (thumbprint), the JWKS text and the encoded header. */
static pst_status signer_finish(audit_signer *s)
{
    pst_buf m = {0}, b = {0};
    unsigned char dig[32];
    pst_status st = PST_ERROR;
    s->md = EVP_MD_fetch(NULL, "SHA256", NULL);
    if (s->md && public_members(s->key, s->alg, &m) == PST_OK) {
        pst_buf_append_char(&b, '{');
        pst_buf_append(&b, m.p, m.len);
        pst_buf_append_char(&b, '}');
        if (!b.failed && EVP_Digest(b.p, b.len, dig, NULL, s->md, NULL) == 1) {
            pst_buf_reset(&b);
            pst_b64url_append(&b, dig, sizeof(dig));
            snprintf(s->kid, sizeof(s->kid), "%.*s", (int)b.len, b.p);
            pst_buf_reset(&b);
            pst_buf_appendf(&b, "{\"keys\":[{%.*s,\"kid\":\"%s\",\"use\":\"sig\",\"alg\":\"%s\"}]}",
                            (int)m.len, m.p, s->kid, audit_jws_alg_name(s->alg));
            s->jwks = b.failed ? NULL : strdup(pst_buf_cstr(&b));
            char hdr[120];
            int hl = snprintf(hdr, sizeof(hdr), "{\"alg\":\"%s\",\"typ\":\"JWT\",\"kid\":\"%s\"}",
                              audit_jws_alg_name(s->alg), s->kid);
            pst_buf_reset(&b);
            pst_b64url_append(&b, hdr, (size_t)hl);
            if (s->jwks && !b.failed && b.len < sizeof(s->header)) {
                memcpy(s->header, b.p, b.len);
                s->header_len = b.len;
                st = PST_OK;
            }
        }
    }
    pst_buf_free(&m);
    pst_buf_free(&b);
    return st;
}

static atomic_uint_fast64_t signer_gen;

static audit_signer *signer_new(EVP_PKEY *key, audit_jws_alg alg, const char **why)
{
    audit_signer *s = key ? pst_calloc(1, sizeof(*s)) : NULL;
    if (!s) {
        EVP_PKEY_free(key);
        *why = "out of memory";
        return NULL;
    }
    s->key = key;
    s->alg = alg;
    s->gen = atomic_fetch_add(&signer_gen, 1) + 1;
    if (signer_finish(s) != PST_OK) {
        audit_signer_free(s);
        *why = "cannot encode the public key";
        return NULL;
    }
    return s;
}

audit_signer *audit_signer_load_pem(const char *path, audit_jws_alg alg, const char **why)
{
    BIO *bio = BIO_new_file(path, "r");
    if (!bio) {
        *why = "cannot read the signing key file";
        return NULL;
    }
    EVP_PKEY *key = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
    BIO_free(bio);
    if (!key) {
        *why = "the signing key file holds no PEM private key";
        return NULL;
    }
    if (!key_fits(key, alg)) {
        EVP_PKEY_free(key);
        *why = alg == AUDIT_JWS_RS256 ? "RS256 needs an RSA key of at least 2048 bits"
                                      : "ES256 needs a P-256 EC key";
        return NULL;
    }
    return signer_new(key, alg, why);
}

audit_signer *audit_signer_generate(audit_jws_alg alg, const char **why)
{
    EVP_PKEY *key = alg == AUDIT_JWS_RS256 ? EVP_RSA_gen(2048) : EVP_EC_gen("P-256");
    if (!key) {
        *why = "cannot generate a signing key";
        return NULL;
    }
    return signer_new(key, alg, why);
}

void audit_signer_free(audit_signer *s)
{
    if (!s)
        return;
    EVP_PKEY_free(s->key);
    EVP_MD_free(s->md);
    free(s->jwks);
    pst_free(s);
}

const char *audit_signer_kid(const audit_signer *s)
{
    return s->kid;
}

const char *audit_signer_jwks(const audit_signer *s)
{
    return s->jwks;
}

/* DER ECDSA-Sig-Value -> JOSE r||s. */
static bool der_to_raw(const unsigned char *der, size_t n, unsigned char out[2 * EC_COORD])
{
    const unsigned char *p = der;
    ECDSA_SIG *es = d2i_ECDSA_SIG(NULL, &p, (long)n);
    bool ok = es && BN_bn2binpad(ECDSA_SIG_get0_r(es), out, EC_COORD) == EC_COORD &&
              BN_bn2binpad(ECDSA_SIG_get0_s(es), out + EC_COORD, EC_COORD) == EC_COORD;
    ECDSA_SIG_free(es);
    return ok;
}

/* Each thread keeps a signing context set up for the last signer it used:
 * setting one up per message costs about a fifth of an ES256 signature. */
typedef struct {
    uint64_t gen;
    EVP_PKEY_CTX *ctx;
} thread_ctx;

static pthread_key_t ctx_key;
static pthread_once_t ctx_once = PTHREAD_ONCE_INIT;
static bool ctx_key_ok;

static void thread_ctx_free(void *p)
{
    thread_ctx *t = p;
    EVP_PKEY_CTX_free(t->ctx);
    pst_free(t);
}

static void ctx_key_init(void)
{
    ctx_key_ok = pthread_key_create(&ctx_key, thread_ctx_free) == 0;
}

static EVP_PKEY_CTX *signing_ctx(const audit_signer *s)
{
    pthread_once(&ctx_once, ctx_key_init);
    if (!ctx_key_ok)
        return NULL;
    thread_ctx *t = pthread_getspecific(ctx_key);
    if (!t) {
        t = pst_calloc(1, sizeof(*t));
        if (!t || pthread_setspecific(ctx_key, t) != 0) {
            pst_free(t);
            return NULL;
        }
    }
    if (t->ctx && t->gen == s->gen)
        return t->ctx;
    EVP_PKEY_CTX_free(t->ctx);
    t->ctx = EVP_PKEY_CTX_new_from_pkey(NULL, s->key, NULL);
    if (!t->ctx || EVP_PKEY_sign_init(t->ctx) != 1 ||
        (s->alg == AUDIT_JWS_RS256 &&
         EVP_PKEY_CTX_set_rsa_padding(t->ctx, RSA_PKCS1_PADDING) != 1) ||
        EVP_PKEY_CTX_set_signature_md(t->ctx, s->md) != 1) {
        EVP_PKEY_CTX_free(t->ctx);
        t->ctx = NULL;
        return NULL;
    }
    t->gen = s->gen;
    return t->ctx;
}

pst_status audit_signer_sign(const audit_signer *s, const char *payload, size_t n, pst_buf *out)
{
    size_t start = out->len;
    /* header, payload and a signature of up to 512 bytes in one allocation */
    pst_buf_reserve(out, s->header_len + (n + 2) / 3 * 4 + 700);
    pst_buf_append(out, s->header, s->header_len);
    pst_buf_append_char(out, '.');
    pst_b64url_append(out, payload, n);
    unsigned char sig[600], dig[32], raw[2 * EC_COORD];
    size_t sl = sizeof(sig);
    EVP_PKEY_CTX *ctx = out->failed ? NULL : signing_ctx(s);
    bool ok = ctx && EVP_Digest(out->p + start, out->len - start, dig, NULL, s->md, NULL) == 1 &&
              EVP_PKEY_sign(ctx, sig, &sl, dig, sizeof(dig)) == 1;
    if (ok && s->alg == AUDIT_JWS_ES256) {
        ok = der_to_raw(sig, sl, raw);
        memcpy(sig, raw, sizeof(raw));
        sl = sizeof(raw);
    }
    if (ok && pst_buf_append_char(out, '.') == PST_OK && pst_b64url_append(out, sig, sl) == PST_OK)
        return PST_OK;
    bool failed = out->failed;
    out->failed = false;
    pst_buf_truncate(out, start);
    out->failed = failed;
    return PST_ERROR;
}

/* ---- verifying ---- */

static long member_bytes(const json_t *jwk, const char *name, unsigned char *buf, size_t cap)
{
    const json_t *v = json_object_get(jwk, name);
    size_t n = json_is_string(v) ? json_string_length(v) : 0;
    if (n == 0 || n * 3 / 4 + 1 > cap)
        return -1;
    return pst_b64url_decode(json_string_value(v), n, buf);
}

static EVP_PKEY *from_params(const char *type, OSSL_PARAM_BLD *bld)
{
    EVP_PKEY *key = NULL;
    OSSL_PARAM *params = bld ? OSSL_PARAM_BLD_to_param(bld) : NULL;
    EVP_PKEY_CTX *ctx = params ? EVP_PKEY_CTX_new_from_name(NULL, type, NULL) : NULL;
    if (!ctx || EVP_PKEY_fromdata_init(ctx) <= 0 ||
        EVP_PKEY_fromdata(ctx, &key, EVP_PKEY_PUBLIC_KEY, params) <= 0)
        key = NULL;
    EVP_PKEY_CTX_free(ctx);
    OSSL_PARAM_free(params);
    return key;
}

static EVP_PKEY *jwk_key(const json_t *jwk, audit_jws_alg *alg)
{
    const char *kty = json_string_value(json_object_get(jwk, "kty"));
    const char *crv = json_string_value(json_object_get(jwk, "crv"));
    OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
    EVP_PKEY *key = NULL;
    if (bld && kty && !strcmp(kty, "EC") && crv && !strcmp(crv, "P-256")) {
        unsigned char pub[1 + 2 * EC_COORD], c[48];
        pub[0] = 0x04; /* uncompressed point; OpenSSL checks it is on the curve */
        bool ok = member_bytes(jwk, "x", c, sizeof(c)) == EC_COORD;
        memcpy(pub + 1, c, EC_COORD);
        ok = ok && member_bytes(jwk, "y", c, sizeof(c)) == EC_COORD;
        memcpy(pub + 1 + EC_COORD, c, EC_COORD);
        *alg = AUDIT_JWS_ES256;
        if (ok && OSSL_PARAM_BLD_push_utf8_string(bld, "group", "prime256v1", 0) &&
            OSSL_PARAM_BLD_push_octet_string(bld, "pub", pub, sizeof(pub)))
            key = from_params("EC", bld);
    } else if (bld && kty && !strcmp(kty, "RSA")) {
        unsigned char n[1030], e[16];
        long nl = member_bytes(jwk, "n", n, sizeof(n)), el = member_bytes(jwk, "e", e, sizeof(e));
        BIGNUM *bn = nl > 0 ? BN_bin2bn(n, (int)nl, NULL) : NULL;
        BIGNUM *be = el > 0 ? BN_bin2bn(e, (int)el, NULL) : NULL;
        *alg = AUDIT_JWS_RS256;
        if (bn && be && BN_num_bits(bn) >= 2048 && OSSL_PARAM_BLD_push_BN(bld, "n", bn) &&
            OSSL_PARAM_BLD_push_BN(bld, "e", be))
            key = from_params("RSA", bld);
        BN_free(bn);
        BN_free(be);
    }
    OSSL_PARAM_BLD_free(bld);
    return key;
}

audit_jwks *audit_jwks_parse(const char *json, size_t len, const char **why)
{
    json_t *doc = json_loadb(json, len, 0, NULL);
    json_t *keys = json_object_get(doc, "keys");
    audit_jwks *k = json_is_array(keys) ? pst_calloc(1, sizeof(*k)) : NULL;
    *why = json_is_array(keys) ? "out of memory" : "not a JWKS (no \"keys\" array)";
    for (size_t i = 0; k && i < json_array_size(keys) && k->n < MAX_KEYS; i++) {
        json_t *jwk = json_array_get(keys, i);
        jwks_key *e = &k->keys[k->n];
        e->key = jwk_key(jwk, &e->alg);
        const char *kid = json_string_value(json_object_get(jwk, "kid"));
        snprintf(e->kid, sizeof(e->kid), "%s", kid ? kid : "");
        if (e->key)
            k->n++;
    }
    json_decref(doc);
    if (k)
        k->md = EVP_MD_fetch(NULL, "SHA256", NULL);
    if (k && (!k->n || !k->md)) {
        *why = k->md ? "the JWKS holds no usable ES256 or RS256 key" : "no SHA-256";
        audit_jwks_free(k);
        return NULL;
    }
    return k;
}

void audit_jwks_free(audit_jwks *k)
{
    if (!k)
        return;
    for (size_t i = 0; i < k->n; i++)
        EVP_PKEY_free(k->keys[i].key);
    EVP_MD_free(k->md);
    pst_free(k);
}

/* The header's alg and kid: NULL kid when absent. */
static pst_status read_header(const char *p, size_t n, audit_jws_alg *alg, char kid[128])
{
    unsigned char raw[512];
    long rl = n * 3 / 4 + 1 <= sizeof(raw) ? pst_b64url_decode(p, n, raw) : -1;
    json_t *h = rl > 0 ? json_loadb((const char *)raw, (size_t)rl, 0, NULL) : NULL;
    const char *a = json_string_value(json_object_get(h, "alg"));
    const char *k = json_string_value(json_object_get(h, "kid"));
    pst_status s = PST_OK;
    if (a && !strcmp(a, "ES256"))
        *alg = AUDIT_JWS_ES256;
    else if (a && !strcmp(a, "RS256"))
        *alg = AUDIT_JWS_RS256;
    else
        s = PST_DENIED;
    kid[0] = 0;
    if (k && strlen(k) < 128)
        strcpy(kid, k);
    json_decref(h);
    return s;
}

static bool check_sig(const audit_jwks *ks, const jwks_key *k, const char *input, size_t in_len,
                      const unsigned char *sig, size_t sl)
{
    unsigned char der[80];
    if (k->alg == AUDIT_JWS_ES256) {
        if (sl != 2 * EC_COORD)
            return false;
        ECDSA_SIG *es = ECDSA_SIG_new();
        BIGNUM *r = BN_bin2bn(sig, EC_COORD, NULL), *s = BN_bin2bn(sig + EC_COORD, EC_COORD, NULL);
        int dl = 0;
        if (es && r && s && ECDSA_SIG_set0(es, r, s) == 1) {
            r = s = NULL;
            unsigned char *p = der;
            if (i2d_ECDSA_SIG(es, NULL) <= (int)sizeof(der))
                dl = i2d_ECDSA_SIG(es, &p);
        }
        BN_free(r);
        BN_free(s);
        ECDSA_SIG_free(es);
        if (dl <= 0)
            return false;
        sig = der;
        sl = (size_t)dl;
    }
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    EVP_PKEY_CTX *pctx = NULL;
    bool ok =
        ctx && EVP_DigestVerifyInit(ctx, &pctx, ks->md, NULL, k->key) == 1 &&
        (k->alg != AUDIT_JWS_RS256 || EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) > 0) &&
        EVP_DigestVerify(ctx, sig, sl, (const unsigned char *)input, in_len) == 1;
    EVP_MD_CTX_free(ctx);
    return ok;
}

pst_status audit_jws_verify(const audit_jwks *keys, const char *token, size_t len,
                            const char **payload, size_t *payload_len, const char **why)
{
    const char *d1 = memchr(token, '.', len);
    const char *d2 = d1 ? memchr(d1 + 1, '.', len - (size_t)(d1 + 1 - token)) : NULL;
    audit_jws_alg alg;
    char kid[128];
    *why = "not a compact JWS";
    if (!d2 || memchr(d2 + 1, '.', len - (size_t)(d2 + 1 - token)))
        return PST_DENIED;
    if (read_header(token, (size_t)(d1 - token), &alg, kid) != PST_OK) {
        *why = "the JWS header is unreadable or names an algorithm other than ES256/RS256";
        return PST_DENIED;
    }
    unsigned char sig[600];
    size_t sn = len - (size_t)(d2 + 1 - token);
    long sl = sn * 3 / 4 + 1 <= sizeof(sig) ? pst_b64url_decode(d2 + 1, sn, sig) : -1;
    *why = "bad signature";
    if (sl <= 0)
        return PST_DENIED;
    bool matched = false;
    for (size_t i = 0; i < keys->n; i++) {
        const jwks_key *k = &keys->keys[i];
        if (k->alg != alg || (kid[0] && strcmp(kid, k->kid) != 0))
            continue;
        matched = true;
        if (check_sig(keys, k, token, (size_t)(d2 - token), sig, (size_t)sl)) {
            *payload = d1 + 1;
            *payload_len = (size_t)(d2 - d1 - 1);
            return PST_OK;
        }
    }
    if (!matched)
        *why = "no key in the JWKS matches the JWS kid and algorithm";
    return PST_DENIED;
}
