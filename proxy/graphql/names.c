#include "graphql/names.h"

#include <string.h>

pst_status gql_names_init(gql_names *ix, pst_arena *a, size_t expected)
{
    uint32_t cap = 8;
    memset(ix, 0, sizeof(*ix));
    if (expected > (1u << 28))
        return PST_ERROR;
    while (cap < expected * 2)
        cap <<= 1;
    ix->slots = pst_arena_calloc(a, cap * sizeof(gql_name_slot));
    if (!ix->slots)
        return PST_ERROR;
    ix->mask = cap - 1;
    return PST_OK;
}

static uint32_t name_hash(pst_str name)
{
    uint64_t h = pst_hash(name.p, name.n);
    return (uint32_t)(h ^ (h >> 32));
}

void *gql_names_get(const gql_names *ix, pst_str name)
{
    if (!ix->slots)
        return NULL;
    uint32_t h = name_hash(name);
    for (uint32_t i = h & ix->mask;; i = (i + 1) & ix->mask) {
        const gql_name_slot *s = &ix->slots[i];
        if (!s->p)
            return NULL;
        if (s->hash == h && s->n == name.n && memcmp(s->p, name.p, name.n) == 0)
            return s->val;
    }
}

pst_status gql_names_put(gql_names *ix, pst_str name, void *val, void **existing)
{
    if (!ix->slots || (ix->count + 1) * 2 > ix->mask + 1 || name.n > UINT32_MAX)
        return PST_ERROR;
    uint32_t h = name_hash(name);
    uint32_t i = h & ix->mask;
    for (;; i = (i + 1) & ix->mask) {
        gql_name_slot *s = &ix->slots[i];
        if (!s->p)
            break;
        if (s->hash == h && s->n == name.n && memcmp(s->p, name.p, name.n) == 0) {
            if (existing)
                *existing = s->val;
            return PST_DECLINED;
        }
    }
    /* an empty name still needs a non-NULL pointer to mark the slot used */
    ix->slots[i] = (gql_name_slot){name.p ? name.p : "", (uint32_t)name.n, h, val};
    ix->count++;
    return PST_OK;
}

pst_status gql_names_set(gql_names *ix, pst_str name, void *val)
{
    if (!ix->slots)
        return PST_ERROR;
    uint32_t h = name_hash(name);
    for (uint32_t i = h & ix->mask;; i = (i + 1) & ix->mask) {
        gql_name_slot *s = &ix->slots[i];
        if (!s->p)
            break;
        if (s->hash == h && s->n == name.n && memcmp(s->p, name.p, name.n) == 0) {
            s->val = val;
            return PST_OK;
        }
    }
    pst_status st = gql_names_put(ix, name, val, NULL);
    return st == PST_DECLINED ? PST_OK : st;
}
