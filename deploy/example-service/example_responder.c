/* The example service behind postern in the demo: answers the example
 * schema's NATS subjects with JSON.
 *
 *   example-responder [--jwks URL] [NATS_URL]
 *       NATS_URL: else env NATS_URL, else nats://127.0.0.1:4222
 *       --jwks URL: else env POSTERN_JWKS_URL; postern's admin
 *       /.well-known/jwks.json, e.g. http://127.0.0.1:9090/.well-known/jwks.json
 *
 * With a JWKS URL every message's Postern-Identity is verified (signature,
 * subject, body hash, expiry; docs/responders.md) before acting: a request
 * that fails gets the error 401 and is not served; a notification that
 * fails is logged as refused and dropped. The key set is fetched
 * once at start (a blocking GET, retried for up to 30 s while postern
 * starts): give postern a fixed identity.signing_key so its restarts keep
 * the key. Without a URL verification is off, and the log says so.
 *
 *   orders.get.<id>   -> an Order; id "404" -> a NATS micro-services error
 *                        (Nats-Service-Error / Nats-Service-Error-Code 404)
 *   orders.list       -> [Order] filtered by the body's "status", at most "first"
 *   orders.place(.*)  -> the new Order built from the body's "input"
 *   orders.search     -> [Order, Customer], each with __typename
 *   notify.>          -> logged, no reply
 *
 * All in queue group "example-service", so replicas share the load. One log
 * line per message with its subject, X-Correlation-ID and the verified
 * caller (sub, roles, iss = the postern instance). SIGTERM/SIGINT
 * drain the subscriptions and exit 0. */
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>
#include <nats/nats.h>

#include "audit/identity.h"
#include "common/log.h"
#include "common/str.h"

#define QUEUE "example-service"
#define CATALOG 12

static const char *const STATUSES[] = {"OPEN", "SHIPPED", "CANCELLED"};
static atomic_int placed;
/* postern's identity keys; NULL = verification off. Read-only after start. */
static audit_jwks *keys;

static double money(double v)
{
    return round(v * 100.0) / 100.0;
}

/* A deterministic order for an id: the same id always gives the same data. */
static json_t *make_order(const char *id, const char *status)
{
    uint64_t h = pst_hash(id, strlen(id));
    double price = money(5.0 + (double)(h % 9000) / 100.0);
    int qty = 1 + (int)(h / 9000 % 4);
    char sku[64], cust[64], name[96];
    snprintf(sku, sizeof sku, "SKU-%llu", (unsigned long long)(h % 1000));
    snprintf(cust, sizeof cust, "c-%llu", (unsigned long long)(h % 50));
    snprintf(name, sizeof name, "Customer %llu", (unsigned long long)(h % 50));
    double total = money(price * qty);
    return json_pack("{s:s, s:s, s:s, s:f, s:[{s:s, s:i, s:f}], s:{s:s, s:s}, s:f, s:s}",
                     "__typename", "Order", "id", id, "status", status, "total", total, "items",
                     "sku", sku, "quantity", qty, "price", price, "customer", "id", cust, "name",
                     name, "internalCost", money(total * 0.6), "placedAt", "2026-01-01T00:00:00Z");
}

static json_t *list_orders(json_t *req)
{
    const char *status = json_string_value(json_object_get(req, "status"));
    json_int_t first = json_is_integer(json_object_get(req, "first"))
                           ? json_integer_value(json_object_get(req, "first"))
                           : 20;
    json_t *out = json_array();
    for (int i = 1; i <= CATALOG && (json_int_t)json_array_size(out) < first; i++) {
        const char *st = STATUSES[i % 3];
        if (status && strcmp(status, st) != 0)
            continue;
        char id[16];
        snprintf(id, sizeof id, "%d", i);
        json_array_append_new(out, make_order(id, st));
    }
    return out;
}

/* The new order from {"input": {"customerId"?, "customerName"?, "items": [{sku, quantity,
 * price?}]}} */
static json_t *place_order(json_t *req)
{
    json_t *input = json_object_get(req, "input");
    if (!json_is_object(input))
        return NULL;
    char id[32];
    snprintf(id, sizeof id, "new-%d", atomic_fetch_add(&placed, 1) + 1);
    json_t *items = json_array(), *in_items = json_object_get(input, "items");
    double total = 0;
    size_t i;
    json_t *it;
    json_array_foreach(in_items, i, it)
    {
        const char *sku = json_string_value(json_object_get(it, "sku"));
        json_int_t qty = json_integer_value(json_object_get(it, "quantity"));
        json_t *pv = json_object_get(it, "price");
        double price = json_is_number(pv) ? json_number_value(pv) : 9.99;
        if (!sku || qty <= 0)
            continue;
        total += price * (double)qty;
        json_array_append_new(
            items, json_pack("{s:s, s:I, s:f}", "sku", sku, "quantity", qty, "price", price));
    }
    const char *cid = json_string_value(json_object_get(input, "customerId"));
    const char *cname = json_string_value(json_object_get(input, "customerName"));
    return json_pack("{s:s, s:s, s:s, s:f, s:o, s:{s:s, s:s}, s:f, s:s}", "__typename", "Order",
                     "id", id, "status", "OPEN", "total", money(total), "items", items, "customer",
                     "id", cid ? cid : "c-1", "name", cname ? cname : "Ada Lovelace",
                     "internalCost", money(total * 0.6), "placedAt", "2026-01-01T00:00:00Z");
}

static json_t *search(void)
{
    json_t *out = json_array();
    json_array_append_new(out, make_order("1", "SHIPPED"));
    json_array_append_new(out, json_pack("{s:s, s:s, s:s}", "__typename", "Customer", "id", "c-1",
                                         "name", "Ada Lovelace"));
    return out;
}

/* Logs the message with the caller Postern-Identity proved (id), or with
 * why it was refused (why), or neither when verification is off. */
static void log_msg(natsMsg *m, const char *what, const audit_identity *id, const char *why)
{
    const char *corr = NULL;
    natsMsgHeader_Get(m, "X-Correlation-ID", &corr);
    pst_buf f = {0};
    pst_buf_append_c(&f, "\"subject\":");
    pst_buf_append_json_str(&f, natsMsg_GetSubject(m), strlen(natsMsg_GetSubject(m)));
    pst_buf_append_c(&f, ",\"correlation_id\":");
    if (corr)
        pst_buf_append_json_str(&f, corr, strlen(corr));
    else
        pst_buf_append_c(&f, "null");
    if (id) {
        pst_buf_append_c(&f, ",\"caller\":{\"sub\":");
        pst_buf_append_json_str(&f, id->sub, strlen(id->sub));
        pst_buf_append_c(&f, ",\"roles\":");
        pst_buf_append_json_str(&f, id->roles, strlen(id->roles));
        pst_buf_append_c(&f, ",\"postern\":");
        pst_buf_append_json_str(&f, id->iss, strlen(id->iss));
        pst_buf_append_c(&f, "}");
    } else if (why) {
        pst_buf_append_c(&f, ",\"identity_refused\":");
        pst_buf_append_json_str(&f, why, strlen(why));
    }
    pst_log_fields(why ? PST_LOG_WARN : PST_LOG_INFO, what, pst_buf_cstr(&f));
    pst_buf_free(&f);
}

/* Checks Postern-Identity against the message's own subject and body.
 * PST_OK with *id filled, or PST_DENIED with *why. */
static pst_status verify_caller(natsMsg *m, audit_identity *id, const char **why)
{
    const char *token = NULL;
    if (natsMsgHeader_Get(m, "Postern-Identity", &token) != NATS_OK || !token) {
        *why = "no Postern-Identity header";
        return PST_DENIED;
    }
    return audit_identity_check(keys, token, natsMsg_GetSubject(m), natsMsg_GetData(m),
                                (size_t)natsMsg_GetDataLength(m), (int64_t)time(NULL), id, why);
}

static void reply_error(natsConnection *nc, natsMsg *m, const char *code, const char *text)
{
    natsMsg *r = NULL;
    if (natsMsg_Create(&r, natsMsg_GetReply(m), NULL, NULL, 0) == NATS_OK &&
        natsMsgHeader_Set(r, "Nats-Service-Error", text) == NATS_OK &&
        natsMsgHeader_Set(r, "Nats-Service-Error-Code", code) == NATS_OK)
        natsConnection_PublishMsg(nc, r);
    natsMsg_Destroy(r);
}

static void reply_json(natsConnection *nc, natsMsg *m, json_t *v)
{
    char *text = v ? json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY | JSON_REAL_PRECISION(12)) : NULL;
    if (text)
        natsConnection_PublishString(nc, natsMsg_GetReply(m), text);
    else
        reply_error(nc, m, "500", "internal error");
    free(text);
    json_decref(v);
}

static void on_request(natsConnection *nc, natsSubscription *sub, natsMsg *m, void *closure)
{
    (void)sub;
    (void)closure;
    const char *subj = natsMsg_GetSubject(m);
    audit_identity id;
    const char *why = NULL;
    bool verified = keys && verify_caller(m, &id, &why) == PST_OK;
    log_msg(m, "request", verified ? &id : NULL, why);
    if (!natsMsg_GetReply(m)) {
        natsMsg_Destroy(m);
        return;
    }
    if (keys && !verified) {
        reply_error(nc, m, "401", "the caller's identity could not be verified");
        natsMsg_Destroy(m);
        return;
    }
    json_t *req = NULL;
    if (natsMsg_GetDataLength(m) > 0)
        req = json_loadb(natsMsg_GetData(m), (size_t)natsMsg_GetDataLength(m), 0, NULL);
    if (natsMsg_GetDataLength(m) > 0 && !json_is_object(req)) {
        reply_error(nc, m, "400", "request body must be a JSON object");
    } else if (!strncmp(subj, "orders.get.", 11)) {
        const char *id = subj + 11;
        if (!strcmp(id, "404"))
            reply_error(nc, m, "404", "order not found");
        else
            reply_json(nc, m, make_order(id, "OPEN"));
    } else if (!strcmp(subj, "orders.list")) {
        reply_json(nc, m, list_orders(req));
    } else if (!strcmp(subj, "orders.place") || !strncmp(subj, "orders.place.", 13)) {
        json_t *o = place_order(req);
        if (o)
            reply_json(nc, m, o);
        else
            reply_error(nc, m, "400", "input is required");
    } else if (!strcmp(subj, "orders.search")) {
        reply_json(nc, m, search());
    } else {
        reply_error(nc, m, "404", "unknown subject");
    }
    json_decref(req);
    natsMsg_Destroy(m);
}

static void on_notify(natsConnection *nc, natsSubscription *sub, natsMsg *m, void *closure)
{
    (void)nc;
    (void)sub;
    (void)closure;
    audit_identity id;
    const char *why = NULL;
    bool verified = keys && verify_caller(m, &id, &why) == PST_OK;
    /* an unverified notification is logged as refused and dropped */
    log_msg(m, "notification", verified ? &id : NULL, why);
    natsMsg_Destroy(m);
}

static const char *const SUBJECTS[] = {"orders.get.*",   "orders.list",   "orders.place",
                                       "orders.place.>", "orders.search", "notify.>"};
#define N_SUBS (sizeof SUBJECTS / sizeof *SUBJECTS)

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
    pst_buf *b = ud;
    return b->len + size * n > 1048576 || pst_buf_append(b, p, size * n) != PST_OK ? 0 : size * n;
}

/* GET url into b (blocking: this is a responder, not postern). */
static bool http_get(const char *url, pst_buf *b)
{
    CURL *c = curl_easy_init();
    long code = 0;
    pst_buf_reset(b);
    bool ok = c && curl_easy_setopt(c, CURLOPT_URL, url) == CURLE_OK &&
              curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body) == CURLE_OK &&
              curl_easy_setopt(c, CURLOPT_WRITEDATA, b) == CURLE_OK &&
              curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 5000L) == CURLE_OK &&
              curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L) == CURLE_OK &&
              curl_easy_perform(c) == CURLE_OK &&
              curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code) == CURLE_OK && code == 200;
    curl_easy_cleanup(c);
    return ok;
}

/* Fetches postern's JWKS, retrying for up to 30 s while postern starts. */
static audit_jwks *fetch_keys(const char *url)
{
    pst_buf b = {0};
    audit_jwks *k = NULL;
    const char *why = "unreachable";
    for (int attempt = 0; !k && attempt < 60; attempt++) {
        if (attempt)
            usleep(500 * 1000);
        if (http_get(url, &b))
            k = audit_jwks_parse(b.p, b.len, &why);
    }
    if (!k)
        pst_log(PST_LOG_ERROR, "example-responder: cannot load postern's JWKS from %s: %s", url,
                why);
    pst_buf_free(&b);
    return k;
}

int main(int argc, char **argv)
{
    const char *jwks_url = getenv("POSTERN_JWKS_URL");
    if (argc > 2 && !strcmp(argv[1], "--jwks")) {
        jwks_url = argv[2];
        argc -= 2;
        argv += 2;
    }
    if (jwks_url && *jwks_url) {
        curl_global_init(CURL_GLOBAL_DEFAULT);
        keys = fetch_keys(jwks_url);
        if (!keys)
            return 1;
        pst_log(PST_LOG_INFO, "example-responder: verifying Postern-Identity with %s", jwks_url);
    } else {
        pst_log(PST_LOG_WARN, "example-responder: identity verification is off (no --jwks or "
                              "POSTERN_JWKS_URL); callers are not checked");
    }
    const char *url = argc > 1 ? argv[1] : getenv("NATS_URL");
    if (!url || !*url)
        url = "nats://127.0.0.1:4222";
    /* blocked in every thread (nats.c's inherit the mask); main waits for them */
    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);

    natsOptions *o = NULL;
    natsConnection *nc = NULL;
    natsSubscription *subs[N_SUBS] = {0};
    natsStatus s = natsOptions_Create(&o);
    if (s == NATS_OK)
        s = natsOptions_SetURL(o, url);
    if (s == NATS_OK)
        s = natsOptions_SetName(o, "example-service");
    if (s == NATS_OK)
        s = natsOptions_SetMaxReconnect(o, -1);
    if (s == NATS_OK)
        s = natsOptions_SetRetryOnFailedConnect(o, true, NULL, NULL);
    if (s == NATS_OK)
        s = natsConnection_Connect(&nc, o);
    if (s == NATS_NOT_YET_CONNECTED) {
        pst_log(PST_LOG_WARN, "NATS not reachable yet at %s; retrying", url);
        s = NATS_OK;
    }
    for (size_t i = 0; s == NATS_OK && i < N_SUBS; i++)
        s = natsConnection_QueueSubscribe(&subs[i], nc, SUBJECTS[i], QUEUE,
                                          i + 1 == N_SUBS ? on_notify : on_request, NULL);
    if (s != NATS_OK) {
        pst_log(PST_LOG_ERROR, "example-responder: %s: %s", url, natsStatus_GetText(s));
    } else {
        /* never log the credentials a NATS URL may carry (nats://user:pass@host) */
        const char *at = strrchr(url, '@');
        pst_log(PST_LOG_INFO, "example-responder: serving on %s%s", at ? "nats://***@" : "",
                at ? at + 1 : url);
        int sig;
        sigwait(&sigs, &sig);
        pst_log(PST_LOG_INFO, "example-responder: signal %d, draining", sig);
        for (size_t i = 0; i < N_SUBS; i++)
            natsSubscription_Drain(subs[i]);
        for (size_t i = 0; i < N_SUBS; i++)
            natsSubscription_WaitForDrainCompletion(subs[i], 2000);
    }
    for (size_t i = 0; i < N_SUBS; i++)
        natsSubscription_Destroy(subs[i]);
    natsConnection_Destroy(nc);
    natsOptions_Destroy(o);
    nats_Close();
    audit_jwks_free(keys);
    if (jwks_url && *jwks_url)
        curl_global_cleanup();
    return s == NATS_OK ? 0 : 1;
}
