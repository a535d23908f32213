#include "graphql/lexer.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* Error positions and messages follow graphql-js 16 (lexer.ts) so clients
 * see the same text whichever server they talk to. */

static const char *const kind_names[] = {
    "<EOF>", "!", "$", "&", "(", ")",    "...", ":",     "=",      "@",
    "[",     "]", "{", "|", "}", "Name", "Int", "Float", "String", "BlockString",
};

const char *gql_tok_kind_name(gql_tok_kind kind)
{
    if ((unsigned)kind >= sizeof(kind_names) / sizeof(kind_names[0]))
        return "?";
    return kind_names[kind];
}

void gql_lexer_init(gql_lexer *lx, pst_arena *a, const char *src, size_t n)
{
    memset(lx, 0, sizeof(*lx));
    lx->arena = a;
    lx->src = src;
    lx->n = n;
    lx->line = 1;
    lx->wide_from = SIZE_MAX;
}

/* ---- characters ---- */

/* Byte at pos, or -1 past the end (graphql-js reads NaN there). */
static int at(const gql_lexer *lx, size_t pos)
{
    return pos < lx->n ? (unsigned char)lx->src[pos] : -1;
}

static bool is_digit(int c)
{
    return c >= '0' && c <= '9';
}

static bool is_name_start(int c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

/* NameContinue without branches on the letter ranges: names are most of
 * a document's bytes. */
static bool is_name_continue(unsigned char c)
{
    return (unsigned)((c | 0x20) - 'a') < 26 || (unsigned)(c - '0') < 10 || c == '_';
}

/* Offset just past the name that starts at pos. */
static size_t name_end(const gql_lexer *lx, size_t pos)
{
    const unsigned char *s = (const unsigned char *)lx->src;
    while (pos < lx->n && is_name_continue(s[pos]))
        pos++;
    return pos;
}

static int hex_digit(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

static bool is_scalar(int32_t cp)
{
    return (cp >= 0 && cp <= 0xD7FF) || (cp >= 0xE000 && cp <= 0x10FFFF);
}

/* Decodes the UTF-8 sequence at pos. Returns its length, or 0 when it is
 * not well-formed (overlong, surrogate, above U+10FFFF, cut short). */
static size_t utf8_decode(const gql_lexer *lx, size_t pos, uint32_t *cp)
{
    const unsigned char *p = (const unsigned char *)lx->src + pos;
    size_t avail = lx->n - pos, len;
    uint32_t v, min;
    if (p[0] < 0x80) {
        *cp = p[0];
        return 1;
    }
    if (p[0] >= 0xC2 && p[0] <= 0xDF) {
        len = 2, v = p[0] & 0x1Fu, min = 0x80;
    } else if (p[0] >= 0xE0 && p[0] <= 0xEF) {
        len = 3, v = p[0] & 0x0Fu, min = 0x800;
    } else if (p[0] >= 0xF0 && p[0] <= 0xF4) {
        len = 4, v = p[0] & 0x07u, min = 0x10000;
    } else {
        return 0;
    }
    if (avail < len)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((p[i] & 0xC0) != 0x80)
            return 0;
        v = (v << 6) | (p[i] & 0x3Fu);
    }
    if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
        return 0;
    *cp = v;
    return len;
}

static size_t utf8_encode(uint32_t cp, char *out)
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* UTF-16 code units in n bytes of UTF-8: one per sequence start, two for
 * four-byte sequences (a surrogate pair in JavaScript). */
static uint32_t utf16_units(const char *p, size_t n)
{
    uint32_t u = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        if ((c & 0xC0) != 0x80)
            u += c >= 0xF0 ? 2 : 1;
    }
    return u;
}

/* ---- positions and errors ---- */

/* Column of pos on the current line. Until a line has a non-ASCII byte (in
 * a string or comment) bytes are code units. Past one, the count continues
 * from the previous token: tokens come in order, so it stays linear. */
static uint32_t column_of(gql_lexer *lx, size_t pos)
{
    if (pos <= lx->wide_from)
        return (uint32_t)(pos - lx->line_start) + 1;
    if (lx->col_pos < lx->line_start || lx->col_pos > pos) {
        lx->col_pos = lx->line_start;
        lx->col_units = 0;
    }
    lx->col_units += utf16_units(lx->src + lx->col_pos, pos - lx->col_pos);
    lx->col_pos = pos;
    return lx->col_units + 1;
}

/* Line and column of any pos at or after the current line's start (errors
 * inside block strings may lie on later lines). */
static void location_of(const gql_lexer *lx, size_t pos, uint32_t *line, uint32_t *col)
{
    uint32_t l = lx->line;
    size_t ls = lx->line_start;
    for (size_t i = ls; i < pos; i++) {
        char c = lx->src[i];
        if (c == '\r' && i + 1 < pos && lx->src[i + 1] == '\n')
            i++;
        if (c == '\n' || c == '\r') {
            l++;
            ls = i + 1;
        }
    }
    *line = l;
    *col = 1 + utf16_units(lx->src + ls, pos - ls);
}

static pst_status fail_at(gql_lexer *lx, size_t pos, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static pst_status fail_at(gql_lexer *lx, size_t pos, const char *fmt, ...)
{
    static const char prefix[] = "Syntax Error: ";
    memcpy(lx->message, prefix, sizeof(prefix));
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(lx->message + sizeof(prefix) - 1, sizeof(lx->message) - sizeof(prefix) + 1, fmt, ap);
    va_end(ap);
    location_of(lx, pos, &lx->err_line, &lx->err_col);
    return PST_ERROR;
}

static pst_status fail_oom(gql_lexer *lx)
{
    snprintf(lx->message, sizeof(lx->message), "Out of memory.");
    lx->err_line = lx->err_col = 0;
    return PST_ERROR;
}

static pst_status fail_utf8(gql_lexer *lx, size_t pos)
{
    return fail_at(lx, pos, "Invalid UTF-8 byte 0x%02X.", (unsigned)at(lx, pos));
}

/* graphql-js's printCodePointAt: "x" for printable ASCII, '"' for the
 * quote, U+XXXX otherwise, <EOF> at the end. False when pos starts no
 * well-formed UTF-8 sequence. */
static bool describe_char(const gql_lexer *lx, size_t pos, char *buf, size_t size)
{
    int c = at(lx, pos);
    uint32_t cp;
    if (c < 0)
        snprintf(buf, size, "<EOF>");
    else if (c == '"')
        snprintf(buf, size, "'\"'");
    else if (c >= 0x20 && c <= 0x7E)
        snprintf(buf, size, "\"%c\"", c);
    else if (utf8_decode(lx, pos, &cp))
        snprintf(buf, size, "U+%04X", (unsigned)cp);
    else
        return false;
    return true;
}

/* Fails with fmt, whose one %s describes the character at pos. */
static pst_status fail_char(gql_lexer *lx, size_t err_pos, size_t pos, const char *fmt)
{
    char what[16];
    if (!describe_char(lx, pos, what, sizeof(what)))
        return fail_utf8(lx, pos);
    return fail_at(lx, err_pos, fmt, what);
}

/* Fails with `<what>: "<source>".`, the source being `units` UTF-16 code
 * units from a, as graphql-js slices it (a character is never cut, so the
 * message stays valid UTF-8). */
static pst_status fail_slice(gql_lexer *lx, size_t a, size_t units, const char *what)
{
    size_t b = a;
    for (size_t u = 0; u < units && b < lx->n;) {
        uint32_t cp;
        size_t len = utf8_decode(lx, b, &cp);
        if (!len)
            return fail_utf8(lx, b);
        b += len;
        u += len == 4 ? 2 : 1;
    }
    return fail_at(lx, a, "%s: \"%.*s\".", what, (int)(b - a), lx->src + a);
}

/* ---- tokens ---- */

static pst_status emit(gql_lexer *lx, gql_token *tok, gql_tok_kind kind, size_t start, size_t end)
{
    tok->kind = kind;
    tok->line = lx->line;
    tok->col = column_of(lx, start);
    tok->text = (pst_str){lx->src + start, end - start};
    tok->value = tok->text;
    lx->pos = end;
    return PST_OK;
}

static void new_line(gql_lexer *lx, size_t start)
{
    lx->line++;
    lx->line_start = start;
    lx->wide_from = SIZE_MAX;
}

/* Notes a non-ASCII byte at pos on the current line (see column_of). */
static void saw_wide(gql_lexer *lx, size_t pos)
{
    if (pos < lx->wide_from)
        lx->wide_from = pos;
}

/* Skips a comment starting at pos ('#'); returns the offset of its end, or
 * 0 after an error (a comment never ends at offset 0). */
static size_t skip_comment(gql_lexer *lx, size_t pos)
{
    const unsigned char *s = (const unsigned char *)lx->src;
    pos++;
    while (pos < lx->n && s[pos] != '\n' && s[pos] != '\r') {
        uint32_t cp;
        size_t len = s[pos] < 0x80 ? 1 : utf8_decode(lx, pos, &cp);
        if (!len) {
            fail_utf8(lx, pos);
            return 0;
        }
        if (len > 1)
            saw_wide(lx, pos);
        pos += len;
    }
    return pos;
}

static pst_status read_digits(gql_lexer *lx, size_t *pos)
{
    if (!is_digit(at(lx, *pos)))
        return fail_char(lx, *pos, *pos, "Invalid number, expected digit but got: %s.");
    while (is_digit(at(lx, *pos)))
        (*pos)++;
    return PST_OK;
}

static pst_status read_number(gql_lexer *lx, gql_token *tok, size_t start)
{
    size_t pos = start;
    bool is_float = false;
    int c = at(lx, pos);
    if (c == '-')
        c = at(lx, ++pos);
    if (c == '0') {
        c = at(lx, ++pos);
        if (is_digit(c))
            return fail_char(lx, pos, pos, "Invalid number, unexpected digit after 0: %s.");
    } else {
        if (read_digits(lx, &pos) != PST_OK)
            return PST_ERROR;
        c = at(lx, pos);
    }
    if (c == '.') {
        is_float = true;
        pos++;
        if (read_digits(lx, &pos) != PST_OK)
            return PST_ERROR;
        c = at(lx, pos);
    }
    if (c == 'e' || c == 'E') {
        is_float = true;
        c = at(lx, ++pos);
        if (c == '+' || c == '-')
            pos++;
        if (read_digits(lx, &pos) != PST_OK)
            return PST_ERROR;
        c = at(lx, pos);
    }
    /* a number may not be followed by '.' or a NameStart */
    if (c == '.' || is_name_start(c))
        return fail_char(lx, pos, pos, "Invalid number, expected digit but got: %s.");
    return emit(lx, tok, is_float ? GQL_TOK_FLOAT : GQL_TOK_INT, start, pos);
}

/* \u{...}: graphql-js reads at most 12 characters and keeps the code point
 * in a 32-bit signed integer; the same limits give the same messages. */
static pst_status escape_variable(gql_lexer *lx, size_t pos, uint32_t *cp, size_t *size)
{
    int32_t point = 0;
    size_t sz = 3;
    while (sz < 12) {
        int c = at(lx, pos + sz++);
        if (c == '}') {
            if (sz < 5 || !is_scalar(point))
                break;
            *cp = (uint32_t)point;
            *size = sz;
            return PST_OK;
        }
        int h = hex_digit(c);
        if (h < 0)
            break;
        point = (int32_t)(((uint32_t)point << 4) | (uint32_t)h);
        if (point < 0)
            break;
    }
    return fail_slice(lx, pos, sz, "Invalid Unicode escape sequence");
}

static int32_t hex4(const gql_lexer *lx, size_t pos)
{
    int32_t v = 0;
    for (size_t i = 0; i < 4; i++) {
        int h = hex_digit(at(lx, pos + i));
        if (h < 0)
            return -1;
        v = (v << 4) | h;
    }
    return v;
}

/* \uXXXX, and a surrogate pair written as two such escapes. */
static pst_status escape_fixed(gql_lexer *lx, size_t pos, uint32_t *cp, size_t *size)
{
    int32_t code = hex4(lx, pos + 2);
    if (is_scalar(code)) {
        *cp = (uint32_t)code;
        *size = 6;
        return PST_OK;
    }
    if (code >= 0xD800 && code <= 0xDBFF && at(lx, pos + 6) == '\\' && at(lx, pos + 7) == 'u') {
        int32_t trail = hex4(lx, pos + 8);
        if (trail >= 0xDC00 && trail <= 0xDFFF) {
            *cp = 0x10000 + (((uint32_t)code - 0xD800) << 10) + ((uint32_t)trail - 0xDC00);
            *size = 12;
            return PST_OK;
        }
    }
    return fail_slice(lx, pos, 6, "Invalid Unicode escape sequence");
}

/* The escape sequence at pos (a backslash): its code point and length. */
static pst_status read_escape(gql_lexer *lx, size_t pos, uint32_t *cp, size_t *size)
{
    int c = at(lx, pos + 1);
    if (c == 'u')
        return at(lx, pos + 2) == '{' ? escape_variable(lx, pos, cp, size)
                                      : escape_fixed(lx, pos, cp, size);
    *size = 2;
    switch (c) {
    case '"':
    case '\\':
    case '/':
        *cp = (uint32_t)c;
        return PST_OK;
    case 'b':
        *cp = '\b';
        return PST_OK;
    case 'f':
        *cp = '\f';
        return PST_OK;
    case 'n':
        *cp = '\n';
        return PST_OK;
    case 'r':
        *cp = '\r';
        return PST_OK;
    case 't':
        *cp = '\t';
        return PST_OK;
    default:
        return fail_slice(lx, pos, 2, "Invalid character escape sequence");
    }
}

/* Writes the decoded value of the string whose content is [from, to) and
 * whose escapes were all checked by read_string. */
static char *decode_string(gql_lexer *lx, size_t from, size_t to, size_t *out_len)
{
    char *out = pst_arena_alloc(lx->arena, to - from + 1);
    if (!out)
        return NULL;
    size_t o = 0, pos = from;
    while (pos < to) {
        const char *bs = memchr(lx->src + pos, '\\', to - pos);
        size_t chunk = bs ? (size_t)(bs - lx->src) - pos : to - pos;
        memcpy(out + o, lx->src + pos, chunk);
        o += chunk;
        pos += chunk;
        if (pos < to) {
            uint32_t cp = 0;
            size_t size = 2;
            read_escape(lx, pos, &cp, &size);
            o += utf8_encode(cp, out + o);
            pos += size;
        }
    }
    out[o] = '\0';
    *out_len = o;
    return out;
}

static pst_status read_string(gql_lexer *lx, gql_token *tok, size_t start)
{
    const unsigned char *s = (const unsigned char *)lx->src;
    size_t pos = start + 1;
    while (pos < lx->n) {
        unsigned char c = s[pos];
        if (c == '"') {
            size_t len;
            char *v = decode_string(lx, start + 1, pos, &len);
            if (!v)
                return fail_oom(lx);
            emit(lx, tok, GQL_TOK_STRING, start, pos + 1);
            tok->value = (pst_str){v, len};
            return PST_OK;
        }
        if (c == '\n' || c == '\r')
            break;
        if (c == '\\') {
            uint32_t cp;
            size_t size;
            if (read_escape(lx, pos, &cp, &size) != PST_OK)
                return PST_ERROR;
            pos += size;
        } else if (c < 0x80) {
            pos++;
        } else {
            uint32_t cp;
            size_t len = utf8_decode(lx, pos, &cp);
            if (!len)
                return fail_utf8(lx, pos);
            saw_wide(lx, pos);
            pos += len;
        }
    }
    return fail_at(lx, pos, "Unterminated string.");
}

/* ---- block strings ---- */

static bool at_triple_quote(const gql_lexer *lx, size_t pos)
{
    return at(lx, pos) == '"' && at(lx, pos + 1) == '"' && at(lx, pos + 2) == '"';
}

static bool at_escaped_triple_quote(const gql_lexer *lx, size_t pos)
{
    return at(lx, pos) == '\\' && at_triple_quote(lx, pos + 1);
}

/* What the BlockStringValue() algorithm needs from the raw lines. */
typedef struct {
    size_t end;           /* offset of the closing """ */
    size_t common;        /* common indentation of the lines after the first */
    size_t first, last;   /* first and last non-blank line; first > last: none */
    uint32_t terminators; /* line terminators inside */
    size_t last_line;     /* offset where the last line starts */
    size_t wide;          /* its first non-ASCII byte; SIZE_MAX: none */
} block_scan;

static void block_line_done(block_scan *b, size_t line, size_t indent, bool blank)
{
    if (blank)
        return;
    if (b->first > b->last)
        b->first = line;
    b->last = line;
    if (line != 0 && indent < b->common)
        b->common = indent;
}

/* First pass: finds the end, checks the characters, measures the lines. */
static pst_status block_scan_lines(gql_lexer *lx, size_t start, block_scan *b)
{
    size_t pos = start + 3, line = 0, indent = 0;
    bool blank = true;
    *b = (block_scan){
        .common = SIZE_MAX, .first = 1, .last = 0, .last_line = lx->line_start, .wide = SIZE_MAX};
    while (pos < lx->n) {
        unsigned char c = (unsigned char)lx->src[pos];
        if (at_triple_quote(lx, pos)) {
            block_line_done(b, line, indent, blank);
            b->end = pos;
            return PST_OK;
        }
        if (c == '\n' || c == '\r') {
            block_line_done(b, line, indent, blank);
            pos += (c == '\r' && at(lx, pos + 1) == '\n') ? 2 : 1;
            b->terminators++;
            b->last_line = pos;
            b->wide = SIZE_MAX;
            line++, indent = 0, blank = true;
            continue;
        }
        if ((c == ' ' || c == '\t')) {
            if (blank)
                indent++;
            pos++;
            continue;
        }
        blank = false;
        if (at_escaped_triple_quote(lx, pos)) {
            pos += 4;
        } else if (c < 0x80) {
            pos++;
        } else {
            uint32_t cp;
            size_t len = utf8_decode(lx, pos, &cp);
            if (!len)
                return fail_utf8(lx, pos);
            if (b->wide == SIZE_MAX)
                b->wide = pos;
            pos += len;
        }
    }
    return fail_at(lx, pos, "Unterminated string.");
}

/* Copies [pos, end) with \""" turned into """. */
static size_t block_copy(const gql_lexer *lx, size_t pos, size_t end, char *out)
{
    size_t o = 0;
    while (pos < end) {
        if (at_escaped_triple_quote(lx, pos)) {
            memcpy(out + o, "\"\"\"", 3);
            o += 3;
            pos += 4;
        } else {
            out[o++] = lx->src[pos++];
        }
    }
    return o;
}

/* Second pass: the lines from first to last, each but the first without
 * the common indentation, joined with \n. */
static char *block_value(gql_lexer *lx, size_t start, const block_scan *b, size_t *out_len)
{
    char *out = pst_arena_alloc(lx->arena, b->end - start + 1);
    if (!out)
        return NULL;
    size_t o = 0, pos = start + 3;
    for (size_t line = 0; line <= b->last && b->first <= b->last; line++) {
        size_t eol = pos;
        while (eol < b->end && lx->src[eol] != '\n' && lx->src[eol] != '\r')
            eol += at_escaped_triple_quote(lx, eol) ? 4 : 1;
        if (line >= b->first) {
            size_t from = pos;
            if (line > b->first)
                out[o++] = '\n';
            for (size_t k = 0; line != 0 && k < b->common && from < eol &&
                               (lx->src[from] == ' ' || lx->src[from] == '\t');
                 k++)
                from++;
            o += block_copy(lx, from, eol, out + o);
        }
        pos = eol + ((lx->src[eol] == '\r' && at(lx, eol + 1) == '\n') ? 2 : 1);
    }
    out[o] = '\0';
    *out_len = o;
    return out;
}

static pst_status read_block_string(gql_lexer *lx, gql_token *tok, size_t start)
{
    block_scan b;
    if (block_scan_lines(lx, start, &b) != PST_OK)
        return PST_ERROR;
    size_t len;
    char *v = block_value(lx, start, &b, &len);
    if (!v)
        return fail_oom(lx);
    emit(lx, tok, GQL_TOK_BLOCK_STRING, start, b.end + 3);
    tok->value = (pst_str){v, len};
    if (b.terminators) {
        lx->line += b.terminators;
        lx->line_start = b.last_line;
        lx->wide_from = SIZE_MAX;
    }
    if (b.wide != SIZE_MAX)
        saw_wide(lx, b.wide);
    return PST_OK;
}

/* ---- dispatch ---- */

static pst_status unexpected_char(gql_lexer *lx, size_t pos)
{
    if (at(lx, pos) == '\'')
        return fail_at(lx, pos,
                       "Unexpected single quote character ('), did you mean to use a double "
                       "quote (\")?");
    return fail_char(lx, pos, pos, "Unexpected character: %s.");
}

static gql_tok_kind punctuator(int c)
{
    switch (c) {
    case '!':
        return GQL_TOK_BANG;
    case '$':
        return GQL_TOK_DOLLAR;
    case '&':
        return GQL_TOK_AMP;
    case '(':
        return GQL_TOK_PAREN_L;
    case ')':
        return GQL_TOK_PAREN_R;
    case ':':
        return GQL_TOK_COLON;
    case '=':
        return GQL_TOK_EQUALS;
    case '@':
        return GQL_TOK_AT;
    case '[':
        return GQL_TOK_BRACKET_L;
    case ']':
        return GQL_TOK_BRACKET_R;
    case '{':
        return GQL_TOK_BRACE_L;
    case '|':
        return GQL_TOK_PIPE;
    case '}':
        return GQL_TOK_BRACE_R;
    default:
        return GQL_TOK_EOF;
    }
}

/* Reads the token that starts at pos (not an ignored character). */
static pst_status read_token(gql_lexer *lx, gql_token *tok, size_t pos)
{
    int c = at(lx, pos);
    gql_tok_kind k = punctuator(c);
    if (k != GQL_TOK_EOF)
        return emit(lx, tok, k, pos, pos + 1);
    if (c == '.' && at(lx, pos + 1) == '.' && at(lx, pos + 2) == '.')
        return emit(lx, tok, GQL_TOK_SPREAD, pos, pos + 3);
    if (c == '"')
        return at_triple_quote(lx, pos) ? read_block_string(lx, tok, pos)
                                        : read_string(lx, tok, pos);
    if (is_digit(c) || c == '-')
        return read_number(lx, tok, pos);
    if (is_name_start(c)) {
        return emit(lx, tok, GQL_TOK_NAME, pos, name_end(lx, pos + 1));
    }
    return unexpected_char(lx, pos);
}

pst_status gql_lexer_next(gql_lexer *lx, gql_token *tok)
{
    const unsigned char *s = (const unsigned char *)lx->src;
    size_t pos = lx->pos;
    while (pos < lx->n) {
        switch (s[pos]) {
        case ' ':
        case '\t':
        case ',':
            pos++;
            continue;
        case '\n':
            new_line(lx, ++pos);
            continue;
        case '\r':
            pos += at(lx, pos + 1) == '\n' ? 2 : 1;
            new_line(lx, pos);
            continue;
        case '#':
            pos = skip_comment(lx, pos);
            if (!pos)
                return PST_ERROR;
            continue;
        case 0xEF: /* the BOM, U+FEFF, is ignored anywhere */
            if (at(lx, pos + 1) == 0xBB && at(lx, pos + 2) == 0xBF) {
                saw_wide(lx, pos);
                pos += 3;
                continue;
            }
            break;
        default:
            break;
        }
        return read_token(lx, tok, pos);
    }
    return emit(lx, tok, GQL_TOK_EOF, pos, pos);
}

const char *gql_tok_describe(const gql_token *tok, char *buf, size_t size)
{
    const char *kind = gql_tok_kind_name(tok->kind);
    if (tok->kind < GQL_TOK_NAME) {
        snprintf(buf, size, tok->kind == GQL_TOK_EOF ? "%s" : "\"%s\"", kind);
        return buf;
    }
    /* long values are cut on a character boundary */
    size_t n = tok->value.n;
    if (n > 100) {
        n = 100;
        while (n > 0 && ((unsigned char)tok->value.p[n] & 0xC0) == 0x80)
            n--;
    }
    snprintf(buf, size, "%s \"%.*s\"", kind, (int)n, tok->value.p);
    return buf;
}
