/*
 * ps_tls.h — TLS (GnuTLS) for the native protocol over TCP, and the
 * owner's certificate for REST too (DESIGN §7): the client's handshake
 * (ps_tls_client.c, linked into the PostgreSQL extension) and the owner's
 * credentials and handshake (ps_tls_server.c, pulsorad only).
 *
 * Both ends allow TLS 1.2 and 1.3 only (PS_TLS_PRIORITY, which REST's
 * libmicrohttpd is given too).  Client modes, as libpq's sslmode: disable
 * (plain TCP), require (encrypted, the certificate is not checked) and
 * verify-full (the chain must lead to a trusted CA — the CA file given, or
 * the system's trust store — and the certificate must name the host
 * connected to, as a DNS name or an IP address).
 *
 * Ownership: a client's session and credentials belong to its transport
 * (freed by ps_transport_close).  A ps_tls_server is created once by the
 * owner's main, borrowed by the protocol server and REST, and freed after
 * both have stopped; its credentials are shared read-only by every
 * connection thread, which GnuTLS allows.  No process-wide state but
 * gnutls_global_init (reference counted, safe to call many times).
 */
#ifndef PS_TLS_H
#define PS_TLS_H

#include <stdbool.h>
#include "../core/ps_error.h"
#include "ps_frame.h"
#include "ps_transport.h"

/* TLS 1.2 or later, GnuTLS's default ciphers otherwise. */
#define PS_TLS_PRIORITY "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2"

typedef enum ps_tls_mode {
	PS_TLS_DISABLE = 0,
	PS_TLS_REQUIRE = 1,
	PS_TLS_VERIFY_FULL = 2
} ps_tls_mode;

/* "disable", "require", "verify-full" -> *mode; false for anything else. */
bool		ps_tls_mode_parse(const char *s, ps_tls_mode *mode);

/*
 * The credentials a client's TLS needs for mode (not PS_TLS_DISABLE), into
 * t (which owns them from then on): for verify-full the trusted CAs of
 * ca_file (PEM; NULL or "": the system's trust store).  Done before
 * connecting, so a bad CA file costs the owner nothing.  PS_EINVAL naming
 * the file ("TLS CA file ...: ...") when it cannot be used.
 */
ps_status	ps_tls_client_credentials(ps_transport *t, ps_tls_mode mode, const char *ca_file,
									  ps_error *err);

/*
 * Start TLS as a client over t (connected, plain, its credentials set) and
 * handshake, checking the owner's certificate as mode says: for
 * verify-full against t's CAs and host.  Waits for the owner as
 * ps_frame_wait_ready does (wait NULL: as long as it takes).  Errors
 * (PS_ECONN) name `where` (the owner's "host:port"): "TLS handshake with
 * WHERE failed: ..." and "certificate of WHERE not trusted: ...".  On error
 * t may hold a session; ps_transport_close frees it.
 */
ps_status	ps_tls_client_start(ps_transport *t, ps_tls_mode mode, const char *host,
								const char *where, const ps_frame_wait *wait, ps_error *err);

/* ---- the owner's side (ps_tls_server.c) ---- */

typedef struct ps_tls_server ps_tls_server;

/*
 * Read the certificate chain and private key (PEM files) and check that
 * they belong together.  Errors name the file at fault.
 */
ps_status	ps_tls_server_load(const char *cert_file, const char *key_file, ps_tls_server **out,
							   ps_error *err);
void		ps_tls_server_free(ps_tls_server *s);	/* NULL ok */
/* The PEM texts, NUL-terminated, owned by s (REST hands them to libmicrohttpd). */
const char *ps_tls_server_cert_pem(const ps_tls_server *s);
const char *ps_tls_server_key_pem(const ps_tls_server *s);

/*
 * Handshake as the server over t (an accepted, plain socket), blocking,
 * bounded by the socket's SO_RCVTIMEO/SO_SNDTIMEO.  PS_ECONN, with GnuTLS's
 * reason, when it fails (a plain client, a client that distrusts us).
 */
ps_status	ps_tls_server_handshake(const ps_tls_server *s, ps_transport *t, ps_error *err);

#endif
