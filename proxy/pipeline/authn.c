#include "pipeline/authn.h"

#include <string.h>

#include "common/log.h"
#include "common/mem.h"
#include "pipeline/access_log.h"
#include "pipeline/exec.h"

pst_status pipe_authn_create(pipe_runtime *rt, const char **error)
{
    const cfg_oidc *o = &rt->cfg->oidc;
    rt->n_token_sources = o->n_token_sources;
    rt->token_sources =
        pst_arena_calloc(rt->arena, (o->n_token_sources + 1) * sizeof(*rt->token_sources));
    if (!rt->token_sources)
        return PST_ERROR;
    for (size_t i = 0; i < o->n_token_sources; i++)
        rt->token_sources[i] =
            (auth_token_source){o->token_sources[i].header, o->token_sources[i].prefix};
    if (o->n_issuers == 0)
        return PST_OK;
    auth_issuer_opts *iss = pst_arena_calloc(rt->arena, o->n_issuers * sizeof(*iss));
    if (!iss)
        return PST_ERROR;
    for (size_t i = 0; i < o->n_issuers; i++) {
        const cfg_issuer *c = &o->issuers[i];
        const char **algs = pst_arena_calloc(rt->arena, 10 * sizeof(*algs));
        if (!algs)
            return PST_ERROR;
        size_t n_algs = 0;
        for (unsigned bit = 1; bit <= CFG_ALG_EDDSA; bit <<= 1)
            if (c->algorithms & bit)
                algs[n_algs++] = cfg_alg_name((cfg_alg)bit);
        iss[i] = (auth_issuer_opts){
            .issuer = c->issuer,
            .discovery = c->discovery,
            .jwks_uri = c->jwks_uri,
            .audiences = (const char **)c->audiences,
            .n_audiences = c->n_audiences,
            .algorithms = algs,
            .n_algorithms = n_algs,
            .leeway_ms = c->leeway_ms,
            .jwks_refresh_ms = c->jwks_refresh_ms,
            .jwks_min_refetch_ms = c->jwks_min_refetch_ms,
            .insecure = c->insecure,
        };
    }
    auth_opts ao = {iss, o->n_issuers, (size_t)o->token_cache};
    rt->auth = auth_ctx_create(&ao, error);
    return rt->auth ? PST_OK : PST_ERROR;
}

/* auth_extract_token reads headers as C strings: copy the view. */
static const char *get_header(void *ud, const char *name)
{
    pipe_req *r = ud;
    pst_str v = http_request_header(r->http, name);
    if (!v.p)
        return NULL;
    return pst_arena_strndup(r->arena, v.p, v.n);
}

static void respond_401(pipe_req *r, auth_reason why)
{
    pst_buf challenge = {0}, body = {0};
    auth_challenge(why, &challenge);
    const char *desc = why == AUTH_MISSING ? "Authentication required: send a bearer token."
                                           : auth_reason_description(why);
    http_gql_error_body(&body, desc, GQL_CODE_UNAUTHENTICATED);
    http_header h[3] = {
        {PST_STR_LIT("Content-Type"), pst_str_c(http_gql_content_type(r->params.media))},
        {PST_STR_LIT("X-Correlation-ID"), pst_str_c(r->corr)},
        {PST_STR_LIT("WWW-Authenticate"), {challenge.p, challenge.len}},
    };
    r->finished = true;
    pst_log(PST_LOG_INFO, "authentication refused: %s (corr %s)", auth_reason_name(why), r->corr);
    pipe_access_log(r, 401, 1);
    atomic_fetch_add(&r->loop->rt->auth_refused[why < AUTH_REASON_COUNT ? why : 0], 1);
    if (challenge.failed || body.failed)
        http_respond(r->http, 500, NULL, 0, "", 0);
    else
        http_respond(r->http, 401, h, 3, body.p, body.len);
    pst_buf_free(&challenge);
    pst_buf_free(&body);
}

pst_status pipe_authn_request(pipe_req *r)
{
    pipe_runtime *rt = r->loop->rt;
    const cfg_oidc *o = &rt->cfg->oidc;
    auth_reason why = AUTH_OK;
    const auth_token_source *src = rt->token_sources;
    if (!rt->auth) {
        /* no issuer configured: no token can be valid */
        pst_str token;
        if (auth_extract_token(src, rt->n_token_sources, get_header, r, &token) == PST_OK &&
            token.n) {
            respond_401(r, AUTH_BAD_ISSUER);
            return PST_DENIED;
        }
        if (!o->allow_anonymous) {
            respond_401(r, AUTH_MISSING);
            return PST_DENIED;
        }
        r->who = auth_principal_anonymous(r->arena);
        return r->who ? PST_OK : PST_ERROR;
    }
    pst_status s = auth_authenticate(rt->auth, src, rt->n_token_sources, get_header, r,
                                     o->allow_anonymous, r->arena, &r->who, &why);
    if (s == PST_DENIED) {
        respond_401(r, why);
        return PST_DENIED;
    }
    return s;
}
