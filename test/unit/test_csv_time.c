/*
 * test_csv_time.c — the time_format and timezone load options through real
 * CSV loads (ps_csv) into a store in a temporary directory: patterns and
 * IANA zones (DST gaps and repeats), the time column found by a pattern,
 * bad rows naming line, column and pattern in both error modes, the option
 * errors, the converter thread, and a table's defaults: kept by the load
 * that creates it, persisted in the catalog across a reopen, used by later
 * loads that name none, overridden by those that do.
 *
 * Loads here hold one to three rows, so the table's time bounds
 * (ps_store_table_info) show exactly which instants were stored.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/ps_csv.h"
#include "core/ps_store.h"
#include "store_dir.h"

static int
setup(void **state)
{
	*state = fixture_new("ps_test_csv_time", 0);
	return 0;
}

/* Options from "key=value|key=value" ('|' since patterns hold ';' rarely and ',' often). */
static ps_csv_options
opts(const char *spec)
{
	ps_csv_options o;
	char		buf[512];
	char	   *save = NULL;
	ps_error	err;

	ps_csv_options_default(&o);
	snprintf(buf, sizeof buf, "%s", spec);
	for (char *kv = strtok_r(buf, "|", &save); kv; kv = strtok_r(NULL, "|", &save))
	{
		char	   *eq = strchr(kv, '=');

		assert_non_null(eq);
		*eq = '\0';
		if (strcmp(kv, "pipeline_records") == 0)	/* tests only: not a load option */
			o.pipeline_records = (uint32_t) atoi(eq + 1);
		else if (ps_csv_option_set(&o, kv, eq + 1, &err) != PS_OK)
			fail_msg("option %s: %s", kv, err.message);
	}
	return o;
}

static ps_status
load(ps_store *st, const char *table, const char *csv, const char *spec, ps_csv_result *res,
	 ps_error *err)
{
	ps_csv_options o = opts(spec);
	ps_csv_load *cl;
	ps_status	rc;

	memset(res, 0, sizeof *res);
	ps_error_clear(err);
	if ((rc = ps_csv_begin(st, table, &o, &cl, err)) != PS_OK)
		return rc;
	if ((rc = ps_csv_feed(cl, csv, strlen(csv), err)) != PS_OK)
	{
		ps_csv_abort(cl);
		return rc;
	}
	return ps_csv_finish(cl, res, err);
}

static void
load_ok(ps_store *st, const char *table, const char *csv, const char *spec, uint64_t rows)
{
	ps_csv_result res;
	ps_error	err;

	if (load(st, table, csv, spec, &res, &err) != PS_OK)
		fail_msg("load into %s: %s", table, err.message);
	assert_int_equal(res.rows_loaded, rows);
}

static int64_t
iso(const char *text)
{
	int64_t		ns;

	assert_int_equal(ps_time_parse(text, strlen(text), NULL, &ns, NULL), PS_OK);
	return ns;
}

/* The table holds `rows` rows from first to last (ISO-8601 instants). */
static void
assert_bounds(ps_store *st, const char *table, uint64_t rows, const char *first, const char *last)
{
	ps_table_info info;
	ps_error	err;

	assert_int_equal(ps_store_table_info(st, table, &info, NULL, &err), PS_OK);
	assert_int_equal(info.row_count, rows);
	if (info.min_time != iso(first) || info.max_time != iso(last))
		fail_msg("%s holds %lld..%lld, not %s..%s", table, (long long) info.min_time,
				 (long long) info.max_time, first, last);
}

static void
assert_defaults(ps_store *st, const char *table, const char *time_format, const char *timezone)
{
	ps_table_info info;
	ps_error	err;

	assert_int_equal(ps_store_table_info(st, table, &info, NULL, &err), PS_OK);
	assert_string_equal(info.time_format, time_format);
	assert_string_equal(info.timezone, timezone);
}

/* ---------------------------------------------------------------- tests */

static void
test_pattern_and_zone(void **state)
{
	fixture    *f = *state;
	ps_schema  *schema;
	ps_error	err;

	load_ok(f->st, "monthly", "date,price\nJan 1 2000,10\nfeb 29 2000,11\n",
			"time_format=%b %e %Y|timezone=America/New_York", 2);
	assert_bounds(f->st, "monthly", 2, "2000-01-01T05:00:00Z", "2000-02-29T05:00:00Z");
	assert_int_equal(ps_store_table_info(f->st, "monthly", NULL, &schema, &err), PS_OK);
	assert_int_equal(schema->columns[schema->time_index].type, PS_TYPE_TIMESTAMP);
	assert_int_equal(schema->columns[1].type, PS_TYPE_INTEGER);
	ps_schema_free(schema);
	/* New York: the spring gap reads with the offset before it, the repeat takes the later hour. */
	load_ok(f->st, "gap", "ts,v\n2024-03-10 02:30,1\n", "time_format=%Y-%m-%d %H:%M|timezone=America/New_York", 1);
	assert_bounds(f->st, "gap", 1, "2024-03-10T07:30:00Z", "2024-03-10T07:30:00Z");
	load_ok(f->st, "repeat", "ts,v\n2024-11-03 01:30,1\n", "time_format=%Y-%m-%d %H:%M|timezone=America/New_York", 1);
	assert_bounds(f->st, "repeat", 1, "2024-11-03T06:30:00Z", "2024-11-03T06:30:00Z");
	/* London, without a pattern: ISO-8601 text without an offset is local time in the zone. */
	load_ok(f->st, "london", "ts,v\n2024-03-31 01:30:00,1\n2024-10-27T01:30:00,2\n2024-07-01 12:00:00+00:00,3\n",
			"timezone=Europe/London", 3);
	assert_bounds(f->st, "london", 3, "2024-03-31T01:30:00Z", "2024-10-27T01:30:00Z");
	/* Tokyo: no DST, nine hours ahead all year. */
	load_ok(f->st, "tokyo", "ts,v\n2024/03/10 02:30:00,1\n2024/11/03 01:30:00,2\n",
			"time_format=%Y/%m/%d %H:%M:%S|timezone=Asia/Tokyo", 2);
	assert_bounds(f->st, "tokyo", 2, "2024-03-09T17:30:00Z", "2024-11-02T16:30:00Z");
}

static void
test_time_column_found_by_pattern(void **state)
{
	fixture    *f = *state;
	ps_schema  *schema;
	ps_error	err;

	/* No column is named like a time: the first whose samples all match the pattern is. */
	load_ok(f->st, "found", "code,day,v\nx,01.02.2020,1\ny,15.03.2020,2\n", "time_format=%d.%m.%Y", 2);
	assert_int_equal(ps_store_table_info(f->st, "found", NULL, &schema, &err), PS_OK);
	assert_string_equal(schema->columns[schema->time_index].name, "day");
	ps_schema_free(schema);
	assert_bounds(f->st, "found", 2, "2020-02-01", "2020-03-15");
}

static void
test_bad_rows(void **state)
{
	fixture    *f = *state;
	ps_csv_result res;
	ps_error	err;
	const char *csv = "date,v\n2024/01/02,1\n2024-01-03,2\n2024/01/04,3\n2024/02/30,4\n";

	assert_int_equal(load(f->st, "bad", csv, "time_format=%Y/%m/%d", &res, &err), PS_EBADROW);
	assert_int_equal(err.line, 3);
	assert_int_equal(err.column, 1);
	assert_string_equal(err.message, "line 3, column 1 (date): time \"2024-01-03\" does not match "
						"time_format \"%Y/%m/%d\": expected \"/\" at character 5");
	assert_int_equal(ps_store_table_info(f->st, "bad", NULL, NULL, &err), PS_ENOTFOUND);
	assert_int_equal(load(f->st, "bad", csv, "time_format=%Y/%m/%d|on_error=skip", &res, &err), PS_OK);
	assert_int_equal(res.rows_loaded, 2);
	assert_int_equal(res.rows_rejected, 2);
	assert_int_equal(res.nerrors, 2);
	assert_int_equal(res.errors[0].line, 3);
	assert_int_equal(res.errors[0].column, 1);
	assert_non_null(strstr(res.errors[0].message, "time_format \"%Y/%m/%d\""));
	assert_int_equal(res.errors[1].line, 5);
	assert_string_equal(res.errors[1].message, "line 5, column 1 (date): invalid time \"2024/02/30\" for "
						"time_format \"%Y/%m/%d\": day out of range for the month");
	assert_bounds(f->st, "bad", 2, "2024-01-02", "2024-01-04");
}

static void
test_option_errors(void **state)
{
	ps_csv_options o;
	ps_csv_options before;
	ps_error	err;

	(void) state;
	ps_csv_options_default(&o);
	before = o;
	assert_int_equal(ps_csv_option_set(&o, "time_format", "%Y-%Q", &err), PS_EINVAL);
	assert_string_equal(err.message, "option time_format \"%Y-%Q\": unknown directive \"%Q\" at "
						"character 4 (known: %Y %y %m %b %B %d %e %j %H %I %M %S %f %p %z %Z %%)");
	assert_int_equal(ps_csv_option_set(&o, "time_format", "", &err), PS_EINVAL);
	assert_string_equal(err.message, "option time_format is empty");
	assert_int_equal(ps_csv_option_set(&o, "time_format", "%m/%d", &err), PS_EINVAL);
	assert_non_null(strstr(err.message, "needs a year"));
	assert_int_equal(ps_csv_option_set(&o, "timezone", "Mars/Olympus", &err), PS_EINVAL);
	assert_string_equal(err.message, "option timezone: unknown time zone \"Mars/Olympus\" (expected "
						"UTC, an offset like -05:00 or an IANA name like America/New_York)");
	assert_int_equal(ps_csv_option_set(&o, "timezone", "../../etc/passwd", &err), PS_EINVAL);
	assert_non_null(strstr(err.message, "invalid time zone name"));
	assert_int_equal(ps_csv_option_set(&o, "timezone", "", &err), PS_EINVAL);
	assert_memory_equal(&o, &before, sizeof o);	/* failures change nothing */
	assert_int_equal(ps_csv_option_set(&o, "timezone", "-05:00", &err), PS_OK);
	assert_int_equal(o.time.default_offset_s, -5 * 3600);
	assert_string_equal(o.timezone, "-05:00");
	assert_int_equal(ps_csv_option_set(&o, "timezone", "Europe/London", &err), PS_OK);
	assert_string_equal(o.timezone, "Europe/London");
	assert_int_equal(ps_csv_option_set(&o, "time_format", "ISO", &err), PS_OK);
	assert_int_equal(ps_csv_option_set(&o, "time_format", "%d.%m.%Y", &err), PS_OK);
	assert_string_equal(o.time_format, "%d.%m.%Y");
	/* the load sets these itself */
	assert_null(o.time.format);
	assert_null(o.time.tz);
}

static void
test_converter_thread(void **state)
{
	fixture    *f = *state;
	char		csv[64 * 40];
	size_t		n = 0;

	/* From the 8th record on, rows go through the converter thread in batches of 8. */
	n += (size_t) snprintf(csv + n, sizeof csv - n, "ts,v\n");
	for (int i = 0; i < 60; i++)
		n += (size_t) snprintf(csv + n, sizeof csv - n, "%02d.01.2024 %02d:30 PM,%d\n", i % 28 + 1,
							   i % 12 + 1, i);
	load_ok(f->st, "threaded", csv,
			"time_format=%d.%m.%Y %I:%M %p|timezone=Europe/London|pipeline_records=8", 60);
	/* first 01.01 at 01:30 PM (row 0), last 28.01 at 08:30 PM (row 55); GMT in January */
	assert_bounds(f->st, "threaded", 60, "2024-01-01T13:30:00Z", "2024-01-28T20:30:00Z");
}

static void
test_table_defaults(void **state)
{
	fixture    *f = *state;
	ps_csv_result res;
	ps_error	err;

	load_ok(f->st, "eu", "ts,v\n01.07.2024 12:00,1\n", "time_format=%d.%m.%Y %H:%M|timezone=Europe/London", 1);
	assert_defaults(f->st, "eu", "%d.%m.%Y %H:%M", "Europe/London");
	/* A table created without them has none (and an older owner's catalog record). */
	load_ok(f->st, "plain", "ts,v\n2024-07-01T12:00:00Z,1\n", "", 1);
	assert_defaults(f->st, "plain", "", "");
	/* Kept across a reopen: the catalog record holds them. */
	ps_store_close(f->st);
	assert_int_equal(ps_store_open(f->dir, &f->o, &f->st, &err), PS_OK);
	assert_defaults(f->st, "eu", "%d.%m.%Y %H:%M", "Europe/London");
	assert_defaults(f->st, "plain", "", "");
	/* A later load naming none uses them ... */
	load_ok(f->st, "eu", "ts,v\n02.07.2024 12:00,2\n", "", 1);
	assert_bounds(f->st, "eu", 2, "2024-07-01T11:00:00Z", "2024-07-02T11:00:00Z");
	/* ... one naming a timezone uses that one, and the table's pattern ... */
	load_ok(f->st, "eu", "ts,v\n03.07.2024 12:00,3\n", "timezone=UTC", 1);
	assert_bounds(f->st, "eu", 3, "2024-07-01T11:00:00Z", "2024-07-03T12:00:00Z");
	/* ... and time_format=iso goes back to ISO-8601 text (still local to the default zone). */
	load_ok(f->st, "eu", "ts,v\n2024-07-04 12:00:00,4\n", "time_format=iso", 1);
	assert_bounds(f->st, "eu", 4, "2024-07-01T11:00:00Z", "2024-07-04T11:00:00Z");
	assert_int_equal(load(f->st, "eu", "ts,v\n2024-07-05 12:00:00,5\n", "", &res, &err), PS_EBADROW);
	assert_non_null(strstr(err.message, "time_format \"%d.%m.%Y %H:%M\""));
	/* Later loads never change the defaults. */
	assert_defaults(f->st, "eu", "%d.%m.%Y %H:%M", "Europe/London");
	/* An offset is kept as written. */
	load_ok(f->st, "east", "ts,v\n2024-07-01 12:00:00,1\n", "timezone=+05:30", 1);
	assert_defaults(f->st, "east", "", "+05:30");
	load_ok(f->st, "east", "ts,v\n2024-07-02 12:00:00,1\n", "", 1);
	assert_bounds(f->st, "east", 2, "2024-07-01T06:30:00Z", "2024-07-02T06:30:00Z");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_pattern_and_zone, setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_time_column_found_by_pattern, setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_bad_rows, setup, fixture_teardown),
		cmocka_unit_test(test_option_errors),
		cmocka_unit_test_setup_teardown(test_converter_thread, setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_table_defaults, setup, fixture_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
