#include "graphql/jsvalue.h"

#include <ctype.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/mem.h"

/* Literals nest at most this deep when printed. */
#define MAX_DEPTH 512

double gql_json_number(const json_t *v)
{
    return json_is_integer(v) ? (double)json_integer_value(v) : json_real_value(v);
}

/* ECMAScript Number::toString from the shortest round-trip digits. */
static void js_format(char *out, bool neg, const char *dg, int k, int n)
{
    char *o = out;
    if (neg)
        *o++ = '-';
    if (k <= n && n <= 21) {
        memcpy(o, dg, k);
        memset(o + k, '0', n - k);
        o += n;
    } else if (0 < n && n <= 21) {
        memcpy(o, dg, n);
        o[n] = '.';
        memcpy(o + n + 1, dg + n, k - n);
        o += k + 1;
    } else if (-6 < n && n <= 0) {
        memcpy(o, "0.", 2);
        memset(o + 2, '0', -n);
        memcpy(o + 2 - n, dg, k);
        o += 2 - n + k;
    } else {
        *o++ = dg[0];
        if (k > 1) {
            *o++ = '.';
            memcpy(o, dg + 1, k - 1);
            o += k - 1;
        }
        o += sprintf(o, "e%c%d", n - 1 >= 0 ? '+' : '-', abs(n - 1));
    }
    *o = '\0';
}

static char *format_integer(long long v, char buf[32])
{
    char tmp[24];
    int n = 0;
    unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
    do
        tmp[n++] = (char)('0' + u % 10);
    while ((u /= 10) > 0);
    char *o = buf;
    if (v < 0)
        *o++ = '-';
    while (n)
        *o++ = tmp[--n];
    *o = '\0';
    return buf;
}

/* The shortest "%.*e" form that reads back as d. For normal numbers at most
 * one 15-digit decimal lies within d's rounding interval, so if 15 digits
 * round-trip their correctly rounded form (zeros stripped) is the shortest;
 * else 16, else 17. Subnormals search every precision. */
static void shortest_digits(double d, char tmp[48])
{
    bool normal = fabs(d) >= DBL_MIN;
    for (int p = normal ? 15 : 1; p <= 17; p++) {
        snprintf(tmp, 48, "%.*e", p - 1, d);
        if (strtod(tmp, NULL) == d)
            return;
    }
}

char *gql_js_number(double d, char buf[32])
{
    if (isnan(d))
        return strcpy(buf, "NaN");
    if (isinf(d))
        return strcpy(buf, d < 0 ? "-Infinity" : "Infinity");
    if (d == 0)
        return strcpy(buf, "0");
    if (d == floor(d) && fabs(d) < 9007199254740992.0)
        return format_integer((long long)d, buf);
    char tmp[48];
    shortest_digits(d, tmp);
    bool neg = tmp[0] == '-';
    char dg[20];
    int k = 0;
    const char *s = tmp + neg;
    for (; *s && *s != 'e'; s++)
        if (isdigit((unsigned char)*s))
            dg[k++] = *s;
    while (k > 1 && dg[k - 1] == '0')
        k--;
    js_format(buf, neg, dg, k, atoi(s + 1) + 1);
    return buf;
}

/* Length of the JS white space or line terminator at s, else 0. */
static size_t js_space(const unsigned char *s, size_t n)
{
    if (n && (s[0] == ' ' || (s[0] >= 9 && s[0] <= 13)))
        return 1;
    if (n >= 2 && s[0] == 0xC2 && s[1] == 0xA0)
        return 2;
    if (n < 3)
        return 0;
    unsigned cp = ((s[0] & 15u) << 12) | ((s[1] & 63u) << 6) | (s[2] & 63u);
    if ((s[0] & 0xF0) != 0xE0)
        return 0;
    bool ws = cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 ||
              cp == 0x202F || cp == 0x205F || cp == 0x3000 || cp == 0xFEFF;
    return ws ? 3 : 0;
}

static bool radix_number(const char *s, size_t n, int radix, double *out)
{
    double v = 0;
    if (n == 0)
        return false;
    for (size_t i = 0; i < n; i++) {
        int c = tolower((unsigned char)s[i]);
        int d = isdigit(c) ? c - '0' : (c >= 'a' && c <= 'f') ? c - 'a' + 10 : 99;
        if (d >= radix)
            return false;
        v = v * radix + d;
    }
    *out = v;
    return true;
}

/* StrDecimalLiteral: [+-] (digits [. digits] | . digits) [e [+-] digits]. */
static bool decimal_literal(const char *s, size_t n)
{
    size_t i = 0, digits = 0;
    if (i < n && (s[i] == '+' || s[i] == '-'))
        i++;
    while (i < n && isdigit((unsigned char)s[i]))
        i++, digits++;
    if (i < n && s[i] == '.')
        for (i++; i < n && isdigit((unsigned char)s[i]); i++)
            digits++;
    if (!digits)
        return false;
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < n && (s[i] == '+' || s[i] == '-'))
            i++;
        size_t e = i;
        while (i < n && isdigit((unsigned char)s[i]))
            i++;
        if (i == e)
            return false;
    }
    return i == n;
}

bool gql_js_string_number(const char *str, size_t n, double *out)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t k;
    while (n && (k = js_space(s, n)) > 0)
        s += k, n -= k;
    while (n) {
        size_t back = 0;
        for (size_t w = 1; w <= 3 && w <= n && !back; w++)
            if (js_space(s + n - w, w) == w)
                back = w;
        if (!back)
            break;
        n -= back;
    }
    const char *p = (const char *)s;
    if (n == 0) {
        *out = 0;
        return true;
    }
    if (n > 2 && p[0] == '0' && strchr("xXoObB", p[1])) {
        int radix = (p[1] | 32) == 'x' ? 16 : (p[1] | 32) == 'o' ? 8 : 2;
        return radix_number(p + 2, n - 2, radix, out);
    }
    size_t sign = (p[0] == '+' || p[0] == '-');
    if (n - sign == 8 && memcmp(p + sign, "Infinity", 8) == 0) {
        *out = p[0] == '-' ? -INFINITY : INFINITY;
        return true;
    }
    if (!decimal_literal(p, n))
        return false;
    char *tmp = pst_malloc(n + 1);
    if (!tmp)
        return false;
    memcpy(tmp, p, n);
    tmp[n] = '\0';
    *out = strtod(tmp, NULL);
    pst_free(tmp);
    return true;
}

/* Canonical array index ("0", "17"; not "017"), as JS orders keys. */
static bool index_key(const char *k, unsigned long *out)
{
    size_t n = strlen(k);
    if (n == 0 || n > 10 || (n > 1 && k[0] == '0'))
        return false;
    unsigned long v = 0;
    for (size_t i = 0; i < n; i++) {
        if (!isdigit((unsigned char)k[i]))
            return false;
        v = v * 10 + (unsigned long)(k[i] - '0');
    }
    *out = v;
    return v < 4294967295UL;
}

static int cmp_index_keys(const void *a, const void *b)
{
    unsigned long x = 0, y = 0;
    index_key(*(const char *const *)a, &x);
    index_key(*(const char *const *)b, &y);
    return x < y ? -1 : x > y;
}

/* The keys of obj in JavaScript's order (indices ascending, then insertion
 * order), in a pst_malloc'd array; NULL when empty or out of memory. */
static const char **js_keys(const json_t *obj, size_t *n)
{
    size_t total = json_object_size(obj), ni = 0, ns = 0;
    unsigned long idx;
    const char *key;
    json_t *val;
    *n = 0;
    const char **keys = total ? pst_malloc(total * sizeof(*keys)) : NULL;
    if (!keys)
        return NULL;
    json_object_foreach((json_t *)obj, key, val)
    {
        if (index_key(key, &idx))
            keys[ni++] = key;
    }
    qsort(keys, ni, sizeof(*keys), cmp_index_keys);
    json_object_foreach((json_t *)obj, key, val)
    {
        if (!index_key(key, &idx))
            keys[ni + ns++] = key;
    }
    *n = ni + ns;
    return keys;
}

static void inspect_value(pst_buf *b, const json_t *v, int depth);

static void inspect_array(pst_buf *b, const json_t *v, int depth)
{
    size_t n = json_array_size(v);
    if (n == 0) {
        pst_buf_append_c(b, "[]");
        return;
    }
    if (depth > 2) {
        pst_buf_append_c(b, "[Array]");
        return;
    }
    pst_buf_append_char(b, '[');
    size_t shown = n < 10 ? n : 10;
    for (size_t i = 0; i < shown; i++) {
        if (i)
            pst_buf_append_c(b, ", ");
        inspect_value(b, json_array_get(v, i), depth);
    }
    if (n - shown == 1)
        pst_buf_append_c(b, ", ... 1 more item");
    else if (n > shown)
        pst_buf_appendf(b, ", ... %zu more items", n - shown);
    pst_buf_append_char(b, ']');
}

static void inspect_object(pst_buf *b, const json_t *v, int depth)
{
    if (json_object_size(v) == 0) {
        pst_buf_append_c(b, "{}");
        return;
    }
    if (depth > 2) {
        pst_buf_append_c(b, "[Object]");
        return;
    }
    size_t n;
    const char **keys = js_keys(v, &n);
    if (!keys) {
        b->failed = true;
        return;
    }
    pst_buf_append_c(b, "{ ");
    for (size_t i = 0; i < n; i++) {
        if (i)
            pst_buf_append_c(b, ", ");
        pst_buf_append_c(b, keys[i]);
        pst_buf_append_c(b, ": ");
        inspect_value(b, json_object_get(v, keys[i]), depth);
    }
    pst_buf_append_c(b, " }");
    pst_free(keys);
}

static void inspect_value(pst_buf *b, const json_t *v, int depth)
{
    char num[32];
    switch (json_typeof(v)) {
    case JSON_STRING:
        pst_buf_append_json_str(b, json_string_value(v), json_string_length(v));
        break;
    case JSON_INTEGER:
    case JSON_REAL:
        pst_buf_append_c(b, gql_js_number(gql_json_number(v), num));
        break;
    case JSON_TRUE:
    case JSON_FALSE:
        pst_buf_append_c(b, json_is_true(v) ? "true" : "false");
        break;
    case JSON_NULL:
        pst_buf_append_c(b, "null");
        break;
    case JSON_ARRAY:
        inspect_array(b, v, depth + 1);
        break;
    case JSON_OBJECT:
        inspect_object(b, v, depth + 1);
        break;
    }
}

pst_status gql_inspect_json(pst_buf *b, const json_t *v)
{
    if (!v)
        return pst_buf_append_c(b, "undefined");
    inspect_value(b, v, 0);
    return b->failed ? PST_ERROR : PST_OK;
}

/* graphql-js printString: controls, '"', '\\' and U+007F..U+009F escaped. */
static void print_string(pst_buf *b, const char *s, size_t n)
{
    static const char *named[32] = {
        [8] = "\\b", [9] = "\\t", [10] = "\\n", [12] = "\\f", [13] = "\\r"};
    const unsigned char *u = (const unsigned char *)s;
    pst_buf_append_char(b, '"');
    for (size_t i = 0; i < n; i++) {
        unsigned c = u[i];
        if (c < 32 && named[c])
            pst_buf_append_c(b, named[c]);
        else if (c < 32 || c == 0x7F)
            pst_buf_appendf(b, "\\u%04X", c);
        else if (c == 0xC2 && i + 1 < n && u[i + 1] >= 0x80 && u[i + 1] <= 0x9F)
            pst_buf_appendf(b, "\\u%04X", u[++i]);
        else if (c == '"' || c == '\\')
            pst_buf_appendf(b, "\\%c", c);
        else
            pst_buf_append_char(b, (char)c);
    }
    pst_buf_append_char(b, '"');
}

static void print_literal(pst_buf *b, const gql_node *v, int depth)
{
    if (depth > MAX_DEPTH) {
        b->failed = true;
        return;
    }
    switch (v->kind) {
    case GQL_INT:
    case GQL_FLOAT:
        pst_buf_append(b, v->str.p, v->str.n);
        break;
    case GQL_STRING:
        print_string(b, v->str.p, v->str.n);
        break;
    case GQL_BOOLEAN:
        pst_buf_append_c(b, (v->flags & GQL_FLAG_TRUE) ? "true" : "false");
        break;
    case GQL_NULL_VALUE:
        pst_buf_append_c(b, "null");
        break;
    case GQL_ENUM:
        pst_buf_append(b, v->name.p, v->name.n);
        break;
    case GQL_VARIABLE:
        pst_buf_append_char(b, '$');
        pst_buf_append(b, v->name.p, v->name.n);
        break;
    case GQL_LIST:
    case GQL_OBJECT:
        pst_buf_append_char(b, v->kind == GQL_LIST ? '[' : '{');
        for (const gql_node *x = v->children; x; x = x->next) {
            if (x != v->children)
                pst_buf_append_c(b, ", ");
            if (v->kind == GQL_OBJECT) {
                pst_buf_append(b, x->name.p, x->name.n);
                pst_buf_append_c(b, ": ");
            }
            print_literal(b, v->kind == GQL_OBJECT ? x->value : x, depth + 1);
        }
        pst_buf_append_char(b, v->kind == GQL_LIST ? ']' : '}');
        break;
    default:
        break;
    }
}

pst_status gql_print_literal(pst_buf *b, const gql_node *v)
{
    print_literal(b, v, 0);
    return b->failed ? PST_ERROR : PST_OK;
}

/* graphql-js LexicalDistance (Damerau-Levenshtein, case changes cost 1);
 * -1 when above threshold. */
static int lexical_distance(pst_str in, pst_str opt, size_t threshold)
{
    if (pst_str_eq(in, opt))
        return 0;
    if (in.n == opt.n) {
        size_t i = 0;
        while (i < in.n && tolower((unsigned char)in.p[i]) == tolower((unsigned char)opt.p[i]))
            i++;
        if (i == in.n)
            return 1;
    }
    pst_str a = opt.n >= in.n ? opt : in, b = opt.n >= in.n ? in : opt;
    if (a.n - b.n > threshold)
        return -1;
    size_t w = b.n + 1;
    int *rows = pst_malloc(3 * w * sizeof(int));
    if (!rows)
        return -1;
    for (size_t j = 0; j <= b.n; j++)
        rows[j] = (int)j;
    for (size_t i = 1; i <= a.n; i++) {
        int *up = rows + ((i - 1) % 3) * w, *cur = rows + (i % 3) * w;
        int smallest = cur[0] = (int)i;
        for (size_t j = 1; j <= b.n; j++) {
            int ai = tolower((unsigned char)a.p[i - 1]), bj = tolower((unsigned char)b.p[j - 1]);
            int cell = up[j] + 1;
            if (cur[j - 1] + 1 < cell)
                cell = cur[j - 1] + 1;
            if (up[j - 1] + (ai != bj) < cell)
                cell = up[j - 1] + (ai != bj);
            if (i > 1 && j > 1 && ai == tolower((unsigned char)b.p[j - 2]) &&
                tolower((unsigned char)a.p[i - 2]) == bj &&
                rows[((i - 2) % 3) * w + j - 2] + 1 < cell)
                cell = rows[((i - 2) % 3) * w + j - 2] + 1;
            if (cell < smallest)
                smallest = cell;
            cur[j] = cell;
        }
        if ((size_t)smallest > threshold) {
            pst_free(rows);
            return -1;
        }
    }
    int d = rows[(a.n % 3) * w + b.n];
    pst_free(rows);
    return (size_t)d <= threshold ? d : -1;
}

/* graphql-js naturalCompare: digit runs compare as numbers. */
static int natural_compare(pst_str a, pst_str b)
{
    size_t i = 0, j = 0;
    while (i < a.n && j < b.n) {
        unsigned char x = (unsigned char)a.p[i], y = (unsigned char)b.p[j];
        if (isdigit(x) && isdigit(y)) {
            unsigned long long na = 0, nb = 0;
            do
                na = na * 10 + (unsigned)(a.p[i++] - '0');
            while (i < a.n && isdigit((unsigned char)a.p[i]) && na > 0);
            do
                nb = nb * 10 + (unsigned)(b.p[j++] - '0');
            while (j < b.n && isdigit((unsigned char)b.p[j]) && nb > 0);
            if (na != nb)
                return na < nb ? -1 : 1;
        } else {
            if (x != y)
                return x < y ? -1 : 1;
            i++, j++;
        }
    }
    return (int)a.n - (int)b.n;
}

pst_status gql_did_you_mean(pst_buf *b, const char *prefix, pst_str name, const pst_str *cands,
                            size_t n)
{
    size_t threshold = name.n * 4 / 10 + 1, found = 0;
    int dist[5];
    pst_str best[5];
    for (size_t i = 0; i < n; i++) {
        int d = lexical_distance(name, cands[i], threshold);
        if (d < 0)
            continue;
        size_t at = found < 5 ? found : 5; /* insertion into the 5 best */
        while (at > 0 && (dist[at - 1] > d ||
                          (dist[at - 1] == d && natural_compare(best[at - 1], cands[i]) > 0))) {
            if (at < 5) {
                dist[at] = dist[at - 1];
                best[at] = best[at - 1];
            }
            at--;
        }
        if (at < 5) {
            dist[at] = d;
            best[at] = cands[i];
            if (found < 5)
                found++;
        }
    }
    if (!found)
        return b->failed ? PST_ERROR : PST_OK;
    pst_buf_append_c(b, " Did you mean ");
    if (prefix)
        pst_buf_appendf(b, "%s ", prefix);
    for (size_t i = 0; i < found; i++) {
        if (i)
            pst_buf_append_c(b, found == 2 ? " or " : i == found - 1 ? ", or " : ", ");
        pst_buf_appendf(b, "\"%.*s\"", (int)best[i].n, best[i].p);
    }
    pst_buf_append_char(b, '?');
    return b->failed ? PST_ERROR : PST_OK;
}

static bool has_index_key(const json_t *obj)
{
    const char *key;
    json_t *val;
    unsigned long idx;
    json_object_foreach((json_t *)obj, key, val)
    {
        if (index_key(key, &idx))
            return true;
    }
    return false;
}

static bool write_json(pst_buf *b, const json_t *v, int depth);

static bool write_member(pst_buf *b, const char *key, const json_t *v, bool first, int depth)
{
    if (!first)
        pst_buf_append_char(b, ',');
    pst_buf_append_json_str(b, key, strlen(key));
    pst_buf_append_char(b, ':');
    return write_json(b, v, depth + 1);
}

static bool write_object(pst_buf *b, const json_t *v, int depth)
{
    const char *key;
    json_t *x;
    bool first = true, ok = true;
    pst_buf_append_char(b, '{');
    if (has_index_key(v)) {
        size_t n;
        const char **keys = js_keys(v, &n);
        if (!keys) {
            b->failed = true;
            return true;
        }
        for (size_t i = 0; i < n && ok; i++, first = false)
            ok = write_member(b, keys[i], json_object_get(v, keys[i]), first, depth);
        pst_free(keys);
    } else {
        json_object_foreach((json_t *)v, key, x)
        {
            if (!(ok = write_member(b, key, x, first, depth)))
                break;
            first = false;
        }
    }
    pst_buf_append_char(b, '}');
    return ok;
}

static bool write_json(pst_buf *b, const json_t *v, int depth)
{
    char num[32];
    size_t i;
    json_t *x;
    if (depth > MAX_DEPTH)
        return false;
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        return write_object(b, v, depth);
    case JSON_ARRAY:
        pst_buf_append_char(b, '[');
        json_array_foreach(v, i, x)
        {
            if (i)
                pst_buf_append_char(b, ',');
            if (!write_json(b, x, depth + 1))
                return false;
        }
        pst_buf_append_char(b, ']');
        return true;
    case JSON_STRING:
        pst_buf_append_json_str(b, json_string_value(v), json_string_length(v));
        return true;
    case JSON_INTEGER:
    case JSON_REAL:
        pst_buf_append_c(b, gql_js_number(gql_json_number(v), num));
        return true;
    default:
        pst_buf_append_c(b, json_is_true(v) ? "true" : json_is_false(v) ? "false" : "null");
        return true;
    }
}

pst_status gql_js_write_json(pst_buf *b, const json_t *v)
{
    size_t mark = b->len;
    bool ok = write_json(b, v, 0);
    if (ok && !b->failed)
        return PST_OK;
    bool failed = b->failed;
    pst_buf_truncate(b, mark);
    return failed ? PST_ERROR : PST_DECLINED;
}
