/*
 * acc_fs — small file-system steps shared by the modules that own a directory: the store
 * (acc_store: the LMDB environment) and notification (the spool of removal requests).
 * The data itself is written by those modules; this only prepares where it goes.
 */
#ifndef ACC_FS_H
#define ACC_FS_H

#include "acc_err.h"

/*
 * acc_fs_mkdirs — "mkdir -p" for @dir: create each missing component with mode 0700
 * (accord's directories hold case data and keys: nobody else reads them), leave existing
 * ones as they are, and check that @dir is a directory at the end.
 * @what names the directory for people ("store directory", "spool directory") and @field
 * is the errinfo field for a failure (the config key, or the path itself).
 * Errors: ACC_ERR_INVALID when @dir is empty or not shorter than PATH_MAX;
 * ACC_ERR_IO when a component cannot be created or @dir is not a directory
 * (@ei says which component and why). @ei may be NULL.
 */
acc_err acc_fs_mkdirs(const char *dir, const char *what, const char *field, acc_errinfo_t *ei);

#endif
