/*
 * owner_proc.h — a real pulsorad for the protocol tests (test_proto.c,
 * test_proto_ops.c): the binary next to the test's directory
 * (BUILD/pulsorad), started as a child on a fresh temporary data directory
 * as the group setup, killed and removed as the group teardown, and the
 * helpers every such test uses.
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

static inline int
start_owner(void **state)
{
	char		bin[4096];
	char		log[128];
	ps_client  *c = NULL;
	ps_error	err;

	(void) state;
	owner_binary(bin, sizeof bin);
	snprintf(data_dir, sizeof data_dir, "/tmp/ps_test_proto_XXXXXX");
	if (mkdtemp(data_dir) == NULL)
		return -1;
	snprintf(log, sizeof log, "%s.log", data_dir);
	owner_pid = fork();
	if (owner_pid < 0)
		return -1;
	if (owner_pid == 0)
	{
		/* Should this test crash, the owner goes with it. */
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		execl(bin, bin, "-D", data_dir, "--no-rest", "--log-file", log, (char *) NULL);
		_exit(127);
	}
	/* Wait until the owner answers, or fail if it died. */
	for (int waited = 0; waited < WAIT_LIMIT_MS; waited += 20)
	{
		int			status;

		if (ps_client_connect(data_dir, &c, &err) == PS_OK)
		{
			ps_client_close(c);
			return 0;
		}
		if (waitpid(owner_pid, &status, WNOHANG) == owner_pid)
		{
			fprintf(stderr, "pulsorad exited (status %d); see %s\n", status, log);
			owner_pid = 0;
			return -1;
		}
		sleep_ms(20);
	}
	fprintf(stderr, "pulsorad did not answer: %s\n", err.message);
	return -1;
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
