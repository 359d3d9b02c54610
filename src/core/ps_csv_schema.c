/*
 * ps_csv_schema.c — the HEADER and SAMPLE stages of a CSV load: the input's
 * columns from its first record (names from the header, or column1..N, or
 * an existing table's columns in order), their types and the time column
 * (from the existing table, by name, or inferred), and the sample of rows
 * held back to infer what is unknown before the load begins.
 *
 * Invariants.
 *  - Problems with the header or the columns are fatal: an empty, invalid
 *    or duplicate name, a time column that is not in the input or does not
 *    match the table's, unknown columns without add_columns, no time column.
 *  - An existing table whose columns are all known needs no sample: it goes
 *    from HEADER straight to STREAM.
 *  - The sample holds at most batch_size rows and sample_budget bytes (its
 *    fields, lines and bytes); when either is reached, or at the end of the
 *    input, types are inferred, the load begins and the sample is replayed
 *    in order (so value errors of sampled rows are found only then).
 */
#include "ps_csv_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---------------------------------------------------------------- columns */

/* Per-record field storage for ncols columns (data records store no more). */
bool
ps_csv_fields_reserve(ps_csv_load *cl, uint32_t n)
{
	size_t		alloc = cl->fields_alloc;

	if (!ps_csv_grow((void **) &cl->fields, &alloc, n, sizeof(csv_field)))
		return false;
	cl->fields_alloc = (uint32_t) alloc;
	return true;
}

static void
csv_fail_schema_missing_time(ps_csv_load *cl, const char *time_name)
{
	ps_csv_fail_at(cl, PS_ESCHEMA, 0, 0,
				   "the input has no column \"%s\", the time column of table \"%s\"",
				   time_name, cl->table);
}

static bool
is_time_column_name(const char *name)
{
	static const char *const words[] = {"timestamp", "time", "ts", "datetime", "date"};

	for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
		if (strcasecmp(name, words[i]) == 0)
			return true;
	return false;
}

/*
 * Names are known (cl->names, cl->ncols): decide types, the time column and
 * whether a sample is needed, then move to SAMPLE or STREAM.
 */
static void
csv_setup_columns(ps_csv_load *cl, int64_t line)
{
	const ps_schema *ts = cl->table_schema;

	if ((cl->types = calloc(cl->ncols, sizeof *cl->types)) == NULL ||
		(cl->infer = calloc(cl->ncols, sizeof *cl->infer)) == NULL ||
		!ps_csv_fields_reserve(cl, cl->ncols))
	{
		ps_csv_fail_nomem(cl);
		return;
	}
	/* Data records store exactly ncols fields; more are only counted. */
	cl->fields_limit = cl->ncols;
	cl->time_field = CSV_NO_TIME;
	if (ts != NULL)
	{
		const char *time_name = ts->columns[ts->time_index].name;
		char		unknown[PS_ERROR_MESSAGE_MAX / 2];
		size_t		used = 0;
		uint32_t	nunknown = 0;

		if (cl->opt.time_column[0] != '\0' && strcmp(cl->opt.time_column, time_name) != 0)
		{
			ps_csv_fail_at(cl, PS_ESCHEMA, 0, 0,
						   "time_column \"%s\" does not match table \"%s\", whose time column is \"%s\"",
						   cl->opt.time_column, cl->table, time_name);
			return;
		}
		unknown[0] = '\0';
		for (uint32_t i = 0; i < cl->ncols; i++)
		{
			int			idx = ps_schema_find(ts, cl->names[i]);

			if (idx >= 0)
			{
				cl->types[i] = ts->columns[idx].type;
				if ((uint32_t) idx == ts->time_index)
					cl->time_field = i;
				continue;
			}
			cl->infer[i] = true;
			if (nunknown++ < 8 && used < sizeof unknown)
			{
				int			n = snprintf(unknown + used, sizeof unknown - used, "%s\"%s\"",
										 used ? ", " : "", cl->names[i]);

				used += n > 0 ? (size_t) n : 0;
			}
		}
		if (cl->time_field == CSV_NO_TIME)
		{
			csv_fail_schema_missing_time(cl, time_name);
			return;
		}
		if (nunknown > 0 && !cl->opt.add_columns)
		{
			ps_csv_fail_at(cl, PS_ESCHEMA, line, 0,
						   "%u unknown column%s for table \"%s\": %s%s (use add_columns=true to add them)",
						   nunknown, nunknown == 1 ? "" : "s", cl->table, unknown,
						   nunknown > 8 ? ", ..." : "");
			return;
		}
		if (nunknown == 0)
		{
			ps_csv_begin_load(cl);
			return;
		}
	}
	else
	{
		for (uint32_t i = 0; i < cl->ncols; i++)
			cl->infer[i] = true;
		if (cl->opt.time_column[0] != '\0')
		{
			for (uint32_t i = 0; i < cl->ncols && cl->time_field == CSV_NO_TIME; i++)
				if (strcmp(cl->names[i], cl->opt.time_column) == 0)
					cl->time_field = i;
			if (cl->time_field == CSV_NO_TIME)
			{
				ps_csv_fail_at(cl, PS_EINVAL, line, 0, "time_column \"%s\" is not a column of the input",
							   cl->opt.time_column);
				return;
			}
		}
		else
			for (uint32_t i = 0; i < cl->ncols && cl->time_field == CSV_NO_TIME; i++)
				if (is_time_column_name(cl->names[i]))
					cl->time_field = i;
	}
	cl->stage = CSV_STAGE_SAMPLE;
}

void
ps_csv_take_header(ps_csv_load *cl, int64_t line)
{
	const char *base = (const char *) cl->row.data;
	uint32_t	n = (uint32_t) cl->nfields;
	char		q[PS_ERROR_QUOTE_MAX];

	for (uint32_t i = 0; i < n; i++)
	{
		const csv_field *f = &cl->fields[i];
		/* base is NULL while every field so far is empty (""): no offset on NULL. */
		const char *name = base != NULL ? base + f->off : "";

		if (f->is_null || f->len == 0)
		{
			ps_csv_fail_at(cl, PS_EINVAL, line, (int32_t) i + 1, "empty column name in the header");
			return;
		}
		if (!ps_column_name_valid(name, f->len))
		{
			ps_csv_fail_at(cl, PS_EINVAL, line, (int32_t) i + 1,
						   "invalid column name %s: names are 1 to %d bytes of UTF-8 without control characters",
						   ps_error_quote(name, f->len, q), PS_MAX_NAME);
			return;
		}
		for (uint32_t j = 0; j < i; j++)
			if (cl->fields[j].len == f->len && memcmp(base + cl->fields[j].off, name, f->len) == 0)
			{
				ps_csv_fail_at(cl, PS_EINVAL, line, (int32_t) i + 1,
							   "duplicate column name %s (also column %u)",
							   ps_error_quote(name, f->len, q), j + 1);
				return;
			}
	}
	if ((cl->names = calloc(n, sizeof *cl->names)) == NULL)
	{
		ps_csv_fail_nomem(cl);
		return;
	}
	cl->ncols = n;
	for (uint32_t i = 0; i < n; i++)
		if ((cl->names[i] = strndup(base + cl->fields[i].off, cl->fields[i].len)) == NULL)
		{
			ps_csv_fail_nomem(cl);
			return;
		}
	csv_setup_columns(cl, line);
}

/*
 * header=false: an existing table's columns are taken in table order (as
 * COPY without a header does); a new table's are named column1..columnN after
 * the first record.
 */
void
ps_csv_take_positional(ps_csv_load *cl, int64_t line)
{
	const ps_schema *ts = cl->table_schema;
	uint32_t	n = ts ? ts->ncolumns : (uint32_t) cl->nfields;

	if ((cl->names = calloc(n, sizeof *cl->names)) == NULL)
	{
		ps_csv_fail_nomem(cl);
		return;
	}
	cl->ncols = n;
	for (uint32_t i = 0; i < n; i++)
	{
		char		generated[32];

		snprintf(generated, sizeof generated, "column%u", i + 1);
		if ((cl->names[i] = strdup(ts ? ts->columns[i].name : generated)) == NULL)
		{
			ps_csv_fail_nomem(cl);
			return;
		}
	}
	csv_setup_columns(cl, line);
}

/* ---------------------------------------------------------------- sample */

void
ps_csv_free_sample(ps_csv_load *cl)
{
	ps_buf_free(&cl->sample_data);
	free(cl->sample_fields);
	free(cl->sample_lines);
	cl->sample_fields = NULL;
	cl->sample_lines = NULL;
	cl->sample_fields_alloc = cl->sample_rows_alloc = cl->sample_rows = 0;
}

/* End of sampling: infer what is unknown, begin the load, replay the sample. */
void
ps_csv_end_sample(ps_csv_load *cl)
{
	ps_infer   *inf = calloc(cl->ncols, sizeof *inf);
	const char *base = (const char *) cl->sample_data.data;

	if (inf == NULL)
	{
		ps_csv_fail_nomem(cl);
		return;
	}
	for (uint32_t i = 0; i < cl->ncols; i++)
	{
		if (!cl->infer[i])
			continue;
		ps_infer_init(&inf[i]);
		/* With a time_format, time columns are the ones whose samples match it. */
		if (cl->opt.time.format != NULL)
			inf[i].time = &cl->opt.time;
		for (size_t r = 0; r < cl->sample_rows; r++)
		{
			const csv_field *f = &cl->sample_fields[r * cl->ncols + i];

			if (!f->is_null)
				ps_infer_feed(&inf[i], base != NULL ? base + f->off : "", f->len);
		}
	}
	if (cl->time_field == CSV_NO_TIME)
	{
		/* A new table whose header named no time column: the first all-ISO (or time_format) one. */
		for (uint32_t i = 0; i < cl->ncols && cl->time_field == CSV_NO_TIME; i++)
			if (ps_infer_all_iso(&inf[i]))
				cl->time_field = i;
		if (cl->time_field == CSV_NO_TIME)
		{
			free(inf);
			ps_csv_fail_at(cl, PS_EINVAL, 0, 0,
						   "no time column found: name one with time_column (or call a column "
						   "timestamp, time, ts, datetime or date)");
			return;
		}
	}
	for (uint32_t i = 0; i < cl->ncols; i++)
		if (cl->infer[i])
			cl->types[i] = i == cl->time_field ? PS_TYPE_TIMESTAMP : ps_infer_result(&inf[i]);
	free(inf);

	ps_csv_begin_load(cl);
	for (size_t r = 0; r < cl->sample_rows && cl->stage == CSV_STAGE_STREAM; r++)
		ps_csv_append_row(cl, base, &cl->sample_fields[r * cl->ncols], cl->sample_lines[r]);
	ps_csv_free_sample(cl);
}

/* Hold the current record back for inference (it has exactly ncols fields). */
void
ps_csv_sample_add(ps_csv_load *cl, int64_t line)
{
	size_t		nf = (size_t) cl->sample_rows * cl->ncols;
	size_t		cost = cl->row.len + cl->ncols * sizeof(csv_field) + sizeof(int64_t);
	size_t		used = cl->sample_data.len + nf * sizeof(csv_field) +
		cl->sample_rows * sizeof(int64_t);
	uint32_t	base = (uint32_t) cl->sample_data.len;

	if (cl->sample_rows > 0 && used + cost > cl->sample_budget)
	{
		/* The sample is as large as it may get: infer from it, then stream. */
		ps_csv_end_sample(cl);
		if (cl->stage == CSV_STAGE_STREAM)
			ps_csv_append_row(cl, (const char *) cl->row.data, cl->fields, line);
		return;
	}
	if (!ps_csv_grow((void **) &cl->sample_fields, &cl->sample_fields_alloc, nf + cl->ncols,
					 sizeof(csv_field)) ||
		!ps_csv_grow((void **) &cl->sample_lines, &cl->sample_rows_alloc, cl->sample_rows + 1,
					 sizeof(int64_t)) ||
		ps_buf_append(&cl->sample_data, cl->row.data, cl->row.len) != PS_OK)
	{
		ps_csv_fail_nomem(cl);
		return;
	}
	for (uint32_t i = 0; i < cl->ncols; i++)
	{
		cl->sample_fields[nf + i] = cl->fields[i];
		cl->sample_fields[nf + i].off += base;
	}
	cl->sample_lines[cl->sample_rows++] = line;
	if (cl->sample_rows >= cl->opt.batch_size)
		ps_csv_end_sample(cl);
}
