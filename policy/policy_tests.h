/**
 * Policy decision tests (SPEC §8, `postern policy test`): parses the test
 * file into cases and judges a case from the field decisions the caller
 * made. The caller parses each query with the GraphQL parser, walks it,
 * binds the claims and asks policy_decide_field for every field.
 */
#ifndef POSTERN_POLICY_TESTS_H
#define POSTERN_POLICY_TESTS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/arena.h"
#include "common/diag.h"
#include "common/str.h"

typedef enum {
    POLICY_EXPECT_ALLOW,      /* `allow`: no field is denied */
    POLICY_EXPECT_DENY,       /* `deny`: at least one field is denied */
    POLICY_EXPECT_DENY_LIST,  /* {deny: [...]}: exactly these coordinates are denied */
    POLICY_EXPECT_ALLOW_LIST, /* {allow: [...]}: these coordinates are all allowed */
} policy_expect;

typedef struct {
    const char *name;
    json_t *claims; /* NULL = anonymous (no token) */
    const char *query;
    json_t *variables; /* NULL when absent */
    policy_expect expect;
    const char **coords; /* for the _LIST kinds */
    size_t ncoords;
    uint32_t line, col; /* where the case starts */
} policy_test_case;

typedef struct {
    pst_arena *arena;
    const char *file;
    policy_test_case *cases;
    size_t count;
} policy_test_file;

/** Parses a test file: `tests:` a list of {name, claims?, query,
 * variables?, expect}. Every problem goes to diags as file:line:col.
 * Returns NULL on any error; else a file the caller frees with
 * policy_tests_free. */
policy_test_file *policy_tests_load_file(const char *path, pst_diags *diags);

/** As policy_tests_load_file from text; name is used in diagnostics. */
policy_test_file *policy_tests_load_string(const char *text, size_t len, const char *name,
                                           pst_diags *diags);

/** Frees the file and its cases' JSON values. NULL is ok. */
void policy_tests_free(policy_test_file *t);

/** Judges a case from the coordinates the caller found denied and allowed
 * (duplicates are fine). Returns true when the expectation holds; else
 * false with one readable line in why (may be NULL). */
bool policy_test_judge(const policy_test_case *tc, const char *const *denied, size_t ndenied,
                       const char *const *allowed, size_t nallowed, pst_buf *why);

#endif
