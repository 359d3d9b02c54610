/*
 * ps_proto_catalog.c — the owner's handlers of the catalog requests of the
 * native protocol: TABLES, TABLE_INFO, DELETE_RANGE, DROP_TABLE and STATUS
 * (called by dispatch, ps_proto_conn.c; layouts in ps_frame.h).
 *
 * Invariants: each handler consumes its whole payload (trailing bytes make
 * the request malformed), then answers in cn->out from the store, or
 * returns the store's error; none keeps state between requests.  An empty
 * table's time bounds go out as 0.
 */
#include "ps_proto_server_int.h"

#include <stdlib.h>
#include <unistd.h>

#include "../core/ps_schema.h"

ps_status
ps_proto_handle_tables(conn *cn, ps_reader *r, ps_error *err)
{
	ps_table_info *t;
	size_t		n;
	ps_status	st;

	if (ps_frame_get_end(r) != PS_OK)
		return ps_proto_malformed(err, PS_MSG_TABLES);
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
	return st == PS_OK ? PS_OK : ps_proto_answer_memory(err);
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

ps_status
ps_proto_handle_table_info(conn *cn, ps_reader *r, ps_error *err)
{
	char	   *name = NULL;
	ps_table_info info;
	ps_schema  *schema = NULL;
	ps_status	st;

	if ((st = ps_frame_get_strdup(r, &name)) != PS_OK || ps_frame_get_end(r) != PS_OK)
	{
		free(name);
		return ps_proto_decode_failed(st, PS_MSG_TABLE_INFO, err);
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
	return st == PS_OK ? PS_OK : ps_proto_answer_memory(err);
}

ps_status
ps_proto_handle_delete_range(conn *cn, ps_reader *r, ps_error *err)
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
		return ps_proto_decode_failed(st, PS_MSG_DELETE_RANGE, err);
	}
	st = ps_store_delete_range(cn->srv->st, name, lo, hi, &removed, err);
	free(name);
	if (st != PS_OK)
		return st;
	if (ps_frame_start(&cn->out, PS_MSG_DELETED) != PS_OK ||
		ps_buf_append_u64be(&cn->out, removed) != PS_OK)
		return ps_proto_answer_memory(err);
	return PS_OK;
}

ps_status
ps_proto_handle_drop_table(conn *cn, ps_reader *r, ps_error *err)
{
	char	   *name = NULL;
	ps_status	st;

	if ((st = ps_frame_get_strdup(r, &name)) != PS_OK || ps_frame_get_end(r) != PS_OK)
	{
		free(name);
		return ps_proto_decode_failed(st, PS_MSG_DROP_TABLE, err);
	}
	st = ps_store_drop_table(cn->srv->st, name, err);
	free(name);
	return st != PS_OK ? st : ps_proto_answer_ok(cn, err);
}

ps_status
ps_proto_handle_status(conn *cn, ps_reader *r, ps_error *err)
{
	ps_msg_status m = cn->srv->status;
	ps_store_activity activity;

	if (ps_frame_get_end(r) != PS_OK)
		return ps_proto_malformed(err, PS_MSG_STATUS);
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
		return ps_proto_answer_memory(err);
	return PS_OK;
}
