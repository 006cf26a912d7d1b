/*
 * queue.c - one remote_write entry: Prometheus's QueueManager without its
 * in-memory copy of the head. Its watcher thread tails the WAL
 * (watcher.c) into a series cache (ref -> labels after external labels and
 * write_relabel_configs, as StoreSeries builds them) and appends samples
 * to shards by series ref (ref % shards: order kept per series); the shard
 * threads (queue_send.c) cut batches and POST them.
 *
 * Memory is bounded by capacity x shards entries: when a shard is full
 * the watcher waits (enqueue_retries_total), so the WAL, not memory,
 * holds a receiver's outage. Every second the watcher writes the position
 * of the lowest entry not yet acknowledged (or the last record consumed)
 * to <data>/remote_write/<hash>.pos; a restart resumes there.
 *
 * Resharding: every 10 s the rates of samples in, out and dropped and the
 * send time are ticked into EWMAs (alpha 0.2) and Prometheus's
 * calculateDesiredShards picks the shard count (rw_desired_shards). A
 * reshard drains the shards (they send what they hold), then starts the
 * new number; it is skipped while sends fail, as Prometheus skips it.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lib/fsutil.h"
#include "lib/hash.h"
#include "lib/log.h"
#include "remote/sigv4.h"
#include "remote/write_int.h"
#include "tsdb/relabel.h"

#define SHARD_UPDATE_MS 10000
#define EWMA_ALPHA 0.2
#define SHARD_TOLERANCE 0.3

int64_t rw__clock_ms(clockid_t clk)
{
	struct timespec ts;
	clock_gettime(clk, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void rw__cond_wait_ms(pthread_cond_t *cond, pthread_mutex_t *mu, int64_t ms)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (long)(ms % 1000) * 1000000;
	if (ts.tv_nsec >= 1000000000)
		ts.tv_sec++, ts.tv_nsec -= 1000000000;
	pthread_cond_timedwait(cond, mu, &ts);
}

/* ---- the series cache (watcher thread only) ---- */

typedef struct series_slot {
	uint32_t tag;
	uint64_t ref;
	rw_series_ent *s;
} series_slot;

/* splitmix64's finalizer: refs are small dense integers. */
static inline uint64_t ref_hash(uint64_t x)
{
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

static uint64_t slot_hash(const void *e) { return ref_hash(((const series_slot *)e)->ref); }
static bool slot_eq(const void *e, const void *key) { return ((const series_slot *)e)->ref == *(const uint64_t *)key; }
static const map_type series_map = {sizeof(series_slot), 1024, slot_hash, slot_eq};

static void ent_unref(rw_series_ent *s)
{
	if (s && atomic_fetch_sub(&s->refs, 1) == 1)
		fl_free(s);
}

/* One allocation: the struct, then for 1.0 the Label fields
 * (rw_batch_encode copies them into each request), for 2.0 the label
 * array and the strings. */
static rw_series_ent *ent_new(labels ls, bool dropped, int seg, rw_version v, uint64_t in_hash)
{
	size_t bytes = sizeof(rw_series_ent);
	if (v == RW_V1)
		bytes += rw_labels_pb_size(ls);
	else {
		bytes += ls.n * sizeof(label);
		for (size_t i = 0; i < ls.n; i++)
			bytes += strlen(ls.v[i].name) + strlen(ls.v[i].value) + 2;
	}
	rw_series_ent *s = fl_malloc(bytes);
	if (!s)
		return NULL;
	memset(s, 0, sizeof *s);
	atomic_init(&s->refs, 1);
	s->seg = seg;
	s->dropped = dropped;
	s->in_hash = in_hash;
	if (v == RW_V1) {
		s->pb_len = bytes - sizeof *s;
		rw_labels_pb_put((uint8_t *)(s + 1), ls);
		return s;
	}
	label *lv = (label *)(s + 1);
	char *p = (char *)(lv + ls.n);
	for (size_t i = 0; i < ls.n; i++) {
		size_t a = strlen(ls.v[i].name) + 1, b = strlen(ls.v[i].value) + 1;
		lv[i].name = memcpy(p, ls.v[i].name, a);
		lv[i].value = memcpy(p + a, ls.v[i].value, b);
		p += a + b;
	}
	s->ls = (labels){lv, ls.n};
	return s;
}

/* External labels the series lacks, then write_relabel_configs
 * (Prometheus's StoreSeries order). false: dropped. */
static bool series_labels(rw_queue *q, labels in, labels *out)
{
	labels_builder_reset(&q->lb, in);
	for (size_t i = 0; i < q->ext.n; i++)
		if (!labels_get(in, q->ext.v[i].name))
			labels_builder_set(&q->lb, q->ext.v[i].name, q->ext.v[i].value);
	labels ls = labels_builder_labels(&q->lb);
	arena_reset(&q->relabel_scratch);
	if (q->cfg->n_write_relabel_configs) {
		if (!relabel_process(q->cfg->write_relabel_configs, q->cfg->n_write_relabel_configs, ls, &q->rb,
				     &q->relabel_scratch))
			return false;
		ls = labels_builder_labels(&q->rb);
	}
	*out = ls;
	return ls.n > 0;
}

/* A hash of labels as the WAL gives them, to tell a series seen again
 * from a ref given new labels: xxhash64 over "name\xffvalue\xff..." in
 * blocks of up to 512 bytes (one call per block, not per string). */
static uint64_t wal_labels_hash(labels ls)
{
	uint8_t b[512];
	size_t n = 0;
	uint64_t h = 0;
	for (size_t i = 0; i < 2 * ls.n; i++) {
		const char *str = i & 1 ? ls.v[i / 2].value : ls.v[i / 2].name;
		size_t k = strlen(str);
		if (n + k + 1 > sizeof b) {
			h = (h ^ hash_xxh64(b, n)) * 0x9e3779b97f4a7c15ULL;
			n = 0;
		}
		if (k + 1 > sizeof b) { /* a long string: a block of its own */
			h = (h ^ hash_xxh64(str, k)) * 0x9e3779b97f4a7c15ULL;
			k = 0;
		}
		memcpy(b + n, str, k);
		n += k;
		b[n++] = 0xff;
	}
	return h ^ hash_xxh64(b, n);
}

static void on_series(void *ctx, const record_series *s, size_t n, int seg)
{
	rw_queue *q = ctx;
	for (size_t i = 0; i < n; i++) {
		uint64_t h = ref_hash(s[i].ref);
		series_slot *sl = map_slot(&q->series, &series_map, h, &s[i].ref);
		if (!sl)
			return;
		uint64_t in_hash = wal_labels_hash(s[i].ls);
		if (sl->tag && sl->s && sl->s->in_hash == in_hash && !sl->s->dropped) {
			sl->s->seg = seg; /* seen again (a checkpoint, a restart) */
			continue;
		}
		labels ls = {0};
		bool kept = series_labels(q, s[i].ls, &ls);
		rw_series_ent *e = ent_new(kept ? ls : (labels){0}, !kept, seg, q->version, in_hash);
		if (!e)
			return;
		if (sl->tag) {
			ent_unref(sl->s);
			sl->s = e;
			continue;
		}
		sl->tag = (uint32_t)(h | 1);
		sl->ref = s[i].ref;
		sl->s = e;
		map_added(&q->series, sl);
	}
}

static void on_reset(void *ctx, int checkpoint)
{
	rw_queue *q = ctx;
	series_slot *sl;
	for (;;) { /* map_del moves entries: restart the scan after each */
		bool found = false;
		for (size_t i = 0; (sl = map_next(&q->series, &series_map, &i));)
			if (sl->s->seg < checkpoint) {
				ent_unref(sl->s);
				map_del(&q->series, &series_map, sl);
				found = true;
				break;
			}
		if (!found)
			break;
	}
}

static void write_pos(rw_queue *q);

static void max_store(_Atomic int64_t *a, int64_t v)
{
	int64_t cur = atomic_load(a);
	while (v > cur && !atomic_compare_exchange_weak(a, &cur, v))
		;
}

/* Append one sample to its shard, waiting while the shard is full. The
 * shard's mutex stays held (*held) for the next samples of the record: a
 * record costs one lock per run of samples bound for the same shard. */
static bool enqueue(rw_queue *q, rw_shard **held, rw_series_ent *s, const record_sample *x, rw_pos at)
{
	rw_shard *sh = &q->shards[x->ref % (uint64_t)q->n_shards];
	size_t cap = (size_t)q->cfg->queue.capacity;
	if (*held != sh) {
		if (*held)
			pthread_mutex_unlock(&(*held)->mu);
		pthread_mutex_lock(&sh->mu);
		*held = sh;
	}
	bool counted = false;
	while (sh->count >= cap) {
		if (atomic_load(&q->stopping))
			return false;
		if (!counted)
			atomic_fetch_add(&q->st.enqueue_retries, 1), counted = true;
		if (atomic_exchange(&q->pos_dirty, false)) { /* acknowledged while we wait */
			pthread_mutex_unlock(&sh->mu);
			write_pos(q);
			pthread_mutex_lock(&sh->mu);
			continue;
		}
		rw__cond_wait_ms(&sh->space, &sh->mu, 100);
	}
	rw_entry *e = &sh->ring[(sh->head + sh->count) % cap];
	atomic_fetch_add(&s->refs, 1);
	*e = (rw_entry){s, x->t, x->v, at.seg, at.idx, at.off};
	if (!sh->count++)
		sh->batch_start_ms = rw__mono_ms();
	if (sh->count == 1 || sh->count == (size_t)q->cfg->queue.max_samples_per_send)
		pthread_cond_signal(&sh->cond);
	return true;
}

static bool on_samples(void *ctx, const record_sample *x, size_t n, rw_pos at)
{
	rw_queue *q = ctx;
	rw_shard *held = NULL;
	bool ok = true;
	int64_t in = 0, unknown = 0, dropped = 0, highest = INT64_MIN; /* counted once per record */
	for (size_t i = 0; i < n && ok; i++) {
		if (q->resume_n) { /* before the last run's positions: sent already? */
			rw_pos here = {at.seg, at.off, false, at.idx + (int32_t)i};
			if (!rw_pos_before(here, q->resume_end))
				q->resume_n = 0;
			else if (rw_pos_before(here, q->resume[x[i].ref % (uint64_t)q->resume_n]))
				continue;
		}
		series_slot *sl = map_find(&q->series, &series_map, ref_hash(x[i].ref), &x[i].ref);
		if (!sl) {
			unknown++;
			continue;
		}
		if (x[i].t > highest)
			highest = x[i].t;
		if (sl->s->dropped) {
			dropped++;
			continue;
		}
		q->mid = (rw_pos){at.seg, at.off, false, at.idx + (int32_t)i};
		if (highest > atomic_load(&q->st.highest_ts_ms) && in % 256 == 0)
			max_store(&q->st.highest_ts_ms, highest); /* before a wait for space, too */
		if ((ok = enqueue(q, &held, sl->s, &x[i], q->mid)))
			in++;
	}
	if (held)
		pthread_mutex_unlock(&held->mu);
	if (highest != INT64_MIN)
		max_store(&q->st.highest_ts_ms, highest);
	if (in)
		atomic_fetch_add(&q->data_in, in);
	if (unknown)
		atomic_fetch_add(&q->st.dropped_unknown, unknown);
	if (dropped)
		atomic_fetch_add(&q->st.dropped_series, dropped);
	if (unknown + dropped)
		atomic_fetch_add(&q->data_dropped, unknown + dropped);
	if (ok)
		q->mid.seg = -1;
	return ok;
}

/* ---- positions ---- */

int rw_pos_parse(const char *s, rw_pos *p)
{
	int seg, skip, idx = 0;
	long long off;
	int n = sscanf(s, "%d %lld %d %d", &seg, &off, &skip, &idx);
	if (n < 3 || seg < 0 || off < 0 || (skip != 0 && skip != 1) || idx < 0)
		return -1;
	*p = (rw_pos){seg, off, skip == 1, idx};
	return 0;
}

int rw_pos_file_parse(const char *s, rw_pos *p, rw_pos *shard, int *n)
{
	*n = 0;
	if (rw_pos_parse(s, p))
		return -1;
	const char *l = strstr(s, "\nshards ");
	int k;
	if (!l || sscanf(l + 8, "%d", &k) != 1 || k <= 0 || k > RW_POS_SHARDS)
		return 0;
	for (int i = 0; i < k; i++) {
		l = strchr(l + 1, '\n');
		if (!l || rw_pos_parse(l + 1, &shard[i]))
			return 0;
	}
	*n = k;
	return 0;
}

void rw_pos_file_format(char *out, size_t cap, rw_pos p, const rw_pos *shard, int n)
{
	size_t len = (size_t)snprintf(out, cap, "%d %lld %d %d\n", p.seg, (long long)p.off, p.skip ? 1 : 0, (int)p.idx);
	if (n > 0 && n <= RW_POS_SHARDS && len < cap)
		len += (size_t)snprintf(out + len, cap - len, "shards %d\n", n);
	for (int i = 0; i < n && n <= RW_POS_SHARDS && len < cap; i++)
		len += (size_t)snprintf(out + len, cap - len, "%d %lld %d %d\n", shard[i].seg, (long long)shard[i].off,
					shard[i].skip ? 1 : 0, (int)shard[i].idx);
}

bool rw_pos_before(rw_pos a, rw_pos b)
{
	if (a.seg != b.seg)
		return a.seg < b.seg;
	if (a.off != b.off)
		return a.off < b.off;
	if (a.skip != b.skip)
		return !a.skip;
	return !a.skip && a.idx < b.idx;
}

/* The lowest position not yet acknowledged, and each shard's (its first
 * pending sample, or what the watcher consumed when it has none). */
static rw_pos queue_pos(rw_queue *q, rw_pos *shard)
{
	rw_pos base = q->w.cur;
	if (rw_pos_before(base, q->w.send_from))
		base = q->w.send_from;
	if (q->mid.seg >= 0)
		base = q->mid;
	rw_pos p = base;
	for (int i = 0; i < q->n_shards; i++) {
		rw_shard *sh = &q->shards[i];
		pthread_mutex_lock(&sh->mu);
		rw_pos c = base;
		if (sh->count) {
			const rw_entry *e = &sh->ring[sh->head];
			c = (rw_pos){e->seg, e->off, false, e->idx};
		}
		pthread_mutex_unlock(&sh->mu);
		/* a shard of the last run not reached yet keeps its old position */
		if (q->resume_n == q->n_shards && rw_pos_before(c, q->resume[i]))
			c = q->resume[i];
		shard[i] = c;
		if (rw_pos_before(c, p))
			p = c;
	}
	return p;
}

void rw__write_pos(rw_queue *q) { write_pos(q); }

static void write_pos(rw_queue *q)
{
	rw_pos shard[RW_POS_SHARDS];
	rw_pos p = queue_pos(q, shard);
	atomic_store(&q->lowest_segment, p.seg);
	char text[sizeof q->last_pos_text + 1024];
	rw_pos_file_format(text, sizeof q->last_pos_text, p, shard, q->n_shards <= RW_POS_SHARDS ? q->n_shards : 0);
	if (!strcmp(text, q->last_pos_text))
		return;
	/* written in place, one pwrite of the whole text padded with newlines
	 * over what the file held (the parser reads only the lines it needs):
	 * after every acknowledged batch, a new file and a rename each time
	 * cost the kernel more than the batch's encoding */
	size_t n = strlen(text);
	if (q->pos_fd < 0)
		q->pos_fd = open(q->pos_path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	struct stat sb;
	size_t len = q->pos_fd >= 0 && fstat(q->pos_fd, &sb) == 0 && (size_t)sb.st_size > n ? (size_t)sb.st_size : n;
	if (len > sizeof text - 1)
		len = sizeof text - 1;
	memset(text + n, '\n', len - n);
	if (q->pos_fd < 0 || pwrite(q->pos_fd, text, len, 0) != (ssize_t)len) {
		log_warn("remote", "Cannot write the queue position", "file", q->pos_path, "err", strerror(errno), NULL);
		return;
	}
	text[n] = 0;
	memcpy(q->last_pos_text, text, n + 1);
	q->acked = p;
}

/* ---- resharding ---- */

int rw_desired_shards(int cur, int min_shards, int max_shards, double rate_in, double rate_out, double rate_dropped,
		      double out_seconds_per_second, double delay_seconds, double *desired)
{
	if (rate_out <= 0)
		return cur;
	double kept = rate_out / (rate_dropped + rate_out);
	double pending = delay_seconds * rate_in * kept;
	double want = out_seconds_per_second / rate_out * (rate_in * kept + 0.05 * pending);
	if (desired)
		*desired = want;
	double lo = cur * (1 - SHARD_TOLERANCE), hi = cur * (1 + SHARD_TOLERANCE);
	want = ceil(want);
	if (lo <= want && want <= hi)
		return cur;
	int n = want > max_shards ? max_shards : (int)want;
	if (n < cur && delay_seconds > 10)
		return cur; /* do not downshard while more than 10 s behind */
	if (n < min_shards)
		n = min_shards;
	return n;
}

static void ewma(double *rate, int64_t events, bool init)
{
	double instant = (double)events / (SHARD_UPDATE_MS / 1000.0);
	*rate = init ? *rate + EWMA_ALPHA * (instant - *rate) : instant;
}

static void maybe_reshard(rw_queue *q, int64_t now)
{
	if (now - q->last_reshard_tick_ms < SHARD_UPDATE_MS)
		return;
	q->last_reshard_tick_ms = now;
	ewma(&q->rate_in, atomic_exchange(&q->data_in, 0), q->rates_init);
	ewma(&q->rate_out, atomic_exchange(&q->data_out, 0), q->rates_init);
	ewma(&q->rate_out_us, atomic_exchange(&q->data_out_us, 0), q->rates_init);
	ewma(&q->rate_dropped, atomic_exchange(&q->data_dropped, 0), q->rates_init);
	q->rates_init = true;
	double delay = (double)(atomic_load(&q->st.highest_ts_ms) - atomic_load(&q->st.highest_sent_ts_ms)) / 1000.0;
	double desired = q->n_shards;
	int n = rw_desired_shards(q->n_shards, (int)q->cfg->queue.min_shards, (int)q->cfg->queue.max_shards,
				  q->rate_in, q->rate_out, q->rate_dropped, q->rate_out_us / 1e6, delay, &desired);
	atomic_store(&q->st.shards_desired_milli, (int64_t)(desired * 1000));
	if (n == q->n_shards || atomic_load(&q->last_send_ok_ms) < now - SHARD_UPDATE_MS)
		return;
	char a[16], b[16];
	snprintf(a, sizeof a, "%d", q->n_shards);
	snprintf(b, sizeof b, "%d", n);
	log_info("remote", "Remote storage resharding", "remote_name", q->name, "from", a, "to", b, NULL);
	pthread_mutex_lock(&q->shards_mu);
	rw__shards_stop(q);
	err e = {0};
	if (rw__shards_start(q, n, &e) && rw__shards_start(q, 1, &e))
		log_error("remote", "Cannot start shards", "remote_name", q->name, "err", e.msg, NULL);
	pthread_mutex_unlock(&q->shards_mu);
}

/* ---- the watcher thread ---- */

static void *queue_main(void *arg)
{
	rw_queue *q = arg;
	int64_t last_pos = 0;
	for (;;) {
		int rc = wal_watcher_step(&q->w);
		int64_t now = rw__mono_ms();
		if (atomic_exchange(&q->pos_dirty, false) || now - last_pos >= 1000) {
			write_pos(q);
			last_pos = now;
		}
		if (rc < 0 || atomic_load(&q->stopping) || (rc == 0 && atomic_load(&q->flushing)))
			break;
		maybe_reshard(q, now);
		if (rc > 0)
			continue;
		pthread_mutex_lock(&q->mu);
		if (!q->notified) /* polled every 100 ms; notify wakes it sooner */
			rw__cond_wait_ms(&q->wake, &q->mu, 100);
		q->notified = false;
		pthread_mutex_unlock(&q->mu);
	}
	return NULL;
}

void rw_queue_notify(rw_queue *q)
{
	pthread_mutex_lock(&q->mu);
	q->notified = true;
	pthread_cond_signal(&q->wake);
	pthread_mutex_unlock(&q->mu);
}

rw_queue *rw_queue_new(const scrape_remote_config *cfg, const char *hash, const char *data_dir, labels ext,
		       int64_t flush_deadline_ms, err *e)
{
	rw_queue *q = fl_calloc(1, sizeof *q);
	if (!q) {
		err_set(e, FL_ENOMEM, "out of memory");
		return NULL;
	}
	q->cfg = cfg;
	q->ext = ext;
	snprintf(q->hash, sizeof q->hash, "%s", hash);
	if (cfg->name && *cfg->name)
		snprintf(q->name, sizeof q->name, "%s", cfg->name);
	else
		snprintf(q->name, sizeof q->name, "%.6s", hash);
	q->version = cfg->protobuf_message && !strcmp(cfg->protobuf_message, "io.prometheus.write.v2.Request") ? RW_V2 : RW_V1;
	q->flush_deadline_ms = flush_deadline_ms;
	snprintf(q->pos_path, sizeof q->pos_path, "%s/remote_write/%s.pos", data_dir, hash);
	q->pos_fd = -1;
	map_init(&q->series);
	labels_builder_init(&q->lb);
	labels_builder_init(&q->rb);
	arena_init(&q->relabel_scratch);
	pthread_mutex_init(&q->mu, NULL);
	pthread_mutex_init(&q->shards_mu, NULL);
	pthread_cond_init(&q->wake, NULL);
	q->shards = fl_calloc((size_t)cfg->queue.max_shards, sizeof *q->shards);
	if (cfg->sigv4)
		q->signer = sigv4_signer_new(cfg->sigv4, e);
	if (!q->shards || (cfg->sigv4 && !q->signer)) {
		fl_free(q->shards);
		fl_free(q);
		if (!e->code)
			err_set(e, FL_ENOMEM, "out of memory");
		return NULL;
	}
	rw_pos from = {-1, 0, false, 0};
	buf b;
	buf_init(&b);
	err pe = {0};
	if (!buf_read_file(&b, q->pos_path, &pe) && !b.oom &&
	    rw_pos_file_parse(buf_cstr(&b), &from, q->resume, &q->resume_n))
		from = (rw_pos){-1, 0, false, 0};
	if (q->resume_n < cfg->queue.min_shards || q->resume_n > cfg->queue.max_shards)
		q->resume_n = 0;
	for (int i = 0; i < q->resume_n; i++)
		if (i == 0 || rw_pos_before(q->resume_end, q->resume[i]))
			q->resume_end = q->resume[i];
	buf_reset(&b);
	char wal_dir[1100];
	snprintf(wal_dir, sizeof wal_dir, "%s/wal", data_dir);
	wal_watcher_sink sink = {q, on_series, on_samples, on_reset};
	wal_watcher_init(&q->w, wal_dir, from, &sink);
	q->acked = (rw_pos){-1, 0, false, 0};
	q->mid = (rw_pos){-1, 0, false, 0};
	atomic_store(&q->lowest_segment, q->w.send_from.seg);
	q->last_reshard_tick_ms = rw__mono_ms();
	atomic_store(&q->last_send_ok_ms, rw__mono_ms());
	return q;
}

int rw_queue_start(rw_queue *q, err *e)
{
	if (rw__shards_start(q, q->resume_n ? q->resume_n : (int)q->cfg->queue.min_shards, e))
		return e->code;
	if (pthread_create(&q->th, NULL, queue_main, q)) {
		rw__shards_stop(q);
		return err_set(e, FL_ENOMEM, "cannot start the remote write queue thread");
	}
	q->started = true;
	return 0;
}

int64_t rw_queue_pending(rw_queue *q)
{
	int64_t n = 0;
	pthread_mutex_lock(&q->shards_mu);
	for (int i = 0; i < q->n_shards; i++) {
		pthread_mutex_lock(&q->shards[i].mu);
		n += (int64_t)q->shards[i].count;
		pthread_mutex_unlock(&q->shards[i].mu);
	}
	pthread_mutex_unlock(&q->shards_mu);
	return n;
}

void rw_queue_free(rw_queue *q)
{
	if (!q)
		return;
	int64_t deadline = rw__mono_ms() + q->flush_deadline_ms;
	atomic_store(&q->flushing, true);
	rw_queue_notify(q);
	/* the watcher reads up to the end of the WAL, then exits; the shards
	 * send partial batches at once; after the deadline both give up */
	for (int stopped = 0; q->started;) {
		bool past = rw__mono_ms() >= deadline;
		if (past && !stopped)
			atomic_store(&q->stopping, true), stopped = 1;
		if (pthread_tryjoin_np(q->th, NULL) == 0)
			break;
		usleep(20000);
	}
	while (rw_queue_pending(q) && rw__mono_ms() < deadline)
		usleep(20000);
	atomic_store(&q->abort_sends, true);
	pthread_mutex_lock(&q->shards_mu);
	rw__shards_stop(q); /* writes the final position */
	pthread_mutex_unlock(&q->shards_mu);
	series_slot *sl;
	for (size_t i = 0; (sl = map_next(&q->series, &series_map, &i));)
		ent_unref(sl->s);
	map_free(&q->series);
	wal_watcher_free(&q->w);
	labels_builder_free(&q->lb);
	labels_builder_free(&q->rb);
	arena_reset(&q->relabel_scratch);
	pthread_mutex_destroy(&q->mu);
	pthread_cond_destroy(&q->wake);
	fl_free(q->shards);
	pthread_mutex_destroy(&q->shards_mu);
	if (q->pos_fd >= 0)
		close(q->pos_fd);
	rw__cfg_release(q->hold);
	sigv4_signer_free(q->signer);
	fl_free(q);
}
