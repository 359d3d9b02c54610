/*
 * ps_rest_metrics.c — the counters of pulsorad's REST API and GET /metrics,
 * which exposes them with the store's figures in Prometheus' text format:
 * requests by route and status, slow clients cut, rows ingested, rows and
 * bytes per table, loads in progress, scans, the merge backlog, the
 * decoded-block cache, bytes on disk, resident memory, the backups in
 * the backup directory (how many, and the newest one's time, age and
 * duration), and the native protocol's refused TCP connections (token,
 * TLS).
 *
 * Invariants: counters are atomics, added to from any connection thread
 * (and the watchdog) without a lock; a request is counted once, when it
 * ends, under the route it resolved to and its status (a status not in
 * counted_statuses counts as "other").  Every sample follows the # TYPE
 * line of its family.  The backup figures are read from the backups' marker
 * files at each scrape, so they survive restarts; a gauge with no value
 * (no backup yet, no backup directory) is left out rather than made up,
 * the Prometheus way; pulsora_backups is there unless the backup directory
 * cannot be read.
 */
#include "ps_rest_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "core/ps_buf.h"

/* Route labels of pulsora_http_requests_total. */
const char *const ps_rest_route_labels[NROUTES] = {
	"/health", "/tables", "/tables/{t}/ingest", "/tables/{t}/query", "/tables/{t}/aggregate",
	"/tables/{t}/latest", "/tables/{t}/schema",
	"/tables/{t}/count", "/tables/{t}/rows", "/tables/{t}", "/metrics", "/backups", "/loads", "unknown"
};

/* Labels of pulsora_http_slow_clients_closed_total, by slow_kind. */
static const char *const slow_labels[NSLOW] = {"headers", "body"};

void
ps_rest_count_request(ps_rest *r, route_id route, int status)
{
	size_t		i = 0;

	while (counted_statuses[i] != 0 && counted_statuses[i] != status)
		i++;
	atomic_fetch_add_explicit(&r->requests[route][i], 1, memory_order_relaxed);
}

static uint64_t
resident_bytes(void)
{
	unsigned long long size, resident;
	FILE	   *f = fopen("/proc/self/statm", "r");
	int			n;

	if (f == NULL)
		return 0;
	n = fscanf(f, "%llu %llu", &size, &resident);
	fclose(f);
	return n == 2 ? (uint64_t) resident * (uint64_t) sysconf(_SC_PAGESIZE) : 0;
}

/*
 * The backups under [storage] backup_dir: their count, and the newest one's
 * start time, age and duration (from its marker file).  A directory that
 * cannot be read shows no backup figure at all: 0 would read as "none".
 */
static ps_status
backup_metrics(ps_rest *r, ps_buf *out)
{
	ps_backup_info *all = NULL;
	size_t		n = 0;
	ps_error	err;
	ps_status	st;

	if (r->backup.parent != NULL && ps_backup_list(r->backup.parent, &all, &n, &err) != PS_OK)
		return PS_OK;
	st = ps_buf_printf(out, "# HELP pulsora_backups Complete backups in the backup directory.\n"
					   "# TYPE pulsora_backups gauge\n"
					   "pulsora_backups %zu\n", n);
	if (st == PS_OK && n > 0)
	{
		const ps_backup_info *last = &all[n - 1];	/* oldest first */
		struct timespec now;
		int64_t		now_ns;

		clock_gettime(CLOCK_REALTIME, &now);
		now_ns = (int64_t) now.tv_sec * 1000000000 + now.tv_nsec;
		st = ps_buf_printf(out, "# HELP pulsora_backup_last_timestamp_seconds When the newest complete "
						   "backup was started, in seconds since the epoch.\n"
						   "# TYPE pulsora_backup_last_timestamp_seconds gauge\n"
						   "pulsora_backup_last_timestamp_seconds %.3f\n"
						   "# HELP pulsora_backup_age_seconds Seconds since the newest complete backup "
						   "was started.\n"
						   "# TYPE pulsora_backup_age_seconds gauge\n"
						   "pulsora_backup_age_seconds %.3f\n"
						   "# HELP pulsora_backup_last_duration_seconds How long taking the newest "
						   "complete backup took.\n"
						   "# TYPE pulsora_backup_last_duration_seconds gauge\n"
						   "pulsora_backup_last_duration_seconds %.6f\n",
						   (double) last->created_ns / 1e9, (double) (now_ns - last->created_ns) / 1e9,
						   last->elapsed_ms / 1e3);
	}
	free(all);
	return st;
}

enum MHD_Result
ps_rest_handle_metrics(request *rq, struct MHD_Connection *conn)
{
	ps_rest    *r = rq->rest;
	ps_buf		out = PS_BUF_INIT;
	ps_table_info *tables;
	size_t		n;
	ps_error	err;
	ps_status	st;
	ps_store_activity act;

	if (ps_store_list_tables(r->store, &tables, &n, &err) != PS_OK)
		return ps_rest_respond_status(rq, conn, &err);
	st = ps_buf_printf(&out, "# HELP pulsora_http_requests_total REST requests by route and status.\n"
					   "# TYPE pulsora_http_requests_total counter\n");
	for (int i = 0; i < NROUTES; i++)
		for (size_t j = 0; j < NSTATUSES; j++)
		{
			uint64_t	v = atomic_load_explicit(&r->requests[i][j], memory_order_relaxed);

			if (v == 0 || st != PS_OK)
				continue;
			if (counted_statuses[j] != 0)
				st = ps_buf_printf(&out, "pulsora_http_requests_total{route=\"%s\",status=\"%d\"} %llu\n",
								   ps_rest_route_labels[i], counted_statuses[j], (unsigned long long) v);
			else
				st = ps_buf_printf(&out, "pulsora_http_requests_total{route=\"%s\",status=\"other\"} %llu\n",
								   ps_rest_route_labels[i], (unsigned long long) v);
		}
	if (st == PS_OK)
		st = ps_buf_printf(&out, "# HELP pulsora_http_slow_clients_closed_total Connections ended for "
						   "sending headers or a body too slowly.\n"
						   "# TYPE pulsora_http_slow_clients_closed_total counter\n");
	for (int i = 0; i < NSLOW && st == PS_OK; i++)
		st = ps_buf_printf(&out, "pulsora_http_slow_clients_closed_total{phase=\"%s\"} %llu\n",
						   slow_labels[i], (unsigned long long) atomic_load(&r->slow_closed[i]));
	if (st == PS_OK)
		st = ps_buf_printf(&out, "# HELP pulsora_rows_ingested_total Rows committed by REST ingests.\n"
						   "# TYPE pulsora_rows_ingested_total counter\n"
						   "pulsora_rows_ingested_total %llu\n"
						   "# HELP pulsora_table_rows Committed rows per table.\n"
						   "# TYPE pulsora_table_rows gauge\n",
						   (unsigned long long) atomic_load(&r->rows_ingested));
	/* Table names are [A-Za-z0-9_-]: nothing to escape in a label. */
	for (size_t i = 0; i < n && st == PS_OK; i++)
		st = ps_buf_printf(&out, "pulsora_table_rows{table=\"%s\"} %llu\n", tables[i].name,
						   (unsigned long long) tables[i].row_count);
	if (st == PS_OK)
		st = ps_buf_printf(&out, "# HELP pulsora_table_bytes Approximate bytes of each table in "
						   "flushed files (blocks, their metadata, dedup entries), to within "
						   "RocksDB's 32 KiB blocks; rows still in the memtable count once flushed.\n"
						   "# TYPE pulsora_table_bytes gauge\n");
	for (size_t i = 0; i < n && st == PS_OK; i++)
		st = ps_buf_printf(&out, "pulsora_table_bytes{table=\"%s\"} %llu\n", tables[i].name,
						   (unsigned long long) ps_store_table_bytes(r->store, tables[i].id));
	free(tables);
	ps_store_activity_get(r->store, &act);
	if (st == PS_OK)
		st = ps_buf_printf(&out, "# HELP pulsora_loads_in_progress Loads begun and not yet committed or "
						   "aborted (REST, SQL, COPY, CLI).\n"
						   "# TYPE pulsora_loads_in_progress gauge\n"
						   "pulsora_loads_in_progress %llu\n"
						   "# HELP pulsora_scans_open Scans holding a snapshot.\n"
						   "# TYPE pulsora_scans_open gauge\n"
						   "pulsora_scans_open %llu\n"
						   "# HELP pulsora_merge_backlog_partitions Time partitions loads committed into "
						   "that the background merge has not gone over yet.\n"
						   "# TYPE pulsora_merge_backlog_partitions gauge\n"
						   "pulsora_merge_backlog_partitions %llu\n"
						   "# HELP pulsora_decoded_cache_bytes Bytes of decoded blocks cached for scans.\n"
						   "# TYPE pulsora_decoded_cache_bytes gauge\n"
						   "pulsora_decoded_cache_bytes %llu\n"
						   "# HELP pulsora_decoded_cache_budget_bytes The decoded-block cache's budget "
						   "([storage] decoded_cache_mb).\n"
						   "# TYPE pulsora_decoded_cache_budget_bytes gauge\n"
						   "pulsora_decoded_cache_budget_bytes %llu\n",
						   (unsigned long long) act.open_loads, (unsigned long long) act.open_scans,
						   (unsigned long long) act.merge_backlog,
						   (unsigned long long) act.decoded_cache_bytes,
						   (unsigned long long) act.decoded_cache_budget);
	if (st == PS_OK)
		st = ps_buf_printf(&out, "# HELP pulsora_data_bytes Bytes on disk of the store (SST and WAL).\n"
						   "# TYPE pulsora_data_bytes gauge\n"
						   "pulsora_data_bytes %llu\n"
						   "# HELP pulsora_process_resident_bytes Resident memory of pulsorad.\n"
						   "# TYPE pulsora_process_resident_bytes gauge\n"
						   "pulsora_process_resident_bytes %llu\n",
						   (unsigned long long) ps_store_disk_size(r->store),
						   (unsigned long long) resident_bytes());
	if (st == PS_OK)
		st = backup_metrics(r, &out);
	if (st == PS_OK && r->proto_stats != NULL)
		st = ps_buf_printf(&out, "# HELP pulsora_protocol_auth_failures_total Native-protocol TCP "
						   "connections refused for a missing or wrong token.\n"
						   "# TYPE pulsora_protocol_auth_failures_total counter\n"
						   "pulsora_protocol_auth_failures_total %llu\n"
						   "# HELP pulsora_protocol_tls_failures_total Native-protocol TCP connections "
						   "whose TLS handshake failed (plain clients on the TLS port included).\n"
						   "# TYPE pulsora_protocol_tls_failures_total counter\n"
						   "pulsora_protocol_tls_failures_total %llu\n",
						   (unsigned long long) atomic_load(&r->proto_stats->auth_failures),
						   (unsigned long long) atomic_load(&r->proto_stats->tls_failures));
	if (st != PS_OK)
	{
		ps_buf_free(&out);
		return ps_rest_respond_error(rq, conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
	}
	/* MUST_FREE hands the ps_buf's malloc'd bytes to MHD. */
	return ps_rest_queue(rq, conn, MHD_HTTP_OK,
						 MHD_create_response_from_buffer(out.len, out.data, MHD_RESPMEM_MUST_FREE),
						 "text/plain; version=0.0.4; charset=utf-8");
}
