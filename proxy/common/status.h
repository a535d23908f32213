/**
 * One status enum for the whole project, and the named error strings that
 * carry detail. Functions return a pst_status; when they fail they may also
 * hand back one of the constant strings below (never freed, safe to log).
 */
#ifndef POSTERN_COMMON_STATUS_H
#define POSTERN_COMMON_STATUS_H

typedef enum {
    PST_OK = 0,        /* done */
    PST_ERROR = -1,    /* failed; detail in an error string */
    PST_AGAIN = -2,    /* not yet: more input or time is needed */
    PST_DECLINED = -3, /* not for this handler; try the next */
    PST_DENIED = -4,   /* refused by authentication or policy */
} pst_status;

/** Returns a constant lowercase name for s ("ok", "error", ...). */
const char *pst_status_name(pst_status s);

/* Error detail strings shared across modules. Modules declare their own
 * in their headers with the same pattern. */
extern const char PST_E_NOMEM[];    /* "out of memory" */
extern const char PST_E_IO[];       /* "i/o error" */
extern const char PST_E_INVALID[];  /* "invalid argument" */
extern const char PST_E_LIMIT[];    /* "limit exceeded" */
extern const char PST_E_NOTFOUND[]; /* "not found" */

#endif
