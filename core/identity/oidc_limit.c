#include "identity/oidc_limit.h"

#include <stdio.h>
#include <string.h>

struct limit {
	char issuer[501];
	long fail_at, refresh_at;	/* 0: never */
};

static struct limit limits[OB_OIDC_LIMIT_SLOTS];

/* Whether e's clocks have both run out at now. */
static int
idle(const struct limit *e, long now)
{
	return (e->fail_at == 0 || now - e->fail_at >= OB_OIDC_FAIL_S) &&
	    (e->refresh_at == 0 || now - e->refresh_at >= OB_OIDC_REFRESH_S);
}

/* issuer's entry; with make, a free or idle one taken for it; else NULL. */
static struct limit *
find(const char *issuer, long now, int make)
{
	int i;

	for (i = 0; i < OB_OIDC_LIMIT_SLOTS; i++)
		if (strcmp(limits[i].issuer, issuer) == 0)
			return &limits[i];
	if (!make || strlen(issuer) >= sizeof(limits[0].issuer))
		return NULL;
	for (i = 0; i < OB_OIDC_LIMIT_SLOTS; i++)
		if (limits[i].issuer[0] == '\0' || idle(&limits[i], now)) {
			memset(&limits[i], 0, sizeof(limits[i]));
			snprintf(limits[i].issuer, sizeof(limits[i].issuer), "%s", issuer);
			return &limits[i];
		}
	return NULL;
}

int
ob_oidc_limit_failing(const char *issuer, long now)
{
	const struct limit *e = find(issuer, now, 0);

	return e != NULL && e->fail_at != 0 && now - e->fail_at < OB_OIDC_FAIL_S;
}

void
ob_oidc_limit_failed(const char *issuer, long now)
{
	struct limit *e = find(issuer, now, 1);

	if (e != NULL)
		e->fail_at = now;
}

int
ob_oidc_limit_refresh(const char *issuer, long now)
{
	struct limit *e = find(issuer, now, 1);

	if (e == NULL || (e->refresh_at != 0 && now - e->refresh_at < OB_OIDC_REFRESH_S))
		return 0;
	e->refresh_at = now;
	return 1;
}

void
ob_oidc_limit_clear(void)
{
	memset(limits, 0, sizeof(limits));
}
