/*
 * The demo data set stays in the demo: `orgbill seed-demo` refuses a
 * database deploy/stack.sh did not make for the demo, and the demo staff
 * login's password is random per stack, printed with the other logins.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "integration/harness.h"
#include "unit/unit.h"

/* Run the CLI with args; its stdout and stderr into out. Its exit status. */
static int
cli_all(const char *args, char *out, size_t len)
{
	char cmd[1024];
	size_t n;
	FILE *p;
	int st;

	snprintf(cmd, sizeof(cmd), "%s/orgbill %s </dev/null 2>&1", t_env("OB_TEST_BIN_DIR"), args);
	ck_assert_ptr_nonnull(p = popen(cmd, "r"));
	n = fread(out, 1, len - 1, p);
	out[n] = '\0';
	while (fgetc(p) != EOF)
		;
	st = pclose(p);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

#define SET_COMMENT(x) \
	"DO $$ BEGIN EXECUTE format('COMMENT ON DATABASE %I IS " x "', current_database()); END $$"

START_TEST(seed_demo_refuses_a_database_not_made_for_it)
{
	char out[4096], before[32];

	snprintf(before, sizeof(before), "%s",
	    t_sql_value("SELECT count(*) FROM api_keys WHERE name = 'demo'"));
	/* The stack's database carries the demo's mark: take it away. */
	t_sql(SET_COMMENT("NULL"));
	ck_assert_int_eq(cli_all("seed-demo", out, sizeof(out)), 1);
	ck_assert_msg(strstr(out, "not made for the demo") != NULL, "seed-demo said: %s", out);
	/* Nothing was written: the demo key was not replaced. */
	ck_assert_str_eq(t_sql_value("SELECT count(*) FROM api_keys WHERE name = 'demo'"), before);
	/* Another comment is no mark either. */
	t_sql(SET_COMMENT("''production''"));
	ck_assert_int_eq(cli_all("seed-demo", out, sizeof(out)), 1);
	ck_assert_str_eq(t_sql_value("SELECT count(*) FROM api_keys WHERE name = 'demo'"), before);
	t_sql(SET_COMMENT("''orgbill demo database (deploy/stack.sh)''"));
}
END_TEST

START_TEST(demo_staff_password_is_random_and_printed)
{
	const char *pw = t_env("OB_TEST_STAFF_PASSWORD");
	char path[1024], line[512], cookie[128];
	int found = 0;
	FILE *f;

	ck_assert_uint_ge(strlen(pw), 16);
	ck_assert_str_ne(pw, T_DEMO_PASSWORD);
	t_reset_rate_limits();
	/* The published demo password does not open the staff console. */
	ck_assert_int_ne(t_login(T_STAFF_EMAIL, T_DEMO_PASSWORD, cookie, sizeof(cookie)), 303);
	ck_assert_int_eq(t_login(T_STAFF_EMAIL, pw, cookie, sizeof(cookie)), 303);
	/* seed-demo printed it with the logins. */
	snprintf(path, sizeof(path), "%s/demo-logins.txt", t_env("OB_TEST_RUN_DIR"));
	ck_assert_ptr_nonnull(f = fopen(path, "r"));
	while (fgets(line, sizeof(line), f) != NULL)
		if (strstr(line, T_STAFF_EMAIL) != NULL && strstr(line, pw) != NULL)
			found = 1;
	fclose(f);
	ck_assert_msg(found, "the staff password is not among the printed logins");
	t_reset_rate_limits();
}
END_TEST

Suite *authz_demo_suite(void)
{
	return t_suite("authz_demo", 60, T_TESTS(seed_demo_refuses_a_database_not_made_for_it,
	    demo_staff_password_is_random_and_printed));
}
