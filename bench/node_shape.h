/*
 * node_shape.h - node_exporter-like series for the load generators
 * (bench_remote with BENCH_SHAPE=node), so that the node-exporter and
 * Prometheus mixins' rules select real-looking data: 100 series per
 * instance "node-<i / 100>:9100", job "node-exporter":
 *   32  node_cpu_seconds_total{cpu="0".."3", mode=8 modes}
 *    8  node_memory_*_bytes
 *   12  node_filesystem_{avail,size,free}_bytes, _files, _files_free,
 *       _readonly {device, fstype, mountpoint} on / and /data
 *   18  node_network_{receive,transmit}_{bytes,drop,errs,packets}_total,
 *       node_network_up {device="eth0","eth1"}
 *   12  node_disk_*_total {device="sda","sdb"}
 *   18  load, vmstat, timex, filefd, conntrack, textfile, time, up, ...
 * Counters (names ending _total) grow every round; gauges hold steady
 * values that keep the mixins' alerts quiet.
 */
#ifndef FL_BENCH_NODE_SHAPE_H
#define FL_BENCH_NODE_SHAPE_H

#include <stdio.h>
#include <string.h>

#include "tsdb/labels.h"

#define NODE_SERIES_PER_INSTANCE 100

typedef struct node_series {
	char name[64], inst[32], v1[16], v2[16], v3[16];
	label l[8];
	size_t n;
	double gauge;  /* the value of a gauge */
	int counter;   /* grows by counter per round, else 0 */
} node_series;

static const char *const node_cpu_modes[] = {"idle", "user", "system", "iowait", "irq", "softirq", "steal", "nice"};
static const char *const node_mem[] = {"MemTotal", "MemAvailable", "MemFree", "Buffers", "Cached", "SwapTotal", "SwapFree", "Slab"};
static const char *const node_fs[] = {"avail_bytes", "size_bytes", "free_bytes", "files", "files_free", "readonly"};
static const double node_fs_val[] = {6e10, 1e11, 6.5e10, 6e6, 5e6, 0};
static const char *const node_net[] = {"receive_bytes", "transmit_bytes", "receive_drop", "transmit_drop",
				       "receive_errs", "transmit_errs", "receive_packets", "transmit_packets"};
static const char *const node_disk[] = {"reads_completed", "writes_completed", "read_bytes", "written_bytes",
					"io_time_seconds", "io_time_weighted_seconds"};
static const struct { const char *name; double v; } node_misc[] = {
	{"node_load1", 0.5}, {"node_load5", 0.4}, {"node_load15", 0.3}, {"node_vmstat_pgmajfault", 100},
	{"node_timex_offset_seconds", 0.0001}, {"node_timex_maxerror_seconds", 0.01}, {"node_timex_sync_status", 1},
	{"node_filefd_allocated", 2000}, {"node_filefd_maximum", 1e6}, {"node_nf_conntrack_entries", 300},
	{"node_nf_conntrack_entries_limit", 262144}, {"node_textfile_scrape_error", 0}, {"node_boot_time_seconds", 1.7e9},
	{"node_time_seconds", 1.8e9}, {"node_context_switches_total", 0}, {"node_intr_total", 0},
	{"node_forks_total", 0}, {"up", 1}};

static void node_add(node_series *s, const char *name, const char *value)
{
	size_t i = s->n++;
	while (i > 0 && strcmp(s->l[i - 1].name, name) > 0) { /* keep sorted */
		s->l[i] = s->l[i - 1];
		i--;
	}
	s->l[i] = (label){name, value};
}

/* Series i of the fleet into s (its labels point into s). */
static void node_series_of(long i, node_series *s)
{
	int k = (int)(i % NODE_SERIES_PER_INSTANCE);
	memset(s, 0, sizeof *s);
	snprintf(s->inst, sizeof s->inst, "node-%ld:9100", i / NODE_SERIES_PER_INSTANCE);
	node_add(s, "instance", s->inst);
	node_add(s, "job", "node-exporter");
	if (k < 32) {
		snprintf(s->name, sizeof s->name, "node_cpu_seconds_total");
		snprintf(s->v1, sizeof s->v1, "%d", k / 8);
		node_add(s, "cpu", s->v1);
		node_add(s, "mode", node_cpu_modes[k % 8]);
		s->counter = k % 8 == 0 ? 14 : 1;
	} else if ((k -= 32) < 8) {
		snprintf(s->name, sizeof s->name, "node_memory_%s_bytes", node_mem[k]);
		s->gauge = k == 1 || k == 2 ? 6e9 : 8e9;
	} else if ((k -= 8) < 12) {
		snprintf(s->name, sizeof s->name, "node_filesystem_%s", node_fs[k % 6]);
		node_add(s, "device", k < 6 ? "/dev/sda1" : "/dev/sdb1");
		node_add(s, "fstype", "ext4");
		node_add(s, "mountpoint", k < 6 ? "/" : "/data");
		s->gauge = node_fs_val[k % 6];
	} else if ((k -= 12) < 18) {
		if (k < 16)
			snprintf(s->name, sizeof s->name, "node_network_%s_total", node_net[k % 8]);
		else
			snprintf(s->name, sizeof s->name, "node_network_up");
		node_add(s, "device", k < 16 ? (k < 8 ? "eth0" : "eth1") : (k == 16 ? "eth0" : "eth1"));
		s->counter = k < 16 && k % 8 < 2 ? 100000 : 0;
		s->gauge = k < 16 ? 0 : 1;
	} else if ((k -= 18) < 12) {
		snprintf(s->name, sizeof s->name, "node_disk_%s_total", node_disk[k % 6]);
		node_add(s, "device", k < 6 ? "sda" : "sdb");
		s->counter = 3;
	} else {
		k -= 12;
		snprintf(s->name, sizeof s->name, "%s", node_misc[k].name);
		s->gauge = node_misc[k].v;
		s->counter = strstr(s->name, "_total") ? 50 : 0;
	}
	node_add(s, "__name__", s->name);
}

static double node_value(const node_series *s, long round)
{
	return s->counter ? (double)(round * s->counter) + 1000 : s->gauge;
}

#endif
