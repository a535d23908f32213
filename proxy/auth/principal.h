/**
 * Who is calling: the principal a verified token yields, the reasons a
 * token is refused, where a token is read from (headers only, never the
 * query string) and the RFC 6750 challenge for a refusal (SPEC §9, §13).
 */
#ifndef POSTERN_AUTH_PRINCIPAL_H
#define POSTERN_AUTH_PRINCIPAL_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "common/arena.h"
#include "common/str.h"

/** Why a request has no verified identity. The names are the log/metric
 * labels of SPEC §9. */
typedef enum {
    AUTH_OK = 0,
    AUTH_MISSING,
    AUTH_MALFORMED,
    AUTH_EXPIRED,
    AUTH_NOT_YET_VALID,
    AUTH_BAD_SIGNATURE,
    AUTH_UNKNOWN_KID,
    AUTH_BAD_ISSUER,
    AUTH_BAD_AUDIENCE,
    AUTH_BAD_ALGORITHM,
    AUTH_TOO_LARGE,
    AUTH_REASON_COUNT
} auth_reason;

/** The metric/log label ("missing", "bad_signature", ...). */
const char *auth_reason_name(auth_reason r);

/** A short client-safe text for `error_description`: a constant with no
 * quotes or backslashes, never naming keys or token contents. */
const char *auth_reason_description(auth_reason r);

/** A verified caller. sub/iss/client point into claims; claims is shared
 * and read-only (it may be referenced by the token cache and other
 * requests at the same time). For the anonymous principal sub is
 * "anonymous", iss and client are NULL and claims is an empty object. */
typedef struct {
    const char *sub, *iss;
    const char *client; /* azp, else client_id; NULL when neither */
    json_t *claims;
    bool anonymous;
} auth_principal;

/** Builds a principal in arena a from verified claims: takes a new
 * reference to claims, released when the arena is reset or destroyed.
 * Returns NULL when out of memory (nothing retained). */
auth_principal *auth_principal_new(pst_arena *a, json_t *claims);

/** The anonymous principal (allow_anonymous), allocated in a; NULL when out
 * of memory. */
auth_principal *auth_principal_anonymous(pst_arena *a);

/** One place a token may be read from: the first header named `header`
 * whose value starts with `prefix`. A prefix ending in a space ("Bearer ")
 * is an RFC 6750 scheme: matched case-insensitively and followed by one or
 * more spaces. An empty prefix takes the whole value. */
typedef struct {
    const char *header;
    const char *prefix;
} auth_token_source;

/** The default source list: [{Authorization, "Bearer "}]. */
extern const auth_token_source AUTH_DEFAULT_SOURCES[1];

/** Returns the value of the named request header (case-insensitive name),
 * or NULL when absent. Supplied by the HTTP (or WebSocket) layer. */
typedef const char *(*auth_header_fn)(void *ud, const char *name);

/** Finds the token, trying sources in order. Returns PST_OK with *token a
 * view into the header value (trailing spaces and tabs dropped), or
 * PST_DECLINED when there is no token: no header, another scheme, or an
 * empty token (counts as missing, SPEC §13); *token is unchanged then. */
pst_status auth_extract_token(const auth_token_source *sources, size_t n, auth_header_fn get,
                              void *ud, pst_str *token);

/** Appends the exact `WWW-Authenticate` value for a refusal:
 * `Bearer realm="postern"` for AUTH_MISSING, else
 * `Bearer realm="postern", error="invalid_token", error_description="..."`.
 * PST_ERROR when out of memory (buffer as before). */
pst_status auth_challenge(auth_reason r, pst_buf *out);

#endif
