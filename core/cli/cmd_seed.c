/*
 * orgbill seed-demo: the demo data set. Idempotent: orgs, users and
 * memberships are created when missing; the demo API key is replaced on
 * every run (it is shown only once). Prints the logins and the key.
 *
 * It runs only against a database deploy/stack.sh made for the demo (the
 * database's comment says so): demo logins with a published password must
 * never reach a real database. The staff login's password is not
 * published: it comes from --staff-password-file (the stack makes one per
 * run directory) or is generated here, and is printed with the logins.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "identity/auth.h"
#include "cli/cli.h"
#include "identity/demo.h"
#include "identity/org.h"

/* The tenants' demo logins share this password (printed, documented). */
#define DEMO_PASSWORD "demo-password"
#define STAFF_PASSWORD_MAX 128

static const struct {
	const char *email, *name, *org_slug, *role, *department;
	const char *staff;	/* the staff role, or NULL for a tenant */
} demo_users[] = {
	{ "owner@acme.test", "Olivia Owner", "acme", "owner", "Leadership", NULL },
	{ "admin@acme.test", "Adam Admin", "acme", "admin", "Engineering", NULL },
	{ "billing@acme.test", "Bella Billing", "acme", "billing", "Finance", NULL },
	{ "member@acme.test", "Max Member", "acme", "member", "Engineering", NULL },
	{ "owner@globex.test", "Greta Globex", "globex", "owner", "", NULL },
	{ "staff@orgbill.test", "Sam Staff", NULL, NULL, NULL, "admin" },
	{ "support@orgbill.test", "Sue Support", NULL, NULL, NULL, "support" },
	{ "finance@orgbill.test", "Fin Finance", NULL, NULL, NULL, "finance" },
};

static const struct {
	const char *slug, *name, *billing_email;
} demo_orgs[] = {
	{ "acme", "Acme Corporation", "billing@acme.test" },
	{ "globex", "Globex Inc.", "owner@globex.test" },
};

/* scandir filter: demo_<module>.sql */
static int
demo_file(const struct dirent *d)
{
	size_t n = strlen(d->d_name);

	return n > 9 && strncmp(d->d_name, "demo_", 5) == 0 &&
	    strcmp(d->d_name + n - 4, ".sql") == 0;
}

static int
load_sql(struct ob_cli *c, const char *name)
{
	char path[4096];
	FILE *f;
	char *sql = NULL;
	long n;
	int rc = -1;

	snprintf(path, sizeof(path), "%s/%s", c->cfg.sql_dir, name);
	if ((f = fopen(path, "r")) == NULL) {
		ob_cli_fail(c, "seed-demo: cannot open %s", path);
		return -1;
	}
	if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || n > (4L << 20) ||
	    fseek(f, 0, SEEK_SET) != 0) {
		ob_cli_fail(c, "seed-demo: %s: unreadable or too large", path);
		goto out;
	}
	sql = calloc(1, (size_t)n + 1);
	if (sql == NULL || fread(sql, 1, (size_t)n, f) != (size_t)n) {
		ob_cli_fail(c, "seed-demo: %s: read error", path);
		goto out;
	}
	if (ob_db_exec_script(&c->db, sql) != 0) {
		ob_cli_fail(c, "seed-demo: %s", c->db.lasterr);
		goto out;
	}
	rc = 0;
out:
	fclose(f);
	free(sql);
	return rc;
}

/* The demo orgs, created when missing; their ids into org_ids. 0, or the exit status. */
static int
seed_orgs(struct ob_cli *c, const struct ob_actx *ax, int64_t org_ids[2])
{
	struct ob_fail f;
	size_t i;

	for (i = 0; i < 2; i++) {
		if ((org_ids[i] = ob_org_id_by_slug(&c->db, demo_orgs[i].slug)) < 0)
			return ob_cli_fail(c, "seed-demo: %s", c->db.lasterr);
		if (org_ids[i] == 0 && ob_org_create(ax, demo_orgs[i].name, demo_orgs[i].slug,
		    demo_orgs[i].billing_email, &org_ids[i], &f) != 0)
			return ob_cli_fail(c, "seed-demo: %s", f.message);
	}
	return 0;
}

/* The demo users, created when missing, and their memberships. 0, or the exit status. */
static int
seed_users(struct ob_cli *c, const struct ob_actx *ax, const int64_t org_ids[2],
    const char *staff_password)
{
	struct ob_fail f;
	int64_t uid;
	size_t i, j;

	for (i = 0; i < sizeof(demo_users) / sizeof(demo_users[0]); i++) {
		const char *pw = demo_users[i].staff ? staff_password : DEMO_PASSWORD;

		if ((uid = ob_user_id_by_email(&c->db, demo_users[i].email)) < 0)
			return ob_cli_fail(c, "seed-demo: %s", c->db.lasterr);
		if (uid == 0 && ob_user_create(ax, demo_users[i].email, demo_users[i].name,
		    pw, demo_users[i].staff != NULL, &uid, &f) != 0)
			return ob_cli_fail(c, "seed-demo: %s", f.message);
		/* The staff password printed is the one that works. */
		if (demo_users[i].staff && (ob_demo_set_password(&c->db, uid, pw) != 0 ||
		    ob_demo_set_staff_role(&c->db, uid, demo_users[i].staff) != 0))
			return ob_cli_fail(c, "seed-demo: %s", c->db.lasterr);
		if (demo_users[i].org_slug == NULL)
			continue;
		for (j = 0; j < 2; j++)
			if (strcmp(demo_orgs[j].slug, demo_users[i].org_slug) == 0 &&
			    ob_member_add(ax, org_ids[j], uid, demo_users[i].role,
			    demo_users[i].department, &f) != 0)
				return ob_cli_fail(c, "seed-demo: %s", f.message);
	}
	/* The owner of Acme also belongs to Globex (the org switcher). */
	if ((uid = ob_user_id_by_email(&c->db, "owner@acme.test")) > 0 &&
	    ob_member_add(ax, org_ids[1], uid, "billing", "Finance", &f) != 0)
		return ob_cli_fail(c, "seed-demo: %s", f.message);
	return 0;
}

/* Each module's demo data (sql/demo_*.sql, in name order). 0 or -1 (reported). */
static int
load_module_demos(struct ob_cli *c)
{
	struct dirent **names = NULL;
	int k, n = scandir(c->cfg.sql_dir, &names, demo_file, alphasort), bad = 0;

	for (k = 0; k < n; k++) {
		if (!bad && load_sql(c, names[k]->d_name) != 0)
			bad = 1;
		free(names[k]);
	}
	free(names);
	return bad ? -1 : 0;
}

static void
print_logins(const char *staff_password)
{
	size_t i;

	printf("Demo logins (password %s, except staff)\n", DEMO_PASSWORD);
	for (i = 0; i < sizeof(demo_users) / sizeof(demo_users[0]); i++)
		printf("  %-22s %s%s%s%s%s%s\n", demo_users[i].email,
		    demo_users[i].staff ? "staff " : "",
		    demo_users[i].staff ? demo_users[i].staff : demo_users[i].role,
		    demo_users[i].org_slug ? " of " : "",
		    demo_users[i].org_slug ? demo_users[i].org_slug : "",
		    demo_users[i].staff ? ", password " : "",
		    demo_users[i].staff ? staff_password : "");
}

/*
 * The staff password: the first line of path, or (path NULL) 18 random
 * bytes in base64url. 0, or the exit status.
 */
static int
staff_password(struct ob_cli *c, const char *path, char *out, size_t len)
{
	unsigned char raw[18];
	FILE *f;

	if (path == NULL) {
		randombytes_buf(raw, sizeof(raw));
		sodium_bin2base64(out, len, raw, sizeof(raw), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
		return 0;
	}
	if ((f = fopen(path, "r")) == NULL)
		return ob_cli_fail(c, "seed-demo: cannot open %s", path);
	if (fgets(out, (int)len, f) == NULL)
		out[0] = '\0';
	fclose(f);
	out[strcspn(out, "\r\n")] = '\0';
	if (strlen(out) < 10)
		return ob_cli_fail(c, "seed-demo: %s: the staff password must be 10 characters or more", path);
	return 0;
}

/* 0 if the database was made for the demo, else the exit status (with why). */
static int
demo_database(struct ob_cli *c)
{
	int marked = ob_demo_db_marked(&c->db);

	if (marked < 0)
		return ob_cli_fail(c, "seed-demo: %s", c->db.lasterr);
	if (marked == 0)
		return ob_cli_fail(c, "seed-demo: refusing to run: this database was not made for the "
		    "demo (its comment is not '%s'); the demo data set adds logins with a published "
		    "password and belongs only in the private database of make demo and make check",
		    OB_DEMO_DB_MARK);
	return 0;
}

int
ob_cli_seed_demo(struct ob_cli *c, int argc, char **argv)
{
	char key[OB_APIKEY_TEXT], prefix[OB_APIKEY_PREFIX_LEN + 1], staff_pw[STAFF_PASSWORD_MAX];
	const char *pw_file = NULL;
	struct ob_actx ax;
	struct ob_fail f;
	int64_t org_ids[2];
	int rc;

	if (argc == 3 && strcmp(argv[1], "--staff-password-file") == 0)
		pw_file = argv[2];
	else if (argc > 1)
		return ob_cli_fail(c, "seed-demo: unexpected argument '%s' (usage: seed-demo "
		    "[--staff-password-file FILE])", argv[1]);
	if ((rc = demo_database(c)) != 0 ||
	    (rc = staff_password(c, pw_file, staff_pw, sizeof(staff_pw))) != 0)
		return rc;
	if (load_sql(c, "demo.sql") != 0)
		return 1;
	memset(&ax, 0, sizeof(ax));
	ax.db = &c->db;
	ax.request_id = "seed-demo";
	if ((rc = seed_orgs(c, &ax, org_ids)) != 0 ||
	    (rc = seed_users(c, &ax, org_ids, staff_pw)) != 0)
		goto out;
	/* Now that the orgs and their people exist. */
	rc = 1;
	if (load_module_demos(c) != 0)
		goto out;
	if (ob_apikey_revoke_named(&c->db, org_ids[0], "demo") != 0) {
		rc = ob_cli_fail(c, "seed-demo: %s", c->db.lasterr);
		goto out;
	}
	if (ob_apikey_create_audited(&ax, org_ids[0], "demo", "read,write,meter,admin",
	    key, prefix, &f) != 0) {
		rc = ob_cli_fail(c, "seed-demo: %s", f.message);
		goto out;
	}
	print_logins(staff_pw);
	printf("Demo API key (org acme, id %lld, all scopes):\n  %s\n",
	    (long long)org_ids[0], key);
	sodium_memzero(key, sizeof(key));
	rc = 0;
out:
	sodium_memzero(staff_pw, sizeof(staff_pw));
	return rc;
}
