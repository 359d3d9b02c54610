/*
 * ps_scan_latest.c — the blocks that can hold the newest (or oldest) row of
 * each series in a scan's range, for aggregates that need nothing else
 * (ps_agg.c: last(x) and max(time) grouped by series-key columns, as the
 * latest price of each symbol asks; first(x) and min(time) the other way).
 *
 * Such a scan walks the partitions from the newest down (oldest up) and in
 * each reads, for every series not found yet, the metadata of its blocks
 * from the newest first time down (oldest up).  What is known without
 * decoding: a block whose last time is in range holds a row there at that
 * time, one whose first time is in range at that time; a block reaching
 * past the range's end vouches only for its first row (its last, when
 * reaching before the start).  A block is admitted into the scan unless
 * it cannot hold a row newer (older) than the newest (oldest) one already
 * known, and the walk of a series stops at the first block that starts
 * more than max_span before that row (after it): keys sort a series'
 * blocks by first time, and a block holding time t starts no earlier than
 * t - max_span (ps_store_int.h).
 *
 * Blocks never span partitions (a load seals a block at a partition's
 * edge, the merge and delete_range rewrite blocks within theirs), so a
 * series with a known row in partition p is done: older partitions hold
 * only older times.  The scan ends when every series is done.  Blocks of
 * loads in flight are skipped, as by every scan (ps_scan.c).  Overlapping
 * blocks of one series are all admitted when they may hold the newest
 * row, and the aggregate keeps the newest row of the blocks it reads, so
 * its answer is the full walk's (which of rows of equal time wins is not
 * defined either way).
 *
 * The series are those the filters select or, with no filter, every series
 * some committed load used (the dictionary's committed flags, read after
 * the scan's snapshot was taken: a superset of the series it sees).  A
 * partition's series and those left are merged as sorted lists, so a
 * series the partition lacks costs no seek of its own, and the walk never
 * seeks more often than the full one reads blocks.  A series with no row
 * in range is never found, and keeps the walk going down to the range's
 * start.
 */
#include <stdlib.h>
#include <string.h>

#include "ps_scan_int.h"

ps_status
ps_scan_latest(ps_scan *sc, bool newest, ps_error *err)
{
	ps_table   *t;
	uint32_t	n = 0;

	if (sc->finished)
		return PS_OK;
	if (!sc->all_series)
	{
		if (!(sc->latest_series = malloc((sc->nseries + 1) * sizeof(uint32_t))))
			return ps_error_set(err, PS_ENOMEM, "out of memory");
		memcpy(sc->latest_series, sc->series, sc->nseries * sizeof(uint32_t));
		n = sc->nseries;
	}
	else
	{
		pthread_mutex_lock(&sc->st->lock);
		t = ps_table_by_id(sc->st, sc->table_id);
		/* Dropped since the scan opened: the snapshot still has its blocks, so walk them all. */
		if (!t)
		{
			pthread_mutex_unlock(&sc->st->lock);
			return PS_OK;
		}
		if (!(sc->latest_series = malloc(((size_t) t->dict.n + 1) * sizeof(uint32_t))))
		{
			pthread_mutex_unlock(&sc->st->lock);
			return ps_error_set(err, PS_ENOMEM, "out of memory");
		}
		/* A table without a series key has one series, id 0, and no dictionary. */
		if (sc->schema->nseries == 0)
			sc->latest_series[n++] = 0;
		else
			for (uint32_t id = 0; id < t->dict.n; id++)
				if (t->dict.committed[id])
					sc->latest_series[n++] = id;
		pthread_mutex_unlock(&sc->st->lock);
	}
	sc->nlatest = n;
	sc->latest = newest ? 1 : -1;
	return PS_OK;
}

bool
ps_scan_latest_done(const ps_scan *sc)
{
	return sc->nlatest == 0;
}

/* The block under the iterator, when it is of a committed load: its key, metadata and bounds. */
typedef struct latest_block {
	const uint8_t *k;
	ps_block_key bk;
	const char *v;
	size_t		vlen;
	uint32_t	rows;
	int64_t		mn, mx;
} latest_block;

/* Read the metadata of the block under the iterator; *in_range when its bounds meet the range. */
static ps_status
peek_block(ps_scan *sc, latest_block *b, bool *in_range, ps_error *err)
{
	b->v = rocksdb_iter_value(sc->meta_it, &b->vlen);
	if (ps_block_meta_peek(b->v, b->vlen, &b->rows, &b->mn, &b->mx) != PS_OK)
		return ps_error_set(err, PS_ECORRUPT, "corrupt block metadata in table id %u", sc->table_id);
	*in_range = b->rows > 0 && b->mx >= sc->lo && b->mn <= sc->hi;
	return PS_OK;
}

/*
 * Admit the blocks of series s in partition p that may hold its newest row
 * in range; *found when one of them surely holds a row in range.
 */
static ps_status
collect_newest(ps_scan *sc, int32_t p, uint32_t s, bool *found, ps_error *err)
{
	rocksdb_iterator_t *it = sc->meta_it;
	ps_block_key last = {sc->table_id, p, s, sc->hi, UINT32_MAX, UINT32_MAX};
	uint8_t		seek[PS_BLOCK_KEY_LEN], prefix[12];
	int64_t		known = 0;		/* the newest row known in range, once *found */
	ps_status	rc;

	*found = false;
	ps_block_key_encode(seek, &last);
	ps_block_key_prefix(prefix, sc->table_id, p, s, 12);
	/* The last block of the series starting by hi, then older ones. */
	for (rocksdb_iter_seek_for_prev(it, (const char *) seek, sizeof(seek));
		 rocksdb_iter_valid(it); rocksdb_iter_prev(it))
	{
		latest_block b;
		size_t		klen;
		bool		in_range;
		int64_t		floor = *found && known > sc->lo ? known : sc->lo;

		b.k = (const uint8_t *) rocksdb_iter_key(it, &klen);
		if (klen != PS_BLOCK_KEY_LEN || memcmp(b.k, prefix, sizeof(prefix)) != 0)
			break;
		ps_block_key_decode(b.k, &b.bk);
		/* This block and all before it end before floor. */
		if (b.bk.first_time < ps_time_back(floor, sc->span))
			break;
		if (sc->ninflight > 0 && ps_scan_in_flight(sc, b.bk.seq))
			continue;
		if ((rc = peek_block(sc, &b, &in_range, err)) != PS_OK)
			return rc;
		if (!in_range || (*found && (b.mx < sc->hi ? b.mx : sc->hi) < known))
			continue;
		if ((rc = ps_scan_add_block(sc, b.k, &b.bk, b.v, b.vlen, b.rows, b.mn, b.mx, err)) != PS_OK)
			return rc;
		if (b.mx <= sc->hi || b.mn >= sc->lo)
		{
			int64_t		t = b.mx <= sc->hi ? b.mx : b.mn;

			if (!*found || t > known)
				known = t;
			*found = true;
		}
	}
	return ps_scan_iter_status(it, err);
}

/* The same for the oldest row: blocks from the first that may reach lo on. */
static ps_status
collect_oldest(ps_scan *sc, int32_t p, uint32_t s, bool *found, ps_error *err)
{
	rocksdb_iterator_t *it = sc->meta_it;
	uint8_t		seek[20];
	int64_t		known = 0;		/* the oldest row known in range, once *found */
	ps_status	rc;

	*found = false;
	ps_block_key_seek(seek, sc->table_id, p, s, ps_time_back(sc->lo, sc->span));
	for (rocksdb_iter_seek(it, (const char *) seek, sizeof(seek));
		 rocksdb_iter_valid(it); rocksdb_iter_next(it))
	{
		latest_block b;
		size_t		klen;
		bool		in_range;
		int64_t		ceiling = *found && known < sc->hi ? known : sc->hi;

		b.k = (const uint8_t *) rocksdb_iter_key(it, &klen);
		if (klen != PS_BLOCK_KEY_LEN || memcmp(b.k, seek, 12) != 0)
			break;
		ps_block_key_decode(b.k, &b.bk);
		/* This block and all after it start after ceiling. */
		if (b.bk.first_time > ceiling)
			break;
		if (sc->ninflight > 0 && ps_scan_in_flight(sc, b.bk.seq))
			continue;
		if ((rc = peek_block(sc, &b, &in_range, err)) != PS_OK)
			return rc;
		if (!in_range || (*found && (b.mn > sc->lo ? b.mn : sc->lo) > known))
			continue;
		if ((rc = ps_scan_add_block(sc, b.k, &b.bk, b.v, b.vlen, b.rows, b.mn, b.mx, err)) != PS_OK)
			return rc;
		if (b.mn >= sc->lo || b.mx <= sc->hi)
		{
			int64_t		t = b.mn >= sc->lo ? b.mn : b.mx;

			if (!*found || t < known)
				known = t;
			*found = true;
		}
	}
	return ps_scan_iter_status(it, err);
}

ps_status
ps_scan_latest_collect(ps_scan *sc, int32_t p, ps_error *err)
{
	rocksdb_iterator_t *it = sc->meta_it;
	uint32_t	left = 0, i = 0;
	ps_status	rc = PS_OK;

	/*
	 * The series left and those the partition holds, merged like two sorted
	 * lists: a seek to a series lands on it or on the next one the
	 * partition holds, so series absent from it cost no seek of their own.
	 */
	while (i < sc->nlatest && rc == PS_OK)
	{
		uint32_t	s = sc->latest_series[i];
		uint8_t		seek[12];
		size_t		klen;
		const uint8_t *k;
		ps_block_key bk;
		bool		found;

		ps_block_key_prefix(seek, sc->table_id, p, s, 12);
		rocksdb_iter_seek(it, (const char *) seek, sizeof(seek));
		if (!rocksdb_iter_valid(it))
			break;
		k = (const uint8_t *) rocksdb_iter_key(it, &klen);
		if (klen != PS_BLOCK_KEY_LEN || memcmp(k, seek, 8) != 0)
			break;				/* no series from s on here */
		ps_block_key_decode(k, &bk);
		if (bk.series != s)
		{
			while (i < sc->nlatest && sc->latest_series[i] < bk.series)
				sc->latest_series[left++] = sc->latest_series[i++];
			continue;
		}
		rc = sc->latest > 0 ? collect_newest(sc, p, s, &found, err)
			: collect_oldest(sc, p, s, &found, err);
		if (rc == PS_OK && !found)
			sc->latest_series[left++] = s;
		i++;
	}
	if (rc != PS_OK || (rc = ps_scan_iter_status(it, err)) != PS_OK)
		return rc;
	while (i < sc->nlatest)
		sc->latest_series[left++] = sc->latest_series[i++];
	sc->nlatest = left;
	return PS_OK;
}
