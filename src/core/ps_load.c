/*
 * ps_load.c — loads: transactions that append rows to a table as blocks.
 *
 * A load keeps one open block builder per series it has seen (at most one:
 * a row of another day, or a full builder, seals the open block first).  A
 * sealed block goes into the load's WriteBatch as three puts: the block
 * (data), its metadata (meta) and a journal entry naming its key (catalog,
 * "J" + table + seq + block number), plus, for dedup tables, one dedup entry
 * per row (ps_dedup.c).  The batch is written once it holds
 * LOAD_BATCH_BYTES or the store's batch_size rows.  The load's marker
 * ("L"), written at begin, and the journal let abort and crash recovery
 * remove exactly the load's blocks (ps_rollback.c); scans skip blocks whose
 * load sequence is in flight, so nothing shows before commit
 * (ps_commit.c).
 *
 * Memory: builders hold at most PS_BLOCK_ROWS rows each; when all of them
 * together pass LOAD_OPEN_BYTES_MAX, every open block is sealed (short
 * blocks are legal; the background merge joins them) and the builders
 * freed, so a load of many series stays bounded.  Dedup loads keep the
 * hashes of rows not yet in RocksDB in a set, cleared the same way.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ps_load_int.h"
#include "ps_row.h"
#include "ps_series.h"

#define LOAD_BATCH_BYTES ((size_t) 4 << 20)
#define LOAD_OPEN_BYTES_MAX ((size_t) 96 << 20)
#define DEDUP_PENDING_MAX ((size_t) 1 << 20)


ps_status
ps_block_layout(const ps_schema *s, uint32_t **cols, ps_type **types, uint32_t *n, ps_error *err)
{
	uint32_t	k = 0;

	*cols = malloc((s->ncolumns + 1) * sizeof(uint32_t));
	*types = malloc((s->ncolumns + 1) * sizeof(ps_type));
	if (!*cols || !*types)
	{
		free(*cols);
		free(*types);
		*cols = NULL;
		*types = NULL;
		return ps_error_set(err, PS_ENOMEM, "out of memory");
	}
	for (uint32_t c = 0; c < s->ncolumns; c++)
		if (c != s->time_index && !ps_schema_is_series(s, c))
		{
			(*cols)[k] = c;
			(*types)[k++] = s->columns[c].type;
		}
	*n = k;
	return PS_OK;
}

void
ps_load_free(ps_load *ld)
{
	if (!ld)
		return;
	for (uint32_t i = 0; i < ld->nseries; i++)
	{
		ps_block_builder_free(ld->series[i].b);
		free(ld->series[i].hashes);
	}
	free(ld->series);
	free(ld->parts);
	ps_series_dict_clear(&ld->local);
	ps_buf_free(&ld->tuple);
	ps_schema_free(ld->schema);
	free(ld->input_map);
	free(ld->block_cols);
	free(ld->block_types);
	free(ld->block_vals);
	free(ld->value_cols);
	free(ld->value_types);
	free(ld->value_vals);
	ps_buf_free(&ld->enc);
	free(ld->pending);
	ps_buf_free(&ld->block_bytes);
	ps_buf_free(&ld->meta_bytes);
	if (ld->wb)
		rocksdb_writebatch_destroy(ld->wb);
	free(ld);
}

/*
 * Work out the schema the load writes and the input->schema column map.
 * Called under st->lock.  Sets ld->schema, ld->input_map, ld->changes_schema.
 */
static ps_status
plan_load_schema(ps_load *ld, const ps_table *t, const ps_load_spec *spec, ps_error *err)
{
	const ps_schema *in = spec->input;
	const char *time_name = in->columns[in->time_index].name;

	ld->input_map = malloc(in->ncolumns * sizeof(uint32_t));
	if (!ld->input_map)
		return ps_error_set(err, PS_ENOMEM, "out of memory");
	if (!t)
	{
		if (!(ld->schema = ps_schema_copy(in)))
			return ps_error_set(err, PS_ENOMEM, "out of memory");
		for (uint32_t i = 0; i < in->ncolumns; i++)
			ld->input_map[i] = i;
		if (!spec->series_key)
			ps_series_key_infer(ld->schema);
		else
			return ps_series_key_set(ld->schema, spec->series_key, err);
		return PS_OK;
	}

	if (!(ld->schema = ps_schema_copy(t->schema)))
		return ps_error_set(err, PS_ENOMEM, "out of memory");
	if (strcmp(time_name, t->schema->columns[t->schema->time_index].name) != 0 &&
		ps_schema_find(in, t->schema->columns[t->schema->time_index].name) < 0)
		return ps_error_set(err, PS_ESCHEMA, "input lacks the time column \"%s\" of table \"%s\"",
							t->schema->columns[t->schema->time_index].name, t->name);
	for (uint32_t i = 0; i < in->ncolumns; i++)
	{
		const ps_column *c = &in->columns[i];
		int			idx = ps_schema_find(ld->schema, c->name);
		ps_status	rc;

		if (idx < 0)
		{
			if (!spec->add_columns)
				return ps_error_set(err, PS_ESCHEMA,
									"column \"%s\" does not exist in table \"%s\" (set add_columns=true to add it)",
									c->name, t->name);
			if ((rc = ps_schema_add_column(ld->schema, c->name, c->type, err)) != PS_OK)
				return rc;
			idx = (int) ld->schema->ncolumns - 1;
			ld->changes_schema = true;
		}
		else if (ld->schema->columns[idx].type != c->type)
			return ps_error_set(err, PS_ESCHEMA,
								"column \"%s\" of table \"%s\" has type %s, not %s",
								c->name, t->name, ps_type_name(ld->schema->columns[idx].type),
								ps_type_name(c->type));
		ld->input_map[i] = (uint32_t) idx;
	}
	return PS_OK;
}

static ps_status
prepare_layout(ps_load *ld, ps_error *err)
{
	const ps_schema *s = ld->schema;
	ps_status	rc;

	if ((rc = ps_block_layout(s, &ld->block_cols, &ld->block_types, &ld->nblock, err)) != PS_OK)
		return rc;
	if (!(ld->block_vals = calloc(ld->nblock + 1, sizeof(ps_value))))
		return ps_error_set(err, PS_ENOMEM, "out of memory");
	if (!ld->dedup)
		return PS_OK;
	ld->nvalue = ps_schema_value_count(s);
	ld->value_cols = malloc((ld->nvalue + 1) * sizeof(uint32_t));
	ld->value_types = malloc((ld->nvalue + 1) * sizeof(ps_type));
	ld->value_vals = calloc(ld->nvalue + 1, sizeof(ps_value));
	ld->pending_cap = 1024;
	ld->pending = calloc(ld->pending_cap, sizeof(uint64_t));
	if (!ld->value_cols || !ld->value_types || !ld->value_vals || !ld->pending)
		return ps_error_set(err, PS_ENOMEM, "out of memory");
	ps_schema_value_types(s, ld->value_types);
	for (uint32_t c = 0, k = 0; c < s->ncolumns; c++)
		if (c != s->time_index)
			ld->value_cols[k++] = c;
	return PS_OK;
}

ps_status
ps_load_begin(ps_store *st, const ps_load_spec *spec, ps_load **out, ps_error *err)
{
	ps_load    *ld;
	ps_table   *t, *created = NULL;
	ps_status	rc;
	rocksdb_writebatch_t *wb = NULL;
	ps_buf		v = PS_BUF_INIT;
	uint8_t		mk[PS_MARKER_KEY_LEN], idb[4];

	*out = NULL;
	if (!spec->table || !ps_table_name_valid(spec->table))
		return ps_error_set(err, PS_EINVAL,
							"invalid table name \"%.64s\": use 1 to %d letters, digits, '_' or '-'",
							spec->table ? spec->table : "", PS_MAX_NAME);
	if (!spec->input || spec->input->ncolumns == 0 || spec->input->time_index >= spec->input->ncolumns ||
		spec->input->columns[spec->input->time_index].type != PS_TYPE_TIMESTAMP)
		return ps_error_set(err, PS_EINVAL, "a load needs a timestamp time column");
	if ((spec->time_format && strlen(spec->time_format) > PS_TIME_FORMAT_MAX) ||
		(spec->timezone && strlen(spec->timezone) > PS_TZ_NAME_MAX))
		return ps_error_set(err, PS_EINVAL, "time_format or timezone too long to keep as a table default");
	if (!(ld = calloc(1, sizeof(*ld))))
		return ps_error_set(err, PS_ENOMEM, "out of memory");
	ld->st = st;
	ld->progress = spec->progress;
	ld->min_time = INT64_MAX;
	ld->max_time = INT64_MIN;

	pthread_mutex_lock(&st->lock);
	t = ps_table_find(st, spec->table);
	if (t && t->doomed)
	{
		rc = ps_error_set(err, PS_EBUSY, "table \"%s\" is being rolled back", spec->table);
		goto fail;
	}
	if (t && t->deleting)
	{
		rc = ps_error_set(err, PS_EBUSY,
						  "cannot load into table \"%s\" while a delete from it is in progress",
						  spec->table);
		goto fail;
	}
	if ((rc = plan_load_schema(ld, t, spec, err)) != PS_OK)
		goto fail;
	/*
	 * More loads may join a table that is still being created (a transaction's
	 * savepoints), but they can only commit together with, or after, its
	 * creator, and cannot change its schema.
	 */
	if (t && !t->visible && ld->changes_schema)
	{
		rc = ps_error_set(err, PS_EBUSY,
						  "cannot add columns to table \"%s\" while it is being created",
						  spec->table);
		goto fail;
	}
	if (t && t->dedup && t->ninflight > 0)
	{
		rc = ps_error_set(err, PS_EBUSY,
						  "another load into dedup table \"%s\" is in progress", spec->table);
		goto fail;
	}
	if (t && ld->changes_schema && t->ddl_busy)
	{
		rc = ps_error_set(err, PS_EBUSY,
						  "another load is adding columns to table \"%s\"", spec->table);
		goto fail;
	}
	if (!t)
	{
		if (st->next_table_id == UINT32_MAX)
		{
			rc = ps_error_set(err, PS_ETOOBIG, "no table ids left");
			goto fail;
		}
		if (!(created = calloc(1, sizeof(*created))))
		{
			rc = ps_error_set(err, PS_ENOMEM, "out of memory");
			goto fail;
		}
		snprintf(created->name, sizeof(created->name), "%s", spec->table);
		created->id = st->next_table_id;
		created->dedup = spec->dedup;
		snprintf(created->time_format, sizeof(created->time_format), "%s",
				 spec->time_format ? spec->time_format : "");
		snprintf(created->timezone, sizeof(created->timezone), "%s",
				 spec->timezone ? spec->timezone : "");
		created->next_load_seq = 1;
		if (!(created->schema = ps_schema_copy(ld->schema)))
		{
			rc = ps_error_set(err, PS_ENOMEM, "out of memory");
			goto fail;
		}
		ld->creates_table = true;
		t = created;
	}
	if (t->next_load_seq == UINT32_MAX)
	{
		rc = ps_error_set(err, PS_ETOOBIG, "table \"%s\" has no load sequence numbers left",
						  t->name);
		goto fail;
	}
	ld->table = t;
	ld->seq = t->next_load_seq;
	ld->dedup = t->dedup;
	if ((rc = prepare_layout(ld, err)) != PS_OK)
		goto fail;

	/* Persist the marker, and the consumed sequence/table id, before any block. */
	wb = rocksdb_writebatch_create();
	ps_marker_key(mk, t->id, ld->seq);
	if (ps_marker_encode(&v, (ld->creates_table ? PS_MARKER_CREATES_TABLE : 0) |
						 (ld->dedup ? PS_MARKER_DEDUP : 0),
						 ld->changes_schema ? ld->schema : NULL) != PS_OK)
	{
		rc = ps_error_set(err, PS_ENOMEM, "out of memory");
		goto fail;
	}
	rocksdb_writebatch_put_cf(wb, st->cf_catalog, (const char *) mk, PS_MARKER_KEY_LEN,
							  (const char *) v.data, v.len);
	if (created)
	{
		ps_put_u32be(idb, created->id + 1);
		rocksdb_writebatch_put_cf(wb, st->cf_catalog, "N", 1, (const char *) idb, 4);
	}
	else if ((rc = ps_catalog_put_table(st, wb, t, t->schema, t->row_count, t->min_time,
										t->max_time, t->max_span, t->next_load_seq + 1, err)) != PS_OK)
		goto fail;
	if ((rc = ps_inflight_add(t, ld->seq, err)) != PS_OK)
		goto fail;
	if (created && (rc = ps_tables_add(st, created, err)) != PS_OK)
	{
		ps_inflight_remove(t, ld->seq);
		goto fail;
	}
	if ((rc = ps_store_write(st, st->wo_rows, wb, err)) != PS_OK)
	{
		ps_inflight_remove(t, ld->seq);
		if (created)
		{
			ps_tables_remove(st, created);	/* frees it */
			created = NULL;
		}
		goto fail;
	}
	if (created)
		st->next_table_id++;
	t->next_load_seq++;
	if (ld->changes_schema)
		t->ddl_busy = true;
	pthread_mutex_unlock(&st->lock);

	rocksdb_writebatch_destroy(wb);
	ps_buf_free(&v);
	ld->wb = rocksdb_writebatch_create();
	*out = ld;
	return PS_OK;

fail:
	pthread_mutex_unlock(&st->lock);
	if (wb)
		rocksdb_writebatch_destroy(wb);
	ps_buf_free(&v);
	ps_table_free(created);
	ps_load_free(ld);
	return rc;
}

const ps_schema *
ps_load_schema(const ps_load *ld)
{
	return ld->schema;
}

const uint32_t *
ps_load_input_map(const ps_load *ld)
{
	return ld->input_map;
}

uint64_t
ps_load_rows(const ps_load *ld)
{
	return ld->rows;
}

/* ---------------------------------------------------------------- writing */

ps_status
ps_load_fail(ps_load *ld, ps_status rc, const ps_error *e, ps_error *err)
{
	if (ld->wrc == PS_OK)
	{
		ld->wrc = rc;
		ld->werr = *e;
	}
	if (err)
		*err = ld->werr;
	return ld->wrc;
}

static ps_status
flush_batch(ps_load *ld, ps_error *err)
{
	ps_status	rc;

	if (rocksdb_writebatch_count(ld->wb) == 0)
		return PS_OK;
	rc = ps_store_write(ld->st, ld->st->wo_rows, ld->wb, err);
	rocksdb_writebatch_clear(ld->wb);
	ld->batch_rows = 0;
	return rc;
}

static ps_status
note_partition(ps_load *ld, int32_t p, ps_error *err)
{
	for (uint32_t i = ld->nparts; i-- > 0;)
		if (ld->parts[i] == p)
			return PS_OK;
	if (ld->nparts == ld->parts_cap)
	{
		uint32_t	cap = ld->parts_cap ? ld->parts_cap * 2 : 8;
		int32_t    *n = realloc(ld->parts, cap * sizeof(*n));

		if (!n)
			return ps_error_set(err, PS_ENOMEM, "out of memory");
		ld->parts = n;
		ld->parts_cap = cap;
	}
	ld->parts[ld->nparts++] = p;
	return PS_OK;
}

/* Seal s's open block into the load's batch. */
static ps_status
seal(ps_load *ld, load_series *s, ps_error *err)
{
	ps_block_key bk;
	uint8_t		key[PS_BLOCK_KEY_LEN], jk[PS_JOURNAL_KEY_LEN];
	size_t		size;
	ps_status	rc;

	if (!s->b || ps_block_builder_rows(s->b) == 0)
		return PS_OK;
	bk.table_id = ld->table->id;
	bk.partition = s->partition;
	bk.series = s->id;
	bk.first_time = ps_block_builder_min_time(s->b);
	bk.seq = ld->seq;
	bk.block_no = ld->next_block_no;
	ps_buf_reset(&ld->block_bytes);
	ps_buf_reset(&ld->meta_bytes);
	ld->batch_rows += ps_block_builder_rows(s->b);
	if ((rc = ps_block_builder_encode(s->b, &ld->block_bytes, &ld->meta_bytes, err)) != PS_OK)
		return rc;
	if (ld->next_block_no == UINT32_MAX)
		return ps_error_set(err, PS_ETOOBIG, "a single load is limited to %u blocks", UINT32_MAX);
	ld->next_block_no++;
	if ((rc = note_partition(ld, s->partition, err)) != PS_OK)
		return rc;
	{
		uint32_t	rows;
		int64_t		mn, mx;

		if (ps_block_meta_peek(ld->meta_bytes.data, ld->meta_bytes.len, &rows, &mn, &mx) == PS_OK &&
			ps_time_span(mn, mx) > ld->max_span)
			ld->max_span = ps_time_span(mn, mx);
	}
	ps_block_key_encode(key, &bk);
	ps_journal_key(jk, bk.table_id, bk.seq, bk.block_no);
	rocksdb_writebatch_put_cf(ld->wb, ld->st->cf_data, (const char *) key, sizeof(key),
							  (const char *) ld->block_bytes.data, ld->block_bytes.len);
	rocksdb_writebatch_put_cf(ld->wb, ld->st->cf_meta, (const char *) key, sizeof(key),
							  (const char *) ld->meta_bytes.data, ld->meta_bytes.len);
	rocksdb_writebatch_put_cf(ld->wb, ld->st->cf_catalog, (const char *) jk, sizeof(jk),
							  (const char *) key, sizeof(key));
	if (ld->dedup)
		ps_dedup_put_keys(ld, s);
	ld->open_bytes -= s->bytes;
	s->bytes = ps_block_builder_bytes(s->b);
	ld->open_bytes += s->bytes;
	rocksdb_writebatch_data(ld->wb, &size);
	if (size >= LOAD_BATCH_BYTES || ld->batch_rows >= ld->st->opts.batch_size)
		return flush_batch(ld, err);
	return PS_OK;
}

/* Seal every open block and free the builders; write the batch. */
ps_status
ps_load_seal_all(ps_load *ld, ps_error *err)
{
	ps_status	rc;

	for (uint32_t i = 0; i < ld->nseries; i++)
	{
		load_series *s = &ld->series[i];

		if ((rc = seal(ld, s, err)) != PS_OK)
			return rc;
		if (s->b)
		{
			ps_block_builder_free(s->b);
			s->b = NULL;
			ld->open_bytes -= s->bytes;
			s->bytes = 0;
			free(s->hashes);
			s->hashes = NULL;
			s->hashes_cap = 0;
		}
	}
	if ((rc = flush_batch(ld, err)) != PS_OK)
		return rc;
	if (ld->npending > 0)
	{
		/* Every row is in RocksDB now, where dedup lookups find it. */
		memset(ld->pending, 0, ld->pending_cap * sizeof(uint64_t));
		ld->npending = 0;
	}
	return PS_OK;
}

/* ---------------------------------------------------------------- series */

/* The load's entry for the series of ld->tuple, made if new. */
static ps_status
find_series(ps_load *ld, load_series **out, ps_error *err)
{
	const uint8_t *tp = ld->tuple.data;
	size_t		tlen = ld->tuple.len;
	uint32_t	idx = ps_series_dict_find(&ld->local, tp, tlen);
	load_series *s;
	ps_status	rc;
	uint32_t	id;

	if (idx != UINT32_MAX)
	{
		*out = &ld->series[idx];
		return PS_OK;
	}
	if (ld->schema->nseries == 0)
		id = 0;
	else if ((rc = ps_series_dict_intern(ld->st, ld->table, tp, tlen, &id, err)) != PS_OK)
		return rc;
	if (ld->nseries == ld->series_cap)
	{
		uint32_t	cap = ld->series_cap ? ld->series_cap * 2 : 16;
		load_series *n = realloc(ld->series, cap * sizeof(*n));

		if (!n)
			return ps_error_set(err, PS_ENOMEM, "out of memory");
		ld->series = n;
		ld->series_cap = cap;
	}
	/* Its index in the local dictionary is its index in series. */
	if ((rc = ps_series_dict_add(&ld->local, tp, tlen, false, err)) != PS_OK)
		return rc;
	s = &ld->series[ld->nseries++];
	memset(s, 0, sizeof(*s));
	s->id = id;
	*out = s;
	return PS_OK;
}

/* ---------------------------------------------------------------- append */

ps_status
ps_load_append(ps_load *ld, const ps_value *values, ps_error *err)
{
	const ps_value *tv = &values[ld->schema->time_index];
	int64_t		time = tv->v.i;
	int32_t		partition;
	load_series *s = NULL;
	uint64_t	hash = 0;
	ps_status	rc;
	ps_error	e;

	if (ld->wrc != PS_OK)
		return ps_load_fail(ld, ld->wrc, &ld->werr, err);
	if (ld->table->doomed)
		return ps_error_set(err, PS_EBUSY, "the load that created table \"%s\" was rolled back",
							ld->table->name);
	if (tv->is_null)
		return ps_error_set(err, PS_EINVAL, "time column \"%s\" is null",
							ld->schema->columns[ld->schema->time_index].name);
	for (uint32_t c = 0; c < ld->nblock; c++)
	{
		const ps_value *v = &values[ld->block_cols[c]];

		if (!v->is_null && ld->block_types[c] == PS_TYPE_STRING && !ps_utf8_valid(v->v.s.ptr, v->v.s.len))
			return ps_error_set(err, PS_EINVAL, "column \"%s\" is not valid UTF-8",
								ld->schema->columns[ld->block_cols[c]].name);
		ld->block_vals[c] = *v;
	}
	ps_buf_reset(&ld->tuple);
	for (uint32_t k = 0; k < ld->schema->nseries; k++)
	{
		const ps_value *v = &values[ld->schema->series[k]];

		if (!v->is_null && ld->schema->columns[ld->schema->series[k]].type == PS_TYPE_STRING &&
			!ps_utf8_valid(v->v.s.ptr, v->v.s.len))
			return ps_error_set(err, PS_EINVAL, "column \"%s\" is not valid UTF-8",
								ld->schema->columns[ld->schema->series[k]].name);
	}
	if (ps_series_tuple_encode(ld->schema, values, &ld->tuple) != PS_OK)
		return ps_error_set(err, PS_ENOMEM, "out of memory");
	if (ld->dedup)
	{
		bool		seen;

		if ((rc = ps_dedup_check(ld, time, values, &hash, &seen, err)) != PS_OK)
			return rc;
		if (seen)
			return PS_OK;
	}
	if ((rc = find_series(ld, &s, &e)) != PS_OK)
		return ps_load_fail(ld, rc, &e, err);

	partition = ps_partition_of(time);
	if (s->b && ps_block_builder_rows(s->b) > 0 &&
		(s->partition != partition || ps_block_builder_full(s->b)) &&
		(rc = seal(ld, s, &e)) != PS_OK)
		return ps_load_fail(ld, rc, &e, err);
	if (!s->b && (rc = ps_block_builder_new(ld->block_types, ld->nblock, &s->b, &e)) != PS_OK)
		return ps_load_fail(ld, rc, &e, err);
	s->partition = partition;
	if ((rc = ps_block_builder_append(s->b, time, ld->block_vals, &e)) != PS_OK ||
		(ld->dedup && (rc = ps_dedup_remember(s, hash, &e)) != PS_OK))
		return ps_load_fail(ld, rc, &e, err);
	ld->open_bytes -= s->bytes;
	s->bytes = ps_block_builder_bytes(s->b);
	ld->open_bytes += s->bytes;
	ld->rows++;
	ps_progress_set_rows(ld->progress, ld->rows);
	if (time < ld->min_time)
		ld->min_time = time;
	if (time > ld->max_time)
		ld->max_time = time;
	if ((ld->open_bytes > LOAD_OPEN_BYTES_MAX || ld->npending > DEDUP_PENDING_MAX) &&
		(rc = ps_load_seal_all(ld, &e)) != PS_OK)
		return ps_load_fail(ld, rc, &e, err);
	return PS_OK;
}
