/*
 * ps_rest_watch.c — the slow-client watchdog of pulsorad's REST server, and
 * the monotonic clock its deadlines (and request timings) are read on.
 *
 * Slow clients.  MHD's connection timeout only counts silence, so a client
 * sending a byte every few seconds would hold a connection (and a thread)
 * for ever, and max_connections of them would deny service.  A watchdog
 * thread therefore also enforces deadlines, with request_timeout_s (T) of
 * ps_rest_config.connection_timeout_s:
 *  - a client must finish its request headers within T of connecting (or,
 *    on a kept-alive connection, of the end of its previous request);
 *  - a request body must arrive at MIN_BODY_BYTES_PER_S (1 KiB/s) on
 *    average, judged over each window of T seconds: fewer than 1 KiB x T
 *    bytes in a window ends the connection.  The time the owner itself
 *    spends handling body chunks (loading, a RocksDB stall) does not count
 *    against the client, so only a slow sender is cut.  1 KiB/s is far
 *    below any real link, and averaging over T lets a bursty uploader pause.
 * A request being answered (an export to a slow reader) is governed by
 * MHD's idle timeout alone, so exports and ingests that make progress are
 * never cut.  The watchdog ends a connection with shutdown(2) on its socket:
 * MHD then sees the end of the stream, closes the connection and aborts its
 * ingest through the completion callback, as for a client that went away;
 * each cut is logged and counted in pulsora_http_slow_clients_closed_total.
 * Watched connections live in a table of max_connections slots (MHD never
 * has more open), each registered by MHD's connection-started notification
 * and released by its closed notification under the same mutex; MHD sends
 * that notification before it closes the socket, so the watchdog never
 * shuts down a descriptor that has been reused.
 */
#include "ps_rest_int.h"

#include <errno.h>
#include <netdb.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>

#include "ps_log.h"

/* Slow clients (see the module comment). */
#define MIN_BODY_BYTES_PER_S 1024
#define WATCHDOG_TICK_MS 250

int64_t
ps_rest_monotonic_ns(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (int64_t) now.tv_sec * PS_NS_PER_SEC + now.tv_nsec;
}

double
ps_rest_elapsed_ms(int64_t since_ns)
{
	return (double) (ps_rest_monotonic_ns() - since_ns) / 1e6;
}

/* ---------------------------------------------------------------- watched connections */

/* The slot table and its lock (r zeroed); ps_rest_stop frees them. */
ps_status
ps_rest_watch_init(ps_rest *r, const ps_rest_config *cfg)
{
	pthread_condattr_t attr;
	int			rc;

	r->deadline_ns = (int64_t) cfg->connection_timeout_s * PS_NS_PER_SEC;
	r->min_window_bytes = (uint64_t) MIN_BODY_BYTES_PER_S * cfg->connection_timeout_s;
	r->nslots = cfg->max_connections;
	r->slots = calloc(r->nslots, sizeof *r->slots);
	r->free_slots = calloc(r->nslots, sizeof *r->free_slots);
	if (r->slots == NULL || r->free_slots == NULL)
		goto fail;
	for (uint32_t i = 0; i < r->nslots; i++)
	{
		r->slots[i] = (watched) {.phase = WATCH_FREE, .fd = -1};
		r->free_slots[r->nfree++] = r->nslots - 1 - i;
	}
	pthread_mutex_init(&r->watch_lock, NULL);
	/* The watchdog's ticks are on the monotonic clock, like every deadline. */
	if (pthread_condattr_init(&attr) != 0)
		goto fail_lock;
	rc = pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	if (rc == 0)
		rc = pthread_cond_init(&r->watch_wake, &attr);
	pthread_condattr_destroy(&attr);
	if (rc == 0)
		return PS_OK;
fail_lock:
	pthread_mutex_destroy(&r->watch_lock);
fail:
	free(r->slots);
	free(r->free_slots);
	return PS_ENOMEM;
}

/* A connection opened (MHD's accept thread): watch it, waiting for headers. NULL when full. */
static watched *
watch_add(ps_rest *r, int fd)
{
	watched    *w = NULL;

	pthread_mutex_lock(&r->watch_lock);
	if (r->nfree > 0)
	{
		w = &r->slots[r->free_slots[--r->nfree]];
		*w = (watched) {.phase = WATCH_HEADERS, .fd = fd, .since_ns = ps_rest_monotonic_ns()};
	}
	pthread_mutex_unlock(&r->watch_lock);
	return w;
}

/* A connection closed; MHD closes its socket only after this returns. */
static void
watch_remove(ps_rest *r, watched *w)
{
	if (w == NULL)
		return;
	pthread_mutex_lock(&r->watch_lock);
	*w = (watched) {.phase = WATCH_FREE, .fd = -1};
	r->free_slots[r->nfree++] = (uint32_t) (w - r->slots);
	pthread_mutex_unlock(&r->watch_lock);
}

/* Whether the phase of w is still ours to move on (not released, not being closed). */
static bool
watch_active(const watched *w)
{
	return w->phase != WATCH_FREE && w->phase != WATCH_CLOSING;
}

/* Our handler starts work on the connection: the client is not to blame meanwhile. */
void
ps_rest_watch_busy(ps_rest *r, watched *w)
{
	if (w == NULL)
		return;
	pthread_mutex_lock(&r->watch_lock);
	w->busy = true;
	w->busy_since_ns = ps_rest_monotonic_ns();
	pthread_mutex_unlock(&r->watch_lock);
}

/*
 * Our handler is done with a call that brought body_bytes of body: the
 * connection is now in phase next.  A new phase starts its clock; within
 * the body phase, the time the handler took is not the client's.
 */
void
ps_rest_watch_idle(ps_rest *r, watched *w, watch_phase next, size_t body_bytes)
{
	int64_t		now;

	if (w == NULL)
		return;
	now = ps_rest_monotonic_ns();
	pthread_mutex_lock(&r->watch_lock);
	w->busy = false;
	if (watch_active(w))
	{
		if (w->phase != next)
		{
			w->phase = next;
			w->since_ns = now;
			w->window_bytes = 0;
		}
		else if (next == WATCH_BODY)
			w->since_ns += now - w->busy_since_ns;
		w->window_bytes += body_bytes;
	}
	pthread_mutex_unlock(&r->watch_lock);
}

/* A request ended: on a kept-alive connection, the next one's headers are due. */
void
ps_rest_watch_next_request(ps_rest *r, watched *w)
{
	if (w == NULL)
		return;
	pthread_mutex_lock(&r->watch_lock);
	if (watch_active(w))
	{
		w->phase = WATCH_HEADERS;
		w->since_ns = ps_rest_monotonic_ns();
		w->window_bytes = 0;
	}
	pthread_mutex_unlock(&r->watch_lock);
}

/* Whether w is past its deadline at now (and why); starts a new body window when one passed. */
static bool
watch_overdue(const ps_rest *r, watched *w, int64_t now, slow_kind *why)
{
	if (w->busy || now - w->since_ns < r->deadline_ns)
		return false;
	if (w->phase == WATCH_HEADERS)
	{
		*why = SLOW_HEADERS;
		return true;
	}
	if (w->phase != WATCH_BODY)
		return false;
	if (w->window_bytes < r->min_window_bytes)
	{
		*why = SLOW_BODY;
		return true;
	}
	w->since_ns = now;
	w->window_bytes = 0;
	return false;
}

static void
log_slow_client(const ps_rest *r, const watched *w, slow_kind why)
{
	struct sockaddr_storage peer;
	socklen_t	len = sizeof peer;
	char		host[NI_MAXHOST] = "?";
	char		port[NI_MAXSERV] = "?";
	unsigned	timeout_s = (unsigned) (r->deadline_ns / PS_NS_PER_SEC);

	if (getpeername(w->fd, (struct sockaddr *) &peer, &len) == 0)
		getnameinfo((struct sockaddr *) &peer, len, host, sizeof host, port, sizeof port,
					NI_NUMERICHOST | NI_NUMERICSERV);
	if (why == SLOW_HEADERS)
		ps_log(PS_LOG_WARN, "http: closing the connection from %s port %s: request headers not "
			   "complete within request_timeout_s (%u s)", host, port, timeout_s);
	else
		ps_log(PS_LOG_WARN, "http: closing the connection from %s port %s: request body slower "
			   "than %d bytes/s (%llu bytes in %u s)", host, port, MIN_BODY_BYTES_PER_S,
			   (unsigned long long) w->window_bytes, timeout_s);
}

void *
ps_rest_watchdog_main(void *arg)
{
	ps_rest    *r = arg;
	struct timespec wake;

	pthread_mutex_lock(&r->watch_lock);
	clock_gettime(CLOCK_MONOTONIC, &wake);
	while (!r->watch_stop)
	{
		int64_t		now;

		wake.tv_nsec += WATCHDOG_TICK_MS * NS_PER_MS;
		if (wake.tv_nsec >= PS_NS_PER_SEC)
		{
			wake.tv_sec++;
			wake.tv_nsec -= PS_NS_PER_SEC;
		}
		while (!r->watch_stop &&
			   pthread_cond_timedwait(&r->watch_wake, &r->watch_lock, &wake) != ETIMEDOUT)
			;
		now = ps_rest_monotonic_ns();
		for (uint32_t i = 0; i < r->nslots && !r->watch_stop; i++)
		{
			watched    *w = &r->slots[i];
			slow_kind	why;

			if (!watch_overdue(r, w, now, &why))
				continue;
			/* MHD sees the end of the stream and closes the connection itself. */
			log_slow_client(r, w, why);
			shutdown(w->fd, SHUT_RDWR);
			w->phase = WATCH_CLOSING;
			atomic_fetch_add(&r->slow_closed[why], 1);
		}
	}
	pthread_mutex_unlock(&r->watch_lock);
	return NULL;
}

void
ps_rest_notify_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
						  enum MHD_ConnectionNotificationCode toe)
{
	ps_rest    *r = cls;
	const union MHD_ConnectionInfo *info;

	if (toe != MHD_CONNECTION_NOTIFY_STARTED)
	{
		watch_remove(r, *socket_context);
		*socket_context = NULL;
		return;
	}
	info = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	if (info == NULL)
		return;
	*socket_context = watch_add(r, info->connect_fd);
	/* MHD keeps at most max_connections open, so this is not expected: refuse rather than not watch. */
	if (*socket_context == NULL)
	{
		ps_log(PS_LOG_WARN, "http: no free connection slot; closing a new connection");
		shutdown(info->connect_fd, SHUT_RDWR);
	}
}
