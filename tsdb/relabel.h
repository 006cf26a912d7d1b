/*
 * relabel.h - relabeling (Prometheus model/relabel), below all of its users:
 * scrape (relabel_configs, metric_relabel_configs), rules (alert_relabel_configs)
 * and the remote-write client (write_relabel_configs). It lives in tsdb/ beside
 * labels.h because it is part of the data model and every user sits above tsdb.
 *
 * Semantics are Prometheus's: every action (replace, keep, drop, keepequal,
 * dropequal, hashmod with MD5, labelmap, labeldrop, labelkeep, lowercase,
 * uppercase), its defaults (separator ";", regex "(.*)", replacement "$1",
 * action replace), the regex fully anchored (RE2 syntax through PCRE2), and
 * Go's Regexp.Expand for "$1" / "${name}" in replacement and target_label
 * (regex_expand, shared with PromQL's label_replace).
 */
#ifndef FL_TSDB_RELABEL_H
#define FL_TSDB_RELABEL_H

#include "lib/arena.h"
#include "lib/buf.h"
#include "lib/err.h"
#include "tsdb/labels.h"

typedef enum relabel_action {
	RELABEL_REPLACE,
	RELABEL_KEEP,
	RELABEL_DROP,
	RELABEL_KEEPEQUAL,
	RELABEL_DROPEQUAL,
	RELABEL_HASHMOD,
	RELABEL_LABELMAP,
	RELABEL_LABELDROP,
	RELABEL_LABELKEEP,
	RELABEL_LOWERCASE,
	RELABEL_UPPERCASE,
} relabel_action;

/* The default regex "(.*)". A config whose regex is this very pointer has
 * no regex key; an explicit "(.*)" is a different pointer and counts as set,
 * as in Prometheus (keepequal/dropequal refuse it, the replace fast path
 * skips it). */
extern const char relabel_default_regex[];

/*
 * One rule. The strings are the caller's (the config parser's), borrowed
 * for the config's life; relabel_compile fills re, relabel_config_free
 * frees it. A NULL string is "" (YAML null), a NULL regex is "" too
 * (Prometheus's UnmarshalYAML: an explicit null regex matches only "").
 */
typedef struct relabel_config {
	const char **source_labels; /* may be empty */
	size_t n_source_labels;     /* entries in source_labels */
	const char *separator;      /* default ";" */
	const char *regex;          /* as written, unanchored; default relabel_default_regex */
	const char *target_label;   /* or NULL */
	const char *replacement;    /* default "$1" */
	uint64_t modulus;           /* hashmod */
	relabel_action action;      /* default replace */
	bool legacy_names;          /* metric_name_validation_scheme: legacy ([a-zA-Z_][a-zA-Z0-9_]*);
				       false: 3.x's default UTF-8 (any non-empty valid UTF-8) */
	void *re;                   /* compiled "^(?s:regex)$" (relabel_compile), a pcre2_code */
	bool re_all;                /* regex is "(.*)": everything matches, group 1 is all */
} relabel_config;

/* "replace" -> RELABEL_REPLACE, ...; case-insensitive as Prometheus's
 * UnmarshalYAML (Go's strings.ToLower). -1 when unknown: the caller says
 * `unknown relabel action "<s>"` (Go %q). */
int relabel_action_parse(const char *s);
const char *relabel_action_name(relabel_action a);
/* Fill the defaults of a zeroed config (call before setting fields). */
void relabel_config_defaults(relabel_config *c);
/* Compile the regex (its error first, as Prometheus reports it while
 * unmarshalling: "error parsing regexp: ...: `^(?s:...)$`"), then validate as
 * Prometheus's RelabelConfig.Validate with its error wording. 0 or FL_EINVAL
 * (FL_ENOMEM) with e set. */
int relabel_compile(relabel_config *c, err *e);
/* Frees what relabel_compile made (not the strings). NULL-safe fields. */
void relabel_config_free(relabel_config *c);
/* Apply cfgs (compiled) in order, as Prometheus's relabel.ProcessBuilder.
 * true: kept, the result in labels_builder_labels(b) (strings borrowed from
 * in, the configs, or scratch); false: dropped, or out of memory with
 * b->oom set. scratch holds strings made on the way (reset it between
 * calls). Safe to call from several threads on the same cfgs.
 * A labelmap may produce a label named "" (as Prometheus does); callers
 * that need valid names check them. */
bool relabel_process(const relabel_config *cfgs, size_t n, labels in, labels_builder *b, arena *scratch);

/* Is name a valid label name under the config's scheme (UTF-8: non-empty
 * valid UTF-8; legacy: [a-zA-Z_][a-zA-Z0-9_]*)? */
bool relabel_valid_label_name(const char *name, bool legacy);

#endif
