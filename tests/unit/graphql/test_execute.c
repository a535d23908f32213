/* Execution: operation selection, CollectFields and result completion.
 * The table's expected responses were produced by graphql-js 16's execute()
 * on the same schema, document and root values (with the abstract-type
 * message adapted to postern's wording about "__typename"). */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "common/arena.h"
#include "common/mem.h"
#include "graphql/coerce.h"
#include "graphql/execute.h"
#include "graphql/parser.h"
#include "graphql/schema.h"
#include "test.h"

static const char SDL[] =
    "scalar JSON\n"
    "enum Status { OPEN CLOSED }\n"
    "interface Node { id: ID! }\n"
    "type Order implements Node { id: ID! total: Float status: Status items: [Item!] tags: "
    "[String] internalCost: Int customer: Customer! meta: JSON count: Int flag: Boolean price(cur: "
    "String!, n: [Int!]): Float }\n"
    "type Item { sku: ID! qty: Int! }\n"
    "type Customer implements Node { id: ID! name: String! }\n"
    "union SearchResult = Order | Customer\n"
    "type Query {\n"
    "  order(id: ID!): Order @natsRequest(subject: \"orders.get\")\n"
    "  orders: [Order!]! @natsRequest(subject: \"orders.list\")\n"
    "  maybeOrders: [Order] @natsRequest(subject: \"orders.maybe\")\n"
    "  search: [SearchResult!] @natsRequest(subject: \"search\")\n"
    "  node: Node @natsRequest(subject: \"node\")\n"
    "  count: Int! @natsRequest(subject: \"count\")\n"
    "  nums: [[Int!]] @natsRequest(subject: \"nums\")\n"
    "  text: String @natsRequest(subject: \"text\")\n"
    "  status: Status @natsRequest(subject: \"status\")\n"
    "  raw: JSON @natsRequest(subject: \"raw\")\n"
    "  ints: [Int] @natsRequest(subject: \"ints\")\n"
    "  floats: [Float] @natsRequest(subject: \"floats\")\n"
    "  strings: [String] @natsRequest(subject: \"strings\")\n"
    "  bools: [Boolean] @natsRequest(subject: \"bools\")\n"
    "  ids: [ID] @natsRequest(subject: \"ids\")\n"
    "}\n"
    "type Mutation { place(n: Int): Int @natsRequest(subject: \"place\") }\n";

static const struct {
    const char *query, *vars, *replies, *denied, *want;
} exec_cases[] = {
    {"{ order(id: 1) { id total status count flag tags meta } }", "{}",
     "{\"order\":{\"id\":42,\"total\":1,\"status\":\"OPEN\",\"count\":\"12\",\"flag\":0,\"tags\":["
     "1,true,1.5,\"x\",null,1e+21],\"meta\":{\"b\":1,\"2\":[1.0,0.1,\"s\"]}}}",
     "",
     "{\"data\":{\"order\":{\"id\":\"42\",\"total\":1,\"status\":\"OPEN\",\"count\":12,\"flag\":"
     "false,\"tags\":[\"1\",\"true\",\"1.5\",\"x\",null,\"1e+21\"],\"meta\":{\"2\":[1,0.1,\"s\"],"
     "\"b\":1}}}}"},
    {"{ order(id: 1) { id total count } }", "{}",
     "{\"order\":{\"id\":\"7\",\"total\":\"1.5\",\"count\":1.5}}", "",
     "{\"errors\":[{\"message\":\"Int cannot represent non-integer value: "
     "1.5\",\"locations\":[{\"line\":1,\"column\":27}],\"path\":[\"order\",\"count\"]}],\"data\":{"
     "\"order\":{\"id\":\"7\",\"total\":1.5,\"count\":null}}}"},
    {"{ ints floats strings bools ids }", "{}",
     "{\"ints\":[1,1.0,-2147483648,2147483648,\"abc\",\"\",\" 12 "
     "\",\"0x10\",true,false,{},[1],\"1e3\",1e+21],\"floats\":[1,1.5,\"2.5\",\"x\",true,\"\",[],{"
     "\"a\":1}],\"strings\":[\"s\",1,1.5,true,false,1e+21,1e-07,{},[1,2]],\"bools\":[true,false,0,"
     "1,2.5,\"true\",\"\",[],{}],\"ids\":[\"a\",1,1.0,1.5,true,{},12345678901]}",
     "",
     "{\"errors\":[{\"message\":\"Int cannot represent non 32-bit signed integer value: "
     "2147483648\",\"locations\":[{\"line\":1,\"column\":3}],\"path\":[\"ints\",3]},{\"message\":"
     "\"Int cannot represent non-integer value: "
     "\\\"abc\\\"\",\"locations\":[{\"line\":1,\"column\":3}],\"path\":[\"ints\",4]},{\"message\":"
     "\"Int cannot represent non-integer value: "
     "\\\"\\\"\",\"locations\":[{\"line\":1,\"column\":3}],\"path\":[\"ints\",5]},{\"message\":"
     "\"Int cannot represent non-integer value: "
     "{}\",\"locations\":[{\"line\":1,\"column\":3}],\"path\":[\"ints\",10]},{\"message\":\"Int "
     "cannot represent non-integer value: "
     "[1]\",\"locations\":[{\"line\":1,\"column\":3}],\"path\":[\"ints\",11]},{\"message\":\"Int "
     "cannot represent non 32-bit signed integer value: "
     "1e+21\",\"locations\":[{\"line\":1,\"column\":3}],\"path\":[\"ints\",13]},{\"message\":"
     "\"Float cannot represent non numeric value: "
     "\\\"x\\\"\",\"locations\":[{\"line\":1,\"column\":8}],\"path\":[\"floats\",3]},{\"message\":"
     "\"Float cannot represent non numeric value: "
     "\\\"\\\"\",\"locations\":[{\"line\":1,\"column\":8}],\"path\":[\"floats\",5]},{\"message\":"
     "\"Float cannot represent non numeric value: "
     "[]\",\"locations\":[{\"line\":1,\"column\":8}],\"path\":[\"floats\",6]},{\"message\":\"Float "
     "cannot represent non numeric value: { a: 1 "
     "}\",\"locations\":[{\"line\":1,\"column\":8}],\"path\":[\"floats\",7]},{\"message\":\"String "
     "cannot represent value: "
     "{}\",\"locations\":[{\"line\":1,\"column\":15}],\"path\":[\"strings\",7]},{\"message\":"
     "\"String cannot represent value: [1, "
     "2]\",\"locations\":[{\"line\":1,\"column\":15}],\"path\":[\"strings\",8]},{\"message\":"
     "\"Boolean cannot represent a non boolean value: "
     "\\\"true\\\"\",\"locations\":[{\"line\":1,\"column\":23}],\"path\":[\"bools\",5]},{"
     "\"message\":\"Boolean cannot represent a non boolean value: "
     "\\\"\\\"\",\"locations\":[{\"line\":1,\"column\":23}],\"path\":[\"bools\",6]},{\"message\":"
     "\"Boolean cannot represent a non boolean value: "
     "[]\",\"locations\":[{\"line\":1,\"column\":23}],\"path\":[\"bools\",7]},{\"message\":"
     "\"Boolean cannot represent a non boolean value: "
     "{}\",\"locations\":[{\"line\":1,\"column\":23}],\"path\":[\"bools\",8]},{\"message\":\"ID "
     "cannot represent value: "
     "1.5\",\"locations\":[{\"line\":1,\"column\":29}],\"path\":[\"ids\",3]},{\"message\":\"ID "
     "cannot represent value: "
     "true\",\"locations\":[{\"line\":1,\"column\":29}],\"path\":[\"ids\",4]},{\"message\":\"ID "
     "cannot represent value: "
     "{}\",\"locations\":[{\"line\":1,\"column\":29}],\"path\":[\"ids\",5]}],\"data\":{\"ints\":[1,"
     "1,-2147483648,null,null,null,12,16,1,0,null,null,1000,null],\"floats\":[1,1.5,2.5,null,1,"
     "null,null,null],\"strings\":[\"s\",\"1\",\"1.5\",\"true\",\"false\",\"1e+21\",\"1e-7\",null,"
     "null],\"bools\":[true,false,false,true,true,null,null,null,null],\"ids\":[\"a\",\"1\",\"1\","
     "null,null,null,\"12345678901\"]}}"},
    {"{ status text raw count }", "{}",
     "{\"status\":\"NOPE\",\"text\":{\"a\":1},\"raw\":[1,{\"z\":null,\"1\":true}],\"count\":3}", "",
     "{\"errors\":[{\"message\":\"Enum \\\"Status\\\" cannot represent value: "
     "\\\"NOPE\\\"\",\"locations\":[{\"line\":1,\"column\":3}],\"path\":[\"status\"]},{\"message\":"
     "\"String cannot represent value: { a: 1 "
     "}\",\"locations\":[{\"line\":1,\"column\":10}],\"path\":[\"text\"]}],\"data\":{\"status\":"
     "null,\"text\":null,\"raw\":[1,{\"1\":true,\"z\":null}],\"count\":3}}"},
    {"{ status } ", "{}", "{\"status\":1}", "",
     "{\"errors\":[{\"message\":\"Enum \\\"Status\\\" cannot represent value: "
     "1\",\"locations\":[{\"line\":1,\"column\":3}],\"path\":[\"status\"]}],\"data\":{\"status\":"
     "null}}"},
    {"{ a: order(id: 1) { x: id id ...F total } b: order(id: 2) { __typename id } } fragment F on "
     "Order { total id items { sku } items { qty } }",
     "{}",
     "{\"a\":{\"id\":1,\"total\":2.5,\"items\":[{\"sku\":\"s\",\"qty\":3}]},\"b\":{\"id\":2,\"__"
     "typename\":\"Lies\"}}",
     "",
     "{\"data\":{\"a\":{\"x\":\"1\",\"id\":\"1\",\"total\":2.5,\"items\":[{\"sku\":\"s\",\"qty\":3}"
     "]},\"b\":{\"__typename\":\"Order\",\"id\":\"2\"}}}"},
    {"{ search { __typename ... on Order { id total } ... on Customer { name } ...N } } fragment N "
     "on Node { id }",
     "{}",
     "{\"search\":[{\"__typename\":\"Order\",\"id\":1,\"total\":3},{\"__typename\":\"Customer\","
     "\"id\":\"c\",\"name\":\"Ann\"}]}",
     "",
     "{\"data\":{\"search\":[{\"__typename\":\"Order\",\"id\":\"1\",\"total\":3},{\"__typename\":"
     "\"Customer\",\"name\":\"Ann\",\"id\":\"c\"}]}}"},
    {"{ search { __typename } }", "{}", "{\"search\":[{\"__typename\":\"Order\"},{\"id\":1}]}", "",
     "{\"errors\":[{\"message\":\"Abstract type \\\"SearchResult\\\" must resolve to an Object "
     "type at runtime for field \\\"Query.search\\\". The reply must name its object type in "
     "\\\"__typename\\\".\",\"locations\":[{\"line\":1,\"column\":3}],\"path\":[\"search\",1]}],"
     "\"data\":{\"search\":null}}"},
    {"{ search { __typename } }", "{}", "{\"search\":[{\"__typename\":\"Nope\"}]}", "",
     "{\"errors\":[{\"message\":\"Abstract type \\\"SearchResult\\\" was resolved to a type "
     "\\\"Nope\\\" that does not exist inside the "
     "schema.\",\"locations\":[{\"line\":1,\"column\":3}],\"path\":[\"search\",0]}],\"data\":{"
     "\"search\":null}}"},
    {"{ search { __typename } }", "{}", "{\"search\":[{\"__typename\":\"Item\"}]}", "",
     "{\"errors\":[{\"message\":\"Runtime Object type \\\"Item\\\" is not a possible type for "
     "\\\"SearchResult\\\".\",\"locations\":[{\"line\":1,\"column\":3}],\"path\":[\"search\",0]}],"
     "\"data\":{\"search\":null}}"},
    {"{ search { __typename } }", "{}", "{\"search\":[{\"__typename\":\"Status\"}]}", "",
     "{\"errors\":[{\"message\":\"Abstract type \\\"SearchResult\\\" was resolved to a non-object "
     "type "
     "\\\"Status\\\".\",\"locations\":[{\"line\":1,\"column\":3}],\"path\":[\"search\",0]}],"
     "\"data\":{\"search\":null}}"},
    {"{ node { id ... on Customer { name } } }", "{}",
     "{\"node\":{\"__typename\":\"Customer\",\"id\":5,\"name\":\"Bo\"}}", "",
     "{\"data\":{\"node\":{\"id\":\"5\",\"name\":\"Bo\"}}}"},
    {"{ node { id } }", "{}", "{\"node\":{\"__typename\":5,\"id\":5}}", "",
     "{\"errors\":[{\"message\":\"Abstract type \\\"Node\\\" must resolve to an Object type at "
     "runtime for field \\\"Query.node\\\". The reply must name its object type in "
     "\\\"__typename\\\".\",\"locations\":[{\"line\":1,\"column\":3}],\"path\":[\"node\"]}],"
     "\"data\":{\"node\":null}}"},
    {"{ orders { id customer { name } } }", "{}",
     "{\"orders\":[{\"id\":1,\"customer\":{\"name\":\"A\"}},{\"id\":2}]}", "",
     "{\"errors\":[{\"message\":\"Cannot return null for non-nullable field "
     "Order.customer.\",\"locations\":[{\"line\":1,\"column\":15}],\"path\":[\"orders\",1,"
     "\"customer\"]}],\"data\":null}"},
    {"{ text orders { id customer { name } } count }", "{}",
     "{\"text\":\"t\",\"orders\":[{\"id\":1,\"customer\":{\"name\":null}}],\"count\":1}", "",
     "{\"errors\":[{\"message\":\"Cannot return null for non-nullable field "
     "Customer.name.\",\"locations\":[{\"line\":1,\"column\":31}],\"path\":[\"orders\",0,"
     "\"customer\",\"name\"]}],\"data\":null}"},
    {"{ maybeOrders { id customer { name } } }", "{}",
     "{\"maybeOrders\":[{\"id\":1,\"customer\":{\"name\":\"A\"}},{\"id\":2,\"customer\":{\"id\":1}}"
     ",null]}",
     "",
     "{\"errors\":[{\"message\":\"Cannot return null for non-nullable field "
     "Customer.name.\",\"locations\":[{\"line\":1,\"column\":31}],\"path\":[\"maybeOrders\",1,"
     "\"customer\",\"name\"]}],\"data\":{\"maybeOrders\":[{\"id\":\"1\",\"customer\":{\"name\":"
     "\"A\"}},null,null]}}"},
    {"{ maybeOrders { id customer { name } } }", "{}", "{\"maybeOrders\":{\"id\":1}}", "",
     "{\"errors\":[{\"message\":\"Expected Iterable, but did not find one for field "
     "\\\"Query.maybeOrders\\\".\",\"locations\":[{\"line\":1,\"column\":3}],\"path\":["
     "\"maybeOrders\"]}],\"data\":{\"maybeOrders\":null}}"},
    {"{ nums }", "{}", "{\"nums\":[[1,2],[3,null],null,[4]]}", "",
     "{\"errors\":[{\"message\":\"Cannot return null for non-nullable field "
     "Query.nums.\",\"locations\":[{\"line\":1,\"column\":3}],\"path\":[\"nums\",1,1]}],\"data\":{"
     "\"nums\":[[1,2],null,null,[4]]}}"},
    {"{ count }", "{}", "{\"count\":null}", "",
     "{\"errors\":[{\"message\":\"Cannot return null for non-nullable field "
     "Query.count.\",\"locations\":[{\"line\":1,\"column\":3}],\"path\":[\"count\"]}],\"data\":"
     "null}"},
    {"{ count }", "{}", "{}", "",
     "{\"errors\":[{\"message\":\"Cannot return null for non-nullable field "
     "Query.count.\",\"locations\":[{\"line\":1,\"column\":3}],\"path\":[\"count\"]}],\"data\":"
     "null}"},
    {"{ order(id: 1) { id } }", "{}", "{\"order\":\"str\"}", "",
     "{\"errors\":[{\"message\":\"Cannot return null for non-nullable field "
     "Order.id.\",\"locations\":[{\"line\":1,\"column\":18}],\"path\":[\"order\",\"id\"]}],"
     "\"data\":{\"order\":null}}"},
    {"{ order(id: 1) { total } }", "{}", "{\"order\":\"str\"}", "",
     "{\"data\":{\"order\":{\"total\":null}}}"},
    {"query($s: Boolean!, $i: Boolean!) { order(id: 1) { id @skip(if: $s) total @include(if: $i) "
     "... @include(if: false) { count } ...F @skip(if: true) ... on Order @skip(if: $i) { flag } } "
     "} fragment F on Order { status }",
     "{\"s\":true,\"i\":true}",
     "{\"order\":{\"id\":1,\"total\":2,\"count\":3,\"flag\":true,\"status\":\"OPEN\"}}", "",
     "{\"data\":{\"order\":{\"total\":2}}}"},
    {"query($s: Boolean!, $i: Boolean!) { order(id: 1) { id @skip(if: $s) total @include(if: $i) } "
     "}",
     "{\"s\":false,\"i\":false}", "{\"order\":{\"id\":1,\"total\":2}}", "",
     "{\"data\":{\"order\":{\"id\":\"1\"}}}"},
    {"{ __typename order(id: 1) { __typename id internalCost } }", "{}",
     "{\"order\":{\"id\":1,\"internalCost\":5}}", "Order.internalCost",
     "{\"errors\":[{\"message\":\"Not authorized to access "
     "Order.internalCost\",\"locations\":[{\"line\":1,\"column\":43}],\"path\":[\"order\","
     "\"internalCost\"],\"extensions\":{\"code\":\"FORBIDDEN\"}}],\"data\":{\"__typename\":"
     "\"Query\",\"order\":{\"__typename\":\"Order\",\"id\":\"1\",\"internalCost\":null}}}"},
    {"{ order(id: 1) { id customer { id name } } }", "{}",
     "{\"order\":{\"id\":1,\"customer\":{\"id\":2,\"name\":\"N\"}}}", "Customer.name",
     "{\"errors\":[{\"message\":\"Not authorized to access "
     "Customer.name\",\"locations\":[{\"line\":1,\"column\":35}],\"path\":[\"order\",\"customer\","
     "\"name\"],\"extensions\":{\"code\":\"FORBIDDEN\"}}],\"data\":{\"order\":null}}"},
    {"{ orders { id } }", "{}", "{\"orders\":[{\"id\":1}]}", "Order.id",
     "{\"errors\":[{\"message\":\"Not authorized to access "
     "Order.id\",\"locations\":[{\"line\":1,\"column\":12}],\"path\":[\"orders\",0,\"id\"],"
     "\"extensions\":{\"code\":\"FORBIDDEN\"}}],\"data\":null}"},
    {"{ order(id: 1) { items { sku qty } } }", "{}",
     "{\"order\":{\"items\":[{\"sku\":1,\"qty\":1},{\"sku\":2,\"qty\":\"x\"},{\"sku\":3,\"qty\":3}]"
     "}}",
     "",
     "{\"errors\":[{\"message\":\"Int cannot represent non-integer value: "
     "\\\"x\\\"\",\"locations\":[{\"line\":1,\"column\":30}],\"path\":[\"order\",\"items\",1,"
     "\"qty\"]}],\"data\":{\"order\":{\"items\":null}}}"},
    {"{ order(id: 1) { id customer { id name } total } }", "{}",
     "{\"order\":{\"id\":1,\"customer\":{\"id\":2},\"total\":\"bad\"}}", "",
     "{\"errors\":[{\"message\":\"Cannot return null for non-nullable field "
     "Customer.name.\",\"locations\":[{\"line\":1,\"column\":35}],\"path\":[\"order\",\"customer\","
     "\"name\"]}],\"data\":{\"order\":null}}"},
    {"query($c: String = \"EUR\") { orders { price(cur: $c) id } }", "{\"c\":null}",
     "{\"orders\":[{\"id\":1,\"price\":2},{\"id\":2,\"price\":3}]}", "",
     "{\"errors\":[{\"message\":\"Argument \\\"cur\\\" of non-null type \\\"String!\\\" must not "
     "be "
     "null.\",\"locations\":[{\"line\":1,\"column\":49}],\"path\":[\"orders\",0,\"price\"],"
     "\"extensions\":{\"code\":\"BAD_USER_INPUT\"}},{\"message\":\"Argument \\\"cur\\\" of "
     "non-null type \\\"String!\\\" must not be "
     "null.\",\"locations\":[{\"line\":1,\"column\":49}],\"path\":[\"orders\",1,\"price\"],"
     "\"extensions\":{\"code\":\"BAD_USER_INPUT\"}}],\"data\":{\"orders\":[{\"price\":null,\"id\":"
     "\"1\"},{\"price\":null,\"id\":\"2\"}]}}"},
    {"query($c: String = \"EUR\", $i: Int) { order(id: 1) { price(cur: $c, n: [1, $i]) id } }",
     "{\"i\":null}", "{\"order\":{\"id\":1,\"price\":2}}", "",
     "{\"errors\":[{\"message\":\"Argument \\\"n\\\" has invalid value [1, "
     "$i].\",\"locations\":[{\"line\":1,\"column\":71}],\"path\":[\"order\",\"price\"],"
     "\"extensions\":{\"code\":\"BAD_USER_INPUT\"}}],\"data\":{\"order\":{\"price\":null,\"id\":"
     "\"1\"}}}"},
    {"query($c: String = \"EUR\", $i: Int) { order(id: 1) { price(cur: $c, n: [1, $i]) id } }",
     "{\"i\":5}", "{\"order\":{\"id\":1,\"price\":2}}", "",
     "{\"data\":{\"order\":{\"price\":2,\"id\":\"1\"}}}"},
};

static gql_schema *schema;

typedef struct {
    const char *denied; /* comma-separated coordinates */
    char last_path[256];
    int calls;
} policy;

static pst_status allowed(void *ud, const gql_field *def, const char *path_json)
{
    policy *p = ud;
    p->calls++;
    size_t n = strlen(def->coordinate);
    for (const char *s = p->denied; s && *s;) {
        const char *e = strchr(s, ',');
        size_t len = e ? (size_t)(e - s) : strlen(s);
        if (len == n && memcmp(s, def->coordinate, n) == 0) {
            snprintf(p->last_path, sizeof(p->last_path), "%s", path_json);
            return PST_DENIED;
        }
        s += len + (e != NULL);
    }
    return PST_OK;
}

/* Executes q over the replies like the pipeline does: root fields in order,
 * stopping at the first non-null root field that failed (data null).
 * Returns the response text (caller frees), or NULL when out of memory. */
static char *execute(pst_arena *a, const char *q, json_t *vars_raw, json_t *replies, policy *pol)
{
    gql_parse_error perr;
    gql_errors errs;
    gql_errors_init(&errs, a);
    gql_node *doc = gql_parse_executable(a, q, strlen(q), NULL, &perr);
    const char *msg = NULL;
    const gql_node *op = doc ? gql_select_operation(doc, PST_STR_NULL, &msg) : NULL;
    json_t *vars = NULL;
    gql_root_field *rf = NULL;
    size_t n = 0;
    if (!op || gql_coerce_variables(a, schema, op, vars_raw, &vars, &errs) != PST_OK ||
        gql_collect_root_fields(a, schema, doc, op, vars, &rf, &n) != PST_OK)
        return NULL;
    gql_exec_ctx cx = {.schema = schema,
                       .doc = doc,
                       .vars = vars,
                       .errs = &errs,
                       .arena = a,
                       .field_allowed = pol ? allowed : NULL,
                       .ud = pol};
    pst_buf data = {0}, out = {0};
    pst_buf_append_char(&data, '{');
    pst_status st = PST_OK;
    for (size_t i = 0; i < n && st == PST_OK; i++) {
        if (i)
            pst_buf_append_char(&data, ',');
        pst_buf_append_json_str(&data, rf[i].key.p, rf[i].key.n);
        pst_buf_append_char(&data, ':');
        json_t *v = json_object_getn(replies, rf[i].key.p, rf[i].key.n);
        st = gql_complete_root_field(&cx, &rf[i], v, &data);
    }
    pst_buf_append_char(&data, '}');
    if (st == PST_ERROR || data.failed) {
        pst_buf_free(&data);
        return NULL;
    }
    pst_buf_append_char(&out, '{');
    if (errs.count) {
        pst_buf_append_c(&out, "\"errors\":");
        gql_errors_write_json(&errs, &out);
        pst_buf_append_char(&out, ',');
    }
    pst_buf_append_c(&out, "\"data\":");
    if (st == PST_DECLINED)
        pst_buf_append_c(&out, "null");
    else
        pst_buf_append(&out, data.p, data.len);
    pst_buf_append_char(&out, '}');
    char *r = pst_buf_cstr(&out) ? strdup(out.p) : NULL;
    pst_buf_free(&data);
    pst_buf_free(&out);
    return r;
}

static void test_exec_cases(void)
{
    for (size_t i = 0; i < sizeof(exec_cases) / sizeof(exec_cases[0]); i++) {
        pst_arena *a = pst_arena_create(4096);
        json_t *vars = json_loads(exec_cases[i].vars, 0, NULL);
        json_t *replies = json_loads(exec_cases[i].replies, 0, NULL);
        policy pol = {.denied = exec_cases[i].denied};
        char *got = execute(a, exec_cases[i].query, vars, replies, &pol);
        if (!got || strcmp(got, exec_cases[i].want) != 0)
            fprintf(stderr, "case %zu: %s\n", i, exec_cases[i].query);
        CHECK_STR(got, exec_cases[i].want);
        free(got);
        json_decref(vars);
        json_decref(replies);
        pst_arena_destroy(a);
    }
}

/* 600 generated documents and replies of random shapes (wrong types, nulls,
 * lists where objects are expected, bad __typename...), answered by
 * graphql-js 16 into execute_random_expected.txt, one response per line. */
static void test_random_cases(void)
{
    json_t *cases = json_load_file("tests/unit/graphql/execute_random_cases.json", 0, NULL);
    FILE *f = fopen("tests/unit/graphql/execute_random_expected.txt", "r");
    CHECK(json_array_size(cases) == 600 && f != NULL);
    static char line[1 << 16];
    int differ = 0;
    for (size_t i = 0; f && i < json_array_size(cases) && fgets(line, sizeof(line), f); i++) {
        line[strcspn(line, "\n")] = '\0';
        json_t *c = json_array_get(cases, i);
        policy pol = {.denied = json_array_size(json_array_get(c, 3)) ? "Order.total" : ""};
        pst_arena *a = pst_arena_create(4096);
        char *got = execute(a, json_string_value(json_array_get(c, 0)), json_array_get(c, 1),
                            json_array_get(c, 2), &pol);
        if (!got || strcmp(got, line) != 0) {
            if (differ++ < 3)
                fprintf(stderr, "random case %zu:\n  got:  %s\n  want: %s\n", i, got, line);
        }
        free(got);
        pst_arena_destroy(a);
    }
    CHECK(differ == 0);
    if (f)
        fclose(f);
    json_decref(cases);
}

static void test_policy_paths(void)
{
    pst_arena *a = pst_arena_create(4096);
    json_t *r = json_loads("{\"orders\":[{\"id\":1},{\"id\":2,\"internalCost\":3}]}", 0, NULL);
    policy pol = {.denied = "Order.internalCost"};
    char *got = execute(a, "{ orders { id internalCost } }", NULL, r, &pol);
    CHECK_STR(got,
              "{\"errors\":[{\"message\":\"Not authorized to access Order.internalCost\","
              "\"locations\":[{\"line\":1,\"column\":15}],\"path\":[\"orders\",0,"
              "\"internalCost\"],\"extensions\":{\"code\":\"FORBIDDEN\"}},{\"message\":\"Not "
              "authorized to access Order.internalCost\",\"locations\":[{\"line\":1,\"column\":"
              "15}],\"path\":[\"orders\",1,\"internalCost\"],\"extensions\":{\"code\":"
              "\"FORBIDDEN\"}}],\"data\":{\"orders\":[{\"id\":\"1\",\"internalCost\":null},{"
              "\"id\":\"2\",\"internalCost\":null}]}}");
    CHECK_STR(pol.last_path, "[\"orders\",1,\"internalCost\"]");
    CHECK(pol.calls == 4);
    free(got);
    json_decref(r);
    pst_arena_destroy(a);
}

static const gql_node *parse(pst_arena *a, const char *q)
{
    gql_parse_error perr;
    return gql_parse_executable(a, q, strlen(q), NULL, &perr);
}

static void test_select_operation(void)
{
    pst_arena *a = pst_arena_create(1024);
    const char *err = NULL;
    const gql_node *doc =
        parse(a, "query A { text } query B { count } fragment F on Query { text }");
    CHECK(gql_select_operation(doc, PST_STR_NULL, &err) == NULL);
    CHECK_STR(err, "Must provide operation name if query contains multiple operations.");
    const gql_node *op = gql_select_operation(doc, PST_STR_LIT("B"), &err);
    CHECK(op && pst_str_eq_c(op->name, "B"));
    CHECK(gql_select_operation(doc, PST_STR_LIT("C"), &err) == NULL);
    CHECK_STR(err, "Unknown operation named \"C\".");
    doc = parse(a, "fragment F on Query { text }");
    CHECK(gql_select_operation(doc, PST_STR_NULL, &err) == NULL);
    CHECK_STR(err, "Must provide an operation.");
    doc = parse(a, "{ text }");
    CHECK(gql_select_operation(doc, PST_STR_NULL, &err) == doc->children);
    CHECK(gql_select_operation(doc, PST_STR_LIT("X"), &err) == NULL);
    CHECK_STR(err, "Unknown operation named \"X\".");
    pst_arena_destroy(a);
}

static void test_should_include(void)
{
    pst_arena *a = pst_arena_create(1024);
    const gql_node *doc =
        parse(a, "query($t: Boolean!, $f: Boolean!) { a: text @skip(if: $t) b: text @skip(if: "
                 "$f) c: text @include(if: $f) d: text @include(if: true) @skip(if: false) e: "
                 "text @include(if: $t) @skip(if: $t) g: text @include(if: $missing) }");
    json_t *vars = json_loads("{\"t\":true,\"f\":false}", 0, NULL);
    const gql_node *s = doc->children->selections;
    bool want[] = {false, true, false, true, false, true};
    for (int i = 0; s; s = s->next, i++)
        CHECK(gql_should_include(s->directives, vars) == want[i]);
    CHECK(gql_should_include(NULL, NULL));
    json_decref(vars);
    pst_arena_destroy(a);
}

static void test_collect_root_fields(void)
{
    pst_arena *a = pst_arena_create(1024);
    const char *q = "query($no: Boolean!) { a: text ...F ... on Query { count a: text @skip(if: "
                    "$no) } ... on Mutation { place } ...F __typename nope } fragment F on Query { "
                    "text count @include(if: $no) }";
    const gql_node *doc = parse(a, q);
    json_t *vars = json_loads("{\"no\":false}", 0, NULL);
    gql_root_field *rf = NULL;
    size_t n = 0;
    CHECK(gql_collect_root_fields(a, schema, doc, doc->children, vars, &rf, &n) == PST_OK);
    CHECK(n == 4);
    if (n == 4) {
        CHECK(pst_str_eq_c(rf[0].key, "a") && rf[0].n_nodes == 2);
        CHECK_STR(rf[0].path_json, "[\"a\"]");
        CHECK(pst_str_eq_c(rf[1].key, "text") && rf[1].n_nodes == 1 && rf[1].def);
        CHECK(pst_str_eq_c(rf[2].key, "count") && rf[2].n_nodes == 1);
        CHECK(rf[2].nodes[0]->line == 1 && rf[2].nodes[0]->col == 52);
        CHECK(pst_str_eq_c(rf[3].key, "__typename") && rf[3].def == NULL);
        CHECK(rf[3].parent == schema->query);
    }
    const gql_node *sub = parse(a, "subscription { x }");
    CHECK(gql_collect_root_fields(a, schema, sub, sub->children, NULL, &rf, &n) == PST_DECLINED);
    json_decref(vars);
    pst_arena_destroy(a);
}

static void test_root_error(void)
{
    pst_arena *a = pst_arena_create(1024);
    const gql_node *doc = parse(a, "{ text count }");
    gql_root_field *rf = NULL;
    size_t n = 0;
    CHECK(gql_collect_root_fields(a, schema, doc, doc->children, NULL, &rf, &n) == PST_OK);
    gql_errors errs;
    gql_errors_init(&errs, a);
    gql_exec_ctx cx = {.schema = schema, .doc = doc, .errs = &errs, .arena = a};
    pst_buf b = {0};
    CHECK(gql_complete_root_error(&cx, &rf[0], GQL_CODE_TIMEOUT, NULL, "timed out", &b) == PST_OK);
    CHECK_STR(pst_buf_cstr(&b), "null");
    CHECK(gql_complete_root_error(&cx, &rf[1], GQL_CODE_UPSTREAM_ERROR, "\"serviceCode\":404",
                                  "not found", &b) == PST_DECLINED);
    CHECK_STR(pst_buf_cstr(&b), "null");
    pst_buf_reset(&b);
    gql_errors_write_json(&errs, &b);
    CHECK_STR(pst_buf_cstr(&b),
              "[{\"message\":\"timed out\",\"locations\":[{\"line\":1,\"column\":3}],\"path\":["
              "\"text\"],\"extensions\":{\"code\":\"TIMEOUT\"}},{\"message\":\"not found\","
              "\"locations\":[{\"line\":1,\"column\":8}],\"path\":[\"count\"],\"extensions\":{"
              "\"code\":\"UPSTREAM_ERROR\",\"serviceCode\":404}}]");
    pst_buf_free(&b);
    pst_arena_destroy(a);
}

/* A reply nested far deeper than any selection is cut at 512 levels. */
static void test_deep_json(void)
{
    pst_arena *a = pst_arena_create(1024);
    json_t *v = json_array(), *cur = v;
    for (int i = 0; i < 600; i++) {
        json_t *x = json_array();
        json_array_append_new(cur, x);
        cur = x;
    }
    json_t *replies = json_object();
    json_object_set_new(replies, "raw", v);
    char *got = execute(a, "{ raw }", NULL, replies, NULL);
    CHECK_STR(got, "{\"errors\":[{\"message\":\"Value is nested too deeply.\",\"locations\":[{"
                   "\"line\":1,\"column\":3}],\"path\":[\"raw\"]}],\"data\":{\"raw\":null}}");
    free(got);
    json_decref(replies);
    pst_arena_destroy(a);
}

static void test_alloc_failures(void)
{
    const char *q = "{ search { __typename ... on Order { id total customer { name } } ... on "
                    "Customer { name } } orders { id internalCost tags } }";
    json_t *r = json_loads("{\"search\":[{\"__typename\":\"Order\",\"id\":1,\"total\":3,"
                           "\"customer\":{}},{\"__typename\":\"Customer\",\"name\":\"Ann\"}],"
                           "\"orders\":[{\"id\":1,\"tags\":[\"a\",1]}]}",
                           0, NULL);
    pst_arena *a0 = pst_arena_create(4096);
    policy pol0 = {.denied = "Order.internalCost"};
    char *want = execute(a0, q, NULL, r, &pol0);
    CHECK(want != NULL);
    pst_arena_destroy(a0);
    int ok_runs = 0;
    for (long n = 1; n < 300; n++) {
        pst_arena *a = pst_arena_create(256);
        if (!a)
            continue;
        policy pol = {.denied = "Order.internalCost"};
        pst_mem_fail_at(n);
        char *got = execute(a, q, NULL, r, &pol);
        pst_mem_fail_at(0);
        if (got) {
            CHECK_STR(got, want);
            ok_runs++;
        }
        free(got);
        pst_arena_destroy(a);
    }
    CHECK(ok_runs > 0);
    free(want);
    json_decref(r);
}

int main(void)
{
    json_set_alloc_funcs(pst_malloc, pst_free);
    pst_diags d = PST_DIAGS_INIT;
    schema = gql_schema_load(SDL, strlen(SDL), "test.graphql", &d);
    if (!schema) {
        pst_diags_print(&d, stderr);
        CHECK(schema != NULL);
        TEST_END();
    }
    test_select_operation();
    test_should_include();
    test_collect_root_fields();
    test_exec_cases();
    test_random_cases();
    test_policy_paths();
    test_root_error();
    test_deep_json();
    test_alloc_failures();
    gql_schema_free(schema);
    pst_diags_free(&d);
    TEST_END();
}
