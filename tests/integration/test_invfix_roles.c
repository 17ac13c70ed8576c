/*
 * A role change checks the rules against the role the actor holds when
 * the change runs, not the one read when the request began
 * (docs/SECURITY.md, "Roles and who may change them"). Deterministic stand-in
 * for two owners demoting each other at the same moment: the actor's
 * standing is loaded as a request loads it, another change commits, then
 * the request's change runs. Expected answers are written from the rules.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/db.h"
#include "identity/org.h"
#include "identity/principal.h"
#include "integration/harness.h"
#include "unit/unit.h"

/* A request's principal for uid in org, its standing loaded now. */
static void
principal_now(struct ob_db *db, long org, long uid, struct ob_principal *p)
{
	memset(p, 0, sizeof(*p));
	p->kind = OB_PRINCIPAL_USER;
	p->user_id = uid;
	ck_assert_int_eq(ob_member_standing(db, org, p), 0);
}

static const char *
role_of(long org, long uid)
{
	return t_sql_valuef("SELECT CASE WHEN status = 'removed' THEN 'removed' ELSE role END"
	    " FROM memberships WHERE org_id = %ld AND user_id = %ld", org, uid);
}

/* Three owners; A and B each load their standing, then each demotes the other. */
START_TEST(owners_demoting_each_other_one_wins)
{
	struct ob_db db;
	struct ob_principal pa, pb;
	struct ob_actx axa = { 0 }, axb = { 0 };
	struct ob_fail f = { 0 };
	long org = t_org_new("invfix-race", NULL, NULL);
	long a = t_member_new(org, "owner", NULL), b = t_member_new(org, "owner", NULL);

	(void)t_member_new(org, "owner", NULL);
	t_db_open(&db);
	principal_now(&db, org, a, &pa);
	principal_now(&db, org, b, &pb);
	ck_assert_int_eq(pa.role, OB_ROLE_OWNER);
	ck_assert_int_eq(pb.role, OB_ROLE_OWNER);
	axa.db = axb.db = &db;
	axa.who = &pa;
	axb.who = &pb;
	ck_assert_int_eq(ob_member_set_role(&axa, org, b, "member", &f), 0);
	/* B's request began as an owner; B is a member now. */
	ck_assert_int_eq(ob_member_set_role(&axb, org, a, "member", &f), -1);
	ck_assert_str_eq(f.code, "forbidden");
	ck_assert_str_eq(role_of(org, a), "owner");
	ck_assert_str_eq(role_of(org, b), "member");
	ck_assert_int_eq(ob_member_remove(&axb, org, a, &f), -1);
	ck_assert_str_eq(role_of(org, a), "owner");
	ob_db_close(&db);
}
END_TEST

/* Demoted (here by SQL) between loading and acting: an owner now admin grants no owner. */
START_TEST(actor_demoted_after_loading_is_checked_as_now)
{
	struct ob_db db;
	struct ob_principal p;
	struct ob_actx ax = { 0 };
	struct ob_fail f = { 0 };
	long org = t_org_new("invfix-stale", NULL, NULL);
	long a = t_member_new(org, "owner", NULL), m = t_member_new(org, "member", NULL);

	(void)t_member_new(org, "owner", NULL);
	t_db_open(&db);
	principal_now(&db, org, a, &p);
	ax.db = &db;
	ax.who = &p;
	t_sqlf("UPDATE memberships SET role = 'admin' WHERE org_id = %ld AND user_id = %ld", org, a);
	ck_assert_int_eq(ob_member_set_role(&ax, org, m, "owner", &f), -1);
	ck_assert_str_eq(f.code, "owner_required");
	ck_assert_str_eq(role_of(org, m), "member");
	/* What an admin may do still works. */
	ck_assert_int_eq(ob_member_set_role(&ax, org, m, "billing", &f), 0);
	ck_assert_str_eq(role_of(org, m), "billing");
	/* Removed meanwhile: nothing. */
	t_sqlf("UPDATE memberships SET status = 'removed' WHERE org_id = %ld AND user_id = %ld",
	    org, a);
	ck_assert_int_eq(ob_member_set_role(&ax, org, m, "member", &f), -1);
	ck_assert_str_eq(f.code, "forbidden");
	ck_assert_int_eq(ob_member_add(&ax, org, a, "owner", NULL, &f), -1);
	ck_assert_str_eq(role_of(org, m), "billing");
	ck_assert_str_eq(role_of(org, a), "removed");
	ob_db_close(&db);
}
END_TEST

Suite *invfix_roles_suite(void)
{
	return t_suite("invfix_roles", 60, T_TESTS(owners_demoting_each_other_one_wins,
	    actor_demoted_after_loading_is_checked_as_now));
}
