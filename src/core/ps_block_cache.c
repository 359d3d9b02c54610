/*
 * ps_block_cache.c — the shared cache of decoded blocks (ps_block_cache.h).
 *
 * A chained hash table of entries by block key, and a doubly linked LRU
 * list of the entries in the table (most recent at the head).  An entry
 * leaves the table when it is evicted or replaced; it is freed then if
 * nobody holds it, else by its last release.  Invariants: `bytes` counts
 * the entries in the table; an entry is in the LRU list exactly when it is
 * in the table; `refs` counts holders.
 */
#include "ps_block_cache.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

struct ps_cached_block {
	uint8_t		key[PS_BLOCK_KEY_LEN];
	ps_block_reader *r;
	bool	   *want;			/* ncols: the columns decoded */
	uint32_t	ncols;
	size_t		bytes;
	uint32_t	refs;
	bool		in_table;
	ps_cached_block *chain;		/* next in the bucket */
	ps_cached_block *newer, *older;	/* LRU list */
};

struct ps_block_cache {
	pthread_mutex_t lock;
	size_t		budget, bytes;
	ps_cached_block **buckets;
	size_t		nbuckets;		/* a power of two */
	ps_cached_block *newest, *oldest;
};

/* Buckets per budget: about one per 32 KiB cached (a 6-column block is ~50 KiB). */
#define BYTES_PER_BUCKET (32u * 1024)

static size_t
bucket_of(const ps_block_cache *c, const uint8_t *key)
{
	uint64_t	h = 1469598103934665603ull;	/* FNV-1a */

	for (int i = 0; i < PS_BLOCK_KEY_LEN; i++)
		h = (h ^ key[i]) * 1099511628211ull;
	return (size_t) (h ^ (h >> 29)) & (c->nbuckets - 1);
}

ps_status
ps_block_cache_new(size_t max_bytes, ps_block_cache **out, ps_error *err)
{
	ps_block_cache *c = calloc(1, sizeof(*c));
	size_t		n = 64;

	*out = NULL;
	while (n < max_bytes / BYTES_PER_BUCKET && n < ((size_t) 1 << 24))
		n *= 2;
	if (!c || !(c->buckets = calloc(n, sizeof(*c->buckets))))
	{
		free(c);
		return ps_error_set(err, PS_ENOMEM, "out of memory for the block cache");
	}
	pthread_mutex_init(&c->lock, NULL);
	c->nbuckets = n;
	c->budget = max_bytes;
	*out = c;
	return PS_OK;
}

static void
entry_free(ps_cached_block *e)
{
	ps_block_reader_free(e->r);
	free(e->want);
	free(e);
}

void
ps_block_cache_free(ps_block_cache *c)
{
	if (!c)
		return;
	for (ps_cached_block *e = c->newest, *next; e; e = next)
	{
		next = e->older;
		entry_free(e);
	}
	pthread_mutex_destroy(&c->lock);
	free(c->buckets);
	free(c);
}

static void
lru_unlink(ps_block_cache *c, ps_cached_block *e)
{
	if (e->newer)
		e->newer->older = e->older;
	else
		c->newest = e->older;
	if (e->older)
		e->older->newer = e->newer;
	else
		c->oldest = e->newer;
	e->newer = e->older = NULL;
}

static void
lru_push(ps_block_cache *c, ps_cached_block *e)
{
	e->older = c->newest;
	e->newer = NULL;
	if (c->newest)
		c->newest->newer = e;
	else
		c->oldest = e;
	c->newest = e;
}

/* Take e out of the table and the list; free it unless held.  Lock held. */
static void
remove_entry(ps_block_cache *c, ps_cached_block *e)
{
	ps_cached_block **p = &c->buckets[bucket_of(c, e->key)];

	while (*p != e)
		p = &(*p)->chain;
	*p = e->chain;
	lru_unlink(c, e);
	e->in_table = false;
	c->bytes -= e->bytes;
	if (e->refs == 0)
		entry_free(e);
}

static ps_cached_block *
find(ps_block_cache *c, const uint8_t *key)
{
	for (ps_cached_block *e = c->buckets[bucket_of(c, key)]; e; e = e->chain)
		if (memcmp(e->key, key, PS_BLOCK_KEY_LEN) == 0)
			return e;
	return NULL;
}

static bool
covers(const ps_cached_block *e, const bool *want, uint32_t ncols)
{
	for (uint32_t k = 0; k < ncols; k++)
		if (want[k] && (k >= e->ncols || !e->want[k]))
			return false;
	return true;
}

ps_cached_block *
ps_block_cache_get(ps_block_cache *c, const uint8_t *key, const bool *want, uint32_t ncols)
{
	ps_cached_block *e;

	pthread_mutex_lock(&c->lock);
	e = find(c, key);
	if (e && covers(e, want, ncols))
	{
		e->refs++;
		lru_unlink(c, e);
		lru_push(c, e);
	}
	else
		e = NULL;
	pthread_mutex_unlock(&c->lock);
	return e;
}

ps_cached_block *
ps_block_cache_put(ps_block_cache *c, const uint8_t *key, ps_block_reader *r, const bool *want,
				   uint32_t ncols)
{
	ps_cached_block *e = calloc(1, sizeof(*e)), *old;
	size_t		b;

	if (!e || !(e->want = malloc(ncols ? ncols : 1)))
	{
		free(e);
		ps_block_reader_free(r);
		return NULL;
	}
	memcpy(e->key, key, PS_BLOCK_KEY_LEN);
	memcpy(e->want, want, ncols);
	e->ncols = ncols;
	e->r = r;
	e->bytes = ps_block_reader_bytes(r) + sizeof(*e) + ncols;
	e->refs = 1;
	pthread_mutex_lock(&c->lock);
	if ((old = find(c, key)) != NULL)
		remove_entry(c, old);
	/* Make room, oldest first, past entries in use. */
	for (ps_cached_block *v = c->oldest, *newer; v && c->bytes + e->bytes > c->budget; v = newer)
	{
		newer = v->newer;
		if (v->refs == 0)
			remove_entry(c, v);
	}
	b = bucket_of(c, key);
	e->chain = c->buckets[b];
	c->buckets[b] = e;
	e->in_table = true;
	lru_push(c, e);
	c->bytes += e->bytes;
	pthread_mutex_unlock(&c->lock);
	return e;
}

const ps_block_reader *
ps_cached_block_reader(const ps_cached_block *e)
{
	return e->r;
}

void
ps_block_cache_release(ps_block_cache *c, ps_cached_block *e)
{
	bool		gone;

	if (!e)
		return;
	pthread_mutex_lock(&c->lock);
	gone = --e->refs == 0 && !e->in_table;
	/* Over budget (entries were held when it was made): evict what is free now. */
	for (ps_cached_block *v = c->oldest, *newer; v && c->bytes > c->budget; v = newer)
	{
		newer = v->newer;
		if (v->refs == 0)
			remove_entry(c, v);
	}
	pthread_mutex_unlock(&c->lock);
	if (gone)
		entry_free(e);
}

size_t
ps_block_cache_bytes(ps_block_cache *c)
{
	size_t		n;

	pthread_mutex_lock(&c->lock);
	n = c->bytes;
	pthread_mutex_unlock(&c->lock);
	return n;
}

size_t
ps_block_cache_budget(const ps_block_cache *c)
{
	return c->budget;
}
