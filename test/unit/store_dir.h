/*
 * store_dir.h — a store in a fresh temporary directory, for the unit tests'
 * setups and teardowns (test_store.c, test_csv.c, test_scan.c,
 * test_commit_wait.c): the fixture every one of them uses.
 *
 * Include after cmocka.h: failures are cmocka assertions.  The directory
 * name lives in the caller's buffer of STORE_DIR_MAX bytes.
 */
#ifndef STORE_DIR_H
#define STORE_DIR_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/ps_store.h"

#define STORE_DIR_MAX 64

/* Make /tmp/<prefix>_XXXXXX in dir and open a store there with options o. */
static inline ps_store *
store_dir_open(char *dir, const char *prefix, const ps_store_options *o)
{
	ps_store   *st = NULL;
	ps_error	err;

	assert_true(snprintf(dir, STORE_DIR_MAX, "/tmp/%s_XXXXXX", prefix) < STORE_DIR_MAX);
	assert_non_null(mkdtemp(dir));
	assert_int_equal(ps_store_open(dir, o, &st, &err), PS_OK);
	return st;
}

/* Close st (NULL ok) and remove its directory. */
static inline void
store_dir_remove(const char *dir, ps_store *st)
{
	char		cmd[STORE_DIR_MAX + 16];

	ps_store_close(st);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

/* A test's store: its directory, the store, and the options it was opened with. */
typedef struct fixture {
	char		dir[STORE_DIR_MAX];
	ps_store   *st;
	ps_store_options o;			/* for reopening */
} fixture;

/*
 * A fixture with a store in a fresh /tmp/<prefix>_XXXXXX: no fsync, no
 * background merge (tests merge where they ask to), loads writing batches
 * of batch_size rows (0: the default).
 */
static inline fixture *
fixture_new(const char *prefix, uint32_t batch_size)
{
	fixture    *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	ps_store_options_default(&f->o);
	f->o.sync = false;
	f->o.merge_interval_ms = 0;
	if (batch_size > 0)
		f->o.batch_size = batch_size;
	f->st = store_dir_open(f->dir, prefix, &f->o);
	return f;
}

/* cmocka teardown of a fixture_new fixture. */
static inline int
fixture_teardown(void **state)
{
	fixture    *f = *state;

	store_dir_remove(f->dir, f->st);
	free(f);
	return 0;
}

#endif
