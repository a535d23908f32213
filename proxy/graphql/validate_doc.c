/* Validation across definitions: fragment cycles and use, variables of each
 * operation through the fragments it spreads, and the operation limits. */
#include <stdio.h>
#include <string.h>

#include "graphql/validate_internal.h"

#define PS(s) (int)(s).n, (s).p

/* ---- fragments ---- */

typedef struct {
    gql_vctx *c;
    const gql_node **path;
    size_t n_path;
} cycle_ctx;

/* graphql-js NoFragmentCycles: depth-first along spreads, reporting a
 * spread that leads back onto the current path. Depth is bounded by the
 * number of fragments (each is entered once). */
/* The fragment's spreads in graphql-js's getFragmentSpreads order (a
 * set's own spreads, then its nested sets, the last one first), which
 * decides which cycle is reported. */
static const gql_node **js_order(gql_vctx *c, const gql_v_frag *def)
{
    size_t n = def->body.n_spreads, k = 0, top = 0, cap = 16;
    const gql_node **out = gql_v_alloc(c, n * sizeof(*out));
    const gql_node **stack = gql_v_alloc(c, cap * sizeof(*stack));
    if (!out || !stack)
        return NULL;
    stack[top++] = def->body.node->selections;
    while (top) {
        const gql_node *set = stack[--top];
        for (const gql_node *s = set; s; s = s->next) {
            if (s->kind == GQL_FRAGMENT_SPREAD) {
                if (k < n)
                    out[k++] = s;
                continue;
            }
            if (!s->selections)
                continue;
            if (top == cap) {
                const gql_node **bigger = gql_v_alloc(c, cap * 2 * sizeof(*bigger));
                if (!bigger)
                    return NULL;
                memcpy(bigger, stack, cap * sizeof(*bigger));
                stack = bigger;
                cap *= 2;
            }
            stack[top++] = s->selections;
        }
    }
    return k == n ? out : NULL;
}

static void detect_cycles(cycle_ctx *cc, const gql_v_frag *def, int depth)
{
    /* visited and on-path marks belong to the name, i.e. to the definition
     * spreads resolve to (graphql-js keys them by name) */
    gql_v_frag *f = gql_v_fragment(cc->c, def->body.node->name);
    if (!f || f->cycle_visited)
        return;
    if (depth >= GQL_V_MAX_NESTING) {
        cc->c->too_deep = true;
        return;
    }
    f->cycle_visited = true;
    if (!def->body.n_spreads)
        return;
    const gql_node **spreads = js_order(cc->c, def);
    if (!spreads)
        return;
    f->path_index = (int32_t)cc->n_path;
    for (size_t i = 0; i < def->body.n_spreads; i++) {
        const gql_node *sp = spreads[i];
        gql_v_frag *g = gql_v_fragment(cc->c, sp->name);
        cc->path[cc->n_path++] = sp;
        if (g && g->path_index < 0) {
            detect_cycles(cc, g, depth + 1);
        } else if (g) {
            pst_buf via = {0};
            for (size_t k = (size_t)g->path_index; k + 1 < cc->n_path; k++) {
                if (k > (size_t)g->path_index)
                    pst_buf_append_c(&via, ", ");
                pst_buf_appendf(&via, "\"%.*s\"", PS(cc->path[k]->name));
            }
            const gql_node *at = cc->path[g->path_index];
            const char *v = pst_buf_cstr(&via);
            if (via.len)
                gql_v_error(cc->c, at->line, at->col,
                            "Cannot spread fragment \"%.*s\" within itself via %s.", PS(sp->name),
                            v ? v : "?");
            else
                gql_v_error(cc->c, at->line, at->col,
                            "Cannot spread fragment \"%.*s\" within itself.", PS(sp->name));
            pst_buf_free(&via);
        }
        cc->n_path--;
    }
    f->path_index = -1;
}

void gql_v_check_fragments(gql_vctx *c)
{
    size_t total = 0;
    for (size_t i = 0; i < c->n_frags; i++)
        total += c->frags[i].body.n_spreads;
    cycle_ctx cc = {c, gql_v_alloc(c, (total + 1) * sizeof(gql_node *)), 0};
    for (size_t i = 0; cc.path && i < c->n_frags; i++)
        detect_cycles(&cc, &c->frags[i], 0);
    for (size_t i = 0; i < c->n_frags; i++) {
        const gql_node *n = c->frags[i].body.node;
        const gql_v_frag *last = gql_v_fragment(c, n->name);
        if (!last || !last->reached)
            gql_v_error(c, n->line, n->col, "Fragment \"%.*s\" is never used.", PS(n->name));
    }
}

/* ---- variables ---- */

static bool is_subtype(const gql_typeref *sub, const gql_typeref *super)
{
    if (super->kind == GQL_REF_NON_NULL)
        return sub->kind == GQL_REF_NON_NULL && is_subtype(sub->of, super->of);
    if (sub->kind == GQL_REF_NON_NULL)
        return is_subtype(sub->of, super);
    if (super->kind == GQL_REF_LIST)
        return sub->kind == GQL_REF_LIST && is_subtype(sub->of, super->of);
    if (sub->kind == GQL_REF_LIST)
        return false;
    return sub->named == super->named;
}

/* graphql-js VariablesInAllowedPosition's allowedVariableUsage. */
static bool allowed_usage(const gql_v_vardef *v, const gql_v_use *u)
{
    const gql_typeref *loc = u->type;
    if (loc->kind == GQL_REF_NON_NULL && v->type->kind != GQL_REF_NON_NULL) {
        bool var_default = v->node->value && v->node->value->kind != GQL_NULL_VALUE;
        if (!var_default && !u->has_default)
            return false;
        return is_subtype(v->type, loc->of);
    }
    return is_subtype(v->type, loc);
}

static const char *text(gql_vctx *c, const gql_typeref *r, pst_buf *b)
{
    pst_buf_reset(b);
    gql_typeref_print(r, b);
    const char *s = pst_buf_cstr(b);
    if (!s)
        c->oom = true;
    return s ? s : "?";
}

static void check_use(gql_vctx *c, gql_v_op *op, const gql_v_use *u, bool *used)
{
    const gql_node *opn = op->body.node;
    const gql_v_vardef *v = NULL;
    for (size_t i = 0; i < op->n_vars; i++)
        if (pst_str_eq(op->vars[i].node->name, u->var->name)) {
            used[i] = true;
            v = &op->vars[i]; /* graphql-js keeps the last definition of a name */
        }
    if (v && v->type && u->type && !allowed_usage(v, u)) {
        pst_buf b1 = {0}, b2 = {0};
        gql_v_error(c, v->node->line, v->node->col,
                    "Variable \"$%.*s\" of type \"%s\" used in position expecting type \"%s\".",
                    PS(u->var->name), text(c, v->type, &b1), text(c, u->type, &b2));
        pst_buf_free(&b1);
        pst_buf_free(&b2);
    }
    if (v)
        return;
    if (opn->name.n)
        gql_v_error(c, u->var->line, u->var->col,
                    "Variable \"$%.*s\" is not defined by operation \"%.*s\".", PS(u->var->name),
                    PS(opn->name));
    else
        gql_v_error(c, u->var->line, u->var->col, "Variable \"$%.*s\" is not defined.",
                    PS(u->var->name));
}

/* Marks the fragments the operation reaches (c->gen) and fills list with
 * them; returns how many. */
static size_t reach(gql_vctx *c, gql_v_op *op, gql_v_frag **list)
{
    size_t n = 0, done = 0;
    c->gen++;
    const gql_v_body *b = &op->body;
    for (;;) {
        for (size_t i = 0; i < b->n_spreads; i++) {
            gql_v_frag *f = gql_v_fragment(c, b->spreads[i]->name);
            if (f && f->mark != c->gen) {
                f->mark = c->gen;
                f->reached = true;
                list[n++] = f;
            }
        }
        if (done == n)
            return n;
        b = &list[done++]->body;
    }
}

/* ---- limits ---- */

typedef struct {
    uint32_t depth;
    uint64_t aliases, roots;
} op_stats;

static uint64_t sat_add(uint64_t a, uint64_t b)
{
    return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

static op_stats frag_stats(gql_vctx *c, gql_v_frag *f, int depth);

static op_stats sels_stats(gql_vctx *c, const gql_node *sels, int depth)
{
    op_stats st = {0, 0, 0};
    if (depth >= GQL_V_MAX_NESTING) {
        c->too_deep = true;
        return st;
    }
    for (const gql_node *s = sels; s; s = s->next) {
        op_stats sub = {0, 0, 0};
        if (s->kind == GQL_FIELD) {
            if (s->selections)
                sub = sels_stats(c, s->selections, depth + 1);
            sub.depth = sub.depth < UINT32_MAX ? sub.depth + 1 : sub.depth;
            sub.aliases = sat_add(sub.aliases, s->alias.n ? 1 : 0);
            sub.roots = 1;
        } else if (s->kind == GQL_INLINE_FRAGMENT) {
            sub = sels_stats(c, s->selections, depth + 1);
        } else if (s->kind == GQL_FRAGMENT_SPREAD) {
            gql_v_frag *f = gql_v_fragment(c, s->name);
            if (f)
                sub = frag_stats(c, f, depth + 1);
        }
        if (sub.depth > st.depth)
            st.depth = sub.depth;
        st.aliases = sat_add(st.aliases, sub.aliases);
        st.roots = sat_add(st.roots, sub.roots);
    }
    return st;
}

/* Memoised per fragment, so fan-out through fragments costs linear time;
 * a cycle (reported elsewhere) counts as empty. */
static op_stats frag_stats(gql_vctx *c, gql_v_frag *f, int depth)
{
    op_stats st = {f->depth, f->aliases, f->roots};
    if (f->stats_state == 1)
        return (op_stats){0, 0, 0};
    if (f->stats_state == 2)
        return st;
    f->stats_state = 1;
    st = sels_stats(c, f->body.node->selections, depth);
    f->depth = st.depth;
    f->aliases = st.aliases;
    f->roots = st.roots;
    f->stats_state = 2;
    return st;
}

static void check_limits(gql_vctx *c, const gql_node *op)
{
    const gql_validate_limits *l = &c->lim;
    if (!l->max_depth && !l->max_aliases && !l->max_root_fields)
        return;
    op_stats st = sels_stats(c, op->selections, 0);
    if (l->max_depth && st.depth > l->max_depth)
        gql_v_error_code(c, GQL_CODE_LIMIT_EXCEEDED, op->line, op->col,
                         "The operation's depth is %u, more than the limit of %u.", st.depth,
                         l->max_depth);
    if (l->max_aliases && st.aliases > l->max_aliases)
        gql_v_error_code(c, GQL_CODE_LIMIT_EXCEEDED, op->line, op->col,
                         "The operation has %llu aliases, more than the limit of %u.",
                         (unsigned long long)st.aliases, l->max_aliases);
    if (l->max_root_fields && st.roots > l->max_root_fields)
        gql_v_error_code(c, GQL_CODE_LIMIT_EXCEEDED, op->line, op->col,
                         "The operation has %llu root fields, more than the limit of %u.",
                         (unsigned long long)st.roots, l->max_root_fields);
}

void gql_v_check_operation(gql_vctx *c, gql_v_op *op)
{
    gql_v_frag **list = gql_v_alloc(c, (c->n_frags + 1) * sizeof(*list));
    bool *used = gql_v_alloc(c, (op->n_vars + 1) * sizeof(bool));
    if (!list || !used)
        return;
    size_t n = reach(c, op, list);
    for (size_t i = 0; i < op->body.n_uses; i++)
        check_use(c, op, &op->body.uses[i], used);
    for (size_t k = 0; k < n; k++)
        for (size_t i = 0; i < list[k]->body.n_uses; i++)
            check_use(c, op, &list[k]->body.uses[i], used);
    const gql_node *opn = op->body.node;
    for (size_t i = 0; i < op->n_vars; i++) {
        const gql_node *v = op->vars[i].node;
        if (used[i])
            continue;
        if (opn->name.n)
            gql_v_error(c, v->line, v->col,
                        "Variable \"$%.*s\" is never used in operation \"%.*s\".", PS(v->name),
                        PS(opn->name));
        else
            gql_v_error(c, v->line, v->col, "Variable \"$%.*s\" is never used.", PS(v->name));
    }
    check_limits(c, opn);
}
