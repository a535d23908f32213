#include "http/graphql_http.h"

#include <stdio.h>
#include <string.h>

#include "http/parser.h"
#include "http/server_internal.h"

/* ---- media types ---- */

static pst_str trim(pst_str s)
{
    while (s.n && (s.p[0] == ' ' || s.p[0] == '\t')) {
        s.p++;
        s.n--;
    }
    while (s.n && (s.p[s.n - 1] == ' ' || s.p[s.n - 1] == '\t'))
        s.n--;
    return s;
}

/* Cuts s at the first `sep`: returns the part before, leaves the rest in *s
 * (empty when there was no separator). */
static pst_str cut(pst_str *s, char sep)
{
    const char *p = s->n ? memchr(s->p, sep, s->n) : NULL;
    pst_str head = {s->p, p ? (size_t)(p - s->p) : s->n};
    if (p) {
        s->n -= head.n + 1;
        s->p = p + 1;
    } else {
        s->p += s->n;
        s->n = 0;
    }
    return head;
}

static pst_str unquote(pst_str v)
{
    if (v.n >= 2 && v.p[0] == '"' && v.p[v.n - 1] == '"')
        return (pst_str){v.p + 1, v.n - 2};
    return v;
}

/* Parses "q=0.5" into thousandths; -1 when malformed. */
static int parse_q(pst_str v)
{
    if (v.n == 0 || v.n > 5 || (v.p[0] != '0' && v.p[0] != '1'))
        return -1;
    int q = (v.p[0] - '0') * 1000, scale = 100;
    if (v.n > 1) {
        if (v.p[1] != '.')
            return -1;
        for (size_t i = 2; i < v.n; i++, scale /= 10) {
            if (v.p[i] < '0' || v.p[i] > '9')
                return -1;
            q += (v.p[i] - '0') * scale;
        }
    }
    return q > 1000 ? -1 : q;
}

typedef struct {
    int q;    /* thousandths; -1 when no range matched */
    int spec; /* 3 exact, 2 type wildcard, 1 full wildcard */
} match;

static void consider(match *m, int spec, int q)
{
    if (spec > m->spec) {
        m->spec = spec;
        m->q = q;
    }
}

/* Reads one media range's parameters: its q (1000 by default), or -1 when
 * a parameter is malformed or the charset is not UTF-8. */
static int range_params(pst_str params)
{
    int q = 1000;
    while (params.n) {
        pst_str p = trim(cut(&params, ';'));
        pst_str name = trim(cut(&p, '='));
        pst_str value = unquote(trim(p));
        if (pst_str_ieq_c(name, "q")) {
            if ((q = parse_q(value)) < 0)
                return -1;
        } else if (pst_str_ieq_c(name, "charset") && !pst_str_ieq_c(value, "utf-8")) {
            return -1;
        }
    }
    return q;
}

int http_gql_negotiate(pst_str accept, http_gql_media *out)
{
    accept = trim(accept);
    if (!accept.p || accept.n == 0) {
        *out = HTTP_GQL_MEDIA_JSON;
        return 0;
    }
    match gr = {-1, 0}, js = {-1, 0};
    while (accept.n) {
        pst_str range = cut(&accept, ',');
        pst_str type = trim(cut(&range, ';'));
        int q = range_params(range);
        if (q < 0 || type.n == 0)
            continue;
        if (pst_str_ieq_c(type, "*/*")) {
            consider(&gr, 1, q);
            consider(&js, 1, q);
        } else if (pst_str_ieq_c(type, "application/*")) {
            consider(&gr, 2, q);
            consider(&js, 2, q);
        } else if (pst_str_ieq_c(type, "application/graphql-response+json")) {
            consider(&gr, 3, q);
        } else if (pst_str_ieq_c(type, "application/json")) {
            consider(&js, 3, q);
        }
    }
    if (gr.q <= 0 && js.q <= 0)
        return -1;
    if (gr.q != js.q)
        *out = gr.q > js.q ? HTTP_GQL_MEDIA_GRAPHQL_RESPONSE_JSON : HTTP_GQL_MEDIA_JSON;
    else
        *out = gr.spec == 3 ? HTTP_GQL_MEDIA_GRAPHQL_RESPONSE_JSON : HTTP_GQL_MEDIA_JSON;
    return 0;
}

int http_gql_status_for_request_error(http_gql_media media)
{
    return media == HTTP_GQL_MEDIA_GRAPHQL_RESPONSE_JSON ? 400 : 200;
}

const char *http_gql_content_type(http_gql_media media)
{
    return media == HTTP_GQL_MEDIA_GRAPHQL_RESPONSE_JSON
               ? "application/graphql-response+json; charset=utf-8"
               : "application/json; charset=utf-8";
}

/* application/json with no charset or charset=utf-8. */
static bool content_type_ok(pst_str ct)
{
    pst_str type = trim(cut(&ct, ';'));
    if (!pst_str_ieq_c(type, "application/json"))
        return false;
    while (ct.n) {
        pst_str p = trim(cut(&ct, ';'));
        pst_str name = trim(cut(&p, '='));
        if (pst_str_ieq_c(name, "charset") && !pst_str_ieq_c(unquote(trim(p)), "utf-8"))
            return false;
    }
    return true;
}

/* ---- errors ---- */

static int fail(http_gql_error *err, int status, const char *code, const char *message)
{
    err->status = status;
    err->code = code;
    err->message = message;
    err->allow = NULL;
    return -1;
}

static int request_error(http_gql_error *err, const char *message)
{
    return fail(err, http_gql_status_for_request_error(err->media), "BAD_REQUEST", message);
}

pst_status http_gql_error_body(pst_buf *b, const char *message, const char *code)
{
    return http_error_json(b, message, code);
}

void http_gql_method_not_allowed_for_mutation(http_gql_media media, http_gql_error *err)
{
    err->media = media;
    fail(err, 405, "METHOD_NOT_ALLOWED", "mutations are not allowed over GET; use POST");
    err->allow = "POST";
}

void http_gql_respond_error(http_request *req, const http_gql_error *err)
{
    pst_buf body = {0};
    http_gql_error_body(&body, err->message, err->code);
    http_header hdrs[2] = {
        {PST_STR_LIT("Content-Type"), pst_str_c(http_gql_content_type(err->media))},
        {PST_STR_LIT("Allow"), pst_str_c(err->allow)},
    };
    if (body.failed)
        http_respond(req, 500, NULL, 0, NULL, 0);
    else
        http_respond(req, err->status, hdrs, err->allow ? 2 : 1, body.p, body.len);
    pst_buf_free(&body);
}

/* ---- parameters ---- */

static void json_cleanup(void *p)
{
    json_decref(p);
}

/* Parses JSON text, registering its release on the arena. NULL on error
 * (message in *why, allocated from a). */
static json_t *load_json(const char *p, size_t n, pst_arena *a, const char *what, const char **why)
{
    json_error_t je;
    json_t *j = json_loadb(p, n, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &je);
    if (!j) {
        char msg[256 + JSON_ERROR_TEXT_LENGTH];
        snprintf(msg, sizeof(msg), "%s is not valid JSON: %s (line %d, column %d)", what, je.text,
                 je.line, je.column);
        *why = pst_arena_strndup(a, msg, strlen(msg));
        if (!*why)
            *why = "invalid JSON";
        return NULL;
    }
    if (pst_arena_cleanup(a, json_cleanup, j) != PST_OK) {
        json_decref(j);
        *why = NULL;
        return NULL;
    }
    return j;
}

/* variables / extensions: an object or null (NULL); -1 on another type. */
static int object_or_null(json_t *v, json_t **out)
{
    if (!v || json_is_null(v)) {
        *out = NULL;
        return 0;
    }
    if (!json_is_object(v))
        return -1;
    *out = v;
    return 0;
}

static int parse_post(const http_request *req, pst_arena *a, http_gql_params *out,
                      http_gql_error *err)
{
    pst_str ct = http_request_header(req, "content-type");
    if (!ct.p || !content_type_ok(ct))
        return fail(err, 415, "UNSUPPORTED_MEDIA_TYPE",
                    "Content-Type must be application/json (UTF-8)");
    if (req->body.n == 0)
        return request_error(err, "the request body is missing");
    if (!pst_utf8_valid(req->body.p, req->body.n))
        return request_error(err, "the request body is not valid UTF-8");
    const char *why;
    json_t *root = load_json(req->body.p, req->body.n, a, "the request body", &why);
    if (!root)
        return why ? request_error(err, why)
                   : fail(err, 500, "INTERNAL_SERVER_ERROR", "out of memory");
    if (!json_is_object(root))
        return request_error(err, "the request body must be a JSON object");
    json_t *q = json_object_get(root, "query");
    if (!q || json_is_null(q))
        return request_error(err, "the query parameter is missing");
    if (!json_is_string(q))
        return request_error(err, "the query parameter must be a string");
    out->query = (pst_str){json_string_value(q), json_string_length(q)};
    json_t *op = json_object_get(root, "operationName");
    if (op && json_is_string(op) && json_string_length(op))
        out->operation_name = (pst_str){json_string_value(op), json_string_length(op)};
    else if (op && !json_is_null(op) && !json_is_string(op))
        return request_error(err, "operationName must be a string or null");
    if (object_or_null(json_object_get(root, "variables"), &out->variables))
        return request_error(err, "variables must be an object or null");
    if (object_or_null(json_object_get(root, "extensions"), &out->extensions))
        return request_error(err, "extensions must be an object or null");
    return 0;
}

/* One GET parameter, decoded and checked to be UTF-8. 1 found, 0 absent, -1 error. */
static int get_param(pst_str query, const char *name, pst_arena *a, pst_str *out,
                     http_gql_error *err)
{
    if (http_query_param_count(query, name) > 1)
        return request_error(err, "a GraphQL parameter is given more than once");
    pst_status st = http_query_param(query, name, a, out);
    if (st == PST_DECLINED)
        return 0;
    if (st != PST_OK && http_form_valid(query))
        return fail(err, 500, "INTERNAL_SERVER_ERROR", "out of memory");
    if (st != PST_OK)
        return request_error(err, "invalid percent-encoding in the query string");
    if (!pst_utf8_valid(out->p, out->n))
        return request_error(err, "the query string is not valid UTF-8");
    return 1;
}

static int get_json_param(pst_str query, const char *name, pst_arena *a, json_t **out,
                          http_gql_error *err)
{
    pst_str v;
    int rc = get_param(query, name, a, &v, err);
    if (rc <= 0 || v.n == 0)
        return rc;
    const char *why;
    json_t *j = load_json(v.p, v.n, a, name, &why);
    if (!j)
        return why ? request_error(err, why)
                   : fail(err, 500, "INTERNAL_SERVER_ERROR", "out of memory");
    if (object_or_null(j, out))
        return request_error(err, strcmp(name, "variables") == 0
                                      ? "variables must be a JSON object or null"
                                      : "extensions must be a JSON object or null");
    return 1;
}

static int parse_get(const http_request *req, pst_arena *a, http_gql_params *out,
                     http_gql_error *err)
{
    pst_str qs = req->query, v;
    int rc = get_param(qs, "query", a, &v, err);
    if (rc < 0)
        return -1;
    if (rc == 0)
        return request_error(err, "the query parameter is missing");
    out->query = v;
    if ((rc = get_param(qs, "operationName", a, &v, err)) < 0)
        return -1;
    if (rc && v.n)
        out->operation_name = v;
    if (get_json_param(qs, "variables", a, &out->variables, err) < 0 ||
        get_json_param(qs, "extensions", a, &out->extensions, err) < 0)
        return -1;
    return 0;
}

int http_gql_parse(const http_request *req, pst_arena *a, http_gql_params *out, http_gql_error *err)
{
    memset(out, 0, sizeof(*out));
    memset(err, 0, sizeof(*err));
    http_gql_media media = HTTP_GQL_MEDIA_JSON;
    bool acceptable = http_gql_negotiate(http_request_header(req, "accept"), &media) == 0;
    err->media = out->media = media;
    if (!pst_str_eq_c(req->path, "/graphql"))
        return fail(err, 404, "NOT_FOUND", "not found; GraphQL is served at /graphql");
    bool get = pst_str_eq_c(req->method, "GET"), post = pst_str_eq_c(req->method, "POST");
    if (!get && !post) {
        fail(err, 405, "METHOD_NOT_ALLOWED", "only GET and POST are allowed");
        err->allow = "GET, POST";
        return -1;
    }
    if (!acceptable)
        return fail(err, 406, "NOT_ACCEPTABLE",
                    "Accept must allow application/graphql-response+json or application/json");
    out->is_get = get;
    return get ? parse_get(req, a, out, err) : parse_post(req, a, out, err);
}
