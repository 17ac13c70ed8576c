/*
 * Small JSON helpers on top of cJSON and ob_buf.
 */
#ifndef OB_JSON_H
#define OB_JSON_H

#include <stddef.h>
#include <stdint.h>

#include <cJSON.h>

#include "base/buf.h"

/** Append s as a quoted JSON string (control characters escaped). */
void ob_json_put_str(struct ob_buf *b, const char *s);

/** Same, for len bytes of s (which may hold no NUL). */
void ob_json_put_strn(struct ob_buf *b, const char *s, size_t len);

/**
 * Append the standard error body
 * {"error":{"type":…,"code":…,"message":…,"param":…}}; param may be NULL
 * (rendered as null).
 */
void ob_json_put_error(struct ob_buf *b, const char *type, const char *code,
    const char *message, const char *param);

/**
 * Add name: v as an exact JSON integer (written from the integer itself,
 * never through a double, so every int64 keeps its value).
 */
void ob_json_add_i64(cJSON *o, const char *name, int64_t v);

/**
 * The string member name of o, looked up by its exact name; NULL when o
 * is NULL or not an object, has no such member, or it is not a string.
 */
const char *ob_json_str(const cJSON *o, const char *name);

/** ob_json_str, or dflt where that is NULL. */
const char *ob_json_str_or(const cJSON *o, const char *name, const char *dflt);

/**
 * A member that Stripe may expand: a string (an id), or an object whose
 * "id" is a string; that id, or NULL for anything else.
 */
const char *ob_json_id(const cJSON *o, const char *name);

#endif
