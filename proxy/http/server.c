/* Server lifetime: listening sockets (one per worker, SO_REUSEPORT), worker
 * threads with their event loops, accepting, cross-thread posting and the
 * graceful stop. Connections themselves live in conn.c. */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/thread.h>

#include "common/log.h"
#include "common/mem.h"
#include "http/server_internal.h"

#define ACCEPT_BATCH 64
#define LISTEN_BACKLOG 1024

static pthread_once_t threads_once = PTHREAD_ONCE_INIT;
static int threads_rc;

static void enable_threads(void)
{
    threads_rc = evthread_use_pthreads();
}

void http_server_opts_init(http_server_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->listen = "127.0.0.1:8080";
    o->workers = 1;
    o->max_body_bytes = 1 << 20;
    o->max_head_bytes = 16384;
    o->max_connections = 10000;
    o->header_timeout_ms = 10000;
    o->idle_timeout_ms = 60000;
    o->max_headers = HTTP_MAX_HEADERS;
}

const char *http_reason_phrase(int status)
{
    switch (status) {
    case 100:
        return "Continue";
    case 200:
        return "OK";
    case 201:
        return "Created";
    case 202:
        return "Accepted";
    case 204:
        return "No Content";
    case 301:
        return "Moved Permanently";
    case 302:
        return "Found";
    case 304:
        return "Not Modified";
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 406:
        return "Not Acceptable";
    case 408:
        return "Request Timeout";
    case 409:
        return "Conflict";
    case 411:
        return "Length Required";
    case 413:
        return "Content Too Large";
    case 414:
        return "URI Too Long";
    case 415:
        return "Unsupported Media Type";
    case 417:
        return "Expectation Failed";
    case 422:
        return "Unprocessable Content";
    case 429:
        return "Too Many Requests";
    case 431:
        return "Request Header Fields Too Large";
    case 499:
        return "Client Closed Request";
    case 500:
        return "Internal Server Error";
    case 501:
        return "Not Implemented";
    case 502:
        return "Bad Gateway";
    case 503:
        return "Service Unavailable";
    case 504:
        return "Gateway Timeout";
    case 505:
        return "HTTP Version Not Supported";
    default:
        return "Unknown";
    }
}

pst_status http_error_json(pst_buf *b, const char *message, const char *code)
{
    pst_buf_append_c(b, "{\"errors\":[{\"message\":");
    pst_buf_append_json_str(b, message, strlen(message));
    pst_buf_append_c(b, ",\"extensions\":{\"code\":");
    pst_buf_append_json_str(b, code, strlen(code));
    return pst_buf_append_c(b, "}}]}");
}

const char *worker_date(http_worker *w)
{
    struct timeval tv;
    event_base_gettimeofday_cached(w->base, &tv);
    if (tv.tv_sec != w->date_sec || !w->date[0]) {
        struct tm tm;
        time_t t = tv.tv_sec;
        gmtime_r(&t, &tm);
        strftime(w->date, sizeof(w->date), "%a, %d %b %Y %H:%M:%S GMT", &tm);
        w->date_sec = tv.tv_sec;
    }
    return w->date;
}

void worker_conn_gone(http_worker *w)
{
    if (w->stopping && !w->conns)
        event_base_loopexit(w->base, NULL);
}

/* ---- listening ---- */

/* Splits "host:port" / "[v6]:port" into host and port strings. */
static int split_listen(const char *listen, char *host, size_t hn, char *port, size_t pn)
{
    const char *colon = strrchr(listen, ':');
    if (!colon || !colon[1] || strlen(colon + 1) >= pn)
        return -1;
    const char *h = listen;
    size_t len = (size_t)(colon - listen);
    if (len >= 2 && h[0] == '[' && h[len - 1] == ']') {
        h++;
        len -= 2;
    } else if (memchr(h, ':', len)) {
        return -1; /* IPv6 needs brackets */
    }
    if (len >= hn)
        return -1;
    memcpy(host, h, len);
    host[len] = '\0';
    strcpy(port, colon + 1);
    for (const char *p = port; *p; p++)
        if (*p < '0' || *p > '9')
            return -1;
    return atoi(port) > 65535 ? -1 : 0;
}

static int open_listener(const struct addrinfo *ai, int port, const char **error)
{
    struct sockaddr_storage ss;
    memcpy(&ss, ai->ai_addr, ai->ai_addrlen);
    if (ss.ss_family == AF_INET)
        ((struct sockaddr_in *)&ss)->sin_port = htons((uint16_t)port);
    else
        ((struct sockaddr_in6 *)&ss)->sin6_port = htons((uint16_t)port);
    int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        *error = "socket() failed";
        return -1;
    }
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) < 0) {
        *error = "SO_REUSEPORT not supported";
        close(fd);
        return -1;
    }
    if (bind(fd, (struct sockaddr *)&ss, ai->ai_addrlen) < 0 || listen(fd, LISTEN_BACKLOG) < 0) {
        *error = errno == EADDRINUSE ? "address already in use" : "cannot bind the listen address";
        close(fd);
        return -1;
    }
    return fd;
}

static int bound_port(int fd)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
        return -1;
    if (ss.ss_family == AF_INET)
        return ntohs(((struct sockaddr_in *)&ss)->sin_port);
    return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
}

/* Binds one socket per worker to the same address; the first one picks the
 * port when port 0 was asked for. */
static int bind_all(http_server *s, const char **error)
{
    char host[256], port[8];
    if (split_listen(s->o.listen, host, sizeof(host), port, sizeof(port))) {
        *error = "listen address must be host:port or [ipv6]:port";
        return -1;
    }
    struct addrinfo hints = {0}, *ai = NULL;
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    if (getaddrinfo(host[0] && strcmp(host, "*") ? host : NULL, port, &hints, &ai) || !ai) {
        *error = "cannot resolve the listen address";
        return -1;
    }
    int p = atoi(port), rc = 0;
    for (int i = 0; i < s->nworkers; i++) {
        int fd = open_listener(ai, p, error);
        if (fd < 0) {
            rc = -1;
            break;
        }
        s->workers[i].listen_fd = fd;
        if (p == 0)
            p = bound_port(fd);
    }
    freeaddrinfo(ai);
    s->port = p;
    return rc;
}

/* ---- accepting ---- */

static const char busy_body[] = "{\"errors\":[{\"message\":\"too many connections\","
                                "\"extensions\":{\"code\":\"LIMIT_EXCEEDED\"}}]}";

/* Over max_connections: a best-effort 503 and close, without a connection
 * struct, so an overload costs nothing per socket. */
static void reject_busy(int fd)
{
    char msg[256];
    int n = snprintf(msg, sizeof(msg),
                     "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
                     "Content-Length: %zu\r\nConnection: close\r\n\r\n%s",
                     sizeof(busy_body) - 1, busy_body);
    if (send(fd, msg, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT) < 0) {
        /* nothing more to do for a socket we are dropping */
    }
    shutdown(fd, SHUT_WR);
    char sink[1024];
    while (recv(fd, sink, sizeof(sink), MSG_DONTWAIT) > 0)
        ;
    close(fd);
}

static void on_accept(evutil_socket_t lfd, short what, void *arg)
{
    (void)what;
    http_worker *w = arg;
    http_server *s = w->srv;
    for (int i = 0; i < ACCEPT_BATCH; i++) {
        int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EMFILE || errno == ENFILE)
                pst_log(PST_LOG_WARN, "accept: out of file descriptors");
            return;
        }
        if (atomic_fetch_add(&s->open_conns, 1) >= s->o.max_connections) {
            atomic_fetch_sub(&s->open_conns, 1);
            reject_busy(fd);
            continue;
        }
        conn_accepted(w, fd);
    }
}

/* ---- worker threads ---- */

static void on_post(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    http_worker *w = arg;
    pthread_mutex_lock(&w->post_mu);
    post_item *it = w->post_head;
    w->post_head = w->post_tail = NULL;
    pthread_mutex_unlock(&w->post_mu);
    while (it) {
        post_item *next = it->next;
        it->fn(w->base, w->loop_ud, it->ud);
        pst_free(it);
        it = next;
    }
}

static void on_grace_end(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    http_worker *w = arg;
    for (http_conn *c = w->conns, *next; c; c = next) {
        next = conn_next(c);
        conn_force_close(c);
    }
    event_base_loopexit(w->base, NULL);
}

static void on_stop(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    http_worker *w = arg;
    if (w->stopping)
        return;
    w->stopping = true;
    event_del(w->listen_ev);
    close(w->listen_fd);
    w->listen_fd = -1;
    for (http_conn *c = w->conns, *next; c; c = next) {
        next = conn_next(c);
        conn_begin_stop(c);
    }
    if (!w->conns) {
        event_base_loopexit(w->base, NULL);
        return;
    }
    int64_t ms = w->srv->grace_ms > 0 ? w->srv->grace_ms : 0;
    struct timeval tv = {(time_t)(ms / 1000), (suseconds_t)((ms % 1000) * 1000)};
    event_add(w->grace_ev, &tv);
}

static void *worker_main(void *arg)
{
    http_worker *w = arg;
    http_server *s = w->srv;
    int rc = 0;
    if (s->o.loop_init)
        rc = s->o.loop_init(w->base, w->index, s->o.ud, &w->loop_ud);
    pthread_mutex_lock(&s->mu);
    s->started++;
    if (rc)
        s->init_failed = 1;
    pthread_cond_broadcast(&s->cv);
    while (s->started < s->nworkers && !s->init_failed)
        pthread_cond_wait(&s->cv, &s->mu);
    int failed = s->init_failed;
    pthread_mutex_unlock(&s->mu);
    if (rc)
        return NULL;
    if (!failed)
        event_base_dispatch(w->base);
    for (http_conn *c = w->conns, *next; c; c = next) {
        next = conn_next(c);
        conn_force_close(c);
    }
    on_post(-1, 0, w); /* work posted before the stop still runs, so it can free itself */
    if (s->o.loop_fini)
        s->o.loop_fini(w->base, w->index, s->o.ud, w->loop_ud);
    while (w->conns)
        conn_destroy(w->conns);
    return NULL;
}

static int worker_setup(http_worker *w)
{
    w->base = event_base_new();
    if (!w->base)
        return -1;
    w->listen_ev = event_new(w->base, w->listen_fd, EV_READ | EV_PERSIST, on_accept, w);
    w->stop_ev = event_new(w->base, -1, 0, on_stop, w);
    w->grace_ev = evtimer_new(w->base, on_grace_end, w);
    w->post_ev = event_new(w->base, -1, 0, on_post, w);
    if (!w->listen_ev || !w->stop_ev || !w->grace_ev || !w->post_ev)
        return -1;
    return event_add(w->listen_ev, NULL);
}

static void worker_cleanup(http_worker *w)
{
    if (w->listen_ev)
        event_free(w->listen_ev);
    if (w->stop_ev)
        event_free(w->stop_ev);
    if (w->grace_ev)
        event_free(w->grace_ev);
    if (w->post_ev)
        event_free(w->post_ev);
    if (w->base)
        event_base_free(w->base);
    if (w->listen_fd >= 0)
        close(w->listen_fd);
    pthread_mutex_destroy(&w->post_mu);
}

static void join_all(http_server *s)
{
    for (int i = 0; i < s->nworkers; i++) {
        if (s->workers[i].thread_started)
            pthread_join(s->workers[i].thread, NULL);
        s->workers[i].thread_started = false;
    }
}

static void destroy(http_server *s)
{
    for (int i = 0; i < s->nworkers; i++)
        worker_cleanup(&s->workers[i]);
    pst_free(s->workers);
    pthread_mutex_destroy(&s->mu);
    pthread_cond_destroy(&s->cv);
    pst_free(s);
}

static http_server *server_new(const http_server_opts *o, const char **error)
{
    if (!o->handler || o->workers < 1 || o->workers > 1024 || !o->listen || o->max_body_bytes < 0 ||
        o->max_head_bytes < 64 || o->max_connections < 1 || o->header_timeout_ms < 1 ||
        o->idle_timeout_ms < 1) {
        *error = PST_E_INVALID;
        return NULL;
    }
    http_server *s = pst_calloc(1, sizeof(*s));
    if (!s || !(s->workers = pst_calloc((size_t)o->workers, sizeof(http_worker)))) {
        pst_free(s);
        *error = PST_E_NOMEM;
        return NULL;
    }
    s->o = *o;
    if (!s->o.max_headers || s->o.max_headers > HTTP_MAX_HEADERS)
        s->o.max_headers = HTTP_MAX_HEADERS;
    s->nworkers = o->workers;
    atomic_init(&s->open_conns, 0);
    pthread_mutex_init(&s->mu, NULL);
    pthread_cond_init(&s->cv, NULL);
    for (int i = 0; i < s->nworkers; i++) {
        s->workers[i].srv = s;
        s->workers[i].index = i;
        s->workers[i].listen_fd = -1;
        pthread_mutex_init(&s->workers[i].post_mu, NULL);
    }
    return s;
}

http_server *http_server_start(const http_server_opts *o, const char **error)
{
    pthread_once(&threads_once, enable_threads);
    if (threads_rc) {
        *error = "libevent threading unavailable";
        return NULL;
    }
    http_server *s = server_new(o, error);
    if (!s)
        return NULL;
    if (bind_all(s, error)) {
        destroy(s);
        return NULL;
    }
    for (int i = 0; i < s->nworkers; i++) {
        if (worker_setup(&s->workers[i])) {
            *error = "cannot create an event loop";
            destroy(s);
            return NULL;
        }
    }
    int launched = 0;
    for (; launched < s->nworkers; launched++) {
        http_worker *w = &s->workers[launched];
        if (pthread_create(&w->thread, NULL, worker_main, w))
            break;
        w->thread_started = true;
    }
    pthread_mutex_lock(&s->mu);
    if (launched < s->nworkers) {
        s->init_failed = 1;
        pthread_cond_broadcast(&s->cv);
    }
    while (s->started < launched && !s->init_failed)
        pthread_cond_wait(&s->cv, &s->mu);
    int failed = s->init_failed;
    pthread_mutex_unlock(&s->mu);
    if (failed) {
        *error = launched < s->nworkers ? "cannot start a worker thread" : "loop_init failed";
        join_all(s);
        destroy(s);
        return NULL;
    }
    return s;
}

int http_server_bound_port(const http_server *s)
{
    return s->port;
}

int http_server_workers(const http_server *s)
{
    return s->nworkers;
}

pst_status http_server_post(http_server *s, int worker,
                            void (*fn)(struct event_base *base, void *loop_ud, void *ud), void *ud)
{
    if (worker < 0 || worker >= s->nworkers || !fn)
        return PST_ERROR;
    http_worker *w = &s->workers[worker];
    post_item *it = pst_malloc(sizeof(*it));
    if (!it)
        return PST_ERROR;
    it->next = NULL;
    it->fn = fn;
    it->ud = ud;
    pthread_mutex_lock(&w->post_mu);
    if (w->post_closed) {
        pthread_mutex_unlock(&w->post_mu);
        pst_free(it);
        return PST_ERROR;
    }
    if (w->post_tail)
        w->post_tail->next = it;
    else
        w->post_head = it;
    w->post_tail = it;
    event_active(w->post_ev, EV_READ, 1);
    pthread_mutex_unlock(&w->post_mu);
    return PST_OK;
}

void http_server_stop(http_server *s, int64_t grace_ms)
{
    if (!s || s->stopped)
        return;
    s->stopped = true;
    s->grace_ms = grace_ms;
    for (int i = 0; i < s->nworkers; i++) {
        http_worker *w = &s->workers[i];
        pthread_mutex_lock(&w->post_mu);
        w->post_closed = true;
        pthread_mutex_unlock(&w->post_mu);
        event_active(w->stop_ev, EV_READ, 1);
    }
    join_all(s);
}

void http_server_free(http_server *s)
{
    if (!s)
        return;
    http_server_stop(s, 0);
    destroy(s);
}
