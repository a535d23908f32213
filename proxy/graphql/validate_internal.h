/**
 * Shared state of validation (validate.c walks the document; validate_doc.c
 * checks fragments, variables and limits across definitions;
 * validate_overlap.c checks that fields can merge). Internal to the
 * graphql module.
 */
#ifndef POSTERN_GRAPHQL_VALIDATE_INTERNAL_H
#define POSTERN_GRAPHQL_VALIDATE_INTERNAL_H

#include "graphql/names.h"
#include "graphql/validate.h"

/* Recursion through nested selections and fragments stops here; a
 * document that goes deeper is refused (LIMIT_EXCEEDED). */
#define GQL_V_MAX_NESTING 4096

/* A variable used somewhere, with the type its position expects. */
typedef struct {
    const gql_node *var;
    const gql_typeref *type; /* NULL when the position's type is unknown */
    bool has_default;        /* the position (argument, input field) has a default */
} gql_v_use;

/* What a definition (operation or fragment) contains, gathered by the walk. */
typedef struct {
    const gql_node *node;
    const gql_node **spreads; /* every spread inside, in order */
    size_t n_spreads;
    gql_v_use *uses;
    size_t n_uses;
} gql_v_body;

typedef struct {
    gql_v_body body;
    gql_type *type;     /* the type condition when known and composite */
    bool reached;       /* spread from some operation */
    uint32_t mark;      /* per-operation walks */
    uint32_t coll_mark; /* field collection in the overlap rule */
    bool cycle_visited; /* cycle detection */
    int32_t path_index; /* position on the spread path, -1 when not on it */
    int stats_state;    /* limits memo: 0 not computed, 1 in progress, 2 done */
    uint32_t depth;
    uint64_t aliases, roots;
} gql_v_frag;

typedef struct {
    const gql_node *node;
    gql_typeref *type; /* NULL when unknown */
} gql_v_vardef;

typedef struct {
    gql_v_body body;
    gql_v_vardef *vars;
    size_t n_vars;
} gql_v_op;

typedef struct {
    const gql_schema *s;
    gql_validate_limits lim;
    gql_errors *errs;
    pst_arena *a;
    bool oom;
    gql_v_frag *frags;
    size_t n_frags;
    gql_names frag_ix; /* name -> gql_v_frag* (the first definition) */
    gql_v_op *ops;
    size_t n_ops;
    gql_v_body *cur; /* the definition being walked */
    size_t cap_spreads, cap_uses;
    const gql_node *introspection_at; /* first __schema / __type on the query root */
    uint32_t gen;
    size_t overlap_work;
    bool overlap_aborted;
    bool too_deep;       /* a walk through fragments went past GQL_V_MAX_NESTING */
    void *overlap_sets;  /* validate_overlap.c: collected sets by (selections, parent) */
    void *overlap_pairs; /* validate_overlap.c: compared field pairs */
} gql_vctx;

/** Adds a GRAPHQL_VALIDATION_FAILED error (code may be overridden with
 * gql_v_error_code). */
void gql_v_error(gql_vctx *c, uint32_t line, uint32_t col, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void gql_v_error_code(gql_vctx *c, const char *code, uint32_t line, uint32_t col, const char *fmt,
                      ...) __attribute__((format(printf, 5, 6)));

/** Allocates from the scratch arena; on failure sets c->oom. */
void *gql_v_alloc(gql_vctx *c, size_t n);

/** The fragment named name, or NULL. */
gql_v_frag *gql_v_fragment(gql_vctx *c, pst_str name);

/** Position of the name of an OPERATION, FRAGMENT_DEF or FRAGMENT_SPREAD. */
void gql_v_name_loc(const gql_node *n, uint32_t *line, uint32_t *col);

/** Appends a type reference as written in the document. */
void gql_v_print_ast_type(pst_buf *b, const gql_node *type);

/* validate_doc.c */
void gql_v_check_fragments(gql_vctx *c);               /* cycles, unused */
void gql_v_check_operation(gql_vctx *c, gql_v_op *op); /* variables, limits */

/* validate_overlap.c */
void gql_v_check_overlap(gql_vctx *c, const gql_type *parent, const gql_node *sels);

#endif
