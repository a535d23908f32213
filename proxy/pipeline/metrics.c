#include "pipeline/metrics.h"

#include "auth/principal.h"
#include "pipeline/runtime.h"

static const int STATUSES[PIPE_METRIC_STATUSES] = {200, 400, 401, 403, 404, 405, 406,
                                                   408, 413, 415, 500, 502, 503};
static const int64_t BUCKETS_MS[PIPE_METRIC_BUCKETS] = {1,   2,   5,    10,   25,   50,   100,
                                                        250, 500, 1000, 2500, 5000, 10000};
static const char *const BUCKET_LE[PIPE_METRIC_BUCKETS] = {
    "0.001", "0.002", "0.005", "0.01", "0.025", "0.05", "0.1",
    "0.25",  "0.5",   "1",     "2.5",  "5",     "10"};
static const char *const OUTCOMES[PIPE_NATS_OUTCOMES] = {
    "ok", "timeout", "no_responders", "upstream_error", "bad_reply", "unavailable"};
static const char *const DENY[PIPE_DENY_KINDS] = {"field", "subject", "operation"};

#define ADD(counter) atomic_fetch_add_explicit(&(counter), 1, memory_order_relaxed)
#define GET(counter) ((unsigned long long)atomic_load_explicit(&(counter), memory_order_relaxed))

void pipe_metrics_request(pipe_metrics *m, int status, int64_t ms)
{
    size_t i = 0;
    while (i < PIPE_METRIC_STATUSES && STATUSES[i] != status)
        i++;
    ADD(m->status[i]);
    size_t b = 0;
    while (b < PIPE_METRIC_BUCKETS && ms > BUCKETS_MS[b])
        b++;
    ADD(m->duration[b]);
    atomic_fetch_add_explicit(&m->duration_sum_ms, (uint_fast64_t)(ms > 0 ? ms : 0),
                              memory_order_relaxed);
}

void pipe_metrics_nats(pipe_metrics *m, pipe_nats_outcome o)
{
    ADD(m->nats[o < PIPE_NATS_OUTCOMES ? o : PIPE_NATS_UNAVAILABLE]);
}

void pipe_metrics_denied(pipe_metrics *m, pipe_deny_kind k)
{
    ADD(m->denied[k < PIPE_DENY_KINDS ? k : PIPE_DENY_FIELD]);
}

const char *pipe_nats_outcome_name(pipe_nats_outcome o)
{
    return o < PIPE_NATS_OUTCOMES ? OUTCOMES[o] : "unknown";
}

static void head(pst_buf *b, const char *name, const char *type, const char *help)
{
    pst_buf_appendf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* 401s are answered by authn.c itself and counted there, by reason. */
static void write_requests(pipe_runtime *rt, pst_buf *b)
{
    pipe_metrics *m = &rt->metrics;
    head(b, "postern_http_requests_total", "counter", "GraphQL HTTP requests answered, by status.");
    for (size_t i = 0; i <= PIPE_METRIC_STATUSES; i++) {
        unsigned long long v = GET(m->status[i]);
        if (i < PIPE_METRIC_STATUSES)
            pst_buf_appendf(b, "postern_http_requests_total{status=\"%d\"} %llu\n", STATUSES[i], v);
        else
            pst_buf_appendf(b, "postern_http_requests_total{status=\"other\"} %llu\n", v);
    }
    head(b, "postern_http_request_duration_seconds", "histogram",
         "Time from a request's arrival to its answer (millisecond resolution).");
    unsigned long long cum = 0;
    for (size_t i = 0; i < PIPE_METRIC_BUCKETS; i++) {
        cum += GET(m->duration[i]);
        pst_buf_appendf(b, "postern_http_request_duration_seconds_bucket{le=\"%s\"} %llu\n",
                        BUCKET_LE[i], cum);
    }
    cum += GET(m->duration[PIPE_METRIC_BUCKETS]);
    pst_buf_appendf(b, "postern_http_request_duration_seconds_bucket{le=\"+Inf\"} %llu\n", cum);
    unsigned long long sum = GET(m->duration_sum_ms);
    pst_buf_appendf(b, "postern_http_request_duration_seconds_sum %llu.%03llu\n", sum / 1000,
                    sum % 1000);
    pst_buf_appendf(b, "postern_http_request_duration_seconds_count %llu\n", cum);
}

static void write_nats(pipe_runtime *rt, pst_buf *b)
{
    pipe_metrics *m = &rt->metrics;
    head(b, "postern_nats_messages_total", "counter",
         "Root fields sent over NATS, by final outcome (after retries).");
    for (size_t i = 0; i < PIPE_NATS_OUTCOMES; i++)
        pst_buf_appendf(b, "postern_nats_messages_total{outcome=\"%s\"} %llu\n", OUTCOMES[i],
                        GET(m->nats[i]));
    const nats_bridge_stats *s = rt->bridge ? nats_bridge_stats_ref(rt->bridge) : NULL;
    if (s) {
        head(b, "postern_nats_requests_sent_total", "counter",
             "NATS requests sent, retries included.");
        pst_buf_appendf(b, "postern_nats_requests_sent_total %llu\n", GET(s->requests));
        head(b, "postern_nats_publishes_total", "counter", "NATS publishes handed to the client.");
        pst_buf_appendf(b, "postern_nats_publishes_total %llu\n", GET(s->publishes));
        head(b, "postern_nats_late_replies_total", "counter",
             "Replies that arrived after their request was gone.");
        pst_buf_appendf(b, "postern_nats_late_replies_total %llu\n", GET(s->late_replies));
    }
    head(b, "postern_nats_connected", "gauge", "1 while the NATS connection is up.");
    pst_buf_appendf(b, "postern_nats_connected %d\n",
                    rt->bridge && nats_bridge_connected(rt->bridge) ? 1 : 0);
    head(b, "postern_active_subscriptions", "gauge", "GraphQL subscriptions running.");
    pst_buf_append_c(b, "postern_active_subscriptions 0\n");
}

static void write_security(pipe_runtime *rt, pst_buf *b)
{
    head(b, "postern_auth_failures_total", "counter", "Requests refused with 401, by reason.");
    for (int i = 1; i < AUTH_REASON_COUNT; i++)
        pst_buf_appendf(b, "postern_auth_failures_total{reason=\"%s\"} %llu\n",
                        auth_reason_name((auth_reason)i), GET(rt->auth_refused[i]));
    head(b, "postern_policy_denials_total", "counter",
         "Policy refusals: root fields, NATS subjects, whole operations (403).");
    for (size_t i = 0; i < PIPE_DENY_KINDS; i++)
        pst_buf_appendf(b, "postern_policy_denials_total{kind=\"%s\"} %llu\n", DENY[i],
                        GET(rt->metrics.denied[i]));
    head(b, "postern_policy_reloads_total", "counter", "Policy reloads, by result.");
    pst_buf_appendf(b, "postern_policy_reloads_total{result=\"ok\"} %llu\n",
                    GET(rt->policy_reloads));
    pst_buf_appendf(b, "postern_policy_reloads_total{result=\"failed\"} %llu\n",
                    GET(rt->policy_reload_failures));
    auth_stats st = {0};
    if (rt->auth)
        auth_get_stats(rt->auth, &st);
    head(b, "postern_jwks_refreshes_total", "counter", "JWKS fetches from issuers, by result.");
    pst_buf_appendf(b, "postern_jwks_refreshes_total{result=\"ok\"} %llu\n",
                    (unsigned long long)st.jwks_fetch_ok);
    pst_buf_appendf(b, "postern_jwks_refreshes_total{result=\"failed\"} %llu\n",
                    (unsigned long long)st.jwks_fetch_failed);
    head(b, "postern_token_cache_entries", "gauge", "Verified tokens cached.");
    pst_buf_appendf(b, "postern_token_cache_entries %zu\n", st.cached_tokens);
    head(b, "postern_identity_sign_failures_total", "counter",
         "Messages whose Postern-Identity could not be signed (sent without it).");
    pst_buf_appendf(b, "postern_identity_sign_failures_total %llu\n",
                    GET(rt->metrics.identity_failures));
}

pst_status pipe_metrics_write(pipe_runtime *rt, pst_buf *out)
{
    write_requests(rt, out);
    write_nats(rt, out);
    write_security(rt, out);
    return out->failed ? PST_ERROR : PST_OK;
}
