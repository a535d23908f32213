#include "pipeline/access_log.h"

#include <string.h>

#include "common/log.h"

static const struct {
    const char *code;
    const char *outcome;
    pipe_nats_outcome nats;
} CODES[] = {
    {GQL_CODE_TIMEOUT, "timeout", PIPE_NATS_TIMEOUT},
    {GQL_CODE_NO_RESPONDERS, "no_responders", PIPE_NATS_NO_RESPONDERS},
    {GQL_CODE_UPSTREAM_ERROR, "upstream_error", PIPE_NATS_UPSTREAM_ERROR},
    {GQL_CODE_BAD_REPLY, "bad_reply", PIPE_NATS_BAD_REPLY},
    {GQL_CODE_NATS_UNAVAILABLE, "unavailable", PIPE_NATS_UNAVAILABLE},
};

/* The code of the error recorded at the field itself (not below it). */
static const char *field_error(const pipe_req *r, const pipe_field *f)
{
    for (const gql_error *e = r->errors.first; e; e = e->next)
        if (e->path && e->code && !strcmp(e->path, f->rf->path_json))
            return e->code;
    return NULL;
}

static bool denied(const pipe_field *f)
{
    return f->field_decision.status == PST_DENIED ||
           (f->subject && f->subject_decision.status == PST_DENIED);
}

/* The field's outcome label; counts NATS outcomes of sent fields. */
static const char *field_outcome(pipe_req *r, const pipe_field *f, pipe_metrics *m)
{
    if (!f->rf->def)
        return "local";
    if (denied(f))
        return "denied";
    const char *code = field_error(r, f);
    if (f->sent_ms) {
        pipe_nats_outcome o = PIPE_NATS_OK;
        const char *label = "ok";
        for (size_t i = 0; code && i < sizeof(CODES) / sizeof(CODES[0]); i++)
            if (!strcmp(code, CODES[i].code))
                o = CODES[i].nats, label = CODES[i].outcome;
        pipe_metrics_nats(m, o);
        return label;
    }
    return code ? "error" : "not_sent";
}

static void json_str_or_null(pst_buf *b, const char *s)
{
    if (s)
        pst_buf_append_json_str(b, s, strlen(s));
    else
        pst_buf_append_c(b, "null");
}

/* The rule that decided a denied field, "role:pattern", or null. */
static void deny_rule(pst_buf *b, const pipe_field *f)
{
    const policy_decision *d =
        f->field_decision.status == PST_DENIED ? &f->field_decision : &f->subject_decision;
    pst_buf rule = {0};
    if (d->role && policy_decision_rule(d, &rule) == PST_OK && rule.len)
        pst_buf_append_json_str(b, rule.p, rule.len);
    else
        pst_buf_append_c(b, "null");
    pst_buf_free(&rule);
}

static void write_field(pst_buf *b, pipe_req *r, const pipe_field *f, int64_t now,
                        const char *outcome)
{
    pst_buf_append_c(b, "{\"coordinate\":");
    if (f->rf->def)
        json_str_or_null(b, f->rf->def->coordinate);
    else
        pst_buf_append_json_str(b, f->rf->key.p, f->rf->key.n);
    pst_buf_append_c(b, ",\"subject\":");
    json_str_or_null(b, f->subject);
    bool deny = f->rf->def && denied(f);
    pst_buf_appendf(b, ",\"decision\":\"%s\",\"rule\":", deny ? "deny" : "allow");
    if (deny)
        deny_rule(b, f);
    else
        json_str_or_null(b, f->rule && *f->rule ? f->rule : NULL);
    pst_buf_append_c(b, ",\"outcome\":");
    json_str_or_null(b, outcome);
    /* a mutation field ends when the next one is sent */
    int64_t end = now;
    if (r->op && r->op->op == GQL_OP_MUTATION)
        for (const pipe_field *g = f + 1; g < r->fields + r->n_fields; g++)
            if (g->sent_ms) {
                end = g->sent_ms;
                break;
            }
    pst_buf_appendf(b, ",\"ms\":%lld}", (long long)(f->sent_ms ? end - f->sent_ms : 0));
}

static void write_roles(pst_buf *b, const char *roles)
{
    pst_buf_append_char(b, '[');
    for (const char *p = roles; p && *p;) {
        const char *end = strchr(p, ',');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        if (p != roles)
            pst_buf_append_char(b, ',');
        pst_buf_append_json_str(b, p, n);
        p = end ? end + 1 : p + n;
    }
    pst_buf_append_char(b, ']');
}

static void write_principal(pst_buf *b, const pipe_req *r)
{
    const auth_principal *who = r->who;
    pst_buf_append_c(b, ",\"sub\":");
    json_str_or_null(b, who ? who->sub : NULL);
    pst_buf_append_c(b, ",\"iss\":");
    json_str_or_null(b, who ? who->iss : NULL);
    pst_buf_append_c(b, ",\"client\":");
    json_str_or_null(b, who ? who->client : NULL);
    pst_buf_append_c(b, ",\"roles\":");
    write_roles(b, r->roles);
}

void pipe_access_log(pipe_req *r, int status, size_t n_errors)
{
    pipe_metrics *m = &r->loop->rt->metrics;
    int64_t now = audit_now_ms();
    bool log = pst_log_enabled(PST_LOG_INFO);
    pst_buf b = {0};
    pst_buf_append_c(&b, "\"corr\":");
    json_str_or_null(&b, r->corr);
    write_principal(&b, r);
    pst_buf_append_c(&b, ",\"method\":");
    pst_buf_append_json_str(&b, r->http->method.p, r->http->method.n);
    pst_buf_append_c(&b, ",\"operation\":");
    json_str_or_null(&b, r->op ? r->op_header : NULL);
    pst_buf_append_c(&b, ",\"fields\":[");
    for (size_t i = 0; r->fields && i < r->n_fields; i++) {
        pipe_field *f = &r->fields[i];
        if (f->rf->def && denied(f)) {
            pipe_metrics_denied(m, f->field_decision.status == PST_DENIED ? PIPE_DENY_FIELD
                                                                          : PIPE_DENY_SUBJECT);
        }
        const char *outcome = field_outcome(r, f, m);
        if (i)
            pst_buf_append_char(&b, ',');
        write_field(&b, r, f, now, outcome);
    }
    if (status == 403)
        pipe_metrics_denied(m, PIPE_DENY_OPERATION);
    pst_buf_appendf(&b, "],\"status\":%d,\"errors\":%zu,\"ms\":%lld", status, n_errors,
                    (long long)(now - r->start_ms));
    pipe_metrics_request(m, status, now - r->start_ms);
    if (log && !b.failed)
        pst_log_fields(PST_LOG_INFO, "access", pst_buf_cstr(&b));
    pst_buf_free(&b);
}
