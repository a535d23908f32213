/**
 * Token verification: the authentication stage's entry point. It takes a
 * bearer token and returns a principal or a reason (SPEC §9, §13).
 *
 * Checks, in order: size (8 KiB), cache (SHA-256 of the token), compact JWS
 * shape and base64url, header JSON (`alg` a known asymmetric algorithm,
 * never `none` or HS*; `crit` rejects; `jku`/`x5u`/`jwk`/`x5c` are ignored:
 * only configured JWKS keys count), `iss` exactly a configured issuer (which
 * decides the keys and the allowlist), `alg` in its allowlist and matching
 * the key, `kid` selects the key (unknown: a rate-limited re-fetch is asked
 * for), the signature (OpenSSL EVP), then `sub`, `exp`, `nbf`, `iat` (within
 * leeway) and `aud`.
 */
#ifndef POSTERN_AUTH_VERIFY_H
#define POSTERN_AUTH_VERIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "auth/jwks.h"
#include "auth/principal.h"
#include "common/arena.h"

#define AUTH_MAX_TOKEN_BYTES 8192

typedef struct {
    const auth_issuer_opts *issuers;
    size_t n_issuers;
    size_t token_cache; /* verified tokens kept; 0 disables the cache */
} auth_opts;

typedef struct auth_ctx auth_ctx;

/** Builds the verifier: copies the options, creates one key fetcher per
 * issuer (not started). NULL with *why (a constant) for unusable options
 * (no issuer, an issuer listed twice, an issuer without audiences, an unknown algorithm name or
 * `none`/HS* in `algorithms`, a refused URL) or out of memory. */
auth_ctx *auth_ctx_create(const auth_opts *o, const char **why);

/** Starts every issuer's fetch thread (the initial fetch runs at once).
 * PST_ERROR when a thread cannot start. */
pst_status auth_ctx_start(auth_ctx *c);

/** Stops the fetchers and frees everything. Principals handed out keep
 * their own claims references. NULL is ok. */
void auth_ctx_destroy(auth_ctx *c);

/** True when every issuer has keys (readiness, SPEC §9 /readyz). */
bool auth_ready(auth_ctx *c);

/** The first configured issuer without keys, NULL when all have them. */
const char *auth_unready_issuer(auth_ctx *c);

/** Waits up to timeout_ms for auth_ready (start-up and tests only: blocks). */
bool auth_wait_ready(auth_ctx *c, int64_t timeout_ms);

/** Verifies token (len bytes, not NUL-terminated). On PST_OK *out is a
 * principal allocated in arena a (its claims reference is dropped when the
 * arena is reset/destroyed) and *why is AUTH_OK. Otherwise returns
 * PST_DENIED with *why set (AUTH_MISSING for an empty token) and *out
 * unchanged, or PST_ERROR when out of memory. Thread-safe; never blocks on
 * a key fetch. */
pst_status auth_verify(auth_ctx *c, const char *token, size_t len, pst_arena *a,
                       auth_principal **out, auth_reason *why);

/** The whole stage for one request: finds the token (auth_extract_token
 * over sources), verifies it, or, when there is none and allow_anonymous,
 * gives the anonymous principal. A present but invalid token is refused
 * even with allow_anonymous. Returns as auth_verify (AUTH_MISSING when there
 * is no token and anonymous callers are not allowed). */
pst_status auth_authenticate(auth_ctx *c, const auth_token_source *sources, size_t n,
                             auth_header_fn get, void *ud, bool allow_anonymous, pst_arena *a,
                             auth_principal **out, auth_reason *why);

typedef struct {
    uint64_t accepted;                   /* tokens accepted (cached or not) */
    uint64_t cache_hits;                 /* accepted from the cache */
    uint64_t signature_checks;           /* signature verifications performed */
    uint64_t refused[AUTH_REASON_COUNT]; /* by reason */
    uint64_t jwks_fetch_ok, jwks_fetch_failed;
    size_t cached_tokens;
} auth_stats;

/** Counters for /metrics and tests (a consistent-enough snapshot). */
void auth_get_stats(auth_ctx *c, auth_stats *out);

#endif
