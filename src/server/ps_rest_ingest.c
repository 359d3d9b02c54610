/*
 * ps_rest_ingest.c — POST /tables/{t}/ingest of pulsorad's REST API: a CSV
 * body streamed into the CSV loader (ps_csv.h) as MHD hands it over.
 *
 * Invariants:
 *  - Memory is bounded: each body chunk goes to ps_csv_feed as it comes,
 *    nothing is buffered here.
 *  - The content type, a declared Content-Length over max_body_bytes and the
 *    load options are checked, and the load begun, before the body is read.
 *  - A failed ingest stores nothing: the load is aborted at once and the
 *    error answered at the end of the body (MHD cannot answer earlier); the
 *    rest of the body is dropped, and a client that keeps sending past twice
 *    max_body_bytes is disconnected.  A load whose client goes away is
 *    aborted by ps_rest.c's completion callback.
 */
#include "ps_rest_int.h"

#include <string.h>
#include <strings.h>

#include "core/ps_schema.h"
#include "ps_log.h"

static bool
is_csv_content_type(const char *ct)
{
	size_t		len;

	if (ct == NULL)
		return false;
	while (*ct == ' ')
		ct++;
	len = strcspn(ct, "; ");
	return len == 8 && strncasecmp(ct, "text/csv", 8) == 0;
}

/* Stop the ingest (nothing is stored); the error is answered at the end of the body. */
static void
fail_ingest(request *rq, int status, const ps_error *err)
{
	ps_csv_abort(rq->load);
	rq->load = NULL;
	ps_progress_end(rq->progress);
	rq->progress = NULL;
	rq->failed_status = status;
	rq->failure = *err;
}

typedef struct option_walk {
	ps_csv_options *opts;
	ps_error	err;
	bool		failed;
} option_walk;

static enum MHD_Result
apply_load_option(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	option_walk *w = cls;

	(void) kind;
	if (!w->failed && ps_csv_option_set(w->opts, key, value != NULL ? value : "", &w->err) != PS_OK)
		w->failed = true;
	return MHD_YES;
}

/* First call: check everything that can be checked before the body, then begin the load. */
enum MHD_Result
ps_rest_ingest_begin(request *rq, struct MHD_Connection *conn)
{
	ps_rest    *r = rq->rest;
	ps_csv_options opts = r->csv;
	option_walk w = {&opts, {0}, false};
	const char *length;
	uint64_t	declared;
	ps_error	err;

	if (!is_csv_content_type(MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
														 MHD_HTTP_HEADER_CONTENT_TYPE)))
		return ps_rest_respond_error(rq, conn, MHD_HTTP_BAD_REQUEST,
									 "the body must be CSV sent with \"Content-Type: text/csv\"");
	length = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
	if (length != NULL && ps_rest_parse_u64(length, 0, UINT64_MAX, &declared) && declared > r->max_body_bytes)
		return ps_rest_respond_error(rq, conn, MHD_HTTP_CONTENT_TOO_LARGE,
									 "request body of %llu bytes exceeds max_body_size_mb (%llu bytes)",
									 (unsigned long long) declared, (unsigned long long) r->max_body_bytes);
	MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, apply_load_option, &w);
	if (w.failed)
		return ps_rest_respond_error(rq, conn, MHD_HTTP_BAD_REQUEST, "%s", w.err.message);
	if (ps_csv_begin(r->store, rq->table, &opts, &rq->load, &err) != PS_OK)
		return ps_rest_respond_status(rq, conn, &err);
	/* Listed in GET /loads until the request completes (ps_rest.c ends the entry). */
	if (ps_progress_begin(r->store, rq->table, "rest", &rq->progress, &err) != PS_OK)
		return ps_rest_respond_status(rq, conn, &err);
	ps_csv_set_progress(rq->load, rq->progress);
	return MHD_YES;
}

enum MHD_Result
ps_rest_ingest_data(request *rq, const char *data, size_t *size)
{
	ps_rest    *r = rq->rest;
	size_t		n = *size;
	ps_error	err;

	*size = 0;
	rq->body_bytes += n;
	if (rq->failed_status != 0)
	{
		/*
		 * MHD answers only once the body is complete, so the rest of a failed
		 * body is read and dropped for the client to get its error; one that
		 * keeps sending past twice the size limit is disconnected instead.
		 */
		return rq->body_bytes / 2 > r->max_body_bytes ? MHD_NO : MHD_YES;
	}
	if (rq->body_bytes > r->max_body_bytes)
	{
		ps_error_set(&err, PS_ETOOBIG, "request body exceeds max_body_size_mb (%llu bytes); "
					 "nothing was stored", (unsigned long long) r->max_body_bytes);
		fail_ingest(rq, MHD_HTTP_CONTENT_TOO_LARGE, &err);
	}
	else if (ps_csv_feed(rq->load, data, n, &err) != PS_OK)
		fail_ingest(rq, ps_rest_http_status_for(err.code), &err);
	return MHD_YES;
}

/*
 * The end of the body: commit and answer.  A load that created its table
 * also answers the table's schema as it inferred it ("schema", the data of
 * GET /tables/{t}/schema); a load into an existing table has no "schema".
 */
enum MHD_Result
ps_rest_ingest_end(request *rq, struct MHD_Connection *conn)
{
	ps_csv_result res;
	ps_error	err;
	ps_csv_load *load = rq->load;
	ps_load    *ld;
	ps_schema  *created = NULL;
	json_t	   *errors;
	json_t	   *data;

	if (rq->failed_status != 0)
		return ps_rest_respond_error(rq, conn, rq->failed_status, "%s", rq->failure.message);
	rq->load = NULL;
	/* ps_csv_finish in two steps, to copy the schema the load creates before the commit frees it. */
	if (ps_csv_finish_detached(load, &res, &ld, &err) != PS_OK)
		return ps_rest_respond_status(rq, conn, &err);
	if (res.created_table && (created = ps_schema_copy(ps_load_schema(ld))) == NULL)
	{
		ps_load_abort(ld);
		ps_error_set(&err, PS_ENOMEM, "out of memory");
		return ps_rest_respond_status(rq, conn, &err);
	}
	/* A table an open SQL transaction is creating: wait for it, as long as a request may take. */
	if (ps_load_commit_waiting(ld, (uint32_t) (rq->rest->deadline_ns / 1000000), &err) != PS_OK)
	{
		ps_schema_free(created);
		return ps_rest_respond_status(rq, conn, &err);
	}
	atomic_fetch_add(&rq->rest->rows_ingested, res.rows_loaded);
	errors = json_array();
	for (size_t i = 0; i < res.nerrors; i++)
		json_array_append_new(errors, json_pack("{s:I, s:i, s:s}",
												"line", (json_int_t) res.errors[i].line,
												"column", (int) res.errors[i].column,
												"message", ps_rest_utf8_safe(res.errors[i].message)));
	ps_log(PS_LOG_INFO, "ingest into %s: %llu rows inserted, %llu rejected, %llu bytes%s",
		   rq->table, (unsigned long long) res.rows_loaded, (unsigned long long) res.rows_rejected,
		   (unsigned long long) rq->body_bytes, created != NULL ? " (table created)" : "");
	data = json_pack("{s:I, s:I, s:I, s:o}",
					 "rows_inserted", (json_int_t) res.rows_loaded,
					 "rows_rejected", (json_int_t) res.rows_rejected,
					 "processing_time_ms", (json_int_t) ps_rest_elapsed_ms(rq->started_ns),
					 "errors", errors);
	if (created != NULL)
	{
		/* Its load defaults are the options this load named, kept by the commit. */
		ps_table_info info;
		bool		have_info = ps_store_table_info(rq->rest->store, rq->table, &info, NULL, NULL) == PS_OK;

		json_object_set_new(data, "schema", ps_rest_schema_json(created, have_info ? &info : NULL));
		ps_schema_free(created);
	}
	return ps_rest_respond_envelope(rq, conn, MHD_HTTP_OK, data, NULL);
}
