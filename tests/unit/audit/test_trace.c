#include "audit/trace.h"
#include "test.h"

static void test_corr(void)
{
    char out[AUDIT_CORR_MAX + 1];
    CHECK(audit_corr_valid(PST_STR_LIT("abc-123_X.y:z")));
    CHECK(!audit_corr_valid(PST_STR_LIT("")));
    CHECK(!audit_corr_valid(PST_STR_LIT("a b")));
    CHECK(!audit_corr_valid(PST_STR_LIT("a/b")));
    char long_id[130];
    memset(long_id, 'a', sizeof(long_id));
    CHECK(audit_corr_valid((pst_str){long_id, 128}));
    CHECK(!audit_corr_valid((pst_str){long_id, 129}));

    CHECK(audit_corr_pick(PST_STR_LIT("client-1"), PST_STR_LIT("req-2"), out) == PST_OK);
    CHECK_STR(out, "client-1");
    CHECK(audit_corr_pick(PST_STR_LIT("bad id"), PST_STR_LIT("req-2"), out) == PST_OK);
    CHECK_STR(out, "req-2");
    CHECK(audit_corr_pick(PST_STR_NULL, PST_STR_LIT("bad\n"), out) == PST_OK);
    CHECK(strlen(out) == 36 && out[14] == '7' && out[8] == '-' && out[23] == '-');
    CHECK(out[19] == '8' || out[19] == '9' || out[19] == 'a' || out[19] == 'b');
    char second[AUDIT_CORR_MAX + 1];
    audit_corr_pick(PST_STR_NULL, PST_STR_NULL, second);
    CHECK(strcmp(out, second) != 0);
    /* UUIDv7 starts with the time: ids made later sort after earlier ones */
    CHECK(strncmp(out, second, 8) <= 0);
}

static void test_traceparent(void)
{
    audit_trace t;
    pst_str good = PST_STR_LIT("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
    CHECK(audit_trace_start(good, &t) == PST_OK);
    CHECK(t.from_client);
    CHECK_STR(t.trace_id, "4bf92f3577b34da6a3ce929d0e0e4736");
    char tp[56];
    CHECK(audit_trace_child(&t, tp) == PST_OK);
    CHECK(strncmp(tp, "00-4bf92f3577b34da6a3ce929d0e0e4736-", 36) == 0);
    CHECK(strcmp(tp + 52, "-01") == 0);
    CHECK(strncmp(tp + 36, "00f067aa0ba902b7", 16) != 0); /* a new span id */

    const char *bad[] = {
        "00-00000000000000000000000000000000-00f067aa0ba902b7-01",   /* zero trace */
        "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",   /* zero span */
        "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",   /* version ff */
        "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",   /* upper case */
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-x", /* v00 extra */
        "00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01",    "garbage",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        CHECK(audit_trace_start(pst_str_c(bad[i]), &t) == PST_OK);
        CHECK(!t.from_client);
        CHECK(strlen(t.trace_id) == 32);
        CHECK(strcmp(t.trace_id, "4bf92f3577b34da6a3ce929d0e0e4736") != 0);
    }
    /* a future version with more fields is read as version 00 */
    CHECK(audit_trace_start(
              PST_STR_LIT("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra"), &t) ==
          PST_OK);
    CHECK(t.from_client);
}

static void test_time(void)
{
    char out[25];
    audit_rfc3339_ms(1764337819123LL, out);
    CHECK_STR(out, "2025-11-28T13:50:19.123Z");
    audit_rfc3339_ms(0, out);
    CHECK_STR(out, "1970-01-01T00:00:00.000Z");
    CHECK(audit_now_ms() > 1700000000000LL);
}

int main(void)
{
    test_corr();
    test_traceparent();
    test_time();
    TEST_END();
}
