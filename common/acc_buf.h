/*
 * acc_buf — the one growable byte buffer of the tree (after Git's strbuf), and the one
 * array growth macro (after Git's ALLOC_GROW). Everything that builds text of unknown
 * length (HTTP answers, HTML pages, JSON, messages) or grows an array by appending uses
 * these instead of a hand-written realloc loop.
 *
 * Out of memory never aborts: every call that allocates returns ACC_ERR_NOMEM. A buffer
 * also remembers its first failure (acc_buf_error), and every later add is then a no-op,
 * so code that builds a page from many pieces may add without checking each call and
 * check once at the end, knowing that a failed buffer never holds a silently cut text.
 *
 * The bytes are always NUL-terminated once anything was added (acc_buf_str), and may
 * contain NUL bytes themselves (len counts them).
 */
#ifndef ACC_BUF_H
#define ACC_BUF_H

#include <stdarg.h>
#include <stddef.h>

#include "acc_err.h"

typedef struct acc_buf {
    char *buf;    /* NULL until the first byte is added; then len + 1 bytes are valid */
    size_t len;   /* bytes held, not counting the terminating NUL */
    size_t alloc; /* bytes allocated at buf */
    acc_err err;  /* the first failure (sticky), ACC_OK if none */
} acc_buf_t;

#define ACC_BUF_INIT                                                                               \
    {                                                                                              \
        NULL, 0, 0, ACC_OK                                                                         \
    }

/* acc_buf_init — make @b empty without allocating. Use on a fresh acc_buf_t (or write
 * `acc_buf_t b = ACC_BUF_INIT;`); on a buffer that holds memory, use acc_buf_release. */
void acc_buf_init(acc_buf_t *b);

/* acc_buf_release — free @b's memory and make it empty and usable again (the sticky
 * error is cleared too). NULL-safe; may be called twice. */
void acc_buf_release(acc_buf_t *b);

/* acc_buf_reset — drop the contents, keep the memory for reuse; clears the sticky
 * error. */
void acc_buf_reset(acc_buf_t *b);

/* acc_buf_grow — make room for @extra more bytes (and the NUL) without changing the
 * contents, so that the next adds of up to @extra bytes do not allocate.
 * Errors: ACC_ERR_NOMEM (also when len + extra would overflow), or the sticky error. */
acc_err acc_buf_grow(acc_buf_t *b, size_t extra);

/* acc_buf_add — append @data[0..@len) (may contain NUL bytes; @data may be NULL when
 * @len is 0). Errors: as acc_buf_grow; on error @b is unchanged but for its sticky
 * error. */
acc_err acc_buf_add(acc_buf_t *b, const void *data, size_t len);

/* acc_buf_adds — append the C string @s. Errors: as acc_buf_add. */
acc_err acc_buf_adds(acc_buf_t *b, const char *s);

/* acc_buf_addch — append one byte. Errors: as acc_buf_add. */
acc_err acc_buf_addch(acc_buf_t *b, char c);

/* acc_buf_addf — append printf-style output, of any length (never cut).
 * Errors: as acc_buf_add; ACC_ERR_INVALID when vsnprintf fails (a bad format). */
acc_err acc_buf_addf(acc_buf_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* acc_buf_vaddf — acc_buf_addf with a va_list (not consumed: it is copied). */
acc_err acc_buf_vaddf(acc_buf_t *b, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

/* acc_buf_str — the contents as a C string: "" (a static empty string, not to be
 * written) before anything was added. Borrowed: valid until the next call that changes
 * @b. */
const char *acc_buf_str(const acc_buf_t *b);

/* acc_buf_error — the first failure since init/reset/release, ACC_OK if none. */
acc_err acc_buf_error(const acc_buf_t *b);

/*
 * acc_buf_detach — hand the contents over: returns a malloc'd NUL-terminated string
 * (the caller frees it) and its length in *@len (may be NULL); @b is empty afterwards.
 * An empty buffer gives a newly allocated "". Returns NULL (and releases @b) when the
 * buffer failed earlier or the allocation fails: a caller never gets a partial text.
 */
char *acc_buf_detach(acc_buf_t *b, size_t *len);

/*
 * ACC_ALLOC_GROW(ptr, nr, alloc) — make the array @ptr (any element type; NULL for none)
 * hold at least @nr elements, where @alloc (a size_t lvalue) counts the elements
 * allocated. Grows by about half again (Git's alloc_nr) so that appending one by one
 * costs amortised O(1). Evaluates to ACC_OK, or ACC_ERR_NOMEM (also on overflow) with
 * @ptr and @alloc unchanged, so the caller still owns and frees the old array.
 * @ptr and @nr are evaluated more than once. Typical use:
 *
 *     if (ACC_ALLOC_GROW(items, n + 1, cap) != ACC_OK)
 *         goto out;
 *     items[n++] = item;
 */
#define ACC_ALLOC_GROW(ptr, nr, alloc)                                                             \
    ((size_t)(nr) <= (alloc) ? ACC_OK                                                              \
                             : acc_alloc_grow_(&(ptr), sizeof *(ptr), (size_t)(nr), &(alloc)))

/* acc_alloc_grow_ — the body of ACC_ALLOC_GROW; call the macro, not this. @ptr_p points
 * at the caller's array pointer (of any object pointer type). */
acc_err acc_alloc_grow_(void *ptr_p, size_t elem_size, size_t nr, size_t *alloc);

#endif
