/* Input coercion: variables and arguments, checked against what graphql-js
 * 16 returns for the same schema, document and variables (the expected
 * strings were produced by graphql-js's getVariableValues and
 * getArgumentValues). */
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/arena.h"
#include "common/mem.h"
#include "graphql/coerce.h"
#include "graphql/parser.h"
#include "graphql/schema.h"
#include "test.h"

static const char SDL[] =
    "scalar JSON\n"
    "enum Status { OPEN CLOSED SHIPPED }\n"
    "input Address { street: String!, city: String = \"Paris\", zip: Int }\n"
    "input ItemInput { sku: ID!, qty: Int = 1 }\n"
    "input OrderInput { items: [ItemInput!]!, address: Address = {street: \"Main\"}, note: "
    "String, status: Status = OPEN, meta: JSON }\n"
    "type Order { id: ID! }\n"
    "input Tree { child: Tree, v: Int }\n"
    "type Query {\n"
    "  order(id: ID!): Order @natsRequest(subject: \"orders.get.{{ args.id }}\")\n"
    "  orders(status: Status = OPEN, first: Int = 20, tags: [String!], filter: OrderInput, "
    "ratio: Float, flag: Boolean, raw: JSON): [Order!]! @natsRequest(subject: \"orders.list\")\n"
    "  tree(t: Tree): Int @natsRequest(subject: \"tree\")\n"
    "}\n";

static const struct {
    const char *query, *vars, *want;
} var_cases[] = {
    {"query($id: ID!) { order(id: $id) { id } }", "{}",
     "[{\"message\":\"Variable \\\"$id\\\" of required type \\\"ID!\\\" was not "
     "provided.\",\"locations\":[{\"line\":1,\"column\":7}]}]"},
    {"query($id: ID!) { order(id: $id) { id } }", "{\"id\":null}",
     "[{\"message\":\"Variable \\\"$id\\\" of non-null type \\\"ID!\\\" must not be "
     "null.\",\"locations\":[{\"line\":1,\"column\":7}]}]"},
    {"query($id: ID!) { order(id: $id) { id } }", "{\"id\":42}", "{\"id\":\"42\"}"},
    {"query($id: ID!) { order(id: $id) { id } }", "{\"id\":4.5}",
     "[{\"message\":\"Variable \\\"$id\\\" got invalid value 4.5; ID cannot represent value: "
     "4.5\",\"locations\":[{\"line\":1,\"column\":7}]}]"},
    {"query($id: ID!) { order(id: $id) { id } }", "{\"id\":true}",
     "[{\"message\":\"Variable \\\"$id\\\" got invalid value true; ID cannot represent value: "
     "true\",\"locations\":[{\"line\":1,\"column\":7}]}]"},
    {"query($n: Int) { orders(first: $n) { id } }", "{\"n\":1.5}",
     "[{\"message\":\"Variable \\\"$n\\\" got invalid value 1.5; Int cannot represent non-integer "
     "value: 1.5\",\"locations\":[{\"line\":1,\"column\":7}]}]"},
    {"query($n: Int) { orders(first: $n) { id } }", "{\"n\":3000000000}",
     "[{\"message\":\"Variable \\\"$n\\\" got invalid value 3000000000; Int cannot represent non "
     "32-bit signed integer value: 3000000000\",\"locations\":[{\"line\":1,\"column\":7}]}]"},
    {"query($n: Int) { orders(first: $n) { id } }", "{\"n\":\"5\"}",
     "[{\"message\":\"Variable \\\"$n\\\" got invalid value \\\"5\\\"; Int cannot represent "
     "non-integer value: \\\"5\\\"\",\"locations\":[{\"line\":1,\"column\":7}]}]"},
    {"query($n: Int = 7) { orders(first: $n) { id } }", "{}", "{\"n\":7}"},
    {"query($n: Int) { orders(first: $n) { id } }", "{}", "{}"},
    {"query($n: Int) { orders(first: $n) { id } }", "{\"n\":null}", "{\"n\":null}"},
    {"query($f: Float) { orders(ratio: $f) { id } }", "{\"f\":2}", "{\"f\":2}"},
    {"query($f: Float) { orders(ratio: $f) { id } }", "{\"f\":\"2.5\"}",
     "[{\"message\":\"Variable \\\"$f\\\" got invalid value \\\"2.5\\\"; Float cannot represent "
     "non numeric value: \\\"2.5\\\"\",\"locations\":[{\"line\":1,\"column\":7}]}]"},
    {"query($b: Boolean) { orders(flag: $b) { id } }", "{\"b\":1}",
     "[{\"message\":\"Variable \\\"$b\\\" got invalid value 1; Boolean cannot represent a non "
     "boolean value: 1\",\"locations\":[{\"line\":1,\"column\":7}]}]"},
    {"query($s: Status) { orders(status: $s) { id } }", "{\"s\":\"CLOSED\"}", "{\"s\":\"CLOSED\"}"},
    {"query($s: Status) { orders(status: $s) { id } }", "{\"s\":\"closed\"}",
     "[{\"message\":\"Variable \\\"$s\\\" got invalid value \\\"closed\\\"; Value \\\"closed\\\" "
     "does not exist in \\\"Status\\\" enum. Did you mean the enum value "
     "\\\"CLOSED\\\"?\",\"locations\":[{\"line\":1,\"column\":7}]}]"},
    {"query($s: Status) { orders(status: $s) { id } }", "{\"s\":\"OPN\"}",
     "[{\"message\":\"Variable \\\"$s\\\" got invalid value \\\"OPN\\\"; Value \\\"OPN\\\" does "
     "not exist in \\\"Status\\\" enum. Did you mean the enum value "
     "\\\"OPEN\\\"?\",\"locations\":[{\"line\":1,\"column\":7}]}]"},
    {"query($s: Status) { orders(status: $s) { id } }", "{\"s\":1}",
     "[{\"message\":\"Variable \\\"$s\\\" got invalid value 1; Enum \\\"Status\\\" cannot "
     "represent non-string value: 1.\",\"locations\":[{\"line\":1,\"column\":7}]}]"},
    {"query($t: [String!]) { orders(tags: $t) { id } }", "{\"t\":\"one\"}", "{\"t\":[\"one\"]}"},
    {"query($t: [String!]) { orders(tags: $t) { id } }", "{\"t\":[\"a\",null,3]}",
     "[{\"message\":\"Variable \\\"$t\\\" got invalid value null at \\\"t[1]\\\"; Expected "
     "non-nullable type \\\"String!\\\" not to be "
     "null.\",\"locations\":[{\"line\":1,\"column\":7}]},{\"message\":\"Variable \\\"$t\\\" got "
     "invalid value 3 at \\\"t[2]\\\"; String cannot represent a non string value: "
     "3\",\"locations\":[{\"line\":1,\"column\":7}]}]"},
    {"query($i: OrderInput) { orders(filter: $i) { id } }", "{\"i\":{\"items\":[{\"sku\":1}]}}",
     "{\"i\":{\"items\":[{\"sku\":\"1\",\"qty\":1}],\"address\":{\"street\":\"Main\",\"city\":"
     "\"Paris\"},\"status\":\"OPEN\"}}"},
    {"query($i: OrderInput) { orders(filter: $i) { id } }",
     "{\"i\":{\"items\":[{\"qty\":2}],\"notes\":\"x\",\"adress\":{}}}",
     "[{\"message\":\"Variable \\\"$i\\\" got invalid value { qty: 2 } at \\\"i.items[0]\\\"; "
     "Field \\\"sku\\\" of required type \\\"ID!\\\" was not "
     "provided.\",\"locations\":[{\"line\":1,\"column\":7}]},{\"message\":\"Variable \\\"$i\\\" "
     "got invalid value { items: [[Object]], notes: \\\"x\\\", adress: {} }; Field \\\"notes\\\" "
     "is not defined by type \\\"OrderInput\\\". Did you mean \\\"note\\\" or "
     "\\\"items\\\"?\",\"locations\":[{\"line\":1,\"column\":7}]},{\"message\":\"Variable "
     "\\\"$i\\\" got invalid value { items: [[Object]], notes: \\\"x\\\", adress: {} }; Field "
     "\\\"adress\\\" is not defined by type \\\"OrderInput\\\". Did you mean "
     "\\\"address\\\"?\",\"locations\":[{\"line\":1,\"column\":7}]}]"},
    {"query($i: OrderInput) { orders(filter: $i) { id } }", "{\"i\":\"nope\"}",
     "[{\"message\":\"Variable \\\"$i\\\" got invalid value \\\"nope\\\"; Expected type "
     "\\\"OrderInput\\\" to be an object.\",\"locations\":[{\"line\":1,\"column\":7}]}]"},
    {"query($i: OrderInput) { orders(filter: $i) { id } }",
     "{\"i\":{\"items\":{\"sku\":\"a\",\"qty\":1.5},\"address\":{\"city\":null},\"meta\":{\"any\":["
     "1,{\"x\":true}]}}}",
     "[{\"message\":\"Variable \\\"$i\\\" got invalid value 1.5 at \\\"i.items.qty\\\"; Int cannot "
     "represent non-integer value: "
     "1.5\",\"locations\":[{\"line\":1,\"column\":7}]},{\"message\":\"Variable \\\"$i\\\" got "
     "invalid value { city: null } at \\\"i.address\\\"; Field \\\"street\\\" of required type "
     "\\\"String!\\\" was not provided.\",\"locations\":[{\"line\":1,\"column\":7}]}]"},
    {"query($j: JSON) { orders(raw: $j) { id } }",
     "{\"j\":{\"b\":1,\"2\":[1,2,3,4,5,6,7,8,9,10,11,12],\"1\":{\"deep\":{\"er\":{\"est\":1}}}}}",
     "{\"j\":{\"1\":{\"deep\":{\"er\":{\"est\":1}}},\"2\":[1,2,3,4,5,6,7,8,9,10,11,12],\"b\":1}}"},
    {"query($n: Int) { orders(first: $n) { id } }",
     "{\"n\":{\"b\":1,\"2\":[1,2,3,4,5,6,7,8,9,10,11,12],\"1\":{\"deep\":{\"er\":{\"est\":1}}}}}",
     "[{\"message\":\"Variable \\\"$n\\\" got invalid value { 1: { deep: [Object] }, 2: [1, 2, 3, "
     "4, 5, 6, 7, 8, 9, 10, ... 2 more items], b: 1 }; Int cannot represent non-integer value: { "
     "1: { deep: [Object] }, 2: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, ... 2 more items], b: 1 "
     "}\",\"locations\":[{\"line\":1,\"column\":7}]}]"},
    {"query($n: Int) { orders(first: $n) { id } }",
     "{\"n\":[1e+21,1.5e-07,123456789012,0.1,-1e-06,1e-07]}",
     "[{\"message\":\"Variable \\\"$n\\\" got invalid value [1e+21, 1.5e-7, 123456789012, 0.1, "
     "-0.000001, 1e-7]; Int cannot represent non-integer value: [1e+21, 1.5e-7, 123456789012, 0.1, "
     "-0.000001, 1e-7]\",\"locations\":[{\"line\":1,\"column\":7}]}]"},
    {"query($x: Int, $y: ID! = 5, $z: [Int] = [1, 2], $w: OrderInput = {items: [{sku: 9}]}) { "
     "orders(first: $x) { id } }",
     "{}",
     "{\"y\":\"5\",\"z\":[1,2],\"w\":{\"items\":[{\"sku\":\"9\",\"qty\":1}],\"address\":{"
     "\"street\":\"Main\",\"city\":\"Paris\"},\"status\":\"OPEN\"}}"},
};
static const struct {
    const char *query, *vars, *want;
} arg_cases[] = {
    {"{ order(id: 42) { id } }", "{}", "{\"id\":\"42\"}"},
    {"{ orders { id } }", "{}", "{\"status\":\"OPEN\",\"first\":20}"},
    {"query($s: Status) { orders(status: $s, first: 5, tags: \"x\") { id } }", "{}",
     "{\"status\":\"OPEN\",\"first\":5,\"tags\":[\"x\"]}"},
    {"query($s: Status) { orders(status: $s) { id } }", "{\"s\":null}",
     "{\"status\":null,\"first\":20}"},
    {"query($q: Int, $sku: ID!) { orders(filter: {items: [{sku: $sku, qty: $q}], note: null}) { id "
     "} }",
     "{\"sku\":\"A\"}",
     "{\"status\":\"OPEN\",\"first\":20,\"filter\":{\"items\":[{\"sku\":\"A\",\"qty\":1}],"
     "\"address\":{\"street\":\"Main\",\"city\":\"Paris\"},\"note\":null,\"status\":\"OPEN\"}}"},
    {"query($t: String) { orders(tags: [\"a\", $t]) { id } }", "{}",
     "[{\"message\":\"Argument \\\"tags\\\" has invalid value [\\\"a\\\", "
     "$t].\",\"locations\":[{\"line\":1,\"column\":34}]}]"},
    {"query($t: String) { orders(tags: [\"a\", $t]) { id } }", "{\"t\":\"b\"}",
     "{\"status\":\"OPEN\",\"first\":20,\"tags\":[\"a\",\"b\"]}"},
    {"query($id: ID) { order(id: $id) { id } }", "{}",
     "[{\"message\":\"Argument \\\"id\\\" of required type \\\"ID!\\\" was provided the variable "
     "\\\"$id\\\" which was not provided a runtime "
     "value.\",\"locations\":[{\"line\":1,\"column\":28}]}]"},
    {"query($id: ID) { order(id: $id) { id } }", "{\"id\":null}",
     "[{\"message\":\"Argument \\\"id\\\" of non-null type \\\"ID!\\\" must not be "
     "null.\",\"locations\":[{\"line\":1,\"column\":28}]}]"},
    {"{ order { id } }", "{}",
     "[{\"message\":\"Argument \\\"id\\\" of required type \\\"ID!\\\" was not "
     "provided.\",\"locations\":[{\"line\":1,\"column\":3}]}]"},
    {"{ order(id: null) { id } }", "{}",
     "[{\"message\":\"Argument \\\"id\\\" of non-null type \\\"ID!\\\" must not be "
     "null.\",\"locations\":[{\"line\":1,\"column\":13}]}]"},
    {"{ orders(first: \"x\") { id } }", "{}",
     "[{\"message\":\"Argument \\\"first\\\" has invalid value "
     "\\\"x\\\".\",\"locations\":[{\"line\":1,\"column\":17}]}]"},
    {"{ orders(filter: {items: [], bogus: 1, note: \"q\\\"\\u0001\"}) { id } }", "{}",
     "{\"status\":\"OPEN\",\"first\":20,\"filter\":{\"items\":[],\"address\":{\"street\":\"Main\","
     "\"city\":\"Paris\"},\"note\":\"q\\\"\\u0001\",\"status\":\"OPEN\"}}"},
    {"query($v: JSON) { orders(raw: {a: [1, 2.5, \"s\", ENUMV, null, true], b: $v, c: $w}, ratio: "
     "3, flag: false) { id } }",
     "{\"v\":{\"x\":1}}",
     "{\"status\":\"OPEN\",\"first\":20,\"ratio\":3,\"flag\":false,\"raw\":{\"a\":[1,2.5,\"s\","
     "\"ENUMV\",null,true],\"b\":{\"x\":1}}}"},
    {"{ orders(status: CLOSED, first: -2147483648, ratio: 1.25e2) { id } }", "{}",
     "{\"status\":\"CLOSED\",\"first\":-2147483648,\"ratio\":125}"},
    {"{ orders(first: 2147483648) { id } }", "{}",
     "[{\"message\":\"Argument \\\"first\\\" has invalid value "
     "2147483648.\",\"locations\":[{\"line\":1,\"column\":17}]}]"},
};

static gql_schema *schema;

/* The outcome as the graphql-js harness printed it. */
static char *outcome(pst_status st, json_t *val, const gql_errors *errs)
{
    pst_buf b = {0};
    if (st == PST_OK) {
        gql_js_write_json(&b, val);
    } else if (st == PST_DECLINED) {
        pst_buf_append_char(&b, '[');
        for (const gql_error *e = errs->first; e; e = e->next) {
            if (e != errs->first)
                pst_buf_append_char(&b, ',');
            pst_buf_append_c(&b, "{\"message\":");
            pst_buf_append_json_str(&b, e->message, strlen(e->message));
            pst_buf_appendf(&b, ",\"locations\":[{\"line\":%u,\"column\":%u}]}", e->line, e->col);
        }
        pst_buf_append_char(&b, ']');
    } else {
        pst_buf_append_c(&b, "ERROR");
    }
    char *r = strdup(pst_buf_cstr(&b) ? b.p : "OOM");
    pst_buf_free(&b);
    return r;
}

static const gql_node *first_op(const gql_node *doc)
{
    return doc ? doc->children : NULL;
}

/* Runs one case; returns the outcome text (caller frees) or NULL when the
 * document does not parse. */
static char *run_vars(pst_arena *a, const char *q, json_t *raw, json_t **coerced, gql_errors *errs)
{
    gql_parse_error perr;
    gql_node *doc = gql_parse_executable(a, q, strlen(q), NULL, &perr);
    if (!doc)
        return NULL;
    pst_status st = gql_coerce_variables(a, schema, first_op(doc), raw, coerced, errs);
    return outcome(st, *coerced, errs);
}

static void test_variable_cases(void)
{
    for (size_t i = 0; i < sizeof(var_cases) / sizeof(var_cases[0]); i++) {
        pst_arena *a = pst_arena_create(4096);
        gql_errors errs;
        gql_errors_init(&errs, a);
        json_t *coerced = NULL;
        json_t *raw = json_loads(var_cases[i].vars, 0, NULL);
        char *got = run_vars(a, var_cases[i].query, raw, &coerced, &errs);
        json_decref(raw);
        CHECK_STR(got, var_cases[i].want);
        for (const gql_error *e = errs.first; e; e = e->next) {
            CHECK_STR(e->code, GQL_CODE_BAD_USER_INPUT);
            CHECK(e->path == NULL);
        }
        free(got);
        pst_arena_destroy(a);
    }
}

/* 500 generated variable sets of random shapes, answered by graphql-js 16's
 * getVariableValues into coerce_random_expected.txt, one per line. */
static void test_random_variables(void)
{
    json_t *cases = json_load_file("tests/unit/graphql/coerce_random_cases.json", 0, NULL);
    FILE *f = fopen("tests/unit/graphql/coerce_random_expected.txt", "r");
    CHECK(json_array_size(cases) == 500 && f != NULL);
    static char line[1 << 16];
    int differ = 0;
    for (size_t i = 0; f && i < json_array_size(cases) && fgets(line, sizeof(line), f); i++) {
        line[strcspn(line, "\n")] = '\0';
        json_t *c = json_array_get(cases, i), *coerced = NULL;
        pst_arena *a = pst_arena_create(4096);
        gql_errors errs;
        gql_errors_init(&errs, a);
        char *got = run_vars(a, json_string_value(json_array_get(c, 0)), json_array_get(c, 1),
                             &coerced, &errs);
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

static pst_status run_args(pst_arena *a, const char *q, json_t *vars, json_t **args,
                           gql_errors *errs)
{
    json_t *coerced = NULL;
    char *v = run_vars(a, q, vars, &coerced, errs);
    free(v);
    if (!coerced)
        return PST_ERROR;
    gql_parse_error perr;
    const gql_node *doc = gql_parse_executable(a, q, strlen(q), NULL, &perr);
    if (!doc)
        return PST_ERROR;
    const gql_node *field = first_op(doc)->selections;
    const gql_field *def = gql_type_field(schema->query, field->name);
    return gql_coerce_arguments(a, def, field, coerced, args, errs, "[\"f\"]");
}

static void test_argument_cases(void)
{
    for (size_t i = 0; i < sizeof(arg_cases) / sizeof(arg_cases[0]); i++) {
        pst_arena *a = pst_arena_create(4096);
        gql_errors errs;
        gql_errors_init(&errs, a);
        json_t *args = NULL;
        json_t *raw = json_loads(arg_cases[i].vars, 0, NULL);
        pst_status st = run_args(a, arg_cases[i].query, raw, &args, &errs);
        json_decref(raw);
        char *got = outcome(st, args, &errs);
        CHECK_STR(got, arg_cases[i].want);
        if (st == PST_DECLINED) {
            CHECK(errs.count == 1);
            CHECK_STR(errs.first->path, "[\"f\"]");
            CHECK_STR(errs.first->code, GQL_CODE_BAD_USER_INPUT);
        }
        free(got);
        pst_arena_destroy(a);
    }
}

static void test_value_from_ast(void)
{
    pst_arena *a = pst_arena_create(1024);
    gql_parse_error perr;
    const char *q = "query($v: [Int!] = [1, 2]) { order(id: \"1\") { id } }";
    gql_node *doc = gql_parse_executable(a, q, strlen(q), NULL, &perr);
    const gql_node *vd = doc->children->children;
    gql_typeref *t = gql_typeref_from_ast(a, schema, vd->type);
    CHECK(t && t->kind == GQL_REF_LIST);
    json_t *v = gql_value_from_ast(vd->value, t, NULL);
    char *s = json_dumps(v, JSON_COMPACT);
    CHECK_STR(s, "[1,2]");
    free(s);
    json_decref(v);
    const char *q2 = "query($v: Nope) { order(id: \"1\") { id } }";
    doc = gql_parse_executable(a, q2, strlen(q2), NULL, &perr);
    CHECK(gql_typeref_from_ast(a, schema, doc->children->children->type) == NULL);
    pst_arena_destroy(a);
}

static json_t *nested_tree(int levels)
{
    json_t *root = json_object(), *cur = root;
    for (int i = 0; i < levels; i++) {
        json_t *c = json_object();
        json_object_set_new(cur, "child", c);
        cur = c;
    }
    json_object_set_new(cur, "v", json_integer(1));
    json_t *vars = json_object();
    json_object_set_new(vars, "t", root);
    return vars;
}

/* Recursive input types follow the variables' JSON, cut at 512 levels. */
static void test_deep_input(void)
{
    const char *q = "query($t: Tree) { tree(t: $t) }";
    int levels[] = {100, 600};
    for (int i = 0; i < 2; i++) {
        pst_arena *a = pst_arena_create(4096);
        gql_errors errs;
        gql_errors_init(&errs, a);
        json_t *vars = nested_tree(levels[i]), *coerced = NULL;
        char *got = run_vars(a, q, vars, &coerced, &errs);
        CHECK(got != NULL);
        if (i == 0) {
            CHECK(coerced != NULL && errs.count == 0);
        } else {
            CHECK(coerced == NULL && errs.count == 1);
            CHECK(errs.first &&
                  strcmp(errs.first->message,
                         "Variable \"$t\" is nested more than 512 levels deep.") == 0 &&
                  strcmp(errs.first->code, "LIMIT_EXCEEDED") == 0);
        }
        free(got);
        json_decref(vars);
        pst_arena_destroy(a);
    }
}

/* Every allocation failure, in pst_malloc and in jansson, is survived. */
static void test_alloc_failures(void)
{
    const char *q = "query($i: OrderInput, $s: Status) { orders(filter: $i, status: $s, tags: "
                    "[\"a\"], raw: {x: [1]}) { id } }";
    json_t *vars = json_loads(
        "{\"i\":{\"items\":[{\"sku\":1},{\"qty\":2}],\"notez\":1},\"s\":\"OPN\"}", 0, NULL);
    json_t *vars_ok = json_loads("{\"i\":{\"items\":[{\"sku\":1}]},\"s\":\"SHIPPED\"}", 0, NULL);
    int ok_runs = 0;
    for (long n = 1; n < 400; n++) {
        for (int k = 0; k < 2; k++) {
            pst_arena *a = pst_arena_create(256);
            if (!a)
                continue;
            gql_errors errs;
            gql_errors_init(&errs, a);
            json_t *args = NULL;
            pst_mem_fail_at(n);
            pst_status st = run_args(a, q, k ? vars_ok : vars, &args, &errs);
            pst_mem_fail_at(0);
            if (st == PST_OK) {
                char *got = outcome(st, args, &errs);
                CHECK_STR(got, "{\"status\":\"SHIPPED\",\"first\":20,\"tags\":[\"a\"],\"filter\":"
                               "{\"items\":[{\"sku\":\"1\",\"qty\":1}],\"address\":{\"street\":"
                               "\"Main\",\"city\":\"Paris\"},\"status\":\"OPEN\"},\"raw\":{\"x\":"
                               "[1]}}");
                free(got);
                ok_runs++;
            }
            pst_arena_destroy(a);
        }
    }
    CHECK(ok_runs > 0);
    json_decref(vars);
    json_decref(vars_ok);
}

static void test_js_numbers(void)
{
    char b[32];
    CHECK_STR(gql_js_number(1.0, b), "1");
    CHECK_STR(gql_js_number(-1.5, b), "-1.5");
    CHECK_STR(gql_js_number(0.1, b), "0.1");
    CHECK_STR(gql_js_number(1e21, b), "1e+21");
    CHECK_STR(gql_js_number(1e20, b), "100000000000000000000");
    CHECK_STR(gql_js_number(1.5e-7, b), "1.5e-7");
    CHECK_STR(gql_js_number(0.000001, b), "0.000001");
    CHECK_STR(gql_js_number(-0.0, b), "0");
    CHECK_STR(gql_js_number(123.456, b), "123.456");
    CHECK_STR(gql_js_number(5e-324, b), "5e-324");
    CHECK_STR(gql_js_number(1.7976931348623157e308, b), "1.7976931348623157e+308");
    CHECK_STR(gql_js_number(NAN, b), "NaN");
    double d = -1;
    CHECK(gql_js_string_number(" 12 ", 4, &d) && d == 12);
    CHECK(gql_js_string_number("0x1F", 4, &d) && d == 31);
    CHECK(gql_js_string_number("0b101", 5, &d) && d == 5);
    CHECK(gql_js_string_number("", 0, &d) && d == 0);
    CHECK(gql_js_string_number("\t\n", 2, &d) && d == 0);
    CHECK(gql_js_string_number("1e3", 3, &d) && d == 1000);
    CHECK(gql_js_string_number(".5", 2, &d) && d == 0.5);
    CHECK(gql_js_string_number("5.", 2, &d) && d == 5);
    CHECK(gql_js_string_number("-Infinity", 9, &d) && isinf(d) && d < 0);
    CHECK(gql_js_string_number("\xc2\xa0"
                               "7",
                               3, &d) &&
          d == 7);
    CHECK(!gql_js_string_number("abc", 3, &d));
    CHECK(!gql_js_string_number("-0x10", 5, &d));
    CHECK(!gql_js_string_number("1e", 2, &d));
    CHECK(!gql_js_string_number(".", 1, &d));
    CHECK(!gql_js_string_number("1 2", 3, &d));
}

static void test_inspect_and_suggestions(void)
{
    pst_buf b = {0};
    json_t *v = json_loads("{\"a\":[],\"b\":{},\"c\":[[[1]]],\"d\":\"x\\\"\",\"e\":null}", 0, NULL);
    gql_inspect_json(&b, v);
    CHECK_STR(pst_buf_cstr(&b), "{ a: [], b: {}, c: [[Array]], d: \"x\\\"\", e: null }");
    json_decref(v);
    pst_buf_reset(&b);
    pst_str names[] = {PST_STR_LIT("item10"), PST_STR_LIT("item2"), PST_STR_LIT("Item"),
                       PST_STR_LIT("zzzzzz"), PST_STR_LIT("itm"),   PST_STR_LIT("items"),
                       PST_STR_LIT("iten")};
    gql_did_you_mean(&b, NULL, PST_STR_LIT("item"), names, 7);
    CHECK_STR(pst_buf_cstr(&b),
              " Did you mean \"Item\", \"item2\", \"items\", \"iten\", or \"itm\"?");
    pst_buf_free(&b);
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
    test_js_numbers();
    test_inspect_and_suggestions();
    test_variable_cases();
    test_argument_cases();
    test_random_variables();
    test_value_from_ast();
    test_deep_input();
    test_alloc_failures();
    gql_schema_free(schema);
    pst_diags_free(&d);
    TEST_END();
}
