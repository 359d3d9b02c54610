/*
 * ps_csv_convert.c — from parsed records to the ps_load: beginning the load
 * once the input's columns and types are known (stage STREAM), converting a
 * record's fields into a row of values in table order, and appending rows.
 *
 * Invariants.
 *  - Once the load has begun, the input types are the table's (the load
 *    checked they agree), target maps every input column to a table column
 *    and `values` holds one row in table order whose columns missing from
 *    the input stay NULL.
 *  - ps_csv_convert_fields uses only what is fixed once streaming starts and
 *    ps_csv_append_values only the load, so the parser's thread converts
 *    batches and the converter thread appends them (ps_csv_pipeline.c).
 *  - A record is bad (PS_EBADROW, naming its line and column) when its time
 *    field is empty, a value does not convert to its column's type, or the
 *    load refuses the row; any other error is fatal.
 */
#include "ps_csv_int.h"

#include <stdlib.h>

/* Build the input schema, begin the ps_load, prepare the value row. */
void
ps_csv_begin_load(ps_csv_load *cl)
{
	ps_schema  *input = NULL;
	ps_load_spec spec;
	const ps_schema *ls;
	ps_error	e;

	if (ps_schema_new((const char *const *) cl->names, cl->types, cl->ncols, cl->time_field,
					  &input, &e) != PS_OK)
	{
		ps_csv_fail(cl, &e);
		return;
	}
	spec.table = cl->table;
	spec.input = input;
	spec.add_columns = cl->opt.add_columns;
	spec.dedup = cl->opt.dedup;
	spec.series_key = cl->opt.series_key_set ? cl->opt.series_key : NULL;
	spec.time_format = cl->opt.time_format;
	spec.timezone = cl->opt.timezone;
	spec.progress = cl->progress;
	if (ps_load_begin(cl->st, &spec, &cl->ld, &e) != PS_OK)
	{
		ps_schema_free(input);
		ps_csv_fail(cl, &e);
		return;
	}
	ps_schema_free(input);

	ls = ps_load_schema(cl->ld);
	cl->target = ps_load_input_map(cl->ld);
	cl->nvalues = ls->ncolumns;
	if ((cl->values = malloc(ls->ncolumns * sizeof *cl->values)) == NULL)
	{
		ps_csv_fail_nomem(cl);
		return;
	}
	for (uint32_t c = 0; c < ls->ncolumns; c++)
		cl->values[c].is_null = true;
	/* Convert to what the table stores (the load checked they agree). */
	for (uint32_t i = 0; i < cl->ncols; i++)
		cl->types[i] = ls->columns[cl->target[i]].type;
	/* Every input column has a table column: nvalues >= ncols. */
	cl->batch_records = CSV_BATCH_FIELDS / cl->nvalues > 0 ? CSV_BATCH_FIELDS / cl->nvalues : 1;
	if (cl->opt.pipeline_records > 0)
		cl->batch_records = cl->opt.pipeline_records;
	cl->stage = CSV_STAGE_STREAM;
}

/*
 * Convert one record (fields relative to base) into row, in table order
 * (other columns untouched).  PS_EBADROW: the record is bad (*e says where
 * and why).  Uses only what is fixed once streaming starts.
 */
ps_status
ps_csv_convert_fields(const ps_csv_load *cl, const char *base, const csv_field *f, int64_t line,
					  ps_value *row, ps_error *e)
{
	ps_error	why;

	for (uint32_t i = 0; i < cl->ncols; i++)
	{
		/* base is NULL when no field of the record (or sample) had a byte. */
		const char *s = f[i].is_null ? NULL : base ? base + f[i].off : "";

		if (i == cl->time_field && (s == NULL || f[i].len == 0))
		{
			ps_csv_error_at(cl, e, PS_EBADROW, line, (int32_t) i + 1, "empty time value");
			return PS_EBADROW;
		}
		if (ps_value_from_text(cl->types[i], s, f[i].len, &cl->opt.time, &row[cl->target[i]],
							   &why) != PS_OK)
		{
			ps_csv_error_at(cl, e, PS_EBADROW, line, (int32_t) i + 1, why.message);
			return PS_EBADROW;
		}
	}
	return PS_OK;
}

/*
 * Append one converted row to the load.  PS_EBADROW: the load refused the
 * row (*e says why); any other error is fatal.  Uses only the load, so the
 * converter thread runs it.
 */
ps_status
ps_csv_append_values(ps_csv_load *cl, const ps_value *row, int64_t line, ps_error *e)
{
	ps_error	why;
	ps_status	rc;

	rc = ps_load_append(cl->ld, row, &why);
	if (rc == PS_EINVAL)
	{
		ps_csv_error_at(cl, e, PS_EBADROW, line, 0, why.message);
		return PS_EBADROW;
	}
	if (rc != PS_OK)
		*e = why;
	return rc;
}

/* Convert and append one record now, on the parser's thread (the sample). */
void
ps_csv_append_row(ps_csv_load *cl, const char *base, const csv_field *f, int64_t line)
{
	ps_error	e;
	ps_status	rc = ps_csv_convert_fields(cl, base, f, line, cl->values, &e);

	if (rc == PS_OK)
		rc = ps_csv_append_values(cl, cl->values, line, &e);
	if (rc == PS_EBADROW)
		ps_csv_take_bad_row(cl, &e);
	else if (rc != PS_OK)
		ps_csv_fail(cl, &e);
}
