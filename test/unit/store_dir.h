/*
 * store_dir.h — a store in a fresh temporary directory, for the unit tests'
 * setups and teardowns (test_store.c, test_csv.c, test_scan.c).
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

#endif
