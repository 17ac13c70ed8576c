/*
 * libFuzzer target: base/num.c, the one way integers are read from outside
 * (request fields, query parameters, Stripe objects, ids in paths).
 *
 * Input: 16 bytes of bounds (min, max; little-endian int64), then the text.
 * The text goes through ob_num_parse and ob_num_id, checked against a
 * parser written here from num.h's contract (optional '-', 1 to 19 digits,
 * nothing else, within the bounds); through cJSON as a document for
 * ob_num_json (an exact integer within +-2^53, or a string ob_num_parse
 * takes); and what parsed is printed and read back the same.
 */
#include "fuzz.h"

#include <cJSON.h>

#include "base/num.h"

static int64_t
le64(const uint8_t *p)
{
	uint64_t v = 0;
	int i;

	for (i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return (int64_t)v;
}

/* num.h's contract, with 128-bit arithmetic: 0 and *out, or -1. */
static int
reference_parse(const char *s, int64_t min, int64_t max, int64_t *out)
{
	const char *p = s + (*s == '-');
	__int128 v = 0;
	size_t n = 0;

	while (p[n] >= '0' && p[n] <= '9') {
		if (n < 20)
			v = v * 10 + (p[n] - '0');
		n++;
	}
	if (n == 0 || n > 19 || p[n] != '\0')
		return -1;
	if (*s == '-')
		v = -v;
	if (v < INT64_MIN || v > INT64_MAX || v < min || v > max)
		return -1;
	*out = (int64_t)v;
	return 0;
}

static void
check_text(const char *s, int64_t min, int64_t max)
{
	int64_t got = 7, want = 7, id;
	char buf[32];
	int rc = ob_num_parse(s, min, max, &got);

	if (rc != reference_parse(s, min, max, &want) || (rc == 0 && got != want))
		abort();
	if (rc == 0 && (ob_num_parse(ob_num_str(buf, sizeof(buf), got), INT64_MIN, INT64_MAX,
	    &want) != 0 || want != got))
		abort();
	id = ob_num_id(s);
	if (id != 0 && (s[0] < '1' || s[0] > '9' || reference_parse(s, 1, INT64_MAX, &want) != 0 ||
	    want != id))
		abort();
	if (id == 0 && s[0] >= '1' && s[0] <= '9' && reference_parse(s, 1, INT64_MAX, &want) == 0)
		abort();
}

static void
check_json(const char *s, size_t len, int64_t min, int64_t max)
{
	cJSON *j = cJSON_ParseWithLength(s, len), *c;
	int64_t v;

	if (j == NULL)
		return;
	if (ob_num_json(j, min, max, &v) == 0) {
		if (v < min || v > max)
			abort();
		if (cJSON_IsNumber(j) && ((double)v != j->valuedouble ||
		    v > OB_NUM_JSON_MAX || v < -OB_NUM_JSON_MAX))
			abort();
	} else if (cJSON_IsString(j) && reference_parse(j->valuestring, min, max, &v) == 0) {
		abort();
	}
	cJSON_ArrayForEach(c, j)
		if (c->string != NULL)
			(void)ob_num_json_or(j, c->string, 0);
	cJSON_Delete(j);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int64_t min = INT64_MIN, max = INT64_MAX, sum, prod;
	char *s;

	if (size >= 16) {
		min = le64(data);
		max = le64(data + 8);
		/* The checked arithmetic, against the compiler's. */
		if ((ob_num_add(min, max, &sum) == 0) == __builtin_add_overflow(min, max, &sum) ||
		    (ob_num_mul(min, max, &prod) == 0) == __builtin_mul_overflow(min, max, &prod))
			abort();
		data += 16;
		size -= 16;
	}
	s = fuzz_strndup(data, size);
	check_text(s, min, max);
	check_text(s, INT64_MIN, INT64_MAX);
	check_json(s, size, min, max);
	free(s);
	return 0;
}
