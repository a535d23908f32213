#include "config/walk.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/str.h"
#include "common/units.h"

void cfg_error(cfg_walk *w, const yaml_node_t *n, const char *fmt, ...)
{
    w->errors++;
    if (w->errors > CFG_MAX_ERRORS + 1)
        return;
    uint32_t line = n ? (uint32_t)n->start_mark.line + 1 : 1;
    uint32_t col = n ? (uint32_t)n->start_mark.column + 1 : 1;
    if (w->errors == CFG_MAX_ERRORS + 1) {
        pst_diags_add(w->diags, w->file, line, col, "too many errors; stopping after %d",
                      CFG_MAX_ERRORS);
        return;
    }
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    pst_diags_add(w->diags, w->file, line, col, "%s", msg);
}

void cfg_path_index(char out[CFG_PATH_CAP], const char *path, size_t i)
{
    /* a path longer than the buffer is cut short; it only labels messages */
    int r = snprintf(out, CFG_PATH_CAP, "%s[%zu]", path, i);
    if (r < 0)
        out[0] = '\0';
}

bool cfg_exhausted(const cfg_walk *w)
{
    return w->values > CFG_MAX_VALUES;
}

void cfg_oom(cfg_walk *w)
{
    w->oom = true;
}

char *cfg_strndup(cfg_walk *w, const char *s, size_t n)
{
    char *p = pst_arena_strndup(w->arena, s, n);
    if (!p)
        cfg_oom(w);
    return p;
}

void cfg_format_ms(int64_t ms, char *out, size_t cap)
{
    if (ms != 0 && ms % 3600000 == 0)
        snprintf(out, cap, "%" PRId64 "h", ms / 3600000);
    else if (ms != 0 && ms % 60000 == 0)
        snprintf(out, cap, "%" PRId64 "m", ms / 60000);
    else if (ms % 1000 == 0)
        snprintf(out, cap, "%" PRId64 "s", ms / 1000);
    else
        snprintf(out, cap, "%" PRId64 "ms", ms);
}

static void format_size(int64_t b, char *out, size_t cap)
{
    static const struct {
        const char *unit;
        int64_t bytes;
    } units[] = {{"GiB", 1073741824}, {"MiB", 1048576}, {"KiB", 1024}};
    for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
        if (b != 0 && b % units[i].bytes == 0) {
            snprintf(out, cap, "%" PRId64 "%s", b / units[i].bytes, units[i].unit);
            return;
        }
    }
    snprintf(out, cap, "%" PRId64, b);
}

bool cfg_is_null(const yaml_node_t *n)
{
    if (!n || n->type != YAML_SCALAR_NODE || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
        return false;
    pst_str s = {(const char *)n->data.scalar.value, n->data.scalar.length};
    return s.n == 0 || pst_str_eq_c(s, "~") || pst_str_eq_c(s, "null") || pst_str_eq_c(s, "Null") ||
           pst_str_eq_c(s, "NULL");
}

void cfg_type_error(cfg_walk *w, const char *path, const yaml_node_t *n, const char *expected)
{
    if (n->type == YAML_MAPPING_NODE) {
        cfg_error(w, n, "%s: expected %s (got a mapping)", path, expected);
    } else if (n->type == YAML_SEQUENCE_NODE) {
        cfg_error(w, n, "%s: expected %s (got a list)", path, expected);
    } else {
        size_t len = n->data.scalar.length;
        int shown = len > 60 ? 60 : (int)len;
        cfg_error(w, n, "%s: expected %s (got \"%.*s%s\")", path, expected, shown,
                  (const char *)n->data.scalar.value, len > 60 ? "..." : "");
    }
}

yaml_node_t *cfg_find(cfg_walk *w, yaml_node_t *map, const char *key)
{
    if (!map || map->type != YAML_MAPPING_NODE)
        return NULL;
    for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
         p++) {
        yaml_node_t *k = yaml_document_get_node(w->doc, p->key);
        if (k && k->type == YAML_SCALAR_NODE &&
            pst_str_eq_c((pst_str){(const char *)k->data.scalar.value, k->data.scalar.length}, key))
            return yaml_document_get_node(w->doc, p->value);
    }
    return NULL;
}

/* Appends k bytes at out+*o when they fit in cap (pass 1 has out NULL and
 * only measures); the bound keeps pass 2 safe even if the environment
 * changed in between. */
static void put(char *out, size_t cap, size_t *o, const char *p, size_t k)
{
    if (out && *o + k <= cap)
        memcpy(out + *o, p, k);
    *o += k;
}

/* ${NAME} substitution. Pass 1 (out NULL) checks references and measures;
 * pass 2 copies at most cap bytes. Returns the output length, or -1 after
 * reporting. */
static long expand(cfg_walk *w, const char *path, const yaml_node_t *n, char *out, size_t cap,
                   bool *refs)
{
    const char *s = (const char *)n->data.scalar.value;
    size_t len = n->data.scalar.length, o = 0;
    for (size_t i = 0; i < len;) {
        if (s[i] == '$' && i + 2 < len && s[i + 1] == '$' && s[i + 2] == '{') {
            put(out, cap, &o, "${", 2);
            i += 3;
            continue;
        }
        if (!(s[i] == '$' && i + 1 < len && s[i + 1] == '{')) {
            put(out, cap, &o, s + i, 1);
            i++;
            continue;
        }
        size_t start = i + 2, end = start;
        while (end < len && end - start < 128 &&
               ((s[end] >= 'A' && s[end] <= 'Z') || (s[end] >= 'a' && s[end] <= 'z') ||
                s[end] == '_' || (end > start && s[end] >= '0' && s[end] <= '9')))
            end++;
        if (end == start || end >= len || s[end] != '}') {
            size_t stop = i;
            while (stop < len && stop - i < 40 && s[stop] != '}')
                stop++;
            stop += stop < len && s[stop] == '}';
            cfg_error(w, n,
                      "%s: bad environment reference at \"%.*s\" (write ${NAME} with letters, "
                      "digits and _, or $${ for a literal ${)",
                      path, (int)(stop - i), s + i);
            return -1;
        }
        char name[130];
        memcpy(name, s + start, end - start);
        name[end - start] = '\0';
        const char *val = getenv(name);
        if (!val) {
            cfg_error(w, n, "%s: environment variable \"%s\" is not set", path, name);
            return -1;
        }
        put(out, cap, &o, val, strlen(val));
        *refs = true;
        i = end + 1;
    }
    return (long)(o < cap || !out ? o : cap);
}

const char *cfg_scalar(cfg_walk *w, const char *path, yaml_node_t *n, const char *expected,
                       bool *plain)
{
    if (n->type != YAML_SCALAR_NODE) {
        cfg_type_error(w, path, n, expected);
        return NULL;
    }
    if (++w->values > CFG_MAX_VALUES) {
        if (w->values == CFG_MAX_VALUES + 1)
            cfg_error(w, n,
                      "%s: the config holds more than %d values (is an alias repeating a "
                      "large list?)",
                      path, CFG_MAX_VALUES);
        return NULL;
    }
    if (memchr(n->data.scalar.value, '\0', n->data.scalar.length)) {
        cfg_error(w, n, "%s: must not contain a NUL character", path);
        return NULL;
    }
    bool refs = false;
    long len = expand(w, path, n, NULL, 0, &refs);
    if (len < 0)
        return NULL;
    char *out = pst_arena_alloc(w->arena, (size_t)len + 1);
    if (!out) {
        cfg_oom(w);
        return NULL;
    }
    len = expand(w, path, n, out, (size_t)len, &refs);
    if (len < 0)
        return NULL;
    out[len] = '\0';
    if (plain)
        *plain = refs || n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
    return out;
}

/* Levenshtein distance, for "did you mean". */
static size_t distance(const char *a, size_t an, const char *b)
{
    size_t bn = strlen(b), row[65];
    if (an > 64 || bn > 64)
        return SIZE_MAX;
    for (size_t j = 0; j <= bn; j++)
        row[j] = j;
    for (size_t i = 1; i <= an; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= bn; j++) {
            size_t up = row[j];
            size_t best = diag + (a[i - 1] != b[j - 1]);
            if (row[j] + 1 < best)
                best = row[j] + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[bn];
}

static void unknown_key(cfg_walk *w, const char *path, const yaml_node_t *k, const cfg_table *t)
{
    const char *key = (const char *)k->data.scalar.value;
    size_t kn = k->data.scalar.length, best = SIZE_MAX;
    const char *guess = NULL;
    for (size_t i = 0; i < t->n_fields; i++) {
        size_t d = distance(key, kn, t->fields[i].key);
        if (d < best) {
            best = d;
            guess = t->fields[i].key;
        }
    }
    const char *where = *path ? path : "the top level";
    int shown = kn > 60 ? 60 : (int)kn;
    if (guess && best <= 2 && best < kn)
        cfg_error(w, k, "unknown key \"%.*s\" in %s (did you mean \"%s\"?)", shown, key, where,
                  guess);
    else
        cfg_error(w, k, "unknown key \"%.*s\" in %s", shown, key, where);
}

static bool parse_int(const char *s, int64_t *out)
{
    const char *p = s + (*s == '-' || *s == '+');
    if (*p < '0' || *p > '9')
        return false;
    for (const char *q = p; *q; q++)
        if (*q < '0' || *q > '9')
            return false;
    errno = 0;
    long long v = strtoll(s, NULL, 10);
    if (errno)
        return false;
    *out = v;
    return true;
}

static void read_bool(cfg_walk *w, const char *path, yaml_node_t *n, bool *dst)
{
    bool plain;
    const char *s = cfg_scalar(w, path, n, "true or false", &plain);
    if (!s)
        return;
    if (plain && (!strcmp(s, "true") || !strcmp(s, "True") || !strcmp(s, "TRUE")))
        *dst = true;
    else if (plain && (!strcmp(s, "false") || !strcmp(s, "False") || !strcmp(s, "FALSE")))
        *dst = false;
    else
        cfg_type_error(w, path, n, "true or false");
}

static void read_int(cfg_walk *w, const char *path, yaml_node_t *n, const cfg_field *f, int *dst)
{
    char expected[96];
    snprintf(expected, sizeof(expected), "an integer from %" PRId64 " to %" PRId64, f->min, f->max);
    bool plain;
    int64_t v;
    const char *s = cfg_scalar(w, path, n, expected, &plain);
    if (!s)
        return;
    if (!plain || !parse_int(s, &v))
        cfg_type_error(w, path, n, expected);
    else if (v < f->min || v > f->max)
        cfg_error(w, n, "%s: must be from %" PRId64 " to %" PRId64 " (got %s)", path, f->min,
                  f->max, s);
    else
        *dst = (int)v;
}

static void read_units(cfg_walk *w, const char *path, yaml_node_t *n, const cfg_field *f,
                       int64_t *dst)
{
    bool dur = f->kind == CFG_K_DUR;
    const char *expected =
        dur ? "a duration like \"250ms\" or \"2s\"" : "a size in bytes like 1048576 or \"1MiB\"";
    const char *s = cfg_scalar(w, path, n, expected, NULL);
    if (!s)
        return;
    int64_t v;
    pst_str text = pst_str_c(s);
    if ((dur ? pst_parse_duration_ms(text, &v) : pst_parse_size(text, &v)) != PST_OK) {
        cfg_type_error(w, path, n, expected);
        return;
    }
    if (v < f->min || v > f->max) {
        char lo[32], hi[32];
        if (dur) {
            cfg_format_ms(f->min, lo, sizeof(lo));
            cfg_format_ms(f->max, hi, sizeof(hi));
        } else {
            format_size(f->min, lo, sizeof(lo));
            format_size(f->max, hi, sizeof(hi));
        }
        cfg_error(w, n, "%s: must be from %s to %s (got \"%s\")", path, lo, hi, s);
        return;
    }
    *dst = v;
}

static bool is_abs(const char *p)
{
    return p[0] == '/';
}

static void read_string(cfg_walk *w, const char *path, yaml_node_t *n, const cfg_field *f,
                        const char **dst)
{
    bool file = f->kind == CFG_K_PATH;
    const char *s = cfg_scalar(w, path, n, file ? "a file path" : "a string", NULL);
    if (!s)
        return;
    if (file && !*s) {
        cfg_type_error(w, path, n, "a file path");
        return;
    }
    if (f->check && !f->check(w, path, n, s))
        return;
    if (file && !is_abs(s) && w->base_dir && *w->base_dir) {
        size_t bl = strlen(w->base_dir), sl = strlen(s);
        char *joined = pst_arena_alloc(w->arena, bl + sl + 2);
        if (!joined) {
            cfg_oom(w);
            return;
        }
        memcpy(joined, w->base_dir, bl);
        size_t o = bl;
        if (bl && w->base_dir[bl - 1] != '/')
            joined[o++] = '/';
        memcpy(joined + o, s, sl + 1);
        s = joined;
    }
    *dst = s;
}

static void read_strlist(cfg_walk *w, const char *path, yaml_node_t *n, const cfg_field *f,
                         void *dst)
{
    if (n->type != YAML_SEQUENCE_NODE) {
        cfg_type_error(w, path, n, "a list like [a, b]");
        return;
    }
    size_t count = (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
    const char **items = pst_arena_calloc(w->arena, (count ? count : 1) * sizeof(*items));
    if (!items) {
        cfg_oom(w);
        return;
    }
    for (size_t i = 0; i < count && !cfg_exhausted(w); i++) {
        char ipath[CFG_PATH_CAP];
        cfg_path_index(ipath, path, i);
        yaml_node_t *item = yaml_document_get_node(w->doc, n->data.sequence.items.start[i]);
        const char *s = cfg_scalar(w, ipath, item, "a string", NULL);
        if (s && (!f->check || f->check(w, ipath, item, s)))
            items[i] = s;
    }
    *(const char ***)((char *)dst + f->off) = items;
    *(size_t *)((char *)dst + f->count_off) = count;
}

static void read_maplist(cfg_walk *w, const char *path, yaml_node_t *n, const cfg_field *f,
                         void *dst)
{
    if (n->type != YAML_SEQUENCE_NODE) {
        cfg_type_error(w, path, n, "a list of mappings");
        return;
    }
    size_t count = (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
    size_t size = f->sub->elem_size;
    char *items = pst_arena_calloc(w->arena, (count ? count : 1) * size);
    if (!items) {
        cfg_oom(w);
        return;
    }
    for (size_t i = 0; i < count && !cfg_exhausted(w); i++) {
        char ipath[CFG_PATH_CAP];
        cfg_path_index(ipath, path, i);
        yaml_node_t *item = yaml_document_get_node(w->doc, n->data.sequence.items.start[i]);
        f->sub->init(items + i * size);
        if (item->type != YAML_MAPPING_NODE)
            cfg_type_error(w, ipath, item, "a mapping of keys");
        else
            cfg_walk_map(w, ipath, item, f->sub, items + i * size);
    }
    *(void **)((char *)dst + f->off) = items;
    *(size_t *)((char *)dst + f->count_off) = count;
}

static void read_field(cfg_walk *w, const char *path, yaml_node_t *n, const cfg_field *f, void *dst)
{
    void *at = (char *)dst + f->off;
    switch (f->kind) {
    case CFG_K_STR:
    case CFG_K_PATH:
        read_string(w, path, n, f, at);
        break;
    case CFG_K_BOOL:
        read_bool(w, path, n, at);
        break;
    case CFG_K_INT:
        read_int(w, path, n, f, at);
        break;
    case CFG_K_DUR:
    case CFG_K_SIZE:
        read_units(w, path, n, f, at);
        break;
    case CFG_K_STRLIST:
        read_strlist(w, path, n, f, dst);
        break;
    case CFG_K_MAP:
        cfg_walk_map(w, path, n, f->sub, at);
        break;
    case CFG_K_MAPLIST:
        read_maplist(w, path, n, f, dst);
        break;
    case CFG_K_CUSTOM:
        f->custom(w, path, n, at);
        break;
    }
}

static int field_index(const cfg_table *t, const yaml_node_t *k)
{
    pst_str key = {(const char *)k->data.scalar.value, k->data.scalar.length};
    for (size_t i = 0; i < t->n_fields; i++)
        if (pst_str_eq_c(key, t->fields[i].key))
            return (int)i;
    return -1;
}

void cfg_walk_map(cfg_walk *w, const char *path, yaml_node_t *map, const cfg_table *t, void *dst)
{
    const yaml_node_t *keys[64] = {0};
    uint64_t set = 0;
    if (map && cfg_is_null(map))
        map = NULL;
    if (map && map->type != YAML_MAPPING_NODE) {
        cfg_type_error(w, *path ? path : "the top level", map, "a mapping of keys");
        return;
    }
    for (yaml_node_pair_t *p = map ? map->data.mapping.pairs.start : NULL;
         map && p < map->data.mapping.pairs.top && !cfg_exhausted(w); p++) {
        yaml_node_t *k = yaml_document_get_node(w->doc, p->key);
        yaml_node_t *v = yaml_document_get_node(w->doc, p->value);
        if (k->type != YAML_SCALAR_NODE) {
            cfg_error(w, k, "keys must be plain words like \"listen\" in %s",
                      *path ? path : "the top level");
            continue;
        }
        int i = field_index(t, k);
        if (i < 0) {
            unknown_key(w, path, k, t);
            continue;
        }
        if (keys[i]) {
            cfg_error(w, k, "duplicate key \"%s\" in %s (first at line %lu)", t->fields[i].key,
                      *path ? path : "the top level", (unsigned long)keys[i]->start_mark.line + 1);
            continue;
        }
        keys[i] = k;
        if (cfg_is_null(v))
            continue;
        set |= (uint64_t)1 << i;
        char fpath[CFG_PATH_CAP];
        int r = snprintf(fpath, sizeof(fpath), "%s%s%s", path, *path ? "." : "", t->fields[i].key);
        if (r < 0)
            fpath[0] = '\0';
        read_field(w, fpath, v, &t->fields[i], dst);
    }
    if (cfg_exhausted(w))
        return;
    for (size_t i = 0; i < t->n_fields; i++) {
        if (t->fields[i].required && !(set & ((uint64_t)1 << i)))
            cfg_error(w, map, "missing required key \"%s\" in %s%s%s%s", t->fields[i].key,
                      *path ? path : "the top level", t->fields[i].hint ? " (" : "",
                      t->fields[i].hint ? t->fields[i].hint : "", t->fields[i].hint ? ")" : "");
    }
    if (t->finish)
        t->finish(w, path, map, dst);
}
