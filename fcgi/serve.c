#include "fcgi/serve.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fcgiapp.h>

#include "base/cfg.h"
#include "base/log.h"
#include "fcgi/master.h"
#include "fcgi/worker.h"

static int
serve_worker(void *arg)
{
	struct ob_worker *w = arg;

	ob_log_set_component(w->name);
	return ob_worker_main(w, 0);
}

static void
usage(FILE *f, const char *prog)
{
	struct ob_buf b = OB_BUF_INIT;

	fprintf(f, "usage: %s [--workers N] [--socket PATH] [--config FILE]\n"
	    "\n"
	    "Serves FastCGI on the socket on fd 0 (as spawn-fcgi hands it), or on\n"
	    "a unix socket bound at PATH. Settings come from the environment and\n"
	    "the optional env file (--config or ORGBILL_CONFIG):\n\n", prog);
	ob_cfg_help(&b);
	fputs(b.data, f);
	ob_buf_free(&b);
}

/* Is fd 0 a listening socket? spawn-fcgi's contract. */
static int
stdin_is_socket(void)
{
	struct stat st;
	int acc = 0;
	socklen_t len = sizeof(acc);

	if (fstat(0, &st) != 0 || !S_ISSOCK(st.st_mode))
		return 0;
	if (getsockopt(0, SOL_SOCKET, SO_ACCEPTCONN, &acc, &len) != 0)
		return 0;
	return acc != 0;
}

/* What the command line asked for. */
struct serve_opts {
	const char *config, *sock;
	long workers;		/* -1: from the settings */
};

/*
 * Parse argv into o. Returns -1 to go on serving, or the exit status
 * (0 after --help or --version, 2 on a usage error).
 */
static int
parse_args(int argc, char **argv, struct serve_opts *o)
{
	static const struct option opts[] = {
		{ "workers", required_argument, NULL, 'w' },
		{ "socket", required_argument, NULL, 's' },
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	char *end;
	int c;

	o->config = o->sock = NULL;
	o->workers = -1;
	while ((c = getopt_long(argc, argv, "w:s:c:hV", opts, NULL)) != -1) {
		switch (c) {
		case 'w':
			errno = 0;
			o->workers = strtol(optarg, &end, 10);
			if (errno || *end || o->workers < 1 || o->workers > 256) {
				fprintf(stderr, "%s: --workers takes 1 to 256\n", argv[0]);
				return 2;
			}
			break;
		case 's': o->sock = optarg; break;
		case 'c': o->config = optarg; break;
		case 'h': usage(stdout, argv[0]); return 0;
		case 'V': puts("orgbill " OB_VERSION); return 0;
		default: usage(stderr, argv[0]); return 2;
		}
	}
	if (optind != argc) {
		usage(stderr, argv[0]);
		return 2;
	}
	return -1;
}

/*
 * The listening socket on fd 0: bound at sock (replacing what was there),
 * or, without sock, the one spawn-fcgi handed us. Returns 0, or the exit
 * status after a message.
 */
static int
open_listener(const char *prog, const char *sock)
{
	int fd;

	if (sock == NULL) {
		if (stdin_is_socket())
			return 0;
		fprintf(stderr, "%s: fd 0 is not a listening socket; run under "
		    "spawn-fcgi or give --socket PATH\n", prog);
		return 2;
	}
	if (FCGX_Init() != 0) {
		fprintf(stderr, "%s: FastCGI init failed\n", prog);
		return 1;
	}
	unlink(sock);
	if ((fd = FCGX_OpenSocket(sock, 1024)) < 0) {
		fprintf(stderr, "%s: cannot listen on %s\n", prog, sock);
		return 1;
	}
	if (fd != 0) {
		if (dup2(fd, 0) < 0) {
			fprintf(stderr, "%s: dup2: %s\n", prog, strerror(errno));
			return 1;
		}
		close(fd);
	}
	chmod(sock, 0660);
	return 0;
}

/*
 * What every worker starts from, into w: the settings, the router and the
 * shared rate limiter table. Returns 0 (free w->rl with ob_rl_destroy), or
 * the exit status after a message.
 */
static int
worker_init(const struct ob_serve_conf *sc, const struct ob_cfg *cfg, const char *prog,
    struct ob_worker *w)
{
	const char *specs[OB_RL__MAX] = {
		[OB_RL_READ] = cfg->rate_read,
		[OB_RL_WRITE] = cfg->rate_write,
		[OB_RL_METER] = cfg->rate_meter,
		[OB_RL_SUBSCRIPTION] = cfg->rate_subscription,
		[OB_RL_REFUND] = cfg->rate_refund,
		[OB_RL_LOGIN] = cfg->rate_login,
	};
	char err[512];

	memset(w, 0, sizeof(*w));
	/* The rate limiter's table is mapped here, before fork, so that
	 * every worker counts into the same shared slots. */
	if ((w->rl = ob_rl_create(0)) == NULL) {
		fprintf(stderr, "%s: cannot map the rate limiter table\n", prog);
		return 1;
	}
	if (ob_rl_configure(w->rl, specs, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s: %s\n", prog, err);
		ob_rl_destroy(w->rl);
		return 2;
	}
	w->name = sc->name;
	w->cfg = cfg;
	w->router = sc->router;
	w->fields = sc->fields;
	w->want_templates = sc->want_templates;
	/* Stripe's events are small: the webhook pool takes at most 1 MiB,
	 * whatever the app's limit (nginx caps the location the same). */
	w->body_limit = cfg->body_limit;
	if (sc->webhook && w->body_limit > 1048576)
		w->body_limit = 1048576;
	return 0;
}

/* Run the prefork master over workers copies of w; its exit status. */
static int
run_master(const struct ob_serve_conf *sc, const struct ob_cfg *cfg, struct ob_worker *w,
    long workers)
{
	struct ob_master_conf mc;

	memset(&mc, 0, sizeof(mc));
	mc.name = sc->name;
	mc.workers = (int)workers;
	mc.shutdown_timeout_ms = cfg->shutdown_timeout_ms;
	mc.worker = serve_worker;
	mc.arg = w;
	ob_log_set_component("master");
	return ob_master_run(&mc);
}

int
ob_serve_main(const struct ob_serve_conf *sc, int argc, char **argv)
{
	struct serve_opts o;
	struct ob_cfg cfg;
	struct ob_worker w;
	enum ob_log_level lvl;
	char err[512];
	int rc;

	ob_log_set_component(sc->name);
	if ((rc = parse_args(argc, argv, &o)) >= 0)
		return rc;
	if (ob_cfg_load(&cfg, o.config, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s: %s\n", argv[0], err);
		return 2;
	}
	if (ob_log_parse_level(cfg.log_level, &lvl) != 0) {
		fprintf(stderr, "%s: ORGBILL_LOG_LEVEL: expected debug|info|warn|error\n", argv[0]);
		rc = 2;
		goto out;
	}
	ob_log_set_level(lvl);
	if (o.workers < 0)
		o.workers = sc->webhook ? cfg.webhook_workers : cfg.app_workers;
	if ((rc = open_listener(argv[0], o.sock)) != 0)
		goto out;
	if ((rc = worker_init(sc, &cfg, argv[0], &w)) != 0)
		goto out;
	rc = run_master(sc, &cfg, &w, o.workers);
	ob_rl_destroy(w.rl);
out:
	ob_cfg_free(&cfg);
	return rc;
}
