#include "http/parser.h"

#include <string.h>

/* RFC 9110 tchar: "!#$%&'*+-.^_`|~" DIGIT ALPHA */
static const unsigned char tchar[256] = {
    ['!'] = 1, ['#'] = 1, ['$'] = 1, ['%'] = 1, ['&'] = 1, ['\''] = 1, ['*'] = 1, ['+'] = 1,
    ['-'] = 1, ['.'] = 1, ['^'] = 1, ['_'] = 1, ['`'] = 1, ['|'] = 1,  ['~'] = 1, ['0'] = 1,
    ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1, ['5'] = 1, ['6'] = 1,  ['7'] = 1, ['8'] = 1,
    ['9'] = 1, ['A'] = 1, ['B'] = 1, ['C'] = 1, ['D'] = 1, ['E'] = 1,  ['F'] = 1, ['G'] = 1,
    ['H'] = 1, ['I'] = 1, ['J'] = 1, ['K'] = 1, ['L'] = 1, ['M'] = 1,  ['N'] = 1, ['O'] = 1,
    ['P'] = 1, ['Q'] = 1, ['R'] = 1, ['S'] = 1, ['T'] = 1, ['U'] = 1,  ['V'] = 1, ['W'] = 1,
    ['X'] = 1, ['Y'] = 1, ['Z'] = 1, ['a'] = 1, ['b'] = 1, ['c'] = 1,  ['d'] = 1, ['e'] = 1,
    ['f'] = 1, ['g'] = 1, ['h'] = 1, ['i'] = 1, ['j'] = 1, ['k'] = 1,  ['l'] = 1, ['m'] = 1,
    ['n'] = 1, ['o'] = 1, ['p'] = 1, ['q'] = 1, ['r'] = 1, ['s'] = 1,  ['t'] = 1, ['u'] = 1,
    ['v'] = 1, ['w'] = 1, ['x'] = 1, ['y'] = 1, ['z'] = 1,
};

/* field-value bytes: HTAB, SP, VCHAR, obs-text */
static inline bool is_field_byte(unsigned char c)
{
    return c == '\t' || (c >= 0x20 && c != 0x7f);
}

static int fail(http_parsed *out, int status, const char *why)
{
    out->error = why;
    out->error_status = status;
    return HTTP_PARSE_ERROR;
}

/* Advances *pp past "\r\n". 0 done, PARTIAL, or ERROR (bare CR/LF). */
static int expect_crlf(const char **pp, const char *end, http_parsed *out)
{
    const char *p = *pp;
    if (p == end)
        return HTTP_PARSE_PARTIAL;
    if (*p != '\r')
        return fail(out, 400, *p == '\n' ? "bare LF line ending" : "expected CR LF");
    if (++p == end)
        return HTTP_PARSE_PARTIAL;
    if (*p != '\n')
        return fail(out, 400, "CR without LF");
    *pp = p + 1;
    return 0;
}

static int parse_request_line(const char **pp, const char *end, http_parsed *out)
{
    const char *p = *pp;
    /* leading empty lines (RFC 9112 §2.2) */
    for (;;) {
        if (p == end)
            return HTTP_PARSE_PARTIAL;
        if (*p != '\r' && *p != '\n')
            break;
        int rc = expect_crlf(&p, end, out);
        if (rc)
            return rc;
    }
    const char *m = p;
    while (p < end && tchar[(unsigned char)*p])
        p++;
    if (p == end)
        return HTTP_PARSE_PARTIAL;
    if (*p != ' ' || p == m)
        return fail(out, 400, "invalid method");
    out->method = (pst_str){m, (size_t)(p - m)};
    const char *t = ++p;
    while (p < end && (unsigned char)*p > 0x20 && (unsigned char)*p < 0x7f && *p != '#')
        p++;
    if (p == end)
        return HTTP_PARSE_PARTIAL;
    if (*p != ' ' || p == t)
        return fail(out, 400, "invalid request target");
    out->target = (pst_str){t, (size_t)(p - t)};
    const char *q = memchr(t, '?', out->target.n);
    out->path = (pst_str){t, q ? (size_t)(q - t) : out->target.n};
    out->query = q ? (pst_str){q + 1, (size_t)(p - q - 1)} : PST_STR_NULL;
    p++;
    static const char proto[] = "HTTP/";
    for (size_t i = 0; i < 5; i++, p++) {
        if (p == end)
            return HTTP_PARSE_PARTIAL;
        if (*p != proto[i])
            return fail(out, 400, "invalid HTTP version");
    }
    if (p == end)
        return HTTP_PARSE_PARTIAL;
    if (*p != '1')
        return *p >= '0' && *p <= '9' ? fail(out, 505, "unsupported HTTP version")
                                      : fail(out, 400, "invalid HTTP version");
    if (++p == end)
        return HTTP_PARSE_PARTIAL;
    if (*p != '.')
        return fail(out, 400, "invalid HTTP version");
    if (++p == end)
        return HTTP_PARSE_PARTIAL;
    if (*p < '0' || *p > '9')
        return fail(out, 400, "invalid HTTP version");
    out->minor_version = *p - '0';
    p++;
    int rc = expect_crlf(&p, end, out);
    if (rc)
        return rc;
    *pp = p;
    return 0;
}

/* Parses one header line at *pp. Returns 0 (a header stored), 1 (the empty
 * line ending the head was read), PARTIAL or ERROR. */
static int parse_header_line(const char **pp, const char *end, http_parsed *out, size_t max_headers)
{
    const char *p = *pp;
    if (p == end)
        return HTTP_PARSE_PARTIAL;
    if (*p == '\r' || *p == '\n') {
        int rc = expect_crlf(&p, end, out);
        if (rc)
            return rc;
        *pp = p;
        return 1;
    }
    if (*p == ' ' || *p == '\t')
        return fail(out, 400, "obsolete header line folding");
    const char *n = p;
    while (p < end && tchar[(unsigned char)*p])
        p++;
    if (p == end)
        return HTTP_PARSE_PARTIAL;
    if (*p != ':')
        return fail(out, 400,
                    p == n || *p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'
                        ? "malformed header line"
                        : "invalid header name");
    if (p == n)
        return fail(out, 400, "empty header name");
    if (out->num_headers >= max_headers)
        return fail(out, 431, "too many headers");
    http_header *h = &out->headers[out->num_headers];
    h->name = (pst_str){n, (size_t)(p - n)};
    p++;
    while (p < end && (*p == ' ' || *p == '\t'))
        p++;
    const char *v = p;
    while (p < end && *p != '\r' && is_field_byte((unsigned char)*p))
        p++;
    if (p == end)
        return HTTP_PARSE_PARTIAL;
    if (*p != '\r')
        return fail(out, 400, *p == '\n' ? "bare LF line ending" : "invalid header value");
    const char *ve = p;
    while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t'))
        ve--;
    h->value = (pst_str){v, (size_t)(ve - v)};
    int rc = expect_crlf(&p, end, out);
    if (rc)
        return rc;
    out->num_headers++;
    *pp = p;
    return 0;
}

/* Case-insensitive search of a comma-separated token list. */
static bool list_has_token(pst_str v, const char *tok)
{
    size_t i = 0;
    while (i < v.n) {
        while (i < v.n && (v.p[i] == ' ' || v.p[i] == '\t' || v.p[i] == ','))
            i++;
        size_t s = i;
        while (i < v.n && v.p[i] != ',')
            i++;
        size_t e = i;
        while (e > s && (v.p[e - 1] == ' ' || v.p[e - 1] == '\t'))
            e--;
        if (e > s && pst_str_ieq_c((pst_str){v.p + s, e - s}, tok))
            return true;
    }
    return false;
}

static int parse_content_length(pst_str v, int64_t *out)
{
    if (v.n == 0 || v.n > 18)
        return -1;
    int64_t n = 0;
    for (size_t i = 0; i < v.n; i++) {
        if (v.p[i] < '0' || v.p[i] > '9')
            return -1;
        n = n * 10 + (v.p[i] - '0');
    }
    *out = n;
    return 0;
}

/* Framing and connection semantics of a complete head (RFC 9112 §6, §9). */
static int analyse_head(http_parsed *out)
{
    bool close = false, keep = false;
    size_t te_count = 0, host_count = 0;
    pst_str te = PST_STR_NULL;
    for (size_t i = 0; i < out->num_headers; i++) {
        const http_header *h = &out->headers[i];
        if (pst_str_ieq_c(h->name, "content-length")) {
            int64_t n;
            if (parse_content_length(h->value, &n))
                return fail(out, 400, "invalid Content-Length");
            if (out->content_length >= 0 && out->content_length != n)
                return fail(out, 400, "conflicting Content-Length headers");
            out->content_length = n;
        } else if (pst_str_ieq_c(h->name, "transfer-encoding")) {
            te_count++;
            te = h->value;
        } else if (pst_str_ieq_c(h->name, "connection")) {
            close |= list_has_token(h->value, "close");
            keep |= list_has_token(h->value, "keep-alive");
        } else if (pst_str_ieq_c(h->name, "host")) {
            host_count++;
        } else if (pst_str_ieq_c(h->name, "expect") && out->minor_version >= 1) {
            if (!pst_str_ieq_c(h->value, "100-continue"))
                return fail(out, 417, "unsupported expectation");
            out->expect_continue = true;
        }
    }
    if (te_count) {
        if (out->minor_version == 0)
            return fail(out, 400, "Transfer-Encoding in an HTTP/1.0 request");
        if (te_count > 1 || !pst_str_ieq_c(te, "chunked"))
            return fail(out, 501, "unsupported Transfer-Encoding");
        if (out->content_length >= 0)
            return fail(out, 400, "both Content-Length and Transfer-Encoding");
        out->chunked = true;
    }
    if (out->minor_version >= 1 && host_count != 1)
        return fail(out, 400, host_count ? "more than one Host header" : "missing Host header");
    out->keep_alive = !close && (out->minor_version >= 1 || keep);
    return 0;
}

int http_parse_request(const char *buf, size_t len, http_parsed *out, size_t max_headers)
{
    const char *p = buf, *end = buf + len;
    if (max_headers > HTTP_MAX_HEADERS)
        max_headers = HTTP_MAX_HEADERS;
    out->num_headers = 0;
    out->content_length = -1;
    out->chunked = out->keep_alive = out->expect_continue = false;
    out->error = NULL;
    out->error_status = 0;
    int rc = parse_request_line(&p, end, out);
    if (rc)
        return rc;
    for (;;) {
        rc = parse_header_line(&p, end, out, max_headers);
        if (rc < 0)
            return rc;
        if (rc == 1)
            break;
    }
    if (analyse_head(out))
        return HTTP_PARSE_ERROR;
    return (int)(p - buf);
}

pst_str http_parsed_header(const http_parsed *r, const char *name)
{
    for (size_t i = 0; i < r->num_headers; i++)
        if (pst_str_ieq_c(r->headers[i].name, name))
            return r->headers[i].value;
    return PST_STR_NULL;
}

/* ---- chunked bodies ---- */

enum {
    CH_SIZE = 0, /* first hex digit of a size line */
    CH_SIZE_MORE,
    CH_EXT,
    CH_SIZE_LF,
    CH_DATA,
    CH_DATA_CR,
    CH_DATA_LF,
    CH_TRAILER_START,
    CH_TRAILER_LINE,
    CH_TRAILER_LF,
    CH_END_LF,
    CH_DONE,
    CH_FAILED,
};

#define CH_MAX_DIGITS 15 /* 2^60 */
#define CH_MAX_EXT 4096
#define CH_MAX_TRAILERS 8192

void http_chunked_init(http_chunked *d)
{
    memset(d, 0, sizeof(*d));
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static int ch_fail(http_chunked *d, const char *why)
{
    d->state = CH_FAILED;
    d->error = why;
    return -1;
}

/* One byte of framing (every state except CH_DATA). 0 ok, 1 done, -1 error. */
static int ch_step(http_chunked *d, char c)
{
    int h;
    switch (d->state) {
    case CH_SIZE:
    case CH_SIZE_MORE:
        if ((h = hexval(c)) >= 0) {
            if (++d->digits > CH_MAX_DIGITS)
                return ch_fail(d, "chunk size too large");
            d->remaining = d->remaining * 16 + (uint64_t)h;
            d->state = CH_SIZE_MORE;
            return 0;
        }
        if (d->state == CH_SIZE)
            return ch_fail(d, "invalid chunk size");
        if (c == ';' || c == ' ' || c == '\t') {
            d->state = CH_EXT;
            d->line_bytes = 0;
            return 0;
        }
        if (c == '\r') {
            d->state = CH_SIZE_LF;
            return 0;
        }
        return ch_fail(d, "invalid chunk size");
    case CH_EXT:
        if (c == '\r') {
            d->state = CH_SIZE_LF;
            return 0;
        }
        if ((c != '\t' && (unsigned char)c < 0x20) || c == 0x7f)
            return ch_fail(d, "invalid chunk extension");
        if (++d->line_bytes > CH_MAX_EXT)
            return ch_fail(d, "chunk extension too long");
        return 0;
    case CH_SIZE_LF:
        if (c != '\n')
            return ch_fail(d, "CR without LF in chunk size line");
        d->state = d->remaining ? CH_DATA : CH_TRAILER_START;
        return 0;
    case CH_DATA_CR:
        if (c != '\r')
            return ch_fail(d, "chunk data not followed by CR LF");
        d->state = CH_DATA_LF;
        return 0;
    case CH_DATA_LF:
        if (c != '\n')
            return ch_fail(d, "chunk data not followed by CR LF");
        d->state = CH_SIZE;
        d->digits = 0;
        d->remaining = 0;
        return 0;
    case CH_TRAILER_START:
        if (c == '\r') {
            d->state = CH_END_LF;
            return 0;
        }
        if (!tchar[(unsigned char)c])
            return ch_fail(d, "invalid trailer field");
        d->state = CH_TRAILER_LINE;
        /* count the byte as part of the line */
        __attribute__((fallthrough));
    case CH_TRAILER_LINE:
        if (c == '\r') {
            d->state = CH_TRAILER_LF;
            return 0;
        }
        if (!is_field_byte((unsigned char)c))
            return ch_fail(d, "invalid trailer field");
        if (++d->trailer_bytes > CH_MAX_TRAILERS)
            return ch_fail(d, "trailers too large");
        return 0;
    case CH_TRAILER_LF:
        if (c != '\n')
            return ch_fail(d, "CR without LF in trailer");
        d->state = CH_TRAILER_START;
        return 0;
    case CH_END_LF:
        if (c != '\n')
            return ch_fail(d, "CR without LF after last chunk");
        d->state = CH_DONE;
        return 1;
    default:
        return ch_fail(d, "chunked decoder misuse");
    }
}

int http_chunked_decode(http_chunked *d, const char *in, size_t len, char *out, size_t *out_len,
                        size_t *consumed)
{
    size_t i = 0, o = 0;
    int rc = 0;
    *out_len = 0;
    *consumed = 0;
    if (d->state == CH_DONE)
        return 1;
    if (d->state == CH_FAILED)
        return -1;
    while (i < len) {
        if (d->state == CH_DATA) {
            size_t n = len - i;
            if (n > d->remaining)
                n = (size_t)d->remaining;
            if (out + o != in + i)
                memmove(out + o, in + i, n);
            o += n;
            i += n;
            d->remaining -= n;
            if (d->remaining == 0)
                d->state = CH_DATA_CR;
            continue;
        }
        rc = ch_step(d, in[i++]);
        if (rc)
            break;
    }
    *out_len = o;
    *consumed = i;
    return rc;
}

/* ---- query strings ---- */

/* Decodes one %XX or '+' at s[*i] (advancing *i); -1 on a bad escape. */
static int form_byte(pst_str s, size_t *i)
{
    char c = s.p[*i];
    if (c == '+') {
        (*i)++;
        return ' ';
    }
    if (c != '%') {
        (*i)++;
        return (unsigned char)c;
    }
    if (*i + 2 >= s.n)
        return -1;
    int hi = hexval(s.p[*i + 1]), lo = hexval(s.p[*i + 2]);
    if (hi < 0 || lo < 0)
        return -1;
    *i += 3;
    return hi * 16 + lo;
}

/* Compares the encoded name with a plain one. */
static bool form_name_eq(pst_str enc, const char *name)
{
    size_t i = 0, j = 0;
    while (i < enc.n) {
        int c = form_byte(enc, &i);
        if (c < 0 || name[j] == '\0' || (unsigned char)name[j] != c)
            return false;
        j++;
    }
    return name[j] == '\0';
}

/* Splits the next "name[=value]" pair off *q; false at the end. */
static bool next_pair(pst_str *q, pst_str *name, pst_str *value, bool *has_value)
{
    while (q->n && q->p[0] == '&') {
        q->p++;
        q->n--;
    }
    if (!q->n)
        return false;
    const char *amp = memchr(q->p, '&', q->n);
    size_t len = amp ? (size_t)(amp - q->p) : q->n;
    pst_str pair = {q->p, len};
    q->p += len;
    q->n -= len;
    const char *eq = memchr(pair.p, '=', pair.n);
    *has_value = eq != NULL;
    *name = (pst_str){pair.p, eq ? (size_t)(eq - pair.p) : pair.n};
    *value = eq ? (pst_str){eq + 1, pair.n - name->n - 1} : (pst_str){pair.p + pair.n, 0};
    return true;
}

pst_status http_query_param(pst_str query, const char *name, pst_arena *a, pst_str *out)
{
    pst_str n, v;
    bool has_value;
    while (query.p && next_pair(&query, &n, &v, &has_value)) {
        if (!form_name_eq(n, name))
            continue;
        char *dst = pst_arena_alloc(a, v.n + 1);
        if (!dst)
            return PST_ERROR;
        size_t i = 0, o = 0;
        while (i < v.n) {
            int c = form_byte(v, &i);
            if (c < 0)
                return PST_ERROR;
            dst[o++] = (char)c;
        }
        dst[o] = '\0';
        *out = (pst_str){dst, o};
        return PST_OK;
    }
    return PST_DECLINED;
}

bool http_form_valid(pst_str s)
{
    size_t i = 0;
    while (i < s.n)
        if (form_byte(s, &i) < 0)
            return false;
    return true;
}

size_t http_query_param_count(pst_str query, const char *name)
{
    pst_str n, v;
    bool has_value;
    size_t count = 0;
    while (query.p && next_pair(&query, &n, &v, &has_value))
        count += form_name_eq(n, name);
    return count;
}
