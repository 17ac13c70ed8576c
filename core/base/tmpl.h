/*
 * ob_tmpl: the workers' template store.
 *
 * Every *.mustache file under a directory is read and syntax-checked once at
 * start-up; renders then resolve partials and parents from the same store by
 * name. A template's name is its path relative to the directory without the
 * ".mustache" suffix ("layout", "pages/landing", "partials/nav"). Names
 * starting with '.' (files and directories) are skipped, as are symbolic
 * links to directories.
 *
 * Limits: each file at most OB_MUSTACHE_MAX_TPL bytes, at most
 * OB_TMPL_MAX_FILES files, directories at most OB_TMPL_MAX_DIRDEPTH deep.
 */
#ifndef OB_TMPL_H
#define OB_TMPL_H

#include <stddef.h>

#include <cJSON.h>

struct ob_buf;
struct ob_tmpl_store;

#define OB_TMPL_MAX_FILES	1024
#define OB_TMPL_MAX_DIRDEPTH	16

/**
 * Load every *.mustache file under dir (recursively). Returns the store,
 * owned by the caller (release with ob_tmpl_free), or NULL with a message in
 * err (errlen bytes, NUL-terminated) if a directory or file cannot be read,
 * a file is over the size limit or a template has a syntax error.
 */
struct ob_tmpl_store *ob_tmpl_load_dir(const char *dir, char *err,
    size_t errlen);

/**
 * Render template name (NUL-terminated) against data, appending to out;
 * partials and parents are looked up in the same store. Returns 0, or -1
 * with a message in err if there is no such template or rendering fails (out
 * may then hold partial output, which the caller discards).
 */
int ob_tmpl_render(const struct ob_tmpl_store *s, const char *name,
    const cJSON *data, struct ob_buf *out, char *err, size_t errlen);

/** Release s and every template in it; NULL is allowed. */
void ob_tmpl_free(struct ob_tmpl_store *s);

#endif
