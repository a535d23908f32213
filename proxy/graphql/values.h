/**
 * Literal checking against an input type (the ValuesOfCorrectType rule of
 * validation, with graphql-js's messages), shared by validation and by the
 * schema loader (default values, directive arguments). Internal to the
 * graphql module.
 */
#ifndef POSTERN_GRAPHQL_VALUES_H
#define POSTERN_GRAPHQL_VALUES_H

#include "graphql/ast.h"
#include "graphql/schema.h"

/** Called once per problem with the node it is about and the message. */
typedef void (*gql_value_err_fn)(void *ud, const gql_node *at, const char *message);

/** Checks literal v against type t, reporting every problem through fn.
 * Variables are skipped (their positions are checked elsewhere). Recursion
 * follows the literal, whose depth the parser bounds. Returns the number of
 * problems reported. */
size_t gql_check_literal(const gql_typeref *t, const gql_node *v, gql_value_err_fn fn, void *ud);

#endif
