#include "pipeline/request.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common/log.h"
#include "graphql/coerce.h"
#include "pipeline/access_log.h"
#include "pipeline/authn.h"
#include "pipeline/authz.h"
#include "pipeline/exec.h"

static void release_doc(void *d)
{
    pipe_doc_release(d);
}

static void free_buf(void *b)
{
    pst_buf_free(b);
}

static const char OOM_BODY[] = "{\"errors\":[{\"message\":\"out of memory\"}]}";

/* Sends the response with the headers every GraphQL response carries;
 * n_errors is the length of its "errors" array, for the access line. */
static void respond(pipe_req *r, int status, size_t n_errors, const http_header *extra,
                    size_t n_extra, const char *body, size_t len)
{
    http_header h[4];
    size_t n = 0;
    h[n++] = (http_header){PST_STR_LIT("Content-Type"),
                           pst_str_c(http_gql_content_type(r->params.media))};
    h[n++] = (http_header){PST_STR_LIT("X-Correlation-ID"), pst_str_c(r->corr)};
    for (size_t i = 0; i < n_extra && n < 4; i++)
        h[n++] = extra[i];
    r->finished = true;
    pipe_access_log(r, status, n_errors);
    http_respond(r->http, status, h, n, body, len);
}

/* A request error: {"errors":[...]} with no data, 400 for
 * application/graphql-response+json and 200 for application/json. */
static void respond_request_error(pipe_req *r, const gql_errors *errs)
{
    pst_buf b = {0};
    pst_buf_append_c(&b, "{\"errors\":");
    gql_errors_write_json(errs, &b);
    pst_buf_append_char(&b, '}');
    if (b.failed)
        respond(r, 500, 1, NULL, 0, OOM_BODY, sizeof(OOM_BODY) - 1);
    else
        respond(r, http_gql_status_for_request_error(r->params.media), errs->count, NULL, 0, b.p,
                b.len);
    pst_buf_free(&b);
}

/* A refusal before GraphQL: 404, 405, 406, 415, 413 or a malformed
 * request, with the correlation id like every other answer. */
static void respond_http_error(pipe_req *r, const http_gql_error *e)
{
    pst_buf b = {0};
    r->params.media = e->media;
    http_gql_error_body(&b, e->message, e->code);
    http_header allow = {PST_STR_LIT("Allow"), pst_str_c(e->allow)};
    if (b.failed)
        respond(r, 500, 1, NULL, 0, OOM_BODY, sizeof(OOM_BODY) - 1);
    else
        respond(r, e->status, 1, e->allow ? &allow : NULL, e->allow ? 1 : 0, b.p, b.len);
    pst_buf_free(&b);
}

static void fail_request(pipe_req *r, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void fail_request(pipe_req *r, const char *code, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    gql_errors_add(&r->errors, 0, 0, NULL, code, NULL, "%s", msg);
    respond_request_error(r, &r->errors);
}

void pipe_respond_data(pipe_req *r)
{
    pst_buf b = {0};
    pst_buf_append_char(&b, '{');
    if (r->errors.count) {
        pst_buf_append_c(&b, "\"errors\":");
        gql_errors_write_json(&r->errors, &b);
        pst_buf_append_char(&b, ',');
    }
    pst_buf_append_c(&b, "\"data\":");
    bool nulled = false;
    for (size_t i = 0; i < r->n_fields; i++)
        nulled |= r->fields[i].state == PIPE_FIELD_NULLED;
    if (nulled) {
        pst_buf_append_c(&b, "null");
    } else {
        pst_buf_append_char(&b, '{');
        for (size_t i = 0; i < r->n_fields; i++) {
            pipe_field *f = &r->fields[i];
            if (i)
                pst_buf_append_char(&b, ',');
            pst_buf_append_json_str(&b, f->rf->key.p, f->rf->key.n);
            pst_buf_append_char(&b, ':');
            if (f->state == PIPE_FIELD_VALUE && f->out.len)
                pst_buf_append(&b, f->out.p, f->out.len);
            else
                pst_buf_append_c(&b, "null");
        }
        pst_buf_append_char(&b, '}');
    }
    pst_buf_append_char(&b, '}');
    if (b.failed)
        respond(r, 500, 1, NULL, 0, OOM_BODY, sizeof(OOM_BODY) - 1);
    else
        respond(r, 200, r->errors.count, NULL, 0, b.p, b.len);
    pst_buf_free(&b);
}

void pipe_req_field_done(pipe_req *r, pipe_field *f)
{
    (void)f;
    r->n_done++;
    if (r->starting || r->aborted || r->finished)
        return;
    if (r->n_done == r->n_fields)
        pipe_respond_data(r);
    else if (r->op->op == GQL_OP_MUTATION)
        pipe_fields_start(r);
}

static void on_abort(http_request *hr, void *ud)
{
    (void)hr;
    pipe_req *r = ud;
    r->aborted = true;
    pipe_fields_cancel(r);
}

static void set_op_header(pipe_req *r)
{
    static const char *names[] = {"query", "mutation", "subscription"};
    const gql_node *op = r->op;
    if (op->name.n)
        snprintf(r->op_header, sizeof(r->op_header), "%s %.*s", names[op->op],
                 (int)(op->name.n > 200 ? 200 : op->name.n), op->name.p);
    else
        snprintf(r->op_header, sizeof(r->op_header), "%s", names[op->op]);
}

/* Picks the operation, coerces variables and collects the root fields.
 * Answers the request itself and returns PST_ERROR when it cannot run. */
static pst_status prepare(pipe_req *r)
{
    const char *why = NULL;
    r->op = gql_select_operation(r->doc->root, r->params.operation_name, &why);
    if (!r->op) {
        fail_request(r, GQL_CODE_OPERATION_NOT_FOUND, "%s", why);
        return PST_ERROR;
    }
    set_op_header(r);
    if (r->params.is_get && r->op->op != GQL_OP_QUERY) {
        http_header allow = {PST_STR_LIT("Allow"), PST_STR_LIT("POST")};
        static const char body[] = "{\"errors\":[{\"message\":\"Only queries can be sent with "
                                   "GET; use POST for mutations and subscriptions.\","
                                   "\"extensions\":{\"code\":\"BAD_REQUEST\"}}]}";
        respond(r, 405, 1, &allow, 1, body, sizeof(body) - 1);
        return PST_ERROR;
    }
    if (r->op->op == GQL_OP_SUBSCRIPTION) {
        fail_request(r, GQL_CODE_BAD_REQUEST,
                     "Subscriptions are served over WebSocket (graphql-transport-ws) or "
                     "Server-Sent Events; this request asked for a single response.");
        return PST_ERROR;
    }
    gql_errors verr;
    gql_errors_init(&verr, r->arena);
    pst_status cs = gql_coerce_variables(r->arena, r->loop->rt->schema, r->op, r->params.variables,
                                         &r->vars, &verr);
    if (cs == PST_ERROR) {
        fail_request(r, GQL_CODE_INTERNAL, "out of memory");
        return PST_ERROR;
    }
    if (cs != PST_OK) {
        respond_request_error(r, &verr);
        return PST_ERROR;
    }
    if (gql_collect_root_fields(r->arena, r->loop->rt->schema, r->doc->root, r->op, r->vars,
                                &r->roots, &r->n_fields) != PST_OK) {
        fail_request(r, GQL_CODE_INTERNAL, "out of memory");
        return PST_ERROR;
    }
    return PST_OK;
}

static pst_status setup_fields(pipe_req *r)
{
    pipe_runtime *rt = r->loop->rt;
    r->fields = pst_arena_calloc(r->arena, (r->n_fields ? r->n_fields : 1) * sizeof(pipe_field));
    if (!r->fields)
        return PST_ERROR;
    r->cx = (gql_exec_ctx){.schema = rt->schema,
                           .doc = r->doc->root,
                           .vars = r->vars,
                           .errs = &r->errors,
                           .arena = r->arena};
    for (size_t i = 0; i < r->n_fields; i++) {
        pipe_field *f = &r->fields[i];
        f->req = r;
        f->rf = &r->roots[i];
        f->map = f->rf->def ? pipe_runtime_mapping(rt, f->rf->def) : NULL;
        if (pst_arena_cleanup(r->arena, free_buf, &f->out) != PST_OK)
            return PST_ERROR;
    }
    return PST_OK;
}

/* 403 for a refused operation (reject_unauthorized): nothing was sent. */
static void respond_forbidden(pipe_req *r, const char *coordinate)
{
    pst_buf b = {0};
    char msg[600];
    snprintf(msg, sizeof(msg), "Not authorized to access %s; the operation was refused.",
             coordinate);
    http_gql_error_body(&b, msg, GQL_CODE_FORBIDDEN);
    if (b.failed)
        respond(r, 500, 1, NULL, 0, OOM_BODY, sizeof(OOM_BODY) - 1);
    else
        respond(r, 403, 1, NULL, 0, b.p, b.len);
    pst_buf_free(&b);
}

static const char *first_forbidden(const pipe_req *r)
{
    for (size_t i = 0; i < r->n_fields; i++) {
        const pipe_field *f = &r->fields[i];
        if (f->forbidden) /* the subject when that was refused, else the field */
            return f->subject && f->subject_decision.status == PST_DENIED ? f->subject
                                                                          : f->rf->def->coordinate;
    }
    return "the operation";
}

/* Decides every field and subject before anything is sent (SPEC §8). */
static pst_status authorize(pipe_req *r)
{
    if (pipe_authz_begin(r) != PST_OK) {
        fail_request(r, GQL_CODE_INTERNAL, "out of memory");
        return PST_ERROR;
    }
    /* Refusing the whole operation needs every field decided up front.
     * Otherwise the root fields and subjects are decided below, before
     * anything is sent, and nested fields by the completion hook: walking
     * the document here as well would decide each of them twice. */
    bool reject = r->loop->rt->cfg->reject_unauthorized;
    if (reject) {
        const char *denied = NULL;
        pst_status az = pipe_authz_operation(r, &denied);
        if (az == PST_ERROR) {
            fail_request(r, GQL_CODE_INTERNAL, "out of memory");
            return PST_ERROR;
        }
        if (az == PST_DENIED) {
            respond_forbidden(r, denied);
            return PST_ERROR;
        }
    }
    bool any_denied = false;
    pipe_fields_prepare(r, &any_denied);
    if (any_denied && reject) {
        respond_forbidden(r, first_forbidden(r));
        return PST_ERROR;
    }
    if (r->pr) {
        r->cx.field_allowed = pipe_authz_field_allowed;
        r->cx.ud = r;
    }
    return PST_OK;
}

static void start(pipe_req *r)
{
    pipe_loop *L = r->loop;
    http_request *hr = r->http;
    r->doc = pipe_doc_cache_get(L->docs, r->params.query);
    if (!r->doc || pst_arena_cleanup(r->arena, release_doc, r->doc) != PST_OK) {
        if (r->doc)
            pipe_doc_release(r->doc);
        r->doc = NULL;
        fail_request(r, GQL_CODE_INTERNAL, "out of memory");
        return;
    }
    if (r->doc->state != PIPE_DOC_OK) {
        respond_request_error(r, &r->doc->errors);
        return;
    }
    if (prepare(r) != PST_OK)
        return;
    if (setup_fields(r) != PST_OK) {
        fail_request(r, GQL_CODE_INTERNAL, "out of memory");
        return;
    }
    if (authorize(r) != PST_OK)
        return;
    http_request_on_abort(hr, on_abort, r);
    pipe_fields_start(r);
}

void pipe_request_handle(http_request *hr, void *ud)
{
    (void)ud;
    pipe_loop *L = hr->loop_ud;
    pipe_req *r = pst_arena_calloc(hr->arena, sizeof(*r));
    if (!r) {
        http_respond(hr, 500, NULL, 0, OOM_BODY, sizeof(OOM_BODY) - 1);
        return;
    }
    r->http = hr;
    r->loop = L;
    r->arena = hr->arena;
    r->start_ms = audit_now_ms();
    gql_errors_init(&r->errors, r->arena);
    atomic_fetch_add(&L->rt->requests, 1);
    if (audit_corr_pick(http_request_header(hr, "X-Correlation-ID"),
                        http_request_header(hr, "X-Request-ID"), r->corr) != PST_OK ||
        audit_trace_start(http_request_header(hr, "traceparent"), &r->trace) != PST_OK) {
        static const char body[] = "{\"errors\":[{\"message\":\"no randomness available\"}]}";
        http_respond(hr, 500, NULL, 0, body, sizeof(body) - 1);
        return;
    }
    if (r->trace.from_client)
        r->tracestate = http_request_header(hr, "tracestate");
    http_gql_error herr;
    if (http_gql_parse(hr, r->arena, &r->params, &herr) != 0) {
        respond_http_error(r, &herr);
        return;
    }
    pst_status s = pipe_authn_request(r);
    if (s == PST_DENIED)
        return;
    if (s != PST_OK) {
        fail_request(r, GQL_CODE_INTERNAL, "out of memory");
        return;
    }
    start(r);
}
