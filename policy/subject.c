#include "policy/subject.h"

#include <stdio.h>
#include <string.h>

#include "common/mem.h"

#define TOKEN_MAX 256
#define CLAIM_PATH_MAX 256
#define CLAIM_DEPTH_MAX 32
#define CLAIM_LOOKUP_BUDGET 256

typedef struct {
    const char *p;
    size_t n;
} tok;

/* Takes the next '.'-separated token; *s becomes NULL after the last. */
static bool take(const char **s, tok *t)
{
    if (!*s)
        return false;
    const char *e = strchr(*s, '.');
    t->p = *s;
    if (e) {
        t->n = (size_t)(e - *s);
        *s = e + 1;
    } else {
        t->n = strlen(*s);
        *s = NULL;
    }
    return true;
}

static bool is1(tok t, char c)
{
    return t.n == 1 && t.p[0] == c;
}

static bool bad_char(unsigned char c)
{
    return c <= 0x20 || c == 0x7f;
}

bool policy_subject_match(const char *pattern, const char *subject)
{
    const char *p = pattern, *s = subject;
    tok pt, st;
    while (take(&p, &pt)) {
        if (is1(pt, '>'))
            return s != NULL;
        if (!take(&s, &st) || is1(st, '>'))
            return false;
        if (is1(pt, '*'))
            continue;
        if (is1(st, '*') || pt.n != st.n || memcmp(pt.p, st.p, pt.n) != 0)
            return false;
    }
    return s == NULL;
}

bool policy_subject_overlap(const char *a, const char *b)
{
    tok ta, tb;
    for (;;) {
        bool ha = take(&a, &ta), hb = take(&b, &tb);
        if (!ha || !hb)
            return !ha && !hb;
        if (is1(ta, '>') || is1(tb, '>'))
            return true;
        if (is1(ta, '*') || is1(tb, '*'))
            continue;
        if (ta.n != tb.n || memcmp(ta.p, tb.p, ta.n) != 0)
            return false;
    }
}

const char *policy_subject_check(const char *subject, bool wildcards)
{
    size_t len = strlen(subject);
    if (len == 0)
        return "empty subject";
    if (!pst_utf8_valid(subject, len))
        return "subject is not valid UTF-8";
    const char *s = subject;
    tok t;
    while (take(&s, &t)) {
        if (t.n == 0)
            return "empty token in subject";
        for (size_t i = 0; i < t.n; i++)
            if (bad_char((unsigned char)t.p[i]))
                return "whitespace or control character in subject";
        bool wild = is1(t, '*') || is1(t, '>');
        if (wild && !wildcards)
            return "wildcards are not allowed in this subject";
        if (is1(t, '>') && s)
            return "'>' must be the last token";
    }
    return NULL;
}

bool policy_token_safe(const char *p, size_t n)
{
    if (n == 0 || n > TOKEN_MAX || p[0] == '$' || !pst_utf8_valid(p, n))
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        if (bad_char(c) || c == '.' || c == '*' || c == '>')
            return false;
    }
    return true;
}

/* Parses "{{ claims.PATH }}" at s (which starts with "{{"). On success sets
 * the path view and returns the position after "}}". */
static const char *parse_template(const char *s, pst_str *path, const char **err)
{
    const char *end = strstr(s + 2, "}}");
    if (!end) {
        *err = "unterminated '{{' template";
        return NULL;
    }
    const char *a = s + 2, *b = end;
    while (a < b && (*a == ' ' || *a == '\t'))
        a++;
    while (b > a && (b[-1] == ' ' || b[-1] == '\t'))
        b--;
    static const char pre[] = "claims.";
    if ((size_t)(b - a) <= sizeof(pre) - 1 || memcmp(a, pre, sizeof(pre) - 1) != 0) {
        *err = "only {{ claims.PATH }} templates are allowed in policy subjects";
        return NULL;
    }
    a += sizeof(pre) - 1;
    if ((size_t)(b - a) > CLAIM_PATH_MAX) {
        *err = "claim path too long";
        return NULL;
    }
    for (const char *c = a; c < b; c++) {
        bool dot_bad = *c == '.' && (c == a || c + 1 == b || c[1] == '.');
        if (dot_bad || bad_char((unsigned char)*c) || *c == '{' || *c == '}') {
            *err = "invalid claim path in template";
            return NULL;
        }
    }
    *path = (pst_str){a, (size_t)(b - a)};
    return end + 2;
}

/* Checks one literal token [t, t+n). */
static const char *literal_check(const char *t, size_t n, bool last)
{
    if (n == 0)
        return "empty token";
    for (size_t i = 0; i < n; i++) {
        if (bad_char((unsigned char)t[i]))
            return "whitespace or control character in subject pattern";
        if (t[i] == '{' || t[i] == '}')
            return "a template must be a whole token: {{ claims.PATH }}";
        if ((t[i] == '*' || t[i] == '>') && n != 1)
            return "wildcards '*' and '>' must be whole tokens";
    }
    if (n == 1 && t[0] == '>' && !last)
        return "'>' must be the last token";
    return NULL;
}

const char *policy_pattern_check(const char *pattern, bool *templated)
{
    *templated = false;
    size_t len = strlen(pattern);
    if (len == 0)
        return "empty subject pattern";
    if (!pst_utf8_valid(pattern, len))
        return "subject pattern is not valid UTF-8";
    const char *s = pattern;
    for (;;) {
        const char *err = NULL;
        if (s[0] == '{' && s[1] == '{') {
            pst_str path;
            s = parse_template(s, &path, &err);
            if (!s)
                return err;
            if (*s && *s != '.')
                return "a template must be a whole token: {{ claims.PATH }}";
            *templated = true;
        } else {
            const char *t = s;
            while (*s && *s != '.' && !(s[0] == '{' && s[1] == '{'))
                s++;
            if (*s == '{')
                return "a template must be a whole token: {{ claims.PATH }}";
            if ((err = literal_check(t, (size_t)(s - t), *s == '\0')))
                return err;
        }
        if (!*s)
            return NULL;
        if (!*++s)
            return "empty token";
    }
}

/* Tries the whole path as a key, then each split at a '.'. The budget
 * bounds the work when many prefixes of the path are keys themselves. */
static const json_t *lookup(const json_t *obj, const char *p, size_t n, int depth, int *budget)
{
    if (!json_is_object(obj) || depth > CLAIM_DEPTH_MAX || --*budget < 0)
        return NULL;
    const json_t *v = json_object_getn(obj, p, n);
    if (v)
        return v;
    for (size_t i = 0; i < n; i++) {
        if (p[i] != '.')
            continue;
        const json_t *c = json_object_getn(obj, p, i);
        if (c && (v = lookup(c, p + i + 1, n - i - 1, depth + 1, budget)))
            return v;
    }
    return NULL;
}

static const json_t *lookup_n(const json_t *claims, const char *path, size_t n)
{
    int budget = CLAIM_LOOKUP_BUDGET;
    return claims ? lookup(claims, path, n, 0, &budget) : NULL;
}

const json_t *policy_claim_lookup(const json_t *claims, const char *path)
{
    return lookup_n(claims, path, strlen(path));
}

bool policy_claim_token(const json_t *v, char *buf, size_t cap, size_t *len)
{
    char tmp[TOKEN_MAX + 1];
    const char *s = tmp;
    size_t n;
    if (json_is_string(v)) {
        s = json_string_value(v);
        n = json_string_length(v);
    } else if (json_is_integer(v)) {
        n = (size_t)snprintf(tmp, sizeof(tmp), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
    } else if (json_is_real(v)) {
        double d = json_real_value(v);
        if (d != (double)(long long)d || d > 1e15 || d < -1e15)
            return false;
        n = (size_t)snprintf(tmp, sizeof(tmp), "%lld", (long long)d);
    } else {
        return false;
    }
    if (!policy_token_safe(s, n) || n >= cap)
        return false;
    memcpy(buf, s, n);
    buf[n] = '\0';
    *len = n;
    return true;
}

pst_status policy_pattern_render(const char *pattern, const json_t *claims, pst_arena *a,
                                 const char **out)
{
    size_t len = strlen(pattern);
    /* a token renders to at most TOKEN_MAX bytes and its template is longer
     * than "{{claims.x}}" (12 bytes), so this bounds the output */
    size_t cap = len + (len / 12 + 1) * TOKEN_MAX + 1;
    char *dst = pst_arena_alloc(a, cap);
    if (!dst)
        return PST_ERROR;
    size_t o = 0;
    const char *s = pattern;
    while (*s) {
        if (s[0] == '{' && s[1] == '{') {
            pst_str path;
            const char *err;
            const char *next = parse_template(s, &path, &err);
            const json_t *v = next ? lookup_n(claims, path.p, path.n) : NULL;
            size_t n;
            if (!v || !policy_claim_token(v, dst + o, cap - o, &n)) {
                *out = NULL;
                return PST_OK;
            }
            o += n;
            s = next;
        } else {
            dst[o++] = *s++;
        }
    }
    dst[o] = '\0';
    *out = dst;
    return PST_OK;
}

pst_status policy_pattern_widen(const char *pattern, pst_buf *out)
{
    const char *s = pattern;
    while (*s) {
        const char *t = strstr(s, "{{");
        if (!t)
            return pst_buf_append_c(out, s);
        const char *e = strstr(t, "}}");
        if (!e)
            return pst_buf_append_c(out, s);
        if (pst_buf_append(out, s, (size_t)(t - s)) != PST_OK || pst_buf_append_char(out, '*'))
            return PST_ERROR;
        s = e + 2;
    }
    return PST_OK;
}
