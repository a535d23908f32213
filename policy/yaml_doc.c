#include "policy/yaml_doc.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/mem.h"

static void err_at(pol_yaml *y, yaml_mark_t m, const char *msg)
{
    pst_diags_add(y->diags, y->file, (uint32_t)m.line + 1, (uint32_t)m.column + 1, "%s", msg);
}

/* One pass over the events: aliases are refused (a document loader would
 * let a walk revisit, or loop through, shared nodes), nesting is bounded. */
static bool prescan(pol_yaml *y, const char *text, size_t len)
{
    yaml_parser_t ps;
    if (!yaml_parser_initialize(&ps)) {
        pst_diags_add(y->diags, y->file, 0, 0, "out of memory");
        return false;
    }
    yaml_parser_set_input_string(&ps, (const unsigned char *)text, len);
    bool ok = true, done = false;
    int depth = 0, docs = 0;
    while (ok && !done) {
        yaml_event_t ev;
        if (!yaml_parser_parse(&ps, &ev)) {
            char msg[512];
            snprintf(msg, sizeof(msg), "YAML syntax error: %s%s%s",
                     ps.problem ? ps.problem : "unknown", ps.context ? " " : "",
                     ps.context ? ps.context : "");
            err_at(y, ps.problem_mark, msg);
            ok = false;
            break;
        }
        switch (ev.type) {
        case YAML_ALIAS_EVENT:
            err_at(y, ev.start_mark, "YAML aliases are not allowed in policy files");
            ok = false;
            break;
        case YAML_SEQUENCE_START_EVENT:
        case YAML_MAPPING_START_EVENT:
            if (++depth > POL_YAML_DEPTH_MAX) {
                err_at(y, ev.start_mark, "nesting too deep");
                ok = false;
            }
            break;
        case YAML_SEQUENCE_END_EVENT:
        case YAML_MAPPING_END_EVENT:
            depth--;
            break;
        case YAML_DOCUMENT_START_EVENT:
            if (++docs > 1) {
                err_at(y, ev.start_mark, "only one YAML document is allowed");
                ok = false;
            }
            break;
        case YAML_STREAM_END_EVENT:
            done = true;
            break;
        default:
            break;
        }
        yaml_event_delete(&ev);
    }
    yaml_parser_delete(&ps);
    return ok;
}

yaml_node_t *pol_yaml_load(pol_yaml *y, const char *text, size_t len)
{
    memset(&y->doc, 0, sizeof(y->doc));
    if (!prescan(y, text, len))
        return NULL;
    yaml_parser_t ps;
    if (!yaml_parser_initialize(&ps)) {
        pst_diags_add(y->diags, y->file, 0, 0, "out of memory");
        return NULL;
    }
    yaml_parser_set_input_string(&ps, (const unsigned char *)text, len);
    int ok = yaml_parser_load(&ps, &y->doc);
    yaml_parser_delete(&ps);
    if (!ok) {
        memset(&y->doc, 0, sizeof(y->doc));
        pst_diags_add(y->diags, y->file, 0, 0, "YAML could not be loaded (out of memory)");
        return NULL;
    }
    yaml_node_t *root = yaml_document_get_root_node(&y->doc);
    if (!root || pol_yaml_is_null(root))
        pst_diags_add(y->diags, y->file, root ? 1 : 0, root ? 1 : 0, "the file is empty");
    return root && !pol_yaml_is_null(root) ? root : NULL;
}

void pol_yaml_free(pol_yaml *y)
{
    yaml_document_delete(&y->doc);
    memset(&y->doc, 0, sizeof(y->doc));
}

void pol_yaml_err(pol_yaml *y, const yaml_node_t *n, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    err_at(y, n->start_mark, msg);
}

yaml_node_t *pol_yaml_node(pol_yaml *y, int index)
{
    return yaml_document_get_node(&y->doc, index);
}

const char *pol_yaml_str(const yaml_node_t *n)
{
    if (!n || n->type != YAML_SCALAR_NODE)
        return NULL;
    const char *s = (const char *)n->data.scalar.value;
    return strlen(s) == n->data.scalar.length ? s : NULL;
}

bool pol_yaml_is_null(const yaml_node_t *n)
{
    if (!n || n->type != YAML_SCALAR_NODE || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
        return false;
    const char *s = (const char *)n->data.scalar.value;
    return !*s || !strcmp(s, "~") || !strcmp(s, "null") || !strcmp(s, "Null") || !strcmp(s, "NULL");
}

static json_t *plain_scalar(const char *s, size_t n)
{
    if (!strcmp(s, "true") || !strcmp(s, "True"))
        return json_true();
    if (!strcmp(s, "false") || !strcmp(s, "False"))
        return json_false();
    if (n && (s[0] == '-' || s[0] == '+' || (s[0] >= '0' && s[0] <= '9'))) {
        char *end;
        errno = 0;
        long long i = strtoll(s, &end, 10);
        if (!*end && !errno)
            return json_integer(i);
        double d = strtod(s, &end);
        if (!*end && !errno)
            return json_real(d);
    }
    return json_stringn(s, n);
}

json_t *pol_yaml_to_json(pol_yaml *y, yaml_node_t *n, int depth)
{
    if (depth > POL_YAML_DEPTH_MAX)
        return NULL;
    if (n->type == YAML_SCALAR_NODE) {
        const char *s = (const char *)n->data.scalar.value;
        size_t len = n->data.scalar.length;
        if (n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
            return json_stringn(s, len);
        return pol_yaml_is_null(n) ? json_null() : plain_scalar(s, len);
    }
    json_t *out = n->type == YAML_SEQUENCE_NODE ? json_array() : json_object();
    if (!out)
        return NULL;
    if (n->type == YAML_SEQUENCE_NODE) {
        for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top;
             it++) {
            json_t *v = pol_yaml_to_json(y, pol_yaml_node(y, *it), depth + 1);
            if (!v || json_array_append_new(out, v)) {
                json_decref(out);
                return NULL;
            }
        }
        return out;
    }
    for (yaml_node_pair_t *pr = n->data.mapping.pairs.start; pr < n->data.mapping.pairs.top; pr++) {
        yaml_node_t *k = pol_yaml_node(y, pr->key);
        json_t *v = pol_yaml_to_json(y, pol_yaml_node(y, pr->value), depth + 1);
        const char *ks = pol_yaml_str(k);
        if (v && !ks)
            json_decref(v);
        if (!v || !ks || json_object_set_new(out, ks, v)) {
            json_decref(out);
            return NULL;
        }
    }
    return out;
}

typedef struct {
    pst_diag *d;
    size_t order;
} diag_ref;

static int diag_cmp(const void *a, const void *b)
{
    const diag_ref *x = a, *y = b;
    if (x->d->line != y->d->line)
        return x->d->line < y->d->line ? -1 : 1;
    if (x->d->col != y->d->col)
        return x->d->col < y->d->col ? -1 : 1;
    return x->order < y->order ? -1 : 1; /* stable */
}

void pol_diags_sort(pst_diags *d, pst_diag *tail)
{
    size_t n = 0;
    for (pst_diag *e = tail ? tail->next : d->first; e; e = e->next)
        n++;
    diag_ref *v = n > 1 ? pst_malloc(n * sizeof(*v)) : NULL;
    if (!v)
        return;
    pst_diag *e = tail ? tail->next : d->first;
    for (size_t i = 0; i < n; i++, e = e->next)
        v[i] = (diag_ref){e, i};
    qsort(v, n, sizeof(*v), diag_cmp);
    for (size_t i = 0; i + 1 < n; i++)
        v[i].d->next = v[i + 1].d;
    v[n - 1].d->next = NULL;
    if (tail)
        tail->next = v[0].d;
    else
        d->first = v[0].d;
    d->last = v[n - 1].d;
    pst_free(v);
}
