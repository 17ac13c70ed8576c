/*
 * ob_master: a small prefork master (the shape of nginx's master and
 * spawn-fcgi's -F, with supervision): forks N workers that share the
 * listening socket, respawns a dead one with exponential backoff, forwards
 * SIGTERM/SIGINT and escalates to SIGKILL after a deadline.
 */
#ifndef OB_MASTER_H
#define OB_MASTER_H

struct ob_master_conf {
	const char *name;		/* for logs */
	int workers;
	long shutdown_timeout_ms;
	/* Runs in each child; its return value is the child's exit status. */
	int (*worker)(void *arg);
	void *arg;
};

/**
 * Run until SIGTERM or SIGINT, then stop every worker (SIGTERM, then
 * SIGKILL to those alive after the deadline). Returns 0 after a clean
 * shutdown, 1 if a worker could not even be forked at start.
 */
int ob_master_run(const struct ob_master_conf *mc);

#endif
