#include "graphql/errors.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void gql_errors_init(gql_errors *e, pst_arena *arena)
{
    memset(e, 0, sizeof(*e));
    e->arena = arena;
}

static const char *copy(pst_arena *a, const char *s, int *failed)
{
    if (!s)
        return NULL;
    char *p = pst_arena_strndup(a, s, strlen(s));
    if (!p)
        *failed = 1;
    return p;
}

gql_error *gql_errors_add(gql_errors *e, uint32_t line, uint32_t col, const char *path,
                          const char *code, const char *extensions, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (n < 0)
        return NULL;
    int failed = 0;
    gql_error *err = pst_arena_calloc(e->arena, sizeof(*err));
    if (!err)
        return NULL;
    err->message = copy(e->arena, msg, &failed);
    err->path = copy(e->arena, path, &failed);
    err->code = copy(e->arena, code, &failed);
    err->extensions = copy(e->arena, extensions, &failed);
    if (failed)
        return NULL;
    err->line = line;
    err->col = col;
    if (e->last)
        e->last->next = err;
    else
        e->first = err;
    e->last = err;
    e->count++;
    return err;
}

pst_status gql_errors_write_json(const gql_errors *e, pst_buf *b)
{
    pst_buf_append_char(b, '[');
    for (const gql_error *err = e->first; err; err = err->next) {
        if (err != e->first)
            pst_buf_append_char(b, ',');
        pst_buf_append_c(b, "{\"message\":");
        pst_buf_append_json_str(b, err->message, strlen(err->message));
        if (err->line)
            pst_buf_appendf(b, ",\"locations\":[{\"line\":%u,\"column\":%u}]", err->line, err->col);
        if (err->path) {
            pst_buf_append_c(b, ",\"path\":");
            pst_buf_append_c(b, err->path);
        }
        if (err->code || err->extensions) {
            pst_buf_append_c(b, ",\"extensions\":{");
            if (err->code) {
                pst_buf_append_c(b, "\"code\":");
                pst_buf_append_json_str(b, err->code, strlen(err->code));
            }
            if (err->extensions) {
                if (err->code)
                    pst_buf_append_char(b, ',');
                pst_buf_append_c(b, err->extensions);
            }
            pst_buf_append_char(b, '}');
        }
        pst_buf_append_char(b, '}');
    }
    pst_buf_append_char(b, ']');
    return b->failed ? PST_ERROR : PST_OK;
}
