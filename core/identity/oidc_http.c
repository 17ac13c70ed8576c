#include "identity/oidc_http.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sys/socket.h>

#include <curl/curl.h>

#include "base/buf.h"
#include "base/cfg.h"
#include "base/log.h"
#include "identity/oidc_addr.h"
#include "identity/sso.h"

#define BODY_MAX (1L << 20)
#define CACHE_SLOTS 8

struct cache_entry {
	struct ob_oidc_provider p;
	cJSON *jwks;
	long disc_at, jwks_at;		/* monotonic seconds; 0: never */
	long used_at;
};

static struct cache_entry cache[CACHE_SLOTS];

static long
mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec + 1;	/* never 0: 0 means "never" */
}

void
ob_oidc_cache_clear(void)
{
	int i;

	for (i = 0; i < CACHE_SLOTS; i++)
		cJSON_Delete(cache[i].jwks);
	memset(cache, 0, sizeof(cache));
	ob_oidc_limit_clear();
}

static size_t
write_cb(char *p, size_t size, size_t n, void *arg)
{
	struct ob_buf *b = arg;

	if (b->len + size * n > (size_t)BODY_MAX)
		return 0;
	ob_buf_append(b, p, size * n);
	return size * n;
}

/* What the socket callback knows and tells. */
struct sock_guard {
	int allow_loopback;
	int refused;	/* set when an address was refused */
};

/*
 * CURLOPT_OPENSOCKETFUNCTION: the address about to be connected to, after
 * resolution, must not be internal (identity/oidc_addr.h).
 */
static curl_socket_t
open_socket(void *clientp, curlsocktype purpose, struct curl_sockaddr *a)
{
	struct sock_guard *g = clientp;

	if (purpose != CURLSOCKTYPE_IPCXN ||
	    ob_oidc_addr_blocked((const struct sockaddr *)&a->addr, g->allow_loopback)) {
		g->refused = 1;
		return CURL_SOCKET_BAD;
	}
	return socket(a->family, a->socktype, a->protocol);
}

int
ob_oidc_insecure_loopback(void)
{
	return ob_cfg_env_int("ORGBILL_SSO_ALLOW_INSECURE_LOOPBACK") == 1;
}

/* One request: POST when form is not NULL. The HTTP status, or -1 (err). */
static long
http_call(const char *url, const char *form, const char *user, const char *pass,
    struct ob_buf *out, char *err, size_t errlen)
{
	CURL *c = curl_easy_init();
	struct curl_slist *h = NULL;
	char cerr[CURL_ERROR_SIZE] = "";
	struct sock_guard g = { ob_oidc_insecure_loopback(), 0 };
	long status = -1;
	CURLcode rc;

	if (c == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	h = curl_slist_append(h, "Accept: application/json");
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "orgbill-sso");
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long)OB_OIDC_CONNECT_TIMEOUT_MS);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)OB_OIDC_TIMEOUT_MS);
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, g.allow_loopback ? "http,https" : "https");
	curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "https");
	curl_easy_setopt(c, CURLOPT_OPENSOCKETFUNCTION, open_socket);
	curl_easy_setopt(c, CURLOPT_OPENSOCKETDATA, &g);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, cerr);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, write_cb);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, out);
	if (form != NULL) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, form);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(form));
	}
	if (user != NULL) {
		curl_easy_setopt(c, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
		curl_easy_setopt(c, CURLOPT_USERNAME, user);
		curl_easy_setopt(c, CURLOPT_PASSWORD, pass);
	}
	if ((rc = curl_easy_perform(c)) == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	else if (g.refused)
		snprintf(err, errlen, "the provider's address is not allowed (internal network)");
	else
		snprintf(err, errlen, "the provider could not be reached: %s",
		    cerr[0] ? cerr : curl_easy_strerror(rc));
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	return status;
}

/* GET url as a JSON object (free it), or NULL with err. */
static cJSON *
get_json(const char *url, char *err, size_t errlen)
{
	struct ob_buf b = { 0 };
	long status = http_call(url, NULL, NULL, NULL, &b, err, errlen);
	cJSON *j = NULL;

	if (status == 200 && (j = cJSON_ParseWithLength(b.data, b.len)) != NULL &&
	    !cJSON_IsObject(j)) {
		cJSON_Delete(j);
		j = NULL;
	}
	if (j == NULL && status >= 0)
		snprintf(err, errlen, "the provider answered %ld without a JSON object (%.80s)",
		    status, url);
	ob_buf_free(&b);
	return j;
}

/* Copy the URL member name of d into out if it is one we may call. */
static int
endpoint(const cJSON *d, const char *name, char *out, size_t len)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(d, name);

	if (!cJSON_IsString(v) || strlen(v->valuestring) >= len || !ob_sso_issuer_ok(v->valuestring))
		return -1;
	snprintf(out, len, "%s", v->valuestring);
	return 0;
}

/* Whether the string array name of d holds s. */
static int
lists(const cJSON *d, const char *name, const char *s)
{
	const cJSON *a = cJSON_GetObjectItemCaseSensitive(d, name), *v;

	cJSON_ArrayForEach(v, a)
		if (cJSON_IsString(v) && strcmp(v->valuestring, s) == 0)
			return 1;
	return 0;
}

static int
fetch_discovery(const char *issuer, struct ob_oidc_provider *p, char *err, size_t errlen)
{
	char url[600];
	const cJSON *iss;
	cJSON *d;
	int rc = -1;

	snprintf(url, sizeof(url), "%s/.well-known/openid-configuration", issuer);
	if ((d = get_json(url, err, errlen)) == NULL)
		return -1;
	memset(p, 0, sizeof(*p));
	iss = cJSON_GetObjectItemCaseSensitive(d, "issuer");
	if (!cJSON_IsString(iss) || strcmp(iss->valuestring, issuer) != 0)
		snprintf(err, errlen, "the discovery document names another issuer");
	else if (endpoint(d, "authorization_endpoint", p->authorization_endpoint,
	    sizeof(p->authorization_endpoint)) != 0 ||
	    endpoint(d, "token_endpoint", p->token_endpoint, sizeof(p->token_endpoint)) != 0 ||
	    endpoint(d, "jwks_uri", p->jwks_uri, sizeof(p->jwks_uri)) != 0)
		snprintf(err, errlen, "the discovery document lacks a usable endpoint");
	else {
		snprintf(p->issuer, sizeof(p->issuer), "%s", issuer);
		p->post_auth = cJSON_GetObjectItemCaseSensitive(d,
		    "token_endpoint_auth_methods_supported") != NULL &&
		    !lists(d, "token_endpoint_auth_methods_supported", "client_secret_basic") &&
		    lists(d, "token_endpoint_auth_methods_supported", "client_secret_post");
		rc = 0;
	}
	cJSON_Delete(d);
	return rc;
}

/* The cache entry for issuer: its own, else a free or the least recently used one. */
static struct cache_entry *
slot_for(const char *issuer)
{
	struct cache_entry *e = &cache[0];
	int i;

	for (i = 0; i < CACHE_SLOTS; i++)
		if (strcmp(cache[i].p.issuer, issuer) == 0)
			return &cache[i];
	for (i = 1; i < CACHE_SLOTS; i++)
		if (cache[i].used_at < e->used_at)
			e = &cache[i];
	cJSON_Delete(e->jwks);
	memset(e, 0, sizeof(*e));
	return e;
}

int
ob_oidc_discover(const char *issuer, struct ob_oidc_provider *p, char *err, size_t errlen)
{
	struct cache_entry *e = slot_for(issuer);
	long now = mono_s();

	if (e->disc_at == 0 || now - e->disc_at > OB_OIDC_CACHE_S) {
		if (ob_oidc_limit_failing(issuer, now)) {
			snprintf(err, errlen, "the provider failed less than %d s ago; not asked again yet",
			    OB_OIDC_FAIL_S);
			memset(e, 0, sizeof(*e));
			return -1;
		}
		if (fetch_discovery(issuer, &e->p, err, errlen) != 0) {
			ob_oidc_limit_failed(issuer, now);
			memset(e, 0, sizeof(*e));
			return -1;
		}
		e->disc_at = now;
	}
	e->used_at = now;
	*p = e->p;
	return 0;
}

static int
fetch_jwks(struct cache_entry *e, char *err, size_t errlen)
{
	cJSON *j;

	if (ob_oidc_limit_failing(e->p.issuer, mono_s())) {
		snprintf(err, errlen, "the provider failed less than %d s ago; not asked again yet",
		    OB_OIDC_FAIL_S);
		return -1;
	}
	if ((j = get_json(e->p.jwks_uri, err, errlen)) == NULL) {
		ob_oidc_limit_failed(e->p.issuer, mono_s());
		return -1;
	}
	if (!cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(j, "keys"))) {
		snprintf(err, errlen, "the provider's JWKS has no keys");
		cJSON_Delete(j);
		return -1;
	}
	cJSON_Delete(e->jwks);
	e->jwks = j;
	e->jwks_at = mono_s();
	return 0;
}

int
ob_oidc_verify(const struct ob_oidc_provider *p, const char *id_token,
    const struct ob_oidc_expect *x, struct ob_oidc_claims *out, char *err, size_t errlen)
{
	struct cache_entry *e = slot_for(p->issuer);
	long now = mono_s();
	int rc;

	if (e->p.issuer[0] == '\0') {
		e->p = *p;
		e->disc_at = now;
	}
	e->used_at = now;
	if ((e->jwks == NULL || now - e->jwks_at > OB_OIDC_CACHE_S) &&
	    fetch_jwks(e, err, errlen) != 0)
		return OB_OIDC_UNREACHABLE;
	rc = ob_oidc_jwt_verify(id_token, e->jwks, x, out, err, errlen);
	if (rc != OB_OIDC_UNKNOWN_KID)
		return rc;
	if (!ob_oidc_limit_refresh(p->issuer, now)) {
		ob_log(OB_LOG_WARN, "sso_jwks_refresh_limited", "issuer %s kid %s", p->issuer,
		    out->kid);
		return OB_OIDC_INVALID;
	}
	ob_log(OB_LOG_INFO, "sso_jwks_refresh", "issuer %s: unknown kid %s", p->issuer, out->kid);
	if (fetch_jwks(e, err, errlen) != 0)
		return OB_OIDC_UNREACHABLE;
	rc = ob_oidc_jwt_verify(id_token, e->jwks, x, out, err, errlen);
	return rc == OB_OIDC_UNKNOWN_KID ? OB_OIDC_INVALID : rc;
}

/* name=urlencoded(value) appended to the form b. */
static void
form_add(struct ob_buf *b, const char *name, const char *value)
{
	char *v = curl_easy_escape(NULL, value, 0);

	ob_buf_printf(b, "%s%s=%s", b->len ? "&" : "", name, v ? v : "");
	curl_free(v);
}

char *
ob_oidc_exchange(const struct ob_oidc_provider *p, const char *client_id,
    const char *client_secret, const char *code, const char *verifier,
    const char *redirect_uri, char *err, size_t errlen)
{
	struct ob_buf form = { 0 }, body = { 0 };
	char *user = NULL, *pass = NULL, *tok = NULL;
	const cJSON *id;
	cJSON *j = NULL;
	long status;

	form_add(&form, "grant_type", "authorization_code");
	form_add(&form, "code", code);
	form_add(&form, "redirect_uri", redirect_uri);
	form_add(&form, "code_verifier", verifier);
	if (p->post_auth) {
		form_add(&form, "client_id", client_id);
		form_add(&form, "client_secret", client_secret);
	} else {
		/* RFC 6749 §2.3.1: both are form-urlencoded inside Basic. */
		user = curl_easy_escape(NULL, client_id, 0);
		pass = curl_easy_escape(NULL, client_secret, 0);
	}
	status = http_call(p->token_endpoint, form.data, user, pass, &body, err, errlen);
	if (status < 0)
		goto out;
	j = cJSON_ParseWithLength(body.data ? body.data : "", body.len);
	id = cJSON_GetObjectItemCaseSensitive(j, "id_token");
	if (status != 200 || !cJSON_IsString(id)) {
		const char *e = cJSON_IsString(cJSON_GetObjectItemCaseSensitive(j, "error")) ?
		    cJSON_GetObjectItemCaseSensitive(j, "error")->valuestring : "no id_token";

		snprintf(err, errlen, "the token endpoint answered %ld (%.64s)", status, e);
		goto out;
	}
	tok = strdup(id->valuestring);
out:
	cJSON_Delete(j);
	curl_free(user);
	curl_free(pass);
	ob_buf_free(&form);
	ob_buf_free(&body);
	return tok;
}
