/*
 * ps_frame_agg.c — the AGGREGATE request's own fields (ps_frame.h): bucket,
 * group columns, aggregates, sort keys, offset and limit, after the
 * SCAN_START fields it shares with scans.  Counts are capped and checked
 * against the bytes left before anything is allocated; aggregate codes,
 * sort columns and flags are checked by the owner, which names the bad
 * one.  Linked into the PostgreSQL extension.
 */
#include <stdlib.h>
#include <string.h>

#include "../core/ps_agg.h"
#include "ps_frame_int.h"

ps_status
ps_msg_aggregate_put(ps_buf *b, int64_t bucket_width, int64_t bucket_origin,
					 const char *const *group_by, uint32_t ngroup, const uint8_t *fns,
					 const char *const *columns, const char *const *columns2, uint32_t nitems,
					 const uint32_t *sort_columns, const uint8_t *sort_flags, uint32_t nsort,
					 uint64_t offset, uint64_t limit)
{
	if (ngroup > PS_FRAME_MAX_AGG_GROUPS || nitems == 0 || nitems > PS_FRAME_MAX_AGG_ITEMS ||
		nsort > PS_FRAME_MAX_AGG_SORT)
		return PS_EINVAL;
	if (ps_frame_put_i64(b, bucket_width) != PS_OK ||
		ps_frame_put_i64(b, bucket_origin) != PS_OK ||
		ps_buf_append_varint(b, ngroup) != PS_OK)
		return PS_ENOMEM;
	for (uint32_t g = 0; g < ngroup; g++)
		if (ps_frame_put_str(b, group_by[g]) != PS_OK)
			return PS_ENOMEM;
	if (ps_buf_append_varint(b, nitems) != PS_OK)
		return PS_ENOMEM;
	for (uint32_t i = 0; i < nitems; i++)
	{
		if (ps_buf_append_u8(b, fns[i]) != PS_OK ||
			ps_frame_put_str(b, columns[i] ? columns[i] : "") != PS_OK)
			return PS_ENOMEM;
		if (fns[i] == PS_AGG_SUM_PRODUCT &&
			ps_frame_put_str(b, columns2 && columns2[i] ? columns2[i] : "") != PS_OK)
			return PS_ENOMEM;
	}
	if (ps_buf_append_varint(b, nsort) != PS_OK)
		return PS_ENOMEM;
	for (uint32_t k = 0; k < nsort; k++)
		if (ps_buf_append_u32be(b, sort_columns[k]) != PS_OK ||
			ps_buf_append_u8(b, sort_flags[k]) != PS_OK)
			return PS_ENOMEM;
	if (ps_buf_append_u64be(b, offset) != PS_OK || ps_buf_append_u64be(b, limit) != PS_OK)
		return PS_ENOMEM;
	return PS_OK;
}

ps_status
ps_msg_aggregate_decode(ps_reader *r, ps_msg_scan_open *scan, ps_msg_aggregate *m)
{
	ps_status	st;

	memset(m, 0, sizeof *m);
	if ((st = ps_frame_get_scan_start(r, scan)) != PS_OK)
		return st;
	if (ps_frame_get_i64(r, &m->bucket_width) != PS_OK ||
		ps_frame_get_i64(r, &m->bucket_origin) != PS_OK ||
		ps_frame_get_count(r, MIN_STR, PS_FRAME_MAX_AGG_GROUPS, &m->ngroup) != PS_OK)
		return PS_EPROTO;
	if ((m->group_by = ps_frame_alloc_array(m->ngroup, sizeof(char *))) == NULL)
		return PS_ENOMEM;
	for (uint32_t g = 0; g < m->ngroup; g++)
		if ((st = ps_frame_get_strdup(r, &m->group_by[g])) != PS_OK)
			return st;
	if (ps_frame_get_count(r, 1 + MIN_STR, PS_FRAME_MAX_AGG_ITEMS, &m->nitems) != PS_OK ||
		m->nitems == 0)
		return PS_EPROTO;
	if ((m->fns = ps_frame_alloc_array(m->nitems, 1)) == NULL ||
		(m->columns = ps_frame_alloc_array(m->nitems, sizeof(char *))) == NULL ||
		(m->columns2 = ps_frame_alloc_array(m->nitems, sizeof(char *))) == NULL)
		return PS_ENOMEM;
	for (uint32_t i = 0; i < m->nitems; i++)
	{
		if (ps_frame_get_u8(r, &m->fns[i]) != PS_OK)
			return PS_EPROTO;
		if ((st = ps_frame_get_strdup(r, &m->columns[i])) != PS_OK ||
			(m->fns[i] == PS_AGG_SUM_PRODUCT &&
			 (st = ps_frame_get_strdup(r, &m->columns2[i])) != PS_OK))
			return st;
	}
	if (ps_frame_get_count(r, 4 + 1, PS_FRAME_MAX_AGG_SORT, &m->nsort) != PS_OK)
		return PS_EPROTO;
	if ((m->sort_columns = ps_frame_alloc_array(m->nsort, sizeof(uint32_t))) == NULL ||
		(m->sort_flags = ps_frame_alloc_array(m->nsort, 1)) == NULL)
		return PS_ENOMEM;
	for (uint32_t k = 0; k < m->nsort; k++)
		if (ps_frame_get_u32(r, &m->sort_columns[k]) != PS_OK ||
			ps_frame_get_u8(r, &m->sort_flags[k]) != PS_OK)
			return PS_EPROTO;
	if (ps_frame_get_u64(r, &m->offset) != PS_OK || ps_frame_get_u64(r, &m->limit) != PS_OK)
		return PS_EPROTO;
	return ps_frame_get_end(r);
}

void
ps_msg_aggregate_clear(ps_msg_aggregate *m)
{
	ps_frame_free_strings(m->group_by, m->ngroup);
	ps_frame_free_strings(m->columns, m->nitems);
	ps_frame_free_strings(m->columns2, m->nitems);
	free(m->fns);
	free(m->sort_columns);
	free(m->sort_flags);
	memset(m, 0, sizeof *m);
}
