/*
 * index_read.c - the block index v2 reader (see index.h for the format).
 * Mirrors Prometheus tsdb/index/index.go (Reader, Symbols, Decoder); the
 * reader offers the index-reader seam (index.h index_source), over which
 * querier.c implements PostingsForMatchers for blocks and head alike.
 *
 * Layout details that matter:
 *  - Sections that start with a 4-byte `len` are followed by a CRC32C over
 *    exactly those len bytes; a series starts with a uvarint len instead.
 *  - v2 series refer to symbols by their sequence number in the table.
 *  - The postings offset table is sorted by (name, value); its first entry
 *    is the all-postings key ("", "").
 *  - Chunk metas: first mint varint, then maxt-mint uvarint and ref uvarint;
 *    later ones mint-prev.maxt uvarint, maxt-mint uvarint, ref delta varint.
 *
 * Invariants:
 *  1. Every offset read from the file is checked against the file length
 *     before use; a bad one yields FL_ECORRUPT naming the file and offset.
 *  2. sym[] and the postings table strings are NUL-terminated copies owned
 *     by the reader; names[] ranges partition ent[] in sorted order.
 */
#include "tsdb/index.h"

#include "lib/buf.h"
#include "lib/hash.h"

#include <errno.h>
#include <stddef.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define TOC_LEN (6 * 8 + 4)

typedef struct pentry {
	const char *value; /* label value (NUL-terminated copy) */
	uint64_t off;      /* file offset of the postings list */
} pentry;

typedef struct pname {
	const char *name; /* label name; "" only for the all-postings key */
	size_t first;     /* first entry in ent[] */
	size_t n;         /* entries with this name */
	const char **vals; /* values of the entries, for index_label_values */
} pname;

struct index_reader {
	const uint8_t *p;      /* file bytes */
	size_t len;            /* file length */
	bool mapped;           /* p is an mmap we own */
	bool no_crc;           /* skip CRC checks (fuzzing only) */
	char name[512];        /* file path, for messages */
	const char **sym;      /* symbols by sequence number */
	size_t n_sym;          /* symbol count */
	char *sym_str;         /* storage for symbol strings */
	pentry *ent;           /* postings offset table */
	size_t n_ent;          /* entries */
	pname *names;          /* distinct names in order */
	size_t n_names;        /* names (including "" if present) */
	const char **lnames;   /* label names without "" */
	size_t n_lnames;       /* count of lnames */
	char *ent_str;         /* storage for the table's strings */
	index_source src;      /* the reader as an index_source (read-only ops) */
};

static const struct index_source_ops src_ops;

static int corrupt(const index_reader *r, err *e, size_t off, const char *what)
{
	return err_set(e, FL_ECORRUPT, "index %s: offset %zu: %s", r->name, off, what);
}

/* The section at off with a 4-byte length: its content (after len) and CRC. */
static int section(const index_reader *r, uint64_t off, const char *what, decbuf *d, err *e)
{
	if (off > r->len || r->len - off < 8)
		return corrupt(r, e, (size_t)off, what);
	uint32_t n = be32(r->p + off);
	if ((uint64_t)n + 8 > r->len - off)
		return err_set(e, FL_ECORRUPT, "index %s: offset %zu: %s of %u bytes runs past the end", r->name, (size_t)off,
			       what, n);
	const uint8_t *body = r->p + off + 4;
	uint32_t want = be32(body + n), got = r->no_crc ? want : crc32c(0, body, n);
	if (want != got)
		return err_set(e, FL_ECORRUPT, "index %s: offset %zu: %s crc mismatch (want %08x, got %08x)", r->name,
			       (size_t)off, what, want, got);
	decbuf_init(d, body, n);
	return 0;
}

/* A section holding a table (the symbol table, the postings offset table):
 * its content after the 4-byte entry count *n, which must leave at least
 * min_entry bytes an entry. */
static int table_section(const index_reader *r, uint64_t off, const char *what, size_t min_entry, decbuf *d,
			 uint32_t *n, err *e)
{
	int rc = section(r, off, what, d, e);
	if (rc)
		return rc;
	size_t body = decbuf_len(d);
	*n = decbuf_be32(d);
	if (d->err || *n > body / min_entry)
		return err_set(e, FL_ECORRUPT, "index %s: offset %zu: bad %s count", r->name, (size_t)off, what);
	return 0;
}

/* Copy s into *dst (advancing it) as a NUL-terminated string. */
static const char *copy_str(char **dst, slice s)
{
	char *p = *dst;
	memcpy(p, s.p, s.len);
	p[s.len] = 0;
	*dst += s.len + 1;
	return p;
}

static int read_symbols(index_reader *r, uint64_t off, err *e)
{
	decbuf d;
	uint32_t n;
	int rc = table_section(r, off, "symbol table", 1, &d, &n, e);
	if (rc)
		return rc;
	r->sym = fl_calloc(n ? n : 1, sizeof *r->sym);
	r->sym_str = fl_malloc(decbuf_len(&d) + 1);
	if (!r->sym || !r->sym_str)
		return err_set(e, FL_ENOMEM, "index %s: out of memory for %u symbols", r->name, n);
	char *dst = r->sym_str;
	for (uint32_t i = 0; i < n; i++) {
		slice s = decbuf_uvarint_str(&d);
		if (d.err)
			return corrupt(r, e, (size_t)off, "truncated symbol table");
		r->sym[i] = copy_str(&dst, s);
	}
	r->n_sym = n;
	return 0;
}

/* strcmp of a NUL-terminated string against a slice. */
static int str_cmp(const char *a, slice b)
{
	size_t la = strlen(a);
	int c = memcmp(a, b.p, FL_MIN(la, b.len));
	if (c)
		return c;
	return la < b.len ? -1 : la > b.len;
}

static int add_name(index_reader *r, const char *name, size_t first, size_t *cap)
{
	if (!fl_grow((void **)&r->names, cap, r->n_names + 1, sizeof *r->names))
		return FL_ENOMEM;
	pname *pn = &r->names[r->n_names++];
	pn->name = name;
	pn->first = first;
	pn->n = 0;
	pn->vals = NULL;
	return 0;
}

static int read_postings_table(index_reader *r, uint64_t off, err *e)
{
	decbuf d;
	uint32_t n;
	int rc = table_section(r, off, "postings offset table", 4, &d, &n, e);
	if (rc)
		return rc;
	r->ent = fl_calloc(n ? n : 1, sizeof *r->ent);
	r->ent_str = fl_malloc(decbuf_len(&d) + 1);
	if (!r->ent || !r->ent_str)
		return err_set(e, FL_ENOMEM, "index %s: out of memory", r->name);
	char *dst = r->ent_str;
	size_t cap = 0;
	for (uint32_t i = 0; i < n; i++) {
		uint8_t k = decbuf_byte(&d);
		slice name = decbuf_uvarint_str(&d), value = decbuf_uvarint_str(&d);
		uint64_t po = decbuf_uvarint(&d);
		if (d.err || k != 2)
			return corrupt(r, e, (size_t)off, "bad postings offset table entry");
		pname *last = r->n_names ? &r->names[r->n_names - 1] : NULL;
		int c = last ? str_cmp(last->name, name) : -1;
		if (c > 0 || (c == 0 && str_cmp(r->ent[i - 1].value, value) >= 0))
			return corrupt(r, e, (size_t)off, "postings offset table out of order");
		if (c != 0 && add_name(r, copy_str(&dst, name), i, &cap) != 0)
			return err_set(e, FL_ENOMEM, "index %s: out of memory", r->name);
		r->ent[i].value = copy_str(&dst, value);
		r->ent[i].off = po;
		r->names[r->n_names - 1].n++;
	}
	r->n_ent = n;
	return 0;
}

/* Per-name value arrays and the list of label names. */
static int build_name_lists(index_reader *r, err *e)
{
	r->lnames = fl_calloc(r->n_names + 1, sizeof *r->lnames);
	if (!r->lnames)
		return err_set(e, FL_ENOMEM, "index %s: out of memory", r->name);
	for (size_t i = 0; i < r->n_names; i++) {
		pname *pn = &r->names[i];
		pn->vals = fl_malloc((pn->n ? pn->n : 1) * sizeof *pn->vals);
		if (!pn->vals)
			return err_set(e, FL_ENOMEM, "index %s: out of memory", r->name);
		for (size_t j = 0; j < pn->n; j++)
			pn->vals[j] = r->ent[pn->first + j].value;
		if (pn->name[0])
			r->lnames[r->n_lnames++] = pn->name;
	}
	return 0;
}

static int index_init(index_reader *r, err *e)
{
	if (r->len < 5 + TOC_LEN || be32(r->p) != INDEX_MAGIC)
		return err_set(e, FL_ECORRUPT, "index %s: invalid magic number", r->name);
	if (r->p[4] != 2)
		return err_set(e, r->p[4] == 1 ? FL_EUNSUPPORTED : FL_ECORRUPT, "index %s: unsupported index version %d",
			       r->name, r->p[4]);
	const uint8_t *toc = r->p + r->len - TOC_LEN;
	if (!r->no_crc && be32(toc + 48) != crc32c(0, toc, 48))
		return corrupt(r, e, r->len - TOC_LEN, "TOC crc mismatch");
	uint64_t sym_off = be64(toc), pot_off = be64(toc + 40);
	if (sym_off && read_symbols(r, sym_off, e) != 0)
		return e ? e->code : FL_ECORRUPT;
	if (pot_off && read_postings_table(r, pot_off, e) != 0)
		return e ? e->code : FL_ECORRUPT;
	return build_name_lists(r, e);
}

static index_reader *finish_open(index_reader *r, err *e)
{
	if (index_init(r, e) != 0) {
		index_close(r);
		return NULL;
	}
	return r;
}

index_reader *index_open_mem(const uint8_t *p, size_t len, const char *name, bool verify_crc, err *e)
{
	index_reader *r = fl_calloc(1, sizeof *r);
	if (!r) {
		err_set(e, FL_ENOMEM, "index: out of memory");
		return NULL;
	}
	r->p = p;
	r->len = len;
	r->no_crc = !verify_crc;
	snprintf(r->name, sizeof r->name, "%s", name ? name : "(memory)");
	r->src.ops = &src_ops;
	return finish_open(r, e);
}

index_reader *index_open(const char *path, err *e)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		err_set(e, errno == ENOENT ? FL_ENOTFOUND : FL_EIO, "index: open %s: %s", path, strerror(errno));
		return NULL;
	}
	struct stat st;
	void *m = MAP_FAILED;
	if (fstat(fd, &st) == 0 && st.st_size > 0)
		m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	if (m == MAP_FAILED) {
		err_set(e, FL_ECORRUPT, "index %s: cannot map (empty or unreadable)", path);
		return NULL;
	}
	index_reader *r = fl_calloc(1, sizeof *r);
	if (!r) {
		munmap(m, (size_t)st.st_size);
		err_set(e, FL_ENOMEM, "index: out of memory");
		return NULL;
	}
	r->p = m;
	r->len = (size_t)st.st_size;
	r->mapped = true;
	r->src.ops = &src_ops;
	snprintf(r->name, sizeof r->name, "%s", path);
	return finish_open(r, e);
}

void index_drop_pages(index_reader *r)
{
	if (r->mapped)
		madvise((void *)r->p, r->len, MADV_DONTNEED);
}

void index_close(index_reader *r)
{
	if (!r)
		return;
	if (r->mapped)
		munmap((void *)r->p, r->len);
	for (size_t i = 0; i < r->n_names; i++)
		fl_free(r->names[i].vals);
	fl_free(r->names);
	fl_free(r->lnames);
	fl_free(r->ent);
	fl_free(r->ent_str);
	fl_free(r->sym);
	fl_free(r->sym_str);
	fl_free(r);
}

size_t index_label_names(const index_reader *r, const char *const **names)
{
	*names = r->lnames;
	return r->n_lnames;
}

static const pname *find_name(const index_reader *r, const char *name)
{
	size_t lo = 0, hi = r->n_names;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(r->names[mid].name, name);
		if (c == 0)
			return &r->names[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

size_t index_label_values(const index_reader *r, const char *name, const char *const **values)
{
	const pname *pn = name[0] ? find_name(r, name) : NULL;
	*values = pn ? pn->vals : NULL;
	return pn ? pn->n : 0;
}

/* ---------------------------------------------------------------- postings */

/* Append the postings list at off to l (a concatenation: each list is
 * checked to be strictly increasing, as the seam promises). */
static int postings_append(const index_reader *r, uint64_t off, postings_list *l, err *e)
{
	decbuf d;
	if (section(r, off, "postings list", &d, e) != 0)
		return e ? e->code : FL_ECORRUPT;
	uint32_t n = decbuf_be32(&d);
	if (d.err || (uint64_t)n * 4 != decbuf_len(&d))
		return corrupt(r, e, (size_t)off, "postings list length does not match its entry count");
	if (postings_reserve(l, l->n + n) != 0)
		return err_set(e, FL_ENOMEM, "index: out of memory for postings");
	for (uint32_t i = 0; i < n; i++) {
		uint32_t ref = be32(d.p + 4 * (size_t)i);
		if (i && ref <= l->v[l->n - 1])
			return corrupt(r, e, (size_t)off, "postings list not in increasing order");
		l->v[l->n++] = ref;
	}
	return 0;
}

/* The entry of value v among pn's values, or NULL. */
static const pentry *find_value(const index_reader *r, const pname *pn, const char *v)
{
	size_t lo = 0, hi = pn->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(pn->vals[mid], v);
		if (c == 0)
			return &r->ent[pn->first + mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* ---------------------------------------------------------------- the seam */

#define READER(s) ((const index_reader *)((const char *)(s) - offsetof(index_reader, src)))

static int copy_strs(const char *const *src, size_t n, const char ***out, size_t *n_out, err *e)
{
	*out = NULL;
	*n_out = 0;
	if (n == 0)
		return 0;
	if (!(*out = fl_malloc(n * sizeof **out)))
		return err_set(e, FL_ENOMEM, "index: out of memory");
	memcpy(*out, src, n * sizeof *src);
	*n_out = n;
	return 0;
}

static int src_label_names(index_source *s, const char ***names, size_t *n, err *e)
{
	const index_reader *r = READER(s);
	return copy_strs(r->lnames, r->n_lnames, names, n, e);
}

static int src_label_values(index_source *s, const char *name, const char ***vals, size_t *n, err *e)
{
	const char *const *v;
	size_t k = index_label_values(READER(s), name, &v);
	return copy_strs(v, k, vals, n, e);
}

static int src_postings(index_source *s, const char *name, const char *const *vals, size_t n, postings_list *out,
			err *e)
{
	const index_reader *r = READER(s);
	const pname *pn = name[0] ? find_name(r, name) : NULL;
	out->n = 0;
	for (size_t i = 0; pn && i < n; i++) {
		const pentry *pe = find_value(r, pn, vals[i]);
		int rc = pe ? postings_append(r, pe->off, out, e) : 0;
		if (rc)
			return rc;
	}
	if (n > 1)
		postings_sort_unique(out);
	return 0;
}

static int src_all_postings(index_source *s, postings_list *out, err *e)
{
	const index_reader *r = READER(s);
	const pname *pn = r->n_names && !r->names[0].name[0] ? &r->names[0] : NULL;
	out->n = 0;
	if (!pn || pn->n == 0)
		return r->n_ent ? corrupt(r, e, 0, "no all-postings entry") : 0;
	return postings_append(r, r->ent[pn->first].off, out, e);
}

static int src_labels_for(index_source *s, const char *name, const postings_list *p, const char ***out, size_t *n,
			  err *e)
{
	const index_reader *r = READER(s);
	size_t n_v = 0, cap_v = 0, n_chks = 0, cap_chks = 0;
	const char **v = NULL;
	chunk_meta *chks = NULL;
	arena tmp;
	arena_init(&tmp);
	int rc = 0;
	for (size_t i = 0; rc == 0 && i < p->n; i++) {
		labels ls;
		n_chks = 0;
		rc = index_series(r, p->v[i], &tmp, &ls, &chks, &n_chks, &cap_chks, e);
		if (rc == 0 && !fl_grow((void **)&v, &cap_v, n_v + ls.n, sizeof *v))
			rc = err_set(e, FL_ENOMEM, "index: out of memory");
		for (size_t k = 0; rc == 0 && k < ls.n; k++)
			if (!name || !strcmp(ls.v[k].name, name))
				v[n_v++] = name ? ls.v[k].value : ls.v[k].name;
		arena_reset(&tmp);
	}
	fl_free(chks);
	arena_reset(&tmp);
	if (rc) {
		fl_free(v);
		v = NULL;
		n_v = 0;
	}
	*out = v;
	*n = n_v;
	return rc;
}

static const struct index_source_ops src_ops = {src_label_names, src_label_values, src_postings, src_all_postings,
						src_labels_for};

index_source *index_reader_source(index_reader *r) { return &r->src; }

int index_select(const index_reader *r, const matcher *ms, size_t n, uint32_t **refs, size_t *n_refs, err *e)
{
	postings_list p;
	postings_init(&p);
	int rc = index_postings_for_matchers((index_source *)&r->src, ms, n, &p, e);
	if (rc) {
		postings_free(&p);
		return rc;
	}
	*refs = p.v;
	*n_refs = p.n;
	return 0;
}

/* ---------------------------------------------------------------- series */

static int read_chunk_metas(decbuf *d, chunk_meta **chks, size_t *n_chks, size_t *cap)
{
	uint64_t k = decbuf_uvarint(d);
	if (d->err || k > decbuf_len(d))
		return FL_ECORRUPT;
	if (*n_chks + k > *cap) {
		size_t nc = *cap ? *cap : 8;
		while (nc < *n_chks + k)
			nc *= 2;
		chunk_meta *v = fl_realloc(*chks, nc * sizeof *v);
		if (!v)
			return FL_ENOMEM;
		*chks = v;
		*cap = nc;
	}
	int64_t maxt = 0;
	uint64_t ref = 0;
	for (uint64_t i = 0; i < k; i++) {
		chunk_meta *c = &(*chks)[(*n_chks)++];
		if (i == 0) {
			c->mint = decbuf_varint(d);
			c->maxt = (int64_t)((uint64_t)c->mint + decbuf_uvarint(d));
			ref = decbuf_uvarint(d);
		} else {
			c->mint = (int64_t)((uint64_t)maxt + decbuf_uvarint(d));
			c->maxt = (int64_t)((uint64_t)c->mint + decbuf_uvarint(d));
			ref = (uint64_t)((int64_t)ref + decbuf_varint(d));
		}
		c->ref = ref;
		maxt = c->maxt;
	}
	return d->err;
}

int index_series(const index_reader *r, uint32_t ref, arena *a, labels *ls, chunk_meta **chks, size_t *n_chks,
		 size_t *chks_cap, err *e)
{
	size_t off = (size_t)ref * 16;
	uint64_t n;
	int k = off < r->len ? uvarint_get(r->p + off, r->len - off, &n) : 0;
	if (k <= 0 || n > r->len - off - (size_t)k || r->len - off - (size_t)k - n < 4)
		return corrupt(r, e, off, "series entry out of bounds");
	const uint8_t *body = r->p + off + k;
	if (!r->no_crc && be32(body + n) != crc32c(0, body, (size_t)n))
		return corrupt(r, e, off, "series crc mismatch");
	decbuf d;
	decbuf_init(&d, body, (size_t)n);
	uint64_t nl = decbuf_uvarint(&d);
	if (d.err || nl > decbuf_len(&d) / 2)
		return corrupt(r, e, off, "bad series label count");
	label *lv = arena_alloc(a, (nl ? nl : 1) * sizeof *lv);
	if (!lv)
		return err_set(e, FL_ENOMEM, "index: out of memory");
	for (uint64_t i = 0; i < nl; i++) {
		uint64_t ni = decbuf_uvarint(&d), vi = decbuf_uvarint(&d);
		if (d.err || ni >= r->n_sym || vi >= r->n_sym)
			return corrupt(r, e, off, "series label refers to a missing symbol");
		lv[i].name = r->sym[ni];
		lv[i].value = r->sym[vi];
	}
	ls->v = lv;
	ls->n = (size_t)nl;
	int rc = read_chunk_metas(&d, chks, n_chks, chks_cap);
	if (rc == FL_ENOMEM)
		return err_set(e, FL_ENOMEM, "index: out of memory");
	if (rc != 0)
		return corrupt(r, e, off, "bad series chunk metas");
	return 0;
}
