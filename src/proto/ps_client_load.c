/*
 * ps_client_load.c — loads on the client side: row and CSV loads, their
 * data sent in frames of about PS_FRAME_BATCH_BYTES without waiting for the
 * answers, finishing, committing several loads at once, aborting.
 *
 * Invariants:
 *  - A load fills one data frame at a time; a full one is sent and its
 *    OK/ERROR is read by the next call on the connection (ps_client_settle).
 *    An ERROR marks the load failed: the owner has rolled it back, and every
 *    later call on the load but abort repeats the error.
 *  - A commit is checked whole before the owner sees it, and its handles
 *    are consumed either way: all committed, or each one rolled back.
 * This file is linked into the PostgreSQL extension: libc and the
 * client-side core only; no process-wide state.
 */
#include "ps_client_int.h"

#include <stdlib.h>
#include <string.h>

/* Bytes of a data frame before its rows or CSV bytes: header + u32 handle. */
#define DATA_FRAME_START (PS_FRAME_HEADER + 4)

void
ps_client_load_free(ps_client_load *l)
{
	ps_client  *c = l->c;

	if (c->pending_load == l)
		c->pending_load = NULL;
	if (l->prev)
		l->prev->next = l->next;
	else
		c->loads = l->next;
	if (l->next)
		l->next->prev = l->prev;
	ps_buf_free(&l->frame);
	free(l);
}

/* Start (or restart) the load's data frame. */
static ps_status
load_frame_start(ps_client_load *l)
{
	if (ps_frame_start(&l->frame, l->csv ? PS_MSG_LOAD_CSV_DATA : PS_MSG_LOAD_ROWS) != PS_OK)
		return PS_ENOMEM;
	return ps_buf_append_u32be(&l->frame, l->handle);
}

/* Finish a LOAD_BEGIN / LOAD_CSV_BEGIN request already built in c->out. */
static ps_status
load_open(ps_client *c, bool csv, ps_client_load **out, ps_error *err)
{
	ps_client_load *l;
	ps_reader	payload;
	ps_status	st;

	/* Listed before asking: the client owns it should the wait check not return. */
	if ((l = calloc(1, sizeof *l)) == NULL)
		return ps_client_no_memory(err);
	l->c = c;
	l->csv = csv;
	l->state = LOAD_OPEN;
	l->next = c->loads;
	if (c->loads)
		c->loads->prev = l;
	c->loads = l;
	if ((st = ps_client_call(c, PS_MSG_LOAD_OPENED, &payload, err)) != PS_OK)
	{
		ps_client_load_free(l);
		return st;
	}
	if (ps_frame_get_u32(&payload, &l->handle) != PS_OK || ps_frame_get_end(&payload) != PS_OK)
	{
		ps_client_load_free(l);
		return ps_client_bad_answer(c, PS_EPROTO, "LOAD_OPENED", err);
	}
	if (load_frame_start(l) != PS_OK)
	{
		ps_client_load_abort(l);
		return ps_client_no_memory(err);
	}
	*out = l;
	return PS_OK;
}

ps_status
ps_client_load_begin(ps_client *c, const char *table, const char *const *names,
					 const ps_type *types, uint32_t n, uint32_t time_index,
					 bool add_columns, const char *series_key, ps_client_load **out,
					 ps_error *err)
{
	*out = NULL;
	if (ps_frame_start(&c->out, PS_MSG_LOAD_BEGIN) != PS_OK ||
		ps_msg_load_begin_encode(&c->out, table, names, types, n, time_index, add_columns,
								 series_key, c->load_source) != PS_OK)
		return ps_client_no_memory(err);
	return load_open(c, false, out, err);
}

ps_status
ps_client_load_csv_begin(ps_client *c, const char *table, const char *const *keys,
						 const char *const *values, uint32_t nopts,
						 ps_client_load **out, ps_error *err)
{
	*out = NULL;
	if (nopts > PS_FRAME_MAX_OPTIONS)
		return ps_error_set(err, PS_EINVAL, "%u load options given, at most %d allowed",
							nopts, PS_FRAME_MAX_OPTIONS);
	if (ps_frame_start(&c->out, PS_MSG_LOAD_CSV_BEGIN) != PS_OK ||
		ps_msg_csv_begin_encode(&c->out, table, keys, values, nopts, c->load_source) != PS_OK)
		return ps_client_no_memory(err);
	return load_open(c, true, out, err);
}

/* Whether the load accepts more input of kind csv; sets err if not. */
static ps_status
load_usable(ps_client_load *l, bool csv, ps_error *err)
{
	ps_status	st;

	if ((st = ps_client_usable(l->c, err)) != PS_OK)
		return st;
	if (l->failed)
	{
		if (err)
			*err = l->failure;
		return l->failure.code;
	}
	if (l->state != LOAD_OPEN)
		return ps_error_set(err, PS_EINVAL, "load already finished: commit or abort it");
	if (l->csv != csv)
		return ps_error_set(err, PS_EINVAL, csv ? "not a CSV load" : "a CSV load takes CSV data, not rows");
	return PS_OK;
}

/*
 * Send the load's data frame without waiting for its answer (read later by
 * ps_client_settle).  The previous answer is settled first, so an error the
 * owner reported for this load's earlier frames surfaces here.
 */
static ps_status
load_flush(ps_client_load *l, ps_error *err)
{
	ps_client  *c = l->c;
	ps_status	st;

	if (l->frame.len == DATA_FRAME_START)
		return PS_OK;
	if ((st = ps_client_settle(c, err)) != PS_OK)
		return st;
	if (l->failed)
	{
		if (err)
			*err = l->failure;
		return l->failure.code;
	}
	if ((st = ps_client_send(c, &l->frame, err)) != PS_OK)
		return st;
	l->sent_bytes += l->frame.len - DATA_FRAME_START;
	c->pending_load = l;
	return load_frame_start(l) == PS_OK ? PS_OK : ps_client_no_memory(err);
}

ps_status
ps_client_load_row(ps_client_load *l, int64_t time, const void *value, size_t len, ps_error *err)
{
	ps_status	st;

	if ((st = load_usable(l, false, err)) != PS_OK)
		return st;
	/* i64 time + a varint of at most 10 bytes + the value must fit a frame. */
	if (len > PS_FRAME_MAX - (DATA_FRAME_START - 4) - 18)
		return ps_error_set(err, PS_ETOOBIG, "row value of %zu bytes exceeds the frame limit", len);
	if (l->frame.len + 18 + len > (size_t) PS_FRAME_MAX + 4 &&
		(st = load_flush(l, err)) != PS_OK)
		return st;
	if (ps_frame_put_row(&l->frame, time, value, len) != PS_OK)
		return ps_client_no_memory(err);
	if (l->frame.len >= DATA_FRAME_START + PS_FRAME_BATCH_BYTES)
		return load_flush(l, err);
	return PS_OK;
}

ps_status
ps_client_load_csv_data(ps_client_load *l, const void *data, size_t len, ps_error *err)
{
	const uint8_t *p = data;
	ps_status	st;

	if ((st = load_usable(l, true, err)) != PS_OK)
		return st;
	while (len > 0)
	{
		size_t		room = DATA_FRAME_START + PS_FRAME_BATCH_BYTES - l->frame.len;
		size_t		n = len < room ? len : room;

		if (ps_buf_append(&l->frame, p, n) != PS_OK)
			return ps_client_no_memory(err);
		p += n;
		len -= n;
		if (l->frame.len >= DATA_FRAME_START + PS_FRAME_BATCH_BYTES &&
			(st = load_flush(l, err)) != PS_OK)
			return st;
	}
	return PS_OK;
}

ps_status
ps_client_load_finish(ps_client_load *l, ps_client_load_result *res, ps_error *err)
{
	ps_client  *c = l->c;
	ps_reader	payload;
	ps_msg_load_result m;
	ps_status	st;

	if (res)
		memset(res, 0, sizeof *res);
	if ((st = load_usable(l, l->csv, err)) != PS_OK || (st = load_flush(l, err)) != PS_OK)
		return st;
	/* ps_client_call settles: an error on the last data frame must win. */
	if ((st = ps_client_settle(c, err)) != PS_OK)
		return st;
	if ((st = load_usable(l, l->csv, err)) != PS_OK)
		return st;
	if (ps_client_build_handle_request(c, PS_MSG_LOAD_FINISH, l->handle) != PS_OK)
		return ps_client_no_memory(err);
	if ((st = ps_client_call(c, PS_MSG_LOAD_RESULT, &payload, &l->failure)) != PS_OK)
	{
		if (st != PS_ECONN)
			l->failed = true;	/* the owner rolled the load back */
		if (err)
			*err = l->failure;
		return st;
	}
	if ((st = ps_msg_load_result_decode(&payload, &m)) != PS_OK)
	{
		ps_msg_load_result_clear(&m);
		return ps_client_bad_answer(c, st, "LOAD_RESULT", err);
	}
	l->state = LOAD_FINISHED;
	/* The owner has taken everything: the progress is final. */
	l->owner_rows = m.rows_loaded;
	l->owner_bytes = l->sent_bytes;
	if (res)
	{
		res->rows_loaded = m.rows_loaded;
		res->rows_rejected = m.rows_rejected;
		res->nerrors = m.nerrors;
		/* No errors, no allocation: a caller that frees nothing leaks nothing. */
		if (m.nerrors > 0)
		{
			res->errors = m.errors;	/* moved */
			m.errors = NULL;
		}
	}
	ps_msg_load_result_clear(&m);
	return PS_OK;
}

void
ps_client_load_result_free(ps_client_load_result *r)
{
	if (r == NULL)
		return;
	free(r->errors);
	memset(r, 0, sizeof *r);
}

/* Whether loads[i] already appeared in loads[0..i) (compares pointers only). */
static bool
listed_before(ps_client_load *const *loads, size_t i)
{
	for (size_t j = 0; j < i; j++)
		if (loads[j] == loads[i])
			return true;
	return false;
}

ps_status
ps_client_load_commit(ps_client_load **loads, size_t n, ps_error *err)
{
	ps_client  *c;
	uint32_t   *handles;
	ps_status	st = PS_OK;

	if (n == 0)
		return PS_OK;
	c = loads[0]->c;
	if (n > PS_FRAME_MAX_HANDLES)
		st = ps_error_set(err, PS_EINVAL, "%zu loads given, at most %d commit together",
						  n, PS_FRAME_MAX_HANDLES);
	/* Validate everything before the owner sees anything: all or none. */
	for (size_t i = 0; i < n && st == PS_OK; i++)
	{
		ps_client_load *l = loads[i];

		if (listed_before(loads, i))
			st = ps_error_set(err, PS_EINVAL, "load listed twice in one commit");
		else if (l->c != c)
			st = ps_error_set(err, PS_EINVAL, "loads committed together must share a connection");
		else if (l->failed)
		{
			if (err)
				*err = l->failure;
			st = l->failure.code;
		}
		else if (l->state != LOAD_FINISHED)
			st = ps_error_set(err, PS_EINVAL, "load not finished: call ps_client_load_finish first");
	}
	if (st == PS_OK)
		st = ps_client_usable(c, err);
	if (st == PS_OK && (handles = malloc(n * sizeof *handles)) == NULL)
		st = ps_client_no_memory(err);
	if (st == PS_OK)
	{
		for (size_t i = 0; i < n; i++)
			handles[i] = loads[i]->handle;
		if (ps_frame_start(&c->out, PS_MSG_LOAD_COMMIT) != PS_OK ||
			ps_msg_commit_encode(&c->out, handles, (uint32_t) n) != PS_OK)
			st = ps_client_no_memory(err);
		/* Freed before waiting: the wait check may not return. */
		free(handles);
		if (st == PS_OK)
			st = ps_client_call_ok(c, err);
	}
	/*
	 * The handles are consumed either way.  Unless committed, roll each
	 * distinct one back (on its own connection).
	 */
	for (size_t i = 0; i < n; i++)
	{
		if (listed_before(loads, i))
			continue;			/* freed already */
		if (st == PS_OK)
			ps_client_load_free(loads[i]);
		else
			ps_client_load_abort(loads[i]);
	}
	return st;
}

void
ps_client_load_abort(ps_client_load *l)
{
	ps_client  *c;

	if (l == NULL)
		return;
	c = l->c;
	/* Errors are ignored: the owner also aborts loads of a broken connection. */
	if (!ps_client_dead(c) && ps_client_build_handle_request(c, PS_MSG_LOAD_ABORT, l->handle) == PS_OK)
		ps_client_call_ok(c, NULL);
	ps_client_load_free(l);
}
