/* Loads policy.yaml into the immutable representation of policy_int.h,
 * reporting every problem with its file:line:col. Inheritance is resolved
 * and flattened by inherit.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/file.h"
#include "common/mem.h"
#include "policy/load_int.h"
#include "policy/subject.h"

#define ROLE_NAME_MAX 64

void *pol_ld_alloc(pol_ld *l, size_t n)
{
    void *p = pst_arena_calloc(l->p->arena, n ? n : 1);
    if (!p)
        l->oom = true;
    return p;
}

const char *pol_ld_dup(pol_ld *l, const char *s, size_t n)
{
    char *d = pst_arena_strndup(l->p->arena, s, n);
    if (!d)
        l->oom = true;
    return d;
}

const char *pol_ld_str(pol_ld *l, const yaml_node_t *n)
{
    const char *s = pol_yaml_str(n);
    return s ? pol_ld_dup(l, s, strlen(s)) : NULL;
}

static yaml_node_t *node(pol_ld *l, int i)
{
    return pol_yaml_node(&l->y, i);
}

/* Reports unknown and repeated keys of a mapping. */
static void check_keys(pol_ld *l, yaml_node_t *map, const char *const *known, const char *where)
{
    for (yaml_node_pair_t *a = map->data.mapping.pairs.start; a < map->data.mapping.pairs.top;
         a++) {
        yaml_node_t *k = node(l, a->key);
        const char *ks = pol_yaml_str(k);
        if (!ks) {
            pol_yaml_err(&l->y, k, "keys must be strings in %s", where);
            continue;
        }
        bool ok = false;
        for (const char *const *q = known; *q && !ok; q++)
            ok = !strcmp(*q, ks);
        if (!ok && known[0])
            pol_yaml_err(&l->y, k, "unknown key '%s' in %s", ks, where);
        for (yaml_node_pair_t *b = map->data.mapping.pairs.start; b < a; b++) {
            const char *bs = pol_yaml_str(node(l, b->key));
            if (bs && !strcmp(bs, ks)) {
                pol_yaml_err(&l->y, k, "duplicate key '%s' in %s", ks, where);
                break;
            }
        }
    }
}

static yaml_node_t *get(pol_ld *l, yaml_node_t *map, const char *key)
{
    for (yaml_node_pair_t *a = map->data.mapping.pairs.start; a < map->data.mapping.pairs.top;
         a++) {
        const char *ks = pol_yaml_str(node(l, a->key));
        if (ks && !strcmp(ks, key))
            return node(l, a->value);
    }
    return NULL;
}

/* A mapping (or null, for an empty section); reports a type error. */
static bool is_map(pol_ld *l, yaml_node_t *n, const char *what)
{
    if (n->type == YAML_MAPPING_NODE)
        return true;
    if (!pol_yaml_is_null(n))
        pol_yaml_err(&l->y, n, "%s must be a mapping", what);
    return false;
}

/* Collects the string items of a list (null = empty); reports the rest. */
static size_t str_list(pol_ld *l, yaml_node_t *n, const char *what, yaml_node_t ***items)
{
    *items = NULL;
    if (pol_yaml_is_null(n))
        return 0;
    if (n->type != YAML_SEQUENCE_NODE) {
        pol_yaml_err(&l->y, n, "%s must be a list of strings", what);
        return 0;
    }
    size_t cap = (size_t)(n->data.sequence.items.top - n->data.sequence.items.start), k = 0;
    if (!(*items = pol_ld_alloc(l, cap * sizeof(**items))))
        return 0;
    for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top;
         it++) {
        yaml_node_t *e = node(l, *it);
        if (!pol_yaml_str(e))
            pol_yaml_err(&l->y, e, "%s must be a list of strings", what);
        else
            (*items)[k++] = e;
    }
    return k;
}

static bool gql_name(const char *s, size_t n)
{
    if (n == 0 || (s[0] >= '0' && s[0] <= '9'))
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_'))
            return false;
    }
    return true;
}

/* Parses one coordinate; false (reported) when invalid or not in the schema. */
static bool coord_parse(pol_ld *l, yaml_node_t *e, pol_coord *c)
{
    const char *s = pol_ld_str(l, e), *dot = s ? strchr(s, '.') : NULL;
    c->text = s;
    if (!s)
        return false;
    c->type = c->field = NULL;
    if (!strcmp(s, "*"))
        return true;
    if (!dot || !gql_name(s, (size_t)(dot - s)) ||
        (strcmp(dot + 1, "*") && !gql_name(dot + 1, strlen(dot + 1)))) {
        pol_yaml_err(&l->y, e, "invalid coordinate '%s': expected Type.field, Type.* or *", s);
        return false;
    }
    c->type = pol_ld_dup(l, s, (size_t)(dot - s));
    c->field = strcmp(dot + 1, "*") ? dot + 1 : NULL;
    if (!c->type)
        return false;
    const policy_schema_check *k = l->chk;
    if (k && k->has_coordinate && !k->has_coordinate(k->ud, c->type, c->field)) {
        if (c->field)
            pol_yaml_err(&l->y, e, "coordinate '%s' is not in the schema", s);
        else
            pol_yaml_err(&l->y, e, "type '%s' is not in the schema", c->type);
        return false;
    }
    return true;
}

static void coords(pol_ld *l, yaml_node_t *n, const char *what, pol_coords *out)
{
    yaml_node_t **items;
    size_t k = str_list(l, n, what, &items);
    out->v = k ? pol_ld_alloc(l, k * sizeof(*out->v)) : NULL;
    out->n = 0;
    for (size_t i = 0; i < k && out->v; i++)
        if (coord_parse(l, items[i], &out->v[out->n]))
            out->n++;
}

static void patterns(pol_ld *l, yaml_node_t *n, const char *what, pol_patterns *out)
{
    yaml_node_t **items;
    size_t k = str_list(l, n, what, &items);
    out->v = k ? pol_ld_alloc(l, k * sizeof(*out->v)) : NULL;
    out->n = 0;
    for (size_t i = 0; i < k && out->v; i++) {
        const char *s = pol_yaml_str(items[i]), *err;
        bool templated;
        if ((err = policy_pattern_check(s, &templated))) {
            pol_yaml_err(&l->y, items[i], "invalid subject pattern '%s': %s", s, err);
            continue;
        }
        out->templated |= templated;
        out->v[out->n++] = pol_ld_str(l, items[i]);
    }
}

static const char *const ALLOW_DENY[] = {"allow", "deny", NULL};

static void role_graphql(pol_ld *l, yaml_node_t *n, pol_role *r)
{
    if (!is_map(l, n, "graphql"))
        return;
    check_keys(l, n, ALLOW_DENY, "graphql");
    yaml_node_t *v;
    if ((v = get(l, n, "allow")))
        coords(l, v, "graphql.allow", &r->gql[POL_ALLOW]);
    if ((v = get(l, n, "deny")))
        coords(l, v, "graphql.deny", &r->gql[POL_DENY]);
}

static void role_nats(pol_ld *l, yaml_node_t *n, pol_role *r)
{
    static const char *const ops[] = {"publish", "subscribe", NULL};
    if (!is_map(l, n, "nats"))
        return;
    check_keys(l, n, ops, "nats");
    for (int op = 0; op < 2; op++) {
        yaml_node_t *o = get(l, n, ops[op]), *v;
        char what[32];
        snprintf(what, sizeof(what), "nats.%s", ops[op]);
        if (!o || !is_map(l, o, what))
            continue;
        check_keys(l, o, ALLOW_DENY, what);
        for (int ad = 0; ad < 2; ad++) {
            snprintf(what, sizeof(what), "nats.%s.%s", ops[op], ALLOW_DENY[ad]);
            if ((v = get(l, o, ALLOW_DENY[ad])))
                patterns(l, v, what, &r->nats[op][ad]);
            r->templated |= r->nats[op][ad].templated;
        }
    }
}

static bool tag_text_ok(const char *s, bool key)
{
    if (!*s && key)
        return false;
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f || *s == ',' || *s == '=')
            return false;
    return true;
}

static void role_audit(pol_ld *l, yaml_node_t *n, pol_role *r)
{
    static const char *const keys[] = {"tags", NULL};
    if (!is_map(l, n, "audit"))
        return;
    check_keys(l, n, keys, "audit");
    yaml_node_t *t = get(l, n, "tags");
    if (!t || !is_map(l, t, "audit.tags"))
        return;
    size_t cap = (size_t)(t->data.mapping.pairs.top - t->data.mapping.pairs.start);
    if (!(r->tags = pol_ld_alloc(l, cap * sizeof(*r->tags))))
        return;
    static const char *const any[] = {NULL};
    check_keys(l, t, any, "audit.tags");
    for (yaml_node_pair_t *a = t->data.mapping.pairs.start; a < t->data.mapping.pairs.top; a++) {
        yaml_node_t *k = node(l, a->key), *v = node(l, a->value);
        const char *ks = pol_yaml_str(k), *vs = pol_yaml_str(v);
        if (!ks)
            continue; /* reported by check_keys */
        if (!vs || v->type != YAML_SCALAR_NODE) {
            pol_yaml_err(&l->y, v, "audit tag '%s' must have a string value", ks);
        } else if (!tag_text_ok(ks, true) || !tag_text_ok(vs, false)) {
            pol_yaml_err(&l->y, k, "audit tag '%s' may not contain ',', '=' or control characters",
                         ks);
        } else {
            r->tags[r->ntags++] = (pol_tag){pol_ld_str(l, k), pol_ld_str(l, v)};
        }
    }
}

static bool role_name_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > ROLE_NAME_MAX)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-' || c == '.'))
            return false;
    }
    return true;
}

static void role_body(pol_ld *l, yaml_node_t *n, size_t i)
{
    static const char *const keys[] = {"description", "inherits", "graphql", "nats", "audit", NULL};
    pol_role *r = &l->p->roles[i];
    char where[96];
    snprintf(where, sizeof(where), "role '%s'", r->name);
    if (!is_map(l, n, where))
        return;
    check_keys(l, n, keys, where);
    yaml_node_t *v;
    if ((v = get(l, n, "description"))) {
        if (!(r->description = pol_ld_str(l, v)) || v->type != YAML_SCALAR_NODE)
            pol_yaml_err(&l->y, v, "description must be a string");
    }
    if ((v = get(l, n, "inherits")))
        l->raw[i].ninh = str_list(l, v, "inherits", &l->raw[i].inh);
    if ((v = get(l, n, "graphql")))
        role_graphql(l, v, r);
    if ((v = get(l, n, "nats")))
        role_nats(l, v, r);
    if ((v = get(l, n, "audit")))
        role_audit(l, v, r);
}

static int raw_cmp(const void *a, const void *b)
{
    const pol_raw *x = a, *y = b;
    return strcmp(x->name, y->name);
}

static void roles(pol_ld *l, yaml_node_t *n)
{
    if (!is_map(l, n, "roles"))
        return;
    size_t cap = (size_t)(n->data.mapping.pairs.top - n->data.mapping.pairs.start), k = 0;
    if (cap > POLICY_MAX_ROLES) {
        pol_yaml_err(&l->y, n, "too many roles (at most %d)", POLICY_MAX_ROLES);
        return;
    }
    l->raw = pol_ld_alloc(l, cap * sizeof(*l->raw));
    l->p->roles = pol_ld_alloc(l, cap * sizeof(*l->p->roles));
    if (!l->raw || !l->p->roles)
        return;
    for (yaml_node_pair_t *a = n->data.mapping.pairs.start; a < n->data.mapping.pairs.top; a++) {
        yaml_node_t *key = node(l, a->key);
        const char *name = pol_yaml_str(key);
        if (!name || !role_name_ok(name)) {
            pol_yaml_err(&l->y, key, "invalid role name: use 1 to %d of A-Z a-z 0-9 _ - .",
                         ROLE_NAME_MAX);
            continue;
        }
        l->raw[k++] = (pol_raw){.name = pol_ld_str(l, key), .key = key, .body = node(l, a->value)};
        if (!l->raw[k - 1].name)
            return;
    }
    qsort(l->raw, k, sizeof(*l->raw), raw_cmp);
    size_t m = 0;
    for (size_t i = 0; i < k; i++) {
        if (m && !strcmp(l->raw[m - 1].name, l->raw[i].name)) {
            pol_yaml_err(&l->y, l->raw[i].key, "duplicate role '%s'", l->raw[i].name);
            continue;
        }
        l->raw[m++] = l->raw[i];
    }
    l->p->nroles = m;
    for (size_t i = 0; i < m; i++) {
        l->p->roles[i].name = l->raw[i].name;
        role_body(l, l->raw[i].body, i);
    }
}

static bool claim_path_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || s[0] == '.' || s[n - 1] == '.' || strstr(s, ".."))
        return false;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] <= 0x20 || s[i] == 0x7f)
            return false;
    return true;
}

/* Parses a binding's match; false (reported) when it is not valid. */
static bool binding_match(pol_ld *l, yaml_node_t *m, pol_binding *b)
{
    static const char *const keys[] = {"claim",     "any_of",        "equals",
                                       "anonymous", "authenticated", NULL};
    if (!is_map(l, m, "match")) {
        if (pol_yaml_is_null(m))
            pol_yaml_err(&l->y, m, "match must be a mapping");
        return false;
    }
    check_keys(l, m, keys, "match");
    yaml_node_t *claim = get(l, m, "claim"), *any = get(l, m, "any_of"), *eq = get(l, m, "equals"),
                *anon = get(l, m, "anonymous"), *authn = get(l, m, "authenticated");
    if (anon || authn) {
        yaml_node_t *flag = anon ? anon : authn;
        const char *name = anon ? "anonymous" : "authenticated";
        const char *s = pol_yaml_str(flag);
        if (claim || any || eq || (anon && authn))
            pol_yaml_err(&l->y, m, "%s: true cannot be combined with other matching", name);
        else if (!s || flag->data.scalar.style != YAML_PLAIN_SCALAR_STYLE || strcmp(s, "true"))
            pol_yaml_err(&l->y, flag, "%s must be true", name);
        else
            return b->kind = anon ? POL_MATCH_ANONYMOUS : POL_MATCH_AUTHENTICATED, true;
        return false;
    }
    if (!claim || (!any == !eq)) {
        pol_yaml_err(&l->y, m,
                     "match needs {claim, any_of} or {claim, equals} or "
                     "{anonymous: true} or {authenticated: true}");
        return false;
    }
    if (!pol_yaml_str(claim) || !claim_path_ok(pol_yaml_str(claim))) {
        pol_yaml_err(&l->y, claim, "claim must be a claim path like groups or realm_access.roles");
        return false;
    }
    b->claim = pol_ld_str(l, claim);
    if (eq) {
        if (!pol_yaml_str(eq)) {
            pol_yaml_err(&l->y, eq, "equals must be a string or number");
            return false;
        }
        b->kind = POL_MATCH_EQUALS;
        if (!(b->values = pol_ld_alloc(l, sizeof(*b->values))))
            return false;
        b->values[0] = pol_ld_str(l, eq);
        return (b->nvalues = 1);
    }
    yaml_node_t **items;
    size_t k = str_list(l, any, "any_of", &items);
    if (k == 0) {
        bool empty = pol_yaml_is_null(any) ||
                     (any->type == YAML_SEQUENCE_NODE &&
                      any->data.sequence.items.top == any->data.sequence.items.start);
        if (empty)
            pol_yaml_err(&l->y, any, "any_of must list at least one value");
        return false;
    }
    b->kind = POL_MATCH_ANY_OF;
    if (!(b->values = pol_ld_alloc(l, k * sizeof(*b->values))))
        return false;
    for (size_t i = 0; i < k; i++)
        b->values[i] = pol_ld_str(l, items[i]);
    b->nvalues = k;
    return true;
}

static void binding(pol_ld *l, yaml_node_t *e, pol_binding *b, bool *ok)
{
    static const char *const keys[] = {"role", "match", NULL};
    *ok = false;
    if (e->type != YAML_MAPPING_NODE) {
        pol_yaml_err(&l->y, e, "a binding must be a mapping with role and match");
        return;
    }
    check_keys(l, e, keys, "binding");
    yaml_node_t *role = get(l, e, "role"), *m = get(l, e, "match");
    b->line = (uint32_t)e->start_mark.line + 1;
    b->col = (uint32_t)e->start_mark.column + 1;
    bool role_ok = false;
    if (!role || !m) {
        pol_yaml_err(&l->y, e, "a binding needs role and match");
    } else if (!pol_yaml_str(role)) {
        pol_yaml_err(&l->y, role, "role must be a role name");
    } else {
        const char *name = pol_yaml_str(role);
        b->role = pol_role_find(l->p, name, strlen(name));
        if (!(role_ok = b->role != (size_t)-1))
            pol_yaml_err(&l->y, role, "unknown role '%s'", name);
    }
    *ok = m && binding_match(l, m, b) && role_ok;
}

static void bindings(pol_ld *l, yaml_node_t *n)
{
    if (pol_yaml_is_null(n))
        return;
    if (n->type != YAML_SEQUENCE_NODE) {
        pol_yaml_err(&l->y, n, "bindings must be a list");
        return;
    }
    size_t cap = (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
    if (!(l->p->bindings = pol_ld_alloc(l, cap * sizeof(*l->p->bindings))))
        return;
    for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top;
         it++) {
        bool ok;
        binding(l, node(l, *it), &l->p->bindings[l->p->nbindings], &ok);
        if (ok)
            l->p->nbindings++;
    }
}

static void version(pol_ld *l, yaml_node_t *root)
{
    yaml_node_t *v = get(l, root, "version");
    const char *s = pol_yaml_str(v);
    if (!v)
        pol_yaml_err(&l->y, root, "missing 'version: 1'");
    else if (!s || v->data.scalar.style != YAML_PLAIN_SCALAR_STYLE || strcmp(s, "1"))
        pol_yaml_err(&l->y, v, "unsupported policy version (expected 1)");
}

/* Walks the document; every problem is reported in l->diags. */
static void load_doc(pol_ld *l, yaml_node_t *root)
{
    static const char *const keys[] = {"version", "bindings", "roles", NULL};
    if (root->type != YAML_MAPPING_NODE) {
        pol_yaml_err(&l->y, root, "a policy must be a mapping with version, bindings and roles");
        return;
    }
    check_keys(l, root, keys, "policy");
    version(l, root);
    yaml_node_t *v;
    if ((v = get(l, root, "roles")))
        roles(l, v);
    if ((v = get(l, root, "bindings")))
        bindings(l, v);
    if (!l->oom)
        pol_inherit_resolve(l);
}

policy *policy_load_string(const char *text, size_t len, const char *name,
                           const policy_schema_check *chk, pst_diags *diags)
{
    size_t before = diags->count;
    pst_diag *tail = diags->last;
    pol_ld l = {.chk = chk, .diags = diags};
    l.y.file = name;
    l.y.diags = diags;
    l.p = pst_calloc(1, sizeof(*l.p));
    if (!l.p || !(l.p->arena = pst_arena_create(4096))) {
        pst_free(l.p);
        pst_diags_add(diags, name, 0, 0, "out of memory loading the policy");
        return NULL;
    }
    atomic_init(&l.p->refs, 1);
    l.p->file = name ? pol_ld_dup(&l, name, strlen(name)) : NULL;
    yaml_node_t *root = pol_yaml_load(&l.y, text, len);
    if (root)
        load_doc(&l, root);
    if (l.oom)
        pst_diags_add(diags, name, 0, 0, "out of memory loading the policy");
    pol_yaml_free(&l.y);
    if (diags->count != before) {
        pol_diags_sort(diags, tail);
        pst_arena_destroy(l.p->arena);
        pst_free(l.p);
        return NULL;
    }
    return l.p;
}

policy *policy_load_file(const char *path, const policy_schema_check *chk, pst_diags *diags)
{
    pst_buf b = {0};
    const char *why;
    policy *p = NULL;
    if (pst_file_read(path, POLICY_MAX_BYTES, &b, &why) != PST_OK)
        pst_diags_add(diags, path, 0, 0, "cannot open the policy file: %s", why);
    else
        p = policy_load_string(b.p ? b.p : "", b.len, path, chk, diags);
    pst_buf_free(&b);
    return p;
}

policy *policy_ref(policy *p)
{
    atomic_fetch_add(&p->refs, 1);
    return p;
}

void policy_unref(policy *p)
{
    if (p && atomic_fetch_sub(&p->refs, 1) == 1) {
        pst_arena_destroy(p->arena);
        pst_free(p);
    }
}

size_t policy_role_count(const policy *p)
{
    return p->nroles;
}

const char *policy_role_name(const policy *p, size_t i)
{
    return i < p->nroles ? p->roles[i].name : NULL;
}

size_t pol_role_find(const policy *p, const char *name, size_t n)
{
    size_t lo = 0, hi = p->nroles;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        const char *m = p->roles[mid].name;
        int c = strncmp(m, name, n);
        if (c == 0 && m[n])
            c = 1;
        if (c == 0)
            return mid;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return (size_t)-1;
}
