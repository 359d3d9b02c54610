/*
 * ps_backup.c — online backups of a store and their restore: a backup is a
 * RocksDB checkpoint of DIR/db (SST files hard-linked where the filesystem
 * allows, copied otherwise) plus a copy of the settings file, in a
 * directory named by its UTC time under the backup directory; a restore
 * copies one into a new data directory.
 *
 * Why a checkpoint is a consistent committed state, with loads running:
 *  - Everything the store knows lives in RocksDB (catalog, data, meta and
 *    dedup column families of one DB), so one checkpoint holds the catalog
 *    together with the blocks it describes.  pulsora.toml is the only state
 *    outside RocksDB; it is copied beside the checkpoint.
 *  - A checkpoint is the image of a prefix of the DB's write sequence: file
 *    deletions are held, memtables flushed, and the WAL is copied up to a
 *    point past the flush, so a store opened on it replays whole
 *    WriteBatches up to that point and none after (a crash-consistent image).
 *  - A load writes its in-flight marker ("L") before any block, each block
 *    in one WriteBatch with its journal entry ("J"), and commits in one
 *    catalog WriteBatch that removes marker and journal and updates counts
 *    and bounds (ps_commit.c).  So at the checkpoint's point a load has
 *    either committed (all of it is in) or still has its marker and journal
 *    (and whatever blocks it wrote so far).
 *  - Opening a store runs ps_rollback_recover (ps_rollback.c), which for
 *    every marker deletes the journaled blocks (or the whole table id, for
 *    a load that created its table), then the marker.  ps_backup_restore
 *    opens the restored store once, so the new data directory holds only
 *    whole committed loads, and catalog counts agree with the blocks.
 *
 * Invariants: a backup is complete exactly when its PS_BACKUP_MARKER file
 * exists (written last, by rename); listing, pruning and restore ignore or
 * refuse directories without it, so a backup cut short by a crash is never
 * mistaken for one.  Backups of one process run one at a time (a static
 * mutex), so pruning never races a backup being written.  Backup files are
 * never modified after the marker is written: a restore hard-links only the
 * immutable SST files and copies the rest, which RocksDB rewrites.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ps_store_int.h"

#define BACKUP_NAME_MAX 32
#define COPY_CHUNK (1 << 16)

static pthread_mutex_t backup_lock = PTHREAD_MUTEX_INITIALIZER;

static int64_t
wall_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t) ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static double
monotonic_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double) ts.tv_sec * 1e3 + (double) ts.tv_nsec / 1e6;
}

static ps_status
join_path(char *out, const char *dir, const char *name, ps_error *err)
{
	if (snprintf(out, PATH_MAX, "%s/%s", dir, name) >= PATH_MAX)
		return ps_error_set(err, PS_EINVAL, "path too long: %s/%s", dir, name);
	return PS_OK;
}

/* mkdir -p, mode 0700 for what it creates. */
static ps_status
make_dirs(const char *dir, ps_error *err)
{
	char		path[PATH_MAX];
	size_t		len = strlen(dir);

	if (len == 0 || len >= sizeof path)
		return ps_error_set(err, PS_EINVAL, "backup directory path \"%s\" is empty or too long", dir);
	memcpy(path, dir, len + 1);
	for (char *p = path + 1;; p++)
	{
		char		saved = *p;

		if (saved != '/' && saved != '\0')
			continue;
		*p = '\0';
		if (mkdir(path, 0700) != 0 && errno != EEXIST)
			return ps_error_set(err, PS_EIO, "cannot create directory %s: %s", path, strerror(errno));
		*p = saved;
		if (saved == '\0')
			break;
	}
	return PS_OK;
}

static ps_status
fsync_path(const char *path, ps_error *err)
{
	int			fd = open(path, O_RDONLY | O_CLOEXEC);
	int			rc;

	if (fd < 0)
		return ps_error_set(err, PS_EIO, "cannot open %s: %s", path, strerror(errno));
	rc = fsync(fd);
	close(fd);
	if (rc != 0)
		return ps_error_set(err, PS_EIO, "cannot fsync %s: %s", path, strerror(errno));
	return PS_OK;
}

/* Copy the regular file from to a new file to (which must not exist), fsynced. */
static ps_status
copy_file(const char *from, const char *to, ps_error *err)
{
	char	   *buf;
	int			in, out;
	ssize_t		n = 0;
	ps_status	rc = PS_OK;

	if ((in = open(from, O_RDONLY | O_CLOEXEC)) < 0)
		return ps_error_set(err, PS_EIO, "cannot open %s: %s", from, strerror(errno));
	if ((out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) < 0)
	{
		close(in);
		return ps_error_set(err, PS_EIO, "cannot create %s: %s", to, strerror(errno));
	}
	if (!(buf = malloc(COPY_CHUNK)))
		rc = ps_error_set(err, PS_ENOMEM, "out of memory");
	while (rc == PS_OK && (n = read(in, buf, COPY_CHUNK)) > 0)
		for (ssize_t done = 0; rc == PS_OK && done < n;)
		{
			ssize_t		w = write(out, buf + done, (size_t) (n - done));

			if (w < 0)
				rc = ps_error_set(err, PS_EIO, "cannot write %s: %s", to, strerror(errno));
			else
				done += w;
		}
	if (rc == PS_OK && n < 0)
		rc = ps_error_set(err, PS_EIO, "cannot read %s: %s", from, strerror(errno));
	if (rc == PS_OK && fsync(out) != 0)
		rc = ps_error_set(err, PS_EIO, "cannot fsync %s: %s", to, strerror(errno));
	free(buf);
	close(in);
	if (close(out) != 0 && rc == PS_OK)
		rc = ps_error_set(err, PS_EIO, "cannot write %s: %s", to, strerror(errno));
	return rc;
}

static int
remove_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void) sb;
	(void) flag;
	(void) ftw;
	return remove(path);
}

/* rm -rf path; errors are left to the caller's next step to notice. */
static void
remove_tree(const char *path)
{
	nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* ------------------------------------------------------------------ the marker file */

static ps_status
write_marker(const char *backup, const ps_backup_info *info, ps_error *err)
{
	char		path[PATH_MAX], tmp[PATH_MAX], text[256];
	int			len = snprintf(text, sizeof text, "pulsora backup 1\ncreated_ns %lld\nbytes %llu\nelapsed_ms %.3f\n",
							   (long long) info->created_ns, (unsigned long long) info->bytes,
							   info->elapsed_ms);
	int			fd;
	bool		ok;
	ps_status	rc;

	if ((rc = join_path(path, backup, PS_BACKUP_MARKER, err)) != PS_OK ||
		(rc = join_path(tmp, backup, PS_BACKUP_MARKER ".tmp", err)) != PS_OK)
		return rc;
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) < 0)
		return ps_error_set(err, PS_EIO, "cannot create %s: %s", tmp, strerror(errno));
	ok = write(fd, text, (size_t) len) == len && fsync(fd) == 0;
	ok = close(fd) == 0 && ok;
	if (!ok || rename(tmp, path) != 0)
		return ps_error_set(err, PS_EIO, "cannot write %s: %s", path, strerror(errno));
	return fsync_path(backup, err);
}

/* Fill info from backup's marker; PS_ENOTFOUND when it is not a complete backup. */
static ps_status
read_marker(const char *backup, ps_backup_info *info, ps_error *err)
{
	char		path[PATH_MAX];
	long long	created;
	unsigned long long bytes;
	double		elapsed;
	FILE	   *f;
	int			n;
	const char *base = strrchr(backup, '/');

	if (join_path(path, backup, PS_BACKUP_MARKER, err) != PS_OK)
		return err->code;
	if (!(f = fopen(path, "re")))
		return ps_error_set(err, PS_ENOTFOUND, "%s is not a complete Pulsora backup (no %s file)",
							backup, PS_BACKUP_MARKER);
	n = fscanf(f, "pulsora backup 1\ncreated_ns %lld\nbytes %llu\nelapsed_ms %lf", &created, &bytes,
			   &elapsed);
	fclose(f);
	if (n != 3)
		return ps_error_set(err, PS_ECORRUPT, "%s is malformed", path);
	memset(info, 0, sizeof *info);
	snprintf(info->name, sizeof info->name, "%s", base ? base + 1 : backup);
	snprintf(info->path, sizeof info->path, "%s", backup);
	info->created_ns = created;
	info->bytes = bytes;
	info->elapsed_ms = elapsed;
	return PS_OK;
}

/* ------------------------------------------------------------------ listing and pruning */

static int
info_cmp(const void *a, const void *b)
{
	return strverscmp(((const ps_backup_info *) a)->name, ((const ps_backup_info *) b)->name);
}

ps_status
ps_backup_list(const char *parent, ps_backup_info **out, size_t *n, ps_error *err)
{
	DIR		   *d = opendir(parent);
	struct dirent *e;
	ps_backup_info *arr = NULL;
	size_t		k = 0, cap = 0;
	ps_status	rc = PS_OK;

	*out = NULL;
	*n = 0;
	if (!d)
		return errno == ENOENT ? PS_OK
			: ps_error_set(err, PS_EIO, "cannot read backup directory %s: %s", parent, strerror(errno));
	while (rc == PS_OK && (e = readdir(d)) != NULL)
	{
		char		path[PATH_MAX];
		ps_backup_info info;
		ps_error	ignored;

		/* Names start with the year: this skips ".", "..", and anything else dotted. */
		if (e->d_name[0] == '.' || join_path(path, parent, e->d_name, &ignored) != PS_OK ||
			read_marker(path, &info, &ignored) != PS_OK)
			continue;
		if (k == cap)
		{
			ps_backup_info *grown = realloc(arr, (cap = cap ? 2 * cap : 8) * sizeof *arr);

			if (!grown)
			{
				rc = ps_error_set(err, PS_ENOMEM, "out of memory");
				break;
			}
			arr = grown;
		}
		arr[k++] = info;
	}
	closedir(d);
	if (rc != PS_OK)
	{
		free(arr);
		return rc;
	}
	if (k > 0)
		qsort(arr, k, sizeof *arr, info_cmp);
	*out = arr;
	*n = k;
	return PS_OK;
}

/* Remove the oldest complete backups of parent beyond the newest keep. */
static ps_status
prune(const char *parent, uint32_t keep, ps_error *err)
{
	ps_backup_info *all;
	size_t		n;
	ps_status	rc = ps_backup_list(parent, &all, &n, err);

	if (rc != PS_OK)
		return rc;
	for (size_t i = 0; i + keep < n; i++)
	{
		char		marker[PATH_MAX];

		/* The marker goes first, so a prune cut short leaves no half backup listed. */
		if (join_path(marker, all[i].path, PS_BACKUP_MARKER, err) == PS_OK && unlink(marker) == 0)
			remove_tree(all[i].path);
	}
	free(all);
	return PS_OK;
}

/* ------------------------------------------------------------------ backup */

/* Create parent/<UTC time>[-N] and put its path in out. */
static ps_status
reserve_name(const char *parent, int64_t now_ns, char *out, ps_error *err)
{
	char		stamp[BACKUP_NAME_MAX], name[BACKUP_NAME_MAX + 8];
	time_t		secs = (time_t) (now_ns / 1000000000);
	struct tm	tm;
	ps_status	rc;

	gmtime_r(&secs, &tm);
	strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm);
	for (int i = 1; i < 1000; i++)
	{
		if (i == 1)
			snprintf(name, sizeof name, "%s", stamp);
		else
			snprintf(name, sizeof name, "%s-%d", stamp, i);
		if ((rc = join_path(out, parent, name, err)) != PS_OK)
			return rc;
		if (mkdir(out, 0700) == 0)
			return PS_OK;
		if (errno != EEXIST)
			return ps_error_set(err, PS_EIO, "cannot create backup directory %s: %s", out,
								strerror(errno));
	}
	return ps_error_set(err, PS_EBUSY, "more than 999 backups named %s in %s", stamp, parent);
}

static ps_status
checkpoint(ps_store *st, const char *to, ps_error *err)
{
	char	   *rerr = NULL;
	rocksdb_checkpoint_t *cp = rocksdb_checkpoint_object_create(st->db, &rerr);

	if (rerr)
		return ps_rocks_error(err, rerr, "cannot start a checkpoint");
	/* log_size_for_flush 0: flush memtables first, so the WAL copied stays short. */
	rocksdb_checkpoint_create(cp, to, 0, &rerr);
	rocksdb_checkpoint_object_destroy(cp);
	return rerr ? ps_rocks_error(err, rerr, "cannot write a checkpoint") : PS_OK;
}

ps_status
ps_store_backup(ps_store *st, const ps_backup_spec *spec, ps_backup_info *out, ps_error *err)
{
	char		path[PATH_MAX], db[PATH_MAX], toml[PATH_MAX];
	double		t0 = monotonic_ms();
	ps_status	rc;

	memset(out, 0, sizeof *out);
	pthread_mutex_lock(&backup_lock);
	out->created_ns = wall_ns();
	if ((rc = make_dirs(spec->parent, err)) != PS_OK ||
		(rc = reserve_name(spec->parent, out->created_ns, path, err)) != PS_OK)
	{
		pthread_mutex_unlock(&backup_lock);
		return rc;
	}
	if ((rc = join_path(db, path, "db", err)) == PS_OK &&
		(rc = checkpoint(st, db, err)) == PS_OK && spec->config_path != NULL &&
		access(spec->config_path, F_OK) == 0 &&
		(rc = join_path(toml, path, PS_BACKUP_CONFIG_NAME, err)) == PS_OK)
		rc = copy_file(spec->config_path, toml, err);
	if (rc == PS_OK)
	{
		const char *base = strrchr(path, '/');

		snprintf(out->name, sizeof out->name, "%s", base + 1);
		snprintf(out->path, sizeof out->path, "%s", path);
		out->bytes = ps_dir_bytes(path, 2, true);	/* a backup is two levels deep */
		out->elapsed_ms = monotonic_ms() - t0;
		rc = write_marker(path, out, err);
	}
	if (rc != PS_OK)
		remove_tree(path);
	else if (spec->keep > 0)
		rc = prune(spec->parent, spec->keep, err);
	pthread_mutex_unlock(&backup_lock);
	return rc;
}

/* ------------------------------------------------------------------ restore */

static bool
is_sst(const char *name)
{
	size_t		len = strlen(name);

	return len > 4 && strcmp(name + len - 4, ".sst") == 0;
}

/* Copy backup/db into newdir/db: immutable SST files hard-linked if possible. */
static ps_status
restore_db(const char *from, const char *to, ps_error *err)
{
	DIR		   *d;
	struct dirent *e;
	ps_status	rc = PS_OK;

	if (mkdir(to, 0700) != 0)
		return ps_error_set(err, PS_EIO, "cannot create %s: %s", to, strerror(errno));
	if (!(d = opendir(from)))
		return ps_error_set(err, PS_EIO, "cannot read %s: %s", from, strerror(errno));
	while (rc == PS_OK && (e = readdir(d)) != NULL)
	{
		char		src[PATH_MAX], dst[PATH_MAX];
		struct stat sb;

		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if ((rc = join_path(src, from, e->d_name, err)) != PS_OK ||
			(rc = join_path(dst, to, e->d_name, err)) != PS_OK)
			break;
		if (lstat(src, &sb) != 0 || !S_ISREG(sb.st_mode))
			rc = ps_error_set(err, PS_ECORRUPT, "%s is not a regular file", src);
		else if (!is_sst(e->d_name) || link(src, dst) != 0)
			rc = copy_file(src, dst, err);
	}
	closedir(d);
	return rc == PS_OK ? fsync_path(to, err) : rc;
}

/* newdir must be an empty directory or absent (then created); *created tells which. */
static ps_status
prepare_target(const char *newdir, bool *created, ps_error *err)
{
	DIR		   *d = opendir(newdir);
	struct dirent *e;
	ps_status	rc;

	*created = false;
	if (!d)
	{
		if (errno != ENOENT)
			return ps_error_set(err, PS_EINVAL, "cannot use %s as the new data directory: %s", newdir,
								strerror(errno));
		if ((rc = make_dirs(newdir, err)) != PS_OK)
			return rc;
		*created = true;
		return PS_OK;
	}
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
		{
			closedir(d);
			return ps_error_set(err, PS_EEXISTS, "%s is not empty: restore into an empty or absent directory",
								newdir);
		}
	closedir(d);
	return PS_OK;
}

ps_status
ps_backup_restore(const char *backup, const char *newdir, ps_error *err)
{
	char		from[PATH_MAX], to[PATH_MAX], toml_from[PATH_MAX], toml_to[PATH_MAX];
	ps_backup_info info;
	ps_store   *st = NULL;
	bool		created;
	ps_status	rc;

	if ((rc = read_marker(backup, &info, err)) != PS_OK)
		return rc;
	if ((rc = join_path(from, backup, "db", err)) != PS_OK ||
		(rc = join_path(to, newdir, "db", err)) != PS_OK ||
		(rc = join_path(toml_from, backup, PS_BACKUP_CONFIG_NAME, err)) != PS_OK ||
		(rc = join_path(toml_to, newdir, PS_BACKUP_CONFIG_NAME, err)) != PS_OK ||
		(rc = prepare_target(newdir, &created, err)) != PS_OK)
		return rc;
	rc = restore_db(from, to, err);
	if (rc == PS_OK && access(toml_from, F_OK) == 0)
		rc = copy_file(toml_from, toml_to, err);
	/* Opening runs crash recovery: loads in flight at the checkpoint go now. */
	if (rc == PS_OK && (rc = ps_store_open(newdir, NULL, &st, err)) == PS_OK)
		ps_store_close(st);
	if (rc == PS_OK)
		rc = fsync_path(newdir, err);
	if (rc != PS_OK)
	{
		/* Leave newdir as it was found: empty, or absent. */
		remove_tree(to);
		unlink(toml_to);
		if (created)
			rmdir(newdir);
	}
	return rc;
}
