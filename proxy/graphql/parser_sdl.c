/* Type system definitions (October 2021 specification §3), with graphql-js
 * 16's messages. Each definition node starts at its description when it
 * has one, like graphql-js's locations. */

#include "graphql/parser_int.h"

static bool peek_description(const gql_parser *p)
{
    return gqlp_peek(p, GQL_TOK_STRING) || gqlp_peek(p, GQL_TOK_BLOCK_STRING);
}

/* Description: optional StringValue, stored in n->str. */
static bool description(gql_parser *p, gql_node *n)
{
    if (!peek_description(p))
        return true;
    n->str = p->tok.value;
    return gqlp_advance(p);
}

/* OperationType: query | mutation | subscription */
static bool operation_type(gql_parser *p, gql_op_type *out)
{
    gql_token t = p->tok;
    if (!gqlp_expect(p, GQL_TOK_NAME))
        return false;
    if (gqlp_value_is(&t, "query"))
        *out = GQL_OP_QUERY;
    else if (gqlp_value_is(&t, "mutation"))
        *out = GQL_OP_MUTATION;
    else if (gqlp_value_is(&t, "subscription"))
        *out = GQL_OP_SUBSCRIPTION;
    else
        return gqlp_unexpected(p, &t);
    return true;
}

static gql_node *operation_type_definition(gql_parser *p)
{
    gql_node *o = gqlp_node(p, GQL_OPERATION_TYPE);
    if (!o || !operation_type(p, &o->op) || !gqlp_expect(p, GQL_TOK_COLON) ||
        !(o->type = gqlp_named_type(p)))
        return NULL;
    return o;
}

/* Delimited list: an optional leading delimiter, then items separated by
 * it (ImplementsInterfaces with &, UnionMemberTypes and
 * DirectiveLocations with |). */
static bool delimited(gql_parser *p, gql_tok_kind delim, gql_node *(*item)(gql_parser *),
                      gql_node **out)
{
    if (gqlp_accept(p, delim) == GQLP_ERR)
        return false;
    gqlp_list l = {0};
    int more;
    do {
        gql_node *n = item(p);
        if (!n)
            return false;
        gqlp_append(&l, n);
    } while ((more = gqlp_accept(p, delim)) == GQLP_YES);
    *out = l.head;
    return more == GQLP_NO;
}

/* open Item+ close, or nothing when required is false and open is absent */
static bool bracketed(gql_parser *p, bool required, gql_tok_kind open, gql_tok_kind close,
                      gql_node *(*item)(gql_parser *), gql_node **out)
{
    if (required) {
        if (!gqlp_expect(p, open))
            return false;
    } else {
        int o = gqlp_accept(p, open);
        if (o != GQLP_YES)
            return o == GQLP_NO;
    }
    gqlp_list l = {0};
    int done;
    do {
        gql_node *n = item(p);
        if (!n)
            return false;
        gqlp_append(&l, n);
    } while ((done = gqlp_accept(p, close)) == GQLP_NO);
    *out = l.head;
    return done == GQLP_YES;
}

/* InputValueDefinition: Description? Name : Type DefaultValue?
 * Directives[Const]? */
static gql_node *input_value_definition(gql_parser *p)
{
    gql_node *v = gqlp_node(p, GQL_INPUT_VALUE_DEF);
    if (!v || !description(p, v) || !gqlp_name(p, &v->name) || !gqlp_expect(p, GQL_TOK_COLON) ||
        !(v->type = gqlp_type_ref(p)))
        return NULL;
    int eq = gqlp_accept(p, GQL_TOK_EQUALS);
    if (eq == GQLP_ERR || (eq == GQLP_YES && !(v->value = gqlp_value(p, true))))
        return NULL;
    return gqlp_directives(p, true, &v->directives) ? v : NULL;
}

/* FieldDefinition: Description? Name ArgumentsDefinition? : Type
 * Directives[Const]? */
static gql_node *field_definition(gql_parser *p)
{
    gql_node *f = gqlp_node(p, GQL_FIELD_DEF);
    if (!f || !description(p, f) || !gqlp_name(p, &f->name) ||
        !bracketed(p, false, GQL_TOK_PAREN_L, GQL_TOK_PAREN_R, input_value_definition, &f->args) ||
        !gqlp_expect(p, GQL_TOK_COLON) || !(f->type = gqlp_type_ref(p)) ||
        !gqlp_directives(p, true, &f->directives))
        return NULL;
    return f;
}

/* EnumValueDefinition: Description? EnumValue Directives[Const]?, where
 * EnumValue is a Name but not true, false or null */
static gql_node *enum_value_definition(gql_parser *p)
{
    gql_node *e = gqlp_node(p, GQL_ENUM_VALUE_DEF);
    if (!e || !description(p, e))
        return NULL;
    if (p->tok.kind >= GQL_TOK_NAME &&
        (gqlp_value_is(&p->tok, "true") || gqlp_value_is(&p->tok, "false") ||
         gqlp_value_is(&p->tok, "null"))) {
        char what[160];
        return gqlp_fail(p, p->tok.line, p->tok.col,
                         "Syntax Error: %s is reserved and cannot be used for an enum value.",
                         gql_tok_describe(&p->tok, what, sizeof(what)));
    }
    if (!gqlp_name(p, &e->name) || !gqlp_directives(p, true, &e->directives))
        return NULL;
    return e;
}

static const char *const directive_locations[] = {
#define GQL_LOC_NAME(name) #name,
    GQL_DIRECTIVE_LOCATIONS(GQL_LOC_NAME)
#undef GQL_LOC_NAME
};

static gql_node *directive_location(gql_parser *p)
{
    gql_token start = p->tok;
    gql_node *l = gqlp_named_type(p);
    if (!l)
        return NULL;
    for (size_t i = 0; i < sizeof(directive_locations) / sizeof(directive_locations[0]); i++)
        if (gqlp_value_is(&start, directive_locations[i]))
            return l;
    return gqlp_unexpected(p, &start);
}

/* Each definition below starts after its keyword; n holds the position
 * and the description. */

/* schema Directives[Const]? { OperationTypeDefinition+ } */
static gql_node *schema_definition(gql_parser *p, gql_node *n)
{
    if (!gqlp_directives(p, true, &n->directives) ||
        !bracketed(p, true, GQL_TOK_BRACE_L, GQL_TOK_BRACE_R, operation_type_definition,
                   &n->children))
        return NULL;
    return n;
}

/* scalar Name Directives[Const]? */
static gql_node *scalar_definition(gql_parser *p, gql_node *n)
{
    return gqlp_name(p, &n->name) && gqlp_directives(p, true, &n->directives) ? n : NULL;
}

/* type|interface Name ImplementsInterfaces? Directives[Const]?
 * FieldsDefinition? */
static gql_node *object_definition(gql_parser *p, gql_node *n)
{
    if (!gqlp_name(p, &n->name))
        return NULL;
    int impl = gqlp_accept_kw(p, "implements");
    if (impl == GQLP_ERR ||
        (impl == GQLP_YES && !delimited(p, GQL_TOK_AMP, gqlp_named_type, &n->interfaces)))
        return NULL;
    if (!gqlp_directives(p, true, &n->directives) ||
        !bracketed(p, false, GQL_TOK_BRACE_L, GQL_TOK_BRACE_R, field_definition, &n->children))
        return NULL;
    return n;
}

/* union Name Directives[Const]? UnionMemberTypes? */
static gql_node *union_definition(gql_parser *p, gql_node *n)
{
    if (!gqlp_name(p, &n->name) || !gqlp_directives(p, true, &n->directives))
        return NULL;
    int eq = gqlp_accept(p, GQL_TOK_EQUALS);
    if (eq == GQLP_ERR ||
        (eq == GQLP_YES && !delimited(p, GQL_TOK_PIPE, gqlp_named_type, &n->children)))
        return NULL;
    return n;
}

/* enum Name Directives[Const]? EnumValuesDefinition? */
static gql_node *enum_definition(gql_parser *p, gql_node *n)
{
    if (!gqlp_name(p, &n->name) || !gqlp_directives(p, true, &n->directives) ||
        !bracketed(p, false, GQL_TOK_BRACE_L, GQL_TOK_BRACE_R, enum_value_definition, &n->children))
        return NULL;
    return n;
}

/* input Name Directives[Const]? InputFieldsDefinition? */
static gql_node *input_definition(gql_parser *p, gql_node *n)
{
    if (!gqlp_name(p, &n->name) || !gqlp_directives(p, true, &n->directives) ||
        !bracketed(p, false, GQL_TOK_BRACE_L, GQL_TOK_BRACE_R, input_value_definition,
                   &n->children))
        return NULL;
    return n;
}

/* directive @ Name ArgumentsDefinition? repeatable? on DirectiveLocations */
static gql_node *directive_definition(gql_parser *p, gql_node *n)
{
    if (!gqlp_expect(p, GQL_TOK_AT) || !gqlp_name(p, &n->name) ||
        !bracketed(p, false, GQL_TOK_PAREN_L, GQL_TOK_PAREN_R, input_value_definition, &n->args))
        return NULL;
    int rep = gqlp_accept_kw(p, "repeatable");
    if (rep == GQLP_ERR)
        return NULL;
    if (rep == GQLP_YES)
        n->flags |= GQL_FLAG_REPEATABLE;
    if (!gqlp_expect_kw(p, "on") || !delimited(p, GQL_TOK_PIPE, directive_location, &n->children))
        return NULL;
    return n;
}

static const struct {
    const char *keyword;
    gql_kind kind;
    gql_node *(*parse)(gql_parser *p, gql_node *n);
} definitions[] = {
    {"schema", GQL_SCHEMA_DEF, schema_definition},
    {"scalar", GQL_SCALAR_DEF, scalar_definition},
    {"type", GQL_OBJECT_DEF, object_definition},
    {"interface", GQL_INTERFACE_DEF, object_definition},
    {"union", GQL_UNION_DEF, union_definition},
    {"enum", GQL_ENUM_DEF, enum_definition},
    {"input", GQL_INPUT_OBJECT_DEF, input_definition},
    {"directive", GQL_DIRECTIVE_DEF, directive_definition},
};

#define N_DEFINITIONS (sizeof(definitions) / sizeof(definitions[0]))

bool gqlp_starts_type_system(const gql_parser *p)
{
    if (peek_description(p))
        return true;
    for (size_t i = 0; i < N_DEFINITIONS; i++)
        if (gqlp_peek_kw(p, definitions[i].keyword))
            return true;
    return false;
}

gql_node *gqlp_type_system_definition(gql_parser *p)
{
    gql_token first = p->tok;
    bool has_description = peek_description(p);
    gql_node *n = gqlp_node(p, GQL_SCALAR_DEF);
    if (!n || !description(p, n))
        return NULL;
    if (gqlp_peek(p, GQL_TOK_NAME)) {
        for (size_t i = 0; i < N_DEFINITIONS; i++) {
            if (!gqlp_peek_kw(p, definitions[i].keyword))
                continue;
            n->kind = definitions[i].kind;
            return gqlp_advance(p) ? definitions[i].parse(p, n) : NULL;
        }
        /* graphql-js 16.0's message for descriptions on operations and
         * fragments (allowed since, but not by the October 2021 spec) */
        if (has_description && (gqlp_peek_kw(p, "query") || gqlp_peek_kw(p, "mutation") ||
                                gqlp_peek_kw(p, "subscription") || gqlp_peek_kw(p, "fragment")))
            return gqlp_fail(p, first.line, first.col,
                             "Syntax Error: Unexpected description, descriptions are supported "
                             "only on type definitions.");
        if (has_description)
            return gqlp_fail(p, first.line, first.col,
                             "Syntax Error: Unexpected description, only GraphQL definitions "
                             "support descriptions.");
        if (gqlp_peek_kw(p, "extend"))
            return gqlp_fail(p, p->tok.line, p->tok.col,
                             "Type system extensions are not supported.");
    }
    return gqlp_unexpected(p, &p->tok);
}
