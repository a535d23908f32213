/* Schema loading: the example schema, every error kind with its position,
 * directive declarations, EDFS forms, NATS mappings and subject templates. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/diag.h"
#include "graphql/schema.h"
#include "test.h"

#define Q "type Query { q: Int @natsRequest(subject: \"q\") }\n"

static pst_diags diags = PST_DIAGS_INIT;

static gql_schema *load(const char *sdl)
{
    pst_diags_free(&diags);
    return gql_schema_load(sdl, strlen(sdl), "t.graphql", &diags);
}

/* True when an error at line:col has exactly this message. */
static bool has(uint32_t line, uint32_t col, const char *msg)
{
    for (const pst_diag *d = diags.first; d; d = d->next)
        if (d->line == line && d->col == col && strcmp(d->message, msg) == 0)
            return true;
    fprintf(stderr, "  wanted %u:%u: %s\n  got:\n", line, col, msg);
    pst_diags_print(&diags, stderr);
    return false;
}

/* Loading fails with exactly this error (and maybe others). */
static void fails(const char *sdl, uint32_t line, uint32_t col, const char *msg)
{
    gql_schema *s = load(sdl);
    CHECK(s == NULL);
    CHECK(has(line, col, msg));
    gql_schema_free(s);
}

static void test_example_schema(void)
{
    pst_diags_free(&diags);
    gql_schema *s = gql_schema_load_file("config/schema.graphql", &diags);
    CHECK(s != NULL);
    CHECK(diags.count == 0);
    if (!s) {
        pst_diags_print(&diags, stderr);
        return;
    }
    CHECK(s->query && pst_str_eq_c(s->query->name, "Query"));
    CHECK(s->mutation && pst_str_eq_c(s->mutation->name, "Mutation"));
    CHECK(s->subscription && pst_str_eq_c(s->subscription->name, "Subscription"));
    gql_field *order = gql_type_field(s->query, PST_STR_LIT("order"));
    CHECK(order && order->nats.kind == GQL_NATS_REQUEST && !order->nats.edfs);
    CHECK_STR(order ? order->nats.subject : NULL, "orders.get.{{ args.id }}");
    CHECK(order && order->nats.timeout_ms == 1000);
    CHECK_STR(order ? order->coordinate : NULL, "Query.order");
    CHECK(order && order->n_args == 1 && gql_field_arg(order, PST_STR_LIT("id")));
    gql_field *orders = gql_type_field(s->query, PST_STR_LIT("orders"));
    CHECK(orders && orders->nats.timeout_ms == 0 && orders->n_args == 2);
    CHECK(orders && orders->args[0].default_value &&
          orders->args[0].default_value->kind == GQL_ENUM);
    gql_field *notify = gql_type_field(s->mutation, PST_STR_LIT("notify"));
    CHECK(notify && notify->nats.kind == GQL_NATS_PUBLISH);
    gql_field *place = gql_type_field(s->mutation, PST_STR_LIT("placeOrder"));
    CHECK(place && place->nats.kind == GQL_NATS_REQUEST);
    gql_field *upd = gql_type_field(s->subscription, PST_STR_LIT("orderUpdated"));
    CHECK(upd && upd->nats.kind == GQL_NATS_SUBSCRIBE && upd->nats.n_subjects == 1);
    CHECK_STR(upd && upd->nats.n_subjects ? upd->nats.subjects[0] : NULL,
              "orders.updated.{{ args.id }}");
    gql_type *o = gql_schema_type(s, PST_STR_LIT("Order"));
    gql_type *node = gql_schema_type(s, PST_STR_LIT("Node"));
    gql_type *sr = gql_schema_type(s, PST_STR_LIT("SearchResult"));
    gql_type *cust = gql_schema_type(s, PST_STR_LIT("Customer"));
    CHECK(o && o->kind == GQL_TYPE_OBJECT && o->n_fields == 7 && o->description);
    CHECK(node && gql_type_is_possible(node, o) && !gql_type_is_possible(node, cust));
    CHECK(sr && sr->kind == GQL_TYPE_UNION && gql_type_is_possible(sr, o) &&
          gql_type_is_possible(sr, cust));
    gql_field *items = gql_type_field(o, PST_STR_LIT("items"));
    CHECK_STR(items ? items->coordinate : NULL, "Order.items");
    pst_buf b = {0};
    if (items)
        gql_typeref_print(items->type, &b);
    CHECK_STR(pst_buf_cstr(&b), "[LineItem!]!");
    pst_buf_free(&b);
    CHECK(gql_type_field(o, PST_STR_LIT("nope")) == NULL);
    gql_type *in = gql_schema_type(s, PST_STR_LIT("OrderInput"));
    gql_input_value *qty = gql_type_input_field(in, PST_STR_LIT("quantity"));
    CHECK(qty && qty->default_value && qty->default_value->kind == GQL_INT);
    gql_type *st = gql_schema_type(s, PST_STR_LIT("Status"));
    CHECK(gql_type_has_enum_value(st, PST_STR_LIT("PAID")));
    CHECK(!gql_type_has_enum_value(st, PST_STR_LIT("LOST")));
    gql_type *str = gql_schema_type(s, PST_STR_LIT("String"));
    CHECK(str && str->builtin && gql_type_is_leaf(str));
    gql_type *ts = gql_schema_type(s, PST_STR_LIT("__Schema"));
    CHECK(ts && ts->builtin && gql_type_field(ts, PST_STR_LIT("types")));
    CHECK(gql_schema_field(s, s->query, PST_STR_LIT("__schema")) != NULL);
    CHECK(gql_schema_field(s, s->query, PST_STR_LIT("__type")) != NULL);
    CHECK(gql_schema_field(s, o, PST_STR_LIT("__schema")) == NULL);
    CHECK(gql_schema_field(s, sr, PST_STR_LIT("__typename")) != NULL);
    CHECK(gql_schema_field(s, s->query, PST_STR_LIT("__schema")) != NULL);
    CHECK(gql_type_field(s->query, PST_STR_LIT("__schema")) == NULL);
    gql_directive *skip = gql_schema_directive(s, PST_STR_LIT("skip"));
    CHECK(skip && (skip->locations & (1u << GQL_LOC_FIELD)) &&
          gql_directive_arg(skip, PST_STR_LIT("if")));
    CHECK(gql_schema_directive(s, PST_STR_LIT("natsRequest")) != NULL);
    CHECK(gql_schema_root(s, GQL_OP_SUBSCRIPTION) == s->subscription);
    gql_schema_free(s);
}

static void test_type_errors(void)
{
    fails("type Query { a: Nope @natsRequest(subject: \"a\") }", 1, 17, "Unknown type \"Nope\".");
    fails(Q "type A { a: Int }\ntype A { b: Int }", 3, 1,
          "There can be only one type named \"A\".");
    fails(Q "scalar String", 2, 1,
          "Type \"String\" already exists in the schema. It cannot also be defined in this type "
          "definition.");
    fails(Q "type A {\n  a: Int\n  a: String\n}", 4, 3, "Field \"A.a\" can only be defined once.");
    fails(Q "type A { a(x: Int, x: Int): Int }", 2, 20,
          "Argument \"A.a(x:)\" can only be defined once.");
    fails(Q "enum E { X Y X }", 2, 14, "Enum value \"E.X\" can only be defined once.");
    fails(Q "input I { a: Int a: Int }", 2, 18, "Field \"I.a\" can only be defined once.");
    fails(Q "type A { a: Int }\ninput I { a: A }", 3, 14,
          "The type of I.a must be Input Type but got: A.");
    fails(Q "type A { a(x: [A!]): Int }", 2, 15,
          "The type of A.a(x:) must be Input Type but got: [A!].");
    fails(Q "input I { a: Int }\ntype A { a: I! }", 3, 13,
          "The type of A.a must be Output Type but got: I!.");
    fails(Q "type A { b: Int }\nunion U = A | Int", 3, 1,
          "Union type U can only include Object types, it cannot include Int.");
    fails(Q "type Empty", 2, 1, "Type Empty must define one or more fields.");
    fails(Q "enum E", 2, 1, "Enum type E must define one or more values.");
    fails(Q "input I", 2, 1, "Input Object type I must define one or more fields.");
    fails(Q "type __A { a: Int }", 2, 1,
          "Name \"__A\" must not begin with \"__\", which is reserved by GraphQL introspection.");
    fails(Q "type A { __a: Int }", 2, 10,
          "Name \"__a\" must not begin with \"__\", which is reserved by GraphQL introspection.");
    fails("type Foo { a: Int }", 0, 0, "Query root type must be provided.");
    fails("schema { query: Foo }\ntype Foo { a: Int }\nenum E { A }\nschema { query: Foo }", 4, 1,
          "Must provide only one schema definition.");
    fails(Q "type A { a: Int }\ntype B implements A { a: Int }", 3, 1,
          "Type B must only implement Interface types, it cannot implement A.");
    fails(Q "enum E { A true }", 2, 12,
          "Syntax Error: Name \"true\" is reserved and cannot be used for an enum value.");
    gql_schema *s = load(Q "type A { a: Int }");
    CHECK(s != NULL && diags.count == 0);
    gql_schema_free(s);
}

static void test_interfaces(void)
{
    fails(Q "interface I { a: Int b: String }\ntype A implements I { a: Int }", 3, 1,
          "Interface field I.b expected but A does not provide it.");
    fails(Q "interface I { a: Int }\ntype A implements I { a: String }", 3, 23,
          "Interface field I.a expects type Int but A.a is type String.");
    fails(Q "interface I { a(x: Int): Int }\ntype A implements I { a: Int }", 3, 23,
          "Interface field argument I.a(x:) expected but A.a does not provide it.");
    fails(Q "interface I { a(x: Int): Int }\ntype A implements I { a(x: String): Int }", 3, 25,
          "Interface field argument I.a(x:) expects type Int but A.a(x:) is type String.");
    fails(Q "interface I { a: Int }\ntype A implements I { a(y: Int!): Int }", 3, 25,
          "Object field A.a includes required argument y that is missing from the Interface "
          "field I.a.");
    fails(Q "interface I { a: Int }\ninterface J implements I { a: Int }\n"
            "type A implements J { a: Int }",
          4, 1, "Type A must implement I because it is implemented by J.");
    fails(Q "type A { b: Int }\nunion U = A | A", 3, 1,
          "Union type U can only include type A once.");
    fails(Q "interface I { a: Int }\ntype A implements I & I { a: Int }", 3, 1,
          "Type A can only implement I once.");
    fails(Q "interface I implements I { a: Int }", 2, 1,
          "Type I cannot implement itself because it would create a circular reference.");
    /* covariant field types are fine */
    gql_schema *s = load(Q "interface I { a: I }\ntype A implements I { a: A! }");
    CHECK(s != NULL);
    gql_type *i = s ? gql_schema_type(s, PST_STR_LIT("I")) : NULL;
    CHECK(i && i->n_possible == 1 && i->kind == GQL_TYPE_INTERFACE);
    gql_schema_free(s);
}

static void test_many_errors(void)
{
    gql_schema *s = load("type Query { a: Nope @natsRequest(subject: \"a\")\n b: Int }\n"
                         "type B { x: Zip }\nunion U = Query | Int");
    CHECK(s == NULL);
    CHECK(diags.count == 4);
    CHECK(has(1, 17, "Unknown type \"Nope\"."));
    CHECK(has(2, 2,
              "Query.b has no @natsRequest directive: every root field needs a NATS "
              "mapping"));
    CHECK(has(3, 13, "Unknown type \"Zip\"."));
    CHECK(has(4, 1, "Union type U can only include Object types, it cannot include Int."));
    fails("type Query { a: Int", 1, 20, "Syntax Error: Expected Name, found <EOF>.");
}

static void test_nats_mapping(void)
{
    fails("type Query { order(id: ID!): Int }", 1, 14,
          "Query.order has no @natsRequest directive: every root field needs a NATS mapping");
    fails(Q "type Mutation { m: Int }", 2, 17,
          "Mutation.m has no @natsRequest or @natsPublish directive: every root field needs a "
          "NATS mapping");
    fails(Q "type Subscription { s: Int }", 2, 21,
          "Subscription.s has no @natsSubscribe directive: every root field needs a NATS mapping");
    fails("type Query { a: Boolean @natsPublish(subject: \"a\") }", 1, 25,
          "@natsPublish cannot be used on Query.a: it belongs on Mutation root fields");
    fails(Q "type Subscription { s: Int @natsRequest(subject: \"s\") }", 2, 28,
          "@natsRequest cannot be used on Subscription.s: it belongs on Query and Mutation root "
          "fields");
    fails(Q "type Mutation { s: Int @natsSubscribe(subjects: [\"s\"]) }", 2, 24,
          "@natsSubscribe cannot be used on Mutation.s: it belongs on Subscription root fields");
    fails(Q "type A { a: Int @natsRequest(subject: \"a\") }", 2, 17,
          "@natsRequest cannot be used on A.a: it belongs on Query and Mutation root fields");
    fails(Q "type Mutation { m: String @natsPublish(subject: \"m\") }", 2, 27,
          "Mutation.m: a @natsPublish field must return Boolean or Boolean!, not String");
    fails(Q "type Mutation { m: Int @natsRequest(subject: \"m\") @natsPublish(subject: \"m\") }", 2,
          51, "Mutation.m has more than one NATS directive");
    fails("type Query { a: Int @natsRequest(subject: \"a\", timeout: \"soon\") }", 1, 57,
          "Query.a: invalid timeout \"soon\": expected a positive duration such as \"500ms\" or "
          "\"2s\"");
    fails("type Query { a: Int @natsRequest }", 1, 21,
          "Directive \"@natsRequest\" argument \"subject\" of type \"String!\" is required, but "
          "it was not provided.");
    fails("type Query { a: Int @natsRequest(subject: 5) }", 1, 43,
          "String cannot represent a non string value: 5");
    fails("type Query { a: Int @natsRequest(subject: \"a\", retries: 2) }", 1, 48,
          "Unknown argument \"retries\" on directive \"@natsRequest\".");
    fails("type Query { a: Int @natsRequest(subject: \"a\") @nope }", 1, 48,
          "Unknown directive \"@nope\".");
    fails(Q "type A @natsRequest(subject: \"a\") { a: Int }", 2, 8,
          "Directive \"@natsRequest\" may not be used on OBJECT.");
    /* a single string stands for a one-element list, as in input coercion */
    gql_schema *one = load(Q "type Subscription { s(id: ID): Int @natsSubscribe(subjects: "
                             "\"s.{{ args.id }}\") }");
    gql_field *sf = one ? gql_type_field(one->subscription, PST_STR_LIT("s")) : NULL;
    CHECK(sf && sf->nats.n_subjects == 1);
    CHECK_STR(sf && sf->nats.n_subjects ? sf->nats.subjects[0] : NULL, "s.{{ args.id }}");
    gql_schema_free(one);
    pst_diags_free(&diags);
    CHECK(gql_schema_load_file("config/no-such-schema.graphql", &diags) == NULL);
    CHECK(diags.count == 1 && diags.first && strstr(diags.first->message, "cannot open schema"));
    gql_schema *s = load("type Query { a: Int @natsRequest(subject: \"a\", timeout: \"1.5s\") }");
    gql_field *a = s ? gql_type_field(s->query, PST_STR_LIT("a")) : NULL;
    CHECK(a && a->nats.timeout_ms == 1500);
    gql_schema_free(s);
}

static void test_templates(void)
{
    const char *ok = "input In { id: ID! inner: Inner }\ninput Inner { code: Int! }\n"
                     "type Query { a(id: ID!, input: In, s: String): Int @natsRequest(subject: "
                     "\"a.{{args.id}}.{{ args.input.inner.code }}.{{ claims.tenant }}."
                     "{{ claims.realm_access.roles }}.{{ args.input.id }}\") }";
    gql_schema *s = load(ok);
    CHECK(s != NULL);
    if (!s)
        pst_diags_print(&diags, stderr);
    gql_schema_free(s);
    fails("type Query { a(id: ID): Int @natsRequest(subject: \"a.{{ args.nope }}\") }", 1, 51,
          "Query.a: subject \"a.{{ args.nope }}\" refers to unknown argument \"nope\"");
    fails("type Query { a(id: ID): Int @natsRequest(subject: \"a.{{ args.id\") }", 1, 51,
          "Query.a: unbalanced \"{{\" in subject \"a.{{ args.id\"");
    fails("type Query { a(id: ID): Int @natsRequest(subject: \"a.}}\") }", 1, 51,
          "Query.a: unbalanced \"}}\" in subject \"a.}}\"");
    fails("type Query { a(id: ID): Int @natsRequest(subject: \"a.{{ id }}\") }", 1, 51,
          "Query.a: \"{{ id }}\" in subject \"a.{{ id }}\" must be args.NAME or claims.PATH");
    fails("type Query { a(id: ID): Int @natsRequest(subject: \"a.{{ claims. }}\") }", 1, 51,
          "Query.a: \"{{ claims. }}\" in subject \"a.{{ claims. }}\" must be args.NAME or "
          "claims.PATH");
    fails("input In { x: Int }\ntype Query { a(i: In): Int @natsRequest(subject: \"{{args.i}}\") }",
          2, 50,
          "Query.a: subject \"{{args.i}}\" refers to \"args.i\", which is not a scalar or enum");
    fails(
        "input In { x: Int }\ntype Query { a(i: In): Int @natsRequest(subject: \"{{args.i.y}}\") }",
        2, 50,
        "Query.a: subject \"{{args.i.y}}\" refers to \"args.i.y\", but In has no input "
        "field \"y\"");
    fails("type Query { a(i: [ID]): Int @natsRequest(subject: \"{{args.i}}\") }", 1, 52,
          "Query.a: subject \"{{args.i}}\" refers to \"args.i\", which is a list");
    fails("type Query { a: Int @natsRequest(subject: \"\") }", 1, 43,
          "Query.a: the subject must not be empty");
    fails(
        Q
        "type Subscription { s(id: ID): Int @natsSubscribe(subjects: [\"a\", \"{{ args.x }}\"]) }",
        2, 67, "Subscription.s: subject \"{{ args.x }}\" refers to unknown argument \"x\"");
}

static void test_directive_declarations(void)
{
    gql_schema *s = load("directive @natsRequest(subject: String!, timeout: String) on "
                         "FIELD_DEFINITION\n"
                         "directive @skip(if: Boolean!) on FIELD | FRAGMENT_SPREAD | "
                         "INLINE_FRAGMENT\n"
                         "directive @cached(ttl: Int = 5) on FIELD | FIELD_DEFINITION\n" Q);
    CHECK(s != NULL);
    if (!s)
        pst_diags_print(&diags, stderr);
    gql_directive *cached = s ? gql_schema_directive(s, PST_STR_LIT("cached")) : NULL;
    CHECK(cached && !cached->builtin && cached->n_args == 1);
    gql_schema_free(s);
    fails("directive @natsRequest(subject: String) on FIELD_DEFINITION\n" Q, 1, 1,
          "directive @natsRequest is declared differently from postern's own: directive "
          "@natsRequest(subject: String!, timeout: String) on FIELD_DEFINITION");
    fails("directive @natsPublish(subject: String!) on FIELD_DEFINITION | OBJECT\n" Q, 1, 1,
          "directive @natsPublish is declared differently from postern's own: directive "
          "@natsPublish(subject: String!) on FIELD_DEFINITION");
    fails("directive @edfs__natsRequest(subject: String!, providerId: String! = \"other\") on "
          "FIELD_DEFINITION\n" Q,
          1, 1,
          "directive @edfs__natsRequest is declared differently from postern's own: directive "
          "@edfs__natsRequest(subject: String!, providerId: String! = \"default\") on "
          "FIELD_DEFINITION");
    fails(Q "directive @a on FIELD\ndirective @a on QUERY", 3, 1,
          "There can be only one directive named \"@a\".");
    fails(Q "directive @a on NOWHERE", 2, 17, "Syntax Error: Unexpected Name \"NOWHERE\".");
}

static void test_edfs(void)
{
    const char *sdl =
        "directive @edfs__natsRequest(subject: String!, providerId: String! = \"default\") on "
        "FIELD_DEFINITION\n"
        "type edfs__PublishResult { success: Boolean! }\n"
        "type Query { a(id: ID!): Int @edfs__natsRequest(subject: \"a.{{ args.id }}\") }\n"
        "type Mutation { p: edfs__PublishResult! @edfs__natsPublish(subject: \"p\", providerId: "
        "\"default\") }\n"
        "type Subscription { s: Int @edfs__natsSubscribe(subjects: [\"s.1\", \"s.2\"]) }\n";
    gql_schema *s = load(sdl);
    CHECK(s != NULL);
    if (!s) {
        pst_diags_print(&diags, stderr);
        return;
    }
    gql_field *a = gql_type_field(s->query, PST_STR_LIT("a"));
    CHECK(a && a->nats.kind == GQL_NATS_REQUEST && a->nats.edfs);
    gql_field *p = gql_type_field(s->mutation, PST_STR_LIT("p"));
    CHECK(p && p->nats.kind == GQL_NATS_PUBLISH && p->nats.edfs);
    gql_field *sub = gql_type_field(s->subscription, PST_STR_LIT("s"));
    CHECK(sub && sub->nats.n_subjects == 2 && sub->nats.edfs);
    CHECK_STR(sub && sub->nats.n_subjects == 2 ? sub->nats.subjects[1] : NULL, "s.2");
    gql_schema_free(s);
    fails("type Query { a: Int @edfs__natsRequest(subject: \"a\", providerId: \"other\") }", 1, 66,
          "Query.a: providerId \"other\" is not supported: postern has one NATS connection, "
          "whose providerId is \"default\"");
    fails(Q "type Mutation { p: Int @edfs__natsPublish(subject: \"p\") }", 2, 24,
          "Mutation.p: a @edfs__natsPublish field must return Boolean or Boolean! (or "
          "edfs__PublishResult), not Int");
}

static void test_defaults_and_roots(void)
{
    fails("enum S { A }\ntype Query { a(s: S = B): Int @natsRequest(subject: \"a\") }", 2, 23,
          "Invalid default value for Query.a(s:): Value \"B\" does not exist in \"S\" enum. Did "
          "you mean the enum value \"A\"?");
    fails("input I { n: Int = \"x\" }\n" Q, 1, 20,
          "Invalid default value for I.n: Int cannot represent non-integer value: \"x\"");
    gql_schema *s =
        load("schema { query: Root }\ntype Root { a: Int @natsRequest(subject: \"a\") }\n"
             "type Query { unrelated: Int }");
    CHECK(s && pst_str_eq_c(s->query->name, "Root") && !s->mutation);
    gql_schema_free(s);
    fails("schema { query: Nope }\n" Q, 1, 17, "Unknown type \"Nope\".");
    fails("schema { query: E }\nenum E { A }", 1, 17,
          "Query root type must be Object type, it cannot be E.");
    CHECK(diags.count == 1);
    fails("enum Query { A }", 1, 1, "Query root type must be Object type, it cannot be Query.");
    CHECK(diags.count == 1);
}

int main(void)
{
    test_example_schema();
    test_type_errors();
    test_interfaces();
    test_many_errors();
    test_nats_mapping();
    test_templates();
    test_directive_declarations();
    test_edfs();
    test_defaults_and_roots();
    pst_diags_free(&diags);
    TEST_END();
}
