#include "base/buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/mem.h"

static void
buf_grow(struct ob_buf *b, size_t need)
{
	size_t cap;

	if (b->len + need + 1 <= b->cap)
		return;
	cap = b->cap ? b->cap : 256;
	while (cap < b->len + need + 1)
		cap *= 2;
	b->data = ob_xrealloc(b->data, cap);
	b->cap = cap;
}

void
ob_buf_append(struct ob_buf *b, const void *p, size_t len)
{
	buf_grow(b, len);
	if (len > 0)
		memcpy(b->data + b->len, p, len);
	b->len += len;
	b->data[b->len] = '\0';
}

void
ob_buf_puts(struct ob_buf *b, const char *s)
{
	ob_buf_append(b, s, strlen(s));
}

void
ob_buf_putc(struct ob_buf *b, char c)
{
	ob_buf_append(b, &c, 1);
}

void
ob_buf_printf(struct ob_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		ob_die("ob_buf_printf: bad format");
	buf_grow(b, (size_t)n);
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

void
ob_buf_put_html(struct ob_buf *b, const char *s, size_t len)
{
	size_t i, start = 0;
	const char *rep;

	for (i = 0; i < len; i++) {
		switch (s[i]) {
		case '&': rep = "&amp;"; break;
		case '<': rep = "&lt;"; break;
		case '>': rep = "&gt;"; break;
		case '"': rep = "&quot;"; break;
		case '\'': rep = "&#39;"; break;
		default: continue;
		}
		ob_buf_append(b, s + start, i - start);
		ob_buf_puts(b, rep);
		start = i + 1;
	}
	ob_buf_append(b, s + start, len - start);
}

void
ob_buf_reset(struct ob_buf *b)
{
	b->len = 0;
	if (b->data != NULL)
		b->data[0] = '\0';
}

void
ob_buf_free(struct ob_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}
