/* Subject templates, token safety and NATS subject/pattern rules. */
#include <string.h>

#include "common/arena.h"
#include "common/mem.h"
#include "nats/subject.h"
#include "test.h"

static pst_arena *arena;

static nats_template *compile(const char *text)
{
    const char *err = NULL;
    nats_template *t = nats_template_compile(arena, text, &err);
    if (!t)
        fprintf(stderr, "  compile(%s): %s\n", text, err);
    return t;
}

static const char *compile_error(const char *text)
{
    const char *err = NULL;
    return nats_template_compile(arena, text, &err) ? NULL : err;
}

/* Renders with args/claims given as JSON text; returns the subject or NULL. */
static char rendered[1024];
static nats_render_error why;
static const char *render(const char *tpl, const char *args, const char *claims)
{
    nats_template *t = compile(tpl);
    if (!t)
        return NULL;
    json_t *a = args ? json_loads(args, JSON_DECODE_ANY, NULL) : NULL;
    json_t *c = claims ? json_loads(claims, JSON_DECODE_ANY, NULL) : NULL;
    pst_buf b = {0};
    pst_buf_append_c(&b, "PRE:");
    pst_status st = nats_template_render(t, a, c, &b, &why);
    const char *res = NULL;
    if (st == PST_OK) {
        snprintf(rendered, sizeof rendered, "%.*s", (int)(b.len - 4), b.p + 4);
        res = rendered;
    } else {
        /* nothing appended on failure */
        CHECK(b.len == 4 && memcmp(b.p, "PRE:", 4) == 0);
    }
    pst_buf_free(&b);
    json_decref(a);
    json_decref(c);
    return res;
}

static void test_compile(void)
{
    nats_template *t = compile("orders.get.{{ args.id }}");
    CHECK(t && !nats_template_is_pattern(t) && nats_template_uses_args(t));
    CHECK_STR(t ? nats_template_text(t) : NULL, "orders.get.{{ args.id }}");
    CHECK(compile("orders.list") != NULL);
    CHECK(compile("a.{{args.id}}") != NULL);
    CHECK(compile("a.{{  claims.tenant  }}.b") != NULL);
    t = compile("a.{{claims.realm_access.roles}}");
    CHECK(t && !nats_template_uses_args(t));
    CHECK(compile("a.{{args.input.field}}") != NULL);
    CHECK(compile("a.{{claims.https://x/y}}") != NULL);
    CHECK(compile("x{{args.a}}y{{args.b}}.z") != NULL);
    t = compile("orders.updated.*");
    CHECK(t && nats_template_is_pattern(t));
    t = compile("orders.{{args.id}}.>");
    CHECK(t && nats_template_is_pattern(t));

    CHECK(compile_error("") != NULL);
    CHECK(compile_error("a.{{ args.id") != NULL);
    CHECK(compile_error("a.args.id }}") != NULL);
    CHECK(compile_error("a.{{ env.HOME }}") != NULL);
    CHECK(compile_error("a.{{ args }}") != NULL);
    CHECK(compile_error("a.{{ args. }}") != NULL);
    CHECK(compile_error("a.{{ args.1x }}") != NULL);
    CHECK(compile_error("a.{{ args.a..b }}") != NULL);
    CHECK(compile_error("a.{{ args.a-b }}") != NULL);
    CHECK(compile_error("a.{{ args.a b }}") != NULL);
    CHECK(compile_error("a.{{ claims. }}") != NULL);
    CHECK(compile_error("a.{{ claims.a..b }}") != NULL);
    CHECK(compile_error("a.{{ {{args.id}} }}") != NULL);
    CHECK(compile_error("a.{{}}") != NULL);
    CHECK(compile_error("a..{{args.id}}") != NULL);
    CHECK(compile_error(".{{args.id}}") != NULL);
    CHECK(compile_error("{{args.id}}.") != NULL);
    CHECK(compile_error("a b.{{args.id}}") != NULL);
    CHECK(compile_error("a.>.{{args.id}}") != NULL);
    CHECK(compile_error("a*.{{args.id}}") != NULL);
    CHECK(compile_error("caf\xc3\xa9.{{args.id}}") != NULL);
    CHECK(compile_error("a.{{args.a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p.q}}") != NULL);
    const char *e = compile_error("a.{{ env.X }}");
    CHECK(e && strstr(e, "args") != NULL);
}

static void test_render_ok(void)
{
    CHECK_STR(render("orders.get.{{ args.id }}", "{\"id\":\"42\"}", NULL), "orders.get.42");
    CHECK_STR(render("orders.get.{{args.id}}", "{\"id\":42}", NULL), "orders.get.42");
    CHECK_STR(render("o.{{args.id}}", "{\"id\":-7}", NULL), "o.-7");
    CHECK_STR(render("o.{{args.id}}", "{\"id\":42.0}", NULL), "o.42");
    CHECK_STR(render("o.{{args.id}}", "{\"id\":9007199254740993}", NULL), "o.9007199254740993");
    CHECK_STR(render("orders.place.{{ claims.tenant }}", NULL, "{\"tenant\":\"acme\"}"),
              "orders.place.acme");
    CHECK_STR(render("r.{{claims.realm_access.role}}", NULL, "{\"realm_access\":{\"role\":\"x\"}}"),
              "r.x");
    CHECK_STR(render("i.{{args.input.sku}}", "{\"input\":{\"sku\":\"A-1\"}}", NULL), "i.A-1");
    CHECK_STR(render("x{{args.a}}y.{{args.b}}", "{\"a\":\"1\",\"b\":\"2\"}", NULL), "x1y.2");
    CHECK_STR(render("u.{{args.a}}", "{\"a\":\"caf\xc3\xa9\"}", NULL), "u.caf\xc3\xa9");
    CHECK_STR(render("u.{{args.a}}", "{\"a\":\"a$b\"}", NULL), "u.a$b");
    CHECK_STR(render("plain.subject", NULL, NULL), "plain.subject");
    CHECK(why.source == NATS_RENDER_OK);
    CHECK_STR(render("s.{{args.id}}.*", "{\"id\":\"7\"}", NULL), "s.7.*");
    char val[300], args[400];
    memset(val, 'v', 256);
    val[256] = 0;
    snprintf(args, sizeof args, "{\"a\":\"%s\"}", val);
    CHECK(render("t.{{args.a}}", args, NULL) != NULL);
}

static void expect_bad(const char *tpl, const char *args, const char *claims,
                       nats_render_source src, const char *ph)
{
    const char *r = render(tpl, args, claims);
    CHECK(r == NULL);
    if (r)
        fprintf(stderr, "  unexpectedly rendered %s from %s\n", r, args ? args : claims);
    CHECK(why.source == src);
    CHECK_STR(why.placeholder, ph);
    CHECK(why.message != NULL);
}

static void test_render_injection(void)
{
    const char *bad[] = {"\"a.b\"",       "\"*\"",         "\">\"",         "\" \"",
                         "\"\"",          "\"$x\"",        "\"a b\"",       "\"a\\tb\"",
                         "\"a\\nb\"",     "\"a\\rb\"",     "\"a\\u0000b\"", "\"\\u0001\"",
                         "\"a\\u007fb\"", "\"a\\u0085b\"", "\"a\\u00a0b\"", "\"a\\u2028b\"",
                         "\"a\\u3000b\"", "\"a*\"",        "\"x>\"",        "\"orders.>\"",
                         "1.5",           "true",          "null",          "[1]",
                         "{\"x\":1}",     "1e300",         "\"$SYS\"",      "\".\""};
    char args[128];
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        snprintf(args, sizeof args, "{\"id\":%s}", bad[i]);
        expect_bad("orders.get.{{ args.id }}", args, NULL, NATS_RENDER_BAD_ARG, "args.id");
        snprintf(args, sizeof args, "{\"t\":%s}", bad[i]);
        expect_bad("orders.place.{{claims.t}}", NULL, args, NATS_RENDER_BAD_CLAIM, "claims.t");
    }
    /* invalid UTF-8 cannot come through jansson: build the value directly */
    json_t *a = json_object();
    json_object_set_new(a, "id", json_stringn_nocheck("a\xff", 2));
    json_object_set_new(a, "ov", json_stringn_nocheck("\xc0\xae", 2));
    json_object_set_new(a, "sur", json_stringn_nocheck("\xed\xa0\x80", 3));
    const char *names[] = {"id", "ov", "sur"};
    for (int i = 0; i < 3; i++) {
        char tpl[64];
        snprintf(tpl, sizeof tpl, "x.{{args.%s}}", names[i]);
        nats_template *t = compile(tpl);
        pst_buf b = {0};
        CHECK(t && nats_template_render(t, a, NULL, &b, &why) == PST_ERROR);
        CHECK(why.source == NATS_RENDER_BAD_ARG && b.len == 0);
        CHECK(why.message && strstr(why.message, "UTF-8"));
        pst_buf_free(&b);
    }
    json_decref(a);
    /* 257 bytes is one too many */
    char val[300], args2[400];
    memset(val, 'v', 257);
    val[257] = 0;
    snprintf(args2, sizeof args2, "{\"id\":\"%s\"}", val);
    expect_bad("t.{{args.id}}", args2, NULL, NATS_RENDER_BAD_ARG, "args.id");
    CHECK(why.message && strstr(why.message, "256"));
    /* missing values, missing roots, wrong containers */
    expect_bad("t.{{args.id}}", "{}", NULL, NATS_RENDER_BAD_ARG, "args.id");
    expect_bad("t.{{args.id}}", NULL, NULL, NATS_RENDER_BAD_ARG, "args.id");
    expect_bad("t.{{args.in.x}}", "{\"in\":\"s\"}", NULL, NATS_RENDER_BAD_ARG, "args.in.x");
    expect_bad("t.{{claims.tenant}}", "{\"tenant\":\"a\"}", "{}", NATS_RENDER_BAD_CLAIM,
               "claims.tenant");
    expect_bad("t.{{claims.tenant}}", NULL, NULL, NATS_RENDER_BAD_CLAIM, "claims.tenant");
    /* the first bad placeholder is reported; earlier good output is rolled back */
    expect_bad("{{args.a}}.{{claims.b}}", "{\"a\":\"ok\"}", "{\"b\":\"x.y\"}",
               NATS_RENDER_BAD_CLAIM, "claims.b");
    CHECK(why.message && strstr(why.message, "'.'"));
}

static void test_render_nomem(void)
{
    nats_template *t = compile("orders.get.{{args.id}}");
    char big[201];
    memset(big, '7', 200);
    big[200] = 0;
    json_t *a = json_pack("{s:s}", "id", big);
    pst_buf b = {0};
    for (int i = 0; i < 25; i++)
        pst_buf_append_c(&b, "keep"); /* 100 bytes: rendering must grow the buffer */
    pst_mem_fail_at(1);
    pst_status st = nats_template_render(t, a, NULL, &b, &why);
    pst_mem_fail_at(0);
    CHECK(st == PST_ERROR && why.source == NATS_RENDER_NOMEM);
    CHECK(b.len == 100 && memcmp(b.p + 96, "keep", 4) == 0 && !b.failed);
    CHECK(nats_template_render(t, a, NULL, &b, &why) == PST_OK);
    CHECK(b.len == 100 + 11 + 200 && memcmp(b.p + 96, "keeporders.get.777", 18) == 0);
    pst_buf_free(&b);
    json_decref(a);
}

static bool sv(const char *s)
{
    return nats_subject_valid(pst_str_c(s));
}

static bool pv(const char *s)
{
    return nats_pattern_valid(pst_str_c(s));
}

static bool m(const char *p, const char *s)
{
    return nats_subject_match(pst_str_c(p), pst_str_c(s));
}

static void test_validity(void)
{
    CHECK(sv("a") && sv("a.b.c") && sv("orders.get.42") && sv("_INBOX.x.1.2") && sv("$SYS.x"));
    CHECK(!sv("") && !sv(".") && !sv("a.") && !sv(".a") && !sv("a..b"));
    CHECK(!sv("a b") && !sv("a\tb") && !sv("a\nb") && !sv("a\rb") && !sv("a\x7f"));
    CHECK(!sv("*") && !sv("a.*") && !sv(">") && !sv("a.>") && !sv("a*") && !sv("a.b>"));
    CHECK(!nats_subject_valid((pst_str){"a\0b", 3}));
    CHECK(pv("a") && pv("*") && pv(">") && pv("a.*") && pv("a.>") && pv("*.*.>") && pv("a.*.c"));
    CHECK(!pv("") && !pv("a..b") && !pv("a.>.b") && !pv(">.a") && !pv("a*") && !pv("a.*b"));
    CHECK(!pv("a.b>") && !pv("a.>>") && !pv("a. ") && !pv("a.**"));
}

static void test_match(void)
{
    CHECK(m("a.b", "a.b"));
    CHECK(!m("a.b", "a.c") && !m("a.b", "a.b.c") && !m("a.b.c", "a.b"));
    CHECK(!m("a.b", "a.bc") && !m("a.bc", "a.b") && !m("ab", "a"));
    CHECK(m("a.*", "a.b") && !m("a.*", "a") && !m("a.*", "a.b.c"));
    CHECK(m("*.b", "a.b") && m("*.*", "x.y") && !m("*.*", "x"));
    CHECK(m("a.*.c", "a.b.c") && !m("a.*.c", "a.b.d"));
    CHECK(m("a.>", "a.b") && m("a.>", "a.b.c.d") && !m("a.>", "a") && !m("a.>", "b.c"));
    CHECK(m(">", "a") && m(">", "a.b.c"));
    CHECK(m("*.>", "a.b") && !m("*.>", "a"));
    CHECK(m("orders.get.*", "orders.get.42") && !m("orders.get.*", "orders.get"));
    CHECK(!m("orders.get.*", "orders.get.42.x") && !m("orders.get", "orders.getx"));
    /* invalid input never matches */
    CHECK(!m("a..b", "a..b") && !m("a.*", "a.*") && !m("a.>", "a.>") && !m("a*", "a*"));
    CHECK(!m("", "") && !m("a", "") && !m("a.>.b", "a.x.b") && !m("a.b", "a. b"));
}

int main(void)
{
    arena = pst_arena_create(4096);
    test_compile();
    test_render_ok();
    test_render_injection();
    test_render_nomem();
    test_validity();
    test_match();
    pst_arena_destroy(arena);
    TEST_END();
}
