/* Request-reply load generator: keeps N requests in flight for D seconds
 * and prints one JSON line with requests/s and p50/p99 latency.
 *
 *   direct-client [-s URL] [-n INFLIGHT] [-d SECONDS] [-subject S] [-body B]
 *                 [-asap] [-bridge loop|io|asap|batch]
 *
 * Default: a plain nats.c client, asynchronous: one wildcard inbox
 * subscription, each reply publishes the next request (no thread per
 * request). -asap sets nats.c SendAsap. -bridge runs the same load through
 * postern's nats_bridge on one libevent loop, in the given flush mode. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <nats/nats.h>

#include "common/mem.h"
#include "nats/bridge.h"

#define MAX_INFLIGHT 4096

static const char *subject = "bench.echo", *body = "{\"id\":\"42\"}";
static int inflight = 1;
static atomic_bool stopping;
static atomic_int outstanding;
static int64_t sent_at[MAX_INFLIGHT];
static uint64_t errors;

/* latencies in microseconds, appended by one thread at a time */
static pthread_mutex_t lat_mu = PTHREAD_MUTEX_INITIALIZER;
static uint32_t *lat;
static size_t lat_n, lat_cap;

static int64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void record(int64_t us)
{
    pthread_mutex_lock(&lat_mu);
    if (lat_n == lat_cap) {
        size_t cap = lat_cap ? lat_cap * 2 : 1 << 20;
        uint32_t *p = realloc(lat, cap * sizeof(*p));
        if (p) {
            lat = p;
            lat_cap = cap;
        }
    }
    if (lat_n < lat_cap)
        lat[lat_n++] = (uint32_t)(us > 0 ? us : 0);
    pthread_mutex_unlock(&lat_mu);
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

static void report(const char *mode, double secs)
{
    qsort(lat, lat_n, sizeof(*lat), cmp_u32);
    double p50 = lat_n ? lat[lat_n / 2] / 1000.0 : 0;
    double p99 = lat_n ? lat[(size_t)((double)lat_n * 0.99)] / 1000.0 : 0;
    printf("{\"mode\":\"%s\",\"inflight\":%d,\"seconds\":%.2f,\"requests\":%zu,"
           "\"errors\":%llu,\"requests/s\":%.0f,\"p50_ms\":%.3f,\"p99_ms\":%.3f}\n",
           mode, inflight, secs, lat_n, (unsigned long long)errors, (double)lat_n / secs, p50, p99);
}

/* ---- plain nats.c ---- */

static natsConnection *nc;
static char *inbox;

static void send_plain(int slot)
{
    char reply[128];
    snprintf(reply, sizeof reply, "%s.%d", inbox, slot);
    sent_at[slot] = now_us();
    if (natsConnection_PublishRequest(nc, subject, reply, body, (int)strlen(body)) != NATS_OK) {
        errors++;
        atomic_fetch_sub(&outstanding, 1);
    }
}

static void on_plain_reply(natsConnection *c, natsSubscription *sub, natsMsg *m, void *closure)
{
    (void)c;
    (void)sub;
    (void)closure;
    const char *dot = strrchr(natsMsg_GetSubject(m), '.');
    int slot = dot ? atoi(dot + 1) : -1;
    if (slot >= 0 && slot < inflight) {
        if (natsMsg_IsNoResponders(m))
            errors++;
        else
            record(now_us() - sent_at[slot]);
        if (atomic_load(&stopping))
            atomic_fetch_sub(&outstanding, 1);
        else
            send_plain(slot);
    }
    natsMsg_Destroy(m);
}

static int run_plain(const char *url, int secs, bool asap)
{
    natsOptions *o = NULL;
    natsSubscription *sub = NULL;
    natsStatus s = natsOptions_Create(&o);
    if (s == NATS_OK)
        s = natsOptions_SetURL(o, url);
    if (s == NATS_OK)
        s = natsOptions_SetSendAsap(o, asap);
    if (s == NATS_OK)
        s = natsConnection_Connect(&nc, o);
    if (s == NATS_OK)
        s = natsInbox_Create(&inbox);
    char wild[128];
    snprintf(wild, sizeof wild, "%s.*", inbox ? inbox : "_INBOX");
    if (s == NATS_OK)
        s = natsConnection_Subscribe(&sub, nc, wild, on_plain_reply, NULL);
    if (s == NATS_OK)
        s = natsSubscription_SetPendingLimits(sub, -1, -1);
    if (s == NATS_OK)
        s = natsConnection_Flush(nc);
    if (s != NATS_OK) {
        fprintf(stderr, "direct-client: %s: %s\n", url, natsStatus_GetText(s));
        return 1;
    }
    int64_t t0 = now_us();
    atomic_store(&outstanding, inflight);
    for (int i = 0; i < inflight; i++)
        send_plain(i);
    sleep((unsigned)secs);
    atomic_store(&stopping, true);
    double elapsed = (double)(now_us() - t0) / 1e6;
    for (int i = 0; i < 2000 && atomic_load(&outstanding) > 0; i++)
        usleep(1000);
    pthread_mutex_lock(&lat_mu);
    report(asap ? "direct-asap" : "direct", elapsed);
    pthread_mutex_unlock(&lat_mu);
    natsSubscription_Unsubscribe(sub);
    natsSubscription_Destroy(sub);
    natsConnection_Destroy(nc);
    natsInbox_Destroy(inbox);
    natsOptions_Destroy(o);
    return 0;
}

/* ---- through nats_bridge on one libevent loop ---- */

static nats_loop *bloop;
static struct event_base *bbase;

static void send_bridge(intptr_t slot);

static void on_bridge_reply(const nats_reply *r, void *ud)
{
    intptr_t slot = (intptr_t)ud;
    if (r->outcome == NATS_REPLY_OK)
        record(now_us() - sent_at[slot]);
    else
        errors++;
    if (atomic_load(&stopping)) {
        if (atomic_fetch_sub(&outstanding, 1) == 1)
            event_base_loopbreak(bbase);
    } else {
        send_bridge(slot);
    }
}

static void send_bridge(intptr_t slot)
{
    sent_at[slot] = now_us();
    if (nats_bridge_request(bloop, subject, NULL, 0, body, strlen(body), 5000, on_bridge_reply,
                            (void *)slot, NULL) != PST_OK) {
        errors++;
        if (atomic_fetch_sub(&outstanding, 1) == 1)
            event_base_loopbreak(bbase);
    }
}

static void on_stop(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    (void)arg;
    atomic_store(&stopping, true);
}

static int run_bridge(const char *url, int secs, const char *mode)
{
    nats_flush_mode fm = !strcmp(mode, "asap")    ? NATS_FLUSH_ASAP
                         : !strcmp(mode, "batch") ? NATS_FLUSH_BATCH
                         : !strcmp(mode, "io")    ? NATS_FLUSH_IO_THREAD
                                                  : NATS_FLUSH_LOOP;
    const char *servers[] = {url};
    nats_bridge_opts o = {.servers = servers, .n_servers = 1, .name = "direct-client", .flush = fm};
    const char *err = NULL;
    nats_bridge *b = nats_bridge_create(&o, &err);
    if (!b || !nats_bridge_connected(b)) {
        fprintf(stderr, "direct-client: bridge: %s\n", err ? err : "not connected");
        nats_bridge_destroy(b);
        return 1;
    }
    bbase = event_base_new();
    bloop = nats_bridge_attach(b, bbase);
    struct timeval d = {secs, 0};
    struct event *stop_ev = evtimer_new(bbase, on_stop, NULL);
    evtimer_add(stop_ev, &d);
    int64_t t0 = now_us();
    atomic_store(&outstanding, inflight);
    for (intptr_t i = 0; i < inflight; i++)
        send_bridge(i);
    event_base_dispatch(bbase);
    double elapsed = (double)(now_us() - t0) / 1e6;
    char label[32];
    snprintf(label, sizeof label, "bridge-%s", mode);
    report(label, elapsed);
    nats_loop_detach(bloop);
    event_free(stop_ev);
    event_base_free(bbase);
    nats_bridge_destroy(b);
    return 0;
}

int main(int argc, char **argv)
{
    const char *url = getenv("NATS_URL") ? getenv("NATS_URL") : "nats://127.0.0.1:4222";
    const char *bridge_mode = NULL;
    int secs = 5;
    bool asap = false;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-s") && i + 1 < argc)
            url = argv[++i];
        else if (!strcmp(argv[i], "-n") && i + 1 < argc)
            inflight = atoi(argv[++i]);
        else if (!strcmp(argv[i], "-d") && i + 1 < argc)
            secs = atoi(argv[++i]);
        else if (!strcmp(argv[i], "-subject") && i + 1 < argc)
            subject = argv[++i];
        else if (!strcmp(argv[i], "-body") && i + 1 < argc)
            body = argv[++i];
        else if (!strcmp(argv[i], "-asap"))
            asap = true;
        else if (!strcmp(argv[i], "-bridge") && i + 1 < argc)
            bridge_mode = argv[++i];
        else {
            fprintf(stderr,
                    "usage: %s [-s URL] [-n INFLIGHT] [-d SECONDS] [-subject S] [-body B] "
                    "[-asap] [-bridge loop|io|asap|batch]\n",
                    argv[0]);
            return 2;
        }
    }
    if (inflight < 1 || inflight > MAX_INFLIGHT || secs < 1) {
        fprintf(stderr, "direct-client: -n must be 1..%d and -d at least 1\n", MAX_INFLIGHT);
        return 2;
    }
    int rc = bridge_mode ? run_bridge(url, secs, bridge_mode) : run_plain(url, secs, asap);
    free(lat);
    nats_Close();
    return rc;
}
