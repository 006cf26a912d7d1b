/*
 * agent.c - the agent's WAL-only storage (Prometheus tsdb/agent/db.go);
 * what it keeps and when it truncates is in agent.h.
 *
 * The series live in two maps over the same aseries objects (by ref for
 * scrapes that cache refs and for replayed samples, by label hash for new
 * labels), both guarded by mu. `deleted` holds the refs truncation dropped
 * from memory with the last segment that may still hold their samples (a
 * checkpoint keeps their series record until the WAL is past it); `dups`
 * (replay only) maps a ref a label set was logged under a second time to
 * the first one. seg_maxt[i - seg_base] is the newest sample time committed
 * into segment i (from replay and commits), which turns "the segments every
 * queue has read" into "the time every queue has sent up to".
 */
#include "tsdb/agent.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lib/fmtfloat.h"
#include "lib/fsutil.h"
#include "lib/log.h"
#include "lib/map.h"
#include "tsdb/record.h"
#include "tsdb/wal.h"

#define AGENT_TRUNCATE_FREQUENCY_MS (2 * 3600 * 1000LL)
#define AGENT_MIN_WAL_TIME_MS (5 * 60 * 1000LL)
#define AGENT_MAX_WAL_TIME_MS (4 * 3600 * 1000LL)

typedef struct aseries {
	uint64_t ref;    /* never reused while the process lives */
	uint64_t hash;   /* labels_hash(ls) */
	int64_t last_ts; /* newest committed sample, INT64_MIN before the first (under mu) */
	labels ls;       /* labels_dup'ed, owned */
} aseries;

/* An entry of by_ref / by_lbl: the tag is 1, the series pointer follows. */
typedef struct sslot {
	uint32_t tag;
	uint32_t pad;
	aseries *s;
} sslot;

/* An entry of deleted / dups: key -> (seg, val). */
typedef struct u64slot {
	uint32_t tag;
	int32_t seg;
	uint64_t key;
	uint64_t val;
} u64slot;

static uint64_t mix64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	return x ^ (x >> 33);
}

static uint64_t ref_hash(const void *e) { return mix64(((const sslot *)e)->s->ref); }
static bool ref_eq(const void *e, const void *k) { return ((const sslot *)e)->s->ref == *(const uint64_t *)k; }
static const map_type ref_type = {sizeof(sslot), 64, ref_hash, ref_eq};

static uint64_t lbl_hash(const void *e) { return ((const sslot *)e)->s->hash; }
static bool lbl_eq(const void *e, const void *k) { return labels_equal(((const sslot *)e)->s->ls, *(const labels *)k); }
static const map_type lbl_type = {sizeof(sslot), 64, lbl_hash, lbl_eq};

static uint64_t u64_hash(const void *e) { return mix64(((const u64slot *)e)->key); }
static bool u64_eq(const void *e, const void *k) { return ((const u64slot *)e)->key == *(const uint64_t *)k; }
static const map_type u64_type = {sizeof(u64slot), 16, u64_hash, u64_eq};

struct agent_db {
	char dir[2048];
	char waldir[2100];
	agent_opts o;
	int lock_fd;
	wal *w;

	pthread_mutex_t mu; /* everything below up to the stats */
	map by_ref, by_lbl; /* sslot */
	map deleted;        /* u64slot: ref -> seg (last segment that may hold its samples) */
	uint64_t next_ref;  /* last ref handed out */
	int64_t *seg_maxt;  /* newest sample time per segment, from seg_base */
	int seg_base;
	size_t n_seg;
	int64_t seg_floor;  /* newest sample time of the segments truncated away (all sent or expired) */
	agent_stats st;

	pthread_mutex_t trunc_mu; /* one truncation at a time */
	pthread_t thread;
	bool running;
	pthread_mutex_t stop_mu;
	pthread_cond_t stop_cv;
	bool stop;
};

static int64_t real_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* ---- the series maps (mu held) ---- */

static aseries *find_ref(agent_db *a, uint64_t ref)
{
	sslot *e = map_find(&a->by_ref, &ref_type, mix64(ref), &ref);
	return e ? e->s : NULL;
}

static aseries *find_lbl(agent_db *a, uint64_t h, labels ls)
{
	sslot *e = map_find(&a->by_lbl, &lbl_type, h, &ls);
	return e ? e->s : NULL;
}

/* A new series under ref (labels copied). NULL when out of memory. */
static aseries *series_add(agent_db *a, uint64_t ref, uint64_t h, labels ls)
{
	aseries *s = fl_malloc(sizeof *s);
	if (!s)
		return NULL;
	*s = (aseries){.ref = ref, .hash = h, .last_ts = INT64_MIN, .ls = labels_dup(ls)};
	sslot *r = s->ls.v || !ls.n ? map_slot(&a->by_ref, &ref_type, mix64(ref), &ref) : NULL;
	sslot *l = r ? map_slot(&a->by_lbl, &lbl_type, h, &ls) : NULL;
	if (!l) {
		fl_free((void *)s->ls.v);
		fl_free(s);
		return NULL;
	}
	*r = (sslot){1, 0, s};
	map_added(&a->by_ref, r);
	*l = (sslot){1, 0, s};
	map_added(&a->by_lbl, l);
	a->st.active_series++;
	return s;
}

static void series_del(agent_db *a, aseries *s)
{
	sslot *e = map_find(&a->by_ref, &ref_type, mix64(s->ref), &s->ref);
	if (e)
		map_del(&a->by_ref, &ref_type, e);
	e = map_find(&a->by_lbl, &lbl_type, s->hash, &s->ls);
	if (e)
		map_del(&a->by_lbl, &lbl_type, e);
	fl_free((void *)s->ls.v);
	fl_free(s);
	a->st.active_series--;
}

/* key -> (seg, val) in m, seg only raised. 0 or FL_ENOMEM. */
static int u64_set(map *m, uint64_t key, int seg, uint64_t val)
{
	u64slot *e = map_slot(m, &u64_type, mix64(key), &key);
	if (!e)
		return FL_ENOMEM;
	if (map_used(e)) {
		if (seg > e->seg)
			e->seg = seg;
		e->val = val;
		return 0;
	}
	*e = (u64slot){1, seg, key, val};
	map_added(m, e);
	return 0;
}

static u64slot *u64_get(map *m, uint64_t key) { return map_find(m, &u64_type, mix64(key), &key); }

/* Raise the newest sample time of segments [lo, hi] to t. */
static void seg_note(agent_db *a, int lo, int hi, int64_t t)
{
	if (lo < 0 || hi < lo)
		return;
	if (!a->n_seg)
		a->seg_base = lo;
	if (lo < a->seg_base)
		lo = a->seg_base;
	size_t need = (size_t)(hi - a->seg_base) + 1;
	if (need > a->n_seg) {
		size_t cap = a->n_seg;
		if (!fl_grow((void **)&a->seg_maxt, &cap, need, sizeof *a->seg_maxt))
			return; /* only costs truncation a bound */
		for (size_t i = a->n_seg; i < need; i++)
			a->seg_maxt[i] = INT64_MIN;
		a->n_seg = need;
	}
	for (int i = lo; i <= hi; i++)
		if (t > a->seg_maxt[i - a->seg_base])
			a->seg_maxt[i - a->seg_base] = t;
}

static int64_t seg_maxt(const agent_db *a, int seg)
{
	if (seg < a->seg_base || (size_t)(seg - a->seg_base) >= a->n_seg)
		return INT64_MIN;
	return a->seg_maxt[seg - a->seg_base];
}

/* Forget segments below `before`. */
static void seg_trim(agent_db *a, int before)
{
	if (before <= a->seg_base || !a->n_seg)
		return;
	size_t k = (size_t)(before - a->seg_base);
	if (k > a->n_seg)
		k = a->n_seg;
	for (size_t i = 0; i < k; i++)
		if (a->seg_maxt[i] > a->seg_floor)
			a->seg_floor = a->seg_maxt[i];
	memmove(a->seg_maxt, a->seg_maxt + k, (a->n_seg - k) * sizeof *a->seg_maxt);
	a->n_seg -= k;
	a->seg_base = before;
}

/* ---- the appender ---- */

typedef struct agent_app {
	appender base;
	agent_db *db;
	arena a;                  /* labels of the new series */
	record_series *series;    /* created by this appender, logged at commit or rollback */
	size_t n_series, cap_series;
	record_sample *samples;
	size_t n_samples, cap_samples;
} agent_app;

/* The label set without empty values (Prometheus's WithoutEmpty), checked. */
static int clean_labels(agent_app *p, labels ls, labels *out, err *e)
{
	size_t n = 0;
	for (size_t i = 0; i < ls.n; i++)
		n += ls.v[i].value[0] != 0;
	if (n == ls.n) {
		*out = ls;
	} else {
		label *v = arena_alloc(&p->a, (n ? n : 1) * sizeof *v);
		if (!v)
			return err_set(e, FL_ENOMEM, "out of memory");
		n = 0;
		for (size_t i = 0; i < ls.n; i++)
			if (ls.v[i].value[0])
				v[n++] = ls.v[i];
		*out = (labels){v, n};
	}
	if (!out->n)
		return err_set(e, FL_EINVAL, "empty labelset: invalid sample");
	for (size_t i = 0; i + 1 < out->n; i++)
		if (strcmp(out->v[i].name, out->v[i + 1].name) >= 0)
			return err_set(e, FL_EINVAL, strcmp(out->v[i].name, out->v[i + 1].name)
						  ? "label set is not sorted: invalid sample"
						  : "label name \"%s\" is not unique: invalid sample", out->v[i].name);
	return 0;
}

static int app_append(appender *ap, series_ref ref, labels ls, int64_t t, double v, series_ref *out_ref, err *e)
{
	agent_app *p = (agent_app *)ap;
	agent_db *a = p->db;
	if (out_ref)
		*out_ref = 0;
	pthread_mutex_lock(&a->mu);
	aseries *s = ref ? find_ref(a, ref) : NULL;
	labels cl = {NULL, 0};
	bool created = false;
	if (!s) {
		pthread_mutex_unlock(&a->mu);
		int rc = clean_labels(p, ls, &cl, e);
		if (rc)
			return rc;
		uint64_t h = labels_hash(cl);
		pthread_mutex_lock(&a->mu);
		if (!(s = find_lbl(a, h, cl))) {
			if (!(s = series_add(a, a->next_ref + 1, h, cl))) {
				pthread_mutex_unlock(&a->mu);
				return err_set(e, FL_ENOMEM, "out of memory");
			}
			a->next_ref++;
			created = true;
		}
	}
	if (t <= s->last_ts) {
		a->st.out_of_order++;
		pthread_mutex_unlock(&a->mu);
		return err_set(e, FL_EOUT_OF_ORDER, "out of order sample");
	}
	uint64_t sref = s->ref;
	a->st.samples_appended++;
	pthread_mutex_unlock(&a->mu);
	if (created) {
		labels cp = labels_copy(&p->a, cl);
		if ((cl.n && !cp.v) ||
		    !fl_grow((void **)&p->series, &p->cap_series, p->n_series + 1, sizeof *p->series))
			return err_set(e, FL_ENOMEM, "out of memory");
		p->series[p->n_series++] = (record_series){sref, cp};
	}
	if (!fl_grow((void **)&p->samples, &p->cap_samples, p->n_samples + 1, sizeof *p->samples))
		return err_set(e, FL_ENOMEM, "out of memory");
	p->samples[p->n_samples++] = (record_sample){sref, t, v};
	if (out_ref)
		*out_ref = sref;
	return 0;
}

static int app_append_histogram(appender *ap, series_ref ref, labels ls, int64_t t, const void *h, series_ref *out_ref,
				err *e)
{
	(void)ap, (void)ref, (void)ls, (void)t, (void)h, (void)out_ref;
	return err_set(e, FL_EUNSUPPORTED, "native histograms are not supported");
}

static void app_free(agent_app *p)
{
	arena_reset(&p->a);
	fl_free(p->series);
	fl_free(p->samples);
	fl_free(p);
}

/* Log the series (and, with samples, the samples) records as one batch. */
static int app_log(agent_app *p, bool samples, err *e)
{
	agent_db *a = p->db;
	if (!p->n_series && (!samples || !p->n_samples))
		return 0;
	buf b;
	buf_init(&b);
	slice recs[2];
	size_t n = 0, split = 0;
	if (p->n_series) {
		record_encode_series(&b, p->series, p->n_series);
		split = b.len;
	}
	if (samples && p->n_samples)
		record_encode_samples(&b, p->samples, p->n_samples);
	int rc = 0;
	if (b.oom) {
		rc = err_set(e, FL_ENOMEM, "agent: encode WAL records: out of memory");
	} else {
		if (split)
			recs[n++] = (slice){(const char *)b.p, split};
		if (b.len > split)
			recs[n++] = (slice){(const char *)b.p + split, b.len - split};
		int lo = wal_segment_current(a->w);
		rc = wal_log(a->w, recs, n, e);
		int hi = wal_segment_current(a->w);
		if (rc == 0 && samples && p->n_samples) {
			int64_t maxt = INT64_MIN;
			for (size_t i = 0; i < p->n_samples; i++)
				if (p->samples[i].t > maxt)
					maxt = p->samples[i].t;
			pthread_mutex_lock(&a->mu);
			seg_note(a, lo, hi, maxt);
			pthread_mutex_unlock(&a->mu);
		}
	}
	buf_reset(&b);
	return rc;
}

static int app_commit(appender *ap, err *e)
{
	agent_app *p = (agent_app *)ap;
	agent_db *a = p->db;
	int rc = app_log(p, true, e);
	err se;
	if (rc && p->n_series && app_log(p, false, &se) == 0) /* the new series stay in memory: keep their records */
		log_warn("agent", "Commit failed; the new series were logged", "err", e ? e->msg : "", NULL);
	if (rc == 0 && p->n_samples) {
		pthread_mutex_lock(&a->mu);
		for (size_t i = 0; i < p->n_samples; i++) {
			aseries *s = find_ref(a, p->samples[i].ref);
			if (!s)
				continue; /* dropped by a truncation meanwhile */
			if (p->samples[i].t > s->last_ts)
				s->last_ts = p->samples[i].t;
			else
				a->st.out_of_order++;
		}
		pthread_mutex_unlock(&a->mu);
	}
	bool logged = rc == 0 && (p->n_series || p->n_samples);
	app_free(p);
	if (logged && a->o.notify)
		a->o.notify(a->o.notify_ctx);
	return rc;
}

static void app_rollback(appender *ap)
{
	agent_app *p = (agent_app *)ap;
	err e;
	/* the new series exist in memory from now on: their records must exist */
	if (app_log(p, false, &e))
		log_error("agent", "Logging the series of a rolled back append failed", "err", e.msg, NULL);
	app_free(p);
}

static const struct appender_ops agent_app_ops = {
	.append = app_append,
	.append_histogram = app_append_histogram,
	.commit = app_commit,
	.rollback = app_rollback,
};

appender *agent_appender(agent_db *a)
{
	agent_app *p = fl_calloc(1, sizeof *p);
	if (!p)
		return NULL;
	p->base.ops = &agent_app_ops;
	p->db = a;
	arena_init(&p->a);
	return &p->base;
}

/* ---- replay ---- */

typedef struct replay {
	agent_db *a;
	map dups;        /* u64slot: ref -> first ref of its label set */
	arena ar;        /* decoded records, reset per record */
	int64_t unknown; /* samples of refs without a series */
	int64_t skipped; /* records that did not decode */
} replay;

static int replay_series(replay *r, const record_series *v, size_t n, int seg)
{
	agent_db *a = r->a;
	for (size_t i = 0; i < n; i++) {
		if (v[i].ref > a->next_ref)
			a->next_ref = v[i].ref;
		uint64_t h = labels_hash(v[i].ls);
		aseries *s = find_lbl(a, h, v[i].ls);
		if (!s) {
			if (!series_add(a, v[i].ref, h, v[i].ls))
				return FL_ENOMEM;
		} else if (s->ref != v[i].ref) {
			/* logged again under another ref: its samples go to the first
			 * one, its record stays in checkpoints until past this segment */
			if (u64_set(&r->dups, v[i].ref, seg, s->ref) || u64_set(&a->deleted, v[i].ref, seg, 0))
				return FL_ENOMEM;
		}
	}
	return 0;
}

static void replay_samples(replay *r, const record_sample *v, size_t n, int seg, bool in_wal)
{
	agent_db *a = r->a;
	int64_t maxt = INT64_MIN;
	for (size_t i = 0; i < n; i++) {
		uint64_t ref = v[i].ref;
		u64slot *d = u64_get(&r->dups, ref);
		if (d) {
			u64slot *del = u64_get(&a->deleted, ref);
			if (del && del->seg < seg)
				del->seg = seg;
			ref = d->val;
		}
		aseries *s = find_ref(a, ref);
		if (!s) {
			r->unknown++;
			continue;
		}
		if (v[i].t > s->last_ts)
			s->last_ts = v[i].t;
		if (v[i].t > maxt)
			maxt = v[i].t;
	}
	if (in_wal && n)
		seg_note(a, seg, seg, maxt);
}

/* Read every record of rd; seg_tag is the checkpoint's index, or -1 to use
 * each record's own segment. Returns 0, FL_ECORRUPT (rd says where) or
 * FL_ENOMEM / FL_EIO. */
static int replay_reader(replay *r, wal_reader *rd, int seg_tag, err *e)
{
	const uint8_t *rec;
	size_t len;
	int rc;
	while ((rc = wal_reader_next(rd, &rec, &len, e)) == 1) {
		int seg = seg_tag >= 0 ? seg_tag : wal_reader_segment(rd);
		err de;
		int drc = 0;
		size_t n;
		arena_reset(&r->ar);
		switch (record_type(rec, len)) {
		case RECORD_SERIES: {
			record_series *v;
			if ((drc = record_decode_series(rec, len, &r->ar, &v, &n, &de)) == 0 &&
			    replay_series(r, v, n, seg))
				return err_set(e, FL_ENOMEM, "agent: replay: out of memory");
			break;
		}
		case RECORD_SAMPLES: {
			record_sample *v;
			if ((drc = record_decode_samples(rec, len, &r->ar, &v, &n, &de)) == 0)
				replay_samples(r, v, n, seg, seg_tag < 0);
			break;
		}
		default: /* tombstones, exemplars, metadata, histograms: nothing to rebuild */
			break;
		}
		if (drc == FL_ENOMEM)
			return err_set(e, FL_ENOMEM, "agent: replay: out of memory");
		if (drc) {
			r->skipped++;
			log_warn("agent", "Skipping undecodable WAL record", "err", de.msg, NULL);
		}
	}
	return rc;
}

/* Replay one range; a corruption in the WAL (not a checkpoint) is
 * repaired: the rest of the WAL from there is dropped. */
static int replay_range(replay *r, const wal_segment_range *g, int seg_tag, bool is_checkpoint, err *e)
{
	wal_reader *rd = wal_reader_open(g, 1, e);
	if (!rd)
		return e->code ? e->code : FL_EIO;
	int rc = replay_reader(r, rd, seg_tag, e);
	if (rc == FL_ECORRUPT) {
		const wal_corruption *c = wal_reader_corruption(rd);
		r->a->st.corruptions++;
		if (is_checkpoint || !c) {
			err_wrap(e, "agent: backfill checkpoint");
		} else {
			log_warn("agent", "Encountered WAL read error, attempting repair", "err", c->msg, NULL);
			err re;
			rc = wal_repair(r->a->waldir, c, &re);
			if (rc)
				err_set(e, rc, "agent: repair corrupted WAL: %s", re.msg);
			else
				log_info("agent", "Successfully repaired WAL", NULL);
		}
	}
	wal_reader_close(rd);
	return rc < 0 ? rc : 0;
}

static int agent_replay(agent_db *a, err *e)
{
	struct stat sb;
	if (stat(a->waldir, &sb) && errno == ENOENT)
		return 0;
	log_info("agent", "Replaying WAL, this may take a while", "dir", a->waldir, NULL);
	int64_t t0 = mono_ns();
	wal_replay_plan p;
	if (wal_replay_plan_make(a->waldir, &p, e))
		return e->code;
	replay r = {.a = a};
	map_init(&r.dups);
	arena_init(&r.ar);
	int rc = 0;
	size_t i = 0;
	if (p.checkpoint_index >= 0) {
		rc = replay_range(&r, &p.ranges[i++], p.checkpoint_index, true, e);
		if (rc == 0)
			log_info("agent", "WAL checkpoint loaded", NULL);
	}
	if (rc == 0 && i < p.n_ranges)
		rc = replay_range(&r, &p.ranges[i], -1, false, e);
	if (r.unknown) {
		char n[32];
		snprintf(n, sizeof n, "%lld", (long long)r.unknown);
		log_warn("agent", "Found sample referencing non-existing series", "skipped_series", n, NULL);
	}
	map_free(&r.dups);
	arena_reset(&r.ar);
	a->st.replay_seconds = (double)(mono_ns() - t0) / 1e9;
	return rc;
}

/* ---- truncation ---- */

static bool keep_series(void *ctx, uint64_t ref)
{
	void **c = ctx;
	agent_db *a = c[0];
	int last = *(int *)c[1];
	pthread_mutex_lock(&a->mu);
	bool keep = find_ref(a, ref) != NULL;
	if (!keep) {
		u64slot *d = u64_get(&a->deleted, ref);
		keep = d && d->seg > last;
	}
	pthread_mutex_unlock(&a->mu);
	return keep;
}

static int cmp_u64(const void *x, const void *y)
{
	uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;
	return (a > b) - (a < b);
}

/* Drop the series with no sample since mint; they stay in checkpoints
 * until the WAL is past its current last segment. */
static void agent_gc(agent_db *a, int64_t mint)
{
	int first, last;
	err e;
	if (wal_segments(a->waldir, &first, &last, &e))
		last = wal_segment_current(a->w);
	uint64_t *refs = NULL;
	size_t n = 0, cap = 0;
	pthread_mutex_lock(&a->mu);
	sslot *s;
	for (size_t i = 0; (s = map_next(&a->by_ref, &ref_type, &i));)
		if (s->s->last_ts < mint && fl_grow((void **)&refs, &cap, n + 1, sizeof *refs))
			refs[n++] = s->s->ref;
	for (size_t i = 0; i < n; i++) {
		aseries *x = find_ref(a, refs[i]);
		if (x && u64_set(&a->deleted, refs[i], last, 0) == 0)
			series_del(a, x);
	}
	a->st.deleted_series = map_len(&a->deleted);
	pthread_mutex_unlock(&a->mu);
	if (n) {
		qsort(refs, n, sizeof *refs, cmp_u64);
		if (a->o.series_removed)
			a->o.series_removed(a->o.series_removed_ctx, refs, n);
	}
	fl_free(refs);
}

/* The newest segment to checkpoint: the lower two thirds of [first, last],
 * not past what a queue still needs unless it is all older than expire. */
static int truncate_bound(agent_db *a, int first, int last, int needed, int64_t expire)
{
	int cut = first + (last - first) * 2 / 3;
	int allowed = needed == INT32_MAX ? last : needed - 1;
	pthread_mutex_lock(&a->mu);
	for (int s = first; s <= cut && s > allowed; s++) {
		if (seg_maxt(a, s) >= expire)
			break;
		allowed = s;
	}
	pthread_mutex_unlock(&a->mu);
	return cut < allowed ? cut : allowed;
}

/* The time every queue has sent up to: the newest sample of the segments
 * below `needed` (those truncated away included); 0 without queues (as
 * Prometheus's LowestSentTimestamp). */
static int64_t sent_until(agent_db *a, int first, int needed)
{
	if (needed == INT32_MAX)
		return 0;
	pthread_mutex_lock(&a->mu);
	int64_t t = a->seg_floor > 0 ? a->seg_floor : 0;
	for (int s = first; s < needed && s < a->seg_base + (int)a->n_seg; s++)
		if (seg_maxt(a, s) > t)
			t = seg_maxt(a, s);
	pthread_mutex_unlock(&a->mu);
	return t;
}

/* Forget the dropped series whose samples end at or below segment cut
 * (mu held): the checkpoint no longer needs their records. */
static void prune_deleted(agent_db *a, int cut)
{
	uint64_t *keys = NULL;
	size_t n = 0, cap = 0;
	u64slot *d;
	for (size_t i = 0; (d = map_next(&a->deleted, &u64_type, &i));)
		if (d->seg <= cut && fl_grow((void **)&keys, &cap, n + 1, sizeof *keys))
			keys[n++] = d->key;
	for (size_t i = 0; i < n; i++)
		if ((d = u64_get(&a->deleted, keys[i])))
			map_del(&a->deleted, &u64_type, d);
	fl_free(keys);
}

static int truncate_locked(agent_db *a, err *e)
{
	int64_t t0 = mono_ns();
	int64_t now = a->o.now_ms ? a->o.now_ms() : real_now_ms();
	int needed = a->o.lowest_segment ? a->o.lowest_segment(a->o.lowest_segment_ctx) : INT32_MAX;
	int first, last;
	int rc = wal_segments(a->waldir, &first, &last, e);
	if (rc)
		return err_wrap(e, "agent: get segment range"), rc;
	int64_t ts = sent_until(a, first < 0 ? 0 : first, needed) - a->o.min_wal_time_ms;
	if (ts < 0)
		ts = 0;
	if (ts < now - a->o.max_wal_time_ms)
		ts = now - a->o.max_wal_time_ms;
	agent_gc(a, ts);
	/* a new segment, so a quiet agent does not keep more WAL than needed */
	if ((rc = wal_next_segment(a->w, e)) < 0)
		return err_wrap(e, "agent: next segment"), rc;
	last--;
	if (last < 0 || first < 0)
		return 0;
	int cut = truncate_bound(a, first, last, needed, now - a->o.max_wal_time_ms);
	if (cut <= first)
		return 0;
	pthread_mutex_lock(&a->mu);
	a->st.checkpoint_creations++;
	pthread_mutex_unlock(&a->mu);
	void *ctx[2] = {a, &cut};
	if ((rc = wal_checkpoint_create(a->waldir, first, cut, keep_series, ctx, ts, a->o.wal_compression, NULL, e))) {
		pthread_mutex_lock(&a->mu);
		a->st.checkpoint_creations_failed++;
		if (rc == FL_ECORRUPT)
			a->st.corruptions++;
		pthread_mutex_unlock(&a->mu);
		return err_wrap(e, "agent: create checkpoint"), rc;
	}
	err te;
	if (wal_truncate(a->w, cut + 1, &te)) /* retried at the next truncation */
		log_error("agent", "Truncating segments failed", "err", te.msg, NULL);
	pthread_mutex_lock(&a->mu);
	prune_deleted(a, cut);
	a->st.deleted_series = map_len(&a->deleted);
	a->st.checkpoint_deletions++;
	seg_trim(a, cut + 1);
	pthread_mutex_unlock(&a->mu);
	if (wal_checkpoint_delete_before(a->waldir, cut, &te)) {
		log_error("agent", "Delete old checkpoints", "err", te.msg, NULL);
		pthread_mutex_lock(&a->mu);
		a->st.checkpoint_deletions_failed++;
		pthread_mutex_unlock(&a->mu);
	}
	double secs = (double)(mono_ns() - t0) / 1e9;
	pthread_mutex_lock(&a->mu);
	a->st.truncations++;
	a->st.truncate_seconds += secs;
	pthread_mutex_unlock(&a->mu);
	char fs[16], ls[16];
	snprintf(fs, sizeof fs, "%d", first);
	snprintf(ls, sizeof ls, "%d", cut);
	log_info("agent", "WAL checkpoint complete", "first", fs, "last", ls, NULL);
	return 0;
}

int agent_truncate(agent_db *a, err *e)
{
	pthread_mutex_lock(&a->trunc_mu);
	int rc = truncate_locked(a, e);
	pthread_mutex_unlock(&a->trunc_mu);
	return rc;
}

static void *truncate_main(void *arg)
{
	agent_db *a = arg;
	pthread_mutex_lock(&a->stop_mu);
	while (!a->stop) {
		struct timespec ts;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		int64_t ms = a->o.truncate_frequency_ms;
		int64_t ns = ts.tv_nsec + (ms % 1000) * 1000000;
		ts.tv_sec += ms / 1000 + ns / 1000000000;
		ts.tv_nsec = ns % 1000000000;
		int w = 0;
		while (!a->stop && w != ETIMEDOUT)
			w = pthread_cond_timedwait(&a->stop_cv, &a->stop_mu, &ts);
		if (a->stop)
			break;
		pthread_mutex_unlock(&a->stop_mu);
		err e;
		err_clear(&e);
		if (agent_truncate(a, &e))
			log_warn("agent", "Failed to truncate WAL", "err", e.msg, NULL);
		pthread_mutex_lock(&a->stop_mu);
	}
	pthread_mutex_unlock(&a->stop_mu);
	return NULL;
}

/* ---- open, close ---- */

static int take_lock(agent_db *a, err *e)
{
	if (fsutil_mkdir_all(a->dir, e))
		return err_wrap(e, "agent");
	if (a->o.no_lockfile)
		return 0;
	char path[2100];
	snprintf(path, sizeof path, "%s/lock", a->dir);
	a->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (a->lock_fd < 0)
		return err_set(e, FL_EIO, "lock DB directory: open %s: %s", path, strerror(errno));
	if (flock(a->lock_fd, LOCK_EX | LOCK_NB)) {
		int en = errno;
		close(a->lock_fd);
		a->lock_fd = -1;
		return err_set(e, FL_EUNAVAILABLE, "lock DB directory: %s: %s", path, strerror(en));
	}
	return 0;
}

static void free_series(agent_db *a)
{
	sslot *s;
	for (size_t i = 0; (s = map_next(&a->by_ref, &ref_type, &i));) {
		fl_free((void *)s->s->ls.v);
		fl_free(s->s);
	}
	map_free(&a->by_ref);
	map_free(&a->by_lbl);
	map_free(&a->deleted);
	fl_free(a->seg_maxt);
}

agent_db *agent_open(const char *dir, const agent_opts *o, err *e)
{
	agent_db *a = fl_calloc(1, sizeof *a);
	if (!a) {
		err_set(e, FL_ENOMEM, "out of memory");
		return NULL;
	}
	a->o = *o;
	if (a->o.truncate_frequency_ms <= 0)
		a->o.truncate_frequency_ms = AGENT_TRUNCATE_FREQUENCY_MS;
	if (a->o.min_wal_time_ms <= 0)
		a->o.min_wal_time_ms = AGENT_MIN_WAL_TIME_MS;
	if (a->o.max_wal_time_ms <= 0)
		a->o.max_wal_time_ms = AGENT_MAX_WAL_TIME_MS;
	if (a->o.min_wal_time_ms > a->o.max_wal_time_ms) /* validateOptions */
		a->o.max_wal_time_ms = a->o.min_wal_time_ms;
	if (a->o.max_wal_time_ms < a->o.truncate_frequency_ms)
		a->o.max_wal_time_ms = a->o.truncate_frequency_ms;
	size_t dl = strlen(dir);
	while (dl > 1 && dir[dl - 1] == '/')
		dl--;
	snprintf(a->dir, sizeof a->dir, "%.*s", (int)dl, dir);
	snprintf(a->waldir, sizeof a->waldir, "%s/wal", a->dir);
	a->lock_fd = -1;
	pthread_mutex_init(&a->mu, NULL);
	pthread_mutex_init(&a->trunc_mu, NULL);
	pthread_mutex_init(&a->stop_mu, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&a->stop_cv, &ca);
	pthread_condattr_destroy(&ca);
	wal_opts wo = {.segment_size = a->o.segment_size, .compress = a->o.wal_compression};
	if (take_lock(a, e) || agent_replay(a, e) || !(a->w = wal_open(a->waldir, &wo, e))) {
		agent_close(a);
		return NULL;
	}
	if (!a->o.no_truncate_thread) {
		if (pthread_create(&a->thread, NULL, truncate_main, a)) {
			err_set(e, FL_ENOMEM, "agent: cannot start the truncation thread");
			agent_close(a);
			return NULL;
		}
		a->running = true;
	}
	char n[32];
	snprintf(n, sizeof n, "%lld", (long long)a->st.active_series);
	log_info("agent", "Agent WAL storage started", "series", n, NULL);
	return a;
}

void agent_close(agent_db *a)
{
	if (!a)
		return;
	if (a->running) {
		pthread_mutex_lock(&a->stop_mu);
		a->stop = true;
		pthread_cond_broadcast(&a->stop_cv);
		pthread_mutex_unlock(&a->stop_mu);
		pthread_join(a->thread, NULL);
	}
	err e;
	if (a->w && wal_close(a->w, &e))
		log_error("agent", "Closing the WAL failed", "err", e.msg, NULL);
	if (a->lock_fd >= 0)
		close(a->lock_fd); /* releases the flock */
	free_series(a);
	pthread_mutex_destroy(&a->mu);
	pthread_mutex_destroy(&a->trunc_mu);
	pthread_mutex_destroy(&a->stop_mu);
	pthread_cond_destroy(&a->stop_cv);
	fl_free(a);
}

const char *agent_wal_dir(const agent_db *a) { return a->waldir; }

static querier *no_querier(queryable *self, int64_t mint, int64_t maxt, err *e)
{
	(void)self, (void)mint, (void)maxt;
	err_set(e, FL_EUNSUPPORTED, "unsupported operation with WAL-only storage");
	return NULL;
}

queryable *agent_queryable(agent_db *a)
{
	static queryable q = {no_querier};
	(void)a;
	return &q;
}

void agent_get_stats(agent_db *a, agent_stats *s)
{
	pthread_mutex_lock(&a->mu);
	*s = a->st;
	pthread_mutex_unlock(&a->mu);
	int first = -1, last = -1;
	err e;
	wal_segments(a->waldir, &first, &last, &e);
	s->wal_first = first;
	s->wal_last = last;
}

/* ---- /metrics ---- */

static void metric(buf *b, const char *name, const char *type, const char *help, const char *lbls, double v)
{
	char num[64];
	fmt_go_g(num, v);
	buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n%s%s %s\n", name, help, name, type, name, lbls ? lbls : "", num);
}

void agent_metrics(agent_db *a, buf *b)
{
	agent_stats s;
	agent_get_stats(a, &s);
	wal_stats w;
	wal_get_stats(a->w, &w);
	char num[64];
	metric(b, "prometheus_agent_active_series", "gauge", "Number of active series being tracked by the WAL storage",
	       NULL, (double)s.active_series);
	metric(b, "prometheus_agent_checkpoint_creations_failed_total", "counter",
	       "Total number of checkpoint creations that failed.", NULL, (double)s.checkpoint_creations_failed);
	metric(b, "prometheus_agent_checkpoint_creations_total", "counter",
	       "Total number of checkpoint creations attempted.", NULL, (double)s.checkpoint_creations);
	metric(b, "prometheus_agent_checkpoint_deletions_failed_total", "counter",
	       "Total number of checkpoint deletions that failed.", NULL, (double)s.checkpoint_deletions_failed);
	metric(b, "prometheus_agent_checkpoint_deletions_total", "counter",
	       "Total number of checkpoint deletions attempted.", NULL, (double)s.checkpoint_deletions);
	metric(b, "prometheus_agent_corruptions_total", "counter", "Total number of WAL corruptions.", NULL,
	       (double)s.corruptions);
	metric(b, "prometheus_agent_data_replay_duration_seconds", "gauge", "Time taken to replay the data on disk.", NULL,
	       s.replay_seconds);
	metric(b, "prometheus_agent_deleted_series", "gauge", "Number of series pending deletion from the WAL", NULL,
	       (double)s.deleted_series);
	metric(b, "prometheus_agent_out_of_order_samples_total", "counter",
	       "Total number of out of order samples ingestion failed attempts.", NULL, (double)s.out_of_order);
	metric(b, "prometheus_agent_samples_appended_total", "counter", "Total number of samples appended to the storage",
	       "{type=\"float\"}", (double)s.samples_appended);
	fmt_go_g(num, s.truncate_seconds);
	buf_printf(b, "# HELP prometheus_agent_truncate_duration_seconds Duration of WAL truncation.\n"
		      "# TYPE prometheus_agent_truncate_duration_seconds summary\n"
		      "prometheus_agent_truncate_duration_seconds_sum %s\n"
		      "prometheus_agent_truncate_duration_seconds_count %lld\n",
		   num, (long long)s.truncations);
	metric(b, "prometheus_tsdb_wal_completed_pages_total", "counter", "Total number of completed pages.", NULL,
	       (double)w.completed_pages);
	metric(b, "prometheus_tsdb_wal_page_flushes_total", "counter", "Total number of page flushes.", NULL,
	       (double)w.page_flushes);
	metric(b, "prometheus_tsdb_wal_segment_current", "gauge",
	       "Write log segment index that TSDB is currently writing to.", NULL, (double)w.segment_current);
	metric(b, "prometheus_tsdb_wal_truncations_failed_total", "counter", "Total number of write log truncations that failed.",
	       NULL, (double)w.truncations_failed);
	metric(b, "prometheus_tsdb_wal_truncations_total", "counter", "Total number of write log truncations attempted.",
	       NULL, (double)w.truncations);
	metric(b, "prometheus_tsdb_wal_writes_failed_total", "counter", "Total number of write log writes that failed.",
	       NULL, (double)w.writes_failed);
}
