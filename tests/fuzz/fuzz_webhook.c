/*
 * libFuzzer target: the Stripe-Signature header parser and verifier, and
 * the event envelope parser, on arbitrary bytes.
 *
 * Input layout: the first line is the Stripe-Signature header, the rest is
 * the body. `make fuzz` runs it briefly (make check does too); a long run
 * (with a working corpus of its own, so the seeds stay as checked in):
 * docs/RELIABILITY.md.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "stripe/event.h"
#include "stripe/webhook_sig.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *nl = memchr(data, '\n', size);
	size_t hlen = nl ? (size_t)(nl - (const char *)data) : size;
	char *header = malloc(hlen + 1);
	const char *body = nl ? nl + 1 : "";
	size_t blen = nl ? size - hlen - 1 : 0;
	struct ob_whsig_header h;
	struct ob_whevent ev;
	cJSON *root = NULL;

	memcpy(header, data, hlen);
	header[hlen] = '\0';
	(void)ob_whsig_parse(header, hlen, &h);
	(void)ob_whsig_verify(header, body, blen, "whsec_fuzz,whsec_other", 1795000000, 300);
	if (ob_whevent_parse(body, blen, &ev, &root) == 0) {
		/* What parsed must be within its bounds. */
		if (strlen(ev.id) >= sizeof(ev.id) || strncmp(ev.id, "evt_", 4) != 0)
			abort();
		cJSON_Delete(root);
	}
	free(header);
	return 0;
}
