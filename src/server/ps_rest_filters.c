/*
 * ps_rest_filters.c — a request's arguments and series filters
 * (ps_rest_filters.h).
 *
 * Invariants: collection never stops early (libmicrohttpd's iteration has
 * no error path): running out of memory is remembered and reported after;
 * a filter set's values are calloc'd, so a value is never read past what
 * its conversion wrote (see the header); table ids only grow, so a table
 * that has the same id before and after a snapshot was taken is the one
 * that snapshot saw.
 */
#include "ps_rest_filters.h"

#include <stdlib.h>
#include <string.h>

#include <microhttpd.h>

/* Times a request starts over when its table changes under it (ps_rest_filters_apply). */
#define APPLY_ATTEMPTS 3

static enum MHD_Result
collect_arg(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	ps_rest_request_args *ra = cls;

	(void) kind;
	if (ps_rest_args_add(&ra->args, key, value) || ra->no_memory)
		return MHD_YES;
	if (ra->nothers == ra->cap)
	{
		size_t		cap = ra->cap > 0 ? 2 * ra->cap : 8;
		ps_rest_arg *more = realloc(ra->others, cap * sizeof *more);

		if (more == NULL)
		{
			ra->no_memory = true;
			return MHD_YES;
		}
		ra->others = more;
		ra->cap = cap;
	}
	ra->others[ra->nothers++] = (ps_rest_arg) {key, value != NULL ? value : ""};
	return MHD_YES;
}

ps_status
ps_rest_request_args_collect(struct MHD_Connection *conn, ps_rest_args_kind kind,
							 ps_rest_request_args *ra, ps_error *err)
{
	memset(ra, 0, sizeof *ra);
	ps_rest_args_init(&ra->args, kind);
	MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, collect_arg, ra);
	if (ra->no_memory)
		return ps_error_set(err, PS_ENOMEM, "out of memory");
	return PS_OK;
}

void
ps_rest_request_args_free(ps_rest_request_args *ra)
{
	free(ra->others);
	ra->others = NULL;
	ra->nothers = ra->cap = 0;
}

void
ps_rest_filter_set_free(ps_rest_filter_set *f)
{
	ps_schema_free(f->schema);
	free(f->values);
	memset(f, 0, sizeof *f);
}

/* Read table's schema and id, and convert ra's other arguments into filters for it. */
static ps_status
filter_set_read(ps_store *st, const char *table, const ps_rest_request_args *ra,
				ps_rest_filter_set *f, ps_error *err)
{
	ps_table_info info;
	ps_status	rc;

	ps_rest_filter_set_free(f);
	/* calloc of 0 may give NULL: ask for one more. */
	if ((f->values = calloc(ra->nothers + 1, sizeof *f->values)) == NULL)
		return ps_error_set(err, PS_ENOMEM, "out of memory");
	if ((rc = ps_store_table_info(st, table, &info, &f->schema, err)) != PS_OK)
		return rc;
	f->table_id = info.id;
	return ps_rest_filters_parse(f->schema, table, ra->others, ra->nothers, f->filters,
								 &f->nfilters, f->values, err);
}

/* Whether table still has the id it had when the filters were read. */
static bool
same_table(ps_store *st, const char *table, uint32_t id)
{
	ps_table_info info;

	return ps_store_table_info(st, table, &info, NULL, NULL) == PS_OK && info.id == id;
}

ps_status
ps_rest_filters_apply(ps_store *st, const char *table, const ps_rest_request_args *ra,
					  ps_rest_filter_set *f, const ps_rest_filtered *op, ps_error *err)
{
	ps_status	rc;

	if (ra->nothers == 0)
		return op->run(op->cls, NULL, 0, err);
	for (int attempt = 1;; attempt++)
	{
		if ((rc = filter_set_read(st, table, ra, f, err)) != PS_OK)
			return rc;
		rc = op->run(op->cls, f->filters, f->nfilters, err);
		/* An equal id after the run: op's snapshot saw the table the filters were typed for. */
		if ((rc != PS_OK && rc != PS_EINVAL) || same_table(st, table, f->table_id))
			return rc;
		if (rc == PS_OK)
			op->undo(op->cls);
		if (attempt == APPLY_ATTEMPTS)
			return ps_error_set(err, PS_EBUSY, "table %s changed during the request; try again",
								table);
	}
}
