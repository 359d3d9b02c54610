/*
 * ps_rest_backup.c — POST /backups takes an online backup of the store
 * (ps_store_backup: a RocksDB checkpoint plus pulsora.toml, under
 * [storage] backup_dir, pruned to backup_keep) and answers {path, bytes,
 * elapsed_ms}; GET /backups lists the complete backups there, oldest first,
 * as {name, path, bytes, time}.
 *
 * Invariants: called by ps_rest.c's dispatch once the request is
 * authenticated (the token, when one is set) and its method is GET or POST.
 * Loads go on while a backup runs; the handler thread blocks meanwhile,
 * which stalls no other connection (one thread per connection).  Times are
 * ISO-8601 UTC with milliseconds.
 */
#include "ps_rest_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ps_log.h"

json_t *
ps_rest_iso_time_json(int64_t ns)
{
	time_t		secs = (time_t) (ns / 1000000000);
	struct tm	tm;
	char		text[40], out[48];

	gmtime_r(&secs, &tm);
	strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out, sizeof out, "%s.%03dZ", text, (int) (ns % 1000000000 / 1000000));
	return json_string(out);
}

static enum MHD_Result
take_backup(request *rq, struct MHD_Connection *conn)
{
	ps_backup_info info;
	ps_error	err;

	if (ps_store_backup(rq->rest->store, &rq->rest->backup, &info, &err) != PS_OK)
		return ps_rest_respond_error(rq, conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "backup failed: %s",
									 err.message);
	ps_log(PS_LOG_INFO, "backup %s: %llu bytes in %.1f ms", info.path,
		   (unsigned long long) info.bytes, info.elapsed_ms);
	return ps_rest_respond_envelope(rq, conn, MHD_HTTP_OK,
									json_pack("{s:s, s:s, s:I, s:f}", "name", info.name, "path",
											  info.path, "bytes", (json_int_t) info.bytes,
											  "elapsed_ms", info.elapsed_ms), NULL);
}

static enum MHD_Result
list_backups(request *rq, struct MHD_Connection *conn)
{
	ps_backup_info *all;
	size_t		n;
	ps_error	err;
	json_t	   *arr;

	if (ps_backup_list(rq->rest->backup.parent, &all, &n, &err) != PS_OK)
		return ps_rest_respond_status(rq, conn, &err);
	arr = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(arr, json_pack("{s:s, s:s, s:I, s:o}", "name", all[i].name, "path",
											 all[i].path, "bytes", (json_int_t) all[i].bytes,
											 "time", ps_rest_iso_time_json(all[i].created_ns)));
	free(all);
	return ps_rest_respond_envelope(rq, conn, MHD_HTTP_OK, arr, NULL);
}

enum MHD_Result
ps_rest_handle_backups(request *rq, struct MHD_Connection *conn)
{
	if (rq->rest->backup.parent == NULL)
		return ps_rest_respond_error(rq, conn, MHD_HTTP_NOT_FOUND,
									 "this server has no backup directory");
	return strcmp(rq->method, MHD_HTTP_METHOD_POST) == 0 ? take_backup(rq, conn)
		: list_backups(rq, conn);
}
