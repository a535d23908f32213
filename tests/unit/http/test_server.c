/* The HTTP server over real loopback sockets: keep-alive, pipelining, limits,
 * timeouts, max_connections, aborts, posting to loops and graceful stop. */
#include <arpa/inet.h>
#include <errno.h>
#include <event2/event.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "common/mem.h"
#include "http/server.h"
#include "test.h"

static atomic_int aborts, loop_inits, loop_finis, posts_ran;
static atomic_int worker_seen[2];

/* ---- the handler ---- */

typedef struct {
    http_request *req;
    struct event *timer;
} delayed;

static const http_header text_plain[] = {
    {PST_STR_LIT("Content-Type"), PST_STR_LIT("text/plain")},
};

static void delayed_fire(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    delayed *d = arg;
    event_free(d->timer);
    http_respond(d->req, 200, text_plain, 1, "delayed", 7);
}

static void delayed_abort(http_request *req, void *ud)
{
    delayed *d = ud;
    CHECK(req->aborted);
    event_free(d->timer);
    atomic_fetch_add(&aborts, 1);
    http_respond(req, 499, NULL, 0, NULL, 0);
}

static void handler(http_request *req, void *ud)
{
    (void)ud;
    CHECK(*(int *)req->loop_ud == req->worker);
    atomic_fetch_add(&worker_seen[req->worker & 1], 1);
    if (pst_str_eq_c(req->path, "/hello")) {
        http_respond(req, 200, text_plain, 1, "hello", 5);
    } else if (pst_str_eq_c(req->path, "/big")) {
        static char big[65536];
        memset(big, 'b', sizeof(big));
        http_respond(req, 200, text_plain, 1, big, sizeof(big));
    } else if (pst_str_eq_c(req->path, "/inject")) {
        http_header h[] = {{PST_STR_LIT("X-Bad"), PST_STR_LIT("a\r\nSet-Cookie: x=1")},
                           {PST_STR_LIT("X-Good"), PST_STR_LIT("fine")}};
        http_respond(req, 201, h, 2, NULL, 0);
    } else if (pst_str_eq_c(req->path, "/echo")) {
        http_respond(req, 200, text_plain, 1, req->body.p, req->body.n);
    } else if (pst_str_eq_c(req->path, "/info")) {
        char *b = pst_arena_alloc(req->arena, 256);
        pst_str x = http_request_header(req, "x-test");
        int n = snprintf(b, 256, "%d %.*s %.*s %.*s %.*s", req->worker, (int)req->method.n,
                         req->method.p, (int)req->path.n, req->path.p, (int)req->query.n,
                         req->query.p ? req->query.p : "", (int)x.n, x.p ? x.p : "");
        http_respond(req, 200, text_plain, 1, b, (size_t)n);
    } else if (pst_str_eq_c(req->path, "/delay")) {
        delayed *d = pst_arena_alloc(req->arena, sizeof(*d));
        int ms = 100; /* ?ms=N; the query is a view, not a C string */
        if (req->query.p && req->query.n > 3 && req->query.n < 16) {
            char num[16];
            memcpy(num, req->query.p + 3, req->query.n - 3);
            num[req->query.n - 3] = '\0';
            ms = atoi(num);
        }
        d->req = req;
        d->timer = evtimer_new(req->base, delayed_fire, d);
        struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
        evtimer_add(d->timer, &tv);
        http_request_on_abort(req, delayed_abort, d);
    } else {
        http_respond(req, 404, NULL, 0, "", 0);
    }
}

static int worker_ids[8];

static int loop_init(struct event_base *base, int worker, void *ud, void **loop_ud)
{
    (void)base;
    (void)ud;
    worker_ids[worker] = worker;
    *loop_ud = &worker_ids[worker];
    atomic_fetch_add(&loop_inits, 1);
    return 0;
}

static void loop_fini(struct event_base *base, int worker, void *ud, void *loop_ud)
{
    (void)base;
    (void)ud;
    CHECK(loop_ud == &worker_ids[worker]);
    atomic_fetch_add(&loop_finis, 1);
}

static http_server *start(int max_conns, int64_t header_ms, int64_t idle_ms)
{
    http_server_opts o;
    http_server_opts_init(&o);
    o.listen = "127.0.0.1:0";
    o.workers = 2;
    o.max_body_bytes = 1000;
    o.max_head_bytes = 4096;
    o.max_connections = max_conns;
    o.header_timeout_ms = header_ms;
    o.idle_timeout_ms = idle_ms;
    o.handler = handler;
    o.loop_init = loop_init;
    o.loop_fini = loop_fini;
    const char *err = NULL;
    http_server *s = http_server_start(&o, &err);
    if (!s)
        fprintf(stderr, "start: %s\n", err);
    return s;
}

/* ---- a small blocking client ---- */

typedef struct {
    int fd;
    char buf[262144];
    size_t len;
} client;

typedef struct {
    int status;
    char head[4096];
    char body[70000];
    size_t body_len;
} response;

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int cli_connect(client *c, int port)
{
    c->len = 0;
    c->fd = socket(AF_INET, SOCK_STREAM, 0);
    struct timeval tv = {5, 0};
    setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
    if (connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        close(c->fd);
        c->fd = -1;
        return -1;
    }
    return 0;
}

static void cli_send(client *c, const char *s, size_t n)
{
    while (n) {
        ssize_t w = send(c->fd, s, n, MSG_NOSIGNAL);
        if (w <= 0)
            return;
        s += w;
        n -= (size_t)w;
    }
}

static void cli_sends(client *c, const char *s)
{
    cli_send(c, s, strlen(s));
}

/* Reads more bytes; 0 on EOF/error/timeout. */
static int cli_fill(client *c)
{
    if (c->len == sizeof(c->buf))
        return 0;
    ssize_t n = recv(c->fd, c->buf + c->len, sizeof(c->buf) - c->len, 0);
    if (n <= 0)
        return 0;
    c->len += (size_t)n;
    return 1;
}

/* Reads one response (Content-Length framed). Returns 0 on success. */
static int cli_response(client *c, response *r)
{
    char *end;
    while (!(end = memmem(c->buf, c->len, "\r\n\r\n", 4)))
        if (!cli_fill(c))
            return -1;
    size_t head = (size_t)(end - c->buf) + 4;
    if (head >= sizeof(r->head))
        return -1;
    memcpy(r->head, c->buf, head);
    r->head[head] = '\0';
    r->status = atoi(r->head + 9);
    const char *cl = strcasestr(r->head, "\r\nContent-Length: ");
    size_t blen = cl ? (size_t)atol(cl + 18) : 0;
    while (c->len < head + blen)
        if (!cli_fill(c))
            return -1;
    if (blen >= sizeof(r->body))
        return -1;
    memcpy(r->body, c->buf + head, blen);
    r->body[blen] = '\0';
    r->body_len = blen;
    memmove(c->buf, c->buf + head + blen, c->len - head - blen);
    c->len -= head + blen;
    return 0;
}

/* True when the server closes the connection (EOF or reset) in time. */
static bool cli_closed(client *c)
{
    char b[256];
    for (;;) {
        ssize_t n = recv(c->fd, b, sizeof(b), 0);
        if (n == 0 || (n < 0 && errno == ECONNRESET))
            return true;
        if (n < 0)
            return false; /* timeout */
    }
}

static void cli_close(client *c)
{
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
}

static bool has_header(const response *r, const char *line)
{
    return strcasestr(r->head, line) != NULL;
}

/* ---- tests ---- */

static void test_keep_alive(int port)
{
    client c;
    response r;
    CHECK(cli_connect(&c, port) == 0);
    for (int i = 0; i < 5; i++) {
        cli_sends(&c, "GET /hello HTTP/1.1\r\nHost: t\r\n\r\n");
        CHECK(cli_response(&c, &r) == 0);
        CHECK(r.status == 200);
        CHECK_STR(r.body, "hello");
        CHECK(has_header(&r, "\r\nContent-Length: 5\r\n"));
        CHECK(has_header(&r, "\r\nContent-Type: text/plain\r\n"));
        CHECK(has_header(&r, "\r\nDate: "));
        CHECK(!has_header(&r, "Connection: close"));
        CHECK(strncmp(r.head, "HTTP/1.1 200 OK\r\n", 17) == 0);
    }
    cli_sends(&c, "GET /info?a=1 HTTP/1.1\r\nHost: t\r\nX-Test: yes\r\n\r\n");
    CHECK(cli_response(&c, &r) == 0);
    CHECK(strstr(r.body, " GET /info a=1 yes") != NULL);
    /* the client asks to close */
    cli_sends(&c, "GET /hello HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
    CHECK(cli_response(&c, &r) == 0 && r.status == 200);
    CHECK(has_header(&r, "\r\nConnection: close\r\n"));
    CHECK(cli_closed(&c));
    cli_close(&c);

    /* HTTP/1.0: closes by default, keeps alive on request */
    CHECK(cli_connect(&c, port) == 0);
    cli_sends(&c, "GET /hello HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
    CHECK(cli_response(&c, &r) == 0 && r.status == 200);
    CHECK(has_header(&r, "\r\nConnection: keep-alive\r\n"));
    cli_sends(&c, "GET /hello HTTP/1.0\r\n\r\n");
    CHECK(cli_response(&c, &r) == 0 && r.status == 200);
    CHECK(has_header(&r, "\r\nConnection: close\r\n"));
    CHECK(cli_closed(&c));
    cli_close(&c);
}

static void test_pipelining(int port)
{
    client c;
    response r;
    CHECK(cli_connect(&c, port) == 0);
    cli_sends(&c, "GET /delay?ms=80 HTTP/1.1\r\nHost: t\r\n\r\n"
                  "GET /hello HTTP/1.1\r\nHost: t\r\n\r\n"
                  "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 4\r\n\r\nabcd"
                  "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
                  "3\r\nxyz\r\n0\r\n\r\n"
                  "GET /delay?ms=10 HTTP/1.1\r\nHost: t\r\n\r\n"
                  "GET /hello HTTP/1.1\r\nHost: t\r\n\r\n");
    static const char *want[] = {"delayed", "hello", "abcd", "xyz", "delayed", "hello"};
    for (int i = 0; i < 6; i++) {
        CHECK(cli_response(&c, &r) == 0);
        CHECK(r.status == 200);
        CHECK_STR(r.body, want[i]);
    }
    cli_close(&c);

    /* a chunked body trickled in byte by byte */
    CHECK(cli_connect(&c, port) == 0);
    const char *req = "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
                      "5\r\nhello\r\n1;x=y\r\n!\r\n0\r\nT: v\r\n\r\n";
    for (size_t i = 0; req[i]; i++) {
        cli_send(&c, req + i, 1);
        if (i % 16 == 0)
            usleep(1000);
    }
    CHECK(cli_response(&c, &r) == 0 && r.status == 200);
    CHECK_STR(r.body, "hello!");

    /* Expect: 100-continue */
    cli_sends(&c, "POST /echo HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\n"
                  "Content-Length: 3\r\n\r\n");
    CHECK(cli_response(&c, &r) == 0 && r.status == 100);
    cli_sends(&c, "abc");
    CHECK(cli_response(&c, &r) == 0 && r.status == 200);
    CHECK_STR(r.body, "abc");
    cli_close(&c);
}

/* A client that pipelines many requests and reads nothing for a while:
 * the server pauses and resumes, and every response arrives in order. */
static void test_backpressure(int port)
{
    client c;
    static response r;
    CHECK(cli_connect(&c, port) == 0);
    for (int i = 0; i < 60; i++)
        cli_sends(&c, i % 2 ? "GET /hello HTTP/1.1\r\nHost: t\r\n\r\n"
                            : "GET /big HTTP/1.1\r\nHost: t\r\n\r\n");
    usleep(200000);
    int ok = 0;
    for (int i = 0; i < 60; i++) {
        if (cli_response(&c, &r) == 0 && r.status == 200 && r.body_len == (i % 2 ? 5u : 65536u))
            ok++;
    }
    CHECK(ok == 60);
    cli_sends(&c, "GET /inject HTTP/1.1\r\nHost: t\r\n\r\n");
    CHECK(cli_response(&c, &r) == 0 && r.status == 201);
    CHECK(strncmp(r.head, "HTTP/1.1 201 Created\r\n", 22) == 0);
    CHECK(!has_header(&r, "Set-Cookie") && !has_header(&r, "X-Bad"));
    CHECK(has_header(&r, "\r\nX-Good: fine\r\n"));
    cli_close(&c);
}

/* Each allocation on the server's path failing in turn: the client gets a
 * response or a closed connection, and the server keeps working. */
static void test_out_of_memory(int port)
{
    static response r;
    int answered = 0, dropped = 0;
    for (long n = 1; n <= 12; n++) {
        client c;
        CHECK(cli_connect(&c, port) == 0);
        pst_mem_fail_at(n);
        cli_sends(&c, "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\n\r\nabc");
        int rc = cli_response(&c, &r);
        pst_mem_fail_at(0);
        if (rc == 0 && (r.status == 200 || r.status == 503))
            answered++;
        else
            dropped++;
        cli_close(&c);
    }
    /* whether an allocation happens on this path depends on buffer reuse,
     * so a failure may or may not hit it: what counts is that each request
     * ended cleanly and the server still answers afterwards */
    CHECK(answered + dropped == 12);
    client c;
    CHECK(cli_connect(&c, port) == 0);
    cli_sends(&c, "GET /hello HTTP/1.1\r\nHost: t\r\n\r\n");
    CHECK(cli_response(&c, &r) == 0 && r.status == 200);
    cli_close(&c);
}

static void test_limits(int port)
{
    client c;
    response r;
    /* 413 before the body is sent */
    CHECK(cli_connect(&c, port) == 0);
    cli_sends(&c, "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 100000\r\n\r\n");
    CHECK(cli_response(&c, &r) == 0 && r.status == 413);
    CHECK(has_header(&r, "Connection: close"));
    CHECK(strstr(r.body, "LIMIT_EXCEEDED") != NULL);
    CHECK(cli_closed(&c));
    cli_close(&c);

    /* a chunked body that grows past the limit */
    CHECK(cli_connect(&c, port) == 0);
    cli_sends(&c, "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n");
    char chunk[600];
    memset(chunk, 'z', sizeof(chunk));
    for (int i = 0; i < 2; i++) {
        cli_sends(&c, "258\r\n");
        cli_send(&c, chunk, sizeof(chunk));
        cli_sends(&c, "\r\n");
    }
    CHECK(cli_response(&c, &r) == 0 && r.status == 413);
    cli_close(&c);

    /* 431 for a huge head */
    CHECK(cli_connect(&c, port) == 0);
    char big[6000];
    int n = snprintf(big, sizeof(big), "GET /hello HTTP/1.1\r\nHost: t\r\nX-Big: ");
    memset(big + n, 'a', 5000);
    memcpy(big + n + 5000, "\r\n\r\n", 4);
    cli_send(&c, big, (size_t)n + 5004);
    CHECK(cli_response(&c, &r) == 0 && r.status == 431);
    CHECK(cli_closed(&c));
    cli_close(&c);

    /* malformed: 400 and close */
    CHECK(cli_connect(&c, port) == 0);
    cli_sends(&c, "GET /hello HTTP/1.1\nHost: t\r\n\r\n");
    CHECK(cli_response(&c, &r) == 0 && r.status == 400);
    CHECK(strstr(r.body, "bare LF") != NULL);
    CHECK(cli_closed(&c));
    cli_close(&c);
}

static void test_timeouts(int port)
{
    client c;
    response r;
    /* a head that never completes: 408 after the header timeout */
    CHECK(cli_connect(&c, port) == 0);
    int64_t t0 = now_ms();
    cli_sends(&c, "GET /hello HTTP/1.1\r\n");
    for (int i = 0; i < 3; i++) { /* trickling does not extend the deadline */
        usleep(100000);
        cli_sends(&c, "X-A: b\r\n");
    }
    CHECK(cli_response(&c, &r) == 0 && r.status == 408);
    int64_t took = now_ms() - t0;
    CHECK(took >= 350 && took < 4000);
    CHECK(cli_closed(&c));
    cli_close(&c);

    /* nothing sent at all: closed after the header timeout */
    CHECK(cli_connect(&c, port) == 0);
    t0 = now_ms();
    CHECK(cli_closed(&c));
    took = now_ms() - t0;
    CHECK(took >= 350 && took < 4000);
    cli_close(&c);

    /* idle between requests */
    CHECK(cli_connect(&c, port) == 0);
    cli_sends(&c, "GET /hello HTTP/1.1\r\nHost: t\r\n\r\n");
    CHECK(cli_response(&c, &r) == 0 && r.status == 200);
    t0 = now_ms();
    CHECK(cli_closed(&c));
    took = now_ms() - t0;
    CHECK(took >= 550 && took < 4000);
    cli_close(&c);

    /* a handler that takes longer than both timeouts is not cut off */
    CHECK(cli_connect(&c, port) == 0);
    cli_sends(&c, "GET /delay?ms=900 HTTP/1.1\r\nHost: t\r\n\r\n");
    CHECK(cli_response(&c, &r) == 0 && r.status == 200);
    CHECK_STR(r.body, "delayed");
    cli_close(&c);
}

static void wait_for(atomic_int *v, int want)
{
    for (int i = 0; i < 300 && atomic_load(v) < want; i++)
        usleep(10000);
}

static void test_abort(int port)
{
    client c;
    int before = atomic_load(&aborts);
    CHECK(cli_connect(&c, port) == 0);
    cli_sends(&c, "GET /delay?ms=3000 HTTP/1.1\r\nHost: t\r\n\r\n");
    usleep(100000);
    cli_close(&c);
    int64_t t0 = now_ms();
    wait_for(&aborts, before + 1);
    CHECK(atomic_load(&aborts) == before + 1);
    CHECK(now_ms() - t0 < 3000);

    /* a half-close after complete requests: those answered at once are
     * delivered, then the server closes */
    response r;
    CHECK(cli_connect(&c, port) == 0);
    cli_sends(&c, "GET /hello HTTP/1.1\r\nHost: t\r\n\r\nGET /hello HTTP/1.1\r\nHost: t\r\n\r\n");
    shutdown(c.fd, SHUT_WR);
    CHECK(cli_response(&c, &r) == 0 && r.status == 200);
    CHECK(cli_response(&c, &r) == 0 && r.status == 200);
    CHECK(cli_closed(&c));
    cli_close(&c);
    /* a half-close while the handler works counts as going away */
    CHECK(cli_connect(&c, port) == 0);
    cli_sends(&c, "GET /delay?ms=3000 HTTP/1.1\r\nHost: t\r\n\r\n");
    usleep(50000);
    shutdown(c.fd, SHUT_WR);
    wait_for(&aborts, before + 2);
    CHECK(atomic_load(&aborts) == before + 2);
    CHECK(cli_closed(&c));
    cli_close(&c);
}

static void test_workers_and_post(http_server *s, int port)
{
    CHECK(http_server_workers(s) == 2);
    CHECK(port > 0);
    atomic_store(&worker_seen[0], 0);
    atomic_store(&worker_seen[1], 0);
    client cs[16];
    response r;
    for (int i = 0; i < 16; i++) {
        CHECK(cli_connect(&cs[i], port) == 0);
        cli_sends(&cs[i], "GET /hello HTTP/1.1\r\nHost: t\r\n\r\n");
    }
    for (int i = 0; i < 16; i++) {
        CHECK(cli_response(&cs[i], &r) == 0 && r.status == 200);
        cli_close(&cs[i]);
    }
    /* SO_REUSEPORT spread the connections over both loops */
    CHECK(atomic_load(&worker_seen[0]) > 0 && atomic_load(&worker_seen[1]) > 0);
    CHECK(atomic_load(&worker_seen[0]) + atomic_load(&worker_seen[1]) == 16);
}

static void on_post(struct event_base *base, void *loop_ud, void *ud)
{
    CHECK(base != NULL);
    CHECK(*(int *)loop_ud == *(int *)ud);
    atomic_fetch_add(&posts_ran, 1);
}

static void test_post(http_server *s)
{
    static int idx[2] = {0, 1};
    CHECK(http_server_post(s, 0, on_post, &idx[0]) == PST_OK);
    CHECK(http_server_post(s, 1, on_post, &idx[1]) == PST_OK);
    CHECK(http_server_post(s, 2, on_post, &idx[1]) == PST_ERROR);
    wait_for(&posts_ran, 2);
    CHECK(atomic_load(&posts_ran) == 2);
}

static void test_max_connections(void)
{
    http_server *s = start(2, 5000, 5000);
    CHECK(s != NULL);
    if (!s)
        return;
    int port = http_server_bound_port(s);
    client a, b, c;
    response r;
    CHECK(cli_connect(&a, port) == 0 && cli_connect(&b, port) == 0);
    cli_sends(&a, "GET /hello HTTP/1.1\r\nHost: t\r\n\r\n");
    cli_sends(&b, "GET /hello HTTP/1.1\r\nHost: t\r\n\r\n");
    CHECK(cli_response(&a, &r) == 0 && r.status == 200);
    CHECK(cli_response(&b, &r) == 0 && r.status == 200);
    CHECK(cli_connect(&c, port) == 0);
    CHECK(cli_response(&c, &r) == 0 && r.status == 503);
    CHECK(has_header(&r, "Connection: close"));
    CHECK(cli_closed(&c));
    cli_close(&c);
    /* a freed slot is usable again */
    cli_close(&a);
    bool ok = false;
    for (int i = 0; i < 100 && !ok; i++) {
        usleep(10000);
        CHECK(cli_connect(&c, port) == 0);
        cli_sends(&c, "GET /hello HTTP/1.1\r\nHost: t\r\n\r\n");
        ok = cli_response(&c, &r) == 0 && r.status == 200;
        cli_close(&c);
    }
    CHECK(ok);
    cli_close(&b);
    http_server_stop(s, 1000);
    http_server_free(s);
}

typedef struct {
    http_server *s;
    int64_t grace;
} stopper;

static void *stop_thread(void *arg)
{
    stopper *st = arg;
    http_server_stop(st->s, st->grace);
    return NULL;
}

static void test_graceful_stop(void)
{
    int inits = atomic_load(&loop_inits), finis = atomic_load(&loop_finis);
    http_server *s = start(100, 5000, 5000);
    CHECK(s != NULL);
    if (!s)
        return;
    CHECK(atomic_load(&loop_inits) == inits + 2);
    int port = http_server_bound_port(s);
    client busy, idle, late;
    response r;
    CHECK(cli_connect(&busy, port) == 0 && cli_connect(&idle, port) == 0);
    cli_sends(&idle, "GET /hello HTTP/1.1\r\nHost: t\r\n\r\n");
    CHECK(cli_response(&idle, &r) == 0 && r.status == 200);
    cli_sends(&busy, "GET /delay?ms=300 HTTP/1.1\r\nHost: t\r\n\r\n");
    usleep(50000);
    stopper st = {s, 3000};
    pthread_t th;
    int64_t t0 = now_ms();
    pthread_create(&th, NULL, stop_thread, &st);
    /* the in-flight request finishes, with Connection: close */
    CHECK(cli_response(&busy, &r) == 0 && r.status == 200);
    CHECK_STR(r.body, "delayed");
    CHECK(has_header(&r, "Connection: close"));
    CHECK(cli_closed(&busy));
    CHECK(cli_closed(&idle)); /* idle connections are closed at once */
    pthread_join(th, NULL);
    CHECK(now_ms() - t0 < 2800);
    CHECK(atomic_load(&loop_finis) == finis + 2);
    CHECK(cli_connect(&late, port) != 0); /* no longer accepting */
    cli_close(&late);
    cli_close(&busy);
    cli_close(&idle);
    http_server_free(s);

    /* a request longer than the grace period is aborted */
    s = start(100, 5000, 5000);
    CHECK(s != NULL);
    if (!s)
        return;
    port = http_server_bound_port(s);
    int before = atomic_load(&aborts);
    CHECK(cli_connect(&busy, port) == 0);
    cli_sends(&busy, "GET /delay?ms=10000 HTTP/1.1\r\nHost: t\r\n\r\n");
    usleep(50000);
    t0 = now_ms();
    http_server_stop(s, 200);
    int64_t took = now_ms() - t0;
    CHECK(took >= 150 && took < 4000);
    CHECK(atomic_load(&aborts) == before + 1);
    CHECK(cli_closed(&busy));
    cli_close(&busy);
    http_server_free(s);
}

static int failing_init(struct event_base *base, int worker, void *ud, void **loop_ud)
{
    if (worker == 1)
        return -1;
    return loop_init(base, worker, ud, loop_ud);
}

static void test_bad_options(void)
{
    http_server_opts o;
    http_server_opts_init(&o);
    const char *err = NULL;
    o.handler = handler;
    o.listen = "nonsense";
    CHECK(http_server_start(&o, &err) == NULL && err != NULL);
    o.listen = "::1:80";
    CHECK(http_server_start(&o, &err) == NULL);
    o.listen = "127.0.0.1:0";
    o.workers = 0;
    CHECK(http_server_start(&o, &err) == NULL);

    /* a failing loop_init fails the start; the other loops are finished */
    int finis = atomic_load(&loop_finis);
    o.workers = 2;
    o.loop_init = failing_init;
    o.loop_fini = loop_fini;
    err = NULL;
    CHECK(http_server_start(&o, &err) == NULL);
    CHECK_STR(err, "loop_init failed");
    CHECK(atomic_load(&loop_finis) == finis + 1);
    o.loop_init = NULL;
    o.loop_fini = NULL;

    /* IPv6 loopback, when the host has it */
    o.workers = 1;
    o.listen = "[::1]:0";
    http_server *s = http_server_start(&o, &err);
    if (s) {
        CHECK(http_server_bound_port(s) > 0);
        http_server_stop(s, 0);
        http_server_free(s);
    }
}

int main(void)
{
    http_server *s = start(100, 400, 600);
    CHECK(s != NULL);
    if (!s)
        TEST_END();
    int port = http_server_bound_port(s);
    test_keep_alive(port);
    test_pipelining(port);
    test_backpressure(port);
    test_out_of_memory(port);
    test_limits(port);
    test_timeouts(port);
    test_abort(port);
    test_workers_and_post(s, port);
    test_post(s);
    http_server_stop(s, 1000);
    http_server_free(s);
    test_max_connections();
    test_graceful_stop();
    test_bad_options();
    TEST_END();
}
