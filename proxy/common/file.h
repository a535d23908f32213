/**
 * Reading a whole configuration-type file (config, schema, policy, tests)
 * into memory at start-up or on reload; never on an event loop.
 */
#ifndef POSTERN_COMMON_FILE_H
#define POSTERN_COMMON_FILE_H

#include <stddef.h>

#include "common/str.h"

/** Appends the contents of the regular file at path (at most max bytes) to
 * out. Returns PST_OK, or PST_ERROR with *why a short reason to print after
 * the caller's own words (strerror text, "not a regular file", "larger than
 * the limit", "out of memory"; constant strings); out is as before then. */
pst_status pst_file_read(const char *path, size_t max, pst_buf *out, const char **why);

#endif
