/*
 * ps_key.h — keys of blocks (column families "data" and "meta") in store
 * format 2.
 *
 * Key (PS_BLOCK_KEY_LEN = 28 bytes, all big-endian):
 *   table id u32 | partition i32 (sign bit flipped) | series id u32
 *   | first time i64 ns (sign bit flipped) | load sequence u32 | block number u32
 * so memcmp order is (table, partition, series, first time, load, block):
 * a table's blocks sort by time partition (a UTC day), then by series, then
 * by time.  The block number, unique within a load, keeps two blocks of one
 * load that start at the same time apart.  A block never spans partitions.
 */
#ifndef PS_KEY_H
#define PS_KEY_H

#include <stdint.h>

#define PS_BLOCK_KEY_LEN 28
#define PS_PARTITION_NS INT64_C(86400000000000)	/* one UTC day */

typedef struct ps_block_key {
	uint32_t	table_id;
	int32_t		partition;
	uint32_t	series;
	int64_t		first_time;
	uint32_t	seq;
	uint32_t	block_no;
} ps_block_key;

/* The partition (UTC day number, floored) of a time. */
static inline int32_t
ps_partition_of(int64_t time_ns)
{
	int64_t		q = time_ns / PS_PARTITION_NS;

	return (int32_t) (time_ns % PS_PARTITION_NS < 0 ? q - 1 : q);
}

/* First nanosecond of a partition (saturating at INT64_MIN and INT64_MAX). */
int64_t		ps_partition_start(int32_t partition);

/* last - first, saturating at INT64_MAX (times may span more than int64). */
static inline int64_t
ps_time_span(int64_t first, int64_t last)
{
	uint64_t	d = (uint64_t) last - (uint64_t) first;

	return d > (uint64_t) INT64_MAX ? INT64_MAX : (int64_t) d;
}

/* t - d for d >= 0, saturating at INT64_MIN. */
static inline int64_t
ps_time_back(int64_t t, int64_t d)
{
	return t < INT64_MIN + d ? INT64_MIN : t - d;
}

void		ps_block_key_encode(uint8_t out[PS_BLOCK_KEY_LEN], const ps_block_key *k);
void		ps_block_key_decode(const uint8_t in[PS_BLOCK_KEY_LEN], ps_block_key *k);
/*
 * The first n bytes of a key: 4 (table), 8 (table, partition) or 12 (table,
 * partition, series), for range bounds.  Returns n.
 */
int			ps_block_key_prefix(uint8_t *out, uint32_t table_id, int32_t partition, uint32_t series,
								int n);
/*
 * The 8 bytes every key of partitions after p (of the same table) is at or
 * above: (table, p + 1), or (table + 1, 0) for the last partition.
 */
void		ps_block_key_partition_end(uint8_t out[8], uint32_t table_id, int32_t partition);
/* The 20-byte prefix (table, partition, series, first time): where a seek for time starts. */
void		ps_block_key_seek(uint8_t out[20], uint32_t table_id, int32_t partition, uint32_t series,
							  int64_t first_time);

#endif
