/* Schema builder pass 3: roots, interfaces, directive uses, NATS mappings. */
#include <stdio.h>
#include <string.h>

#include "common/units.h"
#include "graphql/schema_internal.h"
#include "graphql/values.h"

#define PS(s) (int)(s).n, (s).p

/* ---- roots ---- */

static const char *const op_names[] = {"query", "mutation", "subscription"};
static const char *const root_titles[] = {"Query", "Mutation", "Subscription"};

static gql_type **root_slot(gql_schema *s, gql_op_type op)
{
    return op == GQL_OP_QUERY ? &s->query : op == GQL_OP_MUTATION ? &s->mutation : &s->subscription;
}

/* Returns false (error added) when t cannot be a root type. */
static bool set_root(gql_sb *b, gql_op_type op, gql_type *t, const gql_node *at)
{
    if (t->kind != GQL_TYPE_OBJECT) {
        gql_sb_error(b, at, "%s root type must be Object type%s, it cannot be %.*s.",
                     root_titles[op], op == GQL_OP_QUERY ? "" : " if provided", PS(t->name));
        return false;
    }
    *root_slot(b->s, op) = t;
    return true;
}

static void check_roots(gql_sb *b)
{
    bool reported = false; /* the query root was named but refused */
    if (b->schema_def) {
        bool seen[3] = {false, false, false};
        for (const gql_node *ot = b->schema_def->children; ot; ot = ot->next) {
            if ((unsigned)ot->op > GQL_OP_SUBSCRIPTION || !ot->type)
                continue;
            if (seen[ot->op]) {
                gql_sb_error(b, ot, "There can be only one %s type in schema.", op_names[ot->op]);
                continue;
            }
            seen[ot->op] = true;
            gql_type *t = gql_schema_type(b->s, ot->type->name);
            bool ok = t && set_root(b, ot->op, t, ot->type);
            if (!t)
                gql_sb_error(b, ot->type, "Unknown type \"%.*s\".", PS(ot->type->name));
            reported |= !ok && ot->op == GQL_OP_QUERY;
        }
    } else {
        for (int op = 0; op < 3; op++) {
            gql_type *t = gql_schema_type(b->s, pst_str_c(root_titles[op]));
            gql_node at = {.line = t ? t->line : 0, .col = t ? t->col : 0};
            if (t && !set_root(b, (gql_op_type)op, t, &at))
                reported |= op == GQL_OP_QUERY;
        }
    }
    if (!b->s->query && !reported)
        gql_sb_error(b, b->schema_def, "Query root type must be provided.");
}

/* ---- interfaces ---- */

static bool implements(const gql_type *t, const gql_type *iface)
{
    for (size_t i = 0; i < t->n_interfaces; i++)
        if (t->interfaces[i] == iface)
            return true;
    return false;
}

static bool is_subtype(const gql_typeref *sub, const gql_typeref *super)
{
    if (gql_typeref_equal(sub, super))
        return true;
    if (super->kind == GQL_REF_NON_NULL)
        return sub->kind == GQL_REF_NON_NULL && is_subtype(sub->of, super->of);
    if (sub->kind == GQL_REF_NON_NULL)
        return is_subtype(sub->of, super);
    if (super->kind == GQL_REF_LIST)
        return sub->kind == GQL_REF_LIST && is_subtype(sub->of, super->of);
    if (sub->kind == GQL_REF_LIST)
        return false;
    const gql_type *p = super->named, *c = sub->named;
    if (p->kind == GQL_TYPE_UNION)
        return gql_type_is_possible(p, c);
    return p->kind == GQL_TYPE_INTERFACE && implements(c, p);
}

static const char *ref_text(gql_sb *b, const gql_typeref *r)
{
    pst_buf buf = {0};
    gql_typeref_print(r, &buf);
    char *out = buf.failed ? NULL : gql_sb_strdup(b, (pst_str){buf.p, buf.len});
    pst_buf_free(&buf);
    return out ? out : "?";
}

static void check_field_args(gql_sb *b, const gql_field *tf, const gql_field *itf)
{
    for (size_t k = 0; k < itf->n_args; k++) {
        const gql_input_value *ia = &itf->args[k];
        const gql_input_value *ta = gql_field_arg(tf, ia->name);
        gql_node at = {.line = ta ? ta->line : tf->line, .col = ta ? ta->col : tf->col};
        if (!ta)
            gql_sb_error(b, &at,
                         "Interface field argument %s(%.*s:) expected but %s does not provide it.",
                         itf->coordinate, PS(ia->name), tf->coordinate);
        else if (ia->type && ta->type && !gql_typeref_equal(ia->type, ta->type))
            gql_sb_error(b, &at,
                         "Interface field argument %s(%.*s:) expects type %s but %s(%.*s:) is "
                         "type %s.",
                         itf->coordinate, PS(ia->name), ref_text(b, ia->type), tf->coordinate,
                         PS(ta->name), ref_text(b, ta->type));
    }
    for (size_t k = 0; k < tf->n_args; k++) {
        const gql_input_value *ta = &tf->args[k];
        if (gql_field_arg(itf, ta->name) || !ta->type || ta->type->kind != GQL_REF_NON_NULL ||
            ta->default_value)
            continue;
        gql_node at = {.line = ta->line, .col = ta->col};
        gql_sb_error(b, &at,
                     "Object field %s includes required argument %.*s that is missing from the "
                     "Interface field %s.",
                     tf->coordinate, PS(ta->name), itf->coordinate);
    }
}

static void check_implementation(gql_sb *b, const gql_type *t, const gql_type *it)
{
    gql_node tat = {.line = t->line, .col = t->col};
    for (size_t j = 0; j < it->n_fields; j++) {
        const gql_field *itf = &it->fields[j];
        const gql_field *tf = gql_type_field(t, itf->name);
        if (!tf) {
            gql_sb_error(b, &tat, "Interface field %s expected but %.*s does not provide it.",
                         itf->coordinate, PS(t->name));
            continue;
        }
        gql_node fat = {.line = tf->line, .col = tf->col};
        if (itf->type && tf->type && !is_subtype(tf->type, itf->type))
            gql_sb_error(b, &fat, "Interface field %s expects type %s but %s is type %s.",
                         itf->coordinate, ref_text(b, itf->type), tf->coordinate,
                         ref_text(b, tf->type));
        check_field_args(b, tf, itf);
    }
    for (size_t j = 0; j < it->n_interfaces; j++) {
        const gql_type *tr = it->interfaces[j];
        if (implements(t, tr))
            continue;
        if (tr == t)
            gql_sb_error(b, &tat,
                         "Type %.*s cannot implement %.*s because it would create a circular "
                         "reference.",
                         PS(t->name), PS(it->name));
        else
            gql_sb_error(b, &tat,
                         "Type %.*s must implement %.*s because it is implemented by %.*s.",
                         PS(t->name), PS(tr->name), PS(it->name));
    }
}

/* Checks every implementation and records the objects of each interface. */
static void check_interfaces(gql_sb *b)
{
    gql_schema *s = b->s;
    for (size_t i = 0; i < s->n_types; i++) {
        gql_type *t = s->types[i];
        for (size_t k = 0; k < t->n_interfaces; k++) {
            gql_type *it = t->interfaces[k];
            if (it->kind != GQL_TYPE_INTERFACE || it == t)
                continue;
            check_implementation(b, t, it);
            if (t->kind == GQL_TYPE_OBJECT)
                it->n_possible++;
        }
    }
    for (size_t i = 0; i < s->n_types; i++) {
        gql_type *t = s->types[i];
        if (t->kind != GQL_TYPE_INTERFACE || !t->n_possible)
            continue;
        t->possible = pst_arena_calloc(b->a, t->n_possible * sizeof(gql_type *));
        if (!t->possible)
            gql_sb_error(b, NULL, "out of memory");
        t->n_possible = 0;
    }
    for (size_t i = 0; i < s->n_types; i++) {
        gql_type *t = s->types[i];
        if (t->kind != GQL_TYPE_OBJECT)
            continue;
        for (size_t k = 0; k < t->n_interfaces; k++) {
            gql_type *it = t->interfaces[k];
            if (it->kind == GQL_TYPE_INTERFACE && it->possible)
                it->possible[it->n_possible++] = t;
        }
    }
}

/* ---- directive uses in the SDL ---- */

typedef struct {
    gql_sb *b;
    const char *prefix;
} literal_ctx;

static void literal_err(void *ud, const gql_node *at, const char *message)
{
    literal_ctx *c = ud;
    gql_sb_error(c->b, at, "%s%s", c->prefix, message);
}

static const gql_node *find_arg(const gql_node *args, const char *name)
{
    for (; args; args = args->next)
        if (pst_str_eq_c(args->name, name))
            return args;
    return NULL;
}

static void check_use_args(gql_sb *b, const gql_node *use, const gql_directive *d)
{
    for (const gql_node *a = use->args; a; a = a->next) {
        const gql_input_value *iv = gql_directive_arg(d, a->name);
        if (!iv) {
            gql_sb_error(b, a, "Unknown argument \"%.*s\" on directive \"@%.*s\".", PS(a->name),
                         PS(d->name));
            continue;
        }
        for (const gql_node *o = use->args; o != a; o = o->next)
            if (pst_str_eq(o->name, a->name))
                gql_sb_error(b, a, "There can be only one argument named \"%.*s\".", PS(a->name));
        literal_ctx lc = {b, ""};
        if (iv->type && a->value)
            gql_check_literal(iv->type, a->value, literal_err, &lc);
    }
    for (size_t i = 0; i < d->n_args; i++) {
        const gql_input_value *iv = &d->args[i];
        if (!iv->type || iv->type->kind != GQL_REF_NON_NULL || iv->default_value)
            continue;
        bool given = false;
        for (const gql_node *a = use->args; a && !given; a = a->next)
            given = pst_str_eq(a->name, iv->name);
        if (!given)
            gql_sb_error(b, use,
                         "Directive \"@%.*s\" argument \"%.*s\" of type \"%s\" is required, but it "
                         "was not provided.",
                         PS(d->name), PS(iv->name), ref_text(b, iv->type));
    }
}

static void check_uses(gql_sb *b, const gql_node *list, gql_dir_loc loc)
{
    for (const gql_node *use = list; use; use = use->next) {
        const gql_directive *d = gql_schema_directive(b->s, use->name);
        if (!d) {
            gql_sb_error(b, use, "Unknown directive \"@%.*s\".", PS(use->name));
            continue;
        }
        if (!(d->locations & (1u << loc)))
            gql_sb_error(b, use, "Directive \"@%.*s\" may not be used on %s.", PS(use->name),
                         gql_dir_loc_name(loc));
        for (const gql_node *o = list; o != use && !d->repeatable; o = o->next)
            if (pst_str_eq(o->name, use->name)) {
                gql_sb_error(b, use,
                             "The directive \"@%.*s\" can only be used once at this "
                             "location.",
                             PS(use->name));
                break;
            }
        check_use_args(b, use, d);
    }
}

static void check_values_uses(gql_sb *b, const gql_node *list, gql_dir_loc loc)
{
    for (const gql_node *v = list; v; v = v->next)
        check_uses(b, v->directives, loc);
}

static void check_all_uses(gql_sb *b, const gql_node *doc)
{
    for (const gql_node *d = doc->children; d; d = d->next) {
        switch (d->kind) {
        case GQL_SCHEMA_DEF:
            check_uses(b, d->directives, GQL_LOC_SCHEMA);
            break;
        case GQL_SCALAR_DEF:
            check_uses(b, d->directives, GQL_LOC_SCALAR);
            break;
        case GQL_OBJECT_DEF:
        case GQL_INTERFACE_DEF:
            check_uses(b, d->directives,
                       d->kind == GQL_OBJECT_DEF ? GQL_LOC_OBJECT : GQL_LOC_INTERFACE);
            for (const gql_node *f = d->children; f; f = f->next) {
                check_uses(b, f->directives, GQL_LOC_FIELD_DEFINITION);
                check_values_uses(b, f->args, GQL_LOC_ARGUMENT_DEFINITION);
            }
            break;
        case GQL_UNION_DEF:
            check_uses(b, d->directives, GQL_LOC_UNION);
            break;
        case GQL_ENUM_DEF:
            check_uses(b, d->directives, GQL_LOC_ENUM);
            check_values_uses(b, d->children, GQL_LOC_ENUM_VALUE);
            break;
        case GQL_INPUT_OBJECT_DEF:
            check_uses(b, d->directives, GQL_LOC_INPUT_OBJECT);
            check_values_uses(b, d->children, GQL_LOC_INPUT_FIELD_DEFINITION);
            break;
        case GQL_DIRECTIVE_DEF:
            check_values_uses(b, d->args, GQL_LOC_ARGUMENT_DEFINITION);
            break;
        default:
            break;
        }
    }
}

/* Default values of arguments and input fields must fit their types. */
static void check_defaults(gql_sb *b, const gql_input_value *vals, size_t n, const char *parent,
                           bool fields)
{
    for (size_t i = 0; i < n; i++) {
        if (!vals[i].default_value || !vals[i].type)
            continue;
        char prefix[600];
        if (fields)
            snprintf(prefix, sizeof(prefix), "Invalid default value for %s.%.*s: ", parent,
                     PS(vals[i].name));
        else
            snprintf(prefix, sizeof(prefix), "Invalid default value for %s(%.*s:): ", parent,
                     PS(vals[i].name));
        literal_ctx lc = {b, prefix};
        gql_check_literal(vals[i].type, vals[i].default_value, literal_err, &lc);
    }
}

static void check_all_defaults(gql_sb *b)
{
    gql_schema *s = b->s;
    for (size_t i = 0; i < s->n_types; i++) {
        gql_type *t = s->types[i];
        if (t->builtin)
            continue;
        char name[300];
        snprintf(name, sizeof(name), "%.*s", PS(t->name));
        check_defaults(b, t->input_fields, t->n_input_fields, name, true);
        for (size_t k = 0; k < t->n_fields; k++)
            check_defaults(b, t->fields[k].args, t->fields[k].n_args, t->fields[k].coordinate,
                           false);
    }
    for (size_t i = 0; i < s->n_directives; i++) {
        gql_directive *d = s->directives[i];
        char name[300];
        snprintf(name, sizeof(name), "@%.*s", PS(d->name));
        if (!d->builtin)
            check_defaults(b, d->args, d->n_args, name, false);
    }
}

/* ---- redeclared built-in directives ---- */

static void check_redeclared(gql_sb *b)
{
    for (size_t i = 0; i < b->n_redeclared; i++) {
        const gql_node *def = b->redeclared[i];
        gql_directive mine = {.name = def->name,
                              .repeatable = (def->flags & GQL_FLAG_REPEATABLE) != 0};
        size_t before = b->errors;
        gql_sb_fill_directive(b, &mine, def);
        if (b->errors != before)
            continue;
        const gql_directive *ours = gql_schema_directive(b->s, def->name);
        pst_buf want = {0}, got = {0};
        gql_sb_print_directive(&want, ours);
        gql_sb_print_directive(&got, &mine);
        if (want.failed || got.failed)
            gql_sb_error(b, def, "out of memory");
        else if (want.len != got.len || memcmp(want.p, got.p, want.len) != 0)
            gql_sb_error(b, def, "directive @%.*s is declared differently from postern's own: %s",
                         PS(def->name), pst_buf_cstr(&want));
        pst_buf_free(&want);
        pst_buf_free(&got);
    }
}

static void print_value_list(pst_buf *out, const gql_node *v, char open, char close)
{
    pst_buf_append_char(out, open);
    for (; v; v = v->next) {
        gql_sb_print_value(out, v);
        if (v->next)
            pst_buf_append_c(out, ", ");
    }
    pst_buf_append_char(out, close);
}

void gql_sb_print_value(pst_buf *out, const gql_node *v)
{
    switch (v->kind) {
    case GQL_VARIABLE:
        pst_buf_append_char(out, '$');
        pst_buf_append(out, v->name.p, v->name.n);
        break;
    case GQL_INT:
    case GQL_FLOAT:
        pst_buf_append(out, v->str.p, v->str.n);
        break;
    case GQL_STRING:
        pst_buf_append_json_str(out, v->str.p, v->str.n);
        break;
    case GQL_BOOLEAN:
        pst_buf_append_c(out, (v->flags & GQL_FLAG_TRUE) ? "true" : "false");
        break;
    case GQL_NULL_VALUE:
        pst_buf_append_c(out, "null");
        break;
    case GQL_ENUM:
        pst_buf_append(out, v->name.p, v->name.n);
        break;
    case GQL_LIST:
        print_value_list(out, v->children, '[', ']');
        break;
    case GQL_OBJECT:
        print_value_list(out, v->children, '{', '}');
        break;
    case GQL_OBJECT_FIELD:
        pst_buf_append(out, v->name.p, v->name.n);
        pst_buf_append_c(out, ": ");
        if (v->value)
            gql_sb_print_value(out, v->value);
        break;
    default:
        break;
    }
}

void gql_sb_print_directive(pst_buf *out, const gql_directive *d)
{
    pst_buf_append_c(out, "directive @");
    pst_buf_append(out, d->name.p, d->name.n);
    for (size_t i = 0; i < d->n_args; i++) {
        pst_buf_append_c(out, i ? ", " : "(");
        pst_buf_append(out, d->args[i].name.p, d->args[i].name.n);
        pst_buf_append_c(out, ": ");
        gql_typeref_print(d->args[i].type, out);
        if (d->args[i].default_value) {
            pst_buf_append_c(out, " = ");
            gql_sb_print_value(out, d->args[i].default_value);
        }
        if (i + 1 == d->n_args)
            pst_buf_append_char(out, ')');
    }
    pst_buf_append_c(out, d->repeatable ? " repeatable on " : " on ");
    bool first = true;
    for (int l = 0; l < GQL_LOC_COUNT; l++) {
        if (!(d->locations & (1u << l)))
            continue;
        if (!first)
            pst_buf_append_c(out, " | ");
        pst_buf_append_c(out, gql_dir_loc_name((gql_dir_loc)l));
        first = false;
    }
}

/* ---- NATS mappings (SPEC §5) ---- */

typedef struct {
    gql_sb *b;
    const gql_field *f;
    const gql_node *at;
    const char *tpl;
} tpl_ctx;

static bool name_char(char c)
{
    return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* Next '.'-separated segment of [p, end); returns its length. */
static size_t segment(const char *p, const char *end)
{
    const char *q = p;
    while (q < end && *q != '.')
        q++;
    return (size_t)(q - p);
}

static void check_args_ref(tpl_ctx *c, const char *p, const char *end)
{
    size_t n = segment(p, end);
    pst_str seg = {p, n};
    const gql_input_value *iv = gql_field_arg(c->f, seg);
    if (!iv) {
        gql_sb_error(c->b, c->at, "%s: subject \"%s\" refers to unknown argument \"%.*s\"",
                     c->f->coordinate, c->tpl, PS(seg));
        return;
    }
    const gql_typeref *r = iv->type;
    const char *path_start = p - 5; /* "args." */
    for (p += n; r; p += n) {
        if (r->kind == GQL_REF_NON_NULL)
            r = r->of;
        if (r->kind == GQL_REF_LIST) {
            gql_sb_error(c->b, c->at, "%s: subject \"%s\" refers to \"%.*s\", which is a list",
                         c->f->coordinate, c->tpl, (int)(p - path_start), path_start);
            return;
        }
        if (p == end)
            break;
        p++; /* '.' */
        n = segment(p, end);
        const gql_type *t = r->named;
        const gql_input_value *fv = gql_type_input_field(t, (pst_str){p, n});
        if (!fv) {
            gql_sb_error(c->b, c->at,
                         "%s: subject \"%s\" refers to \"%.*s\", but %.*s has no "
                         "input field \"%.*s\"",
                         c->f->coordinate, c->tpl, (int)(p + n - path_start), path_start,
                         PS(t->name), (int)n, p);
            return;
        }
        r = fv->type;
    }
    if (r && !gql_type_is_leaf(r->named))
        gql_sb_error(c->b, c->at,
                     "%s: subject \"%s\" refers to \"%.*s\", which is not a scalar or enum",
                     c->f->coordinate, c->tpl, (int)(end - path_start), path_start);
}

static bool valid_path(const char *p, const char *end, bool graphql_names)
{
    if (p == end)
        return false;
    for (const char *q = p; q < end; q++) {
        bool sep = *q == '.';
        if (sep && (q == p || q + 1 == end || q[-1] == '.'))
            return false;
        if (!sep && graphql_names && !name_char(*q))
            return false;
        if (!sep && !graphql_names && ((unsigned char)*q <= ' ' || *q == '{' || *q == '}'))
            return false;
    }
    return true;
}

static void check_ref(tpl_ctx *c, const char *p, const char *end)
{
    while (p < end && (*p == ' ' || *p == '\t'))
        p++;
    while (end > p && (end[-1] == ' ' || end[-1] == '\t'))
        end--;
    size_t n = (size_t)(end - p);
    if (n > 5 && memcmp(p, "args.", 5) == 0 && valid_path(p + 5, end, true)) {
        check_args_ref(c, p + 5, end);
        return;
    }
    if (n > 7 && memcmp(p, "claims.", 7) == 0 && valid_path(p + 7, end, false))
        return;
    gql_sb_error(c->b, c->at,
                 "%s: \"{{ %.*s }}\" in subject \"%s\" must be args.NAME or claims.PATH",
                 c->f->coordinate, (int)n, p, c->tpl);
}

static void check_template(gql_sb *b, const gql_field *f, const gql_node *at, const char *tpl)
{
    tpl_ctx c = {b, f, at, tpl};
    if (!*tpl) {
        gql_sb_error(b, at, "%s: the subject must not be empty", f->coordinate);
        return;
    }
    for (const char *p = tpl; *p;) {
        const char *open = strstr(p, "{{"), *close = strstr(p, "}}");
        if (close && (!open || close < open)) {
            gql_sb_error(b, at, "%s: unbalanced \"}}\" in subject \"%s\"", f->coordinate, tpl);
            return;
        }
        if (!open)
            return;
        const char *next_open = strstr(open + 2, "{{");
        if (!close || (next_open && next_open < close)) {
            gql_sb_error(b, at, "%s: unbalanced \"{{\" in subject \"%s\"", f->coordinate, tpl);
            return;
        }
        check_ref(&c, open + 2, close);
        p = close + 2;
    }
}

typedef struct {
    const char *name;
    gql_nats_kind kind;
    bool edfs;
} nats_directive;

static const nats_directive nats_directives[] = {
    {"natsRequest", GQL_NATS_REQUEST, false},
    {"natsPublish", GQL_NATS_PUBLISH, false},
    {"natsSubscribe", GQL_NATS_SUBSCRIBE, false},
    {"edfs__natsRequest", GQL_NATS_REQUEST, true},
    {"edfs__natsPublish", GQL_NATS_PUBLISH, true},
    {"edfs__natsSubscribe", GQL_NATS_SUBSCRIBE, true},
};

static const nats_directive *nats_directive_of(const gql_node *use)
{
    for (size_t i = 0; i < sizeof(nats_directives) / sizeof(nats_directives[0]); i++)
        if (pst_str_eq_c(use->name, nats_directives[i].name))
            return &nats_directives[i];
    return NULL;
}

/* A string argument's text (NUL-terminated copy) or NULL when absent or not a
 * string (the literal check reported that already). */
static const char *string_arg(gql_sb *b, const gql_node *use, const char *name, const gql_node **at)
{
    const gql_node *a = find_arg(use->args, name);
    if (!a || !a->value || a->value->kind != GQL_STRING)
        return NULL;
    *at = a->value;
    return gql_sb_strdup(b, a->value->str);
}

static void map_subjects(gql_sb *b, gql_field *f, const gql_node *use)
{
    const gql_node *a = find_arg(use->args, "subjects");
    if (!a || !a->value)
        return;
    const gql_node *items = a->value->kind == GQL_LIST ? a->value->children : a->value;
    size_t n = a->value->kind == GQL_LIST ? gql_list_len(items) : 1;
    if (!n) {
        gql_sb_error(b, a->value, "%s: subjects must name at least one subject", f->coordinate);
        return;
    }
    f->nats.subjects = pst_arena_calloc(b->a, n * sizeof(char *));
    if (!f->nats.subjects) {
        gql_sb_error(b, a, "out of memory");
        return;
    }
    for (const gql_node *v = items; v && f->nats.n_subjects < n; v = v->next) {
        if (v->kind != GQL_STRING)
            continue;
        const char *s = gql_sb_strdup(b, v->str);
        if (s) {
            check_template(b, f, v, s);
            f->nats.subjects[f->nats.n_subjects++] = s;
        }
    }
}

static void check_publish_type(gql_sb *b, const gql_field *f, const gql_node *at, bool edfs)
{
    const gql_typeref *r = f->type;
    if (!r)
        return;
    if (r->kind == GQL_REF_NON_NULL)
        r = r->of;
    if (r->kind == GQL_REF_NAMED && pst_str_eq_c(r->named->name, "Boolean"))
        return;
    if (edfs && r->kind == GQL_REF_NAMED && pst_str_eq_c(r->named->name, "edfs__PublishResult"))
        return;
    gql_sb_error(b, at, "%s: a @%s field must return Boolean or Boolean!%s, not %s", f->coordinate,
                 edfs ? "edfs__natsPublish" : "natsPublish",
                 edfs ? " (or edfs__PublishResult)" : "", ref_text(b, f->type));
}

static void map_field(gql_sb *b, gql_field *f, const gql_node *use, const nats_directive *nd)
{
    const gql_node *at = use;
    f->nats.kind = nd->kind;
    f->nats.edfs = nd->edfs;
    if (nd->edfs) {
        const gql_node *pat = use;
        const char *pid = string_arg(b, use, "providerId", &pat);
        if (pid && strcmp(pid, "default") != 0)
            gql_sb_error(b, pat,
                         "%s: providerId \"%s\" is not supported: postern has one NATS "
                         "connection, whose providerId is \"default\"",
                         f->coordinate, pid);
    }
    if (nd->kind == GQL_NATS_SUBSCRIBE) {
        map_subjects(b, f, use);
        return;
    }
    const char *subject = string_arg(b, use, "subject", &at);
    if (subject) {
        f->nats.subject = subject;
        check_template(b, f, at, subject);
    }
    const gql_node *tat = use;
    const char *timeout = nd->kind == GQL_NATS_REQUEST ? string_arg(b, use, "timeout", &tat) : NULL;
    if (timeout) {
        int64_t ms = 0;
        if (pst_parse_duration_ms(pst_str_c(timeout), &ms) != PST_OK || ms <= 0)
            gql_sb_error(b, tat,
                         "%s: invalid timeout \"%s\": expected a positive duration such as "
                         "\"500ms\" or \"2s\"",
                         f->coordinate, timeout);
        else
            f->nats.timeout_ms = ms;
    }
    if (nd->kind == GQL_NATS_PUBLISH)
        check_publish_type(b, f, use, nd->edfs);
}

static const char *const missing_names[] = {"@natsRequest", "@natsRequest or @natsPublish",
                                            "@natsSubscribe"};

static bool allowed_on(gql_nats_kind kind, int op)
{
    if (op == GQL_OP_QUERY)
        return kind == GQL_NATS_REQUEST;
    if (op == GQL_OP_MUTATION)
        return kind == GQL_NATS_REQUEST || kind == GQL_NATS_PUBLISH;
    return op == GQL_OP_SUBSCRIPTION && kind == GQL_NATS_SUBSCRIBE;
}

static const char *where_allowed(gql_nats_kind kind)
{
    return kind == GQL_NATS_REQUEST   ? "Query and Mutation root fields"
           : kind == GQL_NATS_PUBLISH ? "Mutation root fields"
                                      : "Subscription root fields";
}

static void map_type_fields(gql_sb *b, gql_type *t, const gql_node *def)
{
    int op = t == b->s->query          ? GQL_OP_QUERY
             : t == b->s->mutation     ? GQL_OP_MUTATION
             : t == b->s->subscription ? GQL_OP_SUBSCRIPTION
                                       : -1;
    for (const gql_node *fd = def->children; fd; fd = fd->next) {
        gql_field *f = gql_type_field(t, fd->name);
        if (!f || f->line != fd->line || f->col != fd->col)
            continue; /* a duplicate, reported already */
        const gql_node *found = NULL;
        for (const gql_node *use = fd->directives; use; use = use->next) {
            const nats_directive *nd = nats_directive_of(use);
            if (!nd)
                continue;
            if (op < 0 || !allowed_on(nd->kind, op)) {
                gql_sb_error(b, use, "@%s cannot be used on %s: it belongs on %s", nd->name,
                             f->coordinate, where_allowed(nd->kind));
            } else if (found) {
                gql_sb_error(b, use, "%s has more than one NATS directive", f->coordinate);
            } else {
                found = use;
                map_field(b, f, use, nd);
            }
        }
        if (op >= 0 && !found)
            gql_sb_error(b, fd, "%s has no %s directive: every root field needs a NATS mapping",
                         f->coordinate, missing_names[op]);
    }
}

static void map_all(gql_sb *b)
{
    for (size_t i = 0; i < b->s->n_types; i++) {
        gql_type *t = b->s->types[i];
        if (!t->builtin && (t->kind == GQL_TYPE_OBJECT || t->kind == GQL_TYPE_INTERFACE))
            map_type_fields(b, t, b->type_defs[i]);
    }
}

void gql_sb_check(gql_sb *b, const gql_node *user_doc)
{
    check_roots(b);
    check_interfaces(b);
    check_redeclared(b);
    check_all_uses(b, user_doc);
    check_all_defaults(b);
    map_all(b);
}
