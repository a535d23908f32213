/* ValuesOfCorrectType: a literal checked against an input type, with
 * graphql-js's messages (its scalars' parseLiteral errors included). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "graphql/jsvalue.h"
#include "graphql/values.h"

#define PS(s) (int)(s).n, (s).p

typedef struct {
    gql_value_err_fn fn;
    void *ud;
    size_t count;
} vcheck;

static void report(vcheck *v, const gql_node *at, pst_buf *b)
{
    const char *msg = pst_buf_cstr(b);
    v->fn(v->ud, at, msg ? msg : "out of memory");
    v->count++;
    pst_buf_free(b);
}

/* "Expected value of type "T", found V." */
static void expected(vcheck *v, const gql_typeref *loc, const gql_node *at)
{
    pst_buf b = {0};
    pst_buf_append_c(&b, "Expected value of type \"");
    gql_typeref_print(loc, &b);
    pst_buf_append_c(&b, "\", found ");
    gql_print_literal(&b, at);
    pst_buf_append_char(&b, '.');
    report(v, at, &b);
}

static void scalar_error(vcheck *v, const gql_node *at, const char *prefix)
{
    pst_buf b = {0};
    pst_buf_append_c(&b, prefix);
    gql_print_literal(&b, at);
    report(v, at, &b);
}

/* An IntValue's text within the 32-bit signed range. */
static bool int32_text(pst_str s)
{
    size_t i = s.n && s.p[0] == '-' ? 1 : 0;
    if (s.n - i > 10)
        return false;
    char buf[16];
    memcpy(buf, s.p, s.n);
    buf[s.n] = 0;
    long long x = strtoll(buf, NULL, 10);
    return x >= -2147483648LL && x <= 2147483647LL;
}

static void check_scalar(vcheck *v, const gql_type *t, const gql_node *n)
{
    pst_str name = t->name;
    if (pst_str_eq_c(name, "Int")) {
        if (n->kind != GQL_INT) {
            scalar_error(v, n, "Int cannot represent non-integer value: ");
        } else if (!int32_text(n->str)) {
            pst_buf b = {0};
            pst_buf_appendf(&b, "Int cannot represent non 32-bit signed integer value: %.*s",
                            PS(n->str));
            report(v, n, &b);
        }
    } else if (pst_str_eq_c(name, "Float")) {
        if (n->kind != GQL_INT && n->kind != GQL_FLOAT)
            scalar_error(v, n, "Float cannot represent non numeric value: ");
    } else if (pst_str_eq_c(name, "String")) {
        if (n->kind != GQL_STRING)
            scalar_error(v, n, "String cannot represent a non string value: ");
    } else if (pst_str_eq_c(name, "Boolean")) {
        if (n->kind != GQL_BOOLEAN)
            scalar_error(v, n, "Boolean cannot represent a non boolean value: ");
    } else if (pst_str_eq_c(name, "ID")) {
        if (n->kind != GQL_STRING && n->kind != GQL_INT)
            scalar_error(v, n, "ID cannot represent a non-string and non-integer value: ");
    }
    /* custom scalars accept any literal, as graphql-js's default parseLiteral */
}

static void check_enum(vcheck *v, const gql_type *t, const gql_node *n)
{
    if (n->kind == GQL_ENUM && gql_type_has_enum_value(t, n->name))
        return;
    pst_buf b = {0}, shown = {0};
    gql_print_literal(&shown, n);
    const char *s = pst_buf_cstr(&shown);
    if (n->kind == GQL_ENUM)
        pst_buf_appendf(&b, "Value \"%s\" does not exist in \"%.*s\" enum.", s ? s : "",
                        PS(t->name));
    else
        pst_buf_appendf(&b, "Enum \"%.*s\" cannot represent non-enum value: %s.", PS(t->name),
                        s ? s : "");
    gql_did_you_mean(&b, "the enum value", (pst_str){shown.p, shown.len}, t->enum_values,
                     t->n_enum_values);
    pst_buf_free(&shown);
    report(v, n, &b);
}

static void check(vcheck *v, const gql_typeref *loc, const gql_typeref *t, const gql_node *n);

static void check_object(vcheck *v, const gql_type *t, const gql_node *n)
{
    for (size_t i = 0; i < t->n_input_fields; i++) {
        const gql_input_value *fd = &t->input_fields[i];
        if (!fd->type || fd->type->kind != GQL_REF_NON_NULL || fd->default_value)
            continue;
        const gql_node *f = n->children;
        while (f && !pst_str_eq(f->name, fd->name))
            f = f->next;
        if (f)
            continue;
        pst_buf b = {0};
        pst_buf_appendf(&b, "Field \"%.*s.%.*s\" of required type \"", PS(t->name), PS(fd->name));
        gql_typeref_print(fd->type, &b);
        pst_buf_append_c(&b, "\" was not provided.");
        report(v, n, &b);
    }
    for (const gql_node *f = n->children; f; f = f->next) {
        const gql_input_value *fd = gql_type_input_field(t, f->name);
        if (!fd) {
            pst_buf b = {0};
            pst_buf_appendf(&b, "Field \"%.*s\" is not defined by type \"%.*s\".", PS(f->name),
                            PS(t->name));
            pst_str names[64];
            size_t k = 0;
            for (size_t i = 0; i < t->n_input_fields && k < 64; i++)
                names[k++] = t->input_fields[i].name;
            gql_did_you_mean(&b, NULL, f->name, names, k);
            report(v, f, &b);
        } else if (fd->type && f->value) {
            check(v, fd->type, fd->type, f->value);
        }
    }
}

/* loc is the type graphql-js names in "Expected value of type": the type of
 * the position, which for a non-list value in a list position is the list. */
static void check(vcheck *v, const gql_typeref *loc, const gql_typeref *t, const gql_node *n)
{
    if (n->kind == GQL_VARIABLE)
        return;
    if (t->kind == GQL_REF_NON_NULL) {
        if (n->kind == GQL_NULL_VALUE)
            expected(v, loc, n);
        else
            check(v, loc, t->of, n);
        return;
    }
    if (n->kind == GQL_NULL_VALUE)
        return;
    if (t->kind == GQL_REF_LIST) {
        if (n->kind != GQL_LIST) {
            check(v, loc, t->of, n);
            return;
        }
        for (const gql_node *i = n->children; i; i = i->next)
            check(v, t->of, t->of, i);
        return;
    }
    const gql_type *named = t->named;
    if (named->kind == GQL_TYPE_INPUT_OBJECT) {
        if (n->kind == GQL_OBJECT)
            check_object(v, named, n);
        else /* graphql-js names a list's item type there: the type, nullable */
            expected(v, n->kind == GQL_LIST ? t : loc, n);
    } else if (named->kind == GQL_TYPE_ENUM) {
        check_enum(v, named, n);
    } else if (named->kind == GQL_TYPE_SCALAR) {
        check_scalar(v, named, n);
    }
}

size_t gql_check_literal(const gql_typeref *t, const gql_node *n, gql_value_err_fn fn, void *ud)
{
    vcheck v = {fn, ud, 0};
    if (t && n)
        check(&v, t, t, n);
    return v.count;
}
