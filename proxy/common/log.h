/**
 * JSON-lines logging on stderr (SPEC §10). Every line is one JSON object
 * with "time", "level" and "msg"; callers add fields as pre-encoded JSON.
 * Thread-safe: each line is written with one write(2).
 * Never pass tokens, secrets or message bodies.
 */
#ifndef POSTERN_COMMON_LOG_H
#define POSTERN_COMMON_LOG_H

typedef enum {
    PST_LOG_DEBUG = 0,
    PST_LOG_INFO = 1,
    PST_LOG_WARN = 2,
    PST_LOG_ERROR = 3,
} pst_log_level;

/** Sets the minimum level written (default INFO) and the format: json=1
 * for JSON lines (default), 0 for plain text lines for humans. */
void pst_log_setup(pst_log_level min, int json);

/** Parses "debug" / "info" / "warn" / "error"; returns -1 when unknown. */
int pst_log_level_parse(const char *name);

/** True when lines at this level are written (to skip building them). */
int pst_log_enabled(pst_log_level level);

/** Writes {"time":..,"level":..,"msg":<fmt...>}. */
void pst_log(pst_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/** Writes {"time":..,"level":..,"msg":msg, <fields>} where fields is a
 * JSON object's members without braces, e.g. "\"corr\":\"x\",\"status\":200"
 * (may be NULL or empty). */
void pst_log_fields(pst_log_level level, const char *msg, const char *fields);

#endif
