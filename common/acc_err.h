/*
 * acc_err — the one error enum of accord, and a small detail record that names what is
 * wrong with an input (a field, a line) for people to read.
 *
 * Every function that can fail returns acc_err; results come back through
 * out-parameters written only on success. Foreign codes (LMDB, ZeroMQ, libconfig,
 * errno) are translated inside common/ and never leak out of it.
 */
#ifndef ACC_ERR_H
#define ACC_ERR_H

#include <stddef.h>

typedef enum {
    ACC_OK = 0,
    ACC_ERR_NOMEM,       /* allocation failed */
    ACC_ERR_INVALID,     /* bad input: a field, a value, a line (see acc_errinfo_t) */
    ACC_ERR_TOO_LARGE,   /* input over a size limit */
    ACC_ERR_UTF8,        /* text is not valid UTF-8 */
    ACC_ERR_DECODE,      /* a wire message or file does not parse */
    ACC_ERR_NOT_FOUND,   /* no such record */
    ACC_ERR_EXISTS,      /* the record is already there */
    ACC_ERR_CONFIG,      /* configuration problem (file and line in acc_errinfo_t) */
    ACC_ERR_STORE,       /* the LMDB store failed */
    ACC_ERR_FULL,        /* the store cannot grow (disk full, map limit): retry later */
    ACC_ERR_IO,          /* a file or OS call failed */
    ACC_ERR_NET,         /* a socket call failed */
    ACC_ERR_TIMEOUT,     /* no answer in time */
    ACC_ERR_UNAVAILABLE, /* the peer or service is not reachable */
    ACC_ERR_DENIED,      /* not allowed for this caller */
    ACC_ERR_INTERNAL,    /* a bug or an impossible state */
    ACC_ERR__COUNT
} acc_err;

/* acc_strerror — a short lowercase English description of @err; never NULL; static. */
const char *acc_strerror(acc_err err);

/*
 * acc_errinfo_t — what exactly was wrong, for the person who has to fix it.
 * @field names the field, key or "file:line" at fault (may be empty); @msg is a
 * lowercase English sentence without a full stop.
 */
typedef struct acc_errinfo {
    char field[128];
    char msg[384];
} acc_errinfo_t;

/* acc_errinfo_set — fill @ei (which may be NULL: then nothing happens). */
void acc_errinfo_set(acc_errinfo_t *ei, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* acc_errinfo_clear — empty @ei (may be NULL). */
void acc_errinfo_clear(acc_errinfo_t *ei);

#endif
