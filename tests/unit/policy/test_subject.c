/* NATS subject patterns: syntax, matching by NATS's rules, claim templates. */
#include <string.h>

#include "common/arena.h"
#include "policy/subject.h"
#include "test.h"

static void test_match(void)
{
    /* literal */
    CHECK(policy_subject_match("orders.list", "orders.list"));
    CHECK(!policy_subject_match("orders.list", "orders.lis"));
    CHECK(!policy_subject_match("orders.lis", "orders.list"));
    CHECK(!policy_subject_match("orders", "orders.list")); /* prefix is no match */
    CHECK(!policy_subject_match("orders.list", "orders"));
    CHECK(!policy_subject_match("orders.list", "orders.list.x"));
    /* '*' is exactly one token */
    CHECK(policy_subject_match("orders.get.*", "orders.get.1"));
    CHECK(!policy_subject_match("orders.get.*", "orders.get"));
    CHECK(!policy_subject_match("orders.get.*", "orders.get.1.2"));
    CHECK(policy_subject_match("*.get.*", "orders.get.1"));
    CHECK(policy_subject_match("*", "orders"));
    CHECK(!policy_subject_match("*", "orders.x"));
    /* '>' is one or more trailing tokens */
    CHECK(policy_subject_match("orders.>", "orders.get.1"));
    CHECK(policy_subject_match("orders.>", "orders.get"));
    CHECK(!policy_subject_match("orders.>", "orders"));
    CHECK(policy_subject_match(">", "orders"));
    CHECK(policy_subject_match(">", "a.b.c.d"));
    CHECK(policy_subject_match("*.>", "a.b"));
    CHECK(!policy_subject_match("*.>", "a"));
    /* token boundaries, not byte prefixes */
    CHECK(!policy_subject_match("orders.get.*", "orders.getx.1"));
    CHECK(!policy_subject_match("order.>", "orders.get"));
    /* wildcard subjects (subscriptions): covered only by wider patterns */
    CHECK(policy_subject_match("orders.>", "orders.*"));
    CHECK(policy_subject_match("orders.>", "orders.>"));
    CHECK(policy_subject_match("orders.*", "orders.*"));
    CHECK(!policy_subject_match("orders.*", "orders.>"));
    CHECK(!policy_subject_match("orders.1", "orders.*"));
    CHECK(!policy_subject_match("orders.*.x", "orders.>"));
}

static void test_overlap(void)
{
    CHECK(policy_subject_overlap("orders.>", "orders.place.internal"));
    CHECK(policy_subject_overlap("orders.*", "orders.place"));
    CHECK(policy_subject_overlap("orders.*.x", "orders.a.*"));
    CHECK(!policy_subject_overlap("orders.*", "orders.a.b"));
    CHECK(!policy_subject_overlap("orders.a", "orders.b"));
    CHECK(policy_subject_overlap(">", "a"));
    CHECK(!policy_subject_overlap("a.>", "a"));
    CHECK(!policy_subject_overlap("a.b", "a.b.c"));
}

static void test_subject_check(void)
{
    CHECK(policy_subject_check("orders.get.1", false) == NULL);
    CHECK(policy_subject_check("", false) != NULL);
    CHECK(policy_subject_check("orders..1", false) != NULL);
    CHECK(policy_subject_check(".orders", false) != NULL);
    CHECK(policy_subject_check("orders.", false) != NULL);
    CHECK(policy_subject_check("orders get", false) != NULL);
    CHECK(policy_subject_check("orders.\t", false) != NULL);
    CHECK(policy_subject_check("orders.*", false) != NULL);
    CHECK(policy_subject_check("orders.>", false) != NULL);
    CHECK(policy_subject_check("orders.*", true) == NULL);
    CHECK(policy_subject_check("orders.>", true) == NULL);
    CHECK(policy_subject_check(">.orders", true) != NULL);
    CHECK(policy_subject_check("orders.\xff", false) != NULL);
}

static void test_pattern_check(void)
{
    bool t;
    CHECK(policy_pattern_check("orders.get.*", &t) == NULL && !t);
    CHECK(policy_pattern_check(">", &t) == NULL && !t);
    CHECK(policy_pattern_check("orders.place.{{ claims.tenant }}", &t) == NULL && t);
    CHECK(policy_pattern_check("{{claims.realm_access.team}}.x.>", &t) == NULL && t);
    CHECK_STR(policy_pattern_check("", &t), "empty subject pattern");
    CHECK_STR(policy_pattern_check("orders..x", &t), "empty token");
    CHECK_STR(policy_pattern_check("orders.", &t), "empty token");
    CHECK_STR(policy_pattern_check(".orders", &t), "empty token");
    CHECK_STR(policy_pattern_check("orders.>.x", &t), "'>' must be the last token");
    CHECK_STR(policy_pattern_check("orders.a*", &t), "wildcards '*' and '>' must be whole tokens");
    CHECK_STR(policy_pattern_check("orders get", &t),
              "whitespace or control character in subject pattern");
    CHECK_STR(policy_pattern_check("orders.{{ args.id }}", &t),
              "only {{ claims.PATH }} templates are allowed in policy subjects");
    CHECK_STR(policy_pattern_check("orders.x{{ claims.t }}", &t),
              "a template must be a whole token: {{ claims.PATH }}");
    CHECK_STR(policy_pattern_check("orders.{{ claims.t }}x", &t),
              "a template must be a whole token: {{ claims.PATH }}");
    CHECK_STR(policy_pattern_check("orders.{{ claims.t", &t), "unterminated '{{' template");
    CHECK_STR(policy_pattern_check("orders.{{ claims. }}", &t),
              "only {{ claims.PATH }} templates are allowed in policy subjects");
    CHECK_STR(policy_pattern_check("orders.{{ claims.a..b }}", &t),
              "invalid claim path in template");
    CHECK(policy_pattern_check("a.\xc3\x28", &t) != NULL);
}

static void test_token_safe(void)
{
    char big[300];
    memset(big, 'a', sizeof(big));
    CHECK(policy_token_safe("acme", 4));
    CHECK(policy_token_safe("caf\xc3\xa9", 5));
    CHECK(!policy_token_safe("", 0));
    CHECK(!policy_token_safe("a.b", 3));
    CHECK(!policy_token_safe("a*", 2));
    CHECK(!policy_token_safe(">", 1));
    CHECK(!policy_token_safe("a b", 3));
    CHECK(!policy_token_safe("a\n", 2));
    CHECK(!policy_token_safe("$SYS", 4));
    CHECK(!policy_token_safe("\xff", 1));
    CHECK(policy_token_safe(big, 256));
    CHECK(!policy_token_safe(big, 257));
}

static const char *render(pst_arena *a, const char *pattern, const char *claims_json)
{
    json_t *c = claims_json ? json_loads(claims_json, 0, NULL) : NULL;
    const char *out = "(unset)";
    pst_status st = policy_pattern_render(pattern, c, a, &out);
    json_decref(c);
    return st == PST_OK ? (out ? out : "(nothing)") : "(error)";
}

static void test_render(void)
{
    pst_arena *a = pst_arena_create(1024);
    CHECK_STR(render(a, "orders.place.{{ claims.tenant }}", "{\"tenant\":\"acme\"}"),
              "orders.place.acme");
    CHECK_STR(render(a, "{{claims.tenant}}.{{ claims.org.id }}.>",
                     "{\"tenant\":\"acme\",\"org\":{\"id\":42}}"),
              "acme.42.>");
    CHECK_STR(render(a, "t.{{ claims.n }}", "{\"n\":7.0}"), "t.7");
    /* missing or unsafe claims make the pattern match nothing */
    CHECK_STR(render(a, "orders.place.{{ claims.tenant }}", "{}"), "(nothing)");
    CHECK_STR(render(a, "orders.place.{{ claims.tenant }}", NULL), "(nothing)");
    CHECK_STR(render(a, "o.{{ claims.tenant }}", "{\"tenant\":\"a.b\"}"), "(nothing)");
    CHECK_STR(render(a, "o.{{ claims.tenant }}", "{\"tenant\":\"*\"}"), "(nothing)");
    CHECK_STR(render(a, "o.{{ claims.tenant }}", "{\"tenant\":\">\"}"), "(nothing)");
    CHECK_STR(render(a, "o.{{ claims.tenant }}", "{\"tenant\":\"\"}"), "(nothing)");
    CHECK_STR(render(a, "o.{{ claims.tenant }}", "{\"tenant\":\"$SYS\"}"), "(nothing)");
    CHECK_STR(render(a, "o.{{ claims.tenant }}", "{\"tenant\":\"a b\"}"), "(nothing)");
    CHECK_STR(render(a, "o.{{ claims.tenant }}", "{\"tenant\":[\"a\"]}"), "(nothing)");
    CHECK_STR(render(a, "o.{{ claims.tenant }}", "{\"tenant\":{\"a\":1}}"), "(nothing)");
    CHECK_STR(render(a, "o.{{ claims.tenant }}", "{\"tenant\":true}"), "(nothing)");
    CHECK_STR(render(a, "o.{{ claims.tenant }}", "{\"tenant\":1.5}"), "(nothing)");
    CHECK_STR(render(a, "o.{{ claims.tenant }}", "{\"tenant\":\"a\\u0000b\"}"), "(nothing)");
    /* a 256-byte value is fine, 257 is not */
    char claims[600];
    snprintf(claims, sizeof(claims), "{\"t\":\"%0256d\"}", 0);
    CHECK(strlen(render(a, "o.{{ claims.t }}", claims)) == 258);
    snprintf(claims, sizeof(claims), "{\"t\":\"%0257d\"}", 0);
    CHECK_STR(render(a, "o.{{ claims.t }}", claims), "(nothing)");
    pst_arena_destroy(a);
}

static void test_lookup(void)
{
    json_t *c = json_loads("{\"realm_access\":{\"roles\":[\"a\"]},\"https://x.io/team\":\"t1\","
                           "\"a\":{\"b.c\":{\"d\":5}}}",
                           0, NULL);
    CHECK(json_is_array(policy_claim_lookup(c, "realm_access.roles")));
    CHECK(policy_claim_lookup(c, "realm_access.nope") == NULL);
    CHECK(policy_claim_lookup(c, "realm_access.roles.x") == NULL);
    CHECK_STR(json_string_value(policy_claim_lookup(c, "https://x.io/team")), "t1");
    CHECK(json_integer_value(policy_claim_lookup(c, "a.b.c.d")) == 5);
    CHECK(policy_claim_lookup(NULL, "a") == NULL);
    json_decref(c);

    /* keys "a", "a.a" and "a.a.a" at every level: tens of millions of ways
     * to split a 40-token path; the lookup gives up after a bounded number */
    json_t *lv[44];
    for (int i = 0; i < 44; i++)
        lv[i] = json_object();
    for (int i = 0; i < 40; i++) {
        json_object_set(lv[i], "a", lv[i + 1]);
        json_object_set(lv[i], "a.a", lv[i + 2]);
        json_object_set(lv[i], "a.a.a", lv[i + 3]);
    }
    char path[200] = "";
    for (int i = 0; i < 40; i++)
        strcat(path, "a.");
    strcat(path, "z");
    CHECK(policy_claim_lookup(lv[0], path) == NULL);
    CHECK(policy_claim_lookup(lv[0], "a.a.a.a") == lv[4]);
    for (int i = 0; i < 44; i++)
        json_decref(lv[i]);
}

int main(void)
{
    test_match();
    test_overlap();
    test_subject_check();
    test_pattern_check();
    test_token_safe();
    test_render();
    test_lookup();
    TEST_END();
}
