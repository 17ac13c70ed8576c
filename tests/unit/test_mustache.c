/*
 * Unit tests for core/mustache.c and core/tmpl.c.
 *
 * The official Mustache spec is read at run time from the JSON files in
 * $OB_MUSTACHE_SPEC_DIR (default ../shared/mustache-spec, relative to the
 * project root the runner starts in); it is never copied into the tree.
 * Required: interpolation, sections, inverted, comments, delimiters,
 * partials and ~inheritance. Skipped on purpose: ~lambdas.json (lambdas
 * need code in the data, which JSON data cannot carry) and
 * ~dynamic-names.json (not implemented).
 *
 * Set OB_MUSTACHE_SPEC_VERBOSE=1 to print the pass count of each file.
 */
#include <check.h>

#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cJSON.h>

#include "base/buf.h"
#include "base/json.h"
#include "base/mustache.h"
#include "base/tmpl.h"
#include "unit/unit.h"

static char *
slurp(const char *path)
{
	FILE *f;
	char *p = NULL;
	long n;

	if ((f = fopen(path, "rb")) == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 &&
	    fseek(f, 0, SEEK_SET) == 0) {
		p = malloc((size_t)n + 1);
		if (p != NULL && fread(p, 1, (size_t)n, f) != (size_t)n) {
			free(p);
			p = NULL;
		} else if (p != NULL) {
			p[n] = '\0';
		}
	}
	fclose(f);
	return p;
}

/* Partials from a spec case's "partials" object. */
static int
json_partial(void *ud, const char *name, size_t len, const char **tpl,
    size_t *tpl_len)
{
	const cJSON *it;

	for (it = ud ? ((const cJSON *)ud)->child : NULL; it; it = it->next) {
		if (it->string && strlen(it->string) == len &&
		    memcmp(it->string, name, len) == 0 &&
		    cJSON_IsString(it)) {
			*tpl = it->valuestring;
			*tpl_len = strlen(it->valuestring);
			return 0;
		}
	}
	return -1;
}

/* A string as a JSON literal, so whitespace differences are visible. */
static void
print_quoted(const char *label, const char *s)
{
	cJSON *j = cJSON_CreateString(s ? s : "");
	char *p = cJSON_PrintUnformatted(j);

	fprintf(stderr, "    %-9s %s\n", label, p);
	free(p);
	cJSON_Delete(j);
}

/*
 * Run every case of spec file fname. Returns the number of failures and
 * appends the failing names to failed; *total gets the number of cases
 * (-1 if the file cannot be read).
 */
static int
run_spec(const char *fname, int *total, struct ob_buf *failed)
{
	const char *dir = getenv("OB_MUSTACHE_SPEC_DIR");
	const cJSON *tests, *tc, *name, *data, *tpl, *partials, *expected;
	struct ob_buf out = OB_BUF_INIT;
	char path[1024], err[256];
	cJSON *doc;
	char *text;
	int nfail = 0, rc;

	*total = -1;
	if (dir == NULL || *dir == '\0')
		dir = "../shared/mustache-spec";
	snprintf(path, sizeof(path), "%s/%s", dir, fname);
	if ((text = slurp(path)) == NULL) {
		fprintf(stderr, "mustache spec: cannot read %s\n", path);
		return 1;
	}
	doc = cJSON_Parse(text);
	free(text);
	tests = cJSON_GetObjectItemCaseSensitive(doc, "tests");
	if (!cJSON_IsArray(tests)) {
		fprintf(stderr, "mustache spec: %s: no tests array\n", path);
		cJSON_Delete(doc);
		return 1;
	}
	*total = 0;
	cJSON_ArrayForEach(tc, tests) {
		name = cJSON_GetObjectItemCaseSensitive(tc, "name");
		data = cJSON_GetObjectItemCaseSensitive(tc, "data");
		tpl = cJSON_GetObjectItemCaseSensitive(tc, "template");
		partials = cJSON_GetObjectItemCaseSensitive(tc, "partials");
		expected = cJSON_GetObjectItemCaseSensitive(tc, "expected");
		(*total)++;
		ob_buf_reset(&out);
		err[0] = '\0';
		rc = ob_mustache_render(tpl->valuestring,
		    strlen(tpl->valuestring), data, json_partial,
		    (void *)partials, &out, err, sizeof(err));
		if (rc == 0 && out.len == strlen(expected->valuestring) &&
		    memcmp(out.data ? out.data : "", expected->valuestring,
		    out.len) == 0)
			continue;
		nfail++;
		fprintf(stderr, "mustache spec %s: FAIL \"%s\"\n", fname,
		    name->valuestring);
		print_quoted("template", tpl->valuestring);
		print_quoted("expected", expected->valuestring);
		print_quoted("actual", rc == 0 ? out.data : err);
		ob_buf_printf(failed, "%s\"%s\"", failed->len ? ", " : "",
		    name->valuestring);
	}
	if (getenv("OB_MUSTACHE_SPEC_VERBOSE") != NULL)
		fprintf(stderr, "mustache spec %s: %d/%d passed\n", fname,
		    *total - nfail, *total);
	ob_buf_free(&out);
	cJSON_Delete(doc);
	return nfail;
}

static void
check_spec(const char *fname)
{
	struct ob_buf failed = OB_BUF_INIT;
	char names[1024];
	int total, nfail;

	/* Copied out first: a failed ck_assert does not return. */
	nfail = run_spec(fname, &total, &failed);
	snprintf(names, sizeof(names), "%s", failed.data ? failed.data : "");
	ob_buf_free(&failed);
	ck_assert_msg(total > 0, "%s: spec file missing or empty (set "
	    "OB_MUSTACHE_SPEC_DIR)", fname);
	ck_assert_msg(nfail == 0, "%s: %d of %d cases failed: %s", fname,
	    nfail, total, names);
}

START_TEST(spec_interpolation)
{
	check_spec("interpolation.json");
}
END_TEST

START_TEST(spec_sections)
{
	check_spec("sections.json");
}
END_TEST

START_TEST(spec_inverted)
{
	check_spec("inverted.json");
}
END_TEST

START_TEST(spec_comments)
{
	check_spec("comments.json");
}
END_TEST

START_TEST(spec_delimiters)
{
	check_spec("delimiters.json");
}
END_TEST

START_TEST(spec_partials)
{
	check_spec("partials.json");
}
END_TEST

START_TEST(spec_inheritance)
{
	check_spec("~inheritance.json");
}
END_TEST

/* Render tpl against JSON text data with partials from JSON text parts. */
static int
render(const char *tpl, const char *data, const char *parts,
    struct ob_buf *out, char *err, size_t errlen)
{
	cJSON *d = data ? cJSON_Parse(data) : NULL;
	cJSON *p = parts ? cJSON_Parse(parts) : NULL;
	int rc;

	ob_buf_reset(out);
	rc = ob_mustache_render(tpl, strlen(tpl), d, json_partial, p, out,
	    err, errlen);
	cJSON_Delete(d);
	cJSON_Delete(p);
	return rc;
}

START_TEST(html_escaping)
{
	struct ob_buf out = OB_BUF_INIT;
	char err[128];

	ck_assert_int_eq(render("{{x}}|{{{x}}}|{{&x}}",
	    "{\"x\":\"a&b<c>d\\\"e'f\"}", NULL, &out, err, sizeof(err)), 0);
	ck_assert_str_eq(out.data,
	    "a&amp;b&lt;c&gt;d&quot;e&#39;f|a&b<c>d\"e'f|a&b<c>d\"e'f");
	ob_buf_free(&out);
}
END_TEST

START_TEST(values)
{
	struct ob_buf out = OB_BUF_INIT;
	char err[128];

	ck_assert_int_eq(render("{{a}} {{b}} {{c}} {{d}} {{e}} {{f}} {{g}}",
	    "{\"a\":-7,\"b\":0.5,\"c\":3000000000,\"d\":true,\"e\":false,"
	    "\"f\":[1],\"g\":{}}", NULL, &out, err, sizeof(err)), 0);
	ck_assert_str_eq(out.data, "-7 0.5 3000000000 true false  ");
	/* "" and 0 are truthy; false, null, [] and missing are not. */
	ck_assert_int_eq(render("{{#s}}S{{/s}}{{#z}}Z{{/z}}{{#f}}F{{/f}}"
	    "{{#n}}N{{/n}}{{#l}}L{{/l}}{{#m}}M{{/m}}",
	    "{\"s\":\"\",\"z\":0,\"f\":false,\"n\":null,\"l\":[]}", NULL,
	    &out, err, sizeof(err)), 0);
	ck_assert_str_eq(out.data, "SZ");
	/* A 64-bit integer added as raw digits prints as they are. */
	{
		cJSON *d = cJSON_CreateObject();

		ob_json_add_i64(d, "credits", 9007199254740993LL);
		ob_buf_reset(&out);
		ck_assert_int_eq(ob_mustache_render("[{{credits}}]", 13, d, NULL, NULL, &out,
		    err, sizeof(err)), 0);
		ck_assert_str_eq(out.data, "[9007199254740993]");
		cJSON_Delete(d);
	}
	/* No data at all is an empty context. */
	ck_assert_int_eq(render("[{{x}}{{^x}}none{{/x}}]", NULL, NULL, &out,
	    err, sizeof(err)), 0);
	ck_assert_str_eq(out.data, "[none]");
	ob_buf_free(&out);
}
END_TEST

START_TEST(missing_partial)
{
	struct ob_buf out = OB_BUF_INIT;
	char err[128];

	ck_assert_int_eq(render("a{{>nope}}b\n  {{>nope}}\nc{{<nope}}"
	    "{{$x}}y{{/x}}{{/nope}}d", "{}", "{}", &out, err, sizeof(err)), 0);
	ck_assert_str_eq(out.data, "ab\ncd");
	/* No partial callback at all: the same. */
	ob_buf_reset(&out);
	ck_assert_int_eq(ob_mustache_render("a{{>p}}b", 8, NULL, NULL, NULL,
	    &out, err, sizeof(err)), 0);
	ck_assert_str_eq(out.data, "ab");
	ob_buf_free(&out);
}
END_TEST

START_TEST(size_limit)
{
	struct ob_buf out = OB_BUF_INIT;
	size_t n = OB_MUSTACHE_MAX_TPL + 1;
	char *big = malloc(n + 1), err[128];

	ck_assert_ptr_nonnull(big);
	memset(big, 'x', n);
	big[n] = '\0';
	ck_assert_int_eq(ob_mustache_render(big, n, NULL, NULL, NULL, &out,
	    err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "larger than"));
	/* Exactly at the limit is fine. */
	ob_buf_reset(&out);
	ck_assert_int_eq(ob_mustache_render(big, n - 1, NULL, NULL, NULL,
	    &out, err, sizeof(err)), 0);
	ck_assert_uint_eq(out.len, n - 1);
	/* The syntax check applies the same limit. */
	ck_assert_int_eq(ob_mustache_check(big, n, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "larger than"));
	free(big);
	ob_buf_free(&out);
}
END_TEST

static int
big_partial(void *ud, const char *name, size_t len, const char **tpl,
    size_t *tpl_len)
{
	(void)name;
	(void)len;
	*tpl = ud;
	*tpl_len = OB_MUSTACHE_MAX_TPL + 1;
	return 0;
}

START_TEST(depth_limit)
{
	struct ob_buf out = OB_BUF_INIT, tpl = OB_BUF_INIT;
	char err[128], *big;
	int i;

	/* Unbounded partial recursion. */
	ck_assert_int_eq(render("{{>r}}", "{}", "{\"r\":\"x{{>r}}\"}", &out,
	    err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "deeper than"));
	/* Recursive parents, likewise. */
	ck_assert_int_eq(render("{{<r}}{{/r}}", "{}",
	    "{\"r\":\"{{<r}}{{$b}}x{{/b}}{{/r}}\"}", &out, err, sizeof(err)),
	    -1);
	ck_assert_ptr_nonnull(strstr(err, "deeper than"));
	/* 65 nested sections in one template: a syntax error. */
	for (i = 0; i < OB_MUSTACHE_MAX_DEPTH + 1; i++)
		ob_buf_puts(&tpl, "{{#a}}");
	for (i = 0; i < OB_MUSTACHE_MAX_DEPTH + 1; i++)
		ob_buf_puts(&tpl, "{{/a}}");
	ck_assert_int_eq(render(tpl.data, "{}", NULL, &out, err, sizeof(err)),
	    -1);
	ck_assert_ptr_nonnull(strstr(err, "deeper than"));
	/* 60 nested sections over data that is 60 deep: fine. */
	ob_buf_reset(&tpl);
	for (i = 0; i < 60; i++)
		ob_buf_puts(&tpl, "{{#a}}");
	ob_buf_puts(&tpl, "{{v}}");
	for (i = 0; i < 60; i++)
		ob_buf_puts(&tpl, "{{/a}}");
	ck_assert_int_eq(render(tpl.data, "{\"a\":true,\"v\":1}", NULL, &out,
	    err, sizeof(err)), 0);
	ck_assert_str_eq(out.data, "1");
	/* Work that terminates but is huge (40^5 loop bodies, no output):
	 * stopped by the step bound. */
	ob_buf_reset(&tpl);
	ob_buf_puts(&tpl, "{\"l\":[0");
	for (i = 1; i < 40; i++)
		ob_buf_puts(&tpl, ",0");
	ob_buf_puts(&tpl, "]}");
	ck_assert_int_eq(render("{{#l}}{{#l}}{{#l}}{{#l}}{{#l}}{{/l}}{{/l}}"
	    "{{/l}}{{/l}}{{/l}}", tpl.data, NULL, &out, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "steps"));
	/* A partial over the size limit. */
	big = malloc(OB_MUSTACHE_MAX_TPL + 1);
	ck_assert_ptr_nonnull(big);
	memset(big, 'x', OB_MUSTACHE_MAX_TPL + 1);
	ob_buf_reset(&out);
	ck_assert_int_eq(ob_mustache_render("{{>p}}", 6, NULL, big_partial,
	    big, &out, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "partial 'p'"));
	free(big);
	ob_buf_free(&tpl);
	ob_buf_free(&out);
}
END_TEST

static void
expect_syntax_error(const char *tpl, const char *msg)
{
	struct ob_buf out = OB_BUF_INIT;
	char err[128];

	err[0] = '\0';
	ck_assert_int_eq(ob_mustache_render(tpl, strlen(tpl), NULL, NULL,
	    NULL, &out, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, msg) != NULL, "%s: error \"%s\", want "
	    "\"%s\"", tpl, err, msg);
	err[0] = '\0';
	ck_assert_int_eq(ob_mustache_check(tpl, strlen(tpl), err,
	    sizeof(err)), -1);
	ck_assert_msg(strstr(err, msg) != NULL, "%s: check: \"%s\"", tpl,
	    err);
	ob_buf_free(&out);
}

START_TEST(syntax_errors)
{
	struct ob_buf out = OB_BUF_INIT;
	char err[128];

	expect_syntax_error("a {{x", "line 1: unclosed tag");
	expect_syntax_error("a\n{{{x}}", "line 2: unclosed tag");
	expect_syntax_error("{{#a}}x", "line 1: unclosed section 'a'");
	expect_syntax_error("{{<p}}{{$b}}x{{/b}}", "unclosed section 'p'");
	expect_syntax_error("{{#a}}\n{{#b}}x{{/a}}{{/b}}",
	    "line 2: mismatched section end 'a'");
	expect_syntax_error("x{{/a}}", "unexpected section end 'a'");
	expect_syntax_error("{{}}", "bad tag name");
	expect_syntax_error("{{a b}}", "bad tag name");
	expect_syntax_error("{{=<% %>=}}<%x", "unclosed tag");
	expect_syntax_error("{{= x =}}", "bad set-delimiter");
	/* A syntax error inside a partial names the partial. */
	ck_assert_int_eq(render("[{{>p}}]", "{}", "{\"p\":\"{{#x}}\"}", &out,
	    err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "partial 'p'"));
	ck_assert_ptr_nonnull(strstr(err, "unclosed section 'x'"));
	ck_assert_int_eq(ob_mustache_check("{{#a}}{{/a}}", 12, err,
	    sizeof(err)), 0);
	ob_buf_free(&out);
}
END_TEST

static void
write_file(const char *dir, const char *rel, const char *text)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(fputs(text, f) >= 0, 1);
	ck_assert_int_eq(fclose(f), 0);
}

static void
remove_file(const char *dir, const char *rel)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	(void)remove(path);
}

/*
 * A template directory in dir (a mkdtemp pattern): a layout, a partial, a
 * page, and files not to load.
 */
static void
template_dir(char *dir)
{
	char path[512];

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/pages", dir);
	ck_assert_int_eq(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/partials", dir);
	ck_assert_int_eq(mkdir(path, 0700), 0);
	write_file(dir, "layout.mustache",
	    "<html>\n"
	    "<title>{{$title}}orgbill{{/title}}</title>\n"
	    "<body>\n"
	    "  {{>partials/nav}}\n"
	    "  <main>\n"
	    "    {{$body}}\n"
	    "    <p>empty</p>\n"
	    "    {{/body}}\n"
	    "  </main>\n"
	    "</body>\n"
	    "</html>\n");
	write_file(dir, "partials/nav.mustache",
	    "<nav>\n"
	    "{{#links}}\n"
	    "  <a href=\"{{href}}\">{{label}}</a>\n"
	    "{{/links}}\n"
	    "</nav>\n");
	write_file(dir, "pages/landing.mustache",
	    "{{<layout}}\n"
	    "{{$title}}Plans for {{org}}{{/title}}\n"
	    "{{$body}}\n"
	    "<h1>{{org}}</h1>\n"
	    "{{#plans}}\n"
	    "<p>{{name}}: {{price}}</p>\n"
	    "{{/plans}}\n"
	    "{{/body}}\n"
	    "{{/layout}}\n");
	write_file(dir, "README.txt", "not a template {{");
	write_file(dir, ".hidden.mustache", "{{#broken");
}

/*
 * The store of template_dir renders the page in its layout, and the layout
 * alone; nothing else is loaded.
 */
static void
store_renders(const char *dir)
{
	struct ob_buf out = OB_BUF_INIT;
	struct ob_tmpl_store *s;
	char err[256];
	cJSON *data;

	s = ob_tmpl_load_dir(dir, err, sizeof(err));
	ck_assert_msg(s != NULL, "load: %s", err);
	data = cJSON_Parse("{\"org\":\"R&D\",\"links\":[{\"href\":\"/a\","
	    "\"label\":\"A\"},{\"href\":\"/b\",\"label\":\"B\"}],"
	    "\"plans\":[{\"name\":\"Basic\",\"price\":\"$5\"},"
	    "{\"name\":\"Pro\",\"price\":\"$20\"}]}");
	ck_assert_int_eq(ob_tmpl_render(s, "pages/landing", data, &out, err,
	    sizeof(err)), 0);
	ck_assert_str_eq(out.data,
	    "<html>\n"
	    "<title>Plans for R&amp;D</title>\n"
	    "<body>\n"
	    "  <nav>\n"
	    "    <a href=\"/a\">A</a>\n"
	    "    <a href=\"/b\">B</a>\n"
	    "  </nav>\n"
	    "  <main>\n"
	    "    <h1>R&amp;D</h1>\n"
	    "    <p>Basic: $5</p>\n"
	    "    <p>Pro: $20</p>\n"
	    "  </main>\n"
	    "</body>\n"
	    "</html>\n");
	/* The layout on its own renders its defaults. */
	ob_buf_reset(&out);
	ck_assert_int_eq(ob_tmpl_render(s, "layout", NULL, &out, err,
	    sizeof(err)), 0);
	ck_assert_ptr_nonnull(strstr(out.data, "<title>orgbill</title>"));
	ck_assert_ptr_nonnull(strstr(out.data, "\n    <p>empty</p>\n"));
	/* Missing templates; non-.mustache and hidden files not loaded. */
	ck_assert_int_eq(ob_tmpl_render(s, "pages/nope", data, &out, err,
	    sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "pages/nope"));
	ck_assert_int_eq(ob_tmpl_render(s, "README", data, &out, err,
	    sizeof(err)), -1);
	ck_assert_int_eq(ob_tmpl_render(s, "pages/landing.mustache", data,
	    &out, err, sizeof(err)), -1);
	ck_assert_int_eq(ob_tmpl_render(s, ".hidden", data, &out, err,
	    sizeof(err)), -1);
	ob_tmpl_free(s);
	cJSON_Delete(data);
	ob_buf_free(&out);
}

/* With the file rel in dir, loading dir fails, naming rel and saying why; then rel goes. */
static void
load_fails(const char *dir, const char *rel, const char *why)
{
	char err[256];

	ck_assert_ptr_null(ob_tmpl_load_dir(dir, err, sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, rel));
	ck_assert_ptr_nonnull(strstr(err, why));
	remove_file(dir, rel);
}

START_TEST(tmpl_store)
{
	char dir[] = "/tmp/ob_tmpl_XXXXXX", path[512], err[256];
	FILE *f;
	size_t i;

	template_dir(dir);
	store_renders(dir);

	/* A syntax error fails the load, naming the file. */
	write_file(dir, "partials/bad.mustache", "{{#x}}\n{{/y}}\n");
	load_fails(dir, "partials/bad.mustache", "mismatched");

	/* A file over 1 MiB fails the load. */
	snprintf(path, sizeof(path), "%s/huge.mustache", dir);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	for (i = 0; i < OB_MUSTACHE_MAX_TPL + 1; i++)
		fputc('x', f);
	ck_assert_int_eq(fclose(f), 0);
	load_fails(dir, "huge.mustache", "larger than");

	/* A missing directory fails the load. */
	ck_assert_ptr_null(ob_tmpl_load_dir("/nonexistent/ob_tmpl", err, sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, "/nonexistent/ob_tmpl"));

	remove_file(dir, "layout.mustache");
	remove_file(dir, "partials/nav.mustache");
	remove_file(dir, "pages/landing.mustache");
	remove_file(dir, "README.txt");
	remove_file(dir, ".hidden.mustache");
	remove_file(dir, "partials");
	remove_file(dir, "pages");
	ck_assert_int_eq(rmdir(dir), 0);
}
END_TEST

Suite *mustache_suite(void)
{
	Suite *s = suite_create("mustache");

	suite_add_tcase(s, t_tcase("spec", 0, T_TESTS(spec_interpolation, spec_sections,
	    spec_inverted, spec_comments, spec_delimiters, spec_partials, spec_inheritance)));
	suite_add_tcase(s, t_tcase("unit", 0, T_TESTS(html_escaping, values, missing_partial,
	    size_limit, depth_limit, syntax_errors, tmpl_store)));
	return s;
}
