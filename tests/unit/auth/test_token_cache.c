/* The verified-token cache: expiry, bounds, eviction order, refcounts and
 * concurrent use. */
#include <pthread.h>

#include "auth/token_cache.h"
#include "test.h"

/* A hash in shard `shard` (first byte) distinguished by n. */
static void mkhash(unsigned char h[AUTH_TOKEN_HASH_LEN], int shard, int n)
{
    memset(h, 0, AUTH_TOKEN_HASH_LEN);
    h[0] = (unsigned char)shard;
    memcpy(h + 1, &n, sizeof(n));
}

static void test_basic(void)
{
    auth_token_cache *c = auth_token_cache_create(100);
    unsigned char h[AUTH_TOKEN_HASH_LEN], h2[AUTH_TOKEN_HASH_LEN];
    auth_token_hash("abc", 3, h);
    auth_token_hash("abd", 3, h2);
    CHECK(memcmp(h, h2, sizeof(h)) != 0);
    json_t *claims = json_pack("{ss}", "sub", "alice");
    CHECK(auth_token_cache_get(c, h, 1000) == NULL);
    CHECK(auth_token_cache_put(c, h, claims, 5000, 1000) == PST_OK);
    CHECK(claims->refcount == 2);
    json_t *got = auth_token_cache_get(c, h, 4999);
    CHECK(got == claims && claims->refcount == 3);
    json_decref(got);
    CHECK(auth_token_cache_get(c, h2, 1000) == NULL);
    CHECK(auth_token_cache_get(c, h, 5000) == NULL); /* at exp: gone, and removed */
    CHECK(claims->refcount == 1);
    CHECK(auth_token_cache_size(c) == 0);
    /* re-inserting the same hash replaces the entry */
    auth_token_cache_put(c, h, claims, 5000, 1000);
    auth_token_cache_put(c, h, claims, 9000, 1000);
    CHECK(auth_token_cache_size(c) == 1 && claims->refcount == 2);
    got = auth_token_cache_get(c, h, 8000);
    CHECK(got == claims);
    json_decref(got);
    auth_token_cache_destroy(c);
    CHECK(claims->refcount == 1);

    c = auth_token_cache_create(0); /* disabled */
    CHECK(auth_token_cache_put(c, h, claims, 5000, 1000) == PST_OK);
    CHECK(auth_token_cache_get(c, h, 1000) == NULL && claims->refcount == 1);
    auth_token_cache_destroy(c);
    json_decref(claims);
}

static void test_bounds(void)
{
    auth_token_cache *c = auth_token_cache_create(32); /* 2 per shard */
    json_t *v = json_object();
    unsigned char h[AUTH_TOKEN_HASH_LEN];
    for (int i = 0; i < 1000; i++) {
        auth_token_hash((const char *)&i, sizeof(i), h);
        auth_token_cache_put(c, h, v, 100000, 0);
    }
    CHECK(auth_token_cache_size(c) <= 32);
    CHECK((size_t)v->refcount == auth_token_cache_size(c) + 1);
    int last = 999;
    auth_token_hash((const char *)&last, sizeof(last), h);
    json_t *got = auth_token_cache_get(c, h, 0);
    CHECK(got == v); /* the newest survives */
    json_decref(got);
    auth_token_cache_destroy(c);

    /* in one shard of two: an expired entry goes first, else the oldest */
    c = auth_token_cache_create(32);
    unsigned char a[32], b[32], d[32], e[32];
    mkhash(a, 3, 1), mkhash(b, 3, 2), mkhash(d, 3, 3), mkhash(e, 3, 4);
    auth_token_cache_put(c, b, v, 10000, 0); /* oldest, long-lived */
    auth_token_cache_put(c, a, v, 100, 0);   /* expires early */
    auth_token_cache_put(c, d, v, 10000, 500);
    json_t *gb = auth_token_cache_get(c, b, 500), *ga = auth_token_cache_get(c, a, 50);
    CHECK(gb == v && ga == NULL);
    json_decref(gb);
    auth_token_cache_put(c, e, v, 10000, 500); /* nothing expired: the oldest (b) goes */
    gb = auth_token_cache_get(c, b, 500);
    json_t *gd = auth_token_cache_get(c, d, 500), *ge = auth_token_cache_get(c, e, 500);
    CHECK(gb == NULL && gd == v && ge == v);
    json_decref(gd);
    json_decref(ge);
    auth_token_cache_destroy(c);
    CHECK(v->refcount == 1);
    json_decref(v);
}

static auth_token_cache *shared;
static json_t *shared_v;

static void *worker(void *arg)
{
    int base = (int)(long)arg * 100000;
    unsigned char h[AUTH_TOKEN_HASH_LEN];
    for (int i = 0; i < 20000; i++) {
        int k = base + i % 500;
        auth_token_hash((const char *)&k, sizeof(k), h);
        json_t *g = auth_token_cache_get(shared, h, i);
        if (g)
            json_decref(g);
        else
            auth_token_cache_put(shared, h, shared_v, i + 300, i);
    }
    return NULL;
}

static void test_threads(void)
{
    shared = auth_token_cache_create(256);
    shared_v = json_object();
    pthread_t th[4];
    for (long i = 0; i < 4; i++)
        pthread_create(&th[i], NULL, worker, (void *)i);
    for (int i = 0; i < 4; i++)
        pthread_join(th[i], NULL);
    CHECK(auth_token_cache_size(shared) <= 256);
    CHECK((size_t)shared_v->refcount == auth_token_cache_size(shared) + 1);
    auth_token_cache_destroy(shared);
    CHECK(shared_v->refcount == 1);
    json_decref(shared_v);
}

int main(void)
{
    test_basic();
    test_bounds();
    test_threads();
    TEST_END();
}
