/*
 * ob_utf8: is this text well-formed UTF-8 (RFC 3629)?
 *
 * Every string taken from outside (a JSON body, a form field, a query
 * parameter, a header) is checked once at the input layer, so nothing
 * PostgreSQL would refuse (SQLSTATE 22021) reaches the database.
 */
#ifndef OB_UTF8_H
#define OB_UTF8_H

#include <stddef.h>

/**
 * True (1) if s[0..len) is well-formed UTF-8: no overlong forms, no UTF-16
 * surrogates (U+D800..U+DFFF), nothing above U+10FFFF, no truncated
 * sequence, and no NUL byte. 0 otherwise.
 */
int ob_utf8_valid(const char *s, size_t len);

/** ob_utf8_valid on a NUL-terminated string. */
int ob_utf8_valid_str(const char *s);

#endif
