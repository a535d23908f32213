/**
 * NATS subjects for the policy: pattern syntax with {{ claims.PATH }}
 * templates, NATS wildcard matching (`*` one token, `>` one or more trailing
 * tokens), claim lookup and safe rendering of claim values into tokens.
 */
#ifndef POSTERN_POLICY_SUBJECT_H
#define POSTERN_POLICY_SUBJECT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "common/arena.h"
#include "common/str.h"

/** Checks a policy subject pattern. Returns NULL when valid (and sets
 * *templated when it has claim templates), else a constant message. */
const char *policy_pattern_check(const char *pattern, bool *templated);

/** Checks a concrete subject: non-empty tokens, no whitespace or control
 * characters, valid UTF-8, `>` only last; wildcards only when allowed.
 * Returns NULL when valid, else a constant message. */
const char *policy_subject_check(const char *subject, bool wildcards);

/** True when pattern covers every subject that `subject` matches (equal to
 * NATS matching when subject has no wildcards). Both must be valid. */
bool policy_subject_match(const char *pattern, const char *subject);

/** True when some concrete subject matches both a and b. */
bool policy_subject_overlap(const char *a, const char *b);

/** The SPEC §5 token rule: non-empty, valid UTF-8, no '.', '*', '>',
 * whitespace or control characters, not starting with '$', <= 256 bytes. */
bool policy_token_safe(const char *p, size_t n);

/** Looks a claim up by path: the whole path as one key first, then split at
 * each '.' from the left into nested objects. NULL when missing. */
const json_t *policy_claim_lookup(const json_t *claims, const char *path);

/** Writes a claim value usable as a subject token into buf (NUL-terminated;
 * strings as they are, integers in decimal) and its length into *len.
 * Returns false, buf unchanged, when v is missing, of another type, unsafe
 * (policy_token_safe) or does not fit in cap. */
bool policy_claim_token(const json_t *v, char *buf, size_t cap, size_t *len);

/** Renders a templated pattern with the claims into the arena. *out is NULL
 * when a claim is missing or unsafe (the pattern matches nothing). Returns
 * PST_ERROR when out of memory. */
pst_status policy_pattern_render(const char *pattern, const json_t *claims, pst_arena *a,
                                 const char **out);

/** Appends the pattern with every template widened to `*`. */
pst_status policy_pattern_widen(const char *pattern, pst_buf *out);

#endif
