/* OverlappingFieldsCanBeMerged, as graphql-js computes it: fields with the
 * same response key must be the same field with the same arguments (unless
 * their parents can never be the same object), return compatible types and
 * have mergeable subfields. Fragments are compared as units: a set's fields
 * and fragment names are collected once per selection set, and each pair of
 * fragments (and of field set and fragment) is compared once per document,
 * so fan-out through fragments stays cheap. A work cap bounds hostile
 * documents: past it the rule stops looking (it never invents errors). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "graphql/validate_internal.h"

#define PS(s) (int)(s).n, (s).p
#define OVERLAP_WORK_CAP 2000000u
#define OVERLAP_DEPTH_CAP 256
#define MAX_DETAIL 1000

typedef struct {
    const gql_node *node;
    const gql_type *parent;
    const gql_field *def;
} ov_field;

/* A selection set's fields (inline fragments flattened) and the fragments
 * it spreads directly. */
typedef struct {
    ov_field *f;      /* collection order */
    uint32_t *by_key; /* indexes into f sorted by response key, then order */
    size_t n;
    gql_v_frag **frags;
    size_t n_frags, cap_frags, cap_f;
} ov_set;

typedef struct {
    pst_str key;
    const char *reason;
    const gql_node *node;
} ov_conflict;

typedef struct {
    ov_conflict *v;
    size_t n, cap;
} ov_conflicts;

/* ---- memo tables keyed by a pair of pointers ---- */

typedef struct {
    const void *a, *b;
    uintptr_t tag;
    const void *val;
} pm_slot;

typedef struct {
    pm_slot *slots;
    size_t cap, count;
} pm_table;

static size_t pm_hash(const void *a, const void *b, uintptr_t tag)
{
    uint64_t h = (uint64_t)(uintptr_t)a * 0x9E3779B97F4A7C15ull;
    h ^= (uint64_t)(uintptr_t)b + tag;
    h ^= h >> 33; /* murmur3's finaliser: every input bit reaches the low bits */
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ull;
    h ^= h >> 33;
    return (size_t)h;
}

/* The slot for (a, b, tag): found, or empty and claimed (val NULL). NULL
 * when memory ran out. Tables live in the scratch arena and double when
 * half full, so a slot pointer is valid until the next call. */
static pm_slot *pm_slot_for(gql_vctx *c, void **where, const void *a, const void *b, uintptr_t tag,
                            bool *found)
{
    pm_table *t = *where;
    if (!t) {
        t = gql_v_alloc(c, sizeof(*t));
        if (!t)
            return NULL;
        *where = t;
    }
    if ((t->count + 1) * 2 > t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 64;
        pm_slot *n = gql_v_alloc(c, cap * sizeof(pm_slot));
        if (!n)
            return NULL;
        for (size_t i = 0; i < t->cap; i++) {
            if (!t->slots[i].a)
                continue;
            size_t k = pm_hash(t->slots[i].a, t->slots[i].b, t->slots[i].tag) & (cap - 1);
            while (n[k].a)
                k = (k + 1) & (cap - 1);
            n[k] = t->slots[i];
        }
        t->slots = n;
        t->cap = cap;
    }
    size_t k = pm_hash(a, b, tag) & (t->cap - 1);
    for (;; k = (k + 1) & (t->cap - 1)) {
        pm_slot *s = &t->slots[k];
        if (!s->a) {
            *s = (pm_slot){a, b, tag, NULL};
            t->count++;
            *found = false;
            return s;
        }
        if (s->a == a && s->b == b && s->tag == tag) {
            *found = true;
            return s;
        }
    }
}

/* graphql-js's PairSet: a pair compared as mutually exclusive also answers
 * for the exclusive question; one compared as not exclusive answers both.
 * Returns true when already compared, else records the comparison. */
enum { PAIR_FRAGMENTS = 1, PAIR_FIELDS_FRAGMENT = 2 };
static const char excl_no[] = "n", excl_yes[] = "y";

static bool pair_seen(gql_vctx *c, const void *a, const void *b, uintptr_t kind, bool excl)
{
    if (kind == PAIR_FRAGMENTS && (uintptr_t)a > (uintptr_t)b) {
        const void *t = a;
        a = b;
        b = t;
    }
    bool found;
    pm_slot *s = pm_slot_for(c, &c->overlap_pairs, a, b, kind, &found);
    if (!s)
        return true; /* out of memory: stop comparing */
    if (found && (excl || s->val == excl_no))
        return true;
    s->val = excl ? excl_yes : excl_no;
    return false;
}

/* ---- collecting ---- */

static bool work(gql_vctx *c)
{
    return ++c->overlap_work < OVERLAP_WORK_CAP;
}

static void add_field(gql_vctx *c, ov_set *s, ov_field f)
{
    if (s->n == s->cap_f) {
        size_t cap = s->cap_f ? s->cap_f * 2 : 8;
        ov_field *n = gql_v_alloc(c, cap * sizeof(*n));
        if (!n)
            return;
        if (s->n)
            memcpy(n, s->f, s->n * sizeof(*n));
        s->f = n;
        s->cap_f = cap;
    }
    s->f[s->n++] = f;
}

static void add_fragment(gql_vctx *c, ov_set *s, gql_v_frag *fr)
{
    for (size_t i = 0; i < s->n_frags; i++)
        if (s->frags[i] == fr)
            return;
    if (s->n_frags == s->cap_frags) {
        size_t cap = s->cap_frags ? s->cap_frags * 2 : 4;
        gql_v_frag **n = gql_v_alloc(c, cap * sizeof(*n));
        if (!n)
            return;
        if (s->n_frags)
            memcpy(n, s->frags, s->n_frags * sizeof(*n));
        s->frags = n;
        s->cap_frags = cap;
    }
    s->frags[s->n_frags++] = fr;
}

static void collect(gql_vctx *c, const gql_type *parent, const gql_node *sels, ov_set *out,
                    int depth)
{
    for (const gql_node *s = sels; s && depth < OVERLAP_DEPTH_CAP && work(c); s = s->next) {
        if (s->kind == GQL_FIELD) {
            add_field(c, out, (ov_field){s, parent, gql_type_field(parent, s->name)});
        } else if (s->kind == GQL_INLINE_FRAGMENT) {
            const gql_type *t = s->type ? gql_schema_type(c->s, s->type->name) : parent;
            collect(c, t, s->selections, out, depth + 1);
        } else if (s->kind == GQL_FRAGMENT_SPREAD) {
            gql_v_frag *f = gql_v_fragment(c, s->name);
            if (f)
                add_fragment(c, out, f);
        }
    }
}

static int str_cmp(pst_str a, pst_str b)
{
    size_t n = a.n < b.n ? a.n : b.n;
    int r = n ? memcmp(a.p, b.p, n) : 0;
    if (r)
        return r;
    return a.n < b.n ? -1 : a.n > b.n;
}

/* qsort_r (not a global) keeps validation safe on several threads at once */
static int by_key_cmp(const void *x, const void *y, void *set)
{
    const ov_set *s = set;
    uint32_t a = *(const uint32_t *)x, b = *(const uint32_t *)y;
    int r = str_cmp(gql_field_key(s->f[a].node), gql_field_key(s->f[b].node));
    return r ? r : (a < b ? -1 : a > b);
}

/* getFieldsAndFragmentNames, cached per selection set. */
static const ov_set *fields_of(gql_vctx *c, const gql_type *parent, const gql_node *sels)
{
    bool found;
    pm_slot *slot = pm_slot_for(c, &c->overlap_sets, sels, NULL, 0, &found);
    if (!slot)
        return NULL;
    if (found)
        return slot->val;
    ov_set *s = gql_v_alloc(c, sizeof(*s));
    if (!s)
        return NULL;
    collect(c, parent, sels, s, 0);
    s->by_key = gql_v_alloc(c, (s->n + 1) * sizeof(uint32_t));
    if (!s->by_key)
        return NULL;
    for (size_t i = 0; i < s->n; i++)
        s->by_key[i] = (uint32_t)i;
    qsort_r(s->by_key, s->n, sizeof(uint32_t), by_key_cmp, s);
    /* the table may have grown while collecting: store through a new lookup */
    slot = pm_slot_for(c, &c->overlap_sets, sels, NULL, 0, &found);
    if (slot)
        slot->val = s;
    return s;
}

static const ov_set *fragment_fields(gql_vctx *c, const gql_v_frag *f)
{
    const gql_node *n = f->body.node;
    const gql_node *tc = n->type;
    while (tc && tc->kind != GQL_NAMED_TYPE)
        tc = tc->type;
    const gql_type *t = tc ? gql_schema_type(c->s, tc->name) : NULL;
    return fields_of(c, t, n->selections);
}

/* The first position in s->by_key whose key is key (s->n when none). */
static size_t find_key(const ov_set *s, pst_str key)
{
    size_t lo = 0, hi = s->n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (str_cmp(gql_field_key(s->f[s->by_key[mid]].node), key) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < s->n && pst_str_eq(gql_field_key(s->f[s->by_key[lo]].node), key) ? lo : s->n;
}

/* True when f[i] is the first field with its key (keys in insertion order). */
static bool first_of_key(const ov_set *s, size_t i, size_t *pos)
{
    *pos = find_key(s, gql_field_key(s->f[i].node));
    return *pos < s->n && s->by_key[*pos] == i;
}

/* ---- comparing ---- */

static bool value_equal(const gql_node *x, const gql_node *y)
{
    if (!x || !y || x->kind != y->kind)
        return x == y;
    switch (x->kind) {
    case GQL_VARIABLE:
    case GQL_ENUM:
        return pst_str_eq(x->name, y->name);
    case GQL_INT:
    case GQL_FLOAT:
    case GQL_STRING:
        return pst_str_eq(x->str, y->str);
    case GQL_BOOLEAN:
        return (x->flags & GQL_FLAG_TRUE) == (y->flags & GQL_FLAG_TRUE);
    case GQL_LIST:
    case GQL_OBJECT: {
        const gql_node *a = x->children, *b = y->children;
        for (; a && b; a = a->next, b = b->next)
            if (!value_equal(a, b))
                return false;
        return !a && !b;
    }
    case GQL_OBJECT_FIELD:
        return pst_str_eq(x->name, y->name) && value_equal(x->value, y->value);
    default:
        return true;
    }
}

static bool same_arguments(const gql_node *a, const gql_node *b)
{
    if (gql_list_len(a->args) != gql_list_len(b->args))
        return false;
    for (const gql_node *x = a->args; x; x = x->next) {
        const gql_node *y = b->args;
        while (y && !pst_str_eq(x->name, y->name))
            y = y->next;
        if (!y || !value_equal(x->value, y->value))
            return false;
    }
    return true;
}

static bool types_conflict(const gql_typeref *a, const gql_typeref *b)
{
    if (a->kind == GQL_REF_LIST || b->kind == GQL_REF_LIST)
        return a->kind != b->kind || types_conflict(a->of, b->of);
    if (a->kind == GQL_REF_NON_NULL || b->kind == GQL_REF_NON_NULL)
        return a->kind != b->kind || types_conflict(a->of, b->of);
    if (gql_type_is_leaf(a->named) || gql_type_is_leaf(b->named))
        return a->named != b->named;
    return false;
}

static void push_conflict(gql_vctx *c, ov_conflicts *l, ov_conflict cf)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 4;
        ov_conflict *n = gql_v_alloc(c, cap * sizeof(*n));
        if (!n)
            return;
        if (l->n)
            memcpy(n, l->v, l->n * sizeof(*n));
        l->v = n;
        l->cap = cap;
    }
    l->v[l->n++] = cf;
}

static void between_subsets(gql_vctx *c, ov_conflicts *l, bool excl, const gql_type *t1,
                            const gql_node *s1, const gql_type *t2, const gql_node *s2, int depth);

static const char *arena_text(gql_vctx *c, const char *s, size_t n)
{
    char *p = pst_arena_strndup(c->a, s, n);
    if (!p)
        c->oom = true;
    return p;
}

/* graphql-js findConflict: the reason two fields with one response key
 * cannot merge, or NULL. */
static const char *find_conflict(gql_vctx *c, bool excl, const ov_field *a, const ov_field *b,
                                 int depth)
{
    char buf[600];
    excl = excl || (a->parent != b->parent && a->parent && b->parent &&
                    a->parent->kind == GQL_TYPE_OBJECT && b->parent->kind == GQL_TYPE_OBJECT);
    const gql_typeref *ta = a->def ? a->def->type : NULL, *tb = b->def ? b->def->type : NULL;
    if (!excl && !pst_str_eq(a->node->name, b->node->name)) {
        int n = snprintf(buf, sizeof(buf), "\"%.*s\" and \"%.*s\" are different fields",
                         PS(a->node->name), PS(b->node->name));
        return arena_text(c, buf, n < (int)sizeof(buf) ? (size_t)n : sizeof(buf) - 1);
    }
    if (!excl && !same_arguments(a->node, b->node))
        return "they have differing arguments";
    if (ta && tb && types_conflict(ta, tb)) {
        pst_buf t = {0};
        pst_buf_append_c(&t, "they return conflicting types \"");
        gql_typeref_print(ta, &t);
        pst_buf_append_c(&t, "\" and \"");
        gql_typeref_print(tb, &t);
        pst_buf_append_char(&t, '"');
        const char *r = t.failed ? NULL : arena_text(c, t.p, t.len);
        c->oom |= t.failed;
        pst_buf_free(&t);
        return r;
    }
    if (!a->node->selections || !b->node->selections || depth >= OVERLAP_DEPTH_CAP)
        return NULL;
    ov_conflicts sub = {NULL, 0, 0};
    between_subsets(c, &sub, excl, gql_typeref_named(ta), a->node->selections,
                    gql_typeref_named(tb), b->node->selections, depth + 1);
    if (!sub.n)
        return NULL;
    /* graphql-js stops past 1000 characters and cuts there with "..." */
    pst_buf r = {0};
    for (size_t i = 0; i < sub.n && r.len <= MAX_DETAIL; i++)
        pst_buf_appendf(&r, "%ssubfields \"%.*s\" conflict because %s", i ? " and " : "",
                        PS(sub.v[i].key), sub.v[i].reason);
    if (r.len > MAX_DETAIL) {
        pst_buf_truncate(&r, MAX_DETAIL);
        pst_buf_append_c(&r, "...");
    }
    const char *out = r.failed ? NULL : arena_text(c, r.p, r.len);
    c->oom |= r.failed;
    pst_buf_free(&r);
    return out;
}

static void compare(gql_vctx *c, ov_conflicts *l, bool excl, const ov_field *a, const ov_field *b,
                    int depth)
{
    const char *r = find_conflict(c, excl, a, b, depth);
    if (r)
        push_conflict(c, l, (ov_conflict){gql_field_key(a->node), r, a->node});
}

/* collectConflictsBetween: each key of a (in order) against b. */
static void conflicts_between(gql_vctx *c, ov_conflicts *l, bool excl, const ov_set *a,
                              const ov_set *b, int depth)
{
    for (size_t i = 0; a && b && i < a->n; i++) {
        size_t pa;
        if (!first_of_key(a, i, &pa))
            continue;
        pst_str key = gql_field_key(a->f[i].node);
        size_t pb = find_key(b, key);
        for (size_t x = pa; pb < b->n && x < a->n; x++) {
            const ov_field *fa = &a->f[a->by_key[x]];
            if (!pst_str_eq(gql_field_key(fa->node), key))
                break;
            for (size_t y = pb; y < b->n; y++) {
                const ov_field *fb = &b->f[b->by_key[y]];
                if (!pst_str_eq(gql_field_key(fb->node), key) || !work(c))
                    break;
                compare(c, l, excl, fa, fb, depth);
            }
        }
    }
}

/* collectConflictsWithin: every pair with one key inside a set. */
static void conflicts_within(gql_vctx *c, ov_conflicts *l, const ov_set *s)
{
    for (size_t i = 0; i < s->n; i++) {
        size_t p;
        if (!first_of_key(s, i, &p))
            continue;
        pst_str key = gql_field_key(s->f[i].node);
        size_t end = p;
        while (end < s->n && pst_str_eq(gql_field_key(s->f[s->by_key[end]].node), key))
            end++;
        for (size_t x = p; x < end; x++)
            for (size_t y = x + 1; y < end && work(c); y++)
                compare(c, l, false, &s->f[s->by_key[x]], &s->f[s->by_key[y]], 0);
    }
}

static void fields_and_fragment(gql_vctx *c, ov_conflicts *l, bool excl, const ov_set *fm,
                                gql_v_frag *f, int depth)
{
    if (depth >= OVERLAP_DEPTH_CAP || !work(c) || pair_seen(c, fm, f, PAIR_FIELDS_FRAGMENT, excl))
        return;
    const ov_set *fm2 = fragment_fields(c, f);
    if (!fm2 || fm2 == fm)
        return;
    conflicts_between(c, l, excl, fm, fm2, depth);
    for (size_t i = 0; i < fm2->n_frags; i++)
        fields_and_fragment(c, l, excl, fm, fm2->frags[i], depth + 1);
}

static void between_fragments(gql_vctx *c, ov_conflicts *l, bool excl, gql_v_frag *f1,
                              gql_v_frag *f2, int depth)
{
    if (f1 == f2 || depth >= OVERLAP_DEPTH_CAP || !work(c) ||
        pair_seen(c, f1, f2, PAIR_FRAGMENTS, excl))
        return;
    const ov_set *a = fragment_fields(c, f1), *b = fragment_fields(c, f2);
    if (!a || !b)
        return;
    conflicts_between(c, l, excl, a, b, depth);
    for (size_t i = 0; i < b->n_frags; i++)
        between_fragments(c, l, excl, f1, b->frags[i], depth + 1);
    for (size_t i = 0; i < a->n_frags; i++)
        between_fragments(c, l, excl, a->frags[i], f2, depth + 1);
}

/* findConflictsBetweenSubSelectionSets */
static void between_subsets(gql_vctx *c, ov_conflicts *l, bool excl, const gql_type *t1,
                            const gql_node *s1, const gql_type *t2, const gql_node *s2, int depth)
{
    const ov_set *a = fields_of(c, t1, s1), *b = fields_of(c, t2, s2);
    if (!a || !b)
        return;
    conflicts_between(c, l, excl, a, b, depth);
    for (size_t i = 0; i < b->n_frags; i++)
        fields_and_fragment(c, l, excl, a, b->frags[i], depth);
    for (size_t i = 0; i < a->n_frags; i++)
        fields_and_fragment(c, l, excl, b, a->frags[i], depth);
    for (size_t i = 0; i < a->n_frags; i++)
        for (size_t k = 0; k < b->n_frags; k++)
            between_fragments(c, l, excl, a->frags[i], b->frags[k], depth);
}

void gql_v_check_overlap(gql_vctx *c, const gql_type *parent, const gql_node *sels)
{
    /* as graphql-js: a lone selection is only looked at when it is an inline
     * fragment (a lone spread was checked where the fragment is defined) */
    if (c->overlap_work >= OVERLAP_WORK_CAP || !sels ||
        (!sels->next && sels->kind != GQL_INLINE_FRAGMENT))
        return;
    const ov_set *s = fields_of(c, parent, sels);
    if (!s)
        return;
    ov_conflicts l = {NULL, 0, 0};
    conflicts_within(c, &l, s);
    for (size_t i = 0; i < s->n_frags; i++) {
        fields_and_fragment(c, &l, false, s, s->frags[i], 0);
        for (size_t k = i + 1; k < s->n_frags; k++)
            between_fragments(c, &l, false, s->frags[i], s->frags[k], 0);
    }
    if (c->overlap_work >= OVERLAP_WORK_CAP && !c->overlap_aborted) {
        /* graphql-js gives up the same way when its budget runs out */
        c->overlap_aborted = true;
        gql_v_error(c, 0, 0, "Validation aborted.");
    }
    for (size_t i = 0; i < l.n; i++)
        gql_v_error(c, l.v[i].node->line, l.v[i].node->col,
                    "Fields \"%.*s\" conflict because %s. Use different aliases on the fields to "
                    "fetch both if this was intentional.",
                    PS(l.v[i].key), l.v[i].reason);
}
