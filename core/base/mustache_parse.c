/*
 * ob_mustache's parser: a template's text into a flat array of tokens
 * (see mustache_tpl.h), tags paired, and the spec's whitespace rules
 * applied once.
 *
 * Whitespace follows the spec (see specs/whitespace.md in mustache/spec):
 * a non-interpolation tag alone on its line is "standalone" and its line
 * disappears; parent elements and parameter blocks are also standalone as
 * pairs (start tag first on its line, end tag last on its line). The text
 * tokens are trimmed here, and the indentation each standalone partial,
 * parent or block adds at render time is recorded on its token.
 */
#include "base/mustache_tpl.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/mem.h"
#include "base/mustache.h"

#define MAX_DELIM	16	/* bytes in a {{=x y=}} delimiter */

static size_t
line_of(const char *src, size_t pos)
{
	size_t i, n = 1;

	for (i = 0; i < pos; i++)
		if (src[i] == '\n')
			n++;
	return n;
}

static int
is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Offset of needle in src[from, len), or NPOS. */
static size_t
find(const char *src, size_t from, size_t len, const char *needle,
    size_t nlen)
{
	const char *p;

	if (from >= len || nlen > len - from)
		return NPOS;
	p = memmem(src + from, len - from, needle, nlen);
	return p == NULL ? NPOS : (size_t)(p - src);
}

static size_t
tok_push(struct tpl *t, enum tok_type type, size_t s, size_t e)
{
	struct tok *k;

	if (t->ntok == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 32;
		t->tok = ob_xrealloc(t->tok, t->cap * sizeof(*t->tok));
	}
	k = &t->tok[t->ntok];
	memset(k, 0, sizeof(*k));
	k->type = type;
	k->s = s;
	k->e = e;
	k->match = NPOS;
	return t->ntok++;
}

void
ob_mustache_tpl_free(struct tpl *t)
{
	free(t->tok);
	t->tok = NULL;
	t->ntok = t->cap = 0;
}

int
ob_mustache_is_element(enum tok_type type)
{
	return type == T_SECTION || type == T_INVERTED || type == T_PARENT ||
	    type == T_BLOCK;
}

/*
 * Parse the delimiters of a {{=open close=}} tag from src[s, e) into
 * otag/ctag. Returns 0, or -1 if they are not two words without '='.
 */
static int
parse_delims(const char *src, size_t s, size_t e, char *otag, size_t *olen,
    char *ctag, size_t *clen)
{
	size_t a, b, c, d;

	while (s < e && is_ws(src[s]))
		s++;
	while (e > s && is_ws(src[e - 1]))
		e--;
	for (a = s; a < e && !is_ws(src[a]); a++)
		;
	for (b = a; b < e && is_ws(src[b]); b++)
		;
	for (c = b; c < e && !is_ws(src[c]); c++)
		;
	if (a == s || b == a || c == b || c != e)
		return -1;
	if (a - s > MAX_DELIM || c - b > MAX_DELIM)
		return -1;
	for (d = s; d < e; d++)
		if (src[d] == '=')
			return -1;
	memcpy(otag, src + s, a - s);
	*olen = a - s;
	memcpy(ctag, src + b, c - b);
	*clen = c - b;
	return 0;
}

/* The type of a tag whose sigil (if any) is at src[q]; T_VAR without one. */
static enum tok_type
tag_type(const char *src, size_t q, size_t len)
{
	if (q >= len)
		return T_VAR;
	switch (src[q]) {
	case '#': return T_SECTION;
	case '^': return T_INVERTED;
	case '/': return T_CLOSE;
	case '!': return T_COMMENT;
	case '>': return T_PARTIAL;
	case '<': return T_PARENT;
	case '$': return T_BLOCK;
	case '=': return T_DELIM;
	case '{': return T_RAW;
	case '&': return T_RAW;
	default: return T_VAR;
	}
}

/*
 * Record the name of token k, the tag at offset p whose inside is
 * src[q, c): one word, blanks around it allowed. Returns 0, or -1 with a
 * message in err.
 */
static int
tag_name(struct tpl *t, size_t k, size_t p, size_t q, size_t c, char *err,
    size_t errlen)
{
	const char *src = t->src;
	size_t ns, ne, i;

	for (ns = q; ns < c && is_ws(src[ns]); ns++)
		;
	for (ne = c; ne > ns && is_ws(src[ne - 1]); ne--)
		;
	for (i = ns; i < ne; i++)
		if (is_ws(src[i]))
			break;
	if (ns == ne || i != ne) {
		ob_mustache_set_err(err, errlen, "line %zu: bad tag name '%.*s'",
		    line_of(src, p), (int)(c - q), src + q);
		return -1;
	}
	t->tok[k].ns = ns;
	t->tok[k].nl = ne - ns;
	return 0;
}

/* Split the template into text and tag tokens. */
static int
lex(struct tpl *t, char *err, size_t errlen)
{
	const char *src = t->src;
	char otag[MAX_DELIM] = "{{", ctag[MAX_DELIM] = "}}";
	char needle[MAX_DELIM + 1];
	size_t olen = 2, clen = 2, nlen, pos = 0, p, q, c, k;
	enum tok_type type;

	while (pos < t->len) {
		p = find(src, pos, t->len, otag, olen);
		if (p == NPOS) {
			tok_push(t, T_TEXT, pos, t->len);
			break;
		}
		if (p > pos)
			tok_push(t, T_TEXT, pos, p);
		q = p + olen;
		type = tag_type(src, q, t->len);
		if (type != T_VAR)
			q++;
		/* {{{x}}} ends at "}" + close; {{=a b=}} at "=" + close. */
		nlen = 0;
		if (type == T_RAW && src[q - 1] == '{')
			needle[nlen++] = '}';
		else if (type == T_DELIM)
			needle[nlen++] = '=';
		memcpy(needle + nlen, ctag, clen);
		nlen += clen;
		c = find(src, q, t->len, needle, nlen);
		if (c == NPOS) {
			ob_mustache_set_err(err, errlen, "line %zu: unclosed tag",
			    line_of(src, p));
			return -1;
		}
		k = tok_push(t, type, p, c + nlen);
		pos = c + nlen;
		if (type == T_COMMENT)
			continue;
		if (type == T_DELIM) {
			if (parse_delims(src, q, c, otag, &olen, ctag,
			    &clen) == -1) {
				ob_mustache_set_err(err, errlen,
				    "line %zu: bad set-delimiter tag",
				    line_of(src, p));
				return -1;
			}
			continue;
		}
		if (tag_name(t, k, p, q, c, err, errlen) == -1)
			return -1;
	}
	return 0;
}

int
ob_mustache_name_eq(const struct tpl *a, const struct tok *ka,
    const struct tpl *b, const struct tok *kb)
{
	return ka->nl == kb->nl &&
	    memcmp(a->src + ka->ns, b->src + kb->ns, ka->nl) == 0;
}

/* Pair opening and closing tags; mark blocks that are parent arguments. */
static int
match(struct tpl *t, char *err, size_t errlen)
{
	size_t stack[OB_MUSTACHE_MAX_DEPTH], n = 0, i, o;
	struct tok *k;

	for (i = 0; i < t->ntok; i++) {
		k = &t->tok[i];
		if (ob_mustache_is_element(k->type)) {
			if (n == OB_MUSTACHE_MAX_DEPTH) {
				ob_mustache_set_err(err, errlen, "line %zu: sections "
				    "nested deeper than %d",
				    line_of(t->src, k->s),
				    OB_MUSTACHE_MAX_DEPTH);
				return -1;
			}
			if (k->type == T_BLOCK && n > 0 &&
			    t->tok[stack[n - 1]].type == T_PARENT)
				k->flags |= F_ARG;
			stack[n++] = i;
		} else if (k->type == T_CLOSE) {
			if (n == 0) {
				ob_mustache_set_err(err, errlen, "line %zu: unexpected "
				    "section end '%.*s'", line_of(t->src, k->s),
				    (int)k->nl, t->src + k->ns);
				return -1;
			}
			o = stack[--n];
			if (!ob_mustache_name_eq(t, &t->tok[o], t, k)) {
				ob_mustache_set_err(err, errlen, "line %zu: mismatched "
				    "section end '%.*s' (open section is "
				    "'%.*s')", line_of(t->src, k->s),
				    (int)k->nl, t->src + k->ns,
				    (int)t->tok[o].nl, t->src + t->tok[o].ns);
				return -1;
			}
			t->tok[o].match = i;
			k->match = o;
		}
	}
	if (n > 0) {
		k = &t->tok[stack[n - 1]];
		ob_mustache_set_err(err, errlen, "line %zu: unclosed section '%.*s'",
		    line_of(t->src, k->s), (int)k->nl, t->src + k->ns);
		return -1;
	}
	return 0;
}

/*
 * Only blanks between the start of the line and offset s? *ls gets the
 * offset where those blanks begin.
 */
static int
lclear(const struct tpl *t, size_t s, size_t *ls)
{
	while (s > 0 && is_blank(t->src[s - 1]))
		s--;
	*ls = s;
	return s == 0 || t->src[s - 1] == '\n';
}

/*
 * Only blanks between offset e and the end of the line? *re gets the offset
 * just past the line end, *nl whether there was a newline (not the end).
 */
static int
rclear(const struct tpl *t, size_t e, size_t *re, int *nl)
{
	while (e < t->len && is_blank(t->src[e]))
		e++;
	*nl = 1;
	if (e == t->len) {
		*nl = 0;
		*re = e;
		return 1;
	}
	if (t->src[e] == '\n') {
		*re = e + 1;
		return 1;
	}
	if (t->src[e] == '\r' && e + 1 < t->len && t->src[e + 1] == '\n') {
		*re = e + 2;
		return 1;
	}
	return 0;
}

/* Drop the blanks before tag i from the preceding text. */
static void
trim_left(struct tpl *t, size_t i)
{
	struct tok *prev;
	size_t ls;

	(void)lclear(t, t->tok[i].s, &ls);
	t->tok[i].flags |= F_TRIML;
	if (i == 0 || t->tok[i - 1].type != T_TEXT)
		return;
	prev = &t->tok[i - 1];
	if (ls < prev->e)
		prev->e = ls < prev->s ? prev->s : ls;
}

/* Drop the blanks and the line end after tag i from the following text. */
static void
trim_right(struct tpl *t, size_t i)
{
	struct tok *next;
	size_t re;
	int nl;

	if (!rclear(t, t->tok[i].e, &re, &nl))
		return;
	if (i + 1 == t->ntok || t->tok[i + 1].type != T_TEXT)
		return;
	next = &t->tok[i + 1];
	if (re > next->s)
		next->s = re > next->e ? next->e : re;
}

/* The blanks that start the line after tag i (which ends its line). */
static void
intrinsic(const struct tpl *t, size_t i, size_t *xs, size_t *xl)
{
	size_t re, p;
	int nl;

	*xs = *xl = 0;
	if (!rclear(t, t->tok[i].e, &re, &nl) || !nl)
		return;
	for (p = re; p < t->len && is_blank(t->src[p]); p++)
		;
	*xs = re;
	*xl = p - re;
}

/*
 * The standalone rules for block token i (lc: only blanks before it on its
 * line, from offset ls): an argument of a parent is an inline template; a
 * standalone parameter block is indented as a unit.
 */
static void
block_whitespace(struct tpl *t, size_t i, int lc, size_t ls)
{
	struct tok *k = &t->tok[i], *c = &t->tok[k->match];
	size_t re;
	int nl, rc;

	rc = rclear(t, k->e, &re, &nl);
	if (k->flags & F_ARG) {
		/* An argument is an inline template: the line
		 * end after its start tag and the blanks
		 * before its end tag belong to the tags. */
		if (rc) {
			trim_right(t, i);
			intrinsic(t, i, &k->xs, &k->xl);
		}
		if (lclear(t, c->s, &ls))
			trim_left(t, k->match);
		return;
	}
	if (!lc || !rclear(t, c->e, &re, &nl))
		return;
	/* A standalone parameter block: indented as a unit;
	 * the line end after it stays unless its end tag is
	 * alone on its line. */
	trim_left(t, i);
	k->flags |= F_ALONE;
	if (rc) {
		intrinsic(t, i, &k->xs, &k->xl);
		k->is = k->xs;
		k->il = k->xl;
	} else {
		k->is = ls;
		k->il = k->s - ls;
	}
}

/*
 * A partial or parent tag whose line start was trimmed expands indented by
 * the blanks before it (from offset ls).
 */
static void
alone_at(struct tok *k, size_t ls)
{
	if (k->flags & F_TRIML) {
		k->flags |= F_ALONE;
		k->is = ls;
		k->il = k->s - ls;
	}
}

/* Apply the standalone rules: trim text, record indentation. */
static void
whitespace(struct tpl *t)
{
	struct tok *k, *c;
	size_t i, ls, re;
	int nl, lc;

	for (i = 0; i < t->ntok; i++) {
		k = &t->tok[i];
		if (k->type == T_TEXT || k->type == T_VAR || k->type == T_RAW)
			continue;
		if (lclear(t, k->s, &ls) && rclear(t, k->e, &re, &nl)) {
			trim_left(t, i);
			trim_right(t, i);
		}
	}
	for (i = 0; i < t->ntok; i++) {
		k = &t->tok[i];
		lc = lclear(t, k->s, &ls);
		switch (k->type) {
		case T_PARTIAL:
			alone_at(k, ls);
			break;
		case T_PARENT:
			c = &t->tok[k->match];
			if (lc && rclear(t, c->e, &re, &nl)) {
				trim_left(t, i);
				trim_right(t, k->match);
			}
			alone_at(k, ls);
			break;
		case T_BLOCK:
			block_whitespace(t, i, lc, ls);
			break;
		default:
			break;
		}
	}
}

void
ob_mustache_set_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

int
ob_mustache_tpl_parse(struct tpl *t, const char *src, size_t len, char *err,
    size_t errlen)
{
	memset(t, 0, sizeof(*t));
	t->src = src;
	t->len = len;
	if (len > OB_MUSTACHE_MAX_TPL) {
		ob_mustache_set_err(err, errlen, "template larger than %d bytes",
		    OB_MUSTACHE_MAX_TPL);
		return -1;
	}
	if (lex(t, err, errlen) == -1 || match(t, err, errlen) == -1)
		return -1;
	whitespace(t);
	return 0;
}
