/* acc_buf — see acc_buf.h. */
#include "acc_buf.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Git's alloc_nr: half as much again, plus a little so that small arrays do not grow
 * one element at a time. */
static size_t
s_alloc_nr(size_t x)
{
    return x > (SIZE_MAX / 3) * 2 - 16 ? SIZE_MAX : (x + 16) * 3 / 2;
}

acc_err
acc_alloc_grow_(void *ptr_p, size_t elem_size, size_t nr, size_t *alloc)
{
    if (nr <= *alloc)
        return ACC_OK;
    size_t n = s_alloc_nr(*alloc);
    if (n < nr)
        n = nr;
    if (elem_size && n > SIZE_MAX / elem_size)
        return ACC_ERR_NOMEM;
    /* The caller's pointer is read and written through memcpy: it may be a T * of any
     * object type, which has the representation of a void * on every platform we build
     * for, and this keeps the macro free of casts to void **. */
    void *old, *p;
    memcpy(&old, ptr_p, sizeof old);
    size_t bytes = n * elem_size;
    p = realloc(old, bytes != 0 ? bytes : 1);
    if (!p)
        return ACC_ERR_NOMEM;
    memcpy(ptr_p, &p, sizeof p);
    *alloc = n;
    return ACC_OK;
}

void
acc_buf_init(acc_buf_t *b)
{
    b->buf = NULL;
    b->len = 0;
    b->alloc = 0;
    b->err = ACC_OK;
}

void
acc_buf_release(acc_buf_t *b)
{
    if (!b)
        return;
    free(b->buf);
    acc_buf_init(b);
}

void
acc_buf_reset(acc_buf_t *b)
{
    b->len = 0;
    if (b->buf)
        b->buf[0] = '\0';
    b->err = ACC_OK;
}

acc_err
acc_buf_grow(acc_buf_t *b, size_t extra)
{
    if (b->err != ACC_OK)
        return b->err;
    if (extra > SIZE_MAX - 1 - b->len) {
        b->err = ACC_ERR_NOMEM;
        return b->err;
    }
    if (ACC_ALLOC_GROW(b->buf, b->len + extra + 1, b->alloc) != ACC_OK) {
        b->err = ACC_ERR_NOMEM;
        return b->err;
    }
    return ACC_OK;
}

acc_err
acc_buf_add(acc_buf_t *b, const void *data, size_t len)
{
    acc_err err = acc_buf_grow(b, len);
    if (err != ACC_OK)
        return err;
    if (len)
        memcpy(b->buf + b->len, data, len);
    b->len += len;
    b->buf[b->len] = '\0';
    return ACC_OK;
}

acc_err
acc_buf_adds(acc_buf_t *b, const char *s)
{
    return acc_buf_add(b, s, strlen(s));
}

acc_err
acc_buf_addch(acc_buf_t *b, char c)
{
    return acc_buf_add(b, &c, 1);
}

acc_err
acc_buf_vaddf(acc_buf_t *b, const char *fmt, va_list ap)
{
    if (b->err != ACC_OK)
        return b->err;
    /* Try in the room there is; if the text is longer, grow to its length and print
     * again. */
    size_t room = b->alloc > b->len ? b->alloc - b->len : 0;
    va_list cp;
    va_copy(cp, ap);
    int n = vsnprintf(room ? b->buf + b->len : NULL, room, fmt, cp);
    va_end(cp);
    if (n < 0) {
        if (b->buf)
            b->buf[b->len] = '\0';
        b->err = ACC_ERR_INVALID;
        return b->err;
    }
    if ((size_t)n >= room) {
        acc_err err = acc_buf_grow(b, (size_t)n);
        if (err != ACC_OK) {
            if (b->buf)
                b->buf[b->len] = '\0';
            return err;
        }
        va_copy(cp, ap);
        vsnprintf(b->buf + b->len, (size_t)n + 1, fmt, cp);
        va_end(cp);
    }
    b->len += (size_t)n;
    return ACC_OK;
}

acc_err
acc_buf_addf(acc_buf_t *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    acc_err err = acc_buf_vaddf(b, fmt, ap);
    va_end(ap);
    return err;
}

const char *
acc_buf_str(const acc_buf_t *b)
{
    return b->buf ? b->buf : "";
}

acc_err
acc_buf_error(const acc_buf_t *b)
{
    return b->err;
}

char *
acc_buf_detach(acc_buf_t *b, size_t *len)
{
    if (b->err != ACC_OK || (!b->buf && acc_buf_grow(b, 0) != ACC_OK)) {
        acc_buf_release(b);
        return NULL;
    }
    b->buf[b->len] = '\0';
    char *p = b->buf;
    if (len)
        *len = b->len;
    acc_buf_init(b);
    return p;
}
