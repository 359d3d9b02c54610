/*
 * ps_scan_tuples.c — a scan's copies of the series-key tuples of the
 * series it meets: each is copied from the table's dictionary (under the
 * store lock) the first time a block of that series is read, then found
 * again through a small open-addressing table keyed by series id.
 * Tuples live in sc->tuples for the scan's life; offsets stay valid as it
 * grows (they are offsets, not pointers).
 */
#include <stdlib.h>
#include <string.h>

#include "ps_scan_int.h"
#include "ps_series.h"

ps_status
ps_scan_series_tuple(ps_scan *sc, uint32_t series, uint32_t *off, uint32_t *len, ps_error *err)
{
	uint32_t	mask, i;

	if (sc->ntuples * 2 + 2 > sc->ntuple_slots)
	{
		uint32_t	nslots = sc->ntuple_slots ? sc->ntuple_slots * 2 : 64;
		uint32_t   *slots = calloc(nslots, sizeof(*slots));
		uint32_t   *ids = realloc(sc->tuple_ids, (nslots / 2 + 1) * sizeof(uint32_t));
		uint32_t   *offs;

		if (ids)
			sc->tuple_ids = ids;
		offs = realloc(sc->tuple_offs, (nslots / 2 + 2) * sizeof(uint32_t));
		if (offs)
			sc->tuple_offs = offs;
		if (!slots || !ids || !offs)
		{
			free(slots);
			return ps_error_set(err, PS_ENOMEM, "out of memory");
		}
		if (sc->ntuples == 0)
			sc->tuple_offs[0] = 0;
		for (uint32_t t = 0; t < sc->ntuples; t++)
		{
			for (i = (sc->tuple_ids[t] * 2654435761u) & (nslots - 1); slots[i]; i = (i + 1) & (nslots - 1))
				;
			slots[i] = t + 1;
		}
		free(sc->tuple_slots);
		sc->tuple_slots = slots;
		sc->ntuple_slots = nslots;
	}
	mask = sc->ntuple_slots - 1;
	for (i = (series * 2654435761u) & mask; sc->tuple_slots[i]; i = (i + 1) & mask)
	{
		uint32_t	t = sc->tuple_slots[i] - 1;

		if (sc->tuple_ids[t] == series)
		{
			*off = sc->tuple_offs[t];
			*len = sc->tuple_offs[t + 1] - sc->tuple_offs[t];
			return PS_OK;
		}
	}
	{
		ps_table   *t;
		const uint8_t *p;
		size_t		n = 0;
		ps_status	rc = PS_OK;

		pthread_mutex_lock(&sc->st->lock);
		t = ps_table_by_id(sc->st, sc->table_id);
		if (!t || series >= t->dict.n)
			rc = ps_error_set(err, PS_ECORRUPT, "a block names series %u, unknown to table id %u",
							  series, sc->table_id);
		else
		{
			ps_series_dict_tuple(&t->dict, series, &p, &n);
			if (ps_buf_append(&sc->tuples, p, n) != PS_OK)
				rc = ps_error_set(err, PS_ENOMEM, "out of memory");
		}
		pthread_mutex_unlock(&sc->st->lock);
		if (rc != PS_OK)
			return rc;
		sc->tuple_ids[sc->ntuples] = series;
		sc->tuple_offs[sc->ntuples + 1] = (uint32_t) sc->tuples.len;
		sc->tuple_slots[i] = sc->ntuples + 1;
		*off = sc->tuple_offs[sc->ntuples];
		*len = (uint32_t) n;
		sc->ntuples++;
	}
	return PS_OK;
}
