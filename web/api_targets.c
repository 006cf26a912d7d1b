/*
 * api_targets.c - the scrape side of the HTTP API (Prometheus
 * web/api/v1/api.go targets, targetMetadata, scrapePools): thin encoders
 * of the scrape manager's snapshots (scrape/manager.h).
 *
 *   GET /api/v1/targets?state=active|dropped|any&scrapePool=job
 *       {"activeTargets":[{discoveredLabels, labels, scrapePool, scrapeUrl,
 *         globalUrl, lastError, lastScrape, lastScrapeDuration, health,
 *         scrapeInterval, scrapeTimeout}], "droppedTargets":[{discoveredLabels,
 *         scrapePool}], "droppedTargetCounts":{job: n}}   (pools sorted by name)
 *   GET /api/v1/targets/metadata?match_target=&metric=&limit=
 *   GET /api/v1/scrape_pools   {"scrapePools":[sorted job names]}
 *
 * lastScrape is Go's time.Time JSON: RFC 3339 with trailing zeros of the
 * fraction cut, "0001-01-01T00:00:00Z" when there was none. globalUrl is
 * Prometheus's getGlobalURL: a loopback host becomes this host's name (and
 * the target on our own port becomes our external address).
 */
#include "web/web.h"

#include <stdio.h>
#include <stdlib.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "promql/ast.h"
#include "scrape/manager.h"

static int pool_cmp(const void *a, const void *b)
{
	return strcmp(((const scrape_pool_info *)a)->name, ((const scrape_pool_info *)b)->name);
}

/* Go's time.Time MarshalJSON (UTC). */
static void json_go_time(json_w *j, int64_t ms)
{
	if (!ms) {
		json_str(j, "0001-01-01T00:00:00Z");
		return;
	}
	time_t s = (time_t)(ms / 1000);
	struct tm tm;
	gmtime_r(&s, &tm);
	char out[64], frac[8] = "";
	int f = (int)(ms % 1000);
	if (f) {
		snprintf(frac, sizeof frac, ".%03d", f);
		size_t n = strlen(frac);
		while (frac[n - 1] == '0')
			frac[--n] = 0;
	}
	snprintf(out, sizeof out, "%04d-%02d-%02dT%02d:%02d:%02d%sZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
		 tm.tm_hour, tm.tm_min, tm.tm_sec, frac);
	json_str(j, out);
}

/* getGlobalURL: url with a loopback host replaced. */
static void global_url(web_env *env, const char *url, buf *out)
{
	static const char *const local[] = {"127.0.0.1", "localhost", "[::1]"};
	const char *hs = strstr(url, "://");
	buf_clear(out);
	if (!hs) {
		buf_put_str(out, url);
		return;
	}
	hs += 3;
	const char *he = hs + strcspn(hs, "/?#");
	const char *colon = NULL;
	for (const char *p = hs; p < he; p++)
		if (*p == ':')
			colon = p;
	if (colon && hs[0] == '[' && colon < (const char *)memchr(hs, ']', (size_t)(he - hs)))
		colon = NULL;
	size_t hl = (size_t)((colon ? colon : he) - hs);
	bool loop = false;
	for (size_t i = 0; i < FL_ARRAY_LEN(local); i++)
		loop |= strlen(local[i]) == hl && !strncmp(hs, local[i], hl);
	if (!loop || !colon) {
		buf_put_str(out, url);
		return;
	}
	char host[256] = "";
	gethostname(host, sizeof host - 1);
	const char *own = strrchr(env->opts.listen_address ? env->opts.listen_address : "", ':');
	buf_put(out, url, (size_t)(hs - url));
	buf_put_str(out, host);
	if (own && strlen(own + 1) == (size_t)(he - colon - 1) && !strncmp(own + 1, colon + 1, (size_t)(he - colon - 1)))
		buf_put_str(out, own); /* ourselves: our external address */
	else
		buf_put(out, colon, (size_t)(he - colon));
	buf_put_str(out, he);
}

static bool want_pool(const char *want, const char *name) { return !want || !*want || !strcmp(want, name); }

WEB_HANDLER(api_targets_handler)
{
	const char *state = http_param_get(r, "state");
	const char *want = http_param_get(r, "scrapePool");
	bool any = !state || !*state || !strcasecmp(state, "any");
	bool active = any || !strcasecmp(state, "active"), dropped = any || !strcasecmp(state, "dropped");
	arena a;
	arena_init(&a);
	scrape_pool_info *pv = NULL;
	size_t np = 0;
	err e;
	if (env->scrape && scrape_manager_targets(env->scrape, &a, &pv, &np, &e)) {
		api_error(w, API_INTERNAL, "%s", e.msg);
		arena_reset(&a);
		return;
	}
	if (np > 1)
		qsort(pv, np, sizeof *pv, pool_cmp);
	buf gu;
	buf_init(&gu);
	json_w j;
	api_begin(w, &j);
	json_obj_open(&j);
	json_key(&j, "activeTargets");
	json_arr_open(&j);
	for (size_t i = 0; active && i < np; i++) {
		if (!want_pool(want, pv[i].name))
			continue;
		for (size_t k = 0; k < pv[i].n_active; k++) {
			const scrape_target_info *t = &pv[i].active[k];
			json_obj_open(&j);
			json_key(&j, "discoveredLabels");
			json_result_labels(&j, t->discovered);
			json_key(&j, "labels");
			json_result_labels(&j, t->labels);
			json_kstr(&j, "scrapePool", t->pool);
			json_kstr(&j, "scrapeUrl", t->url);
			global_url(env, t->url, &gu);
			json_kstr(&j, "globalUrl", buf_cstr(&gu));
			json_kstr(&j, "lastError", t->last_error);
			json_key(&j, "lastScrape");
			json_go_time(&j, t->last_scrape_ms);
			json_key(&j, "lastScrapeDuration");
			json_num(&j, t->last_duration_s);
			json_kstr(&j, "health", t->health);
			json_kstr(&j, "scrapeInterval", t->scrape_interval);
			json_kstr(&j, "scrapeTimeout", t->scrape_timeout);
			json_obj_close(&j);
		}
	}
	json_arr_close(&j);
	json_key(&j, "droppedTargets");
	json_arr_open(&j);
	for (size_t i = 0; dropped && i < np; i++) {
		if (!want_pool(want, pv[i].name))
			continue;
		for (size_t k = 0; k < pv[i].n_dropped; k++) {
			json_obj_open(&j);
			json_key(&j, "discoveredLabels");
			json_result_labels(&j, pv[i].dropped[k]);
			json_kstr(&j, "scrapePool", pv[i].name);
			json_obj_close(&j);
		}
	}
	json_arr_close(&j);
	json_key(&j, "droppedTargetCounts");
	if (dropped) {
		json_obj_open(&j);
		for (size_t i = 0; i < np; i++)
			json_kint(&j, pv[i].name, (int64_t)pv[i].n_dropped_total);
		json_obj_close(&j);
	} else {
		json_null(&j);
	}
	json_obj_close(&j);
	api_end(&j, NULL, 0, NULL, 0);
	buf_reset(&gu);
	arena_reset(&a);
}

static bool target_matches(labels t, const matcher *ms, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const char *v = labels_get(t, ms[i].name);
		if (!matcher_matches_str(&ms[i], v ? v : ""))
			return false;
	}
	return true;
}

WEB_HANDLER(api_targets_metadata_handler)
{
	long long limit = -1;
	const char *ls = http_param_get(r, "limit");
	if (ls && *ls) {
		char *end;
		limit = strtoll(ls, &end, 10);
		if (*end || end == ls) {
			api_error(w, API_BAD_DATA, "limit must be a number");
			return;
		}
	}
	arena a;
	arena_init(&a);
	matcher *ms = NULL;
	size_t nm = 0;
	err e;
	const char *mt = http_param_get(r, "match_target");
	if (mt && *mt && promql_parse_selector(mt, &a, &ms, &nm, &e)) {
		api_error(w, API_BAD_DATA, "invalid parameter \"match_target\": %s", e.msg);
		arena_reset(&a);
		return;
	}
	const char *metric = http_param_get(r, "metric");
	scrape_target_metadata *v = NULL;
	size_t n = 0;
	if (env->scrape && scrape_manager_metadata(env->scrape, &a, &v, &n, &e)) {
		api_error(w, API_INTERNAL, "%s", e.msg);
		goto out;
	}
	json_w j;
	api_begin(w, &j);
	json_arr_open(&j);
	/* limit counts targets started, as Prometheus checks it per target */
	long long n_out = 0;
	const label *last = NULL;
	bool skip = false;
	for (size_t i = 0; i < n; i++) {
		if (v[i].target.v != last) {
			last = v[i].target.v;
			skip = (limit >= 0 && n_out >= limit) || (nm && !target_matches(v[i].target, ms, nm));
		}
		if (skip || (metric && *metric && strcmp(metric, v[i].metric)))
			continue;
		json_obj_open(&j);
		json_key(&j, "target");
		json_result_labels(&j, v[i].target);
		if (!metric || !*metric)
			json_kstr(&j, "metric", v[i].metric);
		json_kstr(&j, "type", v[i].type);
		json_kstr(&j, "help", v[i].help);
		json_kstr(&j, "unit", v[i].unit);
		json_obj_close(&j);
		n_out++;
	}
	json_arr_close(&j);
	api_end(&j, NULL, 0, NULL, 0);
out:
	for (size_t i = 0; i < nm; i++)
		matcher_reset(&ms[i]);
	arena_reset(&a);
}

static int str_cmp(const void *a, const void *b) { return strcmp(*(const char *const *)a, *(const char *const *)b); }

WEB_HANDLER(api_scrape_pools_handler)
{
	(void)r;
	arena a;
	arena_init(&a);
	const char **names = NULL;
	size_t n = 0;
	pthread_mutex_lock(&env->cfg_mu);
	if (env->config && env->config->n_jobs && (names = arena_calloc(&a, env->config->n_jobs, sizeof *names)))
		for (size_t i = 0; i < env->config->n_jobs; i++)
			if ((names[n] = arena_strdup(&a, env->config->jobs[i].job_name)))
				n++;
	pthread_mutex_unlock(&env->cfg_mu);
	if (n > 1)
		qsort(names, n, sizeof *names, str_cmp);
	json_w j;
	api_begin(w, &j);
	json_obj_open(&j);
	json_key(&j, "scrapePools");
	json_arr_open(&j);
	for (size_t i = 0; i < n; i++)
		json_str(&j, names[i]);
	json_arr_close(&j);
	json_obj_close(&j);
	api_end(&j, NULL, 0, NULL, 0);
	arena_reset(&a);
}
