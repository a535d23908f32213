/* Evaluation: binding claims to roles, and deciding fields and subjects
 * for a bound principal. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/mem.h"
#include "policy/policy_int.h"
#include "policy/subject.h"

static const char R_TYPENAME[] = "__typename is always allowed";
static const char R_FIELD_DENIED[] = "denied by a role's graphql.deny";
static const char R_FIELD_ALLOWED[] = "allowed by a role's graphql.allow";
static const char R_ROOT_DEFAULT[] = "no bound role allows this root field (default deny)";
static const char R_NONROOT_DEFAULT[] = "not a root field and no bound role denies it";
static const char R_SUBJ_DENIED[] = "denied by a role's nats deny";
static const char R_SUBJ_ALLOWED[] = "allowed by a role's nats allow";
static const char R_SUBJ_DEFAULT[] = "no bound role allows this subject (default deny)";

bool pol_coord_match(const pol_coord *c, const char *type, const char *field)
{
    if (!c->type)
        return true;
    if (strcmp(c->type, type))
        return false;
    return !c->field || !strcmp(c->field, field);
}

/* The text of a scalar claim value compared with a listed value. */
static bool scalar_hit(const json_t *v, const char *want)
{
    char buf[64];
    switch (json_typeof(v)) {
    case JSON_STRING:
        return !strcmp(json_string_value(v), want) && strlen(want) == json_string_length(v);
    case JSON_INTEGER:
        snprintf(buf, sizeof(buf), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        return !strcmp(buf, want);
    case JSON_REAL: {
        char *end;
        double d = strtod(want, &end);
        return *want && !*end && d == json_real_value(v);
    }
    case JSON_TRUE:
        return !strcmp(want, "true");
    case JSON_FALSE:
        return !strcmp(want, "false");
    default:
        return false;
    }
}

const char *pol_binding_hit(const pol_binding *b, const json_t *v, const json_t **elem)
{
    for (size_t i = 0; i < b->nvalues; i++) {
        if (json_is_array(v)) {
            size_t k;
            const json_t *e;
            json_array_foreach(v, k, e)
            {
                if (scalar_hit(e, b->values[i])) {
                    *elem = e;
                    return b->values[i];
                }
            }
        } else if (scalar_hit(v, b->values[i])) {
            *elem = v;
            return b->values[i];
        }
    }
    return NULL;
}

static bool binding_matches(const pol_binding *b, const json_t *claims)
{
    if (b->kind == POL_MATCH_ANONYMOUS)
        return claims == NULL;
    if (b->kind == POL_MATCH_AUTHENTICATED)
        return claims != NULL;
    const json_t *v = policy_claim_lookup(claims, b->claim), *e;
    return v && pol_binding_hit(b, v, &e);
}

/* Renders the bound roles' templated subject patterns. */
static pst_status render(policy_principal *pr, const json_t *claims, pst_arena *a)
{
    pr->subj = pst_arena_calloc(a, pr->n * 4 * sizeof(*pr->subj));
    if (!pr->subj)
        return PST_ERROR;
    for (size_t i = 0; i < pr->n; i++) {
        const pol_role *r = pr->roles[i];
        for (int op = 0; op < 2; op++) {
            for (int ad = 0; ad < 2; ad++) {
                const pol_patterns *ps = &r->nats[op][ad];
                const char *const **slot = &pr->subj[i * 4 + (size_t)op * 2 + (size_t)ad];
                if (!ps->templated) {
                    *slot = ps->v;
                    continue;
                }
                const char **v = pst_arena_calloc(a, ps->n * sizeof(*v));
                if (!v)
                    return PST_ERROR;
                for (size_t k = 0; k < ps->n; k++)
                    if (policy_pattern_render(ps->v[k], claims, a, &v[k]) != PST_OK)
                        return PST_ERROR;
                *slot = v;
            }
        }
    }
    return PST_OK;
}

pst_status policy_bind(const policy *p, json_t *claims, pst_arena *a, policy_principal **out)
{
    bool bound[POLICY_MAX_ROLES] = {false};
    size_t n = 0;
    for (size_t i = 0; i < p->nbindings; i++) {
        const pol_binding *b = &p->bindings[i];
        if (!bound[b->role] && binding_matches(b, claims)) {
            bound[b->role] = true;
            n++;
        }
    }
    policy_principal *pr = pst_arena_calloc(a, sizeof(*pr));
    if (!pr)
        return PST_ERROR;
    pr->p = p;
    pr->roles = pst_arena_calloc(a, n * sizeof(*pr->roles));
    pr->names = pst_arena_calloc(a, n * sizeof(*pr->names));
    if (!pr->roles || !pr->names)
        return PST_ERROR;
    for (size_t i = 0; i < p->nroles; i++) {
        if (bound[i]) {
            pr->roles[pr->n] = &p->roles[i];
            pr->names[pr->n++] = p->roles[i].name;
        }
    }
    if (render(pr, claims, a) != PST_OK)
        return PST_ERROR;
    *out = pr;
    return PST_OK;
}

size_t policy_principal_roles(const policy_principal *pr, const char *const **names)
{
    *names = pr->names;
    return pr->n;
}

pst_status policy_principal_roles_join(const policy_principal *pr, pst_buf *out)
{
    for (size_t i = 0; i < pr->n; i++)
        if ((i && pst_buf_append_char(out, ',') != PST_OK) ||
            pst_buf_append_c(out, pr->names[i]) != PST_OK)
            return PST_ERROR;
    return PST_OK;
}

static void decision_init(policy_decision *d)
{
    memset(d, 0, sizeof(*d));
}

static void mark(policy_decision *d, size_t i)
{
    d->allowed_by[i / 64] |= (uint64_t)1 << (i % 64);
}

static const pol_coord *coord_hit(const pol_coords *cs, const char *type, const char *field)
{
    for (size_t k = 0; k < cs->n; k++)
        if (pol_coord_match(&cs->v[k], type, field))
            return &cs->v[k];
    return NULL;
}

pst_status policy_decide_field(const policy_principal *pr, const char *type, const char *field,
                               bool is_root, policy_decision *d)
{
    decision_init(d);
    if (!strcmp(field, "__typename")) {
        d->reason = R_TYPENAME;
        return d->status = PST_OK;
    }
    for (size_t i = 0; i < pr->n; i++) {
        const pol_coord *c = coord_hit(&pr->roles[i]->gql[POL_DENY], type, field);
        if (c) {
            d->role = pr->names[i];
            d->pattern = c->text;
            d->reason = R_FIELD_DENIED;
            return d->status = PST_DENIED;
        }
    }
    for (size_t i = 0; i < pr->n; i++) {
        const pol_coord *c = coord_hit(&pr->roles[i]->gql[POL_ALLOW], type, field);
        if (c) {
            mark(d, i);
            if (!d->role) {
                d->role = pr->names[i];
                d->pattern = c->text;
            }
        }
    }
    if (d->role) {
        d->reason = R_FIELD_ALLOWED;
        return d->status = PST_OK;
    }
    d->reason = is_root ? R_ROOT_DEFAULT : R_NONROOT_DEFAULT;
    return d->status = is_root ? PST_DENIED : PST_OK;
}

/* The first pattern of role i's list [op][ad] that matches; NULL if none.
 * For a deny, a pattern that overlaps a wildcard subscription counts. */
static size_t subj_hit(const policy_principal *pr, size_t i, policy_op op, int ad,
                       const char *subject, bool wild)
{
    const pol_patterns *ps = &pr->roles[i]->nats[op][ad];
    const char *const *v = pr->subj[i * 4 + (size_t)op * 2 + (size_t)ad];
    for (size_t k = 0; k < ps->n; k++) {
        if (!v[k])
            continue;
        bool hit = ad == POL_DENY && wild ? policy_subject_overlap(v[k], subject)
                                          : policy_subject_match(v[k], subject);
        if (hit)
            return k;
    }
    return (size_t)-1;
}

pst_status policy_decide_subject(const policy_principal *pr, policy_op op, const char *subject,
                                 policy_decision *d)
{
    decision_init(d);
    const char *err = policy_subject_check(subject, op == POLICY_SUBSCRIBE);
    if (err) {
        d->reason = err;
        return d->status = PST_DENIED;
    }
    bool wild = strchr(subject, '*') || strchr(subject, '>');
    for (size_t i = 0; i < pr->n; i++) {
        size_t k = subj_hit(pr, i, op, POL_DENY, subject, wild);
        if (k != (size_t)-1) {
            d->role = pr->names[i];
            d->pattern = pr->roles[i]->nats[op][POL_DENY].v[k];
            d->rendered = pr->subj[i * 4 + (size_t)op * 2 + POL_DENY][k];
            d->reason = R_SUBJ_DENIED;
            return d->status = PST_DENIED;
        }
    }
    for (size_t i = 0; i < pr->n; i++) {
        size_t k = subj_hit(pr, i, op, POL_ALLOW, subject, wild);
        if (k == (size_t)-1)
            continue;
        mark(d, i);
        if (!d->role) {
            d->role = pr->names[i];
            d->pattern = pr->roles[i]->nats[op][POL_ALLOW].v[k];
            d->rendered = pr->subj[i * 4 + (size_t)op * 2 + POL_ALLOW][k];
        }
    }
    d->reason = d->role ? R_SUBJ_ALLOWED : R_SUBJ_DEFAULT;
    return d->status = d->role ? PST_OK : PST_DENIED;
}

pst_status policy_decision_rule(const policy_decision *d, pst_buf *out)
{
    if (!d->role)
        return PST_OK;
    return pst_buf_appendf(out, "%s:%s", d->role, d->pattern);
}

pst_status policy_decision_describe(const policy_decision *d, pst_buf *out)
{
    const char *verdict = d->status == PST_OK ? "allow" : "deny";
    if (!d->role)
        return pst_buf_appendf(out, "%s: %s", verdict, d->reason);
    if (d->rendered && strcmp(d->rendered, d->pattern))
        return pst_buf_appendf(out, "%s: %s (role %s, pattern %s, rendered %s)", verdict, d->reason,
                               d->role, d->pattern, d->rendered);
    return pst_buf_appendf(out, "%s: %s (role %s, %s %s)", verdict, d->reason, d->role,
                           d->rendered ? "pattern" : "coordinate", d->pattern);
}

static int tagp_cmp(const void *a, const void *b)
{
    const pol_tag *x = *(const pol_tag *const *)a, *y = *(const pol_tag *const *)b;
    int c = strcmp(x->key, y->key);
    return c ? c : strcmp(x->value, y->value);
}

static bool allows(const policy_decision *d, size_t i)
{
    return d && d->status == PST_OK && (d->allowed_by[i / 64] >> (i % 64) & 1);
}

pst_status policy_audit_tags(const policy_principal *pr, const policy_decision *field,
                             const policy_decision *subject, pst_buf *out)
{
    size_t n = 0;
    for (size_t i = 0; i < pr->n; i++)
        if (allows(field, i) || allows(subject, i))
            n += pr->roles[i]->ntags;
    if (n == 0)
        return PST_OK;
    const pol_tag *stack[64], **v = stack;
    if (n > 64 && !(v = pst_malloc(n * sizeof(*v))))
        return PST_ERROR;
    size_t k = 0;
    for (size_t i = 0; i < pr->n; i++)
        if (allows(field, i) || allows(subject, i))
            for (size_t t = 0; t < pr->roles[i]->ntags; t++)
                v[k++] = &pr->roles[i]->tags[t];
    qsort(v, k, sizeof(*v), tagp_cmp);
    pst_status st = PST_OK;
    for (size_t i = 0; i < k && st == PST_OK; i++) {
        if (i && !tagp_cmp(&v[i - 1], &v[i]))
            continue;
        st = pst_buf_appendf(out, "%s%s=%s", i ? "," : "", v[i]->key, v[i]->value);
    }
    if (v != stack)
        pst_free(v);
    return st;
}
