#include "graphql/execute.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "graphql/coerce.h"
#include "graphql/jsvalue.h"

/* Values (lists, objects, custom scalar JSON) nest at most this deep. */
#define MAX_DEPTH 512
#define SUBFIELD_CACHE 8

/* ---- operation selection, @skip/@include, CollectFields ---- */

const gql_node *gql_select_operation(const gql_node *doc, pst_str name, const char **error)
{
    static _Thread_local char msg[600];
    const gql_node *op = NULL;
    for (const gql_node *d = doc->children; d; d = d->next) {
        if (d->kind != GQL_OPERATION)
            continue;
        if (!name.p) {
            if (op) {
                *error = "Must provide operation name if query contains multiple operations.";
                return NULL;
            }
            op = d;
        } else if (d->name.n && pst_str_eq(d->name, name)) {
            op = d;
        }
    }
    if (op)
        return op;
    if (name.p) {
        snprintf(msg, sizeof(msg), "Unknown operation named \"%.*s\".",
                 (int)(name.n > 500 ? 500 : name.n), name.p);
        *error = msg;
    } else {
        *error = "Must provide an operation.";
    }
    return NULL;
}

/* The value of `if` on the first directive called name: 1 true, 0 false,
 * -1 absent or not a boolean. */
static int directive_if(const gql_node *dirs, const char *name, json_t *vars)
{
    for (const gql_node *d = dirs; d; d = d->next) {
        if (!pst_str_eq_c(d->name, name))
            continue;
        for (const gql_node *a = d->args; a; a = a->next) {
            if (!pst_str_eq_c(a->name, "if"))
                continue;
            const gql_node *v = a->value;
            if (v->kind == GQL_BOOLEAN)
                return (v->flags & GQL_FLAG_TRUE) ? 1 : 0;
            json_t *x = v->kind == GQL_VARIABLE && vars
                            ? json_object_getn(vars, v->name.p, v->name.n)
                            : NULL;
            return json_is_boolean(x) ? json_is_true(x) : -1;
        }
        return -1;
    }
    return -1;
}

bool gql_should_include(const gql_node *directives, json_t *vars)
{
    return directive_if(directives, "skip", vars) != 1 &&
           directive_if(directives, "include", vars) != 0;
}

typedef struct {
    pst_str key;
    const gql_node **nodes;
    size_t n, cap;
    const gql_field *def; /* resolved once per parent type (sub_fields) */
    bool typename;
} fgroup;

typedef struct {
    pst_arena *a;
    const gql_schema *s;
    const gql_node *doc;
    json_t *vars;
    fgroup *g;
    size_t n, cap;
    pst_str *visited; /* fragment names spread so far */
    size_t nv, capv;
} fcollect;

/* Grows an arena array of elem-sized items to hold one more. */
static bool grow(pst_arena *a, void **arr, size_t *cap, size_t n, size_t elem)
{
    if (n < *cap)
        return true;
    size_t nc = *cap ? *cap * 2 : 8;
    void *p = pst_arena_alloc(a, nc * elem);
    if (!p)
        return false;
    if (n)
        memcpy(p, *arr, n * elem);
    *arr = p;
    *cap = nc;
    return true;
}

static bool add_field(fcollect *c, const gql_node *f)
{
    pst_str key = gql_field_key(f);
    fgroup *g = NULL;
    for (size_t i = 0; i < c->n && !g; i++)
        if (pst_str_eq(c->g[i].key, key))
            g = &c->g[i];
    if (!g) {
        if (!grow(c->a, (void **)&c->g, &c->cap, c->n, sizeof(*c->g)))
            return false;
        g = &c->g[c->n++];
        *g = (fgroup){.key = key};
    }
    if (!grow(c->a, (void **)&g->nodes, &g->cap, g->n, sizeof(*g->nodes)))
        return false;
    g->nodes[g->n++] = f;
    return true;
}

static bool condition_matches(const gql_schema *s, const gql_node *cond, const gql_type *t)
{
    if (!cond)
        return true;
    const gql_type *ct = gql_schema_type(s, cond->name);
    if (ct == t)
        return true;
    return ct && (ct->kind == GQL_TYPE_INTERFACE || ct->kind == GQL_TYPE_UNION) &&
           gql_type_is_possible(ct, t);
}

static const gql_node *find_fragment(const gql_node *doc, pst_str name)
{
    const gql_node *found = NULL;
    for (const gql_node *d = doc->children; d; d = d->next)
        if (d->kind == GQL_FRAGMENT_DEF && pst_str_eq(d->name, name))
            found = d;
    return found;
}

/* Marks a fragment as spread; false when it already was. */
static int visit_fragment(fcollect *c, pst_str name)
{
    for (size_t i = 0; i < c->nv; i++)
        if (pst_str_eq(c->visited[i], name))
            return 0;
    if (!grow(c->a, (void **)&c->visited, &c->capv, c->nv, sizeof(*c->visited)))
        return -1;
    c->visited[c->nv++] = name;
    return 1;
}

/* CollectFields; false when out of memory. Depth is bounded by the
 * parser's nesting limit and by visiting each fragment once. */
static bool collect(fcollect *c, const gql_type *t, const gql_node *sel)
{
    for (; sel; sel = sel->next) {
        if (sel->kind == GQL_FIELD) {
            if (gql_should_include(sel->directives, c->vars) && !add_field(c, sel))
                return false;
        } else if (sel->kind == GQL_INLINE_FRAGMENT) {
            if (gql_should_include(sel->directives, c->vars) &&
                condition_matches(c->s, sel->type, t) && !collect(c, t, sel->selections))
                return false;
        } else if (sel->kind == GQL_FRAGMENT_SPREAD) {
            int v = 0;
            for (size_t i = 0; i < c->nv && !v; i++)
                v = pst_str_eq(c->visited[i], sel->name);
            if (v || !gql_should_include(sel->directives, c->vars))
                continue;
            if (visit_fragment(c, sel->name) < 0)
                return false;
            const gql_node *f = find_fragment(c->doc, sel->name);
            if (f && condition_matches(c->s, f->type, t) && !collect(c, t, f->selections))
                return false;
        }
    }
    return true;
}

static bool is_meta(pst_str name)
{
    return pst_str_eq_c(name, "__typename") || pst_str_eq_c(name, "__schema") ||
           pst_str_eq_c(name, "__type");
}

static const char *root_path(pst_arena *a, pst_str key)
{
    pst_buf b = {0};
    pst_buf_append_char(&b, '[');
    pst_buf_append_json_str(&b, key.p, key.n);
    pst_buf_append_char(&b, ']');
    const char *p = b.failed ? NULL : pst_arena_strndup(a, b.p, b.len);
    pst_buf_free(&b);
    return p;
}

pst_status gql_collect_root_fields(pst_arena *a, const gql_schema *s, const gql_node *doc,
                                   const gql_node *op, json_t *vars, gql_root_field **out,
                                   size_t *n)
{
    const gql_type *root = gql_schema_root(s, op->op);
    if (!root)
        return PST_DECLINED;
    fcollect c = {.a = a, .s = s, .doc = doc, .vars = vars};
    if (!collect(&c, root, op->selections))
        return PST_ERROR;
    gql_root_field *r = pst_arena_calloc(a, (c.n ? c.n : 1) * sizeof(*r));
    if (!r)
        return PST_ERROR;
    size_t k = 0;
    for (size_t i = 0; i < c.n; i++) {
        pst_str name = c.g[i].nodes[0]->name;
        const gql_field *def = gql_type_field(root, name);
        if (!def && !is_meta(name))
            continue;
        r[k] = (gql_root_field){.key = c.g[i].key,
                                .def = def,
                                .nodes = c.g[i].nodes,
                                .n_nodes = c.g[i].n,
                                .parent = root};
        if (!(r[k].path_json = root_path(a, c.g[i].key)))
            return PST_ERROR;
        k++;
    }
    *out = r;
    *n = k;
    return PST_OK;
}

/* ---- completion ---- */

typedef enum {
    R_OK,   /* a value was written */
    R_NULL, /* null propagates to the parent; the error is recorded */
    R_FAIL, /* out of memory */
} result;

typedef struct {
    const gql_type *type;
    const gql_node **nodes;
    fgroup *g;
    size_t n;
} subfields;

typedef struct {
    gql_exec_ctx *cx;
    json_t *intro; /* name -> full __Type object, or NULL */
    pst_buf *out;
    pst_buf path; /* the JSON path without its closing ']' */
    const gql_field *field;
    const gql_node *node; /* the current field's first node (locations) */
    bool skip_deprecated; /* introspection: leave out the next list's deprecated items */
    subfields cache[SUBFIELD_CACHE];
    size_t cache_next;
} ectx;

static result complete(ectx *e, const gql_typeref *t, const gql_node **nodes, size_t nn, json_t *v,
                       int depth);

/* The current path as a NUL-terminated JSON array (valid until the path
 * changes); NULL when out of memory. */
static const char *current_path(ectx *e)
{
    pst_buf_append_char(&e->path, ']');
    const char *path = pst_buf_cstr(&e->path);
    pst_buf_truncate(&e->path, e->path.len - 1);
    return path;
}

static result field_error(ectx *e, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static result field_error(ectx *e, const char *code, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    const char *path = current_path(e);
    if (!path ||
        !gql_errors_add(e->cx->errs, e->node->line, e->node->col, path, code, NULL, "%s", msg))
        return R_FAIL;
    return R_NULL;
}

/* "<prefix><inspect(v)>" as a field error. */
static result inspect_error(ectx *e, const char *prefix, const json_t *v)
{
    pst_buf b = {0};
    pst_buf_append_c(&b, prefix);
    gql_inspect_json(&b, v);
    const char *m = pst_buf_cstr(&b);
    result r = m ? field_error(e, NULL, "%s", m) : R_FAIL;
    pst_buf_free(&b);
    return r;
}

static result written(ectx *e)
{
    return e->out->failed ? R_FAIL : R_OK;
}

static result put_json_number(ectx *e, double d)
{
    char num[32];
    pst_buf_append_c(e->out, gql_js_number(d, num));
    return written(e);
}

/* serializeInt / serializeFloat: booleans, numbers, numeric strings. */
static result serialize_number(ectx *e, const json_t *v, bool is_int)
{
    double d = NAN;
    bool num = true;
    if (json_is_boolean(v))
        d = json_is_true(v);
    else if (json_is_number(v))
        d = gql_json_number(v);
    else if (json_is_string(v) && json_string_length(v) > 0)
        num = gql_js_string_number(json_string_value(v), json_string_length(v), &d);
    else
        num = false;
    if (!is_int) {
        if (!num || !isfinite(d))
            return inspect_error(e, "Float cannot represent non numeric value: ", v);
        return put_json_number(e, d);
    }
    if (!num || !isfinite(d) || d != floor(d))
        return inspect_error(e, "Int cannot represent non-integer value: ", v);
    if (d > 2147483647.0 || d < -2147483648.0)
        return inspect_error(e, "Int cannot represent non 32-bit signed integer value: ", v);
    return put_json_number(e, d); /* an integer: printed as one */
}

static result put_string(ectx *e, const char *s, size_t n)
{
    pst_buf_append_json_str(e->out, s, n);
    return written(e);
}

static result serialize_string(ectx *e, const json_t *v, bool id)
{
    char num[32];
    if (json_is_string(v))
        return put_string(e, json_string_value(v), json_string_length(v));
    if (!id && json_is_boolean(v))
        return put_string(e, json_is_true(v) ? "true" : "false", json_is_true(v) ? 4 : 5);
    double d = json_is_number(v) ? gql_json_number(v) : NAN;
    if (json_is_number(v) && (!id || d == floor(d))) {
        gql_js_number(d, num);
        return put_string(e, num, strlen(num));
    }
    return inspect_error(e,
                         id ? "ID cannot represent value: " : "String cannot represent value: ", v);
}

static result serialize_boolean(ectx *e, const json_t *v)
{
    if (json_is_boolean(v) || json_is_number(v)) {
        bool b = json_is_boolean(v) ? json_is_true(v) : gql_json_number(v) != 0;
        pst_buf_append_c(e->out, b ? "true" : "false");
        return written(e);
    }
    return inspect_error(e, "Boolean cannot represent a non boolean value: ", v);
}

static result serialize_enum(ectx *e, const gql_type *t, const json_t *v)
{
    if (json_is_string(v)) {
        pst_str s = {json_string_value(v), json_string_length(v)};
        for (size_t i = 0; i < t->n_enum_values; i++)
            if (pst_str_eq(t->enum_values[i], s))
                return put_string(e, s.p, s.n);
    }
    char prefix[300];
    snprintf(prefix, sizeof(prefix), "Enum \"%.*s\" cannot represent value: ", (int)t->name.n,
             t->name.p);
    return inspect_error(e, prefix, v);
}

static bool builtin_named(const gql_type *t, const char *name)
{
    return t->builtin && pst_str_eq_c(t->name, name);
}

static result complete_leaf(ectx *e, const gql_type *t, const json_t *v)
{
    if (t->kind == GQL_TYPE_ENUM)
        return serialize_enum(e, t, v);
    if (builtin_named(t, "Int") || builtin_named(t, "Float"))
        return serialize_number(e, v, builtin_named(t, "Int"));
    if (builtin_named(t, "String") || builtin_named(t, "ID"))
        return serialize_string(e, v, builtin_named(t, "ID"));
    if (builtin_named(t, "Boolean"))
        return serialize_boolean(e, v);
    /* custom scalars: the reply's JSON as it is */
    pst_status st = gql_js_write_json(e->out, v);
    if (st == PST_DECLINED)
        return field_error(e, NULL, "Value is nested too deeply.");
    return st == PST_OK ? R_OK : R_FAIL;
}

static result complete_list(ectx *e, const gql_typeref *t, const gql_node **nodes, size_t nn,
                            json_t *v, int depth)
{
    if (!json_is_array(v))
        return field_error(e, NULL, "Expected Iterable, but did not find one for field \"%s\".",
                           e->field->coordinate);
    bool skip = e->skip_deprecated;
    e->skip_deprecated = false;
    pst_buf_append_char(e->out, '[');
    size_t i, k = 0, mark = e->path.len;
    json_t *item;
    json_array_foreach(v, i, item)
    {
        if (skip && json_is_true(json_object_get(item, "isDeprecated")))
            continue;
        if (k)
            pst_buf_append_char(e->out, ',');
        size_t start = e->out->len;
        char num[32];
        pst_buf_append_char(&e->path, ',');
        pst_buf_append_c(&e->path, gql_js_number((double)k++, num));
        result r = complete(e, t->of, nodes, nn, item, depth + 1);
        pst_buf_truncate(&e->path, mark);
        if (r == R_NULL && t->of->kind != GQL_REF_NON_NULL) {
            pst_buf_truncate(e->out, start);
            pst_buf_append_c(e->out, "null");
        } else if (r != R_OK) {
            return r;
        }
    }
    if (e->path.failed)
        return R_FAIL;
    pst_buf_append_char(e->out, ']');
    return written(e);
}

static const gql_type *runtime_type(ectx *e, const gql_type *t, json_t *v, result *r)
{
    json_t *tn = json_is_object(v) ? json_object_get(v, "__typename") : NULL;
    const char *coord = e->field->coordinate;
    int an = (int)t->name.n;
    if (!json_is_string(tn)) {
        *r = field_error(e, NULL,
                         "Abstract type \"%.*s\" must resolve to an Object type at runtime for "
                         "field \"%s\". The reply must name its object type in \"__typename\".",
                         an, t->name.p, coord);
        return NULL;
    }
    pst_str name = {json_string_value(tn), json_string_length(tn)};
    const gql_type *rt = gql_schema_type(e->cx->schema, name);
    int rn = (int)(name.n > 200 ? 200 : name.n);
    if (!rt)
        *r = field_error(e, NULL,
                         "Abstract type \"%.*s\" was resolved to a type \"%.*s\" that does not "
                         "exist inside the schema.",
                         an, t->name.p, rn, name.p);
    else if (rt->kind != GQL_TYPE_OBJECT)
        *r = field_error(e, NULL,
                         "Abstract type \"%.*s\" was resolved to a non-object type \"%.*s\".", an,
                         t->name.p, rn, name.p);
    else if (!gql_type_is_possible(t, rt))
        *r = field_error(e, NULL,
                         "Runtime Object type \"%.*s\" is not a possible type for \"%.*s\".", rn,
                         name.p, an, t->name.p);
    else
        return rt;
    return NULL;
}

/* The merged sub-selections of nodes on type t, cached across list items. */
static subfields *sub_fields(ectx *e, const gql_type *t, const gql_node **nodes, size_t nn)
{
    for (size_t i = 0; i < SUBFIELD_CACHE; i++)
        if (e->cache[i].type == t && e->cache[i].nodes == nodes)
            return &e->cache[i];
    gql_exec_ctx *cx = e->cx;
    fcollect c = {.a = cx->arena, .s = cx->schema, .doc = cx->doc, .vars = cx->vars};
    for (size_t i = 0; i < nn; i++)
        if (!collect(&c, t, nodes[i]->selections))
            return NULL;
    for (size_t i = 0; i < c.n; i++) {
        pst_str name = c.g[i].nodes[0]->name;
        c.g[i].typename = pst_str_eq_c(name, "__typename");
        c.g[i].def = c.g[i].typename ? NULL : gql_schema_field(cx->schema, t, name);
    }
    subfields *sf = &e->cache[e->cache_next++ % SUBFIELD_CACHE];
    *sf = (subfields){.type = t, .nodes = nodes, .g = c.g, .n = c.n};
    return sf;
}

static bool is_deprecation_filtered(const gql_field *def, const fgroup *g, json_t *vars);

/* True when a literal mentions a variable (only those can be invalid once
 * the document passed validation). Depth is bounded by the parser. */
static bool uses_variables(const gql_node *v)
{
    if (v->kind == GQL_VARIABLE)
        return true;
    for (const gql_node *c = v->children; c; c = c->next)
        if (uses_variables(v->kind == GQL_OBJECT ? c->value : c))
            return true;
    return false;
}

/* graphql-js's getArgumentValues (a field error when a variable makes an
 * argument invalid), then the policy hook. */
static result field_checks(ectx *e, const gql_field *def, const fgroup *g)
{
    gql_exec_ctx *cx = e->cx;
    bool vars = false;
    for (const gql_node *a = g->nodes[0]->args; a && !vars; a = a->next)
        vars = uses_variables(a->value);
    if (vars) {
        json_t *args;
        const char *path = current_path(e);
        pst_status st = path ? gql_coerce_arguments(cx->arena, def, g->nodes[0], cx->vars, &args,
                                                    cx->errs, path)
                             : PST_ERROR;
        if (st != PST_OK)
            return st == PST_DECLINED ? R_NULL : R_FAIL;
    }
    /* introspection fields are governed by configuration, not by policy */
    if (!cx->field_allowed || (def->owner && pst_str_has_prefix(def->owner->name, "__")))
        return R_OK;
    const char *path = current_path(e);
    pst_status st = path ? cx->field_allowed(cx->ud, def, path) : PST_ERROR;
    if (st == PST_DENIED)
        return field_error(e, GQL_CODE_FORBIDDEN, "Not authorized to access %s", def->coordinate);
    return st == PST_OK ? R_OK : R_FAIL;
}

static result execute_field(ectx *e, const gql_field *def, const fgroup *g, json_t *parent,
                            int depth)
{
    gql_exec_ctx *cx = e->cx;
    const gql_field *saved_field = e->field;
    const gql_node *saved_node = e->node;
    e->field = def;
    e->node = g->nodes[0];
    size_t start = e->out->len, mark = e->path.len;
    pst_buf_append_char(&e->path, ',');
    pst_buf_append_json_str(&e->path, g->key.p, g->key.n);
    result r = field_checks(e, def, g);
    if (r == R_OK) {
        /* the member named like the field (aliases only rename keys) */
        json_t *v =
            json_is_object(parent) ? json_object_getn(parent, def->name.p, def->name.n) : NULL;
        e->skip_deprecated = e->intro && is_deprecation_filtered(def, g, cx->vars);
        r = complete(e, def->type, g->nodes, g->n, v, depth + 1);
        e->skip_deprecated = false;
    }
    if (r == R_NULL && def->type->kind != GQL_REF_NON_NULL) {
        pst_buf_truncate(e->out, start);
        pst_buf_append_c(e->out, "null");
        r = written(e);
    }
    pst_buf_truncate(&e->path, mark);
    e->field = saved_field;
    e->node = saved_node;
    return r;
}

static result complete_object(ectx *e, const gql_type *t, const gql_node **nodes, size_t nn,
                              json_t *v, int depth)
{
    subfields *sf = sub_fields(e, t, nodes, nn);
    if (!sf)
        return R_FAIL;
    size_t n = sf->n;
    fgroup *groups = sf->g; /* the cache slot may be reused below */
    pst_buf_append_char(e->out, '{');
    bool first = true;
    for (size_t i = 0; i < n; i++) {
        fgroup *g = &groups[i];
        bool tn = g->typename;
        const gql_field *def = g->def;
        if (!tn && !def)
            continue; /* unknown fields are left out, as graphql-js does */
        if (!first)
            pst_buf_append_char(e->out, ',');
        first = false;
        pst_buf_append_json_str(e->out, g->key.p, g->key.n);
        pst_buf_append_char(e->out, ':');
        result r = tn ? put_string(e, t->name.p, t->name.n) : execute_field(e, def, g, v, depth);
        if (r != R_OK)
            return r; /* graphql-js stops at the first field that nulls the object */
    }
    pst_buf_append_char(e->out, '}');
    return written(e);
}

/* Introspection: a __Type stub {"name": "X"} stands for the full type. */
static json_t *resolve_intro(ectx *e, const gql_type *t, json_t *v)
{
    if (!e->intro || !pst_str_eq_c(t->name, "__Type"))
        return v;
    json_t *name = json_object_get(v, "name");
    json_t *full = json_is_string(name) ? json_object_get(e->intro, json_string_value(name)) : NULL;
    return full ? full : v;
}

static result complete(ectx *e, const gql_typeref *t, const gql_node **nodes, size_t nn, json_t *v,
                       int depth)
{
    if (depth > MAX_DEPTH)
        return field_error(e, NULL, "Value is nested too deeply.");
    if (t->kind == GQL_REF_NON_NULL) {
        size_t start = e->out->len;
        result r = complete(e, t->of, nodes, nn, v, depth + 1);
        if (r == R_OK && e->out->len - start == 4 && memcmp(e->out->p + start, "null", 4) == 0) {
            pst_buf_truncate(e->out, start);
            return field_error(e, NULL, "Cannot return null for non-nullable field %s.",
                               e->field->coordinate);
        }
        return r;
    }
    if (!v || json_is_null(v)) {
        pst_buf_append_c(e->out, "null");
        return written(e);
    }
    if (t->kind == GQL_REF_LIST)
        return complete_list(e, t, nodes, nn, v, depth);
    const gql_type *nt = t->named;
    if (gql_type_is_leaf(nt))
        return complete_leaf(e, nt, v);
    if (nt->kind == GQL_TYPE_INTERFACE || nt->kind == GQL_TYPE_UNION) {
        result r = R_OK;
        nt = runtime_type(e, nt, v, &r);
        if (!nt)
            return r;
    }
    return complete_object(e, nt, nodes, nn, resolve_intro(e, nt, v), depth);
}

/* includeDeprecated (default false) on __Type.fields, enumValues,
 * inputFields and __Field/__Directive.args. */
static bool is_deprecation_filtered(const gql_field *def, const fgroup *g, json_t *vars)
{
    if (!def->owner || !pst_str_has_prefix(def->owner->name, "__") ||
        !gql_field_arg(def, PST_STR_LIT("includeDeprecated")))
        return false;
    for (const gql_node *a = g->nodes[0]->args; a; a = a->next) {
        if (!pst_str_eq_c(a->name, "includeDeprecated"))
            continue;
        const gql_node *v = a->value;
        if (v->kind == GQL_BOOLEAN)
            return !(v->flags & GQL_FLAG_TRUE);
        json_t *x =
            v->kind == GQL_VARIABLE && vars ? json_object_getn(vars, v->name.p, v->name.n) : NULL;
        return !json_is_true(x);
    }
    return true;
}

static void ectx_init(ectx *e, gql_exec_ctx *cx, pst_buf *out, const char *path_json)
{
    memset(e, 0, sizeof(*e));
    e->cx = cx;
    e->out = out;
    size_t n = strlen(path_json);
    pst_buf_append(&e->path, path_json, n ? n - 1 : 0);
}

static pst_status finish(ectx *e, result r, size_t start, bool nullable)
{
    if (e->path.failed)
        r = R_FAIL;
    pst_buf_free(&e->path);
    if (r == R_OK)
        return PST_OK;
    pst_buf_truncate(e->out, start);
    if (r == R_NULL && nullable) {
        pst_buf_append_c(e->out, "null");
        return e->out->failed ? PST_ERROR : PST_OK;
    }
    return r == R_NULL ? PST_DECLINED : PST_ERROR;
}

pst_status gql_complete_value(gql_exec_ctx *cx, const gql_typeref *type, const gql_field *def,
                              const gql_node **nodes, size_t n_nodes, const char *path_json,
                              json_t *value, json_t *intro_types, pst_buf *out)
{
    ectx e;
    ectx_init(&e, cx, out, path_json);
    e.intro = intro_types;
    e.field = def;
    e.node = nodes[0];
    size_t start = out->len;
    result r = complete(&e, type, nodes, n_nodes, value, 0);
    return finish(&e, r, start, type->kind != GQL_REF_NON_NULL);
}

pst_status gql_complete_root_field(gql_exec_ctx *cx, const gql_root_field *rf, json_t *value,
                                   pst_buf *out)
{
    if (!rf->def) {
        if (!pst_str_eq_c(rf->nodes[0]->name, "__typename"))
            return PST_ERROR; /* __schema / __type: see introspect.h */
        return pst_buf_append_json_str(out, rf->parent->name.p, rf->parent->name.n);
    }
    return gql_complete_value(cx, rf->def->type, rf->def, rf->nodes, rf->n_nodes, rf->path_json,
                              value, NULL, out);
}

pst_status gql_complete_root_error(gql_exec_ctx *cx, const gql_root_field *rf, const char *code,
                                   const char *extensions, const char *message, pst_buf *out)
{
    const gql_node *n = rf->nodes[0];
    if (!gql_errors_add(cx->errs, n->line, n->col, rf->path_json, code, extensions, "%s", message))
        return PST_ERROR;
    if (rf->def && rf->def->type->kind == GQL_REF_NON_NULL)
        return PST_DECLINED;
    return pst_buf_append_c(out, "null");
}
