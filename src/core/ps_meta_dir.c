/*
 * ps_meta_dir.c — partition directories (ps_meta_dir.h): building one from
 * a pass over a partition's metadata, and the cache that keeps them.
 *
 * The cache is a short list (a store keeps a few dozen directories at
 * most), each directory found by (table, partition, version) and ordered
 * by last use; a directory replaced or evicted while held is freed by its
 * last release.  What was asked for and not found is remembered in a small
 * ring, so that the second request of a (table, partition, version)
 * builds it: a partition a live load commits into every second changes
 * version faster than it is asked for twice, and keeps its scans' seeks.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "ps_block.h"
#include "ps_buf.h"
#include "ps_meta_dir.h"
#include "ps_store_int.h"

#define ASKED_RING 16

struct ps_meta_dir {
	uint32_t	table_id;
	int32_t		partition;
	uint64_t	version;
	ps_meta_entry *entries;
	size_t		n;
	ps_buf		metas;
	size_t		bytes;
	uint32_t	refs;
	bool		cached;
	uint64_t	last_use;
	ps_meta_dir *next;			/* in the cache's list */
};

typedef struct asked {
	uint32_t	table_id;
	int32_t		partition;
	uint64_t	version;
	bool		used;
} asked;

struct ps_meta_dir_cache {
	pthread_mutex_t lock;
	size_t		budget, max_dir_bytes, bytes, count;
	uint64_t	clock;
	ps_meta_dir *dirs;
	asked		ring[ASKED_RING];
	uint32_t	ring_next;
};

static void
dir_free(ps_meta_dir *d)
{
	if (!d)
		return;
	free(d->entries);
	ps_buf_free(&d->metas);
	free(d);
}

ps_status
ps_meta_dir_cache_new(size_t budget, size_t max_dir_bytes, ps_meta_dir_cache **out, ps_error *err)
{
	ps_meta_dir_cache *c = calloc(1, sizeof(*c));

	*out = NULL;
	if (!c)
		return ps_error_set(err, PS_ENOMEM, "out of memory");
	pthread_mutex_init(&c->lock, NULL);
	c->budget = budget;
	c->max_dir_bytes = max_dir_bytes < budget ? max_dir_bytes : budget;
	*out = c;
	return PS_OK;
}

void
ps_meta_dir_cache_free(ps_meta_dir_cache *c)
{
	if (!c)
		return;
	while (c->dirs)
	{
		ps_meta_dir *d = c->dirs;

		c->dirs = d->next;
		dir_free(d);
	}
	pthread_mutex_destroy(&c->lock);
	free(c);
}

/* Take d out of the list (lock held); freed now unless held. */
static void
unlink_dir(ps_meta_dir_cache *c, ps_meta_dir *d)
{
	for (ps_meta_dir **pp = &c->dirs; *pp; pp = &(*pp)->next)
		if (*pp == d)
		{
			*pp = d->next;
			break;
		}
	c->bytes -= d->bytes;
	c->count--;
	d->cached = false;
	if (d->refs == 0)
		dir_free(d);
}

ps_meta_dir *
ps_meta_dir_get(ps_meta_dir_cache *c, uint32_t table_id, int32_t p, uint64_t version, bool *build)
{
	ps_meta_dir *found = NULL;

	*build = false;
	pthread_mutex_lock(&c->lock);
	for (ps_meta_dir *d = c->dirs; d && !found; d = d->next)
		if (d->table_id == table_id && d->partition == p && d->version == version)
			found = d;
	if (found)
	{
		found->refs++;
		found->last_use = ++c->clock;
	}
	else
	{
		for (uint32_t i = 0; i < ASKED_RING && !*build; i++)
		{
			asked	   *a = &c->ring[i];

			if (a->used && a->table_id == table_id && a->partition == p && a->version == version)
			{
				a->used = false;
				*build = true;
			}
		}
		if (!*build)
		{
			c->ring[c->ring_next] = (asked) {table_id, p, version, true};
			c->ring_next = (c->ring_next + 1) % ASKED_RING;
		}
	}
	pthread_mutex_unlock(&c->lock);
	return found;
}

static bool
in_flight(const uint32_t *inflight, uint32_t n, uint32_t seq)
{
	for (uint32_t i = 0; i < n; i++)
		if (inflight[i] == seq)
			return true;
	return false;
}

/* Read partition p's committed blocks from it into d; false (PS_OK) past max_bytes. */
static ps_status
read_partition(rocksdb_iterator_t *it, ps_meta_dir *d, const uint32_t *inflight, uint32_t ninflight,
			   size_t max_bytes, bool *fits, ps_error *err)
{
	uint8_t		prefix[8];
	size_t		cap = 0;
	char	   *rerr = NULL;

	*fits = true;
	ps_block_key_prefix(prefix, d->table_id, d->partition, 0, 8);
	for (rocksdb_iter_seek(it, (const char *) prefix, sizeof(prefix)); rocksdb_iter_valid(it);
		 rocksdb_iter_next(it))
	{
		size_t		klen, vlen;
		const uint8_t *k = (const uint8_t *) rocksdb_iter_key(it, &klen);
		const char *v;
		ps_meta_entry *e;

		if (klen != PS_BLOCK_KEY_LEN || memcmp(k, prefix, sizeof(prefix)) != 0)
			break;
		v = rocksdb_iter_value(it, &vlen);
		if (d->n == cap)
		{
			size_t		ncap = cap ? cap * 2 : 256;
			ps_meta_entry *ne = realloc(d->entries, ncap * sizeof(*ne));

			if (!ne)
				return ps_error_set(err, PS_ENOMEM, "out of memory");
			d->entries = ne;
			cap = ncap;
		}
		e = &d->entries[d->n];
		memcpy(e->key, k, PS_BLOCK_KEY_LEN);
		ps_block_key_decode(k, &e->bk);
		if (in_flight(inflight, ninflight, e->bk.seq))
			continue;
		if (ps_block_meta_peek(v, vlen, &e->rows, &e->min_time, &e->max_time) != PS_OK)
			return ps_error_set(err, PS_ECORRUPT, "corrupt block metadata in table id %u",
								d->table_id);
		if (d->metas.len + vlen > UINT32_MAX)
			return ps_error_set(err, PS_ETOOBIG, "block metadata of a partition exceeds 4 GB");
		e->meta_off = (uint32_t) d->metas.len;
		e->meta_len = (uint32_t) vlen;
		if (ps_buf_append(&d->metas, v, vlen) != PS_OK)
			return ps_error_set(err, PS_ENOMEM, "out of memory");
		d->n++;
		d->bytes = sizeof(*d) + cap * sizeof(ps_meta_entry) + d->metas.cap;
		if (d->bytes > max_bytes)
		{
			*fits = false;
			return PS_OK;
		}
	}
	rocksdb_iter_get_error(it, &rerr);
	return rerr ? ps_rocks_error(err, rerr, "scan failed") : PS_OK;
}

/* Make room for d and list it (lock held); false when it does not fit beside held ones. */
static bool
enter(ps_meta_dir_cache *c, ps_meta_dir *d)
{
	for (ps_meta_dir *o = c->dirs; o; o = o->next)
		if (o->table_id == d->table_id && o->partition == d->partition)
		{
			unlink_dir(c, o);	/* an older version, or a twin built meanwhile */
			break;
		}
	while (c->bytes + d->bytes > c->budget)
	{
		ps_meta_dir *victim = NULL;

		for (ps_meta_dir *o = c->dirs; o; o = o->next)
			if (o->refs == 0 && (!victim || o->last_use < victim->last_use))
				victim = o;
		if (!victim)
			return false;
		unlink_dir(c, victim);
	}
	d->next = c->dirs;
	c->dirs = d;
	c->bytes += d->bytes;
	c->count++;
	d->cached = true;
	d->last_use = ++c->clock;
	return true;
}

ps_status
ps_meta_dir_build(ps_meta_dir_cache *c, rocksdb_iterator_t *it, uint32_t table_id, int32_t p,
				  uint64_t version, const uint32_t *inflight, uint32_t ninflight,
				  ps_meta_dir **out, ps_error *err)
{
	ps_meta_dir *d = calloc(1, sizeof(*d));
	bool		fits;
	ps_status	rc;

	*out = NULL;
	if (!d)
		return ps_error_set(err, PS_ENOMEM, "out of memory");
	d->table_id = table_id;
	d->partition = p;
	d->version = version;
	d->refs = 1;
	if ((rc = read_partition(it, d, inflight, ninflight, c->max_dir_bytes, &fits, err)) != PS_OK ||
		!fits)
	{
		dir_free(d);
		return rc;
	}
	pthread_mutex_lock(&c->lock);
	(void) enter(c, d);			/* if it does not fit, it serves this scan alone */
	pthread_mutex_unlock(&c->lock);
	*out = d;
	return PS_OK;
}

void
ps_meta_dir_release(ps_meta_dir_cache *c, ps_meta_dir *d)
{
	if (!d)
		return;
	pthread_mutex_lock(&c->lock);
	if (--d->refs == 0 && !d->cached)
		dir_free(d);
	pthread_mutex_unlock(&c->lock);
}

const ps_meta_entry *
ps_meta_dir_entries(const ps_meta_dir *d, size_t *n)
{
	*n = d->n;
	return d->entries;
}

size_t
ps_meta_dir_lower_bound(const ps_meta_dir *d, const uint8_t seek[20])
{
	size_t		lo = 0, hi = d->n;

	while (lo < hi)
	{
		size_t		mid = lo + (hi - lo) / 2;

		if (memcmp(d->entries[mid].key, seek, 20) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

const char *
ps_meta_dir_meta(const ps_meta_dir *d, const ps_meta_entry *e)
{
	return (const char *) d->metas.data + e->meta_off;
}

void
ps_meta_dir_cache_stats(ps_meta_dir_cache *c, size_t *count, size_t *bytes)
{
	pthread_mutex_lock(&c->lock);
	*count = c->count;
	*bytes = c->bytes;
	pthread_mutex_unlock(&c->lock);
}
