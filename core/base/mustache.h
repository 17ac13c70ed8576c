/*
 * ob_mustache: a Mustache renderer over cJSON data.
 *
 * Implements the Mustache spec (v1.4): interpolation, sections, inverted
 * sections, comments, set delimiters, partials and template inheritance
 * (parents and blocks, with the spec's block re-indentation rules).
 * Lambdas and dynamic names are not supported.
 *
 * Data semantics: false, null, a missing name and an empty array are falsey;
 * everything else (including "" and 0) is truthy. Interpolated strings are
 * HTML-escaped (& < > " ') unless written {{{x}}} or {{&x}}; integral
 * numbers print without a decimal point, others in the shortest form that
 * reads back as the same double (1.21); true/false print as words; null,
 * arrays and objects print as nothing.
 *
 * Hard limits (the renderer fails with a message instead of exceeding
 * them): a template or partial of at most OB_MUSTACHE_MAX_TPL bytes,
 * sections/partials/parents/blocks nested at most OB_MUSTACHE_MAX_DEPTH
 * deep, at most OB_MUSTACHE_MAX_OUT bytes of output and 16M tokens visited
 * per render (so that recursion over data cannot run away).
 */
#ifndef OB_MUSTACHE_H
#define OB_MUSTACHE_H

#include <stddef.h>

#include <cJSON.h>

struct ob_buf;

#define OB_MUSTACHE_MAX_TPL	(1024 * 1024)
#define OB_MUSTACHE_MAX_DEPTH	64
#define OB_MUSTACHE_MAX_OUT	(64 * 1024 * 1024)

/*
 * Look up partial `name` (len bytes, not NUL-terminated). Set *tpl /
 * *tpl_len and return 0, or return -1 if there is no such partial (which
 * renders as empty, per spec). The text must stay valid until the
 * ob_mustache_render call that asked for it returns.
 */
typedef int (*ob_mustache_partial_fn)(void *ud, const char *name, size_t len,
    const char **tpl, size_t *tpl_len);

/**
 * Render template tpl (tpl_len bytes) against data into out (appended).
 * Partials and parents are resolved through partial(ud, ...); partial may be
 * NULL, in which case every partial renders as empty. data may be NULL (an
 * empty context). Returns 0, or -1 on a template syntax error or an exceeded
 * limit with a message in err (errlen bytes, NUL-terminated; err may be NULL
 * if errlen is 0); out may then hold partial output, which the caller
 * discards. Nothing is retained after the call.
 */
int ob_mustache_render(const char *tpl, size_t tpl_len, const cJSON *data,
    ob_mustache_partial_fn partial, void *ud, struct ob_buf *out, char *err,
    size_t errlen);

/**
 * Check the syntax of template tpl (tpl_len bytes) without rendering it
 * (partials it names are not looked at). Returns 0, or -1 with a message in
 * err as for ob_mustache_render.
 */
int ob_mustache_check(const char *tpl, size_t tpl_len, char *err,
    size_t errlen);

/**
 * Write the printf-style message fmt into err (errlen bytes, NUL-terminated,
 * cut to fit), the way the ob_mustache_* and ob_tmpl_* functions report;
 * nothing if err is NULL or errlen is 0.
 */
void ob_mustache_set_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
