/*
 * labels.h - the data model's label sets (Prometheus model/labels).
 *
 * A label set is a sorted array of {name, value} pairs of NUL-terminated
 * strings; names are unique. A `labels` value is a borrowed view: who owns
 * the array and the strings is said where a labels value crosses a module
 * (the head interns its strings and keeps them for its life; a query's
 * results live in the query's arena).
 *
 * Invariants: v[i].name < v[i+1].name (strcmp order); n == 0 is the empty set.
 * The metric name is the label "__name__".
 *
 * Hash: xxhash64 over "name\xffvalue\xff" for each pair, as Prometheus's
 * labels.Hash does, so hashes agree with Prometheus.
 */
#ifndef FL_LABELS_H
#define FL_LABELS_H

#include "lib/arena.h"
#include "lib/buf.h"
#include "lib/err.h"
#include "lib/fl.h"

#define LABEL_NAME "__name__"

typedef struct label {
	const char *name;  /* NUL-terminated label name */
	const char *value; /* NUL-terminated label value (never NULL; "" means absent) */
} label;

typedef struct labels {
	const label *v; /* sorted by name; borrowed */
	size_t n;       /* number of pairs */
} labels;

uint64_t labels_hash(labels ls);
/* Hash of only the given names (on) or all but them (!on): for PromQL's
 * grouping. names must be sorted. */
uint64_t labels_hash_for(labels ls, const char *const *names, size_t n, bool on);
/* strcmp-like order of Prometheus's labels.Compare. */
int labels_compare(labels a, labels b);
bool labels_equal(labels a, labels b);
/* Value of name, or NULL when absent. */
const char *labels_get(labels ls, const char *name);
/* Deep copy into the arena (array and strings). */
labels labels_copy(arena *a, labels ls);
/* Deep copy with fl_malloc as one block; free with fl_free((void*)ls.v). */
labels labels_dup(labels ls);
/* Append {a="b", c="d"} text (Prometheus's String(): values quoted Go-style,
 * metric name NOT pulled out). */
void labels_format(buf *b, labels ls);
/* Check sortedness and uniqueness (for asserts and input validation). */
bool labels_valid_order(labels ls);

/*
 * Builder: start from a set, set/delete names, get the sorted result.
 * Strings passed to set are borrowed until labels_builder_labels' result
 * has been copied; the result is valid until the next builder call.
 */
typedef struct labels_builder {
	label *v;   /* working pairs, kept sorted */
	size_t n;   /* pairs in use */
	size_t cap; /* pairs allocated */
	bool oom;   /* an allocation failed */
} labels_builder;

void labels_builder_init(labels_builder *b);
void labels_builder_reset(labels_builder *b, labels from);
/* value "" deletes, as in Prometheus. */
void labels_builder_set(labels_builder *b, const char *name, const char *value);
void labels_builder_del(labels_builder *b, const char *name);
labels labels_builder_labels(const labels_builder *b);
void labels_builder_free(labels_builder *b);

#endif
