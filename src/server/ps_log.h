/*
 * ps_log.h — pulsorad's log: one line per event on stderr, with a UTC
 * timestamp, the level and the pid, e.g.
 *   2025-01-02T03:04:05.678Z [info] pulsorad[4242]: listening on ...
 *
 * Invariants: every line is emitted with a single write(2), so lines from
 * concurrent threads (HTTP, protocol, main) never interleave; a message is
 * truncated, never overrun, at PS_LOG_LINE_MAX bytes.  The level filter is a
 * process-wide setting read without locks (an atomic int), so logging is safe
 * from any thread.  Nothing here allocates.
 */
#ifndef PS_LOG_H
#define PS_LOG_H

#define PS_LOG_LINE_MAX 2048

/* Ordered by verbosity: a message is written when its level <= the set level. */
typedef enum ps_log_level {
	PS_LOG_ERROR = 0,
	PS_LOG_WARN = 1,
	PS_LOG_INFO = 2,
	PS_LOG_DEBUG = 3
} ps_log_level;

void		ps_log_set_level(ps_log_level level);
/* True when messages of this level are written (to skip costly formatting). */
int			ps_log_enabled(ps_log_level level);
/* "error", "warn", "info", "debug". */
const char *ps_log_level_name(ps_log_level level);

void		ps_log(ps_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
