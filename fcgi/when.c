/*
 * Dates for the console (when.h).
 */
#include "fcgi/when.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

static const char *const months[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul",
	"Aug", "Sep", "Oct", "Nov", "Dec" };

/* n digits at s as a number, or -1. */
static int
digits(const char *s, int n)
{
	int v = 0, i;

	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

/* The time part after the day: "THH:MM:SS[.fff]Z"; 0 with hour and minute, else -1. */
static int
clock_part(const char *s, int *hh, int *mm)
{
	if (s[0] != 'T' || s[3] != ':' || s[6] != ':')
		return -1;
	*hh = digits(s + 1, 2);
	*mm = digits(s + 4, 2);
	if (*hh < 0 || *hh > 23 || *mm < 0 || *mm > 59 || digits(s + 7, 2) < 0)
		return -1;
	s += 9;
	if (*s == '.') {
		for (s++; *s >= '0' && *s <= '9'; s++)
			;
	}
	return strcmp(s, "Z") == 0 ? 0 : -1;
}

const char *
ob_when_format(char *out, size_t n, const char *iso, int with_time)
{
	int y, mo, d, hh = -1, mm = -1;

	if (n > 0)
		out[0] = '\0';
	if (iso == NULL || strlen(iso) < 10 || iso[4] != '-' || iso[7] != '-')
		return NULL;
	y = digits(iso, 4);
	mo = digits(iso + 5, 2);
	d = digits(iso + 8, 2);
	if (y < 0 || mo < 1 || mo > 12 || d < 1 || d > 31)
		return NULL;
	if (iso[10] != '\0' && clock_part(iso + 10, &hh, &mm) != 0)
		return NULL;
	if (!with_time)
		snprintf(out, n, "%s %d, %04d", months[mo - 1], d, y);
	else if (hh < 0)
		snprintf(out, n, "%s %d, %04d (UTC)", months[mo - 1], d, y);
	else
		snprintf(out, n, "%s %d, %04d, %02d:%02d UTC", months[mo - 1], d, y, hh, mm);
	return out;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil). */
static long long
days_from_civil(int y, int m, int d)
{
	long long era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

const char *
ob_when_relative(char *out, size_t n, const char *iso, long long now)
{
	char day[OB_WHEN_MAX];
	long long diff;

	if (ob_when_format(day, sizeof(day), iso, 0) == NULL) {
		if (n > 0)
			out[0] = '\0';
		return NULL;
	}
	/* Calendar days in UTC between today and the day iso names. */
	diff = days_from_civil(digits(iso, 4), digits(iso + 5, 2), digits(iso + 8, 2)) -
	    (now >= 0 ? now / 86400 : (now - 86399) / 86400);
	if (diff == 0)
		snprintf(out, n, "today");
	else if (diff == 1)
		snprintf(out, n, "tomorrow");
	else if (diff == -1)
		snprintf(out, n, "yesterday");
	else if (diff > 0)
		snprintf(out, n, "in %lld days", diff);
	else
		snprintf(out, n, "%lld days ago", -diff);
	return out;
}

/* Add name+suffix = text to o unless o has it. */
static void
add_once(cJSON *o, const char *name, const char *suffix, const char *text)
{
	char key[128];

	snprintf(key, sizeof(key), "%s%s", name, suffix);
	if (cJSON_GetObjectItemCaseSensitive(o, key) == NULL)
		cJSON_AddStringToObject(o, key, text);
}

void
ob_when_decorate(cJSON *o)
{
	char day[OB_WHEN_MAX], full[OB_WHEN_MAX], rel[OB_WHEN_MAX];
	long long now = (long long)time(NULL);
	cJSON *it, *last;

	if (!cJSON_IsObject(o) && !cJSON_IsArray(o))
		return;
	/* Members added here go after the last one seen now: stop there. */
	for (last = o->child; last != NULL && last->next != NULL; last = last->next)
		;
	for (it = o->child; it != NULL; it = it == last ? NULL : it->next) {
		if (cJSON_IsObject(it) || cJSON_IsArray(it))
			ob_when_decorate(it);
		else if (cJSON_IsObject(o) && cJSON_IsString(it) && it->string != NULL &&
		    ob_when_format(day, sizeof(day), it->valuestring, 0) != NULL) {
			ob_when_format(full, sizeof(full), it->valuestring, 1);
			ob_when_relative(rel, sizeof(rel), it->valuestring, now);
			add_once(o, it->string, "_on", day);
			add_once(o, it->string, "_utc", full);
			add_once(o, it->string, "_rel", rel);
		}
	}
}
