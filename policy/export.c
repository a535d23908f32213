/* Exports the NATS permissions postern's own user needs, as a nats-server
 * `authorization` block, so the server enforces the policy's outer bounds
 * even if postern were bypassed or wrong. */
#include <stdlib.h>
#include <string.h>

#include "common/mem.h"
#include "policy/policy_int.h"
#include "policy/subject.h"

typedef struct {
    char **v;
    size_t n, cap;
} strset;

static pst_status set_add(strset *s, const char *text, size_t len)
{
    for (size_t i = 0; i < s->n; i++)
        if (strlen(s->v[i]) == len && !memcmp(s->v[i], text, len))
            return PST_OK;
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 16;
        char **v = pst_realloc(s->v, cap * sizeof(*v));
        if (!v)
            return PST_ERROR;
        s->v = v;
        s->cap = cap;
    }
    char *c = pst_malloc(len + 1);
    if (!c)
        return PST_ERROR;
    memcpy(c, text, len);
    c[len] = '\0';
    s->v[s->n++] = c;
    return PST_OK;
}

static void set_free(strset *s)
{
    for (size_t i = 0; i < s->n; i++)
        pst_free(s->v[i]);
    pst_free(s->v);
}

static int str_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void set_sort(strset *s)
{
    if (s->n > 1)
        qsort(s->v, s->n, sizeof(*s->v), str_cmp);
}

/* The union of all roles' allows for op, templates widened to `*`. */
static pst_status allows(const policy *p, policy_op op, strset *out)
{
    pst_buf b = {0};
    for (size_t i = 0; i < p->nroles; i++) {
        const pol_patterns *ps = &p->roles[i].nats[op][POL_ALLOW];
        for (size_t k = 0; k < ps->n; k++) {
            pst_buf_reset(&b);
            if (policy_pattern_widen(ps->v[k], &b) != PST_OK || set_add(out, b.p, b.len)) {
                pst_buf_free(&b);
                return PST_ERROR;
            }
        }
    }
    pst_buf_free(&b);
    set_sort(out);
    return PST_OK;
}

/* Sets *by to a role that allows a subject overlapping deny d without
 * denying all of d itself (NULL when d holds for every role). PST_ERROR
 * when out of memory. */
static pst_status deny_breaker(const policy *p, policy_op op, const char *d, const char **by)
{
    *by = NULL;
    pst_buf w = {0};
    for (size_t i = 0; i < p->nroles && !*by; i++) {
        const pol_role *r = &p->roles[i];
        bool covered = false;
        for (size_t k = 0; k < r->nats[op][POL_DENY].n && !covered; k++) {
            const char *own = r->nats[op][POL_DENY].v[k];
            bool t;
            policy_pattern_check(own, &t);
            covered = !t && policy_subject_match(own, d);
        }
        for (size_t k = 0; k < r->nats[op][POL_ALLOW].n && !covered && !*by; k++) {
            pst_buf_reset(&w);
            if (policy_pattern_widen(r->nats[op][POL_ALLOW].v[k], &w) != PST_OK ||
                !pst_buf_cstr(&w)) {
                pst_buf_free(&w);
                return PST_ERROR;
            }
            if (policy_subject_overlap(w.p, d))
                *by = r->name;
        }
    }
    pst_buf_free(&w);
    return PST_OK;
}

static pst_status list(pst_buf *out, const char *indent, const char *key, const strset *s)
{
    if (pst_buf_appendf(out, "%s%s: [", indent, key) != PST_OK)
        return PST_ERROR;
    for (size_t i = 0; i < s->n; i++)
        if ((i && pst_buf_append_c(out, ", ")) ||
            pst_buf_append_json_str(out, s->v[i], strlen(s->v[i])))
            return PST_ERROR;
    return pst_buf_append_c(out, "]\n");
}

/* Collects exportable denies for op and writes a comment for each that is
 * left to postern alone. */
static pst_status denies(const policy *p, policy_op op, const char *inbox, strset *out,
                         pst_buf *notes)
{
    const char *opname = op == POLICY_PUBLISH ? "publish" : "subscribe";
    for (size_t i = 0; i < p->nroles; i++) {
        const pol_patterns *ps = &p->roles[i].nats[op][POL_DENY];
        for (size_t k = 0; k < ps->n; k++) {
            const char *d = ps->v[k], *why = NULL, *by = NULL;
            bool t;
            policy_pattern_check(d, &t);
            if (t)
                why = "it has a claim template";
            else if (op == POLICY_SUBSCRIBE && policy_subject_overlap(d, inbox))
                why = "it overlaps the reply inbox";
            else if (deny_breaker(p, op, d, &by) != PST_OK)
                return PST_ERROR;
            else if (by)
                why = "another role allows subjects it covers: role";
            pst_status st =
                why ? pst_buf_appendf(notes,
                                      "# %s deny \"%s\" of role %s is enforced "
                                      "by postern only: %s%s%s\n",
                                      opname, d, p->roles[i].name, why, by ? " " : "", by ? by : "")
                    : set_add(out, d, strlen(d));
            if (st != PST_OK)
                return PST_ERROR;
        }
    }
    set_sort(out);
    return PST_OK;
}

static pst_status section(const policy *p, policy_op op, const char *inbox, pst_buf *out,
                          pst_buf *notes)
{
    strset al = {0}, de = {0};
    pst_status st = allows(p, op, &al);
    if (st == PST_OK && op == POLICY_SUBSCRIBE && (st = set_add(&al, inbox, strlen(inbox))) == 0)
        set_sort(&al);
    if (st == PST_OK)
        st = denies(p, op, inbox, &de, notes);
    /* nats-server reads an empty allow list as "allow everything" */
    if (st == PST_OK && al.n == 0)
        st = set_add(&de, ">", 1);
    if (st == PST_OK)
        st =
            pst_buf_appendf(out, "        %s: {\n", op == POLICY_PUBLISH ? "publish" : "subscribe");
    if (st == PST_OK && al.n)
        st = list(out, "          ", "allow", &al);
    if (st == PST_OK && de.n)
        st = list(out, "          ", "deny", &de);
    if (st == PST_OK)
        st = pst_buf_append_c(out, "        }\n");
    set_free(&al);
    set_free(&de);
    return st;
}

pst_status policy_export_nats(const policy *p, const char *user, const char *password,
                              const char *inbox_prefix, pst_buf *out)
{
    pst_buf inbox = {0}, notes = {0}, body = {0};
    size_t start = out->len;
    pst_status st = pst_buf_appendf(&inbox, "%s.>", inbox_prefix ? inbox_prefix : "_INBOX");
    if (st == PST_OK && pst_buf_cstr(&inbox)) {
        st = section(p, POLICY_PUBLISH, inbox.p, &body, &notes);
        if (st == PST_OK)
            st = section(p, POLICY_SUBSCRIBE, inbox.p, &body, &notes);
    } else {
        st = PST_ERROR;
    }
    if (st == PST_OK)
        st = pst_buf_appendf(out,
                             "# NATS permissions for postern's own user, generated from %s.\n"
                             "# Claim templates ({{ claims.* }}) are widened to '*' (any one "
                             "token):\n# postern itself narrows them per request.\n"
                             "# Replies arrive on %s; postern publishes no replies itself.\n",
                             p->file ? p->file : "the policy", inbox.p);
    if (st == PST_OK && notes.len)
        st = pst_buf_append(out, notes.p, notes.len);
    if (st == PST_OK)
        st = pst_buf_append_c(out, "authorization {\n  users = [\n    {\n      user: ");
    if (st == PST_OK)
        st = pst_buf_append_json_str(out, user, strlen(user));
    if (st == PST_OK)
        st = pst_buf_append_c(out, "\n      password: ");
    /* "$NAME" stays a bare variable reference: nats-server reads it from the
     * environment and refuses to start when it is unset (fails closed) */
    if (st == PST_OK && password[0] == '$')
        st = pst_buf_append_c(out, password);
    else if (st == PST_OK)
        st = pst_buf_append_json_str(out, password, strlen(password));
    if (st == PST_OK)
        st = pst_buf_append_c(out, "\n      permissions: {\n");
    if (st == PST_OK)
        st = pst_buf_append(out, body.p, body.len);
    if (st == PST_OK)
        st = pst_buf_append_c(out, "      }\n    }\n  ]\n}\n");
    pst_buf_free(&inbox);
    pst_buf_free(&notes);
    pst_buf_free(&body);
    if (st != PST_OK)
        pst_buf_truncate(out, start);
    return st;
}
