/**
 * libyaml documents for the policy and its decision tests: loads one
 * document (rejecting aliases and deep nesting first, so walks are bounded),
 * reports problems at file:line:col, and converts nodes to JSON.
 */
#ifndef POSTERN_POLICY_YAML_DOC_H
#define POSTERN_POLICY_YAML_DOC_H

#include <jansson.h>
#include <stdbool.h>
#include <yaml.h>

#include "common/diag.h"

/** Deepest nesting of sequences and mappings accepted. */
#define POL_YAML_DEPTH_MAX 64

typedef struct {
    yaml_document_t doc;
    const char *file; /* for diagnostics; may be NULL */
    pst_diags *diags;
} pol_yaml;

/** Parses text into y->doc. Returns the root node, or NULL after adding a
 * diagnostic (syntax error, alias, too deep, more than one document, or
 * empty); y->doc must be released with pol_yaml_free in both cases. */
yaml_node_t *pol_yaml_load(pol_yaml *y, const char *text, size_t len);

void pol_yaml_free(pol_yaml *y);

/** Adds a diagnostic at node n's start. */
void pol_yaml_err(pol_yaml *y, const yaml_node_t *n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

yaml_node_t *pol_yaml_node(pol_yaml *y, int index);

/** A scalar's text (NUL-terminated), or NULL when n is not a scalar or has
 * an embedded NUL. */
const char *pol_yaml_str(const yaml_node_t *n);

/** True for a plain null scalar ("", "~", "null"). */
bool pol_yaml_is_null(const yaml_node_t *n);

/** Converts a node to JSON (plain scalars become numbers, booleans and null
 * where they read as such; quoted ones stay strings). NULL when out of
 * memory. The caller owns the result. */
json_t *pol_yaml_to_json(pol_yaml *y, yaml_node_t *n, int depth);

/** Puts the diagnostics added after `tail` (NULL = all) in file order:
 * loaders walk in their own order (roles sorted by name), users read top
 * down. Leaves them as they are when out of memory. */
void pol_diags_sort(pst_diags *d, pst_diag *tail);

#endif
