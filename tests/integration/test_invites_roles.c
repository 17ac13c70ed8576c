/*
 * Who may change whose role (docs/SECURITY.md, "Roles and who may change
 * them"), through every path that changes one: the console's /role and
 * /remove forms, the API's …/members/{user_id}/role with a session and
 * with an admin-scope key, inviting, and accepting. The expected answers
 * are a table written by hand from the rules — only owners grant or remove
 * `owner`, admins raise nobody above admin, nobody raises their own role,
 * the last active owner is neither demoted nor removed — never computed by
 * the code under test.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "integration/harness.h"
#include "unit/unit.h"

#define API "/api/v1/org-billing"

/* Who acts, and how. */
enum actor { A_OWNER, A_ADMIN, A_BILLING, A_KEY, A_OWNER_API, A_ADMIN_API };

/* On whom: the org's people (SELF: the actor's own membership). */
enum target { T_OWNER1, T_OWNER2, T_ADMIN1, T_ADMIN2, T_BILLING, T_MEMBER, T__MAX, T_SELF };

static const char *const baseline[T__MAX] = { "owner", "owner", "admin", "admin", "billing",
	"member" };

struct org {
	long id;
	long uid[T__MAX];
	char cookie[T__MAX][128];	/* owner1, admin1, billing signed in */
	char key[128];			/* admin scope */
};

static void
org_new(struct org *o, const char *tag)
{
	int t;

	memset(o, 0, sizeof(*o));
	o->id = t_org_new(tag, NULL, NULL);
	for (t = 0; t < T__MAX; t++)
		o->uid[t] = t_member_new(o->id, baseline[t], NULL);
	t_reset_rate_limits();
	for (t = 0; t < T__MAX; t++) {
		if (t != T_OWNER1 && t != T_ADMIN1 && t != T_BILLING)
			continue;
		ck_assert_int_eq(t_login(t_sql_valuef("SELECT email FROM users WHERE id = %ld",
		    o->uid[t]), T_MEMBER_PASSWORD, o->cookie[t], sizeof(o->cookie[t])), 303);
	}
	t_apikey_new(o->id, "admin", o->key, sizeof(o->key));
}

/* Every membership back to its baseline role, active. */
static void
org_reset(const struct org *o)
{
	int t;

	for (t = 0; t < T__MAX; t++)
		t_sqlf("UPDATE memberships SET role = '%s', status = 'active' WHERE org_id = %ld"
		    " AND user_id = %ld", baseline[t], o->id, o->uid[t]);
}

/* The acting session's person. */
static enum target
actor_person(enum actor a)
{
	switch (a) {
	case A_OWNER: case A_OWNER_API: return T_OWNER1;
	case A_ADMIN: case A_ADMIN_API: return T_ADMIN1;
	case A_BILLING: return T_BILLING;
	case A_KEY: default: return T__MAX;
	}
}

/*
 * Change target's role to role ("remove": remove them) as actor: the
 * HTTP status; the answer into r.
 */
static long
change(const struct org *o, enum actor a, long uid, const char *role, struct t_resp *r)
{
	char path[160], body[160], csrf[64], hcsrf[96];
	const char *extra[2] = { hcsrf, NULL };
	enum target p = actor_person(a);

	if (a == A_KEY) {
		snprintf(path, sizeof(path), API "/%ld/members/%ld/role", o->id, uid);
		snprintf(body, sizeof(body), "{\"role\":\"%s\"}", role);
		return t_json_as(o->key, "POST", path, body, NULL, r);
	}
	t_csrf(o->cookie[p], csrf);
	if (a == A_OWNER_API || a == A_ADMIN_API) {
		snprintf(path, sizeof(path), API "/%ld/members/%ld/role", o->id, uid);
		snprintf(body, sizeof(body), "{\"role\":\"%s\"}", role);
		snprintf(hcsrf, sizeof(hcsrf), "X-CSRF-Token: %s", csrf);
		return t_call(o->cookie[p], NULL, "POST", path, body, "application/json", extra, r);
	}
	if (strcmp(role, "remove") == 0) {
		snprintf(path, sizeof(path), "/members/%ld/remove", uid);
		snprintf(body, sizeof(body), "csrf=%s", csrf);
	} else {
		snprintf(path, sizeof(path), "/members/%ld/role", uid);
		snprintf(body, sizeof(body), "csrf=%s&role=%s", csrf, role);
	}
	return t_form_as(o->cookie[p], path, body, NULL, r);
}

/* target's membership afterwards: "<role>" or "removed". */
static const char *
standing(const struct org *o, long uid)
{
	return t_sql_valuef("SELECT CASE WHEN status = 'removed' THEN 'removed' ELSE role END"
	    " FROM memberships WHERE org_id = %ld AND user_id = %ld", o->id, uid);
}

struct row {
	enum actor actor;
	enum target target;
	const char *role;	/* the new role, or "remove" */
	long status;		/* the answer */
	const char *code;	/* the API's error code (NULL: none checked) */
};

/*
 * Run the table rows on o (reset to the baseline before each, with the
 * baseline changed by prep when not NULL): each answer and the member's
 * standing afterwards (the new one when allowed, the old one when not).
 */
static void
run_rows(struct org *o, const struct row *rows, size_t n, void (*prep)(const struct org *))
{
	char want[32], got[32], why[256];
	struct t_resp r;
	size_t i;
	int failures = 0;

	for (i = 0; i < n; i++) {
		const struct row *w = &rows[i];
		enum target t = w->target == T_SELF ? actor_person(w->actor) : w->target;
		long uid = o->uid[t], status;
		int allowed = w->status == 200 || w->status == 303;

		org_reset(o);
		if (prep != NULL)
			prep(o);
		t_reset_rate_limits();
		snprintf(want, sizeof(want), "%s", standing(o, uid));
		if (allowed)
			snprintf(want, sizeof(want), "%s",
			    strcmp(w->role, "remove") == 0 ? "removed" : w->role);
		status = change(o, w->actor, uid, w->role, &r);
		snprintf(got, sizeof(got), "%s", standing(o, uid));
		snprintf(why, sizeof(why), "row %zu (actor %d, target %d, %s): status %ld want %ld,"
		    " standing %s want %s", i, (int)w->actor, (int)w->target, w->role, status,
		    w->status, got, want);
		if (status != w->status || strcmp(got, want) != 0) {
			fprintf(stderr, "%s\n", why);
			failures++;
		} else if (w->code != NULL) {
			char c[64];

			snprintf(c, sizeof(c), "\"code\":\"%s\"", w->code);
			if (r.body.data == NULL || strstr(r.body.data, c) == NULL) {
				fprintf(stderr, "%s: no %s in %s\n", why, c,
				    r.body.data ? r.body.data : "");
				failures++;
			}
		}
		t_resp_free(&r);
	}
	ck_assert_msg(failures == 0, "%d of %zu rows differ (see stderr)", failures, n);
}

/* actor × target × new role → answer, with two owners (none is the last). */
static const struct row role_rows[] = {
	/* Owners change anyone, owners included. */
	{ A_OWNER, T_OWNER2, "admin", 303, NULL },
	{ A_OWNER, T_OWNER2, "remove", 303, NULL },
	{ A_OWNER, T_ADMIN2, "owner", 303, NULL },
	{ A_OWNER, T_MEMBER, "admin", 303, NULL },
	{ A_OWNER, T_BILLING, "remove", 303, NULL },
	{ A_OWNER, T_SELF, "member", 303, NULL },	/* another owner remains */
	{ A_OWNER_API, T_ADMIN2, "owner", 200, NULL },
	{ A_OWNER_API, T_OWNER2, "billing", 200, NULL },
	/* Admins: up to admin, never to or from owner, never themselves upward. */
	{ A_ADMIN, T_MEMBER, "admin", 303, NULL },
	{ A_ADMIN, T_MEMBER, "owner", 403, NULL },
	{ A_ADMIN, T_ADMIN2, "billing", 303, NULL },
	{ A_ADMIN, T_ADMIN2, "owner", 403, NULL },
	{ A_ADMIN, T_OWNER2, "admin", 403, NULL },
	{ A_ADMIN, T_OWNER2, "remove", 403, NULL },
	{ A_ADMIN, T_SELF, "owner", 403, NULL },
	{ A_ADMIN, T_SELF, "member", 303, NULL },
	{ A_ADMIN, T_BILLING, "remove", 303, NULL },
	{ A_ADMIN, T_ADMIN2, "remove", 303, NULL },
	{ A_ADMIN_API, T_MEMBER, "owner", 403, "owner_required" },
	{ A_ADMIN_API, T_BILLING, "admin", 200, NULL },
	/* Billing members manage nobody (the gate). */
	{ A_BILLING, T_MEMBER, "admin", 403, NULL },
	{ A_BILLING, T_SELF, "admin", 403, NULL },
	{ A_BILLING, T_MEMBER, "remove", 403, NULL },
	/* An admin-scope key is an admin. */
	{ A_KEY, T_MEMBER, "admin", 200, NULL },
	{ A_KEY, T_BILLING, "member", 200, NULL },
	{ A_KEY, T_MEMBER, "owner", 403, "owner_required" },
	{ A_KEY, T_OWNER2, "member", 403, "owner_required" },
	{ A_KEY, T_ADMIN2, "owner", 403, "owner_required" },
};

START_TEST(role_changes_follow_the_table)
{
	struct org o;

	org_new(&o, "roles");
	run_rows(&o, role_rows, sizeof(role_rows) / sizeof(role_rows[0]), NULL);
}
END_TEST

/* owner2 is an admin here: owner1 is the last active owner. */
static void
one_owner(const struct org *o)
{
	t_sqlf("UPDATE memberships SET role = 'admin' WHERE org_id = %ld AND user_id = %ld", o->id,
	    o->uid[T_OWNER2]);
}

static const struct row last_owner_rows[] = {
	{ A_OWNER, T_SELF, "admin", 409, NULL },
	{ A_OWNER, T_SELF, "remove", 409, NULL },
	{ A_OWNER_API, T_SELF, "member", 409, "last_owner" },
	{ A_ADMIN, T_OWNER1, "member", 403, NULL },
	{ A_KEY, T_OWNER1, "admin", 403, "owner_required" },
	{ A_OWNER, T_OWNER2, "owner", 303, NULL },	/* a second owner may be made */
};

START_TEST(last_owner_stays)
{
	struct org o;

	char args[160];

	org_new(&o, "roles-last");
	run_rows(&o, last_owner_rows, sizeof(last_owner_rows) / sizeof(last_owner_rows[0]),
	    one_owner);
	/* Operators too: `orgbill member add` cannot demote the last owner. */
	org_reset(&o);
	one_owner(&o);
	snprintf(args, sizeof(args), "member add --org %ld --user %ld --role member", o.id,
	    o.uid[T_OWNER1]);
	ck_assert_int_ne(t_cli(args, NULL, NULL, 0), 0);
	ck_assert_str_eq(standing(&o, o.uid[T_OWNER1]), "owner");
	snprintf(args, sizeof(args), "member add --org %ld --user %ld --role owner", o.id,
	    o.uid[T_OWNER2]);
	ck_assert_int_eq(t_cli(args, NULL, NULL, 0), 0);
	ck_assert_str_eq(standing(&o, o.uid[T_OWNER2]), "owner");
}
END_TEST

/* Inviting: actor × invited role → answer. */
struct invite_row {
	enum actor actor;
	const char *role;
	long status;
	const char *code;
};

static const struct invite_row invite_rows[] = {
	{ A_OWNER, "owner", 303, NULL },
	{ A_OWNER, "admin", 303, NULL },
	{ A_ADMIN, "owner", 403, NULL },
	{ A_ADMIN, "admin", 303, NULL },
	{ A_ADMIN, "member", 303, NULL },
	{ A_BILLING, "member", 403, NULL },
	{ A_KEY, "owner", 403, "owner_required" },
	{ A_KEY, "admin", 201, NULL },
	{ A_KEY, "billing", 201, NULL },
};

START_TEST(inviting_follows_the_table)
{
	struct org o;
	struct t_resp r;
	size_t i;
	int failures = 0;

	org_new(&o, "roles-inv");
	for (i = 0; i < sizeof(invite_rows) / sizeof(invite_rows[0]); i++) {
		const struct invite_row *w = &invite_rows[i];
		char email[128], body[256], path[96], csrf[64];
		long status;

		snprintf(email, sizeof(email), "inv-%zu-%d-%ld@roles.test", i, (int)getpid(),
		    (long)time(NULL));
		t_reset_rate_limits();
		if (w->actor == A_KEY) {
			snprintf(path, sizeof(path), API "/%ld/members", o.id);
			snprintf(body, sizeof(body), "{\"email\":\"%s\",\"role\":\"%s\"}", email, w->role);
			status = t_json_as(o.key, "POST", path, body, NULL, &r);
		} else {
			t_csrf(o.cookie[actor_person(w->actor)], csrf);
			snprintf(body, sizeof(body), "csrf=%s&email=%s&role=%s", csrf, email, w->role);
			status = t_form_as(o.cookie[actor_person(w->actor)], "/members/invite", body,
			    NULL, &r);
		}
		if (status != w->status || (w->code != NULL && (r.body.data == NULL ||
		    strstr(r.body.data, w->code) == NULL))) {
			fprintf(stderr, "invite row %zu: status %ld want %ld\n", i, status, w->status);
			failures++;
		}
		t_resp_free(&r);
		/* An invitation exists exactly when the answer allowed it. */
		if (strcmp(t_sql_valuef("SELECT count(*) FROM invitations WHERE email = '%s'"
		    " AND role = '%s'", email, w->role), w->status < 400 ? "1" : "0") != 0) {
			fprintf(stderr, "invite row %zu: invitation rows differ\n", i);
			failures++;
		}
	}
	ck_assert_msg(failures == 0, "%d invite rows differ (see stderr)", failures);
}
END_TEST

/*
 * Accepting checks the rules again against the role the inviter holds at
 * acceptance: an owner's invitation as owner makes an owner; once the
 * inviter is only an admin (the membership row is edited, so the
 * invitation stays open), the same kind of invitation makes nobody.
 */
START_TEST(accepting_checks_the_inviter)
{
	struct org o;
	char email[2][128], tok[2][44], body[512], path[96], login[128], hcookie[200];
	const char *hdr[3], *v;
	struct t_resp r;
	int i;

	org_new(&o, "roles-acc");
	for (i = 0; i < 2; i++) {
		char csrf[64];

		snprintf(email[i], sizeof(email[i]), "acc-%d-%d-%ld@roles.test", i, (int)getpid(),
		    (long)time(NULL));
		t_csrf(o.cookie[T_OWNER1], csrf);
		snprintf(body, sizeof(body), "csrf=%s&email=%s&role=owner", csrf, email[i]);
		ck_assert_int_eq(t_form_as(o.cookie[T_OWNER1], "/members/invite", body, NULL, NULL), 303);
		v = t_sql_valuef("SELECT substring(body from '/invite/([A-Za-z0-9_-]{43})') FROM outbox"
		    " WHERE to_addr = '%s' ORDER BY id DESC LIMIT 1", email[i]);
		ck_assert_ptr_nonnull(v);
		snprintf(tok[i], sizeof(tok[i]), "%s", v);
	}
	for (i = 0; i < 2; i++) {
		if (i == 1)
			t_sqlf("UPDATE memberships SET role = 'admin' WHERE org_id = %ld"
			    " AND user_id = %ld", o.id, o.uid[T_OWNER1]);
		snprintf(path, sizeof(path), "/invite/%s", tok[i]);
		ck_assert_int_eq(t_invite_get(NULL, tok[i], &r), 200);
		v = strstr(r.headers.data, "__Host-ob_login=");
		ck_assert_ptr_nonnull(v);
		snprintf(login, sizeof(login), "%.*s", (int)strcspn(v + 16, ";\r\n"), v + 16);
		t_resp_free(&r);
		snprintf(hcookie, sizeof(hcookie), "Cookie: __Host-ob_login=%s", login);
		hdr[0] = hcookie;
		hdr[1] = "Content-Type: application/x-www-form-urlencoded";
		hdr[2] = NULL;
		snprintf(body, sizeof(body), "login_token=%s&name=Acceptor&password=long-enough-pass-%d",
		    login, i);
		ck_assert_int_eq(t_http(NULL, "POST", path, body, strlen(body), hdr, &r), 0);
		ck_assert_int_eq(r.status, i == 0 ? 303 : 403);
		t_resp_free(&r);
	}
	ck_assert_str_eq(t_sql_valuef("SELECT m.role FROM memberships m JOIN users u ON u.id = m.user_id"
	    " WHERE m.org_id = %ld AND u.email = '%s'", o.id, email[0]), "owner");
	ck_assert_str_eq(t_sql_valuef("SELECT count(*) FROM users WHERE email = '%s'", email[1]), "0");
	ck_assert_str_eq(t_sql_valuef("SELECT count(*) FROM invitations WHERE email = '%s'"
	    " AND accepted_at IS NULL", email[1]), "1");
}
END_TEST

Suite *invites_roles_suite(void)
{
	return t_suite("invites_roles", 240, T_TESTS(role_changes_follow_the_table, last_owner_stays,
	    inviting_follows_the_table, accepting_checks_the_inviter));
}
