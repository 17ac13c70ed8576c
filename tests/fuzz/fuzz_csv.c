/*
 * libFuzzer target: the two bulk imports, the seat (license) CSV
 * (ob_seats_csv_parse, core/billing/seats.c) and the allocation lines
 * "email, limit" (ob_credits_bulk_line, core/credits/credits_admin.c, as
 * ob_credits_allocate_bulk walks them).
 *
 * Input: the text (up to the first NUL, as a form field or JSON string
 * holds it). A seat row must carry a line number within the text, an
 * e-mail of at most 320 bytes; an allocation line a limit in 0..10^12 and
 * an e-mail with '@'. Every error entry names its line.
 */
#include "fuzz.h"

#include <cJSON.h>

#include "billing/seats.h"
#include "credits/credits.h"

static void
seats(const char *text)
{
	struct ob_seat_row *rows = NULL;
	cJSON *errors = cJSON_CreateArray(), *e;
	int i, n = ob_seats_csv_parse(text, &rows, errors), lines = 1;
	const char *c;

	for (c = text; *c != '\0'; c++)
		lines += *c == '\n';
	if (n > OB_SEATS_ROWS_MAX || (n >= 0 && rows == NULL))
		abort();
	for (i = 0; i < n; i++)
		if (rows[i].line < 1 || rows[i].line > lines || strlen(rows[i].email) > 320 ||
		    rows[i].email[0] == '\0' || (rows[i].assign != 0 && rows[i].assign != 1))
			abort();
	cJSON_ArrayForEach(e, errors)
		if (cJSON_GetObjectItemCaseSensitive(e, "line") == NULL)
			abort();
	free(rows);
	cJSON_Delete(errors);
}

static void
allocations(const char *text)
{
	const char *p = text, *nl;
	char email[321];
	int64_t limit;
	int k;

	while (*p != '\0') {
		nl = strchr(p, '\n');
		if (nl == NULL)
			nl = p + strlen(p);
		limit = -1;
		k = ob_credits_bulk_line(p, (size_t)(nl - p), email, sizeof(email), &limit);
		if (k == 1 && (limit < 0 || limit > OB_CREDITS_AMOUNT_MAX ||
		    strchr(email, '@') == NULL || strlen(email) >= sizeof(email)))
			abort();
		p = *nl == '\n' ? nl + 1 : nl;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_strndup(data, size);

	seats(text);
	allocations(text);
	free(text);
	return 0;
}
