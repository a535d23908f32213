#include "config/config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <yaml.h>

#include "common/file.h"
#include "common/mem.h"
#include "config/checks.h"
#include "config/walk.h"

#define MAX_CONFIG_BYTES (4u << 20)
#define MAX_ISSUERS 100
#define MS(x) ((int64_t)(x))
#define SEC(x) ((int64_t)(x)*1000)
#define MIN(x) ((int64_t)(x)*60000)
#define HOUR(x) ((int64_t)(x)*3600000)
#define MIB(x) ((int64_t)(x) << 20)

/* Field descriptors: key, kind, struct type, member, then designated extras. */
#define FIELD(k, kind_, type, member, ...)                                                         \
    {                                                                                              \
        .key = k, .kind = kind_, .off = offsetof(type, member), __VA_ARGS__                        \
    }
#define LIST(k, kind_, type, member, count, ...)                                                   \
    FIELD(k, kind_, type, member, .count_off = offsetof(type, count), __VA_ARGS__)
#define TABLE(f) .fields = f, .n_fields = sizeof(f) / sizeof(f[0])

static const char *const default_servers[] = {"nats://127.0.0.1:4222"};
static const cfg_token_source default_sources[] = {{"Authorization", "Bearer "}};

/* ---- cross-key checks ---- */

static void tls_pair(cfg_walk *w, const char *path, yaml_node_t *map, const char *cert,
                     const char *key)
{
    if (map && (cert == NULL) != (key == NULL))
        cfg_error(w, map, "%s: give both \"cert\" and \"key\" (or neither)", path);
}

static void finish_tls(cfg_walk *w, const char *path, yaml_node_t *map, void *dst)
{
    cfg_tls *t = dst;
    tls_pair(w, path, map, t->cert, t->key);
    if (map && t->client_ca && !t->cert && !cfg_find(w, map, "cert"))
        cfg_error(w, map, "%s: \"client_ca\" needs \"cert\" and \"key\"", path);
}

static void finish_nats_tls(cfg_walk *w, const char *path, yaml_node_t *map, void *dst)
{
    cfg_nats_tls *t = dst;
    tls_pair(w, path, map, t->cert, t->key);
}

static void finish_retries(cfg_walk *w, const char *path, yaml_node_t *map, void *dst)
{
    cfg_retries *r = dst;
    if (map && r->max_backoff_ms < r->backoff_ms) {
        char b[32];
        cfg_format_ms(r->backoff_ms, b, sizeof(b));
        yaml_node_t *at = cfg_find(w, map, "max_backoff");
        cfg_error(w, at ? at : map, "%s.max_backoff: must be at least backoff (%s)", path, b);
    }
}

static void finish_nats(cfg_walk *w, const char *path, yaml_node_t *map, void *dst)
{
    cfg_nats *n = dst;
    yaml_node_t *servers = cfg_find(w, map, "servers");
    if (servers && servers->type == YAML_SEQUENCE_NODE && n->n_servers == 0)
        cfg_error(w, servers, "%s.servers: list at least one server, e.g. [nats://127.0.0.1:4222]",
                  path);
    int methods =
        (n->credentials != NULL) + (n->user != NULL) + (n->token != NULL) + (n->nkey_seed != NULL);
    if (methods > 1)
        cfg_error(w, map,
                  "%s: give only one way to log in: credentials, user/password, token or "
                  "nkey_seed",
                  path);
    if (n->password && !n->user)
        cfg_error(w, cfg_find(w, map, "password"), "%s.password: needs \"user\"", path);
}

static void finish_issuer(cfg_walk *w, const char *path, yaml_node_t *map, void *dst)
{
    cfg_issuer *is = dst;
    static const char *const urls[] = {"issuer", "jwks_uri"};
    const char *values[] = {is->issuer, is->jwks_uri};
    for (int i = 0; i < 2; i++) {
        if (values[i] && !is->insecure && cfg_url_needs_insecure(values[i]))
            cfg_error(w, cfg_find(w, map, urls[i]),
                      "%s.%s: \"%s\" must use https:// (http:// is accepted only for loopback "
                      "hosts, or with \"insecure: true\" on this issuer)",
                      path, urls[i], values[i]);
    }
    if (!is->discovery && !cfg_find(w, map, "jwks_uri")) {
        yaml_node_t *at = cfg_find(w, map, "discovery");
        cfg_error(w, at ? at : map, "%s: set \"jwks_uri\" when \"discovery\" is false", path);
    }
    yaml_node_t *aud = cfg_find(w, map, "audiences");
    if (aud && aud->type == YAML_SEQUENCE_NODE && is->n_audiences == 0)
        cfg_error(w, aud, "%s.audiences: list at least one audience, e.g. [orders-api]", path);
}

static void finish_oidc(cfg_walk *w, const char *path, yaml_node_t *map, void *dst)
{
    cfg_oidc *o = dst;
    yaml_node_t *src = cfg_find(w, map, "token_sources");
    if (src && src->type == YAML_SEQUENCE_NODE && o->n_token_sources == 0)
        cfg_error(w, src,
                  "%s.token_sources: list at least one, e.g. [{header: Authorization, prefix: "
                  "\"Bearer \"}]",
                  path);
    yaml_node_t *list = cfg_find(w, map, "issuers");
    if (o->n_issuers > MAX_ISSUERS) {
        cfg_error(w, list, "%s.issuers: at most %d issuers", path, MAX_ISSUERS);
        return;
    }
    for (size_t i = 0; i < o->n_issuers; i++) {
        for (size_t j = 0; j < i && o->issuers[i].issuer; j++) {
            if (o->issuers[j].issuer && strcmp(o->issuers[i].issuer, o->issuers[j].issuer) == 0) {
                yaml_node_t *item =
                    yaml_document_get_node(w->doc, list->data.sequence.items.start[i]);
                cfg_error(w, cfg_find(w, item, "issuer"),
                          "%s.issuers[%zu].issuer: \"%s\" is already listed as issuers[%zu]", path,
                          i, o->issuers[i].issuer, j);
                break;
            }
        }
    }
}

/* ---- tables ---- */

static const cfg_field tls_fields[] = {
    FIELD("cert", CFG_K_PATH, cfg_tls, cert),
    FIELD("key", CFG_K_PATH, cfg_tls, key),
    FIELD("client_ca", CFG_K_PATH, cfg_tls, client_ca),
};
static const cfg_table tls_table = {TABLE(tls_fields), .finish = finish_tls};

static const cfg_field nats_tls_fields[] = {
    FIELD("ca", CFG_K_PATH, cfg_nats_tls, ca),
    FIELD("cert", CFG_K_PATH, cfg_nats_tls, cert),
    FIELD("key", CFG_K_PATH, cfg_nats_tls, key),
};
static const cfg_table nats_tls_table = {TABLE(nats_tls_fields), .finish = finish_nats_tls};

static const cfg_field retries_fields[] = {
    FIELD("max", CFG_K_INT, cfg_retries, max, .min = 0, .max = 10),
    FIELD("backoff", CFG_K_DUR, cfg_retries, backoff_ms, .min = 0, .max = MIN(1)),
    FIELD("max_backoff", CFG_K_DUR, cfg_retries, max_backoff_ms, .min = 0, .max = MIN(10)),
};
static const cfg_table retries_table = {TABLE(retries_fields), .finish = finish_retries};

static const cfg_field nats_fields[] = {
    LIST("servers", CFG_K_STRLIST, cfg_nats, servers, n_servers, .check = cfg_check_nats_url),
    FIELD("name", CFG_K_STR, cfg_nats, name),
    FIELD("credentials", CFG_K_PATH, cfg_nats, credentials),
    FIELD("user", CFG_K_STR, cfg_nats, user),
    FIELD("password", CFG_K_STR, cfg_nats, password),
    FIELD("token", CFG_K_STR, cfg_nats, token),
    FIELD("nkey_seed", CFG_K_STR, cfg_nats, nkey_seed, .check = cfg_check_nkey_seed),
    FIELD("tls", CFG_K_MAP, cfg_nats, tls, .sub = &nats_tls_table),
    FIELD("request_timeout", CFG_K_DUR, cfg_nats, request_timeout_ms, .min = 1, .max = HOUR(1)),
    FIELD("retries", CFG_K_MAP, cfg_nats, retries, .sub = &retries_table),
};
static const cfg_table nats_table = {TABLE(nats_fields), .finish = finish_nats};

static void issuer_defaults(void *elem)
{
    cfg_issuer *is = elem;
    is->discovery = true;
    is->algorithms = CFG_ALG_RS256 | CFG_ALG_ES256;
    is->leeway_ms = SEC(30);
    is->jwks_refresh_ms = MIN(10);
    is->jwks_min_refetch_ms = SEC(30);
}

static const cfg_field issuer_fields[] = {
    FIELD("issuer", CFG_K_STR, cfg_issuer, issuer, .check = cfg_check_http_url, .required = true,
          .hint = "the exact `iss` of its tokens, e.g. https://idp.example.com/realms/main"),
    FIELD("discovery", CFG_K_BOOL, cfg_issuer, discovery),
    FIELD("jwks_uri", CFG_K_STR, cfg_issuer, jwks_uri, .check = cfg_check_http_url),
    LIST("audiences", CFG_K_STRLIST, cfg_issuer, audiences, n_audiences, .required = true,
         .hint = "`aud` must contain one of them, e.g. audiences: [orders-api]"),
    FIELD("algorithms", CFG_K_CUSTOM, cfg_issuer, algorithms, .custom = cfg_read_algs),
    FIELD("leeway", CFG_K_DUR, cfg_issuer, leeway_ms, .min = 0, .max = HOUR(1)),
    FIELD("jwks_refresh", CFG_K_DUR, cfg_issuer, jwks_refresh_ms, .min = SEC(1), .max = HOUR(24)),
    FIELD("jwks_min_refetch", CFG_K_DUR, cfg_issuer, jwks_min_refetch_ms, .min = SEC(1),
          .max = HOUR(24)),
    FIELD("insecure", CFG_K_BOOL, cfg_issuer, insecure),
};
static const cfg_table issuer_table = {TABLE(issuer_fields), .elem_size = sizeof(cfg_issuer),
                                       .init = issuer_defaults, .finish = finish_issuer};

static void source_defaults(void *elem)
{
    ((cfg_token_source *)elem)->prefix = "";
}

static const cfg_field source_fields[] = {
    FIELD("header", CFG_K_STR, cfg_token_source, header, .check = cfg_check_token_header,
          .required = true, .hint = "e.g. header: Authorization"),
    FIELD("prefix", CFG_K_STR, cfg_token_source, prefix),
};
static const cfg_table source_table = {TABLE(source_fields), .elem_size = sizeof(cfg_token_source),
                                       .init = source_defaults};

static const cfg_field oidc_fields[] = {
    LIST("issuers", CFG_K_MAPLIST, cfg_oidc, issuers, n_issuers, .sub = &issuer_table),
    LIST("token_sources", CFG_K_MAPLIST, cfg_oidc, token_sources, n_token_sources,
         .sub = &source_table),
    FIELD("allow_anonymous", CFG_K_BOOL, cfg_oidc, allow_anonymous),
    FIELD("token_cache", CFG_K_INT, cfg_oidc, token_cache, .min = 0, .max = 10000000),
};
static const cfg_table oidc_table = {TABLE(oidc_fields), .finish = finish_oidc};

static const cfg_field identity_fields[] = {
    FIELD("signing_key", CFG_K_PATH, cfg_identity, signing_key),
    FIELD("algorithm", CFG_K_CUSTOM, cfg_identity, algorithm, .custom = cfg_read_alg),
};
static const cfg_table identity_table = {TABLE(identity_fields)};

static const cfg_field limits_fields[] = {
    FIELD("max_body_bytes", CFG_K_SIZE, cfg_limits, max_body_bytes, .min = 1, .max = MIB(1024)),
    FIELD("max_depth", CFG_K_INT, cfg_limits, max_depth, .min = 1, .max = 500),
    FIELD("max_aliases", CFG_K_INT, cfg_limits, max_aliases, .min = 0, .max = 100000),
    FIELD("max_root_fields", CFG_K_INT, cfg_limits, max_root_fields, .min = 1, .max = 10000),
    FIELD("max_tokens", CFG_K_INT, cfg_limits, max_tokens, .min = 1, .max = 10000000),
    FIELD("max_subscriptions_per_connection", CFG_K_INT, cfg_limits,
          max_subscriptions_per_connection, .min = 0, .max = 100000),
    FIELD("max_connections", CFG_K_INT, cfg_limits, max_connections, .min = 1, .max = 1000000),
    FIELD("header_timeout", CFG_K_DUR, cfg_limits, header_timeout_ms, .min = 1, .max = HOUR(1)),
    FIELD("idle_timeout", CFG_K_DUR, cfg_limits, idle_timeout_ms, .min = 1, .max = HOUR(24)),
};
static const cfg_table limits_table = {TABLE(limits_fields)};

static const cfg_field log_fields[] = {
    FIELD("level", CFG_K_CUSTOM, cfg_log, level, .custom = cfg_read_log_level),
    FIELD("format", CFG_K_CUSTOM, cfg_log, format, .custom = cfg_read_log_format),
};
static const cfg_table log_table = {TABLE(log_fields)};

static const cfg_field top_fields[] = {
    FIELD("listen", CFG_K_CUSTOM, cfg_config, listen, .custom = cfg_read_addr),
    FIELD("admin_listen", CFG_K_CUSTOM, cfg_config, admin_listen, .custom = cfg_read_addr),
    FIELD("workers", CFG_K_INT, cfg_config, workers, .min = 0, .max = 1024),
    FIELD("tls", CFG_K_MAP, cfg_config, tls, .sub = &tls_table),
    FIELD("schema", CFG_K_PATH, cfg_config, schema, .required = true,
          .hint = "postern cannot run without a GraphQL schema; e.g. schema: schema.graphql"),
    FIELD("policy", CFG_K_PATH, cfg_config, policy),
    FIELD("nats", CFG_K_MAP, cfg_config, nats, .sub = &nats_table),
    FIELD("oidc", CFG_K_MAP, cfg_config, oidc, .sub = &oidc_table),
    FIELD("identity", CFG_K_MAP, cfg_config, identity, .sub = &identity_table),
    LIST("forward_headers", CFG_K_STRLIST, cfg_config, forward_headers, n_forward_headers,
         .check = cfg_check_forward_header),
    FIELD("limits", CFG_K_MAP, cfg_config, limits, .sub = &limits_table),
    FIELD("shutdown_grace", CFG_K_DUR, cfg_config, shutdown_grace_ms, .min = 0, .max = HOUR(1)),
    FIELD("introspection", CFG_K_BOOL, cfg_config, introspection),
    FIELD("reject_unauthorized", CFG_K_BOOL, cfg_config, reject_unauthorized),
    FIELD("log", CFG_K_MAP, cfg_config, log, .sub = &log_table),
    FIELD("instance_id", CFG_K_STR, cfg_config, instance_id, .check = cfg_check_instance_id),
};
static const cfg_table top_table = {TABLE(top_fields)};

/* ---- defaults ---- */

static void set_defaults(cfg_config *c)
{
    c->listen = (cfg_addr){"0.0.0.0:8080", "0.0.0.0", 8080};
    c->admin_listen = (cfg_addr){"0.0.0.0:9090", "0.0.0.0", 9090};
    c->nats.servers = default_servers;
    c->nats.n_servers = 1;
    c->nats.name = "postern";
    c->nats.request_timeout_ms = SEC(2);
    c->nats.retries = (cfg_retries){2, MS(25), MS(500)};
    c->oidc.token_sources = default_sources;
    c->oidc.n_token_sources = 1;
    c->oidc.token_cache = 10000;
    c->identity.algorithm = CFG_ALG_ES256;
    c->limits = (cfg_limits){.max_body_bytes = MIB(1),
                             .max_depth = 12,
                             .max_aliases = 30,
                             .max_root_fields = 20,
                             .max_tokens = 10000,
                             .max_subscriptions_per_connection = 100,
                             .max_connections = 10000,
                             .header_timeout_ms = SEC(10),
                             .idle_timeout_ms = SEC(60)};
    c->shutdown_grace_ms = SEC(10);
    c->introspection = true;
    c->log = (cfg_log){PST_LOG_INFO, CFG_LOG_JSON};
}

/* workers 0 -> CPUs; instance_id absent -> $POD_NAME, else the hostname. */
static pst_status resolve(cfg_config *c)
{
    if (c->workers == 0) {
        long cpus = sysconf(_SC_NPROCESSORS_ONLN);
        c->workers = cpus < 1 ? 1 : cpus > 1024 ? 1024 : (int)cpus;
    }
    if (!c->instance_id) {
        const char *pod = getenv("POD_NAME");
        char host[256] = "postern";
        if (pod && *pod)
            snprintf(host, sizeof(host), "%s", pod);
        else if (gethostname(host, sizeof(host)) != 0 || !host[0])
            snprintf(host, sizeof(host), "postern");
        host[sizeof(host) - 1] = '\0';
        c->instance_id = pst_arena_strndup(c->arena, host, strlen(host));
        if (!c->instance_id)
            return PST_ERROR;
    }
    return PST_OK;
}

cfg_config *cfg_defaults(void)
{
    cfg_config *c = pst_calloc(1, sizeof(*c));
    if (!c)
        return NULL;
    c->arena = pst_arena_create(256); /* small blocks: a config is a few KiB */
    if (!c->arena) {
        pst_free(c);
        return NULL;
    }
    set_defaults(c);
    if (resolve(c) != PST_OK) {
        cfg_free(c);
        return NULL;
    }
    return c;
}

void cfg_free(cfg_config *cfg)
{
    if (!cfg)
        return;
    pst_arena_destroy(cfg->arena);
    pst_free(cfg);
}

/* ---- loading ---- */

static void syntax_error(cfg_walk *w, yaml_parser_t *p, const char *text, size_t n)
{
    if (p->error == YAML_MEMORY_ERROR) {
        cfg_oom(w);
        return;
    }
    uint32_t line = (uint32_t)p->problem_mark.line + 1, col = (uint32_t)p->problem_mark.column + 1;
    if (p->error == YAML_READER_ERROR) { /* only a byte offset is known */
        line = col = 1;
        for (size_t i = 0; i < p->problem_offset && i < n; i++) {
            if (text[i] == '\n') {
                line++;
                col = 1;
            } else if (((unsigned char)text[i] & 0xC0) != 0x80) {
                col++;
            }
        }
    }
    w->errors++;
    if (p->context)
        pst_diags_add(w->diags, w->file, line, col,
                      "invalid YAML: %s (%s that starts at line %lu, column %lu)",
                      p->problem ? p->problem : "syntax error", p->context,
                      (unsigned long)p->context_mark.line + 1,
                      (unsigned long)p->context_mark.column + 1);
    else
        pst_diags_add(w->diags, w->file, line, col, "invalid YAML: %s",
                      p->problem ? p->problem : "syntax error");
}

/* Parses the single document and fills c; errors go to w. */
static void load_doc(cfg_walk *w, cfg_config *c, const char *text, size_t n)
{
    yaml_parser_t parser;
    yaml_document_t doc, extra;
    if (!yaml_parser_initialize(&parser)) {
        cfg_oom(w);
        return;
    }
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, n);
    if (!yaml_parser_load(&parser, &doc)) {
        syntax_error(w, &parser, text, n);
        yaml_parser_delete(&parser);
        return;
    }
    w->doc = &doc;
    cfg_walk_map(w, "", yaml_document_get_root_node(&doc), &top_table, c);
    if (!yaml_parser_load(&parser, &extra)) {
        syntax_error(w, &parser, text, n);
    } else {
        yaml_node_t *root = yaml_document_get_root_node(&extra);
        if (root)
            cfg_error(w, root, "only one YAML document is allowed in the config");
        yaml_document_delete(&extra);
    }
    w->doc = NULL;
    yaml_document_delete(&doc);
    yaml_parser_delete(&parser);
}

cfg_config *cfg_load_string(const char *yaml, size_t n, const char *name, const char *base_dir,
                            pst_diags *diags)
{
    cfg_config *c = cfg_defaults();
    if (!c) {
        pst_diags_add(diags, name, 0, 0, "out of memory while loading the config");
        return NULL;
    }
    cfg_walk w = {.file = name, .diags = diags, .arena = c->arena};
    c->source = name ? cfg_strndup(&w, name, strlen(name)) : NULL;
    c->base_dir = base_dir ? cfg_strndup(&w, base_dir, strlen(base_dir)) : NULL;
    w.base_dir = c->base_dir;
    if (n > MAX_CONFIG_BYTES)
        cfg_error(&w, NULL, "the config is larger than %u MiB", MAX_CONFIG_BYTES >> 20);
    else if (!w.oom)
        load_doc(&w, c, yaml, n);
    if (!w.errors && !w.oom && resolve(c) != PST_OK)
        cfg_oom(&w);
    if (w.oom)
        pst_diags_add(diags, name, 0, 0, "out of memory while loading the config");
    if (w.oom || w.errors) {
        cfg_free(c);
        return NULL;
    }
    return c;
}

cfg_config *cfg_load_file(const char *path, pst_diags *diags)
{
    pst_buf text = {0};
    const char *why;
    if (pst_file_read(path, MAX_CONFIG_BYTES, &text, &why) != PST_OK) {
        pst_diags_add(diags, path, 0, 0, "cannot read the config: %s", why);
        pst_buf_free(&text);
        return NULL;
    }
    /* Paths in the file are relative to its directory, made absolute so a
     * later chdir cannot change their meaning. */
    const char *slash = strrchr(path, '/');
    char dir[4096];
    if (!slash)
        snprintf(dir, sizeof(dir), ".");
    else if (slash == path)
        snprintf(dir, sizeof(dir), "/");
    else
        snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
    char *abs = realpath(dir, NULL);
    cfg_config *c = cfg_load_string(text.p ? text.p : "", text.len, path, abs ? abs : dir, diags);
    free(abs);
    pst_buf_free(&text);
    return c;
}
