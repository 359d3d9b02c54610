/*
 * ps_frame.h — native protocol frames and message codes, shared by client
 * and server.
 *
 * A frame is: u32 big-endian length of what follows | u8 message code |
 * payload.  The length counts the code byte, so it is at least 1; lengths
 * above PS_FRAME_MAX are a protocol error (the connection is closed), and
 * they are checked before anything is allocated.  Inside payloads: integers
 * are big-endian fixed width unless noted as varint (LEB128, canonical);
 * i64 is the two's complement bit pattern of a u64; strings ("str") are
 * varint length + bytes (no NUL inside, no terminator on the wire).  Every
 * payload must be consumed exactly: trailing bytes are a protocol error.
 *
 * Handshake: the client sends HELLO {u32 magic "PSRA", u16 version, str
 * token}; the owner answers HELLO_OK {u16 version, u32 pid, string server
 * version} or ERROR.  On TCP (DESIGN §7) the token must equal the owner's
 * auth_token (compared in constant time), else the answer is ERROR
 * PS_EPERM and the connection is closed; on the Unix socket, guarded by
 * its file mode, the token is ignored ("" by convention).  Under TLS the
 * TLS handshake comes first (ps_tls.h); a plain client on a TLS port gets
 * a plain ERROR (PS_ECONN) saying so.  Every request gets exactly one response frame: the request's
 * specific response, or ERROR {u16 code, i64 line, i32 column, string message}.
 * An ERROR with code PS_EPROTO means the owner found the request malformed
 * and has closed the connection; any other ERROR leaves the connection usable.
 *
 * Message table (request -> response; "rows" is defined below):
 *
 *  HELLO          u32 magic, u16 version, str token (v7) -> HELLO_OK
 *  TABLES         (empty)                             -> TABLE_LIST
 *  TABLE_INFO     str table                           -> TABLE
 *  DELETE_RANGE   str table, i64 lo, i64 hi (ns, inclusive) -> DELETED
 *  DROP_TABLE     str table                           -> OK
 *  STATUS         (empty)                             -> STATUS_OK
 *  SCAN_OPEN      str table, i64 lo, i64 hi (inclusive), u8 flags
 *                 (PS_SCAN_*), u64 offset, u64 limit (0 = none),
 *                 varint n, n x str column,
 *                 varint f, f x filter (v4)           -> SCAN_OPENED
 *  SCAN_START     the fields of SCAN_OPEN (filters included), then
 *                 u32 max_rows, u32 max_bytes         -> SCAN_STARTED
 *  SCAN_FETCH     u32 handle, u32 max_rows, u32 max_bytes -> ROWS
 *  ESTIMATE       the fields of SCAN_OPEN, then u64 max_blocks (v5)
 *                                                     -> ESTIMATED
 *  AGGREGATE      the fields of SCAN_START, then i64 bucket_width,
 *                 i64 bucket_origin (ns), varint g, g x str column,
 *                 varint n, n x (u8 aggregate, str column, and for
 *                 PS_AGG_SUM_PRODUCT str column2) (v6), varint s,
 *                 s x (u32 result column, u8 flags), u64 offset,
 *                 u64 limit (v7)                      -> SCAN_STARTED
 *  SCAN_CLOSE     u32 handle                          -> OK
 *  LOAD_BEGIN     str table, varint n, n x (str name, u8 type),
 *                 u32 time_index, u8 add_columns,
 *                 u8 has_series_key, str series_key if has_series_key
 *                 (v4)                                -> LOAD_OPENED
 *  LOAD_ROWS      u32 handle, rows to the end of the payload -> OK
 *  LOAD_CSV_BEGIN str table, varint n, n x (str key, str value) -> LOAD_OPENED
 *  LOAD_CSV_DATA  u32 handle, CSV bytes to the end of the payload -> OK
 *  LOAD_FINISH    u32 handle                          -> LOAD_RESULT
 *  LOAD_COMMIT    varint n, n x u32 handle            -> OK
 *  LOAD_ABORT     u32 handle                          -> OK
 *
 *  ERROR          u16 code, i64 line, i32 column, str message
 *  OK             (empty)
 *  HELLO_OK       u16 version, u32 pid, str server version
 *  TABLE_LIST     varint n, n x (str name, u64 row_count, i64 min, i64 max)
 *  TABLE          str name, u64 row_count, i64 min, i64 max,
 *                 u64 nseries (v4), varint n,
 *                 n x (str column, u8 type, u8 is_time, u8 series (v4))
 *  DELETED        u64 rows removed
 *  STATUS_OK      u32 pid, str kind, str rest address, str version,
 *                 u64 data bytes, u32 connections, u64 open scans,
 *                 u64 open loads
 *  SCAN_OPENED    u32 handle, varint n, n x u8 type (of the requested columns)
 *  SCAN_STARTED   the fields of SCAN_OPENED, then those of ROWS
 *  ROWS           column vectors (v5): ps_frame_rows.h
 *  ESTIMATED      u64 rows (v5)
 *  LOAD_OPENED    u32 handle
 *  LOAD_RESULT    u64 rows_loaded, u64 rows_rejected, varint n,
 *                 n x (u16 code, i64 line, i32 column, str message)
 *
 * A filter (SCAN_OPEN, v4) is: str column | varint nvalues | nvalues x
 * value, where a value is u8 kind, then for kind 0 (NULL) nothing, 1
 * (integer) i64, 2 (string) str, 3 (boolean) u8 0 or 1.  A scan returns
 * only rows that match one value of every filter (a NULL value matches a
 * NULL key; a filter of no values matches nothing).  Filters name
 * series-key columns (ps_store.h ps_series_filter) and their values must
 * have the column's type or be NULL: anything else is an ERROR (PS_EINVAL)
 * that leaves the connection usable.  Counts are capped at
 * PS_FRAME_MAX_FILTERS filters and PS_FRAME_MAX_FILTER_VALUES values in
 * all, and checked against the bytes left before anything is allocated.
 *
 * SCAN_OPEN flags: PS_SCAN_DESCENDING (time order, newest first);
 * PS_SCAN_UNORDERED (v5: rows in any order, for a client that aggregates or
 * sorts them itself: the owner merges nothing, and descending is ignored);
 * PS_SCAN_NO_TIMES (v5: ROWS carry no time vector, for a client that does
 * not need the time column).  Other bits are malformed.
 *
 * A row (LOAD_ROWS) is: i64 time (ns) | varint len | len bytes of an
 * untagged value (ps_row.h) holding the load's input columns other than the
 * time column, in input order (ps_row_encode).  Scans answer with column
 * vectors instead (ROWS, ps_frame_rows.h), in request order.
 *
 * Semantics worth knowing:
 *  - Counts are capped: columns at PS_MAX_COLUMNS, and see PS_FRAME_MAX_*.
 *  - Handles are per connection and never reused on it.  A connection's
 *    open scans and unfinished or uncommitted loads die with it.
 *  - SCAN_OPEN columns are value columns: naming the time column is an
 *    error (the row time always travels).  A ROWS frame with done = 1 ends
 *    the scan: the owner has already released the handle, so no SCAN_CLOSE
 *    is needed.  A SCAN_FETCH that fails also releases the handle.  The
 *    owner caps a batch at max_rows and at about max_bytes of rows (at
 *    most PS_FRAME_SCAN_BYTES_MAX; at least one row, whatever max_bytes
 *    says).  A scan with a limit ends (done = 1) with the batch that
 *    reaches the limit, so a client that reads `limit` rows need not close.
 *    SCAN_CLOSE and LOAD_ABORT of an unknown handle succeed (idempotent).
 *  - ESTIMATE asks how many rows a scan would return, counted from block
 *    metadata without reading blocks (ps_store_estimate; columns, order,
 *    offset and limit are ignored).  It is an ERROR (PS_ETOOBIG, the
 *    connection stays usable) when more than max_blocks blocks would have
 *    to be looked at.
 *  - SCAN_START is SCAN_OPEN and the first SCAN_FETCH in one round trip:
 *    its answer holds the first batch (done = 1: the handle is released).
 *  - AGGREGATE computes aggregates in the owner (core/ps_agg.h: the
 *    aggregate codes are ps_agg_fn, the column "" for count(*); columns
 *    are group columns, the bucket width 0 means no bucket) and answers as
 *    SCAN_START does, one row per group, the result columns of ps_agg.h as
 *    the scan's columns, with no time vector; SCAN_FETCH and SCAN_CLOSE
 *    then work on its handle.  Its SCAN_OPEN fields must have no columns,
 *    flags, offset or limit.  Its own sort keys (ps_agg_sort: a result
 *    column and PS_AGG_SORT_* flags, at most PS_FRAME_MAX_AGG_SORT), offset
 *    and limit (0 = none) order the groups and choose those sent, as
 *    ps_agg_spec's do; a bad key is an ERROR (PS_EINVAL) from the owner.
 *  - LOAD_BEGIN's series_key ("a,b"; "" = none) is used only when the load
 *    creates the table (ps_load_spec.series_key); without it the owner
 *    infers the key from the column names.  TABLE's nseries counts the
 *    distinct series-key values (0: no key, or not known); a column's
 *    series byte is 0 when it is not in the series key, else its position
 *    in the key (1 = first; at most PS_MAX_SERIES_COLUMNS).
 *  - A load is all-or-nothing: the first error on a load (a bad row, a bad
 *    CSV record in on_error=abort mode, a storage error) rolls it back and
 *    every later request on that handle but LOAD_ABORT gets the same error.
 *  - LOAD_FINISH ends input: rows are written but not committed.  Only
 *    finished loads can be committed; LOAD_COMMIT consumes every handle it
 *    names, committing all of them atomically or (on any error) none.
 *  - Pipelining: the client may send LOAD_ROWS / LOAD_CSV_DATA and read
 *    the OK (or ERROR) only just before its next request.  This keeps one
 *    frame in flight while the client fills the next; the owner needs no
 *    special support, as it answers every frame in order with a tiny frame.
 *    Likewise a client may send the next SCAN_FETCH of a scan as soon as a
 *    batch arrives (read-ahead), so the owner fills it while the client
 *    consumes the last one; answers still come one per request, in order.
 */
#ifndef PS_FRAME_H
#define PS_FRAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "../core/ps_buf.h"
#include "../core/ps_error.h"
#include "../core/ps_schema.h"		/* PS_MAX_COLUMNS, PS_MAX_NAME (macros only) */
#include "../core/ps_types.h"
#include "ps_transport.h"

#define PS_PROTO_MAGIC 0x50535241u	/* "PSRA" */
/*
 * 2: SCAN_START, SCAN_FETCH max_bytes; 3: STATUS activity; 4: series keys
 * (SCAN_OPEN/SCAN_START filters, LOAD_BEGIN series_key, TABLE nseries and
 * series); 5: ROWS as column vectors, scan flags unordered and no times,
 * ESTIMATE; 6: AGGREGATE; 7: BACKUP, BACKUPS, LOADS, LOAD_PROGRESS, a
 * load's source in LOAD_BEGIN and LOAD_CSV_BEGIN, AGGREGATE's sort keys,
 * offset and limit, HELLO's token (owners on TCP).
 */
#define PS_PROTO_VERSION 7
#define PS_FRAME_MAX (64u * 1024 * 1024)
#define PS_FRAME_HEADER 5			/* u32 length + u8 code */
/* Soft size of a batch frame (LOAD_ROWS, LOAD_CSV_DATA; ROWS by default). */
#define PS_FRAME_BATCH_BYTES (256u * 1024)
/* The largest soft size of a ROWS batch a client may ask for. */
#define PS_FRAME_SCAN_BYTES_MAX (1024u * 1024)
/* Caps on item counts, so a decoder's allocations stay small. */
#define PS_FRAME_MAX_OPTIONS 64			/* LOAD_CSV_BEGIN options */
#define PS_FRAME_MAX_HANDLES 4096		/* LOAD_COMMIT handles */
#define PS_FRAME_MAX_ERRORS 64			/* LOAD_RESULT errors */
#define PS_FRAME_MAX_FILTERS 8			/* SCAN_OPEN filters (PS_MAX_SERIES_COLUMNS) */
#define PS_FRAME_MAX_FILTER_VALUES 65536	/* SCAN_OPEN filter values, all filters together */

/* Kinds of a filter value on the wire (SCAN_OPEN). */
#define PS_FILTER_NULL 0
#define PS_FILTER_INTEGER 1
#define PS_FILTER_STRING 2
#define PS_FILTER_BOOLEAN 3
/* The kind of the non-NULL filter values of a column of type t; -1 for a type no key column has. */
int			ps_filter_kind(ps_type t);

typedef enum ps_msg_code {
	/* requests (client -> owner) */
	PS_MSG_HELLO = 0x01,
	PS_MSG_TABLES = 0x02,
	PS_MSG_TABLE_INFO = 0x03,
	PS_MSG_DELETE_RANGE = 0x04,
	PS_MSG_DROP_TABLE = 0x05,
	PS_MSG_STATUS = 0x06,
	PS_MSG_BACKUP = 0x07,
	PS_MSG_BACKUPS = 0x08,
	PS_MSG_LOADS = 0x09,
	PS_MSG_SCAN_OPEN = 0x10,
	PS_MSG_SCAN_FETCH = 0x11,
	PS_MSG_SCAN_CLOSE = 0x12,
	PS_MSG_SCAN_START = 0x13,
	PS_MSG_ESTIMATE = 0x14,
	PS_MSG_AGGREGATE = 0x15,
	PS_MSG_LOAD_BEGIN = 0x20,
	PS_MSG_LOAD_ROWS = 0x21,
	PS_MSG_LOAD_CSV_BEGIN = 0x22,
	PS_MSG_LOAD_CSV_DATA = 0x23,
	PS_MSG_LOAD_FINISH = 0x24,
	PS_MSG_LOAD_COMMIT = 0x25,
	PS_MSG_LOAD_ABORT = 0x26,
	/* responses (owner -> client) */
	PS_MSG_ERROR = 0x80,
	PS_MSG_OK = 0x81,
	PS_MSG_HELLO_OK = 0x82,
	PS_MSG_TABLE_LIST = 0x83,
	PS_MSG_TABLE = 0x84,
	PS_MSG_DELETED = 0x85,
	PS_MSG_STATUS_OK = 0x86,
	PS_MSG_SCAN_OPENED = 0x87,
	PS_MSG_ROWS = 0x88,
	PS_MSG_LOAD_OPENED = 0x89,
	PS_MSG_LOAD_RESULT = 0x8a,
	PS_MSG_SCAN_STARTED = 0x8b,
	PS_MSG_ESTIMATED = 0x8c,
	PS_MSG_BACKUP_DONE = 0x8d,
	PS_MSG_BACKUP_LIST = 0x8e,
	PS_MSG_LOAD_LIST = 0x8f,
	PS_MSG_LOAD_PROGRESS = 0x90
} ps_msg_code;

/* Name of a message code for error messages ("SCAN_OPEN"); "unknown" otherwise. */
const char *ps_msg_name(uint8_t code);

/* ---- frames over a connection's transport (ps_transport.h: plain or TLS) ---- */

/*
 * How a caller stays responsive while frame I/O waits for its peer (the
 * client in a PostgreSQL backend: query cancel, statement_timeout).  With
 * a wait, the *_wait functions below never sleep in the kernel for long:
 * while the socket is not ready they poll it for PS_FRAME_WAIT_SLICE_MS at
 * a time and call check(arg, waited_ms) after every such slice and
 * whenever a signal interrupts the poll; waited_ms is how long this frame's
 * send or receive has waited so far.  check returns true to go on waiting,
 * or false to give up: the call then returns PS_ECONN at once, without
 * touching the transport again.  check may also not return at all (longjmp): the frame
 * is then left half sent or half read, and the connection is unusable.
 * A NULL wait blocks until the peer is ready (or a socket timeout passes).
 */
#define PS_FRAME_WAIT_SLICE_MS 100
typedef struct ps_frame_wait {
	bool		(*check) (void *arg, uint32_t waited_ms);
	void	   *arg;
} ps_frame_wait;

/*
 * Wait until t's socket may be ready for events (POLLIN, POLLOUT; the
 * caller then retries its I/O), at once for POLLIN when TLS holds
 * decrypted bytes (ps_transport_pending): one slice of PS_FRAME_WAIT_SLICE_MS and then
 * wait->check, as described above, or without a wait as long as it takes.
 * *started is when this frame's I/O began waiting (0: not yet; set here).
 * PS_ECONN when the poll fails or the check gives up.
 */
ps_status	ps_frame_wait_ready(ps_transport *t, short events, const ps_frame_wait *wait,
								uint64_t *started, ps_error *err);

/*
 * Reset b and write a frame header for code with a placeholder length; the
 * payload is then appended to b.
 */
ps_status	ps_frame_start(ps_buf *b, uint8_t code);

/*
 * Patch the length of the frame in b (started by ps_frame_start) and write
 * it all to the transport t, retrying on EINTR and short writes, with
 * MSG_NOSIGNAL so a dead peer is an error, never a SIGPIPE.  A payload that
 * makes the frame exceed PS_FRAME_MAX is PS_ETOOBIG (nothing is sent);
 * I/O errors (including a send timeout) are PS_ECONN.
 */
ps_status	ps_frame_send(ps_transport *t, ps_buf *b, ps_error *err);
/* The same, waiting as wait says (NULL: as ps_frame_send). */
ps_status	ps_frame_send_wait(ps_transport *t, ps_buf *b, const ps_frame_wait *wait,
							   ps_error *err);

/*
 * Validate a frame header: *payload_len receives the payload length (not
 * counting the code byte).  A length of 0 or above PS_FRAME_MAX is PS_EPROTO.
 */
ps_status	ps_frame_header_parse(const uint8_t hdr[PS_FRAME_HEADER], uint32_t *payload_len,
								  uint8_t *code, ps_error *err);

/*
 * Read one frame from t into b (reset first; after the header is
 * validated, grown as payload bytes arrive, never ahead of them by more
 * than 1 MiB).  *payload then reads the payload, which
 * lives in b until b is next used.  A clean end of stream before the header
 * and any I/O error or timeout are PS_ECONN (*eof tells the first apart;
 * eof may be NULL); a bad header is PS_EPROTO.
 */
ps_status	ps_frame_recv(ps_transport *t, ps_buf *b, uint8_t *code, ps_reader *payload,
						  bool *eof, ps_error *err);
/* The same, waiting as wait says (NULL: as ps_frame_recv). */
ps_status	ps_frame_recv_wait(ps_transport *t, ps_buf *b, uint8_t *code, ps_reader *payload, bool *eof,
							   const ps_frame_wait *wait, ps_error *err);

/* ---- payload primitives (getters return PS_EPROTO on malformed input) ---- */

ps_status	ps_frame_put_u16(ps_buf *b, uint16_t v);
ps_status	ps_frame_put_i32(ps_buf *b, int32_t v);
ps_status	ps_frame_put_i64(ps_buf *b, int64_t v);
ps_status	ps_frame_put_str(ps_buf *b, const char *s);
/* varint length + bytes */
ps_status	ps_frame_put_bytes(ps_buf *b, const void *p, size_t n);
/* u16 code, i64 line, i32 column, str message */
ps_status	ps_frame_put_error(ps_buf *b, const ps_error *e);
/* A row: i64 time, varint len, value bytes. */
ps_status	ps_frame_put_row(ps_buf *b, int64_t time, const void *value, size_t len);

ps_status	ps_frame_get_u8(ps_reader *r, uint8_t *v);
ps_status	ps_frame_get_u16(ps_reader *r, uint16_t *v);
ps_status	ps_frame_get_u32(ps_reader *r, uint32_t *v);
ps_status	ps_frame_get_i32(ps_reader *r, int32_t *v);
ps_status	ps_frame_get_u64(ps_reader *r, uint64_t *v);
ps_status	ps_frame_get_i64(ps_reader *r, int64_t *v);
/* A boolean byte: 0 or 1, anything else is malformed. */
ps_status	ps_frame_get_bool(ps_reader *r, bool *v);
/* varint length + bytes, borrowed from the payload. */
ps_status	ps_frame_get_bytes(ps_reader *r, const uint8_t **p, size_t *n);
/*
 * A string copied NUL-terminated into a malloc'd block (*out, caller frees).
 * A NUL byte inside is malformed.  The copy is no longer than the payload.
 */
ps_status	ps_frame_get_strdup(ps_reader *r, char **out);
/* A string copied into out[0..outsz), NUL-terminated; longer is malformed. */
ps_status	ps_frame_get_strbuf(ps_reader *r, char *out, size_t outsz);
/*
 * A varint item count, at most max_items and checked against the bytes left
 * (each item takes at least min_item_bytes), so callers may allocate n items
 * safely.
 */
ps_status	ps_frame_get_count(ps_reader *r, size_t min_item_bytes, uint32_t max_items,
							   uint32_t *n);
ps_status	ps_frame_get_error(ps_reader *r, ps_error *e);
ps_status	ps_frame_get_row(ps_reader *r, int64_t *time, const uint8_t **value, size_t *len);
/* PS_OK when the payload is fully consumed; trailing bytes are malformed. */
ps_status	ps_frame_get_end(const ps_reader *r);

/* ---- composite payloads decoded by both sides and by the fuzzer ---- */

/*
 * Decoded messages own their strings and arrays (malloc'd); free them with
 * the matching *_clear, which is safe on a zeroed or partially decoded
 * value.  Encoders borrow everything.  Decoders consume the whole payload.
 */

/*
 * A series filter as encoders take it: the non-NULL values are of `type`
 * (PS_TYPE_INTEGER, PS_TYPE_STRING or PS_TYPE_BOOLEAN), which gives their
 * kind on the wire; NULL values (is_null) travel as kind 0.  kinds, when
 * not NULL, gives each value's kind instead (type and is_null are then not
 * read): how tests and the fuzzer send values of any kind.
 */
typedef struct ps_filter_spec {
	const char *column;
	ps_type		type;
	const ps_value *values;
	uint32_t	nvalues;
	const uint8_t *kinds;
} ps_filter_spec;

/*
 * A decoded filter: kinds[i] (PS_FILTER_*) says how values[i] was sent;
 * string values point into `strings` (NUL-terminated copies, owned).
 */
typedef struct ps_msg_filter {
	char	   *column;
	uint32_t	nvalues;
	uint8_t    *kinds;
	ps_value   *values;
	char	   *strings;
} ps_msg_filter;

#define PS_SCAN_DESCENDING 0x01
#define PS_SCAN_UNORDERED 0x02
#define PS_SCAN_NO_TIMES 0x04
#define PS_SCAN_FLAGS (PS_SCAN_DESCENDING | PS_SCAN_UNORDERED | PS_SCAN_NO_TIMES)

typedef struct ps_msg_scan_open {
	char	   *table;
	int64_t		lo, hi;
	uint8_t		flags;			/* PS_SCAN_* */
	uint64_t	offset, limit;
	uint32_t	ncolumns;
	char	  **columns;
	uint32_t	nfilters;
	ps_msg_filter *filters;
	uint32_t	max_rows, max_bytes;	/* SCAN_START only */
} ps_msg_scan_open;

/*
 * PS_EINVAL (nothing appended) when the filters break the caps or a
 * filter's type cannot be sent; PS_ENOMEM otherwise on failure.
 */
ps_status	ps_msg_scan_open_encode(ps_buf *b, const char *table, int64_t lo, int64_t hi,
									uint8_t flags, uint64_t offset, uint64_t limit,
									const char *const *columns, uint32_t ncolumns,
									const ps_filter_spec *filters, uint32_t nfilters);
ps_status	ps_msg_scan_open_decode(ps_reader *r, ps_msg_scan_open *m);
void		ps_msg_scan_open_clear(ps_msg_scan_open *m);
/* SCAN_START: the SCAN_OPEN fields, then the first batch's caps. */
ps_status	ps_msg_scan_start_put_batch(ps_buf *b, uint32_t max_rows, uint32_t max_bytes);
ps_status	ps_msg_scan_start_decode(ps_reader *r, ps_msg_scan_open *m);
/* ESTIMATE: the SCAN_OPEN fields (encoded as SCAN_OPEN), then u64 max_blocks. */
ps_status	ps_msg_estimate_decode(ps_reader *r, ps_msg_scan_open *m, uint64_t *max_blocks);

/* AGGREGATE's own fields (after those of SCAN_START), ps_frame_agg.c. */
#define PS_FRAME_MAX_AGG_ITEMS 256		/* as PS_AGG_MAX_ITEMS */
#define PS_FRAME_MAX_AGG_GROUPS 32		/* as PS_AGG_MAX_GROUP_COLUMNS */
#define PS_FRAME_MAX_AGG_SORT 64		/* as PS_AGG_MAX_SORT */

typedef struct ps_msg_aggregate {
	int64_t		bucket_width, bucket_origin;
	uint32_t	ngroup;
	char	  **group_by;
	uint32_t	nitems;
	uint8_t    *fns;			/* ps_agg_fn */
	char	  **columns;		/* "" for count(*) */
	char	  **columns2;		/* SUM_PRODUCT's second factor, else NULL */
	uint32_t	nsort;
	uint32_t   *sort_columns;	/* result columns */
	uint8_t    *sort_flags;		/* PS_AGG_SORT_* */
	uint64_t	offset, limit;	/* groups skipped, then sent at most (0 = all) */
} ps_msg_aggregate;

/*
 * Append AGGREGATE's own fields (columns2 may be NULL when no aggregate is
 * a SUM_PRODUCT; the sort arrays when nsort is 0); PS_EINVAL (nothing
 * appended) past the caps.
 */
ps_status	ps_msg_aggregate_put(ps_buf *b, int64_t bucket_width, int64_t bucket_origin,
								 const char *const *group_by, uint32_t ngroup,
								 const uint8_t *fns, const char *const *columns,
								 const char *const *columns2, uint32_t nitems,
								 const uint32_t *sort_columns, const uint8_t *sort_flags,
								 uint32_t nsort, uint64_t offset, uint64_t limit);
/* The whole AGGREGATE payload: the SCAN_START fields into *scan, the rest into *m. */
ps_status	ps_msg_aggregate_decode(ps_reader *r, ps_msg_scan_open *scan, ps_msg_aggregate *m);
void		ps_msg_aggregate_clear(ps_msg_aggregate *m);

typedef struct ps_msg_load_begin {
	char	   *table;
	uint32_t	ncolumns;
	char	  **names;
	ps_type    *types;
	uint32_t	time_index;
	bool		add_columns;
	char	   *series_key;		/* NULL: not given (infer) */
	char	   *source;			/* who runs the load, for LOADS (rest, sql, copy...) */
} ps_msg_load_begin;

/* series_key NULL: not given (the owner infers the key). */
ps_status	ps_msg_load_begin_encode(ps_buf *b, const char *table, const char *const *names,
									 const ps_type *types, uint32_t n, uint32_t time_index,
									 bool add_columns, const char *series_key,
									 const char *source);
/* Types must be valid ps_types; time_index need not be checked here (the store does). */
ps_status	ps_msg_load_begin_decode(ps_reader *r, ps_msg_load_begin *m);
void		ps_msg_load_begin_clear(ps_msg_load_begin *m);

typedef struct ps_msg_csv_begin {
	char	   *table;
	uint32_t	noptions;
	char	  **keys;
	char	  **values;
	char	   *source;			/* as ps_msg_load_begin's */
} ps_msg_csv_begin;

ps_status	ps_msg_csv_begin_encode(ps_buf *b, const char *table, const char *const *keys,
									const char *const *values, uint32_t n, const char *source);
ps_status	ps_msg_csv_begin_decode(ps_reader *r, ps_msg_csv_begin *m);
void		ps_msg_csv_begin_clear(ps_msg_csv_begin *m);

/* LOAD_COMMIT: a list of handles. */
typedef struct ps_msg_commit {
	uint32_t	nhandles;
	uint32_t   *handles;
} ps_msg_commit;

ps_status	ps_msg_commit_encode(ps_buf *b, const uint32_t *handles, uint32_t n);
ps_status	ps_msg_commit_decode(ps_reader *r, ps_msg_commit *m);
void		ps_msg_commit_clear(ps_msg_commit *m);

struct ps_frame_rows;			/* ps_frame_rows.h */

/* SCAN_OPENED */
typedef struct ps_msg_scan_opened {
	uint32_t	handle;
	uint32_t	ntypes;
	ps_type    *types;
} ps_msg_scan_opened;

ps_status	ps_msg_scan_opened_encode(ps_buf *b, uint32_t handle, const ps_type *types, uint32_t n);
ps_status	ps_msg_scan_opened_decode(ps_reader *r, ps_msg_scan_opened *m);
void		ps_msg_scan_opened_clear(ps_msg_scan_opened *m);
/*
 * SCAN_STARTED: the SCAN_OPENED fields into *m (encoded as SCAN_OPENED,
 * then the ROWS fields), the rows into *rows (ps_frame_rows_decode).
 */
ps_status	ps_msg_scan_started_decode(ps_reader *r, ps_msg_scan_opened *m,
									   struct ps_frame_rows *rows);

/* LOAD_RESULT */
typedef struct ps_msg_load_result {
	uint64_t	rows_loaded;
	uint64_t	rows_rejected;
	uint32_t	nerrors;
	ps_error   *errors;
} ps_msg_load_result;

ps_status	ps_msg_load_result_encode(ps_buf *b, uint64_t loaded, uint64_t rejected,
									  const ps_error *errors, uint32_t nerrors);
ps_status	ps_msg_load_result_decode(ps_reader *r, ps_msg_load_result *m);
void		ps_msg_load_result_clear(ps_msg_load_result *m);

/* TABLE_LIST entries and TABLE */
typedef struct ps_msg_table {
	char	   *name;
	uint64_t	row_count;
	int64_t		min_time, max_time;
} ps_msg_table;

typedef struct ps_msg_table_list {
	uint32_t	ntables;
	ps_msg_table *tables;
} ps_msg_table_list;

ps_status	ps_msg_table_list_put(ps_buf *b, const char *name, uint64_t rows, int64_t min_time,
								  int64_t max_time);	/* one entry, after the count */
ps_status	ps_msg_table_list_decode(ps_reader *r, ps_msg_table_list *m);
void		ps_msg_table_list_clear(ps_msg_table_list *m);

typedef struct ps_msg_column {
	char	   *name;
	ps_type		type;
	bool		is_time;
	uint8_t		series;			/* 0: not in the series key, k: its k-th column */
} ps_msg_column;

typedef struct ps_msg_table_info {
	ps_msg_table table;
	uint64_t	nseries;
	uint32_t	ncolumns;
	ps_msg_column *columns;
} ps_msg_table_info;

/* Encoding: the header (with the column count), then one put per column. */
ps_status	ps_msg_table_info_put_header(ps_buf *b, const char *name, uint64_t rows,
										 int64_t min_time, int64_t max_time, uint64_t nseries,
										 uint32_t ncolumns);
ps_status	ps_msg_table_info_put_column(ps_buf *b, const char *name, ps_type type, bool is_time,
										 uint8_t series);
ps_status	ps_msg_table_info_decode(ps_reader *r, ps_msg_table_info *m);
void		ps_msg_table_info_clear(ps_msg_table_info *m);

/* STATUS_OK */
typedef struct ps_msg_status {
	uint32_t	pid;
	char		kind[32];
	char		rest_address[128];
	char		version[32];
	uint64_t	data_bytes;
	uint32_t	connections;	/* native-protocol connections, this one included */
	uint64_t	open_scans;		/* ps_store_activity */
	uint64_t	open_loads;
} ps_msg_status;

ps_status	ps_msg_status_encode(ps_buf *b, const ps_msg_status *m);
ps_status	ps_msg_status_decode(ps_reader *r, ps_msg_status *m);

/* ---- operations (ps_frame_ops.c) ---- */

/* Caps on list answers, so a decoder's allocations stay small. */
#define PS_FRAME_MAX_BACKUPS 10000	/* paths of up to 4 KiB: under PS_FRAME_MAX */
#define PS_FRAME_MAX_LOADS 100000

/* A backup: BACKUP_DONE is one, BACKUP_LIST a varint count of them. */
typedef struct ps_msg_backup {
	char	   *name;			/* its UTC time */
	char	   *path;
	uint64_t	bytes;
	int64_t		created_ns;		/* UTC */
	uint64_t	elapsed_us;		/* how long taking it took; 0 = unknown */
} ps_msg_backup;

ps_status	ps_msg_backup_put(ps_buf *b, const char *name, const char *path, uint64_t bytes,
							  int64_t created_ns, uint64_t elapsed_us);
ps_status	ps_msg_backup_decode(ps_reader *r, ps_msg_backup *m);	/* BACKUP_DONE */
void		ps_msg_backup_clear(ps_msg_backup *m);

typedef struct ps_msg_backup_list {
	uint32_t	n;
	ps_msg_backup *backups;
} ps_msg_backup_list;

ps_status	ps_msg_backup_list_decode(ps_reader *r, ps_msg_backup_list *m);
void		ps_msg_backup_list_clear(ps_msg_backup_list *m);

/* A load in progress: LOAD_LIST is a varint count of them. */
typedef struct ps_msg_load_entry {
	uint64_t	id;
	char	   *table;
	char	   *source;
	uint64_t	rows;
	uint64_t	bytes;
	int64_t		started_ns;		/* UTC */
	uint64_t	rows_per_second;	/* since it started, rounded; 0 under a millisecond old */
} ps_msg_load_entry;

typedef struct ps_msg_load_list {
	uint32_t	n;
	ps_msg_load_entry *loads;
} ps_msg_load_list;

ps_status	ps_msg_load_entry_put(ps_buf *b, uint64_t id, const char *table, const char *source,
								  uint64_t rows, uint64_t bytes, int64_t started_ns,
								  uint64_t rows_per_second);
ps_status	ps_msg_load_list_decode(ps_reader *r, ps_msg_load_list *m);
void		ps_msg_load_list_clear(ps_msg_load_list *m);

/* LOAD_PROGRESS, the answer to LOAD_ROWS and LOAD_CSV_DATA: u64 rows, u64 bytes so far. */
ps_status	ps_msg_load_progress_encode(ps_buf *b, uint64_t rows, uint64_t bytes);
ps_status	ps_msg_load_progress_decode(ps_reader *r, uint64_t *rows, uint64_t *bytes);

/* HELLO and HELLO_OK */
#define PS_PROTO_TOKEN_MAX 512		/* bytes of HELLO's token, as [server] auth_token */

typedef struct ps_msg_hello {
	uint32_t	magic;
	uint16_t	version;
	char		token[PS_PROTO_TOKEN_MAX + 1];
} ps_msg_hello;

/* token NULL: "" (none); PS_EINVAL (nothing appended) past PS_PROTO_TOKEN_MAX bytes. */
ps_status	ps_msg_hello_encode(ps_buf *b, uint32_t magic, uint16_t version, const char *token);
/*
 * Fields are filled in wire order, so after a failure magic and version
 * still tell a client of another protocol version (whose HELLO may end
 * differently) from one that is malformed (both 0 until read).
 */
ps_status	ps_msg_hello_decode(ps_reader *r, ps_msg_hello *m);

typedef struct ps_msg_hello_ok {
	uint16_t	version;
	uint32_t	pid;
	char		server_version[32];
} ps_msg_hello_ok;

ps_status	ps_msg_hello_ok_encode(ps_buf *b, const ps_msg_hello_ok *m);
ps_status	ps_msg_hello_ok_decode(ps_reader *r, ps_msg_hello_ok *m);

#endif
