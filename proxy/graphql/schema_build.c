/* Schema builder passes 1 and 2: declare names, then fill types. */
#include <stdio.h>
#include <string.h>

#include "graphql/schema_internal.h"

#define PS(s) (int)(s).n, (s).p

static bool reserved(pst_str name)
{
    return name.n >= 2 && name.p[0] == '_' && name.p[1] == '_';
}

static void check_name(gql_sb *b, const gql_node *at, pst_str name)
{
    if (!b->builtin && reserved(name))
        gql_sb_error(b, at,
                     "Name \"%.*s\" must not begin with \"__\", which is reserved by GraphQL "
                     "introspection.",
                     PS(name));
}

static const char *description(gql_sb *b, const gql_node *def)
{
    return def->str.n ? gql_sb_strdup(b, def->str) : NULL;
}

static bool type_kind(gql_kind k, gql_type_kind *out)
{
    switch (k) {
    case GQL_SCALAR_DEF:
        *out = GQL_TYPE_SCALAR;
        return true;
    case GQL_OBJECT_DEF:
        *out = GQL_TYPE_OBJECT;
        return true;
    case GQL_INTERFACE_DEF:
        *out = GQL_TYPE_INTERFACE;
        return true;
    case GQL_UNION_DEF:
        *out = GQL_TYPE_UNION;
        return true;
    case GQL_ENUM_DEF:
        *out = GQL_TYPE_ENUM;
        return true;
    case GQL_INPUT_OBJECT_DEF:
        *out = GQL_TYPE_INPUT_OBJECT;
        return true;
    default:
        return false;
    }
}

static void declare_type(gql_sb *b, const gql_node *def, gql_type_kind kind)
{
    gql_schema *s = b->s;
    check_name(b, def, def->name);
    gql_type *t = pst_arena_calloc(b->a, sizeof(*t));
    if (!t || s->n_types >= b->cap_types) {
        gql_sb_error(b, def, "out of memory");
        return;
    }
    t->kind = kind;
    t->name = def->name;
    t->description = description(b, def);
    t->builtin = b->builtin;
    t->line = def->line;
    t->col = def->col;
    void *old = NULL;
    pst_status st = gql_names_put(&b->ix->types, def->name, t, &old);
    if (st == PST_DECLINED && ((gql_type *)old)->builtin)
        gql_sb_error(b, def,
                     "Type \"%.*s\" already exists in the schema. It cannot also be defined in "
                     "this type definition.",
                     PS(def->name));
    else if (st == PST_DECLINED)
        gql_sb_error(b, def, "There can be only one type named \"%.*s\".", PS(def->name));
    else if (st != PST_OK)
        gql_sb_error(b, def, "out of memory");
    if (st != PST_OK)
        return;
    b->type_defs[s->n_types] = def;
    s->types[s->n_types++] = t;
}

static void declare_directive(gql_sb *b, const gql_node *def)
{
    gql_schema *s = b->s;
    check_name(b, def, def->name);
    gql_directive *d = pst_arena_calloc(b->a, sizeof(*d));
    if (!d || s->n_directives >= b->cap_dirs) {
        gql_sb_error(b, def, "out of memory");
        return;
    }
    d->name = def->name;
    d->description = description(b, def);
    d->builtin = b->builtin;
    d->repeatable = (def->flags & GQL_FLAG_REPEATABLE) != 0;
    d->line = def->line;
    d->col = def->col;
    void *old = NULL;
    pst_status st = gql_names_put(&b->ix->directives, def->name, d, &old);
    if (st == PST_DECLINED && ((gql_directive *)old)->builtin && !b->builtin) {
        /* the schema may declare postern's directives; checked in pass 3 */
        b->redeclared[b->n_redeclared++] = def;
        return;
    }
    if (st == PST_DECLINED)
        gql_sb_error(b, def, "There can be only one directive named \"@%.*s\".", PS(def->name));
    else if (st != PST_OK)
        gql_sb_error(b, def, "out of memory");
    if (st != PST_OK)
        return;
    b->dir_defs[s->n_directives] = def;
    s->directives[s->n_directives++] = d;
}

void gql_sb_declare(gql_sb *b, const gql_node *doc)
{
    for (const gql_node *d = doc->children; d; d = d->next) {
        gql_type_kind tk;
        if (type_kind(d->kind, &tk)) {
            declare_type(b, d, tk);
        } else if (d->kind == GQL_DIRECTIVE_DEF) {
            declare_directive(b, d);
        } else if (d->kind == GQL_SCHEMA_DEF && !b->builtin) {
            if (b->schema_def)
                gql_sb_error(b, d, "Must provide only one schema definition.");
            else
                b->schema_def = d;
        } else if (d->kind != GQL_SCHEMA_DEF) {
            gql_sb_error(b, d, "A %s is not allowed in a schema.", gql_kind_name(d->kind));
        }
    }
}

gql_typeref *gql_sb_typeref(gql_sb *b, const gql_node *type)
{
    gql_typeref *r = pst_arena_calloc(b->a, sizeof(*r));
    if (!r) {
        gql_sb_error(b, type, "out of memory");
        return NULL;
    }
    switch (type->kind) {
    case GQL_NAMED_TYPE:
        r->kind = GQL_REF_NAMED;
        r->named = gql_schema_type(b->s, type->name);
        if (!r->named) {
            gql_sb_error(b, type, "Unknown type \"%.*s\".", PS(type->name));
            return NULL;
        }
        return r;
    case GQL_LIST_TYPE:
    case GQL_NON_NULL_TYPE:
        r->kind = type->kind == GQL_LIST_TYPE ? GQL_REF_LIST : GQL_REF_NON_NULL;
        r->of = type->type ? gql_sb_typeref(b, type->type) : NULL;
        return r->of ? r : NULL;
    default:
        gql_sb_error(b, type, "expected a type");
        return NULL;
    }
}

static bool has_directive(const gql_node *n, const char *name)
{
    for (const gql_node *d = n->directives; d; d = d->next)
        if (pst_str_eq_c(d->name, name))
            return true;
    return false;
}

/* Appends "The type of <what> must be <Input|Output> Type but got: T." */
static void io_error(gql_sb *b, const gql_node *at, const char *what, const char *io,
                     const gql_typeref *r)
{
    pst_buf buf = {0};
    gql_typeref_print(r, &buf);
    gql_sb_error(b, at, "The type of %s must be %s Type but got: %s.", what, io,
                 buf.failed ? "?" : pst_buf_cstr(&buf));
    pst_buf_free(&buf);
}

/* Arguments (parent "T.f" or "@d") or input fields (parent "T", fields). */
static void fill_values(gql_sb *b, const gql_node *list, const char *parent, bool fields,
                        gql_input_value **out, size_t *n_out, gql_names *ix)
{
    size_t n = gql_list_len(list);
    gql_names local;
    if (!ix) {
        ix = &local;
        if (gql_names_init(ix, b->a, n) != PST_OK) {
            gql_sb_error(b, list, "out of memory");
            return;
        }
    }
    gql_input_value *vals = n ? pst_arena_calloc(b->a, n * sizeof(*vals)) : NULL;
    if (n && !vals) {
        gql_sb_error(b, list, "out of memory");
        return;
    }
    size_t k = 0;
    char what[512];
    for (const gql_node *v = list; v; v = v->next) {
        check_name(b, v, v->name);
        if (fields)
            snprintf(what, sizeof(what), "%s.%.*s", parent, PS(v->name));
        else
            snprintf(what, sizeof(what), "%s(%.*s:)", parent, PS(v->name));
        gql_input_value *iv = &vals[k];
        pst_status st = gql_names_put(ix, v->name, iv, NULL);
        if (st == PST_DECLINED) {
            gql_sb_error(b, v, "%s \"%s\" can only be defined once.", fields ? "Field" : "Argument",
                         what);
            continue;
        }
        iv->name = v->name;
        iv->type = gql_sb_typeref(b, v->type);
        iv->default_value = v->value;
        iv->description = description(b, v);
        iv->line = v->line;
        iv->col = v->col;
        if (iv->type && !gql_type_is_input(gql_typeref_named(iv->type)))
            io_error(b, v->type, what, "Input", iv->type);
        k++;
    }
    *out = vals;
    *n_out = k;
}

static void fill_fields(gql_sb *b, gql_type *t, const gql_node *def)
{
    size_t n = gql_list_len(def->children);
    gql_names *ix = pst_arena_calloc(b->a, sizeof(*ix));
    t->fields = n ? pst_arena_calloc(b->a, n * sizeof(gql_field)) : NULL;
    if (!ix || (n && !t->fields) || gql_names_init(ix, b->a, n) != PST_OK) {
        gql_sb_error(b, def, "out of memory");
        return;
    }
    t->index = ix;
    for (const gql_node *fd = def->children; fd; fd = fd->next) {
        gql_field *f = &t->fields[t->n_fields];
        char coord[512];
        snprintf(coord, sizeof(coord), "%.*s.%.*s", PS(t->name), PS(fd->name));
        check_name(b, fd, fd->name);
        if (gql_names_put(ix, fd->name, f, NULL) != PST_OK) {
            gql_sb_error(b, fd, "Field \"%s\" can only be defined once.", coord);
            continue;
        }
        f->name = fd->name;
        f->coordinate = gql_sb_strdup(b, pst_str_c(coord));
        f->owner = t;
        f->description = description(b, fd);
        f->deprecated = has_directive(fd, "deprecated");
        f->line = fd->line;
        f->col = fd->col;
        f->type = gql_sb_typeref(b, fd->type);
        if (f->type && gql_typeref_named(f->type)->kind == GQL_TYPE_INPUT_OBJECT)
            io_error(b, fd->type, coord, "Output", f->type);
        fill_values(b, fd->args, coord, false, &f->args, &f->n_args, NULL);
        t->n_fields++;
    }
    if (!t->n_fields && !t->builtin)
        gql_sb_error(b, def, "Type %.*s must define one or more fields.", PS(t->name));
}

/* Named types of a NAMED_TYPE list, each resolved; unknown ones skipped. */
static gql_type **resolve_list(gql_sb *b, const gql_node *list, size_t *n_out)
{
    size_t n = gql_list_len(list), k = 0;
    gql_type **out = n ? pst_arena_calloc(b->a, n * sizeof(gql_type *)) : NULL;
    if (n && !out) {
        gql_sb_error(b, list, "out of memory");
        n = 0;
    }
    for (const gql_node *m = list; m && k < n; m = m->next) {
        gql_type *t = gql_schema_type(b->s, m->name);
        if (!t)
            gql_sb_error(b, m, "Unknown type \"%.*s\".", PS(m->name));
        else
            out[k++] = t;
    }
    *n_out = k;
    return out;
}

static bool listed_before(gql_type **list, size_t i)
{
    for (size_t j = 0; j < i; j++)
        if (list[j] == list[i])
            return true;
    return false;
}

static void fill_interfaces(gql_sb *b, gql_type *t, const gql_node *def)
{
    t->interfaces = resolve_list(b, def->interfaces, &t->n_interfaces);
    for (size_t i = 0; i < t->n_interfaces; i++) {
        gql_type *it = t->interfaces[i];
        if (it == t)
            gql_sb_error(b, def,
                         "Type %.*s cannot implement itself because it would create a circular "
                         "reference.",
                         PS(t->name));
        else if (it->kind != GQL_TYPE_INTERFACE)
            gql_sb_error(b, def,
                         "Type %.*s must only implement Interface types, it cannot implement "
                         "%.*s.",
                         PS(t->name), PS(it->name));
        else if (listed_before(t->interfaces, i))
            gql_sb_error(b, def, "Type %.*s can only implement %.*s once.", PS(t->name),
                         PS(it->name));
    }
}

static void fill_union(gql_sb *b, gql_type *t, const gql_node *def)
{
    t->possible = resolve_list(b, def->children, &t->n_possible);
    for (size_t i = 0; i < t->n_possible; i++) {
        gql_type *m = t->possible[i];
        if (m->kind != GQL_TYPE_OBJECT)
            gql_sb_error(b, def,
                         "Union type %.*s can only include Object types, it cannot include "
                         "%.*s.",
                         PS(t->name), PS(m->name));
        else if (listed_before(t->possible, i))
            gql_sb_error(b, def, "Union type %.*s can only include type %.*s once.", PS(t->name),
                         PS(m->name));
    }
    if (!def->children)
        gql_sb_error(b, def, "Union type %.*s must define one or more member types.", PS(t->name));
}

static void fill_enum(gql_sb *b, gql_type *t, const gql_node *def)
{
    size_t n = gql_list_len(def->children);
    gql_names *ix = pst_arena_calloc(b->a, sizeof(*ix));
    t->enum_values = n ? pst_arena_calloc(b->a, n * sizeof(pst_str)) : NULL;
    if (!ix || (n && !t->enum_values) || gql_names_init(ix, b->a, n) != PST_OK) {
        gql_sb_error(b, def, "out of memory");
        return;
    }
    t->index = ix;
    for (const gql_node *v = def->children; v; v = v->next) {
        check_name(b, v, v->name);
        if (gql_names_put(ix, v->name, &t->enum_values[t->n_enum_values], NULL) != PST_OK) {
            gql_sb_error(b, v, "Enum value \"%.*s.%.*s\" can only be defined once.", PS(t->name),
                         PS(v->name));
            continue;
        }
        t->enum_values[t->n_enum_values++] = v->name;
    }
    if (!n)
        gql_sb_error(b, def, "Enum type %.*s must define one or more values.", PS(t->name));
}

static void fill_input(gql_sb *b, gql_type *t, const gql_node *def)
{
    gql_names *ix = pst_arena_calloc(b->a, sizeof(*ix));
    if (!ix || gql_names_init(ix, b->a, gql_list_len(def->children)) != PST_OK) {
        gql_sb_error(b, def, "out of memory");
        return;
    }
    t->index = ix;
    char parent[300];
    snprintf(parent, sizeof(parent), "%.*s", PS(t->name));
    fill_values(b, def->children, parent, true, &t->input_fields, &t->n_input_fields, ix);
    if (!def->children)
        gql_sb_error(b, def, "Input Object type %.*s must define one or more fields.", PS(t->name));
}

static gql_dir_loc dir_loc(pst_str name)
{
    for (int i = 0; i < GQL_LOC_COUNT; i++)
        if (pst_str_eq_c(name, gql_dir_loc_name((gql_dir_loc)i)))
            return (gql_dir_loc)i;
    return GQL_LOC_COUNT;
}

void gql_sb_fill_directive(gql_sb *b, gql_directive *d, const gql_node *def)
{
    char parent[300];
    snprintf(parent, sizeof(parent), "@%.*s", PS(d->name));
    fill_values(b, def->args, parent, false, &d->args, &d->n_args, NULL);
    for (const gql_node *l = def->children; l; l = l->next) {
        gql_dir_loc loc = dir_loc(l->name);
        if (loc == GQL_LOC_COUNT)
            gql_sb_error(b, l, "Unknown directive location \"%.*s\".", PS(l->name));
        else
            d->locations |= 1u << loc;
    }
}

void gql_sb_fill(gql_sb *b)
{
    gql_schema *s = b->s;
    for (size_t i = 0; i < s->n_types; i++) {
        gql_type *t = s->types[i];
        const gql_node *def = b->type_defs[i];
        b->builtin = t->builtin;
        switch (t->kind) {
        case GQL_TYPE_OBJECT:
        case GQL_TYPE_INTERFACE:
            fill_fields(b, t, def);
            fill_interfaces(b, t, def);
            break;
        case GQL_TYPE_UNION:
            fill_union(b, t, def);
            break;
        case GQL_TYPE_ENUM:
            fill_enum(b, t, def);
            break;
        case GQL_TYPE_INPUT_OBJECT:
            fill_input(b, t, def);
            break;
        case GQL_TYPE_SCALAR:
            break;
        }
    }
    for (size_t i = 0; i < s->n_directives; i++) {
        b->builtin = s->directives[i]->builtin;
        gql_sb_fill_directive(b, s->directives[i], b->dir_defs[i]);
    }
    b->builtin = false;
}
