#include "pipeline/doc_cache.h"

#include <string.h>

#include "common/mem.h"
#include "graphql/parser.h"

#define DEFAULT_ENTRIES 1024

struct pipe_doc_cache {
    const gql_schema *schema;
    pipe_doc_cache_opts opts;
    pipe_doc **buckets;
    size_t n_buckets;
    pipe_doc *head, *tail; /* most recently used first */
    pipe_doc_cache_stats stats;
};

pipe_doc_cache *pipe_doc_cache_create(const gql_schema *schema, const pipe_doc_cache_opts *o)
{
    pipe_doc_cache *c = pst_calloc(1, sizeof(*c));
    if (!c)
        return NULL;
    c->schema = schema;
    c->opts = *o;
    if (!c->opts.max_entries)
        c->opts.max_entries = DEFAULT_ENTRIES;
    c->n_buckets = 1;
    while (c->n_buckets < c->opts.max_entries * 2)
        c->n_buckets <<= 1;
    c->buckets = pst_calloc(c->n_buckets, sizeof(*c->buckets));
    if (!c->buckets) {
        pst_free(c);
        return NULL;
    }
    return c;
}

static void doc_destroy(pipe_doc *d)
{
    pst_arena_destroy(d->arena);
    pst_free(d->text);
    pst_free(d);
}

static void unlink_lru(pipe_doc_cache *c, pipe_doc *d)
{
    if (d->prev)
        d->prev->next = d->next;
    else
        c->head = d->next;
    if (d->next)
        d->next->prev = d->prev;
    else
        c->tail = d->prev;
    d->prev = d->next = NULL;
}

static void push_front(pipe_doc_cache *c, pipe_doc *d)
{
    d->prev = NULL;
    d->next = c->head;
    if (c->head)
        c->head->prev = d;
    c->head = d;
    if (!c->tail)
        c->tail = d;
}

static void unlink_bucket(pipe_doc_cache *c, pipe_doc *d)
{
    pipe_doc **pp = &c->buckets[d->hash & (c->n_buckets - 1)];
    while (*pp && *pp != d)
        pp = &(*pp)->chain;
    if (*pp)
        *pp = d->chain;
}

/* The cache holds one reference of its own on every entry. */
static void evict(pipe_doc_cache *c, pipe_doc *d)
{
    unlink_lru(c, d);
    unlink_bucket(c, d);
    c->stats.entries--;
    c->stats.evictions++;
    pipe_doc_release(d);
}

void pipe_doc_cache_free(pipe_doc_cache *c)
{
    if (!c)
        return;
    while (c->head)
        evict(c, c->head);
    pst_free(c->buckets);
    pst_free(c);
}

void pipe_doc_release(pipe_doc *d)
{
    if (d && --d->refs == 0)
        doc_destroy(d);
}

static void fill(pipe_doc_cache *c, pipe_doc *d)
{
    gql_parse_limits plim = {0, c->opts.max_tokens};
    gql_parse_error perr;
    gql_node *root = gql_parse_executable(d->arena, d->text, d->len, &plim, &perr);
    if (!root) {
        d->state = perr.limit ? PIPE_DOC_LIMIT : PIPE_DOC_SYNTAX;
        gql_errors_add(&d->errors, perr.line, perr.col, NULL,
                       perr.limit ? GQL_CODE_LIMIT_EXCEEDED : GQL_CODE_PARSE_FAILED, NULL, "%s",
                       perr.message);
        return;
    }
    if (gql_validate(c->schema, root, &c->opts.vlim, &d->errors) != PST_OK) {
        d->state = PIPE_DOC_INVALID;
        for (gql_error *e = d->errors.first; e; e = e->next)
            if (e->code && strcmp(e->code, GQL_CODE_LIMIT_EXCEEDED) == 0)
                d->state = PIPE_DOC_LIMIT;
        return;
    }
    d->state = PIPE_DOC_OK;
    d->root = root;
}

static pipe_doc *doc_new(pipe_doc_cache *c, pst_str text, uint64_t h)
{
    pipe_doc *d = pst_calloc(1, sizeof(*d));
    if (!d)
        return NULL;
    d->arena = pst_arena_create(4096);
    d->text = pst_malloc(text.n + 1);
    if (!d->arena || !d->text) {
        pst_arena_destroy(d->arena);
        pst_free(d->text);
        pst_free(d);
        return NULL;
    }
    if (text.n)
        memcpy(d->text, text.p, text.n);
    d->text[text.n] = '\0';
    d->len = text.n;
    d->hash = h;
    gql_errors_init(&d->errors, d->arena);
    fill(c, d);
    return d;
}

pipe_doc *pipe_doc_cache_get(pipe_doc_cache *c, pst_str text)
{
    uint64_t h = pst_hash(text.p, text.n);
    pipe_doc **bucket = &c->buckets[h & (c->n_buckets - 1)];
    for (pipe_doc *d = *bucket; d; d = d->chain) {
        if (d->hash == h && d->len == text.n && memcmp(d->text, text.p, text.n) == 0) {
            c->stats.hits++;
            unlink_lru(c, d);
            push_front(c, d);
            d->refs++;
            return d;
        }
    }
    c->stats.misses++;
    pipe_doc *d = doc_new(c, text, h);
    if (!d)
        return NULL;
    if (c->stats.entries >= c->opts.max_entries)
        evict(c, c->tail);
    d->refs = 2; /* the cache's and the caller's */
    d->chain = *bucket;
    *bucket = d;
    push_front(c, d);
    c->stats.entries++;
    return d;
}

pipe_doc_cache_stats pipe_doc_cache_stats_get(const pipe_doc_cache *c)
{
    return c->stats;
}
