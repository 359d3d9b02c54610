/*
 * ps_scan_blocks.c — which blocks a scan reads: the partitions of its
 * range, one after another (ps_scan_next_partition), and in each the
 * blocks of its series that may hold rows of the slice being read
 * (ps_scan_collect), with their metadata.
 *
 * A partition's block keys and metadata come from its directory when one
 * is cached for the scan's meta version (ps_meta_dir.h), found by binary
 * search, or else from the meta column family under the scan's snapshot,
 * one seek per series.  Either way blocks of loads in flight for the scan
 * are skipped.  The merge of the blocks into the scan's order is
 * ps_scan.c's.
 */
#include <stdlib.h>
#include <string.h>

#include "ps_scan_int.h"

bool
ps_scan_in_flight(const ps_scan *sc, uint32_t seq)
{
	for (uint32_t i = 0; i < sc->ninflight; i++)
		if (sc->inflight[i] == seq)
			return true;
	return false;
}

ps_status
ps_scan_iter_status(rocksdb_iterator_t *it, ps_error *err)
{
	char	   *rerr = NULL;

	rocksdb_iter_get_error(it, &rerr);
	return rerr ? ps_rocks_error(err, rerr, "scan failed") : PS_OK;
}

ps_status
ps_scan_add_block(ps_scan *sc, const uint8_t *k, const ps_block_key *bk, const char *v,
				  size_t vlen, uint32_t rows, int64_t mn, int64_t mx, ps_error *err)
{
	block_ref  *ref;

	if (sc->nrefs == sc->refs_cap)
	{
		size_t		cap = sc->refs_cap ? sc->refs_cap * 2 : 64;
		block_ref  *n = realloc(sc->refs, cap * sizeof(*n));

		if (!n)
			return ps_error_set(err, PS_ENOMEM, "out of memory");
		sc->refs = n;
		sc->refs_cap = cap;
	}
	ref = &sc->refs[sc->nrefs++];
	memcpy(ref->key, k, PS_BLOCK_KEY_LEN);
	ref->series = bk->series;
	ref->rows = rows;
	ref->min_time = mn;
	ref->max_time = mx;
	if (!sc->keep_meta)
		return PS_OK;
	if (sc->metas.len + vlen > UINT32_MAX)
		return ps_error_set(err, PS_ETOOBIG, "block metadata of a partition exceeds 4 GB");
	ref->meta_off = (uint32_t) sc->metas.len;
	ref->meta_len = (uint32_t) vlen;
	return ps_buf_append(&sc->metas, v, vlen) == PS_OK ? PS_OK
		: ps_error_set(err, PS_ENOMEM, "out of memory");
}

/*
 * Where a partition's block keys and metadata are read from: its directory
 * (ps_meta_dir.h), found by binary search, or else the meta column family,
 * by seeks of the scan's iterator.  Both are in key order.
 */
typedef struct meta_source {
	const ps_meta_dir *dir;		/* NULL: read sc->meta_it */
	rocksdb_iterator_t *it;
	const ps_meta_entry *entries;
	size_t		n, i;
} meta_source;

static void
source_seek(meta_source *m, const uint8_t seek[20])
{
	if (m->dir)
		m->i = ps_meta_dir_lower_bound(m->dir, seek);
	else
		rocksdb_iter_seek(m->it, (const char *) seek, 20);
}

/* The current block's key, or NULL past the end. */
static const uint8_t *
source_key(meta_source *m)
{
	size_t		klen;
	const uint8_t *k;

	if (m->dir)
		return m->i < m->n ? m->entries[m->i].key : NULL;
	if (!rocksdb_iter_valid(m->it))
		return NULL;
	k = (const uint8_t *) rocksdb_iter_key(m->it, &klen);
	return klen == PS_BLOCK_KEY_LEN ? k : NULL;
}

/* The current block's metadata bytes, rows and time bounds. */
static ps_status
source_meta(meta_source *m, const ps_scan *sc, const char **v, size_t *vlen, uint32_t *rows,
			int64_t *mn, int64_t *mx, ps_error *err)
{
	if (m->dir)
	{
		const ps_meta_entry *e = &m->entries[m->i];

		*v = ps_meta_dir_meta(m->dir, e);
		*vlen = e->meta_len;
		*rows = e->rows;
		*mn = e->min_time;
		*mx = e->max_time;
		return PS_OK;
	}
	*v = rocksdb_iter_value(m->it, vlen);
	if (ps_block_meta_peek(*v, *vlen, rows, mn, mx) != PS_OK)
		return ps_error_set(err, PS_ECORRUPT, "corrupt block metadata in table id %u",
							sc->table_id);
	return PS_OK;
}

static void
source_next(meta_source *m)
{
	if (m->dir)
		m->i++;
	else
		rocksdb_iter_next(m->it);
}

/*
 * Add the blocks of partition p that may hold rows in [lo, hi]: of one
 * series (all_series false) or of every series.  Blocks of a series sort by
 * first time, and none spans more than sc->span, so each series is read
 * from its first block that may reach lo to its last starting by hi; the
 * source seeks over the rest.
 */
static ps_status
collect_blocks(ps_scan *sc, meta_source *m, int32_t p, uint32_t series, bool all_series,
			   ps_error *err)
{
	int64_t		from = ps_time_back(sc->lo, sc->span);
	uint8_t		seek[20];
	const uint8_t *k;
	ps_status	rc;

	ps_block_key_seek(seek, sc->table_id, p, series, from);
	source_seek(m, seek);
	while ((k = source_key(m)) != NULL)
	{
		const char *v;
		size_t		vlen;
		ps_block_key bk;
		uint32_t	rows;
		int64_t		mn, mx;

		if (memcmp(k, seek, all_series ? 8 : 12) != 0)
			break;
		ps_block_key_decode(k, &bk);
		if (bk.first_time < from)
		{
			/* A new series, from its start: skip to where it may reach lo. */
			ps_block_key_seek(seek, sc->table_id, p, bk.series, from);
			source_seek(m, seek);
			continue;
		}
		if (bk.first_time > sc->hi)
		{
			/* This series is done: on to the next one. */
			if (!all_series || bk.series == UINT32_MAX)
				break;
			ps_block_key_seek(seek, sc->table_id, p, bk.series + 1, from);
			source_seek(m, seek);
			continue;
		}
		if (!(sc->ninflight > 0 && ps_scan_in_flight(sc, bk.seq)))
		{
			if ((rc = source_meta(m, sc, &v, &vlen, &rows, &mn, &mx, err)) != PS_OK)
				return rc;
			if (mx >= sc->lo && mn <= sc->hi && rows > 0 &&
				(rc = ps_scan_add_block(sc, k, &bk, v, vlen, rows, mn, mx, err)) != PS_OK)
				return rc;
		}
		source_next(m);
	}
	return m->dir ? PS_OK : ps_scan_iter_status(m->it, err);
}

/*
 * The directory of partition p for this scan's version, held in *out: the
 * cached one, or one built now from the scan's snapshot when the partition
 * was asked for before at this version; NULL to read the meta column
 * family instead.
 */
static ps_status
partition_dir(ps_scan *sc, int32_t p, ps_meta_dir **out, ps_error *err)
{
	bool		build;

	*out = NULL;
	if (!sc->st->dirs)
		return PS_OK;
	*out = ps_meta_dir_get(sc->st->dirs, sc->table_id, p, sc->meta_version, &build);
	if (*out || !build)
		return PS_OK;
	return ps_meta_dir_build(sc->st->dirs, sc->meta_it, sc->table_id, p, sc->meta_version,
							 sc->inflight, sc->ninflight, out, err);
}

/*
 * The next partition holding blocks of the table after (before, descending
 * or newest rows first) partition p, in *next; false when there is none
 * within the range, or no series is left to find (ps_scan_latest).
 */
bool
ps_scan_next_partition(ps_scan *sc, bool first, int32_t p, int32_t *next)
{
	rocksdb_iterator_t *it = sc->meta_it;
	uint8_t		k[8];
	int32_t		lo_p = ps_partition_of(sc->lo), hi_p = ps_partition_of(sc->hi);
	ps_block_key bk;
	size_t		klen;
	const uint8_t *key;

	if (sc->latest != 0 && ps_scan_latest_done(sc))
		return false;
	if (!sc->descending && sc->latest <= 0)
	{
		if (!first && p == INT32_MAX)
			return false;
		ps_block_key_prefix(k, sc->table_id, first ? lo_p : p + 1, 0, 8);
		rocksdb_iter_seek(it, (const char *) k, 8);
	}
	else
	{
		if (!first && p == INT32_MIN)
			return false;
		/* The last key before partition (hi_p + 1) or p. */
		if (first)
			ps_block_key_partition_end(k, sc->table_id, hi_p);
		else
			ps_block_key_prefix(k, sc->table_id, p, 0, 8);
		/* Every block key of partition p is longer than, so after, k. */
		rocksdb_iter_seek_for_prev(it, (const char *) k, 8);
	}
	if (!rocksdb_iter_valid(it))
		return false;
	key = (const uint8_t *) rocksdb_iter_key(it, &klen);
	if (klen != PS_BLOCK_KEY_LEN || ps_get_u32be(key) != sc->table_id)
		return false;
	ps_block_key_decode(key, &bk);
	if (bk.partition < lo_p || bk.partition > hi_p)
		return false;
	*next = bk.partition;
	return true;
}

ps_status
ps_scan_collect(ps_scan *sc, int32_t p, ps_error *err)
{
	ps_meta_dir *dir;
	meta_source m = {NULL, sc->meta_it, NULL, 0, 0};
	ps_status	rc = PS_OK;

	if ((rc = partition_dir(sc, p, &dir, err)) != PS_OK)
		return rc;
	if (dir)
	{
		m.dir = dir;
		m.entries = ps_meta_dir_entries(dir, &m.n);
	}
	if (sc->all_series)
		rc = collect_blocks(sc, &m, p, 0, true, err);
	else
		for (uint32_t i = 0; i < sc->nseries && rc == PS_OK; i++)
			rc = collect_blocks(sc, &m, p, sc->series[i], false, err);
	/* The refs hold copies of the keys and metadata. */
	ps_meta_dir_release(sc->st->dirs, dir);
	return rc;
}
