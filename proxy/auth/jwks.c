#include "auth/jwks.h"

#include <arpa/inet.h>
#include <pthread.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>

#include "common/log.h"
#include "common/mem.h"

#define MAX_KEYS 64
#define MAX_DOC_BYTES (1u << 20)
#define FETCH_TIMEOUT_MS 10000L
#define CONNECT_TIMEOUT_MS 5000L

/* ---- key sets ---- */

static char *dup_str(const char *s, size_t n)
{
    char *d = pst_malloc(n + 1);
    if (d) {
        memcpy(d, s, n);
        d[n] = 0;
    }
    return d;
}

void auth_keyset_release(auth_keyset *ks)
{
    if (!ks || atomic_fetch_sub(&ks->refs, 1) != 1)
        return;
    for (size_t i = 0; i < ks->n; i++) {
        EVP_PKEY_free(ks->keys[i].pkey);
        pst_free(ks->keys[i].kid);
    }
    pst_free(ks);
}

/* Adds jwk to ks when usable; returns false only when out of memory. */
static bool keyset_add(auth_keyset *ks, const json_t *jwk)
{
    const char *use = json_string_value(json_object_get(jwk, "use"));
    const json_t *kid = json_object_get(jwk, "kid");
    const char *alg = json_string_value(json_object_get(jwk, "alg"));
    const char *why = NULL;
    auth_key *k = &ks->keys[ks->n];
    if ((use && strcmp(use, "sig") != 0) || (kid && !json_is_string(kid)))
        return true;
    k->alg = alg ? auth_alg_parse(pst_str_c(alg)) : AUTH_ALG_UNKNOWN;
    if (alg && k->alg == AUTH_ALG_UNKNOWN)
        return true; /* e.g. an HS256 or RSA-OAEP key: never for postern */
    k->pkey = auth_jwk_to_pkey(jwk, &k->kty, &why);
    if (!k->pkey) {
        pst_log(PST_LOG_WARN, "JWKS key skipped: %s", why);
        return true;
    }
    if (k->alg != AUTH_ALG_UNKNOWN && auth_alg_kty(k->alg) != k->kty) {
        EVP_PKEY_free(k->pkey);
        return true;
    }
    k->kid = NULL;
    if (kid && !(k->kid = dup_str(json_string_value(kid), json_string_length(kid)))) {
        EVP_PKEY_free(k->pkey);
        return false;
    }
    ks->n++;
    return true;
}

auth_keyset *auth_keyset_parse(const char *text, size_t len, const char **why)
{
    json_t *doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, NULL);
    json_t *keys = json_object_get(doc, "keys");
    auth_keyset *ks = NULL;
    *why = "not a JWKS document";
    if (json_is_array(keys)) {
        *why = PST_E_NOMEM;
        ks = pst_calloc(1, sizeof(*ks) + MAX_KEYS * sizeof(auth_key));
    }
    if (ks) {
        atomic_init(&ks->refs, 1);
        size_t i;
        json_t *jwk;
        json_array_foreach(keys, i, jwk)
        {
            if (ks->n == MAX_KEYS)
                break;
            if (json_is_object(jwk) && !keyset_add(ks, jwk)) {
                auth_keyset_release(ks);
                ks = NULL;
                break;
            }
        }
        if (ks && ks->n == 0) {
            *why = "JWKS has no usable signing key";
            auth_keyset_release(ks);
            ks = NULL;
        }
    }
    json_decref(doc);
    return ks;
}

const auth_key *auth_keyset_find(const auth_keyset *ks, const char *kid, size_t kid_len,
                                 auth_alg alg)
{
    const auth_key *only = NULL;
    for (size_t i = 0; i < ks->n; i++) {
        const auth_key *k = &ks->keys[i];
        if (kid) {
            if (k->kid && strlen(k->kid) == kid_len && memcmp(k->kid, kid, kid_len) == 0)
                return k;
        } else if (k->kty == auth_alg_kty(alg)) {
            if (only)
                return NULL; /* no kid and several candidates: refuse to guess */
            only = k;
        }
    }
    return only;
}

/* ---- URLs ---- */

static bool host_is_loopback(const char *host)
{
    unsigned char a[16];
    if (!strcasecmp(host, "localhost")) /* host names are case-insensitive */
        return true;
    if (inet_pton(AF_INET, host, a) == 1)
        return a[0] == 127;
    size_t n = strlen(host);
    if (n > 2 && host[0] == '[' && host[n - 1] == ']') {
        char v6[64];
        if (n - 2 >= sizeof(v6))
            return false;
        memcpy(v6, host + 1, n - 2);
        v6[n - 2] = 0;
        return inet_pton(AF_INET6, v6, a) == 1 && !memcmp(a, &in6addr_loopback, 16);
    }
    return false;
}

bool auth_url_allowed(const char *url, bool insecure)
{
    CURLU *u = curl_url();
    char *scheme = NULL, *host = NULL;
    bool ok = false;
    if (u && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK) {
        if (!strcmp(scheme, "https"))
            ok = true;
        else if (!strcmp(scheme, "http"))
            ok = insecure || host_is_loopback(host);
    }
    curl_free(scheme);
    curl_free(host);
    curl_url_cleanup(u);
    return ok;
}

/* ---- the fetcher ---- */

struct auth_jwks {
    char *issuer, *jwks_uri, *discovered_uri;
    bool discovery, insecure;
    int64_t refresh_ms, min_refetch_ms;

    pthread_t thread;
    bool started;
    pthread_mutex_t lock; /* guards the fields below; never held during a fetch */
    pthread_cond_t cond;
    bool stop, refetch;
    int64_t last_fetch_ms, next_fetch_ms;

    pthread_mutex_t pub_lock; /* guards `current` for the swap/acquire only */
    auth_keyset *current;

    atomic_bool ready, stopping;
    atomic_llong last_request_ms;
    atomic_ullong fetch_ok, fetch_failed;
};

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static void curl_init(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
}

auth_jwks *auth_jwks_create(const auth_issuer_opts *o, const char **why)
{
    pthread_once(&curl_once, curl_init);
    *why = "issuer needs jwks_uri or discovery";
    if (!o->issuer || !*o->issuer || (!o->jwks_uri && !o->discovery))
        return NULL;
    *why = "http:// is allowed only for loopback hosts unless insecure";
    if ((o->jwks_uri && !auth_url_allowed(o->jwks_uri, o->insecure)) ||
        (!o->jwks_uri && !auth_url_allowed(o->issuer, o->insecure)))
        return NULL;
    *why = PST_E_NOMEM;
    auth_jwks *j = pst_calloc(1, sizeof(*j));
    if (!j)
        return NULL;
    j->issuer = dup_str(o->issuer, strlen(o->issuer));
    j->jwks_uri = o->jwks_uri ? dup_str(o->jwks_uri, strlen(o->jwks_uri)) : NULL;
    if (!j->issuer || (o->jwks_uri && !j->jwks_uri)) {
        pst_free(j->issuer);
        pst_free(j->jwks_uri);
        pst_free(j);
        return NULL;
    }
    j->discovery = o->discovery;
    j->insecure = o->insecure;
    j->refresh_ms = o->jwks_refresh_ms > 0 ? o->jwks_refresh_ms : 600000;
    j->min_refetch_ms = o->jwks_min_refetch_ms > 0 ? o->jwks_min_refetch_ms : 30000;
    if (j->min_refetch_ms < 1000)
        j->min_refetch_ms = 1000;
    pthread_mutex_init(&j->lock, NULL);
    pthread_mutex_init(&j->pub_lock, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&j->cond, &ca);
    pthread_condattr_destroy(&ca);
    atomic_init(&j->last_request_ms, INT64_MIN / 2);
    if (o->insecure && strncmp(o->issuer, "https://", 8) != 0)
        pst_log(PST_LOG_WARN, "oidc issuer %s: insecure http:// key fetching enabled", o->issuer);
    return j;
}

typedef struct {
    pst_buf body;
    auth_jwks *j;
} fetch_state;

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
    fetch_state *st = ud;
    size_t len = size * n;
    if (st->body.len + len > MAX_DOC_BYTES || pst_buf_append(&st->body, p, len) != PST_OK)
        return 0; /* aborts the transfer */
    return len;
}

static int on_progress(void *ud, curl_off_t a, curl_off_t b, curl_off_t c, curl_off_t d)
{
    (void)a, (void)b, (void)c, (void)d;
    return atomic_load(&((fetch_state *)ud)->j->stopping) ? 1 : 0;
}

/* GETs url into st->body; returns NULL or a constant error. */
static const char *http_get(const char *url, fetch_state *st)
{
    if (!auth_url_allowed(url, st->j->insecure))
        return "URL not allowed (http:// only on loopback unless insecure)";
    CURL *c = curl_easy_init();
    if (!c)
        return PST_E_NOMEM;
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, FETCH_TIMEOUT_MS);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, CONNECT_TIMEOUT_MS);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, st);
    curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(c, CURLOPT_XFERINFODATA, st);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "postern");
    CURLcode rc = curl_easy_perform(c);
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup(c);
    if (rc != CURLE_OK)
        return curl_easy_strerror(rc);
    return status == 200 ? NULL : "HTTP status is not 200";
}

/* Discovery: reads jwks_uri from the issuer's OpenID configuration. */
static const char *discover(auth_jwks *j)
{
    pst_buf url = {0};
    size_t il = strlen(j->issuer);
    while (il > 0 && j->issuer[il - 1] == '/')
        il--;
    fetch_state st = {{0}, j};
    const char *err = PST_E_NOMEM;
    if (pst_buf_append(&url, j->issuer, il) == PST_OK &&
        pst_buf_append_c(&url, "/.well-known/openid-configuration") == PST_OK && pst_buf_cstr(&url))
        err = http_get(url.p, &st);
    pst_buf_free(&url);
    if (!err) {
        json_t *doc = json_loadb(st.body.p, st.body.len, 0, NULL);
        const char *iss = json_string_value(json_object_get(doc, "issuer"));
        const char *uri = json_string_value(json_object_get(doc, "jwks_uri"));
        err = "discovery document without jwks_uri";
        /* OpenID Connect Discovery 1.0 §4.3: `issuer` must equal the issuer */
        if (!iss)
            err = "discovery document without issuer";
        else if (strcmp(iss, j->issuer) != 0)
            err = "discovery document names another issuer";
        else if (uri) {
            err = NULL;
            pst_free(j->discovered_uri);
            if (!(j->discovered_uri = dup_str(uri, strlen(uri))))
                err = PST_E_NOMEM;
        }
        json_decref(doc);
    }
    pst_buf_free(&st.body);
    return err;
}

static void publish(auth_jwks *j, auth_keyset *ks)
{
    pthread_mutex_lock(&j->pub_lock);
    auth_keyset *old = j->current;
    j->current = ks;
    pthread_mutex_unlock(&j->pub_lock);
    auth_keyset_release(old);
    pthread_mutex_lock(&j->lock);
    atomic_store(&j->ready, true);
    pthread_cond_broadcast(&j->cond);
    pthread_mutex_unlock(&j->lock);
}

/* One fetch cycle: discovery when needed, then the JWKS. */
static bool fetch_once(auth_jwks *j)
{
    const char *err = NULL;
    if (!j->jwks_uri && !j->discovered_uri)
        err = discover(j);
    const char *uri = j->jwks_uri ? j->jwks_uri : j->discovered_uri;
    fetch_state st = {{0}, j};
    if (!err)
        err = http_get(uri, &st);
    auth_keyset *ks = NULL;
    if (!err)
        ks = auth_keyset_parse(st.body.p, st.body.len, &err);
    pst_buf_free(&st.body);
    if (!ks) {
        atomic_fetch_add(&j->fetch_failed, 1);
        if (!j->jwks_uri) { /* re-discover next time: the jwks_uri may have moved */
            pst_free(j->discovered_uri);
            j->discovered_uri = NULL;
        }
        if (!atomic_load(&j->stopping))
            pst_log(PST_LOG_WARN, "oidc issuer %s: key fetch failed (%s); keeping cached keys",
                    j->issuer, err);
        return false;
    }
    atomic_fetch_add(&j->fetch_ok, 1);
    pst_log(PST_LOG_DEBUG, "oidc issuer %s: %zu keys loaded", j->issuer, ks->n);
    publish(j, ks);
    return true;
}

static void wait_until(auth_jwks *j, int64_t deadline_ms)
{
    struct timespec ts = {(time_t)(deadline_ms / 1000), (long)(deadline_ms % 1000) * 1000000};
    pthread_cond_timedwait(&j->cond, &j->lock, &ts);
}

static void *fetch_thread(void *arg)
{
    auth_jwks *j = arg;
    pthread_mutex_lock(&j->lock);
    while (!j->stop) {
        int64_t now = mono_ms();
        int64_t refetch_at = j->last_fetch_ms + j->min_refetch_ms;
        if (now < j->next_fetch_ms && !(j->refetch && now >= refetch_at)) {
            int64_t until = j->next_fetch_ms;
            if (j->refetch && refetch_at < until)
                until = refetch_at;
            wait_until(j, until);
            continue;
        }
        j->refetch = false;
        j->last_fetch_ms = now;
        pthread_mutex_unlock(&j->lock);
        bool ok = fetch_once(j);
        pthread_mutex_lock(&j->lock);
        int64_t retry = j->min_refetch_ms < j->refresh_ms ? j->min_refetch_ms : j->refresh_ms;
        j->next_fetch_ms = mono_ms() + (ok ? j->refresh_ms : retry);
    }
    pthread_mutex_unlock(&j->lock);
    return NULL;
}

pst_status auth_jwks_start(auth_jwks *j)
{
    if (j->started)
        return PST_OK;
    j->next_fetch_ms = 0; /* fetch at once */
    if (pthread_create(&j->thread, NULL, fetch_thread, j) != 0)
        return PST_ERROR;
    j->started = true;
    return PST_OK;
}

void auth_jwks_destroy(auth_jwks *j)
{
    if (!j)
        return;
    if (j->started) {
        atomic_store(&j->stopping, true);
        pthread_mutex_lock(&j->lock);
        j->stop = true;
        pthread_cond_broadcast(&j->cond);
        pthread_mutex_unlock(&j->lock);
        pthread_join(j->thread, NULL);
    }
    auth_keyset_release(j->current);
    pthread_cond_destroy(&j->cond);
    pthread_mutex_destroy(&j->lock);
    pthread_mutex_destroy(&j->pub_lock);
    pst_free(j->issuer);
    pst_free(j->jwks_uri);
    pst_free(j->discovered_uri);
    pst_free(j);
}

bool auth_jwks_ready(auth_jwks *j)
{
    return atomic_load(&j->ready);
}

bool auth_jwks_wait_ready(auth_jwks *j, int64_t timeout_ms)
{
    int64_t deadline = mono_ms() + timeout_ms;
    pthread_mutex_lock(&j->lock);
    while (!atomic_load(&j->ready) && mono_ms() < deadline)
        wait_until(j, deadline);
    pthread_mutex_unlock(&j->lock);
    return atomic_load(&j->ready);
}

auth_keyset *auth_jwks_acquire(auth_jwks *j)
{
    pthread_mutex_lock(&j->pub_lock);
    auth_keyset *ks = j->current;
    if (ks)
        atomic_fetch_add(&ks->refs, 1);
    pthread_mutex_unlock(&j->pub_lock);
    return ks;
}

bool auth_jwks_request_refetch(auth_jwks *j)
{
    int64_t now = mono_ms();
    long long last = atomic_load(&j->last_request_ms);
    if (now - last < j->min_refetch_ms ||
        !atomic_compare_exchange_strong(&j->last_request_ms, &last, now))
        return false;
    pthread_mutex_lock(&j->lock);
    j->refetch = true;
    pthread_cond_broadcast(&j->cond);
    pthread_mutex_unlock(&j->lock);
    return true;
}

void auth_jwks_get_stats(auth_jwks *j, auth_jwks_stats *out)
{
    out->fetch_ok = atomic_load(&j->fetch_ok);
    out->fetch_failed = atomic_load(&j->fetch_failed);
    auth_keyset *ks = auth_jwks_acquire(j);
    out->keys = ks ? ks->n : 0;
    auth_keyset_release(ks);
}
