/*
 * Invoice PDFs with libharu. See invoice_pdf.h.
 */
#include "invoices/invoice_pdf.h"

#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <hpdf.h>

#include "invoices/invoices.h"
#include "base/num.h"
#include "base/money.h"
#include "base/json.h"

#define PAGE_W	595.0f	/* A4, points */
#define PAGE_H	842.0f
#define MARGIN	50.0f

int
ob_invoice_pdf_available(void)
{
	/* Linked against libharu (Debian's libhpdf-dev): always there. */
	return 1;
}

void
ob_invoice_pdf_winansi(const char *src, char *dst, size_t n)
{
	const unsigned char *s = (const unsigned char *)src;
	size_t o = 0;

	if (n == 0)
		return;
	while (s != NULL && *s != '\0' && o + 1 < n) {
		if (*s < 0x20) {
			s++;
		} else if (*s < 0x80) {
			dst[o++] = (char)*s++;
		} else if ((s[0] & 0xe0) == 0xc0 && (s[1] & 0xc0) == 0x80) {
			unsigned cp = ((unsigned)(s[0] & 0x1f) << 6) | (s[1] & 0x3f);

			dst[o++] = cp >= 0xa0 && cp <= 0xff ? (char)cp : '?';
			s += 2;
		} else {
			/* Longer sequences (or broken ones): one '?' per character. */
			s++;
			while ((*s & 0xc0) == 0x80)
				s++;
			dst[o++] = '?';
		}
	}
	dst[o] = '\0';
}

/* src (UTF-8) cut to at most max characters, whole characters only, into dst of size n. */
static void
utf8_cut(const char *src, size_t max, char *dst, size_t n)
{
	size_t o = 0, chars = 0, len;

	while (src != NULL && src[o] != '\0' && chars < max) {
		len = 1;
		while ((src[o + len] & 0xc0) == 0x80)
			len++;
		if (o + len + 1 > n)
			break;
		o += len;
		chars++;
	}
	memcpy(dst, src, o);
	dst[o] = '\0';
}

/* The day of an RFC 3339 time ("2026-11-27T...") as "Nov 27, 2026"; "" when it is none. */
static const char *
day_text(char *out, size_t n, const char *iso)
{
	static const char *const months[12] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
		"Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	int y, m, d;

	out[0] = '\0';
	if (iso == NULL || sscanf(iso, "%4d-%2d-%2d", &y, &m, &d) != 3 || m < 1 || m > 12 ||
	    d < 1 || d > 31)
		return out;
	snprintf(out, n, "%s %d, %d", months[m - 1], d, y);
	return out;
}

struct pdf {
	HPDF_Doc doc;
	HPDF_Page page;
	HPDF_Font font, bold;
	float y;
	jmp_buf jb;
	char err[128];
};

static void
on_error(HPDF_STATUS error_no, HPDF_STATUS detail_no, void *user_data)
{
	struct pdf *p = user_data;

	snprintf(p->err, sizeof(p->err), "libharu error %04X (%u)", (unsigned)error_no,
	    (unsigned)detail_no);
	longjmp(p->jb, 1);
}

static void
new_page(struct pdf *p)
{
	p->page = HPDF_AddPage(p->doc);
	HPDF_Page_SetSize(p->page, HPDF_PAGE_SIZE_A4, HPDF_PAGE_PORTRAIT);
	p->y = PAGE_H - MARGIN;
}

/* Text at x on the current line; align: 0 left, 1 right (x is the right edge). */
static void
text(struct pdf *p, float x, int bold, float size, int align, const char *utf8)
{
	char buf[512];

	ob_invoice_pdf_winansi(utf8 ? utf8 : "", buf, sizeof(buf));
	HPDF_Page_BeginText(p->page);
	HPDF_Page_SetFontAndSize(p->page, bold ? p->bold : p->font, size);
	if (align == 1)
		x -= HPDF_Page_TextWidth(p->page, buf);
	HPDF_Page_TextOut(p->page, x, p->y, buf);
	HPDF_Page_EndText(p->page);
}

static void
line_break(struct pdf *p, float h)
{
	p->y -= h;
	if (p->y < MARGIN + 40) {
		new_page(p);
	}
}

static void
rule(struct pdf *p)
{
	HPDF_Page_SetLineWidth(p->page, 0.5f);
	HPDF_Page_MoveTo(p->page, MARGIN, p->y + 4);
	HPDF_Page_LineTo(p->page, PAGE_W - MARGIN, p->y + 4);
	HPDF_Page_Stroke(p->page);
}

/* "12.34 USD" for an integer member (the one formatter, base/money.h). */
static void
money(char *out, size_t n, const cJSON *o, const char *name, const char *currency)
{
	ob_money_format(out, n, ob_num_json_or(o, name, 0), currency, OB_MONEY_CODE);
}

/* Wrap s at about width characters into successive lines. */
static void
paragraph(struct pdf *p, const char *s, size_t width)
{
	char line[256];
	size_t len, cut;

	while (*s != '\0') {
		len = strcspn(s, "\n");
		cut = len;
		if (cut > width) {
			cut = width;
			while (cut > 0 && s[cut] != ' ')
				cut--;
			if (cut == 0)
				cut = width;
		}
		if (cut >= sizeof(line))
			cut = sizeof(line) - 1;
		memcpy(line, s, cut);
		line[cut] = '\0';
		text(p, MARGIN, 0, 9, 0, line);
		line_break(p, 12);
		s += cut;
		while (*s == ' ' || *s == '\n')
			s++;
	}
}

/* s as one line of 10-point text at the margin; nothing when s is empty. */
static void
head_line(struct pdf *p, const char *s)
{
	if (*s == '\0')
		return;
	text(p, MARGIN, 0, 10, 0, s);
	line_break(p, 13);
}

/* The title, and the org's name, address, e-mail, tax id and PO number (d may be NULL). */
static void
render_head(struct pdf *p, const cJSON *inv, const cJSON *d)
{
	const char *number = ob_json_str_or(inv, "number", "");
	const char *city, *postal, *tax, *po;
	const cJSON *a;
	char buf[256];

	snprintf(buf, sizeof(buf), "Invoice %s",
	    *number ? number : ob_json_str_or(inv, "stripe_invoice_id", ""));
	text(p, MARGIN, 1, 20, 0, buf);
	snprintf(buf, sizeof(buf), "Status: %s", ob_json_str_or(inv, "status", ""));
	text(p, PAGE_W - MARGIN, 0, 10, 1, buf);
	line_break(p, 26);
	if (d == NULL)
		return;
	text(p, MARGIN, 0, 9, 0, "Bill to");
	line_break(p, 13);
	text(p, MARGIN, 1, 11, 0, ob_json_str_or(d, "org_name", ""));
	line_break(p, 14);
	a = cJSON_GetObjectItemCaseSensitive(d, "address");
	head_line(p, ob_json_str_or(a, "line1", ""));
	head_line(p, ob_json_str_or(a, "line2", ""));
	city = ob_json_str_or(a, "city", "");
	postal = ob_json_str_or(a, "postal_code", "");
	if (*city || *postal) {
		snprintf(buf, sizeof(buf), "%s %s %s %s", postal, city,
		    ob_json_str_or(a, "state", ""), ob_json_str_or(a, "country", ""));
		head_line(p, buf);
	}
	head_line(p, ob_json_str_or(d, "email", ""));
	if (*(tax = ob_json_str_or(d, "tax_id", ""))) {
		snprintf(buf, sizeof(buf), "Tax ID: %s", tax);
		head_line(p, buf);
	}
	if (*(po = ob_json_str_or(d, "po_number", ""))) {
		snprintf(buf, sizeof(buf), "PO number: %s", po);
		head_line(p, buf);
	}
}

/* Issued, period, due and paid dates ("Nov 27, 2026", UTC). */
static void
render_dates(struct pdf *p, const cJSON *inv)
{
	char buf[256], a[32], b[32];

	line_break(p, 8);
	snprintf(buf, sizeof(buf), "Issued: %s",
	    day_text(a, sizeof(a), ob_json_str_or(inv, "created", "")));
	text(p, MARGIN, 0, 10, 0, buf);
	if (*ob_json_str_or(inv, "period_start", "")) {
		snprintf(buf, sizeof(buf), "Period: %s to %s",
		    day_text(a, sizeof(a), ob_json_str_or(inv, "period_start", "")),
		    day_text(b, sizeof(b), ob_json_str_or(inv, "period_end", "")));
		text(p, 250, 0, 10, 0, buf);
	}
	line_break(p, 13);
	if (*ob_json_str_or(inv, "due_date", "")) {
		snprintf(buf, sizeof(buf), "Due: %s",
		    day_text(a, sizeof(a), ob_json_str_or(inv, "due_date", "")));
		text(p, MARGIN, 0, 10, 0, buf);
		line_break(p, 13);
	}
	if (*ob_json_str_or(inv, "paid_at", "")) {
		snprintf(buf, sizeof(buf), "Paid: %s",
		    day_text(a, sizeof(a), ob_json_str_or(inv, "paid_at", "")));
		text(p, MARGIN, 0, 10, 0, buf);
		line_break(p, 13);
	}
	text(p, MARGIN, 0, 8, 0, "Dates are in UTC.");
	line_break(p, 11);
}

/* The lines' table: description, quantity, unit price, amount. */
static void
render_lines(struct pdf *p, const cJSON *inv, const char *cur)
{
	const cJSON *lines = cJSON_GetObjectItemCaseSensitive(inv, "lines"), *l;
	char buf[256], m[64];
	int64_t q, u;

	line_break(p, 14);
	text(p, MARGIN, 1, 10, 0, "Description");
	text(p, 360, 1, 10, 1, "Qty");
	text(p, 450, 1, 10, 1, "Unit price");
	text(p, PAGE_W - MARGIN, 1, 10, 1, "Amount");
	line_break(p, 6);
	rule(p);
	line_break(p, 12);
	cJSON_ArrayForEach(l, lines) {
		char desc[256];

		utf8_cut(ob_json_str_or(l, "description", ""), 60, desc, sizeof(desc));
		text(p, MARGIN, 0, 9, 0, desc);
		if (ob_num_json_get(l, "quantity", &q) == 0) {
			ob_num_str(buf, sizeof(buf), q);
			text(p, 360, 0, 9, 1, buf);
		}
		if (ob_num_json_get(l, "unit_amount", &u) == 0) {
			money(m, sizeof(m), l, "unit_amount", cur);
			text(p, 450, 0, 9, 1, m);
		}
		money(m, sizeof(m), l, "amount", cur);
		text(p, PAGE_W - MARGIN, 0, 9, 1, m);
		line_break(p, 13);
	}
	rule(p);
	line_break(p, 10);
}

/* Subtotal, tax, total, paid and remaining; then the invoice notes (d may be NULL). */
static void
render_totals(struct pdf *p, const cJSON *inv, const cJSON *d, const char *cur)
{
	static const char *const labels[5] = { "Subtotal", "Tax", "Total", "Amount paid",
		"Amount remaining" };
	static const char *const keys[5] = { "subtotal", "tax", "total", "amount_paid",
		"amount_remaining" };
	char m[64];
	int i;

	for (i = 0; i < 5; i++) {
		money(m, sizeof(m), inv, keys[i], cur);
		text(p, 450, i == 2, 10, 1, labels[i]);
		text(p, PAGE_W - MARGIN, i == 2, 10, 1, m);
		line_break(p, 14);
	}
	if (d != NULL && *ob_json_str_or(d, "invoice_notes", "")) {
		line_break(p, 10);
		text(p, MARGIN, 1, 10, 0, "Notes");
		line_break(p, 13);
		paragraph(p, ob_json_str_or(d, "invoice_notes", ""), 95);
	}
}

static void
render(struct pdf *p, const cJSON *inv, const cJSON *d)
{
	const char *cur = ob_json_str_or(inv, "currency", "");

	p->font = HPDF_GetFont(p->doc, "Helvetica", "WinAnsiEncoding");
	p->bold = HPDF_GetFont(p->doc, "Helvetica-Bold", "WinAnsiEncoding");
	new_page(p);
	render_head(p, inv, d);
	render_dates(p, inv);
	render_lines(p, inv, cur);
	render_totals(p, inv, d, cur);
}

int
ob_invoice_pdf_render(const cJSON *invoice, const cJSON *details, struct ob_buf *out,
    char *err, size_t errlen)
{
	struct pdf p;
	HPDF_UINT32 size, got;
	unsigned char chunk[8192];
	volatile int rc = -1;

	if (!ob_invoice_pdf_available())
		return 1;
	memset(&p, 0, sizeof(p));
	p.doc = HPDF_New(on_error, &p);
	if (p.doc == NULL) {
		snprintf(err, errlen, "libharu: cannot create a document");
		return -1;
	}
	if (setjmp(p.jb) != 0) {
		snprintf(err, errlen, "%s", p.err);
		goto out;
	}
	HPDF_SetCompressionMode(p.doc, HPDF_COMP_ALL);
	HPDF_SetInfoAttr(p.doc, HPDF_INFO_CREATOR, "orgbill");
	render(&p, invoice, details);
	HPDF_SaveToStream(p.doc);
	size = HPDF_GetStreamSize(p.doc);
	while (size > 0) {
		got = size < sizeof(chunk) ? size : (HPDF_UINT32)sizeof(chunk);
		HPDF_ReadFromStream(p.doc, chunk, &got);
		if (got == 0)
			break;
		ob_buf_append(out, chunk, got);
		size -= got;
	}
	rc = 0;
out:
	HPDF_Free(p.doc);
	return rc;
}
