/**
 * Introspection: the __schema / __type answers of a schema, built once as
 * JSON shaped like graphql-js's introspection objects and completed against
 * the request's selections with the ordinary completion code (execute.h).
 *
 * Types are listed in graphql-js's type-map order, directives as graphql-js
 * lists them when the SDL declares postern's directives first; built-in
 * types and directives carry graphql-js's descriptions.
 *
 * A gql_introspection is immutable once built and may be shared by threads.
 */
#ifndef POSTERN_GRAPHQL_INTROSPECT_H
#define POSTERN_GRAPHQL_INTROSPECT_H

#include <jansson.h>

#include "common/str.h"
#include "graphql/execute.h"
#include "graphql/schema.h"

typedef struct gql_introspection gql_introspection;

/** Builds the introspection data of s (which must outlive it). Returns NULL
 * when out of memory; the caller owns the result. */
gql_introspection *gql_introspection_build(const gql_schema *s);

void gql_introspection_free(gql_introspection *in);

/** The full __Type object of a named type (borrowed; NULL when absent). */
json_t *gql_introspection_type(const gql_introspection *in, pst_str name);

/** The __Schema object (borrowed). */
json_t *gql_introspection_schema(const gql_introspection *in);

/** Answers a root `__schema` or `__type(name:)` field (rf->def NULL):
 * appends its completed value to out. Returns as gql_complete_root_field
 * (PST_ERROR, nothing written, for a field that is neither). */
pst_status gql_introspection_complete(gql_exec_ctx *cx, const gql_introspection *in,
                                      const gql_root_field *rf, pst_buf *out);

#endif
