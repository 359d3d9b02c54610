/*
 * ps_csv_options.c — the options of CSV loads: their defaults, and setting
 * one from its text form (a REST query parameter, a jsonb key of the SQL
 * functions, a field of the native protocol).
 *
 * Invariants: a failed ps_csv_option_set leaves the options unchanged and
 * words an error that names the option (and, for an unknown one, lists the
 * valid ones); values are checked here only as far as each alone can be
 * (ps_csv_begin checks how they combine).
 */
#include "ps_csv_int.h"

#include <string.h>
#include <strings.h>

#define CSV_VALID_OPTIONS \
	"header, delimiter, quote, time_column, time_unit, timezone, on_error, add_columns, dedup, series_key"

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
	if (strcmp(key, "timezone") == 0)
	{
		if (ps_time_parse_offset(value, strlen(value), &o->time.default_offset_s) != PS_OK)
			return BAD_VALUE("expected UTC or an offset like -05:00");
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
