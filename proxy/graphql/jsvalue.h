/**
 * Values printed and converted the way graphql-js (JavaScript) does, so
 * messages and results match it byte for byte: Number#toString, Number(s),
 * inspect(), the GraphQL literal printer and "Did you mean" suggestions.
 */
#ifndef POSTERN_GRAPHQL_JSVALUE_H
#define POSTERN_GRAPHQL_JSVALUE_H

#include <jansson.h>
#include <stdbool.h>

#include "common/str.h"
#include "graphql/ast.h"

/** Formats d as JavaScript's Number#toString does ("1", "1.5", "1e+21",
 * "1.5e-7", "NaN", "Infinity"). buf must hold 32 bytes; returns buf. */
char *gql_js_number(double d, char buf[32]);

/** JavaScript's Number(string): whitespace trimmed, "" is 0, decimal,
 * 0x/0o/0b and Infinity forms. False when the result would be NaN. */
bool gql_js_string_number(const char *s, size_t n, double *out);

/** A JSON number as JavaScript sees it (integers converted to double). */
double gql_json_number(const json_t *v);

/** Appends graphql-js's inspect(v): strings JSON-quoted, `{ a: 1 }`,
 * `[1, 2]`, depth and length limits as graphql-js. */
pst_status gql_inspect_json(pst_buf *b, const json_t *v);

/** Appends v as JSON.stringify would: compact, keys in JavaScript's order
 * (array-index keys first), numbers as Number#toString. Returns PST_OK,
 * PST_DECLINED when v nests deeper than 512 levels, PST_ERROR when out of
 * memory; on failure b is as before the call (or marked failed). */
pst_status gql_js_write_json(pst_buf *b, const json_t *v);

/** Appends a GraphQL literal as graphql-js's printer writes it. */
pst_status gql_print_literal(pst_buf *b, const gql_node *v);

/** Appends graphql-js's " Did you mean ...?" suffix for name among the
 * candidate names (nothing when no candidate is close). prefix is text put
 * before the quoted names ("the enum value") or NULL. */
pst_status gql_did_you_mean(pst_buf *b, const char *prefix, pst_str name, const pst_str *cands,
                            size_t n);

#endif
