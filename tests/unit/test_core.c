/*
 * Unit tests for the small core modules: arena, buf, json, cfg, stmt.
 */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/arena.h"
#include "base/buf.h"
#include "base/cfg.h"
#include "base/json.h"
#include "base/stmt.h"
#include "unit/unit.h"

START_TEST(arena_alloc_reset)
{
	struct ob_arena *a = ob_arena_new();
	char *big, *s;
	size_t i;

	s = ob_arena_strdup(a, "hello");
	ck_assert_str_eq(s, "hello");
	ck_assert_ptr_null(ob_arena_strdup(a, NULL));
	/* Larger than one block: gets a block of its own. */
	big = ob_arena_alloc(a, 100000);
	memset(big, 'x', 100000);
	for (i = 0; i < 1000; i++)
		ck_assert_ptr_nonnull(ob_arena_alloc(a, 100));
	ck_assert_uint_ge(ob_arena_used(a), 100000 + 1000 * 100);
	ck_assert_str_eq(ob_arena_printf(a, "%d-%s", 42, "x"), "42-x");
	ck_assert_str_eq(ob_arena_strndup(a, "abcdef", 3), "abc");
	ob_arena_reset(a);
	ck_assert_uint_eq(ob_arena_used(a), 0);
	s = ob_arena_calloc(a, 64);
	for (i = 0; i < 64; i++)
		ck_assert_int_eq(s[i], 0);
	/* Alignment for any type. */
	ck_assert_uint_eq((uintptr_t)ob_arena_alloc(a, 3) % _Alignof(max_align_t), 0);
	ck_assert_uint_eq((uintptr_t)ob_arena_alloc(a, 5) % _Alignof(max_align_t), 0);
	ob_arena_free(a);
}
END_TEST

START_TEST(buf_append_and_escape)
{
	struct ob_buf b = OB_BUF_INIT;
	int i;

	for (i = 0; i < 1000; i++)
		ob_buf_puts(&b, "ab");
	ck_assert_uint_eq(b.len, 2000);
	ck_assert_uint_eq(strlen(b.data), 2000);
	ob_buf_reset(&b);
	ob_buf_put_html(&b, "<a href=\"x\">Tom & Jerry's</a>", 29);
	ck_assert_str_eq(b.data,
	    "&lt;a href=&quot;x&quot;&gt;Tom &amp; Jerry&#39;s&lt;/a&gt;");
	ob_buf_reset(&b);
	ob_buf_printf(&b, "%s=%ld", "n", 12345678901L);
	ck_assert_str_eq(b.data, "n=12345678901");
	ob_buf_free(&b);
	ck_assert_ptr_null(b.data);
}
END_TEST

START_TEST(json_escape_and_error)
{
	struct ob_buf b = OB_BUF_INIT;

	ob_json_put_strn(&b, "a\"b\\c\n\x01", 7);
	ck_assert_str_eq(b.data, "\"a\\\"b\\\\c\\n\\u0001\"");
	ob_buf_reset(&b);
	ob_json_put_error(&b, "invalid_request_error", "bad", "It's \"bad\"", NULL);
	ck_assert_str_eq(b.data, "{\"error\":{\"type\":\"invalid_request_error\","
	    "\"code\":\"bad\",\"message\":\"It's \\\"bad\\\"\",\"param\":null}}");
	ob_buf_reset(&b);
	ob_json_put_error(&b, "t", "c", "m", "amount");
	ck_assert_ptr_nonnull(strstr(b.data, "\"param\":\"amount\""));
	ob_buf_free(&b);
}
END_TEST

static char cfg_path[64];

static void
cfg_write(const char *text)
{
	FILE *f;
	int fd;

	strcpy(cfg_path, "/tmp/ob-cfg-XXXXXX");
	fd = mkstemp(cfg_path);
	ck_assert_int_ge(fd, 0);
	f = fdopen(fd, "w");
	fputs(text, f);
	fclose(f);
}

START_TEST(cfg_file_env_precedence)
{
	struct ob_cfg c;
	struct ob_buf b = OB_BUF_INIT;
	char err[256];

	unsetenv("ORGBILL_CONFIG");
	unsetenv("ORGBILL_APP_WORKERS");
	unsetenv("DATABASE_URL");
	unsetenv("STRIPE_SECRET_KEY");
	cfg_write("# comment\n\nexport DATABASE_URL='postgresql:///x'\n"
	    "ORGBILL_APP_WORKERS = 7\nSTRIPE_SECRET_KEY=\"sk_test_123\"\n"
	    "UNRELATED_VAR=1\n");
	ck_assert_int_eq(ob_cfg_load(&c, cfg_path, err, sizeof(err)), 0);
	ck_assert_str_eq(c.database_url, "postgresql:///x");
	ck_assert_int_eq(c.app_workers, 7);
	ck_assert_int_eq(c.body_limit, 1048576);
	ob_cfg_dump(&c, &b);
	/* Secrets are never printed. */
	ck_assert_ptr_null(strstr(b.data, "sk_test_123"));
	ck_assert_ptr_nonnull(strstr(b.data, "STRIPE_SECRET_KEY=(set, hidden)"));
	ob_buf_free(&b);
	ob_cfg_free(&c);

	/* The environment wins over the file. */
	setenv("ORGBILL_APP_WORKERS", "3", 1);
	setenv("ORGBILL_CONFIG", cfg_path, 1);
	ck_assert_int_eq(ob_cfg_load(&c, NULL, err, sizeof(err)), 0);
	ck_assert_int_eq(c.app_workers, 3);
	ck_assert_str_eq(c.database_url, "postgresql:///x");
	ob_cfg_free(&c);
	unsetenv("ORGBILL_APP_WORKERS");
	unsetenv("ORGBILL_CONFIG");
	unlink(cfg_path);
}
END_TEST

START_TEST(cfg_rejects_bad_values)
{
	struct ob_cfg c;
	char err[256];

	unsetenv("ORGBILL_CONFIG");
	setenv("ORGBILL_APP_WORKERS", "0", 1);
	ck_assert_int_eq(ob_cfg_load(&c, NULL, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "ORGBILL_APP_WORKERS"));
	setenv("ORGBILL_APP_WORKERS", "4x", 1);
	ck_assert_int_eq(ob_cfg_load(&c, NULL, err, sizeof(err)), -1);
	unsetenv("ORGBILL_APP_WORKERS");

	/* A misspelt setting of ours is an error, not silently ignored. */
	cfg_write("ORGBILL_APP_WORKRES=2\n");
	ck_assert_int_eq(ob_cfg_load(&c, cfg_path, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "unknown setting ORGBILL_APP_WORKRES"));
	unlink(cfg_path);
	cfg_write("just words\n");
	ck_assert_int_eq(ob_cfg_load(&c, cfg_path, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, ":1: expected NAME=value"));
	unlink(cfg_path);
	ck_assert_int_eq(ob_cfg_load(&c, "/nonexistent/orgbill.env", err, sizeof(err)), -1);
}
END_TEST

START_TEST(stmt_table_complete)
{
	int i, j;

	for (i = 0; i < OB_STMT__MAX; i++) {
		ck_assert_msg(ob_stmts[i].name != NULL && ob_stmts[i].sql != NULL,
		    "statement %d has no row", i);
		ck_assert_int_ge(ob_stmts[i].nparams, 0);
		/* The parameter count matches the highest $N in the SQL. */
		{
			const char *p = ob_stmts[i].sql;
			int hi = 0;

			while ((p = strchr(p, '$')) != NULL) {
				int n = atoi(p + 1);

				if (n > hi)
					hi = n;
				p++;
			}
			ck_assert_msg(hi == ob_stmts[i].nparams,
			    "%s: nparams %d but uses $%d", ob_stmts[i].name,
			    ob_stmts[i].nparams, hi);
		}
		for (j = 0; j < i; j++)
			ck_assert_str_ne(ob_stmts[i].name, ob_stmts[j].name);
	}
}
END_TEST

Suite *core_suite(void)
{
	return t_suite("core", 0, T_TESTS(arena_alloc_reset, buf_append_and_escape,
	    json_escape_and_error, cfg_file_env_precedence, cfg_rejects_bad_values,
	    stmt_table_complete));
}
