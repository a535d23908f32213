#include "graphql/schema.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/file.h"
#include "common/mem.h"
#include "graphql/parser.h"
#include "graphql/schema_internal.h"

#define GQL_SCHEMA_MAX_BYTES (16u << 20) /* larger schema files are refused */

/* The built-in scalars and directives, postern's directives (SPEC §5) and
 * the introspection types, loaded before every user schema. */
static const char builtin_sdl[] =
    "scalar Int\n"
    "scalar Float\n"
    "scalar String\n"
    "scalar Boolean\n"
    "scalar ID\n"
    "directive @include(if: Boolean!) on FIELD | FRAGMENT_SPREAD | INLINE_FRAGMENT\n"
    "directive @skip(if: Boolean!) on FIELD | FRAGMENT_SPREAD | INLINE_FRAGMENT\n"
    "directive @deprecated(reason: String = \"No longer supported\") on FIELD_DEFINITION | "
    "ARGUMENT_DEFINITION | INPUT_FIELD_DEFINITION | ENUM_VALUE\n"
    "directive @specifiedBy(url: String!) on SCALAR\n"
    "directive @natsRequest(subject: String!, timeout: String) on FIELD_DEFINITION\n"
    "directive @natsPublish(subject: String!) on FIELD_DEFINITION\n"
    "directive @natsSubscribe(subjects: [String!]!) on FIELD_DEFINITION\n"
    "directive @edfs__natsRequest(subject: String!, providerId: String! = \"default\") on "
    "FIELD_DEFINITION\n"
    "directive @edfs__natsPublish(subject: String!, providerId: String! = \"default\") on "
    "FIELD_DEFINITION\n"
    "directive @edfs__natsSubscribe(subjects: [String!]!, providerId: String! = \"default\") on "
    "FIELD_DEFINITION\n"
    "type __Schema {\n"
    "  description: String\n"
    "  types: [__Type!]!\n"
    "  queryType: __Type!\n"
    "  mutationType: __Type\n"
    "  subscriptionType: __Type\n"
    "  directives: [__Directive!]!\n"
    "}\n"
    "type __Type {\n"
    "  kind: __TypeKind!\n"
    "  name: String\n"
    "  description: String\n"
    "  specifiedByURL: String\n"
    "  fields(includeDeprecated: Boolean = false): [__Field!]\n"
    "  interfaces: [__Type!]\n"
    "  possibleTypes: [__Type!]\n"
    "  enumValues(includeDeprecated: Boolean = false): [__EnumValue!]\n"
    "  inputFields(includeDeprecated: Boolean = false): [__InputValue!]\n"
    "  ofType: __Type\n"
    "}\n"
    "enum __TypeKind { SCALAR OBJECT INTERFACE UNION ENUM INPUT_OBJECT LIST NON_NULL }\n"
    "type __Field {\n"
    "  name: String!\n"
    "  description: String\n"
    "  args(includeDeprecated: Boolean = false): [__InputValue!]!\n"
    "  type: __Type!\n"
    "  isDeprecated: Boolean!\n"
    "  deprecationReason: String\n"
    "}\n"
    "type __InputValue {\n"
    "  name: String!\n"
    "  description: String\n"
    "  type: __Type!\n"
    "  defaultValue: String\n"
    "  isDeprecated: Boolean!\n"
    "  deprecationReason: String\n"
    "}\n"
    "type __EnumValue {\n"
    "  name: String!\n"
    "  description: String\n"
    "  isDeprecated: Boolean!\n"
    "  deprecationReason: String\n"
    "}\n"
    "type __Directive {\n"
    "  name: String!\n"
    "  description: String\n"
    "  isRepeatable: Boolean!\n"
    "  locations: [__DirectiveLocation!]!\n"
    "  args(includeDeprecated: Boolean = false): [__InputValue!]!\n"
    "}\n"
#define GQL_LOC_SDL(name) #name " "
    "enum __DirectiveLocation { " GQL_DIRECTIVE_LOCATIONS(GQL_LOC_SDL) "}\n";
#undef GQL_LOC_SDL

static const char *const loc_names[GQL_LOC_COUNT] = {
#define GQL_LOC_NAME(name) #name,
    GQL_DIRECTIVE_LOCATIONS(GQL_LOC_NAME)
#undef GQL_LOC_NAME
};

const char *gql_dir_loc_name(gql_dir_loc loc)
{
    return (unsigned)loc < GQL_LOC_COUNT ? loc_names[loc] : "UNKNOWN";
}

void gql_sb_error(gql_sb *b, const gql_node *at, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    pst_diags_add(b->diags, b->file, at ? at->line : 0, at ? at->col : 0, "%s", msg);
    b->errors++;
}

char *gql_sb_strdup(gql_sb *b, pst_str s)
{
    char *p = pst_arena_strndup(b->a, s.p ? s.p : "", s.n);
    if (!p)
        gql_sb_error(b, NULL, "out of memory");
    return p;
}

static void count_defs(const gql_node *doc, size_t *n_types, size_t *n_dirs)
{
    for (const gql_node *d = doc ? doc->children : NULL; d; d = d->next) {
        if (d->kind == GQL_DIRECTIVE_DEF)
            (*n_dirs)++;
        else if (d->kind != GQL_SCHEMA_DEF)
            (*n_types)++;
    }
}

static void set_meta_field(gql_field *f, const char *name, const char *coord, gql_typeref *type)
{
    f->name = pst_str_c(name);
    f->coordinate = coord;
    f->type = type;
}

/* __typename: String!, __schema: __Schema!, __type(name: String!): __Type */
static pst_status build_meta_fields(gql_sb *b)
{
    gql_schema_index *ix = b->ix;
    gql_typeref *refs = pst_arena_calloc(b->a, 6 * sizeof(gql_typeref));
    gql_input_value *arg = pst_arena_calloc(b->a, sizeof(*arg));
    if (!refs || !arg)
        return PST_ERROR;
    refs[0] = (gql_typeref){GQL_REF_NAMED, gql_schema_type(b->s, PST_STR_LIT("String")), NULL};
    refs[1] = (gql_typeref){GQL_REF_NON_NULL, NULL, &refs[0]};
    refs[2] = (gql_typeref){GQL_REF_NAMED, gql_schema_type(b->s, PST_STR_LIT("__Schema")), NULL};
    refs[3] = (gql_typeref){GQL_REF_NON_NULL, NULL, &refs[2]};
    refs[4] = (gql_typeref){GQL_REF_NAMED, gql_schema_type(b->s, PST_STR_LIT("__Type")), NULL};
    set_meta_field(&ix->meta_typename, "__typename", "__typename", &refs[1]);
    set_meta_field(&ix->meta_schema, "__schema", "__schema", &refs[3]);
    set_meta_field(&ix->meta_type, "__type", "__type", &refs[4]);
    arg->name = PST_STR_LIT("name");
    arg->type = &refs[1];
    ix->meta_type.args = arg;
    ix->meta_type.n_args = 1;
    return PST_OK;
}

static gql_node *parse(gql_sb *b, const char *src, size_t n)
{
    gql_parse_limits lim = {0, 1u << 26};
    gql_parse_error err;
    memset(&err, 0, sizeof(err));
    gql_node *doc = gql_parse_sdl(b->a, src, n, &lim, &err);
    if (!doc) {
        pst_diags_add(b->diags, b->file, err.line, err.col, "%s", err.message);
        b->errors++;
    }
    return doc;
}

static pst_status setup(gql_sb *b, const gql_node *bdoc, const gql_node *udoc)
{
    size_t nt = 0, nd = 0;
    count_defs(bdoc, &nt, &nd);
    count_defs(udoc, &nt, &nd);
    b->cap_types = nt;
    b->cap_dirs = nd;
    b->dir_defs = pst_arena_calloc(b->a, (nd + 1) * sizeof(gql_node *));
    b->s->types = pst_arena_calloc(b->a, (nt + 1) * sizeof(gql_type *));
    b->type_defs = pst_arena_calloc(b->a, (nt + 1) * sizeof(gql_node *));
    b->s->directives = pst_arena_calloc(b->a, (nd + 1) * sizeof(gql_directive *));
    b->redeclared = pst_arena_calloc(b->a, (nd + 1) * sizeof(gql_node *));
    b->ix = pst_arena_calloc(b->a, sizeof(gql_schema_index));
    if (!b->s->types || !b->type_defs || !b->dir_defs || !b->s->directives || !b->redeclared ||
        !b->ix)
        return PST_ERROR;
    b->s->index = b->ix;
    if (gql_names_init(&b->ix->types, b->a, nt) != PST_OK ||
        gql_names_init(&b->ix->directives, b->a, nd) != PST_OK)
        return PST_ERROR;
    return PST_OK;
}

gql_schema *gql_schema_load(const char *sdl, size_t n, const char *file, pst_diags *diags)
{
    pst_arena *a = pst_arena_create(64 * 1024);
    gql_schema *s = a ? pst_arena_calloc(a, sizeof(*s)) : NULL;
    char *copy = s ? pst_arena_strndup(a, sdl ? sdl : "", sdl ? n : 0) : NULL;
    if (!copy) {
        pst_arena_destroy(a);
        pst_diags_add(diags, file, 0, 0, "out of memory loading the schema");
        return NULL;
    }
    s->arena = a;
    gql_sb b = {.s = s, .a = a, .file = file, .diags = diags};
    gql_node *bdoc = parse(&b, builtin_sdl, sizeof(builtin_sdl) - 1);
    gql_node *udoc = bdoc ? parse(&b, copy, sdl ? n : 0) : NULL;
    if (!udoc || setup(&b, bdoc, udoc) != PST_OK) {
        if (!b.errors)
            pst_diags_add(diags, file, 0, 0, "out of memory loading the schema");
        pst_arena_destroy(a);
        return NULL;
    }
    b.builtin = true;
    gql_sb_declare(&b, bdoc);
    b.builtin = false;
    gql_sb_declare(&b, udoc);
    gql_sb_fill(&b);
    if (build_meta_fields(&b) != PST_OK)
        gql_sb_error(&b, NULL, "out of memory");
    gql_sb_check(&b, udoc);
    if (b.errors) {
        pst_arena_destroy(a);
        return NULL;
    }
    return s;
}

gql_schema *gql_schema_load_file(const char *path, pst_diags *diags)
{
    pst_buf buf = {0};
    const char *why;
    if (pst_file_read(path, GQL_SCHEMA_MAX_BYTES, &buf, &why) != PST_OK) {
        pst_diags_add(diags, path, 0, 0, "cannot open schema: %s", why);
        pst_buf_free(&buf);
        return NULL;
    }
    gql_schema *s = gql_schema_load(buf.p ? buf.p : "", buf.len, path, diags);
    pst_buf_free(&buf);
    return s;
}

void gql_schema_free(gql_schema *s)
{
    if (s)
        pst_arena_destroy(s->arena);
}

gql_type *gql_schema_type(const gql_schema *s, pst_str name)
{
    const gql_schema_index *ix = s->index;
    return gql_names_get(&ix->types, name);
}

gql_directive *gql_schema_directive(const gql_schema *s, pst_str name)
{
    const gql_schema_index *ix = s->index;
    return gql_names_get(&ix->directives, name);
}

gql_field *gql_type_field(const gql_type *t, pst_str name)
{
    if (!t || !t->index || (t->kind != GQL_TYPE_OBJECT && t->kind != GQL_TYPE_INTERFACE))
        return NULL;
    return gql_names_get(t->index, name);
}

gql_field *gql_schema_field(const gql_schema *s, const gql_type *parent, pst_str name)
{
    if (!parent)
        return NULL;
    if (name.n > 2 && name.p[0] == '_' && name.p[1] == '_') {
        gql_schema_index *ix = s->index;
        if (pst_str_eq_c(name, "__typename") && gql_type_is_composite(parent))
            return &ix->meta_typename;
        if (parent == s->query && pst_str_eq_c(name, "__schema"))
            return &ix->meta_schema;
        if (parent == s->query && pst_str_eq_c(name, "__type"))
            return &ix->meta_type;
    }
    return gql_type_field(parent, name);
}

bool gql_type_has_enum_value(const gql_type *t, pst_str name)
{
    return t && t->kind == GQL_TYPE_ENUM && t->index && gql_names_get(t->index, name) != NULL;
}

gql_input_value *gql_field_arg(const gql_field *f, pst_str name)
{
    /* fields have few arguments: a scan beats hashing */
    for (size_t i = 0; f && i < f->n_args; i++)
        if (pst_str_eq(f->args[i].name, name))
            return &f->args[i];
    return NULL;
}

gql_input_value *gql_directive_arg(const gql_directive *d, pst_str name)
{
    for (size_t i = 0; d && i < d->n_args; i++)
        if (pst_str_eq(d->args[i].name, name))
            return &d->args[i];
    return NULL;
}

gql_input_value *gql_type_input_field(const gql_type *t, pst_str name)
{
    if (!t || t->kind != GQL_TYPE_INPUT_OBJECT || !t->index)
        return NULL;
    return gql_names_get(t->index, name);
}

bool gql_type_is_possible(const gql_type *t, const gql_type *obj)
{
    if (!t || !obj)
        return false;
    if (t == obj)
        return true;
    for (size_t i = 0; i < t->n_possible; i++)
        if (t->possible[i] == obj)
            return true;
    return false;
}

gql_type *gql_schema_root(const gql_schema *s, gql_op_type op)
{
    switch (op) {
    case GQL_OP_QUERY:
        return s->query;
    case GQL_OP_MUTATION:
        return s->mutation;
    case GQL_OP_SUBSCRIPTION:
        return s->subscription;
    }
    return NULL;
}

gql_type *gql_typeref_named(const gql_typeref *r)
{
    while (r && r->kind != GQL_REF_NAMED)
        r = r->of;
    return r ? r->named : NULL;
}

pst_status gql_typeref_print(const gql_typeref *r, pst_buf *out)
{
    if (!r)
        return pst_buf_append_c(out, "?");
    switch (r->kind) {
    case GQL_REF_NAMED:
        return pst_buf_append(out, r->named->name.p, r->named->name.n);
    case GQL_REF_LIST:
        pst_buf_append_char(out, '[');
        gql_typeref_print(r->of, out);
        return pst_buf_append_char(out, ']');
    case GQL_REF_NON_NULL:
        gql_typeref_print(r->of, out);
        return pst_buf_append_char(out, '!');
    }
    return PST_ERROR;
}

bool gql_typeref_equal(const gql_typeref *a, const gql_typeref *b)
{
    while (a && b) {
        if (a->kind != b->kind)
            return false;
        if (a->kind == GQL_REF_NAMED)
            return a->named == b->named;
        a = a->of;
        b = b->of;
    }
    return a == b;
}

bool gql_type_is_leaf(const gql_type *t)
{
    return t && (t->kind == GQL_TYPE_SCALAR || t->kind == GQL_TYPE_ENUM);
}

bool gql_type_is_input(const gql_type *t)
{
    return t && (gql_type_is_leaf(t) || t->kind == GQL_TYPE_INPUT_OBJECT);
}

bool gql_type_is_composite(const gql_type *t)
{
    return t && (t->kind == GQL_TYPE_OBJECT || t->kind == GQL_TYPE_INTERFACE ||
                 t->kind == GQL_TYPE_UNION);
}

bool gql_type_is_abstract(const gql_type *t)
{
    return t && (t->kind == GQL_TYPE_INTERFACE || t->kind == GQL_TYPE_UNION);
}
