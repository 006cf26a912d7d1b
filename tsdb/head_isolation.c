/*
 * head_isolation.c - what a querier of the head sees: each commit entirely
 * or not at all, the same snapshot for every select of one querier
 * (Prometheus tsdb/isolation.go gives the same guarantee with append IDs and
 * per-series rings of them; here commits are numbered and series keep their
 * older visible states only while a querier may need them).
 *
 * Numbers: h->seq counts commits. A commit takes seq + 1 under commit_mu
 * (shared) and stamps every series it appends to (head__series_stamp). A
 * querier takes commit_mu exclusively for an instant, so no commit is in
 * flight, and reads S = h->seq (head__reader_open): commits <= S are
 * complete, later ones have not started.
 *
 * States: a series' state is an hview {n_closed, open_n, last_t}; its
 * current state was produced by commit s->seq. Before a commit numbered z
 * first changes a series, the current state is pushed on s->hist when a
 * querier is open (all open queriers have S < z then, as querier open waits
 * for running commits). An older state X whose next newer state has number
 * y is only needed by a querier with S < y; once y <= the oldest open
 * snapshot (h->min_reader) X and everything older is freed.
 *
 * Invariants:
 *   1. s->seq >= every seq in s->hist, which is strictly decreasing.
 *   2. A querier with snapshot S sees the newest state numbered <= S, or
 *      nothing when there is none (the series had no commit by then).
 *   3. h->readers holds exactly the snapshot numbers of open queriers;
 *      h->min_reader is their minimum (UINT64_MAX when none).
 */
#include "tsdb/head_int.h"

static hview current_view(const hseries *s)
{
	hview v = {INT64_MIN, s->n_dropped + s->n_closed, s->app.n};
	if (s->app.n)
		v.last_t = s->app.t;
	else if (s->n_closed)
		v.last_t = s->closed[s->n_closed - 1].maxt;
	return v;
}

bool head__series_view(const hseries *s, uint64_t snap, hview *out)
{
	if (s->seq <= snap) {
		*out = current_view(s);
	} else {
		const hhist *e = s->hist;
		while (e && e->seq > snap)
			e = e->older;
		if (!e)
			return false;
		*out = e->v;
	}
	return out->n_closed || out->open_n;
}

static void free_from(hhist *e)
{
	while (e) {
		hhist *o = e->older;
		fl_free(e);
		e = o;
	}
}

void head__series_hist_free(hseries *s)
{
	free_from(s->hist);
	s->hist = NULL;
}

int head__series_stamp(hseries *s, uint64_t seq, uint64_t min_reader)
{
	if (s->seq == seq)
		return 0;
	if (min_reader != UINT64_MAX) {
		hhist *e = fl_malloc(sizeof *e);
		if (!e)
			return FL_ENOMEM;
		e->older = s->hist;
		e->seq = s->seq;
		e->v = current_view(s);
		s->hist = e;
	}
	s->seq = seq;
	/* Drop states whose next newer state is old enough for every querier. */
	uint64_t newer = s->seq;
	hhist **pp = &s->hist;
	while (*pp && newer > min_reader) {
		newer = (*pp)->seq;
		pp = &(*pp)->older;
	}
	free_from(*pp);
	*pp = NULL;
	return 0;
}

static void recompute_min(head *h)
{
	uint64_t m = UINT64_MAX;
	for (size_t i = 0; i < h->n_readers; i++)
		if (h->readers[i].snap < m)
			m = h->readers[i].snap;
	atomic_store(&h->min_reader, m);
}

int head__reader_open(head *h, int64_t *mint, uint64_t *snap)
{
	int rc = 0;
	pthread_rwlock_wrlock(&h->commit_mu);
	*snap = atomic_load(&h->seq);
	pthread_mutex_lock(&h->readers_mu);
	if (*mint < h->trunc_mint)
		*mint = h->trunc_mint; /* truncated chunks are in a block now */
	if (fl_grow((void **)&h->readers, &h->cap_readers, h->n_readers + 1, sizeof *h->readers)) {
		h->readers[h->n_readers++] = (hreader){*snap, *mint};
		recompute_min(h);
	} else {
		rc = FL_ENOMEM;
	}
	pthread_mutex_unlock(&h->readers_mu);
	pthread_rwlock_unlock(&h->commit_mu);
	return rc;
}

void head__reader_close(head *h, uint64_t snap, int64_t mint)
{
	pthread_mutex_lock(&h->readers_mu);
	for (size_t i = 0; i < h->n_readers; i++)
		if (h->readers[i].snap == snap && h->readers[i].mint == mint) {
			h->readers[i] = h->readers[--h->n_readers];
			break;
		}
	recompute_min(h);
	pthread_cond_broadcast(&h->readers_cv);
	pthread_mutex_unlock(&h->readers_mu);
}

/* Raise the truncation point to mint, then wait until no open querier may
 * read below it (Prometheus WaitForPendingReadersInTimeRange). */
void head__readers_truncate(head *h, int64_t mint)
{
	pthread_mutex_lock(&h->readers_mu);
	if (mint > h->trunc_mint)
		h->trunc_mint = mint;
	for (;;) {
		bool busy = false;
		for (size_t i = 0; i < h->n_readers && !busy; i++)
			busy = h->readers[i].mint < mint;
		if (!busy)
			break;
		pthread_cond_wait(&h->readers_cv, &h->readers_mu);
	}
	pthread_mutex_unlock(&h->readers_mu);
}
