/* acc_time — see acc_time.h. */
#include "acc_time.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static int64_t
s_clock_ms(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t
acc_time_now_ms(void)
{
    return s_clock_ms(CLOCK_REALTIME);
}

int64_t
acc_time_mono_ms(void)
{
    return s_clock_ms(CLOCK_MONOTONIC);
}

/* --- calendar ------------------------------------------------------------------------ */

static bool
s_is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* s_digits — @n decimal digits at @s into *@out; false when one is not a digit. */
static bool
s_digits(const char *s, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (!s_is_digit(s[i]))
            return false;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return true;
}

static bool
s_is_leap(int64_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int
s_days_in_month(int64_t y, int m)
{
    static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && s_is_leap(y) ? 29 : days[m - 1];
}

/* s_days_from_civil — days since 1970-01-01 of a proleptic Gregorian date. Counting years
 * from March makes the leap day the last day of its year, so a 400-year era has a fixed
 * shape and no table or time zone is needed. */
static int64_t
s_days_from_civil(int64_t y, int m, int d)
{
    if (m <= 2)
        y -= 1;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;                         /* 0..399 */
    int64_t mp = m > 2 ? m - 3 : m + 9;                  /* March = 0 */
    int64_t doy = (153 * mp + 2) / 5 + d - 1;            /* 0..365 */
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy; /* 0..146096 */
    return era * 146097 + doe - 719468; /* 719468: days from 0000-03-01 to 1970-01-01 */
}

/* s_civil_from_days — the inverse of s_days_from_civil. */
static void
s_civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;                                      /* 0..146096 */
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365; /* 0..399 */
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);               /* 0..365 */
    int64_t mp = (5 * doy + 2) / 153;                                    /* 0..11 */
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

/* --- RFC 3339 ------------------------------------------------------------------------ */

acc_err
acc_time_parse_rfc3339(const char *s, int64_t *out_ms)
{
    if (!s)
        return ACC_ERR_INVALID;
    size_t n = strlen(s);
    int year, mon, day, hour, min, sec;
    /* "YYYY-MM-DDTHH:MM:SS" is 19 bytes; the shortest full form adds "Z". */
    if (n < 20 || !s_digits(s, 4, &year) || s[4] != '-' || !s_digits(s + 5, 2, &mon) ||
        s[7] != '-' || !s_digits(s + 8, 2, &day) ||
        (s[10] != 'T' && s[10] != 't' && s[10] != ' ') || !s_digits(s + 11, 2, &hour) ||
        s[13] != ':' || !s_digits(s + 14, 2, &min) || s[16] != ':' || !s_digits(s + 17, 2, &sec))
        return ACC_ERR_INVALID;
    if (mon < 1 || mon > 12 || day < 1 || day > s_days_in_month(year, mon) || hour > 23 ||
        min > 59 || sec > 60)
        return ACC_ERR_INVALID;
    size_t i = 19;
    int ms = 0;
    if (s[i] == '.') {
        i++;
        size_t start = i;
        /* Digits past milliseconds are dropped, not rounded: rounding could carry into
         * the next second, day or year. */
        while (s_is_digit(s[i])) {
            if (i - start < 3)
                ms = ms * 10 + (s[i] - '0');
            i++;
        }
        size_t nd = i - start;
        if (nd == 0)
            return ACC_ERR_INVALID;
        for (size_t k = nd; k < 3; k++)
            ms *= 10;
    }
    int64_t off_min = 0;
    if (s[i] == 'Z' || s[i] == 'z') {
        i++;
    } else if (s[i] == '+' || s[i] == '-') {
        int oh, om;
        if (n - i < 6 || !s_digits(s + i + 1, 2, &oh) || s[i + 3] != ':' ||
            !s_digits(s + i + 4, 2, &om) || oh > 23 || om > 59)
            return ACC_ERR_INVALID;
        off_min = (int64_t)oh * 60 + om;
        if (s[i] == '-')
            off_min = -off_min;
        i += 6;
    } else {
        return ACC_ERR_INVALID;
    }
    if (i != n)
        return ACC_ERR_INVALID;
    int64_t days = s_days_from_civil(year, mon, day);
    /* A leap second (:60) counts as the first second of the next minute. */
    int64_t secs = days * 86400 + (int64_t)hour * 3600 + (int64_t)min * 60 + sec - off_min * 60;
    *out_ms = secs * 1000 + ms;
    return ACC_OK;
}

void
acc_time_format_rfc3339(int64_t ms, char *buf, size_t buflen)
{
    if (!buf || buflen == 0)
        return;
    /* Floor division: times before 1970 still have a non-negative time of day. */
    int64_t days = ms / 86400000, rem = ms % 86400000;
    if (rem < 0) {
        days -= 1;
        rem += 86400000;
    }
    int64_t y;
    int m, d;
    s_civil_from_days(days, &y, &m, &d);
    int64_t secs = rem / 1000;
    snprintf(buf, buflen, "%04lld-%02d-%02dT%02d:%02d:%02d.%03dZ", (long long)y, m, d,
             (int)(secs / 3600), (int)(secs / 60 % 60), (int)(secs % 60), (int)(rem % 1000));
}
