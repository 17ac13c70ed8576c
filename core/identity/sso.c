#include "identity/sso.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "base/log.h"
#include "base/num.h"
#include "base/row.h"
#include "identity/oidc_http.h"

int
ob_sso_key_parse(const char *text, unsigned char key[OB_SSO_KEY_BYTES])
{
	size_t len = 0, tlen;
	const char *end = NULL;

	if (text == NULL || (tlen = strlen(text)) == 0)
		return -1;
	if (tlen == 2 * OB_SSO_KEY_BYTES &&
	    sodium_hex2bin(key, OB_SSO_KEY_BYTES, text, tlen, NULL, &len, &end) == 0 &&
	    len == OB_SSO_KEY_BYTES && *end == '\0')
		return 0;
	if (sodium_base642bin(key, OB_SSO_KEY_BYTES, text, tlen, NULL, &len, &end,
	    sodium_base64_VARIANT_ORIGINAL) == 0 && len == OB_SSO_KEY_BYTES && *end == '\0')
		return 0;
	sodium_memzero(key, OB_SSO_KEY_BYTES);
	return -1;
}

/* host[:port] of a loopback address. */
static int
loopback_host(const char *h, size_t len)
{
	static const char *const hosts[] = { "127.0.0.1", "localhost", "[::1]" };
	size_t i, n;

	for (i = 0; i < sizeof(hosts) / sizeof(hosts[0]); i++) {
		n = strlen(hosts[i]);
		if (len >= n && strncmp(h, hosts[i], n) == 0 && (len == n || h[n] == ':'))
			return 1;
	}
	return 0;
}

int
ob_sso_issuer_ok(const char *issuer)
{
	const char *host;
	size_t i, len, hlen;

	if (issuer == NULL || (len = strlen(issuer)) < 9 || len > 500 || issuer[len - 1] == '/')
		return 0;
	for (i = 0; i < len; i++)
		if ((unsigned char)issuer[i] <= 0x20 || (unsigned char)issuer[i] >= 0x7f ||
		    issuer[i] == '?' || issuer[i] == '#' || issuer[i] == '\\' || issuer[i] == '@')
			return 0;
	if (strncmp(issuer, "https://", 8) == 0)
		host = issuer + 8;
	else if (strncmp(issuer, "http://", 7) == 0)
		host = issuer + 7;
	else
		return 0;
	hlen = strcspn(host, "/");
	if (hlen == 0)
		return 0;
	/* http:// only for loopback, and only when the setting allows it. */
	return host == issuer + 8 || (ob_oidc_insecure_loopback() && loopback_host(host, hlen));
}

static int
domain_ok(const char *d, size_t len)
{
	size_t i;

	if (len < 3 || len > 253 || d[0] == '.' || d[0] == '-' || d[len - 1] == '.' ||
	    memchr(d, '.', len) == NULL)
		return 0;
	for (i = 0; i < len; i++)
		if (!(islower((unsigned char)d[i]) || isdigit((unsigned char)d[i]) || d[i] == '.' ||
		    d[i] == '-'))
			return 0;
	return 1;
}

int
ob_sso_domains_norm(const char *in, char *out, size_t outlen)
{
	char d[256];
	size_t len, n = 0, used = 0, i, b;
	const char *p = in ? in : "";

	out[0] = '\0';
	while (*p != '\0') {
		len = strcspn(p, ",");
		for (i = 0, b = 0; i < len && b < sizeof(d) - 1; i++)
			if (p[i] != ' ')
				d[b++] = (char)tolower((unsigned char)p[i]);
		d[b] = '\0';
		if (b > 0) {
			if (!domain_ok(d, b) || ++n > OB_SSO_MAX_DOMAINS || used + b + 2 > outlen)
				return -1;
			used += (size_t)snprintf(out + used, outlen - used, "%s%s", used ? "," : "", d);
		}
		p += len;
		if (*p == ',')
			p++;
	}
	return 0;
}

int
ob_sso_domain_allowed(const char *domains, const char *email)
{
	const char *at = email ? strrchr(email, '@') : NULL, *p = domains;
	size_t dlen, len;

	if (at == NULL || at[1] == '\0' || p == NULL)
		return 0;
	dlen = strlen(at + 1);
	while (*p != '\0') {
		len = strcspn(p, ",");
		if (len == dlen && strncasecmp(p, at + 1, len) == 0)
			return 1;
		p += len;
		if (*p == ',')
			p++;
	}
	return 0;
}

/* nonce || crypto_secretbox(secret) as a bytea parameter ("\\x<hex>"). */
static char *
seal_param(const unsigned char key[OB_SSO_KEY_BYTES], const char *secret)
{
	size_t slen = strlen(secret), blen = crypto_secretbox_NONCEBYTES +
	    crypto_secretbox_MACBYTES + slen;
	unsigned char *box = malloc(blen);
	char *hex = malloc(2 * blen + 3);

	if (box == NULL || hex == NULL) {
		free(box);
		free(hex);
		return NULL;
	}
	randombytes_buf(box, crypto_secretbox_NONCEBYTES);
	crypto_secretbox_easy(box + crypto_secretbox_NONCEBYTES, (const unsigned char *)secret,
	    slen, box, key);
	hex[0] = '\\';
	hex[1] = 'x';
	sodium_bin2hex(hex + 2, 2 * blen + 1, box, blen);
	free(box);
	return hex;
}

/* Open a sealed secret (the bytea column's text) into out. 0 or -1. */
static int
open_secret(const unsigned char key[OB_SSO_KEY_BYTES], const char *col, char *out,
    size_t outlen)
{
	size_t n = 0;
	unsigned char *box = PQunescapeBytea((const unsigned char *)col, &n);
	size_t mlen;
	int rc = -1;

	if (box == NULL)
		return -1;
	if (n > crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES &&
	    (mlen = n - crypto_secretbox_NONCEBYTES - crypto_secretbox_MACBYTES) < outlen &&
	    crypto_secretbox_open_easy((unsigned char *)out, box + crypto_secretbox_NONCEBYTES,
	    n - crypto_secretbox_NONCEBYTES, box, key) == 0) {
		out[mlen] = '\0';
		rc = 0;
	}
	PQfreemem(box);
	return rc;
}

/* A domain of the list another org's connection claims: 1 (into taken), 0, -1. */
static int
domain_taken(struct ob_db *db, int64_t org_id, const char *domains, char *taken, size_t len)
{
	char d[256];
	const char *p = domains, *params[1] = { d };
	PGresult *res;
	size_t n;
	int i, hit = 0;

	while (*p != '\0' && !hit) {
		n = strcspn(p, ",");
		snprintf(d, sizeof(d), "%.*s", (int)n, p);
		if ((res = ob_db_exec(db, OB_STMT_SSO_CONN_BY_DOMAIN, params, NULL)) == NULL)
			return -1;
		for (i = 0; i < PQntuples(res); i++)
			if (ob_row_i64(res, i, "org_id") != org_id) {
				snprintf(taken, len, "%s", d);
				hit = 1;
			}
		PQclear(res);
		p += n;
		if (*p == ',')
			p++;
	}
	return hit;
}

/* The checks of a connection's fields; domains normalized into dom. */
static int
conn_input_ok(const struct ob_sso_conn *in, char *dom, size_t domlen, struct ob_fail *f)
{
	if (!ob_sso_issuer_ok(in->issuer))
		return ob_fail(f, OB_FAIL_INVALID, "parameter_invalid", "issuer",
		    "The issuer must be an https:// URL without query, fragment or trailing slash.");
	if (in->client_id[0] == '\0')
		return ob_fail(f, OB_FAIL_INVALID, "parameter_missing", "client_id",
		    "client_id is required.");
	if (in->client_secret[0] == '\0')
		return ob_fail(f, OB_FAIL_INVALID, "parameter_missing", "client_secret",
		    "client_secret is required.");
	if (ob_sso_domains_norm(in->domains, dom, domlen) != 0)
		return ob_fail(f, OB_FAIL_INVALID, "parameter_invalid", "allowed_domains",
		    "allowed_domains must be e-mail domains such as example.com (at most %d).",
		    OB_SSO_MAX_DOMAINS);
	return 0;
}

int
ob_sso_conn_set(const struct ob_actx *ax, const char *keytext, int64_t org_id,
    const struct ob_sso_conn *in, struct ob_fail *f)
{
	unsigned char key[OB_SSO_KEY_BYTES];
	char org[24], dom[1024], taken[256];
	const char *params[6];
	char *sealed = NULL;
	cJSON *after = NULL;
	int rc = -1, t;

	if (ob_sso_key_parse(keytext, key) != 0)
		return ob_fail(f, OB_FAIL_CONFLICT, "sso_key_missing", NULL,
		    "Single sign-on cannot be configured: the server has no valid ORGBILL_SSO_KEY "
		    "(32 bytes as 64 hex digits or base64). Ask the operator to set it.");
	if (conn_input_ok(in, dom, sizeof(dom), f) != 0)
		goto out;
	if ((sealed = seal_param(key, in->client_secret)) == NULL) {
		ob_fail_db(f, "out of memory");
		goto out;
	}
	if (ob_db_begin(ax->db) != 0) {
		ob_fail_db(f, ax->db->lasterr);
		goto out;
	}
	if ((t = domain_taken(ax->db, org_id, dom, taken, sizeof(taken))) != 0) {
		if (t < 0)
			ob_db_fail(ax->db, f);
		else {
			ob_db_rollback(ax->db);
			ob_fail(f, OB_FAIL_CONFLICT, "domain_taken", "allowed_domains",
			    "The domain %s is already used by another organization's single sign-on.",
			    taken);
		}
		goto out;
	}
	ob_num_str(org, sizeof(org), org_id);
	params[0] = org;
	params[1] = in->issuer;
	params[2] = in->client_id;
	params[3] = sealed;
	params[4] = dom;
	params[5] = in->required ? "true" : "false";
	if (ob_db_run(ax->db, OB_STMT_SSO_CONN_UPSERT, params) != 0 ||
	    ob_db_run(ax->db, OB_STMT_SSO_DOMAINS_PRUNE, (const char *[]){ org, dom }) != 0) {
		ob_db_fail(ax->db, f);
		goto out;
	}
	after = cJSON_CreateObject();
	cJSON_AddStringToObject(after, "issuer", in->issuer);
	cJSON_AddStringToObject(after, "client_id", in->client_id);
	cJSON_AddStringToObject(after, "allowed_domains", dom);
	cJSON_AddBoolToObject(after, "sso_required", in->required);
	rc = ob_audit_commit(ax, org_id, "org.sso_configured", "org", org, NULL, after, f);
out:
	sodium_memzero(key, sizeof(key));
	free(sealed);
	cJSON_Delete(after);
	return rc;
}

int
ob_sso_conn_delete(const struct ob_actx *ax, int64_t org_id, struct ob_fail *f)
{
	char org[24];
	const char *params[1] = { org };
	PGresult *res;
	int n;

	ob_num_str(org, sizeof(org), org_id);
	if (ob_db_begin(ax->db) != 0)
		return ob_fail_db(f, ax->db->lasterr);
	if ((res = ob_db_exec(ax->db, OB_STMT_SSO_CONN_DELETE, params, NULL)) == NULL)
		return ob_db_fail(ax->db, f);
	n = atoi(PQcmdTuples(res));
	PQclear(res);
	if (n == 0) {
		ob_db_rollback(ax->db);
		return ob_fail(f, OB_FAIL_NOT_FOUND, "resource_missing", NULL,
		    "This organization has no single sign-on connection.");
	}
	return ob_audit_commit(ax, org_id, "org.sso_removed", "org", org, NULL, NULL, f);
}

int
ob_sso_conn_get(struct ob_db *db, const char *keytext, int64_t org_id, struct ob_sso_conn *c)
{
	unsigned char key[OB_SSO_KEY_BYTES];
	char org[24];
	const char *params[1] = { org };
	PGresult *res = NULL;
	int rc;

	memset(c, 0, sizeof(*c));
	ob_num_str(org, sizeof(org), org_id);
	if ((rc = ob_db_one(db, OB_STMT_SSO_CONN_GET, params, &res)) != 0)
		return rc < 0 ? -1 : 0;
	c->org_id = org_id;
	snprintf(c->slug, sizeof(c->slug), "%s", ob_row_str(res, 0, "slug"));
	snprintf(c->issuer, sizeof(c->issuer), "%s", ob_row_str(res, 0, "issuer"));
	snprintf(c->client_id, sizeof(c->client_id), "%s", ob_row_str(res, 0, "client_id"));
	snprintf(c->domains, sizeof(c->domains), "%s", ob_row_str(res, 0, "domains"));
	snprintf(c->verified, sizeof(c->verified), "%s", ob_row_str(res, 0, "verified_domains"));
	c->required = ob_row_bool(res, 0, "sso_required");
	c->org_active = strcmp(ob_row_str(res, 0, "org_status"), "active") == 0;
	rc = 1;
	if (keytext != NULL) {
		if (ob_sso_key_parse(keytext, key) != 0 ||
		    open_secret(key, ob_row_str(res, 0, "client_secret_enc"), c->client_secret,
		    sizeof(c->client_secret)) != 0) {
			ob_log(OB_LOG_ERROR, "sso_secret_unreadable",
			    "org %lld: the SSO client secret cannot be opened with ORGBILL_SSO_KEY",
			    (long long)org_id);
			rc = -1;
		}
		sodium_memzero(key, sizeof(key));
	}
	PQclear(res);
	return rc;
}

int
ob_sso_conn_find(struct ob_db *db, const char *who, int64_t *org_id)
{
	const char *at = who ? strrchr(who, '@') : NULL;
	const char *params[1];
	PGresult *res;
	int n;

	*org_id = 0;
	if (who == NULL || *who == '\0' || strlen(who) > 320)
		return 0;
	params[0] = at != NULL ? at + 1 : who;
	res = ob_db_exec(db, at != NULL ? OB_STMT_SSO_CONN_BY_DOMAIN : OB_STMT_SSO_CONN_BY_SLUG,
	    params, NULL);
	if (res == NULL)
		return -1;
	n = PQntuples(res);
	if (n == 1)
		*org_id = ob_row_i64(res, 0, "org_id");
	PQclear(res);
	return n == 1;
}

int
ob_sso_required_for(struct ob_db *db, int64_t user_id, char *slug, size_t len)
{
	char uid[24];
	const char *params[1] = { uid };
	PGresult *res = NULL;
	int rc;

	ob_num_str(uid, sizeof(uid), user_id);
	if ((rc = ob_db_one(db, OB_STMT_SSO_REQUIRED_FOR_USER, params, &res)) != 0)
		return rc < 0 ? -1 : 0;
	snprintf(slug, len, "%s", ob_row_str(res, 0, "slug"));
	PQclear(res);
	return 1;
}

int
ob_sso_domain_verify(const struct ob_actx *ax, int64_t org_id, const char *domain,
    struct ob_fail *f)
{
	char org[24], d[256], taken[8];
	const char *params[2] = { org, d };
	cJSON *after;
	PGresult *res;
	int n, t;

	if (ob_sso_domains_norm(domain, d, sizeof(d)) != 0 || d[0] == '\0' || strchr(d, ','))
		return ob_fail(f, OB_FAIL_INVALID, "parameter_invalid", "domain",
		    "The domain must be one e-mail domain such as example.com.");
	ob_num_str(org, sizeof(org), org_id);
	if (ob_db_begin(ax->db) != 0)
		return ob_fail_db(f, ax->db->lasterr);
	if ((res = ob_db_exec(ax->db, OB_STMT_SSO_DOMAIN_VERIFY, params, NULL)) == NULL)
		return ob_db_fail(ax->db, f);
	n = PQntuples(res);
	PQclear(res);
	if (n == 0) {
		t = domain_taken(ax->db, org_id, d, taken, sizeof(taken));
		if (t < 0)
			return ob_db_fail(ax->db, f);
		ob_db_rollback(ax->db);
		if (t > 0)
			return ob_fail(f, OB_FAIL_CONFLICT, "domain_taken", "domain",
			    "The domain %s is already verified for another organization.", d);
		return ob_fail(f, OB_FAIL_NOT_FOUND, "resource_missing", "domain",
		    "The organization's single sign-on does not list the domain %s.", d);
	}
	after = cJSON_CreateObject();
	cJSON_AddStringToObject(after, "domain", d);
	n = ob_audit_commit(ax, org_id, "org.sso_domain_verified", "org", org, NULL, after, f);
	cJSON_Delete(after);
	return n;
}
