/*
 * head_append.c - the head's appender and chunk cutting (Prometheus
 * tsdb/head_append.go: headAppender, memSeries.appendable, append,
 * appendPreprocessor, computeChunkEndTime, cutNewHeadChunk).
 *
 * Appender: append validates against the committed state (the series' last
 * sample, the minimum valid time captured when the appender started) and
 * buffers {series, t, v}; a series it creates is created in the head at
 * once (findable, with no samples), as in Prometheus. commit:
 *   1. calls the log hook with the batch (new series, then samples);
 *   2. on success takes commit_mu shared and a commit number, and applies
 *      every sample under its series' lock, stamping the series with
 *      the number (head_isolation.c), re-checking order (a sample that lost
 *      a race with another appender is dropped and counted, as upstream);
 *   3. releases commit_mu. A querier opened before sees none of the commit,
 *      one opened after sees all of it.
 * rollback drops the samples; new series stay and are logged (series only)
 * so the WAL knows every ref the head gave out, like upstream's Rollback.
 *
 * Chunk cutting (memSeries.appendPreprocessor, Prometheus 3.x):
 *   - a new chunk's end is the next chunk-range boundary
 *     (t / range * range + range): chunks never span a 2h boundary;
 *   - when the open chunk holds 30 samples (120/4) its end is predicted as
 *     computeChunkEndTime(mint, last t, end, 4), spreading the rest of the
 *     range evenly over chunks of the observed rate;
 *   - a sample at t >= end, or arriving when the chunk holds 240 samples,
 *     starts a new chunk; with opts.max_chunk_bytes (3.x: 1024) so does one
 *     arriving when the chunk's bytes exceed that minus 19 (the largest
 *     sample), which 2.42 - the golden data's writer - did not do.
 */
#include "tsdb/head_int.h"

#include <assert.h>
#include <math.h>

#if FL_SLOW_CHECKS_ON
_Thread_local int head__series_locks_held; /* see head__series_lock */
#endif

/* ---- series append ---- */

static int64_t range_end(int64_t t, int64_t range) { return (t / range) * range + range; }

/* Prometheus computeChunkEndTime (float64 arithmetic, as upstream). */
static int64_t compute_chunk_end(int64_t start, int64_t cur, int64_t max, double ratio)
{
	double n = (double)(max - start) / ((double)(cur - start + 1) * ratio);
	if (n <= 1)
		return max;
	return (int64_t)((double)start + (double)(max - start) / floor(n));
}

/* Write the open chunk to the head-chunk files and add it to the closed
 * list (as Prometheus's mmapHeadChunk when it cuts a chunk); the caller
 * frees the open chunk's buffer. */
static int close_chunk(head *h, hseries *s)
{
	if (s->n_closed == UINT16_MAX)
		return FL_ENOMEM;
	if (s->n_closed == head__closed_cap(s->n_closed)) { /* full (head_int.h) */
		hchunk *c = slab_realloc(h->mem, s->closed, head__closed_cap((size_t)s->n_closed + 1) * sizeof *c);
		if (!c)
			return FL_ENOMEM;
		s->closed = c;
	}
	uint64_t ref;
	err e;
	if (hchunks_write(h->chunks, s->ref, s->open_mint, s->app.t, CHUNK_ENC_XOR, s->app.b, s->app.len, &ref, &e))
		return FL_ENOMEM;
	s->closed[s->n_closed++] = (hchunk){s->open_mint, s->app.t, ref};
	return 0;
}

static int cut_chunk(head *h, hseries *s, int64_t t)
{
	if (s->app.n && close_chunk(h, s))
		return FL_ENOMEM;
	head__open_free(h, &s->app);
	if (head__open_init(h, &s->app))
		return FL_ENOMEM;
	s->open_mint = t;
	s->next_at = range_end(t, h->opts.chunk_range_ms);
	atomic_fetch_add(&h->n_chunks, 1);
	atomic_fetch_add_explicit(&h->n_cuts, 1, memory_order_relaxed);
	return 0;
}

#if FL_SLOW_CHECKS_ON
/* The chunk state of a series (lock held; O(1)): the open chunk holds at
 * most 2 x 120 samples (the cut bound), its first sample is no later than
 * its last, and it starts after the newest closed chunk ends. */
static inline __attribute__((unused)) bool series_check(const hseries *s)
{
	if (!s->app.n)
		return true;
	const hchunk *last = s->n_closed ? &s->closed[s->n_closed - 1] : NULL;
	return s->app.n <= HEAD_SAMPLES_PER_CHUNK * 2 && s->open_mint <= s->app.t &&
	       (!last || (last->mint <= last->maxt && last->maxt < s->open_mint));
}
#endif

int head__series_append(head *h, hseries *s, int64_t t, double v)
{
	assert(!s->app.n || t > s->app.t); /* the caller checked head__appendable */
	if (!s->app.n) {
		if (cut_chunk(h, s, t))
			return FL_ENOMEM;
	} else {
		uint16_t n = s->app.n;
		if (n == HEAD_SAMPLES_PER_CHUNK / 4)
			s->next_at = compute_chunk_end(s->open_mint, s->app.t, s->next_at, 4);
		int maxb = h->opts.max_chunk_bytes;
		if ((maxb > 0 && s->app.len > (size_t)maxb - 19) || t >= s->next_at || n >= HEAD_SAMPLES_PER_CHUNK * 2) {
			if (cut_chunk(h, s, t))
				return FL_ENOMEM;
		}
	}
	if (head__open_reserve(h, &s->app)) /* xor_app never reallocates a slab buffer */
		return FL_ENOMEM;
	int rc = xor_app_append(&s->app, t, v);
	FL_SLOW_ASSERT(rc || (s->app.t == t && series_check(s))); /* per sample: debug builds only */
	return rc;
}

int head__appendable(const hseries *s, int64_t t, double v, int64_t min_valid)
{
	if (t < min_valid)
		return FL_ETOO_OLD;
	if (!s->app.n) /* no samples, or a cut whose first append failed */
		return s->n_closed && t <= s->closed[s->n_closed - 1].maxt ? FL_EOUT_OF_ORDER : 0;
	if (t > s->app.t)
		return 0;
	if (t == s->app.t) {
		uint64_t a, b;
		memcpy(&a, &s->app.v, 8);
		memcpy(&b, &v, 8);
		return a == b ? 1 : FL_EDUPLICATE;
	}
	return FL_EOUT_OF_ORDER;
}

/* ---- the appender ---- */

typedef struct pend {
	hseries *s; /* series (lives as long as the head) */
	int64_t t;  /* ms */
	double v;   /* value */
	int64_t st; /* start timestamp, 0 = none */
} pend;

typedef struct happ {
	appender base;     /* must be first */
	head *h;           /* owner */
	int epoch;         /* head__epoch_enter token: its series stay allocated */
	int64_t min_valid; /* samples below are out of bounds; INT64_MIN + lazy init */
	bool init;         /* min_valid is known (head had data, or first sample seen) */
	pend *samples;     /* buffered samples */
	size_t n_samples, cap_samples;
	hseries **created; /* series this appender created */
	size_t n_created, cap_created;
} happ;

/* Prometheus's initAppender: an appender on an empty head takes its lower
 * bound from the first sample's time. */
static void happ_init_time(happ *a, int64_t t)
{
	head *h = a->h;
	int64_t cur = INT64_MAX;
	atomic_compare_exchange_strong(&h->min_time, &cur, t);
	cur = INT64_MIN;
	atomic_compare_exchange_strong(&h->max_time, &cur, t);
	a->min_valid = head__min_valid(h);
	a->init = true;
}

static int happ_append_st(appender *ap, series_ref ref, labels ls, int64_t st, int64_t t, double v, series_ref *out,
			  err *e)
{
	happ *a = (happ *)ap;
	head *h = a->h;
	if (out)
		*out = 0;
	if (!a->init)
		happ_init_time(a, t);
	if (t < a->min_valid) {
		atomic_fetch_add(&h->n_oob, 1);
		return err_set(e, FL_ETOO_OLD, "out of bounds");
	}
	hseries *s = head__series_by_ref(h, ref);
	int64_t last_t = 0;
	double last_v = 0;
	int rc = 0;
	/* A series garbage-collected since it was found is dead: look its
	 * labels up again, which makes a new one (head_truncate unlinked it
	 * before we saw the mark, so this ends at the second pass). */
	for (int pass = 0; pass < 2; pass++) {
		if (!s) {
			bool created;
			s = head__get_or_create(h, ls, 0, &created, e);
			if (!s)
				return e && e->code ? e->code : FL_ENOMEM;
			if (created) {
				if (!fl_grow((void **)&a->created, &a->cap_created, a->n_created + 1, sizeof(hseries *)))
					return err_set(e, FL_ENOMEM, "out of memory");
				a->created[a->n_created++] = s;
			}
		}
		head__series_lock(s);
		if (s->dead) {
			head__series_unlock(s);
			s = NULL;
			continue;
		}
		last_t = s->app.t;
		last_v = s->app.v;
		rc = head__appendable(s, t, v, a->min_valid);
		if (rc == 0)
			head__pending_inc(s); /* keeps head_truncate from removing it until commit */
		head__series_unlock(s);
		break;
	}
	if (!s)
		return err_set(e, FL_ENOMEM, "head: series removed while appending");
	if (out && (rc == 0 || rc == 1))
		*out = s->ref; /* as upstream: no ref with an error */
	if (rc == 1)
		return 0; /* exact duplicate of the last sample: accepted, nothing to do */
	if (rc == FL_EOUT_OF_ORDER) {
		atomic_fetch_add(&h->n_ooo, 1);
		return err_set(e, rc, "out of order sample");
	}
	if (rc == FL_EDUPLICATE)
		return head__dup_error(e, last_t, last_v, v);
	if (rc == FL_ETOO_OLD) {
		atomic_fetch_add(&h->n_oob, 1);
		return err_set(e, rc, "out of bounds");
	}
	if (!fl_grow((void **)&a->samples, &a->cap_samples, a->n_samples + 1, sizeof(pend))) {
		head__series_lock(s);
		head__pending_dec(s);
		head__series_unlock(s);
		return err_set(e, FL_ENOMEM, "out of memory");
	}
	a->samples[a->n_samples++] = (pend){s, t, v, st};
	return 0;
}

static int happ_append(appender *ap, series_ref ref, labels ls, int64_t t, double v, series_ref *out, err *e)
{
	return happ_append_st(ap, ref, ls, 0, t, v, out, e);
}

int head__series_set_st(hseries *s, int64_t t, int64_t st)
{
	if (!s->st && !(s->st = fl_calloc(1, sizeof *s->st)))
		return FL_ENOMEM;
	hst *x = s->st;
	if (!fl_grow((void **)&x->e, &x->cap, x->n + 1, sizeof *x->e))
		return FL_ENOMEM;
	x->e[x->n++] = (hst_ent){t, st};
	return 0;
}

void head__series_st_free(hseries *s)
{
	if (s->st)
		fl_free(s->st->e);
	fl_free(s->st);
	s->st = NULL;
}

static int happ_append_histogram(appender *ap, series_ref ref, labels ls, int64_t t, const void *hist,
				 series_ref *out, err *e)
{
	if (out)
		*out = 0;
	return err_set(e, FL_EUNSUPPORTED, "native histograms are not supported");
}

static void happ_free(happ *a)
{
	head__epoch_exit(a->h, a->epoch);
	fl_free(a->samples);
	fl_free(a->created);
	fl_free(a);
}

/* Call the log hook with the new series and (if with_samples) the samples,
 * built here as the WAL's record types, which the hook encodes as they are. */
static int happ_log(happ *a, bool with_samples, err *e)
{
	head *h = a->h;
	if (!h->opts.log || (!a->n_created && (!with_samples || !a->n_samples)))
		return 0;
	arena ar;
	arena_init(&ar);
	int rc = FL_ENOMEM;
	size_t ns = with_samples ? a->n_samples : 0;
	record_series *sr = arena_alloc(&ar, (a->n_created + 1) * sizeof *sr);
	record_sample *smp = arena_alloc(&ar, (ns + 1) * sizeof *smp);
	if (!sr || !smp)
		goto out;
	for (size_t i = 0; i < a->n_created; i++) {
		sr[i].ref = a->created[i]->ref;
		sr[i].ls = head__series_labels(h, a->created[i], &ar);
		if (!sr[i].ls.v)
			goto out;
	}
	for (size_t i = 0; i < ns; i++)
		smp[i] = (record_sample){a->samples[i].s->ref, a->samples[i].t, a->samples[i].v};
	head_log_batch b = {sr, a->n_created, smp, ns};
	rc = h->opts.log(h->opts.log_ctx, &b, e);
out:
	if (rc == FL_ENOMEM && (!e || !e->code))
		err_set(e, rc, "out of memory");
	arena_reset(&ar);
	return rc;
}

/* Apply the buffered samples (commit_mu held shared). */
static void happ_apply(happ *a)
{
	head *h = a->h;
	int64_t mint = INT64_MAX, maxt = INT64_MIN, n_ok = 0, n_ooo = 0;
	uint64_t seq = atomic_fetch_add(&h->seq, 1) + 1, min_reader = atomic_load(&h->min_reader);
	/* head_truncate may have raised the bound since the appender started. */
	int64_t min_valid = FL_MAX(a->min_valid, atomic_load(&h->min_valid_time));
	for (size_t i = 0; i < a->n_samples; i++) {
		pend *p = &a->samples[i];
		head__series_lock(p->s);
		head__pending_dec(p->s);
		int rc = head__appendable(p->s, p->t, p->v, min_valid);
		if (rc == 0)
			rc = head__series_stamp(p->s, seq, min_reader);
		if (rc == 0)
			rc = head__series_append(h, p->s, p->t, p->v);
		if (rc == 0 && p->st)
			(void)head__series_set_st(p->s, p->t, p->st); /* out of memory: the sample stands, its ST is lost */
		head__series_unlock(p->s);
		if (rc == 0) {
			n_ok++;
			mint = FL_MIN(mint, p->t);
			maxt = FL_MAX(maxt, p->t);
		} else if (rc != 1) {
			n_ooo++;
		}
	}
	atomic_fetch_add(&h->n_samples, n_ok);
	if (n_ooo)
		atomic_fetch_add(&h->n_ooo, n_ooo);
	if (n_ok)
		head__update_time(h, mint, maxt);
}

/* The samples will not be applied: their series may be removed again. */
static void drop_pending(happ *a)
{
	for (size_t i = 0; i < a->n_samples; i++) {
		head__series_lock(a->samples[i].s);
		head__pending_dec(a->samples[i].s);
		head__series_unlock(a->samples[i].s);
	}
}

/*
 * Commit: WAL first, then visible. commit_mu is held shared from the
 * bounds check through the WAL write to the apply, so a head compaction
 * (which raises min_valid_time, then opens its querier, taking commit_mu
 * exclusively) either sees this commit whole in its snapshot, or this
 * commit sees the raised bound and refuses: a sample is never logged and
 * then dropped below the block just cut (Prometheus's compaction waits
 * for overlapping appenders instead: WaitForAppendersOverlapping).
 */
static int happ_commit(appender *ap, err *e)
{
	happ *a = (happ *)ap;
	head *h = a->h;
	FL_SLOW_ASSERT(head__series_locks_held == 0); /* lock order: commit_mu before series locks */
	pthread_rwlock_rdlock(&h->commit_mu);
	int64_t floor = atomic_load(&h->min_valid_time);
	int rc = 0;
	for (size_t i = 0; i < a->n_samples && rc == 0; i++)
		if (a->samples[i].t < floor) {
			atomic_fetch_add(&h->n_oob, 1);
			rc = err_set(e, FL_ETOO_OLD, "out of bounds");
		}
	if (rc == 0 && (rc = happ_log(a, true, e)) != 0)
		err_wrap(e, "write to WAL");
	if (rc) {
		pthread_rwlock_unlock(&h->commit_mu);
		drop_pending(a);
		happ_free(a);
		return rc;
	}
	if (a->n_samples)
		happ_apply(a);
	pthread_rwlock_unlock(&h->commit_mu);
	happ_free(a);
	return 0;
}

static void happ_rollback(appender *ap)
{
	happ *a = (happ *)ap;
	drop_pending(a);
	err e;
	err_clear(&e);
	happ_log(a, false, &e); /* series records only; best effort as upstream */
	happ_free(a);
}

static const struct appender_ops happ_ops = {happ_append, happ_append_histogram, happ_commit, happ_rollback, happ_append_st};

appender *head_appender(head *h)
{
	happ *a = fl_calloc(1, sizeof *a);
	if (!a)
		return NULL;
	a->base.ops = &happ_ops;
	a->h = h;
	a->epoch = head__epoch_enter(h);
	if (atomic_load(&h->max_time) != INT64_MIN) {
		a->min_valid = head__min_valid(h);
		a->init = true;
	}
	return &a->base;
}
