/* The example policy against its decision tests, and the test file format.
 * The GraphQL walk that `postern policy test` does is written out here by
 * hand: each test's query as the fields it touches. */
#include <string.h>

#include "policy/policy.h"
#include "policy/policy_tests.h"
#include "test.h"

typedef struct {
    const char *name;
    const char *fields[6]; /* "Type.field", roots first marked with '!' */
} walked;

static const walked WALKS[] = {
    {"staff read an order", {"!Query.order", "Order.id", "Order.total"}},
    {"staff never see internal cost", {"!Query.order", "Order.id", "Order.internalCost"}},
    {"support list and search orders",
     {"!Query.orders", "Order.id", "!Query.search", "SearchResult.__typename", "Order.id"}},
    {"staff follow an order's updates", {"!Subscription.orderUpdated", "Order.id", "Order.status"}},
    {"staff cannot place orders", {"!Mutation.placeOrder", "Order.id"}},
    {"writers place orders", {"!Mutation.placeOrder", "Order.id", "Order.total"}},
    {"writers inherit reading but not the internal cost",
     {"!Query.order", "Order.id", "Order.internalCost"}},
    {"writers send notifications", {"!Mutation.notify"}},
    {"the billing service reads the internal cost",
     {"!Query.order", "Order.id", "Order.internalCost"}},
    {"the billing service cannot place orders", {"!Mutation.placeOrder", "Order.id"}},
    {"anonymous callers read nothing", {"!Query.orders", "Order.id"}},
    {"anyone may ask for __typename", {"!Query.__typename"}},
    {"a token without a known group gets nothing", {"!Query.order", "Order.id"}},
};

/* Decides every field of the case; returns whether the expectation held. */
static bool run_case(const policy *p, const policy_test_case *tc, const walked *w, pst_buf *why)
{
    pst_arena *a = pst_arena_create(4096);
    policy_principal *pr = NULL;
    CHECK(policy_bind(p, tc->claims, a, &pr) == PST_OK);
    const char *denied[6], *allowed[6];
    size_t nd = 0, na = 0;
    for (size_t i = 0; i < 6 && w->fields[i]; i++) {
        const char *f = w->fields[i];
        bool root = f[0] == '!';
        const char *coord = f + root, *dot = strchr(coord, '.');
        char type[64];
        snprintf(type, sizeof(type), "%.*s", (int)(dot - coord), coord);
        policy_decision d;
        if (policy_decide_field(pr, type, dot + 1, root, &d) == PST_OK)
            allowed[na++] = coord;
        else
            denied[nd++] = coord;
    }
    bool ok = policy_test_judge(tc, denied, nd, allowed, na, why);
    pst_arena_destroy(a);
    return ok;
}

static void test_example_decisions(void)
{
    pst_diags d = PST_DIAGS_INIT;
    policy *p = policy_load_file("policy/examples/policy.yaml", NULL, &d);
    policy_test_file *t = policy_tests_load_file("policy/examples/policy_test.yaml", &d);
    pst_diags_print(&d, stderr);
    pst_diags_free(&d);
    CHECK(p && t);
    if (!p || !t)
        return;
    CHECK(t->count == sizeof(WALKS) / sizeof(WALKS[0]));
    for (size_t i = 0; i < t->count; i++) {
        const walked *w = NULL;
        for (size_t k = 0; k < sizeof(WALKS) / sizeof(WALKS[0]) && !w; k++)
            if (!strcmp(WALKS[k].name, t->cases[i].name))
                w = &WALKS[k];
        CHECK(w != NULL);
        if (!w)
            continue;
        pst_buf why = {0};
        bool ok = run_case(p, &t->cases[i], w, &why);
        if (!ok)
            fprintf(stderr, "example test '%s' failed: %s\n", w->name, pst_buf_cstr(&why));
        CHECK(ok);
        /* the opposite expectation must fail: the tests can catch a change */
        policy_test_case flipped = t->cases[i];
        flipped.expect = t->cases[i].expect == POLICY_EXPECT_ALLOW  ? POLICY_EXPECT_DENY
                         : t->cases[i].expect == POLICY_EXPECT_DENY ? POLICY_EXPECT_ALLOW
                                                                    : POLICY_EXPECT_ALLOW_LIST;
        CHECK(!run_case(p, &flipped, w, NULL));
        pst_buf_free(&why);
    }
    CHECK_STR(t->cases[0].query, "{ order(id: \"1\") { id total } }");
    CHECK(t->cases[0].line == 3 && t->cases[0].col == 5);
    CHECK(t->cases[10].claims == NULL); /* anonymous */
    CHECK(t->cases[1].expect == POLICY_EXPECT_DENY_LIST && t->cases[1].ncoords == 1);
    CHECK_STR(t->cases[1].coords[0], "Order.internalCost");
    CHECK(json_is_array(json_object_get(t->cases[0].claims, "groups")));
    policy_tests_free(t);
    policy_unref(p);
}

static const char *load_errors(const char *text)
{
    static char out[4096];
    pst_diags d = PST_DIAGS_INIT;
    policy_test_file *t = policy_tests_load_string(text, strlen(text), "t.yaml", &d);
    size_t o = 0;
    out[0] = '\0';
    for (pst_diag *e = d.first; e; e = e->next)
        o += (size_t)snprintf(out + o, sizeof(out) - o, "%u:%u: %s\n", e->line, e->col, e->message);
    CHECK((t == NULL) == (d.count > 0));
    policy_tests_free(t);
    pst_diags_free(&d);
    return out;
}

static void test_format(void)
{
    CHECK_STR(load_errors("tests:\n"
                          "  - name: a\n"
                          "    claims: {sub: x, n: 5, ok: true, f: 1.5, s: \"5\", z: ~}\n"
                          "    variables: {id: \"1\"}\n"
                          "    query: '{ a }'\n"
                          "    expect: {allow: [Query.a]}\n"),
              "");
    CHECK_STR(
        load_errors("tests:\n"
                    "  - name: a\n"
                    "    claims: [x]\n"
                    "    expect: maybe\n"
                    "    qurey: x\n"
                    "  - 5\n"
                    "  - {name: b, query: q, expect: {deny: [nodot]}}\n"
                    "  - {name: c, query: q, expect: {deny: [A.b], allow: [A.c]}}\n"),
        "2:5: a test needs a query (a string)\n"
        "3:13: claims must be a mapping\n"
        "4:13: expect must be allow, deny, {deny: [coordinates]} or {allow: [coordinates]}\n"
        "5:5: unknown key 'qurey' in test\n"
        "6:5: a test must be a mapping with name, query and expect\n"
        "7:41: expected a coordinate like Order.internalCost\n"
        "8:33: expect must be allow, deny, {deny: [coordinates]} or {allow: [coordinates]}\n");
    CHECK_STR(load_errors(""), "0:0: the file is empty\n");
    CHECK_STR(load_errors("tests: 5\n"), "1:8: a test file needs tests: a list of tests\n");

    /* typed claims */
    pst_diags d = PST_DIAGS_INIT;
    const char *text = "tests:\n  - name: a\n    claims: {n: 5, ok: true, f: 1.5, s: \"5\", z: ~}\n"
                       "    query: q\n    expect: deny\n";
    policy_test_file *t = policy_tests_load_string(text, strlen(text), NULL, &d);
    CHECK(t != NULL);
    if (t) {
        json_t *c = t->cases[0].claims;
        CHECK(json_integer_value(json_object_get(c, "n")) == 5);
        CHECK(json_is_true(json_object_get(c, "ok")));
        CHECK(json_real_value(json_object_get(c, "f")) == 1.5);
        CHECK_STR(json_string_value(json_object_get(c, "s")), "5");
        CHECK(json_is_null(json_object_get(c, "z")));
        CHECK(t->cases[0].variables == NULL);
    }
    policy_tests_free(t);
    pst_diags_free(&d);
}

int main(void)
{
    test_example_decisions();
    test_format();
    TEST_END();
}
