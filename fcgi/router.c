#include "fcgi/router.h"

#include <stdio.h>
#include <string.h>

int
ob_route_match_path(const char *pattern, const char *path, struct ob_req *r)
{
	const char *p = pattern, *s = path, *pe, *se;
	int n = 0;

	while (*p == '/' && *s == '/') {
		p++;
		s++;
		pe = p + strcspn(p, "/");
		se = s + strcspn(s, "/");
		if (*p == '{') {
			if (se == s || n >= OB_ROUTE_PARAMS_MAX)
				return 0;
			if (r != NULL)
				r->params[n] = ob_arena_strndup(r->a, s, (size_t)(se - s));
			n++;
		} else if (pe - p != se - s || strncmp(p, s, (size_t)(pe - p)) != 0) {
			return 0;
		}
		p = pe;
		s = se;
	}
	if (*p != '\0' || *s != '\0')
		return 0;
	if (r != NULL)
		r->nparams = n;
	return 1;
}

static int
method_matches(const char *route, const char *req)
{
	return strcmp(route, req) == 0 ||
	    (strcmp(req, "HEAD") == 0 && strcmp(route, "GET") == 0);
}

enum ob_match
ob_router_match(const struct ob_router *rt, struct ob_req *r,
    const char **allow)
{
	struct ob_buf methods = OB_BUF_INIT;
	size_t i;
	int path_seen = 0;

	for (i = 0; i < rt->nroutes; i++) {
		const struct ob_route *ro = &rt->routes[i];

		if (!ob_route_match_path(ro->pattern, r->path, NULL))
			continue;
		if (method_matches(ro->method, r->method)) {
			ob_route_match_path(ro->pattern, r->path, r);
			r->route = (int)i;
			r->pattern = ro->pattern;
			ob_buf_free(&methods);
			return OB_MATCH_OK;
		}
		if (path_seen++)
			ob_buf_puts(&methods, ", ");
		ob_buf_puts(&methods, ro->method);
	}
	if (path_seen && allow != NULL)
		*allow = ob_arena_strdup(r->a, methods.data);
	ob_buf_free(&methods);
	return path_seen ? OB_MATCH_BAD_METHOD : OB_MATCH_NOT_FOUND;
}

static int
count_captures(const char *pattern)
{
	int n = 0;

	for (; *pattern != '\0'; pattern++)
		if (*pattern == '{')
			n++;
	return n;
}

int
ob_router_validate(const struct ob_router *rt, char *err, size_t errlen)
{
	size_t i, j;

	for (i = 0; i < rt->nroutes; i++) {
		const struct ob_route *ro = &rt->routes[i];

		if (ro->method == NULL || ro->pattern == NULL || ro->pattern[0] != '/' ||
		    ro->fn == NULL) {
			snprintf(err, errlen, "%s route %zu: incomplete row", rt->name, i);
			return -1;
		}
		if (ro->action <= OB_ACT_NONE || ro->action >= OB_ACT__MAX) {
			snprintf(err, errlen, "%s route %s %s: no action declared",
			    rt->name, ro->method, ro->pattern);
			return -1;
		}
		if (count_captures(ro->pattern) > OB_ROUTE_PARAMS_MAX) {
			snprintf(err, errlen, "%s route %s: too many captures",
			    rt->name, ro->pattern);
			return -1;
		}
		for (j = 0; j < i; j++)
			if (strcmp(rt->routes[j].method, ro->method) == 0 &&
			    strcmp(rt->routes[j].pattern, ro->pattern) == 0) {
				snprintf(err, errlen, "%s route %s %s: duplicate",
				    rt->name, ro->method, ro->pattern);
				return -1;
			}
	}
	return 0;
}

const char *
ob_route_param(const struct ob_req *r, const char *name)
{
	const char *p = r->pattern;
	size_t n = strlen(name);
	int i = 0;

	if (p == NULL)
		return NULL;
	while ((p = strchr(p, '{')) != NULL) {
		if (strncmp(p + 1, name, n) == 0 && p[1 + n] == '}')
			return i < r->nparams ? r->params[i] : NULL;
		i++;
		p++;
	}
	return NULL;
}
