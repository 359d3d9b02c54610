/*
 * ps_proto_load.c — loads on the owner's side of the native protocol: a
 * connection's load handles and the LOAD_BEGIN, LOAD_ROWS, LOAD_CSV_BEGIN,
 * LOAD_CSV_DATA, LOAD_FINISH, LOAD_COMMIT and LOAD_ABORT handlers (called
 * by dispatch, ps_proto_conn.c; layouts in ps_frame.h).  A row load maps
 * each input row onto the table's columns and appends it (ps_load); a CSV
 * load feeds its bytes to ps_csv, and LOAD_FINISH turns it into a plain
 * ps_load awaiting commit.
 *
 * Invariants:
 *  - A load is all-or-nothing: its first error rolls it back at once and the
 *    handle remembers the error until the client aborts it.
 *  - A handle owns its ps_load or ps_csv_load: freeing the handle aborts
 *    what is left of it.
 *  - LOAD_COMMIT consumes every handle it names, committing all of them
 *    atomically or (on any error) none.
 *  - A handle's load is in the store's register of loads in progress
 *    (ps_progress_begin, under the source LOAD_BEGIN named) from its begin
 *    until it fails, is aborted or committed; every data frame is answered
 *    with LOAD_PROGRESS, the rows and bytes taken so far.
 */
#include "ps_proto_server_int.h"

#include <stdlib.h>
#include <string.h>

#include "../core/ps_csv.h"
#include "../core/ps_row.h"
#include "../core/ps_schema.h"

typedef enum load_state {
	LOAD_ROWS,					/* row load taking LOAD_ROWS */
	LOAD_CSV,					/* CSV load taking LOAD_CSV_DATA */
	LOAD_FINISHED,				/* input ended; ld awaits commit or abort */
	LOAD_FAILED					/* rolled back; failure says why */
} load_state;

struct load_handle {
	uint32_t	id;
	load_state	state;
	ps_load    *ld;				/* LOAD_ROWS, LOAD_FINISHED */
	ps_csv_load *csv;			/* LOAD_CSV */
	ps_progress *progress;		/* NULL once failed; outlives ld and csv */
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
};

/* ---------------------------------------------------------------- load handles */

void
ps_proto_load_handle_free(load_handle *h)
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
	ps_progress_end(h->progress);
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
	ps_progress_end(h->progress);
	h->progress = NULL;
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

/* ---------------------------------------------------------------- loads */

/* A new handle for a load into table, registered as in progress. */
static ps_status
load_handle_new(conn *cn, const char *table, const char *source, load_handle **out,
				ps_error *err)
{
	load_handle *h;
	ps_status	st;

	if ((h = calloc(1, sizeof *h)) == NULL)
		return ps_proto_answer_memory(err);
	if ((st = ps_progress_begin(cn->srv->st, table, source, &h->progress, err)) != PS_OK)
	{
		free(h);
		return st;
	}
	*out = h;
	return PS_OK;
}

/* Answer a data frame: the rows and bytes the load has taken so far. */
static ps_status
answer_progress(conn *cn, const load_handle *h, ps_error *err)
{
	if (ps_frame_start(&cn->out, PS_MSG_LOAD_PROGRESS) != PS_OK ||
		ps_msg_load_progress_encode(&cn->out, ps_progress_rows(h->progress),
									ps_progress_bytes(h->progress)) != PS_OK)
		return ps_proto_answer_memory(err);
	return PS_OK;
}

static ps_status
answer_load_opened(conn *cn, load_handle *h, ps_error *err)
{
	h->id = ++cn->next_id;
	if (ps_frame_start(&cn->out, PS_MSG_LOAD_OPENED) != PS_OK ||
		ps_buf_append_u32be(&cn->out, h->id) != PS_OK)
	{
		ps_proto_load_handle_free(h);
		return ps_proto_answer_memory(err);
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
		return ps_proto_answer_memory(err);
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

ps_status
ps_proto_handle_load_begin(conn *cn, ps_reader *r, ps_error *err)
{
	ps_msg_load_begin m;
	ps_schema  *input = NULL;
	ps_load_spec spec;
	load_handle *h = NULL;
	ps_status	st;

	if ((st = ps_msg_load_begin_decode(r, &m)) != PS_OK)
	{
		ps_msg_load_begin_clear(&m);
		return ps_proto_decode_failed(st, PS_MSG_LOAD_BEGIN, err);
	}
	if ((st = ps_proto_room_for_handle(cn, err)) != PS_OK)
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
	if ((st = load_handle_new(cn, m.table, m.source, &h, err)) != PS_OK)
		goto done;
	memset(&spec, 0, sizeof spec);
	spec.table = m.table;
	spec.input = input;
	spec.add_columns = m.add_columns;
	spec.dedup = false;
	spec.series_key = m.series_key;
	spec.progress = h->progress;
	if ((st = ps_load_begin(cn->srv->st, &spec, &h->ld, err)) != PS_OK)
	{
		ps_proto_load_handle_free(h);
		goto done;
	}
	h->state = LOAD_ROWS;
	if ((st = row_load_prepare(h, &m, err)) != PS_OK)
	{
		ps_proto_load_handle_free(h);
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

ps_status
ps_proto_handle_load_rows(conn *cn, ps_reader *r, ps_error *err)
{
	uint32_t	id;
	load_handle *h;
	ps_status	st;

	if (ps_frame_get_u32(r, &id) != PS_OK)
		return ps_proto_malformed(err, PS_MSG_LOAD_ROWS);
	if ((st = load_for_input(cn, id, &h, err)) != PS_OK)
		return st;
	if (h->state != LOAD_ROWS)
		return ps_error_set(err, PS_EINVAL, "load %u is a CSV load: send LOAD_CSV_DATA", id);
	ps_progress_add_bytes(h->progress, ps_reader_left(r));
	while (ps_reader_left(r) > 0)
	{
		int64_t		time;
		const uint8_t *value;
		size_t		len;

		if (ps_frame_get_row(r, &time, &value, &len) != PS_OK)
			return ps_proto_malformed(err, PS_MSG_LOAD_ROWS);
		if ((st = row_load_append(h, time, value, len, err)) != PS_OK)
			return st;
	}
	return answer_progress(cn, h, err);
}

ps_status
ps_proto_handle_load_csv_begin(conn *cn, ps_reader *r, ps_error *err)
{
	ps_msg_csv_begin m;
	ps_csv_options o;
	load_handle *h;
	ps_status	st;

	if ((st = ps_msg_csv_begin_decode(r, &m)) != PS_OK)
	{
		ps_msg_csv_begin_clear(&m);
		return ps_proto_decode_failed(st, PS_MSG_LOAD_CSV_BEGIN, err);
	}
	if ((st = ps_proto_room_for_handle(cn, err)) != PS_OK)
		goto done;
	ps_csv_options_default(&o);
	if (cn->srv->max_field_bytes > 0)
		o.max_field_bytes = cn->srv->max_field_bytes;
	if (cn->srv->batch_size > 0)
		o.batch_size = cn->srv->batch_size;
	for (uint32_t i = 0; i < m.noptions; i++)
		if ((st = ps_csv_option_set(&o, m.keys[i], m.values[i], err)) != PS_OK)
			goto done;
	if ((st = load_handle_new(cn, m.table, m.source, &h, err)) != PS_OK)
		goto done;
	if ((st = ps_csv_begin(cn->srv->st, m.table, &o, &h->csv, err)) != PS_OK)
	{
		ps_proto_load_handle_free(h);
		goto done;
	}
	ps_csv_set_progress(h->csv, h->progress);
	h->state = LOAD_CSV;
	st = answer_load_opened(cn, h, err);
done:
	ps_msg_csv_begin_clear(&m);
	return st;
}

ps_status
ps_proto_handle_load_csv_data(conn *cn, ps_reader *r, ps_error *err)
{
	uint32_t	id;
	load_handle *h;
	ps_error	e;
	ps_status	st;

	if (ps_frame_get_u32(r, &id) != PS_OK)
		return ps_proto_malformed(err, PS_MSG_LOAD_CSV_DATA);
	if ((st = load_for_input(cn, id, &h, err)) != PS_OK)
		return st;
	if (h->state != LOAD_CSV)
		return ps_error_set(err, PS_EINVAL, "load %u is a row load: send LOAD_ROWS", id);
	if (ps_csv_feed(h->csv, r->p, ps_reader_left(r), &e) != PS_OK)
		return load_fail(h, &e, err);
	return answer_progress(cn, h, err);
}

ps_status
ps_proto_handle_load_finish(conn *cn, ps_reader *r, ps_error *err)
{
	uint32_t	id;
	load_handle *h;
	ps_csv_result res;
	ps_load    *ld;
	ps_error	e;
	ps_status	st;

	if (ps_frame_get_u32(r, &id) != PS_OK || ps_frame_get_end(r) != PS_OK)
		return ps_proto_malformed(err, PS_MSG_LOAD_FINISH);
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
		return ps_proto_answer_memory(err);
	return PS_OK;
}

ps_status
ps_proto_handle_load_commit(conn *cn, ps_reader *r, ps_error *err)
{
	ps_msg_commit m;
	ps_load   **lds = NULL;
	ps_progress **progress = NULL;	/* of lds, ended once they are committed or aborted */
	uint32_t	nld = 0;
	ps_status	st;

	if ((st = ps_msg_commit_decode(r, &m)) != PS_OK)
	{
		ps_msg_commit_clear(&m);
		return ps_proto_decode_failed(st, PS_MSG_LOAD_COMMIT, err);
	}
	if ((lds = calloc(m.nhandles ? m.nhandles : 1, sizeof *lds)) == NULL ||
		(progress = calloc(m.nhandles ? m.nhandles : 1, sizeof *progress)) == NULL)
	{
		free(lds);
		ps_msg_commit_clear(&m);
		return ps_proto_answer_memory(err);
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
			progress[nld] = h->progress;
			lds[nld++] = h->ld;
			h->ld = NULL;			/* now lds' to commit or abort */
			h->progress = NULL;
		}
		ps_proto_load_handle_free(h);
	}
	if (st == PS_OK)
		st = ps_load_commit_many(lds, nld, err);
	else
		for (uint32_t i = 0; i < nld; i++)
			ps_load_abort(lds[i]);
	for (uint32_t i = 0; i < nld; i++)
		ps_progress_end(progress[i]);
	free(progress);
	free(lds);
	ps_msg_commit_clear(&m);
	return st != PS_OK ? st : ps_proto_answer_ok(cn, err);
}

ps_status
ps_proto_handle_load_abort(conn *cn, ps_reader *r, ps_error *err)
{
	uint32_t	id, slot;
	load_handle *h;

	if (ps_frame_get_u32(r, &id) != PS_OK || ps_frame_get_end(r) != PS_OK)
		return ps_proto_malformed(err, PS_MSG_LOAD_ABORT);
	if ((h = load_find(cn, id, &slot)) != NULL)
	{
		load_unlink(cn, slot);
		ps_proto_load_handle_free(h);
	}
	return ps_proto_answer_ok(cn, err);
}
