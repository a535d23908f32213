#include "common/arena.h"
#include "common/b64url.h"
#include "common/file.h"
#include "common/mem.h"
#include "common/str.h"
#include "common/units.h"
#include "test.h"

static int cleaned;
static void on_cleanup(void *p)
{
    cleaned += *(int *)p;
}

static void test_arena(void)
{
    pst_arena *a = pst_arena_create(256);
    CHECK(a != NULL);
    char *s = pst_arena_strndup(a, "hello", 5);
    CHECK_STR(s, "hello");
    void *big = pst_arena_alloc(a, 10000); /* larger than a block */
    CHECK(big != NULL);
    CHECK(((uintptr_t)big & 15) == 0);
    static int one = 1, two = 2;
    CHECK(pst_arena_cleanup(a, on_cleanup, &one) == PST_OK);
    CHECK(pst_arena_cleanup(a, on_cleanup, &two) == PST_OK);
    pst_arena_reset(a);
    CHECK(cleaned == 3);
    CHECK(pst_arena_used(a) == 0);
    CHECK(pst_arena_alloc(a, 16) != NULL);
    pst_arena_destroy(a);
    CHECK(cleaned == 3);

    /* every allocation failing in turn leaves NULL, never a crash */
    for (long n = 1; n <= 3; n++) {
        pst_mem_fail_at(n);
        pst_arena *b = pst_arena_create(256);
        if (b) {
            void *p = pst_arena_alloc(b, 100000);
            (void)p;
            pst_arena_destroy(b);
        }
        pst_mem_fail_at(0);
    }
}

static void test_buf(void)
{
    pst_buf b = {0};
    CHECK(pst_buf_append_c(&b, "a") == PST_OK);
    CHECK(pst_buf_append_json_str(&b, "q\"\\\n\x01z", 6) == PST_OK);
    CHECK_STR(pst_buf_cstr(&b), "a\"q\\\"\\\\\\n\\u0001z\"");
    size_t mark = b.len;
    pst_buf_appendf(&b, "%d-%s", 42, "x");
    CHECK_STR(pst_buf_cstr(&b) + mark, "42-x");
    pst_buf_truncate(&b, mark);
    CHECK(b.len == mark);
    pst_mem_fail_at(1);
    char big[5000];
    memset(big, 'x', sizeof(big));
    CHECK(pst_buf_append(&b, big, sizeof(big)) == PST_ERROR);
    CHECK(b.len == mark); /* unchanged on failure */
    pst_mem_fail_at(0);
    pst_buf_reset(&b);
    CHECK(pst_buf_append(&b, big, sizeof(big)) == PST_OK);
    pst_buf_free(&b);
}

static void test_utf8(void)
{
    CHECK(pst_utf8_valid("plain", 5));
    CHECK(pst_utf8_valid("\xc3\xa9\xf0\x9f\x98\x80", 6));
    CHECK(!pst_utf8_valid("\xc3", 1));
    CHECK(!pst_utf8_valid("\xc0\xaf", 2));         /* overlong */
    CHECK(!pst_utf8_valid("\xed\xa0\x80", 3));     /* surrogate */
    CHECK(!pst_utf8_valid("\xf4\x90\x80\x80", 4)); /* above U+10FFFF */
    CHECK(!pst_utf8_valid("\xff", 1));
    CHECK(pst_str_ieq_c(PST_STR_LIT("BeArEr"), "bearer"));
    CHECK(pst_hash("a", 1) != pst_hash("b", 1));
}

static void test_units(void)
{
    int64_t v = -1;
    CHECK(pst_parse_duration_ms(PST_STR_LIT("250ms"), &v) == PST_OK && v == 250);
    CHECK(pst_parse_duration_ms(PST_STR_LIT("2s"), &v) == PST_OK && v == 2000);
    CHECK(pst_parse_duration_ms(PST_STR_LIT("1.5s"), &v) == PST_OK && v == 1500);
    CHECK(pst_parse_duration_ms(PST_STR_LIT("1m"), &v) == PST_OK && v == 60000);
    v = 7;
    CHECK(pst_parse_duration_ms(PST_STR_LIT("10"), &v) == PST_ERROR && v == 7);
    CHECK(pst_parse_duration_ms(PST_STR_LIT("-1s"), &v) == PST_ERROR);
    CHECK(pst_parse_duration_ms(PST_STR_LIT("1.2.3s"), &v) == PST_ERROR);
    CHECK(pst_parse_duration_ms(PST_STR_LIT("s"), &v) == PST_ERROR);
    CHECK(pst_parse_size(PST_STR_LIT("1MiB"), &v) == PST_OK && v == 1048576);
    CHECK(pst_parse_size(PST_STR_LIT("1024"), &v) == PST_OK && v == 1024);
    CHECK(pst_parse_size(PST_STR_LIT("2kB"), &v) == PST_OK && v == 2000);
    CHECK(pst_parse_size(PST_STR_LIT("1.5B"), &v) == PST_ERROR);
    CHECK(pst_parse_size(PST_STR_LIT("3 MiB"), &v) == PST_ERROR);
}

static void test_b64url(void)
{
    /* RFC 4648 test vectors, unpadded, URL alphabet */
    const char *plain[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
    const char *enc[] = {"", "Zg", "Zm8", "Zm9v", "Zm9vYg", "Zm9vYmE", "Zm9vYmFy"};
    for (size_t i = 0; i < 7; i++) {
        pst_buf b = {0};
        CHECK(pst_b64url_append(&b, plain[i], strlen(plain[i])) == PST_OK);
        CHECK_STR(pst_buf_cstr(&b), enc[i]);
        unsigned char out[16];
        long n = pst_b64url_decode(enc[i], strlen(enc[i]), out);
        CHECK(n == (long)strlen(plain[i]) && memcmp(out, plain[i], (size_t)n) == 0);
        pst_buf_free(&b);
    }
    unsigned char bytes[] = {0xfb, 0xff, 0xbe}, out[8];
    pst_buf b = {0};
    pst_b64url_append(&b, bytes, 3);
    CHECK_STR(pst_buf_cstr(&b), "-_--");
    pst_buf_free(&b);
    CHECK(pst_b64url_decode("Zm9v=", 5, out) == -1); /* padding */
    CHECK(pst_b64url_decode("Zm+v", 4, out) == -1);  /* standard alphabet */
    CHECK(pst_b64url_decode("Z", 1, out) == -1);     /* 1 mod 4 */
    CHECK(pst_b64url_decode("Zh", 2, out) == -1);    /* non-zero trailing bits */
}

static void test_file_read(void)
{
    /* tests run from the repository root */
    pst_buf b = {0};
    const char *why = NULL;
    pst_buf_append_c(&b, "x");
    CHECK(pst_file_read("tests/unit/test.h", 1 << 20, &b, &why) == PST_OK);
    CHECK(b.len > 100 && b.p[0] == 'x' && memcmp(b.p + 1, "/* Minimal", 10) == 0);
    size_t len = b.len;
    CHECK(pst_file_read("tests/unit/no-such-file", 1 << 20, &b, &why) == PST_ERROR);
    CHECK_STR(why, "No such file or directory");
    CHECK(pst_file_read("tests/unit", 1 << 20, &b, &why) == PST_ERROR);
    CHECK_STR(why, "not a regular file");
    CHECK(pst_file_read("tests/unit/test.h", 10, &b, &why) == PST_ERROR);
    CHECK_STR(why, "larger than the limit");
    CHECK(b.len == len); /* unchanged after each failure */
    pst_buf_free(&b);
}

int main(void)
{
    test_file_read();
    test_b64url();
    test_units();
    test_arena();
    test_buf();
    test_utf8();
    TEST_END();
}
