/*
 * Bad input over the whole route table: a test generated from the app's
 * real routes (ob_app_router) and their declared fields (ob_app_fields).
 *
 * Every route gets malformed input as the caller it is meant for (the
 * org's owner, its all-scope API key, or staff): malformed JSON, text
 * after the object, a body that is no object, the wrong Content-Type,
 * unknown members; per declared field the wrong JSON type, numbers out of
 * its bounds (zero, negative, huge, fractional), 100 KB strings, bytes
 * that are not UTF-8, NUL characters, dates that do not exist; garbage
 * query parameters, cursors and limits. Each answer must be a 4xx with
 * the JSON error on /api/ (a page, or a redirect back to the form, on the
 * console), never a 5xx, and no table may change.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fcgi/routes.h"
#include "identity/policy.h"
#include "integration/harness.h"
#include "unit/unit.h"

/* The callers: a fresh org's owner and all-scope key, and staff. */
struct walk {
	long org, owner;
	struct t_session owner_s, staff_s;
	char key[128];
	int sent, failures;
};

/*
 * A checksum of every table a request could write, by table ("name:md5;"),
 * into out. Left out: rate-limit counters and sessions, and the columns
 * that say when a member or key was last seen and so when its row was
 * updated (every request may touch them), and the outbox and webhook
 * tables (the stack's jobs).
 */
static void
tables_sum(char *out, size_t len)
{
	const char *v = t_sql_value(
	    "SELECT string_agg(table_name || ':' || md5(query_to_xml(format("
	    "'SELECT (to_jsonb(x) - ''last_active_at'' - ''last_used_at'' - ''updated_at'')::text AS r"
	    " FROM %I x ORDER BY 1', table_name), false, false, '')::text),"
	    " ';' ORDER BY table_name) FROM information_schema.tables"
	    " WHERE table_schema = 'public' AND table_type = 'BASE TABLE'"
	    " AND table_name NOT IN ('rate_limit_counters', 'sessions', 'outbox',"
	    " 'webhook_events', 'webhook_attempts', 'schema_migrations')");

	ck_assert_ptr_nonnull(v);
	snprintf(out, len, "%s", v);
}

/* The tables whose sums differ between a and b, for the failure message. */
static void
tables_diff(const char *a, const char *b)
{
	char *x = strdup(a), *y = strdup(b), *sa, *sb, *p, *q;

	for (p = strtok_r(x, ";", &sa); p != NULL; p = strtok_r(NULL, ";", &sa)) {
		int same = 0;
		char *yy = strdup(y);

		for (q = strtok_r(yy, ";", &sb); q != NULL; q = strtok_r(NULL, ";", &sb))
			same |= strcmp(p, q) == 0;
		if (!same)
			fprintf(stderr, "input_routes: table changed: %.*s\n", (int)strcspn(p, ":"), p);
		free(yy);
	}
	free(x);
	free(y);
}

static int
is_api(const struct ob_route *ro)
{
	return strncmp(ro->pattern, "/api/", 5) == 0 || strncmp(ro->pattern, "/admin/api/", 11) == 0;
}

/* ro's path with the walk's ids ({org_id}, {user_id}) and unknown others. */
static void
fill_path(const struct walk *w, const struct ob_route *ro, char *out, size_t len)
{
	const char *p = ro->pattern;
	size_t o = 0;

	while (*p != '\0' && o + 32 < len) {
		if (*p != '{') {
			out[o++] = *p++;
			continue;
		}
		if (strncmp(p, "{org_id}", 8) == 0)
			o += (size_t)snprintf(out + o, len - o, "%ld", w->org);
		else if (strncmp(p, "{user_id}", 9) == 0)
			o += (size_t)snprintf(out + o, len - o, "%ld", w->owner);
		else
			o += (size_t)snprintf(out + o, len - o, "4242");
		p = strchr(p, '}') + 1;
	}
	out[o] = '\0';
}

/*
 * Send body (len bytes, as ctype; NULL for none) to ro at path?query as
 * the caller ro is meant for. The answer into r; 429s are retried once
 * with the windows reset.
 */
static void
send(struct walk *w, const struct ob_route *ro, const char *query, const char *body, size_t len,
    const char *ctype, const char *extra_header, struct t_resp *r)
{
	const struct ob_policy_rule *rule = ob_policy_rule(ro->action);
	const struct t_session *s = rule->need == OB_NEED_STAFF ? &w->staff_s : &w->owner_s;
	int key = is_api(ro) && rule->need == OB_NEED_ORG && rule->scopes != 0;
	char path[1024], hc[256], hk[256], ht[256], hx[128];
	char *form = NULL;
	const char *hdr[8];
	int n = 0, attempt;

	fill_path(w, ro, path, sizeof(path) - 1);
	if (query != NULL)
		snprintf(path + strlen(path), sizeof(path) - strlen(path), "?%s", query);
	if (key) {
		snprintf(hk, sizeof(hk), "Authorization: Bearer %s", w->key);
		hdr[n++] = hk;
	} else {
		snprintf(hc, sizeof(hc), "Cookie: __Host-ob_session=%s", s->cookie);
		hdr[n++] = hc;
		snprintf(hx, sizeof(hx), "X-CSRF-Token: %s", s->csrf);
		hdr[n++] = hx;
	}
	if (ctype != NULL) {
		snprintf(ht, sizeof(ht), "Content-Type: %s", ctype);
		hdr[n++] = ht;
	}
	if (extra_header != NULL)
		hdr[n++] = extra_header;
	hdr[n] = NULL;
	/* A console form carries its CSRF token first. */
	if (body != NULL && !is_api(ro) && ctype != NULL && strstr(ctype, "urlencoded") != NULL) {
		form = malloc(len + 128);
		n = snprintf(form, 128, "csrf=%s&", s->csrf);
		memcpy(form + n, body, len);
		body = form;
		len += (size_t)n;
	}
	for (attempt = 0; attempt < 2; attempt++) {
		ck_assert_int_eq(t_http(NULL, ro->method, path, body, len, hdr, r), 0);
		if (r->status != 429)
			break;
		t_resp_free(r);
		t_reset_rate_limits();
	}
	w->sent++;
	free(form);
}

/*
 * The answer is a refusal: a 4xx with the JSON error on the API (naming
 * param when not NULL, or code when not NULL); on the console a 4xx page
 * or a redirect back to a form. Never a 5xx, never a success.
 */
static void
want_refused(struct walk *w, const struct ob_route *ro, const char *what, const char *param,
    const char *code, struct t_resp *r)
{
	char pp[160], cc[96];
	int ok;

	if (ob_policy_rule(ro->action)->closed)
		param = code = NULL;	/* refused to everyone before its fields are read */

	snprintf(pp, sizeof(pp), "\"param\":\"%s\"", param != NULL ? param : "");
	snprintf(cc, sizeof(cc), "\"code\":\"%s\"", code != NULL ? code : "");
	if (is_api(ro))
		ok = r->status >= 400 && r->status < 500 && r->status != 404 &&
		    t_header(r, "Content-Type") != NULL &&
		    strstr(t_header(r, "Content-Type"), "application/json") != NULL &&
		    strstr(r->body.data, "{\"error\":{\"type\":") != NULL &&
		    strstr(r->body.data, "\"message\":") != NULL &&
		    (param == NULL || strstr(r->body.data, pp) != NULL) &&
		    (code == NULL || strstr(r->body.data, cc) != NULL);
	else	/* a page (the form again, with its error) or a redirect back to it */
		ok = r->status >= 200 && r->status < 500;
	if (!ok) {
		w->failures++;
		fprintf(stderr, "input_routes: %s %s (%s): want a refusal%s%s%s%s, got %ld %.200s\n",
		    ro->method, ro->pattern, what, param ? " naming " : "", param ? param : "",
		    code ? " code " : "", code ? code : "", r->status, r->body.data);
	}
	t_resp_free(r);
}

static void
try_json(struct walk *w, const struct ob_route *ro, const char *what, const char *body,
    const char *param, const char *code)
{
	struct t_resp r;

	send(w, ro, NULL, body, strlen(body), "application/json", NULL, &r);
	want_refused(w, ro, what, param, code, &r);
}

/* {"name":value} */
static void
try_member(struct walk *w, const struct ob_route *ro, const char *what, const char *name,
    const char *value, const char *param, const char *code)
{
	size_t n = strlen(name) + strlen(value) + 16;
	char *b = malloc(n);

	snprintf(b, n, "{\"%s\":%s}", name, value);
	try_json(w, ro, what, b, param, code);
	free(b);
}

/* A string of n bytes 'a', quoted (for JSON) or bare. */
static char *
long_string(size_t n, int quoted)
{
	char *s = malloc(n + 3);

	memset(s + quoted, 'a', n);
	if (quoted) {
		s[0] = '"';
		s[n + 1] = '"';
	}
	s[n + 2 * quoted] = '\0';
	return s;
}

/* Bad values for one declared field of a JSON route. */
static void
walk_json_field(struct walk *w, const struct ob_route *ro, const struct ob_field *f)
{
	static const char *const not_ints[] = { "\"abc\"", "1.5", "1e300", "99999999999999999999" };
	char v[64];
	char *big;
	size_t i;

	/* Bytes that are not text, and NUL: refused naming the field. */
	try_member(w, ro, "invalid UTF-8", f->name, "\"caf\xe9\"", f->name, "invalid_utf8");
	try_member(w, ro, "overlong UTF-8", f->name, "\"\xc0\xaf\"", f->name, "invalid_utf8");
	try_member(w, ro, "NUL", f->name, "\"abc\\u0000DROP\"", f->name, "nul_byte");
	big = long_string(100 * 1024, 1);
	try_member(w, ro, "100 KB string", f->name, big, NULL, NULL);
	free(big);
	switch (f->type) {
	case OB_FIELD_INT:
	case OB_FIELD_ID:
		for (i = 0; i < sizeof(not_ints) / sizeof(not_ints[0]); i++)
			try_member(w, ro, "not an integer", f->name, not_ints[i], NULL, NULL);
		if (f->type == OB_FIELD_ID || f->min > INT64_MIN) {
			snprintf(v, sizeof(v), "%lld", f->type == OB_FIELD_ID ? 0LL : (long long)f->min - 1);
			try_member(w, ro, "below its range", f->name, v, NULL, NULL);
		}
		if (f->type == OB_FIELD_INT && f->max < INT64_MAX) {
			snprintf(v, sizeof(v), "%lld", (long long)f->max + 1);
			try_member(w, ro, "above its range", f->name, v, NULL, NULL);
		}
		if (f->type == OB_FIELD_ID || f->min > -1)
			try_member(w, ro, "negative", f->name, "-1", NULL, NULL);
		break;
	case OB_FIELD_BOOL:
		try_member(w, ro, "bool as text", f->name, "\"yes\"", NULL, NULL);
		try_member(w, ro, "bool as number", f->name, "1", NULL, NULL);
		break;
	case OB_FIELD_ENUM:
		try_member(w, ro, "unknown enum value", f->name, "\"bogus\"", NULL, NULL);
		try_member(w, ro, "enum as number", f->name, "7", NULL, NULL);
		break;
	case OB_FIELD_DATE:
		try_member(w, ro, "impossible date", f->name, "\"2024-02-30\"", NULL, NULL);
		break;
	case OB_FIELD_STRING:
		try_member(w, ro, "string as number", f->name, "12345", NULL, NULL);
		try_member(w, ro, "string as object", f->name, "{\"a\":1}", NULL, NULL);
		break;
	case OB_FIELD_OBJECT:
	case OB_FIELD_LIST:
		try_member(w, ro, "not a container", f->name, "\"x\"", NULL, NULL);
		try_member(w, ro, "nested bad UTF-8", f->name,
		    f->type == OB_FIELD_LIST ? "[\"\xff\"]" : "{\"k\":\"\xff\"}", f->name, "invalid_utf8");
		break;
	case OB_FIELD_ABSENT:
		try_member(w, ro, "a field it refuses", f->name, "\"x\"", f->name, NULL);
		break;
	}
}

/* Every way a JSON route's body can be wrong. */
static void
walk_json(struct walk *w, const struct ob_route *ro, const struct ob_fields *t)
{
	struct t_resp r;
	size_t i;

	try_json(w, ro, "malformed JSON", "{\"a\":", NULL, "invalid_json");
	try_json(w, ro, "text after the object", "{} GARBAGE", NULL, "invalid_json");
	try_json(w, ro, "two objects", "{}{}", NULL, "invalid_json");
	try_json(w, ro, "not an object", "[1,2]", NULL, "invalid_json");
	try_json(w, ro, "a bare string", "\"x\"", NULL, "invalid_json");
	try_json(w, ro, "unknown member", "{\"zz_not_a_field\":1}", "zz_not_a_field",
	    "parameter_unknown");
	try_json(w, ro, "bad UTF-8 member name", "{\"n\xff\":1}", NULL, "invalid_utf8");
	send(w, ro, NULL, "{}", 2, "text/plain", NULL, &r);
	want_refused(w, ro, "wrong Content-Type", NULL, "unsupported_media_type", &r);
	send(w, ro, NULL, "a=1", 3, "application/x-www-form-urlencoded", NULL, &r);
	want_refused(w, ro, "a form", NULL, "unsupported_media_type", &r);
	for (i = 0; t != NULL && i < t->n; i++)
		walk_json_field(w, ro, &t->rows[i]);
}

/*
 * A strict console form (OB_FIELDS_FORM) refused with a readable page: 400,
 * HTML, saying what was wrong (want).
 */
static void
want_page(struct walk *w, const struct ob_route *ro, const char *what, const char *want,
    struct t_resp *r)
{
	const char *ct = t_header(r, "Content-Type");

	if (r->status != 400 || ct == NULL || strstr(ct, "text/html") == NULL ||
	    r->body.data == NULL || strstr(r->body.data, want) == NULL) {
		w->failures++;
		fprintf(stderr, "input_routes: %s %s (%s): want a 400 page saying \"%s\", got %ld"
		    " %.200s\n", ro->method, ro->pattern, what, want, r->status, r->body.data);
	}
	t_resp_free(r);
}

/* A strict form: an undeclared name, a malformed body, a bad repeated value. */
static void
walk_strict_form(struct walk *w, const struct ob_route *ro, const struct ob_fields *t)
{
	struct t_resp r;
	char body[256];
	size_t i;

	send(w, ro, NULL, "zz_unknown=1", 12, "application/x-www-form-urlencoded", NULL, &r);
	want_page(w, ro, "unknown form field", "Received unknown form field: zz_unknown", &r);
	send(w, ro, NULL, "a%zz=1", 6, "application/x-www-form-urlencoded", NULL, &r);
	want_page(w, ro, "malformed form", "The form ", &r);
	for (i = 0; i < t->n; i++) {
		if (t->rows[i].type != OB_FIELD_ID && t->rows[i].type != OB_FIELD_INT)
			continue;
		/* Every value of a repeated field is checked, not only the last. */
		snprintf(body, sizeof(body), "%s=abc&%s=1", t->rows[i].name, t->rows[i].name);
		send(w, ro, NULL, body, strlen(body), "application/x-www-form-urlencoded", NULL, &r);
		want_page(w, ro, body, "<", &r);
	}
}

/* Bad values for a console route's form fields (declared or not). */
static void
walk_form(struct walk *w, const struct ob_route *ro, const struct ob_fields *t)
{
	static const char *const junk[] = { "caf%E9", "%C0%AF", "a%00b", "%zz", "2024-02-30",
		"-1", "0", "1.5", "99999999999999999999", "bogus" };
	const char *name;
	struct t_resp r;
	char body[256];
	char *big;
	size_t i, j, n = t != NULL ? t->n : 1;

	for (i = 0; i < n; i++) {
		name = t != NULL ? t->rows[i].name : "zz";
		for (j = 0; j < sizeof(junk) / sizeof(junk[0]); j++) {
			/* Values that may be good for some field are sent only where
			 * the field's type refuses them. */
			if (j >= 4 && (t == NULL || t->rows[i].type == OB_FIELD_STRING ||
			    (t->rows[i].type == OB_FIELD_INT && j >= 5 && j <= 6) ||
			    (t->rows[i].type == OB_FIELD_BOOL && j == 6)))
				continue;
			snprintf(body, sizeof(body), "%s=%s", name, junk[j]);
			send(w, ro, NULL, body, strlen(body), "application/x-www-form-urlencoded", NULL, &r);
			want_refused(w, ro, junk[j], NULL, NULL, &r);
		}
		if (t == NULL)
			break;	/* a form without its fields is a valid post (clears them) */
		big = long_string(100 * 1024 + strlen(name) + 1, 0);
		memcpy(big, name, strlen(name));
		big[strlen(name)] = '=';
		send(w, ro, NULL, big, strlen(big), "application/x-www-form-urlencoded", NULL, &r);
		want_refused(w, ro, "100 KB value", NULL, NULL, &r);
		free(big);
	}
}

/* Garbage query strings for any route; for declared parameters, values they refuse. */
static void
walk_query(struct walk *w, const struct ob_route *ro, const struct ob_fields *t)
{
	static const char *const always[] = { "limit=%FF", "x=%00", "q=%zz", "status=caf%E9" };
	static const char *const bad_int[] = { "0", "-1", "abc", "1.5", "99999999999999999999", "" };
	char q[256];
	struct t_resp r;
	size_t i, j;

	for (i = 0; i < sizeof(always) / sizeof(always[0]); i++) {
		send(w, ro, always[i], NULL, 0, NULL, NULL, &r);
		want_refused(w, ro, always[i], NULL, NULL, &r);
	}
	for (i = 0; t != NULL && i < t->nquery; i++) {
		const struct ob_field *f = &t->query[i];

		for (j = 0; j + 1 < sizeof(bad_int) / sizeof(bad_int[0]); j++) {
			if (f->type != OB_FIELD_INT && f->type != OB_FIELD_ID)
				break;
			if (f->type == OB_FIELD_INT && j <= 1 && f->min <= (j == 0 ? 0 : -1))
				continue;
			snprintf(q, sizeof(q), "%s=%s", f->name, bad_int[j]);
			send(w, ro, q, NULL, 0, NULL, NULL, &r);
			want_refused(w, ro, q, is_api(ro) ? f->name : NULL, NULL, &r);
		}
		if (f->type == OB_FIELD_ENUM || f->type == OB_FIELD_DATE) {
			snprintf(q, sizeof(q), "%s=%s", f->name,
			    f->type == OB_FIELD_ENUM ? "bogus" : "2024-02-30");
			send(w, ro, q, NULL, 0, NULL, NULL, &r);
			want_refused(w, ro, q, is_api(ro) ? f->name : NULL, NULL, &r);
		}
	}
	if (t != NULL && t->query != NULL && is_api(ro)) {
		send(w, ro, "zz_unknown=1", NULL, 0, NULL, NULL, &r);
		want_refused(w, ro, "unknown query parameter", "zz_unknown", "parameter_unknown", &r);
	}
}

static void
walk_new(struct walk *w)
{
	char email[256];

	memset(w, 0, sizeof(*w));
	w->org = t_org_new("input-walk", NULL, NULL);
	w->owner = t_member_new(w->org, "owner", NULL);
	t_apikey_new(w->org, "read,write,meter,admin", w->key, sizeof(w->key));
	snprintf(email, sizeof(email), "%s", t_sql_valuef("SELECT email FROM users WHERE id = %ld",
	    w->owner));
	t_reset_rate_limits();
	ck_assert_int_eq(t_login(email, T_MEMBER_PASSWORD, w->owner_s.cookie,
	    sizeof(w->owner_s.cookie)), 303);
	t_csrf(w->owner_s.cookie, w->owner_s.csrf);
	t_session_new("staff@orgbill.test", &w->staff_s);
}

/* Routes not walked: signing out ends the walk's session. */
static int
skipped(const struct ob_route *ro)
{
	return strcmp(ro->pattern, "/logout") == 0;
}

START_TEST(input_routes_refuse_bad_input_and_change_nothing)
{
	const struct ob_router *rt = &ob_app_router;
	char before[8192], after[8192];
	struct walk w;
	size_t i;
	int mutating;
	time_t t0;

	t0 = time(NULL);
	walk_new(&w);
	tables_sum(before, sizeof(before));
	for (i = 0; i < rt->nroutes; i++) {
		const struct ob_route *ro = &rt->routes[i];
		const struct ob_fields *t = ob_app_fields[i];

		if (skipped(ro))
			continue;
		mutating = strcmp(ro->method, "GET") != 0;
		walk_query(&w, ro, t);
		if (mutating && is_api(ro))
			walk_json(&w, ro, t);
		else if (mutating)
			walk_form(&w, ro, t);
		if (mutating && t != NULL && (t->flags & OB_FIELDS_STRICT))
			walk_strict_form(&w, ro, t);
		if (getenv("OB_TEST_INPUT_TRACE") != NULL) {	/* which route changed what */
			tables_sum(after, sizeof(after));
			if (strcmp(before, after) != 0) {
				fprintf(stderr, "input_routes: after %s %s:\n", ro->method, ro->pattern);
				tables_diff(before, after);
				memcpy(before, after, sizeof(before));
			}
		}
	}
	tables_sum(after, sizeof(after));
	if (strcmp(before, after) != 0)
		tables_diff(before, after);
	fprintf(stderr, "input_routes: %d requests over %zu routes in %lds\n", w.sent, rt->nroutes,
	    (long)(time(NULL) - t0));
	ck_assert_msg(w.failures == 0, "%d answers were not refusals (see stderr)", w.failures);
	ck_assert_msg(strcmp(before, after) == 0, "bad input changed a table (see stderr)");
	ck_assert_int_gt(w.sent, 1000);
}
END_TEST

Suite *input_routes_suite(void)
{
	return t_suite("input_routes", 120, T_TESTS(input_routes_refuse_bad_input_and_change_nothing));
}
