/*
 * owner.c — starting pulsorad for a data directory nobody owns yet
 * (server option autostart, DESIGN §1).
 *
 * The owner must outlive any backend and any crash-restart of the cluster,
 * so it must not be a postmaster child: the backend forks, the child calls
 * setsid and forks again, and the grandchild — orphaned, in a new session,
 * with every inherited descriptor closed and default signal handling — execs
 * PostgreSQL's bindir/pulsorad with --postmaster-pid, so the owner stops by
 * itself once the postmaster is gone.  The backend then waits, interruptibly,
 * until the socket accepts a connection: as long as the owner process lives
 * (it writes its pid file before it opens the store, and crash recovery of
 * a large store takes a while), at most PULSORA_START_TIMEOUT_MS, which
 * query cancel and statement_timeout cut short.
 *
 * Races: backends of one cluster take turns through an advisory lock keyed
 * by the data directory, so only the first starts pulsorad.  Should two
 * clusters still race, the loser's pulsorad fails on the RocksDB lock and
 * exits, and its backend keeps waiting as long as the data directory's pid
 * file names a live process, then connects to the winner.
 * Between fork and exec the children call only async-signal-safe functions
 * and leave with _exit, so none of PostgreSQL's exit machinery runs twice.
 * The grandchild reports its pid and, if exec fails, the errno (as does the
 * intermediate child if setsid or fork fails) through a close-on-exec pipe;
 * its stdout/stderr go to a second pipe that catches whatever pulsorad
 * prints before it redirects itself to DIR/pulsorad.log.
 */
#include "postgres.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/hashfn.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "storage/lock.h"
#include "storage/latch.h"
#include "utils/wait_event.h"

#include "pulsora_fdw.h"

#define PULSORA_START_TIMEOUT_MS 120000
#define PULSORA_START_POLL_MS 20
#define PULSORA_OUTPUT_MAX 1024
/* locktag_field4 of the advisory lock serialising autostarts ("PS"). */
#define PULSORA_AUTOSTART_LOCK 0x5053

typedef struct StartedOwner
{
	pid_t		pid;			/* the pulsorad process, or -1 */
	int			output_fd;		/* read end of its early stdout/stderr, or -1 */
	char		output[PULSORA_OUTPUT_MAX];
	size_t		output_len;
} StartedOwner;

/*
 * Messages on the report pipe: each is written with one write() of less than
 * PIPE_BUF bytes, so they never interleave.
 */
typedef struct StartReport
{
	int32		kind;			/* REPORT_PID or REPORT_ERRNO */
	int32		value;
} StartReport;

#define REPORT_PID 1
#define REPORT_ERRNO 2

/* In a child: report errno on the pipe and leave. */
static void
child_fail(int report_fd, int code)
{
	StartReport r = {REPORT_ERRNO, code};

	if (write(report_fd, &r, sizeof r) < 0)
		_exit(126);
	_exit(127);
}

/*
 * Runs in the grandchild, between fork and exec: only async-signal-safe
 * calls.  report_fd: write end of the report pipe (close-on-exec);
 * output_fd: write end of the output pipe, to become stdout and stderr.
 */
static void
exec_owner(char *const argv[], int report_fd, int output_fd)
{
	sigset_t	none;
	int			devnull;
	StartReport r = {REPORT_PID, (int32) getpid()};

	if (write(report_fd, &r, sizeof r) != sizeof r)
		_exit(126);

	/* Default dispositions and an empty mask: PostgreSQL blocks and ignores some. */
	for (int sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			signal(sig, SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);

	devnull = open("/dev/null", O_RDONLY);
	if (devnull < 0 || dup2(devnull, STDIN_FILENO) < 0 ||
		dup2(output_fd, STDOUT_FILENO) < 0 || dup2(output_fd, STDERR_FILENO) < 0)
		child_fail(report_fd, errno);
	/* Keep 0-2 and the report pipe; close everything else PostgreSQL had open. */
	for (int fd = STDERR_FILENO + 1; fd < report_fd; fd++)
		close(fd);
	if (close_range((unsigned) report_fd + 1, ~0U, 0) != 0)
		child_fail(report_fd, errno);
	if (chdir("/") != 0)
		child_fail(report_fd, errno);

	execv(argv[0], argv);
	child_fail(report_fd, errno);
}

/* Read whatever the starting owner printed so far (non-blocking). */
static void
collect_output(StartedOwner *o)
{
	while (o->output_fd >= 0)
	{
		char		buf[256];
		ssize_t		n = read(o->output_fd, buf, sizeof buf);

		if (n > 0)
		{
			size_t		room = sizeof o->output - 1 - o->output_len;
			size_t		take = Min((size_t) n, room);

			memcpy(o->output + o->output_len, buf, take);
			o->output_len += take;
			o->output[o->output_len] = '\0';
			continue;
		}
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		close(o->output_fd);	/* EOF: pulsorad redirected itself or exited */
		o->output_fd = -1;
	}
}

static void
spawn_owner(char *const argv[], StartedOwner *o)
{
	int			report[2];
	int			output[2];
	pid_t		child;
	pid_t		pid = -1;
	int			exec_errno = 0;
	int			status;

	o->pid = -1;
	o->output_fd = -1;
	o->output_len = 0;
	o->output[0] = '\0';

	if (pipe2(report, O_CLOEXEC) != 0)
		ereport(ERROR, (errcode_for_file_access(), errmsg("could not create pipe: %m")));
	if (pipe2(output, O_CLOEXEC) != 0)
	{
		close(report[0]);
		close(report[1]);
		ereport(ERROR, (errcode_for_file_access(), errmsg("could not create pipe: %m")));
	}

	fflush(NULL);
	child = fork();
	if (child == 0)
	{
		pid_t		grandchild;

		close(report[0]);
		close(output[0]);
		if (setsid() < 0)
			child_fail(report[1], errno);
		grandchild = fork();
		if (grandchild < 0)
			child_fail(report[1], errno);
		if (grandchild == 0)
		{
			/* output[1] must survive exec: it becomes stdout/stderr via dup2. */
			exec_owner(argv, report[1], output[1]);
		}
		_exit(0);
	}
	close(report[1]);
	close(output[1]);
	if (child < 0)
	{
		int			save_errno = errno;

		close(report[0]);
		close(output[0]);
		errno = save_errno;
		ereport(ERROR, (errcode(ERRCODE_SYSTEM_ERROR), errmsg("could not fork: %m")));
	}

	/* The intermediate child exits at once; reap it. */
	while (waitpid(child, &status, 0) < 0 && errno == EINTR)
		;

	/* Read reports until EOF: every write end is closed once pulsorad is exec'd. */
	for (;;)
	{
		StartReport r;
		ssize_t		n = read(report[0], &r, sizeof r);

		if (n < 0 && errno == EINTR)
			continue;
		if (n != sizeof r)
			break;
		if (r.kind == REPORT_PID)
			pid = (pid_t) r.value;
		else
			exec_errno = r.value;
	}
	close(report[0]);

	if (exec_errno != 0 || pid <= 0)
	{
		close(output[0]);
		errno = exec_errno;
		if (exec_errno == 0)
			ereport(ERROR,
					(errcode(ERRCODE_SYSTEM_ERROR),
					 errmsg("could not start \"%s\": the forked process failed", argv[0])));
		ereport(ERROR,
				(errcode(ERRCODE_SYSTEM_ERROR),
				 errmsg("could not execute \"%s\": %m", argv[0])));
	}
	o->pid = pid;
	o->output_fd = output[0];
	if (fcntl(o->output_fd, F_SETFL, O_NONBLOCK) != 0)
	{
		close(o->output_fd);
		o->output_fd = -1;
	}
}

/* True while pid runs (a zombie awaiting its reaper counts as gone). */
static bool
process_alive(pid_t pid)
{
	char		path[64];
	char		stat[256];
	int			fd;
	ssize_t		n;
	char	   *close_paren;

	if (pid <= 0 || (kill(pid, 0) != 0 && errno == ESRCH))
		return false;
	snprintf(path, sizeof path, "/proc/%d/stat", (int) pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return true;
	n = read(fd, stat, sizeof stat - 1);
	close(fd);
	if (n <= 0)
		return true;
	stat[n] = '\0';
	close_paren = strrchr(stat, ')');
	return !(close_paren && close_paren[1] == ' ' && close_paren[2] == 'Z');
}

/* Pid named by DIR/pulsorad.pid, or -1. */
static pid_t
pid_file_owner(const char *data_dir)
{
	char		path[MAXPGPATH];
	char		text[32];
	int			fd;
	ssize_t		n;

	snprintf(path, sizeof path, "%s/%s", data_dir, PS_PID_NAME);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, text, sizeof text - 1);
	close(fd);
	if (n <= 0)
		return -1;
	text[n] = '\0';
	return (pid_t) strtol(text, NULL, 10);
}

/* Last non-empty line of the owner's log, palloc'd, or NULL. */
static char *
log_tail(const char *log_path)
{
	char		buf[PULSORA_OUTPUT_MAX];
	int			fd = open(log_path, O_RDONLY | O_CLOEXEC);
	off_t		size;
	ssize_t		n;
	char	   *end;
	char	   *start;

	if (fd < 0)
		return NULL;
	size = lseek(fd, 0, SEEK_END);
	if (size < 0 || lseek(fd, size > (off_t) sizeof buf - 1 ? size - (off_t) (sizeof buf - 1) : 0, SEEK_SET) < 0)
	{
		close(fd);
		return NULL;
	}
	n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return NULL;
	buf[n] = '\0';
	end = buf + n;
	while (end > buf && (end[-1] == '\n' || end[-1] == '\r'))
		*--end = '\0';
	start = strrchr(buf, '\n');
	start = start ? start + 1 : buf;
	return *start ? pstrdup(start) : NULL;
}

static void
report_start_failure(const char *data_dir, const char *log_path, const StartedOwner *o,
					 const char *cause)
{
	char	   *detail = o->output_len > 0 ? pstrdup(o->output) : log_tail(log_path);

	if (detail)
	{
		size_t		len = strlen(detail);

		while (len > 0 && (detail[len - 1] == '\n' || detail[len - 1] == '\r'))
			detail[--len] = '\0';
	}
	/*
	 * An owner refusing a store of an older format names the command that
	 * converts it (src/server/main.c): that is not a connection failure, and
	 * clients that branch on the SQLSTATE should see the state error a
	 * direct connection gets (PS_EFORMAT).
	 */
	if (detail && strstr(detail, "pulsorad --upgrade") != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("could not start pulsorad for data directory \"%s\": the store needs an upgrade",
						data_dir),
				 errdetail("pulsorad said: %s", detail),
				 errhint("See \"%s\".", log_path)));
	ereport(ERROR,
			(errcode(ERRCODE_CONNECTION_FAILURE),
			 errmsg("could not start pulsorad for data directory \"%s\": %s", data_dir, cause),
			 detail ? errdetail("pulsorad said: %s", detail) : 0,
			 errhint("See \"%s\".", log_path)));
}

static void
start_and_wait(const char *data_dir, ps_client_wait_check check, ps_client **client)
{
	char		bindir[MAXPGPATH];
	char		exe[MAXPGPATH];
	char		log_path[MAXPGPATH];
	char		postmaster_pid[32];
	char	   *argv[8];
	StartedOwner owner;
	ps_error	err;
	ps_status	st;
	int			waited_ms = 0;
	struct stat st_dir;

	/* Another backend may have started it while we waited for the lock. */
	if (ps_client_connect_wait(data_dir, check, NULL, client, &err) == PS_OK)
		return;

	/* pulsorad is installed next to the postgres executable. */
	strlcpy(bindir, my_exec_path, sizeof bindir);
	get_parent_directory(bindir);
	snprintf(exe, sizeof exe, "%s/pulsorad", bindir);
	if (access(exe, X_OK) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_FILE),
				 errmsg("could not start pulsorad for data directory \"%s\": \"%s\" is not executable: %m",
						data_dir, exe),
				 errhint("Install pulsorad into PostgreSQL's bindir, or start \"pulsorad -D %s\" yourself.",
						 data_dir)));
	/* The log goes inside the directory, so it must exist before pulsorad opens it. */
	if (stat(data_dir, &st_dir) != 0 && pg_mkdir_p(pstrdup(data_dir), S_IRWXU) != 0)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not create data directory \"%s\": %m", data_dir)));
	snprintf(log_path, sizeof log_path, "%s/pulsorad.log", data_dir);
	snprintf(postmaster_pid, sizeof postmaster_pid, "%d", (int) PostmasterPid);

	argv[0] = exe;
	argv[1] = "-D";
	argv[2] = unconstify(char *, data_dir);
	argv[3] = "--postmaster-pid";
	argv[4] = postmaster_pid;
	argv[5] = "--log-file";
	argv[6] = log_path;
	argv[7] = NULL;
	spawn_owner(argv, &owner);

	PG_TRY();
	{
		for (;;)
		{
			st = ps_client_connect_wait(data_dir, check, NULL, client, &err);
			if (st == PS_OK)
				break;
			collect_output(&owner);
			if (st != PS_ECONN)
				report_start_failure(data_dir, log_path, &owner, err.message);
			if (!process_alive(owner.pid))
			{
				/*
				 * Lost a race, or an owner was already starting (recovering)?
				 * Then its pid file names a live process: wait for it.
				 */
				pid_t		winner = pid_file_owner(data_dir);

				if (winner <= 0 || winner == owner.pid || !process_alive(winner))
				{
					/* One last try: the winner may just have finished starting. */
					st = ps_client_connect_wait(data_dir, check, NULL, client, &err);
					if (st == PS_OK)
						break;
					report_start_failure(data_dir, log_path, &owner, "pulsorad exited");
				}
			}
			if (waited_ms >= PULSORA_START_TIMEOUT_MS)
				report_start_failure(data_dir, log_path, &owner,
									 psprintf("pulsorad did not accept connections within %d s",
											  PULSORA_START_TIMEOUT_MS / 1000));
			(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
							 PULSORA_START_POLL_MS, PG_WAIT_EXTENSION);
			ResetLatch(MyLatch);
			CHECK_FOR_INTERRUPTS();
			waited_ms += PULSORA_START_POLL_MS;
		}
	}
	PG_FINALLY();
	{
		if (owner.output_fd >= 0)
			close(owner.output_fd);
	}
	PG_END_TRY();
}

void
pulsora_owner_start(const char *data_dir, ps_client_wait_check check, ps_client **client)
{
	uint64		h = hash_bytes_extended((const unsigned char *) data_dir, (int) strlen(data_dir), 0);
	LOCKTAG		tag;

	/*
	 * Backends of this cluster take turns: the first starts the owner, the
	 * others then find it running.  (A session lock, released by hand, so a
	 * long transaction of the starter does not hold the others up.)
	 */
	SET_LOCKTAG_ADVISORY(tag, InvalidOid, (uint32) (h >> 32), (uint32) h, PULSORA_AUTOSTART_LOCK);
	(void) LockAcquire(&tag, ExclusiveLock, true, false);
	PG_TRY();
	{
		start_and_wait(data_dir, check, client);
	}
	PG_FINALLY();
	{
		LockRelease(&tag, ExclusiveLock, true);
	}
	PG_END_TRY();
}
