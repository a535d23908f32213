#include "nats/subject.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

typedef enum { PART_LITERAL, PART_ARG, PART_CLAIM } part_kind;

typedef struct {
    part_kind kind;
    pst_str text;     /* literal bytes, or the placeholder's name "args.id" */
    const char *name; /* NUL-terminated placeholder name (for errors) */
    pst_str *path;    /* segments after the root */
    size_t path_len;
} tpl_part;

struct nats_template {
    const char *text;
    tpl_part *parts;
    size_t n_parts;
    bool pattern;
    bool uses_args;
};

static bool is_space(char c)
{
    return c == ' ' || c == '\t';
}

static bool is_name_start(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static bool is_name_char(char c)
{
    return is_name_start(c) || (c >= '0' && c <= '9');
}

/* Claim names are JSON keys: anything but separators, braces and blanks. */
static bool is_claim_char(char c)
{
    unsigned char u = (unsigned char)c;
    return u > 0x20 && u != 0x7f && c != '.' && c != '{' && c != '}';
}

/* Parses "root.seg.seg" between the braces (already trimmed) into part. */
static const char *parse_placeholder(pst_arena *a, pst_str in, tpl_part *part)
{
    const char *p = in.p, *end = in.p + in.n;
    if (pst_str_has_prefix(in, "args.")) {
        part->kind = PART_ARG;
        p += 5;
    } else if (pst_str_has_prefix(in, "claims.")) {
        part->kind = PART_CLAIM;
        p += 7;
    } else {
        return "placeholder must start with args. or claims.";
    }
    pst_str segs[NATS_TEMPLATE_MAX_PATH];
    size_t n = 0;
    while (p <= end) {
        const char *s = p;
        if (part->kind == PART_ARG) {
            if (p == end || !is_name_start(*p))
                return "args path segment must be a GraphQL name";
            while (p < end && is_name_char(*p))
                p++;
        } else {
            while (p < end && is_claim_char(*p))
                p++;
            if (p == s)
                return "empty claims path segment";
        }
        if (n == NATS_TEMPLATE_MAX_PATH)
            return "placeholder path too deep";
        segs[n++] = (pst_str){s, (size_t)(p - s)};
        if (p == end)
            break;
        if (*p != '.')
            return "unexpected character in placeholder";
        p++;
    }
    part->path = pst_arena_alloc(a, n * sizeof(pst_str));
    part->name = pst_arena_strndup(a, in.p, in.n);
    if (!part->path || !part->name)
        return PST_E_NOMEM;
    memcpy(part->path, segs, n * sizeof(pst_str));
    part->path_len = n;
    part->text = in;
    return NULL;
}

/* Finds the parts: returns NULL and fills parts (NULL parts: count only). */
static const char *split_parts(pst_arena *a, const char *text, tpl_part *parts, size_t *count)
{
    size_t n = 0;
    const char *p = text;
    while (*p) {
        const char *open = strstr(p, "{{");
        const char *close = strstr(p, "}}");
        if (close && (!open || close < open))
            return "unmatched '}}' in subject template";
        const char *lit_end = open ? open : p + strlen(p);
        if (lit_end > p) {
            if (parts)
                parts[n] = (tpl_part){.kind = PART_LITERAL, .text = {p, (size_t)(lit_end - p)}};
            n++;
        }
        if (!open)
            break;
        const char *body = open + 2, *stop = strstr(body, "}}");
        if (!stop)
            return "unterminated '{{' in subject template";
        const char *b = body, *e = stop;
        while (b < e && is_space(*b))
            b++;
        while (e > b && is_space(e[-1]))
            e--;
        if (memchr(b, '{', (size_t)(e - b)))
            return "nested '{' in subject template placeholder";
        if (parts) {
            const char *err = parse_placeholder(a, (pst_str){b, (size_t)(e - b)}, &parts[n]);
            if (err)
                return err;
        }
        n++;
        p = stop + 2;
    }
    *count = n;
    return NULL;
}

/* Checks the template's shape: each placeholder stands for one plain token. */
static const char *check_shape(nats_template *t)
{
    pst_buf b = {0};
    for (size_t i = 0; i < t->n_parts; i++) {
        const tpl_part *pt = &t->parts[i];
        if (pt->kind == PART_LITERAL)
            pst_buf_append(&b, pt->text.p, pt->text.n);
        else
            pst_buf_append_char(&b, 'x');
    }
    const char *err = NULL;
    if (b.failed) {
        err = PST_E_NOMEM;
    } else {
        pst_str s = {b.p ? b.p : "", b.len};
        t->pattern = !nats_subject_valid(s);
        if (!nats_pattern_valid(s))
            err = "subject template does not form a valid NATS subject";
        for (size_t i = 0; !err && i < s.n; i++)
            if ((unsigned char)s.p[i] >= 0x80)
                err = "subject template literal text must be ASCII";
    }
    pst_buf_free(&b);
    return err;
}

nats_template *nats_template_compile(pst_arena *a, const char *text, const char **error)
{
    const char *err = NULL;
    size_t n = 0;
    nats_template *t = NULL;
    if (!text || !*text) {
        err = "empty subject template";
        goto fail;
    }
    if ((err = split_parts(a, text, NULL, &n)))
        goto fail;
    t = pst_arena_calloc(a, sizeof(*t));
    if (!t || !(t->parts = pst_arena_calloc(a, n * sizeof(tpl_part))) ||
        !(t->text = pst_arena_strndup(a, text, strlen(text)))) {
        err = PST_E_NOMEM;
        goto fail;
    }
    /* split again against the arena copy so the views outlive the caller's text */
    if ((err = split_parts(a, t->text, t->parts, &t->n_parts)))
        goto fail;
    for (size_t i = 0; i < t->n_parts; i++)
        if (t->parts[i].kind == PART_ARG)
            t->uses_args = true;
    if ((err = check_shape(t)))
        goto fail;
    return t;
fail:
    if (error)
        *error = err;
    return NULL;
}

bool nats_template_is_pattern(const nats_template *t)
{
    return t->pattern;
}

bool nats_template_uses_args(const nats_template *t)
{
    return t->uses_args;
}

const char *nats_template_text(const nats_template *t)
{
    return t->text;
}

/* Decodes one UTF-8 code point (input already validated). */
static unsigned utf8_next(const unsigned char **pp)
{
    const unsigned char *p = *pp;
    unsigned c = p[0];
    if (c < 0x80) {
        *pp = p + 1;
        return c;
    }
    if (c < 0xE0) {
        *pp = p + 2;
        return ((c & 0x1F) << 6) | (p[1] & 0x3F);
    }
    if (c < 0xF0) {
        *pp = p + 3;
        return ((c & 0x0F) << 12) | ((p[1] & 0x3F) << 6) | (p[2] & 0x3F);
    }
    *pp = p + 4;
    return ((c & 0x07) << 18) | ((p[1] & 0x3F) << 12) | ((p[2] & 0x3F) << 6) | (p[3] & 0x3F);
}

static bool unicode_space_or_control(unsigned cp)
{
    return cp < 0x20 || (cp >= 0x7F && cp <= 0xA0) || cp == 0x1680 ||
           (cp >= 0x2000 && cp <= 0x200B) || cp == 0x2028 || cp == 0x2029 || cp == 0x202F ||
           cp == 0x205F || cp == 0x3000 || cp == 0xFEFF || cp == ' ';
}

const char *nats_token_check(const char *s, size_t n)
{
    if (n == 0)
        return "value is empty";
    if (n > NATS_TOKEN_MAX)
        return "value is longer than 256 bytes";
    if (!pst_utf8_valid(s, n))
        return "value is not valid UTF-8";
    if (s[0] == '$')
        return "value starts with '$'";
    const unsigned char *p = (const unsigned char *)s, *end = p + n;
    while (p < end) {
        if (*p == '.')
            return "value contains '.'";
        if (*p == '*' || *p == '>')
            return "value contains a wildcard";
        if (unicode_space_or_control(utf8_next(&p)))
            return "value contains whitespace or a control character";
    }
    return NULL;
}

static json_t *lookup(json_t *root, const tpl_part *pt)
{
    json_t *v = root;
    for (size_t i = 0; v && i < pt->path_len; i++)
        v = json_is_object(v) ? json_object_getn(v, pt->path[i].p, pt->path[i].n) : NULL;
    return v;
}

/* Appends one placeholder's value; returns NULL or a message. */
static const char *render_value(json_t *v, pst_buf *out)
{
    char num[32];
    const char *p;
    size_t n;
    if (!v)
        return "value is missing";
    if (json_is_string(v)) {
        p = json_string_value(v);
        n = json_string_length(v);
    } else if (json_is_integer(v)) {
        n = (size_t)snprintf(num, sizeof num, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        p = num;
    } else if (json_is_real(v)) {
        double d = json_real_value(v);
        if (!isfinite(d) || d != floor(d) || fabs(d) > 9007199254740992.0)
            return "number is not an integer";
        n = (size_t)snprintf(num, sizeof num, "%.0f", d);
        p = num;
    } else {
        return "value must be a string or a number";
    }
    const char *err = nats_token_check(p, n);
    if (err)
        return err;
    return pst_buf_append(out, p, n) == PST_OK ? NULL : PST_E_NOMEM;
}

static pst_status render_fail(pst_buf *out, size_t mark, nats_render_error *why,
                              nats_render_source src, const char *ph, const char *msg)
{
    if (out->failed) {
        /* pst_buf refuses appends after a failure; clear it, keep the contents */
        out->failed = false;
        src = NATS_RENDER_NOMEM;
        msg = PST_E_NOMEM;
    }
    pst_buf_truncate(out, mark);
    if (why)
        *why = (nats_render_error){src, ph, msg};
    return PST_ERROR;
}

pst_status nats_template_render(const nats_template *t, json_t *args, json_t *claims, pst_buf *out,
                                nats_render_error *why)
{
    if (out->failed)
        return render_fail(out, out->len, why, NATS_RENDER_NOMEM, NULL, PST_E_NOMEM);
    size_t mark = out->len;
    for (size_t i = 0; i < t->n_parts; i++) {
        const tpl_part *pt = &t->parts[i];
        if (pt->kind == PART_LITERAL) {
            if (pst_buf_append(out, pt->text.p, pt->text.n) != PST_OK)
                return render_fail(out, mark, why, NATS_RENDER_NOMEM, NULL, PST_E_NOMEM);
            continue;
        }
        bool arg = pt->kind == PART_ARG;
        const char *err = render_value(lookup(arg ? args : claims, pt), out);
        if (err)
            return render_fail(out, mark, why, arg ? NATS_RENDER_BAD_ARG : NATS_RENDER_BAD_CLAIM,
                               pt->name, err);
    }
    pst_str s = {out->p + mark, out->len - mark};
    if (t->pattern ? !nats_pattern_valid(s) : !nats_subject_valid(s))
        return render_fail(out, mark, why, NATS_RENDER_BAD_SUBJECT, NULL,
                           "rendered subject is not a valid NATS subject");
    if (why)
        *why = (nats_render_error){NATS_RENDER_OK, NULL, NULL};
    return PST_OK;
}

/* Walks tokens; wild: allow `*` tokens and a final `>` token. */
static bool subject_check(pst_str s, bool wild)
{
    if (s.n == 0 || !s.p)
        return false;
    size_t start = 0;
    for (size_t i = 0; i <= s.n; i++) {
        if (i < s.n && s.p[i] != '.') {
            unsigned char c = (unsigned char)s.p[i];
            if (c <= 0x20 || c == 0x7f)
                return false;
            continue;
        }
        size_t len = i - start;
        if (len == 0)
            return false;
        const char *tok = s.p + start;
        bool star = len == 1 && tok[0] == '*', gt = len == 1 && tok[0] == '>';
        if ((star || gt) && !wild)
            return false;
        if (gt && i != s.n)
            return false;
        if (!star && !gt && (memchr(tok, '*', len) || memchr(tok, '>', len)))
            return false;
        start = i + 1;
    }
    return true;
}

bool nats_subject_valid(pst_str s)
{
    return subject_check(s, false);
}

bool nats_pattern_valid(pst_str s)
{
    return subject_check(s, true);
}

/* Returns the next token of s starting at *pos (advancing past the '.'). */
static pst_str next_token(pst_str s, size_t *pos)
{
    size_t b = *pos, e = b;
    while (e < s.n && s.p[e] != '.')
        e++;
    *pos = e + 1;
    return (pst_str){s.p + b, e - b};
}

bool nats_subject_match(pst_str pattern, pst_str subject)
{
    if (!nats_pattern_valid(pattern) || !nats_subject_valid(subject))
        return false;
    size_t pp = 0, sp = 0;
    while (pp <= pattern.n && sp <= subject.n) {
        pst_str pt = next_token(pattern, &pp), st = next_token(subject, &sp);
        if (pt.n == 1 && pt.p[0] == '>')
            return true;
        if (!(pt.n == 1 && pt.p[0] == '*') && !pst_str_eq(pt, st))
            return false;
    }
    return pp > pattern.n && sp > subject.n;
}
