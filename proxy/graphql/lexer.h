/**
 * GraphQL lexer (October 2021 specification, Appendix B / §2.1). Turns the
 * source text into tokens one at a time; ignored tokens (whitespace, line
 * terminators, commas, comments, the BOM) are skipped.
 *
 * Tokens are views into the source, except the decoded value of a string,
 * which is written (NUL-terminated) into the arena. Lines and columns are
 * 1-based; columns count UTF-16 code units, as graphql-js does, so error
 * locations match what clients of other servers see. Error messages are
 * graphql-js's ("Syntax Error: Unterminated string.").
 *
 * The source must be valid UTF-8 inside strings and comments; anything that
 * is not a token outside them is an error. The lexer never reads past
 * src + n and does not need a terminating NUL.
 */
#ifndef POSTERN_GRAPHQL_LEXER_H
#define POSTERN_GRAPHQL_LEXER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/arena.h"
#include "common/str.h"

typedef enum {
    GQL_TOK_EOF = 0,
    GQL_TOK_BANG,      /* ! */
    GQL_TOK_DOLLAR,    /* $ */
    GQL_TOK_AMP,       /* & */
    GQL_TOK_PAREN_L,   /* ( */
    GQL_TOK_PAREN_R,   /* ) */
    GQL_TOK_SPREAD,    /* ... */
    GQL_TOK_COLON,     /* : */
    GQL_TOK_EQUALS,    /* = */
    GQL_TOK_AT,        /* @ */
    GQL_TOK_BRACKET_L, /* [ */
    GQL_TOK_BRACKET_R, /* ] */
    GQL_TOK_BRACE_L,   /* { */
    GQL_TOK_PIPE,      /* | */
    GQL_TOK_BRACE_R,   /* } */
    GQL_TOK_NAME,
    GQL_TOK_INT,
    GQL_TOK_FLOAT,
    GQL_TOK_STRING,
    GQL_TOK_BLOCK_STRING,
} gql_tok_kind;

typedef struct {
    gql_tok_kind kind;
    uint32_t line, col; /* of the token's first character */
    pst_str text;       /* the token's source text (strings: with their quotes) */
    pst_str value;      /* STRING, BLOCK_STRING: the decoded value, in the arena
                           and NUL-terminated; other kinds: same as text */
} gql_token;

/** Lexer state; fill with gql_lexer_init. Plain data: copying it saves a
 * position to come back to. */
typedef struct {
    pst_arena *arena;
    const char *src;
    size_t n;
    size_t pos;         /* next byte to read */
    uint32_t line;      /* line of pos */
    size_t line_start;  /* offset where that line starts */
    size_t wide_from;   /* first non-ASCII byte on the current line; SIZE_MAX: none */
    size_t col_pos;     /* column cache past wide_from: offset on the line ... */
    uint32_t col_units; /* ... and its UTF-16 units from line_start */
    /* the last error (gql_lexer_next returned PST_ERROR) */
    char message[256];
    uint32_t err_line, err_col; /* 0 when out of memory */
} gql_lexer;

/** Starts lexing n bytes at src; strings are decoded into arena a. Decodes
 * nothing yet and cannot fail. src must outlive the tokens. */
void gql_lexer_init(gql_lexer *lx, pst_arena *a, const char *src, size_t n);

/** Reads the next token into *tok. At the end it returns GQL_TOK_EOF (again
 * on every later call). Returns PST_ERROR on a lexical error, or when the
 * arena is out of memory, with lx->message, err_line and err_col set; *tok
 * is unchanged then and the lexer should not be used further. */
pst_status gql_lexer_next(gql_lexer *lx, gql_token *tok);

/** The kind as graphql-js names it in messages: "Name", "Int", "<EOF>",
 * "BlockString", or the punctuator itself ("!", "..."). Never NULL. */
const char *gql_tok_kind_name(gql_tok_kind kind);

/** Writes the token as graphql-js describes it in messages into buf (size
 * > 0, always NUL-terminated, long values cut): `"}"`, `<EOF>`,
 * `Name "foo"`, `String "decoded value"`. Returns buf. */
const char *gql_tok_describe(const gql_token *tok, char *buf, size_t size);

#endif
