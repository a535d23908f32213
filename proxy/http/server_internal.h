/* Internal to proxy/http: the worker and connection structures shared by
 * server.c (threads, listeners, accept, stop) and conn.c (one connection's
 * reads, parsing, dispatch and writes). Not part of the module interface. */
#ifndef POSTERN_HTTP_SERVER_INTERNAL_H
#define POSTERN_HTTP_SERVER_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

#include "http/server.h"

struct event;

typedef struct post_item {
    struct post_item *next;
    void (*fn)(struct event_base *base, void *loop_ud, void *ud);
    void *ud;
} post_item;

typedef struct http_worker {
    http_server *srv;
    int index;
    pthread_t thread;
    bool thread_started;
    struct event_base *base;
    int listen_fd;
    struct event *listen_ev, *stop_ev, *grace_ev, *post_ev;
    pthread_mutex_t post_mu;
    post_item *post_head, *post_tail;
    bool post_closed;
    void *loop_ud;
    bool stopping;
    http_conn *conns; /* every live connection struct of this worker */
    time_t date_sec;
    char date[48];
} http_worker;

struct http_server {
    http_server_opts o;
    int port;
    int nworkers;
    http_worker *workers;
    atomic_long open_conns; /* sockets open across workers (max_connections) */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int started, init_failed;
    bool stopped;
    int64_t grace_ms;
};

/* conn.c */
void conn_accepted(http_worker *w, int fd);
/* The worker stops: close idle connections, mark the others to close after
 * their response. */
void conn_begin_stop(http_conn *c);
/* The grace period ended: abort what is in flight and close every socket. */
void conn_force_close(http_conn *c);
/* After loop_fini: free what remains (unanswered requests are forgotten). */
void conn_destroy(http_conn *c);
http_conn *conn_next(const http_conn *c);

/* server.c */
/* A connection struct left the worker's list; ends a stopping loop when it
 * was the last one. */
void worker_conn_gone(http_worker *w);
/* The cached IMF-fixdate for the current second. */
const char *worker_date(http_worker *w);

/* Appends {"errors":[{"message":m,"extensions":{"code":code}}]}. */
pst_status http_error_json(pst_buf *b, const char *message, const char *code);

#endif
