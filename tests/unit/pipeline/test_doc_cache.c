/* The per-loop document cache: hits, negative entries, limits, eviction
 * while a request still holds a document. */
#include "common/diag.h"
#include "pipeline/doc_cache.h"
#include "test.h"

static const char SDL[] =
    "type Query { a(id: ID!): A @natsRequest(subject: \"a.{{ args.id }}\") }\n"
    "type A { id: ID! next: A }\n";

int main(void)
{
    pst_diags d = PST_DIAGS_INIT;
    gql_schema *s = gql_schema_load(SDL, sizeof(SDL) - 1, "t.graphql", &d);
    CHECK(s != NULL);
    pst_diags_free(&d);
    if (!s)
        TEST_END();
    pipe_doc_cache_opts o = {.max_entries = 2, .max_tokens = 40, .vlim = {.max_depth = 3}};
    pipe_doc_cache *c = pipe_doc_cache_create(s, &o);
    CHECK(c != NULL);

    pipe_doc *a = pipe_doc_cache_get(c, PST_STR_LIT("{ a(id: 1) { id } }"));
    pipe_doc *again = pipe_doc_cache_get(c, PST_STR_LIT("{ a(id: 1) { id } }"));
    CHECK(a && a == again && a->state == PIPE_DOC_OK && a->root);
    pipe_doc_cache_stats st = pipe_doc_cache_stats_get(c);
    CHECK(st.hits == 1 && st.misses == 1 && st.entries == 1);
    pipe_doc_release(again);

    /* unusable documents are cached too, with the errors to answer */
    pipe_doc *bad = pipe_doc_cache_get(c, PST_STR_LIT("{ a(id: 1) { id }"));
    CHECK(bad && bad->state == PIPE_DOC_SYNTAX && bad->errors.count == 1);
    CHECK_STR(bad->errors.first->code, GQL_CODE_PARSE_FAILED);
    pipe_doc_release(bad);
    pipe_doc *invalid = pipe_doc_cache_get(c, PST_STR_LIT("{ b }"));
    CHECK(invalid && invalid->state == PIPE_DOC_INVALID);
    CHECK_STR(invalid->errors.first->message,
              "Cannot query field \"b\" on type \"Query\". Did you mean \"a\"?");
    pipe_doc_release(invalid);
    pipe_doc *deep =
        pipe_doc_cache_get(c, PST_STR_LIT("{ a(id: 1) { next { next { next { id } } } } }"));
    CHECK(deep && deep->state == PIPE_DOC_LIMIT);
    pipe_doc_release(deep);
    pipe_doc *long_doc = pipe_doc_cache_get(
        c, PST_STR_LIT("{ a(id: 1) { id id id id id id id id id id id id id id id id id id id id "
                       "id id id id id id id id id id id id id id id id id id id id } }"));
    CHECK(long_doc && long_doc->state == PIPE_DOC_LIMIT);
    CHECK_STR(long_doc->errors.first->code, GQL_CODE_LIMIT_EXCEEDED);
    pipe_doc_release(long_doc);

    /* at most two entries: `a` (still held by this "request") was evicted
     * but stays usable until released */
    st = pipe_doc_cache_stats_get(c);
    CHECK(st.entries == 2 && st.evictions == 3);
    CHECK(a->state == PIPE_DOC_OK && a->root->kind == GQL_DOCUMENT);
    pipe_doc *fresh = pipe_doc_cache_get(c, PST_STR_LIT("{ a(id: 1) { id } }"));
    CHECK(fresh && fresh != a && pipe_doc_cache_stats_get(c).misses == 6);
    pipe_doc_release(fresh);
    pipe_doc_release(a);

    pipe_doc_cache_free(c);
    gql_schema_free(s);
    TEST_END();
}
