#include "graphql/parser.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "graphql/parser_int.h"

/* Messages and error positions follow graphql-js 16 (parser.ts), rule by
 * rule, so clients see the same errors as from other servers. */

/* ---- helpers shared with parser_sdl.c ---- */

void gqlp_append(gqlp_list *l, gql_node *n)
{
    if (l->tail)
        l->tail->next = n;
    else
        l->head = n;
    l->tail = n;
}

void *gqlp_fail(gql_parser *p, uint32_t line, uint32_t col, const char *fmt, ...)
{
    if (p->err->message[0])
        return NULL;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->err->message, sizeof(p->err->message), fmt, ap);
    va_end(ap);
    p->err->line = line;
    p->err->col = col;
    return NULL;
}

static void *fail_limit(gql_parser *p, const char *fmt, uint32_t value)
{
    if (!p->err->message[0])
        p->err->limit = true;
    return gqlp_fail(p, p->tok.line, p->tok.col, fmt, value);
}

int gqlp_clip(size_t n)
{
    return n > 100 ? 100 : (int)n;
}

void *gqlp_unexpected(gql_parser *p, const gql_token *tok)
{
    char what[160];
    return gqlp_fail(p, tok->line, tok->col, "Syntax Error: Unexpected %s.",
                     gql_tok_describe(tok, what, sizeof(what)));
}

bool gqlp_advance(gql_parser *p)
{
    if (gql_lexer_next(&p->lx, &p->tok) != PST_OK) {
        gqlp_fail(p, p->lx.err_line, p->lx.err_col, "%s", p->lx.message);
        return false;
    }
    switch (p->tok.kind) {
    case GQL_TOK_EOF:
        return true;
    case GQL_TOK_BRACE_L:
    case GQL_TOK_PAREN_L:
    case GQL_TOK_BRACKET_L:
        p->depth++;
        break;
    case GQL_TOK_BRACE_R:
    case GQL_TOK_PAREN_R:
    case GQL_TOK_BRACKET_R:
        if (p->depth)
            p->depth--;
        break;
    default:
        break;
    }
    if (p->max_tokens && ++p->ntokens > p->max_tokens)
        return fail_limit(p, "Document has more than %u tokens.", p->max_tokens);
    if (p->depth > p->max_depth)
        return fail_limit(p, "Document nesting exceeds %u levels.", p->max_depth);
    return true;
}

bool gqlp_peek(const gql_parser *p, gql_tok_kind kind)
{
    return p->tok.kind == kind;
}

bool gqlp_value_is(const gql_token *t, const char *s)
{
    size_t n = strlen(s);
    return t->value.n == n && memcmp(t->value.p, s, n) == 0;
}

bool gqlp_peek_kw(const gql_parser *p, const char *kw)
{
    return p->tok.kind == GQL_TOK_NAME && gqlp_value_is(&p->tok, kw);
}

bool gqlp_expect(gql_parser *p, gql_tok_kind kind)
{
    if (p->tok.kind == kind)
        return gqlp_advance(p);
    char what[160];
    gql_tok_describe(&p->tok, what, sizeof(what));
    const char *name = gql_tok_kind_name(kind);
    if (kind < GQL_TOK_NAME && kind != GQL_TOK_EOF)
        return gqlp_fail(p, p->tok.line, p->tok.col, "Syntax Error: Expected \"%s\", found %s.",
                         name, what);
    return gqlp_fail(p, p->tok.line, p->tok.col, "Syntax Error: Expected %s, found %s.", name,
                     what);
}

bool gqlp_expect_kw(gql_parser *p, const char *kw)
{
    if (gqlp_peek_kw(p, kw))
        return gqlp_advance(p);
    char what[160];
    return gqlp_fail(p, p->tok.line, p->tok.col, "Syntax Error: Expected \"%s\", found %s.", kw,
                     gql_tok_describe(&p->tok, what, sizeof(what)));
}

int gqlp_accept(gql_parser *p, gql_tok_kind kind)
{
    if (p->tok.kind != kind)
        return GQLP_NO;
    return gqlp_advance(p) ? GQLP_YES : GQLP_ERR;
}

int gqlp_accept_kw(gql_parser *p, const char *kw)
{
    if (!gqlp_peek_kw(p, kw))
        return GQLP_NO;
    return gqlp_advance(p) ? GQLP_YES : GQLP_ERR;
}

bool gqlp_name(gql_parser *p, pst_str *out)
{
    *out = p->tok.text;
    return gqlp_expect(p, GQL_TOK_NAME);
}

gql_node *gqlp_node(gql_parser *p, gql_kind kind)
{
    gql_node *n = pst_arena_alloc(p->arena, sizeof(*n));
    if (!n)
        return gqlp_fail(p, 0, 0, "Out of memory.");
    *n = (gql_node){.kind = kind, .line = p->tok.line, .col = p->tok.col};
    return n;
}

/* ---- types ---- */

gql_node *gqlp_named_type(gql_parser *p)
{
    gql_node *t = gqlp_node(p, GQL_NAMED_TYPE);
    return t && gqlp_name(p, &t->name) ? t : NULL;
}

/* Type: NamedType | ListType | NonNullType */
gql_node *gqlp_type_ref(gql_parser *p)
{
    gql_node *t;
    uint32_t line = p->tok.line, col = p->tok.col;
    if (gqlp_peek(p, GQL_TOK_BRACKET_L)) {
        t = gqlp_node(p, GQL_LIST_TYPE);
        if (!t || !gqlp_advance(p) || !(t->type = gqlp_type_ref(p)) ||
            !gqlp_expect(p, GQL_TOK_BRACKET_R))
            return NULL;
    } else if (!(t = gqlp_named_type(p))) {
        return NULL;
    }
    if (!gqlp_peek(p, GQL_TOK_BANG))
        return t;
    if (p->depth + 1 > p->max_depth)
        return fail_limit(p, "Document nesting exceeds %u levels.", p->max_depth);
    gql_node *nn = gqlp_node(p, GQL_NON_NULL_TYPE);
    if (!nn || !gqlp_advance(p))
        return NULL;
    nn->line = line;
    nn->col = col;
    nn->type = t;
    return nn;
}

/* ---- values ---- */

static gql_node *list_value(gql_parser *p, bool is_const)
{
    gql_node *l = gqlp_node(p, GQL_LIST);
    if (!l || !gqlp_advance(p))
        return NULL;
    gqlp_list items = {0};
    int done;
    while ((done = gqlp_accept(p, GQL_TOK_BRACKET_R)) == GQLP_NO) {
        gql_node *v = gqlp_value(p, is_const);
        if (!v)
            return NULL;
        gqlp_append(&items, v);
    }
    l->children = items.head;
    return done == GQLP_YES ? l : NULL;
}

static gql_node *object_field(gql_parser *p, bool is_const)
{
    gql_node *f = gqlp_node(p, GQL_OBJECT_FIELD);
    if (!f || !gqlp_name(p, &f->name) || !gqlp_expect(p, GQL_TOK_COLON))
        return NULL;
    f->value = gqlp_value(p, is_const);
    return f->value ? f : NULL;
}

static gql_node *object_value(gql_parser *p, bool is_const)
{
    gql_node *o = gqlp_node(p, GQL_OBJECT);
    if (!o || !gqlp_advance(p))
        return NULL;
    gqlp_list fields = {0};
    int done;
    while ((done = gqlp_accept(p, GQL_TOK_BRACE_R)) == GQLP_NO) {
        gql_node *f = object_field(p, is_const);
        if (!f)
            return NULL;
        gqlp_append(&fields, f);
    }
    o->children = fields.head;
    return done == GQLP_YES ? o : NULL;
}

static gql_node *variable(gql_parser *p)
{
    gql_node *v = gqlp_node(p, GQL_VARIABLE);
    if (!v || !gqlp_expect(p, GQL_TOK_DOLLAR) || !gqlp_name(p, &v->name))
        return NULL;
    return v;
}

/* A variable where a constant is required: graphql-js's two messages. */
static gql_node *variable_in_const(gql_parser *p)
{
    gql_token dollar = p->tok;
    if (!gqlp_advance(p))
        return NULL;
    if (gqlp_peek(p, GQL_TOK_NAME))
        return gqlp_fail(p, dollar.line, dollar.col,
                         "Syntax Error: Unexpected variable \"$%.*s\" in constant value.",
                         gqlp_clip(p->tok.text.n), p->tok.text.p);
    return gqlp_unexpected(p, &dollar);
}

/* Int, Float, String, Boolean, Null, Enum: one token each. */
static gql_node *scalar_value(gql_parser *p)
{
    gql_node *v = gqlp_node(p, GQL_ENUM);
    if (!v)
        return NULL;
    switch (p->tok.kind) {
    case GQL_TOK_INT:
    case GQL_TOK_FLOAT:
        v->kind = p->tok.kind == GQL_TOK_INT ? GQL_INT : GQL_FLOAT;
        v->str = p->tok.text;
        break;
    case GQL_TOK_STRING:
    case GQL_TOK_BLOCK_STRING:
        v->kind = GQL_STRING;
        v->str = p->tok.value;
        v->flags = p->tok.kind == GQL_TOK_BLOCK_STRING ? GQL_FLAG_BLOCK : 0;
        break;
    default: /* a Name */
        if (gqlp_value_is(&p->tok, "true") || gqlp_value_is(&p->tok, "false")) {
            v->kind = GQL_BOOLEAN;
            v->flags = gqlp_value_is(&p->tok, "true") ? GQL_FLAG_TRUE : 0;
        } else if (gqlp_value_is(&p->tok, "null")) {
            v->kind = GQL_NULL_VALUE;
        } else {
            v->name = p->tok.text;
        }
        break;
    }
    return gqlp_advance(p) ? v : NULL;
}

/* Value[Const] */
gql_node *gqlp_value(gql_parser *p, bool is_const)
{
    switch (p->tok.kind) {
    case GQL_TOK_BRACKET_L:
        return list_value(p, is_const);
    case GQL_TOK_BRACE_L:
        return object_value(p, is_const);
    case GQL_TOK_INT:
    case GQL_TOK_FLOAT:
    case GQL_TOK_STRING:
    case GQL_TOK_BLOCK_STRING:
    case GQL_TOK_NAME:
        return scalar_value(p);
    case GQL_TOK_DOLLAR:
        return is_const ? variable_in_const(p) : variable(p);
    default:
        return gqlp_unexpected(p, &p->tok);
    }
}

/* ---- arguments and directives ---- */

static gql_node *argument(gql_parser *p, bool is_const)
{
    gql_node *a = gqlp_node(p, GQL_ARGUMENT);
    if (!a || !gqlp_name(p, &a->name) || !gqlp_expect(p, GQL_TOK_COLON))
        return NULL;
    a->value = gqlp_value(p, is_const);
    return a->value ? a : NULL;
}

/* Arguments[Const]: optional; ( Argument+ ) */
static bool arguments(gql_parser *p, bool is_const, gql_node **out)
{
    int open = gqlp_accept(p, GQL_TOK_PAREN_L);
    if (open != GQLP_YES)
        return open == GQLP_NO;
    gqlp_list args = {0};
    int done;
    do {
        gql_node *a = argument(p, is_const);
        if (!a)
            return false;
        gqlp_append(&args, a);
    } while ((done = gqlp_accept(p, GQL_TOK_PAREN_R)) == GQLP_NO);
    *out = args.head;
    return done == GQLP_YES;
}

static gql_node *directive(gql_parser *p, bool is_const)
{
    gql_node *d = gqlp_node(p, GQL_DIRECTIVE);
    if (!d || !gqlp_advance(p) || !gqlp_name(p, &d->name) || !arguments(p, is_const, &d->args))
        return NULL;
    return d;
}

/* Directives[Const]: zero or more */
bool gqlp_directives(gql_parser *p, bool is_const, gql_node **out)
{
    gqlp_list dirs = {0};
    while (gqlp_peek(p, GQL_TOK_AT)) {
        gql_node *d = directive(p, is_const);
        if (!d)
            return false;
        gqlp_append(&dirs, d);
    }
    *out = dirs.head;
    return true;
}

/* ---- selections ---- */

static bool selection_set(gql_parser *p, gql_node **out);

static gql_node *field(gql_parser *p)
{
    gql_node *f = gqlp_node(p, GQL_FIELD);
    if (!f || !gqlp_name(p, &f->name))
        return NULL;
    int colon = gqlp_accept(p, GQL_TOK_COLON);
    if (colon == GQLP_ERR)
        return NULL;
    if (colon == GQLP_YES) {
        f->alias = f->name;
        if (!gqlp_name(p, &f->name))
            return NULL;
    }
    if (!arguments(p, false, &f->args) || !gqlp_directives(p, false, &f->directives))
        return NULL;
    if (gqlp_peek(p, GQL_TOK_BRACE_L) && !selection_set(p, &f->selections))
        return NULL;
    return f;
}

/* FragmentSpread: ... FragmentName Directives?
 * InlineFragment: ... TypeCondition? Directives? SelectionSet */
static gql_node *fragment(gql_parser *p)
{
    gql_node *f = gqlp_node(p, GQL_INLINE_FRAGMENT);
    if (!f || !gqlp_advance(p))
        return NULL;
    int on = gqlp_accept_kw(p, "on");
    if (on == GQLP_ERR)
        return NULL;
    if (on == GQLP_NO && gqlp_peek(p, GQL_TOK_NAME)) {
        f->kind = GQL_FRAGMENT_SPREAD;
        if (!gqlp_name(p, &f->name) || !gqlp_directives(p, false, &f->directives))
            return NULL;
        return f;
    }
    if (on == GQLP_YES && !(f->type = gqlp_named_type(p)))
        return NULL;
    if (!gqlp_directives(p, false, &f->directives) || !selection_set(p, &f->selections))
        return NULL;
    return f;
}

/* SelectionSet: { Selection+ } */
static bool selection_set(gql_parser *p, gql_node **out)
{
    if (!gqlp_expect(p, GQL_TOK_BRACE_L))
        return false;
    gqlp_list sels = {0};
    int done;
    do {
        gql_node *s = gqlp_peek(p, GQL_TOK_SPREAD) ? fragment(p) : field(p);
        if (!s)
            return false;
        gqlp_append(&sels, s);
    } while ((done = gqlp_accept(p, GQL_TOK_BRACE_R)) == GQLP_NO);
    *out = sels.head;
    return done == GQLP_YES;
}

/* ---- executable definitions ---- */

static gql_node *variable_definition(gql_parser *p)
{
    gql_node *v = gqlp_node(p, GQL_VARIABLE_DEF);
    if (!v || !gqlp_expect(p, GQL_TOK_DOLLAR) || !gqlp_name(p, &v->name) ||
        !gqlp_expect(p, GQL_TOK_COLON) || !(v->type = gqlp_type_ref(p)))
        return NULL;
    int eq = gqlp_accept(p, GQL_TOK_EQUALS);
    if (eq == GQLP_ERR || (eq == GQLP_YES && !(v->value = gqlp_value(p, true))))
        return NULL;
    return gqlp_directives(p, true, &v->directives) ? v : NULL;
}

/* VariableDefinitions: optional; ( VariableDefinition+ ) */
static bool variable_definitions(gql_parser *p, gql_node **out)
{
    int open = gqlp_accept(p, GQL_TOK_PAREN_L);
    if (open != GQLP_YES)
        return open == GQLP_NO;
    gqlp_list defs = {0};
    int done;
    do {
        gql_node *v = variable_definition(p);
        if (!v)
            return false;
        gqlp_append(&defs, v);
    } while ((done = gqlp_accept(p, GQL_TOK_PAREN_R)) == GQLP_NO);
    *out = defs.head;
    return done == GQLP_YES;
}

/* OperationDefinition: OperationType Name? VariableDefinitions?
 * Directives? SelectionSet | SelectionSet */
static gql_node *operation(gql_parser *p)
{
    gql_node *op = gqlp_node(p, GQL_OPERATION);
    if (!op)
        return NULL;
    if (gqlp_peek(p, GQL_TOK_BRACE_L))
        return selection_set(p, &op->selections) ? op : NULL;
    if (gqlp_peek_kw(p, "mutation"))
        op->op = GQL_OP_MUTATION;
    else if (gqlp_peek_kw(p, "subscription"))
        op->op = GQL_OP_SUBSCRIPTION;
    if (!gqlp_advance(p))
        return NULL;
    if (gqlp_peek(p, GQL_TOK_NAME) && !gqlp_name(p, &op->name))
        return NULL;
    if (!variable_definitions(p, &op->children) || !gqlp_directives(p, false, &op->directives) ||
        !selection_set(p, &op->selections))
        return NULL;
    return op;
}

/* FragmentDefinition: fragment FragmentName TypeCondition Directives?
 * SelectionSet, where FragmentName is a Name but not `on` */
static gql_node *fragment_definition(gql_parser *p)
{
    gql_node *f = gqlp_node(p, GQL_FRAGMENT_DEF);
    if (!f || !gqlp_advance(p))
        return NULL;
    if ((p->tok.kind == GQL_TOK_NAME || p->tok.kind == GQL_TOK_STRING ||
         p->tok.kind == GQL_TOK_BLOCK_STRING) &&
        gqlp_value_is(&p->tok, "on"))
        return gqlp_unexpected(p, &p->tok);
    if (!gqlp_name(p, &f->name) || !gqlp_expect_kw(p, "on") || !(f->type = gqlp_named_type(p)) ||
        !gqlp_directives(p, false, &f->directives) || !selection_set(p, &f->selections))
        return NULL;
    return f;
}

/* `extend ...` in a request: graphql-js parses it and validation refuses
 * it; postern has no extension grammar, so it names the type at once. */
static gql_node *extension_in_executable(gql_parser *p)
{
    uint32_t line = p->tok.line, col = p->tok.col;
    if (!gqlp_advance(p))
        return NULL;
    if (gqlp_peek_kw(p, "schema"))
        return gqlp_fail(p, line, col, "The schema definition is not executable.");
    static const char *const kws[] = {"scalar", "type", "interface", "union", "enum", "input"};
    for (size_t i = 0; i < sizeof(kws) / sizeof(kws[0]); i++) {
        if (!gqlp_peek_kw(p, kws[i]))
            continue;
        pst_str name;
        if (!gqlp_advance(p) || !gqlp_name(p, &name))
            return NULL;
        return gqlp_fail(p, line, col, "The \"%.*s\" definition is not executable.",
                         gqlp_clip(name.n), name.p);
    }
    return gqlp_unexpected(p, &p->tok);
}

static gql_node *executable_definition(gql_parser *p)
{
    if (gqlp_peek(p, GQL_TOK_BRACE_L) || gqlp_peek_kw(p, "query") || gqlp_peek_kw(p, "mutation") ||
        gqlp_peek_kw(p, "subscription"))
        return operation(p);
    if (gqlp_peek_kw(p, "fragment"))
        return fragment_definition(p);
    if (gqlp_peek_kw(p, "extend"))
        return extension_in_executable(p);
    if (!gqlp_starts_type_system(p))
        return gqlp_unexpected(p, &p->tok);
    gql_node *d = gqlp_type_system_definition(p);
    if (d && !p->not_executable)
        p->not_executable = d;
    return d;
}

/* graphql-js's ExecutableDefinitions rule message for a definition. */
static gql_node *refuse_not_executable(gql_parser *p, const gql_node *d)
{
    if (d->kind == GQL_SCHEMA_DEF)
        return gqlp_fail(p, d->line, d->col, "The schema definition is not executable.");
    return gqlp_fail(p, d->line, d->col, "The \"%.*s\" definition is not executable.",
                     gqlp_clip(d->name.n), d->name.p);
}

/* Document: Definition+ */
static gql_node *document(gql_parser *p)
{
    if (!gqlp_advance(p))
        return NULL;
    gql_node *doc = gqlp_node(p, GQL_DOCUMENT);
    if (!doc)
        return NULL;
    gqlp_list defs = {0};
    do {
        gql_node *d = p->sdl ? gqlp_type_system_definition(p) : executable_definition(p);
        if (!d)
            return NULL;
        gqlp_append(&defs, d);
    } while (!gqlp_peek(p, GQL_TOK_EOF));
    if (p->not_executable)
        return refuse_not_executable(p, p->not_executable);
    doc->children = defs.head;
    return doc;
}

static gql_node *parse(pst_arena *a, const char *src, size_t n, const gql_parse_limits *lim,
                       gql_parse_error *err, bool sdl)
{
    gql_parse_error scratch;
    if (!err)
        err = &scratch;
    memset(err, 0, sizeof(*err));
    if (!src) /* an empty document, without arithmetic on NULL */
        src = "", n = 0;
    gql_parser p;
    memset(&p, 0, sizeof(p));
    gql_lexer_init(&p.lx, a, src, n);
    p.arena = a;
    p.err = err;
    p.sdl = sdl;
    p.max_depth = lim && lim->max_depth ? lim->max_depth : GQL_PARSE_DEFAULT_DEPTH;
    if (p.max_depth > GQL_PARSE_DEPTH_CAP)
        p.max_depth = GQL_PARSE_DEPTH_CAP;
    p.max_tokens = lim ? lim->max_tokens : 0;
    return document(&p);
}

gql_node *gql_parse_executable(pst_arena *a, const char *src, size_t n, const gql_parse_limits *lim,
                               gql_parse_error *err)
{
    return parse(a, src, n, lim, err, false);
}

gql_node *gql_parse_sdl(pst_arena *a, const char *src, size_t n, const gql_parse_limits *lim,
                        gql_parse_error *err)
{
    return parse(a, src, n, lim, err, true);
}
