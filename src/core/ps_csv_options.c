/*
 * ps_csv_options.c — the options of CSV loads: their defaults, and setting
 * one from its text form (a REST query parameter, a jsonb key of the SQL
 * functions, a field of the native protocol), and compiling a load's
 * time_format and timezone (or its table's defaults) once, at ps_csv_begin.
 *
 * Invariants: a failed ps_csv_option_set leaves the options unchanged and
 * words an error that names the option (and, for an unknown one, lists the
 * valid ones); values are checked here only as far as each alone can be
 * (ps_csv_begin checks how they combine).  time_format and timezone are
 * compiled here to check them and kept as text: the load compiles them
 * again for itself, and a load creating a table keeps the text.
 */
#include "ps_csv_int.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#define CSV_VALID_OPTIONS \
	"header, delimiter, quote, time_column, time_unit, time_format, timezone, on_error, " \
	"add_columns, dedup, series_key"
#define TIMEZONE_HINT "expected UTC, an offset like -05:00 or an IANA name like America/New_York"

void
ps_csv_options_default(ps_csv_options *o)
{
	memset(o, 0, sizeof *o);
	o->header = true;
	o->delimiter = ',';
	o->quote = '"';
	ps_time_options_default(&o->time);
	o->on_error = PS_ON_ERROR_ABORT;
	o->max_field_bytes = (uint64_t) 16 << 20;
	o->batch_size = 10000;
}

static bool
parse_bool_option(const char *v, bool *out)
{
	static const char *const yes[] = {"true", "t", "1", "yes", "y", "on"};
	static const char *const no[] = {"false", "f", "0", "no", "n", "off"};

	for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++)
	{
		if (strcasecmp(v, yes[i]) == 0)
		{
			*out = true;
			return true;
		}
		if (strcasecmp(v, no[i]) == 0)
		{
			*out = false;
			return true;
		}
	}
	return false;
}

/* Delimiter and quote: exactly one byte, never a line end or NUL. */
bool
ps_csv_char_valid(char c)
{
	return c != '\0' && c != '\r' && c != '\n';
}

/* A time_format value into *out; "iso" is none (*out NULL). */
static ps_status
compile_time_format(const char *value, ps_time_format **out, ps_error *err)
{
	*out = NULL;
	if (strlen(value) == 3 && ps_ascii_equal_ci(value, "iso", 3))
		return PS_OK;
	return ps_time_format_compile(value, out, err);
}

/*
 * A timezone value: UTC or an offset into *offset_s (*out NULL), else an
 * IANA zone into *out.  On failure err says why, after `what`.
 */
static ps_status
resolve_timezone(const char *what, const char *value, int32_t *offset_s, ps_tz **out,
				 ps_error *err)
{
	ps_error	why;
	ps_status	rc;

	*out = NULL;
	if (ps_time_parse_offset(value, strlen(value), offset_s) == PS_OK)
		return PS_OK;
	if ((rc = ps_tz_load(value, out, &why)) != PS_OK)
		return ps_error_set(err, rc, "%s: %s (" TIMEZONE_HINT ")", what, why.message);
	return PS_OK;
}

ps_status
ps_csv_time_setup(ps_csv_load *cl, const ps_table_info *table, ps_error *err)
{
	const char *format = cl->opt.time_format[0] ? cl->opt.time_format
		: table ? table->time_format : "";
	const char *zone = cl->opt.timezone[0] ? cl->opt.timezone : table ? table->timezone : "";
	char		what[PS_MAX_NAME + 64];
	ps_error	why;
	ps_status	rc;

	if (cl->opt.timezone[0] != '\0')
		snprintf(what, sizeof what, "option timezone");
	else
		snprintf(what, sizeof what, "default timezone of table \"%s\"", cl->table);
	if (format[0] != '\0' && compile_time_format(format, &cl->format, &why) != PS_OK)
		return ps_error_set(err, why.code, "%s%s", cl->opt.time_format[0] ? "" : "default ",
							why.message);
	if (zone[0] != '\0' &&
		(rc = resolve_timezone(what, zone, &cl->opt.time.default_offset_s, &cl->tz, err)) != PS_OK)
		return rc;
	cl->opt.time.format = cl->format;
	cl->opt.time.tz = cl->tz;
	return PS_OK;
}

ps_status
ps_csv_option_set(ps_csv_options *o, const char *key, const char *value, ps_error *err)
{
	char		q[PS_ERROR_QUOTE_MAX];
	bool	   *flag;
	char	   *character;

	if (key == NULL)
		return ps_error_set(err, PS_EINVAL, "option name missing");
	if (value == NULL)
		return ps_error_set(err, PS_EINVAL, "option %s needs a value",
							ps_error_quote(key, strlen(key), q));
#define BAD_VALUE(what) \
	ps_error_set(err, PS_EINVAL, "option %s: %s, not %s", key, what, \
				 ps_error_quote(value, strlen(value), q))

	flag = strcmp(key, "header") == 0 ? &o->header
		: strcmp(key, "add_columns") == 0 ? &o->add_columns
		: strcmp(key, "dedup") == 0 ? &o->dedup : NULL;
	if (flag != NULL)
	{
		if (!parse_bool_option(value, flag))
			return BAD_VALUE("expected true or false");
		return PS_OK;
	}
	character = strcmp(key, "delimiter") == 0 ? &o->delimiter
		: strcmp(key, "quote") == 0 ? &o->quote : NULL;
	if (character != NULL)
	{
		if (strlen(value) != 1 || !ps_csv_char_valid(value[0]))
			return BAD_VALUE("expected one character other than CR or LF");
		*character = value[0];
		return PS_OK;
	}
	if (strcmp(key, "series_key") == 0)
	{
		size_t		len = strlen(value);

		if (len >= sizeof(o->series_key))
			return BAD_VALUE("expected at most 8 column names");
		memcpy(o->series_key, value, len + 1);
		o->series_key_set = true;
		return PS_OK;
	}
	if (strcmp(key, "time_column") == 0)
	{
		size_t		len = strlen(value);

		if (!ps_column_name_valid(value, len))
			return BAD_VALUE("expected a column name");
		memcpy(o->time_column, value, len + 1);
		return PS_OK;
	}
	if (strcmp(key, "time_unit") == 0)
	{
		if (strcmp(value, "auto") == 0)
			o->time.unit = PS_UNIT_AUTO;
		else if (ps_time_parse_unit(value, &o->time.unit) != PS_OK)
			return BAD_VALUE("expected s, ms, us, ns or auto");
		return PS_OK;
	}
	if (strcmp(key, "time_format") == 0)
	{
		ps_time_format *f;
		ps_error	why;
		ps_status	rc;

		if ((rc = compile_time_format(value, &f, &why)) != PS_OK)
			return ps_error_set(err, rc, "option %s", why.message);
		ps_time_format_free(f);
		/* compile_time_format took at most PS_TIME_FORMAT_MAX bytes */
		memcpy(o->time_format, value, strlen(value) + 1);
		return PS_OK;
	}
	if (strcmp(key, "timezone") == 0)
	{
		int32_t		offset = o->time.default_offset_s;
		ps_tz	   *tz;
		ps_status	rc;

		if ((rc = resolve_timezone("option timezone", value, &offset, &tz, err)) != PS_OK)
			return rc;
		ps_tz_free(tz);
		o->time.default_offset_s = offset;
		/* An offset is at most 6 bytes, a zone name PS_TZ_NAME_MAX (ps_tz_name_valid). */
		memcpy(o->timezone, value, strlen(value) + 1);
		return PS_OK;
	}
	if (strcmp(key, "on_error") == 0)
	{
		if (strcmp(value, "abort") == 0)
			o->on_error = PS_ON_ERROR_ABORT;
		else if (strcmp(value, "skip") == 0)
			o->on_error = PS_ON_ERROR_SKIP;
		else
			return BAD_VALUE("expected abort or skip");
		return PS_OK;
	}
#undef BAD_VALUE
	return ps_error_set(err, PS_EINVAL, "unknown option %s (valid options: %s)",
						ps_error_quote(key, strlen(key), q), CSV_VALID_OPTIONS);
}
