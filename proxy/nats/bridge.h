/**
 * NATS bridge: asynchronous request/reply and publish over one shared NATS
 * connection, used from several libevent loop threads (SPEC §12).
 *
 * Replies come in on one wildcard subscription `_INBOX.<random>.>`; each
 * request's reply subject is `_INBOX.<random>.<loop>.<seq>`. nats.c calls the
 * subscription on its own thread; the bridge hands each reply to the loop
 * that owns the request (a locked queue per loop plus event_active), where a
 * loop-owned table finds the request. Timeouts are evtimers on that loop.
 * Nothing here ever blocks a loop thread.
 *
 * Threads: create/destroy on one control thread; attach/detach for each loop
 * thread (attach before its loop runs); request/publish/cancel only on the
 * thread running the loop they were attached with.
 */
#ifndef POSTERN_NATS_BRIDGE_H
#define POSTERN_NATS_BRIDGE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <event2/event.h>
#include <nats/nats.h>

#include "common/status.h"

typedef struct nats_bridge nats_bridge;
typedef struct nats_loop nats_loop;
typedef struct nats_pending nats_pending;

typedef enum {
    NATS_STATE_CONNECTED,    /* connected (first time or after a reconnect) */
    NATS_STATE_DISCONNECTED, /* lost; reconnecting in the background */
    NATS_STATE_CLOSED,       /* closed for good (destroy) */
} nats_conn_state;

/* How published bytes reach the socket (measurements in bridge.c). */
typedef enum {
    /* default: the connection's socket is driven by libevent (nats.c's
     * event-loop adapter API, SendAsap set, so no flusher thread); a publish
     * on a loop thread only buffers, and that loop writes everything it
     * buffered once at the end of its current iteration (non-blocking);
     * nats.c's own writes and leftovers go through a bridge-owned I/O thread;
     * safe with any number of loops (writes are serialized, and never of an
     * empty buffer, which nats.c would take for a closed socket) */
    NATS_FLUSH_LOOP = 0,
    NATS_FLUSH_IO_THREAD, /* as LOOP, but every write is done by the I/O thread */
    NATS_FLUSH_ASAP,      /* nats.c SendAsap: one write(2) per publish, on the caller */
    NATS_FLUSH_BATCH,     /* nats.c's flusher thread, which waits ~1 ms to batch */
} nats_flush_mode;

typedef struct {
    const char *const *servers; /* URLs, e.g. "nats://127.0.0.1:4222"; n_servers >= 1 */
    size_t n_servers;
    const char *name;                        /* connection name shown by the server; may be NULL */
    const char *credentials_file;            /* .creds (JWT + nkey); may be NULL */
    const char *user, *password;             /* may be NULL */
    const char *token;                       /* may be NULL */
    const char *nkey_public;                 /* with nkey_seed_file: the user's public NKey */
    const char *nkey_seed_file;              /* may be NULL */
    const char *tls_ca, *tls_cert, *tls_key; /* PEM files; any set turns TLS on */
    int64_t connect_wait_ms;                 /* create waits this long for the first connect
                                                (0: 2000); then keeps trying in the background */
    int64_t reconnect_wait_ms;               /* first reconnect delay (0: 100); doubles each
                                                attempt, with jitter, up to max_reconnect_wait_ms */
    int64_t max_reconnect_wait_ms;           /* 0: 2000 */
    int64_t drain_ms;                        /* destroy drains for at most this long (0: 2000) */
    nats_flush_mode flush;
    /* Called when the connection state changes, on nats.c's threads (for a
     * first connect that succeeds inside create: on the thread calling
     * create), never on a loop thread; must be quick and thread-safe. May be
     * NULL. */
    void (*on_state)(nats_conn_state state, void *ud);
    void *state_ud;
} nats_bridge_opts;

typedef struct {
    atomic_uint_fast64_t requests;      /* requests sent */
    atomic_uint_fast64_t replies;       /* replies delivered (NATS_REPLY_OK) */
    atomic_uint_fast64_t timeouts;      /* NATS_REPLY_TIMEOUT outcomes */
    atomic_uint_fast64_t no_responders; /* NATS_REPLY_NO_RESPONDERS outcomes */
    atomic_uint_fast64_t errors;        /* NATS_REPLY_CONN_ERROR outcomes, failed publishes */
    atomic_uint_fast64_t late_replies;  /* replies dropped: request gone */
    atomic_uint_fast64_t publishes;     /* publishes handed to nats.c */
} nats_bridge_stats;

/* Named NATS_REPLY_* because nats.c's natsStatus already defines NATS_OK,
 * NATS_TIMEOUT and NATS_NO_RESPONDERS. */
typedef enum {
    NATS_REPLY_OK = 0,
    NATS_REPLY_TIMEOUT,
    NATS_REPLY_NO_RESPONDERS,
    NATS_REPLY_CONN_ERROR,
} nats_outcome;

typedef struct {
    nats_outcome outcome;
    const char *data; /* reply body (NATS_REPLY_OK only; else NULL) */
    size_t len;
    natsMsg *msg; /* the reply message (NATS_REPLY_OK only); owned by the bridge */
} nats_reply;

typedef struct {
    const char *key;
    const char *value;
} nats_header;

/** Called exactly once per successful nats_bridge_request (unless cancelled),
 * on the owning loop's thread, never from inside nats_bridge_request. The
 * reply and its data are valid only during the call; the handle is invalid
 * from the moment the callback starts. */
typedef void (*nats_reply_fn)(const nats_reply *reply, void *ud);

/** Makes libevent thread-aware (evthread_use_pthreads). Idempotent; must run
 * before any event_base that will be attached is created (create calls it,
 * so creating the bridge first is enough). Returns PST_ERROR on failure. */
pst_status nats_threads_init(void);

/** Creates the bridge and connects, waiting up to connect_wait_ms; if the
 * server is not reachable by then, returns the bridge anyway and keeps
 * connecting in the background (nats_bridge_connected says when ready).
 * Reconnects forever with backoff. Returns NULL with *error set (a constant
 * string) on bad options (no servers, bad URL, unreadable TLS/creds files) or
 * out of memory; nothing is left running then. The caller owns the bridge. */
nats_bridge *nats_bridge_create(const nats_bridge_opts *o, const char **error);

/** True while the connection is up (thread-safe; for /readyz). */
bool nats_bridge_connected(nats_bridge *b);

/** The live counters (atomics; read with atomic_load). */
const nats_bridge_stats *nats_bridge_stats_ref(nats_bridge *b);

/** Attaches a loop (one per loop thread, before the loop runs; base must have
 * been created after nats_threads_init). Returns NULL when out of memory or
 * after 1024 attaches (slots are never reused, so a late reply can never
 * reach a newer loop). Owned by the bridge; release with
 * nats_loop_detach. */
nats_loop *nats_bridge_attach(nats_bridge *b, struct event_base *base);

/** Detaches a loop, on its thread or after its loop stopped: outstanding
 * requests get their callback with NATS_REPLY_CONN_ERROR; late replies are dropped.
 * l is invalid afterwards. NULL is ok. */
void nats_loop_detach(nats_loop *l);

/** Sends a request. Never blocks. hdrs: every header is added to the message
 * (repeated keys give several values). On PST_OK the callback will be called
 * exactly once on l's loop: NATS_REPLY_OK with the reply, NATS_REPLY_NO_RESPONDERS,
 * NATS_REPLY_TIMEOUT after timeout_ms (> 0), or NATS_REPLY_CONN_ERROR when the connection
 * is down (delivered on the next loop iteration). *handle (if not NULL) may be
 * passed to nats_bridge_cancel until the callback starts.
 * Returns PST_ERROR, without calling the callback, for an invalid subject, a
 * non-positive timeout or out of memory. */
pst_status nats_bridge_request(nats_loop *l, const char *subject, const nats_header *hdrs,
                               size_t n_hdrs, const char *body, size_t len, int64_t timeout_ms,
                               nats_reply_fn cb, void *ud, nats_pending **handle);

/** Forgets a request (e.g. its client went away): its callback is never
 * called and a late reply is dropped. Only on the owning loop's thread, only
 * before the callback started. NULL is ok. */
void nats_bridge_cancel(nats_pending *p);

/** Publishes a message (no reply expected). Returns PST_OK once nats.c has
 * taken it, PST_ERROR for an invalid subject, a down connection or out of
 * memory. Never blocks. */
pst_status nats_bridge_publish(nats_loop *l, const char *subject, const nats_header *hdrs,
                               size_t n_hdrs, const char *body, size_t len);

/** The value of a reply header (first value), NULL when absent. Valid only
 * during the reply callback. */
const char *nats_reply_header(const nats_reply *r, const char *key);

/** Drains (waits up to opts.drain_ms for buffered publishes and the reply
 * subscription), closes and frees. Every loop must have been detached
 * before. NULL is ok. */
void nats_bridge_destroy(nats_bridge *b);

#endif
