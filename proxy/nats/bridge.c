/*
 * Flushing. nats.c's default flusher thread sleeps ~1 ms before each write to
 * batch (every round trip pays ~1 ms); SendAsap writes on the publishing
 * thread, one write(2) per message (low latency, fewer requests/s when
 * pipelined). The default here, NATS_FLUSH_LOOP, sets SendAsap on a
 * connection whose socket is driven through nats.c's event-loop adapter API:
 * a publish on a loop thread only appends to nats.c's buffer, and the loop
 * writes everything it buffered once at the end of the current iteration
 * (natsConnection_ProcessWriteEvent, non-blocking). nats.c's own writes
 * (PING, SUB, leftovers of a partial write) and all reads go through a
 * bridge-owned I/O thread.
 *
 * Measured with bench/direct-client against bench/echo-responder on the
 * 2-CPU dev box, loaded by other builds (medians of 3 runs of 4 s; the
 * spread between runs was about +-20%):
 *   1 in flight:  batch p50 1.00 ms; asap 0.23-0.27; loop 0.21-0.29;
 *                 io-thread only 0.30-0.32; plain nats.c + SendAsap 0.19-0.23
 *   64 in flight: loop 28-38k req/s (p50 1.5 ms); io-thread 27-34k;
 *                 batch 23-28k; asap 20-27k; plain nats.c 27-33k
 */
#include "nats/bridge.h"

#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event_struct.h>
#include <event2/thread.h>

#include "common/log.h"
#include "common/mem.h"
#include "nats/subject.h"

#define MAX_LOOPS 1024
#define POOL_MAX 4096
#define WAKE_ROUNDS 4 /* queue takes per wake before the loop's other events run */

struct nats_pending {
    uint64_t seq;
    nats_loop *loop;
    nats_pending *next; /* hash chain, or free list */
    struct event timer;
    nats_reply_fn cb;
    void *ud;
    bool fail_fast; /* the timer reports NATS_REPLY_CONN_ERROR, not a timeout */
};

struct nats_loop {
    nats_bridge *b;
    struct event_base *base;
    unsigned idx;
    /* shared with the reply thread, under mu */
    pthread_mutex_t mu;
    natsMsg **q;
    size_t qn, qcap;
    bool detached;
    bool awake; /* wake is active or on_wake runs and will look at q again */
    struct event *wake;
    /* owned by the loop thread */
    natsMsg **spare;
    size_t spare_cap;
    nats_pending **tab;
    size_t tab_mask, count;
    nats_pending *pool;
    size_t pool_n;
    uint64_t next_seq;
    bool closing;           /* detach is ending requests: refuse new ones */
    struct event *flush_ev; /* NATS_FLUSH_LOOP: writes once per iteration */
    bool flush_armed;
    nats_loop *dead_next;
    char reply[64]; /* "_INBOX.<nuid>.<idx>." */
    size_t reply_len;
};

/* The socket's events on the I/O thread's base. Owned by the bridge so a
 * loop thread can re-arm the write event safely; mu guards rd/wr (taken
 * after nats.c's connection lock, never before). wmu makes every
 * natsConnection_ProcessWriteEvent call exclusive (taken before nats.c's
 * lock, never after it): see write_buffered. */
typedef struct {
    pthread_mutex_t mu;
    pthread_mutex_t wmu;
    struct nats_bridge *b;
    natsConnection *nc;
    struct event *rd, *wr;
} io_watch;

struct nats_bridge {
    natsConnection *nc;
    natsSubscription *sub;
    char *inbox; /* "_INBOX.<nuid>" from natsInbox_Create */
    size_t inbox_len;
    nats_loop *_Atomic loops[MAX_LOOPS];
    atomic_uint n_loops;
    atomic_bool up;
    nats_bridge_stats stats;
    void (*on_state)(nats_conn_state, void *);
    void *state_ud;
    int64_t reconnect_ms, max_reconnect_ms, drain_ms;
    pthread_mutex_t mu; /* guards dead, closed, sub_done, connected_once */
    pthread_cond_t cond;
    nats_loop *dead;
    bool closed;
    bool sub_done;                 /* the reply subscription's last callback has returned */
    bool io_attached, io_detached; /* nats.c's event-loop attach/detach ran */
    bool connected_once;
    nats_flush_mode flush;
    struct event_base *io_base; /* event-loop-driven modes only */
    struct event *io_stop;
    pthread_t io_thread;
    bool io_running;
    io_watch io;
};

static atomic_flag threads_once = ATOMIC_FLAG_INIT;
static atomic_int threads_ok;

pst_status nats_threads_init(void)
{
    if (!atomic_flag_test_and_set(&threads_once))
        atomic_store(&threads_ok, evthread_use_pthreads() == 0 ? 1 : -1);
    while (atomic_load(&threads_ok) == 0)
        sched_yield();
    return atomic_load(&threads_ok) == 1 ? PST_OK : PST_ERROR;
}

/* ---- connection state (nats.c threads) ---- */

/* Destroy frees b as soon as it sees `closed`: the user callback runs first
 * and the unlock below is the last touch of b. */
static void set_state(nats_bridge *b, nats_conn_state st)
{
    atomic_store(&b->up, st == NATS_STATE_CONNECTED);
    if (b->on_state)
        b->on_state(st, b->state_ud);
    pthread_mutex_lock(&b->mu);
    if (st == NATS_STATE_CONNECTED)
        b->connected_once = true;
    if (st == NATS_STATE_CLOSED)
        b->closed = true;
    pthread_cond_broadcast(&b->cond);
    pthread_mutex_unlock(&b->mu);
}

static void on_connected(natsConnection *nc, void *closure)
{
    (void)nc;
    set_state(closure, NATS_STATE_CONNECTED);
}

static void on_disconnected(natsConnection *nc, void *closure)
{
    (void)nc;
    set_state(closure, NATS_STATE_DISCONNECTED);
}

static void on_closed(natsConnection *nc, void *closure)
{
    (void)nc;
    set_state(closure, NATS_STATE_CLOSED);
}

static void on_sub_complete(void *closure)
{
    nats_bridge *b = closure;
    pthread_mutex_lock(&b->mu);
    b->sub_done = true;
    pthread_cond_broadcast(&b->cond);
    pthread_mutex_unlock(&b->mu);
}

static int64_t reconnect_delay(natsConnection *nc, int attempts, void *closure)
{
    (void)nc;
    nats_bridge *b = closure;
    int64_t d = b->reconnect_ms;
    for (int i = 1; i < attempts && d < b->max_reconnect_ms; i++)
        d *= 2;
    if (d > b->max_reconnect_ms)
        d = b->max_reconnect_ms;
    /* +-20% jitter so a fleet of sidecars does not reconnect in lockstep */
    return d * (80 + random() % 41) / 100;
}

/* ---- event-loop adapter (NATS_FLUSH_LOOP, NATS_FLUSH_IO_THREAD) ---- */

/* The loop whose thread is inside nats_bridge_request/publish right now. */
static _Thread_local nats_loop *tls_loop;
/* Set when nats.c drops write interest on this thread, which it does only
 * after writing its whole buffer. */
static _Thread_local bool tls_write_done;

/* Writes what nats.c buffered, one writer at a time; returns true when the
 * socket took only part of it (nats.c then keeps its write interest, and
 * someone must wait for the socket to become writable).
 *
 * Why the lock: nats.c's ProcessWriteEvent sends its buffer without checking
 * its length, and a send of 0 bytes returns 0, which nats.c reads as "closed
 * by the peer" and drops the connection. With several writers (each loop's
 * flush and the I/O thread's write event) one of them regularly found the
 * buffer already written by another: checking natsConnection_Buffered first
 * is not enough unless no other writer can run between the check and the
 * write. */
static bool write_buffered(io_watch *w, natsConnection *nc)
{
    bool partial = false;
    pthread_mutex_lock(&w->wmu);
    if (natsConnection_Buffered(nc) > 0) {
        tls_write_done = false;
        natsConnection_ProcessWriteEvent(nc);
        partial = !tls_write_done && natsConnection_Status(nc) == NATS_CONN_STATUS_CONNECTED;
    }
    pthread_mutex_unlock(&w->wmu);
    return partial;
}

static void io_event(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    io_watch *w = arg;
    if (what & EV_READ)
        natsConnection_ProcessReadEvent(w->nc);
    if (what & EV_WRITE)
        write_buffered(w, w->nc);
}

static void io_free_events(io_watch *w)
{
    if (w->rd)
        event_free(w->rd);
    if (w->wr)
        event_free(w->wr);
    w->rd = w->wr = NULL;
}

/* nats.c calls this (holding its lock) after each (re)connect; `loop` is
 * the bridge. */
static natsStatus io_attach(void **userData, void *loop, natsConnection *nc, natsSock fd)
{
    nats_bridge *b = loop;
    io_watch *w = &b->io;
    natsStatus s = NATS_OK;
    pthread_mutex_lock(&w->mu);
    w->nc = nc;
    io_free_events(w);
    w->rd = event_new(b->io_base, fd, EV_READ | EV_PERSIST, io_event, w);
    w->wr = event_new(b->io_base, fd, EV_WRITE | EV_PERSIST, io_event, w);
    if (!w->rd || !w->wr || event_add(w->rd, NULL) != 0) {
        io_free_events(w);
        s = NATS_NO_MEMORY;
    }
    pthread_mutex_unlock(&w->mu);
    pthread_mutex_lock(&b->mu);
    b->io_attached = true;
    pthread_mutex_unlock(&b->mu);
    *userData = w;
    return s;
}

static natsStatus io_read(void *userData, bool add)
{
    io_watch *w = userData;
    pthread_mutex_lock(&w->mu);
    int rc = !w->rd ? -1 : add ? event_add(w->rd, NULL) : event_del_noblock(w->rd);
    pthread_mutex_unlock(&w->mu);
    return rc == 0 ? NATS_OK : NATS_ERR;
}

/* Write interest. When a loop thread publishes (NATS_FLUSH_LOOP), the loop
 * writes the buffer itself at the end of its current iteration instead of
 * waking the I/O thread: one write(2) per iteration, no thread hop. */
static natsStatus io_write(void *userData, bool add)
{
    io_watch *w = userData;
    nats_loop *l = tls_loop;
    if (!add)
        tls_write_done = true;
    if (add && l) {
        if (!l->flush_armed) {
            l->flush_armed = true;
            event_active(l->flush_ev, EV_WRITE, 0);
        }
        return NATS_OK;
    }
    pthread_mutex_lock(&w->mu);
    int rc = !w->wr ? -1 : add ? event_add(w->wr, NULL) : event_del_noblock(w->wr);
    pthread_mutex_unlock(&w->mu);
    return rc == 0 ? NATS_OK : NATS_ERR;
}

static natsStatus io_detach(void *userData)
{
    io_watch *w = userData;
    nats_bridge *b = w->b;
    pthread_mutex_lock(&w->mu);
    io_free_events(w);
    pthread_mutex_unlock(&w->mu);
    /* destroy may free b once it sees this: the unlock is the last touch */
    pthread_mutex_lock(&b->mu);
    b->io_detached = true;
    pthread_cond_broadcast(&b->cond);
    pthread_mutex_unlock(&b->mu);
    return NATS_OK;
}

/* A loop's non-blocking write of what nats.c buffered (its own publishes
 * and any other loop's since the last write). If the socket took only part,
 * the I/O thread's write event finishes the job. */
static void flush_now(nats_bridge *b)
{
    if (!write_buffered(&b->io, b->nc))
        return;
    pthread_mutex_lock(&b->io.mu);
    if (b->io.wr)
        event_add(b->io.wr, NULL);
    pthread_mutex_unlock(&b->io.mu);
}

static void on_flush(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    nats_loop *l = arg;
    l->flush_armed = false;
    flush_now(l->b);
}

/* Runs on the I/O thread: an active event survives until the loop runs,
 * unlike a loopbreak sent before the loop started. */
static void io_stop(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    event_base_loopbreak(arg);
}

static void *io_main(void *arg)
{
    event_base_loop(arg, EVLOOP_NO_EXIT_ON_EMPTY);
    return NULL;
}

/* ---- replies: nats.c's subscription thread -> owning loop ---- */

/* Parses "<idx>.<seq>" after the inbox prefix; false when malformed. */
static bool parse_reply(const nats_bridge *b, const char *subj, unsigned *idx, uint64_t *seq)
{
    if (strncmp(subj, b->inbox, b->inbox_len) != 0 || subj[b->inbox_len] != '.')
        return false;
    const char *p = subj + b->inbox_len + 1;
    unsigned i = 0;
    uint64_t s = 0;
    if (*p < '0' || *p > '9')
        return false;
    while (*p >= '0' && *p <= '9' && i < MAX_LOOPS)
        i = i * 10 + (unsigned)(*p++ - '0');
    if (*p++ != '.' || i >= MAX_LOOPS || *p < '0' || *p > '9')
        return false;
    while (*p >= '0' && *p <= '9' && s < UINT64_MAX / 10)
        s = s * 10 + (uint64_t)(*p++ - '0');
    *idx = i;
    *seq = s;
    return *p == '\0';
}

static void on_reply(natsConnection *nc, natsSubscription *sub, natsMsg *msg, void *closure)
{
    (void)nc;
    (void)sub;
    nats_bridge *b = closure;
    unsigned idx;
    uint64_t seq;
    nats_loop *l = NULL;
    if (parse_reply(b, natsMsg_GetSubject(msg), &idx, &seq))
        l = atomic_load(&b->loops[idx]);
    if (l) {
        pthread_mutex_lock(&l->mu);
        bool ok = !l->detached;
        if (ok && l->qn == l->qcap) {
            size_t cap = l->qcap ? l->qcap * 2 : 64;
            natsMsg **q = pst_realloc(l->q, cap * sizeof(*q));
            if (q) {
                l->q = q;
                l->qcap = cap;
            } else {
                ok = false;
            }
        }
        if (ok) {
            l->q[l->qn++] = msg;
            if (!l->awake) {
                l->awake = true;
                event_active(l->wake, EV_READ, 0);
            }
            msg = NULL;
        }
        pthread_mutex_unlock(&l->mu);
    }
    if (msg) {
        atomic_fetch_add(&b->stats.late_replies, 1);
        natsMsg_Destroy(msg);
    }
}

/* ---- the loop's pending table (loop thread only) ---- */

static pst_status table_grow(nats_loop *l)
{
    size_t n = l->tab ? (l->tab_mask + 1) * 2 : 256;
    nats_pending **t = pst_calloc(n, sizeof(*t));
    if (!t)
        return PST_ERROR;
    for (size_t i = 0; l->tab && i <= l->tab_mask; i++) {
        nats_pending *p = l->tab[i];
        while (p) {
            nats_pending *next = p->next;
            p->next = t[p->seq & (n - 1)];
            t[p->seq & (n - 1)] = p;
            p = next;
        }
    }
    pst_free(l->tab);
    l->tab = t;
    l->tab_mask = n - 1;
    return PST_OK;
}

static pst_status table_insert(nats_loop *l, nats_pending *p)
{
    if ((!l->tab || l->count > l->tab_mask) && table_grow(l) != PST_OK && !l->tab)
        return PST_ERROR;
    nats_pending **slot = &l->tab[p->seq & l->tab_mask];
    p->next = *slot;
    *slot = p;
    l->count++;
    return PST_OK;
}

/* Unlinks and returns the request with seq, or NULL. */
static nats_pending *table_take(nats_loop *l, uint64_t seq)
{
    if (!l->tab)
        return NULL;
    for (nats_pending **pp = &l->tab[seq & l->tab_mask]; *pp; pp = &(*pp)->next) {
        if ((*pp)->seq == seq) {
            nats_pending *p = *pp;
            *pp = p->next;
            l->count--;
            return p;
        }
    }
    return NULL;
}

static void pending_put(nats_loop *l, nats_pending *p)
{
    if (l->pool_n < POOL_MAX) {
        p->next = l->pool;
        l->pool = p;
        l->pool_n++;
    } else {
        pst_free(p);
    }
}

/* Removes p from the table and its timer, runs the callback, recycles p. */
static void finish(nats_pending *p, const nats_reply *r)
{
    nats_loop *l = p->loop;
    event_del(&p->timer);
    nats_reply_fn cb = p->cb;
    void *ud = p->ud;
    pending_put(l, p);
    cb(r, ud);
}

static void on_timeout(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    nats_pending *p = arg;
    nats_loop *l = p->loop;
    table_take(l, p->seq);
    nats_reply r = {p->fail_fast ? NATS_REPLY_CONN_ERROR : NATS_REPLY_TIMEOUT, NULL, 0, NULL};
    atomic_fetch_add(p->fail_fast ? &l->b->stats.errors : &l->b->stats.timeouts, 1);
    finish(p, &r);
}

static void deliver(nats_loop *l, natsMsg *msg)
{
    unsigned idx;
    uint64_t seq;
    nats_pending *p = NULL;
    if (parse_reply(l->b, natsMsg_GetSubject(msg), &idx, &seq))
        p = table_take(l, seq);
    if (!p) {
        atomic_fetch_add(&l->b->stats.late_replies, 1);
        return;
    }
    nats_reply r = {NATS_REPLY_OK, natsMsg_GetData(msg), (size_t)natsMsg_GetDataLength(msg), msg};
    if (natsMsg_IsNoResponders(msg)) {
        r = (nats_reply){NATS_REPLY_NO_RESPONDERS, NULL, 0, NULL};
        atomic_fetch_add(&l->b->stats.no_responders, 1);
    } else {
        atomic_fetch_add(&l->b->stats.replies, 1);
    }
    finish(p, &r);
}

/* Takes the whole queue under the lock and delivers it outside; false when
 * the queue was empty (awake is cleared then, under the same lock). */
static bool take_and_deliver(nats_loop *l)
{
    pthread_mutex_lock(&l->mu);
    natsMsg **batch = l->q;
    size_t n = l->qn, cap = l->qcap;
    if (n == 0) {
        l->awake = false;
        pthread_mutex_unlock(&l->mu);
        return false;
    }
    l->q = l->spare;
    l->qcap = l->spare_cap;
    l->qn = 0;
    l->spare = NULL;
    l->spare_cap = 0;
    pthread_mutex_unlock(&l->mu);
    for (size_t i = 0; i < n; i++) {
        deliver(l, batch[i]);
        natsMsg_Destroy(batch[i]);
    }
    if (l->closing) { /* a callback detached the loop */
        pst_free(batch);
        return false;
    }
    l->spare = batch;
    l->spare_cap = cap;
    return true;
}

/* The wake event. Replies that arrive while it delivers are taken by the
 * next round here instead of waking the loop again from the reply thread
 * (awake stays set until a round finds the queue empty); after WAKE_ROUNDS
 * the loop's other events run first, and the event re-activates itself on
 * this thread (no cross-thread notification). */
static void on_wake(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    nats_loop *l = arg;
    for (int round = 0; round < WAKE_ROUNDS; round++)
        if (!take_and_deliver(l))
            return;
    event_active(l->wake, EV_READ, 0);
}

/* ---- sending ---- */

static bool header_ok(const nats_header *h)
{
    if (!h->key || !h->value || !h->key[0])
        return false;
    for (const char *k = h->key; *k; k++)
        if ((unsigned char)*k <= 0x20 || *k == ':' || (unsigned char)*k >= 0x7f)
            return false;
    return strpbrk(h->value, "\r\n") == NULL;
}

static natsStatus send_msg(nats_bridge *b, const char *subj, const char *reply,
                           const nats_header *h, size_t n, const char *body, size_t len)
{
    if (n == 0)
        return reply ? natsConnection_PublishRequest(b->nc, subj, reply, body, (int)len)
                     : natsConnection_Publish(b->nc, subj, body, (int)len);
    natsMsg *m = NULL;
    natsStatus s = natsMsg_Create(&m, subj, reply, body, (int)len);
    for (size_t i = 0; s == NATS_OK && i < n; i++)
        s = natsMsgHeader_Add(m, h[i].key, h[i].value);
    if (s == NATS_OK)
        s = natsConnection_PublishMsg(b->nc, m);
    natsMsg_Destroy(m);
    return s;
}

/* Checks what the caller passes; false for anything nats.c must not see. */
static bool send_args_ok(const char *subject, const nats_header *hdrs, size_t n_hdrs,
                         const char *body, size_t len)
{
    if (!subject || !nats_subject_valid(pst_str_c(subject)) || len > INT_MAX || (len && !body) ||
        (n_hdrs && !hdrs))
        return false;
    for (size_t i = 0; i < n_hdrs; i++)
        if (!header_ok(&hdrs[i]))
            return false;
    return true;
}

static nats_pending *pending_get(nats_loop *l)
{
    nats_pending *p = l->pool;
    if (p) {
        l->pool = p->next;
        l->pool_n--;
        return p;
    }
    return pst_malloc(sizeof(*p));
}

static size_t u64_dec(char *out, uint64_t v)
{
    char tmp[24];
    size_t n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    for (size_t i = 0; i < n; i++)
        out[i] = tmp[n - 1 - i];
    return n;
}

pst_status nats_bridge_request(nats_loop *l, const char *subject, const nats_header *hdrs,
                               size_t n_hdrs, const char *body, size_t len, int64_t timeout_ms,
                               nats_reply_fn cb, void *ud, nats_pending **handle)
{
    if (!l || l->closing || !cb || timeout_ms <= 0 ||
        !send_args_ok(subject, hdrs, n_hdrs, body, len))
        return PST_ERROR;
    nats_pending *p = pending_get(l);
    if (!p)
        return PST_ERROR;
    *p = (nats_pending){.seq = l->next_seq++, .loop = l, .cb = cb, .ud = ud};
    evtimer_assign(&p->timer, l->base, on_timeout, p);
    if (table_insert(l, p) != PST_OK) {
        pending_put(l, p);
        return PST_ERROR;
    }
    char reply[96];
    memcpy(reply, l->reply, l->reply_len);
    reply[l->reply_len + u64_dec(reply + l->reply_len, p->seq)] = '\0';
    nats_bridge *b = l->b;
    natsStatus s = NATS_CONNECTION_CLOSED;
    if (atomic_load(&b->up)) {
        tls_loop = b->flush == NATS_FLUSH_LOOP ? l : NULL;
        s = send_msg(b, subject, reply, hdrs, n_hdrs, body, len);
        tls_loop = NULL;
    }
    if (s == NATS_NO_MEMORY || s == NATS_MAX_PAYLOAD || s == NATS_INVALID_ARG) {
        table_take(l, p->seq);
        pending_put(l, p);
        return PST_ERROR;
    }
    struct timeval tv = {timeout_ms / 1000, (timeout_ms % 1000) * 1000};
    if (s != NATS_OK) {
        p->fail_fast = true;
        tv = (struct timeval){0, 0};
    }
    evtimer_add(&p->timer, &tv);
    atomic_fetch_add(&b->stats.requests, 1);
    if (handle)
        *handle = p;
    return PST_OK;
}

void nats_bridge_cancel(nats_pending *p)
{
    if (!p)
        return;
    nats_loop *l = p->loop;
    table_take(l, p->seq);
    event_del(&p->timer);
    pending_put(l, p);
}

pst_status nats_bridge_publish(nats_loop *l, const char *subject, const nats_header *hdrs,
                               size_t n_hdrs, const char *body, size_t len)
{
    if (!l || l->closing || !send_args_ok(subject, hdrs, n_hdrs, body, len))
        return PST_ERROR;
    nats_bridge *b = l->b;
    natsStatus s = NATS_CONNECTION_CLOSED;
    if (atomic_load(&b->up)) {
        tls_loop = b->flush == NATS_FLUSH_LOOP ? l : NULL;
        s = send_msg(b, subject, NULL, hdrs, n_hdrs, body, len);
        tls_loop = NULL;
    }
    if (s != NATS_OK) {
        atomic_fetch_add(&b->stats.errors, 1);
        return PST_ERROR;
    }
    atomic_fetch_add(&b->stats.publishes, 1);
    return PST_OK;
}

const char *nats_reply_header(const nats_reply *r, const char *key)
{
    const char *v = NULL;
    if (!r || !r->msg || natsMsgHeader_Get(r->msg, key, &v) != NATS_OK)
        return NULL;
    return v;
}

/* ---- loops ---- */

nats_loop *nats_bridge_attach(nats_bridge *b, struct event_base *base)
{
    unsigned idx = atomic_fetch_add(&b->n_loops, 1);
    if (idx >= MAX_LOOPS)
        return NULL;
    nats_loop *l = pst_calloc(1, sizeof(*l));
    if (!l)
        return NULL;
    l->b = b;
    l->base = base;
    l->idx = idx;
    l->next_seq = 1;
    int n = snprintf(l->reply, sizeof l->reply, "%s.%u.", b->inbox, idx);
    l->reply_len = (size_t)n;
    pthread_mutex_init(&l->mu, NULL);
    if (n <= 0 || (size_t)n >= sizeof l->reply || table_grow(l) != PST_OK ||
        !(l->wake = event_new(base, -1, 0, on_wake, l)) ||
        !(l->flush_ev = event_new(base, -1, 0, on_flush, l))) {
        if (l->wake)
            event_free(l->wake);
        pst_free(l->tab);
        pthread_mutex_destroy(&l->mu);
        pst_free(l);
        return NULL;
    }
    atomic_store(&b->loops[idx], l);
    return l;
}

void nats_loop_detach(nats_loop *l)
{
    if (!l)
        return;
    nats_bridge *b = l->b;
    l->closing = true;
    pthread_mutex_lock(&l->mu);
    l->detached = true;
    natsMsg **q = l->q;
    size_t qn = l->qn;
    l->q = NULL;
    l->qn = l->qcap = 0;
    event_free(l->wake);
    l->wake = NULL;
    pthread_mutex_unlock(&l->mu);
    for (size_t i = 0; i < qn; i++)
        natsMsg_Destroy(q[i]);
    pst_free(q);
    /* outstanding requests end now, each with its one callback */
    for (size_t i = 0; i <= l->tab_mask; i++) {
        nats_pending *p;
        while ((p = l->tab[i])) {
            l->tab[i] = p->next;
            l->count--;
            nats_reply r = {NATS_REPLY_CONN_ERROR, NULL, 0, NULL};
            atomic_fetch_add(&b->stats.errors, 1);
            finish(p, &r);
        }
    }
    while (l->pool) {
        nats_pending *p = l->pool;
        l->pool = p->next;
        pst_free(p);
    }
    /* write what this loop buffered before its flush event goes away */
    if (l->flush_armed)
        flush_now(b);
    event_free(l->flush_ev);
    l->flush_ev = NULL;
    pst_free(l->tab);
    pst_free(l->spare);
    l->tab = NULL;
    l->spare = NULL;
    /* the reply thread may still hold a pointer: free at bridge destroy */
    pthread_mutex_lock(&b->mu);
    l->dead_next = b->dead;
    b->dead = l;
    pthread_mutex_unlock(&b->mu);
}

/* ---- create / destroy ---- */

static natsStatus set_auth(natsOptions *no, const nats_bridge_opts *o)
{
    natsStatus s = NATS_OK;
    if (o->credentials_file)
        s = natsOptions_SetUserCredentialsFromFiles(no, o->credentials_file, NULL);
    if (s == NATS_OK && o->user)
        s = natsOptions_SetUserInfo(no, o->user, o->password ? o->password : "");
    if (s == NATS_OK && o->token)
        s = natsOptions_SetToken(no, o->token);
    if (s == NATS_OK && o->nkey_seed_file)
        s = o->nkey_public ? natsOptions_SetNKeyFromSeed(no, o->nkey_public, o->nkey_seed_file)
                           : NATS_INVALID_ARG;
    if (s == NATS_OK && (o->tls_ca || o->tls_cert || o->tls_key))
        s = natsOptions_SetSecure(no, true);
    if (s == NATS_OK && o->tls_ca)
        s = natsOptions_LoadCATrustedCertificates(no, o->tls_ca);
    if (s == NATS_OK && (o->tls_cert || o->tls_key))
        s = (o->tls_cert && o->tls_key)
                ? natsOptions_LoadCertificatesChain(no, o->tls_cert, o->tls_key)
                : NATS_INVALID_ARG;
    return s;
}

static natsStatus set_options(nats_bridge *b, natsOptions *no, const nats_bridge_opts *o)
{
    int64_t wait = o->connect_wait_ms > 0 ? o->connect_wait_ms : 2000;
    natsStatus s = natsOptions_SetServers(no, (const char **)o->servers, (int)o->n_servers);
    if (s == NATS_OK && o->name)
        s = natsOptions_SetName(no, o->name);
    if (s == NATS_OK)
        s = set_auth(no, o);
    if (s == NATS_OK)
        s = natsOptions_SetTimeout(no, wait);
    if (s == NATS_OK)
        s = natsOptions_SetMaxReconnect(no, -1);
    if (s == NATS_OK)
        s = natsOptions_SetCustomReconnectDelay(no, reconnect_delay, b);
    if (s == NATS_OK)
        s = natsOptions_SetRetryOnFailedConnect(no, true, on_connected, b);
    if (s == NATS_OK)
        s = natsOptions_SetDisconnectedCB(no, on_disconnected, b);
    if (s == NATS_OK)
        s = natsOptions_SetReconnectedCB(no, on_connected, b);
    if (s == NATS_OK)
        s = natsOptions_SetClosedCB(no, on_closed, b);
    if (s == NATS_OK && o->flush != NATS_FLUSH_BATCH)
        s = natsOptions_SetSendAsap(no, true);
    if (s == NATS_OK && b->io_base)
        s = natsOptions_SetEventLoop(no, b, io_attach, io_read, io_write, io_detach);
    return s;
}

static pst_status start_io(nats_bridge *b)
{
    if (!(b->io_base = event_base_new()) ||
        !(b->io_stop = event_new(b->io_base, -1, 0, io_stop, b->io_base)))
        return PST_ERROR;
    if (pthread_create(&b->io_thread, NULL, io_main, b->io_base) != 0)
        return PST_ERROR;
    b->io_running = true;
    return PST_OK;
}

enum { WAIT_CONNECTED, WAIT_CLOSED, WAIT_SUB_DONE, WAIT_IO_DETACHED };

/* Waits (bounded) until the connection is up or closed, or closed, or the
 * reply subscription finished its last callback. */
static void wait_state(nats_bridge *b, int what, int64_t ms)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += ms / 1000;
    until.tv_nsec += (ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&b->mu);
    while (!(what == WAIT_SUB_DONE      ? b->sub_done
             : what == WAIT_IO_DETACHED ? b->io_detached || !b->io_attached
             : what == WAIT_CLOSED      ? b->closed
                                        : b->connected_once || b->closed))
        if (pthread_cond_timedwait(&b->cond, &b->mu, &until) != 0)
            break;
    pthread_mutex_unlock(&b->mu);
}

static const char *connect_and_subscribe(nats_bridge *b, natsOptions *no, int64_t wait)
{
    natsStatus s = natsConnection_Connect(&b->nc, no);
    if (s == NATS_OK) {
        set_state(b, NATS_STATE_CONNECTED);
    } else if (s != NATS_NOT_YET_CONNECTED) {
        pst_log(PST_LOG_ERROR, "nats connect: %s", natsStatus_GetText(s));
        return "cannot connect to NATS (bad server URL, credentials or TLS files)";
    }
    if (natsInbox_Create(&b->inbox) != NATS_OK)
        return PST_E_NOMEM;
    b->inbox_len = strlen(b->inbox);
    char wild[64];
    snprintf(wild, sizeof wild, "%s.>", b->inbox);
    if (natsConnection_Subscribe(&b->sub, b->nc, wild, on_reply, b) != NATS_OK ||
        natsSubscription_SetPendingLimits(b->sub, -1, -1) != NATS_OK ||
        natsSubscription_SetOnCompleteCB(b->sub, on_sub_complete, b) != NATS_OK)
        return "cannot subscribe to the reply inbox";
    if (s == NATS_NOT_YET_CONNECTED) {
        pst_log(PST_LOG_WARN, "nats: not connected yet, retrying in the background");
        wait_state(b, WAIT_CONNECTED, wait);
    }
    return NULL;
}

nats_bridge *nats_bridge_create(const nats_bridge_opts *o, const char **error)
{
    const char *err = NULL;
    natsOptions *no = NULL;
    const char *ignored;
    if (!error)
        error = &ignored;
    if (!o || !o->servers || o->n_servers == 0 || o->n_servers > INT_MAX) {
        *error = "no NATS servers configured";
        return NULL;
    }
    if (nats_threads_init() != PST_OK) {
        *error = "cannot make libevent thread-aware";
        return NULL;
    }
    nats_bridge *b = pst_calloc(1, sizeof(*b));
    if (!b) {
        *error = PST_E_NOMEM;
        return NULL;
    }
    pthread_mutex_init(&b->mu, NULL);
    pthread_cond_init(&b->cond, NULL);
    b->on_state = o->on_state;
    b->state_ud = o->state_ud;
    b->reconnect_ms = o->reconnect_wait_ms > 0 ? o->reconnect_wait_ms : 100;
    b->max_reconnect_ms = o->max_reconnect_wait_ms > 0 ? o->max_reconnect_wait_ms : 2000;
    if (b->max_reconnect_ms < b->reconnect_ms)
        b->max_reconnect_ms = b->reconnect_ms;
    b->drain_ms = o->drain_ms > 0 ? o->drain_ms : 2000;
    b->flush = o->flush;
    pthread_mutex_init(&b->io.mu, NULL);
    pthread_mutex_init(&b->io.wmu, NULL);
    b->io.b = b;
    if ((o->flush == NATS_FLUSH_LOOP || o->flush == NATS_FLUSH_IO_THREAD) && start_io(b) != PST_OK)
        err = "cannot start the NATS I/O thread";
    if (!err && natsOptions_Create(&no) != NATS_OK)
        err = PST_E_NOMEM;
    if (!err && set_options(b, no, o) != NATS_OK)
        err = "invalid NATS options (server URL, credentials, nkey or TLS files)";
    if (!err)
        err = connect_and_subscribe(b, no, o->connect_wait_ms > 0 ? o->connect_wait_ms : 2000);
    natsOptions_Destroy(no);
    if (err) {
        b->on_state = NULL;
        nats_bridge_destroy(b);
        *error = err;
        return NULL;
    }
    return b;
}

bool nats_bridge_connected(nats_bridge *b)
{
    return b && atomic_load(&b->up);
}

const nats_bridge_stats *nats_bridge_stats_ref(nats_bridge *b)
{
    return &b->stats;
}

void nats_bridge_destroy(nats_bridge *b)
{
    if (!b)
        return;
    if (b->nc) {
        /* drain: flush what is buffered, let the reply subscription finish */
        if (atomic_load(&b->up) && natsConnection_DrainTimeout(b->nc, b->drain_ms) == NATS_OK)
            wait_state(b, WAIT_CLOSED, b->drain_ms + 1000);
        natsConnection_Close(b->nc);
        /* callbacks reference b: wait until nats.c made its last calls */
        wait_state(b, WAIT_CLOSED, 5000);
        if (b->sub)
            wait_state(b, WAIT_SUB_DONE, 5000);
        wait_state(b, WAIT_IO_DETACHED, 5000);
    }
    natsSubscription_Destroy(b->sub);
    natsConnection_Destroy(b->nc);
    if (b->io_running) {
        event_active(b->io_stop, 0, 0);
        pthread_join(b->io_thread, NULL);
    }
    if (b->io_stop)
        event_free(b->io_stop);
    if (b->io_base)
        event_base_free(b->io_base);
    while (b->dead) {
        nats_loop *l = b->dead;
        b->dead = l->dead_next;
        pthread_mutex_destroy(&l->mu);
        pst_free(l);
    }
    natsInbox_Destroy(b->inbox);
    pthread_mutex_destroy(&b->io.wmu);
    pthread_mutex_destroy(&b->io.mu);
    pthread_cond_destroy(&b->cond);
    pthread_mutex_destroy(&b->mu);
    pst_free(b);
}
