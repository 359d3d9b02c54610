/*
 * test_remote.c — end-to-end tests of owners on TCP (DESIGN §7): real
 * pulsorad children (owner_proc.h) serving the native protocol on free
 * loopback ports, one plain with a token (and REST, for /metrics), one
 * with TLS (a CA and a server certificate made by openssl in the group
 * setup), talked to through ps_client_connect_remote over real sockets.
 *
 * Covered: the right token works (tables, a CSV load, scans), a wrong or
 * missing token is refused naming the owner, and counted in /metrics; the
 * Unix socket needs no token; connection errors and timeouts name
 * host:port; TLS verify-full with the CA (by address and by name), without
 * it (the certificate's problem named), require without a CA, a plain
 * client on the TLS port refused (and counted) while the owner serves on,
 * a TLS client on a plain port; a deferred scan and a deferred aggregate
 * polled without blocking over TLS (decrypted bytes the socket does not
 * show); the start-up rules:
 * no token on TCP, a non-loopback listener without TLS (allowed with
 * allow_insecure_remote), a certificate without its key.
 * Nothing depends on timing but the connect timeout, whose bound is
 * generous and whose peer never answers.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>

#include "core/ps_agg.h"
#include "proto/ps_client.h"

#include "owner_proc.h"

#define TOKEN "tok-right"
#define TLS_TOKEN "tok-tls"
#define ROWS 20000

static owner_proc plain_owner, tls_owner;
static uint16_t plain_port, rest_port, tls_port;
static char cert_dir[64];

/* ------------------------------------------------------------------ setup */

static uint16_t
free_port(void)
{
	struct sockaddr_in sa;
	socklen_t	len = sizeof sa;
	int			fd = socket(AF_INET, SOCK_STREAM, 0);
	uint16_t	port;

	memset(&sa, 0, sizeof sa);
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *) &sa, sizeof sa), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *) &sa, &len), 0);
	port = ntohs(sa.sin_port);
	close(fd);
	return port;
}

static int
run(const char *fmt, ...)
{
	char		cmd[2048];
	va_list		ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof cmd, fmt, ap);
	va_end(ap);
	return system(cmd);
}

/* A CA, a server certificate it signed (localhost, 127.0.0.1), and another CA. */
static int
make_certificates(void)
{
	snprintf(cert_dir, sizeof cert_dir, "/tmp/ps_test_tls_XXXXXX");
	if (mkdtemp(cert_dir) == NULL)
		return -1;
	return run("cd '%s' && exec >openssl.log 2>&1 && "
			   "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes "
			   "-keyout ca.key -out ca.crt -days 2 -subj /CN=pulsora-test-ca "
			   "-addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign && "
			   "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes "
			   "-keyout other.key -out other.crt -days 2 -subj /CN=some-other-ca "
			   "-addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign && "
			   "openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes "
			   "-keyout srv.key -out srv.csr -subj /CN=localhost && "
			   "printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\\nextendedKeyUsage=serverAuth\\n' >ext && "
			   "openssl x509 -req -in srv.csr -CA ca.crt -CAkey ca.key -CAcreateserial "
			   "-out srv.crt -days 2 -extfile ext", cert_dir) == 0 ? 0 : -1;
}

static int
setup(void **state)
{
	char		config[1024];

	(void) state;
	if (make_certificates() != 0)
	{
		fprintf(stderr, "openssl failed: see %s/openssl.log\n", cert_dir);
		return -1;
	}
	plain_port = free_port();
	rest_port = free_port();
	tls_port = free_port();
	snprintf(config, sizeof config,
			 "[server]\nrest = true\nport = %u\nauth_token = \"" TOKEN "\"\nprotocol_port = %u\n",
			 rest_port, plain_port);
	if (owner_start(&plain_owner, config, NULL) != 0)
		return -1;
	snprintf(config, sizeof config,
			 "[server]\nrest = false\nauth_token = \"" TLS_TOKEN "\"\nprotocol_port = %u\n"
			 "tls_cert_file = \"%s/srv.crt\"\ntls_key_file = \"%s/srv.key\"\n",
			 tls_port, cert_dir, cert_dir);
	return owner_start(&tls_owner, config, NULL);
}

static int
teardown(void **state)
{
	(void) state;
	owner_remove(&plain_owner);
	owner_remove(&tls_owner);
	return run("rm -rf '%s'", cert_dir) == 0 ? 0 : -1;
}

/* ------------------------------------------------------------------ helpers */

static ps_status
remote(const char *host, uint16_t port, ps_tls_mode tls, const char *ca, const char *token,
	   ps_client **c, ps_error *e)
{
	ps_client_remote r = {host, port, tls, ca, token, 0};

	return ps_client_connect_remote(&r, NULL, NULL, c, e);
}

static ps_client *
plain_client(void)
{
	ps_client  *c = NULL;
	ps_error	e;

	CHECK(remote("127.0.0.1", plain_port, PS_TLS_DISABLE, NULL, TOKEN, &c, &e), e);
	return c;
}

static ps_client *
tls_client(const char *host)
{
	char		ca[128];
	ps_client  *c = NULL;
	ps_error	e;

	snprintf(ca, sizeof ca, "%s/ca.crt", cert_dir);
	CHECK(remote(host, tls_port, PS_TLS_VERIFY_FULL, ca, TLS_TOKEN, &c, &e), e);
	return c;
}

/* Load ROWS rows (v = 0 .. ROWS-1, one a second) into table through c, as CSV. */
static void
load_csv(ps_client *c, const char *table)
{
	ps_client_load *l = NULL;
	ps_client_load_result res;
	char		line[96];
	ps_error	e;

	CHECK(ps_client_load_csv_begin(c, table, NULL, NULL, 0, &l, &e), e);
	CHECK(ps_client_load_csv_data(l, "ts,sym,v\n", 9, &e), e);
	for (int i = 0; i < ROWS; i++)
	{
		int			n = snprintf(line, sizeof line, "%lld,S%d,%d\n",
								 (long long) (1704067200 + i), i % 3, i);

		CHECK(ps_client_load_csv_data(l, line, (size_t) n, &e), e);
	}
	CHECK(ps_client_load_finish(l, &res, &e), e);
	assert_int_equal(res.rows_loaded, ROWS);
	ps_client_load_result_free(&res);
	CHECK(ps_client_load_commit(&l, 1, &e), e);
}

/* As async foreign scans do: poll, and wait on the socket only when not ready. */
static void
wait_ready(ps_client *c, ps_client_scan *s)
{
	bool		ready = false;
	ps_error	e;

	for (;;)
	{
		struct pollfd pfd = {ps_client_fd(c), POLLIN, 0};

		CHECK(ps_client_scan_poll(s, &ready, &e), e);
		if (ready)
			return;
		assert_true(poll(&pfd, 1, WAIT_LIMIT_MS) == 1);
	}
}

/* A spec of every row of table, its first batch of first_rows rows. */
static void
whole_table(ps_client_scan_spec *spec, const char *table, uint32_t first_rows, bool deferred)
{
	memset(spec, 0, sizeof *spec);
	spec->table = table;
	spec->lo = INT64_MIN;
	spec->hi = INT64_MAX;
	spec->first_rows = first_rows;
	spec->deferred = deferred;
}

/* Scan column v of table: the row count and the sum of v. */
static void
scan_sum(ps_client *c, const char *table, bool deferred, uint64_t *rows, int64_t *sum)
{
	static const char *const cols[] = {"v"};
	ps_client_scan_spec spec;
	ps_client_scan *s = NULL;
	int64_t		t;
	ps_value	v;
	bool		done = false;
	ps_error	e;

	whole_table(&spec, table, 1000, deferred);
	spec.columns = cols;
	spec.ncolumns = 1;
	CHECK(ps_client_scan_open(c, &spec, &s, NULL, &e), e);
	*rows = 0;
	*sum = 0;
	while (!done)
	{
		if (deferred)
			wait_ready(c, s);
		CHECK(ps_client_scan_fetch(s, 1000, &done, &e), e);
		while (ps_client_scan_row(s, &t, &v))
		{
			(*rows)++;
			*sum += v.v.i;
		}
	}
	CHECK(ps_client_scan_close(s, &e), e);
}

/*
 * The same figures computed by the owner: count(*) and sum(v) of table
 * (deferred: the types come with the answer, as pushed aggregates under
 * an async Append take them).  Returns the owner's answer: the open's,
 * or a deferred open's from the first fetch.
 */
static ps_status
aggregate_sum(ps_client *c, const char *table, const char *column, bool deferred,
			  uint64_t *rows, int64_t *sum, ps_error *e)
{
	static const uint8_t fns[] = {PS_AGG_COUNT_ALL, PS_AGG_SUM};
	const char *columns[] = {NULL, column};
	const char *columns2[] = {NULL, NULL};
	ps_client_agg_spec agg = {0};
	ps_client_scan_spec spec;
	ps_client_scan *s = NULL;
	const ps_type *types = NULL;
	uint32_t	ntypes = 0;
	int64_t		t;
	ps_value	v[3];
	bool		done = false;
	ps_status	st;

	whole_table(&spec, table, 100, deferred);
	agg.fns = fns;
	agg.columns = columns;
	agg.columns2 = columns2;
	agg.nitems = 2;
	if ((st = ps_client_aggregate(c, &spec, &agg, &s, &types, &ntypes, e)) != PS_OK)
		return st;				/* not deferred: the owner's error comes with the answer */
	if (deferred)
	{
		assert_null(types);
		assert_int_equal(ntypes, 0);
		assert_null(ps_client_scan_types(s));
		wait_ready(c, s);
	}
	if ((st = ps_client_scan_fetch(s, 100, &done, e)) == PS_OK)
	{
		/* count, then the sum's high and low halves */
		assert_int_equal(ps_client_scan_ntypes(s), 3);
		assert_int_equal(ps_client_scan_types(s)[0], PS_TYPE_INTEGER);
		assert_true(ps_client_scan_row(s, &t, v));
		assert_int_equal(v[1].v.i, 0);
		*rows = (uint64_t) v[0].v.i;
		*sum = v[2].v.i;
		assert_false(ps_client_scan_row(s, &t, v));
		assert_true(done);
	}
	ps_client_scan_close(s, NULL);
	return st;
}

static void
assert_table_whole(ps_client *c, const char *table, bool deferred)
{
	uint64_t	rows;
	int64_t		sum;
	ps_error	e;

	scan_sum(c, table, deferred, &rows, &sum);
	assert_int_equal(rows, ROWS);
	assert_int_equal(sum, (int64_t) ROWS * (ROWS - 1) / 2);
	CHECK(aggregate_sum(c, table, "v", deferred, &rows, &sum, &e), e);
	assert_int_equal(rows, ROWS);
	assert_int_equal(sum, (int64_t) ROWS * (ROWS - 1) / 2);
	/* The owner's error, for a deferred aggregate from the first fetch. */
	assert_int_equal(aggregate_sum(c, table, "no_such_column", deferred, &rows, &sum, &e),
					 PS_EINVAL);
	assert_non_null(strstr(e.message, "no_such_column"));
	assert_false(ps_client_broken(c));
}

static void
assert_error(ps_status st, const ps_error *e, ps_status want, const char *text)
{
	if (st != want || strstr(e->message, text) == NULL)
		fail_msg("got %d \"%s\", wanted %d with \"%s\"", (int) st, e->message, (int) want, text);
}

/* A counter of the plain owner's /metrics, over a raw HTTP request. */
static uint64_t
metric(const char *name)
{
	struct sockaddr_in sa;
	char		reply[65536];
	char		request[256];
	size_t		got = 0;
	ssize_t		n;
	char		key[128];
	const char *p;
	int			fd = socket(AF_INET, SOCK_STREAM, 0);

	memset(&sa, 0, sizeof sa);
	sa.sin_family = AF_INET;
	sa.sin_port = htons(rest_port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(connect(fd, (struct sockaddr *) &sa, sizeof sa), 0);
	n = snprintf(request, sizeof request,
				 "GET /metrics HTTP/1.0\r\nAuthorization: Bearer " TOKEN "\r\n\r\n");
	assert_int_equal(send(fd, request, (size_t) n, MSG_NOSIGNAL), n);
	while (got < sizeof reply - 1 && (n = recv(fd, reply + got, sizeof reply - 1 - got, 0)) > 0)
		got += (size_t) n;
	close(fd);
	reply[got] = '\0';
	snprintf(key, sizeof key, "\n%s ", name);
	if ((p = strstr(reply, key)) == NULL)
		fail_msg("no %s in /metrics:\n%s", name, reply);
	return strtoull(p + strlen(key), NULL, 10);
}

/* ------------------------------------------------------------------ plain TCP */

static void
test_right_token_serves(void **state)
{
	ps_client  *c = plain_client();
	ps_client_table *tables = NULL;
	size_t		n = 0;
	ps_client_status st;
	char		address[32];
	ps_error	e;

	(void) state;
	snprintf(address, sizeof address, "127.0.0.1:%u", plain_port);
	assert_string_equal(ps_client_address(c), address);
	load_csv(c, "tcp_trades");
	CHECK(ps_client_tables(c, &tables, &n, &e), e);
	assert_int_equal(n, 1);
	assert_string_equal(tables[0].name, "tcp_trades");
	assert_int_equal(tables[0].row_count, ROWS);
	ps_client_tables_free(tables, n);
	assert_table_whole(c, "tcp_trades", false);
	assert_table_whole(c, "tcp_trades", true);
	CHECK(ps_client_status_get(c, &st, &e), e);
	assert_int_equal(st.pid, plain_owner.pid);
	ps_client_close(c);
}

static void
test_wrong_or_missing_token_refused(void **state)
{
	char		want[128];
	ps_client  *c = NULL;
	uint64_t	before = metric("pulsora_protocol_auth_failures_total");
	ps_error	e;
	ps_status	st;

	(void) state;
	st = remote("127.0.0.1", plain_port, PS_TLS_DISABLE, NULL, "tok-wrong", &c, &e);
	snprintf(want, sizeof want, "the owner at 127.0.0.1:%u refused the token", plain_port);
	assert_error(st, &e, PS_EPERM, want);
	assert_null(c);
	/* A prefix of the right token is as wrong as any other. */
	st = remote("127.0.0.1", plain_port, PS_TLS_DISABLE, NULL, "tok-righ", &c, &e);
	assert_error(st, &e, PS_EPERM, want);
	st = remote("127.0.0.1", plain_port, PS_TLS_DISABLE, NULL, NULL, &c, &e);
	assert_error(st, &e, PS_EPERM, "refused the token (none was given)");
	assert_int_equal(metric("pulsora_protocol_auth_failures_total"), before + 3);
	/* The owner serves on. */
	c = plain_client();
	ps_client_close(c);
}

static void
test_unix_socket_needs_no_token(void **state)
{
	ps_client  *c = NULL;
	ps_client_table *tables = NULL;
	size_t		n = 0;
	ps_error	e;

	(void) state;
	CHECK(ps_client_connect(plain_owner.dir, &c, &e), e);
	assert_string_equal(ps_client_address(c), "");
	CHECK(ps_client_tables(c, &tables, &n, &e), e);
	ps_client_tables_free(tables, n);
	ps_client_close(c);
}

/* Gives up at once, as a cancelled query does. */
static bool
give_up(void *arg, uint32_t waited_ms)
{
	(void) arg;
	(void) waited_ms;
	return false;
}

static void
test_connect_errors_name_the_owner(void **state)
{
	char		want[128];
	struct sockaddr_in sa;
	socklen_t	len = sizeof sa;
	ps_client  *c = NULL;
	uint16_t	closed = free_port();
	int			silent = socket(AF_INET, SOCK_STREAM, 0);
	ps_client_remote r = {"127.0.0.1", 0, PS_TLS_DISABLE, NULL, TOKEN, 300};
	ps_error	e;
	ps_status	st;

	(void) state;
	st = remote("127.0.0.1", closed, PS_TLS_DISABLE, NULL, TOKEN, &c, &e);
	snprintf(want, sizeof want, "connection to 127.0.0.1:%u refused", closed);
	assert_error(st, &e, PS_ECONN, want);
	st = remote("no-such-host.invalid", 7820, PS_TLS_DISABLE, NULL, TOKEN, &c, &e);
	assert_error(st, &e, PS_ECONN, "no-such-host.invalid:7820");

	/* A peer that takes the connection (the backlog does) and never answers. */
	memset(&sa, 0, sizeof sa);
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(silent, (struct sockaddr *) &sa, sizeof sa), 0);
	assert_int_equal(listen(silent, 8), 0);
	assert_int_equal(getsockname(silent, (struct sockaddr *) &sa, &len), 0);
	r.port = ntohs(sa.sin_port);
	snprintf(want, sizeof want, "connection to 127.0.0.1:%u timed out after 300 ms", r.port);
	st = ps_client_connect_remote(&r, NULL, NULL, &c, &e);
	assert_error(st, &e, PS_ECONN, want);
	r.tls = PS_TLS_REQUIRE;		/* waiting in the TLS handshake */
	st = ps_client_connect_remote(&r, NULL, NULL, &c, &e);
	assert_error(st, &e, PS_ECONN, want);
	/* The caller's wait check interrupts a connect too. */
	r.connect_timeout_ms = 0;
	st = ps_client_connect_remote(&r, give_up, NULL, &c, &e);
	assert_int_equal(st, PS_ECONN);
	assert_null(c);
	close(silent);
}

/* ------------------------------------------------------------------ TLS */

static void
test_tls_verify_full_with_the_ca(void **state)
{
	ps_client  *c = tls_client("127.0.0.1");
	ps_client  *by_name;

	(void) state;
	load_csv(c, "tls_trades");
	assert_table_whole(c, "tls_trades", false);
	/* Answers read ahead over TLS: polled without blocking, waiting on the socket only when told. */
	assert_table_whole(c, "tls_trades", true);
	ps_client_close(c);
	/* The certificate names localhost too. */
	by_name = tls_client("localhost");
	assert_table_whole(by_name, "tls_trades", false);
	ps_client_close(by_name);
}

static void
test_tls_untrusted_certificate(void **state)
{
	char		ca[128];
	char		want[128];
	ps_client  *c = NULL;
	ps_error	e;
	ps_status	st;

	(void) state;
	snprintf(ca, sizeof ca, "%s/other.crt", cert_dir);
	snprintf(want, sizeof want, "certificate of 127.0.0.1:%u not trusted: ", tls_port);
	st = remote("127.0.0.1", tls_port, PS_TLS_VERIFY_FULL, ca, TLS_TOKEN, &c, &e);
	assert_error(st, &e, PS_ECONN, want);
	assert_error(st, &e, PS_ECONN, "issuer is unknown");
	assert_null(c);
	snprintf(ca, sizeof ca, "%s/absent.crt", cert_dir);
	st = remote("127.0.0.1", tls_port, PS_TLS_VERIFY_FULL, ca, TLS_TOKEN, &c, &e);
	assert_error(st, &e, PS_EINVAL, ca);
}

static void
test_tls_require_needs_no_ca(void **state)
{
	ps_client  *c = NULL;
	ps_error	e;

	(void) state;
	CHECK(remote("127.0.0.1", tls_port, PS_TLS_REQUIRE, NULL, TLS_TOKEN, &c, &e), e);
	assert_table_whole(c, "tls_trades", false);
	ps_client_close(c);
	/* The token is checked under TLS too. */
	assert_error(remote("127.0.0.1", tls_port, PS_TLS_REQUIRE, NULL, TOKEN, &c, &e), &e, PS_EPERM,
				 "refused the token");
}

static void
test_plain_client_refused_by_tls_owner(void **state)
{
	char		want[128];
	ps_client  *c = NULL;
	ps_error	e;
	ps_status	st;

	(void) state;
	st = remote("127.0.0.1", tls_port, PS_TLS_DISABLE, NULL, TLS_TOKEN, &c, &e);
	snprintf(want, sizeof want, "accepts only TLS connections on 127.0.0.1:%u", tls_port);
	assert_error(st, &e, PS_ECONN, want);
	assert_null(c);
	/* And a TLS client on the plain owner's port. */
	st = remote("127.0.0.1", plain_port, PS_TLS_REQUIRE, NULL, TOKEN, &c, &e);
	snprintf(want, sizeof want, "TLS handshake with 127.0.0.1:%u failed", plain_port);
	assert_error(st, &e, PS_ECONN, want);
	/* Both owners serve on. */
	c = tls_client("127.0.0.1");
	ps_client_close(c);
	c = plain_client();
	ps_client_close(c);
}

/* ------------------------------------------------------------------ start-up rules */

/* pulsorad with config must refuse to start, saying text. */
static void
assert_start_refused(const char *config, const char *const *args, const char *text)
{
	owner_proc	o;
	char		log[8192];
	FILE	   *f;
	size_t		n;

	assert_int_not_equal(owner_start(&o, config, args), 0);
	assert_non_null(f = fopen(o.log, "r"));
	n = fread(log, 1, sizeof log - 1, f);
	fclose(f);
	log[n] = '\0';
	if (strstr(log, text) == NULL)
		fail_msg("pulsorad's log lacks \"%s\":\n%s", text, log);
	owner_remove(&o);
}

static void
test_start_rules(void **state)
{
	static const char *const any_host[] = {"--no-rest", "--protocol-host", "0.0.0.0", NULL};
	static const char *const no_rest[] = {"--no-rest", NULL};
	static const char *const rest_any[] = {"--host", "0.0.0.0", NULL};
	char		config[512];
	char		port_flag[8];
	const char *const flagged[] = {"--no-rest", "--protocol-port", port_flag, NULL};
	uint16_t	port = free_port();
	owner_proc	o;
	ps_client  *c = NULL;
	ps_error	e;

	(void) state;
	snprintf(config, sizeof config, "[server]\nprotocol_port = %u\n", port);
	assert_start_refused(config, no_rest, "auth_token is empty: a token is mandatory on TCP");
	snprintf(config, sizeof config, "[server]\nauth_token = \"t\"\nprotocol_port = %u\n", port);
	assert_start_refused(config, any_host, "protocol_host (or --protocol-host) \"0.0.0.0\" is not a loopback address");
	snprintf(config, sizeof config, "[server]\nport = %u\n", port);
	assert_start_refused(config, rest_any, "[server] host (or --host) \"0.0.0.0\" is not a loopback address");
	snprintf(config, sizeof config, "[server]\ntls_cert_file = \"%s/srv.crt\"\n", cert_dir);
	assert_start_refused(config, no_rest, "tls_cert_file and tls_key_file must be set together");
	snprintf(config, sizeof config,
			 "[server]\nauth_token = \"t\"\nprotocol_port = %u\ntls_cert_file = \"%s/srv.crt\"\n"
			 "tls_key_file = \"%s/other.key\"\n", port, cert_dir, cert_dir);
	assert_start_refused(config, no_rest, "tls_cert_file, tls_key_file: TLS certificate");

	/* allow_insecure_remote: on every address, plain, reachable on loopback too. */
	snprintf(config, sizeof config, "[server]\nauth_token = \"t\"\nallow_insecure_remote = true\n");
	snprintf(port_flag, sizeof port_flag, "%u", port);
	{
		const char *const args[] = {"--no-rest", "--protocol-host", "0.0.0.0", "--protocol-port",
			port_flag, NULL};

		assert_int_equal(owner_start(&o, config, args), 0);
	}
	CHECK(remote("127.0.0.1", port, PS_TLS_DISABLE, NULL, "t", &c, &e), e);
	ps_client_close(c);
	owner_remove(&o);
	/* --protocol-port alone (the token from the file) turns TCP on. */
	assert_int_equal(owner_start(&o, "[server]\nauth_token = \"t\"\n", flagged), 0);
	CHECK(remote("localhost", port, PS_TLS_DISABLE, NULL, "t", &c, &e), e);
	ps_client_close(c);
	owner_remove(&o);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_right_token_serves),
		cmocka_unit_test(test_wrong_or_missing_token_refused),
		cmocka_unit_test(test_unix_socket_needs_no_token),
		cmocka_unit_test(test_connect_errors_name_the_owner),
		cmocka_unit_test(test_tls_verify_full_with_the_ca),
		cmocka_unit_test(test_tls_untrusted_certificate),
		cmocka_unit_test(test_tls_require_needs_no_ca),
		cmocka_unit_test(test_plain_client_refused_by_tls_owner),
		cmocka_unit_test(test_start_rules),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
