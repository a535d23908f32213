/* A fast NATS responder for bench/: answers every request on a subject with
 * the request body, or with a fixed small Order JSON (-order).
 *
 *   echo-responder [-s URL] [-subject S] [-q QUEUE] [-order] [-batch]
 *
 * It writes each reply at once (nats.c SendAsap) so the responder adds no
 * batching delay; -batch uses nats.c's default 1 ms flusher instead.
 * Stops on SIGINT/SIGTERM. */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nats/nats.h>

static const char ORDER[] =
    "{\"__typename\":\"Order\",\"id\":\"42\",\"status\":\"OPEN\",\"total\":59.9,"
    "\"items\":[{\"sku\":\"SKU-1\",\"quantity\":2,\"price\":19.95}],"
    "\"customer\":{\"id\":\"c-7\",\"name\":\"Ada\"},\"placedAt\":\"2026-01-01T00:00:00Z\"}";

static int reply_order;

static void on_msg(natsConnection *nc, natsSubscription *sub, natsMsg *m, void *closure)
{
    (void)sub;
    (void)closure;
    const char *reply = natsMsg_GetReply(m);
    if (reply) {
        if (reply_order)
            natsConnection_Publish(nc, reply, ORDER, (int)sizeof ORDER - 1);
        else
            natsConnection_Publish(nc, reply, natsMsg_GetData(m), natsMsg_GetDataLength(m));
    }
    natsMsg_Destroy(m);
}

int main(int argc, char **argv)
{
    const char *url = getenv("NATS_URL") ? getenv("NATS_URL") : "nats://127.0.0.1:4222";
    const char *subject = "bench.echo", *queue = "bench";
    int batch = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-s") && i + 1 < argc)
            url = argv[++i];
        else if (!strcmp(argv[i], "-subject") && i + 1 < argc)
            subject = argv[++i];
        else if (!strcmp(argv[i], "-q") && i + 1 < argc)
            queue = argv[++i];
        else if (!strcmp(argv[i], "-order"))
            reply_order = 1;
        else if (!strcmp(argv[i], "-batch"))
            batch = 1;
        else {
            fprintf(stderr, "usage: %s [-s URL] [-subject S] [-q QUEUE] [-order] [-batch]\n",
                    argv[0]);
            return 2;
        }
    }
    /* blocked in every thread (nats.c's inherit the mask); main waits for them */
    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);
    natsOptions *o = NULL;
    natsConnection *nc = NULL;
    natsSubscription *sub = NULL;
    natsStatus s = natsOptions_Create(&o);
    if (s == NATS_OK)
        s = natsOptions_SetURL(o, url);
    if (s == NATS_OK)
        s = natsOptions_SetSendAsap(o, !batch);
    if (s == NATS_OK)
        s = natsOptions_SetMaxReconnect(o, -1);
    if (s == NATS_OK)
        s = natsConnection_Connect(&nc, o);
    if (s == NATS_OK)
        s = natsConnection_QueueSubscribe(&sub, nc, subject, queue, on_msg, NULL);
    if (s == NATS_OK)
        s = natsSubscription_SetPendingLimits(sub, -1, -1);
    if (s == NATS_OK)
        s = natsConnection_Flush(nc);
    if (s != NATS_OK) {
        fprintf(stderr, "echo-responder: %s: %s\n", url, natsStatus_GetText(s));
    } else {
        fprintf(stderr, "echo-responder: answering %s on %s\n", subject, url);
        int sig;
        sigwait(&sigs, &sig);
        natsSubscription_Drain(sub);
        natsSubscription_WaitForDrainCompletion(sub, 2000);
    }
    natsSubscription_Destroy(sub);
    natsConnection_Destroy(nc);
    natsOptions_Destroy(o);
    nats_Close();
    return s == NATS_OK ? 0 : 1;
}
