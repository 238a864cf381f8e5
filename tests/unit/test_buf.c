/*
 * Unit tests for acc_buf: appending bytes, strings and formatted text of any length, the
 * sticky error, detach, reset and release, and ACC_ALLOC_GROW (growth, overflow, the
 * caller's array kept on failure).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "acc_buf.h"

static void
test_empty(void **state)
{
    (void)state;
    acc_buf_t b = ACC_BUF_INIT;
    assert_string_equal(acc_buf_str(&b), "");
    assert_int_equal(b.len, 0);
    assert_null(b.buf); /* nothing allocated until something is added */
    assert_int_equal(acc_buf_error(&b), ACC_OK);
    size_t len = 99;
    char *p = acc_buf_detach(&b, &len);
    assert_non_null(p);
    assert_string_equal(p, "");
    assert_int_equal(len, 0);
    free(p);
    acc_buf_release(&b);
    acc_buf_release(&b); /* twice is fine */
    acc_buf_release(NULL);
}

static void
test_add(void **state)
{
    (void)state;
    acc_buf_t b;
    acc_buf_init(&b);
    assert_int_equal(acc_buf_adds(&b, "abc"), ACC_OK);
    assert_int_equal(acc_buf_addch(&b, '-'), ACC_OK);
    assert_int_equal(acc_buf_add(&b, "x\0y", 3), ACC_OK); /* NUL bytes are kept */
    assert_int_equal(acc_buf_add(&b, NULL, 0), ACC_OK);
    assert_int_equal(b.len, 7);
    assert_memory_equal(b.buf, "abc-x\0y", 8); /* and terminated */
    assert_true(b.alloc > b.len);

    /* Many small adds: the contents stay right across growth. */
    acc_buf_reset(&b);
    assert_int_equal(b.len, 0);
    assert_string_equal(acc_buf_str(&b), "");
    for (int i = 0; i < 10000; i++)
        assert_int_equal(acc_buf_addch(&b, (char)('a' + i % 26)), ACC_OK);
    assert_int_equal(b.len, 10000);
    for (int i = 0; i < 10000; i++)
        assert_int_equal(b.buf[i], 'a' + i % 26);
    assert_int_equal(b.buf[10000], '\0');
    acc_buf_release(&b);
    assert_null(b.buf);
    assert_int_equal(b.len, 0);
}

static void
test_addf(void **state)
{
    (void)state;
    acc_buf_t b = ACC_BUF_INIT;
    assert_int_equal(acc_buf_addf(&b, "%d-%s", 42, "x"), ACC_OK);
    assert_string_equal(acc_buf_str(&b), "42-x");
    /* Longer than any fixed buffer: never cut. */
    char *big = malloc(5001);
    assert_non_null(big);
    memset(big, 'z', 5000);
    big[5000] = '\0';
    assert_int_equal(acc_buf_addf(&b, "[%s]", big), ACC_OK);
    assert_int_equal(b.len, 4 + 5002);
    assert_int_equal(b.buf[4], '[');
    assert_int_equal(b.buf[5005], ']');
    assert_int_equal(b.buf[5006], '\0');
    /* Formatting into room that is already there. */
    assert_int_equal(acc_buf_grow(&b, 100), ACC_OK);
    size_t alloc = b.alloc;
    assert_int_equal(acc_buf_addf(&b, "%s", "tail"), ACC_OK);
    assert_int_equal(b.alloc, alloc);
    assert_string_equal(b.buf + 5006, "tail");
    free(big);

    size_t len = 0;
    char *p = acc_buf_detach(&b, &len);
    assert_int_equal(len, 5010);
    assert_int_equal(strlen(p), 5010);
    assert_null(b.buf); /* empty and usable again */
    assert_int_equal(acc_buf_adds(&b, "again"), ACC_OK);
    assert_string_equal(acc_buf_str(&b), "again");
    free(p);
    acc_buf_release(&b);
}

static void
test_sticky_error(void **state)
{
    (void)state;
    acc_buf_t b = ACC_BUF_INIT;
    assert_int_equal(acc_buf_adds(&b, "kept"), ACC_OK);
    /* A size that cannot be allocated fails, and leaves the contents as they were. */
    assert_int_equal(acc_buf_grow(&b, SIZE_MAX - 2), ACC_ERR_NOMEM);
    assert_string_equal(acc_buf_str(&b), "kept");
    assert_int_equal(acc_buf_error(&b), ACC_ERR_NOMEM);
    /* Later adds are no-ops that report the first failure. */
    assert_int_equal(acc_buf_adds(&b, "more"), ACC_ERR_NOMEM);
    assert_int_equal(acc_buf_addf(&b, "%d", 1), ACC_ERR_NOMEM);
    assert_string_equal(acc_buf_str(&b), "kept");
    /* A failed buffer never hands out a partial text. */
    assert_null(acc_buf_detach(&b, NULL));
    assert_null(b.buf);
    assert_int_equal(acc_buf_error(&b), ACC_OK);
    /* reset clears the error and keeps the buffer usable. */
    assert_int_equal(acc_buf_adds(&b, "x"), ACC_OK);
    assert_int_equal(acc_buf_grow(&b, SIZE_MAX), ACC_ERR_NOMEM);
    acc_buf_reset(&b);
    assert_int_equal(acc_buf_error(&b), ACC_OK);
    assert_int_equal(acc_buf_adds(&b, "y"), ACC_OK);
    assert_string_equal(acc_buf_str(&b), "y");
    acc_buf_release(&b);
}

typedef struct {
    int a;
    double b;
} s_item;

static void
test_alloc_grow(void **state)
{
    (void)state;
    s_item *items = NULL;
    size_t n = 0, cap = 0;
    for (int i = 0; i < 1000; i++) {
        assert_int_equal(ACC_ALLOC_GROW(items, n + 1, cap), ACC_OK);
        assert_true(cap >= n + 1);
        items[n++] = (s_item){i, i * 0.5};
    }
    for (int i = 0; i < 1000; i++)
        assert_int_equal(items[i].a, i);
    /* Growing by half again: far fewer reallocations than elements. */
    assert_true(cap < 2000);
    /* Enough room already: nothing changes. */
    s_item *before = items;
    size_t cap_before = cap;
    assert_int_equal(ACC_ALLOC_GROW(items, 10, cap), ACC_OK);
    assert_ptr_equal(items, before);
    assert_int_equal(cap, cap_before);
    /* Overflow: refused, and the caller still has its array. */
    assert_int_equal(ACC_ALLOC_GROW(items, SIZE_MAX / 2, cap), ACC_ERR_NOMEM);
    assert_ptr_equal(items, before);
    assert_int_equal(cap, cap_before);
    assert_int_equal(items[999].a, 999);
    free(items);

    /* A jump past the growth step gets exactly what was asked. */
    char *bytes = NULL;
    size_t bcap = 0;
    assert_int_equal(ACC_ALLOC_GROW(bytes, 100000, bcap), ACC_OK);
    assert_int_equal(bcap, 100000);
    free(bytes);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty),      cmocka_unit_test(test_add),
        cmocka_unit_test(test_addf),       cmocka_unit_test(test_sticky_error),
        cmocka_unit_test(test_alloc_grow),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
