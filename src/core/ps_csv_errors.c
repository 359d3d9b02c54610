/*
 * ps_csv_errors.c — the errors of a CSV load: fatal ones (stage FAILED) and
 * bad rows, worded with the line and column they are at, and the report of
 * the lowest PS_CSV_MAX_REPORTED of them in skip mode.
 *
 * Invariants.
 *  - A fatal error is recorded once: from then on cl->fatal holds it, the
 *    stage stays FAILED and the load does nothing more.
 *  - A bad row is fatal in abort mode and in the header record; otherwise it
 *    is counted and reported.  Reported errors are kept sorted by line, then
 *    column and message (csv_error_cmp), not by arrival, so the report is
 *    the same whichever thread found each error.
 *  - In abort mode every record before a bad row is converted and appended
 *    first (ps_csv_converter_drain), so a bad row the converter finds there
 *    comes first and is the one returned.
 */
#include "ps_csv_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void
ps_csv_fail(ps_csv_load *cl, const ps_error *e)
{
	cl->fatal = *e;
	cl->stage = CSV_STAGE_FAILED;
}

void
ps_csv_fail_nomem(ps_csv_load *cl)
{
	ps_error	e;

	ps_error_set(&e, PS_ENOMEM, "out of memory");
	ps_csv_fail(cl, &e);
}

/*
 * Fill e with reason prefixed by the position: "line 7, column 3 (price): "
 * (the name once columns are known), "line 7: " or nothing for line 0.
 */
void
ps_csv_error_at(const ps_csv_load *cl, ps_error *e, ps_status code, int64_t line, int32_t column,
				const char *reason)
{
	if (column > 0 && cl->names != NULL && (uint32_t) column <= cl->ncols)
		ps_error_set_at(e, code, line, column, "line %lld, column %d (%s): %s",
						(long long) line, (int) column, cl->names[column - 1], reason);
	else if (column > 0)
		ps_error_set_at(e, code, line, column, "line %lld, column %d: %s",
						(long long) line, (int) column, reason);
	else if (line > 0)
		ps_error_set_at(e, code, line, 0, "line %lld: %s", (long long) line, reason);
	else
		ps_error_set(e, code, "%s", reason);
}

void __attribute__((format(printf, 5, 6)))
ps_csv_fail_at(ps_csv_load *cl, ps_status code, int64_t line, int32_t column, const char *fmt, ...)
{
	char		reason[PS_ERROR_MESSAGE_MAX];
	ps_error	e;
	va_list		ap;

	va_start(ap, fmt);
	vsnprintf(reason, sizeof reason, fmt, ap);
	va_end(ap);
	ps_csv_error_at(cl, &e, code, line, column, reason);
	ps_csv_fail(cl, &e);
}

/*
 * Order of reported errors: by line, then column and message.  Not by
 * arrival: the converter's errors arrive after the parser's, and a line can
 * hold several records (bare CR line ends), so this is what keeps the report
 * the same whichever thread found each error.
 */
static int
csv_error_cmp(const ps_error *a, const ps_error *b)
{
	if (a->line != b->line)
		return a->line < b->line ? -1 : 1;
	if (a->column != b->column)
		return a->column < b->column ? -1 : 1;
	return strcmp(a->message, b->message);
}

/* Keep reported errors sorted, the lowest PS_CSV_MAX_REPORTED. */
void
ps_csv_report(ps_error *errors, size_t *nerrors, const ps_error *e)
{
	size_t		pos = *nerrors;

	if (pos == PS_CSV_MAX_REPORTED)
	{
		if (csv_error_cmp(e, &errors[pos - 1]) >= 0)
			return;
		pos--;
	}
	while (pos > 0 && csv_error_cmp(&errors[pos - 1], e) > 0)
	{
		errors[pos] = errors[pos - 1];
		pos--;
	}
	errors[pos] = *e;
	if (*nerrors < PS_CSV_MAX_REPORTED)
		(*nerrors)++;
}

/*
 * A bad row found by the parser (or in the sample): fatal in abort mode and
 * for the header record, counted and reported in skip mode.  In abort mode
 * every record before it is converted and appended first (the drain hands
 * off the batch being filled), so a bad row found there comes first and is
 * the one returned.
 */
void
ps_csv_take_bad_row(ps_csv_load *cl, const ps_error *e)
{
	if (cl->opt.on_error == PS_ON_ERROR_ABORT ||
		(cl->stage == CSV_STAGE_HEADER && cl->opt.header))
	{
		ps_csv_converter_drain(cl);
		if (cl->stage != CSV_STAGE_FAILED)
			ps_csv_fail(cl, e);
		return;
	}
	cl->rejected++;
	ps_csv_report(cl->errors, &cl->nerrors, e);
}

/* A bad row at line/column (column 0: the row as a whole); see ps_csv_take_bad_row. */
void __attribute__((format(printf, 4, 5)))
ps_csv_bad_row(ps_csv_load *cl, int64_t line, int32_t column, const char *fmt, ...)
{
	char		reason[PS_ERROR_MESSAGE_MAX];
	ps_error	e;
	va_list		ap;

	va_start(ap, fmt);
	vsnprintf(reason, sizeof reason, fmt, ap);
	va_end(ap);
	ps_csv_error_at(cl, &e, PS_EBADROW, line, column, reason);
	ps_csv_take_bad_row(cl, &e);
}

/* A field, or a whole record, longer than max_field_bytes. */
void
ps_csv_bad_row_too_big(ps_csv_load *cl, int64_t line, int32_t column, bool field)
{
	ps_csv_bad_row(cl, line, column, "%s exceeds max_field_mb (%llu bytes)",
				   field ? "field" : "line", (unsigned long long) cl->opt.max_field_bytes);
}

/* A column number for messages: 1-based, saturated. */
int32_t
ps_csv_column_number(uint64_t index0)
{
	return index0 >= INT32_MAX ? INT32_MAX : (int32_t) index0 + 1;
}
