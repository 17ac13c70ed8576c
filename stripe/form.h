/*
 * ob_stripe_form: Stripe's application/x-www-form-urlencoded request
 * encoding, byte for byte as the official stripe-node library produces it
 * (queryStringifyRequestData in the pinned `stripe` npm package):
 *
 *   {"a":"x y"}                      a=x%20y
 *   {"metadata":{"k":"v"}}           metadata[k]=v
 *   {"items":[{"price":"p"}]}        items[0][price]=p
 *   {"flag":true}                    flag=true
 *   {"description":null} or ""       description=        (unset a field)
 *   {"a":[]} / {"a":{}}              (nothing)
 *
 * Keys and values are percent-encoded like encodeURIComponent plus
 * ! * ' ( ) ; the square brackets stay literal. Object members are emitted
 * in JavaScript's Object.keys order: integer-like keys ("0".."4294967294")
 * ascending first, then the others in document order. Numbers that hold an
 * integer print as an integer; other numbers print in the shortest form
 * that reads back to the same double (money is always integral here).
 * tests/unit/data/stripe_form_vectors.json holds the reference outputs.
 */
#ifndef OB_STRIPE_FORM_H
#define OB_STRIPE_FORM_H

#include <stddef.h>

#include <cJSON.h>

#include "base/buf.h"

/* Deepest nesting of objects/arrays accepted below the top-level object. */
#define OB_STRIPE_FORM_MAX_DEPTH 32

/**
 * Append the form encoding of params to b (nothing is appended for NULL or
 * an empty object). params must be a cJSON object. Returns 0, or -1 when
 * params is not an object or nests deeper than OB_STRIPE_FORM_MAX_DEPTH; on
 * -1, b is left exactly as it was. The caller owns b and params.
 */
int ob_stripe_form_encode(struct ob_buf *b, const cJSON *params);

/**
 * Append s (len bytes) percent-encoded as the form encoder encodes one key
 * or value: A-Z a-z 0-9 - _ . ~ [ ] are kept, every other byte is %XX
 * (upper-case hex). Useful for ids placed in a request path.
 */
void ob_stripe_form_escape(struct ob_buf *b, const char *s, size_t len);

#endif
