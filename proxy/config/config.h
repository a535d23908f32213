/**
 * The sidecar config `postern.yaml` (SPEC §4): loaded, checked and turned
 * into typed fields. Every error names file:line:col and says what to fix;
 * all errors are collected, not just the first. docs/config.md describes
 * every key, its type, range and default.
 *
 * Durations are int64 milliseconds (suffix _ms), sizes int64 bytes. String
 * fields are NULL when a key without a default is absent; paths (schema,
 * policy, credentials, keys, certificates) are already resolved against the
 * config file's directory. A loaded config is read-only and may be shared
 * between threads.
 */
#ifndef POSTERN_CONFIG_CONFIG_H
#define POSTERN_CONFIG_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/arena.h"
#include "common/diag.h"
#include "common/log.h"

/* Signature algorithms that may appear in `algorithms` lists and in
 * identity.algorithm; a set of them is a bit mask. `none` and HS* are
 * never accepted. */
typedef enum {
    CFG_ALG_RS256 = 1u << 0,
    CFG_ALG_RS384 = 1u << 1,
    CFG_ALG_RS512 = 1u << 2,
    CFG_ALG_PS256 = 1u << 3,
    CFG_ALG_PS384 = 1u << 4,
    CFG_ALG_PS512 = 1u << 5,
    CFG_ALG_ES256 = 1u << 6,
    CFG_ALG_ES384 = 1u << 7,
    CFG_ALG_ES512 = 1u << 8,
    CFG_ALG_EDDSA = 1u << 9,
} cfg_alg;

/** The JOSE name of one algorithm ("RS256", "EdDSA"); NULL when alg is not
 * exactly one known flag. */
const char *cfg_alg_name(cfg_alg alg);

typedef enum { CFG_LOG_JSON = 0, CFG_LOG_TEXT = 1 } cfg_log_format;

/* A listen address "host:port"; host has no brackets ("::1" for
 * "[::1]:8080"). Port 0 asks the kernel for a free port. */
typedef struct {
    const char *text; /* as written */
    const char *host;
    uint16_t port;
} cfg_addr;

typedef struct {
    const char *cert, *key, *client_ca; /* all NULL: plain HTTP */
} cfg_tls;

typedef struct {
    int max; /* 0: retries off */
    int64_t backoff_ms, max_backoff_ms;
} cfg_retries;

typedef struct {
    const char *ca, *cert, *key; /* all NULL: system CAs, no client certificate */
} cfg_nats_tls;

typedef struct {
    const char *const *servers; /* nats:// or tls:// URLs; at least one */
    size_t n_servers;
    const char *name;
    const char *credentials; /* .creds file */
    const char *user, *password, *token;
    const char *nkey_seed; /* the seed itself ("SU..."), not a path */
    cfg_nats_tls tls;
    int64_t request_timeout_ms;
    cfg_retries retries;
} cfg_nats;

typedef struct {
    const char *issuer; /* exact `iss` */
    bool discovery;
    const char *jwks_uri; /* NULL: from discovery */
    const char *const *audiences;
    size_t n_audiences;
    unsigned algorithms; /* cfg_alg bits */
    int64_t leeway_ms, jwks_refresh_ms, jwks_min_refetch_ms;
    bool insecure; /* http:// allowed on a non-loopback host */
} cfg_issuer;

typedef struct {
    const char *header;
    const char *prefix; /* "" when none */
} cfg_token_source;

typedef struct {
    const cfg_issuer *issuers;
    size_t n_issuers;
    const cfg_token_source *token_sources;
    size_t n_token_sources;
    bool allow_anonymous;
    int token_cache; /* verified tokens kept; 0 = no cache */
} cfg_oidc;

typedef struct {
    int64_t max_body_bytes;
    int max_depth, max_aliases, max_root_fields, max_tokens;
    int max_subscriptions_per_connection, max_connections;
    int64_t header_timeout_ms, idle_timeout_ms;
} cfg_limits;

typedef struct {
    const char *signing_key; /* NULL: generated at start */
    cfg_alg algorithm;
} cfg_identity;

typedef struct {
    pst_log_level level;
    cfg_log_format format;
} cfg_log;

typedef struct cfg_config {
    const char *source;   /* file name used in messages */
    const char *base_dir; /* relative paths were resolved against this; NULL = cwd */
    cfg_addr listen, admin_listen;
    int workers; /* resolved: 0 in the file becomes the number of CPUs */
    cfg_tls tls;
    const char *schema; /* required */
    const char *policy; /* NULL: every field allowed (for now) */
    cfg_nats nats;
    cfg_oidc oidc;
    cfg_identity identity;
    const char *const *forward_headers;
    size_t n_forward_headers;
    cfg_limits limits;
    int64_t shutdown_grace_ms;
    bool introspection;
    bool reject_unauthorized;
    cfg_log log;
    const char *instance_id; /* default: env POD_NAME, else the hostname */
    pst_arena *arena;        /* owns every string and array above */
} cfg_config;

/** Reads and checks the config file at path. Returns NULL when the file
 * cannot be read or has any error (each one added to diags, with the path as
 * given as file name); the caller owns the result (cfg_free). */
cfg_config *cfg_load_file(const char *path, pst_diags *diags);

/** As cfg_load_file for n bytes of YAML text; name labels errors, base_dir
 * (may be NULL: the current directory) resolves relative paths. */
cfg_config *cfg_load_string(const char *yaml, size_t n, const char *name, const char *base_dir,
                            pst_diags *diags);

/** A config with every default (schema NULL, workers and instance_id
 * resolved); NULL when out of memory. The caller owns it (cfg_free). */
cfg_config *cfg_defaults(void);

/** Frees a config and everything it owns. NULL is ok. */
void cfg_free(cfg_config *cfg);

#endif
