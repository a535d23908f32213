/* Allocation failures anywhere (pst_mem_fail_at, and jansson's allocator
 * routed through it) never crash: each call fails cleanly or succeeds. */
#include <string.h>

#include "common/mem.h"
#include "policy/policy.h"
#include "policy/policy_tests.h"
#include "test.h"

#define MAX_STEPS 20000
/* audit tags, then the roles, then the explanation */
#define PREFIX "data-class=piibilling-service,orders-writer,viewerbinding "

static policy *load_example(void)
{
    pst_diags d = PST_DIAGS_INIT;
    policy *p = policy_load_file("policy/examples/policy.yaml", NULL, &d);
    pst_diags_free(&d);
    return p;
}

static void test_load(void)
{
    bool done = false;
    for (long n = 1; n < MAX_STEPS && !done; n++) {
        pst_diags d = PST_DIAGS_INIT;
        pst_mem_fail_at(n);
        policy *p = policy_load_file("policy/examples/policy.yaml", NULL, &d);
        pst_mem_fail_at(0);
        if (p) {
            CHECK(policy_role_count(p) == 4);
            done = d.count == 0;
        } else {
            CHECK(d.count > 0);
        }
        policy_unref(p);
        pst_diags_free(&d);
    }
    CHECK(done);
    /* a file with errors under failures: NULL and at least one entry */
    const char *bad = "version: 1\nroles:\n  a: {inherits: [b]}\n  b: {inherits: [a]}\n";
    for (long n = 1; n < 400; n++) {
        pst_diags d = PST_DIAGS_INIT;
        pst_mem_fail_at(n);
        policy *p = policy_load_string(bad, strlen(bad), "x", NULL, &d);
        pst_mem_fail_at(0);
        CHECK(p == NULL && d.count > 0);
        pst_diags_free(&d);
    }
}

static void test_tests_file(void)
{
    bool done = false;
    for (long n = 1; n < MAX_STEPS && !done; n++) {
        pst_diags d = PST_DIAGS_INIT;
        pst_mem_fail_at(n);
        policy_test_file *t = policy_tests_load_file("policy/examples/policy_test.yaml", &d);
        pst_mem_fail_at(0);
        CHECK((t == NULL) == (d.count > 0));
        done = t != NULL;
        if (t)
            CHECK(t->count == 13);
        policy_tests_free(t);
        pst_diags_free(&d);
    }
    CHECK(done);
}

static void test_eval(policy *p)
{
    json_t *claims = json_loads("{\"groups\":[\"staff\"],\"tenant\":\"acme\",\"realm_access\":"
                                "{\"roles\":[\"orders:write\"]},\"azp\":\"billing\"}",
                                0, NULL);
    bool done = false;
    for (long n = 1; n < MAX_STEPS && !done; n++) {
        pst_arena *a = pst_arena_create(256);
        pst_buf b = {0};
        policy_principal *pr = NULL;
        pst_mem_fail_at(n);
        pst_status st = policy_bind(p, claims, a, &pr);
        pst_mem_fail_at(0);
        CHECK(st == PST_OK ? pr != NULL : pr == NULL);
        if (pr) {
            policy_decision fd, sd;
            pst_mem_fail_at(n);
            policy_decide_field(pr, "Mutation", "placeOrder", true, &fd);
            policy_decide_subject(pr, POLICY_PUBLISH, "orders.place.acme", &sd);
            st = policy_audit_tags(pr, &fd, &sd, &b);
            if (st == PST_OK)
                st = policy_principal_roles_join(pr, &b);
            if (st == PST_OK)
                st = policy_explain_bindings(p, claims, &b);
            pst_mem_fail_at(0);
            CHECK(fd.status == PST_OK && sd.status == PST_OK);
            done = st == PST_OK && pst_buf_cstr(&b) && !strncmp(b.p, PREFIX, strlen(PREFIX)) &&
                   strstr(b.p, "roles bound: billing-service,orders-writer,viewer\n");
        }
        pst_buf_free(&b);
        pst_arena_destroy(a);
    }
    CHECK(done);
    json_decref(claims);
}

static void test_export(policy *p)
{
    pst_buf want = {0};
    CHECK(policy_export_nats(p, "u", "p", NULL, &want) == PST_OK);
    bool done = false;
    for (long n = 1; n < MAX_STEPS && !done; n++) {
        pst_buf b = {0};
        pst_buf_append_c(&b, "keep:");
        pst_mem_fail_at(n);
        pst_status st = policy_export_nats(p, "u", "p", NULL, &b);
        pst_mem_fail_at(0);
        if (st == PST_OK) {
            CHECK(b.len == want.len + 5 && !memcmp(b.p + 5, want.p, want.len));
            done = true;
        } else {
            CHECK(b.len == 5 && !memcmp(b.p, "keep:", 5)); /* nothing partial */
        }
        pst_buf_free(&b);
    }
    CHECK(done);
    pst_buf_free(&want);
}

int main(void)
{
    json_set_alloc_funcs(pst_malloc, pst_free);
    test_load();
    test_tests_file();
    policy *p = load_example();
    CHECK(p != NULL);
    if (p) {
        test_eval(p);
        test_export(p);
    }
    policy_unref(p);
    TEST_END();
}
