/**
 * Pointer+length string views (never NUL-terminated by contract) and a
 * growable byte buffer used to build responses, headers and JSON text.
 */
#ifndef POSTERN_COMMON_STR_H
#define POSTERN_COMMON_STR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/status.h"

typedef struct {
    const char *p;
    size_t n;
} pst_str;

#define PST_STR_LIT(lit) ((pst_str){(lit), sizeof(lit) - 1})
#define PST_STR_NULL ((pst_str){NULL, 0})

/** A view of a NUL-terminated string (NULL gives the empty view). */
pst_str pst_str_c(const char *s);
bool pst_str_eq(pst_str a, pst_str b);
bool pst_str_eq_c(pst_str a, const char *c);
/** ASCII case-insensitive comparison. */
bool pst_str_ieq_c(pst_str a, const char *c);
bool pst_str_has_prefix(pst_str s, const char *prefix);

/** True when the n bytes at p are well-formed UTF-8 (no overlongs,
 * no surrogates, nothing above U+10FFFF). */
bool pst_utf8_valid(const char *p, size_t n);

/** 64-bit FNV-1a hash of the bytes (cache keys, hash tables). */
uint64_t pst_hash(const void *p, size_t n);

/** Growable buffer. Zero-initialise ({0}) or pst_buf_init. On allocation
 * failure appends return PST_ERROR, set `failed`, and leave the contents
 * as before the call; later appends are refused until pst_buf_reset. */
typedef struct {
    char *p;
    size_t len;
    size_t cap;
    bool failed;
} pst_buf;

void pst_buf_init(pst_buf *b);
/** Frees the storage; the buffer is empty and reusable afterwards. */
void pst_buf_free(pst_buf *b);
/** Empties the buffer and clears `failed`, keeping the storage. */
void pst_buf_reset(pst_buf *b);
pst_status pst_buf_reserve(pst_buf *b, size_t extra);
pst_status pst_buf_append(pst_buf *b, const void *p, size_t n);
pst_status pst_buf_append_c(pst_buf *b, const char *s);
pst_status pst_buf_append_char(pst_buf *b, char c);
pst_status pst_buf_appendf(pst_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/** Appends s as a quoted JSON string with escapes ("\u00XX" for controls). */
pst_status pst_buf_append_json_str(pst_buf *b, const char *s, size_t n);
/** Shortens the buffer to len (len <= b->len); used to roll back output. */
void pst_buf_truncate(pst_buf *b, size_t len);
/** Returns a NUL-terminated view of the contents (adds the NUL after len,
 * not counted in len); NULL when out of memory. */
const char *pst_buf_cstr(pst_buf *b);

#endif
