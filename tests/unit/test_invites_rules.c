/*
 * The role rules on their own (identity/roles.h), including what no HTTP
 * path can reach because the gate refuses first: own_role_upward for an
 * admin or a billing member. Expected answers from docs/SECURITY.md.
 */
#include <check.h>
#include <stddef.h>
#include <string.h>

#include "identity/roles.h"
#include "unit/unit.h"

#define O OB_ROLE_OWNER
#define A OB_ROLE_ADMIN
#define B OB_ROLE_BILLING
#define M OB_ROLE_MEMBER
#define N OB_ROLE_NONE	/* from: joining; to: removal */

struct rule_row {
	int system;
	enum ob_role actor;
	int self;
	enum ob_role from, to;
	int last_owner;
	const char *code;	/* NULL: allowed */
};

static const struct rule_row rows[] = {
	{ 0, O, 0, M, O, 0, NULL },
	{ 0, O, 0, O, M, 0, NULL },
	{ 0, O, 0, O, N, 0, NULL },
	{ 0, O, 1, O, A, 0, NULL },		/* another owner remains */
	{ 0, O, 1, O, A, 1, "last_owner" },
	{ 0, O, 1, O, N, 1, "last_owner" },
	{ 0, O, 0, O, O, 1, NULL },		/* owner to owner: no change */
	{ 0, O, 0, N, O, 0, NULL },		/* invite an owner */
	{ 0, A, 0, N, O, 0, "owner_required" },
	{ 0, A, 0, N, A, 0, NULL },
	{ 0, A, 0, M, A, 0, NULL },
	{ 0, A, 0, M, O, 0, "owner_required" },
	{ 0, A, 0, O, A, 0, "owner_required" },
	{ 0, A, 0, O, N, 0, "owner_required" },
	{ 0, A, 0, A, M, 0, NULL },
	{ 0, A, 1, A, O, 0, "owner_required" },
	{ 0, A, 1, A, M, 0, NULL },
	{ 0, A, 1, B, A, 0, "own_role_upward" },	/* standing read before a change */
	{ 0, A, 1, M, B, 0, "own_role_upward" },
	{ 0, B, 0, M, B, 0, "forbidden" },
	{ 0, M, 0, M, N, 0, "forbidden" },
	{ 0, N, 0, M, A, 0, "forbidden" },
	{ 1, N, 0, M, O, 0, NULL },		/* the system (CLI) */
	{ 1, N, 0, O, M, 1, "last_owner" },
	{ 1, N, 0, O, N, 1, "last_owner" },
};

START_TEST(role_rules_table)
{
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct rule_row *w = &rows[i];
		struct ob_role_change c = { w->system, w->actor, w->self, w->from, w->to,
			w->last_owner };
		struct ob_fail f = { 0 };
		int rc = ob_role_change_check(&c, &f);

		if (w->code == NULL) {
			ck_assert_msg(rc == 0, "row %zu refused with %s", i, f.code);
		} else {
			ck_assert_msg(rc == -1 && f.code != NULL && strcmp(f.code, w->code) == 0,
			    "row %zu: want %s, got %s", i, w->code, rc == 0 ? "allowed" : f.code);
			ck_assert_int_eq(f.kind, strcmp(w->code, "last_owner") == 0 ?
			    OB_FAIL_CONFLICT : OB_FAIL_FORBIDDEN);
		}
	}
}
END_TEST

START_TEST(role_actor_of_principals)
{
	struct ob_principal p;
	struct ob_actx ax = { 0 };
	struct ob_role_change c;

	ob_role_actor(&ax, 7, &c);
	ck_assert_int_eq(c.system, 1);
	memset(&p, 0, sizeof(p));
	ax.who = &p;
	p.kind = OB_PRINCIPAL_KEY;
	p.key_org_id = 7;
	p.scopes = OB_SCOPE_READ | OB_SCOPE_ADMIN;
	ob_role_actor(&ax, 7, &c);
	ck_assert_int_eq(c.system, 0);
	ck_assert_int_eq(c.actor, OB_ROLE_ADMIN);
	p.scopes = OB_SCOPE_WRITE;
	ob_role_actor(&ax, 7, &c);
	ck_assert_int_eq(c.actor, OB_ROLE_NONE);
	p.scopes = OB_SCOPE_ADMIN;
	ob_role_actor(&ax, 8, &c);	/* another org's key */
	ck_assert_int_eq(c.actor, OB_ROLE_NONE);
	p.kind = OB_PRINCIPAL_USER;
	p.org_id = 7;
	p.role = OB_ROLE_OWNER;
	ob_role_actor(&ax, 7, &c);
	ck_assert_int_eq(c.actor, OB_ROLE_OWNER);
	ob_role_actor(&ax, 8, &c);	/* a standing in another org counts for nothing */
	ck_assert_int_eq(c.actor, OB_ROLE_NONE);
}
END_TEST

Suite *invites_rules_suite(void)
{
	return t_suite("invites_rules", 10, T_TESTS(role_rules_table, role_actor_of_principals));
}
