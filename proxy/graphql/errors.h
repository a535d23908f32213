/**
 * GraphQL response errors ({message, locations, path, extensions}), kept in
 * the request's arena and written as the response's "errors" array.
 */
#ifndef POSTERN_GRAPHQL_ERRORS_H
#define POSTERN_GRAPHQL_ERRORS_H

#include <stdint.h>

#include "common/arena.h"
#include "common/str.h"

/* extensions.code values (SPEC §6, §8, §11; Apollo Router's names) */
#define GQL_CODE_PARSE_FAILED "GRAPHQL_PARSE_FAILED"
#define GQL_CODE_VALIDATION_FAILED "GRAPHQL_VALIDATION_FAILED"
#define GQL_CODE_BAD_USER_INPUT "BAD_USER_INPUT"
#define GQL_CODE_BAD_REQUEST "BAD_REQUEST"
#define GQL_CODE_UPSTREAM_ERROR "UPSTREAM_ERROR"
#define GQL_CODE_NO_RESPONDERS "NO_RESPONDERS"
#define GQL_CODE_TIMEOUT "TIMEOUT"
#define GQL_CODE_BAD_REPLY "BAD_REPLY"
#define GQL_CODE_FORBIDDEN "FORBIDDEN"
#define GQL_CODE_UNAUTHENTICATED "UNAUTHENTICATED"
#define GQL_CODE_LIMIT_EXCEEDED "LIMIT_EXCEEDED"
#define GQL_CODE_INTERNAL "INTERNAL_SERVER_ERROR"
#define GQL_CODE_OPERATION_NOT_FOUND "OPERATION_RESOLUTION_FAILURE"
#define GQL_CODE_NATS_UNAVAILABLE "NATS_UNAVAILABLE"

typedef struct gql_error {
    const char *message;
    uint32_t line, col;     /* the location; line 0 = no "locations" */
    const char *path;       /* pre-encoded JSON array, e.g. ["order","items",0]; NULL = none */
    const char *code;       /* extensions.code; NULL = no extensions */
    const char *extensions; /* more pre-encoded members of extensions, e.g.
                               "\"serviceCode\":404"; NULL = none */
    struct gql_error *next;
} gql_error;

typedef struct {
    pst_arena *arena; /* where entries and their strings are allocated */
    gql_error *first, *last;
    size_t count;
} gql_errors;

/** Binds an empty list to an arena. */
void gql_errors_init(gql_errors *e, pst_arena *arena);

/** Appends an error; message is formatted and copied, path/code/extensions
 * are copied. Returns NULL when out of memory (list unchanged), else the
 * entry (owned by the arena). */
gql_error *gql_errors_add(gql_errors *e, uint32_t line, uint32_t col, const char *path,
                          const char *code, const char *extensions, const char *fmt, ...)
    __attribute__((format(printf, 7, 8)));

/** Writes the list as a JSON array ([] when empty). PST_ERROR when out of
 * memory (buffer marked failed). */
pst_status gql_errors_write_json(const gql_errors *e, pst_buf *out);

#endif
