/* Fuzz target: the GraphQL lexer and parser. Each input is parsed as an
 * executable document and as a type system document, with small limits
 * and with the defaults; a tree that comes back is walked. Any crash,
 * sanitizer report or error without a message is a bug. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/arena.h"
#include "graphql/ast.h"
#include "graphql/parser.h"

static pst_status count_node(gql_node *n, int depth, void *ud)
{
    (void)depth;
    /* touch what the parser filled in */
    *(size_t *)ud += n->name.n + n->alias.n + n->str.n + (size_t)n->kind;
    return PST_OK;
}

static void check(gql_node *doc, const gql_parse_error *err)
{
    if (doc) {
        size_t sum = 0;
        gql_ast_visit(doc, count_node, &sum);
        return;
    }
    if (!err->message[0])
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static pst_arena *arena;
    if (!arena && !(arena = pst_arena_create(16384)))
        return 0;
    /* an exact-size copy, so a read past the end is caught */
    char *src = malloc(size ? size : 1);
    if (!src)
        return 0;
    if (size)
        memcpy(src, data, size);
    static const gql_parse_limits limits[] = {{0, 0}, {8, 200}};
    for (size_t i = 0; i < sizeof(limits) / sizeof(limits[0]); i++) {
        gql_parse_error err;
        check(gql_parse_executable(arena, src, size, &limits[i], &err), &err);
        pst_arena_reset(arena);
        check(gql_parse_sdl(arena, src, size, &limits[i], &err), &err);
        pst_arena_reset(arena);
    }
    free(src);
    return 0;
}
