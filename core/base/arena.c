#include "base/arena.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/mem.h"

#define ARENA_BLOCK	(16 * 1024)
#define ARENA_ALIGN	(_Alignof(max_align_t))

struct arena_block {
	struct arena_block *next;
	size_t size;	/* usable bytes in data[] */
	size_t used;
	max_align_t data[];
};

struct ob_arena {
	struct arena_block *head;	/* current block; first block is last */
	size_t total;
};

static struct arena_block *
block_new(size_t size)
{
	struct arena_block *b;

	b = ob_xmalloc(sizeof(*b) + size);
	b->next = NULL;
	b->size = size;
	b->used = 0;
	return b;
}

struct ob_arena *
ob_arena_new(void)
{
	struct ob_arena *a = ob_xmalloc(sizeof(*a));

	a->head = block_new(ARENA_BLOCK);
	a->total = 0;
	return a;
}

void
ob_arena_free(struct ob_arena *a)
{
	struct arena_block *b, *next;

	if (a == NULL)
		return;
	for (b = a->head; b != NULL; b = next) {
		next = b->next;
		free(b);
	}
	free(a);
}

void
ob_arena_reset(struct ob_arena *a)
{
	struct arena_block *b = a->head, *next;

	/* Keep only the oldest (first) block, which is at the tail. */
	while (b->next != NULL) {
		next = b->next;
		free(b);
		b = next;
	}
	b->used = 0;
	a->head = b;
	a->total = 0;
}

void *
ob_arena_alloc(struct ob_arena *a, size_t n)
{
	struct arena_block *b = a->head;
	size_t need = (n + ARENA_ALIGN - 1) & ~(ARENA_ALIGN - 1);
	void *p;

	if (need < n)
		ob_die("arena: size overflow");
	if (b->size - b->used < need) {
		b = block_new(need > ARENA_BLOCK ? need : ARENA_BLOCK);
		b->next = a->head;
		a->head = b;
	}
	p = (char *)b->data + b->used;
	b->used += need;
	a->total += need;
	return p;
}

void *
ob_arena_calloc(struct ob_arena *a, size_t n)
{
	void *p = ob_arena_alloc(a, n);

	memset(p, 0, n);
	return p;
}

char *
ob_arena_strndup(struct ob_arena *a, const char *s, size_t n)
{
	size_t len = strnlen(s, n);
	char *p = ob_arena_alloc(a, len + 1);

	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

char *
ob_arena_strdup(struct ob_arena *a, const char *s)
{
	if (s == NULL)
		return NULL;
	return ob_arena_strndup(a, s, strlen(s));
}

char *
ob_arena_printf(struct ob_arena *a, const char *fmt, ...)
{
	va_list ap;
	int n;
	char *p;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		ob_die("arena: bad format");
	p = ob_arena_alloc(a, (size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return p;
}

size_t
ob_arena_used(const struct ob_arena *a)
{
	return a->total;
}
