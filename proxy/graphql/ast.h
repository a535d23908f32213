/**
 * GraphQL abstract syntax tree (October 2021 specification), for executable
 * documents and SDL. Every node kind is listed once in GQL_AST_KINDS; the
 * enum, the kind names and the visitor are generated from it.
 *
 * All nodes use one struct. Which members a kind uses is documented in the
 * list below; unused members are zero. Lists are singly linked through
 * `next` in source order. Nodes and strings are owned by the arena passed
 * to the parser and live until it is reset; `pst_str` members point into
 * the source text, except decoded string values (STRING, BLOCK strings,
 * descriptions), which point into the arena.
 */
#ifndef POSTERN_GRAPHQL_AST_H
#define POSTERN_GRAPHQL_AST_H

#include <stdbool.h>
#include <stdint.h>

#include "common/str.h"

/* X(ENUM_SUFFIX, "name", members used) */
#define GQL_AST_KINDS(X)                                                                           \
    /* documents */                                                                                \
    X(DOCUMENT, "Document", "children: definitions")                                               \
    /* executable definitions */                                                                   \
    X(OPERATION, "OperationDefinition",                                                            \
      "op: gql_op_type; name (may be empty); children: VARIABLE_DEF; directives; selections")      \
    X(VARIABLE_DEF, "VariableDefinition",                                                          \
      "name (without $); type; value: default or NULL; "                                           \
      "directives")                                                                                \
    X(FIELD, "Field", "alias (may be empty); name; args: ARGUMENT; directives; selections")        \
    X(FRAGMENT_SPREAD, "FragmentSpread", "name; directives")                                       \
    X(INLINE_FRAGMENT, "InlineFragment", "type: NAMED_TYPE or NULL; directives; selections")       \
    X(FRAGMENT_DEF, "FragmentDefinition", "name; type: NAMED_TYPE; directives; selections")        \
    X(ARGUMENT, "Argument", "name; value")                                                         \
    X(DIRECTIVE, "Directive", "name (without @); args: ARGUMENT")                                  \
    /* type references */                                                                          \
    X(NAMED_TYPE, "NamedType", "name")                                                             \
    X(LIST_TYPE, "ListType", "type: item type")                                                    \
    X(NON_NULL_TYPE, "NonNullType", "type: NAMED_TYPE or LIST_TYPE")                               \
    /* values */                                                                                   \
    X(VARIABLE, "Variable", "name (without $)")                                                    \
    X(INT, "IntValue", "str: the literal text")                                                    \
    X(FLOAT, "FloatValue", "str: the literal text")                                                \
    X(STRING, "StringValue",                                                                       \
      "str: decoded UTF-8 (escapes and block strings resolved); "                                  \
      "flags: GQL_FLAG_BLOCK for block strings")                                                   \
    X(BOOLEAN, "BooleanValue", "flags: GQL_FLAG_TRUE when true")                                   \
    X(NULL_VALUE, "NullValue", "-")                                                                \
    X(ENUM, "EnumValue", "name")                                                                   \
    X(LIST, "ListValue", "children: values")                                                       \
    X(OBJECT, "ObjectValue", "children: OBJECT_FIELD")                                             \
    X(OBJECT_FIELD, "ObjectField", "name; value")                                                  \
    /* type system (SDL) */                                                                        \
    X(SCHEMA_DEF, "SchemaDefinition", "str: description; directives; children: OPERATION_TYPE")    \
    X(OPERATION_TYPE, "OperationTypeDefinition", "op: gql_op_type; type: NAMED_TYPE")              \
    X(SCALAR_DEF, "ScalarTypeDefinition", "str: description; name; directives")                    \
    X(OBJECT_DEF, "ObjectTypeDefinition",                                                          \
      "str: description; name; interfaces: NAMED_TYPE; directives; children: FIELD_DEF")           \
    X(INTERFACE_DEF, "InterfaceTypeDefinition",                                                    \
      "str: description; name; interfaces: NAMED_TYPE; directives; children: FIELD_DEF")           \
    X(UNION_DEF, "UnionTypeDefinition",                                                            \
      "str: description; name; directives; children: NAMED_TYPE members")                          \
    X(ENUM_DEF, "EnumTypeDefinition",                                                              \
      "str: description; name; directives; children: ENUM_VALUE_DEF")                              \
    X(ENUM_VALUE_DEF, "EnumValueDefinition", "str: description; name; directives")                 \
    X(INPUT_OBJECT_DEF, "InputObjectTypeDefinition",                                               \
      "str: description; name; directives; children: INPUT_VALUE_DEF")                             \
    X(FIELD_DEF, "FieldDefinition",                                                                \
      "str: description; name; args: INPUT_VALUE_DEF; type; directives")                           \
    X(INPUT_VALUE_DEF, "InputValueDefinition",                                                     \
      "str: description; name; type; value: default or NULL; directives")                          \
    X(DIRECTIVE_DEF, "DirectiveDefinition",                                                        \
      "str: description; name (without @); args: INPUT_VALUE_DEF; flags: GQL_FLAG_REPEATABLE; "    \
      "children: NAMED_TYPE whose name is a location (QUERY, FIELD_DEFINITION, ...)")

/* The directive locations of the specification (§3.13), in its order: the
 * parser checks DIRECTIVE_DEF locations against it, the schema numbers them
 * (gql_dir_loc) and introspection lists them (__DirectiveLocation). */
#define GQL_DIRECTIVE_LOCATIONS(X)                                                                 \
    X(QUERY)                                                                                       \
    X(MUTATION)                                                                                    \
    X(SUBSCRIPTION)                                                                                \
    X(FIELD)                                                                                       \
    X(FRAGMENT_DEFINITION)                                                                         \
    X(FRAGMENT_SPREAD)                                                                             \
    X(INLINE_FRAGMENT)                                                                             \
    X(VARIABLE_DEFINITION)                                                                         \
    X(SCHEMA)                                                                                      \
    X(SCALAR)                                                                                      \
    X(OBJECT)                                                                                      \
    X(FIELD_DEFINITION)                                                                            \
    X(ARGUMENT_DEFINITION)                                                                         \
    X(INTERFACE)                                                                                   \
    X(UNION)                                                                                       \
    X(ENUM)                                                                                        \
    X(ENUM_VALUE)                                                                                  \
    X(INPUT_OBJECT)                                                                                \
    X(INPUT_FIELD_DEFINITION)

typedef enum {
#define GQL_AST_ENUM(suffix, name, doc) GQL_##suffix,
    GQL_AST_KINDS(GQL_AST_ENUM)
#undef GQL_AST_ENUM
        GQL_KIND_COUNT
} gql_kind;

typedef enum {
    GQL_OP_QUERY = 0,
    GQL_OP_MUTATION = 1,
    GQL_OP_SUBSCRIPTION = 2,
} gql_op_type;

#define GQL_FLAG_BLOCK 1u      /* STRING: came from a block string */
#define GQL_FLAG_TRUE 2u       /* BOOLEAN: true */
#define GQL_FLAG_REPEATABLE 4u /* DIRECTIVE_DEF: repeatable */

typedef struct gql_node gql_node;
struct gql_node {
    gql_kind kind;
    uint32_t line; /* 1-based line of the node's first token */
    uint32_t col;  /* 1-based column in UTF-16 code units, as graphql-js counts */
    uint32_t flags;
    gql_op_type op;
    pst_str name;
    pst_str alias;
    pst_str str;
    gql_node *type;
    gql_node *value;
    gql_node *args;
    gql_node *directives;
    gql_node *selections;
    gql_node *interfaces;
    gql_node *children;
    gql_node *next;
};

/** The specification's name of a kind, e.g. "FragmentSpread". */
const char *gql_kind_name(gql_kind kind);

/** Visitor callback: return PST_OK to descend into the node's children,
 * PST_DECLINED to skip them, PST_ERROR to stop the walk. */
typedef pst_status (*gql_visit_fn)(gql_node *node, int depth, void *ud);

/** Walks the tree rooted at node depth-first, in source order, calling
 * enter(node) before its members type, value, args, directives,
 * interfaces, selections and children. Returns PST_ERROR if a callback did,
 * else PST_OK. Depth is bounded by the parser's limit, so the recursion is. */
pst_status gql_ast_visit(gql_node *node, gql_visit_fn enter, void *ud);

/** Number of nodes in a `next`-linked list. */
size_t gql_list_len(const gql_node *first);

/** The response key of a FIELD: its alias when present, else its name. */
pst_str gql_field_key(const gql_node *field);

#endif
