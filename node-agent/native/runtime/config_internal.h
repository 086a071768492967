/* Helpers shared by the config.json parser's files (config.c, config_linux.c); not an API. */
#ifndef BERTH_CONFIG_INTERNAL_H
#define BERTH_CONFIG_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"

/* Each dies with "config.json: <path>: ..." when the value has the wrong type. */
const char *str_or_die(const struct json *v, const char *path);
/* NULL-terminated array of the strings (pointing into the tree); a missing value is empty. */
char **string_array(const struct json *v, const char *path, size_t *count);
int64_t int_or_die(const struct json *v, const char *path);
/* MS_* propagation flags for "rprivate", "slave"...; 0 when unknown. */
unsigned long propagation_flag(const char *name);
/* The "in out count\n" lines of an OCI id mapping array at `path`, or NULL when absent. */
char *parse_id_map(const struct json *v, const char *path);
/* Fills the fields that come from the "linux" object (which may be NULL). */
void config_parse_linux(struct config *c, const struct json *linux_);

#endif
