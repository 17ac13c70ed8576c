/*
 * Stripe form encoding; see form.h for the rules and the reference.
 */
#include <float.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stripe/form.h"
#include "base/mem.h"
#include "base/num.h"

/* Characters encodeURIComponent leaves alone, minus !*'() which stripe-node
 * re-encodes, plus [ ] which it decodes again for readability. */
static int
form_keep(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' ||
	    c == '~' || c == '[' || c == ']';
}

void
ob_stripe_form_escape(struct ob_buf *b, const char *s, size_t len)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t i;
	char esc[3];

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (form_keep(c)) {
			ob_buf_putc(b, (char)c);
			continue;
		}
		esc[0] = '%';
		esc[1] = hex[c >> 4];
		esc[2] = hex[c & 0x0f];
		ob_buf_append(b, esc, 3);
	}
}

/*
 * Is key a JavaScript array index ("0", "7", "4294967294"; no sign, no
 * leading zero)? Such keys come first in Object.keys order. On yes, *idx
 * holds the value.
 */
static int
form_index_key(const char *key, unsigned long long *idx)
{
	unsigned long long v = 0;
	const char *p;

	if (key == NULL || key[0] == '\0')
		return 0;
	if (key[0] == '0')
		return key[1] == '\0' ? (*idx = 0, 1) : 0;
	for (p = key; *p != '\0'; p++) {
		if (*p < '0' || *p > '9' || p - key >= 10)
			return 0;
		v = v * 10 + (unsigned long long)(*p - '0');
	}
	if (v > 4294967294ULL)
		return 0;
	*idx = v;
	return 1;
}

/*
 * Append a number as JavaScript's String(n) (Number::toString) does: the
 * shortest digit string that reads back to the same double, in fixed
 * notation for decimal exponents -7 < n <= 21, exponential otherwise.
 */
static void
form_number(struct ob_buf *b, double v)
{
	char tmp[64], digits[24];
	int prec, k = 0, n, i;
	const char *p;

	if (v != v) {
		ob_buf_puts(b, "NaN");
		return;
	}
	if (v > DBL_MAX || v < -DBL_MAX) {
		ob_buf_puts(b, v < 0 ? "-Infinity" : "Infinity");
		return;
	}
	if (v == 0) {			/* also -0, which JS prints as "0" */
		ob_buf_putc(b, '0');
		return;
	}
	if (v > -9007199254740992.0 && v < 9007199254740992.0 &&
	    (double)(long long)v == v) {
		ob_buf_printf(b, "%lld", (long long)v);
		return;
	}
	if (v < 0) {
		ob_buf_putc(b, '-');
		v = -v;
	}
	for (prec = 1; prec <= 17; prec++) {
		snprintf(tmp, sizeof(tmp), "%.*e", prec - 1, v);
		if (strtod(tmp, NULL) == v)
			break;
	}
	/* tmp is "d[.ddd]e[+-]XX": collect the digits and the exponent. */
	for (p = tmp; *p != 'e' && *p != '\0'; p++)
		if (*p >= '0' && *p <= '9' && k < (int)sizeof(digits) - 1)
			digits[k++] = *p;
	digits[k] = '\0';
	while (k > 1 && digits[k - 1] == '0')
		digits[--k] = '\0';
	n = (*p == 'e' ? atoi(p + 1) : 0) + 1;	/* v = 0.digits x 10^n */
	if (k <= n && n <= 21) {
		ob_buf_puts(b, digits);
		for (i = k; i < n; i++)
			ob_buf_putc(b, '0');
	} else if (0 < n && n <= 21) {
		ob_buf_append(b, digits, (size_t)n);
		ob_buf_putc(b, '.');
		ob_buf_puts(b, digits + n);
	} else if (-6 < n && n <= 0) {
		ob_buf_puts(b, "0.");
		for (i = n; i < 0; i++)
			ob_buf_putc(b, '0');
		ob_buf_puts(b, digits);
	} else {
		ob_buf_putc(b, digits[0]);
		if (k > 1) {
			ob_buf_putc(b, '.');
			ob_buf_puts(b, digits + 1);
		}
		ob_buf_printf(b, "e%c%d", n - 1 < 0 ? '-' : '+',
		    n - 1 < 0 ? 1 - n : n - 1);
	}
}

static void
form_pair_start(struct ob_buf *b, const struct ob_buf *key, size_t *npairs)
{
	if ((*npairs)++ > 0)
		ob_buf_putc(b, '&');
	if (key->len > 0)
		ob_buf_append(b, key->data, key->len);
	ob_buf_putc(b, '=');
}

static int form_value(struct ob_buf *, struct ob_buf *, const cJSON *,
    int, size_t *);

/* Emit one member: key becomes key[name] (or name at the top level). */
static int
form_member(struct ob_buf *b, struct ob_buf *key, const char *name,
    const cJSON *v, int depth, size_t *npairs)
{
	size_t mark = key->len;
	int rc;

	if (depth > 0)
		ob_buf_putc(key, '[');
	ob_stripe_form_escape(key, name, strlen(name));
	if (depth > 0)
		ob_buf_putc(key, ']');
	rc = form_value(b, key, v, depth + 1, npairs);
	key->len = mark;
	if (key->data != NULL)
		key->data[mark] = '\0';
	return rc;
}

/* Members of an object in Object.keys order. */
static int
form_object(struct ob_buf *b, struct ob_buf *key, const cJSON *obj,
    int depth, size_t *npairs)
{
	const cJSON *c, *best;
	unsigned long long idx, last = 0, bestidx;
	int have_last = 0;

	/* Integer-like keys ascending: repeated selection, fine for the
	 * handful of members a Stripe request has. */
	for (;;) {
		best = NULL;
		bestidx = 0;
		for (c = obj->child; c != NULL; c = c->next) {
			if (!form_index_key(c->string, &idx))
				continue;
			if (have_last && idx <= last)
				continue;
			if (best == NULL || idx < bestidx) {
				best = c;
				bestidx = idx;
			}
		}
		if (best == NULL)
			break;
		if (form_member(b, key, best->string, best, depth, npairs) != 0)
			return -1;
		last = bestidx;
		have_last = 1;
	}
	for (c = obj->child; c != NULL; c = c->next) {
		if (c->string == NULL || form_index_key(c->string, &idx))
			continue;
		if (form_member(b, key, c->string, c, depth, npairs) != 0)
			return -1;
	}
	return 0;
}

static int
form_value(struct ob_buf *b, struct ob_buf *key, const cJSON *v, int depth,
    size_t *npairs)
{
	const cJSON *c;
	char name[24];
	int i = 0;

	if (depth > OB_STRIPE_FORM_MAX_DEPTH + 1)
		return -1;
	if (cJSON_IsObject(v))
		return form_object(b, key, v, depth, npairs);
	if (cJSON_IsArray(v)) {
		for (c = v->child; c != NULL; c = c->next, i++) {
			ob_num_str(name, sizeof(name), i);
			if (form_member(b, key, name, c, depth, npairs) != 0)
				return -1;
		}
		return 0;
	}
	if (cJSON_IsInvalid(v))
		return 0;		/* like undefined: skipped */
	form_pair_start(b, key, npairs);
	if (cJSON_IsTrue(v))
		ob_buf_puts(b, "true");
	else if (cJSON_IsFalse(v))
		ob_buf_puts(b, "false");
	else if (cJSON_IsNumber(v))
		form_number(b, v->valuedouble);
	else if ((cJSON_IsString(v) || cJSON_IsRaw(v)) && v->valuestring != NULL)
		ob_stripe_form_escape(b, v->valuestring, strlen(v->valuestring));
	/* null: nothing after '=' */
	return 0;
}

int
ob_stripe_form_encode(struct ob_buf *b, const cJSON *params)
{
	struct ob_buf key = OB_BUF_INIT;
	size_t mark = b->len, npairs = 0;
	int rc = -1;

	if (params == NULL)
		return 0;
	if (!cJSON_IsObject(params))
		goto out;
	if (form_object(b, &key, params, 0, &npairs) != 0) {
		b->len = mark;
		if (b->data != NULL)
			b->data[mark] = '\0';
		goto out;
	}
	rc = 0;
out:
	ob_buf_free(&key);
	return rc;
}
