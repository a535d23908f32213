/**
 * Shared state of the schema builder (schema.c, schema_build.c,
 * schema_check.c). Internal to the graphql module.
 */
#ifndef POSTERN_GRAPHQL_SCHEMA_INTERNAL_H
#define POSTERN_GRAPHQL_SCHEMA_INTERNAL_H

#include "graphql/names.h"
#include "graphql/schema.h"

/* What gql_schema.index points to. */
typedef struct {
    gql_names types;      /* name -> gql_type* */
    gql_names directives; /* name -> gql_directive* */
    gql_field meta_typename, meta_schema, meta_type;
} gql_schema_index;

/* Builder state for one load. */
typedef struct {
    gql_schema *s;
    gql_schema_index *ix;
    pst_arena *a;
    const char *file;
    pst_diags *diags;
    size_t errors;
    bool builtin;               /* building the embedded SDL */
    const gql_node **type_defs; /* definition node of s->types[i] */
    size_t cap_types;
    const gql_node **dir_defs; /* definition node of s->directives[i] */
    size_t cap_dirs;
    const gql_node *schema_def; /* the user's `schema { }` or NULL */
    /* the user's declarations of built-in directives, checked against ours */
    const gql_node **redeclared;
    size_t n_redeclared;
} gql_sb;

/** Adds an error at the node's position. */
void gql_sb_error(gql_sb *b, const gql_node *at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/** A NUL-terminated arena copy of s; NULL when out of memory (counted as an
 * error). */
char *gql_sb_strdup(gql_sb *b, pst_str s);

/* schema_build.c: pass 1 declares every type and directive of a document
 * (b->builtin says which), pass 2 fills the fields, arguments, members and
 * values of everything declared. */
void gql_sb_declare(gql_sb *b, const gql_node *doc);
void gql_sb_fill(gql_sb *b);
/** Fills a directive's arguments and locations from its definition. */
void gql_sb_fill_directive(gql_sb *b, gql_directive *d, const gql_node *def);
/** Resolves an AST type; NULL (error added) when a named type is unknown. */
gql_typeref *gql_sb_typeref(gql_sb *b, const gql_node *type);

/* schema_check.c: interfaces, unions, roots, directive uses, NATS mappings,
 * and the per-type name indexes. */
void gql_sb_check(gql_sb *b, const gql_node *user_doc);

/** Appends a literal in GraphQL syntax (for messages and comparisons). */
void gql_sb_print_value(pst_buf *out, const gql_node *v);

/** Appends `directive @name(args) [repeatable ]on LOC | LOC`. */
void gql_sb_print_directive(pst_buf *out, const gql_directive *d);

#endif
