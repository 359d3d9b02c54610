/*
 * cli_connect.c — which owner pulsora-cli talks to, and connecting to it:
 * the owner of a data directory (-D DIR, over its Unix socket) or an owner
 * on TCP (--host H --port P, DESIGN §7) with a token (--token T, else the
 * environment's PULSORA_AUTH_TOKEN) and TLS as --tls says (disable,
 * require, verify-full; the default depends on the host, as the FDW's:
 * ps_client_default_tls) with --tls-ca FILE as the trusted CA.
 *
 * Invariants: exactly one of -D and --host is given; --port goes with
 * --host, and --token, --tls and --tls-ca only with it; a usage error names
 * the option at fault.  The token given on the command line is visible to
 * other users in the process list: the environment variable is the safer
 * way, and --help says so.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_int.h"

int
cli_target_option(int argc, char **argv, int *i, cli_target *t, const char **bad)
{
	const char *a = argv[*i];
	const char *v = *i + 1 < argc ? argv[*i + 1] : NULL;
	char	   *end;
	long		port;

	if (strcmp(a, "-D") != 0 && strcmp(a, "--data-dir") != 0 && strcmp(a, "--host") != 0 &&
		strcmp(a, "--port") != 0 && strcmp(a, "--token") != 0 && strcmp(a, "--tls") != 0 &&
		strcmp(a, "--tls-ca") != 0)
		return 0;
	*bad = a;
	if (v == NULL)
		return -1;
	(*i)++;
	if (a[1] == 'D' || strcmp(a, "--data-dir") == 0)
		t->dir = v;
	else if (strcmp(a, "--host") == 0)
		t->remote.host = v;
	else if (strcmp(a, "--port") == 0)
	{
		port = strtol(v, &end, 10);
		if (end == v || *end != '\0' || port < 1 || port > 65535)
			return -1;
		t->remote.port = (uint16_t) port;
	}
	else if (strcmp(a, "--token") == 0)
		t->remote.token = v;
	else if (strcmp(a, "--tls") == 0)
	{
		if (!ps_tls_mode_parse(v, &t->remote.tls))
			return -1;
		t->tls_given = true;
	}
	else
		t->remote.tls_ca_file = v;
	return 1;
}

const char *
cli_target_check(cli_target *t)
{
	bool		remote_options = t->remote.port != 0 || t->remote.token != NULL || t->tls_given ||
		t->remote.tls_ca_file != NULL;

	if (t->dir != NULL && t->remote.host != NULL)
		return "give either -D DIR or --host HOST --port PORT, not both";
	if (t->dir == NULL && t->remote.host == NULL)
		return "no owner given (-D DIR, or --host HOST --port PORT)";
	if (t->dir != NULL && remote_options)
		return "--port, --token, --tls and --tls-ca go with --host, not -D";
	if (t->remote.host != NULL && t->remote.port == 0)
		return "--host needs --port";
	if (t->remote.host != NULL)
	{
		if (!t->tls_given)
			t->remote.tls = ps_client_default_tls(t->remote.host);
		if (t->remote.tls_ca_file != NULL && t->remote.tls != PS_TLS_VERIFY_FULL)
			return "--tls-ca needs --tls verify-full";
		if (t->remote.token == NULL)
			t->remote.token = getenv("PULSORA_AUTH_TOKEN");
	}
	return NULL;
}

ps_status
cli_connect(const cli_target *t, ps_client **c, ps_error *err)
{
	if (t->dir != NULL)
		return ps_client_connect(t->dir, c, err);
	return ps_client_connect_remote(&t->remote, NULL, NULL, c, err);
}
