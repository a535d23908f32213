/* The NATS bridge against a real nats-server on a free loopback port, with
 * two libevent loop threads and a nats.c responder in the test. */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "nats/bridge.h"
#include "test.h"

#define N_LOOPS 2
#define WAIT_UNTIL(cond, ms)                                                                       \
    do {                                                                                           \
        for (int w_ = 0; w_ < (ms) && !(cond); w_++)                                               \
            usleep(1000);                                                                          \
    } while (0)

static int port;
static pid_t server_pid = -1;
static char url[64];

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) != 0 ||
        getsockname(fd, (struct sockaddr *)&a, &len) != 0) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    close(fd);
    return ntohs(a.sin_port);
}

static bool port_open(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons((uint16_t)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    bool ok = fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof a) == 0;
    if (fd >= 0)
        close(fd);
    return ok;
}

static bool start_server(void)
{
    char p[16];
    snprintf(p, sizeof p, "%d", port);
    server_pid = fork();
    if (server_pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL); /* never outlive a test that crashed */
        int devnull = open("/dev/null", O_WRONLY);
        dup2(devnull, 1);
        dup2(devnull, 2);
        execlp("nats-server", "nats-server", "-a", "127.0.0.1", "-p", p, (char *)NULL);
        _exit(127);
    }
    if (server_pid < 0)
        return false;
    WAIT_UNTIL(port_open(), 5000);
    return port_open();
}

static void stop_server(int sig)
{
    if (server_pid <= 0)
        return;
    kill(server_pid, sig);
    for (int i = 0; i < 5000; i++) {
        if (waitpid(server_pid, NULL, WNOHANG) == server_pid)
            break;
        if (i == 3000)
            kill(server_pid, SIGKILL);
        usleep(1000);
    }
    server_pid = -1;
}

/* ---- the responder: a plain nats.c connection ---- */

static natsConnection *resp_nc;
static atomic_int hdr_seen, multi_seen, pubs_seen, pub_hdr_seen;

static void on_echo(natsConnection *nc, natsSubscription *sub, natsMsg *m, void *c)
{
    (void)sub;
    (void)c;
    const char *v = NULL, **vals = NULL;
    int nvals = 0;
    natsMsg *r = NULL;
    natsMsg_Create(&r, natsMsg_GetReply(m), NULL, natsMsg_GetData(m), natsMsg_GetDataLength(m));
    if (natsMsgHeader_Get(m, "X-Test", &v) == NATS_OK) {
        atomic_fetch_add(&hdr_seen, 1);
        natsMsgHeader_Set(r, "X-Echo", v);
    }
    if (natsMsgHeader_Values(m, "X-Multi", &vals, &nvals) == NATS_OK && nvals == 2)
        atomic_fetch_add(&multi_seen, 1);
    free((void *)vals);
    natsConnection_PublishMsg(nc, r);
    natsMsg_Destroy(r);
    natsMsg_Destroy(m);
}

static void on_slow(natsConnection *nc, natsSubscription *sub, natsMsg *m, void *c)
{
    (void)sub;
    (void)c;
    nats_Sleep(200);
    natsConnection_Publish(nc, natsMsg_GetReply(m), "late", 4);
    natsMsg_Destroy(m);
}

static void on_silent(natsConnection *nc, natsSubscription *sub, natsMsg *m, void *c)
{
    (void)nc;
    (void)sub;
    (void)c;
    natsMsg_Destroy(m);
}

static void on_pub(natsConnection *nc, natsSubscription *sub, natsMsg *m, void *c)
{
    (void)nc;
    (void)sub;
    (void)c;
    const char *v = NULL;
    atomic_fetch_add(&pubs_seen, 1);
    if (natsMsgHeader_Get(m, "X-Pub", &v) == NATS_OK && strcmp(v, "yes") == 0 &&
        natsMsg_GetDataLength(m) == 5)
        atomic_fetch_add(&pub_hdr_seen, 1);
    natsMsg_Destroy(m);
}

static natsSubscription *subs[4];

static bool start_responder(void)
{
    natsOptions *o = NULL;
    natsOptions_Create(&o);
    natsOptions_SetURL(o, url);
    natsOptions_SetMaxReconnect(o, -1);
    natsOptions_SetReconnectWait(o, 50);
    natsStatus s = natsConnection_Connect(&resp_nc, o);
    natsOptions_Destroy(o);
    if (s != NATS_OK)
        return false;
    s = natsConnection_Subscribe(&subs[0], resp_nc, "svc.echo", on_echo, NULL);
    if (s == NATS_OK)
        s = natsConnection_Subscribe(&subs[1], resp_nc, "svc.slow", on_slow, NULL);
    if (s == NATS_OK)
        s = natsConnection_Subscribe(&subs[2], resp_nc, "svc.silent", on_silent, NULL);
    if (s == NATS_OK)
        s = natsConnection_Subscribe(&subs[3], resp_nc, "svc.pub", on_pub, NULL);
    for (int i = 0; s == NATS_OK && i < 4; i++)
        s = natsSubscription_SetPendingLimits(subs[i], -1, -1);
    if (s == NATS_OK)
        s = natsConnection_Flush(resp_nc);
    return s == NATS_OK;
}

static void stop_responder(void)
{
    for (int i = 0; i < 4; i++) {
        if (subs[i])
            natsSubscription_Unsubscribe(subs[i]);
        natsSubscription_Destroy(subs[i]);
        subs[i] = NULL;
    }
    natsConnection_Destroy(resp_nc);
    resp_nc = NULL;
}

/* ---- loop threads ---- */

typedef struct {
    struct event_base *base;
    pthread_t th;
    nats_loop *nl;
    atomic_bool ready;
} tloop;

static tloop loops[N_LOOPS];
static nats_bridge *bridge;

static void *loop_main(void *arg)
{
    tloop *t = arg;
    atomic_store(&t->ready, true);
    event_base_loop(t->base, EVLOOP_NO_EXIT_ON_EMPTY);
    return NULL;
}

typedef void (*job_fn)(tloop *t, void *arg);
typedef struct {
    tloop *t;
    job_fn fn;
    void *arg;
    atomic_bool done;
} job;

static void job_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    job *j = arg;
    j->fn(j->t, j->arg);
    atomic_store(&j->done, true);
}

/* Runs fn(t, arg) on t's loop thread and waits for it (bounded). */
static bool run_on(tloop *t, job_fn fn, void *arg)
{
    job j = {t, fn, arg, false};
    struct timeval z = {0, 0};
    if (event_base_once(t->base, -1, EV_TIMEOUT, job_cb, &j, &z) != 0)
        return false;
    WAIT_UNTIL(atomic_load(&j.done), 5000);
    return atomic_load(&j.done);
}

/* ---- requests ---- */

typedef struct {
    tloop *t;
    int id;
    atomic_int calls;
    atomic_int outcome;
    atomic_bool right_thread, body_ok, header_ok;
    int64_t started, ended;
} rq;

static atomic_int done_count;

static void on_reply_cb(const nats_reply *r, void *ud)
{
    rq *q = ud;
    char want[32];
    snprintf(want, sizeof want, "msg-%d", q->id);
    atomic_store(&q->right_thread, pthread_equal(pthread_self(), q->t->th) != 0);
    atomic_store(&q->outcome, r->outcome);
    if (r->outcome == NATS_REPLY_OK) {
        atomic_store(&q->body_ok, r->len == strlen(want) && memcmp(r->data, want, r->len) == 0);
        const char *h = nats_reply_header(r, "X-Echo");
        char hv[32];
        snprintf(hv, sizeof hv, "v%d", q->id);
        atomic_store(&q->header_ok, h && strcmp(h, hv) == 0);
    }
    q->ended = now_ms();
    atomic_fetch_add(&q->calls, 1);
    atomic_fetch_add(&done_count, 1);
}

typedef struct {
    rq *reqs;
    int from, to;
    const char *subject;
    int64_t timeout;
    bool headers;
    int failed_submit;
    nats_pending *last;
} batch;

static void send_batch(tloop *t, void *arg)
{
    batch *b = arg;
    for (int i = b->from; i < b->to; i++) {
        rq *q = &b->reqs[i];
        q->t = t;
        q->id = i;
        char body[32], hv[32];
        int n = snprintf(body, sizeof body, "msg-%d", i);
        snprintf(hv, sizeof hv, "v%d", i);
        nats_header h[3] = {{"X-Test", hv}, {"X-Multi", "a"}, {"X-Multi", "b"}};
        q->started = now_ms();
        if (nats_bridge_request(t->nl, b->subject, h, b->headers ? 3 : 0, body, (size_t)n,
                                b->timeout, on_reply_cb, q, &b->last) != PST_OK)
            b->failed_submit++;
    }
}

/* Sends n requests split over the loops; waits until all are answered. */
static int run_requests(rq *reqs, int n, const char *subject, int64_t timeout, bool headers)
{
    int failed = 0;
    atomic_store(&done_count, 0);
    memset(reqs, 0, sizeof(rq) * (size_t)n);
    batch bs[N_LOOPS];
    for (int l = 0; l < N_LOOPS; l++) {
        bs[l] = (batch){reqs, n * l / N_LOOPS, n * (l + 1) / N_LOOPS, subject, timeout, headers, 0,
                        NULL};
        CHECK(run_on(&loops[l], send_batch, &bs[l]));
        failed += bs[l].failed_submit;
    }
    WAIT_UNTIL(atomic_load(&done_count) >= n - failed, (int)timeout + 5000);
    return failed;
}

static rq reqs[1000];

static void test_many(const char *label)
{
    int hdr0 = atomic_load(&hdr_seen), multi0 = atomic_load(&multi_seen);
    CHECK(run_requests(reqs, 1000, "svc.echo", 5000, true) == 0);
    int ok = 0, thread_ok = 0, body_ok = 0, header_ok = 0, once = 0;
    for (int i = 0; i < 1000; i++) {
        ok += atomic_load(&reqs[i].outcome) == NATS_REPLY_OK;
        thread_ok += atomic_load(&reqs[i].right_thread);
        body_ok += atomic_load(&reqs[i].body_ok);
        header_ok += atomic_load(&reqs[i].header_ok);
        once += atomic_load(&reqs[i].calls) == 1;
    }
    printf("%s: 1000 requests: ok=%d right_loop=%d body=%d header=%d once=%d\n", label, ok,
           thread_ok, body_ok, header_ok, once);
    CHECK(ok == 1000 && thread_ok == 1000 && body_ok == 1000 && header_ok == 1000);
    CHECK(once == 1000);
    CHECK(atomic_load(&hdr_seen) - hdr0 == 1000 && atomic_load(&multi_seen) - multi0 == 1000);
}

static void test_timeout_and_no_responders(void)
{
    rq one[1];
    run_requests(one, 1, "svc.silent", 100, false);
    CHECK(atomic_load(&one[0].outcome) == NATS_REPLY_TIMEOUT && atomic_load(&one[0].calls) == 1);
    CHECK(one[0].ended - one[0].started >= 90 && one[0].ended - one[0].started < 1000);
    CHECK(atomic_load(&one[0].right_thread));

    run_requests(one, 1, "svc.nobody", 2000, false);
    CHECK(atomic_load(&one[0].outcome) == NATS_REPLY_NO_RESPONDERS);
    CHECK(one[0].ended - one[0].started < 1000 && atomic_load(&one[0].calls) == 1);
}

static void late_reply(void)
{
    const nats_bridge_stats *st = nats_bridge_stats_ref(bridge);
    uint64_t late0 = atomic_load(&st->late_replies);
    rq one[1];
    run_requests(one, 1, "svc.slow", 50, false);
    CHECK(atomic_load(&one[0].outcome) == NATS_REPLY_TIMEOUT);
    WAIT_UNTIL(atomic_load(&st->late_replies) > late0, 2000);
    usleep(50000);
    CHECK(atomic_load(&st->late_replies) == late0 + 1);
    CHECK(atomic_load(&one[0].calls) == 1); /* the late reply called nothing */
}

static void cancel_job(tloop *t, void *arg)
{
    batch *b = arg;
    send_batch(t, b);
    nats_bridge_cancel(b->last);
}

static void test_cancel(void)
{
    const nats_bridge_stats *st = nats_bridge_stats_ref(bridge);
    uint64_t late0 = atomic_load(&st->late_replies);
    rq one[1];
    memset(one, 0, sizeof one);
    batch b = {one, 0, 1, "svc.slow", 1000, false, 0, NULL};
    CHECK(run_on(&loops[0], cancel_job, &b));
    WAIT_UNTIL(atomic_load(&st->late_replies) > late0, 2000);
    usleep(1200000); /* past the timeout too */
    CHECK(atomic_load(&one[0].calls) == 0);
    CHECK(atomic_load(&st->late_replies) == late0 + 1);
}

typedef struct {
    pst_status st[6];
} pub_res;

static void publish_job(tloop *t, void *arg)
{
    pub_res *r = arg;
    nats_header h = {"X-Pub", "yes"}, bad = {"X-Bad", "a\r\nX-Injected: 1"},
                badkey = {"X Bad", "v"};
    r->st[0] = nats_bridge_publish(t->nl, "svc.pub", &h, 1, "hello", 5);
    r->st[1] = nats_bridge_publish(t->nl, "svc.pub", &bad, 1, "hello", 5);
    r->st[2] = nats_bridge_publish(t->nl, "svc pub", NULL, 0, "hello", 5);
    r->st[3] = nats_bridge_publish(t->nl, "svc.*", NULL, 0, "hello", 5);
    r->st[4] =
        nats_bridge_request(t->nl, "svc.echo", &badkey, 1, "x", 1, 100, on_reply_cb, NULL, NULL);
    r->st[5] = nats_bridge_request(t->nl, "svc.echo", NULL, 0, "x", 1, 0, on_reply_cb, NULL, NULL);
}

static void test_publish_and_bad_input(void)
{
    pub_res r;
    CHECK(run_on(&loops[1], publish_job, &r));
    CHECK(r.st[0] == PST_OK);
    for (int i = 1; i < 6; i++)
        CHECK(r.st[i] == PST_ERROR);
    WAIT_UNTIL(atomic_load(&pub_hdr_seen) >= 1, 2000);
    usleep(50000);
    CHECK(atomic_load(&pubs_seen) == 1 && atomic_load(&pub_hdr_seen) == 1);
}

static atomic_int state_up, state_down;

static void on_state(nats_conn_state st, void *ud)
{
    (void)ud;
    if (st == NATS_STATE_CONNECTED)
        atomic_fetch_add(&state_up, 1);
    else if (st == NATS_STATE_DISCONNECTED)
        atomic_fetch_add(&state_down, 1);
}

static bool probe_ok(void)
{
    rq one[1];
    run_requests(one, 1, "svc.echo", 300, false);
    return atomic_load(&one[0].outcome) == NATS_REPLY_OK;
}

static void test_server_restart(void)
{
    static rq inflight[200];
    int down0 = atomic_load(&state_down), up0 = atomic_load(&state_up);
    /* requests in flight when the server dies: each ends, none hangs */
    atomic_store(&done_count, 0);
    memset(inflight, 0, sizeof inflight);
    batch bs[N_LOOPS];
    for (int l = 0; l < N_LOOPS; l++) {
        bs[l] = (batch){inflight, 100 * l, 100 * (l + 1), "svc.slow", 800, false, 0, NULL};
        CHECK(run_on(&loops[l], send_batch, &bs[l]));
    }
    stop_server(SIGKILL);
    int64_t t0 = now_ms();
    WAIT_UNTIL(atomic_load(&done_count) >= 200, 5000);
    int ended = 0, bad = 0;
    for (int i = 0; i < 200; i++) {
        ended += atomic_load(&inflight[i].calls) == 1;
        int o = atomic_load(&inflight[i].outcome);
        bad += o != NATS_REPLY_TIMEOUT && o != NATS_REPLY_CONN_ERROR && o != NATS_REPLY_OK;
    }
    printf("server killed: %d/200 in-flight requests ended in %lld ms\n", ended,
           (long long)(now_ms() - t0));
    CHECK(ended == 200 && bad == 0);
    WAIT_UNTIL(!nats_bridge_connected(bridge), 3000);
    CHECK(!nats_bridge_connected(bridge));
    WAIT_UNTIL(atomic_load(&state_down) > down0, 3000);
    CHECK(atomic_load(&state_down) > down0);

    /* while down: requests fail fast (or time out), never hang */
    static rq down[100];
    t0 = now_ms();
    run_requests(down, 100, "svc.echo", 500, false);
    int fast = 0, ended2 = 0;
    for (int i = 0; i < 100; i++) {
        ended2 += atomic_load(&down[i].calls) == 1;
        fast += atomic_load(&down[i].outcome) == NATS_REPLY_CONN_ERROR;
    }
    printf("server down: %d/100 ended (%d fast conn errors) in %lld ms\n", ended2, fast,
           (long long)(now_ms() - t0));
    CHECK(ended2 == 100);

    /* restarted: reconnects and requests succeed again */
    CHECK(start_server());
    WAIT_UNTIL(nats_bridge_connected(bridge), 10000);
    CHECK(nats_bridge_connected(bridge));
    /* the state callback runs on a nats.c thread, possibly just after */
    WAIT_UNTIL(atomic_load(&state_up) > up0, 3000);
    CHECK(atomic_load(&state_up) > up0);
    bool ok = false;
    for (int i = 0; i < 50 && !(ok = probe_ok()); i++)
        usleep(100000);
    CHECK(ok);
    test_many("after restart");
}

/* ---- both loops publishing at once, continuously ---- */

#define LOAD_INFLIGHT 32
#define LOAD_PER_LOOP 15000

typedef struct {
    tloop *t;
    atomic_int sent, ok, bad;
} load_state;

static void load_send(load_state *s);

/* Each reply sends the next request: LOAD_INFLIGHT stay in flight per loop,
 * so both loops buffer and flush while the other one does. */
static void on_load_reply(const nats_reply *r, void *ud)
{
    load_state *s = ud;
    atomic_fetch_add(r->outcome == NATS_REPLY_OK ? &s->ok : &s->bad, 1);
    if (atomic_load(&s->sent) < LOAD_PER_LOOP)
        load_send(s);
}

static void load_send(load_state *s)
{
    atomic_fetch_add(&s->sent, 1);
    if (nats_bridge_request(s->t->nl, "svc.echo", NULL, 0, "load", 4, 5000, on_load_reply, s,
                            NULL) != PST_OK)
        atomic_fetch_add(&s->bad, 1);
}

static void load_start(tloop *t, void *arg)
{
    load_state *s = arg;
    s->t = t;
    for (int i = 0; i < LOAD_INFLIGHT; i++)
        load_send(s);
}

/* Several loops writing to the one connection must never make nats.c drop
 * it (a write of an empty buffer reads as "connection closed"). */
static void test_concurrent_load(const char *label)
{
    static load_state ls[N_LOOPS];
    int down0 = atomic_load(&state_down);
    int64_t t0 = now_ms();
    for (int l = 0; l < N_LOOPS; l++) {
        memset(&ls[l], 0, sizeof ls[l]);
        CHECK(run_on(&loops[l], load_start, &ls[l]));
    }
    int done = 0, ok = 0, bad = 0;
    for (int w = 0; w < 30000 && done < N_LOOPS * LOAD_PER_LOOP; w++) {
        usleep(1000);
        done = 0;
        for (int l = 0; l < N_LOOPS; l++)
            done += atomic_load(&ls[l].ok) + atomic_load(&ls[l].bad);
    }
    for (int l = 0; l < N_LOOPS; l++) {
        ok += atomic_load(&ls[l].ok);
        bad += atomic_load(&ls[l].bad);
    }
    int64_t ms = now_ms() - t0;
    printf("%s: %d concurrent requests: ok=%d bad=%d disconnects=%d in %lld ms\n", label,
           N_LOOPS * LOAD_PER_LOOP, ok, bad, atomic_load(&state_down) - down0, (long long)ms);
    CHECK(ok == N_LOOPS * LOAD_PER_LOOP && bad == 0);
    CHECK(atomic_load(&state_down) == down0);
    CHECK(nats_bridge_connected(bridge));
}

static void attach_job(tloop *t, void *arg);

/* ---- a reply callback detaching its own loop ---- */

#define DETACH_BATCH 50

static atomic_int cb_detach_calls;

static void on_reply_detach(const nats_reply *r, void *ud)
{
    (void)r;
    tloop *t = ud;
    atomic_fetch_add(&cb_detach_calls, 1);
    nats_loop *l = t->nl;
    t->nl = NULL;
    nats_loop_detach(l); /* ends the others (CONN_ERROR), each once */
}

static void send_detach_batch(tloop *t, void *arg)
{
    (void)arg;
    for (int i = 0; i < DETACH_BATCH; i++)
        nats_bridge_request(t->nl, "svc.echo", NULL, 0, "x", 1, 5000, on_reply_detach, t, NULL);
}

/* The rest of the wake's batch must be dropped without touching the
 * detached loop's queues (ASan checks the memory). */
static void test_detach_in_callback(void)
{
    atomic_store(&cb_detach_calls, 0);
    CHECK(run_on(&loops[0], send_detach_batch, NULL));
    WAIT_UNTIL(atomic_load(&cb_detach_calls) >= DETACH_BATCH, 5000);
    usleep(50000);
    CHECK(atomic_load(&cb_detach_calls) == DETACH_BATCH);
    CHECK(loops[0].nl == NULL);
    CHECK(run_on(&loops[0], attach_job, bridge));
    CHECK(loops[0].nl != NULL);
}

/* Detaching a loop ends its outstanding requests, each with one callback. */
static void test_detach_ends_requests(rq *outstanding, int n)
{
    atomic_store(&done_count, 0);
    memset(outstanding, 0, sizeof(rq) * (size_t)n);
    batch bs[N_LOOPS];
    for (int l = 0; l < N_LOOPS; l++) {
        bs[l] = (batch){
            outstanding, n * l / N_LOOPS, n * (l + 1) / N_LOOPS, "svc.silent", 10000, false, 0,
            NULL};
        CHECK(run_on(&loops[l], send_batch, &bs[l]));
    }
    usleep(20000);
    CHECK(atomic_load(&done_count) == 0);
}

static void attach_job(tloop *t, void *arg)
{
    t->nl = nats_bridge_attach(arg, t->base);
}

static void detach_job(tloop *t, void *arg)
{
    (void)arg;
    nats_loop_detach(t->nl);
    t->nl = NULL;
}

static void break_job(tloop *t, void *arg)
{
    (void)arg;
    event_base_loopbreak(t->base);
}

static bool start_loops(void)
{
    for (int l = 0; l < N_LOOPS; l++) {
        loops[l].base = event_base_new();
        atomic_store(&loops[l].ready, false);
        if (!loops[l].base || pthread_create(&loops[l].th, NULL, loop_main, &loops[l]) != 0)
            return false;
        WAIT_UNTIL(atomic_load(&loops[l].ready), 2000);
    }
    return true;
}

static void stop_loops(void)
{
    for (int l = 0; l < N_LOOPS; l++) {
        CHECK(run_on(&loops[l], break_job, NULL));
        pthread_join(loops[l].th, NULL);
        event_base_free(loops[l].base);
    }
}

static nats_bridge *make_bridge(nats_flush_mode mode, int64_t wait)
{
    const char *servers[] = {url};
    nats_bridge_opts o = {.servers = servers,
                          .n_servers = 1,
                          .name = "test-bridge",
                          .connect_wait_ms = wait,
                          .reconnect_wait_ms = 50,
                          .max_reconnect_wait_ms = 300,
                          .flush = mode,
                          .on_state = on_state};
    const char *err = NULL;
    nats_bridge *b = nats_bridge_create(&o, &err);
    if (!b)
        fprintf(stderr, "bridge: %s\n", err);
    return b;
}

/* One bridge in the given mode; full = every scenario. */
static void suite(nats_flush_mode mode, const char *label, bool full)
{
    int64_t t0 = now_ms();
    if (full) {
        /* created before the server is up: returns after the bounded wait */
        bridge = make_bridge(mode, 200);
        CHECK(bridge != NULL && !nats_bridge_connected(bridge));
        CHECK(now_ms() - t0 < 3000);
        CHECK(start_server() && start_responder());
        WAIT_UNTIL(bridge && nats_bridge_connected(bridge), 10000);
    } else {
        bridge = make_bridge(mode, 2000);
    }
    CHECK(bridge && nats_bridge_connected(bridge));
    if (!bridge)
        return;
    CHECK(start_loops());
    for (int l = 0; l < N_LOOPS; l++) {
        CHECK(run_on(&loops[l], attach_job, bridge));
        CHECK(loops[l].nl != NULL);
    }
    test_many(label);
    test_concurrent_load(label);
    if (full) {
        test_timeout_and_no_responders();
        late_reply();
        test_cancel();
        test_publish_and_bad_input();
        test_server_restart();
        test_detach_in_callback();
    }
    const nats_bridge_stats *st = nats_bridge_stats_ref(bridge);
    printf("%s stats: requests=%lu timeouts=%lu no_responders=%lu errors=%lu late=%lu\n", label,
           (unsigned long)atomic_load(&st->requests), (unsigned long)atomic_load(&st->timeouts),
           (unsigned long)atomic_load(&st->no_responders), (unsigned long)atomic_load(&st->errors),
           (unsigned long)atomic_load(&st->late_replies));
    static rq outstanding[20];
    test_detach_ends_requests(outstanding, 20);
    for (int l = 0; l < N_LOOPS; l++)
        CHECK(run_on(&loops[l], detach_job, NULL));
    int conn_err = 0, right = 0;
    for (int i = 0; i < 20; i++) {
        conn_err += atomic_load(&outstanding[i].outcome) == NATS_REPLY_CONN_ERROR &&
                    atomic_load(&outstanding[i].calls) == 1;
        right += atomic_load(&outstanding[i].right_thread);
    }
    CHECK(conn_err == 20 && right == 20);
    nats_bridge_destroy(bridge);
    bridge = NULL;
    stop_loops();
}

static void test_bad_options(void)
{
    const char *err = NULL;
    nats_bridge_opts o = {0};
    CHECK(nats_bridge_create(&o, &err) == NULL && err != NULL);
    const char *servers[] = {url};
    o = (nats_bridge_opts){.servers = servers, .n_servers = 1, .tls_ca = "/nonexistent/ca.pem"};
    err = NULL;
    CHECK(nats_bridge_create(&o, &err) == NULL && err != NULL);
    o = (nats_bridge_opts){.servers = servers, .n_servers = 1, .tls_cert = "/nonexistent/c.pem"};
    err = NULL;
    CHECK(nats_bridge_create(&o, &err) == NULL && err != NULL);
    o = (nats_bridge_opts){.servers = servers, .n_servers = 1, .nkey_seed_file = "/x.nk"};
    err = NULL;
    CHECK(nats_bridge_create(&o, &err) == NULL && err != NULL);
    const char *bad[] = {"nats://127.0.0.1:notaport"};
    o = (nats_bridge_opts){.servers = bad, .n_servers = 1};
    err = NULL;
    CHECK(nats_bridge_create(&o, &err) == NULL && err != NULL);
    nats_bridge_destroy(NULL);
    nats_loop_detach(NULL);
    nats_bridge_cancel(NULL);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    port = free_port();
    CHECK(port > 0);
    snprintf(url, sizeof url, "nats://127.0.0.1:%d", port);
    CHECK(nats_threads_init() == PST_OK);
    test_bad_options();
    suite(NATS_FLUSH_LOOP, "loop", true);
    suite(NATS_FLUSH_IO_THREAD, "io-thread", false);
    suite(NATS_FLUSH_ASAP, "asap", false);
    suite(NATS_FLUSH_BATCH, "batch", false);
    stop_responder();
    stop_server(SIGTERM);
    nats_Close();
    TEST_END();
}
