/*
 * ob_arena: a per-request memory pool (nginx's ngx_pool_t, simplified).
 *
 * Everything a request allocates comes from its arena and is released at
 * once by ob_arena_reset() when the request ends; nothing is freed one by
 * one. Allocation failure aborts the worker (see mem.h).
 */
#ifndef OB_ARENA_H
#define OB_ARENA_H

#include <stddef.h>

struct ob_arena;

/** A new, empty arena. Never NULL. */
struct ob_arena *ob_arena_new(void);

/** Release every block the arena holds, and the arena. NULL is a no-op. */
void ob_arena_free(struct ob_arena *a);

/** Forget all allocations; keeps the first block for reuse. */
void ob_arena_reset(struct ob_arena *a);

/** n bytes aligned for any type; valid until the next reset. */
void *ob_arena_alloc(struct ob_arena *a, size_t n);

/** n zeroed bytes. */
void *ob_arena_calloc(struct ob_arena *a, size_t n);

/** A NUL-terminated copy of s (NULL gives NULL). */
char *ob_arena_strdup(struct ob_arena *a, const char *s);

/** A NUL-terminated copy of the first n bytes of s. */
char *ob_arena_strndup(struct ob_arena *a, const char *s, size_t n);

/** printf into the arena. */
char *ob_arena_printf(struct ob_arena *a, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/** Bytes handed out since the last reset (for tests and limits). */
size_t ob_arena_used(const struct ob_arena *a);

#endif
