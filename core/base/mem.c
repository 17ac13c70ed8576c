#include "base/mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
ob_die(const char *msg)
{
	fprintf(stderr, "orgbill: fatal: %s\n", msg);
	abort();
}

void *
ob_xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (p == NULL)
		ob_die("out of memory");
	return p;
}

void *
ob_xcalloc(size_t n, size_t sz)
{
	void *p = calloc(n ? n : 1, sz ? sz : 1);

	if (p == NULL)
		ob_die("out of memory");
	return p;
}

void *
ob_xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);

	if (q == NULL)
		ob_die("out of memory");
	return q;
}

char *
ob_xstrdup(const char *s)
{
	return ob_xstrndup(s, strlen(s));
}

char *
ob_xstrndup(const char *s, size_t n)
{
	size_t len = strnlen(s, n);
	char *p = ob_xmalloc(len + 1);

	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}
