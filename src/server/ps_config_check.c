/*
 * ps_config_check.c — the rules that tie pulsora.toml's [server] keys
 * together (API in ps_config.h), checked once flags and PULSORA_AUTH_TOKEN
 * have been applied, before anything listens (DESIGN §7):
 *  - tls_cert_file and tls_key_file are set together or not at all;
 *  - the native protocol on TCP (protocol_port) needs an auth_token: TCP
 *    has no file mode to guard it, as the Unix socket has;
 *  - a listener on an address other machines can reach (REST's host when
 *    REST is on, protocol_host when protocol_port is set) needs TLS, unless
 *    allow_insecure_remote says the network is trusted.
 * Each error names the keys (and flags) at fault and how to fix it.
 */
#include "ps_config.h"

#include "proto/ps_transport.h"

/* A listener on host without TLS: PS_EINVAL unless host is loopback. */
static ps_status
check_plain_listener(const char *host, const char *key, const char *flag, ps_error *err)
{
	bool		loopback;
	ps_status	st;

	if ((st = ps_host_is_loopback(host, &loopback, err)) != PS_OK)
		return ps_error_set(err, st, "[server] %s (or %s): %s", key, flag, err->message);
	if (loopback)
		return PS_OK;
	return ps_error_set(err, PS_EINVAL,
						"[server] %s (or %s) \"%s\" is not a loopback address: serving it without TLS "
						"exposes data and tokens to the network; set [server] tls_cert_file and "
						"tls_key_file, or allow_insecure_remote = true on a trusted network",
						key, flag, host);
}

ps_status
ps_config_check_listeners(const ps_config *c, ps_error *err)
{
	bool		tls = c->tls_cert_file[0] != '\0';
	ps_status	st;

	if (tls != (c->tls_key_file[0] != '\0'))
		return ps_error_set(err, PS_EINVAL,
							"[server] tls_cert_file and tls_key_file must be set together (TLS is on when both are)");
	if (c->protocol_port != 0 && c->auth_token[0] == '\0')
		return ps_error_set(err, PS_EINVAL,
							"[server] protocol_port %u is set but auth_token is empty: a token is mandatory on TCP "
							"(set [server] auth_token or PULSORA_AUTH_TOKEN)",
							(unsigned) c->protocol_port);
	if (tls || c->allow_insecure_remote)
		return PS_OK;
	if (c->protocol_port != 0 &&
		(st = check_plain_listener(c->protocol_host, "protocol_host", "--protocol-host", err)) != PS_OK)
		return st;
	if (c->rest && (st = check_plain_listener(c->host, "host", "--host", err)) != PS_OK)
		return st;
	return PS_OK;
}
