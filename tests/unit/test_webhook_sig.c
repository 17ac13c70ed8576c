/*
 * Stripe-Signature verification against vectors made by the official
 * stripe npm package (tests/stripe-fake/gen-signature-vectors.js).
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>
#include <sodium.h>

#include "stripe/webhook_sig.h"
#include "unit/unit.h"

static cJSON *
load_vectors(void)
{
	FILE *f = fopen("tests/unit/data/stripe_signature_vectors.json", "r");
	char *buf;
	long n;
	cJSON *j;

	ck_assert_msg(f != NULL, "vectors file missing (run from the project root)");
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)n + 1);
	ck_assert_int_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	j = cJSON_Parse(buf);
	free(buf);
	ck_assert_ptr_nonnull(j);
	return j;
}

START_TEST(whsig_vectors)
{
	cJSON *all = load_vectors(), *c;
	char secrets[512];
	int failures = 0, n = 0;

	ck_assert_int_ge(sodium_init(), 0);
	cJSON_ArrayForEach(c, all) {
		const char *name = cJSON_GetObjectItem(c, "name")->valuestring;
		const char *payload = cJSON_GetObjectItem(c, "payload")->valuestring;
		const char *header = cJSON_GetObjectItem(c, "header")->valuestring;
		const char *expect = cJSON_GetObjectItem(c, "expect")->valuestring;
		cJSON *s;
		size_t used = 0;
		enum ob_whsig got;

		secrets[0] = '\0';
		cJSON_ArrayForEach(s, cJSON_GetObjectItem(c, "secrets"))
			used += (size_t)snprintf(secrets + used, sizeof(secrets) - used, "%s%s",
			    used ? "," : "", s->valuestring);
		got = ob_whsig_verify(header, payload, strlen(payload), secrets,
		    (long long)cJSON_GetObjectItem(c, "now")->valuedouble,
		    (long)cJSON_GetObjectItem(c, "tolerance")->valuedouble);
		n++;
		if (strcmp(ob_whsig_name(got), expect) != 0) {
			failures++;
			fprintf(stderr, "whsig vector '%s': want %s, got %s\n", name, expect,
			    ob_whsig_name(got));
		}
	}
	cJSON_Delete(all);
	ck_assert_int_ge(n, 15);
	ck_assert_msg(failures == 0, "%d of %d vectors failed", failures, n);
}
END_TEST

START_TEST(whsig_parse_edges)
{
	struct ob_whsig_header h;
	char big[5000];
	int i;

	ck_assert_int_eq(ob_whsig_parse("t=1,v1=ab", 9, &h), 0);
	ck_assert_int_eq(h.t, 1);
	ck_assert_int_eq(h.nsigs, 1);
	ck_assert_int_eq(ob_whsig_parse("t=,v1=ab", 8, &h), -1);
	ck_assert_int_eq(ob_whsig_parse("t=1", 3, &h), -1);
	ck_assert_int_eq(ob_whsig_parse("v1=ab", 5, &h), -1);
	ck_assert_int_eq(ob_whsig_parse(",,,", 3, &h), -1);
	ck_assert_int_eq(ob_whsig_parse("t=99999999999999999999,v1=a", 27, &h), -1);
	/* Only the first OB_WHSIG_MAX_SIGS are kept; a huge header is refused. */
	{
		char many[2048] = "t=5";

		for (i = 0; i < 20; i++)
			strcat(many, ",v1=00");
		ck_assert_int_eq(ob_whsig_parse(many, strlen(many), &h), 0);
		ck_assert_int_eq(h.nsigs, OB_WHSIG_MAX_SIGS);
	}
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	memcpy(big, "t=1,v1=", 7);
	ck_assert_int_eq(ob_whsig_parse(big, strlen(big), &h), -1);
	ck_assert_int_eq(ob_whsig_verify("t=1,v1=ab", "x", 1, "", 1, 300), OB_WHSIG_BAD_SIGNATURE);
	ck_assert_int_eq(ob_whsig_verify(NULL, "x", 1, "whsec_a", 1, 300), OB_WHSIG_MALFORMED);
}
END_TEST

Suite *webhook_sig_suite(void)
{
	return t_suite("webhook_sig", 0, T_TESTS(whsig_vectors, whsig_parse_edges));
}
