/* One HTTP/1.1 connection: reads into a per-connection buffer, parses heads
 * in place, collects bodies, calls the handler one request at a time and
 * writes responses without blocking. Only conn_run() frees a connection,
 * and only at its end, so callbacks nested inside it never see a freed one. */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/event.h>

#include "common/mem.h"
#include "http/server_internal.h"

enum { C_HEAD, C_BODY, C_HANDLER, C_CLOSING, C_LINGER, C_CLOSED };
enum { T_NONE, T_HEADER, T_IDLE, T_LINGER };

#define IN_INITIAL 4096
#define IN_KEEP 65536  /* buffers above this shrink between requests */
#define LINGER_MS 2000 /* how long a closing connection drains input */
#define ARENA_BLOCK 8192
#define OUT_HIGH 262144 /* unsent bytes above which no new request is read */

struct http_conn {
    http_worker *w;
    http_conn *prev, *next;
    int fd;
    struct event *rev, *wev, *tev;
    char *in;
    size_t start, len, cap; /* current request at in[start]; bytes up to len */
    size_t head_len;        /* of the current request once parsed */
    size_t scanned;         /* head bytes (from start) already searched for LF */
    size_t req_end;         /* offset where the next request starts */
    size_t ch_in, ch_out;   /* chunked: next undecoded byte, decoded body bytes */
    http_chunked ch;
    http_parsed parsed;
    http_request req;
    pst_arena *arena;
    pst_buf out;
    size_t out_off;
    int state, timer;
    unsigned served;  /* requests answered on this connection */
    bool moved;       /* the buffer moved after the head was parsed */
    bool close_after; /* close once the output is flushed */
    bool must_linger; /* unread input may follow: drain before closing */
    bool running;     /* inside conn_run */
    bool read_paused;
    bool stalled; /* input processing stopped on the output backlog */
    bool wev_added;
    bool peer_eof;
    bool dead; /* free at the end of conn_run */
};

static void conn_run(http_conn *c);

static size_t backlog(const http_conn *c)
{
    return c->out.len - c->out_off;
}

http_conn *conn_next(const http_conn *c)
{
    return c->next;
}

static http_server_opts *opts(http_conn *c)
{
    return &c->w->srv->o;
}

/* ---- socket lifetime ---- */

static void close_socket(http_conn *c)
{
    if (c->fd < 0)
        return;
    event_del(c->rev);
    event_del(c->wev);
    event_del(c->tev);
    close(c->fd);
    c->fd = -1;
    atomic_fetch_sub(&c->w->srv->open_conns, 1);
}

static void conn_free(http_conn *c)
{
    close_socket(c);
    event_free(c->rev);
    event_free(c->wev);
    event_free(c->tev);
    pst_arena_destroy(c->arena);
    pst_buf_free(&c->out);
    pst_free(c->in);
    http_worker *w = c->w;
    if (c->prev)
        c->prev->next = c->next;
    else
        w->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    pst_free(c);
    worker_conn_gone(w);
}

static void abort_request(http_conn *c);

/* The socket is gone. The struct lives on while a handler still owes a
 * response: that request is aborted instead. */
static void conn_close(http_conn *c)
{
    if (c->req.conn_) {
        abort_request(c);
        return;
    }
    close_socket(c);
    c->state = C_CLOSED;
    c->dead = true;
}

static void set_timer(http_conn *c, int mode, int64_t ms, bool rearm)
{
    if (c->timer == mode && !rearm)
        return;
    c->timer = mode;
    if (mode == T_NONE) {
        event_del(c->tev);
        return;
    }
    struct timeval tv = {(time_t)(ms / 1000), (suseconds_t)((ms % 1000) * 1000)};
    event_add(c->tev, &tv);
}

/* ---- output ---- */

static const char *error_code(int status)
{
    switch (status) {
    case 408:
        return "REQUEST_TIMEOUT";
    case 413:
    case 431:
    case 503:
        return "LIMIT_EXCEEDED";
    case 501:
        return "NOT_IMPLEMENTED";
    default:
        return "BAD_REQUEST";
    }
}

static void append_head(http_conn *c, int status, bool close, bool keep_alive_10, size_t len)
{
    /* formatted by hand: this runs for every response */
    char line[16] = "HTTP/1.1 000 ", digits[24];
    line[9] = (char)('0' + status / 100);
    line[10] = (char)('0' + status / 10 % 10);
    line[11] = (char)('0' + status % 10);
    size_t nd = sizeof(digits);
    do {
        digits[--nd] = (char)('0' + len % 10);
        len /= 10;
    } while (len);
    pst_buf *b = &c->out;
    pst_buf_append(b, line, 13);
    pst_buf_append_c(b, http_reason_phrase(status));
    pst_buf_append(b, "\r\nDate: ", 8);
    pst_buf_append_c(b, worker_date(c->w));
    pst_buf_append(b, "\r\nContent-Length: ", 18);
    pst_buf_append(b, digits + nd, sizeof(digits) - nd);
    pst_buf_append(b, "\r\n", 2);
    if (close)
        pst_buf_append(b, "Connection: close\r\n", 19);
    else if (keep_alive_10)
        pst_buf_append(b, "Connection: keep-alive\r\n", 24);
}

/* A response the server writes itself; the connection closes after it. */
static void conn_error(http_conn *c, int status, const char *message)
{
    pst_buf body = {0};
    http_error_json(&body, message, error_code(status));
    append_head(c, status, true, false, body.len);
    pst_buf_append(&c->out, "Content-Type: application/json\r\n\r\n", 34);
    pst_buf_append(&c->out, body.p, body.len);
    pst_buf_free(&body);
    c->close_after = true;
    c->must_linger = true;
    c->state = C_CLOSING;
}

static void start_linger(http_conn *c)
{
    shutdown(c->fd, SHUT_WR);
    c->state = C_LINGER;
    event_add(c->rev, NULL);
    int64_t ms = opts(c)->idle_timeout_ms < LINGER_MS ? opts(c)->idle_timeout_ms : LINGER_MS;
    set_timer(c, T_LINGER, ms, true);
}

/* Writes what the socket takes; waits for EV_WRITE for the rest. */
static void conn_flush(http_conn *c)
{
    if (c->fd < 0)
        return;
    if (c->out.failed) { /* out of memory while building a response */
        conn_close(c);
        return;
    }
    while (c->out_off < c->out.len) {
        ssize_t n = send(c->fd, c->out.p + c->out_off, c->out.len - c->out_off, MSG_NOSIGNAL);
        if (n > 0) {
            c->out_off += (size_t)n;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            if (!c->wev_added) {
                event_add(c->wev, NULL);
                c->wev_added = true;
            }
            return;
        }
        conn_close(c);
        return;
    }
    if (c->wev_added) {
        event_del(c->wev);
        c->wev_added = false;
    }
    if (c->out.cap > IN_KEEP)
        pst_buf_free(&c->out);
    else
        pst_buf_reset(&c->out);
    c->out_off = 0;
    if (c->close_after && (c->state == C_CLOSING || (c->state == C_HEAD && c->len == c->start))) {
        /* closing with unread input would reset the connection and could
         * destroy the response before the client reads it */
        if (c->must_linger || c->len > c->start)
            start_linger(c);
        else
            conn_close(c);
    }
}

/* ---- input ---- */

static size_t in_limit(http_conn *c)
{
    return opts(c)->max_head_bytes + (size_t)opts(c)->max_body_bytes + 16384;
}

enum { RES_OK, RES_LIMIT, RES_NOMEM };

/* Makes room for `need` more bytes after len: compacts, then grows up to the
 * limit. */
static int in_reserve(http_conn *c, size_t need)
{
    if (c->cap - c->len >= need)
        return RES_OK;
    if (c->start > 0) {
        memmove(c->in, c->in + c->start, c->len - c->start);
        c->len -= c->start;
        c->req_end -= c->start;
        c->ch_in -= c->start;
        c->start = 0;
        c->moved = true;
        if (c->cap - c->len >= need)
            return RES_OK;
    }
    size_t want = c->len + need, limit = in_limit(c);
    if (want > limit)
        return RES_LIMIT;
    size_t ncap = c->cap ? c->cap : IN_INITIAL;
    while (ncap < want)
        ncap *= 2;
    if (ncap > limit)
        ncap = limit;
    char *p = pst_realloc(c->in, ncap);
    if (!p)
        return RES_NOMEM;
    c->moved |= p != c->in;
    c->in = p;
    c->cap = ncap;
    return RES_OK;
}

static void fill_request(http_conn *c, pst_str body)
{
    http_parsed *r = &c->parsed;
    http_request *q = &c->req;
    q->method = r->method;
    q->target = r->target;
    q->path = r->path;
    q->query = r->query;
    q->minor_version = r->minor_version;
    q->headers = r->headers;
    q->num_headers = r->num_headers;
    q->body = body;
    q->arena = c->arena;
    q->loop_ud = c->w->loop_ud;
    q->base = c->w->base;
    q->worker = c->w->index;
    q->keep_alive = r->keep_alive;
    q->aborted = false;
    q->conn_ = c;
    q->abort_fn_ = NULL;
    q->abort_ud_ = NULL;
}

static void dispatch(http_conn *c, size_t body_off, size_t body_len)
{
    if (c->moved)
        http_parse_request(c->in + c->start, c->head_len, &c->parsed, opts(c)->max_headers);
    c->moved = false;
    if (!c->arena && !(c->arena = pst_arena_create(ARENA_BLOCK))) {
        conn_error(c, 503, "out of memory");
        return;
    }
    fill_request(c, (pst_str){c->in + body_off, body_len});
    c->state = C_HANDLER;
    set_timer(c, T_NONE, 0, false);
    opts(c)->handler(&c->req, opts(c)->ud);
}

/* The head is parsed: checks the body framing and limits. */
static void head_done(http_conn *c)
{
    http_parsed *r = &c->parsed;
    int64_t max = opts(c)->max_body_bytes;
    if (r->content_length > max) {
        conn_error(c, 413, "request body too large");
        return;
    }
    size_t body_off = c->start + c->head_len;
    size_t have = c->len - body_off;
    if (r->chunked) {
        http_chunked_init(&c->ch);
        c->ch_in = body_off;
        c->ch_out = 0;
    } else {
        size_t cl = r->content_length > 0 ? (size_t)r->content_length : 0;
        c->req_end = body_off + cl;
        if (have >= cl) {
            dispatch(c, body_off, cl);
            return;
        }
        if (in_reserve(c, cl - have) != RES_OK) { /* the limit was checked: memory */
            conn_error(c, 503, "out of memory");
            return;
        }
    }
    c->state = C_BODY;
    if (r->expect_continue && have == 0)
        pst_buf_append(&c->out, "HTTP/1.1 100 Continue\r\n\r\n", 25);
}

static void parse_head(http_conn *c)
{
    size_t avail = c->len - c->start, max = opts(c)->max_head_bytes;
    size_t lim = avail < max ? avail : max;
    /* a head can only complete with a new LF: re-parsing on every byte of a
     * trickled head would cost O(n^2) */
    bool new_line = memchr(c->in + c->start + c->scanned, '\n', lim - c->scanned) != NULL;
    c->scanned = lim;
    if (!new_line && avail < max)
        return;
    int rc = http_parse_request(c->in + c->start, lim, &c->parsed, opts(c)->max_headers);
    if (rc == HTTP_PARSE_PARTIAL) {
        if (avail >= max)
            conn_error(c, 431, "request head too large");
        return;
    }
    if (rc == HTTP_PARSE_ERROR) {
        conn_error(c, c->parsed.error_status, c->parsed.error);
        return;
    }
    c->head_len = (size_t)rc;
    c->moved = false;
    head_done(c);
}

static void read_chunked(http_conn *c)
{
    size_t body_off = c->start + c->head_len, out_len, used;
    int rc = http_chunked_decode(&c->ch, c->in + c->ch_in, c->len - c->ch_in,
                                 c->in + body_off + c->ch_out, &out_len, &used);
    c->ch_in += used;
    c->ch_out += out_len;
    if (rc < 0) {
        conn_error(c, 400, c->ch.error);
    } else if (c->ch_out > (size_t)opts(c)->max_body_bytes) {
        conn_error(c, 413, "request body too large");
    } else if (rc == 1) {
        c->req_end = c->ch_in;
        dispatch(c, body_off, c->ch_out);
    }
}

/* Advances the state machine as far as the buffered input allows. */
static void process_input(http_conn *c)
{
    for (;;) {
        int state = c->state;
        size_t start = c->start, len = c->len, ch_in = c->ch_in;
        unsigned served = c->served;
        if (c->state == C_HEAD && c->len > c->start)
            parse_head(c);
        else if (c->state == C_BODY && c->parsed.chunked)
            read_chunked(c);
        else if (c->state == C_BODY && c->len >= c->req_end)
            dispatch(c, c->start + c->head_len, c->req_end - c->start - c->head_len);
        if (c->state == state && c->start == start && c->len == len && c->ch_in == ch_in &&
            c->served == served)
            return;
        if (c->state == C_CLOSING || c->state == C_HANDLER || c->fd < 0)
            return;
        if (backlog(c) > OUT_HIGH) { /* a client that does not read gets no more answers */
            c->stalled = true;
            return;
        }
    }
}

static void update_timer(http_conn *c)
{
    const http_server_opts *o = opts(c);
    if (c->fd < 0 || c->state == C_LINGER)
        return;
    if (c->out_off < c->out.len || c->state == C_BODY || c->state == C_CLOSING)
        set_timer(c, T_IDLE, o->idle_timeout_ms, true);
    else if (c->state == C_HANDLER)
        set_timer(c, T_NONE, 0, false);
    else if (c->len > c->start || c->served == 0)
        set_timer(c, T_HEADER, o->header_timeout_ms, false);
    else
        set_timer(c, T_IDLE, o->idle_timeout_ms, true);
}

static void conn_run(http_conn *c)
{
    if (c->running)
        return;
    c->running = true;
    /* responses given inside the handler let process_input go on with the
     * next pipelined request; their output is flushed together below */
    do {
        c->stalled = false;
        if (c->state == C_HEAD || c->state == C_BODY)
            process_input(c);
        conn_flush(c);
    } while (c->stalled && c->fd >= 0 && backlog(c) == 0);
    if (c->fd >= 0) {
        if (c->read_paused && c->state != C_HANDLER && backlog(c) <= OUT_HIGH) {
            c->read_paused = false;
            event_add(c->rev, NULL);
        }
        /* the client stopped sending: what it sent is answered, the rest can never come */
        if (c->peer_eof && (c->state == C_HEAD || c->state == C_BODY) && backlog(c) == 0)
            conn_close(c);
        else
            update_timer(c);
    }
    c->running = false;
    if (c->dead)
        conn_free(c);
}

/* ---- events ---- */

static void abort_request(http_conn *c)
{
    http_request *q = &c->req;
    if (q->aborted)
        return;
    q->aborted = true;
    close_socket(c);
    if (q->abort_fn_) {
        bool was = c->running;
        c->running = true; /* an http_respond inside the callback must not free c */
        q->abort_fn_(q, q->abort_ud_);
        c->running = was;
    }
}

/* A closing connection reads and drops input, so that closing with unread
 * data does not reset the connection before the client read the response. */
static void on_drain_read(http_conn *c)
{
    char sink[4096];
    ssize_t n;
    while ((n = recv(c->fd, sink, sizeof(sink), 0)) > 0)
        ;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
        return;
    if (n == 0 && c->state == C_CLOSING)
        event_del(c->rev); /* the client finished sending; the response still goes out */
    else
        conn_close(c);
}

static void on_read(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    http_conn *c = arg;
    if (c->state == C_LINGER || c->state == C_CLOSING) {
        on_drain_read(c);
        conn_run(c);
        return;
    }
    if ((c->state == C_HANDLER && c->cap == c->len) || backlog(c) > OUT_HIGH) {
        /* the current request's views point into the buffer, which must not
         * move; or the client is not reading its responses */
        event_del(c->rev);
        c->read_paused = true;
        return;
    }
    int res = c->state == C_HANDLER ? RES_OK : in_reserve(c, c->cap > c->len ? 1 : IN_INITIAL);
    if (res != RES_OK) {
        if (res == RES_NOMEM)
            conn_error(c, 503, "out of memory");
        else if (c->state == C_BODY)
            conn_error(c, 413, "request body too large");
        else
            conn_error(c, 431, "request head too large");
        conn_run(c);
        return;
    }
    ssize_t n = recv(c->fd, c->in + c->len, c->cap - c->len, 0);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
        return;
    if (n <= 0) {
        if (c->state == C_HANDLER) {
            abort_request(c);
        } else if (c->state == C_CLOSING || n < 0 || c->out_off == c->out.len) {
            conn_close(c);
        } else { /* half-close with responses still to send: send them, then close */
            c->peer_eof = true;
            c->close_after = true;
            event_del(c->rev);
        }
    } else {
        c->len += (size_t)n;
    }
    conn_run(c);
}

static void on_write(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    http_conn *c = arg;
    c->wev_added = false; /* not persistent: conn_flush re-adds it */
    conn_run(c);
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    http_conn *c = arg;
    int mode = c->timer;
    c->timer = T_NONE;
    if (mode == T_LINGER || c->out_off < c->out.len || c->state == C_CLOSING) {
        conn_close(c);
    } else if (c->len > c->start || c->state == C_BODY) {
        conn_error(c, 408, "timed out reading the request");
    } else {
        conn_close(c);
    }
    conn_run(c);
}

void conn_accepted(http_worker *w, int fd)
{
    http_conn *c = pst_calloc(1, sizeof(*c));
    if (c) {
        c->w = w;
        c->fd = fd;
        c->rev = event_new(w->base, fd, EV_READ | EV_PERSIST, on_read, c);
        c->wev = event_new(w->base, fd, EV_WRITE, on_write, c);
        c->tev = evtimer_new(w->base, on_timer, c);
    }
    if (!c || !c->rev || !c->wev || !c->tev) {
        if (c) {
            event_free(c->rev);
            event_free(c->wev);
            event_free(c->tev);
        }
        pst_free(c);
        close(fd);
        atomic_fetch_sub(&w->srv->open_conns, 1);
        return;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    c->next = w->conns;
    if (w->conns)
        w->conns->prev = c;
    w->conns = c;
    event_add(c->rev, NULL);
    set_timer(c, T_HEADER, w->srv->o.header_timeout_ms, true);
}

/* ---- the handler's side ---- */

void http_request_on_abort(http_request *req, http_abort_fn fn, void *ud)
{
    req->abort_fn_ = fn;
    req->abort_ud_ = ud;
}

pst_str http_request_header(const http_request *req, const char *name)
{
    for (size_t i = 0; i < req->num_headers; i++)
        if (pst_str_ieq_c(req->headers[i].name, name))
            return req->headers[i].value;
    return PST_STR_NULL;
}

/* No CR, LF or NUL: a header must not be able to split the response. */
static bool header_safe(pst_str s)
{
    for (size_t i = 0; i < s.n; i++)
        if (s.p[i] == '\r' || s.p[i] == '\n' || s.p[i] == '\0')
            return false;
    return true;
}

static void append_response(http_conn *c, int status, const http_header *hdrs, size_t n,
                            const char *body, size_t len)
{
    if (status < 100 || status > 599)
        status = 500;
    http_request *q = &c->req;
    c->close_after |= !q->keep_alive || c->w->stopping || c->peer_eof;
    append_head(c, status, c->close_after, q->minor_version == 0, len);
    pst_buf *b = &c->out;
    for (size_t i = 0; i < n; i++) {
        if (!header_safe(hdrs[i].name) || !header_safe(hdrs[i].value))
            continue;
        pst_buf_append(b, hdrs[i].name.p, hdrs[i].name.n);
        pst_buf_append(b, ": ", 2);
        pst_buf_append(b, hdrs[i].value.p, hdrs[i].value.n);
        pst_buf_append(b, "\r\n", 2);
    }
    pst_buf_append(b, "\r\n", 2);
    pst_buf_append(b, body, len);
}

void http_respond(http_request *req, int status, const http_header *hdrs, size_t n,
                  const char *body, size_t len)
{
    http_conn *c = req->conn_;
    if (!req->aborted && c->fd >= 0)
        append_response(c, status, hdrs, n, body, len);
    req->conn_ = NULL;
    pst_arena_reset(c->arena);
    if (c->fd < 0) {
        c->dead = true;
        if (!c->running)
            conn_free(c);
        return;
    }
    c->served++;
    c->scanned = 0;
    c->start = c->req_end;
    if (c->start == c->len)
        c->start = c->len = 0;
    if (c->cap > IN_KEEP && c->len == 0) {
        pst_free(c->in);
        c->in = NULL;
        c->cap = 0;
    }
    c->state = c->close_after ? C_CLOSING : C_HEAD;
    conn_run(c);
}

/* ---- stopping ---- */

void conn_begin_stop(http_conn *c)
{
    if (c->fd < 0)
        return;
    if (c->state == C_HEAD && c->len == c->start && c->out_off == c->out.len) {
        conn_close(c);
        conn_run(c);
        return;
    }
    c->close_after = true;
}

void conn_force_close(http_conn *c)
{
    if (c->fd >= 0) {
        conn_close(c);
        conn_run(c);
    }
}

void conn_destroy(http_conn *c)
{
    conn_free(c);
}
