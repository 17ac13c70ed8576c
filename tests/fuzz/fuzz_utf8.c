/*
 * libFuzzer target: base/utf8.c's validator against a decoder written
 * here from RFC 3629 (code points, not byte ranges): both must agree on
 * every input, and the validator must not read past its length.
 *
 * make fuzz runs it briefly; a long run: docs/RELIABILITY.md.
 */
#include "fuzz.h"

#include "base/utf8.h"

/* 1 if s[0..n) is well-formed UTF-8 without NUL, by decoding. */
static int
reference_valid(const unsigned char *s, size_t n)
{
	size_t i = 0, k, len;
	uint32_t cp;

	while (i < n) {
		if (s[i] == 0)
			return 0;
		if (s[i] < 0x80) {
			i++;
			continue;
		}
		if ((s[i] & 0xe0) == 0xc0) {
			len = 2;
			cp = s[i] & 0x1f;
		} else if ((s[i] & 0xf0) == 0xe0) {
			len = 3;
			cp = s[i] & 0x0f;
		} else if ((s[i] & 0xf8) == 0xf0) {
			len = 4;
			cp = s[i] & 0x07;
		} else {
			return 0;
		}
		if (n - i < len)
			return 0;
		for (k = 1; k < len; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return 0;
			cp = cp << 6 | (s[i + k] & 0x3f);
		}
		if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) ||
		    (len == 4 && cp < 0x10000) || cp > 0x10ffff ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		i += len;
	}
	return 1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *copy = fuzz_strndup(data, size);
	int ok = ob_utf8_valid(copy, size);

	if (ok != reference_valid(data, size))
		abort();
	/* The string form stops at the first NUL: what comes before it. */
	if (ob_utf8_valid_str(copy) != reference_valid(data, strlen(copy)))
		abort();
	free(copy);
	return 0;
}
