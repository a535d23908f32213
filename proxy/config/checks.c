#include "config/checks.h"

#include <arpa/inet.h>
#include <string.h>
#include <strings.h>

#include "common/log.h"
#include "common/str.h"
#include "config/config.h"

#define ALG_CHOICES "RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384, ES512 or EdDSA"

static const struct {
    const char *name;
    cfg_alg alg;
} algs[] = {
    {"RS256", CFG_ALG_RS256}, {"RS384", CFG_ALG_RS384}, {"RS512", CFG_ALG_RS512},
    {"PS256", CFG_ALG_PS256}, {"PS384", CFG_ALG_PS384}, {"PS512", CFG_ALG_PS512},
    {"ES256", CFG_ALG_ES256}, {"ES384", CFG_ALG_ES384}, {"ES512", CFG_ALG_ES512},
    {"EdDSA", CFG_ALG_EDDSA},
};

const char *cfg_alg_name(cfg_alg alg)
{
    for (size_t i = 0; i < sizeof(algs) / sizeof(algs[0]); i++)
        if (algs[i].alg == alg)
            return algs[i].name;
    return NULL;
}

/* host[:port] or [v6][:port] in h (len bytes); host copied without brackets
 * into host[256]; port -1 when absent. */
static bool split_hostport(const char *h, size_t len, char host[256], long *port)
{
    const char *end = h + len, *colon;
    size_t hl;
    if (len && h[0] == '[') {
        const char *close = memchr(h, ']', len);
        if (!close || close == h + 1 || (close + 1 < end && close[1] != ':'))
            return false;
        hl = (size_t)(close - h - 1);
        if (hl >= 256)
            return false;
        memcpy(host, h + 1, hl);
        host[hl] = '\0';
        struct in6_addr a6;
        if (inet_pton(AF_INET6, host, &a6) != 1)
            return false;
        colon = close + 1 < end ? close + 1 : NULL;
    } else {
        colon = memchr(h, ':', len);
        if (colon && memchr(colon + 1, ':', (size_t)(end - colon - 1)))
            return false; /* a bare IPv6 address needs brackets */
        hl = colon ? (size_t)(colon - h) : len;
        if (hl == 0 || hl >= 256)
            return false;
        for (size_t i = 0; i < hl; i++) {
            char c = h[i];
            if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '.' || c == '-' || c == '_'))
                return false;
        }
        memcpy(host, h, hl);
        host[hl] = '\0';
    }
    *port = -1;
    if (colon) {
        const char *p = colon + 1;
        if (p == end || end - p > 5)
            return false;
        long v = 0;
        for (; p < end; p++) {
            if (*p < '0' || *p > '9')
                return false;
            v = v * 10 + (*p - '0');
        }
        if (v > 65535)
            return false;
        *port = v;
    }
    return true;
}

typedef struct {
    pst_str scheme;
    char host[256];
    long port;
    const char *rest; /* path, query or fragment; "" when none */
} url_parts;

static bool parse_url(const char *s, url_parts *u)
{
    const char *sep = strstr(s, "://");
    if (!sep || sep == s)
        return false;
    u->scheme = (pst_str){s, (size_t)(sep - s)};
    const char *auth = sep + 3;
    size_t alen = strcspn(auth, "/?#");
    u->rest = auth + alen;
    const char *at = memrchr(auth, '@', alen);
    const char *h = at ? at + 1 : auth;
    return split_hostport(h, (size_t)(auth + alen - h), u->host, &u->port);
}

static bool is_loopback(const char *host)
{
    struct in_addr a4;
    struct in6_addr a6;
    if (strcasecmp(host, "localhost") == 0)
        return true;
    if (inet_pton(AF_INET, host, &a4) == 1)
        return (ntohl(a4.s_addr) >> 24) == 127;
    if (inet_pton(AF_INET6, host, &a6) == 1)
        return memcmp(&a6, &in6addr_loopback, sizeof(a6)) == 0;
    return false;
}

bool cfg_url_needs_insecure(const char *url)
{
    url_parts u;
    return parse_url(url, &u) && pst_str_eq_c(u.scheme, "http") && !is_loopback(u.host);
}

bool cfg_check_nats_url(cfg_walk *w, const char *path, const yaml_node_t *n, const char *s)
{
    url_parts u;
    if (!parse_url(s, &u) || !(pst_str_eq_c(u.scheme, "nats") || pst_str_eq_c(u.scheme, "tls")) ||
        !(strcmp(u.rest, "") == 0 || strcmp(u.rest, "/") == 0) || u.port == 0) {
        cfg_type_error(w, path, n,
                       "a URL like \"nats://127.0.0.1:4222\" or \"tls://nats.example.com:4222\"");
        return false;
    }
    return true;
}

bool cfg_check_http_url(cfg_walk *w, const char *path, const yaml_node_t *n, const char *s)
{
    url_parts u;
    if (!parse_url(s, &u) || !(pst_str_eq_c(u.scheme, "https") || pst_str_eq_c(u.scheme, "http")) ||
        u.port == 0) {
        cfg_type_error(w, path, n, "an https:// URL like \"https://idp.example.com/realms/main\"");
        return false;
    }
    return true;
}

static bool is_token(const char *s)
{
    if (!*s)
        return false;
    for (; *s; s++) {
        char c = *s;
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              strchr("!#$%&'*+-.^_`|~", c)))
            return false;
    }
    return true;
}

bool cfg_check_token_header(cfg_walk *w, const char *path, const yaml_node_t *n, const char *s)
{
    if (!is_token(s)) {
        cfg_type_error(w, path, n, "an HTTP header name like \"Authorization\"");
        return false;
    }
    return true;
}

bool cfg_check_forward_header(cfg_walk *w, const char *path, const yaml_node_t *n, const char *s)
{
    if (!cfg_check_token_header(w, path, n, s))
        return false;
    if (strcasecmp(s, "Authorization") == 0) {
        cfg_error(w, n,
                  "%s: \"Authorization\" is never forwarded (services get the verified identity "
                  "in Postern-Identity instead)",
                  path);
        return false;
    }
    if (strncasecmp(s, "Postern-", 8) == 0) {
        cfg_error(w, n, "%s: \"%s\": Postern-* headers are set by postern and are never forwarded",
                  path, s);
        return false;
    }
    return true;
}

bool cfg_check_nkey_seed(cfg_walk *w, const char *path, const yaml_node_t *n, const char *s)
{
    bool ok = strlen(s) == 58 && s[0] == 'S' && s[1] == 'U';
    for (size_t i = 0; ok && s[i]; i++)
        ok = (s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '2' && s[i] <= '7');
    if (!ok) /* the value is a secret: never echoed */
        cfg_error(w, n,
                  "%s: expected a user nkey seed (58 characters starting with \"SU\"), e.g. "
                  "\"${NATS_NKEY_SEED}\"",
                  path);
    return ok;
}

bool cfg_check_instance_id(cfg_walk *w, const char *path, const yaml_node_t *n, const char *s)
{
    size_t len = strlen(s);
    bool ok = len > 0 && len <= 253;
    for (size_t i = 0; ok && i < len; i++)
        ok = (s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
             (s[i] >= '0' && s[i] <= '9') || s[i] == '.' || s[i] == '_' || s[i] == '-';
    if (!ok)
        cfg_type_error(w, path, n, "1 to 253 letters, digits, \".\", \"_\" or \"-\"");
    return ok;
}

bool cfg_read_addr(cfg_walk *w, const char *path, yaml_node_t *n, void *dst)
{
    static const char expected[] = "host:port like \"0.0.0.0:8080\" or \"[::1]:8080\"";
    const char *s = cfg_scalar(w, path, n, expected, NULL);
    if (!s)
        return false;
    char host[256];
    long port;
    if (!split_hostport(s, strlen(s), host, &port) || port < 0) {
        cfg_type_error(w, path, n, expected);
        return false;
    }
    const char *h = cfg_strndup(w, host, strlen(host));
    if (!h)
        return false;
    cfg_addr *a = dst;
    a->text = s;
    a->host = h;
    a->port = (uint16_t)port;
    return true;
}

static bool lookup_alg(cfg_walk *w, const char *path, const yaml_node_t *n, const char *s,
                       cfg_alg *out)
{
    for (size_t i = 0; i < sizeof(algs) / sizeof(algs[0]); i++) {
        if (strcmp(s, algs[i].name) == 0) {
            *out = algs[i].alg;
            return true;
        }
    }
    if (strcasecmp(s, "none") == 0)
        cfg_error(w, n, "%s: \"%s\" is never accepted (tokens must be signed); use " ALG_CHOICES,
                  path, s);
    else if (strncasecmp(s, "HS", 2) == 0)
        cfg_error(
            w, n,
            "%s: \"%s\" is not accepted (HMAC algorithms use shared secrets); use " ALG_CHOICES,
            path, s);
    else
        cfg_error(w, n, "%s: unknown algorithm \"%.40s\"; use " ALG_CHOICES, path, s);
    return false;
}

bool cfg_read_alg(cfg_walk *w, const char *path, yaml_node_t *n, void *dst)
{
    const char *s = cfg_scalar(w, path, n, "an algorithm like \"ES256\"", NULL);
    return s && lookup_alg(w, path, n, s, dst);
}

bool cfg_read_algs(cfg_walk *w, const char *path, yaml_node_t *n, void *dst)
{
    if (n->type != YAML_SEQUENCE_NODE) {
        cfg_type_error(w, path, n, "a list like [RS256, ES256]");
        return false;
    }
    size_t count = (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
    if (count == 0) {
        cfg_error(w, n, "%s: list at least one algorithm, e.g. [RS256, ES256]", path);
        return false;
    }
    unsigned mask = 0;
    bool ok = true;
    for (size_t i = 0; i < count && !cfg_exhausted(w); i++) {
        char ipath[CFG_PATH_CAP];
        cfg_path_index(ipath, path, i);
        yaml_node_t *item = yaml_document_get_node(w->doc, n->data.sequence.items.start[i]);
        const char *s = cfg_scalar(w, ipath, item, "an algorithm like \"ES256\"", NULL);
        cfg_alg alg;
        if (s && lookup_alg(w, ipath, item, s, &alg))
            mask |= alg;
        else
            ok = false;
    }
    if (ok)
        *(unsigned *)dst = mask;
    return ok;
}

bool cfg_read_log_level(cfg_walk *w, const char *path, yaml_node_t *n, void *dst)
{
    static const char expected[] = "one of debug, info, warn, error";
    const char *s = cfg_scalar(w, path, n, expected, NULL);
    if (!s)
        return false;
    int level = pst_log_level_parse(s);
    if (level < 0) {
        cfg_type_error(w, path, n, expected);
        return false;
    }
    *(pst_log_level *)dst = (pst_log_level)level;
    return true;
}

bool cfg_read_log_format(cfg_walk *w, const char *path, yaml_node_t *n, void *dst)
{
    static const char expected[] = "json or text";
    const char *s = cfg_scalar(w, path, n, expected, NULL);
    if (!s)
        return false;
    if (strcmp(s, "json") == 0)
        *(cfg_log_format *)dst = CFG_LOG_JSON;
    else if (strcmp(s, "text") == 0)
        *(cfg_log_format *)dst = CFG_LOG_TEXT;
    else {
        cfg_type_error(w, path, n, expected);
        return false;
    }
    return true;
}
