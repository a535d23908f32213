/* Helpers shared by the auth tests: token building on a real dev issuer. */
#ifndef POSTERN_AUTH_TEST_UTIL_H
#define POSTERN_AUTH_TEST_UTIL_H

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "auth/dev_idp.h"
#include "auth/verify.h"

static inline dev_idp *start_idp(auth_alg alg)
{
    const char *why = NULL;
    dev_idp_opts o = {.host = "127.0.0.1", .port = 0, .alg = alg};
    dev_idp *idp = dev_idp_start(&o, &why);
    if (!idp)
        fprintf(stderr, "dev_idp_start: %s\n", why);
    return idp;
}

/* Standard valid claims for idp, expiring in ttl seconds. */
static inline json_t *claims_for(const char *issuer, const char *sub, long ttl)
{
    json_int_t now = (json_int_t)time(NULL);
    return json_pack("{ss ss ss sI sI ss}", "iss", issuer, "sub", sub, "aud", "orders-api", "iat",
                     now, "exp", now + ttl, "azp", "web-app");
}

/* A token signed by key with the given header/claims (both consumed). */
static inline char *sign_with(const dev_idp_key *key, json_t *header, json_t *claims)
{
    pst_buf b = {0};
    char *out = NULL;
    if (dev_idp_sign(key, header, claims, &b) == PST_OK && pst_buf_cstr(&b))
        out = strdup(b.p);
    pst_buf_free(&b);
    json_decref(header);
    json_decref(claims);
    return out;
}

/* A token signed by idp's current key (header/claims consumed). */
static inline char *sign_idp(dev_idp *idp, json_t *header, json_t *claims)
{
    pst_buf b = {0};
    char *out = NULL;
    if (dev_idp_sign_current(idp, header, claims, &b) == PST_OK && pst_buf_cstr(&b))
        out = strdup(b.p);
    pst_buf_free(&b);
    json_decref(header);
    json_decref(claims);
    return out;
}

/* Verifies token; returns the reason (AUTH_OK on success) and, when sub is
 * given, copies the principal's sub into it. */
static inline auth_reason verify_tok(auth_ctx *c, const char *tok, char *sub, size_t sub_cap)
{
    pst_arena *a = pst_arena_create(1024);
    auth_principal *p = NULL;
    auth_reason why = AUTH_REASON_COUNT;
    pst_status s = auth_verify(c, tok ? tok : "", tok ? strlen(tok) : 0, a, &p, &why);
    if (s == PST_OK && sub && p && p->sub)
        snprintf(sub, sub_cap, "%s", p->sub);
    if (s == PST_OK && why != AUTH_OK)
        why = AUTH_REASON_COUNT;
    pst_arena_destroy(a);
    return why;
}

static inline void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

#endif
