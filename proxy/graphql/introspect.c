#include "graphql/introspect.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/mem.h"
#include "graphql/coerce.h"
#include "graphql/jsvalue.h"

struct gql_introspection {
    const gql_schema *s;
    json_t *schema; /* the __Schema object */
    json_t *types;  /* name -> full __Type object */
};

/* graphql-js's descriptions of the built-in scalars, introspection types and
 * directives, by coordinate ("Type", "Type.field", "Type.field(arg:)",
 * "@directive", "@directive(arg:)", "Enum.VALUE"). */
static const struct {
    const char *coord, *text;
} builtin_descriptions[] = {
    {"String",
     "The `String` scalar type represents textual data, represented as UTF-8 character sequences. "
     "The String type is most often used by GraphQL to represent free-form human-readable text."},
    {"Int", "The `Int` scalar type represents non-fractional signed whole numeric values. Int can "
            "represent values between -(2^31) and 2^31 - 1."},
    {"Float", "The `Float` scalar type represents signed double-precision fractional values as "
              "specified by [IEEE 754](https://en.wikipedia.org/wiki/IEEE_floating_point)."},
    {"Boolean", "The `Boolean` scalar type represents `true` or `false`."},
    {"ID", "The `ID` scalar type represents a unique identifier, often used to refetch an object "
           "or as key for a cache. The ID type appears in a JSON response as a String; however, it "
           "is not intended to be human-readable. When expected as an input type, any string (such "
           "as `\"4\"`) or integer (such as `4`) input value will be accepted as an ID."},
    {"__Schema", "A GraphQL Schema defines the capabilities of a GraphQL server. It exposes all "
                 "available types and directives on the server, as well as the entry points for "
                 "query, mutation, and subscription operations."},
    {"__Schema.types", "A list of all types supported by this server."},
    {"__Schema.queryType", "The type that query operations will be rooted at."},
    {"__Schema.mutationType",
     "If this server supports mutation, the type that mutation operations will be rooted at."},
    {"__Schema.subscriptionType", "If this server support subscription, the type that subscription "
                                  "operations will be rooted at."},
    {"__Schema.directives", "A list of all directives supported by this server."},
    {"__Type", "The fundamental unit of any GraphQL Schema is the type. There are many kinds of "
               "types in GraphQL as represented by the `__TypeKind` enum.\n\nDepending on the kind "
               "of a type, certain fields describe information about that type. Scalar types "
               "provide no information beyond a name, description and optional `specifiedByURL`, "
               "while Enum types provide their values. Object and Interface types provide the "
               "fields they describe. Abstract types, Union and Interface, provide the Object "
               "types possible at runtime. List and NonNull types compose other types."},
    {"__TypeKind", "An enum describing what kind of type a given `__Type` is."},
    {"__TypeKind.SCALAR", "Indicates this type is a scalar."},
    {"__TypeKind.OBJECT",
     "Indicates this type is an object. `fields` and `interfaces` are valid fields."},
    {"__TypeKind.INTERFACE", "Indicates this type is an interface. `fields`, `interfaces`, and "
                             "`possibleTypes` are valid fields."},
    {"__TypeKind.UNION", "Indicates this type is a union. `possibleTypes` is a valid field."},
    {"__TypeKind.ENUM", "Indicates this type is an enum. `enumValues` is a valid field."},
    {"__TypeKind.INPUT_OBJECT",
     "Indicates this type is an input object. `inputFields` is a valid field."},
    {"__TypeKind.LIST", "Indicates this type is a list. `ofType` is a valid field."},
    {"__TypeKind.NON_NULL", "Indicates this type is a non-null. `ofType` is a valid field."},
    {"__Field", "Object and Interface types are described by a list of Fields, each of which has a "
                "name, potentially a list of arguments, and a return type."},
    {"__InputValue",
     "Arguments provided to Fields or Directives and the input fields of an InputObject are "
     "represented as Input Values which describe their type and optionally a default value."},
    {"__InputValue.defaultValue",
     "A GraphQL-formatted string representing the default value for this input value."},
    {"__EnumValue",
     "One possible value for a given Enum. Enum values are unique values, not a placeholder for a "
     "string or numeric value. However an Enum value is returned in a JSON response as a string."},
    {"__Directive",
     "A Directive provides a way to describe alternate runtime execution and type validation "
     "behavior in a GraphQL document.\n\nIn some cases, you need to provide options to alter "
     "GraphQL's execution behavior in ways field arguments will not suffice, such as conditionally "
     "including or skipping a field. Directives provide this by describing additional information "
     "to the executor."},
    {"__DirectiveLocation", "A Directive can be adjacent to many parts of the GraphQL language, a "
                            "__DirectiveLocation describes one such possible adjacencies."},
    {"__DirectiveLocation.QUERY", "Location adjacent to a query operation."},
    {"__DirectiveLocation.MUTATION", "Location adjacent to a mutation operation."},
    {"__DirectiveLocation.SUBSCRIPTION", "Location adjacent to a subscription operation."},
    {"__DirectiveLocation.FIELD", "Location adjacent to a field."},
    {"__DirectiveLocation.FRAGMENT_DEFINITION", "Location adjacent to a fragment definition."},
    {"__DirectiveLocation.FRAGMENT_SPREAD", "Location adjacent to a fragment spread."},
    {"__DirectiveLocation.INLINE_FRAGMENT", "Location adjacent to an inline fragment."},
    {"__DirectiveLocation.VARIABLE_DEFINITION", "Location adjacent to a variable definition."},
    {"__DirectiveLocation.SCHEMA", "Location adjacent to a schema definition."},
    {"__DirectiveLocation.SCALAR", "Location adjacent to a scalar definition."},
    {"__DirectiveLocation.OBJECT", "Location adjacent to an object type definition."},
    {"__DirectiveLocation.FIELD_DEFINITION", "Location adjacent to a field definition."},
    {"__DirectiveLocation.ARGUMENT_DEFINITION", "Location adjacent to an argument definition."},
    {"__DirectiveLocation.INTERFACE", "Location adjacent to an interface definition."},
    {"__DirectiveLocation.UNION", "Location adjacent to a union definition."},
    {"__DirectiveLocation.ENUM", "Location adjacent to an enum definition."},
    {"__DirectiveLocation.ENUM_VALUE", "Location adjacent to an enum value definition."},
    {"__DirectiveLocation.INPUT_OBJECT", "Location adjacent to an input object type definition."},
    {"__DirectiveLocation.INPUT_FIELD_DEFINITION",
     "Location adjacent to an input object field definition."},
    {"@include",
     "Directs the executor to include this field or fragment only when the `if` argument is true."},
    {"@include(if:)", "Included when true."},
    {"@skip",
     "Directs the executor to skip this field or fragment when the `if` argument is true."},
    {"@skip(if:)", "Skipped when true."},
    {"@deprecated", "Marks an element of a GraphQL schema as no longer supported."},
    {"@deprecated(reason:)",
     "Explains why this element was deprecated, usually also including a suggestion for how to "
     "access supported similar data. Formatted using the Markdown syntax, as specified by "
     "[CommonMark](https://commonmark.org/)."},
    {"@specifiedBy", "Exposes a URL that specifies the behavior of this scalar."},
    {"@specifiedBy(url:)", "The URL that specifies the behavior of this scalar."},
};

static const char *builtin_description(const char *coord)
{
    for (size_t i = 0; i < sizeof(builtin_descriptions) / sizeof(builtin_descriptions[0]); i++)
        if (strcmp(builtin_descriptions[i].coord, coord) == 0)
            return builtin_descriptions[i].text;
    return NULL;
}

/* Builder state; `failed` is set by any allocation that did not work. */
typedef struct {
    const gql_schema *s;
    const gql_type **order; /* graphql-js type-map order */
    size_t n;
    bool failed;
} ib;

static json_t *str_or_null(ib *b, const char *s)
{
    json_t *v = s ? json_string(s) : json_null();
    if (!v)
        b->failed = true;
    return v;
}

static json_t *strn(ib *b, pst_str s)
{
    json_t *v = json_stringn(s.p, s.n);
    if (!v)
        b->failed = true;
    return v;
}

static void set(ib *b, json_t *obj, const char *key, json_t *v)
{
    if (!v || json_object_set_new(obj, key, v) != 0)
        b->failed = true;
}

static void push(ib *b, json_t *arr, json_t *v)
{
    if (!v || json_array_append_new(arr, v) != 0)
        b->failed = true;
}

/* The description of a schema element: its own, else graphql-js's for a
 * built-in. coord is printf-formatted. */
static json_t *description(ib *b, const char *own, bool builtin, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static json_t *description(ib *b, const char *own, bool builtin, const char *fmt, ...)
{
    if (own || !builtin)
        return str_or_null(b, own);
    char coord[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(coord, sizeof(coord), fmt, ap);
    va_end(ap);
    return str_or_null(b, builtin_description(coord));
}

static const char *kind_name(gql_type_kind k)
{
    static const char *const names[] = {"SCALAR", "OBJECT", "INTERFACE",
                                        "UNION",  "ENUM",   "INPUT_OBJECT"};
    return names[k];
}

/* A type reference: wrappers nest, named types are stubs {"kind","name"}
 * that completion resolves to the full type. */
static json_t *ref_json(ib *b, const gql_typeref *r)
{
    json_t *o = json_object();
    if (!o) {
        b->failed = true;
        return NULL;
    }
    if (r->kind == GQL_REF_NAMED) {
        set(b, o, "kind", str_or_null(b, kind_name(r->named->kind)));
        set(b, o, "name", strn(b, r->named->name));
    } else {
        set(b, o, "kind", str_or_null(b, r->kind == GQL_REF_LIST ? "LIST" : "NON_NULL"));
        set(b, o, "ofType", ref_json(b, r->of));
    }
    return o;
}

/* An integer-looking ID prints unquoted, as graphql-js's astFromValue. */
static bool integer_text(const char *s, size_t n)
{
    size_t i = n && s[0] == '-';
    if (i == n || (s[i] == '0' && n - i > 1))
        return false;
    for (; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return true;
}

static void print_gql_string(pst_buf *out, const char *s, size_t n)
{
    gql_node str = {.kind = GQL_STRING, .str = {s, n}};
    gql_print_literal(out, &str);
}

static void print_value(pst_buf *out, const json_t *v, const gql_typeref *t, int depth);

static void print_object(pst_buf *out, const json_t *v, const gql_type *t, int depth)
{
    pst_buf_append_char(out, '{');
    bool first = true;
    for (size_t i = 0; i < t->n_input_fields; i++) {
        const gql_input_value *f = &t->input_fields[i];
        json_t *fv = json_object_getn(v, f->name.p, f->name.n);
        if (!fv)
            continue;
        if (!first)
            pst_buf_append_c(out, ", ");
        first = false;
        pst_buf_append(out, f->name.p, f->name.n);
        pst_buf_append_c(out, ": ");
        print_value(out, fv, f->type, depth + 1);
    }
    pst_buf_append_char(out, '}');
}

/* Leaves and custom scalars (whose JSON prints as GraphQL literals). */
static void print_leaf(pst_buf *out, const json_t *v, const gql_type *t, int depth)
{
    char num[32];
    if (json_is_string(v)) {
        const char *s = json_string_value(v);
        size_t n = json_string_length(v);
        bool raw = (t && t->kind == GQL_TYPE_ENUM) ||
                   (t && t->builtin && pst_str_eq_c(t->name, "ID") && integer_text(s, n));
        if (raw)
            pst_buf_append(out, s, n);
        else
            print_gql_string(out, s, n);
    } else if (json_is_number(v)) {
        pst_buf_append_c(out, gql_js_number(gql_json_number(v), num));
    } else if (json_is_boolean(v)) {
        pst_buf_append_c(out, json_is_true(v) ? "true" : "false");
    } else if (json_is_array(v)) {
        pst_buf_append_char(out, '[');
        for (size_t i = 0; i < json_array_size(v); i++) {
            if (i)
                pst_buf_append_c(out, ", ");
            print_value(out, json_array_get(v, i), NULL, depth + 1);
        }
        pst_buf_append_char(out, ']');
    } else if (json_is_object(v)) {
        const char *key;
        json_t *x;
        pst_buf_append_char(out, '{');
        size_t i = 0;
        json_object_foreach((json_t *)v, key, x)
        {
            pst_buf_appendf(out, "%s%s: ", i++ ? ", " : "", key);
            print_value(out, x, NULL, depth + 1);
        }
        pst_buf_append_char(out, '}');
    } else {
        pst_buf_append_c(out, "null");
    }
}

/* graphql-js print(astFromValue(value, type)); t NULL = untyped. */
static void print_value(pst_buf *out, const json_t *v, const gql_typeref *t, int depth)
{
    if (depth > 512) {
        out->failed = true;
        return;
    }
    while (t && t->kind == GQL_REF_NON_NULL)
        t = t->of;
    if (json_is_null(v)) {
        pst_buf_append_c(out, "null");
    } else if (t && t->kind == GQL_REF_LIST) {
        if (!json_is_array(v)) {
            print_value(out, v, t->of, depth + 1);
            return;
        }
        pst_buf_append_char(out, '[');
        for (size_t i = 0; i < json_array_size(v); i++) {
            if (i)
                pst_buf_append_c(out, ", ");
            print_value(out, json_array_get(v, i), t->of, depth + 1);
        }
        pst_buf_append_char(out, ']');
    } else if (t && t->named->kind == GQL_TYPE_INPUT_OBJECT && json_is_object(v)) {
        print_object(out, v, t->named, depth);
    } else {
        print_leaf(out, v, t ? t->named : NULL, depth);
    }
}

static json_t *default_json(ib *b, const gql_input_value *iv)
{
    if (!iv->default_value)
        return json_null();
    json_t *v = gql_value_from_ast(iv->default_value, iv->type, NULL);
    if (!v)
        return json_null(); /* an invalid default: graphql-js prints none */
    pst_buf out = {0};
    print_value(&out, v, iv->type, 0);
    json_decref(v);
    json_t *r = out.failed ? NULL : json_stringn(out.p ? out.p : "", out.len);
    pst_buf_free(&out);
    if (!r)
        b->failed = true;
    return r;
}

static json_t *input_value_json(ib *b, const gql_input_value *iv, bool builtin, const char *owner)
{
    json_t *o = json_object();
    if (!o) {
        b->failed = true;
        return NULL;
    }
    set(b, o, "name", strn(b, iv->name));
    set(b, o, "description",
        description(b, iv->description, builtin, "%s(%.*s:)", owner, (int)iv->name.n, iv->name.p));
    set(b, o, "type", ref_json(b, iv->type));
    set(b, o, "defaultValue", default_json(b, iv));
    set(b, o, "isDeprecated", json_false());
    set(b, o, "deprecationReason", json_null());
    return o;
}

static json_t *args_json(ib *b, const gql_input_value *args, size_t n, bool builtin,
                         const char *owner)
{
    json_t *arr = json_array();
    if (!arr)
        b->failed = true;
    for (size_t i = 0; i < n && arr; i++)
        push(b, arr, input_value_json(b, &args[i], builtin, owner));
    return arr;
}

static json_t *field_json(ib *b, const gql_type *t, const gql_field *f)
{
    json_t *o = json_object();
    char coord[300];
    snprintf(coord, sizeof(coord), "%.*s.%.*s", (int)t->name.n, t->name.p, (int)f->name.n,
             f->name.p);
    if (!o) {
        b->failed = true;
        return NULL;
    }
    set(b, o, "name", strn(b, f->name));
    set(b, o, "description", description(b, f->description, t->builtin, "%s", coord));
    set(b, o, "args", args_json(b, f->args, f->n_args, t->builtin, coord));
    set(b, o, "type", ref_json(b, f->type));
    set(b, o, "isDeprecated", json_boolean(f->deprecated));
    set(b, o, "deprecationReason",
        f->deprecated ? json_string("No longer supported") : json_null());
    return o;
}

static json_t *stubs_json(ib *b, gql_type *const *types, size_t n)
{
    json_t *arr = json_array();
    if (!arr)
        b->failed = true;
    for (size_t i = 0; i < n && arr; i++) {
        gql_typeref r = {.kind = GQL_REF_NAMED, .named = types[i]};
        push(b, arr, ref_json(b, &r));
    }
    return arr;
}

static size_t order_index(const ib *b, const gql_type *t)
{
    for (size_t i = 0; i < b->n; i++)
        if (b->order[i] == t)
            return i;
    return b->n;
}

/* Interfaces list their implementations in type-map order, as graphql-js. */
static json_t *possible_json(ib *b, const gql_type *t)
{
    gql_type **p = pst_malloc((t->n_possible + 1) * sizeof(*p));
    if (!p) {
        b->failed = true;
        return NULL;
    }
    memcpy(p, t->possible, t->n_possible * sizeof(*p));
    for (size_t i = 1; t->kind == GQL_TYPE_INTERFACE && i < t->n_possible; i++)
        for (size_t j = i; j > 0 && order_index(b, p[j - 1]) > order_index(b, p[j]); j--) {
            gql_type *x = p[j];
            p[j] = p[j - 1];
            p[j - 1] = x;
        }
    json_t *r = stubs_json(b, p, t->n_possible);
    pst_free(p);
    return r;
}

static json_t *enum_values_json(ib *b, const gql_type *t)
{
    json_t *arr = json_array();
    if (!arr)
        b->failed = true;
    for (size_t i = 0; i < t->n_enum_values && arr; i++) {
        json_t *o = json_object();
        pst_str v = t->enum_values[i];
        if (o) {
            set(b, o, "name", strn(b, v));
            set(b, o, "description",
                description(b, NULL, t->builtin, "%.*s.%.*s", (int)t->name.n, t->name.p, (int)v.n,
                            v.p));
            set(b, o, "isDeprecated", json_false());
            set(b, o, "deprecationReason", json_null());
        }
        push(b, arr, o);
    }
    return arr;
}

static json_t *type_json(ib *b, const gql_type *t)
{
    json_t *o = json_object();
    if (!o) {
        b->failed = true;
        return NULL;
    }
    char name[256];
    snprintf(name, sizeof(name), "%.*s", (int)t->name.n, t->name.p);
    bool composite = t->kind == GQL_TYPE_OBJECT || t->kind == GQL_TYPE_INTERFACE;
    set(b, o, "kind", str_or_null(b, kind_name(t->kind)));
    set(b, o, "name", strn(b, t->name));
    set(b, o, "description", description(b, t->description, t->builtin, "%s", name));
    set(b, o, "specifiedByURL", json_null());
    if (composite) {
        json_t *fields = json_array();
        for (size_t i = 0; i < t->n_fields && fields; i++)
            push(b, fields, field_json(b, t, &t->fields[i]));
        set(b, o, "fields", fields);
        set(b, o, "interfaces", stubs_json(b, t->interfaces, t->n_interfaces));
    }
    if (t->kind == GQL_TYPE_INTERFACE || t->kind == GQL_TYPE_UNION)
        set(b, o, "possibleTypes", possible_json(b, t));
    if (t->kind == GQL_TYPE_ENUM)
        set(b, o, "enumValues", enum_values_json(b, t));
    if (t->kind == GQL_TYPE_INPUT_OBJECT)
        set(b, o, "inputFields",
            args_json(b, t->input_fields, t->n_input_fields, t->builtin, name));
    return o;
}

static const char *const spec_directives[] = {"include", "skip", "deprecated", "specifiedBy"};

static bool is_spec_directive(const gql_directive *d)
{
    for (size_t i = 0; i < 4; i++)
        if (d->builtin && pst_str_eq_c(d->name, spec_directives[i]))
            return true;
    return false;
}

static json_t *locations_json(ib *b, const gql_directive *d)
{
    /* graphql-js declares @deprecated's locations in this order */
    static const gql_dir_loc deprecated[] = {GQL_LOC_FIELD_DEFINITION, GQL_LOC_ARGUMENT_DEFINITION,
                                             GQL_LOC_INPUT_FIELD_DEFINITION, GQL_LOC_ENUM_VALUE};
    json_t *arr = json_array();
    if (!arr)
        b->failed = true;
    bool dep = d->builtin && pst_str_eq_c(d->name, "deprecated");
    for (int i = 0; i < (dep ? 4 : GQL_LOC_COUNT) && arr; i++) {
        gql_dir_loc loc = dep ? deprecated[i] : (gql_dir_loc)i;
        if (d->locations & (1u << loc))
            push(b, arr, str_or_null(b, gql_dir_loc_name(loc)));
    }
    return arr;
}

static json_t *directive_json(ib *b, const gql_directive *d)
{
    json_t *o = json_object();
    char coord[256];
    snprintf(coord, sizeof(coord), "@%.*s", (int)d->name.n, d->name.p);
    if (!o) {
        b->failed = true;
        return NULL;
    }
    set(b, o, "name", strn(b, d->name));
    set(b, o, "description", description(b, d->description, is_spec_directive(d), "%s", coord));
    set(b, o, "isRepeatable", json_boolean(d->repeatable));
    set(b, o, "locations", locations_json(b, d));
    set(b, o, "args", args_json(b, d->args, d->n_args, is_spec_directive(d), coord));
    return o;
}

/* graphql-js lists the SDL's directives (postern's included) first, then
 * the specified ones. Returns the count; ds must hold n_directives. */
static size_t directive_order(const gql_schema *s, const gql_directive **ds)
{
    size_t n = 0;
    for (size_t i = 0; i < s->n_directives; i++)
        if (!is_spec_directive(s->directives[i]))
            ds[n++] = s->directives[i];
    for (size_t k = 0; k < 4; k++)
        for (size_t i = 0; i < s->n_directives; i++)
            if (is_spec_directive(s->directives[i]) &&
                pst_str_eq_c(s->directives[i]->name, spec_directives[k]))
                ds[n++] = s->directives[i];
    return n;
}

/* graphql-js's collectReferencedTypes: a type, then (depth first) what its
 * members, interfaces, fields, arguments and input fields reference. The
 * recursion follows type definitions, each visited once. */
static void collect_type(ib *b, const gql_type *t)
{
    if (order_index(b, t) < b->n)
        return;
    b->order[b->n++] = t;
    if (t->kind == GQL_TYPE_UNION)
        for (size_t i = 0; i < t->n_possible; i++)
            collect_type(b, t->possible[i]);
    if (t->kind == GQL_TYPE_OBJECT || t->kind == GQL_TYPE_INTERFACE) {
        for (size_t i = 0; i < t->n_interfaces; i++)
            collect_type(b, t->interfaces[i]);
        for (size_t i = 0; i < t->n_fields; i++) {
            collect_type(b, gql_typeref_named(t->fields[i].type));
            for (size_t k = 0; k < t->fields[i].n_args; k++)
                collect_type(b, gql_typeref_named(t->fields[i].args[k].type));
        }
    }
    if (t->kind == GQL_TYPE_INPUT_OBJECT)
        for (size_t i = 0; i < t->n_input_fields; i++)
            collect_type(b, gql_typeref_named(t->input_fields[i].type));
}

/* The GraphQLSchema constructor's order: the SDL's types, each re-added
 * after the built-ins it references; the roots; directive argument types;
 * then the introspection types from __Schema. */
static void type_order(ib *b, const gql_directive **ds, size_t nd)
{
    const gql_schema *s = b->s;
    for (size_t i = 0; i < s->n_types; i++)
        if (!s->types[i]->builtin)
            b->order[b->n++] = s->types[i];
    for (size_t i = 0; i < s->n_types; i++) {
        const gql_type *t = s->types[i];
        if (t->builtin)
            continue;
        size_t at = order_index(b, t);
        memmove(&b->order[at], &b->order[at + 1], (b->n - at - 1) * sizeof(*b->order));
        b->n--;
        collect_type(b, t);
    }
    for (size_t i = 0; i < nd; i++)
        for (size_t k = 0; k < ds[i]->n_args; k++)
            collect_type(b, gql_typeref_named(ds[i]->args[k].type));
    const gql_type *schema_type = gql_schema_type(s, PST_STR_LIT("__Schema"));
    if (schema_type)
        collect_type(b, schema_type);
}

static json_t *schema_json(ib *b, const gql_directive **ds, size_t nd)
{
    json_t *o = json_object(), *types = json_array(), *dirs = json_array();
    if (!o || !types || !dirs) {
        json_decref(types);
        json_decref(dirs);
        b->failed = true;
        return o;
    }
    set(b, o, "description", json_null());
    for (size_t i = 0; i < b->n; i++) {
        gql_typeref r = {.kind = GQL_REF_NAMED, .named = (gql_type *)b->order[i]};
        push(b, types, ref_json(b, &r));
    }
    set(b, o, "types", types);
    gql_type *roots[3] = {b->s->query, b->s->mutation, b->s->subscription};
    const char *keys[3] = {"queryType", "mutationType", "subscriptionType"};
    for (int i = 0; i < 3; i++) {
        gql_typeref r = {.kind = GQL_REF_NAMED, .named = roots[i]};
        set(b, o, keys[i], roots[i] ? ref_json(b, &r) : json_null());
    }
    for (size_t i = 0; i < nd; i++)
        push(b, dirs, directive_json(b, ds[i]));
    set(b, o, "directives", dirs);
    return o;
}

void gql_introspection_free(gql_introspection *in)
{
    if (!in)
        return;
    json_decref(in->schema);
    json_decref(in->types);
    pst_free(in);
}

gql_introspection *gql_introspection_build(const gql_schema *s)
{
    gql_introspection *in = pst_calloc(1, sizeof(*in));
    ib b = {.s = s};
    const gql_directive **ds = pst_malloc((s->n_directives + 1) * sizeof(*ds));
    b.order = pst_malloc((s->n_types + 1) * sizeof(*b.order));
    if (!in || !ds || !b.order) {
        b.failed = true;
    } else {
        in->s = s;
        size_t nd = directive_order(s, ds);
        type_order(&b, ds, nd);
        in->types = json_object();
        if (!in->types)
            b.failed = true;
        for (size_t i = 0; i < b.n && !b.failed; i++) {
            char name[256];
            snprintf(name, sizeof(name), "%.*s", (int)b.order[i]->name.n, b.order[i]->name.p);
            set(&b, in->types, name, type_json(&b, b.order[i]));
        }
        if (!b.failed)
            in->schema = schema_json(&b, ds, nd);
    }
    pst_free(ds);
    pst_free(b.order);
    if (b.failed) {
        gql_introspection_free(in);
        return NULL;
    }
    return in;
}

json_t *gql_introspection_type(const gql_introspection *in, pst_str name)
{
    return json_object_getn(in->types, name.p, name.n);
}

json_t *gql_introspection_schema(const gql_introspection *in)
{
    return in->schema;
}

pst_status gql_introspection_complete(gql_exec_ctx *cx, const gql_introspection *in,
                                      const gql_root_field *rf, pst_buf *out)
{
    pst_str name = rf->nodes[0]->name;
    const gql_field *def = gql_schema_field(in->s, in->s->query, name);
    if (rf->def || !def || !(pst_str_eq_c(name, "__schema") || pst_str_eq_c(name, "__type")))
        return PST_ERROR;
    json_t *value = in->schema;
    if (pst_str_eq_c(name, "__type")) {
        json_t *args = NULL;
        pst_status st = gql_coerce_arguments(cx->arena, def, rf->nodes[0], cx->vars, &args,
                                             cx->errs, rf->path_json);
        if (st == PST_DECLINED)
            return pst_buf_append_c(out, "null"); /* __type is nullable */
        if (st != PST_OK)
            return st;
        json_t *tn = json_object_get(args, "name");
        value = json_is_string(tn)
                    ? json_object_getn(in->types, json_string_value(tn), json_string_length(tn))
                    : NULL;
    }
    return gql_complete_value(cx, def->type, def, rf->nodes, rf->n_nodes, rf->path_json, value,
                              in->types, out);
}
