/* intake_index — open addressing with linear probing over 128-bit hash prefixes. */
#include "intake_index.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
    uint64_t k0, k1;  /* first 16 bytes of the hash */
    uint64_t ordinal; /* 0 = empty slot */
} s_slot;

struct intake_index {
    s_slot *slots;
    size_t cap; /* power of two */
    size_t count;
};

static void
s_key(const unsigned char h[32], uint64_t *k0, uint64_t *k1)
{
    memcpy(k0, h, 8);
    memcpy(k1, h + 8, 8);
}

acc_err
intake_index_new(size_t hint, intake_index_t **out)
{
    intake_index_t *self = calloc(1, sizeof *self);
    if (!self)
        return ACC_ERR_NOMEM;
    size_t cap = 1024;
    while (cap < hint * 2)
        cap <<= 1;
    self->slots = calloc(cap, sizeof *self->slots);
    if (!self->slots) {
        free(self);
        return ACC_ERR_NOMEM;
    }
    self->cap = cap;
    *out = self;
    return ACC_OK;
}

void
intake_index_destroy(intake_index_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    free((*self_p)->slots);
    free(*self_p);
    *self_p = NULL;
}

static size_t
s_find(const s_slot *slots, size_t cap, uint64_t k0, uint64_t k1)
{
    /* The key is already a uniform hash: its bits index the table directly. */
    size_t i = (size_t)(k0 ^ k1) & (cap - 1);
    while (slots[i].ordinal && (slots[i].k0 != k0 || slots[i].k1 != k1))
        i = (i + 1) & (cap - 1);
    return i;
}

uint64_t
intake_index_get(const intake_index_t *self, const unsigned char hash[32])
{
    uint64_t k0, k1;
    s_key(hash, &k0, &k1);
    return self->slots[s_find(self->slots, self->cap, k0, k1)].ordinal;
}

static acc_err
s_grow(intake_index_t *self)
{
    size_t cap = self->cap * 2;
    s_slot *n = calloc(cap, sizeof *n);
    if (!n)
        return ACC_ERR_NOMEM;
    for (size_t i = 0; i < self->cap; i++) {
        const s_slot *s = &self->slots[i];
        if (s->ordinal)
            n[s_find(n, cap, s->k0, s->k1)] = *s;
    }
    free(self->slots);
    self->slots = n;
    self->cap = cap;
    return ACC_OK;
}

acc_err
intake_index_reserve(intake_index_t *self, size_t more)
{
    while ((self->count + more + 1) * 10 > self->cap * 7) {
        acc_err err = s_grow(self);
        if (err != ACC_OK)
            return err;
    }
    return ACC_OK;
}

acc_err
intake_index_put(intake_index_t *self, const unsigned char hash[32], uint64_t ordinal)
{
    if ((self->count + 1) * 10 > self->cap * 7) {
        acc_err err = s_grow(self);
        if (err != ACC_OK)
            return err;
    }
    uint64_t k0, k1;
    s_key(hash, &k0, &k1);
    size_t i = s_find(self->slots, self->cap, k0, k1);
    if (!self->slots[i].ordinal)
        self->count++;
    self->slots[i] = (s_slot){k0, k1, ordinal};
    return ACC_OK;
}

void
intake_index_clear(intake_index_t *self)
{
    memset(self->slots, 0, self->cap * sizeof *self->slots);
    self->count = 0;
}

size_t
intake_index_count(const intake_index_t *self)
{
    return self->count;
}
