/**
 * State shared by the policy loader's files (load.c parses, inherit.c
 * resolves inheritance). Not part of the public interface.
 */
#ifndef POSTERN_POLICY_LOAD_INT_H
#define POSTERN_POLICY_LOAD_INT_H

#include "policy/policy_int.h"
#include "policy/yaml_doc.h"

/* A role while loading, parallel to policy.roles (same index). */
typedef struct {
    const char *name;
    yaml_node_t *key, *body;
    yaml_node_t **inh; /* the inherits entries */
    size_t ninh;
    int state; /* inheritance walk: 0 new, 1 on the path, 2 flattened */
} pol_raw;

typedef struct {
    pol_yaml y;
    policy *p;
    const policy_schema_check *chk;
    pst_diags *diags;
    pol_raw *raw;
    bool oom;
} pol_ld;

/** Zeroed arena memory / a copy of s; NULL (and l->oom set) when out of
 * memory. */
void *pol_ld_alloc(pol_ld *l, size_t n);
const char *pol_ld_dup(pol_ld *l, const char *s, size_t n);
/** A copy of a scalar node's text; NULL when not a string or out of memory. */
const char *pol_ld_str(pol_ld *l, const yaml_node_t *n);

/** Checks every inherits entry (unknown roles, cycles: all reported) and,
 * when there is no error, flattens inherited permissions and tags into
 * each role. */
void pol_inherit_resolve(pol_ld *l);

#endif
