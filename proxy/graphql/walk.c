#include "graphql/walk.h"

#include "common/mem.h"
#include "graphql/execute.h"

#define MAX_FRAGMENTS 1024

typedef struct {
    const gql_schema *s;
    const gql_node *doc;
    json_t *vars;
    gql_walk_fn fn;
    void *ud;
    const gql_node *seen[MAX_FRAGMENTS]; /* fragments already walked */
    size_t n_seen;
} walker;

static pst_status walk_set(walker *w, const gql_type *parent, const gql_node *sel, bool root);

static const gql_node *find_fragment(const gql_node *doc, pst_str name)
{
    for (const gql_node *d = doc->children; d; d = d->next)
        if (d->kind == GQL_FRAGMENT_DEF && pst_str_eq(d->name, name))
            return d;
    return NULL;
}

static bool included(const walker *w, const gql_node *n)
{
    return !n->directives || gql_should_include(n->directives, w->vars);
}

static pst_status walk_field(walker *w, const gql_type *parent, const gql_node *n, bool root)
{
    if (pst_str_eq_c(n->name, "__typename") ||
        (root && (pst_str_eq_c(n->name, "__schema") || pst_str_eq_c(n->name, "__type"))))
        return PST_OK;
    const gql_field *def = gql_type_field(parent, n->name);
    if (!def)
        return PST_OK; /* a validated document has none; nothing to decide */
    pst_status s = w->fn(w->ud, parent, def, n, root);
    if (s == PST_ERROR)
        return PST_ERROR;
    if (s == PST_DECLINED || !n->selections)
        return PST_OK;
    return walk_set(w, gql_typeref_named(def->type), n->selections, false);
}

static pst_status walk_spread(walker *w, const gql_node *n, bool root)
{
    const gql_node *frag = find_fragment(w->doc, n->name);
    if (!frag)
        return PST_OK;
    for (size_t i = 0; i < w->n_seen; i++)
        if (w->seen[i] == frag)
            return PST_OK;
    if (w->n_seen == MAX_FRAGMENTS)
        return PST_ERROR;
    w->seen[w->n_seen++] = frag;
    const gql_type *t = gql_schema_type(w->s, frag->type->name);
    return t ? walk_set(w, t, frag->selections, root) : PST_OK;
}

static pst_status walk_set(walker *w, const gql_type *parent, const gql_node *sel, bool root)
{
    for (; sel; sel = sel->next) {
        if (!included(w, sel))
            continue;
        pst_status s = PST_OK;
        if (sel->kind == GQL_FIELD) {
            s = walk_field(w, parent, sel, root);
        } else if (sel->kind == GQL_FRAGMENT_SPREAD) {
            s = walk_spread(w, sel, root);
        } else if (sel->kind == GQL_INLINE_FRAGMENT) {
            const gql_type *t = sel->type ? gql_schema_type(w->s, sel->type->name) : parent;
            s = t ? walk_set(w, t, sel->selections, root) : PST_OK;
        }
        if (s != PST_OK)
            return s;
    }
    return PST_OK;
}

pst_status gql_walk_operation(const gql_schema *s, const gql_node *doc, const gql_node *op,
                              json_t *vars, gql_walk_fn fn, void *ud)
{
    const gql_type *root = gql_schema_root(s, op->op);
    if (!root)
        return PST_OK;
    walker *w = pst_calloc(1, sizeof(*w));
    if (!w)
        return PST_ERROR;
    *w = (walker){.s = s, .doc = doc, .vars = vars, .fn = fn, .ud = ud};
    pst_status st = walk_set(w, root, op->selections, true);
    pst_free(w);
    return st;
}
