/*
 * ps_rest_respond.c — the responses of pulsorad's REST API: the envelope
 * {"success", "data", "error"} built with jansson, error answers and the
 * HTTP status of each store error, and the query-string arguments of a
 * request as ps_rest_params.c takes them.
 *
 * Invariants:
 *  - Every response is queued through ps_rest_queue, which records its
 *    status in the request (counted for /metrics when the request ends); a
 *    request is answered at most once.
 *  - Messages quote client input, which may not be UTF-8: they are made
 *    safe (ps_rest_utf8_safe) before jansson sees them.  Errors of status
 *    500 and above are logged.
 */
#include "ps_rest_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "ps_log.h"

int
ps_rest_http_status_for(ps_status st)
{
	switch (st)
	{
		case PS_EINVAL:
		case PS_EBADROW:
		case PS_ESCHEMA:
		case PS_ETIME:
			return MHD_HTTP_BAD_REQUEST;
		case PS_ENOTFOUND:
			return MHD_HTTP_NOT_FOUND;
		case PS_EBUSY:
		case PS_EEXISTS:
			return MHD_HTTP_CONFLICT;
		case PS_ETOOBIG:
			return MHD_HTTP_CONTENT_TOO_LARGE;
		default:
			return MHD_HTTP_INTERNAL_SERVER_ERROR;
	}
}

enum MHD_Result
ps_rest_queue(request *rq, struct MHD_Connection *conn, int status, struct MHD_Response *resp,
			  const char *content_type)
{
	enum MHD_Result ret;

	if (resp == NULL)
		return MHD_NO;
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
	if (status == MHD_HTTP_UNAUTHORIZED)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer");
	ret = MHD_queue_response(conn, (unsigned) status, resp);
	MHD_destroy_response(resp);
	if (ret == MHD_YES)
		rq->status = status;
	return ret;
}

/* Queue {"success": error == NULL, "data": data, "error": error}; steals data. */
enum MHD_Result
ps_rest_respond_envelope(request *rq, struct MHD_Connection *conn, int status, json_t *data,
						 const char *error)
{
	json_t	   *env = json_pack("{s:b, s:o, s:s?}", "success", error == NULL,
								"data", data != NULL ? data : json_null(), "error", error);
	char	   *text = env != NULL ? json_dumps(env, JSON_COMPACT) : NULL;

	json_decref(env);
	if (text == NULL)
		return MHD_NO;
	return ps_rest_queue(rq, conn, status,
						 MHD_create_response_from_buffer(strlen(text), text, MHD_RESPMEM_MUST_FREE),
						 "application/json");
}

/*
 * Messages quote client input (paths, parameters, CSV fields), which may not
 * be UTF-8, and jansson refuses such strings: make them safe, in place.
 */
const char *
ps_rest_utf8_safe(char *s)
{
	if (!ps_utf8_valid(s, strlen(s)))
		for (char *p = s; *p; p++)
			if ((unsigned char) *p >= 0x80)
				*p = '?';
	return s;
}

enum MHD_Result
ps_rest_respond_error(request *rq, struct MHD_Connection *conn, int status, const char *fmt, ...)
{
	char		message[PS_ERROR_MESSAGE_MAX + 64];
	va_list		ap;

	va_start(ap, fmt);
	vsnprintf(message, sizeof message, fmt, ap);
	va_end(ap);
	ps_rest_utf8_safe(message);
	if (status >= 500)
		ps_log(PS_LOG_ERROR, "%s %s: %s", rq->method, rq->path, message);
	return ps_rest_respond_envelope(rq, conn, status, NULL, message);
}

/* An error from the store or the loader (whose messages name line and column). */
enum MHD_Result
ps_rest_respond_status(request *rq, struct MHD_Connection *conn, const ps_error *err)
{
	return ps_rest_respond_error(rq, conn, ps_rest_http_status_for(err->code), "%s", err->message);
}

enum MHD_Result
ps_rest_respond_not_found(request *rq, struct MHD_Connection *conn)
{
	return ps_rest_respond_error(rq, conn, MHD_HTTP_NOT_FOUND, "table \"%s\" not found", rq->table);
}

/* ---------------------------------------------------------------- parameters */

static enum MHD_Result
collect_arg(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	(void) kind;
	ps_rest_args_add(cls, key, value);
	return MHD_YES;
}

/* The query-string arguments of a route of this kind (values borrowed from MHD). */
void
ps_rest_collect_args(struct MHD_Connection *conn, ps_rest_args_kind kind, ps_rest_args *a)
{
	ps_rest_args_init(a, kind);
	MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, collect_arg, a);
}
