/* GraphQL parser: executable and type system documents node by node,
 * errors (messages and positions as graphql-js 16.15 gives them), the
 * nesting and token limits, every prefix of valid documents, and
 * allocation failures. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/arena.h"
#include "common/mem.h"
#include "graphql/parser.h"
#include "test.h"

static pst_arena *arena;
static gql_parse_error err;

static gql_node *exec_doc(const char *src)
{
    pst_arena_reset(arena);
    return gql_parse_executable(arena, src, strlen(src), NULL, &err);
}

static gql_node *sdl_doc(const char *src)
{
    pst_arena_reset(arena);
    return gql_parse_sdl(arena, src, strlen(src), NULL, &err);
}

static bool eq(pst_str s, const char *c)
{
    return s.n == strlen(c) && memcmp(s.p, c, s.n) == 0;
}

static bool at(const gql_node *n, gql_kind kind, uint32_t line, uint32_t col)
{
    if (n && n->kind == kind && n->line == line && n->col == col)
        return true;
    if (n)
        fprintf(stderr, "  node %s at %u:%u\n", gql_kind_name(n->kind), n->line, n->col);
    return false;
}

static const gql_node *nth(const gql_node *n, int i)
{
    while (n && i-- > 0)
        n = n->next;
    return n;
}

/* ---- executable documents ---- */

static void test_shorthand_and_fields(void)
{
    gql_node *d = exec_doc("{ hero { name } empire: hero(episode: EMPIRE) { id } }");
    CHECK(at(d, GQL_DOCUMENT, 1, 1) && gql_list_len(d->children) == 1);
    const gql_node *op = d->children;
    CHECK(at(op, GQL_OPERATION, 1, 1) && op->op == GQL_OP_QUERY && op->name.n == 0);
    CHECK(op->children == NULL && op->directives == NULL && gql_list_len(op->selections) == 2);
    const gql_node *f = op->selections;
    CHECK(at(f, GQL_FIELD, 1, 3) && eq(f->name, "hero") && f->alias.n == 0 && !f->args);
    CHECK(at(f->selections, GQL_FIELD, 1, 10) && eq(f->selections->name, "name"));
    CHECK(f->selections->selections == NULL && f->selections->next == NULL);
    f = f->next;
    CHECK(at(f, GQL_FIELD, 1, 17) && eq(f->alias, "empire") && eq(f->name, "hero"));
    CHECK(eq(gql_field_key(f), "empire"));
    CHECK(at(f->args, GQL_ARGUMENT, 1, 30) && eq(f->args->name, "episode"));
    CHECK(at(f->args->value, GQL_ENUM, 1, 39) && eq(f->args->value->name, "EMPIRE"));
    CHECK(at(f->selections, GQL_FIELD, 1, 49));
}

static void test_operations(void)
{
    gql_node *d = exec_doc("query Q($episode: Episode = JEDI, $with: [Int!]! @d(x: 1)) @live {\n"
                           "  hero(episode: $episode) @include(if: $with) { name }\n"
                           "}\n"
                           "mutation M { a }\n"
                           "subscription { b }\n"
                           "query { c }");
    CHECK(d && gql_list_len(d->children) == 4);
    if (!d)
        return;
    const gql_node *op = d->children;
    CHECK(at(op, GQL_OPERATION, 1, 1) && op->op == GQL_OP_QUERY && eq(op->name, "Q"));
    const gql_node *v = op->children;
    CHECK(gql_list_len(v) == 2);
    CHECK(at(v, GQL_VARIABLE_DEF, 1, 9) && eq(v->name, "episode"));
    CHECK(at(v->type, GQL_NAMED_TYPE, 1, 19) && eq(v->type->name, "Episode"));
    CHECK(at(v->value, GQL_ENUM, 1, 29) && eq(v->value->name, "JEDI") && !v->directives);
    v = v->next;
    CHECK(at(v, GQL_VARIABLE_DEF, 1, 35) && eq(v->name, "with") && v->value == NULL);
    const gql_node *t = v->type;
    CHECK(at(t, GQL_NON_NULL_TYPE, 1, 42));
    CHECK(at(t->type, GQL_LIST_TYPE, 1, 42));
    CHECK(at(t->type->type, GQL_NON_NULL_TYPE, 1, 43));
    CHECK(at(t->type->type->type, GQL_NAMED_TYPE, 1, 43) && eq(t->type->type->type->name, "Int"));
    CHECK(at(v->directives, GQL_DIRECTIVE, 1, 50) && eq(v->directives->name, "d"));
    CHECK(at(v->directives->args->value, GQL_INT, 1, 56));
    CHECK(at(op->directives, GQL_DIRECTIVE, 1, 60) && eq(op->directives->name, "live"));
    CHECK(op->directives->args == NULL);
    const gql_node *f = op->selections;
    CHECK(at(f, GQL_FIELD, 2, 3) && eq(f->name, "hero"));
    CHECK(at(f->args->value, GQL_VARIABLE, 2, 17) && eq(f->args->value->name, "episode"));
    CHECK(at(f->directives, GQL_DIRECTIVE, 2, 27) && eq(f->directives->name, "include"));
    CHECK(at(f->directives->args, GQL_ARGUMENT, 2, 36) && eq(f->directives->args->name, "if"));
    CHECK(at(f->directives->args->value, GQL_VARIABLE, 2, 40));
    CHECK(eq(f->directives->args->value->name, "with"));
    op = op->next;
    CHECK(at(op, GQL_OPERATION, 4, 1) && op->op == GQL_OP_MUTATION && eq(op->name, "M"));
    op = op->next;
    CHECK(at(op, GQL_OPERATION, 5, 1) && op->op == GQL_OP_SUBSCRIPTION && op->name.n == 0);
    op = op->next;
    CHECK(at(op, GQL_OPERATION, 6, 1) && op->op == GQL_OP_QUERY && op->name.n == 0);
    CHECK(at(op->selections, GQL_FIELD, 6, 9));
}

static void test_values(void)
{
    gql_node *d =
        exec_doc("{ f(i: -12, fl: 6.02e23, s: \"a\\u00e9\\n\", b: \"\"\"\n  x\n  y\"\"\", "
                 "t: true, f: false, n: null, e: RED, v: $var, "
                 "l: [1, [2], []], o: {x: 1, y: {z: [null]}}, eo: {}) }");
    CHECK(d != NULL);
    if (!d)
        return;
    const gql_node *a = d->children->selections->args;
    CHECK(gql_list_len(a) == 12);
    CHECK(at(a->value, GQL_INT, 1, 8) && eq(a->value->str, "-12"));
    a = a->next;
    CHECK(at(a->value, GQL_FLOAT, 1, 17) && eq(a->value->str, "6.02e23"));
    a = a->next;
    CHECK(at(a->value, GQL_STRING, 1, 29) && eq(a->value->str, "a\xc3\xa9\n"));
    CHECK(a->value->flags == 0 && a->value->str.p[a->value->str.n] == '\0');
    a = a->next;
    CHECK(at(a->value, GQL_STRING, 1, 45) && eq(a->value->str, "x\ny"));
    CHECK(a->value->flags == GQL_FLAG_BLOCK);
    a = a->next;
    CHECK(at(a, GQL_ARGUMENT, 3, 9) && at(a->value, GQL_BOOLEAN, 3, 12));
    CHECK(a->value->flags == GQL_FLAG_TRUE);
    a = a->next;
    CHECK(a->value->kind == GQL_BOOLEAN && a->value->flags == 0);
    a = a->next;
    CHECK(a->value->kind == GQL_NULL_VALUE);
    a = a->next;
    CHECK(a->value->kind == GQL_ENUM && eq(a->value->name, "RED"));
    a = a->next;
    CHECK(a->value->kind == GQL_VARIABLE && eq(a->value->name, "var"));
    a = a->next;
    const gql_node *l = a->value;
    CHECK(l->kind == GQL_LIST && gql_list_len(l->children) == 3);
    CHECK(l->children->kind == GQL_INT && eq(l->children->str, "1"));
    CHECK(nth(l->children, 1)->kind == GQL_LIST &&
          gql_list_len(nth(l->children, 1)->children) == 1);
    CHECK(nth(l->children, 2)->kind == GQL_LIST && nth(l->children, 2)->children == NULL);
    a = a->next;
    const gql_node *o = a->value;
    CHECK(o->kind == GQL_OBJECT && gql_list_len(o->children) == 2);
    CHECK(o->children->kind == GQL_OBJECT_FIELD && eq(o->children->name, "x"));
    CHECK(o->children->value->kind == GQL_INT);
    const gql_node *y = o->children->next;
    CHECK(eq(y->name, "y") && y->value->kind == GQL_OBJECT);
    CHECK(eq(y->value->children->name, "z") && y->value->children->value->kind == GQL_LIST);
    CHECK(y->value->children->value->children->kind == GQL_NULL_VALUE);
    a = a->next;
    CHECK(a->value->kind == GQL_OBJECT && a->value->children == NULL);
}

static void test_fragments(void)
{
    gql_node *d = exec_doc("query { ...F ... on User @a { id } ... @include(if: true) { name } "
                           "... { plain } ...G @b }\n"
                           "fragment F on Query @d { me { id } }");
    CHECK(d && gql_list_len(d->children) == 2);
    if (!d)
        return;
    const gql_node *s = d->children->selections;
    CHECK(gql_list_len(s) == 5);
    CHECK(at(s, GQL_FRAGMENT_SPREAD, 1, 9) && eq(s->name, "F") && !s->directives);
    s = s->next;
    CHECK(at(s, GQL_INLINE_FRAGMENT, 1, 14) && at(s->type, GQL_NAMED_TYPE, 1, 21));
    CHECK(eq(s->type->name, "User") && eq(s->directives->name, "a"));
    CHECK(at(s->selections, GQL_FIELD, 1, 31));
    s = s->next;
    CHECK(at(s, GQL_INLINE_FRAGMENT, 1, 36) && s->type == NULL);
    CHECK(eq(s->directives->name, "include") && eq(s->selections->name, "name"));
    s = s->next;
    CHECK(s->kind == GQL_INLINE_FRAGMENT && !s->type && !s->directives);
    CHECK(eq(s->selections->name, "plain"));
    s = s->next;
    CHECK(s->kind == GQL_FRAGMENT_SPREAD && eq(s->name, "G") && eq(s->directives->name, "b"));
    const gql_node *f = d->children->next;
    CHECK(at(f, GQL_FRAGMENT_DEF, 2, 1) && eq(f->name, "F"));
    CHECK(at(f->type, GQL_NAMED_TYPE, 2, 15) && eq(f->type->name, "Query"));
    CHECK(at(f->directives, GQL_DIRECTIVE, 2, 21) && eq(f->directives->name, "d"));
    CHECK(at(f->selections, GQL_FIELD, 2, 26) && at(f->selections->selections, GQL_FIELD, 2, 31));
}

static void test_names_are_views(void)
{
    const char *src = "{ a: b }";
    pst_arena_reset(arena);
    gql_node *d = gql_parse_executable(arena, src, 8, NULL, &err);
    CHECK(d && d->children->selections->alias.p == src + 2);
    CHECK(d && d->children->selections->name.p == src + 5);
    /* keywords are names where a name is expected */
    d = exec_doc("query query { query: fragment(on: on, type: null) ...on2 ... on on { x } }");
    CHECK(d != NULL);
    if (d) {
        const gql_node *s = d->children->selections;
        CHECK(eq(d->children->name, "query") && eq(s->alias, "query"));
        CHECK(eq(s->name, "fragment") && s->args->value->kind == GQL_ENUM);
        CHECK(s->next->kind == GQL_FRAGMENT_SPREAD && eq(s->next->name, "on2"));
        CHECK(s->next->next->kind == GQL_INLINE_FRAGMENT && eq(s->next->next->type->name, "on"));
    }
}

/* ---- type system documents ---- */

static void test_sdl_types(void)
{
    gql_node *d =
        sdl_doc("\"\"\"\n  The schema\n\"\"\"\n"
                "schema @core { query: Q mutation: M subscription: S }\n"
                "\"A date\" scalar Date @specifiedBy(url: \"u\")\n"
                "type Order implements Node & Entity @key(fields: \"id\") {\n"
                "  \"the id\" id: ID!\n"
                "  items(first: Int = 10 @x, \"\"\"c\"\"\" after: String): [Item!]! @deprecated\n"
                "}\n"
                "interface Entity implements & Node { id: ID! }\n"
                "interface Node { id: ID! }\n");
    CHECK(d && gql_list_len(d->children) == 5);
    if (!d)
        return;
    const gql_node *s = d->children;
    CHECK(at(s, GQL_SCHEMA_DEF, 1, 1) && eq(s->str, "The schema"));
    CHECK(eq(s->directives->name, "core") && gql_list_len(s->children) == 3);
    CHECK(at(s->children, GQL_OPERATION_TYPE, 4, 16) && s->children->op == GQL_OP_QUERY);
    CHECK(at(s->children->type, GQL_NAMED_TYPE, 4, 23) && eq(s->children->type->name, "Q"));
    CHECK(nth(s->children, 1)->op == GQL_OP_MUTATION);
    CHECK(nth(s->children, 2)->op == GQL_OP_SUBSCRIPTION &&
          eq(nth(s->children, 2)->type->name, "S"));
    s = s->next;
    CHECK(at(s, GQL_SCALAR_DEF, 5, 1) && eq(s->str, "A date") && eq(s->name, "Date"));
    CHECK(eq(s->directives->name, "specifiedBy") && s->directives->args->value->kind == GQL_STRING);
    s = s->next;
    CHECK(at(s, GQL_OBJECT_DEF, 6, 1) && eq(s->name, "Order") && s->str.p == NULL);
    CHECK(gql_list_len(s->interfaces) == 2 && at(s->interfaces, GQL_NAMED_TYPE, 6, 23));
    CHECK(eq(s->interfaces->name, "Node") && eq(s->interfaces->next->name, "Entity"));
    CHECK(eq(s->directives->name, "key") && gql_list_len(s->children) == 2);
    const gql_node *f = s->children;
    CHECK(at(f, GQL_FIELD_DEF, 7, 3) && eq(f->str, "the id") && eq(f->name, "id"));
    CHECK(f->type->kind == GQL_NON_NULL_TYPE && eq(f->type->type->name, "ID") && !f->args);
    f = f->next;
    CHECK(at(f, GQL_FIELD_DEF, 8, 3) && eq(f->name, "items") && f->str.p == NULL);
    CHECK(gql_list_len(f->args) == 2);
    CHECK(at(f->args, GQL_INPUT_VALUE_DEF, 8, 9) && eq(f->args->name, "first"));
    CHECK(eq(f->args->type->name, "Int") && eq(f->args->value->str, "10"));
    CHECK(eq(f->args->directives->name, "x"));
    CHECK(at(f->args->next, GQL_INPUT_VALUE_DEF, 8, 29) && eq(f->args->next->str, "c"));
    CHECK(eq(f->args->next->name, "after") && f->args->next->value == NULL);
    CHECK(f->type->kind == GQL_NON_NULL_TYPE && f->type->type->kind == GQL_LIST_TYPE);
    CHECK(eq(f->directives->name, "deprecated"));
    s = s->next;
    CHECK(at(s, GQL_INTERFACE_DEF, 10, 1) && eq(s->name, "Entity"));
    CHECK(gql_list_len(s->interfaces) == 1 && at(s->interfaces, GQL_NAMED_TYPE, 10, 31));
    s = s->next;
    CHECK(s->kind == GQL_INTERFACE_DEF && s->interfaces == NULL && gql_list_len(s->children) == 1);
}

static void test_sdl_more(void)
{
    gql_node *d = sdl_doc("union SearchResult @u = | Human | Droid\n"
                          "union Empty\n"
                          "enum Color @flags {\n  \"red\" RED\n  GREEN @deprecated\n  BLUE\n}\n"
                          "input Review { stars: Int! = 5 @range(min: 1), tags: [String] = [\"a\"] "
                          "nested: Review = {stars: 1} }\n"
                          "\"\"\"Subjects\"\"\"\n"
                          "directive @nats(subject: String!, t: String = \"2s\") repeatable on "
                          "FIELD_DEFINITION | OBJECT\n"
                          "directive @d on | QUERY\n"
                          "type Query\n");
    CHECK(d && gql_list_len(d->children) == 7);
    if (!d)
        return;
    const gql_node *u = d->children;
    CHECK(at(u, GQL_UNION_DEF, 1, 1) && eq(u->name, "SearchResult") &&
          eq(u->directives->name, "u"));
    CHECK(gql_list_len(u->children) == 2 && at(u->children, GQL_NAMED_TYPE, 1, 27));
    CHECK(eq(u->children->name, "Human") && eq(u->children->next->name, "Droid"));
    u = u->next;
    CHECK(u->kind == GQL_UNION_DEF && u->children == NULL);
    const gql_node *e = u->next;
    CHECK(at(e, GQL_ENUM_DEF, 3, 1) && eq(e->name, "Color") && gql_list_len(e->children) == 3);
    CHECK(at(e->children, GQL_ENUM_VALUE_DEF, 4, 3) && eq(e->children->str, "red"));
    CHECK(eq(e->children->name, "RED") && e->children->next->directives != NULL);
    CHECK(eq(nth(e->children, 2)->name, "BLUE"));
    const gql_node *in = e->next;
    CHECK(at(in, GQL_INPUT_OBJECT_DEF, 8, 1) && gql_list_len(in->children) == 3);
    CHECK(eq(in->children->name, "stars") && in->children->value->kind == GQL_INT);
    CHECK(eq(in->children->directives->name, "range"));
    CHECK(nth(in->children, 1)->value->kind == GQL_LIST);
    CHECK(nth(in->children, 2)->value->kind == GQL_OBJECT);
    const gql_node *dd = in->next;
    CHECK(at(dd, GQL_DIRECTIVE_DEF, 9, 1) && eq(dd->str, "Subjects") && eq(dd->name, "nats"));
    CHECK(dd->flags == GQL_FLAG_REPEATABLE && gql_list_len(dd->args) == 2);
    CHECK(eq(dd->args->next->value->str, "2s"));
    CHECK(gql_list_len(dd->children) == 2 && at(dd->children, GQL_NAMED_TYPE, 10, 67));
    CHECK(eq(dd->children->name, "FIELD_DEFINITION") && eq(dd->children->next->name, "OBJECT"));
    dd = dd->next;
    CHECK(dd->kind == GQL_DIRECTIVE_DEF && dd->flags == 0 && eq(dd->children->name, "QUERY"));
    CHECK(dd->next->kind == GQL_OBJECT_DEF && dd->next->children == NULL);
}

/* ---- errors ---- */

typedef struct {
    char mode; /* e: executable, s: SDL */
    const char *src;
    const char *message;
    uint32_t line, col;
} error_case;

/* messages and positions as graphql-js 16.15 reports them */
static const error_case errors[] = {
    {'e', "", "Syntax Error: Unexpected <EOF>.", 1, 1},
    {'e', "{ a", "Syntax Error: Expected Name, found <EOF>.", 1, 4},
    {'e', "{ }", "Syntax Error: Expected Name, found \"}\".", 1, 3},
    {'e', "{ a(x: ) }", "Syntax Error: Unexpected \")\".", 1, 8},
    {'e', "{ a(x 1) }", "Syntax Error: Expected \":\", found Int \"1\".", 1, 7},
    {'e', "{ a() }", "Syntax Error: Expected Name, found \")\".", 1, 5},
    {'e', "query Q($v: Int = $w) { a }",
     "Syntax Error: Unexpected variable \"$w\" in constant value.", 1, 19},
    {'e', "query Q($v: Int = $) { a }", "Syntax Error: Unexpected \"$\".", 1, 19},
    {'e', "query Q() { a }", "Syntax Error: Expected \"$\", found \")\".", 1, 9},
    {'e', "query Q($v) { a }", "Syntax Error: Expected \":\", found \")\".", 1, 11},
    {'e', "fragment on on T { a }", "Syntax Error: Unexpected Name \"on\".", 1, 10},
    {'e', "fragment F T { a }", "Syntax Error: Expected \"on\", found Name \"T\".", 1, 12},
    {'e', "{ ... on { a } }", "Syntax Error: Expected Name, found \"{\".", 1, 10},
    {'e', "{ a }\n notAnOperation", "Syntax Error: Unexpected Name \"notAnOperation\".", 2, 2},
    {'e', "{ a(x: \"abc) }", "Syntax Error: Unterminated string.", 1, 15},
    {'e', "{ a(x: [1, 2) }", "Syntax Error: Unexpected \")\".", 1, 13},
    {'e', "{ a(x: {b 1}) }", "Syntax Error: Expected \":\", found Int \"1\".", 1, 11},
    {'e', "{ a @ }", "Syntax Error: Expected Name, found \"}\".", 1, 7},
    {'e', "query Q($a: [Int) { a }", "Syntax Error: Expected \"]\", found \")\".", 1, 17},
    {'e', "{ a(x: \"\\uD800\") }", "Syntax Error: Invalid Unicode escape sequence: \"\\uD800\".", 1,
     9},
    {'e', "{\n  a\n  \x07\n}", "Syntax Error: Unexpected character: U+0007.", 3, 3},
    {'e', "type T { a: Int }\n{ a }", "The \"T\" definition is not executable.", 1, 1},
    {'e', "{ a }\n\"d\" schema { query: Q }", "The schema definition is not executable.", 2, 1},
    {'e', "directive @d on FIELD", "The \"d\" definition is not executable.", 1, 1},
    {'e', "type T { a: Int }\n{ a", "Syntax Error: Expected Name, found <EOF>.", 2, 4},
    {'e', "{ a }\nextend type T { b: Int }", "The \"T\" definition is not executable.", 2, 1},
    {'e', "\"d\" query { a }",
     "Syntax Error: Unexpected description, descriptions are supported only on type "
     "definitions.",
     1, 1},
    {'e', "\"d\" extend type T { a: Int }",
     "Syntax Error: Unexpected description, only GraphQL definitions support descriptions.", 1, 1},
    {'s', "type T { }", "Syntax Error: Expected Name, found \"}\".", 1, 10},
    {'s', "type T { a }", "Syntax Error: Expected \":\", found \"}\".", 1, 12},
    {'s', "enum E { true }",
     "Syntax Error: Name \"true\" is reserved and cannot be used for an enum value.", 1, 10},
    {'s', "union U = ", "Syntax Error: Expected Name, found <EOF>.", 1, 11},
    {'s', "directive @d on NOWHERE", "Syntax Error: Unexpected Name \"NOWHERE\".", 1, 17},
    {'s', "directive @d(a: Int) FIELD", "Syntax Error: Expected \"on\", found Name \"FIELD\".", 1,
     22},
    {'s', "schema { query Q }", "Syntax Error: Expected \":\", found Name \"Q\".", 1, 16},
    {'s', "schema { other: Q }", "Syntax Error: Unexpected Name \"other\".", 1, 10},
    {'s', "type T implements { a: Int }", "Syntax Error: Expected Name, found \"{\".", 1, 19},
    {'s', "input I { a: Int = $v }", "Syntax Error: Unexpected variable \"$v\" in constant value.",
     1, 20},
    {'s', "type Query { a: Int }\n  extend type Query { b: Int }",
     "Type system extensions are not supported.", 2, 3},
    {'s', "{ a }", "Syntax Error: Unexpected \"{\".", 1, 1},
    {'s', "query Q { a }", "Syntax Error: Unexpected Name \"query\".", 1, 1},
    {'s', "\"desc\" 1", "Syntax Error: Unexpected Int \"1\".", 1, 8},
    {'s', "scalar", "Syntax Error: Expected Name, found <EOF>.", 1, 7},
};

static void test_errors(void)
{
    for (size_t i = 0; i < sizeof(errors) / sizeof(errors[0]); i++) {
        const error_case *c = &errors[i];
        memset(&err, 0x55, sizeof(err));
        gql_node *d = c->mode == 'e' ? exec_doc(c->src) : sdl_doc(c->src);
        bool ok = !d && strcmp(err.message, c->message) == 0 && err.line == c->line &&
                  err.col == c->col && !err.limit;
        if (!ok)
            fprintf(stderr, "  case %zu: %s -> %u:%u %s\n", i, c->src, err.line, err.col,
                    d ? "(parsed)" : err.message);
        CHECK(ok);
    }
    /* NULL limits and NULL err are allowed */
    CHECK(gql_parse_executable(arena, "{", 1, NULL, NULL) == NULL);
    CHECK(gql_parse_sdl(arena, "scalar S", 8, NULL, NULL) != NULL);
    CHECK(gql_parse_executable(arena, NULL, 0, NULL, &err) == NULL);
    CHECK_STR(err.message, "Syntax Error: Unexpected <EOF>.");
}

/* ---- limits ---- */

static char *repeat(const char *head, const char *unit, int n, const char *mid, const char *close,
                    const char *tail)
{
    size_t len =
        strlen(head) + (strlen(unit) + strlen(close)) * (size_t)n + strlen(mid) + strlen(tail) + 1;
    char *s = malloc(len), *p = s;
    p = stpcpy(p, head);
    for (int i = 0; i < n; i++)
        p = stpcpy(p, unit);
    p = stpcpy(p, mid);
    for (int i = 0; i < n; i++)
        p = stpcpy(p, close);
    stpcpy(p, tail);
    return s;
}

static gql_node *parse_with(const char *src, uint32_t depth, uint32_t tokens, bool sdl)
{
    gql_parse_limits lim = {depth, tokens};
    pst_arena_reset(arena);
    return sdl ? gql_parse_sdl(arena, src, strlen(src), &lim, &err)
               : gql_parse_executable(arena, src, strlen(src), &lim, &err);
}

static bool limit_error(const char *message)
{
    return err.limit && strcmp(err.message, message) == 0;
}

static void test_depth(void)
{
    /* 256 selection sets deep is fine; 257 is one too many */
    char *s = repeat("", "{a", 256, "", "}", "");
    CHECK(parse_with(s, 0, 0, false) != NULL);
    free(s);
    s = repeat("", "{a", 257, "", "}", "");
    CHECK(parse_with(s, 0, 0, false) == NULL &&
          limit_error("Document nesting exceeds 256 levels."));
    CHECK(err.line == 1 && err.col == 513);
    free(s);
    /* 100,000 deep, in every nesting construct, never overflows the stack */
    static const struct {
        const char *head, *unit, *mid, *close, *tail;
        bool sdl;
    } deep[] = {
        {"", "{", "", "}", "", false},
        {"", "[", "", "]", "", false},
        {"", "{a", "", "}", "", false},
        {"{ a(x: ", "[", "", "]", ") }", false},
        {"{ a(x: ", "{a: ", "1", "}", ") }", false},
        {"query($v: ", "[", "Int", "]", ") { a }", false},
        {"{ a(x: ", "[", "", "]", ") }", true},
        {"type T { f(a: ", "[", "Int", "]", "): Int }", true},
        {"", "{...on T", "", "}", "", false},
    };
    for (size_t i = 0; i < sizeof(deep) / sizeof(deep[0]); i++) {
        s = repeat(deep[i].head, deep[i].unit, 100000, deep[i].mid, deep[i].close, deep[i].tail);
        CHECK(parse_with(s, 0, 0, deep[i].sdl) == NULL && err.message[0]);
        free(s);
    }
    s = repeat("{ a(x: ", "[", 100000, "", "]", ") }");
    CHECK(parse_with(s, 0, 0, false) == NULL &&
          limit_error("Document nesting exceeds 256 levels."));
    free(s);
    s = repeat("", "{a", 100000, "", "}", "");
    CHECK(parse_with(s, 0, 0, false) == NULL &&
          limit_error("Document nesting exceeds 256 levels."));
    free(s);
    /* a custom limit; arguments, lists, objects and non-null count */
    CHECK(parse_with("{ a { b } }", 2, 0, false) != NULL);
    CHECK(parse_with("{ a { b { c } } }", 2, 0, false) == NULL);
    CHECK(limit_error("Document nesting exceeds 2 levels.") && err.col == 9);
    CHECK(parse_with("{ a(x: 1) }", 2, 0, false) != NULL);
    CHECK(parse_with("{ a(x: [1]) }", 2, 0, false) == NULL);
    CHECK(parse_with("{ a(x: {y: 1}) }", 2, 0, false) == NULL);
    CHECK(parse_with("query($v: [Int]) { a }", 1, 0, false) == NULL);
    CHECK(parse_with("query($v: Int) { a }", 1, 0, false) != NULL);
    CHECK(parse_with("query($v: Int!) { a }", 1, 0, false) == NULL);
    CHECK(limit_error("Document nesting exceeds 1 levels.") && err.col == 14);
    CHECK(parse_with("query($v: Int!) { a }", 2, 0, false) != NULL);
    /* limits above the cap are lowered to it */
    s = repeat("", "{a", GQL_PARSE_DEPTH_CAP + 1, "", "}", "");
    CHECK(parse_with(s, UINT32_MAX, 0, false) == NULL && err.limit);
    free(s);
}

static void test_tokens(void)
{
    /* "{ a b }" is 4 tokens (not counting <EOF>) */
    CHECK(parse_with("{ a b }", 0, 4, false) != NULL);
    CHECK(parse_with("{ a b }", 0, 3, false) == NULL);
    CHECK(limit_error("Document has more than 3 tokens.") && err.line == 1 && err.col == 7);
    char *s = repeat("{ ", "a ", 20000, "", "", "}");
    CHECK(parse_with(s, 0, 10000, false) == NULL &&
          limit_error("Document has more than 10000 tokens."));
    CHECK(parse_with(s, 0, 0, false) != NULL);
    free(s);
    CHECK(parse_with("scalar A scalar B", 0, 3, true) == NULL && err.limit);
    /* a syntax error is not a limit */
    CHECK(parse_with("{ a", 0, 3, false) == NULL && !err.limit);
}

/* ---- robustness ---- */

static const char *const valid_exec =
    "query Q($a: [Int!]! = [1, 2] @d(x: 1), $b: In = {k: \"v\\u00e9\", l: [true, null]}) {\n"
    "  alias: f(a: $a, b: $b, c: 1.5e3, d: \"\"\"\n    block\n  \"\"\", e: ENUM) @skip(if: false) "
    "{\n"
    "    ...F ... on T { x } ... @include(if: true) { y }\n  }\n}\n"
    "fragment F on T @d { z # comment\n}\n"
    "{ shorthand }\n";

static const char *const valid_sdl =
    "\"\"\"doc\"\"\" schema { query: Query }\n"
    "\"d\" scalar S @x\n"
    "type Query implements & A & B @k(f: \"id\") { \"f\" f(a: Int = 1 @d, b: [S!]): [S]! @dep }\n"
    "interface A implements B { f: Int }\n"
    "union U = | A | B\n"
    "enum E { \"v\" V @d W }\n"
    "input I { a: Int = 1, b: I = {a: 2} }\n"
    "directive @d(a: Int) repeatable on FIELD | QUERY\n";

static void test_prefixes(void)
{
    const char *docs[] = {valid_exec, valid_sdl};
    for (int k = 0; k < 2; k++) {
        size_t n = strlen(docs[k]);
        CHECK((k ? sdl_doc(docs[k]) : exec_doc(docs[k])) != NULL);
        int parsed = 0, clean = 0;
        for (size_t len = 0; len <= n; len++) {
            pst_arena_reset(arena);
            /* a copy of exactly len bytes, so ASan sees any read past it */
            char *copy = malloc(len ? len : 1);
            memcpy(copy, docs[k], len);
            gql_node *d = k ? gql_parse_sdl(arena, copy, len, NULL, &err)
                            : gql_parse_executable(arena, copy, len, NULL, &err);
            if (d)
                parsed++;
            else if (err.message[0] && err.line >= 1 && err.col >= 1 && !err.limit)
                clean++;
            free(copy);
        }
        CHECK(parsed + clean == (int)n + 1);
        CHECK(parsed >= 2);
    }
}

static void test_allocation_failures(void)
{
    pst_arena *small = pst_arena_create(256); /* many blocks: many allocations */
    const char *docs[] = {valid_exec, valid_sdl};
    for (int k = 0; k < 2; k++) {
        int nulls = 0, trees = 0;
        for (long n = 1; n <= 200; n++) {
            pst_arena_reset(small);
            pst_mem_fail_at(n);
            gql_node *d = k ? gql_parse_sdl(small, docs[k], strlen(docs[k]), NULL, &err)
                            : gql_parse_executable(small, docs[k], strlen(docs[k]), NULL, &err);
            pst_mem_fail_at(0);
            if (d) {
                trees++;
            } else {
                nulls++;
                CHECK(strcmp(err.message, "Out of memory.") == 0 && err.line == 0);
            }
        }
        CHECK(nulls > 10 && trees > 0);
    }
    pst_arena_destroy(small);
}

int main(void)
{
    arena = pst_arena_create(65536);
    test_shorthand_and_fields();
    test_operations();
    test_values();
    test_fragments();
    test_names_are_views();
    test_sdl_types();
    test_sdl_more();
    test_errors();
    test_depth();
    test_tokens();
    test_prefixes();
    test_allocation_failures();
    pst_arena_destroy(arena);
    TEST_END();
}
