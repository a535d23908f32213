#include "audit/trace.h"

#include <openssl/rand.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static const char hexdig[] = "0123456789abcdef";

static void to_hex(const unsigned char *in, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = hexdig[in[i] >> 4];
        out[2 * i + 1] = hexdig[in[i] & 15];
    }
    out[2 * n] = '\0';
}

static bool is_lower_hex(const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!((p[i] >= '0' && p[i] <= '9') || (p[i] >= 'a' && p[i] <= 'f')))
            return false;
    return true;
}

static bool all_zero(const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != '0')
            return false;
    return true;
}

bool audit_corr_valid(pst_str s)
{
    if (s.n < 1 || s.n > AUDIT_CORR_MAX)
        return false;
    for (size_t i = 0; i < s.n; i++) {
        char c = s.p[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == ':' || c == '-'))
            return false;
    }
    return true;
}

int64_t audit_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

pst_status audit_uuid7(char out[AUDIT_UUID_LEN + 1])
{
    unsigned char b[16];
    if (RAND_bytes(b + 6, 10) != 1)
        return PST_ERROR;
    uint64_t ms = (uint64_t)audit_now_ms();
    for (int i = 0; i < 6; i++)
        b[i] = (unsigned char)(ms >> (40 - 8 * i));
    b[6] = (unsigned char)(0x70 | (b[6] & 0x0F)); /* version 7 */
    b[8] = (unsigned char)(0x80 | (b[8] & 0x3F)); /* variant 10 */
    char hex[33];
    to_hex(b, 16, hex);
    memcpy(out, hex, 8);
    out[8] = '-';
    memcpy(out + 9, hex + 8, 4);
    out[13] = '-';
    memcpy(out + 14, hex + 12, 4);
    out[18] = '-';
    memcpy(out + 19, hex + 16, 4);
    out[23] = '-';
    memcpy(out + 24, hex + 20, 12);
    out[36] = '\0';
    return PST_OK;
}

pst_status audit_corr_pick(pst_str xcid, pst_str xrid, char out[AUDIT_CORR_MAX + 1])
{
    pst_str pick = audit_corr_valid(xcid) ? xcid : audit_corr_valid(xrid) ? xrid : PST_STR_NULL;
    if (pick.n) {
        memcpy(out, pick.p, pick.n);
        out[pick.n] = '\0';
        return PST_OK;
    }
    return audit_uuid7(out);
}

/* W3C Trace Context level 1: version-traceid-parentid-flags; a version
 * above 00 may carry more fields after a '-'; ff is invalid. */
static bool parse_traceparent(pst_str s, audit_trace *t)
{
    if (s.n < 55 || !is_lower_hex(s.p, 2) || memcmp(s.p, "ff", 2) == 0)
        return false;
    bool v00 = memcmp(s.p, "00", 2) == 0;
    if ((v00 && s.n != 55) || (!v00 && s.n > 55 && s.p[55] != '-'))
        return false;
    if (s.p[2] != '-' || s.p[35] != '-' || s.p[52] != '-')
        return false;
    if (!is_lower_hex(s.p + 3, 32) || !is_lower_hex(s.p + 36, 16) || !is_lower_hex(s.p + 53, 2))
        return false;
    if (all_zero(s.p + 3, 32) || all_zero(s.p + 36, 16))
        return false;
    memcpy(t->trace_id, s.p + 3, 32);
    t->trace_id[32] = '\0';
    memcpy(t->flags, s.p + 53, 2);
    t->flags[2] = '\0';
    return true;
}

pst_status audit_trace_start(pst_str traceparent, audit_trace *t)
{
    if (traceparent.n && parse_traceparent(traceparent, t)) {
        t->from_client = true;
        return PST_OK;
    }
    unsigned char id[16];
    if (RAND_bytes(id, sizeof(id)) != 1)
        return PST_ERROR;
    id[15] |= 1; /* an all-zero trace id is invalid */
    to_hex(id, 16, t->trace_id);
    memcpy(t->flags, "01", 3);
    t->from_client = false;
    return PST_OK;
}

pst_status audit_trace_child(const audit_trace *t, char out[56])
{
    unsigned char span[8];
    if (RAND_bytes(span, sizeof(span)) != 1)
        return PST_ERROR;
    span[0] |= 1; /* a span id of all zeros is invalid */
    char hex[17];
    to_hex(span, 8, hex);
    memcpy(out, "00-", 3);
    memcpy(out + 3, t->trace_id, 32);
    out[35] = '-';
    memcpy(out + 36, hex, 16);
    out[52] = '-';
    memcpy(out + 53, t->flags, 2);
    out[55] = '\0';
    return PST_OK;
}

void audit_rfc3339_ms(int64_t ms, char out[25])
{
    time_t sec = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&sec, &tm);
    size_t k = strftime(out, 25, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out + k, 25 - k, ".%03dZ", (int)(ms % 1000));
}
