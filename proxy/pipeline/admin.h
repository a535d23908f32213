/**
 * The admin listener (SPEC §9): /healthz (200 while the loops run),
 * /readyz (200 only with NATS connected and every issuer's keys loaded;
 * else 503 with the reasons), /metrics (Prometheus text) and
 * /.well-known/jwks.json (the identity key). One event-loop thread of its
 * own.
 */
#ifndef POSTERN_PIPELINE_ADMIN_H
#define POSTERN_PIPELINE_ADMIN_H

#include "http/server.h"
#include "pipeline/runtime.h"

/** Starts the admin listener on cfg.admin_listen. NULL with *error set when
 * it cannot listen. The caller stops and frees it like any http_server. */
http_server *pipe_admin_start(pipe_runtime *rt, const char **error);

#endif
