#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#include <jansson.h>

#include "audit/identity.h"
#include "test.h"

static const char BODY[] = "{\"id\":\"42\"}";
#define NOW_MS 1800000000123LL

static char *sign(const audit_signer *s, const char *subject, int64_t deadline_ms)
{
    audit_identity_claims c = {.iss = "pod-1",
                               .sub = "alice",
                               .roles = "admin,viewer",
                               .corr = "corr-1",
                               .subject = subject,
                               .body = BODY,
                               .body_len = strlen(BODY),
                               .now_ms = NOW_MS,
                               .deadline_ms = deadline_ms};
    pst_buf b = {0};
    pst_buf_append_c(&b, "x"); /* signing appends */
    CHECK(audit_identity_sign(s, &c, &b) == PST_OK);
    char *t = strdup(pst_buf_cstr(&b) + 1);
    pst_buf_free(&b);
    return t;
}

/* Replaces the payload with one where claim `name` is set to value. */
static char *tamper_claim(const char *tok, const char *name, json_t *value)
{
    const char *d1 = strchr(tok, '.'), *d2 = strrchr(tok, '.');
    unsigned char raw[2048];
    long n = pst_b64url_decode(d1 + 1, (size_t)(d2 - d1 - 1), raw);
    json_t *c = json_loadb((const char *)raw, (size_t)n, 0, NULL);
    json_object_set_new(c, name, value);
    char *text = json_dumps(c, JSON_COMPACT);
    pst_buf b = {0};
    pst_buf_append(&b, tok, (size_t)(d1 - tok + 1));
    pst_b64url_append(&b, text, strlen(text));
    pst_buf_append_c(&b, d2);
    char *out = strdup(pst_buf_cstr(&b));
    pst_buf_free(&b);
    free(text);
    json_decref(c);
    return out;
}

static void check_roundtrip(audit_jws_alg alg)
{
    const char *why = NULL;
    audit_signer *s = audit_signer_generate(alg, &why);
    CHECK(s != NULL);
    if (!s)
        return;
    const char *jwks = audit_signer_jwks(s);
    CHECK(strstr(jwks, audit_signer_kid(s)) != NULL);
    CHECK(strstr(jwks, audit_jws_alg_name(alg)) != NULL);
    char *tok = sign(s, "orders.get.42", NOW_MS + 2500);
    int64_t now = NOW_MS / 1000;
    audit_identity id;
    CHECK(audit_identity_verify(jwks, tok, "orders.get.42", BODY, strlen(BODY), now, &id, &why) ==
          PST_OK);
    CHECK_STR(id.sub, "alice");
    CHECK_STR(id.iss, "pod-1");
    CHECK_STR(id.roles, "admin,viewer");
    CHECK_STR(id.corr, "corr-1");
    CHECK(id.iat == now);
    CHECK(id.exp == now + 3); /* 2.623 s rounded up */
    CHECK(strlen(id.jti) == 22);
    /* a new jti per message */
    char *tok2 = sign(s, "orders.get.42", NOW_MS + 2500);
    audit_identity id2;
    CHECK(audit_identity_verify(jwks, tok2, "orders.get.42", BODY, strlen(BODY), now, &id2, &why) ==
          PST_OK);
    CHECK(strcmp(id.jti, id2.jti) != 0);

    /* body, subject and time bind */
    CHECK(audit_identity_verify(jwks, tok, "orders.get.42", "{\"id\":\"43\"}", 11, now, NULL,
                                &why) == PST_DENIED);
    CHECK(strstr(why, "bh") != NULL);
    CHECK(audit_identity_verify(jwks, tok, "orders.get.43", BODY, strlen(BODY), now, NULL, &why) ==
          PST_DENIED);
    CHECK(strstr(why, "subj") != NULL);
    CHECK(audit_identity_verify(jwks, tok, "orders.get.42", BODY, strlen(BODY), id.exp, NULL,
                                &why) == PST_DENIED);
    CHECK(strstr(why, "expired") != NULL);
    CHECK(audit_identity_verify(jwks, tok, "orders.get.42", BODY, strlen(BODY), now - 61, NULL,
                                &why) == PST_DENIED);

    /* any signed claim changed breaks the signature */
    const char *claims[] = {"sub", "iss", "corr", "jti"};
    for (size_t i = 0; i < 4; i++) {
        char *t = tamper_claim(tok, claims[i], json_string("mallory"));
        CHECK(audit_identity_verify(jwks, t, "orders.get.42", BODY, strlen(BODY), now, NULL,
                                    &why) == PST_DENIED);
        CHECK(strstr(why, "signature") != NULL);
        free(t);
    }
    char *t = tamper_claim(tok, "roles", json_pack("[s]", "root"));
    CHECK(audit_identity_verify(jwks, t, "orders.get.42", BODY, strlen(BODY), now, NULL, &why) ==
          PST_DENIED);
    free(t);
    t = tamper_claim(tok, "exp", json_integer(id.exp + 3600));
    CHECK(audit_identity_verify(jwks, t, "orders.get.42", BODY, strlen(BODY), id.exp, NULL, &why) ==
          PST_DENIED);
    free(t);
    /* a flipped signature byte */
    t = strdup(tok);
    char *last = t + strlen(t) - 3;
    *last = *last == 'A' ? 'B' : 'A';
    CHECK(audit_identity_verify(jwks, t, "orders.get.42", BODY, strlen(BODY), now, NULL, &why) ==
          PST_DENIED);
    free(t);

    /* another key (same algorithm) does not verify it */
    audit_signer *other = audit_signer_generate(alg, &why);
    CHECK(audit_identity_verify(audit_signer_jwks(other), tok, "orders.get.42", BODY, strlen(BODY),
                                now, NULL, &why) == PST_DENIED);
    audit_signer_free(other);
    free(tok);
    free(tok2);
    audit_signer_free(s);
}

static void check_bad_tokens(void)
{
    const char *why;
    audit_signer *s = audit_signer_generate(AUDIT_JWS_ES256, &why);
    const char *jwks = audit_signer_jwks(s);
    int64_t now = NOW_MS / 1000;
    /* alg none with a real payload */
    char *tok = sign(s, "a.b", NOW_MS + 1000);
    const char *d1 = strchr(tok, '.'), *d2 = strrchr(tok, '.');
    pst_buf b = {0};
    const char none[] = "{\"alg\":\"none\"}";
    pst_b64url_append(&b, none, strlen(none));
    pst_buf_append(&b, d1, (size_t)(d2 - d1 + 1));
    CHECK(audit_identity_verify(jwks, pst_buf_cstr(&b), "a.b", BODY, strlen(BODY), now, NULL,
                                &why) == PST_DENIED);
    pst_buf_free(&b);
    const char *junk[] = {"", "a", "a.b", "a.b.c", "a.b.c.d", "....", "!!.??.**"};
    for (size_t i = 0; i < sizeof(junk) / sizeof(junk[0]); i++)
        CHECK(audit_identity_verify(jwks, junk[i], "a.b", BODY, strlen(BODY), now, NULL, &why) ==
              PST_DENIED);
    CHECK(audit_identity_verify("{}", tok, "a.b", BODY, strlen(BODY), now, NULL, &why) ==
          PST_DENIED);
    CHECK(audit_identity_verify("not json", tok, "a.b", BODY, strlen(BODY), now, NULL, &why) ==
          PST_DENIED);
    CHECK(audit_identity_verify(NULL, tok, "a.b", BODY, strlen(BODY), now, NULL, &why) ==
          PST_DENIED);
    CHECK(audit_identity_verify(jwks, NULL, "a.b", BODY, strlen(BODY), now, NULL, &why) ==
          PST_DENIED);
    free(tok);
    audit_signer_free(s);
}

static void check_pem(void)
{
    char dir[] = "/tmp/postern-jws-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char ec[128], rsa[128], cmd[512];
    snprintf(ec, sizeof(ec), "%s/ec.pem", dir);
    snprintf(rsa, sizeof(rsa), "%s/rsa.pem", dir);
    snprintf(cmd, sizeof(cmd),
             "openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out %s 2>/dev/null"
             " && openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out %s 2>/dev/null",
             ec, rsa);
    CHECK(system(cmd) == 0);
    const char *why = NULL;
    audit_signer *s = audit_signer_load_pem(ec, AUDIT_JWS_ES256, &why);
    CHECK(s != NULL);
    audit_signer *s2 = audit_signer_load_pem(ec, AUDIT_JWS_ES256, &why);
    /* the kid is the key's thumbprint: same key, same kid */
    CHECK(s && s2 && strcmp(audit_signer_kid(s), audit_signer_kid(s2)) == 0);
    audit_signer_free(s2);
    audit_signer_free(s);
    CHECK(audit_signer_load_pem(ec, AUDIT_JWS_RS256, &why) == NULL);
    CHECK(strstr(why, "RSA") != NULL);
    s = audit_signer_load_pem(rsa, AUDIT_JWS_RS256, &why);
    CHECK(s != NULL);
    audit_signer_free(s);
    CHECK(audit_signer_load_pem(rsa, AUDIT_JWS_ES256, &why) == NULL);
    CHECK(audit_signer_load_pem("/nonexistent/key.pem", AUDIT_JWS_ES256, &why) == NULL);
    CHECK(audit_signer_load_pem("/etc/hostname", AUDIT_JWS_ES256, &why) == NULL);
    unlink(ec);
    unlink(rsa);
    rmdir(dir);
}

/* Each thread caches a signing context per signer: switching signers on
 * one thread, and many threads on one signer, must sign with the right key. */
static void check_signer_switch(void)
{
    const char *why;
    audit_signer *a = audit_signer_generate(AUDIT_JWS_ES256, &why);
    audit_signer *b = audit_signer_generate(AUDIT_JWS_RS256, &why);
    audit_signer *c = audit_signer_generate(AUDIT_JWS_ES256, &why);
    audit_signer *order[] = {a, b, a, c, c, b, a};
    for (size_t i = 0; i < 7; i++) {
        char *tok = sign(order[i], "s.x", NOW_MS + 1000);
        CHECK(audit_identity_verify(audit_signer_jwks(order[i]), tok, "s.x", BODY, strlen(BODY),
                                    NOW_MS / 1000, NULL, &why) == PST_OK);
        audit_signer *wrong = order[i] == a ? c : a;
        CHECK(audit_identity_verify(audit_signer_jwks(wrong), tok, "s.x", BODY, strlen(BODY),
                                    NOW_MS / 1000, NULL, &why) == PST_DENIED);
        free(tok);
    }
    audit_signer_free(a);
    audit_signer_free(b);
    audit_signer_free(c);
}

typedef struct {
    audit_signer *s;
    audit_jwks *keys;
    int ok;
} thread_arg;

static void *sign_many(void *p)
{
    thread_arg *t = p;
    const char *why;
    for (int i = 0; i < 200; i++) {
        audit_identity_claims c = {.iss = "pod-1",
                                   .sub = "alice",
                                   .corr = "c",
                                   .subject = "t.x",
                                   .body = BODY,
                                   .body_len = strlen(BODY),
                                   .now_ms = NOW_MS,
                                   .deadline_ms = NOW_MS + 1000};
        pst_buf b = {0};
        if (audit_identity_sign(t->s, &c, &b) == PST_OK &&
            audit_identity_check(t->keys, pst_buf_cstr(&b), "t.x", BODY, strlen(BODY),
                                 NOW_MS / 1000, NULL, &why) == PST_OK)
            t->ok++;
        pst_buf_free(&b);
    }
    return NULL;
}

static void check_threads(void)
{
    const char *why;
    audit_signer *s = audit_signer_generate(AUDIT_JWS_ES256, &why);
    const char *jwks = audit_signer_jwks(s);
    audit_jwks *keys = audit_jwks_parse(jwks, strlen(jwks), &why);
    CHECK(keys != NULL);
    pthread_t th[4];
    thread_arg args[4];
    for (int i = 0; i < 4; i++) {
        args[i] = (thread_arg){s, keys, 0};
        pthread_create(&th[i], NULL, sign_many, &args[i]);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        CHECK(args[i].ok == 200);
    }
    audit_jwks_free(keys);
    audit_signer_free(s);
}

static void check_b64url(void)
{
    pst_buf b = {0};
    const char *in[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
    const char *want[] = {"", "Zg", "Zm8", "Zm9v", "Zm9vYg", "Zm9vYmE", "Zm9vYmFy"};
    for (size_t i = 0; i < 7; i++) {
        pst_buf_reset(&b);
        pst_b64url_append(&b, in[i], strlen(in[i]));
        CHECK(b.len == strlen(want[i]) && !memcmp(b.p ? b.p : "", want[i], b.len));
        unsigned char out[16];
        CHECK(pst_b64url_decode(want[i], strlen(want[i]), out) == (long)strlen(in[i]));
    }
    unsigned char out[16];
    CHECK(pst_b64url_decode("Zg==", 4, out) == -1);
    CHECK(pst_b64url_decode("Zh", 2, out) == -1); /* non-zero trailing bits */
    CHECK(pst_b64url_decode("Z", 1, out) == -1);
    pst_buf_free(&b);
}

int main(void)
{
    check_b64url();
    check_roundtrip(AUDIT_JWS_ES256);
    check_roundtrip(AUDIT_JWS_RS256);
    check_bad_tokens();
    check_pem();
    check_signer_switch();
    check_threads();
    TEST_END();
}
