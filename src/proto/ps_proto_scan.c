/*
 * ps_proto_scan.c — scans on the owner's side of the native protocol: a
 * connection's scan handles and the SCAN_OPEN, SCAN_START, SCAN_FETCH and
 * SCAN_CLOSE handlers (called by dispatch, ps_proto_conn.c; layouts in
 * ps_frame.h).  A handle holds the store's scan and the schema indexes of
 * the requested columns; batches go out as ROWS column vectors
 * (ps_frame_rows.c).
 *
 * Invariants:
 *  - Only the requested columns are decoded from the blocks, and the time
 *    column cannot be requested (every row carries its time).
 *  - Filter values must have the types of their columns, checked against
 *    the schema the scan reads (the table may have changed since the
 *    filters were first checked).
 *  - A scan that a batch exhausts (its limit reached included) or that
 *    fails is released at once, so the handle is gone when ROWS says done
 *    or an ERROR goes out (ps_frame.h).
 *  - Every open and fetch moves the scan's idle deadline to
 *    scan_idle_timeout_s ahead; the connection's thread closes it once the
 *    deadline passes (ps_proto_scans_expire), also while the peer is idle.
 */
#include "ps_proto_server_int.h"

#include <stdlib.h>
#include <string.h>

#include "../core/ps_agg.h"
#include "../core/ps_schema.h"
#include "ps_frame_rows.h"

struct scan_handle {
	uint32_t	id;
	ps_scan    *sc;				/* a scan, or */
	ps_agg	   *agg;			/* an aggregate's groups (AGGREGATE) */
	uint32_t   *cols;			/* requested columns: schema indexes */
	uint32_t	ncols;
	bool		with_times;		/* ROWS carry the time vector */
	int64_t		deadline_ms;	/* closed when idle past this (monotonic) */
};

/* ---------------------------------------------------------------- scan handles */

static void
scan_handle_free(scan_handle *h)
{
	ps_scan_close(h->sc);
	ps_agg_free(h->agg);
	free(h->cols);
	free(h);
}

static scan_handle *
scan_find(conn *cn, uint32_t id, uint32_t *slot)
{
	for (uint32_t i = 0; i < cn->nscans; i++)
		if (cn->scans[i]->id == id)
		{
			*slot = i;
			return cn->scans[i];
		}
	return NULL;
}

void
ps_proto_scan_remove(conn *cn, uint32_t slot)
{
	scan_handle_free(cn->scans[slot]);
	cn->scans[slot] = cn->scans[--cn->nscans];
}

void
ps_proto_scans_expire(conn *cn, int64_t now)
{
	uint32_t	i = 0;

	while (i < cn->nscans)
	{
		if (cn->scans[i]->deadline_ms <= now)
			ps_proto_scan_remove(cn, i);	/* the last one moves into slot i */
		else
			i++;
	}
}

/* Milliseconds until the earliest scan deadline, or -1 (no scan: wait forever). */
int
ps_proto_scans_poll_timeout(const conn *cn, int64_t now)
{
	int64_t		earliest = INT64_MAX;

	for (uint32_t i = 0; i < cn->nscans; i++)
		if (cn->scans[i]->deadline_ms < earliest)
			earliest = cn->scans[i]->deadline_ms;
	if (earliest == INT64_MAX)
		return -1;
	if (earliest <= now)
		return 0;
	return earliest - now > INT32_MAX ? INT32_MAX : (int) (earliest - now);
}

/* ---------------------------------------------------------------- scans */

/*
 * Resolve the requested column names against the scan's schema into
 * schema indexes, with their types in out_types.
 */
static ps_status
scan_resolve(scan_handle *h, const ps_msg_scan_open *m, ps_type *out_types, ps_error *err)
{
	const ps_schema *schema = ps_scan_schema(h->sc);
	bool	   *want;

	if ((h->cols = calloc(m->ncolumns ? m->ncolumns : 1, sizeof(uint32_t))) == NULL ||
		(want = calloc(schema->ncolumns, sizeof(bool))) == NULL)
		return ps_proto_answer_memory(err);
	h->ncols = m->ncolumns;
	for (uint32_t i = 0; i < m->ncolumns; i++)
	{
		int			idx = ps_schema_find(schema, m->columns[i]);

		if (idx < 0 || (uint32_t) idx == schema->time_index)
		{
			free(want);
			if (idx < 0)
				return ps_error_set(err, PS_ENOTFOUND, "column \"%s\" does not exist in table \"%s\"",
									m->columns[i], m->table);
			return ps_error_set(err, PS_EINVAL,
								"column \"%s\" is the time column of table \"%s\": every row carries its time, request only value columns",
								m->columns[i], m->table);
		}
		h->cols[i] = (uint32_t) idx;
		out_types[i] = schema->columns[idx].type;
		want[idx] = true;
	}
	/* Only the requested columns are decoded from the blocks. */
	ps_scan_want(h->sc, want);
	free(want);
	return PS_OK;
}

static const char *
filter_kind_name(uint8_t kind)
{
	switch (kind)
	{
		case PS_FILTER_INTEGER:
			return "an integer";
		case PS_FILTER_STRING:
			return "a string";
		default:
			return "a boolean";
	}
}

/*
 * Check that the filters' values have the types of their columns in
 * schema (values of other kinds would be read as the wrong union member by
 * the store).  Columns the schema lacks are left for ps_scan_open to
 * refuse with its own message (not in the series key).
 */
ps_status
ps_proto_filters_check(const ps_msg_scan_open *m, const ps_schema *schema, ps_error *err)
{
	for (uint32_t f = 0; f < m->nfilters; f++)
	{
		const ps_msg_filter *flt = &m->filters[f];
		int			col = ps_schema_find(schema, flt->column);
		int			want;

		if (col < 0)
			continue;
		want = ps_filter_kind(schema->columns[col].type);
		for (uint32_t i = 0; i < flt->nvalues; i++)
			if (flt->kinds[i] != PS_FILTER_NULL && flt->kinds[i] != want)
				return ps_error_set(err, PS_EINVAL,
									"series filter on column \"%s\" of table \"%s\": value %u is %s, but the column holds %s values",
									flt->column, m->table, i + 1, filter_kind_name(flt->kinds[i]),
									ps_type_name(schema->columns[col].type));
	}
	return PS_OK;
}

/*
 * The scan's series filters for the store (ps_series_filter), borrowing
 * the message's columns and values.  The value kinds are checked against
 * the table's schema first; the store itself refuses columns outside the
 * series key.
 */
ps_status
ps_proto_filters_prepare(ps_store *st, const ps_msg_scan_open *m, ps_series_filter *out,
						 ps_error *err)
{
	ps_schema  *schema = NULL;
	ps_status	rc;

	if (m->nfilters == 0)
		return PS_OK;
	if ((rc = ps_store_table_info(st, m->table, NULL, &schema, err)) != PS_OK)
		return rc;
	rc = ps_proto_filters_check(m, schema, err);
	ps_schema_free(schema);
	if (rc != PS_OK)
		return rc;
	for (uint32_t f = 0; f < m->nfilters; f++)
	{
		out[f].column = m->filters[f].column;
		out[f].values = m->filters[f].values;
		out[f].nvalues = m->filters[f].nvalues;
	}
	return PS_OK;
}

/*
 * Append the ROWS fields of the next batch of h to cn->out: at most
 * max_rows rows and about max_bytes (at least one row).  *done when the
 * scan is exhausted, which includes reaching its limit, so that a client
 * reading exactly `limit` rows needs no SCAN_CLOSE.
 */
static ps_status
scan_fill(conn *cn, scan_handle *h, uint32_t max_rows, uint32_t max_bytes, bool *done,
		  ps_error *err)
{
	const ps_scan_batch *batch;
	ps_status	st;

	if (max_bytes > PS_FRAME_SCAN_BYTES_MAX)
		max_bytes = PS_FRAME_SCAN_BYTES_MAX;
	if (max_rows > PS_FRAME_ROWS_MAX)
		max_rows = PS_FRAME_ROWS_MAX;
	st = h->agg ? ps_agg_next_batch(h->agg, max_rows ? max_rows : 1, max_bytes, &batch, done, err)
		: ps_scan_next_batch(h->sc, max_rows, max_bytes, &batch, done, err);
	if (st != PS_OK)
		return st;
	if ((st = ps_frame_rows_encode(&cn->out, batch, h->cols, h->ncols, h->with_times,
								   *done)) == PS_ENOMEM)
		return ps_proto_answer_memory(err);
	if (st == PS_OK && cn->out.len > (size_t) PS_FRAME_MAX + 4)
		return ps_error_set(err, PS_ETOOBIG, "a scan batch of %zu bytes does not fit a protocol frame",
							cn->out.len);
	return st;
}

/*
 * SCAN_OPEN, and SCAN_START (start): open the scan and answer its handle
 * and column types, with the first batch for SCAN_START.  A scan that the
 * first batch exhausts is released at once, as by SCAN_FETCH.
 */
/* The store's scan spec for SCAN_OPEN fields m, with m's filters prepared in filters. */
static void
spec_from_msg(const ps_msg_scan_open *m, const ps_series_filter *filters, ps_scan_spec *spec)
{
	memset(spec, 0, sizeof *spec);
	spec->table = m->table;
	spec->lo = m->lo;
	spec->hi = m->hi;
	spec->descending = (m->flags & PS_SCAN_DESCENDING) != 0;
	spec->unordered = (m->flags & PS_SCAN_UNORDERED) != 0;
	spec->offset = m->offset;
	spec->limit = m->limit;
	spec->filters = filters;
	spec->nfilters = m->nfilters;
}

ps_status
ps_proto_handle_scan_open(conn *cn, ps_reader *r, bool start, ps_error *err)
{
	uint8_t		code = start ? PS_MSG_SCAN_START : PS_MSG_SCAN_OPEN;
	ps_msg_scan_open m;
	ps_scan_spec spec;
	ps_series_filter filters[PS_FRAME_MAX_FILTERS];
	scan_handle *h;
	ps_type    *types = NULL;
	bool		done = false;
	ps_status	st;

	st = start ? ps_msg_scan_start_decode(r, &m) : ps_msg_scan_open_decode(r, &m);
	if (st != PS_OK)
	{
		ps_msg_scan_open_clear(&m);
		return ps_proto_decode_failed(st, code, err);
	}
	if ((st = ps_proto_room_for_handle(cn, err)) != PS_OK ||
		(st = ps_proto_filters_prepare(cn->srv->st, &m, filters, err)) != PS_OK)
		goto done;
	if ((h = calloc(1, sizeof *h)) == NULL ||
		(types = calloc(m.ncolumns ? m.ncolumns : 1, sizeof(ps_type))) == NULL)
	{
		free(h);
		st = ps_proto_answer_memory(err);
		goto done;
	}
	spec_from_msg(&m, filters, &spec);
	/*
	 * The table may have been dropped and created again since the filters
	 * were checked: check them against the schema the scan reads, too.
	 */
	if ((st = ps_scan_open(cn->srv->st, &spec, &h->sc, err)) != PS_OK ||
		(st = ps_proto_filters_check(&m, ps_scan_schema(h->sc), err)) != PS_OK ||
		(st = scan_resolve(h, &m, types, err)) != PS_OK)
	{
		scan_handle_free(h);
		goto done;
	}
	h->id = ++cn->next_id;
	h->with_times = (m.flags & PS_SCAN_NO_TIMES) == 0;
	h->deadline_ms = ps_proto_now_ms() + (int64_t) cn->srv->idle_timeout_s * 1000;
	if (ps_frame_start(&cn->out, start ? PS_MSG_SCAN_STARTED : PS_MSG_SCAN_OPENED) != PS_OK ||
		ps_msg_scan_opened_encode(&cn->out, h->id, types, m.ncolumns) != PS_OK)
		st = ps_proto_answer_memory(err);
	else if (start)
		st = scan_fill(cn, h, m.max_rows, m.max_bytes, &done, err);
	if (st != PS_OK || done)
		scan_handle_free(h);
	else
		cn->scans[cn->nscans++] = h;
done:
	free(types);
	ps_msg_scan_open_clear(&m);
	return st;
}

ps_status
ps_proto_handle_scan_fetch(conn *cn, ps_reader *r, ps_error *err)
{
	uint32_t	id, max_rows, max_bytes, slot;
	scan_handle *h;
	bool		done;
	ps_status	st;

	if (ps_frame_get_u32(r, &id) != PS_OK || ps_frame_get_u32(r, &max_rows) != PS_OK ||
		ps_frame_get_u32(r, &max_bytes) != PS_OK || ps_frame_get_end(r) != PS_OK)
		return ps_proto_malformed(err, PS_MSG_SCAN_FETCH);
	if ((h = scan_find(cn, id, &slot)) == NULL)
		return ps_error_set(err, PS_ENOTFOUND,
							"no open scan with handle %u (scans idle for %u s are closed)",
							id, cn->srv->idle_timeout_s);
	if (ps_frame_start(&cn->out, PS_MSG_ROWS) != PS_OK)
		st = ps_proto_answer_memory(err);
	else
		st = scan_fill(cn, h, max_rows, max_bytes, &done, err);
	/* An exhausted or failed scan is released at once (ps_frame.h). */
	if (st != PS_OK || done)
		ps_proto_scan_remove(cn, slot);
	else
		h->deadline_ms = ps_proto_now_ms() + (int64_t) cn->srv->idle_timeout_s * 1000;
	return st;
}

ps_status
ps_proto_handle_scan_close(conn *cn, ps_reader *r, ps_error *err)
{
	uint32_t	id, slot;

	if (ps_frame_get_u32(r, &id) != PS_OK || ps_frame_get_end(r) != PS_OK)
		return ps_proto_malformed(err, PS_MSG_SCAN_CLOSE);
	if (scan_find(cn, id, &slot) != NULL)
		ps_proto_scan_remove(cn, slot);
	return ps_proto_answer_ok(cn, err);
}

ps_status
ps_proto_handle_estimate(conn *cn, ps_reader *r, ps_error *err)
{
	ps_msg_scan_open m;
	ps_scan_spec spec;
	ps_series_filter filters[PS_FRAME_MAX_FILTERS];
	uint64_t	max_blocks;
	double		rows = 0;
	ps_status	st;

	if ((st = ps_msg_estimate_decode(r, &m, &max_blocks)) != PS_OK)
	{
		ps_msg_scan_open_clear(&m);
		return ps_proto_decode_failed(st, PS_MSG_ESTIMATE, err);
	}
	if ((st = ps_proto_filters_prepare(cn->srv->st, &m, filters, err)) == PS_OK)
	{
		spec_from_msg(&m, filters, &spec);
		st = ps_store_estimate(cn->srv->st, &spec, max_blocks, &rows, err);
	}
	if (st == PS_OK &&
		(ps_frame_start(&cn->out, PS_MSG_ESTIMATED) != PS_OK ||
		 ps_buf_append_u64be(&cn->out, (uint64_t) (rows + 0.5)) != PS_OK))
		st = ps_proto_answer_memory(err);
	ps_msg_scan_open_clear(&m);
	return st;
}

/*
 * AGGREGATE: compute the groups (ps_agg_run) and answer as SCAN_START, the
 * groups as the rows of a handle that SCAN_FETCH and SCAN_CLOSE serve.
 */
ps_status
ps_proto_handle_aggregate(conn *cn, ps_reader *r, ps_error *err)
{
	ps_msg_scan_open m;
	ps_msg_aggregate am;
	ps_series_filter filters[PS_FRAME_MAX_FILTERS];
	ps_agg_item items[PS_FRAME_MAX_AGG_ITEMS];
	ps_agg_sort sort[PS_FRAME_MAX_AGG_SORT];
	ps_agg_spec spec;
	scan_handle *h = NULL;
	bool		done = false;
	ps_status	st;

	if ((st = ps_msg_aggregate_decode(r, &m, &am)) != PS_OK)
	{
		ps_msg_scan_open_clear(&m);
		ps_msg_aggregate_clear(&am);
		return ps_proto_decode_failed(st, PS_MSG_AGGREGATE, err);
	}
	if (m.ncolumns > 0 || m.flags != 0 || m.offset != 0 || m.limit != 0)
	{
		st = ps_error_set(err, PS_EINVAL, "AGGREGATE takes no scan columns, flags, offset or limit");
		goto done;
	}
	if ((st = ps_proto_room_for_handle(cn, err)) != PS_OK ||
		(st = ps_proto_filters_prepare(cn->srv->st, &m, filters, err)) != PS_OK)
		goto done;
	for (uint32_t i = 0; i < am.nitems; i++)
	{
		items[i].fn = (ps_agg_fn) am.fns[i];
		items[i].column = am.columns[i][0] ? am.columns[i] : NULL;
		items[i].column2 = am.columns2[i];
	}
	memset(&spec, 0, sizeof spec);
	spec.table = m.table;
	spec.lo = m.lo;
	spec.hi = m.hi;
	spec.filters = filters;
	spec.nfilters = m.nfilters;
	spec.bucket_width = am.bucket_width;
	spec.bucket_origin = am.bucket_origin;
	spec.group_by = (const char *const *) am.group_by;
	spec.ngroup = am.ngroup;
	spec.items = items;
	spec.nitems = am.nitems;
	for (uint32_t k = 0; k < am.nsort; k++)
	{
		sort[k].column = am.sort_columns[k];
		sort[k].flags = am.sort_flags[k];
	}
	spec.sort = sort;
	spec.nsort = am.nsort;
	spec.offset = am.offset;
	spec.limit = am.limit;
	if ((h = calloc(1, sizeof *h)) == NULL)
	{
		st = ps_proto_answer_memory(err);
		goto done;
	}
	if ((st = ps_agg_run(cn->srv->st, &spec, &h->agg, err)) != PS_OK)
		goto done;
	h->ncols = ps_agg_ncolumns(h->agg);
	if ((h->cols = calloc(h->ncols, sizeof(uint32_t))) == NULL)
	{
		st = ps_proto_answer_memory(err);
		goto done;
	}
	for (uint32_t c = 0; c < h->ncols; c++)
		h->cols[c] = c;
	h->id = ++cn->next_id;
	h->deadline_ms = ps_proto_now_ms() + (int64_t) cn->srv->idle_timeout_s * 1000;
	if (ps_frame_start(&cn->out, PS_MSG_SCAN_STARTED) != PS_OK ||
		ps_msg_scan_opened_encode(&cn->out, h->id, ps_agg_types(h->agg), h->ncols) != PS_OK)
		st = ps_proto_answer_memory(err);
	else
		st = scan_fill(cn, h, m.max_rows, m.max_bytes, &done, err);
	if (st == PS_OK && !done)
	{
		cn->scans[cn->nscans++] = h;
		h = NULL;
	}
done:
	if (h)
		scan_handle_free(h);
	ps_msg_scan_open_clear(&m);
	ps_msg_aggregate_clear(&am);
	return st;
}
