/**
 * Request identity for tracing and audit (SPEC §7, §13 "Headers"):
 * correlation ids, W3C Trace Context and RFC 3339 timestamps.
 * All functions are thread-safe and never block.
 */
#ifndef POSTERN_AUDIT_TRACE_H
#define POSTERN_AUDIT_TRACE_H

#include <stdbool.h>
#include <stdint.h>

#include "common/str.h"

#define AUDIT_CORR_MAX 128
#define AUDIT_UUID_LEN 36

/** True when s matches [A-Za-z0-9._:-]{1,128}. */
bool audit_corr_valid(pst_str s);

/** Writes a new UUIDv7 (RFC 9562: 48-bit Unix milliseconds, version 7,
 * random bits from OpenSSL) as 36 characters plus NUL into out.
 * Returns PST_ERROR when the random source fails (out unchanged). */
pst_status audit_uuid7(char out[AUDIT_UUID_LEN + 1]);

/** Picks the request's correlation id: the client's X-Correlation-ID when
 * valid, else X-Request-ID when valid, else a new UUIDv7. Writes it with a
 * NUL into out. PST_ERROR only when a new id was needed and could not be
 * made. */
pst_status audit_corr_pick(pst_str x_correlation_id, pst_str x_request_id,
                           char out[AUDIT_CORR_MAX + 1]);

/** W3C trace context of a request: the trace id (kept from a valid client
 * traceparent, else new) and the flags. */
typedef struct {
    char trace_id[33]; /* 32 lowercase hex + NUL */
    char flags[3];     /* 2 hex + NUL */
    bool from_client;  /* the client's traceparent was valid: pass tracestate on */
} audit_trace;

/** Parses the client's traceparent (version 00, or a higher version read
 * as 00 per the W3C rules); when absent or invalid starts a new trace with
 * flags 01. PST_ERROR only when the random source fails. */
pst_status audit_trace_start(pst_str traceparent, audit_trace *t);

/** Writes a traceparent for one outgoing message with a new span id:
 * "00-<trace>-<span>-<flags>" (55 characters + NUL). PST_ERROR when the
 * random source fails. */
pst_status audit_trace_child(const audit_trace *t, char out[56]);

/** Milliseconds since the Unix epoch (CLOCK_REALTIME). */
int64_t audit_now_ms(void);

/** Formats ms since the epoch as RFC 3339 UTC with milliseconds,
 * "2026-11-28T13:50:19.123Z" (24 characters + NUL). */
void audit_rfc3339_ms(int64_t ms, char out[25]);

#endif
