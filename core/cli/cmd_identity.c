/*
 * orgbill org|user|member|apikey …: identity administration, scriptable:
 * each creating command prints the new id (or key) alone on stdout.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "identity/auth.h"
#include "cli/cli.h"
#include "identity/org.h"
#include "base/num.h"

#define PASSWORD_READ_MAX 1100

struct opt_vals {
	const char *name, *slug, *email, *org, *user, *role, *scopes, *department, *billing_email;
	int staff;
};

/* Parse the subcommand's options (argv[0] is the subcommand). 0 or -1. */
static int
parse_opts(struct ob_cli *c, int argc, char **argv, const char *usage,
    struct opt_vals *v)
{
	static const struct option opts[] = {
		{ "name", required_argument, NULL, 'n' },
		{ "slug", required_argument, NULL, 's' },
		{ "email", required_argument, NULL, 'e' },
		{ "org", required_argument, NULL, 'o' },
		{ "user", required_argument, NULL, 'u' },
		{ "role", required_argument, NULL, 'r' },
		{ "scopes", required_argument, NULL, 'S' },
		{ "department", required_argument, NULL, 'd' },
		{ "billing-email", required_argument, NULL, 'b' },
		{ "staff", no_argument, NULL, 'T' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int ch;

	memset(v, 0, sizeof(*v));
	optind = 0;	/* glibc: start over */
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
		switch (ch) {
		case 'n': v->name = optarg; break;
		case 's': v->slug = optarg; break;
		case 'e': v->email = optarg; break;
		case 'o': v->org = optarg; break;
		case 'u': v->user = optarg; break;
		case 'r': v->role = optarg; break;
		case 'S': v->scopes = optarg; break;
		case 'd': v->department = optarg; break;
		case 'b': v->billing_email = optarg; break;
		case 'T': v->staff = 1; break;
		case 'h': printf("usage: %s %s\n", c->prog, usage); exit(0);
		default:
			ob_cli_fail(c, "bad option %s (usage: %s %s)", argv[optind - 1], c->prog, usage);
			return -1;
		}
	}
	if (optind != argc) {
		ob_cli_fail(c, "unexpected argument '%s' (usage: %s %s)", argv[optind], c->prog, usage);
		return -1;
	}
	return 0;
}

static int
need(struct ob_cli *c, const char *val, const char *opt, const char *usage)
{
	if (val == NULL || *val == '\0') {
		ob_cli_fail(c, "%s is required (usage: %s %s)", opt, c->prog, usage);
		return -1;
	}
	return 0;
}

static int
report(struct ob_cli *c, const struct ob_fail *f)
{
	return ob_cli_fail(c, "%s%s%s", f->message, f->param ? " — " : "",
	    f->param ? f->param : "");
}

static int
id_arg(struct ob_cli *c, const char *s, const char *what, int64_t *id)
{
	if ((*id = ob_num_id(s)) == 0) {
		ob_cli_fail(c, "%s must be a positive integer id", what);
		return -1;
	}
	return 0;
}

static void
cli_actx(struct ob_cli *c, struct ob_actx *ax)
{
	memset(ax, 0, sizeof(*ax));
	ax->db = &c->db;
	ax->request_id = "cli";
}

static const char *const org_usage = "org create --name NAME --slug SLUG [--billing-email E]";

int
ob_cli_org(struct ob_cli *c, int argc, char **argv)
{
	struct opt_vals v;
	struct ob_actx ax;
	struct ob_fail f;
	int64_t id;

	if (argc < 2 || strcmp(argv[1], "create") != 0)
		return ob_cli_fail(c, "usage: %s %s", c->prog, org_usage);
	if (parse_opts(c, argc - 1, argv + 1, org_usage, &v) != 0 ||
	    need(c, v.name, "--name", org_usage) != 0 || need(c, v.slug, "--slug", org_usage) != 0)
		return 2;
	cli_actx(c, &ax);
	if (ob_org_create(&ax, v.name, v.slug, v.billing_email, &id, &f) != 0)
		return report(c, &f);
	printf("%lld\n", (long long)id);
	return 0;
}

static const char *const user_usage =
    "user create --email EMAIL [--name NAME] [--staff]   (password on stdin)"
    " | user staff-role --user ID --role support|finance|admin|none";

/* user staff-role --user ID --role R: set or take away a staff role. */
static int
user_staff_role(struct ob_cli *c, int argc, char **argv)
{
	struct opt_vals v;
	struct ob_actx ax;
	struct ob_fail f;
	int64_t user;

	if (parse_opts(c, argc - 1, argv + 1, user_usage, &v) != 0 ||
	    need(c, v.user, "--user", user_usage) != 0 ||
	    need(c, v.role, "--role", user_usage) != 0 || id_arg(c, v.user, "--user", &user) != 0)
		return 2;
	cli_actx(c, &ax);
	if (ob_user_set_staff_role(&ax, user, v.role, &f) != 0)
		return report(c, &f);
	return 0;
}

int
ob_cli_user(struct ob_cli *c, int argc, char **argv)
{
	char pw[PASSWORD_READ_MAX + 2];
	struct opt_vals v;
	struct ob_actx ax;
	struct ob_fail f;
	int64_t id;
	size_t n;
	int rc;

	if (argc >= 2 && strcmp(argv[1], "staff-role") == 0)
		return user_staff_role(c, argc, argv);
	if (argc < 2 || strcmp(argv[1], "create") != 0)
		return ob_cli_fail(c, "usage: %s %s", c->prog, user_usage);
	if (parse_opts(c, argc - 1, argv + 1, user_usage, &v) != 0 ||
	    need(c, v.email, "--email", user_usage) != 0)
		return 2;
	/* The password is the first line of stdin; it never appears in argv. */
	if (fgets(pw, sizeof(pw), stdin) == NULL)
		return ob_cli_fail(c, "no password on standard input");
	n = strcspn(pw, "\r\n");
	if (pw[n] == '\0' && n > PASSWORD_READ_MAX) {
		sodium_memzero(pw, sizeof(pw));
		return ob_cli_fail(c, "password too long");
	}
	pw[n] = '\0';
	cli_actx(c, &ax);
	rc = ob_user_create(&ax, v.email, v.name, pw, v.staff, &id, &f);
	sodium_memzero(pw, sizeof(pw));
	if (rc != 0)
		return report(c, &f);
	printf("%lld\n", (long long)id);
	return 0;
}

static const char *const member_usage =
    "member add --org ID --user ID --role owner|admin|billing|member [--department D]";

int
ob_cli_member(struct ob_cli *c, int argc, char **argv)
{
	struct opt_vals v;
	struct ob_actx ax;
	struct ob_fail f;
	int64_t org, user;

	if (argc < 2 || strcmp(argv[1], "add") != 0)
		return ob_cli_fail(c, "usage: %s %s", c->prog, member_usage);
	if (parse_opts(c, argc - 1, argv + 1, member_usage, &v) != 0 ||
	    need(c, v.org, "--org", member_usage) != 0 ||
	    need(c, v.user, "--user", member_usage) != 0 ||
	    need(c, v.role, "--role", member_usage) != 0 ||
	    id_arg(c, v.org, "--org", &org) != 0 || id_arg(c, v.user, "--user", &user) != 0)
		return 2;
	cli_actx(c, &ax);
	if (ob_member_add(&ax, org, user, v.role, v.department, &f) != 0)
		return report(c, &f);
	return 0;
}

static const char *const apikey_usage =
    "apikey create --org ID --scopes read,write,meter,admin [--name N] | apikey revoke PREFIX";

int
ob_cli_apikey(struct ob_cli *c, int argc, char **argv)
{
	char key[OB_APIKEY_TEXT], prefix[OB_APIKEY_PREFIX_LEN + 1];
	struct opt_vals v;
	struct ob_actx ax;
	struct ob_fail f;
	int64_t org;

	cli_actx(c, &ax);
	if (argc == 3 && strcmp(argv[1], "revoke") == 0) {
		if (ob_apikey_revoke(&ax, 0, argv[2], &f) != 0)
			return report(c, &f);
		return 0;
	}
	if (argc < 2 || strcmp(argv[1], "create") != 0)
		return ob_cli_fail(c, "usage: %s %s", c->prog, apikey_usage);
	if (parse_opts(c, argc - 1, argv + 1, apikey_usage, &v) != 0 ||
	    need(c, v.org, "--org", apikey_usage) != 0 ||
	    need(c, v.scopes, "--scopes", apikey_usage) != 0 ||
	    id_arg(c, v.org, "--org", &org) != 0)
		return 2;
	if (ob_apikey_create_audited(&ax, org, v.name, v.scopes, key, prefix, &f) != 0)
		return report(c, &f);
	printf("%s\n", key);
	sodium_memzero(key, sizeof(key));
	return 0;
}
