/* Explains, for a security engineer, which bindings matched some claims. */
#include <stdlib.h>
#include <string.h>

#include "policy/policy_int.h"
#include "policy/subject.h"

#define SEEN_MAX 200

/* Appends a claim value as compact JSON, cut at SEEN_MAX bytes. */
static pst_status seen(pst_buf *out, const json_t *v)
{
    char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    if (!s)
        return PST_ERROR;
    size_t n = strlen(s);
    pst_status st =
        n > SEEN_MAX ? pst_buf_appendf(out, "%.*s...", SEEN_MAX, s) : pst_buf_append(out, s, n);
    free(s);
    return st;
}

static pst_status explain_one(const policy *p, const pol_binding *b, const json_t *claims,
                              pst_buf *out, bool *hit)
{
    const char *role = p->roles[b->role].name;
    if (pst_buf_appendf(out, "binding %s:%u:%u role %s: ", p->file ? p->file : "policy", b->line,
                        b->col, role) != PST_OK)
        return PST_ERROR;
    if (b->kind == POL_MATCH_ANONYMOUS) {
        *hit = claims == NULL;
        return pst_buf_append_c(out, *hit ? "matched: the request has no token (anonymous)\n"
                                          : "no match: anonymous matches only requests without "
                                            "a token\n");
    }
    if (b->kind == POL_MATCH_AUTHENTICATED) {
        *hit = claims != NULL;
        return pst_buf_append_c(out, *hit ? "matched: the request has a verified token\n"
                                          : "no match: authenticated matches only requests with "
                                            "a token\n");
    }
    if (!claims)
        return pst_buf_appendf(out, "no match: anonymous request, no claim %s\n", b->claim);
    const json_t *v = policy_claim_lookup(claims, b->claim), *elem = NULL;
    if (!v)
        return pst_buf_appendf(out, "no match: claim %s is missing\n", b->claim);
    const char *listed = pol_binding_hit(b, v, &elem);
    *hit = listed != NULL;
    if (pst_buf_appendf(out, "%s: claim %s = ", *hit ? "matched" : "no match", b->claim) ||
        seen(out, v) != PST_OK)
        return PST_ERROR;
    if (!*hit && b->kind == POL_MATCH_EQUALS)
        return pst_buf_appendf(out, "; it does not equal \"%s\"\n", b->values[0]);
    if (!*hit)
        return pst_buf_append_c(out, "; none of any_of is in it\n");
    return pst_buf_appendf(out, "; \"%s\" %s\n", listed,
                           b->kind == POL_MATCH_EQUALS ? "equals the listed value"
                                                       : "is listed in any_of");
}

pst_status policy_explain_bindings(const policy *p, json_t *claims, pst_buf *out)
{
    bool bound[POLICY_MAX_ROLES] = {false};
    for (size_t i = 0; i < p->nbindings; i++) {
        bool hit = false;
        if (explain_one(p, &p->bindings[i], claims, out, &hit) != PST_OK)
            return PST_ERROR;
        if (hit)
            bound[p->bindings[i].role] = true;
    }
    if (pst_buf_append_c(out, "roles bound:") != PST_OK)
        return PST_ERROR;
    bool any = false;
    for (size_t i = 0; i < p->nroles; i++)
        if (bound[i] && pst_buf_appendf(out, "%s%s", any ? "," : " ", p->roles[i].name) == PST_OK)
            any = true;
    return pst_buf_append_c(out, any ? "\n" : " (none)\n");
}
