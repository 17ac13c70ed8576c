/*
 * ob_sso: an org's single sign-on connection (docs/SSO.md). One OpenID
 * Connect provider per org: issuer, client id, client secret (sealed with
 * crypto_secretbox under ORGBILL_SSO_KEY), the e-mail domains whose verified
 * addresses may join as members, and whether SSO is required (password
 * sign-in refused for the org's members).
 */
#ifndef OB_SSO_H
#define OB_SSO_H

#include <stddef.h>
#include <stdint.h>

#include "base/db.h"
#include "base/fail.h"
#include "identity/audit.h"

#define OB_SSO_KEY_BYTES	32
#define OB_SSO_MAX_DOMAINS	20

struct ob_sso_conn {
	int64_t org_id;
	char slug[64];
	char issuer[501];
	char client_id[256];
	char client_secret[512];	/* opened only when asked for */
	char domains[1024];		/* allowed_domains as set: comma list, lower case */
	char verified[1024];		/* those of them verified: routing and JIT use only these */
	int required;
	int org_active;
};

/**
 * Read ORGBILL_SSO_KEY's text: 64 hex digits or the base64 of 32 bytes.
 * 0 with key filled; -1 when text is empty or not such a key.
 */
int ob_sso_key_parse(const char *text, unsigned char key[OB_SSO_KEY_BYTES]);

/**
 * An issuer we may talk to: https://host[:port][/path], or http:// on a
 * loopback host (127.0.0.1, localhost, [::1]) only; no query, fragment,
 * spaces or trailing slash. 1 when it is one.
 */
int ob_sso_issuer_ok(const char *issuer);

/**
 * Normalize a comma list of e-mail domains into out (lower case, no
 * spaces): each a DNS name with a dot, at most OB_SSO_MAX_DOMAINS. 0, or -1
 * when one is not a domain.
 */
int ob_sso_domains_norm(const char *in, char *out, size_t outlen);

/** 1 when the address's domain (after the last '@') is one of the comma list domains. */
int ob_sso_domain_allowed(const char *domains, const char *email);

/**
 * Create or replace org_id's connection. keytext is ORGBILL_SSO_KEY: empty
 * or malformed refuses (sso_key_missing). The domains are stored
 * unverified (ob_sso_domain_verify); a domain another org holds verified is
 * a conflict (domain_taken); verified domains no longer listed are
 * dropped. Audited (org.sso_configured, never with the secret). 0 or -1 with f.
 */
int ob_sso_conn_set(const struct ob_actx *ax, const char *keytext, int64_t org_id,
    const struct ob_sso_conn *in, struct ob_fail *f);

/**
 * Verify domain for org_id's connection (an operator's act, after checking
 * out of band that the org owns it): it then routes sign-ins to the org and
 * admits just-in-time accounts. Audited (org.sso_domain_verified). 0, or -1
 * with f: not_found when the connection does not list it, conflict
 * (domain_taken) when another org holds it verified.
 */
int ob_sso_domain_verify(const struct ob_actx *ax, int64_t org_id, const char *domain,
    struct ob_fail *f);

/** Remove org_id's connection (audited). 0, or -1 with f (not_found when none). */
int ob_sso_conn_delete(const struct ob_actx *ax, int64_t org_id, struct ob_fail *f);

/**
 * org_id's connection into c: 1 when there is one, 0 when none, -1 on a
 * database failure. With keytext non-NULL the client secret is opened too
 * (-1 when it cannot be: wrong or missing key, logged).
 */
int ob_sso_conn_get(struct ob_db *db, const char *keytext, int64_t org_id,
    struct ob_sso_conn *c);

/**
 * The org whose connection serves who: an e-mail address (by its domain)
 * or an org slug. 1 with *org_id, 0 when none does, -1 on a database failure.
 */
int ob_sso_conn_find(struct ob_db *db, const char *who, int64_t *org_id);

/**
 * Whether password sign-in is refused for user_id: 1 when one of the orgs
 * they are an active member of requires SSO (its slug into slug), 0 when
 * none does, -1 on a database failure.
 */
int ob_sso_required_for(struct ob_db *db, int64_t user_id, char *slug, size_t len);

#endif
