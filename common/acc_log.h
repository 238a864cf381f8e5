/*
 * acc_log — leveled logging to stderr, one line per event, safe from several threads.
 *
 * The level check happens in the macro, before any argument is evaluated, so debug
 * logging on a hot path costs one comparison when it is off. Each service logs with
 * its own tag ("intake", "node"); the level is process-wide and set once at start
 * (it is configuration, not mutable state shared between services).
 */
#ifndef ACC_LOG_H
#define ACC_LOG_H

typedef enum { ACC_LOG_ERROR = 0, ACC_LOG_WARN, ACC_LOG_INFO, ACC_LOG_DEBUG } acc_log_level;

/* acc_log_set_level — set once at start-up, before threads start. */
void acc_log_set_level(acc_log_level level);
acc_log_level acc_log_get_level(void);
/* acc_log_parse_level — "error", "warn", "info", "debug" → level; -1 when unknown. */
int acc_log_parse_level(const char *name);

void acc_log_write(acc_log_level level, const char *tag, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define acc_log(level, tag, ...)                                                                   \
    do {                                                                                           \
        if ((level) <= acc_log_get_level())                                                        \
            acc_log_write((level), (tag), __VA_ARGS__);                                            \
    } while (0)

#define acc_log_error(tag, ...) acc_log(ACC_LOG_ERROR, tag, __VA_ARGS__)
#define acc_log_warn(tag, ...) acc_log(ACC_LOG_WARN, tag, __VA_ARGS__)
#define acc_log_info(tag, ...) acc_log(ACC_LOG_INFO, tag, __VA_ARGS__)
#define acc_log_debug(tag, ...) acc_log(ACC_LOG_DEBUG, tag, __VA_ARGS__)

#endif
