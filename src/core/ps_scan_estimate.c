/*
 * ps_scan_estimate.c — how many rows a scan would return, from block
 * metadata alone (the planner's row estimates for series filters).
 *
 * It walks the partitions and blocks a scan would merge (the same choice
 * of blocks, through ps_scan.c) but decodes nothing: each block's row
 * count and time bounds come from its metadata, so the answer is exact for
 * blocks wholly inside the range and prorated by time for the edge blocks.
 * The walk is capped, so planning never pays for a huge range.
 */
#include "ps_scan_int.h"

ps_status
ps_store_estimate(ps_store *st, const ps_scan_spec *spec, uint64_t max_blocks, double *rows,
				  ps_error *err)
{
	ps_scan_spec whole = *spec;
	ps_scan    *sc;
	ps_status	rc;
	uint64_t	nblocks = 0;
	int32_t		p;

	*rows = 0;
	/* The whole range in one slice, every block in key order. */
	whole.limit = 0;
	whole.offset = 0;
	whole.unordered = true;
	if ((rc = ps_scan_open(st, &whole, &sc, err)) != PS_OK)
		return rc;
	for (bool first = true; rc == PS_OK && !sc->finished &&
		 ps_scan_next_partition(sc, first, sc->partition, &p); first = false)
	{
		if ((rc = ps_scan_start_partition(sc, p, err)) != PS_OK)
			break;
		nblocks += sc->nrefs;
		if (nblocks > max_blocks)
		{
			rc = ps_error_set(err, PS_ETOOBIG, "more than %llu blocks to estimate from",
							  (unsigned long long) max_blocks);
			break;
		}
		/* A block partly in the range counts in proportion to its time span there. */
		for (size_t i = 0; i < sc->nrefs; i++)
		{
			const block_ref *ref = &sc->refs[i];
			int64_t		a = ref->min_time > sc->lo ? ref->min_time : sc->lo;
			int64_t		b = ref->max_time < sc->hi ? ref->max_time : sc->hi;

			if (a == ref->min_time && b == ref->max_time)
				*rows += ref->rows;
			else
				*rows += ref->rows * (((double) b - a + 1) / ((double) ref->max_time - ref->min_time + 1));
		}
	}
	if (rc == PS_OK)
		rc = ps_scan_iter_status(sc->meta_it, err);
	ps_scan_close(sc);
	return rc;
}

