/*
 * ob_auth: credentials. Argon2id passwords (libsodium crypto_pwhash_str),
 * console session tokens (256 random bits; only their SHA-256 is stored),
 * CSRF tokens derived from the session token, and API keys
 * "ob_<prefix>_<secret>" verified through a short-lived per-worker cache so
 * the metering hot path does not pay a database round trip per request.
 * Every secret comparison is constant-time.
 */
#ifndef OB_AUTH_H
#define OB_AUTH_H

#include <stddef.h>
#include <stdint.h>

#include "base/db.h"
#include "identity/principal.h"

#define OB_TOKEN_BYTES		32
#define OB_TOKEN_TEXT		44	/* base64url, no padding, + NUL */
#define OB_APIKEY_PREFIX_LEN	12
#define OB_APIKEY_TEXT		(3 + OB_APIKEY_PREFIX_LEN + 1 + OB_TOKEN_TEXT)
#define OB_APIKEY_CACHE_TTL_MS	5000	/* revocation is honoured within this */

/** Hash a password into out (crypto_pwhash_STRBYTES). 0 or -1 (too long, OOM). */
int ob_auth_password_hash(const char *password, char *out, size_t outlen);

/**
 * Check password against a stored hash in constant time. hash may be NULL
 * or empty (unknown user): a dummy hash is checked instead so the time
 * taken does not tell which. Returns 1 on a match, else 0.
 */
int ob_auth_password_verify(const char *hash, const char *password);

/** 32 random bytes into raw and their base64url text into text. */
void ob_auth_token_new(unsigned char raw[OB_TOKEN_BYTES], char text[OB_TOKEN_TEXT]);

/** Decode a token's text; 0 or -1 if it is not exactly 32 bytes of base64url. */
int ob_auth_token_decode(const char *text, unsigned char raw[OB_TOKEN_BYTES]);

/** "\\x<hex of SHA-256(raw)>" for a bytea parameter (out: 67 bytes). */
void ob_auth_token_hash_param(const unsigned char *raw, size_t len, char out[67]);

/** The CSRF token bound to a session token: base64url(HMAC-SHA256(token, label)). */
void ob_auth_csrf(const unsigned char session_raw[OB_TOKEN_BYTES], char out[OB_TOKEN_TEXT]);

/** Constant-time check of a submitted CSRF token. 1 if it matches. */
int ob_auth_csrf_ok(const unsigned char session_raw[OB_TOKEN_BYTES], const char *submitted);

/** Constant-time equality of two strings (length leaks, contents do not). */
int ob_auth_streq(const char *a, const char *b);

/**
 * Create a session for user_id; writes the cookie value into token_text.
 * Returns the session id, or -1 (db->lasterr).
 */
int64_t ob_auth_session_create(struct ob_db *db, int64_t user_id, long max_age_s,
    const char *ip, const char *user_agent, char token_text[OB_TOKEN_TEXT]);

/**
 * Look a cookie value up; fills p as a USER principal and returns 1 when
 * the session exists and is neither idle for idle_s nor past its absolute
 * expiry; 0 when not; -1 on a database failure.
 */
int ob_auth_session_lookup(struct ob_db *db, const char *token_text, long idle_s,
    struct ob_principal *p);

/** Delete the session behind a cookie value (logout). 0 or -1. */
int ob_auth_session_delete(struct ob_db *db, const char *token_text);

/**
 * Make a new API key for org with scopes ("read,meter"); the full key is
 * written to key_text (shown once, never stored). Returns the key's id or -1.
 */
int64_t ob_auth_apikey_create(struct ob_db *db, int64_t org_id, const char *name,
    const char *scopes, int64_t created_by, char key_text[OB_APIKEY_TEXT],
    char prefix[OB_APIKEY_PREFIX_LEN + 1]);

/**
 * Verify a presented key. On success fills p as a KEY principal and
 * returns 1; 0 for an unknown, revoked or wrong key; -1 on a database
 * failure. Answers from the worker's cache for up to OB_APIKEY_CACHE_TTL_MS.
 */
int ob_auth_apikey_verify(struct ob_db *db, const char *key_text, struct ob_principal *p);

/** Forget every cached key (tests; after revoking through this worker). */
void ob_auth_apikey_cache_clear(void);

#endif
