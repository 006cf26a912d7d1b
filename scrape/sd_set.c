/*
 * sd_set.c - one provider set driven by its caller (discovery.h's
 * discovery_set): the notifier's Alertmanager discovery, over the same
 * providers as the scrape jobs (sd_file.c, sd_http.c, sd_dns.c).
 *
 * The set keeps one sd_parts per provider, in config order (file_sd, then
 * http_sd, then dns_sd); a refresh whose config has another number of
 * providers starts them all afresh.
 */
#include "lib/log.h"
#include "scrape/discovery.h"
#include "scrape/sd_int.h"

struct discovery_set {
	sd_parts *parts; /* file_sd..., http_sd..., dns_sd... */
	size_t n;
};

discovery_set *discovery_set_new(void)
{
	return fl_calloc(1, sizeof(discovery_set));
}

static void parts_clear(discovery_set *s)
{
	for (size_t i = 0; i < s->n; i++)
		sd_parts_free(&s->parts[i]);
	fl_free(s->parts);
	s->parts = NULL;
	s->n = 0;
}

void discovery_set_free(discovery_set *s)
{
	if (!s)
		return;
	parts_clear(s);
	fl_free(s);
}

static size_t n_providers(const scrape_sd_configs *c) { return c->n_file_sd + c->n_http_sd + c->n_dns_sd; }

int discovery_set_refresh(discovery_set *s, const scrape_sd_configs *c, err *e)
{
	size_t n = n_providers(c);
	if (n != s->n) {
		parts_clear(s);
		s->parts = n ? fl_calloc(n, sizeof *s->parts) : NULL;
		if (n && !s->parts)
			return err_set(e, FL_ENOMEM, "out of memory");
		s->n = n;
	}
	int first = 0;
	size_t k = 0;
	for (size_t i = 0; i < c->n_file_sd; i++, k++) {
		uint64_t errs = 0;
		err fe;
		err_clear(&fe);
		if (sd_file_refresh(&c->file_sd[i], &s->parts[k], &errs, &fe)) {
			log_error("notifier", "Error reading file", "err", fe.msg, NULL);
			if (!first)
				first = err_set(e, fe.code ? fe.code : FL_EIO, "%s", fe.msg);
		}
	}
	for (size_t i = 0; i < c->n_http_sd + c->n_dns_sd; i++, k++) {
		bool http = i < c->n_http_sd;
		sd_groups g;
		sd_groups_init(&g);
		err pe;
		err_clear(&pe);
		uint64_t lookups = 0, failures = 0;
		int rc = http ? sd_http_refresh(&c->http_sd[i], &g, &pe)
			      : sd_dns_refresh(&c->dns_sd[i - c->n_http_sd], &g, &lookups, &failures, &pe);
		if (rc) {
			log_error("notifier", http ? "Unable to refresh target groups" : "Error refreshing DNS targets",
				  "mechanism", http ? "http" : "dns", "err", pe.msg, NULL);
			if (!first)
				first = err_set(e, pe.code ? pe.code : FL_EIO, "%s", pe.msg);
		} else if (sd_parts_set_one(&s->parts[k], &g) && !first) {
			first = err_set(e, FL_ENOMEM, "out of memory");
		}
		sd_groups_reset(&g);
	}
	return first;
}

void discovery_set_each(const discovery_set *s, const scrape_sd_configs *c, discovery_target_fn fn, void *ctx)
{
	for (size_t i = 0; i < c->n_static_configs; i++) {
		const scrape_static_config *sc = &c->static_configs[i];
		for (size_t k = 0; k < sc->n_targets; k++) {
			label t = {"__address__", sc->targets[k]};
			fn(ctx, sc->labels, (labels){&t, 1});
		}
	}
	for (size_t p = 0; p < s->n; p++)
		for (size_t q = 0; q < s->parts[p].n; q++) {
			const sd_groups *g = &s->parts[p].v[q];
			for (size_t i = 0; i < g->n; i++)
				for (size_t k = 0; k < g->v[i].n_targets; k++)
					fn(ctx, g->v[i].labels, g->v[i].targets[k]);
		}
}

static int64_t shorter(int64_t r, int64_t v) { return v > 0 && (!r || v < r) ? v : r; }

int64_t discovery_set_refresh_ms(const scrape_sd_configs *c)
{
	int64_t r = 0;
	for (size_t i = 0; i < c->n_file_sd; i++)
		r = shorter(r, c->file_sd[i].refresh_ms);
	for (size_t i = 0; i < c->n_http_sd; i++)
		r = shorter(r, c->http_sd[i].refresh_ms);
	for (size_t i = 0; i < c->n_dns_sd; i++)
		r = shorter(r, c->dns_sd[i].refresh_ms);
	return r;
}
