/**
 * Authentication in the request path (SPEC §9, §13): builds the verifier
 * from the config's issuers and answers 401 with the RFC 6750 challenge
 * when a request has no usable token.
 */
#ifndef POSTERN_PIPELINE_AUTHN_H
#define POSTERN_PIPELINE_AUTHN_H

#include "auth/verify.h"

struct pipe_runtime;
struct pipe_req;

/** Creates (not starts) the verifier for cfg.oidc.issuers; rt->auth stays
 * NULL when no issuer is configured. PST_ERROR with *error when the
 * issuers are unusable. */
pst_status pipe_authn_create(struct pipe_runtime *rt, const char **error);

/** Authenticates the request into r->who. PST_OK to go on; PST_DENIED when
 * it has answered 401 itself; PST_ERROR when out of memory (not answered). */
pst_status pipe_authn_request(struct pipe_req *r);

#endif
