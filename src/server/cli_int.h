/*
 * cli_int.h — what pulsora-cli's modules share: cli_main.c (options,
 * the catalog and query commands, CSV output), cli_groups.c (the aggregate
 * and latest commands, which mirror REST's GET /tables/{t}/aggregate and
 * /latest) and cli_ops.c (load with its progress, backup, backups, loads).
 * and cli_connect.c (which owner: -D DIR or --host/--port with a token and
 * TLS).  Not a public header.
 *
 * Every option of the command line lands in one query_args (strings
 * borrowed from argv); each command takes the options it documents, and
 * main refuses the others (cli_misplaced_option).
 */
#ifndef CLI_INT_H
#define CLI_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "core/ps_error.h"
#include "proto/ps_client.h"
#include "proto/ps_frame.h"

/* One --series COL=VALUE argument, split at the first '='. */
typedef struct series_arg {
	const char *column;
	const char *value;
} series_arg;

typedef struct query_args {
	const char *table;
	const char *start, *end;
	bool		desc;
	uint64_t	limit, offset;
	char	   *columns;
	series_arg *series;			/* argc entries at most */
	uint32_t	nseries;
	/* aggregate and latest (REST's parameters of the same names) */
	const char *bucket, *by, *fields, *format;
} query_args;

/* The owner to talk to (cli_connect.c); strings borrowed from argv or the environment. */
typedef struct cli_target {
	const char *dir;			/* -D DIR, or NULL */
	ps_client_remote remote;	/* --host (NULL: none), --port, --token, --tls, --tls-ca */
	bool		tls_given;
} cli_target;

/*
 * If argv[*i] is an option of the target (-D, --data-dir, --host, --port,
 * --token, --tls, --tls-ca): take it and its value (advancing *i) into t
 * and return 1; -1 when its value is missing or bad (*bad: the option); 0
 * when it is another option.
 */
int			cli_target_option(int argc, char **argv, int *i, cli_target *t, const char **bad);
/*
 * Once every option is read: NULL when t names one owner (filling in the
 * TLS default and the token from PULSORA_AUTH_TOKEN), else what is wrong.
 */
const char *cli_target_check(cli_target *t);
/* Connect to t's owner. */
ps_status	cli_connect(const cli_target *t, ps_client **c, ps_error *err);

/* Report err on stderr; returns 1 (a failed command's exit status). */
int			fail(const ps_error *err);

/* CSV output on stdout (cli_main.c): an ISO-8601 UTC time, a text field, a float. */
void		cli_put_iso(int64_t ns);
void		cli_put_csv_cstr(const char *s);
void		cli_put_float(double f);

/* How `load` shows its progress (--no-progress, --progress-every). */
typedef struct cli_progress {
	bool		off;
	double		every_s;		/* between plain lines when stderr is no terminal */
} cli_progress;

/* cli_ops.c: the commands' exit statuses. */
int			cli_load(ps_client *c, const char *table, const char *path, const char **keys,
					 const char **values, uint32_t nopts, const cli_progress *progress);
int			cli_backup(ps_client *c);
int			cli_backups(ps_client *c);
int			cli_loads(ps_client *c);

/*
 * q's --series arguments as one filter per column, typed by the table's
 * columns cols[0..ncols), into filters (room for PS_FRAME_MAX_FILTERS);
 * *values (malloc'd, freed by the caller) holds their values.  Nonzero,
 * with a message on stderr, when one is bad.
 */
int			build_filters(const query_args *q, const ps_client_column *cols, size_t ncols,
						  ps_filter_spec *filters, uint32_t *nfilters, ps_value **values);

/* The first option given that cmd does not take ("--bucket"), or NULL. */
const char *cli_misplaced_option(const char *cmd, const query_args *q);

/* pulsora-cli aggregate TABLE ... and latest TABLE ...: the exit status. */
int			cli_aggregate(ps_client *c, const query_args *q);
int			cli_latest(ps_client *c, const query_args *q);

#endif
