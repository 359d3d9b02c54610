/*
 * ps_error.h — error codes and error reports shared by every Pulsora module.
 *
 * Every fallible function returns a ps_status and, when given a non-NULL
 * ps_error, fills it with the code, a human-readable message and, for input
 * errors, the 1-based line and column at fault (0 when not applicable).
 * A ps_error is a plain value: it owns no heap memory, so it may be copied,
 * stack-allocated and discarded freely.  Codes are stable: they travel over
 * the native protocol, so new codes are only ever appended.
 */
#ifndef PS_ERROR_H
#define PS_ERROR_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

typedef enum ps_status {
	PS_OK = 0,
	PS_EINVAL = 1,		/* bad argument, option or input value */
	PS_ENOTFOUND = 2,	/* no such table or column */
	PS_EEXISTS = 3,		/* object already exists */
	PS_EBUSY = 4,		/* a conflicting operation is in progress */
	PS_ENOMEM = 5,		/* allocation failed */
	PS_EIO = 6,			/* operating system or storage I/O error */
	PS_ECORRUPT = 7,	/* stored data fails validation */
	PS_ELOCKED = 8,		/* data directory owned by another process */
	PS_ETOOBIG = 9,		/* a size limit was exceeded */
	PS_EPROTO = 10,		/* malformed native-protocol frame */
	PS_ESCHEMA = 11,	/* input does not match the table's schema */
	PS_EBADROW = 12,	/* a CSV/input row could not be converted */
	PS_ETIME = 13,		/* time value unparsable or out of range */
	PS_EPERM = 14,		/* not allowed (auth, privilege) */
	PS_ECONN = 15,		/* connection to the owner failed or was lost */
	PS_EINTERNAL = 16,	/* a bug: should never happen */
	PS_EFORMAT = 17		/* the store is of an older format: upgrade it */
} ps_status;

#define PS_ERROR_MESSAGE_MAX 512

typedef struct ps_error {
	ps_status	code;
	int64_t		line;		/* 1-based input line, 0 if none */
	int32_t		column;		/* 1-based input column, 0 if none */
	char		message[PS_ERROR_MESSAGE_MAX];
} ps_error;

/* Short, static, lower-case description of a code ("table not found"). */
const char *ps_strerror(ps_status code);

/* Reset err (if non-NULL) to PS_OK with an empty message. */
void ps_error_clear(ps_error *err);

/*
 * Record an error in err (if non-NULL) and return code, so callers can write
 * `return ps_error_set(err, PS_EINVAL, "bad %s", x);`.  line/column are reset
 * to 0; use ps_error_set_at to name a position.  err->message may itself be
 * an argument, to add context: ps_error_set(err, c, "table t: %s", err->message).
 * Messages longer than PS_ERROR_MESSAGE_MAX - 1 bytes are truncated.
 */
ps_status ps_error_set(ps_error *err, ps_status code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
ps_status ps_error_set_at(ps_error *err, ps_status code, int64_t line,
						  int32_t column, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
ps_status ps_error_vset(ps_error *err, ps_status code, const char *fmt,
						va_list ap)
	__attribute__((format(printf, 3, 0)));

/*
 * Quote untrusted input s[0..len) for an error message: surrounded by double
 * quotes, at most PS_ERROR_QUOTE_INPUT bytes of it (then "..."), with '"',
 * '\\' and every byte outside printable ASCII escaped (\xNN).  Writes the
 * NUL-terminated result into out (caller-owned, PS_ERROR_QUOTE_MAX bytes) and
 * returns out, so it can be passed straight to a "%s".  s may be NULL when
 * len is 0.
 */
#define PS_ERROR_QUOTE_INPUT 64
#define PS_ERROR_QUOTE_MAX (2 + 4 * PS_ERROR_QUOTE_INPUT + 3 + 1)
char	   *ps_error_quote(const char *s, size_t len, char out[PS_ERROR_QUOTE_MAX]);

#endif
