#include "auth/dev_idp.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/thread.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include "common/mem.h"

/* ---- keys ---- */

static auth_alg alg_for(EVP_PKEY *pkey)
{
    switch (auth_pkey_kty(pkey)) {
    case AUTH_KTY_RSA:
        return AUTH_ALG_RS256;
    case AUTH_KTY_EC256:
        return AUTH_ALG_ES256;
    case AUTH_KTY_EC384:
        return AUTH_ALG_ES384;
    case AUTH_KTY_EC521:
        return AUTH_ALG_ES512;
    case AUTH_KTY_ED25519:
        return AUTH_ALG_EDDSA;
    default:
        return AUTH_ALG_UNKNOWN;
    }
}

/* Wraps pkey (taking ownership) with its alg and kid; NULL on failure. */
static dev_idp_key *key_wrap(EVP_PKEY *pkey)
{
    unsigned char *der = NULL, sum[SHA256_DIGEST_LENGTH];
    int n = pkey ? i2d_PUBKEY(pkey, &der) : -1;
    dev_idp_key *k = n > 0 ? pst_calloc(1, sizeof(*k)) : NULL;
    pst_buf kid = {0};
    if (k && (k->alg = alg_for(pkey)) != AUTH_ALG_UNKNOWN) {
        SHA256(der, (size_t)n, sum);
        if (pst_b64url_append(&kid, sum, 16) == PST_OK && kid.len < sizeof(k->kid)) {
            memcpy(k->kid, kid.p, kid.len);
            k->pkey = pkey;
        }
    }
    OPENSSL_free(der);
    pst_buf_free(&kid);
    if (!k || !k->pkey) {
        pst_free(k);
        EVP_PKEY_free(pkey);
        return NULL;
    }
    return k;
}

dev_idp_key *dev_idp_key_generate(auth_alg alg)
{
    switch (alg) {
    case AUTH_ALG_ES256:
        return key_wrap(EVP_EC_gen("P-256"));
    case AUTH_ALG_ES384:
        return key_wrap(EVP_EC_gen("P-384"));
    case AUTH_ALG_RS256:
        return key_wrap(EVP_RSA_gen(2048));
    case AUTH_ALG_EDDSA:
        return key_wrap(EVP_PKEY_Q_keygen(NULL, NULL, "ED25519"));
    default:
        return NULL;
    }
}

dev_idp_key *dev_idp_key_load(const char *path, const char **why)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        *why = "cannot open the key file";
        return NULL;
    }
    EVP_PKEY *pkey = PEM_read_PrivateKey(f, NULL, NULL, NULL);
    fclose(f);
    dev_idp_key *k = key_wrap(pkey);
    if (!k)
        *why = "the key file holds no supported private key (EC P-256/P-384, RSA, Ed25519)";
    return k;
}

static int make_parent_dir(const char *path)
{
    char dir[4096];
    const char *slash = strrchr(path, '/');
    if (!slash || slash == path || (size_t)(slash - path) >= sizeof(dir))
        return 0;
    memcpy(dir, path, (size_t)(slash - path));
    dir[slash - path] = 0;
    return (mkdir(dir, 0700) == 0 || errno == EEXIST) ? 0 : -1;
}

pst_status dev_idp_key_save(const dev_idp_key *key, const char *path, const char **why)
{
    char tmp[4200];
    *why = "cannot write the key file";
    if (make_parent_dir(path) != 0 ||
        snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid()) >= (int)sizeof(tmp))
        return PST_ERROR;
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (!f) {
        if (fd >= 0)
            close(fd);
        return PST_ERROR;
    }
    int ok = PEM_write_PrivateKey(f, key->pkey, NULL, NULL, 0, NULL, NULL);
    if (fclose(f) != 0 || !ok || rename(tmp, path) != 0) {
        unlink(tmp);
        return PST_ERROR;
    }
    return PST_OK;
}

dev_idp_key *dev_idp_key_load_or_create(const char *path, auth_alg alg, const char **why)
{
    if (access(path, F_OK) == 0)
        return dev_idp_key_load(path, why);
    dev_idp_key *k = dev_idp_key_generate(alg);
    if (!k) {
        *why = "cannot generate a key for this algorithm";
        return NULL;
    }
    if (dev_idp_key_save(k, path, why) != PST_OK) {
        dev_idp_key_free(k);
        return NULL;
    }
    return k;
}

void dev_idp_key_free(dev_idp_key *key)
{
    if (key) {
        EVP_PKEY_free(key->pkey);
        pst_free(key);
    }
}

const char *dev_idp_default_key_path(void)
{
    static char path[4096];
    const char *run = getenv("XDG_RUNTIME_DIR");
    if (!run || !*run || strlen(run) > 3000)
        run = "/tmp";
    snprintf(path, sizeof(path), "%s/postern-dev-idp/key.pem", run);
    return path;
}

pst_status dev_idp_key_jwk(const dev_idp_key *key, json_t *keys)
{
    json_t *jwk = json_object();
    if (!jwk || auth_pkey_to_jwk(key->pkey, jwk) != PST_OK ||
        json_object_set_new(jwk, "kid", json_string(key->kid)) != 0 ||
        json_object_set_new(jwk, "use", json_string("sig")) != 0 ||
        json_object_set_new(jwk, "alg", json_string(auth_alg_name(key->alg))) != 0) {
        json_decref(jwk);
        return PST_ERROR;
    }
    return json_array_append_new(keys, jwk) == 0 ? PST_OK : PST_ERROR;
}

/* ---- signing and minting ---- */

static pst_status append_b64_json(pst_buf *out, const json_t *v)
{
    char *text = json_dumps(v, JSON_COMPACT);
    pst_status s = text ? pst_b64url_append(out, text, strlen(text)) : PST_ERROR;
    free(text);
    return s;
}

pst_status dev_idp_sign(const dev_idp_key *key, const json_t *header, const json_t *claims,
                        pst_buf *out)
{
    json_t *h = header ? json_deep_copy(header) : json_object();
    size_t before = out->len;
    pst_status s = PST_ERROR;
    if (h &&
        (json_object_get(h, "alg") ||
         !json_object_set_new(h, "alg", json_string(auth_alg_name(key->alg)))) &&
        (json_object_get(h, "typ") || !json_object_set_new(h, "typ", json_string("JWT"))) &&
        (json_object_get(h, "kid") || !json_object_set_new(h, "kid", json_string(key->kid))) &&
        append_b64_json(out, h) == PST_OK && pst_buf_append_char(out, '.') == PST_OK &&
        append_b64_json(out, claims) == PST_OK) {
        size_t in_len = out->len - before;
        /* the signing input is copied: the buffer may move while the signature is appended */
        char *input = pst_malloc(in_len);
        if (input) {
            memcpy(input, out->p + before, in_len);
            if (pst_buf_append_char(out, '.') == PST_OK)
                s = auth_jws_sign_append(key->alg, key->pkey, input, in_len, out);
            pst_free(input);
        }
    }
    json_decref(h);
    if (s != PST_OK)
        pst_buf_truncate(out, before);
    return s;
}

/* Adds one "name=value" claim; a repeated name turns the claim into an array. */
static int add_claim(json_t *obj, const char *spec)
{
    const char *eq = strchr(spec, '=');
    if (!eq || eq == spec)
        return -1;
    char name[256];
    if ((size_t)(eq - spec) >= sizeof(name))
        return -1;
    memcpy(name, spec, (size_t)(eq - spec));
    name[eq - spec] = 0;
    json_t *v = json_loads(eq + 1, JSON_DECODE_ANY, NULL);
    if (!v)
        v = json_string(eq + 1);
    if (!v)
        return -1;
    json_t *old = json_object_get(obj, name);
    if (old && json_is_array(old))
        return json_array_append_new(old, v);
    if (old) {
        json_t *arr = json_pack("[OO]", old, v);
        json_decref(v);
        return arr ? json_object_set_new(obj, name, arr) : -1;
    }
    return json_object_set_new(obj, name, v);
}

pst_status dev_idp_mint(const dev_idp_key *key, const char *issuer, const char *sub,
                        const char *const *claims, size_t n_claims, int64_t ttl_s,
                        const char *audience, pst_buf *out, const char **why)
{
    unsigned char rnd[16];
    char jti[33];
    if (RAND_bytes(rnd, sizeof(rnd)) != 1) {
        *why = "no randomness";
        return PST_ERROR;
    }
    for (int i = 0; i < 16; i++)
        snprintf(jti + 2 * i, 3, "%02x", rnd[i]);
    json_int_t now = (json_int_t)time(NULL);
    json_t *c = json_pack("{ss ss ss sI sI sI ss}", "iss", issuer, "sub", sub, "aud", audience,
                          "iat", now, "nbf", now, "exp", now + ttl_s, "jti", jti);
    *why = "cannot build the claims";
    for (size_t i = 0; c && i < n_claims; i++)
        if (add_claim(c, claims[i]) != 0) {
            *why = "a claim must be name=value";
            json_decref(c);
            return PST_ERROR;
        }
    pst_status s = c ? dev_idp_sign(key, NULL, c, out) : PST_ERROR;
    json_decref(c);
    return s;
}

/* ---- the server ---- */

struct dev_idp {
    pthread_t thread;
    struct event_base *base;
    struct evhttp *http;
    int port;
    char issuer[512];
    char *key_path;
    pthread_mutex_t lock; /* guards the keys */
    dev_idp_key *cur, *prev;
};

static void reply_json(struct evhttp_request *req, int code, json_t *body)
{
    char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
    struct evbuffer *b = evbuffer_new();
    if (b && text)
        evbuffer_add(b, text, strlen(text));
    evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type", "application/json");
    evhttp_add_header(evhttp_request_get_output_headers(req), "Cache-Control", "no-store");
    evhttp_send_reply(req, text ? code : 500, text ? "OK" : "Error", b);
    if (b)
        evbuffer_free(b);
    free(text);
    json_decref(body);
}

static json_t *discovery_doc(dev_idp *idp)
{
    char jwks[600];
    snprintf(jwks, sizeof(jwks), "%s/jwks.json", idp->issuer);
    pthread_mutex_lock(&idp->lock);
    const char *alg = auth_alg_name(idp->cur->alg);
    pthread_mutex_unlock(&idp->lock);
    return json_pack("{ss ss s[s] s[s] s[s]}", "issuer", idp->issuer, "jwks_uri", jwks,
                     "id_token_signing_alg_values_supported", alg, "response_types_supported",
                     "token", "subject_types_supported", "public");
}

static json_t *jwks_doc(dev_idp *idp)
{
    json_t *keys = json_array();
    pthread_mutex_lock(&idp->lock);
    bool ok = keys && dev_idp_key_jwk(idp->cur, keys) == PST_OK &&
              (!idp->prev || dev_idp_key_jwk(idp->prev, keys) == PST_OK);
    pthread_mutex_unlock(&idp->lock);
    if (!ok) {
        json_decref(keys);
        return NULL;
    }
    return json_pack("{so}", "keys", keys);
}

static void on_request(struct evhttp_request *req, void *arg)
{
    dev_idp *idp = arg;
    const char *path = evhttp_uri_get_path(evhttp_request_get_evhttp_uri(req));
    enum evhttp_cmd_type m = evhttp_request_get_command(req);
    if (!path)
        path = "";
    if (m == EVHTTP_REQ_GET && !strcmp(path, "/.well-known/openid-configuration"))
        reply_json(req, 200, discovery_doc(idp));
    else if (m == EVHTTP_REQ_GET && !strcmp(path, "/jwks.json"))
        reply_json(req, 200, jwks_doc(idp));
    else if (m == EVHTTP_REQ_POST && !strcmp(path, "/admin/rotate")) {
        char kid[32];
        bool ok = dev_idp_rotate(idp) == PST_OK;
        dev_idp_current_kid(idp, kid);
        reply_json(req, ok ? 200 : 500, json_pack("{ss sb}", "kid", kid, "rotated", ok));
    } else
        reply_json(req, 404, json_pack("{ss}", "error", "not found"));
}

static void *serve(void *arg)
{
    dev_idp *idp = arg;
    event_base_dispatch(idp->base);
    return NULL;
}

static pthread_once_t threads_once = PTHREAD_ONCE_INIT;
static void use_threads(void)
{
    evthread_use_pthreads();
}

static char *dup_path(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = pst_malloc(n);
    if (d)
        memcpy(d, s, n);
    return d;
}

static void idp_free(dev_idp *idp)
{
    if (idp->http)
        evhttp_free(idp->http);
    if (idp->base)
        event_base_free(idp->base);
    dev_idp_key_free(idp->cur);
    dev_idp_key_free(idp->prev);
    pst_free(idp->key_path);
    pthread_mutex_destroy(&idp->lock);
    pst_free(idp);
}

/* Binds the listener and records the bound port. */
static const char *idp_bind(dev_idp *idp, const char *host, int port)
{
    struct evhttp_bound_socket *bs =
        evhttp_bind_socket_with_handle(idp->http, host, (uint16_t)port);
    if (!bs)
        return "cannot listen on the given address";
    struct sockaddr_storage ss;
    socklen_t sl = sizeof(ss);
    if (getsockname(evhttp_bound_socket_get_fd(bs), (struct sockaddr *)&ss, &sl) != 0)
        return "cannot read the bound address";
    idp->port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                               : ((struct sockaddr_in *)&ss)->sin_port);
    return NULL;
}

dev_idp *dev_idp_start(const dev_idp_opts *o, const char **why)
{
    pthread_once(&threads_once, use_threads);
    const char *host = o->host ? o->host : "127.0.0.1";
    auth_alg alg = o->alg ? o->alg : AUTH_ALG_ES256;
    dev_idp *idp = pst_calloc(1, sizeof(*idp));
    *why = PST_E_NOMEM;
    if (!idp)
        return NULL;
    pthread_mutex_init(&idp->lock, NULL);
    idp->cur =
        o->key_path ? dev_idp_key_load_or_create(o->key_path, alg, why) : dev_idp_key_generate(alg);
    if (!idp->cur || (o->key_path && !(idp->key_path = dup_path(o->key_path))) ||
        !(idp->base = event_base_new()) || !(idp->http = evhttp_new(idp->base))) {
        if (idp->cur)
            *why = PST_E_NOMEM;
        else if (!o->key_path)
            *why = "cannot generate a key for this algorithm";
        idp_free(idp);
        return NULL;
    }
    evhttp_set_gencb(idp->http, on_request, idp);
    evhttp_set_allowed_methods(idp->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST);
    const char *err = idp_bind(idp, host, o->port);
    if (!err) {
        if (o->issuer)
            snprintf(idp->issuer, sizeof(idp->issuer), "%s", o->issuer);
        else
            snprintf(idp->issuer, sizeof(idp->issuer),
                     strchr(host, ':') ? "http://[%s]:%d" : "http://%s:%d", host, idp->port);
        if (pthread_create(&idp->thread, NULL, serve, idp) != 0)
            err = "cannot start the server thread";
    }
    if (err) {
        *why = err;
        idp_free(idp);
        return NULL;
    }
    return idp;
}

int dev_idp_port(const dev_idp *idp)
{
    return idp->port;
}

const char *dev_idp_issuer(const dev_idp *idp)
{
    return idp->issuer;
}

pst_status dev_idp_rotate(dev_idp *idp)
{
    pthread_mutex_lock(&idp->lock);
    auth_alg alg = idp->cur->alg;
    pthread_mutex_unlock(&idp->lock);
    dev_idp_key *k = dev_idp_key_generate(alg);
    const char *why;
    if (!k || (idp->key_path && dev_idp_key_save(k, idp->key_path, &why) != PST_OK)) {
        dev_idp_key_free(k);
        return PST_ERROR;
    }
    pthread_mutex_lock(&idp->lock);
    dev_idp_key_free(idp->prev);
    idp->prev = idp->cur;
    idp->cur = k;
    pthread_mutex_unlock(&idp->lock);
    return PST_OK;
}

void dev_idp_current_kid(dev_idp *idp, char kid[32])
{
    pthread_mutex_lock(&idp->lock);
    memcpy(kid, idp->cur->kid, 32);
    pthread_mutex_unlock(&idp->lock);
}

pst_status dev_idp_sign_current(dev_idp *idp, const json_t *header, const json_t *claims,
                                pst_buf *out)
{
    pthread_mutex_lock(&idp->lock);
    pst_status s = dev_idp_sign(idp->cur, header, claims, out);
    pthread_mutex_unlock(&idp->lock);
    return s;
}

pst_status dev_idp_mint_current(dev_idp *idp, const char *sub, const char *const *claims,
                                size_t n_claims, int64_t ttl_s, const char *audience, pst_buf *out)
{
    const char *why;
    pthread_mutex_lock(&idp->lock);
    pst_status s =
        dev_idp_mint(idp->cur, idp->issuer, sub, claims, n_claims, ttl_s, audience, out, &why);
    pthread_mutex_unlock(&idp->lock);
    return s;
}

void dev_idp_stop(dev_idp *idp)
{
    if (!idp)
        return;
    event_base_loopbreak(idp->base);
    pthread_join(idp->thread, NULL);
    idp_free(idp);
}
