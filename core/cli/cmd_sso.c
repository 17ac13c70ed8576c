/*
 * orgbill sso set|show|remove: an org's single sign-on connection from the
 * operator's shell (docs/SSO.md), as its owners set it through the API.
 * The client secret is read from the first line of stdin, never argv.
 * Audited as the system.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "base/num.h"
#include "cli/cli.h"
#include "identity/sso.h"

static const char *const sso_usage =
    "sso set --org ID --issuer URL --client-id ID [--domains a.com,b.com] [--required] "
    "(secret on stdin; the domains are verified) | sso verify-domain --org ID --domain D "
    "(after checking out of band, e.g. a DNS TXT record, that the org owns D) | "
    "sso show --org ID | sso remove --org ID";

struct sso_opts {
	const char *org, *issuer, *client_id, *domains;
	int required;
};

/* The options after the subcommand (argv[0]). 0, or -1 after saying why. */
static int
sso_parse(struct ob_cli *c, int argc, char **argv, struct sso_opts *o)
{
	static const struct option opts[] = {
		{ "org", required_argument, NULL, 'o' },
		{ "issuer", required_argument, NULL, 'i' },
		{ "client-id", required_argument, NULL, 'c' },
		{ "domains", required_argument, NULL, 'd' },
		{ "domain", required_argument, NULL, 'd' },
		{ "required", no_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int ch;

	memset(o, 0, sizeof(*o));
	optind = 0;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
		switch (ch) {
		case 'o': o->org = optarg; break;
		case 'i': o->issuer = optarg; break;
		case 'c': o->client_id = optarg; break;
		case 'd': o->domains = optarg; break;
		case 'r': o->required = 1; break;
		case 'h': printf("usage: %s %s\n", c->prog, sso_usage); exit(0);
		default:
			ob_cli_fail(c, "bad option %s (usage: %s %s)", argv[optind - 1], c->prog,
			    sso_usage);
			return -1;
		}
	}
	if (optind != argc || o->org == NULL || ob_num_id(o->org) == 0) {
		ob_cli_fail(c, "--org ID is required (usage: %s %s)", c->prog, sso_usage);
		return -1;
	}
	return 0;
}

static int
sso_report(struct ob_cli *c, const struct ob_fail *f)
{
	return ob_cli_fail(c, "%s%s%s", f->message, f->param ? " — " : "",
	    f->param ? f->param : "");
}

static int sso_verify(struct ob_cli *c, const struct sso_opts *o, struct ob_actx *ax);

/* sso set: the secret from stdin. */
static int
sso_set(struct ob_cli *c, const struct sso_opts *o, struct ob_actx *ax)
{
	struct ob_sso_conn in;
	struct ob_fail f = { 0 };
	int rc;

	if (o->issuer == NULL || o->client_id == NULL)
		return ob_cli_fail(c, "--issuer and --client-id are required (usage: %s %s)",
		    c->prog, sso_usage);
	memset(&in, 0, sizeof(in));
	snprintf(in.issuer, sizeof(in.issuer), "%s", o->issuer);
	snprintf(in.client_id, sizeof(in.client_id), "%s", o->client_id);
	snprintf(in.domains, sizeof(in.domains), "%s", o->domains ? o->domains : "");
	in.required = o->required;
	if (fgets(in.client_secret, sizeof(in.client_secret), stdin) == NULL)
		return ob_cli_fail(c, "no client secret on standard input");
	in.client_secret[strcspn(in.client_secret, "\r\n")] = '\0';
	rc = ob_sso_conn_set(ax, c->cfg.sso_key, ob_num_id(o->org), &in, &f);
	sodium_memzero(in.client_secret, sizeof(in.client_secret));
	if (rc != 0)
		return sso_report(c, &f);
	/* The operator's own domains count as checked. */
	return sso_verify(c, o, ax);
}

/* sso verify-domain (and set): each domain of --domain(s) verified. */
static int
sso_verify(struct ob_cli *c, const struct sso_opts *o, struct ob_actx *ax)
{
	struct ob_fail f = { 0 };
	char d[256];
	const char *p = o->domains ? o->domains : "";
	size_t n;

	while (*p != '\0') {
		n = strcspn(p, ",");
		snprintf(d, sizeof(d), "%.*s", (int)n, p);
		if (n > 0 && ob_sso_domain_verify(ax, ob_num_id(o->org), d, &f) != 0)
			return sso_report(c, &f);
		p += n;
		if (*p == ',')
			p++;
	}
	return 0;
}

/* sso show: the connection, one "name: value" a line, never the secret. */
static int
sso_show(struct ob_cli *c, int64_t org)
{
	struct ob_sso_conn conn;
	int rc = ob_sso_conn_get(&c->db, NULL, org, &conn);

	if (rc < 0)
		return ob_cli_fail(c, "database: %s", c->db.lasterr);
	if (rc == 0)
		return ob_cli_fail(c, "org %lld has no single sign-on connection", (long long)org);
	printf("issuer: %s\nclient_id: %s\nallowed_domains: %s\nsso_required: %s\n"
	    "verified_domains: %s\n", conn.issuer, conn.client_id, conn.domains,
	    conn.required ? "true" : "false", conn.verified);
	return 0;
}

int
ob_cli_sso(struct ob_cli *c, int argc, char **argv)
{
	struct sso_opts o;
	struct ob_actx ax;
	struct ob_fail f = { 0 };

	if (argc < 2)
		return ob_cli_fail(c, "usage: %s %s", c->prog, sso_usage);
	if (sso_parse(c, argc - 1, argv + 1, &o) != 0)
		return 2;
	memset(&ax, 0, sizeof(ax));
	ax.db = &c->db;
	ax.request_id = "cli";
	if (strcmp(argv[1], "set") == 0)
		return sso_set(c, &o, &ax);
	if (strcmp(argv[1], "verify-domain") == 0) {
		if (o.domains == NULL || *o.domains == '\0')
			return ob_cli_fail(c, "--domain is required (usage: %s %s)", c->prog,
			    sso_usage);
		return sso_verify(c, &o, &ax);
	}
	if (strcmp(argv[1], "show") == 0)
		return sso_show(c, ob_num_id(o.org));
	if (strcmp(argv[1], "remove") == 0)
		return ob_sso_conn_delete(&ax, ob_num_id(o.org), &f) != 0 ? sso_report(c, &f) : 0;
	return ob_cli_fail(c, "usage: %s %s", c->prog, sso_usage);
}
