/*
 * libFuzzer target: the Mustache templates and their data
 * (core/base/mustache.c, mustache_parse.c): the syntax check and the
 * render with partials and parents.
 *
 * Input: the template, a NUL, the data (a JSON document; not JSON renders
 * against no data), a NUL, and the text every partial or parent name
 * resolves to (so partials recurse until the depth limit). A template
 * that renders must pass the syntax check; a refusal must say why.
 */
#include "fuzz.h"

#include <cJSON.h>

#include "base/buf.h"
#include "base/mustache.h"

struct partial {
	const char *text;
	size_t len;
};

static int
partial_fn(void *ud, const char *name, size_t len, const char **tpl, size_t *tpl_len)
{
	const struct partial *p = ud;

	if (len == 7 && memcmp(name, "missing", 7) == 0)
		return -1;
	*tpl = p->text;
	*tpl_len = p->len;
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *t, *d, *pt;
	size_t left = size, tlen, dlen, plen;
	struct ob_buf out = OB_BUF_INIT;
	struct partial part;
	char err[256], cerr[256];
	char *tpl, *doc;
	cJSON *j;
	int rc, checked;

	t = fuzz_part(&p, &left, '\0', &tlen);
	d = fuzz_part(&p, &left, '\0', &dlen);
	pt = fuzz_part(&p, &left, '\0', &plen);
	tpl = fuzz_strndup(t, tlen);	/* a copy of its own: reads past it are seen */
	doc = fuzz_strndup(d, dlen);
	part.text = fuzz_strndup(pt, plen);
	part.len = plen;
	j = cJSON_ParseWithLength(doc, dlen);
	err[0] = cerr[0] = '\0';
	checked = ob_mustache_check(tpl, tlen, cerr, sizeof(cerr));
	if (checked != 0 && cerr[0] == '\0')
		abort();
	rc = ob_mustache_render(tpl, tlen, j, partial_fn, &part, &out, err, sizeof(err));
	if (rc != 0 && err[0] == '\0')
		abort();
	if (rc == 0 && checked != 0)
		abort();
	ob_buf_free(&out);
	rc = ob_mustache_render(tpl, tlen, j, NULL, NULL, &out, err, sizeof(err));
	if (rc == 0 && checked != 0)
		abort();
	ob_buf_free(&out);
	cJSON_Delete(j);
	free((void *)part.text);
	free(doc);
	free(tpl);
	return 0;
}
