/* Role inheritance: `inherits` copies another role's permissions (and audit
 * tags). Unknown roles and cycles are load errors; otherwise each role gets
 * the union of its own and its ancestors' lists, so evaluation never walks
 * the inheritance graph. */
#include <stdlib.h>
#include <string.h>

#include "policy/load_int.h"

static void coords_merge(pol_ld *l, pol_coords *dst, const pol_coords *src)
{
    size_t n = dst->n;
    pol_coord *v = pol_ld_alloc(l, (dst->n + src->n) * sizeof(*v));
    if (!v)
        return;
    if (dst->n)
        memcpy(v, dst->v, dst->n * sizeof(*v));
    for (size_t i = 0; i < src->n; i++) {
        bool dup = false;
        for (size_t j = 0; j < n && !dup; j++)
            dup = !strcmp(v[j].text, src->v[i].text);
        if (!dup)
            v[n++] = src->v[i];
    }
    dst->v = v;
    dst->n = n;
}

static void patterns_merge(pol_ld *l, pol_patterns *dst, const pol_patterns *src)
{
    size_t n = dst->n;
    const char **v = pol_ld_alloc(l, (dst->n + src->n) * sizeof(*v));
    if (!v)
        return;
    if (dst->n)
        memcpy(v, dst->v, dst->n * sizeof(*v));
    for (size_t i = 0; i < src->n; i++) {
        bool dup = false;
        for (size_t j = 0; j < n && !dup; j++)
            dup = !strcmp(v[j], src->v[i]);
        if (!dup)
            v[n++] = src->v[i];
    }
    dst->v = v;
    dst->n = n;
    dst->templated |= src->templated;
}

static int tag_cmp(const void *a, const void *b)
{
    const pol_tag *x = a, *y = b;
    int c = strcmp(x->key, y->key);
    return c ? c : strcmp(x->value, y->value);
}

static void tags_merge(pol_ld *l, pol_role *dst, const pol_role *src)
{
    pol_tag *v = pol_ld_alloc(l, (dst->ntags + src->ntags) * sizeof(*v));
    if (!v)
        return;
    if (dst->ntags)
        memcpy(v, dst->tags, dst->ntags * sizeof(*v));
    if (src->ntags)
        memcpy(v + dst->ntags, src->tags, src->ntags * sizeof(*v));
    dst->tags = v;
    dst->ntags += src->ntags;
}

static void tags_normalise(pol_role *r)
{
    if (!r->ntags)
        return;
    qsort(r->tags, r->ntags, sizeof(*r->tags), tag_cmp);
    size_t m = 1;
    for (size_t i = 1; i < r->ntags; i++)
        if (tag_cmp(&r->tags[m - 1], &r->tags[i]))
            r->tags[m++] = r->tags[i];
    r->ntags = m;
}

static void merge(pol_ld *l, pol_role *dst, const pol_role *src)
{
    for (int ad = 0; ad < 2; ad++) {
        coords_merge(l, &dst->gql[ad], &src->gql[ad]);
        for (int op = 0; op < 2; op++)
            patterns_merge(l, &dst->nats[op][ad], &src->nats[op][ad]);
    }
    tags_merge(l, dst, src);
    dst->templated |= src->templated;
}

static size_t target(pol_ld *l, yaml_node_t *e)
{
    const char *s = pol_yaml_str(e);
    return pol_role_find(l->p, s, strlen(s));
}

static void report_cycle(pol_ld *l, const size_t *path, size_t depth, size_t to, yaml_node_t *at)
{
    char msg[768];
    size_t o = 0, start = 0;
    while (path[start] != to)
        start++;
    for (size_t i = start; i < depth && o < sizeof(msg) - 200; i++)
        o += (size_t)snprintf(msg + o, sizeof(msg) - o, "%s -> ", l->p->roles[path[i]].name);
    snprintf(msg + o, sizeof(msg) - o, "%s", l->p->roles[to].name);
    pol_yaml_err(&l->y, at, "inheritance cycle: %s", msg);
}

/* Depth-first walk; the path holds at most nroles entries, so recursion is
 * bounded by POLICY_MAX_ROLES. Returns false when a cycle was found. */
static bool visit(pol_ld *l, size_t i, size_t *path, size_t depth, bool flatten)
{
    pol_raw *r = &l->raw[i];
    r->state = 1;
    path[depth] = i;
    bool ok = true;
    for (size_t k = 0; k < r->ninh; k++) {
        size_t j = target(l, r->inh[k]);
        if (j == (size_t)-1)
            continue; /* reported before the walk */
        if (l->raw[j].state == 1) {
            report_cycle(l, path, depth + 1, j, r->inh[k]);
            ok = false;
        } else if (l->raw[j].state == 0) {
            ok &= visit(l, j, path, depth + 1, flatten);
        }
        if (ok && flatten && l->raw[j].state == 2)
            merge(l, &l->p->roles[i], &l->p->roles[j]);
    }
    r->state = 2;
    return ok;
}

void pol_inherit_resolve(pol_ld *l)
{
    size_t n = l->p->nroles, errors = l->diags->count;
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; k < l->raw[i].ninh; k++)
            if (target(l, l->raw[i].inh[k]) == (size_t)-1)
                pol_yaml_err(&l->y, l->raw[i].inh[k], "role '%s' inherits unknown role '%s'",
                             l->raw[i].name, pol_yaml_str(l->raw[i].inh[k]));
    size_t *path = pol_ld_alloc(l, (n + 1) * sizeof(*path));
    if (!path)
        return;
    /* flatten only a policy without errors: a failed load is discarded */
    bool flatten = l->diags->count == errors;
    for (size_t i = 0; i < n; i++)
        if (l->raw[i].state == 0)
            flatten &= visit(l, i, path, 0, flatten);
    for (size_t i = 0; i < n; i++)
        tags_normalise(&l->p->roles[i]);
}
