/*
 * ps_proto_server.h — the owner side of the native protocol: listens on the
 * data directory's Unix socket and serves scans, loads and catalog calls of
 * PostgreSQL backends (and pulsora-cli) against a ps_store.
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
 * lock, replacing a stale socket file.
 */
#ifndef PS_PROTO_SERVER_H
#define PS_PROTO_SERVER_H

#include <stdint.h>
#include "../core/ps_error.h"
#include "../core/ps_store.h"

typedef struct ps_proto_server ps_proto_server;

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
} ps_proto_server_config;

ps_status	ps_proto_server_start(ps_store *st, const ps_proto_server_config *cfg,
								  ps_proto_server **out, ps_error *err);
/* Stop accepting, close every connection (aborting their loads), join threads. */
void		ps_proto_server_stop(ps_proto_server *srv);

#endif
