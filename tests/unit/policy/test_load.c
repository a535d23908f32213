/* Loading policy files: every error reported at its exact line:col. */
#include <stdlib.h>
#include <string.h>

#include "common/str.h"
#include "policy/policy.h"
#include "test.h"

/* Loads text; returns the diagnostics as "line:col: message" lines (static
 * buffer) and whether a policy came back. */
static const char *errors(const char *text, const policy_schema_check *chk, bool *loaded)
{
    static char out[8192];
    pst_diags d = PST_DIAGS_INIT;
    policy *p = policy_load_string(text, strlen(text), "p.yaml", chk, &d);
    *loaded = p != NULL;
    policy_unref(p);
    size_t o = 0;
    out[0] = '\0';
    for (pst_diag *e = d.first; e && o < sizeof(out) - 1; e = e->next)
        o += (size_t)snprintf(out + o, sizeof(out) - o, "%u:%u: %s\n", e->line, e->col, e->message);
    pst_diags_free(&d);
    return out;
}

static void expect_errors(const char *text, const char *want)
{
    bool loaded;
    const char *got = errors(text, NULL, &loaded);
    CHECK_STR(got, want);
    CHECK(!loaded);
}

static void test_ok(void)
{
    bool loaded;
    const char *got = errors("version: 1\n"
                             "bindings:\n"
                             "  - {role: a, match: {claim: g, any_of: [x]}}\n"
                             "roles:\n"
                             "  a: {graphql: {allow: [Query.x]}}\n",
                             NULL, &loaded);
    CHECK_STR(got, "");
    CHECK(loaded);
}

static void test_empty_and_syntax(void)
{
    expect_errors("", "0:0: the file is empty\n");
    expect_errors("# only a comment\n", "0:0: the file is empty\n");
    expect_errors("version: 1\nroles: [a\n",
                  "3:1: YAML syntax error: did not find expected ',' or ']' while parsing a "
                  "flow sequence\n");
    expect_errors("- 1\n", "1:1: a policy must be a mapping with version, bindings and roles\n");
    expect_errors("a: &x [1]\nb: *x\n", "2:4: YAML aliases are not allowed in policy files\n");
    expect_errors("version: 1\n---\nversion: 1\n", "2:1: only one YAML document is allowed\n");
}

static void test_top_level(void)
{
    expect_errors("version: 2\nroles: {}\n", "1:10: unsupported policy version (expected 1)\n");
    expect_errors("roles: {}\n", "1:1: missing 'version: 1'\n");
    expect_errors("version: \"1\"\n", "1:10: unsupported policy version (expected 1)\n");
    expect_errors("version: 1\nrole: {}\nversion: 1\n",
                  "2:1: unknown key 'role' in policy\n3:1: duplicate key 'version' in policy\n");
}

/* Several errors in one file, each at its own place, all reported. */
static void test_many_errors(void)
{
    const char *text =
        "version: 1\n"                                                          /* 1 */
        "bindings:\n"                                                           /* 2 */
        "  - role: nobody\n"                                                    /* 3 */
        "    match: {claim: groups, any_of: [staff]}\n"                         /* 4 */
        "  - role: viewer\n"                                                    /* 5 */
        "    match: {claim: groups}\n"                                          /* 6 */
        "  - role: viewer\n"                                                    /* 7 */
        "    match: {anonymous: false}\n"                                       /* 8 */
        "  - role: viewer\n"                                                    /* 9 */
        "    match: {claim: groups, any_of: []}\n"                              /* 10 */
        "  - role: viewer\n"                                                    /* 11 */
        "    match: {claim: groups, equals: [a]}\n"                             /* 12 */
        "  - role: viewer\n"                                                    /* 13 */
        "    mtch: {anonymous: true}\n"                                         /* 14 */
        "roles:\n"                                                              /* 15 */
        "  viewer:\n"                                                           /* 16 */
        "    descripton: typo\n"                                                /* 17 */
        "    inherits: [ghost]\n"                                               /* 18 */
        "    graphql:\n"                                                        /* 19 */
        "      allow: [Query.order, query, Query., \"*\", Order.*]\n"           /* 20 */
        "      deny: Order.internalCost\n"                                      /* 21 */
        "    nats:\n"                                                           /* 22 */
        "      publish: {allow: [\"a..b\", \"a.>.c\", \"a b\"]}\n"              /* 23 */
        "      subscribe:\n"                                                    /* 24 */
        "        allow: [\"x.{{ args.id }}\", \"x.y{{ claims.t }}\", {a: 1}]\n" /* 25 */
        "        denny: []\n"                                                   /* 26 */
        "    audit: {tags: {a: [1], 'b=c': d}}\n"                               /* 27 */
        "  bad name: {}\n"                                                      /* 28 */
        "  other: []\n";                                                        /* 29 */
    expect_errors(text, "3:11: unknown role 'nobody'\n"
                        "6:12: match needs {claim, any_of} or {claim, equals} or {anonymous: true} "
                        "or {authenticated: true}\n"
                        "8:24: anonymous must be true\n"
                        "10:36: any_of must list at least one value\n"
                        "12:36: equals must be a string or number\n"
                        "13:5: a binding needs role and match\n"
                        "14:5: unknown key 'mtch' in binding\n"
                        "17:5: unknown key 'descripton' in role 'viewer'\n"
                        "18:16: role 'viewer' inherits unknown role 'ghost'\n"
                        "20:28: invalid coordinate 'query': expected Type.field, Type.* or *\n"
                        "20:35: invalid coordinate 'Query.': expected Type.field, Type.* or *\n"
                        "21:13: graphql.deny must be a list of strings\n"
                        "23:25: invalid subject pattern 'a..b': empty token\n"
                        "23:33: invalid subject pattern 'a.>.c': '>' must be the last token\n"
                        "23:42: invalid subject pattern 'a b': whitespace or control character in "
                        "subject pattern\n"
                        "25:17: invalid subject pattern 'x.{{ args.id }}': only {{ claims.PATH }} "
                        "templates are allowed in policy subjects\n"
                        "25:36: invalid subject pattern 'x.y{{ claims.t }}': a template must be a "
                        "whole token: {{ claims.PATH }}\n"
                        "25:57: nats.subscribe.allow must be a list of strings\n"
                        "26:9: unknown key 'denny' in nats.subscribe\n"
                        "27:23: audit tag 'a' must have a string value\n"
                        "27:28: audit tag 'b=c' may not contain ',', '=' or control characters\n"
                        "28:3: invalid role name: use 1 to 64 of A-Z a-z 0-9 _ - .\n"
                        "29:10: role 'other' must be a mapping\n");
}

static void test_cycles(void)
{
    expect_errors("version: 1\n"
                  "roles:\n"
                  "  a: {inherits: [b]}\n"
                  "  b: {inherits: [c]}\n"
                  "  c: {inherits: [a]}\n"
                  "  d: {inherits: [d]}\n"
                  "  e: {inherits: [a]}\n",
                  "5:18: inheritance cycle: a -> b -> c -> a\n"
                  "6:18: inheritance cycle: d -> d\n");
    expect_errors("version: 1\nroles:\n  a: {}\n  a: {}\n", "4:3: duplicate role 'a'\n");
}

static bool schema_has(void *ud, const char *type, const char *field)
{
    (void)ud;
    static const char *const known[] = {"Query.order", "Query.orders", "Order.id",
                                        "Order.internalCost", NULL};
    for (const char *const *k = known; *k; k++) {
        size_t tn = strlen(type);
        if (!strncmp(*k, type, tn) && (*k)[tn] == '.' && (!field || !strcmp(*k + tn + 1, field)))
            return true;
    }
    return false;
}

static void test_schema_check(void)
{
    policy_schema_check chk = {schema_has, NULL};
    bool loaded;
    const char *text = "version: 1\n"
                       "roles:\n"
                       "  a:\n"
                       "    graphql:\n"
                       "      allow: [Query.order, Query.nope, Nope.*, Order.*, \"*\"]\n"
                       "      deny: [Order.internalCost, Order.secret]\n";
    CHECK_STR(errors(text, &chk, &loaded),
              "5:28: coordinate 'Query.nope' is not in the schema\n"
              "5:40: type 'Nope' is not in the schema\n"
              "6:34: coordinate 'Order.secret' is not in the schema\n");
    CHECK(!loaded);
    CHECK_STR(errors(text, NULL, &loaded), "");
    CHECK(loaded);
}

static void test_example_loads(void)
{
    pst_diags d = PST_DIAGS_INIT;
    policy *p = policy_load_file("policy/examples/policy.yaml", NULL, &d);
    pst_diags_print(&d, stderr);
    CHECK(p != NULL);
    CHECK(d.count == 0);
    if (p) {
        CHECK(policy_role_count(p) == 4);
        CHECK_STR(policy_role_name(p, 0), "billing-service");
        CHECK_STR(policy_role_name(p, 3), "viewer");
        CHECK(policy_role_name(p, 4) == NULL);
        /* a reference keeps it alive after the loader's is dropped */
        policy *q = policy_ref(p);
        policy_unref(p);
        CHECK_STR(policy_role_name(q, 1), "guest");
        policy_unref(q);
    }
    pst_diags_free(&d);
    policy *missing = policy_load_file("policy/examples/no-such-file.yaml", NULL, &d);
    CHECK(missing == NULL && d.count == 1);
    CHECK(d.first && strstr(d.first->message, "cannot open"));
    pst_diags_free(&d);
}

static void test_deep_nesting(void)
{
    char text[2048] = "version: 1\nroles: ";
    size_t o = strlen(text);
    for (int i = 0; i < 100; i++)
        text[o++] = '[';
    text[o] = '\0';
    bool loaded;
    const char *got = errors(text, NULL, &loaded);
    CHECK(strstr(got, "nesting too deep") != NULL);
    CHECK(!loaded);
    /* a self-referencing alias is refused before any walk */
    got = errors("version: 1\nroles: &a [*a]\n", NULL, &loaded);
    CHECK(strstr(got, "aliases are not allowed") != NULL);
}

int main(void)
{
    test_ok();
    test_empty_and_syntax();
    test_top_level();
    test_many_errors();
    test_cycles();
    test_schema_check();
    test_example_loads();
    test_deep_nesting();
    TEST_END();
}
