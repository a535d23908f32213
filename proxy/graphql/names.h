/**
 * Name index: a fixed-size open-addressing hash table from names to
 * pointers, allocated in an arena. Used by the schema (types, directives,
 * fields per type) and by validation (fragments, variables). Internal to the
 * graphql module.
 */
#ifndef POSTERN_GRAPHQL_NAMES_H
#define POSTERN_GRAPHQL_NAMES_H

#include <stddef.h>
#include <stdint.h>

#include "common/arena.h"
#include "common/str.h"

typedef struct {
    const char *p;
    uint32_t n;
    uint32_t hash;
    void *val;
} gql_name_slot;

typedef struct {
    gql_name_slot *slots;
    uint32_t mask;  /* capacity - 1; capacity is a power of two */
    uint32_t count; /* at most half the capacity */
} gql_names;

/** Sizes an empty index for up to `expected` names. Returns PST_ERROR when
 * out of memory (ix is then empty and usable: every lookup misses). */
pst_status gql_names_init(gql_names *ix, pst_arena *a, size_t expected);

/** The value stored for name; NULL when absent. */
void *gql_names_get(const gql_names *ix, pst_str name);

/** Stores val under name unless present. Returns PST_OK when stored,
 * PST_DECLINED when the name was already there (*existing, when not NULL,
 * gets the stored value; the index is unchanged), PST_ERROR when full. */
pst_status gql_names_put(gql_names *ix, pst_str name, void *val, void **existing);

/** Stores val under name, replacing a value already there. PST_ERROR when
 * full. */
pst_status gql_names_set(gql_names *ix, pst_str name, void *val);

#endif
