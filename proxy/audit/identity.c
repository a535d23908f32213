#include "audit/identity.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

/* Appends the body hash: unpadded base64url of SHA-256. */
static pst_status append_bh(pst_buf *b, const void *body, size_t len)
{
    unsigned char dig[32];
    if (audit_sha256(body ? body : (const void *)"", len, dig) != PST_OK)
        return PST_ERROR;
    return pst_b64url_append(b, dig, sizeof(dig));
}

/* Appends the roles as a JSON array of strings. */
static void append_roles(pst_buf *b, const char *roles)
{
    pst_buf_append_char(b, '[');
    for (const char *p = roles; p && *p;) {
        const char *end = strchr(p, ',');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        if (p != roles)
            pst_buf_append_char(b, ',');
        pst_buf_append_json_str(b, p, n);
        p = end ? end + 1 : p + n;
    }
    pst_buf_append_char(b, ']');
}

static void member_str(pst_buf *b, const char *name, const char *v)
{
    pst_buf_appendf(b, ",\"%s\":", name);
    pst_buf_append_json_str(b, v ? v : "", v ? strlen(v) : 0);
}

pst_status audit_identity_sign(const audit_signer *s, const audit_identity_claims *c, pst_buf *out)
{
    unsigned char jti[16];
    if (RAND_bytes(jti, sizeof(jti)) != 1)
        return PST_ERROR;
    pst_buf b = {0};
    pst_buf_reserve(&b, 512); /* one allocation for the usual claims */
    pst_buf_append_c(&b, "{\"iss\":");
    pst_buf_append_json_str(&b, c->iss ? c->iss : "", c->iss ? strlen(c->iss) : 0);
    if (c->sub)
        member_str(&b, "sub", c->sub);
    pst_buf_append_c(&b, ",\"roles\":");
    append_roles(&b, c->roles);
    member_str(&b, "corr", c->corr);
    member_str(&b, "subj", c->subject);
    pst_buf_append_c(&b, ",\"bh\":\"");
    append_bh(&b, c->body, c->body_len);
    pst_buf_appendf(&b, "\",\"iat\":%lld,\"exp\":%lld,\"jti\":\"", (long long)(c->now_ms / 1000),
                    (long long)((c->deadline_ms + 999) / 1000));
    pst_b64url_append(&b, jti, sizeof(jti));
    pst_buf_append_c(&b, "\"}");
    pst_status st = b.failed ? PST_ERROR : audit_signer_sign(s, b.p, b.len, out);
    pst_buf_free(&b);
    return st;
}

static void copy_str(char *dst, size_t cap, const json_t *v)
{
    snprintf(dst, cap, "%s", json_string_value(v) ? json_string_value(v) : "");
}

/* Every claim present with its type; copies them into out. */
static pst_status read_claims(json_t *c, audit_identity *out, const char **why)
{
    static const char *strs[] = {"iss", "corr", "subj", "bh", "jti"};
    for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++)
        if (!json_is_string(json_object_get(c, strs[i]))) {
            *why = "a required claim (iss, corr, subj, bh, jti) is missing or not a string";
            return PST_DENIED;
        }
    json_t *sub = json_object_get(c, "sub"), *roles = json_object_get(c, "roles");
    if ((sub && !json_is_string(sub)) || !json_is_array(roles) ||
        !json_is_integer(json_object_get(c, "iat")) ||
        !json_is_integer(json_object_get(c, "exp"))) {
        *why = "sub, roles, iat or exp has the wrong type";
        return PST_DENIED;
    }
    memset(out, 0, sizeof(*out));
    size_t used = 0;
    for (size_t i = 0; i < json_array_size(roles); i++) {
        const json_t *r = json_array_get(roles, i);
        if (!json_is_string(r)) {
            *why = "roles holds a value that is not a string";
            return PST_DENIED;
        }
        int n = snprintf(out->roles + used, sizeof(out->roles) - used, "%s%s", i ? "," : "",
                         json_string_value(r));
        used = n < 0 || used + (size_t)n >= sizeof(out->roles) ? sizeof(out->roles) - 1
                                                               : used + (size_t)n;
    }
    copy_str(out->iss, sizeof(out->iss), json_object_get(c, "iss"));
    copy_str(out->sub, sizeof(out->sub), sub);
    copy_str(out->corr, sizeof(out->corr), json_object_get(c, "corr"));
    copy_str(out->jti, sizeof(out->jti), json_object_get(c, "jti"));
    out->iat = (int64_t)json_integer_value(json_object_get(c, "iat"));
    out->exp = (int64_t)json_integer_value(json_object_get(c, "exp"));
    return PST_OK;
}

/* subj, bh and the times against this message and now. */
static pst_status check_binding(json_t *c, const audit_identity *id, const char *subject,
                                const void *body, size_t len, int64_t now, const char **why)
{
    if (strcmp(json_string_value(json_object_get(c, "subj")), subject ? subject : "") != 0) {
        *why = "subj does not match the message subject";
        return PST_DENIED;
    }
    pst_buf bh = {0};
    pst_status s = append_bh(&bh, body, len);
    const char *got = json_string_value(json_object_get(c, "bh"));
    bool same = s == PST_OK && !bh.failed && strlen(got) == bh.len && !memcmp(got, bh.p, bh.len);
    pst_buf_free(&bh);
    if (!same) {
        *why = "bh does not match the hash of the message body";
        return PST_DENIED;
    }
    if (now >= id->exp) {
        *why = "the assertion has expired";
        return PST_DENIED;
    }
    if (id->iat > now + AUDIT_IDENTITY_LEEWAY_S) {
        *why = "the assertion was issued in the future";
        return PST_DENIED;
    }
    return PST_OK;
}

pst_status audit_identity_check(const audit_jwks *keys, const char *token, const char *subject,
                                const void *body, size_t len, int64_t now, audit_identity *out,
                                const char **why)
{
    const char *p;
    size_t pl;
    if (!token || audit_jws_verify(keys, token, strlen(token), &p, &pl, why) != PST_OK)
        return PST_DENIED;
    unsigned char *raw = malloc(pl * 3 / 4 + 1);
    long rl = raw ? pst_b64url_decode(p, pl, raw) : -1;
    json_t *c = rl > 0 ? json_loadb((const char *)raw, (size_t)rl, 0, NULL) : NULL;
    free(raw);
    audit_identity local;
    audit_identity *id = out ? out : &local;
    pst_status s = PST_DENIED;
    *why = "the payload is not a JSON object";
    if (json_is_object(c) && read_claims(c, id, why) == PST_OK)
        s = check_binding(c, id, subject, body, len, now, why);
    json_decref(c);
    return s;
}

pst_status audit_identity_verify(const char *jwks_json, const char *token, const char *subject,
                                 const void *body, size_t len, int64_t now, audit_identity *out,
                                 const char **why)
{
    audit_jwks *k = jwks_json ? audit_jwks_parse(jwks_json, strlen(jwks_json), why) : NULL;
    if (!k) {
        if (!jwks_json)
            *why = "no JWKS";
        return PST_DENIED;
    }
    pst_status s = audit_identity_check(k, token, subject, body, len, now, out, why);
    audit_jwks_free(k);
    return s;
}
