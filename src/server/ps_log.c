/*
 * ps_log.c — timestamped, levelled log lines on stderr for pulsorad.
 *
 * Invariants: see ps_log.h — one write(2) per line, bounded line length,
 * lock-free level check, no allocation (safe in any thread; not used from
 * signal handlers, which pulsorad does not have).
 */
#include "ps_log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int	log_level = PS_LOG_INFO;

void
ps_log_set_level(ps_log_level level)
{
	__atomic_store_n(&log_level, (int) level, __ATOMIC_RELAXED);
}

int
ps_log_enabled(ps_log_level level)
{
	return (int) level <= __atomic_load_n(&log_level, __ATOMIC_RELAXED);
}

const char *
ps_log_level_name(ps_log_level level)
{
	switch (level)
	{
		case PS_LOG_ERROR: return "error";
		case PS_LOG_WARN: return "warn";
		case PS_LOG_INFO: return "info";
		case PS_LOG_DEBUG: return "debug";
	}
	return "?";
}

void
ps_log(ps_log_level level, const char *fmt, ...)
{
	char		line[PS_LOG_LINE_MAX];
	struct timespec now;
	struct tm	tm;
	size_t		n;
	int			r;
	va_list		ap;

	if (!ps_log_enabled(level))
		return;
	clock_gettime(CLOCK_REALTIME, &now);
	gmtime_r(&now.tv_sec, &tm);
	n = strftime(line, sizeof line, "%Y-%m-%dT%H:%M:%S", &tm);
	r = snprintf(line + n, sizeof line - n, ".%03ldZ [%s] pulsorad[%ld]: ",
				 now.tv_nsec / 1000000, ps_log_level_name(level), (long) getpid());
	n += (size_t) (r > 0 ? r : 0);
	va_start(ap, fmt);
	r = vsnprintf(line + n, sizeof line - n, fmt, ap);
	va_end(ap);
	/* On truncation keep what fits, leaving room for the newline. */
	if (r > 0)
		n = (n + (size_t) r < sizeof line - 1) ? n + (size_t) r : sizeof line - 2;
	line[n++] = '\n';
	/* A log that cannot be written has nowhere to report that. */
	if (write(STDERR_FILENO, line, n) < 0)
		return;
}
