/**
 * Input coercion (GraphQL spec CoerceVariableValues / CoerceArgumentValues)
 * with graphql-js's messages.
 *
 * Values are jansson json_t. Coerced values are owned by the arena given
 * (a json_decref cleanup is registered), so callers never decref them.
 */
#ifndef POSTERN_GRAPHQL_COERCE_H
#define POSTERN_GRAPHQL_COERCE_H

#include <jansson.h>
#include <stdbool.h>

#include "common/arena.h"
#include "common/str.h"
#include "graphql/ast.h"
#include "graphql/errors.h"
#include "graphql/jsvalue.h"
#include "graphql/schema.h"

/** Coerces the request's `variables` object (raw; NULL = none) against the
 * operation's variable definitions: defaults, nullability, scalars, enums,
 * input objects, lists. *out gets a new object owned by the arena.
 * Returns PST_OK; PST_DECLINED when the input is invalid: each problem is
 * added to errs at the variable definition's location, with code
 * BAD_USER_INPUT (LIMIT_EXCEEDED for values nested more than 512 levels),
 * and *out is unchanged; PST_ERROR when out of memory (*out unchanged;
 * errs may have got no entry). */
pst_status gql_coerce_variables(pst_arena *a, const gql_schema *s, const gql_node *op, json_t *raw,
                                json_t **out, gql_errors *errs);

/** Coerces the arguments of one field node (literals, variables, nested
 * variables, schema defaults) against its definition: *out gets a new object
 * owned by the arena, arguments in definition order, enums as strings,
 * absent optional arguments without a default omitted. vars are the coerced
 * variables (may be NULL). Returns PST_OK; PST_DECLINED when an argument is
 * invalid (one error added to errs at path_json, code BAD_USER_INPUT, *out
 * unchanged); PST_ERROR when out of memory. */
pst_status gql_coerce_arguments(pst_arena *a, const gql_field *def, const gql_node *field,
                                json_t *vars, json_t **out, gql_errors *errs,
                                const char *path_json);

/** valueFromAST: the value of literal v (variables from vars) for type t.
 * Returns a new reference (caller decrefs) or NULL when the literal is not
 * valid for the type or memory ran out. */
json_t *gql_value_from_ast(const gql_node *v, const gql_typeref *t, json_t *vars);

/** Builds the type reference of an AST type (NAMED/LIST/NON_NULL) in the
 * arena; NULL when a named type is unknown or memory ran out. */
gql_typeref *gql_typeref_from_ast(pst_arena *a, const gql_schema *s, const gql_node *type);

#endif
