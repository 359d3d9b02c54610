/*
 * ps_csv_fast.c — the quote-free fast path of CSV loads: whole records of
 * input that holds no quote character, while libcsv holds no record.
 * Before the converter takes over, each record is split here and goes
 * through the same callbacks as libcsv's (csv_fast_record); past
 * pipeline_min streamed records, ps_csv_split.c finds regular records
 * (ncols fields, not too long) 64 bytes at a time and they go straight into
 * the converter's batches as offsets into one copy of their bytes.
 *
 * Invariants.
 *  - What comes out is what libcsv and ps_csv_scan would give for the same
 *    bytes: the same records, lines (counted at LF) and errors, so the two
 *    paths can take turns at any record boundary.
 *  - A batch filled here holds at most batch_records records and
 *    batch_bytes plus one record (a record taken whole is at most
 *    max_field_bytes long, and so are the empty lines copied before it, as
 *    the splitter stops at batch_bytes).
 */
#include "ps_csv_int.h"

#include <string.h>

/*
 * One whole record of quote-free input (no CR or LF in r[0, n)), field by
 * field through the callbacks libcsv would call.  A field that would fill
 * libcsv's entry buffer (entry_cap bytes) is the error ps_csv_scan reports when
 * that buffer is full and the next byte comes: always so here, as a line end
 * follows.
 */
static void
csv_fast_record(ps_csv_load *cl, const char *r, size_t n)
{
	const char *end = r + n;

	cl->in_record = true;
	cl->record_line = cl->line;
	for (;;)
	{
		const char *d = memchr(r, cl->opt.delimiter, (size_t) (end - r));
		size_t		len = (size_t) ((d ? d : end) - r);

		if (len >= cl->entry_cap)
		{
			ps_csv_bad_row_too_big(cl, cl->record_line, ps_csv_column_number(cl->nfields), true);
			ps_csv_resync(cl);
			return;
		}
		ps_csv_on_field(len > 0 ? (void *) r : NULL, len, cl);
		if (d == NULL)
			break;
		r = d + 1;
	}
	ps_csv_on_record('\n', cl);
}

/*
 * Streaming past CSV_PIPELINE_MIN_RECORDS: regular records go straight into
 * the converter's batches (their bytes copied once, fields as offsets), the
 * others through csv_fast_record.  Returns where it stopped in p[0, len).
 */
static size_t
csv_fast_bulk(ps_csv_load *cl, const char *p, size_t len, size_t pos)
{
	ps_csv_split s;

	memset(&s, 0, sizeof s);
	s.data = p;
	s.len = len;
	s.delim = cl->opt.delimiter;
	s.ncols = cl->ncols;
	s.max_record = (size_t) cl->opt.max_field_bytes;
	s.pos = pos;
	s.line = cl->line;
	while (s.pos < len && cl->stage == CSV_STAGE_STREAM && !cl->skip_to_eol)
	{
		csv_batch  *b = &cl->batches[cl->fill];
		size_t		from = s.pos;

		if (!ps_csv_grow((void **) &b->fields, &b->fields_alloc, cl->batch_records * cl->ncols,
						 sizeof *b->fields) ||
			!ps_csv_grow((void **) &b->lines, &b->lines_alloc, cl->batch_records, sizeof *b->lines))
		{
			ps_csv_fail_nomem(cl);
			break;
		}
		s.fields = b->fields + b->nrecords * cl->ncols;
		s.lines = b->lines + b->nrecords;
		s.max_records = cl->batch_records - b->nrecords;
		s.max_bytes = cl->batch_bytes - b->bytes.len;	/* > 0: a full batch was handed off */
		s.base = (uint32_t) b->bytes.len;
		ps_csv_split_records(&s);
		if (ps_buf_append(&b->bytes, p + from, s.pos - from) != PS_OK)
		{
			ps_csv_fail_nomem(cl);
			break;
		}
		b->nrecords += s.nrecords;
		cl->streamed += s.nrecords;
		cl->line = s.line;
		if (b->nrecords >= cl->batch_records || b->bytes.len >= cl->batch_bytes)
			ps_csv_hand_off(cl);
		if (s.irregular_end > s.pos && cl->stage == CSV_STAGE_STREAM)
		{
			csv_fast_record(cl, p + s.pos, s.irregular_end - s.pos);
			s.pos = s.irregular_end;
		}
	}
	return s.pos;
}

/*
 * Whole records of quote-free input: p[0, len) holds no quote and ends with
 * CR or LF, and libcsv holds no record.  Lines are counted here as ps_csv_scan
 * counts them.
 */
void
ps_csv_fast(ps_csv_load *cl, const char *p, size_t len)
{
	size_t		pos = 0;

	while (pos < len && cl->stage != CSV_STAGE_FAILED)
	{
		size_t		end;

		if (cl->skip_to_eol)
		{
			const char *nl = memchr(p + pos, '\n', len - pos);

			if (nl == NULL)
				return;
			cl->skip_to_eol = false;
			cl->line++;
			pos = (size_t) (nl - p) + 1;
			continue;
		}
		if (cl->stage == CSV_STAGE_STREAM && cl->streamed >= cl->pipeline_min)
		{
			pos = csv_fast_bulk(cl, p, len, pos);
			continue;
		}
		if (p[pos] == '\n' || p[pos] == '\r')
		{
			/* An empty line, or the end of the record before. */
			cl->line += p[pos] == '\n';
			pos++;
			continue;
		}
		end = pos + ps_csv_line_end(p + pos, len - pos);
		csv_fast_record(cl, p + pos, end - pos);
		pos = end;
	}
}
