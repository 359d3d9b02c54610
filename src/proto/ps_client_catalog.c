/*
 * ps_client_catalog.c — the client's catalog calls: ps_client_tables,
 * ps_client_table_info, ps_client_delete_range, ps_client_drop_table and
 * ps_client_status_get, one round trip each (ps_client_call), and the
 * frees of what they return.
 *
 * Invariants: the strings of an answer are moved into the caller's
 * structs, not copied; a call that fails leaves the caller nothing to
 * free; a malformed answer breaks the connection (ps_client_bad_answer).
 * This file is linked into the PostgreSQL extension: libc and the
 * client-side core only; no process-wide state.
 */
#include "ps_client_int.h"

#include <stdlib.h>
#include <string.h>

ps_status
ps_client_tables(ps_client *c, ps_client_table **out, size_t *n, ps_error *err)
{
	ps_reader	payload;
	ps_msg_table_list m;
	ps_client_table *t;
	ps_status	st;

	*out = NULL;
	*n = 0;
	if (ps_frame_start(&c->out, PS_MSG_TABLES) != PS_OK)
		return ps_client_no_memory(err);
	if ((st = ps_client_call(c, PS_MSG_TABLE_LIST, &payload, err)) != PS_OK)
		return st;
	if ((st = ps_msg_table_list_decode(&payload, &m)) != PS_OK)
	{
		ps_msg_table_list_clear(&m);
		return ps_client_bad_answer(c, st, "TABLE_LIST", err);
	}
	if ((t = calloc(m.ntables ? m.ntables : 1, sizeof *t)) == NULL)
	{
		ps_msg_table_list_clear(&m);
		return ps_error_set(err, PS_ENOMEM, "out of memory for %u tables", m.ntables);
	}
	for (uint32_t i = 0; i < m.ntables; i++)
	{
		t[i].name = m.tables[i].name;	/* moved */
		m.tables[i].name = NULL;
		t[i].row_count = m.tables[i].row_count;
		t[i].min_time = m.tables[i].min_time;
		t[i].max_time = m.tables[i].max_time;
	}
	*out = t;
	*n = m.ntables;
	ps_msg_table_list_clear(&m);
	return PS_OK;
}

void
ps_client_tables_free(ps_client_table *t, size_t n)
{
	if (t == NULL)
		return;
	for (size_t i = 0; i < n; i++)
		free(t[i].name);
	free(t);
}

ps_status
ps_client_table_info(ps_client *c, const char *table, ps_client_table *info,
					 ps_client_column **cols, size_t *ncols, ps_error *err)
{
	ps_reader	payload;
	ps_msg_table_info m;
	ps_client_column *cv = NULL;
	ps_status	st;

	if (info)
		memset(info, 0, sizeof *info);
	if (cols)
		*cols = NULL;
	if (ncols)
		*ncols = 0;
	if (ps_frame_start(&c->out, PS_MSG_TABLE_INFO) != PS_OK ||
		ps_frame_put_str(&c->out, table) != PS_OK)
		return ps_client_no_memory(err);
	if ((st = ps_client_call(c, PS_MSG_TABLE, &payload, err)) != PS_OK)
		return st;
	if ((st = ps_msg_table_info_decode(&payload, &m)) != PS_OK)
	{
		ps_msg_table_info_clear(&m);
		return ps_client_bad_answer(c, st, "TABLE", err);
	}
	if (cols && (cv = calloc(m.ncolumns ? m.ncolumns : 1, sizeof *cv)) == NULL)
	{
		ps_msg_table_info_clear(&m);
		return ps_error_set(err, PS_ENOMEM, "out of memory for %u columns", m.ncolumns);
	}
	if (cols)
	{
		for (uint32_t i = 0; i < m.ncolumns; i++)
		{
			cv[i].name = m.columns[i].name;	/* moved */
			m.columns[i].name = NULL;
			cv[i].type = m.columns[i].type;
			cv[i].is_time = m.columns[i].is_time;
			cv[i].is_series = m.columns[i].series > 0;
			cv[i].series_position = m.columns[i].series;
		}
		*cols = cv;
		if (ncols)
			*ncols = m.ncolumns;
	}
	if (info)
	{
		info->name = m.table.name;	/* moved */
		m.table.name = NULL;
		info->row_count = m.table.row_count;
		info->min_time = m.table.min_time;
		info->max_time = m.table.max_time;
		info->nseries = m.nseries;
	}
	ps_msg_table_info_clear(&m);
	return PS_OK;
}

void
ps_client_columns_free(ps_client_column *cols, size_t n)
{
	if (cols == NULL)
		return;
	for (size_t i = 0; i < n; i++)
		free(cols[i].name);
	free(cols);
}

ps_status
ps_client_delete_range(ps_client *c, const char *table, int64_t lo, int64_t hi,
					   uint64_t *removed, ps_error *err)
{
	ps_reader	payload;
	uint64_t	n;
	ps_status	st;

	if (ps_frame_start(&c->out, PS_MSG_DELETE_RANGE) != PS_OK ||
		ps_frame_put_str(&c->out, table) != PS_OK ||
		ps_frame_put_i64(&c->out, lo) != PS_OK ||
		ps_frame_put_i64(&c->out, hi) != PS_OK)
		return ps_client_no_memory(err);
	if ((st = ps_client_call(c, PS_MSG_DELETED, &payload, err)) != PS_OK)
		return st;
	if (ps_frame_get_u64(&payload, &n) != PS_OK || ps_frame_get_end(&payload) != PS_OK)
		return ps_client_bad_answer(c, PS_EPROTO, "DELETED", err);
	if (removed)
		*removed = n;
	return PS_OK;
}

ps_status
ps_client_drop_table(ps_client *c, const char *table, ps_error *err)
{
	if (ps_frame_start(&c->out, PS_MSG_DROP_TABLE) != PS_OK ||
		ps_frame_put_str(&c->out, table) != PS_OK)
		return ps_client_no_memory(err);
	return ps_client_call_ok(c, err);
}

ps_status
ps_client_status_get(ps_client *c, ps_client_status *out, ps_error *err)
{
	ps_reader	payload;
	ps_msg_status m;
	ps_status	st;

	if (ps_frame_start(&c->out, PS_MSG_STATUS) != PS_OK)
		return ps_client_no_memory(err);
	if ((st = ps_client_call(c, PS_MSG_STATUS_OK, &payload, err)) != PS_OK)
		return st;
	if (ps_msg_status_decode(&payload, &m) != PS_OK)
		return ps_client_bad_answer(c, PS_EPROTO, "STATUS_OK", err);
	memset(out, 0, sizeof *out);
	out->pid = (int32_t) m.pid;
	/* The arrays have the same sizes on both sides (ps_frame.h). */
	memcpy(out->kind, m.kind, sizeof out->kind);
	memcpy(out->rest_address, m.rest_address, sizeof out->rest_address);
	memcpy(out->version, m.version, sizeof out->version);
	out->data_bytes = m.data_bytes;
	out->connections = m.connections;
	out->open_scans = m.open_scans;
	out->open_loads = m.open_loads;
	return PS_OK;
}
