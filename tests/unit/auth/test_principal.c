/* Token extraction from headers, the WWW-Authenticate challenge, reason
 * names and principals. */
#include <strings.h>

#include "auth/principal.h"
#include "test.h"

typedef struct {
    const char *names[4], *values[4];
} headers;

static const char *get_header(void *ud, const char *name)
{
    headers *h = ud;
    for (int i = 0; i < 4 && h->names[i]; i++)
        if (!strcasecmp(h->names[i], name))
            return h->values[i];
    return NULL;
}

/* Extracts with the default sources from one Authorization value; returns
 * the token as a static string or NULL when there is none. */
static const char *bearer(const char *value)
{
    static char out[256];
    headers h = {{"authorization"}, {value}};
    pst_str t = PST_STR_LIT("unchanged");
    if (auth_extract_token(AUTH_DEFAULT_SOURCES, 1, get_header, &h, &t) != PST_OK)
        return pst_str_eq_c(t, "unchanged") ? NULL : "view changed on failure";
    snprintf(out, sizeof(out), "%.*s", (int)t.n, t.p);
    return out;
}

static void test_bearer(void)
{
    CHECK_STR(bearer("Bearer abc.def.ghi"), "abc.def.ghi");
    CHECK_STR(bearer("bearer abc"), "abc");
    CHECK_STR(bearer("BEARER    abc"), "abc");
    CHECK_STR(bearer("BeArEr abc \t"), "abc");
    CHECK(bearer("Bearer") == NULL);
    CHECK(bearer("Bearer ") == NULL);
    CHECK(bearer("Bearer     ") == NULL);
    CHECK(bearer("Basic dXNlcjpwYXNz") == NULL);
    CHECK(bearer("Bearerabc") == NULL);
    CHECK(bearer("Bearer\tabc") == NULL);
    CHECK(bearer("") == NULL);
    CHECK(bearer(" Bearer abc") == NULL);
    headers none = {{"X-Other"}, {"Bearer abc"}};
    pst_str t;
    CHECK(auth_extract_token(AUTH_DEFAULT_SOURCES, 1, get_header, &none, &t) == PST_DECLINED);
    CHECK(auth_extract_token(AUTH_DEFAULT_SOURCES, 0, get_header, &none, &t) == PST_DECLINED);
}

static void test_sources(void)
{
    const auth_token_source src[] = {
        {"Authorization", "Bearer "}, {"X-Api-Token", "Token "}, {"X-Forwarded-Access-Token", ""}};
    headers h = {{"Authorization", "X-Forwarded-Access-Token"}, {"Basic eDp5", "raw.jwt.value"}};
    pst_str t;
    CHECK(auth_extract_token(src, 3, get_header, &h, &t) == PST_OK);
    CHECK(pst_str_eq_c(t, "raw.jwt.value"));
    headers h2 = {{"x-api-token", "X-Forwarded-Access-Token"}, {"token  a.b.c", "other"}};
    CHECK(auth_extract_token(src, 3, get_header, &h2, &t) == PST_OK);
    CHECK(pst_str_eq_c(t, "a.b.c"));
    const auth_token_source exact[] = {{"X-Token", "jwt:"}};
    headers h3 = {{"X-Token"}, {"JWT:abc"}};
    CHECK(auth_extract_token(exact, 1, get_header, &h3, &t) == PST_DECLINED);
    h3.values[0] = "jwt:abc";
    CHECK(auth_extract_token(exact, 1, get_header, &h3, &t) == PST_OK && pst_str_eq_c(t, "abc"));
    h3.values[0] = "jwt:";
    CHECK(auth_extract_token(exact, 1, get_header, &h3, &t) == PST_DECLINED);
}

static const char *challenge(auth_reason r)
{
    static pst_buf b;
    pst_buf_reset(&b);
    if (auth_challenge(r, &b) != PST_OK)
        return NULL;
    return pst_buf_cstr(&b);
}

static void test_challenge(void)
{
    CHECK_STR(challenge(AUTH_MISSING), "Bearer realm=\"postern\"");
    CHECK_STR(challenge(AUTH_EXPIRED), "Bearer realm=\"postern\", error=\"invalid_token\", "
                                       "error_description=\"the token has expired\"");
    CHECK_STR(challenge(AUTH_BAD_SIGNATURE),
              "Bearer realm=\"postern\", error=\"invalid_token\", "
              "error_description=\"the token signature is invalid\"");
    static const char *names[] = {"ok",
                                  "missing",
                                  "malformed",
                                  "expired",
                                  "not_yet_valid",
                                  "bad_signature",
                                  "unknown_kid",
                                  "bad_issuer",
                                  "bad_audience",
                                  "bad_algorithm",
                                  "too_large"};
    for (int r = 0; r < AUTH_REASON_COUNT; r++) {
        CHECK_STR(auth_reason_name(r), names[r]);
        const char *d = auth_reason_description(r);
        CHECK(d && *d && !strpbrk(d, "\"\\"));
    }
    CHECK_STR(auth_reason_name(AUTH_REASON_COUNT), "unknown");
}

static void test_principal(void)
{
    pst_arena *a = pst_arena_create(256);
    json_t *claims = json_pack("{ss ss ss}", "sub", "alice", "iss", "https://i", "client_id", "c1");
    auth_principal *p = auth_principal_new(a, claims);
    CHECK(p && !p->anonymous);
    CHECK_STR(p ? p->sub : NULL, "alice");
    CHECK_STR(p ? p->client : NULL, "c1");
    CHECK(claims->refcount == 2);
    json_object_set_new(claims, "azp", json_string("web"));
    p = auth_principal_new(a, claims);
    CHECK_STR(p ? p->client : NULL, "web");
    auth_principal *anon = auth_principal_anonymous(a);
    CHECK(anon && anon->anonymous && anon->iss == NULL && json_object_size(anon->claims) == 0);
    CHECK_STR(anon ? anon->sub : NULL, "anonymous");
    pst_arena_reset(a);
    CHECK(claims->refcount == 1);
    json_decref(claims);
    pst_arena_destroy(a);
}

int main(void)
{
    test_bearer();
    test_sources();
    test_challenge();
    test_principal();
    TEST_END();
}
