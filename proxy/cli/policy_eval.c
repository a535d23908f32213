#include "cli/policy_eval.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "graphql/coerce.h"
#include "graphql/execute.h"
#include "graphql/parser.h"
#include "graphql/validate.h"
#include "graphql/walk.h"
#include "policy/policy.h"

#define MAX_DECISIONS 1024

typedef struct {
    const char *coord;
    bool denied;
    char *line; /* explain text */
} decision;

typedef struct {
    pipe_runtime *rt;
    pst_arena *a;
    json_t *claims, *vars;
    policy_principal *pr;
    decision d[MAX_DECISIONS];
    size_t n;
    char error[600];
} eval;

static char *describe(eval *e, const char *what, const policy_decision *pd)
{
    pst_buf b = {0};
    pst_buf_append_c(&b, what);
    pst_buf_append_c(&b, ": ");
    policy_decision_describe(pd, &b);
    char *s = b.failed ? NULL : pst_arena_strndup(e->a, b.p, b.len);
    pst_buf_free(&b);
    return s ? s : (char *)"(out of memory)";
}

static void add(eval *e, const char *coord, bool denied, char *line)
{
    if (e->n < MAX_DECISIONS)
        e->d[e->n++] = (decision){coord, denied, line};
}

/* A root field's NATS subjects: rendered with its arguments and the claims,
 * then decided like the sidecar does before sending. */
static void decide_subjects(eval *e, const gql_field *def, const gql_node *node)
{
    const pipe_mapping *m = pipe_runtime_mapping(e->rt, def);
    if (!m)
        return;
    json_t *args = NULL;
    gql_errors errs;
    gql_errors_init(&errs, e->a);
    if (gql_coerce_arguments(e->a, def, node, e->vars, &args, &errs, "[]") != PST_OK) {
        add(e, def->coordinate, true, (char *)"  arguments do not coerce: nothing would be sent");
        return;
    }
    policy_op op = def->nats.kind == GQL_NATS_SUBSCRIBE ? POLICY_SUBSCRIBE : POLICY_PUBLISH;
    nats_template *single[1] = {m->subject};
    nats_template **tpl = m->subjects ? m->subjects : single;
    size_t n = m->subjects ? m->n_subjects : 1;
    for (size_t i = 0; i < n; i++) {
        pst_buf subj = {0};
        nats_render_error why;
        if (nats_template_render(tpl[i], args, e->claims, &subj, &why) != PST_OK) {
            char msg[300];
            snprintf(msg, sizeof(msg), "  subject %s: %s: nothing would be sent",
                     nats_template_text(tpl[i]), why.message);
            add(e, def->coordinate, true, pst_arena_strndup(e->a, msg, strlen(msg)));
            pst_buf_free(&subj);
            continue;
        }
        const char *s = pst_buf_cstr(&subj);
        policy_decision pd;
        bool denied = !s || policy_decide_subject(e->pr, op, s, &pd) != PST_OK;
        char what[400];
        snprintf(what, sizeof(what), "  %s %s", op == POLICY_SUBSCRIBE ? "subscribe" : "publish",
                 s ? s : "?");
        add(e, def->coordinate, denied, s ? describe(e, what, &pd) : (char *)"(out of memory)");
        pst_buf_free(&subj);
    }
}

static pst_status on_field(void *ud, const gql_type *parent, const gql_field *def,
                           const gql_node *node, bool is_root)
{
    (void)parent;
    eval *e = ud;
    char type[256], *field;
    snprintf(type, sizeof(type), "%s", def->coordinate);
    field = strchr(type, '.');
    if (!field)
        return PST_OK;
    *field++ = '\0';
    policy_decision pd;
    bool denied = policy_decide_field(e->pr, type, field, is_root, &pd) != PST_OK;
    add(e, def->coordinate, denied, describe(e, def->coordinate, &pd));
    if (is_root && !denied)
        decide_subjects(e, def, node);
    return PST_OK;
}

/* Parses, validates and walks the query; fills e. 0 on success. */
static int evaluate(eval *e, const char *query)
{
    gql_parse_error perr;
    gql_node *doc = gql_parse_executable(e->a, query, strlen(query), NULL, &perr);
    if (!doc) {
        snprintf(e->error, sizeof(e->error), "query %u:%u: %s", perr.line, perr.col, perr.message);
        return 1;
    }
    gql_errors errs;
    gql_errors_init(&errs, e->a);
    gql_validate_limits vl = {.introspection = true};
    const char *why = NULL;
    const gql_node *op = NULL;
    if (gql_validate(e->rt->schema, doc, &vl, &errs) != PST_OK ||
        !(op = gql_select_operation(doc, PST_STR_NULL, &why)) ||
        gql_coerce_variables(e->a, e->rt->schema, op, e->vars, &e->vars, &errs) != PST_OK) {
        snprintf(e->error, sizeof(e->error), "query: %s",
                 errs.first ? errs.first->message
                 : why      ? why
                            : "invalid");
        return 1;
    }
    if (policy_bind(e->rt->policy, e->claims, e->a, &e->pr) != PST_OK ||
        gql_walk_operation(e->rt->schema, doc, op, e->vars, on_field, e) != PST_OK) {
        snprintf(e->error, sizeof(e->error), "out of memory");
        return 1;
    }
    return 0;
}

int cli_policy_run_case(pipe_runtime *rt, const policy_test_file *tf, const policy_test_case *tc)
{
    eval *e = calloc(1, sizeof(*e));
    pst_arena *a = pst_arena_create(16384);
    int rc = 1;
    if (!e || !a) {
        fprintf(stderr, "out of memory\n");
        goto out;
    }
    *e = (eval){.rt = rt, .a = a, .claims = tc->claims, .vars = tc->variables};
    if (evaluate(e, tc->query) != 0) {
        printf("FAIL %s (%s:%u): %s\n", tc->name, tf->file, tc->line, e->error);
        goto out;
    }
    const char *denied[MAX_DECISIONS], *allowed[MAX_DECISIONS];
    size_t nd = 0, na = 0;
    for (size_t i = 0; i < e->n; i++) {
        if (e->d[i].denied)
            denied[nd++] = e->d[i].coord;
        else
            allowed[na++] = e->d[i].coord;
    }
    pst_buf why = {0};
    if (policy_test_judge(tc, denied, nd, allowed, na, &why)) {
        printf("ok   %s\n", tc->name);
        rc = 0;
    } else {
        printf("FAIL %s (%s:%u): %s\n", tc->name, tf->file, tc->line,
               why.failed ? "" : pst_buf_cstr(&why));
        for (size_t i = 0; i < e->n; i++)
            printf("       %s\n", e->d[i].line);
    }
    pst_buf_free(&why);
out:
    pst_arena_destroy(a);
    free(e);
    return rc;
}

/* The text itself when it starts like JSON, else the file it names. */
static json_t *load_json_arg(const char *arg, json_error_t *err)
{
    const char *p = arg;
    while (*p == ' ' || *p == '\t' || *p == '\n')
        p++;
    if (*p == '{' || *p == '[')
        return json_loads(arg, 0, err);
    return json_load_file(arg, 0, err);
}

int cli_policy_explain(pipe_runtime *rt, const char *claims_arg, const char *query,
                       const char *variables)
{
    json_error_t jerr;
    json_t *claims = load_json_arg(claims_arg, &jerr);
    json_t *vars = variables ? json_loads(variables, 0, &jerr) : NULL;
    eval *e = calloc(1, sizeof(*e));
    pst_arena *a = pst_arena_create(16384);
    int rc = 1;
    if (!json_is_object(claims) || (variables && !json_is_object(vars))) {
        fprintf(stderr, "explain: %s is not a JSON object: %s\n",
                json_is_object(claims) ? "--variables" : "--claims", jerr.text);
        goto out;
    }
    if (!e || !a)
        goto out;
    *e = (eval){.rt = rt, .a = a, .claims = claims, .vars = vars};
    pst_buf b = {0};
    policy_explain_bindings(rt->policy, claims, &b);
    fwrite(b.p, 1, b.len, stdout);
    pst_buf_free(&b);
    if (evaluate(e, query) != 0) {
        fprintf(stderr, "explain: %s\n", e->error);
        goto out;
    }
    printf("decisions:\n");
    for (size_t i = 0; i < e->n; i++)
        printf("  %s %s\n", e->d[i].denied ? "DENY " : "allow", e->d[i].line);
    rc = 0;
out:
    json_decref(claims);
    json_decref(vars);
    pst_arena_destroy(a);
    free(e);
    return rc;
}
