/**
 * Counters for GET /metrics (SPEC §9), written in the Prometheus text
 * exposition format. Every counter is a relaxed atomic: recording never
 * takes a lock, so it is safe on the event loops' hot path.
 */
#ifndef POSTERN_PIPELINE_METRICS_H
#define POSTERN_PIPELINE_METRICS_H

#include <stdatomic.h>
#include <stdint.h>

#include "common/str.h"

struct pipe_runtime;

/* HTTP statuses counted by code; anything else lands in "other". */
#define PIPE_METRIC_STATUSES 13
/* Upper bounds of the request duration histogram, in milliseconds. */
#define PIPE_METRIC_BUCKETS 13

/** The final outcome of one root field's NATS message (its label). */
typedef enum {
    PIPE_NATS_OK = 0,
    PIPE_NATS_TIMEOUT,
    PIPE_NATS_NO_RESPONDERS,
    PIPE_NATS_UPSTREAM_ERROR,
    PIPE_NATS_BAD_REPLY,
    PIPE_NATS_UNAVAILABLE,
    PIPE_NATS_OUTCOMES
} pipe_nats_outcome;

/** What a policy denied (its label). */
typedef enum {
    PIPE_DENY_FIELD = 0,
    PIPE_DENY_SUBJECT,
    PIPE_DENY_OPERATION, /* 403: reject_unauthorized refused the whole operation */
    PIPE_DENY_KINDS
} pipe_deny_kind;

typedef struct {
    atomic_uint_fast64_t status[PIPE_METRIC_STATUSES + 1];
    atomic_uint_fast64_t duration[PIPE_METRIC_BUCKETS + 1]; /* last: +Inf */
    atomic_uint_fast64_t duration_sum_ms;
    atomic_uint_fast64_t nats[PIPE_NATS_OUTCOMES];
    atomic_uint_fast64_t denied[PIPE_DENY_KINDS];
    atomic_uint_fast64_t identity_failures; /* messages whose assertion could not be signed */
} pipe_metrics;

/** Counts one answered request: its HTTP status and duration. */
void pipe_metrics_request(pipe_metrics *m, int status, int64_t ms);

void pipe_metrics_nats(pipe_metrics *m, pipe_nats_outcome o);
void pipe_metrics_denied(pipe_metrics *m, pipe_deny_kind k);

/** The label of an outcome ("ok", "timeout", ...). */
const char *pipe_nats_outcome_name(pipe_nats_outcome o);

/** Appends every series of the runtime (its own counters, authentication,
 * policy reloads, JWKS fetches, NATS state) in the Prometheus text format.
 * PST_ERROR when out of memory (the buffer's failed flag is set). */
pst_status pipe_metrics_write(struct pipe_runtime *rt, pst_buf *out);

#endif
