/*
 * ob_buf: a growable byte buffer (heap-backed, always NUL-terminated).
 *
 * Used for response bodies, rendered templates and encoded forms. Allocation
 * failure aborts the process (the prefork master respawns the worker), so
 * the append functions cannot fail.
 */
#ifndef OB_BUF_H
#define OB_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct ob_buf {
	char  *data;	/* NUL-terminated; NULL until the first append */
	size_t len;	/* bytes used, not counting the NUL */
	size_t cap;	/* bytes allocated */
};

#define OB_BUF_INIT { NULL, 0, 0 }

/** Append len bytes of p. */
void ob_buf_append(struct ob_buf *b, const void *p, size_t len);

/** Append the NUL-terminated string s. */
void ob_buf_puts(struct ob_buf *b, const char *s);

/** Append one byte. */
void ob_buf_putc(struct ob_buf *b, char c);

/** Append printf-formatted text. */
void ob_buf_printf(struct ob_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/** Append s with the five HTML-significant characters & < > " ' escaped. */
void ob_buf_put_html(struct ob_buf *b, const char *s, size_t len);

/** Forget the contents but keep the allocation. */
void ob_buf_reset(struct ob_buf *b);

/** Release the allocation; b is empty and reusable afterwards. */
void ob_buf_free(struct ob_buf *b);

#endif
