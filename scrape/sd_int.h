/*
 * sd_int.h - what discovery.c shares with its providers (sd_file.c,
 * sd_http.c, sd_dns.c): target groups as Prometheus's
 * discovery/targetgroup.Group, and one refresh call per mechanism.
 */
#ifndef FL_SCRAPE_SD_INT_H
#define FL_SCRAPE_SD_INT_H

#include "lib/arena.h"
#include "lib/err.h"
#include "scrape/config.h"
#include "tsdb/labels.h"

typedef struct sd_group {
	labels labels;     /* the group's labels, sorted (__meta_filepath, __meta_url, ...) */
	labels *targets;   /* each target's labels, sorted: __address__ at least */
	size_t n_targets;  /* entries in targets */
} sd_group;

/* A provider's current groups; everything in its own arena. */
typedef struct sd_groups {
	sd_group *v;       /* groups in source order */
	size_t n;          /* entries in v */
	size_t cap;        /* allocated entries */
	arena a;           /* owns v and every string */
} sd_groups;

void sd_groups_init(sd_groups *g);
void sd_groups_reset(sd_groups *g); /* frees */
/* Move src into dst (dst's old groups freed); src is left empty. */
void sd_groups_move(sd_groups *dst, sd_groups *src);
/* The number of targets over all groups. */
size_t sd_groups_targets(const sd_groups *g);

/* Parse a file_sd / http_sd document: a list of {targets: [...], labels:
 * {...}} (JSON or YAML; libyaml reads both), appending one group per entry
 * with meta_name=meta_value added to its labels. strict refuses unknown
 * keys (YAML files, as Prometheus's UnmarshalStrict); JSON ignores them.
 * name is used in messages. */
int sd_groups_parse(sd_groups *out, const char *text, size_t len, const char *name, bool strict,
		    const char *meta_name, const char *meta_value, err *e);

/* A provider's groups in parts: one part per file for file_sd (a file
 * that fails keeps its previous part, as Prometheus's file SD keeps a
 * broken file's last groups), a single part otherwise. */
typedef struct sd_parts {
	char **keys;       /* per part: the file path (fl_malloc'd), or NULL */
	sd_groups *v;      /* per part: its groups */
	size_t n;          /* parts */
} sd_parts;

void sd_parts_free(sd_parts *p);
size_t sd_parts_targets(const sd_parts *p);
/* Replace p's parts with a single part (g moved in). */
int sd_parts_set_one(sd_parts *p, sd_groups *g);

/* file_sd: re-read every file matching f's globs into parts. A file that
 * cannot be read or parsed keeps its previous part, counts in *n_errors
 * and is reported in e (the first one); returns 0 when every file read. */
int sd_file_refresh(const scrape_file_sd *f, sd_parts *parts, uint64_t *n_errors, err *e);
/* A hash of the matched files' names, sizes and mtimes: polled to see a
 * change before refresh_interval. */
uint64_t sd_file_stamp(const scrape_file_sd *f);

/* http_sd: GET url (Prometheus's checks: 200, Content-Type
 * application/json); groups get __meta_url. */
int sd_http_refresh(const scrape_http_sd *h, sd_groups *out, err *e);

/* dns_sd: one group per name, targets with __meta_dns_* labels.
 * *lookups / *failures count the lookups made and failed. */
int sd_dns_refresh(const scrape_dns_sd *d, sd_groups *out, uint64_t *lookups, uint64_t *failures, err *e);

/* The targets of one SRV/MX/NS answer (a DNS message) for name, into g
 * (strings in out's arena); records of other types are skipped. */
int sd_dns_parse_answer(const unsigned char *ans, int len, const scrape_dns_sd *d, const char *name, sd_groups *out,
			sd_group *g, err *e);

#endif
