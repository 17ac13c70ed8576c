/*
 * Allocation that never returns NULL: on exhaustion the process logs and
 * aborts, and the prefork master starts a fresh worker (redis' zmalloc
 * policy). Callers therefore never check these for NULL.
 */
#ifndef OB_MEM_H
#define OB_MEM_H

#include <stddef.h>

/** malloc(n) or abort. */
void *ob_xmalloc(size_t n);

/** calloc(n, sz) or abort. */
void *ob_xcalloc(size_t n, size_t sz);

/** realloc(p, n) or abort. */
void *ob_xrealloc(void *p, size_t n);

/** strdup(s) or abort. */
char *ob_xstrdup(const char *s);

/** strndup(s, n) or abort. */
char *ob_xstrndup(const char *s, size_t n);

/** Print "orgbill: fatal: MSG" to stderr and abort(). Never returns. */
void ob_die(const char *msg) __attribute__((noreturn));

#endif
