/*
 * ps_proto_server.h — the owner side of the native protocol: listens on the
 * data directory's Unix socket, and on TCP when configured (DESIGN §7), and
 * serves scans, loads and catalog calls of PostgreSQL backends (and
 * pulsora-cli) against a ps_store.
 *
 * One thread accepts; each connection gets a thread of its own (up to
 * max_connections; beyond that new connections are refused with an error
 * frame).  A connection's open scans and unfinished loads belong to it: when
 * it closes or breaks (peer killed), its loads are aborted and its scans
 * closed.  A scan idle longer than scan_idle_timeout_s is closed by the
 * owner, freeing its snapshot.  A malformed, truncated or oversized frame
 * closes that connection only; the owner lives on.
 *
 * The socket is created with mode 0600 after the caller has taken the store
 * lock, replacing a stale socket file.  It is guarded by that mode alone.
 * A TCP connection must present auth_token in its HELLO (compared in
 * constant time) and, when tls is given, speak TLS first; refusals are
 * counted in the caller's ps_proto_stats (for /metrics).  A plain client
 * on a TLS port is told so in a plain ERROR frame.  The connection limit
 * counts both kinds; one TLS connection too many is closed unanswered (an
 * answer would need a TLS handshake in the accept thread).
 */
#ifndef PS_PROTO_SERVER_H
#define PS_PROTO_SERVER_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "../core/ps_error.h"
#include "../core/ps_store.h"
#include "ps_tls.h"

typedef struct ps_proto_server ps_proto_server;

/* Counters of refused TCP connections, added to from any connection thread. */
typedef struct ps_proto_stats {
	atomic_uint_fast64_t auth_failures;		/* HELLO with a missing or wrong token */
	atomic_uint_fast64_t tls_failures;		/* failed TLS handshakes, plain clients included */
} ps_proto_stats;

typedef struct ps_proto_server_config {
	const char *socket_path;		/* borrowed, copied by start */
	uint32_t	max_connections;	/* default 64 */
	uint32_t	scan_idle_timeout_s;	/* default 300 */
	uint64_t	max_field_bytes;	/* CSV loads */
	uint32_t	batch_size;			/* CSV loads */
	/* What STATUS reports; borrowed strings, copied by start. */
	const char *kind;				/* "manual" or "autostart" */
	const char *rest_address;		/* "" when REST is off */
	const char *version;
	/*
	 * Where BACKUP writes (ps_store_backup); parent NULL = the owner takes
	 * no backups.  Strings borrowed, copied by start.
	 */
	ps_backup_spec backup;
	/* TCP (DESIGN §7): tcp_port 0 = none.  Strings borrowed, copied by start. */
	const char *tcp_host;
	uint16_t	tcp_port;
	const char *auth_token;			/* required with tcp_port: start refuses "" or NULL */
	/* Borrowed: TLS on the TCP port (NULL: plain); must outlive the server. */
	const ps_tls_server *tls;
	/* Borrowed: where refusals are counted (NULL: not counted); must outlive the server. */
	ps_proto_stats *stats;
} ps_proto_server_config;

ps_status	ps_proto_server_start(ps_store *st, const ps_proto_server_config *cfg,
								  ps_proto_server **out, ps_error *err);
/* Stop accepting, close every connection (aborting their loads), join threads. */
void		ps_proto_server_stop(ps_proto_server *srv);

/*
 * Whether given[0..given_len) equals the token want, in a time that depends
 * on want's length alone (not on where a guess goes wrong); REST checks its
 * bearer token with it too.
 */
bool		ps_proto_token_matches(const char *given, size_t given_len, const char *want);

#endif
