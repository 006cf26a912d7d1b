/*
 * yaml_out.h - YAML scalars written the way Prometheus's config re-marshal
 * (gopkg.in/yaml.v2) writes Go strings in block context; see yaml_out.c.
 * Used by scrape/config.c's printer (/api/v1/status/config).
 */
#ifndef FL_SCRAPE_YAML_OUT_H
#define FL_SCRAPE_YAML_OUT_H

#include <stdbool.h>

#include "lib/buf.h"

/* Append s (valid UTF-8) at the end of b as a mapping key (key true: plain,
 * single or double quoted, never a block scalar) or as a value. indent is
 * the column of continuation lines (the key's column + 2); the column of
 * the first character is read from b. */
void yaml_out_scalar(buf *b, const char *s, int indent, bool key);

/* A value followed by the end of its line (a block scalar ends its own). */
void yaml_out_value_line(buf *b, const char *s, int indent);

#endif
