/* A trivial HTTP server on postern's http module answering "ok" to every
 * request, to measure the server alone:
 *   http-hello [--listen 127.0.0.1:8081] [--workers 2] [--seconds 0]
 *   wrk -t2 -c64 -d5s http://127.0.0.1:8081/
 * Prints the bound port, then runs until SIGINT/SIGTERM (or --seconds). */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "http/server.h"

static void hello(http_request *req, void *ud)
{
    (void)ud;
    static const http_header h[] = {{PST_STR_LIT("Content-Type"), PST_STR_LIT("text/plain")}};
    http_respond(req, 200, h, 1, "ok", 2);
}

int main(int argc, char **argv)
{
    http_server_opts o;
    http_server_opts_init(&o);
    o.listen = "127.0.0.1:8081";
    o.workers = 2;
    o.handler = hello;
    int seconds = 0;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--listen") == 0)
            o.listen = argv[i + 1];
        else if (strcmp(argv[i], "--workers") == 0)
            o.workers = atoi(argv[i + 1]);
        else if (strcmp(argv[i], "--seconds") == 0)
            seconds = atoi(argv[i + 1]);
        else {
            fprintf(stderr, "usage: %s [--listen ADDR] [--workers N] [--seconds S]\n", argv[0]);
            return 2;
        }
    }
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGALRM);
    pthread_sigmask(SIG_BLOCK, &set, NULL); /* the workers inherit the mask */
    const char *err = NULL;
    http_server *s = http_server_start(&o, &err);
    if (!s) {
        fprintf(stderr, "http-hello: %s\n", err);
        return 1;
    }
    printf("listening on port %d with %d workers\n", http_server_bound_port(s), o.workers);
    fflush(stdout);
    if (seconds > 0)
        alarm((unsigned)seconds);
    int sig;
    sigwait(&set, &sig);
    http_server_stop(s, 1000);
    http_server_free(s);
    return 0;
}
