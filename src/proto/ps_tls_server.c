/*
 * ps_tls_server.c — the owner's side of TLS (API in ps_tls.h): its
 * certificate and key, read once at start, and the server handshake of a
 * protocol connection.  REST uses the same certificate through
 * libmicrohttpd, which takes the PEM texts kept here.
 *
 * Invariants: the credentials and the priority cache are built once and
 * only read afterwards, from any connection thread.  A handshake runs in
 * its connection's own thread on a blocking socket, bounded by that
 * socket's timeouts (and GnuTLS's handshake timer, set to the same), so a
 * peer that stalls mid-handshake costs one thread for that long and never
 * holds up the accept thread.
 */
#include "ps_tls.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include <gnutls/gnutls.h>

/* A certificate chain or key larger than this is not one. */
#define PEM_FILE_MAX (1024 * 1024)

struct ps_tls_server {
	gnutls_certificate_credentials_t cred;
	gnutls_priority_t priority;
	char	   *cert_pem;
	char	   *key_pem;
};

/* The whole of a PEM file, NUL-terminated, malloc'd into *out. */
static ps_status
read_pem(const char *path, const char *what, char **out, ps_error *err)
{
	struct stat sb;
	char	   *text;
	size_t		len = 0;
	ssize_t		n;
	int			fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return ps_error_set(err, PS_EINVAL, "cannot open the TLS %s file %s: %s", what, path,
							strerror(errno));
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode) || sb.st_size > PEM_FILE_MAX)
	{
		close(fd);
		return ps_error_set(err, PS_EINVAL, "the TLS %s file %s is not a regular file of at most %d bytes",
							what, path, PEM_FILE_MAX);
	}
	if ((text = malloc((size_t) sb.st_size + 1)) == NULL)
	{
		close(fd);
		return ps_error_set(err, PS_ENOMEM, "out of memory reading %s", path);
	}
	while (len < (size_t) sb.st_size && (n = read(fd, text + len, (size_t) sb.st_size - len)) != 0)
	{
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
		{
			ps_status	st = ps_error_set(err, PS_EINVAL, "cannot read the TLS %s file %s: %s",
										  what, path, strerror(errno));

			free(text);
			close(fd);
			return st;
		}
		len += (size_t) n;
	}
	close(fd);
	text[len] = '\0';
	*out = text;
	return PS_OK;
}

ps_status
ps_tls_server_load(const char *cert_file, const char *key_file, ps_tls_server **out,
				   ps_error *err)
{
	ps_tls_server *s;
	gnutls_datum_t cert, key;
	ps_status	st;
	int			rc;

	*out = NULL;
	gnutls_global_init();
	if ((s = calloc(1, sizeof *s)) == NULL)
		return ps_error_set(err, PS_ENOMEM, "out of memory for TLS");
	if ((st = read_pem(cert_file, "certificate", &s->cert_pem, err)) != PS_OK ||
		(st = read_pem(key_file, "key", &s->key_pem, err)) != PS_OK)
		goto fail;
	if (gnutls_certificate_allocate_credentials(&s->cred) != GNUTLS_E_SUCCESS)
	{
		s->cred = NULL;
		st = ps_error_set(err, PS_ENOMEM, "out of memory for TLS credentials");
		goto fail;
	}
	cert.data = (unsigned char *) s->cert_pem;
	cert.size = (unsigned int) strlen(s->cert_pem);
	key.data = (unsigned char *) s->key_pem;
	key.size = (unsigned int) strlen(s->key_pem);
	/* Also checks that the key is the certificate's. */
	if ((rc = gnutls_certificate_set_x509_key_mem(s->cred, &cert, &key, GNUTLS_X509_FMT_PEM)) < 0)
	{
		st = ps_error_set(err, PS_EINVAL, "TLS certificate %s with key %s: %s", cert_file, key_file,
						  gnutls_strerror(rc));
		goto fail;
	}
	if ((rc = gnutls_priority_init(&s->priority, PS_TLS_PRIORITY, NULL)) != GNUTLS_E_SUCCESS)
	{
		s->priority = NULL;
		st = ps_error_set(err, PS_EINTERNAL, "TLS priorities \"%s\": %s", PS_TLS_PRIORITY,
						  gnutls_strerror(rc));
		goto fail;
	}
	*out = s;
	return PS_OK;

fail:
	ps_tls_server_free(s);
	return st;
}

void
ps_tls_server_free(ps_tls_server *s)
{
	if (s == NULL)
		return;
	if (s->priority != NULL)
		gnutls_priority_deinit(s->priority);
	if (s->cred != NULL)
		gnutls_certificate_free_credentials(s->cred);
	free(s->cert_pem);
	if (s->key_pem != NULL)
		explicit_bzero(s->key_pem, strlen(s->key_pem));
	free(s->key_pem);
	free(s);
}

const char *
ps_tls_server_cert_pem(const ps_tls_server *s)
{
	return s->cert_pem;
}

const char *
ps_tls_server_key_pem(const ps_tls_server *s)
{
	return s->key_pem;
}

/* The socket's receive timeout in ms (0: none), so GnuTLS's own timer agrees with it. */
static unsigned int
socket_timeout_ms(int fd)
{
	struct timeval tv;
	socklen_t	len = sizeof tv;

	if (getsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, &len) != 0)
		return 0;
	return (unsigned int) (tv.tv_sec * 1000 + tv.tv_usec / 1000);
}

ps_status
ps_tls_server_handshake(const ps_tls_server *s, ps_transport *t, ps_error *err)
{
	gnutls_session_t session;
	int			rc;

	if (gnutls_init(&session, GNUTLS_SERVER) != GNUTLS_E_SUCCESS)
		return ps_error_set(err, PS_ENOMEM, "out of memory for a TLS session");
	ps_transport_tls_attach(t, session);
	if ((rc = gnutls_priority_set(session, s->priority)) != GNUTLS_E_SUCCESS ||
		(rc = gnutls_credentials_set(session, GNUTLS_CRD_CERTIFICATE, s->cred)) != GNUTLS_E_SUCCESS)
		return ps_error_set(err, PS_ECONN, "TLS handshake failed: %s", gnutls_strerror(rc));
	gnutls_certificate_server_set_request(session, GNUTLS_CERT_IGNORE);
	gnutls_handshake_set_timeout(session, socket_timeout_ms(t->fd));
	do
		rc = gnutls_handshake(session);
	while (rc == GNUTLS_E_INTERRUPTED);
	if (rc != GNUTLS_E_SUCCESS)
		return ps_error_set(err, PS_ECONN, "TLS handshake failed: %s",
							rc == GNUTLS_E_AGAIN ? "timed out" : gnutls_strerror(rc));
	return PS_OK;
}
