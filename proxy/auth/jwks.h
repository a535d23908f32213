/**
 * Per-issuer signing keys: a JWKS fetched by a background thread (never on
 * an event loop), parsed once into OpenSSL keys and published as an
 * immutable, reference-counted key set that readers take without waiting
 * for any fetch.
 *
 * One thread per issuer: it fetches at start (discovery, then jwks_uri),
 * every jwks_refresh, and when asked because a token named an unknown kid
 * (at most once per jwks_min_refetch). A failed fetch keeps the keys it
 * had. http:// URLs are accepted only for loopback hosts unless `insecure`.
 */
#ifndef POSTERN_AUTH_JWKS_H
#define POSTERN_AUTH_JWKS_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "auth/jose.h"

/** One issuer as configured (oidc.issuers[] in postern.yaml). Strings are
 * copied by auth_jwks_create / auth_ctx_create; the caller keeps its own. */
typedef struct {
    const char *issuer;     /* exact `iss` */
    bool discovery;         /* read jwks_uri from {issuer}/.well-known/openid-configuration */
    const char *jwks_uri;   /* used when given (wins over discovery) */
    const char **audiences; /* `aud` must contain one; at least one required */
    size_t n_audiences;
    const char **algorithms; /* allowlist; NULL/0 = RS256 and ES256 */
    size_t n_algorithms;
    int64_t leeway_ms;           /* default 0 */
    int64_t jwks_refresh_ms;     /* 0 = 10 min */
    int64_t jwks_min_refetch_ms; /* 0 = 30 s; values under 1 s become 1 s */
    bool insecure;               /* allow http:// to non-loopback hosts */
} auth_issuer_opts;

typedef struct {
    char *kid;    /* NULL when the JWK has none */
    auth_kty kty; /* kind of pkey */
    auth_alg alg; /* the JWK's own "alg"; AUTH_ALG_UNKNOWN when absent */
    EVP_PKEY *pkey;
} auth_key;

/** An immutable set of keys. Readers hold a reference while using it. */
typedef struct {
    atomic_long refs;
    size_t n;
    auth_key keys[];
} auth_keyset;

/** Parses JWKS JSON text ({"keys":[...]}). Keys with `use` other than "sig"
 * or that cannot be used (see auth_jwk_to_pkey) are skipped; at most 64
 * keys are kept. Returns NULL with *why (constant) when the document is not
 * a JWKS or has no usable key. The caller owns one reference. */
auth_keyset *auth_keyset_parse(const char *text, size_t len, const char **why);

/** Drops one reference; the last frees the set. NULL is ok. */
void auth_keyset_release(auth_keyset *ks);

/** The key for a token: by kid when given (NULL when no key has it), else
 * the only key of the kind alg needs (NULL when none or several). */
const auth_key *auth_keyset_find(const auth_keyset *ks, const char *kid, size_t kid_len,
                                 auth_alg alg);

/** True when url may be fetched: https://, or http:// to 127.0.0.0/8,
 * [::1] or localhost, or http:// anywhere when insecure. */
bool auth_url_allowed(const char *url, bool insecure);

typedef struct auth_jwks auth_jwks;

/** Creates the fetcher for one issuer (not started). NULL with *why when the
 * options are unusable (no issuer, no jwks_uri and no discovery, a URL that
 * auth_url_allowed refuses) or out of memory. Caller owns it. */
auth_jwks *auth_jwks_create(const auth_issuer_opts *o, const char **why);

/** Starts the fetch thread. PST_ERROR when the thread cannot start. */
pst_status auth_jwks_start(auth_jwks *j);

/** Stops and joins the thread (an HTTP fetch in progress is aborted) and
 * frees everything. Readers must be done. NULL is ok. */
void auth_jwks_destroy(auth_jwks *j);

/** True once keys were loaded (they stay loaded when later fetches fail). */
bool auth_jwks_ready(auth_jwks *j);

/** Waits up to timeout_ms for the first keys; returns auth_jwks_ready().
 * Blocks: for start-up and tests, never on an event loop. */
bool auth_jwks_wait_ready(auth_jwks *j, int64_t timeout_ms);

/** The current keys with a reference the caller releases; NULL before the
 * first successful fetch. Never blocks on a fetch. */
auth_keyset *auth_jwks_acquire(auth_jwks *j);

/** Asks for a fetch because a token named an unknown kid. Rate-limited to
 * once per jwks_min_refetch; returns true when this call scheduled one.
 * Never blocks on a fetch (takes a briefly held lock). */
bool auth_jwks_request_refetch(auth_jwks *j);

typedef struct {
    uint64_t fetch_ok, fetch_failed; /* completed JWKS fetches */
    size_t keys;                     /* keys in the current set */
} auth_jwks_stats;

void auth_jwks_get_stats(auth_jwks *j, auth_jwks_stats *out);

#endif
