/**
 * Multi-threaded HTTP/1.1 server on libevent.
 *
 * `workers` threads each run their own event_base with their own listening
 * socket bound with SO_REUSEPORT to the same address, so the kernel spreads
 * connections across them. A connection lives on one worker for its whole
 * life. Requests are read with non-blocking read(2) into a per-connection
 * buffer and parsed in place (no copies of the head or body); pipelined
 * requests are answered in order, one at a time.
 *
 * Limits: a head larger than max_head_bytes gets 431; a Content-Length (or
 * decoded chunked body) above max_body_bytes gets 413 before the body is
 * read; more than max_connections open connections across all workers get
 * 503 and are closed. Timeouts: header_timeout_ms runs from accept, or from
 * the first byte of a later request, until its head is complete (408 and
 * close when bytes were received, plain close otherwise); idle_timeout_ms
 * closes a connection with no request in progress, and also bounds each wait
 * for more body bytes or for the client to take response bytes. No timer
 * runs while the handler works on a request: that is the handler's job.
 *
 * Error responses the server writes itself (400, 408, 413, 431, 501, 503,
 * 505) carry a GraphQL-style JSON body
 * {"errors":[{"message":...,"extensions":{"code":...}}]} and close the
 * connection.
 */
#ifndef POSTERN_HTTP_SERVER_H
#define POSTERN_HTTP_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/arena.h"
#include "common/str.h"
#include "http/parser.h"

struct event_base;

typedef struct http_server http_server;
typedef struct http_request http_request;
typedef struct http_conn http_conn;

/** Called when the client goes away before the response was sent. */
typedef void (*http_abort_fn)(http_request *req, void *ud);

/**
 * One request, valid from the handler call until http_respond returns.
 * Every view points into the connection's buffer (or the arena) and is
 * valid exactly as long as the request.
 */
struct http_request {
    pst_str method;
    pst_str target; /* path plus '?' and query, as sent */
    pst_str path;
    pst_str query; /* p == NULL when the target has no '?' */
    int minor_version;
    const http_header *headers;
    size_t num_headers;
    pst_str body;     /* decoded body (chunked bodies are de-chunked); empty when none */
    pst_arena *arena; /* per-request memory, reset after the response */
    void *loop_ud;    /* what loop_init stored for this worker */
    struct event_base *base;
    int worker; /* 0 .. workers-1 */
    bool keep_alive;
    bool aborted; /* the client is gone; the response will be discarded */

    /* private to the server */
    http_conn *conn_;
    http_abort_fn abort_fn_;
    void *abort_ud_;
};

/**
 * Called on the worker's loop thread for each request. It must eventually
 * call http_respond(req, ...) exactly once, on the same thread, either
 * before returning or later from a callback on the same event_base.
 */
typedef void (*http_handler)(http_request *req, void *ud);

typedef struct {
    const char *listen;        /* "host:port", "[v6]:port"; port 0 picks a free one */
    int workers;               /* >= 1 */
    int64_t max_body_bytes;    /* default 1 MiB */
    size_t max_head_bytes;     /* default 16 KiB */
    int64_t max_connections;   /* default 10000 */
    int64_t header_timeout_ms; /* default 10 s */
    int64_t idle_timeout_ms;   /* default 60 s */
    size_t max_headers;        /* default and maximum HTTP_MAX_HEADERS */
    http_handler handler;
    void *ud;
    /* Optional. loop_init runs on each worker thread before its loop starts;
     * a non-zero return makes http_server_start fail, and loop_fini then runs
     * for the workers whose loop_init succeeded. loop_fini runs on the worker thread after its
     * loop ended and every connection was closed or aborted; requests still
     * unanswered when loop_fini returns are freed, so loop_fini must answer
     * or forget them. */
    int (*loop_init)(struct event_base *base, int worker, void *ud, void **loop_ud);
    void (*loop_fini)(struct event_base *base, int worker, void *ud, void *loop_ud);
} http_server_opts;

/** Fills o with the defaults above (listen "127.0.0.1:8080", 1 worker, no handler). */
void http_server_opts_init(http_server_opts *o);

/**
 * Binds every worker's socket and starts the threads; returns after every
 * loop_init ran. Returns NULL with *error set to a constant message when
 * the address is invalid, binding fails, a thread or loop_init fails, or
 * memory runs out; nothing is left running then. The caller owns the
 * server: http_server_stop, then http_server_free.
 */
http_server *http_server_start(const http_server_opts *o, const char **error);

/** The port the listeners are bound to (useful after asking for port 0). */
int http_server_bound_port(const http_server *s);

/** Number of workers (event loops). */
int http_server_workers(const http_server *s);

/**
 * Runs fn(base, loop_ud, ud) on worker `worker`'s loop thread soon; safe
 * from any thread except concurrently with http_server_free. Work accepted
 * before http_server_stop runs at the latest just before loop_fini. Returns PST_ERROR when out of
 * memory, the index is out of range, or http_server_stop was called (fn will not run then).
 */
pst_status http_server_post(http_server *s, int worker,
                            void (*fn)(struct event_base *base, void *loop_ud, void *ud), void *ud);

/**
 * Graceful stop; call from a thread that is not a worker. Listeners close at
 * once, idle connections close, requests in flight may finish within
 * grace_ms (their connections close after the response). When the grace
 * period ends, the remaining requests are aborted (abort callbacks run)
 * and their connections closed; then loop_fini runs and the threads exit.
 * Returns when every worker thread has ended. Calling it twice is harmless.
 */
void http_server_stop(http_server *s, int64_t grace_ms);

/** Frees a stopped server (stops it with no grace first if needed). NULL ok. */
void http_server_free(http_server *s);

/**
 * Sends the response: status line, the given headers, Content-Length, Date
 * and `Connection: close` when the connection will close. The handler must
 * not pass Content-Length, Transfer-Encoding, Connection or Date; a header
 * whose name or value holds CR, LF or NUL is dropped. Headers
 * and body are copied or written before it returns. Never blocks: what the
 * socket does not take at once is sent when it becomes writable. After it
 * returns, req and everything it pointed to is gone (the arena is reset).
 * Must be called exactly once per request, on the request's loop thread,
 * also after an abort (the response is then discarded). Status codes
 * outside 100..599 are sent as 500.
 */
void http_respond(http_request *req, int status, const http_header *hdrs, size_t n,
                  const char *body, size_t len);

/**
 * Registers fn(req, ud) to be called, at most once and on the loop thread,
 * if the connection ends before http_respond: the client disconnects (read
 * EOF or socket error, including a client that half-closes its sending
 * side), an earlier response cannot be written (error or idle timeout), or
 * the server's grace period ends. Without a callback req->aborted is still
 * set. req stays valid after the callback: the handler
 * still calls http_respond exactly once (later or from inside fn) and may
 * use req->aborted to skip work. A later call replaces the callback.
 */
void http_request_on_abort(http_request *req, http_abort_fn fn, void *ud);

/** The first header named `name`, ASCII case-insensitive; p == NULL when absent. */
pst_str http_request_header(const http_request *req, const char *name);

/** Standard reason phrase for a status ("Unknown" for unlisted codes). */
const char *http_reason_phrase(int status);

#endif
