/* GraphQL over HTTP request rules: paths, methods, media types, parameters,
 * request errors; plus a round trip through the real server. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "common/mem.h"
#include "http/graphql_http.h"
#include "test.h"

/* A request built by the real parser from raw HTTP text. */
typedef struct {
    http_parsed parsed;
    http_request req;
    pst_arena *arena;
} fixture;

static int load(fixture *f, const char *raw)
{
    size_t len = strlen(raw);
    int head = http_parse_request(raw, len, &f->parsed, HTTP_MAX_HEADERS);
    if (head <= 0) {
        fprintf(stderr, "fixture does not parse: %s\n", raw);
        return -1;
    }
    memset(&f->req, 0, sizeof(f->req));
    f->req.method = f->parsed.method;
    f->req.path = f->parsed.path;
    f->req.query = f->parsed.query;
    f->req.headers = f->parsed.headers;
    f->req.num_headers = f->parsed.num_headers;
    f->req.body = (pst_str){raw + head, len - (size_t)head};
    f->arena = pst_arena_create(1024);
    return 0;
}

/* Parses raw; returns 0 (ok) or the error status. */
static int run(const char *raw, http_gql_params *p, http_gql_error *e, fixture *f)
{
    if (load(f, raw))
        return -1;
    int rc = http_gql_parse(&f->req, f->arena, p, e);
    return rc == 0 ? 0 : e->status;
}

static int status_of(const char *raw)
{
    fixture f;
    http_gql_params p;
    http_gql_error e;
    int st = run(raw, &p, &e, &f);
    pst_arena_destroy(f.arena);
    return st;
}

#define GR "Accept: application/graphql-response+json\r\n"
#define JS "Accept: application/json\r\n"
#define CT "Content-Type: application/json\r\n"

static char *post(const char *accept, const char *ctype, const char *body)
{
    static char buf[4096];
    snprintf(buf, sizeof(buf),
             "POST /graphql HTTP/1.1\r\nHost: t\r\n%s%sContent-Length: %zu\r\n\r\n%s", accept,
             ctype, strlen(body), body);
    return buf;
}

static void test_negotiation(void)
{
    static const struct {
        const char *accept;
        int want; /* -1 none, 0 json, 1 graphql-response+json */
    } cases[] = {
        {NULL, 0},
        {"", 0},
        {"*/*", 0},
        {"application/*", 0},
        {"application/graphql-response+json", 1},
        {"application/json", 0},
        {"APPLICATION/JSON", 0},
        {"application/graphql-response+json, application/json", 1},
        {"application/json, application/graphql-response+json", 1},
        {"application/graphql-response+json; charset=utf-8, application/json; charset=utf-8", 1},
        {"application/json;q=0.9, application/graphql-response+json;q=0.8", 0},
        {"application/graphql-response+json;q=0.5, */*", 0},
        {"application/graphql-response+json, */*;q=0.1", 1},
        {"text/html, application/graphql-response+json;charset=\"UTF-8\"", 1},
        {"application/graphql-response+json;q=0, */*;q=0.1", 0},
        {"text/html", -1},
        {"application/json; charset=latin1", -1},
        {"application/json;q=0", -1},
        {"application/json;q=abc", -1},
        {"application/json;q=1.5", -1},
        {"text/html;q=1, application/json;q=0.001", 0},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        http_gql_media m = HTTP_GQL_MEDIA_JSON;
        int rc = http_gql_negotiate(pst_str_c(cases[i].accept), &m);
        if (cases[i].accept == NULL)
            rc = http_gql_negotiate(PST_STR_NULL, &m);
        int got = rc < 0 ? -1 : (int)m;
        if (got != cases[i].want)
            fprintf(stderr, "Accept %s: got %d want %d\n", cases[i].accept, got, cases[i].want);
        CHECK(got == cases[i].want);
    }
    CHECK(http_gql_status_for_request_error(HTTP_GQL_MEDIA_GRAPHQL_RESPONSE_JSON) == 400);
    CHECK(http_gql_status_for_request_error(HTTP_GQL_MEDIA_JSON) == 200);
    CHECK_STR(http_gql_content_type(HTTP_GQL_MEDIA_JSON), "application/json; charset=utf-8");
}

static void test_routing(void)
{
    CHECK(status_of("GET /other?query=x HTTP/1.1\r\nHost: t\r\n\r\n") == 404);
    CHECK(status_of("GET /graphql/ HTTP/1.1\r\nHost: t\r\n\r\n") == 404);
    fixture f;
    http_gql_params p;
    http_gql_error e;
    CHECK(run("PUT /graphql HTTP/1.1\r\nHost: t\r\n\r\n", &p, &e, &f) == 405);
    CHECK_STR(e.allow, "GET, POST");
    CHECK_STR(e.code, "METHOD_NOT_ALLOWED");
    pst_arena_destroy(f.arena);
    CHECK(status_of("DELETE /graphql HTTP/1.1\r\nHost: t\r\n\r\n") == 405);
    CHECK(status_of("GET /graphql?query=x HTTP/1.1\r\nHost: t\r\nAccept: text/html\r\n\r\n") ==
          406);
    CHECK(status_of(post("Accept: image/png\r\n", CT, "{\"query\":\"{a}\"}")) == 406);
    /* 415 */
    CHECK(status_of(post(GR, "", "{\"query\":\"{a}\"}")) == 415);
    CHECK(status_of(post(GR, "Content-Type: text/plain\r\n", "{\"query\":\"{a}\"}")) == 415);
    CHECK(status_of(post(GR, "Content-Type: application/graphql-response+json\r\n",
                         "{\"query\":\"{a}\"}")) == 415);
    CHECK(status_of(post(GR, "Content-Type: application/json; charset=latin1\r\n",
                         "{\"query\":\"{a}\"}")) == 415);
    CHECK(status_of(post(GR, "Content-Type: application/x-www-form-urlencoded\r\n", "query=x")) ==
          415);
    CHECK(status_of(post(GR, "Content-Type: Application/JSON; charset=UTF-8\r\n",
                         "{\"query\":\"{a}\"}")) == 0);
    CHECK(status_of(post(GR, "Content-Type: application/json;charset=\"utf-8\"\r\n",
                         "{\"query\":\"{a}\"}")) == 0);
}

static void test_post_params(void)
{
    fixture f;
    http_gql_params p;
    http_gql_error e;
    CHECK(run(post(GR, CT,
                   "{\"query\":\"query Q($a: Int) { f(a: $a) }\",\"operationName\":\"Q\","
                   "\"variables\":{\"a\":1},\"extensions\":{\"x\":true},\"other\":1}"),
              &p, &e, &f) == 0);
    CHECK(pst_str_eq_c(p.query, "query Q($a: Int) { f(a: $a) }"));
    CHECK(pst_str_eq_c(p.operation_name, "Q"));
    CHECK(json_is_object(p.variables) &&
          json_integer_value(json_object_get(p.variables, "a")) == 1);
    CHECK(json_is_object(p.extensions));
    CHECK(!p.is_get && p.media == HTTP_GQL_MEDIA_GRAPHQL_RESPONSE_JSON);
    pst_arena_destroy(f.arena); /* releases the JSON (ASan/valgrind would see a leak) */

    CHECK(run(post(JS, CT,
                   "{\"query\":\"{a}\",\"operationName\":null,\"variables\":null,"
                   "\"extensions\":null}"),
              &p, &e, &f) == 0);
    CHECK(p.operation_name.p == NULL && p.variables == NULL && p.extensions == NULL);
    CHECK(p.media == HTTP_GQL_MEDIA_JSON);
    pst_arena_destroy(f.arena);

    static const char *bad[] = {
        "",
        "{ \"not a JSON",
        "NONSENSE",
        "[1]",
        "\"str\"",
        "{\"qeury\":\"{a}\"}",
        "{\"query\":null}",
        "{\"query\":{\"obj\":1}}",
        "{\"query\":0}",
        "{\"query\":false}",
        "{\"query\":[\"array\"]}",
        "{\"query\":\"{a}\",\"operationName\":{}}",
        "{\"query\":\"{a}\",\"operationName\":0}",
        "{\"query\":\"{a}\",\"operationName\":false}",
        "{\"query\":\"{a}\",\"operationName\":[]}",
        "{\"query\":\"{a}\",\"variables\":\"string\"}",
        "{\"query\":\"{a}\",\"variables\":0}",
        "{\"query\":\"{a}\",\"variables\":false}",
        "{\"query\":\"{a}\",\"variables\":[7]}",
        "{\"query\":\"{a}\",\"extensions\":\"string\"}",
        "{\"query\":\"{a}\",\"extensions\":0}",
        "{\"query\":\"{a}\",\"extensions\":[]}",
        "{\"query\":\"{\xff}\"}",
        "{\"query\":\"{a}\",\"query\":\"{b}\"}",
        "{\"query\":\"a\\u0000b\"}",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        int st = run(post(GR, CT, bad[i]), &p, &e, &f);
        if (st != 400)
            fprintf(stderr, "body %s: status %d\n", bad[i], st);
        CHECK(st == 400);
        CHECK_STR(e.code, "BAD_REQUEST");
        CHECK(e.message && e.message[0]);
        CHECK(e.media == HTTP_GQL_MEDIA_GRAPHQL_RESPONSE_JSON);
        pst_arena_destroy(f.arena);
        /* application/json answers request errors with 200 */
        CHECK(run(post(JS, CT, bad[i]), &p, &e, &f) == 200);
        pst_arena_destroy(f.arena);
        CHECK(status_of(post("", CT, bad[i])) == 200);
    }
    /* deep nesting is an error, not a crash */
    char *deep = malloc(200000);
    size_t n = (size_t)sprintf(deep, "{\"query\":\"{a}\",\"variables\":{\"a\":");
    for (int i = 0; i < 50000; i++)
        deep[n++] = '[';
    deep[n] = '\0';
    char *req = malloc(210000);
    sprintf(req, "POST /graphql HTTP/1.1\r\nHost: t\r\n" GR CT "\r\n%s", deep);
    CHECK(status_of(req) == 400);
    free(req);
    free(deep);
}

static void test_get_params(void)
{
    fixture f;
    http_gql_params p;
    http_gql_error e;
    CHECK(run("GET /graphql?query=query%20Type(%24name%3A%20String!)%7B__type(name%3A%24name)%"
              "7Bname%7D%7D&variables=%7B%22name%22%3A%22x%22%7D&operationName=Type&extensions="
              "%7B%7D HTTP/1.1\r\nHost: t\r\n" GR "\r\n",
              &p, &e, &f) == 0);
    CHECK(pst_str_eq_c(p.query, "query Type($name: String!){__type(name:$name){name}}"));
    CHECK(pst_str_eq_c(p.operation_name, "Type"));
    CHECK(json_is_string(json_object_get(p.variables, "name")));
    CHECK(json_is_object(p.extensions));
    CHECK(p.is_get && p.media == HTTP_GQL_MEDIA_GRAPHQL_RESPONSE_JSON);
    pst_arena_destroy(f.arena);

    CHECK(run("GET /graphql?query=%7Ba%7D&operationName=&variables= HTTP/1.1\r\nHost: t\r\n\r\n",
              &p, &e, &f) == 0);
    CHECK(p.operation_name.p == NULL && p.variables == NULL && p.media == HTTP_GQL_MEDIA_JSON);
    pst_arena_destroy(f.arena);
    CHECK(status_of("GET /graphql?query=%7Ba%7D&variables=null HTTP/1.1\r\nHost: t\r\n\r\n") == 0);
    CHECK(status_of("GET /graphql?query=+%7Ba%7D+ HTTP/1.1\r\nHost: t\r\n\r\n") == 0);

    static const char *bad[] = {
        "GET /graphql HTTP/1.1\r\nHost: t\r\n" GR "\r\n",
        "GET /graphql?operationName=x HTTP/1.1\r\nHost: t\r\n" GR "\r\n",
        "GET /graphql?query=%zz HTTP/1.1\r\nHost: t\r\n" GR "\r\n",
        "GET /graphql?query=%FF HTTP/1.1\r\nHost: t\r\n" GR "\r\n",
        "GET /graphql?query=a&query=b HTTP/1.1\r\nHost: t\r\n" GR "\r\n",
        "GET /graphql?query=a&variables=%5B1%5D HTTP/1.1\r\nHost: t\r\n" GR "\r\n",
        "GET /graphql?query=a&variables=nope HTTP/1.1\r\nHost: t\r\n" GR "\r\n",
        "GET /graphql?query=a&extensions=1 HTTP/1.1\r\nHost: t\r\n" GR "\r\n",
        "GET /graphql?query=a&variables=%7B%22a%22%3A1%2C%22a%22%3A2%7D HTTP/1.1\r\nHost: "
        "t\r\n" GR "\r\n",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        int st = status_of(bad[i]);
        if (st != 400)
            fprintf(stderr, "GET %s: status %d\n", bad[i], st);
        CHECK(st == 400);
    }
}

/* Every allocation failure in turn: a 500 or success, never a crash, a
 * leak or a misleading 400. */
static void test_out_of_memory(void)
{
    /* values longer than an arena block, so each one needs a new block */
    static char raw[2048];
    char pad[401];
    memset(pad, '+', 400);
    pad[400] = '\0';
    snprintf(raw, sizeof(raw),
             "GET /graphql?query=%%7Ba%%7D%s&operationName=Op%s&variables=%%7B%%22a%%22%%3A1%%7D%s "
             "HTTP/1.1\r\nHost: t\r\n\r\n",
             pad, pad, pad);
    int ok = 0, oom = 0;
    for (long n = 1; n <= 20; n++) {
        fixture f;
        http_gql_params p;
        http_gql_error e;
        if (load(&f, raw))
            break;
        pst_arena_destroy(f.arena);
        f.arena = pst_arena_create(256);
        pst_mem_fail_at(n);
        int rc = http_gql_parse(&f.req, f.arena, &p, &e);
        pst_mem_fail_at(0);
        if (rc == 0)
            ok++;
        else if (e.status == 500)
            oom++;
        else
            CHECK(!"unexpected status under allocation failure");
        pst_arena_destroy(f.arena);
    }
    CHECK(ok > 0 && oom > 0);
    CHECK(http_form_valid(pst_str_c("a=%41&b=+")) && !http_form_valid(pst_str_c("a=%4")));
}

static void test_helpers(void)
{
    pst_buf b = {0};
    CHECK(http_gql_error_body(&b, "bad \"x\"", "BAD_REQUEST") == PST_OK);
    CHECK_STR(
        pst_buf_cstr(&b),
        "{\"errors\":[{\"message\":\"bad \\\"x\\\"\",\"extensions\":{\"code\":\"BAD_REQUEST\"}}]}");
    pst_buf_free(&b);
    http_gql_error e;
    http_gql_method_not_allowed_for_mutation(HTTP_GQL_MEDIA_GRAPHQL_RESPONSE_JSON, &e);
    CHECK(e.status == 405);
    CHECK_STR(e.allow, "POST");
    CHECK(e.media == HTTP_GQL_MEDIA_GRAPHQL_RESPONSE_JSON);
}

/* ---- over the real server ---- */

static void gql_handler(http_request *req, void *ud)
{
    (void)ud;
    http_gql_params p;
    http_gql_error e;
    if (http_gql_parse(req, req->arena, &p, &e)) {
        http_gql_respond_error(req, &e);
        return;
    }
    http_header h = {PST_STR_LIT("Content-Type"), pst_str_c(http_gql_content_type(p.media))};
    http_respond(req, 200, &h, 1, p.query.p, p.query.n);
}

static int exchange(int port, const char *raw, char *out, size_t cap)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct timeval tv = {5, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        close(fd);
        return -1;
    }
    send(fd, raw, strlen(raw), MSG_NOSIGNAL);
    size_t len = 0;
    ssize_t n;
    while (len + 1 < cap && (n = recv(fd, out + len, cap - 1 - len, 0)) > 0) {
        len += (size_t)n;
        out[len] = '\0';
        char *h = strstr(out, "\r\n\r\n");
        char *cl = strcasestr(out, "Content-Length: ");
        if (h && cl && (size_t)(h + 4 - out) + (size_t)atol(cl + 16) <= len)
            break;
    }
    out[len] = '\0';
    close(fd);
    return atoi(out + 9);
}

static void test_server(void)
{
    http_server_opts o;
    http_server_opts_init(&o);
    o.listen = "127.0.0.1:0";
    o.handler = gql_handler;
    const char *err;
    http_server *s = http_server_start(&o, &err);
    CHECK(s != NULL);
    if (!s)
        return;
    int port = http_server_bound_port(s);
    char out[8192];
    CHECK(exchange(port, "PATCH /graphql HTTP/1.1\r\nHost: t\r\n\r\n", out, sizeof(out)) == 405);
    CHECK(strstr(out, "\r\nAllow: GET, POST\r\n") != NULL);
    CHECK(strstr(out, "\"code\":\"METHOD_NOT_ALLOWED\"") != NULL);
    CHECK(exchange(port, "GET /nope HTTP/1.1\r\nHost: t\r\n\r\n", out, sizeof(out)) == 404);
    CHECK(strstr(out, "Content-Type: application/json; charset=utf-8") != NULL);
    CHECK(exchange(port, post(GR, "Content-Type: text/plain\r\n", "x"), out, sizeof(out)) == 415);
    CHECK(exchange(port, post(GR, CT, "{\"qeury\":1}"), out, sizeof(out)) == 400);
    CHECK(strstr(out, "Content-Type: application/graphql-response+json; charset=utf-8") != NULL);
    CHECK(strstr(out, "\"errors\"") != NULL && strstr(out, "\"data\"") == NULL);
    CHECK(exchange(port, post(JS, CT, "{\"qeury\":1}"), out, sizeof(out)) == 200);
    CHECK(strstr(out, "\"errors\"") != NULL);
    CHECK(exchange(port,
                   "GET /graphql?query=%7B__typename%7D HTTP/1.1\r\nHost: t\r\nAccept: "
                   "application/graphql-response+json\r\n\r\n",
                   out, sizeof(out)) == 200);
    CHECK(strstr(out, "\r\n\r\n{__typename}") != NULL);
    http_server_stop(s, 1000);
    http_server_free(s);
}

int main(void)
{
    test_negotiation();
    test_routing();
    test_post_params();
    test_get_params();
    test_helpers();
    test_out_of_memory();
    test_server();
    TEST_END();
}
