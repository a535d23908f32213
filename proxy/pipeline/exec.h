/**
 * Internal to the pipeline: the state of one request and of each of its
 * root fields while they run over NATS. request.c owns the request;
 * field.c runs the fields and calls pipe_req_field_done as each ends.
 */
#ifndef POSTERN_PIPELINE_EXEC_H
#define POSTERN_PIPELINE_EXEC_H

#include <jansson.h>
#include <stdbool.h>

#include "audit/trace.h"
#include "graphql/execute.h"
#include "http/graphql_http.h"
#include "http/server.h"
#include "auth/principal.h"
#include "pipeline/runtime.h"
#include "policy/policy.h"

struct event;
typedef struct pipe_req pipe_req;

typedef enum {
    PIPE_FIELD_WAITING = 0, /* not started (mutations wait their turn) */
    PIPE_FIELD_RUNNING,
    PIPE_FIELD_VALUE,  /* out holds the value (maybe null) */
    PIPE_FIELD_NULLED, /* a non-null violation: data becomes null */
} pipe_field_state;

typedef struct {
    pipe_req *req;
    const gql_root_field *rf;
    const pipe_mapping *map;
    json_t *args;
    char *subject;
    char *body;
    size_t body_len;
    int attempt;
    nats_pending *pending;
    struct event *retry_timer;
    pst_buf out;
    pipe_field_state state;
    policy_decision field_decision;
    policy_decision subject_decision;
    const char *rule; /* Postern-Rule, or NULL without a policy */
    const char *tags; /* Postern-Audit-Tags */
    int64_t sent_ms;  /* when its first message was sent; 0 = never (access log) */
    bool forbidden;   /* refused by the policy or for a missing claim */
} pipe_field;

struct pipe_req {
    http_request *http;
    pipe_loop *loop;
    pst_arena *arena;
    http_gql_params params;
    pipe_doc *doc;
    const gql_node *op;
    json_t *vars;
    gql_root_field *roots;
    pipe_field *fields;
    size_t n_fields;
    size_t n_done;
    size_t next; /* mutations: the next field to start */
    gql_errors errors;
    gql_exec_ctx cx;
    auth_principal *who;  /* NULL until authenticated */
    policy *pol;          /* the policy this request runs under, or NULL */
    policy_principal *pr; /* its bound roles */
    const char *roles;    /* Postern-Roles */
    char corr[AUDIT_CORR_MAX + 1];
    audit_trace trace;
    pst_str tracestate;
    char op_header[300]; /* "query GetOrder" */
    int64_t start_ms;
    bool aborted;
    bool finished;
    bool starting; /* inside pipe_fields_start */
};

/** Before anything is sent: decides each root field and its subject,
 * coerces arguments, renders subjects and bodies. Fields that cannot run
 * get their error now (and are skipped by pipe_fields_start); *denied tells
 * whether the policy refused any. PST_OK unless out of memory. */
pst_status pipe_fields_prepare(pipe_req *r, bool *denied);

/** Starts the fields: all of them for a query; for a mutation the next one
 * (and the ones after it that end at once). Answers the client when every
 * field has ended, so the caller must not touch r afterwards. */
void pipe_fields_start(pipe_req *r);

/** Stops every field still waiting on NATS or on a retry timer (client
 * gone): no callback runs for them afterwards. */
void pipe_fields_cancel(pipe_req *r);

/** Called by field.c when a field has its final state; starts the next
 * mutation field or, when all are done, answers the client. */
void pipe_req_field_done(pipe_req *r, pipe_field *f);

/** Answers the client with {errors, data} from the fields' results. The
 * request is freed by the answer: the caller must not touch r afterwards. */
void pipe_respond_data(pipe_req *r);

/** Records an error for a field that could not run and sets its state to a
 * null value or PIPE_FIELD_NULLED, as its type's nullability says. */
void pipe_field_fail(pipe_field *f, const char *code, const char *extensions, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#endif
