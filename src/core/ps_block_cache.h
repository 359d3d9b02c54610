/*
 * ps_block_cache.h — decoded blocks shared by the scans of one store, so
 * that the blocks queries keep coming back to (the newest of each series,
 * a dashboard's window) are decoded once, not once per query.
 *
 * Entries are found by block key.  That is sound because a key's block
 * never changes: loads, merges and deletes write blocks under keys of a
 * load sequence never used before (ps_delete.c rewrites edge blocks under
 * a new sequence too), and a dropped table's id is never reused.  Only
 * committed blocks reach the cache, as scans skip blocks of loads in
 * flight.  An entry holds the columns its decode wanted; a lookup wanting
 * a column the entry lacks misses, and the new decode replaces the entry.
 *
 * Memory: entries' bytes (ps_block_reader_bytes) are kept under the
 * cache's budget by evicting the least recently used entries nobody holds;
 * an entry in use is freed when its last holder releases it.
 *
 * Thread safety: every function may be called from any thread; one mutex
 * guards the table and the LRU list (a lookup or release is a few hash
 * probes under it).  Ownership: ps_block_cache_put takes the reader; a
 * held entry's reader is read-only and valid until its release.
 */
#ifndef PS_BLOCK_CACHE_H
#define PS_BLOCK_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ps_block.h"
#include "ps_error.h"
#include "ps_key.h"

typedef struct ps_block_cache ps_block_cache;
typedef struct ps_cached_block ps_cached_block;

/* A cache of at most max_bytes of decoded blocks (> 0). */
ps_status	ps_block_cache_new(size_t max_bytes, ps_block_cache **out, ps_error *err);
/* Frees every entry; none may be held any more.  NULL ok. */
void		ps_block_cache_free(ps_block_cache *c);

/*
 * The entry of key holding at least the columns k with want[k] (k <
 * ncols), held for the caller, or NULL.
 */
ps_cached_block *ps_block_cache_get(ps_block_cache *c, const uint8_t *key, const bool *want,
									uint32_t ncols);
/*
 * Enter r, decoded from key's block with want[0..ncols), in place of any
 * entry of key, and hold it for the caller (NULL when out of memory: r is
 * then freed).  Takes r.
 */
ps_cached_block *ps_block_cache_put(ps_block_cache *c, const uint8_t *key, ps_block_reader *r,
									const bool *want, uint32_t ncols);
const ps_block_reader *ps_cached_block_reader(const ps_cached_block *e);
/* Let go of an entry got or put.  NULL ok. */
void		ps_block_cache_release(ps_block_cache *c, ps_cached_block *e);

/* Bytes of the entries now cached, and the budget. */
size_t		ps_block_cache_bytes(ps_block_cache *c);
size_t		ps_block_cache_budget(const ps_block_cache *c);

#endif
