/* acc_log — see acc_log.h. */
#include "acc_log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* Process-wide verbosity: written once before any service thread starts, read after.
 * This is the one piece of process state besides the stop flag (see STYLE.md). */
static acc_log_level s_level = ACC_LOG_INFO;

void
acc_log_set_level(acc_log_level level)
{
    s_level = level;
}

acc_log_level
acc_log_get_level(void)
{
    return s_level;
}

int
acc_log_parse_level(const char *name)
{
    static const char *const names[] = {"error", "warn", "info", "debug"};
    for (int i = 0; i < 4; i++)
        if (name && strcmp(name, names[i]) == 0)
            return i;
    return -1;
}

void
acc_log_write(acc_log_level level, const char *tag, const char *fmt, ...)
{
    static const char *const lv[] = {"ERROR", "WARN", "INFO", "DEBUG"};
    char line[2048];
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    int n = snprintf(line, sizeof line,
                     "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %-5s %s: ", tm.tm_year + 1900,
                     tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                     ts.tv_nsec / 1000000L, lv[level], tag ? tag : "-");
    if (n < 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line + n, sizeof line - (size_t)n, fmt, ap);
    va_end(ap);
    /* One fputs per line: stdio locks the stream, so lines from threads never mix. */
    size_t len = strlen(line);
    if (len + 2 > sizeof line)
        len = sizeof line - 2;
    line[len] = '\n';
    line[len + 1] = '\0';
    fputs(line, stderr);
}
