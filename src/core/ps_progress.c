/*
 * ps_progress.c — the store's register of loads in progress, which GET
 * /loads, the protocol's LOADS and pulsora_loads() list: for each open load
 * its id, table, source (who runs it: rest, sql, copy, insert, cli), the
 * rows and input bytes taken so far and when it began.
 *
 * A caller registers a load when its input starts (before a new table's
 * schema is even inferred, so a slow client is visible from its first
 * byte) and ends it when the load is committed or rolled back.  The rows
 * figure is set by the load itself (ps_load_append, through the load spec's
 * progress pointer); the bytes figure by whoever reads the input.
 *
 * Invariants:
 *  - An entry is on its store's list from ps_progress_begin until
 *    ps_progress_end, which unlinks it under progress_mu before freeing it:
 *    a listing never sees a freed entry.
 *  - rows and bytes are relaxed atomics: the load's threads add to them
 *    without a lock, and a listing reads a value that was true a moment ago.
 *  - Ids are unique for the life of the store's process, starting at 1.
 *  - A source holds only ASCII letters, digits, - and _ (others become ?),
 *    so every listing can print it as it is.
 */
#include "ps_store_int.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct ps_progress {
	ps_store   *st;
	ps_progress *prev, *next;	/* st->progress, under st->progress_mu */
	uint64_t	id;
	char		table[PS_MAX_NAME + 1];
	char		source[PS_PROGRESS_SOURCE_MAX + 1];
	int64_t		started_ns;
	atomic_uint_fast64_t rows;
	atomic_uint_fast64_t bytes;
};

ps_status
ps_progress_begin(ps_store *st, const char *table, const char *source, ps_progress **out,
				  ps_error *err)
{
	ps_progress *p;
	struct timespec ts;

	*out = NULL;
	if ((p = calloc(1, sizeof *p)) == NULL)
		return ps_error_set(err, PS_ENOMEM, "out of memory for a load's progress");
	p->st = st;
	snprintf(p->table, sizeof p->table, "%s", table);
	snprintf(p->source, sizeof p->source, "%s", source && source[0] ? source : "unknown");
	/* It comes from any client and is shown in JSON and SQL: letters, digits, - and _ only. */
	for (char *c = p->source; *c; c++)
		if (!isalnum((unsigned char) *c) && *c != '-' && *c != '_')
			*c = '?';
	clock_gettime(CLOCK_REALTIME, &ts);
	p->started_ns = (int64_t) ts.tv_sec * 1000000000 + ts.tv_nsec;
	atomic_init(&p->rows, 0);
	atomic_init(&p->bytes, 0);
	pthread_mutex_lock(&st->progress_mu);
	p->id = ++st->progress_last_id;
	p->next = st->progress;
	if (st->progress)
		st->progress->prev = p;
	st->progress = p;
	pthread_mutex_unlock(&st->progress_mu);
	*out = p;
	return PS_OK;
}

void
ps_progress_add_bytes(ps_progress *p, uint64_t n)
{
	if (p)
		atomic_fetch_add_explicit(&p->bytes, n, memory_order_relaxed);
}

void
ps_progress_set_rows(ps_progress *p, uint64_t rows)
{
	if (p)
		atomic_store_explicit(&p->rows, rows, memory_order_relaxed);
}

uint64_t
ps_progress_rows(const ps_progress *p)
{
	return atomic_load_explicit(&p->rows, memory_order_relaxed);
}

uint64_t
ps_progress_bytes(const ps_progress *p)
{
	return atomic_load_explicit(&p->bytes, memory_order_relaxed);
}

void
ps_progress_end(ps_progress *p)
{
	ps_store   *st;

	if (p == NULL)
		return;
	st = p->st;
	pthread_mutex_lock(&st->progress_mu);
	if (p->prev)
		p->prev->next = p->next;
	else
		st->progress = p->next;
	if (p->next)
		p->next->prev = p->prev;
	pthread_mutex_unlock(&st->progress_mu);
	free(p);
}

static int
by_id(const void *a, const void *b)
{
	const ps_progress_info *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

ps_status
ps_store_loads(ps_store *st, ps_progress_info **out, size_t *n, ps_error *err)
{
	ps_progress_info *all = NULL;
	size_t		count = 0, i = 0;
	struct timespec ts;
	int64_t		now;

	*out = NULL;
	*n = 0;
	pthread_mutex_lock(&st->progress_mu);
	for (ps_progress *p = st->progress; p; p = p->next)
		count++;
	/* One element at least, so an empty list is still a pointer to free. */
	if ((all = calloc(count ? count : 1, sizeof *all)) == NULL)
	{
		pthread_mutex_unlock(&st->progress_mu);
		return ps_error_set(err, PS_ENOMEM, "out of memory listing %zu loads", count);
	}
	for (ps_progress *p = st->progress; p; p = p->next, i++)
	{
		all[i].id = p->id;
		memcpy(all[i].table, p->table, sizeof all[i].table);
		memcpy(all[i].source, p->source, sizeof all[i].source);
		all[i].started_ns = p->started_ns;
		all[i].rows = ps_progress_rows(p);
		all[i].bytes = ps_progress_bytes(p);
	}
	pthread_mutex_unlock(&st->progress_mu);
	clock_gettime(CLOCK_REALTIME, &ts);
	now = (int64_t) ts.tv_sec * 1000000000 + ts.tv_nsec;
	for (i = 0; i < count; i++)
		/* Under a millisecond old (or a clock step back): no rate yet. */
		all[i].rows_per_second = now - all[i].started_ns < 1000000 ? 0.0
			: (double) all[i].rows * 1e9 / (double) (now - all[i].started_ns);
	qsort(all, count, sizeof *all, by_id);
	*out = all;
	*n = count;
	return PS_OK;
}
