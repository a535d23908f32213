#include "policy/policy_tests.h"

#include <stdio.h>
#include <string.h>

#include "common/file.h"
#include "common/mem.h"
#include "policy/policy_int.h"
#include "policy/yaml_doc.h"

typedef struct {
    pol_yaml y;
    policy_test_file *t;
    bool oom;
} tl;

static yaml_node_t *get(tl *l, yaml_node_t *map, const char *key)
{
    for (yaml_node_pair_t *a = map->data.mapping.pairs.start; a < map->data.mapping.pairs.top;
         a++) {
        const char *ks = pol_yaml_str(pol_yaml_node(&l->y, a->key));
        if (ks && !strcmp(ks, key))
            return pol_yaml_node(&l->y, a->value);
    }
    return NULL;
}

static const char *dup(tl *l, const yaml_node_t *n)
{
    const char *s = pol_yaml_str(n);
    char *d = s ? pst_arena_strndup(l->t->arena, s, strlen(s)) : NULL;
    if (s && !d)
        l->oom = true;
    return d;
}

static void unknown_keys(tl *l, yaml_node_t *map, const char *const *known, const char *where)
{
    for (yaml_node_pair_t *a = map->data.mapping.pairs.start; a < map->data.mapping.pairs.top;
         a++) {
        yaml_node_t *k = pol_yaml_node(&l->y, a->key);
        const char *ks = pol_yaml_str(k);
        bool ok = false;
        for (const char *const *q = known; ks && *q && !ok; q++)
            ok = !strcmp(*q, ks);
        if (!ok)
            pol_yaml_err(&l->y, k, "unknown key '%s' in %s", ks ? ks : "?", where);
    }
}

static json_t *object(tl *l, yaml_node_t *n, const char *what)
{
    if (!n || pol_yaml_is_null(n))
        return NULL;
    if (n->type != YAML_MAPPING_NODE) {
        pol_yaml_err(&l->y, n, "%s must be a mapping", what);
        return NULL;
    }
    json_t *j = pol_yaml_to_json(&l->y, n, 0);
    if (!j)
        pol_yaml_err(&l->y, n, "%s could not be converted to JSON", what);
    return j;
}

static void expect_list(tl *l, yaml_node_t *e, policy_test_case *c)
{
    static const char *const keys[] = {"deny", "allow", NULL};
    unknown_keys(l, e, keys, "expect");
    yaml_node_t *d = get(l, e, "deny"), *a = get(l, e, "allow"), *v = d ? d : a;
    if (!v || (d && a) || v->type != YAML_SEQUENCE_NODE) {
        pol_yaml_err(&l->y, e,
                     "expect must be allow, deny, {deny: [coordinates]} or "
                     "{allow: [coordinates]}");
        return;
    }
    c->expect = d ? POLICY_EXPECT_DENY_LIST : POLICY_EXPECT_ALLOW_LIST;
    size_t n = (size_t)(v->data.sequence.items.top - v->data.sequence.items.start);
    if (!(c->coords = pst_arena_calloc(l->t->arena, (n ? n : 1) * sizeof(*c->coords)))) {
        l->oom = true;
        return;
    }
    for (yaml_node_item_t *it = v->data.sequence.items.start; it < v->data.sequence.items.top;
         it++) {
        yaml_node_t *x = pol_yaml_node(&l->y, *it);
        const char *s = pol_yaml_str(x);
        if (!s || !strchr(s, '.'))
            pol_yaml_err(&l->y, x, "expected a coordinate like Order.internalCost");
        else
            c->coords[c->ncoords++] = dup(l, x);
    }
}

static void expect(tl *l, yaml_node_t *e, policy_test_case *c)
{
    const char *s = pol_yaml_str(e);
    if (s && !strcmp(s, "allow"))
        c->expect = POLICY_EXPECT_ALLOW;
    else if (s && !strcmp(s, "deny"))
        c->expect = POLICY_EXPECT_DENY;
    else if (e->type == YAML_MAPPING_NODE)
        expect_list(l, e, c);
    else
        pol_yaml_err(&l->y, e,
                     "expect must be allow, deny, {deny: [coordinates]} or "
                     "{allow: [coordinates]}");
}

static void one_case(tl *l, yaml_node_t *n, policy_test_case *c)
{
    static const char *const keys[] = {"name", "claims", "query", "variables", "expect", NULL};
    c->line = (uint32_t)n->start_mark.line + 1;
    c->col = (uint32_t)n->start_mark.column + 1;
    if (n->type != YAML_MAPPING_NODE) {
        pol_yaml_err(&l->y, n, "a test must be a mapping with name, query and expect");
        return;
    }
    unknown_keys(l, n, keys, "test");
    yaml_node_t *name = get(l, n, "name"), *q = get(l, n, "query"), *e = get(l, n, "expect");
    if (!name || !(c->name = dup(l, name)))
        pol_yaml_err(&l->y, name ? name : n, "a test needs a name (a string)");
    if (!q || !(c->query = dup(l, q)))
        pol_yaml_err(&l->y, q ? q : n, "a test needs a query (a string)");
    if (!e)
        pol_yaml_err(&l->y, n, "a test needs expect");
    else
        expect(l, e, c);
    c->claims = object(l, get(l, n, "claims"), "claims");
    c->variables = object(l, get(l, n, "variables"), "variables");
}

static void load_doc(tl *l, yaml_node_t *root)
{
    static const char *const keys[] = {"tests", NULL};
    yaml_node_t *tests = root->type == YAML_MAPPING_NODE ? get(l, root, "tests") : NULL;
    if (!tests || tests->type != YAML_SEQUENCE_NODE) {
        pol_yaml_err(&l->y, tests ? tests : root, "a test file needs tests: a list of tests");
        return;
    }
    unknown_keys(l, root, keys, "the test file");
    size_t n = (size_t)(tests->data.sequence.items.top - tests->data.sequence.items.start);
    if (!(l->t->cases = pst_arena_calloc(l->t->arena, (n ? n : 1) * sizeof(*l->t->cases)))) {
        l->oom = true;
        return;
    }
    for (yaml_node_item_t *it = tests->data.sequence.items.start;
         it < tests->data.sequence.items.top; it++)
        one_case(l, pol_yaml_node(&l->y, *it), &l->t->cases[l->t->count++]);
}

policy_test_file *policy_tests_load_string(const char *text, size_t len, const char *name,
                                           pst_diags *diags)
{
    size_t before = diags->count;
    pst_diag *tail = diags->last;
    tl l = {.y = {.file = name, .diags = diags}};
    if (!(l.t = pst_calloc(1, sizeof(*l.t))) || !(l.t->arena = pst_arena_create(4096))) {
        pst_free(l.t);
        pst_diags_add(diags, name, 0, 0, "out of memory loading the tests");
        return NULL;
    }
    if (name && !(l.t->file = pst_arena_strndup(l.t->arena, name, strlen(name))))
        l.oom = true;
    yaml_node_t *root = pol_yaml_load(&l.y, text, len);
    if (root)
        load_doc(&l, root);
    pol_yaml_free(&l.y);
    if (l.oom)
        pst_diags_add(diags, name, 0, 0, "out of memory loading the tests");
    if (diags->count != before) {
        pol_diags_sort(diags, tail);
        policy_tests_free(l.t);
        return NULL;
    }
    return l.t;
}

policy_test_file *policy_tests_load_file(const char *path, pst_diags *diags)
{
    pst_buf b = {0};
    const char *why;
    policy_test_file *t = NULL;
    if (pst_file_read(path, POLICY_MAX_BYTES, &b, &why) != PST_OK)
        pst_diags_add(diags, path, 0, 0, "cannot open the test file: %s", why);
    else
        t = policy_tests_load_string(b.p ? b.p : "", b.len, path, diags);
    pst_buf_free(&b);
    return t;
}

void policy_tests_free(policy_test_file *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->count; i++) {
        json_decref(t->cases[i].claims);
        json_decref(t->cases[i].variables);
    }
    pst_arena_destroy(t->arena);
    pst_free(t);
}

static bool in(const char *s, const char *const *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(s, v[i]))
            return true;
    return false;
}

static bool fail(pst_buf *why, const char *fmt, const char *arg)
{
    if (why)
        pst_buf_appendf(why, fmt, arg);
    return false;
}

bool policy_test_judge(const policy_test_case *tc, const char *const *denied, size_t ndenied,
                       const char *const *allowed, size_t nallowed, pst_buf *why)
{
    switch (tc->expect) {
    case POLICY_EXPECT_ALLOW:
        return ndenied == 0 || fail(why, "expected allow, but %s was denied", denied[0]);
    case POLICY_EXPECT_DENY:
        return ndenied > 0 || fail(why, "expected a denial, but every field was allowed%s", "");
    case POLICY_EXPECT_DENY_LIST:
        for (size_t i = 0; i < tc->ncoords; i++)
            if (!in(tc->coords[i], denied, ndenied))
                return fail(why, "expected %s to be denied, but it was not", tc->coords[i]);
        for (size_t i = 0; i < ndenied; i++)
            if (!in(denied[i], tc->coords, tc->ncoords))
                return fail(why, "%s was denied, but the test does not expect it", denied[i]);
        return true;
    case POLICY_EXPECT_ALLOW_LIST:
        for (size_t i = 0; i < tc->ncoords; i++)
            if (in(tc->coords[i], denied, ndenied) || !in(tc->coords[i], allowed, nallowed))
                return fail(why, "expected %s to be allowed, but it was not", tc->coords[i]);
        return true;
    }
    return false;
}
