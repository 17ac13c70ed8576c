/*
 * Helpers for integration suites: HTTPS requests to the running stack
 * (verified against the stack's own certificate), the stack's processes,
 * and the environment tests/run-all.sh sets:
 *
 *   OB_TEST_BASE_URL  https://localhost:PORT   OB_TEST_HTTP_URL  http://…
 *   OB_TEST_RUN_DIR   the stack's run directory (pids/, logs/, tls/)
 *   OB_TEST_ROOT      the project root          OB_TEST_BIN_DIR   binaries
 *   DATABASE_URL      the stack's database
 */
#ifndef OB_TEST_HARNESS_H
#define OB_TEST_HARNESS_H

#include <stddef.h>
#include <sys/types.h>

#include <libpq-fe.h>

#include "base/buf.h"

struct ob_db;

struct t_resp {
	long status;
	struct ob_buf headers;	/* raw header block, all responses */
	struct ob_buf body;
};

/** The environment variable, or the test fails. */
const char *t_env(const char *name);

/**
 * Send method to base + path (base NULL: OB_TEST_BASE_URL) with an optional
 * body and NULL-terminated extra header lines. Returns 0 when an HTTP
 * answer came back (any status), -1 on a transport failure.
 */
int t_http(const char *base, const char *method, const char *path,
    const char *body, size_t body_len, const char *const *headers,
    struct t_resp *out);

/**
 * A request to the Stripe fake (OB_TEST_STRIPE_FAKE) with the secret key
 * (STRIPE_SECRET_KEY), the body sent as content_type (NULL: JSON); the test
 * fails on a transport error. Its HTTP status; the answer into out, or
 * dropped when out is NULL.
 */
long t_fake(const char *method, const char *path, const char *body, const char *content_type,
    struct t_resp *out);

/** Shorthand: GET path on the HTTPS base; fails the test on transport error. */
long t_get(const char *path, struct t_resp *out);

/** The value of the last header called name (case-insensitive), or NULL (static buffer). */
const char *t_header(const struct t_resp *r, const char *name);

/** Free the response's buffers. */
void t_resp_free(struct t_resp *r);

/** Run deploy/stack.sh CMD on the test run directory; its exit status. */
int t_stack(const char *cmd);

/** The pid recorded in RUN/pids/NAME.pid, or -1. */
pid_t t_pidfile(const char *name);

/** Up to max direct children of parent (from /proc), sorted; their count. */
int t_children(pid_t parent, pid_t *out, int max);

/** Poll GET path until it answers status, up to ms milliseconds; 0 or -1. */
int t_wait_status(const char *path, long status, int ms);

/** Sleep ms milliseconds. */
void t_sleep_ms(int ms);

/* ---- JSON answers ---- */

struct cJSON;

/** The answer's body parsed (free with cJSON_Delete); the test fails unless it is JSON. */
struct cJSON *t_json(const struct t_resp *r);

/** The string member name of o, or NULL. */
const char *t_jstr(const struct cJSON *o, const char *name);

/**
 * The integer member name of o, read from its printed digits (no floating
 * point); the test fails unless it is a number.
 */
long long t_jnum(const struct cJSON *o, const char *name);

/* ---- the database and the CLI ---- */

/** Run SQL on the stack's database (test set-up only); fails the test on error. */
void t_sql(const char *sql);

/** One value from SQL (static buffer), or NULL if no row. */
const char *t_sql_value(const char *sql);

/** t_sql with the statement formatted as printf does. */
void t_sqlf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/** t_sql_value with the query formatted as printf does. */
const char *t_sql_valuef(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/** The first column of the query's first row as a number (the query formatted as printf does; fails the test when there is no row). */
long t_sql_long(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/** Forget every rate-limit window (so sign-in tests do not starve each other). */
void t_reset_rate_limits(void);

/** Open db on the stack's database (DATABASE_URL); fails the test if it cannot. */
void t_db_open(struct ob_db *db);

/** Run the orgbill CLI with args (stdin from in, may be NULL); its stdout (first line) into out. Exit status. */
int t_cli(const char *args, const char *in, char *out, size_t len);

/** Run `orgbill jobs --once` (every due job, once): its exit status. */
int t_jobs_once(void);

/* ---- signing in ---- */

/**
 * Sign in through the form; the session cookie's value into cookie (64+
 * bytes). Returns the final HTTP status of the POST (303 on success).
 */
long t_login(const char *email, const char *password, char *cookie, size_t len);

/** The value of Set-Cookie NAME=value in r's headers (static), or NULL. */
const char *t_set_cookie(const struct t_resp *r, const char *name);

/** The token of the newest invitation e-mail to email (from the outbox) into tok (44 bytes). */
void t_invite_token(const char *email, char *tok);

/**
 * Open an invitation's link as a browser does (cookie: a session, may be
 * NULL): GET /invite/<tok>, which trades the token for the __Host-ob_invite
 * cookie and answers 303 to /invite, then GET /invite with that cookie.
 * The last answer into out (may be NULL); its status.
 */
long t_invite_get(const char *cookie, const char *tok, struct t_resp *out);

/**
 * The sign-in form as a browser fills it in: GET /login (200, with its
 * login cookie), then POST it, sending the login cookie followed by
 * more_cookies ("; name=value...", may be NULL). The POST's answer into
 * out; its status.
 */
long t_login_form(const char *email, const char *password, const char *more_cookies,
    struct t_resp *out);

/** The CSRF token for a session cookie value (out: 44 bytes). */
void t_csrf(const char *cookie, char *out);

/** Send with a session cookie (cookie may be NULL) and extra headers. */
int t_http_as(const char *cookie, const char *bearer, const char *method, const char *path,
    const char *body, const char *content_type, const char *const *extra, struct t_resp *out);

/**
 * t_http_as that must get an answer (the test fails on a transport error):
 * its HTTP status. The answer goes into out, or is dropped when out is NULL.
 */
long t_call(const char *cookie, const char *bearer, const char *method, const char *path,
    const char *body, const char *content_type, const char *const *extra, struct t_resp *out);

/** GET path with a session cookie and/or an API key (either may be NULL): t_call. */
long t_get_as(const char *cookie, const char *bearer, const char *path, struct t_resp *out);

/** POST a form body with a session cookie and extra headers (may be NULL): t_call. */
long t_form_as(const char *cookie, const char *path, const char *body, const char *const *extra,
    struct t_resp *out);

/** POST (or another method) a JSON body with an API key and extra headers: t_call. */
long t_json_as(const char *bearer, const char *method, const char *path, const char *body,
    const char *const *extra, struct t_resp *out);

/*
 * ---- fixtures: orgs, members, API keys, signed-in sessions ----
 *
 * Made the way an operator makes them (the orgbill CLI), so they leave the
 * rows and audit entries the product itself writes. Each fixture fails the
 * test (ck_assert) when it cannot do its job: callers need not check.
 * Names and slugs must not contain a single quote (they pass through sh).
 */

/** The password of every demo login the stack is seeded with (owner@acme.test, ...), but staff's. */
#define T_DEMO_PASSWORD "demo-password"

/** The demo staff login; its password is random per stack (OB_TEST_STAFF_PASSWORD). */
#define T_STAFF_EMAIL "staff@orgbill.test"
/** The demo's support and finance staff logins (same password as T_STAFF_EMAIL). */
#define T_SUPPORT_EMAIL "support@orgbill.test"
#define T_FINANCE_EMAIL "finance@orgbill.test"

/** The password of a demo login: T_DEMO_PASSWORD, or the staff logins' (…@orgbill.test). */
const char *t_password_of(const char *email);

/** The password of the users t_member_new makes. */
#define T_MEMBER_PASSWORD "a-long-password-1"

/** The id of the existing org with this slug (the demo's "acme", "globex"). */
long t_org_id(const char *slug);

/** The id of the existing user with this e-mail address. */
long t_user_id(const char *email);

/**
 * A new organization (`orgbill org create`) with a slug no other call or
 * run makes, "TAG-PID-TIME-N" (tag: lowercase letters, digits and dashes),
 * named name (NULL: the slug), with billing e-mail billing_email (NULL:
 * none). Its id.
 */
long t_org_new(const char *tag, const char *name, const char *billing_email);

/**
 * A new user (`orgbill user create`, password T_MEMBER_PASSWORD, e-mail
 * "member-ORG-N@example.test") made a member of org (`orgbill member add`)
 * with role (owner, admin, billing or member) and department (NULL: none).
 * The user's id. Their first org becomes their default org.
 */
long t_member_new(long org, const char *role, const char *department);

/** Make the existing user a member of org with role and department (NULL: none). */
void t_member_add(long org, long user, const char *role, const char *department);

/**
 * A new API key of org (`orgbill apikey create`) with scopes (a comma list
 * of read, write, meter, admin) into key (len: 128 bytes is plenty); the
 * key starts "ob_".
 */
void t_apikey_new(long org, const char *scopes, char *key, size_t len);

/** A signed-in session: what a browser holds after signing in. */
struct t_session {
	char cookie[128];	/* the __Host-ob_session cookie's value */
	char csrf[64];		/* its CSRF token */
};

/**
 * Sign in as email with its demo password (t_password_of) through the form, which must answer
 * 303; the session's cookie and CSRF token into s. Rate-limit windows are
 * left as they are: call t_reset_rate_limits() first where earlier
 * sign-ins may have used them up.
 */
void t_session_new(const char *email, struct t_session *s);

#endif
