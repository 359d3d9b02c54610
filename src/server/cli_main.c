/*
 * cli_main.c — pulsora-cli, a command-line client of a data directory's
 * owner, built on the native protocol client (ps_client.h) alone: it never
 * opens the store, so it works while pulsorad serves PostgreSQL.
 *
 *   pulsora-cli -D DIR tables
 *   pulsora-cli -D DIR schema TABLE
 *   pulsora-cli -D DIR count TABLE
 *   pulsora-cli -D DIR query TABLE [--start S] [--end E] [--desc] [--limit N]
 *                                  [--offset N] [--columns a,b] [--series COL=VALUE ...]
 *   pulsora-cli -D DIR aggregate TABLE --fields F [--bucket W] [--by a,b] ... (cli_groups.c)
 *   pulsora-cli -D DIR latest TABLE [--by a,b] ...                         (cli_groups.c)
 *   pulsora-cli -D DIR load TABLE FILE|- [--opt key=value ...] (cli_ops.c)
 *   pulsora-cli -D DIR backup | backups | loads                 (cli_ops.c)
 *   pulsora-cli -D DIR delete TABLE START END
 *   pulsora-cli -D DIR drop TABLE
 *   pulsora-cli -D DIR status
 *   pulsora-cli --host H --port P [--token T] [--tls MODE] [--tls-ca FILE] COMMAND ...
 *                                 (an owner on TCP, instead of -D: cli_connect.c)
 *
 * Times are ISO-8601 (a date alone, or date and time with an optional
 * offset) or epoch numbers; ranges are [start, end), as in the SQL
 * functions.  `load` passes every --opt to the owner as a load option
 * (time_format, timezone and the rest, as the SQL functions take them).
 * Output is CSV on stdout (times as ISO-8601 UTC, NULL as an
 * empty field, the empty string as ""); errors go to stderr with a non-zero
 * exit status: 1 for a failed command, 2 for bad usage.  `--series COL=VALUE`
 * keeps the rows whose series-key column COL equals VALUE; repeated for one
 * column it means any of the values, for several columns all of them.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_int.h"
#include "core/ps_row.h"
#include "core/ps_time.h"
#include "proto/ps_client.h"
#include "proto/ps_frame.h"
#include "ps_float_text.h"

#define FETCH_ROWS 10000

static const char *progname = "pulsora-cli";

static void
usage(FILE *out)
{
	fprintf(out,
			"Usage: %s -D DIR COMMAND [ARGS]\n"
			"       %s --host HOST --port PORT [--token T] [--tls disable|require|verify-full]\n"
			"                   [--tls-ca FILE] COMMAND [ARGS]\n"
			"Talks to the owner (pulsorad) of data directory DIR over its Unix socket, or\n"
			"to an owner on TCP (its [server] protocol_port) with its auth_token (--token,\n"
			"or better the environment's PULSORA_AUTH_TOKEN: a command line is visible to\n"
			"other users) and TLS: verify-full (the default off this machine) checks the\n"
			"owner's certificate against --tls-ca FILE (else the system's CAs) and HOST;\n"
			"require encrypts without checking; disable (the default on loopback) does not.\n\n"
			"Commands:\n"
			"  tables                       tables with row counts and time bounds\n"
			"  schema TABLE                 columns, types, time column and series key\n"
			"  count TABLE                  number of rows\n"
			"  query TABLE [--start S] [--end E] [--desc] [--limit N] [--offset N]\n"
			"              [--columns a,b] [--series COL=VALUE ...]\n"
			"                               rows in [S, E) as CSV; --series (repeatable) keeps\n"
			"                               rows whose series-key column COL is VALUE\n"
			"  aggregate TABLE --fields count(),max(price)... [--bucket 1m] [--by a,b]\n"
			"              [--start S] [--end E] [--series COL=VALUE ...] [--format csv|json|ndjson]\n"
			"                               groups as GET /tables/TABLE/aggregate answers them\n"
			"  latest TABLE [--by a,b] [--start S] [--end E] [--series COL=VALUE ...]\n"
			"              [--format csv|json|ndjson]\n"
			"                               the last row of each group, as GET .../latest\n"
			"  load TABLE FILE|- [--opt key=value ...] [--progress-every S] [--no-progress]\n"
			"                               load CSV (options as in pulsora_load_csv, e.g.\n"
			"                               --opt 'time_format=%%b %%e %%Y' --opt timezone=Europe/London);\n"
			"                               progress on stderr: a live line on a terminal,\n"
			"                               else a line every S seconds (default 10)\n"
			"  backup                       take an online backup; prints its path\n"
			"  backups                      the backups (CSV)\n"
			"  loads                        the loads in progress on the owner (CSV)\n"
			"  delete TABLE START END       delete rows in [START, END)\n"
			"  drop TABLE                   drop a table\n"
			"  status                       owner pid, kind, REST address, version, size, activity\n",
			progname, progname);
}

int
fail(const ps_error *err)
{
	if (err->line > 0 && err->column > 0)
		fprintf(stderr, "%s: line %" PRId64 ", column %d: %s\n", progname, err->line,
				err->column, err->message);
	else if (err->line > 0)
		fprintf(stderr, "%s: line %" PRId64 ": %s\n", progname, err->line, err->message);
	else
		fprintf(stderr, "%s: %s\n", progname, err->message);
	return 1;
}

static int
bad_usage(const char *fmt, const char *arg)
{
	fprintf(stderr, "%s: ", progname);
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\nTry \"%s --help\".\n", progname);
	return 2;
}

static bool
parse_time_arg(const char *s, int64_t *out, ps_error *err)
{
	ps_time_options o;

	ps_time_options_default(&o);
	return ps_time_parse(s, strlen(s), &o, out, err) == PS_OK;
}

static bool
parse_u64_arg(const char *s, uint64_t *out)
{
	char	   *end;
	unsigned long long v;

	if (*s < '0' || *s > '9')
		return false;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0')
		return false;
	*out = v;
	return true;
}

/* ---------------------------------------------------------------- CSV output */

void
cli_put_iso(int64_t ns)
{
	char		buf[PS_TIME_ISO_MAX];

	ps_time_format_iso(ns, buf);
	fputs(buf, stdout);
}

/* A CSV field; s need not be NUL-terminated.  Empty is quoted: NULL is not. */
static void
put_csv_string(const char *s, size_t len)
{
	bool		quote = len == 0;

	for (size_t i = 0; i < len && !quote; i++)
		quote = s[i] == ',' || s[i] == '"' || s[i] == '\r' || s[i] == '\n';
	if (!quote)
	{
		fwrite(s, 1, len, stdout);
		return;
	}
	putchar('"');
	for (size_t i = 0; i < len; i++)
	{
		if (s[i] == '"')
			putchar('"');
		putchar(s[i]);
	}
	putchar('"');
}

void
cli_put_csv_cstr(const char *s)
{
	put_csv_string(s, strlen(s));
}

/* A FLOAT as the owner's REST CSV prints it (ps_float_text.h). */
void
cli_put_float(double f)
{
	char		buf[PS_DOUBLE_TEXT_MAX];

	ps_float_text(f, buf);
	fputs(buf, stdout);
}

static void
put_value(ps_type type, const ps_value *v)
{
	if (v->is_null)
		return;
	switch (type)
	{
		case PS_TYPE_INTEGER:
			printf("%" PRId64, v->v.i);
			break;
		case PS_TYPE_FLOAT:
			cli_put_float(v->v.f);
			break;
		case PS_TYPE_STRING:
			put_csv_string(v->v.s.ptr, v->v.s.len);
			break;
		case PS_TYPE_BOOLEAN:
			fputs(v->v.b ? "true" : "false", stdout);
			break;
		case PS_TYPE_TIMESTAMP:
			cli_put_iso(v->v.i);
			break;
	}
}

/* ---------------------------------------------------------------- commands */

static int
cmd_tables(ps_client *c)
{
	ps_client_table *t;
	size_t		n;
	ps_error	err;

	if (ps_client_tables(c, &t, &n, &err) != PS_OK)
		return fail(&err);
	puts("table_name,row_count,min_time,max_time");
	for (size_t i = 0; i < n; i++)
	{
		cli_put_csv_cstr(t[i].name);
		printf(",%" PRIu64 ",", t[i].row_count);
		if (t[i].row_count > 0)
		{
			cli_put_iso(t[i].min_time);
			putchar(',');
			cli_put_iso(t[i].max_time);
		}
		else
			putchar(',');
		putchar('\n');
	}
	ps_client_tables_free(t, n);
	return 0;
}

static int
cmd_schema(ps_client *c, const char *table)
{
	ps_client_table info;
	ps_client_column *cols;
	size_t		n;
	ps_error	err;

	if (ps_client_table_info(c, table, &info, &cols, &n, &err) != PS_OK)
		return fail(&err);
	puts("column_name,data_type,is_time,is_series");
	for (size_t i = 0; i < n; i++)
	{
		cli_put_csv_cstr(cols[i].name);
		printf(",%s,%s,%s\n", ps_type_name(cols[i].type), cols[i].is_time ? "true" : "false",
			   cols[i].is_series ? "true" : "false");
	}
	free(info.name);
	ps_client_columns_free(cols, n);
	return 0;
}

static int
cmd_count(ps_client *c, const char *table)
{
	ps_client_table info;
	ps_error	err;

	if (ps_client_table_info(c, table, &info, NULL, NULL, &err) != PS_OK)
		return fail(&err);
	printf("%" PRIu64 "\n", info.row_count);
	free(info.name);
	return 0;
}

/*
 * Pick the value columns to fetch: the --columns list (the time column,
 * always printed first, is skipped there) or every value column.  *names
 * points into cols; *types gets their types.
 */
static int
choose_columns(const char *table, char *list, const ps_client_column *cols, size_t ncols,
			   const char **names, ps_type *types, uint32_t *n)
{
	*n = 0;
	if (list == NULL)
	{
		for (size_t i = 0; i < ncols; i++)
			if (!cols[i].is_time)
			{
				names[*n] = cols[i].name;
				types[(*n)++] = cols[i].type;
			}
		return 0;
	}
	for (char *tok = strtok(list, ","); tok != NULL; tok = strtok(NULL, ","))
	{
		size_t		i;

		for (i = 0; i < ncols && strcmp(cols[i].name, tok) != 0; i++)
			;
		if (i == ncols)
		{
			fprintf(stderr, "%s: column \"%s\" does not exist in table \"%s\"\n",
					progname, tok, table);
			return 1;
		}
		if (cols[i].is_time)
			continue;
		if (*n == PS_MAX_COLUMNS)
		{
			fprintf(stderr, "%s: more than %d columns requested\n", progname, PS_MAX_COLUMNS);
			return 1;
		}
		names[*n] = cols[i].name;
		types[(*n)++] = cols[i].type;
	}
	return 0;
}

/* A --series value as a value of a column of type t; false if it is not one. */
static bool
parse_series_value(const char *text, ps_type t, ps_value *v)
{
	char	   *end;

	memset(v, 0, sizeof *v);
	switch (t)
	{
		case PS_TYPE_INTEGER:
			errno = 0;
			v->v.i = strtoll(text, &end, 10);
			return *text != '\0' && *end == '\0' && errno == 0;
		case PS_TYPE_BOOLEAN:
			if (strcmp(text, "true") == 0 || strcmp(text, "t") == 0 || strcmp(text, "1") == 0)
				v->v.b = true;
			else if (strcmp(text, "false") == 0 || strcmp(text, "f") == 0 || strcmp(text, "0") == 0)
				v->v.b = false;
			else
				return false;
			return true;
		case PS_TYPE_STRING:
			v->v.s.ptr = text;
			v->v.s.len = (uint32_t) strlen(text);
			return true;
		default:
			return false;
	}
}

/*
 * Group the --series arguments into one filter per column (in the order
 * the columns first appear), typed by the table's columns, which must be
 * in its series key.  *values is one malloc'd array that the filters point
 * into.
 */
int
build_filters(const query_args *q, const ps_client_column *cols, size_t ncols,
			  ps_filter_spec *filters, uint32_t *nfilters, ps_value **values)
{
	uint32_t	used = 0;

	*nfilters = 0;
	*values = NULL;
	if (q->nseries == 0)
		return 0;
	if ((*values = calloc(q->nseries, sizeof(ps_value))) == NULL)
	{
		fprintf(stderr, "%s: out of memory\n", progname);
		return 1;
	}
	for (uint32_t a = 0; a < q->nseries; a++)
	{
		uint32_t	f;
		size_t		c;

		for (f = 0; f < *nfilters && strcmp(filters[f].column, q->series[a].column) != 0; f++)
			;
		if (f < *nfilters)
			continue;			/* gathered with the first argument naming it */
		for (c = 0; c < ncols && strcmp(cols[c].name, q->series[a].column) != 0; c++)
			;
		if (c == ncols)
		{
			fprintf(stderr, "%s: column \"%s\" does not exist in table \"%s\"\n", progname,
					q->series[a].column, q->table);
			return 1;
		}
		if (!cols[c].is_series)
		{
			fprintf(stderr, "%s: column \"%s\" is not in the series key of table \"%s\"\n",
					progname, q->series[a].column, q->table);
			return 1;
		}
		if (*nfilters == PS_FRAME_MAX_FILTERS)
		{
			fprintf(stderr, "%s: --series names more than %d columns\n", progname,
					PS_FRAME_MAX_FILTERS);
			return 1;
		}
		memset(&filters[f], 0, sizeof filters[f]);
		filters[f].column = cols[c].name;
		filters[f].type = cols[c].type;
		filters[f].values = *values + used;
		for (uint32_t b = a; b < q->nseries; b++)
		{
			if (strcmp(q->series[b].column, cols[c].name) != 0)
				continue;
			if (!parse_series_value(q->series[b].value, cols[c].type, &(*values)[used]))
			{
				fprintf(stderr, "%s: --series %s=%s: \"%s\" is not a valid %s value\n", progname,
						q->series[b].column, q->series[b].value, q->series[b].value,
						ps_type_sql_name(cols[c].type));
				return 1;
			}
			used++;
			filters[f].nvalues++;
		}
		(*nfilters)++;
	}
	return 0;
}

static void
put_header(const char *time_name, const char **names, uint32_t n)
{
	cli_put_csv_cstr(time_name);
	for (uint32_t i = 0; i < n; i++)
	{
		putchar(',');
		cli_put_csv_cstr(names[i]);
	}
	putchar('\n');
}

static int
run_scan(ps_client *c, const query_args *q, const char **names, const ps_type *types,
		 uint32_t n, const ps_filter_spec *filters, uint32_t nfilters, ps_error *err)
{
	ps_client_scan_spec spec;
	ps_client_scan *s;
	ps_value   *values;
	bool		done = false;
	int64_t		end;

	memset(&spec, 0, sizeof spec);
	spec.table = q->table;
	spec.lo = INT64_MIN;
	spec.hi = INT64_MAX;
	if (q->start && !parse_time_arg(q->start, &spec.lo, err))
		return 1;
	if (q->end && !parse_time_arg(q->end, &end, err))
		return 1;
	/* [start, end) holds nothing when end <= start: no scan needed. */
	if (q->end && (end == INT64_MIN || end - 1 < spec.lo))
		return 0;
	if (q->end)
		spec.hi = end - 1;
	spec.descending = q->desc;
	spec.offset = q->offset;
	spec.limit = q->limit;
	spec.columns = names;
	spec.ncolumns = n;
	spec.filters = filters;
	spec.nfilters = nfilters;
	if ((values = calloc(n ? n : 1, sizeof *values)) == NULL)
	{
		ps_error_set(err, PS_ENOMEM, "out of memory");
		return 1;
	}
	if (ps_client_scan_open(c, &spec, &s, NULL, err) != PS_OK)
	{
		free(values);
		return 1;
	}
	while (!done)
	{
		if (ps_client_scan_fetch(s, FETCH_ROWS, &done, err) != PS_OK)
			break;
		int64_t		time;

		while (ps_client_scan_row(s, &time, values))
		{
			cli_put_iso(time);
			for (uint32_t i = 0; i < n; i++)
			{
				putchar(',');
				put_value(types[i], &values[i]);
			}
			putchar('\n');
		}
	}
	free(values);
	if (!done)
	{
		ps_client_scan_close(s, NULL);
		return 1;
	}
	return ps_client_scan_close(s, err) == PS_OK ? 0 : 1;
}

static int
cmd_query(ps_client *c, const query_args *q)
{
	ps_client_table info;
	ps_client_column *cols;
	size_t		ncols;
	const char **names = NULL;
	ps_type    *types = NULL;
	uint32_t	n;
	const char *time_name = NULL;
	ps_filter_spec filters[PS_FRAME_MAX_FILTERS];
	uint32_t	nfilters = 0;
	ps_value   *filter_values = NULL;
	ps_error	err;
	int			rc;

	if (ps_client_table_info(c, q->table, &info, &cols, &ncols, &err) != PS_OK)
		return fail(&err);
	free(info.name);
	for (size_t i = 0; i < ncols; i++)
		if (cols[i].is_time)
			time_name = cols[i].name;
	names = calloc(PS_MAX_COLUMNS, sizeof *names);
	types = calloc(PS_MAX_COLUMNS, sizeof *types);
	if (names == NULL || types == NULL)
	{
		ps_error_set(&err, PS_ENOMEM, "out of memory");
		rc = fail(&err);
	}
	else if (time_name == NULL)
	{
		ps_error_set(&err, PS_ECORRUPT, "table \"%s\" has no time column", q->table);
		rc = fail(&err);
	}
	else if ((rc = build_filters(q, cols, ncols, filters, &nfilters, &filter_values)) == 0 &&
			 (rc = choose_columns(q->table, q->columns, cols, ncols, names, types, &n)) == 0)
	{
		put_header(time_name, names, n);
		if ((rc = run_scan(c, q, names, types, n, filters, nfilters, &err)) != 0)
			rc = fail(&err);
	}
	free(filter_values);
	free(names);
	free(types);
	ps_client_columns_free(cols, ncols);
	return rc;
}

static int
cmd_delete(ps_client *c, const char *table, const char *start, const char *end)
{
	int64_t		lo, hi;
	uint64_t	removed = 0;
	ps_error	err;

	if (!parse_time_arg(start, &lo, &err) || !parse_time_arg(end, &hi, &err))
		return fail(&err);
	/* [start, end) on the command line; the protocol's bounds are inclusive. */
	if (hi > lo && ps_client_delete_range(c, table, lo, hi - 1, &removed, &err) != PS_OK)
		return fail(&err);
	printf("%" PRIu64 "\n", removed);
	return 0;
}

static int
cmd_drop(ps_client *c, const char *table)
{
	ps_error	err;

	if (ps_client_drop_table(c, table, &err) != PS_OK)
		return fail(&err);
	return 0;
}

static int
cmd_status(ps_client *c)
{
	ps_client_status st;
	ps_error	err;

	if (ps_client_status_get(c, &st, &err) != PS_OK)
		return fail(&err);
	printf("pid: %d\nkind: %s\nrest: %s\nversion: %s\ndata_bytes: %" PRIu64 "\n"
		   "connections: %" PRIu32 "\nopen_scans: %" PRIu64 "\nopen_loads: %" PRIu64 "\n",
		   (int) st.pid, st.kind, st.rest_address[0] ? st.rest_address : "off", st.version,
		   st.data_bytes, st.connections, st.open_scans, st.open_loads);
	return 0;
}

/* ---------------------------------------------------------------- main */

/* Positional arguments each command takes. */
static int
command_arity(const char *cmd)
{
	static const struct { const char *name; int args; } table[] = {
		{"tables", 0}, {"status", 0}, {"backup", 0}, {"backups", 0}, {"loads", 0},
		{"schema", 1}, {"count", 1}, {"drop", 1},
		{"query", 1}, {"aggregate", 1}, {"latest", 1}, {"load", 2}, {"delete", 3}
	};

	for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
		if (strcmp(table[i].name, cmd) == 0)
			return table[i].args;
	return -1;
}

int
main(int argc, char **argv)
{
	cli_target	target;
	const char *bad = NULL;
	const char *cmd = NULL;
	const char *pos[3] = {NULL, NULL, NULL};
	int			npos = 0, arity;
	/* Static: lives as long as the process (its series array is never freed, whichever way main returns). */
	static query_args q;
	const char *keys[PS_FRAME_MAX_OPTIONS], *values[PS_FRAME_MAX_OPTIONS];
	uint32_t	nopts = 0;
	cli_progress progress = {false, 10.0};
	ps_client  *c;
	ps_error	err;
	int			rc;

	memset(&q, 0, sizeof q);
	memset(&target, 0, sizeof target);
	if ((q.series = calloc((size_t) argc, sizeof *q.series)) == NULL)
	{
		fprintf(stderr, "%s: out of memory\n", progname);
		return 1;
	}
	for (int i = 1; i < argc; i++)
	{
		const char *a = argv[i];
		bool		has_value = i + 1 < argc;

		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0)
		{
			usage(stdout);
			return 0;
		}
		if ((rc = cli_target_option(argc, argv, &i, &target, &bad)) != 0)
		{
			if (rc < 0)
				return bad_usage("%s needs a value (see --help)", bad);
		}
		else if (strcmp(a, "--desc") == 0)
			q.desc = true;
		else if (strcmp(a, "--no-progress") == 0)
			progress.off = true;
		else if (strcmp(a, "--progress-every") == 0)
		{
			char	   *end;

			if (!has_value)
				return bad_usage("%s needs a number of seconds", a);
			errno = 0;
			progress.every_s = strtod(argv[++i], &end);
			if (errno != 0 || end == argv[i] || *end != '\0' || !(progress.every_s >= 0) ||
				progress.every_s > 86400)
				return bad_usage("--progress-every needs seconds from 0 to 86400, not \"%s\"", argv[i]);
		}
		else if (strcmp(a, "--start") == 0 || strcmp(a, "--end") == 0 ||
				 strcmp(a, "--columns") == 0)
		{
			if (!has_value)
				return bad_usage("%s needs a value", a);
			if (a[2] == 's')
				q.start = argv[++i];
			else if (a[2] == 'e')
				q.end = argv[++i];
			else
				q.columns = argv[++i];
		}
		else if (strcmp(a, "--bucket") == 0 || strcmp(a, "--by") == 0 ||
				 strcmp(a, "--fields") == 0 || strcmp(a, "--format") == 0)
		{
			const char **v = a[3] == 'u' ? &q.bucket : a[3] == 'y' ? &q.by :
				a[3] == 'i' ? &q.fields : &q.format;

			if (!has_value)
				return bad_usage("%s needs a value", a);
			*v = argv[++i];
		}
		else if (strcmp(a, "--limit") == 0 || strcmp(a, "--offset") == 0)
		{
			if (!has_value || !parse_u64_arg(argv[i + 1], a[2] == 'l' ? &q.limit : &q.offset))
				return bad_usage("%s needs a non-negative integer", a);
			i++;
		}
		else if (strcmp(a, "--series") == 0)
		{
			char	   *eq;

			if (!has_value || (eq = strchr(argv[i + 1], '=')) == NULL || eq == argv[i + 1])
				return bad_usage("%s needs COLUMN=VALUE", a);
			*eq = '\0';
			q.series[q.nseries].column = argv[++i];
			q.series[q.nseries++].value = eq + 1;
		}
		else if (strcmp(a, "--opt") == 0)
		{
			char	   *eq;

			if (!has_value || (eq = strchr(argv[i + 1], '=')) == NULL)
				return bad_usage("%s needs key=value", a);
			if (nopts == PS_FRAME_MAX_OPTIONS)
				return bad_usage("too many options (max %s)", "64");
			*eq = '\0';
			keys[nopts] = argv[++i];
			values[nopts++] = eq + 1;
		}
		else if (a[0] == '-' && a[1] != '\0')
			return bad_usage("unknown option %s", a);
		else if (cmd == NULL)
			cmd = a;
		else if (npos < 3)
			pos[npos++] = a;
		else
			return bad_usage("unexpected argument %s", a);
	}
	if ((bad = cli_target_check(&target)) != NULL)
		return bad_usage("%s", bad);
	if (cmd == NULL)
		return bad_usage("%s", "no command given");
	if ((arity = command_arity(cmd)) < 0)
		return bad_usage("unknown command %s", cmd);
	if (npos != arity)
		return bad_usage("wrong number of arguments for %s", cmd);
	if (cli_misplaced_option(cmd, &q) != NULL)
		return bad_usage("%s is no option of this command", cli_misplaced_option(cmd, &q));
	if (nopts > 0 && strcmp(cmd, "load") != 0)
		return bad_usage("--opt given to %s", cmd);

	if (cli_connect(&target, &c, &err) != PS_OK)
		return fail(&err);
	setvbuf(stdout, NULL, _IOFBF, 1 << 16);
	q.table = pos[0];
	if (strcmp(cmd, "tables") == 0)
		rc = cmd_tables(c);
	else if (strcmp(cmd, "status") == 0)
		rc = cmd_status(c);
	else if (strcmp(cmd, "schema") == 0)
		rc = cmd_schema(c, pos[0]);
	else if (strcmp(cmd, "count") == 0)
		rc = cmd_count(c, pos[0]);
	else if (strcmp(cmd, "drop") == 0)
		rc = cmd_drop(c, pos[0]);
	else if (strcmp(cmd, "query") == 0)
		rc = cmd_query(c, &q);
	else if (strcmp(cmd, "aggregate") == 0)
		rc = cli_aggregate(c, &q);
	else if (strcmp(cmd, "latest") == 0)
		rc = cli_latest(c, &q);
	else if (strcmp(cmd, "load") == 0)
		rc = cli_load(c, pos[0], pos[1], keys, values, nopts, &progress);
	else if (strcmp(cmd, "backup") == 0)
		rc = cli_backup(c);
	else if (strcmp(cmd, "backups") == 0)
		rc = cli_backups(c);
	else if (strcmp(cmd, "loads") == 0)
		rc = cli_loads(c);
	else
		rc = cmd_delete(c, pos[0], pos[1], pos[2]);
	ps_client_close(c);
	free(q.series);
	if (fflush(stdout) != 0)
	{
		fprintf(stderr, "%s: writing output: %s\n", progname, strerror(errno));
		rc = 1;
	}
	return rc;
}
