/* Fuzzes the HTTP head parser, the chunked decoder and the query-string
 * helper. The first byte picks the target; the rest is its input.
 * Invariants checked: a complete head's length is within the input and one
 * byte less is PARTIAL; chunked decoding gives the same result in one piece
 * and split at any point; decoding never writes past its output. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/arena.h"
#include "http/parser.h"

static void fuzz_head(const char *p, size_t n)
{
    http_parsed r;
    int rc = http_parse_request(p, n, &r, HTTP_MAX_HEADERS);
    if (rc > 0) {
        if ((size_t)rc > n || r.num_headers > HTTP_MAX_HEADERS)
            abort();
        if (http_parse_request(p, (size_t)rc - 1, &r, HTTP_MAX_HEADERS) != HTTP_PARSE_PARTIAL)
            abort();
    } else if (rc == HTTP_PARSE_ERROR && (!r.error || r.error_status < 400)) {
        abort();
    }
}

static int decode(const char *in, size_t n, size_t split, char *out, size_t *out_len)
{
    char *buf = malloc(n ? n : 1);
    memcpy(buf, in, n);
    http_chunked d;
    http_chunked_init(&d);
    size_t o1, u1, o2 = 0, u2 = 0;
    int rc = http_chunked_decode(&d, buf, split, buf, &o1, &u1);
    if (rc == 0 && u1 == split && split < n)
        rc = http_chunked_decode(&d, buf + u1, n - u1, buf + o1, &o2, &u2);
    if (o1 + o2 > u1 + u2)
        abort(); /* output overtook input */
    *out_len = o1 + o2;
    memcpy(out, buf, *out_len);
    free(buf);
    return rc;
}

static void fuzz_chunked(const char *p, size_t n)
{
    if (n == 0)
        return;
    size_t split = (unsigned char)p[0] % n;
    p++;
    n--;
    char *a = malloc(n + 1), *b = malloc(n + 1);
    size_t la, lb;
    int ra = decode(p, n, n, a, &la);
    int rb = decode(p, n, split < n ? split : n, b, &lb);
    if (ra != rb || (ra >= 0 && (la != lb || memcmp(a, b, la) != 0)))
        abort();
    free(a);
    free(b);
}

static void fuzz_query(const char *p, size_t n)
{
    pst_arena *a = pst_arena_create(1024);
    pst_str v;
    static const char *names[] = {"query", "variables", "operationName", "a"};
    for (size_t i = 0; i < 4; i++) {
        pst_status st = http_query_param((pst_str){p, n}, names[i], a, &v);
        if (st == PST_OK && v.n > n)
            abort();
        http_query_param_count((pst_str){p, n}, names[i]);
        /* on a valid encoding only memory can make the decoder fail */
        if (st == PST_ERROR && http_form_valid((pst_str){p, n}))
            abort();
    }
    pst_arena_destroy(a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    /* an exact-size copy so that ASan sees any read past the end */
    char *p = malloc(size - 1 ? size - 1 : 1);
    memcpy(p, data + 1, size - 1);
    switch (data[0] % 3) {
    case 0:
        fuzz_head(p, size - 1);
        break;
    case 1:
        fuzz_chunked(p, size - 1);
        break;
    default:
        fuzz_query(p, size - 1);
    }
    free(p);
    return 0;
}
