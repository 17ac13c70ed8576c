#include "identity/sso_login.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <sodium.h>

#include "base/log.h"
#include "base/num.h"
#include "base/row.h"
#include "identity/invite.h"
#include "identity/oidc_http.h"
#include "identity/org.h"
#include "identity/sso.h"

/* What a stored sign-in holds. */
struct pending {
	int64_t org_id;
	char nonce[OB_TOKEN_TEXT];
	char verifier[OB_TOKEN_TEXT];
	char next[520];
	int64_t link_user_id;	/* 0, or the signed-in user who asked to link */
	int64_t invitation_id;	/* 0, or the invitation this sign-in accepts */
};

/* base64url(SHA-256(verifier)): the S256 code challenge. */
static void
pkce_challenge(const char *verifier, char out[OB_TOKEN_TEXT])
{
	unsigned char h[crypto_hash_sha256_BYTES];

	crypto_hash_sha256(h, (const unsigned char *)verifier, strlen(verifier));
	sodium_bin2base64(out, OB_TOKEN_TEXT, h, sizeof(h),
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

static void
url_param(struct ob_buf *b, const char *name, const char *value)
{
	char *v = curl_easy_escape(NULL, value, 0);

	ob_buf_printf(b, "&%s=%s", name, v ? v : "");
	curl_free(v);
}

/* Store the pending sign-in under the state's hash. 0 or -1 (db). */
static int
store_pending(struct ob_db *db, const char *state, const struct pending *pd)
{
	unsigned char raw[OB_TOKEN_BYTES];
	char hash[67], org[24], ttl[24], link[24], inv[24];
	const char *params[8];

	if (ob_auth_token_decode(state, raw) != 0)
		return -1;
	ob_auth_token_hash_param(raw, sizeof(raw), hash);
	ob_num_str(org, sizeof(org), pd->org_id);
	ob_num_str(ttl, sizeof(ttl), OB_SSO_LOGIN_TTL_S);
	ob_num_str(link, sizeof(link), pd->link_user_id);
	ob_num_str(inv, sizeof(inv), pd->invitation_id);
	params[0] = hash;
	params[1] = org;
	params[2] = pd->nonce;
	params[3] = pd->verifier;
	params[4] = pd->next;
	params[5] = ttl;
	params[6] = link;
	params[7] = inv;
	return ob_db_run(db, OB_STMT_SSO_LOGIN_CREATE, params);
}

/* Start the sign-in pd asks for (its org, link user, invitation and next). */
static int
begin(struct ob_db *db, struct pending *pd, const char *redirect_uri, const char *login_hint,
    struct ob_buf *url, char state[OB_TOKEN_TEXT], struct ob_fail *f)
{
	struct ob_sso_conn c;
	struct ob_oidc_provider p;
	unsigned char raw[OB_TOKEN_BYTES];
	char err[256], challenge[OB_TOKEN_TEXT];
	int64_t org_id = pd->org_id;
	int rc;

	if ((rc = ob_sso_conn_get(db, NULL, org_id, &c)) < 0)
		return ob_fail_db(f, db->lasterr);
	if (rc == 0 || !c.org_active)
		return ob_fail(f, OB_FAIL_NOT_FOUND, "sso_not_configured", NULL,
		    "Single sign-on is not set up for this organization.");
	if (ob_oidc_discover(c.issuer, &p, err, sizeof(err)) != 0) {
		ob_log(OB_LOG_WARN, "sso_discovery_failed", "org %lld: %s", (long long)org_id, err);
		return ob_fail(f, OB_FAIL_UPSTREAM, "sso_provider_unavailable", NULL,
		    "The identity provider could not be reached. Try again later.");
	}
	ob_auth_token_new(raw, state);
	ob_auth_token_new(raw, pd->nonce);
	ob_auth_token_new(raw, pd->verifier);	/* 43 characters: RFC 7636 §4.1 */
	sodium_memzero(raw, sizeof(raw));
	if (store_pending(db, state, pd) != 0)
		return ob_fail_db(f, db->lasterr);
	pkce_challenge(pd->verifier, challenge);
	ob_buf_printf(url, "%s%cresponse_type=code", p.authorization_endpoint,
	    strchr(p.authorization_endpoint, '?') ? '&' : '?');
	url_param(url, "client_id", c.client_id);
	url_param(url, "redirect_uri", redirect_uri);
	url_param(url, "scope", "openid email");
	url_param(url, "state", state);
	url_param(url, "nonce", pd->nonce);
	url_param(url, "code_challenge", challenge);
	url_param(url, "code_challenge_method", "S256");
	if (login_hint != NULL && strchr(login_hint, '@') != NULL)
		url_param(url, "login_hint", login_hint);
	return 0;
}

int
ob_sso_begin(struct ob_db *db, int64_t org_id, int64_t link_user_id, const char *redirect_uri,
    const char *login_hint, const char *next, struct ob_buf *url,
    char state[OB_TOKEN_TEXT], struct ob_fail *f)
{
	struct pending pd;

	memset(&pd, 0, sizeof(pd));
	pd.org_id = org_id;
	pd.link_user_id = link_user_id;
	snprintf(pd.next, sizeof(pd.next), "%s", next ? next : "/");
	return begin(db, &pd, redirect_uri, login_hint, url, state, f);
}

int
ob_sso_begin_invite(struct ob_db *db, int64_t org_id, int64_t invitation_id,
    int64_t link_user_id, const char *redirect_uri, const char *email, struct ob_buf *url,
    char state[OB_TOKEN_TEXT], struct ob_fail *f)
{
	struct pending pd;

	memset(&pd, 0, sizeof(pd));
	pd.org_id = org_id;
	pd.invitation_id = invitation_id;
	pd.link_user_id = link_user_id;
	snprintf(pd.next, sizeof(pd.next), "/?flash=invitation_accepted");
	return begin(db, &pd, redirect_uri, email, url, state, f);
}

/* Use the state up: the stored sign-in into pd. 0, or -1 with f. */
static int
take_pending(struct ob_db *db, const char *state, const char *cookie_state,
    struct pending *pd, struct ob_fail *f)
{
	unsigned char raw[OB_TOKEN_BYTES];
	char hash[67];
	const char *params[1] = { hash };
	PGresult *res = NULL;
	int rc, fresh;

	if (ob_auth_token_decode(state, raw) != 0)
		return ob_fail(f, OB_FAIL_INVALID, "sso_state_invalid", "state",
		    "This sign-in link is not valid. Start signing in again.");
	if (!ob_auth_streq(state, cookie_state))
		return ob_fail(f, OB_FAIL_INVALID, "sso_state_mismatch", "state",
		    "This sign-in was started in another browser or has already finished. "
		    "Start signing in again.");
	ob_auth_token_hash_param(raw, sizeof(raw), hash);
	sodium_memzero(raw, sizeof(raw));
	if ((rc = ob_db_one(db, OB_STMT_SSO_LOGIN_TAKE, params, &res)) < 0)
		return ob_fail_db(f, db->lasterr);
	if (rc > 0)
		return ob_fail(f, OB_FAIL_INVALID, "sso_state_used", "state",
		    "This sign-in link has already been used or is unknown. Start signing in again.");
	fresh = ob_row_bool(res, 0, "fresh");
	pd->org_id = ob_row_i64(res, 0, "org_id");
	pd->link_user_id = ob_row_i64(res, 0, "link_user_id");
	pd->invitation_id = ob_row_i64(res, 0, "invitation_id");
	snprintf(pd->nonce, sizeof(pd->nonce), "%s", ob_row_str(res, 0, "nonce"));
	snprintf(pd->verifier, sizeof(pd->verifier), "%s", ob_row_str(res, 0, "code_verifier"));
	snprintf(pd->next, sizeof(pd->next), "%s", ob_row_str(res, 0, "next"));
	PQclear(res);
	if (!fresh)
		return ob_fail(f, OB_FAIL_INVALID, "sso_state_expired", "state",
		    "This sign-in took too long. Start signing in again.");
	return 0;
}

/* Exchange the code and verify the ID token into cl. 0, or -1 with f. */
static int
token_claims(const struct ob_sso_conn *c, const struct pending *pd, const char *iss,
    const char *code, const char *redirect_uri, struct ob_oidc_claims *cl, struct ob_fail *f)
{
	struct ob_oidc_provider p;
	struct ob_oidc_expect x;
	char err[256];
	char *tok;
	int rc;

	if (iss != NULL && strcmp(iss, c->issuer) != 0)	/* RFC 9207 */
		return ob_fail(f, OB_FAIL_INVALID, "sso_issuer_mismatch", "iss",
		    "The answer came from another identity provider. Start signing in again.");
	if (code == NULL || *code == '\0' || strlen(code) > 2048)
		return ob_fail(f, OB_FAIL_INVALID, "sso_no_code", "code",
		    "The identity provider did not sign you in.");
	if (ob_oidc_discover(c->issuer, &p, err, sizeof(err)) != 0 ||
	    (tok = ob_oidc_exchange(&p, c->client_id, c->client_secret, code, pd->verifier,
	    redirect_uri, err, sizeof(err))) == NULL) {
		ob_log(OB_LOG_WARN, "sso_exchange_failed", "org %lld: %s", (long long)c->org_id, err);
		return ob_fail(f, OB_FAIL_UPSTREAM, "sso_provider_failed", NULL,
		    "The identity provider did not complete the sign-in. Start signing in again.");
	}
	x.issuer = c->issuer;
	x.client_id = c->client_id;
	x.nonce = pd->nonce;
	x.now = time(NULL);
	x.skew_s = OB_OIDC_SKEW_S;
	rc = ob_oidc_verify(&p, tok, &x, cl, err, sizeof(err));
	free(tok);
	if (rc == OB_OIDC_UNREACHABLE) {
		ob_log(OB_LOG_WARN, "sso_jwks_failed", "org %lld: %s", (long long)c->org_id, err);
		return ob_fail(f, OB_FAIL_UPSTREAM, "sso_provider_failed", NULL,
		    "The identity provider's keys could not be fetched. Try again later.");
	}
	if (rc != OB_OIDC_OK) {
		ob_log(OB_LOG_WARN, "sso_token_refused", "org %lld: %s", (long long)c->org_id, err);
		return ob_fail(f, OB_FAIL_FORBIDDEN, "sso_token_invalid", NULL,
		    "The identity provider's answer was refused (%s). Start signing in again.", err);
	}
	return 0;
}

/* The member's status in org ("" when none). 0 or -1 (db). */
static int
member_status(struct ob_db *db, int64_t org_id, int64_t user_id, char *st, size_t len)
{
	char org[24], uid[24];
	const char *params[2] = { org, uid };
	PGresult *res = NULL;
	int rc;

	ob_num_str(org, sizeof(org), org_id);
	ob_num_str(uid, sizeof(uid), user_id);
	st[0] = '\0';
	if ((rc = ob_db_one(db, OB_STMT_SSO_MEMBER_STATUS, params, &res)) < 0)
		return -1;
	if (rc == 0) {
		snprintf(st, len, "%s", ob_row_str(res, 0, "member_status"));
		PQclear(res);
	}
	return 0;
}

/* Link (issuer, sub) to uid. 0 or -1 (db). */
static int
link_identity(const struct ob_actx *ax, const char *issuer, const char *sub, int64_t uid)
{
	char id[24];
	const char *params[3] = { issuer, sub, id };

	ob_num_str(id, sizeof(id), uid);
	if (ob_db_run(ax->db, OB_STMT_SSO_IDENTITY_LINK, params) != 0)
		return -1;
	return ob_audit_write(ax, 0, "user.sso_linked", "user", id, NULL, NULL);
}

/* Whether uid is staff into *staff. 0 or -1 (db). */
static int
user_is_staff(struct ob_db *db, int64_t uid, int *staff)
{
	char id[24];
	const char *params[1] = { id };
	PGresult *res = NULL;
	int rc;

	ob_num_str(id, sizeof(id), uid);
	*staff = 0;
	if ((rc = ob_db_one(db, OB_STMT_SSO_USER_IS_STAFF, params, &res)) < 0)
		return -1;
	if (rc == 0) {
		*staff = ob_row_bool(res, 0, "is_staff");
		PQclear(res);
	}
	return 0;
}

/* Refuse staff accounts: never signed in or linked through a tenant's provider. */
static int
refuse_staff(struct ob_db *db, int64_t uid, struct ob_fail *f)
{
	int staff;

	if (user_is_staff(db, uid, &staff) != 0)
		return ob_db_fail(db, f);
	if (staff)
		return ob_fail(f, OB_FAIL_FORBIDDEN, "sso_staff_account", NULL,
		    "This account cannot sign in through an organization's identity provider. "
		    "Sign in with your password.");
	return 0;
}

/*
 * Link (issuer, sub) to the signed-in user who asked for it (pd->link_user_id,
 * who must still be the browser's session user). 0 with *uid, or -1 with f.
 */
static int
link_signed_in(const struct ob_actx *ax, const struct ob_sso_conn *c,
    const struct ob_oidc_claims *cl, const struct pending *pd, int64_t session_uid,
    int64_t *uid, struct ob_fail *f)
{
	if (session_uid != pd->link_user_id)
		return ob_fail(f, OB_FAIL_FORBIDDEN, "sso_link_session", NULL,
		    "Linking needs you signed in to your account in this browser. Sign in with "
		    "your password and link again.");
	if (refuse_staff(ax->db, pd->link_user_id, f) != 0)
		return -1;
	*uid = pd->link_user_id;
	if (link_identity(ax, c->issuer, cl->sub, *uid) != 0)
		return ob_db_fail(ax->db, f);
	return 0;
}

/*
 * The user the token stands for: the one linked to (issuer, sub), the
 * signed-in user linking now, or one made now for an address that has no
 * account (inside the caller's transaction). An existing account is never
 * linked by its e-mail. 0 with *uid, or -1 with f.
 */
static int
resolve_user(const struct ob_actx *ax, const struct ob_sso_conn *c,
    const struct ob_oidc_claims *cl, const struct pending *pd, int64_t session_uid,
    int allowed, int64_t *uid, struct ob_fail *f)
{
	const char *params[2] = { c->issuer, cl->sub };
	PGresult *res = NULL;
	int rc;

	if ((rc = ob_db_one(ax->db, OB_STMT_SSO_IDENTITY_GET, params, &res)) < 0)
		return ob_db_fail(ax->db, f);
	if (rc == 0) {
		*uid = ob_row_i64(res, 0, "user_id");
		PQclear(res);
		if (pd->link_user_id != 0 && *uid != pd->link_user_id)
			return ob_fail(f, OB_FAIL_CONFLICT, "sso_identity_taken", NULL,
			    "This identity is already linked to another account.");
		return refuse_staff(ax->db, *uid, f);
	}
	if (pd->link_user_id != 0)
		return link_signed_in(ax, c, cl, pd, session_uid, uid, f);
	if (!allowed)
		return ob_fail(f, OB_FAIL_FORBIDDEN, "sso_email_not_allowed", NULL,
		    "Your identity provider did not give a verified e-mail address of a domain "
		    "this organization accepts.");
	if ((*uid = ob_user_id_by_email(ax->db, cl->email)) < 0)
		return ob_db_fail(ax->db, f);
	if (*uid > 0)
		return ob_fail(f, OB_FAIL_FORBIDDEN, "sso_link_required", NULL,
		    "An account with this e-mail address already exists. Sign in with your "
		    "password first, then link your account to single sign-on at /sso/link.");
	if (ob_user_create(ax, cl->email, "", NULL, 0, uid, f) != 0)
		return -1;
	if (link_identity(ax, c->issuer, cl->sub, *uid) != 0)
		return ob_db_fail(ax->db, f);
	return 0;
}

/*
 * Accept invitation inv (the one the sign-in was started for, or the open
 * one for the address) as uid, who acts from here. 0, or -1 with f.
 */
static int
accept_invitation(const struct ob_actx *ax, const struct ob_sso_conn *c,
    const struct ob_oidc_claims *cl, int64_t inv, int64_t uid, struct ob_fail *f)
{
	struct ob_principal who;
	struct ob_actx nax = *ax;

	if (!cl->email_verified || cl->email[0] == '\0') {
		ob_db_rollback(ax->db);
		return ob_fail(f, OB_FAIL_FORBIDDEN, "invitation_other_email", NULL,
		    "Your identity provider did not give a verified e-mail address: the "
		    "invitation cannot be accepted this way.");
	}
	memset(&who, 0, sizeof(who));
	who.kind = OB_PRINCIPAL_USER;
	who.user_id = uid;
	nax.who = &who;
	nax.as_staff = 0;
	return ob_invite_accept_sso_tx(&nax, inv, c->org_id, uid, cl->email, f);
}

/*
 * The user must be an active member: joining now through the invitation
 * inv (0: the address's open invitation, if any), or else just in time
 * when allowed. 0, or -1 with f.
 */
static int
ensure_member(const struct ob_actx *ax, const struct ob_sso_conn *c,
    const struct ob_oidc_claims *cl, int allowed, int64_t inv, int64_t uid, struct ob_fail *f)
{
	char org[24], id[24], st[16];
	const char *params[2] = { org, id };
	PGresult *res;
	int joined;

	ob_num_str(org, sizeof(org), c->org_id);
	ob_num_str(id, sizeof(id), uid);
	if (inv == 0 && allowed) {
		if (member_status(ax->db, c->org_id, uid, st, sizeof(st)) != 0)
			return ob_db_fail(ax->db, f);
		if (strcmp(st, "active") != 0 &&
		    ob_invite_open_id(ax->db, c->org_id, cl->email, &inv) != 0)
			return ob_db_fail(ax->db, f);
	}
	if (inv != 0) {
		if (accept_invitation(ax, c, cl, inv, uid, f) != 0)
			return -1;
	} else if (allowed) {
		if ((res = ob_db_exec(ax->db, OB_STMT_SSO_MEMBER_JOIN, params, NULL)) == NULL)
			return ob_db_fail(ax->db, f);
		joined = atoi(PQcmdTuples(res)) > 0;
		PQclear(res);
		if (joined && ob_audit_write(ax, c->org_id, "member.sso_joined", "user", id, NULL,
		    NULL) != 0)
			return ob_db_fail(ax->db, f);
	}
	if (member_status(ax->db, c->org_id, uid, st, sizeof(st)) != 0)
		return ob_db_fail(ax->db, f);
	if (strcmp(st, "active") != 0)
		return ob_fail(f, OB_FAIL_FORBIDDEN, "sso_not_member", NULL,
		    "You are not a member of this organization. Ask one of its owners to invite you.");
	{
		const char *p3[3] = { id, org, "false" };

		if (ob_db_run(ax->db, OB_STMT_USER_SET_DEFAULT_ORG, p3) != 0)
			return ob_db_fail(ax->db, f);
	}
	return 0;
}

int
ob_sso_finish(const struct ob_actx *ax, const char *keytext, int64_t session_uid,
    const char *state, const char *cookie_state, const char *iss, const char *code,
    const char *redirect_uri,
    struct ob_sso_result *out, struct ob_fail *f)
{
	struct pending pd;
	struct ob_sso_conn c;
	struct ob_oidc_claims cl;
	int rc, allowed;

	memset(out, 0, sizeof(*out));
	if (take_pending(ax->db, state, cookie_state, &pd, f) != 0)
		return -1;
	if ((rc = ob_sso_conn_get(ax->db, keytext, pd.org_id, &c)) < 0)
		return ob_fail(f, OB_FAIL_CONFLICT, "sso_misconfigured", NULL,
		    "Single sign-on for this organization cannot be used right now "
		    "(its settings cannot be read). Tell the organization's owner.");
	if (rc == 0 || !c.org_active)
		return ob_fail(f, OB_FAIL_NOT_FOUND, "sso_not_configured", NULL,
		    "Single sign-on is not set up for this organization.");
	rc = token_claims(&c, &pd, iss, code, redirect_uri, &cl, f);
	sodium_memzero(c.client_secret, sizeof(c.client_secret));
	if (rc != 0)
		return -1;
	allowed = cl.email_verified && cl.email[0] != '\0' &&
	    ob_sso_domain_allowed(c.verified, cl.email);
	if (ob_db_begin(ax->db) != 0)
		return ob_fail_db(f, ax->db->lasterr);
	if (resolve_user(ax, &c, &cl, &pd, session_uid, allowed, &out->user_id, f) != 0 ||
	    ensure_member(ax, &c, &cl, allowed, pd.invitation_id, out->user_id, f) != 0) {
		ob_db_rollback(ax->db);
		return -1;
	}
	if (ob_db_commit(ax->db) != 0)
		return ob_fail_db(f, ax->db->lasterr);
	out->org_id = pd.org_id;
	snprintf(out->next, sizeof(out->next), "%s", pd.next);
	return 0;
}
