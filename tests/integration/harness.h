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

#include "base/buf.h"

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

#endif

/* ---- identity helpers (test_authz.c, test_sessions.c) ---- */

#include <libpq-fe.h>

/** Run SQL on the stack's database (test set-up only); fails the test on error. */
void t_sql(const char *sql);

/** One value from SQL (static buffer), or NULL if no row. */
const char *t_sql_value(const char *sql);

/** Forget every rate-limit window (so sign-in tests do not starve each other). */
void t_reset_rate_limits(void);

/**
 * Sign in through the form; the session cookie's value into cookie (64+
 * bytes). Returns the final HTTP status of the POST (303 on success).
 */
long t_login(const char *email, const char *password, char *cookie, size_t len);

/** The CSRF token for a session cookie value (out: 44 bytes). */
void t_csrf(const char *cookie, char *out);

/** Run the orgbill CLI with args (stdin from in, may be NULL); its stdout (first line) into out. Exit status. */
int t_cli(const char *args, const char *in, char *out, size_t len);

/** Send with a session cookie (cookie may be NULL) and extra headers. */
int t_http_as(const char *cookie, const char *bearer, const char *method, const char *path,
    const char *body, const char *content_type, const char *const *extra, struct t_resp *out);
