/*
 * ps_config.c — reading and writing pulsora.toml (a TOML subset).
 *
 * One table, config_keys[], describes every key once: its section, name,
 * kind, where it lives in ps_config, its allowed range and the comment the
 * writer puts above it.  The reader, the range checks and the writer are all
 * driven by that table, so adding a key is one line here.
 *
 * Invariants: the reader works on one line at a time, never more than
 * PS_CONFIG_LINE_MAX bytes, and on a file of at most PS_CONFIG_FILE_MAX
 * bytes; it allocates only the file buffer; every error names the line.
 * Whatever ps_config_format writes, ps_config_parse reads back to an equal
 * ps_config.
 */
#include "ps_config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/ps_types.h"

typedef enum key_kind {
	KEY_BOOL,
	KEY_UINT,		/* uint16_t or uint32_t field, by size */
	KEY_TEXT,		/* char[] field of size bytes, printable ASCII without spaces */
	KEY_CHOICE		/* string naming one of choices[]; the index is the enum value */
} key_kind;

typedef struct config_key {
	const char *section;
	const char *name;
	key_kind	kind;
	size_t		offset;
	size_t		size;
	int64_t		min, max;		/* KEY_UINT: value range; KEY_TEXT: length range */
	const char *const *choices;	/* KEY_CHOICE: NULL-terminated */
	const char *comment;
} config_key;

static const char *const compression_names[] = {"none", "lz4", "zstd", NULL};
static const char *const level_names[] = {"error", "warn", "info", "debug", NULL};

#define FIELD(f) offsetof(ps_config, f), sizeof(((ps_config *) 0)->f)

static const config_key config_keys[] = {
	{"server", "rest", KEY_BOOL, FIELD(rest), 0, 0, NULL,
	 "Serve the REST API (pulsorad started by PostgreSQL does so only when true)."},
	{"server", "host", KEY_TEXT, FIELD(host), 1, PS_CONFIG_HOST_MAX, NULL,
	 "Address the REST API listens on."},
	{"server", "port", KEY_UINT, FIELD(port), 1, 65535, NULL,
	 "TCP port of the REST API."},
	{"server", "auth_token", KEY_TEXT, FIELD(auth_token), 0, PS_CONFIG_TOKEN_MAX, NULL,
	 "Bearer token required by every REST route but /health (\"\" = none).\n"
	 "# The environment variable PULSORA_AUTH_TOKEN overrides it."},
	{"server", "max_body_size_mb", KEY_UINT, FIELD(max_body_size_mb), 1, 1048576, NULL,
	 "Largest request body (a CSV ingest) in MiB."},
	{"server", "max_connections", KEY_UINT, FIELD(max_connections), 1, 10000, NULL,
	 "Most simultaneous REST connections."},
	{"server", "request_timeout_s", KEY_UINT, FIELD(request_timeout_s), 1, 86400, NULL,
	 "Seconds a REST client may stay silent or take over its request headers;\n# an upload must also average 1 KiB/s over each such span."},
	{"server", "protocol_max_connections", KEY_UINT, FIELD(protocol_max_connections), 1, 65536, NULL,
	 "Most simultaneous native-protocol connections (PostgreSQL backends, pulsora-cli)."},
	{"server", "scan_idle_timeout_s", KEY_UINT, FIELD(scan_idle_timeout_s), 1, 86400, NULL,
	 "Seconds a native-protocol scan may stay untouched before the owner closes it."},
	{"server", "protocol_port", KEY_UINT, FIELD(protocol_port), 0, 65535, NULL,
	 "TCP port of the native protocol, for PostgreSQL servers on other machines (0 = off:\n"
	 "# the Unix socket only).  Every TCP connection must present auth_token, which must be set."},
	{"server", "protocol_host", KEY_TEXT, FIELD(protocol_host), 1, PS_CONFIG_HOST_MAX, NULL,
	 "Address the native protocol listens on when protocol_port is set."},
	{"server", "tls_cert_file", KEY_TEXT, FIELD(tls_cert_file), 0, PS_CONFIG_PATH_MAX, NULL,
	 "TLS certificate chain (PEM) for REST and the native protocol on TCP; with tls_key_file\n"
	 "# it turns TLS (1.2 or later) on.  \"\" = no TLS; a relative path is relative to the data directory."},
	{"server", "tls_key_file", KEY_TEXT, FIELD(tls_key_file), 0, PS_CONFIG_PATH_MAX, NULL,
	 "The private key (PEM) of tls_cert_file."},
	{"server", "allow_insecure_remote", KEY_BOOL, FIELD(allow_insecure_remote), 0, 0, NULL,
	 "Allow REST or the native protocol on a non-loopback address without TLS."},
	{"storage", "sync", KEY_BOOL, FIELD(sync), 0, 0, NULL,
	 "fsync the write-ahead log before a load is acknowledged."},
	{"storage", "write_buffer_size_mb", KEY_UINT, FIELD(write_buffer_size_mb), 1, 65536, NULL,
	 "RocksDB write buffer (memtable) size in MiB."},
	{"storage", "block_cache_mb", KEY_UINT, FIELD(block_cache_mb), 0, 1048576, NULL,
	 "RocksDB block cache size in MiB."},
	{"storage", "decoded_cache_mb", KEY_UINT, FIELD(decoded_cache_mb), 0, 1048576, NULL,
	 "Cache of decoded blocks shared by scans, in MiB (0: none)."},
	{"storage", "compression", KEY_CHOICE, FIELD(compression), 0, 0, compression_names,
	 "Block compression: \"lz4\", \"zstd\" or \"none\"."},
	{"storage", "bottommost_compression", KEY_CHOICE, FIELD(bottommost_compression), 0, 0,
	 compression_names,
	 "Compression of the last level, where compaction leaves most rows (smaller, slower)."},
	{"storage", "backup_dir", KEY_TEXT, FIELD(backup_dir), 0, PS_CONFIG_PATH_MAX, NULL,
	 "Directory of the online backups (POST /backups, pulsora-cli backup); \"\" = DIR/backups,\n"
	 "# a relative path is relative to the data directory."},
	{"storage", "backup_keep", KEY_UINT, FIELD(backup_keep), 0, 1000000, NULL,
	 "Backups kept: after a new one the oldest beyond this many are removed (0 = keep all)."},
	{"ingestion", "batch_size", KEY_UINT, FIELD(batch_size), 1, 1000000, NULL,
	 "Rows per write batch (and rows sampled to infer a new table's schema)."},
	{"ingestion", "max_field_mb", KEY_UINT, FIELD(max_field_mb), 1, 1024, NULL,
	 "Largest CSV field or line in MiB; a larger one is a bad row."},
	{"logging", "level", KEY_CHOICE, FIELD(log_level), 0, 0, level_names,
	 "\"error\", \"warn\", \"info\" or \"debug\"."},
};

#define NKEYS (sizeof config_keys / sizeof config_keys[0])

/* KEY_CHOICE fields are stored through an int pointer. */
_Static_assert(sizeof(ps_compression) == sizeof(int), "enum size");
_Static_assert(sizeof(ps_log_level) == sizeof(int), "enum size");

void
ps_config_default(ps_config *c, bool rest)
{
	memset(c, 0, sizeof *c);
	c->rest = rest;
	strcpy(c->host, "127.0.0.1");
	c->port = 8080;
	c->max_body_size_mb = 1024;
	c->max_connections = 64;
	c->request_timeout_s = 30;
	c->protocol_max_connections = 1024;
	c->scan_idle_timeout_s = 300;
	strcpy(c->protocol_host, "127.0.0.1");
	c->sync = true;
	c->write_buffer_size_mb = 64;
	c->block_cache_mb = 128;
	c->decoded_cache_mb = 256;
	c->compression = PS_COMPRESSION_LZ4;
	c->bottommost_compression = PS_COMPRESSION_ZSTD;
	c->batch_size = 10000;
	c->max_field_mb = 16;
	c->log_level = PS_LOG_INFO;
}

bool
ps_config_backup_dir(const ps_config *c, const char *dir, char *out, size_t len)
{
	return ps_config_path_in(c->backup_dir[0] != '\0' ? c->backup_dir : "backups", dir, out, len);
}

bool
ps_config_path_in(const char *path, const char *dir, char *out, size_t len)
{
	int			n;

	if (path[0] == '/')
		n = snprintf(out, len, "%s", path);
	else
		n = snprintf(out, len, "%s/%s", dir, path);
	return n >= 0 && (size_t) n < len;
}

/* ---------------------------------------------------------------- reading */

/* Where the reader is, for error messages. */
typedef struct reader {
	const char *name;
	int64_t		line;
	const char *section;		/* current section name (a config_keys string) or NULL */
	ps_error   *err;
} reader;

static ps_status
read_error(const reader *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static ps_status
read_error(const reader *r, const char *fmt, ...)
{
	char		detail[PS_ERROR_MESSAGE_MAX];
	va_list		ap;

	va_start(ap, fmt);
	vsnprintf(detail, sizeof detail, fmt, ap);
	va_end(ap);
	return ps_error_set_at(r->err, PS_EINVAL, r->line, 0, "%s:%lld: %s", r->name,
						   (long long) r->line, detail);
}

static bool
is_bare_key_char(char ch)
{
	return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
		ch == '_' || ch == '-';
}

static const char *
skip_blanks(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	return p;
}

/* After a value or header only blanks and a comment may follow. */
static bool
only_comment_left(const char *p, const char *end)
{
	p = skip_blanks(p, end);
	return p == end || *p == '#';
}

static bool
is_control(unsigned char ch)
{
	return (ch < 0x20 && ch != '\t') || ch == 0x7f;
}

/* Append code point cp as UTF-8 to out (room is guaranteed by the caller). */
static size_t
utf8_encode(uint32_t cp, char *out)
{
	if (cp < 0x80)
	{
		out[0] = (char) cp;
		return 1;
	}
	if (cp < 0x800)
	{
		out[0] = (char) (0xc0 | (cp >> 6));
		out[1] = (char) (0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000)
	{
		out[0] = (char) (0xe0 | (cp >> 12));
		out[1] = (char) (0x80 | ((cp >> 6) & 0x3f));
		out[2] = (char) (0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (char) (0xf0 | (cp >> 18));
	out[1] = (char) (0x80 | ((cp >> 12) & 0x3f));
	out[2] = (char) (0x80 | ((cp >> 6) & 0x3f));
	out[3] = (char) (0x80 | (cp & 0x3f));
	return 4;
}

/*
 * Parse a basic ("...") or literal ('...') string starting at *pp (on the
 * quote) into out, which has room for a whole line plus NUL: an escape never
 * decodes to more bytes than it spans.  Advances *pp past the closing quote.
 */
static ps_status
parse_string(const reader *r, const char *key, const char **pp, const char *end,
			 char *out, size_t *outlen)
{
	const char *p = *pp;
	char		quote = *p++;
	size_t		n = 0;

	if (end - p >= 2 && p[0] == quote && p[1] == quote)
		return read_error(r, "multi-line strings are not supported (key \"%s\")", key);
	while (p < end && *p != quote)
	{
		unsigned char ch = (unsigned char) *p;

		if (is_control(ch))
			return read_error(r, "control character in the string of key \"%s\"", key);
		if (ch != '\\' || quote == '\'')
		{
			out[n++] = *p++;
			continue;
		}
		if (++p == end)
			break;
		switch (*p)
		{
			case 'b': out[n++] = '\b'; p++; break;
			case 't': out[n++] = '\t'; p++; break;
			case 'n': out[n++] = '\n'; p++; break;
			case 'f': out[n++] = '\f'; p++; break;
			case 'r': out[n++] = '\r'; p++; break;
			case '"': out[n++] = '"'; p++; break;
			case '\\': out[n++] = '\\'; p++; break;
			case 'u':
			case 'U':
				{
					int			digits = (*p == 'u') ? 4 : 8;
					uint32_t	cp = 0;

					p++;
					if (end - p < digits)
						return read_error(r, "bad \\u escape in the string of key \"%s\"", key);
					for (int i = 0; i < digits; i++)
					{
						int			h = ps_hex_digit(p[i]);

						if (h < 0)
							return read_error(r, "bad \\u escape in the string of key \"%s\"", key);
						cp = (cp << 4) | (uint32_t) h;
					}
					if (cp == 0 || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
						return read_error(r, "escape \\%c%.*s is not a valid character (key \"%s\")",
										  digits == 4 ? 'u' : 'U', digits, p, key);
					p += digits;
					n += utf8_encode(cp, out + n);
					break;
				}
			default:
				return read_error(r, "unknown escape \\%c in the string of key \"%s\"", *p, key);
		}
	}
	if (p == end)
		return read_error(r, "unterminated string for key \"%s\"", key);
	out[n] = '\0';
	*outlen = n;
	*pp = p + 1;
	return PS_OK;
}

/* TOML decimal integer: [+-]? digits, '_' only between digits, no leading zeros. */
static ps_status
parse_integer(const reader *r, const char *key, const char **pp, const char *end, int64_t *out)
{
	const char *p = *pp;
	bool		negative = false;
	const char *digits;
	uint64_t	v = 0;

	if (p < end && (*p == '+' || *p == '-'))
		negative = (*p++ == '-');
	digits = p;
	while (p < end && ((*p >= '0' && *p <= '9') || *p == '_'))
	{
		if (*p == '_')
		{
			if (p == digits || p + 1 == end || p[1] < '0' || p[1] > '9')
				return read_error(r, "bad integer for key \"%s\"", key);
			p++;
			continue;
		}
		if (v > (UINT64_C(1) << 62))
			return read_error(r, "integer for key \"%s\" is too large", key);
		v = v * 10 + (uint64_t) (*p++ - '0');
	}
	if (p == digits || (digits[0] == '0' && p - digits > 1))
		return read_error(r, "bad integer for key \"%s\"", key);
	*out = negative ? -(int64_t) v : (int64_t) v;
	*pp = p;
	return PS_OK;
}

static const config_key *
find_key(const char *section, const char *name, size_t len)
{
	for (size_t i = 0; i < NKEYS; i++)
		if (strcmp(config_keys[i].section, section) == 0 &&
			strlen(config_keys[i].name) == len && memcmp(config_keys[i].name, name, len) == 0)
			return &config_keys[i];
	return NULL;
}

static const char *
find_section(const char *name, size_t len)
{
	for (size_t i = 0; i < NKEYS; i++)
		if (strlen(config_keys[i].section) == len && memcmp(config_keys[i].section, name, len) == 0)
			return config_keys[i].section;
	return NULL;
}

static ps_status
parse_section(reader *r, const char *p, const char *end, bool *sections_seen)
{
	const char *name;
	const char *section;

	p++;						/* '[' */
	if (p < end && *p == '[')
		return read_error(r, "arrays of tables are not supported");
	p = skip_blanks(p, end);
	name = p;
	while (p < end && is_bare_key_char(*p))
		p++;
	if (p == name)
		return read_error(r, "bad section header");
	section = find_section(name, (size_t) (p - name));
	if (section == NULL)
		return read_error(r, "unknown section [%.*s]", (int) (p - name), name);
	p = skip_blanks(p, end);
	if (p == end || *p != ']' || !only_comment_left(p + 1, end))
		return read_error(r, "bad section header");
	for (size_t i = 0; i < NKEYS; i++)
		if (config_keys[i].section == section)
		{
			if (sections_seen[i])
				return read_error(r, "section [%s] given twice", section);
			sections_seen[i] = true;
			break;
		}
	r->section = section;
	return PS_OK;
}

static ps_status
check_text(const reader *r, const config_key *k, const char *s, size_t len)
{
	if ((int64_t) len < k->min || (int64_t) len > k->max)
		return read_error(r, "key \"%s\" in [%s] must be %lld to %lld bytes long", k->name,
						  k->section, (long long) k->min, (long long) k->max);
	for (size_t i = 0; i < len; i++)
		if (s[i] <= ' ' || s[i] > '~')
			return read_error(r, "key \"%s\" in [%s] must hold printable ASCII without spaces",
							  k->name, k->section);
	return PS_OK;
}

/* Parse the value at p for key k and store it into c. */
static ps_status
parse_value(const reader *r, const config_key *k, const char *p, const char *end, ps_config *c)
{
	char	   *field = (char *) c + k->offset;
	char		text[PS_CONFIG_LINE_MAX + 1];
	size_t		len = 0;
	int64_t		iv = 0;
	ps_status	st;

	switch (k->kind)
	{
		case KEY_BOOL:
			if (end - p >= 4 && memcmp(p, "true", 4) == 0)
			{
				*(bool *) field = true;
				p += 4;
			}
			else if (end - p >= 5 && memcmp(p, "false", 5) == 0)
			{
				*(bool *) field = false;
				p += 5;
			}
			else
				return read_error(r, "key \"%s\" in [%s] must be true or false", k->name, k->section);
			break;
		case KEY_UINT:
			if (p == end || (*p != '+' && *p != '-' && (*p < '0' || *p > '9')))
				return read_error(r, "key \"%s\" in [%s] must be an integer", k->name, k->section);
			if ((st = parse_integer(r, k->name, &p, end, &iv)) != PS_OK)
				return st;
			if (iv < k->min || iv > k->max)
				return read_error(r, "key \"%s\" in [%s] must be between %lld and %lld, not %lld",
								  k->name, k->section, (long long) k->min, (long long) k->max,
								  (long long) iv);
			if (k->size == sizeof(uint16_t))
				*(uint16_t *) field = (uint16_t) iv;
			else
				*(uint32_t *) field = (uint32_t) iv;
			break;
		case KEY_TEXT:
		case KEY_CHOICE:
			if (p == end || (*p != '"' && *p != '\''))
				return read_error(r, "key \"%s\" in [%s] must be a string", k->name, k->section);
			if ((st = parse_string(r, k->name, &p, end, text, &len)) != PS_OK)
				return st;
			if (k->kind == KEY_TEXT)
			{
				if ((st = check_text(r, k, text, len)) != PS_OK)
					return st;
				memcpy(field, text, len + 1);
				break;
			}
			for (int i = 0;; i++)
			{
				if (k->choices[i] == NULL)
					return read_error(r, "key \"%s\" in [%s] must be one of %s (not \"%.64s\")",
									  k->name, k->section,
									  k->choices == compression_names ?
									  "\"lz4\", \"zstd\", \"none\"" :
									  "\"error\", \"warn\", \"info\", \"debug\"", text);
				if (strcmp(text, k->choices[i]) == 0)
				{
					/* Both choice enums are int-sized with values 0..n-1. */
					*(int *) field = i;
					break;
				}
			}
			break;
	}
	if (!only_comment_left(p, end))
		return read_error(r, "unexpected text after the value of key \"%s\"", k->name);
	return PS_OK;
}

static ps_status
parse_line(reader *r, const char *p, const char *end, ps_config *c, bool *keys_seen,
		   bool *sections_seen)
{
	const char *key;
	const config_key *k;

	p = skip_blanks(p, end);
	if (p == end || *p == '#')
		return PS_OK;
	if (*p == '[')
		return parse_section(r, p, end, sections_seen);
	key = p;
	while (p < end && is_bare_key_char(*p))
		p++;
	if (p == key)
		return read_error(r, "expected a key, a [section] or a comment");
	if (p < end && *p == '.')
		return read_error(r, "dotted keys are not supported");
	if (r->section == NULL)
		return read_error(r, "key \"%.*s\" outside a [section]", (int) (p - key), key);
	k = find_key(r->section, key, (size_t) (p - key));
	if (k == NULL)
		return read_error(r, "unknown key \"%.*s\" in [%s]", (int) (p - key), key, r->section);
	if (keys_seen[k - config_keys])
		return read_error(r, "key \"%s\" in [%s] given twice", k->name, k->section);
	keys_seen[k - config_keys] = true;
	p = skip_blanks(p, end);
	if (p == end || *p != '=')
		return read_error(r, "expected '=' after key \"%s\"", k->name);
	p = skip_blanks(p + 1, end);
	return parse_value(r, k, p, end, c);
}

ps_status
ps_config_parse(const char *text, size_t len, const char *name, ps_config *c, ps_error *err)
{
	reader		r = {name, 0, NULL, err};
	bool		keys_seen[NKEYS] = {false};
	bool		sections_seen[NKEYS] = {false};
	const char *p = text;
	const char *end = text + len;

	if (len > PS_CONFIG_FILE_MAX)
		return ps_error_set(err, PS_ETOOBIG, "%s: file larger than %d bytes", name,
							PS_CONFIG_FILE_MAX);
	while (p < end)
	{
		const char *nl = memchr(p, '\n', (size_t) (end - p));
		const char *eol = nl ? nl : end;
		ps_status	st;

		r.line++;
		if (eol - p > PS_CONFIG_LINE_MAX)
			return read_error(&r, "line longer than %d bytes", PS_CONFIG_LINE_MAX);
		if (eol > p && eol[-1] == '\r')
			eol--;
		if (memchr(p, '\0', (size_t) (eol - p)) != NULL)
			return read_error(&r, "NUL byte");
		if (!ps_utf8_valid(p, (size_t) (eol - p)))
			return read_error(&r, "invalid UTF-8");
		if ((st = parse_line(&r, p, eol, c, keys_seen, sections_seen)) != PS_OK)
			return st;
		p = nl ? nl + 1 : end;
	}
	return PS_OK;
}

ps_status
ps_config_load(const char *path, ps_config *c, ps_error *err)
{
	struct stat sb;
	char	   *text;
	ssize_t		n;
	size_t		len = 0;
	int			fd;
	ps_status	st;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return ps_error_set(err, errno == ENOENT ? PS_ENOTFOUND : PS_EIO,
							"cannot open %s: %s", path, strerror(errno));
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode))
	{
		close(fd);
		return ps_error_set(err, PS_EINVAL, "%s is not a regular file", path);
	}
	/* One byte more than allowed, so a file that grew is still caught. */
	text = malloc(PS_CONFIG_FILE_MAX + 1);
	if (text == NULL)
	{
		close(fd);
		return ps_error_set(err, PS_ENOMEM, "out of memory reading %s", path);
	}
	while (len < PS_CONFIG_FILE_MAX + 1 &&
		   (n = read(fd, text + len, PS_CONFIG_FILE_MAX + 1 - len)) != 0)
	{
		if (n < 0)
		{
			if (errno == EINTR)
				continue;
			st = ps_error_set(err, PS_EIO, "cannot read %s: %s", path, strerror(errno));
			free(text);
			close(fd);
			return st;
		}
		len += (size_t) n;
	}
	close(fd);
	st = ps_config_parse(text, len, path, c, err);
	free(text);
	return st;
}

/* ---------------------------------------------------------------- writing */

static ps_status
format_string(ps_buf *out, const char *s)
{
	ps_status	st = ps_buf_append_u8(out, '"');

	for (; st == PS_OK && *s; s++)
	{
		unsigned char ch = (unsigned char) *s;

		if (ch == '"' || ch == '\\')
			st = ps_buf_printf(out, "\\%c", ch);
		else if (is_control(ch))
			st = ps_buf_printf(out, "\\u%04x", ch);
		else
			st = ps_buf_append_u8(out, ch);
	}
	return st == PS_OK ? ps_buf_append_u8(out, '"') : st;
}

ps_status
ps_config_format(const ps_config *c, ps_buf *out)
{
	const char *section = NULL;
	ps_status	st = ps_buf_printf(out,
								   "# Pulsora data directory settings (see DESIGN.md, section 5).\n"
								   "# pulsorad reads this file at start; command-line flags override it.\n");

	for (size_t i = 0; i < NKEYS && st == PS_OK; i++)
	{
		const config_key *k = &config_keys[i];
		const char *field = (const char *) c + k->offset;

		if (section != k->section)
		{
			section = k->section;
			st = ps_buf_printf(out, "\n[%s]\n", section);
		}
		if (st == PS_OK)
			st = ps_buf_printf(out, "# %s\n%s = ", k->comment, k->name);
		if (st != PS_OK)
			break;
		switch (k->kind)
		{
			case KEY_BOOL:
				st = ps_buf_printf(out, "%s", *(const bool *) field ? "true" : "false");
				break;
			case KEY_UINT:
				st = ps_buf_printf(out, "%u", k->size == sizeof(uint16_t) ?
								   (unsigned) *(const uint16_t *) field :
								   (unsigned) *(const uint32_t *) field);
				break;
			case KEY_TEXT:
				st = format_string(out, field);
				break;
			case KEY_CHOICE:
				st = format_string(out, k->choices[*(const int *) field]);
				break;
		}
		if (st == PS_OK)
			st = ps_buf_append_u8(out, '\n');
	}
	return st;
}

ps_status
ps_config_write_new(const char *path, const ps_config *c, bool *created, ps_error *err)
{
	char		tmp[PATH_MAX];
	ps_buf		text = PS_BUF_INIT;
	ps_status	st = PS_OK;
	size_t		done = 0;
	int			fd;

	*created = false;
	if (snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long) getpid()) >= (int) sizeof tmp)
		return ps_error_set(err, PS_ETOOBIG, "configuration path too long: %s", path);
	if (ps_config_format(c, &text) != PS_OK)
		return ps_error_set(err, PS_ENOMEM, "out of memory formatting %s", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
	{
		st = ps_error_set(err, PS_EIO, "cannot create %s: %s", tmp, strerror(errno));
		ps_buf_free(&text);
		return st;
	}
	while (done < text.len)
	{
		ssize_t		n = write(fd, text.data + done, text.len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
		{
			st = ps_error_set(err, PS_EIO, "cannot write %s: %s", tmp, strerror(errno));
			break;
		}
		done += (size_t) n;
	}
	if (st == PS_OK && fsync(fd) != 0)
		st = ps_error_set(err, PS_EIO, "cannot fsync %s: %s", tmp, strerror(errno));
	close(fd);
	ps_buf_free(&text);
	/* link() never replaces an existing file: the first writer wins. */
	if (st == PS_OK)
	{
		if (link(tmp, path) == 0)
			*created = true;
		else if (errno != EEXIST)
			st = ps_error_set(err, PS_EIO, "cannot create %s: %s", path, strerror(errno));
	}
	unlink(tmp);
	return st;
}
