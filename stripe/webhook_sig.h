/*
 * ob_whsig: Stripe-Signature verification, as Stripe's libraries do it.
 *
 * The header is "t=<unix time>,v1=<hex HMAC>[,v1=…][,v0=…][,other=…]".
 * Every v1 is compared, in constant time, with HMAC-SHA256 keyed by the
 * whole "whsec_…" secret over "<t>.<raw body>"; any match with any of the
 * configured secrets (comma-separated during rotation) accepts. v0 and
 * unknown keys are ignored. Unlike stripe-node, a timestamp more than the
 * tolerance in the future is refused too, and a non-numeric t is malformed.
 */
#ifndef OB_WEBHOOK_SIG_H
#define OB_WEBHOOK_SIG_H

#include <stddef.h>

#define OB_WHSIG_MAX_SIGS	8	/* v1 entries looked at; more are ignored */
#define OB_WHSIG_HEADER_MAX	4096

enum ob_whsig {
	OB_WHSIG_OK,
	OB_WHSIG_MALFORMED,	/* no t, no v1, empty body or header, too long */
	OB_WHSIG_BAD_SIGNATURE,	/* no v1 matches any secret */
	OB_WHSIG_EXPIRED,	/* now - t > tolerance */
	OB_WHSIG_FUTURE,	/* t - now > tolerance */
};

struct ob_whsig_header {
	long long t;
	int nsigs;
	char sigs[OB_WHSIG_MAX_SIGS][65];	/* as sent (64 hex chars); longer ones are cut and never match */
};

/** Parse a header; 0, or -1 if it has no numeric t or no v1. */
int ob_whsig_parse(const char *header, size_t len, struct ob_whsig_header *out);

/**
 * Verify payload (len bytes, the raw body) against header with the secrets
 * (comma-separated), at time now, allowing tolerance seconds either way.
 */
enum ob_whsig ob_whsig_verify(const char *header, const char *payload, size_t len,
    const char *secrets, long long now, long tolerance);

/** The outcome's name for logs and tests ("ok", "malformed", …). */
const char *ob_whsig_name(enum ob_whsig v);

#endif
