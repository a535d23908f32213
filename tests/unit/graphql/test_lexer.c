/* GraphQL lexer: every token kind, string escapes, block strings, ignored
 * tokens, positions (UTF-16 columns) and errors with graphql-js's messages
 * (checked against graphql-js 16.15). */
#include <stdint.h>
#include <string.h>

#include "common/arena.h"
#include "common/mem.h"
#include "graphql/lexer.h"
#include "test.h"

static pst_arena *arena;

#define MAX_TOKS 64
static gql_token toks[MAX_TOKS];
static int ntoks;
static gql_lexer lx;

/* Lexes n bytes of src up to <EOF> (included) or an error. Returns the
 * status of the last call. */
static pst_status lex_n(const char *src, size_t n)
{
    gql_lexer_init(&lx, arena, src, n);
    ntoks = 0;
    while (ntoks < MAX_TOKS) {
        pst_status s = gql_lexer_next(&lx, &toks[ntoks]);
        if (s != PST_OK)
            return s;
        if (toks[ntoks++].kind == GQL_TOK_EOF)
            return PST_OK;
    }
    return PST_ERROR;
}

static pst_status lex(const char *src)
{
    return lex_n(src, strlen(src));
}

static bool str_is(pst_str s, const char *want, size_t n)
{
    return s.n == n && memcmp(s.p, want, n) == 0;
}

#define TEXT_IS(tok, lit) str_is((tok).text, lit, sizeof(lit) - 1)
#define VALUE_IS(tok, lit) str_is((tok).value, lit, sizeof(lit) - 1)

/* One token: its kind and decoded value. */
static bool one_value(const char *src, gql_tok_kind kind, const char *want, size_t want_n)
{
    if (lex(src) != PST_OK || ntoks != 2 || toks[0].kind != kind)
        return false;
    return str_is(toks[0].value, want, want_n) && toks[0].value.p[want_n] == '\0';
}
#define ONE_STRING(src, lit) one_value(src, GQL_TOK_STRING, lit, sizeof(lit) - 1)
#define ONE_BLOCK(src, lit) one_value(src, GQL_TOK_BLOCK_STRING, lit, sizeof(lit) - 1)

/* Lexes to the error; checks its message and position. */
static bool lex_error(const char *src, size_t n, const char *msg, uint32_t line, uint32_t col)
{
    if (lex_n(src, n) == PST_OK)
        return false;
    if (strcmp(lx.message, msg) != 0 || lx.err_line != line || lx.err_col != col) {
        fprintf(stderr, "  %s -> %u:%u %s\n", src, lx.err_line, lx.err_col, lx.message);
        return false;
    }
    return true;
}
#define ERR(src, msg, line, col) CHECK(lex_error(src, sizeof(src) - 1, msg, line, col))

static void test_punctuators(void)
{
    CHECK(lex("! $ & ( ) ... : = @ [ ] { | }") == PST_OK);
    static const gql_tok_kind want[] = {
        GQL_TOK_BANG,      GQL_TOK_DOLLAR,  GQL_TOK_AMP,    GQL_TOK_PAREN_L, GQL_TOK_PAREN_R,
        GQL_TOK_SPREAD,    GQL_TOK_COLON,   GQL_TOK_EQUALS, GQL_TOK_AT,      GQL_TOK_BRACKET_L,
        GQL_TOK_BRACKET_R, GQL_TOK_BRACE_L, GQL_TOK_PIPE,   GQL_TOK_BRACE_R, GQL_TOK_EOF,
    };
    CHECK(ntoks == 15);
    for (int i = 0; i < ntoks && i < 15; i++)
        CHECK(toks[i].kind == want[i]);
    CHECK(toks[5].col == 11 && toks[5].text.n == 3);
    CHECK(toks[6].col == 15);
    CHECK(toks[14].col == 30 && toks[14].text.n == 0);
    CHECK_STR(gql_tok_kind_name(GQL_TOK_SPREAD), "...");
    CHECK_STR(gql_tok_kind_name(GQL_TOK_BLOCK_STRING), "BlockString");
    CHECK_STR(gql_tok_kind_name(GQL_TOK_EOF), "<EOF>");
    /* <EOF> again and again */
    gql_token t;
    CHECK(gql_lexer_next(&lx, &t) == PST_OK && t.kind == GQL_TOK_EOF);
}

static void test_names_numbers(void)
{
    CHECK(lex("_a a1 Z_9 query") == PST_OK && ntoks == 5);
    CHECK(toks[0].kind == GQL_TOK_NAME && TEXT_IS(toks[0], "_a") && VALUE_IS(toks[0], "_a"));
    CHECK(toks[2].kind == GQL_TOK_NAME && TEXT_IS(toks[2], "Z_9"));
    CHECK(lex("0 -0 12 -12 1.5 1e10 1E-3 -1.5e+3 0.0") == PST_OK && ntoks == 10);
    static const gql_tok_kind kinds[] = {GQL_TOK_INT,   GQL_TOK_INT,   GQL_TOK_INT,
                                         GQL_TOK_INT,   GQL_TOK_FLOAT, GQL_TOK_FLOAT,
                                         GQL_TOK_FLOAT, GQL_TOK_FLOAT, GQL_TOK_FLOAT};
    for (int i = 0; i < 9; i++)
        CHECK(toks[i].kind == kinds[i]);
    CHECK(TEXT_IS(toks[3], "-12") && TEXT_IS(toks[7], "-1.5e+3"));
    /* a number followed by a punctuator or space ends there */
    CHECK(lex("1,2)3]") == PST_OK && ntoks == 6 && toks[2].kind == GQL_TOK_PAREN_R);

    ERR("01", "Syntax Error: Invalid number, unexpected digit after 0: \"1\".", 1, 2);
    ERR("-01", "Syntax Error: Invalid number, unexpected digit after 0: \"1\".", 1, 3);
    ERR("1.", "Syntax Error: Invalid number, expected digit but got: <EOF>.", 1, 3);
    ERR("1.e1", "Syntax Error: Invalid number, expected digit but got: \"e\".", 1, 3);
    ERR("1e", "Syntax Error: Invalid number, expected digit but got: <EOF>.", 1, 3);
    ERR("1e+", "Syntax Error: Invalid number, expected digit but got: <EOF>.", 1, 4);
    ERR("-", "Syntax Error: Invalid number, expected digit but got: <EOF>.", 1, 2);
    ERR("-a", "Syntax Error: Invalid number, expected digit but got: \"a\".", 1, 2);
    ERR("12a", "Syntax Error: Invalid number, expected digit but got: \"a\".", 1, 3);
    ERR("1_", "Syntax Error: Invalid number, expected digit but got: \"_\".", 1, 2);
    ERR("1.5.", "Syntax Error: Invalid number, expected digit but got: \".\".", 1, 4);
    ERR("1.5e3x", "Syntax Error: Invalid number, expected digit but got: \"x\".", 1, 6);
    ERR("0xF", "Syntax Error: Invalid number, expected digit but got: \"x\".", 1, 2);
    ERR(".5", "Syntax Error: Unexpected character: \".\".", 1, 1);
    ERR("..", "Syntax Error: Unexpected character: \".\".", 1, 1);
}

static void test_strings(void)
{
    CHECK(ONE_STRING("\"\"", ""));
    CHECK(ONE_STRING("\"simple\"", "simple"));
    CHECK(lex("\"a b\"") == PST_OK && TEXT_IS(toks[0], "\"a b\""));
    CHECK(ONE_STRING("\"\\\" \\\\ \\/ \\b \\f \\n \\r \\t\"", "\" \\ / \b \f \n \r \t"));
    CHECK(ONE_STRING("\"\\u0041\\u00e9\\u20AC\"", "A\xc3\xa9\xe2\x82\xac"));
    CHECK(ONE_STRING("\"\\u{1F600}\\u{41}\\u{00000041}\"", "\xf0\x9f\x98\x80"
                                                           "AA"));
    CHECK(ONE_STRING("\"\\uD83D\\uDE00\"", "\xf0\x9f\x98\x80"));
    CHECK(ONE_STRING("\"\\ud83d\\ude00!\"", "\xf0\x9f\x98\x80!"));
    CHECK(ONE_STRING("\"\\u{10FFFF}\"", "\xf4\x8f\xbf\xbf"));
    CHECK(one_value("\"\\u0000\"", GQL_TOK_STRING, "\0", 1));
    CHECK(ONE_STRING("\"caf\xc3\xa9 \xf0\x9f\x98\x80\"", "caf\xc3\xa9 \xf0\x9f\x98\x80"));
    /* the October 2021 spec allows any scalar value but line terminators */
    CHECK(ONE_STRING("\"a\x07z\"", "a\x07z"));

    ERR("\"\\uD800\"", "Syntax Error: Invalid Unicode escape sequence: \"\\uD800\".", 1, 2);
    ERR("\"\\uDE00\"", "Syntax Error: Invalid Unicode escape sequence: \"\\uDE00\".", 1, 2);
    ERR("\"\\uD83D\\u0041\"", "Syntax Error: Invalid Unicode escape sequence: \"\\uD83D\".", 1, 2);
    ERR("\"\\uD83Dx\"", "Syntax Error: Invalid Unicode escape sequence: \"\\uD83D\".", 1, 2);
    ERR("\"\\u{D800}\"", "Syntax Error: Invalid Unicode escape sequence: \"\\u{D800}\".", 1, 2);
    ERR("\"\\u{110000}\"", "Syntax Error: Invalid Unicode escape sequence: \"\\u{110000}\".", 1, 2);
    ERR("\"\\u{}\"", "Syntax Error: Invalid Unicode escape sequence: \"\\u{}\".", 1, 2);
    ERR("\"\\u{1F600\"", "Syntax Error: Invalid Unicode escape sequence: \"\\u{1F600\"\".", 1, 2);
    ERR("\"\\u{FFFFFFFFF}\"", "Syntax Error: Invalid Unicode escape sequence: \"\\u{FFFFFFFF\".", 1,
        2);
    ERR("\"\\u12\"", "Syntax Error: Invalid Unicode escape sequence: \"\\u12\"\".", 1, 2);
    ERR("\"\\u12", "Syntax Error: Invalid Unicode escape sequence: \"\\u12\".", 1, 2);
    ERR("\"ab \\x\"", "Syntax Error: Invalid character escape sequence: \"\\x\".", 1, 5);
    ERR("\"\\", "Syntax Error: Invalid character escape sequence: \"\\\".", 1, 2);
    ERR("\"abc", "Syntax Error: Unterminated string.", 1, 5);
    ERR("\"abc\ndef\"", "Syntax Error: Unterminated string.", 1, 5);
    ERR("\"abc\r\"", "Syntax Error: Unterminated string.", 1, 5);
    ERR("\"\xff\"", "Syntax Error: Invalid UTF-8 byte 0xFF.", 1, 2);
    ERR("\"\xc3\"", "Syntax Error: Invalid UTF-8 byte 0xC3.", 1, 2);
    ERR("\"\xc0\x80\"", "Syntax Error: Invalid UTF-8 byte 0xC0.", 1, 2);         /* overlong */
    ERR("\"\xed\xa0\x80\"", "Syntax Error: Invalid UTF-8 byte 0xED.", 1, 2);     /* surrogate */
    ERR("\"\xf4\x90\x80\x80\"", "Syntax Error: Invalid UTF-8 byte 0xF4.", 1, 2); /* > 10FFFF */
    ERR("\"\\\xff\"", "Syntax Error: Invalid UTF-8 byte 0xFF.", 1, 3);
    /* the message quotes as many UTF-16 units as graphql-js does */
    ERR("\"\\u\xc3\xa9"
        "Dfa\"",
        "Syntax Error: Invalid Unicode escape sequence: \"\\u\xc3\xa9"
        "Dfa\".",
        1, 2);
    ERR("\"\\u{\xf0\x9f\x98\x80}\"",
        "Syntax Error: Invalid Unicode escape sequence: \"\\u{\xf0\x9f\x98\x80\".", 1, 2);
    ERR("\"\\\xc3\xa9\"", "Syntax Error: Invalid character escape sequence: \"\\\xc3\xa9\".", 1, 2);
}

static void test_block_strings(void)
{
    CHECK(ONE_BLOCK("\"\"\"\"\"\"", ""));
    CHECK(ONE_BLOCK("\"\"\"simple\"\"\"", "simple"));
    CHECK(lex("\"\"\"a\"\"\"") == PST_OK && TEXT_IS(toks[0], "\"\"\"a\"\"\""));
    /* the spec's example: common indentation and blank first/last lines go */
    CHECK(ONE_BLOCK("\"\"\"\n    Hello,\n      World!\n\n    Yours,\n      GraphQL.\n  \"\"\"",
                    "Hello,\n  World!\n\nYours,\n  GraphQL."));
    /* the first line keeps its indentation; the others lose the common one */
    CHECK(ONE_BLOCK("\"\"\"  a\n    b\n  c\"\"\"", "  a\n  b\nc"));
    CHECK(ONE_BLOCK("\"\"\"first\n    second\n   third\"\"\"", "first\n second\nthird"));
    CHECK(ONE_BLOCK("\"\"\"\t\ta\n\t\t\tb\"\"\"", "\t\ta\nb"));
    /* blank lines: only whitespace; removed at both ends, kept inside */
    CHECK(ONE_BLOCK("\"\"\"\n\n  x\n\n\"\"\"", "x"));
    CHECK(ONE_BLOCK("\"\"\"   \"\"\"", ""));
    CHECK(ONE_BLOCK("\"\"\"\n   \n  \n\"\"\"", ""));
    CHECK(ONE_BLOCK("\"\"\"\n  a\n \n  b\n   \n\"\"\"", "a\n\nb"));
    CHECK(ONE_BLOCK("\"\"\"\n  a\n     \n  b\"\"\"", "a\n   \nb"));
    /* every line terminator becomes \n */
    CHECK(ONE_BLOCK("\"\"\"\r\n  a\r\n\r\n    b\r\n  \"\"\"", "a\n\n  b"));
    CHECK(ONE_BLOCK("\"\"\"\r\r  x\r  y\"\"\"", "x\ny"));
    /* \""" is the only escape; other backslashes stay */
    CHECK(ONE_BLOCK("\"\"\"a \\\"\"\" b\"\"\"", "a \"\"\" b"));
    CHECK(ONE_BLOCK("\"\"\"  \\\"\"\"x\n   y\"\"\"", "  \"\"\"x\ny"));
    CHECK(ONE_BLOCK("\"\"\"a\\nb \\u0041\"\"\"", "a\\nb \\u0041"));
    CHECK(ONE_BLOCK("\"\"\"\xc3\xa9\n  \xf0\x9f\x98\x80x\n   y\"\"\"",
                    "\xc3\xa9\n\xf0\x9f\x98\x80x\n y"));
    CHECK(ONE_BLOCK("\"\"\"a\"b\"\"c\"\"\"", "a\"b\"\"c"));

    /* positions after a block string that spans lines */
    CHECK(lex("{\n  \"\"\"a\n  b\"\"\" x\r\n\"\"\"\n\"\"\"y") == PST_OK && ntoks == 6);
    CHECK(toks[1].line == 2 && toks[1].col == 3);
    CHECK(toks[2].kind == GQL_TOK_NAME && toks[2].line == 3 && toks[2].col == 8);
    CHECK(toks[3].kind == GQL_TOK_BLOCK_STRING && toks[3].line == 4 && toks[3].col == 1);
    CHECK(toks[4].kind == GQL_TOK_NAME && toks[4].line == 5 && toks[4].col == 4);

    ERR("\"\"\"abc", "Syntax Error: Unterminated string.", 1, 7);
    ERR("\"\"\"a\nb\n\"\"", "Syntax Error: Unterminated string.", 3, 3);
    ERR("\"\"\"a\\\"\"\"", "Syntax Error: Unterminated string.", 1, 9);
    ERR("x \"\"\"a\n  \xff\"\"\"", "Syntax Error: Invalid UTF-8 byte 0xFF.", 2, 3);
}

static void test_ignored(void)
{
    /* BOM, whitespace, commas, comments and \n, \r\n, \r line terminators */
    CHECK(lex("\xef\xbb\xbf a,,b # comment \xc3\xa9 \x07 ! \n\tc\r\nd\re\xef\xbb\xbf"
              "f") == PST_OK);
    CHECK(ntoks == 7);
    CHECK(toks[0].line == 1 && toks[0].col == 3 && TEXT_IS(toks[0], "a"));
    CHECK(toks[1].line == 1 && toks[1].col == 6); /* the BOM is one unit */
    CHECK(toks[2].line == 2 && toks[2].col == 2 && TEXT_IS(toks[2], "c"));
    CHECK(toks[3].line == 3 && toks[3].col == 1 && TEXT_IS(toks[3], "d"));
    CHECK(toks[4].line == 4 && toks[4].col == 1 && TEXT_IS(toks[4], "e"));
    CHECK(toks[5].line == 4 && toks[5].col == 3 && TEXT_IS(toks[5], "f"));
    CHECK(toks[6].kind == GQL_TOK_EOF && toks[6].line == 4);
    CHECK(lex("# only a comment") == PST_OK && ntoks == 1 && toks[0].kind == GQL_TOK_EOF);
    CHECK(lex("") == PST_OK && ntoks == 1 && toks[0].line == 1 && toks[0].col == 1);
    /* no NUL needed: the lexer stops at n */
    CHECK(lex_n("abc", 2) == PST_OK && ntoks == 2 && TEXT_IS(toks[0], "ab"));
    ERR("a # \xff", "Syntax Error: Invalid UTF-8 byte 0xFF.", 1, 5);
}

static void test_columns(void)
{
    /* columns count UTF-16 code units: U+1F600 is two, U+00E9 one */
    CHECK(lex("{ a(x: \"\xf0\x9f\x98\x80\") b }") == PST_OK);
    CHECK(toks[7].kind == GQL_TOK_NAME && toks[7].col == 14);
    CHECK(lex("\"\xc3\xa9\xe2\x82\xac\" x") == PST_OK && toks[1].col == 6);
    CHECK(lex("\"\xc3\xa9\" \"\xf0\x9f\x98\x80\" x") == PST_OK && toks[1].col == 5);
    CHECK(toks[2].col == 10);
    CHECK(lex("\"\"\"\xf0\x9f\x98\x80\"\"\" x") == PST_OK && toks[1].col == 10);
    CHECK(lex("\"\"\"a\n\xf0\x9f\x98\x80\"\"\" x") == PST_OK);
    CHECK(toks[1].line == 2 && toks[1].col == 7);
    CHECK(lex("\"\"\"\xf0\x9f\x98\x80\n\"\"\" x") == PST_OK);
    CHECK(toks[1].line == 2 && toks[1].col == 5);
    CHECK(lex("a \xef\xbb\xbf b") == PST_OK && toks[1].col == 5);
    ERR("\"\xf0\x9f\x98\x80\" \x07", "Syntax Error: Unexpected character: U+0007.", 1, 6);
    ERR("# \xf0\x9f\x98\x80\n  \xe2\x82\xac", "Syntax Error: Unexpected character: U+20AC.", 2, 3);
}

static void test_bad_characters(void)
{
    ERR("\x07", "Syntax Error: Unexpected character: U+0007.", 1, 1);
    ERR("a\n  \x01", "Syntax Error: Unexpected character: U+0001.", 2, 3);
    ERR("\xc3\xa9", "Syntax Error: Unexpected character: U+00E9.", 1, 1);
    ERR("\xf0\x9f\x98\x80", "Syntax Error: Unexpected character: U+1F600.", 1, 1);
    ERR("'a'",
        "Syntax Error: Unexpected single quote character ('), did you mean to use a double "
        "quote (\")?",
        1, 1);
    ERR("?", "Syntax Error: Unexpected character: \"?\".", 1, 1);
    ERR("a \xff", "Syntax Error: Invalid UTF-8 byte 0xFF.", 1, 3);
    ERR("\xef\xbb", "Syntax Error: Invalid UTF-8 byte 0xEF.", 1, 1);
    CHECK(lex_error("a \0", 3, "Syntax Error: Unexpected character: U+0000.", 1, 3));
}

static void test_describe(void)
{
    char buf[256];
    CHECK(lex("} \"x\\ny\" name 1.5 \"\"\"b\"\"\"") == PST_OK);
    CHECK_STR(gql_tok_describe(&toks[0], buf, sizeof(buf)), "\"}\"");
    CHECK_STR(gql_tok_describe(&toks[1], buf, sizeof(buf)), "String \"x\ny\"");
    CHECK_STR(gql_tok_describe(&toks[2], buf, sizeof(buf)), "Name \"name\"");
    CHECK_STR(gql_tok_describe(&toks[3], buf, sizeof(buf)), "Float \"1.5\"");
    CHECK_STR(gql_tok_describe(&toks[4], buf, sizeof(buf)), "BlockString \"b\"");
    CHECK_STR(gql_tok_describe(&toks[5], buf, sizeof(buf)), "<EOF>");
    /* long values are cut on a character boundary */
    char src[400] = "\"";
    for (int i = 0; i < 100; i++)
        strcat(src, "\xc3\xa9");
    strcat(src, "\"");
    CHECK(lex(src) == PST_OK);
    gql_tok_describe(&toks[0], buf, sizeof(buf));
    CHECK(strlen(buf) == strlen("String \"\"") + 100);
}

static void test_out_of_memory(void)
{
    /* a string too long for the arena's current block needs a new one */
    char src[2100];
    src[0] = '"';
    memset(src + 1, 'x', 2000);
    src[2001] = '"';
    pst_arena *small = pst_arena_create(256);
    gql_lexer l;
    gql_token t = {.kind = GQL_TOK_BANG};
    gql_lexer_init(&l, small, src, 2002);
    pst_mem_fail_at(1);
    CHECK(gql_lexer_next(&l, &t) == PST_ERROR);
    pst_mem_fail_at(0);
    CHECK_STR(l.message, "Out of memory.");
    CHECK(l.err_line == 0 && t.kind == GQL_TOK_BANG);
    gql_lexer_init(&l, small, src, 2002);
    CHECK(gql_lexer_next(&l, &t) == PST_OK && t.kind == GQL_TOK_STRING && t.value.n == 2000);
    pst_arena_destroy(small);
}

int main(void)
{
    arena = pst_arena_create(4096);
    test_punctuators();
    test_names_numbers();
    test_strings();
    test_block_strings();
    test_ignored();
    test_columns();
    test_bad_characters();
    test_describe();
    test_out_of_memory();
    pst_arena_destroy(arena);
    TEST_END();
}
