/**
 * Verified tokens, keyed by the SHA-256 of the token text and kept until
 * their expiry, so a repeated token costs a hash and a lookup instead of a
 * signature check.
 *
 * One cache shared by all event loops, split into 16 shards each with its
 * own mutex: a client's connections land on different loops (SO_REUSEPORT),
 * so a per-loop cache would verify the same token once per loop and hold up
 * to `workers` copies; the critical section is a hash compare and a
 * reference increment, so contention stays negligible. A full shard makes
 * room by dropping an expired entry among its 8 oldest, else its oldest;
 * an expired entry found by a lookup is dropped too.
 */
#ifndef POSTERN_AUTH_TOKEN_CACHE_H
#define POSTERN_AUTH_TOKEN_CACHE_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "common/status.h"

#define AUTH_TOKEN_HASH_LEN 32

typedef struct auth_token_cache auth_token_cache;

/** Creates a cache holding at most `capacity` tokens (0 disables caching:
 * lookups miss, inserts do nothing). NULL when out of memory. */
auth_token_cache *auth_token_cache_create(size_t capacity);

/** Frees every entry (dropping its claims reference) and the cache. */
void auth_token_cache_destroy(auth_token_cache *c);

/** SHA-256 of the token text into hash. PST_ERROR (hash undefined: do not
 * use the cache then) when OpenSSL fails, e.g. out of memory. */
pst_status auth_token_hash(const char *token, size_t len, unsigned char hash[AUTH_TOKEN_HASH_LEN]);

/** Looks a token up. When it is cached and now_ms < its expiry, returns its
 * claims with a new reference the caller releases (json_decref); an expired
 * entry is removed. NULL on a miss. Thread-safe. */
json_t *auth_token_cache_get(auth_token_cache *c, const unsigned char hash[AUTH_TOKEN_HASH_LEN],
                             int64_t now_ms);

/** Stores claims (takes a new reference) until expires_ms; now_ms tells
 * which entries have expired when room is needed. Replaces an existing
 * entry for the same hash. PST_ERROR when out of memory (cache
 * unchanged). Thread-safe. */
pst_status auth_token_cache_put(auth_token_cache *c, const unsigned char hash[AUTH_TOKEN_HASH_LEN],
                                json_t *claims, int64_t expires_ms, int64_t now_ms);

/** Entries currently held (for metrics and tests). */
size_t auth_token_cache_size(auth_token_cache *c);

#endif
