/*
 * sd_dns.c - dns_sd_configs (Prometheus discovery/dns): every
 * refresh_interval each name is looked up and becomes one group whose
 * targets carry
 *   __address__                  host:port (IPv6 in brackets; SRV/MX/NS
 *                                targets without their final dot)
 *   __meta_dns_name              the name asked for
 *   __meta_dns_srv_record_target __meta_dns_srv_record_port   (SRV)
 *   __meta_dns_mx_record_target  (MX)    __meta_dns_ns_record_target (NS)
 * (the labels of the other record types are present and empty).
 *
 * SRV, MX and NS go through the system resolver (res_nsearch, which walks
 * resolv.conf's search list like Prometheus's lookupWithSearchPath) and
 * ns_parse. A and AAAA go through getaddrinfo, so /etc/hosts answers too
 * (Prometheus asks the DNS servers only: "localhost" resolves in flint
 * where Prometheus may get NXDOMAIN). A name that does not exist is an
 * empty group, not a failure, as in Prometheus; every other error counts
 * in prometheus_sd_dns_lookup_failures_total and keeps the previous groups.
 */
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <netdb.h>
#include <netinet/in.h>
#include <resolv.h>
#include <stdio.h>
#include <sys/socket.h>

#include "scrape/sd_int.h"

static int add_target(sd_groups *out, sd_group *g, size_t *cap, const char *host, int port, const char *name,
		      const char *srv_target, const char *srv_port, const char *mx, const char *ns)
{
	if (g->n_targets == *cap) {
		size_t nc = *cap ? *cap * 2 : 8;
		labels *v = arena_calloc(&out->a, nc, sizeof *v);
		if (!v)
			return FL_ENOMEM;
		if (g->n_targets)
			memcpy(v, g->targets, g->n_targets * sizeof *v);
		g->targets = v, *cap = nc;
	}
	char addr[1100];
	size_t hl = strlen(host);
	while (hl > 1 && host[hl - 1] == '.')
		hl--;
	bool v6 = memchr(host, ':', hl) != NULL;
	snprintf(addr, sizeof addr, "%s%.*s%s:%d", v6 ? "[" : "", (int)hl, host, v6 ? "]" : "", port);
	label *l = arena_alloc(&out->a, 6 * sizeof *l);
	if (!l)
		return FL_ENOMEM;
	/* sorted by name; empty values are absent labels */
	l[0] = (label){"__address__", arena_strdup(&out->a, addr)};
	l[1] = (label){"__meta_dns_mx_record_target", mx};
	l[2] = (label){"__meta_dns_name", name};
	l[3] = (label){"__meta_dns_ns_record_target", ns};
	l[4] = (label){"__meta_dns_srv_record_port", srv_port};
	l[5] = (label){"__meta_dns_srv_record_target", srv_target};
	size_t n = 0;
	for (size_t i = 0; i < 6; i++)
		if (l[i].value && *l[i].value)
			l[n++] = l[i];
	g->targets[g->n_targets++] = (labels){l, n};
	return 0;
}

static int lookup_addr(const scrape_dns_sd *d, const char *name, sd_groups *out, sd_group *g, err *e)
{
	struct addrinfo hints = {.ai_family = strcmp(d->type, "A") ? AF_INET6 : AF_INET, .ai_socktype = SOCK_STREAM};
	struct addrinfo *res = NULL;
	int rc = getaddrinfo(name, NULL, &hints, &res);
	if (rc == EAI_NONAME || rc == EAI_NODATA || rc == EAI_ADDRFAMILY)
		return 0; /* no such name: an empty group */
	if (rc)
		return err_set(e, FL_EIO, "dns_sd: lookup %s %s: %s", d->type, name, gai_strerror(rc));
	size_t cap = 0;
	const char *nm = arena_strdup(&out->a, name);
	for (struct addrinfo *ai = res; ai && !rc; ai = ai->ai_next) {
		char host[INET6_ADDRSTRLEN];
		const void *src = ai->ai_family == AF_INET ? (const void *)&((struct sockaddr_in *)ai->ai_addr)->sin_addr
							   : (const void *)&((struct sockaddr_in6 *)ai->ai_addr)->sin6_addr;
		if (!inet_ntop(ai->ai_family, src, host, sizeof host))
			continue;
		rc = add_target(out, g, &cap, host, d->port, nm, "", "", "", "");
	}
	freeaddrinfo(res);
	return rc ? err_set(e, FL_ENOMEM, "dns_sd: out of memory") : 0;
}

int sd_dns_parse_answer(const unsigned char *ans, int len, const scrape_dns_sd *d, const char *name, sd_groups *out,
			sd_group *g, err *e)
{
	int type = !strcmp(d->type, "SRV") ? ns_t_srv : !strcmp(d->type, "MX") ? ns_t_mx : ns_t_ns;
	ns_msg msg;
	if (ns_initparse(ans, len, &msg))
		return err_set(e, FL_EIO, "dns_sd: %s: malformed answer", name);
	size_t cap = 0;
	int rc = 0;
	const char *nm = arena_strdup(&out->a, name);
	for (int i = 0; i < ns_msg_count(msg, ns_s_an) && !rc; i++) {
		ns_rr rr;
		if (ns_parserr(&msg, ns_s_an, i, &rr) || (int)ns_rr_type(rr) != type)
			continue; /* CNAMEs and the like */
		const unsigned char *rd = ns_rr_rdata(rr);
		char host[NS_MAXDNAME + 2];
		int port = d->port, off = type == ns_t_srv ? 6 : type == ns_t_mx ? 2 : 0;
		if (ns_rr_rdlen(rr) < off || ns_name_uncompress(ns_msg_base(msg), ns_msg_end(msg), rd + off, host, NS_MAXDNAME) < 0)
			continue;
		size_t hl = strlen(host); /* the record's name, rooted as Prometheus's labels show it */
		if (!hl || host[hl - 1] != '.')
			host[hl] = '.', host[hl + 1] = 0;
		char portbuf[16] = "";
		const char *h = arena_strdup(&out->a, host);
		if (type == ns_t_srv) {
			port = rd[4] << 8 | rd[5];
			snprintf(portbuf, sizeof portbuf, "%d", port);
		}
		rc = add_target(out, g, &cap, host, port, nm, type == ns_t_srv ? h : "", arena_strdup(&out->a, portbuf),
				type == ns_t_mx ? h : "", type == ns_t_ns ? h : "");
	}
	return rc ? err_set(e, FL_ENOMEM, "dns_sd: out of memory") : 0;
}

static int lookup_rr(const scrape_dns_sd *d, const char *name, sd_groups *out, sd_group *g, err *e)
{
	int type = !strcmp(d->type, "SRV") ? ns_t_srv : !strcmp(d->type, "MX") ? ns_t_mx : ns_t_ns;
	struct __res_state rs;
	memset(&rs, 0, sizeof rs);
	if (res_ninit(&rs))
		return err_set(e, FL_EIO, "dns_sd: could not load resolv.conf");
	unsigned char ans[65536];
	int len = res_nsearch(&rs, name, ns_c_in, type, ans, sizeof ans);
	int h_err = rs.res_h_errno;
	res_nclose(&rs);
	if (len < 0 && (h_err == HOST_NOT_FOUND || h_err == NO_DATA))
		return 0;
	if (len < 0)
		return err_set(e, FL_EIO, "could not resolve \"%s\": all servers responded with errors to at least one search domain", name);
	return sd_dns_parse_answer(ans, len, d, name, out, g, e);
}

int sd_dns_refresh(const scrape_dns_sd *d, sd_groups *out, uint64_t *lookups, uint64_t *failures, err *e)
{
	int first = 0;
	for (size_t i = 0; i < d->n_names; i++) {
		sd_group *g = NULL;
		if (out->n == out->cap) {
			size_t nc = out->cap ? out->cap * 2 : 4;
			sd_group *v = arena_calloc(&out->a, nc, sizeof *v);
			if (!v)
				return err_set(e, FL_ENOMEM, "dns_sd: out of memory");
			if (out->n)
				memcpy(v, out->v, out->n * sizeof *v);
			out->v = v, out->cap = nc;
		}
		g = &out->v[out->n++];
		memset(g, 0, sizeof *g);
		err le;
		(*lookups)++;
		int rc = !strcmp(d->type, "A") || !strcmp(d->type, "AAAA") ? lookup_addr(d, d->names[i], out, g, &le)
									 : lookup_rr(d, d->names[i], out, g, &le);
		if (rc) {
			(*failures)++;
			if (!first)
				first = err_set(e, le.code, "%s", le.msg);
		}
	}
	return first;
}
