/* HTTP/1.1 head parser, chunked decoder and query-string helper. */
#include <stdlib.h>
#include <string.h>

#include "common/arena.h"
#include "http/parser.h"
#include "test.h"

static const char *valid[] = {
    "GET / HTTP/1.1\r\nHost: a\r\n\r\n",
    "GET /graphql?query=%7B__typename%7D&x=1 HTTP/1.1\r\nHost: example.com\r\nAccept: "
    "*/*\r\nUser-Agent: curl/7.88\r\n\r\n",
    "POST /graphql HTTP/1.1\r\nHost: h\r\nContent-Type: application/json\r\nContent-Length: "
    "2\r\n\r\n",
    "GET /x HTTP/1.0\r\n\r\n",
    "\r\nGET / HTTP/1.1\r\nHost: a\r\nX-Empty:\r\nX-Spaces:   v  \t\r\n\r\n",
    "PATCH /a/b HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
    "M-SEARCH * HTTP/1.1\r\nHost: a\r\nX-Obs: caf\xc3\xa9\r\n\r\n",
};

static void test_valid(void)
{
    http_parsed r;
    for (size_t i = 0; i < sizeof(valid) / sizeof(valid[0]); i++) {
        size_t len = strlen(valid[i]);
        CHECK(http_parse_request(valid[i], len, &r, HTTP_MAX_HEADERS) == (int)len);
        /* every proper prefix is partial, never an error */
        for (size_t k = 0; k < len; k++) {
            char *copy = malloc(k + 1); /* exact size so ASan sees overreads */
            memcpy(copy, valid[i], k);
            int rc = http_parse_request(copy, k, &r, HTTP_MAX_HEADERS);
            if (rc != HTTP_PARSE_PARTIAL)
                fprintf(stderr, "request %zu prefix %zu: %d (%s)\n", i, k, rc,
                        r.error ? r.error : "");
            CHECK(rc == HTTP_PARSE_PARTIAL);
            free(copy);
        }
        /* extra bytes after the head are not consumed */
        char *more = malloc(len + 8);
        memcpy(more, valid[i], len);
        memcpy(more + len, "GET / HT", 8);
        CHECK(http_parse_request(more, len + 8, &r, HTTP_MAX_HEADERS) == (int)len);
        free(more);
    }
}

static void test_fields(void)
{
    http_parsed r;
    const char *s = valid[1];
    CHECK(http_parse_request(s, strlen(s), &r, HTTP_MAX_HEADERS) > 0);
    CHECK(pst_str_eq_c(r.method, "GET"));
    CHECK(pst_str_eq_c(r.path, "/graphql"));
    CHECK(pst_str_eq_c(r.query, "query=%7B__typename%7D&x=1"));
    CHECK(pst_str_eq_c(r.target, "/graphql?query=%7B__typename%7D&x=1"));
    CHECK(r.minor_version == 1);
    CHECK(r.num_headers == 3);
    CHECK(pst_str_eq_c(r.headers[0].name, "Host"));
    CHECK(pst_str_eq_c(r.headers[0].value, "example.com"));
    CHECK(pst_str_eq_c(http_parsed_header(&r, "user-agent"), "curl/7.88"));
    CHECK(http_parsed_header(&r, "cookie").p == NULL);
    CHECK(r.keep_alive && r.content_length == -1 && !r.chunked && !r.expect_continue);

    s = valid[2];
    CHECK(http_parse_request(s, strlen(s), &r, HTTP_MAX_HEADERS) > 0);
    CHECK(r.content_length == 2 && r.query.p == NULL);

    s = valid[3];
    CHECK(http_parse_request(s, strlen(s), &r, HTTP_MAX_HEADERS) > 0);
    CHECK(r.minor_version == 0 && !r.keep_alive);

    s = valid[4];
    CHECK(http_parse_request(s, strlen(s), &r, HTTP_MAX_HEADERS) > 0);
    CHECK(r.num_headers == 3);
    CHECK(r.headers[1].value.p != NULL && r.headers[1].value.n == 0);
    CHECK(pst_str_eq_c(r.headers[2].value, "v"));

    s = valid[5];
    CHECK(http_parse_request(s, strlen(s), &r, HTTP_MAX_HEADERS) > 0);
    CHECK(r.chunked && !r.keep_alive);

    s = "GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n";
    CHECK(http_parse_request(s, strlen(s), &r, HTTP_MAX_HEADERS) > 0);
    CHECK(r.keep_alive);
    s = "GET / HTTP/1.1\r\nHost: a\r\nConnection: keep-alive, Close\r\n\r\n";
    CHECK(http_parse_request(s, strlen(s), &r, HTTP_MAX_HEADERS) > 0);
    CHECK(!r.keep_alive);
    s = "POST / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 5\r\n"
        "Content-Length: 5\r\n\r\n";
    CHECK(http_parse_request(s, strlen(s), &r, HTTP_MAX_HEADERS) > 0);
    CHECK(r.expect_continue && r.content_length == 5);
}

static int expect_error(const char *s, size_t len, int status)
{
    http_parsed r;
    int rc = http_parse_request(s, len, &r, HTTP_MAX_HEADERS);
    if (rc != HTTP_PARSE_ERROR || r.error_status != status || !r.error) {
        fprintf(stderr, "expected %d for %.40s: rc %d status %d\n", status, s, rc, r.error_status);
        return 0;
    }
    return 1;
}

static void test_malformed(void)
{
    static const struct {
        const char *req;
        int status;
    } bad[] = {
        {"G(T / HTTP/1.1\r\nHost: a\r\n\r\n", 400},                    /* bad method char */
        {"GET / HTTP/1.1\nHost: a\r\n\r\n", 400},                      /* bare LF */
        {"GET / HTTP/1.1\r\nHost: a\n\r\n", 400},                      /* bare LF in a header */
        {"GET / HTTP/1.1\r\nHost: a\r\n\n", 400},                      /* bare LF ends the head */
        {"GET /\r\nHost: a\r\n\r\n", 400},                             /* missing version */
        {"GET / HTTX/1.1\r\n\r\n", 400},                               /* bad protocol */
        {"GET / HTTP/2.0\r\n\r\n", 505},                               /* version */
        {"GET / HTTP/1.1\r\nHost a\r\n\r\n", 400},                     /* no colon */
        {"GET / HTTP/1.1\r\nHost: a\r\nX: 1\r\n folded\r\n\r\n", 400}, /* folding */
        {"GET / HTTP/1.1\r\n Host: a\r\n\r\n", 400},                   /* leading space */
        {"GET / HTTP/1.1\r\nHost : a\r\n\r\n", 400},                   /* space before colon */
        {"GET / HTTP/1.1\r\n: a\r\n\r\n", 400},                        /* empty name */
        {"GET / HTTP/1.1\r\nHost: a\x01\r\n\r\n", 400},                /* control in value */
        {"GET  / HTTP/1.1\r\nHost: a\r\n\r\n", 400},                   /* empty target */
        {"GET /a\x7f HTTP/1.1\r\nHost: a\r\n\r\n", 400},               /* DEL in target */
        {"GET / HTTP/1.1\rX", 400},                                    /* CR without LF */
        {"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n", 400},
        {"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5,5\r\n\r\n", 400},
        {"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n", 400},
        {"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999999999999\r\n\r\n", 400},
        {"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n", 501},
        {"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: "
         "3\r\n\r\n",
         400},
        {"POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", 400},
        {"GET / HTTP/1.1\r\n\r\n", 400}, /* no Host */
        {"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400},
        {"GET / HTTP/1.1\r\nHost: a\r\nExpect: something\r\n\r\n", 417},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        CHECK(expect_error(bad[i].req, strlen(bad[i].req), bad[i].status));

    /* header count: 64 is fine, 65 is 431 */
    char buf[4096];
    size_t n = (size_t)snprintf(buf, sizeof(buf), "GET / HTTP/1.1\r\nHost: a\r\n");
    for (int i = 0; i < 63; i++)
        n += (size_t)snprintf(buf + n, sizeof(buf) - n, "X-%d: v\r\n", i);
    memcpy(buf + n, "\r\n", 3);
    http_parsed r;
    CHECK(http_parse_request(buf, n + 2, &r, HTTP_MAX_HEADERS) == (int)(n + 2));
    CHECK(r.num_headers == 64);
    CHECK(http_parse_request(buf, n + 2, &r, 10) == HTTP_PARSE_ERROR && r.error_status == 431);
    n += (size_t)snprintf(buf + n, sizeof(buf) - n, "X-last: v\r\n\r\n");
    CHECK(expect_error(buf, n, 431));

    /* oversized head: the caller bounds the bytes and sees PARTIAL */
    char *big = malloc(20000);
    memcpy(big, "GET / HTTP/1.1\r\nHost: a\r\nX-Big: ", 32);
    memset(big + 32, 'a', 20000 - 32);
    CHECK(http_parse_request(big, 16384, &r, HTTP_MAX_HEADERS) == HTTP_PARSE_PARTIAL);
    free(big);
}

/* Decodes `in` fed in pieces of `step` bytes (through a growing buffer, in
 * place, as the server does). Returns the decoded body or NULL on error. */
static char *decode_steps(const char *in, size_t len, size_t step, size_t *out_len, int *rc_out,
                          size_t *rest)
{
    char *buf = malloc(len + 1);
    size_t have = 0, next = 0, decoded = 0;
    http_chunked d;
    http_chunked_init(&d);
    int rc = 0;
    while (rc == 0 && have < len) {
        size_t add = len - have < step ? len - have : step;
        memcpy(buf + have, in + have, add);
        have += add;
        size_t o, used;
        rc = http_chunked_decode(&d, buf + next, have - next, buf + decoded, &o, &used);
        next += used;
        decoded += o;
    }
    *rc_out = rc;
    *out_len = decoded;
    *rest = len - next;
    if (rc < 0) {
        free(buf);
        return NULL;
    }
    return buf;
}

static void test_chunked(void)
{
    const char *body = "5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\nTrailer: x\r\n\r\nGET";
    size_t len = strlen(body);
    for (size_t step = 1; step <= len; step++) {
        size_t out_len, rest;
        int rc;
        char *out = decode_steps(body, len, step, &out_len, &rc, &rest);
        CHECK(rc == 1 && out && out_len == 11 && memcmp(out, "hello world", 11) == 0);
        CHECK(rest == 3);
        free(out);
    }
    /* every prefix of the complete body needs more, never fails */
    size_t full = len - 3;
    for (size_t k = 0; k < full; k++) {
        size_t out_len, rest;
        int rc;
        char *out = decode_steps(body, k, 1, &out_len, &rc, &rest);
        CHECK(rc == 0);
        free(out);
    }
    const char *big = "1A\r\nabcdefghijklmnopqrstuvwxyz\r\n0\r\n\r\n";
    size_t out_len, rest;
    int rc;
    char *out = decode_steps(big, strlen(big), 7, &out_len, &rc, &rest);
    CHECK(rc == 1 && out_len == 26 && rest == 0);
    free(out);

    static const char *bad[] = {
        "x\r\n",                    /* not hex */
        "5\nhello\r\n0\r\n\r\n",    /* bare LF */
        "5\r\nhelloX\r\n",          /* data longer than the size */
        "5\r\nhello\r\n0\r\n\n",    /* bare LF at the end */
        "1000000000000000\r\n",     /* too large */
        "5;a\x01\r\n",              /* control in extension */
        "0\r\n Trailer: x\r\n\r\n", /* folded trailer */
        "\r\n",                     /* missing size */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        out = decode_steps(bad[i], strlen(bad[i]), 1, &out_len, &rc, &rest);
        CHECK(rc == -1 && out == NULL);
    }
}

static void test_query_param(void)
{
    pst_arena *a = pst_arena_create(1024);
    pst_str q = pst_str_c("query=%7B%20a%20%7D&operationName=&x+y=1+2&flag&variables=%7B%7D");
    pst_str v;
    CHECK(http_query_param(q, "query", a, &v) == PST_OK && pst_str_eq_c(v, "{ a }"));
    CHECK(http_query_param(q, "operationName", a, &v) == PST_OK && v.p && v.n == 0);
    CHECK(http_query_param(q, "x y", a, &v) == PST_OK && pst_str_eq_c(v, "1 2"));
    CHECK(http_query_param(q, "flag", a, &v) == PST_OK && v.n == 0);
    CHECK(http_query_param(q, "variables", a, &v) == PST_OK && pst_str_eq_c(v, "{}"));
    CHECK(http_query_param(q, "missing", a, &v) == PST_DECLINED);
    CHECK(http_query_param(PST_STR_NULL, "query", a, &v) == PST_DECLINED);
    CHECK(http_query_param(pst_str_c("query=%zz"), "query", a, &v) == PST_ERROR);
    CHECK(http_query_param(pst_str_c("query=abc%4"), "query", a, &v) == PST_ERROR);
    CHECK(http_query_param(pst_str_c("query=abc%"), "query", a, &v) == PST_ERROR);
    CHECK(http_query_param(pst_str_c("a=%41%42"), "a", a, &v) == PST_OK && pst_str_eq_c(v, "AB"));
    CHECK(http_query_param_count(pst_str_c("a=1&b=2&a=3"), "a") == 2);
    CHECK(http_query_param_count(pst_str_c("%61=1"), "a") == 1);
    pst_arena_destroy(a);
}

int main(void)
{
    test_valid();
    test_fields();
    test_malformed();
    test_chunked();
    test_query_param();
    TEST_END();
}
