/*
 * Small helpers the subscription's files share (subscription_int.h):
 * operation parameters, times, hex.
 */
#include "billing/subscription_int.h"
#include "base/num.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void
ob_sub_put_i64(cJSON *o, const char *name, int64_t v)
{
	char buf[24];

	ob_num_str(buf, sizeof(buf), v);
	cJSON_AddStringToObject(o, name, buf);
}

void
ob_sub_iso_time(int64_t t, char *buf, size_t n)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (t <= 0 || gmtime_r(&tt, &tm) == NULL) {
		buf[0] = '\0';
		return;
	}
	strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

void
ob_sub_add_time(cJSON *o, const char *name, int64_t t)
{
	char buf[32];

	if (t <= 0) {
		cJSON_AddNullToObject(o, name);
		return;
	}
	ob_sub_iso_time(t, buf, sizeof(buf));
	cJSON_AddStringToObject(o, name, buf);
}

void
ob_sub_hex(const unsigned char *p, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 15];
	}
	out[2 * n] = '\0';
}
