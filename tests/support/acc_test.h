/* Test support for cmocka unit tests: temporary directories removed at the end. */
#ifndef ACC_TEST_H
#define ACC_TEST_H

#include <stddef.h>

/* acc_test_tmpdir — create a fresh directory under $TMPDIR (or /tmp); returns a malloc'd
 * path. Aborts the test on failure. */
char *acc_test_tmpdir(void);

/* acc_test_rmtree — remove @path recursively and free it; NULL-safe. */
void acc_test_rmtree(char *path);

#endif
