#include "json.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 128

struct parser {
  const char *p, *start, *end;
  char *err;
  size_t errlen;
  bool failed;
};

static void fail(struct parser *ps, const char *what) {
  if (ps->failed) return;
  ps->failed = true;
  snprintf(ps->err, ps->errlen, "%s at byte %zu", what, (size_t)(ps->p - ps->start));
}

static void skip_ws(struct parser *ps) {
  while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r')) ps->p++;
}

static int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

static bool read_hex4(struct parser *ps, unsigned *out) {
  if (ps->end - ps->p < 4) return false;
  unsigned v = 0;
  for (int i = 0; i < 4; i++) {
    int h = hexval(ps->p[i]);
    if (h < 0) return false;
    v = v * 16 + (unsigned)h;
  }
  ps->p += 4;
  *out = v;
  return true;
}

static size_t put_utf8(char *out, unsigned cp) {
  if (cp < 0x80) {
    out[0] = (char)cp;
    return 1;
  } else if (cp < 0x800) {
    out[0] = (char)(0xC0 | (cp >> 6));
    out[1] = (char)(0x80 | (cp & 0x3F));
    return 2;
  } else if (cp < 0x10000) {
    out[0] = (char)(0xE0 | (cp >> 12));
    out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[2] = (char)(0x80 | (cp & 0x3F));
    return 3;
  }
  out[0] = (char)(0xF0 | (cp >> 18));
  out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
  out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
  out[3] = (char)(0x80 | (cp & 0x3F));
  return 4;
}

/* Parses a string starting at the opening quote. The decoded form is never longer than the
 * escaped form, so one allocation of the raw length suffices. */
static char *parse_string(struct parser *ps) {
  ps->p++; /* opening quote */
  const char *q = ps->p;
  while (q < ps->end && *q != '"') {
    if (*q == '\\') q++;
    q++;
  }
  if (q >= ps->end) {
    fail(ps, "unterminated string");
    return NULL;
  }
  char *out = malloc((size_t)(q - ps->p) + 1);
  if (!out) {
    fail(ps, "out of memory");
    return NULL;
  }
  size_t n = 0;
  while (*ps->p != '"') {
    unsigned char c = (unsigned char)*ps->p;
    if (c < 0x20) {
      fail(ps, "control character in string");
      goto err;
    }
    if (c != '\\') {
      out[n++] = (char)c;
      ps->p++;
      continue;
    }
    ps->p++;
    char e = *ps->p++;
    switch (e) {
      case '"': out[n++] = '"'; break;
      case '\\': out[n++] = '\\'; break;
      case '/': out[n++] = '/'; break;
      case 'b': out[n++] = '\b'; break;
      case 'f': out[n++] = '\f'; break;
      case 'n': out[n++] = '\n'; break;
      case 'r': out[n++] = '\r'; break;
      case 't': out[n++] = '\t'; break;
      case 'u': {
        unsigned cp;
        if (!read_hex4(ps, &cp)) {
          fail(ps, "bad \\u escape");
          goto err;
        }
        if (cp >= 0xD800 && cp <= 0xDBFF) {
          unsigned lo;
          if (ps->end - ps->p < 6 || ps->p[0] != '\\' || ps->p[1] != 'u') {
            fail(ps, "unpaired surrogate");
            goto err;
          }
          ps->p += 2;
          if (!read_hex4(ps, &lo) || lo < 0xDC00 || lo > 0xDFFF) {
            fail(ps, "bad surrogate pair");
            goto err;
          }
          cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
        } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
          fail(ps, "unpaired surrogate");
          goto err;
        }
        if (cp == 0) {
          fail(ps, "NUL in string");
          goto err;
        }
        /* \uXXXX is 6 bytes and encodes to at most 3; a pair is 12 bytes for 4. */
        n += put_utf8(out + n, cp);
        break;
      }
      default:
        fail(ps, "bad escape");
        goto err;
    }
  }
  ps->p++; /* closing quote */
  out[n] = 0;
  return out;
err:
  free(out);
  return NULL;
}

static bool parse_value(struct parser *ps, struct json *v, int depth);

static bool parse_number(struct parser *ps, struct json *v) {
  const char *s = ps->p;
  bool integral = true;
  if (ps->p < ps->end && *ps->p == '-') ps->p++;
  if (ps->p >= ps->end) goto bad;
  if (*ps->p == '0') {
    ps->p++;
  } else if (*ps->p >= '1' && *ps->p <= '9') {
    while (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9') ps->p++;
  } else {
    goto bad;
  }
  if (ps->p < ps->end && *ps->p == '.') {
    integral = false;
    ps->p++;
    if (ps->p >= ps->end || *ps->p < '0' || *ps->p > '9') goto bad;
    while (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9') ps->p++;
  }
  if (ps->p < ps->end && (*ps->p == 'e' || *ps->p == 'E')) {
    integral = false;
    ps->p++;
    if (ps->p < ps->end && (*ps->p == '+' || *ps->p == '-')) ps->p++;
    if (ps->p >= ps->end || *ps->p < '0' || *ps->p > '9') goto bad;
    while (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9') ps->p++;
  }
  char buf[64];
  size_t len = (size_t)(ps->p - s);
  if (len >= sizeof buf) goto bad;
  memcpy(buf, s, len);
  buf[len] = 0;
  v->type = JSON_NUMBER;
  v->number = strtod(buf, NULL);
  if (integral) {
    errno = 0;
    long long i = strtoll(buf, NULL, 10);
    if (errno == 0) {
      v->is_int = true;
      v->integer = i;
    }
  }
  return true;
bad:
  fail(ps, "invalid number");
  return false;
}

static bool parse_container(struct parser *ps, struct json *v, int depth, bool is_obj) {
  char close = is_obj ? '}' : ']';
  size_t cap = 0;
  v->type = is_obj ? JSON_OBJECT : JSON_ARRAY;
  ps->p++;
  skip_ws(ps);
  if (ps->p < ps->end && *ps->p == close) {
    ps->p++;
    return true;
  }
  for (;;) {
    if (v->len == cap) {
      cap = cap ? cap * 2 : 4;
      struct json *items = realloc(v->items, cap * sizeof *items);
      if (!items) {
        fail(ps, "out of memory");
        return false;
      }
      v->items = items;
      if (is_obj) {
        char **keys = realloc(v->keys, cap * sizeof *keys);
        if (!keys) {
          fail(ps, "out of memory");
          return false;
        }
        v->keys = keys;
      }
    }
    skip_ws(ps);
    if (is_obj) {
      if (ps->p >= ps->end || *ps->p != '"') {
        fail(ps, "expected object key");
        return false;
      }
      char *key = parse_string(ps);
      if (!key) return false;
      v->keys[v->len] = key;
      skip_ws(ps);
      if (ps->p >= ps->end || *ps->p != ':') {
        v->items[v->len].type = JSON_NULL; /* keep the tree freeable */
        memset(&v->items[v->len], 0, sizeof v->items[0]);
        v->len++;
        fail(ps, "expected ':'");
        return false;
      }
      ps->p++;
    }
    struct json *item = &v->items[v->len];
    memset(item, 0, sizeof *item);
    v->len++;
    if (!parse_value(ps, item, depth + 1)) return false;
    skip_ws(ps);
    if (ps->p < ps->end && *ps->p == ',') {
      ps->p++;
      continue;
    }
    if (ps->p < ps->end && *ps->p == close) {
      ps->p++;
      return true;
    }
    fail(ps, is_obj ? "expected ',' or '}'" : "expected ',' or ']'");
    return false;
  }
}

static bool literal(struct parser *ps, const char *word) {
  size_t n = strlen(word);
  if ((size_t)(ps->end - ps->p) < n || memcmp(ps->p, word, n) != 0) {
    fail(ps, "invalid literal");
    return false;
  }
  ps->p += n;
  return true;
}

static bool parse_value(struct parser *ps, struct json *v, int depth) {
  if (depth > MAX_DEPTH) {
    fail(ps, "nesting too deep");
    return false;
  }
  skip_ws(ps);
  if (ps->p >= ps->end) {
    fail(ps, "unexpected end of input");
    return false;
  }
  switch (*ps->p) {
    case '{': return parse_container(ps, v, depth, true);
    case '[': return parse_container(ps, v, depth, false);
    case '"':
      v->type = JSON_STRING;
      v->string = parse_string(ps);
      return v->string != NULL;
    case 't': v->type = JSON_BOOL; v->boolean = true; return literal(ps, "true");
    case 'f': v->type = JSON_BOOL; v->boolean = false; return literal(ps, "false");
    case 'n': v->type = JSON_NULL; return literal(ps, "null");
    default: return parse_number(ps, v);
  }
}

static void free_inner(struct json *v) {
  if (v->type == JSON_STRING) free(v->string);
  if (v->type == JSON_ARRAY || v->type == JSON_OBJECT) {
    for (size_t i = 0; i < v->len; i++) {
      free_inner(&v->items[i]);
      if (v->keys) free(v->keys[i]);
    }
    free(v->items);
    free(v->keys);
  }
}

void json_free(struct json *v) {
  if (!v) return;
  free_inner(v);
  free(v);
}

struct json *json_parse(const char *text, size_t len, char *err, size_t errlen) {
  struct parser ps = {.p = text, .start = text, .end = text + len, .err = err, .errlen = errlen};
  struct json *v = calloc(1, sizeof *v);
  if (!v) {
    snprintf(err, errlen, "out of memory");
    return NULL;
  }
  if (memchr(text, 0, len)) {
    ps.p = memchr(text, 0, len);
    fail(&ps, "NUL byte in input");
  } else if (parse_value(&ps, v, 0)) {
    skip_ws(&ps);
    if (ps.p != ps.end) fail(&ps, "trailing characters after JSON value");
  }
  if (ps.failed) {
    json_free(v);
    return NULL;
  }
  return v;
}

const struct json *json_get(const struct json *obj, const char *key) {
  if (!obj || obj->type != JSON_OBJECT) return NULL;
  /* Last duplicate wins, like most JSON decoders. */
  for (size_t i = obj->len; i-- > 0;)
    if (strcmp(obj->keys[i], key) == 0) return &obj->items[i];
  return NULL;
}

const struct json *json_get_type(const struct json *obj, const char *key, enum json_type type) {
  const struct json *v = json_get(obj, key);
  return v && v->type == type ? v : NULL;
}

const char *json_get_str(const struct json *obj, const char *key) {
  const struct json *v = json_get_type(obj, key, JSON_STRING);
  return v ? v->string : NULL;
}

bool json_get_bool(const struct json *obj, const char *key, bool fallback) {
  const struct json *v = json_get_type(obj, key, JSON_BOOL);
  return v ? v->boolean : fallback;
}

void json_write(struct sbuf *sb, const struct json *v) {
  switch (v->type) {
    case JSON_NULL: sb_puts(sb, "null"); break;
    case JSON_BOOL: sb_puts(sb, v->boolean ? "true" : "false"); break;
    case JSON_NUMBER:
      if (v->is_int) sb_printf(sb, "%lld", (long long)v->integer);
      else if (isfinite(v->number)) sb_printf(sb, "%.17g", v->number);
      else sb_puts(sb, "null");
      break;
    case JSON_STRING: sb_json_string(sb, v->string); break;
    case JSON_ARRAY:
    case JSON_OBJECT:
      sb_puts(sb, v->type == JSON_ARRAY ? "[" : "{");
      for (size_t i = 0; i < v->len; i++) {
        if (i) sb_puts(sb, ",");
        if (v->type == JSON_OBJECT) {
          sb_json_string(sb, v->keys[i]);
          sb_puts(sb, ":");
        }
        json_write(sb, &v->items[i]);
      }
      sb_puts(sb, v->type == JSON_ARRAY ? "]" : "}");
      break;
  }
}
