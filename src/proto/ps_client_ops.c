/*
 * ps_client_ops.c — the operations calls of the protocol client: take a
 * backup (BACKUP), list the backups (BACKUPS) and the loads in progress
 * (LOADS), and a load's progress as its owner last reported it.
 *
 * Invariants: the answers are handed over decoded (ps_frame.h types, owned
 * by the caller, freed with their *_clear); a malformed answer breaks the
 * connection as every other call's does.  Linked into the PostgreSQL
 * extension: libc and the client-side core only; no process-wide state.
 */
#include "ps_client_int.h"

#include <stdio.h>
#include <string.h>

ps_status
ps_client_backup(ps_client *c, ps_msg_backup *out, ps_error *err)
{
	ps_reader	payload;
	ps_status	st;

	memset(out, 0, sizeof *out);
	if (ps_frame_start(&c->out, PS_MSG_BACKUP) != PS_OK)
		return ps_client_no_memory(err);
	if ((st = ps_client_call(c, PS_MSG_BACKUP_DONE, &payload, err)) != PS_OK)
		return st;
	if ((st = ps_msg_backup_decode(&payload, out)) != PS_OK)
	{
		ps_msg_backup_clear(out);
		return ps_client_bad_answer(c, st, "BACKUP_DONE", err);
	}
	return PS_OK;
}

ps_status
ps_client_backups(ps_client *c, ps_msg_backup_list *out, ps_error *err)
{
	ps_reader	payload;
	ps_status	st;

	memset(out, 0, sizeof *out);
	if (ps_frame_start(&c->out, PS_MSG_BACKUPS) != PS_OK)
		return ps_client_no_memory(err);
	if ((st = ps_client_call(c, PS_MSG_BACKUP_LIST, &payload, err)) != PS_OK)
		return st;
	if ((st = ps_msg_backup_list_decode(&payload, out)) != PS_OK)
	{
		ps_msg_backup_list_clear(out);
		return ps_client_bad_answer(c, st, "BACKUP_LIST", err);
	}
	return PS_OK;
}

ps_status
ps_client_loads(ps_client *c, ps_msg_load_list *out, ps_error *err)
{
	ps_reader	payload;
	ps_status	st;

	memset(out, 0, sizeof *out);
	if (ps_frame_start(&c->out, PS_MSG_LOADS) != PS_OK)
		return ps_client_no_memory(err);
	if ((st = ps_client_call(c, PS_MSG_LOAD_LIST, &payload, err)) != PS_OK)
		return st;
	if ((st = ps_msg_load_list_decode(&payload, out)) != PS_OK)
	{
		ps_msg_load_list_clear(out);
		return ps_client_bad_answer(c, st, "LOAD_LIST", err);
	}
	return PS_OK;
}

void
ps_client_set_load_source(ps_client *c, const char *source)
{
	snprintf(c->load_source, sizeof c->load_source, "%s", source);
}

void
ps_client_load_progress(const ps_client_load *l, uint64_t *rows, uint64_t *bytes)
{
	*rows = l->owner_rows;
	*bytes = l->owner_bytes;
}
