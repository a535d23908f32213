/* Runs root fields over NATS: subject rendering and safety, the message
 * headers, request or publish, retries for queries, and the error mapping
 * of SPEC §6. */
#include <event2/event.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "audit/identity.h"
#include "common/log.h"
#include "graphql/coerce.h"
#include "graphql/jsvalue.h"
#include "pipeline/authz.h"
#include "pipeline/exec.h"

/* the 16 stamped headers plus forward_headers */
#define MAX_HEADERS 48

static void send_attempt(pipe_field *f);

static bool field_non_null(const pipe_field *f)
{
    return f->rf->def && f->rf->def->type->kind == GQL_REF_NON_NULL;
}

static uint32_t field_line(const pipe_field *f, uint32_t *col)
{
    const gql_node *n = f->rf->nodes[0];
    *col = n->col;
    return n->line;
}

/* A null value for f, or NULLED when its type is non-null. */
static void null_field(pipe_field *f)
{
    pst_buf_reset(&f->out);
    if (field_non_null(f)) {
        f->state = PIPE_FIELD_NULLED;
    } else {
        pst_buf_append_c(&f->out, "null");
        f->state = PIPE_FIELD_VALUE;
    }
}

void pipe_field_fail(pipe_field *f, const char *code, const char *extensions, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    uint32_t col, line = field_line(f, &col);
    gql_errors_add(&f->req->errors, line, col, f->rf->path_json, code, extensions, "%s", msg);
    null_field(f);
}

static void complete(pipe_field *f, json_t *value)
{
    pst_buf_reset(&f->out);
    const gql_root_field *rf = f->rf;
    pst_status s;
    if (!rf->def && !pst_str_eq_c(rf->nodes[0]->name, "__typename"))
        s = gql_introspection_complete(&f->req->cx, f->req->loop->rt->intro, rf, &f->out);
    else
        s = gql_complete_root_field(&f->req->cx, rf, value, &f->out);
    if (s == PST_DECLINED) {
        f->state = PIPE_FIELD_NULLED;
    } else if (f->out.failed) {
        pipe_field_fail(f, GQL_CODE_INTERNAL, NULL, "out of memory");
    } else {
        f->state = PIPE_FIELD_VALUE;
    }
}

static void finish(pipe_field *f)
{
    pipe_req_field_done(f->req, f);
}

/* Postern-Rule and Postern-Audit-Tags of the decisions that allowed f. */
static pst_status audit_strings(pipe_field *f)
{
    pipe_req *r = f->req;
    pst_buf b = {0};
    policy_decision_rule(&f->subject_decision, &b);
    f->rule = b.failed ? NULL : pst_arena_strndup(r->arena, b.p ? b.p : "", b.len);
    pst_buf_reset(&b);
    policy_audit_tags(r->pr, &f->field_decision, &f->subject_decision, &b);
    f->tags = b.failed ? NULL : pst_arena_strndup(r->arena, b.p ? b.p : "", b.len);
    pst_buf_free(&b);
    return f->rule && f->tags ? PST_OK : PST_ERROR;
}

/* Decides the field, renders the subject, decides the subject and builds
 * the body. On failure the field has failed (with its error recorded) and
 * *denied says whether the policy refused it. */
static pst_status prepare(pipe_field *f, bool *denied)
{
    pipe_req *r = f->req;
    if (pipe_authz_root(r, f->rf->def, &f->field_decision) != PST_OK) {
        *denied = f->forbidden = true;
        pipe_field_fail(f, GQL_CODE_FORBIDDEN, NULL, "Not authorized to access %s",
                        f->rf->def->coordinate);
        return PST_ERROR;
    }
    pst_status cs = gql_coerce_arguments(r->arena, f->rf->def, f->rf->nodes[0], r->vars, &f->args,
                                         &r->errors, f->rf->path_json);
    if (cs != PST_OK) {
        /* DECLINED: the coercion error is already recorded at the field */
        if (cs == PST_ERROR)
            pipe_field_fail(f, GQL_CODE_INTERNAL, NULL, "out of memory");
        else
            null_field(f);
        return PST_ERROR;
    }
    pst_buf subj = {0};
    nats_render_error why;
    json_t *claims = r->who && !r->who->anonymous ? r->who->claims : NULL;
    if (nats_template_render(f->map->subject, f->args, claims, &subj, &why) != PST_OK) {
        pst_buf_free(&subj);
        bool claim = why.source == NATS_RENDER_BAD_CLAIM;
        if (claim) /* a missing or unsafe claim is a refusal, not bad input */
            *denied = f->forbidden = true;
        pipe_field_fail(f, claim ? GQL_CODE_FORBIDDEN : GQL_CODE_BAD_USER_INPUT, NULL,
                        "Cannot build the NATS subject for %s: %s %s.", f->rf->def->coordinate,
                        why.placeholder ? why.placeholder : "subject", why.message);
        return PST_ERROR;
    }
    f->subject = pst_arena_strndup(r->arena, subj.p ? subj.p : "", subj.len);
    pst_buf_free(&subj);
    if (f->subject && pipe_authz_subject(r, f->subject, &f->subject_decision) != PST_OK) {
        *denied = f->forbidden = true;
        pipe_field_fail(f, GQL_CODE_FORBIDDEN, NULL, "Not authorized to publish to \"%s\".",
                        f->subject);
        return PST_ERROR;
    }
    if (r->pr && audit_strings(f) != PST_OK) {
        pipe_field_fail(f, GQL_CODE_INTERNAL, NULL, "out of memory");
        return PST_ERROR;
    }
    /* the body is written as JSON.stringify would (1 not 1.0) */
    pst_buf body = {0};
    if (!f->subject || gql_js_write_json(&body, f->args) != PST_OK) {
        pst_buf_free(&body);
        pipe_field_fail(f, GQL_CODE_INTERNAL, NULL, "out of memory");
        return PST_ERROR;
    }
    f->body_len = body.len;
    f->body = pst_arena_strndup(r->arena, body.p, body.len);
    pst_buf_free(&body);
    if (!f->body) {
        pipe_field_fail(f, GQL_CODE_INTERNAL, NULL, "out of memory");
        return PST_ERROR;
    }
    return PST_OK;
}

/* Postern-Identity for one message: signed per message (its own time,
 * deadline and jti); NULL when it cannot be signed (counted, and the
 * message goes without it, so responders that verify refuse it). */
static const char *identity_header(pipe_field *f, int64_t now, int64_t deadline)
{
    pipe_req *r = f->req;
    pipe_runtime *rt = r->loop->rt;
    audit_identity_claims c = {.iss = rt->instance,
                               .sub = r->who ? r->who->sub : NULL,
                               .roles = r->roles,
                               .corr = r->corr,
                               .subject = f->subject,
                               .body = f->body,
                               .body_len = f->body_len,
                               .now_ms = now,
                               .deadline_ms = deadline};
    pst_buf b = {0};
    const char *tok = NULL;
    if (rt->identity && audit_identity_sign(rt->identity, &c, &b) == PST_OK)
        tok = pst_arena_strndup(r->arena, b.p, b.len);
    pst_buf_free(&b);
    if (!tok)
        atomic_fetch_add_explicit(&rt->metrics.identity_failures, 1, memory_order_relaxed);
    return tok;
}

/* The client headers named by forward_headers (config refuses
 * Authorization and Postern-*), minus the ones postern stamps itself. */
static size_t forward_headers(pipe_field *f, nats_header *h, size_t n)
{
    pipe_req *r = f->req;
    const cfg_config *c = r->loop->rt->cfg;
    for (size_t i = 0; i < c->n_forward_headers && n < MAX_HEADERS; i++) {
        const char *name = c->forward_headers[i];
        if (!strcasecmp(name, "X-Correlation-ID") || !strcasecmp(name, "traceparent") ||
            !strcasecmp(name, "tracestate"))
            continue;
        pst_str v = http_request_header(r->http, name);
        if (!v.p || memchr(v.p, '\r', v.n) || memchr(v.p, '\n', v.n))
            continue;
        char *value = pst_arena_strndup(r->arena, v.p, v.n);
        if (value)
            h[n++] = (nats_header){name, value};
    }
    return n;
}

/* The headers of SPEC §7; every attempt gets its own span, time, deadline
 * and signed identity. Client Postern-* and Authorization headers are never
 * copied: only these and forward_headers are sent. */
static size_t build_headers(pipe_field *f, nats_header *h, char tp[56], char t0[25], char t1[25])
{
    pipe_req *r = f->req;
    int64_t now = audit_now_ms();
    int64_t deadline = now + f->map->timeout_ms;
    audit_trace_child(&r->trace, tp);
    audit_rfc3339_ms(now, t0);
    audit_rfc3339_ms(deadline, t1);
    size_t n = 0;
    h[n++] = (nats_header){"X-Correlation-ID", r->corr};
    h[n++] = (nats_header){"traceparent", tp};
    h[n++] = (nats_header){"Postern-Operation", r->op_header};
    h[n++] = (nats_header){"Postern-Field", f->rf->def->coordinate};
    h[n++] = (nats_header){"Postern-Time", t0};
    h[n++] = (nats_header){"Postern-Deadline", t1};
    h[n++] = (nats_header){"Postern-Instance", r->loop->rt->instance};
    if (r->tracestate.n) {
        char *ts = pst_arena_strndup(r->arena, r->tracestate.p, r->tracestate.n);
        if (ts)
            h[n++] = (nats_header){"tracestate", ts};
    }
    if (r->who && r->who->sub)
        h[n++] = (nats_header){"Postern-Sub", r->who->sub};
    if (r->who && r->who->iss)
        h[n++] = (nats_header){"Postern-Iss", r->who->iss};
    if (r->who && r->who->client)
        h[n++] = (nats_header){"Postern-Client", r->who->client};
    if (r->roles)
        h[n++] = (nats_header){"Postern-Roles", r->roles};
    if (f->rule)
        h[n++] = (nats_header){"Postern-Rule", f->rule};
    if (f->tags && *f->tags)
        h[n++] = (nats_header){"Postern-Audit-Tags", f->tags};
    const char *identity = identity_header(f, now, deadline);
    if (identity)
        h[n++] = (nats_header){"Postern-Identity", identity};
    if (!f->sent_ms)
        f->sent_ms = now;
    return forward_headers(f, h, n);
}

static bool may_retry(const pipe_field *f)
{
    const cfg_config *c = f->req->loop->rt->cfg;
    return f->req->op->op == GQL_OP_QUERY && f->attempt <= c->nats.retries.max;
}

static void on_retry_timer(evutil_socket_t fd, short what, void *ud)
{
    (void)fd;
    (void)what;
    pipe_field *f = ud;
    event_free(f->retry_timer);
    f->retry_timer = NULL;
    send_attempt(f);
}

/* Exponential backoff from retries.backoff, capped at retries.max_backoff. */
static void schedule_retry(pipe_field *f)
{
    const cfg_config *c = f->req->loop->rt->cfg;
    int64_t delay = c->nats.retries.backoff_ms;
    for (int i = 1; i < f->attempt && delay < c->nats.retries.max_backoff_ms; i++)
        delay *= 2;
    if (delay > c->nats.retries.max_backoff_ms)
        delay = c->nats.retries.max_backoff_ms;
    f->retry_timer = evtimer_new(f->req->loop->base, on_retry_timer, f);
    struct timeval tv = {(time_t)(delay / 1000), (suseconds_t)((delay % 1000) * 1000)};
    if (!f->retry_timer || evtimer_add(f->retry_timer, &tv) != 0) {
        if (f->retry_timer)
            event_free(f->retry_timer);
        f->retry_timer = NULL;
        send_attempt(f);
    }
}

static void upstream_error(pipe_field *f, const nats_reply *rep, const char *msg)
{
    const char *code = nats_reply_header(rep, "Nats-Service-Error-Code");
    char ext[300] = "";
    if (code) {
        char *end;
        long v = strtol(code, &end, 10);
        if (*code && !*end && strlen(code) < 12) {
            snprintf(ext, sizeof(ext), "\"serviceCode\":%ld", v);
        } else {
            pst_buf b = {0};
            pst_buf_append_c(&b, "\"serviceCode\":");
            pst_buf_append_json_str(&b, code, strlen(code) > 200 ? 200 : strlen(code));
            snprintf(ext, sizeof(ext), "%s", b.failed ? "" : pst_buf_cstr(&b));
            pst_buf_free(&b);
        }
    }
    pipe_field_fail(f, GQL_CODE_UPSTREAM_ERROR, ext[0] ? ext : NULL, "%s", msg);
}

static void on_reply(const nats_reply *rep, void *ud)
{
    pipe_field *f = ud;
    f->pending = NULL;
    const char *subject = f->subject;
    switch (rep->outcome) {
    case NATS_REPLY_OK:
        break;
    case NATS_REPLY_TIMEOUT:
    case NATS_REPLY_NO_RESPONDERS:
        if (may_retry(f)) {
            schedule_retry(f);
            return;
        }
        if (rep->outcome == NATS_REPLY_TIMEOUT)
            pipe_field_fail(f, GQL_CODE_TIMEOUT, NULL,
                            "No reply from NATS subject \"%s\" within %lldms.", subject,
                            (long long)f->map->timeout_ms);
        else
            pipe_field_fail(f, GQL_CODE_NO_RESPONDERS, NULL,
                            "No responders are listening on NATS subject \"%s\".", subject);
        finish(f);
        return;
    default:
        pipe_field_fail(f, GQL_CODE_NATS_UNAVAILABLE, NULL,
                        "The NATS connection is not available; \"%s\" was not sent.", subject);
        finish(f);
        return;
    }
    const char *service_error = nats_reply_header(rep, "Nats-Service-Error");
    if (service_error || nats_reply_header(rep, "Nats-Service-Error-Code")) {
        upstream_error(f, rep,
                       service_error && *service_error ? service_error
                                                       : "The service returned an error.");
        finish(f);
        return;
    }
    json_error_t jerr;
    json_t *v =
        rep->len ? json_loadb(rep->data, rep->len, JSON_DECODE_ANY | JSON_DECODE_INT_AS_REAL, &jerr)
                 : NULL;
    if (!v) {
        pipe_field_fail(f, GQL_CODE_BAD_REPLY, NULL,
                        rep->len ? "The reply on \"%s\" is not JSON."
                                 : "The reply on \"%s\" is empty.",
                        subject);
        finish(f);
        return;
    }
    complete(f, v);
    json_decref(v);
    finish(f);
}

/* The bridge refused the message: the connection is down, or (connected)
 * the message itself could not be built, e.g. out of memory. */
static void send_failed(pipe_field *f)
{
    if (!nats_bridge_connected(f->req->loop->rt->bridge))
        pipe_field_fail(f, GQL_CODE_NATS_UNAVAILABLE, NULL,
                        "The NATS connection is not available; \"%s\" was not sent.", f->subject);
    else
        pipe_field_fail(f, GQL_CODE_INTERNAL, NULL, "The NATS message for %s could not be sent.",
                        f->rf->def->coordinate);
}

static void send_attempt(pipe_field *f)
{
    nats_header h[MAX_HEADERS];
    char tp[56], t0[25], t1[25];
    size_t n = build_headers(f, h, tp, t0, t1);
    f->attempt++;
    pipe_loop *L = f->req->loop;
    pst_status s;
    if (f->map->def->nats.kind == GQL_NATS_PUBLISH) {
        s = nats_bridge_publish(L->nats, f->subject, h, n, f->body, f->body_len);
        if (s == PST_OK)
            complete(f, json_true());
    } else {
        s = nats_bridge_request(L->nats, f->subject, h, n, f->body, f->body_len, f->map->timeout_ms,
                                on_reply, f, &f->pending);
        if (s == PST_OK)
            return; /* on_reply ends the field */
    }
    if (s != PST_OK)
        send_failed(f);
    finish(f);
}

static void start_one(pipe_field *f)
{
    if (f->state != PIPE_FIELD_WAITING) { /* failed in pipe_fields_prepare */
        finish(f);
        return;
    }
    f->state = PIPE_FIELD_RUNNING;
    if (!f->rf->def) { /* __typename, __schema, __type: answered here */
        complete(f, NULL);
        finish(f);
        return;
    }
    send_attempt(f);
}

pst_status pipe_fields_prepare(pipe_req *r, bool *denied)
{
    *denied = false;
    for (size_t i = 0; i < r->n_fields; i++) {
        pipe_field *f = &r->fields[i];
        if (!f->rf->def)
            continue;
        if (!f->map) {
            pipe_field_fail(f, GQL_CODE_INTERNAL, NULL, "%s has no NATS mapping.",
                            f->rf->def->coordinate);
            continue;
        }
        prepare(f, denied);
    }
    return PST_OK;
}

void pipe_fields_start(pipe_req *r)
{
    /* fields that end at once must not answer the client while this loop
     * still runs: the answer frees the request */
    r->starting = true;
    if (r->op->op == GQL_OP_MUTATION) {
        while (r->next < r->n_fields) {
            pipe_field *f = &r->fields[r->next++];
            start_one(f);
            if (f->state == PIPE_FIELD_RUNNING)
                break; /* resumes in pipe_req_field_done */
        }
    } else {
        for (size_t i = 0; i < r->n_fields; i++)
            start_one(&r->fields[i]);
    }
    r->starting = false;
    if (r->n_done == r->n_fields)
        pipe_respond_data(r);
}

void pipe_fields_cancel(pipe_req *r)
{
    for (size_t i = 0; i < r->n_fields; i++) {
        pipe_field *f = &r->fields[i];
        if (f->pending) {
            nats_bridge_cancel(f->pending);
            f->pending = NULL;
        }
        if (f->retry_timer) {
            event_free(f->retry_timer);
            f->retry_timer = NULL;
        }
    }
}
