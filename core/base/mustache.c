/*
 * ob_mustache: Mustache templates rendered against cJSON data.
 *
 * A template is parsed into a flat array of tokens (text runs and tags).
 * Sections, parents and blocks are not turned into a tree: each opening tag
 * records the index of its closing tag ("match"), and rendering walks index
 * ranges, jumping over an element by going to match + 1.
 *
 * Whitespace follows the spec (see specs/whitespace.md in mustache/spec):
 * a non-interpolation tag alone on its line is "standalone" and its line
 * disappears; parent elements and parameter blocks are also standalone as
 * pairs (start tag first on its line, end tag last on its line). The text
 * tokens are trimmed once at parse time, so rendering never re-examines
 * standalone-ness.
 *
 * Indentation (standalone partials, parents, blocks) is applied at render
 * time by a chain of "struct ind" frames on the C stack: at the start of
 * each template line, the line's leading whitespace goes through the chain
 * from the innermost frame out; each frame removes its `strip` prefix if
 * present (a block's intrinsic indentation) and prepends its `add` (the
 * indentation of the site). Only template text is re-indented, never
 * interpolated data, and the indentation never follows a final newline.
 */
#include "base/mustache.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/mem.h"

#define NPOS		((size_t)-1)
#define MAX_DELIM	16	/* bytes in a {{=x y=}} delimiter */
#define MAX_STEPS	(16L * 1024 * 1024)	/* tokens visited per render */

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

/* One level of re-indentation; see the top of the file. */
struct ind {
	const char *strip;
	size_t slen;
	const char *add;
	size_t alen;
	const struct ind *next;
};

/* A parent tag being expanded: its direct-child blocks are arguments. */
struct scope {
	const struct tpl *t;
	size_t tok;
	const struct scope *next;
};

struct rnd {
	ob_mustache_partial_fn partial;
	void *ud;
	struct ob_buf *out;
	size_t out_start;
	const cJSON *ctx[OB_MUSTACHE_MAX_DEPTH + 1];
	size_t nctx;
	const struct ind *ind;
	const struct scope *scope;
	int force;		/* -1, or the bol mode of the next output */
	int depth;
	long steps;
	struct ob_buf pa, pb;	/* scratch for indentation prefixes */
	char *err;
	size_t errlen;
	int failed;
};

static void
set_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
set_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static void
fail(struct rnd *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Record the first render error; later ones are dropped. */
static void
fail(struct rnd *r, const char *fmt, ...)
{
	va_list ap;

	if (r->failed)
		return;
	r->failed = 1;
	if (r->err == NULL || r->errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(r->err, r->errlen, fmt, ap);
	va_end(ap);
}

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

static int
is_blank(char c)
{
	return c == ' ' || c == '\t';
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

static void
tpl_free(struct tpl *t)
{
	free(t->tok);
	t->tok = NULL;
	t->ntok = t->cap = 0;
}

static int
is_element(enum tok_type type)
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

/* Split the template into text and tag tokens. */
static int
lex(struct tpl *t, char *err, size_t errlen)
{
	const char *src = t->src;
	char otag[MAX_DELIM] = "{{", ctag[MAX_DELIM] = "}}";
	char needle[MAX_DELIM + 1];
	size_t olen = 2, clen = 2, nlen, pos = 0, p, q, c, ns, ne, i, k;
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
		type = T_VAR;
		if (q < t->len) {
			switch (src[q]) {
			case '#': type = T_SECTION; break;
			case '^': type = T_INVERTED; break;
			case '/': type = T_CLOSE; break;
			case '!': type = T_COMMENT; break;
			case '>': type = T_PARTIAL; break;
			case '<': type = T_PARENT; break;
			case '$': type = T_BLOCK; break;
			case '=': type = T_DELIM; break;
			case '{': type = T_RAW; break;
			case '&': type = T_RAW; break;
			default: break;
			}
		}
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
			set_err(err, errlen, "line %zu: unclosed tag",
			    line_of(src, p));
			return -1;
		}
		k = tok_push(t, type, p, c + nlen);
		if (type == T_COMMENT) {
			pos = c + nlen;
			continue;
		}
		if (type == T_DELIM) {
			if (parse_delims(src, q, c, otag, &olen, ctag,
			    &clen) == -1) {
				set_err(err, errlen,
				    "line %zu: bad set-delimiter tag",
				    line_of(src, p));
				return -1;
			}
			pos = c + nlen;
			continue;
		}
		for (ns = q; ns < c && is_ws(src[ns]); ns++)
			;
		for (ne = c; ne > ns && is_ws(src[ne - 1]); ne--)
			;
		for (i = ns; i < ne; i++)
			if (is_ws(src[i]))
				break;
		if (ns == ne || i != ne) {
			set_err(err, errlen, "line %zu: bad tag name '%.*s'",
			    line_of(src, p), (int)(c - q), src + q);
			return -1;
		}
		t->tok[k].ns = ns;
		t->tok[k].nl = ne - ns;
		pos = c + nlen;
	}
	return 0;
}

static int
name_eq(const struct tpl *a, const struct tok *ka, const struct tpl *b,
    const struct tok *kb)
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
		if (is_element(k->type)) {
			if (n == OB_MUSTACHE_MAX_DEPTH) {
				set_err(err, errlen, "line %zu: sections "
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
				set_err(err, errlen, "line %zu: unexpected "
				    "section end '%.*s'", line_of(t->src, k->s),
				    (int)k->nl, t->src + k->ns);
				return -1;
			}
			o = stack[--n];
			if (!name_eq(t, &t->tok[o], t, k)) {
				set_err(err, errlen, "line %zu: mismatched "
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
		set_err(err, errlen, "line %zu: unclosed section '%.*s'",
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

/* Apply the standalone rules: trim text, record indentation. */
static void
whitespace(struct tpl *t)
{
	struct tok *k, *c;
	size_t i, ls, re;
	int nl, lc, rc;

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
			if (k->flags & F_TRIML) {
				k->flags |= F_ALONE;
				k->is = ls;
				k->il = k->s - ls;
			}
			break;
		case T_PARENT:
			c = &t->tok[k->match];
			if (lc && rclear(t, c->e, &re, &nl)) {
				trim_left(t, i);
				trim_right(t, k->match);
			}
			if (k->flags & F_TRIML) {
				k->flags |= F_ALONE;
				k->is = ls;
				k->il = k->s - ls;
			}
			break;
		case T_BLOCK:
			c = &t->tok[k->match];
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
				break;
			}
			if (!lc || !rclear(t, c->e, &re, &nl))
				break;
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
			break;
		default:
			break;
		}
	}
}

/* Parse src into t. Returns 0, or -1 with a message in err. */
static int
tpl_parse(struct tpl *t, const char *src, size_t len, char *err,
    size_t errlen)
{
	memset(t, 0, sizeof(*t));
	t->src = src;
	t->len = len;
	if (len > OB_MUSTACHE_MAX_TPL) {
		set_err(err, errlen, "template larger than %d bytes",
		    OB_MUSTACHE_MAX_TPL);
		return -1;
	}
	if (lex(t, err, errlen) == -1 || match(t, err, errlen) == -1)
		return -1;
	whitespace(t);
	return 0;
}

/*
 * The one place floating point appears in this file: JSON numbers arrive as
 * doubles (cJSON), and this only prints them for display. Money is never
 * computed here; callers hand templates preformatted amounts.
 */
static void
fmt_number(const cJSON *v, char *buf, size_t len)
{
	double d = v->valuedouble;
	int prec;

	if ((double)v->valueint == d) {
		snprintf(buf, len, "%d", v->valueint);
		return;
	}
	if (d != d) {			/* NaN: not JSON */
		buf[0] = '\0';
		return;
	}
	if (d > -9007199254740992.0 && d < 9007199254740992.0 &&
	    (double)(long long)d == d) {
		snprintf(buf, len, "%lld", (long long)d);
		return;
	}
	for (prec = 1; prec < 17; prec++) {
		snprintf(buf, len, "%.*g", prec, d);
		if (strtod(buf, NULL) == d)
			return;
	}
	snprintf(buf, len, "%.17g", d);
}

static int
falsey(const cJSON *v)
{
	return v == NULL || cJSON_IsNull(v) || cJSON_IsFalse(v) ||
	    cJSON_IsInvalid(v) || (cJSON_IsArray(v) && v->child == NULL);
}

static const cJSON *
member(const cJSON *obj, const char *name, size_t len)
{
	const cJSON *it;

	if (!cJSON_IsObject(obj) || len == 0)
		return NULL;
	for (it = obj->child; it != NULL; it = it->next)
		if (it->string != NULL && strncmp(it->string, name, len) == 0 &&
		    it->string[len] == '\0')
			return it;
	return NULL;
}

/* Resolve a (possibly dotted) name against the context stack. */
static const cJSON *
lookup(const struct rnd *r, const char *name, size_t len)
{
	const cJSON *v = NULL;
	size_t seg, i;

	if (r->nctx == 0)
		return NULL;
	if (len == 1 && name[0] == '.')
		return r->ctx[r->nctx - 1];
	for (seg = 0; seg < len && name[seg] != '.'; seg++)
		;
	for (i = r->nctx; i > 0; i--)
		if ((v = member(r->ctx[i - 1], name, seg)) != NULL)
			break;
	while (v != NULL && seg < len) {
		name += seg + 1;
		len -= seg + 1;
		for (seg = 0; seg < len && name[seg] != '.'; seg++)
			;
		v = member(v, name, seg);
	}
	return v;
}

static void
put_value(struct rnd *r, const cJSON *v, int escape)
{
	char num[64];
	const char *s;
	size_t n;

	if (v == NULL)
		return;
	if (cJSON_IsString(v) && v->valuestring != NULL) {
		s = v->valuestring;
	} else if (cJSON_IsNumber(v)) {
		fmt_number(v, num, sizeof(num));
		s = num;
	} else if (cJSON_IsTrue(v)) {
		s = "true";
	} else if (cJSON_IsFalse(v)) {
		s = "false";
	} else {
		return;
	}
	n = strlen(s);
	if (escape)
		ob_buf_put_html(r->out, s, n);
	else
		ob_buf_append(r->out, s, n);
}

/*
 * Emit the indentation for a template line whose leading blanks are
 * ws[0, n). mode 1: the line starts an output line (the whole chain
 * applies); mode 2: a block's content starts in the middle of an output
 * line (only the block's own intrinsic indentation is removed).
 */
static void
emit_prefix(struct rnd *r, const char *ws, size_t n, int mode)
{
	const struct ind *in;
	struct ob_buf *cur = &r->pa, *nxt = &r->pb, *tmp;
	const char *p;
	size_t m;

	in = r->ind;
	if (in == NULL) {
		ob_buf_append(r->out, ws, n);
		return;
	}
	if (mode == 2) {
		if (in->slen > 0 && n >= in->slen &&
		    memcmp(ws, in->strip, in->slen) == 0) {
			ws += in->slen;
			n -= in->slen;
		}
		ob_buf_append(r->out, ws, n);
		return;
	}
	ob_buf_reset(cur);
	ob_buf_append(cur, ws, n);
	for (; in != NULL; in = in->next) {
		p = cur->data;
		m = cur->len;
		if (in->slen > 0 && m >= in->slen &&
		    memcmp(p, in->strip, in->slen) == 0) {
			p += in->slen;
			m -= in->slen;
		}
		ob_buf_reset(nxt);
		ob_buf_append(nxt, in->add, in->alen);
		ob_buf_append(nxt, p, m);
		tmp = cur;
		cur = nxt;
		nxt = tmp;
	}
	ob_buf_append(r->out, cur->data, cur->len);
}

static int
static_bol(const struct tpl *t, size_t pos)
{
	return pos == 0 || t->src[pos - 1] == '\n';
}

/* The line-start mode for the next output: forced by a site, or static. */
static int
take_bol(struct rnd *r, int bol)
{
	if (r->force >= 0)
		bol = r->force;
	r->force = -1;
	return bol;
}

/* Before a tag: indentation if it starts a line and was not trimmed. */
static void
lead(struct rnd *r, const struct tpl *t, const struct tok *k)
{
	int bol = take_bol(r, static_bol(t, k->s));

	if (!(k->flags & F_TRIML) && bol == 1)
		emit_prefix(r, "", 0, 1);
}

static void
emit_text(struct rnd *r, const struct tpl *t, const struct tok *k)
{
	const char *s = t->src + k->s, *nl;
	size_t n = k->e - k->s, i = 0, w, end;
	int mode = take_bol(r, static_bol(t, k->s));

	if (r->ind == NULL) {
		ob_buf_append(r->out, s, n);
		return;
	}
	for (;;) {
		if (mode) {
			for (w = i; w < n && is_blank(s[w]); w++)
				;
			emit_prefix(r, s + i, w - i, mode);
			i = w;
		}
		if (i >= n)
			break;
		nl = memchr(s + i, '\n', n - i);
		end = nl == NULL ? n : (size_t)(nl - s) + 1;
		ob_buf_append(r->out, s + i, end - i);
		i = end;
		if (i >= n)
			break;
		mode = 1;
	}
}

static int render_range(struct rnd *, const struct tpl *, size_t, size_t);

static int
render_section(struct rnd *r, const struct tpl *t, size_t i)
{
	const struct tok *k = &t->tok[i];
	const cJSON *v, *it;
	int rc = 0;

	v = lookup(r, t->src + k->ns, k->nl);
	if (k->type == T_INVERTED) {
		if (falsey(v))
			rc = render_range(r, t, i + 1, k->match + 1);
		return rc;
	}
	if (falsey(v))
		return 0;
	if (r->nctx == OB_MUSTACHE_MAX_DEPTH + 1) {
		fail(r, "sections nested deeper than %d", OB_MUSTACHE_MAX_DEPTH);
		return -1;
	}
	if (!cJSON_IsArray(v)) {
		r->ctx[r->nctx++] = v;
		rc = render_range(r, t, i + 1, k->match + 1);
		r->nctx--;
		return rc;
	}
	for (it = v->child; it != NULL && rc == 0; it = it->next) {
		r->ctx[r->nctx++] = it;
		rc = render_range(r, t, i + 1, k->match + 1);
		r->nctx--;
	}
	return rc;
}

/* Render a partial ({{>x}}) or a parent ({{<x}}...{{/x}}) at token i. */
static int
render_partial(struct rnd *r, const struct tpl *t, size_t i)
{
	const struct tok *k = &t->tok[i];
	const struct ind *saved_ind = r->ind;
	const struct scope *saved_scope = r->scope;
	struct ind in;
	struct scope sc;
	struct tpl sub;
	const char *ptpl = NULL;
	size_t plen = 0;
	char perr[256];
	int rc = -1;

	memset(&sub, 0, sizeof(sub));
	lead(r, t, k);
	if (r->partial == NULL || r->partial(r->ud, t->src + k->ns, k->nl,
	    &ptpl, &plen) != 0)
		return 0;
	perr[0] = '\0';
	if (tpl_parse(&sub, ptpl, plen, perr, sizeof(perr)) == -1) {
		fail(r, "partial '%.*s': %s", (int)k->nl, t->src + k->ns, perr);
		goto out;
	}
	if (k->flags & F_ALONE) {
		in.strip = "";
		in.slen = 0;
		in.add = t->src + k->is;
		in.alen = k->il;
		in.next = r->ind;
		r->ind = &in;
	} else {
		r->ind = NULL;	/* an inline partial's lines stay as written */
	}
	if (k->type == T_PARENT) {
		sc.t = t;
		sc.tok = i;
		sc.next = r->scope;
		r->scope = &sc;
	}
	r->force = -1;
	rc = render_range(r, &sub, 0, sub.ntok);
out:
	r->ind = saved_ind;
	r->scope = saved_scope;
	r->force = -1;
	tpl_free(&sub);
	return rc;
}

/* The argument block named like token k among parent p's children. */
static size_t
find_arg(const struct tpl *pt, size_t p, const struct tpl *t,
    const struct tok *k)
{
	size_t j = p + 1, end = pt->tok[p].match;
	const struct tok *a;

	while (j < end) {
		a = &pt->tok[j];
		if (a->type == T_BLOCK && (a->flags & F_ARG) &&
		    name_eq(pt, a, t, k))
			return j;
		j = is_element(a->type) ? a->match + 1 : j + 1;
	}
	return NPOS;
}

/*
 * Render a parameter block at token i: the argument given by the outermost
 * parent that names it, else its own default content.
 */
static int
render_block(struct rnd *r, const struct tpl *t, size_t i)
{
	const struct tok *k = &t->tok[i], *ck;
	const struct tpl *ct = t;
	const struct scope *sc;
	const struct ind *saved = r->ind;
	struct ind in;
	size_t ci = i, j;
	int rc, bol;

	if (k->flags & F_ARG)	/* only rendered through its parent */
		return 0;
	for (sc = r->scope; sc != NULL; sc = sc->next) {
		if ((j = find_arg(sc->t, sc->tok, t, k)) != NPOS) {
			ct = sc->t;
			ci = j;
		}
	}
	ck = &ct->tok[ci];
	in.strip = ct->src + ck->xs;
	in.slen = ck->xl;
	in.next = r->ind;
	if (k->flags & F_ALONE) {
		(void)take_bol(r, 0);
		in.add = t->src + k->is;
		in.alen = k->il;
		r->ind = &in;
		r->force = 1;
	} else {
		bol = take_bol(r, static_bol(t, k->s));
		if (bol == 1)
			emit_prefix(r, "", 0, 1);
		in.add = "";
		in.alen = 0;
		if (in.slen > 0) {
			r->ind = &in;
			r->force = 2;
		}
	}
	rc = render_range(r, ct, ci + 1, ck->match + 1);
	r->ind = saved;
	r->force = -1;
	return rc;
}

/* Render tokens [a, b) of t. */
static int
render_range(struct rnd *r, const struct tpl *t, size_t a, size_t b)
{
	const struct tok *k;
	size_t i = a;

	if (++r->depth > OB_MUSTACHE_MAX_DEPTH) {
		fail(r, "sections/partials nested deeper than %d",
		    OB_MUSTACHE_MAX_DEPTH);
		goto out;
	}
	while (i < b && !r->failed) {
		k = &t->tok[i];
		if (++r->steps > MAX_STEPS) {
			fail(r, "template does more than %ld steps", MAX_STEPS);
			break;
		}
		switch (k->type) {
		case T_TEXT:
			if (k->e > k->s)
				emit_text(r, t, k);
			i++;
			break;
		case T_VAR:
		case T_RAW:
			lead(r, t, k);
			put_value(r, lookup(r, t->src + k->ns, k->nl),
			    k->type == T_VAR);
			i++;
			break;
		case T_SECTION:
		case T_INVERTED:
			lead(r, t, k);
			(void)render_section(r, t, i);
			i = k->match + 1;
			break;
		case T_PARTIAL:
			(void)render_partial(r, t, i);
			i++;
			break;
		case T_PARENT:
			(void)render_partial(r, t, i);
			i = k->match + 1;
			break;
		case T_BLOCK:
			(void)render_block(r, t, i);
			i = k->match + 1;
			break;
		case T_CLOSE:
		case T_COMMENT:
		case T_DELIM:
			lead(r, t, k);
			i++;
			break;
		}
		if (r->out->len - r->out_start > OB_MUSTACHE_MAX_OUT)
			fail(r, "output larger than %d bytes",
			    OB_MUSTACHE_MAX_OUT);
	}
out:
	r->depth--;
	return r->failed ? -1 : 0;
}

int
ob_mustache_render(const char *tpl, size_t tpl_len, const cJSON *data,
    ob_mustache_partial_fn partial, void *ud, struct ob_buf *out, char *err,
    size_t errlen)
{
	struct rnd *r;
	struct tpl t;
	int rc = -1;

	if (err != NULL && errlen > 0)
		err[0] = '\0';
	r = ob_xcalloc(1, sizeof(*r));
	r->partial = partial;
	r->ud = ud;
	r->out = out;
	r->out_start = out->len;
	r->force = -1;
	r->err = err;
	r->errlen = errlen;
	if (tpl_parse(&t, tpl, tpl_len, err, errlen) == -1)
		goto out;
	if (data != NULL)
		r->ctx[r->nctx++] = data;
	rc = render_range(r, &t, 0, t.ntok);
out:
	tpl_free(&t);
	ob_buf_free(&r->pa);
	ob_buf_free(&r->pb);
	free(r);
	return rc;
}

int
ob_mustache_check(const char *tpl, size_t tpl_len, char *err, size_t errlen)
{
	struct tpl t;
	int rc;

	if (err != NULL && errlen > 0)
		err[0] = '\0';
	rc = tpl_parse(&t, tpl, tpl_len, err, errlen);
	tpl_free(&t);
	return rc;
}
