#include "stripe/webhook_sig.h"

#include <stdio.h>
#include <string.h>

#include <sodium.h>

static int
parse_t(const char *v, size_t len, long long *t)
{
	long long x = 0;
	size_t i;

	if (len == 0 || len > 18)
		return -1;
	for (i = 0; i < len; i++) {
		if (v[i] < '0' || v[i] > '9')
			return -1;
		x = x * 10 + (v[i] - '0');
	}
	*t = x;
	return 0;
}

int
ob_whsig_parse(const char *header, size_t len, struct ob_whsig_header *out)
{
	const char *p = header, *end = header + len, *comma, *eq;
	size_t klen, vlen;
	int have_t = 0;

	memset(out, 0, sizeof(*out));
	if (len == 0 || len > OB_WHSIG_HEADER_MAX)
		return -1;
	while (p < end) {
		comma = memchr(p, ',', (size_t)(end - p));
		if (comma == NULL)
			comma = end;
		eq = memchr(p, '=', (size_t)(comma - p));
		if (eq != NULL) {
			klen = (size_t)(eq - p);
			vlen = (size_t)(comma - eq - 1);
			/* Keys are compared exactly, as stripe-node does: " v1"
			 * (after a space) is not "v1". */
			if (klen == 1 && p[0] == 't') {
				if (parse_t(eq + 1, vlen, &out->t) != 0)
					return -1;
				have_t = 1;
			} else if (klen == 2 && p[0] == 'v' && p[1] == '1' &&
			    out->nsigs < OB_WHSIG_MAX_SIGS) {
				snprintf(out->sigs[out->nsigs], sizeof(out->sigs[0]), "%.*s",
				    (int)(vlen > 64 ? 65 : vlen), eq + 1);
				if (vlen > 64)
					out->sigs[out->nsigs][0] = '\0';	/* cannot match */
				out->nsigs++;
			}
		}
		p = comma + 1;
	}
	return (have_t && out->nsigs > 0) ? 0 : -1;
}

/* Lower-case hex HMAC-SHA256(secret, "<t>.<payload>") into hex (65 bytes). */
static void
expected_sig(const char *secret, size_t slen, long long t, const char *payload,
    size_t len, char hex[65])
{
	crypto_auth_hmacsha256_state st;
	unsigned char mac[crypto_auth_hmacsha256_BYTES];
	char ts[24];
	int n;

	n = snprintf(ts, sizeof(ts), "%lld.", t);
	crypto_auth_hmacsha256_init(&st, (const unsigned char *)secret, slen);
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)ts, (unsigned long long)n);
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)payload, len);
	crypto_auth_hmacsha256_final(&st, mac);
	sodium_bin2hex(hex, 65, mac, sizeof(mac));
	sodium_memzero(&st, sizeof(st));
}

enum ob_whsig
ob_whsig_verify(const char *header, const char *payload, size_t len,
    const char *secrets, long long now, long tolerance)
{
	struct ob_whsig_header h;
	const char *s, *comma;
	char want[65];
	size_t slen;
	int i, match = 0;

	if (header == NULL || payload == NULL || len == 0 ||
	    ob_whsig_parse(header, strlen(header), &h) != 0)
		return OB_WHSIG_MALFORMED;
	for (s = secrets; s != NULL && *s != '\0'; s = *comma ? comma + 1 : comma) {
		comma = s + strcspn(s, ",");
		slen = (size_t)(comma - s);
		if (slen == 0)
			continue;
		expected_sig(s, slen, h.t, payload, len, want);
		/* Every candidate is compared (no early exit on a match). */
		for (i = 0; i < h.nsigs; i++)
			if (strlen(h.sigs[i]) == 64 && sodium_memcmp(h.sigs[i], want, 64) == 0)
				match = 1;
	}
	sodium_memzero(want, sizeof(want));
	if (!match)
		return OB_WHSIG_BAD_SIGNATURE;
	if (now - h.t > tolerance)
		return OB_WHSIG_EXPIRED;
	if (h.t - now > tolerance)
		return OB_WHSIG_FUTURE;
	return OB_WHSIG_OK;
}

const char *
ob_whsig_name(enum ob_whsig v)
{
	switch (v) {
	case OB_WHSIG_OK: return "ok";
	case OB_WHSIG_MALFORMED: return "malformed";
	case OB_WHSIG_BAD_SIGNATURE: return "bad_signature";
	case OB_WHSIG_EXPIRED: return "expired";
	case OB_WHSIG_FUTURE: return "future";
	}
	return "unknown";
}
