/*
 * ps_csv_libcsv.c — the libcsv path of CSV loads, and the callbacks every
 * record goes through: ps_csv_scan feeds libcsv a physical line at a time,
 * ps_csv_on_field copies each field into `row` (one reused buffer), and
 * ps_csv_on_record routes each record by stage (the header to
 * ps_csv_schema.c, rows to the sample, to the load, or to the converter's
 * batches).  The fast path (ps_csv_fast.c) calls the same callbacks for the
 * records it does not take whole.
 *
 * Invariants.
 *  - libcsv's entry buffer never grows beyond entry_cap (max_field_bytes +
 *    2): ps_csv_scan never feeds it more bytes than it has room for (it reads
 *    the entry_pos and quoted fields that csv.h documents in struct
 *    csv_parser), and its growth doubles but stops at entry_cap.
 *  - A record's bytes (fields plus one delimiter each) are limited to
 *    max_field_bytes, so `row` is too; fields beyond the expected count are
 *    counted, not stored (only the header record grows `fields`).
 *  - A record can only end at the end of a segment fed to libcsv and only
 *    start at the start of one (segments end at LF, or at a bare CR),
 *    wherever the chunks were cut; record_line is the line of its first byte.
 *  - A malformed record (bad quoting, an oversized field) is reported, then
 *    dropped up to the end of the physical line where the problem was found
 *    (skip_to_eol).
 */
#include "ps_csv_int.h"

#include <csv.h>
#include <string.h>

/* libcsv's entry buffer starts at this size and then doubles. */
#define CSV_ENTRY_MIN_BLOCK 4096

/* ---------------------------------------------------------------- records */

static void
csv_reset_record(ps_csv_load *cl)
{
	ps_buf_reset(&cl->row);
	cl->nfields = 0;
	cl->row_bytes = 0;
	cl->too_big_column = 0;
	cl->too_big_field = false;
	cl->in_record = false;
}

void
ps_csv_on_field(void *s, size_t len, void *data)
{
	ps_csv_load *cl = data;
	uint64_t	k = cl->nfields++;
	csv_field  *f;

	if (cl->stage == CSV_STAGE_FAILED || cl->too_big_column > 0)
		return;
	cl->row_bytes += len + 1;
	if (cl->row_bytes > cl->opt.max_field_bytes + 1)
	{
		/* +1: the last field has no delimiter after it. */
		cl->too_big_column = ps_csv_column_number(k);
		cl->too_big_field = len > cl->opt.max_field_bytes;
		return;
	}
	if (k >= cl->fields_limit)
	{
		/* Only the header record, whose width is not known yet, grows this. */
		if (cl->stage != CSV_STAGE_HEADER || k >= PS_MAX_COLUMNS)
			return;
		if (!ps_csv_fields_reserve(cl, (uint32_t) k + 1))
		{
			ps_csv_fail_nomem(cl);
			return;
		}
		cl->fields_limit = cl->fields_alloc < PS_MAX_COLUMNS ? cl->fields_alloc : PS_MAX_COLUMNS;
	}
	f = &cl->fields[k];
	f->off = (uint32_t) cl->row.len;
	f->len = (uint32_t) len;
	f->is_null = s == NULL;
	if (len == 0)
		return;
	/* row.len + len <= max_field_bytes + 1 here, so this stays bounded. */
	if (len > cl->row.cap - cl->row.len && ps_buf_reserve(&cl->row, len) != PS_OK)
	{
		ps_csv_fail_nomem(cl);
		return;
	}
	memcpy(cl->row.data + cl->row.len, s, len);
	cl->row.len += len;
}

static void
csv_record(ps_csv_load *cl)
{
	int64_t		line = cl->record_line;

	if (cl->too_big_column > 0)
	{
		ps_csv_bad_row_too_big(cl, line, cl->too_big_column, cl->too_big_field);
		return;
	}
	if (cl->stage == CSV_STAGE_HEADER)
	{
		if (cl->nfields > PS_MAX_COLUMNS)
		{
			ps_csv_fail_at(cl, PS_EINVAL, line, 0, "%llu columns: at most %d are allowed",
						   (unsigned long long) cl->nfields, PS_MAX_COLUMNS);
			return;
		}
		if (cl->opt.header)
		{
			ps_csv_take_header(cl, line);
			return;
		}
		ps_csv_take_positional(cl, line);
		if (cl->stage == CSV_STAGE_FAILED)
			return;
	}
	if (cl->nfields != cl->ncols)
	{
		ps_csv_bad_row(cl, line, ps_csv_column_number(cl->nfields < cl->ncols ? cl->nfields : cl->ncols),
					   "expected %u fields, found %llu", cl->ncols,
					   (unsigned long long) cl->nfields);
		return;
	}
	if (cl->stage == CSV_STAGE_SAMPLE)
		ps_csv_sample_add(cl, line);
	else if (cl->streamed++ < cl->pipeline_min)
		ps_csv_append_row(cl, (const char *) cl->row.data, cl->fields, line);
	else
		ps_csv_queue_record(cl, line);
}

void
ps_csv_on_record(int terminator, void *data)
{
	ps_csv_load *cl = data;

	(void) terminator;
	if (cl->stage != CSV_STAGE_FAILED)
		csv_record(cl);
	csv_reset_record(cl);
}

/* PostgreSQL does not trim CSV fields; libcsv trims spaces unless told so. */
int
ps_csv_no_space(unsigned char c)
{
	(void) c;
	return 0;
}

/* ---------------------------------------------------------------- scanning */

/* Forget a malformed record: reset libcsv without emitting it. */
static void
csv_discard_record(ps_csv_load *cl)
{
	/* Without STRICT_FINI, csv_fini always resets; NULL callbacks emit nothing. */
	csv_set_opts(&cl->parser, cl->parser_opts & ~CSV_STRICT_FINI);
	csv_fini(&cl->parser, NULL, NULL, NULL);
	csv_set_opts(&cl->parser, cl->parser_opts);
	csv_reset_record(cl);
}

/*
 * libcsv adds blk_size bytes whenever its entry buffer is full: make that
 * doubling (few reallocs for long fields) but never past entry_cap.
 */
static void
csv_set_growth(ps_csv_load *cl)
{
	size_t		size = csv_get_buffer_size(&cl->parser);
	size_t		blk = size < CSV_ENTRY_MIN_BLOCK ? CSV_ENTRY_MIN_BLOCK : size;

	if (size >= cl->entry_cap)
		return;
	if (blk > cl->entry_cap - size)
		blk = cl->entry_cap - size;
	csv_set_blk_size(&cl->parser, blk);
}

/* After a malformed record was reported (skip mode): resume at the next line. */
void
ps_csv_resync(ps_csv_load *cl)
{
	if (cl->stage == CSV_STAGE_FAILED)
		return;
	csv_discard_record(cl);
	cl->skip_to_eol = true;
}

void
ps_csv_malformed(ps_csv_load *cl, const char *reason)
{
	ps_csv_bad_row(cl, cl->record_line, ps_csv_column_number(cl->nfields), "%s", reason);
	ps_csv_resync(cl);
}

/*
 * Feed p[0..len) to libcsv, one physical line (or the part of it in this
 * chunk) at a time, and never more than libcsv's entry buffer has room for.
 */
void
ps_csv_scan(ps_csv_load *cl, const char *p, size_t len)
{
	while (len > 0 && cl->stage != CSV_STAGE_FAILED)
	{
		const char *nl = memchr(p, '\n', len);
		size_t		seg = nl ? (size_t) (nl - p) + 1 : len;
		const char *cr;
		bool		ends_line;
		size_t		done = 0;

		if (cl->skip_to_eol)
		{
			if (nl == NULL)
				return;
			cl->skip_to_eol = false;
			cl->line++;
			p += seg;
			len -= seg;
			continue;
		}
		/*
		 * A bare CR ends a record too: end the segment there, so that a record
		 * can only end at the end of a segment and only start at the start of
		 * one, wherever the chunks were cut.  CRLF is one terminator.
		 */
		cr = memchr(p, '\r', seg);
		if (cr != NULL && cr + 1 != nl)
			seg = (size_t) (cr - p) + 1;
		ends_line = p[seg - 1] == '\n';
		if (!cl->in_record)
		{
			/* A record starts at the first byte that is not a line end. */
			for (size_t i = 0; i < seg; i++)
				if (p[i] != '\r' && p[i] != '\n')
				{
					cl->in_record = true;
					cl->record_line = cl->line;
					break;
				}
		}
		while (done < seg)
		{
			size_t		room = cl->entry_cap - cl->parser.entry_pos;
			size_t		piece = seg - done < room ? seg - done : room;
			size_t		n;

			if (room == 0)
			{
				ps_csv_bad_row_too_big(cl, cl->record_line, ps_csv_column_number(cl->nfields), true);
				ps_csv_resync(cl);
				break;
			}
			csv_set_growth(cl);
			n = csv_parse(&cl->parser, p + done, piece, ps_csv_on_field, ps_csv_on_record, cl);
			done += n;
			if (cl->stage == CSV_STAGE_FAILED)
				return;
			if (n < piece)
			{
				if (csv_error(&cl->parser) != CSV_EPARSE)
				{
					ps_csv_fail_nomem(cl);
					return;
				}
				ps_csv_malformed(cl, cl->parser.quoted ? "unexpected character after a closing quote"
								 : "quote character inside an unquoted field");
				break;
			}
		}
		if (cl->stage == CSV_STAGE_FAILED)
			return;
		if (cl->skip_to_eol)
		{
			/* Resume at the malformed byte: the skip consumes up to the LF. */
			p += done;
			len -= done;
			continue;
		}
		if (ends_line)
			cl->line++;
		p += seg;
		len -= seg;
	}
}
