/**
 * One GraphQL request over HTTP, from the parsed HTTP request to the
 * response: GraphQL-over-HTTP checks, correlation and trace ids, the
 * cached document, operation selection, variable coercion, then every root
 * field resolved over NATS (queries concurrently, mutations in order) and
 * the replies shaped into {errors, data}.
 *
 * Everything of a request lives in the HTTP request's arena and runs on the
 * event loop that received it; nothing here blocks.
 */
#ifndef POSTERN_PIPELINE_REQUEST_H
#define POSTERN_PIPELINE_REQUEST_H

#include "http/server.h"

/** The HTTP handler for the GraphQL listener; ud is unused, the request's
 * loop_ud must be the loop's pipe_loop. Always answers the request, now or
 * later on the same loop. */
void pipe_request_handle(http_request *req, void *ud);

#endif
