/*
 * head_mem.c - the memory side of the head (issue 20: RSS per active
 * series): where series, open-chunk buffers and closed-chunk arrays live,
 * and how memory goes back to the system.
 *
 * All three come from the head's slab pool (lib/slab.h), not malloc:
 *   - no 24-byte header per object (fl_malloc's 16 and malloc's 8), three
 *     objects a series;
 *   - an open chunk's buffer grows through size classes sized to the
 *     chunk (below), where xor_app's own doubling to 64, 128, 256 would
 *     leave a quarter of it unused on average;
 *   - when every series cuts its chunk at once (the chunk-range boundary),
 *     the full chunks' buffers empty whole slabs, which the new small
 *     buffers take again or head_release_memory returns to the system.
 *     With malloc the new buffers landed in the holes of the old ones, one
 *     live buffer on each page, and most of the old buffers' pages stayed.
 *
 * Open-chunk buffers: xor_app_append needs HEAD_XOR_HEADROOM bytes of room
 * past len (chunk_xor.c: XOR_MAX_SAMPLE_BYTES for the sample, XOR_SLACK
 * zeroed bytes for its 64-bit writes), else it reallocates with fl_realloc;
 * the head reserves that room before every append (head__open_reserve), so
 * xor_app never reallocates a slab buffer (test_head_mem.c pins the
 * amount). The room grows by an eighth of the buffer at least, so a chunk
 * of 120 samples (~150-250 bytes) moves about six times.
 * Bytes at or past len stay zero (chunk.h invariant).
 */
#include "tsdb/head_int.h"

#include <malloc.h>

#define HEAD_OPEN_CHUNK_CAP 64 /* first buffer of an open chunk: 5+ samples before a move */

int head__open_init(head *h, xor_app *a)
{
	memset(a, 0, sizeof *a); /* as xor_app_init: no samples (also on failure) */
	a->b = slab_calloc(h->mem, HEAD_OPEN_CHUNK_CAP);
	if (!a->b)
		return FL_ENOMEM;
	a->cap = HEAD_OPEN_CHUNK_CAP;
	a->len = 2; /* the count header */
	a->leading = 0xff; /* no XOR window yet */
	return 0;
}

int head__open_grow(head *h, xor_app *a)
{
	size_t need = (size_t)a->len + HEAD_XOR_HEADROOM, grown = (size_t)a->cap + a->cap / 8;
	size_t cap = slab_good_size(need > grown ? need : grown);
	if (cap > UINT32_MAX)
		return FL_ENOMEM;
	uint8_t *b = slab_alloc(h->mem, cap);
	if (!b)
		return FL_ENOMEM;
	memcpy(b, a->b, a->len);
	memset(b + a->len, 0, cap - a->len);
	slab_free(h->mem, a->b);
	a->b = b;
	a->cap = (uint32_t)cap;
	return 0;
}

void head__open_free(head *h, xor_app *a)
{
	slab_free(h->mem, a->b);
	a->b = NULL;
	a->len = a->cap = 0;
}

bool head_release_memory(head *h)
{
	int64_t cuts = atomic_load_explicit(&h->n_cuts, memory_order_relaxed);
	if (cuts == atomic_exchange(&h->cuts_trimmed, cuts))
		return false;
	slab_release(h->mem);
#ifdef __GLIBC__
	malloc_trim(0); /* what else the cuts freed: start timestamps, history */
#endif
	return true;
}
