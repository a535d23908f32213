#include "graphql/ast.h"

static const char *const kind_names[] = {
#define GQL_AST_NAME(suffix, name, doc) name,
    GQL_AST_KINDS(GQL_AST_NAME)
#undef GQL_AST_NAME
};

const char *gql_kind_name(gql_kind kind)
{
    if ((unsigned)kind >= GQL_KIND_COUNT)
        return "Unknown";
    return kind_names[kind];
}

static pst_status visit_list(gql_node *n, gql_visit_fn enter, void *ud, int depth);

static pst_status visit_one(gql_node *n, gql_visit_fn enter, void *ud, int depth)
{
    pst_status s = enter(n, depth, ud);
    if (s == PST_ERROR)
        return PST_ERROR;
    if (s == PST_DECLINED)
        return PST_OK;
    gql_node *members[] = {n->type,       n->value,      n->args,    n->directives,
                           n->interfaces, n->selections, n->children};
    for (size_t i = 0; i < sizeof(members) / sizeof(members[0]); i++)
        if (visit_list(members[i], enter, ud, depth + 1) != PST_OK)
            return PST_ERROR;
    return PST_OK;
}

static pst_status visit_list(gql_node *n, gql_visit_fn enter, void *ud, int depth)
{
    for (; n; n = n->next)
        if (visit_one(n, enter, ud, depth) != PST_OK)
            return PST_ERROR;
    return PST_OK;
}

pst_status gql_ast_visit(gql_node *node, gql_visit_fn enter, void *ud)
{
    return node ? visit_one(node, enter, ud, 0) : PST_OK;
}

size_t gql_list_len(const gql_node *n)
{
    size_t c = 0;
    for (; n; n = n->next)
        c++;
    return c;
}

pst_str gql_field_key(const gql_node *f)
{
    return f->alias.n ? f->alias : f->name;
}
