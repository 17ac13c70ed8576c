#include "fcgi/master.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
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
	pid_t master = getpid(), pid = fork();

	if (pid < 0) {
		ob_log(OB_LOG_ERROR, "fork", "%s", strerror(errno));
		return -1;
	}
	if (pid == 0) {
		/*
		 * A worker whose master is killed (kill -9, OOM) stops as on
		 * SIGTERM: it finishes the request in hand and exits, so the
		 * restarted master (systemd) never shares the work with orphans
		 * holding database connections. The check after prctl closes the
		 * window where the master died before it took effect.
		 */
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (getppid() != master)
			_exit(0);
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

/* The master's state while it runs. */
struct master {
	const struct ob_master_conf *mc;
	struct slot *slots;
	sigset_t set, old;	/* the signals waited for; the mask before */
	int stopping;
	long deadline;		/* stopping: SIGKILL for those alive then */
	long next_term;		/* stopping: when to repeat SIGTERM */
};

/* Start stopping: SIGTERM to every worker, SIGKILL after the deadline. */
static void
begin_stop(struct master *m)
{
	m->stopping = 1;
	m->deadline = now_ms() + m->mc->shutdown_timeout_ms;
	signal_all(m->slots, m->mc->workers, SIGTERM);
}

/* SIGKILL every worker still alive and wait for them. */
static void
kill_remaining(struct master *m)
{
	const struct ob_master_conf *mc = m->mc;
	int i;

	ob_log(OB_LOG_WARN, "master_kill", "%d workers still alive after %ld ms: SIGKILL",
	    alive(m->slots, mc->workers), mc->shutdown_timeout_ms);
	signal_all(m->slots, mc->workers, SIGKILL);
	while (alive(m->slots, mc->workers) > 0) {
		pid_t pid = waitpid(-1, NULL, 0);

		if (pid < 0 && errno != EINTR)
			break;
		for (i = 0; i < mc->workers; i++)
			if (m->slots[i].pid == pid)
				m->slots[i].pid = 0;
	}
}

/*
 * One turn of stopping at time t: done when no worker is left (after
 * killing those past the deadline); otherwise SIGTERM again now and then.
 * Returns 1 when the master may exit.
 */
static int
stop_step(struct master *m, long t)
{
	if (alive(m->slots, m->mc->workers) == 0)
		return 1;
	if (t >= m->deadline) {
		kill_remaining(m);
		return 1;
	}
	/* A worker may have been between checks: say it again. */
	if (t >= m->next_term) {
		signal_all(m->slots, m->mc->workers, SIGTERM);
		m->next_term = t + 1000;
	}
	return 0;
}

/* How long to wait for a signal at time t: until the next respawn or the deadline. */
static long
wait_for_ms(const struct master *m, long t)
{
	const struct ob_master_conf *mc = m->mc;
	long wait_ms = 1000;
	int i;

	for (i = 0; !m->stopping && i < mc->workers; i++)
		if (m->slots[i].pid == 0 && m->slots[i].respawn_at_ms - t < wait_ms)
			wait_ms = m->slots[i].respawn_at_ms - t;
	if (m->stopping && m->deadline - t < wait_ms)
		wait_ms = m->deadline - t;
	if (wait_ms < 1)
		wait_ms = 1;
	return wait_ms;
}

/* Act on signal sig (0: none came): stop on SIGTERM/SIGINT, restart workers on SIGHUP. */
static void
on_signal(struct master *m, int sig)
{
	const struct ob_master_conf *mc = m->mc;
	int i;

	if (sig == SIGTERM || sig == SIGINT) {
		if (!m->stopping) {
			ob_log(OB_LOG_INFO, "master_stop", "%s: signal %d, stopping workers",
			    mc->name, sig);
			begin_stop(m);
			m->next_term = now_ms() + 1000;
		}
	} else if (sig == SIGHUP && !m->stopping) {
		/* Rolling restart: each worker finishes its request and
		 * is started again and reads its templates afresh. */
		ob_log(OB_LOG_INFO, "master_reload", "%s: restarting workers", mc->name);
		for (i = 0; i < mc->workers; i++)
			if (m->slots[i].pid > 0) {
				m->slots[i].reloading = 1;
				kill(m->slots[i].pid, SIGTERM);
			}
	}
}

/* Start every worker; if one cannot be forked, stop the others. 0 or 1. */
static int
start_all(struct master *m)
{
	const struct ob_master_conf *mc = m->mc;
	int i;

	for (i = 0; i < mc->workers; i++)
		if (slot_start(mc, &m->slots[i], &m->old) != 0) {
			begin_stop(m);
			return 1;
		}
	ob_log(OB_LOG_INFO, "master_start", "%s: %d workers", mc->name, mc->workers);
	return 0;
}

int
ob_master_run(const struct ob_master_conf *mc)
{
	struct master m;
	struct timespec ts;
	siginfo_t info;
	long t, wait_ms;
	int i, rc;

	memset(&m, 0, sizeof(m));
	m.mc = mc;
	m.slots = ob_xcalloc((size_t)mc->workers, sizeof(*m.slots));
	sigemptyset(&m.set);
	sigaddset(&m.set, SIGCHLD);
	sigaddset(&m.set, SIGTERM);
	sigaddset(&m.set, SIGINT);
	sigaddset(&m.set, SIGHUP);
	sigprocmask(SIG_BLOCK, &m.set, &m.old);
	signal(SIGPIPE, SIG_IGN);

	rc = start_all(&m);
	for (;;) {
		t = now_ms();
		if (m.stopping) {
			if (stop_step(&m, t))
				break;
		} else {
			for (i = 0; i < mc->workers; i++)
				if (m.slots[i].pid == 0 && t >= m.slots[i].respawn_at_ms)
					slot_start(mc, &m.slots[i], &m.old);
		}
		wait_ms = wait_for_ms(&m, t);
		ts.tv_sec = wait_ms / 1000;
		ts.tv_nsec = (wait_ms % 1000) * 1000000L;
		on_signal(&m, sigtimedwait(&m.set, &info, &ts));
		reap(mc, m.slots, m.stopping);
	}
	ob_log(OB_LOG_INFO, "master_exit", "%s: stopped", mc->name);
	free(m.slots);
	sigprocmask(SIG_SETMASK, &m.old, NULL);
	return rc;
}
