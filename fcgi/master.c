#include "fcgi/master.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/log.h"
#include "base/mem.h"

#define BACKOFF_MIN_MS	100
#define BACKOFF_MAX_MS	10000
#define HEALTHY_MS	5000	/* a worker that lived this long resets its backoff */

struct slot {
	pid_t pid;		/* 0: not running */
	long started_ms;
	long respawn_at_ms;	/* when to start it again (0: now) */
	int failures;		/* quick deaths in a row */
	int reloading;		/* asked to stop by SIGHUP: start again at once */
};

static long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

static int
slot_start(const struct ob_master_conf *mc, struct slot *s, const sigset_t *old)
{
	pid_t pid = fork();

	if (pid < 0) {
		ob_log(OB_LOG_ERROR, "fork", "%s", strerror(errno));
		return -1;
	}
	if (pid == 0) {
		sigprocmask(SIG_SETMASK, old, NULL);
		_exit(mc->worker(mc->arg));
	}
	s->pid = pid;
	s->started_ms = now_ms();
	return 0;
}

static void
signal_all(struct slot *slots, int n, int sig)
{
	int i;

	for (i = 0; i < n; i++)
		if (slots[i].pid > 0)
			kill(slots[i].pid, sig);
}

static int
alive(const struct slot *slots, int n)
{
	int i, c = 0;

	for (i = 0; i < n; i++)
		c += slots[i].pid > 0;
	return c;
}

/* Reap every exited child; schedule respawns unless stopping. */
static void
reap(const struct ob_master_conf *mc, struct slot *slots, int stopping)
{
	pid_t pid;
	int st, i;
	long t = now_ms(), delay;

	while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
		for (i = 0; i < mc->workers; i++)
			if (slots[i].pid == pid)
				break;
		if (i == mc->workers)
			continue;
		slots[i].pid = 0;
		if (stopping)
			continue;
		if (slots[i].reloading) {
			slots[i].reloading = 0;
			slots[i].respawn_at_ms = t;
			continue;
		}
		if (t - slots[i].started_ms < HEALTHY_MS)
			slots[i].failures++;
		else
			slots[i].failures = 0;
		delay = BACKOFF_MIN_MS;
		for (int f = 1; f < slots[i].failures && delay < BACKOFF_MAX_MS; f++)
			delay *= 2;
		if (slots[i].failures == 0)
			delay = 0;
		if (delay > BACKOFF_MAX_MS)
			delay = BACKOFF_MAX_MS;
		slots[i].respawn_at_ms = t + delay;
		if (WIFSIGNALED(st))
			ob_log(OB_LOG_WARN, "worker_died", "%s worker %ld killed by signal %d; respawn in %ld ms",
			    mc->name, (long)pid, WTERMSIG(st), delay);
		else
			ob_log(OB_LOG_WARN, "worker_died", "%s worker %ld exited with %d; respawn in %ld ms",
			    mc->name, (long)pid, WEXITSTATUS(st), delay);
	}
}

int
ob_master_run(const struct ob_master_conf *mc)
{
	struct slot *slots;
	sigset_t set, old;
	struct timespec ts;
	siginfo_t info;
	long deadline = 0, next_term = 0, t, wait_ms;
	int i, sig, stopping = 0, rc = 0;

	slots = ob_xcalloc((size_t)mc->workers, sizeof(*slots));
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, &old);
	signal(SIGPIPE, SIG_IGN);

	for (i = 0; i < mc->workers; i++)
		if (slot_start(mc, &slots[i], &old) != 0) {
			rc = 1;
			stopping = 1;
			deadline = now_ms() + mc->shutdown_timeout_ms;
			signal_all(slots, mc->workers, SIGTERM);
			break;
		}
	if (!stopping)
		ob_log(OB_LOG_INFO, "master_start", "%s: %d workers", mc->name, mc->workers);

	for (;;) {
		t = now_ms();
		if (stopping) {
			if (alive(slots, mc->workers) == 0)
				break;
			if (t >= deadline) {
				ob_log(OB_LOG_WARN, "master_kill",
				    "%d workers still alive after %ld ms: SIGKILL",
				    alive(slots, mc->workers), mc->shutdown_timeout_ms);
				signal_all(slots, mc->workers, SIGKILL);
				while (alive(slots, mc->workers) > 0) {
					pid_t pid = waitpid(-1, NULL, 0);

					if (pid < 0 && errno != EINTR)
						break;
					for (i = 0; i < mc->workers; i++)
						if (slots[i].pid == pid)
							slots[i].pid = 0;
				}
				break;
			}
			/* A worker may have been between checks: say it again. */
			if (t >= next_term) {
				signal_all(slots, mc->workers, SIGTERM);
				next_term = t + 1000;
			}
		} else {
			for (i = 0; i < mc->workers; i++)
				if (slots[i].pid == 0 && t >= slots[i].respawn_at_ms)
					slot_start(mc, &slots[i], &old);
		}

		wait_ms = 1000;
		for (i = 0; !stopping && i < mc->workers; i++)
			if (slots[i].pid == 0 && slots[i].respawn_at_ms - t < wait_ms)
				wait_ms = slots[i].respawn_at_ms - t;
		if (stopping && deadline - t < wait_ms)
			wait_ms = deadline - t;
		if (wait_ms < 1)
			wait_ms = 1;
		ts.tv_sec = wait_ms / 1000;
		ts.tv_nsec = (wait_ms % 1000) * 1000000L;
		sig = sigtimedwait(&set, &info, &ts);
		if (sig == SIGTERM || sig == SIGINT) {
			if (!stopping) {
				ob_log(OB_LOG_INFO, "master_stop", "%s: signal %d, stopping workers",
				    mc->name, sig);
				stopping = 1;
				deadline = now_ms() + mc->shutdown_timeout_ms;
				signal_all(slots, mc->workers, SIGTERM);
				next_term = now_ms() + 1000;
			}
		} else if (sig == SIGHUP && !stopping) {
			/* Rolling restart: each worker finishes its request and
			 * is started again and reads its templates afresh. */
			ob_log(OB_LOG_INFO, "master_reload", "%s: restarting workers", mc->name);
			for (i = 0; i < mc->workers; i++)
				if (slots[i].pid > 0) {
					slots[i].reloading = 1;
					kill(slots[i].pid, SIGTERM);
				}
		}
		reap(mc, slots, stopping);
	}
	ob_log(OB_LOG_INFO, "master_exit", "%s: stopped", mc->name);
	free(slots);
	sigprocmask(SIG_SETMASK, &old, NULL);
	return rc;
}
