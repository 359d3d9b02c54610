/*
 * ps_upgrade.h — converting a store of format 1 (Pulsora 0.1: one RocksDB
 * key per row) to format 2 (series-partitioned blocks), in place.
 *
 * The new store is built beside the old one, in DIR/db.upgrade, by loading
 * every committed row of every table through ordinary loads (series keys
 * are inferred as for a new table; dedup tables stay dedup).  Only when it
 * is complete are DIR/db and DIR/db.upgrade exchanged in one atomic rename
 * (renameat2 RENAME_EXCHANGE), and the old store removed.  So after a crash
 * at any moment DIR/db holds either the old store or the new one, never a
 * mix; running the upgrade again finishes the job.  The caller must hold
 * the data directory (no owner may run); the old store's RocksDB lock is
 * taken too, so a 0.1 owner still running makes it fail.
 */
#ifndef PS_UPGRADE_H
#define PS_UPGRADE_H

#include <stdint.h>
#include "ps_error.h"
#include "ps_store.h"

/* Called every PS_UPGRADE_PROGRESS_ROWS rows and at each table's end. */
#define PS_UPGRADE_PROGRESS_ROWS 1000000
typedef void (*ps_upgrade_progress) (void *arg, const char *table, uint64_t rows_done,
									 uint64_t rows_total);

/*
 * Upgrade the store in dir/db.  *upgraded is false when it already was of
 * format 2 (nothing to do, but a leftover of an interrupted run is removed).
 */
ps_status	ps_store_upgrade(const char *dir, const ps_store_options *o, ps_upgrade_progress progress,
							 void *arg, bool *upgraded, ps_error *err);

#endif
