/*
 * ps_proto_server.c — the owner side of the native protocol (API in
 * ps_proto_server.h, wire format in ps_frame.h): the listening socket, the
 * accept thread, admitting connections, start and stop.
 *
 * The server is split by job: this file; ps_proto_conn.c, a connection's
 * thread (the handshake, reading requests, dispatch, the answers); and the
 * request handlers, ps_proto_catalog.c (tables, delete, drop, status),
 * ps_proto_ops.c (backups, loads in progress), ps_proto_scan.c (scans) and
 * ps_proto_load.c (loads).  What they share is
 * in ps_proto_server_int.h.
 *
 * Threads: one accept thread polls the listening sockets (the Unix socket
 * and, when configured, TCP) and a wake-up pipe;
 * each admitted connection runs in a detached thread of its own that reads a
 * request, answers it and loops.  The server's mutex guards only the
 * connection list and count; a connection's handles are touched by its own
 * thread alone.  Stop closes the listener, shuts every connection socket
 * down (which wakes its thread out of poll/recv/send) and waits on a
 * condition variable until the connection count drops to zero; a connection
 * thread closes its socket and unlinks itself under the mutex, as its very
 * last use of the server, so stop never touches a recycled descriptor and
 * may free the server as soon as the count is zero.
 *
 * Invariants:
 *  - At most max_connections connections are served at once; one more is
 *    answered with an ERROR (PS_EBUSY) and closed, and the owner lives on.
 *  - Every connection's socket gets scan_idle_timeout_s as its send and
 *    receive timeout before its thread starts.
 *  - The socket file is created with mode 0600 (never wider, not even for a
 *    moment), replacing a dead owner's.
 *  - A TCP listener exists only with an auth token (start refuses one
 *    without); its TLS handshake, if any, runs in the connection's own
 *    thread (ps_proto_conn.c), never in the accept thread.
 */
#include "ps_proto_server_int.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#define DEFAULT_MAX_CONNECTIONS 64
#define DEFAULT_SCAN_IDLE_TIMEOUT_S 300
#define LISTEN_BACKLOG 64

static void
set_timeouts(int fd, uint32_t seconds)
{
	struct timeval tv;

	tv.tv_sec = seconds;
	tv.tv_usec = 0;
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
}

/* Admit a new connection, or tell the peer why not and close it. */
static void
admit(ps_proto_server *srv, int fd, bool tcp)
{
	conn	   *cn = NULL;
	pthread_attr_t attr;
	pthread_t	tid;
	ps_error	err;
	ps_buf		out = PS_BUF_INIT;
	bool		started = false;

	set_timeouts(fd, srv->idle_timeout_s);
	if (tcp)
		ps_tcp_tune(fd);
	pthread_mutex_lock(&srv->mu);
	if (srv->nconns >= srv->max_connections)
		ps_error_set(&err, PS_EBUSY, "too many connections to the pulsora owner (max %u)",
					 srv->max_connections);
	else if ((cn = calloc(1, sizeof *cn)) == NULL)
		ps_error_set(&err, PS_ENOMEM, "out of memory for a connection");
	else
	{
		cn->srv = srv;
		ps_transport_init(&cn->tx, fd);
		cn->tcp = tcp;
		pthread_attr_init(&attr);
		pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
		started = pthread_create(&tid, &attr, ps_proto_conn_main, cn) == 0;
		pthread_attr_destroy(&attr);
		if (started)
		{
			cn->next = srv->conns;
			if (srv->conns)
				srv->conns->prev = cn;
			srv->conns = cn;
			srv->nconns++;
		}
		else
		{
			free(cn);
			ps_error_set(&err, PS_ENOMEM, "cannot start a connection thread");
		}
	}
	/* The new thread waits on mu before it can unlink itself, so linking here is safe. */
	pthread_mutex_unlock(&srv->mu);
	if (started)
		return;
	/*
	 * Its answer to the client's HELLO: the client reports this error.  A
	 * TLS client would take it for a bad handshake: it gets only the close.
	 */
	if (!(tcp && srv->tls != NULL))
		ps_proto_send_error(PS_TRANSPORT_FD(fd), &out, &err);
	ps_buf_free(&out);
	shutdown(fd, SHUT_WR);
	close(fd);
}

static void *
accept_main(void *arg)
{
	ps_proto_server *srv = arg;

	for (;;)
	{
		struct pollfd pfd[3];
		nfds_t		n = 2;
		int			fd;

		pfd[0].fd = srv->wake[0];
		pfd[1].fd = srv->listen_fd;
		if (srv->tcp_fd >= 0)
			pfd[n++].fd = srv->tcp_fd;
		for (nfds_t i = 0; i < n; i++)
		{
			pfd[i].events = POLLIN;
			pfd[i].revents = 0;
		}
		if (poll(pfd, n, -1) < 0)
		{
			if (errno == EINTR)
				continue;
			return NULL;
		}
		if (pfd[0].revents)
			return NULL;
		for (nfds_t i = 1; i < n; i++)
		{
			if (!(pfd[i].revents & POLLIN))
				continue;
			fd = accept4(pfd[i].fd, NULL, NULL, SOCK_CLOEXEC);
			if (fd < 0)
			{
				/* Transient (peer gone, fd limit): keep serving the others. */
				if (errno == EMFILE || errno == ENFILE)
					poll(NULL, 0, 100);
				continue;
			}
			admit(srv, fd, pfd[i].fd == srv->tcp_fd);
		}
	}
}

static ps_status
listen_on(ps_proto_server *srv, const char *path, ps_error *err)
{
	struct sockaddr_un sa;
	mode_t		old_mask;
	int			rc;

	memset(&sa, 0, sizeof sa);
	sa.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof sa.sun_path)
		return ps_error_set(err, PS_ETOOBIG,
							"socket path \"%s\" is longer than the %zu bytes a Unix socket allows",
							path, sizeof sa.sun_path - 1);
	memcpy(sa.sun_path, path, strlen(path) + 1);
	memcpy(srv->socket_path, sa.sun_path, sizeof srv->socket_path);
	if ((srv->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return ps_error_set(err, PS_EIO, "cannot create a socket: %s", strerror(errno));
	/* The caller holds the store lock, so a socket file here is a dead owner's. */
	if (unlink(path) < 0 && errno != ENOENT)
		return ps_error_set(err, PS_EIO, "cannot remove stale socket %s: %s", path, strerror(errno));
	/* bind creates the file with 0777 & ~umask: make that 0600 from the start. */
	old_mask = umask(0177);
	rc = bind(srv->listen_fd, (struct sockaddr *) &sa, sizeof sa);
	umask(old_mask);
	if (rc < 0)
		return ps_error_set(err, PS_EIO, "cannot bind %s: %s", path, strerror(errno));
	if (listen(srv->listen_fd, LISTEN_BACKLOG) < 0)
	{
		unlink(path);
		return ps_error_set(err, PS_EIO, "cannot listen on %s: %s", path, strerror(errno));
	}
	return PS_OK;
}

static void
copy_string(char *dst, size_t size, const char *src)
{
	snprintf(dst, size, "%s", src ? src : "");
}

static void
server_free(ps_proto_server *srv)
{
	if (srv->auth_token != NULL)
		explicit_bzero(srv->auth_token, strlen(srv->auth_token));
	free(srv->auth_token);
	pthread_cond_destroy(&srv->idle);
	pthread_mutex_destroy(&srv->mu);
	free((char *) srv->backup.parent);
	free((char *) srv->backup.config_path);
	free(srv);
}

ps_status
ps_proto_server_start(ps_store *st, const ps_proto_server_config *cfg,
					  ps_proto_server **out, ps_error *err)
{
	ps_proto_server *srv;
	ps_status	rc;

	*out = NULL;
	if (cfg->socket_path == NULL)
		return ps_error_set(err, PS_EINVAL, "no socket path given");
	if ((srv = calloc(1, sizeof *srv)) == NULL)
		return ps_error_set(err, PS_ENOMEM, "out of memory for the protocol server");
	srv->st = st;
	srv->listen_fd = -1;
	srv->tcp_fd = -1;
	srv->tls = cfg->tls;
	srv->stats = cfg->stats != NULL ? cfg->stats : &srv->own_stats;
	srv->wake[0] = srv->wake[1] = -1;
	srv->max_connections = cfg->max_connections ? cfg->max_connections : DEFAULT_MAX_CONNECTIONS;
	srv->idle_timeout_s = cfg->scan_idle_timeout_s ? cfg->scan_idle_timeout_s
		: DEFAULT_SCAN_IDLE_TIMEOUT_S;
	srv->max_field_bytes = cfg->max_field_bytes;
	srv->batch_size = cfg->batch_size;
	copy_string(srv->status.kind, sizeof srv->status.kind, cfg->kind);
	copy_string(srv->status.rest_address, sizeof srv->status.rest_address, cfg->rest_address);
	copy_string(srv->status.version, sizeof srv->status.version, cfg->version);
	pthread_mutex_init(&srv->mu, NULL);
	pthread_cond_init(&srv->idle, NULL);
	srv->backup.keep = cfg->backup.keep;
	if ((cfg->backup.parent && !(srv->backup.parent = strdup(cfg->backup.parent))) ||
		(cfg->backup.config_path && !(srv->backup.config_path = strdup(cfg->backup.config_path))))
	{
		rc = ps_error_set(err, PS_ENOMEM, "out of memory for the protocol server");
		goto fail;
	}
	if (cfg->tcp_port != 0)
	{
		int			family;

		if (cfg->auth_token == NULL || cfg->auth_token[0] == '\0')
		{
			rc = ps_error_set(err, PS_EINVAL, "the native protocol on TCP needs an auth token");
			goto fail;
		}
		if ((srv->auth_token = strdup(cfg->auth_token)) == NULL)
		{
			rc = ps_error_set(err, PS_ENOMEM, "out of memory for the protocol server");
			goto fail;
		}
		ps_address_format(cfg->tcp_host ? cfg->tcp_host : "127.0.0.1", cfg->tcp_port,
						  srv->tcp_address, sizeof srv->tcp_address);
		if ((rc = ps_tcp_listen(cfg->tcp_host ? cfg->tcp_host : "127.0.0.1", cfg->tcp_port,
								LISTEN_BACKLOG, &srv->tcp_fd, &family, err)) != PS_OK)
			goto fail;
	}
	if ((rc = listen_on(srv, cfg->socket_path, err)) != PS_OK)
		goto fail;
	if (pipe2(srv->wake, O_CLOEXEC) < 0)
	{
		rc = ps_error_set(err, PS_EIO, "cannot create a pipe: %s", strerror(errno));
		goto fail_unlink;
	}
	if (pthread_create(&srv->accept_thread, NULL, accept_main, srv) != 0)
	{
		rc = ps_error_set(err, PS_ENOMEM, "cannot start the protocol accept thread");
		goto fail_unlink;
	}
	*out = srv;
	return PS_OK;

fail_unlink:
	unlink(srv->socket_path);
fail:
	if (srv->listen_fd >= 0)
		close(srv->listen_fd);
	if (srv->tcp_fd >= 0)
		close(srv->tcp_fd);
	if (srv->wake[0] >= 0)
		close(srv->wake[0]);
	if (srv->wake[1] >= 0)
		close(srv->wake[1]);
	server_free(srv);
	return rc;
}

void
ps_proto_server_stop(ps_proto_server *srv)
{
	ssize_t		rc;

	if (srv == NULL)
		return;
	/* The accept thread ends first, so no connection is admitted after this. */
	do
		rc = write(srv->wake[1], "x", 1);
	while (rc < 0 && errno == EINTR);
	pthread_join(srv->accept_thread, NULL);
	close(srv->listen_fd);
	if (srv->tcp_fd >= 0)
		close(srv->tcp_fd);
	close(srv->wake[0]);
	close(srv->wake[1]);

	/* Wake every connection thread; each aborts its loads and leaves. */
	pthread_mutex_lock(&srv->mu);
	for (conn *cn = srv->conns; cn != NULL; cn = cn->next)
		shutdown(cn->tx.fd, SHUT_RDWR);
	while (srv->nconns > 0)
		pthread_cond_wait(&srv->idle, &srv->mu);
	pthread_mutex_unlock(&srv->mu);
	server_free(srv);
}
