/**
 * Arena: per-request memory, freed in one go. Resources that are not memory
 * (jansson values, timers, NATS messages) register a cleanup that runs,
 * last registered first, when the arena is reset or destroyed.
 *
 * An arena is used by one thread at a time.
 */
#ifndef POSTERN_COMMON_ARENA_H
#define POSTERN_COMMON_ARENA_H

#include <stddef.h>

#include "common/status.h"

typedef struct pst_arena pst_arena;

/** Creates an arena whose blocks hold at least block_size bytes.
 * Returns NULL when out of memory. The caller owns it (pst_arena_destroy). */
pst_arena *pst_arena_create(size_t block_size);

/** Runs the cleanups and frees all memory, including the arena. NULL is ok. */
void pst_arena_destroy(pst_arena *a);

/** Runs the cleanups and forgets every allocation, keeping the first block
 * for reuse. Pointers handed out before are invalid afterwards. */
void pst_arena_reset(pst_arena *a);

/** Returns n bytes aligned to 16, owned by the arena; NULL when out of
 * memory (arena unchanged). */
void *pst_arena_alloc(pst_arena *a, size_t n);

/** As pst_arena_alloc, zero-filled. */
void *pst_arena_calloc(pst_arena *a, size_t n);

/** Copies n bytes of s and adds a NUL; NULL when out of memory. */
char *pst_arena_strndup(pst_arena *a, const char *s, size_t n);

/** Registers fn(data) to run at reset/destroy. Returns PST_ERROR (and does
 * not register; the caller must release data itself) when out of memory. */
pst_status pst_arena_cleanup(pst_arena *a, void (*fn)(void *), void *data);

/** Bytes handed out since creation or the last reset (for limits/metrics). */
size_t pst_arena_used(const pst_arena *a);

#endif
