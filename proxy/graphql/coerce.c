#include "graphql/coerce.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/mem.h"

/* Input values nest at most this deep (variables JSON, literals). */
#define MAX_DEPTH 512

/* ---- variable coercion (CoerceVariableValues, coerceInputValue) ---- */

typedef struct {
    pst_arena *a;
    gql_errors *errs;
    const gql_node *vardef;
    pst_buf path; /* ".a[0].b" below the variable */
    int errors;
    bool oom;
} vctx;

static bool is_non_null(const gql_typeref *t)
{
    return t->kind == GQL_REF_NON_NULL;
}

/* Records "Variable "$x" got invalid value <v>[ at "x.path"]; <msg>". */
static void var_error(vctx *c, const json_t *invalid, const char *msg)
{
    pst_buf b = {0};
    const gql_node *d = c->vardef;
    pst_buf_appendf(&b, "Variable \"$%.*s\" got invalid value ", (int)d->name.n, d->name.p);
    gql_inspect_json(&b, invalid);
    if (c->path.len)
        pst_buf_appendf(&b, " at \"%.*s%.*s\"", (int)d->name.n, d->name.p, (int)c->path.len,
                        c->path.p);
    pst_buf_append_c(&b, "; ");
    pst_buf_append_c(&b, msg);
    const char *m = pst_buf_cstr(&b);
    c->errors++;
    if (!m ||
        !gql_errors_add(c->errs, d->line, d->col, NULL, GQL_CODE_BAD_USER_INPUT, NULL, "%s", m))
        c->oom = true;
    pst_buf_free(&b);
}

static void var_errorf(vctx *c, const json_t *invalid, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void var_errorf(vctx *c, const json_t *invalid, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    var_error(c, invalid, msg);
}

/* "<prefix><inspect(v)><suffix>" as one message. */
static void var_error_inspect(vctx *c, const json_t *v, const char *prefix, const char *suffix)
{
    pst_buf b = {0};
    pst_buf_append_c(&b, prefix);
    gql_inspect_json(&b, v);
    pst_buf_append_c(&b, suffix);
    const char *m = pst_buf_cstr(&b);
    if (m)
        var_error(c, v, m);
    else
        c->oom = true;
    pst_buf_free(&b);
}

static const char *typeref_text(const gql_typeref *t, char *buf, size_t n)
{
    pst_buf b = {0};
    gql_typeref_print(t, &b);
    snprintf(buf, n, "%.*s", b.failed ? 0 : (int)b.len, b.p ? b.p : "");
    pst_buf_free(&b);
    return buf;
}

static json_t *coerce_leaf(vctx *c, const json_t *v, const gql_type *t);
static int literal_value(const gql_node *v, const gql_typeref *t, json_t *vars, json_t **out,
                         int depth);
static json_t *coerce_input(vctx *c, json_t *v, const gql_typeref *t, int depth);

static json_t *coerce_int(vctx *c, const json_t *v)
{
    double d = json_is_number(v) ? gql_json_number(v) : NAN;
    if (!json_is_number(v) || d != floor(d)) {
        var_error_inspect(c, v, "Int cannot represent non-integer value: ", "");
        return NULL;
    }
    if (d > 2147483647.0 || d < -2147483648.0) {
        char num[32];
        var_errorf(c, v, "Int cannot represent non 32-bit signed integer value: %s",
                   gql_js_number(d, num));
        return NULL;
    }
    return json_integer((json_int_t)d);
}

static json_t *coerce_id(vctx *c, const json_t *v)
{
    if (json_is_string(v))
        return json_copy((json_t *)v);
    if (json_is_number(v)) {
        double d = gql_json_number(v);
        if (d == floor(d) && isfinite(d)) {
            char num[32];
            return json_string(gql_js_number(d, num));
        }
    }
    var_error_inspect(c, v, "ID cannot represent value: ", "");
    return NULL;
}

static json_t *coerce_enum(vctx *c, const json_t *v, const gql_type *t)
{
    pst_buf b = {0};
    pst_str name;
    if (!json_is_string(v)) {
        pst_buf ins = {0};
        gql_inspect_json(&ins, v);
        name = (pst_str){ins.p, ins.len};
        pst_buf_appendf(&b, "Enum \"%.*s\" cannot represent non-string value: %.*s.",
                        (int)t->name.n, t->name.p, (int)name.n, name.p);
        gql_did_you_mean(&b, "the enum value", name, t->enum_values, t->n_enum_values);
        pst_buf_free(&ins);
    } else {
        name = (pst_str){json_string_value(v), json_string_length(v)};
        for (size_t i = 0; i < t->n_enum_values; i++)
            if (pst_str_eq(t->enum_values[i], name))
                return json_copy((json_t *)v);
        pst_buf_append_c(&b, "Value \"");
        pst_buf_append(&b, name.p, name.n);
        pst_buf_appendf(&b, "\" does not exist in \"%.*s\" enum.", (int)t->name.n, t->name.p);
        gql_did_you_mean(&b, "the enum value", name, t->enum_values, t->n_enum_values);
    }
    const char *m = pst_buf_cstr(&b);
    if (m)
        var_error(c, v, m);
    else
        c->oom = true;
    pst_buf_free(&b);
    return NULL;
}

static bool is_builtin(const gql_type *t, const char *name)
{
    return t->builtin && pst_str_eq_c(t->name, name);
}

static json_t *coerce_leaf(vctx *c, const json_t *v, const gql_type *t)
{
    if (t->kind == GQL_TYPE_ENUM)
        return coerce_enum(c, v, t);
    if (is_builtin(t, "Int"))
        return coerce_int(c, v);
    if (is_builtin(t, "ID"))
        return coerce_id(c, v);
    if (is_builtin(t, "Float") && !json_is_number(v)) {
        var_error_inspect(c, v, "Float cannot represent non numeric value: ", "");
        return NULL;
    }
    if (is_builtin(t, "String") && !json_is_string(v)) {
        var_error_inspect(c, v, "String cannot represent a non string value: ", "");
        return NULL;
    }
    if (is_builtin(t, "Boolean") && !json_is_boolean(v)) {
        var_error_inspect(c, v, "Boolean cannot represent a non boolean value: ", "");
        return NULL;
    }
    /* Float, String, Boolean as they are; custom scalars pass any JSON. */
    return json_incref((json_t *)v);
}

static json_t *coerce_list(vctx *c, json_t *v, const gql_typeref *item, int depth)
{
    if (!json_is_array(v)) {
        json_t *one = coerce_input(c, v, item, depth + 1);
        if (!one)
            return NULL;
        json_t *arr = json_array();
        if (!arr || json_array_append_new(arr, one) != 0) {
            c->oom = true;
            json_decref(arr);
            return NULL;
        }
        return arr;
    }
    json_t *arr = json_array();
    if (!arr) {
        c->oom = true;
        return NULL;
    }
    size_t mark = c->path.len;
    for (size_t i = 0; i < json_array_size(v) && !c->oom; i++) {
        pst_buf_appendf(&c->path, "[%zu]", i);
        json_t *x = coerce_input(c, json_array_get(v, i), item, depth + 1);
        pst_buf_truncate(&c->path, mark);
        if (x && json_array_append_new(arr, x) != 0)
            c->oom = true;
    }
    if (c->path.failed)
        c->oom = true;
    return arr; /* the caller checks c->errors for failure */
}

/* graphql-js reports unknown fields after the defined ones, in key order. */
static void unknown_fields(vctx *c, const json_t *v, const gql_type *t)
{
    const char *key;
    json_t *val;
    pst_str *names = pst_arena_alloc(c->a, (t->n_input_fields + 1) * sizeof(*names));
    if (!names) {
        c->oom = true;
        return;
    }
    for (size_t i = 0; i < t->n_input_fields; i++)
        names[i] = t->input_fields[i].name;
    json_object_foreach((json_t *)v, key, val)
    {
        pst_str k = pst_str_c(key);
        if (gql_type_input_field(t, k))
            continue;
        pst_buf b = {0};
        pst_buf_appendf(&b, "Field \"%s\" is not defined by type \"%.*s\".", key, (int)t->name.n,
                        t->name.p);
        gql_did_you_mean(&b, NULL, k, names, t->n_input_fields);
        const char *m = pst_buf_cstr(&b);
        if (m)
            var_error(c, v, m);
        else
            c->oom = true;
        pst_buf_free(&b);
    }
}

static bool coerce_field(vctx *c, json_t *v, const gql_input_value *f, json_t *obj, int depth)
{
    json_t *fv = json_object_getn(v, f->name.p, f->name.n);
    json_t *x = NULL;
    if (!fv) {
        if (f->default_value) {
            int rc = literal_value(f->default_value, f->type, NULL, &x, 0);
            if (rc < 0)
                c->oom = true;
            if (rc != 1)
                return !c->oom; /* an invalid schema default: leave the field out */
        } else {
            if (is_non_null(f->type)) {
                char ty[256];
                var_errorf(c, v, "Field \"%.*s\" of required type \"%s\" was not provided.",
                           (int)f->name.n, f->name.p, typeref_text(f->type, ty, sizeof(ty)));
            }
            return true;
        }
    } else {
        size_t mark = c->path.len;
        pst_buf_append_char(&c->path, '.');
        pst_buf_append(&c->path, f->name.p, f->name.n);
        x = coerce_input(c, fv, f->type, depth + 1);
        pst_buf_truncate(&c->path, mark);
        if (!x)
            return true;
    }
    if (json_object_setn_new(obj, f->name.p, f->name.n, x) != 0)
        c->oom = true;
    return !c->oom;
}

static json_t *coerce_object(vctx *c, json_t *v, const gql_type *t, int depth)
{
    if (!json_is_object(v)) {
        var_errorf(c, v, "Expected type \"%.*s\" to be an object.", (int)t->name.n, t->name.p);
        return NULL;
    }
    json_t *obj = json_object();
    if (!obj) {
        c->oom = true;
        return NULL;
    }
    for (size_t i = 0; i < t->n_input_fields && !c->oom; i++)
        coerce_field(c, v, &t->input_fields[i], obj, depth);
    if (!c->oom)
        unknown_fields(c, v, t);
    return obj;
}

static json_t *coerce_input(vctx *c, json_t *v, const gql_typeref *t, int depth)
{
    if (depth > MAX_DEPTH) {
        const gql_node *d = c->vardef;
        c->errors++;
        if (!gql_errors_add(c->errs, d->line, d->col, NULL, GQL_CODE_LIMIT_EXCEEDED, NULL,
                            "Variable \"$%.*s\" is nested more than %d levels deep.",
                            (int)d->name.n, d->name.p, MAX_DEPTH))
            c->oom = true;
        return NULL;
    }
    if (is_non_null(t)) {
        if (!json_is_null(v))
            return coerce_input(c, v, t->of, depth);
        char ty[256];
        var_errorf(c, v, "Expected non-nullable type \"%s\" not to be null.",
                   typeref_text(t, ty, sizeof(ty)));
        return NULL;
    }
    if (json_is_null(v))
        return json_null();
    if (t->kind == GQL_REF_LIST)
        return coerce_list(c, v, t->of, depth);
    if (t->named->kind == GQL_TYPE_INPUT_OBJECT)
        return coerce_object(c, v, t->named, depth);
    int before = c->errors;
    json_t *r = coerce_leaf(c, v, t->named);
    if (!r && c->errors == before)
        c->oom = true;
    return r;
}

static void print_ast_type(pst_buf *b, const gql_node *t)
{
    if (t->kind == GQL_NAMED_TYPE) {
        pst_buf_append(b, t->name.p, t->name.n);
    } else if (t->kind == GQL_LIST_TYPE) {
        pst_buf_append_char(b, '[');
        print_ast_type(b, t->type);
        pst_buf_append_char(b, ']');
    } else {
        print_ast_type(b, t->type);
        pst_buf_append_char(b, '!');
    }
}

static bool is_input_ref(const gql_typeref *t)
{
    return t && gql_type_is_input(gql_typeref_named(t));
}

/* One variable definition; returns false only when out of memory. */
static bool coerce_one_var(vctx *c, const gql_schema *s, json_t *raw, json_t *out)
{
    const gql_node *d = c->vardef;
    char ty[256];
    gql_typeref *t = gql_typeref_from_ast(c->a, s, d->type);
    if (!is_input_ref(t)) {
        pst_buf b = {0};
        print_ast_type(&b, d->type);
        const char *tx = pst_buf_cstr(&b);
        c->errors++;
        if (!tx || !gql_errors_add(c->errs, d->type->line, d->type->col, NULL,
                                   GQL_CODE_BAD_USER_INPUT, NULL,
                                   "Variable \"$%.*s\" expected value of type \"%s\" which cannot "
                                   "be used as an input type.",
                                   (int)d->name.n, d->name.p, tx))
            c->oom = true;
        pst_buf_free(&b);
        return !c->oom;
    }
    json_t *v = json_is_object(raw) ? json_object_getn(raw, d->name.p, d->name.n) : NULL;
    json_t *x = NULL;
    if (!v) {
        if (d->value) {
            int rc = literal_value(d->value, t, NULL, &x, 0);
            if (rc < 0)
                c->oom = true;
            if (rc != 1)
                return !c->oom; /* invalid default: validation reports it */
        } else {
            if (is_non_null(t)) {
                c->errors++;
                if (!gql_errors_add(c->errs, d->line, d->col, NULL, GQL_CODE_BAD_USER_INPUT, NULL,
                                    "Variable \"$%.*s\" of required type \"%s\" was not provided.",
                                    (int)d->name.n, d->name.p, typeref_text(t, ty, sizeof(ty))))
                    c->oom = true;
            }
            return !c->oom;
        }
    } else if (json_is_null(v) && is_non_null(t)) {
        c->errors++;
        if (!gql_errors_add(c->errs, d->line, d->col, NULL, GQL_CODE_BAD_USER_INPUT, NULL,
                            "Variable \"$%.*s\" of non-null type \"%s\" must not be null.",
                            (int)d->name.n, d->name.p, typeref_text(t, ty, sizeof(ty))))
            c->oom = true;
        return !c->oom;
    } else {
        pst_buf_reset(&c->path);
        x = coerce_input(c, v, t, 0);
        if (!x)
            return !c->oom;
    }
    if (json_object_setn_new(out, d->name.p, d->name.n, x) != 0)
        c->oom = true;
    return !c->oom;
}

static void decref_cleanup(void *p)
{
    json_decref(p);
}

/* A new object owned by the arena; NULL when out of memory. */
static json_t *arena_object(pst_arena *a)
{
    json_t *o = json_object();
    if (o && pst_arena_cleanup(a, decref_cleanup, o) != PST_OK) {
        json_decref(o);
        o = NULL;
    }
    return o;
}

pst_status gql_coerce_variables(pst_arena *a, const gql_schema *s, const gql_node *op, json_t *raw,
                                json_t **out, gql_errors *errs)
{
    json_t *obj = arena_object(a);
    if (!obj)
        return PST_ERROR;
    vctx c = {.a = a, .errs = errs};
    for (const gql_node *d = op->children; d && !c.oom; d = d->next) {
        if (d->kind != GQL_VARIABLE_DEF)
            continue;
        c.vardef = d;
        coerce_one_var(&c, s, raw, obj);
    }
    pst_buf_free(&c.path);
    if (c.oom)
        return PST_ERROR;
    if (c.errors)
        return PST_DECLINED;
    *out = obj;
    return PST_OK;
}

/* ---- literals (valueFromAST, valueFromASTUntyped) ---- */

/* Result of a literal conversion: 1 = value, 0 = invalid, -1 = no memory. */
static int literal_value(const gql_node *v, const gql_typeref *t, json_t *vars, json_t **out,
                         int depth);

static json_t *int_literal(const gql_node *v)
{
    char buf[64];
    snprintf(buf, sizeof(buf), "%.*s", (int)v->str.n, v->str.p);
    errno = 0;
    long long n = strtoll(buf, NULL, 10);
    if (errno == ERANGE)
        return json_real(strtod(buf, NULL));
    return json_integer(n);
}

static json_t *float_literal(const gql_node *v)
{
    char buf[128];
    snprintf(buf, sizeof(buf), "%.*s", (int)v->str.n, v->str.p);
    return json_real(strtod(buf, NULL));
}

static json_t *variable_value(const gql_node *v, json_t *vars)
{
    return vars ? json_object_getn(vars, v->name.p, v->name.n) : NULL;
}

/* valueFromASTUntyped, for custom scalars. */
static int untyped_value(const gql_node *v, json_t *vars, json_t **out, int depth)
{
    json_t *r = NULL;
    if (depth > MAX_DEPTH)
        return 0;
    switch (v->kind) {
    case GQL_NULL_VALUE:
        r = json_null();
        break;
    case GQL_INT:
        r = int_literal(v);
        break;
    case GQL_FLOAT:
        r = float_literal(v);
        break;
    case GQL_STRING:
    case GQL_ENUM:
        r = v->kind == GQL_ENUM ? json_stringn(v->name.p, v->name.n)
                                : json_stringn(v->str.p, v->str.n);
        break;
    case GQL_BOOLEAN:
        r = json_boolean(v->flags & GQL_FLAG_TRUE);
        break;
    case GQL_VARIABLE:
        r = variable_value(v, vars);
        r = json_incref(r ? r : json_null());
        break;
    case GQL_LIST:
        r = json_array();
        for (const gql_node *x = v->children; x && r; x = x->next) {
            json_t *item = NULL;
            if (untyped_value(x, vars, &item, depth + 1) != 1 ||
                json_array_append_new(r, item) != 0) {
                json_decref(r);
                r = NULL;
            }
        }
        break;
    case GQL_OBJECT:
        r = json_object();
        for (const gql_node *f = v->children; f && r; f = f->next) {
            json_t *item = NULL;
            if (f->value->kind == GQL_VARIABLE && !variable_value(f->value, vars))
                continue; /* undefined members vanish, as in JSON.stringify */
            if (untyped_value(f->value, vars, &item, depth + 1) != 1 ||
                json_object_setn_new(r, f->name.p, f->name.n, item) != 0) {
                json_decref(r);
                r = NULL;
            }
        }
        break;
    default:
        return 0;
    }
    *out = r;
    return r ? 1 : -1;
}

static bool enum_has(const gql_type *t, pst_str name)
{
    for (size_t i = 0; i < t->n_enum_values; i++)
        if (pst_str_eq(t->enum_values[i], name))
            return true;
    return false;
}

static int leaf_literal(const gql_node *v, const gql_type *t, json_t *vars, json_t **out, int depth)
{
    json_t *r = NULL;
    gql_kind k = v->kind;
    if (t->kind == GQL_TYPE_ENUM) {
        if (k != GQL_ENUM || !enum_has(t, v->name))
            return 0;
        r = json_stringn(v->name.p, v->name.n);
    } else if (is_builtin(t, "Int")) {
        if (k != GQL_INT)
            return 0;
        r = int_literal(v);
        json_int_t n = r && json_is_integer(r) ? json_integer_value(r) : INT64_MAX;
        if (r && (n > 2147483647LL || n < -2147483648LL)) {
            json_decref(r);
            return 0;
        }
    } else if (is_builtin(t, "Float")) {
        if (k != GQL_INT && k != GQL_FLOAT)
            return 0;
        r = k == GQL_INT ? int_literal(v) : float_literal(v);
    } else if (is_builtin(t, "String") || is_builtin(t, "ID")) {
        if (k != GQL_STRING && !(k == GQL_INT && is_builtin(t, "ID")))
            return 0;
        r = json_stringn(v->str.p, v->str.n);
    } else if (is_builtin(t, "Boolean")) {
        if (k != GQL_BOOLEAN)
            return 0;
        r = json_boolean(v->flags & GQL_FLAG_TRUE);
    } else {
        return untyped_value(v, vars, out, depth);
    }
    *out = r;
    return r ? 1 : -1;
}

static bool missing_variable(const gql_node *v, json_t *vars)
{
    return v->kind == GQL_VARIABLE && !variable_value(v, vars);
}

static int list_literal(const gql_node *v, const gql_typeref *item, json_t *vars, json_t **out,
                        int depth)
{
    if (v->kind != GQL_LIST) {
        json_t *one = NULL;
        int rc = literal_value(v, item, vars, &one, depth + 1);
        if (rc != 1)
            return rc;
        *out = json_array();
        if (!*out || json_array_append_new(*out, one) != 0) {
            json_decref(*out);
            return -1;
        }
        return 1;
    }
    json_t *arr = json_array();
    int rc = arr ? 1 : -1;
    for (const gql_node *x = v->children; x && rc == 1; x = x->next) {
        json_t *iv = NULL;
        if (missing_variable(x, vars))
            rc = is_non_null(item) ? 0 : ((iv = json_null()), 1);
        else
            rc = literal_value(x, item, vars, &iv, depth + 1);
        if (rc == 1 && json_array_append_new(arr, iv) != 0)
            rc = -1;
    }
    if (rc != 1)
        json_decref(arr);
    else
        *out = arr;
    return rc;
}

static const gql_node *object_field_node(const gql_node *v, pst_str name)
{
    const gql_node *found = NULL;
    for (const gql_node *f = v->children; f; f = f->next)
        if (pst_str_eq(f->name, name))
            found = f;
    return found;
}

static int object_literal(const gql_node *v, const gql_type *t, json_t *vars, json_t **out,
                          int depth)
{
    if (v->kind != GQL_OBJECT)
        return 0;
    json_t *obj = json_object();
    int rc = obj ? 1 : -1;
    for (size_t i = 0; i < t->n_input_fields && rc == 1; i++) {
        const gql_input_value *f = &t->input_fields[i];
        const gql_node *fn = object_field_node(v, f->name);
        json_t *x = NULL;
        if (!fn || missing_variable(fn->value, vars)) {
            if (f->default_value)
                rc = literal_value(f->default_value, f->type, NULL, &x, depth + 1);
            else if (is_non_null(f->type))
                rc = 0;
            if (!x)
                continue;
        } else {
            rc = literal_value(fn->value, f->type, vars, &x, depth + 1);
        }
        if (rc == 1 && json_object_setn_new(obj, f->name.p, f->name.n, x) != 0)
            rc = -1;
    }
    if (rc != 1)
        json_decref(obj);
    else
        *out = obj;
    return rc;
}

static int literal_value(const gql_node *v, const gql_typeref *t, json_t *vars, json_t **out,
                         int depth)
{
    if (depth > MAX_DEPTH)
        return 0;
    if (v->kind == GQL_VARIABLE) {
        json_t *x = variable_value(v, vars);
        if (!x || (json_is_null(x) && is_non_null(t)))
            return 0;
        *out = json_incref(x);
        return 1;
    }
    if (is_non_null(t))
        return v->kind == GQL_NULL_VALUE ? 0 : literal_value(v, t->of, vars, out, depth);
    if (v->kind == GQL_NULL_VALUE) {
        *out = json_null();
        return 1;
    }
    if (t->kind == GQL_REF_LIST)
        return list_literal(v, t->of, vars, out, depth);
    if (t->named->kind == GQL_TYPE_INPUT_OBJECT)
        return object_literal(v, t->named, vars, out, depth);
    return leaf_literal(v, t->named, vars, out, depth);
}

json_t *gql_value_from_ast(const gql_node *v, const gql_typeref *t, json_t *vars)
{
    json_t *out = NULL;
    return literal_value(v, t, vars, &out, 0) == 1 ? out : NULL;
}

gql_typeref *gql_typeref_from_ast(pst_arena *a, const gql_schema *s, const gql_node *type)
{
    if (!type)
        return NULL;
    gql_typeref *r = pst_arena_calloc(a, sizeof(*r));
    if (!r)
        return NULL;
    if (type->kind == GQL_NAMED_TYPE) {
        r->kind = GQL_REF_NAMED;
        r->named = gql_schema_type(s, type->name);
        return r->named ? r : NULL;
    }
    r->kind = type->kind == GQL_LIST_TYPE ? GQL_REF_LIST : GQL_REF_NON_NULL;
    r->of = gql_typeref_from_ast(a, s, type->type);
    return r->of ? r : NULL;
}

/* ---- argument coercion (CoerceArgumentValues, getArgumentValues) ---- */

typedef struct {
    gql_errors *errs;
    const char *path;
    const gql_input_value *def;
    char type[256];
} actx;

static pst_status arg_error(actx *c, const gql_node *at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static pst_status arg_error(actx *c, const gql_node *at, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (!gql_errors_add(c->errs, at->line, at->col, c->path, GQL_CODE_BAD_USER_INPUT, NULL, "%s",
                        msg))
        return PST_ERROR;
    return PST_DECLINED;
}

static const gql_node *arg_node(const gql_node *field, pst_str name)
{
    for (const gql_node *a = field->args; a; a = a->next)
        if (pst_str_eq(a->name, name))
            return a;
    return NULL;
}

/* The schema default, or nothing (1 with *x NULL) / the required error. */
static pst_status arg_absent(actx *c, const gql_node *at, const gql_node *var, json_t **x)
{
    const gql_input_value *d = c->def;
    if (d->default_value) /* an invalid schema default leaves the argument out */
        return literal_value(d->default_value, d->type, NULL, x, 0) < 0 ? PST_ERROR : PST_OK;
    if (!is_non_null(d->type))
        return PST_OK;
    if (var)
        return arg_error(c, at,
                         "Argument \"%.*s\" of required type \"%s\" was provided the variable "
                         "\"$%.*s\" which was not provided a runtime value.",
                         (int)d->name.n, d->name.p, c->type, (int)var->name.n, var->name.p);
    return arg_error(c, at, "Argument \"%.*s\" of required type \"%s\" was not provided.",
                     (int)d->name.n, d->name.p, c->type);
}

static pst_status one_arg(actx *c, const gql_node *field, json_t *vars, json_t *obj)
{
    const gql_input_value *d = c->def;
    const gql_node *an = arg_node(field, d->name);
    json_t *x = NULL;
    pst_status st = PST_OK;
    typeref_text(d->type, c->type, sizeof(c->type));
    if (!an || missing_variable(an->value, vars)) {
        st = arg_absent(c, an ? an->value : field, an ? an->value : NULL, &x);
    } else {
        const gql_node *v = an->value;
        json_t *vv = v->kind == GQL_VARIABLE ? variable_value(v, vars) : NULL;
        bool is_null = v->kind == GQL_NULL_VALUE || (vv && json_is_null(vv));
        if (is_null && is_non_null(d->type))
            return arg_error(c, v, "Argument \"%.*s\" of non-null type \"%s\" must not be null.",
                             (int)d->name.n, d->name.p, c->type);
        int rc = literal_value(v, d->type, vars, &x, 0);
        if (rc < 0)
            return PST_ERROR;
        if (rc == 0) {
            pst_buf b = {0};
            gql_print_literal(&b, v);
            const char *lit = pst_buf_cstr(&b);
            st = lit ? arg_error(c, v, "Argument \"%.*s\" has invalid value %s.", (int)d->name.n,
                                 d->name.p, lit)
                     : PST_ERROR;
            pst_buf_free(&b);
        }
    }
    if (st == PST_OK && x && json_object_setn_new(obj, d->name.p, d->name.n, x) != 0)
        st = PST_ERROR;
    return st;
}

pst_status gql_coerce_arguments(pst_arena *a, const gql_field *def, const gql_node *field,
                                json_t *vars, json_t **out, gql_errors *errs, const char *path_json)
{
    json_t *obj = arena_object(a);
    if (!obj)
        return PST_ERROR;
    actx c = {.errs = errs, .path = path_json};
    for (size_t i = 0; i < def->n_args; i++) {
        c.def = &def->args[i];
        pst_status st = one_arg(&c, field, vars, obj);
        if (st != PST_OK)
            return st;
    }
    *out = obj;
    return PST_OK;
}
