/* acc_err — error strings and error detail records. */
#include "acc_err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const char *const s_names[ACC_ERR__COUNT] = {
    [ACC_OK] = "success",
    [ACC_ERR_NOMEM] = "out of memory",
    [ACC_ERR_INVALID] = "invalid input",
    [ACC_ERR_TOO_LARGE] = "input too large",
    [ACC_ERR_UTF8] = "invalid utf-8",
    [ACC_ERR_DECODE] = "malformed message",
    [ACC_ERR_NOT_FOUND] = "not found",
    [ACC_ERR_EXISTS] = "already exists",
    [ACC_ERR_CONFIG] = "configuration error",
    [ACC_ERR_STORE] = "store failure",
    [ACC_ERR_FULL] = "store full, retry later",
    [ACC_ERR_IO] = "i/o error",
    [ACC_ERR_NET] = "network error",
    [ACC_ERR_TIMEOUT] = "timed out",
    [ACC_ERR_UNAVAILABLE] = "unavailable",
    [ACC_ERR_DENIED] = "permission denied",
    [ACC_ERR_INTERNAL] = "internal error",
};

const char *
acc_strerror(acc_err err)
{
    if ((int)err < 0 || err >= ACC_ERR__COUNT || !s_names[err])
        return "unknown error";
    return s_names[err];
}

void
acc_errinfo_set(acc_errinfo_t *ei, const char *field, const char *fmt, ...)
{
    if (!ei)
        return;
    snprintf(ei->field, sizeof ei->field, "%s", field ? field : "");
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ei->msg, sizeof ei->msg, fmt, ap);
    va_end(ap);
}

void
acc_errinfo_clear(acc_errinfo_t *ei)
{
    if (!ei)
        return;
    ei->field[0] = '\0';
    ei->msg[0] = '\0';
}
