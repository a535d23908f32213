/**
 * Allocation wrappers used by every postern module, so tests can make the
 * Nth allocation fail (SQLite-style) and check that callers recover.
 */
#ifndef POSTERN_COMMON_MEM_H
#define POSTERN_COMMON_MEM_H

#include <stddef.h>

/** malloc/calloc/realloc/free; NULL on failure (or on the injected failure). */
void *pst_malloc(size_t n);
void *pst_calloc(size_t count, size_t size);
void *pst_realloc(void *p, size_t n);
void pst_free(void *p);

/** Tests only: the n-th allocation from now fails (1 = the next one); 0 turns
 * injection off. Counts across threads; not for production use. */
void pst_mem_fail_at(long n);

#endif
