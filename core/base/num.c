/*
 * Integers in and out (num.h).
 */
#include "base/num.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

int
ob_num_parse(const char *s, int64_t min, int64_t max, int64_t *out)
{
	const char *p = s;
	long long v;
	char *end;
	size_t digits = 0;

	if (s == NULL)
		return -1;
	if (*p == '-')
		p++;
	while (p[digits] >= '0' && p[digits] <= '9')
		digits++;
	if (digits == 0 || digits > 19 || p[digits] != '\0')
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return -1;
	*out = (int64_t)v;
	return 0;
}

int
ob_num_json(const cJSON *item, int64_t min, int64_t max, int64_t *out)
{
	double d;
	int64_t v;

	if (item == NULL)
		return -1;
	if (cJSON_IsString(item) || cJSON_IsRaw(item))
		return ob_num_parse(item->valuestring, min, max, out);
	if (!cJSON_IsNumber(item))
		return -1;
	d = item->valuedouble;
	/* NaN fails both comparisons' negation; the range keeps the cast defined. */
	if (!(d >= -(double)OB_NUM_JSON_MAX && d <= (double)OB_NUM_JSON_MAX))
		return -1;
	v = (int64_t)d;
	if ((double)v != d || v < min || v > max)
		return -1;	/* a fraction, or out of the caller's range */
	*out = v;
	return 0;
}

int
ob_num_json_member(const cJSON *obj, const char *name, int64_t min, int64_t max,
    int64_t *out)
{
	if (!cJSON_IsObject(obj))
		return -1;
	return ob_num_json(cJSON_GetObjectItemCaseSensitive(obj, name), min, max, out);
}

int
ob_num_json_get(const cJSON *obj, const char *name, int64_t *out)
{
	return ob_num_json_member(obj, name, INT64_MIN, INT64_MAX, out);
}

int64_t
ob_num_json_or(const cJSON *obj, const char *name, int64_t dflt)
{
	int64_t v;

	return ob_num_json_get(obj, name, &v) == 0 ? v : dflt;
}

int64_t
ob_num_id(const char *s)
{
	int64_t v;

	if (s == NULL || *s < '1' || *s > '9' || ob_num_parse(s, 1, INT64_MAX, &v) != 0)
		return 0;
	return v;
}

const char *
ob_num_str(char *buf, size_t n, int64_t v)
{
	snprintf(buf, n, "%lld", (long long)v);
	return buf;
}

int
ob_num_mul(int64_t a, int64_t b, int64_t *out)
{
	int64_t r;

	if (__builtin_mul_overflow(a, b, &r))
		return -1;
	*out = r;
	return 0;
}

int
ob_num_add(int64_t a, int64_t b, int64_t *out)
{
	int64_t r;

	if (__builtin_add_overflow(a, b, &r))
		return -1;
	*out = r;
	return 0;
}
