/* A small strict JSON (RFC 8259) parser producing a read-only tree, used for config.json
 * and the state files. Limits: nesting depth 128, input must be valid UTF-8 text. */
#ifndef BERTH_JSON_H
#define BERTH_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util.h"

enum json_type { JSON_NULL, JSON_BOOL, JSON_NUMBER, JSON_STRING, JSON_ARRAY, JSON_OBJECT };

struct json {
  enum json_type type;
  bool boolean;
  bool is_int;     /* number written without fraction/exponent and fits in int64 */
  int64_t integer; /* valid when is_int */
  double number;
  char *string;    /* NUL-terminated; embedded NULs are rejected */
  size_t len;      /* array/object element count */
  struct json *items;  /* array elements or object values */
  char **keys;         /* object keys, parallel to items */
};

/* Parses text; on error returns NULL and writes a message naming the byte offset to err. */
struct json *json_parse(const char *text, size_t len, char *err, size_t errlen);
void json_free(struct json *v);

/* Lookup helpers; all return NULL / the fallback when the value is missing or of another type. */
const struct json *json_get(const struct json *obj, const char *key);
const struct json *json_get_type(const struct json *obj, const char *key, enum json_type type);
const char *json_get_str(const struct json *obj, const char *key);
bool json_get_bool(const struct json *obj, const char *key, bool fallback);

/* Serializes a value (used to echo annotations back in `state`). */
void json_write(struct sbuf *sb, const struct json *v);

#endif
