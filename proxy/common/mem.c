#include "common/mem.h"

#include <stdatomic.h>
#include <stdlib.h>

static atomic_long fail_countdown;

static int injected_failure(void)
{
    long c = atomic_load_explicit(&fail_countdown, memory_order_relaxed);
    if (c <= 0)
        return 0;
    return atomic_fetch_sub(&fail_countdown, 1) == 1;
}

void pst_mem_fail_at(long n)
{
    atomic_store(&fail_countdown, n < 0 ? 0 : n);
}

void *pst_malloc(size_t n)
{
    return injected_failure() ? NULL : malloc(n ? n : 1);
}

void *pst_calloc(size_t count, size_t size)
{
    return injected_failure() ? NULL : calloc(count ? count : 1, size ? size : 1);
}

void *pst_realloc(void *p, size_t n)
{
    return injected_failure() ? NULL : realloc(p, n ? n : 1);
}

void pst_free(void *p)
{
    free(p);
}
