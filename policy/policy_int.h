/**
 * The loaded policy's representation, shared by the policy module's files
 * (not part of the public interface). Everything lives in the policy's own
 * arena and is read-only after load.
 */
#ifndef POSTERN_POLICY_INT_H
#define POSTERN_POLICY_INT_H

#include <stdatomic.h>

#include "policy/policy.h"

/* policy and decision-test files larger than this are refused */
#define POLICY_MAX_BYTES (4u << 20)

/** A coordinate: "Type.field", "Type.*" (field NULL) or "*" (both NULL). */
typedef struct {
    const char *text; /* as written */
    const char *type;
    const char *field;
} pol_coord;

typedef struct {
    pol_coord *v;
    size_t n;
} pol_coords;

/** Subject patterns as written; `templated` when any has {{ claims.* }}. */
typedef struct {
    const char **v;
    size_t n;
    bool templated;
} pol_patterns;

typedef struct {
    const char *key, *value;
} pol_tag;

enum { POL_ALLOW = 0, POL_DENY = 1 };

typedef struct {
    const char *name;
    const char *description;
    pol_coords gql[2];       /* [POL_ALLOW / POL_DENY], inherited ones included */
    pol_patterns nats[2][2]; /* [policy_op][POL_ALLOW / POL_DENY] */
    pol_tag *tags;           /* inherited ones included, sorted, unique */
    size_t ntags;
    bool templated; /* some subject pattern has a claim template */
} pol_role;

typedef enum {
    POL_MATCH_ANY_OF,
    POL_MATCH_EQUALS,
    POL_MATCH_ANONYMOUS,     /* requests without a token */
    POL_MATCH_AUTHENTICATED, /* every request with a verified token */
} pol_match_kind;

typedef struct {
    size_t role; /* index in policy.roles */
    pol_match_kind kind;
    const char *claim;   /* path; NULL for anonymous */
    const char **values; /* any_of values, or the one equals value */
    size_t nvalues;
    uint32_t line, col;
} pol_binding;

struct policy {
    atomic_long refs;
    pst_arena *arena;
    const char *file;
    pol_role *roles; /* sorted by name */
    size_t nroles;
    pol_binding *bindings;
    size_t nbindings;
};

struct policy_principal {
    const policy *p;
    size_t n;
    const pol_role **roles; /* sorted by name */
    const char **names;     /* roles[i]->name */
    const char *const **subj /* [i*4 + op*2 + allow/deny]: rendered patterns, NULL = none */;
};

/** Index of the role with this name, or (size_t)-1. */
size_t pol_role_find(const policy *p, const char *name, size_t n);

/** Does a coordinate pattern match Type.field? */
bool pol_coord_match(const pol_coord *c, const char *type, const char *field);

/** Claim value of a binding that matches a listed value (string, number,
 * or an element of an array of them); returns the listed value or NULL. */
const char *pol_binding_hit(const pol_binding *b, const json_t *v, const json_t **elem);

#endif
