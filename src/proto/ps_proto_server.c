/*
 * ps_proto_server.c — the owner side of the native protocol (API in
 * ps_proto_server.h, wire format in ps_frame.h).
 *
 * Threads: one accept thread polls the listening socket and a wake-up pipe;
 * each admitted connection runs in a detached thread of its own that reads a
 * request, answers it and loops.  Requests are received into a buffer with
 * room to spare and parsed in place, so a small request usually costs one
 * recv (and requests pipelined behind it none).  The server's mutex guards
 * only the connection list and count; a connection's handles are touched by
 * its own thread alone.  Stop closes the listener, shuts every connection
 * socket down (which wakes its thread out of poll/recv/send) and waits on a
 * condition variable until the connection count drops to zero; a connection
 * thread closes its socket and unlinks itself under the mutex, as its very
 * last use of the server, so stop never touches a recycled descriptor and
 * may free the server as soon as the count is zero.
 *
 * Invariants:
 *  - Every request gets exactly one answer frame.  A malformed frame or
 *    payload gets an ERROR with PS_EPROTO and the connection is closed.
 *  - A connection holds at most PS_PROTO_MAX_HANDLES scans plus loads; when
 *    it ends, its loads are aborted and its scans closed.
 *  - A scan untouched for scan_idle_timeout_s is closed even while its
 *    connection sits idle: while it has scans open, the thread polls with a
 *    timeout that ends at the earliest scan deadline (with none it simply
 *    blocks in recv).  The same timeout bounds how long a peer may stall
 *    mid-frame or before its handshake (SO_RCVTIMEO) or refuse to read an
 *    answer (SO_SNDTIMEO), after which the connection is dropped.
 *  - A load is all-or-nothing: its first error rolls it back at once and the
 *    handle remembers the error until the client aborts it.
 */
#include "ps_proto_server.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "../core/ps_csv.h"
#include "../core/ps_row.h"
#include "../core/ps_schema.h"
#include "ps_frame.h"
#include "ps_frame_rows.h"

#define PS_PROTO_MAX_HANDLES 256	/* open scans + loads per connection */
#define DEFAULT_MAX_CONNECTIONS 64
#define DEFAULT_SCAN_IDLE_TIMEOUT_S 300
#define LISTEN_BACKLOG 64
/*
 * Request/answer buffers above this are freed after use, not kept; a
 * largest scan batch (plus the row that crosses its soft size) stays.
 */
#define KEEP_BUFFER_BYTES (2u * PS_FRAME_SCAN_BYTES_MAX)
/*
 * Requests are read into a buffer with room for at least this much, so one
 * recv usually brings a whole request (and any pipelined after it); a large
 * frame's buffer grows at most RECV_STEP ahead of the bytes that arrived.
 */
#define RECV_MIN_ROOM (16u * 1024)
#define RECV_STEP (1024u * 1024)

typedef struct scan_handle {
	uint32_t	id;
	ps_scan    *sc;
	uint32_t   *cols;			/* requested columns: schema indexes */
	uint32_t	ncols;
	bool		with_times;		/* ROWS carry the time vector */
	int64_t		deadline_ms;	/* closed when idle past this (monotonic) */
} scan_handle;

typedef enum load_state {
	LOAD_ROWS,					/* row load taking LOAD_ROWS */
	LOAD_CSV,					/* CSV load taking LOAD_CSV_DATA */
	LOAD_FINISHED,				/* input ended; ld awaits commit or abort */
	LOAD_FAILED					/* rolled back; failure says why */
} load_state;

typedef struct load_handle {
	uint32_t	id;
	load_state	state;
	ps_load    *ld;				/* LOAD_ROWS, LOAD_FINISHED */
	ps_csv_load *csv;			/* LOAD_CSV */
	ps_error	failure;		/* LOAD_FAILED */
	/* Row loads: how an input row becomes a table row. */
	ps_type    *in_types;		/* input value columns (input minus time) */
	uint32_t	nin;
	uint32_t   *target;			/* table column of each input value column */
	uint32_t	time_col;		/* table column of the time */
	ps_value   *in_values;		/* nin decoded input values */
	ps_value   *row;			/* nrow table-order values for ps_load_append */
	uint32_t	nrow;
	uint64_t	rows_received;	/* numbers rows in error messages */
} load_handle;

typedef struct conn conn;

struct ps_proto_server {
	ps_store   *st;
	char		socket_path[sizeof(((struct sockaddr_un *) 0)->sun_path)];
	uint32_t	max_connections;
	uint32_t	idle_timeout_s;
	uint64_t	max_field_bytes;
	uint32_t	batch_size;
	ps_msg_status status;		/* what STATUS reports, pid and size aside */
	int			listen_fd;
	int			wake[2];		/* written by stop to end the accept thread */
	pthread_t	accept_thread;
	pthread_mutex_t mu;
	pthread_cond_t idle;		/* signalled when a connection ends */
	conn	   *conns;			/* under mu */
	uint32_t	nconns;			/* under mu */
};

struct conn {
	ps_proto_server *srv;
	int			fd;
	conn	   *prev, *next;	/* srv->conns, under srv->mu */
	ps_buf		in;				/* bytes received; requests are parsed in place */
	size_t		in_start;		/* where the unread bytes of in begin */
	size_t		in_frame;		/* length of the request being served, at in_start */
	ps_buf		out;			/* answer */
	ps_buf		scratch;		/* the empty value a scan of no columns sends */
	uint32_t	next_id;
	scan_handle *scans[PS_PROTO_MAX_HANDLES];
	uint32_t	nscans;
	load_handle *loads[PS_PROTO_MAX_HANDLES];
	uint32_t	nloads;
};

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static ps_status
malformed(ps_error *err, uint8_t code)
{
	return ps_error_set(err, PS_EPROTO, "malformed %s request", ps_msg_name(code));
}

/* Map a decoder's status to the request's error. */
static ps_status
decode_failed(ps_status st, uint8_t code, ps_error *err)
{
	if (st == PS_ENOMEM)
		return ps_error_set(err, PS_ENOMEM, "out of memory decoding a %s request", ps_msg_name(code));
	return malformed(err, code);
}

static ps_status
answer_memory(ps_error *err)
{
	return ps_error_set(err, PS_ENOMEM, "out of memory building an answer");
}

static ps_status
room_for_handle(const conn *cn, ps_error *err)
{
	if (cn->nscans + cn->nloads >= PS_PROTO_MAX_HANDLES)
		return ps_error_set(err, PS_ETOOBIG,
							"too many open scans and loads on one connection (max %d)",
							PS_PROTO_MAX_HANDLES);
	return PS_OK;
}

/* ---------------------------------------------------------------- scan handles */

static void
scan_handle_free(scan_handle *h)
{
	ps_scan_close(h->sc);
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

static void
scan_remove(conn *cn, uint32_t slot)
{
	scan_handle_free(cn->scans[slot]);
	cn->scans[slot] = cn->scans[--cn->nscans];
}

static void
scans_expire(conn *cn, int64_t now)
{
	uint32_t	i = 0;

	while (i < cn->nscans)
	{
		if (cn->scans[i]->deadline_ms <= now)
			scan_remove(cn, i);		/* the last one moves into slot i */
		else
			i++;
	}
}

/* Milliseconds until the earliest scan deadline, or -1 (no scan: wait forever). */
static int
scans_poll_timeout(const conn *cn, int64_t now)
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

/* ---------------------------------------------------------------- load handles */

static void
load_handle_free(load_handle *h)
{
	switch (h->state)
	{
		case LOAD_ROWS:
		case LOAD_FINISHED:
			ps_load_abort(h->ld);
			break;
		case LOAD_CSV:
			ps_csv_abort(h->csv);
			break;
		case LOAD_FAILED:
			break;
	}
	free(h->in_types);
	free(h->target);
	free(h->in_values);
	free(h->row);
	free(h);
}

static load_handle *
load_find(conn *cn, uint32_t id, uint32_t *slot)
{
	for (uint32_t i = 0; i < cn->nloads; i++)
		if (cn->loads[i]->id == id)
		{
			*slot = i;
			return cn->loads[i];
		}
	return NULL;
}

/* Remove a handle from the table without touching its load. */
static void
load_unlink(conn *cn, uint32_t slot)
{
	cn->loads[slot] = cn->loads[--cn->nloads];
}

/*
 * Roll the load back now (what is left of it) and keep the reason for
 * every later request on it; the reason is also this request's error.
 */
static ps_status
load_fail(load_handle *h, const ps_error *why, ps_error *err)
{
	if (h->state == LOAD_CSV)
		ps_csv_abort(h->csv);
	else if (h->state != LOAD_FAILED)
		ps_load_abort(h->ld);
	h->csv = NULL;
	h->ld = NULL;
	h->state = LOAD_FAILED;
	h->failure = *why;
	if (err)
		*err = *why;
	return why->code;
}

/* The handle of a data or finish request, or an error why it cannot proceed. */
static ps_status
load_for_input(conn *cn, uint32_t id, load_handle **out, ps_error *err)
{
	uint32_t	slot;
	load_handle *h = load_find(cn, id, &slot);

	if (h == NULL)
		return ps_error_set(err, PS_ENOTFOUND, "no open load with handle %u", id);
	if (h->state == LOAD_FAILED)
	{
		if (err)
			*err = h->failure;
		return h->failure.code;
	}
	if (h->state == LOAD_FINISHED)
		return ps_error_set(err, PS_EINVAL, "load %u already finished: commit or abort it", id);
	*out = h;
	return PS_OK;
}

/* ---------------------------------------------------------------- catalog requests */

static ps_status
handle_tables(conn *cn, ps_reader *r, ps_error *err)
{
	ps_table_info *t;
	size_t		n;
	ps_status	st;

	if (ps_frame_get_end(r) != PS_OK)
		return malformed(err, PS_MSG_TABLES);
	if ((st = ps_store_list_tables(cn->srv->st, &t, &n, err)) != PS_OK)
		return st;
	st = ps_frame_start(&cn->out, PS_MSG_TABLE_LIST);
	if (st == PS_OK)
		st = ps_buf_append_varint(&cn->out, n);
	for (size_t i = 0; i < n && st == PS_OK; i++)
		st = ps_msg_table_list_put(&cn->out, t[i].name, t[i].row_count,
								   t[i].row_count ? t[i].min_time : 0,
								   t[i].row_count ? t[i].max_time : 0);
	free(t);
	return st == PS_OK ? PS_OK : answer_memory(err);
}

/* 0 when column is not in schema's series key, else its 1-based position there. */
static uint8_t
series_position(const ps_schema *schema, uint32_t column)
{
	for (uint32_t k = 0; k < schema->nseries && k < PS_MAX_SERIES_COLUMNS; k++)
		if (schema->series[k] == column)
			return (uint8_t) (k + 1);
	return 0;
}

static ps_status
handle_table_info(conn *cn, ps_reader *r, ps_error *err)
{
	char	   *name = NULL;
	ps_table_info info;
	ps_schema  *schema = NULL;
	ps_status	st;

	if ((st = ps_frame_get_strdup(r, &name)) != PS_OK || ps_frame_get_end(r) != PS_OK)
	{
		free(name);
		return decode_failed(st, PS_MSG_TABLE_INFO, err);
	}
	st = ps_store_table_info(cn->srv->st, name, &info, &schema, err);
	free(name);
	if (st != PS_OK)
		return st;
	st = ps_frame_start(&cn->out, PS_MSG_TABLE);
	if (st == PS_OK)
		st = ps_msg_table_info_put_header(&cn->out, info.name, info.row_count,
										  info.row_count ? info.min_time : 0,
										  info.row_count ? info.max_time : 0,
										  schema->nseries > 0 ? info.nseries : 0,
										  schema->ncolumns);
	for (uint32_t i = 0; i < schema->ncolumns && st == PS_OK; i++)
		st = ps_msg_table_info_put_column(&cn->out, schema->columns[i].name,
										  schema->columns[i].type, i == schema->time_index,
										  series_position(schema, i));
	ps_schema_free(schema);
	return st == PS_OK ? PS_OK : answer_memory(err);
}

static ps_status
handle_delete_range(conn *cn, ps_reader *r, ps_error *err)
{
	char	   *name = NULL;
	int64_t		lo, hi;
	uint64_t	removed;
	ps_status	st;

	if ((st = ps_frame_get_strdup(r, &name)) != PS_OK ||
		(st = ps_frame_get_i64(r, &lo)) != PS_OK ||
		(st = ps_frame_get_i64(r, &hi)) != PS_OK ||
		(st = ps_frame_get_end(r)) != PS_OK)
	{
		free(name);
		return decode_failed(st, PS_MSG_DELETE_RANGE, err);
	}
	st = ps_store_delete_range(cn->srv->st, name, lo, hi, &removed, err);
	free(name);
	if (st != PS_OK)
		return st;
	if (ps_frame_start(&cn->out, PS_MSG_DELETED) != PS_OK ||
		ps_buf_append_u64be(&cn->out, removed) != PS_OK)
		return answer_memory(err);
	return PS_OK;
}

static ps_status
answer_ok(conn *cn, ps_error *err)
{
	return ps_frame_start(&cn->out, PS_MSG_OK) == PS_OK ? PS_OK : answer_memory(err);
}

static ps_status
handle_drop_table(conn *cn, ps_reader *r, ps_error *err)
{
	char	   *name = NULL;
	ps_status	st;

	if ((st = ps_frame_get_strdup(r, &name)) != PS_OK || ps_frame_get_end(r) != PS_OK)
	{
		free(name);
		return decode_failed(st, PS_MSG_DROP_TABLE, err);
	}
	st = ps_store_drop_table(cn->srv->st, name, err);
	free(name);
	return st != PS_OK ? st : answer_ok(cn, err);
}

static ps_status
handle_status(conn *cn, ps_reader *r, ps_error *err)
{
	ps_msg_status m = cn->srv->status;
	ps_store_activity activity;

	if (ps_frame_get_end(r) != PS_OK)
		return malformed(err, PS_MSG_STATUS);
	m.pid = (uint32_t) getpid();
	m.data_bytes = ps_store_disk_size(cn->srv->st);
	pthread_mutex_lock(&cn->srv->mu);
	m.connections = cn->srv->nconns;
	pthread_mutex_unlock(&cn->srv->mu);
	ps_store_activity_get(cn->srv->st, &activity);
	m.open_scans = activity.open_scans;
	m.open_loads = activity.open_loads;
	if (ps_frame_start(&cn->out, PS_MSG_STATUS_OK) != PS_OK ||
		ps_msg_status_encode(&cn->out, &m) != PS_OK)
		return answer_memory(err);
	return PS_OK;
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
		return answer_memory(err);
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
static ps_status
filters_check(const ps_msg_scan_open *m, const ps_schema *schema, ps_error *err)
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
static ps_status
filters_prepare(ps_store *st, const ps_msg_scan_open *m, ps_series_filter *out, ps_error *err)
{
	ps_schema  *schema = NULL;
	ps_status	rc;

	if (m->nfilters == 0)
		return PS_OK;
	if ((rc = ps_store_table_info(st, m->table, NULL, &schema, err)) != PS_OK)
		return rc;
	rc = filters_check(m, schema, err);
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
	if ((st = ps_scan_next_batch(h->sc, max_rows, max_bytes, &batch, done, err)) != PS_OK)
		return st;
	if ((st = ps_frame_rows_encode(&cn->out, batch, h->cols, h->ncols, h->with_times,
								   *done)) == PS_ENOMEM)
		return answer_memory(err);
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
static ps_status
handle_scan_open(conn *cn, ps_reader *r, bool start, ps_error *err)
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
		return decode_failed(st, code, err);
	}
	if ((st = room_for_handle(cn, err)) != PS_OK ||
		(st = filters_prepare(cn->srv->st, &m, filters, err)) != PS_OK)
		goto done;
	if ((h = calloc(1, sizeof *h)) == NULL ||
		(types = calloc(m.ncolumns ? m.ncolumns : 1, sizeof(ps_type))) == NULL)
	{
		free(h);
		st = answer_memory(err);
		goto done;
	}
	memset(&spec, 0, sizeof spec);
	spec.table = m.table;
	spec.lo = m.lo;
	spec.hi = m.hi;
	spec.descending = (m.flags & PS_SCAN_DESCENDING) != 0;
	spec.unordered = (m.flags & PS_SCAN_UNORDERED) != 0;
	spec.offset = m.offset;
	spec.limit = m.limit;
	spec.filters = filters;
	spec.nfilters = m.nfilters;
	/*
	 * The table may have been dropped and created again since the filters
	 * were checked: check them against the schema the scan reads, too.
	 */
	if ((st = ps_scan_open(cn->srv->st, &spec, &h->sc, err)) != PS_OK ||
		(st = filters_check(&m, ps_scan_schema(h->sc), err)) != PS_OK ||
		(st = scan_resolve(h, &m, types, err)) != PS_OK)
	{
		scan_handle_free(h);
		goto done;
	}
	h->id = ++cn->next_id;
	h->with_times = (m.flags & PS_SCAN_NO_TIMES) == 0;
	h->deadline_ms = now_ms() + (int64_t) cn->srv->idle_timeout_s * 1000;
	if (ps_frame_start(&cn->out, start ? PS_MSG_SCAN_STARTED : PS_MSG_SCAN_OPENED) != PS_OK ||
		ps_msg_scan_opened_encode(&cn->out, h->id, types, m.ncolumns) != PS_OK)
		st = answer_memory(err);
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

static ps_status
handle_scan_fetch(conn *cn, ps_reader *r, ps_error *err)
{
	uint32_t	id, max_rows, max_bytes, slot;
	scan_handle *h;
	bool		done;
	ps_status	st;

	if (ps_frame_get_u32(r, &id) != PS_OK || ps_frame_get_u32(r, &max_rows) != PS_OK ||
		ps_frame_get_u32(r, &max_bytes) != PS_OK || ps_frame_get_end(r) != PS_OK)
		return malformed(err, PS_MSG_SCAN_FETCH);
	if ((h = scan_find(cn, id, &slot)) == NULL)
		return ps_error_set(err, PS_ENOTFOUND,
							"no open scan with handle %u (scans idle for %u s are closed)",
							id, cn->srv->idle_timeout_s);
	if (ps_frame_start(&cn->out, PS_MSG_ROWS) != PS_OK)
		st = answer_memory(err);
	else
		st = scan_fill(cn, h, max_rows, max_bytes, &done, err);
	/* An exhausted or failed scan is released at once (ps_frame.h). */
	if (st != PS_OK || done)
		scan_remove(cn, slot);
	else
		h->deadline_ms = now_ms() + (int64_t) cn->srv->idle_timeout_s * 1000;
	return st;
}

static ps_status
handle_scan_close(conn *cn, ps_reader *r, ps_error *err)
{
	uint32_t	id, slot;

	if (ps_frame_get_u32(r, &id) != PS_OK || ps_frame_get_end(r) != PS_OK)
		return malformed(err, PS_MSG_SCAN_CLOSE);
	if (scan_find(cn, id, &slot) != NULL)
		scan_remove(cn, slot);
	return answer_ok(cn, err);
}

/* ---------------------------------------------------------------- loads */

static ps_status
answer_load_opened(conn *cn, load_handle *h, ps_error *err)
{
	h->id = ++cn->next_id;
	if (ps_frame_start(&cn->out, PS_MSG_LOAD_OPENED) != PS_OK ||
		ps_buf_append_u32be(&cn->out, h->id) != PS_OK)
	{
		load_handle_free(h);
		return answer_memory(err);
	}
	cn->loads[cn->nloads++] = h;
	return PS_OK;
}

/* Work out where each input column lands in the load's table schema. */
static ps_status
row_load_prepare(load_handle *h, const ps_msg_load_begin *m, ps_error *err)
{
	const ps_schema *table = ps_load_schema(h->ld);
	const uint32_t *map = ps_load_input_map(h->ld);
	uint32_t	j = 0;

	h->nin = m->ncolumns - 1;
	h->nrow = table->ncolumns;
	if ((h->in_types = calloc(h->nin ? h->nin : 1, sizeof(ps_type))) == NULL ||
		(h->target = calloc(h->nin ? h->nin : 1, sizeof(uint32_t))) == NULL ||
		(h->in_values = calloc(h->nin ? h->nin : 1, sizeof(ps_value))) == NULL ||
		(h->row = calloc(h->nrow, sizeof(ps_value))) == NULL)
		return answer_memory(err);
	h->time_col = map[m->time_index];
	for (uint32_t i = 0; i < m->ncolumns; i++)
	{
		if (i == m->time_index)
			continue;
		h->in_types[j] = m->types[i];
		h->target[j] = map[i];
		j++;
	}
	return PS_OK;
}

static ps_status
handle_load_begin(conn *cn, ps_reader *r, ps_error *err)
{
	ps_msg_load_begin m;
	ps_schema  *input = NULL;
	ps_load_spec spec;
	load_handle *h = NULL;
	ps_status	st;

	if ((st = ps_msg_load_begin_decode(r, &m)) != PS_OK)
	{
		ps_msg_load_begin_clear(&m);
		return decode_failed(st, PS_MSG_LOAD_BEGIN, err);
	}
	if ((st = room_for_handle(cn, err)) != PS_OK)
		goto done;
	if (m.time_index >= m.ncolumns)
	{
		st = ps_error_set(err, PS_EINVAL, "time column index %u out of range (%u columns)",
						  m.time_index, m.ncolumns);
		goto done;
	}
	if ((st = ps_schema_new((const char *const *) m.names, m.types, m.ncolumns, m.time_index,
							&input, err)) != PS_OK)
		goto done;
	if ((h = calloc(1, sizeof *h)) == NULL)
	{
		st = answer_memory(err);
		goto done;
	}
	memset(&spec, 0, sizeof spec);
	spec.table = m.table;
	spec.input = input;
	spec.add_columns = m.add_columns;
	spec.dedup = false;
	spec.series_key = m.series_key;
	if ((st = ps_load_begin(cn->srv->st, &spec, &h->ld, err)) != PS_OK)
	{
		free(h);
		h = NULL;
		goto done;
	}
	h->state = LOAD_ROWS;
	if ((st = row_load_prepare(h, &m, err)) != PS_OK)
	{
		load_handle_free(h);
		goto done;
	}
	st = answer_load_opened(cn, h, err);
done:
	ps_schema_free(input);
	ps_msg_load_begin_clear(&m);
	return st;
}

/* Append one LOAD_ROWS row; any error fails the whole load. */
static ps_status
row_load_append(load_handle *h, int64_t time, const uint8_t *value, size_t len, ps_error *err)
{
	ps_error	e;
	ps_status	st;

	h->rows_received++;
	if (ps_row_decode(h->in_types, h->nin, value, len, h->in_values, NULL, &e) != PS_OK)
	{
		ps_error_set_at(&e, PS_EINVAL, (int64_t) h->rows_received, 0,
						"row %llu: malformed row value", (unsigned long long) h->rows_received);
		return load_fail(h, &e, err);
	}
	for (uint32_t i = 0; i < h->nrow; i++)
		h->row[i].is_null = true;
	h->row[h->time_col].is_null = false;
	h->row[h->time_col].v.i = time;
	for (uint32_t j = 0; j < h->nin; j++)
		h->row[h->target[j]] = h->in_values[j];
	if ((st = ps_load_append(h->ld, h->row, &e)) != PS_OK)
	{
		ps_error_set_at(&e, st, (int64_t) h->rows_received, 0, "row %llu: %s",
						(unsigned long long) h->rows_received, e.message);
		return load_fail(h, &e, err);
	}
	return PS_OK;
}

static ps_status
handle_load_rows(conn *cn, ps_reader *r, ps_error *err)
{
	uint32_t	id;
	load_handle *h;
	ps_status	st;

	if (ps_frame_get_u32(r, &id) != PS_OK)
		return malformed(err, PS_MSG_LOAD_ROWS);
	if ((st = load_for_input(cn, id, &h, err)) != PS_OK)
		return st;
	if (h->state != LOAD_ROWS)
		return ps_error_set(err, PS_EINVAL, "load %u is a CSV load: send LOAD_CSV_DATA", id);
	while (ps_reader_left(r) > 0)
	{
		int64_t		time;
		const uint8_t *value;
		size_t		len;

		if (ps_frame_get_row(r, &time, &value, &len) != PS_OK)
			return malformed(err, PS_MSG_LOAD_ROWS);
		if ((st = row_load_append(h, time, value, len, err)) != PS_OK)
			return st;
	}
	return answer_ok(cn, err);
}

static ps_status
handle_load_csv_begin(conn *cn, ps_reader *r, ps_error *err)
{
	ps_msg_csv_begin m;
	ps_csv_options o;
	load_handle *h;
	ps_status	st;

	if ((st = ps_msg_csv_begin_decode(r, &m)) != PS_OK)
	{
		ps_msg_csv_begin_clear(&m);
		return decode_failed(st, PS_MSG_LOAD_CSV_BEGIN, err);
	}
	if ((st = room_for_handle(cn, err)) != PS_OK)
		goto done;
	ps_csv_options_default(&o);
	if (cn->srv->max_field_bytes > 0)
		o.max_field_bytes = cn->srv->max_field_bytes;
	if (cn->srv->batch_size > 0)
		o.batch_size = cn->srv->batch_size;
	for (uint32_t i = 0; i < m.noptions; i++)
		if ((st = ps_csv_option_set(&o, m.keys[i], m.values[i], err)) != PS_OK)
			goto done;
	if ((h = calloc(1, sizeof *h)) == NULL)
	{
		st = answer_memory(err);
		goto done;
	}
	if ((st = ps_csv_begin(cn->srv->st, m.table, &o, &h->csv, err)) != PS_OK)
	{
		free(h);
		goto done;
	}
	h->state = LOAD_CSV;
	st = answer_load_opened(cn, h, err);
done:
	ps_msg_csv_begin_clear(&m);
	return st;
}

static ps_status
handle_load_csv_data(conn *cn, ps_reader *r, ps_error *err)
{
	uint32_t	id;
	load_handle *h;
	ps_error	e;
	ps_status	st;

	if (ps_frame_get_u32(r, &id) != PS_OK)
		return malformed(err, PS_MSG_LOAD_CSV_DATA);
	if ((st = load_for_input(cn, id, &h, err)) != PS_OK)
		return st;
	if (h->state != LOAD_CSV)
		return ps_error_set(err, PS_EINVAL, "load %u is a row load: send LOAD_ROWS", id);
	if (ps_csv_feed(h->csv, r->p, ps_reader_left(r), &e) != PS_OK)
		return load_fail(h, &e, err);
	return answer_ok(cn, err);
}

static ps_status
handle_load_finish(conn *cn, ps_reader *r, ps_error *err)
{
	uint32_t	id;
	load_handle *h;
	ps_csv_result res;
	ps_load    *ld;
	ps_error	e;
	ps_status	st;

	if (ps_frame_get_u32(r, &id) != PS_OK || ps_frame_get_end(r) != PS_OK)
		return malformed(err, PS_MSG_LOAD_FINISH);
	if ((st = load_for_input(cn, id, &h, err)) != PS_OK)
		return st;
	memset(&res, 0, sizeof res);
	if (h->state == LOAD_CSV)
	{
		st = ps_csv_finish_detached(h->csv, &res, &ld, &e);
		h->csv = NULL;			/* freed by finish either way */
		if (st != PS_OK)
			return load_fail(h, &e, err);
		h->ld = ld;
	}
	else
		res.rows_loaded = ps_load_rows(h->ld);
	h->state = LOAD_FINISHED;
	if (ps_frame_start(&cn->out, PS_MSG_LOAD_RESULT) != PS_OK ||
		ps_msg_load_result_encode(&cn->out, res.rows_loaded, res.rows_rejected, res.errors,
								  (uint32_t) res.nerrors) != PS_OK)
		return answer_memory(err);
	return PS_OK;
}

static ps_status
handle_load_commit(conn *cn, ps_reader *r, ps_error *err)
{
	ps_msg_commit m;
	ps_load   **lds = NULL;
	uint32_t	nld = 0;
	ps_status	st;

	if ((st = ps_msg_commit_decode(r, &m)) != PS_OK)
	{
		ps_msg_commit_clear(&m);
		return decode_failed(st, PS_MSG_LOAD_COMMIT, err);
	}
	if ((lds = calloc(m.nhandles ? m.nhandles : 1, sizeof *lds)) == NULL)
	{
		ps_msg_commit_clear(&m);
		return answer_memory(err);
	}
	/*
	 * Take every named load out of the table (they are consumed whatever
	 * happens), noting the first reason not to commit.
	 */
	for (uint32_t i = 0; i < m.nhandles; i++)
	{
		uint32_t	slot;
		load_handle *h = load_find(cn, m.handles[i], &slot);

		if (h == NULL)
		{
			if (st == PS_OK)
				st = ps_error_set(err, PS_ENOTFOUND,
								  "no open load with handle %u (listed twice, or unknown)",
								  m.handles[i]);
			continue;
		}
		load_unlink(cn, slot);
		if (st == PS_OK && h->state == LOAD_FAILED)
		{
			if (err)
				*err = h->failure;
			st = h->failure.code;
		}
		else if (st == PS_OK && h->state != LOAD_FINISHED)
			st = ps_error_set(err, PS_EINVAL, "load %u is not finished", h->id);
		if (h->state == LOAD_FINISHED)
		{
			lds[nld++] = h->ld;
			h->ld = NULL;			/* now lds' to commit or abort */
		}
		load_handle_free(h);
	}
	if (st == PS_OK)
		st = ps_load_commit_many(lds, nld, err);
	else
		for (uint32_t i = 0; i < nld; i++)
			ps_load_abort(lds[i]);
	free(lds);
	ps_msg_commit_clear(&m);
	return st != PS_OK ? st : answer_ok(cn, err);
}

static ps_status
handle_load_abort(conn *cn, ps_reader *r, ps_error *err)
{
	uint32_t	id, slot;
	load_handle *h;

	if (ps_frame_get_u32(r, &id) != PS_OK || ps_frame_get_end(r) != PS_OK)
		return malformed(err, PS_MSG_LOAD_ABORT);
	if ((h = load_find(cn, id, &slot)) != NULL)
	{
		load_unlink(cn, slot);
		load_handle_free(h);
	}
	return answer_ok(cn, err);
}

/* ---------------------------------------------------------------- connection loop */

static ps_status
dispatch(conn *cn, uint8_t code, ps_reader *r, ps_error *err)
{
	switch ((ps_msg_code) code)
	{
		case PS_MSG_TABLES: return handle_tables(cn, r, err);
		case PS_MSG_TABLE_INFO: return handle_table_info(cn, r, err);
		case PS_MSG_DELETE_RANGE: return handle_delete_range(cn, r, err);
		case PS_MSG_DROP_TABLE: return handle_drop_table(cn, r, err);
		case PS_MSG_STATUS: return handle_status(cn, r, err);
		case PS_MSG_SCAN_OPEN: return handle_scan_open(cn, r, false, err);
		case PS_MSG_SCAN_START: return handle_scan_open(cn, r, true, err);
		case PS_MSG_SCAN_FETCH: return handle_scan_fetch(cn, r, err);
		case PS_MSG_SCAN_CLOSE: return handle_scan_close(cn, r, err);
		case PS_MSG_LOAD_BEGIN: return handle_load_begin(cn, r, err);
		case PS_MSG_LOAD_ROWS: return handle_load_rows(cn, r, err);
		case PS_MSG_LOAD_CSV_BEGIN: return handle_load_csv_begin(cn, r, err);
		case PS_MSG_LOAD_CSV_DATA: return handle_load_csv_data(cn, r, err);
		case PS_MSG_LOAD_FINISH: return handle_load_finish(cn, r, err);
		case PS_MSG_LOAD_COMMIT: return handle_load_commit(cn, r, err);
		case PS_MSG_LOAD_ABORT: return handle_load_abort(cn, r, err);
		default:
			break;
	}
	return ps_error_set(err, PS_EPROTO, "unexpected message %s (code 0x%02x)",
						ps_msg_name(code), code);
}

/* Send an ERROR frame built from err (best effort: the caller may close next). */
static ps_status
send_error(int fd, ps_buf *out, const ps_error *err)
{
	if (ps_frame_start(out, PS_MSG_ERROR) != PS_OK || ps_frame_put_error(out, err) != PS_OK)
		return PS_ENOMEM;
	return ps_frame_send(fd, out, NULL);
}

/*
 * Receive more bytes of a request into cn->in, after the `have` bytes
 * already there, of a frame that needs `need` bytes in all.  Between
 * requests (have == 0) with scans open, poll first, waking to close scans
 * as they pass their idle deadline; otherwise recv blocks, bounded by
 * SO_RCVTIMEO: a peer may then sit idle between requests for ever (its
 * scans, if any, expire), but not stall mid-frame or before its handshake.
 * PS_ECONN when the connection should end.
 */
static ps_status
recv_more(conn *cn, size_t have, size_t need, bool handshake, ps_error *err)
{
	size_t		want = need - have;
	size_t		room = want < RECV_STEP ? want : RECV_STEP;

	if (room < RECV_MIN_ROOM)
		room = RECV_MIN_ROOM;
	/* Compact first: the unread bytes move to the front of the buffer. */
	if (cn->in_start > 0)
	{
		memmove(cn->in.data, cn->in.data + cn->in_start, have);
		cn->in.len = have;
		cn->in_start = 0;
	}
	if (ps_buf_reserve(&cn->in, room) != PS_OK)
		return ps_error_set(err, PS_ENOMEM, "no memory for a %zu byte frame", need);
	for (;;)
	{
		ssize_t		n;

		if (have == 0 && !handshake && cn->nscans > 0)
		{
			struct pollfd pfd;
			int64_t		now = now_ms();
			int			ready;

			scans_expire(cn, now);
			pfd.fd = cn->fd;
			pfd.events = POLLIN;
			pfd.revents = 0;
			ready = poll(&pfd, 1, scans_poll_timeout(cn, now));
			if (ready < 0 && errno != EINTR)
				return ps_error_set(err, PS_ECONN, "waiting for a request: %s", strerror(errno));
			if (ready <= 0)
				continue;		/* a deadline passed, or a signal */
		}
		n = recv(cn->fd, cn->in.data + cn->in.len, cn->in.cap - cn->in.len, 0);
		if (n > 0)
		{
			cn->in.len += (size_t) n;
			return PS_OK;
		}
		if (n == 0)
			return ps_error_set(err, PS_ECONN, "connection closed by peer");
		if (errno == EINTR)
			continue;
		/* SO_RCVTIMEO passed: fine between requests, not otherwise. */
		if ((errno == EAGAIN || errno == EWOULDBLOCK) && have == 0 && !handshake)
			continue;
		return ps_error_set(err, PS_ECONN, "receiving from peer: %s",
							errno == EAGAIN || errno == EWOULDBLOCK ? "timed out" : strerror(errno));
	}
}

/*
 * Read the next request (the one served before is dropped first): *code
 * and *payload, which points into cn->in and is valid until the next call.
 * A request already received along with an earlier one costs no system
 * call.  PS_EPROTO for a bad header, PS_ECONN when the peer is gone or too
 * slow, PS_ENOMEM.
 */
static ps_status
read_request(conn *cn, bool handshake, uint8_t *code, ps_reader *payload, ps_error *err)
{
	ps_status	st;

	cn->in_start += cn->in_frame;
	cn->in_frame = 0;
	if (cn->in_start == cn->in.len)
	{
		/* Nothing unread: the buffer starts afresh (huge ones are let go). */
		cn->in_start = 0;
		ps_buf_reset(&cn->in);
		if (cn->in.cap > KEEP_BUFFER_BYTES)
			ps_buf_free(&cn->in);
	}
	for (;;)
	{
		size_t		have = cn->in.len - cn->in_start;
		size_t		need = PS_FRAME_HEADER;
		uint32_t	payload_len;

		if (have >= PS_FRAME_HEADER)
		{
			if ((st = ps_frame_header_parse(cn->in.data + cn->in_start, &payload_len, code,
											err)) != PS_OK)
				return st;
			need += payload_len;
			if (have >= need)
			{
				ps_reader_init(payload, cn->in.data + cn->in_start + PS_FRAME_HEADER, payload_len);
				cn->in_frame = need;
				return PS_OK;
			}
		}
		if ((st = recv_more(cn, have, need, handshake, err)) != PS_OK)
			return st;
	}
}

static bool
handshake(conn *cn)
{
	uint8_t		code;
	ps_reader	r;
	uint32_t	magic;
	uint16_t	version;
	ps_error	err;
	ps_msg_hello_ok ok;

	if (read_request(cn, true, &code, &r, &err) != PS_OK)
	{
		if (err.code == PS_EPROTO)
			send_error(cn->fd, &cn->out, &err);
		return false;
	}
	if (code != PS_MSG_HELLO || ps_msg_hello_decode(&r, &magic, &version) != PS_OK ||
		magic != PS_PROTO_MAGIC)
	{
		ps_error_set(&err, PS_EPROTO, "not a pulsora client: expected HELLO");
		send_error(cn->fd, &cn->out, &err);
		return false;
	}
	if (version != PS_PROTO_VERSION)
	{
		ps_error_set(&err, PS_EPROTO, "client speaks protocol version %u, this owner %u",
					 version, PS_PROTO_VERSION);
		send_error(cn->fd, &cn->out, &err);
		return false;
	}
	memset(&ok, 0, sizeof ok);
	ok.version = PS_PROTO_VERSION;
	ok.pid = (uint32_t) getpid();
	memcpy(ok.server_version, cn->srv->status.version, sizeof ok.server_version);
	return ps_frame_start(&cn->out, PS_MSG_HELLO_OK) == PS_OK &&
		ps_msg_hello_ok_encode(&cn->out, &ok) == PS_OK &&
		ps_frame_send(cn->fd, &cn->out, NULL) == PS_OK;
}

static void
conn_serve(conn *cn)
{
	uint8_t		code;
	ps_reader	r;
	ps_error	err;
	ps_status	st;

	if (!handshake(cn))
		return;
	for (;;)
	{
		if ((st = read_request(cn, false, &code, &r, &err)) != PS_OK)
		{
			/* A bad header deserves an explanation; a dead peer does not. */
			if (st == PS_EPROTO)
				send_error(cn->fd, &cn->out, &err);
			return;
		}
		/* Requests arriving after a scan's deadline must not revive it. */
		scans_expire(cn, now_ms());
		ps_error_clear(&err);
		if ((st = dispatch(cn, code, &r, &err)) != PS_OK)
		{
			if (err.code == PS_OK)	/* every path sets err; never send "success" */
				ps_error_set(&err, st, "%s", ps_strerror(st));
			if (send_error(cn->fd, &cn->out, &err) != PS_OK || st == PS_EPROTO)
				return;
		}
		else if (ps_frame_send(cn->fd, &cn->out, NULL) != PS_OK)
			return;
		/* One huge answer must not pin its memory for the connection's life. */
		if (cn->out.cap > KEEP_BUFFER_BYTES)
			ps_buf_free(&cn->out);
	}
}

/* Close the scans and roll back the loads a connection leaves behind. */
static void
conn_release_handles(conn *cn)
{
	while (cn->nscans > 0)
		scan_remove(cn, cn->nscans - 1);
	while (cn->nloads > 0)
	{
		load_handle_free(cn->loads[cn->nloads - 1]);
		cn->nloads--;
	}
}

static void *
conn_main(void *arg)
{
	conn	   *cn = arg;
	ps_proto_server *srv = cn->srv;

	conn_serve(cn);
	/* Before the count drops: stop may close the store right after. */
	conn_release_handles(cn);
	pthread_mutex_lock(&srv->mu);
	if (cn->prev)
		cn->prev->next = cn->next;
	else
		srv->conns = cn->next;
	if (cn->next)
		cn->next->prev = cn->prev;
	close(cn->fd);
	srv->nconns--;
	pthread_cond_broadcast(&srv->idle);
	pthread_mutex_unlock(&srv->mu);
	/* srv may be gone from here on. */
	ps_buf_free(&cn->in);
	ps_buf_free(&cn->out);
	ps_buf_free(&cn->scratch);
	free(cn);
	return NULL;
}

/* ---------------------------------------------------------------- listener */

static void
set_timeouts(int fd, uint32_t seconds)
{
	struct timeval tv;

	tv.tv_sec = seconds;
	tv.tv_usec = 0;
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
}

/* Admit a new connection, or tell the peer why not and close it. */
static void
admit(ps_proto_server *srv, int fd)
{
	conn	   *cn = NULL;
	pthread_attr_t attr;
	pthread_t	tid;
	ps_error	err;
	ps_buf		out = PS_BUF_INIT;
	bool		started = false;

	set_timeouts(fd, srv->idle_timeout_s);
	pthread_mutex_lock(&srv->mu);
	if (srv->nconns >= srv->max_connections)
		ps_error_set(&err, PS_EBUSY, "too many connections to the pulsora owner (max %u)",
					 srv->max_connections);
	else if ((cn = calloc(1, sizeof *cn)) == NULL)
		ps_error_set(&err, PS_ENOMEM, "out of memory for a connection");
	else
	{
		cn->srv = srv;
		cn->fd = fd;
		pthread_attr_init(&attr);
		pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
		started = pthread_create(&tid, &attr, conn_main, cn) == 0;
		pthread_attr_destroy(&attr);
		if (started)
		{
			cn->next = srv->conns;
			if (srv->conns)
				srv->conns->prev = cn;
			srv->conns = cn;
			srv->nconns++;
		}
		else
		{
			free(cn);
			ps_error_set(&err, PS_ENOMEM, "cannot start a connection thread");
		}
	}
	/* The new thread waits on mu before it can unlink itself, so linking here is safe. */
	pthread_mutex_unlock(&srv->mu);
	if (started)
		return;
	/* Its answer to the client's HELLO: the client reports this error. */
	send_error(fd, &out, &err);
	ps_buf_free(&out);
	shutdown(fd, SHUT_WR);
	close(fd);
}

static void *
accept_main(void *arg)
{
	ps_proto_server *srv = arg;

	for (;;)
	{
		struct pollfd pfd[2];
		int			fd;

		pfd[0].fd = srv->listen_fd;
		pfd[0].events = POLLIN;
		pfd[1].fd = srv->wake[0];
		pfd[1].events = POLLIN;
		pfd[0].revents = pfd[1].revents = 0;
		if (poll(pfd, 2, -1) < 0)
		{
			if (errno == EINTR)
				continue;
			return NULL;
		}
		if (pfd[1].revents)
			return NULL;
		if (!(pfd[0].revents & POLLIN))
			continue;
		fd = accept4(srv->listen_fd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0)
		{
			/* Transient (peer gone, fd limit): keep serving the others. */
			if (errno == EMFILE || errno == ENFILE)
				poll(NULL, 0, 100);
			continue;
		}
		admit(srv, fd);
	}
}

static ps_status
listen_on(ps_proto_server *srv, const char *path, ps_error *err)
{
	struct sockaddr_un sa;
	mode_t		old_mask;
	int			rc;

	memset(&sa, 0, sizeof sa);
	sa.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof sa.sun_path)
		return ps_error_set(err, PS_ETOOBIG,
							"socket path \"%s\" is longer than the %zu bytes a Unix socket allows",
							path, sizeof sa.sun_path - 1);
	memcpy(sa.sun_path, path, strlen(path) + 1);
	memcpy(srv->socket_path, sa.sun_path, sizeof srv->socket_path);
	if ((srv->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return ps_error_set(err, PS_EIO, "cannot create a socket: %s", strerror(errno));
	/* The caller holds the store lock, so a socket file here is a dead owner's. */
	if (unlink(path) < 0 && errno != ENOENT)
		return ps_error_set(err, PS_EIO, "cannot remove stale socket %s: %s", path, strerror(errno));
	/* bind creates the file with 0777 & ~umask: make that 0600 from the start. */
	old_mask = umask(0177);
	rc = bind(srv->listen_fd, (struct sockaddr *) &sa, sizeof sa);
	umask(old_mask);
	if (rc < 0)
		return ps_error_set(err, PS_EIO, "cannot bind %s: %s", path, strerror(errno));
	if (listen(srv->listen_fd, LISTEN_BACKLOG) < 0)
	{
		unlink(path);
		return ps_error_set(err, PS_EIO, "cannot listen on %s: %s", path, strerror(errno));
	}
	return PS_OK;
}

static void
copy_string(char *dst, size_t size, const char *src)
{
	snprintf(dst, size, "%s", src ? src : "");
}

ps_status
ps_proto_server_start(ps_store *st, const ps_proto_server_config *cfg,
					  ps_proto_server **out, ps_error *err)
{
	ps_proto_server *srv;
	ps_status	rc;

	*out = NULL;
	if (cfg->socket_path == NULL)
		return ps_error_set(err, PS_EINVAL, "no socket path given");
	if ((srv = calloc(1, sizeof *srv)) == NULL)
		return ps_error_set(err, PS_ENOMEM, "out of memory for the protocol server");
	srv->st = st;
	srv->listen_fd = -1;
	srv->wake[0] = srv->wake[1] = -1;
	srv->max_connections = cfg->max_connections ? cfg->max_connections : DEFAULT_MAX_CONNECTIONS;
	srv->idle_timeout_s = cfg->scan_idle_timeout_s ? cfg->scan_idle_timeout_s
		: DEFAULT_SCAN_IDLE_TIMEOUT_S;
	srv->max_field_bytes = cfg->max_field_bytes;
	srv->batch_size = cfg->batch_size;
	copy_string(srv->status.kind, sizeof srv->status.kind, cfg->kind);
	copy_string(srv->status.rest_address, sizeof srv->status.rest_address, cfg->rest_address);
	copy_string(srv->status.version, sizeof srv->status.version, cfg->version);
	pthread_mutex_init(&srv->mu, NULL);
	pthread_cond_init(&srv->idle, NULL);
	if ((rc = listen_on(srv, cfg->socket_path, err)) != PS_OK)
		goto fail;
	if (pipe2(srv->wake, O_CLOEXEC) < 0)
	{
		rc = ps_error_set(err, PS_EIO, "cannot create a pipe: %s", strerror(errno));
		goto fail_unlink;
	}
	if (pthread_create(&srv->accept_thread, NULL, accept_main, srv) != 0)
	{
		rc = ps_error_set(err, PS_ENOMEM, "cannot start the protocol accept thread");
		goto fail_unlink;
	}
	*out = srv;
	return PS_OK;

fail_unlink:
	unlink(srv->socket_path);
fail:
	if (srv->listen_fd >= 0)
		close(srv->listen_fd);
	if (srv->wake[0] >= 0)
		close(srv->wake[0]);
	if (srv->wake[1] >= 0)
		close(srv->wake[1]);
	pthread_cond_destroy(&srv->idle);
	pthread_mutex_destroy(&srv->mu);
	free(srv);
	return rc;
}

void
ps_proto_server_stop(ps_proto_server *srv)
{
	ssize_t		rc;

	if (srv == NULL)
		return;
	/* The accept thread ends first, so no connection is admitted after this. */
	do
		rc = write(srv->wake[1], "x", 1);
	while (rc < 0 && errno == EINTR);
	pthread_join(srv->accept_thread, NULL);
	close(srv->listen_fd);
	close(srv->wake[0]);
	close(srv->wake[1]);

	/* Wake every connection thread; each aborts its loads and leaves. */
	pthread_mutex_lock(&srv->mu);
	for (conn *cn = srv->conns; cn != NULL; cn = cn->next)
		shutdown(cn->fd, SHUT_RDWR);
	while (srv->nconns > 0)
		pthread_cond_wait(&srv->idle, &srv->mu);
	pthread_mutex_unlock(&srv->mu);
	pthread_cond_destroy(&srv->idle);
	pthread_mutex_destroy(&srv->mu);
	free(srv);
}
