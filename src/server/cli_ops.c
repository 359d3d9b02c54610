/*
 * cli_ops.c — pulsora-cli's load and operations commands:
 *
 *   pulsora-cli -D DIR load TABLE FILE|- [--opt key=value ...]
 *                                    [--progress-every SECONDS] [--no-progress]
 *   pulsora-cli -D DIR backup        take an online backup; prints its path
 *   pulsora-cli -D DIR backups       the backups, as CSV
 *   pulsora-cli -D DIR loads         the loads in progress on the owner, as CSV
 *
 * A load streams the file to the owner in chunks and shows its progress on
 * stderr: on a terminal a line redrawn in place (a bar, percent and ETA
 * when the file's size is known; rows, MB and rate), otherwise a plain line every
 * --progress-every seconds (default 10; 0 = after every chunk).  The rows
 * are the owner's count as of its last answer, a chunk behind the bytes.
 *
 * Invariants: progress goes to stderr only, so stdout stays the command's
 * answer (the load's summary line, the CSV of the lists).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli_int.h"

#define READ_CHUNK (256 * 1024)
#define BAR_REDRAW_S 0.2		/* a terminal line is redrawn at most this often */
#define BAR_WIDTH 24			/* characters of the bar, for a file of known size */

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

/* What a load shows while it runs. */
typedef struct progress_view {
	bool		tty;			/* stderr is a terminal: redraw one line */
	bool		off;
	double		every_s;		/* between two lines (terminal: BAR_REDRAW_S) */
	double		started, last;
	uint64_t	total;			/* the file's size; 0 = unknown (a pipe) */
	bool		drawn;			/* a terminal line is showing */
} progress_view;

static void
format_duration(double s, char *out, size_t len)
{
	long		secs = s < 0 ? 0 : (long) (s + 0.5);

	if (secs >= 3600)
		snprintf(out, len, "%ldh%02ldm", secs / 3600, secs / 60 % 60);
	else
		snprintf(out, len, "%ldm%02lds", secs / 60, secs % 60);
}

static void
progress_show(progress_view *v, const ps_client_load *l, uint64_t sent, bool force)
{
	double		t = now_s(), elapsed = t - v->started;
	uint64_t	rows, owner_bytes;
	char		line[256], eta[32] = "";
	int			n;

	if (v->off || (!force && t - v->last < v->every_s))
		return;
	v->last = t;
	ps_client_load_progress(l, &rows, &owner_bytes);
	if (v->total > 0 && sent > 0 && elapsed > 0 && sent < v->total)
	{
		format_duration((double) (v->total - sent) * elapsed / (double) sent, eta, sizeof eta);
		n = snprintf(line, sizeof line, "%" PRIu64 " rows, %.1f of %.1f MB (%.0f%%), %.1f MB/s, "
					 "%.0f rows/s, ETA %s", rows, sent / 1e6, v->total / 1e6,
					 100.0 * (double) sent / (double) v->total, sent / 1e6 / elapsed,
					 rows / elapsed, eta);
	}
	else
		n = snprintf(line, sizeof line, "%" PRIu64 " rows, %.1f MB, %.1f MB/s, %.0f rows/s",
					 rows, sent / 1e6, elapsed > 0 ? sent / 1e6 / elapsed : 0.0,
					 elapsed > 0 ? rows / elapsed : 0.0);
	(void) n;
	if (v->tty)
	{
		char		bar[BAR_WIDTH + 1];
		int			filled = v->total > 0 ? (int) ((double) BAR_WIDTH * (double) sent /
												   (double) v->total) : 0;

		memset(bar, '#', BAR_WIDTH);
		memset(bar + (filled < BAR_WIDTH ? filled : BAR_WIDTH), '.',
			   (size_t) (BAR_WIDTH - (filled < BAR_WIDTH ? filled : BAR_WIDTH)));
		bar[BAR_WIDTH] = '\0';
		/* \033[K clears what a longer earlier line left. */
		if (v->total > 0)
			fprintf(stderr, "\r[%s] %s\033[K", bar, line);
		else
			fprintf(stderr, "\r%s\033[K", line);
		v->drawn = true;
	}
	else
		fprintf(stderr, "progress: %s\n", line);
	fflush(stderr);
}

/* Stream the file into an open CSV load; false (with err set) on failure. */
static bool
send_csv(ps_client_load *l, FILE *in, const char *path, progress_view *v, ps_error *err)
{
	char	   *chunk = malloc(READ_CHUNK);
	size_t		got;
	uint64_t	sent = 0;
	bool		ok = chunk != NULL;

	if (chunk == NULL)
		ps_error_set(err, PS_ENOMEM, "out of memory");
	while (ok && (got = fread(chunk, 1, READ_CHUNK, in)) > 0)
	{
		ok = ps_client_load_csv_data(l, chunk, got, err) == PS_OK;
		sent += got;
		if (ok)
			progress_show(v, l, sent, false);
	}
	if (ok && ferror(in))
	{
		ps_error_set(err, PS_EIO, "reading %s: %s", path, strerror(errno));
		ok = false;
	}
	free(chunk);
	return ok;
}

int
cli_load(ps_client *c, const char *table, const char *path, const char **keys,
		 const char **values, uint32_t nopts, const cli_progress *opts)
{
	FILE	   *in = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	progress_view v;
	struct stat sb;
	ps_client_load *l;
	ps_client_load_result res;
	ps_error	err;
	int			rc = 0;

	if (in == NULL)
	{
		ps_error_set(&err, PS_EIO, "cannot open %s: %s", path, strerror(errno));
		return fail(&err);
	}
	memset(&v, 0, sizeof v);
	v.off = opts->off;
	v.tty = isatty(STDERR_FILENO) == 1;
	v.every_s = v.tty ? BAR_REDRAW_S : opts->every_s;
	v.started = v.last = now_s();
	if (fstat(fileno(in), &sb) == 0 && S_ISREG(sb.st_mode))
		v.total = (uint64_t) sb.st_size;
	ps_client_set_load_source(c, "cli");
	if (ps_client_load_csv_begin(c, table, keys, values, nopts, &l, &err) != PS_OK)
		rc = fail(&err);
	else if (!send_csv(l, in, path, &v, &err) || ps_client_load_finish(l, &res, &err) != PS_OK)
	{
		ps_client_load_abort(l);
		if (v.drawn)
			fputc('\n', stderr);
		rc = fail(&err);
	}
	else
	{
		/* On a terminal the line ends with the owner's final figures. */
		if (v.tty)
			progress_show(&v, l, v.total, true);
		if (v.drawn)
			fputc('\n', stderr);
		/* Rows skipped with on_error=skip: report them, keep the rest. */
		for (size_t i = 0; i < res.nerrors; i++)
			fail(&res.errors[i]);
		if (ps_client_load_commit(&l, 1, &err) != PS_OK)
			rc = fail(&err);
		else
			printf("rows_loaded=%" PRIu64 " rows_rejected=%" PRIu64 "\n",
				   res.rows_loaded, res.rows_rejected);
		ps_client_load_result_free(&res);
	}
	if (in != stdin)
		fclose(in);
	return rc;
}

int
cli_backup(ps_client *c)
{
	ps_msg_backup b;
	ps_error	err;

	if (ps_client_backup(c, &b, &err) != PS_OK)
		return fail(&err);
	printf("%s\n", b.path);
	ps_msg_backup_clear(&b);
	return 0;
}

int
cli_backups(ps_client *c)
{
	ps_msg_backup_list list;
	ps_error	err;

	if (ps_client_backups(c, &list, &err) != PS_OK)
		return fail(&err);
	printf("name,path,bytes,created,elapsed_ms\n");
	for (uint32_t i = 0; i < list.n; i++)
	{
		const ps_msg_backup *b = &list.backups[i];

		cli_put_csv_cstr(b->name);
		putchar(',');
		cli_put_csv_cstr(b->path);
		printf(",%" PRIu64 ",", b->bytes);
		cli_put_iso(b->created_ns);
		putchar(',');
		/* Unknown (a backup from before durations were kept): an empty field. */
		if (b->elapsed_us > 0)
			cli_put_float((double) b->elapsed_us / 1000.0);
		putchar('\n');
	}
	ps_msg_backup_list_clear(&list);
	return 0;
}

int
cli_loads(ps_client *c)
{
	ps_msg_load_list list;
	ps_error	err;

	if (ps_client_loads(c, &list, &err) != PS_OK)
		return fail(&err);
	printf("id,table,source,rows,bytes,started,rows_per_second\n");
	for (uint32_t i = 0; i < list.n; i++)
	{
		const ps_msg_load_entry *l = &list.loads[i];

		printf("%" PRIu64 ",", l->id);
		cli_put_csv_cstr(l->table);
		putchar(',');
		cli_put_csv_cstr(l->source);
		printf(",%" PRIu64 ",%" PRIu64 ",", l->rows, l->bytes);
		cli_put_iso(l->started_ns);
		printf(",%" PRIu64 "\n", l->rows_per_second);
	}
	ps_msg_load_list_clear(&list);
	return 0;
}
