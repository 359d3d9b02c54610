/*
 * ps_rest_stream.c — answers produced piece by piece (ps_rest_stream.h).
 *
 * Invariants: pending holds the last piece produced (the head, a row, the
 * tail), of which pending[pending_off..len) is not yet handed to
 * libmicrohttpd; a new piece is produced only once it is empty, and none
 * after the tail.  The
 * source is released exactly once: by the stream, when libmicrohttpd frees
 * the response, or at once when no streamed response comes of it.
 */
#include "ps_rest_stream.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include <microhttpd.h>

#include "core/ps_schema.h"
#include "ps_log.h"

#define BLOCK_SIZE (64 * 1024)

typedef enum stream_state { STREAM_HEAD, STREAM_ROWS, STREAM_DONE } stream_state;

typedef struct stream {
	ps_rest_source src;
	ps_buf		pending;
	size_t		pending_off;
	stream_state state;			/* the next piece: the head, a row, nothing */
	char		what[PS_MAX_NAME + 64];
} stream;

static void
stream_free(void *cls)
{
	stream	   *s = cls;

	s->src.release(s->src.cls);
	ps_buf_free(&s->pending);
	free(s);
}

/* Append the next piece to pending. */
static ps_status
stream_produce(stream *s, ps_error *err)
{
	bool		end = false;
	ps_status	st;

	if (s->state == STREAM_HEAD)
	{
		s->state = STREAM_ROWS;
		st = ps_rest_layout_head(s->src.layout, &s->pending);
	}
	else
	{
		if ((st = s->src.next_row(s->src.cls, &s->pending, &end, err)) != PS_OK || !end)
			return st;
		s->state = STREAM_DONE;
		st = ps_rest_layout_tail(s->src.layout, &s->pending);
	}
	if (st != PS_OK)
		return ps_error_set(err, st, "cannot format the answer of %s", s->what);
	return PS_OK;
}

static ssize_t
stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	stream	   *s = cls;
	size_t		n = 0;
	ps_error	err;

	(void) pos;
	while (n < max)
	{
		size_t		avail = s->pending.len - s->pending_off;

		if (avail > 0)
		{
			size_t		take = avail < max - n ? avail : max - n;

			memcpy(buf + n, s->pending.data + s->pending_off, take);
			s->pending_off += take;
			n += take;
			continue;
		}
		if (s->state == STREAM_DONE)
			break;
		ps_buf_reset(&s->pending);
		s->pending_off = 0;
		if (stream_produce(s, &err) != PS_OK)
		{
			/* Headers are gone: all we can do is cut the chunked stream short. */
			ps_log(PS_LOG_ERROR, "%s failed midway: %s", s->what, err.message);
			return MHD_CONTENT_READER_END_WITH_ERROR;
		}
	}
	return n > 0 ? (ssize_t) n : MHD_CONTENT_READER_END_OF_STREAM;
}

void
ps_rest_stream_answer(const ps_rest_source *src, const char *what, ps_rest_answer *out)
{
	/* Indexed by ps_rest_format. */
	static const char *const content_types[] = {
		"application/json", "text/csv; charset=utf-8", "application/x-ndjson"
	};
	ps_rest_format format = src->layout->fmt.format;
	stream	   *s = calloc(1, sizeof *s);

	out->response = NULL;
	out->content_type = NULL;
	ps_error_clear(&out->error);
	if (s == NULL)
	{
		src->release(src->cls);
		return;
	}
	s->src = *src;
	snprintf(s->what, sizeof s->what, "%s", what);
	if (format == PS_REST_FORMAT_JSON)
	{
		while (s->state != STREAM_DONE && s->pending.len < BLOCK_SIZE)
			if (stream_produce(s, &out->error) != PS_OK)
				goto done;
		if (s->state == STREAM_DONE)
		{
			out->response = MHD_create_response_from_buffer(s->pending.len, s->pending.data,
															MHD_RESPMEM_MUST_FREE);
			if (out->response != NULL)
			{
				s->pending = (ps_buf) PS_BUF_INIT;	/* now MHD's */
				out->content_type = content_types[format];
			}
			goto done;
		}
	}
	out->response = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, BLOCK_SIZE, stream_read,
													  s, stream_free);
	if (out->response == NULL)
		goto done;
	out->content_type = content_types[format];
	return;						/* s is now the response's */

done:
	stream_free(s);
}
