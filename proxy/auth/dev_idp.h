/**
 * `postern dev-idp`: a local OpenID issuer for demos and tests, NOT for
 * production (SPEC §3). It serves `/.well-known/openid-configuration` and
 * `/jwks.json` over plain HTTP (loopback by default, 127.0.0.1:9400), signs
 * with an ES256 (default) or RS256 key read from or written to a PEM file,
 * and mints tokens. `POST /admin/rotate` or SIGHUP rotates the key; the JWKS
 * keeps the previous key so tokens already minted stay valid.
 *
 * The key file is shared by the server and `mint`; its default path is
 * $XDG_RUNTIME_DIR/postern-dev-idp/key.pem, or /tmp/postern-dev-idp/key.pem
 * without XDG_RUNTIME_DIR (directory 0700, file 0600). The kid is derived
 * from the public key, so both sides agree on it.
 */
#ifndef POSTERN_AUTH_DEV_IDP_H
#define POSTERN_AUTH_DEV_IDP_H

#include <jansson.h>

#include "auth/jose.h"
#include "common/str.h"

typedef struct {
    EVP_PKEY *pkey;
    auth_alg alg; /* ES256 for P-256, RS256 for RSA, ... */
    char kid[32]; /* base64url of the first 16 bytes of SHA-256(SubjectPublicKeyInfo) */
} dev_idp_key;

/** Generates a key for alg (ES256, ES384, RS256 with 2048 bits, EdDSA).
 * NULL for another alg or on failure. Caller owns it (dev_idp_key_free). */
dev_idp_key *dev_idp_key_generate(auth_alg alg);

/** Loads a PEM private key. NULL with *why when unreadable/unsupported. */
dev_idp_key *dev_idp_key_load(const char *path, const char **why);

/** Writes the key as PKCS#8 PEM with mode 0600 (creating a missing parent
 * directory with 0700), replacing the file atomically (rename). PST_ERROR
 * with *why otherwise; an existing file is unchanged then. */
pst_status dev_idp_key_save(const dev_idp_key *key, const char *path, const char **why);

/** Loads path, or generates an `alg` key and saves it there when the file
 * does not exist. NULL with *why on failure. */
dev_idp_key *dev_idp_key_load_or_create(const char *path, auth_alg alg, const char **why);

void dev_idp_key_free(dev_idp_key *key);

/** The default key path (see above); a static buffer. */
const char *dev_idp_default_key_path(void);

/** Appends the public JWK of key (kid, use, alg, key members) to keys.
 * PST_ERROR when out of memory. */
pst_status dev_idp_key_jwk(const dev_idp_key *key, json_t *keys);

/** Signs a compact JWS: header members `alg` (the key's), `typ` ("JWT") and
 * `kid` are set unless `header` already has them (tests use that to forge
 * tokens); claims is the payload. Appends the token to out. PST_ERROR on
 * failure (out as before). */
pst_status dev_idp_sign(const dev_idp_key *key, const json_t *header, const json_t *claims,
                        pst_buf *out);

/** Mints a token: iss, sub, aud, iat, nbf = now, exp = now + ttl_s, a random
 * jti, then each "name=value" of claims (value taken as JSON when it parses,
 * else as a string; a repeated name makes an array). PST_ERROR with *why on
 * a bad claim or failure (out as before). */
pst_status dev_idp_mint(const dev_idp_key *key, const char *issuer, const char *sub,
                        const char *const *claims, size_t n_claims, int64_t ttl_s,
                        const char *audience, pst_buf *out, const char **why);

typedef struct dev_idp dev_idp;

typedef struct {
    const char *host;     /* default 127.0.0.1 */
    int port;             /* 0 = any free port */
    const char *issuer;   /* default http://host:port */
    const char *key_path; /* NULL: a generated key that is not saved */
    auth_alg alg;         /* for a generated key; default ES256 */
} dev_idp_opts;

/** Starts the issuer on its own thread. NULL with *why on failure. */
dev_idp *dev_idp_start(const dev_idp_opts *o, const char **why);

/** The bound port and the issuer URL (owned by idp). */
int dev_idp_port(const dev_idp *idp);
const char *dev_idp_issuer(const dev_idp *idp);

/** Replaces the signing key with a new one of the same alg (saved to the key
 * file when there is one); the previous key stays in the JWKS. PST_ERROR
 * (nothing changed) on failure. Thread-safe. */
pst_status dev_idp_rotate(dev_idp *idp);

/** Copies the current kid (NUL-terminated) into kid (32 bytes). */
void dev_idp_current_kid(dev_idp *idp, char kid[32]);

/** dev_idp_sign / dev_idp_mint with the current key. Thread-safe. */
pst_status dev_idp_sign_current(dev_idp *idp, const json_t *header, const json_t *claims,
                                pst_buf *out);
pst_status dev_idp_mint_current(dev_idp *idp, const char *sub, const char *const *claims,
                                size_t n_claims, int64_t ttl_s, const char *audience, pst_buf *out);

/** Stops serving (the port is closed when this returns) and frees idp. */
void dev_idp_stop(dev_idp *idp);

/** `postern dev-idp ...`: argv[0] is "dev-idp" (main passes argc - 1,
 * argv + 1). Serves until SIGINT/SIGTERM, or runs `mint`. Returns the
 * process exit code (0 ok, 1 error, 2 usage). */
int dev_idp_main(int argc, char **argv);

#endif
