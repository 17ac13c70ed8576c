/*
 * Dates as the console shows them: "Dec 28, 2026" in a <time datetime>
 * element whose title says the full time and the zone ("Dec 28, 2026,
 * 20:24 UTC"). The org's time zone is UTC today (docs/ARCHITECTURE.md).
 */
#ifndef OB_WHEN_H
#define OB_WHEN_H
#include <stddef.h>

#include <cJSON.h>

#define OB_WHEN_MAX 40

/**
 * iso ("2026-12-28T20:24:21Z", fractions of a second allowed, or a day
 * "2026-12-28") as "Dec 28, 2026" into out, with ", 20:24 UTC" when
 * with_time (" (UTC)" for a day). Returns out, or NULL (out empty) when
 * iso is not such a UTC time or day.
 */
const char *ob_when_format(char *out, size_t n, const char *iso, int with_time);

/**
 * How far iso (as ob_when_format takes it) is from now (seconds since
 * the epoch), in whole days: "today", "tomorrow", "yesterday", "in 28
 * days", "3 days ago". Returns out, or NULL (out empty) when iso is not a
 * UTC time or day.
 */
const char *ob_when_relative(char *out, size_t n, const char *iso, long long now);

/**
 * For every string member NAME of o and the objects and arrays inside it
 * that holds a UTC time or day: add NAME_on (the day), NAME_utc (the
 * full text) and NAME_rel (ob_when_relative from the clock) beside it,
 * unless o has them already. Page data, before rendering.
 */
void ob_when_decorate(cJSON *o);
#endif
