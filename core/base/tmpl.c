#include "base/tmpl.h"

#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/mem.h"
#include "base/mustache.h"

#define SUFFIX		".mustache"
#define SUFFIX_LEN	(sizeof(SUFFIX) - 1)

struct tmpl {
	char *name;	/* relative path without the suffix */
	char *text;
	size_t len;
};

struct ob_tmpl_store {
	struct tmpl *v;	/* sorted by name after loading */
	size_t n, cap;
};

/* Read path (at most OB_MUSTACHE_MAX_TPL bytes) into *text / *len. */
static int
read_file(const char *path, char **text, size_t *len, char *err,
    size_t errlen)
{
	struct ob_buf b = OB_BUF_INIT;
	char chunk[16384];
	ssize_t n;
	int fd, rc = -1;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		ob_mustache_set_err(err, errlen, "%s: %s", path, strerror(errno));
		goto out;
	}
	ob_buf_append(&b, "", 0);	/* "" rather than NULL when empty */
	for (;;) {
		n = read(fd, chunk, sizeof(chunk));
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			ob_mustache_set_err(err, errlen, "%s: %s", path, strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		if (b.len + (size_t)n > OB_MUSTACHE_MAX_TPL) {
			ob_mustache_set_err(err, errlen, "%s: template larger than %d "
			    "bytes", path, OB_MUSTACHE_MAX_TPL);
			goto out;
		}
		ob_buf_append(&b, chunk, (size_t)n);
	}
	*text = b.data;
	*len = b.len;
	b.data = NULL;
	rc = 0;
out:
	if (fd != -1)
		close(fd);
	ob_buf_free(&b);
	return rc;
}

static int
add_file(struct ob_tmpl_store *s, const char *path, const char *rel,
    char *err, size_t errlen)
{
	struct tmpl *t;
	char msg[256];
	char *text = NULL;
	size_t len = 0;

	if (s->n == OB_TMPL_MAX_FILES) {
		ob_mustache_set_err(err, errlen, "%s: more than %d templates", path,
		    OB_TMPL_MAX_FILES);
		return -1;
	}
	if (read_file(path, &text, &len, err, errlen) == -1)
		return -1;
	if (ob_mustache_check(text, len, msg, sizeof(msg)) == -1) {
		ob_mustache_set_err(err, errlen, "%s: %s", path, msg);
		free(text);
		return -1;
	}
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 16;
		s->v = ob_xrealloc(s->v, s->cap * sizeof(*s->v));
	}
	t = &s->v[s->n++];
	t->name = ob_xstrndup(rel, strlen(rel) - SUFFIX_LEN);
	t->text = text;
	t->len = len;
	return 0;
}

static int
has_suffix(const char *name)
{
	size_t n = strlen(name);

	return n > SUFFIX_LEN && strcmp(name + n - SUFFIX_LEN, SUFFIX) == 0;
}

/* Load the templates in root/rel ("" for root itself). */
static int
walk(struct ob_tmpl_store *s, const char *root, const char *rel, int depth,
    char *err, size_t errlen)
{
	char dir[PATH_MAX], path[PATH_MAX], sub[PATH_MAX];
	struct dirent *de;
	struct stat st;
	DIR *d = NULL;
	int n, rc = -1;

	if (depth > OB_TMPL_MAX_DIRDEPTH) {
		ob_mustache_set_err(err, errlen, "%s/%s: directories nested deeper than "
		    "%d", root, rel, OB_TMPL_MAX_DIRDEPTH);
		goto out;
	}
	n = snprintf(dir, sizeof(dir), "%s%s%s", root, *rel ? "/" : "", rel);
	if (n < 0 || (size_t)n >= sizeof(dir)) {
		ob_mustache_set_err(err, errlen, "%s/%s: path too long", root, rel);
		goto out;
	}
	if ((d = opendir(dir)) == NULL) {
		ob_mustache_set_err(err, errlen, "%s: %s", dir, strerror(errno));
		goto out;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		n = snprintf(sub, sizeof(sub), "%s%s%s", rel, *rel ? "/" : "",
		    de->d_name);
		if (n >= 0 && (size_t)n < sizeof(sub))
			n = snprintf(path, sizeof(path), "%s/%s", root, sub);
		if (n < 0 || (size_t)n >= sizeof(path)) {
			ob_mustache_set_err(err, errlen, "%s/%s: path too long", dir,
			    de->d_name);
			goto out;
		}
		if (lstat(path, &st) == -1) {
			ob_mustache_set_err(err, errlen, "%s: %s", path, strerror(errno));
			goto out;
		}
		if (S_ISDIR(st.st_mode)) {
			if (walk(s, root, sub, depth + 1, err, errlen) == -1)
				goto out;
			continue;
		}
		if (!has_suffix(de->d_name))
			continue;
		/* A link to a file counts; a link to a directory does not
		 * (no cycles). */
		if (S_ISLNK(st.st_mode) && stat(path, &st) == -1) {
			ob_mustache_set_err(err, errlen, "%s: %s", path, strerror(errno));
			goto out;
		}
		if (!S_ISREG(st.st_mode))
			continue;
		if (add_file(s, path, sub, err, errlen) == -1)
			goto out;
	}
	rc = 0;
out:
	if (d != NULL)
		closedir(d);
	return rc;
}

static int
cmp_tmpl(const void *a, const void *b)
{
	return strcmp(((const struct tmpl *)a)->name,
	    ((const struct tmpl *)b)->name);
}

/* The template called name (len bytes), or NULL. */
static const struct tmpl *
find(const struct ob_tmpl_store *s, const char *name, size_t len)
{
	size_t lo = 0, hi = s->n, mid, n;
	int c;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		n = strlen(s->v[mid].name);
		c = memcmp(s->v[mid].name, name, n < len ? n : len);
		if (c == 0)
			c = n < len ? -1 : n > len ? 1 : 0;
		if (c == 0)
			return &s->v[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static int
store_partial(void *ud, const char *name, size_t len, const char **tpl,
    size_t *tpl_len)
{
	const struct tmpl *t = find(ud, name, len);

	if (t == NULL)
		return -1;
	*tpl = t->text;
	*tpl_len = t->len;
	return 0;
}

struct ob_tmpl_store *
ob_tmpl_load_dir(const char *dir, char *err, size_t errlen)
{
	struct ob_tmpl_store *s;

	if (err != NULL && errlen > 0)
		err[0] = '\0';
	s = ob_xcalloc(1, sizeof(*s));
	if (walk(s, dir, "", 0, err, errlen) == -1) {
		ob_tmpl_free(s);
		return NULL;
	}
	if (s->n > 0)
		qsort(s->v, s->n, sizeof(*s->v), cmp_tmpl);
	return s;
}

int
ob_tmpl_render(const struct ob_tmpl_store *s, const char *name,
    const cJSON *data, struct ob_buf *out, char *err, size_t errlen)
{
	const struct tmpl *t;
	char msg[256];

	if ((t = find(s, name, strlen(name))) == NULL) {
		ob_mustache_set_err(err, errlen, "no template '%s'", name);
		return -1;
	}
	if (ob_mustache_render(t->text, t->len, data, store_partial,
	    (void *)s, out, msg, sizeof(msg)) == -1) {
		ob_mustache_set_err(err, errlen, "%s: %s", name, msg);
		return -1;
	}
	return 0;
}

void
ob_tmpl_free(struct ob_tmpl_store *s)
{
	size_t i;

	if (s == NULL)
		return;
	for (i = 0; i < s->n; i++) {
		free(s->v[i].name);
		free(s->v[i].text);
	}
	free(s->v);
	free(s);
}
