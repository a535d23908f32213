/**
 * The signed identity assertion of SPEC §7 (`Postern-Identity`): building
 * its claims for one NATS message and verifying it on the responder side.
 * Claims: iss (the sidecar instance), sub, roles (array of strings), corr,
 * subj (the NATS subject), bh (unpadded base64url SHA-256 of the body),
 * iat and exp (integer NumericDates; exp is the deadline rounded up) and
 * jti (random, per message).
 */
#ifndef POSTERN_AUDIT_IDENTITY_H
#define POSTERN_AUDIT_IDENTITY_H

#include <stdint.h>

#include "audit/jws.h"

/** Seconds an `iat` may lie in the verifier's future (clock skew). */
#define AUDIT_IDENTITY_LEEWAY_S 60

/** What one message's assertion says; strings are borrowed. */
typedef struct {
    const char *iss;     /* the instance id */
    const char *sub;     /* NULL: no verified caller (the claim is left out) */
    const char *roles;   /* comma-separated, sorted; NULL or "" for none */
    const char *corr;    /* correlation id */
    const char *subject; /* NATS subject */
    const void *body;
    size_t body_len;
    int64_t now_ms, deadline_ms;
} audit_identity_claims;

/** Appends the compact JWS for c to out (a new random jti each call).
 * PST_ERROR when out of memory, the random source or OpenSSL fails (out
 * as before the call). Thread-safe. */
pst_status audit_identity_sign(const audit_signer *s, const audit_identity_claims *c, pst_buf *out);

/** A verified assertion, copied out of the token (long values truncated). */
typedef struct {
    char iss[256], sub[256], corr[129], jti[64];
    char roles[512]; /* the roles joined by ',' */
    int64_t iat, exp;
} audit_identity;

/** Verifies token against a parsed key set: signature (ES256/RS256 only),
 * every claim present with its type, subj equal to subject, bh equal to the
 * hash of the len body bytes, now (Unix seconds) before exp and iat no more
 * than AUDIT_IDENTITY_LEEWAY_S after now. PST_OK fills *out (may be NULL);
 * else PST_DENIED with *why, a constant string naming the failed check. */
pst_status audit_identity_check(const audit_jwks *keys, const char *token, const char *subject,
                                const void *body, size_t len, int64_t now, audit_identity *out,
                                const char **why);

/** As audit_identity_check with the key set given as JWKS JSON text (parsed
 * on every call: responders that verify often parse once with
 * audit_jwks_parse and call audit_identity_check). */
pst_status audit_identity_verify(const char *jwks_json, const char *token, const char *subject,
                                 const void *body, size_t len, int64_t now, audit_identity *out,
                                 const char **why);

#endif
