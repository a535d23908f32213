#include "common/diag.h"

#include <stdarg.h>
#include <string.h>

#include "common/mem.h"

static char *dup_c(const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = pst_malloc(n);
    if (p)
        memcpy(p, s, n);
    return p;
}

void pst_diags_add(pst_diags *d, const char *file, uint32_t line, uint32_t col, const char *fmt,
                   ...)
{
    d->count++;
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    pst_diag *e = pst_calloc(1, sizeof(*e));
    if (!e || !(e->message = dup_c(msg)) || (file && !(e->file = dup_c(file)))) {
        if (e) {
            pst_free(e->message);
            pst_free(e);
        }
        d->oom = 1;
        return;
    }
    e->line = line;
    e->col = col;
    if (d->last)
        d->last->next = e;
    else
        d->first = e;
    d->last = e;
}

void pst_diags_print(const pst_diags *d, FILE *out)
{
    for (const pst_diag *e = d->first; e; e = e->next) {
        if (e->file && e->line)
            fprintf(out, "%s:%u:%u: error: %s\n", e->file, e->line, e->col, e->message);
        else if (e->file)
            fprintf(out, "%s: error: %s\n", e->file, e->message);
        else
            fprintf(out, "error: %s\n", e->message);
    }
    if (d->oom)
        fprintf(out, "error: out of memory while recording errors\n");
}

void pst_diags_free(pst_diags *d)
{
    pst_diag *e = d->first;
    while (e) {
        pst_diag *next = e->next;
        pst_free(e->file);
        pst_free(e->message);
        pst_free(e);
        e = next;
    }
    memset(d, 0, sizeof(*d));
}
