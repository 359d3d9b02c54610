/*
 * test_proto_ops.c — the operations requests of the native protocol against
 * a real pulsorad (owner_proc.h): BACKUP and BACKUPS (the backup is in the
 * owner's backup directory, complete, listed with its size, time and
 * duration), LOADS (every connection's open loads with their table, source,
 * rows and bytes, gone once committed, aborted or failed), LOAD_PROGRESS
 * (a load's client sees the owner's rows and bytes grow) and a load's
 * source reduced to safe characters.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "core/ps_row.h"
#include "core/ps_store.h"
#include "owner_proc.h"

#define CSV_HEADER "ts,sym,price\n"

/* CSV rows n0 .. n0 + n - 1, about 40 bytes each, into a malloc'd string. */
static char *
csv_rows(uint64_t n0, uint64_t n)
{
	size_t		cap = (size_t) n * 64 + 1, len = 0;
	char	   *s = malloc(cap);

	assert_non_null(s);
	for (uint64_t i = n0; i < n0 + n; i++)
		len += (size_t) snprintf(s + len, cap - len, "2024-01-01T00:00:%02u.%06uZ,S%u,%u.5\n",
								 (unsigned) (i / 1000000 % 60), (unsigned) (i % 1000000),
								 (unsigned) (i % 7), (unsigned) i);
	return s;
}

/* The entry of LOADS whose table is table, or NULL. */
static const ps_msg_load_entry *
find_load(const ps_msg_load_list *list, const char *table)
{
	for (uint32_t i = 0; i < list->n; i++)
		if (strcmp(list->loads[i].table, table) == 0)
			return &list->loads[i];
	return NULL;
}

static void
assert_no_load(ps_client *watcher, const char *table)
{
	ps_msg_load_list list;
	ps_error	e;

	CHECK(ps_client_loads(watcher, &list, &e), e);
	assert_null(find_load(&list, table));
	ps_msg_load_list_clear(&list);
}

static void
test_backup_and_list(void **state)
{
	ps_client  *c = connect_ok();
	ps_client_load *l;
	ps_client_load_result res;
	ps_msg_backup b;
	ps_msg_backup_list list;
	char		want_parent[128], marker[4200];
	char	   *rows = csv_rows(0, 1000);
	struct stat sb;
	ps_error	e;

	(void) state;
	CHECK(ps_client_load_csv_begin(c, "backed", NULL, NULL, 0, &l, &e), e);
	CHECK(ps_client_load_csv_data(l, CSV_HEADER, strlen(CSV_HEADER), &e), e);
	CHECK(ps_client_load_csv_data(l, rows, strlen(rows), &e), e);
	CHECK(ps_client_load_finish(l, &res, &e), e);
	CHECK(ps_client_load_commit(&l, 1, &e), e);
	free(rows);

	CHECK(ps_client_backup(c, &b, &e), e);
	snprintf(want_parent, sizeof want_parent, "%s/backups/", data_dir);
	assert_memory_equal(b.path, want_parent, strlen(want_parent));
	assert_string_equal(b.path + strlen(want_parent), b.name);
	assert_true(b.bytes > 0);
	assert_true(b.elapsed_us > 0);
	assert_true(b.created_ns > INT64_C(1700000000000000000));
	snprintf(marker, sizeof marker, "%s/%s", b.path, PS_BACKUP_MARKER);
	assert_int_equal(stat(marker, &sb), 0);

	/* Listed, newest last, with the same figures. */
	CHECK(ps_client_backups(c, &list, &e), e);
	assert_true(list.n >= 1);
	assert_string_equal(list.backups[list.n - 1].name, b.name);
	assert_string_equal(list.backups[list.n - 1].path, b.path);
	assert_int_equal(list.backups[list.n - 1].bytes, b.bytes);
	assert_int_equal(list.backups[list.n - 1].created_ns, b.created_ns);
	assert_true(list.backups[list.n - 1].elapsed_us > 0);
	ps_msg_backup_list_clear(&list);

	/* A second one in the same second gets a name of its own. */
	{
		ps_msg_backup b2;

		CHECK(ps_client_backup(c, &b2, &e), e);
		assert_string_not_equal(b2.name, b.name);
		CHECK(ps_client_backups(c, &list, &e), e);
		assert_true(list.n >= 2);
		assert_string_equal(list.backups[list.n - 1].name, b2.name);
		ps_msg_backup_list_clear(&list);
		ps_msg_backup_clear(&b2);
	}
	ps_msg_backup_clear(&b);
	ps_client_close(c);
}

static void
test_loads_in_progress(void **state)
{
	ps_client  *watcher = connect_ok(), *worker = connect_ok();
	ps_client_load *l;
	ps_client_load_result res;
	ps_msg_load_list list;
	const ps_msg_load_entry *entry;
	uint64_t	rows = 0, bytes = 0, sent = 0, first_id;
	/* 30000 rows: past the 10000 rows a new table's schema is inferred from. */
	char	   *text = csv_rows(0, 30000);
	size_t		len = strlen(text);
	ps_error	e;

	(void) state;
	assert_no_load(watcher, "progressing");
	ps_client_set_load_source(worker, "cli");
	CHECK(ps_client_load_csv_begin(worker, "progressing", NULL, NULL, 0, &l, &e), e);

	/* Listed from the start, before any row. */
	CHECK(ps_client_loads(watcher, &list, &e), e);
	assert_non_null(entry = find_load(&list, "progressing"));
	assert_string_equal(entry->source, "cli");
	assert_int_equal(entry->rows, 0);
	assert_int_equal(entry->bytes, 0);
	assert_true(entry->started_ns > INT64_C(1700000000000000000));
	first_id = entry->id;
	ps_msg_load_list_clear(&list);

	CHECK(ps_client_load_csv_data(l, CSV_HEADER, strlen(CSV_HEADER), &e), e);
	sent = strlen(CSV_HEADER);
	/* Frames go out at 256 KiB; a frame's answer comes with the next call. */
	for (size_t off = 0; off < len; off += 4096)
	{
		size_t		n = len - off < 4096 ? len - off : 4096;

		CHECK(ps_client_load_csv_data(l, text + off, n, &e), e);
		sent += n;
	}
	ps_client_load_progress(l, &rows, &bytes);
	assert_true(bytes > 0 && bytes <= sent);
	assert_true(rows > 0);

	/* The owner has taken at least what it answered for. */
	CHECK(ps_client_loads(watcher, &list, &e), e);
	assert_non_null(entry = find_load(&list, "progressing"));
	assert_int_equal(entry->id, first_id);
	assert_true(entry->bytes >= bytes);
	assert_true(entry->rows >= rows);
	ps_msg_load_list_clear(&list);

	/* Finished but not committed: still open, with every row and byte. */
	CHECK(ps_client_load_finish(l, &res, &e), e);
	assert_int_equal(res.rows_loaded, 30000);
	ps_client_load_progress(l, &rows, &bytes);
	assert_int_equal(rows, 30000);
	assert_int_equal(bytes, sent);
	CHECK(ps_client_loads(watcher, &list, &e), e);
	assert_non_null(entry = find_load(&list, "progressing"));
	assert_int_equal(entry->rows, 30000);
	assert_int_equal(entry->bytes, sent);
	ps_msg_load_list_clear(&list);

	CHECK(ps_client_load_commit(&l, 1, &e), e);
	assert_no_load(watcher, "progressing");

	/* An aborted load leaves the list too. */
	CHECK(ps_client_load_csv_begin(worker, "progressing", NULL, NULL, 0, &l, &e), e);
	CHECK(ps_client_loads(watcher, &list, &e), e);
	assert_non_null(entry = find_load(&list, "progressing"));
	assert_true(entry->id > first_id);
	ps_msg_load_list_clear(&list);
	ps_client_load_abort(l);
	assert_no_load(watcher, "progressing");

	/* So does a load that failed, before its client aborts it. */
	CHECK(ps_client_load_csv_begin(worker, "progressing", NULL, NULL, 0, &l, &e), e);
	CHECK(ps_client_load_csv_data(l, CSV_HEADER "not a time,S1,1.5\n",
								  strlen(CSV_HEADER "not a time,S1,1.5\n"), &e), e);
	assert_int_not_equal(ps_client_load_finish(l, &res, &e), PS_OK);
	assert_no_load(watcher, "progressing");
	ps_client_load_abort(l);

	free(text);
	ps_client_close(worker);
	ps_client_close(watcher);
}

static void
test_row_load_source_and_progress(void **state)
{
	static const char *const names[] = {"ts", "v"};
	static const ps_type types[] = {PS_TYPE_TIMESTAMP, PS_TYPE_INTEGER};
	static const ps_type value_types[] = {PS_TYPE_INTEGER};
	ps_client  *watcher = connect_ok(), *worker = connect_ok();
	ps_client_load *l;
	ps_client_load_result res;
	ps_msg_load_list list;
	const ps_msg_load_entry *entry;
	uint64_t	rows, bytes;
	ps_buf		b = PS_BUF_INIT;
	ps_error	e;

	(void) state;
	/* Whatever a client calls itself, the owner shows letters, digits, - and _ only. */
	ps_client_set_load_source(worker, "we ird\"src\x01");
	CHECK(ps_client_load_begin(worker, "rowload", names, types, 2, 0, false, "", &l, &e), e);
	for (int64_t i = 0; i < 100000; i++)
	{
		ps_value	v = {.is_null = false, .v.i = i};

		ps_buf_reset(&b);
		assert_int_equal(ps_row_encode(value_types, 1, &v, 0, &b, &e), PS_OK);
		CHECK(ps_client_load_row(l, INT64_C(1704067200000000000) + i, b.data, b.len, &e), e);
	}
	ps_buf_free(&b);
	ps_client_load_progress(l, &rows, &bytes);
	assert_true(rows > 0 && rows < 100000);
	assert_true(bytes > 0);
	CHECK(ps_client_loads(watcher, &list, &e), e);
	assert_non_null(entry = find_load(&list, "rowload"));
	assert_string_equal(entry->source, "we?ird?src?");
	assert_true(entry->rows >= rows);
	ps_msg_load_list_clear(&list);
	CHECK(ps_client_load_finish(l, &res, &e), e);
	ps_client_load_progress(l, &rows, &bytes);
	assert_int_equal(rows, 100000);
	CHECK(ps_client_load_commit(&l, 1, &e), e);
	assert_no_load(watcher, "rowload");
	ps_client_close(worker);
	ps_client_close(watcher);
}

/* A client gone mid-load: the owner aborts the load and lists it no more. */
static void
test_dead_client_leaves_list(void **state)
{
	ps_client  *watcher = connect_ok(), *worker = connect_ok();
	ps_client_load *l;
	ps_msg_load_list list;
	bool		gone = false;
	ps_error	e;

	(void) state;
	CHECK(ps_client_load_csv_begin(worker, "abandoned", NULL, NULL, 0, &l, &e), e);
	CHECK(ps_client_loads(watcher, &list, &e), e);
	assert_non_null(find_load(&list, "abandoned"));
	ps_msg_load_list_clear(&list);
	ps_client_close(worker);
	for (int waited = 0; waited < WAIT_LIMIT_MS && !gone; waited += 10)
	{
		CHECK(ps_client_loads(watcher, &list, &e), e);
		gone = find_load(&list, "abandoned") == NULL;
		ps_msg_load_list_clear(&list);
		if (!gone)
			sleep_ms(10);
	}
	assert_true(gone);
	ps_client_close(watcher);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_backup_and_list),
		cmocka_unit_test(test_loads_in_progress),
		cmocka_unit_test(test_row_load_source_and_progress),
		cmocka_unit_test(test_dead_client_leaves_list),
	};

	return cmocka_run_group_tests(tests, start_owner, stop_owner);
}
