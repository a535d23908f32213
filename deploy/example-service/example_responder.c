/* The example service behind postern in the demo: answers the example
 * schema's NATS subjects with JSON.
 *
 *   example-responder [NATS_URL]      (else env NATS_URL, else nats://127.0.0.1:4222)
 *
 *   orders.get.<id>   -> an Order; id "404" -> a NATS micro-services error
 *                        (Nats-Service-Error / Nats-Service-Error-Code 404)
 *   orders.list       -> [Order] filtered by the body's "status", at most "first"
 *   orders.place(.*)  -> the new Order built from the body's "input"
 *   orders.search     -> [Order, Customer], each with __typename
 *   notify.>          -> logged, no reply
 *
 * All in queue group "example-service", so replicas share the load. One log
 * line per message with its subject and X-Correlation-ID. SIGTERM/SIGINT
 * drain the subscriptions and exit 0. */
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <nats/nats.h>

#include "common/log.h"
#include "common/str.h"

#define QUEUE "example-service"
#define CATALOG 12

static const char *const STATUSES[] = {"OPEN", "SHIPPED", "CANCELLED"};
static atomic_int placed;

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

static void log_msg(natsMsg *m, const char *what)
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
    pst_log_fields(PST_LOG_INFO, what, pst_buf_cstr(&f));
    pst_buf_free(&f);
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
    log_msg(m, "request");
    if (!natsMsg_GetReply(m)) {
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
    log_msg(m, "notification");
    natsMsg_Destroy(m);
}

static const char *const SUBJECTS[] = {"orders.get.*",   "orders.list",   "orders.place",
                                       "orders.place.>", "orders.search", "notify.>"};
#define N_SUBS (sizeof SUBJECTS / sizeof *SUBJECTS)

int main(int argc, char **argv)
{
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
        pst_log(PST_LOG_INFO, "example-responder: serving on %s", url);
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
    return s == NATS_OK ? 0 : 1;
}
