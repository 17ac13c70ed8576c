/*
 * The UTF-8 validator (core/base/utf8.h): every boundary of RFC 3629 and
 * the Unicode standard's table 3-7, with the expected answers written by
 * hand.
 */
#include <check.h>
#include <string.h>

#include "base/utf8.h"

#define V(lit) ob_utf8_valid((lit), sizeof(lit) - 1)

START_TEST(utf8_accepts_well_formed)
{
	ck_assert_int_eq(V(""), 1);
	ck_assert_int_eq(V("plain ascii ~"), 1);
	ck_assert_int_eq(V("\x7f"), 1);
	ck_assert_int_eq(V("\xc2\x80"), 1);		/* U+0080, the first 2-byte */
	ck_assert_int_eq(V("\xc3\xa9t\xc3\xa9"), 1);	/* été */
	ck_assert_int_eq(V("\xdf\xbf"), 1);		/* U+07FF */
	ck_assert_int_eq(V("\xe0\xa0\x80"), 1);		/* U+0800, the first 3-byte */
	ck_assert_int_eq(V("\xed\x9f\xbf"), 1);		/* U+D7FF, below the surrogates */
	ck_assert_int_eq(V("\xee\x80\x80"), 1);		/* U+E000, above them */
	ck_assert_int_eq(V("\xef\xbf\xbf"), 1);		/* U+FFFF */
	ck_assert_int_eq(V("\xf0\x90\x80\x80"), 1);	/* U+10000, the first 4-byte */
	ck_assert_int_eq(V("\xf0\x9f\x98\x80"), 1);	/* an emoji */
	ck_assert_int_eq(V("\xf4\x8f\xbf\xbf"), 1);	/* U+10FFFF, the last */
	ck_assert_int_eq(ob_utf8_valid_str("Z\xc3\xbcrich"), 1);
}
END_TEST

START_TEST(utf8_rejects_overlongs)
{
	ck_assert_int_eq(V("\xc0\x80"), 0);		/* NUL, overlong */
	ck_assert_int_eq(V("\xc0\xaf"), 0);		/* '/', overlong */
	ck_assert_int_eq(V("\xc1\xbf"), 0);
	ck_assert_int_eq(V("\xe0\x80\xaf"), 0);
	ck_assert_int_eq(V("\xe0\x9f\xbf"), 0);		/* U+07FF in three bytes */
	ck_assert_int_eq(V("\xf0\x80\x80\xaf"), 0);
	ck_assert_int_eq(V("\xf0\x8f\xbf\xbf"), 0);	/* U+FFFF in four bytes */
}
END_TEST

START_TEST(utf8_rejects_surrogates_and_beyond)
{
	ck_assert_int_eq(V("\xed\xa0\x80"), 0);		/* U+D800 */
	ck_assert_int_eq(V("\xed\xbf\xbf"), 0);		/* U+DFFF */
	ck_assert_int_eq(V("\xed\xa0\xbd\xed\xb8\x80"), 0);	/* a CESU-8 pair */
	ck_assert_int_eq(V("\xf4\x90\x80\x80"), 0);	/* U+110000 */
	ck_assert_int_eq(V("\xf5\x80\x80\x80"), 0);
	ck_assert_int_eq(V("\xf7\xbf\xbf\xbf"), 0);
	ck_assert_int_eq(V("\xf8\x88\x80\x80\x80"), 0);	/* old 5-byte form */
	ck_assert_int_eq(V("\xfe"), 0);
	ck_assert_int_eq(V("\xff"), 0);
}
END_TEST

START_TEST(utf8_rejects_truncated_and_stray)
{
	ck_assert_int_eq(V("\xc3"), 0);			/* a lead byte at the end */
	ck_assert_int_eq(V("ab\xe2\x82"), 0);		/* € cut short */
	ck_assert_int_eq(V("\xf0\x9f\x98"), 0);
	ck_assert_int_eq(V("\xe2\x82x"), 0);		/* cut by an ASCII byte */
	ck_assert_int_eq(V("\x80"), 0);			/* a stray continuation */
	ck_assert_int_eq(V("a\xbf"), 0);
	ck_assert_int_eq(V("\xc3\xa9\xa9"), 0);		/* one continuation too many */
	ck_assert_int_eq(V("caf\xe9"), 0);		/* Latin-1 */
	/* The length bounds the check: a valid prefix of a longer buffer. */
	ck_assert_int_eq(ob_utf8_valid("ok\xff", 2), 1);
	ck_assert_int_eq(ob_utf8_valid("\xe2\x82\xac", 2), 0);
}
END_TEST

START_TEST(utf8_rejects_nul)
{
	ck_assert_int_eq(V("abc\0DROP"), 0);
	ck_assert_int_eq(V("\0"), 0);
	ck_assert_int_eq(ob_utf8_valid_str("abc"), 1);
}
END_TEST

Suite *utf8_suite(void)
{
	Suite *s = suite_create("utf8");
	TCase *tc = tcase_create("utf8");

	tcase_add_test(tc, utf8_accepts_well_formed);
	tcase_add_test(tc, utf8_rejects_overlongs);
	tcase_add_test(tc, utf8_rejects_surrogates_and_beyond);
	tcase_add_test(tc, utf8_rejects_truncated_and_stray);
	tcase_add_test(tc, utf8_rejects_nul);
	suite_add_tcase(s, tc);
	return s;
}
