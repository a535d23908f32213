/**
 * GraphQL over HTTP (graphql.github.io/graphql-over-http, as the graphql-http
 * audits check it): turns an http_request into GraphQL request parameters,
 * negotiates the response media type, and formats request errors.
 *
 * Rules:
 * - Only the path /graphql (else 404). GET and POST (else 405 with
 *   `Allow: GET, POST`).
 * - Accept negotiation (RFC 9110 q-values, `*` wildcards): the candidate
 *   with the higher q wins; at equal q an explicitly named type beats a
 *   wildcard match, and when both are named application/graphql-response+json
 *   wins. When only wildcards match (`*` / `*`, application/ `*`) or Accept is
 *   absent, application/json is used: that is what legacy clients expect
 *   and what the graphql-http audits check ("SHOULD accept * / * and use
 *   application/json", "SHOULD assume application/json when accept is
 *   missing"; SPEC §9 follows the audits where the draft's post-2025
 *   watershed text would default to graphql-response+json). A media range
 *   with a charset other than utf-8 does not match.
 *   Nothing acceptable: 406.
 * - POST needs `Content-Type: application/json` with charset utf-8 or none
 *   (else 415; application/graphql-response+json is a response type only).
 *   The body must be UTF-8 and one JSON object (duplicate keys are rejected
 *   so that no two readers can see different requests) with `query` a
 *   string, `operationName` a string or null, `variables` and `extensions`
 *   objects or null; other keys are ignored.
 * - GET reads the same parameters from the query string (form encoding;
 *   `variables` and `extensions` hold JSON text; an empty operationName is
 *   absent; a parameter given twice is an error).
 * - A malformed request (bad JSON, missing or mistyped parameters, invalid
 *   UTF-8 or escapes) is a request error: 400 with
 *   application/graphql-response+json, 200 with application/json, and a body
 *   with `errors` and no `data`.
 */
#ifndef POSTERN_HTTP_GRAPHQL_HTTP_H
#define POSTERN_HTTP_GRAPHQL_HTTP_H

#include <jansson.h>
#include <stdbool.h>

#include "common/arena.h"
#include "common/str.h"
#include "http/server.h"

typedef enum {
    HTTP_GQL_MEDIA_JSON = 0,                  /* application/json */
    HTTP_GQL_MEDIA_GRAPHQL_RESPONSE_JSON = 1, /* application/graphql-response+json */
} http_gql_media;

typedef struct {
    pst_str query;          /* the document text (not parsed here) */
    pst_str operation_name; /* p == NULL when absent, null or "" */
    json_t *variables;      /* an object, or NULL when absent or null */
    json_t *extensions;     /* an object, or NULL when absent or null */
    bool is_get;            /* the caller must refuse mutations then */
    http_gql_media media;   /* negotiated response media type */
} http_gql_params;

typedef struct {
    int status;
    const char *message;  /* constant or arena memory */
    const char *code;     /* extensions.code, e.g. "BAD_REQUEST" */
    const char *allow;    /* value of an Allow header to send, or NULL */
    http_gql_media media; /* Content-Type of the error response */
} http_gql_error;

/**
 * Reads the GraphQL parameters of req. Returns 0 with *out filled (views
 * point into the request or into `a`; the JSON values are released by a
 * cleanup registered on `a`), or -1 with *err filled and *out unspecified:
 * 404, 405 (allow set), 406, 415, or a request error whose status is
 * http_gql_status_for_request_error(err->media). Out of memory is a 500.
 */
int http_gql_parse(const http_request *req, pst_arena *a, http_gql_params *out,
                   http_gql_error *err);

/** Chooses the response media type for an Accept value (p == NULL when
 * absent). Returns 0 with *out set, or -1 when neither type is acceptable. */
int http_gql_negotiate(pst_str accept, http_gql_media *out);

/** Status for a GraphQL request error (parse, validation, variable
 * coercion, malformed request): 400 for graphql-response+json, 200 for json. */
int http_gql_status_for_request_error(http_gql_media media);

/** "application/graphql-response+json; charset=utf-8" or "application/json; charset=utf-8". */
const char *http_gql_content_type(http_gql_media media);

/** Appends {"errors":[{"message":m,"extensions":{"code":code}}]} to b.
 * Returns PST_ERROR when out of memory (b->failed set). */
pst_status http_gql_error_body(pst_buf *b, const char *message, const char *code);

/** Fills err for a mutation requested over GET: 405, `Allow: POST`. */
void http_gql_method_not_allowed_for_mutation(http_gql_media media, http_gql_error *err);

/** Answers req with err (status, Content-Type, Allow, JSON error body);
 * this is the request's http_respond call. */
void http_gql_respond_error(http_request *req, const http_gql_error *err);

#endif
