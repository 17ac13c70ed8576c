/*
 * libFuzzer target: fcgi/input.c's application/x-www-form-urlencoded
 * decoding, for form bodies and query strings, and the request-level
 * input check (fcgi/input_check.c) over both.
 *
 * Input: one byte for the pair limit, then the text. ob_form_parse must
 * stay within the limit; what it decodes, encoded again (every byte but
 * letters and digits as %XX), must decode to the same pairs. The text is
 * then a request's query string and its urlencoded body: ob_input_check,
 * ob_query_get / ob_form_get and the *_all readers on it.
 */
#include "fuzz_req.h"

#include <stdio.h>

#include "base/buf.h"
#include "fcgi/input.h"

static struct ob_arena *arena;

static void
encode(struct ob_buf *b, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	for (; *p != '\0'; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9'))
			ob_buf_putc(b, (char)*p);
		else
			ob_buf_printf(b, "%%%02X", *p);
	}
}

/* Encode the n pairs and parse them again: the same pairs come back. */
static void
round_trip(const char **names, const char **values, int n)
{
	const char *n2[OB_FORM_FIELDS_MAX], *v2[OB_FORM_FIELDS_MAX];
	struct ob_buf b = OB_BUF_INIT;
	int i, m;

	for (i = 0; i < n; i++) {
		if (i > 0)
			ob_buf_putc(&b, '&');
		encode(&b, names[i]);
		ob_buf_putc(&b, '=');
		encode(&b, values[i]);
	}
	m = ob_form_parse(arena, b.data != NULL ? b.data : "", b.len, n2, v2, OB_FORM_FIELDS_MAX);
	if (m != n)
		abort();
	for (i = 0; i < n; i++)
		if (strcmp(names[i], n2[i]) != 0 || strcmp(values[i], v2[i]) != 0)
			abort();
	ob_buf_free(&b);
}

static void
as_request(const char *text, size_t len)
{
	static const char *const probe[] = { "a", "limit", "starting_after", "csrf", "" };
	const char *const *names, *const *values;
	struct fuzz_req f;
	size_t i;

	fuzz_req_init(&f, arena, "POST", "/api/v1/org-billing/fuzz", text);
	fuzz_req_body(&f, "application/x-www-form-urlencoded; charset=utf-8", text, len);
	(void)ob_input_check(&f.r);
	for (i = 0; i < sizeof(probe) / sizeof(probe[0]); i++) {
		(void)ob_query_get(&f.r, probe[i]);
		(void)ob_form_get(&f.r, probe[i]);
	}
	if (ob_query_all(&f.r, &names, &values) > OB_FORM_FIELDS_MAX ||
	    ob_form_all(&f.r, &names, &values) > OB_FORM_FIELDS_MAX)
		abort();
	fuzz_req_end(&f);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *names[OB_FORM_FIELDS_MAX], *values[OB_FORM_FIELDS_MAX];
	const char *text;
	int max, n;

	if (size < 1)
		return 0;
	if (arena == NULL)
		arena = ob_arena_new();
	max = 1 + data[0] % OB_FORM_FIELDS_MAX;
	text = fuzz_strndup(data + 1, size - 1);
	n = ob_form_parse(arena, text, size - 1, names, values, max);
	if (n > max)
		abort();
	if (n > 0 && memchr(text, '\0', size - 1) == NULL)
		round_trip(names, values, n);
	ob_arena_reset(arena);
	as_request(text, size - 1);
	free((void *)text);
	return 0;
}
