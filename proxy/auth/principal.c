#include "auth/principal.h"

#include <string.h>
#include <strings.h>

static const struct {
    const char *name, *desc;
} REASONS[AUTH_REASON_COUNT] = {
    [AUTH_OK] = {"ok", "ok"},
    [AUTH_MISSING] = {"missing", "no bearer token"},
    [AUTH_MALFORMED] = {"malformed", "the token is malformed"},
    [AUTH_EXPIRED] = {"expired", "the token has expired"},
    [AUTH_NOT_YET_VALID] = {"not_yet_valid", "the token is not valid yet"},
    [AUTH_BAD_SIGNATURE] = {"bad_signature", "the token signature is invalid"},
    [AUTH_UNKNOWN_KID] = {"unknown_kid", "the token is signed by an unknown key"},
    [AUTH_BAD_ISSUER] = {"bad_issuer", "the token issuer is not trusted"},
    [AUTH_BAD_AUDIENCE] = {"bad_audience", "the token is not meant for this service"},
    [AUTH_BAD_ALGORITHM] = {"bad_algorithm", "the token algorithm is not allowed"},
    [AUTH_TOO_LARGE] = {"too_large", "the token is too large"},
};

const char *auth_reason_name(auth_reason r)
{
    return (r >= 0 && r < AUTH_REASON_COUNT) ? REASONS[r].name : "unknown";
}

const char *auth_reason_description(auth_reason r)
{
    return (r >= 0 && r < AUTH_REASON_COUNT) ? REASONS[r].desc : "invalid token";
}

static void decref(void *p)
{
    json_decref(p);
}

static auth_principal *principal_alloc(pst_arena *a, json_t *claims)
{
    auth_principal *p = pst_arena_calloc(a, sizeof(*p));
    if (!p || pst_arena_cleanup(a, decref, claims) != PST_OK)
        return NULL;
    p->claims = claims;
    return p;
}

auth_principal *auth_principal_new(pst_arena *a, json_t *claims)
{
    auth_principal *p = principal_alloc(a, json_incref(claims));
    if (!p) {
        json_decref(claims);
        return NULL;
    }
    p->sub = json_string_value(json_object_get(claims, "sub"));
    p->iss = json_string_value(json_object_get(claims, "iss"));
    p->client = json_string_value(json_object_get(claims, "azp"));
    if (!p->client)
        p->client = json_string_value(json_object_get(claims, "client_id"));
    return p;
}

auth_principal *auth_principal_anonymous(pst_arena *a)
{
    json_t *empty = json_object();
    if (!empty)
        return NULL;
    auth_principal *p = principal_alloc(a, empty);
    if (!p) {
        json_decref(empty);
        return NULL;
    }
    p->sub = "anonymous";
    p->anonymous = true;
    return p;
}

const auth_token_source AUTH_DEFAULT_SOURCES[1] = {{"Authorization", "Bearer "}};

static pst_str trim_right(const char *p, size_t n)
{
    while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t'))
        n--;
    return (pst_str){p, n};
}

/* Matches one source against a header value; true with *tok when it
 * yields a non-empty token. */
static bool match_source(const auth_token_source *s, const char *v, pst_str *tok)
{
    const char *prefix = s->prefix ? s->prefix : "";
    size_t pl = strlen(prefix);
    if (pl > 0 && prefix[pl - 1] == ' ') {
        size_t scheme = pl;
        while (scheme > 0 && prefix[scheme - 1] == ' ')
            scheme--;
        if (strncasecmp(v, prefix, scheme) != 0 || v[scheme] != ' ')
            return false;
        v += scheme;
        while (*v == ' ')
            v++;
    } else {
        if (strncmp(v, prefix, pl) != 0)
            return false;
        v += pl;
    }
    *tok = trim_right(v, strlen(v));
    return tok->n > 0;
}

pst_status auth_extract_token(const auth_token_source *sources, size_t n, auth_header_fn get,
                              void *ud, pst_str *token)
{
    for (size_t i = 0; i < n; i++) {
        if (!sources[i].header)
            continue;
        const char *v = get(ud, sources[i].header);
        pst_str t;
        if (v && match_source(&sources[i], v, &t)) {
            *token = t;
            return PST_OK;
        }
    }
    return PST_DECLINED;
}

pst_status auth_challenge(auth_reason r, pst_buf *out)
{
    if (r == AUTH_MISSING || r == AUTH_OK)
        return pst_buf_append_c(out, "Bearer realm=\"postern\"");
    size_t before = out->len;
    if (pst_buf_appendf(out,
                        "Bearer realm=\"postern\", error=\"invalid_token\", "
                        "error_description=\"%s\"",
                        auth_reason_description(r)) != PST_OK) {
        pst_buf_truncate(out, before);
        return PST_ERROR;
    }
    return PST_OK;
}
