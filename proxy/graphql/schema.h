/**
 * The schema: types built from SDL (with the built-in scalars and the
 * introspection types), and each root field's NATS mapping (SPEC §5).
 *
 * A gql_schema is immutable once loaded and may be shared by every thread.
 * It owns all its memory (one arena); free it with gql_schema_free.
 */
#ifndef POSTERN_GRAPHQL_SCHEMA_H
#define POSTERN_GRAPHQL_SCHEMA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/arena.h"
#include "common/diag.h"
#include "common/str.h"
#include "graphql/ast.h"

typedef enum {
    GQL_TYPE_SCALAR,
    GQL_TYPE_OBJECT,
    GQL_TYPE_INTERFACE,
    GQL_TYPE_UNION,
    GQL_TYPE_ENUM,
    GQL_TYPE_INPUT_OBJECT,
} gql_type_kind;

typedef struct gql_type gql_type;

/** A type reference: Named, [T] or T!. */
typedef enum { GQL_REF_NAMED, GQL_REF_LIST, GQL_REF_NON_NULL } gql_ref_kind;
typedef struct gql_typeref {
    gql_ref_kind kind;
    gql_type *named;        /* GQL_REF_NAMED */
    struct gql_typeref *of; /* GQL_REF_LIST, GQL_REF_NON_NULL */
} gql_typeref;

/** An argument or an input object field. */
typedef struct {
    pst_str name;
    gql_typeref *type;
    const gql_node *default_value; /* literal from the SDL, or NULL */
    const char *description;       /* or NULL */
    uint32_t line, col;
} gql_input_value;

typedef enum {
    GQL_NATS_NONE = 0,
    GQL_NATS_REQUEST,   /* @natsRequest / @edfs__natsRequest */
    GQL_NATS_PUBLISH,   /* @natsPublish / @edfs__natsPublish */
    GQL_NATS_SUBSCRIBE, /* @natsSubscribe / @edfs__natsSubscribe */
} gql_nats_kind;

typedef struct {
    gql_nats_kind kind;
    const char *subject;   /* REQUEST/PUBLISH: the subject template text */
    const char **subjects; /* SUBSCRIBE: subject templates */
    size_t n_subjects;
    int64_t timeout_ms; /* from the directive's `timeout`; 0 = the config default */
    bool edfs;          /* declared with an @edfs__ directive */
} gql_nats_mapping;

typedef struct {
    pst_str name;
    const char *coordinate; /* "Type.field", NUL-terminated */
    gql_typeref *type;
    gql_input_value *args;
    size_t n_args;
    gql_nats_mapping nats; /* root fields of Query/Mutation/Subscription only */
    gql_type *owner;
    const char *description;
    bool deprecated;
    uint32_t line, col;
} gql_field;

struct gql_type {
    gql_type_kind kind;
    pst_str name;
    const char *description;
    bool builtin; /* Int, Float, String, Boolean, ID and the __ types */
    /* OBJECT, INTERFACE */
    gql_field *fields;
    size_t n_fields;
    gql_type **interfaces;
    size_t n_interfaces;
    /* UNION: members; INTERFACE: the object types that implement it */
    gql_type **possible;
    size_t n_possible;
    /* ENUM */
    pst_str *enum_values;
    size_t n_enum_values;
    /* INPUT_OBJECT */
    gql_input_value *input_fields;
    size_t n_input_fields;
    uint32_t line, col;
    void *index; /* fields, input fields or enum values by name; private to schema.c */
};

/** Where a directive may appear (the __DirectiveLocation values, in order). */
typedef enum {
#define GQL_LOC_ENUM(name) GQL_LOC_##name,
    GQL_DIRECTIVE_LOCATIONS(GQL_LOC_ENUM)
#undef GQL_LOC_ENUM
        GQL_LOC_COUNT
} gql_dir_loc;

/** A directive definition (built-in, postern's own or declared in the SDL). */
typedef struct gql_directive {
    pst_str name; /* without @ */
    const char *description;
    gql_input_value *args;
    size_t n_args;
    uint32_t locations; /* bit (1u << gql_dir_loc) per allowed location */
    bool repeatable;
    bool builtin; /* @skip, @include, @deprecated, @specifiedBy and postern's */
    uint32_t line, col;
} gql_directive;

typedef struct gql_schema {
    pst_arena *arena;
    gql_type **types; /* every type, built-ins included, in definition order */
    size_t n_types;
    gql_type *query;            /* never NULL in a loaded schema */
    gql_type *mutation;         /* or NULL */
    gql_type *subscription;     /* or NULL */
    gql_directive **directives; /* every directive, built-ins first */
    size_t n_directives;
    void *index; /* name lookup, private to schema.c */
} gql_schema;

/** Parses and checks SDL text; `file` names it in diagnostics. Every
 * problem is added to diags as file:line:col (unknown types, duplicate
 * names, root fields without a NATS directive, EDFS providerId other than
 * "default", directive declarations that differ from postern's own, bad
 * subject templates, interface implementations that do not match...).
 * Returns the schema (caller owns it) or NULL when diags got an error. */
gql_schema *gql_schema_load(const char *sdl, size_t n, const char *file, pst_diags *diags);

/** As gql_schema_load, reading the file at path. */
gql_schema *gql_schema_load_file(const char *path, pst_diags *diags);

void gql_schema_free(gql_schema *s);

/** Looks a type up by name; NULL when absent. */
gql_type *gql_schema_type(const gql_schema *s, pst_str name);

/** A field of an object or interface type by name, NULL when absent. */
gql_field *gql_type_field(const gql_type *t, pst_str name);

/** As gql_type_field, plus the meta-fields: `__typename` on every object,
 * interface and union, `__schema` and `__type(name:)` on the query root. */
gql_field *gql_schema_field(const gql_schema *s, const gql_type *parent, pst_str name);

/** True when the enum type t has the value name. */
bool gql_type_has_enum_value(const gql_type *t, pst_str name);

/** A directive definition by name (without @); NULL when absent. */
gql_directive *gql_schema_directive(const gql_schema *s, pst_str name);

/** An argument of a directive by name; NULL when absent. */
gql_input_value *gql_directive_arg(const gql_directive *d, pst_str name);

/** The name of a directive location ("FIELD", "INLINE_FRAGMENT"...). */
const char *gql_dir_loc_name(gql_dir_loc loc);

/** True for objects, interfaces and unions. */
bool gql_type_is_composite(const gql_type *t);
/** True for interfaces and unions. */
bool gql_type_is_abstract(const gql_type *t);

/** True when two references have the same shape and named types. */
bool gql_typeref_equal(const gql_typeref *a, const gql_typeref *b);

/** An argument of a field (or input field of an input object) by name. */
gql_input_value *gql_field_arg(const gql_field *f, pst_str name);
gql_input_value *gql_type_input_field(const gql_type *t, pst_str name);

/** True when object type obj is `t` or one of the possible types of the
 * abstract type t. */
bool gql_type_is_possible(const gql_type *t, const gql_type *obj);

/** The root type for an operation type; NULL when the schema has none. */
gql_type *gql_schema_root(const gql_schema *s, gql_op_type op);

/** The named type at the bottom of a reference. */
gql_type *gql_typeref_named(const gql_typeref *r);

/** Writes the reference as GraphQL text ("[Order!]!") into out. */
pst_status gql_typeref_print(const gql_typeref *r, pst_buf *out);

/** True for scalars and enums. */
bool gql_type_is_leaf(const gql_type *t);
/** True for scalars, enums and input objects. */
bool gql_type_is_input(const gql_type *t);

#endif
