/*
 * index_write.c - the block index v2 writer (Prometheus 2.42
 * tsdb/index/index.go Writer; docs/format/index.md), byte for byte what
 * Prometheus writes for the same symbols and series:
 *
 *   magic 0xBAAAD700 | version 2
 *   symbols        len(4) | count(4) | uvarint-str... | CRC32
 *   series         each 16-byte aligned; ref = offset / 16:
 *                  len uvarint | #labels | (name sym, value sym)... |
 *                  #chunks | first: mint varint, maxt-mint uvarint, ref
 *                  uvarint; later: mint-prev maxt uvarint, maxt-mint
 *                  uvarint, ref-prev ref varint | CRC32 (not over len)
 *   label indices  one per label name (not for the all-postings ""),
 *                  4-byte aligned: len | #names=1 | #values | value sym(4)...
 *                  | CRC32
 *   postings       4-byte aligned, ("", "") all series first, then by
 *                  (name, value): len | #refs | ref(4)... | CRC32
 *   label offset table     len | #entries | (1, name, offset)... | CRC32
 *   postings offset table  len | #entries | (2, name, value, offset)... | CRC32
 *   TOC            six be64 offsets (symbols, series, label indices, label
 *                  offset table, postings, postings offset table) | CRC32
 *
 * The TOC's label-indices and postings offsets are the positions before
 * their alignment padding, as Prometheus records them.
 *
 * Memory: the symbols, and one (name sym, value sym, series ref) triple per
 * label of every series, from which the label indices and postings are
 * built at close by one sort (symbol numbers sort as their strings do).
 *
 * Invariants:
 *  1. Symbols are strictly increasing; series label sets strictly increasing
 *     (labels_compare), every label string is a symbol.
 *  2. w->f.pos is the file length; every series offset is 16-aligned and
 *     below 16 * 2^32.
 */
#include "tsdb/index.h"

#include "lib/buf.h"
#include "lib/fsutil.h"
#include "lib/hash.h"

#include <stdio.h>
#include <stdlib.h>

typedef struct triple {
	uint32_t name;  /* symbol number of the label name */
	uint32_t value; /* symbol number of the label value */
	uint32_t ref;   /* series ref (offset / 16) */
} triple;

struct index_writer {
	fsutil_writer f;         /* the index file */
	buf symstr;          /* symbol strings, NUL-separated */
	size_t *sym_off;     /* offset of each symbol in symstr */
	size_t n_sym;        /* symbols */
	size_t sym_cap;      /* capacity of sym_off */
	bool series_stage;   /* the symbol table is written */
	uint64_t toc[6];     /* section offsets */
	triple *tr;          /* every label of every series */
	size_t n_tr, tr_cap; /* count, capacity */
	uint32_t *refs;      /* series refs in order (the all-postings list) */
	size_t n_refs, refs_cap; /* count, capacity */
	uint32_t *prev;      /* previous series' symbol pairs, for order */
	size_t n_prev, prev_cap; /* count (2 per label), capacity */
	buf b;               /* scratch */
	buf b2;              /* scratch */
};

static const char *sym(const index_writer *w, size_t i) { return (const char *)w->symstr.p + w->sym_off[i]; }

index_writer *index_writer_open(const char *path, err *e)
{
	index_writer *w = fl_calloc(1, sizeof *w);
	if (!w) {
		err_set(e, FL_ENOMEM, "index writer: out of memory");
		return NULL;
	}
	buf_init(&w->symstr);
	buf_init(&w->b);
	buf_init(&w->b2);
	if (fsutil_writer_open(&w->f, path, e) != 0) {
		fl_free(w);
		return NULL;
	}
	uint8_t hdr[5];
	put_be32(hdr, INDEX_MAGIC);
	hdr[4] = 2;
	fsutil_writer_put(&w->f, hdr, sizeof hdr);
	w->toc[0] = w->f.pos;
	return w;
}

int index_writer_add_symbol(index_writer *w, const char *s, err *e)
{
	if (w->series_stage)
		return err_set(e, FL_EINVAL, "index writer: symbol \"%s\" added after series", s);
	if (w->n_sym > 0 && strcmp(sym(w, w->n_sym - 1), s) >= 0)
		return err_set(e, FL_EINVAL, "index writer: symbol \"%s\" out of order", s);
	if (!fl_grow((void **)&w->sym_off, &w->sym_cap, w->n_sym + 1, sizeof *w->sym_off))
		return err_set(e, FL_ENOMEM, "index writer: out of memory");
	w->sym_off[w->n_sym++] = w->symstr.len;
	buf_put(&w->symstr, s, strlen(s) + 1);
	if (w->symstr.oom)
		return err_set(e, FL_ENOMEM, "index writer: out of memory");
	return 0;
}

/* Write len | body | CRC32(body) for the section in w->b. */
static void put_section(index_writer *w, const buf *body)
{
	uint8_t t[4];
	put_be32(t, (uint32_t)body->len);
	fsutil_writer_put(&w->f, t, 4);
	fsutil_writer_put(&w->f, body->p, body->len);
	put_be32(t, crc32c(0, body->p, body->len));
	fsutil_writer_put(&w->f, t, 4);
}

static int finish_symbols(index_writer *w, err *e)
{
	buf_clear(&w->b);
	buf_put_be32(&w->b, (uint32_t)w->n_sym);
	for (size_t i = 0; i < w->n_sym; i++)
		buf_put_uvarint_str(&w->b, sym(w, i), strlen(sym(w, i)));
	if (w->b.oom)
		return err_set(e, FL_ENOMEM, "index writer: out of memory");
	if (w->b.len > UINT32_MAX)
		return err_set(e, FL_ELIMIT, "index writer: symbol table size exceeds 4 bytes: %zu", w->b.len);
	put_section(w, &w->b);
	w->series_stage = true;
	w->toc[1] = w->f.pos;
	return 0;
}

/* Symbol number of s, or -1. */
static int64_t sym_find(const index_writer *w, const char *s)
{
	size_t lo = 0, hi = w->n_sym;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(sym(w, mid), s);
		if (c == 0)
			return (int64_t)mid;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

/* Compare the new series' symbol pairs with the previous one's. */
static int cmp_prev(const index_writer *w, const uint32_t *cur, size_t n)
{
	for (size_t i = 0; i < n && i < w->n_prev; i++)
		if (cur[i] != w->prev[i])
			return cur[i] < w->prev[i] ? -1 : 1;
	return n < w->n_prev ? -1 : n > w->n_prev;
}

static void encode_chunks(buf *b, const chunk_meta *chks, size_t n)
{
	buf_put_uvarint(b, n);
	if (n == 0)
		return;
	buf_put_varint(b, chks[0].mint);
	buf_put_uvarint(b, (uint64_t)(chks[0].maxt - chks[0].mint));
	buf_put_uvarint(b, chks[0].ref);
	for (size_t i = 1; i < n; i++) {
		buf_put_uvarint(b, (uint64_t)(chks[i].mint - chks[i - 1].maxt));
		buf_put_uvarint(b, (uint64_t)(chks[i].maxt - chks[i].mint));
		buf_put_varint(b, (int64_t)(chks[i].ref - chks[i - 1].ref));
	}
}

int index_writer_add_series(index_writer *w, labels ls, const chunk_meta *chks, size_t n, err *e)
{
	if (!w->series_stage && finish_symbols(w, e) != 0)
		return e ? e->code : FL_ENOMEM;
	uint32_t stack[64], *cur = 2 * ls.n <= FL_ARRAY_LEN(stack) ? stack : fl_malloc(2 * ls.n * sizeof *cur);
	if (!cur)
		return err_set(e, FL_ENOMEM, "index writer: out of memory");
	int rc = 0;
	for (size_t i = 0; i < ls.n && rc == 0; i++) {
		int64_t a = sym_find(w, ls.v[i].name), b = sym_find(w, ls.v[i].value);
		if (a < 0 || b < 0)
			rc = err_set(e, FL_EINVAL, "index writer: label %s=\"%s\" is not in the symbol table",
				     ls.v[i].name, ls.v[i].value);
		cur[2 * i] = (uint32_t)a;
		cur[2 * i + 1] = (uint32_t)b;
	}
	if (rc == 0 && w->n_refs > 0 && cmp_prev(w, cur, 2 * ls.n) <= 0) {
		buf_clear(&w->b);
		labels_format(&w->b, ls);
		rc = err_set(e, FL_EINVAL, "index writer: out-of-order series added with label set %s", buf_cstr(&w->b));
	}
	fsutil_writer_pad(&w->f, 16);
	uint64_t ref = w->f.pos / 16;
	if (rc == 0 && ref > UINT32_MAX)
		rc = err_set(e, FL_ELIMIT, "index writer: series offset %llu exceeds 4 bytes", (unsigned long long)w->f.pos);
	if (rc == 0 && (!fl_grow((void **)&w->prev, &w->prev_cap, 2 * ls.n + 1, sizeof *w->prev) ||
			!fl_grow((void **)&w->refs, &w->refs_cap, w->n_refs + 1, sizeof *w->refs) ||
			!fl_grow((void **)&w->tr, &w->tr_cap, w->n_tr + ls.n, sizeof *w->tr)))
		rc = err_set(e, FL_ENOMEM, "index writer: out of memory");
	if (rc == 0) {
		memcpy(w->prev, cur, 2 * ls.n * sizeof *cur);
		w->n_prev = 2 * ls.n;
		w->refs[w->n_refs++] = (uint32_t)ref;
		buf_clear(&w->b);
		buf_put_uvarint(&w->b, ls.n);
		for (size_t i = 0; i < ls.n; i++) {
			buf_put_uvarint(&w->b, cur[2 * i]);
			buf_put_uvarint(&w->b, cur[2 * i + 1]);
			w->tr[w->n_tr++] = (triple){cur[2 * i], cur[2 * i + 1], (uint32_t)ref};
		}
		encode_chunks(&w->b, chks, n);
		buf_clear(&w->b2);
		buf_put_uvarint(&w->b2, w->b.len);
		buf_put_be32(&w->b, crc32c(0, w->b.p, w->b.len));
		if (w->b.oom || w->b2.oom)
			rc = err_set(e, FL_ENOMEM, "index writer: out of memory");
		fsutil_writer_put(&w->f, w->b2.p, w->b2.len);
		fsutil_writer_put(&w->f, w->b.p, w->b.len);
	}
	if (cur != stack)
		fl_free(cur);
	return rc;
}

static int cmp_triple(const void *a, const void *b)
{
	const triple *x = a, *y = b;
	if (x->name != y->name)
		return x->name < y->name ? -1 : 1;
	if (x->value != y->value)
		return x->value < y->value ? -1 : 1;
	return x->ref < y->ref ? -1 : x->ref > y->ref;
}

/* Label indices: one per name, its distinct values' symbol numbers.
 * Appends (name, offset) entries of the label offset table to tab. */
static void write_label_indices(index_writer *w, buf *tab, uint32_t *n_tab)
{
	w->toc[2] = w->f.pos;
	for (size_t i = 0; i < w->n_tr;) {
		size_t j = i;
		buf_clear(&w->b);
		buf_put_be32(&w->b, 1);
		buf_put_be32(&w->b, 0); /* #values, patched below */
		uint32_t nv = 0;
		for (; j < w->n_tr && w->tr[j].name == w->tr[i].name; j++)
			if (j == i || w->tr[j].value != w->tr[j - 1].value) {
				buf_put_be32(&w->b, w->tr[j].value);
				nv++;
			}
		if (!w->b.oom)
			put_be32(w->b.p + 4, nv);
		fsutil_writer_pad(&w->f, 4);
		const char *name = sym(w, w->tr[i].name);
		buf_put_uvarint(tab, 1);
		buf_put_uvarint_str(tab, name, strlen(name));
		buf_put_uvarint(tab, w->f.pos);
		(*n_tab)++;
		put_section(w, &w->b);
		i = j;
	}
}

/* One postings list of refs; adds its postings offset table entry. */
static void write_postings(index_writer *w, const char *name, const char *value, const uint32_t *refs,
			   const triple *tr, size_t n, buf *tab)
{
	buf_put_uvarint(tab, 2);
	buf_put_uvarint_str(tab, name, strlen(name));
	buf_put_uvarint_str(tab, value, strlen(value));
	buf_put_uvarint(tab, w->f.pos);
	buf_clear(&w->b);
	buf_put_be32(&w->b, (uint32_t)n);
	for (size_t i = 0; i < n; i++)
		buf_put_be32(&w->b, refs ? refs[i] : tr[i].ref);
	put_section(w, &w->b);
}

static void write_all_postings(index_writer *w, buf *tab, uint32_t *n_tab)
{
	w->toc[4] = w->f.pos;
	fsutil_writer_pad(&w->f, 4);
	write_postings(w, "", "", w->refs, NULL, w->n_refs, tab);
	(*n_tab)++;
	for (size_t i = 0; i < w->n_tr;) {
		size_t j = i;
		while (j < w->n_tr && w->tr[j].name == w->tr[i].name && w->tr[j].value == w->tr[i].value)
			j++;
		write_postings(w, sym(w, w->tr[i].name), sym(w, w->tr[i].value), NULL, &w->tr[i], j - i, tab);
		(*n_tab)++;
		i = j;
	}
}

/* A table section: len | count | entries | CRC32. */
static void write_table(index_writer *w, const buf *entries, uint32_t n)
{
	buf_clear(&w->b);
	buf_put_be32(&w->b, n);
	buf_put(&w->b, entries->p, entries->len);
	put_section(w, &w->b);
}

int index_writer_close(index_writer *w, err *e)
{
	int rc = 0;
	if (!w->series_stage)
		rc = finish_symbols(w, e);
	if (rc == 0) {
		if (w->n_tr > 1)
			qsort(w->tr, w->n_tr, sizeof *w->tr, cmp_triple);
		buf ltab, ptab;
		buf_init(&ltab);
		buf_init(&ptab);
		uint32_t n_ltab = 0, n_ptab = 0;
		write_label_indices(w, &ltab, &n_ltab);
		write_all_postings(w, &ptab, &n_ptab);
		w->toc[3] = w->f.pos;
		write_table(w, &ltab, n_ltab);
		w->toc[5] = w->f.pos;
		write_table(w, &ptab, n_ptab);
		uint8_t toc[6 * 8 + 4];
		for (int i = 0; i < 6; i++)
			put_be64(toc + 8 * i, w->toc[i]);
		put_be32(toc + 48, crc32c(0, toc, 48));
		fsutil_writer_put(&w->f, toc, sizeof toc);
		if (ltab.oom || ptab.oom || w->b.oom)
			rc = err_set(e, FL_ENOMEM, "index writer: out of memory");
		buf_reset(&ltab);
		buf_reset(&ptab);
	}
	if (rc == 0)
		rc = fsutil_writer_close(&w->f, e);
	else
		fsutil_writer_abort(&w->f);
	index_writer_abort(w);
	return rc;
}

void index_writer_abort(index_writer *w)
{
	if (!w)
		return;
	fsutil_writer_abort(&w->f); /* no-op after close */
	buf_reset(&w->symstr);
	buf_reset(&w->b);
	buf_reset(&w->b2);
	fl_free(w->sym_off);
	fl_free(w->tr);
	fl_free(w->refs);
	fl_free(w->prev);
	fl_free(w);
}
