#include "auth/verify.h"

#include <string.h>
#include <time.h>

#include "auth/token_cache.h"
#include "common/mem.h"

#define MAX_AUDIENCES 32
#define MAX_DECODED (AUTH_MAX_TOKEN_BYTES * 3 / 4 + 4)

typedef struct {
    char *issuer;
    char *audiences[MAX_AUDIENCES];
    size_t n_audiences;
    unsigned allowed; /* bit per auth_alg */
    int64_t leeway_ms;
    auth_jwks *jwks;
} issuer;

struct auth_ctx {
    issuer *issuers;
    size_t n_issuers;
    auth_token_cache *cache;
    atomic_ullong accepted, cache_hits, signature_checks, refused[AUTH_REASON_COUNT];
};

static char *dup_c(const char *s)
{
    size_t n = strlen(s);
    char *d = pst_malloc(n + 1);
    if (d)
        memcpy(d, s, n + 1);
    return d;
}

static const char *issuer_init(issuer *is, const auth_issuer_opts *o)
{
    if (!o->issuer || !*o->issuer)
        return "issuer without a name";
    if (o->n_audiences == 0 || o->n_audiences > MAX_AUDIENCES)
        return "issuer needs 1 to 32 audiences";
    if (o->n_algorithms == 0)
        is->allowed = 1u << AUTH_ALG_RS256 | 1u << AUTH_ALG_ES256;
    for (size_t i = 0; i < o->n_algorithms; i++) {
        auth_alg alg = auth_alg_parse(pst_str_c(o->algorithms[i]));
        if (alg == AUTH_ALG_UNKNOWN)
            return "unsupported algorithm (none and HS* are never accepted)";
        is->allowed |= 1u << alg;
    }
    if (!(is->issuer = dup_c(o->issuer)))
        return PST_E_NOMEM;
    for (size_t i = 0; i < o->n_audiences; i++) {
        if (!o->audiences[i] || !(is->audiences[i] = dup_c(o->audiences[i])))
            return o->audiences[i] ? PST_E_NOMEM : "empty audience";
        is->n_audiences++;
    }
    is->leeway_ms = o->leeway_ms > 0 ? o->leeway_ms : 0;
    const char *why = NULL;
    is->jwks = auth_jwks_create(o, &why);
    return is->jwks ? NULL : why;
}

auth_ctx *auth_ctx_create(const auth_opts *o, const char **why)
{
    *why = "no issuer configured";
    if (o->n_issuers == 0)
        return NULL;
    *why = PST_E_NOMEM;
    auth_ctx *c = pst_calloc(1, sizeof(*c));
    if (!c)
        return NULL;
    c->issuers = pst_calloc(o->n_issuers, sizeof(issuer));
    c->cache = auth_token_cache_create(o->token_cache);
    if (!c->issuers || !c->cache) {
        auth_ctx_destroy(c);
        return NULL;
    }
    for (size_t i = 0; i < o->n_issuers; i++) {
        c->n_issuers++;
        const char *err = issuer_init(&c->issuers[i], &o->issuers[i]);
        for (size_t k = 0; !err && k < i; k++)
            if (!strcmp(c->issuers[k].issuer, c->issuers[i].issuer))
                err = "the same issuer is configured twice";
        if (err) {
            *why = err;
            auth_ctx_destroy(c);
            return NULL;
        }
    }
    return c;
}

pst_status auth_ctx_start(auth_ctx *c)
{
    for (size_t i = 0; i < c->n_issuers; i++)
        if (auth_jwks_start(c->issuers[i].jwks) != PST_OK)
            return PST_ERROR;
    return PST_OK;
}

void auth_ctx_destroy(auth_ctx *c)
{
    if (!c)
        return;
    for (size_t i = 0; c->issuers && i < c->n_issuers; i++) {
        issuer *is = &c->issuers[i];
        auth_jwks_destroy(is->jwks);
        pst_free(is->issuer);
        for (size_t k = 0; k < is->n_audiences; k++)
            pst_free(is->audiences[k]);
    }
    pst_free(c->issuers);
    auth_token_cache_destroy(c->cache);
    pst_free(c);
}

const char *auth_unready_issuer(auth_ctx *c)
{
    for (size_t i = 0; i < c->n_issuers; i++)
        if (!auth_jwks_ready(c->issuers[i].jwks))
            return c->issuers[i].issuer;
    return NULL;
}

bool auth_ready(auth_ctx *c)
{
    return auth_unready_issuer(c) == NULL;
}

bool auth_wait_ready(auth_ctx *c, int64_t timeout_ms)
{
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (size_t i = 0; i < c->n_issuers; i++) {
        clock_gettime(CLOCK_MONOTONIC, &t1);
        int64_t spent = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
        if (!auth_jwks_wait_ready(c->issuers[i].jwks, timeout_ms > spent ? timeout_ms - spent : 0))
            return false;
    }
    return true;
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- the JWS ---- */

typedef struct {
    pst_str part[3]; /* header, payload, signature (base64url) */
    json_t *header, *claims;
    auth_alg alg;
    const char *kid;
    size_t kid_len;
} jws;

static void jws_free(jws *t)
{
    json_decref(t->header);
    json_decref(t->claims);
}

/* Decodes one base64url JSON object part; NULL when it is not one. */
static json_t *decode_json(pst_str part)
{
    unsigned char buf[MAX_DECODED];
    long n = pst_b64url_decode(part.p, part.n, buf);
    if (n <= 0)
        return NULL;
    json_t *v = json_loadb((const char *)buf, (size_t)n, JSON_REJECT_DUPLICATES, NULL);
    if (v && !json_is_object(v)) {
        json_decref(v);
        v = NULL;
    }
    return v;
}

/* Splits and decodes the header and claims; checks the header itself. */
static auth_reason parse_jws(const char *tok, size_t len, jws *t)
{
    const char *end = tok + len, *p = tok;
    for (int i = 0; i < 3; i++) {
        const char *dot = i < 2 ? memchr(p, '.', (size_t)(end - p)) : end;
        if (!dot)
            return AUTH_MALFORMED;
        t->part[i] = (pst_str){p, (size_t)(dot - p)};
        p = dot + 1;
    }
    if (memchr(t->part[2].p, '.', t->part[2].n))
        return AUTH_MALFORMED;
    if (!(t->header = decode_json(t->part[0])))
        return AUTH_MALFORMED;
    const json_t *alg = json_object_get(t->header, "alg");
    const json_t *kid = json_object_get(t->header, "kid");
    if (!json_is_string(alg))
        return AUTH_MALFORMED;
    t->alg = auth_alg_parse((pst_str){json_string_value(alg), json_string_length(alg)});
    if (t->alg == AUTH_ALG_UNKNOWN)
        return AUTH_BAD_ALGORITHM;
    /* No extension is understood, so any `crit` rejects (RFC 7515 §4.1.11). */
    if (json_object_get(t->header, "crit") || (kid && !json_is_string(kid)))
        return AUTH_MALFORMED;
    if (kid) {
        t->kid = json_string_value(kid);
        t->kid_len = json_string_length(kid);
    }
    if (!(t->claims = decode_json(t->part[1])))
        return AUTH_MALFORMED;
    return AUTH_OK;
}

static issuer *find_issuer(auth_ctx *c, const json_t *claims)
{
    const json_t *iss = json_object_get(claims, "iss");
    if (!json_is_string(iss))
        return NULL;
    for (size_t i = 0; i < c->n_issuers; i++)
        if (strlen(c->issuers[i].issuer) == json_string_length(iss) &&
            !memcmp(c->issuers[i].issuer, json_string_value(iss), json_string_length(iss)))
            return &c->issuers[i];
    return NULL;
}

/* Picks the issuer's key and checks the signature with it. */
static auth_reason check_signature(auth_ctx *c, issuer *is, const jws *t)
{
    if (!(is->allowed & (1u << t->alg)))
        return AUTH_BAD_ALGORITHM;
    unsigned char sig[MAX_DECODED];
    long sl = pst_b64url_decode(t->part[2].p, t->part[2].n, sig);
    if (sl <= 0)
        return sl < 0 ? AUTH_MALFORMED : AUTH_BAD_SIGNATURE;
    auth_keyset *ks = auth_jwks_acquire(is->jwks);
    const auth_key *k = ks ? auth_keyset_find(ks, t->kid, t->kid_len, t->alg) : NULL;
    auth_reason r = AUTH_OK;
    if (!k) {
        if (t->kid)
            auth_jwks_request_refetch(is->jwks);
        r = AUTH_UNKNOWN_KID;
    } else if ((k->alg != AUTH_ALG_UNKNOWN && k->alg != t->alg) || k->kty != auth_alg_kty(t->alg)) {
        r = AUTH_BAD_ALGORITHM;
    } else {
        atomic_fetch_add(&c->signature_checks, 1);
        size_t in_len = (size_t)(t->part[1].p + t->part[1].n - t->part[0].p);
        if (!auth_jws_verify(t->alg, k->pkey, t->part[0].p, in_len, sig, (size_t)sl))
            r = AUTH_BAD_SIGNATURE;
    }
    auth_keyset_release(ks);
    return r;
}

/* ---- claims ---- */

/* A NumericDate claim in ms: 1 present, 0 absent, -1 not a number. */
static int numeric_date(const json_t *claims, const char *name, int64_t *ms)
{
    const json_t *v = json_object_get(claims, name);
    if (!v)
        return 0;
    if (!json_is_number(v))
        return -1;
    double d = json_number_value(v);
    if (d > 1e13) /* far beyond any real date; keeps the conversion defined */
        d = 1e13;
    if (d < -1e13)
        d = -1e13;
    *ms = (int64_t)(d * 1000.0);
    return 1;
}

static bool audience_ok(const issuer *is, const json_t *aud)
{
    if (json_is_string(aud)) {
        for (size_t i = 0; i < is->n_audiences; i++)
            if (strlen(is->audiences[i]) == json_string_length(aud) &&
                !memcmp(is->audiences[i], json_string_value(aud), json_string_length(aud)))
                return true;
        return false;
    }
    size_t i;
    const json_t *v;
    json_array_foreach(aud, i, v)
    {
        if (json_is_string(v) && audience_ok(is, v))
            return true;
    }
    return false;
}

/* True for a string with a control character (or NUL): it could not be
 * stamped on a NATS header or logged as one line. */
static bool has_control(const json_t *v)
{
    const unsigned char *p = (const unsigned char *)json_string_value(v);
    for (size_t i = 0, n = json_string_length(v); i < n; i++)
        if (p[i] < 0x20 || p[i] == 0x7f)
            return true;
    return false;
}

static auth_reason check_claims(const issuer *is, const json_t *claims, int64_t now,
                                int64_t *exp_ms)
{
    const json_t *sub = json_object_get(claims, "sub");
    const json_t *azp = json_object_get(claims, "azp");
    const json_t *client_id = json_object_get(claims, "client_id");
    int64_t nbf = 0, iat = 0;
    if (!json_is_string(sub) || json_string_length(sub) == 0 || has_control(sub) ||
        (json_is_string(azp) && has_control(azp)) ||
        (json_is_string(client_id) && has_control(client_id)))
        return AUTH_MALFORMED;
    int has_exp = numeric_date(claims, "exp", exp_ms);
    int has_nbf = numeric_date(claims, "nbf", &nbf);
    int has_iat = numeric_date(claims, "iat", &iat);
    if (has_exp != 1 || has_nbf < 0 || has_iat < 0)
        return AUTH_MALFORMED;
    if (now >= *exp_ms + is->leeway_ms)
        return AUTH_EXPIRED;
    if ((has_nbf && nbf > now + is->leeway_ms) || (has_iat && iat > now + is->leeway_ms))
        return AUTH_NOT_YET_VALID;
    if (!audience_ok(is, json_object_get(claims, "aud")))
        return AUTH_BAD_AUDIENCE;
    return AUTH_OK;
}

/* Full verification of a token that is not cached. */
static auth_reason verify_uncached(auth_ctx *c, const char *tok, size_t len, int64_t now,
                                   json_t **claims, int64_t *valid_until)
{
    jws t = {0};
    auth_reason r = parse_jws(tok, len, &t);
    issuer *is = NULL;
    int64_t exp = 0;
    if (r == AUTH_OK && !(is = find_issuer(c, t.claims)))
        r = AUTH_BAD_ISSUER;
    if (r == AUTH_OK)
        r = check_signature(c, is, &t);
    if (r == AUTH_OK)
        r = check_claims(is, t.claims, now, &exp);
    if (r == AUTH_OK) {
        *claims = json_incref(t.claims);
        *valid_until = exp + is->leeway_ms;
    }
    jws_free(&t);
    return r;
}

static pst_status refuse(auth_ctx *c, auth_reason r, auth_reason *why)
{
    atomic_fetch_add(&c->refused[r], 1);
    *why = r;
    return PST_DENIED;
}

pst_status auth_verify(auth_ctx *c, const char *token, size_t len, pst_arena *a,
                       auth_principal **out, auth_reason *why)
{
    if (len == 0)
        return refuse(c, AUTH_MISSING, why);
    if (len > AUTH_MAX_TOKEN_BYTES)
        return refuse(c, AUTH_TOO_LARGE, why);
    unsigned char hash[AUTH_TOKEN_HASH_LEN];
    bool hashed = auth_token_hash(token, len, hash) == PST_OK;
    int64_t now = now_ms(), until = 0;
    json_t *claims = hashed ? auth_token_cache_get(c->cache, hash, now) : NULL;
    if (claims) {
        atomic_fetch_add(&c->cache_hits, 1);
    } else {
        auth_reason r = verify_uncached(c, token, len, now, &claims, &until);
        if (r != AUTH_OK)
            return refuse(c, r, why);
        /* a failed put only costs a later re-verification */
        if (hashed)
            auth_token_cache_put(c->cache, hash, claims, until, now);
    }
    auth_principal *p = auth_principal_new(a, claims);
    json_decref(claims);
    if (!p)
        return PST_ERROR;
    atomic_fetch_add(&c->accepted, 1);
    *out = p;
    *why = AUTH_OK;
    return PST_OK;
}

pst_status auth_authenticate(auth_ctx *c, const auth_token_source *sources, size_t n,
                             auth_header_fn get, void *ud, bool allow_anonymous, pst_arena *a,
                             auth_principal **out, auth_reason *why)
{
    pst_str tok;
    if (auth_extract_token(sources, n, get, ud, &tok) == PST_OK)
        return auth_verify(c, tok.p, tok.n, a, out, why);
    if (!allow_anonymous)
        return refuse(c, AUTH_MISSING, why);
    auth_principal *p = auth_principal_anonymous(a);
    if (!p)
        return PST_ERROR;
    *out = p;
    *why = AUTH_OK;
    return PST_OK;
}

void auth_get_stats(auth_ctx *c, auth_stats *out)
{
    memset(out, 0, sizeof(*out));
    out->accepted = atomic_load(&c->accepted);
    out->cache_hits = atomic_load(&c->cache_hits);
    out->signature_checks = atomic_load(&c->signature_checks);
    for (int i = 0; i < AUTH_REASON_COUNT; i++)
        out->refused[i] = atomic_load(&c->refused[i]);
    for (size_t i = 0; i < c->n_issuers; i++) {
        auth_jwks_stats js;
        auth_jwks_get_stats(c->issuers[i].jwks, &js);
        out->jwks_fetch_ok += js.fetch_ok;
        out->jwks_fetch_failed += js.fetch_failed;
    }
    out->cached_tokens = auth_token_cache_size(c->cache);
}
