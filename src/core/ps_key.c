/*
 * ps_key.c — the byte form of block keys (ps_key.h).
 */
#include "ps_key.h"

static void
put_u32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t) (v >> 24);
	p[1] = (uint8_t) (v >> 16);
	p[2] = (uint8_t) (v >> 8);
	p[3] = (uint8_t) v;
}

static uint32_t
get_u32(const uint8_t *p)
{
	return ((uint32_t) p[0] << 24) | ((uint32_t) p[1] << 16) | ((uint32_t) p[2] << 8) | p[3];
}

int64_t
ps_partition_start(int32_t partition)
{
	if ((int64_t) partition < INT64_MIN / PS_PARTITION_NS)
		return INT64_MIN;
	if ((int64_t) partition > INT64_MAX / PS_PARTITION_NS)
		return INT64_MAX;
	return (int64_t) partition * PS_PARTITION_NS;
}

void
ps_block_key_encode(uint8_t out[PS_BLOCK_KEY_LEN], const ps_block_key *k)
{
	uint64_t	t = (uint64_t) k->first_time ^ (UINT64_C(1) << 63);

	put_u32(out, k->table_id);
	put_u32(out + 4, (uint32_t) k->partition ^ UINT32_C(0x80000000));
	put_u32(out + 8, k->series);
	put_u32(out + 12, (uint32_t) (t >> 32));
	put_u32(out + 16, (uint32_t) t);
	put_u32(out + 20, k->seq);
	put_u32(out + 24, k->block_no);
}

void
ps_block_key_decode(const uint8_t in[PS_BLOCK_KEY_LEN], ps_block_key *k)
{
	uint64_t	t = ((uint64_t) get_u32(in + 12) << 32) | get_u32(in + 16);

	k->table_id = get_u32(in);
	k->partition = (int32_t) (get_u32(in + 4) ^ UINT32_C(0x80000000));
	k->series = get_u32(in + 8);
	k->first_time = (int64_t) (t ^ (UINT64_C(1) << 63));
	k->seq = get_u32(in + 20);
	k->block_no = get_u32(in + 24);
}

void
ps_block_key_partition_end(uint8_t out[8], uint32_t table_id, int32_t partition)
{
	if (partition == INT32_MAX)
	{
		put_u32(out, table_id + 1);	/* table ids stay below UINT32_MAX */
		put_u32(out + 4, 0);
	}
	else
		ps_block_key_prefix(out, table_id, partition + 1, 0, 8);
}

void
ps_block_key_seek(uint8_t out[20], uint32_t table_id, int32_t partition, uint32_t series,
				  int64_t first_time)
{
	uint64_t	t = (uint64_t) first_time ^ (UINT64_C(1) << 63);

	ps_block_key_prefix(out, table_id, partition, series, 12);
	put_u32(out + 12, (uint32_t) (t >> 32));
	put_u32(out + 16, (uint32_t) t);
}

int
ps_block_key_prefix(uint8_t *out, uint32_t table_id, int32_t partition, uint32_t series, int n)
{
	put_u32(out, table_id);
	if (n >= 8)
		put_u32(out + 4, (uint32_t) partition ^ UINT32_C(0x80000000));
	if (n >= 12)
		put_u32(out + 8, series);
	return n;
}
