/*
 * ps_meta_dir.h — partition directories: the block keys and metadata of
 * one time partition of one table, held in memory so that scans that come
 * back to a partition (the newest rows of every series, a dashboard's
 * window) find its blocks by binary search instead of one RocksDB seek per
 * series (ps_scan.c).
 *
 * Versions.  Every change of which blocks of a table are visible (a load's
 * commit or rollback, a merge run, a delete_range, the table's creation)
 * gives the table a new meta version, from a store-wide clock, under the
 * store lock and with the change (ps_table_meta_changed); a scan records
 * its table's version with its snapshot, under the same lock.  A directory
 * lists the committed blocks of its partition at one version: built from
 * the snapshot of a scan at that version, minus the blocks of loads in
 * flight for that scan.  Every scan at that version sees exactly those
 * blocks as committed (blocks of loads in flight become visible only with
 * a commit, which moves the version), so it may use the directory whoever
 * built it; scans at another version never find it.  A dropped table's id
 * is never reused, and versions never repeat.
 *
 * Building costs one pass over the partition's metadata, more than the
 * seeks of one scan, so a directory is built only when a scan asks for
 * a (table, partition, version) asked for before (ps_meta_dir_get's
 * *build), and never for a partition whose metadata exceeds the per
 * directory bound.  Memory: the directories' bytes stay under the cache's
 * budget by evicting the least recently used ones nobody holds.
 *
 * Thread safety: any thread; one mutex guards the cache.  Ownership: a
 * held directory is read-only and valid until its release.
 */
#ifndef PS_META_DIR_H
#define PS_META_DIR_H

#include <rocksdb/c.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ps_error.h"
#include "ps_key.h"

typedef struct ps_meta_dir_cache ps_meta_dir_cache;
typedef struct ps_meta_dir ps_meta_dir;

/* One block of a directory. */
typedef struct ps_meta_entry {
	uint8_t		key[PS_BLOCK_KEY_LEN];
	ps_block_key bk;
	uint32_t	rows;
	int64_t		min_time, max_time;
	uint32_t	meta_off, meta_len;	/* its metadata (ps_meta_dir_meta) */
} ps_meta_entry;

/* A cache of at most budget bytes of directories, each at most max_dir_bytes. */
ps_status	ps_meta_dir_cache_new(size_t budget, size_t max_dir_bytes, ps_meta_dir_cache **out,
								  ps_error *err);
/* Frees every directory; none may be held any more.  NULL ok. */
void		ps_meta_dir_cache_free(ps_meta_dir_cache *c);

/*
 * The directory of partition p of table_id at version, held for the
 * caller, or NULL; then *build says whether the caller should build it
 * (this is the second time it is asked for).
 */
ps_meta_dir *ps_meta_dir_get(ps_meta_dir_cache *c, uint32_t table_id, int32_t p, uint64_t version,
							 bool *build);
/*
 * Build the directory of partition p of table_id at version from it, an
 * iterator of the meta column family under a snapshot of that version,
 * leaving out blocks whose load sequence is in inflight[0..ninflight);
 * enter it in the cache if it fits, and hold it for the caller (*out; NULL
 * with PS_OK when the partition's metadata exceeds the per-directory
 * bound).  Moves it.
 */
ps_status	ps_meta_dir_build(ps_meta_dir_cache *c, rocksdb_iterator_t *it, uint32_t table_id,
							  int32_t p, uint64_t version, const uint32_t *inflight,
							  uint32_t ninflight, ps_meta_dir **out, ps_error *err);
/* Let go of a directory got or built.  NULL ok. */
void		ps_meta_dir_release(ps_meta_dir_cache *c, ps_meta_dir *d);

/* Its blocks, in key order. */
const ps_meta_entry *ps_meta_dir_entries(const ps_meta_dir *d, size_t *n);
/* The index of its first block whose key is at or after the 20-byte seek key (n: none). */
size_t		ps_meta_dir_lower_bound(const ps_meta_dir *d, const uint8_t seek[20]);
/* The metadata bytes of entry e. */
const char *ps_meta_dir_meta(const ps_meta_dir *d, const ps_meta_entry *e);

/* Directories cached and their bytes (for tests and /metrics). */
void		ps_meta_dir_cache_stats(ps_meta_dir_cache *c, size_t *count, size_t *bytes);

#endif
