/*
 * ps_series_dict.c — a table's series dictionary: key tuples (ps_series.h)
 * to u32 ids and back.  In memory an open-addressing hash over an array of
 * tuples; on disk one catalog entry per id ("S" + table + id -> tuple),
 * written as soon as an id is made, before any block can name it, and
 * rewritten with its committed flag by the first commit that uses it (see
 * ps_store_int.h).  Ids are dense (0..n-1) and never reused while the table
 * lives.
 */
#include <stdlib.h>
#include <string.h>

#include "ps_store_int.h"

static uint64_t
tuple_hash(const void *p, size_t n)
{
	const uint8_t *s = p;
	uint64_t	h = UINT64_C(0xcbf29ce484222325);	/* FNV-1a */

	for (size_t i = 0; i < n; i++)
		h = (h ^ s[i]) * UINT64_C(0x100000001b3);
	return h ^ (h >> 29);
}

void
ps_series_dict_clear(ps_series_dict *d)
{
	free(d->offs);
	free(d->committed);
	free(d->slots);
	ps_buf_free(&d->bytes);
	memset(d, 0, sizeof(*d));
}

void
ps_series_dict_tuple(const ps_series_dict *d, uint32_t id, const uint8_t **p, size_t *len)
{
	/* Empty tuples (tables without a key) leave bytes unallocated. */
	*p = d->bytes.data ? d->bytes.data + d->offs[id] : (const uint8_t *) "";
	*len = d->offs[id + 1] - d->offs[id];
}

uint32_t
ps_series_dict_find(const ps_series_dict *d, const void *tuple, size_t len)
{
	uint32_t	mask = d->nslots - 1;

	if (d->nslots == 0)
		return UINT32_MAX;
	for (uint32_t i = (uint32_t) tuple_hash(tuple, len) & mask;; i = (i + 1) & mask)
	{
		uint32_t	id = d->slots[i];
		const uint8_t *p;
		size_t		n;

		if (id == 0)
			return UINT32_MAX;
		ps_series_dict_tuple(d, id - 1, &p, &n);
		if (n == len && (len == 0 || memcmp(p, tuple, len) == 0))
			return id - 1;
	}
}

static void
slot_insert(uint32_t *slots, uint32_t nslots, uint64_t hash, uint32_t id)
{
	uint32_t	mask = nslots - 1;
	uint32_t	i = (uint32_t) hash & mask;

	while (slots[i] != 0)
		i = (i + 1) & mask;
	slots[i] = id + 1;
}

ps_status
ps_series_dict_add(ps_series_dict *d, const void *tuple, size_t len, bool committed,
				   ps_error *err)
{
	if (d->n == UINT32_MAX - 1)
		return ps_error_set(err, PS_ETOOBIG, "too many series in one table");
	if (d->n + 2 > d->cap)
	{
		uint32_t	cap = d->cap ? d->cap * 2 : 64;
		uint32_t   *offs = realloc(d->offs, (size_t) cap * sizeof(*offs));
		uint8_t    *flags;

		if (!offs)
			return ps_error_set(err, PS_ENOMEM, "out of memory");
		if (d->cap == 0)
			offs[0] = 0;
		d->offs = offs;
		if (!(flags = realloc(d->committed, cap)))
			return ps_error_set(err, PS_ENOMEM, "out of memory");
		d->committed = flags;
		d->cap = cap;
	}
	if ((uint64_t) d->n * 2 + 2 > d->nslots)
	{
		uint32_t	nslots = d->nslots ? d->nslots * 2 : 128;
		uint32_t   *slots = calloc(nslots, sizeof(*slots));

		if (!slots)
			return ps_error_set(err, PS_ENOMEM, "out of memory");
		for (uint32_t id = 0; id < d->n; id++)
		{
			const uint8_t *p;
			size_t		n;

			ps_series_dict_tuple(d, id, &p, &n);
			slot_insert(slots, nslots, tuple_hash(p, n), id);
		}
		free(d->slots);
		d->slots = slots;
		d->nslots = nslots;
	}
	if (d->bytes.len + len > UINT32_MAX || (len > 0 && ps_buf_append(&d->bytes, tuple, len) != PS_OK))
		return ps_error_set(err, PS_ENOMEM, "out of memory");
	d->offs[d->n + 1] = (uint32_t) d->bytes.len;
	d->committed[d->n] = committed ? 1 : 0;
	d->ncommitted += committed ? 1 : 0;
	slot_insert(d->slots, d->nslots, tuple_hash(tuple, len), d->n);
	d->n++;
	return PS_OK;
}

static void
put_entry(ps_store *st, rocksdb_writebatch_t *wb, uint32_t table_id, uint32_t id, bool committed,
		  const uint8_t *tuple, size_t len)
{
	uint8_t		k[9];
	size_t		parts_len[2] = {1, len};
	const char *parts[2] = {committed ? "\1" : "\0", (const char *) tuple};

	ps_series_dict_catalog_key(k, table_id, id);
	rocksdb_writebatch_putv_cf(wb, st->cf_catalog, 1, (const char *const[]) {(const char *) k},
							   (const size_t[]) {sizeof(k)}, 2, parts, parts_len);
}

void
ps_series_dict_commit_put(ps_store *st, rocksdb_writebatch_t *wb, const ps_table *t, uint32_t id,
						  bool *newly)
{
	const uint8_t *p;
	size_t		n;

	*newly = id < t->dict.n && !t->dict.committed[id];
	if (!*newly)
		return;
	ps_series_dict_tuple(&t->dict, id, &p, &n);
	put_entry(st, wb, t->id, id, true, p, n);
}

void
ps_series_dict_committed(ps_series_dict *d, uint32_t id)
{
	if (id < d->n && !d->committed[id])
	{
		d->committed[id] = 1;
		d->ncommitted++;
	}
}

void
ps_series_dict_catalog_key(uint8_t k[9], uint32_t table_id, uint32_t id)
{
	k[0] = 'S';
	ps_put_u32be(k + 1, table_id);
	ps_put_u32be(k + 5, id);
}

ps_status
ps_series_dict_intern(ps_store *st, ps_table *t, const void *tuple, size_t len, uint32_t *id,
					  ps_error *err)
{
	ps_status	rc = PS_OK;

	pthread_mutex_lock(&st->lock);
	*id = ps_series_dict_find(&t->dict, tuple, len);
	if (*id == UINT32_MAX)
	{
		rocksdb_writebatch_t *wb = rocksdb_writebatch_create();

		put_entry(st, wb, t->id, t->dict.n, false, tuple, len);
		rc = ps_store_write(st, st->wo_rows, wb, err);
		rocksdb_writebatch_destroy(wb);
		if (rc == PS_OK)
		{
			*id = t->dict.n;
			rc = ps_series_dict_add(&t->dict, tuple, len, false, err);
		}
	}
	pthread_mutex_unlock(&st->lock);
	return rc;
}
