/* Validation: the walk over every definition with the rules that need the
 * types in scope (fields, arguments, directives, values, fragments). */
#include "graphql/validate.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "graphql/jsvalue.h"
#include "graphql/validate_internal.h"
#include "graphql/values.h"

#define PS(s) (int)(s).n, (s).p

static void add_error(gql_vctx *c, const char *code, uint32_t line, uint32_t col, const char *fmt,
                      va_list ap)
{
    char msg[1024];
    vsnprintf(msg, sizeof(msg), fmt, ap);
    if (!gql_errors_add(c->errs, line, col, NULL, code, NULL, "%s", msg))
        c->oom = true;
}

void gql_v_error(gql_vctx *c, uint32_t line, uint32_t col, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    add_error(c, GQL_CODE_VALIDATION_FAILED, line, col, fmt, ap);
    va_end(ap);
}

void gql_v_error_code(gql_vctx *c, const char *code, uint32_t line, uint32_t col, const char *fmt,
                      ...)
{
    va_list ap;
    va_start(ap, fmt);
    add_error(c, code, line, col, fmt, ap);
    va_end(ap);
}

/* Adds the message in b (a suggestion was appended to it). */
static void error_buf(gql_vctx *c, const gql_node *at, pst_buf *b)
{
    const char *msg = pst_buf_cstr(b);
    if (!msg)
        c->oom = true;
    else
        gql_v_error(c, at->line, at->col, "%s", msg);
    pst_buf_free(b);
}

void *gql_v_alloc(gql_vctx *c, size_t n)
{
    void *p = pst_arena_calloc(c->a, n ? n : 1);
    if (!p)
        c->oom = true;
    return p;
}

gql_v_frag *gql_v_fragment(gql_vctx *c, pst_str name)
{
    return gql_names_get(&c->frag_ix, name);
}

static const char *keyword_of(const gql_node *n)
{
    static const char *const ops[] = {"query", "mutation", "subscription"};
    if (n->kind == GQL_FRAGMENT_DEF)
        return "fragment";
    if (n->kind == GQL_FRAGMENT_SPREAD)
        return "...";
    return (unsigned)n->op <= GQL_OP_SUBSCRIPTION ? ops[n->op] : NULL;
}

/* The AST keeps one position per node (its first token). A name that
 * follows its keyword on the same line is found by stepping back over the
 * blanks between them: the keyword's bytes precede the name in the source,
 * so the reads stay inside it. */
void gql_v_name_loc(const gql_node *n, uint32_t *line, uint32_t *col)
{
    *line = n->line;
    *col = n->col;
    const char *kw = keyword_of(n);
    if (!kw || !n->name.p || !n->name.n)
        return;
    size_t kl = strlen(kw), gap = 0;
    const char *p = n->name.p;
    while (p[-1 - (ptrdiff_t)gap] == ' ' || p[-1 - (ptrdiff_t)gap] == '\t' ||
           p[-1 - (ptrdiff_t)gap] == ',')
        gap++;
    const char *end = p - gap; /* one past the character before the blanks */
    if (memcmp(end - kl, kw, kl) == 0)
        *col = n->col + (uint32_t)(kl + gap);
}

/* graphql-js locates ScalarLeafs at the selection set's "{". It is found
 * from the first selection when a field starts it, stepping back over
 * blanks; the position is counted forward from the field's own start. */
static void selection_set_loc(const gql_node *field, uint32_t *line, uint32_t *col)
{
    const gql_node *first = field->selections;
    *line = first->line;
    *col = first->col;
    if (first->kind != GQL_FIELD)
        return;
    const char *start = field->alias.n ? field->alias.p : field->name.p;
    const char *p = first->alias.n ? first->alias.p : first->name.p;
    if (!start || !p)
        return;
    while (p[-1] == ' ' || p[-1] == '\t' || p[-1] == ',' || p[-1] == '\n' || p[-1] == '\r')
        p--;
    if (p[-1] != '{')
        return;
    const char *brace = p - 1;
    uint32_t l = field->line, cl = field->col;
    for (const char *q = start; q < brace; q++) {
        unsigned char ch = (unsigned char)*q;
        if (ch == '\n' || (ch == '\r' && q[1] != '\n')) {
            l++;
            cl = 1;
        } else if (ch != '\r' && (ch & 0xC0) != 0x80) {
            cl += ch >= 0xF0 ? 2 : 1; /* astral characters take two UTF-16 units */
        }
    }
    *line = l;
    *col = cl;
}

void gql_v_print_ast_type(pst_buf *b, const gql_node *t)
{
    if (t->kind == GQL_NAMED_TYPE) {
        pst_buf_append(b, t->name.p, t->name.n);
    } else if (t->kind == GQL_LIST_TYPE) {
        pst_buf_append_char(b, '[');
        gql_v_print_ast_type(b, t->type);
        pst_buf_append_char(b, ']');
    } else if (t->kind == GQL_NON_NULL_TYPE) {
        gql_v_print_ast_type(b, t->type);
        pst_buf_append_char(b, '!');
    }
}

static const char *ref_text(gql_vctx *c, const gql_typeref *r)
{
    pst_buf b = {0};
    gql_typeref_print(r, &b);
    char *s = b.failed ? NULL : pst_arena_strndup(c->a, b.p ? b.p : "", b.len);
    pst_buf_free(&b);
    if (!s)
        c->oom = true;
    return s ? s : "?";
}

/* ---- type names ---- */

static void unknown_type(gql_vctx *c, const gql_node *named)
{
    pst_buf b = {0};
    pst_buf_appendf(&b, "Unknown type \"%.*s\".", PS(named->name));
    pst_str *names = gql_v_alloc(c, c->s->n_types * sizeof(pst_str));
    if (names) {
        for (size_t i = 0; i < c->s->n_types; i++)
            names[i] = c->s->types[i]->name;
        gql_did_you_mean(&b, NULL, named->name, names, c->s->n_types);
    }
    error_buf(c, named, &b);
}

static const gql_node *named_of(const gql_node *t)
{
    while (t && t->kind != GQL_NAMED_TYPE)
        t = t->type;
    return t;
}

/* The schema type of an AST type, built in the scratch arena; NULL (error
 * added) when its named type is unknown. */
static gql_typeref *ast_typeref(gql_vctx *c, const gql_node *t)
{
    gql_typeref *r = gql_v_alloc(c, sizeof(*r));
    if (!r || !t)
        return NULL;
    if (t->kind == GQL_NAMED_TYPE) {
        r->kind = GQL_REF_NAMED;
        r->named = gql_schema_type(c->s, t->name);
        if (!r->named)
            unknown_type(c, t);
        return r->named ? r : NULL;
    }
    r->kind = t->kind == GQL_LIST_TYPE ? GQL_REF_LIST : GQL_REF_NON_NULL;
    r->of = ast_typeref(c, t->type);
    return r->of ? r : NULL;
}

/* ---- collectors ---- */

static void push_spread(gql_vctx *c, const gql_node *spread)
{
    gql_v_body *b = c->cur;
    if (b->n_spreads == c->cap_spreads) {
        size_t cap = c->cap_spreads ? c->cap_spreads * 2 : 8;
        const gql_node **n = gql_v_alloc(c, cap * sizeof(*n));
        if (!n)
            return;
        if (b->n_spreads)
            memcpy(n, b->spreads, b->n_spreads * sizeof(*n));
        b->spreads = n;
        c->cap_spreads = cap;
    }
    b->spreads[b->n_spreads++] = spread;
}

static void push_use(gql_vctx *c, const gql_node *var, const gql_typeref *t, bool has_default)
{
    gql_v_body *b = c->cur;
    if (b->n_uses == c->cap_uses) {
        size_t cap = c->cap_uses ? c->cap_uses * 2 : 8;
        gql_v_use *n = gql_v_alloc(c, cap * sizeof(*n));
        if (!n)
            return;
        if (b->n_uses)
            memcpy(n, b->uses, b->n_uses * sizeof(*n));
        b->uses = n;
        c->cap_uses = cap;
    }
    b->uses[b->n_uses++] = (gql_v_use){var, t, has_default};
}

/* Records every variable in value v with the type its position expects
 * (graphql-js TypeInfo: a list's items take the item type, or the type
 * itself when it is not a list). */
static void collect_uses(gql_vctx *c, const gql_node *v, const gql_typeref *t, bool has_default)
{
    const gql_typeref *nn = t && t->kind == GQL_REF_NON_NULL ? t->of : t;
    switch (v->kind) {
    case GQL_VARIABLE:
        push_use(c, v, t, has_default);
        break;
    case GQL_LIST:
        for (const gql_node *i = v->children; i; i = i->next)
            collect_uses(c, i, nn && nn->kind == GQL_REF_LIST ? nn->of : nn, false);
        break;
    case GQL_OBJECT: {
        const gql_type *it = nn && nn->kind == GQL_REF_NAMED ? nn->named : NULL;
        for (const gql_node *f = v->children; f; f = f->next) {
            const gql_input_value *fd = gql_type_input_field(it, f->name);
            if (f->value)
                collect_uses(c, f->value, fd ? fd->type : NULL, fd && fd->default_value);
        }
        break;
    }
    default:
        break;
    }
}

static void value_error(void *ud, const gql_node *at, const char *message)
{
    gql_vctx *c = ud;
    gql_v_error(c, at->line, at->col, "%s", message);
}

/* UniqueInputFieldNames, through nested objects and lists. */
static void unique_input_fields(gql_vctx *c, const gql_node *v)
{
    if (v->kind == GQL_LIST) {
        for (const gql_node *i = v->children; i; i = i->next)
            unique_input_fields(c, i);
        return;
    }
    if (v->kind != GQL_OBJECT)
        return;
    for (const gql_node *f = v->children; f; f = f->next) {
        for (const gql_node *o = v->children; o != f; o = o->next)
            if (pst_str_eq(o->name, f->name)) {
                gql_v_error(c, o->line, o->col, "There can be only one input field named \"%.*s\".",
                            PS(f->name));
                break;
            }
        if (f->value)
            unique_input_fields(c, f->value);
    }
}

/* ---- arguments and directives ---- */

typedef struct {
    bool directive;
    pst_str owner; /* the parent type, or the directive's name */
    pst_str field;
    bool known; /* the field or directive is defined */
    const gql_input_value *defs;
    size_t n_defs;
} arg_owner;

static void unknown_argument(gql_vctx *c, const arg_owner *o, const gql_node *a)
{
    pst_buf b = {0};
    if (o->directive)
        pst_buf_appendf(&b, "Unknown argument \"%.*s\" on directive \"@%.*s\".", PS(a->name),
                        PS(o->owner));
    else
        pst_buf_appendf(&b, "Unknown argument \"%.*s\" on field \"%.*s.%.*s\".", PS(a->name),
                        PS(o->owner), PS(o->field));
    pst_str *names = gql_v_alloc(c, o->n_defs * sizeof(pst_str));
    if (names) {
        for (size_t i = 0; i < o->n_defs; i++)
            names[i] = o->defs[i].name;
        gql_did_you_mean(&b, NULL, a->name, names, o->n_defs);
    }
    error_buf(c, a, &b);
}

static const gql_input_value *find_def(const arg_owner *o, pst_str name)
{
    for (size_t i = 0; i < o->n_defs; i++)
        if (pst_str_eq(o->defs[i].name, name))
            return &o->defs[i];
    return NULL;
}

static void check_arguments(gql_vctx *c, const gql_node *args, const arg_owner *o,
                            const gql_node *at)
{
    for (const gql_node *a = args; a; a = a->next) {
        bool first = true;
        for (const gql_node *p = args; p != a && first; p = p->next)
            first = !pst_str_eq(p->name, a->name);
        for (const gql_node *l = a->next; l && first; l = l->next)
            if (pst_str_eq(l->name, a->name)) {
                gql_v_error(c, a->line, a->col, "There can be only one argument named \"%.*s\".",
                            PS(a->name));
                break;
            }
        const gql_input_value *d = o->known ? find_def(o, a->name) : NULL;
        if (o->known && !d)
            unknown_argument(c, o, a);
        if (!a->value)
            continue;
        if (d && d->type)
            gql_check_literal(d->type, a->value, value_error, c);
        unique_input_fields(c, a->value);
        collect_uses(c, a->value, d ? d->type : NULL, d && d->default_value);
    }
    for (size_t i = 0; o->known && i < o->n_defs; i++) {
        const gql_input_value *d = &o->defs[i];
        if (!d->type || d->type->kind != GQL_REF_NON_NULL || d->default_value)
            continue;
        const gql_node *a = args;
        while (a && !pst_str_eq(a->name, d->name))
            a = a->next;
        if (a)
            continue;
        if (o->directive)
            gql_v_error(c, at->line, at->col,
                        "Directive \"@%.*s\" argument \"%.*s\" of type \"%s\" is required, but it "
                        "was not provided.",
                        PS(o->owner), PS(d->name), ref_text(c, d->type));
        else
            gql_v_error(c, at->line, at->col,
                        "Field \"%.*s\" argument \"%.*s\" of type \"%s\" is required, but it was "
                        "not provided.",
                        PS(o->field), PS(d->name), ref_text(c, d->type));
    }
}

static void check_directives(gql_vctx *c, const gql_node *list, gql_dir_loc loc)
{
    for (const gql_node *d = list; d; d = d->next) {
        const gql_directive *def = gql_schema_directive(c->s, d->name);
        if (!def)
            gql_v_error(c, d->line, d->col, "Unknown directive \"@%.*s\".", PS(d->name));
        else if (!(def->locations & (1u << loc)))
            gql_v_error(c, d->line, d->col, "Directive \"@%.*s\" may not be used on %s.",
                        PS(d->name), gql_dir_loc_name(loc));
        for (const gql_node *o = list; def && !def->repeatable && o != d; o = o->next)
            if (pst_str_eq(o->name, d->name)) {
                gql_v_error(c, o->line, o->col,
                            "The directive \"@%.*s\" can only be used once at this location.",
                            PS(d->name));
                break;
            }
        arg_owner o = {true,
                       d->name,
                       PST_STR_NULL,
                       def != NULL,
                       def ? def->args : NULL,
                       def ? def->n_args : 0};
        check_arguments(c, d->args, &o, d);
    }
}

/* ---- selections ---- */

static bool types_overlap(const gql_type *a, const gql_type *b)
{
    if (a == b)
        return true;
    if (gql_type_is_abstract(a)) {
        if (gql_type_is_abstract(b)) {
            for (size_t i = 0; i < a->n_possible; i++)
                if (gql_type_is_possible(b, a->possible[i]))
                    return true;
            return false;
        }
        return gql_type_is_possible(a, b);
    }
    return gql_type_is_abstract(b) && gql_type_is_possible(b, a);
}

typedef struct {
    const gql_type *t;
    unsigned count;
} type_hint;

static bool implements(const gql_type *t, const gql_type *iface)
{
    for (size_t i = 0; i < t->n_interfaces; i++)
        if (t->interfaces[i] == iface)
            return true;
    return false;
}

static int hint_cmp(const void *x, const void *y)
{
    const type_hint *a = x, *b = y;
    if (a->count != b->count)
        return a->count > b->count ? -1 : 1;
    if (a->t->kind == GQL_TYPE_INTERFACE && implements(b->t, a->t))
        return -1;
    if (b->t->kind == GQL_TYPE_INTERFACE && implements(a->t, b->t))
        return 1;
    size_t n = a->t->name.n < b->t->name.n ? a->t->name.n : b->t->name.n;
    int r = memcmp(a->t->name.p, b->t->name.p, n);
    return r ? r : (int)a->t->name.n - (int)b->t->name.n;
}

static void add_hint(type_hint *h, size_t *n, const gql_type *t)
{
    for (size_t i = 0; i < *n; i++)
        if (h[i].t == t) {
            h[i].count++;
            return;
        }
    h[(*n)++] = (type_hint){t, 1};
}

/* graphql-js getSuggestedTypeNames: the possible types (and their
 * interfaces) of an abstract type that have the field. */
static void suggest_types(gql_vctx *c, pst_buf *b, const gql_type *t, pst_str name)
{
    size_t cap = 0, n = 0;
    for (size_t i = 0; i < t->n_possible; i++)
        cap += 1 + t->possible[i]->n_interfaces;
    type_hint *h = gql_v_alloc(c, cap * sizeof(*h));
    if (!h)
        return;
    for (size_t i = 0; i < t->n_possible; i++) {
        const gql_type *p = t->possible[i];
        if (!gql_type_field(p, name))
            continue;
        add_hint(h, &n, p);
        h[n - 1].count = 1;
        for (size_t k = 0; k < p->n_interfaces; k++)
            if (gql_type_field(p->interfaces[k], name))
                add_hint(h, &n, p->interfaces[k]);
    }
    qsort(h, n, sizeof(*h), hint_cmp);
    pst_buf_append_c(b, " Did you mean to use an inline fragment on ");
    for (size_t i = 0; i < n && i < 5; i++) {
        size_t shown = n < 5 ? n : 5;
        if (i)
            pst_buf_append_c(b, shown == 2 ? " or " : i == shown - 1 ? ", or " : ", ");
        pst_buf_appendf(b, "\"%.*s\"", PS(h[i].t->name));
    }
    pst_buf_append_char(b, '?');
}

static bool has_field_somewhere(const gql_type *t, pst_str name)
{
    for (size_t i = 0; i < t->n_possible; i++)
        if (gql_type_field(t->possible[i], name))
            return true;
    return false;
}

static void unknown_field(gql_vctx *c, const gql_type *parent, const gql_node *f)
{
    pst_buf b = {0};
    pst_buf_appendf(&b, "Cannot query field \"%.*s\" on type \"%.*s\".", PS(f->name),
                    PS(parent->name));
    if (gql_type_is_abstract(parent) && has_field_somewhere(parent, f->name)) {
        suggest_types(c, &b, parent, f->name);
    } else if (parent->n_fields) {
        pst_str *names = gql_v_alloc(c, parent->n_fields * sizeof(pst_str));
        if (names) {
            for (size_t i = 0; i < parent->n_fields; i++)
                names[i] = parent->fields[i].name;
            gql_did_you_mean(&b, NULL, f->name, names, parent->n_fields);
        }
    }
    error_buf(c, f, &b);
}

static void walk_selections(gql_vctx *c, const gql_type *parent, const gql_node *sels,
                            bool merge_check);

static bool is_introspection(pst_str name)
{
    return pst_str_eq_c(name, "__schema") || pst_str_eq_c(name, "__type");
}

static void walk_field(gql_vctx *c, const gql_type *parent, const gql_node *f)
{
    const gql_field *def = parent ? gql_schema_field(c->s, parent, f->name) : NULL;
    if (parent && !def)
        unknown_field(c, parent, f);
    if (def && parent == c->s->query && is_introspection(f->name) && !c->introspection_at)
        c->introspection_at = f;
    check_directives(c, f->directives, GQL_LOC_FIELD);
    arg_owner o = {false,
                   parent ? parent->name : PST_STR_NULL,
                   f->name,
                   def != NULL,
                   def ? def->args : NULL,
                   def ? def->n_args : 0};
    check_arguments(c, f->args, &o, f);
    const gql_type *t = def ? gql_typeref_named(def->type) : NULL;
    if (t && gql_type_is_leaf(t) && f->selections) {
        uint32_t line, col;
        selection_set_loc(f, &line, &col);
        gql_v_error(c, line, col,
                    "Field \"%.*s\" must not have a selection since type \"%s\" has no "
                    "subfields.",
                    PS(f->name), ref_text(c, def->type));
    } else if (t && !gql_type_is_leaf(t) && !f->selections) {
        gql_v_error(c, f->line, f->col,
                    "Field \"%.*s\" of type \"%s\" must have a selection of subfields. Did you "
                    "mean \"%.*s { ... }\"?",
                    PS(f->name), ref_text(c, def->type), PS(f->name));
    }
    if (f->selections)
        walk_selections(c, gql_type_is_composite(t) ? t : NULL, f->selections, true);
}

static void walk_inline(gql_vctx *c, const gql_type *parent, const gql_node *sel)
{
    const gql_type *ft = parent;
    if (sel->type) {
        ft = gql_schema_type(c->s, sel->type->name);
        if (!ft) {
            unknown_type(c, sel->type);
        } else if (!gql_type_is_composite(ft)) {
            gql_v_error(c, sel->type->line, sel->type->col,
                        "Fragment cannot condition on non composite type \"%.*s\".", PS(ft->name));
            ft = NULL;
        }
    }
    if (ft && parent && !types_overlap(ft, parent))
        gql_v_error(c, sel->line, sel->col,
                    "Fragment cannot be spread here as objects of type \"%.*s\" can never be of "
                    "type \"%.*s\".",
                    PS(parent->name), PS(ft->name));
    check_directives(c, sel->directives, GQL_LOC_INLINE_FRAGMENT);
    /* its fields merge at the enclosing level, which checks them */
    walk_selections(c, ft, sel->selections, false);
}

static void walk_spread(gql_vctx *c, const gql_type *parent, const gql_node *sel)
{
    check_directives(c, sel->directives, GQL_LOC_FRAGMENT_SPREAD);
    push_spread(c, sel);
    const gql_v_frag *fr = gql_v_fragment(c, sel->name);
    if (!fr) {
        uint32_t line, col;
        gql_v_name_loc(sel, &line, &col);
        gql_v_error(c, line, col, "Unknown fragment \"%.*s\".", PS(sel->name));
    } else if (fr->type && parent && !types_overlap(fr->type, parent)) {
        gql_v_error(c, sel->line, sel->col,
                    "Fragment \"%.*s\" cannot be spread here as objects of type \"%.*s\" can "
                    "never be of type \"%.*s\".",
                    PS(sel->name), PS(parent->name), PS(fr->type->name));
    }
}

static void walk_selections(gql_vctx *c, const gql_type *parent, const gql_node *sels,
                            bool merge_check)
{
    /* on entering the set, as graphql-js: its memo of compared fragments
     * then fills in the same order, which decides how conflicts are told */
    if (merge_check)
        gql_v_check_overlap(c, parent, sels);
    for (const gql_node *s = sels; s; s = s->next) {
        if (s->kind == GQL_FIELD)
            walk_field(c, parent, s);
        else if (s->kind == GQL_INLINE_FRAGMENT)
            walk_inline(c, parent, s);
        else if (s->kind == GQL_FRAGMENT_SPREAD)
            walk_spread(c, parent, s);
    }
}

/* ---- subscriptions ---- */

/* A literal @skip(if: true) or @include(if: false) leaves a selection out. */
static bool skipped(const gql_node *sel)
{
    for (const gql_node *d = sel->directives; d; d = d->next) {
        bool skip = pst_str_eq_c(d->name, "skip"), include = pst_str_eq_c(d->name, "include");
        if (!skip && !include)
            continue;
        for (const gql_node *a = d->args; a; a = a->next)
            if (pst_str_eq_c(a->name, "if") && a->value && a->value->kind == GQL_BOOLEAN &&
                ((a->value->flags & GQL_FLAG_TRUE) != 0) == skip)
                return true;
    }
    return false;
}

/* Root fields of a subscription, through fragments (each once). A
 * subscription has one root field, so collecting stops early at 64. */
#define SUB_MAX 64
typedef struct {
    const gql_node *f[SUB_MAX];
    size_t n;
} sub_fields;

/* graphql-js doesFragmentConditionMatch for the root object type. */
static bool condition_matches(gql_vctx *c, const gql_node *cond)
{
    const gql_node *tc = named_of(cond);
    if (!tc)
        return true;
    const gql_type *t = gql_schema_type(c->s, tc->name);
    const gql_type *root = c->s->subscription;
    return t && (t == root || (gql_type_is_abstract(t) && gql_type_is_possible(t, root)));
}

static void collect_root(gql_vctx *c, const gql_node *sels, sub_fields *out, int depth)
{
    for (const gql_node *s = sels; s && depth < 4096 && out->n < SUB_MAX; s = s->next) {
        if (skipped(s))
            continue;
        if (s->kind == GQL_FIELD) {
            out->f[out->n++] = s;
        } else if (s->kind == GQL_INLINE_FRAGMENT) {
            if (condition_matches(c, s->type))
                collect_root(c, s->selections, out, depth + 1);
        } else if (s->kind == GQL_FRAGMENT_SPREAD) {
            gql_v_frag *f = gql_v_fragment(c, s->name);
            if (f && f->coll_mark != c->gen && condition_matches(c, f->body.node->type)) {
                f->coll_mark = c->gen;
                collect_root(c, f->body.node->selections, out, depth + 1);
            }
        }
    }
}

static bool key_seen(const sub_fields *sf, size_t i)
{
    for (size_t k = 0; k < i; k++)
        if (pst_str_eq(gql_field_key(sf->f[k]), gql_field_key(sf->f[i])))
            return true;
    return false;
}

static void check_subscription(gql_vctx *c, const gql_node *op)
{
    sub_fields sf;
    sf.n = 0;
    char title[300];
    if (op->name.n)
        snprintf(title, sizeof(title), "Subscription \"%.*s\"", PS(op->name));
    else
        snprintf(title, sizeof(title), "Anonymous Subscription");
    c->gen++;
    collect_root(c, op->selections, &sf, 0);
    for (size_t i = 1; i < sf.n; i++)
        if (!pst_str_eq(gql_field_key(sf.f[i]), gql_field_key(sf.f[0]))) {
            gql_v_error(c, sf.f[i]->line, sf.f[i]->col, "%s must select only one top level field.",
                        title);
            break;
        }
    for (size_t i = 0; i < sf.n; i++) {
        const gql_node *f = sf.f[i];
        if (f->name.n >= 2 && memcmp(f->name.p, "__", 2) == 0 && !key_seen(&sf, i))
            gql_v_error(c, f->line, f->col, "%s must not select an introspection top level field.",
                        title);
    }
}

/* ---- definitions ---- */

static void begin_body(gql_vctx *c, gql_v_body *b)
{
    c->cur = b;
    c->cap_spreads = 0;
    c->cap_uses = 0;
}

/* The name of a variable definition: after its "$" and any blanks. */
static void var_name_loc(const gql_node *v, uint32_t *line, uint32_t *col)
{
    size_t gap = 0;
    *line = v->line;
    *col = v->col;
    if (!v->name.p)
        return;
    while (v->name.p[-1 - (ptrdiff_t)gap] == ' ' || v->name.p[-1 - (ptrdiff_t)gap] == '\t' ||
           v->name.p[-1 - (ptrdiff_t)gap] == ',')
        gap++;
    if (v->name.p[-1 - (ptrdiff_t)gap] == '$')
        *col += (uint32_t)(1 + gap);
}

static void walk_variables(gql_vctx *c, gql_v_op *op)
{
    const gql_node *defs = op->body.node->children;
    op->n_vars = gql_list_len(defs);
    op->vars = gql_v_alloc(c, op->n_vars * sizeof(gql_v_vardef));
    if (!op->vars) {
        op->n_vars = 0;
        return;
    }
    size_t i = 0;
    for (const gql_node *v = defs; v; v = v->next, i++) {
        op->vars[i].node = v;
        for (const gql_node *o = defs; o != v; o = o->next)
            if (pst_str_eq(o->name, v->name)) {
                /* reported once, at the first definition */
                bool reported = false;
                for (const gql_node *p = o->next; p != v && !reported; p = p->next)
                    reported = pst_str_eq(p->name, v->name);
                uint32_t line, col;
                var_name_loc(o, &line, &col);
                if (!reported)
                    gql_v_error(c, line, col, "There can be only one variable named \"$%.*s\".",
                                PS(v->name));
                break;
            }
        gql_typeref *t = v->type ? ast_typeref(c, v->type) : NULL;
        if (t && !gql_type_is_input(gql_typeref_named(t))) {
            pst_buf b = {0};
            gql_v_print_ast_type(&b, v->type);
            const char *ts = pst_buf_cstr(&b);
            gql_v_error(c, v->type->line, v->type->col,
                        "Variable \"$%.*s\" cannot be non-input type \"%s\".", PS(v->name),
                        ts ? ts : "?");
            pst_buf_free(&b);
        }
        /* an output type still takes part in VariablesInAllowedPosition */
        op->vars[i].type = t;
        if (t && v->value && gql_type_is_input(gql_typeref_named(t))) {
            gql_check_literal(t, v->value, value_error, c);
            unique_input_fields(c, v->value);
        }
        check_directives(c, v->directives, GQL_LOC_VARIABLE_DEFINITION);
    }
}

static const gql_dir_loc op_locs[] = {GQL_LOC_QUERY, GQL_LOC_MUTATION, GQL_LOC_SUBSCRIPTION};

static void walk_operation(gql_vctx *c, gql_v_op *op)
{
    const gql_node *n = op->body.node;
    static const char *const names[] = {"query", "mutation", "subscription"};
    begin_body(c, &op->body);
    gql_type *root = (unsigned)n->op <= GQL_OP_SUBSCRIPTION ? gql_schema_root(c->s, n->op) : NULL;
    if (!root)
        gql_v_error(c, n->line, n->col, "The %s operation is not supported by the schema.",
                    (unsigned)n->op <= GQL_OP_SUBSCRIPTION ? names[n->op] : "unknown");
    walk_variables(c, op);
    if ((unsigned)n->op <= GQL_OP_SUBSCRIPTION)
        check_directives(c, n->directives, op_locs[n->op]);
    if (n->op == GQL_OP_SUBSCRIPTION && root)
        check_subscription(c, n);
    walk_selections(c, root, n->selections, true);
}

static void walk_fragment(gql_vctx *c, gql_v_frag *f)
{
    const gql_node *n = f->body.node;
    begin_body(c, &f->body);
    const gql_node *tc = named_of(n->type);
    const gql_type *t = tc ? gql_schema_type(c->s, tc->name) : NULL;
    if (tc && !t)
        unknown_type(c, tc);
    else if (t && !gql_type_is_composite(t))
        gql_v_error(c, tc->line, tc->col,
                    "Fragment \"%.*s\" cannot condition on non composite type \"%.*s\".",
                    PS(n->name), PS(t->name));
    check_directives(c, n->directives, GQL_LOC_FRAGMENT_DEFINITION);
    walk_selections(c, f->type, n->selections, true);
}

/* ---- the document ---- */

static void not_executable(gql_vctx *c, const gql_node *d)
{
    if (d->kind == GQL_SCHEMA_DEF)
        gql_v_error(c, d->line, d->col, "The schema definition is not executable.");
    else
        gql_v_error(c, d->line, d->col, "The \"%.*s\" definition is not executable.", PS(d->name));
}

/* Indexes operations and fragments; ExecutableDefinitions,
 * UniqueOperationNames, LoneAnonymousOperation, UniqueFragmentNames. */
static pst_status index_definitions(gql_vctx *c, const gql_node *doc)
{
    size_t n_ops = 0, n_frags = 0;
    for (const gql_node *d = doc->children; d; d = d->next) {
        n_ops += d->kind == GQL_OPERATION;
        n_frags += d->kind == GQL_FRAGMENT_DEF;
    }
    gql_names op_ix;
    c->ops = gql_v_alloc(c, n_ops * sizeof(gql_v_op));
    c->frags = gql_v_alloc(c, n_frags * sizeof(gql_v_frag));
    if (!c->ops || !c->frags || gql_names_init(&c->frag_ix, c->a, n_frags) != PST_OK ||
        gql_names_init(&op_ix, c->a, n_ops) != PST_OK)
        return PST_ERROR;
    for (const gql_node *d = doc->children; d; d = d->next) {
        uint32_t line, col;
        void *old = NULL;
        if (d->kind == GQL_OPERATION) {
            c->ops[c->n_ops++].body.node = d;
            if (d->name.n && gql_names_put(&op_ix, d->name, (void *)d, &old) == PST_DECLINED) {
                gql_v_name_loc(old, &line, &col);
                gql_v_error(c, line, col, "There can be only one operation named \"%.*s\".",
                            PS(d->name));
            } else if (!d->name.n && n_ops > 1) {
                gql_v_error(c, d->line, d->col,
                            "This anonymous operation must be the only defined operation.");
            }
        } else if (d->kind == GQL_FRAGMENT_DEF) {
            gql_v_frag *f = &c->frags[c->n_frags++];
            f->body.node = d;
            f->path_index = -1;
            const gql_node *tc = named_of(d->type);
            gql_type *t = tc ? gql_schema_type(c->s, tc->name) : NULL;
            f->type = gql_type_is_composite(t) ? t : NULL;
            /* as graphql-js, a spread means the last definition of a name */
            if (gql_v_fragment(c, d->name)) {
                const gql_v_frag *first = c->frags;
                while (!pst_str_eq(first->body.node->name, d->name))
                    first++;
                gql_v_name_loc(first->body.node, &line, &col);
                gql_v_error(c, line, col, "There can be only one fragment named \"%.*s\".",
                            PS(d->name));
            }
            if (gql_names_set(&c->frag_ix, d->name, f) != PST_OK)
                c->oom = true;
        } else {
            not_executable(c, d);
        }
    }
    return PST_OK;
}

pst_status gql_validate(const gql_schema *s, const gql_node *doc, const gql_validate_limits *lim,
                        gql_errors *errs)
{
    gql_vctx c;
    memset(&c, 0, sizeof(c));
    c.s = s;
    c.errs = errs;
    c.a = errs->arena;
    if (lim)
        c.lim = *lim;
    else
        c.lim.introspection = true;
    size_t before = errs->count;
    if (!doc || doc->kind != GQL_DOCUMENT || index_definitions(&c, doc) != PST_OK) {
        gql_errors_add(errs, 0, 0, NULL, GQL_CODE_INTERNAL, NULL, "%s",
                       doc ? "out of memory during validation" : "no document to validate");
        return PST_ERROR;
    }
    for (size_t i = 0; i < c.n_ops; i++)
        walk_operation(&c, &c.ops[i]);
    for (size_t i = 0; i < c.n_frags; i++)
        walk_fragment(&c, &c.frags[i]);
    for (size_t i = 0; i < c.n_ops; i++)
        gql_v_check_operation(&c, &c.ops[i]);
    gql_v_check_fragments(&c);
    if (c.too_deep)
        gql_v_error_code(&c, GQL_CODE_LIMIT_EXCEEDED, 0, 0,
                         "Fragments are nested more than %d levels deep.", GQL_V_MAX_NESTING);
    if (c.introspection_at && !c.lim.introspection)
        gql_v_error(&c, c.introspection_at->line, c.introspection_at->col,
                    "GraphQL introspection is not allowed, but the query contained __schema or "
                    "__type");
    if (c.oom)
        gql_errors_add(errs, 0, 0, NULL, GQL_CODE_INTERNAL, NULL,
                       "out of memory during validation");
    return errs->count > before || c.oom ? PST_ERROR : PST_OK;
}
