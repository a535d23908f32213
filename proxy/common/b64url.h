/**
 * Unpadded base64url (RFC 7515 §2), as JOSE uses it: JWS parts, JWK
 * members, the body hash of Postern-Identity.
 */
#ifndef POSTERN_COMMON_B64URL_H
#define POSTERN_COMMON_B64URL_H

#include <stddef.h>

#include "common/str.h"

/** Appends the encoding of n bytes. PST_ERROR when out of memory (the
 * buffer as before). */
pst_status pst_b64url_append(pst_buf *b, const void *p, size_t n);

/** Decodes n characters into out, which must hold n * 3 / 4 + 1 bytes.
 * Returns the decoded length, or -1 for a character outside the alphabet,
 * padding, a length of 1 mod 4 or non-zero trailing bits (out contents
 * undefined then). */
long pst_b64url_decode(const char *in, size_t n, unsigned char *out);

#endif
