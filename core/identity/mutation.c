/*
 * What the identity mutations share (mutation.h).
 */
#include "identity/mutation.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

int
ob_mutation_slug_ok(const char *s)
{
	size_t i, n = strlen(s);

	if (n < 2 || n > 63 || !(islower((unsigned char)s[0]) || isdigit((unsigned char)s[0])))
		return 0;
	for (i = 0; i < n; i++)
		if (!(islower((unsigned char)s[i]) || isdigit((unsigned char)s[i]) || s[i] == '-'))
			return 0;
	return 1;
}

int
ob_mutation_email_ok(const char *s)
{
	const char *at;
	size_t i, n;

	if (s == NULL)
		return 0;
	n = strlen(s);
	if (n < 3 || n > 320)
		return 0;
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] <= 0x20 || s[i] == 0x7f)
			return 0;
	at = strchr(s, '@');
	return at != NULL && at != s && at[1] != '\0' && strchr(at + 1, '@') == NULL;
}

int
ob_mutation_text_ok(const char *s, size_t min, size_t max)
{
	size_t i, n;

	if (s == NULL)
		return min == 0;
	n = strlen(s);
	if (n < min || n > max)
		return 0;
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return 0;
	return 1;
}

int
ob_mutation_failed(const struct ob_actx *ax, const char *state, struct ob_fail *f,
    const char *conflict_code, const char *conflict_param, const char *conflict_msg)
{
	ob_db_rollback(ax->db);
	if (state != NULL && strcmp(state, "23505") == 0 && conflict_code != NULL)
		return ob_fail(f, OB_FAIL_CONFLICT, conflict_code, conflict_param, "%s", conflict_msg);
	if (state != NULL && strcmp(state, "23514") == 0)
		return ob_fail(f, OB_FAIL_INVALID, "invalid_value", NULL,
		    "A value is out of range.");
	return ob_fail_db(f, ax->db->lasterr);
}
