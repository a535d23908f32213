/**
 * Authorization in the request path (SPEC §8): the policy in force, swapped
 * atomically on reload, and the decisions of one request: every field of
 * the operation and every NATS subject, made before any message is sent.
 */
#ifndef POSTERN_PIPELINE_AUTHZ_H
#define POSTERN_PIPELINE_AUTHZ_H

#include <stdbool.h>

#include "common/diag.h"
#include "graphql/schema.h"
#include "policy/policy.h"

struct pipe_runtime;
struct pipe_req;

/** Loads cfg.policy checking its coordinates against the schema. A config
 * without a policy is an error: postern never runs with every field open.
 * PST_ERROR with diags filled when it does not load. */
pst_status pipe_policy_load(struct pipe_runtime *rt, pst_diags *diags);

/** The policy in force with a reference taken (policy_unref when done);
 * NULL when no policy is configured. Thread-safe. */
policy *pipe_policy_acquire(struct pipe_runtime *rt);

/** Reloads the policy file; on any error the previous policy stays, the
 * errors are logged and counted. Call off the event loops (it reads a file).
 * Returns PST_OK when the new policy is in force. */
pst_status pipe_policy_reload(struct pipe_runtime *rt);

/** True when the policy file changed (inode, size or mtime) since it was
 * last loaded; follows symlinks, so a Kubernetes ConfigMap update counts. */
bool pipe_policy_file_changed(struct pipe_runtime *rt);

/** Drops the policy in force (at exit). */
void pipe_policy_free(struct pipe_runtime *rt);

/** Binds the request's principal to the policy in force (a reference is
 * kept until the request's arena is reset). PST_ERROR when out of memory. */
pst_status pipe_authz_begin(struct pipe_req *r);

/** Decides every field the operation selects (through fragments, honouring
 * @skip/@include). Returns PST_DENIED when one is denied, with the first
 * denied coordinate in *denied; PST_OK when all are allowed (or no policy);
 * PST_ERROR when out of memory. */
pst_status pipe_authz_operation(struct pipe_req *r, const char **denied);

/** The policy hook for nested fields during completion (gql_exec_ctx). */
pst_status pipe_authz_field_allowed(void *ud, const gql_field *def, const char *path_json);

/** Decides a root field (by its schema coordinate) into d. PST_OK or
 * PST_DENIED; always PST_OK without a policy. */
pst_status pipe_authz_root(struct pipe_req *r, const gql_field *def, policy_decision *d);

/** Decides publishing (request or publish) to a rendered subject. */
pst_status pipe_authz_subject(struct pipe_req *r, const char *subject, policy_decision *d);

#endif
