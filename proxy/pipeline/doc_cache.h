/**
 * Parsed and validated documents, cached by their text (SPEC §12). One
 * cache per event-loop thread, so lookups take no lock. An entry holds the
 * document tree, or the errors that made it unusable, so a bad document is
 * rejected again without parsing it again.
 */
#ifndef POSTERN_PIPELINE_DOC_CACHE_H
#define POSTERN_PIPELINE_DOC_CACHE_H

#include <stddef.h>
#include <stdint.h>

#include "common/str.h"
#include "graphql/ast.h"
#include "graphql/errors.h"
#include "graphql/schema.h"
#include "graphql/validate.h"

typedef enum {
    PIPE_DOC_OK = 0,
    PIPE_DOC_SYNTAX,  /* did not parse: GRAPHQL_PARSE_FAILED */
    PIPE_DOC_INVALID, /* failed validation: GRAPHQL_VALIDATION_FAILED */
    PIPE_DOC_LIMIT,   /* over a size or depth limit: LIMIT_EXCEEDED */
} pipe_doc_state;

typedef struct pipe_doc {
    pipe_doc_state state;
    const gql_node *root; /* DOCUMENT when state is OK */
    gql_errors errors;    /* why it is unusable, else empty */
    /* private */
    uint64_t hash;
    char *text;
    size_t len;
    pst_arena *arena;
    unsigned refs;
    struct pipe_doc *prev, *next, *chain;
} pipe_doc;

typedef struct pipe_doc_cache pipe_doc_cache;

typedef struct {
    size_t max_entries;       /* 0 = 1024 */
    uint32_t max_tokens;      /* parser token limit; 0 = none */
    gql_validate_limits vlim; /* depth, aliases, root fields, introspection */
} pipe_doc_cache_opts;

/** Creates an empty cache for one thread; NULL when out of memory. */
pipe_doc_cache *pipe_doc_cache_create(const gql_schema *schema, const pipe_doc_cache_opts *o);

/** Frees the cache. Documents still referenced stay valid until released. */
void pipe_doc_cache_free(pipe_doc_cache *c);

/** Returns the entry for this text, parsing and validating it on a miss.
 * The caller holds a reference until pipe_doc_release. NULL only when out
 * of memory (cache unchanged). */
pipe_doc *pipe_doc_cache_get(pipe_doc_cache *c, pst_str text);

/** Drops a reference taken by pipe_doc_cache_get. */
void pipe_doc_release(pipe_doc *d);

/** Counters for metrics and tests. */
typedef struct {
    uint64_t hits, misses, evictions;
    size_t entries;
} pipe_doc_cache_stats;
pipe_doc_cache_stats pipe_doc_cache_stats_get(const pipe_doc_cache *c);

#endif
