/*
 * owner_proc.h — a real pulsorad for the protocol tests (test_proto.c,
 * test_proto_ops.c, test_remote.c): the binary next to the test's directory
 * (BUILD/pulsorad), started as a child on a fresh temporary data directory
 * with a settings file and flags of the test's choosing (owner_start), or
 * as the group setup (start_owner), killed and removed as the group
 * teardown, and the helpers every such test uses.
 *
 * Include after cmocka.h: failures are cmocka assertions.  Nothing depends
 * on timing: waits poll for a state with a generous bound (WAIT_LIMIT_MS).
 */
#ifndef OWNER_PROC_H
#define OWNER_PROC_H

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "proto/ps_client.h"

#define WAIT_LIMIT_MS 30000

static char data_dir[64];
static pid_t owner_pid;

/* ------------------------------------------------------------------ owner process */

static inline void
sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

/* BUILD/pulsorad, found from this binary's path BUILD/test/<test>. */
static inline void
owner_binary(char *out, size_t size)
{
	char		self[4096];
	ssize_t		n = readlink("/proc/self/exe", self, sizeof self - 1);
	char	   *slash;

	assert_true(n > 0);
	self[n] = '\0';
	for (int i = 0; i < 2; i++)
	{
		slash = strrchr(self, '/');
		assert_non_null(slash);
		*slash = '\0';
	}
	assert_true((size_t) snprintf(out, size, "%s/pulsorad", self) < size);
}

/* A pulsorad child on a fresh temporary data directory. */
typedef struct owner_proc {
	char		dir[64];
	char		log[80];
	pid_t		pid;
} owner_proc;

/*
 * Start `pulsorad -D DIR --log-file LOG ARGS...` (args NULL-terminated) on a
 * fresh directory whose pulsora.toml holds config (NULL: none, the owner
 * writes its defaults), without PULSORA_AUTH_TOKEN in its environment, and
 * wait until it answers on its Unix socket.  0, or -1 when it died or never
 * answered (its log tells why).
 */
static inline int
owner_start(owner_proc *o, const char *config, const char *const *args)
{
	char		bin[4096];
	const char *argv[32];
	int			argc = 0;
	ps_client  *c = NULL;
	ps_error	err;

	owner_binary(bin, sizeof bin);
	memset(o, 0, sizeof *o);
	snprintf(o->dir, sizeof o->dir, "/tmp/ps_test_proto_XXXXXX");
	if (mkdtemp(o->dir) == NULL)
		return -1;
	snprintf(o->log, sizeof o->log, "%s.log", o->dir);
	if (config != NULL)
	{
		char		path[128];
		FILE	   *f;

		snprintf(path, sizeof path, "%s/pulsora.toml", o->dir);
		if ((f = fopen(path, "w")) == NULL || fputs(config, f) < 0 || fclose(f) != 0)
			return -1;
	}
	argv[argc++] = bin;
	argv[argc++] = "-D";
	argv[argc++] = o->dir;
	argv[argc++] = "--log-file";
	argv[argc++] = o->log;
	for (int i = 0; args != NULL && args[i] != NULL && argc < 31; i++)
		argv[argc++] = args[i];
	argv[argc] = NULL;
	o->pid = fork();
	if (o->pid < 0)
		return -1;
	if (o->pid == 0)
	{
		/* Should this test crash, the owner goes with it. */
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		unsetenv("PULSORA_AUTH_TOKEN");
		execv(bin, (char *const *) argv);
		_exit(127);
	}
	/* Wait until the owner answers, or fail if it died. */
	for (int waited = 0; waited < WAIT_LIMIT_MS; waited += 20)
	{
		int			status;

		if (ps_client_connect(o->dir, &c, &err) == PS_OK)
		{
			ps_client_close(c);
			return 0;
		}
		if (waitpid(o->pid, &status, WNOHANG) == o->pid)
		{
			fprintf(stderr, "pulsorad exited (status %d); see %s\n", status, o->log);
			o->pid = 0;
			return -1;
		}
		sleep_ms(20);
	}
	fprintf(stderr, "pulsorad did not answer: %s\n", err.message);
	return -1;
}

/* Kill the owner (if running) and remove its directory and log. */
static inline int
owner_remove(owner_proc *o)
{
	char		cmd[256];

	if (o->pid > 0)
	{
		kill(o->pid, SIGKILL);
		waitpid(o->pid, NULL, 0);
		o->pid = 0;
	}
	if (o->dir[0] == '\0')
		return 0;
	snprintf(cmd, sizeof cmd, "rm -rf '%s' '%s'", o->dir, o->log);
	return system(cmd) == 0 ? 0 : -1;
}

/* Group setup of the protocol tests: the owner in data_dir and owner_pid, REST off. */
static inline int
start_owner(void **state)
{
	static const char *const args[] = {"--no-rest", NULL};
	owner_proc	o;

	(void) state;
	if (owner_start(&o, NULL, args) != 0)
		return -1;
	memcpy(data_dir, o.dir, sizeof data_dir);
	owner_pid = o.pid;
	return 0;
}

/* Group teardown: only cleans up (test_proto's test_owner_stops_cleanly checks the stop). */
static inline int
stop_owner(void **state)
{
	char		cmd[256];

	(void) state;
	if (owner_pid > 0)
	{
		kill(owner_pid, SIGKILL);
		waitpid(owner_pid, NULL, 0);
	}
	snprintf(cmd, sizeof cmd, "rm -rf '%s' '%s.log'", data_dir, data_dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* ------------------------------------------------------------------ helpers */

static inline ps_client *
connect_ok(void)
{
	ps_client  *c = NULL;
	ps_error	err;
	ps_status	st = ps_client_connect(data_dir, &c, &err);

	if (st != PS_OK)
		fail_msg("connect: %s", err.message);
	return c;
}

/* Run a call that must succeed; on failure show the ps_error e it filled. */
#define CHECK(call, e) do { \
	ps_status	st_ = (call); \
	if (st_ != PS_OK) \
		fail_msg("%s failed (%d): %s", #call, (int) st_, (e).message); \
} while (0)

#endif
