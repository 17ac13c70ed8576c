#include "identity/oidc_jwt.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "identity/oidc_jwk.h"

unsigned char *
ob_oidc_b64url_decode(const char *s, size_t slen, size_t *len)
{
	size_t cap = slen / 4 * 3 + 3;
	unsigned char *out;
	const char *end = NULL;

	if (slen > OB_OIDC_MAX_TOKEN || (out = malloc(cap + 1)) == NULL)
		return NULL;
	if (sodium_base642bin(out, cap, s, slen, NULL, len, &end,
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 || end != s + slen) {
		free(out);
		return NULL;
	}
	out[*len] = '\0';
	return out;
}

static int
fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return OB_OIDC_INVALID;
}

/* A base64url JSON object part of the token, parsed; NULL when not one. */
static cJSON *
json_part(const char *s, size_t slen)
{
	size_t len = 0;
	unsigned char *raw = ob_oidc_b64url_decode(s, slen, &len);
	cJSON *j;

	if (raw == NULL)
		return NULL;
	j = strlen((char *)raw) == len ? cJSON_ParseWithLength((char *)raw, len) : NULL;
	free(raw);
	if (j != NULL && !cJSON_IsObject(j)) {
		cJSON_Delete(j);
		return NULL;
	}
	return j;
}

static const char *
jstr(const cJSON *o, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

/*
 * A NumericDate member: 1 and *t when present and a finite number, 0 when
 * absent, -1 bad. A double, not an integer: RFC 7519 lets NumericDate
 * carry fractions of a second, and these are times, never money.
 */
static int
jtime(const cJSON *o, const char *name, double *t)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);

	if (v == NULL)
		return 0;
	if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble) || v->valuedouble < 0 ||
	    v->valuedouble > 1e11)
		return -1;
	*t = v->valuedouble;
	return 1;
}

/* aud holds client_id; azp, when required or present, is client_id. */
static int
audience_ok(const cJSON *claims, const char *client_id, char *err, size_t errlen)
{
	const cJSON *aud = cJSON_GetObjectItemCaseSensitive(claims, "aud"), *a;
	const char *azp = jstr(claims, "azp");
	int n = 0, found = 0;

	if (cJSON_IsString(aud)) {
		n = 1;
		found = strcmp(aud->valuestring, client_id) == 0;
	} else if (cJSON_IsArray(aud)) {
		cJSON_ArrayForEach(a, aud) {
			if (!cJSON_IsString(a))
				return fail(err, errlen, "aud holds a non-string");
			n++;
			found |= strcmp(a->valuestring, client_id) == 0;
		}
	}
	if (!found)
		return fail(err, errlen, "the token is not for this client (aud)");
	if (n > 1 && azp == NULL)
		return fail(err, errlen, "several audiences and no azp");
	if (cJSON_GetObjectItemCaseSensitive(claims, "azp") != NULL &&
	    (azp == NULL || strcmp(azp, client_id) != 0))
		return fail(err, errlen, "the token was issued to another party (azp)");
	return 0;
}

/* exp, iat, nbf against now with the skew. */
static int
times_ok(const cJSON *claims, time_t now, long skew, char *err, size_t errlen)
{
	double exp = 0, iat = 0, nbf = 0;
	double t = (double)now;

	if (jtime(claims, "exp", &exp) != 1)
		return fail(err, errlen, "exp is missing or not a number");
	if (jtime(claims, "iat", &iat) != 1)
		return fail(err, errlen, "iat is missing or not a number");
	if (t >= exp + (double)skew)
		return fail(err, errlen, "the token has expired (exp)");
	if (iat > t + (double)skew)
		return fail(err, errlen, "the token was issued in the future (iat)");
	switch (jtime(claims, "nbf", &nbf)) {
	case -1:
		return fail(err, errlen, "nbf is not a number");
	case 1:
		if (nbf > t + (double)skew)
			return fail(err, errlen, "the token is not valid yet (nbf)");
		break;
	default:
		break;
	}
	return 0;
}

int
ob_oidc_claims_check(const cJSON *claims, const struct ob_oidc_expect *x,
    struct ob_oidc_claims *out, char *err, size_t errlen)
{
	const char *iss = jstr(claims, "iss"), *sub = jstr(claims, "sub");
	const char *nonce = jstr(claims, "nonce"), *email = jstr(claims, "email");
	const cJSON *ev = cJSON_GetObjectItemCaseSensitive(claims, "email_verified");

	if (iss == NULL || strcmp(iss, x->issuer) != 0)
		return fail(err, errlen, "the token is from another issuer (iss)");
	if (audience_ok(claims, x->client_id, err, errlen) != 0)
		return OB_OIDC_INVALID;
	if (times_ok(claims, x->now, x->skew_s, err, errlen) != 0)
		return OB_OIDC_INVALID;
	if (nonce == NULL || x->nonce == NULL || strlen(nonce) != strlen(x->nonce) ||
	    sodium_memcmp(nonce, x->nonce, strlen(nonce)) != 0)
		return fail(err, errlen, "the nonce does not match this sign-in");
	if (sub == NULL || *sub == '\0' || strlen(sub) > OB_OIDC_SUB_MAX)
		return fail(err, errlen, "sub is missing or too long");
	snprintf(out->sub, sizeof(out->sub), "%s", sub);
	if (email != NULL && strlen(email) < sizeof(out->email))
		snprintf(out->email, sizeof(out->email), "%s", email);
	out->email_verified = cJSON_IsTrue(ev);
	return OB_OIDC_OK;
}

/* The header: alg we accept, an optional kid, no "crit" we would have to understand. */
static int
header_ok(const cJSON *hdr, enum ob_jws_alg *alg, const char **kid, char *err, size_t errlen)
{
	const char *a = jstr(hdr, "alg");
	const cJSON *k = cJSON_GetObjectItemCaseSensitive(hdr, "kid");

	*alg = ob_oidc_alg_parse(a);
	if (*alg == OB_JWS_NONE)
		return fail(err, errlen, "algorithm %.16s is not accepted", a ? a : "(none)");
	if (cJSON_GetObjectItemCaseSensitive(hdr, "crit") != NULL)
		return fail(err, errlen, "the token has critical header parameters");
	if (k != NULL && (!cJSON_IsString(k) || strlen(k->valuestring) >= 128))
		return fail(err, errlen, "kid is not a string");
	*kid = k != NULL ? k->valuestring : NULL;
	return 0;
}

/* The signature over the first two parts with the JWKS key the header names. */
static int
signature_ok(const char *token, size_t signed_len, const char *sig64, const cJSON *hdr,
    const cJSON *jwks, struct ob_oidc_claims *out, char *err, size_t errlen)
{
	enum ob_jws_alg alg;
	const char *kid = NULL;
	const cJSON *jwk;
	EVP_PKEY *key = NULL;
	unsigned char *sig = NULL;
	size_t sig_len = 0;
	int kid_known = 0, rc = OB_OIDC_INVALID;

	if (header_ok(hdr, &alg, &kid, err, errlen) != 0)
		return OB_OIDC_INVALID;
	snprintf(out->alg, sizeof(out->alg), "%s", alg == OB_JWS_RS256 ? "RS256" : "ES256");
	snprintf(out->kid, sizeof(out->kid), "%s", kid ? kid : "");
	if ((jwk = ob_oidc_jwk_find(jwks, kid, alg, &kid_known)) == NULL) {
		if (!kid_known) {
			fail(err, errlen, "no key of the provider has this kid");
			return OB_OIDC_UNKNOWN_KID;
		}
		return fail(err, errlen, "the key with this kid is not for %s", out->alg);
	}
	if ((key = ob_oidc_jwk_pkey(jwk, alg)) == NULL) {
		fail(err, errlen, "the provider's key is not usable");
		goto out;
	}
	if ((sig = ob_oidc_b64url_decode(sig64, strlen(sig64), &sig_len)) == NULL ||
	    !ob_oidc_sig_ok(key, alg, (const unsigned char *)token, signed_len, sig, sig_len)) {
		fail(err, errlen, "the signature does not verify");
		goto out;
	}
	rc = OB_OIDC_OK;
out:
	EVP_PKEY_free(key);
	free(sig);
	return rc;
}

int
ob_oidc_jwt_verify(const char *token, const cJSON *jwks, const struct ob_oidc_expect *x,
    struct ob_oidc_claims *out, char *err, size_t errlen)
{
	const char *dot1, *dot2;
	cJSON *hdr = NULL, *claims = NULL;
	size_t len;
	int rc = OB_OIDC_INVALID;

	memset(out, 0, sizeof(*out));
	if (token == NULL || (len = strlen(token)) == 0 || len > OB_OIDC_MAX_TOKEN)
		return fail(err, errlen, "no token, or a token too long");
	if ((dot1 = strchr(token, '.')) == NULL || (dot2 = strchr(dot1 + 1, '.')) == NULL ||
	    strchr(dot2 + 1, '.') != NULL)
		return fail(err, errlen, "the token is not a compact JWS");
	if ((hdr = json_part(token, (size_t)(dot1 - token))) == NULL ||
	    (claims = json_part(dot1 + 1, (size_t)(dot2 - dot1 - 1))) == NULL) {
		fail(err, errlen, "the token's header or claims are not JSON objects");
		goto out;
	}
	rc = signature_ok(token, (size_t)(dot2 - token), dot2 + 1, hdr, jwks, out, err, errlen);
	if (rc != OB_OIDC_OK)
		goto out;
	rc = ob_oidc_claims_check(claims, x, out, err, errlen);
out:
	cJSON_Delete(hdr);
	cJSON_Delete(claims);
	return rc;
}
