#include "common/str.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "common/mem.h"

pst_str pst_str_c(const char *s)
{
    return s ? (pst_str){s, strlen(s)} : (pst_str){"", 0};
}

bool pst_str_eq(pst_str a, pst_str b)
{
    return a.n == b.n && (a.n == 0 || memcmp(a.p, b.p, a.n) == 0);
}

bool pst_str_eq_c(pst_str a, const char *c)
{
    return pst_str_eq(a, pst_str_c(c));
}

bool pst_str_ieq_c(pst_str a, const char *c)
{
    size_t n = strlen(c);
    return a.n == n && (n == 0 || strncasecmp(a.p, c, n) == 0);
}

bool pst_str_has_prefix(pst_str s, const char *prefix)
{
    size_t n = strlen(prefix);
    return s.n >= n && memcmp(s.p, prefix, n) == 0;
}

bool pst_utf8_valid(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s, *end = p + n;
    while (p < end) {
        unsigned c = *p;
        if (c < 0x80) {
            p++;
            continue;
        }
        size_t len;
        unsigned cp;
        if (c >= 0xC2 && c <= 0xDF) {
            len = 2;
            cp = c & 0x1F;
        } else if (c >= 0xE0 && c <= 0xEF) {
            len = 3;
            cp = c & 0x0F;
        } else if (c >= 0xF0 && c <= 0xF4) {
            len = 4;
            cp = c & 0x07;
        } else {
            return false;
        }
        if ((size_t)(end - p) < len)
            return false;
        for (size_t i = 1; i < len; i++) {
            if ((p[i] & 0xC0) != 0x80)
                return false;
            cp = (cp << 6) | (p[i] & 0x3F);
        }
        if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
            (cp >= 0xD800 && cp <= 0xDFFF))
            return false;
        p += len;
    }
    return true;
}

uint64_t pst_hash(const void *data, size_t n)
{
    const unsigned char *p = data;
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 1099511628211ULL;
    }
    return h;
}

void pst_buf_init(pst_buf *b)
{
    memset(b, 0, sizeof(*b));
}

void pst_buf_free(pst_buf *b)
{
    pst_free(b->p);
    memset(b, 0, sizeof(*b));
}

void pst_buf_reset(pst_buf *b)
{
    b->len = 0;
    b->failed = false;
}

pst_status pst_buf_reserve(pst_buf *b, size_t extra)
{
    if (b->failed)
        return PST_ERROR;
    /* keep one spare byte for pst_buf_cstr's NUL */
    if (b->len + extra + 1 <= b->cap && b->len + extra >= b->len)
        return PST_OK;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + extra + 1) {
        if (cap > ((size_t)-1) / 2) {
            b->failed = true;
            return PST_ERROR;
        }
        cap *= 2;
    }
    char *p = pst_realloc(b->p, cap);
    if (!p) {
        b->failed = true;
        return PST_ERROR;
    }
    b->p = p;
    b->cap = cap;
    return PST_OK;
}

pst_status pst_buf_append(pst_buf *b, const void *p, size_t n)
{
    if (pst_buf_reserve(b, n) != PST_OK)
        return PST_ERROR;
    if (n)
        memcpy(b->p + b->len, p, n);
    b->len += n;
    return PST_OK;
}

pst_status pst_buf_append_c(pst_buf *b, const char *s)
{
    return pst_buf_append(b, s, strlen(s));
}

pst_status pst_buf_append_char(pst_buf *b, char c)
{
    return pst_buf_append(b, &c, 1);
}

pst_status pst_buf_appendf(pst_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char tmp[256];
    int n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);
    if (n < 0)
        return PST_ERROR;
    if ((size_t)n < sizeof(tmp))
        return pst_buf_append(b, tmp, (size_t)n);
    if (pst_buf_reserve(b, (size_t)n + 1) != PST_OK)
        return PST_ERROR;
    va_start(ap, fmt);
    vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return PST_OK;
}

pst_status pst_buf_append_json_str(pst_buf *b, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    size_t start = b->len;
    if (pst_buf_reserve(b, n + 2) != PST_OK)
        return PST_ERROR;
    b->p[b->len++] = '"';
    size_t run = 0; /* bytes copied as they are, appended in one go */
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        const char *esc = NULL;
        char u[6] = {0};
        switch (c) {
        case '"':
            esc = "\\\"";
            break;
        case '\\':
            esc = "\\\\";
            break;
        case '\n':
            esc = "\\n";
            break;
        case '\r':
            esc = "\\r";
            break;
        case '\t':
            esc = "\\t";
            break;
        case '\b':
            esc = "\\b";
            break;
        case '\f':
            esc = "\\f";
            break;
        default:
            if (c < 0x20) {
                memcpy(u, "\\u00", 4);
                u[4] = hex[c >> 4];
                u[5] = hex[c & 15];
            }
        }
        if (!esc && c >= 0x20)
            continue;
        if (pst_buf_append(b, s + run, i - run) != PST_OK ||
            (esc ? pst_buf_append_c(b, esc) : pst_buf_append(b, u, 6)) != PST_OK) {
            b->failed = false;
            pst_buf_truncate(b, start);
            b->failed = true;
            return PST_ERROR;
        }
        run = i + 1;
    }
    if (pst_buf_append(b, s + run, n - run) != PST_OK || pst_buf_append_char(b, '"') != PST_OK) {
        b->failed = false;
        pst_buf_truncate(b, start);
        b->failed = true;
        return PST_ERROR;
    }
    return PST_OK;
}

void pst_buf_truncate(pst_buf *b, size_t len)
{
    if (len < b->len)
        b->len = len;
}

const char *pst_buf_cstr(pst_buf *b)
{
    if (pst_buf_reserve(b, 0) != PST_OK)
        return NULL;
    b->p[b->len] = '\0';
    return b->p;
}
