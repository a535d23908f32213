/**
 * Internal to the config module: value checks and custom readers used by
 * the postern.yaml tables (addresses, URLs, header names, algorithms, log
 * settings). Each reports its own error at the node and returns false (or
 * leaves dst unchanged) when the value is bad.
 */
#ifndef POSTERN_CONFIG_CHECKS_H
#define POSTERN_CONFIG_CHECKS_H

#include <stdbool.h>

#include "config/walk.h"

/* cfg_check_fn */
bool cfg_check_nats_url(cfg_walk *w, const char *path, const yaml_node_t *n, const char *s);
bool cfg_check_http_url(cfg_walk *w, const char *path, const yaml_node_t *n, const char *s);
bool cfg_check_token_header(cfg_walk *w, const char *path, const yaml_node_t *n, const char *s);
bool cfg_check_forward_header(cfg_walk *w, const char *path, const yaml_node_t *n, const char *s);
bool cfg_check_nkey_seed(cfg_walk *w, const char *path, const yaml_node_t *n, const char *s);
bool cfg_check_instance_id(cfg_walk *w, const char *path, const yaml_node_t *n, const char *s);

/* cfg_custom_fn */
bool cfg_read_addr(cfg_walk *w, const char *path, yaml_node_t *n, void *dst);      /* cfg_addr */
bool cfg_read_algs(cfg_walk *w, const char *path, yaml_node_t *n, void *dst);      /* unsigned */
bool cfg_read_alg(cfg_walk *w, const char *path, yaml_node_t *n, void *dst);       /* cfg_alg */
bool cfg_read_log_level(cfg_walk *w, const char *path, yaml_node_t *n, void *dst); /* level */
bool cfg_read_log_format(cfg_walk *w, const char *path, yaml_node_t *n, void *dst);

/** True when url is http:// (not https://) and its host is not loopback
 * (localhost, 127.0.0.0/8, ::1). Malformed URLs give false (reported
 * elsewhere). */
bool cfg_url_needs_insecure(const char *url);

#endif
