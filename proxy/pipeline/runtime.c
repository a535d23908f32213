#include "pipeline/runtime.h"

#include <stdio.h>
#include <string.h>

#include "common/log.h"
#include "common/mem.h"
#include "http/server.h"
#include "pipeline/admin.h"
#include "pipeline/authn.h"
#include "pipeline/authz.h"
#include "pipeline/request.h"

#define DOC_CACHE_ENTRIES 1024

static pst_status compile_one(pipe_runtime *rt, const gql_field *f, pipe_mapping *m,
                              pst_diags *diags)
{
    const char *err = NULL;
    m->def = f;
    m->timeout_ms = f->nats.timeout_ms ? f->nats.timeout_ms : rt->cfg->nats.request_timeout_ms;
    if (f->nats.kind == GQL_NATS_SUBSCRIBE) {
        m->n_subjects = f->nats.n_subjects;
        m->subjects = pst_arena_calloc(rt->arena, (m->n_subjects + 1) * sizeof(*m->subjects));
        if (!m->subjects)
            return PST_ERROR;
        for (size_t i = 0; i < m->n_subjects; i++) {
            m->subjects[i] = nats_template_compile(rt->arena, f->nats.subjects[i], &err);
            if (!m->subjects[i])
                pst_diags_add(diags, rt->cfg->schema, f->line, f->col, "%s: subject \"%s\": %s",
                              f->coordinate, f->nats.subjects[i], err ? err : "out of memory");
        }
        return PST_OK;
    }
    m->subject = nats_template_compile(rt->arena, f->nats.subject, &err);
    if (!m->subject)
        pst_diags_add(diags, rt->cfg->schema, f->line, f->col, "%s: subject \"%s\": %s",
                      f->coordinate, f->nats.subject, err ? err : "out of memory");
    return PST_OK;
}

/* Compiles every root field's subject templates once, at load. The slots
 * follow the root types' field arrays, so a lookup is an index. */
static pst_status compile_mappings(pipe_runtime *rt, pst_diags *diags)
{
    gql_type *roots[3] = {rt->schema->query, rt->schema->mutation, rt->schema->subscription};
    size_t n = 0;
    for (int i = 0; i < 3; i++) {
        rt->root_slot[i] = n;
        n += roots[i] ? roots[i]->n_fields : 0;
    }
    rt->mappings = pst_arena_calloc(rt->arena, (n ? n : 1) * sizeof(pipe_mapping));
    if (!rt->mappings)
        return PST_ERROR;
    size_t before = diags->count;
    for (int i = 0; i < 3; i++) {
        for (size_t j = 0; roots[i] && j < roots[i]->n_fields; j++) {
            const gql_field *f = &roots[i]->fields[j];
            if (f->nats.kind == GQL_NATS_NONE)
                continue;
            if (compile_one(rt, f, &rt->mappings[rt->root_slot[i] + j], diags) != PST_OK)
                return PST_ERROR;
            rt->n_mappings++;
        }
    }
    return diags->count == before ? PST_OK : PST_ERROR;
}

const pipe_mapping *pipe_runtime_mapping(const pipe_runtime *rt, const gql_field *def)
{
    const gql_type *owner = def->owner;
    gql_type *roots[3] = {rt->schema->query, rt->schema->mutation, rt->schema->subscription};
    for (int i = 0; i < 3; i++) {
        if (owner != roots[i])
            continue;
        size_t j = (size_t)(def - owner->fields);
        const pipe_mapping *m = &rt->mappings[rt->root_slot[i] + j];
        return j < owner->n_fields && m->def == def ? m : NULL;
    }
    return NULL;
}

/* The identity key is parsed once here: signing per message must not
 * re-read it (SPEC §7, issue 5). */
static pst_status load_identity(pipe_runtime *rt, pst_diags *diags)
{
    const cfg_identity *id = &rt->cfg->identity;
    if (id->algorithm != CFG_ALG_ES256 && id->algorithm != CFG_ALG_RS256) {
        pst_diags_add(diags, rt->cfg->source, 0, 0,
                      "identity.algorithm: postern signs with ES256 or RS256 only");
        return PST_ERROR;
    }
    audit_jws_alg alg = id->algorithm == CFG_ALG_RS256 ? AUDIT_JWS_RS256 : AUDIT_JWS_ES256;
    const char *why = NULL;
    rt->identity = id->signing_key ? audit_signer_load_pem(id->signing_key, alg, &why)
                                   : audit_signer_generate(alg, &why);
    if (!rt->identity) {
        pst_diags_add(diags, id->signing_key ? id->signing_key : rt->cfg->source, 0, 0,
                      "identity.signing_key: %s", why ? why : "out of memory");
        return PST_ERROR;
    }
    return PST_OK;
}

pst_status pipe_runtime_load(pipe_runtime *rt, cfg_config *cfg, pst_diags *diags)
{
    memset(rt, 0, sizeof(*rt));
    pthread_mutex_init(&rt->policy_mu, NULL);
    rt->cfg = cfg;
    rt->arena = pst_arena_create(16384);
    if (!rt->arena)
        return PST_ERROR;
    snprintf(rt->instance, sizeof(rt->instance), "%s", cfg->instance_id ? cfg->instance_id : "");
    rt->schema = gql_schema_load_file(cfg->schema, diags);
    if (!rt->schema)
        return PST_ERROR;
    if (compile_mappings(rt, diags) != PST_OK)
        return PST_ERROR;
    if (load_identity(rt, diags) != PST_OK)
        return PST_ERROR;
    if (pipe_policy_load(rt, diags) != PST_OK)
        return PST_ERROR;
    const char *why = NULL;
    if (pipe_authn_create(rt, &why) != PST_OK) {
        pst_diags_add(diags, cfg->source, 0, 0, "oidc: %s", why ? why : "out of memory");
        return PST_ERROR;
    }
    if (cfg->introspection) {
        rt->intro = gql_introspection_build(rt->schema);
        if (!rt->intro) {
            pst_diags_add(diags, cfg->schema, 0, 0, "out of memory building introspection");
            return PST_ERROR;
        }
    }
    return PST_OK;
}

static int loop_init(struct event_base *base, int worker, void *ud, void **loop_ud)
{
    pipe_runtime *rt = ud;
    pipe_loop *L = pst_calloc(1, sizeof(*L));
    if (!L)
        return -1;
    L->rt = rt;
    L->base = base;
    L->index = worker;
    const cfg_limits *lim = &rt->cfg->limits;
    pipe_doc_cache_opts o = {
        .max_entries = DOC_CACHE_ENTRIES,
        .max_tokens = (uint32_t)lim->max_tokens,
        .vlim = {.max_depth = (uint32_t)lim->max_depth,
                 .max_aliases = (uint32_t)lim->max_aliases,
                 .max_root_fields = (uint32_t)lim->max_root_fields,
                 .introspection = rt->cfg->introspection},
    };
    L->docs = pipe_doc_cache_create(rt->schema, &o);
    L->nats = L->docs ? nats_bridge_attach(rt->bridge, base) : NULL;
    if (!L->nats) {
        pipe_doc_cache_free(L->docs);
        pst_free(L);
        return -1;
    }
    *loop_ud = L;
    return 0;
}

static void loop_fini(struct event_base *base, int worker, void *ud, void *loop_ud)
{
    (void)base;
    (void)worker;
    (void)ud;
    pipe_loop *L = loop_ud;
    nats_loop_detach(L->nats);
    pipe_doc_cache_free(L->docs);
    pst_free(L);
}

static void on_nats_state(nats_conn_state state, void *ud)
{
    (void)ud;
    static const char *names[] = {"connected", "disconnected", "closed"};
    pst_log(state == NATS_STATE_CONNECTED ? PST_LOG_INFO : PST_LOG_WARN, "nats %s", names[state]);
}

static pst_status start_nats(pipe_runtime *rt, const char **error)
{
    const cfg_nats *n = &rt->cfg->nats;
    nats_bridge_opts o = {
        .servers = n->servers,
        .n_servers = n->n_servers,
        .name = n->name,
        .credentials_file = n->credentials,
        .user = n->user,
        .password = n->password,
        .token = n->token,
        .tls_ca = n->tls.ca,
        .tls_cert = n->tls.cert,
        .tls_key = n->tls.key,
        .on_state = on_nats_state,
        /* each loop writes what it buffered once per iteration: measured the
         * fastest (bench/run: ~7.4k vs ~5.3k requests/s with the I/O thread) */
        .flush = NATS_FLUSH_LOOP,
    };
    rt->bridge = nats_bridge_create(&o, error);
    return rt->bridge ? PST_OK : PST_ERROR;
}

static pst_status start_http(pipe_runtime *rt, const char **error)
{
    const cfg_config *c = rt->cfg;
    http_server_opts o;
    http_server_opts_init(&o);
    o.listen = c->listen.text;
    o.workers = c->workers > 0 ? c->workers : 1;
    o.max_body_bytes = c->limits.max_body_bytes;
    o.max_connections = c->limits.max_connections;
    o.header_timeout_ms = c->limits.header_timeout_ms;
    o.idle_timeout_ms = c->limits.idle_timeout_ms;
    o.handler = pipe_request_handle;
    o.ud = rt;
    o.loop_init = loop_init;
    o.loop_fini = loop_fini;
    rt->http = http_server_start(&o, error);
    if (!rt->http)
        return PST_ERROR;
    rt->admin = pipe_admin_start(rt, error);
    return rt->admin ? PST_OK : PST_ERROR;
}

pst_status pipe_runtime_start(pipe_runtime *rt, const char **error)
{
    if (nats_threads_init() != PST_OK) {
        *error = "cannot make libevent thread-aware";
        return PST_ERROR;
    }
    if (rt->auth && auth_ctx_start(rt->auth) != PST_OK) {
        *error = "cannot start the JWKS fetchers";
        return PST_ERROR;
    }
    if (start_nats(rt, error) != PST_OK)
        return PST_ERROR;
    if (start_http(rt, error) != PST_OK)
        return PST_ERROR;
    pst_log(PST_LOG_INFO, "postern listening on %s (admin %s), %d workers, instance %s",
            rt->cfg->listen.text, rt->cfg->admin_listen.text, http_server_workers(rt->http),
            rt->instance);
    return PST_OK;
}

void pipe_runtime_stop(pipe_runtime *rt)
{
    if (atomic_exchange(&rt->stopped, true))
        return;
    if (rt->http) {
        pst_log(PST_LOG_INFO, "stopping: finishing requests in flight (grace %lldms)",
                (long long)rt->cfg->shutdown_grace_ms);
        http_server_stop(rt->http, rt->cfg->shutdown_grace_ms);
    }
    if (rt->admin)
        http_server_stop(rt->admin, 0);
}

void pipe_runtime_free(pipe_runtime *rt)
{
    pipe_runtime_stop(rt);
    http_server_free(rt->http);
    http_server_free(rt->admin);
    rt->http = rt->admin = NULL;
    nats_bridge_destroy(rt->bridge);
    rt->bridge = NULL;
    auth_ctx_destroy(rt->auth);
    rt->auth = NULL;
    pipe_policy_free(rt);
    audit_signer_free(rt->identity);
    gql_introspection_free(rt->intro);
    gql_schema_free(rt->schema);
    pst_arena_destroy(rt->arena);
    cfg_free(rt->cfg);
    memset(rt, 0, sizeof(*rt));
}
