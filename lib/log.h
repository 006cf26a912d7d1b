/*
 * log.h - logfmt lines like Prometheus's:
 *   ts=2026-11-25T13:45:01.123Z caller=... level=info component=tsdb msg="..." key=value
 * Keys and values are passed as alternating strings after msg, ending in NULL:
 *   log_info("wal", "Replaying WAL", "segments", "3", NULL);
 * Level and format (logfmt or json) are process-wide settings of the binary
 * (set once at start by cmd/, read-only after).
 */
#ifndef FL_LOG_H
#define FL_LOG_H

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR };

/* Returns 0, or -1 if name is not debug|info|warn|error. */
int log_set_level_name(const char *name);
/* Returns 0, or -1 if name is not logfmt|json. */
int log_set_format_name(const char *name);
void log_set_level(enum log_level l);
enum log_level log_get_level(void);

void log_kv(enum log_level l, const char *component, const char *msg, ...) __attribute__((sentinel));
#define log_debug(c, m, ...) log_kv(LOG_DEBUG, c, m, __VA_ARGS__)
#define log_info(c, m, ...) log_kv(LOG_INFO, c, m, __VA_ARGS__)
#define log_warn(c, m, ...) log_kv(LOG_WARN, c, m, __VA_ARGS__)
#define log_error(c, m, ...) log_kv(LOG_ERROR, c, m, __VA_ARGS__)

#endif
