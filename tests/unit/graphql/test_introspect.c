/* Introspection: the answers to graphql-js's full introspection query and
 * to smaller __type / __schema queries, compared byte for byte with what
 * graphql-js 16.8 (whose introspection types are the ones postern's schema
 * declares) returns for the same SDL: tests/unit/graphql/
 * introspect_expected.txt holds one response per line for the queries in
 * introspect_queries.json. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "common/arena.h"
#include "common/mem.h"
#include "graphql/coerce.h"
#include "graphql/execute.h"
#include "graphql/introspect.h"
#include "graphql/parser.h"
#include "graphql/schema.h"
#include "test.h"

static const char SDL[] =
    "\"A JSON value\"\n"
    "scalar JSON\n"
    "\"\"\"\n"
    "Order status.\n"
    "\"\"\"\n"
    "enum Status { OPEN CLOSED SHIPPED }\n"
    "\"Things with ids\"\n"
    "interface Node { \"the id\" id: ID! }\n"
    "input Address { street: String! = \"Main \\\"St\\\"\\n\", city: String = \"Paris\", zip: Int "
    "= 75001, tags: [String!] = \"one\" }\n"
    "input OrderInput { id: ID = 42, ref: ID = \"abc\", address: Address = {street: \"x\"}, "
    "status: Status = OPEN, ratio: Float = 1.5, big: Float = 1e21, flags: [Boolean] = [true, "
    "false], meta: JSON = 5, text: JSON = \"t\", none: String = null }\n"
    "type Customer implements Node { id: ID! name: String! }\n"
    "\"An order\"\n"
    "type Order implements Node {\n"
    "  id: ID!\n"
    "  \"Total in cents\"\n"
    "  total(currency: String = \"EUR\", round: Boolean): Float\n"
    "  old: String @deprecated\n"
    "  status: Status\n"
    "  customer: Customer!\n"
    "  items: [[Item!]]!\n"
    "}\n"
    "type Item { sku: ID! }\n"
    "union SearchResult = Order | Customer\n"
    "type Query {\n"
    "  order(id: ID!): Order @natsRequest(subject: \"orders.get.{{ args.id }}\", timeout: \"1s\")\n"
    "  orders(status: Status = OPEN, first: Int = 20, input: OrderInput): [Order!]! "
    "@natsRequest(subject: \"orders.list\")\n"
    "  search(q: String!): [SearchResult!]! @natsRequest(subject: \"search\")\n"
    "  node: Node @natsRequest(subject: \"node\")\n"
    "}\n"
    "type Mutation {\n"
    "  placeOrder(input: OrderInput!): Order! @natsRequest(subject: \"orders.place\")\n"
    "}\n"
    "\n";

static gql_schema *schema;

/* Runs q with introspection answering __schema/__type; NULL on failure. */
static char *run(const gql_introspection *in, const char *q, json_t *vars_raw)
{
    pst_arena *a = pst_arena_create(4096);
    if (!a)
        return NULL;
    gql_parse_error perr;
    gql_errors errs;
    gql_errors_init(&errs, a);
    gql_node *doc = gql_parse_executable(a, q, strlen(q), NULL, &perr);
    const char *msg;
    const gql_node *op = doc ? gql_select_operation(doc, PST_STR_NULL, &msg) : NULL;
    json_t *vars = NULL;
    gql_root_field *rf = NULL;
    size_t n = 0;
    char *result = NULL;
    if (!op || gql_coerce_variables(a, schema, op, vars_raw, &vars, &errs) != PST_OK ||
        gql_collect_root_fields(a, schema, doc, op, vars, &rf, &n) != PST_OK) {
        pst_arena_destroy(a);
        return NULL;
    }
    gql_exec_ctx cx = {.schema = schema, .doc = doc, .vars = vars, .errs = &errs, .arena = a};
    pst_buf out = {0};
    pst_buf_append_c(&out, "{\"data\":{");
    pst_status st = PST_OK;
    for (size_t i = 0; i < n && st == PST_OK; i++) {
        pst_buf_appendf(&out, "%s\"%.*s\":", i ? "," : "", (int)rf[i].key.n, rf[i].key.p);
        st = rf[i].def || pst_str_eq_c(rf[i].nodes[0]->name, "__typename")
                 ? gql_complete_root_field(&cx, &rf[i], NULL, &out)
                 : gql_introspection_complete(&cx, in, &rf[i], &out);
    }
    pst_buf_append_c(&out, "}}");
    if (st == PST_OK && errs.count == 0 && pst_buf_cstr(&out))
        result = strdup(out.p);
    pst_buf_free(&out);
    pst_arena_destroy(a);
    return result;
}

static char *read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *p = malloc((size_t)n + 1);
    if (p && fread(p, 1, (size_t)n, f) != (size_t)n) {
        free(p);
        p = NULL;
    }
    if (p)
        p[n] = '\0';
    fclose(f);
    return p;
}

static void report_diff(const char *got, const char *want)
{
    size_t i = 0;
    while (got[i] && got[i] == want[i])
        i++;
    size_t from = i > 80 ? i - 80 : 0;
    fprintf(stderr, "first difference at %zu:\n  got:  %.160s\n  want: %.160s\n", i, got + from,
            want + from);
}

static void test_against_graphql_js(const gql_introspection *in)
{
    json_t *queries = json_load_file("tests/unit/graphql/introspect_queries.json", 0, NULL);
    char *expected = read_file("tests/unit/graphql/introspect_expected.txt");
    CHECK(json_is_array(queries) && expected);
    char *line = expected;
    for (size_t i = 0; i < json_array_size(queries) && line && *line; i++) {
        char *end = strchr(line, '\n');
        if (end)
            *end = '\0';
        json_t *qv = json_array_get(queries, i);
        char *got = run(in, json_string_value(json_array_get(qv, 0)), json_array_get(qv, 1));
        CHECK(got != NULL);
        if (got && strcmp(got, line) != 0) {
            fprintf(stderr, "query %zu differs\n", i);
            report_diff(got, line);
        }
        CHECK(got && strcmp(got, line) == 0);
        free(got);
        line = end ? end + 1 : NULL;
    }
    free(expected);
    json_decref(queries);
}

static void test_lookup(const gql_introspection *in)
{
    json_t *t = gql_introspection_type(in, PST_STR_LIT("Order"));
    CHECK(json_is_object(t));
    CHECK_STR(json_string_value(json_object_get(t, "kind")), "OBJECT");
    CHECK(gql_introspection_type(in, PST_STR_LIT("Nope")) == NULL);
    CHECK(json_is_array(json_object_get(gql_introspection_schema(in), "types")));
}

static pst_status deny_all(void *ud, const gql_field *def, const char *path)
{
    (void)ud, (void)def, (void)path;
    return PST_DENIED;
}

/* The policy hook never sees introspection fields. */
static void test_policy_hook_skipped(const gql_introspection *in)
{
    pst_arena *a = pst_arena_create(1024);
    const char *q = "{ __type(name: \"Status\") { name enumValues { name } } }";
    gql_parse_error perr;
    gql_errors errs;
    gql_errors_init(&errs, a);
    gql_node *doc = gql_parse_executable(a, q, strlen(q), NULL, &perr);
    gql_root_field *rf = NULL;
    size_t n = 0;
    CHECK(gql_collect_root_fields(a, schema, doc, doc->children, NULL, &rf, &n) == PST_OK);
    gql_exec_ctx cx = {
        .schema = schema, .doc = doc, .errs = &errs, .arena = a, .field_allowed = deny_all};
    pst_buf out = {0};
    CHECK(gql_introspection_complete(&cx, in, &rf[0], &out) == PST_OK);
    CHECK_STR(pst_buf_cstr(&out), "{\"name\":\"Status\",\"enumValues\":[{\"name\":\"OPEN\"},{"
                                  "\"name\":\"CLOSED\"},{\"name\":\"SHIPPED\"}]}");
    CHECK(errs.count == 0);
    pst_buf_free(&out);
    pst_arena_destroy(a);
}

static void test_alloc_failures(const gql_introspection *in0)
{
    const char *q =
        "query($d: Boolean!) { __type(name: \"Order\") { name fields(includeDeprecated: "
        "$d) { name type { name ofType { name } } args { name defaultValue } } } "
        "__schema { types { name } } }";
    json_t *vars = json_loads("{\"d\":true}", 0, NULL);
    char *want = run(in0, q, vars);
    CHECK(want != NULL);
    int ok = 0;
    for (long n = 1; n < 400; n++) {
        pst_mem_fail_at(n);
        char *got = run(in0, q, vars);
        pst_mem_fail_at(0);
        if (got) {
            CHECK_STR(got, want);
            ok++;
        }
        free(got);
    }
    CHECK(ok > 0);
    free(want);
    json_decref(vars);

    int built = 0;
    for (long n = 1; n < 20000 && !built; n++) {
        pst_mem_fail_at(n);
        gql_introspection *in = gql_introspection_build(schema);
        pst_mem_fail_at(0);
        built = in != NULL;
        gql_introspection_free(in);
    }
    CHECK(built);
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
    gql_introspection *in = gql_introspection_build(schema);
    CHECK(in != NULL);
    if (in) {
        test_against_graphql_js(in);
        test_lookup(in);
        test_policy_hook_skipped(in);
        test_alloc_failures(in);
    }
    gql_introspection_free(in);
    gql_schema_free(schema);
    pst_diags_free(&d);
    TEST_END();
}
