/**
 * The small part of JOSE postern needs, on OpenSSL EVP: base64url, the
 * asymmetric JWS algorithms (RS*, PS*, ES*, EdDSA), public JWKs turned into
 * EVP_PKEYs, and signing/verifying a JWS signing input. HMAC and `none` are
 * deliberately absent: postern only trusts keys from a configured JWKS.
 */
#ifndef POSTERN_AUTH_JOSE_H
#define POSTERN_AUTH_JOSE_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "common/b64url.h"
#include "common/str.h"

/** Key families; an algorithm only ever uses keys of its own kind. */
typedef enum {
    AUTH_KTY_NONE = 0,
    AUTH_KTY_RSA,
    AUTH_KTY_EC256,
    AUTH_KTY_EC384,
    AUTH_KTY_EC521,
    AUTH_KTY_ED25519,
} auth_kty;

typedef enum {
    AUTH_ALG_UNKNOWN = 0,
    AUTH_ALG_RS256,
    AUTH_ALG_RS384,
    AUTH_ALG_RS512,
    AUTH_ALG_PS256,
    AUTH_ALG_PS384,
    AUTH_ALG_PS512,
    AUTH_ALG_ES256,
    AUTH_ALG_ES384,
    AUTH_ALG_ES512,
    AUTH_ALG_EDDSA,
    AUTH_ALG_COUNT
} auth_alg;

/** Maps a JWS "alg" name to the enum; AUTH_ALG_UNKNOWN for anything else,
 * including "none" and HS*. */
auth_alg auth_alg_parse(pst_str name);
/** The JWS name ("RS256", ...); "unknown" for AUTH_ALG_UNKNOWN. */
const char *auth_alg_name(auth_alg alg);
/** The key kind the algorithm needs. */
auth_kty auth_alg_kty(auth_alg alg);

/** Builds a public key from one JWK object (kty RSA with n/e, EC with
 * crv P-256/P-384/P-521 and x/y, OKP with crv Ed25519 and x). RSA keys under
 * 2048 bits are refused. Returns NULL (and sets *why to a constant string)
 * when the JWK is unusable; the caller owns the key (EVP_PKEY_free). */
EVP_PKEY *auth_jwk_to_pkey(const json_t *jwk, auth_kty *kty, const char **why);

/** Appends the public JWK members of key (kty/n/e, kty/crv/x/y or
 * kty/crv/x) to obj. PST_ERROR for an unsupported key or out of memory. */
pst_status auth_pkey_to_jwk(EVP_PKEY *key, json_t *obj);

/** The kind of a loaded key; AUTH_KTY_NONE when unsupported. */
auth_kty auth_pkey_kty(EVP_PKEY *key);

/** SHA-256, fetched once (never NULL unless OpenSSL lacks it). */
const EVP_MD *auth_sha256(void);

/** Checks a JWS signature (raw JOSE form: r||s for ECDSA) over input with
 * key. The caller has checked that the key kind matches alg. Returns true
 * only for a valid signature; never fails open. Thread-safe for a shared
 * key (EVP_PKEY is only read). */
bool auth_jws_verify(auth_alg alg, EVP_PKEY *key, const void *input, size_t in_len,
                     const unsigned char *sig, size_t sig_len);

/** Signs input with key and appends the base64url signature (JOSE form).
 * PST_ERROR when the key does not fit alg or on an OpenSSL/memory failure
 * (buffer as before). */
pst_status auth_jws_sign_append(auth_alg alg, EVP_PKEY *key, const void *input, size_t in_len,
                                pst_buf *out);

#endif
