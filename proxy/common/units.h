/**
 * Durations and sizes as written in config, schema directives and policy:
 * durations "250ms", "2s", "1m", "1h", "1.5s"; sizes 1048576, "512KiB",
 * "1MiB", "1GiB", "100kB", "2MB".
 */
#ifndef POSTERN_COMMON_UNITS_H
#define POSTERN_COMMON_UNITS_H

#include <stdint.h>

#include "common/str.h"

/** Parses a duration into milliseconds (units ms, s, m, h; a plain number
 * is not accepted: the unit is required). Returns PST_ERROR for anything
 * else, a negative value or an overflow; *out is unchanged then. */
pst_status pst_parse_duration_ms(pst_str text, int64_t *out);

/** Parses a size in bytes: digits alone, or a number with B, kB, MB, GB,
 * KiB, MiB, GiB. PST_ERROR (out unchanged) otherwise. */
pst_status pst_parse_size(pst_str text, int64_t *out);

#endif
