/**
 * Internal to the config module: a table-driven walk over a libyaml
 * document that fills a C struct, substitutes ${NAME} environment
 * references, and reports every problem at its node's file:line:col.
 * config.c holds the tables for postern.yaml; this file knows nothing of
 * its keys.
 */
#ifndef POSTERN_CONFIG_WALK_H
#define POSTERN_CONFIG_WALK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <yaml.h>

#include "common/arena.h"
#include "common/diag.h"

/* Key paths in messages ("oidc.issuers[0].audiences[1]") fit in this. */
#define CFG_PATH_CAP 256

/* After this many errors the rest are dropped (one line says so). */
#define CFG_MAX_ERRORS 100

/* Aliases let a small file name a list many times over; reading stops
 * after this many scalar values so such a file cannot blow up. */
#define CFG_MAX_VALUES 100000

typedef struct {
    yaml_document_t *doc;
    const char *file;
    const char *base_dir; /* NULL: paths stay as written */
    pst_diags *diags;
    pst_arena *arena;
    size_t errors;
    size_t values; /* scalar values read so far */
    bool oom;
} cfg_walk;

typedef enum {
    CFG_K_STR,     /* const char *, any scalar */
    CFG_K_PATH,    /* const char *, non-empty, resolved against base_dir */
    CFG_K_BOOL,    /* bool */
    CFG_K_INT,     /* int within [min, max] */
    CFG_K_DUR,     /* int64_t ms within [min, max] */
    CFG_K_SIZE,    /* int64_t bytes within [min, max] */
    CFG_K_STRLIST, /* const char ** + size_t count */
    CFG_K_MAP,     /* nested struct described by sub */
    CFG_K_MAPLIST, /* array of sub->elem_size structs + size_t count */
    CFG_K_CUSTOM,  /* custom() does it all */
} cfg_kind;

/* Checks a string value (after ${} substitution); reports and returns
 * false when it is bad. */
typedef bool (*cfg_check_fn)(cfg_walk *w, const char *path, const yaml_node_t *n, const char *s);
/* Parses node into dst; reports and returns false when it is bad. */
typedef bool (*cfg_custom_fn)(cfg_walk *w, const char *path, yaml_node_t *n, void *dst);

typedef struct cfg_table cfg_table;

typedef struct {
    const char *key;
    cfg_kind kind;
    size_t off;       /* of the destination inside the struct being filled */
    size_t count_off; /* STRLIST, MAPLIST: of the size_t count */
    int64_t min, max; /* INT, DUR, SIZE */
    const cfg_table *sub;
    cfg_check_fn check; /* STR, PATH, STRLIST items (optional) */
    cfg_custom_fn custom;
    bool required;
    const char *hint; /* added to the "missing required key" message */
} cfg_field;

struct cfg_table {
    const cfg_field *fields;
    size_t n_fields;          /* at most 64 */
    size_t elem_size;         /* MAPLIST elements */
    void (*init)(void *elem); /* MAPLIST: element defaults */
    /* Cross-key checks once the mapping is read (map may be NULL when the
     * key was absent: only for the top level). */
    void (*finish)(cfg_walk *w, const char *path, yaml_node_t *map, void *dst);
};

/** Reports "path: message" at node n (or at 1:1 when n is NULL). */
void cfg_error(cfg_walk *w, const yaml_node_t *n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/** Writes "path[i]" into out (cut short if it does not fit). */
void cfg_path_index(char out[CFG_PATH_CAP], const char *path, size_t i);

/** True once CFG_MAX_VALUES values were read (reported once): loops over
 * lists stop early. */
bool cfg_exhausted(const cfg_walk *w);

/** Records an allocation failure (reported once by the loader). */
void cfg_oom(cfg_walk *w);

/** Fills dst from the mapping node map according to t. map NULL (or a YAML
 * null) keeps the defaults and only checks required keys. */
void cfg_walk_map(cfg_walk *w, const char *path, yaml_node_t *map, const cfg_table *t, void *dst);

/** The value node of key in mapping map; NULL when absent or map is not a
 * mapping. */
yaml_node_t *cfg_find(cfg_walk *w, yaml_node_t *map, const char *key);

/** True for a plain null scalar ("", "~", "null"): the key keeps its
 * default. */
bool cfg_is_null(const yaml_node_t *n);

/** The scalar text of n after ${NAME} substitution, owned by the arena;
 * NULL (reported "path: expected <expected>") when n is not a scalar or a
 * reference is bad. *plain tells whether it may be read as a number or
 * boolean: a plain scalar, or one whose text came from the environment. */
const char *cfg_scalar(cfg_walk *w, const char *path, yaml_node_t *n, const char *expected,
                       bool *plain);

/** Reports "path: expected <expected> (got ...)" describing n. */
void cfg_type_error(cfg_walk *w, const char *path, const yaml_node_t *n, const char *expected);

/** Copies s (n bytes) into the arena; NULL when out of memory (recorded). */
char *cfg_strndup(cfg_walk *w, const char *s, size_t n);

/** Formats milliseconds the way the config writes them ("1s", "250ms"). */
void cfg_format_ms(int64_t ms, char *out, size_t cap);

#endif
