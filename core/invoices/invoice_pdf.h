/*
 * ob_invoice_pdf: our own PDF of an invoice (libharu), for invoices Stripe
 * has no PDF for: the org's name and address, tax id and PO number, the
 * lines with quantities and unit prices, subtotal, tax, total, paid and
 * due, and the invoice notes.
 *
 * libharu comes from Debian's libhpdf-dev and is linked in (-lhpdf).
 */
#ifndef OB_INVOICE_PDF_H
#define OB_INVOICE_PDF_H

#include <stddef.h>

#include <cJSON.h>

#include "base/buf.h"

/** True when PDFs can be rendered (libharu is linked in: always). */
int ob_invoice_pdf_available(void);

/**
 * Render invoice (ob_invoices_get's object, with "lines") and details
 * (ob_invoices_details_get's object, may be NULL) as a one- or multi-page
 * A4 PDF appended to out. Returns 0, 1 when libharu is not linked in, or
 * -1 with err set.
 */
int ob_invoice_pdf_render(const cJSON *invoice, const cJSON *details, struct ob_buf *out,
    char *err, size_t errlen);

/**
 * Convert UTF-8 src to WinAnsi (Latin-1 range kept, other characters '?',
 * control characters dropped) into dst of size n. For the PDF's standard
 * fonts; exposed for the unit tests.
 */
void ob_invoice_pdf_winansi(const char *src, char *dst, size_t n);

#endif
