/*
 * ps_frame.c — frame I/O over blocking sockets and the payload encoders and
 * decoders of the native protocol (layouts in ps_frame.h).
 *
 * Invariants: a decoder never reads outside its payload, never trusts a
 * count before checking it against the bytes left and a fixed cap, and
 * returns PS_EPROTO (leaving no allocation behind once the matching
 * *_clear is called) on any malformed input.  Frame reads validate the
 * header first and then grow the buffer only as payload bytes arrive, so a
 * hostile length costs nothing.  I/O with a ps_frame_wait uses
 * MSG_DONTWAIT and poll() instead of blocking, so it never changes the
 * socket's own (blocking) mode.
 * This file is linked into the PostgreSQL extension: it uses only libc and
 * the client-side core (ps_error, ps_buf), and declares variables at the top
 * of blocks as PostgreSQL's compiler flags require.
 */
#include "ps_frame.h"
#include "ps_frame_rows.h"

#include <endian.h>
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

const char *
ps_msg_name(uint8_t code)
{
	switch ((ps_msg_code) code)
	{
		case PS_MSG_HELLO: return "HELLO";
		case PS_MSG_TABLES: return "TABLES";
		case PS_MSG_TABLE_INFO: return "TABLE_INFO";
		case PS_MSG_DELETE_RANGE: return "DELETE_RANGE";
		case PS_MSG_DROP_TABLE: return "DROP_TABLE";
		case PS_MSG_STATUS: return "STATUS";
		case PS_MSG_SCAN_OPEN: return "SCAN_OPEN";
		case PS_MSG_SCAN_FETCH: return "SCAN_FETCH";
		case PS_MSG_SCAN_CLOSE: return "SCAN_CLOSE";
		case PS_MSG_SCAN_START: return "SCAN_START";
		case PS_MSG_LOAD_BEGIN: return "LOAD_BEGIN";
		case PS_MSG_LOAD_ROWS: return "LOAD_ROWS";
		case PS_MSG_LOAD_CSV_BEGIN: return "LOAD_CSV_BEGIN";
		case PS_MSG_LOAD_CSV_DATA: return "LOAD_CSV_DATA";
		case PS_MSG_LOAD_FINISH: return "LOAD_FINISH";
		case PS_MSG_LOAD_COMMIT: return "LOAD_COMMIT";
		case PS_MSG_LOAD_ABORT: return "LOAD_ABORT";
		case PS_MSG_ERROR: return "ERROR";
		case PS_MSG_OK: return "OK";
		case PS_MSG_HELLO_OK: return "HELLO_OK";
		case PS_MSG_TABLE_LIST: return "TABLE_LIST";
		case PS_MSG_TABLE: return "TABLE";
		case PS_MSG_DELETED: return "DELETED";
		case PS_MSG_STATUS_OK: return "STATUS_OK";
		case PS_MSG_SCAN_OPENED: return "SCAN_OPENED";
		case PS_MSG_ROWS: return "ROWS";
		case PS_MSG_LOAD_OPENED: return "LOAD_OPENED";
		case PS_MSG_LOAD_RESULT: return "LOAD_RESULT";
		case PS_MSG_SCAN_STARTED: return "SCAN_STARTED";
	}
	return "unknown";
}

/* ---------------------------------------------------------------- frame I/O */

/* Payload bytes read (and allocated) at a time. */
#define RECV_STEP (1024u * 1024)

ps_status
ps_frame_start(ps_buf *b, uint8_t code)
{
	static const uint8_t placeholder[4] = {0, 0, 0, 0};

	ps_buf_reset(b);
	if (ps_buf_append(b, placeholder, sizeof placeholder) != PS_OK)
		return PS_ENOMEM;
	return ps_buf_append_u8(b, code);
}

/* Milliseconds since started (a CLOCK_MONOTONIC reading, 0 = now: set it). */
static uint32_t
waited_ms(uint64_t *started)
{
	struct timespec ts;
	uint64_t	now;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = (uint64_t) ts.tv_sec * 1000 + (uint64_t) ts.tv_nsec / 1000000;
	if (*started == 0)
		*started = now;
	return now - *started > UINT32_MAX ? UINT32_MAX : (uint32_t) (now - *started);
}

/*
 * Wait until fd may be ready for events (the caller retries its I/O), with
 * wait->check called if a slice passes or a signal arrives first.  *started
 * is when this frame's I/O began waiting (0: not yet).
 */
static ps_status
wait_ready(int fd, short events, const ps_frame_wait *wait, uint64_t *started, ps_error *err)
{
	struct pollfd pfd;
	int			n;
	uint32_t	waited;

	pfd.fd = fd;
	pfd.events = events;
	pfd.revents = 0;
	(void) waited_ms(started);	/* starts the clock at the first wait */
	n = poll(&pfd, 1, PS_FRAME_WAIT_SLICE_MS);
	if (n > 0)
		return PS_OK;
	if (n < 0 && errno != EINTR)
		return ps_error_set(err, PS_ECONN, "waiting for peer: %s", strerror(errno));
	waited = waited_ms(started);
	if (!wait->check(wait->arg, waited))
		return ps_error_set(err, PS_ECONN, "gave up waiting for peer after %u ms", waited);
	return PS_OK;
}

ps_status
ps_frame_send(int fd, ps_buf *b, ps_error *err)
{
	return ps_frame_send_wait(fd, b, NULL, err);
}

ps_status
ps_frame_send_wait(int fd, ps_buf *b, const ps_frame_wait *wait, ps_error *err)
{
	size_t		body;
	size_t		off = 0;
	uint64_t	started = 0;
	/* With a wait, never block in send(): wait_ready polls instead. */
	int			flags = MSG_NOSIGNAL | (wait ? MSG_DONTWAIT : 0);
	ps_status	st;

	if (b->len < PS_FRAME_HEADER)
		return ps_error_set(err, PS_EINTERNAL, "frame sent without a header");
	body = b->len - 4;
	if (body > PS_FRAME_MAX)
		return ps_error_set(err, PS_ETOOBIG, "%s frame of %zu bytes exceeds the %u byte limit",
							ps_msg_name(b->data[4]), body, PS_FRAME_MAX);
	b->data[0] = (uint8_t) (body >> 24);
	b->data[1] = (uint8_t) (body >> 16);
	b->data[2] = (uint8_t) (body >> 8);
	b->data[3] = (uint8_t) body;
	while (off < b->len)
	{
		ssize_t		n = send(fd, b->data + off, b->len - off, flags);

		if (n < 0)
		{
			if (errno == EINTR)
				continue;
			if (wait && (errno == EAGAIN || errno == EWOULDBLOCK))
			{
				if ((st = wait_ready(fd, POLLOUT, wait, &started, err)) != PS_OK)
					return st;
				continue;
			}
			return ps_error_set(err, PS_ECONN, "sending to peer: %s",
								errno == EAGAIN || errno == EWOULDBLOCK ? "timed out" : strerror(errno));
		}
		off += (size_t) n;
	}
	return PS_OK;
}

/* Read exactly n bytes; *got tells how many arrived before an error or EOF. */
static ps_status
read_full(int fd, uint8_t *p, size_t n, size_t *got, const ps_frame_wait *wait,
		  uint64_t *started, ps_error *err)
{
	/* With a wait, never block in recv(): wait_ready polls instead. */
	int			flags = wait ? MSG_DONTWAIT : 0;
	ps_status	st;

	*got = 0;
	while (*got < n)
	{
		ssize_t		k = recv(fd, p + *got, n - *got, flags);

		if (k == 0)
			return ps_error_set(err, PS_ECONN, "connection closed by peer");
		if (k < 0)
		{
			if (errno == EINTR)
				continue;
			if (wait && (errno == EAGAIN || errno == EWOULDBLOCK))
			{
				if ((st = wait_ready(fd, POLLIN, wait, started, err)) != PS_OK)
					return st;
				continue;
			}
			return ps_error_set(err, PS_ECONN, "receiving from peer: %s",
								errno == EAGAIN || errno == EWOULDBLOCK ? "timed out" : strerror(errno));
		}
		*got += (size_t) k;
	}
	return PS_OK;
}

ps_status
ps_frame_header_parse(const uint8_t hdr[PS_FRAME_HEADER], uint32_t *payload_len,
					  uint8_t *code, ps_error *err)
{
	uint32_t	len = ((uint32_t) hdr[0] << 24) | ((uint32_t) hdr[1] << 16) |
		((uint32_t) hdr[2] << 8) | hdr[3];

	if (len == 0)
		return ps_error_set(err, PS_EPROTO, "frame of length 0 has no message code");
	if (len > PS_FRAME_MAX)
		return ps_error_set(err, PS_EPROTO, "frame of %u bytes exceeds the %u byte limit",
							len, PS_FRAME_MAX);
	*payload_len = len - 1;
	*code = hdr[4];
	return PS_OK;
}

ps_status
ps_frame_recv(int fd, ps_buf *b, uint8_t *code, ps_reader *payload, bool *eof, ps_error *err)
{
	return ps_frame_recv_wait(fd, b, code, payload, eof, NULL, err);
}

ps_status
ps_frame_recv_wait(int fd, ps_buf *b, uint8_t *code, ps_reader *payload, bool *eof,
				   const ps_frame_wait *wait, ps_error *err)
{
	uint8_t		hdr[PS_FRAME_HEADER];
	uint32_t	len;
	size_t		got;
	uint64_t	started = 0;
	ps_status	st;

	if (eof)
		*eof = false;
	ps_buf_reset(b);
	if ((st = read_full(fd, hdr, sizeof hdr, &got, wait, &started, err)) != PS_OK)
	{
		if (eof && got == 0)
			*eof = true;
		return st;
	}
	if ((st = ps_frame_header_parse(hdr, &len, code, err)) != PS_OK)
		return st;
	/*
	 * Grow with the bytes that actually arrive, so a peer that announces a
	 * large frame and stalls holds little memory.
	 */
	while (b->len < len)
	{
		size_t		step = len - b->len < RECV_STEP ? len - b->len : RECV_STEP;

		if (ps_buf_reserve(b, step) != PS_OK)
			return ps_error_set(err, PS_ENOMEM, "no memory for a %u byte frame", len);
		if ((st = read_full(fd, b->data + b->len, step, &got, wait, &started, err)) != PS_OK)
			return st;
		b->len += step;
	}
	ps_reader_init(payload, b->data, len);
	return PS_OK;
}

/* ---------------------------------------------------------------- primitives */

ps_status
ps_frame_put_u16(ps_buf *b, uint16_t v)
{
	uint8_t		tmp[2];

	tmp[0] = (uint8_t) (v >> 8);
	tmp[1] = (uint8_t) v;
	return ps_buf_append(b, tmp, sizeof tmp);
}

ps_status
ps_frame_put_i32(ps_buf *b, int32_t v)
{
	return ps_buf_append_u32be(b, (uint32_t) v);
}

ps_status
ps_frame_put_i64(ps_buf *b, int64_t v)
{
	return ps_buf_append_u64be(b, (uint64_t) v);
}

ps_status
ps_frame_put_bytes(ps_buf *b, const void *p, size_t n)
{
	ps_status	st;

	if ((st = ps_buf_append_varint(b, n)) != PS_OK)
		return st;
	return ps_buf_append(b, p, n);
}

ps_status
ps_frame_put_str(ps_buf *b, const char *s)
{
	return ps_frame_put_bytes(b, s, strlen(s));
}

ps_status
ps_frame_put_error(ps_buf *b, const ps_error *e)
{
	if (ps_frame_put_u16(b, (uint16_t) e->code) != PS_OK ||
		ps_frame_put_i64(b, e->line) != PS_OK ||
		ps_frame_put_i32(b, e->column) != PS_OK)
		return PS_ENOMEM;
	/* strnlen: a message is bounded by its array even if unterminated. */
	return ps_frame_put_bytes(b, e->message, strnlen(e->message, sizeof e->message - 1));
}

ps_status
ps_frame_put_row(ps_buf *b, int64_t time, const void *value, size_t len)
{
	if (ps_frame_put_i64(b, time) != PS_OK)
		return PS_ENOMEM;
	return ps_frame_put_bytes(b, value, len);
}

/* The core readers report PS_ECORRUPT; on the wire that is PS_EPROTO. */
static ps_status
wire(ps_status st)
{
	return st == PS_OK ? PS_OK : PS_EPROTO;
}

ps_status
ps_frame_get_u8(ps_reader *r, uint8_t *v)
{
	return wire(ps_read_u8(r, v));
}

ps_status
ps_frame_get_u16(ps_reader *r, uint16_t *v)
{
	const uint8_t *p;

	if (ps_read_bytes(r, 2, &p) != PS_OK)
		return PS_EPROTO;
	*v = (uint16_t) ((p[0] << 8) | p[1]);
	return PS_OK;
}

ps_status
ps_frame_get_u32(ps_reader *r, uint32_t *v)
{
	return wire(ps_read_u32be(r, v));
}

ps_status
ps_frame_get_i32(ps_reader *r, int32_t *v)
{
	uint32_t	u;

	if (ps_read_u32be(r, &u) != PS_OK)
		return PS_EPROTO;
	*v = (int32_t) u;
	return PS_OK;
}

ps_status
ps_frame_get_u64(ps_reader *r, uint64_t *v)
{
	return wire(ps_read_u64be(r, v));
}

ps_status
ps_frame_get_i64(ps_reader *r, int64_t *v)
{
	uint64_t	u;

	if (ps_read_u64be(r, &u) != PS_OK)
		return PS_EPROTO;
	*v = (int64_t) u;
	return PS_OK;
}

ps_status
ps_frame_get_bool(ps_reader *r, bool *v)
{
	uint8_t		u;

	if (ps_read_u8(r, &u) != PS_OK || u > 1)
		return PS_EPROTO;
	*v = u == 1;
	return PS_OK;
}

ps_status
ps_frame_get_bytes(ps_reader *r, const uint8_t **p, size_t *n)
{
	uint64_t	len;
	ps_reader	save = *r;

	if (ps_read_varint(r, &len) != PS_OK || len > ps_reader_left(r) ||
		ps_read_bytes(r, (size_t) len, p) != PS_OK)
	{
		*r = save;
		return PS_EPROTO;
	}
	*n = (size_t) len;
	return PS_OK;
}

/* A string's bytes: like get_bytes, but a NUL inside is malformed. */
static ps_status
get_str_bytes(ps_reader *r, const uint8_t **p, size_t *n)
{
	ps_reader	save = *r;

	if (ps_frame_get_bytes(r, p, n) != PS_OK)
		return PS_EPROTO;
	if (memchr(*p, '\0', *n) != NULL)
	{
		*r = save;
		return PS_EPROTO;
	}
	return PS_OK;
}

ps_status
ps_frame_get_strdup(ps_reader *r, char **out)
{
	const uint8_t *p;
	size_t		n;
	char	   *s;

	if (get_str_bytes(r, &p, &n) != PS_OK)
		return PS_EPROTO;
	if ((s = malloc(n + 1)) == NULL)
		return PS_ENOMEM;
	memcpy(s, p, n);
	s[n] = '\0';
	*out = s;
	return PS_OK;
}

ps_status
ps_frame_get_strbuf(ps_reader *r, char *out, size_t outsz)
{
	const uint8_t *p;
	size_t		n;
	ps_reader	save = *r;

	if (get_str_bytes(r, &p, &n) != PS_OK)
		return PS_EPROTO;
	if (n >= outsz)
	{
		*r = save;
		return PS_EPROTO;
	}
	memcpy(out, p, n);
	out[n] = '\0';
	return PS_OK;
}

ps_status
ps_frame_get_count(ps_reader *r, size_t min_item_bytes, uint32_t max_items, uint32_t *n)
{
	uint64_t	v;
	ps_reader	save = *r;

	if (ps_read_varint(r, &v) != PS_OK || v > max_items ||
		(min_item_bytes > 0 && v > ps_reader_left(r) / min_item_bytes))
	{
		*r = save;
		return PS_EPROTO;
	}
	*n = (uint32_t) v;
	return PS_OK;
}

ps_status
ps_frame_get_error(ps_reader *r, ps_error *e)
{
	uint16_t	code;
	int64_t		line;
	int32_t		column;

	if (ps_frame_get_u16(r, &code) != PS_OK ||
		ps_frame_get_i64(r, &line) != PS_OK ||
		ps_frame_get_i32(r, &column) != PS_OK ||
		ps_frame_get_strbuf(r, e->message, sizeof e->message) != PS_OK)
		return PS_EPROTO;
	e->code = (ps_status) code;
	e->line = line;
	e->column = column;
	return PS_OK;
}

ps_status
ps_frame_get_row(ps_reader *r, int64_t *time, const uint8_t **value, size_t *len)
{
	ps_reader	save = *r;
	uint64_t	t;

	/*
	 * Scans read every row twice (ROWS validation, then iteration): the
	 * usual row, with a one-byte length, is read here without the general
	 * primitives' calls.
	 */
	if (ps_reader_left(r) >= 9 && r->p[8] < 0x80 && (size_t) r->p[8] <= ps_reader_left(r) - 9)
	{
		memcpy(&t, r->p, 8);
		*time = (int64_t) be64toh(t);
		*len = r->p[8];
		*value = r->p + 9;
		r->p += 9 + *len;
		return PS_OK;
	}
	if (ps_frame_get_i64(r, time) != PS_OK || ps_frame_get_bytes(r, value, len) != PS_OK)
	{
		*r = save;
		return PS_EPROTO;
	}
	return PS_OK;
}

ps_status
ps_frame_get_end(const ps_reader *r)
{
	return ps_reader_left(r) == 0 ? PS_OK : PS_EPROTO;
}

/* Smallest encodings of repeated items, for ps_frame_get_count. */
#define MIN_STR 1				/* varint 0 */
#define MIN_ERROR (2 + 8 + 4 + MIN_STR)

/* Zeroed array of n elements (never NULL for n == 0, so "decoded" is clear). */
static void *
alloc_array(uint32_t n, size_t size)
{
	return calloc(n ? n : 1, size);
}

static void
free_strings(char **v, uint32_t n)
{
	if (v == NULL)
		return;
	for (uint32_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static ps_status
get_type(ps_reader *r, ps_type *t)
{
	uint8_t		u;

	if (ps_read_u8(r, &u) != PS_OK || !ps_type_valid(u))
		return PS_EPROTO;
	*t = (ps_type) u;
	return PS_OK;
}

/* ---------------------------------------------------------------- filters */

int
ps_filter_kind(ps_type t)
{
	switch (t)
	{
		case PS_TYPE_INTEGER:
			return PS_FILTER_INTEGER;
		case PS_TYPE_STRING:
			return PS_FILTER_STRING;
		case PS_TYPE_BOOLEAN:
			return PS_FILTER_BOOLEAN;
		default:
			return -1;
	}
}

/* PS_EINVAL when filters cannot be sent (caps, types, missing arrays). */
static ps_status
check_filters(const ps_filter_spec *filters, uint32_t n)
{
	uint64_t	total = 0;

	if (n > PS_FRAME_MAX_FILTERS || (n > 0 && filters == NULL))
		return PS_EINVAL;
	for (uint32_t f = 0; f < n; f++)
	{
		total += filters[f].nvalues;
		if (filters[f].column == NULL ||
			(filters[f].kinds == NULL && ps_filter_kind(filters[f].type) < 0) ||
			(filters[f].nvalues > 0 && filters[f].values == NULL) ||
			total > PS_FRAME_MAX_FILTER_VALUES)
			return PS_EINVAL;
		if (filters[f].kinds != NULL)
			for (uint32_t i = 0; i < filters[f].nvalues; i++)
				if (filters[f].kinds[i] > PS_FILTER_BOOLEAN)
					return PS_EINVAL;
	}
	return PS_OK;
}

/* Filters that passed check_filters. */
static ps_status
put_filters(ps_buf *b, const ps_filter_spec *filters, uint32_t n)
{
	if (ps_buf_append_varint(b, n) != PS_OK)
		return PS_ENOMEM;
	for (uint32_t f = 0; f < n; f++)
	{
		const ps_filter_spec *fs = &filters[f];

		if (ps_frame_put_str(b, fs->column) != PS_OK ||
			ps_buf_append_varint(b, fs->nvalues) != PS_OK)
			return PS_ENOMEM;
		for (uint32_t i = 0; i < fs->nvalues; i++)
		{
			const ps_value *v = &fs->values[i];
			int			kind = fs->kinds ? fs->kinds[i]
				: v->is_null ? PS_FILTER_NULL : ps_filter_kind(fs->type);
			ps_status	st;

			if (ps_buf_append_u8(b, (uint8_t) kind) != PS_OK)
				return PS_ENOMEM;
			if (kind == PS_FILTER_NULL)
				continue;
			if (kind == PS_FILTER_INTEGER)
				st = ps_frame_put_i64(b, v->v.i);
			else if (kind == PS_FILTER_STRING)
				st = ps_frame_put_bytes(b, v->v.s.ptr, v->v.s.len);
			else
				st = ps_buf_append_u8(b, v->v.b ? 1 : 0);
			if (st != PS_OK)
				return PS_ENOMEM;
		}
	}
	return PS_OK;
}

/*
 * One value of a filter; a string's bytes are only located (*str, *len),
 * for the caller to copy.  Kinds other than PS_FILTER_* are malformed.
 */
static ps_status
get_filter_value(ps_reader *r, uint8_t *kind, ps_value *v, const uint8_t **str, size_t *len)
{
	memset(v, 0, sizeof *v);
	*str = NULL;
	*len = 0;
	if (ps_frame_get_u8(r, kind) != PS_OK)
		return PS_EPROTO;
	switch (*kind)
	{
		case PS_FILTER_NULL:
			v->is_null = true;
			return PS_OK;
		case PS_FILTER_INTEGER:
			return ps_frame_get_i64(r, &v->v.i);
		case PS_FILTER_STRING:
			if (get_str_bytes(r, str, len) != PS_OK || *len > UINT32_MAX)
				return PS_EPROTO;
			v->v.s.len = (uint32_t) *len;
			return PS_OK;
		case PS_FILTER_BOOLEAN:
			return ps_frame_get_bool(r, &v->v.b);
		default:
			return PS_EPROTO;
	}
}

/*
 * One filter.  Two passes over its values: the first validates them and
 * sums their string bytes, so the second copies into one block.
 * *budget is how many values the message may still hold.
 */
static ps_status
get_filter(ps_reader *r, ps_msg_filter *f, uint32_t *budget)
{
	ps_reader	walk;
	size_t		bytes = 0;
	size_t		used = 0;
	ps_status	st;

	if ((st = ps_frame_get_strdup(r, &f->column)) != PS_OK)
		return st;
	/* Each value takes at least its kind byte. */
	if (ps_frame_get_count(r, 1, *budget, &f->nvalues) != PS_OK)
		return PS_EPROTO;
	*budget -= f->nvalues;
	walk = *r;
	for (uint32_t i = 0; i < f->nvalues; i++)
	{
		uint8_t		kind;
		ps_value	v;
		const uint8_t *str;
		size_t		len;

		if (get_filter_value(&walk, &kind, &v, &str, &len) != PS_OK)
			return PS_EPROTO;
		bytes += len;
	}
	if ((f->kinds = alloc_array(f->nvalues, 1)) == NULL ||
		(f->values = alloc_array(f->nvalues, sizeof(ps_value))) == NULL ||
		(f->strings = malloc(bytes ? bytes : 1)) == NULL)
		return PS_ENOMEM;
	for (uint32_t i = 0; i < f->nvalues; i++)
	{
		const uint8_t *str;
		size_t		len;

		(void) get_filter_value(r, &f->kinds[i], &f->values[i], &str, &len);
		if (f->kinds[i] == PS_FILTER_STRING)
		{
			if (len > 0)
				memcpy(f->strings + used, str, len);
			f->values[i].v.s.ptr = f->strings + used;
			used += len;
		}
	}
	return PS_OK;
}

static ps_status
get_filters(ps_reader *r, ps_msg_scan_open *m)
{
	uint32_t	budget = PS_FRAME_MAX_FILTER_VALUES;
	ps_status	st;

	/* A filter takes at least a column (1 byte) and a count (1 byte). */
	if (ps_frame_get_count(r, MIN_STR + 1, PS_FRAME_MAX_FILTERS, &m->nfilters) != PS_OK)
		return PS_EPROTO;
	if ((m->filters = alloc_array(m->nfilters, sizeof(ps_msg_filter))) == NULL)
		return PS_ENOMEM;
	for (uint32_t f = 0; f < m->nfilters; f++)
		if ((st = get_filter(r, &m->filters[f], &budget)) != PS_OK)
			return st;
	return PS_OK;
}

/* ---------------------------------------------------------------- SCAN_OPEN */

ps_status
ps_msg_scan_open_encode(ps_buf *b, const char *table, int64_t lo, int64_t hi,
						uint8_t flags, uint64_t offset, uint64_t limit,
						const char *const *columns, uint32_t ncolumns,
						const ps_filter_spec *filters, uint32_t nfilters)
{
	if (check_filters(filters, nfilters) != PS_OK)
		return PS_EINVAL;
	if (ps_frame_put_str(b, table) != PS_OK ||
		ps_frame_put_i64(b, lo) != PS_OK ||
		ps_frame_put_i64(b, hi) != PS_OK ||
		ps_buf_append_u8(b, flags) != PS_OK ||
		ps_buf_append_u64be(b, offset) != PS_OK ||
		ps_buf_append_u64be(b, limit) != PS_OK ||
		ps_buf_append_varint(b, ncolumns) != PS_OK)
		return PS_ENOMEM;
	for (uint32_t i = 0; i < ncolumns; i++)
		if (ps_frame_put_str(b, columns[i]) != PS_OK)
			return PS_ENOMEM;
	return put_filters(b, filters, nfilters);
}

/* The SCAN_OPEN fields, which SCAN_START begins with. */
static ps_status
scan_open_fields(ps_reader *r, ps_msg_scan_open *m)
{
	ps_status	st;

	memset(m, 0, sizeof *m);
	if ((st = ps_frame_get_strdup(r, &m->table)) != PS_OK)
		return st;
	if (ps_frame_get_i64(r, &m->lo) != PS_OK ||
		ps_frame_get_i64(r, &m->hi) != PS_OK ||
		ps_frame_get_u8(r, &m->flags) != PS_OK || (m->flags & ~PS_SCAN_FLAGS) != 0 ||
		ps_frame_get_u64(r, &m->offset) != PS_OK ||
		ps_frame_get_u64(r, &m->limit) != PS_OK ||
		ps_frame_get_count(r, MIN_STR, PS_MAX_COLUMNS, &m->ncolumns) != PS_OK)
		return PS_EPROTO;
	if ((m->columns = alloc_array(m->ncolumns, sizeof(char *))) == NULL)
		return PS_ENOMEM;
	for (uint32_t i = 0; i < m->ncolumns; i++)
		if ((st = ps_frame_get_strdup(r, &m->columns[i])) != PS_OK)
			return st;
	return get_filters(r, m);
}

ps_status
ps_msg_scan_open_decode(ps_reader *r, ps_msg_scan_open *m)
{
	ps_status	st;

	if ((st = scan_open_fields(r, m)) != PS_OK)
		return st;
	return ps_frame_get_end(r);
}

ps_status
ps_msg_scan_start_put_batch(ps_buf *b, uint32_t max_rows, uint32_t max_bytes)
{
	if (ps_buf_append_u32be(b, max_rows) != PS_OK)
		return PS_ENOMEM;
	return ps_buf_append_u32be(b, max_bytes);
}

ps_status
ps_msg_scan_start_decode(ps_reader *r, ps_msg_scan_open *m)
{
	ps_status	st;

	if ((st = scan_open_fields(r, m)) != PS_OK)
		return st;
	if (ps_frame_get_u32(r, &m->max_rows) != PS_OK || ps_frame_get_u32(r, &m->max_bytes) != PS_OK)
		return PS_EPROTO;
	return ps_frame_get_end(r);
}

void
ps_msg_scan_open_clear(ps_msg_scan_open *m)
{
	free(m->table);
	free_strings(m->columns, m->ncolumns);
	if (m->filters != NULL)
		for (uint32_t f = 0; f < m->nfilters; f++)
		{
			free(m->filters[f].column);
			free(m->filters[f].kinds);
			free(m->filters[f].values);
			free(m->filters[f].strings);
		}
	free(m->filters);
	memset(m, 0, sizeof *m);
}

/* ---------------------------------------------------------------- LOAD_BEGIN */

ps_status
ps_msg_load_begin_encode(ps_buf *b, const char *table, const char *const *names,
						 const ps_type *types, uint32_t n, uint32_t time_index,
						 bool add_columns, const char *series_key)
{
	if (ps_frame_put_str(b, table) != PS_OK || ps_buf_append_varint(b, n) != PS_OK)
		return PS_ENOMEM;
	for (uint32_t i = 0; i < n; i++)
		if (ps_frame_put_str(b, names[i]) != PS_OK ||
			ps_buf_append_u8(b, (uint8_t) types[i]) != PS_OK)
			return PS_ENOMEM;
	if (ps_buf_append_u32be(b, time_index) != PS_OK ||
		ps_buf_append_u8(b, add_columns ? 1 : 0) != PS_OK ||
		ps_buf_append_u8(b, series_key ? 1 : 0) != PS_OK)
		return PS_ENOMEM;
	return series_key ? ps_frame_put_str(b, series_key) : PS_OK;
}

ps_status
ps_msg_load_begin_decode(ps_reader *r, ps_msg_load_begin *m)
{
	bool		has_series_key;
	ps_status	st;

	memset(m, 0, sizeof *m);
	if ((st = ps_frame_get_strdup(r, &m->table)) != PS_OK)
		return st;
	if (ps_frame_get_count(r, MIN_STR + 1, PS_MAX_COLUMNS, &m->ncolumns) != PS_OK)
		return PS_EPROTO;
	if ((m->names = alloc_array(m->ncolumns, sizeof(char *))) == NULL ||
		(m->types = alloc_array(m->ncolumns, sizeof(ps_type))) == NULL)
		return PS_ENOMEM;
	for (uint32_t i = 0; i < m->ncolumns; i++)
	{
		if ((st = ps_frame_get_strdup(r, &m->names[i])) != PS_OK)
			return st;
		if (get_type(r, &m->types[i]) != PS_OK)
			return PS_EPROTO;
	}
	if (ps_frame_get_u32(r, &m->time_index) != PS_OK ||
		ps_frame_get_bool(r, &m->add_columns) != PS_OK ||
		ps_frame_get_bool(r, &has_series_key) != PS_OK)
		return PS_EPROTO;
	if (has_series_key && (st = ps_frame_get_strdup(r, &m->series_key)) != PS_OK)
		return st;
	return ps_frame_get_end(r);
}

void
ps_msg_load_begin_clear(ps_msg_load_begin *m)
{
	free(m->table);
	free_strings(m->names, m->ncolumns);
	free(m->types);
	free(m->series_key);
	memset(m, 0, sizeof *m);
}

/* ---------------------------------------------------------------- LOAD_CSV_BEGIN */

ps_status
ps_msg_csv_begin_encode(ps_buf *b, const char *table, const char *const *keys,
						const char *const *values, uint32_t n)
{
	if (ps_frame_put_str(b, table) != PS_OK || ps_buf_append_varint(b, n) != PS_OK)
		return PS_ENOMEM;
	for (uint32_t i = 0; i < n; i++)
		if (ps_frame_put_str(b, keys[i]) != PS_OK || ps_frame_put_str(b, values[i]) != PS_OK)
			return PS_ENOMEM;
	return PS_OK;
}

ps_status
ps_msg_csv_begin_decode(ps_reader *r, ps_msg_csv_begin *m)
{
	ps_status	st;

	memset(m, 0, sizeof *m);
	if ((st = ps_frame_get_strdup(r, &m->table)) != PS_OK)
		return st;
	if (ps_frame_get_count(r, 2 * MIN_STR, PS_FRAME_MAX_OPTIONS, &m->noptions) != PS_OK)
		return PS_EPROTO;
	if ((m->keys = alloc_array(m->noptions, sizeof(char *))) == NULL ||
		(m->values = alloc_array(m->noptions, sizeof(char *))) == NULL)
		return PS_ENOMEM;
	for (uint32_t i = 0; i < m->noptions; i++)
		if ((st = ps_frame_get_strdup(r, &m->keys[i])) != PS_OK ||
			(st = ps_frame_get_strdup(r, &m->values[i])) != PS_OK)
			return st;
	return ps_frame_get_end(r);
}

void
ps_msg_csv_begin_clear(ps_msg_csv_begin *m)
{
	free(m->table);
	free_strings(m->keys, m->noptions);
	free_strings(m->values, m->noptions);
	memset(m, 0, sizeof *m);
}

/* ---------------------------------------------------------------- LOAD_COMMIT */

ps_status
ps_msg_commit_encode(ps_buf *b, const uint32_t *handles, uint32_t n)
{
	if (ps_buf_append_varint(b, n) != PS_OK)
		return PS_ENOMEM;
	for (uint32_t i = 0; i < n; i++)
		if (ps_buf_append_u32be(b, handles[i]) != PS_OK)
			return PS_ENOMEM;
	return PS_OK;
}

ps_status
ps_msg_commit_decode(ps_reader *r, ps_msg_commit *m)
{
	memset(m, 0, sizeof *m);
	if (ps_frame_get_count(r, 4, PS_FRAME_MAX_HANDLES, &m->nhandles) != PS_OK)
		return PS_EPROTO;
	if ((m->handles = alloc_array(m->nhandles, sizeof(uint32_t))) == NULL)
		return PS_ENOMEM;
	for (uint32_t i = 0; i < m->nhandles; i++)
		if (ps_frame_get_u32(r, &m->handles[i]) != PS_OK)
			return PS_EPROTO;
	return ps_frame_get_end(r);
}

void
ps_msg_commit_clear(ps_msg_commit *m)
{
	free(m->handles);
	memset(m, 0, sizeof *m);
}

/* ---------------------------------------------------------------- SCAN_OPENED */

ps_status
ps_msg_scan_opened_encode(ps_buf *b, uint32_t handle, const ps_type *types, uint32_t n)
{
	if (ps_buf_append_u32be(b, handle) != PS_OK || ps_buf_append_varint(b, n) != PS_OK)
		return PS_ENOMEM;
	for (uint32_t i = 0; i < n; i++)
		if (ps_buf_append_u8(b, (uint8_t) types[i]) != PS_OK)
			return PS_ENOMEM;
	return PS_OK;
}

/* The SCAN_OPENED fields, which SCAN_STARTED begins with. */
static ps_status
scan_opened_fields(ps_reader *r, ps_msg_scan_opened *m)
{
	memset(m, 0, sizeof *m);
	if (ps_frame_get_u32(r, &m->handle) != PS_OK ||
		ps_frame_get_count(r, 1, PS_MAX_COLUMNS, &m->ntypes) != PS_OK)
		return PS_EPROTO;
	if ((m->types = alloc_array(m->ntypes, sizeof(ps_type))) == NULL)
		return PS_ENOMEM;
	for (uint32_t i = 0; i < m->ntypes; i++)
		if (get_type(r, &m->types[i]) != PS_OK)
			return PS_EPROTO;
	return PS_OK;
}

ps_status
ps_msg_scan_opened_decode(ps_reader *r, ps_msg_scan_opened *m)
{
	ps_status	st;

	if ((st = scan_opened_fields(r, m)) != PS_OK)
		return st;
	return ps_frame_get_end(r);
}

ps_status
ps_msg_scan_started_decode(ps_reader *r, ps_msg_scan_opened *m, ps_frame_rows *rows)
{
	ps_status	st;

	if ((st = scan_opened_fields(r, m)) != PS_OK)
		return st;
	return ps_frame_rows_decode(r, m->types, m->ntypes, rows);
}

void
ps_msg_scan_opened_clear(ps_msg_scan_opened *m)
{
	free(m->types);
	memset(m, 0, sizeof *m);
}

/* ---------------------------------------------------------------- LOAD_RESULT */

ps_status
ps_msg_load_result_encode(ps_buf *b, uint64_t loaded, uint64_t rejected,
						  const ps_error *errors, uint32_t nerrors)
{
	if (nerrors > PS_FRAME_MAX_ERRORS)
		nerrors = PS_FRAME_MAX_ERRORS;
	if (ps_buf_append_u64be(b, loaded) != PS_OK ||
		ps_buf_append_u64be(b, rejected) != PS_OK ||
		ps_buf_append_varint(b, nerrors) != PS_OK)
		return PS_ENOMEM;
	for (uint32_t i = 0; i < nerrors; i++)
		if (ps_frame_put_error(b, &errors[i]) != PS_OK)
			return PS_ENOMEM;
	return PS_OK;
}

ps_status
ps_msg_load_result_decode(ps_reader *r, ps_msg_load_result *m)
{
	memset(m, 0, sizeof *m);
	if (ps_frame_get_u64(r, &m->rows_loaded) != PS_OK ||
		ps_frame_get_u64(r, &m->rows_rejected) != PS_OK ||
		ps_frame_get_count(r, MIN_ERROR, PS_FRAME_MAX_ERRORS, &m->nerrors) != PS_OK)
		return PS_EPROTO;
	if ((m->errors = alloc_array(m->nerrors, sizeof(ps_error))) == NULL)
		return PS_ENOMEM;
	for (uint32_t i = 0; i < m->nerrors; i++)
		if (ps_frame_get_error(r, &m->errors[i]) != PS_OK)
			return PS_EPROTO;
	return ps_frame_get_end(r);
}

void
ps_msg_load_result_clear(ps_msg_load_result *m)
{
	free(m->errors);
	memset(m, 0, sizeof *m);
}

/* ---------------------------------------------------------------- TABLE_LIST, TABLE */

ps_status
ps_msg_table_list_put(ps_buf *b, const char *name, uint64_t rows, int64_t min_time,
					  int64_t max_time)
{
	if (ps_frame_put_str(b, name) != PS_OK ||
		ps_buf_append_u64be(b, rows) != PS_OK ||
		ps_frame_put_i64(b, min_time) != PS_OK)
		return PS_ENOMEM;
	return ps_frame_put_i64(b, max_time);
}

static ps_status
get_table(ps_reader *r, ps_msg_table *t)
{
	ps_status	st;

	if ((st = ps_frame_get_strdup(r, &t->name)) != PS_OK)
		return st;
	if (ps_frame_get_u64(r, &t->row_count) != PS_OK ||
		ps_frame_get_i64(r, &t->min_time) != PS_OK ||
		ps_frame_get_i64(r, &t->max_time) != PS_OK)
		return PS_EPROTO;
	return PS_OK;
}

ps_status
ps_msg_table_list_decode(ps_reader *r, ps_msg_table_list *m)
{
	ps_status	st;

	memset(m, 0, sizeof *m);
	if (ps_frame_get_count(r, MIN_STR + 24, UINT32_MAX, &m->ntables) != PS_OK)
		return PS_EPROTO;
	if ((m->tables = alloc_array(m->ntables, sizeof(ps_msg_table))) == NULL)
		return PS_ENOMEM;
	for (uint32_t i = 0; i < m->ntables; i++)
		if ((st = get_table(r, &m->tables[i])) != PS_OK)
			return st;
	return ps_frame_get_end(r);
}

void
ps_msg_table_list_clear(ps_msg_table_list *m)
{
	if (m->tables != NULL)
		for (uint32_t i = 0; i < m->ntables; i++)
			free(m->tables[i].name);
	free(m->tables);
	memset(m, 0, sizeof *m);
}

ps_status
ps_msg_table_info_put_header(ps_buf *b, const char *name, uint64_t rows, int64_t min_time,
							 int64_t max_time, uint64_t nseries, uint32_t ncolumns)
{
	if (ps_msg_table_list_put(b, name, rows, min_time, max_time) != PS_OK ||
		ps_buf_append_u64be(b, nseries) != PS_OK)
		return PS_ENOMEM;
	return ps_buf_append_varint(b, ncolumns);
}

ps_status
ps_msg_table_info_put_column(ps_buf *b, const char *name, ps_type type, bool is_time,
							 uint8_t series)
{
	if (ps_frame_put_str(b, name) != PS_OK || ps_buf_append_u8(b, (uint8_t) type) != PS_OK ||
		ps_buf_append_u8(b, is_time ? 1 : 0) != PS_OK)
		return PS_ENOMEM;
	return ps_buf_append_u8(b, series);
}

ps_status
ps_msg_table_info_decode(ps_reader *r, ps_msg_table_info *m)
{
	ps_status	st;

	memset(m, 0, sizeof *m);
	if ((st = get_table(r, &m->table)) != PS_OK)
		return st;
	if (ps_frame_get_u64(r, &m->nseries) != PS_OK ||
		ps_frame_get_count(r, MIN_STR + 3, PS_MAX_COLUMNS, &m->ncolumns) != PS_OK)
		return PS_EPROTO;
	if ((m->columns = alloc_array(m->ncolumns, sizeof(ps_msg_column))) == NULL)
		return PS_ENOMEM;
	for (uint32_t i = 0; i < m->ncolumns; i++)
	{
		ps_msg_column *c = &m->columns[i];

		if ((st = ps_frame_get_strdup(r, &c->name)) != PS_OK)
			return st;
		if (get_type(r, &c->type) != PS_OK || ps_frame_get_bool(r, &c->is_time) != PS_OK ||
			ps_frame_get_u8(r, &c->series) != PS_OK || c->series > PS_MAX_SERIES_COLUMNS)
			return PS_EPROTO;
	}
	return ps_frame_get_end(r);
}

void
ps_msg_table_info_clear(ps_msg_table_info *m)
{
	free(m->table.name);
	if (m->columns != NULL)
		for (uint32_t i = 0; i < m->ncolumns; i++)
			free(m->columns[i].name);
	free(m->columns);
	memset(m, 0, sizeof *m);
}

/* ---------------------------------------------------------------- STATUS_OK */

ps_status
ps_msg_status_encode(ps_buf *b, const ps_msg_status *m)
{
	if (ps_buf_append_u32be(b, m->pid) != PS_OK ||
		ps_frame_put_str(b, m->kind) != PS_OK ||
		ps_frame_put_str(b, m->rest_address) != PS_OK ||
		ps_frame_put_str(b, m->version) != PS_OK ||
		ps_buf_append_u64be(b, m->data_bytes) != PS_OK ||
		ps_buf_append_u32be(b, m->connections) != PS_OK ||
		ps_buf_append_u64be(b, m->open_scans) != PS_OK)
		return PS_ENOMEM;
	return ps_buf_append_u64be(b, m->open_loads);
}

ps_status
ps_msg_status_decode(ps_reader *r, ps_msg_status *m)
{
	if (ps_frame_get_u32(r, &m->pid) != PS_OK ||
		ps_frame_get_strbuf(r, m->kind, sizeof m->kind) != PS_OK ||
		ps_frame_get_strbuf(r, m->rest_address, sizeof m->rest_address) != PS_OK ||
		ps_frame_get_strbuf(r, m->version, sizeof m->version) != PS_OK ||
		ps_frame_get_u64(r, &m->data_bytes) != PS_OK ||
		ps_frame_get_u32(r, &m->connections) != PS_OK ||
		ps_frame_get_u64(r, &m->open_scans) != PS_OK ||
		ps_frame_get_u64(r, &m->open_loads) != PS_OK)
		return PS_EPROTO;
	return ps_frame_get_end(r);
}

/* ---------------------------------------------------------------- HELLO, HELLO_OK */

ps_status
ps_msg_hello_encode(ps_buf *b, uint32_t magic, uint16_t version)
{
	if (ps_buf_append_u32be(b, magic) != PS_OK)
		return PS_ENOMEM;
	return ps_frame_put_u16(b, version);
}

ps_status
ps_msg_hello_decode(ps_reader *r, uint32_t *magic, uint16_t *version)
{
	if (ps_frame_get_u32(r, magic) != PS_OK || ps_frame_get_u16(r, version) != PS_OK)
		return PS_EPROTO;
	return ps_frame_get_end(r);
}

ps_status
ps_msg_hello_ok_encode(ps_buf *b, const ps_msg_hello_ok *m)
{
	if (ps_frame_put_u16(b, m->version) != PS_OK || ps_buf_append_u32be(b, m->pid) != PS_OK)
		return PS_ENOMEM;
	return ps_frame_put_str(b, m->server_version);
}

ps_status
ps_msg_hello_ok_decode(ps_reader *r, ps_msg_hello_ok *m)
{
	if (ps_frame_get_u16(r, &m->version) != PS_OK ||
		ps_frame_get_u32(r, &m->pid) != PS_OK ||
		ps_frame_get_strbuf(r, m->server_version, sizeof m->server_version) != PS_OK)
		return PS_EPROTO;
	return ps_frame_get_end(r);
}
