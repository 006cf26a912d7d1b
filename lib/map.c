/*
 * map.c - the out-of-line half of lib/map.h: growing, counting, iterating.
 * Growing allocates a zeroed table twice the size (all slots empty) and
 * re-places each used entry at the first empty slot on the probe path of
 * t->hash(entry), as Redis's dictExpand rehashes (here all at once: every
 * table is small or striped, so no incremental rehash is needed).
 */
#include "lib/map.h"

#include <assert.h>

#include "lib/err.h"

void map_free(map *m)
{
	fl_free(m->tab);
	map_init(m);
}

int map_grow(map *m, const map_type *t)
{
	assert(t->size >= sizeof(uint32_t) && t->min_cap && !(t->min_cap & (t->min_cap - 1)));
	if (m->cap > UINT32_MAX / 2)
		return FL_ENOMEM;
	uint32_t ncap = m->cap ? m->cap * 2 : t->min_cap;
	char *nt = fl_calloc(ncap, t->size), *old = m->tab;
	if (!nt)
		return FL_ENOMEM;
	size_t mask = ncap - 1;
	for (size_t i = 0; i < m->cap; i++) {
		const char *e = old + i * t->size;
		if (!map_used(e))
			continue;
		size_t j = (size_t)t->hash(e) & mask;
		while (map_used(nt + j * t->size))
			j = (j + 1) & mask;
		memcpy(nt + j * t->size, e, t->size);
	}
	fl_free(old);
	m->tab = nt;
	m->cap = ncap;
	return 0;
}

void map_added(map *m, const void *entry)
{
	assert(map_used(entry));
	assert((uint64_t)(m->n + 1) * 4 <= (uint64_t)m->cap * 3);
	m->n++;
}

void *map_next(const map *m, const map_type *t, size_t *i)
{
	for (; *i < m->cap; (*i)++) {
		void *e = (char *)m->tab + *i * t->size;
		if (map_used(e)) {
			(*i)++;
			return e;
		}
	}
	return NULL;
}
