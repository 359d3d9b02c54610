/*
 * ps_scan.c — the block read path: time-range scans, with series filters,
 * in time order (ascending or descending), over a consistent snapshot.
 *
 * A scan walks the table's time partitions in order.  For each partition it
 * takes the metadata of the blocks that may hold matching rows (row count
 * and time bounds, without touching the blocks; ps_scan_blocks.c, from the
 * partition's directory or the meta column family), skipping blocks of
 * loads in flight, then merges them: a heap of cursors ordered by
 * the time of their next row, where a block not yet decoded stands at its
 * first (last, descending) time and is fetched and decoded only when it
 * reaches the top.  Ties go by (series, first time, load sequence, block
 * number, position), so equal times come out in a fixed order and
 * overlapping blocks of one series merge as (time, load, position).
 * Memory: the partition's block list (a few dozen bytes per block) and one
 * decoded block per cursor whose time span is current.
 *
 * An unordered scan admits one block at a time, in key order, and merges
 * nothing; one for the newest (oldest) rows only takes its blocks from
 * ps_scan_latest.c.  Handing rows out, as column vectors or encoded rows, is
 * ps_scan_batch.c's job (the contract is in ps_scan_int.h).
 */
#include <stdlib.h>
#include <string.h>

#include "ps_scan_int.h"
#include "ps_series.h"

/* ------------------------------------------------------------------ opening */

static ps_status
prepare_layout(ps_scan *sc, ps_error *err)
{
	const ps_schema *s = sc->schema;
	ps_status	rc;

	if ((rc = ps_block_layout(s, &sc->block_cols, &sc->block_types, &sc->nblock, err)) != PS_OK)
		return rc;
	if (!(sc->block_want = malloc((sc->nblock + 1) * sizeof(bool))))
		return ps_error_set(err, PS_ENOMEM, "out of memory");
	for (uint32_t k = 0; k < sc->nblock; k++)
		sc->block_want[k] = true;
	sc->nvalue = ps_schema_value_count(s);
	sc->value_types = malloc((sc->nvalue + 1) * sizeof(ps_type));
	sc->value_pos = malloc(s->ncolumns * sizeof(uint32_t));
	sc->row = calloc(s->ncolumns, sizeof(ps_value));
	sc->vals = calloc(sc->nvalue + 1, sizeof(ps_value));
	sc->want = calloc(s->ncolumns, sizeof(bool));
	if (!sc->value_types || !sc->value_pos || !sc->row || !sc->vals || !sc->want)
		return ps_error_set(err, PS_ENOMEM, "out of memory");
	for (uint32_t c = 0; c < s->ncolumns; c++)
		sc->want[c] = c != s->time_index;
	ps_schema_value_types(s, sc->value_types);
	for (uint32_t c = 0; c < s->ncolumns; c++)
		sc->value_pos[c] = ps_schema_value_index(s, c);
	return PS_OK;
}

ps_status
ps_scan_open(ps_store *st, const ps_scan_spec *spec, ps_scan **out, ps_error *err)
{
	ps_scan    *sc;
	ps_table   *t;
	ps_status	rc = PS_OK;
	bool		empty;

	*out = NULL;
	if (spec->lo > spec->hi)
		return ps_error_set(err, PS_EINVAL, "scan range start is after its end");
	if (!(sc = calloc(1, sizeof(*sc))))
		return ps_error_set(err, PS_ENOMEM, "out of memory");
	sc->st = st;
	pthread_mutex_lock(&st->lock);
	if (!(t = ps_table_find_visible(st, spec->table, err)))
	{
		pthread_mutex_unlock(&st->lock);
		free(sc);
		return PS_ENOTFOUND;
	}
	sc->table_id = t->id;
	sc->meta_version = t->meta_version;
	sc->span = t->max_span;
	sc->range_lo = sc->lo = spec->lo > t->min_time ? spec->lo : t->min_time;
	sc->range_hi = sc->hi = spec->hi < t->max_time ? spec->hi : t->max_time;
	empty = t->row_count == 0 || sc->lo > sc->hi;
	/*
	 * A limited ordered scan (the latest N rows) reads its range in slices
	 * from the end it starts at, each twice as wide as the last, so it
	 * touches only the newest (oldest) blocks of each series when those
	 * hold enough rows.  The first slice is twice as wide as the table's
	 * average density says the rows wanted take, at most two block spans.
	 */
	if (!empty && spec->limit > 0 && !spec->unordered)
	{
		double		per_row = ((double) t->max_time - t->min_time) / (double) t->row_count;
		double		guess = 2.0 * per_row * ((double) spec->limit + (double) spec->offset);
		int64_t		widest = sc->span < INT64_MAX / 4 ? sc->span * 2 + 1 : INT64_MAX;

		sc->slice_width = guess < 1.0 ? 1 : guess < (double) widest ? (int64_t) guess : widest;
		if (spec->descending)
			sc->lo = ps_time_span(sc->lo, sc->hi) > sc->slice_width ? sc->hi - sc->slice_width : sc->lo;
		else
			sc->hi = ps_time_span(sc->lo, sc->hi) > sc->slice_width ? sc->lo + sc->slice_width : sc->hi;
	}
	if (!(sc->schema = ps_schema_copy(t->schema)))
		rc = ps_error_set(err, PS_ENOMEM, "out of memory");
	if (rc == PS_OK && t->ninflight > 0)
	{
		if (!(sc->inflight = malloc(t->ninflight * sizeof(uint32_t))))
			rc = ps_error_set(err, PS_ENOMEM, "out of memory");
		else
		{
			memcpy(sc->inflight, t->inflight, t->ninflight * sizeof(uint32_t));
			sc->ninflight = t->ninflight;
		}
	}
	if (rc == PS_OK)
		rc = prepare_layout(sc, err);
	if (rc == PS_OK)
		rc = ps_series_match(t, sc->schema, spec, &sc->series, &sc->nseries, &sc->all_series, err);
	if (rc == PS_OK)
	{
		sc->snap = rocksdb_create_snapshot(st->db);
		atomic_fetch_add_explicit(&st->open_scans, 1, memory_order_relaxed);
	}
	pthread_mutex_unlock(&st->lock);
	if (rc != PS_OK)
	{
		ps_scan_close(sc);
		return rc;
	}
	rocksdb_set_perf_level(rocksdb_disable);
	sc->ro = rocksdb_readoptions_create();
	rocksdb_readoptions_set_snapshot(sc->ro, sc->snap);
	sc->meta_it = rocksdb_create_iterator_cf(st->db, sc->ro, st->cf_meta);
	sc->unordered = spec->unordered;
	sc->cache = st->decoded;
	sc->descending = spec->descending && !spec->unordered;
	sc->to_skip = spec->offset;
	sc->remaining = spec->limit ? spec->limit : UINT64_MAX;
	sc->finished = empty || (!sc->all_series && sc->nseries == 0);
	*out = sc;
	return PS_OK;
}

const ps_schema *
ps_scan_schema(const ps_scan *sc)
{
	return sc->schema;
}

void
ps_scan_want(ps_scan *sc, const bool *want)
{
	for (uint32_t k = 0; k < sc->nblock; k++)
		sc->block_want[k] = want[sc->block_cols[k]];
	for (uint32_t c = 0; c < sc->schema->ncolumns; c++)
		sc->want[c] = want[c] && c != sc->schema->time_index;
}

/* ------------------------------------------------------------------ the merge */

/* Does cursor a come before b in the scan's order? */
static inline bool
cursor_before(const ps_scan *sc, const cursor *a, const cursor *b)
{
	int			c;

	if (a->at != b->at)
		return sc->descending ? a->at > b->at : a->at < b->at;
	/* An undecoded block first, so its rows join the tie-break below. */
	if ((a->r == NULL) != (b->r == NULL))
		return a->r == NULL;
	c = memcmp(a->ref->key + 8, b->ref->key + 8, PS_BLOCK_KEY_LEN - 8);
	return sc->descending ? c > 0 : c < 0;
}

static void
sift_down(ps_scan *sc, size_t i)
{
	cursor	   *h = sc->heap;
	size_t		n = sc->nheap;

	for (;;)
	{
		size_t		l = 2 * i + 1, best = i;

		if (l < n && cursor_before(sc, &h[l], &h[best]))
			best = l;
		if (l + 1 < n && cursor_before(sc, &h[l + 1], &h[best]))
			best = l + 1;
		if (best == i)
			return;
		cursor		tmp = h[i];

		h[i] = h[best];
		h[best] = tmp;
		i = best;
	}
}

/* A cursor is done with its block: back to the cache, or to the scan's pool. */
static void
release_block(ps_scan *sc, cursor *c)
{
	ps_block_reader *r = c->r;

	c->r = NULL;
	if (c->ce)
	{
		ps_block_cache_release(sc->cache, c->ce);
		c->ce = NULL;
		return;
	}
	if (!r)
		return;
	if (sc->npool == sc->pool_cap)
	{
		size_t		cap = sc->pool_cap ? sc->pool_cap * 2 : 16;
		ps_block_reader **n = realloc(sc->pool, cap * sizeof(*n));

		if (!n)
		{
			ps_block_reader_free(r);
			return;
		}
		sc->pool = n;
		sc->pool_cap = cap;
	}
	sc->pool[sc->npool++] = r;
}

static void
pop_top(ps_scan *sc)
{
	release_block(sc, &sc->heap[0]);
	sc->heap[0] = sc->heap[--sc->nheap];
	if (sc->nheap > 0)
		sift_down(sc, 0);
}

static int
ref_cmp_asc(const void *a, const void *b)
{
	const block_ref *x = a, *y = b;

	if (x->min_time != y->min_time)
		return x->min_time < y->min_time ? -1 : 1;
	return memcmp(x->key + 8, y->key + 8, PS_BLOCK_KEY_LEN - 8);
}

static int
ref_cmp_desc(const void *a, const void *b)
{
	const block_ref *x = a, *y = b;

	if (x->max_time != y->max_time)
		return x->max_time > y->max_time ? -1 : 1;
	return memcmp(y->key + 8, x->key + 8, PS_BLOCK_KEY_LEN - 8);
}

/*
 * Gather partition p's blocks, sorted by the time at which each joins the
 * merge (its first time; its last, descending), so the heap only ever holds
 * blocks whose time span is current.
 */
ps_status
ps_scan_start_partition(ps_scan *sc, int32_t p, ps_error *err)
{
	ps_status	rc = PS_OK;

	sc->partition = p;
	sc->nrefs = 0;
	sc->metas.len = 0;
	sc->next_ref = 0;
	rc = sc->latest != 0 ? ps_scan_latest_collect(sc, p, err) : ps_scan_collect(sc, p, err);
	if (rc != PS_OK)
		return rc;
	/* (refs is NULL until a partition holds a block: qsort must not see it.) */
	if (!sc->unordered && sc->nrefs > 1)
		qsort(sc->refs, sc->nrefs, sizeof(block_ref), sc->descending ? ref_cmp_desc : ref_cmp_asc);
	free(sc->heap);
	sc->nheap = 0;
	if (!(sc->heap = malloc((sc->nrefs + 1) * sizeof(cursor))))
		return ps_error_set(err, PS_ENOMEM, "out of memory");
	return PS_OK;
}

static void
sift_up(ps_scan *sc, size_t i)
{
	cursor	   *h = sc->heap;

	while (i > 0)
	{
		size_t		parent = (i - 1) / 2;
		cursor		tmp;

		if (!cursor_before(sc, &h[i], &h[parent]))
			return;
		tmp = h[i];
		h[i] = h[parent];
		h[parent] = tmp;
		i = parent;
	}
}

/* Let every block that starts (descending: ends) by the heap's next time join the merge. */
static void
admit_blocks(ps_scan *sc)
{
	while (sc->next_ref < sc->nrefs)
	{
		const block_ref *ref = &sc->refs[sc->next_ref];
		int64_t		at = sc->descending ? ref->max_time : ref->min_time;
		cursor	   *c;

		if (sc->nheap > 0 &&
			(sc->unordered || (sc->descending ? at < sc->heap[0].at : at > sc->heap[0].at)))
			return;
		c = &sc->heap[sc->nheap];
		memset(c, 0, sizeof(*c));
		c->ref = ref;
		c->at = at;
		sc->nheap++;
		sift_up(sc, sc->nheap - 1);
		sc->next_ref++;
	}
}

/*
 * Give cursor c its decoded block: from the shared cache, else read and
 * decoded now, and cached unless this scan has already entered an eighth
 * of the cache's budget (a long scan must not flush what others reuse).
 */
static ps_status
load_block(ps_scan *sc, cursor *c, ps_error *err)
{
	const char *data;
	size_t		len;
	char	   *rerr = NULL;
	ps_status	rc;

	if (sc->cache &&
		(c->ce = ps_block_cache_get(sc->cache, c->ref->key, sc->block_want, sc->nblock)) != NULL)
	{
		c->r = (ps_block_reader *) ps_cached_block_reader(c->ce);
		return PS_OK;
	}
	if (sc->npool > 0)
		c->r = sc->pool[--sc->npool];
	else if ((rc = ps_block_reader_new(&c->r, err)) != PS_OK)
		return rc;
	if (sc->block_slice)
		rocksdb_pinnableslice_destroy(sc->block_slice);
	sc->block_slice = rocksdb_get_pinned_cf(sc->st->db, sc->ro, sc->st->cf_data,
											(const char *) c->ref->key, PS_BLOCK_KEY_LEN, &rerr);
	if (rerr)
		return ps_rocks_error(err, rerr, "cannot read a block");
	if (!sc->block_slice)
		return ps_error_set(err, PS_ECORRUPT, "a block listed in the metadata of table id %u is missing",
							sc->table_id);
	data = rocksdb_pinnableslice_value(sc->block_slice, &len);
	if ((rc = ps_block_decode(c->r, data, len, sc->block_types, sc->nblock, sc->block_want,
							  err)) != PS_OK)
		return rc;
	if (sc->cache && sc->cache_put < ps_block_cache_budget(sc->cache) / 8)
	{
		sc->cache_put += ps_block_reader_bytes(c->r);
		c->ce = ps_block_cache_put(sc->cache, c->ref->key, c->r, sc->block_want, sc->nblock);
		c->r = c->ce ? (ps_block_reader *) ps_cached_block_reader(c->ce) : NULL;
		if (!c->ce)
			return ps_error_set(err, PS_ENOMEM, "out of memory for the block cache");
	}
	return PS_OK;
}

/* Decode the top cursor's block; position it at its first row in range. */
static ps_status
decode_top(ps_scan *sc, ps_error *err)
{
	cursor	   *c = &sc->heap[0];
	ps_status	rc;
	const int64_t *times;
	uint32_t	rows, lo = 0, hi;

	if ((rc = load_block(sc, c, err)) != PS_OK)
		return rc;
	if (sc->schema->nseries > 0 &&
		(rc = ps_scan_series_tuple(sc, c->ref->series, &c->tuple_off, &c->tuple_len, err)) != PS_OK)
		return rc;
	rows = ps_block_reader_rows(c->r);
	times = ps_block_reader_times(c->r);
	/* [lo, hi): the rows within the scan's range. */
	{
		uint32_t	a = 0, b = rows;

		while (a < b)
		{
			uint32_t	m = (a + b) / 2;

			if (times[m] < sc->lo)
				a = m + 1;
			else
				b = m;
		}
		lo = a;
		b = rows;
		while (a < b)
		{
			uint32_t	m = (a + b) / 2;

			if (times[m] <= sc->hi)
				a = m + 1;
			else
				b = m;
		}
		hi = a;
	}
	if (lo >= hi)
	{
		pop_top(sc);
		return PS_OK;
	}
	c->pos = sc->descending ? hi : lo;
	c->end = sc->descending ? lo : hi;
	c->at = times[sc->descending ? hi - 1 : lo];
	sift_down(sc, 0);
	return PS_OK;
}

/*
 * Move on to the next, twice as wide, slice of the range (the older one,
 * descending); false when the whole range has been read.
 */
static bool
next_slice(ps_scan *sc)
{
	int64_t		w;

	if (sc->descending ? sc->lo <= sc->range_lo : sc->hi >= sc->range_hi)
		return false;
	w = sc->slice_width < INT64_MAX / 2 ? sc->slice_width * 2 : INT64_MAX;
	sc->slice_width = w;
	if (sc->descending)
	{
		sc->hi = sc->lo - 1;
		sc->lo = ps_time_span(sc->range_lo, sc->hi) > w ? sc->hi - w : sc->range_lo;
	}
	else
	{
		sc->lo = sc->hi + 1;
		sc->hi = ps_time_span(sc->lo, sc->range_hi) > w ? sc->lo + w : sc->range_hi;
	}
	sc->started = false;
	return true;
}

/* The top cursor, decoded unless !decode; NULL at the end. */
static ps_status
top(ps_scan *sc, bool decode, cursor **out, ps_error *err)
{
	ps_status	rc;

	*out = NULL;
	while (!sc->finished)
	{
		admit_blocks(sc);
		if (sc->nheap == 0)
		{
			int32_t		p;

			if (!ps_scan_next_partition(sc, !sc->started, sc->partition, &p))
			{
				if ((rc = ps_scan_iter_status(sc->meta_it, err)) != PS_OK)
					return rc;
				if (next_slice(sc))
					continue;
				sc->finished = true;
				break;
			}
			sc->started = true;
			if ((rc = ps_scan_start_partition(sc, p, err)) != PS_OK)
				return rc;
			continue;
		}
		if (decode && !sc->heap[0].r)
		{
			if ((rc = decode_top(sc, err)) != PS_OK)
				return rc;
			continue;
		}
		*out = &sc->heap[0];
		return PS_OK;
	}
	return PS_OK;
}

ps_status
ps_scan_top(ps_scan *sc, cursor **out, ps_error *err)
{
	return top(sc, true, out, err);
}

ps_status
ps_scan_peek(ps_scan *sc, cursor **out, ps_error *err)
{
	return top(sc, false, out, err);
}

void
ps_scan_pass(ps_scan *sc)
{
	pop_top(sc);
}

void
ps_scan_keep_meta(ps_scan *sc)
{
	sc->keep_meta = true;
}

uint32_t
ps_scan_run(const ps_scan *sc, const cursor *c, uint32_t max)
{
	const int64_t *times = ps_block_reader_times(c->r);
	int64_t		bound;
	bool		bounded = false;
	uint32_t	n = 1;
	uint32_t	avail = sc->descending ? c->pos - c->end : c->end - c->pos;

	if (avail < max)
		max = avail;
	if (sc->unordered)
		return max;
	/*
	 * Rows strictly before the next cursor's time, and before the next
	 * block to join the merge, come first whatever the tie-breaks; a row at
	 * that very time goes back through the heap.
	 */
	for (size_t i = 1; i <= 2 && i < sc->nheap; i++)
		if (!bounded || (sc->descending ? sc->heap[i].at > bound : sc->heap[i].at < bound))
		{
			bound = sc->heap[i].at;
			bounded = true;
		}
	if (sc->next_ref < sc->nrefs)
	{
		const block_ref *ref = &sc->refs[sc->next_ref];
		int64_t		at = sc->descending ? ref->max_time : ref->min_time;

		if (!bounded || (sc->descending ? at > bound : at < bound))
		{
			bound = at;
			bounded = true;
		}
	}
	if (!bounded)
		return max;
	if (sc->descending)
		while (n < max && times[c->pos - 1 - n] > bound)
			n++;
	else
		while (n < max && times[c->pos + n] < bound)
			n++;
	return n;
}

void
ps_scan_consume(ps_scan *sc, uint32_t n)
{
	cursor	   *c = &sc->heap[0];
	const int64_t *times = ps_block_reader_times(c->r);

	if (sc->descending)
		c->pos -= n;
	else
		c->pos += n;
	if (c->pos == c->end)
		pop_top(sc);
	else
	{
		c->at = times[sc->descending ? c->pos - 1 : c->pos];
		sift_down(sc, 0);
	}
}

void
ps_scan_close(ps_scan *sc)
{
	if (!sc)
		return;
	for (size_t i = 0; i < sc->nheap; i++)
		if (sc->heap[i].ce)
			ps_block_cache_release(sc->cache, sc->heap[i].ce);
		else
			ps_block_reader_free(sc->heap[i].r);
	for (size_t i = 0; i < sc->npool; i++)
		ps_block_reader_free(sc->pool[i]);
	if (sc->block_slice)
		rocksdb_pinnableslice_destroy(sc->block_slice);
	if (sc->meta_it)
		rocksdb_iter_destroy(sc->meta_it);
	if (sc->ro)
		rocksdb_readoptions_destroy(sc->ro);
	if (sc->snap)
	{
		rocksdb_release_snapshot(sc->st->db, sc->snap);
		atomic_fetch_sub_explicit(&sc->st->open_scans, 1, memory_order_relaxed);
	}
	free(sc->inflight);
	free(sc->series);
	free(sc->latest_series);
	free(sc->refs);
	free(sc->heap);
	free(sc->pool);
	free(sc->block_cols);
	free(sc->block_types);
	free(sc->block_want);
	free(sc->value_types);
	free(sc->value_pos);
	free(sc->row);
	free(sc->vals);
	free(sc->want);
	ps_scan_vectors_free(&sc->vec, sc->schema ? sc->schema->ncolumns : 0);
	ps_buf_free(&sc->out);
	ps_buf_free(&sc->tuples);
	ps_buf_free(&sc->metas);
	free(sc->tuple_slots);
	free(sc->tuple_ids);
	free(sc->tuple_offs);
	ps_schema_free(sc->schema);
	free(sc);
}
