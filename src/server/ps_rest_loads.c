/*
 * ps_rest_loads.c — GET /loads: the loads in progress on this owner, from
 * the store's register (ps_store_loads), whoever runs them: REST ingests,
 * SQL functions, COPY and INSERT through the extension, pulsora-cli.  One
 * object per load, oldest first: id, table, source, rows and bytes taken so
 * far, started (ISO-8601 UTC) and rows_per_second since it started.
 *
 * Invariants: called by ps_rest.c's dispatch once the request is
 * authenticated and its method is GET.  The figures are read without
 * stopping the loads, so each is true as of a moment during the request.
 */
#include "ps_rest_int.h"

#include <stdlib.h>

enum MHD_Result
ps_rest_handle_loads(request *rq, struct MHD_Connection *conn)
{
	ps_progress_info *all;
	size_t		n;
	ps_error	err;
	json_t	   *arr;

	if (ps_store_loads(rq->rest->store, &all, &n, &err) != PS_OK)
		return ps_rest_respond_status(rq, conn, &err);
	arr = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(arr, json_pack("{s:I, s:s, s:s, s:I, s:I, s:o, s:f}",
											 "id", (json_int_t) all[i].id,
											 "table", all[i].table,
											 "source", all[i].source,
											 "rows", (json_int_t) all[i].rows,
											 "bytes", (json_int_t) all[i].bytes,
											 "started", ps_rest_iso_time_json(all[i].started_ns),
											 "rows_per_second", all[i].rows_per_second));
	free(all);
	return ps_rest_respond_envelope(rq, conn, MHD_HTTP_OK, arr, NULL);
}
