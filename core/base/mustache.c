/*
 * ob_mustache: Mustache templates rendered against cJSON data. The parser
 * (mustache_parse.c) turns a template into tokens (mustache_tpl.h); this
 * file walks them.
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
#include "base/mustache_tpl.h"
#include "base/num.h"

#define MAX_STEPS	(16L * 1024 * 1024)	/* tokens visited per render */

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
		ob_num_str(buf, len, v->valueint);
		return;
	}
	if (d != d) {			/* NaN: not JSON */
		buf[0] = '\0';
		return;
	}
	if (d > -9007199254740992.0 && d < 9007199254740992.0 &&
	    (double)(long long)d == d) {
		ob_num_str(buf, len, (int64_t)d);
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
	if ((cJSON_IsString(v) || cJSON_IsRaw(v)) && v->valuestring != NULL) {
		s = v->valuestring;	/* raw: a 64-bit integer's digits (ob_json_add_i64) */
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
	if (ob_mustache_tpl_parse(&sub, ptpl, plen, perr, sizeof(perr)) == -1) {
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
	ob_mustache_tpl_free(&sub);
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
		    ob_mustache_name_eq(pt, a, t, k))
			return j;
		j = ob_mustache_is_element(a->type) ? a->match + 1 : j + 1;
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
	if (ob_mustache_tpl_parse(&t, tpl, tpl_len, err, errlen) == -1)
		goto out;
	if (data != NULL)
		r->ctx[r->nctx++] = data;
	rc = render_range(r, &t, 0, t.ntok);
out:
	ob_mustache_tpl_free(&t);
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
	rc = ob_mustache_tpl_parse(&t, tpl, tpl_len, err, errlen);
	ob_mustache_tpl_free(&t);
	return rc;
}