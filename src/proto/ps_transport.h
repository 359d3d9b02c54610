/*
 * ps_transport.h — the byte stream under the native protocol: a connected
 * socket, plain (the Unix socket, or TCP with tls = disable) or carrying a
 * TLS session (GnuTLS), read and written alike by the frame layer
 * (ps_frame_io.c), the client (ps_client*.c) and the owner's connections
 * (ps_proto_conn.c); and the TCP helpers both ends share (listening,
 * naming an address, telling a loopback host).
 *
 * A ps_transport is a plain struct the caller embeds: it owns the socket
 * and, under TLS, the session and (client side) the credentials the
 * session uses; ps_transport_close frees all three.  Once TLS is set up
 * (ps_tls.h) the struct must not move: the session points at it.
 *
 * Reads and writes never change the socket's own (blocking) mode: a
 * non-blocking call passes MSG_DONTWAIT down to recv()/send(), under TLS
 * through GnuTLS's pull and push functions.  Sends use MSG_NOSIGNAL: a dead
 * peer is an error, never a SIGPIPE.  Under TLS, bytes the session has
 * already decrypted are not visible to poll() on the socket:
 * ps_transport_pending tells whether a read can go on without waiting.
 * A TLS peer that closes without close_notify reads as an end of stream,
 * as a plain socket's close does: frames are length-prefixed, so a
 * truncated frame is caught by the frame layer either way.
 *
 * This file's code is linked into the PostgreSQL extension: libc and
 * GnuTLS only; no process-wide state (GnuTLS's own global init aside).
 * The GnuTLS types are declared opaquely here, so that including this
 * header (through ps_frame.h) needs no GnuTLS header.
 */
#ifndef PS_TRANSPORT_H
#define PS_TRANSPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "../core/ps_error.h"

struct gnutls_session_int;					/* gnutls_session_t */
struct gnutls_certificate_credentials_st;	/* gnutls_certificate_credentials_t */

typedef struct ps_transport {
	int			fd;				/* the socket; -1 once closed */
	struct gnutls_session_int *tls;	/* NULL: plain */
	/* The credentials tls uses when this side owns them (a client); NULL otherwise. */
	struct gnutls_certificate_credentials_st *cred;
	int			io_flags;		/* MSG_DONTWAIT during a non-blocking call (TLS pull/push read it) */
	int			tls_error;		/* the GnuTLS error behind the last EPROTO */
} ps_transport;

/* A plain transport over fd, e.g. PS_TRANSPORT_FD(sock) for a test's raw socket. */
#define PS_TRANSPORT_FD(sock) (&(ps_transport) {.fd = (sock)})

/* Take fd as a plain transport. */
void		ps_transport_init(ps_transport *t, int fd);
/*
 * Run session (set up by ps_tls.h's functions, not yet handshaken) over t's
 * socket; t owns it from now on.  t must not move afterwards.
 */
void		ps_transport_tls_attach(ps_transport *t, struct gnutls_session_int *session);

/*
 * Read at most n bytes: > 0 bytes read, 0 at the end of the stream, -1
 * with errno set: EAGAIN (nonblock and nothing there yet, or a socket
 * timeout passed), EINTR, the socket's own errors, or EPROTO for a TLS
 * failure (ps_transport_strerror says which).
 */
ssize_t		ps_transport_read(ps_transport *t, void *p, size_t n, bool nonblock);
/* Write at most n bytes: > 0 bytes written, or -1 with errno as for reads. */
ssize_t		ps_transport_write(ps_transport *t, const void *p, size_t n, bool nonblock);
/* Decrypted bytes are waiting: the next read returns them without waiting on the socket. */
bool		ps_transport_pending(const ps_transport *t);
/* What a failed read or write with errno err means (GnuTLS's reason for EPROTO). */
const char *ps_transport_strerror(const ps_transport *t, int err);
/* Close the socket and free the TLS session and owned credentials; idempotent. */
void		ps_transport_close(ps_transport *t);

/* ---- TCP ---- */

/* "host:port", "[v6]:port" for an IPv6 literal, into out (at least PS_ADDRESS_MAX). */
#define PS_ADDRESS_MAX 272
void		ps_address_format(const char *host, uint16_t port, char *out, size_t size);

/*
 * Whether every address host resolves to is a loopback address (127/8,
 * ::1): such a listener is reachable from this machine only.  PS_EINVAL,
 * naming host, when it does not resolve.
 */
ps_status	ps_host_is_loopback(const char *host, bool *loopback, ps_error *err);

/*
 * Bind host:port (the first address that binds), listen and return the
 * socket (close-on-exec, SO_REUSEADDR) and its address family.  PS_EBUSY
 * when the address is in use, PS_EINVAL when host does not resolve,
 * PS_EIO otherwise; the message names host:port.
 */
ps_status	ps_tcp_listen(const char *host, uint16_t port, int backlog, int *fd, int *family,
						  ps_error *err);

/* Options of a protocol TCP socket at either end: no Nagle delay (frames are small), keepalives. */
void		ps_tcp_tune(int fd);

#endif
