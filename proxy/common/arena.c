#include "common/arena.h"

#include <stdint.h>
#include <string.h>

#include "common/mem.h"

typedef struct block {
    struct block *next;
    size_t size; /* usable bytes after the header */
    size_t used;
} block;

typedef struct cleanup {
    struct cleanup *next;
    void (*fn)(void *);
    void *data;
} cleanup;

struct pst_arena {
    block *head; /* current block; older blocks follow */
    block *first;
    size_t block_size;
    size_t total;
    cleanup *cleanups;
};

#define ALIGN 16u
#define HDR ((sizeof(block) + ALIGN - 1) & ~(size_t)(ALIGN - 1))

static block *block_new(size_t size)
{
    block *b = pst_malloc(HDR + size);
    if (!b)
        return NULL;
    b->next = NULL;
    b->size = size;
    b->used = 0;
    return b;
}

pst_arena *pst_arena_create(size_t block_size)
{
    if (block_size < 256)
        block_size = 256;
    pst_arena *a = pst_malloc(sizeof(*a));
    if (!a)
        return NULL;
    a->first = a->head = block_new(block_size);
    if (!a->head) {
        pst_free(a);
        return NULL;
    }
    a->block_size = block_size;
    a->total = 0;
    a->cleanups = NULL;
    return a;
}

static void run_cleanups(pst_arena *a)
{
    while (a->cleanups) {
        cleanup *c = a->cleanups;
        a->cleanups = c->next;
        c->fn(c->data);
    }
}

void pst_arena_reset(pst_arena *a)
{
    if (!a)
        return;
    run_cleanups(a);
    block *b = a->head;
    while (b && b != a->first) {
        block *next = b->next;
        pst_free(b);
        b = next;
    }
    a->head = a->first;
    a->first->next = NULL;
    a->first->used = 0;
    a->total = 0;
}

void pst_arena_destroy(pst_arena *a)
{
    if (!a)
        return;
    pst_arena_reset(a);
    pst_free(a->first);
    pst_free(a);
}

void *pst_arena_alloc(pst_arena *a, size_t n)
{
    size_t need = (n + ALIGN - 1) & ~(size_t)(ALIGN - 1);
    if (need < n)
        return NULL;
    block *b = a->head;
    if (b->size - b->used < need) {
        size_t size = need > a->block_size ? need : a->block_size;
        block *nb = block_new(size);
        if (!nb)
            return NULL;
        nb->next = a->head;
        a->head = b = nb;
    }
    void *p = (char *)b + HDR + b->used;
    b->used += need;
    a->total += need;
    return p;
}

void *pst_arena_calloc(pst_arena *a, size_t n)
{
    void *p = pst_arena_alloc(a, n);
    if (p)
        memset(p, 0, n);
    return p;
}

char *pst_arena_strndup(pst_arena *a, const char *s, size_t n)
{
    char *p = pst_arena_alloc(a, n + 1);
    if (!p)
        return NULL;
    if (n)
        memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

pst_status pst_arena_cleanup(pst_arena *a, void (*fn)(void *), void *data)
{
    cleanup *c = pst_arena_alloc(a, sizeof(*c));
    if (!c)
        return PST_ERROR;
    c->fn = fn;
    c->data = data;
    c->next = a->cleanups;
    a->cleanups = c;
    return PST_OK;
}

size_t pst_arena_used(const pst_arena *a)
{
    return a->total;
}
