/*
 * ps_tls_client.c — the client's side of TLS on the native protocol (API
 * in ps_tls.h): TLS modes, and starting a session over a connected socket
 * with the owner's certificate checked as the mode says.
 *
 * Invariants: the handshake never blocks in the kernel: it runs with
 * MSG_DONTWAIT and waits in ps_frame_wait_ready, in the direction GnuTLS
 * asks for, so the caller's wait check (query cancel, a connect timeout)
 * interrupts it as it does any frame.  Each session has credentials of its
 * own, owned by the transport: nothing is shared between connections, and
 * a CA file is read when a connection is made, before it connects (a
 * renewed CA needs no restart; a bad one costs the owner nothing).
 * This file is linked into the PostgreSQL extension: libc and GnuTLS only;
 * variables are declared at the top of blocks.
 */
#include "ps_tls.h"

#include <arpa/inet.h>
#include <poll.h>
#include <string.h>

#include <gnutls/gnutls.h>

bool
ps_tls_mode_parse(const char *s, ps_tls_mode *mode)
{
	if (strcmp(s, "disable") == 0)
		*mode = PS_TLS_DISABLE;
	else if (strcmp(s, "require") == 0)
		*mode = PS_TLS_REQUIRE;
	else if (strcmp(s, "verify-full") == 0)
		*mode = PS_TLS_VERIFY_FULL;
	else
		return false;
	return true;
}

/* A name for SNI: IP literals are not sent (RFC 6066). */
static bool
is_ip_literal(const char *host)
{
	unsigned char addr[16];

	return inet_pton(AF_INET, host, addr) == 1 || inet_pton(AF_INET6, host, addr) == 1;
}

ps_status
ps_tls_client_credentials(ps_transport *t, ps_tls_mode mode, const char *ca_file, ps_error *err)
{
	int			rc;

	gnutls_global_init();
	if (gnutls_certificate_allocate_credentials(&t->cred) != GNUTLS_E_SUCCESS)
	{
		t->cred = NULL;
		return ps_error_set(err, PS_ENOMEM, "out of memory for TLS credentials");
	}
	if (mode != PS_TLS_VERIFY_FULL)
		return PS_OK;
	if (ca_file != NULL && ca_file[0] != '\0')
	{
		rc = gnutls_certificate_set_x509_trust_file(t->cred, ca_file, GNUTLS_X509_FMT_PEM);
		if (rc <= 0)
			return ps_error_set(err, PS_EINVAL, "TLS CA file %s: %s", ca_file,
								rc == 0 ? "holds no certificate" : gnutls_strerror(rc));
	}
	else if ((rc = gnutls_certificate_set_x509_system_trust(t->cred)) <= 0)
		return ps_error_set(err, PS_EINVAL, "no TLS CA file given and the system's trust store %s",
							rc == 0 ? "holds no certificate" : gnutls_strerror(rc));
	return PS_OK;
}

/* Why verification failed, in GnuTLS's words. */
static ps_status
not_trusted(gnutls_session_t session, const char *where, ps_error *err)
{
	gnutls_datum_t text = {NULL, 0};
	unsigned int status = gnutls_session_get_verify_cert_status(session);
	ps_status	st;

	if (gnutls_certificate_verification_status_print(status, gnutls_certificate_type_get(session),
													 &text, 0) != GNUTLS_E_SUCCESS)
		return ps_error_set(err, PS_ECONN, "certificate of %s not trusted", where);
	st = ps_error_set(err, PS_ECONN, "certificate of %s not trusted: %s", where, (char *) text.data);
	gnutls_free(text.data);
	return st;
}

ps_status
ps_tls_client_start(ps_transport *t, ps_tls_mode mode, const char *host, const char *where,
					const ps_frame_wait *wait, ps_error *err)
{
	gnutls_session_t session;
	uint64_t	started = 0;
	ps_error	e;
	int			rc;

	if (gnutls_init(&session, GNUTLS_CLIENT) != GNUTLS_E_SUCCESS)
		return ps_error_set(err, PS_ENOMEM, "out of memory for a TLS session");
	ps_transport_tls_attach(t, session);
	if ((rc = gnutls_priority_set_direct(session, PS_TLS_PRIORITY, NULL)) != GNUTLS_E_SUCCESS ||
		(rc = gnutls_credentials_set(session, GNUTLS_CRD_CERTIFICATE, t->cred)) != GNUTLS_E_SUCCESS ||
		(!is_ip_literal(host) &&
		 (rc = gnutls_server_name_set(session, GNUTLS_NAME_DNS, host, strlen(host))) != GNUTLS_E_SUCCESS))
		return ps_error_set(err, PS_ECONN, "TLS handshake with %s failed: %s", where,
							gnutls_strerror(rc));
	if (mode == PS_TLS_VERIFY_FULL)
		gnutls_session_set_verify_cert(session, host, 0);
	/* Our waits bound the handshake, not GnuTLS's timer. */
	gnutls_handshake_set_timeout(session, 0);
	for (;;)
	{
		t->io_flags = MSG_DONTWAIT;
		rc = gnutls_handshake(session);
		t->io_flags = 0;
		if (rc == GNUTLS_E_SUCCESS)
			return PS_OK;
		if (rc == GNUTLS_E_CERTIFICATE_VERIFICATION_ERROR)
			return not_trusted(session, where, err);
		if (rc != GNUTLS_E_AGAIN && rc != GNUTLS_E_INTERRUPTED)
			return ps_error_set(err, PS_ECONN, "TLS handshake with %s failed: %s", where,
								gnutls_strerror(rc));
		if (ps_frame_wait_ready(t, gnutls_record_get_direction(session) ? POLLOUT : POLLIN, wait,
								&started, &e) != PS_OK)
			return ps_error_set(err, PS_ECONN, "TLS handshake with %s failed: %s", where, e.message);
	}
}
