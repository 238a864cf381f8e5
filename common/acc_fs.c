/* acc_fs — see acc_fs.h. */
#include "acc_fs.h"

#include <errno.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>

acc_err
acc_fs_mkdirs(const char *dir, const char *what, const char *field, acc_errinfo_t *ei)
{
    char buf[PATH_MAX];
    size_t n = strlen(dir);
    if (n == 0 || n >= sizeof buf) {
        acc_errinfo_set(ei, field, "%s '%s' has a bad length", what, dir);
        return ACC_ERR_INVALID;
    }
    memcpy(buf, dir, n + 1);
    /* Cut the path at each '/' in turn (and at its end) and create that prefix; the
     * leading '/' of an absolute path is skipped. */
    for (char *p = buf + 1;; p++) {
        if (*p != '/' && *p != '\0')
            continue;
        char c = *p;
        *p = '\0';
        if (mkdir(buf, 0700) != 0 && errno != EEXIST) {
            acc_errinfo_set(ei, field, "cannot create directory '%s': %s", buf, strerror(errno));
            return ACC_ERR_IO;
        }
        *p = c;
        if (c == '\0')
            break;
    }
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        acc_errinfo_set(ei, field, "%s '%s' is not a directory", what, dir);
        return ACC_ERR_IO;
    }
    return ACC_OK;
}
