/*
 * main.c — pulsorad, the owner of one data directory (DESIGN §1).
 *
 *   pulsorad -D DIR [-c FILE] [--host H] [--port P] [--no-rest]
 *            [--protocol-host H] [--protocol-port P]
 *            [--postmaster-pid PID] [--log-file PATH]
 *   pulsorad -D DIR --compact | --upgrade
 *   pulsorad --restore BACKUP -D NEWDIR
 *
 * Start-up order is what makes "one owner per directory" hold: create DIR
 * (0700), read or create its pulsora.toml, take an exclusive lock on
 * DIR/pulsorad.lock — so a second owner fails here, naming the first one's
 * pid — write DIR/pulsorad.pid, and only then open the store (RocksDB takes
 * its own LOCK too) and run crash recovery, start REST and the native
 * protocol listener (which replaces a stale socket).  The pid file is there
 * while recovery runs, so a client that finds a live pid and no socket yet
 * knows the owner is starting and waits.  An owner started by PostgreSQL
 * (--postmaster-pid, kind "autostart") serves REST only when the config says
 * so and merely warns when the REST port is taken; one started by hand
 * ("manual") fails instead.
 *
 * Listeners on TCP (DESIGN §7): REST, and the native protocol when
 * protocol_port is set.  Their rules (a token on TCP, TLS off loopback)
 * are checked before the lock is taken (ps_config_check_listeners), and the
 * TLS certificate is read then too, so a bad setting fails fast and names
 * its key; the certificate serves both listeners.
 *
 * Signals: SIGTERM, SIGINT and SIGHUP are blocked in every thread before any
 * thread exists and collected by the main thread with sigtimedwait, which
 * wakes every second to check that the postmaster (if any) still exists.  So
 * no code runs in signal context at all.  SIGPIPE is ignored: a vanished
 * client is an EPIPE on its own connection.
 *
 * --restore copies a backup (ps_backup_restore) into NEWDIR, which must be
 * empty or absent, before anything else is done: no settings are read or
 * written and no lock is taken there, as an empty directory has no owner.
 *
 * Shutdown: stop REST, stop the protocol server, remove the socket and the
 * pid file, close the store, free the certificate.  The two files go while the lock is still held,
 * so they can never remove those of a newer owner.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/ps_store.h"
#include "core/ps_upgrade.h"
#include "proto/ps_client.h"
#include "proto/ps_proto_server.h"
#include "proto/ps_tls.h"
#include "ps_config.h"
#include "ps_log.h"
#include "ps_rest.h"

#define PULSORA_VERSION "0.1.0"

#define MIB (UINT64_C(1) << 20)

typedef struct options {
	const char *dir;
	const char *config_path;	/* NULL: DIR/pulsora.toml */
	const char *host;
	int			port;			/* 0: from config */
	const char *protocol_host;
	long		protocol_port;	/* -1: from config */
	bool		no_rest;
	long		postmaster_pid;	/* 0: started by hand */
	const char *log_file;
	bool		compact;		/* compact the store and exit */
	bool		upgrade;		/* convert a format-1 store and exit */
	const char *restore;		/* restore this backup into dir and exit */
} options;

static void
usage(FILE *out)
{
	fprintf(out,
			"Usage: pulsorad -D DIR [options]\n"
			"Owns the Pulsora data directory DIR: serves the native protocol on\n"
			"DIR/" PS_SOCKET_NAME " and the REST API over TCP.\n\n"
			"  -D, --data-dir DIR        data directory (created 0700 if missing)\n"
			"  -c, --config FILE         settings file (default DIR/" PS_CONFIG_NAME ")\n"
			"      --host HOST           REST address (overrides [server] host)\n"
			"      --port PORT           REST port (overrides [server] port)\n"
			"      --no-rest             do not serve REST\n"
			"      --protocol-host HOST  native protocol TCP address (overrides [server] protocol_host)\n"
			"      --protocol-port PORT  native protocol TCP port, 0 = off (overrides [server] protocol_port)\n"
			"      --postmaster-pid PID  started by PostgreSQL: exit when PID is gone\n"
			"      --log-file PATH       append stdout and stderr to PATH\n"
			"      --compact             compact the store fully and exit (no owner may run)\n"
			"      --upgrade             convert a store of Pulsora 0.1 in place and exit\n"
			"      --restore BACKUP      copy the backup BACKUP into DIR (empty or absent) and exit\n"
			"  -h, --help                this help\n"
			"  -V, --version             print the version\n");
}

static bool
parse_long(const char *s, long min, long max, long *out)
{
	char	   *end;
	long		v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < min || v > max)
		return false;
	*out = v;
	return true;
}

/* Returns 0 to go on, or an exit code + 1 (help and version exit 0). */
static int
parse_options(int argc, char **argv, options *o)
{
	enum { OPT_HOST = 256, OPT_PORT, OPT_NO_REST, OPT_POSTMASTER_PID, OPT_LOG_FILE, OPT_COMPACT,
	OPT_UPGRADE, OPT_RESTORE, OPT_PROTOCOL_HOST, OPT_PROTOCOL_PORT };
	static const struct option longopts[] = {
		{"data-dir", required_argument, NULL, 'D'},
		{"config", required_argument, NULL, 'c'},
		{"host", required_argument, NULL, OPT_HOST},
		{"port", required_argument, NULL, OPT_PORT},
		{"no-rest", no_argument, NULL, OPT_NO_REST},
		{"protocol-host", required_argument, NULL, OPT_PROTOCOL_HOST},
		{"protocol-port", required_argument, NULL, OPT_PROTOCOL_PORT},
		{"postmaster-pid", required_argument, NULL, OPT_POSTMASTER_PID},
		{"log-file", required_argument, NULL, OPT_LOG_FILE},
		{"compact", no_argument, NULL, OPT_COMPACT},
		{"upgrade", no_argument, NULL, OPT_UPGRADE},
		{"restore", required_argument, NULL, OPT_RESTORE},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0}
	};
	long		v;
	int			ch;

	memset(o, 0, sizeof *o);
	o->protocol_port = -1;
	while ((ch = getopt_long(argc, argv, "D:c:hV", longopts, NULL)) != -1)
	{
		switch (ch)
		{
			case 'D': o->dir = optarg; break;
			case 'c': o->config_path = optarg; break;
			case OPT_HOST:
				if (optarg[0] == '\0' || strlen(optarg) > PS_CONFIG_HOST_MAX)
				{
					fprintf(stderr, "pulsorad: --host must be 1 to %d bytes\n", PS_CONFIG_HOST_MAX);
					return 2;
				}
				o->host = optarg;
				break;
			case OPT_PORT:
				if (!parse_long(optarg, 1, 65535, &v))
				{
					fprintf(stderr, "pulsorad: --port must be an integer from 1 to 65535\n");
					return 2;
				}
				o->port = (int) v;
				break;
			case OPT_NO_REST: o->no_rest = true; break;
			case OPT_PROTOCOL_HOST:
				if (optarg[0] == '\0' || strlen(optarg) > PS_CONFIG_HOST_MAX)
				{
					fprintf(stderr, "pulsorad: --protocol-host must be 1 to %d bytes\n",
							PS_CONFIG_HOST_MAX);
					return 2;
				}
				o->protocol_host = optarg;
				break;
			case OPT_PROTOCOL_PORT:
				if (!parse_long(optarg, 0, 65535, &o->protocol_port))
				{
					fprintf(stderr, "pulsorad: --protocol-port must be an integer from 0 (off) to 65535\n");
					return 2;
				}
				break;
			case OPT_POSTMASTER_PID:
				if (!parse_long(optarg, 1, INT_MAX, &v))
				{
					fprintf(stderr, "pulsorad: --postmaster-pid must be a positive integer\n");
					return 2;
				}
				o->postmaster_pid = v;
				break;
			case OPT_LOG_FILE: o->log_file = optarg; break;
			case OPT_COMPACT: o->compact = true; break;
			case OPT_UPGRADE: o->upgrade = true; break;
			case OPT_RESTORE: o->restore = optarg; break;
			case 'h': usage(stdout); return 1;
			case 'V': printf("pulsorad %s\n", PULSORA_VERSION); return 1;
			default: usage(stderr); return 2;
		}
	}
	if (optind < argc)
	{
		fprintf(stderr, "pulsorad: unexpected argument \"%s\"\n", argv[optind]);
		return 2;
	}
	if (o->dir == NULL || o->dir[0] == '\0')
	{
		fprintf(stderr, "pulsorad: the data directory (-D DIR) is required\n");
		usage(stderr);
		return 2;
	}
	return 0;
}

static bool
redirect_output(const char *path)
{
	int			fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);

	if (fd < 0)
	{
		fprintf(stderr, "pulsorad: cannot open log file %s: %s\n", path, strerror(errno));
		return false;
	}
	fflush(stdout);
	if (dup2(fd, STDOUT_FILENO) < 0 || dup2(fd, STDERR_FILENO) < 0)
	{
		fprintf(stderr, "pulsorad: cannot redirect output to %s: %s\n", path, strerror(errno));
		close(fd);
		return false;
	}
	close(fd);
	return true;
}

/* mkdir -p with mode 0700 for every directory created; resolves to an absolute path. */
static bool
prepare_data_dir(const char *dir, char *abs, size_t abslen)
{
	char		path[PATH_MAX];
	struct stat sb;
	size_t		len = strlen(dir);

	if (len >= sizeof path)
	{
		ps_log(PS_LOG_ERROR, "data directory path too long: %s", dir);
		return false;
	}
	memcpy(path, dir, len + 1);
	for (char *p = path + 1; ; p++)
	{
		if (*p != '/' && *p != '\0')
			continue;
		char		saved = *p;

		*p = '\0';
		if (mkdir(path, 0700) != 0 && errno != EEXIST)
		{
			ps_log(PS_LOG_ERROR, "cannot create data directory %s: %s", path, strerror(errno));
			return false;
		}
		*p = saved;
		if (saved == '\0')
			break;
	}
	if (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode))
	{
		ps_log(PS_LOG_ERROR, "data directory %s is not a directory", dir);
		return false;
	}
	if ((sb.st_mode & 077) != 0)
		ps_log(PS_LOG_WARN, "data directory %s is accessible by other users (mode %04o); 0700 is expected",
			   dir, (unsigned) (sb.st_mode & 07777));
	if (realpath(dir, path) == NULL || strlen(path) >= abslen)
	{
		ps_log(PS_LOG_ERROR, "cannot resolve data directory %s: %s", dir, strerror(errno));
		return false;
	}
	strcpy(abs, path);
	return true;
}

/* Read DIR's settings, creating the file with defaults when it is absent. */
static bool
read_config(const char *path, bool autostart, ps_config *cfg)
{
	ps_error	err;
	bool		created;

	ps_config_default(cfg, !autostart);
	if (ps_config_load(path, cfg, &err) == PS_OK)
		return true;
	if (err.code != PS_ENOTFOUND)
	{
		ps_log(PS_LOG_ERROR, "%s", err.message);
		return false;
	}
	if (ps_config_write_new(path, cfg, &created, &err) != PS_OK)
	{
		ps_log(PS_LOG_ERROR, "%s", err.message);
		return false;
	}
	if (created)
	{
		ps_log(PS_LOG_INFO, "wrote default settings to %s", path);
		return true;
	}
	/* Another owner-to-be created it first: use what it wrote. */
	ps_config_default(cfg, !autostart);
	if (ps_config_load(path, cfg, &err) != PS_OK)
	{
		ps_log(PS_LOG_ERROR, "%s", err.message);
		return false;
	}
	return true;
}

static long
read_pid_file(const char *path)
{
	char		text[32];
	ssize_t		n;
	long		pid = 0;
	int			fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return 0;
	n = read(fd, text, sizeof text - 1);
	close(fd);
	if (n <= 0)
		return 0;
	text[n] = '\0';
	text[strcspn(text, "\n")] = '\0';
	return parse_long(text, 1, INT_MAX, &pid) ? pid : 0;
}

/* Write our pid atomically (temporary file renamed over any stale one). */
static bool
write_pid_file(const char *path)
{
	char		tmp[PATH_MAX];
	char		text[32];
	int			len = snprintf(text, sizeof text, "%ld\n", (long) getpid());
	int			fd;
	bool		ok;

	if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int) sizeof tmp)
		return false;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
	{
		ps_log(PS_LOG_ERROR, "cannot create %s: %s", tmp, strerror(errno));
		return false;
	}
	ok = write(fd, text, (size_t) len) == len;
	ok = (close(fd) == 0) && ok;
	if (!ok || rename(tmp, path) != 0)
	{
		ps_log(PS_LOG_ERROR, "cannot write %s: %s", path, strerror(errno));
		unlink(tmp);
		return false;
	}
	return true;
}

/*
 * The listeners' rules, then the certificate (*tls NULL when TLS is off);
 * false, logged naming the keys at fault, when either is wrong.
 */
static bool
prepare_listeners(const ps_config *cfg, const char *dir, ps_tls_server **tls)
{
	char		cert[PATH_MAX];
	char		key[PATH_MAX];
	ps_error	err;

	*tls = NULL;
	if (ps_config_check_listeners(cfg, &err) != PS_OK)
	{
		ps_log(PS_LOG_ERROR, "%s", err.message);
		return false;
	}
	if (cfg->tls_cert_file[0] == '\0')
		return true;
	if (!ps_config_path_in(cfg->tls_cert_file, dir, cert, sizeof cert) ||
		!ps_config_path_in(cfg->tls_key_file, dir, key, sizeof key))
	{
		ps_log(PS_LOG_ERROR, "[server] tls_cert_file or tls_key_file makes too long a path");
		return false;
	}
	if (ps_tls_server_load(cert, key, tls, &err) != PS_OK)
	{
		ps_log(PS_LOG_ERROR, "[server] tls_cert_file, tls_key_file: %s", err.message);
		return false;
	}
	return true;
}

/*
 * Take DIR/pulsorad.lock (flock, held until exit); false, logged, when
 * another process holds it: the owner, an upgrade or a compaction.
 */
static bool
lock_data_dir(const char *dir, const char *pid_path)
{
	char		path[PATH_MAX];
	int			fd;

	snprintf(path, sizeof path, "%s/pulsorad.lock", dir);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
	{
		ps_log(PS_LOG_ERROR, "cannot open %s: %s", path, strerror(errno));
		return false;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) != 0)
	{
		long		pid = read_pid_file(pid_path);

		if (pid > 0)
			ps_log(PS_LOG_ERROR, "data directory %s is owned by pulsorad pid %ld", dir, pid);
		else
			ps_log(PS_LOG_ERROR, "data directory %s is in use by another pulsorad (an upgrade or a compaction)",
				   dir);
		close(fd);
		return false;
	}
	return true;				/* fd stays open: the lock lives as long as we do */
}

static void
store_options(const ps_config *cfg, ps_store_options *so)
{
	ps_store_options_default(so);
	so->sync = cfg->sync;
	so->write_buffer_size_mb = cfg->write_buffer_size_mb;
	so->block_cache_mb = cfg->block_cache_mb;
	so->decoded_cache_mb = cfg->decoded_cache_mb;
	so->compression = (int) cfg->compression;
	so->bottommost_compression = (int) cfg->bottommost_compression;
	so->batch_size = cfg->batch_size;
}

static void
report_upgrade(void *arg, const char *table, uint64_t done, uint64_t total)
{
	(void) arg;
	fprintf(stderr, "pulsorad: upgrade: table %s: %llu of %llu rows\n", table,
			(unsigned long long) done, (unsigned long long) total);
}

static int
upgrade_store(const char *dir, const ps_config *cfg)
{
	ps_store_options so;
	ps_error	err;
	bool		upgraded;

	store_options(cfg, &so);
	if (ps_store_upgrade(dir, &so, report_upgrade, NULL, &upgraded, &err) != PS_OK)
	{
		ps_log(PS_LOG_ERROR, "upgrade of %s failed: %s", dir, err.message);
		return 1;
	}
	ps_log(PS_LOG_INFO, upgraded ? "upgraded %s to store format 2" : "%s is already of store format 2",
		   dir);
	return 0;
}

static ps_status
open_store(const char *dir, const ps_config *cfg, ps_store **out)
{
	ps_store_options so;
	ps_error	err;
	ps_status	st;

	store_options(cfg, &so);
	st = ps_store_open(dir, &so, out, &err);
	if (st == PS_ELOCKED)
	{
		char		pidpath[PATH_MAX];
		long		pid;

		snprintf(pidpath, sizeof pidpath, "%s/%s", dir, PS_PID_NAME);
		pid = read_pid_file(pidpath);
		if (pid > 0)
			ps_log(PS_LOG_ERROR, "data directory %s is owned by pulsorad pid %ld", dir, pid);
		else
			ps_log(PS_LOG_ERROR, "data directory %s is owned by another process (pid not yet known)",
				   dir);
	}
	else if (st != PS_OK)
		ps_log(PS_LOG_ERROR, "cannot open the store in %s: %s", dir, err.message);
	return st;
}

/*
 * Wait for SIGTERM/SIGINT, or for the postmaster to disappear.  The signals
 * are blocked in every thread, so sigtimedwait is their only receiver.
 */
static void
wait_for_shutdown(const sigset_t *signals, long postmaster_pid)
{
	const struct timespec tick = {1, 0};

	for (;;)
	{
		int			sig = sigtimedwait(signals, NULL, &tick);

		if (sig == SIGTERM || sig == SIGINT)
		{
			ps_log(PS_LOG_INFO, "received %s, shutting down", sig == SIGTERM ? "SIGTERM" : "SIGINT");
			return;
		}
		if (sig == SIGHUP)
			ps_log(PS_LOG_INFO, "SIGHUP ignored: settings are read only at start");
		if (postmaster_pid > 0 && kill((pid_t) postmaster_pid, 0) == -1 && errno == ESRCH)
		{
			ps_log(PS_LOG_INFO, "postmaster pid %ld is gone, shutting down", postmaster_pid);
			return;
		}
	}
}

int
main(int argc, char **argv)
{
	options		o;
	ps_config	cfg;
	sigset_t	signals;
	char		dir[PATH_MAX];
	char		config_path[PATH_MAX];
	char		socket_path[PATH_MAX];
	char		pid_path[PATH_MAX];
	char		backup_dir[PATH_MAX];
	ps_backup_spec backup;
	char		rest_address[PS_ADDRESS_MAX] = "";
	char		protocol_address[PS_ADDRESS_MAX] = "";
	/* Counted by the protocol server, shown by REST; outlives both. */
	static ps_proto_stats proto_stats;
	ps_tls_server *tls = NULL;
	const char *token;
	bool		autostart;
	ps_store   *store = NULL;
	ps_rest    *rest = NULL;
	ps_proto_server *proto = NULL;
	ps_error	err;
	int			rc;

	if ((rc = parse_options(argc, argv, &o)) != 0)
		return rc - 1;
	if (o.log_file != NULL && !redirect_output(o.log_file))
		return 1;
	autostart = o.postmaster_pid > 0;
	umask(077);
	if (o.restore != NULL)
	{
		if (ps_backup_restore(o.restore, o.dir, &err) != PS_OK)
		{
			ps_log(PS_LOG_ERROR, "cannot restore backup %s into %s: %s", o.restore, o.dir, err.message);
			return 1;
		}
		ps_log(PS_LOG_INFO, "restored backup %s into %s; start it with: pulsorad -D %s", o.restore,
			   o.dir, o.dir);
		return 0;
	}

	/* Before any thread exists, so every thread inherits the mask. */
	sigemptyset(&signals);
	sigaddset(&signals, SIGTERM);
	sigaddset(&signals, SIGINT);
	sigaddset(&signals, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &signals, NULL);
	signal(SIGPIPE, SIG_IGN);

	if (!prepare_data_dir(o.dir, dir, sizeof dir))
		return 1;
	if (ps_socket_path(dir, socket_path, sizeof socket_path, &err) != PS_OK)
	{
		ps_log(PS_LOG_ERROR, "data directory %s cannot be used: %s", dir, err.message);
		return 1;
	}
	snprintf(pid_path, sizeof pid_path, "%s/%s", dir, PS_PID_NAME);
	if (o.config_path != NULL)
		snprintf(config_path, sizeof config_path, "%s", o.config_path);
	else
		snprintf(config_path, sizeof config_path, "%s/%s", dir, PS_CONFIG_NAME);
	if (!read_config(config_path, autostart, &cfg))
		return 1;
	if (o.host != NULL)
		snprintf(cfg.host, sizeof cfg.host, "%s", o.host);
	if (o.port != 0)
		cfg.port = (uint16_t) o.port;
	if (o.no_rest)
		cfg.rest = false;
	if (o.protocol_host != NULL)
		snprintf(cfg.protocol_host, sizeof cfg.protocol_host, "%s", o.protocol_host);
	if (o.protocol_port >= 0)
		cfg.protocol_port = (uint16_t) o.protocol_port;
	token = getenv("PULSORA_AUTH_TOKEN");
	if (token != NULL)
	{
		if (strlen(token) > PS_CONFIG_TOKEN_MAX)
		{
			ps_log(PS_LOG_ERROR, "PULSORA_AUTH_TOKEN is longer than %d bytes", PS_CONFIG_TOKEN_MAX);
			return 1;
		}
		strcpy(cfg.auth_token, token);
	}
	ps_log_set_level(cfg.log_level);
	if (!o.upgrade && !o.compact && !prepare_listeners(&cfg, dir, &tls))
		return 1;

	if (!lock_data_dir(dir, pid_path))
	{
		ps_tls_server_free(tls);
		return 1;
	}
	if (o.upgrade)
		return upgrade_store(dir, &cfg);	/* no listener, so no certificate was read */
	if (!o.compact && !write_pid_file(pid_path))
	{
		ps_tls_server_free(tls);
		return 1;
	}
	if (open_store(dir, &cfg, &store) != PS_OK)
	{
		if (!o.compact)
			unlink(pid_path);
		ps_tls_server_free(tls);
		return 1;
	}
	if (o.compact)
	{
		ps_error	err;
		ps_status	st = ps_store_compact(store, &err);

		if (st != PS_OK)
			ps_log(PS_LOG_ERROR, "compaction of %s failed: %s", dir, err.message);
		else
			ps_log(PS_LOG_INFO, "compacted %s: %llu bytes on disk", dir,
				   (unsigned long long) ps_store_disk_size(store));
		ps_store_close(store);
		return st == PS_OK ? 0 : 1;
	}
	if (!cfg.rest && !o.no_rest)
		ps_log(PS_LOG_INFO, "REST is off: [server] rest = false in %s", config_path);
	if (!ps_config_backup_dir(&cfg, dir, backup_dir, sizeof backup_dir))
	{
		ps_log(PS_LOG_ERROR, "[storage] backup_dir \"%s\" makes too long a path", cfg.backup_dir);
		unlink(pid_path);
		ps_store_close(store);
		ps_tls_server_free(tls);
		return 1;
	}
	backup.parent = backup_dir;
	backup.config_path = config_path;
	backup.keep = cfg.backup_keep;
	if (cfg.rest)
	{
		ps_rest_config rc_rest = {
			.host = cfg.host,
			.port = cfg.port,
			.auth_token = cfg.auth_token,
			.max_body_bytes = (uint64_t) cfg.max_body_size_mb * MIB,
			.max_connections = cfg.max_connections,
			.connection_timeout_s = cfg.request_timeout_s,
			.version = PULSORA_VERSION,
			.tls = tls,
			.proto_stats = &proto_stats,
		};

		rc_rest.backup = backup;
		ps_csv_options_default(&rc_rest.csv);
		rc_rest.csv.batch_size = cfg.batch_size;
		rc_rest.csv.max_field_bytes = (uint64_t) cfg.max_field_mb * MIB;
		if (ps_rest_start(store, &rc_rest, &rest, &err) == PS_OK)
			ps_address_format(cfg.host, cfg.port, rest_address, sizeof rest_address);
		else if (autostart && err.code == PS_EBUSY)
			ps_log(PS_LOG_WARN, "REST not served: %s", err.message);
		else
		{
			ps_log(PS_LOG_ERROR, "cannot serve REST: %s", err.message);
			unlink(pid_path);
			ps_store_close(store);
			ps_tls_server_free(tls);
			return 1;
		}
	}

	{
		ps_proto_server_config pc = {
			.socket_path = socket_path,
			.max_connections = cfg.protocol_max_connections,
			.scan_idle_timeout_s = cfg.scan_idle_timeout_s,
			.max_field_bytes = (uint64_t) cfg.max_field_mb * MIB,
			.batch_size = cfg.batch_size,
			.kind = autostart ? "autostart" : "manual",
			.rest_address = rest_address,
			.version = PULSORA_VERSION,
			.backup = backup,
			.tcp_host = cfg.protocol_host,
			.tcp_port = cfg.protocol_port,
			.auth_token = cfg.auth_token,
			.tls = tls,
			.stats = &proto_stats,
		};

		if (ps_proto_server_start(store, &pc, &proto, &err) != PS_OK)
		{
			ps_log(PS_LOG_ERROR, "cannot serve the native protocol on %s: %s", socket_path,
				   err.message);
			ps_rest_stop(rest);
			unlink(pid_path);
			ps_store_close(store);
			ps_tls_server_free(tls);
			return 1;
		}
		if (cfg.protocol_port != 0)
			ps_address_format(cfg.protocol_host, cfg.protocol_port, protocol_address,
							  sizeof protocol_address);
	}

	ps_log(PS_LOG_INFO, "pulsorad %s (%s) owns %s; socket %s; TCP %s%s%s; REST %s%s", PULSORA_VERSION,
		   autostart ? "autostart" : "manual", dir, socket_path,
		   protocol_address[0] ? protocol_address : "off",
		   protocol_address[0] && tls ? " (TLS)" : "", protocol_address[0] ? " with token" : "",
		   rest_address[0] ? (tls ? "https://" : "http://") : "off", rest_address);

	wait_for_shutdown(&signals, o.postmaster_pid);

	ps_rest_stop(rest);
	ps_proto_server_stop(proto);
	unlink(socket_path);
	if (read_pid_file(pid_path) == (long) getpid())
		unlink(pid_path);
	ps_store_close(store);
	ps_tls_server_free(tls);
	ps_log(PS_LOG_INFO, "stopped");
	return 0;
}
