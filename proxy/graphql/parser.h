/**
 * GraphQL parser (October 2021 specification): recursive descent, one
 * function per grammar rule, building the tree of graphql/ast.h in an
 * arena. Executable documents (requests) and type system documents (SDL)
 * have one entry point each.
 *
 * Recursion is bounded: every bracket ({, (, [) opens one level of nesting
 * and a non-null marker (!) in a type counts one more, so the stack used is
 * proportional to max_depth, which is capped at GQL_PARSE_DEPTH_CAP.
 */
#ifndef POSTERN_GRAPHQL_PARSER_H
#define POSTERN_GRAPHQL_PARSER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/arena.h"
#include "graphql/ast.h"

#define GQL_PARSE_DEFAULT_DEPTH 256
#define GQL_PARSE_DEPTH_CAP 2048 /* larger max_depth values are lowered to this */

typedef struct {
    uint32_t max_depth;  /* nesting levels; 0 = GQL_PARSE_DEFAULT_DEPTH */
    uint32_t max_tokens; /* lexical tokens (not counting <EOF>); 0 = unlimited */
} gql_parse_limits;

typedef struct {
    /* graphql-js style: "Syntax Error: Expected Name, found "}"." The
     * limits give "Document nesting exceeds 256 levels." and "Document has
     * more than 10000 tokens."; running out of arena memory gives "Out of
     * memory." with line 0. */
    char message[256];
    uint32_t line, col; /* 1-based, columns in UTF-16 code units; 0 = none */
    bool limit;         /* a limit was exceeded (LIMIT_EXCEEDED, not a parse error) */
} gql_parse_error;

/** Parses an executable document: operations (with the { ... } shorthand),
 * fragments, variables, directives and values. A type system definition in
 * it fails as graphql-js's validation does: `The "Foo" definition is not
 * executable.` at the definition (after any syntax error of the document).
 * lim may be NULL (defaults); so may err (no details then).
 *
 * Returns the GQL_DOCUMENT node, allocated in arena a; names point into
 * src, which must outlive the tree. On failure returns NULL and fills *err;
 * nothing else changes except allocations in a (the caller resets it). */
gql_node *gql_parse_executable(pst_arena *a, const char *src, size_t n, const gql_parse_limits *lim,
                               gql_parse_error *err);

/** Parses a type system document: schema, scalar, object, interface, union,
 * enum, input object and directive definitions, with descriptions.
 * Executable definitions are syntax errors here; type system extensions
 * (`extend type ...`) fail with "Type system extensions are not supported."
 * Returns and fails as gql_parse_executable. */
gql_node *gql_parse_sdl(pst_arena *a, const char *src, size_t n, const gql_parse_limits *lim,
                        gql_parse_error *err);

#endif
