/*
 * target.c - a discovered target's labels, as Prometheus's
 * scrape/target.go PopulateLabels builds them (v3.x):
 *
 *   1. the target's labels, then the group's for names the target lacks;
 *   2. the job's defaults where still unset: job, __scrape_interval__,
 *      __scrape_timeout__, __metrics_path__, __scheme__, and
 *      __param_<name> = the first value of each params entry;
 *      (that is the "discovered" set /api/v1/targets shows)
 *   3. relabel_configs; a target relabeled away is dropped (returns 0);
 *   4. checks, each an error that keeps the target out of both lists:
 *      "no address", an address holding '/', an interval or timeout that
 *      does not parse or is 0, a timeout above the interval;
 *   5. __meta_* labels removed, instance defaulted to __address__, every
 *      value valid UTF-8.
 * 3.x no longer adds a default port to an address without one (2.x did),
 * and flint does not add 3.14's native-histogram switches
 * (__scrape_native_histograms__, ...): flint refuses those features.
 *
 * The scrape URL is scheme://address/metrics_path?params, the job's params
 * with __param_* overriding each name's first value (Target.URL); the
 * target's identity hash is FNV-1a over the label-set hash and the URL
 * (Target.hash).
 */
#include <stdio.h>

#include "lib/timeparse.h"
#include "scrape/discovery.h"

/* Valid UTF-8 ("" is valid), 3.x's LabelValue.IsValid. */
static bool valid_utf8(const char *s) { return !*s || relabel_valid_label_name(s, false); }

/* Go's url.QueryEscape. */
static void query_escape(buf *b, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || strchr("-_.~", *p))
			buf_put_byte(b, *p);
		else if (*p == ' ')
			buf_put_byte(b, '+');
		else
			buf_printf(b, "%%%02X", *p);
	}
}

/* Go's url.URL.String() path escaping (EscapedPath: keeps / and sub-delims). */
static void path_escape(buf *b, const char *s)
{
	if (*s && *s != '/')
		buf_put_byte(b, '/');
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		    strchr("-_.~/!$&'()*+,;=:@", *p))
			buf_put_byte(b, *p);
		else
			buf_printf(b, "%%%02X", *p);
	}
}

/* url.Values.Encode of the job's params with __param_* applied: sorted by
 * key, each key's values in order. */
static void query(buf *b, const scrape_job_config *j, labels all)
{
	size_t n = j->n_params + all.n;
	const char **keys = n ? fl_calloc(n, sizeof *keys) : NULL;
	size_t nk = 0;
	for (size_t i = 0; i < j->n_params && keys; i++) {
		bool seen = false;
		for (size_t k = 0; k < nk; k++)
			seen |= !strcmp(keys[k], j->params[i].key);
		if (!seen)
			keys[nk++] = j->params[i].key;
	}
	for (size_t i = 0; i < all.n && keys; i++) {
		if (strncmp(all.v[i].name, "__param_", 8))
			continue;
		bool seen = false;
		for (size_t k = 0; k < nk; k++)
			seen |= !strcmp(keys[k], all.v[i].name + 8);
		if (!seen)
			keys[nk++] = all.v[i].name + 8;
	}
	for (size_t i = 1; i < nk; i++) /* insertion sort: a handful of keys */
		for (size_t k = i; k > 0 && strcmp(keys[k - 1], keys[k]) > 0; k--) {
			const char *t = keys[k];
			keys[k] = keys[k - 1], keys[k - 1] = t;
		}
	bool first = true;
	for (size_t k = 0; k < nk; k++) {
		char name[300];
		snprintf(name, sizeof name, "__param_%s", keys[k]);
		const char *over = labels_get(all, name);
		bool any = false;
		for (size_t i = 0; i < j->n_params; i++) {
			if (strcmp(j->params[i].key, keys[k]))
				continue;
			buf_put_byte(b, first ? '?' : '&');
			query_escape(b, keys[k]);
			buf_put_byte(b, '=');
			query_escape(b, !any && over && *over ? over : j->params[i].value);
			first = false, any = true;
		}
		if (!any && over && *over) {
			buf_put_byte(b, first ? '?' : '&');
			query_escape(b, keys[k]);
			buf_put_byte(b, '=');
			query_escape(b, over);
			first = false;
		}
	}
	fl_free(keys);
}

/* Steps 1 and 2 into b. */
static void discovered_labels(const scrape_job_config *j, labels group, labels target, labels_builder *b, arena *a)
{
	labels_builder_reset(b, target);
	for (size_t i = 0; i < group.n; i++)
		if (!labels_get(target, group.v[i].name) || !*labels_get(target, group.v[i].name))
			labels_builder_set(b, group.v[i].name, group.v[i].value);
	buf d;
	buf_init(&d);
	timeparse_format_duration(&d, j->scrape_interval_ms);
	const char *interval = arena_strdup(a, buf_cstr(&d));
	buf_clear(&d);
	timeparse_format_duration(&d, j->scrape_timeout_ms);
	const char *timeout = arena_strdup(a, buf_cstr(&d));
	buf_reset(&d);
	const label defaults[] = {
		{"job", j->job_name}, {"__scrape_interval__", interval}, {"__scrape_timeout__", timeout},
		{"__metrics_path__", j->metrics_path}, {"__scheme__", j->scheme},
	};
	for (size_t i = 0; i < FL_ARRAY_LEN(defaults); i++) {
		const char *v = labels_get(labels_builder_labels(b), defaults[i].name);
		if ((!v || !*v) && defaults[i].value)
			labels_builder_set(b, defaults[i].name, defaults[i].value);
	}
	for (size_t i = 0; i < j->n_params; i++) {
		if (i && !strcmp(j->params[i - 1].key, j->params[i].key))
			continue; /* the first value only */
		size_t n = strlen(j->params[i].key) + 9;
		char *name = arena_alloc(a, n);
		if (!name)
			continue;
		snprintf(name, n, "__param_%s", j->params[i].key);
		const char *v = labels_get(labels_builder_labels(b), name);
		if (!v || !*v)
			labels_builder_set(b, name, j->params[i].value);
	}
}

static int duration_label(labels ls, const char *name, const char *what, int64_t *ms, err *e)
{
	const char *v = labels_get(ls, name);
	err pe;
	if (timeparse_model_duration(v ? v : "", v ? strlen(v) : 0, ms, &pe))
		return err_set(e, FL_EINVAL, "error parsing %s: %s", what, pe.msg);
	if (!*ms)
		return err_set(e, FL_EINVAL, "%s cannot be 0", what);
	return 0;
}

/* Steps 4 and 5 on the relabeled set in b; fills out. */
static int finish(const scrape_job_config *j, labels_builder *b, arena *a, scrape_target_def *out, err *e)
{
	labels ls = labels_builder_labels(b);
	const char *addr = labels_get(ls, "__address__");
	if (!addr || !*addr)
		return err_set(e, FL_EINVAL, "no address");
	if (strchr(addr, '/'))
		return err_set(e, FL_EINVAL, "\"%s\" is not a valid hostname", addr);
	int64_t interval, timeout;
	if (duration_label(ls, "__scrape_interval__", "scrape interval", &interval, e) ||
	    duration_label(ls, "__scrape_timeout__", "scrape timeout", &timeout, e))
		return FL_EINVAL;
	if (timeout > interval)
		return err_set(e, FL_EINVAL, "scrape timeout cannot be greater than scrape interval (\"%s\" > \"%s\")",
			       labels_get(ls, "__scrape_timeout__"), labels_get(ls, "__scrape_interval__"));
	addr = arena_strdup(a, addr); /* the builder's strings move as it changes */
	for (size_t i = ls.n; i-- > 0;)
		if (!strncmp(ls.v[i].name, "__meta_", 7))
			labels_builder_del(b, ls.v[i].name), ls = labels_builder_labels(b);
	const char *inst = labels_get(ls, "instance");
	if (!inst || !*inst)
		labels_builder_set(b, "instance", addr);
	ls = labels_builder_labels(b);
	for (size_t i = 0; i < ls.n; i++)
		if (!valid_utf8(ls.v[i].value))
			return err_set(e, FL_EINVAL, "invalid label value for \"%s\": \"%s\"", ls.v[i].name, ls.v[i].value);
	if (b->oom)
		return err_set(e, FL_ENOMEM, "out of memory");
	out->all = labels_copy(a, ls);
	label *pub = arena_alloc(a, (out->all.n + 1) * sizeof *pub);
	if (!out->all.v || !pub)
		return err_set(e, FL_ENOMEM, "out of memory");
	size_t np = 0;
	for (size_t i = 0; i < out->all.n; i++)
		if (strncmp(out->all.v[i].name, "__", 2))
			pub[np++] = out->all.v[i];
	out->labels = (labels){pub, np};
	buf u;
	buf_init(&u);
	buf_printf(&u, "%s://%s", labels_get(out->all, "__scheme__") ? labels_get(out->all, "__scheme__") : "", addr);
	const char *path = labels_get(out->all, "__metrics_path__");
	path_escape(&u, path ? path : "");
	query(&u, j, out->all);
	out->url = arena_strdup(a, buf_cstr(&u));
	buf_reset(&u);
	out->interval_ms = interval, out->timeout_ms = timeout;
	/* Target.hash: FNV-1a 64 of "%016d" of the label-set hash, then the URL */
	char hs[32];
	snprintf(hs, sizeof hs, "%016llu", (unsigned long long)labels_hash(out->all));
	uint64_t h = 14695981039346656037ull;
	for (const char *p = hs; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ull;
	for (const char *p = out->url ? out->url : ""; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ull;
	out->hash = h;
	return out->url ? 0 : err_set(e, FL_ENOMEM, "out of memory");
}

int scrape_target_populate(const scrape_job_config *j, labels group, labels target, arena *a, scrape_target_def *out,
			   labels *discovered, err *e)
{
	labels_builder b;
	labels_builder_init(&b);
	memset(out, 0, sizeof *out);
	discovered_labels(j, group, target, &b, a);
	labels disc = labels_copy(a, labels_builder_labels(&b));
	if (discovered)
		*discovered = disc;
	out->discovered = disc;
	int rc;
	if (b.oom || (disc.n && !disc.v))
		rc = err_set(e, FL_ENOMEM, "out of memory");
	else if (!relabel_process(j->relabel_configs, j->n_relabel_configs, disc, &b, a))
		rc = b.oom ? err_set(e, FL_ENOMEM, "out of memory") : 0;
	else
		rc = finish(j, &b, a, out, e) ? -1 : 1;
	labels_builder_free(&b);
	return rc;
}
