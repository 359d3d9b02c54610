/*
 * ps_rest_filters.h — the query-string arguments of the REST routes that
 * take series filters (GET /tables/{t}/query and /aggregate): the route's
 * own keys collected as ps_rest_params.h does, every other argument kept
 * as a series filter and converted (ps_rest_filters_parse) against the
 * table's schema as the catalog has it.
 *
 * A filter's values are typed by the schema read here, before the scan or
 * aggregate takes its own snapshot: ps_rest_filters_apply starts over when
 * the table changed in between.  Meanwhile a value read as another type
 * than its own is harmless: values are zeroed before conversion.
 *
 * Ownership: keys and values are borrowed from libmicrohttpd, which keeps
 * them for the whole request (string filter values point into them); a
 * ps_rest_request_args owns its array of other arguments, a
 * ps_rest_filter_set its copy of the schema and its array of values.
 */
#ifndef PS_REST_FILTERS_H
#define PS_REST_FILTERS_H

#include <stdbool.h>
#include <stddef.h>

#include "core/ps_schema.h"
#include "core/ps_store.h"
#include "ps_rest_params.h"

struct MHD_Connection;

/* A request's arguments: the route's own in args, the others (series filters) in others. */
typedef struct ps_rest_request_args {
	ps_rest_args args;
	ps_rest_arg *others;		/* malloc'd */
	size_t		nothers;
	size_t		cap;
	bool		no_memory;
} ps_rest_request_args;

/*
 * Collect conn's query-string arguments for a route of kind into *ra
 * (PS_ENOMEM when out of memory).  Free ra with ps_rest_request_args_free
 * in every case.
 */
ps_status	ps_rest_request_args_collect(struct MHD_Connection *conn, ps_rest_args_kind kind,
										 ps_rest_request_args *ra, ps_error *err);
void		ps_rest_request_args_free(ps_rest_request_args *ra);

/* The series filters of a request, with their values converted for schema. */
typedef struct ps_rest_filter_set {
	ps_schema  *schema;			/* the table's, as read (owned) */
	uint32_t	table_id;		/* the table's id then; ids are never reused */
	ps_series_filter filters[PS_MAX_SERIES_COLUMNS];
	uint32_t	nfilters;
	ps_value   *values;			/* owned; filters[].values point into it */
} ps_rest_filter_set;

void		ps_rest_filter_set_free(ps_rest_filter_set *f);	/* zeroed ok */

/* What a request does with its series filters: open a scan, run an aggregate. */
typedef struct ps_rest_filtered {
	void	   *cls;
	/* Do it with filters[0..nfilters) (borrowed for the call). */
	ps_status	(*run) (void *cls, const ps_series_filter *filters, uint32_t nfilters,
						ps_error *err);
	/* Undo a run that succeeded but must start over. */
	void		(*undo) (void *cls);
} ps_rest_filtered;

/*
 * Run op with ra's series filters on table: without any, at once; else
 * with filters converted for table's schema as read just before (into *f,
 * zeroed before the call; the caller frees it once op's result is no
 * longer needed).  Should the table be dropped and re-created between
 * that read and op's snapshot, the store may refuse the filters
 * (PS_EINVAL) or apply them to columns of other types; either way the
 * table's id has changed (ids are never reused), and op starts over, up
 * to three times (then PS_EBUSY).  Otherwise op's own result: PS_ENOTFOUND
 * for an unknown table, PS_EINVAL naming a bad filter argument, ...
 */
ps_status	ps_rest_filters_apply(ps_store *st, const char *table,
								  const ps_rest_request_args *ra, ps_rest_filter_set *f,
								  const ps_rest_filtered *op, ps_error *err);

#endif
