#include "auth/token_cache.h"

#include <pthread.h>
#include <string.h>

#include <openssl/evp.h>

#include "auth/jose.h"
#include "common/mem.h"

#define SHARDS 16
#define EXPIRED_SCAN 8 /* oldest entries checked for expiry before evicting the oldest */

typedef struct entry {
    unsigned char hash[AUTH_TOKEN_HASH_LEN];
    int64_t expires_ms;
    json_t *claims;
    struct entry *chain;         /* bucket chain */
    struct entry *older, *newer; /* insertion order */
} entry;

typedef struct {
    pthread_mutex_t lock;
    entry **buckets;
    size_t mask, count, cap;
    entry *oldest, *newest;
} shard;

struct auth_token_cache {
    size_t capacity;
    shard shards[SHARDS];
};

pst_status auth_token_hash(const char *token, size_t len, unsigned char hash[AUTH_TOKEN_HASH_LEN])
{
    unsigned int n = AUTH_TOKEN_HASH_LEN;
    return EVP_Digest(token, len, hash, &n, auth_sha256(), NULL) == 1 ? PST_OK : PST_ERROR;
}

auth_token_cache *auth_token_cache_create(size_t capacity)
{
    auth_token_cache *c = pst_calloc(1, sizeof(*c));
    if (!c)
        return NULL;
    c->capacity = capacity;
    size_t per = capacity ? (capacity + SHARDS - 1) / SHARDS : 0, nb = 1;
    while (nb < per * 2)
        nb <<= 1;
    for (int i = 0; i < SHARDS; i++) {
        shard *s = &c->shards[i];
        pthread_mutex_init(&s->lock, NULL);
        s->cap = per;
        s->mask = nb - 1;
        if (per && !(s->buckets = pst_calloc(nb, sizeof(entry *)))) {
            auth_token_cache_destroy(c);
            return NULL;
        }
    }
    return c;
}

void auth_token_cache_destroy(auth_token_cache *c)
{
    if (!c)
        return;
    for (int i = 0; i < SHARDS; i++) {
        shard *s = &c->shards[i];
        for (entry *e = s->oldest, *next; e; e = next) {
            next = e->newer;
            json_decref(e->claims);
            pst_free(e);
        }
        pst_free(s->buckets);
        pthread_mutex_destroy(&s->lock);
    }
    pst_free(c);
}

static size_t bucket_of(const shard *s, const unsigned char *h)
{
    uint64_t v;
    memcpy(&v, h + 1, sizeof(v));
    return (size_t)v & s->mask;
}

static entry **find_slot(shard *s, const unsigned char *h)
{
    entry **pp = &s->buckets[bucket_of(s, h)];
    while (*pp && memcmp((*pp)->hash, h, AUTH_TOKEN_HASH_LEN) != 0)
        pp = &(*pp)->chain;
    return pp;
}

/* Unlinks e from its chain and the age list and frees it (lock held). */
static void remove_entry(shard *s, entry *e)
{
    entry **pp = find_slot(s, e->hash);
    *pp = e->chain;
    if (e->older)
        e->older->newer = e->newer;
    else
        s->oldest = e->newer;
    if (e->newer)
        e->newer->older = e->older;
    else
        s->newest = e->older;
    s->count--;
    json_decref(e->claims);
    pst_free(e);
}

json_t *auth_token_cache_get(auth_token_cache *c, const unsigned char hash[AUTH_TOKEN_HASH_LEN],
                             int64_t now_ms)
{
    if (!c->capacity)
        return NULL;
    shard *s = &c->shards[hash[0] % SHARDS];
    json_t *claims = NULL;
    pthread_mutex_lock(&s->lock);
    entry *e = *find_slot(s, hash);
    if (e && now_ms >= e->expires_ms)
        remove_entry(s, e);
    else if (e)
        claims = json_incref(e->claims);
    pthread_mutex_unlock(&s->lock);
    return claims;
}

/* Makes room for one entry (lock held): an expired one among the oldest,
 * else the oldest. */
static void make_room(shard *s, int64_t now_ms)
{
    entry *e = s->oldest;
    for (int i = 0; e && i < EXPIRED_SCAN; i++, e = e->newer)
        if (now_ms >= e->expires_ms) {
            remove_entry(s, e);
            return;
        }
    remove_entry(s, s->oldest);
}

pst_status auth_token_cache_put(auth_token_cache *c, const unsigned char hash[AUTH_TOKEN_HASH_LEN],
                                json_t *claims, int64_t expires_ms, int64_t now_ms)
{
    if (!c->capacity)
        return PST_OK;
    entry *n = pst_malloc(sizeof(*n));
    if (!n)
        return PST_ERROR;
    memcpy(n->hash, hash, AUTH_TOKEN_HASH_LEN);
    n->expires_ms = expires_ms;
    n->claims = json_incref(claims);
    n->chain = NULL;
    n->newer = NULL;
    shard *s = &c->shards[hash[0] % SHARDS];
    pthread_mutex_lock(&s->lock);
    entry *old = *find_slot(s, hash);
    if (old)
        remove_entry(s, old);
    if (s->count >= s->cap)
        make_room(s, now_ms);
    *find_slot(s, hash) = n;
    n->older = s->newest;
    if (s->newest)
        s->newest->newer = n;
    else
        s->oldest = n;
    s->newest = n;
    s->count++;
    pthread_mutex_unlock(&s->lock);
    return PST_OK;
}

size_t auth_token_cache_size(auth_token_cache *c)
{
    size_t n = 0;
    for (int i = 0; i < SHARDS; i++) {
        pthread_mutex_lock(&c->shards[i].lock);
        n += c->shards[i].count;
        pthread_mutex_unlock(&c->shards[i].lock);
    }
    return n;
}
