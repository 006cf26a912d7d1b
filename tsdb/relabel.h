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

typedef struct relabel_config {
	const char **source_labels; /* may be empty */
	size_t n_source_labels;
	const char *separator;      /* default ";" */
	const char *regex;          /* as written; default "(.*)" */
	const char *target_label;   /* or NULL */
	const char *replacement;    /* default "$1" */
	uint64_t modulus;           /* hashmod */
	relabel_action action;      /* default replace */
	void *re;                   /* compiled anchored regex (relabel_compile) */
	void *md;                   /* its match data */
} relabel_config;

/* "replace" -> RELABEL_REPLACE, ...; case-insensitive as Prometheus's
 * UnmarshalYAML. -1 when unknown. */
int relabel_action_parse(const char *s);
const char *relabel_action_name(relabel_action a);
/* Fill the defaults of a zeroed config (call before setting fields). */
void relabel_config_defaults(relabel_config *c);
/* Validate as Prometheus's RelabelConfig.Validate (its error wording) and
 * compile the regex. 0 or FL_EINVAL with e set. */
int relabel_compile(relabel_config *c, err *e);
void relabel_config_free(relabel_config *c);
/* Apply cfgs in order. true: kept, the result in labels_builder_labels(b)
 * (strings borrowed from in, the configs, or scratch); false: dropped.
 * scratch holds strings made on the way (reset it between calls). */
bool relabel_process(const relabel_config *cfgs, size_t n, labels in, labels_builder *b, arena *scratch);

#endif
