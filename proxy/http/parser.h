/**
 * HTTP/1.1 request-head parser (zero-copy, in the style of picohttpparser),
 * an incremental chunked-body decoder, and a query-string parameter helper.
 *
 * Every view the parser hands back points into the caller's buffer; nothing
 * is copied or allocated. The parser is strict (RFC 9112): CR LF line ends
 * only, token characters in the method and header names, no whitespace
 * before a header colon, no obsolete line folding, and a bounded header
 * count. It never reads past `len` and keeps no state between calls, so the
 * caller may call it again on the same buffer once more bytes arrived.
 */
#ifndef POSTERN_HTTP_PARSER_H
#define POSTERN_HTTP_PARSER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/arena.h"
#include "common/str.h"

/** Hard upper bound on headers per request (the caller may ask for fewer). */
#define HTTP_MAX_HEADERS 64

/** Parse results (besides the byte count of a complete head). */
#define HTTP_PARSE_ERROR (-1)
#define HTTP_PARSE_PARTIAL (-2)

/** A header as two views into the request buffer (value has no
 * surrounding whitespace). */
typedef struct {
    pst_str name;
    pst_str value;
} http_header;

typedef struct {
    pst_str method;
    pst_str target; /* the whole request-target */
    pst_str path;   /* target before '?' */
    pst_str query;  /* after '?' (without it); p == NULL when there is no '?' */
    int minor_version;
    http_header headers[HTTP_MAX_HEADERS];
    size_t num_headers;

    /* Framing and connection semantics, filled once the head is complete. */
    int64_t content_length; /* -1 when absent */
    bool chunked;           /* Transfer-Encoding: chunked */
    bool keep_alive;        /* 1.1 default on, 1.0 default off; Connection overrides */
    bool expect_continue;   /* Expect: 100-continue */

    /* On HTTP_PARSE_ERROR: a constant reason and the status to answer with
     * (400, 417, 431, 501 or 505). */
    const char *error;
    int error_status;
} http_parsed;

/**
 * Parses the request head at buf[0..len).
 * Returns the number of bytes of the head (request line, headers and the
 * empty line; > 0) when it is complete, HTTP_PARSE_PARTIAL when every byte
 * so far is valid but the head has not ended, or HTTP_PARSE_ERROR with
 * out->error and out->error_status set. max_headers (at most
 * HTTP_MAX_HEADERS) bounds the header count: more is an error with status
 * 431. The head size limit is the caller's: it passes at most that many
 * bytes and answers 431 when the result is still PARTIAL.
 * Leading empty lines before the request line are skipped (RFC 9112 §2.2).
 * The out fields are meaningful only after a positive return.
 */
int http_parse_request(const char *buf, size_t len, http_parsed *out, size_t max_headers);

/** First header named `name` (ASCII case-insensitive); p == NULL when absent. */
pst_str http_parsed_header(const http_parsed *r, const char *name);

/** Decoder state for a chunked body; zero it (or http_chunked_init) per body. */
typedef struct {
    int state;
    uint64_t remaining;   /* bytes left in the current chunk */
    unsigned digits;      /* hex digits seen in the size line */
    size_t line_bytes;    /* bytes of the current extension / trailer line */
    size_t trailer_bytes; /* total trailer bytes */
    const char *error;
} http_chunked;

void http_chunked_init(http_chunked *d);

/**
 * Decodes chunked data incrementally. Reads in[0..len); writes the data
 * bytes to out (which may equal in: decoding in place is safe because the
 * output never overtakes the input) and sets *out_len to how many were
 * written and *consumed to how many input bytes were used.
 * Returns 1 when the body ended (last chunk and trailers read; bytes after
 * *consumed belong to the next request), 0 when all input was used and more
 * is needed, -1 on malformed input (d->error says why; stop using d).
 * Trailer fields are checked and discarded. Chunk sizes above 2^60 and
 * trailers above 8 KiB are errors; the body size limit is the caller's.
 */
int http_chunked_decode(http_chunked *d, const char *in, size_t len, char *out, size_t *out_len,
                        size_t *consumed);

/**
 * Finds the first `name` parameter in an application/x-www-form-urlencoded
 * query string and percent-decodes its value ('+' is a space) into memory
 * from `a`. Returns PST_OK with *out set (a present but empty value gives a
 * non-NULL empty view), PST_DECLINED when the parameter is absent, and
 * PST_ERROR for an invalid escape (bad hex or truncated %) in the value or
 * when out of memory; *out is unchanged unless PST_OK. Names are compared
 * after decoding.
 */
pst_status http_query_param(pst_str query, const char *name, pst_arena *a, pst_str *out);

/** True when every '%' in s starts a valid %XX escape (so a PST_ERROR from
 * http_query_param on s can only mean out of memory). */
bool http_form_valid(pst_str s);

/** Counts occurrences of parameter `name` in the query (0 when absent or
 * when names cannot be decoded). Used to reject ambiguous repeats. */
size_t http_query_param_count(pst_str query, const char *name);

#endif
