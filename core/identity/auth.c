#include "identity/auth.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "base/log.h"
#include "base/row.h"
#include "base/num.h"

#define CSRF_LABEL "orgbill-csrf-v1"

int
ob_auth_password_hash(const char *password, char *out, size_t outlen)
{
	if (outlen < crypto_pwhash_STRBYTES || strlen(password) > 1024)
		return -1;
	/* crypto_pwhash_str uses Argon2id (libsodium ≥ 1.0.15). */
	return crypto_pwhash_str_alg(out, password, strlen(password),
	    crypto_pwhash_OPSLIMIT_INTERACTIVE, crypto_pwhash_MEMLIMIT_INTERACTIVE,
	    crypto_pwhash_ALG_ARGON2ID13) == 0 ? 0 : -1;
}

int
ob_auth_password_verify(const char *hash, const char *password)
{
	static char dummy[crypto_pwhash_STRBYTES];
	size_t plen = strlen(password);

	if (plen > 1024)
		return 0;
	if (hash == NULL || *hash == '\0') {
		if (dummy[0] == '\0')
			ob_auth_password_hash("orgbill-dummy-password", dummy, sizeof(dummy));
		/* Same work as a real check; the answer is no either way. */
		if (crypto_pwhash_str_verify(dummy, password, plen) == 0)
			return 0;
		return 0;
	}
	return crypto_pwhash_str_verify(hash, password, plen) == 0;
}

void
ob_auth_token_new(unsigned char raw[OB_TOKEN_BYTES], char text[OB_TOKEN_TEXT])
{
	randombytes_buf(raw, OB_TOKEN_BYTES);
	sodium_bin2base64(text, OB_TOKEN_TEXT, raw, OB_TOKEN_BYTES,
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

int
ob_auth_token_decode(const char *text, unsigned char raw[OB_TOKEN_BYTES])
{
	size_t len = 0;
	const char *end = NULL;

	if (text == NULL || strlen(text) != OB_TOKEN_TEXT - 1)
		return -1;
	if (sodium_base642bin(raw, OB_TOKEN_BYTES, text, OB_TOKEN_TEXT - 1, NULL,
	    &len, &end, sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
	    len != OB_TOKEN_BYTES || *end != '\0')
		return -1;
	return 0;
}

void
ob_auth_token_hash_param(const unsigned char *raw, size_t len, char out[67])
{
	unsigned char h[crypto_hash_sha256_BYTES];

	crypto_hash_sha256(h, raw, len);
	out[0] = '\\';
	out[1] = 'x';
	sodium_bin2hex(out + 2, 65, h, sizeof(h));
}

void
ob_auth_csrf(const unsigned char session_raw[OB_TOKEN_BYTES], char out[OB_TOKEN_TEXT])
{
	unsigned char mac[crypto_auth_hmacsha256_BYTES];

	crypto_auth_hmacsha256(mac, (const unsigned char *)CSRF_LABEL,
	    sizeof(CSRF_LABEL) - 1, session_raw);
	sodium_bin2base64(out, OB_TOKEN_TEXT, mac, sizeof(mac),
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

int
ob_auth_streq(const char *a, const char *b)
{
	size_t la, lb;

	if (a == NULL || b == NULL)
		return 0;
	la = strlen(a);
	lb = strlen(b);
	if (la != lb)
		return 0;
	return sodium_memcmp(a, b, la) == 0;
}

int
ob_auth_csrf_ok(const unsigned char session_raw[OB_TOKEN_BYTES], const char *submitted)
{
	char want[OB_TOKEN_TEXT];

	ob_auth_csrf(session_raw, want);
	return ob_auth_streq(want, submitted);
}

int64_t
ob_auth_session_create(struct ob_db *db, int64_t user_id, long max_age_s,
    const char *ip, const char *user_agent, char token_text[OB_TOKEN_TEXT])
{
	unsigned char raw[OB_TOKEN_BYTES];
	char hash[67], uid[24], age[24], ua[256];
	const char *params[5];
	PGresult *res;
	int64_t id;

	ob_auth_token_new(raw, token_text);
	ob_auth_token_hash_param(raw, sizeof(raw), hash);
	ob_num_str(uid, sizeof(uid), user_id);
	ob_num_str(age, sizeof(age), max_age_s);
	snprintf(ua, sizeof(ua), "%s", user_agent ? user_agent : "");
	params[0] = hash;
	params[1] = uid;
	params[2] = age;
	params[3] = ip;
	params[4] = ua;
	sodium_memzero(raw, sizeof(raw));
	if ((res = ob_db_exec(db, OB_STMT_SESSION_CREATE, params, NULL)) == NULL)
		return -1;
	id = ob_row_i64(res, 0, "id");
	PQclear(res);
	return id;
}

int
ob_auth_session_lookup(struct ob_db *db, const char *token_text, long idle_s,
    struct ob_principal *p)
{
	unsigned char raw[OB_TOKEN_BYTES];
	char hash[67], idle[24];
	const char *params[2];
	PGresult *res;
	int found;

	if (ob_auth_token_decode(token_text, raw) != 0)
		return 0;
	ob_auth_token_hash_param(raw, sizeof(raw), hash);
	sodium_memzero(raw, sizeof(raw));
	ob_num_str(idle, sizeof(idle), idle_s);
	params[0] = hash;
	params[1] = idle;
	if ((res = ob_db_exec(db, OB_STMT_SESSION_LOOKUP, params, NULL)) == NULL)
		return -1;
	found = PQntuples(res) == 1;
	if (found) {
		p->kind = OB_PRINCIPAL_USER;
		p->session_id = ob_row_i64(res, 0, "id");
		p->user_id = ob_row_i64(res, 0, "user_id");
		p->session_org_id = ob_row_i64(res, 0, "org_id");
		p->is_staff = ob_row_bool(res, 0, "is_staff");
		p->staff_role = ob_staff_role_parse(ob_row_str(res, 0, "staff_role"));
		snprintf(p->email, sizeof(p->email), "%s", ob_row_str(res, 0, "email"));
		snprintf(p->name, sizeof(p->name), "%s", ob_row_str(res, 0, "name"));
	}
	PQclear(res);
	return found;
}

int
ob_auth_session_delete(struct ob_db *db, const char *token_text)
{
	unsigned char raw[OB_TOKEN_BYTES];
	char hash[67];
	const char *params[1];

	if (ob_auth_token_decode(token_text, raw) != 0)
		return 0;
	ob_auth_token_hash_param(raw, sizeof(raw), hash);
	sodium_memzero(raw, sizeof(raw));
	params[0] = hash;
	return ob_db_run(db, OB_STMT_SESSION_DELETE, params);
}

/* ---- API keys ---------------------------------------------------------- */

#define KEYCACHE_SLOTS 1024

struct keycache_entry {
	char prefix[OB_APIKEY_PREFIX_LEN + 1];
	long fetched_ms;
	int known;			/* 0: negative entry (no such key) */
	int revoked;
	int64_t id, org_id;
	unsigned scopes;
	unsigned char secret_hash[crypto_hash_sha256_BYTES];
};

static struct keycache_entry keycache[KEYCACHE_SLOTS];

static long
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

void
ob_auth_apikey_cache_clear(void)
{
	memset(keycache, 0, sizeof(keycache));
}

static int
prefix_ok(const char *p, size_t len)
{
	size_t i;

	if (len != OB_APIKEY_PREFIX_LEN)
		return 0;
	for (i = 0; i < len; i++)
		if (!((p[i] >= 'a' && p[i] <= 'z') || (p[i] >= '0' && p[i] <= '9')))
			return 0;
	return 1;
}

int64_t
ob_auth_apikey_create(struct ob_db *db, int64_t org_id, const char *name,
    const char *scopes, int64_t created_by, char key_text[OB_APIKEY_TEXT],
    char prefix[OB_APIKEY_PREFIX_LEN + 1])
{
	static const char alphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789";
	unsigned char raw[OB_TOKEN_BYTES];
	char secret[OB_TOKEN_TEXT], hash[67], org[24], by[24];
	const char *params[6];
	PGresult *res;
	unsigned scope_bits;
	int64_t id;
	int i;

	if (ob_scopes_parse(scopes, &scope_bits) != 0)
		return -1;
	for (i = 0; i < OB_APIKEY_PREFIX_LEN; i++)
		prefix[i] = alphabet[randombytes_uniform(sizeof(alphabet) - 1)];
	prefix[OB_APIKEY_PREFIX_LEN] = '\0';
	ob_auth_token_new(raw, secret);
	ob_auth_token_hash_param((const unsigned char *)secret, strlen(secret), hash);
	snprintf(key_text, OB_APIKEY_TEXT, "ob_%s_%s", prefix, secret);
	ob_num_str(org, sizeof(org), org_id);
	ob_num_str(by, sizeof(by), created_by);
	params[0] = org;
	params[1] = prefix;
	params[2] = hash;
	params[3] = name ? name : "";
	params[4] = scopes;
	params[5] = created_by > 0 ? by : NULL;
	sodium_memzero(raw, sizeof(raw));
	sodium_memzero(secret, sizeof(secret));
	if ((res = ob_db_exec(db, OB_STMT_APIKEY_CREATE, params, NULL)) == NULL) {
		sodium_memzero(key_text, OB_APIKEY_TEXT);
		return -1;
	}
	id = ob_row_i64(res, 0, "id");
	PQclear(res);
	return id;
}

/* Fetch the key's row into e. 0 or -1. */
static int
keycache_fill(struct ob_db *db, struct keycache_entry *e, const char *prefix)
{
	const char *params[1] = { prefix };
	PGresult *res;
	size_t n;
	unsigned char *bin;

	if ((res = ob_db_exec(db, OB_STMT_APIKEY_LOOKUP, params, NULL)) == NULL)
		return -1;
	memset(e, 0, sizeof(*e));
	snprintf(e->prefix, sizeof(e->prefix), "%s", prefix);
	e->fetched_ms = mono_ms();
	if (PQntuples(res) == 1) {
		e->known = 1;
		e->id = ob_row_i64(res, 0, "id");
		e->org_id = ob_row_i64(res, 0, "org_id");
		bin = PQunescapeBytea((const unsigned char *)ob_row_str(res, 0, "secret_hash"), &n);
		if (bin != NULL && n == sizeof(e->secret_hash))
			memcpy(e->secret_hash, bin, n);
		else
			e->known = 0;
		PQfreemem(bin);
		if (ob_scopes_parse(ob_row_str(res, 0, "scopes"), &e->scopes) != 0)
			e->known = 0;
		e->revoked = ob_row_bool(res, 0, "revoked");
		/* Remember use at most once a minute (the statement checks). */
		if (e->known && !e->revoked) {
			char id[24];
			const char *p1[1] = { id };

			ob_num_str(id, sizeof(id), e->id);
			if (ob_db_run(db, OB_STMT_APIKEY_TOUCH, p1) != 0)
				ob_log(OB_LOG_WARN, "apikey_touch", "%s", db->lasterr);
		}
	}
	PQclear(res);
	return 0;
}

int
ob_auth_apikey_verify(struct ob_db *db, const char *key_text, struct ob_principal *p)
{
	char prefix[OB_APIKEY_PREFIX_LEN + 1];
	unsigned char h[crypto_hash_sha256_BYTES];
	struct keycache_entry *e;
	const char *secret;
	unsigned long slot;
	size_t i;

	/* ob_<12 prefix chars>_<43 secret chars> */
	if (key_text == NULL || strlen(key_text) != OB_APIKEY_TEXT - 1 ||
	    strncmp(key_text, "ob_", 3) != 0 || key_text[3 + OB_APIKEY_PREFIX_LEN] != '_' ||
	    !prefix_ok(key_text + 3, OB_APIKEY_PREFIX_LEN))
		return 0;
	memcpy(prefix, key_text + 3, OB_APIKEY_PREFIX_LEN);
	prefix[OB_APIKEY_PREFIX_LEN] = '\0';
	secret = key_text + 4 + OB_APIKEY_PREFIX_LEN;

	for (slot = 5381, i = 0; i < OB_APIKEY_PREFIX_LEN; i++)
		slot = slot * 33 + (unsigned char)prefix[i];
	e = &keycache[slot % KEYCACHE_SLOTS];
	if (strcmp(e->prefix, prefix) != 0 || mono_ms() - e->fetched_ms > OB_APIKEY_CACHE_TTL_MS)
		if (keycache_fill(db, e, prefix) != 0)
			return -1;
	if (!e->known || e->revoked)
		return 0;
	crypto_hash_sha256(h, (const unsigned char *)secret, strlen(secret));
	if (sodium_memcmp(h, e->secret_hash, sizeof(h)) != 0)
		return 0;
	p->kind = OB_PRINCIPAL_KEY;
	p->key_id = e->id;
	p->key_org_id = e->org_id;
	p->scopes = e->scopes;
	snprintf(p->key_prefix, sizeof(p->key_prefix), "%s", prefix);
	return 1;
}
