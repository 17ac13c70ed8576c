#include "fcgi/input.h"

#include <string.h>
#include <strings.h>

#include "base/utf8.h"

struct form_cache {
	int n;
	const char *names[OB_FORM_FIELDS_MAX];
	const char *values[OB_FORM_FIELDS_MAX];
};

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decode s[0..len) into the arena; NULL if malformed. */
static char *
decode(struct ob_arena *a, const char *s, size_t len)
{
	char *out = ob_arena_alloc(a, len + 1), *o = out;
	size_t i;
	int h, l;

	for (i = 0; i < len; i++) {
		if (s[i] == '+') {
			*o++ = ' ';
		} else if (s[i] == '%') {
			if (i + 2 >= len)
				return NULL;
			h = hexval(s[i + 1]);
			l = hexval(s[i + 2]);
			if (h < 0 || l < 0 || (h == 0 && l == 0))
				return NULL;
			*o++ = (char)(h * 16 + l);
			i += 2;
		} else {
			*o++ = s[i];
		}
	}
	*o = '\0';
	return out;
}

int
ob_form_parse(struct ob_arena *a, const char *s, size_t len,
    const char **names, const char **values, int max)
{
	const char *p = s, *end = s + len, *amp, *eq;
	int n = 0;

	while (p < end) {
		amp = memchr(p, '&', (size_t)(end - p));
		if (amp == NULL)
			amp = end;
		if (amp > p) {
			if (n >= max)
				return -1;
			eq = memchr(p, '=', (size_t)(amp - p));
			if (eq == NULL)
				eq = amp;
			names[n] = decode(a, p, (size_t)(eq - p));
			values[n] = eq < amp ? decode(a, eq + 1, (size_t)(amp - eq - 1)) :
			    ob_arena_strdup(a, "");
			if (names[n] == NULL || values[n] == NULL)
				return -1;
			n++;
		}
		p = amp + 1;
	}
	return n;
}

/* The last value given for name (a checkbox after its hidden default wins). */
static const char *
lookup(struct form_cache *fc, const char *name)
{
	int i;

	for (i = fc->n - 1; i >= 0; i--)
		if (strcmp(fc->names[i], name) == 0)
			return fc->values[i];
	return NULL;
}

/* The pairs of s[0..len) (none for NULL), parsed on first use into *slot. */
static struct form_cache *
cached(struct ob_req *r, void **slot, const char *s, size_t len)
{
	struct form_cache *c = *slot;

	if (c == NULL) {
		c = *slot = ob_arena_calloc(r->a, sizeof(*c));
		/* Malformed: n stays -1, so every lookup finds nothing. */
		if (s != NULL)
			c->n = ob_form_parse(r->a, s, len, c->names, c->values, OB_FORM_FIELDS_MAX);
	}
	return c;
}

int
ob_req_is_form(const struct ob_req *r)
{
	return r->body != NULL && r->content_type != NULL &&
	    strncasecmp(r->content_type, "application/x-www-form-urlencoded", 33) == 0;
}

static struct form_cache *
form_pairs(struct ob_req *r)
{
	return cached(r, &r->form_cache, ob_req_is_form(r) ? r->body : NULL, r->body_len);
}

static struct form_cache *
query_pairs(struct ob_req *r)
{
	return cached(r, &r->query_cache, r->query, strlen(r->query));
}

const char *
ob_form_get(struct ob_req *r, const char *name)
{
	return lookup(form_pairs(r), name);
}

const char *
ob_query_get(struct ob_req *r, const char *name)
{
	return lookup(query_pairs(r), name);
}

int
ob_form_all(struct ob_req *r, const char *const **names, const char *const **values)
{
	struct form_cache *c = form_pairs(r);

	*names = c->names;
	*values = c->values;
	return c->n;
}

int
ob_query_all(struct ob_req *r, const char *const **names, const char *const **values)
{
	struct form_cache *c = query_pairs(r);

	*names = c->names;
	*values = c->values;
	return c->n;
}

const char *
ob_header(struct ob_req *r, const char *cgi_name)
{
	return ob_req_param(r, cgi_name);
}

const char *
ob_cookie_get(struct ob_req *r, const char *name)
{
	const char *c = FCGX_GetParam("HTTP_COOKIE", r->fr->envp), *p, *semi;
	size_t n = strlen(name), len;

	if (c == NULL || strlen(c) > OB_COOKIE_MAX)
		return NULL;
	for (p = c; *p != '\0'; p = semi + (*semi != '\0')) {
		while (*p == ' ')
			p++;
		semi = strchr(p, ';');
		if (semi == NULL)
			semi = p + strlen(p);
		len = (size_t)(semi - p);
		if (len > n && strncmp(p, name, n) == 0 && p[n] == '=')
			return ob_utf8_valid(p + n + 1, len - n - 1) ?
			    ob_arena_strndup(r->a, p + n + 1, len - n - 1) : NULL;
		if (*semi == '\0')
			break;
	}
	return NULL;
}
