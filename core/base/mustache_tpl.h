/*
 * The parsed form of a Mustache template, shared by the parser
 * (mustache_parse.c) and the renderer (mustache.c) only.
 *
 * A template is a flat array of tokens (text runs and tags). Sections,
 * parents and blocks are not turned into a tree: each opening tag records
 * the index of its closing tag ("match"), and rendering walks index ranges,
 * jumping over an element by going to match + 1. The text tokens are
 * trimmed once at parse time by the spec's standalone rules, so rendering
 * never re-examines standalone-ness.
 */
#ifndef OB_MUSTACHE_TPL_H
#define OB_MUSTACHE_TPL_H

#include <stddef.h>

#define NPOS		((size_t)-1)

enum tok_type {
	T_TEXT,
	T_VAR,		/* {{x}} */
	T_RAW,		/* {{{x}}} or {{&x}} */
	T_SECTION,	/* {{#x}} */
	T_INVERTED,	/* {{^x}} */
	T_CLOSE,	/* {{/x}} */
	T_COMMENT,	/* {{! ...}} */
	T_PARTIAL,	/* {{>x}} */
	T_PARENT,	/* {{<x}} */
	T_BLOCK,	/* {{$x}} */
	T_DELIM		/* {{=a b=}} */
};

#define F_TRIML	0x01	/* leading whitespace trimmed: emits no indentation */
#define F_ALONE	0x02	/* partial/parent/parameter block expands indented */
#define F_ARG	0x04	/* block that is a direct child of a parent tag */

struct tok {
	enum tok_type type;
	unsigned flags;
	size_t s, e;	/* text: the (trimmed) bytes; tag: the whole tag */
	size_t ns, nl;	/* name */
	size_t match;	/* opening <-> closing tag index */
	size_t is, il;	/* indentation added at this site (F_ALONE) */
	size_t xs, xl;	/* intrinsic indentation of a block's content */
};

struct tpl {
	const char *src;
	size_t len;
	struct tok *tok;
	size_t ntok, cap;
};

static inline int
is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/**
 * Parse src (len bytes, kept by reference: it must outlive t) into t.
 * Returns 0, or -1 with a message in err (errlen bytes; err may be NULL if
 * errlen is 0). Free t with ob_mustache_tpl_free either way.
 */
int ob_mustache_tpl_parse(struct tpl *t, const char *src, size_t len, char *err,
    size_t errlen);

/** Free t's tokens (t itself is the caller's); t is then empty. */
void ob_mustache_tpl_free(struct tpl *t);

/** Do tag ka of a and tag kb of b have the same name? */
int ob_mustache_name_eq(const struct tpl *a, const struct tok *ka,
    const struct tpl *b, const struct tok *kb);

/** Is a token of this type an element (it has a closing tag: match)? */
int ob_mustache_is_element(enum tok_type type);

#endif
