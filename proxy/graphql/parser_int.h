/**
 * Internals shared by parser.c (documents, executable definitions, values,
 * types) and parser_sdl.c (type system definitions). Not part of the
 * module's interface: use graphql/parser.h.
 *
 * Every function that can fail returns NULL / false / GQLP_ERR after
 * recording the first error in the parser; callers return at once.
 */
#ifndef POSTERN_GRAPHQL_PARSER_INT_H
#define POSTERN_GRAPHQL_PARSER_INT_H

#include "graphql/lexer.h"
#include "graphql/parser.h"

typedef struct {
    gql_lexer lx;
    gql_token tok; /* the current token, not yet consumed */
    pst_arena *arena;
    gql_parse_error *err;
    uint32_t depth, max_depth; /* open brackets before tok (inclusive) */
    uint32_t ntokens, max_tokens;
    bool sdl; /* parsing a type system document */
    /* executable documents: the first type system definition, reported
     * once the whole document has parsed (as graphql-js validates after
     * parsing) */
    gql_node *not_executable;
} gql_parser;

/* gqlp_accept's results */
#define GQLP_ERR (-1)
#define GQLP_NO 0
#define GQLP_YES 1

/* A list under construction, linked through `next`. */
typedef struct {
    gql_node *head, *tail;
} gqlp_list;

void gqlp_append(gqlp_list *l, gql_node *n);

/* Records the error (the first one wins). Returns NULL for convenience. */
void *gqlp_fail(gql_parser *p, uint32_t line, uint32_t col, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* A name's length for "%.*s" in a message: at most 100 (names are ASCII). */
int gqlp_clip(size_t n);
/* "Syntax Error: Unexpected <token>." at the token. */
void *gqlp_unexpected(gql_parser *p, const gql_token *tok);

/* Moves to the next token, counting tokens and nesting against the limits. */
bool gqlp_advance(gql_parser *p);
bool gqlp_peek(const gql_parser *p, gql_tok_kind kind);
bool gqlp_peek_kw(const gql_parser *p, const char *kw);
/* True when the token's value (a name's text, a string's decoded value)
 * is s. */
bool gqlp_value_is(const gql_token *t, const char *s);
/* Consumes a token of this kind or fails "Expected X, found Y.". */
bool gqlp_expect(gql_parser *p, gql_tok_kind kind);
bool gqlp_expect_kw(gql_parser *p, const char *kw);
/* Consumes the token if it is of this kind: GQLP_YES, GQLP_NO or GQLP_ERR. */
int gqlp_accept(gql_parser *p, gql_tok_kind kind);
int gqlp_accept_kw(gql_parser *p, const char *kw);
/* Expects a Name and stores its text. */
bool gqlp_name(gql_parser *p, pst_str *out);

/* A zeroed node at the current token, or NULL (out of memory recorded). */
gql_node *gqlp_node(gql_parser *p, gql_kind kind);

/* Grammar rules used by both files. */
gql_node *gqlp_named_type(gql_parser *p);
gql_node *gqlp_type_ref(gql_parser *p);
gql_node *gqlp_value(gql_parser *p, bool is_const);
bool gqlp_directives(gql_parser *p, bool is_const, gql_node **out);

/* parser_sdl.c: a type system definition (with its description), or the
 * errors for a description before anything else and for `extend`. */
gql_node *gqlp_type_system_definition(gql_parser *p);
/* True when the current token can start a type system definition. */
bool gqlp_starts_type_system(const gql_parser *p);

#endif
