/* acc_ratelimit — see acc_ratelimit.h. */
#include "acc_ratelimit.h"
#include "acc_time.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    int used;
    size_t keylen;
    unsigned char key[ACC_RATELIMIT_KEY_MAX];
    double tokens;
    int64_t at_ms; /* when tokens was last brought up to date */
} s_slot;

struct acc_ratelimit {
    pthread_mutex_t lock; /* the slots */
    int64_t window_ms;
    acc_ratelimit_clock_fn clock;
    void *clock_arg;
    size_t n_slots;
    s_slot *slots;
};

static int64_t
s_mono_ms(void *arg)
{
    (void)arg;
    return acc_time_mono_ms();
}

acc_err
acc_ratelimit_new(size_t slots, int64_t window_ms, acc_ratelimit_clock_fn clock, void *clock_arg,
                  acc_ratelimit_t **out)
{
    if (slots == 0 || window_ms <= 0)
        return ACC_ERR_INVALID;
    acc_ratelimit_t *self = calloc(1, sizeof *self);
    if (!self)
        return ACC_ERR_NOMEM;
    if (!(self->slots = calloc(slots, sizeof *self->slots))) {
        free(self);
        return ACC_ERR_NOMEM;
    }
    pthread_mutex_init(&self->lock, NULL);
    self->n_slots = slots;
    self->window_ms = window_ms;
    self->clock = clock ? clock : s_mono_ms;
    self->clock_arg = clock_arg;
    *out = self;
    return ACC_OK;
}

void
acc_ratelimit_destroy(acc_ratelimit_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    acc_ratelimit_t *self = *self_p;
    pthread_mutex_destroy(&self->lock);
    free(self->slots);
    free(self);
    *self_p = NULL;
}

/* The slot of @key, or one for it: a free one, else the least recently used. */
static s_slot *
s_find(acc_ratelimit_t *self, const void *key, size_t keylen)
{
    s_slot *spare = NULL;
    for (size_t i = 0; i < self->n_slots; i++) {
        s_slot *e = &self->slots[i];
        if (!e->used) {
            if (!spare || spare->used)
                spare = e;
            continue;
        }
        if (e->keylen == keylen && memcmp(e->key, key, keylen) == 0)
            return e;
        if (!spare || (spare->used && e->at_ms < spare->at_ms))
            spare = e;
    }
    spare->used = 0;
    spare->keylen = keylen;
    memcpy(spare->key, key, keylen);
    return spare;
}

int64_t
acc_ratelimit_take(acc_ratelimit_t *self, const void *key, size_t keylen, double limit, double n)
{
    if (keylen > ACC_RATELIMIT_KEY_MAX)
        keylen = ACC_RATELIMIT_KEY_MAX;
    int64_t wait = 0;
    pthread_mutex_lock(&self->lock);
    int64_t now = self->clock(self->clock_arg);
    s_slot *b = s_find(self, key, keylen);
    if (!b->used) {
        b->used = 1;
        b->tokens = limit;
    } else if (now > b->at_ms) {
        b->tokens += (double)(now - b->at_ms) * limit / (double)self->window_ms;
        if (b->tokens > limit)
            b->tokens = limit;
    }
    b->at_ms = now;
    if (n > limit) {
        wait = -1;
    } else if (b->tokens + 1e-9 >= n) {
        b->tokens -= n;
    } else {
        wait = (int64_t)ceil((n - b->tokens) * ((double)self->window_ms / 1000.0) / limit);
        if (wait < 1)
            wait = 1;
    }
    pthread_mutex_unlock(&self->lock);
    return wait;
}
