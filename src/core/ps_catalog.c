/*
 * ps_catalog.c — the in-memory catalog (tables, in-flight load sets) and the
 * catalog column family's records: table records, load markers, journal
 * keys.  Callers hold st->lock except in ps_catalog_load, which runs at open
 * before anyone else can reach the store.
 *
 * Table record (version 2): u8 version | u32 id | u8 dedup | u32 next load
 * sequence | u64 rows | i64 min time | i64 max time | i64 max block span
 * | schema (ps_schema.h).  Version 3, written only for a table with load
 * defaults (so a store without any still opens in older owners), adds after
 * the span: u32 length | time_format bytes | u32 length | timezone bytes.
 * Both versions are read.
 * Marker: u8 version | u8 flags (PS_MARKER_*) | u8 has_schema | schema.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ps_store_int.h"

#define TABLE_RECORD_VERSION 2
#define TABLE_RECORD_VERSION_DEFAULTS 3
#define MARKER_VERSION 2

ps_table   *
ps_table_find(ps_store *st, const char *name)
{
	for (size_t i = 0; i < st->ntables; i++)
		if (strcmp(st->tables[i]->name, name) == 0)
			return st->tables[i];
	return NULL;
}

ps_table   *
ps_table_find_visible(ps_store *st, const char *name, ps_error *err)
{
	ps_table   *t = ps_table_find(st, name);

	if (!t || !t->visible)
	{
		ps_error_set(err, PS_ENOTFOUND, "table \"%s\" does not exist", name);
		return NULL;
	}
	return t;
}

ps_table   *
ps_table_by_id(ps_store *st, uint32_t id)
{
	for (size_t i = 0; i < st->ntables; i++)
		if (st->tables[i]->id == id)
			return st->tables[i];
	return NULL;
}

void
ps_table_free(ps_table *t)
{
	if (!t)
		return;
	ps_schema_free(t->schema);
	free(t->inflight);
	free(t->dirty);
	ps_series_dict_clear(&t->dict);
	free(t);
}

ps_status
ps_tables_add(ps_store *st, ps_table *t, ps_error *err)
{
	if (st->ntables == st->tables_cap)
	{
		size_t		cap = st->tables_cap ? st->tables_cap * 2 : 16;
		ps_table  **n = realloc(st->tables, cap * sizeof(*n));

		if (!n)
			return ps_error_set(err, PS_ENOMEM, "out of memory");
		st->tables = n;
		st->tables_cap = cap;
	}
	st->tables[st->ntables++] = t;
	ps_table_meta_changed(st, t);
	return PS_OK;
}

void
ps_tables_remove(ps_store *st, ps_table *t)
{
	for (size_t i = 0; i < st->ntables; i++)
		if (st->tables[i] == t)
		{
			st->tables[i] = st->tables[--st->ntables];
			ps_table_free(t);
			return;
		}
}

ps_status
ps_inflight_add(ps_table *t, uint32_t seq, ps_error *err)
{
	if (t->ninflight == t->inflight_cap)
	{
		uint32_t	cap = t->inflight_cap ? t->inflight_cap * 2 : 4;
		uint32_t   *n = realloc(t->inflight, cap * sizeof(*n));

		if (!n)
			return ps_error_set(err, PS_ENOMEM, "out of memory");
		t->inflight = n;
		t->inflight_cap = cap;
	}
	t->inflight[t->ninflight++] = seq;
	return PS_OK;
}

void
ps_table_meta_changed(ps_store *st, ps_table *t)
{
	t->meta_version = ++st->meta_clock;
}

void
ps_inflight_remove(ps_table *t, uint32_t seq)
{
	for (uint32_t i = 0; i < t->ninflight; i++)
		if (t->inflight[i] == seq)
		{
			t->inflight[i] = t->inflight[--t->ninflight];
			return;
		}
}

/* ------------------------------------------------------------ records */

static ps_status
table_key(ps_buf *k, const char *name)
{
	ps_buf_reset(k);
	if (ps_buf_append_u8(k, 'T') != PS_OK || ps_buf_append(k, name, strlen(name)) != PS_OK)
		return PS_ENOMEM;
	return PS_OK;
}

/* u32 length | bytes. */
static ps_status
append_text(ps_buf *v, const char *s)
{
	size_t		n = strlen(s);

	if (ps_buf_append_u32be(v, (uint32_t) n))
		return PS_ENOMEM;
	return ps_buf_append(v, s, n);
}

/* What append_text wrote, into out[0..size) NUL-terminated; false if it does not fit or holds a NUL. */
static bool
read_text(ps_reader *r, char *out, size_t size)
{
	uint32_t	n;
	const uint8_t *p;

	if (ps_read_u32be(r, &n) || n >= size || ps_read_bytes(r, n, &p) || memchr(p, '\0', n))
		return false;
	memcpy(out, p, n);
	out[n] = '\0';
	return true;
}

ps_status
ps_catalog_put_table(ps_store *st, rocksdb_writebatch_t *wb, const ps_table *t,
					 const ps_schema *schema, uint64_t row_count, int64_t min_time,
					 int64_t max_time, int64_t max_span, uint32_t next_load_seq, ps_error *err)
{
	ps_buf		k = PS_BUF_INIT, v = PS_BUF_INIT;
	ps_status	rc = PS_OK;
	bool		defaults = t->time_format[0] != '\0' || t->timezone[0] != '\0';

	if (table_key(&k, t->name) ||
		ps_buf_append_u8(&v, defaults ? TABLE_RECORD_VERSION_DEFAULTS : TABLE_RECORD_VERSION) ||
		ps_buf_append_u32be(&v, t->id) ||
		ps_buf_append_u8(&v, t->dedup ? 1 : 0) ||
		ps_buf_append_u32be(&v, next_load_seq) ||
		ps_buf_append_u64be(&v, row_count) ||
		ps_buf_append_u64be(&v, (uint64_t) min_time) ||
		ps_buf_append_u64be(&v, (uint64_t) max_time) ||
		ps_buf_append_u64be(&v, (uint64_t) max_span) ||
		(defaults && (append_text(&v, t->time_format) || append_text(&v, t->timezone))) ||
		ps_schema_serialize(schema, &v))
		rc = ps_error_set(err, PS_ENOMEM, "out of memory");
	else
		rocksdb_writebatch_put_cf(wb, st->cf_catalog, (const char *) k.data, k.len,
								  (const char *) v.data, v.len);
	ps_buf_free(&k);
	ps_buf_free(&v);
	return rc;
}

void
ps_catalog_delete_table(ps_store *st, rocksdb_writebatch_t *wb, const ps_table *t)
{
	ps_buf		k = PS_BUF_INIT;
	uint8_t		lo[9], hi[9];

	if (table_key(&k, t->name) == PS_OK)
		rocksdb_writebatch_delete_cf(wb, st->cf_catalog, (const char *) k.data, k.len);
	ps_buf_free(&k);
	ps_series_dict_catalog_key(lo, t->id, 0);
	ps_series_dict_catalog_key(hi, t->id + 1, 0);
	rocksdb_writebatch_delete_range_cf(wb, st->cf_catalog, (const char *) lo, 5,
									   (const char *) hi, 5);
}

static ps_status
table_record_decode(const char *name, size_t namelen, const void *p, size_t n, ps_table **out,
					ps_error *err)
{
	ps_reader	r;
	uint8_t		version, dedup;
	uint64_t	count, mn, mx, span;
	ps_table   *t;

	if (namelen == 0 || namelen > PS_MAX_NAME)
		return ps_error_set(err, PS_ECORRUPT, "catalog holds a table with an invalid name");
	if (!(t = calloc(1, sizeof(*t))))
		return ps_error_set(err, PS_ENOMEM, "out of memory");
	memcpy(t->name, name, namelen);
	ps_reader_init(&r, p, n);
	if (ps_read_u8(&r, &version) ||
		(version != TABLE_RECORD_VERSION && version != TABLE_RECORD_VERSION_DEFAULTS) ||
		ps_read_u32be(&r, &t->id) || ps_read_u8(&r, &dedup) ||
		ps_read_u32be(&r, &t->next_load_seq) || ps_read_u64be(&r, &count) ||
		ps_read_u64be(&r, &mn) || ps_read_u64be(&r, &mx) || ps_read_u64be(&r, &span) ||
		(int64_t) span < 0 ||
		(version == TABLE_RECORD_VERSION_DEFAULTS &&
		 (!read_text(&r, t->time_format, sizeof t->time_format) ||
		  !read_text(&r, t->timezone, sizeof t->timezone))) ||
		ps_schema_deserialize(r.p, ps_reader_left(&r), &t->schema, err) != PS_OK)
	{
		ps_table_free(t);
		return ps_error_set(err, PS_ECORRUPT, "catalog record of table \"%.*s\" is corrupt",
							(int) namelen, name);
	}
	t->dedup = dedup != 0;
	t->row_count = count;
	t->min_time = (int64_t) mn;
	t->max_time = (int64_t) mx;
	t->max_span = (int64_t) span;
	t->visible = true;
	*out = t;
	return PS_OK;
}

void
ps_marker_key(uint8_t k[PS_MARKER_KEY_LEN], uint32_t table_id, uint32_t seq)
{
	k[0] = 'L';
	ps_put_u32be(k + 1, table_id);
	ps_put_u32be(k + 5, seq);
}

ps_status
ps_marker_encode(ps_buf *out, uint8_t flags, const ps_schema *schema)
{
	ps_buf_reset(out);
	if (ps_buf_append_u8(out, MARKER_VERSION) || ps_buf_append_u8(out, flags) ||
		ps_buf_append_u8(out, schema ? 1 : 0) || (schema && ps_schema_serialize(schema, out)))
		return PS_ENOMEM;
	return PS_OK;
}

void
ps_journal_key(uint8_t k[PS_JOURNAL_KEY_LEN], uint32_t table_id, uint32_t seq, uint32_t block_no)
{
	k[0] = 'J';
	ps_put_u32be(k + 1, table_id);
	ps_put_u32be(k + 5, seq);
	ps_put_u32be(k + 9, block_no);
}

/* ------------------------------------------------------------ loading at open */

static ps_status
load_dictionaries(ps_store *st, ps_error *err)
{
	rocksdb_iterator_t *it = rocksdb_create_iterator_cf(st->db, st->ro, st->cf_catalog);
	ps_status	rc = PS_OK;
	char	   *rerr = NULL;

	for (rocksdb_iter_seek(it, "S", 1); rc == PS_OK && rocksdb_iter_valid(it);
		 rocksdb_iter_next(it))
	{
		size_t		klen, vlen;
		const uint8_t *k = (const uint8_t *) rocksdb_iter_key(it, &klen);
		const char *v = rocksdb_iter_value(it, &vlen);
		ps_table   *t;

		if (klen < 1 || k[0] != 'S')
			break;
		if (klen != 9 || !(t = ps_table_by_id(st, ps_get_u32be(k + 1))))
			continue;			/* a dropped or never committed table's leftovers */
		if (ps_get_u32be(k + 5) != t->dict.n || vlen < 1 || (uint8_t) v[0] > 1)
			rc = ps_error_set(err, PS_ECORRUPT, "series dictionary of table \"%s\" is corrupt",
							  t->name);
		else
			rc = ps_series_dict_add(&t->dict, v + 1, vlen - 1, v[0] == 1, err);
	}
	rocksdb_iter_get_error(it, &rerr);
	if (rerr && rc == PS_OK)
		rc = ps_rocks_error(err, rerr, "cannot read the series dictionaries");
	else
		free(rerr);
	rocksdb_iter_destroy(it);
	return rc;
}

ps_status
ps_catalog_load(ps_store *st, ps_error *err)
{
	rocksdb_iterator_t *it;
	ps_status	rc = PS_OK;
	char	   *rerr = NULL;
	size_t		vlen;
	char	   *v;

	v = rocksdb_get_cf(st->db, st->ro, st->cf_catalog, "N", 1, &vlen, &rerr);
	if (rerr)
		return ps_rocks_error(err, rerr, "cannot read catalog");
	st->next_table_id = (v && vlen == 4) ? ps_get_u32be((uint8_t *) v) : 1;
	free(v);

	it = rocksdb_create_iterator_cf(st->db, st->ro, st->cf_catalog);
	for (rocksdb_iter_seek(it, "T", 1); rocksdb_iter_valid(it); rocksdb_iter_next(it))
	{
		size_t		klen;
		const char *k = rocksdb_iter_key(it, &klen);
		const char *val;
		ps_table   *t = NULL;

		if (klen < 1 || k[0] != 'T')
			break;
		val = rocksdb_iter_value(it, &vlen);
		if ((rc = table_record_decode(k + 1, klen - 1, val, vlen, &t, err)) != PS_OK)
			break;
		if ((rc = ps_tables_add(st, t, err)) != PS_OK)
		{
			ps_table_free(t);
			break;
		}
	}
	rocksdb_iter_get_error(it, &rerr);
	if (rerr && rc == PS_OK)
		rc = ps_rocks_error(err, rerr, "cannot read catalog");
	else
		free(rerr);
	rocksdb_iter_destroy(it);
	if (rc == PS_OK)
		rc = load_dictionaries(st, err);
	return rc;
}
