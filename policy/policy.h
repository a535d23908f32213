/**
 * The RBAC policy engine (SPEC §8): loads policy.yaml, binds a token's claims
 * to roles, and decides on schema coordinates ("Type.field") and NATS
 * subjects given as strings. It knows nothing of HTTP, NATS or GraphQL
 * parsing.
 *
 * A loaded policy is immutable and reference-counted: share it between
 * threads freely; a reload swaps in a new one while requests still running
 * keep theirs alive with policy_ref/policy_unref.
 */
#ifndef POSTERN_POLICY_POLICY_H
#define POSTERN_POLICY_POLICY_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/arena.h"
#include "common/diag.h"
#include "common/status.h"
#include "common/str.h"

typedef struct policy policy;
typedef struct policy_principal policy_principal;

/** Most roles one policy may define (a load error beyond). */
#define POLICY_MAX_ROLES 256

/** Lets the loader check coordinates against the schema. has_coordinate
 * gets field NULL for "Type.*" and must answer whether the schema has that
 * type (and field). Pass a NULL policy_schema_check to skip the check. */
typedef struct {
    bool (*has_coordinate)(void *ud, const char *type, const char *field);
    void *ud;
} policy_schema_check;

/** Loads a policy file. Every problem found is added to diags as
 * file:line:col (all of them, not just the first). Returns NULL when there
 * was any error (including an empty or unparseable file, or out of memory);
 * otherwise a policy with one reference owned by the caller. */
policy *policy_load_file(const char *path, const policy_schema_check *chk, pst_diags *diags);

/** As policy_load_file, from text; `name` is the file name used in
 * diagnostics (may be NULL). */
policy *policy_load_string(const char *text, size_t len, const char *name,
                           const policy_schema_check *chk, pst_diags *diags);

/** Adds a reference; returns p. Thread-safe. */
policy *policy_ref(policy *p);

/** Drops a reference; frees the policy with the last one. NULL is ok. */
void policy_unref(policy *p);

/** Number of roles and the i-th role's name (sorted by name; owned by p). */
size_t policy_role_count(const policy *p);
const char *policy_role_name(const policy *p, size_t i);

/* ---- evaluation ---------------------------------------------------------- */

typedef enum {
    POLICY_PUBLISH = 0,   /* a NATS request or publish */
    POLICY_SUBSCRIBE = 1, /* a NATS subscription */
} policy_op;

/** What decided and why. All strings are owned by the policy or the
 * principal's arena, or constant. */
typedef struct {
    pst_status status;    /* PST_OK = allowed, PST_DENIED = denied */
    const char *role;     /* the role that decided; NULL when none did */
    const char *pattern;  /* its coordinate or subject pattern as written; NULL with role NULL */
    const char *rendered; /* subjects: the pattern after claim templates; else NULL */
    const char *reason;   /* constant text for explain and logs */
    /* Bound roles (indices in policy_principal_roles) that allow it. */
    uint64_t allowed_by[POLICY_MAX_ROLES / 64];
} policy_decision;

/** Computes the roles bound to claims (NULL = anonymous request) and
 * renders the roles' claim templates once. The principal lives in arena a
 * and points into p: keep a reference to p while it is used. Returns
 * PST_OK and *out, or PST_ERROR when out of memory (*out unchanged). */
pst_status policy_bind(const policy *p, json_t *claims, pst_arena *a, policy_principal **out);

/** The bound roles, sorted by name; *names is owned by the principal. */
size_t policy_principal_roles(const policy_principal *pr, const char *const **names);

/** Appends the bound role names sorted and joined by "," (Postern-Roles).
 * PST_ERROR when out of memory (out as pst_buf leaves it). */
pst_status policy_principal_roles_join(const policy_principal *pr, pst_buf *out);

/** Decides one field. Root fields (the caller says is_root) are denied
 * unless a bound role allows them; other fields are allowed unless denied;
 * a deny in any bound role wins; __typename is always allowed. Returns
 * PST_OK or PST_DENIED, also stored in d->status. */
pst_status policy_decide_field(const policy_principal *pr, const char *type, const char *field,
                               bool is_root, policy_decision *d);

/** Decides one NATS operation on a rendered subject: allowed iff some bound
 * role allows it and none denies it (NATS matching). A subject that is not
 * a valid NATS subject (or has wildcards on publish) is denied. For a
 * subscribe subject with wildcards, an allow must cover all of it and a
 * deny that overlaps any of it denies. Returns PST_OK or PST_DENIED. */
pst_status policy_decide_subject(const policy_principal *pr, policy_op op, const char *subject,
                                 policy_decision *d);

/** Appends "role:pattern" for the decision (Postern-Rule); appends nothing
 * when no role decided. PST_ERROR when out of memory. */
pst_status policy_decision_rule(const policy_decision *d, pst_buf *out);

/** Appends one readable line (no newline) saying what decided and why. */
pst_status policy_decision_describe(const policy_decision *d, pst_buf *out);

/** Appends the audit tags of every bound role that allows the field or the
 * subject (either decision may be NULL), sorted by key then value, without
 * duplicates, as "key=value" joined by "," (Postern-Audit-Tags). PST_ERROR
 * when out of memory. */
pst_status policy_audit_tags(const policy_principal *pr, const policy_decision *field,
                             const policy_decision *subject, pst_buf *out);

/* ---- explain and export ------------------------------------------------- */

/** Appends readable lines saying which bindings matched the claims (NULL =
 * anonymous) and why: the claim path, the value seen, the listed value
 * that matched. PST_ERROR when out of memory. */
pst_status policy_explain_bindings(const policy *p, json_t *claims, pst_buf *out);

/** Appends a nats-server `authorization` block for postern's own user (name
 * and password are written as given, e.g. placeholders): the union of all
 * roles' publish and subscribe allows (claim templates widened to `*`),
 * the denies that hold for every role (see docs/policy.md), and the reply
 * inbox subscription `<inbox_prefix>.>` (inbox_prefix NULL = "_INBOX").
 * PST_ERROR when out of memory. */
pst_status policy_export_nats(const policy *p, const char *user, const char *password,
                              const char *inbox_prefix, pst_buf *out);

#endif
