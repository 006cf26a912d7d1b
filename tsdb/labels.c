/*
 * labels.c - label sets: hashing, ordering, copying, formatting, builder.
 * Mirrors model/labels/labels_common.go and labels.go (the slice variant).
 */
#include "tsdb/labels.h"
#include "lib/fmtfloat.h"

#include <stdlib.h>
#define XXH_STATIC_LINKING_ONLY
#include <xxhash.h>

/* Prometheus's Labels.Hash: XXH64 (seed 0) of name 0xff value 0xff ...
 * A set that fits 1 KiB is gathered on the stack and hashed in one call
 * (the streaming API costs a call and a copy per piece, a third of the
 * hash on the ingest path); a larger one streams. Same value either way. */
uint64_t labels_hash(labels ls)
{
	char tmp[1024];
	size_t n = 0;
	for (size_t i = 0; i < ls.n; i++) {
		size_t a = strlen(ls.v[i].name), b = strlen(ls.v[i].value);
		if (a + b + 2 > sizeof tmp - n)
			goto stream;
		memcpy(tmp + n, ls.v[i].name, a);
		tmp[n + a] = '\xff';
		memcpy(tmp + n + a + 1, ls.v[i].value, b);
		tmp[n + a + 1 + b] = '\xff';
		n += a + b + 2;
	}
	return XXH64(tmp, n, 0);
stream:;
	XXH64_state_t st;
	XXH64_reset(&st, 0);
	static const char sep = '\xff';
	for (size_t i = 0; i < ls.n; i++) {
		XXH64_update(&st, ls.v[i].name, strlen(ls.v[i].name));
		XXH64_update(&st, &sep, 1);
		XXH64_update(&st, ls.v[i].value, strlen(ls.v[i].value));
		XXH64_update(&st, &sep, 1);
	}
	return XXH64_digest(&st);
}

static bool name_in(const char *name, const char *const *names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(names[i], name))
			return true;
	return false;
}

uint64_t labels_hash_for(labels ls, const char *const *names, size_t n, bool on)
{
	XXH64_state_t st;
	XXH64_reset(&st, 0);
	static const char sep = '\xff';
	for (size_t i = 0; i < ls.n; i++) {
		bool in = name_in(ls.v[i].name, names, n);
		if (on ? !in : (in || !strcmp(ls.v[i].name, LABEL_NAME)))
			continue;
		XXH64_update(&st, ls.v[i].name, strlen(ls.v[i].name));
		XXH64_update(&st, &sep, 1);
		XXH64_update(&st, ls.v[i].value, strlen(ls.v[i].value));
		XXH64_update(&st, &sep, 1);
	}
	return XXH64_digest(&st);
}

int labels_compare(labels a, labels b)
{
	size_t n = FL_MIN(a.n, b.n);
	for (size_t i = 0; i < n; i++) {
		int c = strcmp(a.v[i].name, b.v[i].name);
		if (c)
			return c;
		c = strcmp(a.v[i].value, b.v[i].value);
		if (c)
			return c;
	}
	return a.n < b.n ? -1 : a.n > b.n ? 1 : 0;
}

bool labels_equal(labels a, labels b) { return a.n == b.n && labels_compare(a, b) == 0; }

const char *labels_get(labels ls, const char *name)
{
	for (size_t i = 0; i < ls.n; i++)
		if (!strcmp(ls.v[i].name, name))
			return ls.v[i].value;
	return NULL;
}

labels labels_copy(arena *a, labels ls)
{
	labels r = {NULL, 0};
	label *v = arena_alloc(a, sizeof(label) * (ls.n ? ls.n : 1));
	if (!v)
		return r;
	for (size_t i = 0; i < ls.n; i++) {
		v[i].name = arena_strdup(a, ls.v[i].name);
		v[i].value = arena_strdup(a, ls.v[i].value);
		if (!v[i].name || !v[i].value)
			return r;
	}
	r.v = v;
	r.n = ls.n;
	FL_SLOW_ASSERT(!r.n || (arena_owns(a, r.v) && arena_owns(a, r.v[r.n - 1].value))); /* all of it in a */
	return r;
}

labels labels_dup(labels ls)
{
	labels r = {NULL, 0};
	size_t sz = sizeof(label) * ls.n;
	for (size_t i = 0; i < ls.n; i++)
		sz += strlen(ls.v[i].name) + strlen(ls.v[i].value) + 2;
	char *blk = fl_malloc(sz ? sz : 1);
	if (!blk)
		return r;
	label *v = (label *)blk;
	char *s = blk + sizeof(label) * ls.n;
	for (size_t i = 0; i < ls.n; i++) {
		size_t nl = strlen(ls.v[i].name) + 1, vl = strlen(ls.v[i].value) + 1;
		memcpy(s, ls.v[i].name, nl);
		v[i].name = s;
		s += nl;
		memcpy(s, ls.v[i].value, vl);
		v[i].value = s;
		s += vl;
	}
	r.v = v;
	r.n = ls.n;
	return r;
}

void labels_format(buf *b, labels ls)
{
	buf_put_byte(b, '{');
	for (size_t i = 0; i < ls.n; i++) {
		if (i)
			buf_put_str(b, ", ");
		buf_put_str(b, ls.v[i].name);
		buf_put_byte(b, '=');
		fmt_go_quote(b, ls.v[i].value, strlen(ls.v[i].value)); /* strconv.Quote */
	}
	buf_put_byte(b, '}');
}

bool labels_valid_order(labels ls)
{
	for (size_t i = 1; i < ls.n; i++)
		if (strcmp(ls.v[i - 1].name, ls.v[i].name) >= 0)
			return false;
	return true;
}

void labels_builder_init(labels_builder *b) { b->v = NULL; b->n = b->cap = 0; b->oom = false; }

static bool bgrow(labels_builder *b, size_t n)
{
	if (fl_grow((void **)&b->v, &b->cap, n, sizeof *b->v))
		return true;
	b->oom = true;
	return false;
}

void labels_builder_reset(labels_builder *b, labels from)
{
	b->n = 0;
	b->oom = false;
	if (!bgrow(b, from.n))
		return;
	if (from.n)
		memcpy(b->v, from.v, from.n * sizeof(label));
	b->n = from.n;
}

void labels_builder_del(labels_builder *b, const char *name)
{
	for (size_t i = 0; i < b->n; i++)
		if (!strcmp(b->v[i].name, name)) {
			memmove(&b->v[i], &b->v[i + 1], (b->n - i - 1) * sizeof(label));
			b->n--;
			return;
		}
}

void labels_builder_set(labels_builder *b, const char *name, const char *value)
{
	if (!value || !*value) {
		labels_builder_del(b, name);
		return;
	}
	size_t i = 0;
	for (; i < b->n; i++) {
		int c = strcmp(b->v[i].name, name);
		if (c == 0) {
			b->v[i].value = value;
			return;
		}
		if (c > 0)
			break;
	}
	if (!bgrow(b, b->n + 1))
		return;
	memmove(&b->v[i + 1], &b->v[i], (b->n - i) * sizeof(label));
	b->v[i].name = name;
	b->v[i].value = value;
	b->n++;
}

labels labels_builder_labels(const labels_builder *b)
{
	labels r = {b->v, b->n};
	return r;
}

void labels_builder_free(labels_builder *b)
{
	fl_free(b->v);
	labels_builder_init(b);
}
