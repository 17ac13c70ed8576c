/*
 * What the libFuzzer targets (tests/fuzz/fuzz_*.c) share: the entry point's
 * prototype, splitting an input into parts, and a request made without
 * FastCGI (the fields a parser reads, an arena, a worker with no database
 * and no templates, so refusals answer in the JSON error envelope).
 */
#ifndef OB_FUZZ_H
#define OB_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A NUL-terminated copy of p[0..n) (malloc'd: ASan sees every overread). */
static inline char *
fuzz_strndup(const void *p, size_t n)
{
	char *s = malloc(n + 1);

	if (s == NULL)
		abort();
	memcpy(s, p, n);
	s[n] = '\0';
	return s;
}

/*
 * The next part of *p (*left bytes) up to the separator byte sep: its
 * start and length; *p and *left move past it (and the separator). The
 * last part runs to the end.
 */
static inline const char *
fuzz_part(const char **p, size_t *left, char sep, size_t *len)
{
	const char *s = *p, *e = memchr(s, sep, *left);

	*len = e != NULL ? (size_t)(e - s) : *left;
	*p += *len + (e != NULL);
	*left -= *len + (e != NULL);
	return s;
}

#endif
