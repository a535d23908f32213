#include "pipeline/admin.h"

#include <stdio.h>
#include <string.h>

static void respond_json(http_request *req, int status, const char *body)
{
    http_header h = {PST_STR_LIT("Content-Type"), PST_STR_LIT("application/json")};
    http_respond(req, status, &h, 1, body, strlen(body));
}

/* 200 only with NATS connected and every issuer's keys loaded (schema and
 * policy are loaded before the listener starts); else 503 with reasons. */
static void respond_ready(http_request *req, pipe_runtime *rt)
{
    pst_buf b = {0};
    int n = 0;
    pst_buf_append_c(&b, "{\"status\":\"not ready\",\"reasons\":[");
    if (atomic_load(&rt->stopped)) { /* draining: take this pod out of rotation */
        pst_buf_append_c(&b, "\"shutting down\"");
        n++;
    }
    if (!nats_bridge_connected(rt->bridge)) {
        if (n)
            pst_buf_append_char(&b, ',');
        pst_buf_append_c(&b, "\"nats: not connected\"");
        n++;
    }
    const char *issuer = rt->auth ? auth_unready_issuer(rt->auth) : NULL;
    if (issuer) {
        char msg[600];
        snprintf(msg, sizeof(msg), "oidc: no keys yet from %s", issuer);
        if (n++)
            pst_buf_append_char(&b, ',');
        pst_buf_append_json_str(&b, msg, strlen(msg));
    }
    pst_buf_append_c(&b, "]}");
    if (n == 0)
        respond_json(req, 200, "{\"status\":\"ready\"}");
    else
        respond_json(req, 503, b.failed ? "{\"status\":\"not ready\"}" : pst_buf_cstr(&b));
    pst_buf_free(&b);
}

static void respond_metrics(http_request *req, pipe_runtime *rt)
{
    pst_buf b = {0};
    if (pipe_metrics_write(rt, &b) != PST_OK) {
        respond_json(req, 500, "{\"error\":\"out of memory\"}");
    } else {
        http_header h = {PST_STR_LIT("Content-Type"),
                         PST_STR_LIT("text/plain; version=0.0.4; charset=utf-8")};
        http_respond(req, 200, &h, 1, b.p, b.len);
    }
    pst_buf_free(&b);
}

/* The public identity key responders verify Postern-Identity with. */
static void respond_jwks(http_request *req, pipe_runtime *rt)
{
    const char *jwks = rt->identity ? audit_signer_jwks(rt->identity) : "{\"keys\":[]}";
    http_header h[2] = {{PST_STR_LIT("Content-Type"), PST_STR_LIT("application/jwk-set+json")},
                        {PST_STR_LIT("Cache-Control"), PST_STR_LIT("max-age=300")}};
    http_respond(req, 200, h, 2, jwks, strlen(jwks));
}

static void admin_handle(http_request *req, void *ud)
{
    pipe_runtime *rt = ud;
    if (!pst_str_eq_c(req->method, "GET")) {
        http_header h[2] = {{PST_STR_LIT("Allow"), PST_STR_LIT("GET")},
                            {PST_STR_LIT("Content-Type"), PST_STR_LIT("application/json")}};
        static const char body[] = "{\"error\":\"method not allowed\"}";
        http_respond(req, 405, h, 2, body, sizeof(body) - 1);
        return;
    }
    if (pst_str_eq_c(req->path, "/healthz")) {
        respond_json(req, 200, "{\"status\":\"ok\"}");
    } else if (pst_str_eq_c(req->path, "/readyz")) {
        respond_ready(req, rt);
    } else if (pst_str_eq_c(req->path, "/metrics")) {
        respond_metrics(req, rt);
    } else if (pst_str_eq_c(req->path, "/.well-known/jwks.json")) {
        respond_jwks(req, rt);
    } else {
        respond_json(req, 404, "{\"error\":\"not found\"}");
    }
}

http_server *pipe_admin_start(pipe_runtime *rt, const char **error)
{
    http_server_opts o;
    http_server_opts_init(&o);
    o.listen = rt->cfg->admin_listen.text;
    o.workers = 1;
    o.max_body_bytes = 4096;
    o.max_connections = 256;
    o.handler = admin_handle;
    o.ud = rt;
    return http_server_start(&o, error);
}
