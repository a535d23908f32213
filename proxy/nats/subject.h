/**
 * NATS subjects: templates with {{ args.X }} / {{ claims.X }} placeholders,
 * the run-time safety checks that stop subject injection (SPEC §5), and
 * NATS's own subject/pattern rules (validity and wildcard matching).
 */
#ifndef POSTERN_NATS_SUBJECT_H
#define POSTERN_NATS_SUBJECT_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "common/arena.h"
#include "common/str.h"

/** Longest value a placeholder may render to, in bytes. */
#define NATS_TOKEN_MAX 256
/** Deepest path a placeholder may name (args.a.b.c... counts segments). */
#define NATS_TEMPLATE_MAX_PATH 16

typedef struct nats_template nats_template;

/** Parses a subject template: literal text and placeholders
 * `{{ args.NAME(.NAME)* }}` or `{{ claims.PATH(.PATH)* }}` (spaces inside the
 * braces optional). The literal text must form a valid NATS subject or
 * pattern once each placeholder stands for one token: wildcards (`*`, `>`)
 * are allowed in literal tokens only for subscription templates, which
 * nats_template_is_pattern reports.
 * Returns NULL on bad syntax, another root than args/claims, or an invalid
 * subject shape, with *error set to a constant message; out of memory gives
 * NULL with PST_E_NOMEM. The template lives in (and dies with) the arena;
 * it is read-only afterwards, so threads may render it concurrently. */
nats_template *nats_template_compile(pst_arena *a, const char *text, const char **error);

/** True when the template's literal text holds wildcard tokens. */
bool nats_template_is_pattern(const nats_template *t);

/** True when the template has at least one {{ args.* }} placeholder. */
bool nats_template_uses_args(const nats_template *t);

/** The template's source text (NUL-terminated, owned by the template). */
const char *nats_template_text(const nats_template *t);

typedef enum {
    NATS_RENDER_OK = 0,
    NATS_RENDER_BAD_ARG,     /* an args value is missing or unsafe: BAD_USER_INPUT */
    NATS_RENDER_BAD_CLAIM,   /* a claims value is missing or unsafe: FORBIDDEN */
    NATS_RENDER_BAD_SUBJECT, /* the whole subject is invalid (cannot happen for a
                                compiled template whose values all passed) */
    NATS_RENDER_NOMEM,
} nats_render_source;

typedef struct {
    nats_render_source source;
    const char *placeholder; /* e.g. "args.id" (owned by the template); NULL if none */
    const char *message;     /* constant text, e.g. "value contains '.'" */
} nats_render_error;

/** Appends the rendered subject to out. args and claims are JSON objects
 * (either may be NULL when no placeholder needs it). Each placeholder's value
 * must be a string or an integral number (printed as an integer) and pass
 * nats_token_check; then the whole text must be a valid subject (or, for a
 * pattern template, a valid pattern).
 * Returns PST_OK, or PST_ERROR with *why filled in (why may be NULL) and out
 * exactly as before the call. */
pst_status nats_template_render(const nats_template *t, json_t *args, json_t *claims, pst_buf *out,
                                nats_render_error *why);

/** Checks one rendered value as a safe NATS token: non-empty, at most
 * NATS_TOKEN_MAX bytes, valid UTF-8, no '.', '*', '>', whitespace (ASCII or
 * Unicode) or control characters (C0, DEL, C1), not starting with '$'.
 * Returns NULL when safe, else a constant message saying why not. */
const char *nats_token_check(const char *p, size_t n);

/** A valid NATS subject to publish on: non-empty tokens separated by '.',
 * no whitespace or control bytes, no wildcard characters. */
bool nats_subject_valid(pst_str s);

/** A valid subscription pattern: as a subject, except that a token may be
 * exactly `*` (one token) or, as the last token only, exactly `>` (one or
 * more tokens). `*`/`>` inside a longer token are refused. */
bool nats_pattern_valid(pst_str s);

/** NATS matching: true when the valid subject matches the valid pattern
 * (`*` one token, `>` one or more trailing tokens, others byte-equal).
 * False when either is invalid. */
bool nats_subject_match(pst_str pattern, pst_str subject);

#endif
