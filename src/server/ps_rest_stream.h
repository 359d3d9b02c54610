/*
 * ps_rest_stream.h — REST answers produced piece by piece (the head of a
 * layout, one row at a time, its tail; ps_rest_format.h) and handed to
 * libmicrohttpd: GET /tables/{t}/query streams a scan's rows,
 * GET /tables/{t}/aggregate the groups of an aggregate.
 *
 * Memory is bounded: a source appends one piece at a time to a pending
 * buffer, which a content-reader callback drains into libmicrohttpd's own
 * buffer, so at most one piece is held beyond what the client has been
 * sent.  A JSON answer that fits one block is produced before answering
 * and sent whole with a Content-Length (an error while producing it still
 * gets a proper error answer); bigger ones, and CSV and NDJSON, are
 * streamed with chunked encoding, and an error midway can only cut the
 * stream short (it is logged).
 *
 * This module never queues a response: ps_rest_tables.c does, with the
 * status of the error when there is no response.
 */
#ifndef PS_REST_STREAM_H
#define PS_REST_STREAM_H

#include <stdbool.h>

#include "core/ps_buf.h"
#include "core/ps_error.h"
#include "ps_rest_format.h"
#include "ps_rest_params.h"

struct MHD_Response;

/* What to answer a request with. */
typedef struct ps_rest_answer {
	/* The response to queue with status 200 (the caller destroys it), or NULL. */
	struct MHD_Response *response;
	const char *content_type;	/* of response (static) */
	/*
	 * Without a response, why: PS_ENOTFOUND for an unknown table, PS_EINVAL
	 * for a bad parameter (naming it), other codes from the store.  PS_OK
	 * means no response could be built at all (out of memory): end the
	 * connection.
	 */
	ps_error	error;
} ps_rest_answer;

/* Where an answer's rows come from. */
typedef struct ps_rest_source {
	void	   *cls;			/* owned by the stream once handed to ps_rest_stream_answer */
	ps_rest_layout *layout;		/* the rows' (owned by cls): its head and tail frame them */
	/*
	 * Append the next row to out, or set *end when none is left (the source
	 * may then free what its rows needed); an error is reported in err.
	 */
	ps_status	(*next_row) (void *cls, ps_buf *out, bool *end, ps_error *err);
	void		(*release) (void *cls);	/* frees cls */
} ps_rest_source;

/*
 * Answer with src's rows in the layout's format (which also chooses
 * between whole and streamed): out->response, or out->error when an error
 * came before anything was sent.  src->cls is released in every case, now
 * or when libmicrohttpd is done with the response.  what names the request
 * in messages ("query on table t").
 */
void		ps_rest_stream_answer(const ps_rest_source *src, const char *what,
								  ps_rest_answer *out);

#endif
