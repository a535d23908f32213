/**
 * Diagnostics: a list of "file:line:col: message" errors collected while
 * loading config, schema or policy, so `postern check` reports them all.
 */
#ifndef POSTERN_COMMON_DIAG_H
#define POSTERN_COMMON_DIAG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef struct pst_diag {
    char *file;         /* may be NULL */
    uint32_t line, col; /* 1-based; 0 when unknown */
    char *message;
    struct pst_diag *next;
} pst_diag;

typedef struct {
    pst_diag *first, *last;
    size_t count;
    int oom; /* an entry could not be stored (counted anyway) */
} pst_diags;

#define PST_DIAGS_INIT                                                                             \
    {                                                                                              \
        NULL, NULL, 0, 0                                                                           \
    }

/** Appends one entry (message from fmt). Never fails: when out of memory
 * the entry is counted and `oom` is set. */
void pst_diags_add(pst_diags *d, const char *file, uint32_t line, uint32_t col, const char *fmt,
                   ...) __attribute__((format(printf, 5, 6)));

/** Prints each entry as "file:line:col: error: message\n". */
void pst_diags_print(const pst_diags *d, FILE *out);

/** Frees every entry; d is empty and reusable afterwards. */
void pst_diags_free(pst_diags *d);

#endif
