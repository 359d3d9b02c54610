/*
 * ps_client_scan.c — scans on the client side: opening (SCAN_OPEN, or
 * SCAN_START with the first batch in the same round trip; AGGREGATE, whose
 * groups are read as a scan's rows), fetching with read-ahead, reading the
 * current batch, closing.
 *
 * Invariants:
 *  - A scan owns two buffers: the current batch, whose row pointers survive
 *    any other call on the connection until that scan's next fetch or
 *    close, and the batch read ahead.  A fetch swaps them.
 *  - A fetch that does not end the scan asks for the next batch at once
 *    (c->pending_scan); ps_client_settle reads it into the scan's read-ahead
 *    buffer.
 *  - Once the owner has released the handle (a batch with done = 1, or an
 *    ERROR) the scan sends no more SCAN_FETCH or SCAN_CLOSE; a failed
 *    fetch's error is repeated by every later fetch.
 *  - A deferred open (spec.deferred) sends SCAN_START (or AGGREGATE) and returns: its
 *    answer is owed like a read-ahead batch (s->opening until it comes, the
 *    scan holding no handle), so the handle, the types and the first batch
 *    arrive together, and an error of the open comes from the first fetch.
 *  - ps_client_scan_poll never blocks: it reads what has arrived of the
 *    answer owed to its scan (ps_client_recv_part), and takes it once whole.
 *    An I/O error there breaks the connection and counts as ready: the
 *    fetch reports it.
 * This file is linked into the PostgreSQL extension: libc and the
 * client-side core only; no process-wide state.
 */
#include "ps_client_int.h"

#include <stdlib.h>
#include <string.h>

void
ps_client_scan_free(ps_client_scan *s)
{
	ps_client  *c = s->c;

	/* Only a broken or closing connection may still owe this scan an answer. */
	if (c->pending_scan == s)
	{
		c->pending_scan = NULL;
		c->part_got = 0;
	}
	if (s->prev)
		s->prev->next = s->next;
	else
		c->scans = s->next;
	if (s->next)
		s->next->prev = s->prev;
	free(s->types);
	ps_buf_free(&s->batch);
	ps_buf_free(&s->ahead);
	ps_frame_rows_free(&s->rows);
	ps_frame_rows_free(&s->ahead_rows);
	free(s);
}

ps_status
ps_client_scan_answer(ps_client_scan *s, uint8_t code, ps_reader *payload, ps_error *err)
{
	ps_client  *c = s->c;
	ps_msg_scan_opened m;
	bool		opening = s->opening;

	s->opening = false;
	/* Either answer ends the owner's handle when it says so (ps_frame.h). */
	if (code == PS_MSG_ERROR)
	{
		s->ahead_state = AHEAD_ERROR;
		s->released = true;
		return PS_OK;
	}
	if (opening)
	{
		/* The owner holds the handle; breaking the connection releases it. */
		memset(&m, 0, sizeof m);
		if (code != PS_MSG_SCAN_STARTED ||
			ps_msg_scan_started_decode(payload, &m, &s->ahead_rows) != PS_OK ||
			(s->aggregate ? m.ntypes == 0 : m.ntypes != s->ntypes))
		{
			ps_msg_scan_opened_clear(&m);
			return ps_client_bad_answer(c, PS_EPROTO, "SCAN_STARTED", err);
		}
		s->handle = m.handle;
		s->types = m.types;		/* moved */
		s->ntypes = m.ntypes;
	}
	else if (code != PS_MSG_ROWS ||
			 ps_frame_rows_decode(payload, s->types, s->ntypes, &s->ahead_rows) != PS_OK)
		return ps_client_bad_answer(c, PS_EPROTO, "ROWS", err);
	s->ahead_state = AHEAD_ROWS;
	s->released = s->ahead_rows.done;
	return PS_OK;
}

/*
 * Ask for the next batch of s without waiting: after settling what the
 * connection owes, send a SCAN_FETCH whose answer becomes c->pending_scan.
 */
static ps_status
scan_request(ps_client_scan *s, uint32_t max_rows, ps_error *err)
{
	ps_client  *c = s->c;
	ps_status	st;

	if ((st = ps_client_usable(c, err)) != PS_OK || (st = ps_client_settle(c, err)) != PS_OK)
		return st;
	if (ps_client_build_handle_request(c, PS_MSG_SCAN_FETCH, s->handle) != PS_OK ||
		ps_buf_append_u32be(&c->out, max_rows) != PS_OK ||
		ps_buf_append_u32be(&c->out, s->batch_bytes) != PS_OK)
		return ps_client_no_memory(err);
	if ((st = ps_client_send(c, &c->out, err)) != PS_OK)
		return st;
	c->pending_scan = s;
	return PS_OK;
}

/* Start a request of code in c->out with the SCAN_OPEN fields of spec. */
static ps_status
start_scan_request(ps_client *c, uint8_t code, const ps_client_scan_spec *spec, ps_error *err)
{
	ps_status	st;

	if (ps_frame_start(&c->out, code) != PS_OK)
		return ps_client_no_memory(err);
	st = ps_msg_scan_open_encode(&c->out, spec->table, spec->lo, spec->hi,
								 (spec->descending ? PS_SCAN_DESCENDING : 0) |
								 (spec->unordered ? PS_SCAN_UNORDERED : 0) |
								 (spec->no_times ? PS_SCAN_NO_TIMES : 0),
								 spec->offset, spec->limit, spec->columns, spec->ncolumns,
								 spec->filters, spec->nfilters);
	if (st == PS_EINVAL)
		return ps_error_set(err, PS_EINVAL,
							"series filters must be at most %d, with at most %d values in all, of integer, string or boolean columns",
							PS_FRAME_MAX_FILTERS, PS_FRAME_MAX_FILTER_VALUES);
	return st == PS_OK ? PS_OK : ps_client_no_memory(err);
}

/*
 * Open a scan (agg NULL) with SCAN_OPEN or SCAN_START, or an aggregate's
 * groups with AGGREGATE, which always brings its first batch.
 */
static ps_status
open_scan(ps_client *c, const ps_client_scan_spec *spec, const ps_client_agg_spec *agg,
		  ps_client_scan **out, const ps_type **types_out, uint32_t *ntypes_out, ps_error *err)
{
	ps_client_scan *s;
	ps_reader	payload;
	ps_msg_scan_opened m;
	bool		start = spec->first_rows > 0 || agg != NULL;
	uint8_t		code = agg ? PS_MSG_AGGREGATE : start ? PS_MSG_SCAN_START : PS_MSG_SCAN_OPEN;
	uint32_t	batch_bytes = spec->batch_bytes == 0 ? PS_FRAME_BATCH_BYTES
		: spec->batch_bytes < PS_FRAME_SCAN_BYTES_MAX ? spec->batch_bytes : PS_FRAME_SCAN_BYTES_MAX;
	ps_status	st;

	*out = NULL;
	if (types_out)
		*types_out = NULL;
	if (ntypes_out)
		*ntypes_out = 0;
	if (spec->table == NULL || (spec->ncolumns > 0 && spec->columns == NULL))
		return ps_error_set(err, PS_EINVAL, "scan needs a table name and its column names");
	if (spec->deferred && spec->first_rows == 0)
		return ps_error_set(err, PS_EINVAL, "a deferred open needs first_rows");
	/* SCAN_START brings the first batch along, into the read-ahead buffer. */
	if ((st = start_scan_request(c, code, spec, err)) != PS_OK)
		return st;
	if (start && ps_msg_scan_start_put_batch(&c->out, spec->first_rows ? spec->first_rows : 1,
											 batch_bytes) != PS_OK)
		return ps_client_no_memory(err);
	if (agg && (st = ps_msg_aggregate_put(&c->out, agg->bucket_width, agg->bucket_origin,
										  agg->group_by, agg->ngroup, agg->fns, agg->columns,
										  agg->columns2, agg->nitems, agg->sort_columns,
										  agg->sort_flags, agg->nsort, agg->offset,
										  agg->limit)) != PS_OK)
		return st == PS_EINVAL ?
			ps_error_set(err, PS_EINVAL, "an aggregate needs 1 to %d aggregates, at most %d group columns and %d sort keys",
						 PS_FRAME_MAX_AGG_ITEMS, PS_FRAME_MAX_AGG_GROUPS, PS_FRAME_MAX_AGG_SORT)
			: ps_client_no_memory(err);
	/*
	 * Allocate before asking, so success on the owner cannot leak a handle,
	 * and list the scan at once (holding no handle yet), so that the client
	 * owns it should the wait check not return.
	 */
	if ((s = calloc(1, sizeof *s)) == NULL)
		return ps_client_no_memory(err);
	s->c = c;
	s->released = true;
	s->next = c->scans;
	if (c->scans)
		c->scans->prev = s;
	c->scans = s;
	if ((st = ps_client_usable(c, err)) == PS_OK && (st = ps_client_settle(c, err)) == PS_OK)
	{
		if (spec->deferred)
			st = ps_client_send(c, &c->out, err);
		else
			st = ps_client_roundtrip(c, &c->out, start ? &s->ahead : &c->in,
									 start ? PS_MSG_SCAN_STARTED : PS_MSG_SCAN_OPENED, &payload, err);
	}
	if (st != PS_OK)
	{
		ps_client_scan_free(s);
		return st;
	}
	if (spec->deferred)
	{
		/* SCAN_STARTED (or ERROR) is owed: ps_client_scan_answer takes it. */
		s->opening = true;
		s->aggregate = agg != NULL;
		s->batch_bytes = batch_bytes;
		s->ntypes = agg ? 0 : spec->ncolumns;
		c->pending_scan = s;
		*out = s;
		return PS_OK;
	}
	if ((start ? ps_msg_scan_started_decode(&payload, &m, &s->ahead_rows)
		 : ps_msg_scan_opened_decode(&payload, &m)) != PS_OK ||
		(agg ? m.ntypes == 0 : m.ntypes != spec->ncolumns))
	{
		ps_msg_scan_opened_clear(&m);
		ps_client_scan_free(s);
		/* The owner holds the handle; breaking the connection releases it. */
		return ps_client_bad_answer(c, PS_EPROTO, start ? "SCAN_STARTED" : "SCAN_OPENED", err);
	}
	s->handle = m.handle;
	s->batch_bytes = batch_bytes;
	s->types = m.types;			/* moved */
	s->ntypes = m.ntypes;
	s->released = false;
	if (start)
	{
		s->ahead_state = AHEAD_ROWS;
		s->released = s->ahead_rows.done;
	}
	*out = s;
	if (types_out)
		*types_out = s->types;
	if (ntypes_out)
		*ntypes_out = s->ntypes;
	return PS_OK;
}

ps_status
ps_client_scan_open(ps_client *c, const ps_client_scan_spec *spec,
					ps_client_scan **out, const ps_type **types_out, ps_error *err)
{
	return open_scan(c, spec, NULL, out, types_out, NULL, err);
}

ps_status
ps_client_aggregate(ps_client *c, const ps_client_scan_spec *spec, const ps_client_agg_spec *agg,
					ps_client_scan **out, const ps_type **types, uint32_t *ntypes, ps_error *err)
{
	*out = NULL;
	if (spec->ncolumns > 0 || spec->descending || spec->unordered || spec->no_times ||
		spec->offset > 0 || spec->limit > 0)
		return ps_error_set(err, PS_EINVAL, "an aggregate takes only the table, range and filters of its scan spec");
	return open_scan(c, spec, agg, out, types, ntypes, err);
}

ps_status
ps_client_scan_fetch(ps_client_scan *s, uint32_t max_rows, bool *done, ps_error *err)
{
	ps_client  *c = s->c;
	ps_buf		swap;
	ps_frame_rows rows_swap;
	ps_status	st;

	s->rows.count = 0;
	s->row = 0;
	*done = false;
	if (s->failed)
	{
		if (err)
			*err = s->failure;
		return s->failure.code;
	}
	/* The batch read ahead, if the owner still owes it, arrives first. */
	if (c->pending_scan == s && (st = ps_client_settle(c, err)) != PS_OK)
		return st;
	if (s->ahead_state == AHEAD_NONE)
	{
		if (s->released)
		{
			*done = true;
			return PS_OK;
		}
		if ((st = scan_request(s, max_rows, err)) != PS_OK ||
			(st = ps_client_settle(c, err)) != PS_OK)
			return st;
	}
	if (s->ahead_state == AHEAD_ERROR)
	{
		/* The owner released the handle; later fetches repeat the error. */
		s->ahead_state = AHEAD_NONE;
		s->failed = true;
		s->failure = s->ahead_error;
		if (err)
			*err = s->failure;
		return s->failure.code;
	}
	/* The batch read ahead becomes current; its vectors move with its bytes. */
	swap = s->batch;
	s->batch = s->ahead;
	s->ahead = swap;
	rows_swap = s->rows;
	s->rows = s->ahead_rows;
	s->ahead_rows = rows_swap;
	s->ahead_state = AHEAD_NONE;
	*done = s->rows.done;
	/* Read ahead; should that fail, the next call on the connection says why. */
	if (!*done)
		(void) scan_request(s, max_rows, NULL);
	return PS_OK;
}

const ps_type *
ps_client_scan_types(const ps_client_scan *s)
{
	return s->opening ? NULL : s->types;
}

uint32_t
ps_client_scan_ntypes(const ps_client_scan *s)
{
	return s->opening ? 0 : s->ntypes;
}

int
ps_client_fd(const ps_client *c)
{
	return c->broken ? -1 : c->tx.fd;
}

ps_status
ps_client_scan_poll(ps_client_scan *s, bool *ready, ps_error *err)
{
	ps_client  *c = s->c;
	uint8_t		code;
	ps_reader	payload;
	bool		complete;
	ps_status	st;

	*ready = true;
	if (c->pending_scan != s || ps_client_dead(c))
		return PS_OK;
	st = ps_client_recv_part(c, &s->ahead, false, &complete, &code, &payload, &s->ahead_error, err);
	if (st != PS_OK || !complete)
	{
		*ready = st != PS_OK;
		return st;
	}
	c->pending_scan = NULL;
	return ps_client_scan_answer(s, code, &payload, err);
}

bool
ps_client_scan_in_flight(ps_client *c)
{
	bool		ready;

	if (c->pending_scan == NULL)
		return false;
	(void) ps_client_scan_poll(c->pending_scan, &ready, NULL);
	return !ready;
}

const ps_frame_rows *
ps_client_scan_rows(const ps_client_scan *s)
{
	return &s->rows;
}

bool
ps_client_scan_row(ps_client_scan *s, int64_t *time, ps_value *values)
{
	uint32_t	r = s->row;

	if (r >= s->rows.count)
		return false;
	*time = s->rows.times ? ps_frame_le_i64(s->rows.times, r) : 0;
	for (uint32_t c = 0; c < s->ntypes; c++)
		ps_frame_rows_value(&s->rows, c, s->types[c], r, &values[c]);
	s->row++;
	return true;
}

ps_status
ps_client_scan_close(ps_client_scan *s, ps_error *err)
{
	ps_client  *c;
	ps_status	st = PS_OK;

	if (s == NULL)
		return PS_OK;
	c = s->c;
	/*
	 * A batch still owed must be read (and is dropped): answers come in
	 * order.  Should that break the connection, the owner drops the scan.
	 */
	if (c->pending_scan == s && !ps_client_dead(c))
		(void) ps_client_settle(c, NULL);
	if (!s->released && !ps_client_dead(c))
	{
		if (ps_client_build_handle_request(c, PS_MSG_SCAN_CLOSE, s->handle) != PS_OK)
			st = ps_client_no_memory(err);
		else
			st = ps_client_call_ok(c, err);
	}
	ps_client_scan_free(s);
	return st;
}

ps_status
ps_client_estimate(ps_client *c, const ps_client_scan_spec *spec, uint64_t max_blocks,
				   double *rows, ps_error *err)
{
	ps_reader	payload;
	uint64_t	n;
	ps_status	st;

	if (spec->table == NULL || (spec->ncolumns > 0 && spec->columns == NULL))
		return ps_error_set(err, PS_EINVAL, "an estimate needs a table name");
	if ((st = start_scan_request(c, PS_MSG_ESTIMATE, spec, err)) != PS_OK)
		return st;
	if (ps_buf_append_u64be(&c->out, max_blocks) != PS_OK)
		return ps_client_no_memory(err);
	if ((st = ps_client_call(c, PS_MSG_ESTIMATED, &payload, err)) != PS_OK)
		return st;
	if (ps_frame_get_u64(&payload, &n) != PS_OK || ps_frame_get_end(&payload) != PS_OK)
		return ps_client_bad_answer(c, PS_EPROTO, "ESTIMATED", err);
	*rows = (double) n;
	return PS_OK;
}
