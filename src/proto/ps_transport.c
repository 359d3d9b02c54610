/*
 * ps_transport.c — a protocol connection's byte stream, plain or under TLS
 * (API in ps_transport.h), and the TCP helpers of both ends.
 *
 * Invariants: no call changes the socket's blocking mode; a non-blocking
 * call sets io_flags to MSG_DONTWAIT for its duration, and the TLS pull and
 * push functions (installed by ps_transport_tls_attach) hand io_flags to
 * recv()/send(), so GnuTLS answers GNUTLS_E_AGAIN instead of blocking.  GnuTLS's error codes are
 * mapped to errno values here, so callers handle both kinds of stream the
 * same way.
 * This file is linked into the PostgreSQL extension: libc and GnuTLS only;
 * variables are declared at the top of blocks, as PostgreSQL's flags want.
 */
#include "ps_transport.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gnutls/gnutls.h>

void
ps_transport_init(ps_transport *t, int fd)
{
	memset(t, 0, sizeof *t);
	t->fd = fd;
}

/* GnuTLS reads the socket through this, with the flags of the call under way. */
static ssize_t
tls_pull(gnutls_transport_ptr_t ptr, void *p, size_t n)
{
	ps_transport *t = ptr;
	ssize_t		k = recv(t->fd, p, n, t->io_flags);

	if (k < 0)
		gnutls_transport_set_errno(t->tls, errno);
	return k;
}

static ssize_t
tls_push(gnutls_transport_ptr_t ptr, const void *p, size_t n)
{
	ps_transport *t = ptr;
	ssize_t		k = send(t->fd, p, n, MSG_NOSIGNAL | t->io_flags);

	if (k < 0)
		gnutls_transport_set_errno(t->tls, errno);
	return k;
}

/*
 * GnuTLS waits for bytes through this when a handshake timeout is set (the
 * owner's) and in some TLS 1.3 exchanges; a non-blocking call must not
 * wait, so it only looks.
 */
static int
tls_pull_timeout(gnutls_transport_ptr_t ptr, unsigned int ms)
{
	ps_transport *t = ptr;
	struct pollfd pfd;
	int			n;

	pfd.fd = t->fd;
	pfd.events = POLLIN;
	pfd.revents = 0;
	n = poll(&pfd, 1, (t->io_flags & MSG_DONTWAIT) ? 0 :
			 ms == GNUTLS_INDEFINITE_TIMEOUT ? -1 : (int) ms);
	if (n < 0)
		gnutls_transport_set_errno(t->tls, errno);
	return n;
}

void
ps_transport_tls_attach(ps_transport *t, struct gnutls_session_int *session)
{
	t->tls = session;
	gnutls_transport_set_ptr(session, t);
	gnutls_transport_set_pull_function(session, tls_pull);
	gnutls_transport_set_pull_timeout_function(session, tls_pull_timeout);
	gnutls_transport_set_push_function(session, tls_push);
}

/* A GnuTLS result of a record call as read()/write() report theirs. */
static ssize_t
tls_result(ps_transport *t, ssize_t rc)
{
	if (rc >= 0)
		return rc;
	switch (rc)
	{
		case GNUTLS_E_AGAIN:
			errno = EAGAIN;
			return -1;
		case GNUTLS_E_INTERRUPTED:
			errno = EINTR;
			return -1;
		case GNUTLS_E_PREMATURE_TERMINATION:
			return 0;			/* closed without close_notify: see ps_transport.h */
		default:
			t->tls_error = (int) rc;
			errno = EPROTO;
			return -1;
	}
}

ssize_t
ps_transport_read(ps_transport *t, void *p, size_t n, bool nonblock)
{
	ssize_t		rc;

	if (t->tls == NULL)
		return recv(t->fd, p, n, nonblock ? MSG_DONTWAIT : 0);
	t->io_flags = nonblock ? MSG_DONTWAIT : 0;
	rc = tls_result(t, gnutls_record_recv(t->tls, p, n));
	t->io_flags = 0;
	return rc;
}

ssize_t
ps_transport_write(ps_transport *t, const void *p, size_t n, bool nonblock)
{
	ssize_t		rc;

	if (t->tls == NULL)
		return send(t->fd, p, n, MSG_NOSIGNAL | (nonblock ? MSG_DONTWAIT : 0));
	t->io_flags = nonblock ? MSG_DONTWAIT : 0;
	rc = gnutls_record_send(t->tls, p, n);
	t->io_flags = 0;
	/* A write never sees an end of stream: a closed peer is an error. */
	if (rc == GNUTLS_E_PREMATURE_TERMINATION)
	{
		t->tls_error = (int) rc;
		errno = EPROTO;
		return -1;
	}
	return tls_result(t, rc);
}

bool
ps_transport_pending(const ps_transport *t)
{
	return t->tls != NULL && gnutls_record_check_pending(t->tls) > 0;
}

const char *
ps_transport_strerror(const ps_transport *t, int err)
{
	if (err == EPROTO && t->tls_error != 0)
		return gnutls_strerror(t->tls_error);
	return strerror(err);
}

void
ps_transport_close(ps_transport *t)
{
	if (t->tls != NULL)
		gnutls_deinit(t->tls);
	if (t->cred != NULL)
		gnutls_certificate_free_credentials(t->cred);
	if (t->fd >= 0)
		close(t->fd);
	t->tls = NULL;
	t->cred = NULL;
	t->fd = -1;
}

/* ---------------------------------------------------------------- TCP */

void
ps_address_format(const char *host, uint16_t port, char *out, size_t size)
{
	/* An IPv6 literal needs brackets before the port. */
	if (strchr(host, ':') != NULL)
		snprintf(out, size, "[%s]:%u", host, (unsigned) port);
	else
		snprintf(out, size, "%s:%u", host, (unsigned) port);
}

ps_status
ps_host_is_loopback(const char *host, bool *loopback, ps_error *err)
{
	struct addrinfo hints;
	struct addrinfo *res;
	struct addrinfo *ai;
	int			rc;

	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE;
	if ((rc = getaddrinfo(host, NULL, &hints, &res)) != 0)
		return ps_error_set(err, PS_EINVAL, "cannot resolve host \"%s\": %s", host, gai_strerror(rc));
	*loopback = res != NULL;
	for (ai = res; ai != NULL; ai = ai->ai_next)
	{
		if (ai->ai_family == AF_INET)
		{
			const struct sockaddr_in *sin = (const struct sockaddr_in *) ai->ai_addr;

			if ((ntohl(sin->sin_addr.s_addr) >> 24) != 127)
				*loopback = false;
		}
		else if (ai->ai_family == AF_INET6)
		{
			const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *) ai->ai_addr;

			if (!IN6_IS_ADDR_LOOPBACK(&sin6->sin6_addr))
				*loopback = false;
		}
		else
			*loopback = false;
	}
	freeaddrinfo(res);
	return PS_OK;
}

ps_status
ps_tcp_listen(const char *host, uint16_t port, int backlog, int *fd_out, int *family,
			  ps_error *err)
{
	struct addrinfo hints;
	struct addrinfo *res;
	struct addrinfo *ai;
	char		service[8];
	char		where[PS_ADDRESS_MAX];
	int			rc;
	int			saved = 0;

	ps_address_format(host, port, where, sizeof where);
	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	snprintf(service, sizeof service, "%u", (unsigned) port);
	if ((rc = getaddrinfo(host, service, &hints, &res)) != 0)
		return ps_error_set(err, PS_EINVAL, "cannot resolve host \"%s\": %s", host, gai_strerror(rc));
	for (ai = res; ai != NULL; ai = ai->ai_next)
	{
		int			one = 1;
		int			fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);

		if (fd < 0)
		{
			saved = errno;
			continue;
		}
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
		if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && listen(fd, backlog) == 0)
		{
			*fd_out = fd;
			*family = ai->ai_family;
			freeaddrinfo(res);
			return PS_OK;
		}
		saved = errno;
		close(fd);
	}
	freeaddrinfo(res);
	return ps_error_set(err, saved == EADDRINUSE ? PS_EBUSY : PS_EIO, "cannot listen on %s: %s",
						where, strerror(saved));
}

void
ps_tcp_tune(int fd)
{
	int			one = 1;

	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof one);
}
