/**
 * The running sidecar: config, schema, the compiled NATS mapping of every
 * root field, the NATS bridge and the HTTP listeners, plus the state each
 * event-loop thread owns. main.c starts it; request.c serves with it.
 */
#ifndef POSTERN_PIPELINE_RUNTIME_H
#define POSTERN_PIPELINE_RUNTIME_H

#include <pthread.h>
#include <stdatomic.h>
#include <sys/types.h>
#include <time.h>
#include <stdbool.h>
#include <stdint.h>

#include "audit/jws.h"
#include "auth/verify.h"
#include "common/diag.h"
#include "config/config.h"
#include "graphql/introspect.h"
#include "graphql/schema.h"
#include "nats/bridge.h"
#include "nats/subject.h"
#include "pipeline/doc_cache.h"
#include "pipeline/metrics.h"

struct event_base;
struct http_server;

/** A root field's compiled subject templates. */
typedef struct {
    const gql_field *def;
    nats_template *subject;   /* REQUEST, PUBLISH */
    nats_template **subjects; /* SUBSCRIBE */
    size_t n_subjects;
    int64_t timeout_ms; /* the directive's, else the config default */
} pipe_mapping;

typedef struct pipe_runtime {
    cfg_config *cfg;
    gql_schema *schema;
    gql_introspection *intro; /* NULL when introspection is off */
    pst_arena *arena;         /* mappings and other start-up allocations */
    pipe_mapping *mappings;   /* a slot per root field: query's, mutation's, subscription's */
    size_t root_slot[3];      /* where each root type's slots start (gql_op_type order) */
    size_t n_mappings;        /* root fields with a NATS mapping */
    nats_bridge *bridge;
    struct http_server *http;
    struct http_server *admin;
    char instance[256];
    atomic_bool stopped; /* pipe_runtime_stop ran: draining (read by /readyz) */
    atomic_uint_fast64_t requests, request_errors;
    /* the policy in force (authz.c); swapped under policy_mu on reload */
    pthread_mutex_t policy_mu;
    struct policy *policy;
    dev_t policy_dev;
    ino_t policy_ino;
    off_t policy_size;
    struct timespec policy_mtime;
    atomic_uint_fast64_t policy_reloads, policy_reload_failures;
    /* authentication (authn.c): NULL when no issuer is configured */
    auth_ctx *auth;
    auth_token_source *token_sources;
    size_t n_token_sources;
    atomic_uint_fast64_t auth_refused[AUTH_REASON_COUNT];
    /* signs Postern-Identity (identity.signing_key, else generated at load) */
    audit_signer *identity;
    pipe_metrics metrics;
} pipe_runtime;

/** Per event-loop thread state (created in the HTTP server's loop hook). */
typedef struct pipe_loop {
    pipe_runtime *rt;
    struct event_base *base;
    nats_loop *nats;
    pipe_doc_cache *docs;
    int index;
} pipe_loop;

/** Loads the schema named by cfg and compiles every root field's NATS
 * mapping. Errors go to diags (file:line:col). Returns PST_OK with rt's
 * schema, intro and mappings filled, or PST_ERROR (rt unchanged apart from
 * what pipe_runtime_free releases). Does not connect or listen. */
pst_status pipe_runtime_load(pipe_runtime *rt, cfg_config *cfg, pst_diags *diags);

/** Connects to NATS, starts the GraphQL and admin listeners and their
 * event-loop threads. PST_ERROR with *error set (a constant string or one
 * owned by the module that failed) when anything could not start. */
pst_status pipe_runtime_start(pipe_runtime *rt, const char **error);

/** SIGTERM path: stops accepting, finishes in-flight requests within the
 * configured grace, drains NATS. */
void pipe_runtime_stop(pipe_runtime *rt);

/** Frees everything pipe_runtime_load and _start made (cfg included). */
void pipe_runtime_free(pipe_runtime *rt);

/** The mapping of a root field; NULL for a field without one. */
const pipe_mapping *pipe_runtime_mapping(const pipe_runtime *rt, const gql_field *def);

#endif
