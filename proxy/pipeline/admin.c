#include "pipeline/admin.h"

#include <stdio.h>
#include <string.h>

static void respond_json(http_request *req, int status, const char *body)
{
    http_header h = {PST_STR_LIT("Content-Type"), PST_STR_LIT("application/json")};
    http_respond(req, status, &h, 1, body, strlen(body));
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
        bool nats = nats_bridge_connected(rt->bridge);
        if (nats)
            respond_json(req, 200, "{\"status\":\"ready\"}");
        else
            respond_json(req, 503,
                         "{\"status\":\"not ready\",\"reasons\":[\"nats: not connected\"]}");
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
