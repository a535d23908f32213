/**
 * GraphQL validation (specification section 5) of an executable document
 * against a schema, with graphql-js's messages and locations, plus
 * postern's operation limits (depth, aliases, root fields) and the
 * introspection switch (SPEC §4, §13).
 *
 * Each error carries one location: where graphql-js lists several, the
 * first of its list. Names of operations, fragments and spreads are located
 * at the name when it is on the keyword's line, else at the definition.
 */
#ifndef POSTERN_GRAPHQL_VALIDATE_H
#define POSTERN_GRAPHQL_VALIDATE_H

#include <stdbool.h>
#include <stdint.h>

#include "common/status.h"
#include "graphql/ast.h"
#include "graphql/errors.h"
#include "graphql/schema.h"

typedef struct {
    uint32_t max_depth;       /* selection-set nesting, through fragments; 0 = no limit */
    uint32_t max_aliases;     /* aliased fields per operation, through fragments; 0 = no limit */
    uint32_t max_root_fields; /* fields at an operation's root, through fragments; 0 = no limit */
    bool introspection;       /* false: selecting __schema or __type is an error */
} gql_validate_limits;

/** Validates doc (a DOCUMENT from gql_parse_executable) against s. lim may
 * be NULL (no limits, introspection allowed). Every problem is added to errs
 * (extensions.code GRAPHQL_VALIDATION_FAILED, or LIMIT_EXCEEDED for the
 * limits); scratch memory comes from errs->arena. The work is bounded:
 * fragments are followed with cycle detection and their facts memoised, so
 * fan-out through fragments costs linear time.
 * Returns PST_OK when the document is valid; PST_ERROR when it is not or
 * memory ran out (then an INTERNAL_SERVER_ERROR entry is added when it
 * fits). Neither the schema nor the document is changed. */
pst_status gql_validate(const gql_schema *s, const gql_node *doc, const gql_validate_limits *lim,
                        gql_errors *errs);

#endif
