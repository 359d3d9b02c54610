/*
 * test_backup.c — ps_store_backup, ps_backup_list and ps_backup_restore on a
 * real store: a backup taken while one load is committed and another is in
 * flight (blocks written, not committed) restores to a store holding the
 * first whole and nothing of the second; names are unique, the listing
 * gives each backup's duration from its marker, backup_keep prunes the
 * oldest, and restore refuses a non-empty target or a directory that is no
 * complete backup, leaving the target as it was.  Also the other figure
 * /metrics reads from the store's files beside the backups: the bytes of
 * each table (ps_store_table_bytes), which count flushed files only.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/ps_store.h"
#include "store_dir.h"

static int
setup(void **state)
{
	*state = fixture_new("ps_test_backup", 100);	/* the in-flight load writes blocks */
	return 0;
}

static ps_load *
begin(fixture *f, const char *table)
{
	const char *names[] = {"ts", "v"};
	ps_type		types[] = {PS_TYPE_TIMESTAMP, PS_TYPE_INTEGER};
	ps_schema  *s = NULL;
	ps_load    *ld = NULL;
	ps_error	err;

	assert_int_equal(ps_schema_new(names, types, 2, 0, &s, &err), PS_OK);
	ps_load_spec spec = {.table = table, .input = s, .series_key = ""};
	assert_int_equal(ps_load_begin(f->st, &spec, &ld, &err), PS_OK);
	ps_schema_free(s);
	return ld;
}

static void
append_rows(ps_load *ld, int64_t t0, int n)
{
	ps_error	err;

	for (int i = 0; i < n; i++)
	{
		ps_value	v[2];

		memset(v, 0, sizeof v);
		v[0].v.i = t0 + i;
		v[1].v.i = i;
		assert_int_equal(ps_load_append(ld, v, &err), PS_OK);
	}
}

/*
 * Load n rows of values that do not compress (splitmix64 of the row
 * number), so a table's size follows its row count, into table; commit.
 */
static void
load_noise(fixture *f, const char *table, int n)
{
	ps_load    *ld = begin(f, table);
	ps_error	err;

	for (int i = 0; i < n; i++)
	{
		uint64_t	z = (uint64_t) i * UINT64_C(0x9E3779B97F4A7C15);
		ps_value	v[2];

		z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
		z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
		memset(v, 0, sizeof v);
		v[0].v.i = (int64_t) i * 1000000;
		v[1].v.i = (int64_t) (z ^ (z >> 31));
		assert_int_equal(ps_load_append(ld, v, &err), PS_OK);
	}
	assert_int_equal(ps_load_commit(ld, &err), PS_OK);
}

static uint32_t
id_of(ps_store *st, const char *table)
{
	ps_table_info info;
	ps_error	err;

	assert_int_equal(ps_store_table_info(st, table, &info, NULL, &err), PS_OK);
	return info.id;
}

static uint64_t
rows_of(ps_store *st, const char *table)
{
	ps_table_info info;
	ps_error	err;

	return ps_store_table_info(st, table, &info, NULL, &err) == PS_OK ? info.row_count : UINT64_MAX;
}

static void
test_backup_restore(void **state)
{
	fixture    *f = *state;
	char		parent[STORE_DIR_MAX + 16], target[STORE_DIR_MAX + 16];
	ps_backup_spec spec = {.parent = parent};
	ps_backup_info b1, b2;
	ps_backup_info *all;
	size_t		n;
	ps_store   *st;
	ps_error	err;
	ps_load    *done = begin(f, "kept"), *open_new = NULL, *open_old = NULL;

	snprintf(parent, sizeof parent, "%s/backups", f->dir);
	snprintf(target, sizeof target, "%s/restored", f->dir);
	append_rows(done, 0, 1000);
	assert_int_equal(ps_load_commit(done, &err), PS_OK);
	open_old = begin(f, "kept");	/* into a committed table */
	append_rows(open_old, 5000, 1000);
	open_new = begin(f, "fresh");	/* creating its table */
	append_rows(open_new, 0, 1000);

	assert_int_equal(ps_store_backup(f->st, &spec, &b1, &err), PS_OK);
	assert_true(b1.bytes > 0);
	assert_non_null(strstr(b1.path, b1.name));
	assert_int_equal(ps_store_backup(f->st, &spec, &b2, &err), PS_OK);
	assert_string_not_equal(b1.name, b2.name);	/* taken within a second: a suffix */
	assert_int_equal(ps_load_commit(open_old, &err), PS_OK);
	ps_load_abort(open_new);

	assert_int_equal(ps_backup_list(parent, &all, &n, &err), PS_OK);
	assert_int_equal(n, 2);
	assert_string_equal(all[0].name, b1.name);
	assert_true(b1.elapsed_ms > 0);
	assert_true(fabs(all[0].elapsed_ms - b1.elapsed_ms) < 0.001);	/* the marker keeps µs */
	assert_int_equal(all[0].created_ns, b1.created_ns);
	free(all);

	assert_int_equal(ps_backup_restore(b1.path, target, &err), PS_OK);
	assert_int_equal(ps_store_open(target, &f->o, &st, &err), PS_OK);
	assert_int_equal(rows_of(st, "kept"), 1000);	/* the in-flight load is gone */
	assert_int_equal(rows_of(st, "fresh"), UINT64_MAX);	/* and the table it created */
	ps_store_close(st);

	/* The target is not empty now; a backup's db alone is no backup. */
	assert_int_equal(ps_backup_restore(b2.path, target, &err), PS_EEXISTS);
	snprintf(target, sizeof target, "%s/other", f->dir);
	assert_int_equal(ps_backup_restore(parent, target, &err), PS_ENOTFOUND);
	assert_int_equal(access(target, F_OK), -1);

	spec.keep = 1;
	assert_int_equal(ps_store_backup(f->st, &spec, &b1, &err), PS_OK);
	assert_int_equal(ps_backup_list(parent, &all, &n, &err), PS_OK);
	assert_int_equal(n, 1);
	assert_string_equal(all[0].name, b1.name);
	free(all);
}

static void
test_table_bytes(void **state)
{
	fixture    *f = *state;
	ps_load    *ld = begin(f, "empty");
	ps_error	err;
	uint64_t	big, small;

	assert_int_equal(ps_load_commit(ld, &err), PS_OK);	/* the table, no row */
	load_noise(f, "big", 80000);
	load_noise(f, "small", 20000);
	/* The rows are all in the memtable yet: RocksDB sizes flushed files only. */
	assert_int_equal(ps_store_table_bytes(f->st, id_of(f->st, "big")), 0);

	assert_int_equal(ps_store_compact(f->st, &err), PS_OK);
	big = ps_store_table_bytes(f->st, id_of(f->st, "big"));
	small = ps_store_table_bytes(f->st, id_of(f->st, "small"));
	assert_int_equal(ps_store_table_bytes(f->st, id_of(f->st, "empty")), 0);
	/*
	 * Eight incompressible bytes a value at least, less what the estimate
	 * loses at each end of the range (it stops at RocksDB's 32 KiB blocks).
	 */
	assert_true(small >= 20000 * 8 - (64 << 10));
	assert_true(big >= 80000 * 8 - (64 << 10));
	assert_true(big > 2 * small);
	/* And no more than the store holds on disk. */
	assert_true(big + small <= ps_store_disk_size(f->st));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_backup_restore, setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_table_bytes, setup, fixture_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
