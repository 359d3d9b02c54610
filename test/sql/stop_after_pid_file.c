/*
 * stop_after_pid_file.c — an LD_PRELOAD shim for test_recovering_owner.sh
 * (test code only; nothing of it is in pulsorad).
 *
 * pulsorad takes DIR/pulsorad.lock, then writes DIR/pulsorad.pid (a
 * temporary file renamed over it), and only then opens the store, runs
 * crash recovery and opens its socket (src/server/main.c).  This shim wraps
 * rename(): right after the rename that puts the pid file in place
 * succeeds, the process stops itself with SIGSTOP.  It is then exactly an
 * owner still recovering, as a client sees it: the lock is held, the pid
 * file names a live process, no socket answers.  SIGCONT lets it go on
 * (open the store, roll back the interrupted load, serve).  Every other
 * rename (RocksDB's among them) passes through untouched.
 *
 *   cc -shared -fPIC -o stop_after_pid_file.so stop_after_pid_file.c -ldl
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

static int
ends_with(const char *s, const char *suffix)
{
	size_t		n = strlen(s);
	size_t		m = strlen(suffix);

	return n >= m && strcmp(s + n - m, suffix) == 0;
}

int
rename(const char *from, const char *to)
{
	static int	(*real_rename) (const char *, const char *);
	int			rc;

	if (real_rename == NULL)
		real_rename = (int (*) (const char *, const char *)) dlsym(RTLD_NEXT, "rename");
	rc = real_rename(from, to);
	if (rc == 0 && ends_with(from, "/pulsorad.pid.tmp") && ends_with(to, "/pulsorad.pid"))
		raise(SIGSTOP);
	return rc;
}
