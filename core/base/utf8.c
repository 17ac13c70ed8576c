#include "base/utf8.h"

#include <string.h>

/*
 * The length of the sequence that starts at p (at most n bytes), or 0 when
 * it is not well formed. The second byte's range carries the rules that
 * exclude overlongs (E0, F0), surrogates (ED) and code points past
 * U+10FFFF (F4); the Unicode standard's table 3-7.
 */
static size_t
seq_len(const unsigned char *p, size_t n)
{
	unsigned char lo = 0x80, hi = 0xbf;
	size_t len, i;

	if (p[0] >= 0x01 && p[0] <= 0x7f)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		len = 2;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		len = 3;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		len = 4;
	else
		return 0;	/* NUL, a continuation byte, C0/C1, F5..FF */
	if (p[0] == 0xe0)
		lo = 0xa0;
	else if (p[0] == 0xed)
		hi = 0x9f;
	else if (p[0] == 0xf0)
		lo = 0x90;
	else if (p[0] == 0xf4)
		hi = 0x8f;
	if (n < len || p[1] < lo || p[1] > hi)
		return 0;
	for (i = 2; i < len; i++)
		if (p[i] < 0x80 || p[i] > 0xbf)
			return 0;
	return len;
}

int
ob_utf8_valid(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, k;

	while (i < len) {
		if ((k = seq_len(p + i, len - i)) == 0)
			return 0;
		i += k;
	}
	return 1;
}

int
ob_utf8_valid_str(const char *s)
{
	return ob_utf8_valid(s, strlen(s));
}
