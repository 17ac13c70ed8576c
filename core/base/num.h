/*
 * ob_num: the one way to read and print integers.
 *
 * Every integer taken from outside (a request body, a query string, a
 * Stripe object, a setting) goes through ob_num_parse or ob_num_json:
 * 64-bit, strict (no sign games, no fractions, no exponents, no trailing
 * text), and bounded by the caller. Never cJSON's valueint, which is 32-bit
 * and saturates.
 */
#ifndef OB_NUM_H
#define OB_NUM_H

#include <stddef.h>
#include <stdint.h>

#include <cJSON.h>

/* JSON numbers are IEEE doubles: integers are exact up to 2^53 only. */
#define OB_NUM_JSON_MAX 9007199254740992LL

/**
 * Parse a strict decimal: an optional '-', then 1 to 19 digits, nothing
 * else (no '+', no spaces, no fraction). Returns 0
 * with *out set when the value is within [min, max], else -1 (*out
 * untouched).
 */
int ob_num_parse(const char *s, int64_t min, int64_t max, int64_t *out);

/**
 * An integer from a JSON value: a number with no fraction within
 * ±OB_NUM_JSON_MAX, or a string (or a raw value, as our own objects carry
 * exact integers) that ob_num_parse accepts, so values beyond 2^53 can
 * travel as strings. Within [min, max]. 0 or -1 (absent, wrong type,
 * fractional, out of range).
 */
int ob_num_json(const cJSON *item, int64_t min, int64_t max, int64_t *out);

/** ob_num_json on member name of obj (-1 if obj is not an object). */
int ob_num_json_member(const cJSON *obj, const char *name, int64_t min, int64_t max,
    int64_t *out);

/** ob_num_json_member over the whole int64 range: any exact integer member. */
int ob_num_json_get(const cJSON *obj, const char *name, int64_t *out);

/** The member as ob_num_json_get reads it, or dflt when it has none (or not an integer). */
int64_t ob_num_json_or(const cJSON *obj, const char *name, int64_t dflt);

/**
 * A positive id from text (a route parameter, a form field): decimal
 * digits, no leading zero, within int64. The id, or 0 for anything else.
 */
int64_t ob_num_id(const char *s);

/**
 * Print v in decimal into buf (n >= 21 always suffices) and return buf,
 * so it can stand in a parameter list: params[0] = ob_num_str(b, sizeof b, id).
 */
const char *ob_num_str(char *buf, size_t n, int64_t v);

/**
 * Checked arithmetic: *out = a * b (or a + b). Returns 0, or -1 when the
 * result does not fit in int64_t (*out untouched).
 */
int ob_num_mul(int64_t a, int64_t b, int64_t *out);
int ob_num_add(int64_t a, int64_t b, int64_t *out);

#endif
