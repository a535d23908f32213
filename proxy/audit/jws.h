/**
 * Compact JWS signing for the identity assertion (SPEC §7), on OpenSSL EVP
 * with the key parsed once: ES256 (P-256, the default) or RS256. Also the
 * verifying half (a public JWKS, one signature) that audit/identity.c and
 * responders use. Everything here is thread-safe once built: a signer and
 * a key set are only read after creation.
 */
#ifndef POSTERN_AUDIT_JWS_H
#define POSTERN_AUDIT_JWS_H

#include <stdbool.h>
#include <stddef.h>

#include "common/b64url.h"
#include "common/str.h"

typedef enum { AUDIT_JWS_ES256 = 0, AUDIT_JWS_RS256 = 1 } audit_jws_alg;

/** "ES256" / "RS256". */
const char *audit_jws_alg_name(audit_jws_alg alg);

/** SHA-256 of n bytes into out (the algorithm is fetched once per
 * process). PST_ERROR only when OpenSSL lacks it. */
pst_status audit_sha256(const void *p, size_t n, unsigned char out[32]);

typedef struct audit_signer audit_signer;

/** Loads a PEM private key (PKCS#8 or traditional) from path for alg: a
 * P-256 key for ES256, an RSA key of at least 2048 bits for RS256. NULL with
 * *why (a constant string) when the file is unreadable or the key does not
 * fit. The caller owns the signer (audit_signer_free). */
audit_signer *audit_signer_load_pem(const char *path, audit_jws_alg alg, const char **why);

/** Generates a fresh key for alg (P-256, or RSA 2048). NULL with *why on an
 * OpenSSL or memory failure. */
audit_signer *audit_signer_generate(audit_jws_alg alg, const char **why);

void audit_signer_free(audit_signer *s);

/** The key id: the RFC 7638 thumbprint of the public key (base64url). */
const char *audit_signer_kid(const audit_signer *s);

/** The public key set as JSON text, {"keys":[{kty..., kid, use, alg}]};
 * owned by the signer. */
const char *audit_signer_jwks(const audit_signer *s);

/** Appends header.payload.signature for the n payload bytes (the JSON
 * claims, base64url-encoded here). PST_ERROR on an OpenSSL or memory
 * failure; the buffer is then rolled back to its length before the call. */
pst_status audit_signer_sign(const audit_signer *s, const char *payload, size_t n, pst_buf *out);

/** A public key set parsed from JWKS JSON (EC P-256 and RSA keys). */
typedef struct audit_jwks audit_jwks;

/** Parses JWKS text; keys of other types are skipped. NULL with *why when
 * the text is not a JWKS or holds no usable key. Caller frees. */
audit_jwks *audit_jwks_parse(const char *json, size_t len, const char **why);
void audit_jwks_free(audit_jwks *k);

/** Verifies a compact JWS against the set: header alg ES256 or RS256 (never
 * none or HS*), kid naming a key of the set (or, without kid, any key of
 * the algorithm's type), valid signature. On success returns PST_OK and
 * points *payload / *payload_len at the base64url payload inside token;
 * else PST_DENIED with *why (a constant string). */
pst_status audit_jws_verify(const audit_jwks *keys, const char *token, size_t len,
                            const char **payload, size_t *payload_len, const char **why);

#endif
