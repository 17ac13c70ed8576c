/*
 * The Stripe form encoder against the official stripe-node encoder's output
 * (tests/unit/data/stripe_form_vectors.json, made by
 * tests/stripe-fake/gen-vectors.js) and against edge cases.
 * Run from the project root; OB_STRIPE_FORM_VECTORS overrides the path.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "base/buf.h"
#include "stripe/form.h"
#include "unit/unit.h"

#define VECTORS_PATH "tests/unit/data/stripe_form_vectors.json"

static char *
slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	struct ob_buf b = OB_BUF_INIT;
	char chunk[4096];
	size_t n;

	if (f == NULL)
		return NULL;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		ob_buf_append(&b, chunk, n);
	fclose(f);
	return b.data;
}

static char *
encode_str(const char *json)
{
	cJSON *p = cJSON_Parse(json);
	struct ob_buf b = OB_BUF_INIT;

	ck_assert_msg(p != NULL, "bad test JSON: %s", json);
	ck_assert_int_eq(ob_stripe_form_encode(&b, p), 0);
	cJSON_Delete(p);
	if (b.data == NULL)
		ob_buf_puts(&b, "");
	return b.data;
}

#define ck_encodes(json, want) do {					\
	char *got_ = encode_str(json);					\
	ck_assert_str_eq(got_, want);					\
	free(got_);							\
} while (0)

START_TEST(test_vectors)
{
	const char *path = getenv("OB_STRIPE_FORM_VECTORS");
	char *text;
	cJSON *doc, *vectors, *v;
	int n = 0;

	if (path == NULL || *path == '\0')
		path = VECTORS_PATH;
	text = slurp(path);
	ck_assert_msg(text != NULL, "cannot read %s (run from the project root)", path);
	doc = cJSON_Parse(text);
	ck_assert_ptr_nonnull(doc);
	vectors = cJSON_GetObjectItemCaseSensitive(doc, "vectors");
	ck_assert(cJSON_IsArray(vectors));
	cJSON_ArrayForEach(v, vectors) {
		const cJSON *name = cJSON_GetObjectItemCaseSensitive(v, "name");
		const cJSON *params = cJSON_GetObjectItemCaseSensitive(v, "params");
		const cJSON *enc = cJSON_GetObjectItemCaseSensitive(v, "encoded");
		struct ob_buf b = OB_BUF_INIT;

		ck_assert(cJSON_IsString(name) && cJSON_IsString(enc));
		ck_assert_int_eq(ob_stripe_form_encode(&b, params), 0);
		ck_assert_msg(strcmp(b.data ? b.data : "", enc->valuestring) == 0,
		    "vector '%s': got '%s', want '%s'", name->valuestring,
		    b.data ? b.data : "", enc->valuestring);
		ob_buf_free(&b);
		n++;
	}
	ck_assert_int_ge(n, 25);
	cJSON_Delete(doc);
	free(text);
}
END_TEST

START_TEST(test_null_and_non_object)
{
	struct ob_buf b = OB_BUF_INIT;
	cJSON *arr = cJSON_CreateArray();
	cJSON *str = cJSON_CreateString("x");

	ck_assert_int_eq(ob_stripe_form_encode(&b, NULL), 0);
	ck_assert_uint_eq(b.len, 0);
	ck_assert_int_eq(ob_stripe_form_encode(&b, arr), -1);
	ck_assert_int_eq(ob_stripe_form_encode(&b, str), -1);
	ck_assert_uint_eq(b.len, 0);
	cJSON_Delete(arr);
	cJSON_Delete(str);
	ob_buf_free(&b);
}
END_TEST

/* cJSON keeps document order; stripe-node follows Object.keys, which puts
 * array-index keys first, ascending. */
START_TEST(test_js_key_order)
{
	ck_encodes("{\"b\":1,\"10\":\"x\",\"a\":2,\"2\":\"y\",\"01\":3,\"-1\":4}",
	    "2=y&10=x&b=1&a=2&01=3&-1=4");
	ck_encodes("{\"metadata\":{\"z\":\"1\",\"4294967294\":\"max\",\"4294967295\":\"not\",\"0\":\"zero\"}}",
	    "metadata[0]=zero&metadata[4294967294]=max&metadata[z]=1&metadata[4294967295]=not");
}
END_TEST

START_TEST(test_numbers)
{
	ck_encodes("{\"a\":-0,\"b\":1e3,\"c\":0.1,\"d\":-2.5,\"e\":1e20,\"f\":12345678901234567890,\"g\":1e21,\"h\":1.5e-7,\"i\":0.000001,\"j\":-1.25e+30}",
	    "a=0&b=1000&c=0.1&d=-2.5&e=100000000000000000000&f=12345678901234567000&g=1e+21&h=1.5e-7&i=0.000001&j=-1.25e+30");
}
END_TEST

START_TEST(test_unset_and_empty)
{
	ck_encodes("{\"a\":null,\"b\":\"\",\"c\":[],\"d\":{},\"e\":[{}],\"f\":{\"g\":null}}",
	    "a=&b=&f[g]=");
}
END_TEST

START_TEST(test_appends_and_rolls_back)
{
	struct ob_buf b = OB_BUF_INIT;
	cJSON *deep = cJSON_CreateObject(), *cur = deep;
	cJSON *ok = cJSON_Parse("{\"k\":\"v w\"}");
	int i;

	ob_buf_puts(&b, "prefix:");
	ck_assert_int_eq(ob_stripe_form_encode(&b, ok), 0);
	ck_assert_str_eq(b.data, "prefix:k=v%20w");

	cJSON_AddStringToObject(deep, "first", "kept?");
	for (i = 0; i < OB_STRIPE_FORM_MAX_DEPTH + 5; i++)
		cur = cJSON_AddObjectToObject(cur, "n");
	cJSON_AddStringToObject(cur, "leaf", "x");
	ck_assert_int_eq(ob_stripe_form_encode(&b, deep), -1);
	ck_assert_str_eq(b.data, "prefix:k=v%20w");
	ck_assert_uint_eq(b.len, strlen("prefix:k=v%20w"));

	cJSON_Delete(deep);
	cJSON_Delete(ok);
	ob_buf_free(&b);
}
END_TEST

START_TEST(test_depth_within_limit)
{
	cJSON *deep = cJSON_CreateObject(), *cur = deep;
	struct ob_buf b = OB_BUF_INIT;
	int i;

	for (i = 0; i < 10; i++)
		cur = cJSON_AddObjectToObject(cur, "n");
	cJSON_AddStringToObject(cur, "leaf", "x");
	ck_assert_int_eq(ob_stripe_form_encode(&b, deep), 0);
	ck_assert_str_eq(b.data, "n[n][n][n][n][n][n][n][n][n][leaf]=x");
	cJSON_Delete(deep);
	ob_buf_free(&b);
}
END_TEST

START_TEST(test_escape)
{
	struct ob_buf b = OB_BUF_INIT;
	const char raw[] = { 'a', ' ', '\0', '/', (char)0xff, '~', '[' };

	ob_stripe_form_escape(&b, raw, sizeof(raw));
	ck_assert_str_eq(b.data, "a%20%00%2F%FF~[");
	ob_buf_free(&b);
}
END_TEST

START_TEST(test_bools_and_raw_ascii)
{
	ck_encodes("{\"t\":true,\"f\":false,\"s\":\"AZaz09-_.~\"}",
	    "t=true&f=false&s=AZaz09-_.~");
}
END_TEST

Suite *stripe_form_suite(void)
{
	return t_suite("stripe_form", 0, T_TESTS(test_vectors, test_null_and_non_object,
	    test_js_key_order, test_numbers, test_unset_and_empty,
	    test_appends_and_rolls_back, test_depth_within_limit, test_escape,
	    test_bools_and_raw_ascii));
}
