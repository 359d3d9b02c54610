/*
 * ps_proto_ops.c — the operations requests of the native protocol, called
 * by dispatch (ps_proto_conn.c): BACKUP takes an online backup of the store
 * (ps_store_backup, into the owner's [storage] backup_dir) and answers
 * BACKUP_DONE; BACKUPS lists the complete backups there (BACKUP_LIST,
 * oldest first); LOADS lists the loads in progress (LOAD_LIST, by id) from
 * the store's register, which REST and protocol loads share.
 *
 * Invariants: the requests carry no payload.  Who may ask is settled
 * before a request gets here: the socket is the owner user's alone, and
 * the PostgreSQL extension checks the caller's rights on the server.  A
 * backup runs in the connection's thread while loads and scans go on.
 */
#include "ps_proto_server_int.h"

#include <stdlib.h>

/* An owner started without a backup directory (tests, an embedded store). */
static ps_status
no_backup_dir(ps_error *err)
{
	return ps_error_set(err, PS_ENOTFOUND, "this pulsora owner has no backup directory");
}

static uint64_t
elapsed_us(double ms)
{
	return ms > 0 ? (uint64_t) (ms * 1000.0 + 0.5) : 0;
}

ps_status
ps_proto_handle_backup(conn *cn, ps_reader *r, ps_error *err)
{
	ps_backup_info info;
	ps_status	st;

	if (ps_frame_get_end(r) != PS_OK)
		return ps_proto_malformed(err, PS_MSG_BACKUP);
	if (cn->srv->backup.parent == NULL)
		return no_backup_dir(err);
	if ((st = ps_store_backup(cn->srv->st, &cn->srv->backup, &info, err)) != PS_OK)
		return st;
	if (ps_frame_start(&cn->out, PS_MSG_BACKUP_DONE) != PS_OK ||
		ps_msg_backup_put(&cn->out, info.name, info.path, info.bytes, info.created_ns,
						  elapsed_us(info.elapsed_ms)) != PS_OK)
		return ps_proto_answer_memory(err);
	return PS_OK;
}

ps_status
ps_proto_handle_backups(conn *cn, ps_reader *r, ps_error *err)
{
	ps_backup_info *all;
	size_t		n, first;
	ps_status	st;

	if (ps_frame_get_end(r) != PS_OK)
		return ps_proto_malformed(err, PS_MSG_BACKUPS);
	if (cn->srv->backup.parent == NULL)
		return no_backup_dir(err);
	if ((st = ps_backup_list(cn->srv->backup.parent, &all, &n, err)) != PS_OK)
		return st;
	/* Past the cap, the newest (listed last). */
	first = n > PS_FRAME_MAX_BACKUPS ? n - PS_FRAME_MAX_BACKUPS : 0;
	st = ps_frame_start(&cn->out, PS_MSG_BACKUP_LIST) == PS_OK &&
		ps_buf_append_varint(&cn->out, n - first) == PS_OK ? PS_OK : PS_ENOMEM;
	for (size_t i = first; i < n && st == PS_OK; i++)
		st = ps_msg_backup_put(&cn->out, all[i].name, all[i].path, all[i].bytes,
							   all[i].created_ns, elapsed_us(all[i].elapsed_ms));
	free(all);
	return st == PS_OK ? PS_OK : ps_proto_answer_memory(err);
}

ps_status
ps_proto_handle_loads(conn *cn, ps_reader *r, ps_error *err)
{
	ps_progress_info *all;
	size_t		n;
	ps_status	st;

	if (ps_frame_get_end(r) != PS_OK)
		return ps_proto_malformed(err, PS_MSG_LOADS);
	if ((st = ps_store_loads(cn->srv->st, &all, &n, err)) != PS_OK)
		return st;
	if (n > PS_FRAME_MAX_LOADS)
		n = PS_FRAME_MAX_LOADS;
	st = ps_frame_start(&cn->out, PS_MSG_LOAD_LIST) == PS_OK &&
		ps_buf_append_varint(&cn->out, n) == PS_OK ? PS_OK : PS_ENOMEM;
	for (size_t i = 0; i < n && st == PS_OK; i++)
		st = ps_msg_load_entry_put(&cn->out, all[i].id, all[i].table, all[i].source, all[i].rows,
								   all[i].bytes, all[i].started_ns,
								   (uint64_t) (all[i].rows_per_second + 0.5));
	free(all);
	return st == PS_OK ? PS_OK : ps_proto_answer_memory(err);
}
