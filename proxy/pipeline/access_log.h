/**
 * The access/audit line of SPEC §10, one per answered GraphQL request, and
 * the request-level metrics that go with it. Called by request.c just
 * before the answer is written (the request is still alive then).
 */
#ifndef POSTERN_PIPELINE_ACCESS_LOG_H
#define POSTERN_PIPELINE_ACCESS_LOG_H

#include "pipeline/exec.h"

/** Counts the request (status, duration, each field's NATS outcome and
 * policy denials) and, at level info, writes one JSON line: time, corr,
 * sub, iss, client, roles, operation, each root field (coordinate, subject,
 * decision, rule, outcome, ms), status, n_errors (the length of the
 * answer's "errors") and ms. Never a token, secret or
 * body. Best effort: out of memory loses the line, never the answer. */
void pipe_access_log(pipe_req *r, int status, size_t n_errors);

#endif
