/**
 * Execution helpers: operation selection, @skip/@include, CollectFields for
 * the root type, and completion of root field values (the JSON replies of
 * NATS responders) exactly as graphql-js's CompleteValue: scalar result
 * coercion, enums, lists, objects read from the reply by field name,
 * abstract types through the reply's `__typename`, and null propagation.
 *
 * Completion writes compact JSON straight into a pst_buf and rolls output
 * back with pst_buf_truncate when null propagates; no result tree is built.
 */
#ifndef POSTERN_GRAPHQL_EXECUTE_H
#define POSTERN_GRAPHQL_EXECUTE_H

#include <jansson.h>
#include <stdbool.h>

#include "common/arena.h"
#include "common/str.h"
#include "graphql/ast.h"
#include "graphql/errors.h"
#include "graphql/schema.h"

/** Picks the operation to run (graphql-js rules). operation_name.p NULL =
 * none given. Returns the OPERATION node, or NULL with *error set to a
 * constant-ish message: "Must provide an operation.", "Must provide
 * operation name if query contains multiple operations." or "Unknown
 * operation named "X"." (the last one is formatted into a static buffer of
 * the calling thread). */
const gql_node *gql_select_operation(const gql_node *doc, pst_str operation_name,
                                     const char **error);

/** @skip(if:) / @include(if:) on a selection's directive list, with
 * literals or coerced variables (vars may be NULL). True = include. */
bool gql_should_include(const gql_node *directives, json_t *vars);

/** One entry of the root selection set after CollectFields. */
typedef struct {
    pst_str key;            /* response key (alias or name) */
    const gql_field *def;   /* NULL for __typename, __schema, __type */
    const gql_node **nodes; /* FIELD nodes merged under the key, in order */
    size_t n_nodes;
    const char *path_json;  /* ["key"] */
    const gql_type *parent; /* the root type */
} gql_root_field;

/** CollectFields on the operation's root type: fragments, inline fragments
 * with type conditions, @skip/@include, same-key merging in order. Fields
 * unknown to the root type are left out (validation reports them). *out is
 * an arena array of *n entries. Returns PST_OK, PST_DECLINED when the schema
 * has no root type for the operation, PST_ERROR when out of memory (*out
 * and *n unchanged on failure). */
pst_status gql_collect_root_fields(pst_arena *a, const gql_schema *s, const gql_node *doc,
                                   const gql_node *op, json_t *vars, gql_root_field **out,
                                   size_t *n);

typedef struct {
    const gql_schema *schema;
    const gql_node *doc;
    json_t *vars;
    gql_errors *errs;
    pst_arena *arena;
    /* policy hook: NULL = allow all. PST_DENIED makes the field null with a
     * FORBIDDEN error; PST_ERROR aborts completion (out of memory). Called
     * for every nested field except __typename and the fields of the
     * introspection types (__Type.name...). */
    pst_status (*field_allowed)(void *ud, const gql_field *def, const char *path_json);
    void *ud;
} gql_exec_ctx;

/** Completes a root field's reply value (NULL = missing, treated as null)
 * and appends the completed JSON value (not the key) to out. Field errors
 * are added to cx->errs, each once, at its path with its location.
 * Returns PST_OK when a value (possibly null) was written; PST_DECLINED when
 * the field is non-null and null propagated to it (nothing written: the
 * caller nulls `data` or the parent); PST_ERROR when out of memory (out is
 * left as it was, unless it is marked failed). __typename (def NULL) is
 * answered here with the root type's name; __schema / __type go to
 * gql_introspection_complete (here they return PST_ERROR, nothing written).
 * Values are read from the reply by field name; graphql-js semantics hold
 * throughout (scalar serialization, enums, "Expected Iterable", abstract
 * types through the reply's "__typename", null propagation that stops the
 * enclosing object or list at the first non-null failure). Merged fields'
 * errors carry the first field node's location only. */
pst_status gql_complete_root_field(gql_exec_ctx *cx, const gql_root_field *rf, json_t *value,
                                   pst_buf *out);

/** Records an error for a root field that failed before completion (no
 * responders, timeout, upstream error...) at its path, and writes `null`
 * into out when the field is nullable. extensions may be NULL. Returns
 * PST_OK (null written), PST_DECLINED (non-null field: nothing written, the
 * caller nulls `data`), PST_ERROR when out of memory. */
pst_status gql_complete_root_error(gql_exec_ctx *cx, const gql_root_field *rf, const char *code,
                                   const char *extensions, const char *message, pst_buf *out);

/** Completion with an explicit type and path, for introspection (which
 * answers `__schema` and `__type` from JSON built from the schema).
 * intro_types, when not NULL, maps type names to full __Type objects so
 * that __Type stubs ({"name": "X"}) resolve to them. Returns as
 * gql_complete_root_field. */
pst_status gql_complete_value(gql_exec_ctx *cx, const gql_typeref *type, const gql_field *def,
                              const gql_node **nodes, size_t n_nodes, const char *path_json,
                              json_t *value, json_t *intro_types, pst_buf *out);

#endif
