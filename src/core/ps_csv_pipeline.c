/*
 * ps_csv_pipeline.c — the converter of large CSV loads: past the first
 * pipeline_min streamed records, records are copied into a ring of
 * CSV_NBATCHES batches; the parser converts each batch when it is full and
 * hands it to a thread of its own, which appends it to the load while the
 * parser reads and converts the next ones (so the store's work has a core
 * of its own).
 *
 * Invariants.
 *  - The batches handed off are the nqueued ones from head on, the parser
 *    fills the one at fill.  mu/cv guard head, nqueued, stop and
 *    conv_failed; conv_fatal, conv_rejected and conv_errors are the
 *    converter's until it has ended (or published conv_failed).  While it
 *    runs, only it touches `values` and `ld`.
 *  - Records handed to the converter precede every record the parser still
 *    holds, and the converter appends them in order: after a fatal error it
 *    drops the rest, as the load can only abort.
 *  - A batch holds at most batch_records records and batch_bytes bytes plus
 *    one record; its buffers are reused, so nothing is allocated per row.
 */
#include "ps_csv_int.h"

#include <pthread.h>
#include <stdlib.h>

static void
csv_batch_reset(csv_batch *b)
{
	ps_buf_reset(&b->bytes);
	b->nrecords = 0;
}

void
ps_csv_batch_free(csv_batch *b)
{
	ps_buf_free(&b->bytes);
	free(b->fields);
	free(b->vals);
	free(b->lines);
}

/*
 * The parser's side of a hand-off: convert the batch's records into vals,
 * keeping the good ones in order.  A bad one is counted and reported in skip
 * mode; in abort mode the batch ends before it and the function returns
 * true with *bad saying why.  The converter thread then has only the load's
 * work left, and both cores work: with the store writing in the appending
 * thread, converting there too left the parser's core mostly idle.
 */
static bool
csv_batch_convert(ps_csv_load *cl, csv_batch *b, ps_error *bad)
{
	const char *base = (const char *) b->bytes.data;
	size_t		kept = 0;

	if (b->vals == NULL)
	{
		/* Rows for a whole batch, once: conversion never writes the NULLs. */
		b->vals_alloc = cl->batch_records * cl->nvalues;
		if ((b->vals = malloc(b->vals_alloc * sizeof *b->vals)) == NULL)
		{
			ps_error_set(bad, PS_ENOMEM, "out of memory");
			b->nrecords = 0;
			return true;
		}
		for (size_t i = 0; i < b->vals_alloc; i++)
			b->vals[i].is_null = true;
	}
	for (size_t r = 0; r < b->nrecords; r++)
	{
		ps_error	e;

		if (ps_csv_convert_fields(cl, base, &b->fields[r * cl->ncols], b->lines[r],
								  &b->vals[kept * cl->nvalues], &e) == PS_OK)
		{
			b->lines[kept++] = b->lines[r];
			continue;
		}
		if (cl->opt.on_error == PS_ON_ERROR_ABORT)
		{
			*bad = e;
			b->nrecords = kept;
			return true;
		}
		ps_csv_take_bad_row(cl, &e);
	}
	b->nrecords = kept;
	return false;
}

/*
 * The converter's side: append a converted batch.  Returns true on a fatal
 * error (conv_fatal says why); in skip mode bad rows are counted instead.
 */
static bool
csv_append_batch(ps_csv_load *cl, const csv_batch *b)
{
	for (size_t r = 0; r < b->nrecords; r++)
	{
		ps_error	e;
		ps_status	rc = ps_csv_append_values(cl, &b->vals[r * cl->nvalues], b->lines[r], &e);

		if (rc == PS_OK)
			continue;
		if (rc == PS_EBADROW && cl->opt.on_error == PS_ON_ERROR_SKIP)
		{
			cl->conv_rejected++;
			ps_csv_report(cl->conv_errors, &cl->conv_nerrors, &e);
			continue;
		}
		cl->conv_fatal = e;
		return true;
	}
	return false;
}

static void *
csv_converter_main(void *arg)
{
	ps_csv_load *cl = arg;

	pthread_mutex_lock(&cl->mu);
	for (;;)
	{
		csv_batch  *b;
		bool		failed;

		while (cl->nqueued == 0 && !cl->stop)
			pthread_cond_wait(&cl->cv, &cl->mu);
		if (cl->stop)
			break;
		b = &cl->batches[cl->head];
		failed = cl->conv_failed;
		pthread_mutex_unlock(&cl->mu);
		/* After a fatal error the rest is dropped: the load can only abort. */
		if (!failed)
			failed = csv_append_batch(cl, b);
		csv_batch_reset(b);
		pthread_mutex_lock(&cl->mu);
		cl->conv_failed = failed;
		cl->head = (cl->head + 1) % CSV_NBATCHES;
		cl->nqueued--;
		pthread_cond_broadcast(&cl->cv);
	}
	pthread_mutex_unlock(&cl->mu);
	return NULL;
}

/*
 * Convert the filled batch and hand it to the converter (started with the
 * first batch; if it cannot start, the batch is appended here).  A fatal
 * error of the converter fails the load here; an abort-mode bad value, once
 * the records before it are handed off (ps_csv_take_bad_row).
 */
void
ps_csv_hand_off(ps_csv_load *cl)
{
	csv_batch  *b = &cl->batches[cl->fill];
	ps_error	bad;
	bool		failed = false,
				found_bad;

	if (b->nrecords == 0)
		return;
	found_bad = csv_batch_convert(cl, b, &bad);
	if (b->nrecords > 0 && !cl->threaded)
		cl->threaded = pthread_create(&cl->thread, NULL, csv_converter_main, cl) == 0;
	if (b->nrecords == 0)
		csv_batch_reset(b);		/* all bad: nothing to hand off */
	else if (!cl->threaded)
	{
		if (!cl->conv_failed)
			cl->conv_failed = csv_append_batch(cl, b);
		csv_batch_reset(b);
		failed = cl->conv_failed;
	}
	else
	{
		pthread_mutex_lock(&cl->mu);
		/* The batch after this one must be free to fill next. */
		while (cl->nqueued >= CSV_NBATCHES - 1 && !cl->conv_failed)
			pthread_cond_wait(&cl->cv, &cl->mu);
		failed = cl->conv_failed;
		if (!failed)
		{
			cl->nqueued++;
			cl->fill = (cl->fill + 1) % CSV_NBATCHES;
			pthread_cond_broadcast(&cl->cv);
		}
		pthread_mutex_unlock(&cl->mu);
	}
	if (failed && cl->stage != CSV_STAGE_FAILED)
		ps_csv_fail(cl, &cl->conv_fatal);
	if (found_bad && cl->stage != CSV_STAGE_FAILED)
	{
		if (bad.code == PS_EBADROW)
			ps_csv_take_bad_row(cl, &bad);
		else
			ps_csv_fail(cl, &bad);
	}
}

/* End the converter thread, after it appended what it holds if `finish`. */
void
ps_csv_converter_stop(ps_csv_load *cl, bool finish)
{
	if (!cl->threaded)
		return;
	pthread_mutex_lock(&cl->mu);
	while (finish && cl->nqueued > 0)
		pthread_cond_wait(&cl->cv, &cl->mu);
	cl->stop = true;
	pthread_cond_broadcast(&cl->cv);
	pthread_mutex_unlock(&cl->mu);
	pthread_join(cl->thread, NULL);
	cl->threaded = false;
	cl->stop = false;
	for (; cl->nqueued > 0; cl->nqueued--)
	{
		csv_batch_reset(&cl->batches[cl->head]);
		cl->head = (cl->head + 1) % CSV_NBATCHES;
	}
}

/*
 * Convert every record parsed so far and end the converter; its bad rows
 * join the load's, its fatal error (if any) fails the load.
 */
void
ps_csv_converter_drain(ps_csv_load *cl)
{
	if (cl->stage != CSV_STAGE_STREAM)
		return;
	ps_csv_hand_off(cl);
	ps_csv_converter_stop(cl, true);
	if (cl->conv_failed && cl->stage != CSV_STAGE_FAILED)
		ps_csv_fail(cl, &cl->conv_fatal);
	cl->rejected += cl->conv_rejected;
	for (size_t i = 0; i < cl->conv_nerrors; i++)
		ps_csv_report(cl->errors, &cl->nerrors, &cl->conv_errors[i]);
	cl->conv_rejected = 0;
	cl->conv_nerrors = 0;
}

/* Queue the current record (exactly ncols fields) for the converter. */
void
ps_csv_queue_record(ps_csv_load *cl, int64_t line)
{
	csv_batch  *b = &cl->batches[cl->fill];
	size_t		nf = b->nrecords * cl->ncols;
	uint32_t	base = (uint32_t) b->bytes.len;

	if (!ps_csv_grow((void **) &b->fields, &b->fields_alloc, nf + cl->ncols, sizeof *b->fields) ||
		!ps_csv_grow((void **) &b->lines, &b->lines_alloc, b->nrecords + 1, sizeof *b->lines) ||
		ps_buf_append(&b->bytes, cl->row.data, cl->row.len) != PS_OK)
	{
		ps_csv_fail_nomem(cl);
		return;
	}
	for (uint32_t i = 0; i < cl->ncols; i++)
	{
		b->fields[nf + i] = cl->fields[i];
		b->fields[nf + i].off += base;
	}
	b->lines[b->nrecords++] = line;
	if (b->nrecords >= cl->batch_records || b->bytes.len >= cl->batch_bytes)
		ps_csv_hand_off(cl);
}
