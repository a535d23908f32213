/* Binding claims to roles and deciding fields and subjects. */
#include <pthread.h>
#include <string.h>

#include "policy/policy.h"
#include "test.h"

static pst_arena *arena;

static policy *load(const char *text)
{
    pst_diags d = PST_DIAGS_INIT;
    policy *p = policy_load_string(text, strlen(text), "t.yaml", NULL, &d);
    pst_diags_print(&d, stderr);
    pst_diags_free(&d);
    return p;
}

/* Binds claims given as JSON text ("" = anonymous). */
static policy_principal *bind(const policy *p, const char *claims)
{
    json_t *c = *claims ? json_loads(claims, 0, NULL) : NULL;
    policy_principal *pr = NULL;
    CHECK(policy_bind(p, c, arena, &pr) == PST_OK);
    json_decref(c);
    return pr;
}

static const char *roles(const policy_principal *pr)
{
    static pst_buf b;
    pst_buf_reset(&b);
    policy_principal_roles_join(pr, &b);
    return pst_buf_cstr(&b);
}

/* "allow role:pattern" / "deny role:pattern" / "deny" for a field. */
static const char *field(const policy_principal *pr, const char *type, const char *f, bool root)
{
    static pst_buf b;
    policy_decision d;
    pst_status st = policy_decide_field(pr, type, f, root, &d);
    pst_buf_reset(&b);
    pst_buf_append_c(&b, st == PST_OK ? "allow" : "deny");
    if (d.role)
        pst_buf_append_char(&b, ' ');
    policy_decision_rule(&d, &b);
    CHECK(d.status == st && d.reason);
    return pst_buf_cstr(&b);
}

static const char *subject(const policy_principal *pr, policy_op op, const char *s)
{
    static pst_buf b;
    policy_decision d;
    pst_status st = policy_decide_subject(pr, op, s, &d);
    pst_buf_reset(&b);
    pst_buf_append_c(&b, st == PST_OK ? "allow" : "deny");
    if (d.role)
        pst_buf_append_char(&b, ' ');
    policy_decision_rule(&d, &b);
    return pst_buf_cstr(&b);
}

static const char BASIC[] = "version: 1\n"
                            "bindings:\n"
                            "  - {role: viewer, match: {claim: groups, any_of: [staff, support]}}\n"
                            "  - {role: writer, match: {claim: realm_access.roles, any_of: "
                            "[\"orders:write\"]}}\n"
                            "  - {role: billing, match: {claim: azp, equals: billing}}\n"
                            "  - {role: level, match: {claim: level, any_of: [3, 4.5]}}\n"
                            "  - {role: admin, match: {claim: admin, equals: true}}\n"
                            "  - {role: guest, match: {anonymous: true}}\n"
                            "roles:\n"
                            "  viewer:\n"
                            "    graphql:\n"
                            "      allow: [Query.order, Query.orders, Subscription.orderUpdated]\n"
                            "      deny: [Order.internalCost]\n"
                            "  writer:\n"
                            "    inherits: [viewer]\n"
                            "    graphql: {allow: [Mutation.placeOrder]}\n"
                            "  billing:\n"
                            "    graphql: {allow: [Query.*, Order.internalCost]}\n"
                            "  level: {graphql: {allow: [Query.search]}}\n"
                            "  admin: {graphql: {allow: [\"*\"], deny: [Mutation.drop]}}\n"
                            "  guest: {}\n";

static void test_bindings(void)
{
    policy *p = load(BASIC);
    CHECK(p != NULL);
    if (!p)
        return;
    CHECK_STR(roles(bind(p, "{\"groups\":\"staff\"}")), "viewer");           /* string */
    CHECK_STR(roles(bind(p, "{\"groups\":[\"x\",\"support\"]}")), "viewer"); /* array */
    CHECK_STR(roles(bind(p, "{\"groups\":[\"x\"]}")), "");
    CHECK_STR(roles(bind(p, "{\"groups\":\"Staff\"}")), ""); /* exact match only */
    CHECK_STR(roles(bind(p, "{\"realm_access\":{\"roles\":[\"orders:write\"]}}")),
              "writer"); /* nested path */
    CHECK_STR(roles(bind(p, "{\"realm_access\":[\"orders:write\"]}")), "");
    CHECK_STR(roles(bind(p, "{\"azp\":\"billing\",\"groups\":[\"staff\"]}")),
              "billing,viewer"); /* several roles, sorted */
    CHECK_STR(roles(bind(p, "{\"azp\":\"billing2\"}")), "");
    CHECK_STR(roles(bind(p, "{\"level\":3}")), "level"); /* number */
    CHECK_STR(roles(bind(p, "{\"level\":4.5}")), "level");
    CHECK_STR(roles(bind(p, "{\"level\":[1,3]}")), "level"); /* array of numbers */
    CHECK_STR(roles(bind(p, "{\"level\":\"3\"}")), "level");
    CHECK_STR(roles(bind(p, "{\"level\":5}")), "");
    CHECK_STR(roles(bind(p, "{\"admin\":true}")), "admin");
    CHECK_STR(roles(bind(p, "{\"admin\":\"yes\"}")), "");
    CHECK_STR(roles(bind(p, "{\"groups\":{\"staff\":true}}")), ""); /* object: no match */
    CHECK_STR(roles(bind(p, "{}")), "");                            /* missing */
    CHECK_STR(roles(bind(p, "")), "guest");                         /* anonymous */
    const char *const *names;
    CHECK(policy_principal_roles(bind(p, "{\"groups\":\"staff\",\"azp\":\"billing\"}"), &names) ==
          2);
    CHECK_STR(names[0], "billing");
    CHECK_STR(names[1], "viewer");
    policy_unref(p);
}

static void test_fields(void)
{
    policy *p = load(BASIC);
    if (!p)
        return;
    policy_principal *viewer = bind(p, "{\"groups\":\"staff\"}");
    CHECK_STR(field(viewer, "Query", "order", true), "allow viewer:Query.order");
    CHECK_STR(field(viewer, "Query", "search", true), "deny"); /* default deny on roots */
    CHECK_STR(field(viewer, "Mutation", "placeOrder", true), "deny");
    CHECK_STR(field(viewer, "Order", "id", false), "allow"); /* non-root: allowed by default */
    CHECK_STR(field(viewer, "Order", "internalCost", false), "deny viewer:Order.internalCost");
    CHECK_STR(field(viewer, "Query", "__typename", true), "allow");
    CHECK_STR(field(viewer, "Order", "__typename", false), "allow");

    /* inheritance: writer has viewer's allows and denies */
    policy_principal *writer = bind(p, "{\"realm_access\":{\"roles\":[\"orders:write\"]}}");
    CHECK_STR(field(writer, "Query", "order", true), "allow writer:Query.order");
    CHECK_STR(field(writer, "Mutation", "placeOrder", true), "allow writer:Mutation.placeOrder");
    CHECK_STR(field(writer, "Order", "internalCost", false), "deny writer:Order.internalCost");

    /* Type.* */
    policy_principal *billing = bind(p, "{\"azp\":\"billing\"}");
    CHECK_STR(field(billing, "Query", "anything", true), "allow billing:Query.*");
    CHECK_STR(field(billing, "Mutation", "placeOrder", true), "deny");
    CHECK_STR(field(billing, "Order", "internalCost", false), "allow billing:Order.internalCost");

    /* deny wins over every allow, whichever role has it */
    policy_principal *both = bind(p, "{\"azp\":\"billing\",\"groups\":[\"staff\"]}");
    CHECK_STR(field(both, "Order", "internalCost", false), "deny viewer:Order.internalCost");
    CHECK_STR(field(both, "Query", "order", true), "allow billing:Query.*"); /* first sorted */

    /* '*' allows everything but its role's own deny */
    policy_principal *admin = bind(p, "{\"admin\":true}");
    CHECK_STR(field(admin, "Mutation", "anything", true), "allow admin:*");
    CHECK_STR(field(admin, "Mutation", "drop", true), "deny admin:Mutation.drop");

    /* no roles: roots denied, others allowed */
    policy_principal *guest = bind(p, "");
    CHECK_STR(field(guest, "Query", "order", true), "deny");
    CHECK_STR(field(guest, "Order", "id", false), "allow");

    pst_buf b = {0};
    policy_decision d;
    policy_decide_field(viewer, "Order", "internalCost", false, &d);
    policy_decision_describe(&d, &b);
    CHECK_STR(pst_buf_cstr(&b),
              "deny: denied by a role's graphql.deny (role viewer, coordinate Order.internalCost)");
    pst_buf_reset(&b);
    policy_decide_field(viewer, "Query", "search", true, &d);
    policy_decision_describe(&d, &b);
    CHECK_STR(pst_buf_cstr(&b), "deny: no bound role allows this root field (default deny)");
    pst_buf_free(&b);
    policy_unref(p);
}

static void test_deep_inheritance(void)
{
    /* r00 inherits r01 ... inherits r39, which alone allows Query.deep */
    pst_buf t = {0};
    pst_buf_append_c(&t, "version: 1\nbindings:\n  - {role: r00, match: {claim: g, equals: x}}\n"
                         "roles:\n");
    for (int i = 0; i < 39; i++)
        pst_buf_appendf(&t, "  r%02d: {inherits: [r%02d]}\n", i, i + 1);
    pst_buf_append_c(&t, "  r39:\n    graphql: {allow: [Query.deep], deny: [Order.cost]}\n"
                         "    nats: {publish: {allow: [\"deep.{{ claims.g }}\"]}}\n"
                         "    audit: {tags: {depth: \"39\"}}\n");
    policy *p = load(pst_buf_cstr(&t));
    CHECK(p != NULL);
    if (p) {
        policy_principal *pr = bind(p, "{\"g\":\"x\"}");
        CHECK_STR(roles(pr), "r00");
        CHECK_STR(field(pr, "Query", "deep", true), "allow r00:Query.deep");
        CHECK_STR(field(pr, "Order", "cost", false), "deny r00:Order.cost");
        CHECK_STR(subject(pr, POLICY_PUBLISH, "deep.x"), "allow r00:deep.{{ claims.g }}");
        policy_decision d;
        policy_decide_field(pr, "Query", "deep", true, &d);
        pst_buf tags = {0};
        policy_audit_tags(pr, &d, NULL, &tags);
        CHECK_STR(pst_buf_cstr(&tags), "depth=39");
        pst_buf_free(&tags);
        policy_unref(p);
    }
    pst_buf_free(&t);
    /* diamonds are fine */
    policy *q = load("version: 1\nroles:\n  a: {inherits: [b, c]}\n  b: {inherits: [d]}\n"
                     "  c: {inherits: [d]}\n  d: {graphql: {allow: [Query.x]}}\n");
    CHECK(q != NULL);
    policy_unref(q);
}

static const char NATS[] =
    "version: 1\n"
    "bindings:\n"
    "  - {role: viewer, match: {claim: groups, any_of: [staff]}}\n"
    "  - {role: writer, match: {claim: groups, any_of: [writers]}}\n"
    "  - {role: ops, match: {claim: groups, any_of: [ops]}}\n"
    "roles:\n"
    "  viewer:\n"
    "    nats:\n"
    "      publish: {allow: [\"orders.get.*\", orders.list]}\n"
    "      subscribe: {allow: [\"orders.updated.*\"]}\n"
    "  writer:\n"
    "    nats:\n"
    "      publish:\n"
    "        allow: [\"orders.place.{{ claims.tenant }}\", \"orders.get.*\"]\n"
    "        deny: [orders.place.internal]\n"
    "    audit: {tags: {data-class: pii, team: orders}}\n"
    "  ops:\n"
    "    nats:\n"
    "      publish: {allow: [\"orders.>\"], deny: [\"orders.*.secret\"]}\n"
    "      subscribe: {allow: [\"orders.>\"], deny: [orders.updated.secret]}\n"
    "    audit: {tags: {team: ops, audit: \"yes\", data-class: pii}}\n";

static void test_subjects(void)
{
    policy *p = load(NATS);
    if (!p)
        return;
    policy_principal *v = bind(p, "{\"groups\":[\"staff\"]}");
    CHECK_STR(subject(v, POLICY_PUBLISH, "orders.get.1"), "allow viewer:orders.get.*");
    CHECK_STR(subject(v, POLICY_PUBLISH, "orders.list"), "allow viewer:orders.list");
    CHECK_STR(subject(v, POLICY_PUBLISH, "orders.get"), "deny");
    CHECK_STR(subject(v, POLICY_PUBLISH, "orders.get.1.2"), "deny");
    CHECK_STR(subject(v, POLICY_SUBSCRIBE, "orders.get.1"), "deny"); /* publish only */
    CHECK_STR(subject(v, POLICY_SUBSCRIBE, "orders.updated.7"), "allow viewer:orders.updated.*");
    CHECK_STR(subject(v, POLICY_SUBSCRIBE, "orders.updated.*"), "allow viewer:orders.updated.*");
    CHECK_STR(subject(v, POLICY_SUBSCRIBE, "orders.updated.>"), "deny");
    CHECK_STR(subject(v, POLICY_PUBLISH, "orders.get.*"), "deny"); /* no wildcard publish */
    CHECK_STR(subject(v, POLICY_PUBLISH, "orders..1"), "deny");
    CHECK_STR(subject(v, POLICY_PUBLISH, ""), "deny");

    /* claim templates: rendered once per principal */
    policy_principal *w = bind(p, "{\"groups\":[\"writers\"],\"tenant\":\"acme\"}");
    CHECK_STR(subject(w, POLICY_PUBLISH, "orders.place.acme"),
              "allow writer:orders.place.{{ claims.tenant }}");
    CHECK_STR(subject(w, POLICY_PUBLISH, "orders.place.other"), "deny");
    policy_decision d;
    policy_decide_subject(w, POLICY_PUBLISH, "orders.place.acme", &d);
    CHECK_STR(d.rendered, "orders.place.acme");
    policy_principal *wi = bind(p, "{\"groups\":[\"writers\"],\"tenant\":\"internal\"}");
    CHECK_STR(subject(wi, POLICY_PUBLISH, "orders.place.internal"),
              "deny writer:orders.place.internal"); /* deny wins over the rendered allow */
    policy_principal *wm = bind(p, "{\"groups\":[\"writers\"]}");
    CHECK_STR(subject(wm, POLICY_PUBLISH, "orders.place.acme"), "deny"); /* missing claim */
    CHECK_STR(subject(wm, POLICY_PUBLISH, "orders.get.1"), "allow writer:orders.get.*");
    policy_principal *wu = bind(p, "{\"groups\":[\"writers\"],\"tenant\":\"*\"}");
    CHECK_STR(subject(wu, POLICY_PUBLISH, "orders.place.x"), "deny"); /* unsafe claim */

    /* deny in any role wins; wildcard subscriptions: overlapping denies deny */
    policy_principal *o = bind(p, "{\"groups\":[\"ops\",\"staff\"]}");
    CHECK_STR(subject(o, POLICY_PUBLISH, "orders.get.1"), "allow ops:orders.>");
    CHECK_STR(subject(o, POLICY_PUBLISH, "orders.x.secret"), "deny ops:orders.*.secret");
    CHECK_STR(subject(o, POLICY_SUBSCRIBE, "orders.updated.1"), "allow ops:orders.>");
    CHECK_STR(subject(o, POLICY_SUBSCRIBE, "orders.updated.*"), "deny ops:orders.updated.secret");
    CHECK_STR(subject(o, POLICY_SUBSCRIBE, "orders.get.*"), "allow ops:orders.>");

    /* audit tags: of roles that allow the field or the subject, sorted, unique */
    policy_principal *all = bind(p, "{\"groups\":[\"ops\",\"writers\"],\"tenant\":\"acme\"}");
    policy_decision sd;
    pst_buf b = {0};
    policy_decide_subject(all, POLICY_PUBLISH, "orders.get.1", &sd); /* ops and writer */
    policy_audit_tags(all, NULL, &sd, &b);
    CHECK_STR(pst_buf_cstr(&b), "audit=yes,data-class=pii,team=ops,team=orders");
    pst_buf_reset(&b);
    policy_decide_subject(all, POLICY_PUBLISH, "orders.list", &sd); /* ops only */
    policy_audit_tags(all, NULL, &sd, &b);
    CHECK_STR(pst_buf_cstr(&b), "audit=yes,data-class=pii,team=ops");
    pst_buf_reset(&b);
    policy_decide_subject(all, POLICY_PUBLISH, "orders.x.secret", &sd); /* denied */
    policy_audit_tags(all, NULL, &sd, &b);
    CHECK(b.len == 0);
    policy_audit_tags(all, NULL, NULL, &b);
    CHECK(b.len == 0);
    pst_buf_free(&b);
    policy_unref(p);
}

static void test_explain(void)
{
    policy *p = load(BASIC);
    if (!p)
        return;
    pst_buf b = {0};
    json_t *c = json_loads("{\"groups\":[\"x\",\"support\"],\"azp\":\"web\",\"level\":3}", 0, NULL);
    CHECK(policy_explain_bindings(p, c, &b) == PST_OK);
    CHECK_STR(pst_buf_cstr(&b),
              "binding t.yaml:3:5 role viewer: matched: claim groups = [\"x\",\"support\"]; "
              "\"support\" is listed in any_of\n"
              "binding t.yaml:4:5 role writer: no match: claim realm_access.roles is missing\n"
              "binding t.yaml:5:5 role billing: no match: claim azp = \"web\"; it does not equal "
              "\"billing\"\n"
              "binding t.yaml:6:5 role level: matched: claim level = 3; \"3\" is listed in any_of\n"
              "binding t.yaml:7:5 role admin: no match: claim admin is missing\n"
              "binding t.yaml:8:5 role guest: no match: anonymous matches only requests without a "
              "token\n"
              "roles bound: level,viewer\n");
    json_decref(c);
    pst_buf_reset(&b);
    CHECK(policy_explain_bindings(p, NULL, &b) == PST_OK);
    CHECK(strstr(pst_buf_cstr(&b), "role guest: matched: the request has no token") != NULL);
    CHECK(strstr(b.p, "roles bound: guest\n") != NULL);
    pst_buf_free(&b);
    policy_unref(p);
}

/* A policy shared by threads while the loader's reference is dropped (as a
 * reload does): each thread holds its own reference; ASan catches a
 * use-after-free if the counting is wrong. */
static policy *shared;

static void *worker(void *arg)
{
    policy *p = arg;
    pst_arena *a = pst_arena_create(4096);
    json_t *c = json_loads("{\"groups\":[\"writers\"],\"tenant\":\"acme\"}", 0, NULL);
    int ok = 0;
    for (int i = 0; i < 2000; i++) {
        policy_principal *pr;
        policy_decision d;
        if (policy_bind(p, c, a, &pr) == PST_OK &&
            policy_decide_subject(pr, POLICY_PUBLISH, "orders.place.acme", &d) == PST_OK)
            ok++;
        pst_arena_reset(a);
    }
    json_decref(c);
    pst_arena_destroy(a);
    policy_unref(p);
    return (void *)(long)ok;
}

static void test_threads(void)
{
    shared = load(NATS);
    if (!shared)
        return;
    pthread_t t[4];
    for (int i = 0; i < 4; i++)
        CHECK(pthread_create(&t[i], NULL, worker, policy_ref(shared)) == 0);
    policy_unref(shared); /* swapped out: the workers' references keep it */
    for (int i = 0; i < 4; i++) {
        void *r;
        pthread_join(t[i], &r);
        CHECK((long)r == 2000);
    }
}

static void test_authenticated_binding(void)
{
    static const char text[] = "version: 1\n"
                               "bindings:\n"
                               "  - role: member\n"
                               "    match: {authenticated: true}\n"
                               "roles:\n"
                               "  member:\n"
                               "    graphql: {allow: [Query.a]}\n";
    pst_diags d = PST_DIAGS_INIT;
    policy *p = policy_load_string(text, sizeof(text) - 1, "auth.yaml", NULL, &d);
    CHECK(p != NULL);
    pst_diags_free(&d);
    if (!p)
        return;
    pst_arena *a = pst_arena_create(4096);
    policy_principal *pr;
    policy_decision dec;
    json_t *claims = json_pack("{s:s}", "sub", "anyone");
    CHECK(policy_bind(p, claims, a, &pr) == PST_OK);
    CHECK(policy_decide_field(pr, "Query", "a", true, &dec) == PST_OK);
    CHECK(policy_bind(p, NULL, a, &pr) == PST_OK);
    CHECK(policy_decide_field(pr, "Query", "a", true, &dec) == PST_DENIED);
    json_decref(claims);
    pst_arena_destroy(a);
    policy_unref(p);
}

int main(void)
{
    test_authenticated_binding();
    arena = pst_arena_create(4096);
    test_bindings();
    test_fields();
    test_deep_inheritance();
    test_subjects();
    test_explain();
    test_threads();
    pst_arena_destroy(arena);
    TEST_END();
}
