/*
 * test_config.c — unit tests of pulsora.toml reading and writing
 * (src/server/ps_config.c): a valid file with every key, every kind of
 * error with the line it names, and defaults written then read back equal;
 * and the rules between the listener keys (src/server/ps_config_check.c:
 * a token on TCP, TLS off loopback, the certificate with its key).
 *
 * The Makefile links unit tests against libpulsora.a, which holds only
 * src/core and src/proto; the config reader lives in src/server, so it is
 * compiled into this test directly.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "server/ps_config.h"

static bool
configs_equal(const ps_config *a, const ps_config *b)
{
	return a->rest == b->rest && strcmp(a->host, b->host) == 0 && a->port == b->port &&
		strcmp(a->auth_token, b->auth_token) == 0 && a->max_body_size_mb == b->max_body_size_mb &&
		a->max_connections == b->max_connections && a->sync == b->sync &&
		a->write_buffer_size_mb == b->write_buffer_size_mb && a->block_cache_mb == b->block_cache_mb &&
		a->decoded_cache_mb == b->decoded_cache_mb && a->compression == b->compression && a->batch_size == b->batch_size &&
		a->max_field_mb == b->max_field_mb && a->log_level == b->log_level &&
		strcmp(a->protocol_host, b->protocol_host) == 0 && a->protocol_port == b->protocol_port &&
		strcmp(a->tls_cert_file, b->tls_cert_file) == 0 &&
		strcmp(a->tls_key_file, b->tls_key_file) == 0 &&
		a->allow_insecure_remote == b->allow_insecure_remote;
}

static ps_status
parse_text(const char *text, ps_config *c, ps_error *err)
{
	ps_config_default(c, true);
	return ps_config_parse(text, strlen(text), "pulsora.toml", c, err);
}

static void
test_valid_file(void **state)
{
	const char *text =
		"# a comment\r\n"
		"\n"
		"[server]   # trailing comment\n"
		"rest = false\n"
		"  host = \"0.0.0.0\"\n"
		"port=9_090\n"
		"auth_token = 's3cr\\et'   # literal string keeps the backslash\n"
		"max_body_size_mb = 2048\n"
		"max_connections = +12\n"
		"[storage]\n"
		"sync = false\n"
		"write_buffer_size_mb = 32\n"
		"block_cache_mb = 0\n"
		"decoded_cache_mb = 12\n"
		"compression = \"zstd\"\n"
		"[ingestion]\n"
		"batch_size = 500\n"
		"max_field_mb = 1\n"
		"\t[logging]\n"
		"level = \"debug\"";		/* no final newline */
	ps_config	c;
	ps_error	err;

	(void) state;
	assert_int_equal(parse_text(text, &c, &err), PS_OK);
	assert_false(c.rest);
	assert_string_equal(c.host, "0.0.0.0");
	assert_int_equal(c.port, 9090);
	assert_string_equal(c.auth_token, "s3cr\\et");
	assert_int_equal(c.max_body_size_mb, 2048);
	assert_int_equal(c.max_connections, 12);
	assert_false(c.sync);
	assert_int_equal(c.write_buffer_size_mb, 32);
	assert_int_equal(c.block_cache_mb, 0);
	assert_int_equal(c.decoded_cache_mb, 12);
	assert_int_equal(c.compression, PS_COMPRESSION_ZSTD);
	assert_int_equal(c.batch_size, 500);
	assert_int_equal(c.max_field_mb, 1);
	assert_int_equal(c.log_level, PS_LOG_DEBUG);
}

static void
test_absent_keys_keep_defaults(void **state)
{
	ps_config	c, d;
	ps_error	err;

	(void) state;
	assert_int_equal(parse_text("[storage]\nsync = false\n", &c, &err), PS_OK);
	ps_config_default(&d, true);
	assert_false(c.sync);
	d.sync = false;
	assert_true(configs_equal(&c, &d));
	assert_int_equal(parse_text("", &c, &err), PS_OK);
	assert_int_equal(c.port, 8080);
	assert_int_equal(c.compression, PS_COMPRESSION_LZ4);
	assert_int_equal(c.log_level, PS_LOG_INFO);
}

static void
test_string_escapes(void **state)
{
	ps_config	c;
	ps_error	err;

	(void) state;
	assert_int_equal(parse_text("[server]\nauth_token = \"a\\\"b\\\\c\\u0041\\U00000042\"\n", &c, &err),
					 PS_OK);
	assert_string_equal(c.auth_token, "a\"b\\cAB");
}

/* Each bad input fails with PS_EINVAL (or ETOOBIG), on the given line, with text in the message. */
typedef struct bad_case {
	const char *text;
	int64_t		line;
	const char *message;
} bad_case;

static void
test_errors_name_line_and_key(void **state)
{
	static const bad_case cases[] = {
		{"[server]\nrest = true\nhost = \"h\"\nport = 1\n\n# c\nfoo = 1\n", 7,
		 "pulsora.toml:7: unknown key \"foo\" in [server]"},
		{"\n[nosuch]\n", 2, "pulsora.toml:2: unknown section [nosuch]"},
		{"port = 1\n", 1, "pulsora.toml:1: key \"port\" outside a [section]"},
		{"[server]\nport = 1\nport = 2\n", 3, "pulsora.toml:3: key \"port\" in [server] given twice"},
		{"[server]\n[storage]\n[server]\n", 3, "pulsora.toml:3: section [server] given twice"},
		{"[server]\nrest = yes\n", 2, "key \"rest\" in [server] must be true or false"},
		{"[server]\nport = \"80\"\n", 2, "key \"port\" in [server] must be an integer"},
		{"[server]\nhost = 12\n", 2, "key \"host\" in [server] must be a string"},
		{"[server]\nport = 0\n", 2, "key \"port\" in [server] must be between 1 and 65535, not 0"},
		{"[server]\nport = 70000\n", 2, "must be between 1 and 65535, not 70000"},
		{"[server]\nmax_connections = -5\n", 2, "must be between 1 and 10000, not -5"},
		{"[server]\nport = 99999999999999999999999\n", 2, "integer for key \"port\" is too large"},
		{"[server]\nport = 080\n", 2, "bad integer for key \"port\""},
		{"[server]\nport = 1__0\n", 2, "bad integer for key \"port\""},
		{"[server]\nport = 1.5\n", 2, "unexpected text after the value of key \"port\""},
		{"[storage]\ncompression = \"snappy\"\n", 2,
		 "key \"compression\" in [storage] must be one of \"lz4\", \"zstd\", \"none\""},
		{"[logging]\nlevel = \"trace\"\n", 2, "must be one of \"error\", \"warn\", \"info\", \"debug\""},
		{"[server]\nhost = \"a\\qb\"\n", 2, "unknown escape \\q"},
		{"[server]\nhost = \"abc\n", 2, "unterminated string for key \"host\""},
		{"[server]\nhost = \"\"\"abc\"\"\"\n", 2, "multi-line strings are not supported"},
		{"[server]\nhost = \"a\\u00\"\n", 2, "bad \\u escape"},
		{"[server]\nhost = \"\\ud800\"\n", 2, "is not a valid character"},
		{"[server]\nhost = \"a\x01\"\n", 2, "control character"},
		{"[server]\nhost = \"\"\n", 2, "key \"host\" in [server] must be 1 to 255 bytes long"},
		{"[server]\nauth_token = \"a b\"\n", 2, "must hold printable ASCII without spaces"},
		{"[server]\nhost = \"h\" x\n", 2, "unexpected text after the value of key \"host\""},
		{"[server]\nport 80\n", 2, "expected '=' after key \"port\""},
		{"[server]\nserver.port = 80\n", 2, "dotted keys are not supported"},
		{"[[server]]\n", 1, "arrays of tables are not supported"},
		{"[server\n", 1, "bad section header"},
		{"[server] x\n", 1, "bad section header"},
		{"[server]\n= 1\n", 2, "expected a key, a [section] or a comment"},
		{"[server]\nhost = \"\xc3\x28\"\n", 2, "invalid UTF-8"},
		{"[server]\nprotocol_port = 65536\n", 2,
		 "key \"protocol_port\" in [server] must be between 0 and 65535, not 65536"},
		{"[server]\nprotocol_port = -1\n", 2, "must be between 0 and 65535, not -1"},
		{"[server]\nprotocol_host = \"\"\n", 2, "key \"protocol_host\" in [server] must be 1 to 255 bytes long"},
		{"[server]\ntls_cert_file = \"/a b.pem\"\n", 2,
		 "key \"tls_cert_file\" in [server] must hold printable ASCII without spaces"},
		{"[server]\ntls_key_file = 1\n", 2, "key \"tls_key_file\" in [server] must be a string"},
		{"[server]\nallow_insecure_remote = 1\n", 2,
		 "key \"allow_insecure_remote\" in [server] must be true or false"},
		{"[storage]\nprotocol_port = 7820\n", 2, "unknown key \"protocol_port\" in [storage]"},
	};
	ps_config	c;
	ps_error	err;

	(void) state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
	{
		if (parse_text(cases[i].text, &c, &err) != PS_EINVAL)
			fail_msg("case %zu accepted: %s", i, cases[i].text);
		if (err.line != cases[i].line || strstr(err.message, cases[i].message) == NULL)
			fail_msg("case %zu: got line %lld \"%s\", want line %lld containing \"%s\"", i,
					 (long long) err.line, err.message, (long long) cases[i].line,
					 cases[i].message);
	}
}

static void
test_nul_byte(void **state)
{
	static const char text[] = "[server]\nport = 1\0\n";
	ps_config	c;
	ps_error	err;

	(void) state;
	ps_config_default(&c, true);
	assert_int_equal(ps_config_parse(text, sizeof text - 1, "f", &c, &err), PS_EINVAL);
	assert_int_equal(err.line, 2);
	assert_non_null(strstr(err.message, "f:2: NUL byte"));
}

static void
test_size_limits(void **state)
{
	size_t		n = PS_CONFIG_FILE_MAX + 1;
	char	   *text = malloc(n + 1);
	ps_config	c;
	ps_error	err;

	(void) state;
	assert_non_null(text);
	/* A comment line of exactly the maximum length is fine, one byte more is not. */
	memset(text, '#', PS_CONFIG_LINE_MAX);
	text[PS_CONFIG_LINE_MAX] = '\n';
	ps_config_default(&c, true);
	assert_int_equal(ps_config_parse(text, PS_CONFIG_LINE_MAX + 1, "f", &c, &err), PS_OK);
	memcpy(text, "\n\n", 2);
	memset(text + 2, '#', PS_CONFIG_LINE_MAX + 1);
	text[PS_CONFIG_LINE_MAX + 3] = '\n';
	assert_int_equal(ps_config_parse(text, PS_CONFIG_LINE_MAX + 4, "f", &c, &err), PS_EINVAL);
	assert_int_equal(err.line, 3);
	assert_non_null(strstr(err.message, "line longer than 4096 bytes"));
	/* A file over 1 MiB is refused whatever it holds. */
	memset(text, '\n', n);
	assert_int_equal(ps_config_parse(text, n, "f", &c, &err), PS_ETOOBIG);
	assert_non_null(strstr(err.message, "larger than"));
	free(text);
}

static void
test_format_reads_back(void **state)
{
	ps_config	a, b;
	ps_buf		text = PS_BUF_INIT;
	ps_error	err;

	(void) state;
	for (int rest = 0; rest <= 1; rest++)
	{
		ps_config_default(&a, rest);
		ps_buf_reset(&text);
		assert_int_equal(ps_config_format(&a, &text), PS_OK);
		/* rest is written explicitly, whatever its value. */
		assert_non_null(strstr((char *) text.data, rest ? "rest = true\n" : "rest = false\n"));
		ps_config_default(&b, !rest);
		assert_int_equal(ps_config_parse((char *) text.data, text.len, "f", &b, &err), PS_OK);
		assert_true(configs_equal(&a, &b));
	}
	/* Every field away from its default, and a token needing escapes. */
	ps_config_default(&a, false);
	strcpy(a.host, "::1");
	a.port = 1;
	strcpy(a.auth_token, "q\"uo\\te#");
	a.max_body_size_mb = 1;
	a.max_connections = 10000;
	a.sync = false;
	a.write_buffer_size_mb = 65536;
	a.block_cache_mb = 0;
	a.compression = PS_COMPRESSION_NONE;
	a.batch_size = 1;
	a.max_field_mb = 1024;
	a.log_level = PS_LOG_ERROR;
	strcpy(a.protocol_host, "0.0.0.0");
	a.protocol_port = 7820;
	strcpy(a.tls_cert_file, "/etc/pulsora/cert.pem");
	strcpy(a.tls_key_file, "key.pem");
	a.allow_insecure_remote = true;
	ps_buf_reset(&text);
	assert_int_equal(ps_config_format(&a, &text), PS_OK);
	ps_config_default(&b, true);
	assert_int_equal(ps_config_parse((char *) text.data, text.len, "f", &b, &err), PS_OK);
	assert_true(configs_equal(&a, &b));
	ps_buf_free(&text);
}

static void
test_remote_keys(void **state)
{
	const char *text =
		"[server]\n"
		"protocol_port = 7_820\n"
		"protocol_host = \"::\"\n"
		"tls_cert_file = 'certs/owner.pem'\n"
		"tls_key_file = \"/etc/pulsora/owner.key\"\n"
		"allow_insecure_remote = true\n";
	ps_config	c;
	ps_error	err;
	char		path[64];

	(void) state;
	ps_config_default(&c, true);
	assert_string_equal(c.protocol_host, "127.0.0.1");
	assert_int_equal(c.protocol_port, 0);
	assert_string_equal(c.tls_cert_file, "");
	assert_false(c.allow_insecure_remote);
	assert_int_equal(parse_text(text, &c, &err), PS_OK);
	assert_int_equal(c.protocol_port, 7820);
	assert_string_equal(c.protocol_host, "::");
	assert_string_equal(c.tls_cert_file, "certs/owner.pem");
	assert_string_equal(c.tls_key_file, "/etc/pulsora/owner.key");
	assert_true(c.allow_insecure_remote);
	/* File keys are relative to the data directory. */
	assert_true(ps_config_path_in(c.tls_cert_file, "/d", path, sizeof path));
	assert_string_equal(path, "/d/certs/owner.pem");
	assert_true(ps_config_path_in(c.tls_key_file, "/d", path, sizeof path));
	assert_string_equal(path, "/etc/pulsora/owner.key");
	assert_false(ps_config_path_in(c.tls_cert_file, "/a/long/dir", path, 12));
}

/* The listener rules: text (after defaults) must be refused with message, or accepted (NULL). */
typedef struct rule_case {
	const char *text;
	const char *message;
} rule_case;

static void
test_listener_rules(void **state)
{
	static const rule_case cases[] = {
		{"[server]\n", NULL},		/* REST on 127.0.0.1, no TCP protocol */
		{"[server]\nprotocol_port = 7820\n",
		 "[server] protocol_port 7820 is set but auth_token is empty: a token is mandatory on TCP"},
		{"[server]\nprotocol_port = 7820\nauth_token = \"t\"\n", NULL},
		{"[server]\nprotocol_port = 7820\nauth_token = \"t\"\nprotocol_host = \"localhost\"\n", NULL},
		{"[server]\nprotocol_port = 7820\nauth_token = \"t\"\nprotocol_host = \"::1\"\n", NULL},
		{"[server]\nprotocol_port = 7820\nauth_token = \"t\"\nprotocol_host = \"127.0.0.2\"\n", NULL},
		{"[server]\nprotocol_port = 7820\nauth_token = \"t\"\nprotocol_host = \"0.0.0.0\"\n",
		 "[server] protocol_host (or --protocol-host) \"0.0.0.0\" is not a loopback address"},
		{"[server]\nprotocol_port = 7820\nauth_token = \"t\"\nprotocol_host = \"::\"\n",
		 "is not a loopback address"},
		/* The protocol host matters only with a port. */
		{"[server]\nprotocol_host = \"0.0.0.0\"\n", NULL},
		{"[server]\nhost = \"0.0.0.0\"\n", "[server] host (or --host) \"0.0.0.0\" is not a loopback address"},
		{"[server]\nhost = \"0.0.0.0\"\nrest = false\n", NULL},
		{"[server]\nhost = \"0.0.0.0\"\nallow_insecure_remote = true\n", NULL},
		{"[server]\nhost = \"0.0.0.0\"\ntls_cert_file = \"c\"\ntls_key_file = \"k\"\n", NULL},
		{"[server]\nprotocol_port = 7820\nauth_token = \"t\"\nprotocol_host = \"0.0.0.0\"\n"
		 "tls_cert_file = \"c\"\ntls_key_file = \"k\"\n", NULL},
		{"[server]\ntls_cert_file = \"c\"\n", "tls_cert_file and tls_key_file must be set together"},
		{"[server]\ntls_key_file = \"k\"\n", "tls_cert_file and tls_key_file must be set together"},
		/* TLS does not stand in for the token. */
		{"[server]\nprotocol_port = 7820\ntls_cert_file = \"c\"\ntls_key_file = \"k\"\n",
		 "auth_token is empty"},
		{"[server]\nhost = \"no-such-host.invalid\"\n", "[server] host (or --host): cannot resolve host"},
	};
	ps_config	c;
	ps_error	err;

	(void) state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
	{
		ps_status	st;

		assert_int_equal(parse_text(cases[i].text, &c, &err), PS_OK);
		st = ps_config_check_listeners(&c, &err);
		if (cases[i].message == NULL && st != PS_OK)
			fail_msg("case %zu refused: %s", i, err.message);
		if (cases[i].message != NULL &&
			(st != PS_EINVAL || strstr(err.message, cases[i].message) == NULL))
			fail_msg("case %zu: got %d \"%s\", want \"%s\"", i, (int) st,
					 st == PS_OK ? "" : err.message, cases[i].message);
	}
}

static void
test_write_new_and_load(void **state)
{
	char		dir[] = "/tmp/test_config.XXXXXX";
	char		path[64];
	ps_config	a, b, other;
	ps_error	err;
	bool		created;
	struct stat sb;

	(void) state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/pulsora.toml", dir);
	ps_config_default(&b, true);
	assert_int_equal(ps_config_load(path, &b, &err), PS_ENOTFOUND);

	ps_config_default(&a, false);
	assert_int_equal(ps_config_write_new(path, &a, &created, &err), PS_OK);
	assert_true(created);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);

	/* A second writer never replaces the file. */
	ps_config_default(&other, true);
	other.port = 1234;
	assert_int_equal(ps_config_write_new(path, &other, &created, &err), PS_OK);
	assert_false(created);

	ps_config_default(&b, true);
	assert_int_equal(ps_config_load(path, &b, &err), PS_OK);
	assert_true(configs_equal(&a, &b));

	/* Errors from a file name the file's path. */
	{
		FILE	   *f = fopen(path, "w");

		assert_non_null(f);
		fputs("[server]\nbogus = 1\n", f);
		fclose(f);
	}
	assert_int_equal(ps_config_load(path, &b, &err), PS_EINVAL);
	assert_non_null(strstr(err.message, "pulsora.toml:2: unknown key \"bogus\" in [server]"));
	unlink(path);
	rmdir(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid_file),
		cmocka_unit_test(test_absent_keys_keep_defaults),
		cmocka_unit_test(test_string_escapes),
		cmocka_unit_test(test_errors_name_line_and_key),
		cmocka_unit_test(test_nul_byte),
		cmocka_unit_test(test_size_limits),
		cmocka_unit_test(test_format_reads_back),
		cmocka_unit_test(test_remote_keys),
		cmocka_unit_test(test_listener_rules),
		cmocka_unit_test(test_write_new_and_load),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
