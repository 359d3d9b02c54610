/*
 * fuzz_frame.c — libFuzzer target for the native protocol's frame reader
 * and payload decoders (ps_frame.h).
 *
 * The input is a byte stream as a peer would send it.  It is written into a
 * socket pair and read back frame by frame with ps_frame_recv (so the real
 * header checks and short-read handling run), and every frame's payload is
 * decoded as the message its code names.  Invariants, checked with abort():
 *  - a frame is delivered only with a valid header and exactly its payload;
 *  - a decoder either fails with PS_EPROTO (or PS_ENOMEM) or consumes the
 *    whole payload, and then re-encoding the decoded message reproduces the
 *    payload byte for byte (every field has one canonical encoding), except
 *    ROWS, whose re-encoding must decode to the same values;
 *  - *_clear after any outcome frees everything (LeakSanitizer checks).
 * ASan/UBSan catch out-of-bounds reads and overflow on the way.
 *
 * Build and run (or `make fuzz`):
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -Isrc test/fuzz/fuzz_frame.c \
 *     src/proto/ps_frame_io.c src/proto/ps_frame_prim.c src/proto/ps_frame_filter.c \
 *     src/proto/ps_frame_msg.c src/proto/ps_frame_rows.c src/core/ps_buf.c src/core/ps_error.c src/core/ps_types.c \
 *     -o /tmp/fuzz_frame
 *   /tmp/fuzz_frame -max_total_time=30 test/fuzz/corpus/frame
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "proto/ps_frame.h"
#include "proto/ps_frame_rows.h"

/* Keep the whole input inside the socket buffer, so one thread suffices. */
#define STREAM_MAX 65536

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check(int ok, const char *what)
{
	if (!ok)
	{
		fprintf(stderr, "fuzz_frame: invariant broken: %s\n", what);
		abort();
	}
}

static void
check_failure(ps_status st)
{
	check(st == PS_EPROTO || st == PS_ENOMEM, "decoders fail with PS_EPROTO or PS_ENOMEM");
}

/* The re-encoding in b must equal the payload [p, p + n). */
static void
check_same(const ps_buf *b, const uint8_t *p, size_t n, const char *what)
{
	if (b->len != n || (n > 0 && memcmp(b->data, p, n) != 0))
	{
		fprintf(stderr, "fuzz_frame: %s does not re-encode to its payload\n", what);
		abort();
	}
}

/* Decode a payload made of one string (TABLE_INFO, DROP_TABLE). */
static void
fuzz_name(ps_reader *r, const uint8_t *p, size_t n, ps_buf *b)
{
	char	   *name = NULL;

	if (ps_frame_get_strdup(r, &name) == PS_OK && ps_frame_get_end(r) == PS_OK)
	{
		check(ps_frame_put_str(b, name) == PS_OK, "encode");
		check_same(b, p, n, "string payload");
	}
	free(name);
}

/* u32 handle payloads, optionally followed by a u32 (SCAN_FETCH). */
static void
fuzz_handle(ps_reader *r, const uint8_t *p, size_t n, ps_buf *b, bool with_count)
{
	uint32_t	h, m = 0;

	if (ps_frame_get_u32(r, &h) != PS_OK || (with_count && ps_frame_get_u32(r, &m) != PS_OK) ||
		ps_frame_get_end(r) != PS_OK)
		return;
	check(ps_buf_append_u32be(b, h) == PS_OK, "encode");
	if (with_count)
		check(ps_buf_append_u32be(b, m) == PS_OK, "encode");
	check_same(b, p, n, "handle payload");
}

/*
 * SCAN_OPEN, or SCAN_START: the same fields, then the first batch's caps,
 * or AGGREGATE: those of SCAN_START, then its own.  Decoded filters are
 * re-encoded with their values' own kinds, which may differ within a
 * filter (the owner refuses those, not the decoder).
 */
static void
fuzz_scan_open(ps_reader *r, const uint8_t *p, size_t n, ps_buf *b, uint8_t code)
{
	ps_msg_scan_open m;
	ps_msg_aggregate am;
	ps_filter_spec filters[PS_FRAME_MAX_FILTERS];
	uint32_t	nvalues = 0;
	bool		start = code != PS_MSG_SCAN_OPEN;
	ps_status	st = code == PS_MSG_AGGREGATE ? ps_msg_aggregate_decode(r, &m, &am)
		: start ? ps_msg_scan_start_decode(r, &m) : ps_msg_scan_open_decode(r, &m);

	if (st == PS_OK)
	{
		check(m.nfilters <= PS_FRAME_MAX_FILTERS, "filter count capped");
		for (uint32_t f = 0; f < m.nfilters; f++)
		{
			filters[f].column = m.filters[f].column;
			filters[f].type = PS_TYPE_STRING;	/* not read: kinds are given */
			filters[f].values = m.filters[f].values;
			filters[f].nvalues = m.filters[f].nvalues;
			filters[f].kinds = m.filters[f].kinds;
			nvalues += m.filters[f].nvalues;
			for (uint32_t i = 0; i < m.filters[f].nvalues; i++)
				check(m.filters[f].kinds[i] <= PS_FILTER_BOOLEAN &&
					  (m.filters[f].kinds[i] == PS_FILTER_NULL) == m.filters[f].values[i].is_null,
					  "filter values decoded with their kind");
		}
		check(nvalues <= PS_FRAME_MAX_FILTER_VALUES, "filter values capped");
		check(ps_msg_scan_open_encode(b, m.table, m.lo, m.hi, m.flags, m.offset, m.limit,
									  (const char *const *) m.columns, m.ncolumns,
									  filters, m.nfilters) == PS_OK,
			  "encode");
		if (start)
			check(ps_msg_scan_start_put_batch(b, m.max_rows, m.max_bytes) == PS_OK, "encode");
		if (code == PS_MSG_AGGREGATE)
		{
			check(am.nitems >= 1 && am.nitems <= PS_FRAME_MAX_AGG_ITEMS &&
				  am.ngroup <= PS_FRAME_MAX_AGG_GROUPS && am.nsort <= PS_FRAME_MAX_AGG_SORT,
				  "aggregate counts capped");
			check(ps_msg_aggregate_put(b, am.bucket_width, am.bucket_origin,
									   (const char *const *) am.group_by, am.ngroup, am.fns,
									   (const char *const *) am.columns,
									   (const char *const *) am.columns2, am.nitems,
									   am.sort_columns, am.sort_flags, am.nsort, am.offset,
									   am.limit) == PS_OK,
				  "encode");
		}
		check_same(b, p, n, ps_msg_name(code));
	}
	else
		check_failure(st);
	ps_msg_scan_open_clear(&m);
	if (code == PS_MSG_AGGREGATE)
		ps_msg_aggregate_clear(&am);
}

/*
 * The vectors of decoded rows as a store batch, for the encoder: numbers
 * copied out of the frame (LE) into native arrays held in *hold.
 */
static void
rows_as_batch(const ps_frame_rows *rows, const ps_type *types, ps_scan_batch *batch,
			  ps_scan_vector *vecs, uint32_t *cols, void **hold)
{
	uint32_t	n = rows->count;
	int64_t    *times = calloc(n + 1, sizeof(int64_t));

	check(times != NULL, "memory");
	hold[0] = times;
	for (uint32_t r = 0; rows->times && r < n; r++)
		times[r] = ps_frame_le_i64(rows->times, r);
	for (uint32_t c = 0; c < rows->ncolumns; c++)
	{
		const ps_frame_column *fc = &rows->columns[c];
		ps_scan_vector *v = &vecs[c];

		memset(v, 0, sizeof(*v));
		v->type = types[c];
		v->wanted = true;
		v->nulls = fc->nulls;
		hold[c + 1] = NULL;
		cols[c] = c;
		if (types[c] == PS_TYPE_STRING)
		{
			v->str_off = fc->str_off;
			v->str_data = fc->str_data;
		}
		else if (types[c] == PS_TYPE_BOOLEAN)
			v->b = fc->values;
		else
		{
			int64_t    *a = calloc(n + 1, sizeof(int64_t));

			check(a != NULL, "memory");
			for (uint32_t r = 0; r < n; r++)
				a[r] = ps_frame_le_i64(fc->values, r);
			hold[c + 1] = a;
			if (types[c] == PS_TYPE_FLOAT)
				v->f = (const double *) (void *) a;
			else
				v->i = a;
		}
	}
	batch->rows = n;
	batch->times = times;
	batch->ncolumns = rows->ncolumns;
	batch->columns = vecs;
}

/* Decoded rows a and b hold the same values. */
static void
check_same_rows(const ps_frame_rows *a, const ps_frame_rows *b, const ps_type *types)
{
	check(a->count == b->count && a->done == b->done && a->ncolumns == b->ncolumns &&
		  (a->times == NULL) == (b->times == NULL), "ROWS round trip: header");
	for (uint32_t r = 0; r < a->count; r++)
	{
		check(!a->times || ps_frame_le_i64(a->times, r) == ps_frame_le_i64(b->times, r),
			  "ROWS round trip: times");
		for (uint32_t c = 0; c < a->ncolumns; c++)
		{
			ps_value	x, y;

			ps_frame_rows_value(a, c, types[c], r, &x);
			ps_frame_rows_value(b, c, types[c], r, &y);
			check(x.is_null == y.is_null, "ROWS round trip: nulls");
			if (x.is_null)
				continue;
			if (types[c] == PS_TYPE_STRING)
				check(x.v.s.len == y.v.s.len && memcmp(x.v.s.ptr, y.v.s.ptr, x.v.s.len) == 0,
					  "ROWS round trip: strings");
			else if (types[c] == PS_TYPE_BOOLEAN)
				check(x.v.b == y.v.b, "ROWS round trip: booleans");
			else
				check(x.v.i == y.v.i || memcmp(&x.v.f, &y.v.f, 8) == 0, "ROWS round trip: numbers");
		}
	}
}

#define FUZZ_ROWS_MAX_COLUMNS 6

/*
 * ROWS: a batch is decoded for the types of its scan, so the payload starts
 * with them here: one byte for their count (mod FUZZ_ROWS_MAX_COLUMNS + 1),
 * one byte per type, then the ROWS fields.  Decoded rows must re-encode to
 * rows that decode to the same values (the bytes of NULL rows and stray
 * bitmap bits are not kept, so the bytes may differ).
 */
static void
fuzz_rows_typed(ps_reader *r, const ps_type *types, uint32_t ntypes)
{
	ps_frame_rows rows = {0}, again = {0};
	ps_status	st = ps_frame_rows_decode(r, types, ntypes, &rows);

	if (st == PS_OK)
	{
		ps_scan_batch batch;
		ps_scan_vector vecs[FUZZ_ROWS_MAX_COLUMNS];
		uint32_t	cols[FUZZ_ROWS_MAX_COLUMNS];
		void	   *hold[FUZZ_ROWS_MAX_COLUMNS + 1];
		ps_buf		b = PS_BUF_INIT;
		ps_reader	rr;

		rows_as_batch(&rows, types, &batch, vecs, cols, hold);
		check(ps_frame_rows_encode(&b, &batch, cols, ntypes, rows.times != NULL, rows.done) == PS_OK,
			  "encode");
		ps_reader_init(&rr, b.data, b.len);
		check(ps_frame_rows_decode(&rr, types, ntypes, &again) == PS_OK, "re-encoded ROWS decode");
		check_same_rows(&rows, &again, types);
		for (uint32_t c = 0; c <= ntypes; c++)
			free(hold[c]);
		ps_buf_free(&b);
	}
	else
		check_failure(st);
	ps_frame_rows_free(&rows);
	ps_frame_rows_free(&again);
}

static void
fuzz_rows(ps_reader *r)
{
	uint8_t		spec;
	ps_type		types[FUZZ_ROWS_MAX_COLUMNS];
	uint32_t	ntypes;

	if (ps_frame_get_u8(r, &spec) != PS_OK)
		return;
	ntypes = spec % (FUZZ_ROWS_MAX_COLUMNS + 1);
	for (uint32_t c = 0; c < ntypes; c++)
	{
		uint8_t		t;

		if (ps_frame_get_u8(r, &t) != PS_OK)
			return;
		types[c] = (ps_type) (t % 5 + 1);
	}
	fuzz_rows_typed(r, types, ntypes);
}

/* SCAN_STARTED: the SCAN_OPENED fields, then those of ROWS for their types. */
static void
fuzz_scan_started(ps_reader *r)
{
	ps_msg_scan_opened m;
	ps_frame_rows rows = {0};
	ps_status	st = ps_msg_scan_started_decode(r, &m, &rows);

	if (st != PS_OK)
		check_failure(st);
	ps_frame_rows_free(&rows);
	ps_msg_scan_opened_clear(&m);
}

/* LOAD_ROWS: a handle, then rows to the end, as the owner reads them. */
static void
fuzz_load_rows(ps_reader *r, const uint8_t *p, size_t n, ps_buf *b)
{
	uint32_t	h;
	int64_t		t;
	const uint8_t *v;
	size_t		len;

	if (ps_frame_get_u32(r, &h) != PS_OK)
		return;
	check(ps_buf_append_u32be(b, h) == PS_OK, "encode");
	while (ps_reader_left(r) > 0)
	{
		if (ps_frame_get_row(r, &t, &v, &len) != PS_OK)
			return;
		check(ps_frame_put_row(b, t, v, len) == PS_OK, "encode");
	}
	check_same(b, p, n, "LOAD_ROWS");
}

static void
fuzz_payload(uint8_t code, const uint8_t *p, size_t n)
{
	ps_reader	r;
	ps_buf		b = PS_BUF_INIT;
	ps_status	st = PS_OK;

	ps_reader_init(&r, p, n);
	switch ((ps_msg_code) code)
	{
		case PS_MSG_HELLO:
			{
				ps_msg_hello m;

				if ((st = ps_msg_hello_decode(&r, &m)) == PS_OK)
				{
					check(ps_msg_hello_encode(&b, m.magic, m.version, m.token) == PS_OK, "encode");
					check_same(&b, p, n, "HELLO");
				}
			}
			break;
		case PS_MSG_HELLO_OK:
			{
				ps_msg_hello_ok m;

				if ((st = ps_msg_hello_ok_decode(&r, &m)) == PS_OK)
				{
					check(ps_msg_hello_ok_encode(&b, &m) == PS_OK, "encode");
					check_same(&b, p, n, "HELLO_OK");
				}
			}
			break;
		case PS_MSG_ERROR:
			{
				ps_error	e;

				if ((st = ps_frame_get_error(&r, &e)) == PS_OK && ps_frame_get_end(&r) == PS_OK)
				{
					check(ps_frame_put_error(&b, &e) == PS_OK, "encode");
					check_same(&b, p, n, "ERROR");
				}
			}
			break;
		case PS_MSG_TABLE_INFO:
		case PS_MSG_DROP_TABLE:
			fuzz_name(&r, p, n, &b);
			break;
		case PS_MSG_DELETE_RANGE:
			{
				char	   *name = NULL;
				int64_t		lo, hi;

				if (ps_frame_get_strdup(&r, &name) == PS_OK && ps_frame_get_i64(&r, &lo) == PS_OK &&
					ps_frame_get_i64(&r, &hi) == PS_OK && ps_frame_get_end(&r) == PS_OK)
				{
					check(ps_frame_put_str(&b, name) == PS_OK && ps_frame_put_i64(&b, lo) == PS_OK &&
						  ps_frame_put_i64(&b, hi) == PS_OK, "encode");
					check_same(&b, p, n, "DELETE_RANGE");
				}
				free(name);
			}
			break;
		case PS_MSG_DELETED:
		case PS_MSG_ESTIMATED:
			{
				uint64_t	v;

				if (ps_frame_get_u64(&r, &v) == PS_OK && ps_frame_get_end(&r) == PS_OK)
				{
					check(ps_buf_append_u64be(&b, v) == PS_OK, "encode");
					check_same(&b, p, n, ps_msg_name(code));
				}
			}
			break;
		case PS_MSG_SCAN_OPEN:
		case PS_MSG_SCAN_START:
		case PS_MSG_AGGREGATE:
			fuzz_scan_open(&r, p, n, &b, code);
			break;
		case PS_MSG_ESTIMATE:
			{
				ps_msg_scan_open m;
				uint64_t	max_blocks;

				if ((st = ps_msg_estimate_decode(&r, &m, &max_blocks)) != PS_OK)
					check_failure(st);
				ps_msg_scan_open_clear(&m);
			}
			break;
		case PS_MSG_SCAN_FETCH:
			fuzz_handle(&r, p, n, &b, true);
			break;
		case PS_MSG_SCAN_CLOSE:
		case PS_MSG_LOAD_FINISH:
		case PS_MSG_LOAD_ABORT:
		case PS_MSG_LOAD_OPENED:
			fuzz_handle(&r, p, n, &b, false);
			break;
		case PS_MSG_LOAD_BEGIN:
			{
				ps_msg_load_begin m;

				if ((st = ps_msg_load_begin_decode(&r, &m)) == PS_OK)
				{
					check(ps_msg_load_begin_encode(&b, m.table, (const char *const *) m.names, m.types,
												   m.ncolumns, m.time_index, m.add_columns,
												   m.series_key, m.source) == PS_OK,
						  "encode");
					check_same(&b, p, n, "LOAD_BEGIN");
				}
				ps_msg_load_begin_clear(&m);
			}
			break;
		case PS_MSG_LOAD_ROWS:
			fuzz_load_rows(&r, p, n, &b);
			break;
		case PS_MSG_LOAD_CSV_BEGIN:
			{
				ps_msg_csv_begin m;

				if ((st = ps_msg_csv_begin_decode(&r, &m)) == PS_OK)
				{
					check(ps_msg_csv_begin_encode(&b, m.table, (const char *const *) m.keys,
												  (const char *const *) m.values, m.noptions,
												  m.source) == PS_OK,
						  "encode");
					check_same(&b, p, n, "LOAD_CSV_BEGIN");
				}
				ps_msg_csv_begin_clear(&m);
			}
			break;
		case PS_MSG_LOAD_COMMIT:
			{
				ps_msg_commit m;

				if ((st = ps_msg_commit_decode(&r, &m)) == PS_OK)
				{
					check(ps_msg_commit_encode(&b, m.handles, m.nhandles) == PS_OK, "encode");
					check_same(&b, p, n, "LOAD_COMMIT");
				}
				ps_msg_commit_clear(&m);
			}
			break;
		case PS_MSG_SCAN_OPENED:
			{
				ps_msg_scan_opened m;

				if ((st = ps_msg_scan_opened_decode(&r, &m)) == PS_OK)
				{
					check(ps_msg_scan_opened_encode(&b, m.handle, m.types, m.ntypes) == PS_OK, "encode");
					check_same(&b, p, n, "SCAN_OPENED");
				}
				ps_msg_scan_opened_clear(&m);
			}
			break;
		case PS_MSG_ROWS:
			fuzz_rows(&r);
			break;
		case PS_MSG_SCAN_STARTED:
			fuzz_scan_started(&r);
			break;
		case PS_MSG_LOAD_RESULT:
			{
				ps_msg_load_result m;

				if ((st = ps_msg_load_result_decode(&r, &m)) == PS_OK)
				{
					check(ps_msg_load_result_encode(&b, m.rows_loaded, m.rows_rejected, m.errors,
													m.nerrors) == PS_OK, "encode");
					check_same(&b, p, n, "LOAD_RESULT");
				}
				ps_msg_load_result_clear(&m);
			}
			break;
		case PS_MSG_TABLE_LIST:
			{
				ps_msg_table_list m;

				if ((st = ps_msg_table_list_decode(&r, &m)) == PS_OK)
				{
					check(ps_buf_append_varint(&b, m.ntables) == PS_OK, "encode");
					for (uint32_t i = 0; i < m.ntables; i++)
						check(ps_msg_table_list_put(&b, m.tables[i].name, m.tables[i].row_count,
													m.tables[i].min_time, m.tables[i].max_time) == PS_OK,
							  "encode");
					check_same(&b, p, n, "TABLE_LIST");
				}
				ps_msg_table_list_clear(&m);
			}
			break;
		case PS_MSG_TABLE:
			{
				ps_msg_table_info m;

				if ((st = ps_msg_table_info_decode(&r, &m)) == PS_OK)
				{
					check(ps_msg_table_info_put_header(&b, m.table.name, m.table.row_count,
													   m.table.min_time, m.table.max_time,
													   m.nseries, m.ncolumns) == PS_OK, "encode");
					for (uint32_t i = 0; i < m.ncolumns; i++)
						check(ps_msg_table_info_put_column(&b, m.columns[i].name, m.columns[i].type,
														   m.columns[i].is_time,
														   m.columns[i].series) == PS_OK, "encode");
					check_same(&b, p, n, "TABLE");
				}
				ps_msg_table_info_clear(&m);
			}
			break;
		case PS_MSG_STATUS_OK:
			{
				ps_msg_status m;

				if ((st = ps_msg_status_decode(&r, &m)) == PS_OK)
				{
					check(ps_msg_status_encode(&b, &m) == PS_OK, "encode");
					check_same(&b, p, n, "STATUS_OK");
				}
			}
			break;
		case PS_MSG_BACKUP_DONE:
			{
				ps_msg_backup m;

				if ((st = ps_msg_backup_decode(&r, &m)) == PS_OK)
				{
					check(ps_msg_backup_put(&b, m.name, m.path, m.bytes, m.created_ns,
											m.elapsed_us) == PS_OK, "encode");
					check_same(&b, p, n, "BACKUP_DONE");
				}
				ps_msg_backup_clear(&m);
			}
			break;
		case PS_MSG_BACKUP_LIST:
			{
				ps_msg_backup_list m;

				if ((st = ps_msg_backup_list_decode(&r, &m)) == PS_OK)
				{
					check(ps_buf_append_varint(&b, m.n) == PS_OK, "encode");
					for (uint32_t i = 0; i < m.n; i++)
						check(ps_msg_backup_put(&b, m.backups[i].name, m.backups[i].path,
												m.backups[i].bytes, m.backups[i].created_ns,
												m.backups[i].elapsed_us) == PS_OK, "encode");
					check_same(&b, p, n, "BACKUP_LIST");
				}
				ps_msg_backup_list_clear(&m);
			}
			break;
		case PS_MSG_LOAD_LIST:
			{
				ps_msg_load_list m;

				if ((st = ps_msg_load_list_decode(&r, &m)) == PS_OK)
				{
					check(ps_buf_append_varint(&b, m.n) == PS_OK, "encode");
					for (uint32_t i = 0; i < m.n; i++)
						check(ps_msg_load_entry_put(&b, m.loads[i].id, m.loads[i].table,
													m.loads[i].source, m.loads[i].rows,
													m.loads[i].bytes,
													m.loads[i].started_ns,
													m.loads[i].rows_per_second) == PS_OK,
						  "encode");
					check_same(&b, p, n, "LOAD_LIST");
				}
				ps_msg_load_list_clear(&m);
			}
			break;
		case PS_MSG_LOAD_PROGRESS:
			{
				uint64_t	rows, bytes;

				if ((st = ps_msg_load_progress_decode(&r, &rows, &bytes)) == PS_OK)
				{
					check(ps_msg_load_progress_encode(&b, rows, bytes) == PS_OK, "encode");
					check_same(&b, p, n, "LOAD_PROGRESS");
				}
			}
			break;
		case PS_MSG_TABLES:
		case PS_MSG_STATUS:
		case PS_MSG_BACKUP:
		case PS_MSG_BACKUPS:
		case PS_MSG_LOADS:
		case PS_MSG_OK:
		case PS_MSG_LOAD_CSV_DATA:
			/* Empty payloads, or raw bytes the CSV parser (fuzzed on its own) reads. */
			break;
	}
	if (st != PS_OK)
		check_failure(st);
	ps_buf_free(&b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int			sv[2];
	ps_buf		in = PS_BUF_INIT;
	ps_reader	payload;
	uint8_t		code;
	ps_status	st;

	if (size > STREAM_MAX)
		size = STREAM_MAX;
	/* The default socket buffer is smaller than STREAM_MAX: raise it. */
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0)
		abort();
	setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &(int) {4 * STREAM_MAX}, sizeof(int));
	setsockopt(sv[1], SOL_SOCKET, SO_RCVBUF, &(int) {4 * STREAM_MAX}, sizeof(int));
	check(size == 0 || send(sv[0], data, size, MSG_NOSIGNAL) == (ssize_t) size, "stream fits the socket");
	shutdown(sv[0], SHUT_WR);
	while ((st = ps_frame_recv(PS_TRANSPORT_FD(sv[1]), &in, &code, &payload, NULL, NULL)) == PS_OK)
	{
		check(ps_reader_left(&payload) < PS_FRAME_MAX, "payload within the frame limit");
		check(payload.p == in.data && ps_reader_left(&payload) == in.len, "payload is the whole frame");
		fuzz_payload(code, payload.p, ps_reader_left(&payload));
	}
	check(st == PS_ECONN || st == PS_EPROTO || st == PS_ENOMEM, "frame read ends cleanly");
	ps_buf_free(&in);
	close(sv[0]);
	close(sv[1]);
	return 0;
}
