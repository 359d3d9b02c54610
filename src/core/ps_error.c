/*
 * ps_error.c — descriptions of status codes and filling of ps_error reports.
 *
 * Invariants: every ps_status has a static description; a filled ps_error
 * always holds a NUL-terminated message of at most PS_ERROR_MESSAGE_MAX-1
 * bytes (longer messages are truncated, never overrun); every setter accepts
 * a NULL err and still returns the code it was given.
 */
#include "ps_error.h"

#include <stdio.h>
#include <string.h>

const char *
ps_strerror(ps_status code)
{
	switch (code)
	{
		case PS_OK: return "success";
		case PS_EINVAL: return "invalid argument";
		case PS_ENOTFOUND: return "not found";
		case PS_EEXISTS: return "already exists";
		case PS_EBUSY: return "busy";
		case PS_ENOMEM: return "out of memory";
		case PS_EIO: return "i/o error";
		case PS_ECORRUPT: return "data corrupt";
		case PS_ELOCKED: return "data directory locked by another process";
		case PS_ETOOBIG: return "size limit exceeded";
		case PS_EPROTO: return "protocol error";
		case PS_ESCHEMA: return "schema mismatch";
		case PS_EBADROW: return "bad row";
		case PS_ETIME: return "invalid time";
		case PS_EPERM: return "permission denied";
		case PS_ECONN: return "connection failed";
		case PS_EINTERNAL: return "internal error";
		case PS_EFORMAT: return "store format needs an upgrade";
	}
	/* Codes arrive over the wire, so an unknown value is possible. */
	return "unknown error";
}

void
ps_error_clear(ps_error *err)
{
	if (err == NULL)
		return;
	err->code = PS_OK;
	err->line = 0;
	err->column = 0;
	err->message[0] = '\0';
}

static ps_status error_vset_at(ps_error *err, ps_status code, int64_t line, int32_t column,
							   const char *fmt, va_list ap)
	__attribute__((format(printf, 5, 0)));

static ps_status
error_vset_at(ps_error *err, ps_status code, int64_t line, int32_t column,
			  const char *fmt, va_list ap)
{
	char		message[PS_ERROR_MESSAGE_MAX];

	if (err == NULL)
		return code;
	/*
	 * Format into a local copy first: callers may pass err->message itself as
	 * an argument to add context ("loading: %s"), and vsnprintf must not
	 * write over its own input.  vsnprintf truncates and always terminates.
	 */
	if (fmt == NULL || vsnprintf(message, sizeof message, fmt, ap) < 0)
		message[0] = '\0';
	memcpy(err->message, message, strlen(message) + 1);
	err->code = code;
	err->line = line;
	err->column = column;
	return code;
}

ps_status
ps_error_vset(ps_error *err, ps_status code, const char *fmt, va_list ap)
{
	return error_vset_at(err, code, 0, 0, fmt, ap);
}

ps_status
ps_error_set(ps_error *err, ps_status code, const char *fmt, ...)
{
	va_list		ap;

	va_start(ap, fmt);
	error_vset_at(err, code, 0, 0, fmt, ap);
	va_end(ap);
	return code;
}

ps_status
ps_error_set_at(ps_error *err, ps_status code, int64_t line, int32_t column,
				const char *fmt, ...)
{
	va_list		ap;

	va_start(ap, fmt);
	error_vset_at(err, code, line, column, fmt, ap);
	va_end(ap);
	return code;
}

char *
ps_error_quote(const char *s, size_t len, char out[PS_ERROR_QUOTE_MAX])
{
	static const char hex[] = "0123456789abcdef";
	size_t		shown = len < PS_ERROR_QUOTE_INPUT ? len : PS_ERROR_QUOTE_INPUT;
	char	   *o = out;

	*o++ = '"';
	for (size_t i = 0; i < shown; i++)
	{
		unsigned char c = (unsigned char) s[i];

		if (c == '"' || c == '\\')
		{
			*o++ = '\\';
			*o++ = (char) c;
		}
		else if (c < 0x20 || c > 0x7e)
		{
			*o++ = '\\';
			*o++ = 'x';
			*o++ = hex[c >> 4];
			*o++ = hex[c & 0xf];
		}
		else
			*o++ = (char) c;
	}
	*o++ = '"';
	if (shown < len)
	{
		memcpy(o, "...", 3);
		o += 3;
	}
	*o = '\0';
	return out;
}
