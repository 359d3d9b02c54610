/*
 * ps_frame_ops.c — the operations messages of the native protocol (layouts
 * in ps_frame.h): BACKUP_DONE and BACKUP_LIST (the answers to BACKUP and
 * BACKUPS), LOAD_LIST (the answer to LOADS) and LOAD_PROGRESS (the answer
 * to each LOAD_ROWS and LOAD_CSV_DATA frame).
 *
 * Invariants: as ps_frame_msg.c's — decoders never read outside their
 * payload, check every count against the bytes left and a cap, consume the
 * whole payload, and leave nothing allocated once *_clear is called.
 * Linked into the PostgreSQL extension: libc and the client-side core only.
 */
#include "ps_frame_int.h"

#include <stdlib.h>
#include <string.h>

/* Smallest encodings: two empty strings and the fixed-size fields. */
#define MIN_BACKUP (2 * MIN_STR + 8 + 8 + 8)
#define MIN_LOAD_ENTRY (8 + 2 * MIN_STR + 8 + 8 + 8 + 8)

ps_status
ps_msg_backup_put(ps_buf *b, const char *name, const char *path, uint64_t bytes,
				  int64_t created_ns, uint64_t elapsed_us)
{
	if (ps_frame_put_str(b, name) != PS_OK || ps_frame_put_str(b, path) != PS_OK ||
		ps_buf_append_u64be(b, bytes) != PS_OK || ps_frame_put_i64(b, created_ns) != PS_OK ||
		ps_buf_append_u64be(b, elapsed_us) != PS_OK)
		return PS_ENOMEM;
	return PS_OK;
}

static ps_status
get_backup(ps_reader *r, ps_msg_backup *m)
{
	ps_status	st;

	if ((st = ps_frame_get_strdup(r, &m->name)) != PS_OK ||
		(st = ps_frame_get_strdup(r, &m->path)) != PS_OK)
		return st;
	if (ps_frame_get_u64(r, &m->bytes) != PS_OK || ps_frame_get_i64(r, &m->created_ns) != PS_OK ||
		ps_frame_get_u64(r, &m->elapsed_us) != PS_OK)
		return PS_EPROTO;
	return PS_OK;
}

ps_status
ps_msg_backup_decode(ps_reader *r, ps_msg_backup *m)
{
	ps_status	st;

	memset(m, 0, sizeof *m);
	if ((st = get_backup(r, m)) != PS_OK)
		return st;
	return ps_frame_get_end(r);
}

void
ps_msg_backup_clear(ps_msg_backup *m)
{
	free(m->name);
	free(m->path);
	memset(m, 0, sizeof *m);
}

ps_status
ps_msg_backup_list_decode(ps_reader *r, ps_msg_backup_list *m)
{
	ps_status	st;

	memset(m, 0, sizeof *m);
	if (ps_frame_get_count(r, MIN_BACKUP, PS_FRAME_MAX_BACKUPS, &m->n) != PS_OK)
		return PS_EPROTO;
	if ((m->backups = ps_frame_alloc_array(m->n, sizeof *m->backups)) == NULL)
		return PS_ENOMEM;
	for (uint32_t i = 0; i < m->n; i++)
		if ((st = get_backup(r, &m->backups[i])) != PS_OK)
			return st;
	return ps_frame_get_end(r);
}

void
ps_msg_backup_list_clear(ps_msg_backup_list *m)
{
	if (m->backups)
		for (uint32_t i = 0; i < m->n; i++)
			ps_msg_backup_clear(&m->backups[i]);
	free(m->backups);
	memset(m, 0, sizeof *m);
}

ps_status
ps_msg_load_entry_put(ps_buf *b, uint64_t id, const char *table, const char *source,
					  uint64_t rows, uint64_t bytes, int64_t started_ns, uint64_t rows_per_second)
{
	if (ps_buf_append_u64be(b, id) != PS_OK || ps_frame_put_str(b, table) != PS_OK ||
		ps_frame_put_str(b, source) != PS_OK || ps_buf_append_u64be(b, rows) != PS_OK ||
		ps_buf_append_u64be(b, bytes) != PS_OK || ps_frame_put_i64(b, started_ns) != PS_OK ||
		ps_buf_append_u64be(b, rows_per_second) != PS_OK)
		return PS_ENOMEM;
	return PS_OK;
}

ps_status
ps_msg_load_list_decode(ps_reader *r, ps_msg_load_list *m)
{
	ps_status	st;

	memset(m, 0, sizeof *m);
	if (ps_frame_get_count(r, MIN_LOAD_ENTRY, PS_FRAME_MAX_LOADS, &m->n) != PS_OK)
		return PS_EPROTO;
	if ((m->loads = ps_frame_alloc_array(m->n, sizeof *m->loads)) == NULL)
		return PS_ENOMEM;
	for (uint32_t i = 0; i < m->n; i++)
	{
		ps_msg_load_entry *e = &m->loads[i];

		if (ps_frame_get_u64(r, &e->id) != PS_OK)
			return PS_EPROTO;
		if ((st = ps_frame_get_strdup(r, &e->table)) != PS_OK ||
			(st = ps_frame_get_strdup(r, &e->source)) != PS_OK)
			return st;
		if (ps_frame_get_u64(r, &e->rows) != PS_OK || ps_frame_get_u64(r, &e->bytes) != PS_OK ||
			ps_frame_get_i64(r, &e->started_ns) != PS_OK ||
			ps_frame_get_u64(r, &e->rows_per_second) != PS_OK)
			return PS_EPROTO;
	}
	return ps_frame_get_end(r);
}

void
ps_msg_load_list_clear(ps_msg_load_list *m)
{
	if (m->loads)
		for (uint32_t i = 0; i < m->n; i++)
		{
			free(m->loads[i].table);
			free(m->loads[i].source);
		}
	free(m->loads);
	memset(m, 0, sizeof *m);
}

ps_status
ps_msg_load_progress_encode(ps_buf *b, uint64_t rows, uint64_t bytes)
{
	if (ps_buf_append_u64be(b, rows) != PS_OK || ps_buf_append_u64be(b, bytes) != PS_OK)
		return PS_ENOMEM;
	return PS_OK;
}

ps_status
ps_msg_load_progress_decode(ps_reader *r, uint64_t *rows, uint64_t *bytes)
{
	if (ps_frame_get_u64(r, rows) != PS_OK || ps_frame_get_u64(r, bytes) != PS_OK)
		return PS_EPROTO;
	return ps_frame_get_end(r);
}
