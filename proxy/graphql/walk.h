/**
 * Visits every field an operation would execute, with its parent type,
 * through fragments and inline fragments and honouring @skip/@include, so
 * that an authorization decision can be made for each one before anything
 * runs (SPEC §8: every field is decided before any NATS message is sent).
 */
#ifndef POSTERN_GRAPHQL_WALK_H
#define POSTERN_GRAPHQL_WALK_H

#include <jansson.h>
#include <stdbool.h>

#include "graphql/ast.h"
#include "graphql/schema.h"

/** Called once per FIELD node (not for __typename, __schema or __type).
 * parent is the type the field is selected on (an object or interface
 * type); is_root is true for the operation's root selection. Return PST_OK
 * to go on, PST_DECLINED to skip the field's sub-selection, PST_ERROR to
 * stop the walk. */
typedef pst_status (*gql_walk_fn)(void *ud, const gql_type *parent, const gql_field *def,
                                  const gql_node *field, bool is_root);

/** Walks op (an OPERATION of the validated document doc). Each named
 * fragment is visited once, however often it is spread (the fields inside it
 * have the same coordinates wherever it appears), which also bounds the walk
 * to the size of the document. vars may be NULL (then @skip/@include with a
 * variable count as "include"). Returns PST_ERROR when fn did, or when out
 * of memory; PST_OK otherwise. */
pst_status gql_walk_operation(const gql_schema *s, const gql_node *doc, const gql_node *op,
                              json_t *vars, gql_walk_fn fn, void *ud);

#endif
