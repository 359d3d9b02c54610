/*
 * ps_frame_msg.c — the messages of the native protocol: their names, and
 * their payload encoders and decoders, one section per message (layouts in
 * ps_frame.h; SCAN_OPEN's filters are in ps_frame_filter.c, the ROWS
 * vectors in ps_frame_rows.c).  A new message gets its name in
 * ps_msg_name and, if its payload is more than a field or two, a section
 * here.
 *
 * Invariants: a decoder never reads outside its payload, never trusts a
 * count before checking it against the bytes left and a fixed cap, consumes
 * its whole payload, and returns PS_EPROTO (leaving no allocation behind
 * once the matching *_clear is called) on any malformed input.  Encoders
 * borrow everything.
 * This file is linked into the PostgreSQL extension: it uses only libc and
 * the client-side core (ps_error, ps_buf), and declares variables at the top
 * of blocks as PostgreSQL's compiler flags require.
 */
#include "ps_frame_int.h"
#include "ps_frame_rows.h"

#include <stdlib.h>
#include <string.h>

const char *
ps_msg_name(uint8_t code)
{
	switch ((ps_msg_code) code)
	{
		case PS_MSG_HELLO: return "HELLO";
		case PS_MSG_TABLES: return "TABLES";
		case PS_MSG_TABLE_INFO: return "TABLE_INFO";
		case PS_MSG_DELETE_RANGE: return "DELETE_RANGE";
		case PS_MSG_DROP_TABLE: return "DROP_TABLE";
		case PS_MSG_STATUS: return "STATUS";
		case PS_MSG_BACKUP: return "BACKUP";
		case PS_MSG_BACKUPS: return "BACKUPS";
		case PS_MSG_LOADS: return "LOADS";
		case PS_MSG_SCAN_OPEN: return "SCAN_OPEN";
		case PS_MSG_SCAN_FETCH: return "SCAN_FETCH";
		case PS_MSG_SCAN_CLOSE: return "SCAN_CLOSE";
		case PS_MSG_SCAN_START: return "SCAN_START";
		case PS_MSG_ESTIMATE: return "ESTIMATE";
		case PS_MSG_AGGREGATE: return "AGGREGATE";
		case PS_MSG_LOAD_BEGIN: return "LOAD_BEGIN";
		case PS_MSG_LOAD_ROWS: return "LOAD_ROWS";
		case PS_MSG_LOAD_CSV_BEGIN: return "LOAD_CSV_BEGIN";
		case PS_MSG_LOAD_CSV_DATA: return "LOAD_CSV_DATA";
		case PS_MSG_LOAD_FINISH: return "LOAD_FINISH";
		case PS_MSG_LOAD_COMMIT: return "LOAD_COMMIT";
		case PS_MSG_LOAD_ABORT: return "LOAD_ABORT";
		case PS_MSG_ERROR: return "ERROR";
		case PS_MSG_OK: return "OK";
		case PS_MSG_HELLO_OK: return "HELLO_OK";
		case PS_MSG_TABLE_LIST: return "TABLE_LIST";
		case PS_MSG_TABLE: return "TABLE";
		case PS_MSG_DELETED: return "DELETED";
		case PS_MSG_STATUS_OK: return "STATUS_OK";
		case PS_MSG_SCAN_OPENED: return "SCAN_OPENED";
		case PS_MSG_ROWS: return "ROWS";
		case PS_MSG_LOAD_OPENED: return "LOAD_OPENED";
		case PS_MSG_LOAD_RESULT: return "LOAD_RESULT";
		case PS_MSG_SCAN_STARTED: return "SCAN_STARTED";
		case PS_MSG_ESTIMATED: return "ESTIMATED";
		case PS_MSG_BACKUP_DONE: return "BACKUP_DONE";
		case PS_MSG_BACKUP_LIST: return "BACKUP_LIST";
		case PS_MSG_LOAD_LIST: return "LOAD_LIST";
		case PS_MSG_LOAD_PROGRESS: return "LOAD_PROGRESS";
	}
	return "unknown";
}

/* Zeroed array of n elements (never NULL for n == 0, so "decoded" is clear). */
void *
ps_frame_alloc_array(uint32_t n, size_t size)
{
	return calloc(n ? n : 1, size);
}

void
ps_frame_free_strings(char **v, uint32_t n)
{
	if (v == NULL)
		return;
	for (uint32_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static ps_status
get_type(ps_reader *r, ps_type *t)
{
	uint8_t		u;

	if (ps_read_u8(r, &u) != PS_OK || !ps_type_valid(u))
		return PS_EPROTO;
	*t = (ps_type) u;
	return PS_OK;
}

/* ---------------------------------------------------------------- SCAN_OPEN */

ps_status
ps_msg_scan_open_encode(ps_buf *b, const char *table, int64_t lo, int64_t hi,
						uint8_t flags, uint64_t offset, uint64_t limit,
						const char *const *columns, uint32_t ncolumns,
						const ps_filter_spec *filters, uint32_t nfilters)
{
	if (ps_frame_check_filters(filters, nfilters) != PS_OK)
		return PS_EINVAL;
	if (ps_frame_put_str(b, table) != PS_OK ||
		ps_frame_put_i64(b, lo) != PS_OK ||
		ps_frame_put_i64(b, hi) != PS_OK ||
		ps_buf_append_u8(b, flags) != PS_OK ||
		ps_buf_append_u64be(b, offset) != PS_OK ||
		ps_buf_append_u64be(b, limit) != PS_OK ||
		ps_buf_append_varint(b, ncolumns) != PS_OK)
		return PS_ENOMEM;
	for (uint32_t i = 0; i < ncolumns; i++)
		if (ps_frame_put_str(b, columns[i]) != PS_OK)
			return PS_ENOMEM;
	return ps_frame_put_filters(b, filters, nfilters);
}

/* The SCAN_OPEN fields, which SCAN_START begins with. */
static ps_status
scan_open_fields(ps_reader *r, ps_msg_scan_open *m)
{
	ps_status	st;

	memset(m, 0, sizeof *m);
	if ((st = ps_frame_get_strdup(r, &m->table)) != PS_OK)
		return st;
	if (ps_frame_get_i64(r, &m->lo) != PS_OK ||
		ps_frame_get_i64(r, &m->hi) != PS_OK ||
		ps_frame_get_u8(r, &m->flags) != PS_OK || (m->flags & ~PS_SCAN_FLAGS) != 0 ||
		ps_frame_get_u64(r, &m->offset) != PS_OK ||
		ps_frame_get_u64(r, &m->limit) != PS_OK ||
		ps_frame_get_count(r, MIN_STR, PS_MAX_COLUMNS, &m->ncolumns) != PS_OK)
		return PS_EPROTO;
	if ((m->columns = ps_frame_alloc_array(m->ncolumns, sizeof(char *))) == NULL)
		return PS_ENOMEM;
	for (uint32_t i = 0; i < m->ncolumns; i++)
		if ((st = ps_frame_get_strdup(r, &m->columns[i])) != PS_OK)
			return st;
	return ps_frame_get_filters(r, m);
}

ps_status
ps_msg_scan_open_decode(ps_reader *r, ps_msg_scan_open *m)
{
	ps_status	st;

	if ((st = scan_open_fields(r, m)) != PS_OK)
		return st;
	return ps_frame_get_end(r);
}

ps_status
ps_msg_scan_start_put_batch(ps_buf *b, uint32_t max_rows, uint32_t max_bytes)
{
	if (ps_buf_append_u32be(b, max_rows) != PS_OK)
		return PS_ENOMEM;
	return ps_buf_append_u32be(b, max_bytes);
}

ps_status
ps_frame_get_scan_start(ps_reader *r, ps_msg_scan_open *m)
{
	ps_status	st;

	if ((st = scan_open_fields(r, m)) != PS_OK)
		return st;
	if (ps_frame_get_u32(r, &m->max_rows) != PS_OK || ps_frame_get_u32(r, &m->max_bytes) != PS_OK)
		return PS_EPROTO;
	return PS_OK;
}

ps_status
ps_msg_scan_start_decode(ps_reader *r, ps_msg_scan_open *m)
{
	ps_status	st;

	if ((st = ps_frame_get_scan_start(r, m)) != PS_OK)
		return st;
	return ps_frame_get_end(r);
}

ps_status
ps_msg_estimate_decode(ps_reader *r, ps_msg_scan_open *m, uint64_t *max_blocks)
{
	ps_status	st;

	if ((st = scan_open_fields(r, m)) != PS_OK)
		return st;
	if (ps_frame_get_u64(r, max_blocks) != PS_OK)
		return PS_EPROTO;
	return ps_frame_get_end(r);
}

void
ps_msg_scan_open_clear(ps_msg_scan_open *m)
{
	free(m->table);
	ps_frame_free_strings(m->columns, m->ncolumns);
	if (m->filters != NULL)
		for (uint32_t f = 0; f < m->nfilters; f++)
		{
			free(m->filters[f].column);
			free(m->filters[f].kinds);
			free(m->filters[f].values);
			free(m->filters[f].strings);
		}
	free(m->filters);
	memset(m, 0, sizeof *m);
}

/* ---------------------------------------------------------------- LOAD_BEGIN */

ps_status
ps_msg_load_begin_encode(ps_buf *b, const char *table, const char *const *names,
						 const ps_type *types, uint32_t n, uint32_t time_index,
						 bool add_columns, const char *series_key, const char *source)
{
	if (ps_frame_put_str(b, table) != PS_OK || ps_buf_append_varint(b, n) != PS_OK)
		return PS_ENOMEM;
	for (uint32_t i = 0; i < n; i++)
		if (ps_frame_put_str(b, names[i]) != PS_OK ||
			ps_buf_append_u8(b, (uint8_t) types[i]) != PS_OK)
			return PS_ENOMEM;
	if (ps_buf_append_u32be(b, time_index) != PS_OK ||
		ps_buf_append_u8(b, add_columns ? 1 : 0) != PS_OK ||
		ps_buf_append_u8(b, series_key ? 1 : 0) != PS_OK ||
		(series_key && ps_frame_put_str(b, series_key) != PS_OK))
		return PS_ENOMEM;
	return ps_frame_put_str(b, source ? source : "");
}

ps_status
ps_msg_load_begin_decode(ps_reader *r, ps_msg_load_begin *m)
{
	bool		has_series_key;
	ps_status	st;

	memset(m, 0, sizeof *m);
	if ((st = ps_frame_get_strdup(r, &m->table)) != PS_OK)
		return st;
	if (ps_frame_get_count(r, MIN_STR + 1, PS_MAX_COLUMNS, &m->ncolumns) != PS_OK)
		return PS_EPROTO;
	if ((m->names = ps_frame_alloc_array(m->ncolumns, sizeof(char *))) == NULL ||
		(m->types = ps_frame_alloc_array(m->ncolumns, sizeof(ps_type))) == NULL)
		return PS_ENOMEM;
	for (uint32_t i = 0; i < m->ncolumns; i++)
	{
		if ((st = ps_frame_get_strdup(r, &m->names[i])) != PS_OK)
			return st;
		if (get_type(r, &m->types[i]) != PS_OK)
			return PS_EPROTO;
	}
	if (ps_frame_get_u32(r, &m->time_index) != PS_OK ||
		ps_frame_get_bool(r, &m->add_columns) != PS_OK ||
		ps_frame_get_bool(r, &has_series_key) != PS_OK)
		return PS_EPROTO;
	if (has_series_key && (st = ps_frame_get_strdup(r, &m->series_key)) != PS_OK)
		return st;
	if ((st = ps_frame_get_strdup(r, &m->source)) != PS_OK)
		return st;
	return ps_frame_get_end(r);
}

void
ps_msg_load_begin_clear(ps_msg_load_begin *m)
{
	free(m->table);
	ps_frame_free_strings(m->names, m->ncolumns);
	free(m->types);
	free(m->series_key);
	free(m->source);
	memset(m, 0, sizeof *m);
}

/* ---------------------------------------------------------------- LOAD_CSV_BEGIN */

ps_status
ps_msg_csv_begin_encode(ps_buf *b, const char *table, const char *const *keys,
						const char *const *values, uint32_t n, const char *source)
{
	if (ps_frame_put_str(b, table) != PS_OK || ps_buf_append_varint(b, n) != PS_OK)
		return PS_ENOMEM;
	for (uint32_t i = 0; i < n; i++)
		if (ps_frame_put_str(b, keys[i]) != PS_OK || ps_frame_put_str(b, values[i]) != PS_OK)
			return PS_ENOMEM;
	return ps_frame_put_str(b, source ? source : "");
}

ps_status
ps_msg_csv_begin_decode(ps_reader *r, ps_msg_csv_begin *m)
{
	ps_status	st;

	memset(m, 0, sizeof *m);
	if ((st = ps_frame_get_strdup(r, &m->table)) != PS_OK)
		return st;
	if (ps_frame_get_count(r, 2 * MIN_STR, PS_FRAME_MAX_OPTIONS, &m->noptions) != PS_OK)
		return PS_EPROTO;
	if ((m->keys = ps_frame_alloc_array(m->noptions, sizeof(char *))) == NULL ||
		(m->values = ps_frame_alloc_array(m->noptions, sizeof(char *))) == NULL)
		return PS_ENOMEM;
	for (uint32_t i = 0; i < m->noptions; i++)
		if ((st = ps_frame_get_strdup(r, &m->keys[i])) != PS_OK ||
			(st = ps_frame_get_strdup(r, &m->values[i])) != PS_OK)
			return st;
	if ((st = ps_frame_get_strdup(r, &m->source)) != PS_OK)
		return st;
	return ps_frame_get_end(r);
}

void
ps_msg_csv_begin_clear(ps_msg_csv_begin *m)
{
	free(m->table);
	ps_frame_free_strings(m->keys, m->noptions);
	ps_frame_free_strings(m->values, m->noptions);
	free(m->source);
	memset(m, 0, sizeof *m);
}

/* ---------------------------------------------------------------- LOAD_COMMIT */

ps_status
ps_msg_commit_encode(ps_buf *b, const uint32_t *handles, uint32_t n)
{
	if (ps_buf_append_varint(b, n) != PS_OK)
		return PS_ENOMEM;
	for (uint32_t i = 0; i < n; i++)
		if (ps_buf_append_u32be(b, handles[i]) != PS_OK)
			return PS_ENOMEM;
	return PS_OK;
}

ps_status
ps_msg_commit_decode(ps_reader *r, ps_msg_commit *m)
{
	memset(m, 0, sizeof *m);
	if (ps_frame_get_count(r, 4, PS_FRAME_MAX_HANDLES, &m->nhandles) != PS_OK)
		return PS_EPROTO;
	if ((m->handles = ps_frame_alloc_array(m->nhandles, sizeof(uint32_t))) == NULL)
		return PS_ENOMEM;
	for (uint32_t i = 0; i < m->nhandles; i++)
		if (ps_frame_get_u32(r, &m->handles[i]) != PS_OK)
			return PS_EPROTO;
	return ps_frame_get_end(r);
}

void
ps_msg_commit_clear(ps_msg_commit *m)
{
	free(m->handles);
	memset(m, 0, sizeof *m);
}

/* ---------------------------------------------------------------- SCAN_OPENED */

ps_status
ps_msg_scan_opened_encode(ps_buf *b, uint32_t handle, const ps_type *types, uint32_t n)
{
	if (ps_buf_append_u32be(b, handle) != PS_OK || ps_buf_append_varint(b, n) != PS_OK)
		return PS_ENOMEM;
	for (uint32_t i = 0; i < n; i++)
		if (ps_buf_append_u8(b, (uint8_t) types[i]) != PS_OK)
			return PS_ENOMEM;
	return PS_OK;
}

/* The SCAN_OPENED fields, which SCAN_STARTED begins with. */
static ps_status
scan_opened_fields(ps_reader *r, ps_msg_scan_opened *m)
{
	memset(m, 0, sizeof *m);
	if (ps_frame_get_u32(r, &m->handle) != PS_OK ||
		ps_frame_get_count(r, 1, PS_MAX_COLUMNS, &m->ntypes) != PS_OK)
		return PS_EPROTO;
	if ((m->types = ps_frame_alloc_array(m->ntypes, sizeof(ps_type))) == NULL)
		return PS_ENOMEM;
	for (uint32_t i = 0; i < m->ntypes; i++)
		if (get_type(r, &m->types[i]) != PS_OK)
			return PS_EPROTO;
	return PS_OK;
}

ps_status
ps_msg_scan_opened_decode(ps_reader *r, ps_msg_scan_opened *m)
{
	ps_status	st;

	if ((st = scan_opened_fields(r, m)) != PS_OK)
		return st;
	return ps_frame_get_end(r);
}

ps_status
ps_msg_scan_started_decode(ps_reader *r, ps_msg_scan_opened *m, ps_frame_rows *rows)
{
	ps_status	st;

	if ((st = scan_opened_fields(r, m)) != PS_OK)
		return st;
	return ps_frame_rows_decode(r, m->types, m->ntypes, rows);
}

void
ps_msg_scan_opened_clear(ps_msg_scan_opened *m)
{
	free(m->types);
	memset(m, 0, sizeof *m);
}

/* ---------------------------------------------------------------- LOAD_RESULT */

ps_status
ps_msg_load_result_encode(ps_buf *b, uint64_t loaded, uint64_t rejected,
						  const ps_error *errors, uint32_t nerrors)
{
	if (nerrors > PS_FRAME_MAX_ERRORS)
		nerrors = PS_FRAME_MAX_ERRORS;
	if (ps_buf_append_u64be(b, loaded) != PS_OK ||
		ps_buf_append_u64be(b, rejected) != PS_OK ||
		ps_buf_append_varint(b, nerrors) != PS_OK)
		return PS_ENOMEM;
	for (uint32_t i = 0; i < nerrors; i++)
		if (ps_frame_put_error(b, &errors[i]) != PS_OK)
			return PS_ENOMEM;
	return PS_OK;
}

ps_status
ps_msg_load_result_decode(ps_reader *r, ps_msg_load_result *m)
{
	memset(m, 0, sizeof *m);
	if (ps_frame_get_u64(r, &m->rows_loaded) != PS_OK ||
		ps_frame_get_u64(r, &m->rows_rejected) != PS_OK ||
		ps_frame_get_count(r, MIN_ERROR, PS_FRAME_MAX_ERRORS, &m->nerrors) != PS_OK)
		return PS_EPROTO;
	if ((m->errors = ps_frame_alloc_array(m->nerrors, sizeof(ps_error))) == NULL)
		return PS_ENOMEM;
	for (uint32_t i = 0; i < m->nerrors; i++)
		if (ps_frame_get_error(r, &m->errors[i]) != PS_OK)
			return PS_EPROTO;
	return ps_frame_get_end(r);
}

void
ps_msg_load_result_clear(ps_msg_load_result *m)
{
	free(m->errors);
	memset(m, 0, sizeof *m);
}

/* ---------------------------------------------------------------- TABLE_LIST, TABLE */

ps_status
ps_msg_table_list_put(ps_buf *b, const char *name, uint64_t rows, int64_t min_time,
					  int64_t max_time)
{
	if (ps_frame_put_str(b, name) != PS_OK ||
		ps_buf_append_u64be(b, rows) != PS_OK ||
		ps_frame_put_i64(b, min_time) != PS_OK)
		return PS_ENOMEM;
	return ps_frame_put_i64(b, max_time);
}

static ps_status
get_table(ps_reader *r, ps_msg_table *t)
{
	ps_status	st;

	if ((st = ps_frame_get_strdup(r, &t->name)) != PS_OK)
		return st;
	if (ps_frame_get_u64(r, &t->row_count) != PS_OK ||
		ps_frame_get_i64(r, &t->min_time) != PS_OK ||
		ps_frame_get_i64(r, &t->max_time) != PS_OK)
		return PS_EPROTO;
	return PS_OK;
}

ps_status
ps_msg_table_list_decode(ps_reader *r, ps_msg_table_list *m)
{
	ps_status	st;

	memset(m, 0, sizeof *m);
	if (ps_frame_get_count(r, MIN_STR + 24, UINT32_MAX, &m->ntables) != PS_OK)
		return PS_EPROTO;
	if ((m->tables = ps_frame_alloc_array(m->ntables, sizeof(ps_msg_table))) == NULL)
		return PS_ENOMEM;
	for (uint32_t i = 0; i < m->ntables; i++)
		if ((st = get_table(r, &m->tables[i])) != PS_OK)
			return st;
	return ps_frame_get_end(r);
}

void
ps_msg_table_list_clear(ps_msg_table_list *m)
{
	if (m->tables != NULL)
		for (uint32_t i = 0; i < m->ntables; i++)
			free(m->tables[i].name);
	free(m->tables);
	memset(m, 0, sizeof *m);
}

ps_status
ps_msg_table_info_put_header(ps_buf *b, const char *name, uint64_t rows, int64_t min_time,
							 int64_t max_time, uint64_t nseries, uint32_t ncolumns)
{
	if (ps_msg_table_list_put(b, name, rows, min_time, max_time) != PS_OK ||
		ps_buf_append_u64be(b, nseries) != PS_OK)
		return PS_ENOMEM;
	return ps_buf_append_varint(b, ncolumns);
}

ps_status
ps_msg_table_info_put_column(ps_buf *b, const char *name, ps_type type, bool is_time,
							 uint8_t series)
{
	if (ps_frame_put_str(b, name) != PS_OK || ps_buf_append_u8(b, (uint8_t) type) != PS_OK ||
		ps_buf_append_u8(b, is_time ? 1 : 0) != PS_OK)
		return PS_ENOMEM;
	return ps_buf_append_u8(b, series);
}

ps_status
ps_msg_table_info_decode(ps_reader *r, ps_msg_table_info *m)
{
	ps_status	st;

	memset(m, 0, sizeof *m);
	if ((st = get_table(r, &m->table)) != PS_OK)
		return st;
	if (ps_frame_get_u64(r, &m->nseries) != PS_OK ||
		ps_frame_get_count(r, MIN_STR + 3, PS_MAX_COLUMNS, &m->ncolumns) != PS_OK)
		return PS_EPROTO;
	if ((m->columns = ps_frame_alloc_array(m->ncolumns, sizeof(ps_msg_column))) == NULL)
		return PS_ENOMEM;
	for (uint32_t i = 0; i < m->ncolumns; i++)
	{
		ps_msg_column *c = &m->columns[i];

		if ((st = ps_frame_get_strdup(r, &c->name)) != PS_OK)
			return st;
		if (get_type(r, &c->type) != PS_OK || ps_frame_get_bool(r, &c->is_time) != PS_OK ||
			ps_frame_get_u8(r, &c->series) != PS_OK || c->series > PS_MAX_SERIES_COLUMNS)
			return PS_EPROTO;
	}
	return ps_frame_get_end(r);
}

void
ps_msg_table_info_clear(ps_msg_table_info *m)
{
	free(m->table.name);
	if (m->columns != NULL)
		for (uint32_t i = 0; i < m->ncolumns; i++)
			free(m->columns[i].name);
	free(m->columns);
	memset(m, 0, sizeof *m);
}

/* ---------------------------------------------------------------- STATUS_OK */

ps_status
ps_msg_status_encode(ps_buf *b, const ps_msg_status *m)
{
	if (ps_buf_append_u32be(b, m->pid) != PS_OK ||
		ps_frame_put_str(b, m->kind) != PS_OK ||
		ps_frame_put_str(b, m->rest_address) != PS_OK ||
		ps_frame_put_str(b, m->version) != PS_OK ||
		ps_buf_append_u64be(b, m->data_bytes) != PS_OK ||
		ps_buf_append_u32be(b, m->connections) != PS_OK ||
		ps_buf_append_u64be(b, m->open_scans) != PS_OK)
		return PS_ENOMEM;
	return ps_buf_append_u64be(b, m->open_loads);
}

ps_status
ps_msg_status_decode(ps_reader *r, ps_msg_status *m)
{
	if (ps_frame_get_u32(r, &m->pid) != PS_OK ||
		ps_frame_get_strbuf(r, m->kind, sizeof m->kind) != PS_OK ||
		ps_frame_get_strbuf(r, m->rest_address, sizeof m->rest_address) != PS_OK ||
		ps_frame_get_strbuf(r, m->version, sizeof m->version) != PS_OK ||
		ps_frame_get_u64(r, &m->data_bytes) != PS_OK ||
		ps_frame_get_u32(r, &m->connections) != PS_OK ||
		ps_frame_get_u64(r, &m->open_scans) != PS_OK ||
		ps_frame_get_u64(r, &m->open_loads) != PS_OK)
		return PS_EPROTO;
	return ps_frame_get_end(r);
}

/* ---------------------------------------------------------------- HELLO, HELLO_OK */

ps_status
ps_msg_hello_encode(ps_buf *b, uint32_t magic, uint16_t version, const char *token)
{
	if (token == NULL)
		token = "";
	if (strlen(token) > PS_PROTO_TOKEN_MAX)
		return PS_EINVAL;
	if (ps_buf_append_u32be(b, magic) != PS_OK || ps_frame_put_u16(b, version) != PS_OK)
		return PS_ENOMEM;
	return ps_frame_put_str(b, token);
}

ps_status
ps_msg_hello_decode(ps_reader *r, ps_msg_hello *m)
{
	m->magic = 0;
	m->version = 0;
	m->token[0] = '\0';
	if (ps_frame_get_u32(r, &m->magic) != PS_OK || ps_frame_get_u16(r, &m->version) != PS_OK ||
		ps_frame_get_strbuf(r, m->token, sizeof m->token) != PS_OK)
		return PS_EPROTO;
	return ps_frame_get_end(r);
}

ps_status
ps_msg_hello_ok_encode(ps_buf *b, const ps_msg_hello_ok *m)
{
	if (ps_frame_put_u16(b, m->version) != PS_OK || ps_buf_append_u32be(b, m->pid) != PS_OK)
		return PS_ENOMEM;
	return ps_frame_put_str(b, m->server_version);
}

ps_status
ps_msg_hello_ok_decode(ps_reader *r, ps_msg_hello_ok *m)
{
	if (ps_frame_get_u16(r, &m->version) != PS_OK ||
		ps_frame_get_u32(r, &m->pid) != PS_OK ||
		ps_frame_get_strbuf(r, m->server_version, sizeof m->server_version) != PS_OK)
		return PS_EPROTO;
	return ps_frame_get_end(r);
}
