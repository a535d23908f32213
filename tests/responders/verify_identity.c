/* Test helper: checks one Postern-Identity with audit_identity_verify.
 *   verify-identity JWKS_FILE TOKEN SUBJECT BODY_FILE [NOW]
 * Prints the verified claims as JSON and exits 0, or prints "denied: why"
 * and exits 1 (2 for bad usage). NOW defaults to the current time. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "audit/identity.h"

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    pst_buf b = {0};
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        pst_buf_append(&b, chunk, n);
    fclose(f);
    *len = b.len;
    char *out = b.failed ? NULL : strdup(pst_buf_cstr(&b) ? pst_buf_cstr(&b) : "");
    pst_buf_free(&b);
    return out;
}

int main(int argc, char **argv)
{
    if (argc != 5 && argc != 6) {
        fprintf(stderr, "usage: %s JWKS_FILE TOKEN SUBJECT BODY_FILE [NOW]\n", argv[0]);
        return 2;
    }
    size_t jl = 0, bl = 0;
    char *jwks = slurp(argv[1], &jl), *body = slurp(argv[4], &bl);
    if (!jwks || !body) {
        fprintf(stderr, "cannot read %s or %s\n", argv[1], argv[4]);
        free(jwks);
        free(body);
        return 2;
    }
    long long now = argc == 6 ? atoll(argv[5]) : (long long)time(NULL);
    audit_identity id;
    const char *why = NULL;
    int rc = 1;
    if (audit_identity_verify(jwks, argv[2], argv[3], body, bl, now, &id, &why) == PST_OK) {
        printf("{\"iss\":\"%s\",\"sub\":\"%s\",\"roles\":\"%s\",\"corr\":\"%s\",\"jti\":\"%s\","
               "\"iat\":%lld,\"exp\":%lld}\n",
               id.iss, id.sub, id.roles, id.corr, id.jti, (long long)id.iat, (long long)id.exp);
        rc = 0;
    } else {
        printf("denied: %s\n", why);
    }
    free(jwks);
    free(body);
    return rc;
}
