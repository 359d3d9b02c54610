/*
 * ps_config.h — the settings of a data directory, read from DIR/pulsora.toml
 * (or a file named with -c) and written there with defaults when absent.
 *
 * The file is a small TOML subset read by hand: [section] headers,
 * `key = value` lines with basic "strings" (TOML escapes), 'literal strings',
 * decimal integers (optional sign, `_` between digits) and true/false,
 * `#` comments, blank lines.  Arrays, tables-in-values, dotted keys, floats
 * and dates are not part of the subset and are errors.  Unknown sections and
 * keys, a key given twice, a type mismatch or an out-of-range value are
 * errors naming the file, the line and the key, e.g.
 *   pulsora.toml:7: unknown key "foo" in [server]
 * A line longer than PS_CONFIG_LINE_MAX bytes, a file larger than
 * PS_CONFIG_FILE_MAX bytes, a NUL byte or invalid UTF-8 are errors too, so
 * reading any input takes bounded memory and never crashes.
 *
 * Keys (DESIGN §5):
 *   [server]    rest, host, port, auth_token, max_body_size_mb, max_connections,
 *               request_timeout_s, protocol_max_connections, scan_idle_timeout_s,
 *               protocol_host, protocol_port, tls_cert_file, tls_key_file,
 *               allow_insecure_remote (DESIGN §7)
 *   [storage]   sync, write_buffer_size_mb, block_cache_mb, decoded_cache_mb,
 *               compression, bottommost_compression, backup_dir, backup_keep
 *   [ingestion] batch_size, max_field_mb
 *   [logging]   level
 * Keys absent from the file keep their defaults.  Command-line flags and
 * PULSORA_AUTH_TOKEN are applied by the caller (main) after reading; then
 * ps_config_check_listeners (ps_config_check.c) enforces the rules that
 * tie keys together.
 *
 * A ps_config is a plain value holding no pointers: copy it freely.
 */
#ifndef PS_CONFIG_H
#define PS_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "core/ps_buf.h"
#include "core/ps_error.h"
#include "ps_log.h"

#define PS_CONFIG_NAME "pulsora.toml"
#define PS_CONFIG_LINE_MAX 4096
#define PS_CONFIG_FILE_MAX (1024 * 1024)
#define PS_CONFIG_HOST_MAX 255
#define PS_CONFIG_TOKEN_MAX 512
#define PS_CONFIG_PATH_MAX 1024

typedef enum ps_compression {
	PS_COMPRESSION_NONE = 0,	/* values match ps_store_options.compression */
	PS_COMPRESSION_LZ4 = 1,
	PS_COMPRESSION_ZSTD = 2
} ps_compression;

typedef struct ps_config {
	/* [server] */
	bool		rest;
	char		host[PS_CONFIG_HOST_MAX + 1];
	uint16_t	port;
	char		auth_token[PS_CONFIG_TOKEN_MAX + 1];	/* "" = no authentication */
	uint32_t	max_body_size_mb;
	uint32_t	max_connections;
	uint32_t	request_timeout_s;			/* REST: idle limit and header deadline */
	uint32_t	protocol_max_connections;	/* native protocol connections */
	uint32_t	scan_idle_timeout_s;		/* a protocol scan untouched this long is closed */
	char		protocol_host[PS_CONFIG_HOST_MAX + 1];	/* native protocol on TCP: address */
	uint16_t	protocol_port;				/* 0 = the Unix socket only */
	char		tls_cert_file[PS_CONFIG_PATH_MAX + 1];	/* "" = no TLS; relative to DIR */
	char		tls_key_file[PS_CONFIG_PATH_MAX + 1];
	bool		allow_insecure_remote;		/* plain TCP on a non-loopback address */
	/* [storage] */
	bool		sync;
	uint32_t	write_buffer_size_mb;
	uint32_t	block_cache_mb;
	uint32_t	decoded_cache_mb;
	ps_compression compression;
	ps_compression bottommost_compression;
	char		backup_dir[PS_CONFIG_PATH_MAX + 1];	/* "" = DIR/backups; relative to DIR */
	uint32_t	backup_keep;				/* 0 = keep every backup */
	/* [ingestion] */
	uint32_t	batch_size;
	uint32_t	max_field_mb;
	/* [logging] */
	ps_log_level log_level;
} ps_config;

/*
 * Defaults.  rest is the one setting that depends on who creates the file:
 * true for a pulsorad started by hand, false for one started by PostgreSQL.
 */
void		ps_config_default(ps_config *c, bool rest);

/*
 * Parse text[0..len) over *c (which holds defaults or earlier values): each
 * key present overwrites its field.  name labels error messages (the file
 * name).  On error *c may be partly updated; err names line and key, and
 * err->line is set.
 */
ps_status	ps_config_parse(const char *text, size_t len, const char *name, ps_config *c,
							ps_error *err);

/*
 * The directory backups go in, for data directory dir (absolute): backup_dir
 * when absolute, dir/backup_dir when relative, dir/backups when "".  false
 * when that is longer than len - 1 bytes.
 */
bool		ps_config_backup_dir(const ps_config *c, const char *dir, char *out, size_t len);

/*
 * The rules between keys, once flags and PULSORA_AUTH_TOKEN are applied
 * (DESIGN §7): tls_cert_file and tls_key_file come together; the native
 * protocol on TCP needs an auth_token; neither listener (REST when rest is
 * on, protocol_host when protocol_port is set) may be on a non-loopback
 * address without TLS unless allow_insecure_remote.  PS_EINVAL naming the
 * keys at fault; a host that does not resolve is an error too.
 */
ps_status	ps_config_check_listeners(const ps_config *c, ps_error *err);

/*
 * A file key's path (tls_cert_file, tls_key_file) for data directory dir:
 * itself when absolute, dir/path when relative.  false when longer than
 * len - 1 bytes.
 */
bool		ps_config_path_in(const char *path, const char *dir, char *out, size_t len);

/* Read and parse the file at path over *c (PS_ENOTFOUND if it does not exist). */
ps_status	ps_config_load(const char *path, ps_config *c, ps_error *err);

/* Append the whole configuration, with a comment per key, as TOML to out. */
ps_status	ps_config_format(const ps_config *c, ps_buf *out);

/*
 * Create the file at path holding c, atomically and without ever replacing
 * an existing file (two owners starting at once write it at most once):
 * the text goes to a temporary file that is then hard-linked into place.
 * *created tells whether this call created it (false: it already existed).
 */
ps_status	ps_config_write_new(const char *path, const ps_config *c, bool *created,
								ps_error *err);

#endif
