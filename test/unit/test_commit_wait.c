/*
 * test_commit_wait.c — ps_load_commit_waiting: a load into a table another
 * load is still creating (an open SQL transaction's) waits for the creator
 * instead of failing at once, then commits after it; it fails when the
 * creator rolls back, or when the wait runs out.  The creator is driven
 * from a second thread, as REST and SQL run in different threads of an
 * owner.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/ps_store.h"
#include "store_dir.h"

static int
setup(void **state)
{
	fixture    *f = fixture_new("ps_test_commit_wait", 0);

	*state = f;
	return 0;
}

/* A load into table "t" (ts, v) with one row at time ts. */
static ps_load *
load_one(ps_store *st, int64_t ts)
{
	const char *names[] = {"ts", "v"};
	ps_type		types[] = {PS_TYPE_TIMESTAMP, PS_TYPE_INTEGER};
	ps_schema  *s;
	ps_load_spec spec = {.table = "t"};
	ps_load    *ld;
	ps_value	v[2];
	ps_error	err;

	assert_int_equal(ps_schema_new(names, types, 2, 0, &s, &err), PS_OK);
	spec.input = s;
	assert_int_equal(ps_load_begin(st, &spec, &ld, &err), PS_OK);
	ps_schema_free(s);
	memset(v, 0, sizeof(v));
	v[0].v.i = ts;
	v[1].v.i = ts;
	assert_int_equal(ps_load_append(ld, v, &err), PS_OK);
	return ld;
}

static uint64_t
rows_of_t(ps_store *st)
{
	ps_table_info info;
	ps_error	err;

	if (ps_store_table_info(st, "t", &info, NULL, &err) != PS_OK)
		return 0;
	return info.row_count;
}

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The creator's side: after a pause, commit (or abort) the creating load. */
typedef struct creator {
	ps_load    *ld;
	bool		commit;
	ps_status	rc;
} creator;

static void *
finish_creator(void *arg)
{
	creator    *c = arg;
	ps_error	err;

	usleep(300 * 1000);
	if (c->commit)
		c->rc = ps_load_commit(c->ld, &err);
	else
		ps_load_abort(c->ld);
	return NULL;
}

static void
test_waits_for_the_creator(void **state)
{
	fixture    *f = *state;
	creator		c = {.ld = load_one(f->st, 1), .commit = true};
	ps_load    *joiner = load_one(f->st, 2);
	pthread_t	th;
	ps_error	err;
	int64_t		t0 = now_ms();

	assert_int_equal(pthread_create(&th, NULL, finish_creator, &c), 0);
	assert_int_equal(ps_load_commit_waiting(joiner, 10000, &err), PS_OK);
	/* It waited for the creator, not for the whole budget. */
	assert_true(now_ms() - t0 >= 250);
	assert_true(now_ms() - t0 < 5000);
	pthread_join(th, NULL);
	assert_int_equal(c.rc, PS_OK);
	assert_int_equal(rows_of_t(f->st), 2);
	/* Into a table that exists, it commits at once. */
	assert_int_equal(ps_load_commit_waiting(load_one(f->st, 3), 10000, &err), PS_OK);
	assert_int_equal(rows_of_t(f->st), 3);
}

static void
test_creator_rolls_back(void **state)
{
	fixture    *f = *state;
	creator		c = {.ld = load_one(f->st, 1), .commit = false};
	ps_load    *joiner = load_one(f->st, 2);
	pthread_t	th;
	ps_error	err;

	assert_int_equal(pthread_create(&th, NULL, finish_creator, &c), 0);
	assert_int_equal(ps_load_commit_waiting(joiner, 10000, &err), PS_EBUSY);
	assert_non_null(strstr(err.message, "rolled back"));
	pthread_join(th, NULL);
	assert_int_equal(ps_store_table_info(f->st, "t", NULL, NULL, &err), PS_ENOTFOUND);
	/* The store is as it was: a new load creates the table afresh. */
	assert_int_equal(ps_load_commit(load_one(f->st, 5), &err), PS_OK);
	assert_int_equal(rows_of_t(f->st), 1);
}

static void
test_wait_runs_out(void **state)
{
	fixture    *f = *state;
	ps_load    *creator_ld = load_one(f->st, 1);
	ps_load    *joiner = load_one(f->st, 2);
	ps_error	err;
	int64_t		t0 = now_ms();

	assert_int_equal(ps_load_commit_waiting(joiner, 200, &err), PS_EBUSY);
	assert_non_null(strstr(err.message, "still being created"));
	assert_true(now_ms() - t0 >= 150);
	/* The joiner is gone; the creator commits alone. */
	assert_int_equal(ps_load_commit(creator_ld, &err), PS_OK);
	assert_int_equal(rows_of_t(f->st), 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_waits_for_the_creator, setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_creator_rolls_back, setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_wait_runs_out, setup, fixture_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
