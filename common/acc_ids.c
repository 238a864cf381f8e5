/* acc_ids — see acc_ids.h. */
#include "acc_ids.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

bool
acc_ids_slug_valid(const char *s, size_t min_len, size_t max_len)
{
    if (!s)
        return false;
    size_t len = strlen(s);
    if (len < min_len || len > max_len || len == 0)
        return false;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || (i > 0 && c == '-');
        if (!ok)
            return false;
    }
    return true;
}

bool
acc_agency_valid(const char *id)
{
    return acc_ids_slug_valid(id, 2, ACC_AGENCY_MAX);
}

static int
s_hex(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

acc_err
acc_uuid_parse(const char *s, size_t len, acc_uuid_t *out)
{
    if (!s || len != ACC_UUID_TEXT_LEN)
        return ACC_ERR_INVALID;
    acc_uuid_t u;
    size_t j = 0;
    for (size_t i = 0; i < len;) {
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (s[i] != '-')
                return ACC_ERR_INVALID;
            i++;
            continue;
        }
        int hi = s_hex((unsigned char)s[i]), lo = s_hex((unsigned char)s[i + 1]);
        if (hi < 0 || lo < 0)
            return ACC_ERR_INVALID;
        u.b[j++] = (unsigned char)(hi << 4 | lo);
        i += 2;
    }
    *out = u;
    return ACC_OK;
}

void
acc_uuid_format(const acc_uuid_t *u, char out[ACC_UUID_TEXT_LEN + 1])
{
    static const char hex[] = "0123456789abcdef";
    size_t o = 0;
    for (size_t i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            out[o++] = '-';
        out[o++] = hex[u->b[i] >> 4];
        out[o++] = hex[u->b[i] & 15];
    }
    out[o] = '\0';
}

int64_t
acc_ids_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
acc_uuid_v7(acc_uuid_gen_t *gen, acc_uuid_t *out)
{
    int64_t ms = acc_ids_now_ms();
    if (ms <= gen->last_ms) {
        /* Same (or an earlier: clock stepped back) millisecond: keep the order by
         * counting within the last one; move on to the next ms when the counter is full. */
        ms = gen->last_ms;
        if (++gen->counter > 0xfff) {
            ms++;
            gen->counter = 0;
        }
    } else {
        gen->counter = 0;
    }
    gen->last_ms = ms;
    unsigned char r[8];
    randombytes_buf(r, sizeof r);
    uint64_t t = (uint64_t)ms;
    for (int i = 0; i < 6; i++)
        out->b[i] = (unsigned char)(t >> (40 - 8 * i));
    out->b[6] = (unsigned char)(0x70 | ((gen->counter >> 8) & 0x0f));
    out->b[7] = (unsigned char)(gen->counter & 0xff);
    out->b[8] = (unsigned char)(0x80 | (r[0] & 0x3f));
    memcpy(out->b + 9, r + 1, 7);
}

int
acc_ids_year(int64_t ms, int64_t offset_min)
{
    time_t t = (time_t)((ms + offset_min * 60000) / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    return tm.tm_year + 1900;
}

acc_err
acc_case_number_format(const char *agency, int year, uint64_t n, char *buf, size_t buflen)
{
    int w = snprintf(buf, buflen, "%s/%04d/%06llu", agency, year, (unsigned long long)n);
    if (w < 0 || (size_t)w >= buflen)
        return ACC_ERR_TOO_LARGE;
    return ACC_OK;
}

int
acc_case_number_valid(const char *s)
{
    /* agency id, '/', 4-digit year, '/', at least 6 digits */
    const char *a = strchr(s, '/');
    if (!a || a == s || a - s > 32)
        return 0;
    for (const char *p = s; p < a; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-'))
            return 0;
    const char *y = a + 1;
    for (int i = 0; i < 4; i++)
        if (y[i] < '0' || y[i] > '9')
            return 0;
    if (y[4] != '/')
        return 0;
    const char *n = y + 5;
    size_t digits = 0;
    for (; *n; n++, digits++)
        if (*n < '0' || *n > '9')
            return 0;
    return digits >= 6 && digits <= 20;
}
