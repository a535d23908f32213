#include "pipeline/authz.h"

#include <pthread.h>
#include <string.h>
#include <sys/stat.h>

#include "common/log.h"
#include "graphql/walk.h"
#include "pipeline/exec.h"

static bool has_coordinate(void *ud, const char *type, const char *field)
{
    const gql_schema *s = ud;
    gql_type *t = gql_schema_type(s, pst_str_c(type));
    if (!t)
        return false;
    if (!field)
        return true;
    return gql_type_field(t, pst_str_c(field)) != NULL;
}

static void remember_stat(pipe_runtime *rt)
{
    struct stat st;
    if (stat(rt->cfg->policy, &st) == 0) {
        rt->policy_dev = st.st_dev;
        rt->policy_ino = st.st_ino;
        rt->policy_size = st.st_size;
        rt->policy_mtime = st.st_mtim;
    }
}

pst_status pipe_policy_load(pipe_runtime *rt, pst_diags *diags)
{
    if (!rt->cfg->policy) {
        /* without a policy every root field would be open: refuse to run */
        pst_diags_add(diags, rt->cfg->source, 0, 0,
                      "policy: no policy is configured; set `policy:` to a policy file "
                      "(see policy/examples/policy.yaml and docs/policy.md)");
        return PST_ERROR;
    }
    policy_schema_check chk = {has_coordinate, rt->schema};
    remember_stat(rt);
    rt->policy = policy_load_file(rt->cfg->policy, &chk, diags);
    return rt->policy ? PST_OK : PST_ERROR;
}

policy *pipe_policy_acquire(pipe_runtime *rt)
{
    pthread_mutex_lock(&rt->policy_mu);
    policy *p = rt->policy ? policy_ref(rt->policy) : NULL;
    pthread_mutex_unlock(&rt->policy_mu);
    return p;
}

bool pipe_policy_file_changed(pipe_runtime *rt)
{
    struct stat st;
    if (!rt->cfg->policy || stat(rt->cfg->policy, &st) != 0)
        return false;
    return st.st_dev != rt->policy_dev || st.st_ino != rt->policy_ino ||
           st.st_size != rt->policy_size || st.st_mtim.tv_sec != rt->policy_mtime.tv_sec ||
           st.st_mtim.tv_nsec != rt->policy_mtime.tv_nsec;
}

pst_status pipe_policy_reload(pipe_runtime *rt)
{
    if (!rt->cfg->policy)
        return PST_OK;
    pst_diags diags = PST_DIAGS_INIT;
    policy_schema_check chk = {has_coordinate, rt->schema};
    remember_stat(rt);
    policy *p = policy_load_file(rt->cfg->policy, &chk, &diags);
    if (!p) {
        atomic_fetch_add(&rt->policy_reload_failures, 1);
        for (pst_diag *d = diags.first; d; d = d->next)
            pst_log(PST_LOG_ERROR, "policy reload failed, previous policy stays: %s:%u:%u: %s",
                    d->file ? d->file : rt->cfg->policy, d->line, d->col, d->message);
        pst_diags_free(&diags);
        return PST_ERROR;
    }
    pst_diags_free(&diags);
    pthread_mutex_lock(&rt->policy_mu);
    policy *old = rt->policy;
    rt->policy = p;
    pthread_mutex_unlock(&rt->policy_mu);
    policy_unref(old); /* requests still holding it finish under it */
    atomic_fetch_add(&rt->policy_reloads, 1);
    pst_log(PST_LOG_INFO, "policy reloaded from %s (%zu roles)", rt->cfg->policy,
            policy_role_count(p));
    return PST_OK;
}

void pipe_policy_free(pipe_runtime *rt)
{
    policy_unref(rt->policy);
    rt->policy = NULL;
    pthread_mutex_destroy(&rt->policy_mu);
}

static void unref_policy(void *p)
{
    policy_unref(p);
}

pst_status pipe_authz_begin(pipe_req *r)
{
    r->pol = pipe_policy_acquire(r->loop->rt);
    if (!r->pol)
        return PST_OK;
    if (pst_arena_cleanup(r->arena, unref_policy, r->pol) != PST_OK) {
        policy_unref(r->pol);
        r->pol = NULL;
        return PST_ERROR;
    }
    json_t *claims = r->who && !r->who->anonymous ? r->who->claims : NULL;
    if (policy_bind(r->pol, claims, r->arena, &r->pr) != PST_OK)
        return PST_ERROR;
    pst_buf b = {0};
    policy_principal_roles_join(r->pr, &b);
    r->roles = b.failed ? NULL : pst_arena_strndup(r->arena, b.p ? b.p : "", b.len);
    pst_buf_free(&b);
    return r->roles ? PST_OK : PST_ERROR;
}

/* Splits "Type.field" into NUL-terminated parts in buf. */
static bool split_coordinate(const char *coord, char *buf, size_t size, const char **field)
{
    size_t n = strlen(coord);
    const char *dot = strchr(coord, '.');
    if (!dot || n >= size)
        return false;
    memcpy(buf, coord, n + 1);
    buf[dot - coord] = '\0';
    *field = buf + (dot - coord) + 1;
    return true;
}

static pst_status decide(pipe_req *r, const gql_field *def, bool root, policy_decision *d)
{
    char buf[512];
    const char *field;
    if (!split_coordinate(def->coordinate, buf, sizeof(buf), &field))
        return PST_DENIED;
    return policy_decide_field(r->pr, buf, field, root, d);
}

pst_status pipe_authz_root(pipe_req *r, const gql_field *def, policy_decision *d)
{
    if (!r->pr) {
        memset(d, 0, sizeof(*d));
        return PST_OK;
    }
    return decide(r, def, true, d);
}

pst_status pipe_authz_subject(pipe_req *r, const char *subject, policy_decision *d)
{
    if (!r->pr) {
        memset(d, 0, sizeof(*d));
        return PST_OK;
    }
    return policy_decide_subject(r->pr, POLICY_PUBLISH, subject, d);
}

pst_status pipe_authz_field_allowed(void *ud, const gql_field *def, const char *path_json)
{
    (void)path_json;
    pipe_req *r = ud;
    policy_decision d;
    return r->pr ? decide(r, def, false, &d) : PST_OK;
}

typedef struct {
    pipe_req *r;
    const char *denied;
} walk_state;

static pst_status on_field(void *ud, const gql_type *parent, const gql_field *def,
                           const gql_node *node, bool is_root)
{
    (void)parent;
    (void)node;
    walk_state *w = ud;
    policy_decision d;
    if (decide(w->r, def, is_root, &d) == PST_DENIED) {
        w->denied = def->coordinate;
        return PST_ERROR; /* the first denial decides the refusal */
    }
    return PST_OK;
}

pst_status pipe_authz_operation(pipe_req *r, const char **denied)
{
    if (!r->pr)
        return PST_OK;
    walk_state w = {r, NULL};
    pst_status s =
        gql_walk_operation(r->loop->rt->schema, r->doc->root, r->op, r->vars, on_field, &w);
    if (w.denied) {
        *denied = w.denied;
        return PST_DENIED;
    }
    return s;
}
